import { blobNameIn, CURSOR_TTL_SECONDS, parseFlowEvent, readFlowEvent, sliceBounds, type FlowReaderDeps } from "../../../../functions/azure/quarantine/flow-reader";
import { containerBlobReader } from "../../../../functions/azure/quarantine/flow-blobs";
import { BLOB, BLOB_URL, blobCreated, commits, denied, FLOW_URL, flowRecord, MemoryAzureStore, memoryBlobs } from "./fakes";

const NOW = 1_800_000_000;
const MS = NOW * 1000;
const SCANNER = "203.0.113.5";

function setup(maxReadBytes?: number) {
  const store = new MemoryAzureStore(() => NOW);
  const blobs = memoryBlobs();
  const deps: FlowReaderDeps = { blobs, cursors: store, flowLogUrl: FLOW_URL, ...(maxReadBytes !== undefined ? { maxReadBytes } : {}) };
  return { store, blobs, deps };
}

/** Reads and commits one event; the records' destination ports. */
async function readAll(message: unknown, deps: FlowReaderDeps) {
  const read = await readFlowEvent(message, deps, NOW);
  if (read.kind === "skip") return { read, ports: [] as number[], commit: undefined };
  const commit = await read.commit();
  return { read, ports: read.records.map((r) => r.dport), commit };
}

const rec = (ports: number[], mac?: string) => flowRecord(ports.map((p, i) => denied(SCANNER, p, MS + i * 1000)), mac);

describe("readFlowEvent: commits read by byte offset", () => {
  test("three commits, each event reads only its new records; the cursor sits on the closing ]", async () => {
    const { store, blobs, deps } = setup();
    const [c1, c2, c3] = commits([rec([21, 22])], [rec([23]), rec([24])], [rec([25])]);
    blobs.blobs.set(BLOB, c1);
    const a = await readAll(blobCreated(c1.length), deps);
    expect(a.ports).toEqual([21, 22]);
    expect(a.read).toMatchObject({ kind: "read", from: 0, to: c1.length, closed: true, incompleteTail: false, nextOffset: c1.length - 2, more: false });
    expect(a.commit).toBe("written");
    expect(store.cursors.get(BLOB)).toEqual({ cursor: { offset: c1.length - 2, updatedAt: NOW }, version: 1, expiresAt: NOW + CURSOR_TTL_SECONDS });

    blobs.blobs.set(BLOB, c2);
    const b = await readAll(blobCreated(c2.length), deps);
    expect(b.ports).toEqual([23, 24]);
    expect(b.read).toMatchObject({ from: c1.length - 2, to: c2.length, nextOffset: c2.length - 2 });
    expect(b.read.kind === "read" && b.read.stats.malformed).toBe(0);

    blobs.blobs.set(BLOB, c3);
    expect((await readAll(blobCreated(c3.length), deps)).ports).toEqual([25]);
    expect(blobs.reads).toEqual([
      { blobName: BLOB, offset: 0, count: c1.length },
      { blobName: BLOB, offset: c1.length - 2, count: c2.length - c1.length + 2 },
      { blobName: BLOB, offset: c2.length - 2, count: c3.length - c2.length + 2 },
    ]);
  });

  test("a duplicate event is skipped without a download", async () => {
    const { blobs, deps } = setup();
    const [c1] = commits([rec([21])]);
    blobs.blobs.set(BLOB, c1);
    await readAll(blobCreated(c1.length), deps);
    // The cursor is on the closing: the same length again reads the 2-byte closing and moves nothing.
    const again = await readFlowEvent(blobCreated(c1.length), deps, NOW);
    expect(again.kind === "read" && { records: again.records.length, next: again.nextOffset, from: again.from }).toEqual({ records: 0, next: c1.length - 2, from: c1.length - 2 });
    expect(again.kind === "read" && (await again.commit())).toBe("unchanged");
    const shorter = await readFlowEvent(blobCreated(c1.length - 2), deps, NOW);
    expect(shorter).toEqual({ kind: "skip", reason: "already-read", blobName: BLOB, detail: `contentLength ${c1.length - 2}, cursor ${c1.length - 2}` });
    expect(blobs.reads).toHaveLength(2);
  });

  test("out of order: the later event reads both commits, the earlier one then reads nothing", async () => {
    const { blobs, deps } = setup();
    const [c1, c2] = commits([rec([21])], [rec([22])]);
    blobs.blobs.set(BLOB, c2);
    expect((await readAll(blobCreated(c2.length), deps)).ports).toEqual([21, 22]);
    const early = await readFlowEvent(blobCreated(c1.length), deps, NOW);
    expect(early).toMatchObject({ kind: "skip", reason: "already-read" });
  });

  test("multi-byte UTF-8 before the cut: offsets are bytes, not string indices", async () => {
    const { store, blobs, deps } = setup();
    const wide = { ...rec([21]), note: "Größe — 試験 🚀" };
    const [c1, c2] = commits([wide], [rec([22])]);
    expect(c1.length).toBeGreaterThan(c1.toString("utf8").length);
    blobs.blobs.set(BLOB, c1);
    expect((await readAll(blobCreated(c1.length), deps)).ports).toEqual([21]);
    expect(store.cursors.get(BLOB)?.cursor.offset).toBe(c1.length - 2);
    blobs.blobs.set(BLOB, c2);
    const b = await readAll(blobCreated(c2.length), deps);
    expect(b.ports).toEqual([22]);
    expect(b.read.kind === "read" && b.read.stats.malformed).toBe(0);
  });

  test("a range that ends inside a record: the whole records before it are read, the cursor stops at its first byte, nothing is malformed", async () => {
    const { store, blobs, deps } = setup();
    const [, c2] = commits([rec([21])], [rec([22, 23])]);
    blobs.blobs.set(BLOB, c2);
    const second = c2.indexOf(',{"time"', 12);
    const cut = second + 40;
    const a = await readAll(blobCreated(cut), deps);
    expect(a.ports).toEqual([21]);
    expect(a.read).toMatchObject({ incompleteTail: true, closed: false, nextOffset: second + 1, to: cut });
    expect(a.read.kind === "read" && a.read.stats.malformed).toBe(0);
    expect(store.cursors.get(BLOB)?.cursor.offset).toBe(second + 1);
    // The full length later: the record is read whole.
    const b = await readAll(blobCreated(c2.length), deps);
    expect(b.ports).toEqual([22, 23]);
    expect(b.read.kind === "read" && b.read.stats.malformed).toBe(0);
  });

  test("a range holding only part of one record is skipped and moves nothing", async () => {
    const { store, blobs, deps } = setup();
    const [c1] = commits([rec([21])]);
    blobs.blobs.set(BLOB, c1);
    const read = await readFlowEvent(blobCreated(30), deps, NOW);
    expect(read).toMatchObject({ kind: "skip", reason: "incomplete-record", blobName: BLOB });
    expect(store.cursors.size).toBe(0);
  });

  test("maxReadBytes: a long range is read in rounds cut at record starts, none lost", async () => {
    const { blobs, deps } = setup(700);
    const [c1] = commits(Array.from({ length: 6 }, (_, i) => rec([30 + i])));
    expect(c1.length).toBeGreaterThan(2000);
    blobs.blobs.set(BLOB, c1);
    const ports: number[] = [];
    for (let round = 0; round < 20; round++) {
      const read = await readFlowEvent(blobCreated(c1.length), deps, NOW);
      if (read.kind === "skip") break;
      ports.push(...read.records.map((r) => r.dport));
      expect(read.to - read.from).toBeLessThanOrEqual(700);
      expect(await read.commit()).toBe("written");
      if (!read.more) break;
    }
    expect(ports).toEqual([30, 31, 32, 33, 34, 35]);
  });

  test("a record longer than maxReadBytes is an error (the message is retried, then poisoned), not a skip", async () => {
    const { blobs, deps } = setup(100);
    const [c1] = commits([rec([21, 22, 23])]);
    blobs.blobs.set(BLOB, c1);
    await expect(readFlowEvent(blobCreated(c1.length), deps, NOW)).rejects.toThrow("longer than maxReadBytes (100)");
  });

  test("cursor conflict: another invocation moved the cursor after this one read it", async () => {
    const { store, blobs, deps } = setup();
    const [c1] = commits([rec([21])]);
    blobs.blobs.set(BLOB, c1);
    const read = await readFlowEvent(blobCreated(c1.length), deps, NOW);
    store.beforeNextPut = () => void store.cursors.set(BLOB, { cursor: { offset: c1.length - 2, updatedAt: NOW }, version: 99, expiresAt: NOW + 1 });
    expect(read.kind === "read" && (await read.commit())).toBe("conflict");
    expect(store.cursors.get(BLOB)?.version).toBe(99);
  });

  test("the blob is gone (retention): skipped and counted", async () => {
    const { deps } = setup();
    expect(await readFlowEvent(blobCreated(500), deps, NOW)).toEqual({ kind: "skip", reason: "blob-gone", blobName: BLOB, detail: "range 0+500" });
  });
});

describe("parseFlowEvent", () => {
  const ok = { ok: true, event: { blobName: BLOB, contentLength: 1234, api: "PutBlockList" } };
  test.each([
    ["the event object", blobCreated(1234)],
    ["its JSON text", JSON.stringify(blobCreated(1234))],
    ["its base64", Buffer.from(JSON.stringify(blobCreated(1234))).toString("base64")],
    ["a one-event array", JSON.stringify([blobCreated(1234)])],
    ["a CloudEvents event", { type: "Microsoft.Storage.BlobCreated", source: "x", data: blobCreated(1234).data }],
  ])("accepts %s", (_n, message) => {
    expect(parseFlowEvent(message, FLOW_URL)).toEqual(ok);
  });

  test.each([
    ["not JSON", "not json at all", "malformed-event"],
    ["a number", 42, "malformed-event"],
    ["a BlobDeleted event", { ...blobCreated(1), eventType: "Microsoft.Storage.BlobDeleted" }, "not-blob-created"],
    ["no contentLength", { ...blobCreated(1), data: { url: BLOB_URL } }, "malformed-event"],
    ["a negative contentLength", { ...blobCreated(1), data: { url: BLOB_URL, contentLength: -1 } }, "malformed-event"],
    ["another container", blobCreated(1, "https://lureflow.blob.core.windows.net/insights-logs-other/x.json"), "foreign-blob"],
    ["another account", blobCreated(1, `https://evil.blob.core.windows.net/insights-logs-flowlogflowevent/${BLOB}`), "foreign-blob"],
    ["the container itself", blobCreated(1, `${FLOW_URL}/`), "foreign-blob"],
    ["a container whose name only starts the same", blobCreated(1, `${FLOW_URL}2/x.json`), "foreign-blob"],
  ])("skips %s", (_n, message, reason) => {
    expect(parseFlowEvent(message, FLOW_URL)).toMatchObject({ ok: false, reason });
  });

  test("a foreign event reads nothing and writes no cursor", async () => {
    const { store, blobs, deps } = setup();
    expect(await readFlowEvent(blobCreated(10, "https://evil.blob.core.windows.net/c/b"), deps, NOW)).toMatchObject({ kind: "skip", reason: "foreign-blob" });
    expect(blobs.reads).toEqual([]);
    expect(store.cursors.size).toBe(0);
  });

  test("blob names are URL-decoded; the host is compared without case", () => {
    expect(blobNameIn("https://LUREFLOW.blob.core.windows.net/insights-logs-flowlogflowevent/a%20b/PT1H.json", FLOW_URL)).toBe("a b/PT1H.json");
  });
});

describe("sliceBounds", () => {
  const b = (s: string) => Buffer.from(s, "utf8");
  test.each([
    ['{"records":[{"a":1},{"b":"]}"}]}', { closingAt: 30, recordsFrom: 12 }],
    [',{"a":"}"}]}', { closingAt: 10, recordsFrom: 0 }],
    [',{"a":1},{"b":[1,', { openRecordAt: 9, recordsFrom: 0 }],
    ['{"records":[{"a":"\\"}', { openRecordAt: 12, recordsFrom: 12 }],
    [',{"a":1}', { recordsFrom: 0 }],
    [' { "records" : [ ', { recordsFrom: 16 }],
  ])("%s", (text, bounds) => {
    expect(sliceBounds(b(text))).toEqual(bounds);
  });
});

describe("containerBlobReader", () => {
  const fail = (statusCode: number, code: string) => Object.assign(new Error(code), { statusCode, code });
  const container = (result: () => Promise<Buffer>) => {
    const calls: unknown[][] = [];
    return {
      calls,
      getBlobClient(name: string) {
        return {
          downloadToBuffer: (offset?: number, count?: number) => {
            calls.push([name, offset, count]);
            return result();
          },
        };
      },
    };
  };

  test("one ranged download of the named blob", async () => {
    const c = container(async () => Buffer.from("abc"));
    expect((await containerBlobReader(c).read(BLOB, 10, 3))?.toString()).toBe("abc");
    expect(c.calls).toEqual([[BLOB, 10, 3]]);
  });

  test("BlobNotFound and 416 read as gone; ContainerNotFound, 403 and 5xx are thrown", async () => {
    expect(await containerBlobReader(container(() => Promise.reject(fail(404, "BlobNotFound")))).read(BLOB, 0, 1)).toBeUndefined();
    expect(await containerBlobReader(container(() => Promise.reject(fail(416, "InvalidRange")))).read(BLOB, 0, 1)).toBeUndefined();
    for (const [s, c] of [[404, "ContainerNotFound"], [403, "AuthorizationPermissionMismatch"], [503, "ServerBusy"]] as const) {
      await expect(containerBlobReader(container(() => Promise.reject(fail(s, c)))).read(BLOB, 0, 1)).rejects.toMatchObject({ statusCode: s });
    }
  });
});
