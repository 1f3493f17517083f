/** Early validation of honeynet props for programmatic use (the config loader checks the same rules). */
import { honeynetDemand, networkTooSmall, vpcCidrProblem } from "./address-plan";
import { HONEYPOT_NAMES, TPOT, missingPeers, portKeys } from "./catalog";
import { isWorldOpen, parseCidr } from "./cidr";
import { CENSYS_DEFAULT_EVERY_HOURS, ConfigError, PLAINTEXT_REFUSED_MESSAGE, type ConfigProblem, type LureConfig } from "./config";
import { expandExtraTargets } from "./extra-targets";
import type { ExtraTarget } from "../../functions/core/extra-targets";
import type { HoneynetProps, IHoneynet, WatcherProps } from "./interfaces";
import { ACM_CERTIFICATE_ARN, certificateRegionReason, propsArnProblems } from "./regions";
import { scheduleProblem } from "./schedule";
import { didYouMean } from "./suggest";

/**
 * Problems of honeynet props given in code. With `region` (the stack's), ARNs must be in it and in its
 * partition.
 */
export function honeynetPropsProblems(props: HoneynetProps, region?: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const name = (path: string, n: string) => {
    if (n in TPOT.honeypots) return true;
    const u = TPOT.unsupported[n];
    out.push({ path, message: u ? `"${n}" cannot run on serverless containers: ${u.reason}` : `"${n}" is not a known honeypot${didYouMean(n, HONEYPOT_NAMES)}` });
    return false;
  };
  if (props.honeypots.length === 0) out.push({ path: "honeypots", message: "is empty; name at least one honeypot" });
  props.honeypots.forEach((n, i) => {
    name(`honeypots[${i}]`, n);
    if (props.honeypots.indexOf(n) !== i) out.push({ path: `honeypots[${i}]`, message: `"${n}" is listed twice` });
  });
  for (const { honeypot, peer } of missingPeers(props.honeypots)) out.push({ path: "honeypots", message: `"${honeypot}" talks to "${peer}", which is not listed` });
  if (props.dashboard.certificateArn === undefined && !props.dashboard.allowPlaintext) out.push({ path: "dashboard.certificateArn", message: PLAINTEXT_REFUSED_MESSAGE("dashboard") });
  if (props.dashboard.allowCidrs.length === 0) out.push({ path: "dashboard.allowCidrs", message: "is empty: nobody could reach the dashboard" });
  props.dashboard.allowCidrs.forEach((c, i) => {
    const r = parseCidr(c);
    if (!r.ok) out.push({ path: `dashboard.allowCidrs[${i}]`, message: `"${c}" is not a valid CIDR: ${r.reason}` });
    else if (isWorldOpen(r.cidr) && !props.dashboard.allowWorldOpen) out.push({ path: `dashboard.allowCidrs[${i}]`, message: `"${c}" is world-open; set allowWorldOpen to accept that` });
  });
  for (const [n, o] of Object.entries(props.overrides ?? {})) {
    if (!name(`overrides.${n}`, n)) continue;
    if (!props.honeypots.includes(n)) out.push({ path: `overrides.${n}`, message: `"${n}" is not among the deployed honeypots` });
    for (const p of o.ports ?? []) if (!portKeys(TPOT.honeypots[n]).includes(p)) out.push({ path: `overrides.${n}.ports`, message: `"${p}" is not a port of ${n}` });
  }
  (props.imageRepositories ?? []).forEach((n, i) => name(`imageRepositories[${i}]`, n));
  for (const [n, o] of Object.entries(props.overrides ?? {})) {
    if (o.imageTag === undefined) continue;
    if (o.image !== undefined) out.push({ path: `overrides.${n}.imageTag`, message: `"${o.imageTag}" has no effect with image; remove one of them` });
    else if (!(props.imageRepositories ?? []).includes(n)) out.push({ path: `overrides.${n}.imageTag`, message: `"${o.imageTag}" needs a repository for "${n}": list it in imageRepositories` });
  }
  out.push(...propsArnProblems("dashboard.certificateArn", props.dashboard.certificateArn, region, certificateRegionReason, { pattern: ACM_CERTIFICATE_ARN, what: "an ACM certificate ARN" }));
  const cidr = props.networkCidr;
  // A reference (cdktf token) is resolved by Terraform; only a literal is checked.
  if (cidr !== undefined && !cidr.includes("${")) {
    const known = new Set(props.honeypots.filter((n) => n in TPOT.honeypots)).size;
    const problem = vpcCidrProblem(cidr) ?? networkTooSmall(cidr, honeynetDemand(known));
    if (problem) out.push({ path: "networkCidr", message: `"${cidr}" ${problem}` });
  }
  return out;
}

/** Throws a ConfigError listing every problem. */
export function assertHoneynetProps(source: string, props: HoneynetProps, region?: string): void {
  const problems = honeynetPropsProblems(props, region);
  if (problems.length > 0) throw new ConfigError(source, problems);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function watcherPropsProblems(props: WatcherProps): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (props.schedule !== undefined) {
    const p = scheduleProblem(props.schedule);
    if (p) out.push({ path: "schedule", message: `"${props.schedule}" ${p}` });
  }
  if (props.alertEmail !== undefined && !EMAIL.test(props.alertEmail)) out.push({ path: "alertEmail", message: `"${props.alertEmail}" is not an e-mail address` });
  const int = (path: string, v: number | undefined, min: number, max: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) out.push({ path, message: `${v} is not allowed; allowed: a whole number from ${min} to ${max}` });
  };
  int("minRotationIntervalHours", props.minRotationIntervalHours, 1, 720);
  int("resultsRetentionDays", props.resultsRetentionDays, 1, 3650);
  if (props.honeynet.honeypots.every((h) => h.ports.length === 0)) out.push({ path: "honeynet", message: "has no honeypot with public ports: there is nothing to watch" });
  const indexes = props.indexes ?? ["shodan"];
  if (indexes[0] !== "shodan" || new Set(indexes).size !== indexes.length || indexes.some((i) => i !== "shodan" && i !== "censys")) {
    out.push({ path: "indexes", message: `${JSON.stringify(indexes)} is not allowed; allowed: ["shodan"] or ["shodan", "censys"]` });
  }
  int("censys.everyHours", props.censys?.everyHours, 0, 720);
  if (props.censys?.organizationId !== undefined && !UUID.test(props.censys.organizationId)) out.push({ path: "censys.organizationId", message: `"${props.censys.organizationId}" is not a Censys organization ID (a UUID)` });
  out.push(...expandExtraTargets(props.extraTargets ?? [], "extraTargets", HONEYPOT_NAMES).problems);
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The watcher's settings the functions get, resolved from props already checked. */
export function watcherRuntime(props: WatcherProps): { indexes: readonly ("shodan" | "censys")[]; censys: boolean; censysEveryHours: number; censysOrganizationId?: string; extraTargets: ExtraTarget[] } {
  const indexes = props.indexes ?? ["shodan"];
  return {
    indexes,
    censys: indexes.includes("censys"),
    censysEveryHours: props.censys?.everyHours ?? CENSYS_DEFAULT_EVERY_HOURS,
    ...(props.censys?.organizationId ? { censysOrganizationId: props.censys.organizationId } : {}),
    extraTargets: expandExtraTargets(props.extraTargets ?? [], "extraTargets").targets,
  };
}

/** The watcher's props from the config, for `honeynet` (the same on every cloud; its logs keep the honeynet's retention). */
export function watcherPropsFor(config: LureConfig, honeynet: IHoneynet): WatcherProps {
  const w = config.watcher;
  return {
    prefix: config.prefix,
    honeynet,
    schedule: w.schedule,
    ...(w.alertEmail ? { alertEmail: w.alertEmail } : {}),
    rotateOnExposure: w.rotateOnExposure,
    minRotationIntervalHours: w.minRotationIntervalHours,
    resultsRetentionDays: w.resultsRetentionDays,
    honeyscore: w.honeyscore,
    logRetentionDays: config.honeynet.logRetentionDays,
    indexes: w.indexes,
    censys: w.censys,
    extraTargets: w.extraTargets,
  };
}

export function assertWatcherProps(source: string, props: WatcherProps): void {
  const problems = watcherPropsProblems(props);
  if (problems.length > 0) throw new ConfigError(source, problems);
}
