/**
 * The Quarantine functions' settings document, `LURE_QUARANTINE` (`QuarantineRuntimeConfig` as
 * JSON), read and checked the same way on every cloud. Cloud-neutral on purpose: no SDK is imported,
 * so the Azure bundle can use it without pulling in the AWS SDKs.
 *
 * @example
 * const problems: string[] = [];
 * const config = readQuarantineConfig(process.env.LURE_QUARANTINE, problems);
 * if (problems.length > 0) throw new Error(problems.join("; "));
 */
import { isIP } from "node:net";
import { MEMORY_TARGETS } from "./detector";
import type { QuarantineRuntimeConfig } from "./quarantine-types";

/** ALB rule priorities are 1–50,000 (the default action is not a rule). */
export const MAX_RULE_PRIORITY = 50_000;
/** Highest ALB rule limit accepted (AWS: 100 per load balancer by default, adjustable). */
export const MAX_ALB_RULE_LIMIT = 1000;
/** An ALB `source-ip` condition takes at most 5 CIDRs. */
export const MAX_CIDRS_PER_RULE = 5;

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

/**
 * Reads and checks `LURE_QUARANTINE`; every problem is pushed to `problems` (each with its path, the
 * value and what is allowed) and `undefined` is returned only when the document itself is unreadable
 * (then its one problem says so). The steering bounds are the ALB's; a cloud with tighter limits
 * checks them on top.
 */
export function readQuarantineConfig(raw: string | undefined, problems: string[]): QuarantineRuntimeConfig | undefined {
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

