/**
 * `elastic-not-public`: Kibana, Elasticsearch and the Logstash inputs are never open to the internet.
 *
 * Reads the three ways to write an ingress rule: `aws_vpc_security_group_ingress_rule`,
 * `aws_security_group_rule` (`type = "ingress"`) and inline `ingress` blocks on `aws_security_group`.
 * Security groups tagged `lure:component = honeypot` are exempt: honeypots such as elasticpot emulate
 * Elasticsearch on 9200 on purpose.
 *
 * On Azure (azurerm 4.x) it reads `azurerm_network_security_rule` and the inline `security_rule` blocks
 * of `azurerm_network_security_group`: a rule with `direction = Inbound` and `access = Allow` whose
 * `source_address_prefix(es)` is `*`, `Internet`, `Any` or a `/0` CIDR and whose
 * `destination_port_range(s)` (a port, `a-b` or `*`) reaches a watched port, for protocol `Tcp`, `Udp`
 * or `*`. Unresolved directions, accesses, protocols and ports count as the open case. An NSG tagged
 * `lure:component = honeypot` is exempt unless it is associated with a NIC or subnet that is not only a
 * honeypot's (a stray tag cannot exempt the Elastic VM's NSG): a NIC is a honeypot's when its own
 * component tag, if any, is `honeypot`, every VM using it is tagged `honeypot`, and it is tagged or used
 * by one; a subnet is a honeypot's when every resource placed in it (other than `azurerm_subnet_*_association`)
 * is. An NSG bound to an inline `subnet` of `azurerm_virtual_network` is never exempt (those subnets
 * cannot be told apart). A standalone rule belongs to the NSG its `network_security_group_name`
 * references, or whose literal `name` and `resource_group_name` it repeats.
 *
 * On Google Cloud (google 6.x) it reads `google_compute_firewall`: an `INGRESS` rule (the default
 * direction) that is not `disabled`, whose `source_ranges` hold a `/0` CIDR (or are unset with no
 * `source_tags` / `source_service_accounts`: the API then takes `0.0.0.0/0`), and one of whose `allow`
 * blocks reaches a watched port: protocol `tcp`, `udp` (or `6`, `17`) or `all`, `ports` of single
 * ports and `a-b` ranges, no `ports` meaning every port. Unresolved values count as the open case.
 * A rule is exempt when it targets literal `target_tags` only and every instance (or instance
 * template) carrying one of them is labelled `lure-component = honeypot` (at least one is): a rule
 * without targets applies to every VM of the network, and a tag shared with the Elastic VM cannot
 * exempt it. `deny` blocks are not read: a shadowing deny is no excuse for the allow.
 */
import type { Attributes, PolicyRule, SynthesizedStack, Violation } from "../types";
import { asInteger, asStringList, blockList, componentOf, findBlock, isComponent, parseReferences, refersTo, resourcesOf, singleBlock, tagsOf, COMPONENT_TAG } from "../util";
import type { StackBlock } from "../util";

const RULE_ID = "elastic-not-public";

/** Ports of the log stack that must never face the internet (8080 is deliberately not one). */
const WATCHED_PORTS: readonly { readonly port: number; readonly service: string }[] = [
  { port: 5601, service: "Kibana" },
  { port: 9200, service: "Elasticsearch" },
  { port: 5044, service: "Logstash" },
  { port: 9600, service: "Logstash" },
  { port: 64305, service: "Logstash" },
];

/** One ingress permission, whatever form it was written in. */
interface Ingress {
  /** Resource to report. */
  readonly address: string;
  /** How to name the permission in the message. */
  readonly where: string;
  readonly protocol: unknown;
  readonly fromPort: unknown;
  readonly toPort: unknown;
  readonly cidrs: readonly string[];
  /** True when the group it belongs to is a honeypot's. */
  readonly exempt: boolean;
}

/** A CIDR with prefix length 0 (`0.0.0.0/0`, `::/0`) is the whole address space. */
function isWorld(cidr: string): boolean {
  return /\/0$/.test(cidr.trim());
}

/** Security groups attached to ECS services that are not honeypots: never exempt, whatever their tags. */
function nonHoneypotServiceGroups(stack: SynthesizedStack): Set<string> {
  const out = new Set<string>();
  for (const svc of resourcesOf(stack, "aws_ecs_service")) {
    if (isComponent(svc.body, "honeypot")) continue;
    for (const ref of parseReferences(singleBlock(svc.body["network_configuration"])?.["security_groups"])) out.add(ref.address);
  }
  return out;
}

/**
 * True when every security group `value` references is defined in the stack, tagged as a honeypot,
 * and attached to no non-honeypot service (a stray tag cannot exempt an Elastic service's group).
 */
function isHoneypotGroup(stack: SynthesizedStack, value: unknown, protectedGroups: ReadonlySet<string>): boolean {
  const groups = parseReferences(value).filter((r) => r.kind === "resource" && r.type === "aws_security_group");
  return groups.length > 0 && groups.every((r) => {
    const group = findBlock(stack, r);
    return group !== undefined && isComponent(group.body, "honeypot") && !protectedGroups.has(r.address);
  });
}

function groupLabel(value: unknown): string {
  const group = parseReferences(value).find((r) => r.type === "aws_security_group");
  return group ? group.address : typeof value === "string" ? JSON.stringify(value) : "an unknown security group";
}

function cidrsOf(body: Attributes, ...keys: string[]): string[] {
  return keys.flatMap((key) => asStringList(body[key]) ?? []);
}

function collectIngress(stack: SynthesizedStack): Ingress[] {
  const found: Ingress[] = [];
  const protectedGroups = nonHoneypotServiceGroups(stack);
  for (const r of resourcesOf(stack, "aws_vpc_security_group_ingress_rule")) {
    found.push({
      address: r.address,
      where: `${r.address} (on ${groupLabel(r.body["security_group_id"])})`,
      protocol: r.body["ip_protocol"],
      fromPort: r.body["from_port"],
      toPort: r.body["to_port"],
      cidrs: cidrsOf(r.body, "cidr_ipv4", "cidr_ipv6"),
      exempt: isHoneypotGroup(stack, r.body["security_group_id"], protectedGroups),
    });
  }
  for (const r of resourcesOf(stack, "aws_security_group_rule")) {
    if (r.body["type"] !== "ingress") continue;
    found.push({
      address: r.address,
      where: `${r.address} (on ${groupLabel(r.body["security_group_id"])})`,
      protocol: r.body["protocol"],
      fromPort: r.body["from_port"],
      toPort: r.body["to_port"],
      cidrs: cidrsOf(r.body, "cidr_blocks", "ipv6_cidr_blocks"),
      exempt: isHoneypotGroup(stack, r.body["security_group_id"], protectedGroups),
    });
  }
  for (const group of resourcesOf(stack, "aws_security_group")) {
    blockList(group.body["ingress"]).forEach((block, index) => {
      found.push({
        address: group.address,
        where: `${group.address} ingress[${index}]`,
        protocol: block["protocol"],
        fromPort: block["from_port"],
        toPort: block["to_port"],
        cidrs: cidrsOf(block, "cidr_blocks", "ipv6_cidr_blocks"),
        exempt: isComponent(group.body, "honeypot") && !protectedGroups.has(group.address),
      });
    });
  }
  return found;
}

/**
 * The watched ports an ingress permission reaches and how to describe its protocol and ports;
 * unresolved protocols or ports count as "everything" so that tokens cannot hide an exposure.
 */
function reachedPorts(ingress: Ingress): { readonly ports: typeof WATCHED_PORTS; readonly what: string } {
  const protocol = String(ingress.protocol ?? "").trim().toLowerCase();
  if (protocol === "-1" || protocol === "all") return { ports: WATCHED_PORTS, what: "all protocols and ports" };
  const name = protocol === "6" ? "tcp" : protocol === "17" ? "udp" : protocol;
  const known = name === "tcp" || name === "udp";
  if (!known && !protocol.includes("${")) return { ports: [], what: "" }; // icmp, esp...: no ports
  const from = asInteger(ingress.fromPort);
  const to = asInteger(ingress.toPort);
  const label = known ? name : `protocol ${JSON.stringify(ingress.protocol)}`;
  if (from === undefined || to === undefined) {
    return { ports: WATCHED_PORTS, what: `${label} ports ${String(ingress.fromPort)}-${String(ingress.toPort)} (unresolved)` };
  }
  const ports = WATCHED_PORTS.filter((p) => p.port >= from && p.port <= to);
  return { ports, what: `${label} ${from === to ? `port ${from}` : `ports ${from}-${to}`}` };
}

// ---------------------------------------------------------------------------------------------
// Azure network security groups
// ---------------------------------------------------------------------------------------------

/** One NSG rule (standalone or inline), with the resource to report and whether its NSG is exempt. */
interface AzureInbound {
  readonly address: string;
  readonly where: string;
  readonly rule: Attributes;
  readonly exempt: boolean;
}

/** VM types whose `network_interface_ids` decide whose a NIC is. */
const VM_TYPES: readonly string[] = ["azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine", "azurerm_virtual_machine"];

/** `*`, `Internet`, `Any` and any `/0` CIDR: every source on the internet. */
function isAzureWorld(prefix: string): boolean {
  const p = prefix.trim().toLowerCase();
  return p === "*" || p === "internet" || p === "any" || isWorld(p);
}

function everyResource(stack: SynthesizedStack): StackBlock[] {
  return Object.keys(stack.resource ?? {}).flatMap((type) => resourcesOf(stack, type));
}

/** True when the NIC `address` is a honeypot's: see the file header. */
function isHoneypotNic(stack: SynthesizedStack, address: string): boolean {
  const nic = resourcesOf(stack, "azurerm_network_interface").find((n) => n.address === address);
  if (!nic) return false;
  const own = tagsOf(nic.body)[COMPONENT_TAG];
  if (own !== undefined && own !== "honeypot") return false;
  const vms = VM_TYPES.flatMap((type) => resourcesOf(stack, type)).filter((vm) => refersTo(vm.body["network_interface_ids"], "azurerm_network_interface", nic.name));
  if (!vms.every((vm) => isComponent(vm.body, "honeypot"))) return false;
  return vms.length > 0 || own === "honeypot";
}

/** True when the subnet `address` is defined in the stack and everything placed in it is a honeypot's. */
function isHoneypotSubnet(stack: SynthesizedStack, all: readonly StackBlock[], address: string): boolean {
  const subnet = resourcesOf(stack, "azurerm_subnet").find((s) => s.address === address);
  if (!subnet) return false;
  return all
    .filter((r) => !/^azurerm_subnet_.*_association$/.test(r.type) && r.address !== subnet.address && refersTo(r.body, "azurerm_subnet", subnet.name))
    .every((r) => (r.type === "azurerm_network_interface" ? isHoneypotNic(stack, r.address) : isComponent(r.body, "honeypot")));
}

/** NSGs bound to a NIC or subnet that is not only a honeypot's: never exempt, whatever their tags. */
function protectedNsgs(stack: SynthesizedStack): Set<string> {
  const out = new Set<string>();
  const all = everyResource(stack);
  const nsgRefs = (value: unknown) => parseReferences(value).filter((r) => r.type === "azurerm_network_security_group").map((r) => r.address);
  for (const a of resourcesOf(stack, "azurerm_network_interface_security_group_association")) {
    const nics = parseReferences(a.body["network_interface_id"]).filter((r) => r.kind === "resource" && r.type === "azurerm_network_interface");
    if (nics.length === 0 || !nics.every((n) => isHoneypotNic(stack, n.address))) nsgRefs(a.body["network_security_group_id"]).forEach((n) => out.add(n));
  }
  for (const a of resourcesOf(stack, "azurerm_subnet_network_security_group_association")) {
    const subnets = parseReferences(a.body["subnet_id"]).filter((r) => r.kind === "resource" && r.type === "azurerm_subnet");
    if (subnets.length === 0 || !subnets.every((s) => isHoneypotSubnet(stack, all, s.address))) nsgRefs(a.body["network_security_group_id"]).forEach((n) => out.add(n));
  }
  for (const vnet of resourcesOf(stack, "azurerm_virtual_network")) {
    for (const subnet of blockList(vnet.body["subnet"])) nsgRefs(subnet["security_group"]).forEach((n) => out.add(n));
  }
  return out;
}

/** The NSGs of the stack a standalone rule belongs to (by reference, or by literal name and resource group). */
function nsgsOfRule(stack: SynthesizedStack, rule: StackBlock): StackBlock[] {
  const name = rule.body["network_security_group_name"];
  return resourcesOf(stack, "azurerm_network_security_group").filter(
    (g) =>
      refersTo(name, "azurerm_network_security_group", g.name) ||
      (typeof name === "string" && !name.includes("${") && name === g.body["name"] && rule.body["resource_group_name"] === g.body["resource_group_name"]),
  );
}

function collectAzureInbound(stack: SynthesizedStack): AzureInbound[] {
  const found: AzureInbound[] = [];
  const guarded = protectedNsgs(stack);
  const exempt = (g: StackBlock) => isComponent(g.body, "honeypot") && !guarded.has(g.address);
  for (const r of resourcesOf(stack, "azurerm_network_security_rule")) {
    const groups = nsgsOfRule(stack, r);
    const on = groups.length > 0 ? groups.map((g) => g.address).join(", ") : JSON.stringify(r.body["network_security_group_name"] ?? "an unknown NSG");
    found.push({ address: r.address, where: `${r.address} (on ${on})`, rule: r.body, exempt: groups.length > 0 && groups.every(exempt) });
  }
  for (const group of resourcesOf(stack, "azurerm_network_security_group")) {
    blockList(group.body["security_rule"]).forEach((rule, index) => {
      const name = rule["name"];
      found.push({ address: group.address, where: `${group.address} security_rule[${index}]${typeof name === "string" ? ` ${JSON.stringify(name)}` : ""}`, rule, exempt: exempt(group) });
    });
  }
  return found;
}

/** True when `value` equals `wanted` case-insensitively, or is unresolved (so that tokens cannot hide an exposure). */
function isOrUnresolved(value: unknown, wanted: string): boolean {
  return typeof value === "string" && (value.trim().toLowerCase() === wanted || value.includes("${"));
}

/** The watched ports an NSG rule reaches and how to describe its protocol and ports. */
function azureReachedPorts(rule: Attributes): { readonly ports: typeof WATCHED_PORTS; readonly what: string } {
  const raw = rule["protocol"];
  const protocol = String(raw ?? "").trim().toLowerCase();
  const label = protocol === "*" ? "all protocols" : protocol === "tcp" || protocol === "udp" ? protocol : `protocol ${JSON.stringify(raw)}`;
  if (protocol !== "*" && protocol !== "tcp" && protocol !== "udp" && !protocol.includes("${")) return { ports: [], what: "" }; // Icmp, Esp, Ah
  const ranges = [...(asStringList(rule["destination_port_range"]) ?? []), ...(asStringList(rule["destination_port_ranges"]) ?? [])].map((r) => r.trim());
  if (ranges.length === 0) return { ports: WATCHED_PORTS, what: `${label}, destination ports unset` };
  const reached = new Set<number>();
  const described: string[] = [];
  for (const range of ranges) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(range);
    if (range === "*") {
      WATCHED_PORTS.forEach((p) => reached.add(p.port));
      described.push("*");
    } else if (m) {
      const from = Number(m[1]);
      const to = m[2] === undefined ? from : Number(m[2]);
      WATCHED_PORTS.filter((p) => p.port >= from && p.port <= to).forEach((p) => reached.add(p.port));
      described.push(from === to ? `${from}` : `${from}-${to}`);
    } else {
      WATCHED_PORTS.forEach((p) => reached.add(p.port));
      described.push(`${range} (unresolved)`);
    }
  }
  return { ports: WATCHED_PORTS.filter((p) => reached.has(p.port)), what: `${label} port${described.length === 1 && !described[0]?.includes("-") && described[0] !== "*" ? "" : "s"} ${described.join(", ")}` };
}

function azureViolations(stack: SynthesizedStack): Violation[] {
  const violations: Violation[] = [];
  for (const inbound of collectAzureInbound(stack)) {
    if (inbound.exempt) continue;
    if (!isOrUnresolved(inbound.rule["direction"], "inbound") || !isOrUnresolved(inbound.rule["access"], "allow")) continue;
    const sources = [...(asStringList(inbound.rule["source_address_prefix"]) ?? []), ...(asStringList(inbound.rule["source_address_prefixes"]) ?? [])];
    const world = sources.filter(isAzureWorld);
    if (world.length === 0) continue;
    const { ports, what } = azureReachedPorts(inbound.rule);
    if (ports.length === 0) continue;
    const services = ports.map((p) => `${p.port} (${p.service})`).join(", ");
    violations.push({
      ruleId: RULE_ID,
      resource: inbound.address,
      message: `${inbound.where} allows inbound ${what} from ${world.join(", ")}, exposing ${services} to the internet; restrict the source to an allow-list or an application security group.`,
    });
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// Google Cloud firewall rules
// ---------------------------------------------------------------------------------------------

/** Compute resources whose network `tags` a firewall rule's `target_tags` select. */
const GCP_COMPUTE_TYPES: readonly string[] = ["google_compute_instance", "google_compute_instance_template", "google_compute_region_instance_template"];

/** True when the rule targets literal network tags that only honeypot VMs carry (see the file header). */
function isHoneypotFirewall(stack: SynthesizedStack, rule: Attributes): boolean {
  const targets = asStringList(rule["target_tags"]) ?? [];
  if (targets.length === 0 || targets.some((t) => t.includes("${"))) return false;
  if ((asStringList(rule["target_service_accounts"]) ?? []).length > 0) return false;
  const tagged = GCP_COMPUTE_TYPES.flatMap((type) => resourcesOf(stack, type)).filter((vm) => (asStringList(vm.body["tags"]) ?? []).some((t) => targets.includes(t)));
  return tagged.length > 0 && tagged.every((vm) => componentOf(vm.body) === "honeypot");
}

/** The watched ports one `allow` block reaches and how to describe it; `ports` entries are `"22"` or `"5000-6000"`. */
function gcpReachedPorts(allow: Attributes): { readonly ports: typeof WATCHED_PORTS; readonly what: string } {
  const raw = allow["protocol"];
  const protocol = String(raw ?? "").trim().toLowerCase();
  const name = protocol === "6" ? "tcp" : protocol === "17" ? "udp" : protocol;
  const label = name === "all" ? "all protocols" : name === "tcp" || name === "udp" ? name : `protocol ${JSON.stringify(raw)}`;
  if (name !== "all" && name !== "tcp" && name !== "udp" && !protocol.includes("${")) return { ports: [], what: "" }; // icmp, esp, ah, sctp...
  const ranges = asStringList(allow["ports"]);
  if (ranges === undefined || ranges.length === 0) return { ports: WATCHED_PORTS, what: `${label}, every port` };
  const reached = new Set<number>();
  const described: string[] = [];
  for (const range of ranges.map((r) => r.trim())) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(range);
    if (m) {
      const from = Number(m[1]);
      const to = m[2] === undefined ? from : Number(m[2]);
      WATCHED_PORTS.filter((p) => p.port >= from && p.port <= to).forEach((p) => reached.add(p.port));
      described.push(range);
    } else {
      WATCHED_PORTS.forEach((p) => reached.add(p.port));
      described.push(`${range} (unresolved)`);
    }
  }
  return { ports: WATCHED_PORTS.filter((p) => reached.has(p.port)), what: `${label} port${described.length === 1 && !described[0]?.includes("-") ? "" : "s"} ${described.join(", ")}` };
}

function gcpViolations(stack: SynthesizedStack): Violation[] {
  const violations: Violation[] = [];
  for (const fw of resourcesOf(stack, "google_compute_firewall")) {
    const b = fw.body;
    if (b["direction"] !== undefined && !isOrUnresolved(b["direction"], "ingress")) continue;
    if (b["disabled"] === true || b["disabled"] === "true") continue;
    const ranges = asStringList(b["source_ranges"]);
    const otherSources = (asStringList(b["source_tags"]) ?? []).length + (asStringList(b["source_service_accounts"]) ?? []).length > 0;
    const world = ranges === undefined || ranges.length === 0 ? (otherSources ? [] : ["0.0.0.0/0 (source_ranges unset)"]) : ranges.filter(isWorld);
    if (world.length === 0 || isHoneypotFirewall(stack, b)) continue;
    blockList(b["allow"]).forEach((allow, index) => {
      const { ports, what } = gcpReachedPorts(allow);
      if (ports.length === 0) return;
      const services = ports.map((p) => `${p.port} (${p.service})`).join(", ");
      violations.push({
        ruleId: RULE_ID,
        resource: fw.address,
        message: `${fw.address} allow[${index}] admits ${what} from ${world.join(", ")}, exposing ${services} to the internet; restrict source_ranges to an allow-list or a subnet.`,
      });
    });
  }
  return violations;
}

/** See the file header. */
export const elasticNotPublic: PolicyRule = {
  id: RULE_ID,
  description: "No security group, NSG or VPC firewall rule opens Kibana 5601, Elasticsearch 9200 or Logstash 5044/9600/64305 to the internet (honeypot groups exempt).",
  check(stack: SynthesizedStack): Violation[] {
    const violations: Violation[] = [];
    for (const ingress of collectIngress(stack)) {
      if (ingress.exempt) continue;
      const world = ingress.cidrs.filter(isWorld);
      if (world.length === 0) continue;
      const { ports, what } = reachedPorts(ingress);
      if (ports.length === 0) continue;
      const services = ports.map((p) => `${p.port} (${p.service})`).join(", ");
      violations.push({
        ruleId: RULE_ID,
        resource: ingress.address,
        message: `${ingress.where} allows ${what} from ${world.join(", ")}, exposing ${services} to the internet; restrict the source to an allow-list or a security group.`,
      });
    }
    return [...violations, ...azureViolations(stack), ...gcpViolations(stack)];
  },
};
