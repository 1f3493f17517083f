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
}

export type ParsedMessage = { readonly ok: true; readonly message: IpMessage } | { readonly ok: false; readonly error: string };

const NAME = /^[a-z0-9][a-z0-9_.-]{0,127}$/i;

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
    },
  };
}
