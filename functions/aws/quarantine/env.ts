/**
 * The deployment contract of the two Quarantine functions (detector and mode): their environment,
 * read once at cold start, and the adapters it wires. The cdktf construct sets these variables; a
 * wrong one is a deployment bug, so the function refuses to start and the error lists every bad
 * variable (and every bad field of `LURE_QUARANTINE`) at once.
 *
 * @example
 * const env = quarantineEnv(process.env); // throws before any record is touched
 * const ports = quarantinePorts(env, quarantineClients(env));
 */
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { EngineDeps } from "../../core/quarantine";
import { engineLog as coreEngineLog } from "../../core/quarantine-report";
import { readQuarantineConfig } from "../../core/quarantine-config";
import type { CopiesPort, QuarantineRuntimeConfig, QuarantineStore, SteeringPort } from "../../core/quarantine-types";
import { EnvReader, type Vars } from "../env-reader";
import type { Log } from "../runtime";
import { sdkClientConfig } from "../sdk-config";
import { albSteering } from "./alb-steering";
import { copiesFor } from "./copies";
import { dynamoQuarantineStore, type DynamoStoreOptions } from "./dynamo-store";


/** Where the honeypot copies run: an ECS service, or an EC2 Auto Scaling group. */
export type CopiesTarget =
  | { readonly kind: "ecs"; readonly cluster: string; readonly service: string }
  | { readonly kind: "asg"; readonly group: string };

export interface QuarantineEnv {
  /** `LURE_QUARANTINE`: thresholds, mode timing, steering band and copy counts. */
  readonly config: QuarantineRuntimeConfig;
  /** `LURE_TABLE`: the DynamoDB table of source states, quarantines, mode and lease. */
  readonly table: string;
  /** `LURE_LISTENER_ARN`: the ALB listener whose rules in lure's band are managed. */
  readonly listenerArn: string;
  /** `LURE_COPY_TARGET_GROUP_ARN`: where the rules forward quarantined sources. */
  readonly copyTargetGroupArn: string;
  /** `LURE_COPIES_KIND` with `LURE_COPY_CLUSTER` + `LURE_COPY_SERVICE`, or `LURE_COPY_ASG`. */
  readonly copies: CopiesTarget;
}

/** ALB limits of `LURE_QUARANTINE.steering`; the reader itself is cloud-neutral (core/quarantine-config). */
export { MAX_ALB_RULE_LIMIT, MAX_CIDRS_PER_RULE, MAX_RULE_PRIORITY } from "../../core/quarantine-config";

const LISTENER_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/\S+$/;
const TARGET_GROUP_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/\S+$/;

function readCopies(vars: Vars, r: EnvReader): CopiesTarget {
  const kind = vars.LURE_COPIES_KIND?.trim();
  if (kind === "ecs") {
    return {
      kind,
      cluster: r.text("LURE_COPY_CLUSTER", "the ECS cluster of the honeypot copies"),
      service: r.text("LURE_COPY_SERVICE", "the ECS service of the honeypot copies"),
    };
  }
  if (kind === "asg") return { kind, group: r.text("LURE_COPY_ASG", "the Auto Scaling group of the honeypot copies") };
  r.problems.push(`LURE_COPIES_KIND is ${vars.LURE_COPIES_KIND === undefined ? "not set" : JSON.stringify(vars.LURE_COPIES_KIND)} (expected "ecs" or "asg")`);
  return { kind: "ecs", cluster: "", service: "" };
}

/** Reads and checks the whole environment; throws one error listing every problem. */
export function quarantineEnv(vars: Vars): QuarantineEnv {
  const r = new EnvReader(vars);
  const config = readQuarantineConfig(vars.LURE_QUARANTINE, r.problems);
  const env = {
    table: r.text("LURE_TABLE", "the DynamoDB table name"),
    listenerArn: r.matching("LURE_LISTENER_ARN", "an ALB listener ARN (…:listener/app/…)", LISTENER_ARN),
    copyTargetGroupArn: r.matching("LURE_COPY_TARGET_GROUP_ARN", "a target group ARN (…:targetgroup/…)", TARGET_GROUP_ARN),
    copies: readCopies(vars, r),
  };
  // readConfig reports every problem it returns undefined for.
  return r.done("quarantine", { config: config!, ...env });
}

/** The SDK clients the adapters use; `ecs` or `autoScaling` as `LURE_COPIES_KIND` says. */
export interface QuarantineClients {
  readonly dynamodb: DynamoDBClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly ecs?: ECSClient;
  readonly autoScaling?: AutoScalingClient;
}

/** The cloud side of the engine. */
export interface QuarantinePorts {
  readonly store: QuarantineStore;
  readonly steering: SteeringPort;
  readonly copies: CopiesPort;
}

/** Bounded clients (see sdk-config), created once per Lambda instance. */
export function quarantineClients(env: QuarantineEnv): QuarantineClients {
  return {
    dynamodb: new DynamoDBClient(sdkClientConfig()),
    elbv2: new ElasticLoadBalancingV2Client(sdkClientConfig()),
    ...(env.copies.kind === "ecs" ? { ecs: new ECSClient(sdkClientConfig()) } : { autoScaling: new AutoScalingClient(sdkClientConfig()) }),
  };
}

/** The adapters of this deployment over the given clients. */
export function quarantinePorts(env: QuarantineEnv, clients: QuarantineClients, storeOptions: DynamoStoreOptions = {}): QuarantinePorts {
  return {
    store: dynamoQuarantineStore(clients.dynamodb, env.table, storeOptions),
    steering: albSteering(clients.elbv2, { listenerArn: env.listenerArn, targetGroupArn: env.copyTargetGroupArn, prefix: env.config.prefix, steering: env.config.steering }),
    copies: copiesFor(env.copies, clients),
  };
}

// ---------------------------------------------------------------------------------------------------
// Shared by the two handlers.

export interface HandlerOptions {
  /** @default jsonLog (one JSON object per line on stdout) */
  readonly log?: Log;
  /** Unix seconds, for the engine and the store. @default the wall clock */
  readonly now?: () => number;
}

export { rulesNeedAttention, rulesSummary, type RulesSummary } from "../../core/quarantine-report";

/** The engine's log on the function's log, each line tagged with the invocation. */
export function engineLog(log: Log, requestId: string): NonNullable<EngineDeps["log"]> {
  return coreEngineLog(log, { requestId });
}

/** Unix seconds now. */
export const wallClock = (): number => Math.floor(Date.now() / 1000);

