/** Every policy rule on every stack the app synthesizes: the default config and its main variants. */
import { Testing } from "cdktf";
import { createStacks } from "../../main";
import { ALL_RULES, checkStack } from "../../modules/core/policy";
import { configWith, danglingReferences, synthAwsQuarantine } from "../helpers/synth";
import { QUARANTINE_VARIANTS, STACK_VARIANTS } from "../helpers/variants";

describe.each(STACK_VARIANTS)("%s", (_, change) => {
  const app = Testing.app();
  const config = configWith(change);
  const stacks = createStacks(app, config);
  // Synthesized once, checked by every rule.
  const synthesized = stacks.map((s) => JSON.parse(Testing.synth(s)));

  test("synthesizes the aws-honeynet stack, aws-quarantine unless the quarantine is disabled, azure-honeynet and gcp-honeynet", () => {
    expect(config.clouds.azure).toBeDefined();
    expect(config.clouds.gcp).toBeDefined();
    const honeynets = ["azure-honeynet", "gcp-honeynet"];
    expect(stacks.map((s) => s.node.id)).toEqual(config.quarantine.enabled ? ["aws-honeynet", "aws-quarantine", ...honeynets] : ["aws-honeynet", ...honeynets]);
  });

  test.each(ALL_RULES.map((r) => [r.id, r] as const))("rule %s: zero violations", (_id, rule) => {
    for (const json of synthesized) expect(checkStack(json, [rule])).toEqual([]);
  });

  // Outside the hive split no stack reads another; a reference into one would fail its plan.
  if (config.honeynet.analytics.hive === undefined) {
    test("every stack refers only to what it declares", () => {
      for (const json of synthesized) expect(danglingReferences(json)).toEqual([]);
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
