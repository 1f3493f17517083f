/**
 * The Firestore store against an in-memory Firestore with optimistic transactions: conditional
 * writes, merges, expiry on read (TTL lags), the lease, and races where concurrent invocations write
 * one document and nothing is lost.
 */
import { processRecords } from "../../../../functions/core/quarantine";
import { ConflictError, type FlowRecord } from "../../../../functions/core/quarantine-types";
import { firestoreQuarantineStore, INITIAL_MODE } from "../../../../functions/gcp/quarantine/firestore-store";
import { CONFIG, fakeFirestore, FakeTimestamp, googleError } from "./fakes";

const NOW = 1_800_000_000;

function setup(now = () => NOW) {
  const fs = fakeFirestore();
  const logged: { event: string; fields: Readonly<Record<string, unknown>> }[] = [];
  const store = firestoreQuarantineStore(fs.db, { now, sleep: async () => undefined, log: (event, fields) => logged.push({ event, fields }) });
  return { fs, store, logged };
}

const q = (src: string, lastSeen: number, over: Partial<{ detectedAt: number; reason: "trw" | "agent"; probes: number }> = {}) => ({
  src,
  detectedAt: over.detectedAt ?? lastSeen - 10,
  lastSeen,
  reason: over.reason ?? ("trw" as const),
  probes: over.probes ?? 5,
});

describe("sources", () => {
  it("writes conditionally on the version: undefined must not exist, then the version read", async () => {
    const { fs, store } = setup();
    await store.putSource("203.0.113.1", { lastSeen: NOW, t: [[1, 2]] }, undefined, NOW + 60);
    await expect(store.putSource("203.0.113.1", { lastSeen: NOW }, undefined, NOW + 60)).rejects.toThrow(ConflictError);
    const [read] = [...(await store.getSources(["203.0.113.1", "203.0.113.2"])).entries()];
    expect(read[0]).toBe("203.0.113.1");
    expect(read[1].value).toEqual({ lastSeen: NOW, t: [[1, 2]] });
    await expect(store.putSource("203.0.113.1", { lastSeen: NOW + 1 }, read[1].version! + 1, NOW + 60)).rejects.toThrow(/version .*expected/);
    await store.putSource("203.0.113.1", { lastSeen: NOW + 1 }, read[1].version, NOW + 60);
    const after = (await store.getSources(["203.0.113.1"])).get("203.0.113.1")!;
    expect(after.value.lastSeen).toBe(NOW + 1);
    expect(after.version).toBeGreaterThan(read[1].version!);
    // The detector state is JSON text (Firestore refuses arrays of arrays); expireAt is a Timestamp.
    const doc = fs.data("sources/203.0.113.1")!;
    expect(typeof doc.state).toBe("string");
    expect(doc.expireAt).toBeInstanceOf(FakeTimestamp);
    expect((doc.expireAt as FakeTimestamp).toMillis()).toBe((NOW + 60) * 1000);
  });

  it("an expired document reads as absent and is overwritten as absent, with a new version above the old", async () => {
    let now = NOW;
    const { fs, store } = setup(() => now);
    await store.putSource("203.0.113.1", { lastSeen: NOW }, undefined, NOW + 60);
    const old = (await store.getSources(["203.0.113.1"])).get("203.0.113.1")!.version!;
    now = NOW + 61;
    expect((await store.getSources(["203.0.113.1"])).size).toBe(0);
    await expect(store.putSource("203.0.113.1", { lastSeen: now }, old, now + 60)).rejects.toThrow(ConflictError);
    await store.putSource("203.0.113.1", { lastSeen: now }, undefined, now + 60);
    expect((await store.getSources(["203.0.113.1"])).get("203.0.113.1")!.version).toBeGreaterThan(old);
    expect(fs.docs.size).toBe(1);
  });

  it("a malformed document reads as absent and is logged", async () => {
    const { fs, store, logged } = setup();
    fs.put("sources/203.0.113.1", { state: "{not json", version: 3 });
    expect((await store.getSources(["203.0.113.1"])).size).toBe(0);
    expect(logged).toEqual([{ event: "firestore-document-unreadable", fields: { collection: "sources", id: "203.0.113.1" } }]);
  });

  it("deletes", async () => {
    const { fs, store } = setup();
    await store.putSource("2001:db8::1", { lastSeen: NOW }, undefined, NOW + 60);
    await store.deleteSource("2001:db8::1");
    await store.deleteSource("2001:db8::1");
    expect(fs.docs.size).toBe(0);
  });

  it("two invocations updating one source at once: one conflicts (nothing overwritten), and the engine keeps both batches", async () => {
    const { fs, store } = setup();
    // Two concurrent conditional writes on the same version: exactly one lands.
    await store.putSource("203.0.113.1", { lastSeen: NOW, n: 0 }, undefined, NOW + 60);
    const v = (await store.getSources(["203.0.113.1"])).get("203.0.113.1")!.version;
    const results = await Promise.allSettled([store.putSource("203.0.113.1", { lastSeen: NOW, n: 1 }, v, NOW + 60), store.putSource("203.0.113.1", { lastSeen: NOW, n: 2 }, v, NOW + 60)]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect(fs.stats.aborts).toBeGreaterThan(0);

    // Two batches of the same scanner processed concurrently, each with half the probes: the
    // detector state is what feeding both batches one after the other gives (the loser re-reads and
    // feeds its records on top), whichever went first.
    const rec = (port: number): FlowRecord => ({ time: NOW - 100 + port, src: "198.51.100.7", dst: "demo.example.com", dport: port, proto: 6, outcome: "FAIL" });
    const a = [1, 2, 3].map(rec);
    const b = [4, 5, 6].map(rec);
    const stateAfter = async (run: (deps: Parameters<typeof processRecords>[1]) => Promise<unknown>): Promise<string> => {
      const fresh = setup();
      const deps = { store: fresh.store, steering: unreachableSteering, copies: { setDesired: async () => undefined, getDesired: async () => 0 }, config: CONFIG, owner: "a", reconcileOnBatch: false };
      await run(deps);
      return JSON.stringify((await fresh.store.getSources(["198.51.100.7"])).get("198.51.100.7")?.value);
    };
    let conflicts = 0;
    const concurrent = await stateAfter(async (deps) => {
      const reports = await Promise.all([processRecords(a, deps, NOW), processRecords(b, { ...deps, owner: "b" }, NOW)]);
      conflicts = reports.reduce((n, r) => n + r.conflicts, 0);
    });
    expect(conflicts).toBeGreaterThan(0);
    const aThenB = await stateAfter(async (deps) => {
      await processRecords(a, deps, NOW);
      await processRecords(b, deps, NOW);
    });
    const bThenA = await stateAfter(async (deps) => {
      await processRecords(b, deps, NOW);
      await processRecords(a, deps, NOW);
    });
    expect([aThenB, bThenA]).toContain(concurrent);
    expect(concurrent).not.toBe(await stateAfter((deps) => processRecords(a, deps, NOW)));
  });
});

const unreachableSteering = {
  readRules: () => Promise.reject(new Error("steering called")),
  healthyTargets: () => Promise.reject(new Error("steering called")),
  apply: () => Promise.reject(new Error("steering called")),
};

describe("quarantines", () => {
  it("merges: the later lastSeen wins, the first detection's detectedAt, reason and probes stay", async () => {
    const { store } = setup();
    await store.upsertQuarantine(q("203.0.113.1", NOW - 50, { detectedAt: NOW - 60, probes: 7 }), NOW + 600);
    await store.upsertQuarantine(q("203.0.113.1", NOW, { detectedAt: NOW - 5, reason: "agent", probes: 1 }), NOW + 900);
    await store.upsertQuarantine(q("203.0.113.1", NOW - 20), NOW + 100);
    expect(await store.listQuarantines()).toEqual([{ src: "203.0.113.1", detectedAt: NOW - 60, lastSeen: NOW, reason: "trw", probes: 7 }]);
  });

  it("concurrent upserts of one source lose nothing, and of many sources keep all", async () => {
    const { fs, store } = setup();
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.upsertQuarantine(q("203.0.113.1", NOW + i), NOW + 600 + i)));
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.upsertQuarantine(q(`203.0.113.${10 + i}`, NOW), NOW + 600)));
    const all = await store.listQuarantines();
    expect(all).toHaveLength(9);
    expect(all.find((x) => x.src === "203.0.113.1")!.lastSeen).toBe(NOW + 7);
    expect(fs.stats.aborts).toBeGreaterThan(0);
  });

  it("lists only live quarantines (TTL deletes lag)", async () => {
    const { fs, store } = setup();
    await store.upsertQuarantine(q("203.0.113.1", NOW), NOW - 1);
    await store.upsertQuarantine(q("203.0.113.2", NOW), NOW + 1);
    fs.put("quarantines/203.0.113.3", { src: "203.0.113.3" });
    expect((await store.listQuarantines()).map((x) => x.src)).toEqual(["203.0.113.2"]);
    // An expired one is replaced by a re-detection, not merged into.
    await store.upsertQuarantine(q("203.0.113.1", NOW, { detectedAt: NOW - 1, reason: "agent", probes: 1 }), NOW + 60);
    expect((await store.listQuarantines()).find((x) => x.src === "203.0.113.1")).toMatchObject({ detectedAt: NOW - 1, reason: "agent" });
  });

  it("deletes only the quarantine judged: a refresh in between keeps it", async () => {
    const { fs, store } = setup();
    await store.upsertQuarantine(q("203.0.113.1", NOW - 100), NOW + 600);
    expect(await store.deleteQuarantine("203.0.113.1", NOW - 99)).toBe(false);
    expect(await store.listQuarantines()).toHaveLength(1);
    // A refresh committed between the delete's read and its commit: the delete re-runs and answers false.
    fs.hooks.beforeCommit = (attempt) => {
      if (attempt === 1) fs.put("quarantines/203.0.113.1", { ...fs.data("quarantines/203.0.113.1"), lastSeen: NOW });
    };
    expect(await store.deleteQuarantine("203.0.113.1", NOW - 100)).toBe(false);
    fs.hooks.beforeCommit = undefined;
    expect(await store.deleteQuarantine("203.0.113.1", NOW)).toBe(true);
    expect(await store.deleteQuarantine("203.0.113.1", NOW)).toBe(true);
    await store.upsertQuarantine(q("203.0.113.2", NOW), NOW + 600);
    expect(await store.deleteQuarantine("203.0.113.2")).toBe(true);
    expect(fs.docs.size).toBe(0);
  });
});

describe("proofs", () => {
  it("merge: the earlier first, the later last (and its expiry)", async () => {
    const { store } = setup();
    await store.putProofs([{ src: "203.0.113.1", proof: { first: NOW - 100, last: NOW - 50 }, expiresAt: NOW + 100 }]);
    await Promise.all([
      store.putProofs([{ src: "203.0.113.1", proof: { first: NOW - 200, last: NOW - 60 }, expiresAt: NOW + 50 }]),
      store.putProofs([{ src: "203.0.113.1", proof: { first: NOW - 10, last: NOW }, expiresAt: NOW + 300 }, { src: "203.0.113.2", proof: { first: NOW, last: NOW }, expiresAt: NOW + 300 }]),
    ]);
    const proofs = await store.getProofs(["203.0.113.1", "203.0.113.2", "203.0.113.3"]);
    expect(Object.fromEntries(proofs)).toEqual({ "203.0.113.1": { first: NOW - 200, last: NOW }, "203.0.113.2": { first: NOW, last: NOW } });
  });
});

describe("mode", () => {
  it("starts Normal without a version, then writes conditionally", async () => {
    const { store } = setup();
    expect(await store.getMode()).toEqual({ value: INITIAL_MODE, version: undefined });
    await store.putMode({ mode: "defence", since: NOW, recentFlags: [NOW] }, undefined);
    const m = await store.getMode();
    expect(m.value).toEqual({ mode: "defence", since: NOW, recentFlags: [NOW] });
    await expect(store.putMode({ mode: "normal", since: NOW, recentFlags: [] }, undefined)).rejects.toThrow(ConflictError);
    await store.putMode({ mode: "normal", since: NOW + 1, recentFlags: [] }, m.version);
    expect((await store.getMode()).value.mode).toBe("normal");
  });

  it("a transaction that keeps aborting is a ConflictError for a conditional put, an error for a merge", async () => {
    const { fs, store } = setup();
    let n = 0;
    fs.hooks.beforeCommit = () => fs.put("control/mode", { mode: "normal", since: ++n, recentFlags: [], version: n });
    await expect(store.putMode({ mode: "defence", since: NOW, recentFlags: [] }, undefined)).rejects.toThrow(ConflictError);
    fs.hooks.beforeCommit = () => fs.put("quarantines/203.0.113.1", { ...q("203.0.113.1", NOW + ++n) });
    await expect(store.upsertQuarantine(q("203.0.113.1", NOW), NOW + 60)).rejects.toThrow(/FirestoreStoreError|ABORTED/);
  });

  it("other SDK failures are FirestoreStoreErrors with what was being done", async () => {
    const { fs, store } = setup();
    fs.failNext(googleError(7, "7 PERMISSION_DENIED: Missing or insufficient permissions."));
    await expect(store.getMode()).rejects.toThrow(/Firestore read of the mode failed \(code 7\)/);
  });
});

describe("lease", () => {
  it("one holder at a time until it expires or is released; the owner may renew", async () => {
    const { store } = setup();
    expect(await store.acquireLease("a", NOW, 300)).toBe(true);
    expect(await store.acquireLease("b", NOW + 10, 300)).toBe(false);
    expect(await store.acquireLease("a", NOW + 10, 300)).toBe(true);
    expect(await store.acquireLease("b", NOW + 311, 300)).toBe(true);
    await store.releaseLease("a");
    expect(await store.acquireLease("a", NOW + 312, 300)).toBe(false);
    await store.releaseLease("b");
    expect(await store.acquireLease("a", NOW + 312, 300)).toBe(true);
  });

  it("two acquiring at once: exactly one gets it", async () => {
    const { store } = setup();
    const got = await Promise.all(["a", "b", "c"].map((o) => store.acquireLease(o, NOW, 300)));
    expect(got.filter(Boolean)).toHaveLength(1);
  });
});
