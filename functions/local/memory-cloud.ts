/**
 * An in-memory cloud for the Quarantine engine: the store, the steering port and the copies port
 * with the same conditional semantics as DynamoDB and ELBv2, used by `lure simulate` and the tests.
 *
 * The listener holds lure's rules (in its band, forwarding to the copies) and other rules (the user's,
 * an anchor rule; in the band or not, forwarding elsewhere). Like the AWS adapter, `readRules` splits
 * lure's rules from every other one.
 *
 * It is strict on purpose, so engine bugs surface here instead of in an AWS account:
 * - stale conditional writes (`putSource`, `putMode`) throw {@link ConflictError};
 * - a create on a priority any rule holds throws ConflictError (as ELBv2's `PriorityInUse`);
 * - a create beyond the load balancer's rule limit throws {@link RuleQuotaError} (as ELBv2's
 *   `TooManyRules`, which the AWS adapter turns into an error of that name);
 * - a rule with no CIDR, more than `cidrsPerRule`, a duplicate CIDR, a malformed CIDR, a create
 *   outside lure's band, more lure rules than `ruleQuota`, a modify or delete of an unknown rule, of
 *   a rule that is not lure's or with the wrong priority: plain `Error` (a bug, not a race);
 * - a negative or fractional copy count: `Error`.
 *
 * Copies are not healthy at once: each one passes its health check `copyStartSeconds` after it was
 * asked for, so `healthyTargets` shows the engine (and `lure simulate`) the honest start-up delay.
 *
 * Every rule change, copy-count change and mode change is recorded in `events` with the time of the
 * injected clock, for the simulator's timeline.
 */
import { ownAddress } from "../core/flow";
import { ConflictError, type AddressProof, type CopiesPort, type ListenerRules, type ModeState, type Quarantine, type QuarantineStore, type RuleChange, type SourceState, type SteeringOptions, type SteeringPort, type SteeringRule, type Versioned } from "../core/quarantine-types";

export interface MemoryCloudOptions {
  /** lure's band and ALB limits. */
  readonly steering: SteeringOptions;
  /** The listener's other rules (the user's, an anchor), by priority, in lure's band or not. @default none */
  readonly otherPriorities?: readonly number[];
  /**
   * Rules the load balancer really accepts, lure's and others' together (set it below
   * `steering.albRuleLimit` to play a deployment whose config overstates it).
   * @default steering.albRuleLimit
   */
  readonly albRuleLimit?: number;
  /** Copies running (and healthy) at the start. @default 0 */
  readonly initialCopies?: number;
  /** Seconds of `clock` from asking for a copy to its passing the target group's health check. @default 60 */
  readonly copyStartSeconds?: number;
  /** The clock for event times and TTLs (Unix seconds): the simulated clock, or a test's. */
  readonly clock: () => number;
}

/** Where lure's rules forward: the copies' target group. */
export const COPIES_TARGET_GROUP = "copies";
/** Where other rules forward unless told otherwise. */
export const USER_TARGET_GROUP = "user";

/** A rule of the simulated listener, with where it forwards. */
export interface ListenerRule extends SteeringRule {
  readonly forwardTo: string;
}

/** The simulated load balancer holds all the rules it accepts (the name the engine looks for). */
export class RuleQuotaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RuleQuotaError";
  }
}

/** One thing that happened in the memory cloud, for timelines and assertions. */
export type CloudEvent =
  | { readonly at: number; readonly kind: "rule"; readonly change: RuleChange; /** The id a create got. */ readonly id: string }
  | { readonly at: number; readonly kind: "copies"; readonly from: number; readonly to: number }
  | { readonly at: number; readonly kind: "mode"; readonly from: ModeState["mode"]; readonly to: ModeState["mode"] };

export interface MemoryCloud {
  readonly store: MemoryStore;
  readonly steering: MemorySteering;
  readonly copies: MemoryCopies;
  /** Everything recorded so far, oldest first. */
  readonly events: CloudEvent[];
}

interface Item<T> {
  value: T;
  version: number;
  expiresAt: number;
}

/** The default mode record when none was written yet (the AWS store answers the same way). */
const NO_MODE: ModeState = { mode: "normal", since: 0, recentFlags: [] };

export class MemoryStore implements QuarantineStore {
  /** As JSON, as a table holds them: a copy the engine cannot alias, at a third of an object graph's memory. */
  private readonly sources = new Map<string, Item<string>>();
  private readonly quarantines = new Map<string, Item<Quarantine>>();
  private readonly proofs = new Map<string, Item<AddressProof>>();
  private mode: Item<ModeState> | undefined;
  private lease: { owner: string; expiresAt: number } | undefined;
  private nextVersion = 1;

  constructor(
    private readonly clock: () => number,
    private readonly record: (e: CloudEvent) => void,
  ) {}

  async getSources(srcs: readonly string[]): Promise<Map<string, Versioned<SourceState>>> {
    const out = new Map<string, Versioned<SourceState>>();
    for (const src of srcs) {
      const item = this.live(this.sources, src);
      if (item) out.set(src, { value: JSON.parse(item.value) as SourceState, version: item.version });
    }
    return out;
  }

  async putSource(src: string, state: SourceState, expectedVersion: number | undefined, expiresAt: number): Promise<void> {
    const item = this.live(this.sources, src);
    if (item?.version !== expectedVersion) throw new ConflictError(`source ${src}: version ${item?.version ?? "none"}, expected ${expectedVersion ?? "none"}`);
    this.sources.set(ownAddress(src), { value: JSON.stringify(state), version: this.nextVersion++, expiresAt });
  }

  async deleteSource(src: string): Promise<void> {
    this.sources.delete(src);
  }

  async getProofs(srcs: readonly string[]): Promise<Map<string, AddressProof>> {
    const out = new Map<string, AddressProof>();
    for (const src of srcs) {
      const item = this.live(this.proofs, src);
      if (item) out.set(src, { ...item.value });
    }
    return out;
  }

  /** Earlier `first` and later `last` win, like the DynamoDB store's conditional update; the later expiry wins. */
  async putProofs(proofs: readonly { readonly src: string; readonly proof: AddressProof; readonly expiresAt: number }[]): Promise<void> {
    for (const { src, proof, expiresAt } of proofs) {
      const item = this.live(this.proofs, src);
      const value = item ? { first: Math.min(item.value.first, proof.first), last: Math.max(item.value.last, proof.last) } : { ...proof };
      this.proofs.set(ownAddress(src), { value, version: this.nextVersion++, expiresAt: Math.max(item?.expiresAt ?? 0, expiresAt) });
    }
  }

  /** Number of stored proofs (tests). */
  get proofCount(): number {
    return this.proofs.size;
  }

  async listQuarantines(): Promise<Quarantine[]> {
    const out: Quarantine[] = [];
    for (const src of [...this.quarantines.keys()].sort()) {
      const item = this.live(this.quarantines, src);
      if (item) out.push({ ...item.value });
    }
    return out;
  }

  /** Later `lastSeen` wins; the first detection (`detectedAt`, `reason`, `probes`) is kept. */
  async upsertQuarantine(q: Quarantine, expiresAt: number): Promise<void> {
    const item = this.live(this.quarantines, q.src);
    if (!item) {
      const src = ownAddress(q.src);
      this.quarantines.set(src, { value: { ...q, src }, version: this.nextVersion++, expiresAt });
      return;
    }
    const later = q.lastSeen > item.value.lastSeen;
    item.value = { ...item.value, lastSeen: Math.max(item.value.lastSeen, q.lastSeen) };
    item.expiresAt = later ? expiresAt : Math.max(item.expiresAt, expiresAt);
    item.version = this.nextVersion++;
  }

  /** Conditional on `lastSeen` like the DynamoDB store: false when a refresh moved it, true when deleted or gone. */
  async deleteQuarantine(src: string, expectedLastSeen?: number): Promise<boolean> {
    const item = this.live(this.quarantines, src);
    if (!item) return true;
    if (expectedLastSeen !== undefined && item.value.lastSeen !== expectedLastSeen) return false;
    this.quarantines.delete(src);
    return true;
  }

  async getMode(): Promise<Versioned<ModeState>> {
    return this.mode ? { value: clone(this.mode.value), version: this.mode.version } : { value: NO_MODE, version: undefined };
  }

  async putMode(state: ModeState, expectedVersion: number | undefined): Promise<void> {
    if (this.mode?.version !== expectedVersion) throw new ConflictError(`mode: version ${this.mode?.version ?? "none"}, expected ${expectedVersion ?? "none"}`);
    const from = this.mode?.value.mode ?? NO_MODE.mode;
    this.mode = { value: clone(state), version: this.nextVersion++, expiresAt: Infinity };
    if (from !== state.mode) this.record({ at: this.clock(), kind: "mode", from, to: state.mode });
  }

  async acquireLease(owner: string, now: number, ttlSeconds: number): Promise<boolean> {
    if (this.lease && this.lease.owner !== owner && this.lease.expiresAt > now) return false;
    this.lease = { owner, expiresAt: now + ttlSeconds };
    return true;
  }

  async releaseLease(owner: string): Promise<void> {
    // Like a conditional delete: releasing a lease someone else took over does nothing.
    if (this.lease?.owner === owner) this.lease = undefined;
  }

  /** Who holds the lease (tests). */
  get leaseOwner(): string | undefined {
    return this.lease?.owner;
  }

  /** Number of stored source states (tests, memory checks). */
  get sourceCount(): number {
    return this.sources.size;
  }

  /**
   * Deletes every item past its TTL, as DynamoDB's TTL sweep does: a long replay keeps no more than
   * a table would.
   */
  sweep(): void {
    for (const map of [this.sources, this.quarantines, this.proofs] as Map<string, Item<unknown>>[]) for (const key of [...map.keys()]) this.live(map, key);
  }

  /** An item past its TTL is gone (DynamoDB deletes it lazily, but the engine must not need it). */
  private live<T>(map: Map<string, Item<T>>, key: string): Item<T> | undefined {
    const item = map.get(key);
    if (item && item.expiresAt <= this.clock()) {
      map.delete(key);
      return undefined;
    }
    return item;
  }
}

export class MemorySteering implements SteeringPort {
  /** Every rule of the listener, lure's and others', by id. */
  private readonly rules = new Map<string, ListenerRule>();
  private nextId = 1;

  constructor(
    private readonly options: SteeringOptions,
    otherPriorities: readonly number[],
    private readonly albRuleLimit: number,
    private readonly healthy: () => number,
    private readonly clock: () => number,
    private readonly record: (e: CloudEvent) => void,
  ) {
    for (const p of otherPriorities) this.addOtherRule(p);
  }

  async readRules(): Promise<ListenerRules> {
    return {
      rules: this.lure()
        .sort((a, b) => a.priority - b.priority)
        .map((r) => ({ id: r.id, priority: r.priority, cidrs: [...r.cidrs] })),
      otherPriorities: [...this.rules.values()]
        .filter((r) => !this.isLure(r))
        .map((r) => r.priority)
        .sort((a, b) => a - b),
    };
  }

  async healthyTargets(): Promise<number> {
    return this.healthy();
  }

  async apply(change: RuleChange): Promise<void> {
    if (change.kind === "create") {
      const { firstPriority, ruleQuota } = this.options;
      if (!this.inBand(change.priority)) throw new Error(`create at priority ${change.priority}: outside lure's band ${firstPriority}-${firstPriority + ruleQuota - 1}`);
      if ([...this.rules.values()].some((r) => r.priority === change.priority)) throw new ConflictError(`priority ${change.priority} is in use`);
      if (this.lure().length + 1 > ruleQuota) throw new Error(`create at priority ${change.priority}: lure would hold ${this.lure().length + 1} rules, quota ${ruleQuota}`);
      if (this.rules.size + 1 > this.albRuleLimit) throw new RuleQuotaError(`create at priority ${change.priority}: the listener holds ${this.rules.size} rules, the load balancer accepts ${this.albRuleLimit}`);
      this.checkCidrs(change.cidrs, `create at priority ${change.priority}`);
      const id = `arn:memory:listener-rule/${this.nextId++}`;
      this.rules.set(id, { id, priority: change.priority, cidrs: [...change.cidrs], forwardTo: COPIES_TARGET_GROUP });
      this.record({ at: this.clock(), kind: "rule", change, id });
      return;
    }
    const rule = this.rules.get(change.id);
    if (!rule) throw new Error(`${change.kind} ${change.id}: no such rule`);
    // The AWS API would let this through; for lure it is always a bug: the rule is someone else's.
    if (!this.isLure(rule)) throw new Error(`${change.kind} ${change.id}: not lure's rule (priority ${rule.priority}, forwards to ${rule.forwardTo})`);
    if (rule.priority !== change.priority) throw new Error(`${change.kind} ${change.id}: priority ${change.priority}, the rule has ${rule.priority}`);
    if (change.kind === "modify") {
      this.checkCidrs(change.cidrs, `modify ${change.id}`);
      this.rules.set(rule.id, { ...rule, cidrs: [...change.cidrs] });
    } else this.rules.delete(rule.id);
    this.record({ at: this.clock(), kind: "rule", change, id: rule.id });
  }

  /**
   * Another rule appears on the listener (a user's, an anchor, or a race in tests), forwarding to
   * `forwardTo`; returns its id.
   */
  addOtherRule(priority: number, cidrs: readonly string[] = [], forwardTo = USER_TARGET_GROUP): string {
    if ([...this.rules.values()].some((r) => r.priority === priority)) throw new Error(`priority ${priority} is in use`);
    if (forwardTo === COPIES_TARGET_GROUP) throw new Error("another rule forwarding to the copies would be lure's");
    const id = `arn:memory:listener-rule/other-${this.nextId++}`;
    this.rules.set(id, { id, priority, cidrs: [...cidrs], forwardTo });
    return id;
  }

  /** Every rule of the listener, lure's and others', by priority (tests). */
  get allRules(): ListenerRule[] {
    return [...this.rules.values()].sort((a, b) => a.priority - b.priority).map((r) => ({ ...r, cidrs: [...r.cidrs] }));
  }

  /** lure's rules right now, without copying (tests). */
  get size(): number {
    return this.lure().length;
  }

  private inBand(p: number): boolean {
    return p >= this.options.firstPriority && p < this.options.firstPriority + this.options.ruleQuota;
  }

  private isLure(r: ListenerRule): boolean {
    return this.inBand(r.priority) && r.forwardTo === COPIES_TARGET_GROUP;
  }

  private lure(): ListenerRule[] {
    return [...this.rules.values()].filter((r) => this.isLure(r));
  }

  private checkCidrs(cidrs: readonly string[], what: string): void {
    if (cidrs.length === 0) throw new Error(`${what}: a source-ip condition needs at least one CIDR`);
    if (cidrs.length > this.options.cidrsPerRule) throw new Error(`${what}: ${cidrs.length} CIDRs, at most ${this.options.cidrsPerRule}`);
    if (new Set(cidrs).size !== cidrs.length) throw new Error(`${what}: duplicate CIDR in ${cidrs.join(",")}`);
    for (const c of cidrs) if (!/^[0-9.]+\/32$|^[0-9a-f:.]+\/128$/.test(c)) throw new Error(`${what}: "${c}" is not a single-address CIDR`);
  }
}

export class MemoryCopies implements CopiesPort {
  /** When each running copy was asked for, oldest first (initial copies: healthy from the start). */
  private readonly started: number[];

  constructor(
    initial: number,
    private readonly startSeconds: number,
    private readonly clock: () => number,
    private readonly record: (e: CloudEvent) => void,
  ) {
    this.started = Array.from({ length: initial }, () => -Infinity);
  }

  async setDesired(count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 0) throw new Error(`desired count ${count}: must be a whole number ≥ 0`);
    const from = this.started.length;
    if (count === from) return;
    this.record({ at: this.clock(), kind: "copies", from, to: count });
    // Scaling in stops the newest copies first (the ones least likely to be serving yet).
    if (count < from) this.started.splice(count);
    else for (let i = from; i < count; i++) this.started.push(this.clock());
  }

  async getDesired(): Promise<number> {
    return this.started.length;
  }

  /** Copies past their start-up delay: what the target group reports healthy. */
  healthy(): number {
    const now = this.clock();
    return this.started.filter((t) => now >= t + this.startSeconds).length;
  }
}

/** A fresh in-memory cloud: empty store, no lure rules, the other rules given, `initialCopies` healthy copies. */
export function createMemoryCloud(options: MemoryCloudOptions): MemoryCloud {
  const clock = options.clock;
  const events: CloudEvent[] = [];
  const record = (e: CloudEvent) => void events.push(e);
  const copies = new MemoryCopies(options.initialCopies ?? 0, options.copyStartSeconds ?? 60, clock, record);
  return {
    store: new MemoryStore(clock, record),
    steering: new MemorySteering(options.steering, options.otherPriorities ?? [], options.albRuleLimit ?? options.steering.albRuleLimit, () => copies.healthy(), clock, record),
    copies,
    events,
  };
}

/** Stored values are copied in and out, so the engine cannot change the store behind its back. */
function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
