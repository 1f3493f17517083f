/**
 * The ALB steering adapter on a listener fake (band, pages, exact requests, the errors that mean a
 * race, a goal already reached or a quota to change), and the copies adapters' exact requests.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ModifyRuleCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { albSteering, forwardsOnlyTo, RuleQuotaError } from "../../../functions/aws/quarantine/alb-steering";
import { asgCopies, copiesFor, ecsCopies } from "../../../functions/aws/quarantine/copies";
import { ConflictError } from "../../../functions/core/quarantine-types";
import { fakeListener, fakeService, fakeTargetGroup, strict } from "./quarantine-fakes";

const LISTENER = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/lure-test/0123456789abcdef/fedcba9876543210";
const COPIES_TG = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/lure-test-copies/0011223344556677";
const REAL_TG = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/shop-web/8899aabbccddeeff";
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const ecsMock = mockClient(ECSClient);
const asgMock = mockClient(AutoScalingClient);
const elb = new ElasticLoadBalancingV2Client({ region: "eu-west-1" });

const steering = (ruleQuota = 10) =>
  albSteering(elb, { listenerArn: LISTENER, targetGroupArn: COPIES_TG, prefix: "lure-test", steering: { firstPriority: 1000, ruleQuota, albRuleLimit: 100, cidrsPerRule: 5 } });

beforeEach(() => {
  for (const m of [elbMock, ecsMock, asgMock]) m.reset();
  strict(elbMock, "ELBv2");
  strict(ecsMock, "ECS");
  strict(asgMock, "AutoScaling");
});

describe("ALB steering", () => {
  it("lists only the rules of lure's band, with their source CIDRs, over every page", async () => {
    const listener = fakeListener(elbMock, LISTENER, { pageSize: 2 });
    listener.seed(1, ["10.0.0.0/8"]); // the user's rules, below and above the band
    const low = listener.seed(1000, ["198.51.100.7/32", "198.51.100.8/32"], COPIES_TG);
    listener.seed(1004, ["203.0.113.9/32"], COPIES_TG);
    const high = listener.seed(1009, ["2001:db8::1/128"], COPIES_TG);
    listener.seed(1010, ["192.0.2.0/24"]);
    listener.seed(50_000, ["192.0.2.0/24"]);

    const rules = (await steering().readRules()).rules;

    expect(rules.map((r) => r.priority)).toEqual([1000, 1004, 1009]);
    expect(rules[0]).toEqual({ id: low, priority: 1000, cidrs: ["198.51.100.7/32", "198.51.100.8/32"] });
    expect(rules[2]).toEqual({ id: high, priority: 1009, cidrs: ["2001:db8::1/128"] });
    // 6 rules + the default action, 2 per page.
    expect(elbMock.commandCalls(DescribeRulesCommand).map((c) => c.args[0].input)).toEqual([
      { ListenerArn: LISTENER, PageSize: 400 },
      { ListenerArn: LISTENER, PageSize: 400, Marker: "2" },
      { ListenerArn: LISTENER, PageSize: 400, Marker: "4" },
      { ListenerArn: LISTENER, PageSize: 400, Marker: "6" },
    ]);
  });

  it("lists the priorities of every other rule, in the band or not, without the default action", async () => {
    const listener = fakeListener(elbMock, LISTENER, { pageSize: 3 });
    listener.seed(5, ["10.0.0.0/8"]);
    listener.seed(999, ["10.0.0.0/8"]);
    listener.seed(1000, ["198.51.100.7/32"], COPIES_TG);
    listener.seed(1005, ["10.0.0.0/8"]);
    listener.seed(1009, ["198.51.100.9/32"], COPIES_TG);
    listener.seed(1010, ["198.51.100.10/32"], COPIES_TG);
    expect((await steering().readRules()).otherPriorities).toEqual([5, 999, 1005, 1010]);
    // One priority more in the band: the forward to the copies at 1010 becomes lure's; the user's 1005 stays theirs.
    expect((await steering(11).readRules()).otherPriorities).toEqual([5, 999, 1005]);
    expect(((await steering(11).readRules()).rules).map((r) => r.priority)).toEqual([1000, 1009, 1010]);
  });

  it("leaves a user's rules inside the band to the user: a forward to their own group, a fixed response", async () => {
    const listener = fakeListener(elbMock, LISTENER);
    const mine = listener.seed(1001, ["198.51.100.7/32"], COPIES_TG);
    listener.seed(1002, ["10.0.0.0/8"], REAL_TG);
    listener.seedRule(1003, { cidrs: ["192.0.2.0/24"], actions: [{ Type: "fixed-response", Order: 1, FixedResponseConfig: { StatusCode: "403", ContentType: "text/plain" } }] });
    listener.seed(5, ["10.0.0.0/8"], REAL_TG);

    expect((await steering().readRules()).rules).toEqual([{ id: mine, priority: 1001, cidrs: ["198.51.100.7/32"] }]);
    expect((await steering().readRules()).otherPriorities).toEqual([5, 1002, 1003]);
  });

  it("counts a weighted forward to the copies alone as lure's, and a split with another group as the user's", async () => {
    const listener = fakeListener(elbMock, LISTENER);
    const weighted = listener.seedRule(1000, { cidrs: ["198.51.100.7/32"], actions: [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: COPIES_TG, Weight: 10 }] } }] });
    listener.seedRule(1001, {
      cidrs: ["198.51.100.8/32"],
      actions: [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: COPIES_TG, Weight: 1 }, { TargetGroupArn: REAL_TG, Weight: 1 }] } }],
    });
    listener.seedRule(1002, { cidrs: ["198.51.100.9/32"], actions: [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: REAL_TG, Weight: 1 }] } }] });

    expect((await steering().readRules()).rules).toEqual([{ id: weighted, priority: 1000, cidrs: ["198.51.100.7/32"] }]);
    expect((await steering().readRules()).otherPriorities).toEqual([1001, 1002]);
  });

  it("leaves to the user a rule in the band that forwards to the copies but does more: another condition, another action", async () => {
    const listener = fakeListener(elbMock, LISTENER);
    // Modifying it would replace all its conditions and drop the path pattern.
    listener.seedRule(1000, { cidrs: ["198.51.100.7/32"], conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/admin/*"] } }], actions: [{ Type: "forward", TargetGroupArn: COPIES_TG }] });
    listener.seedRule(1001, {
      cidrs: ["198.51.100.8/32"],
      actions: [
        { Type: "authenticate-cognito", Order: 1, AuthenticateCognitoConfig: { UserPoolArn: "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/x", UserPoolClientId: "c", UserPoolDomain: "d" } },
        { Type: "forward", Order: 2, TargetGroupArn: COPIES_TG },
      ],
    });
    listener.seedRule(1002, { conditions: [{ Field: "host-header", HostHeaderConfig: { Values: ["decoy.example.com"] } }], actions: [{ Type: "forward", TargetGroupArn: COPIES_TG }] });

    expect((await steering().readRules()).rules).toEqual([]);
    expect((await steering().readRules()).otherPriorities).toEqual([1000, 1001, 1002]);
  });

  it("counts a forward to the copies outside the band (the anchor rule of an existing target) as another rule", async () => {
    const listener = fakeListener(elbMock, LISTENER);
    listener.seed(1010, ["255.255.255.255/32"], COPIES_TG);
    expect((await steering().readRules()).rules).toEqual([]);
    expect((await steering().readRules()).otherPriorities).toEqual([1010]);
  });

  it("counts the healthy targets of the copies' group, and only those", async () => {
    let states: ("healthy" | "initial" | "unhealthy" | "draining" | "unused" | "unavailable")[] = ["initial", "initial"];
    fakeTargetGroup(elbMock, COPIES_TG, () => states);
    expect(await steering().healthyTargets()).toBe(0);
    states = ["healthy", "initial", "unhealthy", "healthy", "draining", "unused", "unavailable"];
    expect(await steering().healthyTargets()).toBe(2);
    states = [];
    expect(await steering().healthyTargets()).toBe(0);
    expect(elbMock.commandCalls(DescribeTargetHealthCommand).map((c) => c.args[0].input)).toEqual([{ TargetGroupArn: COPIES_TG }, { TargetGroupArn: COPIES_TG }, { TargetGroupArn: COPIES_TG }]);
  });

  it("lets a target group error through (no guess at the health)", async () => {
    const err = new ElasticLoadBalancingV2ServiceException({ name: "TargetGroupNotFoundException", $fault: "client", message: "One or more target groups not found", $metadata: {} });
    elbMock.on(DescribeTargetHealthCommand).rejects(err);
    await expect(steering().healthyTargets()).rejects.toBe(err);
  });

  it("creates a rule: its priority, one source-ip condition with the 5 CIDRs, forward to the copies, the prefix tag", async () => {
    const listener = fakeListener(elbMock, LISTENER);
    const cidrs = ["198.51.100.1/32", "198.51.100.2/32", "198.51.100.3/32", "2001:db8::4/128", "203.0.113.5/32"];
    await steering().apply({ kind: "create", priority: 1003, cidrs });

    expect(elbMock.commandCalls(CreateRuleCommand).map((c) => c.args[0].input)).toEqual([
      {
        ListenerArn: LISTENER,
        Priority: 1003,
        Conditions: [{ Field: "source-ip", SourceIpConfig: { Values: cidrs } }],
        Actions: [{ Type: "forward", TargetGroupArn: COPIES_TG }],
        Tags: [{ Key: "lure:prefix", Value: "lure-test" }],
      },
    ]);
    expect([...listener.rules.values()]).toEqual([{ priority: 1003, cidrs, targetGroupArn: COPIES_TG, tags: { "lure:prefix": "lure-test" } }]);
  });

  it("turns a taken priority into a ConflictError and creates nothing", async () => {
    const listener = fakeListener(elbMock, LISTENER);
    listener.seed(1003, ["10.0.0.0/8"]);
    const err = await steering()
      .apply({ kind: "create", priority: 1003, cidrs: ["198.51.100.1/32"] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain("priority 1003");
    expect(listener.rules.size).toBe(1);
  });

  it("says which quota to change when the ALB has no rule left, as a RuleQuotaError the engine knows by name", async () => {
    const listener = fakeListener(elbMock, LISTENER, { maxRules: 1 });
    listener.seed(1, ["10.0.0.0/8"]);
    const err = await steering(100)
      .apply({ kind: "create", priority: 1000, cidrs: ["198.51.100.1/32"] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuleQuotaError);
    expect(err).not.toBeInstanceOf(ConflictError);
    // The core engine cannot import this class: it recognises the error by its name.
    expect((err as Error).name).toBe("RuleQuotaError");
    expect((err as Error).message).toMatch(/^ALB rule quota reached on arn:aws:elasticloadbalancing:.*: cannot create a rule at priority 1000 \(.*\)\. The load balancer takes fewer rules than quarantine\.albRuleLimit \(now 100\): set it to the "Rules per Application Load Balancer" quota in Service Quotas minus the rules of the load balancer's other listeners, or raise that quota\.$/);
    expect(listener.rules.size).toBe(1);
  });

  it("modifies a rule's CIDRs and keeps its action", async () => {
    const listener = fakeListener(elbMock, LISTENER);
    const arn = listener.seed(1000, ["198.51.100.1/32"], COPIES_TG);
    await steering().apply({ kind: "modify", id: arn, priority: 1000, cidrs: ["198.51.100.1/32", "198.51.100.2/32"] });
    expect(elbMock.commandCalls(ModifyRuleCommand).map((c) => c.args[0].input)).toEqual([
      { RuleArn: arn, Conditions: [{ Field: "source-ip", SourceIpConfig: { Values: ["198.51.100.1/32", "198.51.100.2/32"] } }] },
    ]);
    expect(listener.rules.get(arn)).toEqual({ priority: 1000, cidrs: ["198.51.100.1/32", "198.51.100.2/32"], targetGroupArn: COPIES_TG, tags: {} });
  });

  it("reports a rule deleted under a modify as a conflict (re-list and plan again)", async () => {
    fakeListener(elbMock, LISTENER);
    await expect(steering().apply({ kind: "modify", id: `${LISTENER}/gone`, priority: 1000, cidrs: ["198.51.100.1/32"] })).rejects.toBeInstanceOf(ConflictError);
  });

  it("deletes a rule; a rule already gone is a success", async () => {
    const listener = fakeListener(elbMock, LISTENER);
    const arn = listener.seed(1000, ["198.51.100.1/32"], COPIES_TG);
    await steering().apply({ kind: "delete", id: arn, priority: 1000 });
    await expect(steering().apply({ kind: "delete", id: arn, priority: 1000 })).resolves.toBeUndefined();
    expect(elbMock.commandCalls(DeleteRuleCommand).map((c) => c.args[0].input)).toEqual([{ RuleArn: arn }, { RuleArn: arn }]);
    expect(listener.ops).toEqual(["delete 1000", `delete ${arn}: RuleNotFound`]);
    expect(listener.rules.size).toBe(0);
  });

  it("lets other errors through", async () => {
    const err = new ElasticLoadBalancingV2ServiceException({ name: "ValidationError", $fault: "client", message: "bad", $metadata: {} });
    elbMock.on(DeleteRuleCommand).rejects(err);
    await expect(steering().apply({ kind: "delete", id: "arn:x", priority: 1000 })).rejects.toBe(err);
  });
});

describe("forwardsOnlyTo", () => {
  const only = (groups: [string, number?][]) => ({ TargetGroups: groups.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, ...(Weight === undefined ? {} : { Weight }) })) });
  it.each([
    ["a plain forward as created", [{ Type: "forward", TargetGroupArn: COPIES_TG }], true],
    ["a plain forward as DescribeRules lists it", [{ Type: "forward", TargetGroupArn: COPIES_TG, Order: 1, ForwardConfig: { ...only([[COPIES_TG, 1]]), TargetGroupStickinessConfig: { Enabled: false } } }], true],
    ["a weighted forward to the copies alone", [{ Type: "forward", ForwardConfig: only([[COPIES_TG, 100]]) }], true],
    ["a forward to another group", [{ Type: "forward", TargetGroupArn: REAL_TG }], false],
    ["TargetGroupArn and ForwardConfig that disagree", [{ Type: "forward", TargetGroupArn: COPIES_TG, ForwardConfig: only([[REAL_TG]]) }], false],
    ["a split between the copies and another group", [{ Type: "forward", ForwardConfig: only([[COPIES_TG, 1], [REAL_TG, 1]]) }], false],
    ["the copies twice", [{ Type: "forward", ForwardConfig: only([[COPIES_TG, 1], [COPIES_TG, 1]]) }], false],
    ["an empty ForwardConfig", [{ Type: "forward", ForwardConfig: only([]) }], false],
    ["a forward naming no group", [{ Type: "forward" }], false],
    ["a fixed response", [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "403" } }], false],
    ["a redirect", [{ Type: "redirect", RedirectConfig: { StatusCode: "HTTP_302", Host: "example.com" } }], false],
    ["two forwards", [{ Type: "forward", TargetGroupArn: COPIES_TG }, { Type: "forward", TargetGroupArn: COPIES_TG }], false],
    ["no action", [], false],
    ["no action list", undefined, false],
  ] as [string, Parameters<typeof forwardsOnlyTo>[0], boolean][])("%s", (_what, actions, expected) => {
    expect(forwardsOnlyTo(actions, COPIES_TG)).toBe(expected);
  });
});

describe("copies", () => {
  it("ECS: sets and reads the service's desired count", async () => {
    const service = fakeService(ecsMock, "lure-test", "lure-test-copies", 0);
    const copies = ecsCopies(new ECSClient({ region: "eu-west-1" }), "lure-test", "lure-test-copies");
    await copies.setDesired(3);
    expect(await copies.getDesired()).toBe(3);
    expect(ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([{ cluster: "lure-test", service: "lure-test-copies", desiredCount: 3 }]);
    expect(ecsMock.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input)).toEqual([{ cluster: "lure-test", services: ["lure-test-copies"] }]);
    expect(service.updates).toEqual([3]);
  });

  it("ECS: a missing service is an error with ECS's reason", async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: "arn:x", reason: "MISSING" }] });
    await expect(ecsCopies(new ECSClient({ region: "eu-west-1" }), "lure-test", "lure-test-copies").getDesired()).rejects.toThrow("ECS service lure-test-copies of cluster lure-test: MISSING");
  });

  it("Auto Scaling: sets the desired capacity without waiting for a cooldown, and reads it", async () => {
    asgMock.on(SetDesiredCapacityCommand).resolves({});
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ AutoScalingGroupName: "lure-test-copies", DesiredCapacity: 2, MinSize: 0, MaxSize: 4 } as never] });
    const copies = asgCopies(new AutoScalingClient({ region: "eu-west-1" }), "lure-test-copies");
    await copies.setDesired(2);
    expect(await copies.getDesired()).toBe(2);
    expect(asgMock.commandCalls(SetDesiredCapacityCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupName: "lure-test-copies", DesiredCapacity: 2, HonorCooldown: false }]);
    expect(asgMock.commandCalls(DescribeAutoScalingGroupsCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupNames: ["lure-test-copies"] }]);
  });

  it("Auto Scaling: a missing group is an error", async () => {
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await expect(asgCopies(new AutoScalingClient({ region: "eu-west-1" }), "lure-test-copies").getDesired()).rejects.toThrow("Auto Scaling group lure-test-copies not found");
  });

  it("picks the adapter the environment names", async () => {
    fakeService(ecsMock, "c", "s", 1);
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ AutoScalingGroupName: "g", DesiredCapacity: 7 } as never] });
    expect(await copiesFor({ kind: "ecs", cluster: "c", service: "s" }, { ecs: new ECSClient({ region: "eu-west-1" }) }).getDesired()).toBe(1);
    expect(await copiesFor({ kind: "asg", group: "g" }, { autoScaling: new AutoScalingClient({ region: "eu-west-1" }) }).getDesired()).toBe(7);
    expect(ecsMock.calls()).toHaveLength(1);
    expect(asgMock.calls()).toHaveLength(1);
  });
});
