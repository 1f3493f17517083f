/**
 * The two HTTP handlers, thin: read the request, call list-ips or lookup, answer. Registered with
 * the Functions Framework by index.ts; tests call them directly with fake requests and responses.
 *
 * Both are private Cloud Run functions: Cloud Run checks the caller's OIDC token (Cloud Scheduler
 * for list-ips, Cloud Tasks for lookup) before the request reaches them, so nothing here
 * authenticates.
 */
import type { GcpWatcherEnv } from "./env";
import { listIps } from "./list-ips";
import { structuredLog } from "./log";
import { lookupRequest, type TaskMeta } from "./lookup";
import { failurePorts, listIpsDeps, lookupPorts, type GcpClients } from "./wiring";

/** The request parts read (structurally the Functions Framework's express `Request`). */
export interface RequestLike {
  readonly method?: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body as received (the framework keeps it beside the parsed `body`). */
  readonly rawBody?: Buffer;
  readonly body?: unknown;
}

/** The response parts used (structurally express's `Response`). */
export interface ResponseLike {
  status(code: number): ResponseLike;
  json(body: unknown): unknown;
}

/** An HTTP function as the framework calls it. */
export type HttpHandler = (req: RequestLike, res: ResponseLike) => Promise<void>;

function header(req: RequestLike, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return typeof v === "string" ? v : Array.isArray(v) ? v[0] : undefined;
}

/** The body as text: the raw bytes when the framework kept them, else the parsed body again. */
export function bodyText(req: RequestLike): string {
  if (req.rawBody !== undefined) return req.rawBody.toString("utf8");
  if (typeof req.body === "string") return req.body;
  if (Buffer.isBuffer(req.body)) return req.body.toString("utf8");
  return JSON.stringify(req.body) ?? "";
}

/** The task's identity and attempt, from the `X-CloudTasks-*` headers (a missing count is the first attempt). */
export function taskMeta(req: RequestLike): TaskMeta {
  const count = Number(header(req, "x-cloudtasks-taskretrycount") ?? "0");
  return { id: header(req, "x-cloudtasks-taskname") ?? "unknown", retryCount: Number.isSafeInteger(count) && count >= 0 ? count : 0 };
}

/** list-ips: 200 with the cycle's summary; 500 when an alert could not be written (Scheduler retries per its config). */
export function listIpsHandler(clients: GcpClients, env: GcpWatcherEnv): HttpHandler {
  return async (_req, res) => {
    const log = structuredLog(clients.write, { function: "list-ips" });
    const result = await listIps(listIpsDeps(clients, log), env);
    res.status(result.ok ? 200 : 500).json(result.ok ? result.summary : { ...result.summary, problems: result.problems });
  };
}

/** lookup: 200 when the task is done with, 500 when Cloud Tasks should retry it (see lookup.ts). */
export function lookupHandler(clients: GcpClients, env: GcpWatcherEnv): HttpHandler {
  return async (req, res) => {
    if (req.method !== undefined && req.method !== "POST") {
      // Not from Cloud Tasks; 405 is not retried by anyone.
      res.status(405).json({ error: "POST only" });
      return;
    }
    const meta = taskMeta(req);
    const log = structuredLog(clients.write, { function: "lookup", task: meta.id });
    const answer = await lookupRequest(bodyText(req), meta, lookupPorts(clients, env, log), failurePorts(clients), env);
    res.status(answer.status).json(answer.outcome);
  };
}
