/**
 * Extra targets (`watcher.extraTargets`): addresses of honeypots lure did not deploy (on premises,
 * another provider), looked up by the same watcher every cycle and alerted like lure's own, never
 * rotated. The config expands CIDRs at synth time, so the functions get single addresses.
 */
import { isIP } from "node:net";
import { LABEL, type IpMessage, type WatcherCloud } from "./watcher-message";

/** The `service` of an extra target's messages: there is no cloud unit behind it. */
export const EXTERNAL_SERVICE = "external";
/** Honeypot type of an extra target whose config names none. */
export const EXTERNAL_HONEYPOT = "external";

export interface ExtraTarget {
  readonly ip: string;
  /** Catalog name of what runs there (for the report's by-type figures). @default "external" */
  readonly honeypot: string;
  readonly label?: string;
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,127}$/i;

/** Reads the functions' `LURE_EXTRA_TARGETS` (a JSON list); throws listing every problem. Absent or empty: none. */
export function parseExtraTargets(raw: string | undefined, variable = "LURE_EXTRA_TARGETS"): ExtraTarget[] {
  if (raw === undefined || raw.trim() === "") return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`${variable} is not JSON`);
  }
  if (!Array.isArray(value)) throw new Error(`${variable} is not a list`);
  const problems: string[] = [];
  const targets: ExtraTarget[] = [];
  value.forEach((t: unknown, i) => {
    const v = (typeof t === "object" && t !== null ? t : {}) as Record<string, unknown>;
    const bad: string[] = [];
    if (typeof v.ip !== "string" || isIP(v.ip) === 0) bad.push(`ip ${JSON.stringify(v.ip)} is not an IP address`);
    if (typeof v.honeypot !== "string" || !NAME.test(v.honeypot)) bad.push(`honeypot ${JSON.stringify(v.honeypot)} is not a name`);
    if (v.label !== undefined && (typeof v.label !== "string" || !LABEL.test(v.label))) bad.push(`label ${JSON.stringify(v.label)} is not a label`);
    if (bad.length > 0) problems.push(`${variable}[${i}]: ${bad.join("; ")}`);
    else targets.push({ ip: v.ip as string, honeypot: v.honeypot as string, ...(v.label !== undefined ? { label: v.label as string } : {}) });
  });
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return targets;
}

/**
 * This cycle's messages for the extra targets, after lure's own: an address lure also holds now
 * (a user listing a honeynet IP by mistake) is looked up once, as lure's.
 */
export function extraTargetMessages(targets: readonly ExtraTarget[], cycle: string, cloud: WatcherCloud, own: readonly IpMessage[]): IpMessage[] {
  const taken = new Set(own.map((m) => m.ip));
  return targets
    .filter((t) => !taken.has(t.ip))
    .map((t) => ({ ip: t.ip, honeypot: t.honeypot, service: EXTERNAL_SERVICE, cycle, cloud, external: true as const, ...(t.label !== undefined ? { label: t.label } : {}) }));
}
