/**
 * The Google Cloud Quarantine detector: a CloudEvent function on the Pub/Sub topic the load
 * balancer's log sink writes to. Each event is one Pub/Sub message whose `data` is the base64 of
 * ONE Cloud Logging LogEntry (JSON) of the load balancer's request log.
 *
 * Per message: decode → `parseGcpLbEntry` (entries of another resource type or forwarding rule are
 * `ignored`; broken ones `malformed`) → `httpFlowRecord` → the engine's `processRecords`.
 *
 * Batching. One log entry per message means one invocation per HTTP request; with the service's
 * per-instance concurrency, the invocations an instance receives within {@link BATCH_WAIT_MS} (or
 * up to {@link BATCH_MAX_RECORDS}) are fed to the engine as ONE batch, and batches of an instance run
 * one after another (the warm detector is not shared by two at once). Each invocation waits for its
 * batch and ends with it: acknowledged when the batch is stored, failed (so Pub/Sub redelivers it)
 * when the batch failed. A scan's hundreds of requests thus cost a few store transactions, not one
 * per request on the same source document.
 *
 * Steering. `reconcileOnBatch` is off by default: the detector writes the store only (and raises the
 * copies when Defence Mode begins); the mode function, every minute and under the lease, changes the
 * Cloud Armor rules. So the detector needs no Compute permission, and its run time stays short of the
 * Pub/Sub acknowledgement deadline. The price is up to a minute between a detection and its rule.
 *
 * Outcomes: a message that makes no record (not a Pub/Sub event, data not base64 JSON, an entry
 * `parseGcpLbEntry` refuses or ignores) is skipped and counted: one `quarantine-skip` line (warn for
 * malformed, info for ignored), and the invocation succeeds (Pub/Sub must not redeliver it). A store
 * or API failure is logged (`quarantine-batch-failed`) and rethrown, so Pub/Sub redelivers the
 * message; the subscription's dead-letter topic takes what keeps failing. One `quarantine-batch`
 * line per batch.
 */
import { randomUUID } from "node:crypto";
import { ScanDetector } from "../../core/detector";
import { parseGcpLbEntry, emptyGcpLbParseStats, type GcpLbParseStats } from "../../core/gcp-lb-log";
import { httpFlowRecord } from "../../core/http-scan";
import { errorFields, type Log, type LogLevel } from "../../core/log";
import { processRecords, type BatchReport } from "../../core/quarantine";
import type { FlowRecord } from "../../core/quarantine-types";
import type { GcpQuarantineEnv } from "./env";
import { engineLog, wallClock, type GcpQuarantineDeps, type HandlerOptions } from "./handler-support";

/** Longest an invocation waits for others to join its batch. */
export const BATCH_WAIT_MS = 200;
/** Records of one batch at most (a full batch starts at once). */
export const BATCH_MAX_RECORDS = 500;

/** A CloudEvent as the Functions Framework passes it (the parts read). */
export interface CloudEventLike {
  readonly id?: string;
  readonly type?: string;
  readonly data?: unknown;
}

/** Why a message made no record. */
export type SkipReason = "not-pubsub" | "not-base64-json" | "malformed-entry" | "ignored-entry";

/** What one message did. */
export interface MessageOutcome {
  readonly eventId: string;
  readonly messageId?: string;
  readonly skipped?: SkipReason;
  readonly parse: GcpLbParseStats;
  /** The batch the record went into (absent when skipped). */
  readonly batch?: BatchSummary;
}

/** One batch as logged (`quarantine-batch`). */
export interface BatchSummary {
  readonly batchId: string;
  readonly messages: number;
  readonly records: number;
  readonly allowListed: number;
  readonly evaluatedSources: number;
  readonly detections: readonly { readonly src: string; readonly reason: string; readonly probes: number; readonly time: number }[];
  readonly withheld: number;
  readonly remembered: readonly string[];
  readonly refreshed: number;
  readonly conflicts: number;
  readonly enteredDefence: boolean;
  readonly ms: number;
}

export interface DetectorOptions extends HandlerOptions {
  /** @default BATCH_WAIT_MS */
  readonly batchWaitMs?: number;
  /** @default BATCH_MAX_RECORDS */
  readonly batchMaxRecords?: number;
  /** Reconcile the rules in the detector too (see the file header). @default false */
  readonly reconcileOnBatch?: boolean;
}

interface Pending {
  readonly records: FlowRecord[];
  readonly messages: string[];
  readonly done: Promise<BatchSummary>;
  resolve(s: BatchSummary): void;
  reject(e: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
}

/** The decoded LogEntry of a Pub/Sub CloudEvent, or why there is none. */
export function decodePubSubEvent(event: unknown): { entry: unknown; messageId?: string } | { skipped: "not-pubsub" | "not-base64-json"; messageId?: string } {
  let data = (event as CloudEventLike | undefined)?.data;
  if (typeof data === "string") {
    try {
      data = JSON.parse(data) as unknown;
    } catch {
      return { skipped: "not-pubsub" };
    }
  }
  const message = typeof data === "object" && data !== null ? (data as { message?: unknown }).message : undefined;
  if (typeof message !== "object" || message === null) return { skipped: "not-pubsub" };
  const m = message as { data?: unknown; messageId?: unknown; message_id?: unknown };
  const id = typeof m.messageId === "string" ? m.messageId : typeof m.message_id === "string" ? m.message_id : undefined;
  const messageId = id !== undefined ? { messageId: id } : {};
  if (typeof m.data !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(m.data) || m.data === "") return { skipped: "not-base64-json", ...messageId };
  try {
    return { entry: JSON.parse(Buffer.from(m.data, "base64").toString("utf8")) as unknown, ...messageId };
  } catch {
    return { skipped: "not-base64-json", ...messageId };
  }
}

/** The detector handler of one instance (its own warm detector and batcher) over these deps. */
export function createDetectorHandler(env: GcpQuarantineEnv, deps: GcpQuarantineDeps, options: DetectorOptions = {}) {
  const now = options.now ?? wallClock;
  const log: Log = options.log ?? (() => undefined);
  const waitMs = options.batchWaitMs ?? BATCH_WAIT_MS;
  const maxRecords = options.batchMaxRecords ?? BATCH_MAX_RECORDS;
  const { config } = env;
  // Throws at cold start on options the detector refuses (each named).
  const detector = new ScanDetector(config.detector);
  let open: Pending | undefined;
  /** The batches of this instance run one after another. */
  let tail: Promise<void> = Promise.resolve();

  async function run(p: Pending): Promise<BatchSummary> {
    const started = Date.now();
    // Unique across instances: it is the lease owner when the batch reconciles.
    const batchId = `${p.messages[0] ?? "batch"}+${p.messages.length - 1}/${randomUUID()}`;
    let report: BatchReport;
    try {
      report = await processRecords(p.records, { ...deps, config, owner: batchId, detector, log: engineLog(log, { batchId }), reconcileOnBatch: options.reconcileOnBatch ?? false }, now());
    } catch (err) {
      log("error", "quarantine-batch-failed", { batchId, messages: p.messages.length, records: p.records.length, messageIds: p.messages, ...errorFields(err) });
      throw err;
    }
    const summary: BatchSummary = {
      batchId,
      messages: p.messages.length,
      records: report.records,
      allowListed: report.allowListed,
      evaluatedSources: report.evaluatedSources,
      detections: report.detections.map((d) => ({ src: d.src, reason: d.reason, probes: d.probes, time: d.time })),
      withheld: report.withheld.length,
      remembered: report.remembered.map((r) => r.src),
      refreshed: report.refreshed,
      conflicts: report.conflicts,
      enteredDefence: report.enteredDefence,
      ms: Date.now() - started,
    };
    log("info", "quarantine-batch", { ...summary });
    return summary;
  }

  function close(p: Pending): void {
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (open === p) open = undefined;
    tail = tail.then(() => run(p).then(p.resolve, p.reject));
  }

  function join(record: FlowRecord, messageId: string): Promise<BatchSummary> {
    if (!open) {
      let resolve!: (s: BatchSummary) => void;
      let reject!: (e: unknown) => void;
      const done = new Promise<BatchSummary>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const p: Pending = { records: [], messages: [], done, resolve, reject };
      p.timer = setTimeout(() => close(p), waitMs);
      open = p;
    }
    const p = open;
    p.records.push(record);
    p.messages.push(messageId);
    if (p.records.length >= maxRecords) close(p);
    return p.done;
  }

  return async function detectorHandler(event: unknown): Promise<MessageOutcome> {
    const eventId = (event as CloudEventLike | undefined)?.id ?? "unknown";
    const parse = emptyGcpLbParseStats();
    const decoded = decodePubSubEvent(event);
    const messageId = decoded.messageId;
    const ids = { eventId, ...(messageId !== undefined ? { messageId } : {}) };
    const skip = (skipped: SkipReason, level: LogLevel): MessageOutcome => {
      log(level, "quarantine-skip", { ...ids, skipped, parse });
      return { ...ids, skipped, parse };
    };
    if ("skipped" in decoded) {
      parse.lines++;
      parse.malformed++;
      return skip(decoded.skipped, "warn");
    }
    const record = parseGcpLbEntry(decoded.entry, parse, { forwardingRule: env.forwardingRule.id });
    if (record === undefined) return parse.malformed > 0 ? skip("malformed-entry", "warn") : skip("ignored-entry", "info");
    const batch = await join(httpFlowRecord(record), messageId ?? eventId);
    return { ...ids, parse, batch };
  };
}
