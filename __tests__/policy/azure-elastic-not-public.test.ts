/** `elastic-not-public` on Azure NSGs (azurerm 4.55.0): standalone and inline rules, port and source forms, the honeypot exemption. */
import { elasticNotPublic } from "../../modules/core/policy/rules/elastic-not-public";
import { inbound, linuxVm, nic, standaloneRule } from "./azure-fixtures";
import { addresses, component, ref, stack } from "./fixtures";

describe("elastic-not-public (Azure)", () => {
  it("accepts allow-listed, outbound, denied and non-ELK rules, and ICMP from anywhere", () => {
    const s = stack({
      azurerm_network_security_group: {
        elastic: {
          ...component("elastic"),
          security_rule: [
            inbound("kibana-vpn", "5601", "198.51.100.0/24"),
            inbound("es-vnet", "9200", "VirtualNetwork"),
            inbound("ssh-list", ["22", "5044"], ["198.51.100.7/32", "203.0.113.0/24"]),
            { ...inbound("deny-all", "*", "*", "*"), access: "Deny" },
            { ...inbound("out", "*", "*", "*"), direction: "Outbound" },
            inbound("ping", "*", "Internet", "Icmp"),
            // 8080 is deliberately not a watched port.
            inbound("http-alt", "8080", "*"),
          ],
        },
      },
      azurerm_network_security_rule: { https: standaloneRule("elastic", "443", "Internet") },
    });
    expect(elasticNotPublic.check(s)).toEqual([]);
  });

  it("flags a standalone rule opening Kibana to Internet, naming the NSG, port and source", () => {
    const s = stack({
      azurerm_network_security_group: { elastic: component("elastic") },
      azurerm_network_security_rule: { kibana: standaloneRule("elastic", "5601", "Internet") },
    });
    const v = elasticNotPublic.check(s);
    expect(v).toEqual([
      {
        ruleId: "elastic-not-public",
        resource: "azurerm_network_security_rule.kibana",
        message:
          "azurerm_network_security_rule.kibana (on azurerm_network_security_group.elastic) allows inbound tcp port 5601 from Internet, exposing 5601 (Kibana) to the internet; restrict the source to an allow-list or an application security group.",
      },
    ]);
  });

  it.each([
    ["*", "9200", "Tcp", "9200 (Elasticsearch)"],
    ["0.0.0.0/0", "5044", "Tcp", "5044 (Logstash)"],
    ["::/0", "9600", "Udp", "9600 (Logstash)"],
    ["Any", "64305", "Tcp", "64305 (Logstash)"],
    ["internet", "64000-65000", "Tcp", "64305 (Logstash)"],
    ["*", "*", "*", "5601 (Kibana), 9200 (Elasticsearch), 5044 (Logstash), 9600 (Logstash), 64305 (Logstash)"],
    ["Internet", "${var.port}", "Tcp", "(unresolved)"],
  ])("inline rule from %s to %s/%s: one violation mentioning %s", (source, ports, protocol, text) => {
    const s = stack({ azurerm_network_security_group: { g: { security_rule: [inbound("open", ports, source, protocol)] } } });
    const v = elasticNotPublic.check(s);
    expect(addresses(v)).toEqual(["azurerm_network_security_group.g"]);
    expect(v[0]?.message).toContain('azurerm_network_security_group.g security_rule[0] "open"');
    expect(v[0]?.message).toContain(text);
    expect(v[0]?.message).toContain(`from ${source}`);
  });

  it("reads port lists and source lists, one violation per offending rule", () => {
    const s = stack({
      azurerm_network_security_group: {
        g: {
          security_rule: [
            inbound("list", ["22", "5600-5602", "443"], "10.0.0.0/8"),
            inbound("list-world", ["22", "5600-5602", "9200"], ["198.51.100.0/24", "0.0.0.0/0"]),
            inbound("miss", ["9300-9500", "5045-5100"], "*"),
          ],
        },
      },
    });
    const v = elasticNotPublic.check(s);
    expect(addresses(v)).toEqual(["azurerm_network_security_group.g"]);
    expect(v[0]?.message).toContain('security_rule[1] "list-world"');
    expect(v[0]?.message).toContain("ports 22, 5600-5602, 9200");
    expect(v[0]?.message).toContain("from 0.0.0.0/0");
    expect(v[0]?.message).toContain("5601 (Kibana), 9200 (Elasticsearch)");
    expect(v[0]?.message).not.toContain("198.51.100.0/24");
  });

  it("treats an unresolved direction or access as the open case", () => {
    const s = stack({ azurerm_network_security_group: { g: { security_rule: [{ ...inbound("tok", "9200", "*"), direction: "${var.dir}", access: "${var.access}" }] } } });
    expect(addresses(elasticNotPublic.check(s))).toEqual(["azurerm_network_security_group.g"]);
  });

  it("finds the NSG of a standalone rule by literal name and resource group, and does not exempt an unknown NSG", () => {
    const s = stack({
      azurerm_network_security_group: { pots: { ...component("honeypot"), name: "lure-pots", resource_group_name: "lure-rg" } },
      azurerm_network_security_rule: {
        literal: { ...inbound("es", "9200", "*"), network_security_group_name: "lure-pots", resource_group_name: "lure-rg" },
        otherRg: { ...inbound("es", "9200", "*"), network_security_group_name: "lure-pots", resource_group_name: "elastic-rg" },
      },
    });
    const v = elasticNotPublic.check(s);
    expect(addresses(v)).toEqual(["azurerm_network_security_rule.otherRg"]);
    expect(v[0]?.message).toContain('(on "lure-pots")');
  });

  describe("honeypot NSGs (elasticpot serves 9200 on purpose)", () => {
    const pots = (extra: Record<string, Record<string, Record<string, unknown>>> = {}) =>
      stack({
        azurerm_subnet: { pots: { name: "pots" }, elastic: { name: "elastic" } },
        azurerm_network_security_group: { pots: { ...component("honeypot"), security_rule: [inbound("elasticpot", "9200", "*")] } },
        azurerm_network_security_rule: { all: standaloneRule("pots", "*", "Internet", "*") },
        ...extra,
      });

    it("exempts a honeypot NSG on its own, on a honeypot VM's NIC and on a subnet of honeypot NICs", () => {
      expect(elasticNotPublic.check(pots())).toEqual([]);
      const s = pots({
        azurerm_network_interface: { pot: nic("pots"), tagged: nic("pots", undefined, component("honeypot").tags) },
        azurerm_linux_virtual_machine: { pot: linuxVm(["pot"], component("honeypot")) },
        azurerm_network_interface_security_group_association: { a: { network_interface_id: ref("azurerm_network_interface.pot"), network_security_group_id: ref("azurerm_network_security_group.pots") } },
        azurerm_subnet_network_security_group_association: { b: { subnet_id: ref("azurerm_subnet.pots"), network_security_group_id: ref("azurerm_network_security_group.pots") } },
      });
      expect(elasticNotPublic.check(s)).toEqual([]);
    });

    it.each([
      [
        "the Elastic VM's NIC (its NIC tagged honeypot)",
        {
          azurerm_network_interface: { es: nic("elastic", undefined, component("honeypot").tags) },
          azurerm_linux_virtual_machine: { es: linuxVm(["es"], component("elastic")) },
          azurerm_network_interface_security_group_association: { a: { network_interface_id: ref("azurerm_network_interface.es"), network_security_group_id: ref("azurerm_network_security_group.pots") } },
        },
      ],
      [
        "a subnet that also holds the Elastic VM's NIC",
        {
          azurerm_network_interface: { pot: nic("pots"), es: nic("pots") },
          azurerm_linux_virtual_machine: { pot: linuxVm(["pot"], component("honeypot")), es: linuxVm(["es"], component("elastic")) },
          azurerm_subnet_network_security_group_association: { b: { subnet_id: ref("azurerm_subnet.pots"), network_security_group_id: ref("azurerm_network_security_group.pots") } },
        },
      ],
      [
        "a subnet that holds an untagged Container Apps environment",
        {
          azurerm_container_app_environment: { kibana: { infrastructure_subnet_id: ref("azurerm_subnet.pots") } },
          azurerm_subnet_network_security_group_association: { b: { subnet_id: ref("azurerm_subnet.pots"), network_security_group_id: ref("azurerm_network_security_group.pots") } },
        },
      ],
      [
        "a NIC or subnet outside the stack",
        { azurerm_subnet_network_security_group_association: { b: { subnet_id: "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/virtualNetworks/v/subnets/s", network_security_group_id: ref("azurerm_network_security_group.pots") } } },
      ],
      ["an inline subnet of a virtual network", { azurerm_virtual_network: { v: { subnet: [{ name: "s", address_prefixes: ["10.0.1.0/24"], security_group: ref("azurerm_network_security_group.pots") }] } } }],
    ])("does not exempt a honeypot-tagged NSG bound to %s", (_what, extra) => {
      expect(addresses(elasticNotPublic.check(pots(extra)))).toEqual(["azurerm_network_security_rule.all", "azurerm_network_security_group.pots"]);
    });
  });
});
