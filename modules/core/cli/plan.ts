/**
 * `npm run plan -- [stack…] [--offline] [--destroy] [--remote-state] [--context=<text>]`: check the
 * config exactly as `npm start` does, then `terraform init` and `terraform plan -out` per stack, and
 * print the summary the pull-request comment shows (the same code renders both, from
 * `terraform show -json`). Without stack names it plans every stack the check synthesized.
 *
 * Per stack it writes `<outdir>/plans/<stack>.md` (the comment), `.txt` (the plan as Terraform prints
 * it) and `.json` (the summary); the saved plan stays in the stack's folder as `lure.tfplan`.
 * `--offline` plans the AWS stacks with no AWS (see modules/core/plan/offline.ts) and says, for the
 * other clouds, what a plan needs.
 */
import { spawn, spawnSync } from "child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { join, relative } from "path";
import { CheckRefused } from "../check";
import { MIN_TERRAFORM_VERSION, olderThan } from "../toolchain";
import { mirrorOf, mirrorRc, mirroredAws, offlineAwsStack, offlineZones, OFFLINE_ACCOUNT, startAwsStandIn, type AwsStandIn } from "../plan/offline";
import { renderFailure, renderMarkdown, renderText, summarizePlan, type PlanJson, type PlanSummary } from "../plan/summary";
import { UsageError, configFor, unknownStacks } from "./deploy";
import { ROOT, check, outdirOf } from "./start";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const USAGE = "usage: npm run plan -- [<stack>…] [--offline] [--destroy] [--remote-state] [--context=<text>]";

export interface PlanArgs {
  readonly stacks: readonly string[];
  /** Plan AWS stacks against an empty state with the mirrored provider and no AWS. */
  readonly offline: boolean;
  /** A destroy plan (`terraform plan -destroy`). */
  readonly destroy: boolean;
  /** Refuse a stack whose state is local: a plan in CI against a fresh local state shows everything as new. */
  readonly remoteState: boolean;
  /** Where the plan ran (a commit), for the comment's heading. */
  readonly context?: string;
}

export function parsePlanArgs(argv: readonly string[]): PlanArgs {
  const stacks: string[] = [];
  let offline = false, destroy = false, remoteState = false;
  let context: string | undefined;
  for (const a of argv) {
    if (a === "--offline") offline = true;
    else if (a === "--destroy") destroy = true;
    else if (a === "--remote-state") remoteState = true;
    else if (a.startsWith("--context=")) context = a.slice("--context=".length);
    else if (a === "--help" || a === "-h") throw new UsageError(USAGE);
    else if (a.startsWith("-")) throw new UsageError(`lure: unknown option ${a}\n${USAGE}`);
    else stacks.push(a);
  }
  if (offline && remoteState) throw new UsageError(`lure: --offline plans against an empty state and --remote-state against the stack's backend: choose one\n${USAGE}`);
  return { stacks, offline, destroy, remoteState, ...(context ? { context } : {}) };
}

const cloudOf = (stack: string) => stack.split("-")[0];

/** What a plan of each cloud's stacks needs, said when it is missing or the plan fails. */
export const NEEDS: Readonly<Record<string, string>> = {
  aws: "AWS credentials that can read the stack's resources (AWS_PROFILE after `aws sso login`, or the usual AWS_* variables; in CI a role through OIDC) and its backend's bucket; or `--offline` for a plan with no AWS at all, against an empty state",
  azure: "the azurerm provider (terraform init downloads it from registry.terraform.io, or set a mirror in your Terraform CLI config) and Azure credentials: `az login` and `az account set --subscription <id>`, or ARM_CLIENT_ID, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID with ARM_USE_OIDC=true in CI; for an azurerm backend, the Storage Blob Data Contributor role on its container",
  gcp: "the google provider (terraform init downloads it from registry.terraform.io, or set a mirror in your Terraform CLI config) and Google Cloud credentials: `gcloud auth application-default login`, or GOOGLE_APPLICATION_CREDENTIALS, or workload identity federation in CI; the project from clouds.gcp.project or GOOGLE_CLOUD_PROJECT; for a gcs backend, object access on its bucket",
};

/** Why `--offline` plans only AWS stacks. */
const NO_OFFLINE = "an offline plan needs a provider that starts without its cloud: the aws provider does (fixed keys, its checks off, its two plan-time reads answered locally); azurerm signs in when it starts and google's data sources call the API, and neither provider is in this machine's mirror";

export interface Outcome {
  readonly stack: string;
  readonly status: "planned" | "skipped" | "failed";
  readonly summary?: PlanSummary;
  /** Why it was skipped or failed, and what it needs. */
  readonly why?: string;
  /** The saved plan file. */
  readonly planFile?: string;
}

export interface Ran { code: number | null; stdout: string; stderr: string }

/** Async, so the stand-in in this process answers while Terraform runs. */
export function terraform(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn("terraform", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (e) => resolve({ code: null, stdout, stderr: `${stderr}${e.message}` }));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Terraform's version, or what is wrong with the binary on PATH. */
export function terraformProblem(): string | undefined {
  const v = spawnSync("terraform", ["version", "-json"], { encoding: "utf8" });
  if (v.error || v.status !== 0) return `no terraform on PATH: install Terraform ${MIN_TERRAFORM_VERSION} or later (https://developer.hashicorp.com/terraform/install)`;
  const found = (JSON.parse(v.stdout) as { terraform_version: string }).terraform_version;
  return olderThan(found, MIN_TERRAFORM_VERSION) ? `terraform ${found} is older than ${MIN_TERRAFORM_VERSION}, which every stack requires` : undefined;
}

/** The environment for an offline plan: none of the caller's AWS or Terraform settings, and nothing leaves the machine. */
export function offlineEnv(env: NodeJS.ProcessEnv, rcFile: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !/^(AWS_|TF_)|_PROXY$/i.test(k)));
  return Object.assign(out, {
    TF_CLI_CONFIG_FILE: rcFile, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1",
    AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    // A proxy that is not there: a call to anything but the local stand-in fails instead of reaching AWS.
    HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "127.0.0.1",
  });
}

/** The state a stack's backend keeps, in words, or undefined when it is local. */
function remoteBackend(stack: Json): string | undefined {
  const [kind, settings] = Object.entries((stack.terraform?.backend ?? { local: {} }) as Record<string, Json>)[0] ?? ["local", {}];
  if (kind === "local") return undefined;
  return `${kind} ${settings.bucket ?? settings.storage_account_name ?? ""}`.trim();
}

interface StackRun {
  readonly stack: string;
  readonly json: Json;
  /** The folder Terraform runs in. */
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly args: PlanArgs;
}

async function planIn(r: StackRun): Promise<{ summary: PlanSummary; text: string } | { error: string }> {
  const fail = (step: string, ran: Ran) => ({ error: `terraform ${step} failed (exit ${ran.code ?? "none"})\n${(ran.stderr || ran.stdout).trim()}` });
  const init = await terraform(["init", "-input=false", "-no-color"], r.dir, r.env);
  if (init.code !== 0) return fail("init", init);
  const plan = await terraform(["plan", "-input=false", "-no-color", "-lock-timeout=120s", "-out=lure.tfplan", ...(r.args.destroy ? ["-destroy"] : [])], r.dir, r.env);
  if (plan.code !== 0) return fail("plan", plan);
  const [json, text] = await Promise.all([terraform(["show", "-json", "lure.tfplan"], r.dir, r.env), terraform(["show", "-no-color", "lure.tfplan"], r.dir, r.env)]);
  if (json.code !== 0) return fail("show -json", json);
  if (text.code !== 0) return fail("show", text);
  return { summary: summarizePlan(JSON.parse(json.stdout) as PlanJson), text: text.stdout };
}

/**
 * Plans one stack and writes its comment, text and summary under `plansDir`; a stack that fails
 * before Terraform runs gets a failure comment too, and no file of an earlier run survives.
 */
export async function planStack(stack: string, outdir: string, plansDir: string, args: PlanArgs, standIn: () => Promise<AwsStandIn>, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const file = (ext: string) => join(plansDir, `${stack}.${ext}`);
  for (const ext of ["md", "txt", "json"]) rmSync(file(ext), { force: true });
  const outcome = await planOne(stack, outdir, plansDir, args, standIn, env);
  if (outcome.status === "failed" && !existsSync(file("md"))) {
    mkdirSync(plansDir, { recursive: true });
    writeFileSync(file("md"), renderFailure(stack, outcome.why ?? "", args.context));
  }
  return outcome;
}

async function planOne(stack: string, outdir: string, plansDir: string, args: PlanArgs, standIn: () => Promise<AwsStandIn>, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const cloud = cloudOf(stack);
  const json = JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")) as Json;
  let run: StackRun;
  let context = args.context;
  if (args.offline) {
    if (cloud !== "aws") return { stack, status: "skipped", why: `not planned offline: ${NO_OFFLINE}. A plan of ${stack} needs ${NEEDS[cloud] ?? "its cloud's provider and credentials"}.` };
    const mirror = mirrorOf(env);
    const version = mirroredAws(mirror);
    if (!version) return { stack, status: "failed", why: `no hashicorp/aws provider in the mirror ${mirror}: set LURE_TF_MIRROR to a folder made with \`terraform providers mirror <folder>\` (run in ${relative(ROOT, join(outdir, "stacks", stack)) || "."} on a machine with network)` };
    const dir = join(plansDir, "offline", stack);
    mkdirSync(dir, { recursive: true });
    const endpoint = (await standIn()).url;
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify(offlineAwsStack(json, version, endpoint), null, 1));
    writeFileSync(join(dir, "terraformrc"), mirrorRc(mirror));
    const region = String((json.provider?.aws as Json[] | undefined)?.[0]?.region ?? "us-east-1");
    context ??= `offline: an empty state, hashicorp/aws ${version} from ${mirror}, no AWS calls (account ${OFFLINE_ACCOUNT}, zones ${offlineZones(region).join(", ")} stand in)`;
    run = { stack, json, dir, env: offlineEnv(env, join(dir, "terraformrc")), args };
  } else {
    if (args.remoteState && !remoteBackend(json)) {
      return { stack, status: "failed", why: `its state is local: a plan against a fresh local state shows every resource as new. Set clouds.${cloud}.backend in the config (${cloud === "aws" ? "type s3" : cloud === "azure" ? "type azurerm" : "type gcs"}) so the plan reads the state the last apply wrote.` };
    }
    run = { stack, json, dir: join(outdir, "stacks", stack), env: { ...env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" }, args };
  }
  const result = await planIn(run);
  mkdirSync(plansDir, { recursive: true });
  const file = (ext: string) => join(plansDir, `${stack}.${ext}`);
  if ("error" in result) {
    const why = `${result.error}\n\nA plan of ${stack} needs ${NEEDS[cloud] ?? "its cloud's provider and credentials"}.`;
    writeFileSync(file("md"), renderFailure(stack, why, context));
    return { stack, status: "failed", why };
  }
  writeFileSync(file("md"), renderMarkdown(result.summary, { stack, planText: result.text, ...(context ? { context } : {}) }));
  writeFileSync(file("txt"), result.text);
  writeFileSync(file("json"), `${JSON.stringify(result.summary, null, 2)}\n`);
  return { stack, status: "planned", summary: result.summary, planFile: join(run.dir, "lure.tfplan") };
}

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const outdir = outdirOf(env);
  let args: PlanArgs;
  let file: string;
  try {
    args = parsePlanArgs(argv);
    file = configFor(env, outdir);
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof CheckRefused)) throw e;
    console.error(e.message);
    return 1;
  }
  const result = check(file, outdir);
  if (!("record" in result)) return result.status;
  const unknown = unknownStacks(args.stacks, result.record);
  if (unknown) {
    console.error(unknown);
    return 1;
  }
  const stacks = args.stacks.length > 0 ? args.stacks : result.record.stacks;
  const problem = terraformProblem();
  if (problem) {
    console.error(`lure: cannot plan: ${problem}`);
    return 1;
  }
  const plansDir = join(outdir, "plans");
  let standIn: Promise<AwsStandIn> | undefined;
  const outcomes: Outcome[] = [];
  try {
    console.log(`\nlure: terraform plan${args.destroy ? " -destroy" : ""} of ${stacks.join(", ")}${args.offline ? " (offline)" : ""}, on the stacks just checked in ${outdir}`);
    // One stack at a time: each plan already runs its provider's calls in parallel.
    for (const stack of stacks) {
      const o = await planStack(stack, outdir, plansDir, args, () => (standIn ??= startAwsStandIn()), env);
      outcomes.push(o);
      if (o.summary) console.log(`\n${renderText(o.summary, stack)}\n  saved plan: ${relative(process.cwd(), o.planFile!)}; comment: ${relative(process.cwd(), join(plansDir, `${stack}.md`))}`);
      else console.log(`\n${stack}: ${o.status}: ${o.why}`);
    }
  } finally {
    if (standIn) await (await standIn).close();
  }
  const failed = outcomes.filter((o) => o.status === "failed").map((o) => o.stack);
  const skipped = outcomes.filter((o) => o.status === "skipped").map((o) => o.stack);
  const planned = outcomes.length - failed.length - skipped.length;
  console.log(`\nlure: ${planned} planned${skipped.length ? `, ${skipped.length} skipped (${skipped.join(", ")})` : ""}${failed.length ? `, ${failed.length} failed (${failed.join(", ")})` : ""}`);
  return failed.length > 0 ? 1 : 0;
}

if (require.main === module) void run(process.argv.slice(2)).then((code) => process.exit(code));
