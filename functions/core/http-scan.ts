/**
 * HTTP scan detection: HTTP request records (any load balancer's request log; Google Cloud's global
 * external Application Load Balancer first, `./gcp-lb-log`) mapped onto the scan detector's first
 * contacts, so the one `ScanDetector` (`./detector`) with its one set of thresholds decides for
 * every cloud.
 *
 * ```ts
 * const detector = new ScanDetector(DEFAULT_DETECTOR);
 * parseGcpLbText(text, (r) => { const d = detector.observe(httpFlowRecord(r)); ... }, stats);
 * ```
 *
 * **Target.** A first contact is (host, normalised path). In the `FlowRecord`, `dst` is the host
 * (lower case, without a port; `-` when the log has none) and `dport` is {@link httpTargetPort} of
 * the normalised path: FNV-1a (32 bits) over its UTF-16 code units, reduced to 1..65535 (the
 * detector keeps 16 bits of a port). Stable across processes and releases, so stored detector
 * states stay valid. Two paths with one number are one target: a collision only merges targets
 * (about n²/131,070 pairs among n paths of a host), which can only delay a detection. `proto` is 6.
 *
 * The detector's tests then read as: TRW over a source's distinct paths; `vertical` = distinct
 * failed paths on one host within `windowMinutes` (dirbusting); `horizontal` = one path failed on
 * many hosts (virtual-host sweeps); `pairs` = distinct failed (host, path); `slow` = net failed
 * paths over `memoryMinutes` (slow crawls of missing paths).
 *
 * **Path normalisation** ({@link normalizeHttpPath}), so that spellings of one resource are one
 * target and a scanner cannot inflate its successes or a client its failures:
 * 1. drop the query string and the fragment (from the first `?` or `#`);
 * 2. percent-decode the unreserved characters (RFC 3986 §2.3: `A–Z a–z 0–9 - . _ ~`) and write the
 *    hex digits of every other escape in upper case (`%2f` → `%2F`); a broken escape stays as is;
 * 3. collapse runs of `/` into one;
 * 4. strip a trailing `/`, except for the root; an empty path is `/`.
 * Case is kept (paths are case-sensitive) and dot segments are not resolved (browsers resolve them
 * before sending; traversal probes stay distinct targets).
 *
 * **Outcome** ({@link httpOutcome}): the responses a scanner harvests when it guesses paths or
 * methods are failures: {@link HTTP_FAILURE_STATUSES} = 400 Bad Request, 401 Unauthorized, 403
 * Forbidden, 404 Not Found, 405 Method Not Allowed, 406 Not Acceptable, 410 Gone, 414 URI Too Long,
 * 501 Not Implemented → `FAIL`. Responses that say nothing about whether the client guessed right
 * are `UNKNOWN` (the target counts, Λ does not move): no response at all (status 0: the client went
 * away, the LB sent nothing), 408 Request Timeout, 429 Too Many Requests, and every 5xx but 501 (the
 * backend's trouble, not the client's guess). Everything else (1xx, 2xx, 3xx, other 4xx such as
 * 409 or 422, which mean the resource exists) is `OK`.
 *
 * **Paths clients fetch on their own** never count as failures: a failure there is `UNKNOWN`
 * ({@link isUncountedPath}): `/favicon.ico`, `/robots.txt`, `/sitemap.xml`, `/ads.txt`,
 * `/browserconfig.xml`, `/apple-touch-icon*.png`, everything under `/.well-known/` (browsers, feed
 * readers, crawlers, password managers and ACME clients ask for these whether or not the site has
 * them); static assets by extension (`.css .js .mjs .map .png .jpg .jpeg .gif .svg .webp .avif .ico
 * .woff .woff2 .ttf .otf .eot`: a page with broken images, or devtools fetching source maps, must
 * not look like a scan, and scanners guess scripts, directories and configuration files, not
 * images); and a failed `OPTIONS` (a browser's CORS preflight). Scanners that probe only these are
 * left to the `agent` guard.
 *
 * **Anti-spoofing: `proof` is never set.** The detector withholds a detection of an established
 * client because REJECTs and half-open probes need no handshake: anyone can send them in another
 * address's name. An HTTP request cannot be sent that way: Google's edge (any L7 load balancer)
 * answers only after a completed TCP (and TLS) handshake, and `remoteIp` is that connection's peer,
 * not a header. Every HTTP record, failures included, is thus evidence nobody can forge. Setting
 * `proof` on the successes would make every returning visitor an "established client" after
 * `settleMinutes`, and then withhold detections of its own, unforgeable, 404s: a scanner that
 * browsed for an hour before dirbusting would never be steered. Without `proof` no HTTP source is
 * ever established, nothing is withheld, and no proof is stored per visitor (no store write per
 * client per hour). The `proven` reason does not apply (its job, unforgeable evidence, is every
 * test's here).
 *
 * **Guards for what a random walk misses**: a request whose user agent names a scanner
 * (`./scanner-agents`) or that Cloud Armor's preconfigured scanner-detection rule matched
 * (`armorScanner`, in preview or enforced) is mapped to a `FAIL` marked `scanner`, which flags the
 * source at once with reason `agent`, whatever the response. Allow-listed sources are still never
 * flagged.
 *
 * Benign traffic this keeps quiet (tests: `__tests__/functions/core/http-scan.test.ts`): a page and
 * its assets (all OK: an untracked source stays untracked), a missing favicon (UNKNOWN), a bot
 * reading `robots.txt`, a 404 page reloaded (a repeat of one target), a slow crawl of existing
 * pages (OK). The cost per record: one pass over the path (none for a clean path besides the hash)
 * and one regular expression over the user agent.
 */
import type { FlowRecord, Outcome } from "./quarantine-types";
import { scannerAgent } from "./scanner-agents";

/** One HTTP request as a load balancer logged it. */
export interface HttpRequestRecord {
  /** Request time, Unix seconds. */
  time: number;
  /** The client: the TCP peer of the load balancer's front end (IPv4, or IPv6 in RFC 5952 form). */
  src: string;
  /** Host the request named (as logged; {@link httpFlowRecord} lower-cases it and drops a port). */
  host: string;
  method: string;
  /** Path as requested, query string included (normalised by {@link httpFlowRecord}). */
  path: string;
  /** HTTP status sent to the client; 0 when none was. */
  status: number;
  /** `User-Agent`, empty when absent. */
  userAgent: string;
  /** Cloud Armor's preconfigured scanner-detection rule matched the request (enforced or preview). */
  armorScanner?: boolean;
}

/** Statuses a scanner harvests when it guesses paths or methods: `FAIL`. */
export const HTTP_FAILURE_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404, 405, 406, 410, 414, 501]);
/** Statuses that say nothing about the client's guess: `UNKNOWN` (besides every 5xx but 501). */
export const HTTP_UNKNOWN_STATUSES: ReadonlySet<number> = new Set([0, 408, 429]);

const TCP = 6;

/** Exact paths clients fetch on their own. */
const UNCOUNTED_PATHS: ReadonlySet<string> = new Set(["/favicon.ico", "/robots.txt", "/sitemap.xml", "/ads.txt", "/browserconfig.xml"]);
/** Static asset extensions (lower case, with the dot). */
const ASSET_EXTENSIONS: ReadonlySet<string> = new Set([".css", ".js", ".mjs", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico", ".woff", ".woff2", ".ttf", ".otf", ".eot"]);

/** Whether a failure at this normalised path is not counted (see the file header). */
export function isUncountedPath(path: string): boolean {
  if (UNCOUNTED_PATHS.has(path)) return true;
  if (path.startsWith("/.well-known/")) return true;
  if (path.startsWith("/apple-touch-icon") && path.endsWith(".png") && path.indexOf("/", 1) < 0) return true;
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  return dot > slash + 1 && ASSET_EXTENSIONS.has(path.slice(dot).toLowerCase());
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const HEX = "0123456789ABCDEF";

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function unreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

/** The normalised path of a request target (see the file header for the rules). */
export function normalizeHttpPath(raw: string): string {
  let end = raw.length;
  // Clean paths (most requests) need no copy: check first.
  let clean = true;
  for (let i = 0; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (c === 63 || c === 35) {
      end = i;
      break;
    }
    if (c === 37 || (c === 47 && i + 1 < raw.length && raw.charCodeAt(i + 1) === 47)) clean = false;
  }
  if (end === 0) return "/";
  if (clean) {
    let path = end === raw.length ? raw : raw.slice(0, end);
    if (path.charCodeAt(0) !== 47) path = "/" + path;
    return path.length > 1 && path.charCodeAt(path.length - 1) === 47 ? path.slice(0, -1) : path;
  }
  let out = raw.charCodeAt(0) === 47 ? "" : "/";
  for (let i = 0; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (c === 37 && i + 2 < end) {
      const h = hexValue(raw.charCodeAt(i + 1));
      const l = hexValue(raw.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) {
        const v = h * 16 + l;
        i += 2;
        out += unreserved(v) ? String.fromCharCode(v) : "%" + HEX[h] + HEX[l];
        continue;
      }
    }
    // A run of slashes is one (out always ends with the slash it starts with).
    if (c === 47 && out.charCodeAt(out.length - 1) === 47) continue;
    out += raw[i];
  }
  return out.length > 1 && out.charCodeAt(out.length - 1) === 47 ? out.slice(0, -1) : out;
}

/** The host part of a target: lower case, without a trailing dot or a port; `-` when empty. */
export function normalizeHttpHost(host: string): string {
  let h = host;
  if (h.charCodeAt(0) !== 91) {
    const colon = h.lastIndexOf(":");
    if (colon >= 0 && h.indexOf(":") === colon) h = h.slice(0, colon);
  } else {
    const close = h.indexOf("]");
    if (close > 0) h = h.slice(0, close + 1);
  }
  if (h.charCodeAt(h.length - 1) === 46) h = h.slice(0, -1);
  if (h.length === 0) return "-";
  return h.toLowerCase();
}

/** The `dport` standing for a normalised path: FNV-1a over its code units, in 1..65535. */
export function httpTargetPort(normalizedPath: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < normalizedPath.length; i++) h = Math.imul(h ^ normalizedPath.charCodeAt(i), 0x01000193);
  return ((h >>> 0) % 65535) + 1;
}

/** What a response says about a first contact (see the file header); `path` is normalised. */
export function httpOutcome(status: number, method: string, path: string): Outcome {
  if (HTTP_FAILURE_STATUSES.has(status)) {
    return method === "OPTIONS" || isUncountedPath(path) ? "UNKNOWN" : "FAIL";
  }
  if (HTTP_UNKNOWN_STATUSES.has(status) || (status >= 500 && status <= 599) || status < 100 || status > 599) return "UNKNOWN";
  return "OK";
}

/** Whether the request itself names a scanner: its user agent, or Cloud Armor's scanner detection. */
export function isScannerRequest(r: HttpRequestRecord): boolean {
  return r.armorScanner === true || scannerAgent(r.userAgent) !== undefined;
}

/** The detector's first contact for one request (see the file header). */
export function httpFlowRecord(r: HttpRequestRecord): FlowRecord {
  const path = normalizeHttpPath(r.path);
  const scanner = isScannerRequest(r);
  return {
    time: r.time,
    src: r.src,
    dst: normalizeHttpHost(r.host),
    dport: httpTargetPort(path),
    proto: TCP,
    outcome: scanner ? "FAIL" : httpOutcome(r.status, r.method, path),
    scanner,
  };
}
