import { DEFAULT_DETECTOR } from "../../../functions/core/detector";
import { LEASE_SECONDS, processRecords, tick, type EngineDeps } from "../../../functions/core/quarantine";
import type { FlowRecord, QuarantineRuntimeConfig, QuarantineStore } from "../../../functions/core/quarantine-types";
import { createMemoryCloud, type MemoryCloud } from "../../../functions/local/memory-cloud";

const T0 = 1_800_000_000;
const SCANNER = "203.0.113.5";

const config: QuarantineRuntimeConfig = {
  prefix: "test",
  detector: { ...DEFAULT_DETECTOR, allowCidrs: [] },
  mode: { quietPeriodMinutes: 30, forgetOnNormal: true, rememberMinutes: 120, defenceAfterSources: 1, defenceWindowMinutes: 5 },
  steering: { firstPriority: 1000, ruleQuota: 40, albRuleLimit: 40, cidrsPerRule: 5 },
  copies: { defenceCount: 2, normalCount: 0 },
};

const scan = (n: number): FlowRecord[] => Array.from({ length: n }, (_, i) => ({ time: T0 + i, src: SCANNER, dst: "10.0.1.10", dport: 20 + i, proto: 6, outcome: "FAIL" as const }));

/** The memory store with every lease request recorded. */
function setup(): { cloud: MemoryCloud; leases: number[]; deps: Omit<EngineDeps, "leaseSeconds" | "reconcileOnBatch"> } {
  const cloud = createMemoryCloud({ steering: config.steering, clock: () => T0 + 60, copyStartSeconds: 0 });
  const leases: number[] = [];
  const store = cloud.store;
  const spy: QuarantineStore = Object.assign(Object.create(Object.getPrototypeOf(store)) as QuarantineStore, store, {
    acquireLease: (owner: string, now: number, ttl: number) => {
      leases.push(ttl);
      return store.acquireLease(owner, now, ttl);
    },
    releaseLease: (owner: string) => store.releaseLease(owner),
  });
  // The spy's other methods run on the real store.
  for (const k of ["getSources", "putSource", "deleteSource", "getProofs", "putProofs", "listQuarantines", "upsertQuarantine", "deleteQuarantine", "getMode", "putMode"] as const) {
    (spy as unknown as Record<string, unknown>)[k] = (store[k] as (...a: unknown[]) => unknown).bind(store);
  }
  return { cloud, leases, deps: { store: spy, steering: cloud.steering, copies: cloud.copies, config, owner: "fn-1" } };
}

describe("EngineDeps.reconcileOnBatch", () => {
  test("default: a detection in Defence Mode reconciles the rules in the batch", async () => {
    const { cloud, deps, leases } = setup();
    const report = await processRecords(scan(30), deps, T0 + 60);
    expect(report.detections.map((d) => d.src)).toEqual([SCANNER]);
    expect(report.reconcile?.skipped).toBe(false);
    expect(leases).toEqual([LEASE_SECONDS]);
    expect((await cloud.steering.readRules()).rules.flatMap((r) => r.cidrs)).toEqual([`${SCANNER}/32`]);
  });

  test("false: the batch writes the quarantine, the mode and the copies, and touches no rule nor lease", async () => {
    const { cloud, deps, leases } = setup();
    const report = await processRecords(scan(30), { ...deps, reconcileOnBatch: false }, T0 + 60);
    expect(report.detections.map((d) => d.src)).toEqual([SCANNER]);
    expect(report.enteredDefence).toBe(true);
    expect(report.reconcile).toBeUndefined();
    expect(leases).toEqual([]);
    expect((await cloud.steering.readRules()).rules).toEqual([]);
    expect((await cloud.store.listQuarantines()).map((q) => q.src)).toEqual([SCANNER]);
    expect(await cloud.copies.getDesired()).toBe(2);
    // The tick then steers it.
    const t = await tick({ ...deps, reconcileOnBatch: false }, T0 + 120);
    expect(t.reconcile.skipped).toBe(false);
    expect((await cloud.steering.readRules()).rules.flatMap((r) => r.cidrs)).toEqual([`${SCANNER}/32`]);
  });
});

describe("EngineDeps.leaseSeconds", () => {
  test("the tick's reconciliation asks for the lease it is given", async () => {
    const { deps, leases } = setup();
    await tick({ ...deps, leaseSeconds: 900 }, T0);
    expect(leases).toEqual([900]);
  });

  test("default: LEASE_SECONDS (60)", async () => {
    const { deps, leases } = setup();
    await tick(deps, T0);
    expect(LEASE_SECONDS).toBe(60);
    expect(leases).toEqual([60]);
  });

  test("a 900 s lease held by another owner still blocks a reconciliation 10 minutes later", async () => {
    const { deps } = setup();
    expect(await deps.store.acquireLease("other", T0, 900)).toBe(true);
    const t = await tick({ ...deps, leaseSeconds: 900 }, T0 + 600);
    expect(t.reconcile.skipped).toBe(true);
  });
});
