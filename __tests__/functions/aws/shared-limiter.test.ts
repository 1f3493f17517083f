/**
 * The lookup handler shares one rate limiter per instance across invocations; each invocation sees
 * it through `invocationLimiter`, so a call abandoned by an earlier invocation (still holding the
 * limiter) cannot hold a later invocation up to its Lambda timeout.
 */
import { invocationLimiter } from "../../../functions/aws/lookup/shared-limiter";
import { IndexUnavailableError } from "../../../functions/core/scanner-index";
import { createRateLimiter } from "../../../functions/shodan";

beforeEach(() => jest.useFakeTimers({ doNotFake: ["nextTick", "queueMicrotask", "setImmediate"] }));
afterEach(() => jest.useRealTimers());

test("normal spacing passes: a call waits minIntervalMs after the previous one, across views", async () => {
  const shared = createRateLimiter({ minIntervalMs: 2000 });
  const starts: number[] = [];
  const call = async () => void starts.push(Date.now());

  await invocationLimiter(shared, 4000).schedule(call);
  const next = invocationLimiter(shared, 4000).schedule(call);
  await jest.advanceTimersByTimeAsync(2000);
  await next;

  expect(starts[1] - starts[0]).toBe(2000);
});

test("a call stuck behind an abandoned one is rejected after maxWaitMs, and the rest of the invocation at once", async () => {
  const shared = createRateLimiter({ minIntervalMs: 1000 });
  let release!: () => void;
  // An earlier invocation's call that never ends (got waiting out a long Retry-After).
  void shared.schedule(() => new Promise<void>((resolve) => (release = resolve)));
  const view = invocationLimiter(shared, 3000);
  const fn = jest.fn(async () => "answer");

  const first = view.schedule(fn);
  const outcome = expect(first).rejects.toThrow(IndexUnavailableError);
  await jest.advanceTimersByTimeAsync(3000);
  await outcome;
  await expect(view.schedule(fn)).rejects.toThrow(/still holds the rate limiter after 3000 ms/);

  // Dropped, not merely rejected: when the old call ends, the dropped ones never run.
  release();
  await jest.advanceTimersByTimeAsync(5000);
  expect(fn).not.toHaveBeenCalled();
  // The next invocation's view works again.
  await expect(invocationLimiter(shared, 3000).schedule(fn)).resolves.toBe("answer");
});

test("the caller's abort signal still drops a queued call", async () => {
  const shared = createRateLimiter({ minIntervalMs: 1000 });
  const view = invocationLimiter(shared, 5000);
  await view.schedule(async () => undefined);
  const ac = new AbortController();
  const fn = jest.fn(async () => undefined);

  const queued = view.schedule(fn, ac.signal);
  ac.abort(new Error("stalled"));

  await expect(queued).rejects.toThrow("stalled");
  await jest.advanceTimersByTimeAsync(2000);
  expect(fn).not.toHaveBeenCalled();
});
