/**
 * Test doubles for the Quarantine adapters: a DynamoDB table, an ALB listener, a target group's
 * health and an ECS service held in Maps behind `aws-sdk-client-mock`, each with the service's own conditional semantics.
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
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ModifyRuleCommand,
  PriorityInUseException,
  RuleNotFoundException,
  TooManyRulesException,
  type Action,
  type ElasticLoadBalancingV2Client,
  type RuleCondition,
  type TargetHealthStateEnum,
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
/** With `ReturnValuesOnConditionCheckFailure: "ALL_OLD"`, DynamoDB puts the item it refused on (if any) in the error. */
const conditionFailed = (item?: Item) =>
  new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: { httpStatusCode: 400 }, ...(item ? { Item: structuredClone(item) } : {}) });

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
    const expected = x.numValue(":expected");
    return v !== undefined && v === expected;
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
  "#lastSeen = :v": (item, x) => {
    const seen = x.num(item, "#lastSeen");
    const expected = x.numValue(":v");
    return seen !== undefined && seen === expected;
  },
  "attribute_not_exists(#last) OR #last < :last": (item, x) => {
    const last = x.num(item, "#last");
    const ours = x.numValue(":last");
    return last === undefined || last < ours;
  },
  "#first > :first": (item, x) => {
    const first = x.num(item, "#first");
    const ours = x.numValue(":first");
    return first !== undefined && first > ours;
  },
  "#owner = :owner": (item, x) => {
    const owner = x.attr(item, "#owner")?.S;
    const me = x.value(":owner").S;
    return owner !== undefined && owner === me;
  },
};

/**
 * The Query key conditions the store sends: `#pk = :q` on the hash key, nothing on the range key.
 * Resolved up front, so every placeholder counts as used even when the partition is empty.
 */
const KEY_CONDITIONS: Record<string, (x: Expr) => string> = {
  "#pk = :q": (x) => {
    if (x.name("#pk") !== "pk") throw validation("Query condition missed key schema element: pk");
    const pk = x.value(":q").S;
    if (pk === undefined) throw validation("One or more parameter values were invalid: Condition parameter type does not match schema type");
    return pk;
  },
};

/** The Query filters the store sends, resolved up front like the key conditions. */
const FILTERS: Record<string, (x: Expr) => (item: Item) => boolean> = {
  "#expiresAt >= :now": (x) => {
    const name = x.name("#expiresAt");
    const now = x.numValue(":now");
    // A missing attribute compares false, as in DynamoDB.
    return (item) => item[name]?.N !== undefined && Number(item[name].N) >= now;
  },
};

/** The only Query parameters the store sends; any other (an index, a limit, a projection…) is an error. */
const QUERY_PARAMS = new Set(["TableName", "ConsistentRead", "KeyConditionExpression", "FilterExpression", "ExpressionAttributeNames", "ExpressionAttributeValues", "ExclusiveStartKey"]);

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
  /** Items a Query reads per page (DynamoDB: 1 MB); the filter applies after. @default 1000 */
  readonly queryPageSize?: number;
  /** Keys (as `itemId`) BatchGetItem leaves unprocessed in this call (1-based call number). */
  readonly unprocessed?: (call: number, ids: string[]) => string[];
  /** Awaited before a read answers (e.g. to hold two invocations until both have read); ids of the keys asked, or the partition queried. */
  readonly beforeRead?: (op: "BatchGetItem" | "GetItem" | "Query", ids: string[]) => Promise<void> | void;
  /** Awaited before a write is evaluated (e.g. to let another invocation act in between); the id of the item written. */
  readonly beforeWrite?: (op: "PutItem" | "UpdateItem" | "DeleteItem", id: string) => Promise<void> | void;
}

/** How the fake names an item (in `items`, `ops` and `plain()`): `pk/sk`, e.g. `src#192.0.2.1/state`. */
export const itemId = (pk: string, sk: string): string => `${pk}/${sk}`;

/** Range keys compare as DynamoDB compares strings: by UTF-8 bytes. */
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/**
 * A DynamoDB table (hash key `pk`, range key `sk`, both strings) in a Map by `itemId`. Reads must be
 * strongly consistent (the store's conditional logic depends on it). There is no Scan: listing
 * reads one partition with a Query. `ops` logs every call in order: "put src#1.2.3.4/state", a
 * refused condition as "put src#1.2.3.4/state: ConditionalCheckFailed", a Query page as
 * "query quarantine: 2 read" (" after <sk>" when it continues). `itemsRead` counts the items every
 * read examined, as DynamoDB bills them (a Query before its filter).
 */
export function fakeTable(mock: AwsClientStub<DynamoDBClient>, table: string, options: TableFakeOptions = {}) {
  const items = new Map<string, Item>();
  const ops: string[] = [];
  let batchCalls = 0;
  let itemsRead = 0;
  /** A primary key: exactly `pk` and `sk`, both strings. */
  const keyOf = (k: Item | undefined): { pk: string; sk: string; id: string } => {
    const names = Object.keys(k ?? {}).sort();
    const pk = k?.pk?.S;
    const sk = k?.sk?.S;
    if (names.join() !== "pk,sk" || pk === undefined || sk === undefined) throw validation(`The provided key element does not match the schema: ${JSON.stringify(k)}`);
    return { pk, sk, id: itemId(pk, sk) };
  };
  const checkTable = (name: string | undefined) => {
    if (name !== table) throw new Error(`table fake: unexpected table ${name}`);
  };
  /** Evaluates a write's condition (if any) against the current item; refusals are logged and thrown. */
  const guard = (
    op: string,
    id: string,
    input: { ConditionExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values; ReturnValuesOnConditionCheckFailure?: string },
    extra?: (x: Expr) => void,
  ): Expr => {
    const x = new Expr(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    let ok = true;
    if (input.ConditionExpression !== undefined) {
      const cond = CONDITIONS[input.ConditionExpression];
      if (!cond) throw new Error(`table fake: unexpected ConditionExpression ${input.ConditionExpression}`);
      ok = cond(items.get(id), x);
    }
    extra?.(x);
    x.checkAllUsed();
    if (!ok) {
      ops.push(`${op} ${id}: ConditionalCheckFailed`);
      throw conditionFailed(input.ReturnValuesOnConditionCheckFailure === "ALL_OLD" ? items.get(id) : undefined);
    }
    return x;
  };

  mock.on(GetItemCommand).callsFake(async (input: { TableName?: string; Key?: Item; ConsistentRead?: boolean }) => {
    checkTable(input.TableName);
    if (input.ConsistentRead !== true) throw new Error("table fake: GetItem must be strongly consistent");
    const { id } = keyOf(input.Key);
    await options.beforeRead?.("GetItem", [id]);
    ops.push(`get ${id}`);
    const item = items.get(id);
    if (item) itemsRead++;
    return item ? { Item: structuredClone(item) } : {};
  });

  mock.on(BatchGetItemCommand).callsFake(async (input: { RequestItems?: Record<string, { Keys?: Item[]; ConsistentRead?: boolean }> }) => {
    const tables = Object.keys(input.RequestItems ?? {});
    if (tables.length !== 1) throw new Error(`table fake: BatchGetItem on ${tables.join(", ")}`);
    checkTable(tables[0]);
    const req = input.RequestItems![table];
    if (req.ConsistentRead !== true) throw new Error("table fake: BatchGetItem must be strongly consistent");
    const keys = (req.Keys ?? []).map(keyOf);
    const ids = keys.map((k) => k.id);
    if (ids.length === 0 || ids.length > 100) throw validation(`Too many items requested for the BatchGetItem call (${ids.length})`);
    if (new Set(ids).size !== ids.length) throw validation("Provided list of item keys contains duplicates");
    batchCalls++;
    await options.beforeRead?.("BatchGetItem", ids);
    const left = new Set(options.unprocessed?.(batchCalls, ids) ?? []);
    ops.push(`batchGet ${ids.filter((id) => !left.has(id)).join(",")}${left.size ? ` (unprocessed ${[...left].join(",")})` : ""}`);
    const found = ids.filter((id) => !left.has(id) && items.has(id)).map((id) => structuredClone(items.get(id)!));
    itemsRead += found.length;
    const unprocessed = keys.filter((k) => left.has(k.id)).map((k) => ({ pk: { S: k.pk }, sk: { S: k.sk } }));
    return {
      Responses: { [table]: found },
      UnprocessedKeys: unprocessed.length ? { [table]: { Keys: unprocessed, ConsistentRead: true } } : {},
    };
  });

  mock.on(PutItemCommand).callsFake(async (input: { TableName?: string; Item?: Item; ConditionExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values }) => {
    checkTable(input.TableName);
    const { id } = keyOf(input.Item ? { pk: input.Item.pk, sk: input.Item.sk } : undefined);
    await options.beforeWrite?.("PutItem", id);
    guard("put", id, input);
    ops.push(`put ${id}`);
    items.set(id, structuredClone(input.Item!));
    return {};
  });

  mock.on(UpdateItemCommand).callsFake(
    async (input: { TableName?: string; Key?: Item; UpdateExpression?: string; ConditionExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values; ReturnValues?: string; ReturnValuesOnConditionCheckFailure?: string }) => {
      checkTable(input.TableName);
      const { pk, sk, id } = keyOf(input.Key);
      await options.beforeWrite?.("UpdateItem", id);
      if (input.ReturnValues !== undefined && input.ReturnValues !== "UPDATED_OLD") throw new Error(`table fake: unexpected ReturnValues ${input.ReturnValues}`);
      const old = items.get(id);
      let next: Item = {};
      guard("update", id, input, (x) => {
        next = applySet(input.UpdateExpression ?? "", old ?? { pk: { S: pk }, sk: { S: sk } }, x);
      });
      ops.push(`update ${id}`);
      items.set(id, next);
      if (input.ReturnValues !== "UPDATED_OLD" || !old) return {};
      // The old values of the attributes the update set (here: every attribute it names).
      const set = new Set(Object.values(input.ExpressionAttributeNames ?? {}));
      return { Attributes: structuredClone(Object.fromEntries(Object.entries(old).filter(([k]) => set.has(k)))) };
    },
  );

  mock.on(DeleteItemCommand).callsFake(async (input: { TableName?: string; Key?: Item; ConditionExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values; ReturnValuesOnConditionCheckFailure?: string }) => {
    checkTable(input.TableName);
    const { id } = keyOf(input.Key);
    await options.beforeWrite?.("DeleteItem", id);
    guard("delete", id, input);
    ops.push(`delete ${id}`);
    items.delete(id);
    return {};
  });

  /**
   * One partition in range-key order, a page at a time; `LastEvaluatedKey` is the last item read
   * (filtered out or not) and the next page starts after it, even if it was deleted in between.
   */
  mock.on(QueryCommand).callsFake(
    async (input: { TableName?: string; ConsistentRead?: boolean; KeyConditionExpression?: string; FilterExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values; ExclusiveStartKey?: Item }) => {
      const extra = Object.keys(input).filter((k) => !QUERY_PARAMS.has(k));
      if (extra.length > 0) throw new Error(`table fake: unexpected Query parameters ${extra.join(", ")}`);
      checkTable(input.TableName);
      if (input.ConsistentRead !== true) throw new Error("table fake: Query must be strongly consistent");
      const keyCondition = KEY_CONDITIONS[input.KeyConditionExpression ?? ""];
      if (!keyCondition) throw new Error(`table fake: unexpected KeyConditionExpression ${input.KeyConditionExpression}`);
      const makeFilter = input.FilterExpression === undefined ? () => () => true : FILTERS[input.FilterExpression];
      if (!makeFilter) throw new Error(`table fake: unexpected FilterExpression ${input.FilterExpression}`);
      const x = new Expr(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
      const pk = keyCondition(x);
      const filter = makeFilter(x);
      x.checkAllUsed();
      const after = input.ExclusiveStartKey ? keyOf(input.ExclusiveStartKey) : undefined;
      if (after && after.pk !== pk) throw validation("The provided starting key is invalid: the hash key does not match the key condition");
      await options.beforeRead?.("Query", [pk]);

      const partition = [...items.values()].filter((item) => item.pk.S === pk).sort((a, b) => byBytes(a.sk.S!, b.sk.S!));
      const rest = after ? partition.filter((item) => byBytes(item.sk.S!, after.sk) > 0) : partition;
      const page = rest.slice(0, options.queryPageSize ?? 1000);
      itemsRead += page.length;
      ops.push(`query ${pk}: ${page.length} read${after ? ` after ${after.sk}` : ""}`);
      const last = page[page.length - 1];
      const more = page.length < rest.length;
      return {
        Items: page.filter(filter).map((item) => structuredClone(item)),
        ...(more ? { LastEvaluatedKey: { pk: { S: pk }, sk: { S: last.sk.S! } } } : {}),
      };
    },
  );

  return {
    items,
    ops,
    /** Items examined by every read so far (GetItem and BatchGetItem: those found; Query: every item of its pages). */
    itemsRead: (): number => itemsRead,
    /** The items whose `itemId` starts with `prefix`, by `itemId`, as plain JS values (numbers for N). */
    plain(prefix = ""): Record<string, Record<string, unknown>> {
      const out: Record<string, Record<string, unknown>> = {};
      for (const [id, item] of items) if (id.startsWith(prefix)) out[id] = plainItem(item);
      return out;
    },
    seed(item: Item): void {
      const { id } = keyOf({ pk: item.pk, sk: item.sk });
      items.set(id, structuredClone(item));
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
  /** The CIDRs of its source-ip condition (none: the rule has no such condition). */
  cidrs: string[];
  /** Where its plain forward goes: every rule lure creates has one. */
  targetGroupArn?: string;
  /** A user's rule that is not a plain forward (fixed-response, weighted forward…), listed as is. */
  actions?: Action[];
  /** A user's rule's conditions besides its source-ip one (host, path…). */
  conditions?: RuleCondition[];
  tags: Record<string, string>;
}

export interface ListenerFakeOptions {
  /** Rules per DescribeRules page at most (the caller's PageSize applies too). @default 400 */
  readonly pageSize?: number;
  /** Non-default rules the load balancer accepts (its quota). @default 100 */
  readonly maxRules?: number;
}

/** A plain forward as DescribeRules reports it: the group both as `TargetGroupArn` and as a one-group `ForwardConfig`. */
const plainForward = (targetGroupArn: string): Action => ({
  Type: "forward",
  TargetGroupArn: targetGroupArn,
  Order: 1,
  ForwardConfig: { TargetGroups: [{ TargetGroupArn: targetGroupArn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
});

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
  const newArn = (): string => `${arnPrefix}/${String(next++).padStart(16, "0")}`;

  mock.on(DescribeRulesCommand).callsFake((input: { ListenerArn?: string; Marker?: string; PageSize?: number }) => {
    if (input.ListenerArn !== listenerArn) throw new Error(`listener fake: DescribeRules on ${input.ListenerArn}`);
    const all = [
      ...[...rules.entries()]
        .sort((a, b) => a[1].priority - b[1].priority)
        .map(([arn, r]) => ({
          RuleArn: arn,
          Priority: String(r.priority),
          IsDefault: false,
          Conditions: [...(r.cidrs.length > 0 ? [{ Field: "source-ip", SourceIpConfig: { Values: [...r.cidrs] } }] : []), ...structuredClone(r.conditions ?? [])],
          Actions: r.actions ? structuredClone(r.actions) : [plainForward(r.targetGroupArn!)],
        })),
      { RuleArn: `${arnPrefix}/default`, Priority: "default", IsDefault: true, Conditions: [], Actions: [plainForward("arn:real")] },
    ];
    const from = input.Marker ? Number(input.Marker) : 0;
    const size = Math.min(input.PageSize ?? 400, options.pageSize ?? 400);
    ops.push(`describe ${from}`);
    const page = all.slice(from, from + size);
    return { Rules: page, ...(from + size < all.length ? { NextMarker: String(from + size) } : {}) };
  });

  mock.on(CreateRuleCommand).callsFake((input: { ListenerArn?: string; Priority?: number; Conditions?: RuleCondition[]; Actions?: Action[]; Tags?: { Key?: string; Value?: string }[] }) => {
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
    if (action?.Type !== "forward" || !action.TargetGroupArn || action.ForwardConfig) throw new Error(`listener fake: unexpected actions ${JSON.stringify(input.Actions)}`);
    const arn = newArn();
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
    // As on AWS, the conditions given replace all of the rule's conditions.
    rule.cidrs = cidrsOf(input.Conditions);
    delete rule.conditions;
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
    /** A plain forward on source IPs that lure did not create (the user's own, or one of lure's left from before). */
    seed(priority: number, cidrs: string[], targetGroupArn = "arn:user", tags: Record<string, string> = {}): string {
      const arn = newArn();
      rules.set(arn, { priority, cidrs, targetGroupArn, tags });
      return arn;
    },
    /** A user's rule with its own actions and extra conditions (no source-ip condition when `cidrs` is empty). */
    seedRule(priority: number, rule: { cidrs?: string[]; actions: Action[]; conditions?: RuleCondition[] }): string {
      if ((rule.cidrs ?? []).length === 0 && (rule.conditions ?? []).length === 0) throw new Error("listener fake: a rule needs a condition");
      const arn = newArn();
      rules.set(arn, { priority, cidrs: rule.cidrs ?? [], actions: structuredClone(rule.actions), ...(rule.conditions ? { conditions: structuredClone(rule.conditions) } : {}), tags: {} });
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

/**
 * One target group as DescribeTargetHealth reports it: a target per entry of `states()` (read at each
 * call, so it can follow a service fake). Any parameter but the group's ARN is an error (`Targets`
 * would ask about some targets only).
 */
export function fakeTargetGroup(mock: AwsClientStub<ElasticLoadBalancingV2Client>, targetGroupArn: string, states: () => readonly TargetHealthStateEnum[]) {
  const ops: string[] = [];
  mock.on(DescribeTargetHealthCommand).callsFake((input: Record<string, unknown>) => {
    if (Object.keys(input).join() !== "TargetGroupArn" || input.TargetGroupArn !== targetGroupArn) throw new Error(`target group fake: DescribeTargetHealth ${JSON.stringify(input)}`);
    const now = states();
    ops.push(`health ${now.join(",") || "none"}`);
    return {
      TargetHealthDescriptions: now.map((State, i) => ({
        Target: { Id: `10.0.1.${10 + i}`, Port: 8080, AvailabilityZone: "eu-west-1a" },
        HealthCheckPort: "8080",
        TargetHealth: State === "healthy" ? { State } : { State, Reason: "Elb.RegistrationInProgress", Description: "Target registration is in progress" },
      })),
    };
  });
  return { ops };
}

export interface ServiceFakeOptions {
  /** Tasks start only when `settle()` is called (else at once, on each UpdateService). @default false */
  readonly slowStart?: boolean;
}

/**
 * One ECS service's desired count, and its running tasks: they follow the desired count at once, or
 * on `settle()` with `slowStart`. `targetStates()` is what its target group reports: running tasks
 * healthy, tasks still starting "initial", tasks stopping "draining".
 */
export function fakeService(mock: AwsClientStub<ECSClient>, cluster: string, service: string, desiredCount = 0, options: ServiceFakeOptions = {}) {
  const state = {
    desiredCount,
    running: desiredCount,
    updates: [] as number[],
    settle(): void {
      state.running = state.desiredCount;
    },
    targetStates(): TargetHealthStateEnum[] {
      const up = Math.min(state.running, state.desiredCount);
      return [
        ...Array<TargetHealthStateEnum>(up).fill("healthy"),
        ...Array<TargetHealthStateEnum>(Math.max(0, state.desiredCount - state.running)).fill("initial"),
        ...Array<TargetHealthStateEnum>(Math.max(0, state.running - state.desiredCount)).fill("draining"),
      ];
    },
  };
  mock.on(UpdateServiceCommand).callsFake((input: { cluster?: string; service?: string; desiredCount?: number }) => {
    if (input.cluster !== cluster || input.service !== service) throw new Error(`ecs fake: UpdateService on ${input.cluster}/${input.service}`);
    state.desiredCount = input.desiredCount ?? state.desiredCount;
    state.updates.push(state.desiredCount);
    if (!options.slowStart) state.settle();
    return { service: { serviceName: service, desiredCount: state.desiredCount } };
  });
  mock.on(DescribeServicesCommand).callsFake((input: { cluster?: string; services?: string[] }) => {
    if (input.cluster !== cluster || input.services?.length !== 1 || input.services[0] !== service) throw new Error(`ecs fake: DescribeServices ${JSON.stringify(input)}`);
    return { services: [{ serviceName: service, desiredCount: state.desiredCount, runningCount: state.running }], failures: [] };
  });
  return state;
}
