/**
 * Exposure evaluation: what an index answer means for one honeypot IP, and whether it is news.
 * Alerts fire on a change of state only, so a honeypot that stays listed is reported once.
 */
import type { LookupResult } from "./scanner-index";

/** What we know about one IP after a lookup; stored as the "latest" state and compared next time. */
export interface ExposureState {
  readonly ip: string;
  readonly honeypot: string;
  readonly checkedAt: string;
  /** Index name ("shodan"). */
  readonly index: string;
  /** The index lists services on this IP seen while we held it. */
  readonly found: boolean;
  /** Ports the index saw while we held the IP, sorted, as "502/tcp". */
  readonly ports: readonly string[];
  /** The index tags the host (or one of our banners) as a honeypot. */
  readonly honeypotTagged: boolean;
  readonly honeyscore?: number;
  /** The index had data for the IP, but all of it predates our use of the IP. */
  readonly staleOnly: boolean;
  /** First time this IP was found while it was ours. */
  readonly firstFoundAt?: string;
}

export type ExposureChange =
  | { readonly kind: "new-exposure"; readonly ports: readonly string[] }
  | { readonly kind: "new-ports"; readonly ports: readonly string[] }
  | { readonly kind: "honeypot-tag" }
  | { readonly kind: "honeyscore"; readonly score: number };

export interface Evaluation {
  readonly state: ExposureState;
  /** Alert-worthy changes since the previous state, in a stable order; empty means "no news". */
  readonly changes: readonly ExposureChange[];
  readonly changed: boolean;
}

export interface EvaluateInput {
  readonly ip: string;
  readonly honeypot: string;
  readonly index: string;
  readonly answer: LookupResult;
  /** The stored state of this IP, if any. */
  readonly previous?: ExposureState;
  readonly now: Date;
  /** When we started holding the IP; index data older than this belongs to someone else. */
  readonly since?: Date;
  /** Honeyscore at or above which the index is taken to have fingerprinted the honeypot. @default 0.5 */
  readonly honeyscoreThreshold?: number;
}

export const HONEYPOT_TAG = "honeypot";
export const DEFAULT_HONEYSCORE_THRESHOLD = 0.5;

/** Indexes write UTC timestamps, Shodan without a zone suffix. */
export function parseIndexTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const withZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`;
  const t = Date.parse(withZone);
  return Number.isNaN(t) ? undefined : t;
}

export function evaluateExposure(input: EvaluateInput): Evaluation {
  const threshold = input.honeyscoreThreshold ?? DEFAULT_HONEYSCORE_THRESHOLD;
  const since = input.since?.getTime();
  // A previous state from before we held the IP, or for another honeypot, says nothing about this one.
  const prev =
    input.previous && input.previous.honeypot === input.honeypot && (since === undefined || (parseIndexTime(input.previous.checkedAt) ?? 0) >= since)
      ? input.previous
      : undefined;

  let ports: string[] = [];
  let honeypotTagged = false;
  let staleOnly = false;
  let honeyscore: number | undefined;
  if (input.answer.kind === "found") {
    const { host } = input.answer;
    // Banners without a time are counted: we cannot tell they are old.
    const current = host.banners.filter((b) => since === undefined || (parseIndexTime(b.seenAt) ?? Infinity) >= since);
    ports = [...new Set(current.map((b) => `${b.port}/${b.transport}`))].sort(comparePorts);
    const hostIsCurrent = current.length > 0 || since === undefined || (parseIndexTime(host.lastUpdate) ?? Infinity) >= since;
    honeypotTagged = (hostIsCurrent && host.tags.includes(HONEYPOT_TAG)) || current.some((b) => b.tags.includes(HONEYPOT_TAG));
    staleOnly = current.length === 0 && !honeypotTagged;
    if (!staleOnly) honeyscore = input.answer.honeyscore;
  }
  const found = ports.length > 0 || honeypotTagged;
  const nowIso = input.now.toISOString();

  const changes: ExposureChange[] = [];
  if (found && !prev?.found) changes.push({ kind: "new-exposure", ports });
  else if (found && prev) {
    const known = new Set(prev.ports);
    const added = ports.filter((p) => !known.has(p));
    if (added.length > 0) changes.push({ kind: "new-ports", ports: added });
  }
  if (honeypotTagged && !prev?.honeypotTagged) changes.push({ kind: "honeypot-tag" });
  if (honeyscore !== undefined && honeyscore >= threshold && !((prev?.honeyscore ?? -1) >= threshold)) changes.push({ kind: "honeyscore", score: honeyscore });

  const state: ExposureState = {
    ip: input.ip,
    honeypot: input.honeypot,
    checkedAt: nowIso,
    index: input.index,
    found,
    ports,
    honeypotTagged,
    ...(honeyscore !== undefined ? { honeyscore } : {}),
    staleOnly,
    ...(found ? { firstFoundAt: prev?.found && prev.firstFoundAt ? prev.firstFoundAt : nowIso } : {}),
  };
  return { state, changes, changed: changes.length > 0 };
}

function comparePorts(a: string, b: string): number {
  const [pa, ta] = a.split("/");
  const [pb, tb] = b.split("/");
  return Number(pa) - Number(pb) || ta.localeCompare(tb);
}
