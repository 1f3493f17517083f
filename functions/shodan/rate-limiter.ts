/**
 * Request spacing for an API with a per-account rate (Shodan: 1 request/s).
 *
 * Calls run one at a time, and each starts at least `minIntervalMs` after the previous one
 * FINISHED. Spacing from the end rather than the start matters because a call may hide several
 * HTTP attempts (got retries inside it), so no attempt of the next call can crowd the last attempt
 * of this one.
 *
 * @example
 * const limiter = createRateLimiter({ minIntervalMs: 1000 });
 * const body = await limiter.schedule(() => fetchSomething());
 */

export interface RateLimiter {
  /**
   * Run `fn` after every earlier call has settled and the interval has passed; resolves or rejects
   * as `fn` does. If `signal` is aborted before `fn` starts, `fn` is dropped: the promise rejects
   * with the signal's reason and the dropped call costs the next one no spacing.
   */
  schedule<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export interface RateLimiterOptions {
  /** Quiet time between the end of one call and the start of the next, in ms. */
  readonly minIntervalMs: number;
  /** Clock in ms. @default Date.now (read at each call, so fake timers apply) */
  readonly now?: () => number;
  /** Wait `ms`. @default a setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A limiter for one process. Throws `RangeError` when `minIntervalMs` is negative or not finite. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { minIntervalMs } = options;
  if (!Number.isFinite(minIntervalMs) || minIntervalMs < 0) {
    throw new RangeError(`minIntervalMs: ${String(minIntervalMs)} is not allowed; use a finite number of milliseconds >= 0`);
  }
  const now = options.now ?? (() => Date.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  // Settles when the last scheduled call has settled; never rejects, so one failure does not stop the queue.
  let tail: Promise<void> = Promise.resolve();
  let lastEnd: number | undefined;

  return {
    schedule<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      const run = async (): Promise<T> => {
        signal?.throwIfAborted();
        if (lastEnd !== undefined) {
          const wait = lastEnd + minIntervalMs - now();
          if (wait > 0) await sleep(wait);
        }
        signal?.throwIfAborted();
        try {
          return await fn();
        } finally {
          lastEnd = now();
        }
      };
      const result = tail.then(run);
      tail = result.then(
        () => undefined,
        () => undefined,
      );
      return result;
    },
  };
}
