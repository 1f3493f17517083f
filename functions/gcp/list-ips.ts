/**
 * List-ips on Google Cloud (HTTP, called by Cloud Scheduler with an OIDC token): the instances of
 * the honeynet's zone labelled `lure-component=honeypot` → the external IP of nic0's access config
 * → one Cloud Tasks task per honeypot, an HTTP POST of the shared `IpMessage` JSON to the lookup
 * function with an OIDC token of `LURE_TASKS_SERVICE_ACCOUNT`. The queue then dispatches them at
 * 1/s, one at a time, and retries failures with backoff (see lookup.ts).
 *
 * Every failure is alerted and the rest of the cycle goes on; the handler answers 500 only when
 * an alert could not be written (Cloud Scheduler then retries the job per its retry config):
 * - the listing fails part-way: whatever was listed is still queued, the failure is alerted;
 * - a task is not created (after the client's retries): the others still are, the failures are
 *   alerted; the next cycle queues them again.
 *
 * Skipped and counted: an instance not RUNNING (`notRunning`: stopped, or starting), one without
 * an external IP (`noExternalIp`), one whose labels and name match no honeypot of `LURE_VMS`
 * (`unknownHoneypot`: another honeynet's). A honeypot of `LURE_VMS` left with no IP to queue is
 * alerted every cycle (`withoutIp`), with the command that gives it its IP back.
 *
 * @example
 * const summary = await listIps({ instances, tasks, sendAlert, now: () => new Date(), log }, env);
 */
import { fitSubject, listSubject, type Alert } from "../core/alert";
import { errorFields, type Log } from "../core/log";
import { extraTargetMessages } from "../core/extra-targets";
import type { IpMessage } from "../core/watcher-message";
import type { GcpWatcherEnv } from "./env";
import { ready, type GaxClientLike } from "./gax";
import { externalIp, honeypotOf, HONEYPOT_FILTER, isHoneypotInstance, sinceOf, type Instance } from "./instances";
import type { AlertSender } from "./log";
import { REDEPLOY_FIX } from "./rotation";

/** The Cloud Tasks task list-ips creates (a subset of `protos.google.cloud.tasks.v2.ITask`). */
export interface HttpTask {
  readonly httpRequest: {
    readonly httpMethod: "POST";
    readonly url: string;
    readonly headers: Readonly<Record<string, string>>;
    /** The message JSON, base64 (the client sends `bytes` fields as base64). */
    readonly body: string;
    readonly oidcToken: { readonly serviceAccountEmail: string; readonly audience: string };
  };
}

/** The calls made (structurally parts of `InstancesClient` and `CloudTasksClient`). */
export interface ListIpsDeps {
  readonly instances: GaxClientLike & { listAsync(request: { readonly project: string; readonly zone: string; readonly filter: string }): AsyncIterable<Instance> };
  readonly tasks: GaxClientLike & { createTask(request: { readonly parent: string; readonly task: HttpTask }): Promise<readonly [{ readonly name?: string | null }, ...unknown[]]> };
  /** Alerts of the cycle's failures (severity ERROR). */
  readonly sendAlert: AlertSender;
  readonly now: () => Date;
  readonly log: Log;
}

export interface ListIpsSummary {
  /** Start of this run, ISO 8601; every message carries it. */
  readonly cycle: string;
  /** Instances listed with the honeypot label. */
  readonly listed: number;
  /** Addresses of `watcher.extraTargets` queued (after the honeynet's). */
  readonly extraTargets: number;
  readonly queued: number;
  readonly skipped: { readonly notRunning: number; readonly noExternalIp: number; readonly unknownHoneypot: number };
  /** Honeypots of `LURE_VMS` with no queued IP (alerted every cycle); empty after a failed listing. */
  readonly withoutIp: readonly string[];
  /** The listing failed part-way (its error); what was listed before it was still queued. */
  readonly listingError: string | null;
  /** Tasks the queue did not accept. */
  readonly notQueued: number;
  readonly alerts: number;
}

/** The result of one cycle: `ok` false when an alert could not be written (the handler answers 500). */
export type ListIpsResult = { readonly ok: boolean; readonly summary: ListIpsSummary; readonly problems: readonly string[] };

/** The task for one message: POST to lookup, authenticated as the tasks service account. */
export function lookupTask(env: Pick<GcpWatcherEnv, "lookupUrl" | "tasksServiceAccount">, message: IpMessage): HttpTask {
  return {
    httpRequest: {
      httpMethod: "POST",
      url: env.lookupUrl,
      headers: { "Content-Type": "application/json" },
      body: Buffer.from(JSON.stringify(message), "utf8").toString("base64"),
      // The audience is the function's URL: what Cloud Run checks the token against.
      oidcToken: { serviceAccountEmail: env.tasksServiceAccount, audience: env.lookupUrl },
    },
  };
}

/** One listing cycle; never rejects (see the module comment). */
export async function listIps(deps: ListIpsDeps, env: GcpWatcherEnv): Promise<ListIpsResult> {
  const { log } = deps;
  const cycle = deps.now().toISOString();
  let alerts = 0;
  const problems: string[] = [];
  const alert = async (what: string, a: Alert): Promise<void> => {
    try {
      await deps.sendAlert(a);
      alerts++;
    } catch (err) {
      problems.push(`${what} could not be alerted: ${errorFields(err).message}`);
      log("error", "alertNotWritten", { cycle, what, ...errorFields(err) });
    }
  };

  const skipped = { notRunning: 0, noExternalIp: 0, unknownHoneypot: 0 };
  const messages: IpMessage[] = [];
  let listed = 0;
  let listingError: string | null = null;
  try {
    // Awaited first: listAsync would rethrow a failed client start as an unhandled rejection (gax.ts).
    for await (const instance of (await ready(deps.instances)).listAsync({ project: env.project, zone: env.zone, filter: HONEYPOT_FILTER })) {
      if (!isHoneypotInstance(instance)) continue;
      listed++;
      const name = instance.name ?? null;
      const honeypot = honeypotOf(instance, env.vms);
      if (honeypot === undefined) {
        skipped.unknownHoneypot++;
        log("warn", "unknownHoneypot", { cycle, instance: name, labels: instance.labels ?? null });
        continue;
      }
      if (instance.status !== "RUNNING") {
        // A stopped instance keeps no ephemeral IP, and a starting one has none yet.
        skipped.notRunning++;
        log("warn", "instanceNotRunning", { cycle, instance: name, honeypot, status: instance.status ?? null });
        continue;
      }
      const ip = externalIp(instance);
      if (ip === undefined) {
        // No access config (a rotation stopped after its delete): the honeypot is unreachable.
        skipped.noExternalIp++;
        log("warn", "noExternalIp", { cycle, instance: name, honeypot });
        continue;
      }
      // since: ephemeral addresses are reused, and what Shodan saw before this instance held the IP is not our exposure.
      const since = sinceOf(instance);
      const service = env.vms[honeypot];
      messages.push({ ip, honeypot, service, task: service, ...(since ? { since } : {}), cycle, cloud: "gcp" });
    }
  } catch (err) {
    const e = errorFields(err);
    listingError = `${e.error}: ${e.message}`;
    log("error", "listingFailed", { cycle, project: env.project, zone: env.zone, listedBefore: listed, ...e });
  }

  // Only after a complete listing; a failed one is alerted as such.
  const reached = new Set(messages.map((m) => m.honeypot));
  const withoutIp = listingError === null ? Object.keys(env.vms).filter((h) => !reached.has(h)) : [];
  if (withoutIp.length > 0) {
    log("error", "honeypotsWithoutIp", { cycle, honeypots: withoutIp });
    await alert(`${withoutIp.join(", ")} without an external IP`, withoutIpAlert(env, cycle, withoutIp));
  }

  // Queued even after a failed listing: they do not depend on it.
  const extra = extraTargetMessages(env.extraTargets, cycle, "gcp", messages);
  messages.push(...extra);
  let queued = 0;
  const notQueued: { ip: string; error: string }[] = [];
  for (const m of messages) {
    try {
      const [task] = await (await ready(deps.tasks)).createTask({ parent: env.queue, task: lookupTask(env, m) });
      queued++;
      log("info", "queued", { cycle, ip: m.ip, honeypot: m.honeypot, task: task.name ?? null });
    } catch (err) {
      notQueued.push({ ip: m.ip, error: errorFields(err).message });
      log("error", "taskNotCreated", { cycle, ip: m.ip, honeypot: m.honeypot, ...errorFields(err) });
    }
  }

  if (listingError !== null || notQueued.length > 0) await alert("the cycle's failures", cycleAlert(env, cycle, listingError, notQueued, queued));

  const summary: ListIpsSummary = { cycle, listed, extraTargets: extra.length, queued, skipped, withoutIp, listingError, notQueued: notQueued.length, alerts };
  const failed = listingError !== null || notQueued.length > 0 || problems.length > 0;
  log(failed ? "error" : "info", "listIpsSummary", { ...summary });
  return { ok: problems.length === 0, summary, problems };
}

function withoutIpAlert(env: GcpWatcherEnv, cycle: string, honeypots: readonly string[]): Alert {
  return {
    subject: fitSubject(`[${env.prefix}] watcher: ${honeypots.length === 1 ? `${honeypots[0]} has` : `${honeypots.length} honeypots have`} no external IP`),
    body: [
      `In ${env.project}/${env.zone} (cycle ${cycle}), these honeypots have no running instance with an external IP: ${honeypots.join(", ")}.`,
      "",
      "A rotation that stopped after deleting the access config, a stopped instance, or an instance deleted by hand leaves a honeypot unreachable and unwatched.",
      `\`${REDEPLOY_FIX}\` restores what Terraform knows (a plan shows it first). This alert is sent every cycle while it lasts.`,
    ].join("\n"),
  };
}

function cycleAlert(env: GcpWatcherEnv, cycle: string, listingError: string | null, notQueued: readonly { ip: string; error: string }[], queued: number): Alert {
  const lines: string[] = [];
  const parts: string[] = [];
  if (listingError !== null) {
    parts.push("listing failed");
    lines.push(`The instances of ${env.project}/${env.zone} could not all be listed (cycle ${cycle}): ${listingError}.`, "The IPs listed before the failure were queued; the others are not looked up this cycle.", "");
  }
  if (notQueued.length > 0) {
    parts.push(`${notQueued.length} not queued`);
    lines.push(`The queue ${env.queue} did not accept ${notQueued.length} tasks:`, ...notQueued.map((u) => `- ${u.ip}: ${u.error}`), "");
  }
  lines.push(`${queued} lookups were queued. The next cycle tries again.`);
  return { subject: listSubject(`[${env.prefix}] watcher: `, parts, "; "), body: lines.join("\n") };
}
