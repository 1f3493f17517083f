/**
 * The small adapters: the API key through the REAL @azure/keyvault-secrets pipeline answered by
 * nock (Key Vault's challenge, then 404 SecretNotFound / a value with its version; a fake token
 * credential, no network), the e-mail sender over a strict EmailClient fake, the host.json the
 * package ships, and the SDK option objects (bounded retries and attempt timeouts).
 */
import { SecretClient } from "@azure/keyvault-secrets";
import nock from "nock";
import { alertSender, EMAIL_POLL_MS, type EmailClientLike } from "../../../functions/azure/email-alert";
import { HOST_JSON } from "../../../functions/azure/host";
import { keyVaultApiKey } from "../../../functions/azure/key-vault";
import { clientOptions, requestTimeoutPolicy, SDK_MAX_RETRIES, SDK_REQUEST_TIMEOUT_MS, storageOptions } from "../../../functions/azure/sdk-options";
import { recordingLog, restError, strict } from "./fakes";
import { useNock } from "./use-nock";

const VAULT = "https://lure-test-kv.vault.azure.net";
const TENANT = "00000000-0000-0000-0000-00000000abcd";

describe("keyVaultApiKey through the SDK's pipeline", () => {
  const credential = { getToken: jest.fn(async () => ({ token: "test-token", expiresOnTimestamp: Date.now() + 3_600_000 })) };
  const client = new SecretClient(VAULT, credential, { retryOptions: { maxRetries: 0 } });

  useNock();

  /** Key Vault answers the first, token-less request with its challenge; the SDK then asks the credential. */
  function challenged(path: string): nock.Interceptor {
    nock(VAULT)
      .get(path)
      .query(true)
      .reply(401, "", { "WWW-Authenticate": `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"` });
    return nock(VAULT).get(path).query(true).matchHeader("authorization", "Bearer test-token");
  }

  test("a value: trimmed key, the secret's version", async () => {
    challenged("/secrets/shodan-api-key/").reply(200, {
      value: "KEY-1\n",
      id: `${VAULT}/secrets/shodan-api-key/4c0ffee5d1a64a4c9b0c1f2e3d4c5b6a`,
      attributes: { enabled: true, created: 1767225600, updated: 1767225600 },
    });
    expect(await keyVaultApiKey(client, "shodan-api-key")).toEqual({ kind: "key", key: "KEY-1", version: "4c0ffee5d1a64a4c9b0c1f2e3d4c5b6a" });
  });

  test("404 SecretNotFound (never set): missing", async () => {
    challenged("/secrets/shodan-api-key/").reply(404, { error: { code: "SecretNotFound", message: "A secret with (name/id) shodan-api-key was not found in this key vault." } });
    expect(await keyVaultApiKey(client, "shodan-api-key")).toEqual({ kind: "missing", version: "none" });
  });

  test("403 (role not granted or not propagated yet) rejects: retried, not called missing", async () => {
    challenged("/secrets/shodan-api-key/").reply(403, { error: { code: "Forbidden", message: "Caller is not authorized to perform action on resource.", innererror: { code: "ForbiddenByRbac" } } });
    await expect(keyVaultApiKey(client, "shodan-api-key")).rejects.toMatchObject({ statusCode: 403, code: "Forbidden" });
  });
});

describe("keyVaultApiKey over a fake", () => {
  test("an empty value is missing, with its version (the once-per-version marker needs it)", async () => {
    const secrets = strict("secrets", { getSecret: async () => ({ value: "  \n", properties: { version: "v7" } }) });
    expect(await keyVaultApiKey(secrets, "shodan-api-key")).toEqual({ kind: "missing", version: "v7" });
  });
  test("a 404 that is not SecretNotFound (the vault's URL is wrong) rejects", async () => {
    const secrets = strict("secrets", {
      getSecret: async () => {
        throw restError(404, "NotFound");
      },
    });
    await expect(keyVaultApiKey(secrets, "x")).rejects.toMatchObject({ code: "NotFound" });
  });
});

describe("alertSender", () => {
  const target = { kind: "email", endpoint: "https://acs.example", sender: "DoNotReply@x.azurecomm.net", to: "ops@example.org" } as const;

  test("e-mail: beginSend with sender, recipient and text, then waits for Succeeded", async () => {
    const calls: unknown[] = [];
    const email = strict<EmailClientLike>("email", {
      async beginSend(message, options) {
        calls.push({ message, interval: options?.updateIntervalInMs, bounded: options?.abortSignal instanceof AbortSignal });
        return strict("poller", { pollUntilDone: async () => ({ status: "Succeeded" }) });
      },
    });
    await alertSender(target, email, recordingLog().log)({ subject: "s", body: "b" });
    expect(calls).toEqual([
      { message: { senderAddress: target.sender, content: { subject: "s", plainText: "b" }, recipients: { to: [{ address: target.to }] } }, interval: EMAIL_POLL_MS, bounded: true },
    ]);
  });

  test("a send that ends Failed rejects with the service's reason", async () => {
    const email = strict<EmailClientLike>("email", {
      beginSend: async () => strict("poller", { pollUntilDone: async () => ({ status: "Failed", error: { message: "Recipient address rejected" } }) }),
    });
    await expect(alertSender(target, email, recordingLog().log)({ subject: "s", body: "b" })).rejects.toThrow('e-mail alert "s" was not sent: status Failed (Recipient address rejected)');
  });

  test("an e-mail target without a client is a wiring error", () => {
    expect(() => alertSender(target, undefined, recordingLog().log)).toThrow("needs an EmailClient");
  });
});

test("host.json: one message per invocation, 5 dequeues before poison, a minute between tries", () => {
  expect(HOST_JSON).toEqual({
    version: "2.0",
    extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" },
    functionTimeout: "00:10:00",
    extensions: { queues: { batchSize: 1, newBatchThreshold: 0, maxDequeueCount: 5, visibilityTimeout: "00:01:00" } },
  });
});

describe("SDK options", () => {
  test("bounded retries and a per-attempt timeout for every client", () => {
    const c = clientOptions();
    expect(c.retryOptions.maxRetries).toBe(SDK_MAX_RETRIES);
    expect(c.additionalPolicies).toEqual([{ policy: expect.objectContaining({ name: "lureRequestTimeout" }), position: "perRetry" }]);
    expect(storageOptions().retryOptions).toMatchObject({ maxTries: SDK_MAX_RETRIES + 1, tryTimeoutInMs: SDK_REQUEST_TIMEOUT_MS });
    expect(clientOptions()).not.toBe(c);
  });

  test("the timeout policy sets a limit only where the SDK set none", async () => {
    const policy = requestTimeoutPolicy(1234);
    const seen: number[] = [];
    const next = async (r: { timeout: number }) => void seen.push(r.timeout);
    await policy.sendRequest({ timeout: 0 }, next);
    await policy.sendRequest({ timeout: 50 }, next);
    expect(seen).toEqual([1234, 50]);
  });
});
