import { planRules, toCidr, type PlanInput } from "../../../functions/core/planner";
import type { RuleChange, SteeringOptions, SteeringRule } from "../../../functions/core/quarantine-types";
import { rng } from "../../../functions/local/synthetic";

const BAND: SteeringOptions = { firstPriority: 1000, ruleQuota: 100, albRuleLimit: 100, cidrsPerRule: 5 };
const ip = (n: number) => `198.51.${Math.floor(n / 256)}.${n % 256}`;
const cidr = (n: number) => `${ip(n)}/32`;
/** Sources 0..n-1, source i last seen at 1000 + i (so higher i = more recent). */
const wanted = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ src: ip(from + i), lastSeen: 1000 + from + i }));
const rule = (id: string, priority: number, ...ns: number[]): SteeringRule => ({ id, priority, cidrs: ns.map(cidr) });

function plan(input: Partial<PlanInput> & Pick<PlanInput, "wanted">) {
  return planRules({ current: [], otherPriorities: [], options: BAND, ...input });
}

let nextId = 0;
/** Applies changes like an ALB would, checking what an ALB checks; `others` are never lure's to change. */
function apply(rules: readonly SteeringRule[], changes: readonly RuleChange[], opts: SteeringOptions, others: readonly number[] = []): SteeringRule[] {
  const out = new Map(rules.map((r) => [r.id, { ...r, cidrs: [...r.cidrs] }]));
  for (const c of changes) {
    if (c.kind === "create") {
      if ([...out.values()].some((r) => r.priority === c.priority) || others.includes(c.priority)) throw new Error(`priority ${c.priority} taken`);
      if (c.priority < opts.firstPriority || c.priority >= opts.firstPriority + opts.ruleQuota) throw new Error(`priority ${c.priority} outside the band`);
      if (out.size + others.length + 1 > opts.albRuleLimit) throw new Error(`create at ${c.priority}: the ALB holds ${opts.albRuleLimit} rules`);
      const id = `new-${nextId++}`;
      out.set(id, { id, priority: c.priority, cidrs: [...c.cidrs] });
    } else {
      const r = out.get(c.id);
      if (!r || r.priority !== c.priority) throw new Error(`no rule ${c.id}@${c.priority}`);
      if (c.kind === "delete") out.delete(c.id);
      else out.set(c.id, { ...r, cidrs: [...c.cidrs] });
    }
    for (const r of out.values()) if (r.cidrs.length === 0 || r.cidrs.length > opts.cidrsPerRule) throw new Error(`rule ${r.id} has ${r.cidrs.length} CIDRs`);
  }
  return [...out.values()];
}

describe("toCidr", () => {
  it.each([
    ["192.0.2.7", "192.0.2.7/32"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1/128"],
    ["2001:db8::1", "2001:db8::1/128"],
    ["::ffff:192.0.2.1", "::ffff:c000:201/128"],
  ])("%s → %s", (input, expected) => {
    expect(toCidr(input)).toBe(expected);
  });

  it.each(["", "192.0.2.256", "192.0.2.7/32", "host.example"])("refuses %j", (bad) => {
    expect(() => toCidr(bad)).toThrow("is not an IP address");
  });
});

describe("planRules: packing and the band", () => {
  it("packs 5 CIDRs per rule from the first priority, most recently seen first", () => {
    const p = plan({ wanted: wanted(12) });
    expect(p.changes).toEqual([
      { kind: "create", priority: 1000, cidrs: [11, 10, 9, 8, 7].map(cidr) },
      { kind: "create", priority: 1001, cidrs: [6, 5, 4, 3, 2].map(cidr) },
      { kind: "create", priority: 1002, cidrs: [1, 0].map(cidr) },
    ]);
    expect(p.steered).toHaveLength(12);
    expect(p.evicted).toEqual([]);
    expect(p.capacity).toBe(100);
  });

  it("skips priorities of other rules inside the band; other rules outside count only against the ALB's limit", () => {
    const p = plan({ wanted: wanted(11), otherPriorities: [1000, 1002, 5, 2000] });
    expect(p.changes.map((c) => c.priority)).toEqual([1001, 1003, 1004]);
    // min(100 band − 2 in it, 100 per ALB − 4 others)
    expect(p.capacity).toBe(96);
  });

  it("refuses options that would make the capacity meaningless", () => {
    const { albRuleLimit: _, ...old } = BAND;
    expect(() => plan({ wanted: wanted(1), options: old as SteeringOptions })).toThrow("albRuleLimit undefined");
    expect(() => plan({ wanted: wanted(1), options: { ...BAND, ruleQuota: 2.5 } })).toThrow("ruleQuota 2.5");
  });

  it("no wanted sources and no rules: nothing to do", () => {
    expect(plan({ wanted: [] })).toEqual({ changes: [], steered: [], evicted: [], capacity: 100 });
  });

  it("one IPv6 address spelt two ways is one CIDR, kept with its latest sighting", () => {
    const p = plan({ wanted: [{ src: "2001:db8::1", lastSeen: 5 }, { src: "2001:DB8:0::1", lastSeen: 9 }] });
    expect(p.changes).toEqual([{ kind: "create", priority: 1000, cidrs: ["2001:db8::1/128"] }]);
    expect(p.steered).toEqual(["2001:DB8:0::1"]);
  });
});

describe("planRules: capacity and eviction", () => {
  const small: SteeringOptions = { firstPriority: 10, ruleQuota: 2, albRuleLimit: 100, cidrsPerRule: 5 };

  it("keeps the most recently seen, evicts the least recently seen and reports them oldest first", () => {
    const p = plan({ wanted: wanted(13), options: small });
    expect(p.capacity).toBe(2);
    expect(p.changes).toEqual([
      { kind: "create", priority: 10, cidrs: [12, 11, 10, 9, 8].map(cidr) },
      { kind: "create", priority: 11, cidrs: [7, 6, 5, 4, 3].map(cidr) },
    ]);
    expect(p.evicted).toEqual([ip(0), ip(1), ip(2)]);
    expect(p.steered).toHaveLength(10);
  });

  it("breaks lastSeen ties by source, deterministically", () => {
    const tied = [ip(3), ip(1), ip(2)].map((src) => ({ src, lastSeen: 7 }));
    const p = plan({ wanted: tied, options: { firstPriority: 10, ruleQuota: 1, albRuleLimit: 100, cidrsPerRule: 2 } });
    expect(p.changes).toEqual([{ kind: "create", priority: 10, cidrs: [cidr(1), cidr(2)] }]);
    expect(p.evicted).toEqual([ip(3)]);
  });

  it("a newer source takes the slot of the least recently seen steered one in one modify", () => {
    const current = [rule("a", 10, 4, 5, 6, 7, 8), rule("b", 11, 9, 10, 11, 12, 13)];
    const p = plan({ wanted: wanted(11, 4), current, options: small }); // 4..14 wanted, 14 is new
    expect(p.evicted).toEqual([ip(4)]);
    expect(p.changes).toEqual([{ kind: "modify", id: "a", priority: 10, cidrs: [5, 6, 7, 8, 14].map(cidr) }]);
  });

  it("other rules in the band lower the capacity", () => {
    const p = plan({ wanted: wanted(8), options: small, otherPriorities: [10] });
    expect(p.capacity).toBe(1);
    expect(p.changes).toEqual([{ kind: "create", priority: 11, cidrs: [7, 6, 5, 4, 3].map(cidr) }]);
    expect(p.evicted).toEqual([ip(0), ip(1), ip(2)]);
  });

  it("an anchor rule outside the band with the ALB's 100: 99 rules, the 100th create never planned", () => {
    const anchor = BAND.firstPriority + BAND.ruleQuota; // just after the band
    const p = plan({ wanted: wanted(500), otherPriorities: [anchor] });
    expect(p.capacity).toBe(99);
    const creates = p.changes.filter((c) => c.kind === "create");
    expect(creates).toHaveLength(99);
    expect(creates.map((c) => c.priority)).toEqual(Array.from({ length: 99 }, (_, i) => 1000 + i));
    expect(p.steered).toHaveLength(495);
    expect(p.evicted).toEqual([0, 1, 2, 3, 4].map(ip));
    // The result fits the ALB: 99 + the anchor = 100.
    expect(apply([], p.changes, BAND, [anchor])).toHaveLength(99);
  });

  it("capacity is the smaller of the band left and the ALB left, never below 0", () => {
    const outside = Array.from({ length: 30 }, (_, i) => 1 + i);
    expect(plan({ wanted: [], otherPriorities: [1050, 1051, ...outside] }).capacity).toBe(68); // ALB: 100 − 32
    expect(plan({ wanted: [], options: { ...BAND, ruleQuota: 10 }, otherPriorities: [1005, ...outside] }).capacity).toBe(9); // band: 10 − 1
    expect(plan({ wanted: [], options: { ...BAND, albRuleLimit: 20 }, otherPriorities: outside }).capacity).toBe(0);
    const full = plan({ wanted: wanted(3), current: [rule("a", 1000, 0)], options: { ...BAND, albRuleLimit: 20 }, otherPriorities: outside });
    // Over the limit already (the quota was lowered): lure lets go of its rule rather than add any.
    expect(full).toEqual({ changes: [{ kind: "delete", id: "a", priority: 1000 }], steered: [], evicted: [0, 1, 2].map(ip), capacity: 0 });
  });

  it("a user's rule inside the band is never changed or deleted; its priority is skipped and costs a rule", () => {
    // lure holds 1000 and 1002; the user holds 1001 (it forwards elsewhere, so the port lists it as other).
    const current = [rule("a", 1000, 0, 1, 2, 3, 4), rule("c", 1002, 5)];
    const normal = plan({ wanted: [], current, otherPriorities: [1001] });
    expect(normal.changes).toEqual([
      { kind: "delete", id: "a", priority: 1000 },
      { kind: "delete", id: "c", priority: 1002 },
    ]);
    const tight = { firstPriority: 1000, ruleQuota: 3, albRuleLimit: 100, cidrsPerRule: 5 };
    const more = plan({ wanted: wanted(12), current, otherPriorities: [1001], options: tight });
    expect(more.capacity).toBe(2);
    expect(more.changes.map((c) => c.priority)).not.toContain(1001);
    expect(more.changes).toEqual([
      { kind: "modify", id: "a", priority: 1000, cidrs: [2, 3, 4, 11, 10].map(cidr) },
      { kind: "modify", id: "c", priority: 1002, cidrs: [5, 9, 8, 7, 6].map(cidr) },
    ]);
    expect(more.evicted).toEqual([0, 1].map(ip));
  });

  it("more rules than the capacity: merges into the fullest rules, adding before deleting", () => {
    const current = [rule("a", 10, 0), rule("b", 11, 1, 2), rule("c", 12, 3)];
    const p = plan({ wanted: wanted(4), current, options: small });
    expect(p.changes).toEqual([
      { kind: "modify", id: "a", priority: 10, cidrs: [0, 3].map(cidr) },
      { kind: "delete", id: "c", priority: 12 },
    ]);
    expect(p.steered).toHaveLength(4);
  });
});

describe("planRules: minimal diff", () => {
  const current = [rule("a", 1000, 1, 2, 3, 4, 5), rule("b", 1001, 6, 7)];
  const all = wanted(8).filter((w) => w.src !== ip(0)); // 1..7, as in the rules

  it("unchanged sets: no change", () => {
    expect(plan({ wanted: all, current }).changes).toEqual([]);
  });

  it("adding one IP to a rule with a free slot is exactly one modify", () => {
    const p = plan({ wanted: [...all, { src: ip(50), lastSeen: 2000 }], current });
    expect(p.changes).toEqual([{ kind: "modify", id: "b", priority: 1001, cidrs: [6, 7, 50].map(cidr) }]);
  });

  it("removing one IP is one modify; the others stay where they are", () => {
    const p = plan({ wanted: all.filter((w) => w.src !== ip(3)), current });
    expect(p.changes).toEqual([{ kind: "modify", id: "a", priority: 1000, cidrs: [1, 2, 4, 5].map(cidr) }]);
  });

  it("removing the last IPs of a rule deletes it (never an empty modify)", () => {
    const p = plan({ wanted: all.filter((w) => w.src !== ip(6) && w.src !== ip(7)), current });
    expect(p.changes).toEqual([{ kind: "delete", id: "b", priority: 1001 }]);
  });

  it("a removal and an addition in one rule are one modify", () => {
    const p = plan({ wanted: [...all.filter((w) => w.src !== ip(6)), { src: ip(60), lastSeen: 3000 }], current });
    expect(p.changes).toEqual([{ kind: "modify", id: "b", priority: 1001, cidrs: [7, 60].map(cidr) }]);
  });

  it("fills free slots of existing rules before creating; deletes come before creates", () => {
    const cur = [rule("x", 1000, 90), rule("y", 1001, 1)];
    const p = plan({ wanted: wanted(10, 1), current: cur });
    expect(p.changes).toEqual([
      { kind: "delete", id: "x", priority: 1000 },
      { kind: "modify", id: "y", priority: 1001, cidrs: [1, 10, 9, 8, 7].map(cidr) },
      { kind: "create", priority: 1000, cidrs: [6, 5, 4, 3, 2].map(cidr) },
    ]);
  });

  it("a lure rule with no wanted source is deleted, even a malformed one; everything goes in Normal Mode", () => {
    const p = plan({ wanted: [], current: [...current, { id: "odd", priority: 1005, cidrs: [] }] });
    expect(p.changes).toEqual([
      { kind: "delete", id: "a", priority: 1000 },
      { kind: "delete", id: "b", priority: 1001 },
      { kind: "delete", id: "odd", priority: 1005 },
    ]);
  });

  it("repairs a CIDR listed in two rules and a rule over the limit", () => {
    const cur = [rule("a", 1000, 1, 2), rule("b", 1001, 2, 3), { id: "c", priority: 1002, cidrs: [4, 5, 6, 7, 8, 9].map(cidr) }];
    const p = plan({ wanted: wanted(9, 1), current: cur });
    // 2 stays in a (lowest priority); 9, beyond c's limit, moves into a's first free slot.
    expect(p.changes).toEqual([
      { kind: "modify", id: "a", priority: 1000, cidrs: [1, 2, 9].map(cidr) },
      { kind: "modify", id: "b", priority: 1001, cidrs: [cidr(3)] },
      { kind: "modify", id: "c", priority: 1002, cidrs: [4, 5, 6, 7, 8].map(cidr) },
    ]);
  });
});

describe("planRules: properties over random inputs", () => {
  it("after applying a plan, re-planning yields no change; the plan respects every limit", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const int = (n: number) => Math.floor(r() * n);
      const options: SteeringOptions = { firstPriority: 1 + int(50), ruleQuota: 1 + int(8), albRuleLimit: 1 + int(12), cidrsPerRule: 1 + int(5) };
      const band = Array.from({ length: options.ruleQuota }, (_, i) => options.firstPriority + i);
      // Other rules: some in the band, some outside (an anchor, the user's routing).
      const others = [...band.filter(() => r() < 0.15), ...[100, 101, 102].filter(() => r() < 0.3)];
      const pool = 40;
      // Current rules: a random consistent set at free band priorities, within the ALB's limit.
      let current: SteeringRule[] = [];
      const used = new Set<number>();
      for (const p of band) {
        if (others.includes(p) || r() < 0.4 || current.length + others.length >= options.albRuleLimit) continue;
        const cidrs = [...new Set(Array.from({ length: 1 + int(options.cidrsPerRule) }, () => int(pool)))].filter((n) => !used.has(n));
        if (cidrs.length === 0) continue;
        cidrs.forEach((n) => used.add(n));
        current.push(rule(`r${p}`, p, ...cidrs));
      }
      const want = [...new Set(Array.from({ length: int(pool) }, () => int(pool)))].map((n) => ({ src: ip(n), lastSeen: int(20) }));
      const input: PlanInput = { wanted: want, current, otherPriorities: others, options };
      const p = planRules(input);
      const context = `seed ${seed}`;
      const ids = new Set(current.map((x) => x.id));
      for (const c of p.changes) if (c.kind !== "create") expect({ context, id: ids.has(c.id) }).toEqual({ context, id: true }); // only lure's rules
      current = apply(current, p.changes, options, others);

      expect({ context, again: planRules({ ...input, current }).changes }).toEqual({ context, again: [] });
      expect(current.length).toBeLessThanOrEqual(p.capacity);
      expect(p.capacity).toBe(Math.max(0, Math.min(options.ruleQuota - others.filter((x) => band.includes(x)).length, options.albRuleLimit - others.length)));
      const listed = current.flatMap((x) => x.cidrs);
      expect(new Set(listed).size).toBe(listed.length); // no CIDR in two rules
      expect(listed.sort()).toEqual(p.steered.map(toCidr).sort()); // every steered CIDR exactly once, nothing else
      expect(p.steered.length).toBe(Math.min(want.length, p.capacity * options.cidrsPerRule));
      expect(p.steered.length + p.evicted.length).toBe(want.length);
      const oldestSteered = Math.min(...p.steered.map((s) => want.find((w) => w.src === s)!.lastSeen));
      for (const e of p.evicted) expect(want.find((w) => w.src === e)!.lastSeen).toBeLessThanOrEqual(oldestSteered);
      for (const c of p.changes) if (c.kind === "create") expect(others).not.toContain(c.priority);
    }
  });

  it("never leaves an already-steered, still-wanted CIDR unsteered between two changes", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed * 7919);
      const int = (n: number) => Math.floor(r() * n);
      const options: SteeringOptions = { firstPriority: 1, ruleQuota: 2 + int(5), albRuleLimit: 100, cidrsPerRule: 1 + int(4) };
      // Start from a planned state, then change the wanted set and possibly shrink the quota.
      const first = wanted(int(20)).map((w) => ({ ...w, lastSeen: int(10) }));
      const start = apply([], planRules({ wanted: first, current: [], otherPriorities: [], options }).changes, options);
      const later = { ...options, ruleQuota: Math.max(1, options.ruleQuota - int(3)) };
      const second = [...first.filter(() => r() < 0.7), ...wanted(int(10), 30)];
      const p = planRules({ wanted: second, current: start, otherPriorities: [], options: later });
      const keep = new Set(p.steered.map(toCidr));
      const mustStay = start.flatMap((x) => x.cidrs).filter((c) => keep.has(c));
      let state = start;
      for (const c of p.changes) {
        state = apply(state, [c], options);
        const listed = new Set(state.flatMap((x) => x.cidrs));
        for (const c2 of mustStay) expect({ seed, c2, steered: listed.has(c2) }).toEqual({ seed, c2, steered: true });
      }
    }
  });
});
