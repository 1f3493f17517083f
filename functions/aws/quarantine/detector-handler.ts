/**
 * Lambda entry point of the Quarantine detector (CloudWatch Logs subscription on the VPC flow log
 * group, async). Wiring only: the environment is checked, the SDK clients (bounded, see sdk-config)
 * and one warm `ScanDetector` are created once per instance; each invocation decodes the
 * subscription payload and hands the records to the engine (`processRecords`). An error from the
 * engine is logged and rethrown, so Lambda retries the event and then sends it to the function's
 * on-failure destination.
 */
import type { Context } from "aws-lambda";
import { ScanDetector } from "../../core/detector";
import { parseCloudWatchEvent } from "../../core/flow";
import { processRecords } from "../../core/quarantine";
import { emptyParseStats, type FlowRecord, type ParseStats } from "../../core/quarantine-types";
import { errorFields, jsonLog, type LogLevel } from "../runtime";
import { engineLog, quarantineClients, quarantineEnv, quarantinePorts, rulesNeedAttention, rulesSummary, wallClock, type HandlerOptions, type QuarantineClients, type QuarantineEnv, type RulesSummary } from "./env";

/** What one invocation did; logged as one `quarantine-batch` line and returned (Lambda ignores it). */
export interface DetectorSummary {
  readonly requestId: string;
  readonly parse: ParseStats;
  /** Whether the engine ran (no records, e.g. a control message: no store call at all). */
  readonly processed: boolean;
  readonly records: number;
  readonly allowListed: number;
  readonly evaluatedSources: number;
  readonly detections: readonly { readonly src: string; readonly reason: string; readonly probes: number; readonly time: number }[];
  readonly remembered: readonly string[];
  readonly refreshed: number;
  readonly conflicts: number;
  readonly enteredDefence: boolean;
  readonly rules?: RulesSummary;
  readonly ms: number;
}

/**
 * The detector handler of one Lambda instance (its own warm detector) over these clients; the
 * module's `handler` is this over the environment and bounded clients.
 */
export function createDetectorHandler(env: QuarantineEnv, clients: QuarantineClients, options: HandlerOptions = {}) {
  const log = options.log ?? jsonLog;
  const now = options.now ?? wallClock;
  const { config } = env;
  const ports = quarantinePorts(env, clients, { now });
  // Throws at cold start on options the detector refuses (each named).
  const detector = new ScanDetector(config.detector);

  return async function detectorHandler(event: unknown, context: Pick<Context, "awsRequestId">): Promise<DetectorSummary> {
    const started = Date.now();
    const requestId = context.awsRequestId;
    const parse = emptyParseStats();
    const records: FlowRecord[] = [];
    parseCloudWatchEvent(event, (r) => records.push(r), parse);

    const base = { requestId, parse, records: records.length };
    if (records.length === 0) {
      // A control message, or only NODATA/ignored lines: nothing the engine could act on.
      const summary: DetectorSummary = { ...base, processed: false, allowListed: 0, evaluatedSources: 0, detections: [], remembered: [], refreshed: 0, conflicts: 0, enteredDefence: false, ms: Date.now() - started };
      log(levelOf(summary), "quarantine-batch", { ...summary });
      return summary;
    }

    let report: Awaited<ReturnType<typeof processRecords>>;
    try {
      report = await processRecords(records, { ...ports, config, owner: requestId, detector, log: engineLog(log, requestId) }, now());
    } catch (err) {
      log("error", "quarantine-batch-failed", { requestId, parse, records: records.length, ...errorFields(err) });
      throw err;
    }
    const summary: DetectorSummary = {
      ...base,
      processed: true,
      allowListed: report.allowListed,
      evaluatedSources: report.evaluatedSources,
      detections: report.detections.map((d) => ({ src: d.src, reason: d.reason, probes: d.probes, time: d.time })),
      remembered: report.remembered.map((r) => r.src),
      refreshed: report.refreshed,
      conflicts: report.conflicts,
      enteredDefence: report.enteredDefence,
      ...(report.reconcile ? { rules: rulesSummary(report.reconcile) } : {}),
      ms: Date.now() - started,
    };
    log(levelOf(summary), "quarantine-batch", { ...summary });
    return summary;
  };
}

/** Data loss (SKIPDATA), unreadable lines, sources left unsteered or a full load balancer are worth a warning. */
function levelOf(s: DetectorSummary): LogLevel {
  return s.parse.skipData > 0 || s.parse.malformed > 0 || (s.rules !== undefined && rulesNeedAttention(s.rules)) ? "warn" : "info";
}

const env = quarantineEnv(process.env);
/** Exported for tests only (client settings); Lambda calls `handler`. */
export const clients = quarantineClients(env);
export const handler = createDetectorHandler(env, clients);
