/** The constructs check the ARNs they are given against their stack's region before creating anything. */
import { Testing } from "cdktf";
import { AwsStack } from "../../providers/aws";
import { AwsHoneynet } from "../../modules/aws/honeynet";
import { AwsQuarantine } from "../../modules/aws/quarantine";
import { AwsQuarantineStack } from "../../modules/aws/stacks";
import { PROFILES } from "../../modules/core/catalog";
import { ConfigError } from "../../modules/core/config";
import { configWith } from "../helpers/synth";

const US_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234";

/** The ConfigError `make` throws. */
function refusal(make: () => unknown): ConfigError {
  try {
    make();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

test("AwsHoneynet refuses a dashboard certificate from another region, creating nothing", () => {
  const s = new AwsStack(Testing.app(), "s", { prefix: "lure", region: "eu-west-2" });
  const e = refusal(() => new AwsHoneynet(s, "H", { honeypots: PROFILES.industrial, dashboard: { allowCidrs: ["198.51.100.0/24"], certificateArn: US_CERT } }));
  expect(e.problems).toEqual([{ path: "dashboard.certificateArn", message: expect.stringContaining(`"${US_CERT}" is in us-east-1, but the stack's region is eu-west-2`) }]);
  expect(s.node.tryFindChild("H")?.node.children ?? []).toEqual([]);
});

test("AwsQuarantine refuses a demo certificate from another region, creating nothing", () => {
  const s = new AwsStack(Testing.app(), "s", { prefix: "lure", region: "eu-west-2" });
  const e = refusal(() => new AwsQuarantine(s, "Q", { demo: { certificateArn: US_CERT } }));
  expect(e.problems.map((p) => p.path)).toEqual(["demo.certificateArn"]);
  expect(s.node.tryFindChild("Q")?.node.children ?? []).toEqual([]);
});

test("AwsQuarantineStack reports it with the config's path", () => {
  // A valid config, then a region it was not validated for: the stack's own check still catches it.
  const config = configWith((c) => (c.quarantine.demo = { certificateArn: "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234" }));
  const e = refusal(() => new AwsQuarantineStack(Testing.app(), "aws-quarantine", config, { ...config.clouds.aws!, region: "us-east-1" }));
  expect(e.problems.map((p) => [p.path, p.message])).toEqual([["quarantine.demo.certificateArn", expect.stringContaining("is in eu-west-2, but the stack's region is us-east-1")]]);
});
