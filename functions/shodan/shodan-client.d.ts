/**
 * The part of shodan-client@3 (CommonJS, no bundled types) this adapter uses. Both calls resolve
 * with the parsed JSON body and reject with `new Error("got.get : " + (body.error || got's message))`,
 * so the HTTP status survives only inside the message.
 */
declare module "shodan-client" {
  export function host(ip: string, key: string, opts?: { timeout?: number; minify?: boolean; history?: boolean }): Promise<unknown>;
}

declare module "shodan-client/lib/utils" {
  /** GET `https://<section>.shodan.io<partial>` with `params` as the query string (`key` is required). */
  export function request(
    section: string,
    partial: string,
    opts: { params: Record<string, string | number | boolean>; timeout?: number },
  ): Promise<unknown>;
}
