/**
 * The Quarantine engine: scan detection over a batch of flow records, the mode switch and the
 * steering rules, all through the ports of `quarantine-types.ts`. The AWS handlers and
 * `lure simulate` call the same three functions:
 *
 * ```ts
 * const deps = { store, steering, copies, config, owner: context.awsRequestId };
 * await processRecords(records, deps, now);   // each CloudWatch Logs batch
 * await tick(deps, now);                      // every minute
 * ```
 *
 * The store is the source of truth; a detector kept warm in memory is only a working copy.
 *
 * Detector state per source: the detector tracks a source from its first failure on, so the store is
 * read and written only for sources with a failure in the batch, plus sources the warm detector
 * already tracks (so that their successes count too). A tracked source's successes that reach an
 * instance whose detector does not track it, in a batch without a failure from it, are not counted:
 * successes only lower the clamped TRW's ratio, so the source is flagged at most a few failures
 * sooner than it would be with every success counted. Benign clients cost no store call.
 *
 * Concurrency:
 * - source state: conditional write on the version read; on a conflict the source is re-read and only
 *   this batch's records are fed again (the other writer's records are in what we re-read);
 * - a detection writes the quarantine before the source state, so a crash in between is retried
 *   with the quarantine already stored (never lost; a detection may be reported twice);
 * - the mode: every batch with new flags writes the mode record conditionally, even when it does not
 *   change, so a tick that decides "Normal" from an older read conflicts and re-reads the quarantines;
 * - rules: one reconciler at a time under a lease; the holder re-plans after applying until a plan is
 *   empty, so quarantines written by others while it worked are included; the others skip.
 *
 * Known gap: a remembered quarantine refreshed while a tick forgets or expires it is deleted anyway
 * (the store's delete is unconditional); its next records are then detected from scratch.
 */
import { ScanDetector } from "./detector";
import { evaluateMode, isLive, isRemembered, onDetections, onRemembered, rememberedUntil } from "./mode";
import { planRules, type Plan } from "./planner";
import {
  ConflictError,
  type CopiesPort,
  type Detection,
  type FlowRecord,
  type Mode,
  type ModeOptions,
  type ModeState,
  type Quarantine,
  type QuarantineRuntimeConfig,
  type QuarantineStore,
  type RuleChange,
  type SteeringPort,
  type Versioned,
  type SourceState,
} from "./quarantine-types";

export interface EngineDeps {
  readonly store: QuarantineStore;
  readonly steering: SteeringPort;
  readonly copies: CopiesPort;
  readonly config: QuarantineRuntimeConfig;
  /** Lease owner id for rule reconciliation (e.g. the Lambda request id). */
  readonly owner: string;
  readonly log?: (event: string, fields: Readonly<Record<string, unknown>>) => void;
  /** A detector instance to reuse across calls (kept warm in a Lambda instance / for a whole simulate run); created from config.detector if absent. */
  readonly detector?: ScanDetector;
  /** Called once per new detection with the record that decided it (`lure simulate` prints its line number). */
  readonly onDetection?: (detection: Detection, record: FlowRecord) => void;
}

export interface ReconcileReport {
  /** Another reconciler held the lease; it (or the next tick) includes what this call would have done. */
  skipped: boolean;
  /** Changes applied, in order. */
  changes: RuleChange[];
  /** Sources steered to the copies after the changes. */
  steered: number;
  /** Wanted sources that did not fit in the rule quota (least recently seen first). */
  evicted: string[];
  /** Rules lure may hold (planner's definition). */
  capacity: number;
}

export interface BatchReport {
  records: number;
  allowListed: number;
  /** Sources whose detector state was read and fed. */
  evaluatedSources: number;
  /** New detections of this batch. */
  detections: Detection[];
  /** Remembered sources seen again (quarantined again, a flag for the mode), with the sighting's time. */
  remembered: { src: string; time: number }[];
  /** Quarantines whose `lastSeen` moved forward. */
  refreshed: number;
  /** Conditional writes that lost a race and were retried. */
  conflicts: number;
  enteredDefence: boolean;
  /** Present when the batch changed what should be steered in Defence Mode. */
  reconcile?: ReconcileReport;
}

export interface TickReport {
  mode: Mode;
  /** The mode changed in this tick. */
  changed: boolean;
  forgotten: string[];
  expired: string[];
  /** Copies asked for after this tick. */
  copies: number;
  reconcile: ReconcileReport;
}

/** Tries of a conditional write before giving up (the Lambda runtime then retries the batch). */
export const MAX_WRITE_ATTEMPTS = 5;
/** Lease for rule reconciliation: far longer than a reconciliation, short enough to survive a crash. */
export const LEASE_SECONDS = 60;
/** Plan–apply rounds of one reconciliation; the next tick continues if the rules are still moving. */
export const MAX_RECONCILE_ROUNDS = 5;

/** How long the store keeps a quarantine item: a safety net behind the tick, which forgets it first. */
export function quarantineExpiry(lastSeen: number, mode: ModeOptions): number {
  return rememberedUntil({ lastSeen }, mode) + mode.quietPeriodMinutes * 60;
}

/**
 * One batch of flow records (a CloudWatch Logs delivery): refresh quarantined sources, run the
 * detector over the others, quarantine what it flags, switch the mode, and reconcile the rules when
 * what should be steered changed in Defence Mode.
 */
export async function processRecords(records: readonly FlowRecord[], deps: EngineDeps, now: number): Promise<BatchReport> {
  const { store, config } = deps;
  const detector = deps.detector ?? new ScanDetector(config.detector);
  const report: BatchReport = { records: records.length, allowListed: 0, evaluatedSources: 0, detections: [], remembered: [], refreshed: 0, conflicts: 0, enteredDefence: false };

  const bySrc = new Map<string, FlowRecord[]>();
  for (const r of records) {
    if (detector.isAllowed(r.src)) {
      report.allowListed++;
      continue;
    }
    const list = bySrc.get(r.src);
    if (list) list.push(r);
    else bySrc.set(r.src, [r]);
  }
  if (bySrc.size === 0) return report;
  // Event-time order per source (stable: equal times keep delivery order).
  for (const list of bySrc.values()) list.sort((a, b) => a.time - b.time);

  const quarantines = new Map((await store.listQuarantines()).map((q) => [q.src, q]));
  const liveCount = [...quarantines.values()].filter((q) => isLive(q, config.mode, now)).length;
  // Near the quota a refresh can change who is evicted (least recently seen); below it, only a
  // quarantine coming back to life changes the steered set.
  const nearQuota = liveCount >= config.steering.ruleQuota * config.steering.cidrsPerRule;
  const flags: number[] = [];
  let steeringChanged = false;
  const toDetect: string[] = [];

  for (const [src, recs] of bySrc) {
    const q = quarantines.get(src);
    if (!q) {
      if (detector.has(src) || recs.some((r) => r.outcome === "FAIL")) toDetect.push(src);
      continue;
    }
    const last = recs[recs.length - 1].time;
    if (last <= q.lastSeen) continue;
    const first = recs.find((r) => r.time > q.lastSeen)!.time;
    const remembered = isRemembered(q, first, config.mode);
    const refreshed: Quarantine = remembered ? { ...q, detectedAt: first, lastSeen: last, reason: "remembered", probes: 0 } : { ...q, lastSeen: last };
    await store.upsertQuarantine(refreshed, quarantineExpiry(last, config.mode));
    report.refreshed++;
    if (remembered) {
      report.remembered.push({ src, time: first });
      deps.log?.("quarantine-remembered", { src, time: first, lastSeen: q.lastSeen });
    }
    if (nearQuota || (!isLive(q, config.mode, now) && isLive(refreshed, config.mode, now))) steeringChanged = true;
  }

  if (toDetect.length > 0) {
    report.evaluatedSources = toDetect.length;
    const stored = await store.getSources(toDetect);
    for (const src of toDetect) {
      const detection = await detectSource(src, bySrc.get(src)!, stored.get(src), detector, deps, report);
      if (detection) {
        report.detections.push(detection);
        flags.push(detection.time);
      }
    }
  }

  let mode: Mode | undefined;
  const flagged = flags.length > 0 || report.remembered.length > 0;
  if (flagged) {
    const written = await writeMode(store, report, (state) => {
      const detected = onDetections(state, flags, config.mode, now);
      if (report.remembered.length === 0) return detected;
      const back = onRemembered(detected.state, now);
      return { state: back.state, entered: detected.entered || back.entered };
    });
    mode = written.state.mode;
    if (written.entered) {
      report.enteredDefence = true;
      deps.log?.("defence-mode", { since: now, detections: report.detections.map((d) => d.src), remembered: report.remembered.map((r) => r.src) });
      await deps.copies.setDesired(config.copies.defenceCount);
    }
  }
  if (flagged || steeringChanged) {
    mode ??= (await store.getMode()).value.mode;
    if (mode === "defence") report.reconcile = await reconcile(deps, now);
  }
  return report;
}

/** Feeds one source's records on top of its stored state and writes it back, retrying lost races. */
async function detectSource(
  src: string,
  recs: readonly FlowRecord[],
  stored: Versioned<SourceState> | undefined,
  detector: ScanDetector,
  deps: EngineDeps,
  report: BatchReport,
): Promise<Detection | undefined> {
  const { store, config } = deps;
  let entry = stored;
  let detection: Detection | undefined;
  for (let attempt = 1; ; attempt++) {
    // The stored state is the truth: a warm detector's own copy may be stale or already dropped.
    if (entry) detector.load(src, entry.value);
    else detector.forget(src);
    let found: Detection | undefined;
    let deciding: FlowRecord | undefined;
    for (const r of recs) {
      const d = detector.observe(r);
      if (d && !found) {
        found = d;
        deciding = r;
      }
    }
    if (found && !detection) {
      detection = found;
      const last = recs[recs.length - 1].time;
      // Quarantine first: a crash before the state write is retried with the quarantine in place.
      await store.upsertQuarantine({ src, detectedAt: found.time, lastSeen: last, reason: found.reason, probes: found.probes }, quarantineExpiry(last, config.mode));
      deps.log?.("quarantine", { src, reason: found.reason, probes: found.probes, failures: found.failures, time: found.time });
      deps.onDetection?.(found, deciding!);
    }
    const state = detector.save(src);
    if (!state) return detection;
    try {
      await store.putSource(src, state, entry?.version, state.lastSeen + config.detector.idleMinutes * 60);
      return detection;
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      report.conflicts++;
      deps.log?.("source-conflict", { src, attempt });
      if (attempt >= MAX_WRITE_ATTEMPTS) throw e;
      entry = (await store.getSources([src])).get(src);
    }
  }
}

/** Read–decide–write of the mode record with conditional retries; always writes (see file header). */
async function writeMode(
  store: QuarantineStore,
  report: { conflicts: number },
  decide: (state: ModeState) => { state: ModeState; entered: boolean },
): Promise<{ state: ModeState; entered: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.getMode();
    const next = decide(current.value);
    try {
      await store.putMode(next.state, current.version);
      return next;
    } catch (e) {
      if (!(e instanceof ConflictError) || attempt >= MAX_WRITE_ATTEMPTS) throw e;
      report.conflicts++;
    }
  }
}

/**
 * Makes the rules match the store: in Defence Mode every live quarantine is steered (least recently
 * seen evicted beyond the quota), in Normal Mode none. Under the lease only; without it, returns
 * `skipped` at once.
 */
export async function reconcile(deps: EngineDeps, now: number): Promise<ReconcileReport> {
  const { store, steering, config, owner } = deps;
  if (!(await store.acquireLease(owner, now, LEASE_SECONDS))) {
    deps.log?.("reconcile-skipped", { owner });
    return { skipped: true, changes: [], steered: 0, evicted: [], capacity: 0 };
  }
  const changes: RuleChange[] = [];
  let plan: Plan | undefined;
  let settled = false;
  try {
    for (let round = 1; round <= MAX_RECONCILE_ROUNDS && !settled; round++) {
      const mode = (await store.getMode()).value.mode;
      const quarantines = await store.listQuarantines();
      const wanted = mode === "defence" ? quarantines.filter((q) => isLive(q, config.mode, now)).map((q) => ({ src: q.src, lastSeen: q.lastSeen })) : [];
      const current = await steering.listRules();
      const otherPriorities = await steering.otherRulePriorities();
      plan = planRules({ wanted, current, otherPriorities, options: config.steering });
      settled = plan.changes.length === 0;
      try {
        for (const c of plan.changes) {
          await steering.apply(c);
          changes.push(c);
        }
      } catch (e) {
        // A priority taken meanwhile (a user's rule): re-list and re-plan in the next round.
        if (!(e instanceof ConflictError)) throw e;
        deps.log?.("rule-conflict", { round, message: e.message });
      }
    }
  } finally {
    await store.releaseLease(owner);
  }
  // Still changing after the last round (rules edited under us): the next tick carries on.
  if (!settled) deps.log?.("reconcile-unsettled", { rounds: MAX_RECONCILE_ROUNDS, changes: changes.length });
  const final = plan!;
  if (final.evicted.length > 0) deps.log?.("quarantine-evicted", { evicted: final.evicted, capacity: final.capacity, steered: final.steered.length });
  if (changes.length > 0) deps.log?.("rules-reconciled", { changes: changes.length, steered: final.steered.length });
  return { skipped: false, changes, steered: final.steered.length, evicted: final.evicted, capacity: final.capacity };
}

/**
 * The every-minute mode function: evaluate the mode from the quarantines, forget or expire sources,
 * set the copies and reconcile the rules. In Defence Mode the copies are raised before the rules;
 * on the way back to Normal the rules go first and the copies are lowered only once they are gone,
 * so a quarantined source never hits a target group without targets. Idempotent when nothing changed.
 */
export async function tick(deps: EngineDeps, now: number): Promise<TickReport> {
  const { store, config, copies } = deps;
  let evaluation: ReturnType<typeof evaluateMode> | undefined;
  for (let attempt = 1; ; attempt++) {
    const current = await store.getMode();
    evaluation = evaluateMode(current.value, await store.listQuarantines(), config.mode, now);
    if (evaluation.state === current.value) break;
    try {
      await store.putMode(evaluation.state, current.version);
      break;
    } catch (e) {
      // A batch flagged a source meanwhile: decide again from what it wrote.
      if (!(e instanceof ConflictError) || attempt >= MAX_WRITE_ATTEMPTS) throw e;
    }
  }
  const { state, entered, left, forget, expired } = evaluation;
  if (entered) deps.log?.("defence-mode", { since: now, recovered: true });
  if (left) deps.log?.("normal-mode", { since: now, forgotten: forget.length });
  for (const src of [...forget, ...expired]) {
    await store.deleteQuarantine(src);
    await store.deleteSource(src);
    deps.detector?.forget(src);
  }
  if (expired.length > 0) deps.log?.("quarantine-expired", { expired });
  // Keeps a warm detector's memory bounded; the store's copies expire by their own TTL.
  deps.detector?.expire(now);

  let desired = await copies.getDesired();
  let result: ReconcileReport;
  if (state.mode === "defence") {
    if (desired !== config.copies.defenceCount) await copies.setDesired((desired = config.copies.defenceCount));
    result = await reconcile(deps, now);
  } else {
    result = await reconcile(deps, now);
    // A skipped reconcile may leave rules pointing at the copies: lower them on a later tick.
    if (!result.skipped && desired !== config.copies.normalCount) await copies.setDesired((desired = config.copies.normalCount));
  }
  return { mode: state.mode, changed: entered || left, forgotten: forget, expired, copies: desired, reconcile: result };
}
