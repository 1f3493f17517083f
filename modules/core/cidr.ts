/** CIDR parsing for allow-lists: strict, so a typo never widens access. */

export interface Cidr {
  readonly version: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
  /** The CIDR written canonically (host bits cleared). */
  readonly canonical: string;
}

export type CidrResult = { ok: true; cidr: Cidr } | { ok: false; reason: string };

function parseV4(addr: string): number[] | undefined {
  const parts = addr.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined;
}

function parseV6(addr: string): number[] | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(addr) || addr.includes(":::")) return undefined;
  const halves = addr.split("::");
  if (halves.length > 2) return undefined;
  const group = (s: string) => (s === "" ? [] : s.split(":"));
  const head = group(halves[0]);
  const tail = halves.length === 2 ? group(halves[1]) : [];
  if ([...head, ...tail].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail].map((g) => parseInt(g, 16));
}

const clearHostBits = (words: number[], bitsPerWord: number, prefix: number): number[] =>
  words.map((w, i) => {
    const keep = Math.max(0, Math.min(bitsPerWord, prefix - i * bitsPerWord));
    const mask = keep === 0 ? 0 : ((0xffff_ffff << (bitsPerWord - keep)) >>> 0) & ((1 << bitsPerWord) - 1);
    return w & mask;
  });

const formatV6 = (groups: number[]): string => {
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
};

/** Parses `a.b.c.d/n` or an IPv6 `x::/n`. Host bits must be zero (else the fix is suggested). */
export function parseCidr(input: string): CidrResult {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(input);
  if (!m) return { ok: false, reason: "expected an address and a prefix length, e.g. 198.51.100.0/24 or 2001:db8::/32" };
  const [, addr, lenText] = m;
  const prefixLength = Number(lenText);
  const v4 = parseV4(addr);
  if (v4) {
    if (prefixLength > 32) return { ok: false, reason: "an IPv4 prefix length is 0 to 32" };
    const canonical = `${clearHostBits(v4, 8, prefixLength).join(".")}/${prefixLength}`;
    if (canonical !== `${addr}/${prefixLength}`) return { ok: false, reason: `host bits are set; did you mean "${canonical}"?` };
    return { ok: true, cidr: { version: 4, address: addr, prefixLength, canonical } };
  }
  const v6 = parseV6(addr);
  if (v6) {
    if (prefixLength > 128) return { ok: false, reason: "an IPv6 prefix length is 0 to 128" };
    const cleared = clearHostBits(v6, 16, prefixLength);
    const canonical = `${formatV6(cleared)}/${prefixLength}`;
    if (cleared.some((w, i) => w !== v6[i])) return { ok: false, reason: `host bits are set; did you mean "${canonical}"?` };
    return { ok: true, cidr: { version: 6, address: addr, prefixLength, canonical } };
  }
  return { ok: false, reason: "not an IPv4 or IPv6 address" };
}

/**
 * The first and last address a CIDR covers, as integers. Lenient where `parseCidr` is strict: host
 * bits are masked off, so it also reads what a stack or a user wrote non-canonically.
 */
export function cidrBounds(input: string): { version: 4 | 6; first: bigint; last: bigint } | undefined {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(input.trim());
  if (!m) return undefined;
  const v4 = parseV4(m[1]);
  const words = v4 ?? parseV6(m[1]);
  const bitsPerWord = v4 ? 8 : 16;
  const total = v4 ? 32 : 128;
  const prefix = Number(m[2]);
  if (!words || prefix > total) return undefined;
  const value = words.reduce((acc, w) => (acc << BigInt(bitsPerWord)) + BigInt(w), 0n);
  const size = 1n << BigInt(total - prefix);
  const first = value - (value % size);
  return { version: v4 ? 4 : 6, first, last: first + size - 1n };
}

/** True for 0.0.0.0/0 and ::/0. */
export const isWorldOpen = (c: Cidr): boolean => c.prefixLength === 0;

/** RFC 5737 / RFC 3849 documentation ranges: valid, but nobody is ever there. */
export function isDocumentationRange(c: Cidr): boolean {
  if (c.version === 6) return c.canonical.startsWith("2001:db8:") && c.prefixLength >= 32;
  return ["192.0.2.", "198.51.100.", "203.0.113."].some((p) => c.address.startsWith(p)) && c.prefixLength >= 24;
}

const v4Text = (n: bigint): string => [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");

/**
 * Subnet `index` of an IPv4 CIDR cut into 2^bits equal parts, as Terraform's `cidrsubnet` computes it,
 * but at synth time: for clouds where a private address must be known before deploy (it goes into a
 * VM's cloud-init).
 */
export function ipv4Subnet(cidr: string, bits: number, index: number): string {
  const b = cidrBounds(cidr);
  const prefix = Number(cidr.split("/")[1]) + bits;
  if (!b || b.version !== 4 || prefix > 32 || index < 0 || index >= 2 ** bits) throw new RangeError(`ipv4Subnet: cannot cut ${cidr} into 2^${bits}, part ${index}`);
  return `${v4Text(b.first + BigInt(index) * (1n << BigInt(32 - prefix)))}/${prefix}`;
}

/** Address `n` of an IPv4 CIDR (0 is the network address), as Terraform's `cidrhost`. */
export function ipv4Host(cidr: string, n: number): string {
  const b = cidrBounds(cidr);
  if (!b || b.version !== 4 || n < 0 || b.first + BigInt(n) > b.last) throw new RangeError(`ipv4Host: ${cidr} has no address ${n}`);
  return v4Text(b.first + BigInt(n));
}

/** The IPv4 entries of a CIDR list (an IPv6 one has a colon). */
export const ipv4Only = (cidrs: readonly string[]): string[] => cidrs.filter((c) => !c.includes(":"));
