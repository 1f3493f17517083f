/**
 * Google Cloud global external Application Load Balancer request log → {@link HttpRequestRecord}
 * (`./http-scan` maps those onto the scan detector). Nothing here throws on bad input: it is
 * counted in `ParseStats`.
 *
 * ```ts
 * const stats = emptyGcpLbParseStats();
 * const r = parseGcpLbEntry(JSON.parse(pubsubData), stats, { forwardingRule });   // one LogEntry
 * parseGcpLbText(fileText, (r) => detector.observe(httpFlowRecord(r)), stats);    // a file
 * ```
 *
 * An entry is a Cloud Logging `LogEntry` (reference/clouds-2026.md §1.4; the load balancer's
 * logging docs) with `resource.type = "http_load_balancer"`. Fields read:
 *
 * | field | record |
 * |---|---|
 * | `timestamp` (RFC 3339, any fraction, `Z` or an offset) | `time`, Unix seconds (floored) |
 * | `httpRequest.remoteIp` (IPv4 or IPv6, with or without a port: `1.2.3.4:5678`, `[2001:db8::1]:443`) | `src`; IPv6 rewritten in RFC 5952 form (lower case, longest zero run compressed), so two spellings are one source |
 * | `httpRequest.requestUrl` (`scheme://host/path?query`, or a bare `/path`) | `host` (userinfo dropped; empty for a bare path), `path` (path and query) |
 * | `httpRequest.requestMethod` | `method` (empty when absent) |
 * | `httpRequest.status` (number, or a numeric string) | `status`; absent is 0 (the LB sent no response, e.g. `client_disconnected_before_any_response`) |
 * | `httpRequest.userAgent` | `userAgent` (empty when absent) |
 * | `jsonPayload.enforcedSecurityPolicy` / `jsonPayload.previewSecurityPolicy` `.preconfiguredExprIds[]` | `armorScanner`: a sensitivity-1 scanner-detection signature (`…-id913100-`, `-id913110-`, `-id913120-scannerdetection`) matched, enforced or in preview; 913101/913102 (scripting clients, SEO crawlers) do not count |
 * | `resource.labels.forwarding_rule_name` | with the `forwardingRule` option, entries of any other rule are `ignored` (and counted in `otherForwardingRule`) |
 *
 * Counting: `lines` counts entries (and unreadable lines of text). `ignored`: a well-formed entry of
 * another resource type (a sink's filter let it through) or another forwarding rule. `malformed`: not
 * an object, no `resource.type`, no `httpRequest` object, a `remoteIp` that is not an address, a
 * `timestamp` that is not RFC 3339, a `requestUrl` that is neither absolute nor a path, a status that
 * is not an integer 0–999, or (text) a line or document that is not JSON.
 *
 * Text ({@link parseGcpLbText}, {@link GcpLbStream}): one LogEntry JSON per line (what a sink to
 * Cloud Storage or a Pub/Sub subscriber writes), or one JSON array of entries (`gcloud logging read
 * --format=json`), or pretty-printed entries one after another.
 */
import { ipv4Value, ipv6Groups } from "./flow";
import type { HttpRequestRecord } from "./http-scan";
import { emptyParseStats, type ParseStats } from "./quarantine-types";

/** The LogEntry `resource.type` of the global (and regional/classic) external Application Load Balancer. */
export const GCP_LB_RESOURCE_TYPE = "http_load_balancer";

/** ParseStats plus the load-balancer breakdown. */
export interface GcpLbParseStats extends ParseStats {
  /** Entries of another forwarding rule; also counted in `ignored`. */
  otherForwardingRule: number;
}

export const emptyGcpLbParseStats = (): GcpLbParseStats => ({ ...emptyParseStats(), otherForwardingRule: 0 });

export interface GcpLbParseOptions {
  /**
   * Only this forwarding rule's entries make records: its name, or its resource name
   * (`projects/<p>/global/forwardingRules/<name>`, as `LURE_FORWARDING_RULE` holds it; the project
   * is then checked against `resource.labels.project_id` when the entry has one).
   */
  readonly forwardingRule?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Two ASCII digits at s[i]. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** RFC 3339 date-time → Unix seconds (floored), or NaN. */
export function rfc3339Seconds(s: string): number {
  if (s.length < 20 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  const t = s.charCodeAt(10);
  if (t !== 84 && t !== 116 && t !== 32) return NaN;
  const hi = two(s, 0);
  const lo = two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17);
  if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return NaN;
  let i = 19;
  if (s.charCodeAt(i) === 46) {
    i++;
    const start = i;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    if (i === start) return NaN;
  }
  let offset = 0;
  const z = s.charCodeAt(i);
  if ((z === 90 || z === 122) && i + 1 === s.length) offset = 0;
  else if ((z === 43 || z === 45) && i + 6 === s.length && s.charCodeAt(i + 3) === 58) {
    const oh = two(s, i + 1);
    const om = two(s, i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    offset = (z === 43 ? 1 : -1) * (oh * 3600 + om * 60);
  } else return NaN;
  const ms = Date.UTC(hi * 100 + lo, month - 1, day, hour, minute, second);
  return Math.floor(ms / 1000) - offset;
}

const GROUPS: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

/** An IPv6 address's RFC 5952 text (groups from `ipv6Groups`). */
function ipv6Text(g: readonly number[]): string {
  // The longest run of two or more zero groups (the first of equals) becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += "::";
      i += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(":")) out += ":";
    out += g[i].toString(16);
  }
  return out;
}

/** The client address of `remoteIp` (a port stripped, IPv6 in RFC 5952 form), or undefined. */
export function gcpRemoteAddress(remoteIp: string): string | undefined {
  let a = remoteIp;
  if (a.charCodeAt(0) === 91) {
    const close = a.indexOf("]");
    if (close < 0) return undefined;
    const rest = a.slice(close + 1);
    if (rest.length > 0 && !/^:\d{1,5}$/.test(rest)) return undefined;
    a = a.slice(1, close);
  } else {
    const colon = a.indexOf(":");
    if (colon >= 0 && a.indexOf(":", colon + 1) < 0) {
      if (!/^\d{1,5}$/.test(a.slice(colon + 1))) return undefined;
      a = a.slice(0, colon);
    }
  }
  if (ipv4Value(a) >= 0) return a;
  return ipv6Groups(a, 0, a.length, GROUPS) ? ipv6Text(GROUPS) : undefined;
}

/** `requestUrl` → [host, path and query], or undefined. */
function splitUrl(url: string): [string, string] | undefined {
  if (url.charCodeAt(0) === 47) return ["", url];
  const scheme = url.indexOf("://");
  if (scheme <= 0) return undefined;
  const start = scheme + 3;
  let end = start;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 47 || c === 63 || c === 35) break;
    end++;
  }
  let host = url.slice(start, end);
  const at = host.lastIndexOf("@");
  if (at >= 0) host = host.slice(at + 1);
  const rest = url.slice(end);
  return [host, rest.length === 0 || rest.charCodeAt(0) !== 47 ? "/" + rest : rest];
}

/**
 * Cloud Armor's scanner-detection signatures at sensitivity 1 (CRS 913100 scanner user agents,
 * 913110 scanner headers, 913120 scanner file names and arguments). The paranoia-2 ones are left out
 * on purpose: 913101 matches scripting clients (python-requests, libwww-perl) and 913102 SEO
 * crawlers, which are clients, not scanners.
 */
const SCANNER_SIGNATURE = /-id9131[012]0-scannerdetection$/;

function scannerMatched(policy: unknown): boolean {
  if (!isObj(policy)) return false;
  const ids = policy.preconfiguredExprIds;
  if (!Array.isArray(ids)) return false;
  for (const id of ids) if (typeof id === "string" && SCANNER_SIGNATURE.test(id)) return true;
  return false;
}

let lastRule: { text: string; name: string; project: string | undefined } | undefined;

/** The rule's name and project from a name or a resource name (the last one asked for is kept). */
function ruleFilter(forwardingRule: string): { name: string; project: string | undefined } {
  if (lastRule?.text === forwardingRule) return lastRule;
  const m = /^(?:projects\/([^/]+)\/)?(?:.*\/)?([^/]+)$/.exec(forwardingRule);
  lastRule = m === null ? { text: forwardingRule, name: forwardingRule, project: undefined } : { text: forwardingRule, name: m[2], project: m[1] };
  return lastRule;
}

function countOtherRule(stats: ParseStats): void {
  stats.ignored++;
  const s = stats as Partial<GcpLbParseStats>;
  if (typeof s.otherForwardingRule === "number") s.otherForwardingRule++;
}

/** One LogEntry (parsed JSON) → a record, or undefined (counted). */
export function parseGcpLbEntry(entry: unknown, stats: ParseStats, options: GcpLbParseOptions = {}): HttpRequestRecord | undefined {
  stats.lines++;
  if (!isObj(entry) || !isObj(entry.resource) || typeof entry.resource.type !== "string") {
    stats.malformed++;
    return undefined;
  }
  const resource = entry.resource;
  if (resource.type !== GCP_LB_RESOURCE_TYPE) {
    stats.ignored++;
    return undefined;
  }
  if (options.forwardingRule !== undefined) {
    const want = ruleFilter(options.forwardingRule);
    const labels = isObj(resource.labels) ? resource.labels : {};
    const project = labels.project_id;
    if (labels.forwarding_rule_name !== want.name || (want.project !== undefined && typeof project === "string" && project !== want.project)) {
      countOtherRule(stats);
      return undefined;
    }
  }
  const req = entry.httpRequest;
  if (!isObj(req) || typeof req.remoteIp !== "string" || typeof req.requestUrl !== "string" || typeof entry.timestamp !== "string") {
    stats.malformed++;
    return undefined;
  }
  const src = gcpRemoteAddress(req.remoteIp);
  const time = rfc3339Seconds(entry.timestamp);
  const url = splitUrl(req.requestUrl);
  const rawStatus = req.status;
  const status = rawStatus === undefined ? 0 : typeof rawStatus === "number" ? rawStatus : typeof rawStatus === "string" && /^\d{1,3}$/.test(rawStatus) ? Number(rawStatus) : -1;
  if (src === undefined || !Number.isFinite(time) || url === undefined || !Number.isInteger(status) || status < 0 || status > 999) {
    stats.malformed++;
    return undefined;
  }
  const payload = isObj(entry.jsonPayload) ? entry.jsonPayload : undefined;
  const armorScanner = payload !== undefined && (scannerMatched(payload.enforcedSecurityPolicy) || scannerMatched(payload.previewSecurityPolicy));
  stats.records++;
  return {
    time,
    src,
    host: url[0],
    method: typeof req.requestMethod === "string" ? req.requestMethod : "",
    path: url[1],
    status,
    userAgent: typeof req.userAgent === "string" ? req.userAgent : "",
    armorScanner,
  };
}

/** A file or batch of entries: JSON lines, a JSON array, or pretty-printed entries (see the file header). */
export function parseGcpLbText(text: string, onRecord: (r: HttpRequestRecord) => void, stats: ParseStats, options: GcpLbParseOptions = {}): void {
  const stream = new GcpLbStream((r) => onRecord(r), stats, options);
  stream.push(text);
  stream.end();
}

// Forms of the text (GcpLbStream.mode).
/** Nothing but whitespace read yet. */
const START = 0;
/** One entry per line. */
const LINES = 1;
/** A JSON array of entries: its elements are read one at a time. */
const ARRAY = 2;
/** Entries one after another, each over several lines (pretty-printed). */
const VALUES = 3;

/**
 * {@link parseGcpLbText} for a text that comes in chunks cut anywhere (a file read piece by piece):
 * holds one line, or one entry of an array, at a time, never the whole text. `onRecord` gets each
 * record with its entry's 1-based index in the input (`stats.lines` after it: blank lines do not count).
 *
 * The form is told from the first non-blank character and line: `[` is an array; a first line that
 * is a lone `{` opens pretty-printed entries, which are cut out of the text by their braces (strings
 * minded); anything else is JSON lines, where a line that is not JSON is one malformed entry.
 */
export class GcpLbStream {
  private mode: number = START;
  /** Lines: the unfinished last line. Array/Values: the unfinished value, from its opening brace. */
  private carry = "";
  // Value scanner state (Array, Values).
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Array: the top-level array was closed; anything after it is ignored. */
  private closed = false;
  /** A run of stray characters between values, counted once when it ends. */
  private stray = false;

  constructor(
    private readonly onRecord: (r: HttpRequestRecord, entry: number) => void,
    private readonly stats: ParseStats,
    private readonly options: GcpLbParseOptions = {},
  ) {}

  push(chunk: string): void {
    if (this.mode === START) {
      let i = 0;
      while (i < chunk.length && (chunk.charCodeAt(i) <= 32 || chunk.charCodeAt(i) === 0xfeff)) i++;
      if (i === chunk.length) return;
      if (chunk.charCodeAt(i) === 91) {
        this.mode = ARRAY;
        this.depth = 1;
        this.scan(chunk, i + 1, 1);
        return;
      }
      this.mode = LINES;
      chunk = chunk.slice(i);
    }
    if (this.mode === LINES) this.lines(chunk);
    else this.scan(chunk, 0, this.mode === ARRAY ? 1 : 0);
  }

  /** The input has ended: an unfinished last line is read, an unfinished value is malformed. */
  end(): void {
    if (this.mode === LINES) {
      const last = this.carry;
      this.carry = "";
      if (last.trim() !== "") this.line(last, true);
    } else if (this.mode === ARRAY || this.mode === VALUES) {
      if (this.depth > (this.mode === ARRAY ? 1 : 0) || this.stray || (this.mode === ARRAY && !this.closed)) this.bad();
      this.carry = "";
      this.stray = false;
    }
  }

  private entry(entry: unknown): void {
    const r = parseGcpLbEntry(entry, this.stats, this.options);
    if (r !== undefined) this.onRecord(r, this.stats.lines);
  }

  private bad(): void {
    this.stats.lines++;
    this.stats.malformed++;
  }

  private lines(chunk: string): void {
    let p = 0;
    for (;;) {
      const q = chunk.indexOf("\n", p);
      if (q < 0) break;
      const text = this.carry === "" ? chunk.slice(p, q) : this.carry + chunk.slice(p, q);
      this.carry = "";
      p = q + 1;
      if (!this.line(text, false)) {
        // Pretty-printed: from here on, cut entries by their braces (this line and the rest).
        this.mode = VALUES;
        this.scan(text + "\n" + chunk.slice(p), 0, 0);
        return;
      }
    }
    this.carry += chunk.slice(p);
  }

  /** One line; false when it is the first and not whole JSON (switch to Values). */
  private line(text: string, last: boolean): boolean {
    const t = text.trim();
    if (t === "") return true;
    let entry: unknown;
    try {
      entry = JSON.parse(t);
    } catch {
      // A lone "{" opens a pretty-printed entry (JSON.stringify with an indent, jq, gcloud); any
      // other first line that is not JSON is a broken line of JSON lines.
      if (this.stats.lines === 0 && !last && t === "{") return false;
      this.bad();
      return true;
    }
    this.entry(entry);
    return true;
  }

  /** Cuts values at `base` depth (0: top level; 1: elements of the top-level array) out of s[from...]. */
  private scan(s: string, from: number, base: number): void {
    if (this.closed) return;
    let start = this.depth > base ? 0 : -1;
    for (let i = from; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 92) this.escaped = true;
        else if (c === 34) this.inString = false;
        continue;
      }
      if (this.depth === base) {
        if (c === 123) {
          if (this.stray) {
            this.stray = false;
            this.bad();
          }
          start = i;
          this.depth++;
        } else if (base === 1 && c === 93) {
          if (this.stray) this.bad();
          this.stray = false;
          this.closed = true;
          this.depth = 0;
          return;
        } else if (c === 44 || c <= 32) {
          // Between elements: a comma ends a stray run.
          if (c === 44 && this.stray) {
            this.stray = false;
            this.bad();
          }
        } else if (base === 0 && c === 91) {
          // Values mode meeting an array: its elements are entries.
          this.mode = ARRAY;
          base = 1;
          this.depth = 1;
        } else this.stray = true;
        continue;
      }
      if (c === 34) this.inString = true;
      else if (c === 123 || c === 91) this.depth++;
      else if (c === 125 || c === 93) {
        this.depth--;
        if (this.depth === base) {
          const text = start >= 0 ? (this.carry === "" ? s.slice(start, i + 1) : this.carry + s.slice(start, i + 1)) : this.carry + s.slice(0, i + 1);
          this.carry = "";
          start = -1;
          let entry: unknown;
          try {
            entry = JSON.parse(text);
          } catch {
            this.bad();
            continue;
          }
          this.entry(entry);
        }
      }
    }
    if (this.depth > base) this.carry += start >= 0 ? s.slice(start) : s;
  }
}
