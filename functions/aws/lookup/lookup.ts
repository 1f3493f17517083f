/**
 * Lookup: for each queued honeypot IP, ask the scanner index what it lists, keep the answer, alert
 * on news and rotate the honeypot when policy says so.
 *
 * Failure outcomes, per record (SQS partial batch response):
 * - failed (comes back, then dead-letter queue): index unavailable, S3/SNS errors, unreadable secret;
 * - deferred (comes back): too little invocation time left to start it;
 * - skipped and counted (deleted): malformed message, unknown service, unusable API key. Retrying
 *   cannot fix these; the next list-ips cycle queues the IP again.
 *
 * Order per record: lookup → result object → rotation → alert → `latest`. `latest` is written last,
 * so a record that fails before it still sees the change on its retry and the alert is not lost;
 * and a `latest` checked at or after the rotation proves that rotation's alert went out, so a
 * redelivered record does not announce it twice.
 *
 * S3 keys used: `results/`, `latest/`, `rotations/`, `state/` (see `keys`), nothing else; the
 * construct's IAM policy is scoped to exactly these prefixes.
 *
 * @example
 * const { response } = await lookupBatch(records, () => context.getRemainingTimeInMillis(), deps, lookupEnv(process.env));
 */
import { UpdateServiceCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SNSClient } from "@aws-sdk/client-sns";
import { configErrorAlert, exposureAlert, type RotationOutcome } from "../../core/alert";
import { evaluateExposure, type Evaluation, type ExposureState } from "../../core/exposure";
import { decideRotation } from "../../core/rotation";
import { IndexConfigError, type ScannerIndex } from "../../core/scanner-index";
import { parseIpMessage, type IpMessage } from "../../core/watcher-message";
import { readApiKey, type ApiKey } from "../api-key";
import type { LookupEnv } from "../env";
import { errorFields, type Log } from "../runtime";
import { s3JsonStore, type ConditionalWrite, type JsonStore, type WriteCondition } from "../s3-store";
import { publishAlert } from "../sns-alert";

export interface LookupDeps {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly secrets: SecretsManagerClient;
  readonly ecs: ECSClient;
  /** Called once per invocation with the current key. */
  readonly indexFor: (apiKey: string) => ScannerIndex;
  /** Name of the index for alerts sent before one exists (no key set). */
  readonly indexName: string;
  readonly now: () => Date;
  readonly log: Log;
}

/** One SQS record, as much of it as the logic needs. */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
}

/** Same shape as `SQSBatchResponse` from aws-lambda. */
export interface BatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

export interface LookupSummary {
  records: number;
  lookedUp: number;
  /** Lookups where the index lists the IP for our time holding it. */
  found: number;
  alerts: number;
  rotated: number;
  rotationFailed: number;
  skipped: { malformed: number; unknownService: number; configError: number };
  failed: number;
  deferred: number;
}

/**
 * Marker of a reported key problem: the alert is sent again only for another secret version. It is
 * written (claimed) with a conditional write BEFORE the alert is sent, so of several instances that
 * meet the problem at once only one alerts.
 */
export interface IndexErrorMarker {
  readonly problem: string;
  readonly status?: number;
  readonly secretVersion: string;
  readonly at: string;
  /** Claimed, alert not confirmed sent yet; removed once it is. */
  readonly pending?: true;
}

/**
 * A pending claim older than this is taken as abandoned (its instance died between claim and
 * alert, and could not release it): the next report of that key version takes it over and alerts.
 */
export const INDEX_ERROR_CLAIM_STALE_MS = 5 * 60_000;

/** Last rotation of one honeypot. */
export interface RotationMarker {
  readonly lastRotatedAt: string;
  readonly ip: string;
  readonly service: string;
  readonly cycle: string;
}

/** Object keys in the watcher bucket; the construct's IAM policy scopes access to these prefixes. */
export const keys = {
  latest: (ip: string): string => `latest/${ip}.json`,
  result: (ip: string, checkedAt: Date): string => `results/${ip}/${checkedAt.toISOString().replace(/:/g, "")}.json`,
  rotation: (honeypot: string): string => `rotations/${honeypot}.json`,
  indexError: "state/index-error.json",
} as const;

interface ConfigProblem {
  readonly problem: string;
  readonly status?: number;
}

type Processed = { readonly found: boolean; readonly alerted: boolean; readonly rotation?: "rotated" | "failed" };

export async function lookupBatch(
  records: readonly QueueRecord[],
  remainingMs: () => number,
  deps: LookupDeps,
  env: LookupEnv,
): Promise<{ response: BatchResponse; summary: LookupSummary }> {
  const { log } = deps;
  const store = s3JsonStore(deps.s3, env.bucket);
  const summary: LookupSummary = {
    records: records.length,
    lookedUp: 0,
    found: 0,
    alerts: 0,
    rotated: 0,
    rotationFailed: 0,
    skipped: { malformed: 0, unknownService: 0, configError: 0 },
    failed: 0,
    deferred: 0,
  };
  const failures: string[] = [];
  const fail = (messageId: string): void => {
    failures.push(messageId);
    summary.failed++;
  };
  const finish = (): { response: BatchResponse; summary: LookupSummary } => {
    log(summary.failed > 0 ? "warn" : "info", "lookupSummary", { ...summary, skipped: { ...summary.skipped } });
    return { response: { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) }, summary };
  };

  let apiKey: ApiKey;
  try {
    apiKey = await readApiKey(deps.secrets, env.secretArn);
  } catch (err) {
    // Not a key problem we can name: every record goes back and is tried again.
    log("error", "secretUnreadable", { secret: env.secretArn, ...errorFields(err) });
    for (const r of records) fail(r.messageId);
    return finish();
  }

  let index: ScannerIndex | undefined;
  let problem: ConfigProblem | undefined;
  if (apiKey.kind === "missing") {
    problem = { problem: "no API key is set" };
  } else {
    try {
      index = deps.indexFor(apiKey.key);
    } catch (err) {
      if (!(err instanceof IndexConfigError)) {
        log("error", "indexNotCreated", errorFields(err));
        for (const r of records) fail(r.messageId);
        return finish();
      }
      problem = configProblemOf(err);
    }
  }

  const ctx: RecordContext = { deps, env, store, markerChecked: false };
  let problemReported = false;
  for (let i = 0; i < records.length; i++) {
    const { messageId, body } = records[i];
    if (!problem && index) {
      const left = remainingMs();
      if (left < env.timeReserveMs) {
        const rest = records.slice(i);
        for (const r of rest) failures.push(r.messageId);
        summary.deferred = rest.length;
        log("warn", "deferred", { records: rest.length, remainingMs: left, reserveMs: env.timeReserveMs });
        break;
      }
      const parsed = parseIpMessage(body);
      if (!parsed.ok) {
        summary.skipped.malformed++;
        log("warn", "malformedMessage", { messageId, problem: parsed.error });
        continue;
      }
      const message = parsed.message;
      if (!Object.hasOwn(env.services, message.honeypot) || env.services[message.honeypot] !== message.service) {
        summary.skipped.unknownService++;
        log("warn", "unknownService", { messageId, ip: message.ip, honeypot: message.honeypot, service: message.service });
        continue;
      }
      try {
        const done = await processRecord(ctx, index, message);
        summary.lookedUp++;
        if (done.found) summary.found++;
        if (done.alerted) summary.alerts++;
        if (done.rotation === "rotated") summary.rotated++;
        if (done.rotation === "failed") summary.rotationFailed++;
        continue;
      } catch (err) {
        if (!(err instanceof IndexConfigError)) {
          fail(messageId);
          log("error", "recordFailed", { messageId, ip: message.ip, honeypot: message.honeypot, ...errorFields(err) });
          continue;
        }
        problem = configProblemOf(err);
      }
    }
    // The key is unusable: nothing more in this batch can be looked up. The first record carries the
    // alert; if even the alert cannot be sent, that record goes back so the alert is tried again.
    if (problem && !problemReported) {
      problemReported = true;
      const reported = await reportConfigProblem(ctx, problem, apiKey.version, index?.name ?? deps.indexName);
      if (reported.alerted) summary.alerts++;
      if (!reported.ok) {
        fail(messageId);
        continue;
      }
    }
    summary.skipped.configError++;
  }
  return finish();
}

interface RecordContext {
  readonly deps: LookupDeps;
  readonly env: LookupEnv;
  readonly store: JsonStore;
  /** The key-problem marker is looked at once per invocation, after the first successful lookup. */
  markerChecked: boolean;
}

function configProblemOf(err: IndexConfigError): ConfigProblem {
  return err.status === undefined ? { problem: err.message } : { problem: err.message, status: err.status };
}

async function processRecord(ctx: RecordContext, index: ScannerIndex, message: IpMessage): Promise<Processed> {
  const { deps, env, store } = ctx;
  const { ip, honeypot, service } = message;
  const previous = await readPrevious(ctx, ip);
  const answer = await index.lookup(ip);
  await clearIndexErrorMarker(ctx);

  const now = deps.now();
  const evaluation = evaluateExposure({
    ip,
    honeypot,
    index: index.name,
    answer,
    previous,
    now,
    since: message.since === undefined ? undefined : new Date(message.since),
  });
  const resultKey = keys.result(ip, now);
  await store.put(resultKey, { message, answer: answer.kind === "found" ? answer.raw : null, evaluation });

  const rotation = await rotate(ctx, message, evaluation, previous, now);
  const alerted = evaluation.changed || rotation !== undefined;
  if (alerted) {
    const alert = exposureAlert({ prefix: env.prefix, evaluation, service, rotation: rotation?.outcome, resultUrl: store.url(resultKey) });
    await publishAlert(deps.sns, env.topicArn, alert);
    deps.log("info", "alertSent", { ip, honeypot, changes: evaluation.changes.map((c) => c.kind), rotation: rotation?.outcome.status ?? null });
  }
  await store.put(keys.latest(ip), evaluation.state);
  return { found: evaluation.state.found, alerted, ...(rotation?.performed ? { rotation: rotation.outcome.status } : {}) };
}

/** A stored state that is not one (edited by hand, older format) is ignored: at worst one repeated alert. */
async function readPrevious(ctx: RecordContext, ip: string): Promise<ExposureState | undefined> {
  const stored = await ctx.store.get(keys.latest(ip));
  if (!stored.exists) return undefined;
  if (isExposureState(stored.value)) return stored.value;
  ctx.deps.log("warn", "latestIgnored", { ip, key: keys.latest(ip) });
  return undefined;
}

function isExposureState(v: unknown): v is ExposureState {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.ip === "string" &&
    typeof s.honeypot === "string" &&
    typeof s.checkedAt === "string" &&
    typeof s.found === "boolean" &&
    Array.isArray(s.ports) &&
    s.ports.every((p) => typeof p === "string") &&
    typeof s.honeypotTagged === "boolean" &&
    (s.honeyscore === undefined || typeof s.honeyscore === "number")
  );
}

/** The index answered, so the key works: forget a reported problem so the next one alerts again. */
async function clearIndexErrorMarker(ctx: RecordContext): Promise<void> {
  if (ctx.markerChecked) return;
  ctx.markerChecked = true;
  try {
    const marker = await ctx.store.get(keys.indexError);
    if (!marker.exists) return;
    // Only the version read: a marker written since then (another instance) is its writer's business.
    if (marker.etag === undefined) await ctx.store.delete(keys.indexError);
    else if (!(await ctx.store.deleteIf(keys.indexError, marker.etag))) return;
    ctx.deps.log("info", "indexErrorCleared", { key: keys.indexError });
  } catch (err) {
    // The lookup itself succeeded; failing the record would only spend another lookup. Cost of a
    // stale marker: a later problem with the same key version is not alerted.
    ctx.deps.log("warn", "indexErrorMarkerNotCleared", { key: keys.indexError, ...errorFields(err) });
  }
}

/**
 * Alerts once per secret version, even when several instances meet the problem at once: the marker
 * is claimed with a conditional write first (`If-None-Match: *` when there is none, `If-Match` with
 * the ETag read when it is for another version), and only the instance whose write succeeded sends
 * the alert. `ok` is false when the alert could not be sent (the claim is released and the caller
 * fails a record, so it is tried again); a marker that cannot be confirmed after a sent alert costs
 * at most a repeated alert, so that is still `ok`.
 */
async function reportConfigProblem(ctx: RecordContext, problem: ConfigProblem, secretVersion: string, indexName: string): Promise<{ ok: boolean; alerted: boolean }> {
  const { deps, env, store } = ctx;
  const fields = { problem: problem.problem, status: problem.status ?? null, secretVersion };
  const now = deps.now();
  const sent: IndexErrorMarker = {
    problem: problem.problem,
    ...(problem.status === undefined ? {} : { status: problem.status }),
    secretVersion,
    at: now.toISOString(),
  };
  let claim: ConditionalWrite;
  try {
    const marker = await store.get(keys.indexError);
    let condition: WriteCondition;
    if (!marker.exists) {
      condition = { ifNoneMatch: "*" };
    } else {
      const current = isIndexErrorMarker(marker.value) ? marker.value : undefined;
      if (current && current.secretVersion === secretVersion) {
        if (current.pending !== true) {
          deps.log("warn", "indexConfigError", { ...fields, alert: "already sent" });
          return { ok: true, alerted: false };
        }
        if (!claimAbandoned(current, now)) {
          deps.log("warn", "indexConfigError", { ...fields, alert: "being sent by another instance", claimedAt: current.at });
          return { ok: true, alerted: false };
        }
        deps.log("warn", "indexErrorClaimAbandoned", { ...fields, claimedAt: current.at });
      }
      if (marker.etag === undefined) throw new Error(`S3 returned no ETag for ${keys.indexError}; cannot replace it conditionally`);
      condition = { ifMatch: marker.etag };
    }
    claim = await store.putIf(keys.indexError, { ...sent, pending: true } satisfies IndexErrorMarker, condition);
  } catch (err) {
    deps.log("error", "indexConfigErrorNotAlerted", { ...fields, ...errorFields(err) });
    return { ok: false, alerted: false };
  }
  if (!claim.written) {
    deps.log("warn", "indexConfigError", { ...fields, alert: "claimed by another instance" });
    return { ok: true, alerted: false };
  }

  try {
    await publishAlert(deps.sns, env.topicArn, configErrorAlert({ prefix: env.prefix, index: indexName, problem: problem.problem, secretName: env.secretName }));
  } catch (err) {
    deps.log("error", "indexConfigErrorNotAlerted", { ...fields, ...errorFields(err) });
    try {
      // Released so the retry of the failed record can claim it again and alert.
      if (claim.etag === undefined) await store.delete(keys.indexError);
      else await store.deleteIf(keys.indexError, claim.etag);
    } catch (releaseErr) {
      deps.log("error", "indexErrorClaimNotReleased", { key: keys.indexError, staleAfterMs: INDEX_ERROR_CLAIM_STALE_MS, ...errorFields(releaseErr) });
    }
    return { ok: false, alerted: false };
  }
  deps.log("error", "indexConfigError", { ...fields, alert: "sent" });

  try {
    // Only over our own claim: another instance may have replaced it for a newer key version.
    const confirmed = claim.etag === undefined ? (await store.put(keys.indexError, sent), { written: true }) : await store.putIf(keys.indexError, sent, { ifMatch: claim.etag });
    if (!confirmed.written) deps.log("info", "indexErrorMarkerReplaced", { key: keys.indexError });
  } catch (err) {
    deps.log("warn", "indexErrorMarkerNotWritten", { key: keys.indexError, ...errorFields(err) });
  }
  return { ok: true, alerted: true };
}

/** A claim whose time cannot be read counts as abandoned: better a repeated alert than none. */
function claimAbandoned(marker: IndexErrorMarker, now: Date): boolean {
  const at = Date.parse(marker.at);
  return Number.isNaN(at) || now.getTime() - at > INDEX_ERROR_CLAIM_STALE_MS;
}

function isIndexErrorMarker(v: unknown): v is IndexErrorMarker {
  if (typeof v !== "object" || v === null) return false;
  const m = v as Record<string, unknown>;
  return typeof m.secretVersion === "string" && typeof m.at === "string" && (m.pending === undefined || m.pending === true);
}

/**
 * Rotates when policy says so. A failed UpdateService does not fail the record: the alert says so and
 * the next cycle tries again. `performed` is false when a retry of this record finds its own rotation
 * already done (same IP and cycle): nothing is rotated twice, and the alert mentions it unless the
 * stored `previous` state was checked at or after that rotation: `latest` is written after the
 * alert, so then the first attempt got as far as announcing it (a redelivery after full success).
 */
async function rotate(
  ctx: RecordContext,
  message: IpMessage,
  evaluation: Evaluation,
  previous: ExposureState | undefined,
  now: Date,
): Promise<{ outcome: RotationOutcome; performed: boolean } | undefined> {
  const { deps, env, store } = ctx;
  const { ip, honeypot, service } = message;
  // The marker only matters when a rotation could be due; skip the read otherwise.
  const last = env.rotate && evaluation.state.found ? await readRotation(ctx, honeypot) : undefined;
  if (last && last.ip === ip && last.cycle === message.cycle) {
    const rotatedAt = Date.parse(last.lastRotatedAt);
    const checkedAt = previous === undefined ? NaN : Date.parse(previous.checkedAt);
    const announced = !Number.isNaN(rotatedAt) && !Number.isNaN(checkedAt) && checkedAt >= rotatedAt;
    deps.log("info", "rotationAlreadyDone", { ip, honeypot, service, cycle: message.cycle, at: last.lastRotatedAt, announced });
    return announced ? undefined : { outcome: { status: "rotated", service }, performed: false };
  }
  const decision = decideRotation({ policy: { enabled: env.rotate, minIntervalHours: env.minRotationHours }, state: evaluation.state, lastRotatedAt: last?.lastRotatedAt, now });
  if (!decision.rotate) {
    if (decision.reason === "too-soon") deps.log("info", "rotationTooSoon", { ip, honeypot, service, nextAllowedAt: decision.nextAllowedAt ?? null });
    return undefined;
  }
  try {
    await deps.ecs.send(new UpdateServiceCommand({ cluster: env.cluster, service, forceNewDeployment: true }));
  } catch (err) {
    deps.log("error", "rotationFailed", { ip, honeypot, service, reason: decision.reason, ...errorFields(err) });
    return { outcome: { status: "failed", service, detail: errorFields(err).message }, performed: true };
  }
  deps.log("info", "rotated", { ip, honeypot, service, reason: decision.reason });
  const marker: RotationMarker = { lastRotatedAt: now.toISOString(), ip, service, cycle: message.cycle };
  try {
    await store.put(keys.rotation(honeypot), marker);
  } catch (err) {
    // Failing the record now would rotate again on its retry; the cost of going on is that the
    // minimum interval is not enforced for this honeypot until a marker is written.
    deps.log("error", "rotationMarkerNotWritten", { honeypot, key: keys.rotation(honeypot), ...errorFields(err) });
  }
  return { outcome: { status: "rotated", service }, performed: true };
}

async function readRotation(ctx: RecordContext, honeypot: string): Promise<RotationMarker | undefined> {
  const stored = await ctx.store.get(keys.rotation(honeypot));
  if (!stored.exists) return undefined;
  const v = stored.value as Partial<Record<keyof RotationMarker, unknown>> | null | undefined;
  if (v && typeof v === "object" && typeof v.lastRotatedAt === "string" && typeof v.ip === "string" && typeof v.service === "string" && typeof v.cycle === "string") {
    return v as RotationMarker;
  }
  ctx.deps.log("warn", "rotationMarkerIgnored", { honeypot, key: keys.rotation(honeypot) });
  return undefined;
}
