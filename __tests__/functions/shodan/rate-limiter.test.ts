/**
 * The 1 request/s bound, on a fake clock: the limiter alone, then the adapter with a strict fake
 * client (jest's fake timers and real sockets do not mix well, and the spacing is the adapter's, not got's).
 */
import { IndexUnavailableError } from "../../../functions/core/scanner-index";
import { createRateLimiter, createShodanIndex, type ShodanClientLike } from "../../../functions/shodan";

describe("createRateLimiter with an injected clock", () => {
  // A clock that only moves when the limiter sleeps or a call "takes" time.
  function manualClock() {
    const clock = { t: 0, sleeps: [] as number[] };
    const now = () => clock.t;
    const sleep = async (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    };
    return { clock, now, sleep };
  }

  test("the first call starts at once; the next waits minIntervalMs from the END of the previous one", async () => {
    const { clock, now, sleep } = manualClock();
    const limiter = createRateLimiter({ minIntervalMs: 1000, now, sleep });
    const starts: number[] = [];
    const work = (ms: number) => async () => {
      starts.push(clock.t);
      clock.t += ms;
    };

    await Promise.all([limiter.schedule(work(300)), limiter.schedule(work(50)), limiter.schedule(work(0))]);

    expect(starts).toEqual([0, 1300, 2350]);
    expect(clock.sleeps).toEqual([1000, 1000]);
  });

  test("no wait when the interval has already passed", async () => {
    const { clock, now, sleep } = manualClock();
    const limiter = createRateLimiter({ minIntervalMs: 1000, now, sleep });
    await limiter.schedule(async () => undefined);
    clock.t += 5000;
    await limiter.schedule(async () => undefined);
    expect(clock.sleeps).toEqual([]);
  });

  test("calls never overlap, and a failed call still holds the next one back without stopping the queue", async () => {
    const { clock, now, sleep } = manualClock();
    const limiter = createRateLimiter({ minIntervalMs: 200, now, sleep });
    let running = 0;
    const log: string[] = [];
    const work = (name: string, fail = false) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`${name}@${clock.t}`);
      await Promise.resolve();
      clock.t += 100;
      running--;
      if (fail) throw new Error(`${name} failed`);
      return name;
    };

    const results = await Promise.allSettled([limiter.schedule(work("a")), limiter.schedule(work("b", true)), limiter.schedule(work("c"))]);

    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(log).toEqual(["a@0", "b@300", "c@600"]);
  });

  test("a call aborted before its turn is dropped: it rejects with the reason, never runs, and costs no spacing", async () => {
    const { clock, now, sleep } = manualClock();
    const limiter = createRateLimiter({ minIntervalMs: 1000, now, sleep });
    const ran: string[] = [];
    const work = (name: string) => async () => {
      ran.push(`${name}@${clock.t}`);
      clock.t += 10;
    };
    const controller = new AbortController();

    const first = limiter.schedule(work("a"));
    const dropped = limiter.schedule(work("b"), controller.signal);
    const third = limiter.schedule(work("c"));
    controller.abort(new Error("no longer wanted"));

    await expect(dropped).rejects.toThrow("no longer wanted");
    await Promise.all([first, third]);
    expect(ran).toEqual(["a@0", "c@1010"]);
    expect(clock.sleeps).toEqual([1000]);
  });

  test.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("minIntervalMs %p is refused", (minIntervalMs) => {
    expect(() => createRateLimiter({ minIntervalMs })).toThrow(RangeError);
  });
});

describe("createShodanIndex under jest's fake timers", () => {
  beforeEach(() => {
    // Promises must keep resolving: only the clock and timers are fake.
    jest.useFakeTimers({ doNotFake: ["nextTick", "queueMicrotask", "setImmediate"] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  interface Call {
    readonly what: string;
    readonly start: number;
    end?: number;
  }

  /** A strict fake: known IPs only, each call takes `ms` of fake time (per IP when a function). */
  function fakeClient(ips: readonly string[], ms: number | ((ip: string) => number), calls: Call[]): ShodanClientLike {
    const run = (what: string, ip: string, body: unknown) => {
      const call: Call = { what, start: Date.now() };
      calls.push(call);
      return new Promise<unknown>((resolve) =>
        setTimeout(() => {
          call.end = Date.now();
          resolve(body);
        }, typeof ms === "number" ? ms : ms(ip)),
      );
    };
    const known = (ip: string) => {
      if (!ips.includes(ip)) throw new Error(`unexpected IP ${ip}`);
    };
    return {
      host: async (ip) => (known(ip), run(`host ${ip}`, ip, { ip_str: ip, data: [{ port: 502, transport: "tcp" }] })),
      honeyscore: async (ip) => (known(ip), run(`honeyscore ${ip}`, ip, 0.2)),
    };
  }

  test("lookups asked for together: each request starts 1000 ms after the previous one finished, not before", async () => {
    const ips = ["203.0.113.1", "203.0.113.2", "203.0.113.3"];
    const calls: Call[] = [];
    // Default limiter: 1000 ms, Date.now and setTimeout (both faked here).
    const index = createShodanIndex({ apiKey: "k", client: fakeClient(ips, 250, calls) });
    const t0 = Date.now();

    const all = Promise.all(ips.map((ip) => index.lookup(ip)));
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);

    // The first call ends at 250; one ms before 250 + 1000 the second has not started.
    await jest.advanceTimersByTimeAsync(250 + 999);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);

    await jest.advanceTimersByTimeAsync(10_000);
    const results = await all;

    expect(results.map((r) => r.kind)).toEqual(["found", "found", "found"]);
    // Hosts were queued first; each honeyscore is queued when its host answers.
    expect(calls.map((c) => c.what)).toEqual([
      "host 203.0.113.1",
      "host 203.0.113.2",
      "host 203.0.113.3",
      "honeyscore 203.0.113.1",
      "honeyscore 203.0.113.2",
      "honeyscore 203.0.113.3",
    ]);
    expect(calls.map((c) => c.start - t0)).toEqual([0, 1250, 2500, 3750, 5000, 6250]);
    for (const [i, c] of calls.slice(1).entries()) expect(c.start - calls[i].end!).toBeGreaterThanOrEqual(1000);
  });

  test("minIntervalMs scales the spacing (1000 x instances sharing the key)", async () => {
    const ips = ["203.0.113.1", "203.0.113.2"];
    const calls: Call[] = [];
    const index = createShodanIndex({ apiKey: "k", client: fakeClient(ips, 100, calls), minIntervalMs: 3000, honeyscore: false });

    const all = Promise.all(ips.map((ip) => index.lookup(ip)));
    await jest.advanceTimersByTimeAsync(100 + 2999);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1000);
    await all;
  });

  test("a call stuck past its budget rejects; lookups asked meanwhile fail at once; spacing holds after it ends", async () => {
    const ips = ["203.0.113.1", "203.0.113.2", "203.0.113.3"];
    const calls: Call[] = [];
    // The first call takes 60 s, as when got waits out a long Retry-After twice; the others 100 ms.
    const ms = (ip: string) => (ip === ips[0] ? 60_000 : 100);
    const index = createShodanIndex({ apiKey: "k", client: fakeClient(ips, ms, calls), timeoutMs: 1000, honeyscore: false });
    const budget = 3 * 1000 + 3500;

    const first = index.lookup(ips[0]).catch((e: unknown) => e);
    const queued = index.lookup(ips[1]).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(budget - 1);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);

    expect(await first).toBeInstanceOf(IndexUnavailableError);
    expect(String(await first)).toMatch(/no answer within 6500 ms/);
    // Queued behind the stuck call: rejected without a request.
    expect(await queued).toBeInstanceOf(IndexUnavailableError);
    // Asked for while the call is still running: rejected at once too.
    await expect(index.lookup(ips[2])).rejects.toThrow(/still waiting out a Retry-After/);
    expect(calls).toHaveLength(1);

    // Once the stuck call really ends, lookups work again, spaced from its end.
    await jest.advanceTimersByTimeAsync(60_000 - budget);
    expect(calls[0].end).toBe(calls[0].start + 60_000);
    const later = index.lookup(ips[2]).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(2000);
    expect(await later).toMatchObject({ kind: "found" });
    expect(calls).toHaveLength(2);
    // Exactly the interval: the dropped queued call cost nothing.
    expect(calls[1].start - calls[0].end!).toBe(1000);
    expect(index.stats).toMatchObject({ lookups: 4, found: 1, failed: 3, requests: 2 });
  });
});
