/**
 * `dashboard-behind-waf`: the dashboard load balancer only answers allow-listed addresses.
 *
 * Every `aws_lb` (or `aws_alb`) tagged `lure:component = dashboard` must be associated
 * (`aws_wafv2_web_acl_association`) with an `aws_wafv2_web_acl` whose default action blocks and
 * which has an `allow` rule restricted to `aws_wafv2_ip_set`s with no `/0` address.
 *
 * An allow rule is "restricted" when its statement is an `ip_set_reference_statement` to such a set,
 * an `or_statement` whose branches are all restricted, or an `and_statement` with at least one
 * restricted branch. An `or_statement` with a branch that is not an IP set (a geo match, say) lets
 * more than the allow-list in and does not count.
 *
 * On Google Cloud (google 6.x) the gate is a Cloud Armor policy on the backend service. The
 * dashboard backends are the `google_compute_backend_service`s (or regional ones) reached from a
 * forwarding rule labelled `lure-component = dashboard` (through its target proxy and URL map), and
 * those whose serverless NEG runs a `google_cloud_run_v2_service` labelled `dashboard`. Each must have
 * a `security_policy` referencing a `google_compute_security_policy` of the stack whose default rule
 * (priority 2147483647; without one Google adds an allow-all) has an action starting with `deny` and is
 * not in preview, and whose other admitting rules (every action but `deny(...)`: `allow`, `throttle`,
 * `rate_based_ban`, `redirect`) match literal `src_ip_ranges` only. Ranges with `*`, a `/0` or that
 * together cover a whole address family need the world-open opt-in: the label
 * {@link GCP_WORLD_OPEN_LABEL} = `true` on every forwarding rule that reaches the backend and every
 * Cloud Run service behind it. The opt-in waives only the allow-list, never the policy: as on AWS,
 * the default still denies. A dashboard Cloud Run service also sets `ingress` to
 * `INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER` or `INGRESS_TRAFFIC_INTERNAL_ONLY` (the default,
 * `INGRESS_TRAFFIC_ALL`, lets its `run.app` URL bypass Cloud Armor).
 */
import type { Attributes, PolicyRule, SynthesizedStack, Violation } from "../types";
import { asInteger, asStringList, blockList, componentOf, findBlock, hasBlock, isComponent, isRecord, parseReferences, refersTo, resourcesOf, singleBlock, tagsOf } from "../util";
import type { StackBlock } from "../util";
import { LABEL_KEYS } from "../../labels";
import { TAG_KEYS } from "../../naming";
import { cidrBounds } from "../../cidr";

const RULE_ID = "dashboard-behind-waf";

/** Tag on the web ACL that records the config's explicit world-open opt-in. */
export const WORLD_OPEN_TAG = TAG_KEYS.worldOpen;

/** True when the CIDRs together cover a whole address family (e.g. 0.0.0.0/1 + 128.0.0.0/1). */
export function coversWholeSpace(cidrs: readonly string[]): boolean {
  for (const v6 of [false, true]) {
    const ranges = cidrs
      .map(cidrBounds)
      .filter((r): r is NonNullable<ReturnType<typeof cidrBounds>> => r !== undefined && (r.version === 6) === v6)
      .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    let next = 0n;
    for (const r of ranges) {
      if (r.first > next) break;
      if (r.last + 1n > next) next = r.last + 1n;
    }
    if (ranges.length > 0 && next === 1n << (v6 ? 128n : 32n)) return true;
  }
  return false;
}

/** Why an IP set cannot back an allow-list, or `undefined` when it can. */
function ipSetProblem(set: StackBlock, worldAccepted: boolean): string | undefined {
  const raw = set.body["addresses"];
  if (!Array.isArray(raw)) return `${set.address} has no literal addresses list`;
  const addresses = asStringList(raw) ?? [];
  const world = addresses.filter((a) => /\/0$/.test(a.trim()));
  if (world.length > 0) return `${set.address} contains ${world.join(", ")}`;
  if (coversWholeSpace(addresses) && !worldAccepted) {
    return `${set.address} covers the whole address space (${addresses.join(", ")}) without the web ACL's ${WORLD_OPEN_TAG}=accepted opt-in tag`;
  }
  return undefined;
}

/** Problems that keep `statement` from restricting traffic to IP allow-lists (empty when it does). */
function restrictionProblems(stack: SynthesizedStack, statement: Attributes | undefined, worldAccepted: boolean, depth = 0): string[] {
  if (!statement || depth > 10) return ["the statement is not an IP set reference"];
  const ipSet = singleBlock(statement["ip_set_reference_statement"]);
  if (ipSet) {
    const refs = parseReferences(ipSet["arn"]).filter((r) => r.kind === "resource" && r.type === "aws_wafv2_ip_set");
    if (refs.length === 0) return [`ip_set_reference_statement ${JSON.stringify(ipSet["arn"])} does not reference an aws_wafv2_ip_set in the stack`];
    return refs.flatMap((r) => {
      const set = findBlock(stack, r);
      if (!set) return [`${r.address} is not defined in the stack`];
      const problem = ipSetProblem(set, worldAccepted);
      return problem ? [problem] : [];
    });
  }
  const or = singleBlock(statement["or_statement"]);
  if (or) {
    const branches = blockList(or["statement"]);
    if (branches.length === 0) return ["or_statement has no statements"];
    return branches.flatMap((b) => restrictionProblems(stack, b, worldAccepted, depth + 1));
  }
  const and = singleBlock(statement["and_statement"]);
  if (and) {
    const results = blockList(and["statement"]).map((b) => restrictionProblems(stack, b, worldAccepted, depth + 1));
    if (results.some((r) => r.length === 0)) return [];
    return results.length === 0 ? ["and_statement has no statements"] : results.flat();
  }
  const kind = Object.keys(statement)[0];
  return [`${kind ?? "an empty statement"} is not an IP set reference`];
}

/** Why `acl` does not make the dashboard allow-list only (empty when it does). */
function aclProblems(stack: SynthesizedStack, acl: StackBlock): string[] {
  const problems: string[] = [];
  const defaultAction = singleBlock(acl.body["default_action"]);
  if (hasBlock(defaultAction, "allow") || !hasBlock(defaultAction, "block")) {
    problems.push("its default_action is not block");
  }
  const allowRules = blockList(acl.body["rule"]).filter((r) => hasBlock(singleBlock(r["action"]), "allow"));
  const worldAccepted = tagsOf(acl.body)[WORLD_OPEN_TAG] === "accepted";
  const ruleProblems = allowRules.map((r) => ({ name: r["name"], problems: restrictionProblems(stack, singleBlock(r["statement"]), worldAccepted) }));
  if (!ruleProblems.some((r) => r.problems.length === 0)) {
    const details = ruleProblems.map((r) => `rule ${JSON.stringify(r.name)}: ${r.problems.join("; ")}`);
    const ruleJson = acl.body["rule_json"] !== undefined ? " (rule_json is not inspected)" : "";
    problems.push(
      allowRules.length === 0
        ? `it has no allow rule${ruleJson}`
        : `none of its allow rules is restricted to aws_wafv2_ip_set allow-lists without /0 (${details.join(" | ")})${ruleJson}`,
    );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Google Cloud: Cloud Armor on the dashboard's backend services
// ---------------------------------------------------------------------------------------------

/** Label (value `true`) on the dashboard's forwarding rule and Cloud Run service: the config's world-open opt-in. */
export const GCP_WORLD_OPEN_LABEL = LABEL_KEYS.worldOpen;
/** Cloud Armor's default rule has the last priority there is. */
const DEFAULT_PRIORITY = 2147483647;
const FORWARDING_RULES: readonly string[] = ["google_compute_global_forwarding_rule", "google_compute_forwarding_rule"];
const BACKEND_SERVICES: readonly string[] = ["google_compute_backend_service", "google_compute_region_backend_service"];
/** What lies between a forwarding rule and a backend service: target proxies and URL maps. */
const LB_HOPS: readonly string[] = [
  "google_compute_target_http_proxy",
  "google_compute_target_https_proxy",
  "google_compute_target_tcp_proxy",
  "google_compute_target_ssl_proxy",
  "google_compute_region_target_http_proxy",
  "google_compute_region_target_https_proxy",
  "google_compute_region_target_tcp_proxy",
  "google_compute_url_map",
  "google_compute_region_url_map",
];

const worldOpen = (body: Attributes) => isRecord(body["labels"]) && body["labels"][GCP_WORLD_OPEN_LABEL] === "true";

/** What a forwarding rule leads to: backend service addresses, and whether some hop could not be followed. */
interface Reach {
  readonly backends: Set<string>;
  opaque: boolean;
}

/**
 * The backend services `block` leads to through proxies and URL maps of the stack. A hop that is not
 * a block of the stack (a literal target, a proxy defined elsewhere) makes the reach opaque; a URL map
 * that only redirects leads nowhere, which is fine.
 */
function backendsReached(stack: SynthesizedStack, block: StackBlock, reach: Reach = { backends: new Set(), opaque: false }, depth = 0): Reach {
  if (depth > 4) {
    reach.opaque = true;
    return reach;
  }
  for (const ref of parseReferences(block.body)) {
    if (ref.kind !== "resource") continue;
    if (BACKEND_SERVICES.includes(ref.type)) reach.backends.add(ref.address);
    else if (LB_HOPS.includes(ref.type)) {
      const next = findBlock(stack, ref);
      if (next) backendsReached(stack, next, reach, depth + 1);
      else reach.opaque = true;
    }
  }
  return reach;
}

/** The Cloud Run services behind a backend service: its backends' serverless NEGs name them (by reference or literal name). */
function cloudRunBehind(stack: SynthesizedStack, backend: StackBlock, services: readonly StackBlock[]): StackBlock[] {
  const negs = blockList(backend.body["backend"])
    .flatMap((b) => parseReferences(b["group"]))
    .map((r) => (r.kind === "resource" && r.type.endsWith("network_endpoint_group") ? findBlock(stack, r) : undefined))
    .filter((n): n is StackBlock => n !== undefined);
  return services.filter((svc) =>
    negs.some((neg) => {
      const target = singleBlock(neg.body["cloud_run"])?.["service"];
      return refersTo(target, svc.type, svc.name) || (typeof target === "string" && target === svc.body["name"]);
    }),
  );
}

/** Why a Cloud Armor policy does not limit the dashboard to its allow-list (empty when it does). */
function cloudArmorProblems(policy: StackBlock, worldAccepted: boolean): string[] {
  const problems: string[] = [];
  const rules = blockList(policy.body["rule"]);
  const isDefault = (r: Attributes) => asInteger(r["priority"]) === DEFAULT_PRIORITY;
  const preview = (r: Attributes) => r["preview"] === true || r["preview"] === "true";
  const fallback = rules.find(isDefault);
  if (!fallback) problems.push(`it has no default rule (priority ${DEFAULT_PRIORITY}), so Google adds one that allows everyone`);
  else {
    const action = fallback["action"];
    if (!(typeof action === "string" && action.trim().toLowerCase().startsWith("deny"))) problems.push(`its default rule's action is ${JSON.stringify(action ?? null)}, not deny(...)`);
    if (preview(fallback)) problems.push("its default rule is in preview, so it denies nothing");
  }
  const admitted: string[] = [];
  let namedWorld = false;
  for (const r of rules.filter((r) => !isDefault(r) && !preview(r))) {
    const action = r["action"];
    if (typeof action === "string" && action.trim().toLowerCase().startsWith("deny")) continue;
    const where = `rule ${String(r["priority"])} (${JSON.stringify(action ?? null)})`;
    const match = singleBlock(r["match"]);
    const raw = singleBlock(match?.["config"])?.["src_ip_ranges"];
    const ranges = Array.isArray(raw) ? (asStringList(raw) ?? []) : [];
    if (hasBlock(match, "expr") || ranges.length === 0) {
      problems.push(`${where} matches something other than literal src_ip_ranges, so it cannot be shown to admit only the allow-list`);
      continue;
    }
    const unresolved = ranges.filter((c) => c.includes("${"));
    if (unresolved.length > 0) problems.push(`${where} has unresolved src_ip_ranges ${unresolved.join(", ")}`);
    const world = ranges.filter((c) => c.trim() === "*" || /\/0$/.test(c.trim()));
    namedWorld ||= world.length > 0;
    if (world.length > 0 && !worldAccepted) problems.push(`${where} admits ${world.join(", ")} without the ${GCP_WORLD_OPEN_LABEL}=true opt-in`);
    admitted.push(...ranges);
  }
  // Cloud Armor takes 10 ranges a rule, so a whole-space allow-list can be spread over several rules.
  if (!worldAccepted && !namedWorld && coversWholeSpace(admitted)) {
    problems.push(`its allow rules together cover the whole address space (${admitted.join(", ")}) without the ${GCP_WORLD_OPEN_LABEL}=true opt-in`);
  }
  return problems;
}

function gcpViolations(stack: SynthesizedStack): Violation[] {
  const out: Violation[] = [];
  const runs = resourcesOf(stack, "google_cloud_run_v2_service").filter((s) => componentOf(s.body) === "dashboard");
  for (const svc of runs) {
    const ingress = svc.body["ingress"];
    if (ingress !== "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" && ingress !== "INGRESS_TRAFFIC_INTERNAL_ONLY") {
      out.push({
        ruleId: RULE_ID,
        resource: svc.address,
        message: `dashboard Cloud Run service ${svc.address} has ingress ${ingress === undefined ? "unset (defaults to INGRESS_TRAFFIC_ALL)" : JSON.stringify(ingress)}, so its run.app URL bypasses Cloud Armor; set INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER.`,
      });
    }
  }
  const rules = FORWARDING_RULES.flatMap((type) => resourcesOf(stack, type));
  const reached = new Map(rules.map((r) => [r.address, backendsReached(stack, r)]));
  const dashboard = new Set<string>();
  for (const r of rules.filter((r) => componentOf(r.body) === "dashboard")) {
    const reach = reached.get(r.address);
    const hops = parseReferences(r.body["target"]).filter((t) => t.kind === "resource" && LB_HOPS.includes(t.type));
    if (!reach || reach.opaque || hops.length === 0) {
      out.push({ ruleId: RULE_ID, resource: r.address, message: `dashboard forwarding rule ${r.address} leads through target ${JSON.stringify(r.body["target"] ?? null)}, which is not a proxy chain of this stack, so its Cloud Armor policy cannot be verified.` });
    }
    reach?.backends.forEach((a) => dashboard.add(a));
  }
  for (const backend of BACKEND_SERVICES.flatMap((type) => resourcesOf(stack, type))) {
    const behind = cloudRunBehind(stack, backend, runs);
    if (!dashboard.has(backend.address) && behind.length === 0) continue;
    const entries = [...rules.filter((r) => reached.get(r.address)?.backends.has(backend.address)), ...behind];
    const worldAccepted = entries.length > 0 && entries.every((e) => worldOpen(e.body));
    const value = backend.body["security_policy"];
    const refs = parseReferences(value).filter((r) => r.kind === "resource" && r.type === "google_compute_security_policy");
    const policy = refs.length === 1 && refs[0] ? findBlock(stack, refs[0]) : undefined;
    let problems: string[];
    if (value === undefined || value === null || value === "") problems = ["it has no security_policy: anyone who reaches the load balancer reaches Kibana"];
    else if (!policy) problems = [`its security_policy ${JSON.stringify(value)} is not a google_compute_security_policy of this stack, so it cannot be verified`];
    else problems = cloudArmorProblems(policy, worldAccepted).map((p) => `${policy.address}: ${p}`);
    if (problems.length === 0) continue;
    out.push({ ruleId: RULE_ID, resource: backend.address, message: `dashboard backend service ${backend.address} is not allow-listed: ${problems.join("; ")}.` });
  }
  return out;
}

/** See the file header. */
export const dashboardBehindWaf: PolicyRule = {
  id: RULE_ID,
  description: "Dashboard load balancers sit behind a WAF web ACL (AWS) or Cloud Armor policy (Google Cloud) that denies by default and allows only allow-listed addresses.",
  check(stack: SynthesizedStack): Violation[] {
    const violations: Violation[] = [];
    const balancers = [...resourcesOf(stack, "aws_lb"), ...resourcesOf(stack, "aws_alb")].filter((lb) => isComponent(lb.body, "dashboard"));
    const associations = resourcesOf(stack, "aws_wafv2_web_acl_association");
    for (const lb of balancers) {
      const mine = associations.filter((a) => refersTo(a.body["resource_arn"], lb.type, lb.name));
      if (mine.length === 0) {
        violations.push({
          ruleId: RULE_ID,
          resource: lb.address,
          message: `dashboard load balancer ${lb.address} has no aws_wafv2_web_acl_association: it is open to anyone who can reach it.`,
        });
        continue;
      }
      const findings = mine.map((association) => {
        const aclRefs = parseReferences(association.body["web_acl_arn"]).filter((r) => r.kind === "resource" && r.type === "aws_wafv2_web_acl");
        const acl = aclRefs[0] && findBlock(stack, aclRefs[0]);
        if (!acl) return { association, problems: [`its web_acl_arn ${JSON.stringify(association.body["web_acl_arn"])} is not an aws_wafv2_web_acl in the stack`] };
        return { association, acl, problems: aclProblems(stack, acl) };
      });
      if (findings.some((f) => f.problems.length === 0)) continue;
      for (const f of findings) {
        const subject = f.acl ? `${f.acl.address} (via ${f.association.address})` : f.association.address;
        violations.push({
          ruleId: RULE_ID,
          resource: lb.address,
          message: `dashboard load balancer ${lb.address} is not allow-listed by ${subject}: ${f.problems.join("; ")}.`,
        });
      }
    }
    return [...violations, ...gcpViolations(stack)];
  },
};
