/**
 * The control part of `AwsQuarantine`: the DynamoDB table of the mode, the quarantined sources and the
 * detector's state; the detector (subscribed to the flow logs, failed batches kept in a dead-letter
 * queue) and the mode function (every minute); and the scoped permissions both share.
 */
import { Fn, TerraformLocal, Token } from "cdktf";
import type { Construct } from "constructs";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogSubscriptionFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-subscription-filter";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import type { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import type { IamStatement } from "../core/interfaces";
import { quarantineEnvironment } from "../core/quarantine-runtime";
import { FUNCTION_ENTRIES } from "../core/bundle";
import { functionSchedule, nodeFunction, rolePolicyOf } from "./lambda";
import type { QuarantineContext } from "./quarantine-context";

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

/** The table of the mode, the quarantined sources and the detector's state. */
export function stateTable(scope: Construct, c: QuarantineContext): DynamodbTable {
  return new DynamodbTable(scope, "StateTable", {
    name: c.names.table,
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
    tags: c.tags,
  });
}

export interface ControlProps {
  readonly table: DynamodbTable;
  readonly flowLogGroup: CloudwatchLogGroup;
  /** The listener whose rules steer (a reference for the demo, the config's ARN otherwise). */
  readonly listenerArn: string;
  readonly copyTargetGroupArn: string;
  /** What the functions may do to scale the copies. */
  readonly copiesStatements: readonly IamStatement[];
}

export interface ControlFunctions {
  readonly deadLetterQueue: SqsQueue;
  readonly detector: LambdaFunction;
  readonly mode: LambdaFunction;
  readonly schedule: SchedulerSchedule;
}

/** The ARN pattern of the listener's rules: `…:listener-rule/app/<lb>/<id>/<listener id>/<rule id>`. */
function listenerRulesPattern(scope: Construct, listenerArn: string): string {
  // A literal ARN is rewritten here; a reference (the demo's listener, or props holding one) only Terraform
  // can rewrite, and a string replace would leave the token untouched. That goes through a Terraform local:
  // written into the policy JSON, the function's quoted arguments would break the document for every reader
  // but Terraform itself.
  return Token.isUnresolved(listenerArn)
    ? `${new TerraformLocal(scope, "ListenerRulePattern", Fn.replace(listenerArn, ":listener/", ":listener-rule/")).asString}/*`
    : `${listenerArn.replace(":listener/", ":listener-rule/")}/*`;
}

export function controlFunctions(scope: Construct, c: QuarantineContext, p: ControlProps): ControlFunctions {
  const { settings: s, stack, tags } = c;
  const prefix = s.prefix;
  const deadLetterQueue = new SqsQueue(scope, "DeadLetterQueue", {
    name: c.name("detector", "dlq"),
    messageRetentionSeconds: 14 * 24 * 3600,
    sqsManagedSseEnabled: true,
    tags,
  });
  const listenerRules = listenerRulesPattern(scope, p.listenerArn);
  const shared: IamStatement[] = [
    {
      Sid: "State",
      Effect: "Allow",
      Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:Query"],
      Resource: [p.table.arn],
    },
    // Neither Describe call supports resource-level permissions; both only read.
    { Sid: "ReadRules", Effect: "Allow", Action: ["elasticloadbalancing:DescribeRules"], Resource: ["*"] },
    // Rules are added only once a copy is healthy behind its target group.
    { Sid: "ReadCopyHealth", Effect: "Allow", Action: ["elasticloadbalancing:DescribeTargetHealth"], Resource: ["*"] },
    { Sid: "CreateRules", Effect: "Allow", Action: ["elasticloadbalancing:CreateRule", "elasticloadbalancing:AddTags"], Resource: [p.listenerArn, listenerRules] },
    { Sid: "ChangeRules", Effect: "Allow", Action: ["elasticloadbalancing:ModifyRule", "elasticloadbalancing:DeleteRule"], Resource: [listenerRules] },
    ...p.copiesStatements,
  ];
  // Sized against Lambda's 4 KB limit by quarantinePropsProblems, from the same builder.
  const environment = quarantineEnvironment(s, { listenerArn: p.listenerArn, copyTargetGroupArn: p.copyTargetGroupArn });
  const detector = nodeFunction(scope, "Detector", "quarantine-detector", {
    prefix,
    description: `lure quarantine: ${FUNCTION_ENTRIES["quarantine-detector"]}`,
    timeout: DETECTOR_TIMEOUT_SECONDS,
    memorySize: DETECTOR_MEMORY_MB,
    retention: s.logRetentionDays,
    tags,
    environment,
    // The on-failure destination sends with the function's role.
    statements: [...shared, { Sid: "DeadLetters", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [deadLetterQueue.arn] }],
  });
  // A batch that still fails after Lambda's retries is kept in the queue, never silently dropped.
  new LambdaFunctionEventInvokeConfig(scope, "DetectorFailures", {
    dependsOn: [rolePolicyOf(scope, "DetectorRole")],
    functionName: detector.functionName,
    maximumRetryAttempts: DETECTOR_RETRY_ATTEMPTS,
    maximumEventAgeInSeconds: 3600,
    destinationConfig: { onFailure: { destination: deadLetterQueue.arn } },
  });
  const permission = new LambdaPermission(scope, "FlowLogInvoke", {
    action: "lambda:InvokeFunction",
    functionName: detector.functionName,
    principal: "logs.amazonaws.com",
    sourceArn: `${p.flowLogGroup.arn}:*`,
    sourceAccount: stack.accountId,
  });
  new CloudwatchLogSubscriptionFilter(scope, "FlowLogSubscription", {
    name: c.name("detector"),
    logGroupName: p.flowLogGroup.name,
    // Everything: NODATA and SKIPDATA lines carry no flow but the parser counts them (SKIPDATA is
    // data loss worth reporting); a pattern would also have to follow the custom format's fields.
    filterPattern: "",
    destinationArn: detector.arn,
    dependsOn: [permission],
  });

  const mode = nodeFunction(scope, "Mode", "quarantine-mode", {
    prefix,
    description: `lure quarantine: ${FUNCTION_ENTRIES["quarantine-mode"]}`,
    timeout: MODE_TIMEOUT_SECONDS,
    retention: s.logRetentionDays,
    tags,
    environment,
    statements: shared,
  });
  // A failed run is replaced by the next one a minute later: retrying it would only overlap.
  new LambdaFunctionEventInvokeConfig(scope, "ModeRetries", { functionName: mode.functionName, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 });
  const schedule = functionSchedule(scope, "ModeSchedule", mode, {
    name: c.name("mode"),
    roleName: c.name("scheduler"),
    description: `Switch the ${prefix} quarantine between Normal and Defence Mode`,
    expression: MODE_SCHEDULE,
    sid: "RunMode",
    retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
    tags,
  });
  return { deadLetterQueue, detector, mode, schedule };
}
