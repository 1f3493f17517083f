/**
 * Deploying only the config last checked, through the real commands: `npm start`, a direct
 * `npx cdktf deploy|synth` (cdktf-cli runs the app again) and `npm run deploy`. A fake `terraform`
 * first on PATH answers cdktf-cli's version probes and logs every other call (its cwd is the stack
 * folder cdktf handed it) without doing anything, so no registry, cloud or credentials are touched.
 * Independent processes run at once; each cdktf-cli start costs seconds.
 */
import { spawn } from "child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import type { Construct } from "constructs";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { runApp } from "../../main";
import { AwsStack } from "../../providers/aws";
import { CHECK_RECORD, CheckRefused, LURE_COMMAND_ENV, configToCheck, type CheckRecord } from "../../modules/core/check";
import { DEFAULT_CONFIG_FILE, type LureConfig } from "../../modules/core/config";
import { formatSummary } from "../../modules/core/summary";
import { parseArgs, unknownStacks } from "../../modules/core/cli/deploy";
import { configWith } from "../helpers/synth";

const ROOT = resolve(__dirname, "../..");
type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const DEFAULT: Raw = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, "utf8")) as Raw;

interface Run {
  readonly status: number | null;
  readonly output: string;
}

let dir: string;
let tfLog: string;
let bin: string;

/** Answers the version probes cdktf-cli makes; logs `<cwd>\t<args>` for anything else and fails. */
const FAKE_TERRAFORM = `#!/bin/sh
case "$1" in
  version|-v|-version|--version)
    if [ "$2" = "-json" ]; then echo '{"terraform_version":"1.11.4","platform":"linux_amd64","provider_selections":{},"terraform_outdated":false}'; else echo 'Terraform v1.11.4'; fi
    exit 0;;
esac
printf '%s\\t%s\\n' "$PWD" "$*" >> "$FAKE_TF_LOG"
echo "fake terraform: not running $1" >&2
exit 1
`;

/** Runs `cmd args` in the repo root: a clean lure/cdktf environment, the fake terraform first on PATH, `env` on top. */
function run(cmd: string, args: string[], env: Record<string, string>): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LURE_|CDKTF_|TF_|TERRAFORM_BINARY_NAME$)/.test(k)));
  const full = { ...base, PATH: `${bin}:${process.env.PATH}`, FAKE_TF_LOG: tfLog, CI: "true", CHECKPOINT_DISABLE: "1", DISABLE_VERSION_CHECK: "true", ...env };
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: full, timeout: 150_000 });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", fail);
    child.on("close", (status) => done({ status, output }));
  });
}

const npmStart = (config: string, outdir: string) => run(process.execPath, ["--require", "tsx/cjs", "modules/core/cli/start.ts"], { LURE_CONFIG: config, LURE_OUTDIR: outdir });
const npx = (args: string[], env: Record<string, string> = {}) => run(join(ROOT, "node_modules", ".bin", "cdktf"), args, env);
const cdktfDeploy = (outdir: string, env: Record<string, string> = {}) => npx(["deploy", "aws-honeynet", "--output", outdir, "--auto-approve"], env);

/** The fake terraform's calls: `[cwd, args]`. */
const terraformCalls = (): [string, string][] =>
  existsSync(tfLog) ? readFileSync(tfLog, "utf8").trim().split("\n").filter(Boolean).map((l) => l.split("\t") as [string, string]) : [];
const callsUnder = (outdir: string) => terraformCalls().filter(([cwd]) => cwd.startsWith(`${outdir}/`));

const stackJson = (outdir: string, stack = "aws-honeynet") => readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8");
const record = (outdir: string) => JSON.parse(readFileSync(join(outdir, CHECK_RECORD), "utf8")) as CheckRecord;

/** The line `npm start`'s check prints after the summary. */
const POLICY_LINE = /^policy: 2 stack\(s\) checked, no violations$/m;

/** The prefix of config x; the default's is "lure". */
const X_PREFIX = "decoy";
/** Config x is the default on AWS alone: the deploy path is the same on every cloud, and each stack costs synth time in every run. */
const X_CLOUDS = { aws: DEFAULT.clouds.aws };

let x: string;
const out = (name: string) => join(dir, name);
const runs = new Map<string, Run>();
const result = (name: string): Run => {
  const r = runs.get(name);
  if (!r) throw new Error(`no run ${name}`);
  return r;
};
/** Stack file contents of B before its refused deploy, to show the refusal wrote nothing. */
let bBefore: { stack: string; record: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lure-deploy-"));
  bin = join(dir, "bin");
  tfLog = join(dir, "terraform.log");
  mkdirSync(bin);
  writeFileSync(join(bin, "terraform"), FAKE_TERRAFORM);
  chmodSync(join(bin, "terraform"), 0o755);
  x = join(dir, "x.json");
  writeFileSync(x, JSON.stringify({ ...DEFAULT, $schema: undefined, prefix: X_PREFIX, clouds: X_CLOUDS }, null, 2));

  // 1. `LURE_CONFIG=x npm start` into A; meanwhile a plain `npx cdktf synth` of the default into E.
  const [start, synth] = await Promise.all([npmStart(x, out("A")), npx(["synth", "--output", out("E")])]);
  runs.set("start x", start);
  runs.set("plain synth", synth);
  if (start.status !== 0) throw new Error(`LURE_CONFIG=x npm start failed:\n${start.output}`);
  // Copies of A's checked output, one per case below (the record names x by absolute path).
  for (const o of ["B", "C", "D"]) cpSync(out("A"), out(o), { recursive: true });
  bBefore = { stack: stackJson(out("B")), record: readFileSync(join(out("B"), CHECK_RECORD), "utf8") };

  // 2. Deploys after that check: direct without LURE_CONFIG (A), direct naming the default (B), npm run deploy (D).
  const [a, b, d] = await Promise.all([
    cdktfDeploy(out("A")),
    cdktfDeploy(out("B"), { LURE_CONFIG: DEFAULT_CONFIG_FILE }),
    run("npm", ["run", "--silent", "deploy", "--", "aws-honeynet", "--auto-approve"], { LURE_OUTDIR: out("D") }),
  ]);
  runs.set("a", a);
  runs.set("b", b);
  runs.set("d", d);

  // 3. x edited after its check, then a direct deploy of C without LURE_CONFIG.
  writeFileSync(x, JSON.stringify({ ...DEFAULT, $schema: undefined, prefix: X_PREFIX, clouds: X_CLOUDS, tags: { project: "edited" } }, null, 2));
  runs.set("c", await cdktfDeploy(out("C")));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("after LURE_CONFIG=x npm start", () => {
  it("npm start recorded x and prints deploy steps that carry it", () => {
    const r = result("start x");
    expect(record(out("A"))).toMatchObject({ config: x, stacks: ["aws-honeynet", "aws-quarantine"] });
    expect(r.output).toContain(`LURE_CONFIG=${x} npm run deploy -- aws-honeynet`);
    expect(r.output).toContain(`LURE_CONFIG=${x} npm run deploy -- aws-quarantine`);
    expect(r.output).not.toContain("npx cdktf deploy");
    expect(r.output).toMatch(POLICY_LINE);
  });

  it("(a) npx cdktf deploy without LURE_CONFIG synthesizes x again and points terraform at x's JSON", () => {
    const r = result("a");
    const calls = callsUnder(out("A"));
    expect(calls.length).toBeGreaterThan(0);
    for (const [cwd] of calls) expect(cwd).toBe(join(out("A"), "stacks", "aws-honeynet"));
    // cdktf deploy starts with terraform init in that folder (the fake terraform stops it there).
    expect(calls[0][1]).toMatch(/^init\b/);
    const json = readFileSync(join(calls[0][0], "cdk.tf.json"), "utf8");
    expect(json).toContain(`"${X_PREFIX}-honeynet"`);
    expect(json).not.toContain('"lure-honeynet"');
    expect(r.output).toContain(`lure: policy: 2 stack(s) checked, no violations; ${x} recorded`);
  });

  it("(b) npx cdktf deploy with LURE_CONFIG naming another file is refused: both files named, nothing written, no terraform", () => {
    const r = result("b");
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`holds the stacks of ${x}`);
    expect(r.output).toContain(`but LURE_CONFIG names ${DEFAULT_CONFIG_FILE}; nothing was synthesized`);
    expect(r.output).toContain(`LURE_CONFIG=${DEFAULT_CONFIG_FILE} npm start`);
    expect(callsUnder(out("B"))).toEqual([]);
    expect({ stack: stackJson(out("B")), record: readFileSync(join(out("B"), CHECK_RECORD), "utf8") }).toEqual(bBefore);
  });

  it("(c) npx cdktf deploy after x was edited is refused, and terraform never runs", () => {
    const r = result("c");
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`lure: ${x} changed since it was checked`);
    expect(r.output).toContain(`LURE_CONFIG=${x} npm start`);
    expect(callsUnder(out("C"))).toEqual([]);
    expect(stackJson(out("C"))).toBe(bBefore.stack);
  });

  it("(d) npm run deploy -- aws-honeynet without LURE_CONFIG checks x, then runs terraform on the JSON it checked", () => {
    const r = result("d");
    expect(r.output).toContain(`lure: using ${x}, the config last checked in ${out("D")}`);
    expect(r.output).toContain(`lure: synthesized 2 stacks from ${x}`);
    expect(r.output).toMatch(POLICY_LINE);
    const calls = callsUnder(out("D"));
    expect(calls.map(([cwd]) => cwd)).toContain(join(out("D"), "stacks", "aws-honeynet"));
    for (const [cwd] of calls) expect(cwd).toBe(join(out("D"), "stacks", "aws-honeynet"));
    expect(calls[0][1]).toMatch(/^init\b/);
    expect(stackJson(out("D"))).toContain(`"${X_PREFIX}-honeynet"`);
    expect(record(out("D")).config).toBe(x);
  });
});

describe("npm run deploy|diff|destroy", () => {
  it("a stack the check did not synthesize is an error listing those it did", () => {
    const checked: CheckRecord = { config: x, sha256: "0".repeat(64), stacks: ["aws-honeynet"], checkedAt: "2026-01-01T00:00:00.000Z" };
    expect(unknownStacks(["aws-honeynet"], checked)).toBeUndefined();
    expect(unknownStacks(["aws-honeynet", "aws-quarantine", "aws-nope"], checked)).toBe(`lure: no stack aws-quarantine, aws-nope in the stacks of ${x}; it synthesized: aws-honeynet`);
  });

  it.each([
    [["deploy", "aws-honeynet", "aws-quarantine", "--auto-approve", "--var", "a=b"], { stacks: ["aws-honeynet", "aws-quarantine"], options: ["--auto-approve", "--var", "a=b"] }],
    [["diff", "aws-honeynet"], { stacks: ["aws-honeynet"], options: [] }],
  ])("parses %j into stacks and cdktf options", (argv, expected) => {
    expect(parseArgs(argv)).toMatchObject(expected);
  });

  it.each([
    [["deploy"], "name the stack(s), e.g. npm run deploy -- aws-honeynet"],
    [["diff", "aws-honeynet", "aws-quarantine"], "diff takes one stack"],
    [["deploy", "aws-honeynet", "--skip-synth"], "--skip-synth is set by lure"],
    [["destroy", "aws-honeynet", "--output=elsewhere"], "--output=elsewhere is set by lure"],
    [["deploy", "aws-honeynet", "-o/tmp/x"], "-o/tmp/x is set by lure"],
    [["deploy", "aws-honeynet", "--auto-approve", "-a", "node other.js"], "-a is set by lure"],
    [["apply", "aws-honeynet"], 'unknown command "apply"'],
  ])("refuses %j", (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it("passes cdktf's own options through", () => {
    expect(parseArgs(["deploy", "aws-honeynet", "--auto-approve", "--parallelism=2"]).options).toEqual(["--auto-approve", "--parallelism=2"]);
  });
});

describe("the printed next steps", () => {
  const next = (file: string) => formatSummary([], configWith(), file, []).split("\n").filter((l) => l.includes("npm run deploy")).map((l) => l.replace(/^ +\d+\. /, ""));

  it("the default config: npm run deploy -- <stack>", () => {
    expect(next(DEFAULT_CONFIG_FILE)).toEqual(["npm run deploy -- aws-honeynet", "npm run deploy -- aws-quarantine", "npm run deploy -- azure-honeynet", "npm run deploy -- azure-quarantine", "npm run deploy -- gcp-honeynet", "npm run deploy -- gcp-quarantine"]);
  });

  it("another config: LURE_CONFIG in front, as an absolute path quoted for the shell", () => {
    expect(next("/tmp/my configs/it's.json")).toEqual([
      "LURE_CONFIG='/tmp/my configs/it'\\''s.json' npm run deploy -- aws-honeynet",
      "LURE_CONFIG='/tmp/my configs/it'\\''s.json' npm run deploy -- aws-quarantine",
      "LURE_CONFIG='/tmp/my configs/it'\\''s.json' npm run deploy -- azure-honeynet",
      "LURE_CONFIG='/tmp/my configs/it'\\''s.json' npm run deploy -- azure-quarantine",
      "LURE_CONFIG='/tmp/my configs/it'\\''s.json' npm run deploy -- gcp-honeynet",
      "LURE_CONFIG='/tmp/my configs/it'\\''s.json' npm run deploy -- gcp-quarantine",
    ]);
  });
});

describe("every synth path runs the policy rules", () => {
  it("a plain npx cdktf synth validates, checks and records the default config", () => {
    const r = result("plain synth");
    expect(r.status).toBe(0);
    expect(r.output).toContain(`lure: policy: 6 stack(s) checked, no violations; ${DEFAULT_CONFIG_FILE} recorded`);
    expect(record(out("E"))).toMatchObject({ config: DEFAULT_CONFIG_FILE, stacks: ["aws-honeynet", "aws-quarantine", "azure-honeynet", "azure-quarantine", "gcp-honeynet", "gcp-quarantine"] });
  });

  /** One small AWS stack with a security group on 9200 open to `cidr`. */
  const probe = (cidr: string) => (scope: Construct, config: LureConfig) => {
    const stack = new AwsStack(scope, "probe", { prefix: config.prefix, region: config.clouds.aws!.region });
    new SecurityGroup(stack, "elastic", { name: "probe-elastic", ingress: [{ protocol: "tcp", fromPort: 9200, toPort: 9200, cidrBlocks: [cidr] }] });
    return [stack];
  };

  /** runApp in this process, with its printed lines. */
  function app(env: Record<string, string>, build: ReturnType<typeof probe>) {
    const lines: string[] = [];
    const log = jest.spyOn(console, "log").mockImplementation((s: string) => void lines.push(s));
    const error = jest.spyOn(console, "error").mockImplementation((s: string) => void lines.push(s));
    try {
      return { status: runApp(env, build), output: lines.join("\n") };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  it("the app fails a stack with a violation: exit 1, the violation printed, no record, nothing deployable", () => {
    const outdir = out("probe-bad");
    const r = app({ CDKTF_OUTDIR: outdir }, probe("0.0.0.0/0"));
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/\[elastic-not-public\] aws_security_group\.elastic\b/);
    expect(existsSync(join(outdir, CHECK_RECORD))).toBe(false);
    expect(existsSync(join(outdir, "manifest.json"))).toBe(false);
  });

  it("the same stack without the violation passes and is recorded (so the check above can fail)", () => {
    const outdir = out("probe-good");
    const r = app({ CDKTF_OUTDIR: outdir }, probe("10.0.0.0/8"));
    expect(r).toEqual({ status: 0, output: `lure: policy: 1 stack(s) checked, no violations; ${DEFAULT_CONFIG_FILE} recorded in ${join(outdir, CHECK_RECORD)}` });
    expect(record(outdir)).toMatchObject({ config: DEFAULT_CONFIG_FILE, stacks: ["probe"] });

    // A direct synth naming another config into that folder is refused before anything is written;
    // lure's own commands (LURE_COMMAND_SYNTH=1) may check another config there.
    const other = join(dir, "other.json");
    writeFileSync(other, readFileSync(DEFAULT_CONFIG_FILE));
    const refused = app({ CDKTF_OUTDIR: outdir, LURE_CONFIG: other }, probe("10.0.0.0/8"));
    expect(refused.status).toBe(1);
    expect(refused.output).toContain(`holds the stacks of ${DEFAULT_CONFIG_FILE}`);
    expect(record(outdir).config).toBe(DEFAULT_CONFIG_FILE);
    expect(app({ CDKTF_OUTDIR: outdir, LURE_CONFIG: other, [LURE_COMMAND_ENV]: "1" }, probe("10.0.0.0/8")).status).toBe(0);
    expect(record(outdir).config).toBe(other);
  });
});

describe("a direct synth without a record", () => {
  const scratch = () => {
    const root = mkdtempSync(join(tmpdir(), "lure-norecord-"));
    mkdirSync(join(root, "cdktf.out"));
    return root;
  };

  it("refuses to fall back to the default config when local state lies beside the output folder", () => {
    const root = scratch();
    writeFileSync(join(root, "terraform.aws-honeynet.tfstate"), "{}");
    expect(() => configToCheck(join(root, "cdktf.out"), {})).toThrow(CheckRefused);
    expect(() => configToCheck(join(root, "cdktf.out"), {})).toThrow(/terraform\.aws-honeynet\.tfstate exists, but .* has no record of the config that made it; nothing was synthesized/);
    // Naming the config is the user's explicit choice; lure's own commands always name it.
    expect(configToCheck(join(root, "cdktf.out"), { LURE_CONFIG: "/x/lab.json" })).toBe("/x/lab.json");
    expect(configToCheck(join(root, "cdktf.out"), { [LURE_COMMAND_ENV]: "1" })).toBe(DEFAULT_CONFIG_FILE);
    rmSync(root, { recursive: true, force: true });
  });

  it("uses the default config when there is neither record nor state (a fresh clone)", () => {
    const root = scratch();
    expect(configToCheck(join(root, "cdktf.out"), {})).toBe(DEFAULT_CONFIG_FILE);
    rmSync(root, { recursive: true, force: true });
  });
});
