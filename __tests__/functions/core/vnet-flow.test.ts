import { runDetector } from "../../helpers/detector";
import { DEFAULT_DETECTOR, ScanDetector } from "../../../functions/core/detector";
import { PROOF_BYTES_PER_PACKET } from "../../../functions/core/flow";
import { emptyParseStats, type FlowRecord, type ParseStats } from "../../../functions/core/quarantine-types";
import {
  emptyVnetParseStats,
  parseVnetFlowDocument,
  parseVnetFlowJson,
  parseVnetFlowRecord,
  parseVnetFlowSlice,
  parseVnetFlowTuple,
  VNET_MS_THRESHOLD,
  type VnetParseStats,
} from "../../../functions/core/vnet-flow";

const T = 1_700_000_000;
const SCANNER = "198.51.100.23";
const GATEWAY = "10.20.1.4";

/** A tuple from its parts (the 13 fields of version 4). */
function tuple(o: {
  ts?: number | string;
  src?: string;
  dst?: string;
  sport?: number | string;
  dport?: number | string;
  proto?: number | string;
  dir?: string;
  state?: string;
  enc?: string;
  counters?: (number | string)[];
}): string {
  const f = {
    ts: T * 1000 + 250,
    src: SCANNER,
    dst: GATEWAY,
    sport: 44321,
    dport: 22,
    proto: 6,
    dir: "I",
    state: "D",
    enc: "NX",
    counters: [0, 0, 0, 0],
    ...o,
  };
  return [f.ts, f.src, f.dst, f.sport, f.dport, f.proto, f.dir, f.state, f.enc, ...f.counters].join(",");
}

function rec(outcome: FlowRecord["outcome"], extra: Partial<FlowRecord> = {}): FlowRecord {
  return { time: T, src: SCANNER, dst: GATEWAY, dport: 22, proto: 6, outcome, sport: 44321, proof: false, ...extra };
}

/** A version 4 record: one flow per ACL, one group per rule, with the fields the docs list. */
function record(groups: string[][], version: unknown = 4, minute = 0): Record<string, unknown> {
  return {
    time: new Date((T + minute * 60) * 1000).toISOString(),
    flowLogVersion: version,
    flowLogGUID: "00000000-0000-4000-8000-000000000001",
    macAddress: "00224871C205",
    category: "FlowLogFlowEvent",
    flowLogResourceID: "/SUBSCRIPTIONS/0000/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW/FLOWLOGS/FL",
    targetResourceID: "/subscriptions/0000/resourceGroups/lure/providers/Microsoft.Network/virtualNetworks/gw",
    operationName: "FlowLogFlowEvent",
    flowRecords: {
      flows: [
        {
          aclID: "00000000-0000-4000-8000-0000000000aa",
          flowGroups: groups.map((flowTuples, i) => ({ rule: i === 0 ? "DefaultRule_DenyAllInBound" : `UserRule_allow-${i}`, flowTuples })),
        },
      ],
    },
  };
}

function parseTuple(t: string): [FlowRecord | undefined, ParseStats] {
  const s = emptyParseStats();
  return [parseVnetFlowTuple(t, s), s];
}

function collect(parse: (onRecord: (r: FlowRecord) => void, stats: VnetParseStats) => unknown): [FlowRecord[], VnetParseStats] {
  const out: FlowRecord[] = [];
  const s = emptyVnetParseStats();
  parse((r) => out.push(r), s);
  return [out, s];
}

const one = (counter: keyof ParseStats): ParseStats => ({ ...emptyParseStats(), lines: 1, [counter]: 1 });

describe("parseVnetFlowTuple: version 4 tuples", () => {
  it("reads the tuple of the docs' sample (ms timestamp, inbound denied SSH)", () => {
    expect(parseTuple("1663145998065,101.33.218.153,10.0.0.6,55188,22,6,I,D,NX,0,0,0,0")).toEqual([
      { time: 1663145998, src: "101.33.218.153", dst: "10.0.0.6", dport: 22, proto: 6, outcome: "FAIL", sport: 55188, proof: false },
      one("records"),
    ]);
  });

  const data = PROOF_BYTES_PER_PACKET * 6;
  it.each<[string, Parameters<typeof tuple>[0], FlowRecord]>([
    ["inbound D: a failed first contact", { state: "D" }, rec("FAIL")],
    ["inbound D, counters empty", { state: "D", counters: ["", "", "", ""] }, rec("FAIL")],
    ["inbound B without counters: not yet known", { state: "B", counters: ["", "", "", ""] }, rec("UNKNOWN")],
    ["inbound B with zero counters", { state: "B" }, rec("UNKNOWN")],
    ["inbound B with packets both ways", { state: "B", counters: [3, 180, 2, 120] }, rec("OK")],
    ["inbound C, packets both ways, handshake only", { state: "C", counters: [3, 180, 2, 120] }, rec("OK")],
    ["inbound E, our side sent data: proof", { state: "E", counters: [6, 900, 6, data] }, rec("OK", { proof: true })],
    ["inbound E, one reply packet of data is not a proof", { state: "E", counters: [2, 120, 1, 1400] }, rec("OK")],
    ["inbound E, just under the proof's bytes", { state: "E", counters: [6, 900, 6, data - 1] }, rec("OK")],
    ["inbound E, nothing came back", { state: "E", counters: [3, 180, 0, 0] }, rec("UNKNOWN")],
    ["inbound C, nothing from the peer", { state: "C", counters: [0, 0, 4, 400] }, rec("UNKNOWN")],
    ["timestamp in seconds", { ts: T }, rec("FAIL")],
    ["timestamp in ms at the threshold", { ts: VNET_MS_THRESHOLD }, rec("FAIL", { time: VNET_MS_THRESHOLD / 1000 })],
    ["timestamp in seconds just under the threshold", { ts: VNET_MS_THRESHOLD - 1 }, rec("FAIL", { time: VNET_MS_THRESHOLD - 1 })],
    ["UDP", { proto: 17, dport: 161, sport: 53211 }, rec("FAIL", { proto: 17, dport: 161, sport: 53211 })],
    ["UDP with a reply", { proto: 17, dport: 53, state: "E", counters: [1, 60, 1, 120] }, rec("OK", { proto: 17, dport: 53 })],
    ["IPv6", { src: "2001:db8::1:23", dst: "2001:db8:20::4", dport: 443 }, rec("FAIL", { src: "2001:db8::1:23", dst: "2001:db8:20::4", dport: 443 })],
    ["IPv4-mapped IPv6", { src: "::ffff:198.51.100.23" }, rec("FAIL", { src: "::ffff:198.51.100.23" })],
    ["any encryption value", { enc: "NX_HW_NOT_SUPPORTED", state: "C", counters: [2, 100, 2, 100] }, rec("OK")],
  ])("%s", (_, parts, expected) => {
    expect(parseTuple(tuple(parts))).toEqual([expected, one("records")]);
  });

  it.each<[string, Parameters<typeof tuple>[0]]>([
    ["outbound D", { dir: "O", state: "D" }],
    ["outbound E with data", { dir: "O", state: "E", counters: [9, 9000, 9, 9000] }],
    ["ICMP", { proto: 1 }],
    ["ESP", { proto: 50, state: "C", counters: [1, 1, 1, 1] }],
    // Classification comes first: a bad field that the record would not use is not looked at.
    ["outbound with a bad address", { dir: "O", src: "not-an-ip" }],
    ["ICMP with a bad port", { proto: 1, dport: "" }],
  ])("%s: ignored", (_, parts) => {
    expect(parseTuple(tuple(parts))).toEqual([undefined, one("ignored")]);
  });

  it.each<[string, string]>([
    ["12 fields", tuple({}).split(",").slice(0, 12).join(",")],
    ["14 fields", `${tuple({})},0`],
    ["empty", ""],
    ["NSG v1 tuple", "1542110437,125.64.94.197,10.5.16.4,59752,18264,T,I,D"],
    ["NSG v2 tuple (protocol as a letter)", "1542110437,125.64.94.197,10.5.16.4,59752,18264,T,I,D,B,,,,"],
    ["direction X", tuple({ dir: "X" })],
    ["direction spelled out", tuple({ dir: "Inbound" })],
    ["state A", tuple({ state: "A" })],
    ["protocol 256", tuple({ proto: 256 })],
    ["protocol empty", tuple({ proto: "" })],
    ["timestamp not a number", tuple({ ts: "2023-09-14T08:59:58Z" })],
    ["timestamp empty", tuple({ ts: "" })],
    ["negative timestamp", tuple({ ts: -5 })],
    ["source port 65536", tuple({ sport: 65536 })],
    ["destination port empty", tuple({ dport: "" })],
    ["bad source address", tuple({ src: "198.51.100.256" })],
    ["bad destination address", tuple({ dst: "gateway" })],
    ["IPv6 with a zone", tuple({ src: "fe80::1%eth0" })],
    ["packet counter not a number", tuple({ state: "E", counters: [1, 60, "x", 0] })],
    ["bytes s→d not a number", tuple({ state: "C", counters: [1, "-", 1, 60] })],
    ["bytes d→s negative", tuple({ state: "C", counters: [1, 60, 1, -60] })],
  ])("%s: malformed", (_, t) => {
    expect(parseTuple(t)).toEqual([undefined, one("malformed")]);
  });

  it("does not read the counters of a denied tuple", () => {
    expect(parseTuple(tuple({ state: "D", counters: ["x", "y", "", "z"] }))).toEqual([rec("FAIL"), one("records")]);
  });
});

describe("parseVnetFlowRecord / parseVnetFlowJson / parseVnetFlowDocument", () => {
  const fail = tuple({ dport: 23 });
  const ok = tuple({ state: "E", dport: 443, src: "203.0.113.7", counters: [8, 900, 7, 7000] });
  const out = tuple({ dir: "O", state: "E", counters: [3, 200, 3, 200] });

  it("walks flows, groups and tuples in order", () => {
    const r = record([[fail, out], [ok]]);
    (r.flowRecords as { flows: unknown[] }).flows.push({ aclID: "second", flowGroups: [{ rule: "x", flowTuples: [tuple({ dport: 25 })] }] });
    const [records, stats] = collect((on, s) => parseVnetFlowRecord(r, on, s));
    expect(records).toEqual([
      rec("FAIL", { dport: 23 }),
      rec("OK", { dport: 443, src: "203.0.113.7", proof: true }),
      rec("FAIL", { dport: 25 }),
    ]);
    expect(stats).toEqual({ ...emptyVnetParseStats(), lines: 4, records: 3, ignored: 1 });
  });

  it("accepts the version as the string \"4\" and empty flows, groups and tuples", () => {
    const empty = record([]);
    const noTuples = record([[]]);
    const [records, stats] = collect((on, s) => parseVnetFlowJson({ records: [record([[fail]], "4"), empty, noTuples] }, on, s));
    expect(records).toEqual([rec("FAIL", { dport: 23 })]);
    expect(stats).toEqual({ ...emptyVnetParseStats(), lines: 1, records: 1 });
  });

  it.each<[string, unknown, Partial<VnetParseStats>]>([
    ["not an object", "FlowLogFlowEvent", { malformed: 1 }],
    ["an array", [fail], { malformed: 1 }],
    ["null", null, { malformed: 1 }],
    ["version 3", record([[fail]], 3), { malformed: 1, unsupportedVersion: 1 }],
    ["version 5", record([[fail]], 5), { malformed: 1, unsupportedVersion: 1 }],
    ["no version", { ...record([[fail]]), flowLogVersion: undefined }, { malformed: 1, unsupportedVersion: 1 }],
    ["an NSG flow-log record", { time: "t", properties: { Version: 2, flows: [{ rule: "r", flows: [{ mac: "m", flowTuples: [fail] }] }] } }, { malformed: 1, unsupportedVersion: 1 }],
    ["no flowRecords", { ...record([]), flowRecords: undefined }, { malformed: 1 }],
    ["flowRecords without flows", { ...record([]), flowRecords: {} }, { malformed: 1 }],
    ["flows not an array", { ...record([]), flowRecords: { flows: { flowGroups: [] } } }, { malformed: 1 }],
    ["a flow without flowGroups", { ...record([]), flowRecords: { flows: [{ aclID: "a" }, "x"] } }, { malformed: 2 }],
    ["a group without flowTuples", { ...record([]), flowRecords: { flows: [{ flowGroups: [{ rule: "r" }, null, { flowTuples: "t" }] }] } }, { malformed: 3 }],
    ["tuples that are not strings", record([[fail, 42 as unknown as string, null as unknown as string]]), { lines: 3, records: 1, malformed: 2 }],
  ])("a record: %s, counted", (_, value, expected) => {
    const [records, stats] = collect((on, s) => parseVnetFlowRecord(value, on, s));
    expect(stats).toEqual({ ...emptyVnetParseStats(), ...expected });
    expect(records.length).toBe(expected.records ?? 0);
  });

  it("counts a wrong version in malformed only, with plain ParseStats", () => {
    const s = emptyParseStats();
    parseVnetFlowRecord(record([[fail]], 2), () => undefined, s);
    expect(s).toEqual({ ...emptyParseStats(), malformed: 1 });
  });

  it("keeps reading after a bad record", () => {
    const [records, stats] = collect((on, s) => parseVnetFlowJson({ records: [record([[fail]], 3), 7, record([[ok, "junk"]])] }, on, s));
    expect(records).toEqual([rec("OK", { dport: 443, src: "203.0.113.7", proof: true })]);
    expect(stats).toEqual({ ...emptyVnetParseStats(), lines: 2, records: 1, malformed: 3, unsupportedVersion: 1 });
  });

  it.each<[string, string | Uint8Array]>([
    ["not JSON", "{\"records\":[{\"time\""],
    ["empty", ""],
    ["JSON without records", "{\"value\":[]}"],
    ["records not an array", "{\"records\":{}}"],
    ["a bare array", "[]"],
    ["invalid bytes", Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d])],
  ])("a document: %s, counted once as malformed", (_, input) => {
    const [records, stats] = collect((on, s) => parseVnetFlowDocument(input, on, s));
    expect(records).toEqual([]);
    expect(stats).toEqual({ ...emptyVnetParseStats(), malformed: 1 });
  });

  it("reads text, UTF-8 bytes (a Buffer or a view into a larger array) and a leading BOM alike", () => {
    const json = JSON.stringify({ records: [record([[fail, ok]])] });
    const bytes = Buffer.from(`xx${json}yy`, "utf8");
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset + 2, bytes.byteLength - 4);
    const results = [json, `\ufeff${json}`, Buffer.from(json), view].map((input) => collect((on, s) => parseVnetFlowDocument(input, on, s)));
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0][0]).toHaveLength(2);
  });
});

describe("parseVnetFlowSlice: partial blobs", () => {
  /** Four minutes of an hour's blob; tuples of every kind, one bad. */
  const records = [
    record([[tuple({ dport: 21 }), tuple({ dport: 22, proto: 17 })]], 4, 0),
    record([[tuple({ dir: "O", state: "B" })], [tuple({ state: "B", dport: 443, src: "2001:db8::9" })]], 4, 1),
    record([[tuple({ dport: 23, ts: T + 120 }), "bad,tuple"]], 4, 2),
    record([[tuple({ state: "E", dport: 443, src: "2001:db8::9", counters: [12, 2000, 10, 9000] })]], 4, 3),
  ];
  const whole = JSON.stringify({ records });
  /** The blocks as we assume Azure appends them: the opening with the first record, `,record` each minute, the closing. */
  const blocks = [`{"records":[${JSON.stringify(records[0])}`, ...records.slice(1).map((r) => `,${JSON.stringify(r)}`), "]}"];
  const expected = collect((on, s) => parseVnetFlowDocument(whole, on, s));

  it("the blocks make up the document", () => {
    expect(blocks.join("")).toBe(whole);
    expect(expected[0]).toHaveLength(5);
    expect(expected[1]).toEqual({ ...emptyVnetParseStats(), lines: 7, records: 5, ignored: 1, malformed: 1 });
  });

  /** Parses the blob as slices cut after the given blocks; returns the records, stats and slice infos. */
  function inSlices(parts: string[], cuts: number[]) {
    const bounds = [0, ...cuts, parts.length];
    const infos: { opened: boolean; closed: boolean }[] = [];
    const [out, stats] = collect((on, s) => {
      for (let i = 0; i + 1 < bounds.length; i++) infos.push(parseVnetFlowSlice(parts.slice(bounds[i], bounds[i + 1]).join(""), on, s));
    });
    return { out, stats, infos };
  }

  /** Every way to cut n blocks into consecutive slices. */
  function allCuts(n: number): number[][] {
    const out: number[][] = [];
    for (let mask = 0; mask < 1 << (n - 1); mask++) out.push(Array.from({ length: n - 1 }, (_, i) => i + 1).filter((_, i) => mask & (1 << i)));
    return out;
  }

  it("gives the same records and stats as the whole document for every split at block boundaries", () => {
    const cuts = allCuts(blocks.length);
    expect(cuts).toHaveLength(16);
    for (const c of cuts) {
      const { out, stats, infos } = inSlices(blocks, c);
      expect([out, stats]).toEqual(expected);
      expect(infos[0].opened).toBe(true);
      expect(infos.slice(1).every((i) => !i.opened)).toBe(true);
      expect(infos[infos.length - 1].closed).toBe(true);
      expect(infos.slice(0, -1).every((i) => !i.closed)).toBe(true);
    }
  });

  it("does not depend on where the commas and the opening fall, nor on whitespace", () => {
    const r = records.map((x) => JSON.stringify(x));
    const framings: string[][] = [
      // Opening alone, trailing commas, closing alone.
      ['{"records":[', `${r[0]},`, `${r[1]},`, `${r[2]},`, r[3], "]}"],
      // The closing glued to the last record.
      [`{"records":[${r[0]}`, `,${r[1]}`, `,${r[2]}`, `,${r[3]}]}`],
      // Pretty-printed, CRLF between records.
      ['{\r\n  "records" : [\r\n', `    ${JSON.stringify(records[0], null, 2)}`, `,\r\n${r[1]}`, `,\r\n${r[2]}`, `,\r\n${r[3]}`, "\r\n]\r\n}\r\n"],
    ];
    for (const parts of framings) {
      expect(JSON.parse(parts.join(""))).toEqual(JSON.parse(whole));
      for (const c of allCuts(parts.length)) {
        const { out, stats } = inSlices(parts, c);
        expect([out, stats]).toEqual(expected);
      }
    }
  });

  it("accepts UTF-8 bytes of a slice", () => {
    const [out, stats] = collect((on, s) => parseVnetFlowSlice(Buffer.from(blocks.slice(1, 3).join("")), on, s));
    expect(out).toEqual(expected[0].slice(2, 4));
    expect(stats).toEqual({ ...emptyVnetParseStats(), lines: 4, records: 2, ignored: 1, malformed: 1 });
  });

  it("an empty slice, the opening alone and the closing alone hold no records", () => {
    expect(collect((on, s) => expect(parseVnetFlowSlice("", on, s)).toEqual({ opened: false, closed: false }))).toEqual([[], emptyVnetParseStats()]);
    expect(collect((on, s) => expect(parseVnetFlowSlice('{"records":[', on, s)).toEqual({ opened: true, closed: false }))).toEqual([[], emptyVnetParseStats()]);
    expect(collect((on, s) => expect(parseVnetFlowSlice("]}", on, s)).toEqual({ opened: false, closed: true }))).toEqual([[], emptyVnetParseStats()]);
    expect(collect((on, s) => expect(parseVnetFlowSlice('{"records":[]}', on, s)).toEqual({ opened: true, closed: true }))).toEqual([[], emptyVnetParseStats()]);
  });

  /** The blob cut at character `at` (inside a record), parsed as two slices. */
  function splitAt(at: number) {
    return inSlices([whole.slice(0, at), whole.slice(at)], [1]);
  }
  const third = whole.indexOf(JSON.stringify(records[2]));
  const thirdLines = 2; // records[2] holds FAIL :23 and a bad tuple.

  it.each<[string, number]>([
    ["inside a tuple string", whole.indexOf("bad,tuple") + 3],
    ["at the flows array", whole.indexOf('"flows"', third)],
    ["at a flow object", whole.indexOf('{"aclID"', third)],
    ["at a group object", whole.indexOf('{"rule"', third)],
    ["just inside the record", third + 1],
    ["before the record's last brace", third + JSON.stringify(records[2]).length - 1],
  ])("a split in the middle of a record (%s) counts it as malformed on each side, and the others are read", (_, at) => {
    const { out, stats, infos } = splitAt(at);
    const lost = (r: FlowRecord): boolean => r.dport === 23;
    expect(out).toEqual(expected[0].filter((r) => !lost(r)));
    expect(stats).toEqual({ ...expected[1], lines: expected[1].lines - thirdLines, records: expected[1].records - 1, malformed: 2 });
    expect(infos).toEqual([
      { opened: true, closed: false },
      { opened: false, closed: true },
    ]);
  });

  it("a record of a bad version, a bad JSON record and text after the closing are counted; the rest is read", () => {
    const r = records.map((x) => JSON.stringify(x));
    const slice = `,${JSON.stringify(record([[tuple({})]], 3))},{"flowLogVersion":4,"flowRecords":{"flows":[,]}},${r[0]}]}garbage`;
    const [out, stats] = collect((on, s) => expect(parseVnetFlowSlice(slice, on, s)).toEqual({ opened: false, closed: false }));
    expect(out).toEqual(expected[0].slice(0, 2));
    expect(stats).toEqual({ ...emptyVnetParseStats(), lines: 2, records: 2, malformed: 3, unsupportedVersion: 1 });
  });

  it("a slice that ends inside a record counts it once", () => {
    const r = JSON.stringify(records[0]);
    const [out, stats] = collect((on, s) => parseVnetFlowSlice(`${r},${r.slice(0, 40)}`, on, s));
    expect(out).toEqual(expected[0].slice(0, 2));
    expect(stats).toEqual({ ...emptyVnetParseStats(), lines: 2, records: 2, malformed: 1 });
  });

  it("text that is not a blob at all counts once", () => {
    for (const junk of ["hello", "]", "]]", "}", "null", "\"records\""]) {
      const [out, stats] = collect((on, s) => parseVnetFlowSlice(junk, on, s));
      expect([junk, out, stats]).toEqual([junk, [], { ...emptyVnetParseStats(), malformed: 1 }]);
    }
  });
});

describe("VNet flow logs → ScanDetector", () => {
  it("flags a source whose inbound probes of 20 ports were denied, at the 4th, from a PT1H.json read block by block", () => {
    const ports = Array.from({ length: 20 }, (_, i) => 1000 + i * 7);
    // Denied probes spread over 4 minutes, a benign client's established connection in between, outbound noise.
    const minutes = [0, 1, 2, 3].map((m) =>
      record(
        [
          ports.slice(m * 5, m * 5 + 5).map((dport, i) => tuple({ ts: (T + m * 60 + i) * 1000, dport })),
          [tuple({ src: "203.0.113.50", dport: 443, state: "E", counters: [10, 1500, 9, 12000], ts: (T + m * 60) * 1000 })],
          [tuple({ dir: "O", src: GATEWAY, dst: "10.20.2.9", dport: 8080, state: "C", counters: [4, 400, 4, 4000] })],
        ],
        4,
        m,
      ),
    );
    const blocks = [`{"records":[${JSON.stringify(minutes[0])}`, ...minutes.slice(1).map((r) => `,${JSON.stringify(r)}`), "]}"];
    const records: FlowRecord[] = [];
    const stats = emptyVnetParseStats();
    for (const b of blocks) parseVnetFlowSlice(b, (r) => records.push(r), stats);
    expect(stats).toEqual({ ...emptyVnetParseStats(), lines: 28, records: 24, ignored: 4 });

    const d = new ScanDetector(DEFAULT_DETECTOR);
    const detections = runDetector(d, records);
    expect(detections).toEqual([{ at: 3, detection: { src: SCANNER, time: T + 3, reason: "trw", probes: 4, failures: 4, withheld: false } }]);
    expect(d.has(SCANNER)).toBe(true);
    expect(d.has("203.0.113.50")).toBe(false);
  });
});
