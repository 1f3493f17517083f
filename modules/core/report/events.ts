/**
 * Attack events per hour, and whether a listing changes them. Counts come from a JSON file
 * (`{ "<cloud>/<honeypot>": { "<hour ISO>": count } }`) or from a T-Pot Elasticsearch, whose log
 * `type` (Cowrie, ConPot…) is mapped back to lure's honeypot names through the catalog.
 *
 * Before and after a first listing: the hours of the period up to the last lookup that saw the IP
 * unlisted, and from the first lookup that saw it listed to the period's end (the next IP). The hours
 * between those two lookups are left out of both means: the listing happened somewhere in them.
 * Only whole hours count, and only hours the source has a count for (a count of 0 is an hour).
 */
import { TPOT } from "../catalog";
import type { HoneypotFigures } from "./analysis";
import type { Cloud } from "./sources";

const HOUR = 3_600_000;

/** Counts per honeypot key (`aws/cowrie`), per hour start (epoch ms). */
export type HourlyEvents = Map<string, Map<number, number>>;

export interface EventSide {
  readonly hours: number;
  readonly events: number;
  /** Events per hour; undefined without hours. */
  readonly mean?: number;
}

export interface ListingEvents {
  readonly key: string;
  readonly ip: string;
  readonly start: string;
  readonly firstListedAt?: string;
  readonly before: EventSide;
  readonly after: EventSide;
  /** Mean after ÷ mean before. */
  readonly ratio?: number;
  /** Why there is no ratio. */
  readonly reason?: string;
}

export interface HoneypotEvents {
  readonly key: string;
  /** Listed periods pooled: all their before hours against all their after hours. */
  readonly before: EventSide;
  readonly after: EventSide;
  readonly ratio?: number;
  readonly reason?: string;
  readonly listings: number;
  /** The hourly counts, for the chart. */
  readonly hourly: readonly { readonly hour: string; readonly count: number }[];
}

export interface EventFigures {
  readonly source: string;
  readonly periods: readonly ListingEvents[];
  readonly honeypots: readonly HoneypotEvents[];
  readonly warnings: readonly string[];
}

/** Reads an events file's content; throws what is wrong with it, with the path inside the file. */
export function parseEventsFile(text: string, file: string): HourlyEvents {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`${file}: not JSON`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error(`${file}: not an object of "<cloud>/<honeypot>" keys`);
  const problems: string[] = [];
  const out: HourlyEvents = new Map();
  for (const [key, hoursOf] of Object.entries(doc)) {
    if (!/^[a-z]+\/[^/]+$/.test(key)) problems.push(`${file}: key ${JSON.stringify(key)} is not "<cloud>/<honeypot>"`);
    if (typeof hoursOf !== "object" || hoursOf === null || Array.isArray(hoursOf)) {
      problems.push(`${file}: ${key} is not an object of hour → count`);
      continue;
    }
    const series = new Map<number, number>();
    for (const [hour, count] of Object.entries(hoursOf as Record<string, unknown>)) {
      const t = Date.parse(hour);
      if (Number.isNaN(t) || t % HOUR !== 0) problems.push(`${file}: ${key}: ${JSON.stringify(hour)} is not the start of an hour`);
      else if (typeof count !== "number" || !Number.isInteger(count) || count < 0) problems.push(`${file}: ${key}: ${hour}: ${JSON.stringify(count)} is not a count`);
      else series.set(t, count);
    }
    out.set(key, series);
  }
  if (problems.length > 0) throw new Error(problems.slice(0, 20).join("\n") + (problems.length > 20 ? `\n… and ${problems.length - 20} more` : ""));
  return out;
}

/** lure's honeypot names by T-Pot log `type`, from the catalog's log inputs. */
export function namesByLogType(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const h of Object.values(TPOT.honeypots)) for (const input of h.logInputs) out.set(input.type, [...(out.get(input.type) ?? []), h.name]);
  return out;
}

export interface ElasticsearchQuery {
  readonly cloud: Cloud;
  readonly url: string;
  /** Epoch ms. */
  readonly from: number;
  readonly to: number;
  /** The honeypot names of that cloud in the history: a type is given to those of them that log it. */
  readonly honeypots: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly fetch?: typeof fetch;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** The URL without its user info (`base`; `shown` for messages, no trailing slash), and that user info decoded. */
function splitUserInfo(url: string): { base: string; shown: string; user?: string; password: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { base: url, shown: url, password: "" };
  }
  const user = u.username === "" && u.password === "" ? undefined : decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = "";
  u.password = "";
  const base = u.toString();
  return { base, shown: base.replace(/\/$/, ""), ...(user !== undefined ? { user } : {}), password };
}

/** The search body: every hour of the history per T-Pot `type`. */
export function elasticsearchBody(from: number, to: number) {
  const range = { gte: new Date(from).toISOString(), lte: new Date(to).toISOString() };
  return {
    size: 0,
    query: { range: { "@timestamp": { ...range, format: "strict_date_optional_time" } } },
    aggs: {
      types: {
        terms: { field: "type.keyword", size: 200 },
        aggs: { hours: { date_histogram: { field: "@timestamp", fixed_interval: "1h", min_doc_count: 0, extended_bounds: { min: range.gte, max: range.lte } } } },
      },
    },
  };
}

/**
 * Hourly counts from a T-Pot Elasticsearch for one cloud. Rejects with a message that says what to
 * do on a refused login, a server error or an answer without the aggregation: an empty report
 * would look like "no attacks".
 */
export async function elasticsearchEvents(q: ElasticsearchQuery): Promise<{ events: HourlyEvents; warnings: string[] }> {
  const env = q.env ?? process.env;
  const headers: Record<string, string> = { "content-type": "application/json" };
  // fetch refuses a URL with user info: it becomes the Basic login, unless the environment gives one.
  const { base, shown, user, password } = splitUserInfo(q.url);
  if (env.LURE_ES_API_KEY) headers.authorization = `ApiKey ${env.LURE_ES_API_KEY}`;
  else if (env.LURE_ES_USER) headers.authorization = basic(env.LURE_ES_USER, env.LURE_ES_PASSWORD ?? "");
  else if (user !== undefined) headers.authorization = basic(user, password);
  const where = `Elasticsearch for ${q.cloud} at ${shown}`;
  const endpoint = `${base.replace(/\/+$/, "")}/logstash-*/_search`;
  let res: Response;
  try {
    res = await (q.fetch ?? fetch)(endpoint, { method: "POST", headers, body: JSON.stringify(elasticsearchBody(q.from, q.to)), signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    throw new Error(`${where} could not be reached: ${(e as Error).message}`);
  }
  const text = await res.text();
  if (res.status === 401 || res.status === 403) {
    throw new Error(`${where} refused the request (${res.status}): set LURE_ES_USER and LURE_ES_PASSWORD, or LURE_ES_API_KEY, to a user that may read logstash-*`);
  }
  if (res.status >= 500) throw new Error(`${where} failed (${res.status} ${res.statusText}): ${text.slice(0, 200)}; try again when the cluster is healthy`);
  if (!res.ok) throw new Error(`${where} answered ${res.status}: ${text.slice(0, 200)}`);
  let doc: { aggregations?: { types?: { buckets?: unknown } } };
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`${where} answered something that is not JSON`);
  }
  const buckets = doc.aggregations?.types?.buckets;
  if (!Array.isArray(buckets)) throw new Error(`${where} answered without the types aggregation: is this T-Pot's Elasticsearch?`);

  const byType = namesByLogType();
  const warnings: string[] = [];
  const events: HourlyEvents = new Map();
  for (const b of buckets as { key?: unknown; hours?: { buckets?: { key?: unknown; doc_count?: unknown }[] } }[]) {
    const type = String(b.key);
    const names = (byType.get(type) ?? []).filter((n) => q.honeypots.includes(n));
    if (names.length === 0) {
      warnings.push(`${where}: events of type ${type} belong to no honeypot of ${q.cloud} in the history; left out`);
      continue;
    }
    if (names.length > 1) warnings.push(`${where}: type ${type} is logged by ${names.join(", ")}, which cannot be told apart; each is given all of its events`);
    const series = new Map<number, number>();
    for (const h of b.hours?.buckets ?? []) if (typeof h.key === "number" && typeof h.doc_count === "number") series.set(h.key, h.doc_count);
    for (const n of names) events.set(`${q.cloud}/${n}`, series);
  }
  if (events.size === 0) warnings.push(`${where} holds no events of lure's honeypots between ${new Date(q.from).toISOString()} and ${new Date(q.to).toISOString()}`);
  return { events, warnings };
}

/** A side from its sums: the mean only when there are hours. */
function sideOf(hours: number, events: number): EventSide {
  return hours === 0 ? { hours: 0, events: 0 } : { hours, events, mean: events / hours };
}

function side(series: Map<number, number> | undefined, include: (hour: number) => boolean): EventSide {
  let h = 0;
  let e = 0;
  for (const [hour, count] of series ?? []) {
    if (!include(hour)) continue;
    h++;
    e += count;
  }
  return sideOf(h, e);
}

function ratioOf(before: EventSide, after: EventSide): { ratio?: number; reason?: string } {
  if (before.hours === 0) return { reason: "no event hours before the listing" };
  if (after.hours === 0) return { reason: "no event hours after the listing" };
  if (before.events === 0) return { reason: "no events at all before the listing (division by zero)" };
  return { ratio: (after.mean as number) / (before.mean as number) };
}

/** Before/after figures for every period of lure's own honeypots. */
export function eventFigures(honeypots: readonly HoneypotFigures[], events: HourlyEvents, source: string, warnings: readonly string[] = []): EventFigures {
  const own = honeypots.filter((h) => !h.external);
  const known = new Set(own.map((h) => h.key));
  const unknown = [...events.keys()].filter((k) => !known.has(k)).sort();
  const extra = unknown.length > 0 ? [`events for ${unknown.join(", ")}: no such honeypot in the history; left out`] : [];
  const periods: ListingEvents[] = [];
  const perHoneypot: HoneypotEvents[] = [];
  for (const h of own) {
    const series = events.get(h.key);
    const sides: { before: EventSide; after: EventSide }[] = [];
    const mine: ListingEvents[] = [];
    for (const p of h.periods) {
      const start = Date.parse(p.start);
      const end = p.end === undefined ? Infinity : Date.parse(p.end);
      const base = { key: h.key, ip: p.ip, start: p.start };
      if (p.firstListedAt === undefined) {
        mine.push({ ...base, before: sideOf(0, 0), after: sideOf(0, 0), reason: "never listed" });
        continue;
      }
      const listed = Date.parse(p.firstListedAt);
      const unlisted = p.lastUnlistedAt === undefined ? undefined : Date.parse(p.lastUnlistedAt);
      const before = side(series, (t) => unlisted !== undefined && t >= start && t + HOUR <= unlisted);
      const after = side(series, (t) => t >= listed && t + HOUR <= end);
      sides.push({ before, after });
      const r = !series
        ? { reason: "no event counts for this honeypot" }
        : unlisted === undefined
          ? { reason: "listed at its first lookup: no hour is known to be before the listing" }
          : ratioOf(before, after);
      mine.push({ ...base, firstListedAt: p.firstListedAt, before, after, ...r });
    }
    periods.push(...mine);
    const sum = (pick: "before" | "after"): EventSide => sideOf(sides.reduce((n, s) => n + s[pick].hours, 0), sides.reduce((n, s) => n + s[pick].events, 0));
    const before = sum("before");
    const after = sum("after");
    // When every listing lacks a ratio for one reason, that reason is the honeypot's too.
    const reasons = [...new Set(mine.filter((p) => p.firstListedAt !== undefined).map((p) => p.reason))];
    const r = !series
      ? { reason: "no event counts for this honeypot" }
      : sides.length === 0
        ? { reason: "never listed" }
        : before.hours === 0 && reasons.length === 1 && reasons[0] !== undefined
          ? { reason: reasons[0] }
          : ratioOf(before, after);
    perHoneypot.push({
      key: h.key,
      before,
      after,
      ...r,
      listings: sides.length,
      hourly: [...(series ?? [])].sort(([a], [b]) => a - b).map(([t, count]) => ({ hour: new Date(t).toISOString(), count })),
    });
  }
  return { source, periods, honeypots: perHoneypot, warnings: [...warnings, ...extra] };
}
