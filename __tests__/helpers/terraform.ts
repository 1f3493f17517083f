/**
 * `terraform plan` of synthesized stacks, offline: `terraform test` against a local provider mirror (the
 * machine's /opt/tf-plugins, or LURE_TF_MIRROR), with `override_data` for the data sources that call
 * AWS. Where terraform or the mirror is missing, callers skip.
 */
import { spawnSync } from "child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { createServer, type Server } from "net";
import { availableParallelism, tmpdir } from "os";
import { join } from "path";
import type { Json } from "./synth";
import { MIN_TERRAFORM_VERSION, olderThan } from "../../modules/core/toolchain";
import { mirrorOf, mirrorRc, mirroredAws, offlineAwsStack } from "../../modules/core/plan/offline";
import { offlineEnv, terraform } from "../../modules/core/cli/plan";

export const MIRROR = mirrorOf(process.env);

export function terraformAvailable(): { ok: true; awsVersion: string } | { ok: false; why: string } {
  const v = spawnSync("terraform", ["version", "-json"], { encoding: "utf8" });
  if (v.status !== 0) return { ok: false, why: "no terraform binary" };
  // Every stack declares required_version: an older binary would refuse them all, which says nothing about lure.
  const found = (JSON.parse(v.stdout) as { terraform_version: string }).terraform_version;
  if (olderThan(found, MIN_TERRAFORM_VERSION)) return { ok: false, why: `terraform ${found} is older than ${MIN_TERRAFORM_VERSION}, which every stack requires` };
  const awsVersion = mirroredAws(MIRROR);
  return awsVersion ? { ok: true, awsVersion } : { ok: false, why: `no AWS provider in ${MIRROR}` };
}

export interface Diagnostic { severity: string; summary: string; detail?: string; address?: string }

/** A stack to plan; `overrideData: false` leaves its AWS-reading data sources to the (trapped) network. */
export interface PlanCase { name: string; stack: Json; overrideData?: boolean }

/** `terraform test`'s status of the case's run ("pass", "error", …), or "missing" if it never reported one. */
export interface PlanResult { status: string; diagnostics: Diagnostic[] }

export interface OfflinePlan {
  results: Map<string, PlanResult>;
  /** Diagnostics not tied to one case (a broken test directory, a crash): shown with every failure. */
  general: Diagnostic[];
  /** The CONNECT lines the provider sent to the trap proxy: every attempt to reach the network. */
  networkAttempts: string[];
}

/** What the data sources that call AWS read instead, by type: fixed, plausible values for the stack's region. */
const AWS_READS: Record<string, (region: string) => Json> = {
  aws_caller_identity: () => ({ account_id: "123456789012", arn: "arn:aws:iam::123456789012:user/lure-test", user_id: "AIDAEXAMPLEUSERID0001" }),
  aws_availability_zones: (region) => ({ names: [`${region}a`, `${region}b`] }),
};

const hcl = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(hcl).join(", ")}]`
  : v && typeof v === "object" ? `{ ${Object.entries(v).map(([k, x]) => `${k} = ${hcl(x)}`).join(", ")} }`
  : JSON.stringify(v);

function testFile(dir: string, c: PlanCase, stack: Json): string {
  const providers = (stack.provider?.aws ?? []) as Json[];
  const regionOf = (body: Json) => {
    const alias = /^aws\.(.+)$/.exec(String(body.provider ?? ""))?.[1];
    return String(providers.find((p) => p.alias === alias)?.region);
  };
  const overrides = c.overrideData === false ? [] : Object.entries(AWS_READS).flatMap(([type, values]) =>
    Object.entries((stack.data?.[type] ?? {}) as Record<string, Json>).map(([name, body]) =>
      `  override_data {\n    target = data.${type}.${name}\n    values = ${hcl(values(regionOf(body)))}\n  }\n`));
  return `run "plan" {\n  command = plan\n  module {\n    source = "./stacks/${dir}"\n  }\n${overrides.join("")}}\n`;
}

const resourceCount = (stack: Json) => Object.values((stack.resource ?? {}) as Record<string, Json>).reduce((n, r) => n + Object.keys(r).length, 0);
// A run's fixed cost (two provider starts: validate, plan) is about what planning 60 resources costs.
const runWeight = (stack: Json) => 60 + resourceCount(stack);

/** Split `items` into `k` groups of about equal weight, heaviest first (each group is one process). */
function balance<T>(items: T[], k: number, weight: (t: T) => number): T[][] {
  const groups = Array.from({ length: k }, () => ({ weight: 0, items: [] as T[] }));
  for (const item of [...items].sort((a, b) => weight(b) - weight(a))) {
    const lightest = groups.reduce((a, b) => (b.weight < a.weight ? b : a));
    lightest.items.push(item);
    lightest.weight += weight(item);
  }
  return groups.map((g) => g.items).filter((g) => g.length > 0);
}

/** A local proxy that records every CONNECT and drops it: the plan's only way out. */
function trapProxy(attempts: string[]): Promise<{ server: Server; url: string }> {
  const server = createServer((socket) => {
    socket.once("data", (d: Buffer) => attempts.push(d.toString().split("\r\n")[0]));
    socket.on("error", () => {});
    setTimeout(() => socket.destroy(), 50);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` });
  }));
}

/**
 * Plans every case in one test directory with one `terraform init`: one `.tftest.hcl` per case (a run that
 * errors skips the rest of its file, never another file), the files split over `processes` concurrent
 * `terraform test` runs. Each run plans its stack as the root module, so root-only checks apply.
 */
export async function planOffline(cases: PlanCase[], awsVersion: string, processes = Number(process.env.LURE_TF_PROCESSES ?? Math.min(2, availableParallelism()))): Promise<OfflinePlan> {
  if (new Set(cases.map((c) => c.name)).size !== cases.length) throw new Error("plan case names must be unique");
  const dir = mkdtempSync(join(tmpdir(), "lure-tfplan-"));
  const networkAttempts: string[] = [];
  const proxy = await trapProxy(networkAttempts);
  try {
    const rc = join(dir, "terraformrc");
    writeFileSync(rc, mirrorRc(MIRROR));
    // The offline plan's environment, with every HTTP(S) request through the trap instead of nowhere.
    const env = { ...offlineEnv(process.env, rc), HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url };

    writeFileSync(join(dir, "main.tf"), "# Empty root: each run in tests/ plans one stack module as its root.\n");
    mkdirSync(join(dir, "tests"));
    const files = cases.map((c, i) => {
      const name = `c${String(i).padStart(3, "0")}`;
      const stack = offlineAwsStack(c.stack, awsVersion);
      mkdirSync(join(dir, "stacks", name), { recursive: true });
      // Indented, so a diagnostic's source snippet is one line of the stack, not all of it.
      writeFileSync(join(dir, "stacks", name, "main.tf.json"), JSON.stringify(stack, null, 1));
      writeFileSync(join(dir, "tests", `${name}.tftest.hcl`), testFile(name, c, stack));
      return { path: `tests/${name}.tftest.hcl`, case: c, weight: runWeight(stack) };
    });

    const init = await terraform(["init", "-backend=false", "-input=false", "-no-color"], dir, env);
    if (init.code !== 0) throw new Error(`terraform init failed:\n${init.stdout}\n${init.stderr}`);

    const byPath = new Map(files.map((f) => [f.path, { status: "missing", diagnostics: [] as Diagnostic[] }]));
    const general: Diagnostic[] = [];
    const groups = balance(files, Number.isInteger(processes) && processes > 0 ? processes : 1, (f) => f.weight);
    const outputs = await Promise.all(groups.map((g) =>
      terraform(["test", "-json", "-no-color", ...g.map((f) => `-filter=${f.path}`)], dir, env)));
    for (const out of outputs) {
      for (const line of out.stdout.split("\n")) {
        if (!line.startsWith("{")) continue;
        const msg = JSON.parse(line) as Json;
        const result = byPath.get(msg["@testfile"]);
        if (msg.type === "test_run" && msg.test_run.progress === "complete" && result) result.status = msg.test_run.status;
        if (msg.type === "diagnostic") (result?.diagnostics ?? general).push(msg.diagnostic as Diagnostic);
      }
      if (out.stderr.trim()) general.push({ severity: "error", summary: "terraform test wrote to stderr", detail: out.stderr.trim() });
    }
    return { results: new Map(files.map((f) => [f.case.name, byPath.get(f.path)!])), general, networkAttempts };
  } finally {
    proxy.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether a terraform binary is on the PATH (looked up once). */
export const hasTerraform = (() => {
  let found: boolean | undefined;
  return (): boolean => (found ??= spawnSync("terraform", ["version"], { encoding: "utf8" }).status === 0);
})();

/**
 * What Terraform says of `stack`'s configuration when it loads it, with no provider at all (an empty
 * filesystem mirror, so nothing is fetched): the meta-arguments (`lifecycle`, `depends_on`, `count`,
 * `provider`), block structure and module layout, the part of a stack checked without the provider's
 * schema. The clouds without a provider binary here (Azure, Google Cloud) get this much from Terraform.
 * `undefined` without a terraform binary; else the error summaries other than the missing provider.
 */
export function configLoadErrors(stack: Json): string[] | undefined {
  if (!hasTerraform()) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "lure-load-"));
  try {
    const mirror = join(dir, "empty-mirror");
    mkdirSync(mirror);
    const rc = join(dir, "terraformrc");
    writeFileSync(rc, `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["*/*/*"]\n  }\n}\n`);
    const root = join(dir, "stack");
    mkdirSync(root);
    // The backend is the deployment's (a state path, a bucket), not part of what is checked.
    const { backend: _backend, ...settings } = (stack.terraform ?? {}) as Json;
    writeFileSync(join(root, "main.tf.json"), JSON.stringify({ ...stack, terraform: settings }));
    const env = { ...process.env, TF_CLI_CONFIG_FILE: rc, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" };
    const r = spawnSync("terraform", [`-chdir=${root}`, "init", "-backend=false", "-input=false", "-no-color"], { encoding: "utf8", env });
    const errors = `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => /^\s*│?\s*Error: /.test(l)).map((l) => l.replace(/^\s*│?\s*Error: /, "").trim());
    // Every stack's providers are missing here by design; anything else is the configuration's.
    return errors.filter((e) => e !== "Failed to query available provider packages" && !e.startsWith("Terraform encountered problems during initialisation"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
