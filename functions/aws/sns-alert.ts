/** Adapter: alerts to the watcher's SNS topic. The subject is already fit for SNS (core/alert). */
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { Alert } from "../core/alert";

/** Rejects when SNS does; the caller decides whether that fails the record. */
export async function publishAlert(client: SNSClient, topicArn: string, alert: Alert): Promise<void> {
  await client.send(new PublishCommand({ TopicArn: topicArn, Subject: alert.subject, Message: alert.body }));
}
