/**
 * The Cloud Armor steering adapter against a stateful policy: which rules are lure's, the changes
 * and their operations, 10 ranges a rule, someone else's rule in the band left alone, a change by
 * someone else between read and apply, a taken priority, retries, access errors, and capacity,
 * eviction and idempotence through the engine's reconcile.
 */
import { reconcile } from "../../../../functions/core/quarantine";
import { ConflictError } from "../../../../functions/core/quarantine-types";
import { armorSteering, lureCidrs, RuleQuotaError, singleAddress, steeringRule, SteeringAccessError } from "../../../../functions/gcp/quarantine/armor-steering";
import { cloudArmorSteeringOptions } from "../../../../functions/gcp/quarantine/contract";
import { MemoryStore } from "../../../../functions/local/memory-cloud";
import { CONFIG, DEFAULT_RULE, fakeArmor, googleError, POLICY, PROJECT, userRule } from "./fakes";

const NOW = 1_800_000_000;
const STEERING = cloudArmorSteeringOptions(40);
const noSleep = async (): Promise<void> => undefined;

function setup(initial = [DEFAULT_RULE], opts: { healthy?: number; maxRules?: number; steering?: typeof STEERING } = {}) {
  const armor = fakeArmor(initial, opts.maxRules);
  let healthy = opts.healthy ?? 2;
  const steering = armorSteering(armor.policies, armor.operations, {
    project: PROJECT,
    policy: POLICY,
    steering: opts.steering ?? STEERING,
    prefix: "lure-test",
    healthyTargets: async () => healthy,
    sleep: noSleep,
  });
  return { armor, steering, setHealthy: (n: number) => (healthy = n) };
}

const ip = (i: number): string => `203.0.113.${i}`;
const cidr = (i: number): string => `${ip(i)}/32`;

/** A store in Defence Mode with these quarantines (seen at NOW - age). */
async function defenceStore(n: number): Promise<MemoryStore> {
  const store = new MemoryStore(() => NOW, () => undefined);
  await store.putMode({ mode: "defence", since: NOW - 60, recentFlags: [NOW - 60] }, undefined);
  for (let i = 1; i <= n; i++) await store.upsertQuarantine({ src: ip(i), detectedAt: NOW - 100, lastSeen: NOW - 1000 + i, reason: "trw", probes: 10 }, NOW + 3600);
  return store;
}

describe("which rules are lure's", () => {
  it("is lure's only with its band, allow, SRC_IPS_V1 single addresses and exactly the steering header", () => {
    const mine = steeringRule(1000, ["203.0.113.1/32"], "x");
    expect(lureCidrs(mine, 10)).toEqual(["203.0.113.1/32"]);
    expect(lureCidrs({ ...mine, action: "deny(403)" }, 10)).toBeUndefined();
    expect(lureCidrs({ ...mine, preview: true }, 10)).toBeUndefined();
    expect(lureCidrs({ ...mine, match: { ...mine.match, versionedExpr: undefined, expr: { expression: "true" } } }, 10)).toBeUndefined();
    expect(lureCidrs({ ...mine, match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["203.0.113.0/24"] } } }, 10)).toBeUndefined();
    expect(lureCidrs({ ...mine, headerAction: { requestHeadersToAdds: [{ headerName: "x-lure-quarantine", headerValue: "2" }] } }, 10)).toBeUndefined();
    expect(lureCidrs({ ...mine, headerAction: { requestHeadersToAdds: [...mine.headerAction.requestHeadersToAdds, { headerName: "x-other", headerValue: "1" }] } }, 10)).toBeUndefined();
    expect(lureCidrs({ ...mine, headerAction: null }, 10)).toBeUndefined();
    expect(lureCidrs({ ...mine, rateLimitOptions: { conformAction: "allow" } }, 10)).toBeUndefined();
    expect(lureCidrs(steeringRule(1000, Array.from({ length: 11 }, (_, i) => cidr(i)), "x"), 10)).toBeUndefined();
  });

  it("reads bare addresses and IPv6 spellings as lure writes them", () => {
    expect(singleAddress("203.0.113.7")).toBe("203.0.113.7/32");
    expect(singleAddress("2001:DB8:0:0::1/128")).toBe("2001:db8::1/128");
    expect(singleAddress("2001:db8::/64")).toBeUndefined();
    expect(singleAddress("*")).toBeUndefined();
  });

  it("lists lure's rules and puts every other rule, in the band or not, in otherPriorities", async () => {
    const { steering } = setup([DEFAULT_RULE, userRule(500), userRule(1005), { ...steeringRule(1001, ["203.0.113.9"], "y") }, steeringRule(2000, [cidr(1)], "y")]);
    const read = await steering.readRules();
    expect(read.rules).toEqual([{ id: "1001", priority: 1001, cidrs: ["203.0.113.9/32"] }]);
    expect(read.otherPriorities).toEqual([500, 1005, 2000, 2147483647]);
  });
});

describe("apply", () => {
  it("creates, modifies and deletes rules, waiting for each operation", async () => {
    const { armor, steering } = setup();
    await steering.readRules();
    await steering.apply({ kind: "create", priority: 1000, cidrs: [cidr(1), cidr(2)] });
    await steering.apply({ kind: "modify", id: "1000", priority: 1000, cidrs: [cidr(1), cidr(3)] });
    expect(armor.lure()).toEqual({ 1000: [cidr(1), cidr(3)] });
    const written = armor.rules.get(1000)!;
    expect(written).toMatchObject({ action: "allow", preview: false, match: { versionedExpr: "SRC_IPS_V1" }, headerAction: { requestHeadersToAdds: [{ headerName: "x-lure-quarantine", headerValue: "1" }] } });
    await steering.apply({ kind: "delete", id: "1000", priority: 1000 });
    expect(armor.lure()).toEqual({});
    expect(armor.calls.filter((c) => c.startsWith("wait"))).toHaveLength(3);
    // One read of the policy before each change.
    expect(armor.calls.filter((c) => c === "get")).toHaveLength(4);
  });

  it("refuses more than 10 ranges, a priority outside the band, and a rule that is not lure's", async () => {
    const { armor, steering } = setup([DEFAULT_RULE, userRule(1003)]);
    await steering.readRules();
    await expect(steering.apply({ kind: "create", priority: 1000, cidrs: Array.from({ length: 11 }, (_, i) => cidr(i + 1)) })).rejects.toThrow(/1\.\.10 ranges/);
    await expect(steering.apply({ kind: "create", priority: 999, cidrs: [cidr(1)] })).rejects.toThrow(/outside lure's band/);
    await expect(steering.apply({ kind: "modify", id: "1003", priority: 1003, cidrs: [cidr(1)] })).rejects.toThrow(ConflictError);
    await expect(steering.apply({ kind: "delete", id: "1003", priority: 1003 })).rejects.toThrow(ConflictError);
    await expect(steering.apply({ kind: "create", priority: 1003, cidrs: [cidr(1)] })).rejects.toThrow(ConflictError);
    expect(armor.writes()).toEqual([]);
    expect(armor.rules.get(1003)).toEqual(userRule(1003));
  });

  it("a change by someone else between read and apply is a ConflictError, and nothing is written", async () => {
    const { armor, steering } = setup([DEFAULT_RULE, steeringRule(1000, [cidr(1)], "lure-test")]);
    await steering.readRules();
    armor.edit((rules) => rules.set(1002, userRule(1002)));
    await expect(steering.apply({ kind: "modify", id: "1000", priority: 1000, cidrs: [cidr(1), cidr(2)] })).rejects.toThrow(/changed since it was read \(fingerprint fp-1 → fp-2\)/);
    expect(armor.writes()).toEqual([]);
    // Until read again, every apply conflicts (never applied on a stale plan).
    await expect(steering.apply({ kind: "create", priority: 1001, cidrs: [cidr(3)] })).rejects.toThrow(ConflictError);
    await steering.readRules();
    await steering.apply({ kind: "create", priority: 1001, cidrs: [cidr(3)] });
    expect(armor.lure()).toEqual({ 1000: [cidr(1)], 1001: [cidr(3)] });
  });

  it("someone else editing lure's rule meanwhile also conflicts (content, not only the fingerprint)", async () => {
    const { armor, steering } = setup([DEFAULT_RULE, steeringRule(1000, [cidr(1)], "lure-test")]);
    await steering.readRules();
    armor.edit((rules) => rules.set(1000, { ...rules.get(1000)!, match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: [cidr(9)] } } }));
    await expect(steering.apply({ kind: "delete", id: "1000", priority: 1000 })).rejects.toThrow(ConflictError);
    expect(armor.lure()).toEqual({ 1000: [cidr(9)] });
  });

  it("an addRule on a priority taken in the last moment (400 already exists) is a ConflictError", async () => {
    const { armor, steering } = setup();
    await steering.readRules();
    armor.hooks.beforeWrite = () => {
      armor.hooks.beforeWrite = undefined;
      armor.rules.set(1000, userRule(1000));
    };
    await expect(steering.apply({ kind: "create", priority: 1000, cidrs: [cidr(1)] })).rejects.toThrow(/priority 1000 was taken meanwhile/);
    expect(armor.rules.get(1000)).toEqual(userRule(1000));
  });

  it("retries 429 and 503 with backoff, a bounded number of times", async () => {
    const { armor, steering } = setup();
    armor.failNext("get", googleError(8, "Rate Limit Exceeded"));
    await steering.readRules();
    armor.failNext("addRule", googleError(14, "503 Service Unavailable"), googleError(8, "Quota exceeded for quota metric 'Queries' (rateLimitExceeded)"));
    await steering.apply({ kind: "create", priority: 1000, cidrs: [cidr(1)] });
    expect(armor.lure()).toEqual({ 1000: [cidr(1)] });
    armor.failNext("get", googleError(14), googleError(14), googleError(14), googleError(14));
    await expect(steering.readRules()).rejects.toThrow(/code 14/);
  });

  it("403 and 404 are clear errors naming the policy and the permission", async () => {
    const { armor, steering } = setup();
    armor.failNext("get", googleError(7, "Required 'compute.securityPolicies.get' permission"));
    await expect(steering.readRules()).rejects.toThrow(SteeringAccessError);
    armor.failNext("get", googleError(5, "not found"));
    await expect(steering.readRules()).rejects.toThrow(/Cloud Armor policy lure-test-quarantine not found in project lure-test-project/);
    await steering.readRules();
    armor.failNext("addRule", googleError(7, "Required 'compute.securityPolicies.update' permission for 'projects/x'"));
    await expect(steering.apply({ kind: "create", priority: 1000, cidrs: [cidr(1)] })).rejects.toThrow(/needs compute\.securityPolicies\.update/);
  });

  it("a policy that takes no more rules is a RuleQuotaError", async () => {
    const { steering } = setup([DEFAULT_RULE], { maxRules: 1 });
    await steering.readRules();
    await expect(steering.apply({ kind: "create", priority: 1000, cidrs: [cidr(1)] })).rejects.toThrow(RuleQuotaError);
  });

  it("a failed wait is retried; an operation that ends in an error is that change's error", async () => {
    const { armor, steering } = setup();
    await steering.readRules();
    armor.failNext("wait", googleError(13, "internal"));
    await steering.apply({ kind: "create", priority: 1000, cidrs: [cidr(1)] });
    expect(armor.lure()).toEqual({ 1000: [cidr(1)] });
    expect(armor.writes()).toEqual(["addRule 1000"]);
    await steering.readRules();
    armor.failOperation("INVALID_FIELD_VALUE", "Invalid value for field 'resource.match.config.srcIpRanges[0]'");
    await expect(steering.apply({ kind: "create", priority: 1001, cidrs: [cidr(2)] })).rejects.toThrow(/INVALID_FIELD_VALUE/);
    expect(armor.lure()).toEqual({ 1000: [cidr(1)] });
    // A 5xx inside the operation: the change is tried again (once it lands, it is done).
    await steering.readRules();
    armor.failOperation("INTERNAL_ERROR", "backend error", 503);
    await steering.apply({ kind: "create", priority: 1001, cidrs: [cidr(2)] });
    expect(armor.lure()).toEqual({ 1000: [cidr(1)], 1001: [cidr(2)] });
  });
});

describe("through the engine's reconcile", () => {
  const deps = (store: MemoryStore, steering: ReturnType<typeof setup>["steering"]) => ({
    store,
    steering,
    copies: { setDesired: async () => undefined, getDesired: async () => 2 },
    config: { ...CONFIG, steering: STEERING },
    owner: "test",
  });

  it("steers every live quarantine, 10 a rule, and a second run changes nothing", async () => {
    const { armor, steering } = setup([DEFAULT_RULE, userRule(1001)]);
    const store = await defenceStore(25);
    const r = await reconcile(deps(store, steering), NOW);
    expect(r.steered).toBe(25);
    const lure = armor.lure();
    expect(Object.keys(lure).map(Number)).toEqual([1000, 1002, 1003]);
    expect(Object.values(lure).map((c) => c.length)).toEqual([10, 10, 5]);
    expect(armor.rules.get(1001)).toEqual(userRule(1001));
    const writes = armor.writes().length;
    const again = await reconcile(deps(store, steering), NOW);
    expect(again.changes).toEqual([]);
    expect(armor.writes()).toHaveLength(writes);
  });

  it("evicts the least recently seen beyond the capacity", async () => {
    const { armor, steering } = setup([DEFAULT_RULE, userRule(1001)], { steering: cloudArmorSteeringOptions(3) });
    const store = await defenceStore(25);
    const r = await reconcile({ ...deps(store, steering), config: { ...CONFIG, steering: cloudArmorSteeringOptions(3) } }, NOW);
    // Band 1000..1002 minus the user's 1001: 2 rules, 20 sources; the 5 least recently seen are out.
    expect(r.capacity).toBe(2);
    expect(r.steered).toBe(20);
    expect(r.evicted.sort()).toEqual([1, 2, 3, 4, 5].map(ip).sort());
    expect(Object.keys(armor.lure()).map(Number)).toEqual([1000, 1002]);
  });

  it("re-plans after a concurrent change and still converges", async () => {
    const { armor, steering } = setup();
    const store = await defenceStore(15);
    let edited = false;
    armor.hooks.beforeWrite = (method) => {
      if (edited || method !== "addRule") return;
      edited = true;
      // Someone adds a rule at the priority lure is creating.
      armor.edit((rules) => rules.set(1000, userRule(1000)));
    };
    const r = await reconcile(deps(store, steering), NOW);
    expect(r.steered).toBe(15);
    expect(armor.rules.get(1000)).toEqual(userRule(1000));
    expect(Object.keys(armor.lure()).map(Number)).toEqual([1001, 1002]);
  });

  it("adds no rule while the copies are not healthy", async () => {
    const { armor, steering, setHealthy } = setup();
    setHealthy(0);
    const store = await defenceStore(3);
    const r = await reconcile(deps(store, steering), NOW);
    expect(r.waiting).toHaveLength(3);
    expect(armor.writes()).toEqual([]);
  });

  it("removes lure's rules in Normal Mode and leaves the others", async () => {
    const { armor, steering } = setup([DEFAULT_RULE, steeringRule(1000, [cidr(1)], "lure-test"), steeringRule(1004, [cidr(2)], "lure-test"), userRule(1002)]);
    const store = new MemoryStore(() => NOW, () => undefined);
    await reconcile(deps(store, steering), NOW);
    expect(armor.lure()).toEqual({});
    expect([...armor.rules.keys()].sort((a, b) => a - b)).toEqual([1002, 2147483647]);
  });
});
