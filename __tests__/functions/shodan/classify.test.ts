/**
 * classifyShodanError over the messages shodan-client produces: "got.get : " + Shodan's JSON `error`
 * when it sent one, otherwise got's own message. Unknown means "unavailable": retried, then dead-lettered.
 */
import { classifyShodanError } from "../../../functions/shodan";

const got = (message: string) => new Error(`got.get : ${message}`);

describe("classifyShodanError", () => {
  test.each([
    // not found
    [got("No information available for that IP."), { kind: "not-found" }],
    [got("Response code 404 (Not Found)"), { kind: "not-found" }],
    // key or plan: retrying cannot help
    [got("Invalid API key"), { kind: "config", status: 401 }],
    [got("Response code 401 (Unauthorized)"), { kind: "config", status: 401 }],
    [got("Response code 403 (Forbidden)"), { kind: "config", status: 403 }],
    [got("Access denied (403 Forbidden)"), { kind: "config", status: 403 }],
    [got("Please upgrade your API plan to use filters or paging."), { kind: "config" }],
    [got("Insufficient query credits, please upgrade your API plan or wait for the monthly limit to reset."), { kind: "config" }],
    [new Error("You must provide a valid API key"), { kind: "config", status: 401 }],
    // throttled, server errors, timeouts, network: retry later
    [got("Response code 429 (Too Many Requests)"), { kind: "unavailable", status: 429 }],
    [got("Request rate limit reached (1 request/ second). Please wait a second before trying again and slow down your API calls."), { kind: "unavailable", status: 429 }],
    [got("Response code 500 (Internal Server Error)"), { kind: "unavailable", status: 500 }],
    [got("Response code 502 (Bad Gateway)"), { kind: "unavailable", status: 502 }],
    [got("Response code 503 (Service Unavailable)"), { kind: "unavailable", status: 503 }],
    [got("Response code 504 (Gateway Timeout)"), { kind: "unavailable", status: 504 }],
    [got("Response code 522 (Unknown)"), { kind: "unavailable", status: 522 }],
    [got("Timeout awaiting 'request' for 5000ms"), { kind: "unavailable" }],
    [got("getaddrinfo ENOTFOUND api.shodan.io"), { kind: "unavailable" }],
    [got("getaddrinfo EAI_AGAIN api.shodan.io"), { kind: "unavailable" }],
    [got("connect ECONNREFUSED 104.18.12.238:443"), { kind: "unavailable" }],
    [got("read ECONNRESET"), { kind: "unavailable" }],
    [got("socket hang up"), { kind: "unavailable" }],
    [new Error("SHODAN API is undergoing maintenance"), { kind: "unavailable" }],
    // not understood: never dropped, never "config" by accident
    [got('Unexpected token < in JSON at position 0 in "https://api.shodan.io/shodan/host/203.0.113.10?key=x"'), { kind: "unavailable" }],
    [got("Response code 400 (Bad Request)"), { kind: "unavailable", status: 400 }],
    [got("Invalid IP"), { kind: "unavailable" }],
    [got("Something new Shodan says"), { kind: "unavailable" }],
    [new Error(""), { kind: "unavailable" }],
  ])("%s", (err, expected) => {
    expect(classifyShodanError(err)).toEqual(expected);
  });

  test.each([
    ["a string", "No information available for that IP.", { kind: "not-found" }],
    ["Shodan's error body", { error: "Invalid API key" }, { kind: "config", status: 401 }],
    ["undefined", undefined, { kind: "unavailable" }],
    ["a number", 42, { kind: "unavailable" }],
  ])("a thrown non-Error (%s) is classified by its text", (_label, err, expected) => {
    expect(classifyShodanError(err)).toEqual(expected);
  });

  test("a client that keeps the HTTP status is classified by it, whatever the text", () => {
    const withResponse = Object.assign(new Error("request failed"), { response: { statusCode: 403 } });
    const withStatusCode = Object.assign(new Error("whatever"), { statusCode: 404 });
    const withStatus = Object.assign(new Error("boom"), { status: 503 });
    expect(classifyShodanError(withResponse)).toEqual({ kind: "config", status: 403 });
    expect(classifyShodanError(withStatusCode)).toEqual({ kind: "not-found" });
    expect(classifyShodanError(withStatus)).toEqual({ kind: "unavailable", status: 503 });
  });

  test("a network error code carried on the error is seen", () => {
    const err = Object.assign(new Error("request failed"), { code: "ECONNRESET" });
    expect(classifyShodanError(err)).toEqual({ kind: "unavailable" });
  });
});
