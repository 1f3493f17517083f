/**
 * Environment of the Google Cloud Quarantine functions (detector and mode, one package), read once
 * at cold start. `GcpQuarantine` (modules/gcp/quarantine.ts) sets exactly the variables of
 * `GCP_QUARANTINE_ENV`; a wrong one is a deployment bug, so the instance refuses to start and the
 * error names every bad variable (and every bad field of `LURE_QUARANTINE`) at once.
 *
 * Steering: the rules live in a Cloud Armor policy, whose band and limits are the contract's
 * (`cloudArmorSteeringOptions`: priorities from 1000, 10 ranges a rule, at most 100 rules). Only
 * `steering.ruleQuota` is taken from the document; `firstPriority`, `albRuleLimit` and
 * `cidrsPerRule` are always the contract's, whatever the document says, so the functions plan exactly
 * what `lure simulate --format gcp-lb` plans. (The shared reader checks the ALB's bounds, 5 CIDRs a
 * rule, so the document's steering is checked here for `ruleQuota` only.)
 *
 * Cloud Run sets its own variables besides these (not read here): `K_SERVICE`, `K_REVISION`, `PORT`,
 * `FUNCTION_TARGET`.
 *
 * @example
 * const env = gcpQuarantineEnv(process.env, "lure quarantine functions"); // throws before any event is read
 */
import { EnvReader, type Vars } from "../../aws/env-reader";
import { readQuarantineConfig } from "../../core/quarantine-config";
import type { QuarantineRuntimeConfig } from "../../core/quarantine-types";
import { cloudArmorSteeringOptions, CLOUD_ARMOR_FIRST_PRIORITY, CLOUD_ARMOR_MAX_RULES, GCP_QUARANTINE_ENV } from "./contract";
import { CLOUD_RUN_SERVICE_NAME, GCP_PROJECT_ID, GCP_PROJECT_ID_PATTERN } from "../../core/gcp-project";

/** A forwarding rule's resource name, split. */
export interface ForwardingRuleRef {
  /** As given: `projects/<project>/global/forwardingRules/<name>`. */
  readonly id: string;
  readonly project: string;
  readonly name: string;
}

export interface GcpQuarantineEnv {
  /** `LURE_QUARANTINE`, with the steering of `cloudArmorSteeringOptions(steering.ruleQuota)`. */
  readonly config: QuarantineRuntimeConfig;
  /** `LURE_PROJECT`: the project of the policy, the copies and the database. */
  readonly project: string;
  /** `LURE_REGION`: the copies' Cloud Run region. */
  readonly region: string;
  /** `LURE_SECURITY_POLICY`: the Cloud Armor policy's name (global). */
  readonly securityPolicy: string;
  /** `LURE_COPIES_SERVICE`: the copies' Cloud Run service name (short name). */
  readonly copiesService: string;
  /** `LURE_DATABASE`: the Firestore database id (`(default)` or a named database). */
  readonly database: string;
  /** `LURE_FORWARDING_RULE`: only request-log entries of this forwarding rule are signal. */
  readonly forwardingRule: ForwardingRuleRef;
}

const REGION = /^[a-z]+-[a-z]+[0-9]+$/;
/** RFC 1035 names (Compute resources): 1-63 characters. */
const RFC1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Firestore database ids: `(default)`, or 4-63 lower-case letters, digits and hyphens, from a letter, not ending in a hyphen. */
const DATABASE = /^(\(default\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$/;
const FORWARDING_RULE = new RegExp(`^projects/(${GCP_PROJECT_ID_PATTERN})/global/forwardingRules/([a-z]([-a-z0-9]{0,61}[a-z0-9])?)$`);

class Reader extends EnvReader {
  forwardingRule(name: string): ForwardingRuleRef {
    const what = "the load balancer's forwarding rule, projects/<project>/global/forwardingRules/<name>";
    const v = this.text(name, what);
    if (!v) return { id: "", project: "", name: "" };
    const m = FORWARDING_RULE.exec(v);
    if (!m) {
      this.problems.push(`${name} is ${JSON.stringify(v)} (expected ${what})`);
      return { id: v, project: "", name: "" };
    }
    return { id: v, project: m[1], name: m[2] };
  }
}

/**
 * The document as the shared reader should see it: the steering's bounds replaced by ones it accepts
 * (the contract's are the Cloud Armor policy's), `ruleQuota` kept so the reader checks it.
 */
function forSharedReader(raw: string | undefined): string | undefined {
  if (raw === undefined) return raw;
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return raw;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return raw;
  const steering = (doc as { steering?: unknown }).steering;
  const ruleQuota = typeof steering === "object" && steering !== null && !Array.isArray(steering) ? (steering as { ruleQuota?: unknown }).ruleQuota : undefined;
  return JSON.stringify({ ...doc, steering: { firstPriority: CLOUD_ARMOR_FIRST_PRIORITY, ruleQuota, albRuleLimit: CLOUD_ARMOR_MAX_RULES, cidrsPerRule: 1 } });
}

/** Reads and checks every variable of `GCP_QUARANTINE_ENV`; throws one error listing every problem. `fn` names the functions in the error. */
export function gcpQuarantineEnv(vars: Vars, fn: string): GcpQuarantineEnv {
  const r = new Reader(vars);
  const e = GCP_QUARANTINE_ENV;
  const read = readQuarantineConfig(forSharedReader(vars[e.config]), r.problems);
  const config = read && { ...read, steering: cloudArmorSteeringOptions(read.steering.ruleQuota) };
  const value = {
    project: r.matching(e.project, "the project id", GCP_PROJECT_ID),
    region: r.matching(e.region, "the copies' Cloud Run region, e.g. europe-west2", REGION),
    securityPolicy: r.matching(e.securityPolicy, "the Cloud Armor policy's name (1-63 lower-case letters, digits, hyphens)", RFC1035),
    copiesService: r.matching(e.copiesService, "the copies' Cloud Run service name (not its resource name)", CLOUD_RUN_SERVICE_NAME),
    database: r.matching(e.database, "the Firestore database id, (default) or 4-63 lower-case letters, digits, hyphens", DATABASE),
    forwardingRule: r.forwardingRule(e.forwardingRule),
  };
  // readQuarantineConfig reports every problem it returns undefined for.
  return r.done(fn, { config: config!, ...value });
}
