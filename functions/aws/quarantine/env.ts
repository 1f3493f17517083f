/**
 * The deployment contract of the two Quarantine functions (detector and mode): their environment,
 * read once at cold start, and the adapters it wires. The cdktf construct sets these variables; a
 * wrong one is a deployment bug, so the function refuses to start and the error lists every bad
 * variable (and every bad field of `LURE_QUARANTINE`) at once.
 *
 * @example
 * const env = quarantineEnv(process.env); // throws before any record is touched
 * const ports = quarantinePorts(env, quarantineClients(env));
 */
import { isIP } from "node:net";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { MEMORY_TARGETS } from "../../core/detector";
import type { EngineDeps, ReconcileReport } from "../../core/quarantine";
import type { CopiesPort, QuarantineRuntimeConfig, QuarantineStore, SteeringPort } from "../../core/quarantine-types";
import { EnvReader, type Vars } from "../env-reader";
import type { Log } from "../runtime";
import { sdkClientConfig } from "../sdk-config";
import { albSteering } from "./alb-steering";
import { copiesFor } from "./copies";
import { dynamoQuarantineStore, type DynamoStoreOptions } from "./dynamo-store";


/** Where the honeypot copies run: an ECS service, or an EC2 Auto Scaling group. */
export type CopiesTarget =
  | { readonly kind: "ecs"; readonly cluster: string; readonly service: string }
  | { readonly kind: "asg"; readonly group: string };

export interface QuarantineEnv {
  /** `LURE_QUARANTINE`: thresholds, mode timing, steering band and copy counts. */
  readonly config: QuarantineRuntimeConfig;
  /** `LURE_TABLE`: the DynamoDB table of source states, quarantines, mode and lease. */
  readonly table: string;
  /** `LURE_LISTENER_ARN`: the ALB listener whose rules in lure's band are managed. */
  readonly listenerArn: string;
  /** `LURE_COPY_TARGET_GROUP_ARN`: where the rules forward quarantined sources. */
  readonly copyTargetGroupArn: string;
  /** `LURE_COPIES_KIND` with `LURE_COPY_CLUSTER` + `LURE_COPY_SERVICE`, or `LURE_COPY_ASG`. */
  readonly copies: CopiesTarget;
}

/** ALB rule priorities are 1–50,000 (the default action is not a rule). */
export const MAX_RULE_PRIORITY = 50_000;
/** Highest ALB rule limit accepted (AWS: 100 per load balancer by default, adjustable). */
export const MAX_ALB_RULE_LIMIT = 1000;
/** An ALB `source-ip` condition takes at most 5 CIDRs. */
export const MAX_CIDRS_PER_RULE = 5;

const LISTENER_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/\S+$/;
const TARGET_GROUP_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/\S+$/;

/** Collects every problem of `LURE_QUARANTINE`, each with its path, the value and what is allowed. */
class ConfigReader {
  /** Paths found bad, so a check across fields is skipped when one of them is already reported. */
  private readonly badPaths = new Set<string>();
  constructor(private readonly problems: string[]) {}

  private at(root: unknown, path: string): unknown {
    let cur = root;
    for (const key of path.split(".")) cur = typeof cur === "object" && cur !== null && !Array.isArray(cur) ? (cur as Record<string, unknown>)[key] : undefined;
    return cur;
  }

  private bad(path: string, v: unknown, what: string): void {
    this.badPaths.add(path);
    this.problems.push(`LURE_QUARANTINE.${path} is ${v === undefined ? "missing" : JSON.stringify(v)} (expected ${what})`);
  }

  /** A number in `[min, max]` (`open`: excluding both ends), an integer when `int`. */
  num(root: unknown, path: string, min: number, max: number, opts: { int?: boolean; open?: boolean } = {}): number {
    const v = this.at(root, path);
    const inRange = typeof v === "number" && Number.isFinite(v) && (opts.open ? v > min && v < max : v >= min && v <= max);
    if (inRange && (!opts.int || Number.isSafeInteger(v))) return v;
    const range = opts.open ? `between ${min} and ${max}, both excluded` : max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
    this.bad(path, v, `${opts.int ? "an integer" : "a number"} ${range}`);
    return min;
  }

  bool(root: unknown, path: string): boolean {
    const v = this.at(root, path);
    if (typeof v === "boolean") return v;
    this.bad(path, v, "true or false");
    return false;
  }

  text(root: unknown, path: string): string {
    const v = this.at(root, path);
    if (typeof v === "string" && v.trim() !== "") return v;
    this.bad(path, v, "a non-empty string");
    return "";
  }

  cidrs(root: unknown, path: string): string[] {
    const v = this.at(root, path);
    if (!Array.isArray(v)) {
      this.bad(path, v, "an array of CIDRs");
      return [];
    }
    const out: string[] = [];
    v.forEach((c: unknown, i) => {
      if (typeof c === "string" && isCidr(c)) out.push(c);
      else this.bad(`${path}[${i}]`, c, "a CIDR such as 198.51.100.0/24 or 2001:db8::/32");
    });
    return out;
  }

  /** A rule across fields; not checked when one of `paths` is already reported. */
  check(paths: readonly string[], ok: boolean, problem: string): void {
    if (!ok && !paths.some((p) => this.badPaths.has(p))) this.problems.push(`LURE_QUARANTINE: ${problem}`);
  }
}

function isCidr(s: string): boolean {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const version = isIP(m[1]);
  const bits = Number(m[2]);
  return version === 4 ? bits <= 32 : version === 6 ? bits <= 128 : false;
}

function readConfig(raw: string | undefined, problems: string[]): QuarantineRuntimeConfig | undefined {
  if (raw === undefined || raw.trim() === "") {
    problems.push(`LURE_QUARANTINE is ${raw === undefined ? "not set" : "empty"} (expected the Quarantine settings as JSON)`);
    return undefined;
  }
  let c: unknown;
  try {
    c = JSON.parse(raw);
  } catch {
    problems.push("LURE_QUARANTINE is not JSON (expected the Quarantine settings as JSON)");
    return undefined;
  }
  if (typeof c !== "object" || c === null || Array.isArray(c)) {
    problems.push(`LURE_QUARANTINE is ${JSON.stringify(c)} (expected a JSON object)`);
    return undefined;
  }
  const r = new ConfigReader(problems);
  const int = { int: true };
  const config: QuarantineRuntimeConfig = {
    prefix: r.text(c, "prefix"),
    detector: {
      trw: {
        theta0: r.num(c, "detector.trw.theta0", 0, 1, { open: true }),
        theta1: r.num(c, "detector.trw.theta1", 0, 1, { open: true }),
        alpha: r.num(c, "detector.trw.alpha", 0, 1, { open: true }),
        beta: r.num(c, "detector.trw.beta", 0, 1, { open: true }),
      },
      windowMinutes: r.num(c, "detector.windowMinutes", 1, 1440, int),
      verticalPorts: r.num(c, "detector.verticalPorts", 1, 65_535, int),
      horizontalHosts: r.num(c, "detector.horizontalHosts", 1, Infinity, int),
      distinctPairs: r.num(c, "detector.distinctPairs", 1, Infinity, int),
      idleMinutes: r.num(c, "detector.idleMinutes", 1, 10_080, int),
      maxTargetsPerSource: r.num(c, "detector.maxTargetsPerSource", 1, Infinity, int),
      maxSources: r.num(c, "detector.maxSources", 1, Infinity, int),
      allowCidrs: r.cidrs(c, "detector.allowCidrs"),
      memoryMinutes: r.num(c, "detector.memoryMinutes", 1, 43_200, int),
      slowFailures: r.num(c, "detector.slowFailures", 2, MEMORY_TARGETS, int),
      antiSpoofing: {
        enabled: r.bool(c, "detector.antiSpoofing.enabled"),
        historyMinutes: r.num(c, "detector.antiSpoofing.historyMinutes", 1, 525_600, int),
        settleMinutes: r.num(c, "detector.antiSpoofing.settleMinutes", 0, 525_600, int),
        maxClients: r.num(c, "detector.antiSpoofing.maxClients", 1, Infinity, int),
      },
    },
    mode: {
      quietPeriodMinutes: r.num(c, "mode.quietPeriodMinutes", 1, 10_080, int),
      forgetOnNormal: r.bool(c, "mode.forgetOnNormal"),
      rememberMinutes: r.num(c, "mode.rememberMinutes", 0, 525_600, int),
      defenceAfterSources: r.num(c, "mode.defenceAfterSources", 1, Infinity, int),
      defenceWindowMinutes: r.num(c, "mode.defenceWindowMinutes", 1, 10_080, int),
    },
    steering: {
      firstPriority: r.num(c, "steering.firstPriority", 1, MAX_RULE_PRIORITY, int),
      ruleQuota: r.num(c, "steering.ruleQuota", 1, MAX_RULE_PRIORITY, int),
      albRuleLimit: r.num(c, "steering.albRuleLimit", 1, MAX_ALB_RULE_LIMIT, int),
      cidrsPerRule: r.num(c, "steering.cidrsPerRule", 1, MAX_CIDRS_PER_RULE, int),
    },
    copies: {
      defenceCount: r.num(c, "copies.defenceCount", 0, 1000, int),
      normalCount: r.num(c, "copies.normalCount", 0, 1000, int),
    },
  };
  const { trw } = config.detector;
  // With θ1 ≥ θ0 a failure would count as evidence of a benign source: the test would be inverted.
  r.check(["detector.trw.theta0", "detector.trw.theta1"], trw.theta1 < trw.theta0, `detector.trw.theta1 (${trw.theta1}) must be below detector.trw.theta0 (${trw.theta0})`);
  r.check(["detector.trw.alpha", "detector.trw.beta"], trw.alpha < trw.beta, `detector.trw.alpha (${trw.alpha}) must be below detector.trw.beta (${trw.beta})`);
  const last = config.steering.firstPriority + config.steering.ruleQuota - 1;
  r.check(["steering.firstPriority", "steering.ruleQuota"], last <= MAX_RULE_PRIORITY, `steering.firstPriority + steering.ruleQuota - 1 is ${last} (the ALB allows priorities up to ${MAX_RULE_PRIORITY})`);
  r.check(["copies.defenceCount", "copies.normalCount"], config.copies.defenceCount >= config.copies.normalCount, `copies.defenceCount (${config.copies.defenceCount}) is below copies.normalCount (${config.copies.normalCount})`);
  return config;
}

function readCopies(vars: Vars, r: EnvReader): CopiesTarget {
  const kind = vars.LURE_COPIES_KIND?.trim();
  if (kind === "ecs") {
    return {
      kind,
      cluster: r.text("LURE_COPY_CLUSTER", "the ECS cluster of the honeypot copies"),
      service: r.text("LURE_COPY_SERVICE", "the ECS service of the honeypot copies"),
    };
  }
  if (kind === "asg") return { kind, group: r.text("LURE_COPY_ASG", "the Auto Scaling group of the honeypot copies") };
  r.problems.push(`LURE_COPIES_KIND is ${vars.LURE_COPIES_KIND === undefined ? "not set" : JSON.stringify(vars.LURE_COPIES_KIND)} (expected "ecs" or "asg")`);
  return { kind: "ecs", cluster: "", service: "" };
}

/** Reads and checks the whole environment; throws one error listing every problem. */
export function quarantineEnv(vars: Vars): QuarantineEnv {
  const r = new EnvReader(vars);
  const config = readConfig(vars.LURE_QUARANTINE, r.problems);
  const env = {
    table: r.text("LURE_TABLE", "the DynamoDB table name"),
    listenerArn: r.matching("LURE_LISTENER_ARN", "an ALB listener ARN (…:listener/app/…)", LISTENER_ARN),
    copyTargetGroupArn: r.matching("LURE_COPY_TARGET_GROUP_ARN", "a target group ARN (…:targetgroup/…)", TARGET_GROUP_ARN),
    copies: readCopies(vars, r),
  };
  // readConfig reports every problem it returns undefined for.
  return r.done("quarantine", { config: config!, ...env });
}

/** The SDK clients the adapters use; `ecs` or `autoScaling` as `LURE_COPIES_KIND` says. */
export interface QuarantineClients {
  readonly dynamodb: DynamoDBClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly ecs?: ECSClient;
  readonly autoScaling?: AutoScalingClient;
}

/** The cloud side of the engine. */
export interface QuarantinePorts {
  readonly store: QuarantineStore;
  readonly steering: SteeringPort;
  readonly copies: CopiesPort;
}

/** Bounded clients (see sdk-config), created once per Lambda instance. */
export function quarantineClients(env: QuarantineEnv): QuarantineClients {
  return {
    dynamodb: new DynamoDBClient(sdkClientConfig()),
    elbv2: new ElasticLoadBalancingV2Client(sdkClientConfig()),
    ...(env.copies.kind === "ecs" ? { ecs: new ECSClient(sdkClientConfig()) } : { autoScaling: new AutoScalingClient(sdkClientConfig()) }),
  };
}

/** The adapters of this deployment over the given clients. */
export function quarantinePorts(env: QuarantineEnv, clients: QuarantineClients, storeOptions: DynamoStoreOptions = {}): QuarantinePorts {
  return {
    store: dynamoQuarantineStore(clients.dynamodb, env.table, storeOptions),
    steering: albSteering(clients.elbv2, { listenerArn: env.listenerArn, targetGroupArn: env.copyTargetGroupArn, prefix: env.config.prefix, steering: env.config.steering }),
    copies: copiesFor(env.copies, clients),
  };
}

// ---------------------------------------------------------------------------------------------------
// Shared by the two handlers.

export interface HandlerOptions {
  /** @default jsonLog (one JSON object per line on stdout) */
  readonly log?: Log;
  /** Unix seconds, for the engine and the store. @default the wall clock */
  readonly now?: () => number;
}

/** A reconciliation in a log line: each change with its priority and CIDRs, the sources left unsteered and why. */
export interface RulesSummary {
  readonly skipped: boolean;
  readonly changes: readonly { readonly kind: string; readonly priority: number; readonly cidrs?: readonly string[] }[];
  readonly steered: number;
  /** Live quarantines beyond the capacity (least recently seen first out). */
  readonly evicted: readonly string[];
  readonly capacity: number;
  /** Sources not added yet because the copies had no healthy target. */
  readonly waiting: readonly string[];
  /** The load balancer refused a rule: it holds fewer rules than `albRuleLimit` says. */
  readonly ruleQuotaReached: boolean;
}

/** The engine's reconcile report as logged (a delete has no CIDRs). */
export function rulesSummary(r: ReconcileReport): RulesSummary {
  return {
    skipped: r.skipped,
    changes: r.changes.map((c) => (c.kind === "delete" ? { kind: c.kind, priority: c.priority } : { kind: c.kind, priority: c.priority, cidrs: c.cidrs })),
    steered: r.steered,
    evicted: r.evicted,
    capacity: r.capacity,
    waiting: r.waiting,
    ruleQuotaReached: r.ruleQuotaReached,
  };
}

/** Sources left unsteered for lack of rules, or a load balancer that refuses rules, need attention. */
export const rulesNeedAttention = (r: RulesSummary): boolean => r.evicted.length > 0 || r.ruleQuotaReached;

/**
 * Engine events that need someone's attention: sources not steered, rules still moving, a load
 * balancer full before lure's limit. Copies still starting (`copies-not-ready`) are expected for a
 * minute or two at each Defence start, so they stay at info.
 */
const WARN_EVENTS = new Set(["quarantine-evicted", "reconcile-unsettled", "rule-quota-reached"]);

/** The engine's log on the function's log, each line tagged with the invocation. */
export function engineLog(log: Log, requestId: string): NonNullable<EngineDeps["log"]> {
  return (event, fields) => log(WARN_EVENTS.has(event) ? "warn" : "info", event, { requestId, ...fields });
}

/** Unix seconds now. */
export const wallClock = (): number => Math.floor(Date.now() / 1000);

