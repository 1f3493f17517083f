/**
 * The scan detector: decides, from normalised flow records, that a source is scanning
 * (reference/detection.md §5.2–5.4; DESIGN.md "Detector"). One implementation for every cloud.
 *
 * ```ts
 * const detector = new ScanDetector(DEFAULT_DETECTOR);
 * for (const r of records) {
 *   const d = detector.observe(r);
 *   if (d && !d.withheld) quarantine(d.src, d.reason);
 * }
 * ```
 *
 * Per source it looks only at **first contacts to distinct targets** (dst, dport, proto): repeats
 * to a target already seen change nothing, so one target hammered with rejected retries never
 * flags. Targets nobody can scan are not counted at all: multicast, broadcast, reserved and
 * link-local destinations (IPv4 and IPv6), and UDP replies from name and discovery services
 * (DNS, DHCP, NTP, NetBIOS, SSDP, WS-Discovery, mDNS, LLMNR) to an ephemeral or discovery port.
 *
 * - **Clamped Threshold Random Walk** (primary). Λ starts at 1; a failed first contact multiplies
 *   it by (1−θ1)/(1−θ0) (4 with the defaults), a successful one by θ1/θ0 (0.25). The source is
 *   flagged when Λ ≥ η1 = β/α (99): 4 consecutive failures from a clean start. Instead of declaring
 *   a source benign when Λ ≤ η0 = (1−β)/(1−α), Λ is floored there, so a long benign history buys at
 *   most 7 consecutive failures. UNKNOWN first contacts count as targets without moving Λ; a later
 *   FAIL or OK for the same target settles it once.
 * - **Distinct counters** (guard, Zeek-style). When a failed first contact is added, the failed
 *   targets within `windowMinutes` of it (either side: flow logs arrive out of order) are counted:
 *   ≥ verticalPorts distinct (port, proto) on its dst, ≥ horizontalHosts distinct dsts on its
 *   (port, proto), or ≥ distinctPairs failed targets flag the source. They are counted from the
 *   source's remembered targets, so they are exact while the source has at most
 *   `maxTargetsPerSource` targets in the window and lower bounds beyond that; keep
 *   `maxTargetsPerSource` above the three thresholds (the default 64 is).
 * - **Long memory** (slow scanners). The short-window state ends after `idleMinutes` without a
 *   record, but a source's decided first contacts are also kept, compactly, for `memoryMinutes`:
 *   at most {@link MEMORY_TARGETS} (target hash, outcome, time), oldest replaced. A source is flagged
 *   `slow` when, within `memoryMinutes` of a failure, its distinct failed targets outnumber its
 *   distinct successful ones by `slowFailures`: the same likelihood-ratio reasoning as the TRW over
 *   a day instead of half an hour, with a stricter threshold (6 net failures is Λ = 4⁶) because a
 *   day gives a benign client more chances to fail. Hash collisions merge targets: they can only
 *   delay a detection.
 *
 * **Anti-spoofing.** A REJECT or a half-open SYN needs no handshake, so anyone can send probes in
 * another address's name. A record with `proof` (data flowed both ways) shows the address is real;
 * the detector keeps each client's first and last proof for `antiSpoofing.historyMinutes` (at most
 * `maxClients`, least recently proven dropped). A source whose first proof is at least
 * `settleMinutes` older than the deciding record is an **established client**: evidence from the
 * tests above is forgeable, so its Detection is `withheld` (report, do not steer) and the source
 * stays under watch. It is steered only on evidence nobody can forge in its name: its own
 * completed connections (targets with a proof) reaching a distinct counter, reason `proven`. A
 * source with no proof, or a younger one, is steered as before.
 *
 * **Scanner records.** A failed first contact marked `scanner` (HTTP requests naming a scanner:
 * `./http-scan`) flags its source at once, reason `agent`, and is never withheld: the request came
 * over a completed connection. The check sits after a new failed target is recorded, off the path
 * of untracked sources and repeats; flow-log records never carry the mark. A scanner-marked request
 * to a target the source already failed counts as a repeat (its next new target flags it).
 *
 * **State starts at the first failed first contact**: an OK or UNKNOWN record from a source the
 * detector does not track changes nothing (except that a proof is noted). Memory (and, in the
 * Lambda, store writes) is then proportional to failing sources, not to every client; the price is
 * that successes before a source's first failure are not credited to it.
 *
 * Bounds: at most `maxTargetsPerSource` targets per source (oldest dropped; Λ kept), `maxSources`
 * sources (least recently seen evicted; a source kept only by its long memory is the first to go, as
 * it is the least recently seen) and `maxClients` proofs. A source with no record for `idleMinutes`
 * loses its short-window state, and is dropped once it also has no failure within `memoryMinutes`.
 * A flagged source stays flagged (no second Detection) while its state lives; its targets are
 * released. Allow-listed sources are never tracked.
 *
 * Cost per record: one Map lookup for an untracked source (two for a proof); for a tracked one, a
 * scan of its targets (≤ maxTargetsPerSource) and of its memory (≤ MEMORY_TARGETS). IPv4 targets are
 * numbers, IPv6 targets keep the address string.
 */
import type { AddressProof, Detection, DetectionReason, DetectorOptions, DetectorStats, FlowRecord, SourceState } from "./quarantine-types";
import { ipv4Value, ipv6Groups, ownAddress } from "./flow";

/**
 * The defaults of reference/detection.md §0 (Bro's TRW parameters and Zeek's counters), plus the
 * long memory and the framing defence, chosen from the sweep of `npm run bench:detector` (bench/slow-day.ts): a day's
 * memory with 6 net failures catches one probe every 30–180 minutes and flags no returning client.
 */
export const DEFAULT_DETECTOR: DetectorOptions = Object.freeze({
  trw: Object.freeze({ theta0: 0.8, theta1: 0.2, alpha: 0.01, beta: 0.99 }),
  windowMinutes: 5,
  verticalPorts: 15,
  horizontalHosts: 25,
  distinctPairs: 25,
  idleMinutes: 30,
  maxTargetsPerSource: 64,
  maxSources: 100000,
  allowCidrs: Object.freeze([]) as readonly string[],
  memoryMinutes: 1440,
  slowFailures: 6,
  antiSpoofing: Object.freeze({ enabled: true, historyMinutes: 10080, settleMinutes: 60, maxClients: 100000 }),
});

/** Decided first contacts a source's long memory holds. */
export const MEMORY_TARGETS = 16;
/** A known client's last proof is moved forward (and reported to be stored) at most this often. */
export const PROOF_REFRESH_SECONDS = 3600;

// Outcome codes kept in the low two bits of a target's port/proto word.
const UNKNOWN = 0;
const OK = 1;
const FAIL = 2;
/** A successful first contact whose connection carried data both ways. */
const PROVEN = 3;
/** Slots per target in `Source.t`: dst, (port << 10 | proto << 2 | outcome), time. */
const SLOT = 3;
/** Version 2 added the long memory (`m`) and the withheld report (`r`); version 1 states still load. */
const STATE_VERSION = 2;
const UDP = 17;

/** Source ports of name and discovery services whose UDP replies and announcements are not probes. */
const SERVICE_PORTS = new Set([53, 67, 68, 123, 137, 138, 546, 547, 1900, 3702, 5353, 5355]);

/** One tracked source. A class, so every instance shares one shape. */
class Source {
  /** The map key: an owned copy of the address (see ownAddress), reused when the source moves. */
  key = "";
  lambda = 1;
  lastSeen = 0;
  /** Distinct first contacts counted. */
  probes = 0;
  /** Of which failed. */
  failures = 0;
  /** Event time of the Detection, or -1 while not flagged. */
  flaggedAt = -1;
  /** Event time of a withheld Detection (established client), or -1; kept while the source is. */
  reportedAt = -1;
  /** Targets as flat triples; a ring of maxTargetsPerSource once full. */
  t: (number | string)[] = [];
  /** Index (in targets) of the oldest target once the ring is full. */
  head = 0;
  /** Long memory: flat pairs (target hash · 2 + 1 if it succeeded, event time), at most MEMORY_TARGETS. */
  m: number[] = [];
}

class Proof {
  /** The last proof time `prove` reported as news. */
  reported: number;
  constructor(
    public first: number,
    public last: number,
  ) {
    this.reported = last;
  }
}
/** Parses and validates `a.b.c.d/n` or `x::y/n`. */
type Cidr = { v4: true; lo: number; hi: number } | { v4: false; groups: Uint16Array; bits: number };

function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bitsText = slash < 0 ? undefined : text.slice(slash + 1);
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) return undefined;
  const v4 = ipv4Value(addr);
  if (v4 >= 0) {
    const bits = bitsText === undefined ? 32 : Number(bitsText);
    if (bits > 32) return undefined;
    const size = 2 ** (32 - bits);
    const lo = Math.floor(v4 / size) * size;
    return { v4: true, lo, hi: lo + size - 1 };
  }
  const groups = new Uint16Array(8);
  if (!ipv6Groups(addr, 0, addr.length, groups)) return undefined;
  const bits = bitsText === undefined ? 128 : Number(bitsText);
  return bits > 128 ? undefined : { v4: false, groups, bits };
}

function v6Matches(groups: Uint16Array, c: { groups: Uint16Array; bits: number }): boolean {
  let bits = c.bits;
  for (let k = 0; k < 8 && bits > 0; k++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((groups[k] & mask) !== (c.groups[k] & mask)) return false;
  }
  return true;
}

function checkOptions(o: DetectorOptions): string[] {
  const problems: string[] = [];
  const { theta0, theta1, alpha, beta } = o.trw;
  const unit = (name: string, v: number) => {
    if (!(v > 0 && v < 1)) problems.push(`trw.${name}: ${v} must be between 0 and 1 (exclusive)`);
  };
  unit("theta0", theta0);
  unit("theta1", theta1);
  unit("alpha", alpha);
  unit("beta", beta);
  if (!(theta1 < theta0)) problems.push(`trw.theta1: ${theta1} must be below theta0 (${theta0}): a scanner succeeds less often than a benign host`);
  if (!(alpha < beta)) problems.push(`trw.alpha: ${alpha} must be below beta (${beta})`);
  const positive = (name: keyof DetectorOptions, integer: boolean) => {
    const v = o[name] as number;
    if (!(v > 0) || (integer && !Number.isInteger(v))) problems.push(`${name}: ${v} must be a positive ${integer ? "integer" : "number"}`);
  };
  positive("windowMinutes", false);
  positive("idleMinutes", false);
  positive("verticalPorts", true);
  positive("horizontalHosts", true);
  positive("distinctPairs", true);
  positive("maxTargetsPerSource", true);
  positive("maxSources", true);
  positive("memoryMinutes", false);
  positive("slowFailures", true);
  if (o.slowFailures > MEMORY_TARGETS) problems.push(`slowFailures: ${o.slowFailures} must be at most ${MEMORY_TARGETS}, the targets a source's memory holds`);
  const a = o.antiSpoofing;
  for (const name of ["historyMinutes", "settleMinutes", "maxClients"] as const) {
    const v = a[name];
    const integer = name === "maxClients";
    if (!(name === "settleMinutes" ? v >= 0 : v > 0) || (integer && !Number.isInteger(v))) {
      problems.push(`antiSpoofing.${name}: ${v} must be a ${name === "settleMinutes" ? "non-negative" : "positive"} ${integer ? "integer" : "number"}`);
    }
  }
  if (a.settleMinutes >= a.historyMinutes) problems.push(`antiSpoofing.settleMinutes: ${a.settleMinutes} must be below historyMinutes (${a.historyMinutes})`);
  return problems;
}

/** 31 bits of (dst, port·256 + proto): the long memory's key for a target. */
function targetHash(dst: number | string, pp: number): number {
  let h: number;
  if (typeof dst === "number") h = Math.imul(dst | 0, 0x9e3779b1);
  else {
    h = 0x811c9dc5;
    for (let i = 0; i < dst.length; i++) h = Math.imul(h ^ dst.charCodeAt(i), 0x01000193);
  }
  h ^= Math.imul(pp, 0x85ebca6b);
  h ^= h >>> 15;
  return h >>> 1;
}

/** Decides which sources are scanning; see the file header. Not thread-safe; one per invocation or process. */
export class ScanDetector {
  /** Counters since construction. */
  readonly stats: DetectorStats = {
    records: 0,
    allowListed: 0,
    repeats: 0,
    untracked: 0,
    evictedSources: 0,
    evictedTargets: 0,
    expiredSources: 0,
    restartedSources: 0,
    unscannable: 0,
    proofs: 0,
    evictedClients: 0,
    detections: 0,
    withheld: 0,
  };

  private readonly sources = new Map<string, Source>();
  /** Established-client candidates: first and last proof of address, in least recently proven order. */
  private readonly proofs = new Map<string, Proof>();
  /** The source at the end of the Map's order (most recently seen), so a run of its records skips the re-insert. */
  private newest: string | undefined;
  private readonly failFactor: number;
  private readonly okFactor: number;
  private readonly upper: number;
  private readonly lower: number;
  private readonly windowSeconds: number;
  private readonly idleSeconds: number;
  private readonly memorySeconds: number;
  private readonly historySeconds: number;
  private readonly settleSeconds: number;
  private readonly spoofGuard: boolean;
  private readonly maxTargets: number;
  /** No counter can reach its threshold with fewer failures than this. */
  private readonly guardFloor: number;
  private readonly v4Lo: number[] = [];
  private readonly v4Hi: number[] = [];
  private readonly v6Cidrs: { groups: Uint16Array; bits: number }[] = [];
  private readonly anyAllowed: boolean;
  private readonly scratch = new Uint16Array(8);

  /** Throws a RangeError naming every bad option (thresholds, bounds, CIDRs) at once. */
  constructor(private readonly options: DetectorOptions) {
    const problems = checkOptions(options);
    options.allowCidrs.forEach((text, i) => {
      const c = parseCidr(text);
      if (c === undefined) problems.push(`allowCidrs[${i}]: "${text}" is not an IPv4 or IPv6 CIDR`);
      else if (c.v4) {
        this.v4Lo.push(c.lo);
        this.v4Hi.push(c.hi);
      } else this.v6Cidrs.push(c);
    });
    if (problems.length > 0) throw new RangeError(`detector options: ${problems.join("; ")}`);
    const { theta0, theta1, alpha, beta } = options.trw;
    this.failFactor = (1 - theta1) / (1 - theta0);
    this.okFactor = theta1 / theta0;
    this.upper = beta / alpha;
    this.lower = (1 - beta) / (1 - alpha);
    this.windowSeconds = options.windowMinutes * 60;
    this.idleSeconds = options.idleMinutes * 60;
    this.memorySeconds = options.memoryMinutes * 60;
    this.historySeconds = options.antiSpoofing.historyMinutes * 60;
    this.settleSeconds = options.antiSpoofing.settleMinutes * 60;
    this.spoofGuard = options.antiSpoofing.enabled;
    this.maxTargets = options.maxTargetsPerSource;
    this.guardFloor = Math.min(options.verticalPorts, options.horizontalHosts, options.distinctPairs);
    this.anyAllowed = options.allowCidrs.length > 0;
  }

  /** Sources tracked now. */
  get size(): number {
    return this.sources.size;
  }

  /** Clients whose proofs of address are held now. */
  get clients(): number {
    return this.proofs.size;
  }

  /** Whether `src` falls in one of `allowCidrs` (false for text that is not an address). */
  isAllowed(src: string): boolean {
    if (!this.anyAllowed) return false;
    const v4 = ipv4Value(src);
    if (v4 >= 0) {
      for (let i = 0; i < this.v4Lo.length; i++) if (v4 >= this.v4Lo[i] && v4 <= this.v4Hi[i]) return true;
      return false;
    }
    if (this.v6Cidrs.length === 0 || !ipv6Groups(src, 0, src.length, this.scratch)) return false;
    for (const c of this.v6Cidrs) if (v6Matches(this.scratch, c)) return true;
    return false;
  }

  /** Whether the detector holds state for `src` (flagged or not). */
  has(src: string): boolean {
    return this.sources.has(src);
  }

  /**
   * Whether nobody can scan this record's target: a multicast, broadcast, reserved, "this network"
   * or link-local destination, or a UDP reply or announcement from a name or discovery service.
   * `v4` is the destination's IPv4 value (-1 for IPv6).
   */
  unscannable(r: FlowRecord, v4 = ipv4Value(r.dst)): boolean {
    if (v4 >= 0) {
      // 224/4 multicast, 240/4 reserved and 255.255.255.255, 169.254/16, 0/8.
      if (v4 >= 0xe0000000 || v4 < 0x01000000 || Math.floor(v4 / 65536) === 0xa9fe) return true;
    } else if (ipv6Groups(r.dst, 0, r.dst.length, this.scratch)) {
      const g = this.scratch[0];
      // ff00::/8 multicast, fe80::/10 link-local.
      if ((g & 0xff00) === 0xff00 || (g & 0xffc0) === 0xfe80) return true;
    }
    const sport = r.sport;
    return r.proto === UDP && sport !== undefined && SERVICE_PORTS.has(sport) && (r.dport >= 1024 || SERVICE_PORTS.has(r.dport));
  }

  /** Feed one record; returns a Detection the first time the source is decided to be scanning (or, withheld, reported), else undefined. */
  observe(r: FlowRecord): Detection | undefined {
    this.stats.records++;
    const src = r.src;
    if (this.anyAllowed && this.isAllowed(src)) {
      this.stats.allowListed++;
      return undefined;
    }
    if (r.proof === true) {
      this.stats.proofs++;
      if (this.spoofGuard) this.prove(src, r.time);
    }
    let s = this.sources.get(src);
    if (s !== undefined && r.time - s.lastSeen > this.idleSeconds) {
      if (s.flaggedAt < 0 && this.remembers(s, r.time)) {
        restart(s);
        this.stats.restartedSources++;
      } else {
        this.drop(src);
        this.stats.expiredSources++;
        s = undefined;
      }
    }
    if (s === undefined && r.outcome !== "FAIL") {
      this.stats.untracked++;
      return undefined;
    }
    const v4 = ipv4Value(r.dst);
    if (this.unscannable(r, v4)) {
      this.stats.unscannable++;
      return undefined;
    }
    if (s === undefined) {
      s = new Source();
      s.lastSeen = r.time;
      this.insert(src, s);
    } else {
      if (src !== this.newest) {
        // Map order is the LRU order: move the source to the end.
        this.sources.delete(src);
        this.sources.set(s.key, s);
        this.newest = s.key;
      }
      if (r.time > s.lastSeen) s.lastSeen = r.time;
    }
    if (s.flaggedAt >= 0) return undefined;
    return this.contact(s, r, v4 >= 0 ? v4 : r.dst);
  }

  /** Applies one record to a tracked, unflagged source. */
  private contact(s: Source, r: FlowRecord, dst: number | string): Detection | undefined {
    const pp = (r.dport & 0xffff) * 256 + (r.proto & 0xff);
    const outcome = r.outcome === "FAIL" ? FAIL : r.outcome === "OK" ? (r.proof === true ? PROVEN : OK) : UNKNOWN;
    const t = s.t;
    for (let i = 0; i < t.length; i += SLOT) {
      const w = t[i + 1] as number;
      if (t[i] === dst && w >> 2 === pp) {
        const known = w & 3;
        if (known === UNKNOWN && outcome !== UNKNOWN) {
          // The first contact was undecided (a lone SYN); this record settles it, once.
          t[i + 1] = (w & ~3) | outcome;
          return this.apply(s, r, outcome, dst, pp);
        }
        if (known === OK && outcome === PROVEN) {
          // The same connection's other direction: the success is now proven, Λ already moved.
          t[i + 1] = w | PROVEN;
          return this.provenScan(s, r, dst, pp);
        }
        this.stats.repeats++;
        return undefined;
      }
    }
    // Exact-size arrays (concat copies; push would reserve room for about 17 more slots each time
    // it grows): a source rarely has many targets, and new targets are rare next to repeats.
    const kept = typeof dst === "string" ? ownAddress(dst) : dst;
    if (t.length < this.maxTargets * SLOT) s.t = t.length === 0 ? [kept, pp * 4 + outcome, r.time] : t.concat(kept, pp * 4 + outcome, r.time);
    else {
      const i = s.head * SLOT;
      t[i] = kept;
      t[i + 1] = pp * 4 + outcome;
      t[i + 2] = r.time;
      s.head = (s.head + 1) % this.maxTargets;
      this.stats.evictedTargets++;
    }
    s.probes++;
    return this.apply(s, r, outcome, dst, pp);
  }

  /** Moves Λ and the long memory for a decided first contact and runs the tests. */
  private apply(s: Source, r: FlowRecord, outcome: number, dst: number | string, pp: number): Detection | undefined {
    if (outcome === UNKNOWN) return undefined;
    const key = targetHash(dst, pp) * 2;
    if (outcome !== FAIL) {
      s.lambda = Math.max(s.lambda * this.okFactor, this.lower);
      remember(s, key + 1, r.time);
      return outcome === PROVEN ? this.provenScan(s, r, dst, pp) : undefined;
    }
    s.failures++;
    s.lambda *= this.failFactor;
    remember(s, key, r.time);
    // The record names its source a scanner over a completed connection (./http-scan): unforgeable, at once.
    if (r.scanner === true) return this.flag(s, r, "agent");
    // Withheld: more forgeable evidence adds nothing; only its proven connections can still decide.
    if (s.reportedAt >= 0) return undefined;
    let reason: DetectionReason | undefined = s.lambda >= this.upper ? "trw" : undefined;
    if (reason === undefined && s.failures >= this.guardFloor) reason = this.guard(s, r.time, dst, pp, FAIL);
    if (reason === undefined) reason = this.slow(s, r.time);
    if (reason === undefined) return undefined;
    const since = this.establishedSince(r.src, r.time);
    if (since !== undefined) {
      s.reportedAt = r.time;
      this.stats.withheld++;
      return { src: r.src, time: r.time, reason, probes: s.probes, failures: s.failures, withheld: true, establishedSince: since };
    }
    return this.flag(s, r, reason);
  }

  private flag(s: Source, r: FlowRecord, reason: DetectionReason): Detection {
    s.flaggedAt = r.time;
    // A flagged source needs no targets any more: only lastSeen keeps it flagged.
    s.t = [];
    s.head = 0;
    s.m = [];
    this.stats.detections++;
    return { src: r.src, time: r.time, reason, probes: s.probes, failures: s.failures, withheld: false };
  }

  /** The source's own completed connections as a scan: the distinct counters over its proven targets. */
  private provenScan(s: Source, r: FlowRecord, dst: number | string, pp: number): Detection | undefined {
    return this.guard(s, r.time, dst, pp, PROVEN) === undefined ? undefined : this.flag(s, r, "proven");
  }

  /** The distinct counters over the targets of one outcome within the window around `time`. */
  private guard(s: Source, time: number, dst: number | string, pp: number, outcome: number): DetectionReason | undefined {
    let vertical = 0;
    let horizontal = 0;
    let pairs = 0;
    const t = s.t;
    const w = this.windowSeconds;
    for (let i = 0; i < t.length; i += SLOT) {
      const word = t[i + 1] as number;
      if ((word & 3) !== outcome || Math.abs((t[i + 2] as number) - time) > w) continue;
      pairs++;
      if (t[i] === dst) vertical++;
      if (word >> 2 === pp) horizontal++;
    }
    const o = this.options;
    if (vertical >= o.verticalPorts) return "vertical";
    if (horizontal >= o.horizontalHosts) return "horizontal";
    if (pairs >= o.distinctPairs) return "pairs";
    return undefined;
  }

  /** The long-memory test at a failure at `time`. */
  private slow(s: Source, time: number): DetectionReason | undefined {
    const m = s.m;
    if (m.length < this.options.slowFailures * 2) return undefined;
    let net = 0;
    for (let i = 0; i < m.length; i += 2) {
      if (Math.abs(m[i + 1] - time) <= this.memorySeconds) net += m[i] % 2 === 1 ? -1 : 1;
    }
    return net >= this.options.slowFailures ? "slow" : undefined;
  }

  /** Whether the long memory holds a failure within memoryMinutes of `time`. */
  private remembers(s: Source, time: number): boolean {
    const m = s.m;
    for (let i = 0; i < m.length; i += 2) if (m[i] % 2 === 0 && time - m[i + 1] <= this.memorySeconds) return true;
    return false;
  }

  private insert(src: string, s: Source): void {
    if (this.sources.size >= this.options.maxSources) {
      const oldest = this.sources.keys().next().value as string;
      this.drop(oldest);
      this.stats.evictedSources++;
    }
    s.key = ownAddress(src);
    this.sources.set(s.key, s);
    this.newest = s.key;
  }

  private drop(src: string): void {
    this.sources.delete(src);
    if (src === this.newest) this.newest = undefined;
  }

  // -------------------------------------------------------------------------------------------------
  // Proofs of address (anti-spoofing)

  /**
   * Notes that `src` proved its address at `time`. Returns true when the proof is news a shared
   * store should hear: a new client, an earlier first proof, or a last proof at least
   * {@link PROOF_REFRESH_SECONDS} later than the one held (so a busy client costs one write an hour).
   */
  prove(src: string, time: number): boolean {
    const p = this.proofs.get(src);
    if (p === undefined || time - p.last > this.historySeconds) {
      if (p !== undefined) this.proofs.delete(src);
      else if (this.proofs.size >= this.options.antiSpoofing.maxClients) {
        this.proofs.delete(this.proofs.keys().next().value as string);
        this.stats.evictedClients++;
      }
      this.proofs.set(ownAddress(src), new Proof(time, time));
      return true;
    }
    if (time < p.first) {
      p.first = time;
      return true;
    }
    if (time > p.last) p.last = time;
    if (time - p.reported >= PROOF_REFRESH_SECONDS) {
      p.reported = time;
      // Least recently proven first: refreshed clients move to the end (at most once an hour each).
      this.proofs.delete(src);
      this.proofs.set(ownAddress(src), p);
      return true;
    }
    return false;
  }

  /** Merges a stored proof (from `proofOf` on another instance): the earlier first and the later last win. */
  loadProof(src: string, stored: AddressProof): void {
    if (!this.spoofGuard) return;
    this.prove(src, stored.last);
    if (stored.first < stored.last) this.prove(src, stored.first);
  }

  /** The proofs held for `src`, or undefined. */
  proofOf(src: string): AddressProof | undefined {
    const p = this.proofs.get(src);
    return p === undefined ? undefined : { first: p.first, last: p.last };
  }

  /** When a stored proof stops counting (Unix seconds): `historyMinutes` after its last proof. */
  proofExpiry(proof: AddressProof): number {
    return proof.last + this.historySeconds;
  }

  /** The first proof of `src` when it is an established client at `time`, else undefined. */
  establishedSince(src: string, time: number): number | undefined {
    if (!this.spoofGuard) return undefined;
    const p = this.proofs.get(src);
    if (p === undefined || time - p.last > this.historySeconds || time - p.first < this.settleSeconds) return undefined;
    return p.first;
  }

  // -------------------------------------------------------------------------------------------------
  // State for a shared store

  /**
   * The source's state, JSON-safe, or undefined if untracked: `{lastSeen, v, l (Λ), p (probes),
   * f (failures), x? (flag time), r? (withheld report time), t: [dst, port·1024 + proto·4 + outcome,
   * time, ...] oldest first, m?: [target hash·2 + succeeded, time, ...]}`, with IPv4 dsts as numbers.
   */
  save(src: string): SourceState | undefined {
    const s = this.sources.get(src);
    if (s === undefined) return undefined;
    const n = s.t.length / SLOT;
    const t: (number | string)[] = [];
    for (let k = 0; k < n; k++) {
      const i = ((s.head + k) % n) * SLOT;
      t.push(s.t[i], s.t[i + 1], s.t[i + 2]);
    }
    return {
      lastSeen: s.lastSeen,
      v: STATE_VERSION,
      l: s.lambda,
      p: s.probes,
      f: s.failures,
      ...(s.flaggedAt >= 0 ? { x: s.flaggedAt } : {}),
      ...(s.reportedAt >= 0 ? { r: s.reportedAt } : {}),
      t,
      ...(s.m.length > 0 ? { m: [...s.m] } : {}),
    };
  }

  /**
   * When a shared store may delete the source's state (Unix seconds): `idleMinutes` after its last
   * record, or `memoryMinutes` after its last remembered failure if that is later. Undefined if untracked.
   */
  expiresAt(src: string): number | undefined {
    const s = this.sources.get(src);
    if (s === undefined) return undefined;
    let at = s.lastSeen + this.idleSeconds;
    const m = s.m;
    for (let i = 0; i < m.length; i += 2) if (m[i] % 2 === 0) at = Math.max(at, m[i + 1] + this.memorySeconds);
    return at;
  }

  /**
   * Replace a source's state with a stored one (from `save`). Returns false, and leaves the source
   * untracked, when the state is not one `save` writes (an unknown version, damaged): it then starts
   * clean. Targets beyond `maxTargetsPerSource` are dropped oldest first. Counts as seeing the
   * source for the LRU order.
   */
  load(src: string, state: SourceState): boolean {
    this.drop(src);
    const st = state as { lastSeen: unknown; v?: unknown; l?: unknown; p?: unknown; f?: unknown; x?: unknown; r?: unknown; t?: unknown; m?: unknown };
    const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
    const t = st.t;
    const m = st.m ?? [];
    if (
      (st.v !== STATE_VERSION && st.v !== 1) || !num(st.lastSeen) || !num(st.l) || !(st.l > 0) || !num(st.p) || !num(st.f) ||
      (st.x !== undefined && !num(st.x)) || (st.r !== undefined && !num(st.r)) || !Array.isArray(t) || t.length % SLOT !== 0 ||
      !Array.isArray(m) || m.length % 2 !== 0 || !m.every((v) => Number.isInteger(v) && v >= 0)
    ) {
      return false;
    }
    for (let i = 0; i < t.length; i += SLOT) {
      const dst: unknown = t[i];
      if (!(num(dst) || typeof dst === "string") || !Number.isInteger(t[i + 1]) || !num(t[i + 2])) return false;
    }
    const s = new Source();
    s.lastSeen = st.lastSeen;
    s.lambda = st.l;
    s.probes = st.p;
    s.failures = st.f;
    s.flaggedAt = st.x === undefined ? -1 : (st.x as number);
    s.reportedAt = st.r === undefined ? -1 : (st.r as number);
    s.t = t.slice(Math.max(0, t.length - this.maxTargets * SLOT)) as (number | string)[];
    s.m = (m as number[]).slice(Math.max(0, m.length - MEMORY_TARGETS * 2));
    this.insert(src, s);
    return true;
  }

  /** Forget a source (e.g. once its quarantine ended). */
  forget(src: string): void {
    this.drop(src);
  }

  /**
   * At `now` (Unix s): end the short-window state of sources idle longer than idleMinutes, drop those
   * with no failure left in memory, and drop proofs older than the history. Returns how many
   * sources were dropped. O(sources + clients).
   */
  expire(now: number): number {
    let n = 0;
    for (const [src, s] of this.sources) {
      if (now - s.lastSeen <= this.idleSeconds) continue;
      if (s.flaggedAt < 0 && this.remembers(s, now)) {
        if (s.probes > 0) {
          restart(s);
          this.stats.restartedSources++;
        }
      } else {
        this.drop(src);
        n++;
      }
    }
    this.stats.expiredSources += n;
    for (const [src, p] of this.proofs) if (now - p.last > this.historySeconds) this.proofs.delete(src);
    return n;
  }
}

/** Ends a source's short-window state; its long memory stays, and so does a withheld report (one per memory). */
function restart(s: Source): void {
  s.lambda = 1;
  s.probes = 0;
  s.failures = 0;
  s.t = [];
  s.head = 0;
}

/** Adds a decided first contact to the long memory (a known one only moves forward in time). */
function remember(s: Source, key: number, time: number): void {
  const m = s.m;
  let oldest = 0;
  for (let i = 0; i < m.length; i += 2) {
    if (m[i] === key) {
      if (time > m[i + 1]) m[i + 1] = time;
      return;
    }
    if (m[i + 1] < m[oldest + 1]) oldest = i;
  }
  if (m.length < MEMORY_TARGETS * 2) s.m = m.length === 0 ? [key, time] : m.concat(key, time);
  else {
    m[oldest] = key;
    m[oldest + 1] = time;
  }
}
