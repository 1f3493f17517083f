/**
 * From the `quarantine` config (or `QuarantineProps`) to what the Quarantine functions run with: the
 * one JSON document they read from `LURE_QUARANTINE`. Pure and provider-free, so `lure simulate`
 * replays logs with exactly the settings a deployment would get.
 *
 * ```ts
 * const { config } = loadConfig();
 * const runtime = quarantineRuntimeConfig(config); // detector, mode, steering, copies, prefix
 * ```
 */
import type { QuarantineRuntimeConfig } from "../../functions/core/quarantine-types";
import { parseCidr } from "./cidr";
import { anchorPriorityMessage, ConfigError, MAX_RULE_PRIORITY, QUARANTINE_DEFAULTS, type ConfigProblem, type LureConfig } from "./config";
import type { CopiesProps, DemoTargetProps, DetectorProps, ExistingTarget, QuarantineProps } from "./interfaces";

/** Source CIDRs one ALB listener rule can match (a `source-ip` condition holds at most 5). */
export const AWS_CIDRS_PER_RULE = 5;

/** The copies with every default filled in. */
export type ResolvedCopies =
  | { readonly kind: "ecs"; readonly image?: string; readonly defenceCount: number; readonly normalCount: number }
  | {
      readonly kind: "asg";
      readonly amiId: string;
      readonly instanceType: string;
      readonly defenceCount: number;
      readonly normalCount: number;
      readonly warmPool: { readonly minSize: number; readonly state: "Stopped" | "Running" | "Hibernated" };
    };

/** `QuarantineProps` with every default filled in: what a construct builds from. */
export interface ResolvedQuarantine {
  readonly prefix: string;
  readonly target: "demo" | ExistingTarget;
  readonly demo: Required<Omit<DemoTargetProps, "certificateArn">> & Pick<DemoTargetProps, "certificateArn">;
  readonly copies: ResolvedCopies;
  readonly logRetentionDays: number;
  readonly runtime: QuarantineRuntimeConfig;
}

/** The props an `AwsQuarantine` gets from a validated config (cloud-neutral names). */
export function quarantineProps(config: LureConfig): QuarantineProps & { readonly prefix: string } {
  const q = config.quarantine;
  return {
    prefix: config.prefix,
    target: q.target,
    demo: q.demo,
    allowCidrs: q.allowCidrs,
    quietPeriodMinutes: q.quietPeriodMinutes,
    forgetOnNormal: q.forgetOnNormal,
    rememberMinutes: q.rememberMinutes,
    defenceAfter: q.defenceAfter,
    detector: q.detector,
    ruleQuota: q.ruleQuota,
    firstRulePriority: q.firstRulePriority,
    copies: q.copies,
    logRetentionDays: q.logRetentionDays,
  };
}

function resolveCopies(c: CopiesProps | undefined): ResolvedCopies {
  const defenceCount = c?.defenceCount ?? QUARANTINE_DEFAULTS.copies.defenceCount;
  const normalCount = c?.normalCount ?? QUARANTINE_DEFAULTS.copies.normalCount;
  if (!c || c.kind === "ecs") return { kind: "ecs", ...(c?.image ? { image: c.image } : {}), defenceCount, normalCount };
  return {
    kind: "asg",
    amiId: c.amiId,
    instanceType: c.instanceType ?? QUARANTINE_DEFAULTS.instanceType,
    defenceCount,
    normalCount,
    warmPool: { minSize: c.warmPool?.minSize ?? defenceCount, state: c.warmPool?.state ?? QUARANTINE_DEFAULTS.warmPoolState },
  };
}

function resolveDetector(d: DetectorProps | undefined, allowCidrs: readonly string[]): QuarantineRuntimeConfig["detector"] {
  const def = QUARANTINE_DEFAULTS.detector;
  return {
    trw: { ...def.trw, ...(d?.trw ?? {}) },
    windowMinutes: d?.windowMinutes ?? def.windowMinutes,
    verticalPorts: d?.verticalPorts ?? def.verticalPorts,
    horizontalHosts: d?.horizontalHosts ?? def.horizontalHosts,
    distinctPairs: d?.distinctPairs ?? def.distinctPairs,
    idleMinutes: d?.idleMinutes ?? def.idleMinutes,
    maxTargetsPerSource: d?.maxTargetsPerSource ?? def.maxTargetsPerSource,
    maxSources: d?.maxSources ?? def.maxSources,
    allowCidrs,
  };
}

/** Fills every default of `props`; `prefix` is the stack's when the props name none. */
export function resolveQuarantine(props: QuarantineProps, prefix: string): ResolvedQuarantine {
  const p = props.prefix ?? prefix;
  const target = props.target ?? "demo";
  const demo = {
    image: props.demo?.image ?? QUARANTINE_DEFAULTS.demo.image,
    containerPort: props.demo?.containerPort ?? QUARANTINE_DEFAULTS.demo.containerPort,
    networkCidr: props.demo?.networkCidr ?? QUARANTINE_DEFAULTS.demo.networkCidr,
    ...(props.demo?.certificateArn ? { certificateArn: props.demo.certificateArn } : {}),
  };
  const copies = resolveCopies(props.copies);
  // The demo's load balancer and health checks connect from inside its network: never attackers. For
  // an existing target lure cannot know the VPC's ranges, so the user lists them in allowCidrs.
  const allowCidrs = [...(props.allowCidrs ?? []), ...(target === "demo" ? [demo.networkCidr] : [])];
  const runtime: QuarantineRuntimeConfig = {
    prefix: p,
    detector: resolveDetector(props.detector, allowCidrs),
    mode: {
      quietPeriodMinutes: props.quietPeriodMinutes ?? QUARANTINE_DEFAULTS.quietPeriodMinutes,
      forgetOnNormal: props.forgetOnNormal ?? QUARANTINE_DEFAULTS.forgetOnNormal,
      rememberMinutes: props.rememberMinutes ?? QUARANTINE_DEFAULTS.rememberMinutes,
      defenceAfterSources: props.defenceAfter?.sources ?? QUARANTINE_DEFAULTS.defenceAfter.sources,
      defenceWindowMinutes: props.defenceAfter?.windowMinutes ?? QUARANTINE_DEFAULTS.defenceAfter.windowMinutes,
    },
    steering: {
      firstPriority: props.firstRulePriority ?? QUARANTINE_DEFAULTS.firstRulePriority,
      ruleQuota: props.ruleQuota ?? QUARANTINE_DEFAULTS.ruleQuota,
      cidrsPerRule: AWS_CIDRS_PER_RULE,
    },
    copies: { defenceCount: copies.defenceCount, normalCount: copies.normalCount },
  };
  return { prefix: p, target, demo, copies, logRetentionDays: props.logRetentionDays ?? QUARANTINE_DEFAULTS.logRetentionDays, runtime };
}

/**
 * What the Quarantine functions get from a validated config (`LURE_QUARANTINE`): detector thresholds
 * with the allow-list (plus the demo network for the demo target), mode timing, the steering band with
 * 5 CIDRs per rule (AWS), and the copy counts.
 */
export function quarantineRuntimeConfig(config: LureConfig): QuarantineRuntimeConfig {
  return resolveQuarantine(quarantineProps(config), config.prefix).runtime;
}

/**
 * Problems of props given in code (the config loader checks the same rules on `lure.config.json`).
 * Each names the prop path, the value and what is allowed.
 */
export function quarantinePropsProblems(props: QuarantineProps): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const int = (path: string, v: number | undefined, min: number, max: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) out.push({ path, message: `${v} is not allowed; allowed: a whole number from ${min} to ${max}` });
  };
  int("quietPeriodMinutes", props.quietPeriodMinutes, 1, 1440);
  int("rememberMinutes", props.rememberMinutes, 1, 10_080);
  int("defenceAfter.sources", props.defenceAfter?.sources, 1, 100);
  int("defenceAfter.windowMinutes", props.defenceAfter?.windowMinutes, 1, 60);
  int("ruleQuota", props.ruleQuota, 1, 1000);
  int("firstRulePriority", props.firstRulePriority, 1, MAX_RULE_PRIORITY);
  int("copies.defenceCount", props.copies?.defenceCount, 1, 20);
  int("copies.normalCount", props.copies?.normalCount, 0, 20);
  int("demo.containerPort", props.demo?.containerPort, 1, 65535);
  const first = props.firstRulePriority ?? QUARANTINE_DEFAULTS.firstRulePriority;
  const quota = props.ruleQuota ?? QUARANTINE_DEFAULTS.ruleQuota;
  const copies = resolveCopies(props.copies);
  if (first + quota - 1 > MAX_RULE_PRIORITY) out.push({ path: "firstRulePriority", message: `${first} with ruleQuota ${quota} needs priorities up to ${first + quota - 1}; rules stop at ${MAX_RULE_PRIORITY}` });
  else if (first + quota > MAX_RULE_PRIORITY && props.target && props.target !== "demo" && copies.kind === "ecs") out.push({ path: "firstRulePriority", message: anchorPriorityMessage(first, quota) });
  if (copies.normalCount > copies.defenceCount) out.push({ path: "copies.normalCount", message: `${copies.normalCount} is more than defenceCount ${copies.defenceCount}` });
  if (copies.kind === "asg" && !/^ami-[0-9a-f]{8,17}$/.test(copies.amiId)) out.push({ path: "copies.amiId", message: `"${copies.amiId}" is not an AMI id (ami-…)` });
  (props.allowCidrs ?? []).forEach((c, i) => {
    const r = parseCidr(c);
    if (!r.ok) out.push({ path: `allowCidrs[${i}]`, message: `"${c}" is not a valid CIDR: ${r.reason}` });
  });
  if ((props.target ?? "demo") === "demo" && props.demo?.networkCidr !== undefined) {
    const r = parseCidr(props.demo.networkCidr);
    if (!r.ok || r.cidr.version !== 4 || r.cidr.prefixLength < 16 || r.cidr.prefixLength > 24) {
      out.push({ path: "demo.networkCidr", message: `"${props.demo.networkCidr}" is not allowed; allowed: an IPv4 CIDR from /16 to /24` });
    }
  }
  const t = props.target;
  if (t && t !== "demo") {
    // References to other resources (cdktf tokens) are resolved by Terraform; only literals are checked.
    const literal = (v: string) => !v.includes("${");
    if (t.subnetIds.length === 0) out.push({ path: "target.subnetIds", message: "is empty; name the subnets the copies run in" });
    int("target.containerPort", t.containerPort, 1, 65535);
    if (literal(t.albSecurityGroupId) && !/^sg-[0-9a-f]{8,17}$/.test(t.albSecurityGroupId)) out.push({ path: "target.albSecurityGroupId", message: `"${t.albSecurityGroupId}" is not a security group id` });
    if (literal(t.listenerArn) && !/:listener\/app\//.test(t.listenerArn)) out.push({ path: "target.listenerArn", message: `"${t.listenerArn}" is not an application load balancer listener ARN` });
  }
  return out;
}

/** Throws a ConfigError listing every problem of `props`. */
export function assertQuarantineProps(source: string, props: QuarantineProps): void {
  const problems = quarantinePropsProblems(props);
  if (problems.length > 0) throw new ConfigError(source, problems);
}
