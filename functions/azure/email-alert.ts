/**
 * Adapter: alerts by e-mail through Azure Communication Services (the Azure-managed sender domain),
 * or as log lines only when `watcher.alertEmail` is unset.
 *
 * A send is the service's long-running operation: `beginSend` queues the mail, `pollUntilDone`
 * waits for its delivery hand-off. Anything but `Succeeded` rejects, so the caller's failure rule
 * applies (the lookup message is retried; list-ips throws). The wait is bounded by
 * `EMAIL_SEND_TIMEOUT_MS`; the default sending limit of the managed domain (30 mails/min, 100/hour)
 * is far above what the watcher sends (alerts on change only).
 *
 * @example
 * const send = alertSender(env.alert, env.alert.kind === "email" ? new EmailClient(env.alert.endpoint, credential, clientOptions()) : undefined, log);
 * await send(exposureAlert({ ... }));
 */
import type { Alert } from "../core/alert";
import type { Log } from "../core/log";
import type { AlertTarget } from "./env";

/** Time allowed for one e-mail from `beginSend` to a terminal status, in ms. */
export const EMAIL_SEND_TIMEOUT_MS = 60_000;
/** How often the send operation is polled (the service answers within seconds). */
export const EMAIL_POLL_MS = 2000;

/** The message shape of @azure/communication-email, as much of it as is sent. */
export interface EmailMessageLike {
  readonly senderAddress: string;
  readonly content: { readonly subject: string; readonly plainText: string };
  readonly recipients: { readonly to: { readonly address: string }[] };
}

/** The call made (structurally an `EmailClient`). */
export interface EmailClientLike {
  beginSend(
    message: EmailMessageLike,
    options?: { readonly updateIntervalInMs?: number; readonly abortSignal?: AbortSignal },
  ): Promise<{ pollUntilDone(options?: { readonly abortSignal?: AbortSignal }): Promise<{ readonly status: string; readonly error?: { readonly message?: string } }> }>;
}

/** Sends one alert; rejects when it was not delivered to the service. */
export type AlertSender = (alert: Alert) => Promise<void>;

/**
 * The alert sender for `target`. For an e-mail target `client` is required; for "log" it is not
 * used, and the alert is one log line at level warn (event `alert`), which is all the operator gets.
 */
export function alertSender(target: AlertTarget, client: EmailClientLike | undefined, log: Log): AlertSender {
  if (target.kind === "log") {
    return async (alert) => {
      log("warn", "alert", { subject: alert.subject, body: alert.body });
    };
  }
  if (!client) throw new Error("alertSender: an e-mail alert target needs an EmailClient");
  return async (alert) => {
    const signal = AbortSignal.timeout(EMAIL_SEND_TIMEOUT_MS);
    const poller = await client.beginSend(
      {
        senderAddress: target.sender,
        content: { subject: alert.subject, plainText: alert.body },
        recipients: { to: [{ address: target.to }] },
      },
      { updateIntervalInMs: EMAIL_POLL_MS, abortSignal: signal },
    );
    const result = await poller.pollUntilDone({ abortSignal: signal });
    if (result.status !== "Succeeded") {
      throw new Error(`e-mail alert "${alert.subject}" was not sent: status ${result.status}${result.error?.message ? ` (${result.error.message})` : ""}`);
    }
  };
}
