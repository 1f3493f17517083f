/**
 * `elastic-not-public`: Kibana, Elasticsearch and the Logstash inputs are never open to the internet.
 *
 * Reads the three ways to write an ingress rule: `aws_vpc_security_group_ingress_rule`,
 * `aws_security_group_rule` (`type = "ingress"`) and inline `ingress` blocks on `aws_security_group`.
 * Security groups tagged `lure:component = honeypot` are exempt: honeypots such as elasticpot emulate
 * Elasticsearch on 9200 on purpose.
 */
import type { Attributes, PolicyRule, SynthesizedStack, Violation } from "../types";
import { asInteger, asStringList, blockList, findBlock, isComponent, parseReferences, resourcesOf, singleBlock } from "../util";

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

/** See the file header. */
export const elasticNotPublic: PolicyRule = {
  id: RULE_ID,
  description: "No security group opens Kibana 5601, Elasticsearch 9200 or Logstash 5044/9600/64305 to 0.0.0.0/0 or ::/0 (honeypot groups exempt).",
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
    return violations;
  },
};
