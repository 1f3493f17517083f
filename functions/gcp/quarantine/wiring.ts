/**
 * The Google Cloud Quarantine functions' dependencies: the adapters over their clients
 * (`quarantineDeps`, shared by entry-points.ts and the tests, so what is tested is the wiring that
 * runs), the real clients (`realClients`: each created once per instance, on first use, so the
 * detector never builds the Compute clients), and the two handlers as registered
 * (`gcpQuarantineFunctions`: built on the first invocation).
 *
 * Every client authenticates as the function's service account (Application Default Credentials
 * from the metadata server). The Compute clients speak REST (Compute has no public gRPC surface);
 * Firestore and Cloud Run speak gRPC.
 *
 * @example
 * const functions = gcpQuarantineFunctions(gcpQuarantineEnv(process.env, "lure quarantine functions"));
 * cloudEvent(GCP_QUARANTINE_ENTRY_POINTS.detector, (e) => functions.detector(e));
 */
import { GlobalOperationsClient } from "@google-cloud/compute/build/src/v1/global_operations_client";
import { SecurityPoliciesClient } from "@google-cloud/compute/build/src/v1/security_policies_client";
import { Firestore } from "@google-cloud/firestore";
import { ServicesClient } from "@google-cloud/run/build/src/v2/services_client";
import type { Log } from "../../core/log";
import { structuredLog, type LineWriter } from "../log";
import { armorSteering, type GlobalOperationsApi, type SecurityPoliciesApi } from "./armor-steering";
import { cloudRunCopies, copiesHealth, type RunServicesApi } from "./copies";
import { createDetectorHandler, type DetectorOptions, type MessageOutcome } from "./detector-handler";
import type { GcpQuarantineEnv } from "./env";
import { firestoreQuarantineStore, type DocRefLike, type FirestoreLike } from "./firestore-store";
import type { GcpQuarantineDeps } from "./handler-support";
import { createModeHandler, type ModeRequestLike, type ResponseLike, type TickSummary } from "./mode-handler";

/** One instance's clients; reading a property may create it (realClients). */
export interface GcpQuarantineClients {
  readonly securityPolicies: SecurityPoliciesApi;
  readonly globalOperations: GlobalOperationsApi;
  readonly services: RunServicesApi;
  readonly firestore: FirestoreLike<DocRefLike>;
}

/**
 * The adapters of this deployment over the given clients. Lazy too: a client is first read when an
 * adapter first calls it, so a detector instance never creates the Compute clients.
 */
export function quarantineDeps(env: GcpQuarantineEnv, clients: GcpQuarantineClients, log?: Log): GcpQuarantineDeps {
  const service = { project: env.project, region: env.region, service: env.copiesService };
  const storeLog = log ? (event: string, fields: Readonly<Record<string, unknown>>) => log("warn", event, fields) : undefined;
  let store: GcpQuarantineDeps["store"] | undefined;
  let steering: GcpQuarantineDeps["steering"] | undefined;
  let copies: GcpQuarantineDeps["copies"] | undefined;
  return {
    get store() {
      return (store ??= firestoreQuarantineStore(clients.firestore, storeLog ? { log: storeLog } : {}));
    },
    get steering() {
      return (steering ??= armorSteering(lazy(() => clients.securityPolicies), lazy(() => clients.globalOperations), {
        project: env.project,
        policy: env.securityPolicy,
        steering: env.config.steering,
        prefix: env.config.prefix,
        healthyTargets: copiesHealth(lazy(() => clients.services), service),
      }));
    },
    get copies() {
      return (copies ??= cloudRunCopies(lazy(() => clients.services), service));
    },
  };
}

/** An object whose every property is read from `get()` when first used (the client is made then). */
function lazy<T extends object>(get: () => T): T {
  return new Proxy({} as T, {
    get(_target, prop) {
      const target = get();
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** `make()` on first use, then the same value. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/** The real SDK clients, each created on first use. */
export function realClients(env: GcpQuarantineEnv): GcpQuarantineClients {
  const policies = once(() => new SecurityPoliciesClient());
  const operations = once(() => new GlobalOperationsClient());
  const services = once(() => new ServicesClient());
  // `ignoreUndefinedProperties`: an optional field left undefined is dropped, not a failed write.
  const firestore = once(() => new Firestore({ projectId: env.project, databaseId: env.database, ignoreUndefinedProperties: true }));
  return {
    get securityPolicies() {
      return policies();
    },
    get globalOperations() {
      return operations();
    },
    get services() {
      return services();
    },
    get firestore() {
      return firestore() as unknown as FirestoreLike<DocRefLike>;
    },
  };
}

export interface GcpQuarantineFunctions {
  detector(event: unknown): Promise<MessageOutcome>;
  mode(req: ModeRequestLike, res: ResponseLike): Promise<TickSummary | undefined>;
}

export interface FunctionsOptions {
  /** @default realClients(env) */
  readonly clients?: GcpQuarantineClients;
  /** @default stdout (Cloud Run ships it to Cloud Logging) */
  readonly write?: LineWriter;
  readonly detector?: DetectorOptions;
  readonly now?: () => number;
}

/** The two handlers as entry-points.ts registers them; each is built on its first invocation. */
export function gcpQuarantineFunctions(env: GcpQuarantineEnv, options: FunctionsOptions = {}): GcpQuarantineFunctions {
  const deps = once(() => {
    const log = structuredLog(options.write);
    return { log, deps: quarantineDeps(env, options.clients ?? realClients(env), log) };
  });
  const now = options.now ? { now: options.now } : {};
  const detector = once(() => createDetectorHandler(env, deps().deps, { ...options.detector, ...now, log: structuredLog(options.write, { function: "quarantine-detector" }) }));
  const mode = once(() => createModeHandler(env, deps().deps, { ...now, log: structuredLog(options.write, { function: "quarantine-mode" }) }));
  return {
    detector: (event) => detector()(event),
    mode: (req, res) => mode()(req, res),
  };
}
