/**
 * The signals part of `AwsQuarantine`: VPC flow logs of the whole VPC (the ALB's own interfaces record
 * the scanners' addresses and the ports they try) in the parser's custom format, at the shortest
 * aggregation AWS offers, into a CloudWatch Logs group the detector subscribes to.
 */
import type { Construct } from "constructs";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import type { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { vpcFlowLog } from "./flow-log";
import type { QuarantineContext } from "./quarantine-context";

/** The flow-log aggregation interval: the shortest AWS offers (Nitro ENIs never aggregate longer). */
export const FLOW_LOG_AGGREGATION_SECONDS = 60;

export interface FlowLogSignals {
  readonly logGroup: CloudwatchLogGroup;
  readonly flowLog: FlowLog;
}

export function flowLogSignals(scope: Construct, c: QuarantineContext, vpcId: string): FlowLogSignals {
  // On the whole VPC, not the service's ENIs: behind an ALB the service only ever sees the load
  // balancer's addresses. The ALB's own ENIs record the scanners' addresses and the ports they try.
  return vpcFlowLog(scope, {
    vpcId,
    logGroupName: `/${c.settings.prefix}/quarantine/flow-logs`,
    name: c.name("flow-logs"),
    retentionDays: c.settings.logRetentionDays,
    aggregationSeconds: FLOW_LOG_AGGREGATION_SECONDS,
    accountId: c.stack.accountId,
    tags: c.tags,
  });
}
