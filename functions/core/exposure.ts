/**
 * Exposure evaluation: what an index answer means for one honeypot IP, and whether it is news.
 * Alerts fire on a change of state only, so a honeypot that stays listed is reported once.
 */
import type { LookupResult } from "./scanner-index";

/** What we know about one IP after a lookup; stored as the "latest" state and compared next time. */
export interface ExposureState {
  readonly ip: string;
  readonly honeypot: string;
  readonly checkedAt: string;
  /** Index name ("shodan"). */
  readonly index: string;
  /** The index lists services on this IP seen while we held it. */
  readonly found: boolean;
  /** Ports the index saw while we held the IP, sorted, as "502/tcp". */
  readonly ports: readonly string[];
  /** The index tags the host (or one of our banners) as a honeypot. */
  readonly honeypotTagged: boolean;
  readonly honeyscore?: number;
  /** The index had data for the IP, but all of it predates our use of the IP. */
  readonly staleOnly: boolean;
  /** First time this IP was found while it was ours. */
  readonly firstFoundAt?: string;
  /** Each index's own view, when more than one is enabled (`watcher.indexes`); absent for one index. */
  readonly indexes?: Readonly<Record<string, IndexView>>;
}

/** What one index knows about the IP, as of its own last lookup (`checkedAt`). */
export interface IndexView {
  readonly found: boolean;
  readonly ports: readonly string[];
  readonly honeypotTagged: boolean;
  readonly honeyscore?: number;
  readonly staleOnly: boolean;
  readonly firstFoundAt?: string;
  readonly checkedAt: string;
  /** Its last lookup failed; the rest is what it said before. */
  readonly unavailable?: true;
}

/** `by`: the indexes behind the change, when several are enabled. */
export type ExposureChange =
  | { readonly kind: "new-exposure"; readonly ports: readonly string[]; readonly by?: readonly string[] }
  | { readonly kind: "new-ports"; readonly ports: readonly string[]; readonly by?: readonly string[] }
  | { readonly kind: "honeypot-tag"; readonly by?: readonly string[] }
  | { readonly kind: "honeyscore"; readonly score: number };

export interface Evaluation {
  readonly state: ExposureState;
  /** Alert-worthy changes since the previous state, in a stable order; empty means "no news". */
  readonly changes: readonly ExposureChange[];
  readonly changed: boolean;
}

export interface EvaluateInput {
  readonly ip: string;
  readonly honeypot: string;
  readonly index: string;
  readonly answer: LookupResult;
  /** The stored state of this IP, if any. */
  readonly previous?: ExposureState;
  readonly now: Date;
  /** When we started holding the IP; index data older than this belongs to someone else. */
  readonly since?: Date;
  /** Honeyscore at or above which the index is taken to have fingerprinted the honeypot. @default 0.5 */
  readonly honeyscoreThreshold?: number;
}

export const HONEYPOT_TAG = "honeypot";
export const DEFAULT_HONEYSCORE_THRESHOLD = 0.5;

/** Indexes write UTC timestamps, Shodan without a zone suffix. */
export function parseIndexTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const withZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`;
  const t = Date.parse(withZone);
  return Number.isNaN(t) ? undefined : t;
}

/** What one index's answer says, before it is compared with what was known. */
interface View {
  readonly found: boolean;
  readonly ports: readonly string[];
  readonly honeypotTagged: boolean;
  readonly honeyscore?: number;
  readonly staleOnly: boolean;
}

function viewOf(answer: LookupResult, since: number | undefined): View {
  if (answer.kind !== "found") return { found: false, ports: [], honeypotTagged: false, staleOnly: false };
  const { host } = answer;
  // Banners without a time are counted: we cannot tell they are old.
  const current = host.banners.filter((b) => since === undefined || (parseIndexTime(b.seenAt) ?? Infinity) >= since);
  const ports = [...new Set(current.map((b) => `${b.port}/${b.transport}`))].sort(comparePorts);
  const hostIsCurrent = current.length > 0 || since === undefined || (parseIndexTime(host.lastUpdate) ?? Infinity) >= since;
  const honeypotTagged = (hostIsCurrent && host.tags.includes(HONEYPOT_TAG)) || current.some((b) => b.tags.includes(HONEYPOT_TAG));
  const staleOnly = current.length === 0 && !honeypotTagged;
  const honeyscore = staleOnly ? undefined : answer.honeyscore;
  return { found: ports.length > 0 || honeypotTagged, ports, honeypotTagged, ...(honeyscore !== undefined ? { honeyscore } : {}), staleOnly };
}

/** A previous state from before we held the IP, or for another honeypot, says nothing about this one. */
function relevantPrevious(previous: ExposureState | undefined, honeypot: string, since: number | undefined): ExposureState | undefined {
  return previous && previous.honeypot === honeypot && (since === undefined || (parseIndexTime(previous.checkedAt) ?? 0) >= since) ? previous : undefined;
}

/** The alert-worthy differences between what was known and what is known now. */
function changesBetween(prev: ExposureState | undefined, now: View, threshold: number, by?: (test: (v: View) => boolean) => readonly string[]): ExposureChange[] {
  const seenBy = (test: (v: View) => boolean) => (by ? { by: by(test) } : {});
  const changes: ExposureChange[] = [];
  if (now.found && !prev?.found) changes.push({ kind: "new-exposure", ports: now.ports, ...seenBy((v) => v.found) });
  else if (now.found && prev) {
    const known = new Set(prev.ports);
    const added = now.ports.filter((p) => !known.has(p));
    if (added.length > 0) changes.push({ kind: "new-ports", ports: added, ...seenBy((v) => v.ports.some((p) => added.includes(p))) });
  }
  if (now.honeypotTagged && !prev?.honeypotTagged) changes.push({ kind: "honeypot-tag", ...seenBy((v) => v.honeypotTagged) });
  const score = now.honeyscore;
  if (score !== undefined && score >= threshold && !((prev?.honeyscore ?? -1) >= threshold)) changes.push({ kind: "honeyscore", score });
  return changes;
}

export function evaluateExposure(input: EvaluateInput): Evaluation {
  const threshold = input.honeyscoreThreshold ?? DEFAULT_HONEYSCORE_THRESHOLD;
  const prev = relevantPrevious(input.previous, input.honeypot, input.since?.getTime());
  const view = viewOf(input.answer, input.since?.getTime());
  const nowIso = input.now.toISOString();
  const changes = changesBetween(prev, view, threshold);
  const state: ExposureState = {
    ip: input.ip,
    honeypot: input.honeypot,
    checkedAt: nowIso,
    index: input.index,
    found: view.found,
    ports: view.ports,
    honeypotTagged: view.honeypotTagged,
    ...(view.honeyscore !== undefined ? { honeyscore: view.honeyscore } : {}),
    staleOnly: view.staleOnly,
    ...(view.found ? { firstFoundAt: prev?.found && prev.firstFoundAt ? prev.firstFoundAt : nowIso } : {}),
  };
  return { state, changes, changed: changes.length > 0 };
}

/** One index's part in a lookup of several: its answer, or why there is none this time. */
export type IndexAnswer =
  | { readonly index: string; readonly answer: LookupResult }
  /** The index failed after its adapter's retries; what it said before is kept. */
  | { readonly index: string; readonly unavailable: string }
  /** Not asked this cycle (its own lookup interval has not passed); what it said before is kept. */
  | { readonly index: string; readonly notDue: true };

export interface EvaluateAllInput extends Omit<EvaluateInput, "index" | "answer"> {
  /** In the configured order; the first is the primary index. */
  readonly answers: readonly IndexAnswer[];
}

/** What one index knew at the previous lookup: its entry, or the whole state when only it was asked then. */
export function previousView(previous: ExposureState | undefined, index: string): IndexView | undefined {
  if (!previous) return undefined;
  if (previous.indexes) return previous.indexes[index];
  if (previous.index !== index) return undefined;
  const { found, ports, honeypotTagged, honeyscore, staleOnly, firstFoundAt, checkedAt } = previous;
  return { found, ports, honeypotTagged, ...(honeyscore !== undefined ? { honeyscore } : {}), staleOnly, ...(firstFoundAt ? { firstFoundAt } : {}), checkedAt };
}

/**
 * The evaluation over several indexes: the IP counts as listed when any index lists it, its ports are
 * the union, and each change names the indexes behind it (`by`); `indexes` keeps each one's view. An
 * index that failed or was not due keeps its previous view, so a passing outage is not news. With a
 * single answer this is `evaluateExposure`, so a Shodan-only deployment stores what it always did.
 */
export function evaluateExposures(input: EvaluateAllInput): Evaluation {
  const [first] = input.answers;
  if (input.answers.length === 1 && first && "answer" in first) return evaluateExposure({ ...input, index: first.index, answer: first.answer });
  if (input.answers.length === 0) throw new RangeError("evaluateExposures: no index answered or was asked");
  const threshold = input.honeyscoreThreshold ?? DEFAULT_HONEYSCORE_THRESHOLD;
  const since = input.since?.getTime();
  const prev = relevantPrevious(input.previous, input.honeypot, since);
  const nowIso = input.now.toISOString();

  const indexes: Record<string, IndexView> = {};
  for (const a of input.answers) {
    const before = previousView(prev, a.index);
    if ("answer" in a) {
      const v = viewOf(a.answer, since);
      indexes[a.index] = { ...v, checkedAt: nowIso, ...(v.found ? { firstFoundAt: before?.found && before.firstFoundAt ? before.firstFoundAt : nowIso } : {}) };
    } else if (before) {
      indexes[a.index] = "unavailable" in a ? { ...before, unavailable: true } : withoutUnavailable(before);
    } else if ("unavailable" in a) {
      indexes[a.index] = { found: false, ports: [], honeypotTagged: false, staleOnly: false, checkedAt: nowIso, unavailable: true };
    }
  }
  const views = Object.values(indexes);
  const found = views.some((v) => v.found);
  const scores = views.flatMap((v) => (v.honeyscore === undefined ? [] : [v.honeyscore]));
  const merged: View = {
    found,
    ports: [...new Set(views.flatMap((v) => v.ports))].sort(comparePorts),
    honeypotTagged: views.some((v) => v.honeypotTagged),
    ...(scores.length > 0 ? { honeyscore: Math.max(...scores) } : {}),
    staleOnly: !found && views.some((v) => v.staleOnly),
  };
  const by = (test: (v: View) => boolean) => Object.entries(indexes).filter(([, v]) => test(v)).map(([name]) => name);
  const changes = changesBetween(prev, merged, threshold, by);
  const earliest = views.flatMap((v) => (v.found && v.firstFoundAt ? [v.firstFoundAt] : [])).sort()[0];
  const state: ExposureState = {
    ip: input.ip,
    honeypot: input.honeypot,
    checkedAt: nowIso,
    index: input.answers.map((a) => a.index).join("+"),
    ...merged,
    ...(found ? { firstFoundAt: prev?.found && prev.firstFoundAt ? prev.firstFoundAt : (earliest ?? nowIso) } : {}),
    indexes,
  };
  return { state, changes, changed: changes.length > 0 };
}

function withoutUnavailable(v: IndexView): IndexView {
  const { unavailable: _unavailable, ...rest } = v;
  return rest;
}

/** The names of the indexes that list the IP, for people ("shodan and censys"). */
export function listedBy(state: ExposureState): string {
  const names = state.indexes ? Object.entries(state.indexes).filter(([, v]) => v.found).map(([n]) => n) : [state.index];
  return names.length > 0 ? names.join(" and ") : state.index;
}

function comparePorts(a: string, b: string): number {
  const [pa, ta] = a.split("/");
  const [pb, tb] = b.split("/");
  return Number(pa) - Number(pb) || ta.localeCompare(tb);
}
