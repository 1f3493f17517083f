/**
 * Every policy rule on every stack the app synthesizes: the default config and its main variants,
 * each through a real App as `npm start` does (cdktf's cross-stack pass included), so what is checked
 * is what is written. With `honeynet.analytics.hive` (a variant per hive cloud) the sensor stacks
 * read the hive's address from the hive's state; no stack refers to a resource it does not declare
 * (a reference left pointing into another stack would fail `terraform plan` there).
 */
import { ALL_RULES, checkStack } from "../../modules/core/policy";
import { configWith, danglingReferences, resources, synthAwsQuarantine, type Json } from "../helpers/synth";
import { synthApp } from "../helpers/app";
import { configLoadErrors, hasTerraform } from "../helpers/terraform";
import { HIVE_VARIANTS, QUARANTINE_VARIANTS, STACK_VARIANTS } from "../helpers/variants";

describe.each([...STACK_VARIANTS, ...HIVE_VARIANTS])("%s", (_, change) => {
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

  // Only with a terraform binary: without one there is nothing to ask.
  (hasTerraform() ? test : test.skip)("Terraform loads every stack's configuration, with no provider (meta-arguments, blocks; what Azure and Google Cloud get here without their provider)", () => {
    for (const [name, json] of Object.entries(synthesized)) expect([name, configLoadErrors(json)]).toEqual([name, []]);
  });

  test("every replace_triggered_by is a bare reference to a resource of its stack (Terraform refuses an interpolation there)", () => {
    for (const [name, json] of Object.entries(synthesized)) {
      const triggers = Object.entries((json.resource ?? {}) as Record<string, Record<string, Json>>).flatMap(([, blocks]) => Object.values(blocks).flatMap((b) => (b.lifecycle?.replace_triggered_by ?? []) as string[]));
      const bad = triggers.filter((t) => {
        const [type, id] = t.split(".");
        return t.includes("${") || json.resource?.[type]?.[id] === undefined;
      });
      expect([name, bad]).toEqual([name, []]);
    }
  });

  const hive = config.honeynet.analytics.hive;
  if (hive === undefined) {
    test("no stack reads another", () => {
      for (const json of Object.values(synthesized)) {
        expect(json.data?.terraform_remote_state).toBeUndefined();
        expect(Object.keys(json.output ?? {}).filter((k) => k.startsWith("cross-stack"))).toEqual([]);
      }
    });
  } else {
    const hiveStack = `${hive}-honeynet`;
    const sensors = (["aws", "azure", "gcp"] as const).filter((c) => c !== hive);
    test(`the sensors (${sensors.join(", ")}) read the hive's address, and nothing else, from ${hiveStack}'s state, and every shipper of theirs ships there on 64294`, () => {
      const [address, attribute] = hiveAddressOf(synthesized[hiveStack], hive);
      const outputs = Object.entries(synthesized[hiveStack].output as Record<string, Json>).filter(([k]) => k.startsWith("cross-stack-output-"));
      expect(outputs.map(([, o]) => o.value)).toEqual([`\${${address}.${attribute}}`]);
      const remote = `cross-stack-reference-input-${hiveStack}`;
      const target = `\${data.terraform_remote_state.${remote}.outputs.${outputs[0][0]}}`;
      for (const cloud of sensors) {
        const json = synthesized[`${cloud}-honeynet`];
        expect(json.data.terraform_remote_state).toEqual({ [remote]: { backend: "local", config: { path: `../../../terraform.${hiveStack}.tfstate` }, workspace: "${terraform.workspace}" } });
        const shippers = shippersOf(json, cloud);
        expect(shippers.length).toBe(cloud === "aws" ? 1 : 10);
        for (const text of shippers) expect(text).toContain(`${target}:64294`);
      }
      // The hive itself has its Elastic stack; no sensor has one.
      for (const cloud of sensors) expect(JSON.stringify(synthesized[`${cloud}-honeynet`])).not.toMatch(/docker\.elastic\.co\/elasticsearch|telekom-security\/elasticsearch/);
    });
  }
});

/** The resource whose attribute is the hive's address on each cloud: the NLB's DNS name, the public IP's or the static address's IPv4. */
function hiveAddressOf(json: Json, hive: string): [string, string] {
  const [type, attribute] = ({ aws: ["aws_lb", "dns_name"], azure: ["azurerm_public_ip", "ip_address"], gcp: ["google_compute_address", "address"] } as Record<string, [string, string]>)[hive];
  const found = resources(json, type).filter(([, r]) => r.name === "lure-hive");
  expect(found).toHaveLength(1);
  return [found[0][0], attribute];
}

/** Where a sensor's shippers are configured: each honeypot VM's user data, or AWS's one shipper task. */
function shippersOf(json: Json, cloud: string): string[] {
  if (cloud === "gcp") return resources(json, "google_compute_instance").map(([, vm]) => String(vm.metadata["user-data"]));
  // Azure's custom_data is base64encode() of the document, a Terraform string with the reference in it.
  if (cloud === "azure") return resources(json, "azurerm_linux_virtual_machine").map(([, vm]) => String(vm.custom_data));
  return resources(json, "aws_ecs_task_definition").filter(([, td]) => String(td.family).endsWith("-shipper")).map(([, td]) => String(td.container_definitions));
}

// The quarantine settings that change the stack's shape; the honeynet does not depend on them.
describe.each(QUARANTINE_VARIANTS)("%s", (_, change) => {
  const stack = synthAwsQuarantine(configWith(change));

  test.each(ALL_RULES.map((r) => [r.id, r] as const))("aws-quarantine, rule %s: zero violations", (_id, rule) => {
    expect(checkStack(stack, [rule])).toEqual([]);
  });
});
