/**
 * nock set-up for the tests that go through the real shodan-client and got: recorded answers
 * (./fixtures) are replayed by nock for api.shodan.io, and nothing reaches the network.
 *
 * Every interceptor matches the query `key=KEY` exactly, so a request without the key (or with
 * anything else in the query) is not answered: it shows up in `unmatched`, which afterEach expects
 * empty, as it expects every interceptor used. A request with no interceptor left is caught the
 * same way, which is how the tests prove that no further call was made.
 *
 * got's retries, Retry-After waits and per-attempt timeouts run for real against nock's replies
 * (`.delay()` holds the response headers back, so got's 'request' timeout fires).
 */
import type { ClientRequest } from "node:http";
import nock from "nock";

export const SHODAN_API = "https://api.shodan.io";
export const KEY = "TESTKEYf3a9c1d2e8b7a6c5d4e3f2a1";

export const hostPath = (ip: string): string => `/shodan/host/${ip}`;
export const honeyscorePath = (ip: string): string => `/labs/honeyscore/${ip}`;

/** Shodan's JSON; needed for a bare number (the honeyscore), which nock would not mark as JSON itself. */
export const JSON_TYPE = { "Content-Type": "application/json" } as const;
/** What nginx in front of Shodan sends for its own errors. */
export const HTML_TYPE = { "Content-Type": "text/html" } as const;

/** A GET on api.shodan.io with exactly `key=KEY` as the query. One reply unless `.times(n)`. */
export function shodanGet(path: string): nock.Interceptor {
  return nock(SHODAN_API).get(path).query({ key: KEY });
}

export interface Arrival {
  readonly path: string;
  readonly key: string | null;
  /** Date.now() when nock took the request. */
  readonly at: number;
}

/** Requests the scopes answered (or are answering), in arrival order; filled as they come. */
export function arrivals(...scopes: nock.Scope[]): Arrival[] {
  const seen: Arrival[] = [];
  for (const scope of scopes) {
    scope.on("request", (req: ClientRequest) => {
      const url = new URL(req.path, SHODAN_API);
      seen.push({ path: url.pathname, key: url.searchParams.get("key"), at: Date.now() });
    });
  }
  return seen;
}

/**
 * Registers the suite's hooks: net connect disabled, unmatched requests collected, every
 * interceptor checked and cleaned after each test, nock restored after the suite (it patches
 * node:http, which the other test files in this jest worker share).
 */
export function useShodanNock(): { readonly unmatched: string[] } {
  const unmatched: string[] = [];
  const onNoMatch = (req: { method?: string; path?: string }): void => {
    unmatched.push(`${req.method ?? "?"} ${req.path ?? "?"}`);
  };

  beforeAll(() => {
    nock.disableNetConnect();
    nock.emitter.on("no match", onNoMatch);
  });

  afterEach(() => {
    const pending = nock.pendingMocks();
    const stray = unmatched.splice(0);
    // Replies still held back by .delay() (a timed-out attempt) would keep their timers.
    nock.abortPendingRequests();
    nock.cleanAll();
    expect(stray).toEqual([]);
    expect(pending).toEqual([]);
  });

  afterAll(() => {
    nock.emitter.removeListener("no match", onNoMatch);
    nock.enableNetConnect();
    nock.restore();
  });

  return { unmatched };
}
