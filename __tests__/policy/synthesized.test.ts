/** Every policy rule on every stack the app synthesizes: the default config and its main variants. */
import { Testing } from "cdktf";
import { createStacks } from "../../main";
import { ALL_RULES, checkStack } from "../../modules/core/policy";
import { configWith } from "../helpers/synth";
import { STACK_VARIANTS } from "../helpers/variants";

describe.each(STACK_VARIANTS)("%s", (_, change) => {
  const app = Testing.app();
  const stacks = createStacks(app, configWith(change));

  test("synthesizes the aws-honeynet stack", () => {
    expect(stacks.map((s) => s.node.id)).toEqual(["aws-honeynet"]);
  });

  test.each(ALL_RULES.map((r) => [r.id, r] as const))("rule %s: zero violations", (_id, rule) => {
    for (const s of stacks) expect(checkStack(JSON.parse(Testing.synth(s)), [rule])).toEqual([]);
  });
});
