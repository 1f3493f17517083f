/** The `quarantine` section: defaults, every field's errors, cross-checks, and the functions' runtime config. */
import { readFileSync } from "fs";
import { DEFAULT_CONFIG_FILE, QUARANTINE_DEFAULTS, validateConfig, type ConfigProblem, type LureConfig } from "../../modules/core/config";
import {
  environmentSize,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  quarantineEnvironment,
  quarantinePropsProblems,
  quarantineRuntimeConfig,
  resolveQuarantine,
  TOKEN_SIZE_ESTIMATE,
} from "../../modules/core/quarantine-runtime";
import type { QuarantineProps } from "../../modules/core/interfaces";
import { EXISTING_TARGET } from "../helpers/variants";
import { knownImagePort } from "../../modules/core/web-images";

/** ECS copies of an existing target that run its task definition, as the config must accept explicitly. */
const REUSE = { kind: "ecs", reuseTaskDefinition: true } as const;
/** An existing target (optionally changed) with the copies it needs to be valid. */
const existing = (target: Raw = EXISTING_TARGET): Raw => ({ target, copies: REUSE });

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
    memoryMinutes: 1440,
    slowFailures: 6,
    antiSpoofing: { enabled: true, historyMinutes: 10_080, settleMinutes: 60, maxClients: 100_000 },
  },
  ruleQuota: 100,
  albRuleLimit: 100,
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
    expect(valid(withQuarantine(existing())).quarantine.target).toEqual(EXISTING_TARGET);
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
  ["ecs copies with an asg setting", { copies: { kind: "ecs", amiId: "ami-01234567" } }, "quarantine.copies.amiId", ["unknown setting", 'allowed here: "kind", "image", "reuseTaskDefinition", "containerPort", "defenceCount", "normalCount"']],
  ["albRuleLimit 0", { albRuleLimit: 0, ruleQuota: 1 }, "quarantine.albRuleLimit", ["0 is not allowed", "from 1 to 1000"]],
  ["albRuleLimit 1001", { albRuleLimit: 1001 }, "quarantine.albRuleLimit", ["1001 is not allowed", "from 1 to 1000"]],
  ["reuseTaskDefinition not a boolean", { ...existing(), copies: { kind: "ecs", reuseTaskDefinition: "yes" } }, "quarantine.copies.reuseTaskDefinition", ['"yes"']],
  ["asg copies with a misspelt key", { copies: { kind: "asg", amiId: "ami-01234567", warmpool: {} } }, "quarantine.copies.warmpool", ['did you mean "warmPool"']],
  ["asg copies without AMI", { copies: { kind: "asg" } }, "quarantine.copies.amiId", ["is required"]],
  ["asg copies with a bad AMI id", { copies: { kind: "asg", amiId: "ubuntu-24.04" } }, "quarantine.copies.amiId", ['"ubuntu-24.04" is not an AMI id']],
  ["asg copies with a bad instance type", { copies: { kind: "asg", amiId: "ami-01234567", instanceType: "micro" } }, "quarantine.copies.instanceType", ['"micro" is not an instance type']],
  ["asg warm pool state", { copies: { kind: "asg", amiId: "ami-01234567", warmPool: { state: "Frozen" } } }, "quarantine.copies.warmPool.state", ['"Frozen" is not allowed', '"Stopped", "Running", "Hibernated"']],
  ["asg warm pool size", { copies: { kind: "asg", amiId: "ami-01234567", warmPool: { minSize: 21 } } }, "quarantine.copies.warmPool.minSize", ["21 is not allowed", "from 0 to 20"]],
  ["demo image empty", { demo: { image: "" } }, "quarantine.demo.image", ['""']],
  ["demo containerPort 0", { demo: { containerPort: 0 } }, "quarantine.demo.containerPort", ["0 is not allowed", "from 1 to 65535"]],
  ["demo network too small", { demo: { networkCidr: "10.43.0.0/25" } }, "quarantine.demo.networkCidr", ['"10.43.0.0/25" is too small', "public subnets of /27 or larger", "use /24 or larger"]],
  ["demo network IPv6", { demo: { networkCidr: "2001:db8::/48" } }, "quarantine.demo.networkCidr", ['"2001:db8::/48" is not an IPv4 CIDR']],
  ["demo network larger than a VPC", { demo: { networkCidr: "10.0.0.0/12" } }, "quarantine.demo.networkCidr", ["AWS allows /16 at most"]],
  ["demo network with host bits", { demo: { networkCidr: "10.43.0.1/16" } }, "quarantine.demo.networkCidr", ['did you mean "10.43.0.0/16"']],
  ["demo certificate", { demo: { certificateArn: "arn:aws:iam::123456789012:server-certificate/x" } }, "quarantine.demo.certificateArn", ["is not an ACM certificate ARN"]],
  ["logRetentionDays 8", { logRetentionDays: 8 }, "quarantine.logRetentionDays", ["8 is not a retention CloudWatch accepts", "allowed: 1, 3, 5, 7, 14"]],
  ["existing target missing containerName", existing(withoutKey(EXISTING_TARGET, "containerName")), "quarantine.target.containerName", ["is required"]],
  ["existing target with a misspelt key", existing({ ...EXISTING_TARGET, albSecurityGroup: "sg-0123456789abcdef0" }), "quarantine.target.albSecurityGroup", ['did you mean "albSecurityGroupId"']],
  ["existing target containerPort 70000", existing({ ...EXISTING_TARGET, containerPort: 70_000 }), "quarantine.target.containerPort", ["70000 is not allowed", "from 1 to 65535"]],
  ["existing target bad security group", existing({ ...EXISTING_TARGET, albSecurityGroupId: "alb-sg" }), "quarantine.target.albSecurityGroupId", ['"alb-sg" is not a security group id']],
  ["existing target network load balancer listener", existing({ ...EXISTING_TARGET, listenerArn: EXISTING_TARGET.listenerArn.replace("/app/", "/net/") }), "quarantine.target.listenerArn", ["is not an application load balancer listener ARN"]],
  ["existing target without subnets", existing({ ...EXISTING_TARGET, subnetIds: [] }), "quarantine.target.subnetIds", ["[]"]],
  ["existing target with an IPv6 real subnet", existing({ ...EXISTING_TARGET, realSubnetCidrs: ["2001:db8::/64"] }), "quarantine.target.realSubnetCidrs[0]", ['"2001:db8::/64" is not an IPv4 CIDR']],
  ["existing target with a bad real subnet", existing({ ...EXISTING_TARGET, realSubnetCidrs: ["10.0.1.0/33"] }), "quarantine.target.realSubnetCidrs[0]", ['"10.0.1.0/33" is not a valid CIDR']],
  ["existing target with 20 real subnets", existing({ ...EXISTING_TARGET, realSubnetCidrs: Array.from({ length: 20 }, (_, i) => `10.0.${i}.0/24`) }), "quarantine.target.realSubnetCidrs", ["19"]],
  ["existing target isolateSubnets not a boolean", existing({ ...EXISTING_TARGET, realSubnetCidrs: ["10.0.1.0/24"], isolateSubnets: "yes" }), "quarantine.target.isolateSubnets", ['"yes"']],
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

  it("an existing target also needs firstRulePriority + ruleQuota (the anchor rule) within 50000", () => {
    const found = problems(withQuarantine({ ...existing(), firstRulePriority: 49_901 }));
    expect(found).toEqual([
      {
        path: "quarantine.firstRulePriority",
        message:
          "49901 with ruleQuota 100 puts the anchor rule of the copies at priority 50001, but listener rules stop at 50000; with an existing target, lower firstRulePriority to at most 49900 or lower ruleQuota",
      },
    ]);
    // Whatever the copies are: a decoy image, or Auto Scaling copies (their target group needs the anchor too).
    expect(problems(withQuarantine({ target: EXISTING_TARGET, firstRulePriority: 49_991, ruleQuota: 10, copies: { kind: "ecs", image: "example/decoy:1" } }))[0].message).toContain("at priority 50001");
    expect(problems(withQuarantine({ target: EXISTING_TARGET, firstRulePriority: 49_901, copies: { kind: "asg", amiId: "ami-01234567" } }))[0].message).toContain("at priority 50001");
    // One below fits: band 49900-49999, anchor 50000.
    expect(valid(withQuarantine({ ...existing(), firstRulePriority: 49_900 })).quarantine.firstRulePriority).toBe(49_900);
  });

  it.each<[string, Raw]>([
    ["the demo target (its own listener carries the copies at weight 0)", {}],
    ["a disabled quarantine", { enabled: false, target: EXISTING_TARGET }],
  ])("no anchor rule, so the band may end at 50000: %s", (_, q) => {
    expect(valid(withQuarantine({ ...q, firstRulePriority: 49_901 })).quarantine.firstRulePriority).toBe(49_901);
  });

  it("a band past 50000 is reported once, not again for the anchor", () => {
    const found = problems(withQuarantine({ ...existing(), firstRulePriority: 49_950 }));
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
    ["demo around the honeynet", { demo: { networkCidr: "10.40.0.0/16" } }, (c) => (c.honeynet.networkCidr = "10.40.4.0/22"), '"10.40.0.0/16" overlaps honeynet.networkCidr "10.40.4.0/22"'],
  ])("overlapping networks are refused: %s", (_, q, change, message) => {
    const found = problems(withQuarantine(q, change));
    expect(found).toEqual([{ path: "quarantine.demo.networkCidr", message: `${message}; give the demo network its own range` }]);
  });

  it("no overlap check where there is no demo network (existing target, quarantine disabled)", () => {
    expect(valid(withQuarantine({ ...existing(), demo: { networkCidr: "10.42.0.0/16" } }))).toBeDefined();
    expect(valid(withQuarantine({ enabled: false, demo: { networkCidr: "10.42.0.0/16" } }))).toBeDefined();
    expect(valid(withQuarantine({ demo: { networkCidr: "10.44.0.0/16" } })).quarantine.demo.networkCidr).toBe("10.44.0.0/16");
  });

  describe("targetGroupArn, which lure never used", () => {
    const TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/shop/0123456789abcdef";
    const retired = { path: "quarantine.target.targetGroupArn", message: "is no longer used (lure never touches your service's target group); remove it" };

    it("is gone from the existing target", () => {
      expect(valid(withQuarantine(existing())).quarantine.target).not.toHaveProperty("targetGroupArn");
    });

    it("is refused with what to do, not as an unknown setting, also next to other problems", () => {
      expect(problems(withQuarantine(existing({ ...EXISTING_TARGET, targetGroupArn: TARGET_GROUP })))).toEqual([retired]);
      const found = problems(withQuarantine(existing({ ...EXISTING_TARGET, targetGroupArn: TARGET_GROUP, containerPrt: 80 })));
      expect(found).toContainEqual(retired);
      expect(found.find((p) => p.path === "quarantine.target.containerPrt")!.message).toContain('did you mean "containerPort"');
    });

    it("is reported in props too (an untyped caller may still pass it)", () => {
      const target = { ...EXISTING_TARGET, targetGroupArn: TARGET_GROUP } as QuarantineProps["target"];
      expect(quarantinePropsProblems({ target, copies: REUSE })).toEqual([{ ...retired, path: "target.targetGroupArn" }]);
    });
  });

  it("an existing target's ARNs must be in the configured region", () => {
    const found = problems(withQuarantine(existing({ ...EXISTING_TARGET, listenerArn: EXISTING_TARGET.listenerArn.replace("eu-west-2", "us-east-1") })));
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
      steering: { firstPriority: 1, ruleQuota: 100, albRuleLimit: 100, cidrsPerRule: 5 },
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
          albRuleLimit: 60,
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
    expect(r.steering).toEqual({ firstPriority: 1000, ruleQuota: 40, albRuleLimit: 60, cidrsPerRule: 5 });
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
    // An existing target's copies need one priority more for the anchor rule, whatever their kind.
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, copies: REUSE, firstRulePriority: 49_901 })).toEqual([
      {
        path: "firstRulePriority",
        message:
          "49901 with ruleQuota 100 puts the anchor rule of the copies at priority 50001, but listener rules stop at 50000; with an existing target, lower firstRulePriority to at most 49900 or lower ruleQuota",
      },
    ]);
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, copies: REUSE, firstRulePriority: 49_900 })).toEqual([]);
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, firstRulePriority: 49_901, copies: { kind: "asg", amiId: "ami-01234567" } }).map((p) => p.path)).toEqual(["firstRulePriority"]);
    expect(quarantinePropsProblems({ firstRulePriority: 49_901 })).toEqual([]);
    // Tokens (references resolved by Terraform) are not judged.
    expect(quarantinePropsProblems({ target: { ...EXISTING_TARGET, albSecurityGroupId: "${TfToken[TOKEN.1]}", listenerArn: "${TfToken[TOKEN.2]}" }, copies: REUSE })).toEqual([]);
  });
});

describe("albRuleLimit: what the load balancer accepts in all", () => {
  it("defaults to AWS's quota of 100 and reaches the functions as steering.albRuleLimit", () => {
    expect(quarantineRuntimeConfig(valid(DEFAULT)).steering.albRuleLimit).toBe(100);
    expect(quarantineRuntimeConfig(valid(withQuarantine({ albRuleLimit: 250, ruleQuota: 200 }))).steering).toEqual({ firstPriority: 1, ruleQuota: 200, albRuleLimit: 250, cidrsPerRule: 5 });
    expect(resolveQuarantine({ albRuleLimit: 300 }, "lure").runtime.steering.albRuleLimit).toBe(300);
  });

  it("ruleQuota above albRuleLimit is refused, in the config and in props; equal is fine", () => {
    const message =
      '101 is more than albRuleLimit 100: the load balancer never holds more than 100 rules; lower ruleQuota, or raise albRuleLimit after raising the quota "Rules per Application Load Balancer"';
    expect(problems(withQuarantine({ ruleQuota: 101 }))).toEqual([{ path: "quarantine.ruleQuota", message }]);
    expect(quarantinePropsProblems({ ruleQuota: 101 })).toEqual([{ path: "ruleQuota", message }]);
    expect(problems(withQuarantine({ ruleQuota: 60, albRuleLimit: 50 }))[0].path).toBe("quarantine.ruleQuota");
    expect(valid(withQuarantine({ ruleQuota: 50, albRuleLimit: 50 })).quarantine.albRuleLimit).toBe(50);
    expect(quarantinePropsProblems({ ruleQuota: 50, albRuleLimit: 50 })).toEqual([]);
    // An out-of-range value is reported once, by its own check.
    expect(quarantinePropsProblems({ albRuleLimit: 0 }).map((p) => p.path)).toEqual(["albRuleLimit"]);
  });
});

describe("an existing target's ECS copies never run the user's task definition by accident", () => {
  it("without copies.image it is refused, saying what it means and the safer alternative", () => {
    for (const q of [{ target: EXISTING_TARGET }, { target: EXISTING_TARGET, copies: { kind: "ecs" } }, { target: EXISTING_TARGET, copies: { kind: "ecs", reuseTaskDefinition: false } }]) {
      const found = problems(withQuarantine(q));
      expect(found.map((p) => p.path)).toEqual(["quarantine.copies"]);
      for (const words of [EXISTING_TARGET.taskDefinitionArn, "task role, secrets and environment", "quarantine.copies.image", "quarantine.copies.reuseTaskDefinition: true"]) {
        expect(found[0].message).toContain(words);
      }
    }
  });

  it("accepted with reuseTaskDefinition: true or a decoy image; no question for Auto Scaling copies, the demo or a disabled quarantine", () => {
    expect(valid(withQuarantine(existing())).quarantine.copies).toMatchObject({ kind: "ecs", reuseTaskDefinition: true });
    expect(valid(withQuarantine({ target: EXISTING_TARGET, copies: { kind: "ecs", image: "example/decoy:1" } })).quarantine.copies).toMatchObject({ image: "example/decoy:1" });
    expect(valid(withQuarantine({ target: EXISTING_TARGET, copies: { kind: "asg", amiId: "ami-01234567" } }))).toBeDefined();
    expect(valid(withQuarantine({ copies: { kind: "ecs" } }))).toBeDefined();
    expect(valid(withQuarantine({ enabled: false, target: EXISTING_TARGET }))).toBeDefined();
  });

  it("reuseTaskDefinition with an image is a contradiction", () => {
    expect(problems(withQuarantine({ target: EXISTING_TARGET, copies: { kind: "ecs", image: "example/decoy:1", reuseTaskDefinition: true } }))).toEqual([
      { path: "quarantine.copies.reuseTaskDefinition", message: "true has no effect with image (the copies run lure's task definition of that image); remove one of them" },
    ]);
  });

  it("props: the same rule, with props paths", () => {
    const [p, ...rest] = quarantinePropsProblems({ target: EXISTING_TARGET });
    expect(rest).toEqual([]);
    expect(p.path).toBe("copies");
    expect(p.message).toContain("Set copies.image to a decoy image");
    expect(p.message).toContain(EXISTING_TARGET.taskDefinitionArn);
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, copies: { kind: "ecs", image: "example/decoy:1" } })).toEqual([]);
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, copies: { kind: "ecs", image: "example/decoy:1", reuseTaskDefinition: true } }).map((x) => x.path)).toEqual(["copies.reuseTaskDefinition"]);
    // A task definition given as a reference is not quoted.
    expect(quarantinePropsProblems({ target: { ...EXISTING_TARGET, taskDefinitionArn: "${TfToken[TOKEN.3]}" } })[0].message).not.toContain("TfToken");
  });
});

describe("an existing target's subnet isolation", () => {
  it("realSubnetCidrs with isolateSubnets: true is accepted as given", () => {
    const target = { ...EXISTING_TARGET, realSubnetCidrs: ["10.0.1.0/24", "10.0.2.0/24"], isolateSubnets: true };
    expect(valid(withQuarantine(existing(target))).quarantine.target).toEqual(target);
    // Without isolateSubnets the CIDRs are accepted too (the construct says they are unused).
    expect(valid(withQuarantine(existing({ ...EXISTING_TARGET, realSubnetCidrs: ["10.0.1.0/24"] })))).toBeDefined();
  });

  it("isolateSubnets: true needs realSubnetCidrs", () => {
    const expected = { path: "quarantine.target.realSubnetCidrs", message: "is required with isolateSubnets: true (the real service's subnet CIDRs that the copies' network ACL denies)" };
    expect(problems(withQuarantine(existing({ ...EXISTING_TARGET, isolateSubnets: true })))).toEqual([expected]);
    expect(quarantinePropsProblems({ target: { ...EXISTING_TARGET, isolateSubnets: true }, copies: REUSE })).toEqual([{ ...expected, path: "target.realSubnetCidrs" }]);
  });

  it("props: IPv4 CIDRs only, 1 to 19 of them", () => {
    const props = (realSubnetCidrs: string[]): QuarantineProps => ({ target: { ...EXISTING_TARGET, realSubnetCidrs, isolateSubnets: true }, copies: REUSE });
    expect(quarantinePropsProblems(props(["10.0.1.0/24"]))).toEqual([]);
    expect(quarantinePropsProblems(props(["2001:db8::/64", "10.0.1.1/24"])).map((p) => [p.path, p.message])).toEqual([
      ["target.realSubnetCidrs[0]", '"2001:db8::/64" is not an IPv4 CIDR'],
      ["target.realSubnetCidrs[1]", expect.stringContaining('"10.0.1.1/24" is not a valid CIDR')],
    ]);
    expect(quarantinePropsProblems(props(Array.from({ length: 20 }, (_, i) => `10.0.${i}.0/24`))).map((p) => p.path)).toEqual(["target.realSubnetCidrs"]);
    expect(quarantinePropsProblems(props([])).map((p) => p.path)).toEqual(["target.realSubnetCidrs"]);
  });
});

describe("the functions' environment stays within Lambda's 4 KB", () => {
  /** `n` distinct single addresses: the worst case of an allow-list. */
  const hosts = (n: number) => Array.from({ length: n }, (_, i) => `10.${Math.floor(i / 65_536)}.${Math.floor(i / 256) % 256}.${i % 256}/32`);
  const refs = { listenerArn: "${TfToken[TOKEN.1]}", copyTargetGroupArn: "${TfToken[TOKEN.2]}" };
  const sizeOf = (props: QuarantineProps) => environmentSize(quarantineEnvironment(resolveQuarantine(props, "p".repeat(12)), refs));

  it("a reference counts as 200 bytes; the size is that of the variables' JSON", () => {
    expect(TOKEN_SIZE_ESTIMATE).toBe(200);
    expect(LAMBDA_ENVIRONMENT_LIMIT_BYTES).toBe(4096);
    expect(environmentSize({ A: "${TfToken[TOKEN.1]}" })).toBe('{"A":""}'.length + 200);
    expect(environmentSize({ A: "arn:${TfToken[TOKEN.1]}/*", B: 'say "hi"' })).toBe(JSON.stringify({ A: `arn:${"x".repeat(200)}/*`, B: 'say "hi"' }).length);
    expect(environmentSize({ A: "é" })).toBe(10);
  });

  it("300 single addresses are refused at allowCidrs, saying how many fit and to aggregate them", () => {
    const found = quarantinePropsProblems({ allowCidrs: hosts(300) });
    expect(found.map((p) => p.path)).toEqual(["allowCidrs"]);
    const m = /^300 CIDRs make the Quarantine functions' environment about (\d+) bytes, over Lambda's limit of 4096 bytes for all variables \(the allow-list travels in LURE_QUARANTINE\); only (\d+) of them fit: aggregate them into larger CIDRs/.exec(found[0].message);
    expect(m).not.toBeNull();
    const [size, fit] = [Number(m![1]), Number(m![2])];
    expect(size).toBe(sizeOf({ allowCidrs: hosts(300) }));
    // "fit" is exact: that many fit, one more does not.
    expect(sizeOf({ allowCidrs: hosts(fit) })).toBeLessThanOrEqual(4096);
    expect(sizeOf({ allowCidrs: hosts(fit + 1) })).toBeGreaterThan(4096);
    expect(fit).toBeGreaterThan(100);
    expect(fit).toBeLessThan(300);
  });

  it("50 single addresses, or a few wide ranges, are fine", () => {
    expect(quarantinePropsProblems({ allowCidrs: hosts(50) })).toEqual([]);
    expect(sizeOf({ allowCidrs: hosts(50) })).toBeLessThan(4096);
    expect(quarantinePropsProblems({ allowCidrs: ["10.0.0.0/8", "192.168.0.0/16"] })).toEqual([]);
  });

  it("an existing target's literal listener ARN is sized as written; a reference generously", () => {
    const literal = quarantineEnvironment(resolveQuarantine({ target: EXISTING_TARGET, copies: REUSE }, "lure"), { ...refs, listenerArn: EXISTING_TARGET.listenerArn });
    const referenced = quarantineEnvironment(resolveQuarantine({ target: EXISTING_TARGET, copies: REUSE }, "lure"), refs);
    expect(environmentSize(referenced) - environmentSize(literal)).toBe(200 - EXISTING_TARGET.listenerArn.length);
  });
});

describe("ports the images serve on (a target that never turns healthy is refused)", () => {
  test("the default demo image on a port it does not serve", () => {
    const found = problems(withQuarantine({ demo: { containerPort: 8080 } }));
    expect(found).toEqual([{ path: "quarantine.demo.containerPort", message: expect.stringContaining('8080 is not the port "public.ecr.aws/nginx/nginx:1.27.5-alpine" serves on (the official nginx image serves on 80)') }]);
    expect(found[0].message).toContain("set quarantine.demo.containerPort: 80, or quarantine.demo.image to an image that serves on 8080");
  });

  test("a known image on the default port is told the port to set", () => {
    expect(problems(withQuarantine({ demo: { image: "public.ecr.aws/nginx/nginx-unprivileged:1.27.5-alpine" } }))).toEqual([
      { path: "quarantine.demo.containerPort", message: '80 (the default) is not the port "public.ecr.aws/nginx/nginx-unprivileged:1.27.5-alpine" serves on (the unprivileged nginx image serves on 8080), so the load balancer would never find the demo healthy; set quarantine.demo.containerPort: 8080' },
    ]);
    expect(quarantinePropsProblems({ demo: { image: "nginxinc/nginx-unprivileged:stable" } })[0].message).toContain("set demo.containerPort: 8080");
  });

  test("a known image on its own port, or an image lure does not know, is accepted", () => {
    expect(valid(withQuarantine({ demo: { image: "public.ecr.aws/nginx/nginx-unprivileged:1.27.5-alpine", containerPort: 8080 } })).quarantine.demo.containerPort).toBe(8080);
    expect(valid(withQuarantine({ demo: { image: "registry.example.com/site:2", containerPort: 3000 } })).quarantine.demo.containerPort).toBe(3000);
    expect(valid(withQuarantine({ target: EXISTING_TARGET, copies: { kind: "ecs", image: "nginx:1.27", containerPort: 80 } })).quarantine.copies).toMatchObject({ containerPort: 80 });
  });

  test("a decoy nginx on an existing target serving 8080 needs copies.containerPort", () => {
    expect(problems(withQuarantine({ target: EXISTING_TARGET, copies: { kind: "ecs", image: "nginx:1.27" } }))).toEqual([
      { path: "quarantine.copies.image", message: '"nginx:1.27" serves on 80 (the official nginx image), but the copies default to the target\'s port 8080; set quarantine.copies.containerPort: 80' },
    ]);
    expect(problems(withQuarantine({ target: EXISTING_TARGET, copies: { kind: "ecs", image: "nginx:1.27", containerPort: 8080 } })).map((p) => p.path)).toEqual(["quarantine.copies.containerPort"]);
  });

  test("copies.containerPort without an image cannot differ from the real service's", () => {
    expect(problems(withQuarantine({ copies: { kind: "ecs", containerPort: 8080 } }))).toEqual([
      { path: "quarantine.copies.containerPort", message: expect.stringContaining("8080 cannot apply without quarantine.copies.image: the copies run the real service's task definition, which serves on 80") },
    ]);
  });

  test("props: the same rules, with props paths", () => {
    expect(quarantinePropsProblems({ demo: { containerPort: 8080 } }).map((p) => p.path)).toEqual(["demo.containerPort"]);
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, copies: { kind: "ecs", image: "nginx:1.27" } }).map((p) => p.path)).toEqual(["copies.image"]);
    expect(quarantinePropsProblems({ target: EXISTING_TARGET, copies: { kind: "ecs", image: "nginx:1.27", containerPort: 80 } })).toEqual([]);
    expect(quarantinePropsProblems({ copies: { kind: "ecs", image: "x/decoy:1", containerPort: 0 } }).map((p) => p.path)).toEqual(["copies.containerPort"]);
  });

  test("image references: tags, digests and registry ports", () => {
    expect(knownImagePort("nginx")?.port).toBe(80);
    expect(knownImagePort("docker.io/library/nginx@sha256:abc")?.port).toBe(80);
    expect(knownImagePort("nginxinc/nginx-unprivileged:stable")?.port).toBe(8080);
    expect(knownImagePort("registry:5000/nginx:1")).toBeUndefined();
    expect(knownImagePort("example.com/nginx-proxy:1")).toBeUndefined();
  });
});
