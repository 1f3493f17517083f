/**
 * The end-to-end row of `npm run bench:detector`: `lure simulate` on a seeded day of AWS v2 flow
 * logs (10 M lines by default, up to 2 minutes out of order), run as a user runs it — its own
 * process with the npm script's node flags, reading the file from disk — timed by the wall clock,
 * with its peak RSS from `bench/rss-probe.js`.
 *
 * ```sh
 * node --require tsx/cjs bench/simulate-e2e.ts [--lines N]     # this row alone
 * ```
 *
 * Budgets (issue 10): ≥ 1 M lines/s end to end on one core; peak RSS < 300 MB at 10 M lines.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeSyntheticFile } from "../functions/local/synthetic-file";
import type { SimulationResult } from "../functions/local/simulate";

export const E2E_LINES = 10_000_000;
export const E2E_RATE_BUDGET = 1_000_000;
export const E2E_RSS_BUDGET_MB = 300;
/** Out-of-order arrival in the generated day: within the default reorder window. */
const JITTER_SECONDS = 120;

const ROOT = resolve(__dirname, "..");

export interface E2eResult {
  readonly lines: number;
  readonly bytes: number;
  readonly generateSeconds: number;
  /** Wall clock of the whole `simulate` process, start-up included. */
  readonly seconds: number;
  readonly linesPerSecond: number;
  readonly peakRssMb: number;
  readonly records: number;
  readonly late: number;
  readonly peakHeldRecords: number;
  readonly sourcesFlagged: number;
  readonly rate: { readonly limit: number; readonly pass: boolean };
  readonly rss: { readonly limit: number; readonly pass: boolean };
}

/** Generates the day, replays it in a child process, removes the file. */
export function simulateE2e(lines: number, log: (s: string) => void): E2eResult {
  const dir = mkdtempSync(join(tmpdir(), "lure-e2e-"));
  try {
    const file = join(dir, "day.aws-v2.log");
    log(`end to end: writing ${lines.toLocaleString("en")} jittered aws-v2 lines`);
    const g0 = process.hrtime.bigint();
    const { bytes } = writeSyntheticFile(file, { seed: 11, lines, format: "aws-v2", arrivalJitterSeconds: JITTER_SECONDS });
    const generateSeconds = Number(process.hrtime.bigint() - g0) / 1e9;
    log(`end to end: npm run simulate on ${(bytes / 1e6).toFixed(0)} MB`);
    const rssFile = join(dir, "rss");
    const t0 = process.hrtime.bigint();
    // Exactly the npm script's node flags (its heap limit shapes the peak RSS), plus the probe.
    const [, ...flags] = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.simulate.split(" ");
    const child = spawnSync(process.execPath, ["--require", join(ROOT, "bench/rss-probe.js"), ...flags, "--input", file, "--format", "aws-v2", "--json"], {
      cwd: ROOT,
      env: { ...process.env, LURE_RSS_FILE: rssFile },
      encoding: "utf8",
      maxBuffer: 256 << 20,
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (child.status !== 0) throw new Error(`simulate exited ${child.status ?? child.signal}: ${child.stderr}`);
    const result = JSON.parse(child.stdout) as SimulationResult;
    const peakRssMb = Number(readFileSync(rssFile, "utf8")) / 1024;
    const linesPerSecond = lines / seconds;
    return {
      lines,
      bytes,
      generateSeconds,
      seconds,
      linesPerSecond,
      peakRssMb,
      records: result.records,
      late: result.late.count,
      peakHeldRecords: result.peakHeldRecords,
      sourcesFlagged: result.summary.sourcesFlagged,
      rate: { limit: E2E_RATE_BUDGET, pass: linesPerSecond >= E2E_RATE_BUDGET },
      rss: { limit: E2E_RSS_BUDGET_MB, pass: peakRssMb < E2E_RSS_BUDGET_MB },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The row's text: one line of figures, then the two verdicts. */
export function e2eText(e: E2eResult): string {
  const verdict = (pass: boolean) => (pass ? "PASS" : "FAIL");
  return [
    `simulate end to end: ${e.lines.toLocaleString("en")} aws-v2 lines (${(e.bytes / 1e6).toFixed(0)} MB, a day, up to ${JITTER_SECONDS} s out of order) in ${e.seconds.toFixed(1)} s` +
      ` = ${(e.linesPerSecond / 1e6).toFixed(2)} M lines/s, peak RSS ${e.peakRssMb.toFixed(0)} MB; ${e.records.toLocaleString("en")} records, ${e.late} late,` +
      ` at most ${e.peakHeldRecords.toLocaleString("en")} held, ${e.sourcesFlagged} sources flagged (file written in ${e.generateSeconds.toFixed(0)} s)`,
    `${verdict(e.rate.pass)} simulate ≥ 1 M aws-v2 lines/s end to end: ${(e.linesPerSecond / 1e6).toFixed(2)} M lines/s`,
    `${verdict(e.rss.pass)} simulate peak RSS < ${E2E_RSS_BUDGET_MB} MB at ${(e.lines / 1e6).toFixed(0)} M lines: ${e.peakRssMb.toFixed(0)} MB`,
  ].join("\n");
}

if (require.main === module) {
  const i = process.argv.indexOf("--lines");
  const lines = i > 0 ? Number(process.argv[i + 1]) : E2E_LINES;
  if (!Number.isInteger(lines) || lines < 1) {
    console.error("usage: node --require tsx/cjs bench/simulate-e2e.ts [--lines N]");
    process.exit(2);
  }
  console.log(e2eText(simulateE2e(lines, (s) => process.stderr.write(`${s}\n`))));
}
