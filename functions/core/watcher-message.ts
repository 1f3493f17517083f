/**
 * The queue message between the two watcher functions: one honeypot IP to look up. Both sides use
 * this module so the format cannot drift; the receiver validates because a queue can hold anything.
 */
import { isIP } from "node:net";

export interface IpMessage {
  readonly ip: string;
  /** Catalog name of the honeypot that holds the IP. */
  readonly honeypot: string;
  /** Cloud service that runs it (ECS service name), the unit a rotation acts on. */
  readonly service: string;
  /** Task / instance that holds the IP now. */
  readonly task?: string;
  /** When that task started, ISO 8601: index data older than this describes a previous holder of the IP. */
  readonly since?: string;
  /** Start of the listing run that produced the message, ISO 8601. */
  readonly cycle: string;
  /** Cloud whose watcher queued it; lets a report that merges several clouds' results tell them apart. */
  readonly cloud?: WatcherCloud;
  /** An address lure did not deploy (`watcher.extraTargets`): looked up and alerted, never rotated. */
  readonly external?: true;
  /** The extra target's label from the config, shown in alerts and reports. */
  readonly label?: string;
}

export const WATCHER_CLOUDS = ["aws", "azure", "gcp"] as const;
export type WatcherCloud = (typeof WATCHER_CLOUDS)[number];

export type ParsedMessage = { readonly ok: true; readonly message: IpMessage } | { readonly ok: false; readonly error: string };

const NAME = /^[a-z0-9][a-z0-9_.-]{0,127}$/i;
/** What `watcher.extraTargets[].label` allows (config.ts checks the same). */
export const LABEL = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

function isIsoTime(v: unknown): v is string {
  return typeof v === "string" && !Number.isNaN(Date.parse(v));
}

export function parseIpMessage(body: string): ParsedMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, error: "body is not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, error: "body is not an object" };
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof v.ip !== "string" || isIP(v.ip) === 0) problems.push(`ip ${JSON.stringify(v.ip)} is not an IP address`);
  if (typeof v.honeypot !== "string" || !NAME.test(v.honeypot)) problems.push(`honeypot ${JSON.stringify(v.honeypot)} is not a name`);
  if (typeof v.service !== "string" || !NAME.test(v.service)) problems.push(`service ${JSON.stringify(v.service)} is not a name`);
  if (v.task !== undefined && typeof v.task !== "string") problems.push("task is not a string");
  if (v.since !== undefined && !isIsoTime(v.since)) problems.push(`since ${JSON.stringify(v.since)} is not a time`);
  if (!isIsoTime(v.cycle)) problems.push(`cycle ${JSON.stringify(v.cycle)} is not a time`);
  if (v.cloud !== undefined && !(WATCHER_CLOUDS as readonly unknown[]).includes(v.cloud)) problems.push(`cloud ${JSON.stringify(v.cloud)} is not one of ${WATCHER_CLOUDS.join(", ")}`);
  if (v.external !== undefined && v.external !== true) problems.push("external is not true");
  if (v.label !== undefined && (typeof v.label !== "string" || !LABEL.test(v.label))) problems.push(`label ${JSON.stringify(v.label)} is not a label`);
  if (problems.length > 0) return { ok: false, error: problems.join("; ") };
  return {
    ok: true,
    message: {
      ip: v.ip as string,
      honeypot: v.honeypot as string,
      service: v.service as string,
      ...(v.task !== undefined ? { task: v.task as string } : {}),
      ...(v.since !== undefined ? { since: v.since as string } : {}),
      cycle: v.cycle as string,
      ...(v.cloud !== undefined ? { cloud: v.cloud as WatcherCloud } : {}),
      ...(v.external === true ? { external: true as const } : {}),
      ...(v.label !== undefined ? { label: v.label as string } : {}),
    },
  };
}
