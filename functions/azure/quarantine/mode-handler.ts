/**
 * The Azure Quarantine mode function: timer `%LURE_MODE_SCHEDULE%` (every minute). Each run is one
 * engine `tick` (mode, forgetting, copies, rules) under a {@link MODE_LEASE_SECONDS} lease, then
 * `steering.flush()` (always, in `finally`: the gateway's batched changes are written in one PUT),
 * then a bounded purge of expired entities (Table storage has no TTL). One `quarantine-tick` line.
 *
 * Outcomes: a flush `ConflictError` (the gateway changed since it was read) is a warning, not a
 * failure: the draft is dropped and the next minute plans again from the gateway. A purge error is a
 * warning too (the next minute purges). Any other error is logged and rethrown; the next minute's
 * run starts over anyway.
 */
import { tick } from "../../core/quarantine";
import { tickOutcome, type TickOutcome } from "../../core/quarantine-report";
import { errorFields } from "../../core/log";
import { ConflictError } from "../../core/quarantine-types";
import { invocationLog } from "../log";
import type { AzureQuarantineEnv } from "./env";
import { engineLog, rulesNeedAttention, wallClock, type AzureQuarantineDeps, type HandlerContext, type HandlerOptions } from "./wiring";

/** Lease of one tick's reconciliation: several gateway PUTs of minutes each fit, well within the 10-minute function timeout plus margin. */
export const MODE_LEASE_SECONDS = 900;
/** Expired entities deleted per run at most: a bound on the run's time; the next minute carries on. */
export const PURGE_PER_RUN = 500;

/** What one run did; logged as one `quarantine-tick` line and returned. */
export interface TickSummary extends TickOutcome {
  readonly invocationId: string;
  /** Changes written by the final flush (0: nothing to write, or a conflict). */
  readonly flushed: number;
  readonly flushConflict: boolean;
  /** Expired entities deleted; undefined when the purge failed (logged). */
  readonly purged?: number;
  readonly ms: number;
}

export interface ModeOptions extends HandlerOptions {
  /** @default PURGE_PER_RUN */
  readonly purgePerRun?: number;
}

/** The mode handler over these deps. */
export function createModeHandler(env: AzureQuarantineEnv, deps: AzureQuarantineDeps, options: ModeOptions = {}) {
  const now = options.now ?? wallClock;
  const logOf = options.log ?? invocationLog;
  const purgePerRun = options.purgePerRun ?? PURGE_PER_RUN;

  /** The timer's argument carries nothing needed beyond `isPastDue`, which index.ts logs. */
  return async function modeHandler(_timer: unknown, context: HandlerContext): Promise<TickSummary> {
    const started = Date.now();
    const log = logOf(context);
    const invocationId = context.invocationId;
    const t = now();
    let report: Awaited<ReturnType<typeof tick>>;
    let flushed = 0;
    let flushConflict = false;
    try {
      try {
        report = await tick({ ...deps, config: env.config, owner: invocationId, log: engineLog(log), leaseSeconds: MODE_LEASE_SECONDS }, t);
      } finally {
        try {
          flushed = await deps.steering.flush();
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
          flushConflict = true;
          log("warn", "gateway-flush-conflict", { invocationId, message: e.message });
        }
      }
    } catch (err) {
      log("error", "quarantine-tick-failed", { invocationId, ...errorFields(err) });
      throw err;
    }
    let purged: number | undefined;
    try {
      purged = await deps.store.purgeExpired(t, purgePerRun);
    } catch (err) {
      log("warn", "quarantine-purge-failed", { invocationId, ...errorFields(err) });
    }
    const summary: TickSummary = {
      invocationId,
      ...tickOutcome(report),
      flushed,
      flushConflict,
      ...(purged !== undefined ? { purged } : {}),
      ms: Date.now() - started,
    };
    log(rulesNeedAttention(summary.rules) || flushConflict ? "warn" : "info", "quarantine-tick", { ...summary });
    return summary;
  };
}
