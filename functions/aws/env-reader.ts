/**
 * Reading a function's environment at cold start: every problem is collected, so one failed deploy
 * shows them all, each with the variable, what it held and what was expected.
 */

import { parseExtraTargets, type ExtraTarget } from "../core/extra-targets";
import { parseIpMessage } from "../core/watcher-message";

/** Censys as a further index (`watcher.indexes`); the variables are set only when it is enabled. */
export interface CensysEnv {
  /** `LURE_CENSYS_SECRET`: the secret holding the Personal Access Token (ARN, vault secret name or Secret Manager id). */
  readonly secret: string;
  /** `LURE_CENSYS_SECRET_NAME`: how alerts name that secret to people. @default the secret */
  readonly secretName: string;
  /** `LURE_CENSYS_EVERY_HOURS`: hours before one IP is asked again. @default 24 */
  readonly everyHours: number;
  /** `LURE_CENSYS_ORG`: the organization billed. @default none (the free wallet) */
  readonly organizationId?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Vars = Readonly<Record<string, string | undefined>>;

/** Collects every problem so one failed deploy shows them all. */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(protected readonly vars: Vars) {}

  text(name: string, what: string): string {
    const v = this.vars[name]?.trim();
    if (!v) {
      this.problems.push(`${name} is ${v === undefined ? "not set" : "empty"} (expected ${what})`);
      return "";
    }
    return v;
  }

  /** A set variable that must also match `pattern`. */
  matching(name: string, what: string, pattern: RegExp): string {
    const v = this.text(name, what);
    if (v && !pattern.test(v)) this.problems.push(`${name} is ${JSON.stringify(v)} (expected ${what})`);
    return v;
  }

  httpsUrl(name: string, what: string): string {
    const v = this.text(name, what);
    if (v && !/^https:\/\/[^\s/]+\/\S*$/.test(v)) this.problems.push(`${name} is ${JSON.stringify(v)} (expected ${what}, an https:// URL)`);
    return v;
  }

  bool(name: string): boolean {
    const v = this.vars[name];
    if (v === "true" || v === "false") return v === "true";
    this.problems.push(`${name} is ${describe(v)} (expected "true" or "false")`);
    return false;
  }

  int(name: string, min: number, fallback?: number): number {
    const v = this.vars[name];
    if ((v === undefined || v.trim() === "") && fallback !== undefined) return fallback;
    if (v !== undefined && /^\d+$/.test(v.trim()) && Number(v) >= min && Number.isSafeInteger(Number(v))) return Number(v);
    this.problems.push(`${name} is ${describe(v)} (expected an integer ≥ ${min}${fallback !== undefined ? `, or unset for ${fallback}` : ""})`);
    return fallback ?? min;
  }

  /**
   * A non-empty JSON object of honeypot name → the cloud's unit that runs it (`unit`: "ECS service
   * name", "VM name"), each pair checked against the queue message format: a name it refuses would
   * get every message of that honeypot dropped as malformed.
   */
  honeypotMap(name: string, unit: string, example: string): Readonly<Record<string, string>> {
    const raw = this.text(name, `a JSON object of honeypot name → ${unit}, e.g. ${example}`);
    if (!raw) return {};
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      this.problems.push(`${name} is not JSON (expected an object of honeypot name → ${unit})`);
      return {};
    }
    if (typeof value !== "object" || value === null || Array.isArray(value) || Object.keys(value).length === 0) {
      this.problems.push(`${name} is ${JSON.stringify(value)} (expected a non-empty object of honeypot name → ${unit})`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const [honeypot, runner] of Object.entries(value)) {
      if (typeof runner !== "string") {
        this.problems.push(`${name}.${honeypot} is ${JSON.stringify(runner)} (expected ${/^[aeiou]/i.test(unit) ? "an" : "a"} ${unit})`);
        continue;
      }
      const probe = parseIpMessage(JSON.stringify({ ip: "192.0.2.1", honeypot, service: runner, cycle: "2000-01-01T00:00:00Z" }));
      if (!probe.ok) {
        this.problems.push(`${name}.${honeypot}: ${probe.error}`);
        continue;
      }
      out[honeypot] = runner;
    }
    return out;
  }

  /** `LURE_EXTRA_TARGETS`: a JSON list of `{ ip, honeypot, label? }`; unset means none. */
  extraTargets(name = "LURE_EXTRA_TARGETS"): ExtraTarget[] {
    try {
      return parseExtraTargets(this.vars[name], name);
    } catch (err) {
      this.problems.push((err as Error).message);
      return [];
    }
  }

  /** Censys's settings, or undefined when `LURE_CENSYS_SECRET` is unset (Censys not enabled). */
  censys(): CensysEnv | undefined {
    const secret = this.vars.LURE_CENSYS_SECRET?.trim();
    if (!secret) return undefined;
    const org = this.vars.LURE_CENSYS_ORG?.trim();
    if (org && !UUID.test(org)) this.problems.push(`LURE_CENSYS_ORG is ${JSON.stringify(org)} (expected a Censys organization ID, a UUID, or unset)`);
    return {
      secret,
      secretName: this.vars.LURE_CENSYS_SECRET_NAME?.trim() || secret,
      everyHours: this.int("LURE_CENSYS_EVERY_HOURS", 0, 24),
      ...(org ? { organizationId: org } : {}),
    };
  }

  done<T>(fn: string, value: T): T {
    if (this.problems.length > 0) throw new Error(`${fn}: invalid environment: ${this.problems.join("; ")}`);
    return value;
  }
}

function describe(v: string | undefined): string {
  return v === undefined ? "not set" : JSON.stringify(v);
}
