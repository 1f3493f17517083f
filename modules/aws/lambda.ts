/**
 * lure's Lambda functions, one shape for every job: a log group with retention, an execution role with
 * one inline policy (the caller's statements plus writing its own logs), the in-process zipped bundle
 * as an asset, and the function on Node.js 22 / arm64, created after its log group and policy.
 *
 * Construct ids (`<id>Logs`, `<id>Role`, `<id>RolePolicy`, `<id>Code`, `<id>`) are created in the
 * caller's scope, so moving a function here changes no address of an existing stack.
 */
import { AssetType, TerraformAsset, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import type { AwsStack } from "../../providers/aws";
import type { IamStatement } from "../core/interfaces";
import { resourceName } from "../core/naming";
import { LAMBDA_RUNTIME, functionBundle, type FunctionName } from "../core/bundle";
import { serviceRole } from "./iam";

export interface NodeFunctionProps {
  readonly prefix: string;
  /** Description shown in the console. */
  readonly description: string;
  /** Seconds. */
  readonly timeout: number;
  /** MB. @default 256 */
  readonly memorySize?: number;
  /** Days the function's log group keeps its logs. */
  readonly retention: number;
  readonly tags: Record<string, string>;
  readonly environment: Record<string, string>;
  /** What the function may do besides writing its own logs. */
  readonly statements: readonly IamStatement[];
}

/** The inline policy `serviceRole` attached to the role with this id in `scope`. */
export function rolePolicyOf(scope: Construct, roleId: string): IamRolePolicy {
  const policy = scope.node.findChild(`${roleId}Policy`);
  if (!(policy instanceof IamRolePolicy)) throw new Error(`${scope.node.path}: ${roleId} has no inline policy`);
  return policy;
}

export interface FunctionScheduleProps {
  /** Name of the schedule; its role is named `roleName`. */
  readonly name: string;
  readonly roleName: string;
  readonly description: string;
  /** EventBridge Scheduler expression, e.g. `rate(1 minute)`. */
  readonly expression: string;
  /** Sid of the role's one statement. */
  readonly sid: string;
  readonly retryPolicy: { readonly maximumRetryAttempts: number; readonly maximumEventAgeInSeconds: number };
  readonly tags: Record<string, string>;
}

/**
 * An EventBridge Scheduler schedule (flexible window off) that invokes `fn` through a role of its own
 * (construct id `SchedulerRole` in `scope`) allowed only `lambda:InvokeFunction` on that function.
 */
export function functionSchedule(scope: Construct, id: string, fn: LambdaFunction, o: FunctionScheduleProps): SchedulerSchedule {
  const role = serviceRole(scope, "SchedulerRole", {
    name: o.roleName,
    service: "scheduler.amazonaws.com",
    accountId: (TerraformStack.of(scope) as AwsStack).accountId,
    statements: [{ Sid: o.sid, Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [fn.arn, `${fn.arn}:*`] }],
    tags: o.tags,
  });
  return new SchedulerSchedule(scope, id, {
    name: o.name,
    description: o.description,
    scheduleExpression: o.expression,
    flexibleTimeWindow: { mode: "OFF" },
    dependsOn: [rolePolicyOf(scope, "SchedulerRole")],
    target: { arn: fn.arn, roleArn: role.arn, retryPolicy: o.retryPolicy },
  });
}

/** The function `fn` (named `<prefix>-<fn>`) with its log group, role and code, all with ids derived from `id`. */
export function nodeFunction(scope: Construct, id: string, fn: FunctionName, o: NodeFunctionProps): LambdaFunction {
  const functionName = resourceName(o.prefix, [fn], 64);
  const logGroup = new CloudwatchLogGroup(scope, `${id}Logs`, { name: `/aws/lambda/${functionName}`, retentionInDays: o.retention, tags: o.tags });
  const role = serviceRole(scope, `${id}Role`, {
    name: functionName,
    service: "lambda.amazonaws.com",
    accountId: (TerraformStack.of(scope) as AwsStack).accountId,
    statements: [...o.statements, { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${logGroup.arn}:*`] }],
    tags: o.tags,
  });
  const bundle = functionBundle(fn);
  const code = new TerraformAsset(scope, `${id}Code`, { path: bundle.zipPath, type: AssetType.FILE, assetHash: bundle.sha256.replace(/[^A-Za-z0-9]/g, "").slice(0, 32) });
  return new LambdaFunction(scope, id, {
    functionName,
    description: o.description,
    role: role.arn,
    runtime: LAMBDA_RUNTIME,
    architectures: ["arm64"],
    handler: "index.handler",
    filename: code.path,
    sourceCodeHash: bundle.sha256,
    memorySize: o.memorySize ?? 256,
    timeout: o.timeout,
    environment: { variables: o.environment },
    loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
    tags: o.tags,
    // Lambda checks the role's permissions when the function is created: the policy must exist first.
    dependsOn: [logGroup, rolePolicyOf(scope, `${id}Role`)],
  });
}
