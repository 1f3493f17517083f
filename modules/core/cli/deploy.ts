/**
 * `npm run deploy|diff|destroy -- <stack…> [cdktf options]`: check the config again exactly as
 * `npm start` does (validate, synth, policy, summary), then hand Terraform the JSON just checked:
 * `cdktf <command> <stacks> --skip-synth --output <outdir> [options]`.
 *
 * The config is `LURE_CONFIG` if set, else the one the last check in the output directory recorded,
 * else the default; the command says which before it starts.
 */
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { resolve } from "path";
import { CheckRefused, LURE_COMMAND_ENV, readRecord, type CheckRecord } from "../check";
import { DEFAULT_CONFIG_FILE, sha256Of } from "../config";
import { CDKTF, ROOT, cdktfEnv, check, outdirOf } from "./start";

const COMMANDS = ["deploy", "diff", "destroy"] as const;
type Command = (typeof COMMANDS)[number];

/** Options lure sets itself: passing them would deploy something other than what was checked. */
const OWN_OPTIONS = ["--skip-synth", "--output", "-o", "--app", "-a"];

const usage = (command: string) => `usage: ${command === "diff" ? "npm run diff -- <stack>" : `npm run ${command} -- <stack> [<stack>…]`} [cdktf ${command} options, e.g. --auto-approve]`;

/** Arguments that cannot work; the message says what to type instead. */
export class UsageError extends Error {}

export interface Parsed {
  readonly command: Command;
  /** The stack names: the arguments before the first option. */
  readonly stacks: readonly string[];
  /** Everything from the first option on, for cdktf. */
  readonly options: readonly string[];
}

/** `argv` is `<command> <stack…> [options]`. */
export function parseArgs(argv: readonly string[]): Parsed {
  const [command, ...rest] = argv;
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`lure: unknown command ${JSON.stringify(command)}; use one of ${COMMANDS.join(", ")}`);
  const first = rest.findIndex((a) => a.startsWith("-"));
  const stacks = first === -1 ? rest : rest.slice(0, first);
  const options = first === -1 ? [] : rest.slice(first);
  // Long options may carry their value after "=", short ones right after the letter (-o/tmp/x).
  const isOwn = (o: string) => OWN_OPTIONS.some((x) => o === x || o.startsWith(`${x}=`) || (!x.startsWith("--") && o.startsWith(x) && !o.startsWith("--")));
  const own = options.find(isOwn);
  if (own) throw new UsageError(`lure: ${own} is set by lure (it deploys exactly the stacks it has just checked; LURE_OUTDIR picks the folder)\n${usage(command)}`);
  if (stacks.length === 0) throw new UsageError(`lure: name the stack(s), e.g. npm run ${command} -- aws-honeynet\n${usage(command)}`);
  if (command === "diff" && stacks.length > 1) throw new UsageError(`lure: diff takes one stack\n${usage(command)}`);
  return { command: command as Command, stacks, options };
}

/** The error for stacks the check did not synthesize (a typo, or a stack the config leaves out), listing those it did. */
export function unknownStacks(stacks: readonly string[], record: CheckRecord): string | undefined {
  const unknown = stacks.filter((s) => !record.stacks.includes(s));
  if (unknown.length === 0) return undefined;
  return `lure: no stack ${unknown.join(", ")} in the stacks of ${record.config}; it synthesized: ${record.stacks.join(", ")}`;
}

/** The config to check: `LURE_CONFIG`, else the recorded one (noting when it changed since), else the default. */
export function configFor(env: NodeJS.ProcessEnv, outdir: string): string {
  if (env.LURE_CONFIG) return resolve(env.LURE_CONFIG);
  const record = readRecord(outdir);
  if (!record) {
    console.log(`lure: no check recorded in ${outdir}; using the default config ${DEFAULT_CONFIG_FILE}`);
    return DEFAULT_CONFIG_FILE;
  }
  let changed = false;
  try {
    changed = sha256Of(readFileSync(record.config)) !== record.sha256;
  } catch {
    // unreadable: the check reports it
  }
  console.log(`lure: using ${record.config}, the config last checked in ${outdir} (${record.checkedAt})${changed ? "; it changed since, so its current version is checked" : ""}`);
  return record.config;
}

export function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const outdir = outdirOf(env);
  let parsed: Parsed;
  let file: string;
  try {
    parsed = parseArgs(argv);
    file = configFor(env, outdir);
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof CheckRefused)) throw e;
    console.error(e.message);
    return 1;
  }
  const result = check(file, outdir);
  if (!("record" in result)) return result.status;
  const unknown = unknownStacks(parsed.stacks, result.record);
  if (unknown) {
    console.error(unknown);
    return 1;
  }
  console.log(`\nlure: cdktf ${parsed.command} ${parsed.stacks.join(" ")}, on the stacks just checked in ${outdir}`);
  // --skip-synth: Terraform gets the JSON checked above, not a fresh synth.
  const cdktfArgs = [parsed.command, ...parsed.stacks, "--skip-synth", "--output", outdir, ...parsed.options];
  const childEnv = cdktfEnv(env);
  delete childEnv[LURE_COMMAND_ENV];
  const r = spawnSync(CDKTF, cdktfArgs, { cwd: ROOT, stdio: "inherit", env: childEnv });
  if (r.error) console.error(`lure: cannot run ${CDKTF} (${r.error.message}); run npm ci first`);
  return r.status ?? 1;
}

if (require.main === module) process.exit(run(process.argv.slice(2)));
