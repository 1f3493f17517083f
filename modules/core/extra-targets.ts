/**
 * `watcher.extraTargets`: the addresses of honeypots lure did not deploy, checked and expanded at
 * synth time into the single addresses the watcher's functions look up. Only public unicast
 * addresses: a private, shared, loopback, link-local, documentation or multicast address is never in
 * a scanner's index, so asking for it spends a lookup on nothing (and usually means a typo).
 */
import { isIP } from "node:net";
import { EXTERNAL_HONEYPOT, type ExtraTarget } from "../../functions/core/extra-targets";
import { LABEL } from "../../functions/core/watcher-message";
import { cidrBounds, parseCidr } from "./cidr";
import type { ConfigProblem } from "./config";

/** One entry as written: an address or CIDR, or an object that also names the honeypot type and a label. */
export type ExtraTargetInput = string | { readonly address: string; readonly honeypot?: string; readonly label?: string };

/** Entries a config may list. */
export const MAX_EXTRA_TARGET_ENTRIES = 16;
/** Addresses all entries may expand to: every one costs a lookup per cycle on every enabled index. */
export const MAX_EXTRA_TARGET_ADDRESSES = 64;
/** The widest CIDR one entry may be: a /28 (16 addresses) in IPv4, a /124 in IPv6. */
export const MAX_EXTRA_TARGET_PREFIX = { 4: 28, 6: 124 } as const;

/** Ranges that are not public unicast, with the reason shown to the user. */
const NOT_PUBLIC: readonly (readonly [string, string])[] = [
  ["0.0.0.0/8", "“this network” (RFC 791)"],
  ["10.0.0.0/8", "private (RFC 1918)"],
  ["100.64.0.0/10", "shared carrier-grade NAT space (RFC 6598)"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private (RFC 1918)"],
  ["192.0.0.0/24", "IETF protocol assignments (RFC 6890)"],
  ["192.0.2.0/24", "documentation (RFC 5737)"],
  ["192.168.0.0/16", "private (RFC 1918)"],
  ["198.18.0.0/15", "benchmarking (RFC 2544)"],
  ["198.51.100.0/24", "documentation (RFC 5737)"],
  ["203.0.113.0/24", "documentation (RFC 5737)"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved (RFC 1112)"],
  ["::/127", "unspecified or loopback"],
  ["::ffff:0:0/96", "IPv4-mapped"],
  ["64:ff9b:1::/48", "local-use translation (RFC 8215)"],
  ["100::/64", "discard-only (RFC 6666)"],
  ["2001:db8::/32", "documentation (RFC 3849)"],
  ["fc00::/7", "unique local (RFC 4193)"],
  ["fe80::/10", "link-local"],
  ["ff00::/8", "multicast"],
];
const NOT_PUBLIC_BOUNDS = NOT_PUBLIC.map(([cidr, why]) => ({ ...cidrBounds(cidr)!, cidr, why }));

const NAME = /^[a-z0-9][a-z0-9_.-]{0,127}$/;

function addressText(version: 4 | 6, n: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
  const full = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(":");
  // Written as parseCidr writes it (RFC 5952 compression), the form users see in alerts.
  const parsed = parseCidr(`${full}/128`);
  return parsed.ok ? parsed.cidr.canonical.slice(0, -"/128".length) : full;
}

/**
 * The single addresses the entries stand for, and every problem (path relative to `path`). An
 * address listed twice (or covered by two entries) is looked up once, under its first entry.
 */
export function expandExtraTargets(entries: readonly unknown[], path = "watcher.extraTargets", knownHoneypots?: readonly string[]): { targets: ExtraTarget[]; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const targets: ExtraTarget[] = [];
  const seen = new Set<string>();
  if (entries.length > MAX_EXTRA_TARGET_ENTRIES) problems.push({ path, message: `lists ${entries.length} entries; at most ${MAX_EXTRA_TARGET_ENTRIES} are allowed` });
  entries.forEach((entry, i) => {
    const at = `${path}[${i}]`;
    const obj = typeof entry === "object" && entry !== null && !Array.isArray(entry) ? (entry as Record<string, unknown>) : undefined;
    const address = typeof entry === "string" ? entry : obj?.address;
    if (obj) {
      for (const k of Object.keys(obj)) if (!["address", "honeypot", "label"].includes(k)) problems.push({ path: `${at}.${k}`, message: "is not a setting of an extra target; allowed: address, honeypot, label" });
    } else if (typeof entry !== "string") {
      problems.push({ path: at, message: `${JSON.stringify(entry)} is not an address, a CIDR or { address, honeypot?, label? }` });
      return;
    }
    const honeypot = obj?.honeypot ?? EXTERNAL_HONEYPOT;
    if (typeof honeypot !== "string" || !NAME.test(honeypot)) problems.push({ path: `${at}.honeypot`, message: `${JSON.stringify(honeypot)} is not a honeypot name (lower case letters, digits, _ . -)` });
    else if (knownHoneypots && honeypot !== EXTERNAL_HONEYPOT && !knownHoneypots.includes(honeypot) && !knownHoneypots.some((k) => k.split("_")[0] === honeypot)) {
      problems.push({ path: `${at}.honeypot`, message: `"${honeypot}" is not a catalog honeypot or family; name one (e.g. conpot_default, conpot, cowrie) or leave it out for "${EXTERNAL_HONEYPOT}"` });
    }
    const label = obj?.label;
    if (label !== undefined && (typeof label !== "string" || !LABEL.test(label))) problems.push({ path: `${at}.label`, message: `${JSON.stringify(label)} is not a label (1-64 letters, digits, spaces and ._-, starting with a letter or digit)` });
    const where = obj ? `${at}.address` : at;
    if (typeof address !== "string") {
      problems.push({ path: where, message: "is required: an IPv4/IPv6 address or a small CIDR" });
      return;
    }
    const range = rangeOf(address);
    if ("problem" in range) {
      problems.push({ path: where, message: `"${address}" ${range.problem}` });
      return;
    }
    const blocked = NOT_PUBLIC_BOUNDS.find((r) => r.version === range.version && range.first <= r.last && r.first <= range.last);
    if (blocked) {
      problems.push({ path: where, message: `"${address}" is ${blocked.why} (${blocked.cidr}): no scanner index lists it; give public addresses only` });
      return;
    }
    for (let n = range.first; n <= range.last; n++) {
      const ip = addressText(range.version, n);
      if (seen.has(ip)) continue;
      seen.add(ip);
      targets.push({ ip, honeypot: typeof honeypot === "string" ? honeypot : EXTERNAL_HONEYPOT, ...(typeof label === "string" ? { label } : {}) });
    }
  });
  if (targets.length > MAX_EXTRA_TARGET_ADDRESSES) {
    problems.push({ path, message: `expands to ${targets.length} addresses; at most ${MAX_EXTRA_TARGET_ADDRESSES} are allowed (each costs a lookup per cycle on every index)` });
  }
  return { targets, problems };
}

function rangeOf(address: string): { version: 4 | 6; first: bigint; last: bigint } | { problem: string } {
  const text = address.trim();
  if (text !== address) return { problem: "has spaces around it" };
  if (!text.includes("/")) {
    const v = isIP(text);
    if (v === 0) return { problem: "is not an IPv4 or IPv6 address or CIDR" };
    return cidrBounds(`${text}/${v === 4 ? 32 : 128}`)!;
  }
  const parsed = parseCidr(text);
  if (!parsed.ok) return { problem: `is not a CIDR: ${parsed.reason}` };
  const { version, prefixLength } = parsed.cidr;
  if (prefixLength < MAX_EXTRA_TARGET_PREFIX[version]) {
    return { problem: `is too wide: at most a /${MAX_EXTRA_TARGET_PREFIX[version]} (${2 ** (version === 4 ? 32 - MAX_EXTRA_TARGET_PREFIX[4] : 128 - MAX_EXTRA_TARGET_PREFIX[6])} addresses) per entry` };
  }
  return cidrBounds(text)!;
}
