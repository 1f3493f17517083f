import { DEFAULT_DETECTOR, ScanDetector } from "../../../functions/core/detector";
import { parseAwsCustomLine, parseAwsV2Line, parseFlowText } from "../../../functions/core/flow";
import { emptyParseStats, type Detection } from "../../../functions/core/quarantine-types";
import { formatAwsLine, formatNoTrafficLine, rng, syntheticFlowLines, type FlowLine } from "../../../functions/local/synthetic";

describe("rng", () => {
  it("is deterministic per seed and stays in [0, 1)", () => {
    const a = rng(42);
    const b = rng(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(rng(43)()).not.toBe(xs[0]);
  });
});

describe("formatAwsLine", () => {
  const flow: FlowLine = {
    time: 1700000000, src: "203.0.113.9", dst: "10.0.1.10", sport: 40000, dport: 22, proto: 6,
    action: "REJECT", packets: 1, bytes: 44, tcpFlags: 2, direction: "ingress", srcaddr: "10.0.0.5",
  };

  it("writes lines the parsers read back", () => {
    expect(formatAwsLine(flow, "aws-custom")).toBe("5 eni-0a1b2c3d4e5f60718 10.0.0.5 10.0.1.10 40000 22 6 1 44 1700000000 1700000060 REJECT OK 2 203.0.113.9 10.0.1.10 ingress");
    const s = emptyParseStats();
    expect(parseAwsCustomLine(formatAwsLine(flow, "aws-custom"), s)).toEqual({ time: 1700000000, src: "203.0.113.9", dst: "10.0.1.10", dport: 22, proto: 6, outcome: "FAIL", sport: 40000, proof: false });
    // v2 has only the interface-level addresses.
    expect(parseAwsV2Line(formatAwsLine(flow, "aws-v2"), s)?.src).toBe("10.0.0.5");
    expect(parseAwsV2Line(formatNoTrafficLine(1700000000, "SKIPDATA", "aws-v2"), s)).toBeUndefined();
    expect(parseAwsCustomLine(formatNoTrafficLine(1700000000, "NODATA", "aws-custom"), s)).toBeUndefined();
    expect(s).toEqual({ ...emptyParseStats(), lines: 4, records: 2, noData: 1, skipData: 1 });
  });
});

describe("syntheticFlowLines", () => {
  it("same options, same lines; another seed, other lines", () => {
    const o = { seed: 3, lines: 2000, format: "aws-custom" } as const;
    expect(syntheticFlowLines(o)).toEqual(syntheticFlowLines(o));
    expect(syntheticFlowLines({ ...o, seed: 4 }).lines).not.toEqual(syntheticFlowLines(o).lines);
  });

  it("arrivalJitterSeconds: the same lines, delivered out of order by at most the jitter; 0 is the sorted default", () => {
    const o = { seed: 5, lines: 3000, format: "aws-v2" } as const;
    const sorted = syntheticFlowLines(o);
    expect(syntheticFlowLines({ ...o, arrivalJitterSeconds: 0 })).toEqual(sorted);
    const late = syntheticFlowLines({ ...o, arrivalJitterSeconds: 90 });
    expect(late).toEqual(syntheticFlowLines({ ...o, arrivalJitterSeconds: 90 }));
    expect({ ...late, lines: [] }).toEqual({ ...sorted, lines: [] });
    expect([...late.lines].sort()).toEqual([...sorted.lines].sort());
    // Field 11 is the start time (the noise's "not a flow record" lines have none).
    const times = late.lines.map((l) => Number(l.split(" ")[10])).filter(Number.isFinite);
    let max = -Infinity;
    let behind = 0;
    for (const t of times) {
      expect(t).toBeGreaterThan(max - 90);
      behind = Math.max(behind, max - t);
      max = Math.max(max, t);
    }
    expect(behind).toBeGreaterThan(30);
    expect(() => syntheticFlowLines({ ...o, arrivalJitterSeconds: -1 })).toThrow(RangeError);
  });

  it("refuses a line count that cannot hold the scans", () => {
    expect(() => syntheticFlowLines({ seed: 1, lines: 300, format: "aws-v2" })).toThrow(RangeError);
  });

  it.each([
    [1, "aws-custom"],
    [2, "aws-custom"],
    [3, "aws-v2"],
    [4, "aws-v2"],
  ] as const)("seed %d, %s: exact line and noise counts; every scanner flagged once, no benign client", (seed, format) => {
    const g = syntheticFlowLines({ seed, lines: 6000, format, scanners: { vertical: 2, horizontal: 1, slow: 1, interleaved: 2 }, noise: 0.01 });
    expect(g.lines).toHaveLength(6000);
    expect(g.scanners).toHaveLength(6);
    const stats = emptyParseStats();
    const detector = new ScanDetector(DEFAULT_DETECTOR);
    const detections: Detection[] = [];
    parseFlowText(g.lines.join("\n"), format, (r) => {
      const d = detector.observe(r);
      if (d) detections.push(d);
    }, stats);
    expect(stats).toMatchObject({ lines: 6000, noData: g.noise.noData, skipData: g.noise.skipData, malformed: g.noise.malformed });
    expect(g.noise.noData + g.noise.skipData + g.noise.malformed).toBe(60);
    expect(detections.map((d) => d.src).sort()).toEqual([...g.scanners].sort());
    for (const d of detections) {
      expect(d.reason).toBe("trw");
      // Vertical scans may meet their one lone SYN (UNKNOWN) among the first probes.
      const max = { vertical: 5, horizontal: 4, slow: 4, interleaved: 8 }[g.kinds[d.src]];
      expect(d.probes).toBeGreaterThanOrEqual(g.kinds[d.src] === "interleaved" ? 8 : 4);
      expect(d.probes).toBeLessThanOrEqual(max);
    }
    expect(g.benign.some((b) => detections.some((d) => d.src === b))).toBe(false);
  });
});
