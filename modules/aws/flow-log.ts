/**
 * A VPC flow log in lure's custom format (functions/core/flow.ts: `tcp-flags`, `pkt-srcaddr`,
 * `flow-direction` added to v2) into a CloudWatch Logs group with retention, delivered by a role that
 * may write only to that group. Created in the caller's scope, with the ids `FlowLogGroup`,
 * `FlowLogRole` (+ `FlowLogRolePolicy`) and `FlowLog`.
 */
import type { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { AWS_CUSTOM_FORMAT } from "../../functions/core/flow";
import { serviceRole } from "./iam";
import { rolePolicyOf } from "./lambda";
import { terraformLiteral } from "./workload";

export interface VpcFlowLogProps {
  readonly vpcId: string;
  readonly logGroupName: string;
  /** Name of the delivery role and of the flow log's `Name` tag. */
  readonly name: string;
  readonly retentionDays: number;
  /** 60 or 600 seconds. */
  readonly aggregationSeconds: 60 | 600;
  readonly accountId: string;
  readonly tags: Record<string, string>;
}

export interface VpcFlowLog {
  readonly logGroup: CloudwatchLogGroup;
  readonly flowLog: FlowLog;
}

export function vpcFlowLog(scope: Construct, p: VpcFlowLogProps): VpcFlowLog {
  const logGroup = new CloudwatchLogGroup(scope, "FlowLogGroup", { name: p.logGroupName, retentionInDays: p.retentionDays, tags: p.tags });
  const role = serviceRole(scope, "FlowLogRole", {
    name: p.name,
    service: "vpc-flow-logs.amazonaws.com",
    accountId: p.accountId,
    statements: [
      {
        Sid: "DeliverFlowLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [`${logGroup.arn}:*`],
      },
    ],
    tags: p.tags,
  });
  const flowLog = new FlowLog(scope, "FlowLog", {
    vpcId: p.vpcId,
    trafficType: "ALL",
    maxAggregationInterval: p.aggregationSeconds,
    logDestinationType: "cloud-watch-logs",
    logDestination: logGroup.arn,
    iamRoleArn: role.arn,
    // The parser's format; `${…}` escaped, or Terraform reads it as template.
    logFormat: terraformLiteral(AWS_CUSTOM_FORMAT),
    tags: { ...p.tags, Name: p.name },
    dependsOn: [rolePolicyOf(scope, "FlowLogRole")],
  });
  return { logGroup, flowLog };
}
