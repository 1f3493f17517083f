/**
 * Lambda entry point of the Quarantine mode function (EventBridge Scheduler, every minute, async).
 * Wiring only: the environment is checked and the SDK clients (bounded, see sdk-config) created once
 * per instance; each run is one engine `tick` (mode, forgetting, copies, rules), logged as one
 * `quarantine-tick` line. An error is logged and rethrown; the next minute's run starts over anyway.
 */
import type { Context } from "aws-lambda";
import { tick } from "../../core/quarantine";
import { tickOutcome, type TickOutcome } from "../../core/quarantine-report";
import { errorFields, jsonLog } from "../runtime";
import { engineLog, quarantineClients, quarantineEnv, quarantinePorts, rulesNeedAttention, wallClock, type HandlerOptions, type QuarantineClients, type QuarantineEnv } from "./env";

/** What one run did; logged and returned (the scheduler ignores it). */
export interface TickSummary extends TickOutcome {
  readonly requestId: string;
  readonly ms: number;
}

/** The mode handler over these clients; the module's `handler` is this over the environment and bounded clients. */
export function createModeHandler(env: QuarantineEnv, clients: QuarantineClients, options: HandlerOptions = {}) {
  const log = options.log ?? jsonLog;
  const now = options.now ?? wallClock;
  const ports = quarantinePorts(env, clients, { now });

  /** The scheduler's event carries nothing we need. */
  return async function modeHandler(_event: unknown, context: Pick<Context, "awsRequestId">): Promise<TickSummary> {
    const started = Date.now();
    const requestId = context.awsRequestId;
    let report: Awaited<ReturnType<typeof tick>>;
    try {
      report = await tick({ ...ports, config: env.config, owner: requestId, log: engineLog(log, requestId) }, now());
    } catch (err) {
      log("error", "quarantine-tick-failed", { requestId, ...errorFields(err) });
      throw err;
    }
    const summary: TickSummary = {
      requestId,
      ...tickOutcome(report),
      ms: Date.now() - started,
    };
    log(rulesNeedAttention(summary.rules) ? "warn" : "info", "quarantine-tick", { ...summary });
    return summary;
  };
}

const env = quarantineEnv(process.env);
/** Exported for tests only (client settings); Lambda calls `handler`. */
export const clients = quarantineClients(env);
export const handler = createModeHandler(env, clients);
