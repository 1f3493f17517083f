/**
 * Adapter: the Shodan API key, the value of a Key Vault secret the user sets with
 * `az keyvault secret set` (Terraform never holds it). Read at run time by the functions' identity
 * (Key Vault Secrets User), once per lookup invocation, so a new key takes effect without a deploy.
 *
 * Outcomes: 404 `SecretNotFound` (not set yet) and an empty value are `missing` (alerted once, not
 * retried); anything else rejects (403 from RBAC not propagated yet, throttling, network), so the
 * message is retried and, if it never works, ends in the poison queue that list-ips reports.
 *
 * @example
 * const key = await keyVaultApiKey(new SecretClient(env.vaultUrl, credential, clientOptions()), env.secretName);
 */
import { NO_SECRET_VERSION, type ApiKey } from "../core/lookup";
import { codeOf, statusOf } from "./azure-errors";

/** The call made (structurally a `SecretClient` of @azure/keyvault-secrets). */
export interface SecretReaderLike {
  getSecret(name: string): Promise<{ readonly value?: string; readonly properties: { readonly version?: string } }>;
}

/** The current value and version of secret `name`; rejects on anything but "not set". */
export async function keyVaultApiKey(client: SecretReaderLike, name: string): Promise<ApiKey> {
  let secret: Awaited<ReturnType<SecretReaderLike["getSecret"]>>;
  try {
    secret = await client.getSecret(name);
  } catch (err) {
    if (statusOf(err) === 404 && (codeOf(err) ?? "SecretNotFound") === "SecretNotFound") return { kind: "missing", version: NO_SECRET_VERSION };
    throw err;
  }
  // The version is what the once-per-key alert marker remembers: a new `secret set` is a new version.
  const version = secret.properties.version || NO_SECRET_VERSION;
  // Trimmed: a key pasted from a file usually ends with a newline, which Shodan would refuse.
  const key = secret.value?.trim() ?? "";
  return key === "" ? { kind: "missing", version } : { kind: "key", key, version };
}
