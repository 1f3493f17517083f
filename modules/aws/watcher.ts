/**
 * The AWS Watcher: every cycle a scheduled function lists the honeynet's current public IPs and queues
 * them; a second function looks each up on Shodan, keeps the answer in S3, e-mails on a change and,
 * when enabled, moves an exposed honeypot to a fresh IP.
 *
 *   Scheduler → list-ips (Lambda) → SQS (+ DLQ) → lookup (Lambda, ≤ 2 at once) → S3 / SNS / ECS
 */
import { Annotations, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import type { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import type { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import type { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { AwsStack } from "../../providers/aws";
import type { IamStatement, IWatcher, WatcherProps } from "../core/interfaces";
import { componentTags, resourceName } from "../core/naming";
import { assertWatcherProps, watcherRuntime } from "../core/validate";
import { worstLookupMs } from "../../functions/shodan/budget";
import { censysWorstLookupMs } from "../../functions/censys/budget";
import { FUNCTION_ENTRIES, type FunctionName } from "../core/bundle";
import { functionSchedule, nodeFunction, rolePolicyOf } from "./lambda";
import { watcherQueues, watcherStores } from "./watcher-stores";

/** Messages per lookup invocation. */
export const LOOKUP_BATCH_SIZE = 5;
/** Lookup instances at once; 2 is the lowest maximum SQS event sources accept. */
export const LOOKUP_MAX_CONCURRENCY = 2;
/** Shodan allows one request per second per account. */
export const SHODAN_REQUESTS_PER_SECOND = 1;
/** Each instance spaces its Shodan requests so that all of them together keep to the account's rate. */
export const LOOKUP_MIN_INTERVAL_MS = (1000 * LOOKUP_MAX_CONCURRENCY) / SHODAN_REQUESTS_PER_SECOND;
/**
 * Time a lookup invocation keeps back before starting one more record: the slowest possible lookup
 * (host and honeyscore calls at their budgets, with spacing) plus one AWS call at its bound (3
 * attempts of 5 s, functions/aws/sdk-config.ts); the other S3, SNS and ECS calls take milliseconds.
 * A record that would not fit is handed back to the queue instead of being cut off by the timeout.
 */
export const LOOKUP_RESERVE_MS = worstLookupMs(LOOKUP_MIN_INTERVAL_MS) + 16_000;
/** Seconds a lookup invocation may run: the reserve plus room for a batch at the normal pace. */
export const LOOKUP_TIMEOUT_SECONDS = 120;
export const LIST_IPS_TIMEOUT_SECONDS = 60;
/** Receives before a message goes to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

export type AwsWatcherProps = WatcherProps;

/** Key prefixes the lookup function reads and writes: history, latest state, rotation and key-problem markers. */
export const RESULT_PREFIXES = ["results/", "latest/", "rotations/", "state/"] as const;

export class AwsWatcher extends Construct implements IWatcher {
  readonly resultsLocation: string;
  readonly apiKeySecretName: string;
  readonly bucket: S3Bucket;
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly topic: SnsTopic;
  readonly secret: SecretsmanagerSecret;
  /** The Censys token's secret (created empty), when `indexes` has "censys". */
  readonly censysSecret?: SecretsmanagerSecret;
  readonly censysSecretName?: string;
  readonly listIps: LambdaFunction;
  readonly lookup: LambdaFunction;
  readonly schedule: SchedulerSchedule;

  constructor(scope: Construct, id: string, props: AwsWatcherProps) {
    super(scope, id);
    assertWatcherProps(this.node.path, props);
    const stack = TerraformStack.of(this);
    if (!(stack instanceof AwsStack)) throw new Error(`${this.node.path}: AwsWatcher must be created inside an AwsStack`);
    const source = props.honeynet.publicIpSource;
    if (source.cloud !== "aws") throw new Error(`${this.node.path}: the honeynet runs on ${source.cloud}; AwsWatcher watches AWS honeynets`);
    const prefix = props.prefix ?? stack.prefix;
    const tags = { ...(props.tags ?? {}), ...componentTags("watcher") };
    const name = (...parts: string[]) => resourceName(prefix, ["watcher", ...parts]);
    const retention = props.logRetentionDays ?? 30;
    const rotate = props.rotateOnExposure ?? false;

    // --- where results, alerts and the key live ----------------------------------------------------
    const runtime = watcherRuntime(props);
    const stores = watcherStores(this, {
      prefix,
      tags,
      ...(props.resultsRetentionDays !== undefined ? { resultsRetentionDays: props.resultsRetentionDays } : {}),
      ...(props.alertEmail ? { alertEmail: props.alertEmail } : {}),
      censys: runtime.censys,
    });
    this.censysSecret = stores.censys?.secret;
    this.censysSecretName = stores.censys?.name;
    const extraTargets: Record<string, string> = runtime.extraTargets.length > 0 ? { LURE_EXTRA_TARGETS: JSON.stringify(runtime.extraTargets) } : {};
    const censysEnv: Record<string, string> = stores.censys
      ? {
          LURE_CENSYS_SECRET: stores.censys.secret.arn,
          LURE_CENSYS_SECRET_NAME: stores.censys.name,
          LURE_CENSYS_EVERY_HOURS: String(runtime.censysEveryHours),
          ...(runtime.censysOrganizationId ? { LURE_CENSYS_ORG: runtime.censysOrganizationId } : {}),
        }
      : {};
    this.bucket = stores.bucket;
    this.topic = stores.topic;
    this.secret = stores.secret;
    this.apiKeySecretName = stores.apiKeySecretName;
    this.resultsLocation = `s3://${this.bucket.bucket}`;
    const queues = watcherQueues(this, prefix, tags, { lookupTimeoutSeconds: LOOKUP_TIMEOUT_SECONDS, maxReceiveCount: MAX_RECEIVE_COUNT });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;

    // --- functions -----------------------------------------------------------------------------------
    const services = JSON.stringify(source.services);
    const discovery = props.honeynet.discoveryAccess();
    if (discovery.cloud !== "aws") throw new Error(`${this.node.path}: discovery access is not for AWS`);
    this.listIps = this.function("ListIps", "watcher-list-ips", {
      prefix,
      timeout: LIST_IPS_TIMEOUT_SECONDS,
      retention,
      tags,
      environment: {
        LURE_PREFIX: prefix,
        LURE_CLUSTER: source.clusterName,
        LURE_SERVICES: services,
        LURE_QUEUE_URL: this.queue.url,
        LURE_TOPIC_ARN: this.topic.arn,
        // Each cycle reports lookups that ended in the dead-letter queue.
        LURE_DLQ_URL: this.deadLetterQueue.url,
        LURE_DLQ_ARN: this.deadLetterQueue.arn,
        ...extraTargets,
      },
      statements: [
        ...discovery.statements,
        { Sid: "QueueIps", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [this.queue.arn] },
        { Sid: "CountDeadLetters", Effect: "Allow", Action: ["sqs:GetQueueAttributes"], Resource: [this.deadLetterQueue.arn] },
        // Failed services and dead letters are reported directly; the on-failure destination uses this role too.
        { Sid: "Report", Effect: "Allow", Action: ["sns:Publish"], Resource: [this.topic.arn] },
      ],
    });
    // A listing that still fails after Lambda's retries reaches the alert topic instead of vanishing.
    new LambdaFunctionEventInvokeConfig(this, "ListIpsFailures", {
      dependsOn: [this.policyOf("ListIpsRole")],
      functionName: this.listIps.functionName,
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 3600,
      destinationConfig: { onFailure: { destination: this.topic.arn } },
    });

    const rotation = rotate ? props.honeynet.rotationAccess() : undefined;
    if (rotation && rotation.cloud !== "aws") throw new Error(`${this.node.path}: rotation access is not for AWS`);
    this.lookup = this.function("Lookup", "watcher-lookup", {
      prefix,
      timeout: LOOKUP_TIMEOUT_SECONDS,
      retention,
      tags,
      environment: {
        LURE_PREFIX: prefix,
        LURE_BUCKET: this.bucket.bucket,
        LURE_TOPIC_ARN: this.topic.arn,
        LURE_SECRET_ARN: this.secret.arn,
        LURE_SECRET_NAME: this.apiKeySecretName,
        LURE_CLUSTER: source.clusterName,
        LURE_SERVICES: services,
        LURE_ROTATE: String(rotate),
        LURE_MIN_ROTATION_HOURS: String(props.minRotationIntervalHours ?? 24),
        // Each instance spaces its requests so all of them together stay within Shodan's rate.
        LURE_MIN_INTERVAL_MS: String(LOOKUP_MIN_INTERVAL_MS),
        LURE_HONEYSCORE: String(props.honeyscore ?? true),
        LURE_TIME_RESERVE_MS: String(LOOKUP_RESERVE_MS + (stores.censys ? censysWorstLookupMs(LOOKUP_MIN_INTERVAL_MS) : 0)),
        ...extraTargets,
        ...censysEnv,
      },
      statements: [
        // What Lambda's SQS event source needs, on this queue only.
        { Sid: "ConsumeQueue", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: [this.queue.arn] },
        // ListBucket makes a missing key a 404 (first lookup of an IP) instead of a 403.
        { Sid: "ListResults", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [this.bucket.arn] },
        { Sid: "ReadWriteResults", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: RESULT_PREFIXES.map((p) => `${this.bucket.arn}/${p}*`) },
        { Sid: "ClearErrorMarker", Effect: "Allow", Action: ["s3:DeleteObject"], Resource: [`${this.bucket.arn}/state/*`] },
        { Sid: "Alert", Effect: "Allow", Action: ["sns:Publish"], Resource: [this.topic.arn] },
        { Sid: "ReadApiKey", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [this.secret.arn, ...(stores.censys ? [stores.censys.secret.arn] : [])] },
        ...(rotation?.cloud === "aws" ? rotation.statements : []),
      ],
    });
    // Lambda checks the execution role's permissions when these are created: the policies must exist first.
    new LambdaEventSourceMapping(this, "LookupSource", {
      dependsOn: [this.policyOf("LookupRole")],
      eventSourceArn: this.queue.arn,
      functionName: this.lookup.arn,
      batchSize: LOOKUP_BATCH_SIZE,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: LOOKUP_MAX_CONCURRENCY },
    });

    // --- the schedule -------------------------------------------------------------------------------
    this.schedule = functionSchedule(this, "Schedule", this.listIps, {
      name: name(),
      roleName: name("scheduler"),
      description: `List the ${prefix} honeynet's public IPs and look them up on Shodan`,
      expression: props.schedule ?? "rate(12 hours)",
      sid: "StartListing",
      retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
      tags,
    });

    if (props.alertEmail) {
      Annotations.of(this).addInfo(`alerts go to ${props.alertEmail} once the recipient confirms the subscription e-mail from AWS`);
    }
  }

  /** The inline policy `serviceRole` attached to the role with this id. */
  private policyOf(roleId: string): IamRolePolicy {
    return rolePolicyOf(this, roleId);
  }

  private function(
    id: string,
    fn: FunctionName,
    o: {
      prefix: string;
      timeout: number;
      retention: number;
      tags: Record<string, string>;
      environment: Record<string, string>;
      statements: readonly IamStatement[];
    },
  ): LambdaFunction {
    return nodeFunction(this, id, fn, { ...o, description: `lure watcher: ${FUNCTION_ENTRIES[fn]}` });
  }
}
