/**
 * `npm run bench:synth [-- --runs N] [-- --json]`: wall time and peak RSS of synthesizing the default
 * config with the real app, next to a baseline app (bench/baseline-app.ts: the three providers and one
 * resource each), checked against DESIGN.md "Performance budgets":
 *   - synth within 2x of the baseline (median wall time, app / baseline);
 *   - peak RSS < 500 MB (worst run of the app; MB = 10^6 bytes).
 *
 * Both apps run with the node flags of cdktf.json's app command (outdir from CDKTF_OUTDIR), one
 * child process per run, one warm-up run each first, then the apps alternate run by run. Peak RSS comes from bench/rss-probe.js, preloaded
 * with a second `--require`, so no GNU time is needed. The full `npm start` path (config validation,
 * cdktf-cli, synth, summary, policy) is timed once, wall time only.
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

/** Spawns `node <args>` in ROOT and resolves with the wall time from spawn to exit. Rejects on failure. */
function timeNode(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    let output = "";
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolvePromise(wallMs);
      else reject(new Error(`\`node ${args.join(" ")}\` failed (${code ?? signal}):\n${output.trim()}`));
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

/** The `npm start` path, into a fresh LURE_OUTDIR, timed only. */
function startOnce(): Promise<Run & { stacks: string[] }> {
  return withTempDir(async (dir) => {
    const outdir = join(dir, "out");
    const wallMs = await timeNode(["--require", "tsx/cjs", "modules/core/cli/start.ts"], childEnv({ LURE_OUTDIR: outdir }));
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

type Series = ReturnType<typeof summarize>;

function summarize(appFile: string, results: Run[], stacks: string[]) {
  return {
    command: `CDKTF_OUTDIR=<tmp> node ${APP_FLAGS.join(" ")} ${appFile}`,
    stacks,
    runs: results,
    wallMs: stats(results.map((r) => r.wallMs)),
    maxRssKiB: stats(results.map((r) => r.maxRssKiB!)),
  };
}

/**
 * Runs every app once to warm up (tsx's transform cache, the page cache), then `runs` rounds of one
 * run per app, interleaved so that a change in machine load hits all apps alike.
 */
async function measure(apps: { label: string; file: string }[], runs: number, log: (s: string) => void): Promise<Series[]> {
  for (const a of apps) {
    log(`${a.label}: warm-up`);
    await synthOnce(a.file);
  }
  const results = apps.map(() => [] as Run[]);
  const stacks = apps.map(() => [] as string[]);
  for (let i = 1; i <= runs; i++) {
    for (const [k, a] of apps.entries()) {
      const r = await synthOnce(a.file);
      log(`${a.label}: run ${i}/${runs}: ${fmtMs(r.wallMs)}, ${fmtMb(r.maxRssKiB!)}`);
      results[k].push({ wallMs: r.wallMs, maxRssKiB: r.maxRssKiB });
      stacks[k] = r.stacks;
    }
  }
  return apps.map((a, k) => summarize(a.file, results[k], stacks[k]));
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("   ").trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("   "), ...rows.slice(1).map(line)].join("\n");
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  // Progress goes to stderr so that `--json` output on stdout stays parseable.
  const log = (s: string) => process.stderr.write(`${s}\n`);

  const [app, baseline] = await measure(
    [
      { label: "app", file: "main.ts" },
      { label: "baseline", file: "bench/baseline-app.ts" },
    ],
    opts.runs,
    log,
  );
  // The rows above run with the function bundles cached (as every synth after the first does);
  // this row pays for esbuild each time, as a fresh checkout or a changed function does.
  const coldRuns: Run[] = [];
  for (let i = 1; i <= opts.runs; i++) {
    rmSync(FUNCTION_CACHE, { recursive: true, force: true });
    const r = await synthOnce("main.ts");
    log(`app, bundles not cached: run ${i}/${opts.runs}: ${fmtMs(r.wallMs)}, ${fmtMb(r.maxRssKiB!)}`);
    coldRuns.push({ wallMs: r.wallMs, maxRssKiB: r.maxRssKiB });
  }
  const cold = summarize("main.ts", coldRuns, app.stacks);
  const coldRatio = cold.wallMs.median / baseline.wallMs.median;
  log("npm start: 1 run");
  const start = await startOnce();

  const wallRatio = app.wallMs.median / baseline.wallMs.median;
  const rssRatio = app.maxRssKiB.median / baseline.maxRssKiB.median;
  const worstRssBytes = app.maxRssKiB.max * 1024;
  const wallPass = wallRatio <= WALL_RATIO_BUDGET;
  const rssPass = worstRssBytes < RSS_BUDGET_BYTES;

  if (opts.json) {
    console.log(
      JSON.stringify(
        {
          machine: { cpus: cpus().length, node: process.version, platform: process.platform },
          runs: opts.runs,
          app,
          appBundlesNotCached: cold,
          baseline,
          npmStart: { command: "LURE_OUTDIR=<tmp> node --require tsx/cjs modules/core/cli/start.ts", stacks: start.stacks, wallMs: start.wallMs },
          ratios: { medianWall: wallRatio, medianMaxRss: rssRatio, medianWallBundlesNotCached: coldRatio },
          budgets: {
            wallWithin2xOfBaseline: { limit: WALL_RATIO_BUDGET, value: wallRatio, pass: wallPass },
            peakRssUnder500MB: { limitBytes: RSS_BUDGET_BYTES, valueBytes: worstRssBytes, pass: rssPass },
          },
        },
        null,
        2,
      ),
    );
    return 0;
  }

  console.log(`\nsynth benchmark: ${opts.runs} run(s) each after 1 warm-up; ${cpus().length} CPU(s), node ${process.version}`);
  console.log(`app      = node ${APP_FLAGS.join(" ")} main.ts  (stacks: ${app.stacks.join(", ")})`);
  console.log(`baseline = node ${APP_FLAGS.join(" ")} bench/baseline-app.ts  (stacks: ${baseline.stacks.join(", ")})\n`);
  console.log(
    table([
      ["", "wall median", "wall min", "wall max", "peak RSS median", "peak RSS min", "peak RSS max"],
      ...([["app", app], ["app, bundles not cached", cold], ["baseline", baseline]] as const).map(([name, r]) => {
        return [name, fmtMs(r.wallMs.median), fmtMs(r.wallMs.min), fmtMs(r.wallMs.max), fmtMb(r.maxRssKiB.median), fmtMb(r.maxRssKiB.min), fmtMb(r.maxRssKiB.max)];
      }),
      ["app / baseline", `${wallRatio.toFixed(2)}x`, "", "", `${rssRatio.toFixed(2)}x`, "", ""],
      ["not cached / baseline", `${coldRatio.toFixed(2)}x`, "", "", "", "", ""],
    ]),
  );
  console.log(`\nnpm start (validate + cdktf-cli + synth + summary + policy), 1 run: ${fmtMs(start.wallMs)} wall`);
  console.log(`  (stacks: ${start.stacks.join(", ")}; includes cdktf-cli start-up, so not comparable with the rows above)\n`);
  console.log(
    `${wallPass ? "PASS" : "FAIL"} synth wall time within ${WALL_RATIO_BUDGET}x of baseline: ` +
      `median ${fmtMs(app.wallMs.median)} vs ${fmtMs(baseline.wallMs.median)} = ${wallRatio.toFixed(2)}x`,
  );
  console.log(
    `${rssPass ? "PASS" : "FAIL"} peak RSS < ${RSS_BUDGET_BYTES / 1e6} MB: ` +
      `worst app run ${fmtMb(app.maxRssKiB.max)} (median ${fmtMb(app.maxRssKiB.median)}; baseline ${fmtMb(baseline.maxRssKiB.median)})`,
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
