/**
 * The GCP lookup with Censys as a second index (over HTTP, answered by nock) and an extra target,
 * through the real handler: Censys's token comes from its own secret, its answer lands next to
 * Shodan's, and an extra target's `since` is never moved by a rotation marker of lure's honeypot of
 * the same type (it is not that honeypot's address).
 */
import nock from "nock";
import { CENSYS_API, CENSYS_HOST_PATH } from "../../../functions/censys";
import { keys } from "../../../functions/core/lookup";
import { CENSYS_SECRET, shodanFixture } from "./fakes";
import { T0, message, world } from "./harness";

const EXTRA = "185.199.108.1";
const HOST = { result: { resource: { ip: EXTRA, services: [{ port: 502, transport_protocol: "tcp", scan_time: "2026-02-27T06:00:00Z" }] }, extensions: {} } };

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => nock.enableNetConnect());

test("an extra target is looked up on both indexes; lure's conpot rotation marker does not move its since; nothing rotated", async () => {
  const w = world({
    env: {
      rotate: true,
      extraTargets: [{ ip: EXTRA, honeypot: "conpot", label: "plant-a" }],
      censys: { secret: CENSYS_SECRET, secretName: "lure-test-watcher-censys-api-key", everyHours: 24 },
    },
  });
  // lure's own conpot rotated yesterday: for lure's addresses that marker moves `since`, never for an extra target.
  await w.clients.store.put(keys.rotation("conpot"), { lastRotatedAt: "2026-02-28T12:00:00.000Z", ip: "203.0.113.77", service: "lure-test-conpot", cycle: "2026-02-28T11:59:00.000Z" });
  w.replies.push(shodanFixture("host-plc"));
  nock(CENSYS_API).matchHeader("authorization", "Bearer censys_pat_0123456789abcdef").get(`${CENSYS_HOST_PATH}${EXTRA}`).reply(200, HOST);

  const answer = await w.deliver(message(EXTRA, { honeypot: "conpot", service: "external", task: undefined, external: true, label: "plant-a" }));

  expect(answer).toEqual({ status: 200, body: { kind: "looked-up", processed: { found: true, alerted: true } } });
  expect(w.ops).toContain("accessSecretVersion censys");
  const result = w.bucket.json(keys.result(EXTRA, new Date(T0))) as { message: Record<string, unknown>; answers: unknown };
  expect(result.message).not.toHaveProperty("since");
  expect(result.answers).toEqual({ censys: HOST });
  expect(w.bucket.json(keys.latest(EXTRA))).toMatchObject({ index: "shodan+censys", indexes: { censys: { found: true, ports: ["502/tcp"] } } });
  expect(w.compute.ops.filter((o) => /AccessConfig/i.test(o))).toEqual([]);
  expect(w.out.alerts()[0].body).toContain("Extra target plant-a (conpot, not deployed by lure)");
});
