/**
 * The Azure half of `quarantine-copies-isolated`: the copies are Container Apps, told apart from the
 * real service by the same tag as on AWS (on the app and on its environment). A violation is:
 *
 * - a copies Container App with an identity, a secret or a registry credential (the copies hold no
 *   Azure permission or secret), or whose environment is not a copies environment of this stack;
 * - a copies environment whose load balancer is not internal (the copies are reached through the
 *   gateway only), or that shares its subnet with a real environment;
 * - a copies environment whose subnet's NSG does not deny the real environment's subnet both ways
 *   (inbound from it and outbound to it) ahead of every rule that would allow it. Subnets of one
 *   VNet route to each other by default, so the NSG is the whole separation. A prefix that is not a
 *   literal CIDR (a service tag other than `VirtualNetwork`, a reference) is not taken as covering.
 */
import { cidrBounds } from "../../cidr";
import { QUARANTINE_PART_TAG } from "./quarantine-markers";
import type { Attributes, SynthesizedStack, Violation } from "../types";
import { asInteger, asStringList, blockList, hasTag, isRecord, parseReferences, resourcesOf, singleBlock } from "../util";

type Part = "copies" | "real";
type Direction = "Inbound" | "Outbound";

interface NsgRule {
  readonly priority: number;
  readonly direction: Direction;
  readonly access: string;
  readonly source: readonly string[];
  readonly destination: readonly string[];
}

const refsOf = (value: unknown, type: string): string[] => parseReferences(value).filter((r) => r.kind === "resource" && r.type === type).map((r) => r.name);

/** Whether the NSG prefix `p` covers every address of `cidr` (`*` and `VirtualNetwork` cover any private subnet). */
function covers(p: string, cidr: string): boolean {
  if (p === "*" || p === "VirtualNetwork" || p === "Any") return true;
  const a = cidrBounds(p);
  const b = cidrBounds(cidr);
  return a !== undefined && b !== undefined && a.version === b.version && a.first <= b.first && a.last >= b.last;
}

/** Whether `p` admits any address of `cidr` (overlap), for allow rules: a partial allow is still a path. */
function overlaps(p: string, cidr: string): boolean {
  if (p === "*" || p === "VirtualNetwork" || p === "Any") return true;
  const a = cidrBounds(p);
  const b = cidrBounds(cidr);
  return a !== undefined && b !== undefined && a.version === b.version && a.first <= b.last && b.first <= a.last;
}

const prefixes = (body: Attributes, single: string, list: string): string[] => {
  const one = body[single];
  return typeof one === "string" && one !== "" ? [one] : (asStringList(body[list]) ?? []);
};

function nsgRule(body: Attributes): NsgRule | undefined {
  const priority = asInteger(body["priority"]);
  const direction = body["direction"];
  if (priority === undefined || (direction !== "Inbound" && direction !== "Outbound")) return undefined;
  return {
    priority,
    direction,
    access: String(body["access"]),
    source: prefixes(body, "source_address_prefix", "source_address_prefixes"),
    destination: prefixes(body, "destination_address_prefix", "destination_address_prefixes"),
  };
}

/** Every rule of each NSG (by resource name): inline blocks and `azurerm_network_security_rule`s that name it. */
function rulesByNsg(stack: SynthesizedStack): Map<string, NsgRule[]> {
  const out = new Map<string, NsgRule[]>();
  const add = (nsg: string, r: NsgRule | undefined) => {
    if (r) out.set(nsg, [...(out.get(nsg) ?? []), r]);
  };
  for (const g of resourcesOf(stack, "azurerm_network_security_group")) {
    out.set(g.name, out.get(g.name) ?? []);
    for (const b of blockList(g.body["security_rule"])) add(g.name, nsgRule(b));
  }
  for (const r of resourcesOf(stack, "azurerm_network_security_rule")) {
    for (const nsg of refsOf(r.body["network_security_group_name"], "azurerm_network_security_group")) add(nsg, nsgRule(r.body));
  }
  return out;
}

/**
 * Whether `rules` deny traffic with `cidr` in `direction` before anything allows it: the first rule
 * (lowest priority number) that touches `cidr` is a deny covering all of it.
 */
function deniesFirst(rules: readonly NsgRule[], direction: Direction, cidr: string): boolean {
  const peerSide = (r: NsgRule) => (direction === "Inbound" ? r.source : r.destination);
  const ordered = rules.filter((r) => r.direction === direction).sort((a, b) => a.priority - b.priority);
  for (const r of ordered) {
    const side = peerSide(r);
    if (r.access === "Deny" && side.some((p) => covers(p, cidr))) return true;
    if (r.access === "Allow" && side.some((p) => overlaps(p, cidr))) return false;
  }
  // Azure's default rules allow VirtualNetwork both ways.
  return false;
}

export function azureCopiesViolations(stack: SynthesizedStack, ruleId: string): Violation[] {
  const out: Violation[] = [];
  const partOf = (body: Attributes): Part | undefined => (hasTag(body, QUARANTINE_PART_TAG, "copies") ? "copies" : hasTag(body, QUARANTINE_PART_TAG, "real") ? "real" : undefined);
  const envs = resourcesOf(stack, "azurerm_container_app_environment");
  const envPart = new Map(envs.map((e) => [e.name, partOf(e.body)]));

  for (const app of resourcesOf(stack, "azurerm_container_app").filter((a) => partOf(a.body) === "copies")) {
    if (singleBlock(app.body["identity"])) out.push({ ruleId, resource: app.address, message: `${app.address} gives the copies an identity; copies hold no Azure permissions.` });
    if (blockList(app.body["secret"]).length > 0) out.push({ ruleId, resource: app.address, message: `${app.address} gives the copies secrets; copies hold none.` });
    if (blockList(app.body["registry"]).some((r) => isRecord(r) && (r["password_secret_name"] !== undefined || r["identity"] !== undefined))) {
      out.push({ ruleId, resource: app.address, message: `${app.address} gives the copies a registry credential; copies pull a public image.` });
    }
    const env = refsOf(app.body["container_app_environment_id"], "azurerm_container_app_environment");
    if (env.length === 0 || env.some((e) => envPart.get(e) !== "copies")) {
      out.push({ ruleId, resource: app.address, message: `${app.address} runs in an environment that is not a copies environment of this stack; the copies get an environment and subnet of their own.` });
    }
  }

  const subnetOf = (e: (typeof envs)[number]) => refsOf(e.body["infrastructure_subnet_id"], "azurerm_subnet")[0];
  const subnets = new Map(resourcesOf(stack, "azurerm_subnet").map((s) => [s.name, asStringList(s.body["address_prefixes"]) ?? []]));
  const nsgOfSubnet = new Map<string, string>();
  for (const a of resourcesOf(stack, "azurerm_subnet_network_security_group_association")) {
    const subnet = refsOf(a.body["subnet_id"], "azurerm_subnet")[0];
    const nsg = refsOf(a.body["network_security_group_id"], "azurerm_network_security_group")[0];
    if (subnet && nsg) nsgOfSubnet.set(subnet, nsg);
  }
  const rules = rulesByNsg(stack);
  const realSubnets = envs.filter((e) => envPart.get(e.name) === "real").map(subnetOf).filter((s): s is string => s !== undefined);

  for (const env of envs.filter((e) => envPart.get(e.name) === "copies")) {
    const internal = env.body["internal_load_balancer_enabled"];
    if (internal !== true && internal !== "true") out.push({ ruleId, resource: env.address, message: `${env.address} has a public load balancer; the copies are reached through the gateway only.` });
    const subnet = subnetOf(env);
    if (!subnet) {
      out.push({ ruleId, resource: env.address, message: `${env.address} is in no subnet of this stack, so nothing here keeps it apart from the real service.` });
      continue;
    }
    const nsg = nsgOfSubnet.get(subnet);
    for (const real of realSubnets) {
      if (real === subnet) {
        out.push({ ruleId, resource: env.address, message: `${env.address} shares azurerm_subnet.${subnet} with the real service.` });
        continue;
      }
      for (const cidr of subnets.get(real) ?? []) {
        for (const direction of ["Inbound", "Outbound"] as const) {
          if (!nsg || !deniesFirst(rules.get(nsg) ?? [], direction, cidr)) {
            out.push({
              ruleId,
              resource: env.address,
              message: `${env.address}: ${nsg ? `azurerm_network_security_group.${nsg}` : `azurerm_subnet.${subnet} has no NSG that`} does not deny ${direction.toLowerCase()} traffic ${direction === "Inbound" ? "from" : "to"} the real service's subnet ${cidr} before allowing it; the copies must share no path with the real service.`,
            });
          }
        }
      }
    }
  }
  return out;
}
