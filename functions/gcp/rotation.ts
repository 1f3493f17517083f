/**
 * Rotation on Google Cloud: the honeypot instance's ephemeral external IP is swapped by deleting
 * nic0's access config and adding it again without `natIP`, so Google assigns a new ephemeral
 * address. The honeynet declares `access_config {}` (no `nat_ip`; `nat_ip` is Optional+Computed),
 * and the new config keeps the old one's name and network tier, so the next `terraform apply`
 * sees no change and neither reverts nor recreates anything.
 *
 * Steps: read the instance → check it (labels, name, current address) → deleteAccessConfig and
 * wait for the zone operation → addAccessConfig and wait → read the instance again and compare
 * the new address with the old.
 *
 * Failure outcomes (see `Rotator`): a failure BEFORE the delete rejects (nothing changed; the
 * alert says the rotation failed and the next cycle tries again). A failure AFTER it resolves a
 * "failed" outcome whose message says the honeypot is left without an external IP and names the
 * fix (`npm run deploy -- gcp-honeynet` adds the access config back). Google giving back the same
 * address is a completed rotation whose message says so (the minimum interval then applies).
 *
 * @example
 * const rotator = accessConfigRotator(new InstancesClient(), new ZoneOperationsClient(), env, log);
 */
import type { RotationOutcome } from "../core/alert";
import { errorFields, type Log } from "../core/log";
import type { Rotator } from "../core/lookup";
import type { IpMessage } from "../core/watcher-message";
import type { GcpWatcherEnv } from "./env";
import { ready, type GaxClientLike } from "./gax";
import { externalAccess, honeypotOf, isHoneypotInstance, type Instance } from "./instances";

/** A zone operation as the Compute client returns it (the parts read). */
export interface ZoneOperation {
  readonly name?: string | null;
  /** "DONE" when finished (the REST transport gives enums as their names). */
  readonly status?: string | number | null;
  readonly error?: { readonly errors?: readonly { readonly code?: string | null; readonly message?: string | null }[] | null } | null;
}

/** The calls made (structurally parts of `InstancesClient`). */
export interface RotationInstancesLike extends GaxClientLike {
  get(request: { readonly project: string; readonly zone: string; readonly instance: string }): Promise<readonly [Instance, ...unknown[]]>;
  deleteAccessConfig(request: {
    readonly project: string;
    readonly zone: string;
    readonly instance: string;
    readonly networkInterface: string;
    readonly accessConfig: string;
  }): Promise<readonly [{ readonly latestResponse?: unknown }, ...unknown[]]>;
  addAccessConfig(request: {
    readonly project: string;
    readonly zone: string;
    readonly instance: string;
    readonly networkInterface: string;
    readonly accessConfigResource: { readonly name: string; readonly type: "ONE_TO_ONE_NAT"; readonly networkTier?: string };
  }): Promise<readonly [{ readonly latestResponse?: unknown }, ...unknown[]]>;
}

/** The call made (structurally `ZoneOperationsClient.wait`, which returns when DONE or after about 2 minutes). */
export interface ZoneOperationsLike extends GaxClientLike {
  wait(request: { readonly project: string; readonly zone: string; readonly operation: string }): Promise<readonly [ZoneOperation, ...unknown[]]>;
}

/** The fix named when a rotation leaves a honeypot without its external IP. */
export const REDEPLOY_FIX = "npm run deploy -- gcp-honeynet";

/** `wait` calls per operation before giving up (each waits up to about 2 minutes server-side). */
export const MAX_OPERATION_WAITS = 4;

/** The default name GCE gives a NAT access config, used when the old one has none. */
const DEFAULT_ACCESS_CONFIG = "External NAT";

/** Waits for a zone operation started by `started`; rejects with its error, or when it does not finish. */
export async function untilDone(operations: ZoneOperationsLike, where: { project: string; zone: string }, started: { readonly latestResponse?: unknown }): Promise<void> {
  let op = (started.latestResponse ?? {}) as ZoneOperation;
  for (let waits = 0; op.status !== "DONE"; waits++) {
    if (!op.name) throw new Error("the Compute API returned no operation name to wait for");
    if (waits >= MAX_OPERATION_WAITS) throw new Error(`operation ${op.name} is still ${op.status ?? "unknown"} after ${waits} waits`);
    [op] = await (await ready(operations)).wait({ ...where, operation: op.name });
  }
  const errors = op.error?.errors ?? [];
  if (errors.length > 0) throw new Error(`operation ${op.name ?? "?"} failed: ${errors.map((e) => `${e.code ?? "ERROR"}: ${e.message ?? ""}`).join("; ")}`);
}

/**
 * The rotator for the honeypot instances of `env.zone`. The message's `service` names the instance
 * (checked against `LURE_VMS` by the core before this is called); the instance must carry the
 * honeypot's labels and still hold the message's address, so a stale or forged message moves nothing.
 */
export function accessConfigRotator(instances: RotationInstancesLike, operations: ZoneOperationsLike, env: Pick<GcpWatcherEnv, "project" | "zone" | "vms">, log: Log): Rotator {
  const where = { project: env.project, zone: env.zone };
  return async (message: IpMessage, reason: string): Promise<RotationOutcome> => {
    const { ip, honeypot, service: name } = message;
    if (env.vms[honeypot] !== name) throw new Error(`instance ${name} is not honeypot ${honeypot}'s in LURE_VMS; nothing rotated`);

    // Before the delete: a failure here changes nothing, so it rejects.
    const [instance] = await (await ready(instances)).get({ ...where, instance: name });
    if (!isHoneypotInstance(instance) || honeypotOf(instance, env.vms) !== honeypot) throw new Error(`instance ${name} is not labelled as honeypot ${honeypot}; nothing rotated`);
    const access = externalAccess(instance);
    if (access?.config?.natIP !== ip) throw new Error(`instance ${name} holds ${access?.config?.natIP || "no external IP"} now, not ${ip}; nothing rotated`);
    const configName = access.config.name || DEFAULT_ACCESS_CONFIG;
    const tier = access.config.networkTier ?? undefined;
    const [deleting] = await instances.deleteAccessConfig({ ...where, instance: name, networkInterface: access.nic, accessConfig: configName });

    // The delete was accepted: from here the honeypot may have no external IP until the end, so every failure is told as such.
    let step = "delete the access config of";
    try {
      await untilDone(operations, where, deleting);
      log("info", "accessConfigDeleted", { ip, honeypot, instance: name, nic: access.nic, accessConfig: configName, reason });
      step = "add the access config to";
      const added = await instances.addAccessConfig({
        ...where,
        instance: name,
        networkInterface: access.nic,
        // No natIP: a new ephemeral address. Name and tier as before, so Terraform sees its own access config.
        accessConfigResource: { name: configName, type: "ONE_TO_ONE_NAT", ...(tier ? { networkTier: tier } : {}) },
      });
      await untilDone(operations, where, added[0]);
      step = "read the new address of";
      const address = externalAccess((await instances.get({ ...where, instance: name }))[0])?.config?.natIP || undefined;
      if (address === undefined) throw new Error("the new access config has no address");
      log("info", "accessConfigAdded", { ip, honeypot, instance: name, newIp: address, sameAddress: address === ip });
      if (address === ip) {
        return {
          status: "rotated",
          service: name,
          message: `the access config of ${name} was recreated, but Google gave back the same address ${ip}; the honeypot stays exposed there and is rotated again after the minimum interval.`,
        };
      }
      return { status: "rotated", service: name, message: `the ephemeral external IP of ${name} was swapped: ${ip} is released, the honeypot is now at ${address}.` };
    } catch (err) {
      const e = errorFields(err);
      log("error", "rotationIncomplete", { ip, honeypot, instance: name, nic: access.nic, step, ...e });
      return {
        status: "failed",
        service: name,
        detail: `${step} ${name}: ${e.message}`,
        message: `the access config of ${name} was deleted, then the step "${step} ${name}" failed (${e.message}). The honeypot may be left WITHOUT an external IP; run \`${REDEPLOY_FIX}\` to add it back.`,
      };
    }
  };
}
