/** The example at the top of modules/aws/honeynet.ts runs as written and synthesizes a clean stack. */
import { readFileSync } from "fs";
import { join } from "path";
import { Testing } from "cdktf";
import { AwsStack } from "../../providers/aws";
import { AwsHoneynet } from "../../modules/aws/honeynet";
import { PROFILES } from "../../modules/core/catalog";
import { checkStack } from "../../modules/core/policy";
import { ROOT, resources } from "../helpers/synth";

test("header example of AwsHoneynet", () => {
  const header = readFileSync(join(ROOT, "modules/aws/honeynet.ts"), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(header)?.[1];
  expect(block).toBeDefined();
  const code = block!.split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n");
  const app = Testing.app();
  new Function("app", "AwsStack", "AwsHoneynet", "PROFILES", code)(app, AwsStack, AwsHoneynet, PROFILES);
  const stack = app.node.findChild("aws-honeynet") as AwsStack;
  const json = JSON.parse(Testing.synth(stack));
  expect(resources(json, "aws_ecs_service")).toHaveLength(PROFILES.industrial.length + 3);
  expect(checkStack(json)).toEqual([]);
});
