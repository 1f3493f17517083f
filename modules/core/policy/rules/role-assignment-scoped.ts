/**
 * `role-assignment-scoped`: no Azure role assignment reaches above a resource group or hands out an
 * administrator role.
 *
 * The AWS rules read the actions and resources of policy statements (`no-wildcard-mutating`). Azure
 * RBAC grants through role definitions that the stack names rather than spells out, so the same
 * least-privilege invariant is stated on what an `azurerm_role_assignment` writes: its `scope` is a
 * resource group or a resource inside one, never a subscription (`/subscriptions/<id>` with nothing
 * under it, or a reference to `azurerm_subscription` / `data.azurerm_subscription`), a management
 * group (`/providers/Microsoft.Management/managementGroups/...` or a reference to
 * `azurerm_management_group`) or the root `/`; and its role is not `Owner`, `Contributor`,
 * `User Access Administrator` or `Role Based Access Control Administrator`, by `role_definition_name`
 * or by the built-in ids in `role_definition_id`. Even a reader role at subscription scope lists every
 * honeypot and its address, which is what the honeynet must keep to itself. A `scope` that is only an
 * unresolved expression (`${var.scope}`) cannot be verified and is reported.
 *
 * A custom role (`azurerm_role_definition`) would otherwise be the way around both: its `scope` and
 * every `assignable_scopes` entry obey the same scope test (and `assignable_scopes` is set: left out,
 * it defaults to `scope`, which is still checked), and its `permissions` spell each action out, with
 * no `*` in `actions` or `data_actions` (a wildcard grants what a later API adds) and no
 * `not_actions` / `not_data_actions` (which grant everything else).
 *
 * On Google Cloud the same administrator roles are the basic `roles/owner` and `roles/editor` and the
 * roles that grant access to others (`roles/resourcemanager.projectIamAdmin`,
 * `roles/resourcemanager.folderIamAdmin`, `roles/resourcemanager.organizationAdmin`,
 * `roles/iam.securityAdmin`). None may be granted at project, folder or organization level:
 * `google_{project,folder,organization}_iam_member` / `_iam_binding` (`role`), or a binding of a
 * `google_{project,folder,organization}_iam_policy` (`policy_data` as JSON or a `data.google_iam_policy`).
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { asStringList, blockList, iamPolicyBindings, parseReferences, resourcesOf } from "../util";

const RULE_ID = "role-assignment-scoped";

/** Built-in roles that administer everything in their scope, or grant access to others. */
const ADMIN_ROLES: readonly string[] = ["Owner", "Contributor", "User Access Administrator", "Role Based Access Control Administrator"];
/** Ids of the built-in roles above that appear in the provider's own code (Owner, Contributor, User Access Administrator). */
const ADMIN_ROLE_IDS: Readonly<Record<string, string>> = {
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
};
/** Types whose `id` is a subscription or management group scope. */
const BROAD_TYPES: readonly string[] = ["azurerm_subscription", "azurerm_management_group"];

/** Why `scope` reaches above a resource group, or `undefined` when it does not. */
function broadScope(scope: unknown): string | undefined {
  if (typeof scope !== "string" || scope.trim() === "") return "is not set";
  const refs = parseReferences(scope);
  const broad = refs.find((r) => BROAD_TYPES.includes(r.type) && (r.attr === undefined || r.attr === "id"));
  // Each `${...}` is one opaque path segment; what is left is the shape of the id.
  const shape = scope.trim().replace(/\$\{[^}]*\}/g, "X").replace(/\/+$/, "");
  if (broad && /^X$/.test(shape)) return `is ${broad.address}.id, a ${broad.type === "azurerm_subscription" ? "subscription" : "management group"}`;
  if (shape === "") return "is the root scope /";
  if (/^\/subscriptions\/[^/]+$/i.test(shape)) return "is a whole subscription";
  if (/^\/providers\/Microsoft\.Management\/managementGroups\//i.test(shape)) return "is a management group";
  if (shape === "X" && refs.length === 0) return "is an unresolved expression, so it cannot be verified";
  return undefined;
}

/** The administrator role an assignment grants, or `undefined`. */
function adminRole(name: unknown, id: unknown): string | undefined {
  if (typeof name === "string") {
    const role = ADMIN_ROLES.find((r) => r.toLowerCase() === name.trim().toLowerCase());
    if (role) return role;
  }
  if (typeof id === "string") {
    const guid = /([0-9a-f-]{36})\s*$/i.exec(id)?.[1]?.toLowerCase();
    if (guid && ADMIN_ROLE_IDS[guid]) return ADMIN_ROLE_IDS[guid];
  }
  return undefined;
}

/** Custom roles defined or assignable above a resource group, or granting by wildcard or exclusion. */
function roleDefinitionViolations(stack: SynthesizedStack): Violation[] {
  const out: Violation[] = [];
  for (const d of resourcesOf(stack, "azurerm_role_definition")) {
    const scopes: [string, unknown][] = [["scope", d.body["scope"]], ...(asStringList(d.body["assignable_scopes"]) ?? []).map((v, i): [string, unknown] => [`assignable_scopes[${i}]`, v])];
    for (const [where, scope] of scopes) {
      const why = broadScope(scope);
      if (why) out.push({ ruleId: RULE_ID, resource: d.address, message: `${d.address} ${where} ${JSON.stringify(scope ?? null)} ${why}; define the role at the resource group it is for.` });
    }
    blockList(d.body["permissions"]).forEach((p, i) => {
      for (const key of ["actions", "data_actions"]) {
        const wild = (asStringList(p[key]) ?? []).filter((a) => a.includes("*"));
        if (wild.length > 0) out.push({ ruleId: RULE_ID, resource: d.address, message: `${d.address} permissions[${i}].${key} has ${wild.map((a) => JSON.stringify(a)).join(", ")}; list each action the role needs.` });
      }
      for (const key of ["not_actions", "not_data_actions"]) {
        if ((asStringList(p[key]) ?? []).length > 0) out.push({ ruleId: RULE_ID, resource: d.address, message: `${d.address} permissions[${i}] sets ${key}, which grants every other action; list the actions the role needs instead.` });
      }
    });
  }
  return out;
}

/** Google Cloud roles that administer a whole project, folder or organization, or its IAM. */
const GCP_ADMIN_ROLES: readonly string[] = [
  "roles/owner",
  "roles/editor",
  "roles/resourcemanager.projectIamAdmin",
  "roles/resourcemanager.folderIamAdmin",
  "roles/resourcemanager.organizationAdmin",
  "roles/iam.securityAdmin",
];
const GCP_LEVELS: readonly string[] = ["project", "folder", "organization"];

/** Project, folder and organization grants of an administrator role. */
function gcpViolations(stack: SynthesizedStack): Violation[] {
  const out: Violation[] = [];
  for (const level of GCP_LEVELS) {
    const grants = [...resourcesOf(stack, `google_${level}_iam_member`), ...resourcesOf(stack, `google_${level}_iam_binding`)].map((g) => ({ g, roles: asStringList(g.body["role"]) ?? [] }));
    const policies = resourcesOf(stack, `google_${level}_iam_policy`).map((g) => ({ g, roles: iamPolicyBindings(stack, g.body["policy_data"]).map((b) => b.role) }));
    for (const { g, roles } of [...grants, ...policies]) {
      for (const role of roles.filter((r) => GCP_ADMIN_ROLES.includes(r.trim()))) {
        out.push({ ruleId: RULE_ID, resource: g.address, message: `${g.address} grants ${role} on the ${level}; grant a predefined role that names what the principal does (e.g. roles/compute.viewer), on the resource it needs.` });
      }
    }
  }
  return out;
}

/** See the file header. */
export const roleAssignmentScoped: PolicyRule = {
  id: RULE_ID,
  description: "No Azure role assignment or custom role above a resource group, admin role or wildcard action; no GCP project, folder or org grant of owner, editor, IAM admin.",
  check(stack: SynthesizedStack): Violation[] {
    const out: Violation[] = [];
    for (const a of resourcesOf(stack, "azurerm_role_assignment")) {
      const scope = a.body["scope"];
      const why = broadScope(scope);
      if (why) {
        out.push({ ruleId: RULE_ID, resource: a.address, message: `${a.address} scope ${JSON.stringify(scope ?? null)} ${why}; scope the assignment to the resource (or at most the resource group) it needs.` });
      }
      const role = adminRole(a.body["role_definition_name"], a.body["role_definition_id"]);
      if (role) {
        out.push({ ruleId: RULE_ID, resource: a.address, message: `${a.address} grants ${role}; use a data-plane role that names what the principal does (e.g. Storage Queue Data Message Sender, Key Vault Secrets User).` });
      }
    }
    return [...out, ...roleDefinitionViolations(stack), ...gcpViolations(stack)];
  },
};
