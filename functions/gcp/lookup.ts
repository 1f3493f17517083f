/**
 * Lookup on Google Cloud (HTTP, called by Cloud Tasks with an OIDC token): one queued honeypot IP
 * per request, looked up by the cloud-neutral core (functions/core/lookup.ts) with the GCS store,
 * Secret Manager, log-entry alerts and access-config rotation bound to its ports. The queue
 * dispatches at most one task at a time and 1/s (`rate_limits`), the account's Shodan rate; the
 * in-process limiter of functions/shodan is kept as a second guard.
 *
 * Failure outcomes, as Cloud Tasks applies them to the answer:
 * - 500 → the queue retries the task with backoff, up to `LURE_MAX_ATTEMPTS` attempts: Shodan
 *   429/5xx/timeouts after the adapter's own retries, GCS/Secret Manager errors, an alert that
 *   could not be written. Cloud Tasks has no dead-letter queue, so on the LAST attempt
 *   (`X-CloudTasks-TaskRetryCount` + 1 ≥ `LURE_MAX_ATTEMPTS`) a failure is also recorded as
 *   `state/failed/<ip>.json` and alerted before the 500; the next list-ips cycle queues the IP again.
 * - 200 and counted (a retry cannot fix it): malformed body, unknown honeypot/instance pair,
 *   unusable API key (alerted once per key version).
 *
 * @example
 * const answer = await lookupRequest(rawBody, { id: taskName, retryCount }, ports, failurePorts, env);
 * res.status(answer.status).json(answer.outcome);
 */
import { fitSubject, type Alert } from "../core/alert";
import type { JsonStore } from "../core/json-store";
import { errorFields } from "../core/log";
import { checkMessage, configProblemOf, keys, lookupSession, openIndex, processMessage, reportConfigProblem, type ConfigProblem, type LookupPorts, type Processed, type RotationMarker } from "../core/lookup";
import { IndexConfigError } from "../core/scanner-index";
import type { IpMessage } from "../core/watcher-message";
import { secretName, type GcpWatcherEnv } from "./env";
import type { AlertSender } from "./log";

/** What Cloud Tasks says about the request (its `X-CloudTasks-*` headers). */
export interface TaskMeta {
  /** `X-CloudTasks-TaskName`, the task's short id. */
  readonly id: string;
  /** `X-CloudTasks-TaskRetryCount`: 0 on the first attempt. */
  readonly retryCount: number;
}

/** Where a task given up on is recorded (inside `state/`, which the construct scopes the functions to). */
export const failedKey = (ip: string): string => `state/failed/${ip}.json`;

/** The record of a lookup given up on (`state/failed/<ip>.json`). */
export interface FailedLookup {
  readonly message: IpMessage;
  readonly task: string;
  readonly attempts: number;
  readonly event: string;
  readonly error: string;
  readonly at: string;
}

export type LookupOutcome =
  | { readonly kind: "looked-up"; readonly processed: Processed }
  | { readonly kind: "skipped"; readonly reason: "malformed" | "unknownService" | "configError"; readonly alerted: boolean }
  /** `final`: the queue will not retry; then `recorded`/`alerted` say whether the give-up was recorded and alerted. */
  | { readonly kind: "failed"; readonly event: string; readonly final: boolean; readonly recorded?: boolean; readonly alerted?: boolean };

/** The HTTP answer: 200 when the task is done with, 500 when Cloud Tasks should retry it. */
export interface LookupAnswer {
  readonly status: 200 | 500;
  readonly outcome: LookupOutcome;
}

/** What a final failure needs besides the core's ports. */
export interface FailurePorts {
  readonly store: JsonStore;
  /** Alerts of the watcher's own failures (severity ERROR). */
  readonly sendAlert: AlertSender;
}

/** The attempt is the queue's last: failing it ends the task. */
export function isLastAttempt(meta: TaskMeta, maxAttempts: number): boolean {
  return meta.retryCount + 1 >= maxAttempts;
}

/** Looks up one task's message; never rejects (the answer says whether to retry). */
export async function lookupRequest(body: string, meta: TaskMeta, ports: LookupPorts, failure: FailurePorts, env: GcpWatcherEnv): Promise<LookupAnswer> {
  const { log } = ports;
  const attempt = meta.retryCount + 1;
  const last = isLastAttempt(meta, env.maxAttempts);
  const ids = { task: meta.id, attempt, lastAttempt: last };
  const secret = secretName(env);
  const session = lookupSession(ports, { prefix: env.prefix, secretName: secret, services: env.vms, rotate: env.rotate, minRotationHours: env.minRotationHours, extraTargets: env.extraTargets });
  const done = (outcome: LookupOutcome): LookupAnswer => {
    log("info", "lookupDone", { ...ids, outcome: outcome.kind, ...(outcome.kind === "skipped" ? { reason: outcome.reason } : outcome.kind === "looked-up" ? { ...outcome.processed } : {}) });
    return { status: 200, outcome };
  };
  const fail = async (message: IpMessage, event: string, fields: Record<string, unknown>, err: unknown): Promise<LookupAnswer> => {
    log("error", event, { ...ids, ...fields, ...errorFields(err) });
    if (!last) return { status: 500, outcome: { kind: "failed", event, final: false } };
    const given = await giveUp(message, event, err);
    return { status: 500, outcome: { kind: "failed", event, final: true, ...given } };
  };
  const giveUp = async (message: IpMessage, event: string, err: unknown): Promise<{ recorded: boolean; alerted: boolean }> => {
    const e = errorFields(err);
    const record: FailedLookup = { message, task: meta.id, attempts: attempt, event, error: `${e.error}: ${e.message}`, at: ports.now().toISOString() };
    let recorded = false;
    let alerted = false;
    try {
      await failure.store.put(failedKey(message.ip), record);
      recorded = true;
    } catch (recordErr) {
      log("error", "failureNotRecorded", { ...ids, ip: message.ip, key: failedKey(message.ip), ...errorFields(recordErr) });
    }
    try {
      await failure.sendAlert(givenUpAlert(env, record, recorded ? failure.store.url(failedKey(message.ip)) : undefined));
      alerted = true;
    } catch (alertErr) {
      log("error", "failureNotAlerted", { ...ids, ip: message.ip, ...errorFields(alertErr) });
    }
    log("error", "lookupGivenUp", { ...ids, ip: message.ip, honeypot: message.honeypot, recorded, alerted });
    return { recorded, alerted };
  };

  // Checked before the key is read: a message that cannot be looked up costs no Secret Manager call.
  const checked = checkMessage(session, meta.id, body);
  if (!checked.ok) return done({ kind: "skipped", reason: checked.skip, alerted: false });
  const message = checked.message;
  const where = { ip: message.ip, honeypot: message.honeypot, instance: message.service };

  const opening = await openIndex(ports);
  if (opening.kind === "failed") {
    return fail(message, opening.stage === "key" ? "secretUnreadable" : "indexNotCreated", { ...where, secret: env.secret }, opening.error);
  }
  let problem: ConfigProblem;
  if (opening.kind === "ready") {
    try {
      return done({ kind: "looked-up", processed: await processMessage(session, opening.index, message.external ? message : await sinceRotation(ports, message)) });
    } catch (err) {
      if (!(err instanceof IndexConfigError)) return fail(message, "lookupFailed", where, err);
      problem = configProblemOf(err);
    }
  } else {
    problem = opening.problem;
  }
  const reported = await reportConfigProblem(session, problem, opening.apiKey.version, opening.kind === "ready" ? opening.index.name : ports.indexName);
  // The alert could not be written: retried, so the alert is too.
  if (!reported.ok) return fail(message, "configProblemNotReported", where, new Error(`the API key problem (${problem.problem}) could not be alerted`));
  return done({ kind: "skipped", reason: "configError", alerted: reported.alerted });
}

/**
 * The message with `since` moved to the honeypot's last rotation when that rotation gave it the
 * address being looked up. list-ips sends the instance's `lastStartTimestamp`, but a rotation
 * swaps the IP of a running instance: without this, what Shodan saw at the new address before
 * the rotation (its previous holder) would count as the honeypot's exposure, and be alerted and
 * rotated away again. (On Azure the rotation writes this time into the IP's `lure:since` tag;
 * here the marker the core writes anyway serves, so the honeynet's labels stay Terraform's.)
 */
export async function sinceRotation(ports: Pick<LookupPorts, "store" | "log">, message: IpMessage): Promise<IpMessage> {
  const stored = await ports.store.get(keys.rotation(message.honeypot));
  if (!stored.exists) return message;
  const marker = stored.value as Partial<Record<keyof RotationMarker, unknown>> | undefined;
  const rotatedAt = typeof marker?.lastRotatedAt === "string" ? Date.parse(marker.lastRotatedAt) : NaN;
  // The marker names the address rotated AWAY from: for that one (or an unreadable marker) nothing changes.
  if (Number.isNaN(rotatedAt) || marker?.ip === message.ip) return message;
  const since = message.since === undefined ? NaN : Date.parse(message.since);
  if (!Number.isNaN(since) && since >= rotatedAt) return message;
  const moved = new Date(rotatedAt).toISOString();
  ports.log("info", "sinceFromRotation", { ip: message.ip, honeypot: message.honeypot, since: message.since ?? null, rotatedAt: moved });
  return { ...message, since: moved };
}

function givenUpAlert(env: GcpWatcherEnv, record: FailedLookup, recordUrl: string | undefined): Alert {
  const { message } = record;
  return {
    subject: fitSubject(`[${env.prefix}] watcher: lookup of ${message.honeypot} ${message.ip} given up after ${record.attempts} attempts`),
    body: [
      `The lookup of ${message.ip} (honeypot ${message.honeypot}, instance ${message.service}, cycle ${message.cycle}) failed on all ${record.attempts} attempts of task ${record.task}.`,
      `Last failure: ${record.event}, ${record.error}.`,
      "",
      "Cloud Tasks does not retry it any more. The next list-ips cycle queues the IP again; the lookup function's log (the task's entries) says why each attempt failed.",
      ...(recordUrl ? ["", `Recorded: ${recordUrl}`] : []),
    ].join("\n"),
  };
}
