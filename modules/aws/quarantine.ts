/**
 * `AwsQuarantine` — a real web service behind an ALB, honeypot copies of it scaled to zero, and the
 * loop that sends scanners to the copies (DESIGN.md "Quarantine per cloud"; reference/clouds.md §1.3):
 *
 *   VPC flow logs (ALB ENIs included) → CloudWatch Logs → subscription → detector (Lambda) → DynamoDB
 *   Scheduler (every minute) → mode (Lambda) → ALB listener rules (source-ip → copies) + copy count
 *
 * ```ts
 * const stack = new AwsStack(app, "aws-quarantine", { prefix: "lure", region: "eu-west-2" });
 * new AwsQuarantine(stack, "Quarantine", { target: "demo", allowCidrs: ["198.51.100.0/24"] });
 * ```
 *
 * What Terraform does NOT own (reference/clouds.md §4 items 3 and 11): the steering rules (the
 * functions create and delete them in their priority band through the SDK) and the copies' running
 * count (`desired_count` / `desired_capacity` under `ignore_changes`). A later `terraform apply`
 * therefore never reverts a quarantine in progress. The one `aws_lb_listener_rule` here is the
 * anchor of an existing target's copies, just above the band, which no client can ever match.
 *
 * The honeypot copies get nothing of the real service: their own target group, security group (only
 * the load balancer may connect, only HTTPS out) and no AWS permissions (no task role, no instance
 * profile). The demo's copies also get subnets of their own whose network ACL denies the real service's
 * subnets both ways; an existing target's copies get such an ACL only on request (`isolateSubnets`), as
 * it replaces the ACL its subnets have now. An existing target's copies run a decoy image
 * (`copies.image`), or the user's own task definition only with `copies.reuseTaskDefinition: true`.
 */
import { Annotations, Fn, TerraformLocal, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import type { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogSubscriptionFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-subscription-filter";
import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { NetworkAcl } from "@cdktf/provider-aws/lib/network-acl";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import type { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { AwsStack } from "../../providers/aws";
import { AWS_CUSTOM_FORMAT } from "../../functions/core/flow";
import { parseCidr } from "../core/cidr";
import { QUARANTINE_PART_TAG, QUARANTINE_REUSE_TAG } from "../core/policy/rules/quarantine-copies-isolated";
import type { ExistingTarget, IamStatement, IQuarantine, QuarantineProps } from "../core/interfaces";
import { componentTags, resourceName } from "../core/naming";
import { assertQuarantineProps, quarantineEnvironment, quarantineNames, resolveQuarantine, type ResolvedQuarantine } from "../core/quarantine-runtime";
import { FUNCTION_ENTRIES } from "./bundle";
import { serviceRole } from "./iam";
import { functionSchedule, nodeFunction, rolePolicyOf } from "./lambda";
import { terraformLiteral } from "./workload";

/** The flow-log aggregation interval: the shortest AWS offers (Nitro ENIs never aggregate longer). */
export const FLOW_LOG_AGGREGATION_SECONDS = 60;
/**
 * The detector decodes a gzip+base64 batch of up to 1 MB and keeps a map of tracked sources; 512 MB
 * buys the CPU share (memory scales CPU) for a batch in well under a second and heap for the map.
 */
export const DETECTOR_MEMORY_MB = 512;
/** A batch is parsed in milliseconds; the rest is DynamoDB and ELB calls with bounded retries. */
export const DETECTOR_TIMEOUT_SECONDS = 60;
/** Lambda's own retries of a failed batch before it goes to the dead-letter queue. */
export const DETECTOR_RETRY_ATTEMPTS = 2;
/** How often the mode function runs. */
export const MODE_SCHEDULE = "rate(1 minute)";
/** Below the schedule's minute, so two runs never overlap for long (a lease guards the rest). */
export const MODE_TIMEOUT_SECONDS = 50;
/** DynamoDB key (`pk`, `sk`) of the mode item (functions/aws/quarantine/dynamo-store.ts MODE_KEY). */
export const MODE_ITEM_KEY = { pk: "mode", sk: "mode" } as const;
/** Partition key of the quarantined sources (one item per source, `sk` = its address). */
export const QUARANTINE_PARTITION = "quarantine";
/**
 * Source of the anchor rule: the last address of TEST-NET-1 (RFC 5737), reserved for documentation and
 * never routed on the internet, so no real client can ever match the rule.
 */
export const ANCHOR_SOURCE_CIDR = "192.0.2.255/32";

const HTTPS = 443;
/** Name of the container in the demo (and decoy) task definitions. */
const DEMO_CONTAINER = "web";

export type AwsQuarantineProps = QuarantineProps;

/** The split of the demo network: two availability zones, three tiers. */
export interface DemoSubnetCidrs {
  readonly public: readonly [string, string];
  readonly private: readonly [string, string];
  readonly copies: readonly [string, string];
}

/** The demo network's six subnets: the CIDR split in eight (/16 → /19, /24 → /27), the last two spare. */
export function demoSubnetCidrs(cidr: string): DemoSubnetCidrs {
  const r = parseCidr(cidr);
  if (!r.ok || r.cidr.version !== 4 || r.cidr.prefixLength > 24) throw new Error(`demo network ${cidr}: expected an IPv4 CIDR of /24 or wider`);
  const base = r.cidr.address.split(".").reduce((acc, b) => acc * 256 + Number(b), 0);
  const length = r.cidr.prefixLength + 3;
  const size = 2 ** (32 - length);
  const at = (i: number) => {
    const n = base + i * size;
    return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".")}/${length}`;
  };
  return { public: [at(0), at(1)], private: [at(2), at(3)], copies: [at(4), at(5)] };
}

/**
 * Entries of a copies network ACL, the same both ways (ACLs are stateless): deny each of `denied`, then
 * allow the rest. Inline: the ACL is lure's alone, and separate rule resources would fight it.
 */
function isolationEntries(denied: readonly string[]) {
  return [
    ...denied.map((cidr, i) => ({ ruleNo: 100 + i, action: "deny", cidrBlock: cidr, protocol: "-1", fromPort: 0, toPort: 0 })),
    { ruleNo: 200, action: "allow", cidrBlock: "0.0.0.0/0", protocol: "-1", fromPort: 0, toPort: 0 },
  ];
}

export interface DemoNetworkProps {
  readonly prefix: string;
  readonly cidr: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The demo's VPC: public subnets (ALB, NAT gateway), private subnets (the real service) and isolated
 * subnets (the copies). One NAT gateway serves both inner tiers so their tasks can pull images; it is
 * the demo's main fixed cost (about USD 0.045-0.05 an hour plus data, roughly USD 35 a month).
 */
export class DemoNetwork extends Construct {
  readonly vpc: Vpc;
  readonly publicSubnets: readonly Subnet[];
  readonly privateSubnets: readonly Subnet[];
  readonly copySubnets: readonly Subnet[];
  readonly copyNetworkAcl: NetworkAcl;
  readonly cidrs: DemoSubnetCidrs;

  constructor(scope: Construct, id: string, props: DemoNetworkProps) {
    super(scope, id);
    const name = resourceName(props.prefix, ["quarantine"]);
    const tags = (n: string) => ({ ...props.tags, Name: n });
    this.cidrs = demoSubnetCidrs(props.cidr);
    this.vpc = new Vpc(this, "Vpc", { cidrBlock: props.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags(name) });
    const zones = new DataAwsAvailabilityZones(this, "Zones", { state: "available" });
    const tier = (kind: "Public" | "Private" | "Copies", cidrs: readonly [string, string], table: RouteTable) =>
      cidrs.map((cidr, i) => {
        const subnet = new Subnet(this, `${kind}${i}`, {
          vpcId: this.vpc.id,
          cidrBlock: cidr,
          availabilityZone: Fn.element(zones.names, i),
          mapPublicIpOnLaunch: false,
          tags: tags(`${name}-${kind.toLowerCase()}-${i}`),
        });
        new RouteTableAssociation(this, `${kind}RouteTableAssociation${i}`, { subnetId: subnet.id, routeTableId: table.id });
        return subnet;
      });

    const igw = new InternetGateway(this, "InternetGateway", { vpcId: this.vpc.id, tags: tags(name) });
    // Routes and ACL entries are inline blocks: this table and ACL are lure's alone, and fewer
    // resources keep synth fast.
    const publicTable = new RouteTable(this, "PublicRouteTable", { vpcId: this.vpc.id, route: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tags(`${name}-public`) });
    this.publicSubnets = tier("Public", this.cidrs.public, publicTable);

    const natAddress = new Eip(this, "NatAddress", { domain: "vpc", tags: tags(`${name}-nat`) });
    const nat = new NatGateway(this, "NatGateway", { allocationId: natAddress.allocationId, subnetId: this.publicSubnets[0].id, tags: tags(name), dependsOn: [igw] });
    // Out to the internet only through the NAT gateway: image pulls and AWS APIs, nothing inbound.
    const natTable = (kind: "Private" | "Copies") =>
      new RouteTable(this, `${kind}RouteTable`, { vpcId: this.vpc.id, route: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: tags(`${name}-${kind.toLowerCase()}`) });
    this.privateSubnets = tier("Private", this.cidrs.private, natTable("Private"));
    this.copySubnets = tier("Copies", this.cidrs.copies, natTable("Copies"));

    // Stateless, so both directions are denied explicitly; the security groups already refuse this
    // path, the ACL keeps it closed even if a group is later widened by hand.
    const entries = isolationEntries(this.cidrs.private);
    this.copyNetworkAcl = new NetworkAcl(this, "CopiesNetworkAcl", {
      vpcId: this.vpc.id,
      subnetIds: this.copySubnets.map((n) => n.id),
      ingress: entries,
      egress: entries,
      tags: tags(`${name}-copies`),
    });
  }
}

export class AwsQuarantine extends Construct implements IQuarantine {
  readonly endpoint: string;
  readonly stateStoreName: string;
  /** The settings with every default filled in, and the functions' runtime config. */
  readonly settings: ResolvedQuarantine;
  /** The demo network; absent for an existing target. */
  readonly network?: DemoNetwork;
  /**
   * An existing target's copy subnets' network ACL, denying `target.realSubnetCidrs` both ways; only with
   * `target.isolateSubnets` (the demo's is `network.copyNetworkAcl`).
   */
  readonly copyNetworkAcl?: NetworkAcl;
  /** The demo's load balancer; absent for an existing target. */
  readonly loadBalancer?: Lb;
  /** The demo's real service; absent for an existing target. */
  readonly realService?: EcsService;
  /** The listener whose rules steer quarantined sources (a token for the demo, the config's ARN otherwise). */
  readonly listenerArn: string;
  readonly cluster: EcsCluster;
  /** Name of the ECS cluster of the copies (and the demo). */
  readonly clusterName: string;
  readonly copyTargetGroup: LbTargetGroup;
  readonly copySecurityGroup: SecurityGroup;
  /** The ECS service of the copies (`copies.kind` "ecs"). */
  readonly copyService?: EcsService;
  /**
   * For an existing target: the listener rule that attaches the copy target group to the
   * user's load balancer (priority `firstRulePriority + ruleQuota`, a source no client can have).
   */
  readonly copyAnchorRule?: LbListenerRule;
  /** The Auto Scaling group of the copies (`copies.kind` "asg"). */
  readonly copyGroup?: AutoscalingGroup;
  /** Name of the copy service or Auto Scaling group. */
  readonly copiesName: string;
  readonly table: DynamodbTable;
  readonly flowLogGroup: CloudwatchLogGroup;
  readonly flowLog: FlowLog;
  readonly deadLetterQueue: SqsQueue;
  readonly detector: LambdaFunction;
  readonly mode: LambdaFunction;
  readonly schedule: SchedulerSchedule;

  constructor(scope: Construct, id: string, props: AwsQuarantineProps) {
    super(scope, id);
    assertQuarantineProps(this.node.path, props);
    const stack = TerraformStack.of(this);
    if (!(stack instanceof AwsStack)) throw new Error(`${this.node.path}: AwsQuarantine must be created inside an AwsStack`);
    const s = resolveQuarantine(props, stack.prefix);
    this.settings = s;
    const prefix = s.prefix;
    const tags = { ...(props.tags ?? {}), ...componentTags("quarantine") };
    // The policy rule quarantine-copies-isolated tells the copies and the real service apart by this tag.
    const copyTags = { ...tags, [QUARANTINE_PART_TAG]: "copies" };
    const realTags = { ...tags, [QUARANTINE_PART_TAG]: "real" };
    const name = (...parts: string[]) => resourceName(prefix, ["quarantine", ...parts]);
    const names = quarantineNames(prefix);
    const existing: ExistingTarget | undefined = s.target === "demo" ? undefined : s.target;
    const containerPort = existing ? existing.containerPort : s.demo.containerPort;
    const port = { protocol: "tcp", fromPort: containerPort, toPort: containerPort };

    // --- where the copies (and the demo) run ------------------------------------------------------
    this.clusterName = names.cluster;
    this.cluster = new EcsCluster(this, "Cluster", { name: this.clusterName, setting: [{ name: "containerInsights", value: "disabled" }], tags });
    const servicesLogs = new CloudwatchLogGroup(this, "ServiceLogs", { name: `/${prefix}/quarantine/services`, retentionInDays: s.logRetentionDays, tags });
    const needsExecutionRole = !existing || (s.copies.kind === "ecs" && s.copies.image !== undefined);
    const executionRole = needsExecutionRole
      ? serviceRole(this, "ExecutionRole", {
          name: name("execution"),
          service: "ecs-tasks.amazonaws.com",
          accountId: stack.accountId,
          statements: [{ Sid: "WriteContainerLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${servicesLogs.arn}:*`] }],
          tags,
        })
      : undefined;

    let vpcId: string;
    let copySubnets: string[];
    let albSecurityGroupId: string;
    let albSecurityGroup: SecurityGroup | undefined;
    if (!existing) {
      this.network = new DemoNetwork(this, "Network", { prefix, cidr: s.demo.networkCidr, tags });
      vpcId = this.network.vpc.id;
      copySubnets = this.network.copySubnets.map((n) => n.id);
      albSecurityGroup = this.securityGroup("LoadBalancerSecurityGroup", name("alb"), vpcId, "demo load balancer (open to the internet)", tags);
      albSecurityGroupId = albSecurityGroup.id;
    } else {
      vpcId = existing.vpcId;
      copySubnets = [...existing.subnetIds];
      albSecurityGroupId = existing.albSecurityGroupId;
      if (existing.isolateSubnets && existing.realSubnetCidrs) {
        // A subnet has exactly one ACL: this one replaces whatever the given subnets used, which is why
        // it takes an explicit opt-in (the subnets must be the copies' alone).
        const entries = isolationEntries(existing.realSubnetCidrs);
        this.copyNetworkAcl = new NetworkAcl(this, "CopiesNetworkAcl", {
          vpcId,
          subnetIds: copySubnets,
          ingress: entries,
          egress: entries,
          tags: { ...copyTags, Name: name("copies") },
        });
        Annotations.of(this).addInfo(
          `quarantine: lure's network ACL replaces the current one of subnets ${copySubnets.join(", ")}: it denies ${existing.realSubnetCidrs.join(", ")} both ways and allows the rest; anything else in those subnets is bound by it too`,
        );
      } else {
        Annotations.of(this).addInfo(
          "quarantine: the copies are kept from your service by their security group only (it admits your load balancer alone and sends only HTTPS out)" +
            (existing.realSubnetCidrs ? "; target.realSubnetCidrs is not used without target.isolateSubnets: true" : "") +
            "; for a network ACL as well, give the copies subnets of their own, list the real service's subnet CIDRs in target.realSubnetCidrs and set target.isolateSubnets: true",
        );
      }
    }

    // --- the copies' front door: own target group, own security group -----------------------------
    const vmCopies = s.copies.kind === "asg";
    this.copyTargetGroup = new LbTargetGroup(this, "CopyTargetGroup", {
      name: resourceName(prefix, ["quarantine", "copies"], 32),
      port: containerPort,
      protocol: "HTTP",
      targetType: vmCopies ? "instance" : "ip",
      vpcId,
      deregistrationDelay: "30",
      healthCheck: { path: "/", matcher: "200-399", interval: 15, healthyThreshold: 2, unhealthyThreshold: 3 },
      tags,
    });
    this.copySecurityGroup = this.securityGroup("CopySecurityGroup", name("copies"), vpcId, "honeypot copies (the load balancer only)", copyTags);
    new VpcSecurityGroupIngressRule(this, "CopyIngressFromLoadBalancer", {
      securityGroupId: this.copySecurityGroup.id,
      ipProtocol: port.protocol,
      fromPort: port.fromPort,
      toPort: port.toPort,
      referencedSecurityGroupId: albSecurityGroupId,
      description: "from the load balancer",
    });
    new VpcSecurityGroupEgressRule(this, "CopyEgressHttps", {
      securityGroupId: this.copySecurityGroup.id,
      ipProtocol: "tcp",
      fromPort: HTTPS,
      toPort: HTTPS,
      cidrIpv4: "0.0.0.0/0",
      description: "image pulls (through the NAT gateway)",
    });

    // --- demo: the real service behind an internet-facing ALB -------------------------------------
    let realTaskDefinitionArn: string | undefined;
    let listener: LbListener | undefined;
    if (!existing && this.network && albSecurityGroup && executionRole) {
      const https = s.demo.certificateArn !== undefined;
      const listenerPort = https ? HTTPS : 80;
      for (const p of https ? [HTTPS, 80] : [80]) {
        new VpcSecurityGroupIngressRule(this, `LoadBalancerIngress${p}`, {
          securityGroupId: albSecurityGroup.id,
          ipProtocol: "tcp",
          fromPort: p,
          toPort: p,
          cidrIpv4: "0.0.0.0/0",
          description: "the public web service",
        });
      }
      const realSecurityGroup = this.securityGroup("RealSecurityGroup", name("web"), vpcId, "the real service (the load balancer only)", realTags);
      new VpcSecurityGroupIngressRule(this, "RealIngressFromLoadBalancer", {
        securityGroupId: realSecurityGroup.id,
        ipProtocol: port.protocol,
        fromPort: port.fromPort,
        toPort: port.toPort,
        referencedSecurityGroupId: albSecurityGroup.id,
        description: "from the load balancer",
      });
      new VpcSecurityGroupEgressRule(this, "RealEgressHttps", {
        securityGroupId: realSecurityGroup.id,
        ipProtocol: "tcp",
        fromPort: HTTPS,
        toPort: HTTPS,
        cidrIpv4: "0.0.0.0/0",
        description: "image pulls (through the NAT gateway)",
      });
      for (const [egressId, to, what] of [
        ["LoadBalancerEgressToReal", realSecurityGroup, "the real service"],
        ["LoadBalancerEgressToCopies", this.copySecurityGroup, "the honeypot copies"],
      ] as const) {
        new VpcSecurityGroupEgressRule(this, egressId, {
          securityGroupId: albSecurityGroup.id,
          ipProtocol: port.protocol,
          fromPort: port.fromPort,
          toPort: port.toPort,
          referencedSecurityGroupId: to.id,
          description: `to ${what}`,
        });
      }

      this.loadBalancer = new Lb(this, "LoadBalancer", {
        name: resourceName(prefix, ["quarantine"], 32),
        internal: false,
        loadBalancerType: "application",
        securityGroups: [albSecurityGroup.id],
        subnets: this.network.publicSubnets.map((n) => n.id),
        dropInvalidHeaderFields: true,
        tags,
      });
      const realTargetGroup = new LbTargetGroup(this, "RealTargetGroup", {
        name: resourceName(prefix, ["quarantine", "web"], 32),
        port: containerPort,
        protocol: "HTTP",
        targetType: "ip",
        vpcId,
        deregistrationDelay: "30",
        healthCheck: { path: "/", matcher: "200-399", interval: 15, healthyThreshold: 2, unhealthyThreshold: 3 },
        tags,
      });
      listener = new LbListener(this, "Listener", {
        loadBalancerArn: this.loadBalancer.arn,
        port: listenerPort,
        protocol: https ? "HTTPS" : "HTTP",
        ...(https ? { certificateArn: s.demo.certificateArn, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" } : {}),
        // Everyone goes to the real service. The copies' group rides along at weight 0 so that it is
        // attached to this load balancer: ECS refuses a service whose target group is attached to none,
        // and the steering rules that will use it exist only at run time.
        defaultAction: [
          {
            type: "forward",
            forward: {
              targetGroup: [
                { arn: realTargetGroup.arn, weight: 1 },
                { arn: this.copyTargetGroup.arn, weight: 0 },
              ],
            },
          },
        ],
        tags,
      });
      if (https) {
        new LbListener(this, "RedirectListener", {
          loadBalancerArn: this.loadBalancer.arn,
          port: 80,
          protocol: "HTTP",
          defaultAction: [{ type: "redirect", redirect: { port: String(HTTPS), protocol: "HTTPS", statusCode: "HTTP_301" } }],
          tags,
        });
      } else {
        Annotations.of(this).addInfo("quarantine demo: no demo.certificateArn, so the demo site is served over plain HTTP on port 80");
      }
      const realTask = this.taskDefinition("RealTaskDefinition", name("web"), s.demo.image, DEMO_CONTAINER, containerPort, executionRole, servicesLogs, stack.region, realTags);
      realTaskDefinitionArn = realTask.arn;
      this.realService = new EcsService(this, "RealService", {
        name: name("web"),
        cluster: this.cluster.arn,
        taskDefinition: realTask.arn,
        desiredCount: 1,
        launchType: "FARGATE",
        networkConfiguration: { subnets: this.network.privateSubnets.map((n) => n.id), securityGroups: [realSecurityGroup.id], assignPublicIp: false },
        loadBalancer: [{ targetGroupArn: realTargetGroup.arn, containerName: DEMO_CONTAINER, containerPort }],
        healthCheckGracePeriodSeconds: 60,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        propagateTags: "SERVICE",
        enableEcsManagedTags: true,
        waitForSteadyState: false,
        tags: realTags,
        dependsOn: [listener],
      });
      this.listenerArn = listener.arn;
      this.endpoint = `${https ? "https" : "http"}://${this.loadBalancer.dnsName}`;
    } else {
      this.listenerArn = existing!.listenerArn;
      this.endpoint = `your load balancer (listener ${existing!.listenerArn})`;
    }

    // --- the honeypot copies -----------------------------------------------------------------------
    // A target group no load balancer uses is never health-checked (its targets stay "unused", and the
    // rules wait for a healthy copy), and ECS even refuses to create a service on it. The demo's listener
    // carries the group at weight 0; on the user's listener, one rule that no client can match attaches
    // it. Its priority is just past lure's band, so the functions never take it for one of theirs.
    if (existing) {
      const priority = s.runtime.steering.firstPriority + s.runtime.steering.ruleQuota;
      this.copyAnchorRule = new LbListenerRule(this, "CopyAnchorRule", {
        listenerArn: existing.listenerArn,
        priority,
        condition: [{ sourceIp: { values: [ANCHOR_SOURCE_CIDR] } }],
        action: [{ type: "forward", targetGroupArn: this.copyTargetGroup.arn }],
        tags: { ...tags, [QUARANTINE_PART_TAG]: "anchor" },
      });
      Annotations.of(this).addInfo(
        `quarantine: lure adds one rule to your listener at priority ${priority} (source ${ANCHOR_SOURCE_CIDR}, never a real client) so that the copies' target group is attached to your load balancer; its band is ${s.runtime.steering.firstPriority}-${priority - 1}`,
      );
    }
    this.copiesName = names.copies;
    let copiesStatements: IamStatement[];
    if (s.copies.kind === "ecs") {
      const containerName = existing ? existing.containerName : DEMO_CONTAINER;
      const taskDefinition = s.copies.image
        ? this.taskDefinition("CopyTaskDefinition", name("copies"), s.copies.image, containerName, containerPort, executionRole!, servicesLogs, stack.region, copyTags).arn
        : existing
          ? existing.taskDefinitionArn
          : realTaskDefinitionArn!;
      // Validation refused this unless the config accepted it explicitly; it still deserves a warning.
      const reused = existing !== undefined && !s.copies.image;
      if (reused) {
        Annotations.of(this).addWarning(
          `quarantine: the copies run your task definition ${existing.taskDefinitionArn} (copies.reuseTaskDefinition), with its task role and secrets if it has any; set quarantine.copies.image to run a decoy without your service's AWS permissions`,
        );
      }
      const attachment = listener ?? this.copyAnchorRule;
      this.copyService = new EcsService(this, "CopyService", {
        name: this.copiesName,
        cluster: this.cluster.arn,
        taskDefinition,
        desiredCount: s.copies.normalCount,
        launchType: "FARGATE",
        networkConfiguration: { subnets: copySubnets, securityGroups: [this.copySecurityGroup.id], assignPublicIp: false },
        loadBalancer: [{ targetGroupArn: this.copyTargetGroup.arn, containerName, containerPort }],
        healthCheckGracePeriodSeconds: 60,
        propagateTags: "SERVICE",
        enableEcsManagedTags: true,
        waitForSteadyState: false,
        // The mode function scales the copies; an apply must not undo that.
        lifecycle: { ignoreChanges: ["desired_count"] },
        // Tells the policy rule quarantine-copies-isolated that running a task definition from outside
        // this stack was accepted in the config.
        tags: reused ? { ...copyTags, [QUARANTINE_REUSE_TAG]: "accepted" } : copyTags,
        ...(attachment ? { dependsOn: [attachment] } : {}),
      });
      copiesStatements = [
        {
          Sid: "ScaleCopies",
          Effect: "Allow",
          Action: ["ecs:UpdateService", "ecs:DescribeServices"],
          Resource: [`arn:${stack.partition}:ecs:${stack.region}:${stack.accountId}:service/${this.clusterName}/${this.copiesName}`],
        },
      ];
    } else {
      const c = s.copies;
      // Loaded only for VM copies: the two bindings are a tenth of this file's import cost.
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { LaunchTemplate } = require("@cdktf/provider-aws/lib/launch-template") as typeof import("@cdktf/provider-aws/lib/launch-template");
      const { AutoscalingGroup: Group } = require("@cdktf/provider-aws/lib/autoscaling-group") as typeof import("@cdktf/provider-aws/lib/autoscaling-group");
      /* eslint-enable @typescript-eslint/no-require-imports */
      const template = new LaunchTemplate(this, "CopyLaunchTemplate", {
        name: this.copiesName,
        description: "lure: honeypot copies",
        imageId: c.amiId,
        instanceType: c.instanceType,
        vpcSecurityGroupIds: [this.copySecurityGroup.id],
        // IMDSv2 only, one hop: a container on the copy cannot reach the metadata service. No instance
        // profile, so there are no credentials there anyway.
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        ...(c.warmPool.state === "Hibernated" ? { hibernationOptions: { configured: true } } : {}),
        tagSpecifications: [
          { resourceType: "instance", tags: { ...stack.tags, ...copyTags, Name: this.copiesName } },
          { resourceType: "volume", tags: { ...stack.tags, ...copyTags, Name: this.copiesName } },
        ],
        updateDefaultVersion: true,
        tags: copyTags,
      });
      this.copyGroup = new Group(this, "CopyGroup", {
        name: this.copiesName,
        minSize: 0,
        maxSize: c.defenceCount,
        desiredCapacity: c.normalCount,
        vpcZoneIdentifier: copySubnets,
        launchTemplate: { id: template.id, version: Token.asString(template.latestVersion) },
        targetGroupArns: [this.copyTargetGroup.arn],
        healthCheckType: "ELB",
        healthCheckGracePeriod: 60,
        // Instances launched ahead and parked: scaling out resumes one instead of booting the AMI.
        warmPool: { poolState: c.warmPool.state, minSize: c.warmPool.minSize },
        // The mode function scales the copies; an apply must not undo that.
        lifecycle: { ignoreChanges: ["desired_capacity"] },
        tag: Object.entries({ ...copyTags, Name: this.copiesName }).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      });
      if (c.warmPool.state === "Hibernated") {
        Annotations.of(this).addInfo("quarantine: hibernated warm pool instances need an AMI with an encrypted root volume large enough for the instance's memory");
      }
      Annotations.of(this).addInfo(`quarantine: the copies' AMI ${c.amiId} must serve HTTP on port ${containerPort} (health check: GET /)`);
      copiesStatements = [
        {
          Sid: "ScaleCopies",
          Effect: "Allow",
          Action: ["autoscaling:SetDesiredCapacity"],
          Resource: [`arn:${stack.partition}:autoscaling:${stack.region}:${stack.accountId}:autoScalingGroup:*:autoScalingGroupName/${this.copiesName}`],
        },
        // Describe calls support no resource-level permissions; they only read.
        { Sid: "ReadCopies", Effect: "Allow", Action: ["autoscaling:DescribeAutoScalingGroups"], Resource: ["*"] },
      ];
    }
    if (existing) {
      const { ruleQuota, albRuleLimit, cidrsPerRule } = s.runtime.steering;
      const anchor = this.copyAnchorRule ? 1 : 0;
      Annotations.of(this).addInfo(
        `quarantine: your load balancer accepts ${albRuleLimit} rules (albRuleLimit)${anchor ? ", the anchor takes one" : ""} and each rule of yours takes one, so lure holds at most ` +
          `min(${ruleQuota}, ${albRuleLimit - anchor} − your rules) steering rules of ${cidrsPerRule} sources each; rules on the load balancer's other listeners count against the same quota (lower albRuleLimit by them)`,
      );
    }

    // --- shared state --------------------------------------------------------------------------------
    this.stateStoreName = names.table;
    this.table = new DynamodbTable(this, "StateTable", {
      name: this.stateStoreName,
      billingMode: "PAY_PER_REQUEST",
      // pk/sk: every quarantined source is one item under one partition, read with a single Query.
      hashKey: "pk",
      rangeKey: "sk",
      attribute: [
        { name: "pk", type: "S" },
        { name: "sk", type: "S" },
      ],
      // Source states and quarantines expire by themselves; the functions also ignore expired items.
      ttl: { attributeName: "expiresAt", enabled: true },
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
      tags,
    });

    // --- flow logs: the detector's input -------------------------------------------------------------
    this.flowLogGroup = new CloudwatchLogGroup(this, "FlowLogGroup", { name: `/${prefix}/quarantine/flow-logs`, retentionInDays: s.logRetentionDays, tags });
    const flowLogRole = serviceRole(this, "FlowLogRole", {
      name: name("flow-logs"),
      service: "vpc-flow-logs.amazonaws.com",
      accountId: stack.accountId,
      statements: [
        {
          Sid: "DeliverFlowLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: [`${this.flowLogGroup.arn}:*`],
        },
      ],
      tags,
    });
    // On the whole VPC, not the service's ENIs: behind an ALB the service only ever sees the load
    // balancer's addresses. The ALB's own ENIs record the scanners' addresses and the ports they try.
    this.flowLog = new FlowLog(this, "FlowLog", {
      vpcId,
      trafficType: "ALL",
      maxAggregationInterval: FLOW_LOG_AGGREGATION_SECONDS,
      logDestinationType: "cloud-watch-logs",
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: flowLogRole.arn,
      // The parser's format (functions/core/flow.ts); `${…}` escaped, or Terraform reads it as template.
      logFormat: terraformLiteral(AWS_CUSTOM_FORMAT),
      tags: { ...tags, Name: name("flow-logs") },
      dependsOn: [rolePolicyOf(this, "FlowLogRole")],
    });

    // --- functions -------------------------------------------------------------------------------------
    this.deadLetterQueue = new SqsQueue(this, "DeadLetterQueue", {
      name: name("detector", "dlq"),
      messageRetentionSeconds: 14 * 24 * 3600,
      sqsManagedSseEnabled: true,
      tags,
    });
    // The listener's rules: `…:listener-rule/app/<lb>/<id>/<listener id>/<rule id>`. A literal ARN is
    // rewritten here; a reference (the demo's listener, or props holding one) only Terraform can rewrite,
    // and a string replace would leave the token untouched. That goes through a Terraform local: written
    // into the policy JSON, the function's quoted arguments would break the document for every reader
    // but Terraform itself.
    const listenerRules = Token.isUnresolved(this.listenerArn)
      ? `${new TerraformLocal(this, "ListenerRulePattern", Fn.replace(this.listenerArn, ":listener/", ":listener-rule/")).asString}/*`
      : `${this.listenerArn.replace(":listener/", ":listener-rule/")}/*`;
    const shared: IamStatement[] = [
      {
        Sid: "State",
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:Query"],
        Resource: [this.table.arn],
      },
      // Neither Describe call supports resource-level permissions; both only read.
      { Sid: "ReadRules", Effect: "Allow", Action: ["elasticloadbalancing:DescribeRules"], Resource: ["*"] },
      // Rules are added only once a copy is healthy behind its target group.
      { Sid: "ReadCopyHealth", Effect: "Allow", Action: ["elasticloadbalancing:DescribeTargetHealth"], Resource: ["*"] },
      { Sid: "CreateRules", Effect: "Allow", Action: ["elasticloadbalancing:CreateRule", "elasticloadbalancing:AddTags"], Resource: [this.listenerArn, listenerRules] },
      { Sid: "ChangeRules", Effect: "Allow", Action: ["elasticloadbalancing:ModifyRule", "elasticloadbalancing:DeleteRule"], Resource: [listenerRules] },
      ...copiesStatements,
    ];
    // Sized against Lambda's 4 KB limit by quarantinePropsProblems, from the same builder.
    const environment = quarantineEnvironment(s, { listenerArn: this.listenerArn, copyTargetGroupArn: this.copyTargetGroup.arn });
    this.detector = nodeFunction(this, "Detector", "quarantine-detector", {
      prefix,
      description: `lure quarantine: ${FUNCTION_ENTRIES["quarantine-detector"]}`,
      timeout: DETECTOR_TIMEOUT_SECONDS,
      memorySize: DETECTOR_MEMORY_MB,
      retention: s.logRetentionDays,
      tags,
      environment,
      // The on-failure destination sends with the function's role.
      statements: [...shared, { Sid: "DeadLetters", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [this.deadLetterQueue.arn] }],
    });
    // A batch that still fails after Lambda's retries is kept in the queue, never silently dropped.
    new LambdaFunctionEventInvokeConfig(this, "DetectorFailures", {
      dependsOn: [rolePolicyOf(this, "DetectorRole")],
      functionName: this.detector.functionName,
      maximumRetryAttempts: DETECTOR_RETRY_ATTEMPTS,
      maximumEventAgeInSeconds: 3600,
      destinationConfig: { onFailure: { destination: this.deadLetterQueue.arn } },
    });
    const permission = new LambdaPermission(this, "FlowLogInvoke", {
      action: "lambda:InvokeFunction",
      functionName: this.detector.functionName,
      principal: "logs.amazonaws.com",
      sourceArn: `${this.flowLogGroup.arn}:*`,
      sourceAccount: stack.accountId,
    });
    new CloudwatchLogSubscriptionFilter(this, "FlowLogSubscription", {
      name: name("detector"),
      logGroupName: this.flowLogGroup.name,
      // Everything: NODATA and SKIPDATA lines carry no flow but the parser counts them (SKIPDATA is
      // data loss worth reporting); a pattern would also have to follow the custom format's fields.
      filterPattern: "",
      destinationArn: this.detector.arn,
      dependsOn: [permission],
    });

    this.mode = nodeFunction(this, "Mode", "quarantine-mode", {
      prefix,
      description: `lure quarantine: ${FUNCTION_ENTRIES["quarantine-mode"]}`,
      timeout: MODE_TIMEOUT_SECONDS,
      retention: s.logRetentionDays,
      tags,
      environment,
      statements: shared,
    });
    // A failed run is replaced by the next one a minute later: retrying it would only overlap.
    new LambdaFunctionEventInvokeConfig(this, "ModeRetries", { functionName: this.mode.functionName, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 });
    this.schedule = functionSchedule(this, "ModeSchedule", this.mode, {
      name: name("mode"),
      roleName: name("scheduler"),
      description: `Switch the ${prefix} quarantine between Normal and Defence Mode`,
      expression: MODE_SCHEDULE,
      sid: "RunMode",
      retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
      tags,
    });
  }

  /** A security group with no inline rules (rules are separate resources, so they never fight). */
  private securityGroup(id: string, groupName: string, vpcId: string, what: string, tags: Record<string, string>): SecurityGroup {
    return new SecurityGroup(this, id, { name: groupName, description: `lure: ${what}`, vpcId, tags: { ...tags, Name: groupName } });
  }

  /** A Fargate task definition of one web container, without a task role (no AWS permissions). */
  private taskDefinition(
    id: string,
    family: string,
    image: string,
    containerName: string,
    containerPort: number,
    executionRole: IamRole,
    logs: CloudwatchLogGroup,
    region: string,
    tags: Record<string, string>,
  ): EcsTaskDefinition {
    return new EcsTaskDefinition(this, id, {
      family,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      executionRoleArn: executionRole.arn,
      containerDefinitions: JSON.stringify([
        {
          name: containerName,
          image,
          essential: true,
          portMappings: [{ containerPort, hostPort: containerPort, protocol: "tcp" }],
          logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": logs.name, "awslogs-region": region, "awslogs-stream-prefix": family } },
        },
      ]),
      tags,
    });
  }
}
