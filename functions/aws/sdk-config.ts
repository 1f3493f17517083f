/**
 * Settings every SDK client of the watcher functions is created with, so no AWS call can hang a
 * function until its Lambda timeout (the SDK's defaults have no time limit at all).
 *
 * Bound of one SDK call: `maxAttempts` attempts of at most `requestTimeout` each (a connection that
 * is not up within `connectionTimeout` fails sooner), plus the standard retry strategy's backoff
 * between them (under a second for 3 attempts): about 16 s.
 *
 * In @smithy/node-http-handler 4.x `requestTimeout` alone only logs a warning when exceeded; it
 * aborts the request only with `throwOnRequestTimeout: true`. It also stops counting once the
 * response headers are in, so `socketTimeout` (idle socket) bounds the reading of a body (GetObject).
 *
 * @example
 * const s3 = new S3Client(sdkClientConfig());
 */

/** The NodeHttpHandler options used here (the SDK clients take them as `requestHandler`). */
export interface RequestHandlerOptions {
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  readonly throwOnRequestTimeout: boolean;
  readonly socketTimeout: number;
}

/** Attempts per SDK call, the first included (the SDK default, made explicit). */
export const SDK_MAX_ATTEMPTS = 3;

export const SDK_REQUEST_HANDLER = {
  /** ms to establish the TCP/TLS connection. */
  connectionTimeout: 3000,
  /** ms from sending the request to the response headers; with `throwOnRequestTimeout`, a TimeoutError the SDK retries. */
  requestTimeout: 5000,
  throwOnRequestTimeout: true,
  /** ms a socket may stay idle, including while a response body is read. */
  socketTimeout: 5000,
} as const satisfies RequestHandlerOptions;

/** A fresh object per client: the SDK keeps the one it is given. */
export function sdkClientConfig(): { maxAttempts: number; requestHandler: RequestHandlerOptions } {
  return { maxAttempts: SDK_MAX_ATTEMPTS, requestHandler: { ...SDK_REQUEST_HANDLER } };
}
