/**
 * The check every synth goes through, and the record it leaves.
 *
 * cdktf runs the app again for `cdktf deploy`, `diff` and `destroy`, and every config writes the same
 * state file. So the app (main.ts) validates the config, synthesizes, runs the policy rules on what it
 * wrote and, when all pass, records which config it checked in the output directory
 * (`<outdir>/lure-check.json`). A later synth that lure's own commands did not start (a direct
 * `npx cdktf deploy`) takes its config from that record and refuses another config, or the recorded
 * one changed since, instead of silently synthesizing the default.
 */
import { existsSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from "fs";
import { dirname, join, resolve } from "path";
import { DEFAULT_CONFIG_FILE, sha256Of } from "./config";
import { checkStack, type Violation } from "./policy";
import type { StackSummary } from "./summary";

/** The record's file name in the output directory. cdktf-cli leaves files at the outdir's top alone. */
export const CHECK_RECORD = "lure-check.json";

/**
 * Set to "1" by `npm start` and `npm run deploy|diff|destroy` on the synth they start: they chose the
 * config themselves (and say which), so the app checks and records it instead of comparing it with
 * the record. Internal; nothing else should set it.
 */
export const LURE_COMMAND_ENV = "LURE_COMMAND_SYNTH";

/** What `<outdir>/lure-check.json` holds after a successful check. */
export interface CheckRecord {
  /** Absolute path of the config checked. */
  readonly config: string;
  /** SHA-256 (hex) of its bytes when it was checked. */
  readonly sha256: string;
  /** The stacks synthesized and checked, in manifest order. */
  readonly stacks: readonly string[];
  /** ISO 8601 time of the check. */
  readonly checkedAt: string;
}

/** A synth that must not go ahead; the message says why and what to run instead. */
export class CheckRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckRefused";
  }
}

/** The output directory's record, or undefined when there is none. A record lure did not write is refused. */
export function readRecord(outdir: string): CheckRecord | undefined {
  const file = join(outdir, CHECK_RECORD);
  if (!existsSync(file)) return undefined;
  let r: Partial<CheckRecord> | undefined;
  try {
    r = JSON.parse(readFileSync(file, "utf8")) as Partial<CheckRecord>;
  } catch {
    r = undefined;
  }
  if (!r || typeof r.config !== "string" || typeof r.sha256 !== "string" || !Array.isArray(r.stacks) || typeof r.checkedAt !== "string") {
    throw new CheckRefused(`lure: ${file} is not a check record lure wrote; nothing was synthesized.\n  Check a config again to replace it: LURE_CONFIG=<file> npm start`);
  }
  return r as CheckRecord;
}

/** Write then rename, so that a reader never sees half a record. */
export function writeRecord(outdir: string, record: CheckRecord): void {
  const file = join(outdir, CHECK_RECORD);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** True when both paths name the same file (symlinks and `./` spellings resolved). */
export function sameFile(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

/**
 * Local state files of lure's stacks where the default backend keeps them: beside the output folder
 * (`<outdir>/../terraform.<stack>.tfstate`, as providers/aws.ts sets the path).
 */
export function localStates(outdir: string): string[] {
  const root = dirname(resolve(outdir));
  try {
    return readdirSync(root).filter((f) => /^terraform\.[a-z0-9-]+\.tfstate$/.test(f)).map((f) => join(root, f));
  } catch {
    return [];
  }
}

/** A path as a shell word: quoted only when it needs to be. */
export const shellWord = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The config file this synth uses. lure's commands (`LURE_COMMAND_SYNTH=1`) name it in `LURE_CONFIG`.
 * Any other synth: `LURE_CONFIG` if set, else the one recorded in `outdir`, else the default; with a
 * record, another file or changed bytes are refused (nothing is written).
 */
export function configToCheck(outdir: string, env: NodeJS.ProcessEnv): string {
  const named = env.LURE_CONFIG ? resolve(env.LURE_CONFIG) : undefined;
  if (env[LURE_COMMAND_ENV] === "1") return named ?? DEFAULT_CONFIG_FILE;
  const then = "(then npm run deploy -- <stack>)";
  const record = readRecord(outdir);
  if (!record) {
    // No record but state: the output folder was removed (or is another), and the default config would
    // silently replace what that state holds. An explicit LURE_CONFIG is the user's own choice.
    const states = named ? [] : localStates(outdir);
    if (states.length > 0) {
      throw new CheckRefused(
        [
          `lure: ${states.join(", ")} ${states.length === 1 ? "exists" : "exist"}, but ${outdir} has no record of the config that made ${states.length === 1 ? "it" : "them"}; nothing was synthesized.`,
          `  Check the config you deploy: LURE_CONFIG=<file> npm start ${then}, or npm start for the default ${DEFAULT_CONFIG_FILE}`,
        ].join("\n"),
      );
    }
    return named ?? DEFAULT_CONFIG_FILE;
  }
  const file = named ?? record.config;
  const when = `checked ${record.checkedAt}`;
  if (!sameFile(file, record.config)) {
    throw new CheckRefused(
      [
        `lure: ${outdir} holds the stacks of ${record.config} (${when}), but LURE_CONFIG names ${file}; nothing was synthesized.`,
        `  To use ${file}, check it first: LURE_CONFIG=${shellWord(file)} npm start ${then}`,
        `  To use ${record.config}: unset LURE_CONFIG`,
      ].join("\n"),
    );
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new CheckRefused(`lure: ${file} was ${when} for ${outdir} but cannot be read now (${(e as Error).message}); nothing was synthesized.\n  Check the config you mean to deploy: LURE_CONFIG=<file> npm start ${then}`);
  }
  if (sha256Of(bytes) !== record.sha256) {
    throw new CheckRefused(`lure: ${file} changed since it was ${when} for ${outdir}; nothing was synthesized.\n  Check it again: LURE_CONFIG=${shellWord(file)} npm start ${then}`);
  }
  return file;
}

/** Every policy violation in the synthesized stacks, each with its stack's name. */
export function policyViolations(stacks: readonly StackSummary[]): (Violation & { stack: string })[] {
  return stacks.flatMap((s) => checkStack(s.stack).map((v) => ({ ...v, stack: s.name })));
}

/**
 * Makes an output that failed its check undeployable: without `manifest.json`, `cdktf deploy
 * --skip-synth` has nothing to deploy. The stack files stay for inspection; the record stays too, so
 * that the next direct synth still uses the config last checked, never the default.
 */
export function discardOutput(outdir: string): void {
  rmSync(join(outdir, "manifest.json"), { force: true });
}
