/**
 * Reading Google client errors: gRPC clients (Tasks, Secret Manager) throw with a numeric gRPC
 * `code`; the JSON/REST clients (Storage, Compute over REST) with the HTTP status in `code`.
 */

/** gRPC status codes used here. */
export const GRPC = { NOT_FOUND: 5, FAILED_PRECONDITION: 9 } as const;

/** The numeric `code` of a Google client error, or undefined. */
export function codeOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "number") return code;
  return typeof code === "string" && /^\d+$/.test(code) ? Number(code) : undefined;
}
