/** Networks too small to deploy are refused by the config and by the props checks, with the reason. */
import { validateConfig, type ConfigProblem } from "../../modules/core/config";
import { PROFILES } from "../../modules/core/catalog";
import { quarantinePropsProblems } from "../../modules/core/quarantine-runtime";
import { honeynetPropsProblems } from "../../modules/core/validate";
import { defaultConfigInput, type Json } from "../helpers/synth";
import { EXISTING_TARGET, HIVE_VARIANTS, QUARANTINE_VARIANTS, STACK_VARIANTS } from "../helpers/variants";

const problemsOf = (change: (c: Json) => void): ConfigProblem[] => {
  const raw = defaultConfigInput();
  change(raw);
  const r = validateConfig(raw);
  return r.ok ? [] : r.problems;
};

/** AWS's address plan alone: Google Cloud has its own smallest network (gcp-config.test.ts). */
const awsProblemsOf = (change: (c: Json) => void): ConfigProblem[] => problemsOf((c) => (delete c.clouds.gcp, change(c)));

test.each([...STACK_VARIANTS, ...HIVE_VARIANTS, ...QUARANTINE_VARIANTS])("the variant %s still validates", (_, change) => {
  expect(problemsOf(change)).toEqual([]);
});

describe("honeynet.networkCidr", () => {
  it("refuses a /24 for the industrial profile, naming the subnets, the need and the largest prefix", () => {
    expect(awsProblemsOf((c) => (c.honeynet.networkCidr = "10.42.0.0/24"))).toEqual([
      {
        path: "honeynet.networkCidr",
        message:
          '"10.42.0.0/24" is too small: its two subnets would be /28 (11 usable addresses each), but the dashboard load balancer needs subnets of /27 or larger, ' +
          "and one subnet may need 33 addresses during a deployment (up to 24 for the 13 tasks of this honeynet, whose honeypots and Kibana start a new task " +
          "before stopping the old one, 1 for the EFS mount target and 8 the load balancer keeps free); use /22 or larger",
      },
    ]);
  });

  it.each<[string, unknown, string, string]>([
    ["industrial", "industrial", "10.42.0.0/22", "10.42.0.0/23"],
    ["standard", "standard", "10.42.0.0/21", "10.42.0.0/22"],
    ["a list of one", ["cowrie"], "10.42.0.0/23", "10.42.0.0/24"],
  ])("%s: %s is the smallest network, %s is refused", (_, profile, fits, refused) => {
    expect(awsProblemsOf((c) => ((c.honeynet.profile = profile), (c.honeynet.networkCidr = fits)))).toEqual([]);
    const found = awsProblemsOf((c) => ((c.honeynet.profile = profile), (c.honeynet.networkCidr = refused)));
    expect(found.map((p) => p.path)).toEqual(["honeynet.networkCidr"]);
    expect(found[0].message).toMatch(new RegExp(`^"${refused}" is too small: .*; use /${fits.split("/")[1]} or larger$`));
  });

  it("counts a list's honeypots once each (duplicates are reported on their own)", () => {
    const eight = PROFILES.standard.slice(0, 8);
    const found = awsProblemsOf((c) => ((c.honeynet.profile = [...eight.slice(0, 7), eight[0]]), (c.honeynet.networkCidr = "10.42.0.0/23")));
    expect(found.map((p) => p.path)).toEqual(["honeynet.profile[7]"]);
  });

  it("still checks what holds for any honeynet when the profile is invalid", () => {
    const found = awsProblemsOf((c) => ((c.honeynet.profile = "industrail"), (c.honeynet.networkCidr = "10.42.0.0/24")));
    expect(found.map((p) => p.path).sort()).toEqual(["honeynet.networkCidr", "honeynet.profile"]);
    expect(found.find((p) => p.path === "honeynet.networkCidr")!.message).toBe(
      '"10.42.0.0/24" is too small: its two subnets would be /28 (11 usable addresses each), but the dashboard load balancer needs subnets of /27 or larger; use /23 or larger',
    );
  });

  it.each<[string, string]>([
    ["fd00::/48", "is not an IPv4 CIDR"],
    ["10.0.0.0/12", "is larger than a VPC can be: AWS allows /16 at most"],
  ])("refuses %s once, from the schema", (cidr, words) => {
    const found = awsProblemsOf((c) => (c.honeynet.networkCidr = cidr));
    expect(found).toEqual([{ path: "honeynet.networkCidr", message: expect.stringContaining(`"${cidr}" ${words}`) }]);
  });
});

describe("quarantine.demo.networkCidr", () => {
  it.each<[string, string, string, Json]>([
    ["one ECS copy", "10.43.0.0/24", "10.43.0.0/25", {}],
    ["13 ECS copies", "10.43.0.0/24", "10.43.0.0/25", { kind: "ecs", defenceCount: 13 }],
    ["20 ECS copies", "10.43.0.0/23", "10.43.0.0/24", { kind: "ecs", defenceCount: 20 }],
    ["20 instances, warm pool defaulting to 20", "10.43.0.0/23", "10.43.0.0/24", { kind: "asg", amiId: "ami-01234567", defenceCount: 20 }],
    ["20 instances, no warm pool", "10.43.0.0/24", "10.43.0.0/25", { kind: "asg", amiId: "ami-01234567", defenceCount: 20, warmPool: { minSize: 0 } }],
  ])("%s: %s fits, %s is refused", (_, fits, refused, copies) => {
    const withCopies = (cidr: string) => (c: Json) => (c.quarantine = { ...c.quarantine, demo: { networkCidr: cidr }, ...(Object.keys(copies).length ? { copies } : {}) });
    expect(problemsOf(withCopies(fits))).toEqual([]);
    const found = problemsOf(withCopies(refused));
    expect(found.map((p) => p.path)).toEqual(["quarantine.demo.networkCidr"]);
    expect(found[0].message).toMatch(new RegExp(`^"${refused}" is too small: its six subnets would be .*; use /${fits.split("/")[1]} or larger`));
  });

  it("names the copies and the setting to lower when they are what does not fit", () => {
    const [p] = problemsOf((c) => (c.quarantine = { ...c.quarantine, demo: { networkCidr: "10.43.0.0/24" }, copies: { kind: "ecs", defenceCount: 20 } }));
    expect(p.message).toContain("the copies' subnets may need 40 addresses during a deployment (20 honeypot copies in Defence Mode, quarantine.copies.defenceCount");
    expect(p.message).toMatch(/; use \/23 or larger, or lower quarantine\.copies\.defenceCount$/);
  });

  it("is not checked where no demo is deployed", () => {
    expect(problemsOf((c) => (c.quarantine = { target: { ...EXISTING_TARGET }, copies: { kind: "ecs", image: "example/decoy:1" }, demo: { networkCidr: "10.43.0.0/26" } }))).toEqual([]);
    expect(problemsOf((c) => (c.quarantine = { enabled: false, demo: { networkCidr: "10.43.0.0/26" } }))).toEqual([]);
  });
});

describe("the props checks use the same plan", () => {
  it("honeynetPropsProblems refuses a network too small for its honeypots, and an invalid one", () => {
    const props = (networkCidr: string) => ({ honeypots: PROFILES.industrial, dashboard: { allowCidrs: ["198.51.100.0/24"], allowPlaintext: true }, networkCidr });
    expect(honeynetPropsProblems(props("10.42.0.0/22"))).toEqual([]);
    expect(honeynetPropsProblems(props("10.42.0.0/23"))).toEqual([
      { path: "networkCidr", message: expect.stringMatching(/^"10\.42\.0\.0\/23" is too small: its two subnets would be \/27 .*; use \/22 or larger$/) },
    ]);
    expect(honeynetPropsProblems(props("10.42.0.1/16")).map((p) => p.message)).toEqual(['"10.42.0.1/16" is not a valid CIDR: host bits are set; did you mean "10.42.0.0/16"?']);
    expect(honeynetPropsProblems(props("fd00::/48")).map((p) => p.path)).toEqual(["networkCidr"]);
    expect(honeynetPropsProblems(props("${TfToken[TOKEN.1]}"))).toEqual([]);
  });

  it("quarantinePropsProblems refuses a demo network too small for its copies", () => {
    expect(quarantinePropsProblems({ demo: { networkCidr: "10.43.0.0/24" } })).toEqual([]);
    expect(quarantinePropsProblems({ demo: { networkCidr: "10.43.0.0/24" }, copies: { kind: "ecs", defenceCount: 20 } })).toEqual([
      { path: "demo.networkCidr", message: expect.stringMatching(/^"10\.43\.0\.0\/24" is too small: .*copies\.defenceCount.*; use \/23 or larger, or lower copies\.defenceCount$/) },
    ]);
    expect(quarantinePropsProblems({ demo: { networkCidr: "10.43.0.0/24" }, copies: { kind: "asg", amiId: "ami-01234567", defenceCount: 20, warmPool: { minSize: 0 } } })).toEqual([]);
    expect(quarantinePropsProblems({ demo: { networkCidr: "10.43.0.0/25" } }).map((p) => p.message)).toEqual([expect.stringContaining("the load balancer needs public subnets of /27 or larger; use /24 or larger")]);
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, copies: { kind: "ecs", image: "example/decoy:1" }, demo: { networkCidr: "10.43.0.0/26" } })).toEqual([]);
  });
});

test("a network too small to split at all says so, with no impossible prefix", () => {
  const r = validateConfig({ ...defaultConfigInput(), honeynet: { ...defaultConfigInput().honeynet, networkCidr: "10.42.0.0/30" } });
  const messages = r.ok ? [] : r.problems.filter((p) => p.path === "honeynet.networkCidr").map((p) => p.message);
  expect(messages).toEqual(['"10.42.0.0/30" is too small: a /30 cannot be split into the 16 parts its two subnets come from; use /22 or larger']);
});
