/**
 * Reading the Azure SDKs' errors (`RestError` from @azure/core-rest-pipeline): the HTTP status, and
 * the service's own error code, which says more than the status (a 404 is `BlobNotFound` or
 * `ContainerNotFound`, and only the first means "no such document").
 */

/** The HTTP status of an SDK error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === "number" ? s : undefined;
}

/**
 * The service's error code: `code` where the SDK put it (parsed from the error body), else the
 * `x-ms-error-code` header, which storage sends even for bodiless answers (HEAD, 304/412 on GET).
 */
export function codeOf(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { code?: unknown; details?: { errorCode?: unknown }; response?: { headers?: { get?: (name: string) => string | undefined } } };
  if (typeof e.code === "string" && e.code !== "") return e.code;
  if (typeof e.details?.errorCode === "string") return e.details.errorCode;
  const header = typeof e.response?.headers?.get === "function" ? e.response.headers.get("x-ms-error-code") : undefined;
  return typeof header === "string" && header !== "" ? header : undefined;
}
