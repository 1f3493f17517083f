/**
 * `npm run plan`: its arguments, the offline environment and the local AWS stand-in, a stack refused
 * before Terraform runs, and the real command planning `aws-quarantine` offline against the local
 * provider mirror (skipped, with the reason, where terraform or the mirror is missing).
 */
import { spawn } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { UsageError } from "../../modules/core/cli/deploy";
import { offlineEnv, parsePlanArgs, planStack } from "../../modules/core/cli/plan";
import { OFFLINE_ACCOUNT, mirrorRc, offlineAwsStack, startAwsStandIn, type AwsStandIn } from "../../modules/core/plan/offline";
import { COMMENT_LIMIT, commentMarker } from "../../modules/core/plan/summary";
import { terraformAvailable } from "../helpers/terraform";
import type { Json } from "../helpers/synth";

const ROOT = resolve(__dirname, "../..");

describe("parsePlanArgs", () => {
  it("reads stacks and options in any order", () => {
    expect(parsePlanArgs(["aws-honeynet", "--destroy", "gcp-quarantine", "--context=commit abc"])).toEqual({
      stacks: ["aws-honeynet", "gcp-quarantine"], offline: false, destroy: true, remoteState: false, context: "commit abc",
    });
    expect(parsePlanArgs([])).toEqual({ stacks: [], offline: false, destroy: false, remoteState: false });
    expect(parsePlanArgs(["--remote-state"]).remoteState).toBe(true);
  });

  it("refuses unknown options, --help, and --offline with --remote-state, with the usage", () => {
    expect(() => parsePlanArgs(["--ofline"])).toThrow(UsageError);
    expect(() => parsePlanArgs(["--ofline"])).toThrow(/unknown option --ofline\nusage: npm run plan --/);
    expect(() => parsePlanArgs(["-h"])).toThrow(/^usage: npm run plan/);
    expect(() => parsePlanArgs(["--offline", "--remote-state"])).toThrow(/--offline plans against an empty state and --remote-state against the stack's backend: choose one/);
  });
});

describe("offlineEnv", () => {
  it("drops the caller's AWS, Terraform and proxy settings and points every request at a dead proxy", () => {
    const env = offlineEnv({
      PATH: "/usr/bin", HOME: "/home/u", AWS_PROFILE: "prod", AWS_ACCESS_KEY_ID: "AKIA…", TF_VAR_x: "1", TF_CLI_CONFIG_FILE: "/etc/rc",
      https_proxy: "http://corp:3128", NO_PROXY: "internal",
    }, "/tmp/rc");
    expect(env.PATH).toBe("/usr/bin");
    expect(env.HOME).toBe("/home/u");
    for (const k of ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "TF_VAR_x", "https_proxy"]) expect(env[k]).toBeUndefined();
    expect(env).toMatchObject({
      TF_CLI_CONFIG_FILE: "/tmp/rc", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_EC2_METADATA_DISABLED: "true",
      HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "127.0.0.1",
    });
  });
});

describe("offlineAwsStack", () => {
  const stack: Json = {
    terraform: { required_providers: { aws: { source: "hashicorp/aws", version: "6.0.0" } }, backend: { s3: { bucket: "state" } } },
    provider: { aws: [{ region: "eu-west-2" }, { region: "us-east-1", alias: "global" }] },
  };

  it("plans against the mirrored provider with no backend, fixed keys and, given an endpoint, STS and EC2 sent to it", () => {
    const out = offlineAwsStack(stack, "5.100.0", "http://127.0.0.1:1234");
    expect(out.terraform.required_providers.aws.version).toBe("5.100.0");
    expect(out.terraform.backend).toBeUndefined();
    expect(out.provider.aws).toHaveLength(2);
    for (const p of out.provider.aws as Json[]) {
      expect(p).toMatchObject({ skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true, max_retries: 1, endpoints: [{ sts: "http://127.0.0.1:1234", ec2: "http://127.0.0.1:1234" }] });
    }
    expect(out.provider.aws[1].alias).toBe("global");
    // The synthesized stack is left as it was.
    expect(stack.terraform.backend).toEqual({ s3: { bucket: "state" } });
    expect(offlineAwsStack(stack, "5.100.0").provider.aws[0].endpoints).toBeUndefined();
  });

  it("installs only hashicorp/aws, only from the mirror", () => {
    expect(mirrorRc("/opt/m")).toBe('provider_installation {\n  filesystem_mirror {\n    path    = "/opt/m"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n');
  });
});

describe("the AWS stand-in", () => {
  let standIn: AwsStandIn;
  beforeAll(async () => (standIn = await startAwsStandIn()));
  afterAll(() => standIn.close());
  // A SigV4 header as the provider sends it: the region is its fourth credential-scope part.
  const call = (action: string, region = "eu-west-2") => fetch(standIn.url, {
    method: "POST",
    headers: { authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261205/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`, "content-type": "application/x-www-form-urlencoded" },
    body: `Action=${action}&Version=2016-11-15`,
  });

  it("answers GetCallerIdentity with the offline account", async () => {
    const r = await call("GetCallerIdentity");
    expect(r.status).toBe(200);
    expect(await r.text()).toContain(`<Account>${OFFLINE_ACCOUNT}</Account>`);
  });

  it("answers DescribeAvailabilityZones with two zones of the request's region", async () => {
    const body = await (await call("DescribeAvailabilityZones", "ap-southeast-2")).text();
    expect([...body.matchAll(/<zoneName>([^<]+)<\/zoneName>/g)].map((m) => m[1])).toEqual(["ap-southeast-2a", "ap-southeast-2b"]);
  });

  it("refuses anything else by name, and records every call", async () => {
    const r = await call("DescribeVpcs");
    expect(r.status).toBe(400);
    expect(await r.text()).toContain("answers only GetCallerIdentity and DescribeAvailabilityZones, not DescribeVpcs");
    expect(standIn.calls).toEqual(expect.arrayContaining(["GetCallerIdentity", "DescribeAvailabilityZones", "DescribeVpcs"]));
  });
});

describe("planStack before Terraform runs", () => {
  let outdir: string;
  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), "lure-plan-"));
    mkdirSync(join(outdir, "stacks", "gcp-honeynet"), { recursive: true });
    writeFileSync(join(outdir, "stacks", "gcp-honeynet", "cdk.tf.json"), JSON.stringify({ terraform: { backend: { local: { path: "terraform.gcp-honeynet.tfstate" } } } }));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));
  const noStandIn = () => Promise.reject(new Error("no stand-in for these"));

  it("--remote-state refuses a local state, says which backend to set, and leaves a failure comment in place of an old one", async () => {
    const plans = join(outdir, "plans");
    mkdirSync(plans);
    writeFileSync(join(plans, "gcp-honeynet.md"), "an old comment");
    writeFileSync(join(plans, "gcp-honeynet.txt"), "an old plan");
    const o = await planStack("gcp-honeynet", outdir, plans, parsePlanArgs(["--remote-state", "--context=commit abc"]), noStandIn, {});
    expect(o.status).toBe("failed");
    expect(o.why).toMatch(/its state is local: .*Set clouds\.gcp\.backend in the config \(type gcs\)/);
    const md = readFileSync(join(plans, "gcp-honeynet.md"), "utf8");
    expect(md.startsWith(`${commentMarker("gcp-honeynet")}\n### \`gcp-honeynet\`: the plan failed\n<sub>commit abc</sub>`)).toBe(true);
    expect(md).toContain("Set clouds.gcp.backend");
    expect(existsSync(join(plans, "gcp-honeynet.txt"))).toBe(false);
  });

  it("--offline skips a stack of another cloud and says what its plan needs", async () => {
    const o = await planStack("gcp-honeynet", outdir, join(outdir, "plans"), parsePlanArgs(["--offline"]), noStandIn, {});
    expect(o.status).toBe("skipped");
    expect(o.why).toMatch(/^not planned offline: an offline plan needs a provider that starts without its cloud.*A plan of gcp-honeynet needs the google provider .*gcloud auth application-default login/);
    expect(existsSync(join(outdir, "plans", "gcp-honeynet.md"))).toBe(false);
  });
});

const tf = terraformAvailable();
const offline = tf.ok ? describe : describe.skip;
if (!tf.ok) console.warn(`the offline npm run plan is skipped: ${tf.why}`);

offline("npm run plan -- aws-quarantine azure-honeynet --offline (the real command, local mirror, no AWS)", () => {
  let outdir: string;
  let result: { code: number | null; out: string };
  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), "lure-plan-cli-"));
    const env = { ...process.env, LURE_OUTDIR: outdir, LURE_CONFIG: "" };
    result = await new Promise((done) => {
      const child = spawn(process.execPath, ["--require", "tsx/cjs", "modules/core/cli/plan.ts", "aws-quarantine", "azure-honeynet", "--offline"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      child.on("close", (code) => done({ code, out }));
    });
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("succeeds: one planned, one skipped", () => {
    expect(result.out).toContain("lure: 1 planned, 1 skipped (azure-honeynet)");
    expect(result.code).toBe(0);
  });

  it("prints the summary and where the saved plan and the comment are", () => {
    expect(result.out).toMatch(/\naws-quarantine: Plan: \d+ to add, 0 to change, 0 to destroy\.\n/);
    expect(result.out).toMatch(/saved plan: .*plans\/offline\/aws-quarantine\/lure\.tfplan; comment: .*plans\/aws-quarantine\.md/);
    expect(existsSync(join(outdir, "plans", "offline", "aws-quarantine", "lure.tfplan"))).toBe(true);
  });

  it("writes the comment, the plan text and the summary, which agree", () => {
    const summary = JSON.parse(readFileSync(join(outdir, "plans", "aws-quarantine.json"), "utf8")) as Json;
    const md = readFileSync(join(outdir, "plans", "aws-quarantine.md"), "utf8");
    const txt = readFileSync(join(outdir, "plans", "aws-quarantine.txt"), "utf8");
    expect(summary.add).toBeGreaterThan(20);
    expect(md.split("\n")[1]).toBe(`### \`aws-quarantine\`: Plan: ${summary.add} to add, 0 to change, 0 to destroy.`);
    expect(md).toContain(`offline: an empty state, hashicorp/aws ${tf.ok ? tf.awsVersion : ""}`);
    expect(txt).toContain(`Plan: ${summary.add} to add, 0 to change, 0 to destroy.`);
    // The full plan is longer than a comment may be: its start is shown, with where the rest is.
    expect(md).toContain(txt.slice(0, 2_000));
    expect(md.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(md).toContain(`_The plan is ${txt.length.toLocaleString("en")} characters;`);
  });

  it("explains what the Azure stack needs instead of planning it", () => {
    expect(result.out).toMatch(/azure-honeynet: skipped: not planned offline: .*A plan of azure-honeynet needs the azurerm provider .*az login/);
    expect(existsSync(join(outdir, "plans", "azure-honeynet.md"))).toBe(false);
  });
});
