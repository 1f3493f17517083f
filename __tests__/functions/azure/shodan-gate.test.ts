/**
 * The cross-instance Shodan gate: two lookup instances sharing one results container never call
 * Shodan less than the interval apart (jest's fake clock drives the waits), a lost claim is
 * retried, and every way the gate can fail is a rejection (the message is retried), never a call
 * made outside the spacing.
 */
import { blobJsonStore } from "../../../functions/azure/blob-store";
import { CLOCK_SKEW_MARGIN_MS, MAX_BELIEVABLE_AHEAD_MS, SHODAN_GATE_KEY, shodanGate } from "../../../functions/azure/shodan-gate";
import { IndexUnavailableError } from "../../../functions/core/scanner-index";
import { fakeContainer, recordingLog, restError } from "./fakes";
import { T0, entry, shodanError, world } from "./harness";

afterEach(() => {
  jest.useRealTimers();
});

async function settle<T>(work: Promise<T>, stepMs = 100, maxMs = 60_000): Promise<T> {
  let done = false;
  const watched = work.finally(() => {
    done = true;
  });
  for (let t = 0; !done && t < maxMs; t += stepMs) await jest.advanceTimersByTimeAsync(stepMs);
  return watched;
}

test("two lookup instances sharing one container: 8 lookups, Shodan calls at least 1 s apart, claims contended and retried", async () => {
  jest.useFakeTimers({ now: Date.parse(T0) });
  const w = world({ jestTimers: true });
  const a = w.instance("a");
  const b = w.instance("b");
  for (let i = 0; i < 8; i++) w.replies.push(shodanError("No information available for that IP."));
  const ips = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"];
  const chain = (inst: typeof a, offset: number) =>
    ips.reduce<Promise<unknown>>((p, ip, i) => p.then(() => inst.run(entry(ip.replace(/\d+$/, String(10 * offset + i))))), Promise.resolve());

  await settle(Promise.all([chain(a, 1), chain(b, 2)]));

  expect(w.shodanCalls).toHaveLength(8);
  const times = w.shodanCalls.map((c) => c.at);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
  // Both instances took part, and they did race for the slot (a refused conditional write) at least once.
  expect(new Set(w.shodanCalls.map((c) => c.ip.split(".")[3][0]))).toEqual(new Set(["1", "2"]));
  expect(w.ops.some((o) => o === `put ${SHODAN_GATE_KEY}: 412` || o === `put ${SHODAN_GATE_KEY}: 409`)).toBe(true);
});

test("two instances: a call whose requests span more than a second (a retry inside it) keeps the other instance out until the spacing after its last", async () => {
  jest.useFakeTimers({ now: Date.parse(T0) });
  const c = fakeContainer();
  const store = blobJsonStore(c.container);
  const log = recordingLog();
  const a = shodanGate(store, { minIntervalMs: 1000, log: log.log });
  const b = shodanGate(store, { minIntervalMs: 1000, log: log.log });
  const requests: { who: string; at: number }[] = [];
  const first = a.schedule(async () => {
    requests.push({ who: "a", at: Date.now() });
    await new Promise((r) => setTimeout(r, 1100)); // got's wait before its retry
    requests.push({ who: "a", at: Date.now() });
  });
  await jest.advanceTimersByTimeAsync(10);
  const second = b.schedule(async () => void requests.push({ who: "b", at: Date.now() }));
  await settle(Promise.all([first, second]));
  expect(requests.map((r) => r.who)).toEqual(["a", "a", "b"]);
  expect(requests[2].at - requests[1].at).toBeGreaterThanOrEqual(1000);
});

describe("the gate on its own", () => {
  function gateWorld() {
    const c = fakeContainer();
    const log = recordingLog();
    let now = Date.parse(T0);
    const store = blobJsonStore(c.container);
    const make = (over: { maxWaitMs?: number; maxClaimAttempts?: number } = {}) =>
      shodanGate(store, { minIntervalMs: 1000, log: log.log, now: () => now, sleep: async (ms) => void (now += ms), ...over });
    return { c, log, store, make, clock: { get: () => now, add: (ms: number) => void (now += ms) } };
  }

  const SPACING = 1000 + CLOCK_SKEW_MARGIN_MS;

  test("the first call creates the slot document (If-None-Match *), the next waits out the spacing from its end", async () => {
    const g = gateWorld();
    const gate = g.make();
    const starts: number[] = [];
    await gate.schedule(async () => starts.push(g.clock.get()));
    await gate.schedule(async () => starts.push(g.clock.get()));
    expect(starts).toEqual([Date.parse(T0), Date.parse(T0) + SPACING]);
    expect(g.c.json(SHODAN_GATE_KEY)).toEqual({ next: new Date(Date.parse(T0) + 2 * SPACING).toISOString() });
  });

  test("a call holds the gate for its longest duration while it runs, and opens it the spacing after its end", async () => {
    const g = gateWorld();
    const gate = shodanGate(g.store, { minIntervalMs: 1000, log: g.log.log, now: () => g.clock.get(), sleep: async (ms) => g.clock.add(ms), holdMs: 20_000 });
    let during: unknown;
    await gate.schedule(async () => {
      during = g.c.json(SHODAN_GATE_KEY);
      g.clock.add(2500); // got retrying inside one call
    });
    expect(during).toEqual({ next: new Date(Date.parse(T0) + 20_000 + SPACING).toISOString() });
    expect(g.c.json(SHODAN_GATE_KEY)).toEqual({ next: new Date(Date.parse(T0) + 2500 + SPACING).toISOString() });
  });

  test("a slot further away than maxWaitMs rejects with IndexUnavailableError and does not call", async () => {
    const g = gateWorld();
    g.c.seed(SHODAN_GATE_KEY, { next: new Date(Date.parse(T0) + 45_000).toISOString() });
    const fn = jest.fn(async () => 1);
    await expect(g.make({ maxWaitMs: 30_000 }).schedule(fn)).rejects.toThrow(IndexUnavailableError);
    expect(fn).not.toHaveBeenCalled();
  });

  test("a next beyond belief (hand edit, clock far off) is overwritten instead of blocking every lookup", async () => {
    const g = gateWorld();
    g.c.seed(SHODAN_GATE_KEY, { next: new Date(Date.parse(T0) + MAX_BELIEVABLE_AHEAD_MS + 60_000).toISOString() });
    await g.make().schedule(async () => 1);
    expect(g.log.find("shodanGateReset")?.fields).toMatchObject({ reason: "next is too far ahead" });
    expect(g.c.json(SHODAN_GATE_KEY)).toEqual({ next: new Date(Date.parse(T0) + SPACING).toISOString() });
  });

  test("claims lost every time reject after maxClaimAttempts, without calling", async () => {
    const g = gateWorld();
    for (let i = 0; i < 3; i++) g.c.failNext("put", SHODAN_GATE_KEY, restError(412, "ConditionNotMet"));
    const fn = jest.fn(async () => 1);
    await expect(g.make({ maxClaimAttempts: 3 }).schedule(fn)).rejects.toThrow("claimed by other instances 3 times");
    expect(fn).not.toHaveBeenCalled();
  });

  test("a storage error rejects (the message is retried), and the next call still works", async () => {
    const g = gateWorld();
    const gate = g.make();
    g.c.failNext("get", SHODAN_GATE_KEY, restError(503, "ServerBusy"));
    await expect(gate.schedule(async () => 1)).rejects.toMatchObject({ statusCode: 503 });
    await expect(gate.schedule(async () => 2)).resolves.toBe(2);
  });

  test("an aborted call is dropped before it runs", async () => {
    const g = gateWorld();
    const fn = jest.fn(async () => 1);
    await expect(g.make().schedule(fn, AbortSignal.abort(new Error("stalled")))).rejects.toThrow("stalled");
    expect(fn).not.toHaveBeenCalled();
  });
});
