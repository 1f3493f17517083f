/**
 * Every policy rule on every stack the app synthesizes: the default config and its main variants,
 * each through a real App as `npm start` does (cdktf's cross-stack pass included), so what is checked
 * is what is written. With `honeynet.analytics.hive: "aws"` (one of the variants) the sensor stacks
 * read the hive's address from aws-honeynet's state; no stack refers to a resource it does not declare
 * (a reference left pointing into another stack would fail `terraform plan` there).
 */
import { ALL_RULES, checkStack } from "../../modules/core/policy";
import { configWith, danglingReferences, resources, synthAwsQuarantine, type Json } from "../helpers/synth";
import { synthApp } from "../helpers/app";
import { QUARANTINE_VARIANTS, STACK_VARIANTS } from "../helpers/variants";

describe.each(STACK_VARIANTS)("%s", (_, change) => {
  const config = configWith(change);
  // Synthesized once, checked by every rule.
  const synthesized = synthApp(config);

  test("synthesizes aws-honeynet, azure-honeynet and gcp-honeynet, and aws-quarantine, azure-quarantine and gcp-quarantine (the last two: demo target) unless the quarantine is disabled", () => {
    expect(config.clouds.azure).toBeDefined();
    expect(config.clouds.gcp).toBeDefined();
    const q = config.quarantine;
    const expected = ["aws-honeynet", ...(q.enabled ? ["aws-quarantine"] : []), "azure-honeynet", ...(q.enabled && q.target === "demo" ? ["azure-quarantine"] : []), "gcp-honeynet", ...(q.enabled && q.target === "demo" ? ["gcp-quarantine"] : [])];
    expect(Object.keys(synthesized)).toEqual(expected);
  });

  test.each(ALL_RULES.map((r) => [r.id, r] as const))("rule %s: zero violations", (_id, rule) => {
    for (const json of Object.values(synthesized)) expect(checkStack(json, [rule])).toEqual([]);
  });

  test("no stack holds a key or certificate (the hive's credential is written outside Terraform)", () => {
    for (const json of Object.values(synthesized)) expect(JSON.stringify(json)).not.toMatch(/-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----/);
  });

  test("every stack refers only to what it declares", () => {
    for (const [name, json] of Object.entries(synthesized)) expect([name, danglingReferences(json)]).toEqual([name, []]);
  });

  const REMOTE = "cross-stack-reference-input-aws-honeynet";
  if (config.honeynet.analytics.hive === undefined) {
    test("no stack reads another", () => {
      for (const json of Object.values(synthesized)) {
        expect(json.data?.terraform_remote_state).toBeUndefined();
        expect(Object.keys(json.output ?? {}).filter((k) => k.startsWith("cross-stack"))).toEqual([]);
      }
    });
  } else {
    test("the sensors read the hive's DNS name, and nothing else, from aws-honeynet's state, and every sensor VM ships there on 64294", () => {
      const [lb] = resources(synthesized["aws-honeynet"], "aws_lb").find(([, b]) => b.name === "lure-hive")!;
      const outputs = Object.entries(synthesized["aws-honeynet"].output as Record<string, Json>).filter(([k]) => k.startsWith("cross-stack-output-"));
      expect(outputs.map(([, o]) => o.value)).toEqual([`\${${lb}.dns_name}`]);
      const target = `\${data.terraform_remote_state.${REMOTE}.outputs.${outputs[0][0]}}:64294`;
      for (const name of ["azure-honeynet", "gcp-honeynet"]) {
        expect(synthesized[name].data.terraform_remote_state).toEqual({ [REMOTE]: { backend: "local", config: { path: "../../../terraform.aws-honeynet.tfstate" }, workspace: "${terraform.workspace}" } });
      }
      const gcpVms = resources(synthesized["gcp-honeynet"], "google_compute_instance");
      const azureVms = resources(synthesized["azure-honeynet"], "azurerm_linux_virtual_machine");
      expect([gcpVms.length, azureVms.length]).toEqual([10, 10]);
      for (const [, vm] of gcpVms) expect(vm.metadata["user-data"]).toContain(`- "${target}"`);
      // Azure's custom_data is base64encode() of the document, a Terraform string with the reference in it.
      for (const [, vm] of azureVms) expect(vm.custom_data).toContain(target);
    });
  }
});

// The quarantine settings that change the stack's shape; the honeynet does not depend on them.
describe.each(QUARANTINE_VARIANTS)("%s", (_, change) => {
  const stack = synthAwsQuarantine(configWith(change));

  test.each(ALL_RULES.map((r) => [r.id, r] as const))("aws-quarantine, rule %s: zero violations", (_id, rule) => {
    expect(checkStack(stack, [rule])).toEqual([]);
  });
});
