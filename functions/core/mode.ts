/**
 * The Quarantine's mode machine: Normal ↔ Defence. Pure functions over {@link ModeState}; the engine
 * (`quarantine.ts`) reads and writes the state through the store with conditional writes.
 *
 * Vocabulary used here and in the engine:
 * - a quarantine is **live** while `now < lastSeen + quietPeriodMinutes`: it is steered to the copies
 *   (in Defence Mode) and keeps Defence Mode on. `lastSeen` is when its records were last *received*
 *   (the engine's clock), so flow logs delivered minutes late still count as activity;
 * - a quarantine that is not live is **quiet**; with `forgetOnNormal` a quiet one is forgotten by the
 *   next tick, in either mode; without it a quiet one is **remembered** until
 *   `lastSeen + rememberMinutes`: seen again, it is quarantined again and re-enters Defence Mode at
 *   once, without waiting for a new detection or for `defenceAfterSources` (the engine asks
 *   {@link isRemembered}, then calls {@link onRemembered}).
 *
 * Flag times are event times (when the deciding record happened), `now` is the caller's clock; the
 * `defenceWindowMinutes` window is measured between flags, so the minutes of flow-log delivery delay
 * do not shrink it.
 */
import type { ModeOptions, ModeState, Quarantine } from "./quarantine-types";

/** The state before anything happened: Normal since `now`, no flags. */
export function initialMode(now: number): ModeState {
  return { mode: "normal", since: now, recentFlags: [] };
}

/** True while the quarantine keeps Defence Mode on (and is steered to the copies). */
export function isLive(q: Pick<Quarantine, "lastSeen">, options: ModeOptions, now: number): boolean {
  return now < q.lastSeen + options.quietPeriodMinutes * 60;
}

/**
 * True when a stored quarantine whose records are received again at `sightingTime` (the engine's
 * clock, like `lastSeen`) counts as a remembered source (a new flag for the mode): it had gone quiet,
 * and sources are remembered rather than forgotten. With `forgetOnNormal` a quiet quarantine is only
 * waiting to be forgotten by the next tick, so seeing it again just refreshes it.
 */
export function isRemembered(q: Pick<Quarantine, "lastSeen">, sightingTime: number, options: ModeOptions): boolean {
  return !options.forgetOnNormal && sightingTime >= q.lastSeen + options.quietPeriodMinutes * 60 && sightingTime < rememberedUntil(q, options);
}

/** End of a quarantine's memory: `lastSeen + max(quietPeriod, remember)` (never before it goes quiet). */
export function rememberedUntil(q: Pick<Quarantine, "lastSeen">, options: ModeOptions): number {
  return q.lastSeen + Math.max(options.quietPeriodMinutes, options.rememberMinutes) * 60;
}

/**
 * True when `defenceAfterSources` of these flag times (ascending) fall within
 * `defenceWindowMinutes` of each other, both ends included.
 */
export function thresholdReached(sortedTimes: readonly number[], options: ModeOptions): boolean {
  const n = Math.max(1, options.defenceAfterSources);
  const window = options.defenceWindowMinutes * 60;
  for (let i = n - 1; i < sortedTimes.length; i++) if (sortedTimes[i] - sortedTimes[i - n + 1] <= window) return true;
  return false;
}

/**
 * New flags (event times of new detections or remembered sightings). In Normal Mode, enters Defence
 * on the first flag (`defenceAfterSources` = 1) or once `defenceAfterSources` flags fall within
 * `defenceWindowMinutes`; otherwise keeps the most recent flags that could still complete a window
 * (at most `defenceAfterSources − 1`, so the record stays small). In Defence Mode flags change nothing.
 */
export function onDetections(state: ModeState, flagTimes: readonly number[], options: ModeOptions, now: number): { state: ModeState; entered: boolean } {
  if (flagTimes.length === 0 || state.mode === "defence") return { state, entered: false };
  const all = [...state.recentFlags, ...flagTimes].sort((a, b) => a - b);
  if (thresholdReached(all, options)) return { state: { mode: "defence", since: now, recentFlags: [] }, entered: true };
  const newest = all[all.length - 1];
  const window = options.defenceWindowMinutes * 60;
  // A flag older than `newest − window` can only pair with flags at most `newest`, which were just checked.
  const keep = Math.max(0, options.defenceAfterSources - 1);
  const candidates = all.filter((t) => t > newest - window);
  const recentFlags = keep === 0 ? [] : candidates.slice(-keep);
  return { state: { mode: "normal", since: state.since, recentFlags }, entered: false };
}

/**
 * A remembered source was seen again: Defence Mode at once in Normal Mode, whatever
 * `defenceAfterSources` says (the source was already judged once). No change in Defence Mode.
 */
export function onRemembered(state: ModeState, now: number): { state: ModeState; entered: boolean } {
  if (state.mode === "defence") return { state, entered: false };
  return { state: { mode: "defence", since: now, recentFlags: [] }, entered: true };
}

/** What a periodic evaluation decided. */
export interface ModeEvaluation {
  /** The new state; the same object when nothing changed (no write needed). */
  readonly state: ModeState;
  /** Entered Defence Mode (only as recovery, see {@link evaluateMode}). */
  readonly entered: boolean;
  /** Left Defence Mode. */
  readonly left: boolean;
  /** Quiet quarantines to delete because sources are forgotten (`forgetOnNormal`). */
  readonly forget: string[];
  /** Remembered quarantines whose memory ran out. */
  readonly expired: string[];
}

/**
 * Periodic evaluation (every minute).
 * - Defence stays while any quarantine is live; once none is, Normal Mode begins at `now`.
 * - In either mode: with `forgetOnNormal` every quiet quarantine is forgotten (so the store holds only
 *   live ones); without it, quiet quarantines are remembered until {@link rememberedUntil} and then
 *   expire.
 * - Recovery: in Normal Mode, if the live quarantines' detection times reach the Defence threshold,
 *   Defence begins. This only happens when a flag's mode write was lost (a crash between writing the
 *   quarantine and the mode: the retried batch finds the source quarantined and flags nothing).
 */
export function evaluateMode(state: ModeState, quarantines: readonly Quarantine[], options: ModeOptions, now: number): ModeEvaluation {
  const live = quarantines.filter((q) => isLive(q, options, now));
  const quiet = quarantines.filter((q) => !isLive(q, options, now));
  const expired = options.forgetOnNormal ? [] : quiet.filter((q) => now >= rememberedUntil(q, options)).map((q) => q.src);
  const forget = options.forgetOnNormal ? quiet.map((q) => q.src) : [];
  if (state.mode === "defence") {
    if (live.length > 0) return { state, entered: false, left: false, forget, expired };
    return { state: { mode: "normal", since: now, recentFlags: [] }, entered: false, left: true, forget, expired };
  }
  if (live.length > 0 && thresholdReached(live.map((q) => q.detectedAt).sort((a, b) => a - b), options)) {
    return { state: { mode: "defence", since: now, recentFlags: [] }, entered: true, left: false, forget, expired };
  }
  return { state, entered: false, left: false, forget, expired };
}
