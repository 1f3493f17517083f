import { runDetector as run } from "../../helpers/detector";
import { DEFAULT_DETECTOR, ScanDetector } from "../../../functions/core/detector";
import type { DetectorOptions, FlowRecord, Outcome } from "../../../functions/core/quarantine-types";

const T0 = 1_700_000_000;
const SCANNER = "203.0.113.9";
const ALB = "10.0.1.10";

function rec(src: string, dst: string, dport: number, outcome: Outcome, time: number, proto = 6): FlowRecord {
  return { time, src, dst, dport, proto, outcome };
}

/**
 * TRW made too slow to ever decide in these tests (η1 = 9.9e299) and the long memory too short (1 s:
 * never 6 failures in it), so only the distinct counters can flag.
 */
const GUARD_ONLY: DetectorOptions = { ...DEFAULT_DETECTOR, trw: { ...DEFAULT_DETECTOR.trw, alpha: 1e-300 }, memoryMinutes: 1 / 60 };

describe("DEFAULT_DETECTOR", () => {
  it("holds the documented defaults", () => {
    expect(DEFAULT_DETECTOR).toEqual({
      trw: { theta0: 0.8, theta1: 0.2, alpha: 0.01, beta: 0.99 },
      windowMinutes: 5,
      verticalPorts: 15,
      horizontalHosts: 25,
      distinctPairs: 25,
      idleMinutes: 30,
      maxTargetsPerSource: 64,
      maxSources: 100000,
      allowCidrs: [],
      memoryMinutes: 1440,
      slowFailures: 6,
      antiSpoofing: { enabled: true, historyMinutes: 10080, settleMinutes: 60, maxClients: 100000 },
    });
  });
});

describe("ScanDetector: scans", () => {
  it("vertical scan: flagged by TRW at the 4th failed first contact, once", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    const records = Array.from({ length: 20 }, (_, i) => rec(SCANNER, ALB, 1 + i, "FAIL", T0 + i));
    expect(run(d, records)).toEqual([{ at: 3, detection: { src: SCANNER, time: T0 + 3, reason: "trw", probes: 4, failures: 4, withheld: false } }]);
    expect(d.stats).toEqual({
      records: 20,
      allowListed: 0,
      repeats: 0,
      untracked: 0,
      evictedSources: 0,
      evictedTargets: 0,
      expiredSources: 0,
      restartedSources: 0,
      unscannable: 0,
      proofs: 0,
      evictedClients: 0,
      detections: 1,
      withheld: 0,
    });
    expect(d.has(SCANNER)).toBe(true);
  });

  it("horizontal sweep: one port across many hosts, flagged at the 4th host", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    const records = Array.from({ length: 50 }, (_, i) => rec(SCANNER, `10.0.0.${1 + i}`, 22, "FAIL", T0 + i));
    expect(run(d, records)).toEqual([{ at: 3, detection: { src: SCANNER, time: T0 + 3, reason: "trw", probes: 4, failures: 4, withheld: false } }]);
  });

  describe("slow scan, 1 probe per minute for 2 hours", () => {
    const records = Array.from({ length: 120 }, (_, i) => rec(SCANNER, ALB, 1000 + i, "FAIL", T0 + 60 * i));

    it("is flagged at the 4th probe: idleMinutes 30 keeps the state across the 1-minute gaps", () => {
      expect(run(new ScanDetector(DEFAULT_DETECTOR), records)).toEqual([{ at: 3, detection: { src: SCANNER, time: T0 + 180, reason: "trw", probes: 4, failures: 4, withheld: false } }]);
    });

    it("when the short state ends between probes, the long memory flags it at the 6th (slow); without it, it is missed", () => {
      const d = new ScanDetector({ ...DEFAULT_DETECTOR, idleMinutes: 0.5 });
      const found = run(d, records);
      expect(found[0]).toEqual({ at: 5, detection: { src: SCANNER, time: T0 + 300, reason: "slow", probes: 1, failures: 1, withheld: false } });
      // A flagged source's state lives idleMinutes (the quarantine holds it meanwhile): it is flagged again every 6 probes.
      expect(found.map((x) => x.at)).toEqual(Array.from({ length: 20 }, (_, k) => 5 + 6 * k));
      expect(d.stats).toMatchObject({ restartedSources: 100, expiredSources: 19 });
      const forgetful = new ScanDetector({ ...DEFAULT_DETECTOR, idleMinutes: 0.5, memoryMinutes: 0.5 });
      expect(run(forgetful, records)).toEqual([]);
      expect(forgetful.stats.expiredSources).toBe(119);
      expect(forgetful.save(SCANNER)).toMatchObject({ p: 1, f: 1 });
    });

    it("is missed by the 5-minute window counters alone (at most 6 probes in a window)", () => {
      expect(run(new ScanDetector(GUARD_ONLY), records)).toEqual([]);
    });
  });

  describe("scans interleaved with successes", () => {
    it("two failures then one success, repeated: Λ 4,16,4,16,64,16,64,256 → flagged at the 8th first contact", () => {
      const records = Array.from({ length: 30 }, (_, i) =>
        i % 3 === 2 ? rec(SCANNER, `10.0.4.${i}`, 443, "OK", T0 + i) : rec(SCANNER, ALB, 1 + i, "FAIL", T0 + i),
      );
      expect(run(new ScanDetector(DEFAULT_DETECTOR), records)).toEqual([{ at: 7, detection: { src: SCANNER, time: T0 + 7, reason: "trw", probes: 8, failures: 6, withheld: false } }]);
    });

    it("clamp: after a long benign history Λ sits at η0 and 7 consecutive failures flag", () => {
      // One failure starts the state, ten successes drive Λ to the floor, then failures only.
      const records = [
        rec(SCANNER, ALB, 80, "FAIL", T0),
        ...Array.from({ length: 10 }, (_, i) => rec(SCANNER, `10.0.4.${i}`, 443, "OK", T0 + 1 + i)),
        ...Array.from({ length: 10 }, (_, i) => rec(SCANNER, ALB, 1000 + i, "FAIL", T0 + 20 + i)),
      ];
      const d = new ScanDetector(DEFAULT_DETECTOR);
      expect(run(d, records)).toEqual([{ at: 17, detection: { src: SCANNER, time: T0 + 26, reason: "trw", probes: 18, failures: 8, withheld: false } }]);
    });

    it("one success after every failure never moves TRW, but the vertical counter flags at 15 failed ports", () => {
      const records = Array.from({ length: 60 }, (_, i) =>
        i % 2 === 1 ? rec(SCANNER, `10.0.4.${i}`, 443, "OK", T0 + i) : rec(SCANNER, ALB, 1 + i, "FAIL", T0 + i),
      );
      expect(run(new ScanDetector(DEFAULT_DETECTOR), records)).toEqual([{ at: 28, detection: { src: SCANNER, time: T0 + 28, reason: "vertical", probes: 29, failures: 15, withheld: false } }]);
    });
  });

  it("UNKNOWN first contacts count as targets without moving Λ; a later verdict settles them once", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    const records = [
      rec(SCANNER, ALB, 1, "UNKNOWN", T0), // untracked: nothing to remember
      rec(SCANNER, ALB, 2, "FAIL", T0 + 1), // Λ 4
      rec(SCANNER, ALB, 8443, "UNKNOWN", T0 + 2), // a lone SYN: target counted, Λ 4
      rec(SCANNER, ALB, 8443, "UNKNOWN", T0 + 3), // repeat
      rec(SCANNER, ALB, 8443, "FAIL", T0 + 4), // the host's RST (egress record): Λ 16
      rec(SCANNER, ALB, 8443, "FAIL", T0 + 5), // repeat
      rec(SCANNER, ALB, 4, "FAIL", T0 + 6), // Λ 64
      rec(SCANNER, ALB, 5, "FAIL", T0 + 7), // Λ 256
    ];
    expect(run(d, records)).toEqual([{ at: 7, detection: { src: SCANNER, time: T0 + 7, reason: "trw", probes: 4, failures: 4, withheld: false } }]);
    expect(d.stats).toMatchObject({ records: 8, untracked: 1, repeats: 2 });
  });
});

describe("ScanDetector: negative controls", () => {
  it("one target hammered with 1000 rejected attempts is never flagged", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    const records = Array.from({ length: 1000 }, (_, i) => rec("192.168.1.107", "66.63.168.35", 5888, "FAIL", T0 + i * 0.5));
    expect(run(d, records)).toEqual([]);
    expect(d.stats.repeats).toBe(999);
    expect(d.save("192.168.1.107")).toMatchObject({ p: 1, f: 1 });
  });

  it("a benign client falling back from 80 to 443 on three ALB addresses, for hours, is never flagged", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    const client = "198.51.100.77";
    const albs = ["10.0.1.10", "10.0.2.10", "10.0.3.10"];
    const records: FlowRecord[] = [];
    for (let session = 0; session < 40; session++) {
      const alb = albs[session % 3];
      const t = T0 + session * 600;
      records.push(rec(client, alb, 80, "FAIL", t), rec(client, alb, 443, "OK", t + 1), rec(client, alb, 443, "OK", t + 30));
    }
    expect(run(d, records)).toEqual([]);
    // Three distinct failures (80 on each address), each followed by a success: Λ 4, 1, 4, 1, 4, 1.
    expect(d.save(client)).toMatchObject({ p: 6, f: 3 });
    expect(d.save(client)?.l).toBeCloseTo(1, 12);
  });

  it("an OK or UNKNOWN record from an untracked source leaves no state", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    run(d, [rec("198.51.100.1", ALB, 443, "OK", T0), rec("198.51.100.2", ALB, 443, "UNKNOWN", T0)]);
    expect(d.size).toBe(0);
    expect(d.stats).toMatchObject({ records: 2, untracked: 2 });
  });
});

describe("ScanDetector: allow-list", () => {
  const d = new ScanDetector({ ...DEFAULT_DETECTOR, allowCidrs: ["198.51.100.0/24", "2001:db8:1::/48", "192.0.2.7"] });

  it.each<[string, boolean]>([
    ["198.51.100.0", true],
    ["198.51.100.255", true],
    ["198.51.101.0", false],
    ["198.51.99.255", false],
    ["192.0.2.7", true],
    ["192.0.2.8", false],
    ["2001:db8:1::7", true],
    ["2001:db8:1:ffff:ffff:ffff:ffff:ffff", true],
    ["2001:db8:2::7", false],
    ["::ffff:198.51.100.1", false],
    ["not an address", false],
  ])("isAllowed(%s) = %s", (src, allowed) => {
    expect(d.isAllowed(src)).toBe(allowed);
  });

  it("scans from allow-listed sources (IPv4 and IPv6) are never tracked or flagged; others are", () => {
    const det = new ScanDetector({ ...DEFAULT_DETECTOR, allowCidrs: ["198.51.100.0/24", "2001:db8:1::/48"] });
    const scan = (src: string) => Array.from({ length: 30 }, (_, i) => rec(src, ALB, 1 + i, "FAIL", T0 + i));
    expect(run(det, [...scan("198.51.100.7"), ...scan("2001:db8:1::7")])).toEqual([]);
    expect(det.size).toBe(0);
    expect(det.stats).toMatchObject({ records: 60, allowListed: 60, detections: 0 });
    expect(run(det, scan("2001:db8:2::7")).map((x) => x.detection.src)).toEqual(["2001:db8:2::7"]);
  });

  it("bits outside a /45 prefix are ignored", () => {
    const det = new ScanDetector({ ...DEFAULT_DETECTOR, allowCidrs: ["2001:db8:8::/45", "10.0.0.0/8", "0.0.0.0/32"] });
    expect(["2001:db8:f::1", "2001:db8:10::1", "10.255.0.1", "0.0.0.0", "0.0.0.1"].map((s) => det.isAllowed(s))).toEqual([true, false, true, true, false]);
  });

  it("the constructor names every bad option", () => {
    expect(() => new ScanDetector({ ...DEFAULT_DETECTOR, allowCidrs: ["10.0.0.0/33", "2001:db8::/129", "example.com", "10.0.0.0/8"] })).toThrow(
      'detector options: allowCidrs[0]: "10.0.0.0/33" is not an IPv4 or IPv6 CIDR; allowCidrs[1]: "2001:db8::/129" is not an IPv4 or IPv6 CIDR; allowCidrs[2]: "example.com" is not an IPv4 or IPv6 CIDR',
    );
    expect(() => new ScanDetector({ ...DEFAULT_DETECTOR, trw: { theta0: 0.2, theta1: 0.8, alpha: 0, beta: 0.99 }, maxSources: 0, windowMinutes: -1 })).toThrow(
      "detector options: trw.alpha: 0 must be between 0 and 1 (exclusive); trw.theta1: 0.8 must be below theta0 (0.2): a scanner succeeds less often than a benign host; windowMinutes: -1 must be a positive number; maxSources: 0 must be a positive integer",
    );
  });
});

describe("ScanDetector: distinct counters (TRW made slow)", () => {
  it.each<[string, (i: number) => [string, number], number, string]>([
    ["vertical: 15 failed ports on one host", (i) => [ALB, 1 + i], 14, "vertical"],
    ["horizontal: 25 failed hosts on one port", (i) => [`10.0.0.${1 + i}`, 22], 24, "horizontal"],
    ["pairs: 25 failed (host, port) pairs", (i) => [`10.0.${i % 3}.${1 + i}`, 100 + i], 24, "pairs"],
  ])("%s", (_name, target, at, reason) => {
    const records = Array.from({ length: 40 }, (_, i) => rec(SCANNER, ...target(i), "FAIL", T0 + i));
    expect(run(new ScanDetector(GUARD_ONLY), records)).toEqual([{ at, detection: { src: SCANNER, time: T0 + at, reason, probes: at + 1, failures: at + 1, withheld: false } }]);
  });

  it("counts only failures within the window: one failed port every 30 s never reaches 15", () => {
    const records = Array.from({ length: 60 }, (_, i) => rec(SCANNER, ALB, 1 + i, "FAIL", T0 + 30 * i));
    expect(run(new ScanDetector(GUARD_ONLY), records)).toEqual([]);
    // 21 s apart, 15 fall within ±5 minutes of the 15th.
    const faster = Array.from({ length: 60 }, (_, i) => rec(SCANNER, ALB, 1 + i, "FAIL", T0 + 21 * i));
    expect(run(new ScanDetector(GUARD_ONLY), faster).map((x) => x.at)).toEqual([14]);
  });

  it("distinguishes ports by protocol: 53/udp and 53/tcp are two targets", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    expect(run(d, [rec(SCANNER, ALB, 53, "FAIL", T0, 17), rec(SCANNER, ALB, 53, "FAIL", T0 + 1, 6)])).toEqual([]);
    expect(d.save(SCANNER)).toMatchObject({ p: 2, f: 2 });
  });
});

describe("ScanDetector: bounds, expiry, state", () => {
  it("maxSources evicts the least recently seen source", () => {
    const d = new ScanDetector({ ...DEFAULT_DETECTOR, maxSources: 3 });
    run(d, [
      rec("192.0.2.1", ALB, 1, "FAIL", T0),
      rec("192.0.2.2", ALB, 1, "FAIL", T0 + 1),
      rec("192.0.2.3", ALB, 1, "FAIL", T0 + 2),
      rec("192.0.2.1", ALB, 443, "OK", T0 + 3), // .1 seen again: .2 is now the least recent
      rec("192.0.2.4", ALB, 1, "FAIL", T0 + 4),
    ]);
    expect(d.size).toBe(3);
    expect(["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"].map((s) => d.has(s))).toEqual([true, false, true, true]);
    expect(d.stats.evictedSources).toBe(1);
    // Order now .3, .1, .4: the next new source evicts .3.
    run(d, [rec("192.0.2.5", ALB, 1, "FAIL", T0 + 5)]);
    expect(["192.0.2.1", "192.0.2.3", "192.0.2.4", "192.0.2.5"].map((s) => d.has(s))).toEqual([true, false, true, true]);
    expect(d.stats.evictedSources).toBe(2);
  });

  it("maxTargetsPerSource drops the oldest targets and keeps Λ", () => {
    const d = new ScanDetector({ ...GUARD_ONLY, maxTargetsPerSource: 4 });
    run(d, Array.from({ length: 6 }, (_, i) => rec(SCANNER, ALB, 1 + i, "FAIL", T0 + i)));
    expect(d.stats.evictedTargets).toBe(2);
    const state = d.save(SCANNER) as unknown as { l: number; p: number; t: number[] };
    expect(state.p).toBe(6);
    expect(state.l).toBeCloseTo(4 ** 6, 6);
    // The four newest targets, oldest first: ports 3..6.
    expect(state.t.filter((_, k) => k % 3 === 1).map((w) => w >> 10)).toEqual([3, 4, 5, 6]);
    // A forgotten target counts as a first contact again.
    run(d, [rec(SCANNER, ALB, 1, "FAIL", T0 + 7)]);
    expect(d.save(SCANNER)).toMatchObject({ p: 7 });
  });

  it("a source idle longer than idleMinutes starts a clean short-window state; its long memory stays", () => {
    const scan = (t: number) => [0, 1, 2].map((i) => rec(SCANNER, ALB, 1 + i, "FAIL", t + i));
    const late = new ScanDetector(DEFAULT_DETECTOR);
    expect(run(late, [...scan(T0), rec(SCANNER, ALB, 99, "FAIL", T0 + 2 + 30 * 60 + 1)])).toEqual([]);
    expect(late.stats).toMatchObject({ expiredSources: 0, restartedSources: 1 });
    expect(late.save(SCANNER)).toMatchObject({ p: 1, f: 1 });
    expect(late.save(SCANNER)!.l).toBeCloseTo(4, 12);
    expect((late.save(SCANNER)!.m as number[]).length).toBe(8);
    const inTime = new ScanDetector(DEFAULT_DETECTOR);
    expect(run(inTime, [...scan(T0), rec(SCANNER, ALB, 99, "FAIL", T0 + 2 + 30 * 60)]).map((x) => x.at)).toEqual([3]);
  });

  it("expire(now) ends idle short-window states, and drops sources once their last failure is out of memory", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    run(d, [rec("192.0.2.1", ALB, 1, "FAIL", T0), rec("192.0.2.2", ALB, 1, "FAIL", T0 + 600), rec("192.0.2.1", ALB, 1, "FAIL", T0 + 100)]);
    expect(d.expire(T0 + 100 + 1801)).toBe(0);
    expect(d.stats.restartedSources).toBe(1);
    expect(d.save("192.0.2.1")).toMatchObject({ p: 0, f: 0, t: [] });
    // Memory counts from the first failure to a target (the repeat at T0 + 100 does not refresh it).
    expect(d.expire(T0 + 86_400)).toBe(0);
    expect(d.expire(T0 + 86_401)).toBe(1);
    expect([d.has("192.0.2.1"), d.has("192.0.2.2")]).toEqual([false, true]);
    expect(d.expire(T0 + 600 + 86_401)).toBe(1);
    expect(d.size).toBe(0);
    expect(d.stats.expiredSources).toBe(2);
  });

  it("no second Detection while a flagged source's state lives; a new one after it expired", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    const first = run(d, Array.from({ length: 100 }, (_, i) => rec(SCANNER, ALB, 1 + i, "FAIL", T0 + i)));
    expect(first.map((x) => x.at)).toEqual([3]);
    // Still scanning 20 minutes later: lastSeen moves on, nothing new.
    expect(run(d, Array.from({ length: 100 }, (_, i) => rec(SCANNER, `10.0.0.${1 + i}`, 22, "FAIL", T0 + 1200 + i)))).toEqual([]);
    expect(d.save(SCANNER)).toMatchObject({ lastSeen: T0 + 1299, x: T0 + 3, t: [] });
    const again = run(d, Array.from({ length: 10 }, (_, i) => rec(SCANNER, ALB, 1 + i, "FAIL", T0 + 1299 + 1801 + i)));
    expect(again).toEqual([{ at: 3, detection: { src: SCANNER, time: T0 + 1299 + 1801 + 3, reason: "trw", probes: 4, failures: 4, withheld: false } }]);
    expect(d.stats.detections).toBe(2);
  });

  it("forget drops a source", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    run(d, [rec(SCANNER, ALB, 1, "FAIL", T0)]);
    d.forget(SCANNER);
    expect([d.has(SCANNER), d.size, d.save(SCANNER)]).toEqual([false, 0, undefined]);
  });

  describe("save / load", () => {
    const V6 = "2001:db8::66";
    const records = (src: string): FlowRecord[] => [
      rec(src, ALB, 1, "FAIL", T0),
      rec(src, "2001:db8::1", 22, "UNKNOWN", T0 + 1),
      rec(src, "10.0.4.1", 443, "OK", T0 + 2),
      rec(src, "10.0.4.2", 53, "OK", T0 + 3, 17),
      rec(src, ALB, 2, "FAIL", T0 + 4),
      rec(src, "2001:db8::1", 22, "FAIL", T0 + 5),
      rec(src, ALB, 3, "FAIL", T0 + 6),
      rec(src, ALB, 3, "FAIL", T0 + 7),
      rec(src, ALB, 4, "FAIL", T0 + 8),
      rec(src, ALB, 5, "FAIL", T0 + 9),
      rec(src, ALB, 6, "FAIL", T0 + 10),
    ];

    it.each([4, 6, 9])("continuing after a JSON round trip at record %d decides exactly as one detector would", (cut) => {
      for (const src of [SCANNER, V6]) {
        const whole = run(new ScanDetector(DEFAULT_DETECTOR), records(src));
        expect(whole).toHaveLength(1);
        const a = new ScanDetector(DEFAULT_DETECTOR);
        const before = run(a, records(src).slice(0, cut));
        const stored = JSON.parse(JSON.stringify(a.save(src)));
        const b = new ScanDetector(DEFAULT_DETECTOR);
        expect(b.load(src, stored)).toBe(true);
        expect(b.save(src)).toEqual(a.save(src));
        const after = run(b, records(src).slice(cut)).map((x) => ({ at: x.at + cut, detection: x.detection }));
        expect([...before, ...after]).toEqual(whole);
      }
    });

    it("a saved ring that wrapped loads oldest first and saves identically", () => {
      const a = new ScanDetector({ ...GUARD_ONLY, maxTargetsPerSource: 3 });
      run(a, Array.from({ length: 5 }, (_, i) => rec(SCANNER, ALB, 1 + i, "FAIL", T0 + i)));
      const saved = a.save(SCANNER)!;
      expect(saved).toEqual({ lastSeen: T0 + 4, v: 2, l: expect.any(Number), p: 5, f: 5, m: expect.any(Array), t: [167772426, 3 * 1024 + 6 * 4 + 2, T0 + 2, 167772426, 4 * 1024 + 26, T0 + 3, 167772426, 5 * 1024 + 26, T0 + 4] });
      // The long memory keeps all five failures (even keys: failed), times in order.
      const m = saved.m as number[];
      expect(m.filter((_, k) => k % 2 === 1)).toEqual([T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4]);
      expect(new Set(m.filter((_, k) => k % 2 === 0)).size).toBe(5);
      expect(m.filter((_, k) => k % 2 === 0).every((key) => Number.isInteger(key) && key % 2 === 0)).toBe(true);
      const b = new ScanDetector({ ...GUARD_ONLY, maxTargetsPerSource: 3 });
      b.load(SCANNER, JSON.parse(JSON.stringify(saved)));
      expect(b.save(SCANNER)).toEqual(saved);
      // Loading into a smaller bound keeps the newest targets.
      const c = new ScanDetector({ ...GUARD_ONLY, maxTargetsPerSource: 2 });
      c.load(SCANNER, saved);
      expect((c.save(SCANNER) as unknown as { t: number[] }).t).toEqual((saved.t as number[]).slice(3));
    });

    it.each<[string, unknown]>([
      ["another version", { lastSeen: T0, v: 3, l: 1, p: 0, f: 0, t: [] }],
      ["memory not pairs", { lastSeen: T0, v: 2, l: 1, p: 0, f: 0, t: [], m: [1] }],
      ["a memory key not an integer", { lastSeen: T0, v: 2, l: 1, p: 0, f: 0, t: [], m: [1.5, T0] }],
      ["withheld time not a number", { lastSeen: T0, v: 2, l: 1, p: 0, f: 0, t: [], r: "now" }],
      ["no lastSeen", { v: 1, l: 1, p: 0, f: 0, t: [] }],
      ["Λ not positive", { lastSeen: T0, v: 1, l: 0, p: 0, f: 0, t: [] }],
      ["targets not triples", { lastSeen: T0, v: 1, l: 1, p: 1, f: 1, t: [1, 2] }],
      ["a target word not an integer", { lastSeen: T0, v: 1, l: 1, p: 1, f: 1, t: [1, "x", T0] }],
      ["flag time not a number", { lastSeen: T0, v: 1, l: 1, p: 1, f: 1, x: "soon", t: [] }],
    ])("a state that is not one save wrote (%s) is refused and the source starts clean", (_name, state) => {
      const d = new ScanDetector(DEFAULT_DETECTOR);
      run(d, [rec(SCANNER, ALB, 1, "FAIL", T0)]);
      expect(d.load(SCANNER, state as never)).toBe(false);
      expect(d.has(SCANNER)).toBe(false);
    });

    it("loading counts toward maxSources", () => {
      const d = new ScanDetector({ ...DEFAULT_DETECTOR, maxSources: 1 });
      run(d, [rec("192.0.2.1", ALB, 1, "FAIL", T0)]);
      d.load("192.0.2.2", { lastSeen: T0, v: 1, l: 4, p: 1, f: 1, t: [] });
      expect([d.has("192.0.2.1"), d.has("192.0.2.2"), d.stats.evictedSources]).toEqual([false, true, 1]);
    });
  });
});
