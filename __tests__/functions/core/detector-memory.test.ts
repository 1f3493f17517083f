import { runDetector as run } from "../../helpers/detector";
import { DEFAULT_DETECTOR, MEMORY_TARGETS, ScanDetector } from "../../../functions/core/detector";
import type { FlowRecord, Outcome } from "../../../functions/core/quarantine-types";
import { rng } from "../../../functions/local/synthetic";

const T0 = 1_700_000_000;
const HOUR = 3600;
const ALBS = ["10.0.1.10", "10.0.2.10", "10.0.3.10"];

function rec(src: string, dst: string, dport: number, outcome: Outcome, time: number, proto = 6, sport = 40000): FlowRecord {
  return { time, src, dst, dport, proto, outcome, sport, proof: false };
}

/** One closed port per probe, `minGap`–`maxGap` minutes apart, for `hours` (seeded). */
function patientScan(seed: number, src: string, hours: number, minGap: number, maxGap: number): FlowRecord[] {
  const random = rng(seed);
  const out: FlowRecord[] = [];
  const ports = new Set<number>();
  for (let t = T0 + Math.floor(random() * 600); t <= T0 + hours * HOUR; t += Math.round((minGap + random() * (maxGap - minGap)) * 60)) {
    let port = 0;
    while (port === 0 || port === 443 || ports.has(port)) port = 1 + Math.floor(random() * 1024);
    ports.add(port);
    out.push(rec(src, ALBS[0], port, "FAIL", t));
  }
  return out;
}

/**
 * A returning client: a visit every 30–180 minutes for `hours`, each to the ALB address DNS gave it,
 * sometimes starting with a refused try (80/tcp, or 443/udp: a browser's QUIC attempt) before 443.
 */
function returningClient(seed: number, src: string, hours: number): FlowRecord[] {
  const random = rng(seed);
  const out: FlowRecord[] = [];
  for (let t = T0 + Math.floor(random() * 1800); t <= T0 + hours * HOUR; t += Math.round((30 + random() * 150) * 60)) {
    const alb = ALBS[Math.floor(random() * 3)];
    const roll = random();
    if (roll < 0.2) out.push(rec(src, alb, 80, "FAIL", t));
    else if (roll < 0.4) out.push(rec(src, alb, 443, "FAIL", t, 17));
    for (let k = 0; k < 1 + Math.floor(random() * 5); k++) out.push(rec(src, alb, 443, "OK", t + 1 + k * 20, 6, 50000 + k));
  }
  return out;
}

describe("long memory: slow scanners", () => {
  it.each(Array.from({ length: 20 }, (_, i) => i + 1))("seed %d: one closed port every 60-120 minutes over 12 hours is flagged slow at its 6th probe", (seed) => {
    const records = patientScan(seed, "192.0.2.50", 12, 60, 120);
    expect(records.length).toBeGreaterThanOrEqual(6);
    const d = new ScanDetector(DEFAULT_DETECTOR);
    const found = run(d, records);
    expect(found).toEqual([{ at: 5, detection: { src: "192.0.2.50", time: records[5].time, reason: "slow", probes: 1, failures: 1, withheld: false } }]);
    expect(records[5].time - records[0].time).toBeLessThanOrEqual(12 * HOUR);
    // No short window ever held two of its probes: the TRW and the counters alone miss it.
    expect(run(new ScanDetector({ ...DEFAULT_DETECTOR, memoryMinutes: DEFAULT_DETECTOR.idleMinutes }), records)).toEqual([]);
  });

  it("one probe every 3 hours over a day is still caught (6th probe at 15 h); one every 5 hours is not", () => {
    const every = (hours: number) => Array.from({ length: 24 / hours + 1 }, (_, i) => rec("192.0.2.51", ALBS[1], 1000 + i, "FAIL", T0 + i * hours * HOUR));
    expect(run(new ScanDetector(DEFAULT_DETECTOR), every(3)).map((x) => [x.at, x.detection.reason])).toEqual([[5, "slow"]]);
    // Five probes within any 24 h: the memory never holds six.
    expect(run(new ScanDetector(DEFAULT_DETECTOR), every(5))).toEqual([]);
  });

  it("successes are credited: five failures and one success over a day do not flag; the next failure does not either, the one after does", () => {
    const src = "192.0.2.52";
    const failures = (n: number, from: number) => Array.from({ length: n }, (_, i) => rec(src, ALBS[0], 2000 + from + i, "FAIL", T0 + (from + i) * 2 * HOUR));
    const records = [...failures(5, 0), rec(src, ALBS[0], 443, "OK", T0 + 10 * HOUR + 60), ...failures(2, 5)];
    expect(run(new ScanDetector(DEFAULT_DETECTOR), records).map((x) => [x.at, x.detection.reason])).toEqual([[7, "slow"]]);
  });
});

describe("long memory: benign clients", () => {
  it("200 returning clients with occasional failures, over 12 and 24 hours: none is flagged", () => {
    for (const hours of [12, 24]) {
      const d = new ScanDetector(DEFAULT_DETECTOR);
      const records = Array.from({ length: 200 }, (_, i) => returningClient(100 + i, `198.51.${100 + (i >> 8)}.${i & 255}`, hours))
        .flat()
        .sort((a, b) => a.time - b.time);
      const failed = new Set(records.filter((r) => r.outcome === "FAIL").map((r) => r.src));
      // The scenario does what it says: most clients fail now and then, on up to 6 distinct targets.
      expect(failed.size).toBeGreaterThan(150);
      expect(run(d, records)).toEqual([]);
      expect(d.stats.restartedSources).toBeGreaterThan(0);
    }
  });

  it("one target hammered every 10 minutes for a day is one remembered failure", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    const records = Array.from({ length: 144 }, (_, i) => rec("192.168.1.107", "10.0.4.10", 5888, "FAIL", T0 + i * 600));
    expect(run(d, records)).toEqual([]);
    expect((d.save("192.168.1.107")!.m as number[]).length).toBe(2);
  });
});

describe("long memory: bounds and store expiry", () => {
  it(`holds at most ${MEMORY_TARGETS} targets per source, oldest replaced`, () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    // Alternating failures and successes on distinct targets: never 6 net failures.
    const records = Array.from({ length: 40 }, (_, i) => rec("192.0.2.60", ALBS[0], 3000 + i, i % 2 === 0 ? "FAIL" : "OK", T0 + i * HOUR));
    expect(run(d, records)).toEqual([]);
    const m = d.save("192.0.2.60")!.m as number[];
    expect(m).toHaveLength(MEMORY_TARGETS * 2);
    expect(m.filter((_, k) => k % 2 === 1).sort((a, b) => a - b)).toEqual(Array.from({ length: MEMORY_TARGETS }, (_, i) => T0 + (24 + i) * HOUR));
  });

  it("a source kept only by its memory is evicted first under maxSources (it is the least recently seen)", () => {
    const d = new ScanDetector({ ...DEFAULT_DETECTOR, maxSources: 3 });
    run(d, [rec("192.0.2.1", ALBS[0], 1, "FAIL", T0), rec("192.0.2.2", ALBS[0], 1, "FAIL", T0 + HOUR), rec("192.0.2.3", ALBS[0], 1, "FAIL", T0 + HOUR + 60)]);
    d.expire(T0 + HOUR + 60);
    run(d, [rec("192.0.2.4", ALBS[0], 1, "FAIL", T0 + HOUR + 120)]);
    expect(["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"].map((s) => d.has(s))).toEqual([false, true, true, true]);
    expect(d.stats.evictedSources).toBe(1);
  });

  it("the store keeps a state idleMinutes after its last record, or memoryMinutes after its last failure if later", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    run(d, [rec("192.0.2.5", ALBS[0], 1, "FAIL", T0), rec("192.0.2.5", ALBS[0], 443, "OK", T0 + 2 * HOUR)]);
    expect(d.expiresAt("192.0.2.5")).toBe(T0 + 24 * HOUR);
    const flagged = new ScanDetector(DEFAULT_DETECTOR);
    run(flagged, [1, 2, 3, 4].map((p) => rec("192.0.2.6", ALBS[0], p, "FAIL", T0 + p)));
    // Flagged: its memory is released; only lastSeen keeps it flagged.
    expect(flagged.expiresAt("192.0.2.6")).toBe(T0 + 4 + 30 * 60);
    expect(flagged.expiresAt("192.0.2.99")).toBeUndefined();
  });

  it("a state stored before the long memory (version 1) loads and carries on", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    expect(d.load("192.0.2.7", { lastSeen: T0, v: 1, l: 16, p: 2, f: 2, t: [167772426, 1 * 1024 + 26, T0 - 1, 167772426, 2 * 1024 + 26, T0] })).toBe(true);
    expect(run(d, [3, 4].map((p) => rec("192.0.2.7", ALBS[0], p, "FAIL", T0 + p))).map((x) => [x.at, x.detection.reason, x.detection.probes])).toEqual([[1, "trw", 4]]);
  });

  it("the constructor refuses a slow threshold the memory cannot hold", () => {
    expect(() => new ScanDetector({ ...DEFAULT_DETECTOR, slowFailures: MEMORY_TARGETS + 1, memoryMinutes: 0 })).toThrow(
      `detector options: memoryMinutes: 0 must be a positive number; slowFailures: ${MEMORY_TARGETS + 1} must be at most ${MEMORY_TARGETS}, the targets a source's memory holds`,
    );
  });
});

describe("targets nobody can scan", () => {
  const SCANNER = "203.0.113.9";
  /** Five failed first contacts to distinct targets of this kind: flagged unless they are ignored. */
  const five = (dst: (i: number) => string, dport: (i: number) => number, proto = 6, sport = 40000) =>
    Array.from({ length: 5 }, (_, i) => rec(SCANNER, dst(i), dport(i), "FAIL", T0 + i, proto, sport));

  it.each<[string, FlowRecord[]]>([
    ["IPv4 multicast (mDNS, SSDP groups)", five((i) => `224.0.0.${251 + i}`, () => 5353, 17)],
    ["239/8 administratively scoped multicast", five((i) => `239.255.255.${246 + i}`, () => 1900, 17)],
    ["the limited broadcast address", five(() => "255.255.255.255", (i) => 137 + i, 17)],
    ["240/4 reserved", five((i) => `240.0.0.${i + 1}`, () => 22)],
    ["169.254/16 link-local", five((i) => `169.254.1.${i + 1}`, () => 22)],
    ["0/8 'this network'", five((i) => `0.0.0.${i}`, () => 22)],
    ["IPv6 multicast ff02::/16", five((i) => `ff02::${i + 1}`, () => 5353, 17)],
    ["IPv6 link-local fe80::/10", five((i) => `fe80::${i + 1}`, () => 22)],
    ["IPv6 link-local, upper end of /10", five((i) => `febf::${i + 1}`, () => 22)],
    ["UDP replies from DNS to ephemeral ports", five(() => ALBS[0], (i) => 50000 + i, 17, 53)],
    ["UDP replies from NTP", five(() => ALBS[0], (i) => 40000 + i, 17, 123)],
    ["SSDP responses", five(() => ALBS[0], (i) => 50000 + i, 17, 1900)],
    ["NetBIOS name service to NetBIOS (137 → 137, 138)", five((i) => `10.0.1.${20 + i}`, () => 137, 17, 137)],
    ["DHCP server to client", five((i) => `10.0.1.${20 + i}`, () => 68, 17, 67)],
  ])("%s: not counted", (_name, records) => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    expect(run(d, records)).toEqual([]);
    expect(d.size).toBe(0);
    expect(d.stats.unscannable).toBe(5);
  });

  it.each<[string, FlowRecord[]]>([
    ["an ordinary unicast address", five(() => ALBS[0], (i) => 20 + i)],
    ["a group that is not multicast (ff::1 is 00ff::1)", five((i) => `ff::${i + 1}`, () => 22)],
    ["fec0::/10 is not link-local", five((i) => `fec0::${i + 1}`, () => 22)],
    ["TCP from source port 53 (nmap -g 53) counts", five(() => ALBS[0], (i) => 50000 + i, 6, 53)],
    ["UDP from source port 53 to low service ports counts", five(() => ALBS[0], (i) => 160 + i, 17, 53)],
    ["UDP from an ordinary port to ephemeral ports counts", five(() => ALBS[0], (i) => 50000 + i, 17, 40000)],
    ["a record without a source port (another log) counts", five(() => ALBS[0], (i) => 50000 + i, 17).map(({ sport: _s, ...r }) => r)],
  ])("%s: flagged", (_name, records) => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    expect(run(d, records).map((x) => x.at)).toEqual([3]);
    expect(d.stats.unscannable).toBe(0);
  });

  it("a tracked source's records to unscannable targets change nothing", () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    run(d, [rec(SCANNER, ALBS[0], 1, "FAIL", T0), ...five((i) => `224.0.0.${i + 1}`, () => 5353, 17)]);
    expect(d.save(SCANNER)).toMatchObject({ p: 1, f: 1 });
    expect(d.stats.unscannable).toBe(5);
  });
});
