/**
 * The signals part of `AwsQuarantine`: VPC flow logs of the whole VPC (the ALB's own interfaces record
 * the scanners' addresses and the ports they try) in the parser's custom format, at the shortest
 * aggregation AWS offers, into a CloudWatch Logs group the detector subscribes to.
 */
import type { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { AWS_CUSTOM_FORMAT } from "../../functions/core/flow";
import { serviceRole } from "./iam";
import { rolePolicyOf } from "./lambda";
import type { QuarantineContext } from "./quarantine-context";
import { terraformLiteral } from "./workload";

/** The flow-log aggregation interval: the shortest AWS offers (Nitro ENIs never aggregate longer). */
export const FLOW_LOG_AGGREGATION_SECONDS = 60;

export interface FlowLogSignals {
  readonly logGroup: CloudwatchLogGroup;
  readonly flowLog: FlowLog;
}

export function flowLogSignals(scope: Construct, c: QuarantineContext, vpcId: string): FlowLogSignals {
  const prefix = c.settings.prefix;
  const logGroup = new CloudwatchLogGroup(scope, "FlowLogGroup", { name: `/${prefix}/quarantine/flow-logs`, retentionInDays: c.settings.logRetentionDays, tags: c.tags });
  const role = serviceRole(scope, "FlowLogRole", {
    name: c.name("flow-logs"),
    service: "vpc-flow-logs.amazonaws.com",
    accountId: c.stack.accountId,
    statements: [
      {
        Sid: "DeliverFlowLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [`${logGroup.arn}:*`],
      },
    ],
    tags: c.tags,
  });
  // On the whole VPC, not the service's ENIs: behind an ALB the service only ever sees the load
  // balancer's addresses. The ALB's own ENIs record the scanners' addresses and the ports they try.
  const flowLog = new FlowLog(scope, "FlowLog", {
    vpcId,
    trafficType: "ALL",
    maxAggregationInterval: FLOW_LOG_AGGREGATION_SECONDS,
    logDestinationType: "cloud-watch-logs",
    logDestination: logGroup.arn,
    iamRoleArn: role.arn,
    // The parser's format (functions/core/flow.ts); `${…}` escaped, or Terraform reads it as template.
    logFormat: terraformLiteral(AWS_CUSTOM_FORMAT),
    tags: { ...c.tags, Name: c.name("flow-logs") },
    dependsOn: [rolePolicyOf(scope, "FlowLogRole")],
  });
  return { logGroup, flowLog };
}
