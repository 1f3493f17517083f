/**
 * Lookup on Azure (queue trigger): one queued honeypot IP per invocation (host.json batchSize 1),
 * looked up by the cloud-neutral core (functions/core/lookup.ts) with the blob store, Key Vault,
 * e-mail and public IP rotation bound to its ports.
 *
 * Failure outcomes, as the Functions host applies them:
 * - throws → the host makes the message visible again after the visibility timeout (1 min) and,
 *   after 5 dequeues, moves it to the poison queue (which list-ips alerts): Shodan 429/5xx/timeouts
 *   after the adapter's own retries, the Shodan gate busy, blob/Key Vault/e-mail errors, an API
 *   key problem whose alert could not be sent;
 * - returns `skipped` (the message is deleted, the skip is logged and counted): malformed message,
 *   unknown honeypot/VM pair, unusable API key (alerted once per key version). The next list-ips
 *   cycle queues the IP again.
 *
 * @example
 * app.storageQueue("lookup", { queueName: "%LURE_QUEUE_NAME%", connection: "LURE_QUEUE", handler: (entry, ctx) => lookupMessage(entry, meta(ctx), ports, env) });
 */
import { checkMessage, configProblemOf, lookupSession, openIndex, processMessage, reportConfigProblem, type ConfigProblem, type LookupPorts, type Processed } from "../core/lookup";
import { errorFields } from "../core/log";
import { IndexConfigError } from "../core/scanner-index";
import type { AzureWatcherEnv } from "./env";
import { MAX_DEQUEUE_COUNT } from "./host";

/** What the host says about the message (from `InvocationContext.triggerMetadata`). */
export interface QueueMessageMeta {
  readonly id: string;
  /** 1 on the first delivery; the host poisons the message after failed delivery `MAX_DEQUEUE_COUNT`. */
  readonly dequeueCount: number;
}

export type LookupOutcome =
  | { readonly kind: "looked-up"; readonly processed: Processed }
  | { readonly kind: "skipped"; readonly reason: "malformed" | "unknownService" | "configError"; readonly alerted: boolean };

/**
 * The queue entry as the Node worker hands it over: the host has base64-decoded it, and the worker
 * has parsed it when it is JSON; a Buffer or a string that is not JSON is passed through as text so
 * the core can call it malformed.
 */
export function messageBody(entry: unknown): string {
  if (typeof entry === "string") return entry;
  if (Buffer.isBuffer(entry)) return entry.toString("utf8");
  return JSON.stringify(entry) ?? "";
}

/** Error thrown so the host retries the message; carries what was logged. */
export class LookupRetryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LookupRetryError";
  }
}

/** Looks up one queue message; resolves when it is done with (looked up or skipped), throws when the host should retry it. */
export async function lookupMessage(entry: unknown, meta: QueueMessageMeta, ports: LookupPorts, env: AzureWatcherEnv): Promise<LookupOutcome> {
  const { log } = ports;
  const ids = { messageId: meta.id, dequeueCount: meta.dequeueCount };
  const session = lookupSession(ports, { prefix: env.prefix, secretName: env.secretName, services: env.vms, rotate: env.rotate, minRotationHours: env.minRotationHours, extraTargets: env.extraTargets });
  const done = (outcome: LookupOutcome): LookupOutcome => {
    log("info", "lookupDone", { ...ids, outcome: outcome.kind, ...(outcome.kind === "skipped" ? { reason: outcome.reason } : { ...outcome.processed }) });
    return outcome;
  };
  const retry = (event: string, fields: Record<string, unknown>, err: unknown): never => {
    // Logged with the attempt number: the 5th failure is the one that poisons the message.
    log("error", event, { ...ids, ...fields, ...errorFields(err), poisonNext: meta.dequeueCount >= MAX_DEQUEUE_COUNT });
    throw new LookupRetryError(`lookup of message ${meta.id} failed (attempt ${meta.dequeueCount}): ${errorFields(err).message}`, { cause: err });
  };

  // Checked before the key is read: a message that cannot be looked up costs no Key Vault call.
  const checked = checkMessage(session, meta.id, messageBody(entry));
  if (!checked.ok) return done({ kind: "skipped", reason: checked.skip, alerted: false });
  const message = checked.message;
  const where = { ip: message.ip, honeypot: message.honeypot, vm: message.service };

  const opening = await openIndex(ports);
  if (opening.kind === "failed") {
    return retry(opening.stage === "key" ? "secretUnreadable" : "indexNotCreated", { ...where, secret: env.secretName }, opening.error);
  }
  let problem: ConfigProblem;
  if (opening.kind === "ready") {
    try {
      return done({ kind: "looked-up", processed: await processMessage(session, opening.index, message) });
    } catch (err) {
      if (!(err instanceof IndexConfigError)) return retry("lookupFailed", where, err);
      problem = configProblemOf(err);
    }
  } else {
    problem = opening.problem;
  }
  const reported = await reportConfigProblem(session, problem, opening.apiKey.version, opening.kind === "ready" ? opening.index.name : ports.indexName);
  // The alert could not be sent: retried, so the alert is too.
  if (!reported.ok) return retry("configProblemNotReported", where, new Error(`the API key problem (${problem.problem}) could not be alerted`));
  return done({ kind: "skipped", reason: "configError", alerted: reported.alerted });
}
