/**
 * Shodan implementation of the `ScannerIndex` port.
 *
 * @example
 * const index = createShodanIndex({ apiKey: process.env.SHODAN_API_KEY ?? "" });
 * const answer = await index.lookup("203.0.113.10"); // { kind: "found", host, honeyscore?, raw } | { kind: "not-found" }
 *
 * Retries: shodan-client calls got@10 with got's defaults, and got retries a GET by itself: at most
 * 2 more attempts, on 408/413/429/500/502/503/504/521/522/524 and on ETIMEDOUT (which includes its
 * own per-attempt timeout), ECONNRESET, ECONNREFUSED, ENOTFOUND, ENETUNREACH, EAI_AGAIN, EPIPE,
 * EADDRINUSE; waiting 1 s then 2 s (+ up to 100 ms). That is this adapter's backoff; when got gives
 * up the lookup rejects with `IndexUnavailableError` and the queue retries the message later.
 *
 * Bound: got 10.7 also waits out ANY Retry-After sent with a 413/429/503 (its cap, `maxRetryAfter`,
 * ends up Infinity), so a call is not bounded by the timeout alone. Each call therefore has a
 * budget of 3 × timeoutMs + 3.5 s (three attempts and got's two waits); past it the lookup rejects
 * with `IndexUnavailableError`. got cannot be cancelled through shodan-client, so the limiter stays
 * held until the abandoned call really ends, and lookups asked for meanwhile are rejected at once
 * rather than queued behind it: Shodan has asked us to wait. A lookup on an idle adapter (host,
 * then honeyscore) thus settles within about 2 × (3 × timeoutMs + 3.5 s) + minIntervalMs (about
 * 38 s with the defaults); lookups run together also wait their turn in the limiter.
 *
 * Rate: every HTTP call (host and honeyscore) goes through one `RateLimiter`, so calls from this
 * process start at least `minIntervalMs` after the previous one ended. got's retries happen inside
 * a call and are themselves 1-2 s apart.
 */
import { isIP } from "node:net";
import { host as shodanHost } from "shodan-client";
import { request as shodanRequest } from "shodan-client/lib/utils";
import { IndexConfigError, IndexUnavailableError, type LookupResult, type ScannerIndex } from "../core/scanner-index";
import { classifyShodanError, type ShodanErrorClass } from "./classify";
import { normaliseShodanHost } from "./normalise";
import { createRateLimiter, type RateLimiter } from "./rate-limiter";
import { DEFAULT_TIMEOUT_MS, callBudgetMs } from "./budget";

export { classifyShodanError, createRateLimiter };
export type { ShodanErrorClass, RateLimiter };
export type { RateLimiterOptions } from "./rate-limiter";
export { normaliseShodanHost, shodanTimeToIso } from "./normalise";

/** The two Shodan calls the adapter makes. Both resolve with the parsed JSON body and reject like shodan-client. */
export interface ShodanClientLike {
  /** `GET https://api.shodan.io/shodan/host/{ip}?key=…` */
  host(ip: string, key: string, opts: { readonly timeout: number }): Promise<unknown>;
  /** `GET https://api.shodan.io/labs/honeyscore/{ip}?key=…`, a bare number from 0.0 to 1.0. */
  honeyscore(ip: string, key: string, opts: { readonly timeout: number }): Promise<unknown>;
}

export interface ShodanIndexOptions {
  /** Shodan API key. Empty is refused with `IndexConfigError`. */
  readonly apiKey: string;
  /**
   * Spacing between Shodan requests from this process, from the end of one call to the start of the
   * next. Shodan allows 1 request/s per account: with N instances sharing a key, pass 1000 × N.
   * Ignored when `limiter` is given. @default 1000
   */
  readonly minIntervalMs?: number;
  /**
   * Per-attempt HTTP timeout in ms. got retries a timed-out attempt twice; a whole call (retries and
   * waits included) is abandoned after 3 × timeoutMs + 3.5 s. @default 5000
   */
  readonly timeoutMs?: number;
  /**
   * Ask for the honeyscore of found hosts. If Shodan refuses it (key or plan), this instance stops
   * asking and returns hosts without it. @default true
   */
  readonly honeyscore?: boolean;
  /** Injected for tests. @default shodan-client's `host` and its `lib/utils` `request` for the honeyscore */
  readonly client?: ShodanClientLike;
  /** Shared limiter, e.g. one per process for several indexes on one key. @default a new limiter with `minIntervalMs` */
  readonly limiter?: RateLimiter;
}

/** Counters since the adapter was created; a snapshot is returned on each read. */
export interface ShodanStats {
  readonly lookups: number;
  readonly found: number;
  readonly notFound: number;
  /** Lookups that rejected (config or unavailable). */
  readonly failed: number;
  /** Calls made through the limiter (host + honeyscore). got's retries inside a call are not seen here. */
  readonly requests: number;
  readonly honeyscoreRequests: number;
  /** Honeyscore refused (401/403/plan); after this the instance stops asking. */
  readonly honeyscoreRefused: number;
  /** Honeyscore throttled, failed or malformed; the host was returned without it. */
  readonly honeyscoreUnavailable: number;
  /** Found hosts returned without asking, because Shodan had refused the honeyscore earlier. */
  readonly honeyscoreSkipped: number;
}

const DEFAULT_MIN_INTERVAL_MS = 1000;
const SKIPPED = Symbol("honeyscore skipped");

const defaultClient: ShodanClientLike = {
  host: (ip, key, opts) => shodanHost(ip, key, { timeout: opts.timeout }),
  // shodan-client has no honeyscore call; its own request path keeps the same got options and errors.
  honeyscore: (ip, key, opts) => shodanRequest("api", `/labs/honeyscore/${ip}`, { params: { key }, timeout: opts.timeout }),
};

/**
 * The Shodan `ScannerIndex`. Throws `IndexConfigError` at once for an empty key or bad numbers,
 * listing every problem.
 */
export function createShodanIndex(options: ShodanIndexOptions): ScannerIndex & { readonly stats: ShodanStats } {
  const apiKey = typeof options.apiKey === "string" ? options.apiKey.trim() : "";
  const minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const problems: string[] = [];
  if (apiKey === "") problems.push("apiKey: empty; set the Shodan API key (account.shodan.io) in the watcher's secret");
  if (!Number.isFinite(minIntervalMs) || minIntervalMs < 0) problems.push(`minIntervalMs: ${String(minIntervalMs)} is not a number of ms >= 0`);
  if (!Number.isFinite(timeout) || timeout <= 0) problems.push(`timeoutMs: ${String(timeout)} is not a number of ms > 0`);
  if (problems.length > 0) throw new IndexConfigError(`Shodan index: ${problems.join("; ")}`);

  const client = options.client ?? defaultClient;
  const limiter = options.limiter ?? createRateLimiter({ minIntervalMs });
  const wantHoneyscore = options.honeyscore ?? true;
  const budgetMs = callBudgetMs(timeout);
  let honeyscoreRefused = false;
  // A call passed its budget and got is still running it (waiting out a Retry-After).
  let stalled = false;
  // Calls queued in the limiter and not started yet, so a stall can drop them.
  const waiting = new Map<AbortController, string>();
  const stats = {
    lookups: 0,
    found: 0,
    notFound: 0,
    failed: 0,
    requests: 0,
    honeyscoreRequests: 0,
    honeyscoreRefused: 0,
    honeyscoreUnavailable: 0,
    honeyscoreSkipped: 0,
  };

  /** got's ParseError quotes the URL, key included; nothing leaves this adapter with the key in it. */
  const redact = (text: string): string =>
    // A real key is 32 characters; a very short one (tests) would mangle ordinary words.
    (apiKey.length >= 8 ? text.split(apiKey).join("[key]") : text).replace(/([?&]key=)[^&\s"']*/gi, "$1[key]");

  const toError = (c: Exclude<ShodanErrorClass, { kind: "not-found" }>, what: string, err: unknown): Error => {
    const detail = redact(err instanceof Error ? err.message : String(err));
    return c.kind === "config"
      ? new IndexConfigError(`${what}: Shodan refused the key (${detail}); check the API key and that its plan allows host lookups`, c.status)
      : new IndexUnavailableError(`${what}: Shodan did not answer usefully after retries (${detail}); retry later`, c.status);
  };

  const stalledError = (what: string): Error =>
    new IndexUnavailableError(`${what}: an earlier Shodan call is still waiting out a Retry-After; retry later`);

  /**
   * One Shodan call through the limiter, rejected with `IndexUnavailableError` once its budget is
   * spent. The limiter is released only when the call really ends, so spacing holds even then.
   */
  function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (stalled) return Promise.reject(stalledError(what));
    return new Promise<T>((resolve, reject) => {
      const queued = new AbortController();
      waiting.set(queued, what);
      // Reject now; the limiter drops the call when its turn comes.
      queued.signal.addEventListener("abort", () => reject(queued.signal.reason), { once: true });
      limiter
        .schedule(async () => {
          waiting.delete(queued);
          const timer = setTimeout(() => {
            stalled = true;
            reject(new IndexUnavailableError(`${what}: no answer within ${budgetMs} ms (got may be waiting out a Retry-After); retry later`));
            for (const [waiter, waiterWhat] of waiting) waiter.abort(stalledError(waiterWhat));
            waiting.clear();
          }, budgetMs);
          try {
            resolve(await fn());
          } catch (err) {
            reject(err);
          } finally {
            clearTimeout(timer);
            stalled = false;
          }
        }, queued.signal)
        // Only an abort lands here (already rejected above): the scheduled function never throws.
        .catch(reject);
    });
  }

  async function fetchHoneyscore(ip: string): Promise<number | undefined> {
    let body: unknown;
    try {
      body = await call(`Shodan honeyscore of ${ip}`, async () => {
        // Another lookup may have been refused while this one waited in the queue.
        if (honeyscoreRefused) return SKIPPED;
        stats.requests++;
        stats.honeyscoreRequests++;
        return client.honeyscore(ip, apiKey, { timeout });
      });
    } catch (err) {
      noteHoneyscoreFailure(classifyShodanError(err));
      return undefined;
    }
    if (body === SKIPPED) {
      stats.honeyscoreSkipped++;
      return undefined;
    }
    if (isErrorBody(body)) {
      noteHoneyscoreFailure(classifyShodanError(body.error));
      return undefined;
    }
    const score = typeof body === "number" ? body : typeof body === "string" && body.trim() !== "" ? Number(body) : NaN;
    if (Number.isFinite(score) && score >= 0 && score <= 1) return score;
    stats.honeyscoreUnavailable++;
    return undefined;
  }

  function noteHoneyscoreFailure(c: ShodanErrorClass): void {
    // A refusal will not change without a new key or plan: stop spending requests on it.
    if (c.kind === "config") {
      honeyscoreRefused = true;
      stats.honeyscoreRefused++;
    } else {
      stats.honeyscoreUnavailable++;
    }
  }

  async function lookup(ip: string): Promise<LookupResult> {
    stats.lookups++;
    const what = `Shodan lookup of ${String(ip)}`;
    try {
      // An IP goes into the URL path: refuse anything else before spending a request.
      if (typeof ip !== "string" || isIP(ip) === 0) throw new IndexUnavailableError(`${what}: not an IP address; the message cannot succeed and will dead-letter`);
      let body: unknown;
      try {
        body = await call(what, () => {
          stats.requests++;
          return client.host(ip, apiKey, { timeout });
        });
      } catch (err) {
        if (err instanceof IndexUnavailableError || err instanceof IndexConfigError) throw err;
        const c = classifyShodanError(err);
        if (c.kind !== "not-found") throw toError(c, what, err);
        stats.notFound++;
        return { kind: "not-found" };
      }
      // Shodan sometimes answers 200 with {"error": "..."}; shodan-client passes that through as a success.
      if (isErrorBody(body)) {
        const c = classifyShodanError(body.error);
        if (c.kind !== "not-found") throw toError(c, what, body.error);
        stats.notFound++;
        return { kind: "not-found" };
      }
      const host = normaliseShodanHost(body, ip);
      if (host === undefined) throw new IndexUnavailableError(`${what}: the answer is not a Shodan host (no "data" list); retry later`);
      stats.found++;

      let honeyscore: number | undefined;
      if (wantHoneyscore && !honeyscoreRefused) honeyscore = await fetchHoneyscore(ip);
      else if (wantHoneyscore) stats.honeyscoreSkipped++;
      return { kind: "found", host, ...(honeyscore !== undefined ? { honeyscore } : {}), raw: body };
    } catch (err) {
      stats.failed++;
      throw err;
    }
  }

  return {
    name: "shodan",
    lookup,
    get stats(): ShodanStats {
      return Object.freeze({ ...stats });
    },
  };
}

function isErrorBody(body: unknown): body is { error: string } {
  return typeof body === "object" && body !== null && typeof (body as { error?: unknown }).error === "string";
}
