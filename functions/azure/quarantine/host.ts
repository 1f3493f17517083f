/**
 * host.json of the Azure Quarantine's Function App (written into its package by
 * modules/core/bundle.ts). The watcher's settings, and one of its own:
 *
 * - `batchSize: 1`, `newBatchThreshold: 0`: one blob commit per invocation, one at a time per
 *   instance (the app has one instance): commits of one blob are read in order and their cursor
 *   writes rarely race;
 * - `maxDequeueCount: 5` then `flow-events-poison`: a commit whose read fails five times is kept;
 *   the next commit of the same blob reads its blocks anyway (the cursor did not move);
 * - `maxPollingInterval: 00:00:02`: the host polls an idle queue every 2 s instead of backing off
 *   to a minute, which would be added to every detection;
 * - `functionTimeout: 00:10:00`: the Consumption maximum. A gateway update takes minutes and runs
 *   in the mode function, which must not be cut off half-way through one.
 */
import { HOST_JSON as WATCHER_HOST_JSON, type HostJson } from "../host";

/** How long an empty queue may go unpolled (the Functions default backs off to 1 minute). */
export const MAX_POLLING_INTERVAL = "00:00:02";

export const HOST_JSON: HostJson & { readonly extensions: { readonly queues: { readonly maxPollingInterval: string } } } = {
  ...WATCHER_HOST_JSON,
  extensions: { queues: { ...WATCHER_HOST_JSON.extensions.queues, maxPollingInterval: MAX_POLLING_INTERVAL } },
};
