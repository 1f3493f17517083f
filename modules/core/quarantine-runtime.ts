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
import { demoDemand, networkTooSmall, vpcCidrProblem } from "./address-plan";
import { parseCidr } from "./cidr";
import {
  anchorPriorityMessage,
  ConfigError,
  ISOLATE_WITHOUT_CIDRS_MESSAGE,
  MAX_REAL_SUBNET_CIDRS,
  MAX_RULE_PRIORITY,
  QUARANTINE_DEFAULTS,
  REUSE_WITH_IMAGE_MESSAGE,
  reuseRefusedMessage,
  TARGET_GROUP_RETIRED_MESSAGE,
  ruleQuotaOverLimitMessage,
  type ConfigProblem,
  type LureConfig,
} from "./config";
import type { CopiesProps, DemoTargetProps, DetectorProps, ExistingTarget, QuarantineProps } from "./interfaces";
import { resourceName } from "./naming";
import { ACM_CERTIFICATE_ARN, certificateRegionReason, propsArnProblems } from "./regions";
import { webPortProblems, type WebPorts } from "./web-images";

/** Source CIDRs one ALB listener rule can match (a `source-ip` condition holds at most 5). */
export const AWS_CIDRS_PER_RULE = 5;

/**
 * Lambda's limit on a function's environment: 4 KB for all variables together, measured on their JSON
 * (`{"NAME":"value",…}`, escapes included).
 */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * What a reference Terraform fills in at deploy time (an ARN) is counted as when the environment is sized
 * before synthesis: more than any ARN lure passes, so the estimate errs on the safe side.
 */
export const TOKEN_SIZE_ESTIMATE = 200;

/** The longest prefix a config allows: names sized with it are the longest the environment can get. */
const LONGEST_PREFIX = "p".repeat(12);

/** The copies with every default filled in. */
export type ResolvedCopies =
  | { readonly kind: "ecs"; readonly image?: string; readonly reuseTaskDefinition: boolean; readonly containerPort?: number; readonly defenceCount: number; readonly normalCount: number }
  | {
      readonly kind: "asg";
      readonly amiId: string;
      readonly containerPort?: number;
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
    albRuleLimit: q.albRuleLimit,
    firstRulePriority: q.firstRulePriority,
    copies: q.copies,
    logRetentionDays: q.logRetentionDays,
  };
}

function resolveCopies(c: CopiesProps | undefined): ResolvedCopies {
  const defenceCount = c?.defenceCount ?? QUARANTINE_DEFAULTS.copies.defenceCount;
  const normalCount = c?.normalCount ?? QUARANTINE_DEFAULTS.copies.normalCount;
  const port = c?.containerPort !== undefined ? { containerPort: c.containerPort } : {};
  if (!c || c.kind === "ecs") return { kind: "ecs", ...(c?.image ? { image: c.image } : {}), reuseTaskDefinition: c?.reuseTaskDefinition === true, ...port, defenceCount, normalCount };
  return {
    kind: "asg",
    amiId: c.amiId,
    ...port,
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
    memoryMinutes: d?.memoryMinutes ?? def.memoryMinutes,
    slowFailures: d?.slowFailures ?? def.slowFailures,
    antiSpoofing: { ...def.antiSpoofing, ...(d?.antiSpoofing ?? {}) },
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
      albRuleLimit: props.albRuleLimit ?? QUARANTINE_DEFAULTS.albRuleLimit,
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

/** The web images and ports of resolved settings, for the port checks and the construct. */
export function resolvedWebPorts(s: ResolvedQuarantine, demoPortGiven = true): WebPorts {
  const targetPort = s.target === "demo" ? s.demo.containerPort : s.target.containerPort;
  const c = s.copies;
  const port = c.containerPort !== undefined ? { containerPort: c.containerPort } : {};
  return {
    ...(s.target === "demo" ? { demo: { image: s.demo.image, containerPort: s.demo.containerPort, portGiven: demoPortGiven } } : {}),
    targetPort,
    copies: c.kind === "ecs" ? { kind: "ecs", ...(c.image !== undefined ? { image: c.image } : {}), ...port } : { kind: "asg", ...port },
  };
}

/** Names of the resources the Quarantine functions address by name (the ECS cluster shares the table's). */
export function quarantineNames(prefix: string): { readonly table: string; readonly cluster: string; readonly copies: string } {
  return { table: resourceName(prefix, ["quarantine"]), cluster: resourceName(prefix, ["quarantine"]), copies: resourceName(prefix, ["quarantine", "copies"]) };
}

/** What the functions' environment names that only the deployment knows (literal ARNs or references). */
export interface QuarantineEnvironmentRefs {
  /** The listener whose rules steer quarantined sources. */
  readonly listenerArn: string;
  /** The copies' target group, where the rules forward. */
  readonly copyTargetGroupArn: string;
}

/**
 * The environment of both Quarantine functions: the contract functions/aws/quarantine/env.ts reads.
 * One builder for the construct and for the size check, so the check sizes what is deployed.
 */
export function quarantineEnvironment(s: ResolvedQuarantine, refs: QuarantineEnvironmentRefs): Record<string, string> {
  const names = quarantineNames(s.prefix);
  const copies: Record<string, string> =
    s.copies.kind === "ecs" ? { LURE_COPIES_KIND: "ecs", LURE_COPY_CLUSTER: names.cluster, LURE_COPY_SERVICE: names.copies } : { LURE_COPIES_KIND: "asg", LURE_COPY_ASG: names.copies };
  return {
    LURE_QUARANTINE: JSON.stringify(s.runtime),
    LURE_TABLE: names.table,
    LURE_LISTENER_ARN: refs.listenerArn,
    LURE_COPY_TARGET_GROUP_ARN: refs.copyTargetGroupArn,
    ...copies,
  };
}

/**
 * Bytes Lambda counts for `env` (its JSON, UTF-8). A reference (`${…}`, which Terraform replaces by an
 * ARN) counts as {@link TOKEN_SIZE_ESTIMATE} bytes.
 */
export function environmentSize(env: Readonly<Record<string, string>>): number {
  const placeholder = "x".repeat(TOKEN_SIZE_ESTIMATE);
  const sized = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{[^}]*\}/g, placeholder)]));
  return Buffer.byteLength(JSON.stringify(sized), "utf8");
}

/**
 * The allow-list travels in `LURE_QUARANTINE`, so a long one can push the functions' environment past
 * Lambda's 4 KB: found here, before anything is created, with how many of the CIDRs would fit.
 */
function environmentProblem(props: QuarantineProps): ConfigProblem | undefined {
  const cidrs = props.allowCidrs ?? [];
  const existing = props.target && props.target !== "demo" ? props.target : undefined;
  // Both ARNs are references unless the config names the listener; a reference is sized generously.
  const refs = { listenerArn: existing ? existing.listenerArn : "${listener}", copyTargetGroupArn: "${copies}" };
  const sizeWith = (n: number) => environmentSize(quarantineEnvironment(resolveQuarantine({ ...props, allowCidrs: cidrs.slice(0, n) }, props.prefix ?? LONGEST_PREFIX), refs));
  const size = sizeWith(cidrs.length);
  if (size <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) return undefined;
  // The size grows with every CIDR: the largest count that fits, by bisection.
  let lo = 0;
  let hi = cidrs.length;
  if (sizeWith(0) > LAMBDA_ENVIRONMENT_LIMIT_BYTES) hi = 0;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (sizeWith(mid) <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) lo = mid;
    else hi = mid - 1;
  }
  return {
    path: "allowCidrs",
    message:
      `${cidrs.length} CIDRs make the Quarantine functions' environment about ${size} bytes, over Lambda's limit of ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes for all variables (the allow-list travels in LURE_QUARANTINE); ` +
      `only ${lo} of them fit: aggregate them into larger CIDRs (for example one /24 instead of many /32 inside it)`,
  };
}

/**
 * Problems of props given in code (the config loader checks the same rules on `lure.config.json`).
 * Each names the prop path, the value and what is allowed. With `region` (the stack's), ARNs must be in
 * it and in its partition.
 */
export function quarantinePropsProblems(props: QuarantineProps, region?: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const int = (path: string, v: number | undefined, min: number, max: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) out.push({ path, message: `${v} is not allowed; allowed: a whole number from ${min} to ${max}` });
  };
  int("quietPeriodMinutes", props.quietPeriodMinutes, 1, 1440);
  int("rememberMinutes", props.rememberMinutes, 1, 10_080);
  int("defenceAfter.sources", props.defenceAfter?.sources, 1, 100);
  int("defenceAfter.windowMinutes", props.defenceAfter?.windowMinutes, 1, 60);
  int("ruleQuota", props.ruleQuota, 1, 1000);
  int("albRuleLimit", props.albRuleLimit, 1, 1000);
  int("firstRulePriority", props.firstRulePriority, 1, MAX_RULE_PRIORITY);
  int("copies.defenceCount", props.copies?.defenceCount, 1, 20);
  int("copies.normalCount", props.copies?.normalCount, 0, 20);
  int("demo.containerPort", props.demo?.containerPort, 1, 65535);
  const first = props.firstRulePriority ?? QUARANTINE_DEFAULTS.firstRulePriority;
  const quota = props.ruleQuota ?? QUARANTINE_DEFAULTS.ruleQuota;
  const limit = props.albRuleLimit ?? QUARANTINE_DEFAULTS.albRuleLimit;
  const copies = resolveCopies(props.copies);
  const inRange = (v: number) => Number.isInteger(v) && v >= 1 && v <= 1000;
  // Out-of-range values are reported above; only two valid ones are compared.
  if (inRange(quota) && inRange(limit) && quota > limit) out.push({ path: "ruleQuota", message: ruleQuotaOverLimitMessage(quota, limit) });
  if (first + quota - 1 > MAX_RULE_PRIORITY) out.push({ path: "firstRulePriority", message: `${first} with ruleQuota ${quota} needs priorities up to ${first + quota - 1}; rules stop at ${MAX_RULE_PRIORITY}` });
  else if (first + quota > MAX_RULE_PRIORITY && props.target && props.target !== "demo") out.push({ path: "firstRulePriority", message: anchorPriorityMessage(first, quota) });
  if (copies.normalCount > copies.defenceCount) out.push({ path: "copies.normalCount", message: `${copies.normalCount} is more than defenceCount ${copies.defenceCount}` });
  if (copies.kind === "asg" && !/^ami-[0-9a-f]{8,17}$/.test(copies.amiId)) out.push({ path: "copies.amiId", message: `"${copies.amiId}" is not an AMI id (ami-…)` });
  (props.allowCidrs ?? []).forEach((c, i) => {
    const r = parseCidr(c);
    if (!r.ok) out.push({ path: `allowCidrs[${i}]`, message: `"${c}" is not a valid CIDR: ${r.reason}` });
  });
  const demoCidr = props.demo?.networkCidr;
  if ((props.target ?? "demo") === "demo" && demoCidr !== undefined && !demoCidr.includes("${")) {
    const demand = demoDemand(copies.kind === "asg" ? { kind: "asg", defenceCount: copies.defenceCount, warmPoolSize: copies.warmPool.minSize } : { kind: "ecs", defenceCount: copies.defenceCount }, "copies");
    const problem = vpcCidrProblem(demoCidr) ?? networkTooSmall(demoCidr, demand);
    if (problem) out.push({ path: "demo.networkCidr", message: `"${demoCidr}" ${problem}` });
  }
  if ((props.target ?? "demo") === "demo") {
    out.push(...propsArnProblems("demo.certificateArn", props.demo?.certificateArn, region, certificateRegionReason, { pattern: ACM_CERTIFICATE_ARN, what: "an ACM certificate ARN" }));
  }
  const t = props.target;
  if (copies.kind === "ecs" && copies.reuseTaskDefinition && copies.image !== undefined) out.push({ path: "copies.reuseTaskDefinition", message: REUSE_WITH_IMAGE_MESSAGE });
  if (t && t !== "demo") {
    // References to other resources (cdktf tokens) are resolved by Terraform; only literals are checked.
    const literal = (v: string) => !v.includes("${");
    if (t.subnetIds.length === 0) out.push({ path: "target.subnetIds", message: "is empty; name the subnets the copies run in" });
    // Untyped callers may still pass it: say it is ignored rather than let them think it matters.
    if ("targetGroupArn" in t) out.push({ path: "target.targetGroupArn", message: TARGET_GROUP_RETIRED_MESSAGE });
    int("target.containerPort", t.containerPort, 1, 65535);
    if (literal(t.albSecurityGroupId) && !/^sg-[0-9a-f]{8,17}$/.test(t.albSecurityGroupId)) out.push({ path: "target.albSecurityGroupId", message: `"${t.albSecurityGroupId}" is not a security group id` });
    const oneRegion = () => "the quarantine runs in one region";
    if (literal(t.listenerArn) && !/:listener\/app\//.test(t.listenerArn)) out.push({ path: "target.listenerArn", message: `"${t.listenerArn}" is not an application load balancer listener ARN` });
    else out.push(...propsArnProblems("target.listenerArn", t.listenerArn, region, oneRegion));
    out.push(...propsArnProblems("target.taskDefinitionArn", t.taskDefinitionArn, region, oneRegion));
    if (copies.kind === "ecs" && copies.image === undefined && !copies.reuseTaskDefinition) {
      out.push({ path: "copies", message: reuseRefusedMessage("copies", literal(t.taskDefinitionArn) ? t.taskDefinitionArn : undefined) });
    }
    const real = t.realSubnetCidrs;
    if (real !== undefined && (real.length === 0 || real.length > MAX_REAL_SUBNET_CIDRS)) {
      out.push({ path: "target.realSubnetCidrs", message: `has ${real.length} CIDRs; allowed: 1 to ${MAX_REAL_SUBNET_CIDRS} (a network ACL holds 20 rules per direction, one of them lure's allow-all)` });
    }
    (real ?? []).forEach((c, i) => {
      const r = parseCidr(c);
      if (!r.ok) out.push({ path: `target.realSubnetCidrs[${i}]`, message: `"${c}" is not a valid CIDR: ${r.reason}` });
      else if (r.cidr.version !== 4) out.push({ path: `target.realSubnetCidrs[${i}]`, message: `"${c}" is not an IPv4 CIDR` });
    });
    if (t.isolateSubnets === true && real === undefined) out.push({ path: "target.realSubnetCidrs", message: ISOLATE_WITHOUT_CIDRS_MESSAGE });
  }
  int("copies.containerPort", props.copies?.containerPort, 1, 65535);
  const web = resolvedWebPorts(resolveQuarantine(props, props.prefix ?? LONGEST_PREFIX), props.demo?.containerPort !== undefined);
  // Ports out of range are reported above; only valid ones are compared with the images'.
  const validPort = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n >= 1 && n <= 65535);
  if (validPort(web.targetPort) && validPort(web.copies.containerPort)) out.push(...webPortProblems(web));
  const size = environmentProblem(props);
  if (size) out.push(size);
  return out;
}

/** Throws a ConfigError listing every problem of `props`. */
export function assertQuarantineProps(source: string, props: QuarantineProps, region?: string): void {
  const problems = quarantinePropsProblems(props, region);
  if (problems.length > 0) throw new ConfigError(source, problems);
}
