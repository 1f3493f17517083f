/** Adapter: the index API key, kept as the plain SecretString of a Secrets Manager secret. */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { NO_SECRET_VERSION, type ApiKey } from "../core/lookup";
import { errorName } from "./runtime";

export { NO_SECRET_VERSION, type ApiKey } from "../core/lookup";

/** Any error other than "no value" rejects: the caller retries rather than calling the key missing. */
export async function readApiKey(client: SecretsManagerClient, secretId: string): Promise<ApiKey> {
  try {
    const res = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const version = res.VersionId ?? NO_SECRET_VERSION;
    // Trimmed: a key pasted from a file usually ends with a newline, which the index would refuse.
    const key = res.SecretString?.trim() ?? "";
    return key === "" ? { kind: "missing", version } : { kind: "key", key, version };
  } catch (err) {
    if (errorName(err) === "ResourceNotFoundException") return { kind: "missing", version: NO_SECRET_VERSION };
    throw err;
  }
}
