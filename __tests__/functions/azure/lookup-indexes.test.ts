/**
 * The Azure lookup with Censys as a second index and an extra target, through the real wiring:
 * Shodan from the fake client, Censys over HTTP answered by nock. What each index saw is kept and
 * alerted with its name; Censys failing never fails the message; its key problem is alerted once;
 * it is asked again only after its interval; an extra target is looked up but never rotated, and a
 * message naming any other external address is skipped.
 */
import nock from "nock";
import { CENSYS_API, CENSYS_HOST_PATH } from "../../../functions/censys";
import { keys } from "../../../functions/core/lookup";
import { shodanFixture } from "./fakes";
import { CENSYS_TOKEN, T0, entry, shodanError, world } from "./harness";

const PLC_IP = "203.0.113.10"; // host-plc.json: ports 102 and 502
const NOT_FOUND = shodanError("No information available for that IP.");
const censys = { secret: "censys-api-key", secretName: "censys-api-key", everyHours: 24 };
const CENSYS_HOST = { result: { resource: { ip: PLC_IP, services: [{ port: 2404, transport_protocol: "tcp", scan_time: "2026-03-01T06:00:00Z", protocol: "IEC104" }] }, extensions: {} } };
const api = () => nock(CENSYS_API).matchHeader("authorization", `Bearer ${CENSYS_TOKEN}`);

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => nock.enableNetConnect());

test("both indexes asked; the result keeps both answers, latest each view, the mail names Censys for what only it saw", async () => {
  const w = world({ env: { censys } });
  w.replies.push(NOT_FOUND);
  api().get(`${CENSYS_HOST_PATH}${PLC_IP}`).reply(200, CENSYS_HOST);
  const outcome = await w.instance().run(entry(PLC_IP));
  expect(outcome).toEqual({ kind: "looked-up", processed: { found: true, alerted: true } });
  expect(w.mails.map((m) => m.content.subject)).toEqual([`[lure-test] cowrie ${PLC_IP}: now listed by censys with 2404/tcp`]);
  expect(w.container.json(keys.result(PLC_IP, new Date(T0)))).toMatchObject({ answer: null, answers: { censys: CENSYS_HOST } });
  expect(w.container.json(keys.latest(PLC_IP))).toMatchObject({
    index: "shodan+censys",
    found: true,
    indexes: { shodan: { found: false }, censys: { found: true, ports: ["2404/tcp"], checkedAt: T0 } },
  });
});

test("Censys is asked again only after its interval; meanwhile its view is carried", async () => {
  const w = world({ env: { censys } });
  w.replies.push(NOT_FOUND, NOT_FOUND);
  api().get(`${CENSYS_HOST_PATH}${PLC_IP}`).reply(200, CENSYS_HOST);
  await w.instance().run(entry(PLC_IP));
  w.clock.advance(12 * 3_600_000);
  const outcome = await w.instance().run(entry(PLC_IP, { cycle: "2026-03-01T23:59:00.000Z" }));
  expect(outcome).toEqual({ kind: "looked-up", processed: { found: true, alerted: false } });
  expect(w.container.json(keys.latest(PLC_IP))).toMatchObject({ indexes: { censys: { found: true, checkedAt: T0 } } });
  w.replies.push(NOT_FOUND);
  w.clock.advance(12 * 3_600_000);
  api().get(`${CENSYS_HOST_PATH}${PLC_IP}`).reply(404, { title: "Not Found" });
  await w.instance().run(entry(PLC_IP, { cycle: "2026-03-02T11:59:00.000Z" }));
  expect(w.container.json(keys.latest(PLC_IP))).toMatchObject({ found: false, indexes: { censys: { found: false } } });
});

test("Censys down (5xx after retries): the message is still done with Shodan's answer, the failure counted and logged", async () => {
  const w = world({ env: { censys } });
  w.replies.push(shodanFixture("host-plc"));
  api().get(`${CENSYS_HOST_PATH}${PLC_IP}`).times(3).reply(502, { title: "Bad Gateway" });
  const a = w.instance();
  const outcome = await a.run(entry(PLC_IP));
  expect(outcome).toEqual({ kind: "looked-up", processed: { found: true, alerted: true, unavailable: ["censys"] } });
  expect(a.log.find("secondaryIndexUnavailable")?.fields).toMatchObject({ index: "censys", ip: PLC_IP });
  expect(w.container.json(keys.latest(PLC_IP))).toMatchObject({ indexes: { censys: { unavailable: true, found: false } } });
});

test("Censys token rejected: alerted once per token version with its own marker; Shodan lookups go on", async () => {
  const w = world({ env: { censys } });
  w.replies.push(NOT_FOUND, NOT_FOUND);
  api().get(`${CENSYS_HOST_PATH}${PLC_IP}`).times(2).reply(401, { error: { code: 401, message: "invalid token" } });
  const first = await w.instance().run(entry(PLC_IP));
  const second = await w.instance("b").run(entry(PLC_IP, { cycle: "2026-03-01T23:59:00.000Z" }));
  expect(first).toEqual({ kind: "looked-up", processed: { found: false, alerted: false, unavailable: ["censys"] } });
  expect(second).toEqual(first);
  expect(w.mails.map((m) => m.content.subject)).toEqual(["[lure-test] watcher stopped: censys API key problem"]);
  expect(w.mails[0].content.plainText).toContain("Put a valid key in the secret censys-api-key");
  expect(w.container.json(keys.indexErrorOf("censys"))).toMatchObject({ secretVersion: "c1", status: 401 });
  expect(w.container.json(keys.indexError)).toBeUndefined();
});

test("no Censys token set: alerted once, no request to Censys", async () => {
  const w = world({ env: { censys } });
  w.censysSecret.missing = true;
  w.replies.push(NOT_FOUND);
  const outcome = await w.instance().run(entry(PLC_IP));
  expect(outcome).toEqual({ kind: "looked-up", processed: { found: false, alerted: false, unavailable: ["censys"] } });
  expect(w.mails.map((m) => m.content.subject)).toEqual(["[lure-test] watcher stopped: censys API key problem"]);
});

test("Censys not enabled: its secret is never read and no request leaves", async () => {
  const w = world();
  w.replies.push(NOT_FOUND);
  await w.instance().run(entry(PLC_IP));
  expect(w.ops.filter((o) => o.startsWith("getSecret"))).toEqual(["getSecret"]);
});

describe("extra targets", () => {
  const EXTRA = "185.199.108.1";
  const extraTargets = [{ ip: EXTRA, honeypot: "conpot", label: "plant-a" }];
  const external = { honeypot: "conpot", service: "external", task: undefined, external: true as const, label: "plant-a" };

  test("looked up and alerted like the honeynet's own, named as not lure's; never rotated", async () => {
    const w = world({ env: { extraTargets, rotate: true, minRotationHours: 1 } });
    w.replies.push(shodanFixture("host-plc"));
    const outcome = await w.instance().run(entry(EXTRA, external));
    expect(outcome).toEqual({ kind: "looked-up", processed: { found: true, alerted: true } });
    expect(w.mails[0].content.plainText).toContain(`Extra target plant-a (conpot, not deployed by lure) at ${EXTRA}`);
    expect(w.mails[0].content.plainText).not.toContain("Rotation");
    expect(w.net.ops.filter((o) => /delete|create|begin/i.test(o))).toEqual([]);
    expect(w.container.json(keys.rotation("conpot"))).toBeUndefined();
  });

  test("an external message for an address not configured is skipped, not looked up", async () => {
    const w = world({ env: { extraTargets } });
    const outcome = await w.instance().run(entry("185.199.108.2", external));
    expect(outcome).toEqual({ kind: "skipped", reason: "unknownService", alerted: false });
    expect(w.shodanCalls).toEqual([]);
  });
});
