/**
 * The Censys adapter against recorded-shape answers of the Platform API's host lookup, served by
 * nock: every outcome the port defines (found, not found, key rejected, credits spent, throttled,
 * server error, malformed) and what it costs in requests.
 */
import nock from "nock";
import { CENSYS_API, CENSYS_HOST_PATH, createCensysIndex, normaliseCensysHost, type CensysIndexOptions } from "../../../functions/censys";
import { censysWorstLookupMs } from "../../../functions/censys/budget";
import { HONEYPOT_TAG } from "../../../functions/core/exposure";
import { IndexConfigError, IndexUnavailableError } from "../../../functions/core/scanner-index";

const IP = "185.199.108.1";
const TOKEN = "censys_pat_0123456789abcdef";
const ORG = "11111111-2222-3333-4444-555555555555";

/** A host answer shaped like `ResponseEnvelopeHostAsset` (v3): services with port, transport and scan time; labels. */
const HOST = {
  result: {
    resource: {
      ip: IP,
      labels: [{ value: "remote-access" }],
      services: [
        { port: 502, protocol: "MODBUS", transport_protocol: "tcp", scan_time: "2026-11-20T08:00:00Z", labels: [{ value: "ics" }] },
        { port: 161, protocol: "SNMP", transport_protocol: "udp", scan_time: "2026-11-21T09:30:00Z", software: [{ product: "net-snmp" }] },
        { port: "bad", protocol: "HTTP" },
      ],
    },
    extensions: {},
  },
};
const TAGGED = { result: { resource: { ip: IP, labels: [{ value: "HONEYPOT", source: "censys" }], services: [{ port: 22, transport_protocol: "tcp", scan_time: "2026-11-22T10:00:00Z" }] }, extensions: {} } };

const api = () => nock(CENSYS_API).matchHeader("authorization", `Bearer ${TOKEN}`);
const index = (over: Partial<CensysIndexOptions> = {}) => {
  const waits: number[] = [];
  const i = createCensysIndex({ token: TOKEN, minIntervalMs: 0, sleep: async (ms) => void waits.push(ms), ...over });
  return { i, waits };
};

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => nock.enableNetConnect());

test("found: the host with its services as banners (UDP kept), the raw answer kept, one request", async () => {
  api().get(`${CENSYS_HOST_PATH}${IP}`).reply(200, HOST, { "content-type": "application/vnd.censys.api.v3.host.v1+json" });
  const { i } = index();
  const answer = await i.lookup(IP);
  expect(answer).toEqual({
    kind: "found",
    host: {
      ip: IP,
      tags: ["remote-access"],
      lastUpdate: "2026-11-21T09:30:00.000Z",
      banners: [
        { port: 502, transport: "tcp", seenAt: "2026-11-20T08:00:00.000Z", product: "MODBUS", tags: ["ics"] },
        { port: 161, transport: "udp", seenAt: "2026-11-21T09:30:00.000Z", product: "net-snmp", tags: [] },
      ],
    },
    raw: HOST,
  });
  expect(i.stats).toMatchObject({ lookups: 1, found: 1, requests: 1, retries: 0 });
});

test("a label naming a honeypot is the honeypot tag", () => {
  expect(normaliseCensysHost(TAGGED, IP)?.tags).toEqual([HONEYPOT_TAG]);
  expect(normaliseCensysHost({ result: { resource: { ip: IP, labels: [{ value: "Honeypot-Conpot" }] } } }, IP)?.tags).toEqual(["honeypot-conpot", HONEYPOT_TAG]);
  expect(normaliseCensysHost({ result: {} }, IP)).toBeUndefined();
});

test("the organization is sent as organization_id when configured", async () => {
  api().get(`${CENSYS_HOST_PATH}${IP}`).query({ organization_id: ORG }).reply(200, HOST);
  const { i } = index({ organizationId: ORG });
  expect((await i.lookup(IP)).kind).toBe("found");
});

test("not found: 404 is not-found, no retry", async () => {
  api().get(`${CENSYS_HOST_PATH}${IP}`).reply(404, { title: "Not Found", status: 404, detail: "No host found" }, { "content-type": "application/problem+json" });
  const { i } = index();
  expect(await i.lookup(IP)).toEqual({ kind: "not-found" });
  expect(i.stats).toMatchObject({ notFound: 1, requests: 1 });
});

test.each([
  [401, { error: { code: 401, message: "invalid token" } }, /answered 401, the token was rejected \(invalid token\)/],
  [403, { title: "Forbidden", status: 403, detail: "API access role required" }, /answered 403, the token may not use host lookups .*API access role required/],
  [402, { title: "Payment Required", status: 402, detail: "no credits remaining" }, /answered 402, the account's credits are spent/],
])("key rejected (%i): IndexConfigError with the status, never retried", async (status, body, message) => {
  api().get(`${CENSYS_HOST_PATH}${IP}`).reply(status, body);
  const { i, waits } = index();
  const err = await i.lookup(IP).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(IndexConfigError);
  expect((err as IndexConfigError).status).toBe(status);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).not.toContain(TOKEN);
  expect(waits).toEqual([]);
});

test("rate-limited: 429 waits its Retry-After, then the retry answers", async () => {
  api().get(`${CENSYS_HOST_PATH}${IP}`).reply(429, { title: "Too Many Requests" }, { "retry-after": "2" });
  api().get(`${CENSYS_HOST_PATH}${IP}`).reply(200, HOST);
  const { i, waits } = index();
  expect((await i.lookup(IP)).kind).toBe("found");
  expect(waits).toEqual([2000]);
  expect(i.stats).toMatchObject({ requests: 2, retries: 1 });
});

test("rate-limited for longer than a lookup may wait: unavailable at once, one request spent", async () => {
  api().get(`${CENSYS_HOST_PATH}${IP}`).reply(429, { title: "Too Many Requests" }, { "retry-after": "3600" });
  const { i, waits } = index();
  const err = await i.lookup(IP).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(IndexUnavailableError);
  expect((err as IndexUnavailableError).status).toBe(429);
  expect((err as Error).message).toMatch(/Retry-After 3600 s; retry later/);
  expect(waits).toEqual([]);
});

test("5xx on every attempt: three requests with 1 s and 2 s between, then IndexUnavailableError with the last status", async () => {
  api().get(`${CENSYS_HOST_PATH}${IP}`).times(3).reply(503, { title: "Service Unavailable", status: 503, detail: "maintenance" });
  const { i, waits } = index();
  const err = await i.lookup(IP).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(IndexUnavailableError);
  expect((err as IndexUnavailableError).status).toBe(503);
  expect((err as Error).message).toMatch(/no useful answer after 3 attempts \(Censys answered 503 \(maintenance\)\)/);
  expect(waits).toEqual([1000, 2000]);
  expect(i.stats).toMatchObject({ requests: 3, retries: 2, failed: 1 });
});

test("a network error is retried like a 5xx", async () => {
  api().get(`${CENSYS_HOST_PATH}${IP}`).replyWithError({ code: "ECONNRESET", message: "socket hang up" });
  api().get(`${CENSYS_HOST_PATH}${IP}`).reply(200, HOST);
  const { i } = index();
  expect((await i.lookup(IP)).kind).toBe("found");
});

test("a 200 that is not a host is unavailable (not a silent not-found)", async () => {
  api().get(`${CENSYS_HOST_PATH}${IP}`).reply(200, "<html>maintenance</html>");
  const { i } = index();
  await expect(i.lookup(IP)).rejects.toThrow(/the answer is not a Censys host/);
});

test("no request for what cannot succeed: empty token and bad settings refused at creation, a non-IP at lookup", async () => {
  expect(() => createCensysIndex({ token: " " })).toThrow(IndexConfigError);
  expect(() => createCensysIndex({ token: TOKEN, organizationId: "acme", attempts: 0 })).toThrow(/organizationId: "acme" is not a UUID; attempts: 0/);
  await expect(index().i.lookup("not-an-ip")).rejects.toThrow(/not an IP address/);
});

test("the worst case the constructs reserve time for: three attempts at their timeout and the longest waits", () => {
  expect(censysWorstLookupMs(1000)).toBe(3 * (1000 + 5000) + 5000 + 5000);
});
