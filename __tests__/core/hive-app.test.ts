/**
 * The whole app with `honeynet.analytics.hive: "aws"`: the sensor stacks read the hive's address from
 * aws-honeynet's state (cdktf's cross-stack reference), and no stack refers to a resource it does not
 * declare (a reference left pointing into another stack would fail `terraform plan` there; the
 * default config's stacks are checked the same way in __tests__/policy/synthesized.test.ts).
 */
import { App } from "cdktf";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { createStacks } from "../../main";
import type { LureConfig } from "../../modules/core/config";
import { configWith, danglingReferences, resources, type Json } from "../helpers/synth";

function synthApp(config: LureConfig): Record<string, Json> {
  const outdir = mkdtempSync(join(tmpdir(), "lure-app-"));
  try {
    const app = new App({ outdir });
    const stacks = createStacks(app, config);
    app.synth();
    return Object.fromEntries(stacks.map((s) => [s.node.id, JSON.parse(readFileSync(join(outdir, "stacks", s.node.id, "cdk.tf.json"), "utf8")) as Json]));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}


const hive = synthApp(configWith((c) => (c.honeynet.analytics = { hive: "aws" })));
const REMOTE = "cross-stack-reference-input-aws-honeynet";

describe("AWS hive, Azure and Google Cloud sensors", () => {
  const [lbAddress] = resources(hive["aws-honeynet"], "aws_lb").find(([, lb]) => lb.name === "lure-hive")!;
  const outputs = Object.entries(hive["aws-honeynet"].output as Record<string, Json>).filter(([k]) => k.startsWith("cross-stack-output-"));

  it("aws-honeynet gives out the hive's DNS name, and nothing else, to the other stacks", () => {
    expect(outputs.map(([, o]) => o.value)).toEqual([`\${${lbAddress}.dns_name}`]);
  });

  it.each(["azure-honeynet", "gcp-honeynet"])("%s reads it from aws-honeynet's state, where the local backend keeps it", (name) => {
    expect(hive[name].data.terraform_remote_state).toEqual({ [REMOTE]: { backend: "local", config: { path: "../../../terraform.aws-honeynet.tfstate" }, workspace: "${terraform.workspace}" } });
  });

  it("every sensor VM ships to that address on the hive port", () => {
    const target = `\${data.terraform_remote_state.${REMOTE}.outputs.${outputs[0][0]}}:64294`;
    const gcpVms = resources(hive["gcp-honeynet"], "google_compute_instance");
    const azureVms = resources(hive["azure-honeynet"], "azurerm_linux_virtual_machine");
    expect(gcpVms).toHaveLength(10);
    expect(azureVms).toHaveLength(10);
    for (const [, vm] of gcpVms) expect(vm.metadata["user-data"]).toContain(`- "${target}"`);
    // Azure's custom_data is base64encode() of the document, a Terraform string with the reference in it.
    for (const [, vm] of azureVms) expect(vm.custom_data).toContain(target);
  });

  it.each(["aws-honeynet", "aws-quarantine", "azure-honeynet", "gcp-honeynet"])("%s refers only to what it declares", (name) => {
    expect(danglingReferences(hive[name])).toEqual([]);
  });
});
