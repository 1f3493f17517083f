/**
 * The deployment contract of the Google Cloud Quarantine: the environment `GcpQuarantine`
 * (modules/gcp/quarantine.ts) sets and the functions read, the functions' entry points, the header
 * lure's Cloud Armor rules add and the Envoy router routes on, and the steering settings of a Cloud
 * Armor policy. One file, so the construct, the functions and `lure simulate --format gcp-lb` cannot
 * drift.
 */
import type { SteeringOptions } from "../../core/quarantine-types";

/** Names of the variables lure sets on both functions. */
export const GCP_QUARANTINE_ENV = {
  /** `QuarantineRuntimeConfig` as JSON, the same document the AWS and Azure functions get. */
  config: "LURE_QUARANTINE",
  /** Project id of the Quarantine (policy, copies, database). */
  project: "LURE_PROJECT",
  /** Region of the Cloud Run services (`europe-west2`). */
  region: "LURE_REGION",
  /** Name of the Cloud Armor policy on the router's backend service (made by Terraform, its rules ignored by it). */
  securityPolicy: "LURE_SECURITY_POLICY",
  /** Name of the copies' Cloud Run service (its minimum instance count is the mode function's). */
  copiesService: "LURE_COPIES_SERVICE",
  /** Firestore database id of the state store. */
  database: "LURE_DATABASE",
  /** Resource name of the load balancer's forwarding rule whose request log is the signal (`projects/<p>/global/forwardingRules/<n>`): entries of any other are skipped and counted. */
  forwardingRule: "LURE_FORWARDING_RULE",
} as const;

/** Entry points of the functions package (Cloud Run functions `entry_point`). */
export const GCP_QUARANTINE_ENTRY_POINTS = { detector: "quarantineDetector", mode: "quarantineMode" } as const;

/** The request header lure's Cloud Armor rules add; the router sends requests carrying it to the copies and strips it. */
export const STEER_HEADER = "x-lure-quarantine";
/** Its value: routing only, not a secret (a client sending it itself only reaches the copies). */
export const STEER_HEADER_VALUE = "1";

/** Source ranges in one Cloud Armor rule's `versionedExpr: SRC_IPS_V1` match [doc: Cloud Armor quotas]. */
export const CLOUD_ARMOR_RANGES_PER_RULE = 10;
/** First priority of lure's band in the policy (lower is evaluated first; the default rule is 2147483647). */
export const CLOUD_ARMOR_FIRST_PRIORITY = 1000;
/**
 * Rules lure may hold in the policy. The per-project quota `SECURITY_POLICY_RULES` is [unverified]
 * (clouds-2026.md §1.4); 100 rules × 10 ranges is 1,000 sources, as on AWS.
 */
export const CLOUD_ARMOR_MAX_RULES = 100;

/**
 * The steering settings on a Cloud Armor policy: the config's rule quota, at most
 * {@link CLOUD_ARMOR_MAX_RULES}, from {@link CLOUD_ARMOR_FIRST_PRIORITY}, 10 ranges a rule. The
 * deployment and `lure simulate --format gcp-lb` both use it, so a simulation plans the rules the
 * policy would get.
 */
export function cloudArmorSteeringOptions(ruleQuota: number): SteeringOptions {
  const quota = Math.min(ruleQuota, CLOUD_ARMOR_MAX_RULES);
  return { firstPriority: CLOUD_ARMOR_FIRST_PRIORITY, ruleQuota: quota, albRuleLimit: CLOUD_ARMOR_MAX_RULES, cidrsPerRule: CLOUD_ARMOR_RANGES_PER_RULE };
}

/** Firestore collections of the state store (in the database `LURE_DATABASE`). */
export const FIRESTORE_COLLECTIONS = { sources: "sources", proofs: "proofs", quarantines: "quarantines", control: "control" } as const;
/**
 * The Timestamp field a document expires at: Terraform sets a TTL policy on it for every collection
 * (`google_firestore_field`), and the store checks it on read, because TTL deletes lag by up to a day.
 */
export const FIRESTORE_TTL_FIELD = "expireAt";

/**
 * Lease of the mode function's rule reconciliation (seconds). The mode function's timeout must not
 * exceed it (see {@link GCP_QUARANTINE_TIMEOUT_SECONDS}), so a call killed at its timeout never
 * overlaps the next lease holder.
 */
export const GCP_QUARANTINE_MODE_LEASE_SECONDS = 300;

/**
 * Function timeouts the construct should set (`service_config.timeout_seconds`): the detector's
 * batches are short (store transactions; copies raised when Defence begins, an operation of up to a
 * minute or two [unverified]); the mode function's is its lease.
 */
export const GCP_QUARANTINE_TIMEOUT_SECONDS = { detector: 180, mode: GCP_QUARANTINE_MODE_LEASE_SECONDS } as const;

/**
 * The IAM permissions each function's service account needs, exactly (for custom roles).
 *
 * - Firestore, per API method [doc: Firestore "Security for server client libraries"]: `batchGet` →
 *   entities.get, `runQuery` → entities.list, `beginTransaction`/`rollback` → databases.get, `commit`
 *   of a set without precondition → entities.create and entities.update, of a delete →
 *   entities.delete (the detector never deletes).
 * - Cloud Run: `services.get` / `services.update` on the copies' service (grantable on the service
 *   itself); `run.operations.get` to poll the update's long-running operation [unverified: whether
 *   the poll is checked against it].
 * - Compute (mode only; the detector does not reconcile): `get` of the policy, and `addRule`,
 *   `patchRule`, `removeRule`, which the REST reference says require `compute.securityPolicies.update`
 *   (there are no `compute.securityPolicies.addRule`/`patchRule`/`removeRule` permissions, whatever
 *   clouds-2026.md §1.5 suggests [doc: compute/docs/reference/rest/v1/securityPolicies/patchRule,
 *   removeRule; addRule assumed the same, unverified]); `globalOperations.wait` on the operation each
 *   returns → `compute.globalOperations.get`. Compute has no per-policy IAM [unverified], so this is
 *   a project-level custom role.
 */
export const GCP_QUARANTINE_PERMISSIONS = {
  detector: {
    firestore: ["datastore.databases.get", "datastore.entities.get", "datastore.entities.list", "datastore.entities.create", "datastore.entities.update"],
    run: ["run.services.get", "run.services.update", "run.operations.get"],
    compute: [],
  },
  mode: {
    firestore: ["datastore.databases.get", "datastore.entities.get", "datastore.entities.list", "datastore.entities.create", "datastore.entities.update", "datastore.entities.delete"],
    run: ["run.services.get", "run.services.update", "run.operations.get"],
    compute: ["compute.securityPolicies.get", "compute.securityPolicies.update", "compute.globalOperations.get"],
  },
} as const;
