/**
 * `npm run simulate -- --input FILE [--format aws-v2|aws-custom|cwl-json] [--json] [--config FILE]`:
 * replays a flow-log file through the Quarantine's own detector, mode machine, planner and engine
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
 * - Format: `--format`, else guessed from the first non-empty line (`{` → cwl-json; 14 fields →
 *   aws-v2; 17 → aws-custom).
 * - Clock: event time. Records are sorted by time (stably) and fed in batches of one event-time
 *   minute, as CloudWatch Logs delivers them, each processed at the time of its last record; the
 *   mode function ticks at every minute boundary. Flow-log delivery delay (about 1–10 minutes on AWS)
 *   is not simulated: a deployment reacts that much later. A copy passes its health check
 *   {@link COPY_START_SECONDS} after it is asked for; until one does, rules wait (no source is sent to
 *   a target group without a healthy target), so the first rule of a Defence period comes a tick or two
 *   after the copies are raised.
 * - Record numbers are 1-based line numbers of the input (for cwl-json: the line of the event).
 *
 * `--json` prints one object instead of the timeline:
 * ```
 * { input, format, records, stats: ParseStats, clock: string,
 *   detections: [{ src, record, time, at, reason, probes, failures }],   // reason "remembered": seen again
 *   withheld: [{ src, record, time, at, reason, probes, failures, establishedSince }],  // established clients, not steered
 *   modes: [{ mode, at }],                                               // transitions only
 *   ruleChanges: [{ at, kind, priority, id, cidrs? }],
 *   copies: [{ at, from, to }],
 *   evicted: [{ at, src }],
 *   waits: [{ at, sources }],                                            // sources held back: no healthy copy yet
 *   summary: { sourcesFlagged, defencePeriods, defenceSeconds, ruleChanges, maxRules, evicted, first, last } }
 * ```
 * Times are Unix seconds; `at` fields are when the simulated system acted (the batch or tick time).
 *
 * Exit codes: 0 done; 2 bad arguments, unreadable or empty input, or a config problem.
 */
import { readFileSync } from "node:fs";
import { ConfigError, loadConfig } from "../../modules/core/config";
import { quarantineRuntimeConfig } from "../../modules/core/quarantine-runtime";
import { ScanDetector } from "../core/detector";
import { parseCwlJsonText, parseFlowText } from "../core/flow";
import { processRecords, tick, type EngineDeps, type ReconcileReport } from "../core/quarantine";
import { emptyParseStats, type DetectionReason, type FlowFormat, type FlowRecord, type Mode, type ParseStats, type QuarantineRuntimeConfig } from "../core/quarantine-types";
import { createMemoryCloud } from "./memory-cloud";

export const FORMATS: readonly FlowFormat[] = ["aws-v2", "aws-custom", "cwl-json"];

export interface SimulateArgs {
  readonly input: string;
  readonly format?: FlowFormat;
  readonly json: boolean;
  readonly config?: string;
}

export type ParsedArgs = { readonly ok: true; readonly args: SimulateArgs } | { readonly ok: false; readonly problems: readonly string[] };

export const USAGE = "usage: npm run simulate -- --input FILE [--format aws-v2|aws-custom|cwl-json] [--json] [--config FILE]";

/** Reads the command line; every problem is reported, not just the first. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const problems: string[] = [];
  let input: string | undefined;
  let format: FlowFormat | undefined;
  let config: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf("=");
    const name = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    const valueOf = (): string | undefined => (eq > 0 && a.startsWith("--") ? a.slice(eq + 1) : argv[++i]);
    if (name === "--json" && eq < 0) json = true;
    else if (name === "--input" || name === "--config" || name === "--format") {
      const v = valueOf();
      if (v === undefined || v === "" || (eq < 0 && v.startsWith("--"))) {
        problems.push(`${name} needs a value`);
        if (v?.startsWith("--")) i--;
      } else if (name === "--input") input = v;
      else if (name === "--config") config = v;
      else if ((FORMATS as readonly string[]).includes(v)) format = v as FlowFormat;
      else problems.push(`--format "${v}" is not one of ${FORMATS.join(", ")}`);
    } else problems.push(`unknown argument "${a}"`);
  }
  if (input === undefined && !problems.includes("--input needs a value")) problems.push("--input is required: the flow-log file to replay");
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, args: { input: input!, json, ...(format ? { format } : {}), ...(config ? { config } : {}) } };
}

/** The format of a text from its first non-empty line, or undefined when it is none of them. */
export function detectFormat(text: string): FlowFormat | undefined {
  for (let a = 0; a < text.length; ) {
    const b = text.indexOf("\n", a) < 0 ? text.length : text.indexOf("\n", a);
    const line = text.slice(a, b).trim();
    a = b + 1;
    if (line === "") continue;
    if (line.startsWith("{")) return "cwl-json";
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
    /** Event time of the first and last record (undefined without records). */
    readonly first?: number;
    readonly last?: number;
  };
}

/** Seconds a simulated copy takes to pass its health check (a Fargate task starts in about a minute). */
export const COPY_START_SECONDS = 60;

export const CLOCK_NOTE = "simulated clock = event time; flow-log delivery delay (about 1-10 min on AWS) is not simulated, so a deployment reacts that much later";

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

/** Replays `text` (already known to be `format`) with `config`; see the file header. */
export async function simulate(text: string, format: FlowFormat, config: QuarantineRuntimeConfig, input = "(text)"): Promise<Simulation> {
  const stats = emptyParseStats();
  const records: FlowRecord[] = [];
  const lineOf = new Map<FlowRecord, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === "") continue;
    const onRecord = (r: FlowRecord) => {
      records.push(r);
      lineOf.set(r, i + 1);
    };
    if (format === "cwl-json") parseCwlJsonText(line, onRecord, stats);
    else parseFlowText(line, format, onRecord, stats);
  }
  // Stable: records of one second keep file order.
  const sorted = records.map((r, i) => ({ r, i })).sort((a, b) => a.r.time - b.r.time || a.i - b.i).map((x) => x.r);

  const clock = { now: sorted.length > 0 ? sorted[0].time : 0 };
  const cloud = createMemoryCloud({ steering: config.steering, clock: () => clock.now, initialCopies: config.copies.normalCount, copyStartSeconds: COPY_START_SECONDS });
  // Detections and evictions are placed among the cloud's events by the number of events recorded
  // before them (every event shares the simulated clock, so time alone cannot order them).
  const placed: { pos: number; entry: TimelineEntry }[] = [];
  const detections: DetectionRow[] = [];
  const withheld: SimulationResult["withheld"] = [];
  const deps: EngineDeps = {
    store: cloud.store,
    steering: cloud.steering,
    copies: cloud.copies,
    config,
    owner: "simulate",
    detector: new ScanDetector(config.detector),
    onDetection: (d, r) => {
      const row: DetectionRow = { src: d.src, record: lineOf.get(r)!, time: d.time, at: clock.now, reason: d.reason, probes: d.probes, failures: d.failures };
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

  let next = 0;
  let minute = sorted.length > 0 ? Math.floor(sorted[0].time / 60) : 0;
  let maxRules = 0;
  while (next < sorted.length || !(await settled(cloud, config))) {
    const batch: FlowRecord[] = [];
    while (next < sorted.length && Math.floor(sorted[next].time / 60) === minute) batch.push(sorted[next++]);
    if (batch.length > 0) {
      clock.now = batch[batch.length - 1].time;
      const pos = cloud.events.length;
      const report = await processRecords(batch, deps, clock.now);
      for (const back of report.remembered) {
        const r = batch.find((x) => x.src === back.src && x.time === back.time)!;
        const row: DetectionRow = { src: back.src, record: lineOf.get(r)!, time: back.time, at: clock.now, reason: "remembered", probes: 0, failures: 0 };
        detections.push(row);
        placed.push({ pos, entry: { kind: "quarantine", at: back.time, detection: row } });
      }
      noteReconcile(report.reconcile);
      maxRules = Math.max(maxRules, cloud.steering.size);
    }
    clock.now = (minute + 1) * 60;
    noteReconcile((await tick(deps, clock.now)).reconcile);
    maxRules = Math.max(maxRules, cloud.steering.size);
    // Skip minutes in which nothing can happen: no records, Normal Mode, nothing to forget.
    minute = next < sorted.length && (await idle(cloud)) ? Math.floor(sorted[next].time / 60) : minute + 1;
  }

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
    input,
    format,
    records: records.length,
    stats,
    clock: CLOCK_NOTE,
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
      ...(sorted.length > 0 ? { first: sorted[0].time, last: sorted[sorted.length - 1].time } : {}),
    },
  };
  return { result, timeline };
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
    `  ${st.lines} lines: ${r.records} records, ${st.malformed} malformed, ${st.noData} NODATA, ${st.skipData} SKIPDATA, ${st.ignored} ignored${st.controlMessages ? `, ${st.controlMessages} control messages` : ""}`,
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
  if (st.skipData > 0) out.push(`warning: ${st.skipData} SKIPDATA line(s): AWS dropped records in those intervals`);
  return out.join("\n");
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const STDIO: Io = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) };

/** The CLI; returns the exit code. */
export async function main(argv: readonly string[], io: Io = STDIO): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.err(`simulate: ${parsed.problems.join("\n          ")}\n${USAGE}`);
    return 2;
  }
  const { input, json } = parsed.args;
  let text: string;
  try {
    text = readFileSync(input, "utf8");
  } catch (e) {
    io.err(`simulate: cannot read --input "${input}": ${(e as Error).message}\n  give the path of a flow-log file (VPC flow log lines, or CloudWatch Logs events as JSON lines)`);
    return 2;
  }
  const format = parsed.args.format ?? detectFormat(text);
  if (format === undefined) {
    const empty = text.trim() === "";
    io.err(
      empty
        ? `simulate: --input "${input}" is empty; nothing to replay`
        : `simulate: cannot tell the format of "${input}" from its first line (not JSON, not 14 or 17 fields); pass --format ${FORMATS.join("|")}`,
    );
    return 2;
  }
  let config: QuarantineRuntimeConfig;
  try {
    config = quarantineRuntimeConfig(loadConfig(parsed.args.config).config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.err(`simulate: the lure config has problems; fix them or point --config at another file\n${e.message}`);
    return 2;
  }
  const sim = await simulate(text, format, config, input);
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
