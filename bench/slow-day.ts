/**
 * The long memory's rows of `npm run bench:detector`: seeded days of patient scanners (one closed
 * port every 30–180 minutes) and returning clients with occasional refused tries (`dayScenario`),
 * parsed as lure's custom format and replayed through the detector. The sweep over memoryMinutes ×
 * slowFailures is the data behind the defaults (DEFAULT_DETECTOR): the smallest threshold with a
 * margin over every returning client, and the shortest memory that catches the slowest scanners.
 */
import { DEFAULT_DETECTOR, ScanDetector } from "../functions/core/detector";
import { parseFlowText } from "../functions/core/flow";
import { emptyParseStats, type DetectorOptions, type FlowRecord } from "../functions/core/quarantine-types";
import { dayScenario } from "../functions/local/synthetic";

export const SLOW_DAY_SEEDS = [1, 2, 3, 4, 5];
export const SWEEP_MEMORY_MINUTES = [360, 720, 1440, 2880];
export const SWEEP_SLOW_FAILURES = [3, 4, 5, 6, 8];

export interface SlowDayResult {
  readonly memoryMinutes: number;
  readonly slowFailures: number;
  readonly scanners: number;
  readonly scannersFlagged: number;
  /** Median and worst hours from a scanner's first probe to its detection. */
  readonly medianHours?: number;
  readonly worstHours?: number;
  readonly clients: number;
  readonly clientsFlagged: number;
  /** Distinct failed targets of the returning clients: the most any had. */
  readonly clientMostFailedTargets: number;
}

interface Day {
  records: FlowRecord[];
  patient: Set<string>;
  returning: Set<string>;
}

function days(): Day[] {
  return SLOW_DAY_SEEDS.map((seed) => {
    const s = dayScenario({ seed, format: "aws-custom", hours: 24 });
    const records: FlowRecord[] = [];
    parseFlowText(s.lines.join("\n"), "aws-custom", (r) => records.push(r), emptyParseStats());
    return { records, patient: new Set(s.patient), returning: new Set(s.returning) };
  });
}

function evaluate(data: Day[], options: DetectorOptions): SlowDayResult {
  const hours: number[] = [];
  let scanners = 0;
  let clients = 0;
  let clientsFlagged = 0;
  let most = 0;
  for (const day of data) {
    const d = new ScanDetector(options);
    const first = new Map<string, number>();
    const failed = new Map<string, Set<string>>();
    const seen = new Set<string>();
    for (const r of day.records) {
      if (!first.has(r.src)) first.set(r.src, r.time);
      if (r.outcome === "FAIL" && day.returning.has(r.src)) failed.set(r.src, (failed.get(r.src) ?? new Set()).add(`${r.dst}:${r.dport}/${r.proto}`));
      const x = d.observe(r);
      // First detections only (a flagged state ends after idleMinutes); a withheld report counts as
      // a false positive too: it is an alert a user reads.
      if (!x || seen.has(x.src)) continue;
      seen.add(x.src);
      if (day.patient.has(x.src)) hours.push((x.time - first.get(x.src)!) / 3600);
      else if (day.returning.has(x.src)) clientsFlagged++;
    }
    scanners += day.patient.size;
    clients += day.returning.size;
    for (const set of failed.values()) most = Math.max(most, set.size);
  }
  hours.sort((a, b) => a - b);
  return {
    memoryMinutes: options.memoryMinutes,
    slowFailures: options.slowFailures,
    scanners,
    scannersFlagged: hours.length,
    ...(hours.length > 0 ? { medianHours: hours[Math.floor(hours.length / 2)], worstHours: hours[hours.length - 1] } : {}),
    clients,
    clientsFlagged,
    clientMostFailedTargets: most,
  };
}

/** The defaults' row, and the sweep (defaults but for the two settings). */
export function slowDay(log: (s: string) => void): { defaults: SlowDayResult; sweep: SlowDayResult[] } {
  log(`quality: slow day (${SLOW_DAY_SEEDS.length} seeded days)`);
  const data = days();
  const defaults = evaluate(data, DEFAULT_DETECTOR);
  const sweep = SWEEP_MEMORY_MINUTES.flatMap((memoryMinutes) => SWEEP_SLOW_FAILURES.map((slowFailures) => evaluate(data, { ...DEFAULT_DETECTOR, memoryMinutes, slowFailures })));
  return { defaults, sweep };
}

/** The rows as text. */
export function slowDayText(r: { defaults: SlowDayResult; sweep: SlowDayResult[] }, table: (rows: string[][]) => string): string {
  const h = (x?: number) => (x === undefined ? "-" : `${x.toFixed(1)} h`);
  const d = r.defaults;
  const rows = [
    ["scenario (24 h, defaults)", "sources", "flagged", "median to alert", "worst"],
    ["patient scanners, a probe every 30-180 min", String(d.scanners), String(d.scannersFlagged), h(d.medianHours), h(d.worstHours)],
    [`returning clients, refused tries (up to ${d.clientMostFailedTargets} targets)`, String(d.clients), String(d.clientsFlagged), "", ""],
  ];
  const sweep = [["memoryMinutes", ...SWEEP_SLOW_FAILURES.map((k) => `slowFailures ${k}`)]];
  for (const mem of SWEEP_MEMORY_MINUTES) {
    sweep.push([String(mem), ...SWEEP_SLOW_FAILURES.map((k) => {
      const x = r.sweep.find((s) => s.memoryMinutes === mem && s.slowFailures === k)!;
      return `${x.scannersFlagged}/${x.scanners} caught, ${x.clientsFlagged} FP`;
    })]);
  }
  return `${table(rows)}\n\nSweep (scanners caught / returning clients flagged):\n\n${table(sweep)}`;
}
