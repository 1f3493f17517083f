/** Certificates and an existing target's ARNs must be in the stack's region and its partition. */
import { validateConfig, type ConfigProblem } from "../../modules/core/config";
import { PROFILES } from "../../modules/core/catalog";
import { quarantinePropsProblems } from "../../modules/core/quarantine-runtime";
import { arnPlacementProblem, awsPartition } from "../../modules/core/regions";
import { honeynetPropsProblems } from "../../modules/core/validate";
import { defaultConfigInput, type Json } from "../helpers/synth";
import { EXISTING_TARGET } from "../helpers/variants";

const cert = (region: string, partition = awsPartition(region)) => `arn:${partition}:acm:${region}:123456789012:certificate/abcd-1234`;

const problemsOf = (change: (c: Json) => void): ConfigProblem[] => {
  const raw = defaultConfigInput();
  change(raw);
  const r = validateConfig(raw);
  return r.ok ? [] : r.problems;
};

describe("awsPartition", () => {
  it.each([
    ["eu-west-2", "aws"],
    ["us-east-1", "aws"],
    ["cn-north-1", "aws-cn"],
    ["cn-northwest-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
  ])("%s is in %s", (region, partition) => expect(awsPartition(region)).toBe(partition));
});

describe("arnPlacementProblem", () => {
  it.each<[string, string, string | undefined]>([
    [cert("eu-west-2"), "eu-west-2", undefined],
    [cert("cn-north-1"), "cn-north-1", undefined],
    [cert("us-east-1"), "eu-west-2", "is in us-east-1, but R is eu-west-2; W"],
    [cert("cn-north-1", "aws"), "cn-north-1", 'is in partition "aws", but cn-north-1 is in "aws-cn"; ARNs there start "arn:aws-cn:"'],
    [cert("eu-west-2", "aws-cn"), "eu-west-2", 'is in partition "aws-cn", but eu-west-2 is in "aws"; ARNs there start "arn:aws:"'],
    [cert("us-gov-west-1", "aws"), "us-gov-west-1", 'is in partition "aws", but us-gov-west-1 is in "aws-us-gov"; ARNs there start "arn:aws-us-gov:"'],
    // Not a regional ARN: its format is someone else's to report.
    ["arn:aws:iam::123456789012:server-certificate/x", "eu-west-2", undefined],
    ["not an arn", "eu-west-2", undefined],
  ])("%s in %s", (arn, region, problem) => expect(arnPlacementProblem(arn, region, "R is", "W")).toBe(problem));
});

describe("the config", () => {
  it.each<[string, (c: Json, arn: string) => void, string]>([
    ["honeynet.dashboard.certificateArn", (c, arn) => (c.honeynet.dashboard.certificateArn = arn), "honeynet.dashboard.certificateArn"],
    ["quarantine.demo.certificateArn", (c, arn) => (c.quarantine.demo = { certificateArn: arn }), "quarantine.demo.certificateArn"],
  ])("%s: another region is refused, with where to get the certificate", (_, set, path) => {
    expect(problemsOf((c) => set(c, cert("eu-west-2")))).toEqual([]);
    expect(problemsOf((c) => set(c, cert("us-east-1")))).toEqual([
      {
        path,
        message: `"${cert("us-east-1")}" is in us-east-1, but clouds.aws.region is eu-west-2; a load balancer only uses ACM certificates of its own region: request or import the certificate in eu-west-2`,
      },
    ]);
  });

  it.each<[string, (c: Json, arn: string) => void, string]>([
    ["honeynet.dashboard.certificateArn", (c, arn) => (c.honeynet.dashboard.certificateArn = arn), "honeynet.dashboard.certificateArn"],
    ["quarantine.demo.certificateArn", (c, arn) => (c.quarantine.demo = { certificateArn: arn }), "quarantine.demo.certificateArn"],
  ])("%s: the region's partition is required", (_, set, path) => {
    const inChina = (arn: string) => (c: Json) => ((c.clouds.aws.region = "cn-north-1"), set(c, arn));
    expect(problemsOf(inChina(cert("cn-north-1")))).toEqual([]);
    expect(problemsOf(inChina(cert("cn-north-1", "aws")))).toEqual([
      { path, message: `"${cert("cn-north-1", "aws")}" is in partition "aws", but cn-north-1 is in "aws-cn"; ARNs there start "arn:aws-cn:"` },
    ]);
  });

  it("checks an existing target's ARNs for the partition too", () => {
    const inChina = (target: Json) => (c: Json) => ((c.clouds.aws.region = "cn-north-1"), (c.quarantine = { target, copies: { kind: "ecs", image: "example/decoy:1" } }));
    const chinese = Object.fromEntries(Object.entries(EXISTING_TARGET).map(([k, v]) => [k, typeof v === "string" ? v.replace("eu-west-2", "cn-north-1") : v]));
    const fixed = Object.fromEntries(Object.entries(chinese).map(([k, v]) => [k, typeof v === "string" ? v.replace(/^arn:aws:/, "arn:aws-cn:") : v]));
    expect(problemsOf(inChina(fixed))).toEqual([]);
    const found = problemsOf(inChina(chinese));
    expect(found.map((p) => p.path)).toEqual(["quarantine.target.listenerArn", "quarantine.target.taskDefinitionArn"]);
    for (const p of found) expect(p.message).toContain('is in partition "aws", but cn-north-1 is in "aws-cn"');
  });

  it("leaves a certificate alone where it is not used, or when the region or the ARN is invalid (reported once, elsewhere)", () => {
    expect(problemsOf((c) => (c.quarantine = { target: { ...EXISTING_TARGET }, copies: { kind: "ecs", image: "example/decoy:1" }, demo: { certificateArn: cert("us-east-1") } }))).toEqual([]);
    expect(problemsOf((c) => ((c.clouds.aws.region = "eu-west-22"), (c.honeynet.dashboard.certificateArn = cert("us-east-1")))).map((p) => p.path)).toEqual(["clouds.aws.region"]);
    expect(problemsOf((c) => (c.honeynet.dashboard.certificateArn = "arn:aws:iam::123456789012:server-certificate/x"))).toEqual([
      { path: "honeynet.dashboard.certificateArn", message: expect.stringContaining("is not an ACM certificate ARN") },
    ]);
  });
});

describe("the props checks, with the stack's region", () => {
  const honeynet = (certificateArn: string) => ({ honeypots: PROFILES.industrial, dashboard: { allowCidrs: ["198.51.100.0/24"], certificateArn } });

  it("honeynetPropsProblems: the dashboard certificate", () => {
    expect(honeynetPropsProblems(honeynet(cert("eu-west-2")), "eu-west-2")).toEqual([]);
    expect(honeynetPropsProblems(honeynet(cert("us-east-1")), "eu-west-2")).toEqual([
      {
        path: "dashboard.certificateArn",
        message: `"${cert("us-east-1")}" is in us-east-1, but the stack's region is eu-west-2; a load balancer only uses ACM certificates of its own region: request or import the certificate in eu-west-2`,
      },
    ]);
    expect(honeynetPropsProblems(honeynet(cert("cn-north-1", "aws")), "cn-north-1").map((p) => p.message)).toEqual([expect.stringContaining('is in partition "aws", but cn-north-1 is in "aws-cn"')]);
    expect(honeynetPropsProblems(honeynet("my-cert"), "eu-west-2")).toEqual([{ path: "dashboard.certificateArn", message: '"my-cert" is not an ACM certificate ARN' }]);
    // Unresolved tokens, and no region to compare with.
    expect(honeynetPropsProblems(honeynet("${TfToken[TOKEN.1]}"), "eu-west-2")).toEqual([]);
    expect(honeynetPropsProblems(honeynet(cert("us-east-1")), "${TfToken[TOKEN.2]}")).toEqual([]);
    expect(honeynetPropsProblems(honeynet(cert("us-east-1")))).toEqual([]);
  });

  it("quarantinePropsProblems: the demo certificate and an existing target's ARNs", () => {
    expect(quarantinePropsProblems({ demo: { certificateArn: cert("eu-west-2") } }, "eu-west-2")).toEqual([]);
    expect(quarantinePropsProblems({ demo: { certificateArn: cert("us-east-1") } }, "eu-west-2").map((p) => [p.path, p.message])).toEqual([
      ["demo.certificateArn", expect.stringContaining("is in us-east-1, but the stack's region is eu-west-2")],
    ]);
    const copies = { kind: "ecs" as const, image: "example/decoy:1" };
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, copies }, "eu-west-2")).toEqual([]);
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, copies }, "us-east-1").map((p) => [p.path, p.message])).toEqual([
      ["target.listenerArn", expect.stringContaining("is in eu-west-2, but the stack's region is us-east-1; the quarantine runs in one region")],
      ["target.taskDefinitionArn", expect.stringContaining("is in eu-west-2, but the stack's region is us-east-1")],
    ]);
    const tokens = { ...EXISTING_TARGET, listenerArn: "${TfToken[TOKEN.1]}", taskDefinitionArn: "${TfToken[TOKEN.2]}" };
    expect(quarantinePropsProblems({ target: tokens, copies }, "us-east-1")).toEqual([]);
  });
});
