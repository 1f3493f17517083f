/**
 * The Functions host's configuration, written as `host.json` at the root of the function package
 * (modules/azure/watcher.ts). Kept as code so the queue semantics the lookup handler relies on are
 * stated once, next to the handlers, and tested.
 *
 * Why these values:
 * - `batchSize: 1`, `newBatchThreshold: 0`: one message per invocation and no prefetch, so one
 *   instance runs one lookup at a time and the Shodan gate (shodan-gate.ts) only ever arbitrates
 *   between instances, not between concurrent invocations of one instance;
 * - `maxDequeueCount: 5`: a message whose lookup throws five times moves to `<queue>-poison`, which
 *   list-ips counts and alerts each cycle;
 * - `visibilityTimeout: 00:01:00`: a failed message waits a minute before its retry (Shodan 429s
 *   and 5xx usually pass within that);
 * - `functionTimeout: 00:10:00`: the Consumption maximum; one lookup (gate wait, two Shodan calls
 *   with got's retries) takes well under a minute, but a rotation's four long-running ARM calls
 *   must not be cut off half-way (list-ips alerts a honeypot left without an IP if one is).
 */

/** Shape of the parts of host.json written here (the host accepts many more). */
export interface HostJson {
  readonly version: "2.0";
  readonly extensionBundle: { readonly id: string; readonly version: string };
  readonly functionTimeout: string;
  readonly extensions: {
    readonly queues: {
      readonly batchSize: number;
      readonly newBatchThreshold: number;
      readonly maxDequeueCount: number;
      readonly visibilityTimeout: string;
    };
  };
}

/** Dequeues of one message before the host moves it to the poison queue. */
export const MAX_DEQUEUE_COUNT = 5;

/** The object written as host.json. */
export const HOST_JSON: HostJson = {
  version: "2.0",
  extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" },
  functionTimeout: "00:10:00",
  extensions: {
    queues: {
      batchSize: 1,
      newBatchThreshold: 0,
      maxDequeueCount: MAX_DEQUEUE_COUNT,
      visibilityTimeout: "00:01:00",
    },
  },
};
