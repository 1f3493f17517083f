/**
 * An in-memory cloud for the Quarantine engine: the store, the steering port and the copies port
 * with the same conditional semantics as DynamoDB and ELBv2, used by `lure simulate` and the tests.
 *
 * It is strict on purpose, so engine bugs surface here instead of in an AWS account:
 * - stale conditional writes (`putSource`, `putMode`) throw {@link ConflictError};
 * - a create on a priority any rule holds throws ConflictError (as ELBv2's `PriorityInUse`);
 * - a rule with no CIDR, more than `cidrsPerRule`, a duplicate CIDR, a malformed CIDR, a create
 *   outside lure's band, more lure rules than `ruleQuota`, more rules than the ALB limit, a modify
 *   or delete of an unknown rule or with the wrong priority: plain `Error` (a bug, not a race);
 * - a negative or fractional copy count: `Error`.
 *
 * Every rule change, copy-count change and mode change is recorded in `events` with the time of the
 * injected clock, for the simulator's timeline.
 */
import { ConflictError, type CopiesPort, type ModeState, type Quarantine, type QuarantineStore, type RuleChange, type SourceState, type SteeringOptions, type SteeringPort, type SteeringRule, type Versioned } from "../core/quarantine-types";

export interface MemoryCloudOptions {
  /** lure's band and ALB limits. */
  readonly steering: SteeringOptions;
  /** The listener's other rules (the user's), by priority. @default none */
  readonly otherPriorities?: readonly number[];
  /** Rules per ALB, lure's and others' together. @default 100 */
  readonly albRuleLimit?: number;
  /** Copies running at the start. @default 0 */
  readonly initialCopies?: number;
  /** The clock for event times and TTLs (Unix seconds): the simulated clock, or a test's. */
  readonly clock: () => number;
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
  private readonly sources = new Map<string, Item<SourceState>>();
  private readonly quarantines = new Map<string, Item<Quarantine>>();
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
      if (item) out.set(src, { value: item.value, version: item.version });
    }
    return out;
  }

  async putSource(src: string, state: SourceState, expectedVersion: number | undefined, expiresAt: number): Promise<void> {
    const item = this.live(this.sources, src);
    if (item?.version !== expectedVersion) throw new ConflictError(`source ${src}: version ${item?.version ?? "none"}, expected ${expectedVersion ?? "none"}`);
    this.sources.set(src, { value: clone(state), version: this.nextVersion++, expiresAt });
  }

  async deleteSource(src: string): Promise<void> {
    this.sources.delete(src);
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
      this.quarantines.set(q.src, { value: { ...q }, version: this.nextVersion++, expiresAt });
      return;
    }
    const later = q.lastSeen > item.value.lastSeen;
    item.value = { ...item.value, lastSeen: Math.max(item.value.lastSeen, q.lastSeen) };
    item.expiresAt = later ? expiresAt : Math.max(item.expiresAt, expiresAt);
    item.version = this.nextVersion++;
  }

  async deleteQuarantine(src: string): Promise<void> {
    this.quarantines.delete(src);
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
  private readonly rules = new Map<string, SteeringRule>();
  private readonly others: Set<number>;
  private nextId = 1;

  constructor(
    private readonly options: SteeringOptions,
    otherPriorities: readonly number[],
    private readonly albRuleLimit: number,
    private readonly clock: () => number,
    private readonly record: (e: CloudEvent) => void,
  ) {
    this.others = new Set(otherPriorities);
  }

  async listRules(): Promise<SteeringRule[]> {
    return [...this.rules.values()].sort((a, b) => a.priority - b.priority).map((r) => ({ ...r, cidrs: [...r.cidrs] }));
  }

  async otherRulePriorities(): Promise<number[]> {
    return [...this.others].sort((a, b) => a - b);
  }

  async apply(change: RuleChange): Promise<void> {
    if (change.kind === "create") {
      const { firstPriority, ruleQuota } = this.options;
      if (change.priority < firstPriority || change.priority >= firstPriority + ruleQuota) throw new Error(`create at priority ${change.priority}: outside lure's band ${firstPriority}-${firstPriority + ruleQuota - 1}`);
      if (this.others.has(change.priority) || [...this.rules.values()].some((r) => r.priority === change.priority)) throw new ConflictError(`priority ${change.priority} is in use`);
      if (this.rules.size + 1 > ruleQuota) throw new Error(`create at priority ${change.priority}: lure would hold ${this.rules.size + 1} rules, quota ${ruleQuota}`);
      if (this.rules.size + this.others.size + 1 > this.albRuleLimit) throw new Error(`create at priority ${change.priority}: too many rules on the listener (limit ${this.albRuleLimit})`);
      this.checkCidrs(change.cidrs, `create at priority ${change.priority}`);
      const id = `arn:memory:listener-rule/${this.nextId++}`;
      this.rules.set(id, { id, priority: change.priority, cidrs: [...change.cidrs] });
      this.record({ at: this.clock(), kind: "rule", change, id });
      return;
    }
    const rule = this.rules.get(change.id);
    if (!rule) throw new Error(`${change.kind} ${change.id}: no such rule`);
    if (rule.priority !== change.priority) throw new Error(`${change.kind} ${change.id}: priority ${change.priority}, the rule has ${rule.priority}`);
    if (change.kind === "modify") {
      this.checkCidrs(change.cidrs, `modify ${change.id}`);
      this.rules.set(rule.id, { ...rule, cidrs: [...change.cidrs] });
    } else this.rules.delete(rule.id);
    this.record({ at: this.clock(), kind: "rule", change, id: rule.id });
  }

  /** Another rule appears on the listener (a user, or a race in tests). */
  addOtherRule(priority: number): void {
    if (this.others.has(priority) || [...this.rules.values()].some((r) => r.priority === priority)) throw new Error(`priority ${priority} is in use`);
    this.others.add(priority);
  }

  /** lure's rules right now, without copying (tests). */
  get size(): number {
    return this.rules.size;
  }

  private checkCidrs(cidrs: readonly string[], what: string): void {
    if (cidrs.length === 0) throw new Error(`${what}: a source-ip condition needs at least one CIDR`);
    if (cidrs.length > this.options.cidrsPerRule) throw new Error(`${what}: ${cidrs.length} CIDRs, at most ${this.options.cidrsPerRule}`);
    if (new Set(cidrs).size !== cidrs.length) throw new Error(`${what}: duplicate CIDR in ${cidrs.join(",")}`);
    for (const c of cidrs) if (!/^[0-9.]+\/32$|^[0-9a-f:.]+\/128$/.test(c)) throw new Error(`${what}: "${c}" is not a single-address CIDR`);
  }
}

export class MemoryCopies implements CopiesPort {
  constructor(
    private desired: number,
    private readonly clock: () => number,
    private readonly record: (e: CloudEvent) => void,
  ) {}

  async setDesired(count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 0) throw new Error(`desired count ${count}: must be a whole number ≥ 0`);
    if (count !== this.desired) this.record({ at: this.clock(), kind: "copies", from: this.desired, to: count });
    this.desired = count;
  }

  async getDesired(): Promise<number> {
    return this.desired;
  }
}

/** A fresh in-memory cloud: empty store, no lure rules, `initialCopies` copies. */
export function createMemoryCloud(options: MemoryCloudOptions): MemoryCloud {
  const clock = options.clock;
  const events: CloudEvent[] = [];
  const record = (e: CloudEvent) => void events.push(e);
  return {
    store: new MemoryStore(clock, record),
    steering: new MemorySteering(options.steering, options.otherPriorities ?? [], options.albRuleLimit ?? 100, clock, record),
    copies: new MemoryCopies(options.initialCopies ?? 0, clock, record),
    events,
  };
}

/** Stored values are copied in and out, so the engine cannot change the store behind its back. */
function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
