/**
 * The functions' dependencies built from their clients: shared by index.ts (real SDK clients) and
 * the tests (strict fakes), so what is tested is the wiring that runs.
 */
import type { JsonStore } from "../core/json-store";
import type { Log } from "../core/log";
import type { LookupPorts } from "../core/lookup";
import { censysSecondary, type CensysIndexOptions } from "../censys";
import { createShodanIndex, type RateLimiter, type ShodanClientLike } from "../shodan";
import { alertSender, type EmailClientLike } from "./email-alert";
import type { AzureWatcherEnv } from "./env";
import { keyVaultApiKey, type SecretReaderLike } from "./key-vault";
import type { ListIpsDeps } from "./list-ips";
import { publicIpRotator, type RotationNetworkLike } from "./rotation";

/** One instance's clients, created once at cold start. */
export interface WatcherClients {
  readonly network: RotationNetworkLike & ListIpsDeps["network"];
  readonly queue: ListIpsDeps["queue"];
  readonly poison: ListIpsDeps["poison"];
  /** The results container as a `JsonStore`. */
  readonly store: JsonStore;
  readonly secrets: SecretReaderLike;
  /** Undefined when alerts are log-only. */
  readonly email: EmailClientLike | undefined;
  /** The cross-instance Shodan gate (one per instance). */
  readonly gate: RateLimiter;
  /** @default shodan-client (tests pass a fake) */
  readonly shodan?: ShodanClientLike;
  /** Censys's HTTP and waits. @default the global fetch and setTimeout (tests pass quicker ones) */
  readonly censys?: Pick<CensysIndexOptions, "fetch" | "sleep">;
  readonly now: () => Date;
}

/** The lookup's ports for one invocation (its log). */
export function lookupPorts(clients: WatcherClients, env: AzureWatcherEnv, log: Log): LookupPorts {
  return {
    store: clients.store,
    readApiKey: () => keyVaultApiKey(clients.secrets, env.secretName),
    sendAlert: alertSender(env.alert, clients.email, log),
    rotator: publicIpRotator(clients.network, env.resourceGroup, log, clients.now),
    // Per invocation, with the key read in it, so a new key version takes effect at once.
    indexFor: (apiKey) =>
      createShodanIndex({ apiKey, honeyscore: env.honeyscore, limiter: clients.gate, ...(clients.shodan ? { client: clients.shodan } : {}) }),
    indexName: "shodan",
    ...(env.censys ? { secondary: [censysSecondary(env.censys, () => keyVaultApiKey(clients.secrets, env.censys!.secret), clients.censys)] } : {}),
    now: clients.now,
    log,
  };
}

/** List-ips' dependencies for one invocation (its log). */
export function listIpsDeps(clients: WatcherClients, env: AzureWatcherEnv, log: Log): ListIpsDeps {
  return { network: clients.network, queue: clients.queue, poison: clients.poison, sendAlert: alertSender(env.alert, clients.email, log), now: clients.now, log };
}
