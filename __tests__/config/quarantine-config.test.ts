/** The `quarantine` section: defaults, every field's errors, cross-checks, and the functions' runtime config. */
import { readFileSync } from "fs";
import { DEFAULT_CONFIG_FILE, QUARANTINE_DEFAULTS, validateConfig, type ConfigProblem, type LureConfig } from "../../modules/core/config";
import { quarantinePropsProblems, quarantineRuntimeConfig, resolveQuarantine } from "../../modules/core/quarantine-runtime";
import { EXISTING_TARGET } from "../helpers/variants";

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const DEFAULT: Raw = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, "utf8")) as Raw;
const withQuarantine = (q: unknown, change: (c: Raw) => void = () => {}): Raw => {
  const c = structuredClone(DEFAULT);
  c.quarantine = q;
  change(c);
  return c;
};
const valid = (input: unknown): LureConfig => {
  const r = validateConfig(input);
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.problems.map((p) => `${p.path}: ${p.message}`).join("\n")}`);
  return r.config;
};
const problems = (input: unknown): ConfigProblem[] => {
  const r = validateConfig(input);
  if (r.ok) throw new Error("expected problems, got a valid config");
  return r.problems;
};

const FULL_DEFAULTS = {
  enabled: true,
  target: "demo",
  allowCidrs: [],
  quietPeriodMinutes: 30,
  forgetOnNormal: true,
  rememberMinutes: 1440,
  defenceAfter: { sources: 1, windowMinutes: 5 },
  detector: {
    trw: { theta0: 0.8, theta1: 0.2, alpha: 0.01, beta: 0.99 },
    windowMinutes: 5,
    verticalPorts: 15,
    horizontalHosts: 25,
    distinctPairs: 25,
    idleMinutes: 30,
    maxTargetsPerSource: 64,
    maxSources: 100_000,
  },
  ruleQuota: 100,
  firstRulePriority: 1,
  copies: { kind: "ecs", defenceCount: 1, normalCount: 0 },
  demo: { image: "public.ecr.aws/nginx/nginx:1.27.5-alpine", containerPort: 80, networkCidr: "10.43.0.0/16" },
  logRetentionDays: 7,
};

describe("quarantine defaults", () => {
  it.each<[string, unknown]>([
    ["omitted", undefined],
    ["empty", {}],
    ["the checked-in file's", DEFAULT.quarantine],
  ])("%s section: every setting filled, the same way", (_, q) => {
    const input = withQuarantine(q);
    if (q === undefined) delete input.quarantine;
    expect(valid(input).quarantine).toEqual(FULL_DEFAULTS);
  });

  it("nested sections left empty get their defaults too (zod returns defaults unparsed)", () => {
    const q = valid(withQuarantine({ defenceAfter: {}, demo: {}, copies: { kind: "ecs" } })).quarantine;
    expect(q.defenceAfter).toEqual({ sources: 1, windowMinutes: 5 });
    expect(q.demo).toEqual(FULL_DEFAULTS.demo);
    expect(q.copies).toEqual({ kind: "ecs", defenceCount: 1, normalCount: 0 });
  });

  it("asg copies: instance type, warm pool state and size (= defenceCount) filled in", () => {
    expect(valid(withQuarantine({ copies: { kind: "asg", amiId: "ami-0123456789abcdef0", defenceCount: 4 } })).quarantine.copies).toEqual({
      kind: "asg",
      amiId: "ami-0123456789abcdef0",
      instanceType: "t3.micro",
      defenceCount: 4,
      normalCount: 0,
      warmPool: { state: "Stopped", minSize: 4 },
    });
    const explicit = valid(withQuarantine({ copies: { kind: "asg", amiId: "ami-01234567", warmPool: { minSize: 0, state: "Running" } } })).quarantine.copies;
    expect(explicit).toMatchObject({ warmPool: { minSize: 0, state: "Running" } });
  });

  it("an existing target with every required field is accepted as given", () => {
    expect(valid(withQuarantine({ target: EXISTING_TARGET })).quarantine.target).toEqual(EXISTING_TARGET);
  });

  it("the exported defaults are what the schema fills in", () => {
    expect(QUARANTINE_DEFAULTS).toMatchObject({ ...FULL_DEFAULTS, copies: FULL_DEFAULTS.copies, demo: FULL_DEFAULTS.demo });
  });
});

const withoutKey = (o: Readonly<Record<string, unknown>>, key: string): Raw => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

/** A change to the quarantine section, the path of its single problem, and words the message must contain. */
type Case = [name: string, q: Raw, path: string, words: string[]];
const cases: Case[] = [
  ["rememberMinutes 0", { rememberMinutes: 0 }, "quarantine.rememberMinutes", ["0 is not allowed", "from 1 to 10080"]],
  ["rememberMinutes above a week", { rememberMinutes: 10_081 }, "quarantine.rememberMinutes", ["10081 is not allowed", "from 1 to 10080"]],
  ["rememberMinutes not whole", { rememberMinutes: 1.5 }, "quarantine.rememberMinutes", ["1.5"]],
  ["defenceAfter.sources 0", { defenceAfter: { sources: 0 } }, "quarantine.defenceAfter.sources", ["0 is not allowed", "from 1 to 100"]],
  ["defenceAfter.windowMinutes 61", { defenceAfter: { windowMinutes: 61 } }, "quarantine.defenceAfter.windowMinutes", ["61 is not allowed", "from 1 to 60"]],
  ["defenceAfter unknown key", { defenceAfter: { source: 2 } }, "quarantine.defenceAfter.source", ['did you mean "sources"']],
  ["firstRulePriority 0", { firstRulePriority: 0 }, "quarantine.firstRulePriority", ["0 is not allowed", "from 1 to 50000"]],
  ["firstRulePriority 50001", { firstRulePriority: 50_001, ruleQuota: 1 }, "quarantine.firstRulePriority", ["50001 is not allowed", "from 1 to 50000"]],
  ["copies without kind", { copies: { defenceCount: 2 } }, "quarantine.copies.kind", ["is required", 'allowed: "ecs", "asg"']],
  ["copies of an unknown kind", { copies: { kind: "vm" } }, "quarantine.copies.kind", ['"vm" is not allowed', 'allowed: "ecs", "asg"']],
  ["ecs copies defenceCount 0", { copies: { kind: "ecs", defenceCount: 0 } }, "quarantine.copies.defenceCount", ["0 is not allowed", "from 1 to 20"]],
  ["ecs copies normalCount 21", { copies: { kind: "ecs", normalCount: 21, defenceCount: 20 } }, "quarantine.copies.normalCount", ["21 is not allowed", "from 0 to 20"]],
  ["ecs copies empty image", { copies: { kind: "ecs", image: "" } }, "quarantine.copies.image", ['""']],
  ["ecs copies with an asg setting", { copies: { kind: "ecs", amiId: "ami-01234567" } }, "quarantine.copies.amiId", ["unknown setting", 'allowed here: "kind", "image", "defenceCount", "normalCount"']],
  ["asg copies with a misspelt key", { copies: { kind: "asg", amiId: "ami-01234567", warmpool: {} } }, "quarantine.copies.warmpool", ['did you mean "warmPool"']],
  ["asg copies without AMI", { copies: { kind: "asg" } }, "quarantine.copies.amiId", ["is required"]],
  ["asg copies with a bad AMI id", { copies: { kind: "asg", amiId: "ubuntu-24.04" } }, "quarantine.copies.amiId", ['"ubuntu-24.04" is not an AMI id']],
  ["asg copies with a bad instance type", { copies: { kind: "asg", amiId: "ami-01234567", instanceType: "micro" } }, "quarantine.copies.instanceType", ['"micro" is not an instance type']],
  ["asg warm pool state", { copies: { kind: "asg", amiId: "ami-01234567", warmPool: { state: "Frozen" } } }, "quarantine.copies.warmPool.state", ['"Frozen" is not allowed', '"Stopped", "Running", "Hibernated"']],
  ["asg warm pool size", { copies: { kind: "asg", amiId: "ami-01234567", warmPool: { minSize: 21 } } }, "quarantine.copies.warmPool.minSize", ["21 is not allowed", "from 0 to 20"]],
  ["demo image empty", { demo: { image: "" } }, "quarantine.demo.image", ['""']],
  ["demo containerPort 0", { demo: { containerPort: 0 } }, "quarantine.demo.containerPort", ["0 is not allowed", "from 1 to 65535"]],
  ["demo network too small", { demo: { networkCidr: "10.43.0.0/25" } }, "quarantine.demo.networkCidr", ['"10.43.0.0/25"', "from /16 to /24"]],
  ["demo network IPv6", { demo: { networkCidr: "2001:db8::/48" } }, "quarantine.demo.networkCidr", ["IPv4 CIDR from /16 to /24"]],
  ["demo network with host bits", { demo: { networkCidr: "10.43.0.1/16" } }, "quarantine.demo.networkCidr", ['did you mean "10.43.0.0/16"']],
  ["demo certificate", { demo: { certificateArn: "arn:aws:iam::123456789012:server-certificate/x" } }, "quarantine.demo.certificateArn", ["is not an ACM certificate ARN"]],
  ["logRetentionDays 8", { logRetentionDays: 8 }, "quarantine.logRetentionDays", ["8 is not a retention CloudWatch accepts", "allowed: 1, 3, 5, 7, 14"]],
  ["existing target missing containerName", { target: withoutKey(EXISTING_TARGET, "containerName") }, "quarantine.target.containerName", ["is required"]],
  ["existing target with a misspelt key", { target: { ...EXISTING_TARGET, albSecurityGroup: "sg-0123456789abcdef0" } }, "quarantine.target.albSecurityGroup", ['did you mean "albSecurityGroupId"']],
  ["existing target containerPort 70000", { target: { ...EXISTING_TARGET, containerPort: 70_000 } }, "quarantine.target.containerPort", ["70000 is not allowed", "from 1 to 65535"]],
  ["existing target bad security group", { target: { ...EXISTING_TARGET, albSecurityGroupId: "alb-sg" } }, "quarantine.target.albSecurityGroupId", ['"alb-sg" is not a security group id']],
  ["existing target network load balancer listener", { target: { ...EXISTING_TARGET, listenerArn: EXISTING_TARGET.listenerArn.replace("/app/", "/net/") } }, "quarantine.target.listenerArn", ["is not an application load balancer listener ARN"]],
  ["existing target without subnets", { target: { ...EXISTING_TARGET, subnetIds: [] } }, "quarantine.target.subnetIds", ["[]"]],
];

describe("quarantine settings: each error names its path, the value and what is allowed", () => {
  it.each(cases)("%s", (_, q, path, words) => {
    const found = problems(withQuarantine(q));
    expect(found.map((p) => p.path)).toEqual([path]);
    for (const w of words) expect(found[0].message).toContain(w);
  });
});

describe("quarantine cross-checks", () => {
  it("a priority band past 50000 is refused, with the highest first priority that fits", () => {
    const [p, ...rest] = problems(withQuarantine({ firstRulePriority: 49_950 }));
    expect(rest).toEqual([]);
    expect(p).toEqual({
      path: "quarantine.firstRulePriority",
      message: "49950 with ruleQuota 100 needs priorities up to 50049, but listener rules stop at 50000; lower firstRulePriority to at most 49901 or lower ruleQuota",
    });
    expect(valid(withQuarantine({ firstRulePriority: 49_901 })).quarantine.firstRulePriority).toBe(49_901);
    expect(valid(withQuarantine({ firstRulePriority: 49_950, ruleQuota: 51 })).quarantine.ruleQuota).toBe(51);
  });

  it("an existing target with ECS copies also needs firstRulePriority + ruleQuota (the anchor rule) within 50000", () => {
    const found = problems(withQuarantine({ target: EXISTING_TARGET, firstRulePriority: 49_901 }));
    expect(found).toEqual([
      {
        path: "quarantine.firstRulePriority",
        message:
          '49901 with ruleQuota 100 puts the anchor rule of the ECS copies at priority 50001, but listener rules stop at 50000; with an existing target and copies.kind "ecs", lower firstRulePriority to at most 49900 or lower ruleQuota',
      },
    ]);
    // Explicit ECS copies and a decoy image are ECS copies too.
    expect(problems(withQuarantine({ target: EXISTING_TARGET, firstRulePriority: 49_991, ruleQuota: 10, copies: { kind: "ecs", image: "nginx:1" } }))[0].message).toContain("at priority 50001");
    // One below fits: band 49900-49999, anchor 50000.
    expect(valid(withQuarantine({ target: EXISTING_TARGET, firstRulePriority: 49_900 })).quarantine.firstRulePriority).toBe(49_900);
  });

  it.each<[string, Raw]>([
    ["the demo target (its own listener carries the copies at weight 0)", {}],
    ["Auto Scaling copies (no anchor rule)", { target: EXISTING_TARGET, copies: { kind: "asg", amiId: "ami-01234567" } }],
    ["a disabled quarantine", { enabled: false, target: EXISTING_TARGET }],
  ])("no anchor rule, so the band may end at 50000: %s", (_, q) => {
    expect(valid(withQuarantine({ ...q, firstRulePriority: 49_901 })).quarantine.firstRulePriority).toBe(49_901);
  });

  it("a band past 50000 is reported once, not again for the anchor", () => {
    const found = problems(withQuarantine({ target: EXISTING_TARGET, firstRulePriority: 49_950 }));
    expect(found.map((p) => [p.path, p.message.includes("needs priorities up to 50049")])).toEqual([["quarantine.firstRulePriority", true]]);
  });

  it.each<[string, Raw]>([
    ["ecs", { kind: "ecs", defenceCount: 2, normalCount: 3 }],
    ["asg", { kind: "asg", amiId: "ami-01234567", defenceCount: 2, normalCount: 3 }],
    ["defenceCount defaulted", { kind: "ecs", normalCount: 2 }],
  ])("normalCount above defenceCount is refused (%s)", (_, copies) => {
    const found = problems(withQuarantine({ copies }));
    expect(found).toEqual([
      { path: "quarantine.copies.normalCount", message: `${copies.normalCount} is more than defenceCount ${copies.defenceCount ?? 1}; Normal Mode cannot run more copies than Defence Mode` },
    ]);
  });

  it("normalCount equal to defenceCount is fine", () => {
    expect(valid(withQuarantine({ copies: { kind: "ecs", defenceCount: 2, normalCount: 2 } })).quarantine.copies).toMatchObject({ normalCount: 2 });
  });

  it.each<[string, Raw, (c: Raw) => void, string]>([
    ["demo inside the honeynet", { demo: { networkCidr: "10.42.16.0/20" } }, () => {}, '"10.42.16.0/20" overlaps honeynet.networkCidr "10.42.0.0/16"'],
    ["honeynet moved onto the demo's default", {}, (c) => (c.honeynet.networkCidr = "10.43.128.0/17"), '"10.43.0.0/16" overlaps honeynet.networkCidr "10.43.128.0/17"'],
    ["demo around the honeynet", { demo: { networkCidr: "10.40.0.0/16" } }, (c) => (c.honeynet.networkCidr = "10.40.4.0/24"), '"10.40.0.0/16" overlaps honeynet.networkCidr "10.40.4.0/24"'],
  ])("overlapping networks are refused: %s", (_, q, change, message) => {
    const found = problems(withQuarantine(q, change));
    expect(found).toEqual([{ path: "quarantine.demo.networkCidr", message: `${message}; give the demo network its own range` }]);
  });

  it("no overlap check where there is no demo network (existing target, quarantine disabled)", () => {
    expect(valid(withQuarantine({ target: EXISTING_TARGET, demo: { networkCidr: "10.42.0.0/16" } }))).toBeDefined();
    expect(valid(withQuarantine({ enabled: false, demo: { networkCidr: "10.42.0.0/16" } }))).toBeDefined();
    expect(valid(withQuarantine({ demo: { networkCidr: "10.44.0.0/16" } })).quarantine.demo.networkCidr).toBe("10.44.0.0/16");
  });

  it("an existing target's ARNs must be in the configured region", () => {
    const found = problems(withQuarantine({ target: { ...EXISTING_TARGET, listenerArn: EXISTING_TARGET.listenerArn.replace("eu-west-2", "us-east-1") } }));
    expect(found.map((p) => p.path)).toEqual(["quarantine.target.listenerArn"]);
    expect(found[0].message).toContain("is in us-east-1, but clouds.aws.region is eu-west-2");
  });

  it("reports every problem at once, schema and cross-checks together", () => {
    const found = problems(
      withQuarantine({
        rememberMinutes: 0,
        firstRulePriority: 49_999,
        copies: { kind: "asg", amiId: "bad", defenceCount: 1, normalCount: 2, warmPool: { state: "Frozen" } },
        demo: { networkCidr: "10.42.0.0/20", containerPort: -1 },
        logRetentionDays: 2,
        defenceAfter: { sources: 101 },
      }),
    );
    expect(found.map((p) => p.path).sort()).toEqual(
      [
        "quarantine.copies.amiId",
        "quarantine.copies.normalCount",
        "quarantine.copies.warmPool.state",
        "quarantine.defenceAfter.sources",
        "quarantine.demo.containerPort",
        "quarantine.demo.networkCidr",
        "quarantine.firstRulePriority",
        "quarantine.logRetentionDays",
        "quarantine.rememberMinutes",
      ].sort(),
    );
  });
});

describe("quarantineRuntimeConfig", () => {
  it("maps the default config to what the functions read; the demo network is allow-listed", () => {
    expect(quarantineRuntimeConfig(valid(DEFAULT))).toEqual({
      prefix: "lure",
      detector: { ...FULL_DEFAULTS.detector, allowCidrs: ["10.43.0.0/16"] },
      mode: { quietPeriodMinutes: 30, forgetOnNormal: true, rememberMinutes: 1440, defenceAfterSources: 1, defenceWindowMinutes: 5 },
      steering: { firstPriority: 1, ruleQuota: 100, cidrsPerRule: 5 },
      copies: { defenceCount: 1, normalCount: 0 },
    });
  });

  it("carries every setting across, and adds no CIDR for an existing target", () => {
    const config = valid(
      withQuarantine(
        {
          target: EXISTING_TARGET,
          allowCidrs: ["10.0.0.0/16", "198.51.100.7/32"],
          quietPeriodMinutes: 45,
          forgetOnNormal: false,
          rememberMinutes: 120,
          defenceAfter: { sources: 3, windowMinutes: 10 },
          detector: { verticalPorts: 10, trw: { alpha: 0.001 } },
          ruleQuota: 40,
          firstRulePriority: 1000,
          copies: { kind: "asg", amiId: "ami-01234567", defenceCount: 4, normalCount: 1 },
        },
        (c) => (c.prefix = "shop"),
      ),
    );
    const r = quarantineRuntimeConfig(config);
    expect(r.prefix).toBe("shop");
    expect(r.detector.allowCidrs).toEqual(["10.0.0.0/16", "198.51.100.7/32"]);
    expect(r.detector.verticalPorts).toBe(10);
    expect(r.detector.trw).toEqual({ theta0: 0.8, theta1: 0.2, alpha: 0.001, beta: 0.99 });
    expect(r.mode).toEqual({ quietPeriodMinutes: 45, forgetOnNormal: false, rememberMinutes: 120, defenceAfterSources: 3, defenceWindowMinutes: 10 });
    expect(r.steering).toEqual({ firstPriority: 1000, ruleQuota: 40, cidrsPerRule: 5 });
    expect(r.copies).toEqual({ defenceCount: 4, normalCount: 1 });
    // The config is not changed by the mapping.
    expect(config.quarantine.allowCidrs).toEqual(["10.0.0.0/16", "198.51.100.7/32"]);
  });

  it("props given in code resolve to the same settings as the config's defaults", () => {
    expect(resolveQuarantine({}, "lure").runtime).toEqual(quarantineRuntimeConfig(valid(DEFAULT)));
    expect(resolveQuarantine({ prefix: "x" }, "lure").prefix).toBe("x");
    expect(resolveQuarantine({ copies: { kind: "asg", amiId: "ami-01234567", defenceCount: 2 } }, "lure").copies).toEqual({
      kind: "asg",
      amiId: "ami-01234567",
      instanceType: "t3.micro",
      defenceCount: 2,
      normalCount: 0,
      warmPool: { minSize: 2, state: "Stopped" },
    });
  });

  it("props problems: the same rules as the config, on props", () => {
    expect(quarantinePropsProblems({})).toEqual([]);
    expect(
      quarantinePropsProblems({
        rememberMinutes: 0,
        ruleQuota: 100,
        firstRulePriority: 49_990,
        copies: { kind: "asg", amiId: "nope", defenceCount: 1, normalCount: 3 },
        target: { ...EXISTING_TARGET, subnetIds: [], albSecurityGroupId: "x" },
      }).map((p) => p.path),
    ).toEqual(["rememberMinutes", "firstRulePriority", "copies.normalCount", "copies.amiId", "target.subnetIds", "target.albSecurityGroupId"]);
    // An existing target's ECS copies need one priority more for the anchor rule; Auto Scaling copies do not.
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, firstRulePriority: 49_901 })).toEqual([
      {
        path: "firstRulePriority",
        message:
          '49901 with ruleQuota 100 puts the anchor rule of the ECS copies at priority 50001, but listener rules stop at 50000; with an existing target and copies.kind "ecs", lower firstRulePriority to at most 49900 or lower ruleQuota',
      },
    ]);
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, firstRulePriority: 49_900 })).toEqual([]);
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, firstRulePriority: 49_901, copies: { kind: "asg", amiId: "ami-01234567" } })).toEqual([]);
    expect(quarantinePropsProblems({ firstRulePriority: 49_901 })).toEqual([]);
    // Tokens (references resolved by Terraform) are not judged.
    expect(quarantinePropsProblems({ target: { ...EXISTING_TARGET, albSecurityGroupId: "${TfToken[TOKEN.1]}", listenerArn: "${TfToken[TOKEN.2]}" } })).toEqual([]);
  });
});
