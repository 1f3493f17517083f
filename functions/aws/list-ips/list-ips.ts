/**
 * List-ips: find the public IP of every running honeypot task and queue one lookup message per IP.
 * Runs on a schedule (async invocation): when it throws, Lambda retries it and then sends the event
 * to its on-failure destination, so every failure that loses messages ends in a throw.
 *
 * @example
 * const summary = await listIps({ ecs, ec2, sqs, now: () => new Date(), sleep, log: jsonLog }, listIpsEnv(process.env));
 */
import { DescribeNetworkInterfacesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { DescribeTasksCommand, ListTasksCommand, type ECSClient, type Task } from "@aws-sdk/client-ecs";
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from "@aws-sdk/client-sqs";
import type { IpMessage } from "../../core/watcher-message";
import type { ListIpsEnv } from "../env";
import { chunks, errorFields, type Log } from "../runtime";

export interface ListIpsDeps {
  readonly ecs: ECSClient;
  readonly ec2: EC2Client;
  readonly sqs: SQSClient;
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
  /** Distinct public IPs found. */
  readonly ips: number;
  readonly sent: number;
  readonly skipped: { readonly notRunning: number; readonly noPublicIp: number };
  /** Services whose tasks could not be listed; the run throws after sending the others. */
  readonly failedServices: readonly string[];
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

export async function listIps(deps: ListIpsDeps, env: ListIpsEnv): Promise<ListIpsSummary> {
  const { log } = deps;
  const cycle = deps.now().toISOString();
  const skipped = { notRunning: 0, noPublicIp: 0 };
  const failedServices: string[] = [];
  const running: RunningTask[] = [];
  let tasks = 0;

  // One service failing (renamed, throttled) must not stop the others from being watched.
  for (const [honeypot, service] of Object.entries(env.services)) {
    try {
      const found = await describeService(deps, env.cluster, honeypot, service);
      tasks += found.listed;
      skipped.notRunning += found.notRunning;
      running.push(...found.running);
    } catch (err) {
      failedServices.push(service);
      log("error", "serviceListFailed", { cycle, honeypot, service, ...errorFields(err) });
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
    });
  }

  const sent = await sendAll(deps, env.queueUrl, messages, cycle);
  const summary: ListIpsSummary = {
    cycle,
    services: Object.keys(env.services).length,
    tasks,
    ips: messages.length,
    sent: sent.sent,
    skipped,
    failedServices,
  };
  const unsent = messages.length - sent.sent;
  log(unsent > 0 || failedServices.length > 0 ? "error" : "info", "listIpsSummary", { ...summary });

  const problems: string[] = [];
  if (unsent > 0) problems.push(`SQS did not accept ${unsent} of ${messages.length} messages after ${SEND_ATTEMPTS} attempts (${sent.sent} sent${sent.lastError ? `; last error: ${sent.lastError}` : ""})`);
  if (failedServices.length > 0) problems.push(`could not list the tasks of ${failedServices.length} of ${summary.services} services: ${failedServices.join(", ")}`);
  if (problems.length > 0) throw new Error(`list-ips cycle ${cycle}: ${problems.join("; ")}`);
  return summary;
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
