/**
 * Censys implementation of the `ScannerIndex` port, on the Platform API's host lookup
 * (`GET https://api.platform.censys.io/v3/global/asset/host/{ip}`, a Personal Access Token as
 * bearer, optionally `organization_id` to bill an organization instead of the free wallet).
 *
 * @example
 * const index = createCensysIndex({ token: process.env.CENSYS_TOKEN ?? "" });
 * const answer = await index.lookup("203.0.113.10");
 *
 * Outcomes per status: 200 → found (a host with no service in our time is still "found" here; the
 * exposure evaluation decides what counts); 404 → not-found; 401 and 403 → `IndexConfigError` (token
 * rejected, no API access role, or a plan without host lookups); 402 → `IndexConfigError` (credits
 * spent: retrying before they refill only spends requests); 429, 5xx, timeouts and network errors →
 * retried here (at most `attempts` in all, waiting `Retry-After` when it is short, else 1 s, 2 s…),
 * then `IndexUnavailableError` (bounds in ./budget); any other status or a body that is not a host →
 * `IndexUnavailableError`.
 *
 * Rate: every request goes through one `RateLimiter` (free accounts get one request at a time, and
 * every host lookup costs a credit), so requests from this process never overlap and are spaced by
 * `minIntervalMs`.
 *
 * Honeypot tag: the v3 host schema has free-text `labels` (host and service level) and no honeypot
 * field; a label whose value contains "honeypot" is taken as Censys's honeypot tag.
 */
import { isIP } from "node:net";
import { HONEYPOT_TAG } from "../core/exposure";
import type { ApiKey, SecondaryIndexPorts } from "../core/lookup";
import { IndexConfigError, IndexUnavailableError, type IndexBanner, type IndexHost, type LookupResult, type ScannerIndex } from "../core/scanner-index";
import { createRateLimiter, type RateLimiter } from "../shodan/rate-limiter";
import { CENSYS_ATTEMPTS, CENSYS_MAX_RETRY_AFTER_MS, CENSYS_RETRY_BASE_MS, CENSYS_TIMEOUT_MS } from "./budget";

export const CENSYS_API = "https://api.platform.censys.io";
/** The host lookup's path; `{ip}` is the address. */
export const CENSYS_HOST_PATH = "/v3/global/asset/host/";

export interface CensysIndexOptions {
  /** Personal Access Token. Empty is refused with `IndexConfigError`. */
  readonly token: string;
  /** Organization to bill; without it Censys uses the token owner's free wallet. @default none */
  readonly organizationId?: string;
  /** Quiet time between two requests of this process. Ignored when `limiter` is given. @default 1000 */
  readonly minIntervalMs?: number;
  /** Per-attempt timeout in ms. @default 5000 (CENSYS_TIMEOUT_MS) */
  readonly timeoutMs?: number;
  /** Attempts per lookup, the first included. @default 3 */
  readonly attempts?: number;
  /** Longest `Retry-After` waited out; a longer one gives up at once. @default 5000 (CENSYS_MAX_RETRY_AFTER_MS) */
  readonly maxRetryAfterMs?: number;
  /** @default the global fetch (nock intercepts it in tests) */
  readonly fetch?: typeof fetch;
  /** @default a setTimeout sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly limiter?: RateLimiter;
  /** @default CENSYS_API */
  readonly baseUrl?: string;
}

export interface CensysStats {
  readonly lookups: number;
  readonly found: number;
  readonly notFound: number;
  readonly failed: number;
  /** HTTP requests sent, retries included: each one may cost a credit. */
  readonly requests: number;
  readonly retries: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Retried statuses: throttled and server-side failures. */
const retryable = (status: number): boolean => status === 429 || status >= 500;

export function createCensysIndex(options: CensysIndexOptions): ScannerIndex & { readonly stats: CensysStats } {
  const token = typeof options.token === "string" ? options.token.trim() : "";
  const minIntervalMs = options.minIntervalMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? CENSYS_TIMEOUT_MS;
  const attempts = options.attempts ?? CENSYS_ATTEMPTS;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? CENSYS_MAX_RETRY_AFTER_MS;
  const problems: string[] = [];
  if (token === "") problems.push("token: empty; set a Censys Personal Access Token (accounts.censys.io, Personal Access Tokens) in the watcher's Censys secret");
  if (options.organizationId !== undefined && !UUID.test(options.organizationId)) problems.push(`organizationId: ${JSON.stringify(options.organizationId)} is not a UUID`);
  if (!Number.isFinite(minIntervalMs) || minIntervalMs < 0) problems.push(`minIntervalMs: ${String(minIntervalMs)} is not a number of ms >= 0`);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) problems.push(`timeoutMs: ${String(timeoutMs)} is not a number of ms > 0`);
  if (!Number.isInteger(attempts) || attempts < 1) problems.push(`attempts: ${String(attempts)} is not a whole number >= 1`);
  if (problems.length > 0) throw new IndexConfigError(`Censys index: ${problems.join("; ")}`);

  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const limiter = options.limiter ?? createRateLimiter({ minIntervalMs });
  const base = (options.baseUrl ?? CENSYS_API).replace(/\/+$/, "");
  const stats = { lookups: 0, found: 0, notFound: 0, failed: 0, requests: 0, retries: 0 };

  /** One attempt: the status and parsed body, or the network/timeout error. */
  async function attempt(ip: string): Promise<{ status: number; body: unknown; retryAfterMs?: number }> {
    const url = new URL(`${base}${CENSYS_HOST_PATH}${encodeURIComponent(ip)}`);
    if (options.organizationId) url.searchParams.set("organization_id", options.organizationId);
    stats.requests++;
    const res = await limiter.schedule(() =>
      doFetch(url, { headers: { authorization: `Bearer ${token}`, accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) }),
    );
    const text = await res.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    const retryAfterMs = retryAfter(res.headers.get("retry-after"));
    return { status: res.status, body, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }

  async function lookup(ip: string): Promise<LookupResult> {
    stats.lookups++;
    const what = `Censys lookup of ${String(ip)}`;
    try {
      if (typeof ip !== "string" || isIP(ip) === 0) throw new IndexUnavailableError(`${what}: not an IP address`);
      let last = "no attempt";
      let lastStatus: number | undefined;
      for (let n = 1; n <= attempts; n++) {
        let wait = CENSYS_RETRY_BASE_MS * 2 ** (n - 1);
        try {
          const { status, body, retryAfterMs } = await attempt(ip);
          if (status === 200) {
            const host = normaliseCensysHost(body, ip);
            if (!host) throw new IndexUnavailableError(`${what}: the answer is not a Censys host (no result.resource); retry later`, status);
            stats.found++;
            return { kind: "found", host, raw: body };
          }
          if (status === 404) {
            stats.notFound++;
            return { kind: "not-found" };
          }
          const detail = problemDetail(body);
          if (status === 401 || status === 403 || status === 402) {
            const why = status === 402 ? "the account's credits are spent" : status === 401 ? "the token was rejected" : "the token may not use host lookups (API Access role or plan)";
            throw new IndexConfigError(`${what}: Censys answered ${status}, ${why}${detail}; check the token in the watcher's Censys secret`, status);
          }
          if (!retryable(status)) throw new IndexUnavailableError(`${what}: Censys answered ${status}${detail}`, status);
          last = `Censys answered ${status}${detail}`;
          lastStatus = status;
          if (retryAfterMs !== undefined) {
            // Asked to wait longer than a lookup may take: give the message back instead of holding the instance.
            if (retryAfterMs > maxRetryAfterMs) throw new IndexUnavailableError(`${what}: ${last}, Retry-After ${Math.round(retryAfterMs / 1000)} s; retry later`, status);
            wait = retryAfterMs;
          }
        } catch (err) {
          if (err instanceof IndexConfigError || err instanceof IndexUnavailableError) throw err;
          last = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          lastStatus = undefined;
        }
        if (n < attempts) {
          stats.retries++;
          await sleep(wait);
        }
      }
      throw new IndexUnavailableError(`${what}: no useful answer after ${attempts} attempts (${last}); retry later`, lastStatus);
    } catch (err) {
      stats.failed++;
      throw err;
    }
  }

  return {
    name: "censys",
    lookup,
    get stats(): CensysStats {
      return Object.freeze({ ...stats });
    },
  };
}

/** `Retry-After` in ms: seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** ", <detail>" from a problem+json or authentication error body, for messages. */
function problemDetail(body: unknown): string {
  if (!isRecord(body)) return "";
  const d = typeof body.detail === "string" ? body.detail : isRecord(body.error) && typeof body.error.message === "string" ? body.error.message : typeof body.title === "string" ? body.title : undefined;
  return d ? ` (${d.slice(0, 200)})` : "";
}

const isHoneypotLabel = (l: unknown): boolean => isRecord(l) && typeof l.value === "string" && /honeypot/i.test(l.value);

function labelTags(labels: unknown): string[] {
  if (!Array.isArray(labels)) return [];
  const values = labels.flatMap((l) => (isRecord(l) && typeof l.value === "string" && l.value !== "" ? [l.value.toLowerCase()] : []));
  return [...new Set([...values, ...(labels.some(isHoneypotLabel) ? [HONEYPOT_TAG] : [])])];
}

/** The host in a Censys answer (`result.resource`), or undefined when it is not one. */
export function normaliseCensysHost(body: unknown, askedIp: string): IndexHost | undefined {
  const resource = isRecord(body) && isRecord(body.result) ? body.result.resource : undefined;
  if (!isRecord(resource)) return undefined;
  const banners: IndexBanner[] = [];
  let latest: number | undefined;
  for (const s of Array.isArray(resource.services) ? resource.services : []) {
    if (!isRecord(s)) continue;
    const port = s.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) continue;
    const t = typeof s.scan_time === "string" ? Date.parse(s.scan_time) : NaN;
    const seenAt = Number.isNaN(t) ? undefined : new Date(t).toISOString();
    if (!Number.isNaN(t)) latest = Math.max(latest ?? t, t);
    const software = Array.isArray(s.software) ? s.software.find((w) => isRecord(w) && typeof w.product === "string") : undefined;
    const product = isRecord(software) ? String(software.product) : typeof s.protocol === "string" && s.protocol !== "" ? s.protocol : undefined;
    banners.push({
      port,
      // Censys also writes "quic" (UDP underneath) and "icmp"; a service without one is TCP.
      transport: s.transport_protocol === "udp" || s.transport_protocol === "quic" ? "udp" : "tcp",
      ...(seenAt ? { seenAt } : {}),
      ...(product ? { product } : {}),
      tags: labelTags(s.labels),
    });
  }
  return {
    ip: typeof resource.ip === "string" && resource.ip !== "" ? resource.ip : askedIp,
    tags: labelTags(resource.labels),
    ...(latest !== undefined ? { lastUpdate: new Date(latest).toISOString() } : {}),
    banners,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What a cloud's wiring knows about Censys (its env), to make the further-index ports. */
export interface CensysSettings {
  readonly secretName: string;
  readonly everyHours: number;
  readonly organizationId?: string;
}

/**
 * Censys as a further index of the lookup core: the token read per invocation through `readApiKey`
 * (the cloud's secret store), requests spaced by `limiter` (one per instance, kept across invocations).
 */
export function censysSecondary(settings: CensysSettings, readApiKey: () => Promise<ApiKey>, extra: Pick<CensysIndexOptions, "limiter" | "fetch" | "sleep"> = {}): SecondaryIndexPorts {
  return {
    name: "censys",
    secretName: settings.secretName,
    everyHours: settings.everyHours,
    readApiKey,
    indexFor: (token) => createCensysIndex({ token, ...(settings.organizationId ? { organizationId: settings.organizationId } : {}), ...extra }),
  };
}
