/**
 * Adapter: the Shodan API key, the latest enabled version of a Secret Manager secret the user adds
 * with `gcloud secrets versions add` (Terraform creates the secret without a version and never
 * holds the key). Read at run time by the lookup's service account (Secret Accessor on this
 * secret), once per request, so a new version takes effect without a deploy.
 *
 * Outcomes: NOT_FOUND (no secret, or no version yet), FAILED_PRECONDITION (the latest version is
 * disabled or destroyed) and an empty value are `missing` (alerted once per version, not retried);
 * anything else rejects (PERMISSION_DENIED before IAM propagates, UNAVAILABLE…), so Cloud Tasks
 * retries the task.
 *
 * @example
 * const key = await secretManagerApiKey(new SecretManagerServiceClient(), env.secret);
 */
import { NO_SECRET_VERSION, type ApiKey } from "../core/lookup";
import { codeOf, GRPC } from "./errors";
import { ready, type GaxClientLike } from "./gax";

/** The call made (structurally a `SecretManagerServiceClient` of @google-cloud/secret-manager). */
export interface SecretAccessorLike extends GaxClientLike {
  accessSecretVersion(request: { readonly name: string }): Promise<
    readonly [{ readonly name?: string | null; readonly payload?: { readonly data?: Uint8Array | string | null } | null }, ...unknown[]]
  >;
}

/** The current value of `secret` (`projects/<p>/secrets/<name>`) and its version number. */
export async function secretManagerApiKey(client: SecretAccessorLike, secret: string): Promise<ApiKey> {
  let response: Awaited<ReturnType<SecretAccessorLike["accessSecretVersion"]>>[0];
  try {
    [response] = await (await ready(client)).accessSecretVersion({ name: `${secret}/versions/latest` });
  } catch (err) {
    const code = codeOf(err);
    if (code === GRPC.NOT_FOUND || code === GRPC.FAILED_PRECONDITION) return { kind: "missing", version: NO_SECRET_VERSION };
    throw err;
  }
  // `name` is the resolved version (…/versions/3, never "latest"): what the once-per-key marker remembers.
  const version = response.name?.split("/").pop() || NO_SECRET_VERSION;
  const data = response.payload?.data;
  // Trimmed: a key piped from a file usually ends with a newline, which Shodan would refuse.
  const key = (typeof data === "string" ? data : data ? Buffer.from(data).toString("utf8") : "").trim();
  return key === "" ? { kind: "missing", version } : { kind: "key", key, version };
}
