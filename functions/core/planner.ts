/**
 * The steering planner: which listener rules in lure's priority band should send which quarantined
 * sources to the copies, as the smallest list of changes from the rules that exist now. Pure.
 *
 * Definitions:
 * - **Band**: priorities `firstPriority … firstPriority + ruleQuota − 1`, where lure creates its rules.
 * - **lure's rules** (`current`): what the steering port lists, the rules in the band that forward only
 *   to the copies. Every other rule of the listener, in the band or not, is someone else's
 *   (`otherPriorities`): the planner never changes or deletes one and never creates on its priority.
 * - **Capacity** (rules): `min(ruleQuota − other rules inside the band, albRuleLimit − all other
 *   rules)`, never below 0. A user's rule in the band takes a priority lure cannot use; every rule of
 *   the listener (an anchor rule, the user's routing) counts against the load balancer's total.
 *   Sources that fit: `capacity × cidrsPerRule`.
 * - **Eviction**: when more sources are wanted than fit, the most recently seen are kept; the rest
 *   (least recently seen first, ties by source) are reported in `evicted` and not steered.
 *
 * Minimal diff: a kept CIDR stays in the rule that holds it; unwanted CIDRs are removed from their
 * rules; new CIDRs fill free slots of existing rules (lowest priority first), then new rules at the
 * lowest free priorities. A rule left with no CIDR is deleted (an ALB `source-ip` condition needs a
 * value). A rule whose CIDR set is unchanged gets no change. Only when lure holds more rules than the
 * capacity (the quota was lowered, or other rules appeared) are rules merged: the fullest rules stay,
 * the others' CIDRs move into free slots first and their rules are deleted after.
 *
 * Change order: deletes of rules that hold no kept CIDR, then modifies, then deletes of merged rules,
 * then creates. Deletes before creates keep the rule count under the ALB quota at every step; a kept
 * CIDR is added to its new rule before its old rule goes, so no steered source is ever unsteered in
 * between.
 */
import { isIP } from "node:net";
import type { RuleChange, SteeringOptions, SteeringRule } from "./quarantine-types";

/**
 * The single-address CIDR of an IP: `1.2.3.4` → `1.2.3.4/32`; IPv6 → compressed lowercase `/128`
 * (RFC 5952 form, so two spellings of one address give one CIDR). Throws on anything else.
 */
export function toCidr(ip: string): string {
  const version = isIP(ip);
  if (version === 4) return `${ip}/32`;
  if (version === 6) {
    // The WHATWG URL parser serialises IPv6 hosts in RFC 5952 form (lowercase, longest zero run compressed).
    const host = new URL(`http://[${ip}]/`).hostname;
    return `${host.slice(1, -1)}/128`;
  }
  throw new Error(`"${ip}" is not an IP address`);
}

export interface PlanInput {
  /** Sources that should be steered (live quarantines), with when each was last seen. */
  readonly wanted: readonly { readonly src: string; readonly lastSeen: number }[];
  /** lure's rules as they are now (in the band, forwarding only to the copies). */
  readonly current: readonly SteeringRule[];
  /** Priorities of every rule of the listener that is not lure's, in the band or not (never touched). */
  readonly otherPriorities: readonly number[];
  readonly options: SteeringOptions;
}

export interface Plan {
  /** Changes in the order they must be applied. */
  readonly changes: RuleChange[];
  /** Wanted sources that are steered once the changes are applied (most recently seen first). */
  readonly steered: string[];
  /** Wanted sources that do not fit (least recently seen first). */
  readonly evicted: string[];
  /** Rules lure may hold (see the file header). */
  readonly capacity: number;
}

interface Slot {
  readonly rule: SteeringRule;
  /** The rule's kept CIDRs, in their current order, then the added ones. */
  readonly cidrs: string[];
}

/** Plans the rule changes; see the file header for the rules it follows. */
export function planRules(input: PlanInput): Plan {
  checkOptions(input.options);
  const { firstPriority, ruleQuota, albRuleLimit, cidrsPerRule } = input.options;
  const lastPriority = firstPriority + ruleQuota - 1;
  const inBand = (p: number) => p >= firstPriority && p <= lastPriority;
  const others = new Set(input.otherPriorities);
  const foreign = new Set([...others].filter(inBand));
  const capacity = Math.max(0, Math.min(ruleQuota - foreign.size, albRuleLimit - others.size));

  // One entry per CIDR (two spellings of one IPv6 address are one source for the ALB).
  const byCidr = new Map<string, { src: string; cidr: string; lastSeen: number }>();
  for (const w of input.wanted) {
    const cidr = toCidr(w.src);
    const prev = byCidr.get(cidr);
    if (!prev || w.lastSeen > prev.lastSeen || (w.lastSeen === prev.lastSeen && w.src < prev.src)) byCidr.set(cidr, { src: w.src, cidr, lastSeen: w.lastSeen });
  }
  const ranked = [...byCidr.values()].sort((a, b) => b.lastSeen - a.lastSeen || (a.src < b.src ? -1 : a.src > b.src ? 1 : 0));
  const kept = ranked.slice(0, capacity * cidrsPerRule);
  const evicted = ranked.slice(capacity * cidrsPerRule).reverse().map((w) => w.src);
  const keptCidrs = new Set(kept.map((w) => w.cidr));

  // What each existing rule keeps; a CIDR listed twice stays only in the lowest-priority rule.
  const rules = [...input.current].sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : 1));
  const placed = new Set<string>();
  const slots: Slot[] = [];
  const emptied: SteeringRule[] = [];
  const overflow: string[] = [];
  for (const rule of rules) {
    const cidrs: string[] = [];
    for (const c of rule.cidrs) {
      if (!keptCidrs.has(c) || placed.has(c)) continue;
      placed.add(c);
      if (cidrs.length < cidrsPerRule) cidrs.push(c);
      else overflow.push(c);
    }
    if (cidrs.length === 0) emptied.push(rule);
    else slots.push({ rule, cidrs });
  }

  // More rules than the capacity: keep the fullest (then lowest priority), merge the others away.
  const merged: Slot[] = [];
  if (slots.length > capacity) {
    const order = [...slots].sort((a, b) => b.cidrs.length - a.cidrs.length || a.rule.priority - b.rule.priority);
    const keep = new Set(order.slice(0, capacity));
    for (const s of slots) if (!keep.has(s)) merged.push(s);
    slots.splice(0, slots.length, ...slots.filter((s) => keep.has(s)));
  }

  // Already-steered CIDRs that must move go first, then new ones, most recently seen first.
  const moving = [...merged.flatMap((s) => s.cidrs), ...overflow];
  const fresh = kept.filter((w) => !placed.has(w.cidr)).map((w) => w.cidr);
  const queue = [...moving, ...fresh];
  let next = 0;
  for (const s of slots) while (s.cidrs.length < cidrsPerRule && next < queue.length) s.cidrs.push(queue[next++]);

  const creates: RuleChange[] = [];
  const taken = new Set([...slots.map((s) => s.rule.priority), ...foreign]);
  let free = firstPriority;
  let ruleCount = slots.length;
  while (next < queue.length && ruleCount < capacity) {
    while (taken.has(free)) free++;
    if (free > lastPriority) break;
    creates.push({ kind: "create", priority: free, cidrs: queue.slice(next, next + cidrsPerRule) });
    taken.add(free);
    next += cidrsPerRule;
    ruleCount++;
  }
  // Capacity never exceeds the free band priorities, so this only happens when a lure rule was
  // listed outside the band (a port that breaks its contract): those sources are reported evicted.
  const unplaced = new Set(queue.slice(next));

  const changes: RuleChange[] = [];
  for (const r of emptied) changes.push({ kind: "delete", id: r.id, priority: r.priority });
  for (const s of slots) if (!sameSet(s.cidrs, s.rule.cidrs)) changes.push({ kind: "modify", id: s.rule.id, priority: s.rule.priority, cidrs: s.cidrs });
  for (const s of merged) changes.push({ kind: "delete", id: s.rule.id, priority: s.rule.priority });
  changes.push(...creates);

  const steered = kept.filter((w) => !unplaced.has(w.cidr)).map((w) => w.src);
  const lost = kept.filter((w) => unplaced.has(w.cidr)).reverse().map((w) => w.src);
  return { changes, steered, evicted: [...evicted, ...lost], capacity };
}

/** Options that are not whole numbers would make the capacity NaN and silently steer nothing. */
function checkOptions(o: SteeringOptions): void {
  const bad = (["firstPriority", "ruleQuota", "albRuleLimit", "cidrsPerRule"] as const).filter((k) => !Number.isInteger(o[k]) || o[k] < 0);
  if (bad.length > 0) throw new Error(`steering options: ${bad.map((k) => `${k} ${String(o[k])}`).join(", ")} (each must be a whole number ≥ 0)`);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(b);
  return a.every((x) => s.has(x));
}
