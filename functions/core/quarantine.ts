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
 * Proofs of address (anti-spoofing): every record that proves its source's address is noted in the
 * detector; news (a new client, or an hour since its last stored proof) is written to the store in
 * one go per batch, and the stored proofs of the sources to evaluate are read with their states, so
 * an instance that never saw a client still knows it is established. A withheld detection (an
 * established client on forgeable evidence) is logged (`quarantine-withheld`) and reported, and
 * quarantines nothing.
 *
 * Detector state per source: the detector tracks a source from its first failure on, so the store is
 * read and written only for sources with a failure in the batch, plus sources the warm detector
 * already tracks (so that their successes count too). A tracked source's successes that reach an
 * instance whose detector does not track it, in a batch without a failure from it, are not counted:
 * successes only lower the clamped TRW's ratio, so the source is flagged at most a few failures
 * sooner than it would be with every success counted. Benign clients cost no store call.
 *
 * Time: a quarantine's `lastSeen` is when its records were *received* (`now` of the batch), not their
 * event time: flow logs arrive 5–10 minutes late, and a quiet period measured on event times against
 * the wall clock would end Defence Mode while the scan is still being delivered.
 *
 * Concurrency:
 * - source state: conditional write on the version read; on a conflict the source is re-read and only
 *   this batch's records are fed again (the other writer's records are in what we re-read);
 * - a detection writes the quarantine before the source state, so a crash in between is retried
 *   with the quarantine already stored (never lost; a detection may be reported twice);
 * - the mode: every batch with new flags writes the mode record conditionally, even when it does not
 *   change, so a tick that decides "Normal" from an older read conflicts and re-reads the quarantines;
 * - forgetting: the tick deletes a quarantine only if its `lastSeen` is still what it read, so a
 *   batch's concurrent refresh keeps the source (re-evaluated on the next tick);
 * - rules: one reconciler at a time under a lease; the holder re-plans after applying until a plan is
 *   empty, so quarantines written by others while it worked are included; the others skip;
 * - copies: lowered only after the rules are gone and a fresh read of the mode is still Normal, so a
 *   batch that brought Defence back meanwhile keeps them up. Rules are added only while the copies'
 *   target group has a healthy target, so a steered source never meets a 503.
 */
import { ScanDetector } from "./detector";
import { evaluateMode, isLive, isRemembered, onDetections, onRemembered, rememberedUntil } from "./mode";
import { planRules, toCidr, type Plan } from "./planner";
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
  /** Called once per new detection, withheld ones included, with the record that decided it (`lure simulate` prints its line number). */
  readonly onDetection?: (detection: Detection, record: FlowRecord) => void;
  /**
   * Lease of one rule reconciliation, in seconds: longer than the slowest reconciliation can take
   * (an Application Gateway PUT takes minutes).
   * @default LEASE_SECONDS
   */
  readonly leaseSeconds?: number;
  /**
   * Whether `processRecords` reconciles the rules when a batch changed what should be steered. Off
   * where a rule change is too slow for the batch's function (Azure: the detector only writes the
   * store, the mode tick reconciles within the minute).
   * @default true
   */
  readonly reconcileOnBatch?: boolean;
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
  /** Wanted sources not added yet because the copies have no healthy target (the next tick adds them). */
  waiting: string[];
  /** The load balancer refused a create (its rule limit): lure kept the rules it has and evicted the rest. */
  ruleQuotaReached: boolean;
}

export interface BatchReport {
  records: number;
  allowListed: number;
  /** Sources whose detector state was read and fed. */
  evaluatedSources: number;
  /** New detections of this batch (each quarantines its source). */
  detections: Detection[];
  /** Established clients flagged on forgeable evidence: reported, not quarantined. */
  withheld: Detection[];
  /** Proofs of address written to the store. */
  proofsStored: number;
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
  /** Quarantines to forget or expire that a concurrent batch refreshed: kept, judged again next tick. */
  kept: string[];
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

/** With `forgetOnNormal`, how long past the quiet period a quarantine item outlives the tick that forgets it. */
export const FORGET_MARGIN_SECONDS = 600;

/**
 * How long the store keeps a quarantine item: a safety net behind the tick, which deletes it first.
 * With `forgetOnNormal` a quiet quarantine is useless, so the item ends {@link FORGET_MARGIN_SECONDS}
 * after it goes quiet; otherwise it lives until its memory ends plus one quiet period.
 */
export function quarantineExpiry(lastSeen: number, mode: ModeOptions): number {
  if (mode.forgetOnNormal) return lastSeen + mode.quietPeriodMinutes * 60 + FORGET_MARGIN_SECONDS;
  return rememberedUntil({ lastSeen }, mode) + mode.quietPeriodMinutes * 60;
}

/** The name a steering port gives the error when the load balancer holds all the rules it accepts. */
const RULE_QUOTA_ERROR = "RuleQuotaError";

/**
 * One batch of flow records (a CloudWatch Logs delivery): refresh quarantined sources, run the
 * detector over the others, quarantine what it flags, switch the mode, and reconcile the rules when
 * what should be steered changed in Defence Mode.
 */
export async function processRecords(records: readonly FlowRecord[], deps: EngineDeps, now: number): Promise<BatchReport> {
  const { store, config } = deps;
  const detector = deps.detector ?? new ScanDetector(config.detector);
  const report: BatchReport = {
    records: records.length,
    allowListed: 0,
    evaluatedSources: 0,
    detections: [],
    withheld: [],
    proofsStored: 0,
    remembered: [],
    refreshed: 0,
    conflicts: 0,
    enteredDefence: false,
  };
  const spoofGuard = config.detector.antiSpoofing.enabled;

  const bySrc = new Map<string, FlowRecord[]>();
  /** Sources whose proof is news for the store. */
  const proven = new Set<string>();
  for (const r of records) {
    if (detector.isAllowed(r.src)) {
      report.allowListed++;
      continue;
    }
    if (spoofGuard && r.proof === true && detector.prove(r.src, r.time)) proven.add(r.src);
    const list = bySrc.get(r.src);
    if (list) list.push(r);
    else bySrc.set(r.src, [r]);
  }
  if (proven.size > 0) {
    await store.putProofs([...proven].map((src) => {
      const proof = detector.proofOf(src)!;
      return { src, proof, expiresAt: detector.proofExpiry(proof) };
    }));
    report.proofsStored = proven.size;
  }
  if (bySrc.size === 0) return report;
  // Event-time order per source (stable: equal times keep delivery order). Most lists are one
  // record, or already in order: checking is cheaper than sorting.
  for (const list of bySrc.values()) if (!inTimeOrder(list)) list.sort((a, b) => a.time - b.time);

  const quarantines = new Map((await store.listQuarantines()).map((q) => [q.src, q]));
  const liveCount = [...quarantines.values()].filter((q) => isLive(q, config.mode, now)).length;
  // Near the quota a refresh can change who is evicted (least recently seen); below it, only a
  // quarantine coming back to life changes the steered set. Other rules of the listener can lower the
  // capacity below this bound; the next tick (a minute at most) then applies the new order.
  const { ruleQuota, albRuleLimit, cidrsPerRule } = config.steering;
  const nearQuota = liveCount >= Math.min(ruleQuota, albRuleLimit) * cidrsPerRule;
  const flags: number[] = [];
  let steeringChanged = false;
  const toDetect: string[] = [];

  for (const [src, recs] of bySrc) {
    const q = quarantines.get(src);
    if (!q) {
      if (detector.has(src) || recs.some((r) => r.outcome === "FAIL")) toDetect.push(src);
      continue;
    }
    // Receipt time: however late the records were delivered, the source is active now.
    if (now <= q.lastSeen) continue;
    const first = recs[0].time;
    const remembered = isRemembered(q, now, config.mode);
    const refreshed: Quarantine = remembered ? { ...q, detectedAt: first, lastSeen: now, reason: "remembered", probes: 0 } : { ...q, lastSeen: now };
    await store.upsertQuarantine(refreshed, quarantineExpiry(now, config.mode));
    report.refreshed++;
    if (remembered) {
      report.remembered.push({ src, time: first });
      deps.log?.("quarantine-remembered", { src, time: first, lastSeen: q.lastSeen });
    }
    if (nearQuota || !isLive(q, config.mode, now)) steeringChanged = true;
  }

  if (toDetect.length > 0) {
    report.evaluatedSources = toDetect.length;
    const stored = await store.getSources(toDetect);
    if (spoofGuard) for (const [src, proof] of await store.getProofs(toDetect)) detector.loadProof(src, proof);
    for (const src of toDetect) {
      const detection = await detectSource(src, bySrc.get(src)!, stored.get(src), detector, deps, report, now);
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
  if ((flagged || steeringChanged) && deps.reconcileOnBatch !== false) {
    mode ??= (await store.getMode()).value.mode;
    if (mode === "defence") report.reconcile = await reconcile(deps, now);
  }
  return report;
}

function inTimeOrder(list: readonly FlowRecord[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i].time < list[i - 1].time) return false;
  return true;
}

/** Feeds one source's records on top of its stored state and writes it back, retrying lost races. */
async function detectSource(
  src: string,
  recs: readonly FlowRecord[],
  stored: Versioned<SourceState> | undefined,
  detector: ScanDetector,
  deps: EngineDeps,
  report: BatchReport,
  now: number,
): Promise<Detection | undefined> {
  const { store, config } = deps;
  let entry = stored;
  let detection: Detection | undefined;
  let reported = false;
  for (let attempt = 1; ; attempt++) {
    // The stored state is the truth: a warm detector's own copy may be stale or already dropped.
    if (entry) detector.load(src, entry.value);
    else detector.forget(src);
    let found: Detection | undefined;
    let deciding: FlowRecord | undefined;
    const withheld: { d: Detection; r: FlowRecord }[] = [];
    for (const r of recs) {
      const d = detector.observe(r);
      if (d?.withheld) withheld.push({ d, r });
      else if (d && !found) {
        found = d;
        deciding = r;
      }
    }
    // A retry after a conflict feeds the records again: report once.
    if (!reported && withheld.length > 0) {
      reported = true;
      for (const { d, r } of withheld) {
        report.withheld.push(d);
        deps.log?.("quarantine-withheld", { src, reason: d.reason, probes: d.probes, failures: d.failures, time: d.time, establishedSince: d.establishedSince });
        deps.onDetection?.(d, r);
      }
    }
    if (found && !detection) {
      detection = found;
      // Quarantine first: a crash before the state write is retried with the quarantine in place.
      await store.upsertQuarantine({ src, detectedAt: found.time, lastSeen: now, reason: found.reason, probes: found.probes }, quarantineExpiry(now, config.mode));
      deps.log?.("quarantine", { src, reason: found.reason, probes: found.probes, failures: found.failures, time: found.time });
      deps.onDetection?.(found, deciding!);
    }
    const state = detector.save(src);
    if (!state) return detection;
    try {
      await store.putSource(src, state, entry?.version, detector.expiresAt(src)!);
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
 * seen evicted beyond the capacity), in Normal Mode none. Under the lease only; without it, returns
 * `skipped` at once.
 *
 * - No source is added while the copies have no healthy target (`waiting`): a rule would send it to
 *   an empty target group (HTTP 503). Sources already steered stay; removals go ahead.
 * - When the load balancer refuses a create because it holds all the rules it accepts (an error named
 *   `RuleQuotaError`), lure keeps the rules it has, evicts the rest and says so; the batch does not fail.
 */
export async function reconcile(deps: EngineDeps, now: number): Promise<ReconcileReport> {
  const { store, steering, config, owner } = deps;
  if (!(await store.acquireLease(owner, now, deps.leaseSeconds ?? LEASE_SECONDS))) {
    deps.log?.("reconcile-skipped", { owner });
    return { skipped: true, changes: [], steered: 0, evicted: [], capacity: 0, waiting: [], ruleQuotaReached: false };
  }
  const changes: RuleChange[] = [];
  let plan: Plan | undefined;
  let settled = false;
  let waiting: string[] = [];
  let quotaReached = false;
  // Asked once per reconciliation, and only when a source is to be added.
  let healthy: number | undefined;
  try {
    for (let round = 1; round <= MAX_RECONCILE_ROUNDS && !settled; round++) {
      const mode = (await store.getMode()).value.mode;
      const quarantines = await store.listQuarantines();
      let wanted = mode === "defence" ? quarantines.filter((q) => isLive(q, config.mode, now)).map((q) => ({ src: q.src, lastSeen: q.lastSeen })) : [];
      // One read per round: both halves come from the same DescribeRules pages.
      const { rules: current, otherPriorities } = await steering.readRules();
      const steeredNow = new Set(current.flatMap((r) => r.cidrs));
      const adding = wanted.filter((w) => !steeredNow.has(toCidr(w.src)));
      waiting = [];
      if (adding.length > 0) {
        healthy ??= await steering.healthyTargets();
        if (healthy === 0) {
          waiting = adding.map((w) => w.src);
          wanted = wanted.filter((w) => steeredNow.has(toCidr(w.src)));
        }
      }
      // The load balancer took no more: plan within the rules lure holds now (eviction does the rest).
      const options = quotaReached ? { ...config.steering, albRuleLimit: Math.min(config.steering.albRuleLimit, new Set(otherPriorities).size + current.length) } : config.steering;
      plan = planRules({ wanted, current, otherPriorities, options });
      settled = plan.changes.length === 0;
      try {
        for (const c of plan.changes) {
          await steering.apply(c);
          changes.push(c);
        }
      } catch (e) {
        if (e instanceof ConflictError) {
          // A priority taken meanwhile (a user's rule): re-list and re-plan in the next round.
          deps.log?.("rule-conflict", { round, message: e.message });
        } else if (e instanceof Error && e.name === RULE_QUOTA_ERROR) {
          quotaReached = true;
          settled = false;
          deps.log?.("rule-quota-reached", { round, rules: current.length, otherRules: otherPriorities.length, message: e.message });
        } else throw e;
      }
    }
  } finally {
    await store.releaseLease(owner);
  }
  // Still changing after the last round (rules edited under us): the next tick carries on.
  if (!settled) deps.log?.("reconcile-unsettled", { rounds: MAX_RECONCILE_ROUNDS, changes: changes.length });
  const final = plan!;
  if (waiting.length > 0) deps.log?.("copies-not-ready", { waiting, steered: final.steered.length });
  if (final.evicted.length > 0) deps.log?.("quarantine-evicted", { evicted: final.evicted, capacity: final.capacity, steered: final.steered.length });
  if (changes.length > 0) deps.log?.("rules-reconciled", { changes: changes.length, steered: final.steered.length });
  return { skipped: false, changes, steered: final.steered.length, evicted: final.evicted, capacity: final.capacity, waiting, ruleQuotaReached: quotaReached };
}

/**
 * The every-minute mode function: evaluate the mode from the quarantines, forget or expire sources,
 * set the copies and reconcile the rules. In Defence Mode the copies are raised before the rules (and
 * rules wait for a healthy copy); on the way back to Normal the rules go first and the copies are
 * lowered only once they are gone and the mode, read again, is still Normal, so a quarantined source
 * never hits a target group without targets. Idempotent when nothing changed. `mode` in the report is
 * what this tick decided.
 */
export async function tick(deps: EngineDeps, now: number): Promise<TickReport> {
  const { store, steering, config, copies } = deps;
  let evaluation: ReturnType<typeof evaluateMode> | undefined;
  let quarantines: Quarantine[] = [];
  for (let attempt = 1; ; attempt++) {
    const current = await store.getMode();
    quarantines = await store.listQuarantines();
    evaluation = evaluateMode(current.value, quarantines, config.mode, now);
    if (evaluation.state === current.value) break;
    try {
      await store.putMode(evaluation.state, current.version);
      break;
    } catch (e) {
      // A batch flagged a source meanwhile: decide again from what it wrote.
      if (!(e instanceof ConflictError) || attempt >= MAX_WRITE_ATTEMPTS) throw e;
    }
  }
  const { state, entered, left } = evaluation;
  const lastSeen = new Map(quarantines.map((q) => [q.src, q.lastSeen]));
  const forgotten: string[] = [];
  const expired: string[] = [];
  const kept: string[] = [];
  for (const [src, done] of [...evaluation.forget.map((s) => [s, forgotten] as const), ...evaluation.expired.map((s) => [s, expired] as const)]) {
    // Only the quarantine we judged: a batch that refreshed it since keeps it, with its detector state.
    if (!(await store.deleteQuarantine(src, lastSeen.get(src)))) {
      kept.push(src);
      continue;
    }
    await store.deleteSource(src);
    deps.detector?.forget(src);
    done.push(src);
  }
  if (entered) deps.log?.("defence-mode", { since: now, recovered: true });
  if (left) deps.log?.("normal-mode", { since: now, forgotten: forgotten.length });
  if (expired.length > 0) deps.log?.("quarantine-expired", { expired });
  if (kept.length > 0) deps.log?.("quarantine-kept", { kept });
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
    if (!result.skipped && desired !== config.copies.normalCount) {
      // A batch may have brought Defence back, and a rule, since this tick decided Normal.
      const mode = (await store.getMode()).value.mode;
      const rules = mode === "normal" ? (await steering.readRules()).rules.length : undefined;
      if (rules === 0) await copies.setDesired((desired = config.copies.normalCount));
      else deps.log?.("copies-kept", { mode, rules });
    }
  }
  return { mode: state.mode, changed: entered || left, forgotten, expired, kept, copies: desired, reconcile: result };
}
