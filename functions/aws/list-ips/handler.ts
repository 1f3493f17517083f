/**
 * Lambda entry point of list-ips (EventBridge Scheduler, async). Wiring only: environment checked and
 * SDK clients created once per container; region and credentials come from the Lambda environment.
 */
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECSClient } from "@aws-sdk/client-ecs";
import { SQSClient } from "@aws-sdk/client-sqs";
import { listIpsEnv } from "../env";
import { jsonLog, sleep } from "../runtime";
import { listIps, type ListIpsDeps, type ListIpsSummary } from "./list-ips";

const env = listIpsEnv(process.env);
const deps: ListIpsDeps = {
  ecs: new ECSClient({}),
  ec2: new EC2Client({}),
  sqs: new SQSClient({}),
  now: () => new Date(),
  sleep,
  log: jsonLog,
};

/** The scheduler's event carries nothing we need. */
export async function handler(): Promise<ListIpsSummary> {
  return listIps(deps, env);
}
