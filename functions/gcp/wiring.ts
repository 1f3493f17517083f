/**
 * The functions' dependencies built from their clients: shared by index.ts (real SDK clients) and
 * the tests (strict fakes), so what is tested is the wiring that runs.
 */
import type { JsonStore } from "../core/json-store";
import type { Log } from "../core/log";
import type { LookupPorts } from "../core/lookup";
import { censysSecondary, type CensysIndexOptions } from "../censys";
import { createShodanIndex, type RateLimiter, type ShodanClientLike } from "../shodan";
import type { GcpWatcherEnv } from "./env";
import type { ListIpsDeps } from "./list-ips";
import { logAlertSender, type LineWriter } from "./log";
import type { FailurePorts } from "./lookup";
import { accessConfigRotator, type RotationInstancesLike, type ZoneOperationsLike } from "./rotation";
import { secretManagerApiKey, type SecretAccessorLike } from "./secret-manager";

/** One instance's clients, created once at cold start. */
export interface GcpClients {
  readonly instances: RotationInstancesLike & ListIpsDeps["instances"];
  readonly operations: ZoneOperationsLike;
  readonly tasks: ListIpsDeps["tasks"];
  /** The results bucket as a `JsonStore`. */
  readonly store: JsonStore;
  readonly secrets: SecretAccessorLike;
  /** Spaces this instance's Shodan calls (the queue's rate limit is the first guard). */
  readonly limiter: RateLimiter;
  /** Where log lines and alert entries go (stdout in Cloud Run). */
  readonly write: LineWriter;
  /** @default shodan-client (tests pass a fake) */
  readonly shodan?: ShodanClientLike;
  /** Censys's HTTP and waits. @default the global fetch and setTimeout (tests pass quicker ones) */
  readonly censys?: Pick<CensysIndexOptions, "fetch" | "sleep">;
  readonly now: () => Date;
}

/** Shodan's documented rate for an account: 1 request/s. */
export const SHODAN_MIN_INTERVAL_MS = 1000;

/** The lookup's ports for one request (its log). */
export function lookupPorts(clients: GcpClients, env: GcpWatcherEnv, log: Log): LookupPorts {
  return {
    store: clients.store,
    readApiKey: () => secretManagerApiKey(clients.secrets, env.secret),
    sendAlert: logAlertSender(clients.write, "WARNING"),
    rotator: accessConfigRotator(clients.instances, clients.operations, env, log),
    // Per request, with the key read in it, so a new key version takes effect at once.
    indexFor: (apiKey) => createShodanIndex({ apiKey, honeyscore: env.honeyscore, limiter: clients.limiter, ...(clients.shodan ? { client: clients.shodan } : {}) }),
    indexName: "shodan",
    ...(env.censys ? { secondary: [censysSecondary(env.censys, () => secretManagerApiKey(clients.secrets, env.censys!.secret), clients.censys)] } : {}),
    now: clients.now,
    log,
  };
}

/** What a lookup given up on needs. */
export function failurePorts(clients: GcpClients): FailurePorts {
  return { store: clients.store, sendAlert: logAlertSender(clients.write, "ERROR") };
}

/** List-ips' dependencies for one request (its log). */
export function listIpsDeps(clients: GcpClients, log: Log): ListIpsDeps {
  return { instances: clients.instances, tasks: clients.tasks, sendAlert: logAlertSender(clients.write, "ERROR"), now: clients.now, log };
}
