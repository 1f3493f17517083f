/** Adapter: alerts to the watcher's SNS topic. */
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { Alert } from "../core/alert";

/** Rejects when SNS does; the caller decides what that fails. `alert.subject` must already fit SNS (see `fitSubject` in core/alert). */
export async function publishAlert(client: SNSClient, topicArn: string, alert: Alert): Promise<void> {
  await client.send(new PublishCommand({ TopicArn: topicArn, Subject: alert.subject, Message: alert.body }));
}
