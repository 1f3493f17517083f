/**
 * Logging and alerts on Cloud Run functions: one JSON object per stdout line. Cloud Run's logging
 * agent turns such a line into a structured entry: `severity` becomes the entry's severity,
 * `message` its summary, every other field goes to `jsonPayload`.
 *
 * Alerts are not mailed by code. Each alert is ONE entry with `event: "lure-alert"` (and the
 * alert's subject and body as fields); the construct's log-based alert policy matches
 * `ALERT_LOG_FILTER` and its e-mail notification channel sends the entry's text. Without
 * `watcher.alertEmail` the entries are still written, so the log is the record either way.
 *
 * @example
 * const send = logAlertSender(stdoutLine);
 * await send({ subject: "[lure] cowrie 203.0.113.10: now listed", body: "…" });
 */
import type { Alert } from "../core/alert";
import type { Log, LogLevel } from "../core/log";

/** Writes one line (without its newline); throws when it cannot. */
export type LineWriter = (line: string) => void;

/** Cloud Logging's severity for each log level. */
export const SEVERITY: Readonly<Record<LogLevel, "INFO" | "WARNING" | "ERROR">> = { info: "INFO", warn: "WARNING", error: "ERROR" };

/** The `event` value of an alert entry. */
export const ALERT_EVENT = "lure-alert";

/** Field names of an alert entry in `jsonPayload`, for the policy's filter, label extractors and documentation. */
export const ALERT_LOG_FIELDS = { event: "event", subject: "subject", body: "body", text: "text" } as const;

/**
 * The longest `text` (the e-mail's text): Cloud Logging keeps the first 1,024 characters of an
 * extracted label, so a longer body is cut here, visibly, and the entry's `body` keeps all of it.
 */
export const ALERT_TEXT_MAX = 1000;

/** `body` as the e-mail's text: whole when it fits, else cut at {@link ALERT_TEXT_MAX} with a pointer to the rest. */
export function alertText(body: string): string {
  if (body.length <= ALERT_TEXT_MAX) return body;
  const more = "\n… (cut: the whole text is this log entry's jsonPayload.body; see the output watcher_logs)";
  return `${body.slice(0, ALERT_TEXT_MAX - more.length)}${more}`;
}

/**
 * The filter of the log-based alert policy (`condition_matched_log.filter`): every alert entry,
 * whichever function wrote it. The construct may AND it with the functions' service names.
 */
export const ALERT_LOG_FILTER = `jsonPayload.${ALERT_LOG_FIELDS.event}="${ALERT_EVENT}"`;

/**
 * Label extractors for the policy (`condition_matched_log.label_extractors`): one incident per
 * distinct subject and text, both available to the notification as `${log.extracted_label.<key>}`
 * (the e-mail's subject and text).
 */
export const ALERT_LABEL_EXTRACTORS: Readonly<Record<string, string>> = {
  subject: `EXTRACT(jsonPayload.${ALERT_LOG_FIELDS.subject})`,
  text: `EXTRACT(jsonPayload.${ALERT_LOG_FIELDS.text})`,
};

/** `ALERT_LOG_FILTER` narrowed to the Cloud Run services of the watcher's functions. */
export function alertLogFilter(services: readonly string[]): string {
  if (services.length === 0) return ALERT_LOG_FILTER;
  const names = services.map((s) => JSON.stringify(s)).join(" OR ");
  return `resource.type="cloud_run_revision" AND resource.labels.service_name=(${names}) AND ${ALERT_LOG_FILTER}`;
}

/** The default writer: stdout, which Cloud Run ships to Cloud Logging. */
export const stdoutLine: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

/** A `Log` writing structured entries; `context` (e.g. the task name) goes on every line. */
export function structuredLog(write: LineWriter = stdoutLine, context: Readonly<Record<string, unknown>> = {}): Log {
  return (level, event, fields) => {
    try {
      // The event's own fields win over the context (they describe this line).
      write(JSON.stringify({ severity: SEVERITY[level], message: event, event, ...context, ...fields }));
    } catch {
      // A log line that cannot be written must not fail the lookup it describes.
    }
  };
}

/** Sends one alert; rejects when its entry could not be written. */
export type AlertSender = (alert: Alert) => Promise<void>;

/**
 * Alerts as log entries. `severity` "WARNING" for exposure news (what the core sends), "ERROR"
 * for the watcher's own failures (listing failed, lookup given up). Unlike `structuredLog`, a
 * write failure rejects: the caller then fails the request so the alert is tried again.
 */
export function logAlertSender(write: LineWriter = stdoutLine, severity: "WARNING" | "ERROR" = "WARNING"): AlertSender {
  return async (alert) => {
    write(
      JSON.stringify({
        severity,
        message: alert.subject,
        [ALERT_LOG_FIELDS.event]: ALERT_EVENT,
        [ALERT_LOG_FIELDS.subject]: alert.subject,
        [ALERT_LOG_FIELDS.body]: alert.body,
        [ALERT_LOG_FIELDS.text]: alertText(alert.body),
      }),
    );
  };
}
