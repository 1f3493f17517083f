/**
 * Lookup on AWS: the batch of SQS records of one invocation, each looked up by the cloud-neutral
 * core (functions/core/lookup.ts) with S3, SNS, Secrets Manager and ECS bound to its ports. What is
 * AWS-specific lives here: the partial batch response, deferral by remaining time, and rotation as
 * a forced ECS redeployment.
 *
 * Failure outcomes, per record (SQS partial batch response):
 * - failed (comes back, then dead-letter queue): index unavailable, S3/SNS errors, unreadable secret;
 * - deferred (comes back): too little invocation time left to start it;
 * - skipped and counted (deleted): malformed message, unknown service, unusable API key. Retrying
 *   cannot fix these; the next list-ips cycle queues the IP again.
 *
 * Order per record and S3 keys: see functions/core/lookup.ts (`keys`); the construct's IAM policy
 * is scoped to exactly those prefixes.
 *
 * @example
 * const { response } = await lookupBatch(records, () => context.getRemainingTimeInMillis(), deps, lookupEnv(process.env));
 */
import { UpdateServiceCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SNSClient } from "@aws-sdk/client-sns";
import {
  checkMessage,
  configProblemOf,
  lookupSession,
  openIndex,
  processMessage,
  reportConfigProblem,
  type ConfigProblem,
  type LookupPorts,
  type SecondaryIndexPorts,
} from "../../core/lookup";
import { IndexConfigError, type ScannerIndex } from "../../core/scanner-index";
import { censysSecondary } from "../../censys";
import type { CensysEnv } from "../env-reader";
import { readApiKey } from "../api-key";
import type { LookupEnv } from "../env";
import { errorFields } from "../runtime";
import { s3JsonStore } from "../s3-store";
import { publishAlert } from "../sns-alert";

export { INDEX_ERROR_CLAIM_STALE_MS, keys, type IndexErrorMarker, type RotationMarker } from "../../core/lookup";

/** The AWS clients, plus the ports of the core that are not cloud calls (index factory, clock, log). */
export interface LookupDeps extends Pick<LookupPorts, "indexFor" | "indexName" | "now" | "log"> {
  /** Makes Censys's index from its token, when `env.censys` is set. @default createCensysIndex */
  readonly censysFor?: (token: string) => ScannerIndex;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly secrets: SecretsManagerClient;
  readonly ecs: ECSClient;
}

/** One SQS record, as much of it as the logic needs. */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
}

/** Same shape as `SQSBatchResponse` from aws-lambda. */
export interface BatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

export interface LookupSummary {
  records: number;
  lookedUp: number;
  /** Lookups where the index lists the IP for our time holding it. */
  found: number;
  alerts: number;
  rotated: number;
  rotationFailed: number;
  skipped: { malformed: number; unknownService: number; configError: number };
  /** Lookups where a further index (Censys) could not be asked: its previous view was kept. */
  indexUnavailable: number;
  failed: number;
  deferred: number;
}

/** The core's ports bound to this invocation's AWS clients. */
function awsPorts(deps: LookupDeps, env: LookupEnv): LookupPorts {
  return {
    store: s3JsonStore(deps.s3, env.bucket),
    readApiKey: () => readApiKey(deps.secrets, env.secretArn),
    sendAlert: (alert) => publishAlert(deps.sns, env.topicArn, alert),
    // A new deployment gives every task a new awsvpc interface, hence a new public IP.
    rotator: async (message) => {
      await deps.ecs.send(new UpdateServiceCommand({ cluster: env.cluster, service: message.service, forceNewDeployment: true }));
      return { status: "rotated", service: message.service };
    },
    indexFor: deps.indexFor,
    indexName: deps.indexName,
    ...(env.censys ? { secondary: [censysPorts(deps, env.censys)] } : {}),
    now: deps.now,
    log: deps.log,
  };
}

function censysPorts(deps: LookupDeps, c: CensysEnv): SecondaryIndexPorts {
  const ports = censysSecondary(c, () => readApiKey(deps.secrets, c.secret));
  return deps.censysFor ? { ...ports, indexFor: deps.censysFor } : ports;
}

export async function lookupBatch(
  records: readonly QueueRecord[],
  remainingMs: () => number,
  deps: LookupDeps,
  env: LookupEnv,
): Promise<{ response: BatchResponse; summary: LookupSummary }> {
  const { log } = deps;
  const ports = awsPorts(deps, env);
  const summary: LookupSummary = {
    records: records.length,
    lookedUp: 0,
    found: 0,
    alerts: 0,
    rotated: 0,
    rotationFailed: 0,
    skipped: { malformed: 0, unknownService: 0, configError: 0 },
    indexUnavailable: 0,
    failed: 0,
    deferred: 0,
  };
  const failures: string[] = [];
  const fail = (messageId: string): void => {
    failures.push(messageId);
    summary.failed++;
  };
  const finish = (): { response: BatchResponse; summary: LookupSummary } => {
    log(summary.failed > 0 ? "warn" : "info", "lookupSummary", { ...summary, skipped: { ...summary.skipped } });
    return { response: { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) }, summary };
  };

  const opening = await openIndex(ports);
  if (opening.kind === "failed") {
    // Not a key problem we can name: every record goes back and is tried again.
    if (opening.stage === "key") log("error", "secretUnreadable", { secret: env.secretArn, ...errorFields(opening.error) });
    else log("error", "indexNotCreated", errorFields(opening.error));
    for (const r of records) fail(r.messageId);
    return finish();
  }
  const { apiKey } = opening;
  const index = opening.kind === "ready" ? opening.index : undefined;
  let problem: ConfigProblem | undefined = opening.kind === "problem" ? opening.problem : undefined;

  const session = lookupSession(ports, env);
  let problemReported = false;
  for (let i = 0; i < records.length; i++) {
    const { messageId, body } = records[i];
    if (!problem && index) {
      const left = remainingMs();
      if (left < env.timeReserveMs) {
        const rest = records.slice(i);
        for (const r of rest) failures.push(r.messageId);
        summary.deferred = rest.length;
        log("warn", "deferred", { records: rest.length, remainingMs: left, reserveMs: env.timeReserveMs });
        break;
      }
      const checked = checkMessage(session, messageId, body);
      if (!checked.ok) {
        summary.skipped[checked.skip]++;
        continue;
      }
      const message = checked.message;
      try {
        const done = await processMessage(session, index, message);
        summary.lookedUp++;
        if (done.found) summary.found++;
        if (done.alerted) summary.alerts++;
        if (done.rotation === "rotated") summary.rotated++;
        if (done.rotation === "failed") summary.rotationFailed++;
        if (done.unavailable) summary.indexUnavailable++;
        continue;
      } catch (err) {
        if (!(err instanceof IndexConfigError)) {
          fail(messageId);
          log("error", "recordFailed", { messageId, ip: message.ip, honeypot: message.honeypot, ...errorFields(err) });
          continue;
        }
        problem = configProblemOf(err);
      }
    }
    // The key is unusable: nothing more in this batch can be looked up. The first record carries the
    // alert; if even the alert cannot be sent, that record goes back so the alert is tried again.
    if (problem && !problemReported) {
      problemReported = true;
      const reported = await reportConfigProblem(session, problem, apiKey.version, index?.name ?? deps.indexName);
      if (reported.alerted) summary.alerts++;
      if (!reported.ok) {
        fail(messageId);
        continue;
      }
    }
    summary.skipped.configError++;
  }
  return finish();
}
