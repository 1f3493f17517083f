/**
 * Time bounds of one Censys lookup, shared by the adapter (which enforces them) and the constructs
 * (which size a function's time reserve from them). No client code here, so synth can import it.
 */

/** Per-attempt HTTP timeout. */
export const CENSYS_TIMEOUT_MS = 5000;
/** Attempts per lookup, the first included. */
export const CENSYS_ATTEMPTS = 3;
/** Backoff before the second attempt; doubled before each later one. */
export const CENSYS_RETRY_BASE_MS = 1000;
/** Longest `Retry-After` waited out within a lookup; a longer one ends it (the index is unavailable this time). */
export const CENSYS_MAX_RETRY_AFTER_MS = 5000;

/** Longest one IP's Censys lookup may take: every attempt at its timeout after its spacing, and the longest waits between them. */
export function censysWorstLookupMs(minIntervalMs: number, timeoutMs = CENSYS_TIMEOUT_MS, attempts = CENSYS_ATTEMPTS): number {
  const waits = Array.from({ length: attempts - 1 }, (_, i) => Math.max(CENSYS_RETRY_BASE_MS * 2 ** i, CENSYS_MAX_RETRY_AFTER_MS)).reduce((a, b) => a + b, 0);
  return attempts * (minIntervalMs + timeoutMs) + waits;
}
