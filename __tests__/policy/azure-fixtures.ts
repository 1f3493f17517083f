/**
 * Azure (azurerm 4.55.0) fixtures for the policy rule tests: small `cdk.tf.json`-shaped blocks, with
 * the snake_case argument names cdktf writes. Build stacks with `stack()` from `./fixtures`.
 */
import { ref } from "./fixtures";

/** An inbound Allow rule body (the fields of an inline `security_rule` block and of `azurerm_network_security_rule`). */
export function inbound(name: string, ports: string | string[], source: string | string[], protocol = "Tcp"): Record<string, unknown> {
  return {
    name,
    priority: 100,
    direction: "Inbound",
    access: "Allow",
    protocol,
    source_port_range: "*",
    ...(Array.isArray(ports) ? { destination_port_ranges: ports } : { destination_port_range: ports }),
    ...(Array.isArray(source) ? { source_address_prefixes: source } : { source_address_prefix: source }),
    destination_address_prefix: "*",
  };
}

/** A standalone `azurerm_network_security_rule` on the NSG `nsg` (logical name), referenced by name. */
export function standaloneRule(nsg: string, ports: string | string[], source: string | string[], protocol = "Tcp"): Record<string, unknown> {
  return {
    ...inbound("r", ports, source, protocol),
    resource_group_name: ref("azurerm_resource_group.rg", "name"),
    network_security_group_name: ref(`azurerm_network_security_group.${nsg}`, "name"),
  };
}

/** A NIC with one ip_configuration in `subnet`, optionally with a public IP. */
export function nic(subnet: string, publicIp?: string, tags?: Record<string, string>): Record<string, unknown> {
  return {
    name: "nic",
    location: "westeurope",
    resource_group_name: ref("azurerm_resource_group.rg", "name"),
    ip_configuration: [
      {
        name: "ipconfig",
        subnet_id: ref(`azurerm_subnet.${subnet}`),
        private_ip_address_allocation: "Dynamic",
        ...(publicIp === undefined ? {} : { public_ip_address_id: publicIp }),
      },
    ],
    ...(tags === undefined ? {} : { tags }),
  };
}

/** A Linux VM using the given NICs (logical names), SSH keys only, with extra arguments. */
export function linuxVm(nics: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "vm",
    location: "westeurope",
    resource_group_name: ref("azurerm_resource_group.rg", "name"),
    size: "Standard_B2s_v2",
    admin_username: "lure",
    admin_ssh_key: [{ username: "lure", public_key: "ssh-ed25519 AAAA lure" }],
    network_interface_ids: nics.map((n) => ref(`azurerm_network_interface.${n}`)),
    os_disk: { caching: "ReadWrite", storage_account_type: "Standard_LRS" },
    ...extra,
  };
}

