/**
 * The Google Cloud half of `quarantine-copies-isolated`. The copies are a Cloud Run v2 service that
 * the load balancer never reaches: it sends everything to the router (Envoy on Cloud Run), which
 * sends the requests lure's Cloud Armor rules marked to the copies, over the VPC. The copies are
 * told apart by the label form of the AWS and Azure tag, `QUARANTINE_PART_LABEL`
 * (`lure-quarantine`) = `copies` on the `google_cloud_run_v2_service`; the service the functions'
 * `LURE_COPIES_SERVICE` names counts as the copies too, so a forgotten label cannot hide them. A
 * violation is:
 *
 * - a copies service named by `LURE_COPIES_SERVICE` without the label, or a `LURE_COPIES_SERVICE`
 *   that names no Cloud Run service of the stack (whose isolation cannot then be checked);
 * - copies whose `ingress` is not `INGRESS_TRAFFIC_INTERNAL_ONLY` (unset is `INGRESS_TRAFFIC_ALL`:
 *   their run.app URL would be open to the scanner directly), or that turn the invoker check off
 *   (`invoker_iam_disabled`);
 * - copies that do not run as a `google_service_account` of this stack of their own
 *   (`template.service_account` unset is the Compute Engine default account, usually an Editor; a
 *   literal email or data source cannot be checked), or whose account another resource of the stack
 *   also uses;
 * - any grant to the copies' account: a `google_*_iam_member` / `_iam_binding` / `_iam_policy` on
 *   the project, a resource, another service account, a custom role... whose member is that account
 *   (grants *on* the account, letting another principal act as it, hand out nothing and are allowed);
 * - copies with VPC access (`template.vpc_access` with a connector or network interfaces): the
 *   real service's network is the one thing they must not reach;
 * - a grant on the copies service (`google_cloud_run_v2_service_iam_*`, or the v1
 *   `google_cloud_run_service_iam_*`) to `allUsers` or `allAuthenticatedUsers`: only the router's
 *   account invokes the copies;
 * - the real service (`lure-quarantine=real`) with any ingress but `INGRESS_TRAFFIC_INTERNAL_ONLY`:
 *   a scanner that found its run.app URL would reach it past the router, never to be steered.
 */
import { GCP_QUARANTINE_ENV } from "../../../../functions/gcp/quarantine/contract";
import type { Attributes, SynthesizedStack, Violation } from "../types";
import { blockList, findBlock, iamGrants, isRecord, namesServiceAccount, parseReferences, refersTo, resourcesOf, singleBlock, type StackBlock } from "../util";
import { QUARANTINE_PART_LABEL } from "./quarantine-markers";

export { QUARANTINE_PART_LABEL };

/** The only ingress the copies may have: requests from the VPC (the router's Direct VPC egress). */
const COPIES_INGRESS = "INGRESS_TRAFFIC_INTERNAL_ONLY";
const PUBLIC_MEMBERS: readonly string[] = ["allusers", "allauthenticatedusers"];
const DEFAULT_COMPUTE_ACCOUNT = /-compute@developer\.gserviceaccount\.com$/i;
const set = (v: unknown) => v !== undefined && v !== null && v !== "";
const isTrue = (v: unknown) => v === true || v === "true";

/** The value of a `lure-quarantine` label (`copies`, `real`, `router`), or `undefined`. */
export function quarantinePartOf(body: Attributes): string | undefined {
  const labels = body["labels"];
  const value = isRecord(labels) ? labels[QUARANTINE_PART_LABEL] : undefined;
  return typeof value === "string" ? value : undefined;
}

/** One environment variable of a function or Cloud Run container of the stack. */
export interface EnvSetting {
  /** Address of the function, service or job that sets it. */
  readonly address: string;
  readonly value: unknown;
}

/**
 * Every value the stack gives the environment variable `name`: Cloud Run functions
 * (`google_cloudfunctions2_function` `service_config.environment_variables`), 1st gen functions
 * (`environment_variables`) and the containers of Cloud Run services and jobs (`env`).
 */
export function envSettings(stack: SynthesizedStack, name: string): EnvSetting[] {
  const out: EnvSetting[] = [];
  const fromMap = (address: string, vars: unknown) => {
    if (isRecord(vars) && name in vars) out.push({ address, value: vars[name] });
  };
  for (const fn of resourcesOf(stack, "google_cloudfunctions2_function")) fromMap(fn.address, singleBlock(fn.body["service_config"])?.["environment_variables"]);
  for (const fn of resourcesOf(stack, "google_cloudfunctions_function")) fromMap(fn.address, fn.body["environment_variables"]);
  const containers = (r: StackBlock) => {
    const template = singleBlock(r.body["template"]);
    return blockList(r.type === "google_cloud_run_v2_job" ? singleBlock(template?.["template"])?.["containers"] : template?.["containers"]);
  };
  for (const r of [...resourcesOf(stack, "google_cloud_run_v2_service"), ...resourcesOf(stack, "google_cloud_run_v2_job")]) {
    for (const c of containers(r)) for (const e of blockList(c["env"]).filter((e) => e["name"] === name)) out.push({ address: r.address, value: e["value"] });
  }
  return out;
}

/** The last segment of a resource name (`projects/p/locations/r/services/n` → `n`). */
const shortName = (v: string) => v.trim().replace(/\/+$/, "").split("/").pop() ?? "";

/**
 * The blocks of `type` that `value` names: by reference (any attribute), or by their literal `name`
 * (a full resource name matches on its last segment).
 */
export function blocksNamed(stack: SynthesizedStack, value: unknown, type: string): StackBlock[] {
  const all = resourcesOf(stack, type);
  const refs = parseReferences(value).filter((r) => r.kind === "resource" && r.type === type);
  if (refs.length > 0) return all.filter((b) => refs.some((r) => r.name === b.name));
  if (typeof value !== "string" || value.includes("${") || value.trim() === "") return [];
  return all.filter((b) => typeof b.body["name"] === "string" && b.body["name"] === shortName(value));
}

/** The Quarantine's copies in the stack: labelled `lure-quarantine=copies`, or named by a `LURE_COPIES_SERVICE`. */
export function gcpCopiesServices(stack: SynthesizedStack): StackBlock[] {
  const named = envSettings(stack, GCP_QUARANTINE_ENV.copiesService).flatMap((e) => blocksNamed(stack, e.value, "google_cloud_run_v2_service"));
  return resourcesOf(stack, "google_cloud_run_v2_service").filter((s) => quarantinePartOf(s.body) === "copies" || named.some((n) => n.name === s.name));
}

/** Whether a Cloud Run IAM grant is on `svc`: v2 grants name it in `name`, v1 grants in `service`. */
function grantOn(g: { type: string; body: Attributes }, svc: StackBlock): boolean {
  const target = g.type.startsWith("google_cloud_run_v2_service_iam_") ? g.body["name"] : g.type.startsWith("google_cloud_run_service_iam_") ? g.body["service"] : undefined;
  if (target === undefined) return false;
  if (refersTo(target, svc.type, svc.name)) return true;
  const name = svc.body["name"];
  return typeof target === "string" && !target.includes("${") && typeof name === "string" && shortName(target) === name;
}

export function gcpCopiesViolations(stack: SynthesizedStack, ruleId: string): Violation[] {
  const out: Violation[] = [];
  const v = (resource: string, message: string) => out.push({ ruleId, resource, message });
  const label = `${QUARANTINE_PART_LABEL}=copies`;

  const unlabelled = new Map<string, { svc: StackBlock; by: string[] }>();
  for (const e of envSettings(stack, GCP_QUARANTINE_ENV.copiesService)) {
    const named = blocksNamed(stack, e.value, "google_cloud_run_v2_service");
    if (named.length === 0) {
      v(e.address, `${e.address} sets ${GCP_QUARANTINE_ENV.copiesService} to ${JSON.stringify(e.value ?? null)}, which names no google_cloud_run_v2_service of this stack, so the copies' isolation cannot be checked; create the copies in this stack and pass their name by reference.`);
    }
    for (const svc of named.filter((s) => quarantinePartOf(s.body) !== "copies")) {
      const entry = unlabelled.get(svc.address) ?? { svc, by: [] };
      entry.by.push(e.address);
      unlabelled.set(svc.address, entry);
    }
  }
  for (const { svc, by } of unlabelled.values()) {
    v(svc.address, `${svc.address} is the copies service (${GCP_QUARANTINE_ENV.copiesService} of ${by.join(", ")}) but is not labelled ${label}; label it, so that it is known as the copies.`);
  }

  const copies = gcpCopiesServices(stack);
  const grants = iamGrants(stack);
  for (const svc of copies) {
    const ingress = svc.body["ingress"];
    if (ingress !== COPIES_INGRESS) {
      v(svc.address, `copies Cloud Run service ${svc.address} has ingress ${set(ingress) ? JSON.stringify(ingress) : "unset (defaults to INGRESS_TRAFFIC_ALL)"}; set ${COPIES_INGRESS}: only the router reaches the copies, from the VPC.`);
    }
    if (isTrue(svc.body["invoker_iam_disabled"])) {
      v(svc.address, `copies Cloud Run service ${svc.address} sets invoker_iam_disabled, so anyone who reaches it may invoke it; grant roles/run.invoker on it to the router's service account only.`);
    }
    const template = singleBlock(svc.body["template"]);
    const vpc = singleBlock(template?.["vpc_access"]);
    if (vpc && (set(vpc["connector"]) || blockList(vpc["network_interfaces"]).length > 0)) {
      v(svc.address, `copies Cloud Run service ${svc.address} has VPC access (template.vpc_access), a path into the real service's network; remove it: the copies need none, the router reaches them.`);
    }

    const email = template?.["service_account"];
    const refs = parseReferences(email);
    const account = refs.length === 1 && refs[0]?.kind === "resource" && refs[0].type === "google_service_account" ? findBlock(stack, refs[0]) : undefined;
    if (!set(email) || (typeof email === "string" && DEFAULT_COMPUTE_ACCOUNT.test(email)) || refs.some((r) => r.type === "google_compute_default_service_account")) {
      v(svc.address, `copies Cloud Run service ${svc.address} runs as the Compute Engine default service account${set(email) ? ` (${String(email)})` : " (template.service_account unset)"}, which usually holds Editor on the project; give the copies a google_service_account of their own, with no role.`);
    } else if (!account) {
      v(svc.address, `copies Cloud Run service ${svc.address} runs as ${JSON.stringify(email)}, which is not a google_service_account of this stack, so its roles cannot be checked; give the copies a google_service_account of their own, with no role.`);
    }
    if (!account) continue;

    const sharers = Object.keys(stack.resource ?? {})
      .filter((type) => !/_iam_(member|binding|policy)$/.test(type))
      .flatMap((type) => resourcesOf(stack, type))
      .filter((r) => r.address !== account.address && !copies.some((c) => c.address === r.address) && refersTo(r.body, account.type, account.name));
    if (sharers.length > 0) {
      v(svc.address, `copies Cloud Run service ${svc.address} runs as ${account.address}, which ${sharers.map((s) => s.address).join(", ")} also use${sharers.length === 1 ? "s" : ""}; the copies' account is theirs alone, so that taking a copy over gains nothing.`);
    }
    for (const g of grants.filter((g) => namesServiceAccount(g.member, account))) {
      v(g.address, `${g.address} grants ${JSON.stringify(g.role ?? null)} to ${g.member}, the service account of copies ${svc.address}; the copies' account may hold no role, on the project or on any resource.`);
    }
  }

  for (const svc of resourcesOf(stack, "google_cloud_run_v2_service").filter((r) => quarantinePartOf(r.body) === "real")) {
    const ingress = svc.body["ingress"];
    if (ingress !== COPIES_INGRESS) {
      v(svc.address, `the Quarantine's real Cloud Run service ${svc.address} has ingress ${set(ingress) ? JSON.stringify(ingress) : "unset (defaults to INGRESS_TRAFFIC_ALL)"}; set ${COPIES_INGRESS}: a request that reaches it past the router can never be steered to the copies.`);
    }
  }

  for (const svc of copies) {
    for (const g of grants.filter((g) => PUBLIC_MEMBERS.includes(g.member.trim().toLowerCase()) && grantOn(g, svc))) {
      v(g.address, `${g.address} grants ${JSON.stringify(g.role ?? null)} on copies ${svc.address} to ${g.member}; only the router's service account may invoke the copies.`);
    }
  }
  return out;
}
