/**
 * Test doubles for the Quarantine adapters: a DynamoDB table, an ALB listener and an ECS service
 * held in Maps behind `aws-sdk-client-mock`, each with the service's own conditional semantics.
 * They are strict: any command they do not implement rejects, and the table evaluates only the
 * expressions the store is meant to send (any other expression is an error, so a change in the
 * store's conditions cannot pass unnoticed), with DynamoDB's checks on unused or undefined
 * placeholders.
 */
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  ModifyRuleCommand,
  PriorityInUseException,
  RuleNotFoundException,
  TooManyRulesException,
  type ElasticLoadBalancingV2Client,
  type RuleCondition,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeServicesCommand, UpdateServiceCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { AwsClientStub } from "aws-sdk-client-mock";

export type Item = Record<string, AttributeValue>;
type Names = Record<string, string>;
type Values = Record<string, AttributeValue>;

/** Any command a fake does not implement rejects with this (install before the `.on(...)` handlers). */
export function strict<T extends { onAnyCommand: () => { rejects: (e: Error) => unknown } }>(mock: T, service: string): T {
  mock.onAnyCommand().rejects(new Error(`${service} fake: unexpected command`));
  return mock;
}

const validation = (message: string) => new DynamoDBServiceException({ name: "ValidationException", $fault: "client", message, $metadata: { httpStatusCode: 400 } });
const conditionFailed = () => new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: { httpStatusCode: 400 } });

/** Placeholders of one request, resolved the way DynamoDB does: every one defined, every one used. */
class Expr {
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();
  constructor(
    private readonly names: Names = {},
    private readonly values: Values = {},
  ) {}

  name(placeholder: string): string {
    const n = this.names[placeholder];
    if (n === undefined) throw validation(`An expression attribute name used in the document path is not defined; attribute name: ${placeholder}`);
    this.usedNames.add(placeholder);
    return n;
  }

  value(placeholder: string): AttributeValue {
    const v = this.values[placeholder];
    if (v === undefined) throw validation(`An expression attribute value used in expression is not defined; attribute value: ${placeholder}`);
    this.usedValues.add(placeholder);
    return v;
  }

  /** The attribute of `item` named by `placeholder` (resolved even when there is no item). */
  attr(item: Item | undefined, placeholder: string): AttributeValue | undefined {
    const name = this.name(placeholder);
    return item?.[name];
  }

  num(item: Item | undefined, placeholder: string): number | undefined {
    const n = this.attr(item, placeholder)?.N;
    return n === undefined ? undefined : Number(n);
  }

  numValue(placeholder: string): number {
    return Number(this.value(placeholder).N);
  }

  /** After evaluating: DynamoDB refuses placeholders the expressions never use. */
  checkAllUsed(): void {
    const unusedNames = Object.keys(this.names).filter((k) => !this.usedNames.has(k));
    const unusedValues = Object.keys(this.values).filter((k) => !this.usedValues.has(k));
    if (unusedNames.length > 0) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(", ")}}`);
    if (unusedValues.length > 0) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(", ")}}`);
  }
}

/**
 * The condition expressions the store sends, and only those. A missing attribute compares false, as
 * in DynamoDB. Every placeholder is resolved before combining, so none is reported unused because
 * of a short circuit.
 */
const CONDITIONS: Record<string, (item: Item | undefined, x: Expr) => boolean> = {
  "attribute_not_exists(#pk)": (item, x) => x.attr(item, "#pk") === undefined,
  "#version = :expected": (item, x) => {
    const v = x.num(item, "#version");
    return v !== undefined && v === x.numValue(":expected");
  },
  "attribute_not_exists(#pk) OR (#expiresAt >= :now AND #lastSeen <= :lastSeen)": (item, x) => {
    const absent = x.attr(item, "#pk") === undefined;
    const exp = x.num(item, "#expiresAt");
    const seen = x.num(item, "#lastSeen");
    const now = x.numValue(":now");
    const lastSeen = x.numValue(":lastSeen");
    return absent || (exp !== undefined && exp >= now && seen !== undefined && seen <= lastSeen);
  },
  "attribute_not_exists(#pk) OR #expiresAt < :now": (item, x) => {
    const absent = x.attr(item, "#pk") === undefined;
    const exp = x.num(item, "#expiresAt");
    const now = x.numValue(":now");
    return absent || (exp !== undefined && exp < now);
  },
  "attribute_not_exists(#pk) OR #until < :now OR #owner = :owner": (item, x) => {
    const absent = x.attr(item, "#pk") === undefined;
    const until = x.num(item, "#until");
    const now = x.numValue(":now");
    const owner = x.attr(item, "#owner")?.S;
    const me = x.value(":owner").S;
    return absent || (until !== undefined && until < now) || (owner !== undefined && owner === me);
  },
  "#owner = :owner": (item, x) => {
    const owner = x.attr(item, "#owner")?.S;
    const me = x.value(":owner").S;
    return owner !== undefined && owner === me;
  },
};

const FILTERS: Record<string, (item: Item, x: Expr) => boolean> = {
  "begins_with(#pk, :prefix) AND #expiresAt >= :now": (item, x) => {
    const pk = x.attr(item, "#pk")?.S ?? "";
    const prefix = x.value(":prefix").S ?? "";
    const exp = x.num(item, "#expiresAt");
    const now = x.numValue(":now");
    return pk.startsWith(prefix) && exp !== undefined && exp >= now;
  },
};

/** `SET #a = :a, #b = if_not_exists(#b, :b)`: the only update form the store uses. */
function applySet(update: string, item: Item, x: Expr): Item {
  const m = /^SET (.+)$/.exec(update);
  if (!m) throw new Error(`table fake: unsupported UpdateExpression ${update}`);
  const next: Item = { ...item };
  for (const clause of m[1].split(/,\s*(?=#)/)) {
    const plain = /^(#\w+) = (:\w+)$/.exec(clause);
    const ifNotExists = /^(#\w+) = if_not_exists\((#\w+), (:\w+)\)$/.exec(clause);
    if (plain) next[x.name(plain[1])] = x.value(plain[2]);
    else if (ifNotExists && ifNotExists[1] === ifNotExists[2]) {
      const attr = x.name(ifNotExists[1]);
      const value = x.value(ifNotExists[3]);
      if (item[attr] === undefined) next[attr] = value;
    } else throw new Error(`table fake: unsupported SET clause ${clause}`);
  }
  return next;
}

export interface TableFakeOptions {
  /** Items a Scan examines per page (DynamoDB: 1 MB); the filter applies after. @default 1000 */
  readonly scanPageSize?: number;
  /** Keys (pk) BatchGetItem leaves unprocessed in this call (1-based call number). */
  readonly unprocessed?: (call: number, pks: string[]) => string[];
  /** Awaited before a read answers (e.g. to hold two invocations until both have read). */
  readonly beforeRead?: (op: "BatchGetItem" | "GetItem" | "Scan", pks: string[]) => Promise<void> | void;
}

/**
 * A DynamoDB table (hash key `pk`) in a Map. Reads must be strongly consistent (the store's
 * conditional logic depends on it). `ops` logs every call in order: "put src#1.2.3.4", a refused
 * condition as "put src#1.2.3.4: ConditionalCheckFailed".
 */
export function fakeTable(mock: AwsClientStub<DynamoDBClient>, table: string, options: TableFakeOptions = {}) {
  const items = new Map<string, Item>();
  const ops: string[] = [];
  let batchCalls = 0;
  const pkOf = (k: Item | undefined): string => {
    const keys = Object.keys(k ?? {});
    if (keys.length !== 1 || keys[0] !== "pk" || k?.pk?.S === undefined) throw validation(`The provided key element does not match the schema: ${JSON.stringify(k)}`);
    return k.pk.S;
  };
  const checkTable = (name: string | undefined) => {
    if (name !== table) throw new Error(`table fake: unexpected table ${name}`);
  };
  /** Evaluates a write's condition (if any) against the current item; refusals are logged and thrown. */
  const guard = (op: string, pk: string, input: { ConditionExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values }, extra?: (x: Expr) => void): Expr => {
    const x = new Expr(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    let ok = true;
    if (input.ConditionExpression !== undefined) {
      const cond = CONDITIONS[input.ConditionExpression];
      if (!cond) throw new Error(`table fake: unexpected ConditionExpression ${input.ConditionExpression}`);
      ok = cond(items.get(pk), x);
    }
    extra?.(x);
    x.checkAllUsed();
    if (!ok) {
      ops.push(`${op} ${pk}: ConditionalCheckFailed`);
      throw conditionFailed();
    }
    return x;
  };

  mock.on(GetItemCommand).callsFake(async (input: { TableName?: string; Key?: Item; ConsistentRead?: boolean }) => {
    checkTable(input.TableName);
    if (input.ConsistentRead !== true) throw new Error("table fake: GetItem must be strongly consistent");
    const pk = pkOf(input.Key);
    await options.beforeRead?.("GetItem", [pk]);
    ops.push(`get ${pk}`);
    const item = items.get(pk);
    return item ? { Item: structuredClone(item) } : {};
  });

  mock.on(BatchGetItemCommand).callsFake(async (input: { RequestItems?: Record<string, { Keys?: Item[]; ConsistentRead?: boolean }> }) => {
    const tables = Object.keys(input.RequestItems ?? {});
    if (tables.length !== 1) throw new Error(`table fake: BatchGetItem on ${tables.join(", ")}`);
    checkTable(tables[0]);
    const req = input.RequestItems![table];
    if (req.ConsistentRead !== true) throw new Error("table fake: BatchGetItem must be strongly consistent");
    const pks = (req.Keys ?? []).map(pkOf);
    if (pks.length === 0 || pks.length > 100) throw validation(`Too many items requested for the BatchGetItem call (${pks.length})`);
    if (new Set(pks).size !== pks.length) throw validation("Provided list of item keys contains duplicates");
    batchCalls++;
    await options.beforeRead?.("BatchGetItem", pks);
    const left = new Set(options.unprocessed?.(batchCalls, pks) ?? []);
    ops.push(`batchGet ${pks.filter((pk) => !left.has(pk)).join(",")}${left.size ? ` (unprocessed ${[...left].join(",")})` : ""}`);
    const found = pks.filter((pk) => !left.has(pk) && items.has(pk)).map((pk) => structuredClone(items.get(pk)!));
    return {
      Responses: { [table]: found },
      UnprocessedKeys: left.size ? { [table]: { Keys: [...left].map((pk) => ({ pk: { S: pk } })), ConsistentRead: true } } : {},
    };
  });

  mock.on(PutItemCommand).callsFake((input: { TableName?: string; Item?: Item; ConditionExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values }) => {
    checkTable(input.TableName);
    const pk = pkOf(input.Item?.pk ? { pk: input.Item.pk } : undefined);
    guard("put", pk, input);
    ops.push(`put ${pk}`);
    items.set(pk, structuredClone(input.Item!));
    return {};
  });

  mock.on(UpdateItemCommand).callsFake((input: { TableName?: string; Key?: Item; UpdateExpression?: string; ConditionExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values }) => {
    checkTable(input.TableName);
    const pk = pkOf(input.Key);
    let next: Item = {};
    guard("update", pk, input, (x) => {
      next = applySet(input.UpdateExpression ?? "", items.get(pk) ?? { pk: { S: pk } }, x);
    });
    ops.push(`update ${pk}`);
    items.set(pk, next);
    return {};
  });

  mock.on(DeleteItemCommand).callsFake((input: { TableName?: string; Key?: Item; ConditionExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values }) => {
    checkTable(input.TableName);
    const pk = pkOf(input.Key);
    guard("delete", pk, input);
    ops.push(`delete ${pk}`);
    items.delete(pk);
    return {};
  });

  mock.on(ScanCommand).callsFake(async (input: { TableName?: string; ConsistentRead?: boolean; FilterExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values; ExclusiveStartKey?: Item }) => {
    checkTable(input.TableName);
    if (input.ConsistentRead !== true) throw new Error("table fake: Scan must be strongly consistent");
    const filter = FILTERS[input.FilterExpression ?? ""];
    if (!filter) throw new Error(`table fake: unexpected FilterExpression ${input.FilterExpression}`);
    await options.beforeRead?.("Scan", []);
    const all = [...items.keys()];
    const from = input.ExclusiveStartKey ? all.indexOf(pkOf(input.ExclusiveStartKey)) + 1 : 0;
    if (input.ExclusiveStartKey && from === 0) throw new Error("table fake: ExclusiveStartKey not in the table");
    const page = all.slice(from, from + (options.scanPageSize ?? 1000));
    const x = new Expr(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    const matched = page.filter((pk) => filter(items.get(pk)!, x));
    if (page.length > 0) x.checkAllUsed();
    ops.push(`scan ${from}+${page.length}`);
    const more = from + page.length < all.length;
    return { Items: matched.map((pk) => structuredClone(items.get(pk)!)), ...(more ? { LastEvaluatedKey: { pk: { S: page[page.length - 1] } } } : {}) };
  });

  return {
    items,
    ops,
    /** The items whose pk starts with `prefix`, as plain JS values (numbers for N). */
    plain(prefix = ""): Record<string, Record<string, unknown>> {
      const out: Record<string, Record<string, unknown>> = {};
      for (const [pk, item] of items) if (pk.startsWith(prefix)) out[pk] = plainItem(item);
      return out;
    },
    seed(item: Item): void {
      items.set(item.pk.S!, structuredClone(item));
    },
    conflicts: () => ops.filter((o) => o.endsWith(": ConditionalCheckFailed")),
  };
}

function plainValue(v: AttributeValue): unknown {
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return Number(v.N);
  if (v.L !== undefined) return v.L.map(plainValue);
  if (v.BOOL !== undefined) return v.BOOL;
  throw new Error(`table fake: unexpected attribute ${JSON.stringify(v)}`);
}

export function plainItem(item: Item): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, plainValue(v)]));
}

export interface FakeRule {
  priority: number;
  cidrs: string[];
  targetGroupArn: string;
  tags: Record<string, string>;
}

export interface ListenerFakeOptions {
  /** Rules per DescribeRules page at most (the caller's PageSize applies too). @default 400 */
  readonly pageSize?: number;
  /** Non-default rules the load balancer accepts (its quota). @default 100 */
  readonly maxRules?: number;
}

/**
 * One ALB listener: rules in a Map by ARN, plus the default action (listed last, priority
 * "default"). CreateRule on a taken priority → PriorityInUse; over the quota → TooManyRules;
 * ModifyRule/DeleteRule on an unknown ARN → RuleNotFound; a source-ip condition takes 1–5 CIDRs.
 */
export function fakeListener(mock: AwsClientStub<ElasticLoadBalancingV2Client>, listenerArn: string, options: ListenerFakeOptions = {}) {
  const rules = new Map<string, FakeRule>();
  const ops: string[] = [];
  let next = 1;
  const arnPrefix = listenerArn.replace(":listener/", ":listener-rule/");
  const meta = { $metadata: { httpStatusCode: 400 } };
  const cidrsOf = (conditions: RuleCondition[] | undefined): string[] => {
    if (conditions?.length !== 1 || conditions[0].Field !== "source-ip") throw new Error(`listener fake: unexpected conditions ${JSON.stringify(conditions)}`);
    const values = conditions[0].SourceIpConfig?.Values ?? [];
    if (values.length < 1 || values.length > 5) throw new Error(`listener fake: a source-ip condition takes 1–5 values, got ${values.length}`);
    return [...values];
  };

  mock.on(DescribeRulesCommand).callsFake((input: { ListenerArn?: string; Marker?: string; PageSize?: number }) => {
    if (input.ListenerArn !== listenerArn) throw new Error(`listener fake: DescribeRules on ${input.ListenerArn}`);
    const all = [
      ...[...rules.entries()]
        .sort((a, b) => a[1].priority - b[1].priority)
        .map(([arn, r]) => ({
          RuleArn: arn,
          Priority: String(r.priority),
          IsDefault: false,
          Conditions: [{ Field: "source-ip", SourceIpConfig: { Values: [...r.cidrs] } }],
          Actions: [{ Type: "forward", TargetGroupArn: r.targetGroupArn }],
        })),
      { RuleArn: `${arnPrefix}/default`, Priority: "default", IsDefault: true, Conditions: [], Actions: [{ Type: "forward", TargetGroupArn: "arn:real" }] },
    ];
    const from = input.Marker ? Number(input.Marker) : 0;
    const size = Math.min(input.PageSize ?? 400, options.pageSize ?? 400);
    ops.push(`describe ${from}`);
    const page = all.slice(from, from + size);
    return { Rules: page, ...(from + size < all.length ? { NextMarker: String(from + size) } : {}) };
  });

  mock.on(CreateRuleCommand).callsFake((input: { ListenerArn?: string; Priority?: number; Conditions?: RuleCondition[]; Actions?: { Type?: string; TargetGroupArn?: string }[]; Tags?: { Key?: string; Value?: string }[] }) => {
    if (input.ListenerArn !== listenerArn) throw new Error(`listener fake: CreateRule on ${input.ListenerArn}`);
    const priority = input.Priority ?? 0;
    const cidrs = cidrsOf(input.Conditions);
    if ([...rules.values()].some((r) => r.priority === priority)) {
      ops.push(`create ${priority}: PriorityInUse`);
      throw new PriorityInUseException({ message: `Priority '${priority}' is currently in use`, ...meta });
    }
    if (rules.size >= (options.maxRules ?? 100)) {
      ops.push(`create ${priority}: TooManyRules`);
      throw new TooManyRulesException({ message: "You've reached the limit on the number of rules per load balancer", ...meta });
    }
    const action = input.Actions?.length === 1 ? input.Actions[0] : undefined;
    if (action?.Type !== "forward" || !action.TargetGroupArn) throw new Error(`listener fake: unexpected actions ${JSON.stringify(input.Actions)}`);
    const arn = `${arnPrefix}/${String(next++).padStart(16, "0")}`;
    rules.set(arn, { priority, cidrs, targetGroupArn: action.TargetGroupArn, tags: Object.fromEntries((input.Tags ?? []).map((t) => [t.Key, t.Value])) });
    ops.push(`create ${priority} ${cidrs.join(",")}`);
    return { Rules: [{ RuleArn: arn, Priority: String(priority) }] };
  });

  mock.on(ModifyRuleCommand).callsFake((input: { RuleArn?: string; Conditions?: RuleCondition[]; Actions?: unknown }) => {
    const rule = rules.get(input.RuleArn ?? "");
    if (!rule) {
      ops.push(`modify ${input.RuleArn}: RuleNotFound`);
      throw new RuleNotFoundException({ message: "One or more rules not found", ...meta });
    }
    if (input.Actions !== undefined) throw new Error("listener fake: ModifyRule should keep the action");
    rule.cidrs = cidrsOf(input.Conditions);
    ops.push(`modify ${rule.priority} ${rule.cidrs.join(",")}`);
    return {};
  });

  mock.on(DeleteRuleCommand).callsFake((input: { RuleArn?: string }) => {
    const rule = rules.get(input.RuleArn ?? "");
    if (!rule) {
      ops.push(`delete ${input.RuleArn}: RuleNotFound`);
      throw new RuleNotFoundException({ message: "One or more rules not found", ...meta });
    }
    rules.delete(input.RuleArn!);
    ops.push(`delete ${rule.priority}`);
    return {};
  });

  return {
    rules,
    ops,
    /** A rule that lure did not create (the user's own). */
    seed(priority: number, cidrs: string[], targetGroupArn = "arn:user", tags: Record<string, string> = {}): string {
      const arn = `${arnPrefix}/${String(next++).padStart(16, "0")}`;
      rules.set(arn, { priority, cidrs, targetGroupArn, tags });
      return arn;
    },
    /** Every CIDR steered, over all rules of `targetGroupArn`, in priority order (duplicates kept). */
    steered(targetGroupArn: string): string[] {
      return [...rules.values()]
        .filter((r) => r.targetGroupArn === targetGroupArn)
        .sort((a, b) => a.priority - b.priority)
        .flatMap((r) => r.cidrs);
    },
  };
}

/** One ECS service's desired count. */
export function fakeService(mock: AwsClientStub<ECSClient>, cluster: string, service: string, desiredCount = 0) {
  const state = { desiredCount, updates: [] as number[] };
  mock.on(UpdateServiceCommand).callsFake((input: { cluster?: string; service?: string; desiredCount?: number }) => {
    if (input.cluster !== cluster || input.service !== service) throw new Error(`ecs fake: UpdateService on ${input.cluster}/${input.service}`);
    state.desiredCount = input.desiredCount ?? state.desiredCount;
    state.updates.push(state.desiredCount);
    return { service: { serviceName: service, desiredCount: state.desiredCount } };
  });
  mock.on(DescribeServicesCommand).callsFake((input: { cluster?: string; services?: string[] }) => {
    if (input.cluster !== cluster || input.services?.length !== 1 || input.services[0] !== service) throw new Error(`ecs fake: DescribeServices ${JSON.stringify(input)}`);
    return { services: [{ serviceName: service, desiredCount: state.desiredCount }], failures: [] };
  });
  return state;
}
