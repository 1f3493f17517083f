/**
 * AwsStack skips cdktf's preparing resolve pass (it only looks for references between stacks, and lure's
 * stacks have none): the app's output must be byte-for-byte what the full pass gives. Synthesized through
 * a real App into two folders, once as lure runs it and once with cdktf's own prepareStack first.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { App, TerraformStack } from "cdktf";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { createStacks } from "../../main";
import { AwsStack } from "../../providers/aws";
import { configWith, type Json } from "../helpers/synth";
import { EXISTING_TARGET } from "../helpers/variants";

const dirs: string[] = [];
const awsOnly = (c: Json) => {
  delete c.clouds.azure;
  delete c.clouds.gcp;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function synthInto(change: (c: Json) => void, fullPrepare: boolean): Record<string, string> {
  const outdir = mkdtempSync(join(tmpdir(), "lure-prepare-"));
  dirs.push(outdir);
  const app = new App({ outdir });
  const stacks = createStacks(app, configWith(change));
  if (fullPrepare) for (const s of stacks) TerraformStack.prototype.prepareStack.call(s);
  app.synth();
  return Object.fromEntries(readdirSync(join(outdir, "stacks")).map((s) => [s, readFileSync(join(outdir, "stacks", s, "cdk.tf.json"), "utf8")]));
}

test.each([
  ["the default config", () => {}],
  // AWS settings alone: the Azure and Google Cloud stacks would be the default's again, so they are left out.
  ["https, repository, flow logs", (c: Json) => {
    c.honeynet.dashboard.certificateArn = "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234";
    c.honeynet.imageRepositories = ["cowrie"];
    c.honeynet.flowLogs = true;
    awsOnly(c);
  }],
  ["an existing target with decoy copies", (c: Json) => {
    c.quarantine.target = structuredClone(EXISTING_TARGET);
    c.quarantine.copies = { kind: "ecs", image: "registry.example.com/decoy:1" };
    awsOnly(c);
  }],
])("%s: skipping the preparing pass changes nothing", (name, change) => {
  const skipped = synthInto(change, false);
  const full = synthInto(change, true);
  expect(Object.keys(skipped).sort()).toEqual(name === "the default config" ? ["aws-honeynet", "aws-quarantine", "azure-honeynet", "azure-quarantine", "gcp-honeynet", "gcp-quarantine"] : ["aws-honeynet", "aws-quarantine"]);
  for (const name of Object.keys(full)) expect({ name, json: skipped[name] }).toEqual({ name, json: full[name] });
});

test("the comparison would see what the pass does: a reference between two stacks becomes remote state only with it", () => {
  const build = (fullPrepare: boolean) => {
    const outdir = mkdtempSync(join(tmpdir(), "lure-prepare-"));
    dirs.push(outdir);
    const app = new App({ outdir });
    const a = new AwsStack(app, "a", { prefix: "lure", region: "eu-west-2" });
    const b = new AwsStack(app, "b", { prefix: "lure", region: "eu-west-2" });
    const q = new SqsQueue(a, "Q", { name: "q" });
    new SqsQueue(b, "R", { name: q.name });
    if (fullPrepare) for (const s of [a, b]) TerraformStack.prototype.prepareStack.call(s);
    app.synth();
    return readFileSync(join(outdir, "stacks", "b", "cdk.tf.json"), "utf8");
  };
  expect(build(true)).toContain("terraform_remote_state");
  expect(build(false)).not.toContain("terraform_remote_state");
});
