/**
 * The copies part of `AwsQuarantine`: the honeypot copies scanners are sent to, with their own target
 * group and security group (only the load balancer may connect, only HTTPS out) and no AWS permissions
 * (no task role, no instance profile). They run as an ECS service (a decoy image, the demo's task
 * definition, or the user's by explicit opt-in) or as an Auto Scaling group with a warm pool, at their
 * Normal Mode count under `ignore_changes`: the mode function scales them, and an apply never undoes it.
 */
import { Annotations, Token, type ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import type { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import type { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { QUARANTINE_PART_TAG, QUARANTINE_REUSE_TAG } from "../core/policy/rules/quarantine-copies-isolated";
import type { IamStatement } from "../core/interfaces";
import { resourceName } from "../core/naming";
import type { ResolvedCopies } from "../core/quarantine-runtime";
import { rolePolicyOf } from "./lambda";
import { DEMO_CONTAINER, HEALTH_CHECK, HTTPS, plainSecurityGroup, webTaskDefinition, type QuarantineContext } from "./quarantine-context";

/**
 * Source of the anchor rule: the last address of TEST-NET-1 (RFC 5737), reserved for documentation and
 * never routed on the internet, so no real client can ever match the rule.
 */
export const ANCHOR_SOURCE_CIDR = "192.0.2.255/32";

export interface CopyFrontDoor {
  readonly targetGroup: LbTargetGroup;
  readonly securityGroup: SecurityGroup;
}

/** The copies' own target group and security group: only the load balancer in, only HTTPS out. */
export function copyFrontDoor(scope: Construct, c: QuarantineContext, vpcId: string, albSecurityGroupId: string): CopyFrontDoor {
  const targetGroup = new LbTargetGroup(scope, "CopyTargetGroup", {
    name: resourceName(c.settings.prefix, ["quarantine", "copies"], 32),
    port: c.copiesPort,
    protocol: "HTTP",
    targetType: c.settings.copies.kind === "asg" ? "instance" : "ip",
    vpcId,
    deregistrationDelay: "30",
    healthCheck: { path: "/", matcher: "200-399", interval: 15, healthyThreshold: 2, unhealthyThreshold: 3 },
    tags: c.tags,
  });
  const securityGroup = plainSecurityGroup(scope, "CopySecurityGroup", c.name("copies"), vpcId, "honeypot copies (the load balancer only)", c.copyTags);
  new VpcSecurityGroupIngressRule(scope, "CopyIngressFromLoadBalancer", {
    securityGroupId: securityGroup.id,
    ipProtocol: "tcp",
    fromPort: c.copiesPort,
    toPort: c.copiesPort,
    referencedSecurityGroupId: albSecurityGroupId,
    description: "from the load balancer",
  });
  new VpcSecurityGroupEgressRule(scope, "CopyEgressHttps", {
    securityGroupId: securityGroup.id,
    ipProtocol: "tcp",
    fromPort: HTTPS,
    toPort: HTTPS,
    cidrIpv4: "0.0.0.0/0",
    description: "image pulls (through the NAT gateway)",
  });
  return { targetGroup, securityGroup };
}

/**
 * For an existing target: a rule no client can match (priority just past lure's band) that attaches the
 * copies' target group to the user's listener. A target group no load balancer uses is never health-checked
 * (its targets stay "unused", and the rules would wait for a healthy copy), and ECS even refuses to create a
 * service on it. The demo's listener carries the group at weight 0 instead.
 */
export function copyAnchorRule(scope: Construct, c: QuarantineContext, listenerArn: string, targetGroupArn: string): LbListenerRule {
  const { firstPriority, ruleQuota } = c.settings.runtime.steering;
  const priority = firstPriority + ruleQuota;
  const rule = new LbListenerRule(scope, "CopyAnchorRule", {
    listenerArn,
    priority,
    condition: [{ sourceIp: { values: [ANCHOR_SOURCE_CIDR] } }],
    action: [{ type: "forward", targetGroupArn }],
    tags: { ...c.tags, [QUARANTINE_PART_TAG]: "anchor" },
  });
  Annotations.of(scope).addInfo(
    `quarantine: lure adds one rule to your listener at priority ${priority} (source ${ANCHOR_SOURCE_CIDR}, never a real client) so that the copies' target group is attached to your load balancer; its band is ${firstPriority}-${priority - 1}`,
  );
  return rule;
}

export interface CopiesProps {
  readonly frontDoor: CopyFrontDoor;
  readonly subnetIds: readonly string[];
  readonly cluster: EcsCluster;
  readonly executionRole?: IamRole;
  readonly logs: CloudwatchLogGroup;
  /** The demo's real task definition, which the demo's copies run unless they have an image. */
  readonly realTaskDefinitionArn?: string;
  /** What attaches the copies' target group to the load balancer (the demo's listener or the anchor rule). */
  readonly attachment?: LbListener | LbListenerRule;
  /** What gives the copy subnets their way out (the demo's NAT route); an existing target's are the user's. @default [] */
  readonly egress?: readonly ITerraformDependable[];
}

export interface Copies {
  readonly service?: EcsService;
  readonly group?: AutoscalingGroup;
  /** What the mode function may do to scale them. */
  readonly statements: IamStatement[];
}

/** The copies as a second ECS service on the decoy image, the demo's task definition, or (opted in) the user's. */
function containerCopies(scope: Construct, c: QuarantineContext, copies: Extract<ResolvedCopies, { kind: "ecs" }>, p: CopiesProps): Copies {
  const { stack, existing } = c;
  const containerName = existing ? existing.containerName : DEMO_CONTAINER;
  const taskDefinition = copies.image
    ? webTaskDefinition(scope, "CopyTaskDefinition", {
        family: c.name("copies"),
        image: copies.image,
        containerName,
        containerPort: c.copiesPort,
        executionRole: p.executionRole!,
        logs: p.logs,
        region: stack.region,
        tags: c.copyTags,
      }).arn
    : existing
      ? existing.taskDefinitionArn
      : p.realTaskDefinitionArn!;
  // Validation refused this unless the config accepted it explicitly; it still deserves a warning.
  const reused = existing !== undefined && !copies.image;
  if (copies.image) Annotations.of(scope).addInfo(`quarantine: the copies' image ${copies.image} must serve HTTP on port ${c.copiesPort} (${HEALTH_CHECK}; set quarantine.copies.containerPort if it serves elsewhere)`);
  if (reused) {
    Annotations.of(scope).addWarning(
      `quarantine: the copies run your task definition ${existing.taskDefinitionArn} (copies.reuseTaskDefinition), with its task role and secrets if it has any; set quarantine.copies.image to run a decoy without your service's AWS permissions`,
    );
  }
  const service = new EcsService(scope, "CopyService", {
    name: c.names.copies,
    cluster: p.cluster.arn,
    taskDefinition,
    desiredCount: copies.normalCount,
    launchType: "FARGATE",
    networkConfiguration: { subnets: [...p.subnetIds], securityGroups: [p.frontDoor.securityGroup.id], assignPublicIp: false },
    loadBalancer: [{ targetGroupArn: p.frontDoor.targetGroup.arn, containerName, containerPort: c.copiesPort }],
    healthCheckGracePeriodSeconds: 60,
    propagateTags: "SERVICE",
    enableEcsManagedTags: true,
    waitForSteadyState: false,
    // The mode function scales the copies; an apply must not undo that.
    lifecycle: { ignoreChanges: ["desired_count"] },
    // Tells the policy rule quarantine-copies-isolated that running a task definition from outside
    // this stack was accepted in the config.
    tags: reused ? { ...c.copyTags, [QUARANTINE_REUSE_TAG]: "accepted" } : c.copyTags,
    // Copies may start at deploy (normalCount ≥ 1): they need their route out and, for lure's own task
    // definition or the demo's, the execution role's policy, or the image pull fails.
    dependsOn: [...(p.attachment ? [p.attachment] : []), ...(copies.image || !existing ? [rolePolicyOf(scope, "ExecutionRole")] : []), ...(p.egress ?? [])],
  });
  const arn = `arn:${stack.partition}:ecs:${stack.region}:${stack.accountId}:service/${c.names.cluster}/${c.names.copies}`;
  return { service, statements: [{ Sid: "ScaleCopies", Effect: "Allow", Action: ["ecs:UpdateService", "ecs:DescribeServices"], Resource: [arn] }] };
}

/** The copies as EC2 instances from an AMI in an Auto Scaling group with a warm pool. */
function vmCopies(scope: Construct, c: QuarantineContext, copies: Extract<ResolvedCopies, { kind: "asg" }>, p: CopiesProps): Copies {
  const { stack } = c;
  const name = c.names.copies;
  // Loaded only for VM copies: the two bindings are a tenth of the quarantine's import cost.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { LaunchTemplate } = require("@cdktf/provider-aws/lib/launch-template") as typeof import("@cdktf/provider-aws/lib/launch-template");
  const { AutoscalingGroup: Group } = require("@cdktf/provider-aws/lib/autoscaling-group") as typeof import("@cdktf/provider-aws/lib/autoscaling-group");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const template = new LaunchTemplate(scope, "CopyLaunchTemplate", {
    name,
    description: "lure: honeypot copies",
    imageId: copies.amiId,
    instanceType: copies.instanceType,
    vpcSecurityGroupIds: [p.frontDoor.securityGroup.id],
    // IMDSv2 only, one hop: a container on the copy cannot reach the metadata service. No instance
    // profile, so there are no credentials there anyway.
    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
    ...(copies.warmPool.state === "Hibernated" ? { hibernationOptions: { configured: true } } : {}),
    tagSpecifications: [
      { resourceType: "instance", tags: { ...stack.tags, ...c.copyTags, Name: name } },
      { resourceType: "volume", tags: { ...stack.tags, ...c.copyTags, Name: name } },
    ],
    updateDefaultVersion: true,
    tags: c.copyTags,
  });
  const group = new Group(scope, "CopyGroup", {
    name,
    minSize: 0,
    maxSize: copies.defenceCount,
    desiredCapacity: copies.normalCount,
    vpcZoneIdentifier: [...p.subnetIds],
    launchTemplate: { id: template.id, version: Token.asString(template.latestVersion) },
    targetGroupArns: [p.frontDoor.targetGroup.arn],
    healthCheckType: "ELB",
    healthCheckGracePeriod: 60,
    // Instances launched ahead and parked: scaling out resumes one instead of booting the AMI.
    warmPool: { poolState: copies.warmPool.state, minSize: copies.warmPool.minSize },
    // The mode function scales the copies; an apply must not undo that.
    lifecycle: { ignoreChanges: ["desired_capacity"] },
    tag: Object.entries({ ...c.copyTags, Name: name }).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
    // The warm pool launches instances at once.
    ...(p.egress?.length ? { dependsOn: [...p.egress] } : {}),
  });
  if (copies.warmPool.state === "Hibernated") {
    Annotations.of(scope).addInfo("quarantine: hibernated warm pool instances need an AMI with an encrypted root volume large enough for the instance's memory");
  }
  Annotations.of(scope).addInfo(`quarantine: the copies' AMI ${copies.amiId} must serve HTTP on port ${c.copiesPort} (${HEALTH_CHECK})`);
  return {
    group,
    statements: [
      {
        Sid: "ScaleCopies",
        Effect: "Allow",
        Action: ["autoscaling:SetDesiredCapacity"],
        Resource: [`arn:${stack.partition}:autoscaling:${stack.region}:${stack.accountId}:autoScalingGroup:*:autoScalingGroupName/${name}`],
      },
      // Describe calls support no resource-level permissions; they only read.
      { Sid: "ReadCopies", Effect: "Allow", Action: ["autoscaling:DescribeAutoScalingGroups"], Resource: ["*"] },
    ],
  };
}

/** The copies of the configured kind; for an existing target, a note on how many rules lure can hold. */
export function honeypotCopies(scope: Construct, c: QuarantineContext, p: CopiesProps): Copies {
  const copies = c.settings.copies;
  const made = copies.kind === "ecs" ? containerCopies(scope, c, copies, p) : vmCopies(scope, c, copies, p);
  if (c.existing) {
    Annotations.of(scope).addInfo(
      `quarantine: your load balancer's security group ${c.existing.albSecurityGroupId} must allow egress to the copies' security group (${c.name("copies")}) on TCP ${c.copiesPort}; lure does not change your group (README: Demo or your own service)`,
    );
    const { ruleQuota, albRuleLimit, cidrsPerRule } = c.settings.runtime.steering;
    const anchor = p.attachment ? 1 : 0;
    Annotations.of(scope).addInfo(
      `quarantine: your load balancer accepts ${albRuleLimit} rules (albRuleLimit)${anchor ? ", the anchor takes one" : ""} and each rule of yours takes one, so lure holds at most ` +
        `min(${ruleQuota}, ${albRuleLimit - anchor} − your rules) steering rules of ${cidrsPerRule} sources each; rules on the load balancer's other listeners count against the same quota (lower albRuleLimit by them)`,
    );
  }
  return made;
}
