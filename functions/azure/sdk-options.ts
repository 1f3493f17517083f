/**
 * Settings every Azure SDK client of the watcher functions is created with, so no Azure call can
 * hang an invocation until the 5-minute function timeout: the SDKs' default retry policies allow
 * about a minute of back-off, and their requests have no time limit unless one is set.
 *
 * Bound of one call: ARM, Key Vault and e-mail clients try at most 1 + `maxRetries` times, each
 * attempt cut after `requestTimeoutMs` (the per-retry policy below), with exponential back-off of
 * at most `maxRetryDelayInMs` between them: about 3 × 10 s + 6 s. Storage clients use their own
 * retry policy, configured the same way (`maxTries`, `tryTimeoutInMs`). A long-running ARM
 * operation (public IP delete/create, NIC update) is polled every `LRO_POLL_MS`; each poll is one
 * such bounded call.
 *
 * @example
 * const secrets = new SecretClient(env.vaultUrl, credential, clientOptions());
 * const container = new ContainerClient(env.resultsUrl, credential, storageOptions());
 */

/** Attempts after the first one, per SDK call. */
export const SDK_MAX_RETRIES = 2;
/** Time limit of one HTTP attempt, in ms. */
export const SDK_REQUEST_TIMEOUT_MS = 10_000;
/** First back-off between attempts; doubled each time, capped by `SDK_MAX_RETRY_DELAY_MS`. */
export const SDK_RETRY_DELAY_MS = 500;
export const SDK_MAX_RETRY_DELAY_MS = 3000;
/** Poll interval of long-running ARM operations (the SDK default is 2 s; ARM's Retry-After wins when sent). */
export const LRO_POLL_MS = 2000;

/**
 * A pipeline policy that gives every attempt a time limit unless the SDK already set one. Added
 * per retry, so the limit applies to each attempt and a timed-out attempt is retried.
 */
export function requestTimeoutPolicy(ms: number): {
  readonly name: string;
  sendRequest<R extends { timeout: number }, T>(request: R, next: (request: R) => Promise<T>): Promise<T>;
} {
  return {
    name: "lureRequestTimeout",
    sendRequest(request, next) {
      if (!request.timeout) request.timeout = ms;
      return next(request);
    },
  };
}

/** Options for the core-client based clients (ARM network, Key Vault secrets, Communication Email, the credential). A fresh object per client. */
export function clientOptions() {
  return {
    retryOptions: { maxRetries: SDK_MAX_RETRIES, retryDelayInMs: SDK_RETRY_DELAY_MS, maxRetryDelayInMs: SDK_MAX_RETRY_DELAY_MS },
    additionalPolicies: [{ policy: requestTimeoutPolicy(SDK_REQUEST_TIMEOUT_MS), position: "perRetry" as const }],
  };
}

/** Options for the storage clients (blob container, queues), whose pipeline has its own retry policy. */
export function storageOptions() {
  return {
    retryOptions: {
      maxTries: SDK_MAX_RETRIES + 1,
      tryTimeoutInMs: SDK_REQUEST_TIMEOUT_MS,
      retryDelayInMs: SDK_RETRY_DELAY_MS,
      maxRetryDelayInMs: SDK_MAX_RETRY_DELAY_MS,
    },
  };
}
