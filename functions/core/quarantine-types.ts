/**
 * Shared vocabulary of the Quarantine: the normalised flow record, the detector's options and
 * verdicts, the mode, the steering rules, and the ports the orchestration drives. Every cloud's
 * adapters, `lure simulate` and the benchmark speak these types.
 */

/** What a flow says about a first contact: refused/unanswered, established, or not telling. */
export type Outcome = "FAIL" | "OK" | "UNKNOWN";

/** One flow, whatever log it came from. */
export interface FlowRecord {
  /** Event time, Unix seconds (the flow's start). */
  time: number;
  /** The peer that opened the flow (AWS: `pkt-srcaddr` when present). */
  src: string;
  dst: string;
  dport: number;
  /** IANA protocol number (6 TCP, 17 UDP, 1 ICMP). */
  proto: number;
  outcome: Outcome;
  /** The peer's own port, when the log has it: replies from name and discovery services are not first contacts. */
  sport?: number;
  /**
   * Data flowed both ways on this connection (AWS custom format: our host sent data to the peer), so
   * the peer completed a handshake and `src` is its real address: a blind spoofer cannot do that.
   */
  proof?: boolean;
  /**
   * The record itself names its source a scanner (HTTP: a known scanner's user agent, or Cloud
   * Armor's scanner-detection rule): the detector flags the source on it at once, reason `agent`.
   * Set only on evidence carried by a completed connection (nobody can forge it in another's name),
   * and only with outcome `FAIL`, so the engine evaluates the source. Flow logs never set it.
   */
  scanner?: boolean;
}

export type FlowFormat = "aws-v2" | "aws-custom" | "cwl-json" | "azure-vnet" | "gcp-lb";

/** Counters a parser keeps; nothing it drops is dropped silently. */
export interface ParseStats {
  /** Lines (or log events) read. */
  lines: number;
  /** Records produced. */
  records: number;
  /** Lines that could not be parsed (wrong field count, bad number, bad address). */
  malformed: number;
  /** `NODATA` lines: no traffic in the interval. */
  noData: number;
  /** `SKIPDATA` lines: AWS dropped records; data loss to report. */
  skipData: number;
  /** Well-formed lines that say nothing about inbound first contacts (egress, ICMP...). */
  ignored: number;
  /** CloudWatch Logs control messages. */
  controlMessages: number;
}

export const emptyParseStats = (): ParseStats => ({ lines: 0, records: 0, malformed: 0, noData: 0, skipData: 0, ignored: 0, controlMessages: 0 });

/** Thresholds of the scan detector (reference/detection.md §5); the config's `quarantine.detector`. */
export interface DetectorOptions {
  readonly trw: { readonly theta0: number; readonly theta1: number; readonly alpha: number; readonly beta: number };
  /** Event-time window of the distinct counters. */
  readonly windowMinutes: number;
  /** Distinct failed ports on one host. */
  readonly verticalPorts: number;
  /** Distinct failed hosts on one port. */
  readonly horizontalHosts: number;
  /** Distinct failed (host, port) pairs. */
  readonly distinctPairs: number;
  /** A source's state is dropped after this long without a record. */
  readonly idleMinutes: number;
  /** First-contact targets remembered per source (oldest dropped first). */
  readonly maxTargetsPerSource: number;
  /** Sources tracked at once (least recently seen evicted first). */
  readonly maxSources: number;
  /** Sources never flagged (CIDRs). */
  readonly allowCidrs: readonly string[];
  /** How long a failed first contact is remembered for the slow test (event time), beyond `idleMinutes`. */
  readonly memoryMinutes: number;
  /** Distinct failed targets, minus distinct successful ones, within `memoryMinutes` that flag a source. */
  readonly slowFailures: number;
  /** Framing defence: established clients are not steered on evidence anyone can forge in their name. */
  readonly antiSpoofing: AntiSpoofingOptions;
}

/** When a source counts as an established client (reference: the README's threat model). */
export interface AntiSpoofingOptions {
  readonly enabled: boolean;
  /** A proof of address (a completed connection) counts this long after it. */
  readonly historyMinutes: number;
  /** The first proof must be at least this much older than the evidence: a scanner cannot protect itself in passing. */
  readonly settleMinutes: number;
  /** Clients whose proofs are kept in memory at once (least recently proven dropped first). */
  readonly maxClients: number;
}

/**
 * `trw`, `vertical`, `horizontal`, `pairs`: the short-window tests; `slow`: the long memory;
 * `proven`: the source's own completed connections reached a distinct counter (evidence nobody can forge);
 * `agent`: a record marked `scanner` (HTTP: a scanner's user agent or Cloud Armor's scanner detection).
 */
export type DetectionReason = "trw" | "vertical" | "horizontal" | "pairs" | "slow" | "proven" | "agent";

/** A source the detector has decided is scanning. */
export interface Detection {
  readonly src: string;
  /** Event time of the record that decided it (Unix seconds). */
  readonly time: number;
  readonly reason: DetectionReason;
  /** Distinct first contacts (targets) this source made before and including the deciding one. */
  readonly probes: number;
  /** Of which failed. */
  readonly failures: number;
  /**
   * The source is an established client and the evidence could be forged in its name (failed or
   * half-open probes need no handshake): report it, do not steer it.
   */
  readonly withheld: boolean;
  /** With `withheld`: the first proof of its address in the history (Unix seconds). */
  readonly establishedSince?: number;
}

/** A source's proofs of address: its first and last completed connection within the history (Unix seconds). */
export interface AddressProof {
  readonly first: number;
  readonly last: number;
}

/** Detector counters, for logs/metrics and the benchmark. */
export interface DetectorStats {
  /** Records looked at. */
  records: number;
  /** Records from allow-listed sources. */
  allowListed: number;
  /** Records to a target the source had already contacted. */
  repeats: number;
  /** Records that were neither a failure nor about a tracked source (nothing to remember). */
  untracked: number;
  /** Sources dropped because `maxSources` was reached. */
  evictedSources: number;
  /** Targets dropped because `maxTargetsPerSource` was reached. */
  evictedTargets: number;
  /** Sources dropped after `idleMinutes` (and, for failing ones, `memoryMinutes`). */
  expiredSources: number;
  /** Short-window states ended after `idleMinutes` while the long memory kept the source. */
  restartedSources: number;
  /** Records to a target nobody can scan (multicast, broadcast, link-local) or replies from name/discovery ports. */
  unscannable: number;
  /** Records proving their source's address. */
  proofs: number;
  /** Clients' proofs dropped because `antiSpoofing.maxClients` was reached. */
  evictedClients: number;
  /** Detections that steer. */
  detections: number;
  /** Detections withheld: established clients on forgeable evidence. */
  withheld: number;
}

/**
 * One source's detector state as stored between invocations (JSON-safe, compact). The detector
 * owns its inner shape; stores treat it as opaque besides `lastSeen`.
 */
export interface SourceState {
  /** Unix seconds of the last record from this source. */
  readonly lastSeen: number;
  readonly [key: string]: unknown;
}

export type Mode = "normal" | "defence";

/** How the system moves between Normal and Defence Mode. */
export interface ModeOptions {
  /** Minutes without activity from any quarantined source before Normal Mode. */
  readonly quietPeriodMinutes: number;
  /** On Normal Mode, forget quarantined sources (true) or remember them for `rememberMinutes`. */
  readonly forgetOnNormal: boolean;
  /** How long a remembered source is re-quarantined on sight, without a new detection. */
  readonly rememberMinutes: number;
  /** Enter Defence Mode once this many sources were flagged within `defenceWindowMinutes` (1 = the first). */
  readonly defenceAfterSources: number;
  readonly defenceWindowMinutes: number;
}

/** A quarantined (or remembered) source. */
export interface Quarantine {
  readonly src: string;
  /** When the detector flagged it (Unix seconds, event time). */
  readonly detectedAt: number;
  /**
   * When records from it were last *received* (Unix seconds, the engine's clock, not the records'
   * event time, which lags by the flow-log delivery delay): liveness and eviction use it.
   */
  readonly lastSeen: number;
  readonly reason: DetectionReason | "remembered";
  readonly probes: number;
}

/** The mode record. */
export interface ModeState {
  readonly mode: Mode;
  /** When the current mode began (Unix seconds). */
  readonly since: number;
  /** Flag times (Unix seconds) of recent detections, for `defenceAfterSources` > 1. */
  readonly recentFlags: readonly number[];
}

/** A listener rule in lure's priority band: forward these sources to the copies. */
export interface SteeringRule {
  /** Cloud id of the rule (AWS: rule ARN). */
  readonly id: string;
  readonly priority: number;
  /** Source CIDRs (`/32` or `/128`), at most `cidrsPerRule`. */
  readonly cidrs: readonly string[];
}

export type RuleChange =
  | { readonly kind: "create"; readonly priority: number; readonly cidrs: readonly string[] }
  | { readonly kind: "modify"; readonly id: string; readonly priority: number; readonly cidrs: readonly string[] }
  | { readonly kind: "delete"; readonly id: string; readonly priority: number };

export interface SteeringOptions {
  /** Lowest priority of lure's band (priorities are evaluated lowest first). */
  readonly firstPriority: number;
  /** Rules lure may hold at once (the size of its priority band). */
  readonly ruleQuota: number;
  /**
   * Rules the load balancer accepts in all (AWS: 100 per ALB by default, excluding the default action).
   * Lure's capacity is also bounded by this minus every rule that is not lure's.
   */
  readonly albRuleLimit: number;
  /** CIDRs per rule (AWS: 5). */
  readonly cidrsPerRule: number;
}

// ---------------------------------------------------------------------------------------------------
// Ports: what the orchestration needs from a cloud. AWS: DynamoDB, ELBv2, ECS / Auto Scaling;
// `lure simulate`: in memory.

/** Raised by a store when a conditional write lost a race; the caller re-reads and retries. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConflictError";
  }
}

export interface Versioned<T> {
  readonly value: T;
  /** Opaque version for the conditional write; `undefined` when the item does not exist. */
  readonly version: number | undefined;
}

export interface QuarantineStore {
  /** Detector states of these sources (missing ones are absent from the map). */
  getSources(srcs: readonly string[]): Promise<Map<string, Versioned<SourceState>>>;
  /** Write a source's state if its version is still `expectedVersion` (undefined: must not exist); else ConflictError. */
  putSource(src: string, state: SourceState, expectedVersion: number | undefined, expiresAt: number): Promise<void>;
  deleteSource(src: string): Promise<void>;
  /** Proofs of address of these sources (missing ones are absent). */
  getProofs(srcs: readonly string[]): Promise<Map<string, AddressProof>>;
  /** Record proofs: the earlier `first` and the later `last` win over what is stored; never fails on a race. */
  putProofs(proofs: readonly { readonly src: string; readonly proof: AddressProof; readonly expiresAt: number }[]): Promise<void>;
  /** Every quarantined/remembered source. */
  listQuarantines(): Promise<Quarantine[]>;
  /** Create or refresh (later `lastSeen` wins; first `detectedAt` wins); never loses a concurrent writer's source. */
  upsertQuarantine(q: Quarantine, expiresAt: number): Promise<void>;
  /**
   * Delete a quarantine. With `expectedLastSeen`, only if its `lastSeen` is still that value: returns
   * false (and deletes nothing) when a concurrent refresh moved it; true when deleted or already gone.
   */
  deleteQuarantine(src: string, expectedLastSeen?: number): Promise<boolean>;
  getMode(): Promise<Versioned<ModeState>>;
  /** Conditional on version like `putSource`. */
  putMode(state: ModeState, expectedVersion: number | undefined): Promise<void>;
  /** Exclusive lease for rule reconciliation; false when someone else holds an unexpired one. */
  acquireLease(owner: string, now: number, ttlSeconds: number): Promise<boolean>;
  releaseLease(owner: string): Promise<void>;
}

/** A listener's rules as the steering sees them. */
export interface ListenerRules {
  /**
   * lure's rules: inside its band AND forwarding only to the copies' target group. A rule in the band
   * that does anything else is someone else's and is never changed.
   */
  readonly rules: SteeringRule[];
  /** Priorities of every other rule of the listener (in the band or not; the default action is not a rule). */
  readonly otherPriorities: number[];
}

export interface SteeringPort {
  /** The listener's rules, read once, split into lure's and everyone else's. */
  readRules(): Promise<ListenerRules>;
  /** Copies registered and healthy behind the copies' target group (rules are only added when > 0). */
  healthyTargets(): Promise<number>;
  /** Apply one change; a create on a taken priority throws ConflictError. */
  apply(change: RuleChange): Promise<void>;
}

export interface CopiesPort {
  /** Set how many honeypot copies run (ECS desired count / ASG desired capacity). */
  setDesired(count: number): Promise<void>;
  getDesired(): Promise<number>;
}

/** What the Quarantine functions get from their deployment (one JSON variable, `LURE_QUARANTINE`). */
export interface QuarantineRuntimeConfig {
  readonly prefix: string;
  readonly detector: DetectorOptions;
  readonly mode: ModeOptions;
  readonly steering: SteeringOptions;
  /** Copies in Defence Mode and in Normal Mode. */
  readonly copies: { readonly defenceCount: number; readonly normalCount: number };
}
