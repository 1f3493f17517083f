/**
 * Entry point of the Azure watcher's function package (bundled by modules/core/bundle.ts, with
 * `@azure/functions-core` left external: the Node worker provides it). Wiring only: the app
 * settings are checked and the SDK clients created once per instance, at module load; the two
 * functions are registered with the v4 programming model. Nothing here calls Azure until an
 * invocation does.
 *
 * - `list-ips`: timer, schedule `%LURE_SCHEDULE%` (NCRONTAB from watcher.schedule);
 * - `lookup`: queue trigger on `%LURE_QUEUE_NAME%`, identity-based connection `LURE_QUEUE`
 *   (`LURE_QUEUE__queueServiceUri`, `__credential`, `__clientId`); semantics in host.ts.
 *
 * Every client authenticates as the user-assigned identity `LURE_CLIENT_ID`, with bounded retries
 * and per-attempt timeouts (sdk-options.ts).
 */
import { NetworkManagementClient } from "@azure/arm-network";
import { EmailClient } from "@azure/communication-email";
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { ManagedIdentityCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { ContainerClient } from "@azure/storage-blob";
import { QueueClient } from "@azure/storage-queue";
import { blobJsonStore } from "./blob-store";
import { azureWatcherEnv } from "./env";
import { listIps } from "./list-ips";
import { consoleLog, invocationLog } from "./log";
import { lookupMessage } from "./lookup";
import { clientOptions, storageOptions } from "./sdk-options";
import { shodanGate } from "./shodan-gate";
import { listIpsDeps, lookupPorts, type WatcherClients } from "./wiring";

/** Names the functions are registered under (the construct and the README refer to them). */
export const FUNCTION_NAMES = { listIps: "list-ips", lookup: "lookup" } as const;

const env = azureWatcherEnv(process.env, "lure watcher functions");

const credential = new ManagedIdentityCredential({ clientId: env.clientId, ...clientOptions() });
const store = blobJsonStore(new ContainerClient(env.resultsUrl, credential, storageOptions()));
const clients: WatcherClients = {
  network: new NetworkManagementClient(credential, env.subscriptionId, clientOptions()),
  queue: new QueueClient(env.queueUrl, credential, storageOptions()),
  poison: new QueueClient(env.poisonQueueUrl, credential, storageOptions()),
  store,
  secrets: new SecretClient(env.vaultUrl, credential, clientOptions()),
  email: env.alert.kind === "email" ? new EmailClient(env.alert.endpoint, credential, clientOptions()) : undefined,
  // One per instance, so this instance's calls queue locally and claim the shared slot one at a time.
  gate: shodanGate(store, { minIntervalMs: env.minIntervalMs, log: consoleLog }),
  now: () => new Date(),
};

app.timer(FUNCTION_NAMES.listIps, {
  schedule: "%LURE_SCHEDULE%",
  handler: async (timer: Timer, context: InvocationContext) => {
    const log = invocationLog(context);
    if (timer.isPastDue) log("warn", "timerPastDue", {});
    await listIps(listIpsDeps(clients, env, log), env);
  },
});

app.storageQueue(FUNCTION_NAMES.lookup, {
  queueName: "%LURE_QUEUE_NAME%",
  connection: "LURE_QUEUE",
  handler: async (entry: unknown, context: InvocationContext) => {
    const meta = context.triggerMetadata ?? {};
    const dequeueCount = Number(meta.dequeueCount);
    await lookupMessage(
      entry,
      { id: typeof meta.id === "string" ? meta.id : "unknown", dequeueCount: Number.isSafeInteger(dequeueCount) ? dequeueCount : 0 },
      lookupPorts(clients, env, invocationLog(context)),
      env,
    );
  },
});
