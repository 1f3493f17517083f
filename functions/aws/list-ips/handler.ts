/**
 * Lambda entry point of list-ips (EventBridge Scheduler, async). Wiring only: environment checked and
 * SDK clients created once per container, with bounded request times (see sdk-config); region and
 * credentials come from the Lambda environment.
 */
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECSClient } from "@aws-sdk/client-ecs";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { listIpsEnv } from "../env";
import { jsonLog, sleep } from "../runtime";
import { sdkClientConfig } from "../sdk-config";
import { listIps, type ListIpsDeps, type ListIpsSummary } from "./list-ips";

const env = listIpsEnv(process.env);
/** Exported for tests only (client settings); Lambda calls `handler`. */
export const deps: ListIpsDeps = {
  ecs: new ECSClient(sdkClientConfig()),
  ec2: new EC2Client(sdkClientConfig()),
  sqs: new SQSClient(sdkClientConfig()),
  sns: new SNSClient(sdkClientConfig()),
  now: () => new Date(),
  sleep,
  log: jsonLog,
};

/** The scheduler's event carries nothing we need. */
export async function handler(): Promise<ListIpsSummary> {
  return listIps(deps, env);
}
