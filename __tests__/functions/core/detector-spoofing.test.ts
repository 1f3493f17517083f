import { runDetector as run } from "../../helpers/detector";
import { DEFAULT_DETECTOR, PROOF_REFRESH_SECONDS, ScanDetector } from "../../../functions/core/detector";
import type { DetectorOptions, FlowRecord, Outcome } from "../../../functions/core/quarantine-types";

const T0 = 1_700_000_000;
const HOUR = 3600;
const ALB = "10.0.1.10";
/** A customer that has used the service for days. */
const CUSTOMER = "198.51.100.20";
/** An address never seen before. */
const FRESH = "198.51.100.21";

function rec(src: string, dst: string, dport: number, outcome: Outcome, time: number, proof = false): FlowRecord {
  return { time, src, dst, dport, proto: 6, outcome, sport: 50000, proof };
}

/** A completed HTTPS connection as the parser reports it: the client's ingress OK and our data back (a proof). */
const visit = (src: string, time: number): FlowRecord[] => [rec(src, ALB, 443, "OK", time), rec(src, ALB, 443, "OK", time + 1, true)];

/**
 * A SYN scan anyone can send in `src`'s name: closed ports REJECTed; open ports (443, 8443) answered
 * with SYN-ACK, which the real owner of `src` resets: one half-open record (SYN+RST) each.
 */
const synScan = (src: string, start: number): FlowRecord[] => [21, 22, 443, 23, 25, 8443, 80, 110, 143, 3389].map((p, i) => rec(src, ALB, p, "FAIL", start + i));

/** A customer's history: a visit a day for a week, the last one an hour before `end`. */
const history = (src: string, end: number): FlowRecord[] => Array.from({ length: 7 }, (_, k) => visit(src, end - HOUR - (6 - k) * 24 * HOUR)).flat();

describe("framing by spoofed sources", () => {
  const scanAt = T0 + 7 * 24 * HOUR;

  it("a spoofed SYN scan (closed and open ports) in an established client's name is reported, not steered; the same scan from a fresh address is steered at the same probe", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    run(d, history(CUSTOMER, scanAt));
    const framed = run(d, synScan(CUSTOMER, scanAt));
    const fresh = run(d, synScan(FRESH, scanAt));
    expect(framed).toEqual([
      { at: 3, detection: { src: CUSTOMER, time: scanAt + 3, reason: "trw", probes: 4, failures: 4, withheld: true, establishedSince: scanAt - HOUR - 6 * 24 * HOUR + 1 } },
    ]);
    expect(fresh).toEqual([{ at: 3, detection: { src: FRESH, time: scanAt + 3, reason: "trw", probes: 4, failures: 4, withheld: false } }]);
    expect(d.stats).toMatchObject({ detections: 1, withheld: 1, proofs: 7 });
    // Reported once: more forgeable evidence in its name adds nothing.
    expect(run(d, Array.from({ length: 100 }, (_, i) => rec(CUSTOMER, `10.0.2.${i}`, 22, "FAIL", scanAt + 60 + i)))).toEqual([]);
    // The customer's own traffic goes on as before.
    expect(run(d, visit(CUSTOMER, scanAt + 120))).toEqual([]);
  });

  it("a slow scan in an established client's name is withheld too", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    run(d, history(CUSTOMER, scanAt));
    const probes = Array.from({ length: 8 }, (_, i) => rec(CUSTOMER, ALB, 1000 + i, "FAIL", scanAt + i * 2 * HOUR));
    expect(run(d, probes).map((x) => [x.at, x.detection.reason, x.detection.withheld])).toEqual([[5, "slow", true]]);
  });

  it("its own completed connections behaving like a scan steer an established client (reason proven)", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    run(d, history(CUSTOMER, scanAt));
    run(d, synScan(CUSTOMER, scanAt));
    // Banner grabbing: 15 distinct ports on one host, each a completed connection with data back.
    const grabs = Array.from({ length: 15 }, (_, i) => [rec(CUSTOMER, ALB, 2000 + i, "OK", scanAt + 100 + i), rec(CUSTOMER, ALB, 2000 + i, "OK", scanAt + 100 + i, true)]).flat();
    const found = run(d, grabs);
    expect(found.map((x) => [x.at, x.detection.reason, x.detection.withheld])).toEqual([[29, "proven", false]]);
  });

  it("a scanner that browses and then scans within settleMinutes is steered at once", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    run(d, visit(FRESH, scanAt - 59 * 60));
    expect(run(d, synScan(FRESH, scanAt)).map((x) => [x.at, x.detection.withheld])).toEqual([[3, false]]);
    // An hour's wait buys it a report instead.
    const patient = new ScanDetector(DEFAULT_DETECTOR);
    run(patient, visit(FRESH, scanAt - 61 * 60));
    expect(run(patient, synScan(FRESH, scanAt)).map((x) => [x.at, x.detection.withheld])).toEqual([[3, true]]);
  });

  it("a proof older than historyMinutes no longer protects", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    run(d, visit(CUSTOMER, scanAt - 7 * 24 * HOUR - 60));
    expect(d.establishedSince(CUSTOMER, scanAt)).toBeUndefined();
    expect(run(d, synScan(CUSTOMER, scanAt)).map((x) => x.detection.withheld)).toEqual([false]);
  });

  it("with antiSpoofing disabled, proofs are counted but every source is steered as before", () => {
    const d = new ScanDetector({ ...DEFAULT_DETECTOR, antiSpoofing: { ...DEFAULT_DETECTOR.antiSpoofing, enabled: false } });
    run(d, history(CUSTOMER, scanAt));
    expect(run(d, synScan(CUSTOMER, scanAt)).map((x) => x.detection.withheld)).toEqual([false]);
    expect(d.stats.proofs).toBe(7);
    expect(d.clients).toBe(0);
  });

  it("ingress records alone prove nothing: a spoofer can send SYN, ACK and FIN, never our data", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    run(d, Array.from({ length: 7 }, (_, k) => rec(CUSTOMER, ALB, 443, "OK", scanAt - (k + 1) * 24 * HOUR)));
    expect(d.clients).toBe(0);
    expect(run(d, synScan(CUSTOMER, scanAt)).map((x) => x.detection.withheld)).toEqual([false]);
  });
});

describe("proofs of address", () => {
  it("prove() says when the store should hear of it: a new client, an earlier first proof, an hour later", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    expect(d.prove(CUSTOMER, T0)).toBe(true);
    expect(d.prove(CUSTOMER, T0 + 60)).toBe(false);
    expect(d.prove(CUSTOMER, T0 - 60)).toBe(true);
    expect(d.prove(CUSTOMER, T0 + PROOF_REFRESH_SECONDS - 1)).toBe(false);
    expect(d.prove(CUSTOMER, T0 + PROOF_REFRESH_SECONDS)).toBe(true);
    expect(d.proofOf(CUSTOMER)).toEqual({ first: T0 - 60, last: T0 + PROOF_REFRESH_SECONDS });
    // After the history, a proof starts a new one.
    expect(d.prove(CUSTOMER, T0 + 8 * 24 * HOUR)).toBe(true);
    expect(d.proofOf(CUSTOMER)).toEqual({ first: T0 + 8 * 24 * HOUR, last: T0 + 8 * 24 * HOUR });
  });

  it("maxClients drops the least recently proven client", () => {
    const options: DetectorOptions = { ...DEFAULT_DETECTOR, antiSpoofing: { ...DEFAULT_DETECTOR.antiSpoofing, maxClients: 2 } };
    const d = new ScanDetector(options);
    d.prove("192.0.2.1", T0);
    d.prove("192.0.2.2", T0 + 1);
    d.prove("192.0.2.1", T0 + PROOF_REFRESH_SECONDS); // refreshed: .2 is now the least recent
    d.prove("192.0.2.3", T0 + PROOF_REFRESH_SECONDS + 1);
    expect(["192.0.2.1", "192.0.2.2", "192.0.2.3"].map((s) => d.proofOf(s) !== undefined)).toEqual([true, false, true]);
    expect([d.clients, d.stats.evictedClients]).toEqual([2, 1]);
  });

  it("a stored proof merges with what the instance saw (earlier first, later last) and expires after the history", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    d.prove(CUSTOMER, T0 + 2 * HOUR);
    d.loadProof(CUSTOMER, { first: T0, last: T0 + HOUR });
    expect(d.proofOf(CUSTOMER)).toEqual({ first: T0, last: T0 + 2 * HOUR });
    expect(d.establishedSince(CUSTOMER, T0 + 2 * HOUR)).toBe(T0);
    expect(d.proofExpiry(d.proofOf(CUSTOMER)!)).toBe(T0 + 2 * HOUR + 7 * 24 * HOUR);
    d.expire(T0 + 2 * HOUR + 7 * 24 * HOUR);
    expect(d.clients).toBe(1);
    d.expire(T0 + 2 * HOUR + 7 * 24 * HOUR + 1);
    expect(d.clients).toBe(0);
  });

  it("allow-listed sources' proofs are not kept", () => {
    const d = new ScanDetector({ ...DEFAULT_DETECTOR, allowCidrs: ["198.51.100.0/24"] });
    run(d, visit(CUSTOMER, T0));
    expect(d.clients).toBe(0);
  });

  it("the constructor checks the settings", () => {
    expect(() => new ScanDetector({ ...DEFAULT_DETECTOR, antiSpoofing: { enabled: true, historyMinutes: 60, settleMinutes: 60, maxClients: 0.5 } })).toThrow(
      "detector options: antiSpoofing.maxClients: 0.5 must be a positive integer; antiSpoofing.settleMinutes: 60 must be below historyMinutes (60)",
    );
  });
});
