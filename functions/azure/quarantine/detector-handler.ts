/**
 * The Azure Quarantine detector: a queue trigger on the Storage queue Event Grid writes the flow
 * log's `BlobCreated` events to (host.json `batchSize` 1). Each message is one commit of a PT1H.json:
 * the flow reader downloads the bytes it added (flow-reader.ts), the engine runs over their records
 * (`processRecords`, with `reconcileOnBatch: false`: a gateway PUT takes minutes, so the mode tick
 * steers within the minute), then the cursor moves. One `quarantine-batch` line per message.
 *
 * Outcomes: a message that reads nothing (malformed, another event type, a foreign blob, a length
 * already read, a blob gone, an incomplete record) is skipped and counted in the line (warn for the
 * ones that lose or refuse data, info for duplicates); a cursor conflict (another invocation read the
 * same bytes) is logged and ends the message; any other error is logged and rethrown, so the host
 * retries the message and then moves it to the poison queue.
 */
import { ScanDetector } from "../../core/detector";
import { processRecords } from "../../core/quarantine";
import { errorFields, type LogLevel } from "../../core/log";
import { emptyVnetParseStats, type VnetParseStats } from "../../core/vnet-flow";
import { invocationLog } from "../log";
import type { AzureQuarantineEnv } from "./env";
import { readFlowEvent, type FlowReaderDeps, type FlowSkipReason } from "./flow-reader";
import { engineLog, wallClock, type AzureQuarantineDeps, type HandlerContext, type HandlerOptions } from "./wiring";

/** What one message did; logged as one `quarantine-batch` line and returned. */
export interface DetectorSummary {
  readonly invocationId: string;
  readonly blobName?: string;
  /** Why nothing (more) was read, when that is so. */
  readonly skipped?: FlowSkipReason;
  readonly detail?: string;
  /** Ranges read (more than one when the range was longer than `maxReadBytes`). */
  readonly reads: number;
  readonly bytes: number;
  readonly parse: VnetParseStats;
  /** The last read ended inside a record (read whole with a later event). */
  readonly incompleteTail: boolean;
  /** How the last cursor write went. */
  readonly cursor?: "written" | "unchanged" | "conflict";
  readonly records: number;
  readonly allowListed: number;
  readonly evaluatedSources: number;
  readonly detections: readonly { readonly src: string; readonly reason: string; readonly probes: number; readonly time: number }[];
  readonly remembered: readonly string[];
  readonly refreshed: number;
  readonly conflicts: number;
  readonly enteredDefence: boolean;
  readonly ms: number;
}

export interface DetectorOptions extends HandlerOptions {
  /** @default MAX_READ_BYTES (flow-reader.ts) */
  readonly maxReadBytes?: number;
}

/** Skips that mean data was lost or refused (a duplicate or a partial record is expected now and then). */
const WARN_SKIPS = new Set<FlowSkipReason>(["malformed-event", "foreign-blob", "blob-gone"]);

function addStats(into: VnetParseStats, s: VnetParseStats): void {
  for (const k of Object.keys(into) as (keyof VnetParseStats)[]) into[k] += s[k];
}

/** The detector handler of one instance (its own warm detector) over these deps. */
export function createDetectorHandler(env: AzureQuarantineEnv, deps: AzureQuarantineDeps, options: DetectorOptions = {}) {
  const now = options.now ?? wallClock;
  const logOf = options.log ?? invocationLog;
  const { config } = env;
  // Throws at cold start on options the detector refuses (each named).
  const detector = new ScanDetector(config.detector);
  const reader: FlowReaderDeps = { blobs: deps.blobs, cursors: deps.store, flowLogUrl: env.flowLogUrl, ...(options.maxReadBytes !== undefined ? { maxReadBytes: options.maxReadBytes } : {}) };

  return async function detectorHandler(message: unknown, context: HandlerContext): Promise<DetectorSummary> {
    const started = Date.now();
    const log = logOf(context);
    const invocationId = context.invocationId;
    const parse = emptyVnetParseStats();
    const s = {
      reads: 0, bytes: 0, records: 0, allowListed: 0, evaluatedSources: 0, refreshed: 0, conflicts: 0, enteredDefence: false, incompleteTail: false,
      detections: [] as DetectorSummary["detections"][number][], remembered: [] as string[],
    };
    let blobName: string | undefined;
    let skipped: FlowSkipReason | undefined;
    let detail: string | undefined;
    let cursor: DetectorSummary["cursor"];
    try {
      for (let more = true; more; ) {
        const t = now();
        const read = await readFlowEvent(message, reader, t);
        if (read.kind === "skip") {
          // After a first round, "already-read" only means another invocation got there first.
          if (s.reads === 0 || read.reason !== "already-read") ({ reason: skipped, detail } = read);
          blobName ??= read.blobName;
          break;
        }
        blobName = read.blobName;
        s.reads++;
        s.bytes += read.to - read.from;
        s.incompleteTail = read.incompleteTail;
        addStats(parse, read.stats);
        if (read.records.length > 0) {
          // Before the cursor moves: a crash here reads the records again, never loses them.
          const report = await processRecords(read.records, { ...deps, config, owner: invocationId, detector, log: engineLog(log), reconcileOnBatch: false }, t);
          s.records += report.records;
          s.allowListed += report.allowListed;
          s.evaluatedSources += report.evaluatedSources;
          s.refreshed += report.refreshed;
          s.conflicts += report.conflicts;
          s.enteredDefence ||= report.enteredDefence;
          s.detections.push(...report.detections.map((d) => ({ src: d.src, reason: d.reason, probes: d.probes, time: d.time })));
          s.remembered.push(...report.remembered.map((r) => r.src));
        }
        cursor = await read.commit();
        if (cursor === "conflict") log("warn", "flow-cursor-conflict", { invocationId, blobName, from: read.from, to: read.to });
        more = cursor === "written" && read.more;
      }
    } catch (err) {
      log("error", "quarantine-batch-failed", { invocationId, blobName, reads: s.reads, records: s.records, ...errorFields(err) });
      throw err;
    }
    const summary: DetectorSummary = {
      invocationId,
      ...(blobName !== undefined ? { blobName } : {}),
      ...(skipped !== undefined ? { skipped, detail } : {}),
      ...s,
      parse,
      ...(cursor !== undefined ? { cursor } : {}),
      ms: Date.now() - started,
    };
    log(levelOf(summary), "quarantine-batch", { ...summary });
    return summary;
  };
}

/** Data loss or refusal, unreadable records, or a lost cursor race are worth a warning. */
function levelOf(s: DetectorSummary): LogLevel {
  return (s.skipped !== undefined && WARN_SKIPS.has(s.skipped)) || s.parse.malformed > 0 || s.parse.skipData > 0 || s.cursor === "conflict" ? "warn" : "info";
}
