/**
 * `npm start`: validate the config (nothing is written when it is invalid), run `cdktf synth` (the
 * app checks the policy rules on what it wrote and records the check), and print a summary.
 */
import { spawnSync } from "child_process";
import { join, resolve } from "path";
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from "../config";
import { formatSummary, summarizeOutput, type StackSummary } from "../summary";
import { LURE_COMMAND_ENV, readRecord, sameFile, type CheckRecord } from "../check";

export const ROOT = resolve(__dirname, "../../..");
export const CDKTF = join(ROOT, "node_modules", ".bin", "cdktf");

/** Where lure's commands synthesize: `LURE_OUTDIR` (tests use a scratch folder), else `cdktf.out`. */
export const outdirOf = (env: NodeJS.ProcessEnv): string => (env.LURE_OUTDIR ? resolve(env.LURE_OUTDIR) : join(ROOT, "cdktf.out"));

/** The environment for cdktf-cli: no telemetry, no version check. */
export const cdktfEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...env, CHECKPOINT_DISABLE: "1", DISABLE_VERSION_CHECK: "true" });

export type CheckResult = { status: 0; record: CheckRecord; stacks: StackSummary[] } | { status: number };

/**
 * The whole check of `file` into `outdir`: validate, synthesize through cdktf-cli (whose app runs the
 * policy rules and writes the record), print the summary and the policy line.
 */
export function check(file: string, outdir: string): CheckResult {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`lure: invalid configuration; nothing was synthesized.\n${e.message}`);
      return { status: 1 };
    }
    throw e;
  }
  const synth = spawnSync(CDKTF, ["synth", "--output", outdir], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...cdktfEnv(process.env), CI: "true", LURE_CONFIG: file, [LURE_COMMAND_ENV]: "1" },
  });
  if (synth.status !== 0) {
    console.error(`lure: cdktf synth failed (exit ${synth.status ?? synth.signal})\n${synth.stdout}\n${synth.stderr}`);
    return { status: synth.status ?? 1 };
  }
  // The app read the file again: make sure the summary below describes the bytes it checked.
  const record = readRecord(outdir);
  if (!record || !sameFile(record.config, file) || record.sha256 !== loaded.sha256) {
    console.error(`lure: ${file} changed while it was synthesized (or ${outdir} was written by another run); run the command again.`);
    return { status: 1 };
  }
  const stacks = summarizeOutput(outdir);
  console.log(formatSummary(stacks, loaded.config, loaded.file, loaded.warnings));
  console.log(`policy: ${record.stacks.length} stack(s) checked, no violations`);
  return { status: 0, record, stacks };
}

/** `npm start` checks `LURE_CONFIG`, else the default config. */
export function start(env: NodeJS.ProcessEnv = process.env): number {
  return check(resolve(env.LURE_CONFIG || DEFAULT_CONFIG_FILE), outdirOf(env)).status;
}

if (require.main === module) process.exit(start());
