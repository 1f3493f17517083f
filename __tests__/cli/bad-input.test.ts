/**
 * `npm start` and the cdktf app on real configs, in child processes: an invalid config exits non-zero,
 * prints every problem with its path and writes nothing; a valid one synthesizes and passes the policy.
 * Every process starts at once in `beforeAll` (each bad one takes ~0.3 s, the good ones a few seconds).
 */
import { spawn } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";

const ROOT = resolve(__dirname, "../..");
type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const DEFAULT: Raw = JSON.parse(readFileSync(join(ROOT, "lure.config.json"), "utf8")) as Raw;

interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node --require tsx/cjs <script>` in the repo root with `env` on top of a clean environment. */
function run(script: string, env: Record<string, string>, timeoutMs: number): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LURE_|CDKTF_)/.test(k)));
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--require", "tsx/cjs", script], { cwd: ROOT, env: { ...base, ...env }, timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", fail);
    child.on("close", (status, signal) => done({ status, signal, stdout, stderr }));
  });
}

/** The paths of the problem lines of a ConfigError (`  <path>: <message>`). */
const printedPaths = (stderr: string): string[] => [...stderr.matchAll(/^ {2}(\S+): /gm)].map((m) => m[1]);

/** An invalid config: its change to the default config, and the problems it must print (path, message start). */
type BadCase = [name: string, change: (c: Raw) => void, problems: [path: string, message: string][]];

// The bad inputs the issue names, one each.
const BAD: BadCase[] = [
  ["unknown honeypot", (c) => (c.honeynet.profile = ["cowrie", "dionaea", "foobarbaz"]), [["honeynet.profile[2]", '"foobarbaz" is not a known honeypot']]],
  ["near-miss honeypot name", (c) => (c.honeynet.profile = ["cowrie", "dionaea", "cowrei"]), [["honeynet.profile[2]", '"cowrei" is not a known honeypot; did you mean "cowrie"?']]],
  ["invalid CIDR", (c) => (c.honeynet.dashboard.allowCidrs = ["198.18.0.0/15", "10.0.0.1/24"]), [["honeynet.dashboard.allowCidrs[1]", '"10.0.0.1/24" is not a valid CIDR: host bits are set; did you mean "10.0.0.0/24"?']]],
  ["empty allow-list", (c) => (c.honeynet.dashboard.allowCidrs = []), [["honeynet.dashboard.allowCidrs", "[] is empty: nobody could reach the dashboard"]]],
  ["world-open allow-list without opt-in", (c) => (c.honeynet.dashboard.allowCidrs = ["0.0.0.0/0"]), [["honeynet.dashboard.allowCidrs[0]", '"0.0.0.0/0" opens the dashboard to the whole internet; list your own CIDRs, or set honeynet.dashboard.allowWorldOpen: true']]],
  ["host-network honeypot", (c) => (c.honeynet.profile = ["cowrie", "honeytrap"]), [["honeynet.profile[1]", '"honeytrap" cannot run on serverless containers: Needs host networking']]],
  ["duplicate honeypot names", (c) => (c.honeynet.profile = ["cowrie", "dionaea", "cowrie"]), [["honeynet.profile[2]", '"cowrie" is listed twice (first at index 0)']]],
  ["unknown region", (c) => (c.clouds.aws.region = "eu-west-22"), [["clouds.aws.region", '"eu-west-22" is not a known AWS region; did you mean "eu-west-2"']]],
  // Configs that passed every check and then failed at deploy or at run time (issue 9).
  ["demo image on a port it does not serve", (c) => (c.quarantine.demo = { containerPort: 8080 }), [["quarantine.demo.containerPort", '8080 is not the port "public.ecr.aws/nginx/nginx:1.27.5-alpine" serves on']]],
  ["plain-HTTP dashboard without the opt-in", (c) => delete c.honeynet.dashboard.allowPlaintext, [["honeynet.dashboard.certificateArn", "is required: Kibana has no login of its own"]]],
  [
    "honeynet network too small",
    (c) => (c.honeynet.networkCidr = "10.42.0.0/24"),
    [["honeynet.networkCidr", '"10.42.0.0/24" is too small: its two subnets would be /28 (11 usable addresses each), but the dashboard load balancer needs subnets of /27 or larger']],
  ],
  [
    "demo network too small for its copies",
    (c) => ((c.quarantine.demo = { networkCidr: "10.43.0.0/24" }), (c.quarantine.copies = { kind: "ecs", defenceCount: 20 })),
    [["quarantine.demo.networkCidr", '"10.43.0.0/24" is too small: its six subnets would be /27 (27 usable addresses each), but the copies\' subnets may need 40 addresses']],
  ],
  [
    "dashboard certificate in another region",
    (c) => (c.honeynet.dashboard.certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234"),
    [["honeynet.dashboard.certificateArn", '"arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234" is in us-east-1, but clouds.aws.region is eu-west-2; a load balancer only uses ACM certificates of its own region']],
  ],
  [
    "demo certificate in another partition",
    (c) => ((c.clouds.aws.region = "cn-north-1"), (c.quarantine.demo = { certificateArn: "arn:aws:acm:cn-north-1:123456789012:certificate/abcd-1234" })),
    [["quarantine.demo.certificateArn", '"arn:aws:acm:cn-north-1:123456789012:certificate/abcd-1234" is in partition "aws", but cn-north-1 is in "aws-cn"; ARNs there start "arn:aws-cn:"']],
  ],
  ["unknown Google Cloud region", (c) => (c.clouds.gcp.region = "eurpe-west2"), [["clouds.gcp.region", '"eurpe-west2" is not a known GCP region; did you mean "europe-west2"']]],
  [
    "Google Cloud errors at once",
    (c) => {
      c.clouds.gcp.project = "My_Project";
      c.clouds.gcp.zone = "europe-west2-z";
      c.tags = { ...c.tags, "9lives": "yes" };
      c.clouds.gcp.tags = { "Lure:Component": "mine" };
      c.honeynet.overrides = { cowrie: { machineType: "e2-mega" } };
      c.honeynet.dashboard.allowCidrs = ["0.0.0.0/0"];
    },
    [
      ["clouds.gcp.project", '"My_Project" is not a Google Cloud project id'],
      ["clouds.gcp.zone", '"europe-west2-z" is not a zone of europe-west2'],
      ["tags.9lives", 'key "9lives" cannot be a Google Cloud label key'],
      ["clouds.gcp.tags.Lure:Component", 'becomes label "lure-component", which lure sets itself'],
      ["honeynet.overrides.cowrie.machineType", '"e2-mega" is not a known Compute Engine machine type lure offers'],
      ["honeynet.dashboard.allowCidrs[0]", '"0.0.0.0/0" opens the dashboard to the whole internet'],
    ],
  ],
  [
    "existing target with the retired targetGroupArn",
    (c) => {
      c.quarantine.target = {
        listenerArn: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/shop/0123456789abcdef/fedcba9876543210",
        targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/shop/0123456789abcdef",
        taskDefinitionArn: "arn:aws:ecs:eu-west-2:123456789012:task-definition/shop:7",
        vpcId: "vpc-0123456789abcdef0",
        subnetIds: ["subnet-0123456789abcdef0"],
        containerName: "app",
        containerPort: 8080,
        albSecurityGroupId: "sg-0123456789abcdef0",
      };
      c.quarantine.copies = { kind: "ecs", image: "public.ecr.aws/nginx/nginx:1.27.5-alpine", containerPort: 80 };
    },
    [["quarantine.target.targetGroupArn", "is no longer used (lure never touches your service's target group); remove it"]],
  ],
];

// All of them in one config: every problem is printed, not just the first.
const ALL_AT_ONCE: BadCase = [
  "several errors at once",
  (c) => {
    c.clouds.aws.region = "eu-west-22";
    c.honeynet.profile = ["foobarbaz", "cowrei", "honeytrap", "cowrie", "cowrie"];
    c.honeynet.dashboard.allowCidrs = ["0.0.0.0/0", "10.0.0.1/24"];
    c.watcher.schedul = "rate(1 hour)";
    c.clouds.azure.location = "uksouthh";
    c.honeynet.overrides = { cowrie: { size: "Standard_B2zz_v2" } };
    c.honeynet.adminSshPublicKey = "ssh-rsa AAAAnotakey admin";
    c.honeynet.adminCidrs = ["10.42.1.0/24"];
  },
  [
    ["clouds.aws.region", '"eu-west-22" is not a known AWS region'],
    ["clouds.azure.location", '"uksouthh" is not a known Azure location; did you mean "uksouth"?'],
    ["honeynet.overrides.cowrie.size", '"Standard_B2zz_v2" is not a known Azure VM size lure offers'],
    ["honeynet.adminSshPublicKey", '"ssh-rsa AAAAnotakey admin" is not an OpenSSH public key'],
    ["honeynet.adminCidrs[0]", '"10.42.1.0/24" overlaps honeynet.networkCidr "10.42.0.0/16": on Azure the honeypot VMs, which attackers control, would reach admin SSH'],
    ["honeynet.profile[0]", '"foobarbaz" is not a known honeypot'],
    ["honeynet.profile[1]", '"cowrei" is not a known honeypot; did you mean "cowrie"?'],
    ["honeynet.profile[2]", '"honeytrap" cannot run on serverless containers'],
    ["honeynet.profile[4]", '"cowrie" is listed twice (first at index 3)'],
    ["honeynet.dashboard.allowCidrs[0]", '"0.0.0.0/0" opens the dashboard to the whole internet'],
    ["honeynet.dashboard.allowCidrs[1]", '"10.0.0.1/24" is not a valid CIDR'],
    ["watcher.schedul", 'unknown setting; did you mean "schedule"?'],
  ],
];

const STACK_FILE = join("stacks", "aws-honeynet", "cdk.tf.json");
const synthesizedStacks = (outdir: string): string[] =>
  existsSync(join(outdir, "stacks")) ? readdirSync(join(outdir, "stacks")).filter((s) => existsSync(join(outdir, "stacks", s, "cdk.tf.json"))) : [];

let dir: string;
const results = new Map<string, Run>();
const caseDir = (name: string) => join(dir, name.replace(/\W+/g, "-"));

/** Writes `config` into the case's folder and runs `script` on it. */
function start(name: string, script: "modules/core/cli/start.ts" | "main.ts", config: Raw, timeoutMs: number): Promise<void> {
  const d = caseDir(name);
  mkdirSync(d);
  writeFileSync(join(d, "lure.config.json"), JSON.stringify(config, null, 2));
  const env: Record<string, string> = { LURE_CONFIG: join(d, "lure.config.json") };
  if (script === "main.ts") env.CDKTF_OUTDIR = join(d, "out");
  else env.LURE_OUTDIR = join(d, "cdktf.out");
  return run(script, env, timeoutMs).then((r) => void results.set(name, r));
}

const withChange = (change: (c: Raw) => void): Raw => {
  const c = structuredClone(DEFAULT);
  change(c);
  return c;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lure-cli-"));
  await Promise.all([
    ...[...BAD, ALL_AT_ONCE].map(([name, change]) => start(name, "modules/core/cli/start.ts", withChange(change), 30_000)),
    start("main.ts bad", "main.ts", withChange(BAD[1][1]), 30_000),
    start("main.ts good", "main.ts", DEFAULT, 120_000),
    start("good", "modules/core/cli/start.ts", DEFAULT, 120_000),
  ]);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const result = (name: string): Run => {
  const r = results.get(name);
  if (!r) throw new Error(`no run for ${name}`);
  return r;
};

describe("npm start on an invalid config", () => {
  it.each([...BAD, ALL_AT_ONCE])("%s: exits non-zero, prints every problem with its path, writes nothing", (name, _, problems) => {
    const r = result(name);
    expect(r.signal).toBeNull();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("lure: invalid configuration; nothing was synthesized.");
    expect(r.stderr).toContain(`${join(caseDir(name), "lure.config.json")}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n`);
    expect(printedPaths(r.stderr).sort()).toEqual(problems.map(([path]) => path).sort());
    for (const [path, message] of problems) expect(r.stderr).toContain(`\n  ${path}: ${message}`);
    expect(r.stdout).not.toContain("policy:");
    expect(existsSync(join(caseDir(name), "cdktf.out"))).toBe(false);
  });
});

describe("the cdktf app (main.ts)", () => {
  it("exits 1 on an invalid config, prints the problem and synthesizes no stack", () => {
    const r = result("main.ts bad");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('\n  honeynet.profile[2]: "cowrei" is not a known honeypot; did you mean "cowrie"?');
    expect(synthesizedStacks(join(caseDir("main.ts bad"), "out"))).toEqual([]);
  });

  it("synthesizes into CDKTF_OUTDIR on a valid config (so the check above can fail)", () => {
    const r = result("main.ts good");
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(synthesizedStacks(join(caseDir("main.ts good"), "out"))).toEqual(["aws-honeynet", "aws-quarantine", "azure-honeynet", "azure-quarantine", "gcp-honeynet", "gcp-quarantine"]);
  });
});

describe("npm start on the default config", () => {
  it("exits 0, synthesizes into LURE_OUTDIR and passes the policy check", () => {
    const r = result("good");
    if (r.status !== 0) throw new Error(`exit ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
    const stack = JSON.parse(readFileSync(join(caseDir("good"), "cdktf.out", STACK_FILE), "utf8")) as Raw;
    expect(Object.keys(stack.resource ?? {}).length).toBeGreaterThan(0);
    expect(r.stdout).toContain("policy: 6 stack(s) checked, no violations");
    expect(existsSync(join(caseDir("good"), "cdktf.out", "stacks", "aws-quarantine", "cdk.tf.json"))).toBe(true);
    expect(r.stdout).toContain(`LURE_CONFIG=${join(caseDir("good"), "lure.config.json")} npm run deploy -- aws-quarantine`);
    expect(r.stdout).not.toContain("not implemented yet");
    expect(r.stderr).not.toContain("invalid configuration");
    // The Google Cloud stack beside the others, with each honeypot's ports (its firewall rule's).
    expect(existsSync(join(caseDir("good"), "cdktf.out", "stacks", "gcp-honeynet", "cdk.tf.json"))).toBe(true);
    const gcp = r.stdout.slice(r.stdout.indexOf("stack gcp-honeynet"));
    expect(gcp).toMatch(/^ {2}honeypots \(10\):$/m);
    expect(gcp).toMatch(/^ {4}conpot_IEC104 +2404\/tcp 161\/udp$/m);
    expect(gcp).toMatch(/^ {4}cowrie +22\/tcp 23\/tcp$/m);
  });
});
