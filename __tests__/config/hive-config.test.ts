/** `honeynet.analytics.hive`: one Elastic stack and Kibana for every cloud's events. */
import { analyticsRole, honeynetPropsFor } from "../../modules/core/config";
import { configOf, expectProblems } from "../helpers/config-problems";

const CERT = "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234";

describe("honeynet.analytics", () => {
  it('still takes the string "elastic": one Elastic stack per cloud', () => {
    const { config } = configOf((c) => (c.honeynet.analytics = "elastic"));
    expect(config.honeynet.analytics).toEqual({ engine: "elastic", hiveAllowCidrs: ["0.0.0.0/0"] });
    expect((["aws", "azure", "gcp"] as const).map((k) => analyticsRole(config, k))).toEqual(["own", "own", "own"]);
  });

  it('makes AWS the hive and Azure and Google Cloud its sensors with hive: "aws"', () => {
    const { config } = configOf((c) => (c.honeynet.analytics = { hive: "aws" }));
    expect((["aws", "azure", "gcp"] as const).map((k) => analyticsRole(config, k))).toEqual(["hive", "sensor", "sensor"]);
    expect(honeynetPropsFor(config, "aws").hiveInput).toEqual({ allowCidrs: ["0.0.0.0/0"] });
    expect(honeynetPropsFor(config, "azure").hiveInput).toBeUndefined();
    expect(honeynetPropsFor(config, "gcp").hiveInput).toBeUndefined();
  });

  it("refuses a hive on a cloud that cannot be one yet, or one that is not configured", () => {
    expectProblems((c) => (c.honeynet.analytics = { hive: "azure" }), [["honeynet.analytics.hive", '"azure" is not offered yet', 'allowed: "aws"']]);
    expectProblems((c) => (c.honeynet.analytics = { hive: "gcp" }), [["honeynet.analytics.hive", '"gcp" is not offered yet']]);
    expectProblems((c) => ((c.honeynet.analytics = { hive: "aws" }), delete c.clouds.aws), [["honeynet.analytics.hive", '"aws" is not configured', "clouds.aws"]]);
    expectProblems((c) => (c.honeynet.analytics = { hive: "oracle" }), [["honeynet.analytics.hive", "aws"]]);
    expectProblems((c) => (c.honeynet.analytics = { hive: "aws", hiveAllowCidrs: [] }), [["honeynet.analytics.hiveAllowCidrs", "is empty"]]);
    expectProblems((c) => (c.honeynet.analytics = { hive: "aws", hiveAllowCidrs: ["2001:db8::/32"] }), [["honeynet.analytics.hiveAllowCidrs", "only IPv6", "IPv4-only"]]);
    expectProblems((c) => (c.honeynet.analytics = { hive: "aws", hiveAllowCidrs: ["10.0.0.0/33"] }), [["honeynet.analytics.hiveAllowCidrs[0]", ""]]);
    expectProblems((c) => (c.honeynet.analytics = { hive: "aws", password: "x" }), [["honeynet.analytics.password", ""]]);
  });

  it("asks nothing of the sensors' dashboards, which they do not have", () => {
    // HTTPS on AWS, no plain-HTTP opt-in, no Google domain: fine when Azure and Google Cloud ship to the AWS hive...
    const https = (c: Record<string, any>) => (c.honeynet.dashboard = { allowCidrs: ["198.51.100.0/24"], certificateArn: CERT }); // eslint-disable-line @typescript-eslint/no-explicit-any
    const { config, warnings } = configOf((c) => (https(c), (c.honeynet.analytics = { hive: "aws" })));
    expect(analyticsRole(config, "azure")).toBe("sensor");
    expect(warnings).toEqual([]);
    // ...and refused, as before, when each runs its own plain-HTTP dashboard.
    expectProblems(https, [
      ["honeynet.dashboard.allowPlaintext", "Azure dashboard is served over plain HTTP"],
    ]);
  });

  it("warns when the hive has nobody to take events from", () => {
    const { config, warnings } = configOf((c) => ((c.honeynet.analytics = { hive: "aws" }), delete c.clouds.azure, delete c.clouds.gcp));
    expect(analyticsRole(config, "aws")).toBe("own");
    expect(honeynetPropsFor(config, "aws").hiveInput).toBeUndefined();
    expect(warnings).toContain('honeynet.analytics.hive: "aws" has no other cloud to take events from (only clouds.aws is configured), so no hive input is made');
  });

  it("counts every cloud's honeypots against the hive's Elastic size", () => {
    const small = (hive: boolean) => (c: Record<string, any>) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      c.honeynet.elastic = { size: "small" };
      c.honeynet.profile = ["cowrie", "dionaea", "heralding"];
      if (hive) c.honeynet.analytics = { hive: "aws" };
    };
    expect(configOf(small(false)).warnings.filter((w) => w.startsWith("honeynet.elastic.size"))).toEqual([]);
    expect(configOf(small(true)).warnings.filter((w) => w.startsWith("honeynet.elastic.size"))).toEqual([expect.stringContaining("a cloud here runs 9 honeypots")]);
  });
});
