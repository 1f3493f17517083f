/**
 * Adapter: steering in a Cloud Armor security policy (global, type CLOUD_ARMOR, on the router's
 * backend service). A lure rule matches a few source addresses and adds the steering header
 * (`STEER_HEADER: STEER_HEADER_VALUE`); the Envoy router in front of the real service sends requests
 * carrying it to the copies. `SteeringRule.id` is the rule's priority (Cloud Armor keys rules by
 * priority), as a string.
 *
 * A rule of the policy is lure's only when ALL of these hold; every other rule (in the band or not,
 * the default rule at 2147483647 included) is someone else's: its priority goes to `otherPriorities`
 * and it is never patched or removed.
 * - priority in `[firstPriority, firstPriority + ruleQuota)`;
 * - `action` "allow", not `preview`;
 * - `match.versionedExpr` "SRC_IPS_V1" with 1..`cidrsPerRule` `match.config.srcIpRanges`, each one
 *   address (`/32`, `/128` or bare), and no `expr`;
 * - `headerAction.requestHeadersToAdds` exactly `[{ headerName: STEER_HEADER, headerValue: STEER_HEADER_VALUE }]`;
 * - nothing else that changes what the rule does (redirect, rate limit, WAF config, network match).
 *
 * Writes. create → `addRule`, modify → `patchRule` (the whole rule, at its priority), delete →
 * `removeRule`; each returns a global operation, waited for with `GlobalOperationsClient.wait`
 * (bounded), and an operation ending in an error is that change's error.
 *
 * Concurrency. What the API guarantees: the rule methods take no fingerprint or etag, so no write can
 * be made conditional on the policy read. The policy's `fingerprint` only fences `patch` of the
 * policy itself (412 on a stale one), and that method cannot change rules [doc: compute.proto
 * SecurityPolicy.fingerprint; SecurityPolicies.Patch]. Whether a rule change moves the fingerprint is
 * not documented **[unverified]**. So before each change the adapter reads the policy again and
 * compares EVERY rule (priority and content, others' included) with what it read last plus the
 * changes it made itself since: any difference (someone added, edited or removed a rule) is a
 * `ConflictError` carrying both fingerprints, and the engine lists and plans again. The window left
 * is between that read and the write (tens of milliseconds): another reconciler of lure is excluded
 * by the engine's lease; a person's `addRule` on the same priority makes ours fail "already exists"
 * (400/409), also a `ConflictError`; a patch or removal of a rule removed meanwhile (404) is a
 * `ConflictError`. A modify or delete can only touch a rule that was lure's at the read just before.
 *
 * Limits: `cidrsPerRule` (10) ranges a rule; the rules the project may hold in all
 * (`SECURITY_POLICY_RULES` quota) are **[unverified]**: an `addRule` refused for a quota or rule limit
 * is a `RuleQuotaError`, on which the engine keeps the rules it has and evicts the rest.
 *
 * Errors: 429 / RESOURCE_EXHAUSTED and 5xx are retried with bounded, jittered backoff (google-errors.ts;
 * a retried `addRule` that had landed answers "already exists", which re-plans, never duplicates);
 * 403 and 404 on the policy become a `SteeringAccessError` naming the policy and the permission.
 *
 * @example
 * const steering = armorSteering(new SecurityPoliciesClient(), new GlobalOperationsClient(), {
 *   project, policy: "lure-quarantine", steering: cloudArmorSteeringOptions(40), prefix: "lure",
 *   healthyTargets: copiesHealth(new ServicesClient(), { project, region, service: "lure-copies" }),
 * });
 */
import { isIP } from "node:net";
import { toCidr } from "../../core/planner";
import { ConflictError, type ListenerRules, type RuleChange, type SteeringOptions, type SteeringPort, type SteeringRule } from "../../core/quarantine-types";
import { ready, type GaxClientLike } from "../gax";
import { contextError, errorText, kindOf, withRetries, type RetryOptions } from "./google-errors";
import { STEER_HEADER, STEER_HEADER_VALUE } from "./contract";

/** A Cloud Armor rule as the REST client gives it (enums as names); the parts read or written. */
export interface ArmorRule {
  priority?: number | null;
  action?: string | null;
  description?: string | null;
  preview?: boolean | null;
  match?: {
    versionedExpr?: string | null;
    config?: { srcIpRanges?: string[] | null } | null;
    expr?: { expression?: string | null } | null;
    exprOptions?: unknown;
  } | null;
  headerAction?: { requestHeadersToAdds?: { headerName?: string | null; headerValue?: string | null }[] | null } | null;
  redirectOptions?: unknown;
  rateLimitOptions?: unknown;
  preconfiguredWafConfig?: unknown;
  networkMatch?: unknown;
}

/** The rule lure writes. */
export interface ArmorRuleInput {
  priority: number;
  action: "allow";
  description: string;
  preview: false;
  match: { versionedExpr: string; config: { srcIpRanges: string[] } };
  headerAction: { requestHeadersToAdds: { headerName: string; headerValue: string }[] };
}

/** A security policy as read (the parts used). */
export interface ArmorPolicy {
  name?: string | null;
  fingerprint?: string | null;
  rules?: ArmorRule[] | null;
}

/** A global operation (the parts read); `status` "DONE" when finished. */
export interface GlobalOperation {
  name?: string | null;
  status?: string | number | null;
  error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null;
  httpErrorStatusCode?: number | null;
  httpErrorMessage?: string | null;
}

/** What the rule methods resolve to first: an `LROperation` whose `latestResponse` is the operation. */
type Started = Promise<readonly [{ readonly latestResponse?: unknown }, ...unknown[]]>;

/** The calls made (structurally parts of `SecurityPoliciesClient` of @google-cloud/compute v1; see the check at the end). */
export interface SecurityPoliciesApi extends GaxClientLike {
  get(request: { project: string; securityPolicy: string }): Promise<readonly [ArmorPolicy, ...unknown[]]>;
  addRule(request: { project: string; securityPolicy: string; securityPolicyRuleResource: ArmorRuleInput }): Started;
  patchRule(request: { project: string; securityPolicy: string; priority: number; securityPolicyRuleResource: ArmorRuleInput }): Started;
  removeRule(request: { project: string; securityPolicy: string; priority: number }): Started;
}

/** The call made (structurally `GlobalOperationsClient.wait`, which returns when DONE or after about 2 minutes). */
export interface GlobalOperationsApi extends GaxClientLike {
  wait(request: { project: string; operation: string }): Promise<readonly [GlobalOperation, ...unknown[]]>;
}

export interface ArmorSteeringOptions extends RetryOptions {
  readonly project: string;
  /** The policy's name. */
  readonly policy: string;
  readonly steering: SteeringOptions;
  /** Written in each rule's description (`lure quarantine (<prefix>)`). */
  readonly prefix: string;
  /** Copies able to take steered traffic (copies.ts `copiesHealth`). */
  readonly healthyTargets: () => Promise<number>;
  /** `wait` calls per operation. @default MAX_OPERATION_WAITS */
  readonly operationWaits?: number;
}

/** `wait` calls per operation before giving up (each waits up to about 2 minutes server-side). */
export const MAX_OPERATION_WAITS = 3;
/** `Operation.Status.DONE` as a number (the REST client gives the name, "DONE"). */
const OPERATION_DONE = 2104194;
/** Cloud Armor's match of source ranges. */
export const SRC_IPS_V1 = "SRC_IPS_V1";

/** The policy (or project) holds all the rules it accepts: the engine keeps what it has and evicts the rest. */
export class RuleQuotaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RuleQuotaError";
  }
}

/** The policy is missing or the function may not use it: a deployment problem, not a hiccup. */
export class SteeringAccessError extends Error {
  override readonly name = "SteeringAccessError";
}

/** An `addRule` refused for a limit (the message shapes are [unverified]; rate limits are retried before this is asked). */
const QUOTA_TEXT = /quota|exceed|limit|too many/i;

const isEmpty = (v: unknown): boolean =>
  v === undefined || v === null || (typeof v === "object" && Object.values(v as object).every((x) => isEmpty(x) || (Array.isArray(x) && x.length === 0)));

/** A single-address range as lure writes it (`/32`, `/128`; bare addresses read as those), or undefined. */
export function singleAddress(range: string): string | undefined {
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(range.trim());
  if (!m) return undefined;
  const v = isIP(m[1]);
  if (v === 0) return undefined;
  if (m[2] !== undefined && Number(m[2]) !== (v === 4 ? 32 : 128)) return undefined;
  return toCidr(m[1]);
}

/** `v` without empty values, its keys sorted: two reads of one rule give one text. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (!isEmpty(x) && !(Array.isArray(x) && x.length === 0)) out[k] = canonical(x);
  }
  return out;
}

/**
 * What a rule must still be at the next read: lure's rules by their set of addresses (so the API's
 * own spelling of what lure wrote does not count as a change), anyone else's by everything that
 * decides what it does (the description and `kind` aside).
 */
const lureExpect = (cidrs: readonly string[]): string => `lure:${[...cidrs].sort().join(",")}`;
function otherExpect(r: ArmorRule): string {
  const { action, preview, match, headerAction, redirectOptions, rateLimitOptions, preconfiguredWafConfig, networkMatch } = r;
  return `other:${JSON.stringify(canonical({ action, preview: preview === true, match, headerAction, redirectOptions, rateLimitOptions, preconfiguredWafConfig, networkMatch }))}`;
}

/** The rule lure writes for these CIDRs. */
export function steeringRule(priority: number, cidrs: readonly string[], prefix: string): ArmorRuleInput {
  return {
    priority,
    action: "allow",
    description: `lure quarantine (${prefix})`,
    preview: false,
    match: { versionedExpr: SRC_IPS_V1, config: { srcIpRanges: [...cidrs] } },
    headerAction: { requestHeadersToAdds: [{ headerName: STEER_HEADER, headerValue: STEER_HEADER_VALUE }] },
  };
}

/** lure's CIDRs of this rule, or undefined when the rule is someone else's (the priority band is checked by the caller). */
export function lureCidrs(r: ArmorRule, cidrsPerRule: number): string[] | undefined {
  if (r.action !== "allow" || r.preview === true) return undefined;
  const m = r.match;
  if (!m || m.versionedExpr !== SRC_IPS_V1 || !isEmpty(m.expr) || !isEmpty(m.exprOptions)) return undefined;
  const ranges = m.config?.srcIpRanges ?? [];
  if (ranges.length === 0 || ranges.length > cidrsPerRule) return undefined;
  const cidrs = ranges.map(singleAddress);
  if (cidrs.some((c) => c === undefined) || new Set(cidrs).size !== cidrs.length) return undefined;
  const adds = r.headerAction?.requestHeadersToAdds ?? [];
  if (adds.length !== 1 || adds[0].headerName !== STEER_HEADER || adds[0].headerValue !== STEER_HEADER_VALUE) return undefined;
  if (!isEmpty(r.redirectOptions) || !isEmpty(r.rateLimitOptions) || !isEmpty(r.preconfiguredWafConfig) || !isEmpty(r.networkMatch)) return undefined;
  return cidrs as string[];
}

/** The SteeringPort on one Cloud Armor policy. */
export function armorSteering(policies: SecurityPoliciesApi, operations: GlobalOperationsApi, options: ArmorSteeringOptions): SteeringPort {
  const { project, policy, steering, prefix } = options;
  const where = { project, securityPolicy: policy };
  const waits = options.operationWaits ?? MAX_OPERATION_WAITS;
  const last = steering.firstPriority + steering.ruleQuota - 1;
  const inBand = (p: number): boolean => p >= steering.firstPriority && p <= last;
  /** Every rule as last read, plus the changes made since (priority → what it must be), and that read's fingerprint. */
  let model: { rules: Map<number, string>; lure: Map<number, string[]>; fingerprint: string | undefined } | undefined;

  function accessError(err: unknown, what: string, permission: string): Error {
    const kind = kindOf(err);
    if (kind === "denied") return contextError((m) => new SteeringAccessError(m), `${what}: permission denied on Cloud Armor policy ${policy} (project ${project}; the function's service account needs ${permission})`, err);
    if (kind === "not-found") return contextError((m) => new SteeringAccessError(m), `${what}: Cloud Armor policy ${policy} not found in project ${project}`, err);
    return contextError((m) => new Error(m), `${what} (Cloud Armor policy ${policy})`, err);
  }

  async function readPolicy(): Promise<ArmorPolicy> {
    try {
      return (await withRetries(async () => (await (await ready(policies)).get(where))[0], options)) ?? {};
    } catch (err) {
      throw accessError(err, "reading the policy", "compute.securityPolicies.get");
    }
  }

  function split(p: ArmorPolicy): { rules: Map<number, string>; lure: Map<number, string[]> } {
    const rules = new Map<number, string>();
    const lure = new Map<number, string[]>();
    for (const r of p.rules ?? []) {
      if (typeof r.priority !== "number") continue;
      const cidrs = inBand(r.priority) ? lureCidrs(r, steering.cidrsPerRule) : undefined;
      rules.set(r.priority, cidrs ? lureExpect(cidrs) : otherExpect(r));
      if (cidrs) lure.set(r.priority, cidrs);
    }
    return { rules, lure };
  }

  /** Waits for a global operation; rejects with its error (shaped like an API error), or when it does not finish. */
  async function untilDone(started: { readonly latestResponse?: unknown }): Promise<void> {
    let op = (started.latestResponse ?? {}) as GlobalOperation;
    for (let n = 0; op.status !== "DONE" && op.status !== OPERATION_DONE; n++) {
      if (!op.name) throw new Error("the Compute API returned no operation name to wait for");
      if (n >= waits) throw new Error(`operation ${op.name} is still ${op.status ?? "unknown"} after ${n} waits`);
      const name = op.name;
      [op] = await withRetries(async () => (await (await ready(operations)).wait({ project, operation: name })), options);
    }
    const errors = op.error?.errors ?? [];
    if (errors.length > 0) {
      const text = errors.map((e) => `${e.code ?? "ERROR"}: ${e.message ?? ""}`).join("; ");
      throw Object.assign(new Error(`operation ${op.name ?? "?"} failed: ${text}`), { code: op.httpErrorStatusCode ?? undefined, errors: errors.map((e) => ({ reason: e.code, message: e.message })) });
    }
  }

  /** One rule method and its operation, retried as a whole on throttling and server errors. */
  async function call(request: () => Started): Promise<void> {
    await withRetries(async () => untilDone((await request())[0]), options);
  }

  /** The policy read again must be what the model says; else someone changed it. */
  async function checkUnchanged(change: RuleChange): Promise<NonNullable<typeof model>> {
    if (!model) throw new ConflictError(`Cloud Armor policy ${policy}: not read since the last failed change; read it again before applying ${change.kind} at ${change.priority}`);
    const fresh = await readPolicy();
    const now = split(fresh);
    const differs = now.rules.size !== model.rules.size || [...now.rules].some(([p, sig]) => model!.rules.get(p) !== sig);
    if (differs) {
      const before = model.fingerprint;
      model = undefined;
      throw new ConflictError(`Cloud Armor policy ${policy} changed since it was read (fingerprint ${before ?? "?"} → ${fresh.fingerprint ?? "?"}); not applying ${change.kind} at ${change.priority}`);
    }
    model.fingerprint = fresh.fingerprint ?? undefined;
    return model;
  }

  function checkCidrs(change: { priority: number; cidrs: readonly string[] }): void {
    if (!inBand(change.priority)) throw new Error(`priority ${change.priority} is outside lure's band ${steering.firstPriority}..${last}`);
    if (change.cidrs.length === 0 || change.cidrs.length > steering.cidrsPerRule) throw new Error(`a rule holds 1..${steering.cidrsPerRule} ranges, not ${change.cidrs.length}`);
    for (const c of change.cidrs) if (singleAddress(c) !== c) throw new Error(`${JSON.stringify(c)} is not a single-address CIDR as lure writes them`);
  }

  function writeError(err: unknown, change: RuleChange, permission: string): Error {
    const kind = kindOf(err);
    const what = `${change.kind} of rule ${change.priority}`;
    if (change.kind === "create" && kind === "already-exists") return new ConflictError(`${what}: priority ${change.priority} was taken meanwhile (${errorText(err)})`);
    if (change.kind !== "create" && kind === "not-found") return new ConflictError(`${what}: the rule is gone (${errorText(err)})`);
    if (kind === "aborted" || kind === "precondition") return new ConflictError(`${what}: ${errorText(err)}`);
    if (change.kind === "create" && (kind === "invalid" || kind === "denied" || kind === "throttled" || kind === "other") && QUOTA_TEXT.test(errorText(err)) && !/permission/i.test(errorText(err))) {
      return contextError((m) => new RuleQuotaError(m), `${what}: the policy takes no more rules`, err);
    }
    return accessError(err, what, permission);
  }

  return {
    async readRules(): Promise<ListenerRules> {
      const p = await readPolicy();
      const { rules, lure } = split(p);
      model = { rules, lure, fingerprint: p.fingerprint ?? undefined };
      const mine: SteeringRule[] = [...lure].sort(([a], [b]) => a - b).map(([priority, cidrs]) => ({ id: String(priority), priority, cidrs }));
      const otherPriorities = [...rules.keys()].filter((q) => !lure.has(q)).sort((a, b) => a - b);
      return { rules: mine, otherPriorities };
    },

    healthyTargets: () => options.healthyTargets(),

    async apply(change: RuleChange): Promise<void> {
      if (change.kind !== "delete") checkCidrs(change);
      const m = await checkUnchanged(change);
      if (change.kind === "create") {
        if (m.rules.has(change.priority)) throw new ConflictError(`create of rule ${change.priority}: the priority is taken`);
      } else if (change.id !== String(change.priority) || !m.lure.has(change.priority)) {
        throw new ConflictError(`${change.kind} of rule ${change.id} at ${change.priority}: not one of lure's rules in the policy`);
      }
      const rule = change.kind === "delete" ? undefined : steeringRule(change.priority, change.cidrs, prefix);
      try {
        if (change.kind === "create") {
          await call(async () => (await ready(policies)).addRule({ ...where, securityPolicyRuleResource: rule! }));
        } else if (change.kind === "modify") {
          await call(async () => (await ready(policies)).patchRule({ ...where, priority: change.priority, securityPolicyRuleResource: rule! }));
        } else {
          await call(async () => (await ready(policies)).removeRule({ ...where, priority: change.priority }));
        }
      } catch (err) {
        // What the policy holds now is unknown: the next apply must read it afresh and compare to a fresh read.
        model = undefined;
        // addRule, patchRule and removeRule all need compute.securityPolicies.update [doc: REST reference].
        throw writeError(err, change, "compute.securityPolicies.update");
      }
      if (change.kind !== "delete") {
        m.rules.set(change.priority, lureExpect(change.cidrs));
        m.lure.set(change.priority, [...change.cidrs]);
      } else {
        m.rules.delete(change.priority);
        m.lure.delete(change.priority);
      }
    },
  };
}

// Compile-time check that the SDK's clients fit the interfaces above.
type SdkSecurityPolicies = import("@google-cloud/compute").v1.SecurityPoliciesClient;
type SdkGlobalOperations = import("@google-cloud/compute").v1.GlobalOperationsClient;
type FitsPolicies<T extends SecurityPoliciesApi> = T;
type FitsOperations<T extends GlobalOperationsApi> = T;
/** `SecurityPoliciesClient`, proven to fit `SecurityPoliciesApi`. */
export type SdkSecurityPoliciesFit = FitsPolicies<SdkSecurityPolicies>;
/** `GlobalOperationsClient`, proven to fit `GlobalOperationsApi`. */
export type SdkGlobalOperationsFit = FitsOperations<SdkGlobalOperations>;
