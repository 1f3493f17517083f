/**
 * One GCP watcher instance built from strict fakes with the real wiring (functions/gcp/wiring.ts)
 * and the real HTTP handlers (functions/gcp/handlers.ts): GCS store over a fake bucket, the Shodan
 * adapter with a fake shodan-client and the real in-process limiter on a fake clock, Secret
 * Manager, Compute and Cloud Tasks fakes, stdout captured.
 */
import type { IpMessage } from "../../../functions/core/watcher-message";
import type { GcpWatcherEnv } from "../../../functions/gcp/env";
import { gcsJsonStore } from "../../../functions/gcp/gcs-store";
import { listIpsHandler, lookupHandler, type RequestLike, type ResponseLike } from "../../../functions/gcp/handlers";
import type { Instance } from "../../../functions/gcp/instances";
import type { GcpClients } from "../../../functions/gcp/wiring";
import { createRateLimiter, type ShodanClientLike } from "../../../functions/shodan";
import { capturedLines, fakeBucket, fakeCompute, fakeSecrets, fakeTasks, gcpEnv, strict } from "./fakes";

export const T0 = "2026-03-01T12:00:00.000Z";
export const CYCLE = "2026-03-01T11:59:00.000Z";

/** shodan-client's errors: got's message behind "got.get : ". */
export const shodanError = (text: string): Error => new Error(`got.get : ${text}`);

/** A recorded HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A fake express response that records status and JSON body. */
export function fakeResponse(): { res: ResponseLike; answer: () => Answer } {
  let status = 200;
  let body: unknown;
  const res: ResponseLike = {
    status(code) {
      status = code;
      return res;
    },
    json(b) {
      body = b;
      return res;
    },
  };
  return { res, answer: () => ({ status, body: body as Record<string, unknown> }) };
}

/** The world one watcher deployment sees: one bucket, one clock, one Shodan, one zone, one queue. */
export function world(options: { env?: Partial<GcpWatcherEnv>; vms?: Instance[]; shodanLatencyMs?: number } = {}) {
  const ops: string[] = [];
  const env = gcpEnv(options.env);
  const bucket = fakeBucket(ops);
  const compute = fakeCompute(options.vms ?? [], ops);
  const tasks = fakeTasks(ops);
  const secret = fakeSecrets(ops);
  const out = capturedLines();
  let clockMs = Date.parse(T0);
  const clock = { now: (): number => clockMs, advance: (ms: number): void => void (clockMs += ms) };
  const replies: unknown[] = [];
  const shodanCalls: { ip: string; at: number; end: number }[] = [];
  const shodan = strict<ShodanClientLike>("shodan-client", {
    async host(ip, key) {
      if (key !== secret.state.value?.trim()) throw new Error(`fake Shodan: called with key ${key}`);
      const at = clock.now();
      ops.push(`shodan ${ip}`);
      // Latency on the fake clock, so the limiter's spacing from the END of a call is visible.
      if (options.shodanLatencyMs) {
        await Promise.resolve();
        clock.advance(options.shodanLatencyMs);
      }
      shodanCalls.push({ ip, at, end: clock.now() });
      if (replies.length === 0) throw new Error(`fake Shodan: no reply queued for ${ip}`);
      const r = replies.shift();
      if (r instanceof Error) throw r;
      return r;
    },
  });
  const clients: GcpClients = {
    instances: compute.instances,
    operations: compute.operations,
    tasks: tasks.tasks,
    store: gcsJsonStore(bucket.bucket),
    secrets: secret.secrets,
    limiter: createRateLimiter({ minIntervalMs: 1000, now: clock.now, sleep: async (ms) => clock.advance(ms) }),
    write: out.write,
    shodan,
    censys: { sleep: async () => {} },
    now: () => new Date(clock.now()),
  };
  const lookup = lookupHandler(clients, env);
  const listIps = listIpsHandler(clients, env);

  /** POSTs `body` to lookup as Cloud Tasks does (attempt 1 = retry count 0). */
  async function deliver(body: unknown, attempt = 1, task = "task-1"): Promise<Answer> {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const req: RequestLike = {
      method: "POST",
      headers: { "content-type": "application/json", "x-cloudtasks-taskname": task, "x-cloudtasks-taskretrycount": String(attempt - 1), "x-cloudtasks-queuename": "lure-test-lookup" },
      rawBody: Buffer.from(text),
      body: typeof body === "string" ? {} : body,
    };
    const { res, answer } = fakeResponse();
    await lookup(req, res);
    return answer();
  }

  /** Runs list-ips as Cloud Scheduler does. */
  async function list(): Promise<Answer> {
    const { res, answer } = fakeResponse();
    await listIps({ method: "POST", headers: { "user-agent": "Google-Cloud-Scheduler" } }, res);
    return answer();
  }

  return { ops, env, bucket, compute, tasks, secret, out, clock, replies, shodanCalls, clients, deliver, list };
}

/** A task body as list-ips writes it. */
export function message(ip: string, over: Partial<IpMessage> = {}): IpMessage {
  return { ip, honeypot: "cowrie", service: "lure-test-cowrie", task: "lure-test-cowrie", cycle: CYCLE, ...over };
}
