/**
 * How the Quarantine functions of every cloud log what the engine did: a reconciliation as one
 * summary object, which summaries need attention, and the engine's own events at the right level.
 */
import type { Log } from "./log";
import type { EngineDeps, ReconcileReport, TickReport } from "./quarantine";
import type { Mode } from "./quarantine-types";

/** A reconciliation in a log line: each change with its priority and CIDRs, the sources left unsteered and why. */
export interface RulesSummary {
  readonly skipped: boolean;
  readonly changes: readonly { readonly kind: string; readonly priority: number; readonly cidrs?: readonly string[] }[];
  readonly steered: number;
  /** Live quarantines beyond the capacity (least recently seen first out). */
  readonly evicted: readonly string[];
  readonly capacity: number;
  /** Sources not added yet because the copies had no healthy target. */
  readonly waiting: readonly string[];
  /** The load balancer (or rewrite set) refused a rule: it holds fewer rules than `albRuleLimit` says. */
  readonly ruleQuotaReached: boolean;
}

/** The engine's reconcile report as logged (a delete has no CIDRs). */
export function rulesSummary(r: ReconcileReport): RulesSummary {
  return {
    skipped: r.skipped,
    changes: r.changes.map((c) => (c.kind === "delete" ? { kind: c.kind, priority: c.priority } : { kind: c.kind, priority: c.priority, cidrs: c.cidrs })),
    steered: r.steered,
    evicted: r.evicted,
    capacity: r.capacity,
    waiting: r.waiting,
    ruleQuotaReached: r.ruleQuotaReached,
  };
}

/** What a tick did, as every cloud's mode function logs and returns it (each adds its own id and timings). */
export interface TickOutcome {
  readonly mode: Mode;
  /** The mode changed in this run. */
  readonly changed: boolean;
  readonly forgotten: readonly string[];
  readonly expired: readonly string[];
  /** Quarantines to forget or expire that a batch refreshed meanwhile: kept, judged again next minute. */
  readonly kept: readonly string[];
  /** Honeypot copies asked for. */
  readonly copies: number;
  readonly rules: RulesSummary;
}

/** The engine's tick report as logged. */
export function tickOutcome(r: TickReport): TickOutcome {
  return { mode: r.mode, changed: r.changed, forgotten: r.forgotten, expired: r.expired, kept: r.kept, copies: r.copies, rules: rulesSummary(r.reconcile) };
}

/** Sources left unsteered for lack of rules, or a load balancer that refuses rules, need attention. */
export const rulesNeedAttention = (r: RulesSummary): boolean => r.evicted.length > 0 || r.ruleQuotaReached;

/**
 * Engine events that need someone's attention: sources not steered, rules still moving, a load
 * balancer full before lure's limit. Copies still starting (`copies-not-ready`) are expected for a
 * minute or two at each Defence start, so they stay at info.
 */
const WARN_EVENTS = new Set(["quarantine-evicted", "reconcile-unsettled", "rule-quota-reached"]);

/** The engine's log on a function's log, each line with `tags` (e.g. the invocation's id). */
export function engineLog(log: Log, tags: Readonly<Record<string, unknown>> = {}): NonNullable<EngineDeps["log"]> {
  return (event, fields) => log(WARN_EVENTS.has(event) ? "warn" : "info", event, { ...tags, ...fields });
}
