/**
 * The core of the Azure detector: one Event Grid `BlobCreated` event of the VNet flow log → the flow
 * records its commit added, and the cursor update that marks them read. The blob reader and the
 * cursor store are injected; nothing here knows an SDK.
 *
 * ```ts
 * for (let more = true; more; ) {
 *   const read = await readFlowEvent(message, { blobs, cursors, flowLogUrl }, now);
 *   if (read.kind === "skip") break;                 // counted by reason
 *   await processRecords(read.records, deps, now);   // at least once: before the cursor moves
 *   more = (await read.commit()) === "written" && read.more;
 * }
 * ```
 *
 * Blob framing (an assumption: the flow-log docs say only that the blob is appended to every
 * minute). A PT1H.json is `{"records":[` + records separated by commas + `]}`, and each commit
 * (`PutBlockList`) inserts new record blocks before the closing `]}` block. So the blob is read by
 * byte offset: the cursor is where the unread bytes begin, and `[cursor, contentLength)` of the
 * event is downloaded. After a slice that ends with the document's closing, the cursor is the byte
 * position of that closing `]` (never "read": the next commit's leading `,{...}` is written there);
 * otherwise it is the end of the slice.
 *
 * Every offset is a byte offset of the UTF-8 blob, never a string index. The slice is scanned in
 * bytes (a `{`, `[`, `]`, `}` or `"` byte is never part of a multi-byte character), and cut only
 * before an ASCII `{`.
 *
 * A slice that ends inside a record (a reader that saw the blob before a later block was committed,
 * or an event whose `contentLength` ends mid-block): the slice is cut at that record's first byte,
 * only the whole records before it are parsed, and the cursor stops there, so the record is read
 * whole with a later event. It is therefore not counted `malformed`; the read says `incompleteTail`.
 *
 * Events can arrive twice, out of order, or for a length already read: an event whose
 * `contentLength` is at or before the cursor is skipped (`already-read`); one beyond it reads
 * everything up to its length, so an earlier event arriving later finds nothing new.
 *
 * Delivery is at least once: the caller hands the records to the engine before `commit()`, so a
 * crash in between reads them again (the detector counts a repeated target once). The cursor write
 * is conditional on the version read: `"conflict"` means another invocation moved the cursor
 * meanwhile (it read the same bytes, or later ones); the caller logs it and stops.
 */
import { parseVnetFlowSlice, emptyVnetParseStats, type VnetParseStats } from "../../core/vnet-flow";
import type { FlowRecord } from "../../core/quarantine-types";
import { ConflictError } from "../../core/quarantine-types";
import type { FlowCursorStore } from "./contract";

/** Reads a byte range of a blob; `undefined` when the blob (or that range) is gone. */
export interface BlobRangeReader {
  read(blobName: string, offset: number, count: number): Promise<Uint8Array | undefined>;
}

export interface FlowReaderDeps {
  readonly blobs: BlobRangeReader;
  readonly cursors: FlowCursorStore;
  /** `LURE_FLOW_LOG_URL` (the container's URL): events for any other blob are skipped. */
  readonly flowLogUrl: string;
  /** Most bytes downloaded at once; a longer range is read in several rounds (`more`). @default MAX_READ_BYTES */
  readonly maxReadBytes?: number;
  /** How long a cursor outlives its last write. @default CURSOR_TTL_SECONDS */
  readonly cursorTtlSeconds?: number;
}

/** 16 MiB: a few minutes of a busy VNet's records, far below the Consumption plan's 1.5 GB. */
export const MAX_READ_BYTES = 16 * 1024 * 1024;
/**
 * Seven days: longer than Event Grid retries an event (24 hours by default), so a late duplicate
 * still finds the cursor and is skipped instead of re-reading the blob from its start.
 */
export const CURSOR_TTL_SECONDS = 7 * 24 * 3600;

/** Why an event read nothing. */
export type FlowSkipReason =
  /** Not an Event Grid event (nor a string or base64 of one), or no usable `data.url`/`data.contentLength`. */
  | "malformed-event"
  /** An event of another type (e.g. BlobDeleted). */
  | "not-blob-created"
  /** A blob outside `LURE_FLOW_LOG_URL`. */
  | "foreign-blob"
  /** `contentLength` at or before the cursor: a duplicate or an out-of-order event. */
  | "already-read"
  /** The blob, or the range, no longer exists (deleted by retention, or shorter than the event said). */
  | "blob-gone"
  /** The range held only part of one record: read whole with a later event. */
  | "incomplete-record";

/** What the event names. */
export interface FlowEvent {
  /** The blob's name inside the container (URL-decoded). */
  readonly blobName: string;
  /** Blob size after the commit the event reports, in bytes. */
  readonly contentLength: number;
  /** `data.api`, e.g. "PutBlockList". */
  readonly api?: string;
}

export type FlowRead =
  | { readonly kind: "skip"; readonly reason: FlowSkipReason; readonly blobName?: string; readonly detail?: string }
  | {
      readonly kind: "read";
      readonly blobName: string;
      /** Bytes `[from, to)` were downloaded. */
      readonly from: number;
      readonly to: number;
      readonly records: FlowRecord[];
      readonly stats: VnetParseStats;
      /** The slice ended with the document's closing. */
      readonly closed: boolean;
      /** The slice ended inside a record; the cursor stops at its start. */
      readonly incompleteTail: boolean;
      /** The cursor `commit()` writes. */
      readonly nextOffset: number;
      /** Bytes up to the event's `contentLength` remain (the read was capped by `maxReadBytes`). */
      readonly more: boolean;
      /** Writes the cursor (conditional on the version read); `"unchanged"`: nothing to write. */
      commit(): Promise<"written" | "unchanged" | "conflict">;
    };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The queue message as an object: the host may hand over the JSON text, or its base64. */
function messageObject(message: unknown): Json | undefined {
  if (isObject(message)) return message;
  if (typeof message !== "string" && !(message instanceof Uint8Array)) return undefined;
  const text = typeof message === "string" ? message : Buffer.from(message).toString("utf8");
  for (const candidate of [text, Buffer.from(text, "base64").toString("utf8")]) {
    try {
      const v: unknown = JSON.parse(candidate);
      // Event Grid may deliver a one-event array.
      const one = Array.isArray(v) && v.length === 1 ? v[0] : v;
      if (isObject(one)) return one;
    } catch {
      // Not this encoding; try the next.
    }
  }
  return undefined;
}

/** The event's blob name and length, or why it is skipped. Event Grid and CloudEvents schemas both accepted. */
export function parseFlowEvent(message: unknown, flowLogUrl: string): { ok: true; event: FlowEvent } | { ok: false; reason: FlowSkipReason; detail: string } {
  const e = messageObject(message);
  if (!e) return { ok: false, reason: "malformed-event", detail: "not a JSON object" };
  const type = e.eventType ?? e.type;
  if (type !== "Microsoft.Storage.BlobCreated") return { ok: false, reason: "not-blob-created", detail: `event type ${JSON.stringify(type)}` };
  const data = e.data;
  if (!isObject(data) || typeof data.url !== "string") return { ok: false, reason: "malformed-event", detail: "no data.url" };
  const length = data.contentLength;
  if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) return { ok: false, reason: "malformed-event", detail: `data.contentLength ${JSON.stringify(length)}` };
  const blobName = blobNameIn(data.url, flowLogUrl);
  if (blobName === undefined) return { ok: false, reason: "foreign-blob", detail: data.url };
  return { ok: true, event: { blobName, contentLength: length, ...(typeof data.api === "string" ? { api: data.api } : {}) } };
}

/** The blob's name when `url` is a blob inside the container `containerUrl`, else undefined. */
export function blobNameIn(url: string, containerUrl: string): string | undefined {
  let u: URL;
  let c: URL;
  try {
    u = new URL(url);
    c = new URL(containerUrl);
  } catch {
    return undefined;
  }
  // Host names are case-insensitive (URL lowercases them); container and blob names are not.
  if (u.protocol !== c.protocol || u.host !== c.host || u.search !== "") return undefined;
  const prefix = c.pathname.replace(/\/+$/, "") + "/";
  if (!u.pathname.startsWith(prefix) || u.pathname.length === prefix.length) return undefined;
  try {
    return decodeURIComponent(u.pathname.slice(prefix.length));
  } catch {
    return undefined;
  }
}

/** Where the records of a slice begin: after the document's opening `{"records":[` when the slice starts with it, else 0. */
function recordsStart(b: Uint8Array): number {
  let p = 0;
  const ws = () => {
    while (p < b.length && (b[p] === 32 || b[p] === 9 || b[p] === 10 || b[p] === 13)) p++;
  };
  const expect = (text: string): boolean => {
    for (let i = 0; i < text.length; i++) if (b[p + i] !== text.charCodeAt(i)) return false;
    p += text.length;
    return true;
  };
  ws();
  if (!expect("{")) return 0;
  ws();
  if (!expect('"records"')) return 0;
  ws();
  if (!expect(":")) return 0;
  ws();
  return expect("[") ? p : 0;
}

/** Byte positions in a slice: the document's closing `]`, and the start of a record left open at the end. */
export interface SliceBounds {
  /** Position of the closing `]` of the records array, when the slice reaches it. */
  readonly closingAt?: number;
  /** Position of the `{` of the last record, when the slice ends inside it. */
  readonly openRecordAt?: number;
  /** Where records begin: after the document's opening when the slice starts with it, else 0. */
  readonly recordsFrom: number;
}

/** Scans a slice's bytes at the records' level (strings and escapes respected). */
export function sliceBounds(b: Uint8Array): SliceBounds {
  let depth = 0;
  let inString = false;
  let recordAt = -1;
  const recordsFrom = recordsStart(b);
  for (let i = recordsFrom; i < b.length; i++) {
    const c = b[i];
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (depth === 0) recordAt = i;
      depth++;
    } else if (c === 125 || c === 93) {
      depth--;
      if (depth < 0) return c === 93 ? { closingAt: i, recordsFrom } : { recordsFrom };
    }
  }
  return depth > 0 && recordAt >= 0 ? { openRecordAt: recordAt, recordsFrom } : { recordsFrom };
}

/** Reads what one event's commit added (or the next `maxReadBytes` of it); see the file header. */
export async function readFlowEvent(message: unknown, deps: FlowReaderDeps, now: number): Promise<FlowRead> {
  const parsed = parseFlowEvent(message, deps.flowLogUrl);
  if (!parsed.ok) return { kind: "skip", reason: parsed.reason, detail: parsed.detail };
  const { blobName, contentLength } = parsed.event;
  const cursor = await deps.cursors.getCursor(blobName);
  const from = cursor.value.offset;
  if (contentLength <= from) return { kind: "skip", reason: "already-read", blobName, detail: `contentLength ${contentLength}, cursor ${from}` };

  const max = deps.maxReadBytes ?? MAX_READ_BYTES;
  const count = Math.min(contentLength - from, max);
  const bytes = await deps.blobs.read(blobName, from, count);
  if (bytes === undefined) return { kind: "skip", reason: "blob-gone", blobName, detail: `range ${from}+${count}` };
  const to = from + bytes.length;
  const capped = to < contentLength;

  const bounds = sliceBounds(bytes);
  let end = bytes.length;
  let nextOffset = to;
  if (bounds.closingAt !== undefined) {
    // The closing is replaced by the next commit's blocks: the cursor stays on it.
    nextOffset = from + bounds.closingAt;
  } else if (bounds.openRecordAt !== undefined) {
    end = bounds.openRecordAt;
    nextOffset = from + end;
    if (end === bounds.recordsFrom) {
      // Not one whole record: wait for more bytes, unless the cap is what cut it.
      if (capped) throw new Error(`flow log blob ${blobName}: a record at byte ${from} is longer than maxReadBytes (${max})`);
      return { kind: "skip", reason: "incomplete-record", blobName, detail: `bytes ${from}–${to}` };
    }
  }
  const records: FlowRecord[] = [];
  const stats = emptyVnetParseStats();
  // The document's closing is parsed with the records (when a commit's slice has it), so `closed` is the parser's.
  const info = parseVnetFlowSlice(end === bytes.length ? bytes : bytes.subarray(0, end), (r) => records.push(r), stats);
  const ttl = deps.cursorTtlSeconds ?? CURSOR_TTL_SECONDS;
  return {
    kind: "read",
    blobName,
    from,
    to,
    records,
    stats,
    closed: info.closed,
    incompleteTail: bounds.openRecordAt !== undefined,
    nextOffset,
    more: capped && bounds.closingAt === undefined,
    async commit() {
      if (nextOffset === from) return "unchanged";
      try {
        await deps.cursors.putCursor(blobName, { offset: nextOffset, updatedAt: now }, cursor.version, now + ttl);
        return "written";
      } catch (e) {
        if (e instanceof ConflictError) return "conflict";
        throw e;
      }
    },
  };
}
