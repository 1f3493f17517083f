/**
 * got's own retries are the adapter's backoff: these tests prove the attempt counts and that a
 * lookup is bounded, against answers replayed by nock (see shodan-nock.ts). They wait for got's
 * real delays (about 1 s, then 2 s), so they are kept apart from the fast tests and run in
 * parallel with them.
 */
import { IndexUnavailableError } from "../../../functions/core/scanner-index";
import { createShodanIndex } from "../../../functions/shodan";
import plcHost from "./fixtures/host-plc.json";
import { arrivals, honeyscorePath, hostPath, HTML_TYPE, JSON_TYPE, KEY, shodanGet, useShodanNock } from "./shodan-nock";

const PLC = "203.0.113.10";

const { unmatched } = useShodanNock();

test("429 then 200: got waits about a second, retries, and the lookup succeeds", async () => {
  const throttled = shodanGet(hostPath(PLC)).reply(429, "<html>429 Too Many Requests</html>", HTML_TYPE);
  const host = shodanGet(hostPath(PLC)).reply(200, plcHost);
  const score = shodanGet(honeyscorePath(PLC)).reply(200, "0.1", JSON_TYPE);
  const seen = arrivals(throttled, host);

  const result = await createShodanIndex({ apiKey: KEY, minIntervalMs: 0 }).lookup(PLC);

  expect(result).toMatchObject({ kind: "found", honeyscore: 0.1 });
  expect(throttled.isDone()).toBe(true);
  expect(host.isDone()).toBe(true);
  expect(score.isDone()).toBe(true);
  expect(seen).toHaveLength(2);
  expect(seen[1].at - seen[0].at).toBeGreaterThanOrEqual(950);
  expect(unmatched).toEqual([]);
});

test("5xx every time: IndexUnavailableError with the status, after exactly 3 requests", async () => {
  const bad = shodanGet(hostPath(PLC)).times(3).reply(502, "<html><head><title>502 Bad Gateway</title></head></html>", HTML_TYPE);
  const seen = arrivals(bad);

  const err = await createShodanIndex({ apiKey: KEY, minIntervalMs: 0 })
    .lookup(PLC)
    .catch((e: unknown) => e);

  expect(err).toBeInstanceOf(IndexUnavailableError);
  expect(err).toMatchObject({ status: 502 });
  // All three replies used, and no fourth request (nor a honeyscore) went unanswered.
  expect(bad.isDone()).toBe(true);
  expect(seen).toHaveLength(3);
  expect(unmatched).toEqual([]);
});

test("a timeout is retried twice, then IndexUnavailableError: the lookup is bounded", async () => {
  // nock holds each answer back 10 s; got gives up on each attempt after 100 ms.
  const slow = shodanGet(hostPath(PLC)).times(3).delay(10_000).reply(200, plcHost);
  const seen = arrivals(slow);
  const started = Date.now();

  const err = await createShodanIndex({ apiKey: KEY, minIntervalMs: 0, timeoutMs: 100 })
    .lookup(PLC)
    .catch((e: unknown) => e);

  expect(err).toBeInstanceOf(IndexUnavailableError);
  expect((err as Error).message).toMatch(/Timeout awaiting 'request' for 100ms/);
  expect(slow.isDone()).toBe(true);
  expect(seen).toHaveLength(3);
  expect(unmatched).toEqual([]);
  // 3 attempts x 100 ms + got's 1 s and 2 s waits (+ up to 100 ms noise each), far from the 10 s answer.
  expect(Date.now() - started).toBeLessThan(5_000);
});

test("got waits out a Retry-After even when it is longer than the timeout (its cap is Infinity in got 10.7)", async () => {
  const throttled = shodanGet(hostPath(PLC))
    .times(3)
    .reply(429, "<html>429 Too Many Requests</html>", { ...HTML_TYPE, "Retry-After": "0.3" });
  const seen = arrivals(throttled);

  const err = await createShodanIndex({ apiKey: KEY, minIntervalMs: 0, timeoutMs: 100 })
    .lookup(PLC)
    .catch((e: unknown) => e);

  expect(err).toBeInstanceOf(IndexUnavailableError);
  expect(err).toMatchObject({ status: 429 });
  expect(throttled.isDone()).toBe(true);
  expect(seen).toHaveLength(3);
  expect(unmatched).toEqual([]);
  // 300 ms apart, not got's 1 s/2 s, and despite the 100 ms timeout: a long Retry-After is what the adapter's call budget guards against.
  for (const [i, a] of seen.slice(1).entries()) expect(a.at - seen[i].at).toBeGreaterThanOrEqual(290);
  for (const [i, a] of seen.slice(1).entries()) expect(a.at - seen[i].at).toBeLessThan(900);
});
