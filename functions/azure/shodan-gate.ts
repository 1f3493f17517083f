/**
 * The Shodan rate (1 request/s for the account) across every instance of the lookup function. The
 * Consumption plan may run several instances despite `app_scale_limit`, and a per-process limiter
 * cannot see the others, so the spacing is kept in a slot document in the results container,
 * `state/shodan-gate.json` = `{ "next": <ISO time> }`, the earliest start of the next request.
 *
 * Taking the gate: read the document; while `next` is ahead, sleep (at most {@link POLL_MS}) and
 * read again; once it has passed, claim by writing `next = now + holdMs + spacing` conditionally
 * (If-Match the ETag read, If-None-Match: * when there is none), then call. A refused condition
 * means another instance claimed first: read again. The claim holds the gate for the whole call at its longest (`holdMs`, the
 * adapter's call budget), because one call may send several requests (got retries a 429 or 5xx
 * after 1 s and 2 s) that never pass the gate. When the call ends, its holder sets
 * `next = end + spacing`, conditioned on its own claim's ETag, so the next request starts `spacing`
 * after this one's last. If that write fails (or the instance dies mid-call), the hold simply runs
 * out. `spacing` is `minIntervalMs` plus {@link CLOCK_SKEW_MARGIN_MS}: instances compare their own
 * clocks with times other instances wrote.
 *
 * Failure outcomes: a store error, more than `maxClaimAttempts` lost claims, or a slot further
 * than `maxWaitMs` away reject with `IndexUnavailableError` (or the store's error), so the message
 * goes back to the queue and is retried after the visibility timeout. A `next` further ahead than
 * `MAX_BELIEVABLE_AHEAD_MS` (a hand edit, a clock far off) is taken as corrupt and overwritten.
 *
 * @example
 * const gate = shodanGate(blobJsonStore(container), { minIntervalMs: 1000, log });
 * const index = createShodanIndex({ apiKey, limiter: gate });
 */
import type { JsonStore, WriteCondition } from "../core/json-store";
import { errorFields, type Log } from "../core/log";
import { IndexUnavailableError } from "../core/scanner-index";
import type { RateLimiter } from "../shodan";
import { callBudgetMs } from "../shodan/budget";

/** Key of the slot document in the results container (under `state/`, like the other markers). */
export const SHODAN_GATE_KEY = "state/shodan-gate.json";
/** Claims lost to other instances before a call gives up. */
export const DEFAULT_MAX_CLAIM_ATTEMPTS = 20;
/** Longest wait for a slot before the message is sent back instead (the function timeout is 5 min). */
export const DEFAULT_MAX_WAIT_MS = 30_000;
/** Longest sleep before the gate is read again while another instance holds it. */
export const POLL_MS = 500;
/** Added to the spacing: the instances' clocks (NTP-synchronised on Azure's hosts) may differ by a little. */
export const CLOCK_SKEW_MARGIN_MS = 250;
/** A `next` further ahead than this cannot come from real claims: overwritten. */
export const MAX_BELIEVABLE_AHEAD_MS = 10 * 60_000;

export interface ShodanGateOptions {
  /** Spacing of Shodan requests across all instances, in ms. */
  readonly minIntervalMs: number;
  readonly log: Log;
  /** @default DEFAULT_MAX_CLAIM_ATTEMPTS */
  readonly maxClaimAttempts?: number;
  /** @default DEFAULT_MAX_WAIT_MS */
  readonly maxWaitMs?: number;
  /** Longest a call may hold the gate (its requests and retries). @default callBudgetMs(), the Shodan adapter's */
  readonly holdMs?: number;
  /** Clock in ms. @default Date.now (read at each use, so fake timers apply) */
  readonly now?: () => number;
  /** @default a setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Slot {
  readonly next?: number;
  readonly condition: WriteCondition;
}

/** The gate, as the `RateLimiter` the Shodan adapter takes. Calls of one instance also run one at a time. */
export function shodanGate(store: JsonStore, options: ShodanGateOptions): RateLimiter {
  const { minIntervalMs, log } = options;
  if (!Number.isFinite(minIntervalMs) || minIntervalMs < 0) throw new RangeError(`minIntervalMs: ${String(minIntervalMs)} is not a number of ms >= 0`);
  const maxAttempts = options.maxClaimAttempts ?? DEFAULT_MAX_CLAIM_ATTEMPTS;
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const holdMs = options.holdMs ?? callBudgetMs();
  const spacing = minIntervalMs + CLOCK_SKEW_MARGIN_MS;
  const now = options.now ?? (() => Date.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // Settles when this instance's last call has; never rejects, so one failure does not stop the queue.
  let tail: Promise<void> = Promise.resolve();

  async function readSlot(): Promise<Slot> {
    const stored = await store.get(SHODAN_GATE_KEY);
    if (!stored.exists) return { condition: { ifNoneMatch: "*" } };
    if (stored.etag === undefined) throw new Error(`the store returned no ETag for ${SHODAN_GATE_KEY}; the gate cannot claim a slot`);
    const raw = (stored.value as { next?: unknown } | undefined)?.next;
    const next = typeof raw === "string" ? Date.parse(raw) : NaN;
    if (Number.isNaN(next)) {
      log("warn", "shodanGateReset", { key: SHODAN_GATE_KEY, reason: "not a slot document" });
      return { condition: { ifMatch: stored.etag } };
    }
    if (next - now() > MAX_BELIEVABLE_AHEAD_MS) {
      log("warn", "shodanGateReset", { key: SHODAN_GATE_KEY, reason: "next is too far ahead", next: raw });
      return { condition: { ifMatch: stored.etag } };
    }
    return { next, condition: { ifMatch: stored.etag } };
  }

  /**
   * Waits until the gate is open (`next` has passed), then claims it for the call; resolves the
   * claim. A gate held by another instance is read again every {@link POLL_MS} at most, so a hold
   * released early is seen early; nothing is claimed ahead of time.
   */
  async function claim(signal?: AbortSignal): Promise<{ readonly etag?: string; readonly held: number }> {
    const deadline = now() + maxWaitMs;
    let lost = 0;
    for (;;) {
      signal?.throwIfAborted();
      const slot = await readSlot();
      const wait = (slot.next ?? 0) - now();
      if (wait > 0) {
        if (now() + Math.min(wait, POLL_MS) > deadline) {
          throw new IndexUnavailableError(`the Shodan gate is still held ${wait} ms after waiting ${maxWaitMs} ms: other lookups are ahead; retry later`);
        }
        await sleep(Math.min(wait, POLL_MS));
        continue;
      }
      const held = now() + holdMs + spacing;
      const written = await store.putIf(SHODAN_GATE_KEY, { next: new Date(held).toISOString() }, slot.condition);
      if (written.written) return { held, ...(written.etag === undefined ? {} : { etag: written.etag }) };
      if (++lost >= maxAttempts) throw new IndexUnavailableError(`the Shodan gate was claimed by other instances ${maxAttempts} times in a row; retry later`);
    }
  }

  /** After the call: the gate opens `spacing` after its end instead of after its longest hold. Best effort. */
  async function release(claimed: { readonly etag?: string; readonly held: number }, end: number): Promise<void> {
    const next = new Date(end + spacing).toISOString();
    try {
      // Only over our own claim: nobody can have claimed after it while it held the gate.
      let condition: WriteCondition | undefined = claimed.etag === undefined ? undefined : { ifMatch: claimed.etag };
      if (condition === undefined) {
        const slot = await readSlot();
        if (slot.next === claimed.held) condition = slot.condition;
      }
      const written = condition === undefined ? { written: false } : await store.putIf(SHODAN_GATE_KEY, { next }, condition);
      if (!written.written) log("warn", "shodanGateNotReleased", { key: SHODAN_GATE_KEY, reason: "the slot document changed; the hold runs out by itself", heldUntil: new Date(claimed.held).toISOString() });
    } catch (err) {
      log("warn", "shodanGateNotReleased", { key: SHODAN_GATE_KEY, heldUntil: new Date(claimed.held).toISOString(), ...errorFields(err) });
    }
  }

  return {
    schedule<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      const run = async (): Promise<T> => {
        const claimed = await claim(signal);
        try {
          // Dropped after claiming: released below like a call that ended at once.
          signal?.throwIfAborted();
          return await fn();
        } finally {
          await release(claimed, now());
        }
      };
      const result = tail.then(run);
      tail = result.then(
        () => undefined,
        () => undefined,
      );
      return result;
    },
  };
}
