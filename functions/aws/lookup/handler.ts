/**
 * Lambda entry point of lookup (SQS event source with ReportBatchItemFailures). Wiring only:
 * environment checked, SDK clients (bounded, see sdk-config) and the index rate limiter created once
 * per container; the index is created once per invocation, with the key read in that invocation, so
 * a new key takes effect without a redeploy, while its requests stay spaced by the one limiter of
 * this instance across invocations.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createCensysIndex } from "../../censys";
import { createRateLimiter, createShodanIndex } from "../../shodan";
import { lookupEnv } from "../env";
import { jsonLog } from "../runtime";
import { sdkClientConfig } from "../sdk-config";
import { lookupBatch, type LookupDeps } from "./lookup";
import { invocationLimiter, LIMITER_WAIT_SLACK_MS } from "./shared-limiter";

const env = lookupEnv(process.env);
/** One per instance, so the first request of an invocation is spaced from the last of the previous one. */
const shodanLimiter = createRateLimiter({ minIntervalMs: env.minIntervalMs });
/** Censys's own spacing, also kept across invocations (free accounts get one request at a time). */
const censysLimiter = createRateLimiter({ minIntervalMs: env.minIntervalMs });
/** Exported for tests only (client settings); Lambda calls `handler`. */
export const deps: LookupDeps = {
  s3: new S3Client(sdkClientConfig()),
  sns: new SNSClient(sdkClientConfig()),
  secrets: new SecretsManagerClient(sdkClientConfig()),
  ecs: new ECSClient(sdkClientConfig()),
  indexFor: (apiKey) =>
    createShodanIndex({
      apiKey,
      minIntervalMs: env.minIntervalMs,
      honeyscore: env.honeyscore,
      limiter: invocationLimiter(shodanLimiter, env.minIntervalMs + LIMITER_WAIT_SLACK_MS),
    }),
  indexName: "shodan",
  ...(env.censys
    ? { censysFor: (token: string) => createCensysIndex({ token, ...(env.censys?.organizationId ? { organizationId: env.censys.organizationId } : {}), limiter: censysLimiter }) }
    : {}),
  now: () => new Date(),
  log: jsonLog,
};

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const records = event.Records.map((r) => ({ messageId: r.messageId, body: r.body }));
  const { response } = await lookupBatch(records, () => context.getRemainingTimeInMillis(), deps, env);
  return response;
}
