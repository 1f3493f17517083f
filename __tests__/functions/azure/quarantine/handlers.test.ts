/**
 * The two handlers end to end over the wiring index.ts uses (quarantineDeps) or injected ports:
 * a scan written to the flow log in several commits → one detection, no gateway call from the
 * detector; the mode tick → copies raised, rules steered, one flush, one bounded purge.
 */
import type { ContainerApp } from "@azure/arm-appcontainers";
import { createDetectorHandler } from "../../../../functions/azure/quarantine/detector-handler";
import { azureQuarantineEnv } from "../../../../functions/azure/quarantine/env";
import type { ApplicationGatewaysApi, GatewaySteering } from "../../../../functions/azure/quarantine/gateway-steering";
import { createModeHandler, MODE_LEASE_SECONDS, PURGE_PER_RUN } from "../../../../functions/azure/quarantine/mode-handler";
import { quarantineDeps, type AzureQuarantineDeps } from "../../../../functions/azure/quarantine/wiring";
import { ConflictError } from "../../../../functions/core/quarantine-types";
import { createMemoryCloud } from "../../../../functions/local/memory-cloud";
import { BLOB, blobCreated, commits, CONFIG, denied, flowRecord, MemoryAzureStore, memoryBlobs, RG, VARS } from "./fakes";

const NOW = 1_800_000_000;
const SCANNER = "203.0.113.5";
const env = azureQuarantineEnv(VARS, "test");

/** An invocation context collecting the JSON lines by level. */
function context(id = "inv-1") {
  const lines: { level: string; line: Record<string, unknown> }[] = [];
  const push = (level: string) => (text: unknown) => void lines.push({ level, line: JSON.parse(String(text)) as Record<string, unknown> });
  return { ctx: { invocationId: id, info: push("info"), warn: push("warn"), error: push("error") }, lines };
}

/** A gateway that must not be called at all. */
const untouchableGateway: ApplicationGatewaysApi = {
  get: () => Promise.reject(new Error("gateway called: get")),
  beginCreateOrUpdateAndWait: () => Promise.reject(new Error("gateway called: PUT")),
  beginBackendHealthAndWait: () => Promise.reject(new Error("gateway called: backend health")),
};

function fakeContainerApps() {
  const patches: ContainerApp[] = [];
  let min = 0;
  return {
    patches,
    api: {
      async get(rg: string, name: string): Promise<ContainerApp> {
        if (rg !== RG || name !== "lure-copies") throw new Error(`unexpected app ${rg}/${name}`);
        return { location: "westeurope", template: { scale: { minReplicas: min, maxReplicas: Math.max(min, 1) } } };
      },
      async beginUpdateAndWait(rg: string, name: string, body: ContainerApp): Promise<ContainerApp> {
        if (rg !== RG || name !== "lure-copies") throw new Error(`unexpected app ${rg}/${name}`);
        patches.push(body);
        min = body.template?.scale?.minReplicas ?? min;
        return body;
      },
    },
  };
}

/** 30 denied probes of distinct ports, written in three commits of 10. */
function scanBlob(): Buffer[] {
  const block = (k: number) => [flowRecord(Array.from({ length: 10 }, (_, i) => denied(SCANNER, 20 + k * 10 + i, (NOW - 300 + k * 10 + i) * 1000)))];
  return commits(block(0), block(1), block(2));
}

describe("detector handler", () => {
  function wired() {
    const store = new MemoryAzureStore(() => NOW);
    const blobs = memoryBlobs();
    const apps = fakeContainerApps();
    const flowLog = { getBlobClient: (name: string) => ({ downloadToBuffer: async (offset?: number, count?: number) => {
          const b = await blobs.read(name, offset ?? 0, count ?? Infinity);
          return b ? Buffer.from(b) : Promise.reject(Object.assign(new Error("BlobNotFound"), { statusCode: 404, code: "BlobNotFound" }));
        },
      }),
    };
    const deps = quarantineDeps(env, { applicationGateways: untouchableGateway, containerApps: apps.api, flowLog, store });
    return { store, blobs, apps, handler: createDetectorHandler(env, deps, { now: () => NOW }) };
  }

  test("a scan in three commits: each event reads only its records, one detection (later commits refresh it); Defence raises the copies; no gateway call", async () => {
    const { store, blobs, apps, handler } = wired();
    const versions = scanBlob();
    const summaries = [];
    for (const [i, doc] of versions.entries()) {
      blobs.blobs.set(BLOB, doc);
      const { ctx, lines } = context(`inv-${i}`);
      summaries.push(await handler(JSON.stringify(blobCreated(doc.length)), ctx));
      expect(lines.map((l) => l.line.event).filter((e) => e === "quarantine-batch")).toHaveLength(1);
    }
    expect(summaries.map((s) => s.parse.records)).toEqual([10, 10, 10]);
    expect(summaries.map((s) => s.cursor)).toEqual(["written", "written", "written"]);
    const detections = summaries.flatMap((s) => s.detections.map((d) => d.src));
    expect(detections).toEqual([SCANNER]);
    expect(summaries.some((s) => s.enteredDefence)).toBe(true);
    expect((await store.listQuarantines()).map((q) => q.src)).toEqual([SCANNER]);
    expect((await store.getMode()).value.mode).toBe("defence");
    expect(apps.patches).toEqual([{ location: "westeurope", template: { scale: { minReplicas: 2, maxReplicas: 2 } } }]);
    expect(store.cursors.get(BLOB)?.cursor.offset).toBe(versions[2].length - 2);
  });

  test("a duplicate and a foreign event: skipped, counted, nothing processed", async () => {
    const { blobs, handler } = wired();
    const [doc] = scanBlob();
    blobs.blobs.set(BLOB, doc);
    await handler(blobCreated(doc.length), context().ctx);
    const { ctx, lines } = context("inv-dup");
    const dup = await handler(blobCreated(doc.length - 2), ctx);
    expect(dup).toMatchObject({ skipped: "already-read", reads: 0, records: 0, detections: [] });
    expect(lines).toEqual([{ level: "info", line: expect.objectContaining({ event: "quarantine-batch", invocationId: "inv-dup", skipped: "already-read" }) }]);
    const foreign = context("inv-f");
    expect(await handler(blobCreated(10, "https://evil.blob.core.windows.net/x/y"), foreign.ctx)).toMatchObject({ skipped: "foreign-blob", reads: 0 });
    expect(foreign.lines[0].level).toBe("warn");
  });

  test("a cursor conflict is logged and ends the message without an error", async () => {
    const { store, blobs, handler } = wired();
    const [doc] = scanBlob();
    blobs.blobs.set(BLOB, doc);
    store.beforeNextPut = () => void store.cursors.set(BLOB, { cursor: { offset: doc.length - 2, updatedAt: NOW }, version: 42, expiresAt: NOW + 60 });
    const { ctx, lines } = context();
    const s = await handler(blobCreated(doc.length), ctx);
    expect(s.cursor).toBe("conflict");
    // The records were processed before the write (at least once); the conflict ends the message.
    expect(s.detections.map((d) => d.src)).toEqual([SCANNER]);
    expect(lines.map((l) => [l.level, l.line.event]).slice(-2)).toEqual([["warn", "flow-cursor-conflict"], ["warn", "quarantine-batch"]]);
  });

  test("a store error is logged and rethrown (the host retries, then poisons), and the cursor does not move", async () => {
    const { store, blobs, handler } = wired();
    const [doc] = scanBlob();
    blobs.blobs.set(BLOB, doc);
    store.getSources = () => Promise.reject(Object.assign(new Error("table down"), { statusCode: 503 }));
    const { ctx, lines } = context();
    await expect(handler(blobCreated(doc.length), ctx)).rejects.toThrow("table down");
    expect(lines).toEqual([{ level: "error", line: expect.objectContaining({ event: "quarantine-batch-failed", blobName: BLOB, reads: 1, message: "table down" }) }]);
    expect(store.cursors.size).toBe(0);
  });
});

describe("mode handler", () => {
  /** Ports over the memory cloud, with a steering whose flush is counted (or made to fail). */
  function ported(flushError?: Error) {
    const store = new MemoryAzureStore(() => NOW);
    const cloud = createMemoryCloud({ steering: CONFIG.steering, clock: () => NOW, copyStartSeconds: 0 });
    const flushes: number[] = [];
    const leases: number[] = [];
    const acquire = store.acquireLease.bind(store);
    store.acquireLease = (owner, now, ttl) => {
      leases.push(ttl);
      return acquire(owner, now, ttl);
    };
    const steering: GatewaySteering = {
      readRules: () => cloud.steering.readRules(),
      healthyTargets: () => cloud.steering.healthyTargets(),
      apply: (c) => cloud.steering.apply(c),
      async flush() {
        flushes.push(NOW);
        if (flushError) throw flushError;
        return 0;
      },
      pending: () => 0,
    };
    const deps: AzureQuarantineDeps = { store, steering, copies: cloud.copies, blobs: memoryBlobs() };
    return { store, cloud, flushes, leases, handler: createModeHandler(env, deps, { now: () => NOW }) };
  }

  async function defence(store: MemoryAzureStore) {
    await store.putMode({ mode: "defence", since: NOW - 120, recentFlags: [NOW - 120] }, undefined);
    await store.upsertQuarantine({ src: SCANNER, detectedAt: NOW - 200, lastSeen: NOW - 60, reason: "trw", probes: 30 }, NOW + 3600);
  }

  test("Defence: copies raised, the scanner steered, flush once, purge once with its bound, lease 900 s", async () => {
    const { store, cloud, flushes, leases, handler } = ported();
    await defence(store);
    const { ctx, lines } = context("tick-1");
    const s = await handler({ isPastDue: false }, ctx);
    expect(await cloud.copies.getDesired()).toBe(2);
    expect((await cloud.steering.readRules()).rules.flatMap((r) => r.cidrs)).toEqual([`${SCANNER}/32`]);
    expect(s).toMatchObject({ mode: "defence", copies: 2, flushed: 0, flushConflict: false, purged: 0, rules: { skipped: false, steered: 1 } });
    expect(flushes).toHaveLength(1);
    expect(store.purges).toEqual([{ now: NOW, max: PURGE_PER_RUN }]);
    expect(leases).toEqual([MODE_LEASE_SECONDS]);
    expect(lines.map((l) => [l.level, l.line.event]).filter(([, e]) => e === "quarantine-tick")).toEqual([["info", "quarantine-tick"]]);
  });

  test("a flush conflict is a warning: the run succeeds and still purges", async () => {
    const { store, flushes, handler } = ported(new ConflictError("gateway changed"));
    await defence(store);
    const { ctx, lines } = context();
    const s = await handler({}, ctx);
    expect(s.flushConflict).toBe(true);
    expect(flushes).toHaveLength(1);
    expect(store.purges).toHaveLength(1);
    expect(lines.filter((l) => l.level === "warn").map((l) => l.line.event)).toEqual(["gateway-flush-conflict", "quarantine-tick"]);
  });

  test("a tick error: flush still called once, the error logged and rethrown, no purge", async () => {
    const { store, flushes, handler } = ported();
    store.getMode = () => Promise.reject(new Error("table down"));
    const { ctx, lines } = context();
    await expect(handler({}, ctx)).rejects.toThrow("table down");
    expect(flushes).toHaveLength(1);
    expect(store.purges).toEqual([]);
    expect(lines).toEqual([{ level: "error", line: expect.objectContaining({ event: "quarantine-tick-failed", message: "table down" }) }]);
  });

  test("a purge error is a warning, the tick's summary still logged", async () => {
    const { store, handler } = ported();
    store.purgeExpired = () => Promise.reject(new Error("purge failed"));
    const { ctx, lines } = context();
    const s = await handler({}, ctx);
    expect(s.purged).toBeUndefined();
    expect(lines.map((l) => [l.level, l.line.event])).toEqual([["warn", "quarantine-purge-failed"], ["info", "quarantine-tick"]]);
  });
});
