/** Every policy rule on every stack the app synthesizes: the default config and its main variants. */
import { Testing } from "cdktf";
import { createStacks } from "../../main";
import { ALL_RULES, checkStack } from "../../modules/core/policy";
import { configWith, type Json } from "../helpers/synth";

const variants: [string, (c: Json) => void][] = [
  ["default", () => {}],
  ["standard profile", (c) => (c.honeynet.profile = "standard")],
  ["https + on-demand", (c) => {
    c.honeynet.dashboard.certificateArn = "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234";
    c.honeynet.capacity = "on-demand";
  }],
  ["explicit list with deprecated honeypots and a repository", (c) => {
    c.honeynet.profile = ["rdpy", "honeysap", "cowrie", "elasticpot"];
    c.honeynet.imageRepositories = ["cowrie"];
  }],
];

describe.each(variants)("%s", (_, change) => {
  const app = Testing.app();
  const stacks = createStacks(app, configWith(change));

  test("synthesizes the aws-honeynet stack", () => {
    expect(stacks.map((s) => s.node.id)).toEqual(["aws-honeynet"]);
  });

  test.each(ALL_RULES.map((r) => [r.id, r] as const))("rule %s: zero violations", (_id, rule) => {
    for (const s of stacks) expect(checkStack(JSON.parse(Testing.synth(s)), [rule])).toEqual([]);
  });
});
