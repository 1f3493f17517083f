/**
 * Adapter: how many honeypot copies run, as the service-level minimum instance count of the copies'
 * Cloud Run service (`scaling.minInstanceCount`, Cloud Run Admin API v2). Terraform puts `scaling`
 * under `ignore_changes`, so an apply does not undo a Defence Mode.
 *
 * `setDesired(n)`: read the service, set `scaling.minInstanceCount = n` on what was read, and
 * `updateService` it with `updateMask: scaling.min_instance_count` and the `etag` read, then wait for
 * the long-running operation. The whole service read is sent back (not a sparse one) so the update is
 * right whether or not the server honours the mask; the etag makes it conditional, and a concurrent
 * update (the etag moved: ABORTED / FAILED_PRECONDITION) is read again and retried, a few times.
 * Changing only service-level scaling should not create a revision (the template is untouched)
 * **[unverified]** (clouds-2026.md §2). An unchanged count is no call.
 *
 * `getDesired()`: `scaling.minInstanceCount` (unset: 0).
 *
 * Health (`copiesHealth`, the steering port's `healthyTargets`): Cloud Run has no target group whose
 * members could be counted, so the copies count as healthy when the service's `terminalCondition`
 * is `CONDITION_SUCCEEDED`, it is not reconciling, it has a latest ready revision, and its minimum
 * instance count is ≥ 1; the count returned is that minimum (the instances Cloud Run keeps warm).
 * Otherwise 0, and the engine adds no rule, so no steered source meets a cold or failed service.
 * Whether the minimum's instances are all started when the operation ends is **[unverified]**;
 * a request meanwhile is queued by Cloud Run and starts an instance, not refused.
 *
 * Retries: throttling (429 / RESOURCE_EXHAUSTED) and server errors are retried with bounded backoff
 * (google-errors.ts); NOT_FOUND and PERMISSION_DENIED become a `CopiesError` naming the service and
 * the permission.
 *
 * @example
 * const copies = cloudRunCopies(new ServicesClient(), { project, region, service: "lure-copies" });
 */
import type { CopiesPort } from "../../core/quarantine-types";
import { ready, type GaxClientLike } from "../gax";
import { contextError, kindOf, withRetries, type RetryOptions } from "./google-errors";

/** A Cloud Run v2 service as read: the parts used (the object read keeps every other field, and is sent back whole). */
export interface RunService {
  name?: string | null;
  etag?: string | null;
  reconciling?: boolean | null;
  latestReadyRevision?: string | null;
  scaling?: { minInstanceCount?: number | null } | null;
  terminalCondition?: { type?: string | null; state?: number | string | null; message?: string | null } | null;
}

/** An update's long-running operation (`LROperation`): `promise()` resolves when it is done. */
export interface RunOperation {
  promise(): Promise<unknown>;
}

/** The calls made (structurally parts of `ServicesClient` of @google-cloud/run v2; see the check at the end). */
export interface RunServicesApi extends GaxClientLike {
  getService(request: { name: string }): Promise<readonly [RunService, ...unknown[]]>;
  /** `service` is the whole service as read, with its new minimum (typed by the fields this file sets). */
  updateService(request: { service: { name: string; scaling: { minInstanceCount: number } }; updateMask: { paths: string[] } }): Promise<readonly [RunOperation, ...unknown[]]>;
}

export interface CloudRunServiceRef {
  readonly project: string;
  readonly region: string;
  /** The service's short name. */
  readonly service: string;
}

export interface CopiesOptions extends RetryOptions {
  /** Read–update rounds when the service's etag moved under an update. @default 3 */
  readonly updateRounds?: number;
}

/** The mask of the one field `setDesired` changes. */
export const MIN_INSTANCES_MASK = "scaling.min_instance_count";

/** `Condition.State.CONDITION_SUCCEEDED`, as gRPC (number) or JSON (name). */
const SUCCEEDED = new Set<number | string>([4, "CONDITION_SUCCEEDED"]);

/** Failures of the copies' service that are an answer, not a hiccup (missing, not allowed). */
export class CopiesError extends Error {
  override readonly name = "CopiesError";
}

export const serviceName = (ref: CloudRunServiceRef): string => `projects/${ref.project}/locations/${ref.region}/services/${ref.service}`;

function explain(err: unknown, what: string, name: string, permission: string): Error {
  const kind = kindOf(err);
  if (kind === "not-found") return contextError((m) => new CopiesError(m), `${what}: Cloud Run service ${name} not found (deployed by the Quarantine stack?)`, err);
  if (kind === "denied") return contextError((m) => new CopiesError(m), `${what}: permission denied on ${name} (the function's service account needs ${permission})`, err);
  return contextError((m) => new Error(m), `${what} of ${name}`, err);
}

function minOf(s: RunService, name: string): number {
  const min = s.scaling?.minInstanceCount;
  if (min === undefined || min === null) return 0;
  if (!Number.isSafeInteger(min) || min < 0) throw new Error(`Cloud Run service ${name}: scaling.minInstanceCount is ${JSON.stringify(min)}`);
  return min;
}

/** Reads the service, with retries. */
async function readService(api: RunServicesApi, name: string, options: RetryOptions): Promise<RunService> {
  try {
    return (await withRetries(async () => (await (await ready(api)).getService({ name }))[0], options)) ?? {};
  } catch (err) {
    throw explain(err, "reading", name, "run.services.get");
  }
}

/** The copies as the minimum instance count of one Cloud Run service. */
export function cloudRunCopies(api: RunServicesApi, ref: CloudRunServiceRef, options: CopiesOptions = {}): CopiesPort {
  const name = serviceName(ref);
  const rounds = options.updateRounds ?? 3;
  return {
    async setDesired(count) {
      if (!Number.isSafeInteger(count) || count < 0) throw new Error(`Cloud Run service ${name}: desired count ${count} is not a whole number ≥ 0`);
      for (let round = 1; ; round++) {
        const current = await readService(api, name, options);
        if (minOf(current, name) === count) return;
        const service = { ...current, name, scaling: { ...(current.scaling ?? {}), minInstanceCount: count } };
        try {
          await withRetries(async () => {
            const [operation] = await (await ready(api)).updateService({ service, updateMask: { paths: [MIN_INSTANCES_MASK] } });
            await operation.promise();
          }, options);
          return;
        } catch (err) {
          const kind = kindOf(err);
          // The etag moved (another update, e.g. a deploy): read again and retry a few times.
          if ((kind === "aborted" || kind === "precondition") && round < rounds) continue;
          throw explain(err, `setting the minimum instances to ${count}`, name, "run.services.update");
        }
      }
    },
    async getDesired() {
      return minOf(await readService(api, name, options), name);
    },
  };
}

/** How many copies can take steered traffic (see the file header); for `SteeringPort.healthyTargets`. */
export function copiesHealth(api: RunServicesApi, ref: CloudRunServiceRef, options: RetryOptions = {}): () => Promise<number> {
  const name = serviceName(ref);
  return async () => {
    const s = await readService(api, name, options);
    const state = s.terminalCondition?.state;
    const ready = state !== undefined && state !== null && SUCCEEDED.has(state) && s.reconciling !== true && !!s.latestReadyRevision;
    return ready ? minOf(s, name) : 0;
  };
}

// Compile-time check that the SDK's client fits the interface above.
type SdkServices = import("@google-cloud/run").v2.ServicesClient;
type Fits<T extends RunServicesApi> = T;
/** `ServicesClient` of @google-cloud/run, proven to fit `RunServicesApi`. */
export type SdkServicesFit = Fits<SdkServices>;
