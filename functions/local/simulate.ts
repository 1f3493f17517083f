/**
 * `npm run simulate -- --input FILE [--format aws-v2|aws-custom|cwl-json|azure-vnet|gcp-lb] [--reorder-minutes N] [--json] [--config FILE]`:
 * replays a flow-log (or load-balancer request-log) file through the Quarantine's own detector, mode machine, planner and engine
 * against an in-memory cloud, and prints the timeline: which source was quarantined at which record,
 * when Defence Mode began and ended, each listener-rule and copy-count change, evictions. The way to
 * tune thresholds on your own logs before deploying.
 *
 * ```sh
 * npm run simulate -- --input functions/local/fixtures/scan-demo.aws-custom.log
 * ```
 *
 * - Settings: the `quarantine` section of the lure config (`--config FILE`, else `LURE_CONFIG`, else
 *   `lure.config.json`), turned into the runtime settings a deployment would get.
 * - Input: read in 64 KiB chunks, gunzipped when it starts with the gzip magic bytes; a
 *   day of a busy VPC never sits in memory (what is held: the detector's state, the reorder window).
 * - Format: `--format`, else guessed from the first non-empty line (`[`, or an object with an
 *   `"httpRequest"` or `"logName"` key → gcp-lb; `{"records"`, a lone `{` or an object with a
 *   `records` key → azure-vnet (a lone `{` followed by a LogEntry's keys before any `"records"` →
 *   gcp-lb); other `{` → cwl-json; 14 fields → aws-v2; 17 → aws-custom).
 * - azure-vnet: Azure VNet flow logs (PT1H.json, flowLogVersion 4), one document or several one
 *   after another (`cat` of hourly blobs), gzip or not. Streamed record by record
 *   (`./vnet-stream.ts`): one element of `records` (a minute of one NIC) is held at a time, never a
 *   whole document. Malformed text, documents, records and tuples are counted in `stats`
 *   (with `unsupportedVersion`), never fatal. Flow-log delivery delay (until a minute's tuples are in
 *   the blob and read) is not simulated either.
 * - gcp-lb: the request log of a Google Cloud global external Application Load Balancer: Cloud
 *   Logging LogEntries, one JSON per line (a sink's files) or one JSON array (`gcloud logging read
 *   --format=json`), or pretty-printed entries (`../core/gcp-lb-log.ts`), streamed one entry at a
 *   time. Each request becomes a first contact to (host, normalised path) (`../core/http-scan.ts`:
 *   4xx a scanner harvests are failures; a scanner's user agent or Cloud Armor's scanner detection
 *   flags at once, reason `agent`). Rules are planned as the Cloud Armor policy would hold them
 *   (`cloudArmorSteeringOptions`: 10 ranges a rule, at most 100 rules, from priority 1000). Entries
 *   of other resource types are `ignored`; malformed ones are counted (`stats`, with
 *   `otherForwardingRule`), never fatal. Cloud Logging's delivery delay is not simulated.
 * - Clock: event time. Records are fed in batches of one event-time minute, as CloudWatch Logs
 *   delivers them, each processed at the time of its newest record; the mode function ticks at every
 *   minute boundary. Flow logs arrive out of order (each interface's records are cut at its own
 *   aggregation interval), so a minute is held until the newest event time read is `--reorder-minutes`
 *   (default {@link REORDER_MINUTES}) past its end ({@link MinuteBuffer}); a record for a minute
 *   already processed is late: it joins the next batch and is counted (`late`). Flow-log delivery
 *   delay (about 1–10 minutes on AWS) is not simulated: a deployment reacts that much later. A copy
 *   passes its health check {@link COPY_START_SECONDS} after it is asked for; until one does, rules
 *   wait (no source is sent to a target group without a healthy target), so the first rule of a
 *   Defence period comes a tick or two after the copies are raised.
 * - Progress: on a terminal, one line on stderr (share read, lines, lines/s, ETA); nothing when
 *   stderr is a pipe or a file.
 * - Record numbers are 1-based line numbers of the input (for cwl-json: the line of the event; for
 *   azure-vnet: the 1-based index of the flow tuple across the whole input, `stats.lines` counting
 *   tuples; for gcp-lb: the 1-based index of the LogEntry, blank lines not counted).
 *
 * `--json` prints one object instead of the timeline:
 * ```
 * { input, format, records, stats: ParseStats, clock: string,
 *   reorderMinutes, late: { count, examples: [{ record, src, time, behindSeconds }] },  // first 5 late records
 *   peakHeldRecords,                                                     // records held at most (window + one chunk)
 *   detections: [{ src, record, time, at, reason, probes, failures }],   // reason "remembered": seen again
 *   withheld: [{ src, record, time, at, reason, probes, failures, establishedSince }],  // established clients, not steered
 *   modes: [{ mode, at }],                                               // transitions only
 *   ruleChanges: [{ at, kind, priority, id, cidrs? }],
 *   copies: [{ at, from, to }],
 *   evicted: [{ at, src }],
 *   waits: [{ at, sources }],                                            // sources held back: no healthy copy yet
 *   summary: { sourcesFlagged, withheld, defencePeriods, defenceSeconds, ruleChanges, maxRules, evicted, late, first, last } }
 * ```
 * Times are Unix seconds; `at` fields are when the simulated system acted (the batch or tick time).
 *
 * Exit codes: 0 done; 2 bad arguments, unreadable, truncated or empty input, or a config problem.
 */
import { readSync } from "node:fs";
import { open } from "node:fs/promises";
import { pipeline } from "node:stream";
import { getHeapStatistics } from "node:v8";
import { createGunzip } from "node:zlib";
import { ConfigError, loadConfig } from "../../modules/core/config";
import { quarantineRuntimeConfig } from "../../modules/core/quarantine-runtime";
import { ScanDetector } from "../core/detector";
import { parseFlowLines } from "../core/flow";
import { processRecords, tick, type EngineDeps, type ReconcileReport } from "../core/quarantine";
import { emptyParseStats, type DetectionReason, type FlowFormat, type FlowRecord, type Mode, type ParseStats, type QuarantineRuntimeConfig } from "../core/quarantine-types";
import { emptyVnetParseStats } from "../core/vnet-flow";
import { emptyGcpLbParseStats, GcpLbStream } from "../core/gcp-lb-log";
import { httpFlowRecord } from "../core/http-scan";
import { gatewaySteeringOptions } from "../azure/quarantine/gateway-steering";
import { cloudArmorSteeringOptions } from "../gcp/quarantine/contract";
import { createMemoryCloud } from "./memory-cloud";
import { VnetStream } from "./vnet-stream";

export const FORMATS: readonly FlowFormat[] = ["aws-v2", "aws-custom", "cwl-json", "azure-vnet", "gcp-lb"];

export interface SimulateArgs {
  readonly input: string;
  readonly format?: FlowFormat;
  readonly json: boolean;
  readonly config?: string;
  /** `--reorder-minutes`; absent: {@link REORDER_MINUTES}. */
  readonly reorderMinutes?: number;
}

/** Bounds of `--reorder-minutes`: a day of disorder is not a flow log any more. */
export const REORDER_MINUTES_MAX = 1440;

export type ParsedArgs = { readonly ok: true; readonly args: SimulateArgs } | { readonly ok: false; readonly problems: readonly string[] };

export const USAGE = "usage: npm run simulate -- --input FILE [--format aws-v2|aws-custom|cwl-json|azure-vnet|gcp-lb] [--reorder-minutes N] [--json] [--config FILE]";

/** Reads the command line; every problem is reported, not just the first. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const problems: string[] = [];
  let input: string | undefined;
  let format: FlowFormat | undefined;
  let config: string | undefined;
  let reorderMinutes: number | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf("=");
    const name = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    const valueOf = (): string | undefined => (eq > 0 && a.startsWith("--") ? a.slice(eq + 1) : argv[++i]);
    if (name === "--json" && eq < 0) json = true;
    else if (name === "--input" || name === "--config" || name === "--format" || name === "--reorder-minutes") {
      const v = valueOf();
      if (v === undefined || v === "" || (eq < 0 && v.startsWith("--"))) {
        problems.push(`${name} needs a value`);
        if (v?.startsWith("--")) i--;
      } else if (name === "--input") input = v;
      else if (name === "--config") config = v;
      else if (name === "--reorder-minutes") {
        const n = Number(v);
        if (/^\d+$/.test(v) && n <= REORDER_MINUTES_MAX) reorderMinutes = n;
        else problems.push(`--reorder-minutes "${v}" is not a whole number of minutes from 0 to ${REORDER_MINUTES_MAX}`);
      }
      else if ((FORMATS as readonly string[]).includes(v)) format = v as FlowFormat;
      else problems.push(`--format "${v}" is not one of ${FORMATS.join(", ")}`);
    } else problems.push(`unknown argument "${a}"`);
  }
  if (input === undefined && !problems.includes("--input needs a value")) problems.push("--input is required: the flow-log file to replay");
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, args: { input: input!, json, ...(format ? { format } : {}), ...(config ? { config } : {}), ...(reorderMinutes !== undefined ? { reorderMinutes } : {}) } };
}

/**
 * A first line that opens an Azure VNet flow-log document: `{"records"` (whitespace allowed), a lone
 * `{` (a pretty-printed document; CloudWatch Logs events are one object per line), or a whole object
 * with a `records` key.
 */
function vnetDocument(line: string): boolean {
  if (line === "{" || /^\{\s*"records"\s*:/.test(line)) return true;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === "object" && v !== null && "records" in v;
  } catch {
    return false;
  }
}

/** A LogEntry's keys: a Cloud Logging entry (`httpRequest`, `logName`), not a CloudWatch Logs event. */
const LOG_ENTRY_KEY = /"(?:httpRequest|logName)"\s*:/;
/** Characters after a lone `{` searched for a LogEntry's keys before a `"records"` key. */
const LONE_BRACE_PEEK = 4096;

/** The format of a text from its first non-empty line, or undefined when it is none of them. */
export function detectFormat(text: string): FlowFormat | undefined {
  for (let a = 0; a < text.length; ) {
    const b = text.indexOf("\n", a) < 0 ? text.length : text.indexOf("\n", a);
    const line = text.slice(a, b).trim();
    a = b + 1;
    if (line === "") continue;
    if (line.startsWith("[")) return "gcp-lb";
    if (line === "{") {
      // A pretty-printed document or entry: its keys tell which.
      const next = text.slice(a, a + LONE_BRACE_PEEK);
      const entry = LOG_ENTRY_KEY.exec(next);
      const records = /"records"\s*:/.exec(next);
      return entry !== null && (records === null || entry.index < records.index) ? "gcp-lb" : "azure-vnet";
    }
    if (line.startsWith("{")) return LOG_ENTRY_KEY.test(line) && !/^\{\s*"records"\s*:/.test(line) ? "gcp-lb" : vnetDocument(line) ? "azure-vnet" : "cwl-json";
    const fields = line.split(/\s+/).length;
    return fields === 14 ? "aws-v2" : fields === 17 ? "aws-custom" : undefined;
  }
  return undefined;
}

export interface DetectionRow {
  readonly src: string;
  /** 1-based line of the deciding record (remembered: of the sighting). */
  readonly record: number;
  /** Event time of that record. */
  readonly time: number;
  /** When the simulated engine processed it (the batch time). */
  readonly at: number;
  readonly reason: DetectionReason | "remembered";
  readonly probes: number;
  readonly failures: number;
}

export interface SimulationResult {
  readonly input: string;
  readonly format: FlowFormat;
  readonly records: number;
  readonly stats: ParseStats;
  readonly clock: string;
  /** The reorder window used, minutes. */
  readonly reorderMinutes: number;
  /** Records that came after their minute had been processed (beyond the window): processed in the next batch. */
  readonly late: { readonly count: number; readonly examples: readonly LateRecord[] };
  /** Records held in the reorder window at most: what the replay's memory grows with, not the file. */
  readonly peakHeldRecords: number;
  readonly detections: DetectionRow[];
  /** Established clients flagged on forgeable evidence: reported, not steered (README: threat model). */
  readonly withheld: (DetectionRow & { readonly establishedSince: number })[];
  readonly modes: { mode: Mode; at: number }[];
  readonly ruleChanges: { at: number; kind: "create" | "modify" | "delete"; priority: number; id: string; cidrs?: readonly string[] }[];
  readonly copies: { at: number; from: number; to: number }[];
  readonly evicted: { at: number; src: string }[];
  /** Sources that started waiting for a healthy copy before being steered, by when. */
  readonly waits: { at: number; sources: string[] }[];
  readonly summary: {
    readonly sourcesFlagged: number;
    readonly withheld: number;
    readonly defencePeriods: number;
    readonly defenceSeconds: number;
    readonly ruleChanges: number;
    readonly maxRules: number;
    readonly evicted: number;
    readonly late: number;
    /** Event time of the first and last record (undefined without records). */
    readonly first?: number;
    readonly last?: number;
  };
}

/** Seconds a simulated copy takes to pass its health check (a Fargate task starts in about a minute). */
export const COPY_START_SECONDS = 60;

export const CLOCK_NOTE = "simulated clock = event time; flow-log delivery delay (about 1-10 min on AWS, 1-2 min on Azure, plus minutes per gateway update; Cloud Logging to Pub/Sub on Google Cloud, not measured) is not simulated, so a deployment reacts that much later";

/** One line of the human timeline, in the order things happened. */
export type TimelineEntry =
  | { readonly kind: "quarantine"; readonly at: number; readonly detection: DetectionRow }
  | { readonly kind: "withheld"; readonly at: number; readonly detection: DetectionRow & { readonly establishedSince: number } }
  | { readonly kind: "mode"; readonly at: number; readonly mode: Mode }
  | { readonly kind: "rule"; readonly at: number; readonly change: SimulationResult["ruleChanges"][number] }
  | { readonly kind: "copies"; readonly at: number; readonly from: number; readonly to: number }
  | { readonly kind: "evicted"; readonly at: number; readonly src: string }
  | { readonly kind: "waiting"; readonly at: number; readonly sources: readonly string[] };

export interface Simulation {
  /** What `--json` prints. */
  readonly result: SimulationResult;
  readonly timeline: TimelineEntry[];
}

/** Default of `--reorder-minutes`: how far out of event-time order records may come and still be sorted in. */
export const REORDER_MINUTES = 10;
/** Late records kept as examples in the result (all are counted). */
export const LATE_EXAMPLES = 5;

/** A record that came after its minute had been processed: it joins the next batch. */
export interface LateRecord {
  /** 1-based line of the record. */
  readonly record: number;
  readonly src: string;
  /** Its event time. */
  readonly time: number;
  /** How far its time lies behind the newest event time read before it, seconds. */
  readonly behindSeconds: number;
}

/**
 * One event-time minute of records, in file order: a delivery batch in arrival order, as the
 * engine gets one in the cloud (it orders each source's records by event time itself).
 */
interface Bucket {
  readonly minute: number;
  readonly records: FlowRecord[];
  /** Line of each record, same index. */
  readonly lines: number[];
  /** Latest event time in it. */
  newest: number;
}

/**
 * The reorder window: records wait in per-minute buckets until the newest event time read is
 * `reorderMinutes` past the end of their minute; then the minute is closed and its bucket is ready.
 * A record for a closed minute is late: counted, and put into the oldest open minute. At most
 * `reorderMinutes + 2` minutes are open at once, so what is held does not grow with the input.
 */
export class MinuteBuffer {
  /** Minutes below this are closed. */
  private frontier = -Infinity;
  private newest = -Infinity;
  private readonly open = new Map<number, Bucket>();
  private ready: Bucket[] = [];
  private last: Bucket | undefined;
  private held = 0;
  /** Records held at most, ready ones included. */
  peakHeld = 0;
  readonly late: { count: number; examples: LateRecord[] } = { count: 0, examples: [] };

  constructor(private readonly reorderMinutes: number) {}

  /** Takes one record (a parser callback: keep it cheap). */
  readonly add = (r: FlowRecord, line: number): void => {
    let minute = Math.floor(r.time / 60);
    if (minute < this.frontier) {
      if (this.late.examples.length < LATE_EXAMPLES) this.late.examples.push({ record: line, src: r.src, time: r.time, behindSeconds: this.newest - r.time });
      this.late.count++;
      minute = this.frontier;
    }
    let bucket = this.last;
    if (bucket === undefined || bucket.minute !== minute) {
      bucket = this.open.get(minute);
      if (bucket === undefined) this.open.set(minute, (bucket = { minute, records: [], lines: [], newest: r.time }));
      this.last = bucket;
    }
    bucket.records.push(r);
    bucket.lines.push(line);
    if (r.time > bucket.newest) bucket.newest = r.time;
    if (++this.held > this.peakHeld) this.peakHeld = this.held;
    if (r.time > this.newest) {
      this.newest = r.time;
      const frontier = Math.floor(r.time / 60) - this.reorderMinutes;
      if (frontier > this.frontier) this.close(frontier);
    }
  };

  /** Closes every minute: the input has ended. */
  closeAll(): void {
    this.close(Infinity);
  }

  /** The closed buckets, oldest first, and forgets them. */
  takeReady(): Bucket[] {
    const ready = this.ready;
    this.ready = [];
    for (const b of ready) this.held -= b.records.length;
    return ready;
  }

  private close(frontier: number): void {
    this.frontier = frontier;
    const closing = [...this.open.keys()].filter((m) => m < frontier).sort((a, b) => a - b);
    for (const m of closing) {
      this.ready.push(this.open.get(m)!);
      this.open.delete(m);
    }
    if (this.last !== undefined && this.last.minute < frontier) this.last = undefined;
  }
}

export interface SimulateOptions {
  /** Shown as `input` in the result. @default "(text)" */
  readonly input?: string;
  /** The reorder window, minutes (0: records must come in minute order). @default REORDER_MINUTES */
  readonly reorderMinutes?: number;
  /** Called after each chunk of text is processed, with the lines read so far. */
  readonly onChunk?: (lines: number) => void;
}

/** Replays `text` (already known to be `format`) with `config`; see the file header. */
export async function simulate(text: string, format: FlowFormat, config: QuarantineRuntimeConfig, input = "(text)", options: Omit<SimulateOptions, "input"> = {}): Promise<Simulation> {
  return simulateStream([text], format, config, { ...options, input });
}

/**
 * Replays a text that comes in chunks (cut anywhere; a file stream's), holding only the reorder
 * window: see the file header.
 */
export async function simulateStream(
  chunks: AsyncIterable<string> | Iterable<string>,
  format: FlowFormat,
  config: QuarantineRuntimeConfig,
  options: SimulateOptions = {},
): Promise<Simulation> {
  const reorderMinutes = options.reorderMinutes ?? REORDER_MINUTES;
  const stats: ParseStats = format === "azure-vnet" ? emptyVnetParseStats() : format === "gcp-lb" ? emptyGcpLbParseStats() : emptyParseStats();
  const buffer = new MinuteBuffer(reorderMinutes);
  let records = 0;
  let first = Infinity;
  let last = -Infinity;
  const add = buffer.add;
  const onRecord = (r: FlowRecord, line: number) => {
    records++;
    if (r.time < first) first = r.time;
    if (r.time > last) last = r.time;
    add(r, line);
  };

  const clock = { now: 0 };
  const cloud = createMemoryCloud({ steering: config.steering, clock: () => clock.now, initialCopies: config.copies.normalCount, copyStartSeconds: COPY_START_SECONDS });
  // Detections and evictions are placed among the cloud's events by the number of events recorded
  // before them (every event shares the simulated clock, so time alone cannot order them).
  const placed: { pos: number; entry: TimelineEntry }[] = [];
  const detections: DetectionRow[] = [];
  const withheld: SimulationResult["withheld"] = [];
  /** The batch being processed, and its record → line map once a detection needs it. */
  let batch: Bucket = { minute: 0, records: [], lines: [], newest: 0 };
  let lineOf: Map<FlowRecord, number> | undefined;
  const lineFor = (r: FlowRecord): number => {
    lineOf ??= new Map(batch.records.map((x, i) => [x, batch.lines[i]]));
    return lineOf.get(r)!;
  };
  const deps: EngineDeps = {
    store: cloud.store,
    steering: cloud.steering,
    copies: cloud.copies,
    config,
    owner: "simulate",
    detector: new ScanDetector(config.detector),
    onDetection: (d, r) => {
      const row: DetectionRow = { src: d.src, record: lineFor(r), time: d.time, at: clock.now, reason: d.reason, probes: d.probes, failures: d.failures };
      if (d.withheld) {
        const report = { ...row, establishedSince: d.establishedSince! };
        withheld.push(report);
        placed.push({ pos: cloud.events.length, entry: { kind: "withheld", at: d.time, detection: report } });
        return;
      }
      detections.push(row);
      placed.push({ pos: cloud.events.length, entry: { kind: "quarantine", at: d.time, detection: row } });
    },
  };
  const evicted: SimulationResult["evicted"] = [];
  let wasEvicted = new Set<string>();
  const noteEvictions = (r: ReconcileReport | undefined) => {
    if (!r || r.skipped) return;
    for (const src of r.evicted) {
      if (wasEvicted.has(src)) continue;
      evicted.push({ at: clock.now, src });
      placed.push({ pos: cloud.events.length, entry: { kind: "evicted", at: clock.now, src } });
    }
    wasEvicted = new Set(r.evicted);
  };
  const waits: SimulationResult["waits"] = [];
  let wasWaiting = new Set<string>();
  const noteWaiting = (r: ReconcileReport | undefined) => {
    if (!r || r.skipped) return;
    // Shown once per source and wait, not on every tick while the copies start.
    const sources = r.waiting.filter((src) => !wasWaiting.has(src));
    if (sources.length > 0) {
      waits.push({ at: clock.now, sources });
      placed.push({ pos: cloud.events.length, entry: { kind: "waiting", at: clock.now, sources } });
    }
    wasWaiting = new Set(r.waiting);
  };
  const noteReconcile = (r: ReconcileReport | undefined) => {
    noteEvictions(r);
    noteWaiting(r);
  };

  /** The next minute the mode function has not ticked yet (undefined before the first batch). */
  let minute: number | undefined;
  let maxRules = 0;
  const endMinute = async (m: number) => {
    clock.now = (m + 1) * 60;
    noteReconcile((await tick(deps, clock.now)).reconcile);
    if ((m + 1) % 60 === 0) cloud.store.sweep();
    maxRules = Math.max(maxRules, cloud.steering.size);
    minute = m + 1;
  };
  const runBatch = async (b: Bucket) => {
    minute ??= b.minute;
    // Minutes without records still tick, unless nothing can happen: Normal Mode, nothing to forget.
    while (minute < b.minute) {
      if (await idle(cloud)) minute = b.minute;
      else await endMinute(minute);
    }
    batch = b;
    lineOf = undefined;
    // Never backwards: a batch of late records only is processed at the current time.
    clock.now = Math.max(clock.now, b.newest);
    const pos = cloud.events.length;
    const report = await processRecords(b.records, deps, clock.now);
    for (const back of report.remembered) {
      const i = b.records.findIndex((x) => x.src === back.src && x.time === back.time);
      const row: DetectionRow = { src: back.src, record: b.lines[i], time: back.time, at: clock.now, reason: "remembered", probes: 0, failures: 0 };
      detections.push(row);
      placed.push({ pos, entry: { kind: "quarantine", at: back.time, detection: row } });
    }
    noteReconcile(report.reconcile);
    maxRules = Math.max(maxRules, cloud.steering.size);
    await endMinute(minute);
  };

  if (format === "azure-vnet") {
    const vnet = new VnetStream(onRecord, stats);
    for await (const chunk of chunks) {
      vnet.push(chunk);
      for (const b of buffer.takeReady()) await runBatch(b);
      options.onChunk?.(stats.lines);
    }
    vnet.end();
    return finish();
  }
  if (format === "gcp-lb") {
    const lb = new GcpLbStream((r, entry) => onRecord(httpFlowRecord(r), entry), stats);
    for await (const chunk of chunks) {
      lb.push(chunk);
      for (const b of buffer.takeReady()) await runBatch(b);
      options.onChunk?.(stats.lines);
    }
    lb.end();
    return finish();
  }
  const lineFormat = format;
  let carry = "";
  let line = 1;
  for await (const chunk of chunks) {
    const first = chunk.indexOf("\n");
    if (first < 0) {
      carry += chunk;
      continue;
    }
    // The line cut by the last chunk boundary on its own, the rest as a slice of the chunk: parsing
    // a slice of a flat string is about three times as fast as parsing `carry + chunk`.
    line = parseFlowLines(carry + chunk.slice(0, first + 1), lineFormat, onRecord, stats, line);
    const cut = chunk.lastIndexOf("\n");
    if (cut > first) line = parseFlowLines(chunk.slice(first + 1, cut + 1), lineFormat, onRecord, stats, line);
    carry = chunk.slice(cut + 1);
    for (const b of buffer.takeReady()) await runBatch(b);
    options.onChunk?.(line - 1);
  }
  // The last line may have no newline.
  if (carry !== "") line = parseFlowLines(carry, lineFormat, onRecord, stats, line);
  return finish();

  async function finish(): Promise<Simulation> {
  buffer.closeAll();
  for (const b of buffer.takeReady()) await runBatch(b);
  while (minute !== undefined && !(await settled(cloud, config))) await endMinute(minute);

  const timeline: TimelineEntry[] = [];
  const ruleChanges: SimulationResult["ruleChanges"] = [];
  let p = 0;
  cloud.events.forEach((e, i) => {
    for (; p < placed.length && placed[p].pos <= i; p++) timeline.push(placed[p].entry);
    if (e.kind === "mode") timeline.push({ kind: "mode", at: e.at, mode: e.to });
    else if (e.kind === "copies") timeline.push({ kind: "copies", at: e.at, from: e.from, to: e.to });
    else {
      const change = { at: e.at, kind: e.change.kind, priority: e.change.priority, id: e.id, ...(e.change.kind === "delete" ? {} : { cidrs: e.change.cidrs }) };
      ruleChanges.push(change);
      timeline.push({ kind: "rule", at: e.at, change });
    }
  });
  for (; p < placed.length; p++) timeline.push(placed[p].entry);

  const modes = cloud.events.flatMap((e) => (e.kind === "mode" ? [{ mode: e.to, at: e.at }] : []));
  const copies = cloud.events.flatMap((e) => (e.kind === "copies" ? [{ at: e.at, from: e.from, to: e.to }] : []));
  let defenceSeconds = 0;
  modes.forEach((m, i) => {
    if (m.mode === "defence") defenceSeconds += (modes[i + 1]?.at ?? clock.now) - m.at;
  });
  const result: SimulationResult = {
    input: options.input ?? "(text)",
    format,
    records,
    stats,
    clock: CLOCK_NOTE,
    reorderMinutes,
    late: buffer.late,
    peakHeldRecords: buffer.peakHeld,
    detections,
    withheld,
    modes,
    ruleChanges,
    copies,
    evicted,
    waits,
    summary: {
      sourcesFlagged: new Set(detections.filter((d) => d.reason !== "remembered").map((d) => d.src)).size,
      withheld: withheld.length,
      defencePeriods: modes.filter((m) => m.mode === "defence").length,
      defenceSeconds,
      ruleChanges: ruleChanges.length,
      maxRules,
      evicted: evicted.length,
      late: buffer.late.count,
      ...(records > 0 ? { first, last } : {}),
    },
  };
  return { result, timeline };
  }
}

type Cloud = ReturnType<typeof createMemoryCloud>;

async function settled(cloud: Cloud, config: QuarantineRuntimeConfig): Promise<boolean> {
  return (await cloud.store.getMode()).value.mode === "normal" && cloud.steering.size === 0 && (await cloud.copies.getDesired()) === config.copies.normalCount;
}

async function idle(cloud: Cloud): Promise<boolean> {
  return (await cloud.store.getMode()).value.mode === "normal" && cloud.steering.size === 0 && (await cloud.store.listQuarantines()).length === 0;
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000Z", "Z");

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

function entryText(e: TimelineEntry): string {
  switch (e.kind) {
    case "withheld": {
      const d = e.detection;
      return `withheld    ${d.src}  record ${d.record}: ${d.reason} after ${d.probes} probes (${d.failures} failed), not steered: established client since ${iso(d.establishedSince)}, the evidence can be forged`;
    }
    case "quarantine": {
      const d = e.detection;
      const why = d.reason === "remembered" ? "remembered source seen again" : `${d.reason} after ${d.probes} probes (${d.failures} failed)`;
      return `quarantine  ${d.src}  record ${d.record}: ${why}`;
    }
    case "mode":
      return e.mode === "defence" ? "DEFENCE MODE begins" : "NORMAL MODE returns";
    case "rule":
      return `rule        ${e.change.kind} priority ${e.change.priority}${e.change.cidrs ? `  ${e.change.cidrs.join(" ")}` : ""}`;
    case "copies":
      return `copies      ${e.from} -> ${e.to}`;
    case "evicted":
      return `evicted     ${e.src} (rule quota full; least recently seen)`;
    case "waiting":
      return `rules       wait for copies (no healthy copy yet): ${e.sources.join(" ")}`;
  }
}

/** The human timeline: a header, one line per event in the order they happened, a summary. */
export function formatTimeline(sim: Simulation, config: QuarantineRuntimeConfig): string {
  const r = sim.result;
  const st = r.stats;
  const d = config.detector;
  const m = config.mode;
  const out = [
    `lure simulate: ${r.input} (${r.format})`,
    `  ${st.lines} ${r.format === "azure-vnet" ? "flow tuples" : r.format === "gcp-lb" ? "log entries" : "lines"}: ${r.records} records, ${st.malformed} malformed, ${st.noData} NODATA, ${st.skipData} SKIPDATA, ${st.ignored} ignored${st.controlMessages ? `, ${st.controlMessages} control messages` : ""}`,
    `  detector: TRW theta0 ${d.trw.theta0} theta1 ${d.trw.theta1} alpha ${d.trw.alpha} beta ${d.trw.beta}; ${d.verticalPorts} ports / ${d.horizontalHosts} hosts / ${d.distinctPairs} pairs in ${d.windowMinutes} min; ${d.allowCidrs.length} allow-listed CIDR(s)`,
    `  mode: Defence after ${m.defenceAfterSources} source(s) in ${m.defenceWindowMinutes} min, Normal after ${m.quietPeriodMinutes} min quiet, then ${m.forgetOnNormal ? "forget" : `remember for ${m.rememberMinutes} min`}; ` +
      `rules: ${config.steering.ruleQuota} x ${config.steering.cidrsPerRule} CIDRs from priority ${config.steering.firstPriority}; ` +
      `copies ${config.copies.normalCount} -> ${config.copies.defenceCount} in Defence, healthy ${COPY_START_SECONDS} s after they are asked for`,
    `  note: ${r.clock}`,
    "",
  ];
  for (const e of sim.timeline) out.push(`${iso(e.at)}  ${entryText(e)}`);
  if (sim.timeline.length === 0) out.push("(nothing happened: no source was flagged)");
  const s = r.summary;
  const flagged = [...new Set(r.detections.map((x) => x.src))];
  out.push(
    "",
    `summary: ${s.sourcesFlagged} source(s) flagged${flagged.length ? ` (${flagged.join(", ")})` : ""}; ` +
      `${s.withheld ? `${s.withheld} withheld (established clients); ` : ""}Defence Mode ${s.defencePeriods} time(s), ${duration(s.defenceSeconds)} in all; ${s.ruleChanges} rule change(s), at most ${s.maxRules} rule(s) at once; ${s.evicted} evicted`,
  );
  if (r.late.count > 0) {
    const ex = r.late.examples.map((x) => `${r.format === "azure-vnet" ? "tuple" : r.format === "gcp-lb" ? "entry" : "line"} ${x.record} (${x.src}, ${duration(x.behindSeconds)} behind)`).join(", ");
    out.push(`late: ${r.late.count} record(s) came more than ${r.reorderMinutes} min out of event-time order and joined the next batch; first: ${ex}. Raise --reorder-minutes to sort them in.`);
  }
  if (st.skipData > 0) out.push(`warning: ${st.skipData} SKIPDATA line(s): AWS dropped records in those intervals`);
  return out.join("\n");
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /**
   * Where the live progress line goes, each call replacing the last; "" clears it. Absent when
   * stderr is not a terminal, so that logs and pipes get no progress noise.
   */
  readonly progress?: (line: string) => void;
  /** Milliseconds, for the progress line's rate and ETA. @default Date.now */
  readonly now?: () => number;
}

const STDIO: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  ...(process.stderr.isTTY ? { progress: (line: string) => process.stderr.write(`\r\x1b[K${line}`) } : {}),
};

/**
 * Bytes read per chunk; a chunk is parsed in one go. Small enough for V8's young generation: a
 * string of 1 MiB is a large object, and allocating and freeing one per chunk made reading and
 * decoding alone take several times as long.
 */
const CHUNK_BYTES = 1 << 16;
/** The progress line is redrawn at most this often, ms. */
export const PROGRESS_EVERY_MS = 250;

const count = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : n >= 1e4 ? `${Math.round(n / 1e3)} k` : String(n));
const minutesSeconds = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

/** The progress line: share of the file read (compressed bytes for gzip), lines, rate, time left. */
export function progressLine(bytesRead: number, totalBytes: number, lines: number, elapsedMs: number): string {
  const share = totalBytes > 0 ? Math.min(1, bytesRead / totalBytes) : 1;
  const width = 20;
  const filled = Math.round(share * width);
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? lines / seconds : 0;
  const eta = share > 0 && share < 1 && seconds > 0 ? minutesSeconds((seconds * (1 - share)) / share) : share >= 1 ? "0:00" : "?";
  return `simulate [${"#".repeat(filled)}${".".repeat(width - filled)}] ${Math.floor(share * 100)}%  ${count(lines)} lines  ${count(Math.round(rate))} lines/s  ETA ${eta}`;
}

/** Characters of a JSON first line read before its format is told (`{"records"` needs 11). */
const HEAD_JSON_CHARS = 64;

/** True when `head` holds a whole first non-blank line, enough to tell the format. */
function headComplete(head: string): boolean {
  // A PT1H.json is one line of up to megabytes: its opening is enough to tell it.
  const start = head.trimStart();
  if (start.startsWith("{") && start.length >= HEAD_JSON_CHARS) return true;
  for (let a = 0; ; ) {
    const b = head.indexOf("\n", a);
    if (b < 0) return false;
    if (head.slice(a, b).trim() !== "") return true;
    a = b + 1;
  }
}

/** The input's text, chunk by chunk: plain, or gunzipped when it starts with the gzip magic bytes 1f 8b. */
interface Input {
  readonly chunks: AsyncIterator<string>;
  /** Bytes of the file read so far (compressed ones for gzip). */
  readonly bytesRead: () => number;
  readonly size: number;
  readonly close: () => void;
}

// Flow-log fields are ASCII, and '\n' never occurs inside a UTF-8 sequence: latin1 cuts lines and
// fields exactly as UTF-8 would, at a fraction of the decoding cost (non-ASCII only ever appears in
// lines the parsers reject anyway).
async function openInput(path: string): Promise<Input> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    const head = await handle.read(buffer, 0, 2, 0);
    const { size } = await handle.stat();
    if (head.bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) {
      const file = handle.createReadStream({ start: 0, highWaterMark: CHUNK_BYTES });
      const text = pipeline(file, createGunzip({ chunkSize: CHUNK_BYTES }), () => undefined);
      text.setEncoding("latin1");
      return { chunks: text[Symbol.asyncIterator](), bytesRead: () => file.bytesRead, size, close: () => text.destroy() };
    }
    // Plain: one buffer, read into again and again (a stream allocates one per chunk), and read
    // synchronously: nothing else runs meanwhile, and an asynchronous read left the CPU idle for a
    // sixth of the run.
    let read = 0;
    let closed = false;
    const close = () => {
      if (!closed) void handle.close();
      closed = true;
    };
    const chunks: AsyncIterator<string> = {
      next: async () => {
        const n = closed ? 0 : readSync(handle.fd, buffer, 0, CHUNK_BYTES, read);
        if (n === 0) {
          close();
          return { done: true, value: undefined };
        }
        read += n;
        return { done: false, value: buffer.toString("latin1", 0, n) };
      },
    };
    return { chunks, bytesRead: () => read, size, close };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * Heap a replay may need at most for the detector's bounds: about 700 bytes a tracked source and
 * 135 a proof of address (README, bounds), twice over since the in-memory store keeps its own copy,
 * and 64 MiB for the rest.
 */
export function heapBound(d: QuarantineRuntimeConfig["detector"]): number {
  return d.maxSources * 1400 + d.antiSpoofing.maxClients * 270 + 64 * 2 ** 20;
}

const cannotRead = (input: string, e: unknown) =>
  `simulate: cannot read --input "${input}": ${(e as Error).message}\n  give the path of a flow-log file (VPC flow log lines, CloudWatch Logs events as JSON lines, Azure VNet flow-log PT1H.json documents, or Google Cloud load-balancer request-log entries as JSON lines or a JSON array; gzip or not)`;

/** The CLI; returns the exit code. */
export async function main(argv: readonly string[], io: Io = STDIO): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.err(`simulate: ${parsed.problems.join("\n          ")}\n${USAGE}`);
    return 2;
  }
  const { input, json } = parsed.args;
  let source: Awaited<ReturnType<typeof openInput>> | undefined;
  let chunks: AsyncIterator<string>;
  let head = "";
  try {
    source = await openInput(input);
    chunks = source.chunks;
    while (!headComplete(head)) {
      const n = await chunks.next();
      if (n.done) break;
      head += n.value;
    }
  } catch (e) {
    source?.close();
    io.err(cannotRead(input, e));
    return 2;
  }
  const stop = () => source.close();
  const format = parsed.args.format ?? detectFormat(head);
  // An Azure or Google Cloud input without a document or entry has nothing to replay; AWS formats with --format keep running (0 records).
  if (format === undefined || ((format === "azure-vnet" || format === "gcp-lb") && head.trim() === "")) {
    stop();
    io.err(
      head.trim() === ""
        ? `simulate: --input "${input}" is empty; nothing to replay`
        : `simulate: cannot tell the format of "${input}" from its first line (not JSON, not 14 or 17 fields); pass --format ${FORMATS.join("|")}`,
    );
    return 2;
  }
  let config: QuarantineRuntimeConfig;
  try {
    config = quarantineRuntimeConfig(loadConfig(parsed.args.config).config);
    // VNet flow logs come from a gateway: plan the rules its rewrite set would hold.
    if (format === "azure-vnet") config = { ...config, steering: gatewaySteeringOptions(config.steering.ruleQuota) };
    // Load-balancer request logs on Google Cloud: plan the rules the Cloud Armor policy would hold.
    if (format === "gcp-lb") config = { ...config, steering: cloudArmorSteeringOptions(config.steering.ruleQuota) };
  } catch (e) {
    stop();
    if (!(e instanceof ConfigError)) throw e;
    io.err(`simulate: the lure config has problems; fix them or point --config at another file\n${e.message}`);
    return 2;
  }

  const limit = getHeapStatistics().heap_size_limit;
  const bound = heapBound(config.detector);
  if (bound > limit) {
    const mb = (n: number) => Math.ceil(n / 2 ** 20);
    io.err(
      `simulate: warning: maxSources ${config.detector.maxSources} and antiSpoofing.maxClients ${config.detector.antiSpoofing.maxClients} may need up to ${mb(bound)} MB of heap, ` +
        `more than this process's ${mb(limit)} MB (the npm script sets 512); on inputs with that many sources run\n  node --max-old-space-size=${mb(bound)} --require tsx/cjs functions/local/simulate.ts ${argv.join(" ")}`,
    );
  }
  const now = io.now ?? Date.now;
  const started = now();
  let shown = -Infinity;
  const onChunk = io.progress
    ? (lines: number) => {
        const t = now();
        if (t - shown < PROGRESS_EVERY_MS) return;
        shown = t;
        io.progress!(progressLine(source.bytesRead(), source.size, lines, t - started));
      }
    : undefined;
  async function* text(): AsyncGenerator<string> {
    yield head;
    for (let n = await chunks.next(); !n.done; n = await chunks.next()) yield n.value;
  }
  let sim: Simulation;
  try {
    sim = await simulateStream(text(), format, config, { input, ...(parsed.args.reorderMinutes !== undefined ? { reorderMinutes: parsed.args.reorderMinutes } : {}), ...(onChunk ? { onChunk } : {}) });
  } catch (e) {
    stop();
    io.progress?.("");
    // Only the input can fail mid-way (a truncated or corrupt gzip, a read error); the rest is in memory.
    if (typeof e !== "object" || e === null || !("code" in e)) throw e;
    io.err(cannotRead(input, e));
    return 2;
  }
  io.progress?.("");
  io.out(json ? JSON.stringify(sim.result, null, 2) : formatTimeline(sim, config));
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
