/**
 * Entry point of the Azure Quarantine's function package (bundled by modules/core/bundle.ts, with
 * `@azure/functions-core` left to the Node worker). Wiring only: the app settings are checked and the
 * SDK clients created once per instance, at module load; the two functions are registered with the
 * v4 programming model. Nothing here calls Azure until an invocation does.
 *
 * - `detector`: queue trigger on `%LURE_FLOW_QUEUE_NAME%` (Event Grid's BlobCreated events of the
 *   flow-log container), identity-based connection `LURE_FLOW_QUEUE`; host.ts says why one message
 *   at a time;
 * - `mode`: timer `%LURE_MODE_SCHEDULE%` (every minute): the mode, the copies, the gateway's rules
 *   (one whole-gateway update per round) and the purge of expired entities.
 *
 * Every client authenticates as the user-assigned identity `LURE_CLIENT_ID`, with bounded retries and
 * per-attempt timeouts (sdk-options.ts).
 */
import { ContainerAppsAPIClient } from "@azure/arm-appcontainers";
import { NetworkManagementClient } from "@azure/arm-network";
import { TableClient } from "@azure/data-tables";
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { ManagedIdentityCredential } from "@azure/identity";
import { ContainerClient } from "@azure/storage-blob";
import { consoleLog } from "../log";
import { clientOptions, storageOptions } from "../sdk-options";
import { QUARANTINE_FUNCTION_NAMES } from "./contract";
import { createDetectorHandler } from "./detector-handler";
import { azureQuarantineEnv } from "./env";
import { createModeHandler } from "./mode-handler";
import { tableQuarantineStore } from "./table-store";
import { quarantineDeps } from "./wiring";

const env = azureQuarantineEnv(process.env, "lure quarantine functions");

const credential = new ManagedIdentityCredential({ clientId: env.clientId, ...clientOptions() });
// LURE_TABLE_URL is the account's table endpoint with the table's name as its path.
const tableUrl = new URL(env.tableUrl);
const table = new TableClient(tableUrl.origin, decodeURIComponent(tableUrl.pathname.replace(/^\/+|\/+$/g, "")), credential, clientOptions());
const deps = quarantineDeps(
  env,
  {
    applicationGateways: new NetworkManagementClient(credential, env.gateway.subscriptionId, clientOptions()).applicationGateways,
    containerApps: new ContainerAppsAPIClient(credential, env.copiesApp.subscriptionId, clientOptions()).containerApps,
    flowLog: new ContainerClient(env.flowLogUrl, credential, storageOptions()),
    store: tableQuarantineStore(table, { log: (event, fields) => consoleLog("warn", event, fields) }),
  },
  (event, fields) => consoleLog("info", event, fields),
);

const detector = createDetectorHandler(env, deps);
const mode = createModeHandler(env, deps);

app.storageQueue(QUARANTINE_FUNCTION_NAMES.detector, {
  queueName: "%LURE_FLOW_QUEUE_NAME%",
  connection: "LURE_FLOW_QUEUE",
  handler: async (message: unknown, context: InvocationContext) => {
    await detector(message, context);
  },
});

app.timer(QUARANTINE_FUNCTION_NAMES.mode, {
  schedule: "%LURE_MODE_SCHEDULE%",
  handler: async (timer: Timer, context: InvocationContext) => {
    if (timer.isPastDue) consoleLog("warn", "timerPastDue", { invocationId: context.invocationId });
    await mode(timer, context);
  },
});
