/**
 * How the watcher recognises a honeypot's public IP in the honeynet's resource group: by the tags
 * modules/azure/honeynet.ts sets (`TAG_KEYS`, shared with the constructs so the two cannot drift).
 * Used by list-ips (which IPs to queue) and rotation (which IP it may recreate).
 */
import type { PublicIPAddress } from "@azure/arm-network";
import { SINCE_TAG_KEY, TAG_KEYS } from "../../modules/core/naming";

/** Value of `lure:component` on a honeypot's resources. */
export const HONEYPOT_COMPONENT = "honeypot";
/** Tag holding the catalog name of the honeypot the IP belongs to. */
export const HONEYPOT_NAME_TAG = TAG_KEYS.honeypot;

/** Tag holding when the IP got its address: set by Terraform at creation and by each rotation. */
export const SINCE_TAG = SINCE_TAG_KEY;

/** When the IP got its address, or undefined when the tag is missing or not a time (then all index data counts). */
export function sinceOf(ip: PublicIPAddress): string | undefined {
  const v = ip.tags?.[SINCE_TAG];
  return v !== undefined && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : undefined;
}

/** The public IP is a honeypot's (not the dashboard's or anything else in the group). */
export function isHoneypotIp(ip: PublicIPAddress): boolean {
  return ip.tags?.[TAG_KEYS.component] === HONEYPOT_COMPONENT;
}
