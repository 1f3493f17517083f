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

  it.each([
    ["azure", ["sensor", "hive", "sensor"]],
    ["gcp", ["sensor", "sensor", "hive"]],
  ] as const)('makes %s the hive and the two other clouds its sensors', (hive, roles) => {
    const { config } = configOf((c) => (c.honeynet.analytics = { hive, hiveAllowCidrs: ["192.0.2.0/24"] }));
    expect((["aws", "azure", "gcp"] as const).map((k) => analyticsRole(config, k))).toEqual(roles);
    expect((["aws", "azure", "gcp"] as const).map((k) => honeynetPropsFor(config, k).hiveInput)).toEqual(roles.map((r) => (r === "hive" ? { allowCidrs: ["192.0.2.0/24"] } : undefined)));
  });

  it("refuses a hive on a cloud that is not configured, or not a cloud", () => {
    expectProblems((c) => ((c.honeynet.analytics = { hive: "gcp" }), delete c.clouds.gcp), [["honeynet.analytics.hive", '"gcp" is not configured', "clouds.gcp"]]);
    expectProblems((c) => ((c.honeynet.analytics = { hive: "aws" }), delete c.clouds.aws), [["honeynet.analytics.hive", '"aws" is not configured', "clouds.aws"]]);
    expectProblems((c) => (c.honeynet.analytics = { hive: "oracle" }), [["honeynet.analytics.hive", '"aws"']]);
    expectProblems((c) => (c.honeynet.analytics = { hive: "aws", hiveAllowCidrs: [] }), [["honeynet.analytics.hiveAllowCidrs", "is empty"]]);
    expectProblems((c) => (c.honeynet.analytics = { hive: "aws", hiveAllowCidrs: ["2001:db8::/32"] }), [["honeynet.analytics.hiveAllowCidrs", "only IPv6", "IPv4-only"]]);
    expectProblems((c) => (c.honeynet.analytics = { hive: "azure", hiveAllowCidrs: ["2001:db8::/32"] }), [["honeynet.analytics.hiveAllowCidrs", "only IPv6", "IPv4-only"]]);
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

  it("asks nothing of AWS's dashboard when AWS is a sensor: the hive's dashboard is checked instead", () => {
    // A Google Cloud hive with its domain: no certificateArn needed, although AWS is configured.
    const gcpHive = (c: Record<string, any>) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      c.honeynet.dashboard = { allowCidrs: ["198.51.100.0/24"], domain: "kibana.example.org" };
      c.honeynet.analytics = { hive: "gcp" };
    };
    const { config, warnings } = configOf(gcpHive);
    expect(analyticsRole(config, "aws")).toBe("sensor");
    expect(warnings).toEqual([]);
    // The same dashboard with AWS running its own: AWS's HTTPS is asked for.
    expectProblems((c) => (gcpHive(c), (c.honeynet.analytics = "elastic")), [["honeynet.dashboard.certificateArn", ""]]);
    // An Azure hive: Azure's plain HTTP needs its opt-in, whatever AWS would need.
    expectProblems((c) => (gcpHive(c), (c.honeynet.analytics = { hive: "azure" })), [["honeynet.dashboard.certificateArn", ""]]);
  });

  it("warns that an attack map is not made when AWS, the only cloud that has one, is a sensor", () => {
    const { warnings } = configOf((c) => {
      c.honeynet.dashboard = { allowCidrs: ["198.51.100.0/24"], domain: "kibana.example.org" };
      c.honeynet.analytics = { hive: "gcp" };
      c.honeynet.attackMap = true;
    });
    expect(warnings).toContain("honeynet.attackMap: is built on AWS only, and AWS ships to the gcp hive here (no Elastic stack of its own), so no attack map is made");
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
