/**
 * OpenSSH public keys as `authorized_keys` holds them (`<type> <base64> [comment]`), checked without
 * any crypto library: the base64 blob must decode to the SSH wire format whose first field repeats
 * the declared type (RFC 4253 §6.6), which catches a pasted private key, a truncated line and a key
 * whose type was edited by hand.
 */

/** Key types lure accepts; which cloud takes which is {@link sshKeyCloudProblem}'s. */
export const SSH_KEY_TYPES = ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"] as const;
export type SshKeyType = (typeof SSH_KEY_TYPES)[number];

export interface SshPublicKey {
  readonly type: SshKeyType;
  /** RSA modulus size in bits; the curve size for ECDSA; 256 for Ed25519. */
  readonly bits: number;
  readonly comment?: string;
}

/** Reads one length-prefixed field of the wire format at `offset`, or undefined past the end. */
function field(blob: Buffer, offset: number): { value: Buffer; next: number } | undefined {
  if (offset + 4 > blob.length) return undefined;
  const length = blob.readUInt32BE(offset);
  const end = offset + 4 + length;
  return end > blob.length ? undefined : { value: blob.subarray(offset + 4, end), next: end };
}

/** Bits of an SSH mpint (big-endian, a leading zero byte when the top bit is set). */
function mpintBits(v: Buffer): number {
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  if (i === v.length) return 0;
  return (v.length - i - 1) * 8 + (32 - Math.clz32(v[i]));
}

/** The parsed key, or why `text` is not an OpenSSH public key. */
export function parseSshPublicKey(text: string): { ok: true; key: SshPublicKey } | { ok: false; reason: string } {
  const line = text.trim();
  if (/PRIVATE KEY/.test(line)) return { ok: false, reason: "is a private key; give the public key (the .pub file), and keep the private key to yourself" };
  if (/^----/.test(line)) return { ok: false, reason: "is a PEM/RFC 4716 key; give it in OpenSSH form (`ssh-keygen -i -f key.pub` converts it)" };
  if (/[\r\n]/.test(line)) return { ok: false, reason: "spans several lines; give one key on one line" };
  const [type, data, ...rest] = line.split(/\s+/);
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    return { ok: false, reason: `does not start with a key type lure accepts (${SSH_KEY_TYPES.join(", ")})` };
  }
  if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0) return { ok: false, reason: `has no valid base64 key after "${type}"` };
  const blob = Buffer.from(data, "base64");
  const declared = field(blob, 0);
  if (!declared || declared.value.toString("latin1") !== type) {
    return { ok: false, reason: `has a key blob that does not decode to a "${type}" key (a truncated or edited line?)` };
  }
  const comment = rest.length > 0 ? rest.join(" ") : undefined;
  const withComment = (key: Omit<SshPublicKey, "comment">) => ({ ok: true as const, key: comment ? { ...key, comment } : key });
  if (type === "ssh-ed25519") {
    const pk = field(blob, declared.next);
    if (!pk || pk.value.length !== 32 || pk.next !== blob.length) return { ok: false, reason: "has an Ed25519 key blob of the wrong length (a truncated line?)" };
    return withComment({ type, bits: 256 });
  }
  if (type === "ssh-rsa") {
    const e = field(blob, declared.next);
    const n = e && field(blob, e.next);
    if (!n || n.next !== blob.length) return { ok: false, reason: "has an RSA key blob that ends early or runs on (a truncated line?)" };
    return withComment({ type, bits: mpintBits(n.value) });
  }
  const curve = field(blob, declared.next);
  const point = curve && field(blob, curve.next);
  if (!point || point.next !== blob.length || curve.value.toString("latin1") !== type.slice("ecdsa-sha2-".length)) {
    return { ok: false, reason: "has an ECDSA key blob that does not match its curve (a truncated or edited line?)" };
  }
  return withComment({ type: type as SshKeyType, bits: Number(type.slice("ecdsa-sha2-nistp".length)) });
}

/** The smallest RSA key lure accepts (and Azure's minimum). */
export const MIN_RSA_BITS = 2048;

/** Why a parsed key cannot be used on a cloud, or undefined. Azure takes RSA ≥ 2048 and Ed25519 only. */
export function sshKeyCloudProblem(key: SshPublicKey, cloud: "aws" | "azure" | "gcp"): string | undefined {
  if (cloud === "azure" && key.type.startsWith("ecdsa-")) {
    return `is a ${key.type} key, which Azure VMs do not accept (only ssh-rsa of at least ${MIN_RSA_BITS} bits or ssh-ed25519); give an Ed25519 key (\`ssh-keygen -t ed25519\`)`;
  }
  return undefined;
}
