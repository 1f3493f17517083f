/**
 * The lookup of one queued honeypot IP, whatever the cloud: ask the scanner index what it lists,
 * keep the answer, rotate the honeypot when policy says so, alert on news. The cloud adapters
 * (functions/aws/lookup, functions/azure/lookup) bind the ports to their SDKs and decide what a
 * failure does to the queue message (AWS: a batch item failure; Azure: a thrown invocation).
 *
 * Failure outcomes this module defines, per message:
 * - rejects (the adapter sends the message back): index unavailable, store or alert errors;
 * - skipped and counted (the adapter drops the message): malformed message, unknown service,
 *   unusable API key (alerted once per key version). Retrying cannot fix these; the next listing
 *   cycle queues the IP again.
 *
 * Order per message: lookup → result object → rotation → alert → `latest`. `latest` is written
 * last, so a message that fails before it still sees the change on its retry and the alert is not
 * lost; and a `latest` checked at or after the rotation proves that rotation's alert went out, so
 * a redelivered message does not announce it twice.
 *
 * Store keys used: `results/`, `latest/`, `rotations/`, `state/` (see `keys`), nothing else; the
 * constructs scope the functions' access to exactly these prefixes where the cloud allows it.
 *
 * @example
 * const session = lookupSession(ports, settings);
 * const opening = await openIndex(ports);
 * if (opening.kind === "ready") await processMessage(session, opening.index, message);
 */
import { configErrorAlert, exposureAlert, type Alert, type RotationOutcome } from "./alert";
import { evaluateExposures, previousView, type Evaluation, type ExposureState, type IndexAnswer } from "./exposure";
import type { ExtraTarget } from "./extra-targets";
import type { ConditionalWrite, JsonStore, WriteCondition } from "./json-store";
import { errorFields, type Log } from "./log";
import { decideRotation } from "./rotation";
import { IndexConfigError, type LookupResult, type ScannerIndex } from "./scanner-index";
import { parseIpMessage, type IpMessage } from "./watcher-message";

/** Marker version used when there is no secret version at all. */
export const NO_SECRET_VERSION = "none";

/** The index API key as the cloud's secret store holds it. */
export type ApiKey =
  | { readonly kind: "key"; readonly key: string; readonly version: string }
  /** No value yet, or an empty one. */
  | { readonly kind: "missing"; readonly version: string };

/**
 * Moves one honeypot to a new public IP. Resolves what happened (a "failed" outcome is announced
 * and retried next cycle, like a rejection); rejects when the cloud refused outright.
 */
export type Rotator = (message: IpMessage, reason: string) => Promise<RotationOutcome>;

/** What the lookup needs from its cloud. */
export interface LookupPorts {
  readonly store: JsonStore;
  /** Rejects when the secret cannot be read (not when it is empty: that is `missing`). */
  readonly readApiKey: () => Promise<ApiKey>;
  /** Rejects when the alert could not be sent. */
  readonly sendAlert: (alert: Alert) => Promise<void>;
  readonly rotator: Rotator;
  /** Called once per invocation with the current key, so a new key takes effect without a redeploy. */
  readonly indexFor: (apiKey: string) => ScannerIndex;
  /** Name of the index for alerts sent before one exists (no key set). */
  readonly indexName: string;
  /**
   * Further indexes asked after the primary one (`watcher.indexes`), in order. Each is best effort:
   * when it fails, its previous view is kept and the failure counted, so an outage of a second index
   * neither fails the message (and spends another primary lookup on its retry) nor reads as news.
   * @default none
   */
  readonly secondary?: readonly SecondaryIndexPorts[];
  readonly now: () => Date;
  readonly log: Log;
}

/** A further index: its own key, its own lookup interval, its own key-problem alert. */
export interface SecondaryIndexPorts {
  /** "censys". */
  readonly name: string;
  /** How alerts name its secret to people. */
  readonly secretName: string;
  /** Rejects when the secret cannot be read (not when it is empty: that is `missing`). */
  readonly readApiKey: () => Promise<ApiKey>;
  readonly indexFor: (apiKey: string) => ScannerIndex;
  /** One IP is asked again only after this many hours (its lookups cost credits). 0: every cycle. */
  readonly everyHours: number;
}

/** The part of a function's environment the lookup reads. */
export interface LookupSettings {
  /** Shown in alert subjects. */
  readonly prefix: string;
  /** How alerts name the API key secret to people. */
  readonly secretName: string;
  /** Honeypot → the cloud unit that runs it; messages naming anything else are skipped. */
  readonly services: Readonly<Record<string, string>>;
  readonly rotate: boolean;
  readonly minRotationHours: number;
  /** Addresses lure did not deploy, looked up like its own and never rotated. @default none */
  readonly extraTargets?: readonly ExtraTarget[];
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
  /** The rotator's description of what it did, repeated if a redelivery must announce it again. */
  readonly message?: string;
}

/** Object keys in the watcher's store; the constructs scope access to these prefixes. */
export const keys = {
  latest: (ip: string): string => `latest/${ip}.json`,
  result: (ip: string, checkedAt: Date): string => `results/${ip}/${checkedAt.toISOString().replace(/:/g, "")}.json`,
  rotation: (honeypot: string): string => `rotations/${honeypot}.json`,
  indexError: "state/index-error.json",
  /** The key-problem marker of a further index. */
  indexErrorOf: (index: string): string => `state/index-error-${index}.json`,
} as const;

/** Why the index cannot be used: retrying will not help until someone changes the key. */
export interface ConfigProblem {
  readonly problem: string;
  readonly status?: number;
}

/** The outcome of one looked-up message. */
export interface Processed {
  readonly found: boolean;
  readonly alerted: boolean;
  readonly rotation?: "rotated" | "failed";
  /** Further indexes that could not be asked this time (failed, or their key is unusable). */
  readonly unavailable?: readonly string[];
}

/** State shared by the messages of one invocation. */
export interface LookupSession {
  readonly ports: LookupPorts;
  readonly settings: LookupSettings;
  /** The key-problem marker is looked at once per invocation, after the first successful lookup. */
  markerChecked: boolean;
  /** Each further index, opened once per invocation; no `index` once its key problem was reported. */
  readonly secondary: Map<string, { index?: ScannerIndex; version: string; markerChecked: boolean }>;
}

/** A session for one invocation: the key-problem marker is then checked once, not per message. */
export function lookupSession(ports: LookupPorts, settings: LookupSettings): LookupSession {
  return { ports, settings, markerChecked: false, secondary: new Map() };
}

/** The index for this invocation, a key problem to report, or what could not be read. Never rejects. */
export type Opening =
  | { readonly kind: "ready"; readonly index: ScannerIndex; readonly apiKey: ApiKey }
  | { readonly kind: "problem"; readonly problem: ConfigProblem; readonly apiKey: ApiKey }
  /** "key": the secret could not be read; "index": the index could not be created for another reason than the key. Retry. */
  | { readonly kind: "failed"; readonly stage: "key" | "index"; readonly error: unknown };

/** Reads the API key and creates this invocation's index from it. */
export async function openIndex(ports: LookupPorts): Promise<Opening> {
  let apiKey: ApiKey;
  try {
    apiKey = await ports.readApiKey();
  } catch (error) {
    return { kind: "failed", stage: "key", error };
  }
  if (apiKey.kind === "missing") return { kind: "problem", problem: { problem: "no API key is set" }, apiKey };
  try {
    return { kind: "ready", index: ports.indexFor(apiKey.key), apiKey };
  } catch (error) {
    if (!(error instanceof IndexConfigError)) return { kind: "failed", stage: "index", error };
    return { kind: "problem", problem: configProblemOf(error), apiKey };
  }
}

/** The problem an `IndexConfigError` reports, for the once-per-key-version alert. */
export function configProblemOf(err: IndexConfigError): ConfigProblem {
  return err.status === undefined ? { problem: err.message } : { problem: err.message, status: err.status };
}

/** A message to look up, or why it is skipped (logged here with `messageId`). */
export type Checked = { readonly ok: true; readonly message: IpMessage } | { readonly ok: false; readonly skip: "malformed" | "unknownService" };

/** Parses a queue message and refuses one naming a honeypot/service pair the deployment does not have. */
export function checkMessage(session: LookupSession, messageId: string, body: string): Checked {
  const { log } = session.ports;
  const parsed = parseIpMessage(body);
  if (!parsed.ok) {
    log("warn", "malformedMessage", { messageId, problem: parsed.error });
    return { ok: false, skip: "malformed" };
  }
  const message = parsed.message;
  if (message.external) {
    // Only the configured addresses: the queue is no way to have lure look up anything else.
    const known = (session.settings.extraTargets ?? []).some((t) => t.ip === message.ip && t.honeypot === message.honeypot);
    if (known) return { ok: true, message };
    log("warn", "unknownService", { messageId, ip: message.ip, honeypot: message.honeypot, service: message.service, external: true });
    return { ok: false, skip: "unknownService" };
  }
  const services = session.settings.services;
  if (!Object.hasOwn(services, message.honeypot) || services[message.honeypot] !== message.service) {
    log("warn", "unknownService", { messageId, ip: message.ip, honeypot: message.honeypot, service: message.service });
    return { ok: false, skip: "unknownService" };
  }
  return { ok: true, message };
}

/**
 * Looks one IP up and acts on the answer. Rejects with `IndexConfigError` when the index refuses
 * the key (the caller reports it with `reportConfigProblem`), with anything else on a failure the
 * message should be retried for.
 */
export async function processMessage(session: LookupSession, index: ScannerIndex, message: IpMessage): Promise<Processed> {
  const { ports, settings } = session;
  const { store } = ports;
  const { ip, honeypot, service } = message;
  const previous = await readPrevious(session, ip);
  const answer = await index.lookup(ip);
  await clearIndexErrorMarker(session);

  const answers: IndexAnswer[] = [{ index: index.name, answer }];
  for (const sec of ports.secondary ?? []) answers.push(await secondaryAnswer(session, sec, message, previous));
  const now = ports.now();
  const evaluation = evaluateExposures({
    ip,
    honeypot,
    answers,
    previous,
    now,
    since: message.since === undefined ? undefined : new Date(message.since),
  });
  const resultKey = keys.result(ip, now);
  const rawOf = (r: LookupResult) => (r.kind === "found" ? r.raw : null);
  const further = answers.slice(1).flatMap((a) => ("answer" in a ? [[a.index, rawOf(a.answer)] as const] : []));
  await store.put(resultKey, { message, answer: rawOf(answer), ...(further.length > 0 ? { answers: Object.fromEntries(further) } : {}), evaluation });
  const unavailable = answers.flatMap((a) => ("unavailable" in a ? [a.index] : []));

  const rotation = await rotate(session, message, evaluation, previous, now);
  const alerted = evaluation.changed || rotation !== undefined;
  if (alerted) {
    const alert = exposureAlert({
      prefix: settings.prefix,
      evaluation,
      service,
      rotation: rotation?.outcome,
      resultUrl: store.url(resultKey),
      ...(message.external ? { external: message.label !== undefined ? { label: message.label } : {} } : {}),
    });
    await ports.sendAlert(alert);
    ports.log("info", "alertSent", { ip, honeypot, changes: evaluation.changes.map((c) => c.kind), rotation: rotation?.outcome.status ?? null });
  }
  await store.put(keys.latest(ip), evaluation.state);
  return { found: evaluation.state.found, alerted, ...(rotation?.performed ? { rotation: rotation.outcome.status } : {}), ...(unavailable.length > 0 ? { unavailable } : {}) };
}

/**
 * A further index's answer for one message, or why there is none: not due yet (asked within its
 * interval), or unavailable (its secret unreadable, its key unusable, its lookup failed). A key
 * problem is alerted once per key version like the primary's; if that alert cannot be sent, this
 * rejects so the message is retried and the alert with it.
 */
async function secondaryAnswer(session: LookupSession, sec: SecondaryIndexPorts, message: IpMessage, previous: ExposureState | undefined): Promise<IndexAnswer> {
  const { log } = session.ports;
  const where = { ip: message.ip, honeypot: message.honeypot, index: sec.name };
  const before = previous && previous.honeypot === message.honeypot ? previousView(previous, sec.name) : undefined;
  const asked = before && !before.unavailable ? Date.parse(before.checkedAt) : NaN;
  const since = message.since === undefined ? NaN : Date.parse(message.since);
  // A rotation (a newer `since`) makes the IP a new one: ask at once.
  if (!Number.isNaN(asked) && !(asked < since) && session.ports.now().getTime() - asked < sec.everyHours * 3_600_000) return { index: sec.name, notDue: true };

  let slot = session.secondary.get(sec.name);
  if (!slot) {
    slot = { version: NO_SECRET_VERSION, markerChecked: false };
    session.secondary.set(sec.name, slot);
    let problem: ConfigProblem | undefined;
    try {
      const key = await sec.readApiKey();
      slot.version = key.version;
      if (key.kind === "missing") problem = { problem: "no API key is set" };
      else slot.index = sec.indexFor(key.key);
    } catch (err) {
      if (err instanceof IndexConfigError) problem = configProblemOf(err);
      else {
        // Asked again by the next invocation.
        session.secondary.delete(sec.name);
        log("error", "secondaryIndexNotOpened", { ...where, secret: sec.secretName, ...errorFields(err) });
        return { index: sec.name, unavailable: errorFields(err).message };
      }
    }
    if (problem) return reportSecondaryProblem(session, sec, problem, slot.version, where);
  }
  if (!slot.index) return { index: sec.name, unavailable: "its API key is unusable (alerted)" };
  try {
    const answer = await slot.index.lookup(message.ip);
    if (!slot.markerChecked) {
      slot.markerChecked = true;
      await clearMarker(session, keys.indexErrorOf(sec.name));
    }
    return { index: sec.name, answer };
  } catch (err) {
    if (err instanceof IndexConfigError) {
      slot.index = undefined;
      return reportSecondaryProblem(session, sec, configProblemOf(err), slot.version, where);
    }
    log("warn", "secondaryIndexUnavailable", { ...where, ...errorFields(err) });
    return { index: sec.name, unavailable: errorFields(err).message };
  }
}

async function reportSecondaryProblem(session: LookupSession, sec: SecondaryIndexPorts, problem: ConfigProblem, version: string, where: Record<string, unknown>): Promise<IndexAnswer> {
  const reported = await reportConfigProblem(session, problem, version, sec.name, { markerKey: keys.indexErrorOf(sec.name), secretName: sec.secretName });
  if (!reported.ok) {
    session.secondary.delete(sec.name);
    throw new Error(`the ${sec.name} API key problem (${problem.problem}) could not be alerted`);
  }
  session.ports.log("warn", "secondaryIndexKeyProblem", { ...where, problem: problem.problem, alerted: reported.alerted });
  return { index: sec.name, unavailable: problem.problem };
}

/** A stored state that is not one (edited by hand, older format) is ignored: at worst one repeated alert. */
async function readPrevious(session: LookupSession, ip: string): Promise<ExposureState | undefined> {
  const stored = await session.ports.store.get(keys.latest(ip));
  if (!stored.exists) return undefined;
  if (isExposureState(stored.value)) return stored.value;
  session.ports.log("warn", "latestIgnored", { ip, key: keys.latest(ip) });
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
async function clearIndexErrorMarker(session: LookupSession): Promise<void> {
  if (session.markerChecked) return;
  session.markerChecked = true;
  await clearMarker(session, keys.indexError);
}

async function clearMarker(session: LookupSession, key: string): Promise<void> {
  const { store, log } = session.ports;
  try {
    const marker = await store.get(key);
    if (!marker.exists) return;
    // Only the version read: a marker written since then (another instance) is its writer's business.
    if (marker.etag === undefined) await store.delete(key);
    else if (!(await store.deleteIf(key, marker.etag))) return;
    log("info", "indexErrorCleared", { key });
  } catch (err) {
    // The lookup itself succeeded; failing the message would only spend another lookup. Cost of a
    // stale marker: a later problem with the same key version is not alerted.
    log("warn", "indexErrorMarkerNotCleared", { key, ...errorFields(err) });
  }
}

/**
 * Alerts once per secret version, even when several instances meet the problem at once: the marker
 * is claimed with a conditional write first (`If-None-Match: *` when there is none, `If-Match` with
 * the ETag read when it is for another version), and only the instance whose write succeeded sends
 * the alert. `ok` is false when the alert could not be sent (the claim is released and the caller
 * fails the message, so it is tried again); a marker that cannot be confirmed after a sent alert
 * costs at most a repeated alert, so that is still `ok`.
 */
export async function reportConfigProblem(
  session: LookupSession,
  problem: ConfigProblem,
  secretVersion: string,
  indexName: string,
  /** A further index's own marker and secret. @default the primary's (`keys.indexError`, `settings.secretName`) */
  scope: { readonly markerKey: string; readonly secretName: string } = { markerKey: keys.indexError, secretName: session.settings.secretName },
): Promise<{ ok: boolean; alerted: boolean }> {
  const { ports, settings } = session;
  const { store, log } = ports;
  const markerKey = scope.markerKey;
  const fields = { problem: problem.problem, status: problem.status ?? null, secretVersion };
  const now = ports.now();
  const sent: IndexErrorMarker = {
    problem: problem.problem,
    ...(problem.status === undefined ? {} : { status: problem.status }),
    secretVersion,
    at: now.toISOString(),
  };
  let claim: ConditionalWrite;
  try {
    const marker = await store.get(markerKey);
    let condition: WriteCondition;
    if (!marker.exists) {
      condition = { ifNoneMatch: "*" };
    } else {
      const current = isIndexErrorMarker(marker.value) ? marker.value : undefined;
      if (current && current.secretVersion === secretVersion) {
        if (current.pending !== true) {
          log("warn", "indexConfigError", { ...fields, alert: "already sent" });
          return { ok: true, alerted: false };
        }
        if (!claimAbandoned(current, now)) {
          log("warn", "indexConfigError", { ...fields, alert: "being sent by another instance", claimedAt: current.at });
          return { ok: true, alerted: false };
        }
        log("warn", "indexErrorClaimAbandoned", { ...fields, claimedAt: current.at });
      }
      if (marker.etag === undefined) throw new Error(`the store returned no ETag for ${markerKey}; cannot replace it conditionally`);
      condition = { ifMatch: marker.etag };
    }
    claim = await store.putIf(markerKey, { ...sent, pending: true } satisfies IndexErrorMarker, condition);
  } catch (err) {
    log("error", "indexConfigErrorNotAlerted", { ...fields, ...errorFields(err) });
    return { ok: false, alerted: false };
  }
  if (!claim.written) {
    log("warn", "indexConfigError", { ...fields, alert: "claimed by another instance" });
    return { ok: true, alerted: false };
  }

  try {
    await ports.sendAlert(configErrorAlert({ prefix: settings.prefix, index: indexName, problem: problem.problem, secretName: scope.secretName }));
  } catch (err) {
    log("error", "indexConfigErrorNotAlerted", { ...fields, ...errorFields(err) });
    try {
      // Released so the retry of the failed message can claim it again and alert.
      if (claim.etag === undefined) await store.delete(markerKey);
      else await store.deleteIf(markerKey, claim.etag);
    } catch (releaseErr) {
      log("error", "indexErrorClaimNotReleased", { key: markerKey, staleAfterMs: INDEX_ERROR_CLAIM_STALE_MS, ...errorFields(releaseErr) });
    }
    return { ok: false, alerted: false };
  }
  log("error", "indexConfigError", { ...fields, alert: "sent" });

  try {
    // Only over our own claim: another instance may have replaced it for a newer key version.
    const confirmed = claim.etag === undefined ? (await store.put(markerKey, sent), { written: true }) : await store.putIf(markerKey, sent, { ifMatch: claim.etag });
    if (!confirmed.written) log("info", "indexErrorMarkerReplaced", { key: markerKey });
  } catch (err) {
    log("warn", "indexErrorMarkerNotWritten", { key: markerKey, ...errorFields(err) });
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
 * Rotates when policy says so. A failed rotation does not fail the message: the alert says so and
 * the next cycle tries again. `performed` is false when a retry of this message finds its own
 * rotation already done (same IP and cycle): nothing is rotated twice, and the alert mentions it
 * unless the stored `previous` state was checked at or after that rotation: `latest` is written
 * after the alert, so then the first attempt got as far as announcing it (a redelivery after full
 * success).
 */
async function rotate(
  session: LookupSession,
  message: IpMessage,
  evaluation: Evaluation,
  previous: ExposureState | undefined,
  now: Date,
): Promise<{ outcome: RotationOutcome; performed: boolean } | undefined> {
  const { ports, settings } = session;
  const { log } = ports;
  const { ip, honeypot, service } = message;
  // Not ours to move: an extra target is only watched.
  if (message.external) return undefined;
  // The marker only matters when a rotation could be due; skip the read otherwise.
  const last = settings.rotate && evaluation.state.found ? await readRotation(session, honeypot) : undefined;
  if (last && last.ip === ip && last.cycle === message.cycle) {
    const rotatedAt = Date.parse(last.lastRotatedAt);
    const checkedAt = previous === undefined ? NaN : Date.parse(previous.checkedAt);
    const announced = !Number.isNaN(rotatedAt) && !Number.isNaN(checkedAt) && checkedAt >= rotatedAt;
    log("info", "rotationAlreadyDone", { ip, honeypot, service, cycle: message.cycle, at: last.lastRotatedAt, announced });
    if (announced) return undefined;
    return { outcome: { status: "rotated", service, ...(last.message === undefined ? {} : { message: last.message }) }, performed: false };
  }
  const decision = decideRotation({ policy: { enabled: settings.rotate, minIntervalHours: settings.minRotationHours }, state: evaluation.state, lastRotatedAt: last?.lastRotatedAt, now });
  if (!decision.rotate) {
    if (decision.reason === "too-soon") log("info", "rotationTooSoon", { ip, honeypot, service, nextAllowedAt: decision.nextAllowedAt ?? null });
    return undefined;
  }
  let outcome: RotationOutcome;
  try {
    outcome = await ports.rotator(message, decision.reason);
  } catch (err) {
    log("error", "rotationFailed", { ip, honeypot, service, reason: decision.reason, ...errorFields(err) });
    return { outcome: { status: "failed", service, detail: errorFields(err).message }, performed: true };
  }
  if (outcome.status === "failed") {
    log("error", "rotationFailed", { ip, honeypot, service, reason: decision.reason, error: "RotationFailed", message: outcome.detail ?? null });
    return { outcome, performed: true };
  }
  log("info", "rotated", { ip, honeypot, service, reason: decision.reason });
  const marker: RotationMarker = {
    lastRotatedAt: now.toISOString(),
    ip,
    service,
    cycle: message.cycle,
    ...(outcome.message === undefined ? {} : { message: outcome.message }),
  };
  try {
    await ports.store.put(keys.rotation(honeypot), marker);
  } catch (err) {
    // Failing the message now would rotate again on its retry; the cost of going on is that the
    // minimum interval is not enforced for this honeypot until a marker is written.
    log("error", "rotationMarkerNotWritten", { honeypot, key: keys.rotation(honeypot), ...errorFields(err) });
  }
  return { outcome, performed: true };
}

async function readRotation(session: LookupSession, honeypot: string): Promise<RotationMarker | undefined> {
  const stored = await session.ports.store.get(keys.rotation(honeypot));
  if (!stored.exists) return undefined;
  const v = stored.value as Partial<Record<keyof RotationMarker, unknown>> | null | undefined;
  if (
    v &&
    typeof v === "object" &&
    typeof v.lastRotatedAt === "string" &&
    typeof v.ip === "string" &&
    typeof v.service === "string" &&
    typeof v.cycle === "string" &&
    (v.message === undefined || typeof v.message === "string")
  ) {
    return v as RotationMarker;
  }
  session.ports.log("warn", "rotationMarkerIgnored", { honeypot, key: keys.rotation(honeypot) });
  return undefined;
}
