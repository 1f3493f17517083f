/** Adapter: alerts to the watcher's SNS topic. */
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { Alert } from "../core/alert";

/** SNS wants printable ASCII subjects shorter than 100 characters. */
export const SNS_SUBJECT_MAX = 99;

/** Rejects when SNS does; the caller decides what that fails. `alert.subject` must already fit SNS (see `listSubject`). */
export async function publishAlert(client: SNSClient, topicArn: string, alert: Alert): Promise<void> {
  await client.send(new PublishCommand({ TopicArn: topicArn, Subject: alert.subject, Message: alert.body }));
}

/**
 * `head` followed by as many whole `items` as fit, then "(+N more)"; made printable ASCII and cut to
 * fit SNS whatever the input.
 *
 * @example
 * listSubject("[lure] watcher: cannot list ", ["lure-cowrie", "lure-dionaea"]); // "[lure] watcher: cannot list lure-cowrie, lure-dionaea"
 */
export function listSubject(head: string, items: readonly string[]): string {
  let text = head;
  for (let i = 0; i < items.length; i++) {
    const next = `${text}${i > 0 ? ", " : ""}${items[i]}`;
    const rest = items.length - i - 1;
    // Keep room for the "(+N more)" the remaining items would need.
    if ((rest > 0 ? `${next} (+${rest} more)` : next).length > SNS_SUBJECT_MAX && i > 0) {
      text = `${text} (+${items.length - i} more)`;
      break;
    }
    text = next;
  }
  return fitSubject(text);
}

/** Non-printable or non-ASCII characters become "?"; anything longer than SNS allows ends in "...". */
export function fitSubject(s: string): string {
  const ascii = s.replace(/[^\x20-\x7e]/g, "?");
  return ascii.length <= SNS_SUBJECT_MAX ? ascii : `${ascii.slice(0, SNS_SUBJECT_MAX - 3)}...`;
}
