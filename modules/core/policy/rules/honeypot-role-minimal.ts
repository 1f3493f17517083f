/**
 * `honeypot-role-minimal`: a honeypot's task role can only write its own logs.
 *
 * A honeypot is meant to be attacked; if it falls, its role must be worth nothing. Roles tagged
 * `lure:component = honeypot` therefore have no managed policies (`managed_policy_arns`,
 * `aws_iam_role_policy_attachment`, `aws_iam_policy_attachment`,
 * `aws_iam_role_policy_attachments_exclusive`), and every statement of their policies
 * (`aws_iam_role_policy` and `inline_policy`) is an `Allow` of `elasticfilesystem:ClientMount` /
 * `elasticfilesystem:ClientWrite` on a resource other than `*`, conditioned on
 * `StringEquals { "elasticfilesystem:AccessPointArn" = ... }` where every value references an
 * `aws_efs_access_point` that a task definition running as this role mounts
 * (`authorization_config.access_point_id`).
 *
 * On Azure the same invariant is stronger and simpler: a honeypot holds no identity at all. A VM,
 * scale set or container group tagged `lure:component = honeypot` (`azurerm_linux_virtual_machine`,
 * `azurerm_windows_virtual_machine`, their `_scale_set`s, `azurerm_container_group`) has no `identity`
 * block. Its logs leave by the network (Fluent Bit to Logstash), so it needs no Azure permission, and
 * without an identity the instance metadata endpoint hands an attacker no token to try.
 *
 * On Google Cloud a honeypot VM (`google_compute_instance` or an instance template, labelled
 * `lure-component = honeypot`) should have no `service_account` block. If it has one, its `scopes`
 * do not include `cloud-platform` (which lets the token use every role of the account), its `email`
 * is set and is not the Compute Engine default account (`...-compute@developer.gserviceaccount.com`
 * or `data.google_compute_default_service_account`: left unset, the VM runs as that account, which
 * usually holds Editor on the project), and no IAM grant of the stack gives that account a role:
 * `google_*_iam_member` / `_iam_binding` naming it in `member(s)`, or a `google_*_iam_policy` whose
 * `policy_data` (JSON, or a `data.google_iam_policy`) binds it.
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import {
  asStringList,
  blockList,
  componentOf,
  conditionValues,
  hasBlock,
  iamPolicyBindings,
  inlinePolicies,
  isComponent,
  parseReferences,
  readPolicy,
  refersTo,
  resourcesOf,
  singleBlock,
} from "../util";
import type { PolicySource, PolicyStatement, Reference, StackBlock } from "../util";

const RULE_ID = "honeypot-role-minimal";

/** The only actions a honeypot role may be granted. */
const ALLOWED_ACTIONS: readonly string[] = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"];
const ALLOWED = new Set(ALLOWED_ACTIONS.map((a) => a.toLowerCase()));
const ACCESS_POINT_KEY = "elasticfilesystem:AccessPointArn";

/** Azure compute that can carry a managed identity (`identity` block). */
const AZURE_COMPUTE: readonly string[] = [
  "azurerm_linux_virtual_machine",
  "azurerm_windows_virtual_machine",
  "azurerm_linux_virtual_machine_scale_set",
  "azurerm_windows_virtual_machine_scale_set",
  "azurerm_container_group",
];

/** Honeypot compute with an `identity` block, one violation each. */
function azureIdentities(stack: SynthesizedStack): Violation[] {
  return AZURE_COMPUTE.flatMap((type) => resourcesOf(stack, type))
    .filter((r) => isComponent(r.body, "honeypot") && hasBlock(r.body, "identity"))
    .map((r) => {
      const identity = singleBlock(r.body["identity"]);
      const type = identity?.["type"];
      return {
        ruleId: RULE_ID,
        resource: r.address,
        message: `honeypot ${r.address} has an identity block${typeof type === "string" ? ` (type ${JSON.stringify(type)})` : ""}; a honeypot may hold no managed identity: remove the block.`,
      };
    });
}

const GCP_COMPUTE: readonly string[] = ["google_compute_instance", "google_compute_instance_template", "google_compute_region_instance_template"];
const CLOUD_PLATFORM: readonly string[] = ["cloud-platform", "https://www.googleapis.com/auth/cloud-platform"];
const DEFAULT_COMPUTE_ACCOUNT = /-compute@developer\.gserviceaccount\.com$/i;

/** A honeypot VM's service account: its references (`${google_service_account.X.email}`) or its literal email. */
interface HoneypotAccount {
  readonly vm: StackBlock;
  readonly email: string;
  readonly refs: readonly Reference[];
}

/** True when an IAM `member` string names `account`. */
function namesAccount(member: string, account: HoneypotAccount): boolean {
  if (account.refs.length > 0) return parseReferences(member).some((r) => account.refs.some((a) => a.address === r.address));
  return member.trim().toLowerCase() === `serviceaccount:${account.email.trim().toLowerCase()}`;
}

/** Honeypot VMs with a broad or default service account, and grants to the accounts they use. */
function gcpAccounts(stack: SynthesizedStack): Violation[] {
  const out: Violation[] = [];
  const accounts: HoneypotAccount[] = [];
  for (const vm of GCP_COMPUTE.flatMap((type) => resourcesOf(stack, type)).filter((r) => componentOf(r.body) === "honeypot")) {
    const sa = singleBlock(vm.body["service_account"]);
    if (!sa) continue;
    const email = sa["email"];
    const refs = parseReferences(email);
    if (typeof email !== "string" || email.trim() === "" || DEFAULT_COMPUTE_ACCOUNT.test(email) || refs.some((r) => r.type === "google_compute_default_service_account")) {
      out.push({ ruleId: RULE_ID, resource: vm.address, message: `honeypot ${vm.address} runs as the Compute Engine default service account${typeof email === "string" && email !== "" ? ` (${email})` : " (service_account.email unset)"}, which usually holds Editor on the project; remove the service_account block.` });
    } else {
      accounts.push({ vm, email, refs });
    }
    const broad = (asStringList(sa["scopes"]) ?? []).filter((scope) => CLOUD_PLATFORM.includes(scope.trim().toLowerCase()));
    if (broad.length > 0) {
      out.push({ ruleId: RULE_ID, resource: vm.address, message: `honeypot ${vm.address} gives its service account scope ${broad.join(", ")}, which lets a stolen token use every role of the account; remove the service_account block.` });
    }
  }
  if (accounts.length === 0) return out;
  const grant = (address: string, role: unknown, member: string) => {
    for (const a of accounts.filter((a) => namesAccount(member, a))) {
      out.push({ ruleId: RULE_ID, resource: address, message: `${address} grants ${JSON.stringify(role ?? null)} to ${a.email}, the service account of honeypot ${a.vm.address}; a honeypot's account may hold no role.` });
    }
  };
  for (const type of Object.keys(stack.resource ?? {}).filter((t) => /^google_.+_iam_(member|binding|policy)$/.test(t))) {
    for (const r of resourcesOf(stack, type)) {
      if (type.endsWith("_policy")) {
        for (const b of iamPolicyBindings(stack, r.body["policy_data"])) b.members.forEach((m) => grant(r.address, b.role, m));
      } else {
        [...(asStringList(r.body["member"]) ?? []), ...(asStringList(r.body["members"]) ?? [])].forEach((m) => grant(r.address, r.body["role"], m));
      }
    }
  }
  return out;
}

/** True when `value` names `role`: a reference to it, or its literal `name`. */
function isRole(value: unknown, role: StackBlock): boolean {
  if (refersTo(value, "aws_iam_role", role.name)) return true;
  const name = role.body["name"];
  return typeof name === "string" && !name.includes("${") && value === name;
}

/** Names of the access points mounted by task definitions whose task role is `role`. */
function ownAccessPoints(stack: SynthesizedStack, role: StackBlock): Set<string> {
  const names = new Set<string>();
  for (const task of resourcesOf(stack, "aws_ecs_task_definition")) {
    if (!refersTo(task.body["task_role_arn"], "aws_iam_role", role.name)) continue;
    for (const volume of blockList(task.body["volume"])) {
      const auth = singleBlock(singleBlock(volume["efs_volume_configuration"])?.["authorization_config"]);
      for (const ref of parseReferences(auth?.["access_point_id"])) {
        if (ref.kind === "resource" && ref.type === "aws_efs_access_point") names.add(ref.name);
      }
    }
  }
  return names;
}

/** Managed-policy attachments of `role`, each as a violation message keyed by the resource to report. */
function managedPolicies(stack: SynthesizedStack, role: StackBlock): { resource: string; message: string }[] {
  const found: { resource: string; message: string }[] = [];
  const arns = role.body["managed_policy_arns"];
  if (typeof arns === "string" || (Array.isArray(arns) && arns.length > 0)) {
    found.push({ resource: role.address, message: `honeypot role ${role.address} has managed_policy_arns ${JSON.stringify(arns)}; a honeypot role may have no managed policies.` });
  }
  for (const a of resourcesOf(stack, "aws_iam_role_policy_attachment")) {
    if (isRole(a.body["role"], role)) {
      found.push({ resource: a.address, message: `${a.address} attaches ${JSON.stringify(a.body["policy_arn"])} to honeypot role ${role.address}; a honeypot role may have no managed policies.` });
    }
  }
  for (const a of resourcesOf(stack, "aws_iam_policy_attachment")) {
    if ((asStringList(a.body["roles"]) ?? []).some((r) => isRole(r, role))) {
      found.push({ resource: a.address, message: `${a.address} attaches ${JSON.stringify(a.body["policy_arn"])} to honeypot role ${role.address}; a honeypot role may have no managed policies.` });
    }
  }
  for (const a of resourcesOf(stack, "aws_iam_role_policy_attachments_exclusive")) {
    const arnsList = asStringList(a.body["policy_arns"]) ?? [];
    if (isRole(a.body["role_name"], role) && arnsList.length > 0) {
      found.push({ resource: a.address, message: `${a.address} attaches ${JSON.stringify(arnsList)} to honeypot role ${role.address}; a honeypot role may have no managed policies.` });
    }
  }
  return found;
}

/** What is wrong with one statement of a honeypot role's policy (empty when nothing is). */
function statementProblems(s: PolicyStatement, role: StackBlock, own: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  if (s.effect !== "Allow") problems.push(`Effect is ${JSON.stringify(s.effect ?? "unset")} (only Allow statements are expected)`);
  if (s.notActions) problems.push(`uses NotAction ${JSON.stringify(s.notActions)}`);
  if (!s.actions || s.actions.length === 0) problems.push("has no Action");
  for (const action of s.actions ?? []) {
    if (/[*?]/.test(action)) problems.push(`grants wildcard action ${action}`);
    else if (!ALLOWED.has(action.toLowerCase())) problems.push(`grants ${action} (only ${ALLOWED_ACTIONS.join(", ")} are allowed)`);
  }
  if (s.notResources) problems.push(`uses NotResource ${JSON.stringify(s.notResources)}`);
  if (!s.resources || s.resources.length === 0) problems.push("has no Resource");
  else if (s.resources.some((r) => r.trim() === "*")) problems.push('has Resource "*"');
  const accessPoints = conditionValues(s, "StringEquals", ACCESS_POINT_KEY);
  if (!accessPoints || accessPoints.length === 0) {
    problems.push(`has no Condition StringEquals "${ACCESS_POINT_KEY}"`);
    return problems;
  }
  for (const value of accessPoints) {
    const refs = parseReferences(value);
    if (refs.length === 0) problems.push(`${ACCESS_POINT_KEY} ${JSON.stringify(value)} does not reference an aws_efs_access_point`);
    for (const ref of refs) {
      if (ref.kind !== "resource" || ref.type !== "aws_efs_access_point") {
        problems.push(`${ACCESS_POINT_KEY} references ${ref.address}, which is not an aws_efs_access_point`);
      } else if (!own.has(ref.name)) {
        problems.push(`${ACCESS_POINT_KEY} allows ${ref.address}, which no task definition running as ${role.address} mounts`);
      }
    }
  }
  return problems;
}

/** See the file header. */
export const honeypotRoleMinimal: PolicyRule = {
  id: RULE_ID,
  description: "Honeypot IAM roles only mount/write their own EFS access points; honeypot Azure compute has no identity; honeypot GCE VMs have no broad or privileged account.",
  check(stack: SynthesizedStack): Violation[] {
    const violations: Violation[] = [];
    for (const role of resourcesOf(stack, "aws_iam_role")) {
      if (!isComponent(role.body, "honeypot")) continue;
      for (const m of managedPolicies(stack, role)) violations.push({ ruleId: RULE_ID, ...m });
      const own = ownAccessPoints(stack, role);
      const sources: PolicySource[] = [
        ...inlinePolicies(role),
        ...resourcesOf(stack, "aws_iam_role_policy")
          .filter((p) => isRole(p.body["role"], role))
          .map((p) => ({ address: p.address, label: "policy", policy: p.body["policy"] })),
      ];
      for (const source of sources) {
        const where = `${source.address} ${source.label} (honeypot role ${role.address})`;
        const read = readPolicy(stack, source.policy);
        if (!read.ok) {
          violations.push({ ruleId: RULE_ID, resource: source.address, message: `${where} cannot be verified: ${read.reason}.` });
          continue;
        }
        for (const statement of read.statements) {
          const problems = statementProblems(statement, role, own);
          if (problems.length === 0) continue;
          violations.push({ ruleId: RULE_ID, resource: source.address, message: `${where} ${statement.where}: ${problems.join("; ")}.` });
        }
      }
    }
    return [...violations, ...azureIdentities(stack), ...gcpAccounts(stack)];
  },
};
