/**
 * Azure VNet flow-log parser (flowLogVersion 4; reference/detection.md §2.3, §5.1), normalised to the
 * same `FlowRecord` the AWS parsers in `./flow` produce, for the same detector. Nothing here throws
 * on bad input: it is counted in `ParseStats`.
 *
 * ```ts
 * const stats = emptyVnetParseStats();
 * parseVnetFlowDocument(blobText, (r) => detector.observe(r), stats);      // a whole PT1H.json
 * const { closed } = parseVnetFlowSlice(newBlockBytes, (r) => detector.observe(r), stats); // only the new blocks
 * ```
 *
 * A document is `{"records":[record, ...]}`; each record of version 4 holds
 * `flowRecords.flows[].flowGroups[].flowTuples[]`, and each tuple is one CSV string of 13 fields:
 * `ts,src,dst,sport,dport,proto,I|O,B|C|E|D,encryption,packets s→d,bytes s→d,packets d→s,bytes d→s`.
 * A tuple describes a whole flow (one connection), named by the side that opened it: `I` flows were
 * opened by the peer, and their d→s counters are our side's replies.
 *
 * Outcome mapping (what a tuple says about a first contact from `src` to `dst:dport`):
 *
 * | tuple | outcome |
 * |---|---|
 * | protocol other than TCP (6) / UDP (17) | no record (`ignored`), as in `./flow` |
 * | direction `O` (our side opened the flow) | no record (`ignored`): not a peer's first contact |
 * | `I`, state `D` | FAIL: the NSG denied it |
 * | `I`, state `B`/`C`/`E`, packets both ways | OK; with `proof` when the d→s side sent ≥ 2 packets averaging ≥ {@link PROOF_BYTES_PER_PACKET} bytes (the rule `./flow` applies to AWS egress: our side sent data, which it does only on a completed handshake) |
 * | `I`, state `B`/`C`/`E`, no packets one way (a `B` tuple carries no counters) | UNKNOWN: a later `C`/`E` tuple of the same flow settles the target in the detector |
 *
 * VNet tuples have no TCP flags, so a half-open probe (SYN, SYN-ACK, RST) to a port the NSG admits
 * reads as OK here where the AWS custom format calls it FAIL; with the NSG admitting only the
 * listener ports, every other probe is a `D`.
 *
 * Checks, as in `./flow`: a tuple with other than 13 fields, or a direction, state or protocol that
 * is not one, is `malformed`; classification comes next, and only the fields a record uses are then
 * checked (timestamp, ports, addresses; the counters unless the state is `D`). An empty counter is
 * read as 0 (no statistics). The encryption field is not read.
 *
 * Time: `FlowRecord.time` is Unix seconds. The docs call the tuple's timestamp "UNIX epoch format"
 * but their sample is in milliseconds; both are accepted by magnitude: a value of at least
 * {@link VNET_MS_THRESHOLD} (1e11: March 1973 in milliseconds, year 5138 in seconds) is read as
 * milliseconds and floored to the second.
 *
 * Counting: `lines` counts tuples. `malformed` counts a bad tuple (a line) and, with no line, each
 * unreadable document (bad JSON, no `records` array), record (not an object, another
 * `flowLogVersion`, no `flowRecords.flows` array), flow (no `flowGroups` array) or group (no
 * `flowTuples` array). A record of another version (NSG flow logs included: they have no
 * `flowLogVersion`) is not looked into; with a {@link VnetParseStats} it is also counted in
 * `unsupportedVersion`, a part of `malformed`.
 */
import { ipv4Value, ipv6Groups, PROOF_BYTES_PER_PACKET } from "./flow";
import { emptyParseStats, type FlowRecord, type Outcome, type ParseStats } from "./quarantine-types";

/** The only `flowLogVersion` read (as the number 4 or the string "4"). */
export const VNET_FLOW_LOG_VERSION = 4;

/** Tuple timestamps at or above this are milliseconds, below it seconds. */
export const VNET_MS_THRESHOLD = 1e11;

/** ParseStats plus the VNet-only breakdown. */
export interface VnetParseStats extends ParseStats {
  /** Records refused for their `flowLogVersion` (missing, or not 4); also counted in `malformed`. */
  unsupportedVersion: number;
}

export const emptyVnetParseStats = (): VnetParseStats => ({ ...emptyParseStats(), unsupportedVersion: 0 });

/** What a slice held besides records: the document's opening `{"records":[` and its closing `]}`. */
export interface VnetSliceInfo {
  /** The slice began with the document's opening. */
  readonly opened: boolean;
  /** The slice ended with the document's closing: the blob is complete (nothing follows in a well-formed PT1H.json). */
  readonly closed: boolean;
}

const TCP = 6;
const UDP = 17;
const FIELDS = 13;
// Tuple field positions.
const F_TS = 0, F_SRC = 1, F_DST = 2, F_SPORT = 3, F_DPORT = 4, F_PROTO = 5, F_DIR = 6, F_STATE = 7;
const F_PKTS_OUT = 9, F_PKTS_BACK = 11, F_BYTES_BACK = 12;

// Field offsets of the tuple being parsed, reused (as in ./flow).
const FS = new Int32Array(FIELDS + 1);
const FE = new Int32Array(FIELDS + 1);

/** Cuts s at commas into FS/FE; returns the field count (FIELDS + 1 means "too many"). */
function cut(s: string): number {
  let n = 0;
  let p = 0;
  for (;;) {
    const q = s.indexOf(",", p);
    FS[n] = p;
    FE[n] = q < 0 ? s.length : q;
    n++;
    if (q < 0 || n > FIELDS) return n;
    p = q + 1;
  }
}

/** Unsigned decimal in s[a, b): -1 when empty, not digits, or more than 15 digits. */
function decimal(s: string, a: number, b: number): number {
  if (a >= b || b - a > 15) return -1;
  let v = 0;
  for (let i = a; i < b; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** A counter field: empty is 0 (no statistics), otherwise as `decimal`. */
const counter = (s: string, f: number): number => (FS[f] === FE[f] ? 0 : decimal(s, FS[f], FE[f]));

/** The one-letter field f, as a char code, or -1. */
const letter = (s: string, f: number): number => (FE[f] - FS[f] === 1 ? s.charCodeAt(FS[f]) : -1);

function address(s: string, f: number): string | undefined {
  const a = FS[f];
  const b = FE[f];
  return ipv4Value(s, a, b) >= 0 || ipv6Groups(s, a, b) ? s.substring(a, b) : undefined;
}

const I = 73, O = 79, B = 66, C = 67, E = 69, D = 68;

/** One flow tuple → a record, or undefined (counted). */
export function parseVnetFlowTuple(tuple: string, stats: ParseStats): FlowRecord | undefined {
  stats.lines++;
  if (cut(tuple) !== FIELDS) {
    stats.malformed++;
    return undefined;
  }
  const dir = letter(tuple, F_DIR);
  const state = letter(tuple, F_STATE);
  const proto = decimal(tuple, FS[F_PROTO], FE[F_PROTO]);
  if ((dir !== I && dir !== O) || (state !== B && state !== C && state !== E && state !== D) || proto < 0 || proto > 255) {
    stats.malformed++;
    return undefined;
  }
  if (dir === O || (proto !== TCP && proto !== UDP)) {
    stats.ignored++;
    return undefined;
  }
  const ts = decimal(tuple, FS[F_TS], FE[F_TS]);
  const sport = decimal(tuple, FS[F_SPORT], FE[F_SPORT]);
  const dport = decimal(tuple, FS[F_DPORT], FE[F_DPORT]);
  const src = address(tuple, F_SRC);
  const dst = src === undefined ? undefined : address(tuple, F_DST);
  if (ts < 0 || sport < 0 || sport > 65535 || dport < 0 || dport > 65535 || dst === undefined) {
    stats.malformed++;
    return undefined;
  }
  let outcome: Outcome = "FAIL";
  let proof = false;
  if (state !== D) {
    const out = counter(tuple, F_PKTS_OUT);
    const back = counter(tuple, F_PKTS_BACK);
    const backBytes = counter(tuple, F_BYTES_BACK);
    // bytes s→d is not used, but a counter that is not a number makes the tuple unreadable.
    if (out < 0 || back < 0 || backBytes < 0 || counter(tuple, F_PKTS_OUT + 1) < 0) {
      stats.malformed++;
      return undefined;
    }
    outcome = out > 0 && back > 0 ? "OK" : "UNKNOWN";
    proof = outcome === "OK" && back >= 2 && backBytes >= PROOF_BYTES_PER_PACKET * back;
  }
  stats.records++;
  const time = ts >= VNET_MS_THRESHOLD ? Math.floor(ts / 1000) : ts;
  return { time, src: src!, dst, dport, proto, outcome, sport, proof };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** One element of `records` → its tuples' records through onRecord. */
export function parseVnetFlowRecord(record: unknown, onRecord: (r: FlowRecord) => void, stats: ParseStats): void {
  if (!isObject(record)) {
    stats.malformed++;
    return;
  }
  const version = record.flowLogVersion;
  if (version !== VNET_FLOW_LOG_VERSION && version !== String(VNET_FLOW_LOG_VERSION)) {
    stats.malformed++;
    if (typeof (stats as Partial<VnetParseStats>).unsupportedVersion === "number") (stats as VnetParseStats).unsupportedVersion++;
    return;
  }
  const flows = isObject(record.flowRecords) ? record.flowRecords.flows : undefined;
  if (!Array.isArray(flows)) {
    stats.malformed++;
    return;
  }
  for (const flow of flows) {
    const groups = isObject(flow) ? flow.flowGroups : undefined;
    if (!Array.isArray(groups)) {
      stats.malformed++;
      continue;
    }
    for (const group of groups) {
      const tuples = isObject(group) ? group.flowTuples : undefined;
      if (!Array.isArray(tuples)) {
        stats.malformed++;
        continue;
      }
      for (const tuple of tuples) {
        if (typeof tuple !== "string") {
          stats.lines++;
          stats.malformed++;
          continue;
        }
        const r = parseVnetFlowTuple(tuple, stats);
        if (r !== undefined) onRecord(r);
      }
    }
  }
}

/** An already-parsed document `{"records":[...]}`. */
export function parseVnetFlowJson(doc: unknown, onRecord: (r: FlowRecord) => void, stats: ParseStats): void {
  const records = isObject(doc) ? doc.records : undefined;
  if (!Array.isArray(records)) {
    stats.malformed++;
    return;
  }
  for (const record of records) parseVnetFlowRecord(record, onRecord, stats);
}

function text(input: string | Uint8Array): string {
  const s = typeof input === "string" ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("utf8");
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/** A whole PT1H.json (text or UTF-8 bytes): a document that is not JSON counts once as malformed. */
export function parseVnetFlowDocument(input: string | Uint8Array, onRecord: (r: FlowRecord) => void, stats: ParseStats): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text(input));
  } catch {
    stats.malformed++;
    return;
  }
  parseVnetFlowJson(doc, onRecord, stats);
}

const isWs = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;

function skipWs(s: string, p: number): number {
  while (p < s.length && isWs(s.charCodeAt(p))) p++;
  return p;
}

/** The index after the document's opening `{"records":[` (whitespace allowed between tokens) at p, or -1. */
function afterOpening(s: string, p: number): number {
  if (s.charCodeAt(p) !== 123) return -1;
  p = skipWs(s, p + 1);
  if (!s.startsWith('"records"', p)) return -1;
  p = skipWs(s, p + 9);
  if (s.charCodeAt(p) !== 58) return -1;
  p = skipWs(s, p + 1);
  return s.charCodeAt(p) === 91 ? p + 1 : -1;
}

/** Whether s from p is the document's closing: `]`, `}`, then only whitespace. */
function isClosing(s: string, p: number): boolean {
  if (s.charCodeAt(p) !== 93) return false;
  const q = skipWs(s, p + 1);
  return s.charCodeAt(q) === 125 && skipWs(s, q + 1) === s.length;
}

/** The index after the bracket that closes the one at p (strings and escapes respected), or -1 when the text ends first. */
function valueEnd(s: string, p: number): number {
  let depth = 0;
  let inString = false;
  for (let i = p; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

/** The object s[a, b) parsed, or undefined when it is not JSON. */
function parseObject(s: string, a: number, b: number): unknown {
  try {
    return JSON.parse(s.slice(a, b));
  } catch {
    return undefined;
  }
}

/** A record rather than a flow or group nested in one: it has `flowLogVersion` or `flowRecords`. */
const isRecord = (v: unknown): v is Json => isObject(v) && ("flowLogVersion" in v || "flowRecords" in v);

/**
 * After a slice that began inside a record: the start of the next whole record (a `{` after a comma
 * whose object parses and has `flowLogVersion` or `flowRecords`: the flows and groups nested in a
 * record have neither), the closing, or the end of the text.
 */
function resync(s: string, p: number): number {
  for (let i = p; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 93 && isClosing(s, i)) return i;
    if (c !== 44) continue;
    const j = skipWs(s, i + 1);
    if (s.charCodeAt(j) !== 123) continue;
    const e = valueEnd(s, j);
    if (e < 0) return s.length;
    if (isRecord(parseObject(s, j, e))) return j;
  }
  return s.length;
}

/**
 * The bytes of newly committed blocks of a PT1H.json (text or UTF-8): any run of whole records with
 * or without the document's opening `{"records":[` before them and its closing `]}` after them, the
 * commas between records wherever they fall (a leading comma, a trailing one, or none). Each record
 * is parsed on its own, so one bad record costs only itself.
 *
 * Assumption: the blob grows by blocks that end at record boundaries (the docs at hand say only that
 * the blob is appended to every minute; they give no block framing), so the slice from one committed
 * block to the next begins and ends at one. When it does not, nothing is thrown: a slice that begins
 * inside a record counts the fragment as one `malformed` and resumes at the next whole record (or
 * the closing); a slice that ends inside one counts it as one `malformed`. In the same way any other
 * text between records (a `]` that is not the closing, text after the closing, an object that is
 * not a record) counts one `malformed` per run. A record is an object with `flowLogVersion` or
 * `flowRecords`, so one that has neither is counted as such a run, not in `unsupportedVersion`.
 */
export function parseVnetFlowSlice(input: string | Uint8Array, onRecord: (r: FlowRecord) => void, stats: ParseStats): VnetSliceInfo {
  const s = text(input);
  let p = skipWs(s, 0);
  const start = afterOpening(s, p);
  const opened = start >= 0;
  if (opened) p = start;
  let closed = false;
  while ((p = skipWs(s, p)) < s.length) {
    const c = s.charCodeAt(p);
    if (c === 44) {
      p++;
      continue;
    }
    if (c === 93 && isClosing(s, p)) {
      closed = true;
      break;
    }
    if (c === 123) {
      const e = valueEnd(s, p);
      if (e < 0) {
        // The text ends inside this record.
        stats.malformed++;
        break;
      }
      const v = parseObject(s, p, e);
      if (v === undefined) {
        stats.malformed++;
        p = e;
        continue;
      }
      if (isRecord(v)) {
        parseVnetFlowRecord(v, onRecord, stats);
        p = e;
        continue;
      }
      // A flow or group: the slice began inside a record.
    }
    stats.malformed++;
    p = resync(s, p + 1);
  }
  return { opened, closed };
}
