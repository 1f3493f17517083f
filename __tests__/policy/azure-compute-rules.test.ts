/** Azure compute and RBAC rules (azurerm 4.55.0): honeypot identities, the Elastic VM's public IP, role assignment scope and role. */
import { elasticNoPublicIp } from "../../modules/core/policy/rules/elastic-no-public-ip";
import { honeypotRoleMinimal } from "../../modules/core/policy/rules/honeypot-role-minimal";
import { roleAssignmentScoped } from "../../modules/core/policy/rules/role-assignment-scoped";
import { linuxVm, nic } from "./azure-fixtures";
import { addresses, component, ref, stack } from "./fixtures";

describe("honeypot-role-minimal (Azure)", () => {
  it("accepts honeypots without identity, and identities on other components", () => {
    const s = stack({
      azurerm_network_interface: { pot: nic("pots"), es: nic("elastic") },
      azurerm_linux_virtual_machine: {
        pot: linuxVm(["pot"], component("honeypot")),
        es: linuxVm(["es"], { ...component("elastic"), identity: { type: "SystemAssigned" } }),
      },
      azurerm_container_group: { ciscoasa: { ...component("honeypot"), os_type: "Linux", ip_address_type: "Public" } },
    });
    expect(honeypotRoleMinimal.check(s)).toEqual([]);
  });

  it("flags an identity block on honeypot VMs, scale sets and container groups", () => {
    const s = stack({
      azurerm_network_interface: { pot: nic("pots") },
      azurerm_linux_virtual_machine: { cowrie: linuxVm(["pot"], { ...component("honeypot"), identity: [{ type: "SystemAssigned" }] }) },
      azurerm_linux_virtual_machine_scale_set: { pots: { ...component("honeypot"), identity: { type: "UserAssigned", identity_ids: [ref("azurerm_user_assigned_identity.u")] } } },
      azurerm_container_group: { pot: { ...component("honeypot"), identity: { type: "SystemAssigned, UserAssigned" } } },
    });
    const v = honeypotRoleMinimal.check(s);
    expect(addresses(v)).toEqual(["azurerm_linux_virtual_machine.cowrie", "azurerm_linux_virtual_machine_scale_set.pots", "azurerm_container_group.pot"]);
    expect(v[0]).toEqual({
      ruleId: "honeypot-role-minimal",
      resource: "azurerm_linux_virtual_machine.cowrie",
      message: 'honeypot azurerm_linux_virtual_machine.cowrie has an identity block (type "SystemAssigned"); a honeypot may hold no managed identity but a hive sensor\'s (one user-assigned identity whose only role is Key Vault Secrets User on a Key Vault of the stack): remove the block.',
    });
    expect(v[1]?.message).toContain('"UserAssigned"');
  });
});

describe("honeypot-role-minimal (Azure): a hive sensor's identity", () => {
  const sensor = (assignments: Record<string, Record<string, unknown>>, identity: Record<string, unknown> = { type: "UserAssigned", identity_ids: [ref("azurerm_user_assigned_identity.sensor")] }) =>
    stack({
      azurerm_network_interface: { pot: nic("pots") },
      azurerm_linux_virtual_machine: { cowrie: linuxVm(["pot"], { ...component("honeypot"), identity }) },
      azurerm_user_assigned_identity: { sensor: { name: "lure-hive-sensor" }, other: { name: "x" } },
      azurerm_key_vault: { hive: { name: "lure-hive-0a1b2c3d" } },
      azurerm_role_assignment: assignments,
    });
  const read = { principal_id: ref("azurerm_user_assigned_identity.sensor", "principal_id"), role_definition_name: "Key Vault Secrets User", scope: ref("azurerm_key_vault.hive") };

  it("accepts one user-assigned identity whose only role is Key Vault Secrets User on a vault of the stack", () => {
    expect(honeypotRoleMinimal.check(sensor({ read }))).toEqual([]);
    // The deploying user's Secrets Officer on the same vault is not the honeypot's.
    expect(honeypotRoleMinimal.check(sensor({ read, officer: { principal_id: "${data.azurerm_client_config.c.object_id}", role_definition_name: "Key Vault Secrets Officer", scope: ref("azurerm_key_vault.hive") } }))).toEqual([]);
  });

  it.each([
    ["another role for it", { read, more: { ...read, role_definition_name: "Reader", scope: ref("azurerm_resource_group.rg") } }, undefined],
    ["Secrets User on something else than a vault of the stack", { read: { ...read, scope: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/other" } }, undefined],
    ["Secrets Officer", { read: { ...read, role_definition_name: "Key Vault Secrets Officer" } }, undefined],
    ["a system-assigned identity too", { read }, { type: "SystemAssigned, UserAssigned", identity_ids: [ref("azurerm_user_assigned_identity.sensor")] }],
    ["two identities", { read }, { type: "UserAssigned", identity_ids: [ref("azurerm_user_assigned_identity.sensor"), ref("azurerm_user_assigned_identity.other")] }],
    ["an identity outside the stack", { read }, { type: "UserAssigned", identity_ids: ["/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x"] }],
  ])("flags %s", (_, assignments, identity) => {
    expect(addresses(honeypotRoleMinimal.check(sensor(assignments as Record<string, Record<string, unknown>>, identity)))).toEqual(["azurerm_linux_virtual_machine.cowrie"]);
  });
});

describe("elastic-no-public-ip", () => {
  it("accepts an Elastic VM on private NICs, and public IPs on honeypots", () => {
    const s = stack({
      azurerm_public_ip: { pot: { allocation_method: "Static", sku: "Standard" } },
      azurerm_network_interface: { es: nic("elastic"), es2: nic("elastic", ""), pot: nic("pots", ref("azurerm_public_ip.pot")) },
      azurerm_linux_virtual_machine: { es: linuxVm(["es", "es2"], component("elastic")), pot: linuxVm(["pot"], component("honeypot")) },
      azurerm_container_group: { es: { ...component("elastic"), ip_address_type: "Private", subnet_ids: [ref("azurerm_subnet.elastic")] } },
    });
    expect(elasticNoPublicIp.check(s)).toEqual([]);
  });

  it("flags a public IP on any of the Elastic VM's NICs, naming the NIC, the IP and the VM", () => {
    const s = stack({
      azurerm_public_ip: { es: { allocation_method: "Static", sku: "Standard" } },
      azurerm_network_interface: {
        a: nic("elastic"),
        b: {
          ...nic("elastic"),
          ip_configuration: [
            { name: "v4", subnet_id: ref("azurerm_subnet.elastic"), private_ip_address_allocation: "Dynamic" },
            { name: "v6", subnet_id: ref("azurerm_subnet.elastic"), private_ip_address_allocation: "Dynamic", public_ip_address_id: ref("azurerm_public_ip.es") },
          ],
        },
      },
      azurerm_linux_virtual_machine: { es: linuxVm(["a", "b"], component("elastic")) },
    });
    expect(elasticNoPublicIp.check(s)).toEqual([
      {
        ruleId: "elastic-no-public-ip",
        resource: "azurerm_network_interface.b",
        message:
          "azurerm_network_interface.b ip_configuration[1] attaches public IP azurerm_public_ip.es to Elastic VM azurerm_linux_virtual_machine.es; the Elastic VM must be reachable only inside the VNet: remove public_ip_address_id.",
      },
    ]);
  });

  it("flags NICs it cannot see, public scale sets and public container groups", () => {
    const s = stack({
      azurerm_windows_virtual_machine: { es: { ...component("elastic"), network_interface_ids: ["/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/networkInterfaces/n"] } },
      azurerm_linux_virtual_machine_scale_set: {
        es: { ...component("elastic"), network_interface: [{ name: "nic", primary: true, ip_configuration: [{ name: "ip", subnet_id: ref("azurerm_subnet.elastic"), public_ip_address: [{ name: "pip" }] }] }] },
      },
      azurerm_container_group: { unset: component("elastic"), pub: { ...component("elastic"), ip_address_type: "Public" } },
    });
    const v = elasticNoPublicIp.check(s);
    expect(addresses(v)).toEqual(["azurerm_windows_virtual_machine.es", "azurerm_linux_virtual_machine_scale_set.es", "azurerm_container_group.unset", "azurerm_container_group.pub"]);
    expect(v[0]?.message).toContain("not a NIC of this stack");
    expect(v[1]?.message).toContain("public_ip_address block");
    expect(v[2]?.message).toContain("unset (defaults to Public)");
  });
});

describe("role-assignment-scoped", () => {
  const assign = (scope: unknown, role: Record<string, unknown> = { role_definition_name: "Storage Queue Data Message Sender" }) => ({
    scope,
    principal_id: ref("azurerm_user_assigned_identity.watcher", "principal_id"),
    ...role,
  });

  it("accepts data-plane roles on resources and resource groups", () => {
    const s = stack({
      azurerm_role_assignment: {
        queue: assign(ref("azurerm_storage_queue.q", "resource_manager_id")),
        kv: assign(ref("azurerm_key_vault.kv"), { role_definition_name: "Key Vault Secrets User" }),
        rg: assign(ref("azurerm_resource_group.rg"), { role_definition_name: "Reader" }),
        literal: assign("/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/lure", { role_definition_id: "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7" }),
        under: assign(`${ref("data.azurerm_subscription.current")}/resourceGroups/lure`),
      },
    });
    expect(roleAssignmentScoped.check(s)).toEqual([]);
  });

  it.each([
    ["/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333", "is a whole subscription"],
    ["/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/", "is a whole subscription"],
    ["/subscriptions/${data.azurerm_client_config.current.subscription_id}", "is a whole subscription"],
    ["${data.azurerm_subscription.current.id}", "is data.azurerm_subscription.current.id, a subscription"],
    ["${azurerm_management_group.lure.id}", "is azurerm_management_group.lure.id, a management group"],
    ["/providers/Microsoft.Management/managementGroups/lure", "is a management group"],
    ["/", "is the root scope /"],
    ["${var.scope}", "is an unresolved expression, so it cannot be verified"],
  ])("flags scope %s (%s)", (scope, why) => {
    const v = roleAssignmentScoped.check(stack({ azurerm_role_assignment: { a: assign(scope, { role_definition_name: "Reader" }) } }));
    expect(v).toEqual([
      {
        ruleId: "role-assignment-scoped",
        resource: "azurerm_role_assignment.a",
        message: `azurerm_role_assignment.a scope ${JSON.stringify(scope)} ${why}; scope the assignment to the resource (or at most the resource group) it needs.`,
      },
    ]);
  });

  it.each([
    [{ role_definition_name: "Owner" }, "Owner"],
    [{ role_definition_name: "contributor" }, "Contributor"],
    [{ role_definition_name: "User Access Administrator" }, "User Access Administrator"],
    [{ role_definition_name: "Role Based Access Control Administrator" }, "Role Based Access Control Administrator"],
    [{ role_definition_id: "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c" }, "Contributor"],
    [{ role_definition_id: "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635" }, "Owner"],
  ])("flags an administrator role %j, even on one resource", (role, name) => {
    const v = roleAssignmentScoped.check(stack({ azurerm_role_assignment: { a: assign(ref("azurerm_storage_account.sa"), role) } }));
    expect(addresses(v)).toEqual(["azurerm_role_assignment.a"]);
    expect(v[0]?.message).toContain(`grants ${name};`);
  });

  it("reports a broad scope and an administrator role on one assignment separately", () => {
    const v = roleAssignmentScoped.check(stack({ azurerm_role_assignment: { a: assign("${data.azurerm_subscription.current.id}", { role_definition_name: "Owner" }) } }));
    expect(v.map((x) => x.message.split(";")[0])).toEqual([
      'azurerm_role_assignment.a scope "${data.azurerm_subscription.current.id}" is data.azurerm_subscription.current.id, a subscription',
      "azurerm_role_assignment.a grants Owner",
    ]);
  });
});

describe("role-assignment-scoped: custom roles", () => {
  const rg = ref("azurerm_resource_group.rg");
  const definition = (extra: Record<string, unknown> = {}) => ({
    name: "lure-watcher-public-ips",
    scope: rg,
    assignable_scopes: [rg],
    permissions: [{ actions: ["Microsoft.Network/publicIPAddresses/read", "Microsoft.Network/publicIPAddresses/write"] }],
    ...extra,
  });

  it("accepts a role defined and assignable at a resource group, each action spelled out", () => {
    expect(roleAssignmentScoped.check(stack({ azurerm_role_definition: { ok: definition(), noAssignable: definition({ assignable_scopes: undefined }) } }))).toEqual([]);
  });

  it("flags scopes above a resource group, wildcard actions and exclusions, one violation each", () => {
    const s = stack({
      azurerm_role_definition: {
        sub: definition({ scope: "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333", assignable_scopes: [rg, ref("data.azurerm_subscription.current")] }),
        wild: definition({ permissions: [{ actions: ["Microsoft.Network/*"], data_actions: ["*"] }] }),
        not: definition({ permissions: [{ actions: ["Microsoft.Network/publicIPAddresses/read"], not_actions: ["Microsoft.Authorization/*"] }] }),
      },
    });
    expect(roleAssignmentScoped.check(s).map((v) => `${v.resource}: ${v.message.split(";")[0]}`)).toEqual([
      'azurerm_role_definition.sub: azurerm_role_definition.sub scope "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333" is a whole subscription',
      'azurerm_role_definition.sub: azurerm_role_definition.sub assignable_scopes[1] "${data.azurerm_subscription.current.id}" is data.azurerm_subscription.current.id, a subscription',
      'azurerm_role_definition.wild: azurerm_role_definition.wild permissions[0].actions has "Microsoft.Network/*"',
      'azurerm_role_definition.wild: azurerm_role_definition.wild permissions[0].data_actions has "*"',
      "azurerm_role_definition.not: azurerm_role_definition.not permissions[0] sets not_actions, which grants every other action",
    ]);
  });
});
