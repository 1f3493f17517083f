/**
 * The figures of the report, from the history alone: each honeypot's IP periods, when each index
 * first listed and tagged it, its rotations, and how long listing takes by cloud, type and index.
 * Pure: no store, no clock (the caller passes `now`).
 *
 * Definitions the figures rest on:
 * - a honeypot is a cloud plus a catalog name (an extra target: a cloud plus its IP);
 * - an IP period is a run of lookups of it on one IP by one holder (one `since`); a new IP is a rotation;
 * - the first listing of a period is the first lookup that saw it listed, so it is late by at most
 *   one lookup interval; the last lookup before it that saw it unlisted bounds it from below;
 * - time to listing is counted from the period's start (`since`); a period never listed is censored
 *   at its last lookup ("not yet listed after N h"), not dropped. Periods with no `since` (extra
 *   targets, old records) have no known start and stay out of the distributions.
 */
import { TPOT } from "../catalog";
import type { CloudOrUnknown, History, Observation, RotationMarker } from "./history";

const HOUR = 3_600_000;

/** When n is below this, the report says a distribution is too small to generalise from. */
export const SMALL_N = 5;

/** The catalog group of a honeypot (`conpot` for `conpot_IEC104`), or its own name. */
export function typeOf(honeypot: string): string {
  return TPOT.honeypots[honeypot]?.group ?? honeypot;
}

export interface IndexListing {
  readonly firstListedAt?: string;
  readonly hoursToListing?: number;
  readonly firstTaggedAt?: string;
  readonly hoursToTag?: number;
}

export interface HoneyscorePoint {
  readonly at: string;
  readonly index: string;
  readonly score: number;
}

export interface PeriodFigures {
  readonly ip: string;
  /** `since`, or the first lookup when there is none (`startKnown: false`). */
  readonly start: string;
  readonly startKnown: boolean;
  /** The next period's start, when the honeypot moved on. */
  readonly end?: string;
  readonly firstCheckAt: string;
  readonly lastCheckAt: string;
  readonly checks: number;
  /** Indexes asked during the period. */
  readonly indexes: readonly string[];
  /** First listing by any index. */
  readonly firstListedAt?: string;
  /** The indexes that listed it at that first listing. */
  readonly firstListedBy: readonly string[];
  /** The last lookup before the first listing that saw it unlisted; the listing happened after it. */
  readonly lastUnlistedAt?: string;
  readonly hoursToListing?: number;
  /** Hours from start to the last lookup of a period never listed. */
  readonly notListedAfterHours?: number;
  readonly firstTaggedAt?: string;
  readonly firstTaggedBy: readonly string[];
  readonly hoursToTag?: number;
  readonly notTaggedAfterHours?: number;
  readonly byIndex: Readonly<Record<string, IndexListing>>;
  readonly honeyscore: readonly HoneyscorePoint[];
  /** Every port any index saw in the period. */
  readonly ports: readonly string[];
}

export interface HoneypotFigures {
  /** `<cloud>/<honeypot>`, or `<cloud>/external/<ip>` for an extra target. */
  readonly key: string;
  readonly cloud: CloudOrUnknown;
  readonly honeypot: string;
  readonly type: string;
  readonly external: boolean;
  readonly label?: string;
  readonly service: string;
  readonly currentIp: string;
  /** When it started on its current IP, if known. */
  readonly startedOnCurrentIp?: string;
  readonly periods: readonly PeriodFigures[];
  /** Moves to another IP seen in the history, at the new period's start. */
  readonly rotations: readonly { readonly at: string; readonly from: string; readonly to: string }[];
  /** The store's `rotations/` marker (the last rotation only), and whether the history shows it. */
  readonly lastRotationMarker?: { readonly lastRotatedAt: string; readonly ip: string; readonly inHistory: boolean };
}

/** Hours to an event over a set of periods. Censored periods count in `n`, not in median/min/max. */
export interface Distribution {
  /** Honeypot IP periods behind the figure. */
  readonly n: number;
  readonly reached: number;
  readonly censored: number;
  /** Over the periods that reached it. */
  readonly medianHours?: number;
  readonly minHours?: number;
  readonly maxHours?: number;
  /** Hours each censored period was watched without reaching it. */
  readonly censoredAfterHours: readonly number[];
  readonly small: boolean;
  /** The figure in one plain sentence. */
  readonly summary: string;
}

export interface Distributions {
  readonly overall: Distribution;
  readonly byCloud: Readonly<Record<string, Distribution>>;
  readonly byType: Readonly<Record<string, Distribution>>;
  readonly byIndex: Readonly<Record<string, Distribution>>;
}

const iso = (t: number) => new Date(t).toISOString();
const hours = (ms: number) => ms / HOUR;

function keyOf(o: { cloud: CloudOrUnknown; honeypot: string; external: boolean; ip: string }): string {
  return o.external ? `${o.cloud}/external/${o.ip}` : `${o.cloud}/${o.honeypot}`;
}

/** Splits a honeypot's lookups into IP periods: a new IP, or a new holder (`since`) on the same IP. */
function periodsOf(obs: readonly Observation[]): Observation[][] {
  const out: Observation[][] = [];
  // The current run's holder: the first `since` seen in it.
  let curSince: number | undefined;
  for (const o of obs) {
    const cur = out[out.length - 1];
    if (!cur || cur[0].ip !== o.ip || (o.since !== undefined && curSince !== undefined && o.since !== curSince)) {
      out.push([o]);
      curSince = o.since;
    } else {
      cur.push(o);
      curSince ??= o.since;
    }
  }
  return out;
}

/** The first time `test` held in the lookups, taking a stored `firstFoundAt` inside the period into account. */
function firstTime(obs: readonly Observation[], start: number, test: (o: Observation) => boolean, firstFound?: (o: Observation) => number | undefined): number | undefined {
  let best: number | undefined;
  for (const o of obs) {
    if (!test(o)) continue;
    let t = o.checkedAt;
    const f = firstFound?.(o);
    // A stored first sighting fills a gap in the history (an expired or lost result), never before the period.
    if (f !== undefined && f >= start && f < t) t = f;
    if (best === undefined || t < best) best = t;
  }
  return best;
}

function periodFigures(obs: readonly Observation[], end: number | undefined): PeriodFigures {
  const since = obs.find((o) => o.since !== undefined)?.since;
  const start = since ?? obs[0].checkedAt;
  const last = obs[obs.length - 1].checkedAt;
  const indexes = [...new Set(obs.flatMap((o) => Object.keys(o.views)))].sort();
  const anyFirst = (o: Observation) => Math.min(...Object.values(o.views).map((v) => v.firstFoundAt ?? Infinity));
  const listed = firstTime(obs, start, (o) => o.found, anyFirst);
  const tagged = firstTime(obs, start, (o) => Object.values(o.views).some((v) => v.honeypotTagged));
  const byIndex: Record<string, IndexListing> = {};
  for (const index of indexes) {
    const l = firstTime(obs, start, (o) => o.views[index]?.found === true, (o) => o.views[index]?.firstFoundAt);
    const t = firstTime(obs, start, (o) => o.views[index]?.honeypotTagged === true);
    byIndex[index] = {
      ...(l !== undefined ? { firstListedAt: iso(l), ...(since !== undefined ? { hoursToListing: hours(l - since) } : {}) } : {}),
      ...(t !== undefined ? { firstTaggedAt: iso(t), ...(since !== undefined ? { hoursToTag: hours(t - since) } : {}) } : {}),
    };
  }
  // The indexes behind the first listing: those whose own first listing is that moment.
  const firstBy = (field: "firstListedAt" | "firstTaggedAt", at: number | undefined) =>
    at === undefined ? [] : indexes.filter((i) => byIndex[i][field] === iso(at));
  const unlisted = listed === undefined ? undefined : obs.filter((o) => !o.found && o.checkedAt < listed).at(-1)?.checkedAt;
  const honeyscore: HoneyscorePoint[] = obs.flatMap((o) =>
    Object.entries(o.views).flatMap(([index, v]) => (v.honeyscore === undefined ? [] : [{ at: iso(o.checkedAt), index, score: v.honeyscore }])),
  );
  return {
    ip: obs[0].ip,
    start: iso(start),
    startKnown: since !== undefined,
    ...(end !== undefined ? { end: iso(end) } : {}),
    firstCheckAt: iso(obs[0].checkedAt),
    lastCheckAt: iso(last),
    checks: obs.length,
    indexes,
    ...(listed !== undefined ? { firstListedAt: iso(listed) } : {}),
    firstListedBy: firstBy("firstListedAt", listed),
    ...(unlisted !== undefined ? { lastUnlistedAt: iso(unlisted) } : {}),
    ...(since !== undefined && listed !== undefined ? { hoursToListing: hours(listed - since) } : {}),
    ...(since !== undefined && listed === undefined ? { notListedAfterHours: hours(last - since) } : {}),
    ...(tagged !== undefined ? { firstTaggedAt: iso(tagged) } : {}),
    firstTaggedBy: firstBy("firstTaggedAt", tagged),
    ...(since !== undefined && tagged !== undefined ? { hoursToTag: hours(tagged - since) } : {}),
    ...(since !== undefined && tagged === undefined ? { notTaggedAfterHours: hours(last - since) } : {}),
    byIndex,
    honeyscore,
    ports: [...new Set(obs.flatMap((o) => Object.values(o.views).flatMap((v) => v.ports)))].sort(),
  };
}

/**
 * Each honeypot's figures. `latest/` states newer than a period's last result are added to it (a
 * result can be lost or expired while `latest/` stays), matched by cloud, IP and honeypot.
 */
export function honeypotFigures(history: History): HoneypotFigures[] {
  const byKey = new Map<string, Observation[]>();
  for (const o of history.observations) {
    const k = keyOf(o);
    const list = byKey.get(k);
    if (list) list.push(o);
    else byKey.set(k, [o]);
  }
  const out: HoneypotFigures[] = [];
  for (const [key, list] of [...byKey].sort(([a], [b]) => a.localeCompare(b))) {
    const obs = [...list].sort((a, b) => a.checkedAt - b.checkedAt);
    const runs = periodsOf(obs);
    const lastRun = runs[runs.length - 1];
    const tail = lastRun[lastRun.length - 1];
    const newer = history.latest.filter((l) => l.cloud === tail.cloud && l.ip === tail.ip && l.honeypot === tail.honeypot && l.checkedAt > tail.checkedAt);
    for (const l of newer.sort((a, b) => a.checkedAt - b.checkedAt)) {
      lastRun.push({ ...tail, location: l.location, checkedAt: l.checkedAt, found: l.found, views: l.views });
    }
    const starts = runs.map((r) => r.find((o) => o.since !== undefined)?.since ?? r[0].checkedAt);
    const periods = runs.map((r, i) => periodFigures(r, starts[i + 1]));
    const rotations = runs.slice(1).flatMap((r, i) => (r[0].ip !== runs[i][0].ip ? [{ at: iso(starts[i + 1]), from: runs[i][0].ip, to: r[0].ip }] : []));
    const first = obs[0];
    const marker = first.external ? undefined : latestMarker(history.rotations, first.cloud, first.honeypot);
    const current = periods[periods.length - 1];
    const label = obs.find((o) => o.label !== undefined)?.label;
    out.push({
      key,
      cloud: first.cloud,
      honeypot: first.honeypot,
      type: first.external && first.honeypot === "external" ? "external" : typeOf(first.honeypot),
      external: first.external,
      ...(label !== undefined ? { label } : {}),
      service: tail.service,
      currentIp: current.ip,
      ...(current.startKnown ? { startedOnCurrentIp: current.start } : {}),
      periods,
      rotations,
      ...(marker ? { lastRotationMarker: { lastRotatedAt: iso(marker.lastRotatedAt), ip: marker.ip, inHistory: rotations.some((r) => r.from === marker.ip) } } : {}),
    });
  }
  return out;
}

function latestMarker(markers: readonly RotationMarker[], cloud: CloudOrUnknown, honeypot: string): RotationMarker | undefined {
  return markers.filter((m) => m.cloud === cloud && m.honeypot === honeypot).sort((a, b) => b.lastRotatedAt - a.lastRotatedAt)[0];
}

function median(sorted: readonly number[]): number | undefined {
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Hours as a number for people: two decimals below 1 h, one below 10 h, whole hours above. */
export function hoursText(h: number): string {
  return h < 1 ? h.toFixed(2) : h < 10 ? h.toFixed(1) : Math.round(h).toString();
}

/** A distribution of hours-to-event, `undefined` meaning censored after `censoredAfter` hours. */
export function distribution(items: readonly { readonly hours?: number; readonly censoredAfter?: number }[], event: string): Distribution {
  const reached = items.flatMap((i) => (i.hours === undefined ? [] : [i.hours])).sort((a, b) => a - b);
  const censoredAfterHours = items.flatMap((i) => (i.hours === undefined && i.censoredAfter !== undefined ? [i.censoredAfter] : [])).sort((a, b) => a - b);
  const n = items.length;
  const med = median(reached);
  const parts: string[] = [];
  if (reached.length > 0) {
    parts.push(`${reached.length} ${event}: median ${hoursText(med as number)} h, min ${hoursText(reached[0])} h, max ${hoursText(reached[reached.length - 1])} h`);
  } else parts.push(`none ${event}`);
  if (censoredAfterHours.length > 0) parts.push(`${censoredAfterHours.length} not yet ${event} after ${censoredAfterHours.map(hoursText).join(", ")} h`);
  const small = n < SMALL_N;
  return {
    n,
    reached: reached.length,
    censored: censoredAfterHours.length,
    ...(med !== undefined ? { medianHours: med, minHours: reached[0], maxHours: reached[reached.length - 1] } : {}),
    censoredAfterHours,
    small,
    summary: `n = ${n} IP period${n === 1 ? "" : "s"}; ${parts.join("; ")}${small ? ` (small n: below ${SMALL_N}, too few to generalise from)` : ""}`,
  };
}

/** A period that can enter the distributions: lure's own, with a known start. */
export interface TimedPeriod {
  readonly honeypot: HoneypotFigures;
  readonly period: PeriodFigures;
}

export function timedPeriods(honeypots: readonly HoneypotFigures[]): TimedPeriod[] {
  return honeypots.flatMap((h) => (h.external ? [] : h.periods.filter((p) => p.startKnown).map((period) => ({ honeypot: h, period }))));
}

function grouped(periods: readonly TimedPeriod[], by: (p: TimedPeriod) => string, item: (p: TimedPeriod) => { hours?: number; censoredAfter?: number }, event: string) {
  const groups: Record<string, { hours?: number; censoredAfter?: number }[]> = {};
  for (const p of periods) (groups[by(p)] ??= []).push(item(p));
  return Object.fromEntries(Object.keys(groups).sort().map((k) => [k, distribution(groups[k], event)]));
}

/** Hours from start to an event of each timed period, overall, by cloud, type and index (each index over the periods it was asked in). */
function distributions(honeypots: readonly HoneypotFigures[], event: string, hoursOf: (p: PeriodFigures, index?: string) => number | undefined): Distributions {
  const periods = timedPeriods(honeypots);
  const watched = (p: PeriodFigures) => hours(Date.parse(p.lastCheckAt) - Date.parse(p.start));
  const item = ({ period: p }: TimedPeriod) => ({ hours: hoursOf(p), censoredAfter: watched(p) });
  const indexes = [...new Set(periods.flatMap((p) => p.period.indexes))].sort();
  return {
    overall: distribution(periods.map(item), event),
    byCloud: grouped(periods, (p) => p.honeypot.cloud, item, event),
    byType: grouped(periods, (p) => p.honeypot.type, item, event),
    byIndex: Object.fromEntries(
      indexes.map((index) => {
        const asked = periods.filter((p) => p.period.indexes.includes(index));
        return [index, distribution(asked.map(({ period: p }) => ({ hours: hoursOf(p, index), censoredAfter: watched(p) })), event)];
      }),
    ),
  };
}

/** Hours from a period's start to its first listing. */
export function timeToListing(honeypots: readonly HoneypotFigures[]): Distributions {
  return distributions(honeypots, "listed", (p, index) => (index === undefined ? p.hoursToListing : p.byIndex[index]?.hoursToListing));
}

/** Hours from a period's start to its first honeypot tag. */
export function timeToTag(honeypots: readonly HoneypotFigures[]): Distributions {
  return distributions(honeypots, "tagged", (p, index) => (index === undefined ? p.hoursToTag : p.byIndex[index]?.hoursToTag));
}
