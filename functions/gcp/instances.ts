/**
 * How the watcher recognises a honeypot instance in the honeynet's zone: by the labels
 * modules/gcp/honeynet.ts sets (`LABEL_KEYS`, shared with the constructs so the two cannot
 * drift), its name (`LURE_VMS`) and its one-to-one NAT access config on nic0 (`accessConfig: [{}]`,
 * an ephemeral external IP). Used by list-ips (what to queue) and rotation (what it may change).
 */
import type { protos } from "@google-cloud/compute";
import { LABEL_KEYS, toLabel } from "../../modules/core/labels";
import type { InstanceMap } from "./env";

/** An instance as the Compute client returns it. */
export type Instance = protos.google.cloud.compute.v1.IInstance;
/** An access config as the Compute client returns it. */
export type AccessConfig = protos.google.cloud.compute.v1.IAccessConfig;

/** Value of `lure-component` on a honeypot's resources. */
export const HONEYPOT_COMPONENT = "honeypot";
/** The interface that holds the external IP (the honeynet gives each honeypot exactly one). */
export const NIC = "nic0";

/** The list filter for honeypot instances (Compute's filter syntax; list-ips checks the label again). */
export const HONEYPOT_FILTER = `labels.${LABEL_KEYS.component} = "${HONEYPOT_COMPONENT}"`;

/** The instance carries the honeypot component label. */
export function isHoneypotInstance(instance: Instance): boolean {
  return instance.labels?.[LABEL_KEYS.component] === HONEYPOT_COMPONENT;
}

/** The catalog name of the honeypot this instance runs, per `LURE_VMS` and its labels; undefined when it is none of ours. */
export function honeypotOf(instance: Instance, vms: InstanceMap): string | undefined {
  const label = instance.labels?.[LABEL_KEYS.honeypot];
  if (label === undefined || !instance.name) return undefined;
  // Labels are lower-cased ("-" for other characters), so the catalog name is found through LURE_VMS.
  return Object.keys(vms).find((h) => vms[h] === instance.name && toLabel(h) === label);
}

/** nic0 and its NAT access config (the one holding the external IP), if any. */
export function externalAccess(instance: Instance): { readonly nic: string; readonly config?: AccessConfig } | undefined {
  const nic = instance.networkInterfaces?.find((n) => n.name === NIC) ?? instance.networkInterfaces?.[0];
  if (!nic) return undefined;
  const config = nic.accessConfigs?.find((c) => (c.type ?? "ONE_TO_ONE_NAT") === "ONE_TO_ONE_NAT");
  return { nic: nic.name ?? NIC, ...(config ? { config } : {}) };
}

/** The external IPv4 address of nic0, or undefined. */
export function externalIp(instance: Instance): string | undefined {
  return externalAccess(instance)?.config?.natIP || undefined;
}

/** When the instance last started, ISO 8601 (an ephemeral IP is assigned at start), or undefined. */
export function sinceOf(instance: Instance): string | undefined {
  const v = instance.lastStartTimestamp;
  return v && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : undefined;
}
