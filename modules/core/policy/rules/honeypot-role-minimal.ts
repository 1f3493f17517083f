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
 * block. Its logs leave by the network (Filebeat to Logstash), so it needs no Azure permission, and
 * without an identity the instance metadata endpoint hands an attacker no token to try. One exception,
 * a hive's sensor (`honeynet.analytics.hive`), which reads its shipping credential at boot: exactly one
 * `UserAssigned` identity of the stack, every role assignment of which (by `principal_id`) is
 * `Key Vault Secrets User` on a Key Vault of the stack (a `scope` that is exactly its `.id`).
 *
 * On Google Cloud a honeypot VM (`google_compute_instance` or an instance template, labelled
 * `lure-component = honeypot`) should have no `service_account` block. If it has one, its `scopes`
 * do not include `cloud-platform` (which lets the token use every role of the account), its `email`
 * is set and is not the Compute Engine default account (`...-compute@developer.gserviceaccount.com`
 * or `data.google_compute_default_service_account`: left unset, the VM runs as that account, which
 * usually holds Editor on the project), and no IAM grant of the stack gives that account a role:
 * `google_*_iam_member` / `_iam_binding` naming it in `member(s)`, or a `google_*_iam_policy` whose
 * `policy_data` (JSON, or a `data.google_iam_policy`) binds it. The exception is a hive's sensor:
 * `google_secret_manager_secret_iam_member`s with role `roles/secretmanager.secretAccessor`, no
 * condition, on a secret of the stack (`secret_id` exactly its `.id`, `.secret_id` or `.name`); an account holding only those
 * (at least one) may also have the `cloud-platform` scope, the only one Secret Manager accepts.
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import {
  asStringList,
  blockList,
  componentOf,
  conditionValues,
  findBlock,
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

/** The role a hive sensor's identity may hold, on a Key Vault of the stack, and nothing else (`analytics.hive`). */
const SENSOR_VAULT_ROLE = "Key Vault Secrets User";

/**
 * True when `identity` is a hive sensor's: exactly one user-assigned identity of the stack, whose
 * every role assignment is Key Vault Secrets User on a Key Vault of the stack.
 */
function isSensorIdentity(stack: SynthesizedStack, identity: Record<string, unknown> | undefined): boolean {
  if (!identity || identity["type"] !== "UserAssigned") return false;
  const ids = asStringList(identity["identity_ids"]) ?? [];
  const refs = ids.flatMap((v) => parseReferences(v));
  if (ids.length !== 1 || refs.length !== 1 || refs[0].kind !== "resource" || refs[0].type !== "azurerm_user_assigned_identity") return false;
  const name = refs[0].name;
  if (!resourcesOf(stack, "azurerm_user_assigned_identity").some((u) => u.name === name)) return false;
  return resourcesOf(stack, "azurerm_role_assignment")
    .filter((a) => refersTo(a.body["principal_id"], "azurerm_user_assigned_identity", name))
    .every((a) => a.body["role_definition_name"] === SENSOR_VAULT_ROLE && a.body["role_definition_id"] === undefined && refersToStackResource(stack, a.body["scope"], "azurerm_key_vault"));
}

/** True when `value` is exactly a reference to an identifying attribute (`attributes`) of a resource of `type` defined in the stack. */
function refersToStackResource(stack: SynthesizedStack, value: unknown, type: string, attributes: readonly string[] = ["id"]): boolean {
  const refs = parseReferences(value);
  return typeof value === "string" && refs.length === 1 && attributes.some((a) => value === `\${${refs[0].address}.${a}}`) && refs[0].type === type && findBlock(stack, refs[0]) !== undefined;
}

/** Honeypot compute with an `identity` block other than a hive sensor's, one violation each. */
function azureIdentities(stack: SynthesizedStack): Violation[] {
  return AZURE_COMPUTE.flatMap((type) => resourcesOf(stack, type))
    .filter((r) => isComponent(r.body, "honeypot") && hasBlock(r.body, "identity") && !isSensorIdentity(stack, singleBlock(r.body["identity"])))
    .map((r) => {
      const identity = singleBlock(r.body["identity"]);
      const type = identity?.["type"];
      return {
        ruleId: RULE_ID,
        resource: r.address,
        message: `honeypot ${r.address} has an identity block${typeof type === "string" ? ` (type ${JSON.stringify(type)})` : ""}; a honeypot may hold no managed identity but a hive sensor's (one user-assigned identity whose only role is ${SENSOR_VAULT_ROLE} on a Key Vault of the stack): remove the block.`,
      };
    });
}

const GCP_COMPUTE: readonly string[] = ["google_compute_instance", "google_compute_instance_template", "google_compute_region_instance_template"];
const CLOUD_PLATFORM: readonly string[] = ["cloud-platform", "https://www.googleapis.com/auth/cloud-platform"];
const DEFAULT_COMPUTE_ACCOUNT = /-compute@developer\.gserviceaccount\.com$/i;
/** The role a hive sensor's account may hold, on a secret of the stack (`analytics.hive`). */
const SENSOR_SECRET_ROLE = "roles/secretmanager.secretAccessor";

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
  const broadScopes: { vm: StackBlock; scopes: string[]; account?: HoneypotAccount }[] = [];
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
    if (broad.length > 0) broadScopes.push({ vm, scopes: broad, account: accounts.find((a) => a.vm === vm) });
  }
  // Every grant to a honeypot's account; a hive sensor's may read one secret of the stack, nothing else.
  const grants: { address: string; role: unknown; account: HoneypotAccount; sensorRead: boolean }[] = [];
  const grant = (r: StackBlock, role: unknown, member: string, sensorRead: boolean) => {
    for (const a of accounts.filter((a) => namesAccount(member, a))) grants.push({ address: r.address, role, account: a, sensorRead });
  };
  for (const type of Object.keys(stack.resource ?? {}).filter((t) => /^google_.+_iam_(member|binding|policy)$/.test(t))) {
    for (const r of resourcesOf(stack, type)) {
      if (type.endsWith("_policy")) {
        for (const b of iamPolicyBindings(stack, r.body["policy_data"])) b.members.forEach((m) => grant(r, b.role, m, false));
      } else {
        const sensorRead = type === "google_secret_manager_secret_iam_member" && r.body["role"] === SENSOR_SECRET_ROLE && r.body["condition"] === undefined && refersToStackResource(stack, r.body["secret_id"], "google_secret_manager_secret", ["id", "secret_id", "name"]);
        [...(asStringList(r.body["member"]) ?? []), ...(asStringList(r.body["members"]) ?? [])].forEach((m) => grant(r, r.body["role"], m, sensorRead));
      }
    }
  }
  for (const g of grants.filter((g) => !g.sensorRead)) {
    out.push({ ruleId: RULE_ID, resource: g.address, message: `${g.address} grants ${JSON.stringify(g.role ?? null)} to ${g.account.email}, the service account of honeypot ${g.account.vm.address}; a honeypot's account may hold no role but a hive sensor's ${SENSOR_SECRET_ROLE} on a secret of the stack.` });
  }
  // Secret Manager takes cloud-platform tokens only; with nothing but sensor reads, that is all such a token can do.
  for (const b of broadScopes) {
    const own = b.account ? grants.filter((g) => g.account === b.account) : [];
    if (own.length > 0 && own.every((g) => g.sensorRead)) continue;
    out.push({ ruleId: RULE_ID, resource: b.vm.address, message: `honeypot ${b.vm.address} gives its service account scope ${b.scopes.join(", ")}, which lets a stolen token use every role of the account; remove the service_account block (a hive sensor's account, whose only roles are ${SENSOR_SECRET_ROLE} on secrets of the stack, may have it).` });
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
  description: "Honeypot IAM roles only mount/write their own EFS access points; honeypot Azure/GCE VMs hold no identity or role but a hive sensor's credential read.",
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
