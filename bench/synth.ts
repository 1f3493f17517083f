/**
 * `npm run bench:synth [-- --runs N] [-- --json]`: wall time and peak RSS of synthesizing the default
 * config with the real app, next to a baseline app (bench/baseline-app.ts: the three providers and one
 * resource each), checked against DESIGN.md "Performance budgets":
 *   - `npm start` within 2x of the baseline synthesized the same way, through `cdktf synth` (median
 *     wall time): the budget as DESIGN.md words it;
 *   - the app alone within 2x of the baseline alone (both started directly with cdktf.json's app
 *     command, no cdktf-cli on either side): a stricter figure, with its own verdict;
 *   - peak RSS < 500 MB (worst run of the app; MB = 10^6 bytes).
 *
 * Every pair runs one child process per run, one warm-up run each first, then the two alternate run
 * by run. The apps run with the node flags of cdktf.json's app command (outdir from CDKTF_OUTDIR).
 * Peak RSS comes from bench/rss-probe.js, preloaded with a second `--require`, so no GNU time is
 * needed. `npm start` runs as package.json's start script says (outdir from LURE_OUTDIR).
 *
 * A benchmark, not a test: it exits 0 when a budget fails (and prints FAIL), 1 only when a run fails.
 */
import { spawn } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { cpus, tmpdir } from "os";
import { join, resolve } from "path";

const ROOT = resolve(__dirname, "..");
const RSS_PROBE = join(__dirname, "rss-probe.js");
/** Where modules/core/bundle.ts caches function bundles. */
const FUNCTION_CACHE = join(__dirname, "..", "node_modules", ".cache", "lure", "functions");
const WALL_RATIO_BUDGET = 2;
const RSS_BUDGET_BYTES = 500e6;

interface Run {
  wallMs: number;
  /** Peak RSS in KiB; undefined for runs that are timed only. */
  maxRssKiB?: number;
}

interface Stats {
  median: number;
  min: number;
  max: number;
}

interface Options {
  runs: number;
  json: boolean;
}

function usage(): string {
  return "usage: npm run bench:synth -- [--runs N] [--json]";
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { runs: 5, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") opts.json = true;
    else if (a === "--runs" || a.startsWith("--runs=")) {
      const v = a === "--runs" ? argv[++i] : a.slice("--runs=".length);
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--runs needs a positive integer, got ${JSON.stringify(v)}\n${usage()}`);
      opts.runs = n;
    } else if (a === "--help" || a === "-h") {
      console.log(usage());
      process.exit(0);
    } else throw new Error(`unknown argument ${JSON.stringify(a)}\n${usage()}`);
  }
  return opts;
}

/** The environment for a child: the default config, no outdir or probe file inherited from the caller. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", DISABLE_VERSION_CHECK: "true", CI: "true" };
  for (const k of ["LURE_CONFIG", "LURE_OUTDIR", "CDKTF_OUTDIR", "LURE_RSS_FILE", "NODE_OPTIONS"]) delete env[k];
  return { ...env, ...extra };
}

/** Spawns `command <args>` (default: this node) in ROOT and resolves with the wall time from spawn to exit. Rejects on failure. */
function timeNode(args: string[], env: NodeJS.ProcessEnv, command = process.execPath): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    let output = "";
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolvePromise(wallMs);
      else reject(new Error(`\`${command} ${args.join(" ")}\` failed (${code ?? signal}):\n${output.trim()}`));
    });
  });
}

/** Stack names in a synthesized outdir; throws if the manifest or a stack's file is missing. */
function synthesizedStacks(outdir: string): string[] {
  const manifestFile = join(outdir, "manifest.json");
  if (!existsSync(manifestFile)) throw new Error(`no ${manifestFile}: the app did not write to the outdir it was given`);
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { stacks?: Record<string, { synthesizedStackPath?: string }> };
  const stacks = Object.entries(manifest.stacks ?? {});
  if (stacks.length === 0) throw new Error(`${manifestFile} lists no stacks`);
  for (const [name, s] of stacks) {
    const file = join(outdir, s.synthesizedStackPath ?? join("stacks", name, "cdk.tf.json"));
    if (!existsSync(file)) throw new Error(`stack ${name}: ${file} was not written`);
  }
  return stacks.map(([name]) => name);
}

function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "lure-bench-"));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/**
 * The node arguments of cdktf.json's app command, minus the app file: the baseline runs with exactly
 * the same loader flags as the real app.
 */
function appCommandFlags(): string[] {
  const app = (JSON.parse(readFileSync(join(ROOT, "cdktf.json"), "utf8")) as { app: string }).app.trim().split(/\s+/);
  if (app[0] !== "node" || app[app.length - 1] !== "main.ts") throw new Error(`cdktf.json app command is not "node ... main.ts": ${app.join(" ")}`);
  return app.slice(1, -1);
}
const APP_FLAGS = appCommandFlags();
const BASELINE_APP = "bench/baseline-app.ts";

/** One synth of `appFile` as cdktf runs it, into a fresh CDKTF_OUTDIR, with its peak RSS. */
function synthOnce(appFile: string): Promise<Run & { stacks: string[] }> {
  return withTempDir(async (dir) => {
    const outdir = join(dir, "out");
    const rssFile = join(dir, "maxrss");
    const wallMs = await timeNode(
      [...APP_FLAGS, "--require", RSS_PROBE, appFile],
      childEnv({ CDKTF_OUTDIR: outdir, LURE_RSS_FILE: rssFile }),
    );
    const stacks = synthesizedStacks(outdir);
    if (!existsSync(rssFile)) throw new Error(`${appFile}: the RSS probe wrote nothing`);
    const maxRssKiB = Number(readFileSync(rssFile, "utf8"));
    if (!Number.isFinite(maxRssKiB) || maxRssKiB <= 0) throw new Error(`${appFile}: bad RSS probe value`);
    return { wallMs, maxRssKiB, stacks };
  });
}

/** package.json's start script, which must be `node <args>`: the bench runs exactly what `npm start` runs. */
function startCommand(): string[] {
  const script = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start.trim().split(/\s+/);
  if (script[0] !== "node") throw new Error(`package.json's start script is not "node ...": ${script.join(" ")}`);
  return script.slice(1);
}
const START_ARGS = startCommand();
const CDKTF_CLI = join(ROOT, "node_modules", ".bin", "cdktf");

/** The `npm start` path (validate, cdktf-cli, synth, policy, summary) into a fresh LURE_OUTDIR, timed only. */
function startOnce(): Promise<Run & { stacks: string[] }> {
  return withTempDir(async (dir) => {
    const outdir = join(dir, "out");
    const wallMs = await timeNode(START_ARGS, childEnv({ LURE_OUTDIR: outdir }));
    return { wallMs, stacks: synthesizedStacks(outdir) };
  });
}

/** The baseline app synthesized as `npm start` synthesizes (`cdktf synth --output`), with the app command's flags; timed only. */
function baselineCliOnce(): Promise<Run & { stacks: string[] }> {
  return withTempDir(async (dir) => {
    const outdir = join(dir, "out");
    const app = ["node", ...APP_FLAGS, BASELINE_APP].join(" ");
    const wallMs = await timeNode(["synth", "--app", app, "--output", outdir], childEnv({}), CDKTF_CLI);
    return { wallMs, stacks: synthesizedStacks(outdir) };
  });
}

function stats(values: number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

const mb = (kib: number): number => (kib * 1024) / 1e6;
const fmtMs = (ms: number): string => `${ms.toFixed(0)} ms`;
const fmtMb = (kib: number): string => `${mb(kib).toFixed(1)} MB`;

interface Series {
  command: string;
  stacks: string[];
  runs: Run[];
  wallMs: Stats;
  /** Only for the rows that run with the RSS probe. */
  maxRssKiB?: Stats;
}

function summarize(command: string, results: Run[], stacks: string[]): Series {
  const rss = results.every((r) => r.maxRssKiB !== undefined) ? { maxRssKiB: stats(results.map((r) => r.maxRssKiB!)) } : {};
  return { command, stacks, runs: results, wallMs: stats(results.map((r) => r.wallMs)), ...rss };
}

const appCommand = (appFile: string): string => `CDKTF_OUTDIR=<tmp> node ${APP_FLAGS.join(" ")} ${appFile}`;

interface Contender {
  label: string;
  command: string;
  once: () => Promise<Run & { stacks: string[] }>;
}

/**
 * Runs every contender once to warm up (the preload's compile caches, the page cache), then `runs`
 * rounds of one run each, interleaved so that a change in machine load hits all of them alike.
 */
async function measure(contenders: Contender[], runs: number, log: (s: string) => void): Promise<Series[]> {
  for (const c of contenders) {
    log(`${c.label}: warm-up`);
    await c.once();
  }
  const results = contenders.map(() => [] as Run[]);
  const stacks = contenders.map(() => [] as string[]);
  for (let i = 1; i <= runs; i++) {
    for (const [k, c] of contenders.entries()) {
      const r = await c.once();
      log(`${c.label}: run ${i}/${runs}: ${fmtMs(r.wallMs)}${r.maxRssKiB === undefined ? "" : `, ${fmtMb(r.maxRssKiB)}`}`);
      results[k].push(r.maxRssKiB === undefined ? { wallMs: r.wallMs } : { wallMs: r.wallMs, maxRssKiB: r.maxRssKiB });
      stacks[k] = r.stacks;
    }
  }
  return contenders.map((c, k) => summarize(c.command, results[k], stacks[k]));
}

const direct = (label: string, appFile: string): Contender => ({ label, command: appCommand(appFile), once: () => synthOnce(appFile) });

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("   ").trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("   "), ...rows.slice(1).map(line)].join("\n");
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  // Progress goes to stderr so that `--json` output on stdout stays parseable.
  const log = (s: string) => process.stderr.write(`${s}\n`);

  const [app, baseline] = await measure([direct("app", "main.ts"), direct("baseline", BASELINE_APP)], opts.runs, log);
  // The rows above run with the function bundles cached (as every synth after the first does);
  // this row pays for esbuild each time, as a fresh checkout or a changed function does.
  const coldRuns: Run[] = [];
  for (let i = 1; i <= opts.runs; i++) {
    rmSync(FUNCTION_CACHE, { recursive: true, force: true });
    const r = await synthOnce("main.ts");
    log(`app, bundles not cached: run ${i}/${opts.runs}: ${fmtMs(r.wallMs)}, ${fmtMb(r.maxRssKiB!)}`);
    coldRuns.push({ wallMs: r.wallMs, maxRssKiB: r.maxRssKiB });
  }
  const cold = summarize(appCommand("main.ts"), coldRuns, app.stacks);
  const [start, baselineCli] = await measure(
    [
      { label: "npm start", command: `LURE_OUTDIR=<tmp> node ${START_ARGS.join(" ")}`, once: startOnce },
      { label: "baseline via cdktf synth", command: `cdktf synth --app "node ${APP_FLAGS.join(" ")} ${BASELINE_APP}" --output <tmp>`, once: baselineCliOnce },
    ],
    opts.runs,
    log,
  );

  const startRatio = start.wallMs.median / baselineCli.wallMs.median;
  const wallRatio = app.wallMs.median / baseline.wallMs.median;
  const coldRatio = cold.wallMs.median / baseline.wallMs.median;
  const rssRatio = app.maxRssKiB!.median / baseline.maxRssKiB!.median;
  const worstRssBytes = app.maxRssKiB!.max * 1024;
  const startPass = startRatio <= WALL_RATIO_BUDGET;
  const wallPass = wallRatio <= WALL_RATIO_BUDGET;
  const rssPass = worstRssBytes < RSS_BUDGET_BYTES;

  if (opts.json) {
    console.log(
      JSON.stringify(
        {
          machine: { cpus: cpus().length, node: process.version, platform: process.platform },
          runs: opts.runs,
          npmStart: start,
          baselineViaCdktfSynth: baselineCli,
          app,
          appBundlesNotCached: cold,
          baseline,
          ratios: { npmStartWall: startRatio, medianWall: wallRatio, medianMaxRss: rssRatio, medianWallBundlesNotCached: coldRatio },
          budgets: {
            npmStartWithin2xOfBaseline: { limit: WALL_RATIO_BUDGET, value: startRatio, pass: startPass },
            synthAloneWithin2xOfBaseline: { limit: WALL_RATIO_BUDGET, value: wallRatio, pass: wallPass },
            peakRssUnder500MB: { limitBytes: RSS_BUDGET_BYTES, valueBytes: worstRssBytes, pass: rssPass },
          },
        },
        null,
        2,
      ),
    );
    return 0;
  }

  const rssCells = (r: Series) => (r.maxRssKiB ? [fmtMb(r.maxRssKiB.median), fmtMb(r.maxRssKiB.min), fmtMb(r.maxRssKiB.max)] : ["", "", ""]);
  console.log(`\nsynth benchmark: ${opts.runs} run(s) each after 1 warm-up; ${cpus().length} CPU(s), node ${process.version}`);
  console.log(`npm start                = ${start.command}  (stacks: ${start.stacks.join(", ")})`);
  console.log(`baseline via cdktf synth = ${baselineCli.command}`);
  console.log(`app                      = ${app.command}`);
  console.log(`baseline                 = ${baseline.command}  (stacks: ${baseline.stacks.join(", ")})\n`);
  console.log(
    table([
      ["", "wall median", "wall min", "wall max", "peak RSS median", "peak RSS min", "peak RSS max"],
      ...([["npm start", start], ["baseline via cdktf synth", baselineCli]] as const).map(([name, r]) => [name, fmtMs(r.wallMs.median), fmtMs(r.wallMs.min), fmtMs(r.wallMs.max), ...rssCells(r)]),
      ["npm start / baseline", `${startRatio.toFixed(2)}x`, "", "", "", "", ""],
      ...([["app", app], ["app, bundles not cached", cold], ["baseline", baseline]] as const).map(([name, r]) => [name, fmtMs(r.wallMs.median), fmtMs(r.wallMs.min), fmtMs(r.wallMs.max), ...rssCells(r)]),
      ["app / baseline", `${wallRatio.toFixed(2)}x`, "", "", `${rssRatio.toFixed(2)}x`, "", ""],
      ["not cached / baseline", `${coldRatio.toFixed(2)}x`, "", "", "", "", ""],
    ]),
  );
  console.log("");
  console.log(
    `${startPass ? "PASS" : "FAIL"} npm start within ${WALL_RATIO_BUDGET}x of the baseline through cdktf synth (DESIGN.md's budget): ` +
      `median ${fmtMs(start.wallMs.median)} vs ${fmtMs(baselineCli.wallMs.median)} = ${startRatio.toFixed(2)}x`,
  );
  console.log(
    `${wallPass ? "PASS" : "FAIL"} synth alone within ${WALL_RATIO_BUDGET}x of the baseline alone (stricter: no cdktf-cli on either side): ` +
      `median ${fmtMs(app.wallMs.median)} vs ${fmtMs(baseline.wallMs.median)} = ${wallRatio.toFixed(2)}x`,
  );
  console.log(
    `${rssPass ? "PASS" : "FAIL"} peak RSS < ${RSS_BUDGET_BYTES / 1e6} MB: ` +
      `worst app run ${fmtMb(app.maxRssKiB!.max)} (median ${fmtMb(app.maxRssKiB!.median)}; baseline ${fmtMb(baseline.maxRssKiB!.median)})`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench:synth: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
