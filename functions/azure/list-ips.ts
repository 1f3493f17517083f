/**
 * List-ips on Azure (timer): the public IPs of the honeynet's resource group tagged
 * `lure:component=honeypot` → one lookup message per allocated address, in the shared
 * `IpMessage` format, base64-encoded as the queue trigger expects by default.
 *
 * A timer invocation is not retried by the host, so this function throws only when nobody was told
 * otherwise; every other failure is alerted and the rest of the cycle goes on:
 * - the listing fails part-way: whatever was listed is still queued, the failure is alerted;
 * - a message is not accepted by the queue (after the SDK's retries): the others are still sent,
 *   the unsent ones are alerted; they are queued again next cycle;
 * - the poison queue holds messages: alerted once per cycle while it does (its count failing is
 *   logged and counted, not fatal);
 * - throws when one of those alerts could not be sent.
 *
 * Skipped and counted: an IP without an address yet (`notAllocated`; a Static Standard IP has one
 * from creation, so this is a honeypot being deployed), an IP whose `lure:honeypot` tag names no
 * honeypot of `LURE_VMS` (`unknownHoneypot`: the watcher was deployed with another honeynet), an IP
 * on no NIC (`detached`: a rotation stopped half-way). A honeypot of `LURE_VMS` left with no IP
 * to queue is alerted every cycle (`withoutIp`), with the command that gives it its IP back.
 *
 * @example
 * const summary = await listIps({ network, queue, poison, sendAlert, now: () => new Date(), log }, env);
 */
import type { PublicIPAddress } from "@azure/arm-network";
import { fitSubject, listSubject, type Alert } from "../core/alert";
import { errorFields, type Log } from "../core/log";
import { extraTargetMessages } from "../core/extra-targets";
import type { IpMessage } from "../core/watcher-message";
import type { AlertSender } from "./email-alert";
import type { AzureWatcherEnv } from "./env";
import { REDEPLOY_FIX } from "./rotation";
import { HONEYPOT_NAME_TAG, isHoneypotIp, sinceOf } from "./tags";

/** The calls made (structurally parts of `NetworkManagementClient` and `QueueClient`). */
export interface ListIpsDeps {
  readonly network: { readonly publicIPAddresses: { list(resourceGroupName: string): AsyncIterable<PublicIPAddress> } };
  readonly queue: { sendMessage(messageText: string): Promise<unknown> };
  readonly poison: { getProperties(): Promise<{ readonly approximateMessagesCount?: number }> };
  readonly sendAlert: AlertSender;
  readonly now: () => Date;
  readonly log: Log;
}

export interface ListIpsSummary {
  /** Start of this run, ISO 8601; every message carries it. */
  readonly cycle: string;
  /** Public IPs listed with the honeypot tag. */
  readonly listed: number;
  /** Addresses of `watcher.extraTargets` queued (after the honeynet's). */
  readonly extraTargets: number;
  readonly sent: number;
  readonly skipped: { readonly notAllocated: number; readonly unknownHoneypot: number; readonly detached: number };
  /** Honeypots of `LURE_VMS` with no allocated, attached public IP (alerted every cycle); empty after a failed listing. */
  readonly withoutIp: readonly string[];
  /** The listing failed part-way (its error); what was listed before it was still queued. */
  readonly listingError: string | null;
  /** Messages the queue did not accept. */
  readonly unsent: number;
  /** Messages in the poison queue at the start of the run; null when they could not be counted. */
  readonly poisoned: number | null;
  readonly alerts: number;
  /** Problems that did not fail the run: poison queue not counted. */
  readonly warnings: number;
}

/** The queue trigger decodes base64 by default (host.json `messageEncoding`). */
export function encodeMessage(message: IpMessage): string {
  return Buffer.from(JSON.stringify(message), "utf8").toString("base64");
}

/** One listing cycle; resolves its summary, throws only when a problem could not be alerted (see the module comment). */
export async function listIps(deps: ListIpsDeps, env: AzureWatcherEnv): Promise<ListIpsSummary> {
  const { log } = deps;
  const cycle = deps.now().toISOString();
  let alerts = 0;
  let warnings = 0;
  const notReported: string[] = [];

  const poisoned = await countPoisoned(deps, env, cycle);
  if (poisoned === null) warnings++;
  else if (poisoned > 0) {
    try {
      await deps.sendAlert(poisonAlert(env, poisoned));
      alerts++;
    } catch (err) {
      notReported.push(`the poison queue holds ${poisoned} messages and that alert could not be sent: ${errorFields(err).message}`);
      log("error", "poisonNotReported", { cycle, messages: poisoned, ...errorFields(err) });
    }
  }

  const skipped = { notAllocated: 0, unknownHoneypot: 0, detached: 0 };
  const messages: IpMessage[] = [];
  let listed = 0;
  let listingError: string | null = null;
  try {
    for await (const pip of deps.network.publicIPAddresses.list(env.resourceGroup)) {
      if (!isHoneypotIp(pip)) continue;
      listed++;
      const honeypot = pip.tags?.[HONEYPOT_NAME_TAG] ?? "";
      const vm = Object.hasOwn(env.vms, honeypot) ? env.vms[honeypot] : undefined;
      if (vm === undefined) {
        skipped.unknownHoneypot++;
        log("warn", "unknownHoneypot", { cycle, publicIp: pip.name ?? null, honeypot });
        continue;
      }
      if (!pip.ipAddress) {
        skipped.notAllocated++;
        log("warn", "noPublicIp", { cycle, publicIp: pip.name ?? null, honeypot, vm, provisioningState: pip.provisioningState ?? null });
        continue;
      }
      if (!pip.ipConfiguration?.id) {
        // Not on a NIC (a rotation stopped half-way): the address reaches nothing, so looking it up says nothing.
        skipped.detached++;
        log("warn", "publicIpDetached", { cycle, publicIp: pip.name ?? null, honeypot, vm, ip: pip.ipAddress });
        continue;
      }
      // task = the public IP resource, the unit rotation recreates.
      // since: Azure reuses addresses, and what Shodan saw before this IP was ours is not our exposure.
      const since = sinceOf(pip);
      messages.push({ ip: pip.ipAddress, honeypot, service: vm, ...(pip.name ? { task: pip.name } : {}), ...(since ? { since } : {}), cycle, cloud: "azure" });
    }
  } catch (err) {
    const e = errorFields(err);
    listingError = `${e.error}: ${e.message}`;
    log("error", "listingFailed", { cycle, resourceGroup: env.resourceGroup, listedBefore: listed, ...e });
  }

  // Honeypots with no attached, allocated IP: a rotation that stopped after the detach, or an IP deleted by hand.
  // Only after a complete listing; a failed one is alerted as such.
  const reached = new Set(messages.map((m) => m.honeypot));
  const withoutIp = listingError === null ? Object.keys(env.vms).filter((h) => !reached.has(h)) : [];
  if (withoutIp.length > 0) {
    log("error", "honeypotsWithoutIp", { cycle, honeypots: withoutIp });
    try {
      await deps.sendAlert(withoutIpAlert(env, cycle, withoutIp));
      alerts++;
    } catch (err) {
      notReported.push(`${withoutIp.join(", ")} ha${withoutIp.length === 1 ? "s" : "ve"} no public IP and that alert could not be sent: ${errorFields(err).message}`);
      log("error", "withoutIpNotReported", { cycle, ...errorFields(err) });
    }
  }

  // Queued even after a failed listing: they do not depend on it.
  const extra = extraTargetMessages(env.extraTargets, cycle, "azure", messages);
  messages.push(...extra);
  let sent = 0;
  const unsent: { ip: string; error: string }[] = [];
  for (const m of messages) {
    try {
      await deps.queue.sendMessage(encodeMessage(m));
      sent++;
    } catch (err) {
      // The SDK has retried already; the next cycle queues the IP again.
      unsent.push({ ip: m.ip, error: errorFields(err).message });
      log("error", "sendFailed", { cycle, ip: m.ip, honeypot: m.honeypot, ...errorFields(err) });
    }
  }

  if (listingError !== null || unsent.length > 0) {
    try {
      await deps.sendAlert(cycleAlert(env, cycle, listingError, unsent, sent));
      alerts++;
    } catch (err) {
      const what = [listingError !== null ? `listing failed: ${listingError}` : "", unsent.length > 0 ? `${unsent.length} messages not queued` : ""].filter((w) => w !== "");
      notReported.push(`the cycle's problems (${what.join("; ")}) could not be alerted: ${errorFields(err).message}`);
      log("error", "cycleProblemsNotReported", { cycle, ...errorFields(err) });
    }
  }

  const summary: ListIpsSummary = { cycle, listed, extraTargets: extra.length, sent, skipped, withoutIp, listingError, unsent: unsent.length, poisoned, alerts, warnings };
  log(listingError !== null || unsent.length > 0 || notReported.length > 0 ? "error" : warnings > 0 ? "warn" : "info", "listIpsSummary", { ...summary });
  if (notReported.length > 0) throw new Error(`list-ips cycle ${cycle}: ${notReported.join("; ")}`);
  return summary;
}

/** The poison queue's approximate depth; null (logged) when it cannot be read. */
async function countPoisoned(deps: ListIpsDeps, env: AzureWatcherEnv, cycle: string): Promise<number | null> {
  try {
    const props = await deps.poison.getProperties();
    const count = props.approximateMessagesCount;
    if (count === undefined || !Number.isSafeInteger(count) || count < 0) throw new Error(`approximateMessagesCount is ${JSON.stringify(count ?? null)}, not a count`);
    if (count > 0) deps.log("warn", "poisoned", { cycle, queue: env.poisonQueueUrl, messages: count });
    return count;
  } catch (err) {
    deps.log("warn", "poisonNotCounted", { cycle, queue: env.poisonQueueUrl, ...errorFields(err) });
    return null;
  }
}

function withoutIpAlert(env: AzureWatcherEnv, cycle: string, honeypots: readonly string[]): Alert {
  return {
    subject: fitSubject(`[${env.prefix}] watcher: ${honeypots.length === 1 ? `${honeypots[0]} has` : `${honeypots.length} honeypots have`} no public IP`),
    body: [
      `In the resource group ${env.resourceGroup} (cycle ${cycle}), these honeypots have no public IP that is allocated and attached to their VM: ${honeypots.join(", ")}.`,
      "",
      "A rotation that stopped after detaching the old IP, an IP still being created, or an IP deleted by hand leaves a honeypot unreachable and unwatched.",
      `\`${REDEPLOY_FIX}\` creates and attaches the IP Terraform knows (a plan shows it first). This alert is sent every cycle while it lasts.`,
    ].join("\n"),
  };
}

function poisonAlert(env: AzureWatcherEnv, count: number): Alert {
  const lookups = count === 1 ? "1 lookup is" : `${count} lookups are`;
  return {
    subject: fitSubject(`[${env.prefix}] watcher: ${count} lookup${count === 1 ? "" : "s"} in the poison queue`),
    body: [
      `${lookups} in the poison queue ${env.poisonQueueUrl}.`,
      "",
      "Each is one honeypot IP whose lookup failed 5 times (Shodan unavailable, storage, Key Vault or e-mail errors); the lookup function's log (event lookupFailed) says why.",
      "Inspect them in the portal (Storage browser) or with az storage message peek; the IPs are queued again by the next cycles anyway, so clearing the poison queue loses nothing.",
      "This alert is sent every cycle while the poison queue is not empty.",
    ].join("\n"),
  };
}

function cycleAlert(env: AzureWatcherEnv, cycle: string, listingError: string | null, unsent: readonly { ip: string; error: string }[], sent: number): Alert {
  const lines: string[] = [];
  const parts: string[] = [];
  if (listingError !== null) {
    parts.push("listing failed");
    lines.push(`The public IPs of the resource group ${env.resourceGroup} could not all be listed (cycle ${cycle}): ${listingError}.`, "The IPs listed before the failure were queued; the others are not looked up this cycle.", "");
  }
  if (unsent.length > 0) {
    parts.push(`${unsent.length} not queued`);
    lines.push(`The lookup queue did not accept ${unsent.length} messages:`, ...unsent.map((u) => `- ${u.ip}: ${u.error}`), "");
  }
  lines.push(`${sent} lookups were queued. The next cycle tries again.`);
  return { subject: listSubject(`[${env.prefix}] watcher: `, parts, "; "), body: lines.join("\n") };
}
