/**
 * Adapter: steering on an Application Gateway v2. lure's rules are rewrite rules in one rewrite rule
 * set (attached to a path rule of a URL path map). Each has one condition, server variable
 * `var_client_ip` against an anchored alternation of escaped addresses (`^(198\.51\.100\.7|2001:db8::1)$`),
 * and a URL rewrite to `rewritePath` with `reroute` (path-map re-evaluation), which the path map
 * sends to the copies' backend pool. `SteeringRule.id` is the rewrite rule's name, `priority` its
 * `ruleSequence`.
 *
 * A rule of the set is lure's only when its sequence is in lure's band and it has exactly that shape
 * (one non-negated `var_client_ip` condition whose pattern lure would write, a URL rewrite to
 * `rewritePath` with reroute and no query string, no header actions). Any other rule, even in the
 * band, is someone else's: listed in `otherPriorities`, written back byte for byte, never changed.
 *
 * Batching. Every change is a PUT of the whole gateway that takes minutes, and the engine applies a
 * plan one change at a time, so `apply` only edits a draft of the set (checked against what the
 * gateway would accept: a taken sequence is a `ConflictError`, a full set a `RuleQuotaError`, as the
 * engine expects) and `flush` writes the draft in ONE PUT. `readRules` flushes first, so within the
 * engine's plan–apply rounds each round's plan is one PUT made at the start of the next round, under
 * the engine's lease, and the next plan is made from what the PUT returned. The last round's changes
 * are written by the next `readRules` or by `flush()`, which the handler calls once the engine
 * returns (nothing to write is no call).
 *
 * Concurrency. The PUT carries `If-Match` with the ETag of the read the draft was made from. A 412
 * means someone changed the gateway in between: the draft is dropped (never written over their
 * change) and `readRules` reads the gateway again, so the engine plans again from it; `flush()`
 * throws `ConflictError`. A 409 (another update of the gateway still running) is handled the same
 * way. A flush after the lease is gone is therefore still safe: it either lands on the gateway it was
 * planned from or is refused.
 *
 * @example
 * const steering = gatewaySteering(new NetworkManagementClient(credential, subscriptionId, clientOptions()).applicationGateways, {
 *   resourceGroup: "lure-rg", gatewayName: "lure-agw", rewriteRuleSetName: "lure-quarantine",
 *   copiesPoolName: "lure-copies", rewritePath: "/lure-copies{var_uri_path}", prefix: "lure",
 *   steering: { firstPriority: 100, ...GATEWAY_STEERING_LIMITS },
 * });
 * try { await tick({ store, steering, copies, config, owner }, now); } finally { await steering.flush(); }
 */
import { isIP } from "node:net";
import type { ApplicationGateway, ApplicationGatewayBackendHealth, ApplicationGatewayRewriteRule, ApplicationGatewayRewriteRuleSet } from "@azure/arm-network";
import { toCidr } from "../../core/planner";
import { ConflictError, type ListenerRules, type RuleChange, type SteeringOptions, type SteeringPort, type SteeringRule } from "../../core/quarantine-types";
import { codeOf, statusOf } from "../azure-errors";

/** Rewrite rules ("rewrite configurations") per rewrite rule set [doc: application-gateway-limits]. */
export const REWRITE_RULES_PER_SET = 40;
/** Conditions per rewrite rule set, every rule's conditions together [doc: application-gateway-limits]. */
export const CONDITIONS_PER_SET = 40;
/**
 * Longest condition pattern lure writes. Azure documents no limit for a condition's regex
 * ([unverified], a live test in clouds-2026.md §6); this is a conservative guess, and the option of the
 * same name raises it once a live test has found the real one.
 */
export const DEFAULT_MAX_PATTERN_LENGTH = 256;
/** Longest address in a pattern: a full IPv6 address (8 groups of 4 hex digits); IPv4 escaped is 18. */
const LONGEST_ADDRESS = 39;

/**
 * The `SteeringOptions` values for a gateway: the whole set is lure's band and the set's limit is the
 * "load balancer's" total; 5 addresses per rule fit the default pattern length at worst case (203
 * characters). `firstPriority` (the first rule sequence) is the deployment's choice.
 */
export const GATEWAY_STEERING_LIMITS = { ruleQuota: REWRITE_RULES_PER_SET, albRuleLimit: REWRITE_RULES_PER_SET, cidrsPerRule: 5 } as const satisfies Partial<SteeringOptions>;

/** First rule sequence of lure's rules on a gateway it deploys (the set is lure's alone). */
export const FIRST_RULE_SEQUENCE = 100;

/**
 * The steering settings on an Application Gateway: the config's rule quota, at most the set's
 * {@link REWRITE_RULES_PER_SET}, from {@link FIRST_RULE_SEQUENCE}. The deployment and `lure simulate
 * --format azure-vnet` both use it, so a simulation plans the rules a gateway would get.
 */
export function gatewaySteeringOptions(ruleQuota: number): SteeringOptions {
  return { firstPriority: FIRST_RULE_SEQUENCE, ...GATEWAY_STEERING_LIMITS, ruleQuota: Math.min(ruleQuota, REWRITE_RULES_PER_SET) };
}

/** The server variable of the TCP peer's address, as the ARM API spells it. */
export const CLIENT_IP_VARIABLE = "var_client_ip";

/** The calls made on `NetworkManagementClient.applicationGateways` (its own type fits; see the check at the end). */
export interface ApplicationGatewaysApi {
  get(resourceGroupName: string, applicationGatewayName: string): Promise<ApplicationGateway>;
  beginCreateOrUpdateAndWait(
    resourceGroupName: string,
    applicationGatewayName: string,
    parameters: ApplicationGateway,
    options: { requestOptions: { customHeaders: Record<string, string> } },
  ): Promise<ApplicationGateway>;
  beginBackendHealthAndWait(resourceGroupName: string, applicationGatewayName: string): Promise<ApplicationGatewayBackendHealth>;
}

export interface GatewaySteeringOptions {
  readonly resourceGroup: string;
  readonly gatewayName: string;
  /** The rewrite rule set that holds lure's rules (made by Terraform, which ignores its rules). */
  readonly rewriteRuleSetName: string;
  /** The copies' backend pool: its health is `healthyTargets()`, and a path rule of the set's path map must send `rewritePath` to it. */
  readonly copiesPoolName: string;
  /** The path lure's rules rewrite to (may use server variables); the path map routes it to the copies' pool. */
  readonly rewritePath: string;
  /** Rule names are `<prefix>-quarantine-<sequence>`. */
  readonly prefix: string;
  /** `firstPriority`/`ruleQuota` are rule sequences; `albRuleLimit` the rules of the set; `cidrsPerRule` the addresses of one pattern. */
  readonly steering: SteeringOptions;
  /** @default DEFAULT_MAX_PATTERN_LENGTH */
  readonly maxPatternLength?: number;
  readonly log?: (event: string, fields: Readonly<Record<string, unknown>>) => void;
}

/** The set would exceed what the gateway accepts: the engine knows this error by its name. */
export class RuleQuotaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RuleQuotaError";
  }
}

/** A `SteeringPort` that writes in batches: `flush` writes what `apply` drafted (see the file header). */
export interface GatewaySteering extends SteeringPort {
  /** Writes the drafted changes in one PUT; returns how many were written (0: no call). ConflictError on a 412. */
  flush(): Promise<number>;
  /** Changes drafted and not yet written. */
  pending(): number;
}

/** Escapes what a regular expression treats as special (only `.` occurs in an address lure writes). */
const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** The bare address of a `/32` or `/128` CIDR. */
function addressOf(cidr: string): string {
  const slash = cidr.lastIndexOf("/");
  const ip = slash < 0 ? cidr : cidr.slice(0, slash);
  const bits = slash < 0 ? "" : cidr.slice(slash + 1);
  const version = isIP(ip);
  if ((version === 4 && bits === "32") || (version === 6 && bits === "128")) return ip;
  throw new Error(`"${cidr}" is not a single-address CIDR (/32 or /128)`);
}

/** The condition pattern of these CIDRs: `^(a|b|c)$`, each address escaped, the whole anchored. */
export function clientIpPattern(cidrs: readonly string[]): string {
  if (cidrs.length === 0) throw new Error("a rule needs at least one address");
  return `^(${cidrs.map((c) => escapeRegex(addressOf(c))).join("|")})$`;
}

/** The CIDRs of a pattern lure wrote, or undefined when it is not exactly one lure would write. */
export function parseClientIpPattern(pattern: string | undefined): string[] | undefined {
  const m = /^\^\((.+)\)\$$/.exec(pattern ?? "");
  if (!m) return undefined;
  const cidrs: string[] = [];
  for (const part of m[1].split("|")) {
    const ip = part.replace(/\\\./g, ".");
    if (isIP(ip) === 0) return undefined;
    cidrs.push(toCidr(ip));
  }
  // Only the exact spelling lure writes (escaped, RFC 5952 IPv6): `1.2.3.4` unescaped matches `1x2.3.4`.
  return clientIpPattern(cidrs) === pattern ? cidrs : undefined;
}

/** Worst-case pattern length for `n` addresses. */
export const worstCasePatternLength = (n: number): number => 4 + n * LONGEST_ADDRESS + Math.max(0, n - 1);

const lastSegment = (id: string | undefined): string | undefined => id?.split("/").pop();
const sameName = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** The `SteeringPort` on one Application Gateway's rewrite rule set. */
export function gatewaySteering(api: ApplicationGatewaysApi, options: GatewaySteeringOptions): GatewaySteering {
  const { resourceGroup, gatewayName, rewriteRuleSetName, copiesPoolName, rewritePath, prefix, log } = options;
  const { firstPriority, ruleQuota, cidrsPerRule } = options.steering;
  const maxPatternLength = options.maxPatternLength ?? DEFAULT_MAX_PATTERN_LENGTH;
  checkOptions(options, maxPatternLength);
  const lastPriority = firstPriority + ruleQuota - 1;
  const where = `rewrite rule set "${rewriteRuleSetName}" of gateway ${resourceGroup}/${gatewayName}`;

  const lureRule = (seq: number, name: string, cidrs: readonly string[]): ApplicationGatewayRewriteRule => ({
    name,
    ruleSequence: seq,
    conditions: [{ variable: CLIENT_IP_VARIABLE, pattern: clientIpPattern(cidrs), ignoreCase: true, negate: false }],
    actionSet: { requestHeaderConfigurations: [], responseHeaderConfigurations: [], urlConfiguration: { modifiedPath: rewritePath, reroute: true } },
  });

  /** lure's view of a rewrite rule: its CIDRs when it is lure's, else undefined. */
  function lures(rule: ApplicationGatewayRewriteRule): SteeringRule | undefined {
    const seq = rule.ruleSequence;
    if (seq === undefined || seq < firstPriority || seq > lastPriority || !rule.name) return undefined;
    if (rule.conditions?.length !== 1) return undefined;
    const [c] = rule.conditions;
    if (c.variable !== CLIENT_IP_VARIABLE || c.negate === true) return undefined;
    const a = rule.actionSet;
    if ((a?.requestHeaderConfigurations?.length ?? 0) > 0 || (a?.responseHeaderConfigurations?.length ?? 0) > 0) return undefined;
    const url = a?.urlConfiguration;
    if (url?.modifiedPath !== rewritePath || url.reroute !== true || (url.modifiedQueryString ?? "") !== "") return undefined;
    const cidrs = parseClientIpPattern(c.pattern);
    return cidrs ? { id: rule.name, priority: seq, cidrs } : undefined;
  }

  /** The gateway as last read or written, and the draft of the set's rules made on it. */
  let base: { gateway: ApplicationGateway; etag: string } | undefined;
  let draft: ApplicationGatewayRewriteRule[] = [];
  let drafted = 0;

  function ruleSetOf(gateway: ApplicationGateway): ApplicationGatewayRewriteRuleSet {
    const set = gateway.rewriteRuleSets?.find((s) => sameName(s.name, rewriteRuleSetName));
    if (!set) throw new Error(`${where}: no such set. It is made with the gateway (Terraform); lure only changes its rules.`);
    checkWiring(gateway, set);
    return set;
  }

  /** The set must be on a path rule whose path map can send `rewritePath` to the copies: else rules would do nothing. */
  function checkWiring(gateway: ApplicationGateway, set: ApplicationGatewayRewriteRuleSet): void {
    const maps = (gateway.urlPathMaps ?? []).filter(
      (m) => sameName(lastSegment(m.defaultRewriteRuleSet?.id), set.name!) || (m.pathRules ?? []).some((p) => sameName(lastSegment(p.rewriteRuleSet?.id), set.name!)),
    );
    if (maps.length === 0) throw new Error(`${where}: the set is on no path rule of a URL path map, so its rules would not run (reroute needs path-based routing).`);
    const toCopies = maps.some((m) => (m.pathRules ?? []).some((p) => sameName(lastSegment(p.backendAddressPool?.id), copiesPoolName)));
    if (!toCopies) throw new Error(`${where}: no path rule of its URL path map sends to the backend pool "${copiesPoolName}", so a rerouted request would not reach the copies.`);
  }

  function take(gateway: ApplicationGateway): void {
    if (!gateway.etag) throw new Error(`gateway ${resourceGroup}/${gatewayName} came without an ETag: lure cannot write it without overwriting concurrent changes`);
    draft = structuredClone(ruleSetOf(gateway).rewriteRules ?? []);
    base = { gateway, etag: gateway.etag };
    drafted = 0;
  }

  function drop(): void {
    base = undefined;
    draft = [];
    drafted = 0;
  }

  async function write(): Promise<number> {
    if (!base || drafted === 0) return 0;
    const count = drafted;
    const body = structuredClone(base.gateway);
    ruleSetOf(body).rewriteRules = structuredClone(draft);
    try {
      const written = await api.beginCreateOrUpdateAndWait(resourceGroup, gatewayName, body, { requestOptions: { customHeaders: { "If-Match": base.etag } } });
      // Without an ETag the answer cannot be written on: the next readRules reads the gateway.
      if (written.etag) take(written);
      else drop();
      log?.("gateway-written", { changes: count, etag: written.etag });
      return count;
    } catch (err) {
      drop();
      const status = statusOf(err);
      if (status === 412 || codeOf(err) === "PreconditionFailed") {
        log?.("gateway-conflict", { changes: count, status });
        throw new ConflictError(`${where}: the gateway changed since it was read; ${count} drafted change(s) dropped, to be planned again`);
      }
      // ARM refuses a PUT while another update of the gateway runs (they take minutes): a race too.
      if (status === 409) {
        log?.("gateway-conflict", { changes: count, status, code: codeOf(err) });
        throw new ConflictError(`${where}: another update of the gateway is running (${codeOf(err) ?? "409"}); ${count} drafted change(s) dropped, to be planned again`);
      }
      throw err;
    }
  }

  function conditionCount(): number {
    return draft.reduce((n, r) => n + (r.conditions?.length ?? 0), 0);
  }

  function nameFor(seq: number): string {
    const taken = new Set(draft.map((r) => r.name?.toLowerCase()));
    const name = `${prefix}-quarantine-${seq}`;
    if (!taken.has(name.toLowerCase())) return name;
    for (let i = 2; ; i++) if (!taken.has(`${name}-${i}`.toLowerCase())) return `${name}-${i}`;
  }

  function applyToDraft(change: RuleChange): boolean {
    if (change.kind === "delete") {
      const i = draft.findIndex((r) => r.name === change.id && lures(r));
      if (i < 0) return false; // gone already (or no longer lure's): nothing to do
      draft.splice(i, 1);
      return true;
    }
    const pattern = clientIpPattern(change.cidrs);
    if (change.cidrs.length > cidrsPerRule || pattern.length > maxPatternLength) {
      throw new Error(`${where}: ${change.cidrs.length} addresses (pattern of ${pattern.length} characters) exceed cidrsPerRule ${cidrsPerRule} / maxPatternLength ${maxPatternLength}`);
    }
    if (change.kind === "modify") {
      const i = draft.findIndex((r) => r.name === change.id && lures(r));
      if (i < 0) throw new ConflictError(`${where}: rule ${change.id} (sequence ${change.priority}) is gone`);
      if (draft[i].conditions![0].pattern === pattern) return false; // already so: no PUT for it
      draft[i] = lureRule(draft[i].ruleSequence!, change.id, change.cidrs);
      return true;
    }
    if (change.priority < firstPriority || change.priority > lastPriority) throw new Error(`${where}: sequence ${change.priority} is outside lure's band ${firstPriority}–${lastPriority}`);
    if (draft.some((r) => r.ruleSequence === change.priority)) throw new ConflictError(`${where}: sequence ${change.priority} is taken`);
    if (draft.length + 1 > REWRITE_RULES_PER_SET || conditionCount() + 1 > CONDITIONS_PER_SET) {
      throw new RuleQuotaError(
        `${where}: cannot add a rule at sequence ${change.priority}: the set holds ${draft.length} rules with ${conditionCount()} conditions ` +
          `(limits ${REWRITE_RULES_PER_SET} and ${CONDITIONS_PER_SET}, lure's and everyone else's together). Lower quarantine.ruleQuota or move the other rules to another set.`,
      );
    }
    draft.push(lureRule(change.priority, nameFor(change.priority), change.cidrs));
    return true;
  }

  return {
    async readRules(): Promise<ListenerRules> {
      let fresh = false;
      if (drafted > 0) {
        try {
          fresh = (await write()) > 0;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          // Read again below: the engine plans from what is there now.
        }
      }
      if (!fresh || !base) take(await api.get(resourceGroup, gatewayName));
      const rules: SteeringRule[] = [];
      const otherPriorities: number[] = [];
      for (const r of draft) {
        const mine = lures(r);
        if (mine) rules.push(mine);
        // A rule without a sequence still counts against the set's limit.
        else otherPriorities.push(r.ruleSequence ?? -1 - otherPriorities.length);
      }
      return { rules: rules.sort((a, b) => a.priority - b.priority), otherPriorities: otherPriorities.sort((a, b) => a - b) };
    },

    async healthyTargets(): Promise<number> {
      const health = await api.beginBackendHealthAndWait(resourceGroup, gatewayName);
      const pool = (health.backendAddressPools ?? []).find((p) => sameName(lastSegment(p.backendAddressPool?.id), copiesPoolName));
      // A copy counts when it is "Up" under every HTTP setting that probes it ("Partial", "Draining", "Unknown" do not).
      const state = new Map<string, boolean>();
      for (const settings of pool?.backendHttpSettingsCollection ?? []) {
        for (const s of settings.servers ?? []) {
          if (!s.address) continue;
          state.set(s.address, (state.get(s.address) ?? true) && s.health === "Up");
        }
      }
      return [...state.values()].filter(Boolean).length;
    },

    async apply(change): Promise<void> {
      if (!base) throw new Error(`${where}: apply before readRules (changes are planned from a read)`);
      if (applyToDraft(change)) drafted++;
    },

    flush: write,
    pending: () => drafted,
  };
}

function checkOptions(o: GatewaySteeringOptions, maxPatternLength: number): void {
  const s = o.steering;
  const problems: string[] = [];
  if (!Number.isInteger(s.firstPriority) || s.firstPriority < 1) problems.push(`firstPriority ${s.firstPriority}: a rule sequence ≥ 1`);
  if (!Number.isInteger(s.ruleQuota) || s.ruleQuota < 0 || s.ruleQuota > REWRITE_RULES_PER_SET) problems.push(`ruleQuota ${s.ruleQuota}: 0–${REWRITE_RULES_PER_SET} (rules per rewrite set)`);
  if (!Number.isInteger(s.albRuleLimit) || s.albRuleLimit < 0 || s.albRuleLimit > REWRITE_RULES_PER_SET) problems.push(`albRuleLimit ${s.albRuleLimit}: 0–${REWRITE_RULES_PER_SET} (rules per rewrite set)`);
  if (!Number.isInteger(s.cidrsPerRule) || s.cidrsPerRule < 1 || worstCasePatternLength(s.cidrsPerRule) > maxPatternLength) {
    const most = Math.floor((maxPatternLength - 3) / (LONGEST_ADDRESS + 1));
    problems.push(`cidrsPerRule ${s.cidrsPerRule}: 1–${most}, so that ${s.cidrsPerRule} IPv6 addresses fit a pattern of maxPatternLength ${maxPatternLength} characters`);
  }
  if (o.rewritePath === "" || !o.rewritePath.startsWith("/")) problems.push(`rewritePath "${o.rewritePath}": a path starting with "/"`);
  if (problems.length > 0) throw new Error(`gateway steering options: ${problems.join("; ")}`);
}

// The SDK's own operations object must fit the structural interface (checked by tsc, no runtime cost).
type SdkGateways = import("@azure/arm-network").ApplicationGateways;
type Fits<T extends ApplicationGatewaysApi> = T;
export type SdkApplicationGateways = Fits<SdkGateways>;
