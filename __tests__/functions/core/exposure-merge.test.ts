/**
 * The evaluation over several indexes (Shodan and Censys): listed when any index lists the IP, ports
 * merged, each change saying which index is behind it, each index's own view kept, and an index that
 * failed or was not due keeping what it said before (so an outage is not news, nor a recovery).
 */
import { evaluateExposure, evaluateExposures, listedBy, type ExposureState, type IndexAnswer } from "../../../functions/core/exposure";
import type { LookupResult } from "../../../functions/core/scanner-index";
import { describeChange, exposureAlert } from "../../../functions/core/alert";
import { decideRotation } from "../../../functions/core/rotation";

const IP = "185.199.108.1";
const SINCE = new Date("2026-11-01T00:00:00Z");
const T1 = new Date("2026-11-10T12:00:00Z");
const T2 = new Date("2026-11-11T12:00:00Z");

const found = (ports: [number, "tcp" | "udp"][], tags: string[] = [], seenAt = "2026-11-09T00:00:00Z", honeyscore?: number): LookupResult => ({
  kind: "found",
  host: { ip: IP, tags, lastUpdate: seenAt, banners: ports.map(([port, transport]) => ({ port, transport, seenAt, tags: [] })) },
  ...(honeyscore !== undefined ? { honeyscore } : {}),
  raw: { ports },
});
const NOT_FOUND: LookupResult = { kind: "not-found" };
const run = (answers: IndexAnswer[], previous?: ExposureState, now = T1) => evaluateExposures({ ip: IP, honeypot: "conpot", answers, previous, now, since: SINCE });

test("one index: exactly the single-index evaluation (a Shodan-only deployment stores what it always did)", () => {
  const a = found([[502, "tcp"]]);
  expect(run([{ index: "shodan", answer: a }])).toEqual(evaluateExposure({ ip: IP, honeypot: "conpot", index: "shodan", answer: a, now: T1, since: SINCE }));
  expect(run([{ index: "shodan", answer: a }]).state.indexes).toBeUndefined();
});

test("only Censys lists it: listed, with Censys named as the one that saw it", () => {
  const e = run([
    { index: "shodan", answer: NOT_FOUND },
    { index: "censys", answer: found([[502, "tcp"], [161, "udp"]]) },
  ]);
  expect(e.state).toMatchObject({ index: "shodan+censys", found: true, ports: ["161/udp", "502/tcp"], honeypotTagged: false, firstFoundAt: T1.toISOString() });
  expect(e.state.indexes).toEqual({
    shodan: { found: false, ports: [], honeypotTagged: false, staleOnly: false, checkedAt: T1.toISOString() },
    censys: { found: true, ports: ["161/udp", "502/tcp"], honeypotTagged: false, staleOnly: false, checkedAt: T1.toISOString(), firstFoundAt: T1.toISOString() },
  });
  expect(e.changes).toEqual([{ kind: "new-exposure", ports: ["161/udp", "502/tcp"], by: ["censys"] }]);
  expect(describeChange(e.changes[0])).toBe("now listed by censys with 161/udp, 502/tcp");
  expect(listedBy(e.state)).toBe("censys");
});

test("the second index finding what the first already listed is no news, but its first sighting is kept", () => {
  const first = run([{ index: "shodan", answer: found([[502, "tcp"]]) }, { index: "censys", answer: NOT_FOUND }]);
  expect(first.changes).toEqual([{ kind: "new-exposure", ports: ["502/tcp"], by: ["shodan"] }]);
  const second = run([{ index: "shodan", answer: found([[502, "tcp"]]) }, { index: "censys", answer: found([[502, "tcp"]]) }], first.state, T2);
  expect(second.changed).toBe(false);
  expect(second.state.firstFoundAt).toBe(T1.toISOString());
  expect(second.state.indexes?.shodan.firstFoundAt).toBe(T1.toISOString());
  expect(second.state.indexes?.censys.firstFoundAt).toBe(T2.toISOString());
  expect(listedBy(second.state)).toBe("shodan and censys");
});

test("new ports and the honeypot tag name the index behind them; the honeyscore is the highest given", () => {
  const before = run([{ index: "shodan", answer: found([[502, "tcp"]]) }, { index: "censys", answer: NOT_FOUND }]);
  const after = run([{ index: "shodan", answer: found([[502, "tcp"]], [], undefined, 0.3) }, { index: "censys", answer: found([[502, "tcp"], [102, "tcp"]], ["honeypot"]) }], before.state, T2);
  expect(after.changes).toEqual([
    { kind: "new-ports", ports: ["102/tcp"], by: ["censys"] },
    { kind: "honeypot-tag", by: ["censys"] },
  ]);
  expect(after.state.honeyscore).toBe(0.3);
  expect(decideRotation({ policy: { enabled: true, minIntervalHours: 1 }, state: after.state, now: T2 })).toEqual({ rotate: true, reason: "tagged as a honeypot by shodan and censys" });
});

test("a failed index keeps its previous view, marked; no change is made up from the outage or the recovery", () => {
  const before = run([{ index: "shodan", answer: NOT_FOUND }, { index: "censys", answer: found([[502, "tcp"]]) }]);
  const outage = run([{ index: "shodan", answer: NOT_FOUND }, { index: "censys", unavailable: "Censys answered 503" }], before.state, T2);
  expect(outage.changed).toBe(false);
  expect(outage.state.found).toBe(true);
  expect(outage.state.indexes?.censys).toEqual({ ...before.state.indexes?.censys, unavailable: true });
  const recovered = run([{ index: "shodan", answer: NOT_FOUND }, { index: "censys", answer: found([[502, "tcp"]]) }], outage.state, new Date("2026-11-12T12:00:00Z"));
  expect(recovered.changed).toBe(false);
  expect(recovered.state.indexes?.censys.unavailable).toBeUndefined();
  expect(recovered.state.indexes?.censys.firstFoundAt).toBe(T1.toISOString());
});

test("an index not due keeps its view unmarked; one failing on its very first lookup is recorded as such", () => {
  const before = run([{ index: "shodan", answer: NOT_FOUND }, { index: "censys", answer: found([[502, "tcp"]]) }]);
  const later = run([{ index: "shodan", answer: NOT_FOUND }, { index: "censys", notDue: true }], before.state, T2);
  expect(later.state.indexes?.censys).toEqual(before.state.indexes?.censys);
  const fresh = run([{ index: "shodan", answer: NOT_FOUND }, { index: "censys", unavailable: "no API key is set" }]);
  expect(fresh.state.indexes?.censys).toEqual({ found: false, ports: [], honeypotTagged: false, staleOnly: false, checkedAt: T1.toISOString(), unavailable: true });
  expect(fresh.state.found).toBe(false);
});

test("a state stored when only Shodan was asked is Shodan's previous view when Censys is added", () => {
  const shodanOnly = evaluateExposure({ ip: IP, honeypot: "conpot", index: "shodan", answer: found([[502, "tcp"]]), now: T1, since: SINCE });
  const both = run([{ index: "shodan", answer: found([[502, "tcp"]]) }, { index: "censys", answer: NOT_FOUND }], shodanOnly.state, T2);
  expect(both.changed).toBe(false);
  expect(both.state.indexes?.shodan.firstFoundAt).toBe(T1.toISOString());
});

test("the alert body lists what each index says", () => {
  const e = run([{ index: "shodan", answer: NOT_FOUND }, { index: "censys", answer: found([[502, "tcp"]]) }]);
  const { body, subject } = exposureAlert({ prefix: "lure", evaluation: e, service: "lure-hp-conpot" });
  expect(subject).toBe(`[lure] conpot ${IP}: now listed by censys with 502/tcp`);
  expect(body).toContain(`- shodan: not listed, checked ${T1.toISOString()}`);
  expect(body).toContain(`- censys: listed with 502/tcp, checked ${T1.toISOString()}`);
});
