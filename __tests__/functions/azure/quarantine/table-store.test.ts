/**
 * The Table storage store on a stateful table fake: versioned writes on ETags, expiry enforced on
 * read and by the purge, quarantines and proofs that never lose a concurrent writer's data, the
 * lease, the flow-log cursors, malformed entities, and the real engine against it.
 */
import { DEFAULT_DETECTOR } from "../../../../functions/core/detector";
import { processRecords, tick, type EngineDeps } from "../../../../functions/core/quarantine";
import { ConflictError, type FlowRecord, type ModeOptions, type Quarantine, type QuarantineRuntimeConfig, type SourceState } from "../../../../functions/core/quarantine-types";
import { createMemoryCloud } from "../../../../functions/local/memory-cloud";
import {
  CURSOR_PK,
  LEASE_KEY,
  MODE_KEY,
  QUARANTINE_PK,
  cursorKey,
  proofKey,
  quarantineKey,
  sourceKey,
  tableQuarantineStore,
} from "../../../../functions/azure/quarantine/table-store";
import { FakeRestError, tableFake, type TableFake } from "./table-fake";

const T0 = 1_800_000_000;
const SRC = "203.0.113.5";
const V6 = "2001:db8::1";

let fake: TableFake;
let clock: number;
let sleeps: number[];
let logs: { event: string; fields: Readonly<Record<string, unknown>> }[];
const make = (attempts?: number) =>
  tableQuarantineStore(fake.client, {
    now: () => clock,
    sleep: async (ms) => void sleeps.push(ms),
    log: (event, fields) => logs.push({ event, fields }),
    ...(attempts ? { attempts } : {}),
  });

beforeEach(() => {
  fake = tableFake();
  clock = T0;
  sleeps = [];
  logs = [];
});

const state = (lastSeen: number, extra: Record<string, unknown> = {}): SourceState => ({ lastSeen, ...extra });
const q = (src: string, detectedAt: number, lastSeen: number, reason: Quarantine["reason"] = "trw", probes = 4): Quarantine => ({ src, detectedAt, lastSeen, reason, probes });

describe("keys", () => {
  it("IPv4 and IPv6 sources are valid keys; a key with a forbidden character is refused before any call", () => {
    expect(sourceKey(V6)).toEqual({ partitionKey: `src-${V6}`, rowKey: "state" });
    expect(proofKey(SRC)).toEqual({ partitionKey: `src-${SRC}`, rowKey: "proof" });
    expect(quarantineKey(V6)).toEqual({ partitionKey: "quarantine", rowKey: V6 });
    expect(() => sourceKey("10.0.0.1/32")).toThrow("not a Table storage key");
    expect(() => quarantineKey("a#b")).toThrow("not a Table storage key");
    expect(() => quarantineKey("a\nb")).toThrow("not a Table storage key");
  });

  it("a cursor is keyed by the sha256 of its blob name, which contains slashes", () => {
    const name = "flowLogResourceID=/SUB/RG/y=2026/m=12/d=04/h=13/m=00/macAddress=00/PT1H.json";
    const k = cursorKey(name);
    expect(k.partitionKey).toBe(CURSOR_PK);
    expect(k.rowKey).toMatch(/^[0-9a-f]{64}$/);
    expect(cursorKey(`${name}x`).rowKey).not.toBe(k.rowKey);
  });
});

describe("sources", () => {
  it("create, read, update on the version read; the stored entity has the documented layout", async () => {
    const store = make();
    await store.putSource(V6, state(T0, { f: [1] }), undefined, T0 + 100);
    expect(fake.peek(`src-${V6}`, "state")).toEqual({ state: JSON.stringify({ lastSeen: T0, f: [1] }), version: 1, expiresAt: T0 + 100 });
    const read = (await store.getSources([V6, SRC, V6])).get(V6)!;
    expect(read).toEqual({ value: { lastSeen: T0, f: [1] }, version: 1 });
    await store.putSource(V6, state(T0 + 1), 1, T0 + 200);
    expect((await store.getSources([V6])).get(V6)).toEqual({ value: { lastSeen: T0 + 1 }, version: 2 });
    expect([...(await store.getSources([SRC])).keys()]).toEqual([]);
  });

  it("conflicts: create over a live one, a stale version, an update of a missing one; none writes", async () => {
    const store = make();
    await store.putSource(SRC, state(T0), undefined, T0 + 100);
    await expect(store.putSource(SRC, state(T0 + 5), undefined, T0 + 100)).rejects.toBeInstanceOf(ConflictError);
    await expect(store.putSource(SRC, state(T0 + 5), 7, T0 + 100)).rejects.toBeInstanceOf(ConflictError);
    await expect(store.putSource("198.51.100.1", state(T0), 1, T0 + 100)).rejects.toBeInstanceOf(ConflictError);
    expect(fake.peek(`src-${SRC}`, "state")).toMatchObject({ state: JSON.stringify(state(T0)), version: 1 });
    expect(fake.peek("src-198.51.100.1", "state")).toBeUndefined();
  });

  it("a write between the version check and the update loses on the ETag (412 → ConflictError)", async () => {
    const store = make();
    await store.putSource(SRC, state(T0), undefined, T0 + 100);
    // The store's own read of version 1 is answered, then another writer moves the entity on.
    fake.afterNextGet(`src-${SRC}`, "state", () => make().putSource(SRC, state(T0 + 9), 1, T0 + 100));
    await expect(store.putSource(SRC, state(T0 + 5), 1, T0 + 100)).rejects.toBeInstanceOf(ConflictError);
    expect(fake.peek(`src-${SRC}`, "state")).toMatchObject({ state: JSON.stringify(state(T0 + 9)), version: 2 });
  });

  it("an expired state reads as absent, and a create replaces it only on its own ETag", async () => {
    const store = make();
    await store.putSource(SRC, state(T0), undefined, T0 + 10);
    clock = T0 + 11;
    expect((await store.getSources([SRC])).size).toBe(0);
    await store.putSource(SRC, state(T0 + 11), undefined, T0 + 100);
    expect(fake.peek(`src-${SRC}`, "state")).toMatchObject({ state: JSON.stringify(state(T0 + 11)), version: 1, expiresAt: T0 + 100 });

    // Two creates over one expired entity: the one that replaces it first wins, the other conflicts.
    await make().putSource("198.51.100.2", state(T0), undefined, T0 + 10);
    clock = T0 + 20;
    fake.afterNextGet("src-198.51.100.2", "state", () => make().putSource("198.51.100.2", state(T0 + 20, { winner: "B" }), undefined, T0 + 100));
    await expect(store.putSource("198.51.100.2", state(T0 + 20, { winner: "A" }), undefined, T0 + 100)).rejects.toBeInstanceOf(ConflictError);
    expect(JSON.parse(fake.peek("src-198.51.100.2", "state")!.state as string)).toEqual({ lastSeen: T0 + 20, winner: "B" });
  });

  it("two invocations racing on one source, engine-style: one wins, the other conflicts, re-reads and merges; nothing lost", async () => {
    const a = make();
    const b = make();
    await a.putSource(SRC, state(T0, { seen: ["x"] }), undefined, T0 + 100);
    const readA = (await a.getSources([SRC])).get(SRC)!;
    const readB = (await b.getSources([SRC])).get(SRC)!;
    await a.putSource(SRC, { ...readA.value, seen: [...(readA.value.seen as string[]), "a"] }, readA.version, T0 + 100);
    await expect(b.putSource(SRC, { ...readB.value, seen: [...(readB.value.seen as string[]), "b"] }, readB.version, T0 + 100)).rejects.toBeInstanceOf(ConflictError);
    const again = (await b.getSources([SRC])).get(SRC)!;
    expect(again.version).toBe(2);
    await b.putSource(SRC, { ...again.value, seen: [...(again.value.seen as string[]), "b"] }, again.version, T0 + 100);
    expect((await a.getSources([SRC])).get(SRC)).toEqual({ value: { lastSeen: T0, seen: ["x", "a", "b"] }, version: 3 });
    expect(fake.size).toBe(1);
  });

  it("deleteSource deletes; a missing one is fine", async () => {
    const store = make();
    await store.putSource(SRC, state(T0), undefined, T0 + 100);
    await store.deleteSource(SRC);
    await store.deleteSource(SRC);
    expect(fake.size).toBe(0);
  });

  it("a malformed state is absent (logged), and a create replaces it on its ETag instead of conflicting forever", async () => {
    fake.poke(`src-${SRC}`, "state", { state: "{not json", version: 3, expiresAt: T0 + 100 });
    fake.poke("src-198.51.100.3", "state", { state: JSON.stringify({ lastSeen: "x" }), version: 1, expiresAt: T0 + 100 });
    fake.poke("src-198.51.100.4", "state", { state: JSON.stringify(state(T0)), version: "1", expiresAt: T0 + 100 });
    const store = make();
    expect((await store.getSources([SRC, "198.51.100.3", "198.51.100.4"])).size).toBe(0);
    expect(logs.map((l) => l.fields.key).sort()).toEqual([`src-198.51.100.3/state`, `src-198.51.100.4/state`, `src-${SRC}/state`]);
    await store.putSource(SRC, state(T0), undefined, T0 + 100);
    expect(fake.peek(`src-${SRC}`, "state")).toEqual({ state: JSON.stringify(state(T0)), version: 1, expiresAt: T0 + 100 });
  });

  it("reads run at most 16 at a time, each key once", async () => {
    let inFlight = 0;
    let peak = 0;
    const get = fake.client.getEntity.bind(fake.client);
    fake.client.getEntity = async (pk, rk) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setImmediate(r));
      try {
        return await get(pk, rk);
      } finally {
        inFlight--;
      }
    };
    const srcs = Array.from({ length: 50 }, (_, i) => `198.18.0.${i}`);
    const store = make();
    for (const s of srcs.slice(0, 10)) await store.putSource(s, state(T0), undefined, T0 + 100);
    const got = await store.getSources([...srcs, ...srcs]);
    expect(got.size).toBe(10);
    expect(peak).toBe(16);
    expect(fake.calls.filter((c) => c.startsWith("getEntity")).length).toBe(50);
  });

  it("other errors are rethrown with context, not turned into conflicts or absence", async () => {
    const store = make();
    fake.failNext("getEntity", new FakeRestError(403, "AuthorizationPermissionMismatch"));
    await expect(store.getSources([SRC])).rejects.toThrow(`Table storage read of src-${SRC}/state failed (status 403)`);
    fake.failNext("createEntity", new FakeRestError(500, "InternalError"));
    const err = await store.putSource(SRC, state(T0), undefined, T0 + 100).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ConflictError);
    expect(String(err)).toContain("status 500");
  });

  it("an entity read without an ETag is an error, never an unconditional write", async () => {
    const store = make();
    await store.putSource(SRC, state(T0), undefined, T0 + 100);
    const get = fake.client.getEntity.bind(fake.client);
    fake.client.getEntity = async (pk, rk) => ({ ...(await get(pk, rk)), etag: undefined });
    await expect(store.putSource(SRC, state(T0 + 1), 1, T0 + 100)).rejects.toThrow(`entity src-${SRC}/state came without an ETag`);
    expect(fake.peek(`src-${SRC}`, "state")).toMatchObject({ version: 1 });
  });
});

describe("proofs", () => {
  it("merge: the earlier first and the later last win, with the later last's expiry", async () => {
    const store = make();
    await store.putProofs([{ src: SRC, proof: { first: T0 + 10, last: T0 + 20 }, expiresAt: T0 + 1000 }]);
    await store.putProofs([{ src: SRC, proof: { first: T0 + 5, last: T0 + 15 }, expiresAt: T0 + 995 }]);
    expect(fake.peek(`src-${SRC}`, "proof")).toEqual({ first: T0 + 5, last: T0 + 20, expiresAt: T0 + 1000 });
    await store.putProofs([{ src: SRC, proof: { first: T0 + 30, last: T0 + 40 }, expiresAt: T0 + 1020 }]);
    expect((await store.getProofs([SRC, V6])).get(SRC)).toEqual({ first: T0 + 5, last: T0 + 40 });
    expect(fake.peek(`src-${SRC}`, "proof")).toMatchObject({ expiresAt: T0 + 1020 });
  });

  it("a proof that brings nothing new is not written", async () => {
    const store = make();
    await store.putProofs([{ src: SRC, proof: { first: T0, last: T0 + 20 }, expiresAt: T0 + 1000 }]);
    const writes = fake.calls.length;
    await store.putProofs([{ src: SRC, proof: { first: T0 + 1, last: T0 + 19 }, expiresAt: T0 + 999 }]);
    expect(fake.calls.slice(writes)).toEqual([`getEntity src-${SRC}/proof`]);
  });

  it("a race is retried, never an error, and both writers' values survive", async () => {
    const store = make();
    await store.putProofs([{ src: SRC, proof: { first: T0 + 10, last: T0 + 20 }, expiresAt: T0 + 1000 }]);
    fake.afterNextGet(`src-${SRC}`, "proof", () => make().putProofs([{ src: SRC, proof: { first: T0 + 12, last: T0 + 50 }, expiresAt: T0 + 1030 }]));
    await store.putProofs([{ src: SRC, proof: { first: T0 + 1, last: T0 + 30 }, expiresAt: T0 + 1010 }]);
    expect(fake.peek(`src-${SRC}`, "proof")).toEqual({ first: T0 + 1, last: T0 + 50, expiresAt: T0 + 1030 });
    expect(sleeps).toEqual([20]);
  });

  it("two creates racing on a new proof: the loser retries as an update", async () => {
    const store = make();
    // The loser's read finds nothing; the winner creates in between.
    const get = fake.client.getEntity.bind(fake.client);
    let first = true;
    fake.client.getEntity = async (pk, rk) => {
      if (first) {
        first = false;
        await make().putProofs([{ src: SRC, proof: { first: T0 + 5, last: T0 + 6 }, expiresAt: T0 + 500 }]);
        throw new FakeRestError(404, "ResourceNotFound");
      }
      return get(pk, rk);
    };
    await store.putProofs([{ src: SRC, proof: { first: T0 + 1, last: T0 + 2 }, expiresAt: T0 + 400 }]);
    expect(fake.peek(`src-${SRC}`, "proof")).toEqual({ first: T0 + 1, last: T0 + 6, expiresAt: T0 + 500 });
  });

  it("an expired proof no longer counts and is replaced, not merged", async () => {
    const store = make();
    await store.putProofs([{ src: SRC, proof: { first: T0, last: T0 + 1 }, expiresAt: T0 + 10 }]);
    clock = T0 + 11;
    expect((await store.getProofs([SRC])).size).toBe(0);
    await store.putProofs([{ src: SRC, proof: { first: T0 + 11, last: T0 + 11 }, expiresAt: T0 + 100 }]);
    expect(fake.peek(`src-${SRC}`, "proof")).toEqual({ first: T0 + 11, last: T0 + 11, expiresAt: T0 + 100 });
  });

  it("losing every attempt ends in an error that names the source, after bounded backoff", async () => {
    const store = make(3);
    await store.putProofs([{ src: SRC, proof: { first: T0 + 10, last: T0 + 20 }, expiresAt: T0 + 1000 }]);
    const update = fake.client.updateEntity.bind(fake.client);
    fake.client.updateEntity = async () => {
      throw new FakeRestError(412, "UpdateConditionNotSatisfied");
    };
    await expect(store.putProofs([{ src: SRC, proof: { first: T0, last: T0 + 30 }, expiresAt: T0 + 1000 }])).rejects.toThrow(`proof of ${SRC}: still losing races after 3 attempts`);
    expect(sleeps).toEqual([20, 40]);
    fake.client.updateEntity = update;
  });
});

describe("quarantines", () => {
  it("create, list (one partition query, expired hidden), later lastSeen wins, first detectedAt/reason/probes kept", async () => {
    const store = make();
    await store.upsertQuarantine(q(SRC, T0, T0 + 10, "trw", 4), T0 + 1000);
    await store.upsertQuarantine(q(SRC, T0 + 5, T0 + 20, "slow", 9), T0 + 1010);
    await store.upsertQuarantine(q(SRC, T0 + 6, T0 + 15, "pairs", 2), T0 + 1005); // older refresh: no effect
    await store.upsertQuarantine(q(V6, T0, T0, "proven", 1), T0 + 5);
    expect(fake.peek(QUARANTINE_PK, SRC)).toEqual({ src: SRC, detectedAt: T0, lastSeen: T0 + 20, reason: "trw", probes: 4, expiresAt: T0 + 1010 });
    // Key order, as Table storage answers: "2001:…" before "203.…".
    expect(await store.listQuarantines()).toEqual([q(V6, T0, T0, "proven", 1), q(SRC, T0, T0 + 20, "trw", 4)]);
    clock = T0 + 6;
    expect(await store.listQuarantines()).toEqual([q(SRC, T0, T0 + 20, "trw", 4)]);
    expect(fake.calls.filter((c) => c.startsWith("listEntities"))).toEqual([`listEntities PartitionKey eq 'quarantine' and expiresAt ge ${T0}`, `listEntities PartitionKey eq 'quarantine' and expiresAt ge ${T0 + 6}`]);
  });

  it("an expired quarantine is replaced: a re-detection starts afresh", async () => {
    const store = make();
    await store.upsertQuarantine(q(SRC, T0, T0, "trw"), T0 + 10);
    clock = T0 + 100;
    await store.upsertQuarantine(q(SRC, T0 + 90, T0 + 100, "slow", 7), T0 + 500);
    expect(await store.listQuarantines()).toEqual([q(SRC, T0 + 90, T0 + 100, "slow", 7)]);
  });

  it("two writers racing on one source: both kept by the merge rules, no error", async () => {
    const store = make();
    await store.upsertQuarantine(q(SRC, T0, T0 + 10), T0 + 1000);
    fake.afterNextGet(QUARANTINE_PK, SRC, () => make().upsertQuarantine(q(SRC, T0 + 3, T0 + 30, "slow", 8), T0 + 1030));
    await store.upsertQuarantine(q(SRC, T0 + 2, T0 + 20, "pairs", 5), T0 + 1020);
    // The other writer's later lastSeen stands; the first detection's fields too.
    expect(fake.peek(QUARANTINE_PK, SRC)).toEqual({ src: SRC, detectedAt: T0, lastSeen: T0 + 30, reason: "trw", probes: 4, expiresAt: T0 + 1030 });
    expect(sleeps).toEqual([20]);
  });

  it("two creates racing: the loser's source is merged into the winner's, not dropped", async () => {
    const store = make();
    const get = fake.client.getEntity.bind(fake.client);
    let first = true;
    fake.client.getEntity = async (pk, rk) => {
      if (first) {
        first = false;
        await make().upsertQuarantine(q(SRC, T0 + 1, T0 + 5, "slow", 6), T0 + 1005);
        throw new FakeRestError(404, "ResourceNotFound");
      }
      return get(pk, rk);
    };
    await store.upsertQuarantine(q(SRC, T0, T0 + 9, "trw", 4), T0 + 1009);
    expect(await store.listQuarantines()).toEqual([q(SRC, T0 + 1, T0 + 9, "slow", 6)]);
  });

  it("deleteQuarantine: without a lastSeen deletes; with one only if unchanged; gone is true", async () => {
    const store = make();
    await store.upsertQuarantine(q(SRC, T0, T0 + 10), T0 + 1000);
    expect(await store.deleteQuarantine(SRC, T0 + 9)).toBe(false);
    expect(fake.peek(QUARANTINE_PK, SRC)).toBeDefined();
    expect(await store.deleteQuarantine(SRC, T0 + 10)).toBe(true);
    expect(fake.peek(QUARANTINE_PK, SRC)).toBeUndefined();
    expect(await store.deleteQuarantine(SRC, T0 + 10)).toBe(true);
    await store.upsertQuarantine(q(SRC, T0, T0 + 10), T0 + 1000);
    expect(await store.deleteQuarantine(SRC)).toBe(true);
    expect(await store.deleteQuarantine(SRC)).toBe(true);
    expect(fake.size).toBe(0);
  });

  it("deleteQuarantine: a refresh between its read and its delete keeps the quarantine (false)", async () => {
    const store = make();
    await store.upsertQuarantine(q(SRC, T0, T0 + 10), T0 + 1000);
    fake.afterNextGet(QUARANTINE_PK, SRC, () => make().upsertQuarantine(q(SRC, T0, T0 + 40), T0 + 1040));
    expect(await store.deleteQuarantine(SRC, T0 + 10)).toBe(false);
    expect(fake.peek(QUARANTINE_PK, SRC)).toMatchObject({ lastSeen: T0 + 40 });
  });

  it("a malformed quarantine is skipped in the list (logged), and an upsert replaces it", async () => {
    fake.poke(QUARANTINE_PK, SRC, { src: SRC, detectedAt: T0, lastSeen: "soon", reason: "trw", probes: 4, expiresAt: T0 + 100 });
    fake.poke(QUARANTINE_PK, V6, { src: V6, detectedAt: T0, lastSeen: T0, reason: "bogus", probes: 4, expiresAt: T0 + 100 });
    const store = make();
    expect(await store.listQuarantines()).toEqual([]);
    expect(logs).toHaveLength(2);
    await store.upsertQuarantine(q(SRC, T0, T0 + 1), T0 + 100);
    expect(await store.listQuarantines()).toEqual([q(SRC, T0, T0 + 1)]);
  });
});

describe("mode", () => {
  it("Normal before anything is written; versioned puts; recentFlags kept as JSON", async () => {
    const store = make();
    expect(await store.getMode()).toEqual({ value: { mode: "normal", since: 0, recentFlags: [] }, version: undefined });
    await store.putMode({ mode: "defence", since: T0, recentFlags: [T0 - 5, T0] }, undefined);
    expect(fake.peek(MODE_KEY.partitionKey, MODE_KEY.rowKey)).toEqual({ mode: "defence", since: T0, recentFlags: JSON.stringify([T0 - 5, T0]), version: 1 });
    expect(await store.getMode()).toEqual({ value: { mode: "defence", since: T0, recentFlags: [T0 - 5, T0] }, version: 1 });
    await expect(store.putMode({ mode: "normal", since: T0 + 1, recentFlags: [] }, undefined)).rejects.toBeInstanceOf(ConflictError);
    await expect(store.putMode({ mode: "normal", since: T0 + 1, recentFlags: [] }, 2)).rejects.toBeInstanceOf(ConflictError);
    await store.putMode({ mode: "normal", since: T0 + 1, recentFlags: [] }, 1);
    expect(await store.getMode()).toEqual({ value: { mode: "normal", since: T0 + 1, recentFlags: [] }, version: 2 });
  });

  it("never expires, and is never purged", async () => {
    const store = make();
    await store.putMode({ mode: "defence", since: T0, recentFlags: [] }, undefined);
    await store.acquireLease("a", T0, 60);
    clock = T0 + 10 ** 8;
    expect(await store.purgeExpired(clock, 100)).toBe(0);
    expect((await store.getMode()).version).toBe(1);
  });

  it("a malformed mode reads as the initial one and is replaced by the next create", async () => {
    fake.poke(MODE_KEY.partitionKey, MODE_KEY.rowKey, { mode: "panic", since: T0, recentFlags: "[]", version: 4 });
    const store = make();
    expect(await store.getMode()).toEqual({ value: { mode: "normal", since: 0, recentFlags: [] }, version: undefined });
    await store.putMode({ mode: "defence", since: T0, recentFlags: [] }, undefined);
    expect(await store.getMode()).toEqual({ value: { mode: "defence", since: T0, recentFlags: [] }, version: 1 });
  });
});

describe("lease", () => {
  it("exclusive while unexpired; renewable by its owner; taken over once expired; released only by its owner", async () => {
    const store = make();
    expect(await store.acquireLease("a", T0, 60)).toBe(true);
    expect(await store.acquireLease("b", T0 + 59, 60)).toBe(false);
    expect(await store.acquireLease("b", T0 + 60, 60)).toBe(false); // until is inclusive
    expect(await store.acquireLease("a", T0 + 30, 60)).toBe(true);
    expect(fake.peek(LEASE_KEY.partitionKey, LEASE_KEY.rowKey)).toEqual({ owner: "a", until: T0 + 90 });
    await store.releaseLease("b");
    expect(fake.peek(LEASE_KEY.partitionKey, LEASE_KEY.rowKey)).toEqual({ owner: "a", until: T0 + 90 });
    expect(await store.acquireLease("b", T0 + 91, 60)).toBe(true);
    await store.releaseLease("a");
    expect(fake.peek(LEASE_KEY.partitionKey, LEASE_KEY.rowKey)).toEqual({ owner: "b", until: T0 + 151 });
    await store.releaseLease("b");
    expect(fake.peek(LEASE_KEY.partitionKey, LEASE_KEY.rowKey)).toBeUndefined();
    await store.releaseLease("b");
  });

  it("two takers at once: exactly one gets it", async () => {
    const store = make();
    expect(await store.acquireLease("a", T0, 60)).toBe(true);
    // b's read sees a's expired lease; c takes it before b writes.
    let cGot: boolean | undefined;
    fake.afterNextGet(LEASE_KEY.partitionKey, LEASE_KEY.rowKey, async () => void (cGot = await make().acquireLease("c", T0 + 100, 60)));
    expect(await store.acquireLease("b", T0 + 100, 60)).toBe(false);
    expect(cGot).toBe(true);
    expect(fake.peek(LEASE_KEY.partitionKey, LEASE_KEY.rowKey)).toEqual({ owner: "c", until: T0 + 160 });
    // Two creates on no lease: one 409.
    await store.releaseLease("c");
    const [x, y] = await Promise.all([make().acquireLease("x", T0, 60), make().acquireLease("y", T0, 60)]);
    expect([x, y].filter(Boolean)).toHaveLength(1);
  });

  it("a release racing a takeover deletes nothing", async () => {
    const store = make();
    await store.acquireLease("a", T0, 60);
    fake.afterNextGet(LEASE_KEY.partitionKey, LEASE_KEY.rowKey, async () => void (await make().acquireLease("b", T0 + 61, 60)));
    await store.releaseLease("a");
    expect(fake.peek(LEASE_KEY.partitionKey, LEASE_KEY.rowKey)).toEqual({ owner: "b", until: T0 + 121 });
  });
});

describe("flow-log cursors", () => {
  const BLOB = "resourceId=/SUBSCRIPTIONS/X/y=2026/m=12/d=04/h=13/m=00/PT1H.json";
  it("offset 0 when absent; versioned writes; the name is kept beside its hash; expiry hides it", async () => {
    const store = make();
    expect(await store.getCursor(BLOB)).toEqual({ value: { offset: 0, updatedAt: 0 }, version: undefined });
    await store.putCursor(BLOB, { offset: 120, updatedAt: T0 }, undefined, T0 + 100);
    const k = cursorKey(BLOB);
    expect(fake.peek(k.partitionKey, k.rowKey)).toEqual({ blobName: BLOB, offset: 120, updatedAt: T0, version: 1, expiresAt: T0 + 100 });
    await expect(store.putCursor(BLOB, { offset: 200, updatedAt: T0 + 1 }, undefined, T0 + 100)).rejects.toBeInstanceOf(ConflictError);
    await store.putCursor(BLOB, { offset: 200, updatedAt: T0 + 1 }, 1, T0 + 100);
    await expect(store.putCursor(BLOB, { offset: 300, updatedAt: T0 + 2 }, 1, T0 + 100)).rejects.toBeInstanceOf(ConflictError);
    expect(await store.getCursor(BLOB)).toEqual({ value: { offset: 200, updatedAt: T0 + 1 }, version: 2 });
    expect(await store.getCursor(`${BLOB}.other`)).toEqual({ value: { offset: 0, updatedAt: 0 }, version: undefined });
    clock = T0 + 101;
    expect(await store.getCursor(BLOB)).toEqual({ value: { offset: 0, updatedAt: 0 }, version: undefined });
  });
});

describe("purgeExpired", () => {
  it("deletes only expired entities, up to max, and not one refreshed between the query and its delete", async () => {
    const store = make();
    await store.putSource("198.18.0.1", state(T0), undefined, T0 + 10);
    await store.putSource("198.18.0.2", state(T0), undefined, T0 + 10);
    await store.putSource("198.18.0.3", state(T0), undefined, T0 + 10);
    await store.putSource("198.18.0.4", state(T0), undefined, T0 + 1000);
    await store.upsertQuarantine(q(SRC, T0, T0), T0 + 10);
    await store.putMode({ mode: "normal", since: T0, recentFlags: [] }, undefined);
    clock = T0 + 50;
    // 198.18.0.1 is refreshed by a batch after the purge's query read it.
    fake.afterNextQuery(() => make().putSource("198.18.0.1", state(T0 + 50), undefined, T0 + 2000));
    expect(await store.purgeExpired(T0 + 50, 2)).toBe(2);
    expect(fake.calls).toContain(`listEntities expiresAt lt ${T0 + 50}`);
    expect(fake.peek("src-198.18.0.1", "state")).toMatchObject({ expiresAt: T0 + 2000 });
    expect(fake.peek("src-198.18.0.4", "state")).toBeDefined();
    expect(await store.purgeExpired(T0 + 50, 10)).toBe(1);
    expect(fake.peek("src-198.18.0.2", "state")).toBeUndefined();
    expect(fake.peek("src-198.18.0.3", "state")).toBeUndefined();
    expect(fake.peek(QUARANTINE_PK, SRC)).toBeUndefined();
    expect(fake.size).toBe(3); // .1 (refreshed), .4, mode
    expect(await store.purgeExpired(T0 + 50, 10)).toBe(0);
  });

  it("an entity deleted by someone else in between is fine (404); max 0 does nothing", async () => {
    const store = make();
    await store.putSource(SRC, state(T0), undefined, T0 + 10);
    fake.afterNextQuery(() => make().deleteSource(SRC));
    expect(await store.purgeExpired(T0 + 50, 5)).toBe(0);
    expect(await store.purgeExpired(T0 + 50, 0)).toBe(0);
    expect(fake.calls.filter((c) => c.startsWith("listEntities"))).toHaveLength(1);
  });

  it("a failed query is an error with context", async () => {
    fake.failNext("listEntities", new FakeRestError(403, "AuthorizationFailure"));
    await expect(make().purgeExpired(T0, 5)).rejects.toThrow("Table storage query of expired entities failed (status 403)");
  });
});

describe("the engine on the table store", () => {
  const MODE: ModeOptions = { quietPeriodMinutes: 30, forgetOnNormal: true, rememberMinutes: 120, defenceAfterSources: 1, defenceWindowMinutes: 5 };
  const config: QuarantineRuntimeConfig = {
    prefix: "test",
    detector: { ...DEFAULT_DETECTOR, allowCidrs: [] },
    mode: MODE,
    steering: { firstPriority: 1000, ruleQuota: 100, albRuleLimit: 100, cidrsPerRule: 5 },
    copies: { defenceCount: 2, normalCount: 0 },
  };
  const ALB = "10.0.1.10";
  const rec = (src: string, time: number, dport: number, outcome: FlowRecord["outcome"] = "FAIL"): FlowRecord => ({ time, src, dst: ALB, dport, proto: 6, outcome });
  const probes = (src: string, t: number, n: number): FlowRecord[] => Array.from({ length: n }, (_, i) => rec(src, t + i, 20 + i));

  it("processRecords and tick give the same reports, quarantines, mode and rules as on the memory store", async () => {
    const run = async (useTable: boolean) => {
      const c = { now: T0 };
      clock = T0;
      const cloud = createMemoryCloud({ steering: config.steering, clock: () => c.now, copyStartSeconds: 0 });
      const store = useTable ? tableQuarantineStore(tableFake().client, { now: () => c.now, sleep: async () => undefined }) : cloud.store;
      const deps: EngineDeps = { store, steering: cloud.steering, copies: cloud.copies, config, owner: "fn-1" };
      const batch1 = await processRecords([rec("81.2.69.160", T0, 443, "OK"), ...probes(SRC, T0 + 1, 6), ...probes(V6, T0 + 2, 2)], deps, T0 + 60);
      c.now = T0 + 120;
      const batch2 = await processRecords(probes(V6, T0 + 100, 4), deps, T0 + 120);
      c.now = T0 + 120 + 31 * 60;
      const tick1 = await tick(deps, c.now);
      // Table storage lists in key order, the memory store in insertion order.
      return {
        batch1,
        batch2,
        tick1: { ...tick1, forgotten: [...tick1.forgotten].sort() },
        quarantines: (await store.listQuarantines()).sort((x, y) => x.src.localeCompare(y.src)),
        mode: (await store.getMode()).value,
        rules: (await cloud.steering.readRules()).rules.map((r) => ({ priority: r.priority, cidrs: r.cidrs })),
        copies: await cloud.copies.getDesired(),
        sources: [...(await store.getSources([SRC, V6, "81.2.69.160"])).keys()].sort(),
      };
    };
    const memory = await run(false);
    const table = await run(true);
    expect(table).toEqual(memory);
    // The scenario does something: both sources detected, then forgotten after the quiet period.
    expect(memory.batch1.detections.map((d) => d.src)).toEqual([SRC]);
    expect(memory.batch2.detections.map((d) => d.src)).toEqual([V6]);
    expect(memory.tick1).toMatchObject({ mode: "normal", changed: true, forgotten: [V6, SRC] });
    expect(memory.copies).toBe(0);
    expect(memory.quarantines).toEqual([]);
  });
});
