/**
 * The Google Cloud Quarantine mode function: an HTTP function Cloud Scheduler calls every minute
 * (OIDC; Cloud Run checks the token before the request arrives, so nothing here authenticates). Each
 * call is one engine `tick` (mode, forgetting, copies, Cloud Armor rules) under a
 * {@link MODE_LEASE_SECONDS} lease. One `quarantine-tick` line per call.
 *
 * Answers: 200 with the tick's summary; 500 when the tick failed (logged as `quarantine-tick-failed`;
 * the next minute's call starts over anyway, so Cloud Scheduler need not retry); 405 for a method
 * other than GET or POST (not Cloud Scheduler). Expired documents need no purge here: Firestore's TTL
 * policy deletes them (late; the store hides them until then).
 */
import { randomUUID } from "node:crypto";
import { errorFields, type Log } from "../../core/log";
import { tick } from "../../core/quarantine";
import { tickOutcome, type TickOutcome } from "../../core/quarantine-report";
import { GCP_QUARANTINE_MODE_LEASE_SECONDS } from "./contract";
import type { GcpQuarantineEnv } from "./env";
import { engineLog, rulesNeedAttention, wallClock, type GcpQuarantineDeps, type HandlerOptions } from "./handler-support";

/**
 * Lease of one tick's reconciliation: longer than a tick can take (each Cloud Armor change is a read
 * and an operation of seconds), and the function's timeout must not exceed it, so a tick killed at
 * its timeout never overlaps the next holder.
 */
export const MODE_LEASE_SECONDS = GCP_QUARANTINE_MODE_LEASE_SECONDS;

/** The request parts read (structurally the Functions Framework's express `Request`). */
export interface ModeRequestLike {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** The response parts used (structurally express's `Response`). */
export interface ResponseLike {
  status(code: number): { json(body: unknown): unknown };
}

/** What one call did; logged as one `quarantine-tick` line and answered. */
export interface TickSummary extends TickOutcome {
  readonly tickId: string;
  readonly ms: number;
}

function header(req: ModeRequestLike, name: string): string | undefined {
  const v = req.headers?.[name];
  return typeof v === "string" ? v : Array.isArray(v) ? v[0] : undefined;
}

/** The mode handler over these deps. */
export function createModeHandler(env: GcpQuarantineEnv, deps: GcpQuarantineDeps, options: HandlerOptions = {}) {
  const now = options.now ?? wallClock;
  const log: Log = options.log ?? (() => undefined);

  return async function modeHandler(req: ModeRequestLike, res: ResponseLike): Promise<TickSummary | undefined> {
    if (req.method !== undefined && req.method !== "POST" && req.method !== "GET") {
      res.status(405).json({ error: "GET or POST only" });
      return undefined;
    }
    const started = Date.now();
    // The schedule time names the call in the log; the UUID makes it a lease owner no other call shares.
    const tickId = `${header(req, "x-cloudscheduler-scheduletime") ?? new Date(started).toISOString()}/${randomUUID()}`;
    const t = now();
    let report: Awaited<ReturnType<typeof tick>>;
    try {
      report = await tick({ ...deps, config: env.config, owner: tickId, log: engineLog(log, { tickId }), leaseSeconds: MODE_LEASE_SECONDS }, t);
    } catch (err) {
      log("error", "quarantine-tick-failed", { tickId, ...errorFields(err) });
      res.status(500).json({ tickId, ...errorFields(err) });
      return undefined;
    }
    const summary: TickSummary = {
      tickId,
      ...tickOutcome(report),
      ms: Date.now() - started,
    };
    log(rulesNeedAttention(summary.rules) ? "warn" : "info", "quarantine-tick", { ...summary });
    res.status(200).json(summary);
    return summary;
  };
}
