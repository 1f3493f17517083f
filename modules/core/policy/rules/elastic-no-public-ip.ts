/**
 * `elastic-no-public-ip`: the Elastic VM (Elasticsearch and Logstash) has no public IP address.
 *
 * On Azure the VM is reached only through the VNet (sensors ship to Logstash over private
 * addresses, Kibana reaches Elasticsearch privately), so a public IP would only add an address the
 * internet can probe, one NSG mistake away from an open Elasticsearch. A VM tagged
 * `lure:component = elastic` (`azurerm_linux_virtual_machine`, `azurerm_windows_virtual_machine`)
 * must use only NICs defined in the stack whose `ip_configuration` blocks have no
 * `public_ip_address_id` (a reference to an `azurerm_public_ip` or any other value); a scale set
 * tagged `elastic` has no `network_interface.ip_configuration.public_ip_address` block; a container
 * group tagged `elastic` sets `ip_address_type` to `Private` or `None` (the default is `Public`).
 * A NIC id that is not a reference to a NIC of the stack cannot be verified and is reported.
 * On Google Cloud a `google_compute_instance` (or instance template) labelled
 * `lure-component = elastic` has no `access_config` (external IPv4) and no `ipv6_access_config`
 * (external IPv6) in any `network_interface`: even an empty `access_config {}` gives it an ephemeral
 * external address. It leaves through Cloud NAT instead.
 * The AWS stack runs Elastic in private subnets without public IPs, so this rule reads Azure and Google Cloud only.
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { blockList, componentOf, findBlock, hasBlock, isComponent, parseReferences, resourcesOf } from "../util";

const RULE_ID = "elastic-no-public-ip";

const VM_TYPES: readonly string[] = ["azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine"];
const GCP_COMPUTE_TYPES: readonly string[] = ["google_compute_instance", "google_compute_instance_template", "google_compute_region_instance_template"];
const SCALE_SET_TYPES: readonly string[] = ["azurerm_linux_virtual_machine_scale_set", "azurerm_windows_virtual_machine_scale_set"];

/** How to name a `public_ip_address_id` value in a message: the address it references, or the value. */
function describeIp(value: unknown): string {
  const r = parseReferences(value)[0];
  return r ? r.address : JSON.stringify(value);
}

/** See the file header. */
export const elasticNoPublicIp: PolicyRule = {
  id: RULE_ID,
  description: "VMs, scale sets and container groups tagged (or labelled) as the elastic component have no public IP address.",
  check(stack: SynthesizedStack): Violation[] {
    const out: Violation[] = [];
    const report = (resource: string, message: string) => out.push({ ruleId: RULE_ID, resource, message });
    for (const vm of VM_TYPES.flatMap((type) => resourcesOf(stack, type)).filter((r) => isComponent(r.body, "elastic"))) {
      const ids = vm.body["network_interface_ids"];
      const list: unknown[] = Array.isArray(ids) ? ids : [ids];
      for (const id of list) {
        const refs = parseReferences(id).filter((r) => r.kind === "resource" && r.type === "azurerm_network_interface");
        const only = refs.length === 1 ? refs[0] : undefined;
        const nic = only ? findBlock(stack, only) : undefined;
        if (!nic) {
          report(vm.address, `Elastic VM ${vm.address} uses network interface ${JSON.stringify(id)}, which is not a NIC of this stack, so it cannot be shown to have no public IP; reference an azurerm_network_interface.`);
          continue;
        }
        blockList(nic.body["ip_configuration"]).forEach((ip, index) => {
          const pip = ip["public_ip_address_id"];
          if (pip === undefined || pip === null || pip === "") return;
          report(nic.address, `${nic.address} ip_configuration[${index}] attaches public IP ${describeIp(pip)} to Elastic VM ${vm.address}; the Elastic VM must be reachable only inside the VNet: remove public_ip_address_id.`);
        });
      }
    }
    for (const set of SCALE_SET_TYPES.flatMap((type) => resourcesOf(stack, type)).filter((r) => isComponent(r.body, "elastic"))) {
      for (const ni of blockList(set.body["network_interface"])) {
        for (const ip of blockList(ni["ip_configuration"])) {
          if (hasBlock(ip, "public_ip_address")) {
            report(set.address, `Elastic scale set ${set.address} network_interface ${JSON.stringify(ni["name"])} gives its instances a public IP (public_ip_address block); remove it.`);
          }
        }
      }
    }
    for (const group of resourcesOf(stack, "azurerm_container_group").filter((r) => isComponent(r.body, "elastic"))) {
      const type = group.body["ip_address_type"];
      if (type === undefined || (typeof type === "string" && type.trim().toLowerCase() === "public")) {
        report(group.address, `Elastic container group ${group.address} has ip_address_type ${type === undefined ? "unset (defaults to Public)" : JSON.stringify(type)}; set it to Private with subnet_ids.`);
      }
    }
    for (const vm of GCP_COMPUTE_TYPES.flatMap((type) => resourcesOf(stack, type)).filter((r) => componentOf(r.body) === "elastic")) {
      blockList(vm.body["network_interface"]).forEach((ni, index) => {
        const kinds = ["access_config", "ipv6_access_config"].filter((k) => hasBlock(ni, k));
        if (kinds.length === 0) return;
        report(vm.address, `Elastic VM ${vm.address} network_interface[${index}] has ${kinds.join(" and ")}, which gives it an external address; remove it (the VM leaves through Cloud NAT).`);
      });
    }
    return out;
  },
};
