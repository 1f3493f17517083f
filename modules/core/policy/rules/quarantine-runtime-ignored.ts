/**
 * `quarantine-runtime-ignored`: what the Quarantine's functions change at run time is left to them,
 * so that `terraform apply` never reverts a quarantine in progress.
 *
 * On Google Cloud (google 6.x) the functions own two things:
 *
 * - lure's band of the Cloud Armor policy on the router's backend: the rules at priorities
 *   [`CLOUD_ARMOR_FIRST_PRIORITY`, `CLOUD_ARMOR_FIRST_PRIORITY` + `CLOUD_ARMOR_MAX_RULES`) that add
 *   the steering header. The policy is the one the functions' `LURE_SECURITY_POLICY` names, and any
 *   `security_policy` of a backend service whose serverless NEG serves a Cloud Run service labelled
 *   `lure-quarantine` (the router). It may hold no rule in the band, inline (`rule`) or as a
 *   `google_compute_security_policy_rule`, and its `lifecycle.ignore_changes` covers `rule` (or is
 *   `all`): `rule` is one set, so without that every apply deletes the functions' rules and each
 *   quarantined source reaches the real service again.
 * - the copies' minimum instance count, which the mode function raises and lowers: each copies
 *   service (as `quarantine-copies-isolated` finds them) has `lifecycle.ignore_changes` covering
 *   `scaling[0].min_instance_count` (`scaling`, `scaling[0]` or `all` do too; without the index
 *   Terraform rejects the path).
 *
 * A `LURE_SECURITY_POLICY` naming a policy outside the stack is not Terraform's to revert, and is not
 * reported here.
 */
import { CLOUD_ARMOR_FIRST_PRIORITY, CLOUD_ARMOR_MAX_RULES, GCP_QUARANTINE_ENV } from "../../../../functions/gcp/quarantine/contract";
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { asInteger, blockList, findBlock, ignoresChange, parseReferences, resourcesOf, singleBlock, type StackBlock } from "../util";
import { blocksNamed, envSettings, gcpCopiesServices, quarantinePartOf } from "./quarantine-copies-isolated-gcp";

const RULE_ID = "quarantine-runtime-ignored";
const BAND_FIRST = CLOUD_ARMOR_FIRST_PRIORITY;
const BAND_LAST = CLOUD_ARMOR_FIRST_PRIORITY + CLOUD_ARMOR_MAX_RULES - 1;
const BAND = `[${BAND_FIRST}, ${BAND_LAST}]`;
/** The copies' attribute the mode function sets. */
export const COPIES_MIN_INSTANCES_PATH = "scaling[0].min_instance_count";
const BACKEND_SERVICES: readonly string[] = ["google_compute_backend_service", "google_compute_region_backend_service"];
const POLICY = "google_compute_security_policy";

/** Whether a rule's `priority` is in lure's band, or cannot be read (a reference, a variable): `"band"`, `"unknown"` or `undefined`. */
function inBand(priority: unknown): "band" | "unknown" | undefined {
  const p = asInteger(priority);
  if (p === undefined) return "unknown";
  return p >= BAND_FIRST && p <= BAND_LAST ? "band" : undefined;
}

/** The Cloud Run services a backend service's serverless NEGs serve. */
function cloudRunBehind(stack: SynthesizedStack, backend: StackBlock): StackBlock[] {
  return blockList(backend.body["backend"])
    .flatMap((b) => parseReferences(b["group"]))
    .filter((r) => r.kind === "resource" && r.type.endsWith("network_endpoint_group"))
    .map((r) => findBlock(stack, r))
    .flatMap((neg) => (neg ? blocksNamed(stack, singleBlock(neg.body["cloud_run"])?.["service"], "google_cloud_run_v2_service") : []));
}

/** The Quarantine's Cloud Armor policies of the stack, each with why it is one. */
function steeringPolicies(stack: SynthesizedStack): { policy: StackBlock; why: string }[] {
  const found = new Map<string, { policy: StackBlock; why: string }>();
  const add = (policy: StackBlock, why: string) => {
    if (!found.has(policy.address)) found.set(policy.address, { policy, why });
  };
  for (const e of envSettings(stack, GCP_QUARANTINE_ENV.securityPolicy)) {
    for (const p of blocksNamed(stack, e.value, POLICY)) add(p, `${e.address} ${GCP_QUARANTINE_ENV.securityPolicy}`);
  }
  for (const backend of BACKEND_SERVICES.flatMap((type) => resourcesOf(stack, type))) {
    const quarantine = cloudRunBehind(stack, backend).filter((s) => quarantinePartOf(s.body) !== undefined);
    if (quarantine.length === 0) continue;
    for (const p of blocksNamed(stack, backend.body["security_policy"], POLICY)) add(p, `the security_policy of ${backend.address}, in front of ${quarantine.map((s) => s.address).join(", ")}`);
  }
  return [...found.values()];
}

function gcpViolations(stack: SynthesizedStack): Violation[] {
  const out: Violation[] = [];
  const v = (resource: string, message: string) => out.push({ ruleId: RULE_ID, resource, message });
  const standalone = resourcesOf(stack, "google_compute_security_policy_rule");
  for (const { policy, why } of steeringPolicies(stack)) {
    const rules = blockList(policy.body["rule"]);
    const band = rules.filter((r) => inBand(r["priority"]) === "band").map((r) => String(asInteger(r["priority"])));
    const unknown = rules.filter((r) => inBand(r["priority"]) === "unknown").map((r) => JSON.stringify(r["priority"] ?? null));
    if (band.length > 0 || unknown.length > 0) {
      const what = [
        ...(band.length > 0 ? [`rule${band.length === 1 ? "" : "s"} at ${band.join(", ")}, in lure's band ${BAND}`] : []),
        ...(unknown.length > 0 ? [`rule${unknown.length === 1 ? "" : "s"} whose priority ${unknown.join(", ")} cannot be read, so may be in lure's band ${BAND}`] : []),
      ];
      v(policy.address, `Quarantine Cloud Armor policy ${policy.address} (${why}) has ${what.join(", and ")}; the functions write that band, so Terraform may hold rules outside it only.`);
    }
    for (const r of standalone.filter((r) => blocksNamed(stack, r.body["security_policy"], POLICY).some((p) => p.address === policy.address))) {
      const where = inBand(r.body["priority"]);
      if (where === undefined) continue;
      v(r.address, `${r.address} adds a rule ${where === "band" ? `at ${String(asInteger(r.body["priority"]))}, in lure's band ${BAND},` : `whose priority ${JSON.stringify(r.body["priority"] ?? null)} cannot be read, so may be in lure's band ${BAND},`} to the Quarantine's Cloud Armor policy ${policy.address}; the functions write that band, so Terraform may hold rules outside it only.`);
    }
    if (!ignoresChange(policy.body, "rule")) {
      v(policy.address, `Quarantine Cloud Armor policy ${policy.address} (${why}) does not ignore changes to rule, so terraform apply deletes the rules the functions add and quarantined sources reach the real service again; add "rule" to lifecycle.ignore_changes.`);
    }
  }
  for (const svc of gcpCopiesServices(stack)) {
    if (!ignoresChange(svc.body, COPIES_MIN_INSTANCES_PATH)) {
      v(svc.address, `copies Cloud Run service ${svc.address} does not ignore changes to ${COPIES_MIN_INSTANCES_PATH}, so terraform apply resets the minimum the mode function sets; add "${COPIES_MIN_INSTANCES_PATH}" to lifecycle.ignore_changes.`);
    }
  }
  return out;
}

/** See the file header. */
export const quarantineRuntimeIgnored: PolicyRule = {
  id: RULE_ID,
  description: "Terraform leaves the Quarantine's runtime state alone: no rule in lure's Cloud Armor band; the policy's rules and the copies' min instances in ignore_changes.",
  check(stack: SynthesizedStack): Violation[] {
    return gcpViolations(stack);
  },
};
