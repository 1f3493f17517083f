/**
 * The Shodan adapter through the real shodan-client and got, against recorded answers replayed by
 * nock (see shodan-nock.ts). Retry and timeout behaviour is in shodan-retries.test.ts.
 */
import { IndexConfigError, IndexUnavailableError } from "../../../functions/core/scanner-index";
import { createShodanIndex, type ShodanIndexOptions } from "../../../functions/shodan";
import honeypotHost from "./fixtures/host-honeypot.json";
import plcHost from "./fixtures/host-plc.json";
import { arrivals, honeyscorePath, hostPath, HTML_TYPE, JSON_TYPE, KEY, shodanGet, useShodanNock } from "./shodan-nock";

const PLC = "203.0.113.10";
const HONEYPOT = "198.51.100.7";
const NOT_FOUND_BODY = { error: "No information available for that IP." };

const { unmatched } = useShodanNock();

// Spacing is tested on its own; here it would only slow the suite.
const shodanIndex = (options: Partial<ShodanIndexOptions> = {}) => createShodanIndex({ apiKey: KEY, minIntervalMs: 0, ...options });

describe("found hosts", () => {
  test("are normalised, keep the raw answer, and get a honeyscore", async () => {
    const host = shodanGet(hostPath(PLC)).reply(200, plcHost);
    const score = shodanGet(honeyscorePath(PLC)).reply(200, "0.3", JSON_TYPE);
    const seen = arrivals(host, score);
    const index = shodanIndex();

    const result = await index.lookup(PLC);

    expect(result).toEqual({
      kind: "found",
      host: {
        ip: PLC,
        tags: [],
        lastUpdate: "2024-05-01T10:11:12.123Z",
        banners: [
          { port: 102, transport: "tcp", seenAt: "2024-04-30T22:01:02.345Z", product: "Siemens S7 PLC", tags: [] },
          { port: 502, transport: "tcp", seenAt: "2024-05-01T10:11:12.123Z", tags: ["ics"] },
        ],
      },
      honeyscore: 0.3,
      raw: plcHost,
    });
    // Each call once, with the key in the query string (the interceptors match nothing else).
    expect(host.isDone()).toBe(true);
    expect(score.isDone()).toBe(true);
    expect(seen.map((a) => [a.path, a.key])).toEqual([
      [hostPath(PLC), KEY],
      [honeyscorePath(PLC), KEY],
    ]);
    expect(index.stats).toMatchObject({ lookups: 1, found: 1, requests: 2, honeyscoreRequests: 1 });
  });

  test("with honeyscore: false, only the host is asked for", async () => {
    const host = shodanGet(hostPath(PLC)).reply(200, plcHost);

    const result = await shodanIndex({ honeyscore: false }).lookup(PLC);

    expect(result.kind).toBe("found");
    expect(result).not.toHaveProperty("honeyscore");
    expect(host.isDone()).toBe(true);
    // No interceptor for the honeyscore: a request for it would be unmatched.
    expect(unmatched).toEqual([]);
  });

  test("a host Shodan tags as a honeypot keeps the tag once; UDP banners stay UDP", async () => {
    shodanGet(hostPath(HONEYPOT)).reply(200, honeypotHost);
    shodanGet(honeyscorePath(HONEYPOT)).reply(200, "1.0", JSON_TYPE);

    const result = await shodanIndex().lookup(HONEYPOT);

    if (result.kind !== "found") throw new Error(`expected found, got ${result.kind}`);
    expect(result.host.tags).toEqual(["honeypot", "cloud"]);
    expect(result.host.banners).toEqual([
      { port: 23, transport: "tcp", seenAt: "2024-06-12T04:05:06.789Z", product: "Cowrie telnet honeypot", tags: ["honeypot"] },
      { port: 47808, transport: "udp", seenAt: "2024-06-11T23:59:59.000Z", tags: [] },
    ]);
    expect(result.honeyscore).toBe(1);
  });
});

describe("not found", () => {
  test("Shodan's 404 is a result, not an error, and no honeyscore is asked", async () => {
    const host = shodanGet(hostPath(PLC)).reply(404, NOT_FOUND_BODY);
    const index = shodanIndex();

    await expect(index.lookup(PLC)).resolves.toEqual({ kind: "not-found" });

    expect(host.isDone()).toBe(true);
    expect(unmatched).toEqual([]);
    expect(index.stats).toMatchObject({ lookups: 1, notFound: 1, failed: 0, requests: 1 });
  });
});

describe("refusals", () => {
  test.each([
    ["nginx's HTML page", "<html><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>", HTML_TYPE],
    ["Shodan's JSON error", JSON.stringify({ error: "Invalid API key" }), JSON_TYPE],
  ])("401 with %s: IndexConfigError(401) after one request, no retry", async (_label, body, headers) => {
    const host = shodanGet(hostPath(PLC)).reply(401, body, headers);

    const err = await shodanIndex().lookup(PLC).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(IndexConfigError);
    expect(err).toMatchObject({ status: 401 });
    expect((err as Error).message).not.toContain(KEY);
    // One interceptor, used once; a retry would be unmatched.
    expect(host.isDone()).toBe(true);
    expect(unmatched).toEqual([]);
  });

  test("a 200 that carries Shodan's error is classified, not taken for a host", async () => {
    shodanGet(hostPath(PLC)).reply(200, { error: "Invalid API key" });

    await expect(shodanIndex().lookup(PLC)).rejects.toMatchObject({ name: "IndexConfigError", status: 401 });
  });

  test("an empty key is refused before any request", () => {
    expect(() => createShodanIndex({ apiKey: "  " })).toThrow(IndexConfigError);
    expect(() => createShodanIndex({ apiKey: "  " })).toThrow(/apiKey: empty/);
    expect(unmatched).toEqual([]);
  });

  test("every bad option is reported at once", () => {
    expect(() => createShodanIndex({ apiKey: "", minIntervalMs: -1, timeoutMs: 0 })).toThrow(/apiKey: empty.*minIntervalMs: -1.*timeoutMs: 0/);
  });

  test("a value that is not an IP is rejected without a request (it dead-letters)", async () => {
    await expect(shodanIndex().lookup("203.0.113.10/../../account/profile")).rejects.toBeInstanceOf(IndexUnavailableError);
    expect(unmatched).toEqual([]);
  });
});

describe("honeyscore", () => {
  test("a 403 on the honeyscore still returns the host, and the instance stops asking", async () => {
    shodanGet(hostPath(PLC)).reply(200, plcHost);
    shodanGet(hostPath(HONEYPOT)).reply(200, honeypotHost);
    const refused = shodanGet(honeyscorePath(PLC)).reply(403, "<html><head><title>403 Forbidden</title></head></html>", HTML_TYPE);
    const index = shodanIndex();

    const first = await index.lookup(PLC);
    const second = await index.lookup(HONEYPOT);

    expect(first.kind).toBe("found");
    expect(first).not.toHaveProperty("honeyscore");
    expect(second.kind).toBe("found");
    expect(second).not.toHaveProperty("honeyscore");
    expect(refused.isDone()).toBe(true);
    // No interceptor for the honeypot's honeyscore: asking for it would be unmatched.
    expect(unmatched).toEqual([]);
    expect(index.stats).toMatchObject({ found: 2, failed: 0, honeyscoreRequests: 1, honeyscoreRefused: 1, honeyscoreSkipped: 1 });
  });

  test("a throttled honeyscore returns the host without it, and the next lookup asks again", async () => {
    // Retry-After is honoured by got for 429/503 when shorter than the timeout; 50 ms keeps the test fast.
    shodanGet(hostPath(PLC)).times(2).reply(200, plcHost);
    const busy = shodanGet(honeyscorePath(PLC))
      .times(3)
      .reply(503, "<html>503 Service Temporarily Unavailable</html>", { ...HTML_TYPE, "Retry-After": "0.05" });
    const score = shodanGet(honeyscorePath(PLC)).reply(200, "0.25", JSON_TYPE);
    const seen = arrivals(busy, score);
    const index = shodanIndex();

    const first = await index.lookup(PLC);
    expect(busy.isDone()).toBe(true);
    expect(score.isDone()).toBe(false);
    const second = await index.lookup(PLC);

    expect(first).not.toHaveProperty("honeyscore");
    expect(second).toMatchObject({ kind: "found", honeyscore: 0.25 });
    // got tried three times the first time, once the second.
    expect(score.isDone()).toBe(true);
    expect(seen).toHaveLength(4);
    expect(unmatched).toEqual([]);
    expect(index.stats).toMatchObject({ honeyscoreUnavailable: 1, honeyscoreRefused: 0, honeyscoreRequests: 2 });
  });

  test("an answer that is not a score in [0, 1] is dropped and counted", async () => {
    shodanGet(hostPath(PLC)).reply(200, plcHost);
    shodanGet(honeyscorePath(PLC)).reply(200, "7", JSON_TYPE);
    const index = shodanIndex();

    expect(await index.lookup(PLC)).not.toHaveProperty("honeyscore");
    expect(index.stats.honeyscoreUnavailable).toBe(1);
  });
});

describe("odd answers", () => {
  test("a garbled 200 is unavailable, and the error never shows the key", async () => {
    // got's ParseError quotes the whole URL, key included.
    const host = shodanGet(hostPath(PLC)).reply(200, "<html><body>Shodan is down for maintenance</body></html>", HTML_TYPE);

    const err = await shodanIndex().lookup(PLC).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(IndexUnavailableError);
    expect((err as Error).message).toContain("key=[key]");
    expect((err as Error).message).not.toContain(KEY);
    expect(host.isDone()).toBe(true);
    expect(unmatched).toEqual([]);
  });

  test("JSON that is not a host is unavailable, not an empty host", async () => {
    shodanGet(hostPath(PLC)).reply(200, { matches: [] });

    await expect(shodanIndex().lookup(PLC)).rejects.toBeInstanceOf(IndexUnavailableError);
  });
});

describe("rate", () => {
  test("every HTTP call, host and honeyscore, starts minIntervalMs after the previous call ended", async () => {
    // Each answer takes 50 ms: spacing from the end gives >= 200 ms between arrivals, spacing from the start only 150.
    const seen = arrivals(
      shodanGet(hostPath(PLC)).delay(50).reply(200, plcHost),
      shodanGet(hostPath(HONEYPOT)).delay(50).reply(200, honeypotHost),
      shodanGet(honeyscorePath(PLC)).delay(50).reply(200, "0.3", JSON_TYPE),
      shodanGet(honeyscorePath(HONEYPOT)).delay(50).reply(200, "1", JSON_TYPE),
    );
    const index = shodanIndex({ minIntervalMs: 150 });

    await Promise.all([index.lookup(PLC), index.lookup(HONEYPOT)]);

    expect(seen.map((a) => a.path)).toEqual([hostPath(PLC), hostPath(HONEYPOT), honeyscorePath(PLC), honeyscorePath(HONEYPOT)]);
    const gaps = seen.slice(1).map((a, i) => a.at - seen[i].at);
    // A few ms of slack for timer rounding.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(195);
  });
});
