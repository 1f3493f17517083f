/**
 * `npm run bench:detector [-- --lines N] [-- --runs N] [-- --e2e-lines N] [-- --json]`: the scan detector's budgets of
 * DESIGN.md "Performance budgets", on one thread:
 *   - throughput: ≥ 1 M AWS flow records/s for parse + detect (custom format), on N seeded synthetic
 *     lines (default 1,000,000) per format; also parse only, and the CloudWatch Logs path
 *     (base64 → gunzip → JSON → parse → detect, 2,000 events per payload);
 *   - memory: heap per tracked source (run with --expose-gc, as the npm script does) and the
 *     maxSources bound;
 *   - quality: replays of the public captures in ../shared/datasets (LURE_DATASETS overrides; skipped
 *     when absent) through ScanDetector(DEFAULT_DETECTOR): detection delay of the labelled scanners
 *     (≤ 8 probes on the nmap scan, ≤ 6 on CIC Friday), negative controls, benign sources flagged (0);
 *   - end to end: `lure simulate` on a seeded day of `--e2e-lines` AWS v2 lines (default 10 M; 0
 *     skips), in its own process: lines/s and peak RSS (bench/simulate-e2e.ts);
 *   - HTTP (Google Cloud load-balancer request log, functions/core/http-scan.ts): quality on a seeded
 *     synthetic day of benign sessions and scans (functions/local/synthetic-http.ts), per session
 *     kind; and parse + detect throughput on LogEntry JSON lines (min(--lines, 200,000) entries).
 *
 * Delay is counted two ways: `probes` as the Detection reports it (distinct first contacts since the
 * source's state began, i.e. since its first failure) and `targets` = distinct (dst, port, proto) the
 * source had contacted in the data up to the alert, from its first record (the reference's measure,
 * reference/detection.md §6.3). Budgets use `targets`.
 *
 * Conversions (done here, the datasets are never copied into the repository):
 *   - Zeek conn.log (JSON lines or TSV with a `#fields` header). TCP: conn_state REJ, S0, RSTOS0, SH,
 *     and RSTR or OTH without payload → FAIL; SF, S1, S2, S3 → OK; RSTO, RSTRH with payload → OK;
 *     anything else UNKNOWN. UDP: a flow with a reply is OK; without one (S0, OTH...) UNKNOWN,
 *     because an unanswered datagram proves nothing (a VPC flow log would show it ACCEPTed); the
 *     literal mapping (UDP S0 → FAIL) is replayed too and reported as `benign flagged (UDP S0 = FAIL)`.
 *     ICMP and other protocols are skipped, as the AWS parser ignores them.
 *   - CICFlowMeter CSV (corrected CIC-IDS2017): rows sorted by Timestamp. TCP: FAIL when the flow
 *     carried no payload either way, no FIN, at most 3 forward packets, and an RST or no backward
 *     packet at all: refused (SYN → RST), unanswered (SYN, retry), or a probe of an open port torn
 *     down with RST (SYN-scan SYN, SYN-ACK, RST; connect-scan SYN, SYN-ACK, ACK, RST), the same
 *     reading as the AWS parser's half-open rule. Else OK. (The "≤ 2 forward packets" variant
 *     counts connect-scan probes of open ports as successes.) UDP: OK with backward packets, else
 *     UNKNOWN. Other protocols skipped. Benign sources: those of rows labelled BENIGN, minus the
 *     labelled scanners.
 *
 * A benchmark, not a test: it exits 0 when a budget fails (and prints FAIL), 1 only when it breaks.
 */
import { existsSync, readFileSync } from "fs";
import { cpus, loadavg } from "os";
import { join, resolve } from "path";
import { gzipSync } from "zlib";
import { DEFAULT_DETECTOR, ScanDetector } from "../functions/core/detector";
import { parseCloudWatchEvent, parseFlowText } from "../functions/core/flow";
import { emptyParseStats, type Detection, type FlowRecord, type Outcome } from "../functions/core/quarantine-types";
import { syntheticFlowLines, type SyntheticFormat } from "../functions/local/synthetic";
import { parseGcpLbText, emptyGcpLbParseStats } from "../functions/core/gcp-lb-log";
import { httpFlowRecord } from "../functions/core/http-scan";
import { BENIGN_KINDS, formatGcpLbLines, SCAN_KINDS, syntheticHttpRequests, type BenignKind, type ScanKind } from "../functions/local/synthetic-http";
import { E2E_LINES, e2eText, simulateE2e } from "./simulate-e2e";
import { slowDay, slowDayText } from "./slow-day";

const THROUGHPUT_BUDGET = 1_000_000;
const NMAP_BUDGET = 8;
const CIC_FRIDAY_BUDGET = 6;
const CWL_EVENTS_PER_PAYLOAD = 2000;

interface Options {
  lines: number;
  runs: number;
  /** Lines of the end-to-end row; 0 skips it. */
  e2eLines: number;
  json: boolean;
}

function usage(): string {
  return "usage: npm run bench:detector -- [--lines N] [--runs N] [--e2e-lines N] [--json]";
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { lines: 1_000_000, runs: 3, e2eLines: E2E_LINES, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (name: string) => (a === name ? argv[++i] : a.slice(name.length + 1));
    const atLeast = (min: number) => (name: string, v: string | undefined) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${name} needs an integer ≥ ${min}, got ${JSON.stringify(v)}\n${usage()}`);
      return n;
    };
    const positive = atLeast(1);
    if (a === "--json") opts.json = true;
    else if (a === "--lines" || a.startsWith("--lines=")) opts.lines = positive("--lines", value("--lines"));
    else if (a === "--runs" || a.startsWith("--runs=")) opts.runs = positive("--runs", value("--runs"));
    else if (a === "--e2e-lines" || a.startsWith("--e2e-lines=")) opts.e2eLines = atLeast(0)("--e2e-lines", value("--e2e-lines"));
    else if (a === "--help" || a === "-h") {
      console.log(usage());
      process.exit(0);
    } else throw new Error(`unknown argument ${JSON.stringify(a)}\n${usage()}`);
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------------
// Throughput

/** Best wall time (ms) of `runs` calls after one warm-up call. */
function bestMs(runs: number, fn: () => void): number {
  fn();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

interface Rate {
  ms: number;
  recordsPerSecond: number;
  linesPerSecond: number;
  mbPerSecond: number;
}

interface FormatThroughput {
  format: SyntheticFormat;
  lines: number;
  records: number;
  bytes: number;
  parseOnly: Rate;
  parseAndDetect: Rate;
  cloudWatch?: Rate & { payloads: number; payloadBytes: number };
  detections: number;
  trackedSources: number;
}

function rate(ms: number, records: number, lines: number, bytes: number): Rate {
  return { ms, recordsPerSecond: (records / ms) * 1000, linesPerSecond: (lines / ms) * 1000, mbPerSecond: bytes / 1e6 / (ms / 1000) };
}

function throughput(format: SyntheticFormat, o: Options, log: (s: string) => void): FormatThroughput {
  log(`throughput ${format}: generating ${o.lines} lines`);
  const g = syntheticFlowLines({ seed: 1, lines: o.lines, format, scanners: { vertical: 25, horizontal: 25, slow: 25, interleaved: 25 } });
  const text = g.lines.join("\n");
  const bytes = Buffer.byteLength(text);
  let stats = emptyParseStats();
  log(`throughput ${format}: parse only`);
  const parseMs = bestMs(o.runs, () => {
    stats = emptyParseStats();
    parseFlowText(text, format, () => undefined, stats);
  });
  const records = stats.records;
  let detector = new ScanDetector(DEFAULT_DETECTOR);
  log(`throughput ${format}: parse + detect`);
  const detectMs = bestMs(o.runs, () => {
    const d = new ScanDetector(DEFAULT_DETECTOR);
    parseFlowText(text, format, (r) => d.observe(r), emptyParseStats());
    detector = d;
  });
  const out: FormatThroughput = {
    format,
    lines: o.lines,
    records,
    bytes,
    parseOnly: rate(parseMs, records, o.lines, bytes),
    parseAndDetect: rate(detectMs, records, o.lines, bytes),
    detections: detector.stats.detections,
    trackedSources: detector.size,
  };
  if (format === "aws-custom") {
    log(`throughput ${format}: building CloudWatch Logs payloads`);
    const events: { awslogs: { data: string } }[] = [];
    let payloadBytes = 0;
    for (let i = 0; i < g.lines.length; i += CWL_EVENTS_PER_PAYLOAD) {
      const logEvents = g.lines.slice(i, i + CWL_EVENTS_PER_PAYLOAD).map((message, k) => ({ id: String(i + k), timestamp: 1_700_000_000_000 + i + k, message }));
      const data = gzipSync(
        JSON.stringify({ messageType: "DATA_MESSAGE", owner: "123456789012", logGroup: "/lure/flows", logStream: "eni-0a1b2c3d4e5f60718-all", subscriptionFilters: ["lure"], logEvents }),
      ).toString("base64");
      payloadBytes += data.length;
      events.push({ awslogs: { data } });
    }
    log(`throughput ${format}: CloudWatch Logs path`);
    const cwlMs = bestMs(o.runs, () => {
      const d = new ScanDetector(DEFAULT_DETECTOR);
      for (const e of events) parseCloudWatchEvent(e, (r) => d.observe(r), emptyParseStats());
    });
    out.cloudWatch = { ...rate(cwlMs, records, o.lines, bytes), payloads: events.length, payloadBytes };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Memory

const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  if (gc) for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const ipOf = (i: number) => `${10 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.${1 + (i % 250)}`;

interface MemoryRow {
  case: string;
  sources: number;
  bytesPerSource: number;
}

/** Heap growth for `n` sources fed by `feed`; the detector stays referenced until measured. */
function heapPerSource(label: string, n: number, feed: (d: ScanDetector, src: string) => void, size = (d: ScanDetector) => d.size, after?: (d: ScanDetector) => void): MemoryRow {
  const before = heapUsed();
  const d = new ScanDetector({ ...DEFAULT_DETECTOR, maxSources: n, antiSpoofing: { ...DEFAULT_DETECTOR.antiSpoofing, maxClients: n } });
  for (let i = 0; i < n; i++) feed(d, ipOf(i));
  after?.(d);
  const heapAfter = heapUsed();
  if (size(d) !== n) throw new Error(`${label}: ${size(d)} sources tracked, expected ${n}`);
  return { case: label, sources: n, bytesPerSource: (heapAfter - before) / n };
}

function memory(log: (s: string) => void) {
  log("memory: heap per tracked source");
  const n = 100_000;
  const r = (src: string, port: number, outcome: Outcome, time: number): FlowRecord => ({ time, src, dst: "10.0.1.10", dport: port, proto: 6, outcome });
  const rows = [
    heapPerSource("1 failed target", n, (d, src) => d.observe(r(src, 22, "FAIL", 1_700_000_000))),
    heapPerSource("8 targets (fail, ok, ...)", n, (d, src) => {
      for (let k = 0; k < 8; k++) d.observe(r(src, k % 2 === 0 ? 1000 + k : 443 + k, k % 2 === 0 ? "FAIL" : "OK", 1_700_000_000 + k));
    }),
    heapPerSource("flagged (4 failures)", n, (d, src) => {
      for (let k = 0; k < 4; k++) d.observe(r(src, 1000 + k, "FAIL", 1_700_000_000 + k));
    }),
    heapPerSource(
      "long memory only (3 failures, idle)",
      n,
      (d, src) => {
        for (let k = 0; k < 3; k++) d.observe(r(src, 1000 + k, "FAIL", 1_700_000_000 + k));
      },
      (d) => d.size,
      (d) => d.expire(1_700_003_600),
    ),
    heapPerSource("proof of address only (a client)", n, (d, src) => d.prove(src, 1_700_000_000), (d) => d.clients),
  ];
  log("memory: maxSources bound");
  const bound = new ScanDetector(DEFAULT_DETECTOR);
  const before = heapUsed();
  for (let i = 0; i < 2 * n; i++) bound.observe(r(ipOf(i), 22, "FAIL", 1_700_000_000 + i / 1000));
  const heapBytes = heapUsed() - before;
  return {
    gcExposed: gc !== undefined,
    rows,
    bound: { fed: 2 * n, maxSources: DEFAULT_DETECTOR.maxSources, size: bound.size, evictedSources: bound.stats.evictedSources, heapBytes },
  };
}

// ---------------------------------------------------------------------------------------------------
// Quality on public captures

interface Labelled extends FlowRecord {
  /** The dataset's own label of the row, when it has one. */
  label?: string;
}

const PROTO: Record<string, number> = { tcp: 6, udp: 17 };

function zeekOutcome(proto: number, state: string, origBytes: number, respBytes: number, respPkts: number, udpS0Fails: boolean): Outcome {
  const data = origBytes > 0 || respBytes > 0;
  if (proto === 17) {
    if (respPkts > 0 || respBytes > 0) return "OK";
    return udpS0Fails && state === "S0" ? "FAIL" : "UNKNOWN";
  }
  switch (state) {
    case "REJ":
    case "S0":
    case "RSTOS0":
    case "SH":
      return "FAIL";
    case "RSTR":
    case "OTH":
      return data ? (state === "RSTR" ? "OK" : "UNKNOWN") : "FAIL";
    case "SF":
    case "S1":
    case "S2":
    case "S3":
      return "OK";
    case "RSTO":
    case "RSTRH":
      return data ? "OK" : "UNKNOWN";
    default:
      return "UNKNOWN";
  }
}

const count = (v: unknown): number => (typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : 0);

/** Zeek conn.log, JSON lines or TSV (`#fields` header), to records sorted by ts. */
function readZeek(file: string, udpS0Fails: boolean): Labelled[] {
  const out: Labelled[] = [];
  let fields: string[] | undefined;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    let row: Record<string, unknown>;
    if (line.startsWith("{")) row = JSON.parse(line) as Record<string, unknown>;
    else if (line.trimStart().startsWith("#")) {
      // Header lines; one capture has a stray tab before its first.
      if (line.trimStart().startsWith("#fields")) fields = line.trimStart().split("\t").slice(1);
      continue;
    } else {
      if (!fields) throw new Error(`${file}: a data line before the #fields header`);
      const cells = line.split("\t");
      row = Object.fromEntries(fields.map((f, i) => [f, cells[i]]));
    }
    const proto = PROTO[String(row.proto)];
    if (proto === undefined) continue;
    out.push({
      time: Number(row.ts),
      src: String(row["id.orig_h"]),
      dst: String(row["id.resp_h"]),
      dport: Number(row["id.resp_p"]),
      proto,
      outcome: zeekOutcome(proto, String(row.conn_state), count(row.orig_bytes), count(row.resp_bytes), count(row.resp_pkts), udpS0Fails),
      ...(row.label !== undefined ? { label: String(row.label) } : {}),
    });
  }
  return out.sort((a, b) => a.time - b.time);
}

/** "2017-07-07 17:51:49.618008" → Unix seconds (the zone does not matter for ordering). */
function cicTime(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/.exec(text.trim());
  if (!m) throw new Error(`unexpected CIC timestamp ${JSON.stringify(text)}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000 + (m[7] ? Number(m[7]) : 0);
}

/** CICFlowMeter CSV to records (not sorted: callers sort after combining files). */
function readCic(file: string): Labelled[] {
  const [header, ...rows] = readFileSync(file, "utf8").split("\n");
  const names = header.trim().split(",");
  const col = (name: string) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`${file}: no column "${name}"`);
    return i;
  };
  const c = {
    src: col("Src IP"), dst: col("Dst IP"), dport: col("Dst Port"), proto: col("Protocol"), time: col("Timestamp"), label: col("Label"),
    fwdPkts: col("Total Fwd Packet"), bwdPkts: col("Total Bwd packets"), fwdBytes: col("Total Length of Fwd Packet"),
    bwdBytes: col("Total Length of Bwd Packet"), rst: col("RST Flag Count"), fin: col("FIN Flag Count"),
  };
  const out: Labelled[] = [];
  for (const row of rows) {
    if (row.trim() === "") continue;
    const v = row.trim().split(",");
    const proto = Number(v[c.proto]);
    if (proto !== 6 && proto !== 17) continue;
    const bwdPkts = Number(v[c.bwdPkts]);
    let outcome: Outcome;
    if (proto === 17) outcome = bwdPkts > 0 ? "OK" : "UNKNOWN";
    else {
      const noPayload = Number(v[c.fwdBytes]) === 0 && Number(v[c.bwdBytes]) === 0 && Number(v[c.fin]) === 0;
      outcome = noPayload && Number(v[c.fwdPkts]) <= 3 && (Number(v[c.rst]) > 0 || bwdPkts === 0) ? "FAIL" : "OK";
    }
    out.push({ time: cicTime(v[c.time]), src: v[c.src], dst: v[c.dst], dport: Number(v[c.dport]), proto, outcome, label: v[c.label] });
  }
  return out;
}

interface ScannerSpec {
  src: string;
  expect: "flag" | "no flag";
  /** Delay budget in targets, when the scenario carries one. */
  budget?: number;
  budgetName?: string;
}

interface Scenario {
  name: string;
  files: string[];
  scanners: ScannerSpec[];
  /** Records; benign sources are derived by `benignOf`. */
  load: (udpS0Fails: boolean) => Labelled[];
  benignOf: (records: Labelled[], scanners: Set<string>) => Set<string>;
}

interface ScannerResult {
  src: string;
  expect: "flag" | "no flag";
  records: number;
  /** Distinct targets / failed targets in the whole data. */
  targets: number;
  failedTargets: number;
  detected: boolean;
  reason?: string;
  /** Detection.probes: distinct first contacts since the source's first failure. */
  probes?: number;
  /** Distinct targets the source contacted up to and including the alert, from its first record. */
  targetsAtAlert?: number;
  /** The same, from the start of its last burst (first record after a gap > idleMinutes). */
  burstTargetsAtAlert?: number;
  /** Event time from the start of that burst to the alert, seconds. */
  secondsToAlert?: number;
  budget?: number;
  budgetName?: string;
  pass: boolean;
}

interface ScenarioResult {
  name: string;
  records: number;
  scanners: ScannerResult[];
  benign: number;
  benignFlagged: string[];
  /** Same replay with UDP S0 mapped to FAIL (Zeek files only). */
  benignFlaggedUdpS0Fail?: string[];
}

const key = (r: FlowRecord) => `${r.dst}|${r.dport}|${r.proto}`;

interface Watched {
  records: number;
  targets: Set<string>;
  failed: Set<string>;
  last: number;
  burstStart: number;
  burst: Set<string>;
  atAlert?: number;
  burstAtAlert?: number;
  burstStartAtAlert?: number;
}

function replay(records: readonly Labelled[], scanners: readonly ScannerSpec[]) {
  const d = new ScanDetector(DEFAULT_DETECTOR);
  const idle = DEFAULT_DETECTOR.idleMinutes * 60;
  const detections = new Map<string, Detection>();
  const seen = new Map<string, Watched>();
  const watched = new Set(scanners.map((s) => s.src));
  for (const r of records) {
    if (watched.has(r.src)) {
      let s = seen.get(r.src);
      if (s === undefined) {
        s = { records: 0, targets: new Set(), failed: new Set(), last: r.time, burstStart: r.time, burst: new Set() };
        seen.set(r.src, s);
      }
      if (r.time - s.last > idle) {
        s.burstStart = r.time;
        s.burst = new Set();
      }
      s.last = r.time;
      s.records++;
      s.targets.add(key(r));
      s.burst.add(key(r));
      if (r.outcome === "FAIL") s.failed.add(key(r));
    }
    const det = d.observe(r);
    if (det && !detections.has(det.src)) {
      detections.set(det.src, det);
      const s = seen.get(det.src);
      if (s) {
        s.atAlert = s.targets.size;
        s.burstAtAlert = s.burst.size;
        s.burstStartAtAlert = s.burstStart;
      }
    }
  }
  return { detections, seen };
}

function runScenario(sc: Scenario): ScenarioResult {
  const records = sc.load(false);
  const { detections, seen } = replay(records, sc.scanners);
  const scannerSet = new Set(sc.scanners.map((s) => s.src));
  const benign = sc.benignOf(records, scannerSet);
  const scanners = sc.scanners.map((spec): ScannerResult => {
    const s = seen.get(spec.src);
    const det = detections.get(spec.src);
    const targetsAtAlert = det ? s?.atAlert : undefined;
    const inBudget = spec.budget === undefined || (targetsAtAlert !== undefined && targetsAtAlert <= spec.budget);
    return {
      src: spec.src,
      expect: spec.expect,
      records: s?.records ?? 0,
      targets: s?.targets.size ?? 0,
      failedTargets: s?.failed.size ?? 0,
      detected: det !== undefined,
      ...(det ? { reason: det.reason, probes: det.probes, targetsAtAlert, burstTargetsAtAlert: s?.burstAtAlert, secondsToAlert: s?.burstStartAtAlert !== undefined ? det.time - s.burstStartAtAlert : undefined } : {}),
      ...(spec.budget !== undefined ? { budget: spec.budget, budgetName: spec.budgetName } : {}),
      pass: (spec.expect === "flag") === (det !== undefined) && inBudget,
    };
  });
  const result: ScenarioResult = { name: sc.name, records: records.length, scanners, benign: benign.size, benignFlagged: [...benign].filter((b) => detections.has(b)).sort() };
  if (sc.files.every((f) => !f.endsWith(".csv"))) {
    const literal = replay(sc.load(true), sc.scanners);
    result.benignFlaggedUdpS0Fail = [...benign].filter((b) => literal.detections.has(b)).sort();
  }
  return result;
}

function datasetsDir(): string {
  return process.env.LURE_DATASETS ? resolve(process.env.LURE_DATASETS) : resolve(__dirname, "..", "..", "shared", "datasets");
}

function scenarios(dir: string): Scenario[] {
  const zeek = (name: string, file: string, scanners: ScannerSpec[]): Scenario => ({
    name,
    files: [file],
    scanners,
    load: (udp) => readZeek(join(dir, file), udp),
    // Labelled files: the rows labelled Benign; others: every source that is not a scanner.
    benignOf: (records, sc) => new Set(records.filter((r) => !sc.has(r.src) && (r.label === undefined || r.label === "Benign")).map((r) => r.src)),
  });
  const cic = (name: string, files: string[], scanners: ScannerSpec[]): Scenario => ({
    name,
    files,
    scanners,
    load: () => files.flatMap((f) => readCic(join(dir, f))).sort((a, b) => a.time - b.time),
    benignOf: (records, sc) => new Set(records.filter((r) => r.label === "BENIGN" && !sc.has(r.src)).map((r) => r.src)),
  });
  const BENIGN = "cic2017imp_BENIGN_5000.csv";
  return [
    zeek("Slips vertical (real nmap -sT)", "slips_vertical_conn.log", [{ src: "192.168.1.9", expect: "flag", budget: NMAP_BUDGET, budgetName: "nmap" }]),
    zeek("Slips test10 (sweep of :1337)", "slips_test10_conn.log", [{ src: "192.0.2.10", expect: "flag" }]),
    zeek("Slips horizontal (:80, mostly SF)", "slips_horizontal_conn.log", [{ src: "10.0.2.112", expect: "no flag" }]),
    zeek("CTU-SME-11 (one target hammered)", "ctu_sme_11_conn.log.labeled", [{ src: "192.168.1.107", expect: "no flag" }]),
    zeek("Slips test9 (mixed background)", "slips_test9_conn.log", []),
    cic("CIC Fri Portscan", ["cic2017imp_Portscan_5000.csv"], [{ src: "172.16.0.1", expect: "flag" }]),
    cic("CIC BENIGN", [BENIGN], []),
    cic("CIC Fri Portscan + BENIGN", ["cic2017imp_Portscan_5000.csv", BENIGN], [{ src: "172.16.0.1", expect: "flag", budget: CIC_FRIDAY_BUDGET, budgetName: "CIC Friday" }]),
    cic("CIC Thu Infiltration + BENIGN", ["cic2017imp_Infiltration_-_Portscan_5000.csv", BENIGN], [
      { src: "192.168.10.8", expect: "flag" },
      { src: "172.16.0.1", expect: "flag" },
    ]),
  ];
}

function quality(log: (s: string) => void): { dir: string; skipped?: string; scenarios: ScenarioResult[] } {
  const dir = datasetsDir();
  if (!existsSync(dir)) return { dir, skipped: `no datasets folder at ${dir} (set LURE_DATASETS to use another)`, scenarios: [] };
  const results: ScenarioResult[] = [];
  for (const sc of scenarios(dir)) {
    const missing = sc.files.filter((f) => !existsSync(join(dir, f)));
    if (missing.length > 0) {
      log(`quality: skipping ${sc.name}: missing ${missing.join(", ")}`);
      continue;
    }
    log(`quality: ${sc.name}`);
    results.push(runScenario(sc));
  }
  return { dir, scenarios: results };
}

// ---------------------------------------------------------------------------------------------------
// HTTP: Google Cloud load-balancer request logs

/** Entries of the HTTP throughput row at most (a LogEntry line is about 1 KB). */
const HTTP_THROUGHPUT_MAX = 200_000;
const HTTP_DAY = { seed: 42, start: 1_767_225_600, hours: 24, benignSessions: 5000, scannersPerKind: 10 };

interface HttpKindRow {
  kind: BenignKind | ScanKind;
  scanner: boolean;
  sessions: number;
  requests: number;
  flagged: number;
  withheld: number;
  reasons: string[];
  /** Median distinct targets (host, path) a flagged session had contacted up to and including the alert. */
  medianTargetsAtAlert?: number;
  /** Median seconds from the session's first request to the alert. */
  medianSecondsToAlert?: number;
}

interface HttpBench {
  records: number;
  rows: HttpKindRow[];
  benign: number;
  benignFlagged: number;
  scanners: number;
  scannersFlagged: number;
  throughput: { entries: number; bytes: number; records: number; parseOnly: Rate; parseAndDetect: Rate; detections: number };
}

const median = (xs: number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

function httpBench(o: Options, log: (s: string) => void): HttpBench {
  log("http: quality on a synthetic day");
  const scanners = Object.fromEntries(SCAN_KINDS.map((k) => [k, HTTP_DAY.scannersPerKind]));
  const day = syntheticHttpRequests({ seed: HTTP_DAY.seed, start: HTTP_DAY.start, hours: HTTP_DAY.hours, benignSessions: HTTP_DAY.benignSessions, scanners });
  const d = new ScanDetector(DEFAULT_DETECTOR);
  const targets = new Map<string, Set<string>>();
  const alerts = new Map<string, { det: Detection; targets: number }>();
  for (const r of day.records) {
    const f = httpFlowRecord(r);
    let t = targets.get(f.src);
    if (t === undefined) targets.set(f.src, (t = new Set()));
    t.add(key(f));
    const det = d.observe(f);
    if (det && !alerts.has(det.src)) alerts.set(det.src, { det, targets: t.size });
  }
  const rows: HttpKindRow[] = [...BENIGN_KINDS, ...SCAN_KINDS].map((kind) => {
    const ss = day.sources.filter((s) => s.kind === kind);
    const hit = ss.filter((s) => alerts.has(s.src));
    return {
      kind,
      scanner: ss[0]?.scanner ?? SCAN_KINDS.includes(kind as ScanKind),
      sessions: ss.length,
      requests: ss.reduce((n, s) => n + s.requests, 0),
      flagged: hit.length,
      withheld: hit.filter((s) => alerts.get(s.src)!.det.withheld).length,
      reasons: [...new Set(hit.map((s) => alerts.get(s.src)!.det.reason))].sort(),
      ...(hit.length > 0
        ? { medianTargetsAtAlert: median(hit.map((s) => alerts.get(s.src)!.targets)), medianSecondsToAlert: median(hit.map((s) => alerts.get(s.src)!.det.time - s.first)) }
        : {}),
    };
  });
  const benignRows = rows.filter((r) => !r.scanner);
  const scanRows = rows.filter((r) => r.scanner);

  const want = Math.min(o.lines, HTTP_THROUGHPUT_MAX);
  log(`http: throughput, generating ${want} LogEntry lines`);
  let sessions = Math.ceil(want / 20);
  let recs = syntheticHttpRequests({ seed: 7, start: HTTP_DAY.start, hours: HTTP_DAY.hours, benignSessions: sessions, scanners });
  while (recs.records.length < want) {
    sessions *= 2;
    recs = syntheticHttpRequests({ seed: 7, start: HTTP_DAY.start, hours: HTTP_DAY.hours, benignSessions: sessions, scanners });
  }
  const text = formatGcpLbLines(recs.records.slice(0, want));
  const bytes = Buffer.byteLength(text);
  let stats = emptyGcpLbParseStats();
  log("http: parse only");
  const parseMs = bestMs(o.runs, () => {
    stats = emptyGcpLbParseStats();
    parseGcpLbText(text, () => undefined, stats);
  });
  let detections = 0;
  log("http: parse + detect");
  const detectMs = bestMs(o.runs, () => {
    const det = new ScanDetector(DEFAULT_DETECTOR);
    parseGcpLbText(text, (r) => det.observe(httpFlowRecord(r)), emptyGcpLbParseStats());
    detections = det.stats.detections;
  });
  return {
    records: day.records.length,
    rows,
    benign: benignRows.reduce((n, r) => n + r.sessions, 0),
    benignFlagged: benignRows.reduce((n, r) => n + r.flagged, 0),
    scanners: scanRows.reduce((n, r) => n + r.sessions, 0),
    scannersFlagged: scanRows.reduce((n, r) => n + r.flagged - r.withheld, 0),
    throughput: { entries: want, bytes, records: stats.records, parseOnly: rate(parseMs, stats.records, want, bytes), parseAndDetect: rate(detectMs, stats.records, want, bytes), detections },
  };
}

function httpText(h: HttpBench, tableOf: (rows: string[][]) => string): string {
  const t = h.throughput;
  const k = (n: number) => `${(n / 1e3).toFixed(0)} k/s`;
  return [
    `Quality: a seeded synthetic day (${h.records.toLocaleString("en")} requests; ${h.benign} benign sessions, ${h.scanners} scans), ScanDetector(DEFAULT_DETECTOR)`,
    "",
    tableOf([
      ["session kind", "", "sessions", "requests", "flagged", "withheld", "reason", "median targets at alert", "median s to alert"],
      ...h.rows.map((r) => [
        r.kind,
        r.scanner ? "scan" : "benign",
        String(r.sessions),
        r.requests.toLocaleString("en"),
        String(r.flagged),
        String(r.withheld),
        r.reasons.join(", "),
        r.medianTargetsAtAlert?.toString() ?? "",
        r.medianSecondsToAlert?.toFixed(0) ?? "",
      ]),
    ]),
    "",
    `Throughput: ${t.entries.toLocaleString("en")} LogEntry JSON lines (${(t.bytes / 1e6).toFixed(0)} MB), best of runs after a warm-up`,
    "",
    tableOf([
      ["", "entries", "MB", "parse only", "parse + detect", "MB/s", "detections"],
      ["gcp-lb", t.entries.toLocaleString("en"), (t.bytes / 1e6).toFixed(0), k(t.parseOnly.linesPerSecond), k(t.parseAndDetect.linesPerSecond), t.parseAndDetect.mbPerSecond.toFixed(0), String(t.detections)],
    ]),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------
// Report

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("   ").trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("   "), ...rows.slice(1).map(line)].join("\n");
}

const m = (n: number) => `${(n / 1e6).toFixed(2)} M/s`;

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const startLoad = loadavg()[0];

  const formats = (["aws-custom", "aws-v2"] as const).map((f) => throughput(f, opts, log));
  const mem = memory(log);
  const q = quality(log);
  const slow = slowDay(log);
  const e2e = opts.e2eLines > 0 ? simulateE2e(opts.e2eLines, log) : undefined;
  const http = httpBench(opts, log);

  const custom = formats[0];
  const allScanners = q.scenarios.flatMap((s) => s.scanners.map((r) => ({ scenario: s.name, ...r })));
  const budgetRow = (name: string) => allScanners.find((r) => r.budgetName === name);
  const nmap = budgetRow("nmap");
  const friday = budgetRow("CIC Friday");
  const benignFlagged = q.scenarios.reduce((n, s) => n + s.benignFlagged.length, 0);
  const benignTotal = q.scenarios.reduce((n, s) => n + s.benign, 0);
  const controls = allScanners.filter((r) => r.expect === "no flag");
  const budgets = {
    throughput: { limit: THROUGHPUT_BUDGET, value: custom.parseAndDetect.linesPerSecond, pass: custom.parseAndDetect.linesPerSecond >= THROUGHPUT_BUDGET },
    ...(nmap ? { nmapProbes: { limit: NMAP_BUDGET, value: nmap.targetsAtAlert ?? null, pass: nmap.pass } } : {}),
    ...(friday ? { cicFridayProbes: { limit: CIC_FRIDAY_BUDGET, value: friday.targetsAtAlert ?? null, pass: friday.pass } } : {}),
    ...(q.skipped ? {} : { benignFlagged: { limit: 0, value: benignFlagged, of: benignTotal, pass: benignFlagged === 0 } }),
    ...(controls.length > 0 ? { negativeControls: { flagged: controls.filter((c) => c.detected).map((c) => c.src), pass: controls.every((c) => c.pass) } } : {}),
    slowScanners: { caught: slow.defaults.scannersFlagged, of: slow.defaults.scanners, clientsFlagged: slow.defaults.clientsFlagged, pass: slow.defaults.scannersFlagged === slow.defaults.scanners && slow.defaults.clientsFlagged === 0 },
    ...(e2e ? { simulateLinesPerSecond: { ...e2e.rate, value: e2e.linesPerSecond }, simulatePeakRssMb: { ...e2e.rss, value: e2e.peakRssMb } } : {}),
    httpScans: { caught: http.scannersFlagged, of: http.scanners, benignFlagged: http.benignFlagged, benign: http.benign, pass: http.scannersFlagged === http.scanners && http.benignFlagged === 0 },
  };

  if (opts.json) {
    console.log(JSON.stringify({ machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverage: startLoad }, options: opts, throughput: formats, memory: mem, quality: q, slowDay: slow, endToEnd: e2e ?? null, http, budgets }, null, 2));
    return 0;
  }

  console.log(`\ndetector benchmark: ${cpus().length} CPU(s) (${cpus()[0]?.model ?? "?"}), node ${process.version}, one thread`);
  if (startLoad > 1) console.log(`load average ${startLoad.toFixed(2)} when the run began: other work shares the CPUs, so the rates are low`);
  console.log(`\nThroughput: ${opts.lines.toLocaleString("en")} synthetic lines per format, best of ${opts.runs} after a warm-up\n`);
  const rows = [["", "lines", "FlowRecords", "MB", "parse only", "parse + detect", "MB/s", "FlowRecords/s", "CloudWatch path"]];
  for (const f of formats) {
    rows.push([
      f.format,
      f.lines.toLocaleString("en"),
      f.records.toLocaleString("en"),
      (f.bytes / 1e6).toFixed(0),
      m(f.parseOnly.linesPerSecond),
      m(f.parseAndDetect.linesPerSecond),
      f.parseAndDetect.mbPerSecond.toFixed(0),
      m(f.parseAndDetect.recordsPerSecond),
      f.cloudWatch ? `${m(f.cloudWatch.linesPerSecond)} (${f.cloudWatch.payloads} payloads, ${(f.cloudWatch.payloadBytes / 1e6).toFixed(1)} MB base64)` : "",
    ]);
  }
  console.log(table(rows));
  console.log(
    "Rates are flow-log records (lines) per second unless named FlowRecords/s: the records the parser produced. About half of the\n" +
      "custom-format lines are egress records; those carrying data are proofs of address (OK records with `proof`). CloudWatch path = base64 + gunzip + JSON + parse + detect.",
  );
  for (const f of formats) console.log(`  ${f.format}: ${f.detections} detections, ${f.trackedSources} sources tracked at the end`);

  console.log(`\nMemory${mem.gcExposed ? "" : " (no --expose-gc: figures include garbage)"}: heap growth per tracked source (100,000 sources)\n`);
  console.log(table([["", "bytes/source", "MB per 100 k"], ...mem.rows.map((r) => [r.case, r.bytesPerSource.toFixed(0), ((r.bytesPerSource * 100_000) / 1e6).toFixed(1)])]));
  console.log(
    `bound: fed ${mem.bound.fed.toLocaleString("en")} failing sources with maxSources ${mem.bound.maxSources.toLocaleString("en")} → ` +
      `${mem.bound.size.toLocaleString("en")} tracked, ${mem.bound.evictedSources.toLocaleString("en")} evicted, heap +${(mem.bound.heapBytes / 1e6).toFixed(1)} MB`,
  );

  console.log(`\nQuality on ${q.dir}${q.skipped ? `: skipped, ${q.skipped}` : ""}\n`);
  if (!q.skipped) {
    const qrows = [["scenario", "source", "expect", "targets/failed", "result", "reason", "probes", "targets at alert", "in burst", "s to alert", "verdict"]];
    for (const s of q.scenarios) {
      for (const r of s.scanners) {
        qrows.push([
          s.name,
          r.src,
          r.expect,
          `${r.targets}/${r.failedTargets}`,
          r.detected ? "flagged" : "not flagged",
          r.reason ?? "",
          r.probes?.toString() ?? "",
          r.targetsAtAlert !== undefined ? `${r.targetsAtAlert}${r.budget !== undefined ? ` (≤ ${r.budget})` : ""}` : "",
          r.burstTargetsAtAlert?.toString() ?? "",
          r.secondsToAlert !== undefined ? r.secondsToAlert.toFixed(1) : "",
          r.pass ? "ok" : "MISS",
        ]);
      }
    }
    console.log(table(qrows));
    console.log("");
    console.log(
      table([
        ["scenario", "records", "benign sources", "benign flagged", "benign flagged (UDP S0 = FAIL)"],
        ...q.scenarios.map((s) => [
          s.name,
          s.records.toLocaleString("en"),
          String(s.benign),
          s.benignFlagged.length ? `${s.benignFlagged.length}: ${s.benignFlagged.join(", ")}` : "0",
          s.benignFlaggedUdpS0Fail === undefined ? "n/a" : s.benignFlaggedUdpS0Fail.length ? `${s.benignFlaggedUdpS0Fail.length}: ${s.benignFlaggedUdpS0Fail.join(", ")}` : "0",
        ]),
      ]),
    );
  }

  console.log(`\nLong memory: seeded days of patient scanners and returning clients (custom format)\n`);
  console.log(slowDayText(slow, table));

  console.log(`\nHTTP: Google Cloud load-balancer request logs (functions/core/http-scan.ts)\n`);
  console.log(httpText(http, table));

  console.log(`\nEnd to end${e2e ? "" : ": skipped (--e2e-lines 0)"}`);
  const e2eLines = e2e ? e2eText(e2e).split("\n") : [];
  if (e2e) console.log(`\n${e2eLines[0]}`);

  const verdict = (pass: boolean) => (pass ? "PASS" : "FAIL");
  console.log("");
  console.log(
    `${verdict(budgets.throughput.pass)} parse + detect ≥ 1 M flow-log records/s (custom format): ${m(budgets.throughput.value)}` +
      ` (${m(custom.parseAndDetect.recordsPerSecond)} FlowRecords produced)`,
  );
  if (nmap) console.log(`${verdict(nmap.pass)} nmap scan flagged within ${NMAP_BUDGET} probes: ${nmap.detected ? `${nmap.targetsAtAlert} targets (detector probes ${nmap.probes})` : "not flagged"}`);
  if (friday) console.log(`${verdict(friday.pass)} CIC Friday scanner flagged within ${CIC_FRIDAY_BUDGET} probes: ${friday.detected ? `${friday.targetsAtAlert} targets (detector probes ${friday.probes})` : "not flagged"}`);
  if (!q.skipped) console.log(`${verdict(benignFlagged === 0)} 0 benign sources flagged: ${benignFlagged} of ${benignTotal}`);
  if (controls.length > 0) {
    const flagged = controls.filter((c) => c.detected);
    console.log(`${verdict(flagged.length === 0)} negative controls not flagged: ${flagged.length ? flagged.map((c) => c.src).join(", ") : "none flagged"} (${controls.map((c) => c.src).join(", ")})`);
  }
  console.log(`${verdict(budgets.slowScanners.pass)} defaults catch every patient scanner and flag no returning client: ${slow.defaults.scannersFlagged}/${slow.defaults.scanners} caught, ${slow.defaults.clientsFlagged} of ${slow.defaults.clients} clients flagged`);
  console.log(
    `${verdict(budgets.httpScans.pass)} HTTP: every synthetic scan steered, no benign session flagged: ${http.scannersFlagged}/${http.scanners} scans, ${http.benignFlagged} of ${http.benign} benign sessions` +
      ` (parse + detect ${(http.throughput.parseAndDetect.linesPerSecond / 1e3).toFixed(0)} k LogEntries/s)`,
  );
  for (const line of e2eLines.slice(1)) console.log(line);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench:detector: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
  },
);
