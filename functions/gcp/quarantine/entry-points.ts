/**
 * Entry point of the Google Cloud Quarantine's function package (bundled with esbuild by the
 * `GcpQuarantine` construct; one package, two Cloud Run functions, each deployed with its own
 * `entry_point` from `GCP_QUARANTINE_ENTRY_POINTS`). Wiring only: the environment is checked at
 * module load (a bad variable stops the instance from starting, naming every problem), and each SDK
 * client is created once per instance, on first use (wiring.ts). Nothing here calls Google until an
 * invocation does.
 *
 * - `quarantineDetector`: a CloudEvent function on the Pub/Sub topic the load balancer's log sink
 *   writes to (`google.cloud.pubsub.topic.v1.messagePublished`, one LogEntry per message);
 *   detector-handler.ts. It throws to have Pub/Sub redeliver; the subscription's dead-letter topic
 *   takes what keeps failing.
 * - `quarantineMode`: an HTTP function Cloud Scheduler calls every minute (OIDC; Cloud Run checks
 *   the token); mode-handler.ts.
 */
import { cloudEvent, http, type CloudEvent } from "@google-cloud/functions-framework";
import { GCP_QUARANTINE_ENTRY_POINTS } from "./contract";
import { gcpQuarantineEnv } from "./env";
import { gcpQuarantineFunctions } from "./wiring";

export { GCP_QUARANTINE_ENTRY_POINTS };

/**
 * A bad environment stops the instance with one log line naming every problem. Not a thrown error:
 * Node prints the throwing source line first, and in this minified bundle that line is megabytes
 * long, more than a log entry holds, so the message itself would be lost.
 */
function checkedEnv(): ReturnType<typeof gcpQuarantineEnv> {
  try {
    return gcpQuarantineEnv(process.env, "lure quarantine functions");
  } catch (e) {
    process.stderr.write(`${JSON.stringify({ severity: "ERROR", event: "config-error", message: e instanceof Error ? e.message : String(e) })}\n`);
    process.exit(1);
  }
}

const functions = gcpQuarantineFunctions(checkedEnv());

cloudEvent<unknown>(GCP_QUARANTINE_ENTRY_POINTS.detector, async (event: CloudEvent<unknown>) => {
  await functions.detector(event);
});
http(GCP_QUARANTINE_ENTRY_POINTS.mode, (req, res) => functions.mode(req, res));
