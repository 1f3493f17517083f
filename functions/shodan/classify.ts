/**
 * What a failed Shodan call means for the caller. shodan-client rethrows every failure as
 * `new Error("got.get : " + (body.error || gotError.message))`, so the HTTP status is gone and the
 * message is all there is: Shodan's own JSON `error` text when it sent one, otherwise got's
 * "Response code 429 (Too Many Requests)", "Timeout awaiting 'request' for 5000ms" or a network
 * error. Anything not recognised is "unavailable": the message goes back to the queue and, if it
 * keeps failing, to the dead-letter queue. Nothing is dropped silently.
 */

export type ShodanErrorClass =
  | { readonly kind: "not-found" }
  /** Key missing, refused or plan too small: retrying cannot help. */
  | { readonly kind: "config"; readonly status?: number }
  /** Throttled, server error, timeout, network, or not understood: retry later. */
  | { readonly kind: "unavailable"; readonly status?: number };

const GOT_STATUS = /\bResponse code (\d{3})\b/;
const NOT_FOUND = /no information available/i;
const RATE_LIMITED = /rate limit|too many requests/i;
// Shodan's texts for a bad key or a plan without the feature, plus shodan-client's own "You must provide a valid API key".
const INVALID_KEY = /invalid api key|api key|unauthori[sz]ed/i;
const REFUSED = /access denied|forbidden|\bplan\b|upgrade|membership|insufficient (query )?credits/i;

/** Classify an error thrown by a Shodan call (shodan-client or an injected client). Pure. */
export function classifyShodanError(err: unknown): ShodanErrorClass {
  const message = messageOf(err);
  if (NOT_FOUND.test(message)) return { kind: "not-found" };

  // A client that kept the response (not shodan-client) gives the status directly; got's own message carries it otherwise.
  const gotStatus = GOT_STATUS.exec(message);
  const status = statusOf(err) ?? (gotStatus ? Number(gotStatus[1]) : undefined);
  if (status !== undefined) {
    if (status === 404) return { kind: "not-found" };
    if (status === 401 || status === 402 || status === 403) return { kind: "config", status };
    if (status >= 200 && status < 300) return classifyText(message);
    // 408, 429, 5xx, and any other 4xx we do not know: let the queue retry, then dead-letter.
    return { kind: "unavailable", status };
  }
  return classifyText(message);
}

function classifyText(message: string): ShodanErrorClass {
  if (RATE_LIMITED.test(message)) return { kind: "unavailable", status: 429 };
  // Shodan sends "Invalid API key" with 401 and refusals such as "Access denied (403 Forbidden)" with 403.
  if (INVALID_KEY.test(message)) return { kind: "config", status: 401 };
  if (REFUSED.test(message)) return /\b403\b|forbidden|access denied/i.test(message) ? { kind: "config", status: 403 } : { kind: "config" };
  // Timeouts ("Timeout awaiting 'request' for 5000ms"), network codes, maintenance and anything new.
  return { kind: "unavailable" };
}

function messageOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  if (typeof err === "string") return err;
  if (err && typeof err === "object" && typeof (err as { error?: unknown }).error === "string") return (err as { error: string }).error;
  return String(err);
}

function statusOf(err: unknown): number | undefined {
  if (!err || typeof err !== "object") return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; response?: { statusCode?: unknown } };
  for (const candidate of [e.response?.statusCode, e.statusCode, e.status]) {
    if (typeof candidate === "number" && Number.isInteger(candidate) && candidate >= 100 && candidate <= 599) return candidate;
  }
  return undefined;
}
