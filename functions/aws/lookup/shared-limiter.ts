/**
 * The index rate limiter is shared by every invocation of one Lambda instance, so the spacing holds
 * from one invocation to the next (a new limiter per invocation would let its first request follow
 * the previous invocation's last one at once).
 *
 * Sharing has one hazard: a Shodan call the adapter abandoned (past its budget while got waits out
 * a Retry-After) keeps the limiter until it really ends, and the NEXT invocation's index does not
 * know about it: its calls would queue behind it with no bound, up to the Lambda timeout. Within
 * one invocation lookups run one after the other, so a call never has to wait longer than the
 * spacing; `invocationLimiter` gives each invocation a view of the shared limiter that rejects a
 * call still queued after `maxWaitMs` with `IndexUnavailableError` (the record goes back to the
 * queue), and from then on rejects this invocation's calls at once.
 *
 * @example
 * const shared = createRateLimiter({ minIntervalMs: 2000 }); // module scope
 * const index = createShodanIndex({ apiKey, limiter: invocationLimiter(shared, 2000 + LIMITER_WAIT_SLACK_MS) }); // per invocation
 */
import { IndexUnavailableError } from "../../core/scanner-index";
import type { RateLimiter } from "../../shodan";

/** Allowed wait beyond the spacing before a call is taken to be stuck behind an abandoned one. */
export const LIMITER_WAIT_SLACK_MS = 2000;

export function invocationLimiter(shared: RateLimiter, maxWaitMs: number): RateLimiter {
  let blocked: Error | undefined;
  return {
    schedule<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (blocked) return Promise.reject(blocked);
      return new Promise<T>((resolve, reject) => {
        const gate = new AbortController();
        // Reject now: the shared limiter only drops an aborted call when its turn comes.
        gate.signal.addEventListener("abort", () => reject(gate.signal.reason), { once: true });
        const forward = (): void => gate.abort(signal?.reason);
        if (signal?.aborted) forward();
        else signal?.addEventListener("abort", forward, { once: true });
        const timer = setTimeout(() => {
          blocked = new IndexUnavailableError(
            `an earlier index call (an abandoned one from a previous invocation) still holds the rate limiter after ${maxWaitMs} ms; retry later`,
          );
          gate.abort(blocked);
        }, maxWaitMs);
        shared
          .schedule(() => {
            clearTimeout(timer);
            return fn();
          }, gate.signal)
          .then(resolve, reject)
          .finally(() => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", forward);
          });
      });
    },
  };
}
