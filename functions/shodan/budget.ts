/**
 * Time bounds of one Shodan lookup, shared by the adapter (which enforces them) and the cdktf
 * construct (which sizes the Lambda timeout and time reserve from them). No client code here, so
 * synth can import it without loading shodan-client.
 */

/** Per-attempt HTTP timeout. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** got's two waits between its three attempts (1 s, 2 s, plus up to 100 ms each, rounded up). */
export const RETRY_WAITS_MS = 3500;

/** Longest one Shodan call (host or honeyscore) may take before the adapter gives up on it. */
export function callBudgetMs(timeoutMs = DEFAULT_TIMEOUT_MS): number {
  return 3 * timeoutMs + RETRY_WAITS_MS;
}

/** Longest one IP's lookup may take: spacing, host call, spacing, honeyscore call. */
export function worstLookupMs(minIntervalMs: number, timeoutMs = DEFAULT_TIMEOUT_MS): number {
  return 2 * (minIntervalMs + callBudgetMs(timeoutMs));
}
