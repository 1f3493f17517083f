/**
 * Flow-log parsers: AWS VPC flow log lines (default v2 format and lure's custom format) and
 * CloudWatch Logs subscription payloads, normalised to `FlowRecord` (reference/detection.md §2.1,
 * §2.2, §5.1). Nothing here throws on bad input: every line lands in exactly one `ParseStats`
 * counter (records, malformed, noData, skipData, ignored).
 *
 * ```ts
 * const stats = emptyParseStats();
 * parseFlowText(text, "aws", (r) => detector.observe(r), stats);
 * ```
 *
 * Outcome mapping (what a record says about a first contact from `src` to `dst:dport`):
 *
 * | record | outcome |
 * |---|---|
 * | `log-status` NODATA / SKIPDATA | no record (`noData` / `skipData`) |
 * | protocol other than TCP (6) / UDP (17) | no record (`ignored`): ICMP is not a target |
 * | `REJECT` (v2, or custom ingress / no direction) | FAIL: the security group or NACL refused it |
 * | v2 `ACCEPT` | OK |
 * | custom ingress TCP `ACCEPT`, tcp-flags SYN and RST, no FIN, ≤ 3 packets | FAIL: a half-open probe (nmap SYN scan to an open port: SYN, SYN-ACK, RST) |
 * | custom ingress TCP `ACCEPT`, tcp-flags exactly SYN (2), ≤ 2 packets | UNKNOWN: the handshake is not in this interval |
 * | custom ingress, any other `ACCEPT` (UDP included) | OK |
 * | custom egress TCP with RST, no SYN and no FIN | FAIL for the reversed tuple (src = the egress dst, dst = the egress src, dport = the egress srcport): our host refused a connection to a closed port behind an allowing security group (with FIN, it closed a connection instead) |
 * | custom egress TCP `ACCEPT` without RST, ≥ 2 packets averaging ≥ {@link PROOF_BYTES_PER_PACKET} bytes | OK with `proof` for the reversed tuple: our host sent data, which it does only on a completed handshake, so the peer's address is real |
 * | custom egress, anything else | no record (`ignored`) |
 *
 * Every record carries the peer's port (`sport`) and `proof` (false but for the egress rule above).
 *
 * A custom line whose `flow-direction` is `-` is read as ingress. In the custom format, src is
 * `pkt-srcaddr` when present (not `-`), else `srcaddr`; the same for dst: behind NAT or a secondary
 * address `srcaddr` is the interface's own address. S3 flow-log files start with a header line
 * (`version ...`); it is counted as `ignored`.
 *
 * Speed (DESIGN.md: ≥ 1 M records/s for parse + detect on one core): a line is cut into fields with
 * `indexOf` (kept inside the line) into two reused offset arrays, numbers are read from char codes,
 * and the only strings made per line are src and dst. Classification comes first and only the
 * fields a record uses are checked, so an ignored line with a bad address counts as ignored, not
 * malformed.
 */
import { gunzipSync } from "node:zlib";
import type { FlowRecord, Outcome, ParseStats } from "./quarantine-types";

/** lure's flow-log format (`aws_flow_log.log_format`): v2 fields without account-id, plus tcp-flags, pkt-srcaddr, pkt-dstaddr and flow-direction. */
export const AWS_CUSTOM_FORMAT =
  "${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} ${flow-direction}";

/** The 17 field names of AWS_CUSTOM_FORMAT, in order. */
export const AWS_CUSTOM_FIELDS: readonly string[] = Object.freeze(AWS_CUSTOM_FORMAT.split(" ").map((f) => f.slice(2, -1)));

/** The 14 fields of the default (version 2) format, in order. */
export const AWS_V2_FIELDS: readonly string[] = Object.freeze(
  "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status".split(" "),
);

/** Which text format a file or stream holds; "aws" picks v2 or custom per line by field count. */
export type AwsTextFormat = "aws-v2" | "aws-custom" | "aws";

const V2_COUNT = 14;
const CUSTOM_COUNT = 17;
const TCP = 6;
const UDP = 17;
const FIN = 1;
const SYN = 2;
const RST = 4;

// v2 field positions.
const V2_SRC = 3, V2_DST = 4, V2_SPORT = 5, V2_DPORT = 6, V2_PROTO = 7, V2_START = 10, V2_ACTION = 12, V2_STATUS = 13;
// Custom field positions.
const C_SRC = 2, C_DST = 3, C_SPORT = 4, C_DPORT = 5, C_PROTO = 6, C_PACKETS = 7, C_BYTES = 8, C_START = 9, C_ACTION = 11, C_STATUS = 12;
const C_FLAGS = 13, C_PKT_SRC = 14, C_PKT_DST = 15, C_DIR = 16;

// Field offsets of the line being parsed; reused so that parsing allocates nothing per field.
const FS = new Int32Array(CUSTOM_COUNT + 1);
const FE = new Int32Array(CUSTOM_COUNT + 1);

const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 13 || c === 10;

/** Cuts s[start, end) at single spaces into FS/FE; returns the field count (CUSTOM_COUNT + 1 means "too many"). */
function tokenize(s: string, start: number, end: number): number {
  while (start < end && isBlank(s.charCodeAt(start))) start++;
  while (end > start && isBlank(s.charCodeAt(end - 1))) end--;
  if (start === end) return 0;
  // indexOf is fast but does not stop at `end`: only ask it for spaces known to lie inside the line
  // (up to its last space, found backwards), so that it never runs on into the following lines.
  let last = end - 1;
  while (last >= start && s.charCodeAt(last) !== 32) last--;
  let n = 0;
  let p = start;
  while (p <= last) {
    if (n > CUSTOM_COUNT) return n;
    const q = s.indexOf(" ", p);
    FS[n] = p;
    FE[n] = q;
    n++;
    p = q + 1;
  }
  if (n > CUSTOM_COUNT) return n;
  FS[n] = p;
  FE[n] = end;
  return n + 1;
}

/** Unsigned decimal in s[a, b), or -1 (empty, `-`, a non-digit, more than 15 digits). */
function uint(s: string, a: number, b: number): number {
  if (a >= b || b - a > 15) return -1;
  let v = 0;
  for (let i = a; i < b; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

const isDash = (s: string, a: number, b: number): boolean => b - a === 1 && s.charCodeAt(a) === 45;
const fieldIs = (s: string, a: number, b: number, word: string): boolean => b - a === word.length && s.startsWith(word, a);

/**
 * The IPv4 dotted quad in s[start, end) as an unsigned 32-bit number, or -1 when it is not one.
 * Used by the detector to pack targets and test allow-lists without building strings.
 */
export function ipv4Value(s: string, start = 0, end = s.length): number {
  if (end - start < 7 || end - start > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || digits === 3) return -1;
      octet = octet * 10 + d;
      if (octet > 255) return -1;
      digits++;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

const GROUPS = new Uint16Array(8);

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Whether s[start, end) is an IPv6 address (`::` compression and a trailing dotted quad allowed, no
 * zone id). When `out` is given, its 8 entries receive the 16-bit groups.
 */
export function ipv6Groups(s: string, start = 0, end = s.length, out?: Uint16Array | number[]): boolean {
  if (end - start < 2 || end - start > 45) return false;
  let g = 0;
  let gap = -1;
  let i = start;
  if (s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    let v = 0;
    let n = 0;
    let j = i;
    for (; j < end; j++) {
      const h = hexDigit(s.charCodeAt(j));
      if (h < 0) break;
      if (++n > 4) return false;
      v = v * 16 + h;
    }
    if (j < end && s.charCodeAt(j) === 46) {
      // An embedded IPv4 address ends the text and fills two groups.
      if (g > 6) return false;
      const v4 = ipv4Value(s, i, end);
      if (v4 < 0) return false;
      GROUPS[g++] = Math.floor(v4 / 65536);
      GROUPS[g++] = v4 % 65536;
      i = end;
      break;
    }
    if (n === 0 || g === 8) return false;
    GROUPS[g++] = v;
    if (j === end) break;
    if (s.charCodeAt(j) !== 58) return false;
    j++;
    if (j < end && s.charCodeAt(j) === 58) {
      if (gap >= 0) return false;
      gap = g;
      j++;
    } else if (j === end) return false;
    i = j;
  }
  if (gap < 0 ? g !== 8 : g > 7) return false;
  if (out) {
    const zeros = 8 - g;
    for (let k = 0, w = 0; k < 8; k++) {
      if (gap >= 0 && k >= gap && k < gap + zeros) out[k] = 0;
      else out[k] = GROUPS[w++];
    }
  }
  return true;
}

/** The address in s[a, b) as a string, or undefined when it is `-` or not an IPv4/IPv6 address. */
function address(s: string, a: number, b: number): string | undefined {
  return ipv4Value(s, a, b) >= 0 || ipv6Groups(s, a, b) ? s.substring(a, b) : undefined;
}

/**
 * A copy of an address from a parsed record that keeps nothing else alive. The parsers cut addresses
 * out of the text they read, and V8 keeps the whole text alive as long as such a cut (13 characters
 * or more) lives: a long-lived map keyed by `r.src` would hold every chunk of input it ever saw.
 */
export function ownAddress(a: string): string {
  return Buffer.from(a, "latin1").toString("latin1");
}

/** log-status: 0 OK, 1 NODATA, 2 SKIPDATA, -1 anything else. */
function logStatus(s: string, a: number, b: number): number {
  if (fieldIs(s, a, b, "OK")) return 0;
  if (fieldIs(s, a, b, "NODATA")) return 1;
  if (fieldIs(s, a, b, "SKIPDATA")) return 2;
  return -1;
}

/** action: 1 ACCEPT, 2 REJECT, -1 anything else. */
function action(s: string, a: number, b: number): number {
  if (fieldIs(s, a, b, "ACCEPT")) return 1;
  if (fieldIs(s, a, b, "REJECT")) return 2;
  return -1;
}

/**
 * Average bytes per packet (IP headers included) above which an egress record carried data: a
 * SYN-ACK, its retransmissions and bare ACKs are 40–76 bytes, a TLS or HTTP reply far more.
 */
export const PROOF_BYTES_PER_PACKET = 100;

function record(time: number, src: string, dst: string, sport: number, dport: number, proto: number, outcome: Outcome, proof: boolean, stats: ParseStats): FlowRecord {
  stats.records++;
  return { time, src, dst, dport, proto, outcome, sport, proof };
}

/** Counts the status of a NODATA/SKIPDATA line; false when the line is not one of those. */
function noTraffic(status: number, stats: ParseStats): boolean {
  if (status === 1) stats.noData++;
  else if (status === 2) stats.skipData++;
  else return false;
  return true;
}

function v2Fields(s: string, stats: ParseStats): FlowRecord | undefined {
  const status = logStatus(s, FS[V2_STATUS], FE[V2_STATUS]);
  if (noTraffic(status, stats)) return undefined;
  const proto = uint(s, FS[V2_PROTO], FE[V2_PROTO]);
  const dport = uint(s, FS[V2_DPORT], FE[V2_DPORT]);
  const sport = uint(s, FS[V2_SPORT], FE[V2_SPORT]);
  const time = uint(s, FS[V2_START], FE[V2_START]);
  const act = action(s, FS[V2_ACTION], FE[V2_ACTION]);
  if (status < 0 || proto < 0 || proto > 255 || dport < 0 || dport > 65535 || sport < 0 || sport > 65535 || time < 0 || act < 0) {
    stats.malformed++;
    return undefined;
  }
  if (proto !== TCP && proto !== UDP) {
    stats.ignored++;
    return undefined;
  }
  const src = address(s, FS[V2_SRC], FE[V2_SRC]);
  const dst = src === undefined ? undefined : address(s, FS[V2_DST], FE[V2_DST]);
  if (dst === undefined) {
    stats.malformed++;
    return undefined;
  }
  return record(time, src!, dst, sport, dport, proto, act === 2 ? "FAIL" : "OK", false, stats);
}

/** The packet-level address (pkt-*) when present, else the interface-level one. */
function peer(s: string, pkt: number, iface: number): string | undefined {
  return isDash(s, FS[pkt], FE[pkt]) ? address(s, FS[iface], FE[iface]) : address(s, FS[pkt], FE[pkt]);
}

function customFields(s: string, stats: ParseStats): FlowRecord | undefined {
  const status = logStatus(s, FS[C_STATUS], FE[C_STATUS]);
  if (noTraffic(status, stats)) return undefined;
  const proto = uint(s, FS[C_PROTO], FE[C_PROTO]);
  const time = uint(s, FS[C_START], FE[C_START]);
  const act = action(s, FS[C_ACTION], FE[C_ACTION]);
  const packets = uint(s, FS[C_PACKETS], FE[C_PACKETS]);
  // tcp-flags is `-` on records that have none to report; read it as no flags.
  const flags = isDash(s, FS[C_FLAGS], FE[C_FLAGS]) ? 0 : uint(s, FS[C_FLAGS], FE[C_FLAGS]);
  const dirA = FS[C_DIR];
  const dirB = FE[C_DIR];
  const egress = fieldIs(s, dirA, dirB, "egress");
  if (
    status < 0 || proto < 0 || proto > 255 || time < 0 || act < 0 || packets < 0 || flags < 0 || flags > 255 ||
    !(egress || fieldIs(s, dirA, dirB, "ingress") || isDash(s, dirA, dirB))
  ) {
    stats.malformed++;
    return undefined;
  }
  // Egress: our host refused the peer's connection (RST alone), or sent it data (a proof).
  const refused = egress && (flags & (SYN | RST | FIN)) === RST;
  const proof = egress && !refused && (flags & RST) === 0 && act === 1 && packets >= 2 && proofBytes(s, packets);
  if ((proto !== TCP && proto !== UDP) || (egress && (proto !== TCP || !(refused || proof)))) {
    stats.ignored++;
    return undefined;
  }
  let outcome: Outcome;
  let dport: number;
  let sport: number;
  let src: string | undefined;
  let dst: string | undefined;
  if (egress) {
    // The reversed tuple: the peer's contact to our srcport.
    outcome = refused ? "FAIL" : "OK";
    dport = uint(s, FS[C_SPORT], FE[C_SPORT]);
    sport = uint(s, FS[C_DPORT], FE[C_DPORT]);
    src = peer(s, C_PKT_DST, C_DST);
    dst = src === undefined ? undefined : peer(s, C_PKT_SRC, C_SRC);
  } else {
    if (act === 2) outcome = "FAIL";
    else if (proto === TCP && (flags & (SYN | RST | FIN)) === (SYN | RST) && packets <= 3) outcome = "FAIL";
    else if (proto === TCP && flags === SYN && packets <= 2) outcome = "UNKNOWN";
    else outcome = "OK";
    dport = uint(s, FS[C_DPORT], FE[C_DPORT]);
    sport = uint(s, FS[C_SPORT], FE[C_SPORT]);
    src = peer(s, C_PKT_SRC, C_SRC);
    dst = src === undefined ? undefined : peer(s, C_PKT_DST, C_DST);
  }
  if (dport < 0 || dport > 65535 || sport < 0 || sport > 65535 || dst === undefined) {
    stats.malformed++;
    return undefined;
  }
  return record(time, src!, dst, sport, dport, proto, outcome, proof, stats);
}

/** Whether the line's bytes field averages at least PROOF_BYTES_PER_PACKET per packet (false when it is not a number). */
function proofBytes(s: string, packets: number): boolean {
  const bytes = uint(s, FS[C_BYTES], FE[C_BYTES]);
  return bytes >= PROOF_BYTES_PER_PACKET * packets;
}

/** One line s[a, b): `want` is the field count required (0: either format). */
function parseRange(s: string, a: number, b: number, want: number, stats: ParseStats): FlowRecord | undefined {
  stats.lines++;
  const n = tokenize(s, a, b);
  // A file header (`version account-id ...` in S3 objects) names the fields.
  if (n > 0 && s.charCodeAt(FS[0]) === 118 && fieldIs(s, FS[0], FE[0], "version")) {
    stats.ignored++;
    return undefined;
  }
  if (n === V2_COUNT && (want === 0 || want === V2_COUNT)) return v2Fields(s, stats);
  if (n === CUSTOM_COUNT && (want === 0 || want === CUSTOM_COUNT)) return customFields(s, stats);
  stats.malformed++;
  return undefined;
}

/** One line of the default (version 2) format. */
export function parseAwsV2Line(line: string, stats: ParseStats): FlowRecord | undefined {
  return parseRange(line, 0, line.length, V2_COUNT, stats);
}

/** One line of AWS_CUSTOM_FORMAT. */
export function parseAwsCustomLine(line: string, stats: ParseStats): FlowRecord | undefined {
  return parseRange(line, 0, line.length, CUSTOM_COUNT, stats);
}

/** Either AWS format, chosen per line by field count (14 = v2, 17 = custom). */
export function parseAwsLine(line: string, stats: ParseStats): FlowRecord | undefined {
  return parseRange(line, 0, line.length, 0, stats);
}

/** Every line of a text (either '\n' or '\r\n'); blank lines are not counted. */
export function parseFlowText(text: string, format: AwsTextFormat, onRecord: (r: FlowRecord) => void, stats: ParseStats): void {
  parseFlowLines(text, format, onRecord, stats);
}

/**
 * parseFlowText with line numbers: each record comes with the 1-based number of its line, counting
 * every line, blank ones included (which the stats do not count), from `firstLine` for the text's
 * first. For `cwl-json` each line is one JSON object (parseCwlJsonText) and its records share its
 * number. Returns the number the line after the text would get, so that a text read in pieces cut
 * just after a '\n' is numbered as a whole: `next = parseFlowLines(piece, format, onRecord, stats, next)`.
 */
export function parseFlowLines(
  text: string,
  format: AwsTextFormat | "cwl-json",
  onRecord: (r: FlowRecord, line: number) => void,
  stats: ParseStats,
  firstLine = 1,
): number {
  const want = format === "aws-v2" ? V2_COUNT : format === "aws-custom" ? CUSTOM_COUNT : 0;
  const length = text.length;
  let line = firstLine;
  let a = 0;
  while (a < length) {
    let b = text.indexOf("\n", a);
    if (b < 0) b = length;
    let blank = true;
    for (let i = a; i < b; i++) {
      if (!isBlank(text.charCodeAt(i))) {
        blank = false;
        break;
      }
    }
    if (!blank) {
      if (format === "cwl-json") cwlJsonLine(text.slice(a, b), line, onRecord, stats);
      else {
        const r = parseRange(text, a, b, want, stats);
        if (r !== undefined) onRecord(r, line);
      }
    }
    line++;
    a = b + 1;
  }
  return line;
}

/** One cwl-json line; its own function so the AWS loop above keeps `line` out of a closure. */
function cwlJsonLine(json: string, line: number, onRecord: (r: FlowRecord, line: number) => void, stats: ParseStats): void {
  parseCwlJsonText(json, (r) => onRecord(r, line), stats);
}

/** A decoded CloudWatch Logs subscription payload, as far as the parsers need it. */
interface CwlPayload {
  messageType?: unknown;
  logGroup?: unknown;
  logStream?: unknown;
  logEvents?: unknown;
}

/** The messages of a decoded payload; counts control messages and anything unusable. */
function payloadMessages(payload: unknown, stats: ParseStats): { logGroup?: string; logStream?: string; messages: string[] } {
  if (typeof payload !== "object" || payload === null) {
    stats.malformed++;
    return { messages: [] };
  }
  const p = payload as CwlPayload;
  const where = {
    ...(typeof p.logGroup === "string" ? { logGroup: p.logGroup } : {}),
    ...(typeof p.logStream === "string" ? { logStream: p.logStream } : {}),
  };
  if (p.messageType === "CONTROL_MESSAGE") {
    stats.controlMessages++;
    return { ...where, messages: [] };
  }
  if (p.messageType !== "DATA_MESSAGE" || !Array.isArray(p.logEvents)) {
    stats.malformed++;
    return { ...where, messages: [] };
  }
  const messages: string[] = [];
  for (const e of p.logEvents as unknown[]) {
    const m = typeof e === "object" && e !== null ? (e as { message?: unknown }).message : undefined;
    if (typeof m === "string") messages.push(m);
    else {
      // An event without a message is a line we could not read.
      stats.lines++;
      stats.malformed++;
    }
  }
  return { ...where, messages };
}

/**
 * CloudWatch Logs subscription data: base64(gzip(JSON)). Returns the log events' messages of a
 * DATA_MESSAGE; a CONTROL_MESSAGE → [] and stats.controlMessages++; undecodable → [] and
 * stats.malformed++ (never throws).
 */
export function decodeCloudWatchLogs(data: string, stats: ParseStats): { logGroup?: string; logStream?: string; messages: string[] } {
  let payload: unknown;
  try {
    payload = JSON.parse(gunzipSync(Buffer.from(data, "base64")).toString("utf8"));
  } catch {
    stats.malformed++;
    return { messages: [] };
  }
  return payloadMessages(payload, stats);
}

function parseMessages(messages: readonly string[], onRecord: (r: FlowRecord) => void, stats: ParseStats): void {
  for (const m of messages) {
    const r = parseAwsLine(m, stats);
    if (r !== undefined) onRecord(r);
  }
}

/** One subscription event `{awslogs:{data}}` → records through onRecord (uses parseAwsLine per message). */
export function parseCloudWatchEvent(event: unknown, onRecord: (r: FlowRecord) => void, stats: ParseStats): void {
  const awslogs = typeof event === "object" && event !== null ? (event as { awslogs?: unknown }).awslogs : undefined;
  const data = typeof awslogs === "object" && awslogs !== null ? (awslogs as { data?: unknown }).data : undefined;
  if (typeof data !== "string") {
    stats.malformed++;
    return;
  }
  parseMessages(decodeCloudWatchLogs(data, stats).messages, onRecord, stats);
}

/**
 * `cwl-json` files (for `lure simulate`): one JSON object per line, either a subscription event
 * `{"awslogs":{"data":...}}` or an already-decoded payload
 * `{"messageType":"DATA_MESSAGE","logEvents":[{"message":...}]}`. Blank lines are skipped; a line
 * that is not JSON, or neither shape, counts as malformed.
 */
export function parseCwlJsonText(text: string, onRecord: (r: FlowRecord) => void, stats: ParseStats): void {
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      stats.malformed++;
      continue;
    }
    if (typeof value === "object" && value !== null && "awslogs" in value) parseCloudWatchEvent(value, onRecord, stats);
    else parseMessages(payloadMessages(value, stats).messages, onRecord, stats);
  }
}
