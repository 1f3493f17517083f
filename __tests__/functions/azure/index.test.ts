/**
 * The package entry (functions/azure/index.ts) as the Node worker loads it: the two functions
 * registered with the trigger settings the construct's app settings resolve, the app settings
 * checked at load (a bad one stops the worker with every problem named), nothing called on Azure at
 * load, and the queue handler reading the host's trigger metadata.
 */
import { useNock } from "./use-nock";

const registered: { kind: string; name: string; options: Record<string, unknown> }[] = [];
jest.mock("@azure/functions", () => ({
  app: {
    timer: (name: string, options: Record<string, unknown>) => registered.push({ kind: "timer", name, options }),
    storageQueue: (name: string, options: Record<string, unknown>) => registered.push({ kind: "storageQueue", name, options }),
  },
}));

const SETTINGS: Record<string, string> = {
  LURE_PREFIX: "lure-test",
  LURE_CLIENT_ID: "11111111-2222-3333-4444-555555555555",
  LURE_SUBSCRIPTION_ID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
  LURE_RESOURCE_GROUP: "lure-test-honeynet",
  LURE_VMS: '{"cowrie":"lure-test-cowrie"}',
  LURE_QUEUE_URL: "https://lurewatch.queue.core.windows.net/lure-test-lookups",
  LURE_POISON_QUEUE_URL: "https://lurewatch.queue.core.windows.net/lure-test-lookups-poison",
  LURE_RESULTS_URL: "https://lurewatch.blob.core.windows.net/results",
  LURE_VAULT_URL: "https://lure-test-kv.vault.azure.net/",
  LURE_SECRET_NAME: "shodan-api-key",
  // env.ts wants a path after the host (httpsUrl), so the endpoint carries its trailing slash.
  LURE_ALERT_ENDPOINT: "https://lure-test-acs.europe.communication.azure.com/",
  LURE_ALERT_SENDER: "DoNotReply@x.azurecomm.net",
  LURE_ALERT_TO: "ops@example.org",
  LURE_ROTATE: "true",
  LURE_MIN_ROTATION_HOURS: "24",
  LURE_MIN_INTERVAL_MS: "1000",
  LURE_HONEYSCORE: "false",
  LURE_SCHEDULE: "0 0 * * * *",
  LURE_QUEUE_NAME: "lure-test-lookups",
};

function load(settings: Record<string, string | undefined>): void {
  const saved = { ...process.env };
  Object.assign(process.env, settings);
  for (const [k, v] of Object.entries(settings)) if (v === undefined) delete process.env[k];
  try {
    jest.isolateModules(() => {
      require("../../../functions/azure/index");
    });
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

useNock();
beforeEach(() => {
  registered.length = 0;
});

test("registers list-ips (timer, %LURE_SCHEDULE%) and lookup (queue %LURE_QUEUE_NAME% on connection LURE_QUEUE), and nothing else", () => {
  load(SETTINGS);
  expect(registered.map(({ kind, name, options }) => ({ kind, name, ...options, handler: typeof options.handler }))).toEqual([
    { kind: "timer", name: "list-ips", schedule: "%LURE_SCHEDULE%", handler: "function" },
    { kind: "storageQueue", name: "lookup", queueName: "%LURE_QUEUE_NAME%", connection: "LURE_QUEUE", handler: "function" },
  ]);
});

test("a bad app setting stops the load, naming every problem; nothing is registered", () => {
  expect(() => load({ ...SETTINGS, LURE_CLIENT_ID: "not-a-guid", LURE_VMS: undefined, LURE_ALERT_TO: "" })).toThrow(
    /lure watcher functions: invalid environment: .*LURE_CLIENT_ID is "not-a-guid".*LURE_VMS is not set.*LURE_ALERT_ENDPOINT, LURE_ALERT_SENDER and LURE_ALERT_TO are all set or all empty/,
  );
  expect(registered).toEqual([]);
});

test("the lookup handler reads id and dequeueCount from the trigger metadata and logs through the invocation context", async () => {
  load(SETTINGS);
  const handler = registered.find((r) => r.name === "lookup")!.options.handler as (entry: unknown, ctx: unknown) => Promise<void>;
  const lines: string[] = [];
  const context = {
    invocationId: "inv-1",
    triggerMetadata: { id: "msg-7", dequeueCount: 3 },
    info: (l: string) => lines.push(l),
    warn: (l: string) => lines.push(l),
    error: (l: string) => lines.push(l),
  };
  // Malformed: skipped before any Azure call, so no client is touched (net connect is disabled).
  await handler("not json", context);
  expect(lines.map((l) => JSON.parse(l))).toEqual([
    { level: "warn", event: "malformedMessage", messageId: "msg-7", problem: "body is not JSON", invocationId: "inv-1" },
    { level: "info", event: "lookupDone", messageId: "msg-7", dequeueCount: 3, outcome: "skipped", reason: "malformed", invocationId: "inv-1" },
  ]);
});
