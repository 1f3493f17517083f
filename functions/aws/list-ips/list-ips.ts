/**
 * List-ips: find the public IP of every running honeypot task and queue one lookup message per IP.
 * Runs on a schedule (async invocation): when it throws, Lambda retries the WHOLE run (re-sending
 * every message, so every IP is looked up again) and then sends the event to its on-failure
 * destination. It therefore throws only when a retry can help and nobody was told otherwise:
 * - SQS did not accept every message: throws;
 * - a service could not be listed (renamed, removed, throttled): the others are still queued and
 *   the failed ones are reported in one SNS alert; throws only if that alert cannot be sent;
 * - lookups in the dead-letter queue: counted at the start of each run and reported in one SNS
 *   alert while there are any; failing to count or report them is logged and counted, not fatal.
 *
 * @example
 * const summary = await listIps({ ecs, ec2, sqs, sns, now: () => new Date(), sleep, log: jsonLog }, listIpsEnv(process.env));
 */
import { DescribeNetworkInterfacesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { DescribeTasksCommand, ListTasksCommand, type ECSClient, type Task } from "@aws-sdk/client-ecs";
import type { SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from "@aws-sdk/client-sqs";
import type { Alert } from "../../core/alert";
import { extraTargetMessages } from "../../core/extra-targets";
import type { IpMessage } from "../../core/watcher-message";
import type { ListIpsEnv } from "../env";
import { chunks, errorFields, type Log } from "../runtime";
import { fitSubject, listSubject } from "../../core/alert";
import { publishAlert } from "../sns-alert";

export interface ListIpsDeps {
  readonly ecs: ECSClient;
  readonly ec2: EC2Client;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly now: () => Date;
  /** Backoff between SQS attempts; tests pass one that returns at once. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: Log;
}

export interface ListIpsSummary {
  /** Start of this run, ISO 8601; every message carries it. */
  readonly cycle: string;
  readonly services: number;
  /** Tasks ECS listed with desired status RUNNING. */
  readonly tasks: number;
  /** Distinct public IPs queued, the extra targets' included. */
  readonly ips: number;
  /** Of those, addresses from `watcher.extraTargets`. */
  readonly extraTargets: number;
  readonly sent: number;
  readonly skipped: { readonly notRunning: number; readonly noPublicIp: number };
  /** Services whose tasks could not be listed; reported by SNS, the others are still queued. */
  readonly failedServices: readonly string[];
  /** Lookups in the dead-letter queue at the start of the run; null when they could not be counted. */
  readonly deadLetters: number | null;
  /** SNS alerts sent by this run (dead letters, services not listed). */
  readonly alerts: number;
  /** Problems that did not fail the run: dead-letter queue not counted, its alert not sent. */
  readonly warnings: number;
}

/** DescribeTasks takes at most 100 tasks. */
export const DESCRIBE_TASKS_MAX = 100;
/** EC2 takes at most 200 values in one filter. */
export const ENI_FILTER_MAX = 200;
/** SendMessageBatch takes at most 10 entries. */
export const SQS_BATCH_MAX = 10;
/** Attempts per SQS entry, the first included. */
export const SEND_ATTEMPTS = 3;
/** Backoff before the second attempt; doubled before each later one. */
export const SEND_BACKOFF_MS = 200;

interface RunningTask {
  readonly honeypot: string;
  readonly service: string;
  readonly arn: string;
  readonly eni?: string;
  readonly startedAt?: Date;
}

interface FailedService {
  readonly honeypot: string;
  readonly service: string;
  readonly error: string;
}

export async function listIps(deps: ListIpsDeps, env: ListIpsEnv): Promise<ListIpsSummary> {
  const { log } = deps;
  const cycle = deps.now().toISOString();
  const skipped = { notRunning: 0, noPublicIp: 0 };
  const failed: FailedService[] = [];
  const running: RunningTask[] = [];
  let tasks = 0;
  let alerts = 0;
  let warnings = 0;

  const dead = await reportDeadLetters(deps, env, cycle);
  if (dead.alerted) alerts++;
  warnings += dead.warnings;

  // One service failing (renamed, throttled) must not stop the others from being watched.
  for (const [honeypot, service] of Object.entries(env.services)) {
    try {
      const found = await describeService(deps, env.cluster, honeypot, service);
      tasks += found.listed;
      skipped.notRunning += found.notRunning;
      running.push(...found.running);
    } catch (err) {
      const e = errorFields(err);
      failed.push({ honeypot, service, error: `${e.error}: ${e.message}` });
      log("error", "serviceListFailed", { cycle, honeypot, service, ...e });
    }
  }

  const enis = [...new Set(running.flatMap((t) => (t.eni ? [t.eni] : [])))];
  const ipByEni = await publicIps(deps.ec2, enis);

  const messages: IpMessage[] = [];
  const seen = new Set<string>();
  for (const t of running) {
    const ip = t.eni ? ipByEni.get(t.eni) : undefined;
    if (!ip) {
      skipped.noPublicIp++;
      const reason = !t.eni ? "task has no network interface" : ipByEni.has(t.eni) ? "interface has no public IP" : "interface not found";
      log("warn", "noPublicIp", { cycle, honeypot: t.honeypot, service: t.service, task: t.arn, eni: t.eni ?? null, reason });
      continue;
    }
    if (seen.has(ip)) {
      // Two tasks cannot hold one public IP at once; seen only if ECS and EC2 disagree for a moment.
      log("warn", "duplicateIp", { cycle, ip, honeypot: t.honeypot, service: t.service, task: t.arn });
      continue;
    }
    seen.add(ip);
    messages.push({
      ip,
      honeypot: t.honeypot,
      service: t.service,
      task: t.arn,
      ...(t.startedAt ? { since: t.startedAt.toISOString() } : {}),
      cycle,
      cloud: "aws",
    });
  }
  const extra = extraTargetMessages(env.extraTargets, cycle, "aws", messages);
  messages.push(...extra);

  const sent = await sendAll(deps, env.queueUrl, messages, cycle);
  const services = Object.keys(env.services).length;

  // Told by SNS rather than by a throw: a retry of the run would re-send every message above.
  let failedNotReported: string | undefined;
  if (failed.length > 0) {
    try {
      await publishAlert(deps.sns, env.topicArn, failedServicesAlert(env, cycle, failed, services, sent.sent));
      alerts++;
      log("info", "failedServicesReported", { cycle, services: failed.map((f) => f.service) });
    } catch (err) {
      failedNotReported = errorFields(err).message;
      log("error", "failedServicesNotReported", { cycle, services: failed.map((f) => f.service), ...errorFields(err) });
    }
  }

  const summary: ListIpsSummary = {
    cycle,
    services,
    tasks,
    ips: messages.length,
    extraTargets: extra.length,
    sent: sent.sent,
    skipped,
    failedServices: failed.map((f) => f.service),
    deadLetters: dead.count,
    alerts,
    warnings,
  };
  const unsent = messages.length - sent.sent;
  log(unsent > 0 || failed.length > 0 ? "error" : warnings > 0 ? "warn" : "info", "listIpsSummary", { ...summary });

  const problems: string[] = [];
  if (unsent > 0) problems.push(`SQS did not accept ${unsent} of ${messages.length} messages after ${SEND_ATTEMPTS} attempts (${sent.sent} sent${sent.lastError ? `; last error: ${sent.lastError}` : ""})`);
  if (failedNotReported !== undefined) {
    problems.push(`could not list the tasks of ${failed.length} of ${services} services (${summary.failedServices.join(", ")}) and could not report it by SNS: ${failedNotReported}`);
  }
  if (problems.length > 0) throw new Error(`list-ips cycle ${cycle}: ${problems.join("; ")}`);
  return summary;
}

function failedServicesAlert(env: ListIpsEnv, cycle: string, failed: readonly FailedService[], services: number, sent: number): Alert {
  return {
    subject: listSubject(`[${env.prefix}] watcher: cannot list `, failed.map((f) => f.service)),
    body: [
      `The watcher could not list the tasks of ${failed.length} of ${services} services in the ECS cluster ${env.cluster} (cycle ${cycle}):`,
      "",
      ...failed.map((f) => `- ${f.service} (honeypot ${f.honeypot}): ${f.error}`),
      "",
      `The public IPs of these honeypots are not looked up this cycle; those of the other services were queued (${sent} sent).`,
      "If a service was renamed or removed, deploy again so the watcher's service list matches the honeynet. The next cycle tries again.",
    ].join("\n"),
  };
}

/** Counts the dead-letter queue and alerts while it holds lookups. Never throws. */
async function reportDeadLetters(deps: ListIpsDeps, env: ListIpsEnv, cycle: string): Promise<{ count: number | null; alerted: boolean; warnings: number }> {
  let count: number;
  try {
    const res = await deps.sqs.send(new GetQueueAttributesCommand({ QueueUrl: env.dlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
    const raw = res?.Attributes?.ApproximateNumberOfMessages;
    count = Number(raw);
    if (raw === undefined || !Number.isSafeInteger(count) || count < 0) throw new Error(`ApproximateNumberOfMessages is ${JSON.stringify(raw ?? null)}, not a count`);
  } catch (err) {
    deps.log("warn", "deadLettersNotCounted", { cycle, queue: env.dlqUrl, ...errorFields(err) });
    return { count: null, alerted: false, warnings: 1 };
  }
  if (count === 0) return { count, alerted: false, warnings: 0 };
  deps.log("warn", "deadLetters", { cycle, queue: env.dlqUrl, messages: count });
  try {
    await publishAlert(deps.sns, env.topicArn, deadLettersAlert(env, count));
  } catch (err) {
    // The queue is counted again next cycle, and the alert with it.
    deps.log("error", "deadLettersNotReported", { cycle, queue: env.dlqUrl, messages: count, ...errorFields(err) });
    return { count, alerted: false, warnings: 1 };
  }
  return { count, alerted: true, warnings: 0 };
}

function deadLettersAlert(env: ListIpsEnv, count: number): Alert {
  const lookups = count === 1 ? "1 lookup is" : `${count} lookups are`;
  return {
    subject: fitSubject(`[${env.prefix}] watcher: ${count} lookup${count === 1 ? "" : "s"} in the dead-letter queue`),
    body: [
      `${lookups} in the dead-letter queue ${env.dlqUrl}; inspect and redrive (aws sqs start-message-move-task --source-arn ${env.dlqArn}).`,
      "",
      "Each is one honeypot IP whose lookup kept failing (index unavailable, S3 or SNS errors); the lookup function's log (event recordFailed) says why.",
      "Redriving moves them back to the lookup queue. This alert is sent every cycle while the dead-letter queue is not empty.",
    ].join("\n"),
  };
}

async function describeService(
  deps: ListIpsDeps,
  cluster: string,
  honeypot: string,
  service: string,
): Promise<{ listed: number; notRunning: number; running: RunningTask[] }> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: "RUNNING", nextToken }));
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);

  let notRunning = 0;
  const running: RunningTask[] = [];
  for (const batch of chunks(arns, DESCRIBE_TASKS_MAX)) {
    const res = await deps.ecs.send(new DescribeTasksCommand({ cluster, tasks: batch }));
    // A task that stopped between the two calls comes back as a failure (reason MISSING).
    for (const f of res.failures ?? []) {
      notRunning++;
      deps.log("info", "taskNotRunning", { honeypot, service, task: f.arn ?? null, reason: f.reason ?? null });
    }
    for (const task of res.tasks ?? []) {
      if (task.lastStatus !== "RUNNING") {
        notRunning++;
        deps.log("info", "taskNotRunning", { honeypot, service, task: task.taskArn ?? null, lastStatus: task.lastStatus ?? null });
        continue;
      }
      running.push({ honeypot, service, arn: task.taskArn ?? "unknown", eni: eniOf(task), startedAt: task.startedAt });
    }
  }
  return { listed: arns.length, notRunning, running };
}

/** The awsvpc interface ECS attached to the task. */
function eniOf(task: Task): string | undefined {
  const attachment = task.attachments?.find((a) => a.type === "ElasticNetworkInterface");
  return attachment?.details?.find((d) => d.name === "networkInterfaceId")?.value || undefined;
}

/**
 * Interface id → public IP (empty string when it has none). A filter, not `NetworkInterfaceIds`: with
 * ids, one interface deleted since DescribeTasks fails the whole call; a filter just leaves it out.
 */
async function publicIps(ec2: EC2Client, enis: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const batch of chunks(enis, ENI_FILTER_MAX)) {
    let nextToken: string | undefined;
    do {
      const page = await ec2.send(
        new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "network-interface-id", Values: batch }], NextToken: nextToken }),
      );
      for (const ni of page.NetworkInterfaces ?? []) {
        if (ni.NetworkInterfaceId) out.set(ni.NetworkInterfaceId, ni.Association?.PublicIp ?? "");
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return out;
}

/**
 * Sends in batches of 10, retrying the entries SQS reports as failed with exponential backoff. An
 * entry SQS blames on the sender (too large, invalid) is not retried: it would fail the same way.
 */
async function sendAll(deps: ListIpsDeps, queueUrl: string, messages: readonly IpMessage[], cycle: string): Promise<{ sent: number; lastError?: string }> {
  let sent = 0;
  let lastError: string | undefined;
  for (const batch of chunks(messages, SQS_BATCH_MAX)) {
    const ipById = new Map(batch.map((m, i) => [String(i), m.ip]));
    let pending: SendMessageBatchRequestEntry[] = batch.map((m, i) => ({ Id: String(i), MessageBody: JSON.stringify(m) }));
    for (let attempt = 1; attempt <= SEND_ATTEMPTS && pending.length > 0; attempt++) {
      if (attempt > 1) await deps.sleep(SEND_BACKOFF_MS * 2 ** (attempt - 2));
      let res;
      try {
        res = await deps.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      } catch (err) {
        // The SDK has already retried transient errors; count the whole batch as failed this attempt.
        lastError = errorFields(err).message;
        deps.log("warn", "sendBatchFailed", { cycle, attempt, entries: pending.length, ...errorFields(err) });
        continue;
      }
      const ok = new Set((res.Successful ?? []).map((s) => s.Id));
      const failed = new Map((res.Failed ?? []).map((f) => [f.Id, f]));
      const retry: SendMessageBatchRequestEntry[] = [];
      for (const entry of pending) {
        if (ok.has(entry.Id)) {
          sent++;
          continue;
        }
        const f = failed.get(entry.Id);
        lastError = f ? `${f.Code ?? "unknown"}: ${f.Message ?? ""}`.trim() : "entry missing from the SQS answer";
        deps.log("warn", "sendEntryFailed", { cycle, attempt, ip: ipById.get(entry.Id ?? ""), code: f?.Code ?? null, senderFault: f?.SenderFault ?? null });
        if (!f?.SenderFault) retry.push(entry);
      }
      pending = retry;
    }
  }
  return lastError === undefined ? { sent } : { sent, lastError };
}
