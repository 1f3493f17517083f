import { DEFAULT_DETECTOR, ScanDetector } from "../../../functions/core/detector";
import { FORGET_MARGIN_SECONDS, processRecords, quarantineExpiry, reconcile, tick, type EngineDeps } from "../../../functions/core/quarantine";
import { ConflictError, type FlowRecord, type ModeOptions, type Outcome, type QuarantineRuntimeConfig, type QuarantineStore, type RuleChange, type SteeringOptions, type SteeringPort } from "../../../functions/core/quarantine-types";
import { createMemoryCloud, RuleQuotaError, USER_TARGET_GROUP, type MemoryCloud } from "../../../functions/local/memory-cloud";

const T0 = 1_800_000_000;
const MIN = 60;
const SCANNER = "203.0.113.5";
const SWEEPER = "198.51.100.9";
const CLIENT = "81.2.69.160";
const ALB = "10.0.1.10";

const MODE: ModeOptions = { quietPeriodMinutes: 30, forgetOnNormal: true, rememberMinutes: 120, defenceAfterSources: 1, defenceWindowMinutes: 5 };
const STEERING: SteeringOptions = { firstPriority: 1000, ruleQuota: 100, albRuleLimit: 100, cidrsPerRule: 5 };

function rec(src: string, time: number, dport: number, outcome: Outcome = "FAIL", dst = ALB): FlowRecord {
  return { time, src, dst, dport, proto: 6, outcome };
}
/** `n` failed probes to distinct ports, one per second from `t`. */
function probes(src: string, t: number, n: number, firstPort = 20): FlowRecord[] {
  return Array.from({ length: n }, (_, i) => rec(src, t + i, firstPort + i));
}

interface Setup {
  cloud: MemoryCloud;
  deps: EngineDeps;
  config: QuarantineRuntimeConfig;
  logs: { event: string; fields: Readonly<Record<string, unknown>> }[];
  clock: { now: number };
}

interface SetupOptions {
  mode?: Partial<ModeOptions>;
  steering?: Partial<SteeringOptions>;
  allowCidrs?: string[];
  /** The memory cloud's start-up delay of a copy; 0 (healthy at once) unless a test is about it. */
  copyStartSeconds?: number;
  /** Rules the memory ALB really accepts, when it differs from the config's. */
  albRuleLimit?: number;
  otherPriorities?: number[];
}

function setup(o: SetupOptions = {}): Setup {
  const config: QuarantineRuntimeConfig = {
    prefix: "test",
    detector: { ...DEFAULT_DETECTOR, allowCidrs: o.allowCidrs ?? [] },
    mode: { ...MODE, ...o.mode },
    steering: { ...STEERING, ...o.steering },
    copies: { defenceCount: 2, normalCount: 0 },
  };
  const clock = { now: T0 };
  const cloud = createMemoryCloud({
    steering: config.steering,
    clock: () => clock.now,
    copyStartSeconds: o.copyStartSeconds ?? 0,
    ...(o.albRuleLimit !== undefined ? { albRuleLimit: o.albRuleLimit } : {}),
    ...(o.otherPriorities ? { otherPriorities: o.otherPriorities } : {}),
  });
  const logs: Setup["logs"] = [];
  const deps: EngineDeps = { store: cloud.store, steering: cloud.steering, copies: cloud.copies, config, owner: "lambda-1", log: (event, fields) => logs.push({ event, fields }) };
  return { cloud, deps, config, logs, clock };
}

/** Every QuarantineStore method passed through, with some replaced. */
function storeWith(store: QuarantineStore, over: Partial<QuarantineStore>): QuarantineStore {
  return {
    getSources: (s) => store.getSources(s),
    putSource: (s, st, v, e) => store.putSource(s, st, v, e),
    deleteSource: (s) => store.deleteSource(s),
    getProofs: (s) => store.getProofs(s),
    putProofs: (p) => store.putProofs(p),
    listQuarantines: () => store.listQuarantines(),
    upsertQuarantine: (q, e) => store.upsertQuarantine(q, e),
    deleteQuarantine: (s, v) => store.deleteQuarantine(s, v),
    getMode: () => store.getMode(),
    putMode: (s, v) => store.putMode(s, v),
    acquireLease: (o, n, t) => store.acquireLease(o, n, t),
    releaseLease: (o) => store.releaseLease(o),
    ...over,
  };
}
function steeringWith(steering: SteeringPort, over: Partial<SteeringPort>): SteeringPort {
  return {
    readRules: () => steering.readRules(),
    healthyTargets: () => steering.healthyTargets(),
    apply: (c) => steering.apply(c),
    ...over,
  };
}
/** A promise to wait on and the function that settles it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}
/** Defence Mode with these sources quarantined (source i last seen at `lastSeen + i`) and the copies raised. */
async function defenceWith(s: Setup, srcs: string[], lastSeen = T0): Promise<void> {
  for (const [i, src] of srcs.entries()) await s.cloud.store.upsertQuarantine({ src, detectedAt: lastSeen, lastSeen: lastSeen + i, reason: "trw", probes: 4 }, lastSeen + 10_000);
  await s.cloud.store.putMode({ mode: "defence", since: lastSeen, recentFlags: [] }, undefined);
  await s.cloud.copies.setDesired(s.config.copies.defenceCount); // healthy once copyStartSeconds passed
}
/** `n` distinct addresses. */
const addresses = (n: number) => Array.from({ length: n }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
const ruleChanges = (cloud: MemoryCloud): RuleChange[] => cloud.events.flatMap((e) => (e.kind === "rule" ? [e.change] : []));

describe("processRecords", () => {
  it("a scan batch: quarantine, Defence Mode, copies up and one rule; benign clients untouched", async () => {
    const { cloud, deps, logs } = setup();
    const batch = [rec(CLIENT, T0, 443, "OK"), ...probes(SCANNER, T0 + 1, 6), rec(CLIENT, T0 + 9, 443, "OK")];
    const report = await processRecords(batch, deps, T0 + 60);

    expect(report).toEqual({
      records: 8,
      allowListed: 0,
      evaluatedSources: 1, // the client had no failure: not read, not written
      detections: [{ src: SCANNER, time: T0 + 4, reason: "trw", probes: 4, failures: 4, withheld: false }],
      withheld: [],
      proofsStored: 0,
      remembered: [],
      refreshed: 0,
      conflicts: 0,
      enteredDefence: true,
      reconcile: { skipped: false, changes: [{ kind: "create", priority: 1000, cidrs: [`${SCANNER}/32`] }], steered: 1, evicted: [], capacity: 100, waiting: [], ruleQuotaReached: false },
    });
    // Detected at the deciding record's event time; last seen when the batch was received.
    expect(await cloud.store.listQuarantines()).toEqual([{ src: SCANNER, detectedAt: T0 + 4, lastSeen: T0 + 60, reason: "trw", probes: 4 }]);
    expect((await cloud.store.getMode()).value).toEqual({ mode: "defence", since: T0 + 60, recentFlags: [] });
    expect(await cloud.copies.getDesired()).toBe(2);
    expect((await cloud.steering.readRules()).rules).toEqual([{ id: expect.any(String), priority: 1000, cidrs: [`${SCANNER}/32`] }]);
    expect([...(await cloud.store.getSources([CLIENT, SCANNER])).keys()]).toEqual([SCANNER]);
    expect(cloud.store.leaseOwner).toBeUndefined();
    // Copies are raised before the rule sends anyone to them.
    expect(cloud.events.map((e) => e.kind)).toEqual(["mode", "copies", "rule"]);
    expect(logs.map((l) => l.event)).toEqual(["quarantine", "defence-mode", "rules-reconciled"]);
  });

  it("three failures are not a scan: state stored, nothing else", async () => {
    const { cloud, deps } = setup();
    const report = await processRecords(probes(SCANNER, T0, 3), deps, T0 + 60);
    expect(report).toMatchObject({ evaluatedSources: 1, detections: [], enteredDefence: false });
    expect(report.reconcile).toBeUndefined();
    expect(cloud.events).toEqual([]);
    expect(await cloud.store.listQuarantines()).toEqual([]);
    expect(cloud.store.sourceCount).toBe(1);
  });

  it("the in-memory store's sweep drops what is past its TTL, as DynamoDB's does, and nothing else", async () => {
    const { cloud, deps, clock } = setup();
    await processRecords(probes(SCANNER, T0, 3), deps, T0 + 60);
    const expiry = new ScanDetector(deps.config.detector);
    expiry.load(SCANNER, (await cloud.store.getSources([SCANNER])).get(SCANNER)!.value);
    const ttl = expiry.expiresAt(SCANNER)!;
    clock.now = ttl - 1;
    cloud.store.sweep();
    expect(cloud.store.sourceCount).toBe(1);
    clock.now = ttl;
    cloud.store.sweep();
    expect(cloud.store.sourceCount).toBe(0);
  });

  it("the store carries a source across batches and detector instances", async () => {
    const { cloud, deps } = setup();
    await processRecords(probes(SCANNER, T0, 2, 20), deps, T0 + 60); // a fresh detector per call
    const second = await processRecords(probes(SCANNER, T0 + 60, 2, 30), deps, T0 + 120);
    expect(second.detections).toEqual([{ src: SCANNER, time: T0 + 61, reason: "trw", probes: 4, failures: 4, withheld: false }]);
    expect(await cloud.store.listQuarantines()).toHaveLength(1);
  });

  it("stores a source's state until its last failure leaves the long memory", async () => {
    const { deps } = setup();
    const puts: number[] = [];
    const store = storeWith(deps.store, { putSource: (s, st, v, e) => (puts.push(e), deps.store.putSource(s, st, v, e)) });
    await processRecords(probes(SCANNER, T0, 2), { ...deps, store }, T0 + 60);
    // The later of its two failures (T0 + 1), plus the memory.
    expect(puts).toEqual([T0 + 1 + DEFAULT_DETECTOR.memoryMinutes * 60]);
  });

  describe("anti-spoofing", () => {
    const proof = (src: string, time: number): FlowRecord => ({ ...rec(src, time, 443, "OK"), proof: true });

    it("writes news of proofs once an hour per client, and only news", async () => {
      const { cloud, deps } = setup();
      const detector = new ScanDetector(deps.config.detector);
      const warm = { ...deps, detector };
      const first = await processRecords([proof(CLIENT, T0), proof(CLIENT, T0 + 5), rec(CLIENT, T0 + 6, 443, "OK")], warm, T0 + 60);
      expect(first).toMatchObject({ proofsStored: 1, evaluatedSources: 0, detections: [], withheld: [] });
      expect(await cloud.store.getProofs([CLIENT, SCANNER])).toEqual(new Map([[CLIENT, { first: T0, last: T0 + 5 }]]));
      expect((await processRecords([proof(CLIENT, T0 + 1800)], warm, T0 + 1860)).proofsStored).toBe(0);
      expect((await processRecords([proof(CLIENT, T0 + 3600)], warm, T0 + 3660)).proofsStored).toBe(1);
      expect(await cloud.store.getProofs([CLIENT])).toEqual(new Map([[CLIENT, { first: T0, last: T0 + 3600 }]]));
      expect(cloud.store.proofCount).toBe(1);
    });

    it("a scan forged in an established client's name: reported and logged, nothing quarantined; a fresh scanner in the same batch is", async () => {
      const { cloud, deps, logs } = setup();
      // Another instance saw the client's completed connections yesterday.
      await cloud.store.putProofs([{ src: CLIENT, proof: { first: T0 - 86_400, last: T0 - 3600 }, expiresAt: T0 + 7 * 86_400 }]);
      const report = await processRecords([...probes(CLIENT, T0, 6), ...probes(SCANNER, T0, 6)], deps, T0 + 60);
      expect(report.withheld).toEqual([{ src: CLIENT, time: T0 + 3, reason: "trw", probes: 4, failures: 4, withheld: true, establishedSince: T0 - 86_400 }]);
      expect(report.detections.map((d) => d.src)).toEqual([SCANNER]);
      expect((await cloud.store.listQuarantines()).map((q) => q.src)).toEqual([SCANNER]);
      expect((await cloud.steering.readRules()).rules.flatMap((r) => r.cidrs)).toEqual([`${SCANNER}/32`]);
      expect(logs.find((l) => l.event === "quarantine-withheld")?.fields).toEqual({ src: CLIENT, reason: "trw", probes: 4, failures: 4, time: T0 + 3, establishedSince: T0 - 86_400 });
      // The report is kept with the source's state: the next batch of forged probes reports nothing new.
      const next = await processRecords(probes(CLIENT, T0 + 120, 10, 200), deps, T0 + 180);
      expect([next.withheld, next.detections]).toEqual([[], []]);
    });

    it("alone, a withheld report does not start Defence Mode", async () => {
      const { cloud, deps } = setup();
      await cloud.store.putProofs([{ src: CLIENT, proof: { first: T0 - 86_400, last: T0 - 3600 }, expiresAt: T0 + 7 * 86_400 }]);
      const report = await processRecords(probes(CLIENT, T0, 6), deps, T0 + 60);
      expect([report.withheld.length, report.enteredDefence]).toEqual([1, false]);
      expect((await cloud.store.getMode()).value.mode).toBe("normal");
      expect(cloud.events).toEqual([]);
    });

    it("disabled: proofs are neither read nor written, and the client is steered", async () => {
      const { cloud, deps } = setup();
      const config = { ...deps.config, detector: { ...deps.config.detector, antiSpoofing: { ...deps.config.detector.antiSpoofing, enabled: false } } };
      await cloud.store.putProofs([{ src: CLIENT, proof: { first: T0 - 86_400, last: T0 - 3600 }, expiresAt: T0 + 7 * 86_400 }]);
      const calls: string[] = [];
      const store = storeWith(cloud.store, {
        getProofs: (s) => (calls.push("get"), cloud.store.getProofs(s)),
        putProofs: (p) => (calls.push("put"), cloud.store.putProofs(p)),
      });
      const report = await processRecords([proof(SCANNER, T0 - 10), ...probes(CLIENT, T0, 6)], { ...deps, config, store }, T0 + 60);
      expect(report.detections.map((d) => d.src)).toEqual([CLIENT]);
      expect(calls).toEqual([]);
    });
  });

  it("drops and counts allow-listed sources: never read, never flagged", async () => {
    const { cloud, deps } = setup({ allowCidrs: ["203.0.113.0/24"] });
    const report = await processRecords([...probes(SCANNER, T0, 10), rec(CLIENT, T0, 443, "OK")], deps, T0 + 60);
    expect(report).toMatchObject({ records: 11, allowListed: 10, evaluatedSources: 0, detections: [] });
    expect(cloud.store.sourceCount).toBe(0);
    expect(cloud.events).toEqual([]);
  });

  it("records of a quarantined source refresh its lastSeen to their receipt time, without re-detection or rule changes", async () => {
    const { cloud, deps } = setup();
    await processRecords(probes(SCANNER, T0, 4), deps, T0 + 60);
    const before = cloud.events.length;
    const later = await processRecords(probes(SCANNER, T0 + 300, 20, 100), deps, T0 + 360);
    expect(later).toMatchObject({ evaluatedSources: 0, detections: [], refreshed: 1, enteredDefence: false });
    expect(later.reconcile).toBeUndefined(); // still live, already steered
    expect((await cloud.store.listQuarantines())[0]).toMatchObject({ detectedAt: T0 + 3, lastSeen: T0 + 360 });
    // Records from before the last refresh, delivered late: the source is still active now.
    const late = await processRecords([rec(SCANNER, T0 + 100, 9)], deps, T0 + 400);
    expect(late.refreshed).toBe(1);
    expect((await cloud.store.listQuarantines())[0].lastSeen).toBe(T0 + 400);
    // Never backwards: a batch handled with an older clock (another instance) changes nothing.
    const behind = await processRecords([rec(SCANNER, T0 + 390, 9)], deps, T0 + 395);
    expect(behind.refreshed).toBe(0);
    expect((await cloud.store.listQuarantines())[0].lastSeen).toBe(T0 + 400);
    expect(cloud.events.length).toBe(before);
  });

  it("a quiet quarantine seen again in Defence Mode before the tick forgets it is steered again", async () => {
    const { cloud, deps } = setup();
    await processRecords(probes(SCANNER, T0, 4), deps, T0 + 60);
    // A second scanner keeps Defence Mode on while the first goes quiet and is unsteered.
    await processRecords(probes(SWEEPER, T0 + 20 * MIN, 4), deps, T0 + 20 * MIN);
    await reconcile(deps, T0 + 35 * MIN);
    expect(((await cloud.steering.readRules()).rules).flatMap((r) => r.cidrs)).toEqual([`${SWEEPER}/32`]);
    const back = await processRecords([rec(SCANNER, T0 + 35 * MIN, 80)], deps, T0 + 36 * MIN);
    expect(back.remembered).toEqual([]); // forgetOnNormal: not a remembered source, just a refresh
    expect(back.reconcile?.changes).toEqual([{ kind: "modify", id: expect.any(String), priority: 1000, cidrs: [`${SWEEPER}/32`, `${SCANNER}/32`] }]);
  });

  it("retries a lost source write: re-reads, re-feeds only this batch and gives up after 5 attempts", async () => {
    const { cloud, deps } = setup();
    let puts = 0;
    const store = storeWith(cloud.store, {
      putSource: async () => {
        puts++;
        throw new ConflictError("always behind");
      },
    });
    await expect(processRecords(probes(SCANNER, T0, 2), { ...deps, store }, T0 + 60)).rejects.toBeInstanceOf(ConflictError);
    expect(puts).toBe(5);
  });

  it("does not swallow other store errors", async () => {
    const { cloud, deps } = setup();
    const store = storeWith(cloud.store, { putSource: async () => Promise.reject(new Error("throttled")) });
    await expect(processRecords(probes(SCANNER, T0, 2), { ...deps, store }, T0 + 60)).rejects.toThrow("throttled");
  });

  it("with a warm detector, successes of a tracked source count in batches without a failure", async () => {
    const { deps } = setup();
    const detector = new ScanDetector(deps.config.detector);
    const warm = { ...deps, detector };
    await processRecords(probes(SCANNER, T0, 3), warm, T0 + 60);
    const oks = await processRecords([rec(SCANNER, T0 + 60, 443, "OK", "10.0.1.11"), rec(SCANNER, T0 + 61, 443, "OK", "10.0.1.12")], warm, T0 + 120);
    expect(oks.evaluatedSources).toBe(1);
    // Λ = 64 / 16 = 4: one more failure is no longer enough.
    const next = await processRecords(probes(SCANNER, T0 + 120, 1, 90), warm, T0 + 180);
    expect(next.detections).toEqual([]);
  });

  it("two batches racing on one source: the loser re-reads and re-feeds; one quarantine, the IP once in one rule", async () => {
    const { cloud, deps } = setup();
    await processRecords(probes(SCANNER, T0, 2, 20), deps, T0 + 60); // stored: 2 failures
    const paused = gate();
    const reached = gate();
    let first = true;
    const slowStore = storeWith(cloud.store, {
      getSources: async (srcs) => {
        const read = await cloud.store.getSources(srcs);
        if (first) {
          first = false;
          reached.open();
          await paused.wait; // both invocations have now read the same version
        }
        return read;
      },
    });
    const a = processRecords([rec(SCANNER, T0 + 60, 30)], { ...deps, store: slowStore, owner: "a" }, T0 + 120);
    await reached.wait;
    const b = await processRecords([rec(SCANNER, T0 + 61, 31)], { ...deps, owner: "b" }, T0 + 120);
    expect(b).toMatchObject({ detections: [], conflicts: 0 }); // 3 failures
    paused.open();
    const ra = await a;
    // a's write conflicted; re-read (3 failures, b's included) + its own record = the 4th.
    expect(ra).toMatchObject({ conflicts: 1, detections: [{ src: SCANNER, time: T0 + 60, probes: 4, failures: 4 }], enteredDefence: true });
    expect(await cloud.store.listQuarantines()).toEqual([{ src: SCANNER, detectedAt: T0 + 60, lastSeen: T0 + 120, reason: "trw", probes: 4 }]);
    expect((await cloud.steering.readRules()).rules).toEqual([{ id: expect.any(String), priority: 1000, cidrs: [`${SCANNER}/32`] }]);
  });

  it("two batches both deciding one source: one quarantine, one rule with the IP once", async () => {
    const { cloud, deps } = setup();
    await processRecords(probes(SCANNER, T0, 3, 20), deps, T0 + 60); // stored: 3 failures
    const paused = gate();
    const reached = gate();
    let first = true;
    const slowStore = storeWith(cloud.store, {
      getSources: async (srcs) => {
        const read = await cloud.store.getSources(srcs);
        if (first) {
          first = false;
          reached.open();
          await paused.wait;
        }
        return read;
      },
    });
    const a = processRecords([rec(SCANNER, T0 + 60, 30)], { ...deps, store: slowStore, owner: "a" }, T0 + 120);
    await reached.wait;
    const b = await processRecords([rec(SCANNER, T0 + 61, 31)], { ...deps, owner: "b" }, T0 + 120);
    expect(b).toMatchObject({ enteredDefence: true, detections: [{ src: SCANNER, time: T0 + 61 }] });
    paused.open();
    const ra = await a;
    // a decided on what it read too; its state write lost, the re-read state is flagged already.
    expect(ra).toMatchObject({ conflicts: 1, detections: [{ src: SCANNER, time: T0 + 60 }], enteredDefence: false });
    expect(ra.reconcile?.changes).toEqual([]);
    expect(await cloud.store.listQuarantines()).toEqual([{ src: SCANNER, detectedAt: T0 + 61, lastSeen: T0 + 120, reason: "trw", probes: 4 }]);
    expect(((await cloud.steering.readRules()).rules).flatMap((r) => r.cidrs)).toEqual([`${SCANNER}/32`]);
    expect(ruleChanges(cloud)).toHaveLength(1);
    expect(cloud.events.filter((e) => e.kind === "copies")).toHaveLength(1);
  });
});

describe("reconcile", () => {

  it("a second reconciler is skipped; the holder's next round picks up the IP written meanwhile", async () => {
    const s = setup();
    await defenceWith(s, [SCANNER]);
    const paused = gate();
    const reached = gate();
    let first = true;
    const slowSteering = steeringWith(s.cloud.steering, {
      apply: async (c) => {
        await s.cloud.steering.apply(c);
        if (first) {
          first = false;
          reached.open();
          await paused.wait;
        }
      },
    });
    const holder = reconcile({ ...s.deps, steering: slowSteering, owner: "holder" }, T0 + 10);
    await reached.wait;
    // Another invocation quarantines a second scanner; its own reconcile finds the lease taken.
    const other = await processRecords(probes(SWEEPER, T0 + 5, 4), { ...s.deps, owner: "other" }, T0 + 10);
    expect(other.reconcile).toEqual({ skipped: true, changes: [], steered: 0, evicted: [], capacity: 0, waiting: [], ruleQuotaReached: false });
    expect(s.logs.map((l) => l.event)).toContain("reconcile-skipped");
    paused.open();
    const r = await holder;
    expect(r.changes).toEqual([
      { kind: "create", priority: 1000, cidrs: [`${SCANNER}/32`] },
      { kind: "modify", id: expect.any(String), priority: 1000, cidrs: [`${SCANNER}/32`, `${SWEEPER}/32`] },
    ]);
    expect(r).toMatchObject({ skipped: false, steered: 2 });
    expect(s.cloud.store.leaseOwner).toBeUndefined();
  });

  it("releases the lease when applying fails", async () => {
    const s = setup();
    await defenceWith(s, [SCANNER]);
    const broken = steeringWith(s.cloud.steering, { apply: async () => Promise.reject(new Error("ELB throttled")) });
    await expect(reconcile({ ...s.deps, steering: broken }, T0 + 10)).rejects.toThrow("ELB throttled");
    expect(s.cloud.store.leaseOwner).toBeUndefined();
  });

  it("a priority taken between listing and creating: re-lists and creates at the next free one", async () => {
    const s = setup();
    await defenceWith(s, [SCANNER]);
    let raced = false;
    const racing = steeringWith(s.cloud.steering, {
      apply: async (c) => {
        if (!raced && c.kind === "create") {
          raced = true;
          s.cloud.steering.addOtherRule(c.priority); // a user's rule lands first
        }
        await s.cloud.steering.apply(c);
      },
    });
    const r = await reconcile({ ...s.deps, steering: racing }, T0 + 10);
    expect(r.changes).toEqual([{ kind: "create", priority: 1001, cidrs: [`${SCANNER}/32`] }]);
    expect(s.logs.map((l) => l.event)).toContain("rule-conflict");
    expect((await s.cloud.steering.readRules()).rules).toEqual([{ id: expect.any(String), priority: 1001, cidrs: [`${SCANNER}/32`] }]);
  });

  it("stops after 5 rounds when the rules keep moving under it, and says so", async () => {
    const s = setup();
    await defenceWith(s, [SCANNER]);
    let applied = 0;
    const deaf = steeringWith(s.cloud.steering, { apply: async () => void applied++ }); // changes never stick
    const r = await reconcile({ ...s.deps, steering: deaf }, T0 + 10);
    expect(applied).toBe(5);
    expect(r.changes).toHaveLength(5);
    expect(s.logs.find((l) => l.event === "reconcile-unsettled")?.fields).toEqual({ rounds: 5, changes: 5 });
    expect(s.cloud.store.leaseOwner).toBeUndefined();
  });

  it("quota full: the least recently seen are evicted, reported and logged", async () => {
    const s = setup({ steering: { ruleQuota: 1 } });
    const srcs = Array.from({ length: 7 }, (_, i) => `192.0.2.${i + 1}`); // .1 least recently seen
    await defenceWith(s, srcs);
    const r = await reconcile(s.deps, T0 + 10);
    expect(r).toEqual({
      skipped: false,
      changes: [{ kind: "create", priority: 1000, cidrs: ["192.0.2.7/32", "192.0.2.6/32", "192.0.2.5/32", "192.0.2.4/32", "192.0.2.3/32"] }],
      steered: 5,
      evicted: ["192.0.2.1", "192.0.2.2"],
      capacity: 1,
      waiting: [],
      ruleQuotaReached: false,
    });
    expect(s.logs.find((l) => l.event === "quarantine-evicted")?.fields).toEqual({ evicted: ["192.0.2.1", "192.0.2.2"], capacity: 1, steered: 5 });
    // An evicted source that comes back becomes the most recent and takes the oldest slot.
    const back = await processRecords([rec("192.0.2.1", T0 + 100, 80)], s.deps, T0 + 110);
    expect(back.reconcile?.evicted).toEqual(["192.0.2.2", "192.0.2.3"]);
    expect(((await s.cloud.steering.readRules()).rules)[0].cidrs).toContain("192.0.2.1/32");
  });
});

describe("tick", () => {
  it("stays in Defence while live; after the quiet period goes Normal: rules removed, then copies down, sources forgotten", async () => {
    const { cloud, deps } = setup();
    const detector = new ScanDetector(deps.config.detector);
    const warm = { ...deps, detector };
    await processRecords(probes(SCANNER, T0, 6), warm, T0 + 60); // lastSeen T0 + 60 (receipt)
    const eventsAfterScan = cloud.events.length;

    const during = await tick(warm, T0 + 60 + 30 * MIN - 1);
    expect(during).toEqual({
      mode: "defence",
      changed: false,
      forgotten: [],
      expired: [],
      kept: [],
      copies: 2,
      reconcile: { skipped: false, changes: [], steered: 1, evicted: [], capacity: 100, waiting: [], ruleQuotaReached: false },
    });
    expect(cloud.events.length).toBe(eventsAfterScan);

    const quiet = await tick(warm, T0 + 60 + 30 * MIN);
    expect(quiet).toMatchObject({ mode: "normal", changed: true, forgotten: [SCANNER], expired: [], copies: 0, reconcile: { changes: [{ kind: "delete", priority: 1000 }], steered: 0 } });
    expect(cloud.events.slice(eventsAfterScan).map((e) => e.kind)).toEqual(["mode", "rule", "copies"]);
    expect((await cloud.steering.readRules()).rules).toEqual([]);
    expect(await cloud.copies.getDesired()).toBe(0);
    expect(await cloud.store.listQuarantines()).toEqual([]);
    expect(cloud.store.sourceCount).toBe(0);
    expect(detector.has(SCANNER)).toBe(false);
    expect((await cloud.store.getMode()).value).toEqual({ mode: "normal", since: T0 + 60 + 30 * MIN, recentFlags: [] });

    // Forgotten: the same scanner is detected afresh.
    const again = await processRecords(probes(SCANNER, T0 + 40 * MIN, 4, 200), warm, T0 + 41 * MIN);
    expect(again.detections).toHaveLength(1);
  });

  it("is idempotent when nothing changed", async () => {
    const { cloud, deps } = setup();
    await tick(deps, T0);
    const r = await tick(deps, T0 + 60);
    expect(r).toEqual({
      mode: "normal",
      changed: false,
      forgotten: [],
      expired: [],
      kept: [],
      copies: 0,
      reconcile: { skipped: false, changes: [], steered: 0, evicted: [], capacity: 100, waiting: [], ruleQuotaReached: false },
    });
    expect(cloud.events).toEqual([]);
    expect((await cloud.store.getMode()).version).toBeUndefined(); // never written
  });

  it("keeps copies up while another reconciler holds the lease on the way to Normal", async () => {
    const { cloud, deps } = setup();
    await processRecords(probes(SCANNER, T0, 4), deps, T0 + 60);
    await cloud.store.acquireLease("someone-else", T0 + 31 * MIN, 60);
    const r = await tick(deps, T0 + 31 * MIN);
    expect(r).toMatchObject({ mode: "normal", changed: true, copies: 2, reconcile: { skipped: true } });
    expect(await cloud.copies.getDesired()).toBe(2);
    const next = await tick(deps, T0 + 33 * MIN); // lease expired
    expect(next).toMatchObject({ copies: 0, reconcile: { skipped: false, changes: [{ kind: "delete" }] } });
  });

  it("a batch that flags a source while the tick decides Normal wins: the tick re-reads and stays in Defence", async () => {
    const { cloud, deps } = setup();
    await processRecords(probes(SCANNER, T0, 4), deps, T0 + 60);
    const now = T0 + 31 * MIN; // SCANNER is quiet
    let raced = false;
    const racingStore = storeWith(cloud.store, {
      listQuarantines: async () => {
        const stale = await cloud.store.listQuarantines();
        if (!raced) {
          raced = true;
          // Between the tick's reads and its write, another invocation flags a new source.
          await processRecords(probes(SWEEPER, now - 60, 4), { ...deps, owner: "batch" }, now);
        }
        return stale;
      },
    });
    const r = await tick({ ...deps, store: racingStore }, now);
    expect(r).toMatchObject({ mode: "defence", changed: false, copies: 2 });
    expect((await cloud.store.getMode()).value.mode).toBe("defence");
    expect(((await cloud.steering.readRules()).rules).flatMap((x) => x.cidrs)).toEqual([`${SWEEPER}/32`]);
    expect(await cloud.copies.getDesired()).toBe(2);
  });

  it("remembered sources: kept at Normal, expire after rememberMinutes, and re-enter Defence at once when seen again", async () => {
    const { cloud, deps } = setup({ mode: { forgetOnNormal: false, rememberMinutes: 120, defenceAfterSources: 3 } });
    // Three scanners within the window: Defence.
    await processRecords([...probes(SCANNER, T0, 4), ...probes(SWEEPER, T0, 4), ...probes("192.0.2.77", T0, 4)], deps, T0 + 60);
    expect((await cloud.store.getMode()).value.mode).toBe("defence");
    const normal = await tick(deps, T0 + 60 + 30 * MIN);
    expect(normal).toMatchObject({ mode: "normal", changed: true, forgotten: [], expired: [], copies: 0 });
    expect(await cloud.store.listQuarantines()).toHaveLength(3);

    // One remembered source comes back with a single, successful request: Defence again, at once.
    const back = await processRecords([rec(SCANNER, T0 + 50 * MIN, 443, "OK")], deps, T0 + 51 * MIN);
    expect(back).toMatchObject({ remembered: [{ src: SCANNER, time: T0 + 50 * MIN }], detections: [], enteredDefence: true, refreshed: 1 });
    expect(back.reconcile?.changes).toEqual([{ kind: "create", priority: 1000, cidrs: [`${SCANNER}/32`] }]);
    expect(await cloud.copies.getDesired()).toBe(2);

    // The other two expire at lastSeen + 120 min (their lastSeen is the batch's receipt, T0 + 60).
    const kept = await tick(deps, T0 + 60 + 120 * MIN - 1);
    expect(kept.expired).toEqual([]);
    const gone = await tick(deps, T0 + 60 + 120 * MIN);
    expect(gone.expired).toEqual(["192.0.2.77", SWEEPER]);
    expect((await cloud.store.listQuarantines()).map((q) => q.src)).toEqual([SCANNER]);
  });
});

describe("other rules and the load balancer's limit", () => {
  it("a user's rule inside the band is never modified or deleted, and costs lure a rule", async () => {
    const s = setup({ steering: { ruleQuota: 2 } }); // band 1000-1001
    const userRule = s.cloud.steering.addOtherRule(1000, ["192.0.2.200/32"]);
    const srcs = Array.from({ length: 7 }, (_, i) => `192.0.2.${i + 1}`);
    await defenceWith(s, srcs);
    const r = await reconcile(s.deps, T0 + 10);
    expect(r).toMatchObject({ capacity: 1, steered: 5, evicted: ["192.0.2.1", "192.0.2.2"] });
    expect(r.changes).toEqual([{ kind: "create", priority: 1001, cidrs: ["192.0.2.7/32", "192.0.2.6/32", "192.0.2.5/32", "192.0.2.4/32", "192.0.2.3/32"] }]);

    // Back to Normal: lure removes its own rule only.
    const normal = await tick(s.deps, T0 + 6 + 30 * MIN);
    expect(normal).toMatchObject({ mode: "normal", changed: true, copies: 0, reconcile: { changes: [{ kind: "delete", priority: 1001 }] } });
    expect(s.cloud.steering.allRules).toEqual([{ id: userRule, priority: 1000, cidrs: ["192.0.2.200/32"], forwardTo: USER_TARGET_GROUP }]);
    expect(s.cloud.events.flatMap((e) => (e.kind === "rule" ? [e.id] : []))).not.toContain(userRule);
    // And it stays untouched tick after tick.
    expect((await tick(s.deps, T0 + 40 * MIN)).reconcile.changes).toEqual([]);
    expect(s.cloud.steering.allRules).toHaveLength(1);
  });

  it("an anchor rule outside the band, ruleQuota 100 and the ALB's 100: 99 rules, never a refused create", async () => {
    const s = setup({ otherPriorities: [1100] }); // just after the band 1000-1099
    await defenceWith(s, addresses(500));
    const r = await reconcile(s.deps, T0 + 10);
    expect(r).toMatchObject({ capacity: 99, steered: 495, ruleQuotaReached: false });
    expect(r.evicted).toEqual(addresses(5)); // least recently seen
    expect(r.changes).toHaveLength(99);
    expect(s.cloud.steering.size).toBe(99);
    expect(s.cloud.steering.allRules).toHaveLength(100);
    expect(s.logs.map((l) => l.event)).not.toContain("rule-quota-reached");
  });

  it("the ALB refuses a create (RuleQuotaError): the batch does not fail; lure keeps its rules and evicts the rest", async () => {
    // The config says 100, the load balancer takes 2 (a quota lowered, rules the config does not know).
    const s = setup({ albRuleLimit: 2 });
    const srcs = addresses(11); // last seen T0 … T0 + 10
    await defenceWith(s, srcs);
    const report = await processRecords(probes(SCANNER, T0 + 10, 4), s.deps, T0 + 20);
    expect(report.detections).toHaveLength(1);
    expect(report.reconcile).toEqual({
      skipped: false,
      changes: [
        { kind: "create", priority: 1000, cidrs: [SCANNER, srcs[10], srcs[9], srcs[8], srcs[7]].map((x) => `${x}/32`) },
        { kind: "create", priority: 1001, cidrs: [srcs[6], srcs[5], srcs[4], srcs[3], srcs[2]].map((x) => `${x}/32`) },
      ],
      steered: 10,
      evicted: [srcs[0], srcs[1]],
      capacity: 2,
      waiting: [],
      ruleQuotaReached: true,
    });
    expect(s.logs.find((l) => l.event === "rule-quota-reached")?.fields).toMatchObject({ round: 1, rules: 0, otherRules: 0, message: expect.stringContaining("accepts 2") });
    expect(s.logs.find((l) => l.event === "quarantine-evicted")?.fields).toEqual({ evicted: [srcs[0], srcs[1]], capacity: 2, steered: 10 });
    expect(s.cloud.store.leaseOwner).toBeUndefined();
    // The next tick meets the same wall and settles the same way.
    const next = await tick(s.deps, T0 + 60);
    expect(next.reconcile).toMatchObject({ ruleQuotaReached: true, changes: [], evicted: [srcs[0], srcs[1]] });
    expect(s.cloud.steering.size).toBe(2);
  });
});

describe("rules wait for healthy copies", () => {
  it("no rule while the copies start; the tick after they are healthy creates it", async () => {
    const { cloud, deps, logs, clock } = setup({ copyStartSeconds: 60 });
    clock.now = T0 + 60; // the cloud's clock is the engine's here: copies start when asked for
    const report = await processRecords(probes(SCANNER, T0, 4), deps, clock.now);
    expect(report).toMatchObject({ enteredDefence: true, reconcile: { changes: [], steered: 0, waiting: [SCANNER], evicted: [] } });
    expect(await cloud.copies.getDesired()).toBe(2);
    expect((await cloud.steering.readRules()).rules).toEqual([]);
    expect(logs.find((l) => l.event === "copies-not-ready")?.fields).toEqual({ waiting: [SCANNER], steered: 0 });

    clock.now = T0 + 119;
    expect((await tick(deps, clock.now)).reconcile).toMatchObject({ changes: [], waiting: [SCANNER] });
    expect(ruleChanges(cloud)).toEqual([]);
    clock.now = T0 + 120; // 60 s after the copies were asked for
    const ready = await tick(deps, clock.now);
    expect(ready.reconcile).toMatchObject({ changes: [{ kind: "create", priority: 1000, cidrs: [`${SCANNER}/32`] }], steered: 1, waiting: [] });
    expect(cloud.events.filter((e) => e.kind === "rule").map((e) => e.at)).toEqual([T0 + 120]);
  });

  it("asks for healthy targets only when a source is to be added; removals go ahead without a healthy copy", async () => {
    const s = setup();
    await defenceWith(s, ["192.0.2.1", "192.0.2.2"]); // last seen T0, T0 + 1
    await reconcile(s.deps, T0 + 10);
    let asked = 0;
    const noneHealthy = steeringWith(s.cloud.steering, { healthyTargets: async () => (asked++, 0) });
    const deps = { ...s.deps, steering: noneHealthy };
    expect((await reconcile(deps, T0 + 20)).changes).toEqual([]);
    expect(asked).toBe(0);

    // .1 goes quiet, .3 is new: .1 is removed, .3 waits.
    await s.cloud.store.upsertQuarantine({ src: "192.0.2.3", detectedAt: T0 + 25 * MIN, lastSeen: T0 + 25 * MIN, reason: "trw", probes: 4 }, T0 + 10_000);
    const r = await reconcile(deps, T0 + 30 * MIN);
    expect(r).toMatchObject({ changes: [{ kind: "modify", priority: 1000, cidrs: ["192.0.2.2/32"] }], steered: 1, waiting: ["192.0.2.3"] });
    expect(asked).toBe(1);
  });
});

describe("the tick and the batches", () => {
  it("a batch that brings Defence back while the tick removes the rules keeps the copies up", async () => {
    const { cloud, deps, logs } = setup();
    await processRecords(probes(SCANNER, T0, 4), deps, T0 + 60);
    const now = T0 + 60 + 30 * MIN; // SCANNER is quiet
    let raced = false;
    const racingStore = storeWith(cloud.store, {
      releaseLease: async (o) => {
        await cloud.store.releaseLease(o);
        if (raced) return;
        raced = true;
        // After the tick's reconcile removed the rules, before it lowers the copies: a new scanner.
        const batch = await processRecords(probes(SWEEPER, now - 30, 4), { ...deps, owner: "batch" }, now);
        expect(batch).toMatchObject({ enteredDefence: true, reconcile: { changes: [{ kind: "create" }] } });
      },
    });
    const r = await tick({ ...deps, store: racingStore }, now);
    expect(raced).toBe(true);
    expect(r).toMatchObject({ mode: "normal", changed: true, copies: 2, reconcile: { changes: [{ kind: "delete" }] } });
    expect(await cloud.copies.getDesired()).toBe(2);
    expect(cloud.events.filter((e) => e.kind === "copies")).toEqual([{ at: T0, kind: "copies", from: 0, to: 2 }]);
    expect(((await cloud.steering.readRules()).rules).flatMap((x) => x.cidrs)).toEqual([`${SWEEPER}/32`]);
    expect(logs.find((l) => l.event === "copies-kept")?.fields).toEqual({ mode: "defence", rules: undefined });
  });

  it("a batch refreshing a source while the tick forgets it: the source and its detector state are kept", async () => {
    const { cloud, deps, logs } = setup({ mode: { quietPeriodMinutes: 5 } });
    const detector = new ScanDetector(deps.config.detector);
    const warm = { ...deps, detector };
    await processRecords(probes(SCANNER, T0, 4), warm, T0 + 60);
    const now = T0 + 60 + 5 * MIN; // quiet
    let raced = false;
    const racingStore = storeWith(cloud.store, {
      listQuarantines: async () => {
        const stale = await cloud.store.listQuarantines();
        if (!raced) {
          raced = true;
          await processRecords([rec(SCANNER, now - 40, 81)], { ...warm, owner: "batch" }, now);
        }
        return stale;
      },
    });
    const r = await tick({ ...warm, store: racingStore }, now);
    expect(r).toMatchObject({ mode: "normal", forgotten: [], kept: [SCANNER] });
    expect(await cloud.store.listQuarantines()).toEqual([{ src: SCANNER, detectedAt: T0 + 3, lastSeen: now, reason: "trw", probes: 4 }]);
    expect(cloud.store.sourceCount).toBe(1);
    expect(detector.has(SCANNER)).toBe(true);
    expect(logs.find((l) => l.event === "quarantine-kept")?.fields).toEqual({ kept: [SCANNER] });
    // Judged again on the next tick: live, so Defence comes back and it is steered.
    const next = await tick(warm, now + 60);
    expect(next).toMatchObject({ mode: "defence", changed: true, forgotten: [], kept: [], copies: 2 });
    expect(((await cloud.steering.readRules()).rules).flatMap((x) => x.cidrs)).toEqual([`${SCANNER}/32`]);
  });
});

describe("liveness on receipt time", () => {
  it("records delivered 20 minutes late, with a 5-minute quiet period, still steer and keep Defence on", async () => {
    const { cloud, deps } = setup({ mode: { quietPeriodMinutes: 5 } });
    const first = await processRecords(probes(SCANNER, T0, 4), deps, T0 + 20 * MIN);
    expect(first).toMatchObject({ enteredDefence: true, reconcile: { changes: [{ kind: "create", cidrs: [`${SCANNER}/32`] }], steered: 1 } });
    expect((await tick(deps, T0 + 24 * MIN)).mode).toBe("defence");
    // More of its records, as late: still active.
    const late = await processRecords([rec(SCANNER, T0 + 10 * MIN, 90)], deps, T0 + 24 * MIN);
    expect(late.refreshed).toBe(1);
    expect(await tick(deps, T0 + 29 * MIN - 1)).toMatchObject({ mode: "defence", changed: false });
    expect((await cloud.steering.readRules()).rules).toHaveLength(1);
    expect(await tick(deps, T0 + 29 * MIN)).toMatchObject({ mode: "normal", changed: true, forgotten: [SCANNER] });
  });

  it("a remembered source is judged on receipt time too", async () => {
    const { deps } = setup({ mode: { forgetOnNormal: false, quietPeriodMinutes: 5 } });
    await processRecords(probes(SCANNER, T0, 4), deps, T0 + 20 * MIN);
    await tick(deps, T0 + 25 * MIN); // Normal; remembered
    // Its event time is before its last receipt, but it is received after the quiet period: remembered.
    const back = await processRecords([rec(SCANNER, T0 + 19 * MIN, 443, "OK")], deps, T0 + 26 * MIN);
    expect(back).toMatchObject({ remembered: [{ src: SCANNER, time: T0 + 19 * MIN }], enteredDefence: true });
  });
});

describe("forgetOnNormal: only live quarantines are kept", () => {
  it("the item expires a margin after the quiet period, not after the memory", async () => {
    const forget = setup();
    expect(quarantineExpiry(T0, forget.config.mode)).toBe(T0 + 30 * MIN + FORGET_MARGIN_SECONDS);
    expect(FORGET_MARGIN_SECONDS).toBe(600);
    await processRecords(probes(SCANNER, T0, 4), forget.deps, T0 + 60);
    forget.clock.now = T0 + 60 + 40 * MIN - 1;
    expect(await forget.cloud.store.listQuarantines()).toHaveLength(1);
    forget.clock.now = T0 + 60 + 40 * MIN;
    expect(await forget.cloud.store.listQuarantines()).toEqual([]);

    const remember = setup({ mode: { forgetOnNormal: false } });
    expect(quarantineExpiry(T0, remember.config.mode)).toBe(T0 + 120 * MIN + 30 * MIN);
    await processRecords(probes(SCANNER, T0, 4), remember.deps, T0 + 60);
    remember.clock.now = T0 + 60 + 150 * MIN - 1;
    expect(await remember.cloud.store.listQuarantines()).toHaveLength(1);
  });

  it("in Defence Mode the tick forgets quiet quarantines (and their state) while live ones keep Defence on", async () => {
    const { cloud, deps } = setup();
    await processRecords(probes(SCANNER, T0, 4), deps, T0 + 60);
    await processRecords(probes(SWEEPER, T0 + 20 * MIN, 4), deps, T0 + 20 * MIN);
    const r = await tick(deps, T0 + 60 + 30 * MIN);
    expect(r).toMatchObject({ mode: "defence", changed: false, forgotten: [SCANNER], kept: [], copies: 2, reconcile: { steered: 1 } });
    expect((await cloud.store.listQuarantines()).map((q) => q.src)).toEqual([SWEEPER]);
    expect((await cloud.store.getSources([SCANNER])).size).toBe(0);
    expect(((await cloud.steering.readRules()).rules).flatMap((x) => x.cidrs)).toEqual([`${SWEEPER}/32`]);
  });

  it("without forgetOnNormal a quiet quarantine stays remembered through Defence Mode", async () => {
    const { cloud, deps } = setup({ mode: { forgetOnNormal: false } });
    await processRecords(probes(SCANNER, T0, 4), deps, T0 + 60);
    await processRecords(probes(SWEEPER, T0 + 20 * MIN, 4), deps, T0 + 20 * MIN);
    const r = await tick(deps, T0 + 60 + 30 * MIN);
    expect(r).toMatchObject({ mode: "defence", forgotten: [], expired: [] });
    expect((await cloud.store.listQuarantines()).map((q) => q.src).sort()).toEqual([SWEEPER, SCANNER].sort());
    // Seen again in Defence: remembered, steered at once.
    const back = await processRecords([rec(SCANNER, T0 + 35 * MIN, 80)], deps, T0 + 36 * MIN);
    expect(back).toMatchObject({ remembered: [{ src: SCANNER }], enteredDefence: false });
    expect(((await cloud.steering.readRules()).rules).flatMap((x) => x.cidrs).sort()).toEqual([`${SWEEPER}/32`, `${SCANNER}/32`].sort());
  });
});

describe("the memory cloud is as strict as DynamoDB and ELBv2", () => {
  it("conditional writes: a stale version conflicts, a fresh one wins", async () => {
    const { cloud } = setup();
    await cloud.store.putSource(SCANNER, { lastSeen: T0 }, undefined, T0 + 1800);
    const read = (await cloud.store.getSources([SCANNER])).get(SCANNER)!;
    await expect(cloud.store.putSource(SCANNER, { lastSeen: T0 }, undefined, T0 + 1800)).rejects.toBeInstanceOf(ConflictError);
    await cloud.store.putSource(SCANNER, { lastSeen: T0 + 1 }, read.version, T0 + 1800);
    await expect(cloud.store.putSource(SCANNER, { lastSeen: T0 + 2 }, read.version, T0 + 1800)).rejects.toBeInstanceOf(ConflictError);
    const mode = await cloud.store.getMode();
    expect(mode).toEqual({ value: { mode: "normal", since: 0, recentFlags: [] }, version: undefined });
    await cloud.store.putMode({ mode: "defence", since: T0, recentFlags: [] }, undefined);
    await expect(cloud.store.putMode({ mode: "normal", since: T0, recentFlags: [] }, undefined)).rejects.toBeInstanceOf(ConflictError);
  });

  it("items past their TTL are gone; quarantines keep the first detection and the latest sighting", async () => {
    const { cloud, clock } = setup();
    await cloud.store.putSource(SCANNER, { lastSeen: T0 }, undefined, T0 + 10);
    await cloud.store.upsertQuarantine({ src: SWEEPER, detectedAt: T0, lastSeen: T0 + 5, reason: "horizontal", probes: 25 }, T0 + 100);
    await cloud.store.upsertQuarantine({ src: SWEEPER, detectedAt: T0 + 50, lastSeen: T0 + 3, reason: "remembered", probes: 0 }, T0 + 50);
    expect(await cloud.store.listQuarantines()).toEqual([{ src: SWEEPER, detectedAt: T0, lastSeen: T0 + 5, reason: "horizontal", probes: 25 }]);
    clock.now = T0 + 10;
    expect((await cloud.store.getSources([SCANNER])).size).toBe(0);
    clock.now = T0 + 100;
    expect(await cloud.store.listQuarantines()).toEqual([]);
  });

  it("the lease: exclusive until released or expired; releasing someone else's does nothing", async () => {
    const { cloud } = setup();
    expect(await cloud.store.acquireLease("a", T0, 60)).toBe(true);
    expect(await cloud.store.acquireLease("b", T0 + 59, 60)).toBe(false);
    await cloud.store.releaseLease("b");
    expect(cloud.store.leaseOwner).toBe("a");
    expect(await cloud.store.acquireLease("b", T0 + 60, 60)).toBe(true);
    await cloud.store.releaseLease("a");
    expect(cloud.store.leaseOwner).toBe("b");
  });

  it("rules: taken priority → ConflictError; the ALB's total → RuleQuotaError; lure's limits and unknown rules → errors", async () => {
    const { cloud } = setup({ steering: { ruleQuota: 2 } });
    const cidrs = (n: number) => Array.from({ length: n }, (_, i) => `192.0.2.${i + 1}/32`);
    await cloud.steering.apply({ kind: "create", priority: 1000, cidrs: cidrs(5) });
    await expect(cloud.steering.apply({ kind: "create", priority: 1000, cidrs: cidrs(1) })).rejects.toBeInstanceOf(ConflictError);
    await expect(cloud.steering.apply({ kind: "create", priority: 1001, cidrs: cidrs(6) })).rejects.toThrow("6 CIDRs, at most 5");
    await expect(cloud.steering.apply({ kind: "create", priority: 1001, cidrs: [] })).rejects.toThrow("at least one CIDR");
    await expect(cloud.steering.apply({ kind: "create", priority: 1002, cidrs: cidrs(1) })).rejects.toThrow("outside lure's band");
    await expect(cloud.steering.apply({ kind: "create", priority: 1001, cidrs: ["192.0.2.1"] })).rejects.toThrow("not a single-address CIDR");
    await cloud.steering.apply({ kind: "create", priority: 1001, cidrs: cidrs(1) });
    const [first] = (await cloud.steering.readRules()).rules;
    await expect(cloud.steering.apply({ kind: "modify", id: first.id, priority: 1001, cidrs: cidrs(2) })).rejects.toThrow("the rule has 1000");
    await expect(cloud.steering.apply({ kind: "delete", id: "arn:nope", priority: 1000 })).rejects.toThrow("no such rule");
    const strict = createMemoryCloud({ steering: STEERING, otherPriorities: [1, 2, 3], albRuleLimit: 4, clock: () => T0 });
    await strict.steering.apply({ kind: "create", priority: 1000, cidrs: cidrs(1) });
    const full = strict.steering.apply({ kind: "create", priority: 1001, cidrs: cidrs(1) });
    await expect(full).rejects.toBeInstanceOf(RuleQuotaError);
    await expect(full).rejects.toMatchObject({ name: "RuleQuotaError", message: expect.stringContaining("the load balancer accepts 4") });
    await expect(cloud.copies.setDesired(-1)).rejects.toThrow("whole number");
  });

  it("rules: only lure's are listed (in the band, to the copies); others are reported and cannot be changed", async () => {
    const { cloud } = setup({ steering: { ruleQuota: 3 }, otherPriorities: [5, 1002] });
    const inBand = cloud.steering.addOtherRule(1001, ["192.0.2.9/32"], "user-api");
    await cloud.steering.apply({ kind: "create", priority: 1000, cidrs: ["192.0.2.1/32"] });
    expect(((await cloud.steering.readRules()).rules).map((r) => r.priority)).toEqual([1000]);
    expect((await cloud.steering.readRules()).otherPriorities).toEqual([5, 1001, 1002]);
    await expect(cloud.steering.apply({ kind: "delete", id: inBand, priority: 1001 })).rejects.toThrow("not lure's rule");
    await expect(cloud.steering.apply({ kind: "modify", id: inBand, priority: 1001, cidrs: ["192.0.2.2/32"] })).rejects.toThrow("not lure's rule");
    await expect(cloud.steering.apply({ kind: "create", priority: 1001, cidrs: ["192.0.2.2/32"] })).rejects.toBeInstanceOf(ConflictError);
  });

  it("a conditional quarantine delete: refused when lastSeen moved, done when it matches or the item is gone", async () => {
    const { cloud } = setup();
    await cloud.store.upsertQuarantine({ src: SCANNER, detectedAt: T0, lastSeen: T0 + 5, reason: "trw", probes: 4 }, T0 + 10_000);
    expect(await cloud.store.deleteQuarantine(SCANNER, T0 + 4)).toBe(false);
    expect(await cloud.store.listQuarantines()).toHaveLength(1);
    expect(await cloud.store.deleteQuarantine(SCANNER, T0 + 5)).toBe(true);
    expect(await cloud.store.listQuarantines()).toEqual([]);
    expect(await cloud.store.deleteQuarantine(SCANNER, T0 + 5)).toBe(true);
    await cloud.store.upsertQuarantine({ src: SWEEPER, detectedAt: T0, lastSeen: T0, reason: "trw", probes: 4 }, T0 + 10_000);
    expect(await cloud.store.deleteQuarantine(SWEEPER)).toBe(true); // unconditional
  });

  it("copies are healthy copyStartSeconds after they are asked for; initial ones at once; scale-in drops the newest", async () => {
    const clock = { now: T0 };
    const cloud = createMemoryCloud({ steering: STEERING, clock: () => clock.now, initialCopies: 1 });
    expect(await cloud.steering.healthyTargets()).toBe(1);
    await cloud.copies.setDesired(3);
    clock.now = T0 + 59;
    expect(await cloud.steering.healthyTargets()).toBe(1);
    clock.now = T0 + 60; // the default 60 s
    expect(await cloud.steering.healthyTargets()).toBe(3);
    await cloud.copies.setDesired(4);
    await cloud.copies.setDesired(2);
    expect(await cloud.steering.healthyTargets()).toBe(2);
    await cloud.copies.setDesired(0);
    expect(await cloud.steering.healthyTargets()).toBe(0);
  });
});
