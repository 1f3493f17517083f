/**
 * `AwsQuarantine` — a real web service behind an ALB, honeypot copies of it scaled to zero, and the
 * loop that sends scanners to the copies (DESIGN.md "Quarantine per cloud"; reference/clouds.md §1.3).
 * It reads as four parts, each in its own file: the target (quarantine-target.ts: the demo's network and
 * real service, or the user's), the copies (quarantine-copies.ts), the signals (quarantine-signals.ts:
 * flow logs) and the control functions (quarantine-control.ts: table, detector, mode schedule):
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
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import type { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import type { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import type { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import type { Lb } from "@cdktf/provider-aws/lib/lb";
import type { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import type { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import type { NetworkAcl } from "@cdktf/provider-aws/lib/network-acl";
import type { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { AwsStack } from "../../providers/aws";
import { QUARANTINE_PART_TAG } from "../core/policy/rules/quarantine-copies-isolated";
import type { IQuarantine, QuarantineProps } from "../core/interfaces";
import { componentTags, resourceName } from "../core/naming";
import { assertQuarantineProps, quarantineNames, resolvedWebPorts, resolveQuarantine, type ResolvedQuarantine } from "../core/quarantine-runtime";
import { copiesPort } from "../core/web-images";
import { serviceRole } from "./iam";
import type { QuarantineContext } from "./quarantine-context";
import { controlFunctions, stateTable } from "./quarantine-control";
import { copyAnchorRule, copyFrontDoor, honeypotCopies } from "./quarantine-copies";
import { flowLogSignals } from "./quarantine-signals";
import { demoService, targetNetwork, type DemoNetwork } from "./quarantine-target";

// The parts' constants and helpers, where callers have always found them.
export { DETECTOR_MEMORY_MB, DETECTOR_RETRY_ATTEMPTS, DETECTOR_TIMEOUT_SECONDS, MODE_SCHEDULE, MODE_TIMEOUT_SECONDS } from "./quarantine-control";
export { ANCHOR_SOURCE_CIDR } from "./quarantine-copies";
export { FLOW_LOG_AGGREGATION_SECONDS } from "./quarantine-signals";
export { DemoNetwork, demoSubnetCidrs, type DemoNetworkProps, type DemoSubnetCidrs } from "./quarantine-target";

/** DynamoDB key (`pk`, `sk`) of the mode item (functions/aws/quarantine/dynamo-store.ts MODE_KEY). */
export const MODE_ITEM_KEY = { pk: "mode", sk: "mode" } as const;
/** Partition key of the quarantined sources (one item per source, `sk` = its address). */
export const QUARANTINE_PARTITION = "quarantine";

export type AwsQuarantineProps = QuarantineProps;

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
    const stack = TerraformStack.of(this);
    assertQuarantineProps(this.node.path, props, stack instanceof AwsStack ? stack.region : undefined);
    if (!(stack instanceof AwsStack)) throw new Error(`${this.node.path}: AwsQuarantine must be created inside an AwsStack`);
    const s = resolveQuarantine(props, stack.prefix);
    this.settings = s;
    const prefix = s.prefix;
    const tags = { ...(props.tags ?? {}), ...componentTags("quarantine") };
    const existing = s.target === "demo" ? undefined : s.target;
    const c: QuarantineContext = {
      stack,
      settings: s,
      ...(existing ? { existing } : {}),
      containerPort: existing ? existing.containerPort : s.demo.containerPort,
      copiesPort: copiesPort(resolvedWebPorts(s)),
      names: quarantineNames(prefix),
      name: (...parts) => resourceName(prefix, ["quarantine", ...parts]),
      tags,
      // The policy rule quarantine-copies-isolated tells the copies and the real service apart by this tag.
      copyTags: { ...tags, [QUARANTINE_PART_TAG]: "copies" },
      realTags: { ...tags, [QUARANTINE_PART_TAG]: "real" },
    };

    // --- where the copies (and the demo) run ------------------------------------------------------
    this.clusterName = c.names.cluster;
    this.cluster = new EcsCluster(this, "Cluster", { name: this.clusterName, setting: [{ name: "containerInsights", value: "disabled" }], tags });
    const logs = new CloudwatchLogGroup(this, "ServiceLogs", { name: `/${prefix}/quarantine/services`, retentionInDays: s.logRetentionDays, tags });
    const needsExecutionRole = !existing || (s.copies.kind === "ecs" && s.copies.image !== undefined);
    const executionRole = needsExecutionRole
      ? serviceRole(this, "ExecutionRole", {
          name: c.name("execution"),
          service: "ecs-tasks.amazonaws.com",
          accountId: stack.accountId,
          statements: [{ Sid: "WriteContainerLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${logs.arn}:*`] }],
          tags,
        })
      : undefined;
    const net = targetNetwork(this, c);
    if (net.network) this.network = net.network;
    if (net.copyNetworkAcl) this.copyNetworkAcl = net.copyNetworkAcl;

    // --- the copies' front door, the demo's real service, the copies --------------------------------
    const door = copyFrontDoor(this, c, net.vpcId, net.albSecurityGroupId);
    this.copyTargetGroup = door.targetGroup;
    this.copySecurityGroup = door.securityGroup;
    const demo =
      net.network && net.albSecurityGroup && executionRole
        ? demoService(this, c, { network: net.network, albSecurityGroup: net.albSecurityGroup, copySecurityGroup: door.securityGroup, copyTargetGroup: door.targetGroup, cluster: this.cluster, executionRole, logs })
        : undefined;
    if (demo) {
      this.loadBalancer = demo.loadBalancer;
      this.realService = demo.realService;
      this.listenerArn = demo.listener.arn;
      this.endpoint = demo.endpoint;
    } else {
      this.listenerArn = existing!.listenerArn;
      this.endpoint = `your load balancer (listener ${existing!.listenerArn})`;
    }
    if (existing) this.copyAnchorRule = copyAnchorRule(this, c, existing.listenerArn, door.targetGroup.arn);
    this.copiesName = c.names.copies;
    const copies = honeypotCopies(this, c, {
      frontDoor: door,
      subnetIds: net.copySubnetIds,
      cluster: this.cluster,
      ...(executionRole ? { executionRole } : {}),
      logs,
      ...(demo ? { realTaskDefinitionArn: demo.realTaskDefinitionArn } : {}),
      ...(demo || this.copyAnchorRule ? { attachment: demo?.listener ?? this.copyAnchorRule! } : {}),
      ...(net.network ? { egress: net.network.egress.copies } : {}),
    });
    if (copies.service) this.copyService = copies.service;
    if (copies.group) this.copyGroup = copies.group;

    // --- state, signals, control ----------------------------------------------------------------------
    this.stateStoreName = c.names.table;
    this.table = stateTable(this, c);
    const signals = flowLogSignals(this, c, net.vpcId);
    this.flowLogGroup = signals.logGroup;
    this.flowLog = signals.flowLog;
    const control = controlFunctions(this, c, {
      table: this.table,
      flowLogGroup: signals.logGroup,
      listenerArn: this.listenerArn,
      copyTargetGroupArn: door.targetGroup.arn,
      copiesStatements: copies.statements,
    });
    this.deadLetterQueue = control.deadLetterQueue;
    this.detector = control.detector;
    this.mode = control.mode;
    this.schedule = control.schedule;
  }
}
