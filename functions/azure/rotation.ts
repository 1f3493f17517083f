/**
 * Rotation on Azure: the honeypot's public IP is deleted and created again with the SAME name and
 * settings. A Standard public IP keeps its address for life, so a new address needs a new resource;
 * keeping the name keeps the resource id, which is all Terraform's state refers to (the address is
 * computed), so the next `terraform apply` sees no change and neither reverts nor orphans anything.
 *
 * Steps: read the public IP → its NIC (from `ipConfiguration.id`) → detach it from the NIC's ip
 * configuration (NIC PUT) → delete it → create it (sku, allocation, version, zones, tags, idle
 * timeout, DNS label and IP tags copied from the old one) → attach it to the same ip configuration
 * → compare the new address with the old.
 *
 * Failure outcomes (see `Rotator`): a failure BEFORE the detach rejects (nothing changed; the
 * alert says the rotation failed and the next cycle tries again). A failure AFTER it resolves a
 * "failed" outcome whose message says the honeypot is left without its public IP and names the fix
 * (`npm run deploy -- azure-honeynet` recreates and attaches it). Azure giving back the same
 * address is a completed rotation whose message says so (the minimum interval then applies).
 *
 * @example
 * const rotator = publicIpRotator(new NetworkManagementClient(credential, env.subscriptionId, clientOptions()), env.resourceGroup, log);
 */
import type { NetworkInterface, PublicIPAddress } from "@azure/arm-network";
import type { RotationOutcome } from "../core/alert";
import { errorFields, type Log } from "../core/log";
import type { Rotator } from "../core/lookup";
import type { IpMessage } from "../core/watcher-message";
import { LRO_POLL_MS } from "./sdk-options";
import { HONEYPOT_NAME_TAG, isHoneypotIp, SINCE_TAG } from "./tags";

/** The calls made (structurally the `publicIPAddresses` and `networkInterfaces` of a `NetworkManagementClient`). */
export interface RotationNetworkLike {
  readonly publicIPAddresses: {
    get(resourceGroupName: string, name: string): Promise<PublicIPAddress>;
    beginDeleteAndWait(resourceGroupName: string, name: string, options?: { readonly updateIntervalInMs?: number }): Promise<void>;
    beginCreateOrUpdateAndWait(
      resourceGroupName: string,
      name: string,
      parameters: PublicIPAddress,
      options?: { readonly updateIntervalInMs?: number },
    ): Promise<PublicIPAddress>;
  };
  readonly networkInterfaces: {
    get(resourceGroupName: string, name: string): Promise<NetworkInterface>;
    beginCreateOrUpdateAndWait(
      resourceGroupName: string,
      name: string,
      parameters: NetworkInterface,
      options?: { readonly updateIntervalInMs?: number },
    ): Promise<NetworkInterface>;
  };
}

/** The fix named when a rotation leaves a honeypot without its public IP. */
export const REDEPLOY_FIX = "npm run deploy -- azure-honeynet";

const IP_CONFIG_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/networkInterfaces\/([^/]+)\/ipConfigurations\/([^/]+)$/i;

/**
 * The settings a new public IP copies, so it is the resource Terraform created in all but its address
 * and its `lure:since` tag, which becomes `since` (Terraform ignores changes to that tag).
 */
export function recreatedIp(old: PublicIPAddress, since: Date): PublicIPAddress {
  const dns = old.dnsSettings;
  return {
    location: old.location,
    ...(old.sku ? { sku: { ...(old.sku.name ? { name: old.sku.name } : {}), ...(old.sku.tier ? { tier: old.sku.tier } : {}) } } : {}),
    ...(old.zones && old.zones.length > 0 ? { zones: [...old.zones] } : {}),
    ...(old.publicIPAllocationMethod ? { publicIPAllocationMethod: old.publicIPAllocationMethod } : {}),
    ...(old.publicIPAddressVersion ? { publicIPAddressVersion: old.publicIPAddressVersion } : {}),
    ...(old.idleTimeoutInMinutes !== undefined ? { idleTimeoutInMinutes: old.idleTimeoutInMinutes } : {}),
    tags: { ...(old.tags ?? {}), [SINCE_TAG]: since.toISOString() },
    ...(old.ipTags && old.ipTags.length > 0 ? { ipTags: old.ipTags.map((t) => ({ ...t })) } : {}),
    // Only what is set, not the computed fqdn.
    ...(dns?.domainNameLabel ? { dnsSettings: { domainNameLabel: dns.domainNameLabel, ...(dns.reverseFqdn ? { reverseFqdn: dns.reverseFqdn } : {}) } } : {}),
  };
}

/** The NIC with `publicIpId` set on (or, when undefined, removed from) the ip configuration `configName`. */
function withPublicIp(nic: NetworkInterface, configName: string, publicIpId: string | undefined): NetworkInterface {
  let found = false;
  const ipConfigurations = (nic.ipConfigurations ?? []).map((c) => {
    if (c.name?.toLowerCase() !== configName.toLowerCase()) return c;
    found = true;
    const { publicIPAddress: _old, ...rest } = c;
    return publicIpId === undefined ? rest : { ...rest, publicIPAddress: { id: publicIpId } };
  });
  if (!found) throw new Error(`the NIC ${nic.name ?? "?"} has no ip configuration ${configName}`);
  return { ...nic, ipConfigurations };
}

function vmNameOf(nic: NetworkInterface): string | undefined {
  return nic.virtualMachine?.id?.split("/").pop();
}

/**
 * The rotator for the public IPs of `resourceGroup`. The message's `task` names the public IP
 * resource (list-ips puts it there); it must still hold the message's address, carry the
 * honeypot's tags and be attached to the message's VM, so a stale or forged message moves nothing.
 */
export function publicIpRotator(network: RotationNetworkLike, resourceGroup: string, log: Log, now: () => Date = () => new Date()): Rotator {
  const lro = { updateIntervalInMs: LRO_POLL_MS };
  return async (message: IpMessage, reason: string): Promise<RotationOutcome> => {
    const { ip, honeypot, service: vm } = message;
    const name = message.task;
    if (name === undefined) throw new Error(`the message for ${ip} names no public IP resource (task); nothing rotated`);

    // Before the detach: a failure here changes nothing, so it rejects.
    const old = await network.publicIPAddresses.get(resourceGroup, name);
    if (!isHoneypotIp(old) || old.tags?.[HONEYPOT_NAME_TAG] !== honeypot) throw new Error(`public IP ${name} is not tagged as honeypot ${honeypot}; nothing rotated`);
    if (old.ipAddress !== ip) throw new Error(`public IP ${name} holds ${old.ipAddress ?? "no address"} now, not ${ip}; nothing rotated`);
    const match = IP_CONFIG_ID.exec(old.ipConfiguration?.id ?? "");
    if (!match) throw new Error(`public IP ${name} is not attached to a NIC ip configuration (${old.ipConfiguration?.id ?? "none"}); nothing rotated`);
    const [, nicGroup, nicName, configName] = match;
    const nic = await network.networkInterfaces.get(nicGroup, nicName);
    if (vmNameOf(nic)?.toLowerCase() !== vm.toLowerCase()) throw new Error(`NIC ${nicName} belongs to VM ${vmNameOf(nic) ?? "none"}, not ${vm}; nothing rotated`);
    const detached = withPublicIp(nic, configName, undefined);
    await network.networkInterfaces.beginCreateOrUpdateAndWait(nicGroup, nicName, detached, lro);
    log("info", "publicIpDetached", { ip, honeypot, vm, publicIp: name, nic: nicName, reason });

    // After the detach: the honeypot has no public IP until the end, so every failure is told as such.
    let step = "delete";
    try {
      await network.publicIPAddresses.beginDeleteAndWait(resourceGroup, name, lro);
      step = "create";
      const created = await network.publicIPAddresses.beginCreateOrUpdateAndWait(resourceGroup, name, recreatedIp(old, now()), lro);
      if (!created.id) throw new Error(`Azure returned no id for the new public IP ${name}`);
      step = "attach";
      // Read again: the NIC changed with the detach, and a PUT of the old body would undo nothing useful.
      const current = await network.networkInterfaces.get(nicGroup, nicName);
      await network.networkInterfaces.beginCreateOrUpdateAndWait(nicGroup, nicName, withPublicIp(current, configName, created.id), lro);
      step = "read the new address of";
      // A dynamic (Basic) address is only assigned once attached.
      const address = created.ipAddress ?? (await network.publicIPAddresses.get(resourceGroup, name)).ipAddress;
      log("info", "publicIpRecreated", { ip, honeypot, vm, publicIp: name, nic: nicName, newIp: address ?? null, sameAddress: address === ip });
      if (address === ip) {
        return {
          status: "rotated",
          service: vm,
          message: `public IP ${name} of ${vm} was recreated, but Azure gave back the same address ${ip}; the honeypot stays exposed there and is rotated again after the minimum interval.`,
        };
      }
      return {
        status: "rotated",
        service: vm,
        message: `public IP ${name} of ${vm} was recreated under the same name and attached again to ${nicName}: ${ip} is released, the honeypot is now at ${address ?? "an address Azure has not reported yet"}.`,
      };
    } catch (err) {
      const e = errorFields(err);
      log("error", "rotationIncomplete", { ip, honeypot, vm, publicIp: name, nic: nicName, step, ...e });
      return {
        status: "failed",
        service: vm,
        detail: `${step} public IP ${name}: ${e.message}`,
        message: `public IP ${name} of ${vm} was detached from ${nicName}, then the ${step} step failed (${e.message}). The honeypot is left WITHOUT a public IP; run \`${REDEPLOY_FIX}\` to recreate and attach it.`,
      };
    }
  };
}
