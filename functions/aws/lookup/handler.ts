/**
 * Lambda entry point of lookup (SQS event source with ReportBatchItemFailures). Wiring only:
 * environment checked and SDK clients created once per container; the index is created once per
 * invocation, with the key read in that invocation, so a new key takes effect without a redeploy.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createShodanIndex } from "../../shodan";
import { lookupEnv } from "../env";
import { jsonLog } from "../runtime";
import { lookupBatch, type LookupDeps } from "./lookup";

const env = lookupEnv(process.env);
const deps: LookupDeps = {
  s3: new S3Client({}),
  sns: new SNSClient({}),
  secrets: new SecretsManagerClient({}),
  ecs: new ECSClient({}),
  indexFor: (apiKey) => createShodanIndex({ apiKey, minIntervalMs: env.minIntervalMs, honeyscore: env.honeyscore }),
  indexName: "shodan",
  now: () => new Date(),
  log: jsonLog,
};

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const records = event.Records.map((r) => ({ messageId: r.messageId, body: r.body }));
  const { response } = await lookupBatch(records, () => context.getRemainingTimeInMillis(), deps, env);
  return response;
}
