/**
 * The GCP functions' environment contract: the names the construct must set (`GCP_WATCHER_ENV`),
 * a valid set parsed, and every problem reported at once.
 */
import { GCP_WATCHER_ENV, gcpWatcherEnv, secretName } from "../../../functions/gcp/env";
import { gcpEnv, LOOKUP_URL, PROJECT, QUEUE, SECRET, TASKS_SA } from "./fakes";

const VALID = {
  LURE_PREFIX: "lure-test",
  LURE_PROJECT: PROJECT,
  LURE_ZONE: "europe-west1-b",
  LURE_VMS: '{"cowrie":"lure-test-cowrie","dionaea":"lure-test-dionaea"}',
  LURE_BUCKET: "lure-test-results",
  LURE_SECRET_NAME: SECRET,
  LURE_QUEUE: QUEUE,
  LURE_LOOKUP_URL: LOOKUP_URL,
  LURE_TASKS_SERVICE_ACCOUNT: TASKS_SA,
  LURE_MAX_ATTEMPTS: "5",
  LURE_ROTATE: "false",
  LURE_MIN_ROTATION_HOURS: "24",
  LURE_HONEYSCORE: "false",
};

test("the variables the construct sets are exactly these", () => {
  expect(Object.values(GCP_WATCHER_ENV).sort()).toEqual(Object.keys(VALID).sort());
});

test("a valid environment parses to the typed settings", () => {
  expect(gcpWatcherEnv(VALID, "fn")).toEqual(gcpEnv());
  expect(secretName(gcpEnv())).toBe("lure-test-shodan-api-key");
});

test("every problem at once, each naming the variable and what it expects", () => {
  const bad = {
    ...VALID,
    LURE_PREFIX: "",
    LURE_PROJECT: "Bad_Project",
    LURE_ZONE: "europe-west1",
    LURE_VMS: '{"cowrie":"has spaces"}',
    LURE_BUCKET: undefined,
    LURE_SECRET_NAME: "lure-test-shodan-api-key",
    LURE_QUEUE: "projects/p/queues/q",
    LURE_LOOKUP_URL: "http://lookup.example",
    LURE_TASKS_SERVICE_ACCOUNT: "tasks",
    LURE_MAX_ATTEMPTS: "0",
    LURE_ROTATE: "yes",
    LURE_MIN_ROTATION_HOURS: "-1",
    LURE_HONEYSCORE: undefined,
  };
  let message = "";
  try {
    gcpWatcherEnv(bad, "lure watcher functions");
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toMatch(/^lure watcher functions: invalid environment: /);
  for (const name of Object.values(GCP_WATCHER_ENV)) expect(message).toContain(name);
  expect(message).toContain("LURE_PREFIX is empty");
  expect(message).toContain("LURE_BUCKET is not set");
  expect(message).toContain("LURE_VMS.cowrie:");
  expect(message).toContain('LURE_SECRET_NAME is "lure-test-shodan-api-key" (expected the secret\'s resource name, projects/<project>/secrets/<name>)');
  expect(message).toContain("LURE_MAX_ATTEMPTS is \"0\" (expected an integer ≥ 1)");
  expect(message.split("; ")).toHaveLength(13);
});

test("the entry points index.ts registers are the side-effect-free constants the construct reads", async () => {
  const { ENTRY_POINTS } = await import("../../../functions/gcp/entry-points");
  expect(ENTRY_POINTS).toEqual({ listIps: "listIps", lookup: "lookup" });
});
