/**
 * The watcher's stored history, read defensively: `results/<ip>/<time>.json` (one lookup each),
 * `latest/<ip>.json` and `rotations/<honeypot>.json`. A file that cannot be understood is skipped and
 * counted with its reason, never guessed at: a report that silently drops data would look complete.
 */
import { mapLimited } from "../../../functions/core/limited";
import { CLOUDS, isCloud, type Cloud, type ObjectReader } from "./sources";

/** The cloud of a record: from the source, from the record, or not known at all. */
export type CloudOrUnknown = Cloud | "unknown";

/** One index's view of an IP at one lookup. */
export interface View {
  readonly found: boolean;
  readonly honeypotTagged: boolean;
  readonly honeyscore?: number;
  /** Epoch ms. */
  readonly firstFoundAt?: number;
  readonly ports: readonly string[];
  /** Its lookup failed this time; the rest is what it said before. */
  readonly unavailable: boolean;
}

/** One lookup of one IP, as stored in `results/`. */
export interface Observation {
  readonly location: string;
  readonly cloud: CloudOrUnknown;
  readonly ip: string;
  readonly honeypot: string;
  readonly service: string;
  /** Epoch ms: when the current holder of the IP started. */
  readonly since?: number;
  /** Epoch ms. */
  readonly checkedAt: number;
  readonly external: boolean;
  readonly label?: string;
  /** Listed by any index. */
  readonly found: boolean;
  /** Each index asked, by name. */
  readonly views: Readonly<Record<string, View>>;
}

/** A `latest/<ip>.json`: the newest state, without the message (so without `since`). */
export interface LatestState {
  readonly location: string;
  readonly cloud: CloudOrUnknown;
  readonly ip: string;
  readonly honeypot: string;
  readonly checkedAt: number;
  readonly found: boolean;
  readonly views: Readonly<Record<string, View>>;
}

/** A `rotations/<honeypot>.json`: the last rotation only. */
export interface RotationMarker {
  readonly location: string;
  readonly cloud: CloudOrUnknown;
  readonly honeypot: string;
  readonly lastRotatedAt: number;
  /** The IP the honeypot was moved away from. */
  readonly ip: string;
  readonly service: string;
}

export interface Malformed {
  readonly location: string;
  readonly reason: string;
}

export interface History {
  readonly observations: readonly Observation[];
  readonly latest: readonly LatestState[];
  readonly rotations: readonly RotationMarker[];
  readonly malformed: readonly Malformed[];
  /** Files outside the three prefixes, or not JSON by name (`state/…`, stray uploads). */
  readonly ignored: number;
  /** Records whose own `cloud` disagrees with the source they were read from (the source wins). */
  readonly cloudConflicts: number;
  /** Each source, with the clouds read from it. */
  readonly sources: readonly { readonly location: string; readonly clouds: readonly CloudOrUnknown[]; readonly files: number }[];
}

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function jsonOf(text: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: "not JSON" };
  }
}

/** A document that must be a JSON object. */
function objectOf(text: string): Parsed<Record<string, unknown>> {
  const doc = jsonOf(text);
  if (!doc.ok) return doc;
  return isObject(doc.value) ? { ok: true, value: doc.value } : { ok: false, reason: "not a JSON object" };
}

/** Epoch ms of an ISO time, or undefined. Index times without a zone are UTC (Shodan writes them so). */
function timeOf(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const t = Date.parse(/([zZ]|[+-]\d\d:?\d\d)$/.test(v) || !/T\d/.test(v) ? v : `${v}Z`);
  return Number.isNaN(t) ? undefined : t;
}

function viewOf(v: Record<string, unknown>): View | undefined {
  if (typeof v.found !== "boolean") return undefined;
  const score = typeof v.honeyscore === "number" && v.honeyscore >= 0 && v.honeyscore <= 1 ? v.honeyscore : undefined;
  const first = timeOf(v.firstFoundAt);
  return {
    found: v.found,
    honeypotTagged: v.honeypotTagged === true,
    ...(score !== undefined ? { honeyscore: score } : {}),
    ...(first !== undefined ? { firstFoundAt: first } : {}),
    ports: Array.isArray(v.ports) ? v.ports.filter((p): p is string => typeof p === "string") : [],
    unavailable: v.unavailable === true,
  };
}

/** The state's views: each entry of `indexes`, or the state itself as its one `index`. */
function stateOf(v: unknown): Parsed<{ ip?: string; honeypot?: string; checkedAt: number; found: boolean; views: Record<string, View> }> {
  if (!isObject(v)) return { ok: false, reason: "state is not an object" };
  const checkedAt = timeOf(v.checkedAt);
  if (checkedAt === undefined) return { ok: false, reason: "state.checkedAt is not a time" };
  const views: Record<string, View> = {};
  if (v.indexes !== undefined) {
    if (!isObject(v.indexes)) return { ok: false, reason: "state.indexes is not an object" };
    for (const [name, entry] of Object.entries(v.indexes)) {
      const view = isObject(entry) ? viewOf(entry) : undefined;
      if (!view) return { ok: false, reason: `state.indexes.${name} has no boolean found` };
      views[name] = view;
    }
  } else {
    const view = viewOf(v);
    if (!view) return { ok: false, reason: "state.found is not a boolean" };
    views[typeof v.index === "string" && v.index !== "" ? v.index : "index"] = view;
  }
  const found = v.found === true || Object.values(views).some((x) => x.found);
  return {
    ok: true,
    value: { ...(typeof v.ip === "string" ? { ip: v.ip } : {}), ...(typeof v.honeypot === "string" ? { honeypot: v.honeypot } : {}), checkedAt, found, views },
  };
}

/** Whose cloud a record is: the source's when it names one, else the record's own. */
function cloudFor(given: Cloud | undefined, own: unknown): { cloud: CloudOrUnknown; conflict: boolean } {
  if (given) return { cloud: given, conflict: isCloud(own) && own !== given };
  return { cloud: isCloud(own) ? own : "unknown", conflict: false };
}

/** One `results/` document. `given` is the cloud the source names, if any. */
export function parseResult(text: string, location: string, given?: Cloud): Parsed<Observation> & { conflict?: boolean } {
  const parsed = objectOf(text);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
  const m = doc.message;
  if (!isObject(m)) return { ok: false, reason: "no message" };
  if (typeof m.ip !== "string" || m.ip === "") return { ok: false, reason: "message.ip is not a string" };
  if (typeof m.honeypot !== "string" || m.honeypot === "") return { ok: false, reason: "message.honeypot is not a string" };
  const since = timeOf(m.since);
  if (m.since !== undefined && since === undefined) return { ok: false, reason: "message.since is not a time" };
  if (!isObject(doc.evaluation)) return { ok: false, reason: "no evaluation" };
  const state = stateOf(doc.evaluation.state);
  if (!state.ok) return { ok: false, reason: `evaluation.${state.reason}` };
  const { cloud, conflict } = cloudFor(given, m.cloud);
  return {
    ok: true,
    conflict,
    value: {
      location,
      cloud,
      ip: m.ip,
      honeypot: m.honeypot,
      service: typeof m.service === "string" ? m.service : "",
      ...(since !== undefined ? { since } : {}),
      checkedAt: state.value.checkedAt,
      external: m.external === true,
      ...(typeof m.label === "string" ? { label: m.label } : {}),
      found: state.value.found,
      views: state.value.views,
    },
  };
}

export function parseLatest(text: string, location: string, cloud: CloudOrUnknown): Parsed<LatestState> {
  const doc = jsonOf(text);
  if (!doc.ok) return doc;
  const state = stateOf(doc.value);
  if (!state.ok) return state;
  const { ip, honeypot } = state.value;
  if (ip === undefined || honeypot === undefined) return { ok: false, reason: "state has no ip or honeypot" };
  return { ok: true, value: { location, cloud, ip, honeypot, checkedAt: state.value.checkedAt, found: state.value.found, views: state.value.views } };
}

export function parseRotation(text: string, location: string, cloud: CloudOrUnknown, honeypot: string): Parsed<RotationMarker> {
  const parsed = objectOf(text);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
  const at = timeOf(doc.lastRotatedAt);
  if (at === undefined) return { ok: false, reason: "lastRotatedAt is not a time" };
  if (typeof doc.ip !== "string") return { ok: false, reason: "ip is not a string" };
  return { ok: true, value: { location, cloud, honeypot, lastRotatedAt: at, ip: doc.ip, service: typeof doc.service === "string" ? doc.service : "" } };
}

/** A store root holding `results/`: the source itself, or its `aws/`, `azure/`, `gcp/` folders. */
interface Root {
  readonly prefix: string;
  readonly cloud?: Cloud;
}

const HISTORY_DIRS = ["results/", "latest/", "rotations/"];

/** Where the history is in a source's keys; throws when there is none. */
export function rootsOf(keys: readonly string[], location: string, given?: Cloud): Root[] {
  if (keys.some((k) => HISTORY_DIRS.some((d) => k.startsWith(d)))) return [{ prefix: "", ...(given ? { cloud: given } : {}) }];
  const nested = CLOUDS.filter((c) => keys.some((k) => HISTORY_DIRS.some((d) => k.startsWith(`${c}/${d}`))));
  if (nested.length === 0) throw new Error(`${location}: no results/, latest/ or rotations/ here, nor in aws/, azure/ or gcp/ folders`);
  if (given && nested.some((c) => c !== given)) {
    throw new Error(`${location} is named ${given} but holds the folders ${nested.map((c) => `${c}/`).join(", ")}; give it without a cloud`);
  }
  return nested.map((c) => ({ prefix: `${c}/`, cloud: c }));
}

type Entry = { kind: "result" } | { kind: "latest" } | { kind: "rotation"; honeypot: string };

function entryOf(rel: string): Entry | undefined {
  if (!rel.endsWith(".json")) return undefined;
  if (/^results\/[^/]+\/[^/]+\.json$/.test(rel)) return { kind: "result" };
  if (/^latest\/[^/]+\.json$/.test(rel)) return { kind: "latest" };
  const r = /^rotations\/([^/]+)\.json$/.exec(rel);
  return r ? { kind: "rotation", honeypot: r[1] } : undefined;
}

/** Reads every history document of one source. A read error of the store rejects; a bad document is counted. */
export async function readHistory(reader: ObjectReader, given?: Cloud): Promise<History> {
  const keys = await reader.list();
  const roots = rootsOf(keys, reader.location, given);
  const observations: Observation[] = [];
  const latest: LatestState[] = [];
  const rotations: RotationMarker[] = [];
  const malformed: Malformed[] = [];
  let ignored = 0;
  let cloudConflicts = 0;
  const jobs: { key: string; entry: Entry; root: Root }[] = [];
  for (const key of keys) {
    const root = roots.find((r) => key.startsWith(r.prefix));
    const entry = root ? entryOf(key.slice(root.prefix.length)) : undefined;
    if (root && entry) jobs.push({ key, entry, root });
    else ignored++;
  }
  // Store reads: fast, but not thousands at a time.
  const texts = await mapLimited(jobs, 16, (j) => reader.getText(j.key));
  const locationOf = (key: string) => `${reader.location.replace(/\/?$/, "/")}${key}`;
  // Results first: a root that names no cloud takes its records' cloud for its latest/ and rotations/.
  const rootClouds = new Map<Root, Set<CloudOrUnknown>>(roots.map((r) => [r, new Set()]));
  jobs.forEach((j, i) => {
    if (j.entry.kind !== "result") return;
    const parsed = parseResult(texts[i], locationOf(j.key), j.root.cloud);
    if (!parsed.ok) return void malformed.push({ location: locationOf(j.key), reason: parsed.reason });
    if (parsed.conflict) cloudConflicts++;
    observations.push(parsed.value);
    rootClouds.get(j.root)?.add(parsed.value.cloud);
  });
  const cloudOf = (root: Root): CloudOrUnknown => {
    const seen = [...(rootClouds.get(root) ?? [])];
    return root.cloud ?? (seen.length === 1 ? seen[0] : "unknown");
  };
  jobs.forEach((j, i) => {
    if (j.entry.kind === "result") return;
    const location = locationOf(j.key);
    if (j.entry.kind === "latest") {
      const parsed = parseLatest(texts[i], location, cloudOf(j.root));
      if (parsed.ok) latest.push(parsed.value);
      else malformed.push({ location, reason: parsed.reason });
    } else {
      const parsed = parseRotation(texts[i], location, cloudOf(j.root), j.entry.honeypot);
      if (parsed.ok) rotations.push(parsed.value);
      else malformed.push({ location, reason: parsed.reason });
    }
  });
  const clouds = [...new Set(roots.flatMap((r) => (r.cloud ? [r.cloud] : [...(rootClouds.get(r) ?? [])])))];
  return { observations, latest, rotations, malformed, ignored, cloudConflicts, sources: [{ location: reader.location, clouds, files: jobs.length }] };
}

/** Several sources' histories as one. */
export function mergeHistories(histories: readonly History[]): History {
  return {
    observations: histories.flatMap((h) => h.observations),
    latest: histories.flatMap((h) => h.latest),
    rotations: histories.flatMap((h) => h.rotations),
    malformed: histories.flatMap((h) => h.malformed),
    ignored: histories.reduce((n, h) => n + h.ignored, 0),
    cloudConflicts: histories.reduce((n, h) => n + h.cloudConflicts, 0),
    sources: histories.flatMap((h) => h.sources),
  };
}
