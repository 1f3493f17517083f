/**
 * Reading the errors of the Google clients the Quarantine calls, and bounded retries.
 *
 * What `code` holds depends on the transport: the gRPC clients (Firestore, Cloud Run) throw the gRPC
 * status; the REST clients (Compute: google-gax's fallback) map the HTTP status to a gRPC one
 * (`rpcCodeFromHttpStatusCode`: 400→3, 403→7, 404→5, 409→10, 429→8, other 4xx→9, 503→14, 504→4, other
 * 5xx→13) and keep Compute's own `errors[].reason` in the message/`errors`. Fakes and older clients may
 * carry the HTTP status itself. gRPC codes are 0–16 and HTTP statuses ≥ 100, so both are read here.
 */

/** gRPC status codes. */
export const GRPC = {
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** What a Google error says, whatever the transport. */
export type ErrorKind = "throttled" | "unavailable" | "already-exists" | "not-found" | "denied" | "precondition" | "invalid" | "aborted" | "other";

/** The numeric `code` of a client error (gRPC or HTTP), or undefined. */
export function codeOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "number") return code;
  return typeof code === "string" && /^\d+$/.test(code) ? Number(code) : undefined;
}

/** The error's text: its message and, for Compute, the reasons of `errors[]`. */
export function errorText(err: unknown): string {
  if (typeof err !== "object" || err === null) return String(err);
  const parts = [err instanceof Error ? err.message : String((err as { message?: unknown }).message ?? "")];
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors)) for (const e of errors) if (typeof e === "object" && e !== null) parts.push(String((e as { reason?: unknown }).reason ?? ""), String((e as { message?: unknown }).message ?? ""));
  const reason = (err as { reason?: unknown }).reason;
  if (typeof reason === "string") parts.push(reason);
  return parts.filter((p) => p !== "").join(" ");
}

/** The kind of a client error. */
export function kindOf(err: unknown): ErrorKind {
  const code = codeOf(err);
  const text = errorText(err);
  if (/rate ?limit/i.test(text) && (code === 403 || code === GRPC.PERMISSION_DENIED || code === 429 || code === GRPC.RESOURCE_EXHAUSTED)) return "throttled";
  switch (code) {
    case 429:
    case GRPC.RESOURCE_EXHAUSTED:
      return "throttled";
    case GRPC.UNAVAILABLE:
    case GRPC.DEADLINE_EXCEEDED:
    case GRPC.INTERNAL:
    case GRPC.UNKNOWN:
      return "unavailable";
    case GRPC.ALREADY_EXISTS:
      return "already-exists";
    case 409:
    case GRPC.ABORTED:
      return /already exists/i.test(text) ? "already-exists" : "aborted";
    case 404:
    case GRPC.NOT_FOUND:
      return "not-found";
    case 401:
    case 403:
    case GRPC.PERMISSION_DENIED:
    case GRPC.UNAUTHENTICATED:
      return "denied";
    case 412:
    case GRPC.FAILED_PRECONDITION:
      return "precondition";
    case 400:
    case GRPC.INVALID_ARGUMENT:
      return /already exists/i.test(text) ? "already-exists" : "invalid";
    default:
      if (code !== undefined && code >= 500 && code <= 599) return "unavailable";
      return "other";
  }
}

/** Throttling and server-side failures are worth another try; everything else is an answer. */
export const isRetryable = (err: unknown): boolean => {
  const k = kindOf(err);
  return k === "throttled" || k === "unavailable";
};

export interface RetryOptions {
  /** Calls in all, the first included. @default RETRY_ATTEMPTS */
  readonly attempts?: number;
  /** First backoff; doubles each retry, capped at `RETRY_MAX_MS`. @default RETRY_BASE_MS */
  readonly baseMs?: number;
  /** @default a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** [0, 1): the jitter (each wait is between half and all of the backoff). @default Math.random */
  readonly random?: () => number;
}

export const RETRY_ATTEMPTS = 4;
export const RETRY_BASE_MS = 250;
export const RETRY_MAX_MS = 4000;

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `call()`, again after a backoff while it fails with a retryable error, at most `attempts` times in all. */
export async function withRetries<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? RETRY_ATTEMPTS;
  const base = options.baseMs ?? RETRY_BASE_MS;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err)) throw err;
      const backoff = Math.min(RETRY_MAX_MS, base * 2 ** (attempt - 1));
      await sleep(Math.round(backoff * (0.5 + random() / 2)));
    }
  }
}

/** An error with what was being done, the client's code and text, and the original as `cause`. */
export function contextError<E extends Error>(make: (message: string) => E, what: string, err: unknown): E {
  const code = codeOf(err);
  const e = make(`${what} failed${code !== undefined ? ` (code ${code})` : ""}: ${errorText(err)}`);
  (e as { cause?: unknown }).cause = err;
  return e;
}
