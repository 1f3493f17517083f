/**
 * Entry point of the Google Cloud watcher's function package (one package, two Cloud Run
 * functions, each deployed with its own `entry_point`). Wiring only: the environment is checked
 * at module load and each SDK client created once per instance, on first use; the two HTTP functions are
 * registered with the Functions Framework. Nothing here calls Google until a request does.
 *
 * - `listIps`: called by Cloud Scheduler (OIDC) on `watcher.schedule`;
 * - `lookup`: called by Cloud Tasks (OIDC), one task per request; semantics in lookup.ts.
 *
 * Every client authenticates as the function's service account (Application Default Credentials
 * from the metadata server).
 */
import { InstancesClient } from "@google-cloud/compute/build/src/v1/instances_client";
import { ZoneOperationsClient } from "@google-cloud/compute/build/src/v1/zone_operations_client";
import { http } from "@google-cloud/functions-framework";
import { SecretManagerServiceClient } from "@google-cloud/secret-manager";
import { Storage } from "@google-cloud/storage";
import { CloudTasksClient } from "@google-cloud/tasks";
import { createRateLimiter } from "../shodan";
import { ENTRY_POINTS } from "./entry-points";
import { gcpWatcherEnv } from "./env";
import { gcsJsonStore } from "./gcs-store";
import { listIpsHandler, lookupHandler } from "./handlers";
import { stdoutLine } from "./log";
import { SHODAN_MIN_INTERVAL_MS, type GcpClients } from "./wiring";

export { ENTRY_POINTS };

const env = gcpWatcherEnv(process.env, "lure watcher functions");

/** `make()` on first use, then the same value: each function creates only the clients its requests use. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
const instances = once(() => new InstancesClient());
const operations = once(() => new ZoneOperationsClient());
const tasks = once(() => new CloudTasksClient());
const store = once(() => gcsJsonStore(new Storage().bucket(env.bucket)));
const secrets = once(() => new SecretManagerServiceClient());

// Creating a client parses its API's protos (Compute's: over a second), so none is made at load:
// list-ips never makes the store or Secret Manager client, lookup never the Tasks client.
const clients: GcpClients = {
  // Compute has no public gRPC surface: its client speaks REST (enums as names, as rotation.ts reads them).
  get instances() {
    return instances();
  },
  get operations() {
    return operations();
  },
  get tasks() {
    return tasks();
  },
  get store() {
    return store();
  },
  get secrets() {
    return secrets();
  },
  // One per instance: with the queue's one concurrent dispatch it never waits, but it keeps ≤ 1/s if that setting is lost.
  limiter: createRateLimiter({ minIntervalMs: SHODAN_MIN_INTERVAL_MS }),
  write: stdoutLine,
  now: () => new Date(),
};

/** list-ips, as registered. */
export const listIpsFunction = listIpsHandler(clients, env);
/** lookup, as registered. */
export const lookupFunction = lookupHandler(clients, env);

http(ENTRY_POINTS.listIps, (req, res) => listIpsFunction(req, res));
http(ENTRY_POINTS.lookup, (req, res) => lookupFunction(req, res));
