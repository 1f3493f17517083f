/**
 * The two handlers end to end over the wiring entry-points.ts uses (gcpQuarantineFunctions with
 * fake clients): Pub/Sub messages of the load balancer's log → skipped and counted, or batched into
 * the engine (detection, Defence Mode, copies raised; no Cloud Armor call from the detector), a
 * failure rethrown; the mode tick → rules in the policy, idempotent, 405 and 500.
 */
import { gcpQuarantineEnv } from "../../../../functions/gcp/quarantine/env";
import { createDetectorHandler } from "../../../../functions/gcp/quarantine/detector-handler";
import { GCP_QUARANTINE_ENTRY_POINTS } from "../../../../functions/gcp/quarantine/contract";
import { gcpQuarantineFunctions, type GcpQuarantineClients } from "../../../../functions/gcp/quarantine/wiring";
import type { DocRefLike, FirestoreLike } from "../../../../functions/gcp/quarantine/firestore-store";
import { DEFAULT_RULE, fakeArmor, fakeFirestore, fakeRun, googleError, lbEntry, pubsubEvent, VARS } from "./fakes";

const NOW = 1_800_000_000;
const SCANNER = "203.0.113.5";
const env = gcpQuarantineEnv(VARS, "test");

function setup() {
  const armor = fakeArmor([DEFAULT_RULE]);
  const run = fakeRun();
  const fs = fakeFirestore();
  const lines: Record<string, unknown>[] = [];
  const clients: GcpQuarantineClients = {
    securityPolicies: armor.policies,
    globalOperations: armor.operations,
    services: run.api,
    firestore: fs.db as unknown as FirestoreLike<DocRefLike>,
  };
  const functions = gcpQuarantineFunctions(env, { clients, write: (l) => void lines.push(JSON.parse(l) as Record<string, unknown>), now: () => NOW, detector: { batchWaitMs: 5 } });
  const events = (e: string) => lines.filter((l) => l.event === e);
  return { armor, run, fs, lines, events, functions };
}

/** A response recording its status and body. */
function response() {
  const r = { code: 0, body: undefined as unknown };
  return {
    r,
    res: {
      status(code: number) {
        r.code = code;
        return { json: (body: unknown) => (r.body = body) };
      },
    },
  };
}

/** Twelve 404s of a scanner's user agent on distinct paths. */
const scan = (): Record<string, unknown>[] => Array.from({ length: 12 }, (_, i) => pubsubEvent(lbEntry(SCANNER, `/probe-${i}.php`, 404, NOW - 120 + i, { userAgent: "Mozilla/5.0 zgrab/0.x" }), `m-${i}`));

describe("detector", () => {
  it("skips and counts what makes no record, without touching the store", async () => {
    const { functions, fs, events } = setup();
    const outcomes = await Promise.all([
      functions.detector({ id: "e1", data: { nothing: true } }),
      functions.detector(pubsubEvent(undefined, "m-2", "!!not base64!!")),
      functions.detector(pubsubEvent(undefined, "m-3", Buffer.from("{not json").toString("base64"))),
      functions.detector(pubsubEvent({ ...lbEntry(SCANNER, "/", 404, NOW), timestamp: "not a time" }, "m-4")),
      functions.detector(pubsubEvent(lbEntry(SCANNER, "/", 404, NOW, { forwardingRule: "someone-elses" }), "m-5")),
      functions.detector(pubsubEvent({ resource: { type: "gce_instance" }, httpRequest: {} }, "m-6")),
    ]);
    expect(outcomes.map((o) => o.skipped)).toEqual(["not-pubsub", "not-base64-json", "not-base64-json", "malformed-entry", "ignored-entry", "ignored-entry"]);
    expect(outcomes[4].parse).toMatchObject({ lines: 1, ignored: 1, otherForwardingRule: 1, records: 0 });
    expect(outcomes[3].parse).toMatchObject({ lines: 1, malformed: 1 });
    expect(events("quarantine-skip").map((l) => l.severity)).toEqual(["WARNING", "WARNING", "WARNING", "WARNING", "INFO", "INFO"]);
    expect(events("quarantine-skip")[1]).toMatchObject({ function: "quarantine-detector", messageId: "m-2", skipped: "not-base64-json" });
    expect(fs.stats).toMatchObject({ transactions: 0, gets: 0, getAlls: 0, queries: 0 });
  });

  it("batches concurrent messages into one engine run: detection, Defence Mode, copies raised, no Cloud Armor call", async () => {
    const { functions, armor, run, fs, events } = setup();
    const outcomes = await Promise.all(scan().map((e) => functions.detector(e)));
    const batchIds = new Set(outcomes.map((o) => o.batch?.batchId));
    expect(batchIds.size).toBe(1);
    const batch = outcomes[0].batch!;
    expect(batch).toMatchObject({ messages: 12, records: 12, enteredDefence: true });
    expect(batch.detections.map((d) => d.src)).toEqual([SCANNER]);
    expect(events("quarantine-batch")).toHaveLength(1);
    expect(events("quarantine")[0]).toMatchObject({ src: SCANNER });
    expect([...fs.docs.keys()].sort()).toEqual(expect.arrayContaining([`quarantines/${SCANNER}`, "control/mode"]));
    expect(run.service.scaling?.minInstanceCount).toBe(2);
    expect(armor.calls).toEqual([]);
  });

  it("runs the batches of an instance one after another", async () => {
    const { functions, events } = setup();
    const first = scan().slice(0, 6).map((e) => functions.detector(e));
    await new Promise((r) => setTimeout(r, 20));
    const second = scan().slice(6).map((e) => functions.detector(e));
    const all = await Promise.all([...first, ...second]);
    expect(new Set(all.map((o) => o.batch?.batchId)).size).toBe(2);
    expect(events("quarantine-batch").map((l) => l.messages)).toEqual([6, 6]);
  });

  it("a store failure fails every message of the batch, so Pub/Sub redelivers them", async () => {
    const { functions, fs, events } = setup();
    fs.failNext(googleError(14, "14 UNAVAILABLE: connection reset"));
    const results = await Promise.allSettled(scan().slice(0, 3).map((e) => functions.detector(e)));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/UNAVAILABLE/);
    expect(events("quarantine-batch-failed")[0]).toMatchObject({ severity: "ERROR", messages: 3, messageIds: ["m-0", "m-1", "m-2"] });
    // Redelivered, they go through.
    const again = await Promise.all(scan().slice(0, 3).map((e) => functions.detector(e)));
    expect(again[0].batch?.records).toBe(3);
  });

  it("a full batch starts at once", async () => {
    const fs = fakeFirestore();
    const store = (await import("../../../../functions/gcp/quarantine/firestore-store")).firestoreQuarantineStore(fs.db, { now: () => NOW });
    const never = { readRules: () => Promise.reject(new Error("x")), healthyTargets: () => Promise.reject(new Error("x")), apply: () => Promise.reject(new Error("x")) };
    const handler = createDetectorHandler(env, { store, steering: never, copies: { setDesired: async () => undefined, getDesired: async () => 0 } }, { now: () => NOW, batchWaitMs: 60_000, batchMaxRecords: 2 });
    const outcomes = await Promise.all(scan().slice(0, 4).map((e) => handler(e)));
    expect(new Set(outcomes.map((o) => o.batch?.batchId)).size).toBe(2);
  });
});

describe("mode", () => {
  it("steers the quarantined scanner in Defence Mode, and a second tick changes nothing", async () => {
    const { functions, armor, events } = setup();
    await Promise.all(scan().map((e) => functions.detector(e)));
    const { r, res } = response();
    const summary = await functions.mode({ method: "POST", headers: { "x-cloudscheduler-scheduletime": "2026-12-04T13:01:00Z" } }, res);
    expect(r.code).toBe(200);
    expect(summary).toMatchObject({ mode: "defence", copies: 2, rules: { skipped: false, steered: 1, changes: [{ kind: "create", priority: 1000, cidrs: [`${SCANNER}/32`] }] } });
    expect(armor.lure()).toEqual({ 1000: [`${SCANNER}/32`] });
    expect(events("quarantine-tick")[0]).toMatchObject({ severity: "INFO", function: "quarantine-mode" });
    const writes = armor.writes().length;
    const second = response();
    await functions.mode({ method: "GET", headers: {} }, second.res);
    expect(second.r.code).toBe(200);
    expect(armor.writes()).toHaveLength(writes);
  });

  it("405 for other methods; 500 with the error when the tick fails", async () => {
    const { functions, fs, events } = setup();
    const a = response();
    await functions.mode({ method: "DELETE" }, a.res);
    expect(a.r.code).toBe(405);
    fs.failNext(googleError(7, "7 PERMISSION_DENIED: Missing or insufficient permissions."));
    const b = response();
    await functions.mode({ method: "POST" }, b.res);
    expect(b.r.code).toBe(500);
    expect(b.r.body).toMatchObject({ error: "FirestoreStoreError" });
    expect(events("quarantine-tick-failed")[0]).toMatchObject({ severity: "ERROR" });
  });
});

it("the entry points are the contract's", () => {
  expect(GCP_QUARANTINE_ENTRY_POINTS).toEqual({ detector: "quarantineDetector", mode: "quarantineMode" });
});
