/**
 * The scan detector: decides, from normalised flow records, that a source is scanning
 * (reference/detection.md §5.2–5.4; DESIGN.md "Detector"). One implementation for every cloud.
 *
 * ```ts
 * const detector = new ScanDetector(DEFAULT_DETECTOR);
 * for (const r of records) {
 *   const d = detector.observe(r);
 *   if (d) quarantine(d.src, d.reason);
 * }
 * ```
 *
 * Per source it looks only at **first contacts to distinct targets** (dst, dport, proto): repeats
 * to a target already seen change nothing, so one target hammered with rejected retries never
 * flags.
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
 *
 * **State starts at the first failed first contact**: an OK or UNKNOWN record from a source the
 * detector does not track changes nothing. Memory (and, in the Lambda, store writes) is then
 * proportional to failing sources, not to every client; the price is that successes before a
 * source's first failure are not credited to it.
 *
 * State is dropped after `idleMinutes` without a record (event time) and bounded: at most
 * `maxTargetsPerSource` targets per source (oldest dropped; Λ kept) and `maxSources` sources (least
 * recently seen evicted). A flagged source stays flagged (no second Detection) while its state
 * lives; its targets are released. Allow-listed sources are never tracked.
 *
 * Cost per record: one Map lookup for an untracked source; for a tracked one, a scan of its
 * targets (≤ maxTargetsPerSource). IPv4 targets are numbers, IPv6 targets keep the address string.
 */
import type { Detection, DetectionReason, DetectorOptions, DetectorStats, FlowRecord, SourceState } from "./quarantine-types";
import { ipv4Value, ipv6Groups } from "./flow";

/** The defaults of reference/detection.md §0: Bro's TRW parameters and Zeek's counters. */
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
});

// Outcome codes kept in the low two bits of a target's port/proto word.
const UNKNOWN = 0;
const OK = 1;
const FAIL = 2;
/** Slots per target in `Source.t`: dst, (port << 10 | proto << 2 | outcome), time. */
const SLOT = 3;
const STATE_VERSION = 1;

/** One tracked source. A class, so every instance shares one shape. */
class Source {
  lambda = 1;
  lastSeen = 0;
  /** Distinct first contacts counted. */
  probes = 0;
  /** Of which failed. */
  failures = 0;
  /** Event time of the Detection, or -1 while not flagged. */
  flaggedAt = -1;
  /** Targets as flat triples; a ring of maxTargetsPerSource once full. */
  t: (number | string)[] = [];
  /** Index (in targets) of the oldest target once the ring is full. */
  head = 0;
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
  return problems;
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
    detections: 0,
  };

  private readonly sources = new Map<string, Source>();
  /** The source at the end of the Map's order (most recently seen), so a run of its records skips the re-insert. */
  private newest: string | undefined;
  private readonly failFactor: number;
  private readonly okFactor: number;
  private readonly upper: number;
  private readonly lower: number;
  private readonly windowSeconds: number;
  private readonly idleSeconds: number;
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
    this.maxTargets = options.maxTargetsPerSource;
    this.guardFloor = Math.min(options.verticalPorts, options.horizontalHosts, options.distinctPairs);
    this.anyAllowed = options.allowCidrs.length > 0;
  }

  /** Sources tracked now. */
  get size(): number {
    return this.sources.size;
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

  /** Feed one record; returns a Detection the first time the source is decided to be scanning, else undefined. */
  observe(r: FlowRecord): Detection | undefined {
    this.stats.records++;
    const src = r.src;
    if (this.anyAllowed && this.isAllowed(src)) {
      this.stats.allowListed++;
      return undefined;
    }
    let s = this.sources.get(src);
    if (s !== undefined && r.time - s.lastSeen > this.idleSeconds) {
      this.drop(src);
      this.stats.expiredSources++;
      s = undefined;
    }
    if (s === undefined) {
      if (r.outcome !== "FAIL") {
        this.stats.untracked++;
        return undefined;
      }
      s = new Source();
      s.lastSeen = r.time;
      this.insert(src, s);
    } else {
      if (src !== this.newest) {
        // Map order is the LRU order: move the source to the end.
        this.sources.delete(src);
        this.sources.set(src, s);
        this.newest = src;
      }
      if (r.time > s.lastSeen) s.lastSeen = r.time;
    }
    if (s.flaggedAt >= 0) return undefined;
    return this.contact(s, r);
  }

  /** Applies one record to a tracked, unflagged source. */
  private contact(s: Source, r: FlowRecord): Detection | undefined {
    const v4 = ipv4Value(r.dst);
    const dst: number | string = v4 >= 0 ? v4 : r.dst;
    const pp = (r.dport & 0xffff) * 256 + (r.proto & 0xff);
    const outcome = r.outcome === "FAIL" ? FAIL : r.outcome === "OK" ? OK : UNKNOWN;
    const t = s.t;
    for (let i = 0; i < t.length; i += SLOT) {
      const w = t[i + 1] as number;
      if (t[i] === dst && w >> 2 === pp) {
        if ((w & 3) !== UNKNOWN || outcome === UNKNOWN) {
          this.stats.repeats++;
          return undefined;
        }
        // The first contact was undecided (a lone SYN); this record settles it, once.
        t[i + 1] = (w & ~3) | outcome;
        return this.apply(s, r, outcome, dst, pp);
      }
    }
    // Exact-size arrays (concat copies; push would reserve room for about 17 more slots each time
    // it grows): a source rarely has many targets, and new targets are rare next to repeats.
    if (t.length < this.maxTargets * SLOT) s.t = t.length === 0 ? [dst, pp * 4 + outcome, r.time] : t.concat(dst, pp * 4 + outcome, r.time);
    else {
      const i = s.head * SLOT;
      t[i] = dst;
      t[i + 1] = pp * 4 + outcome;
      t[i + 2] = r.time;
      s.head = (s.head + 1) % this.maxTargets;
      this.stats.evictedTargets++;
    }
    s.probes++;
    return this.apply(s, r, outcome, dst, pp);
  }

  /** Moves Λ for a decided first contact and checks both tests. */
  private apply(s: Source, r: FlowRecord, outcome: number, dst: number | string, pp: number): Detection | undefined {
    if (outcome === OK) {
      s.lambda = Math.max(s.lambda * this.okFactor, this.lower);
      return undefined;
    }
    if (outcome !== FAIL) return undefined;
    s.failures++;
    s.lambda *= this.failFactor;
    let reason: DetectionReason | undefined = s.lambda >= this.upper ? "trw" : undefined;
    if (reason === undefined && s.failures >= this.guardFloor) {
      reason = this.guard(s, r.time, dst, pp);
    }
    if (reason === undefined) return undefined;
    s.flaggedAt = r.time;
    // A flagged source needs no targets any more: only lastSeen keeps it flagged.
    s.t = [];
    s.head = 0;
    this.stats.detections++;
    return { src: r.src, time: r.time, reason, probes: s.probes, failures: s.failures };
  }

  /** The distinct counters over the failed targets within the window around `time`. */
  private guard(s: Source, time: number, dst: number | string, pp: number): DetectionReason | undefined {
    let vertical = 0;
    let horizontal = 0;
    let pairs = 0;
    const t = s.t;
    const w = this.windowSeconds;
    for (let i = 0; i < t.length; i += SLOT) {
      const word = t[i + 1] as number;
      if ((word & 3) !== FAIL || Math.abs((t[i + 2] as number) - time) > w) continue;
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

  private insert(src: string, s: Source): void {
    if (this.sources.size >= this.options.maxSources) {
      const oldest = this.sources.keys().next().value as string;
      this.drop(oldest);
      this.stats.evictedSources++;
    }
    this.sources.set(src, s);
    this.newest = src;
  }

  private drop(src: string): void {
    this.sources.delete(src);
    if (src === this.newest) this.newest = undefined;
  }

  /**
   * The source's state, JSON-safe, or undefined if untracked: `{lastSeen, v, l (Λ), p (probes),
   * f (failures), x? (flag time), t: [dst, port·1024 + proto·4 + outcome, time, ...] oldest first}`,
   * with IPv4 dsts as numbers.
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
    return { lastSeen: s.lastSeen, v: STATE_VERSION, l: s.lambda, p: s.probes, f: s.failures, ...(s.flaggedAt >= 0 ? { x: s.flaggedAt } : {}), t };
  }

  /**
   * Replace a source's state with a stored one (from `save`). Returns false, and leaves the source
   * untracked, when the state is not one `save` writes (another version, damaged): it then starts
   * clean. Targets beyond `maxTargetsPerSource` are dropped oldest first. Counts as seeing the
   * source for the LRU order.
   */
  load(src: string, state: SourceState): boolean {
    this.drop(src);
    const st = state as { lastSeen: unknown; v?: unknown; l?: unknown; p?: unknown; f?: unknown; x?: unknown; t?: unknown };
    const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
    const t = st.t;
    if (
      st.v !== STATE_VERSION || !num(st.lastSeen) || !num(st.l) || !(st.l > 0) || !num(st.p) || !num(st.f) ||
      (st.x !== undefined && !num(st.x)) || !Array.isArray(t) || t.length % SLOT !== 0
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
    s.t = t.slice(Math.max(0, t.length - this.maxTargets * SLOT)) as (number | string)[];
    this.insert(src, s);
    return true;
  }

  /** Forget a source (e.g. once its quarantine ended). */
  forget(src: string): void {
    this.drop(src);
  }

  /** Drop sources idle longer than idleMinutes at `now` (Unix s); returns how many. O(sources). */
  expire(now: number): number {
    let n = 0;
    for (const [src, s] of this.sources) {
      if (now - s.lastSeen > this.idleSeconds) {
        this.drop(src);
        n++;
      }
    }
    this.stats.expiredSources += n;
    return n;
  }
}
