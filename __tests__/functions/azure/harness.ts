/**
 * One Azure watcher instance built from strict fakes with the real wiring (functions/azure/wiring.ts):
 * blob store over a fake container, the Shodan adapter with a fake shodan-client and the real
 * cross-instance gate, Key Vault, e-mail and ARM fakes, and a fake clock the gate's waits advance.
 */
import { blobJsonStore } from "../../../functions/azure/blob-store";
import type { EmailClientLike, EmailMessageLike } from "../../../functions/azure/email-alert";
import type { AzureWatcherEnv } from "../../../functions/azure/env";
import type { SecretReaderLike } from "../../../functions/azure/key-vault";
import { lookupMessage, type LookupOutcome } from "../../../functions/azure/lookup";
import { shodanGate } from "../../../functions/azure/shodan-gate";
import { lookupPorts, type WatcherClients } from "../../../functions/azure/wiring";
import type { IpMessage } from "../../../functions/core/watcher-message";
import type { ShodanClientLike } from "../../../functions/shodan";
import { azureEnv, fakeContainer, fakeNetwork, recordingLog, restError, strict } from "./fakes";

export const T0 = "2026-03-01T12:00:00.000Z";
export const CYCLE = "2026-03-01T11:59:00.000Z";
export const KEY = "SHODANKEYf3a9c1d2e8b7a6c5d4e3f2a1";
export const CENSYS_TOKEN = "censys_pat_0123456789abcdef";

/** What the fake Shodan answers for one host call: a body, or an error thrown like shodan-client's. */
export type ShodanReply = unknown | Error;

/** shodan-client's errors: got's message behind "got.get : ". */
export const shodanError = (text: string): Error => new Error(`got.get : ${text}`);

export interface Instance {
  readonly clients: WatcherClients;
  readonly env: AzureWatcherEnv;
  readonly log: ReturnType<typeof recordingLog>;
  /** Times (fake clock, ms) at which Shodan was called, in order. */
  readonly shodanCalls: { ip: string; at: number }[];
  run(entry: unknown, dequeueCount?: number, id?: string): Promise<LookupOutcome>;
}

/** The world several instances share: one results container, one clock, one Shodan, one mailbox, one network. */
export function world(options: { env?: Partial<AzureWatcherEnv>; addresses?: string[]; jestTimers?: boolean } = {}) {
  const ops: string[] = [];
  const container = fakeContainer(ops);
  const net = fakeNetwork(options.addresses ?? [], ops);
  const env = azureEnv(options.env);
  // Either a clock the gate's waits advance at once, or (jestTimers) Date.now and setTimeout under jest's fake timers.
  let clockMs = Date.parse(T0);
  const clock = {
    now: (): number => (options.jestTimers ? Date.now() : clockMs),
    advance: (ms: number): void => {
      if (options.jestTimers) throw new Error("advance jest's timers instead");
      clockMs += ms;
    },
  };
  const replies: ShodanReply[] = [];
  const shodanCalls: { ip: string; at: number }[] = [];
  const shodan = strict<ShodanClientLike>("shodan-client", {
    async host(ip, key) {
      if (key !== secret.value?.trim()) throw new Error(`fake Shodan: called with key ${key}`);
      shodanCalls.push({ ip, at: clock.now() });
      ops.push(`shodan ${ip}`);
      if (replies.length === 0) throw new Error(`fake Shodan: no reply queued for ${ip}`);
      const r = replies.shift();
      if (r instanceof Error) throw r;
      return r;
    },
  });
  const secret: { value?: string; version: string; missing?: boolean } = { value: `${KEY}\n`, version: "v1" };
  /** The Censys token's secret, read only when `env.censys` is set. */
  const censysSecret: { value?: string; version: string; missing?: boolean } = { value: CENSYS_TOKEN, version: "c1" };
  const secrets = strict<SecretReaderLike>("secrets", {
    async getSecret(name) {
      const held = name === env.secretName ? secret : env.censys && name === env.censys.secret ? censysSecret : undefined;
      if (!held) throw restError(404, "SecretNotFound");
      ops.push(held === secret ? "getSecret" : `getSecret ${name}`);
      if (held.missing) throw restError(404, "SecretNotFound", `A secret with (name/id) ${name} was not found in this key vault.`);
      return { value: held.value, properties: { version: held.version } };
    },
  });
  const mails: EmailMessageLike[] = [];
  const mailFailures: Error[] = [];
  const email = strict<EmailClientLike>("email", {
    async beginSend(message) {
      const failure = mailFailures.shift();
      if (failure) throw failure;
      ops.push(`mail ${message.content.subject}`);
      mails.push(message);
      return strict("poller", { pollUntilDone: async () => ({ id: `mail-${mails.length}`, status: "Succeeded" }) });
    },
  });
  const store = blobJsonStore(container.container);

  function instance(name = "a"): Instance {
    const log = recordingLog();
    const gate = options.jestTimers
      ? shodanGate(store, { minIntervalMs: env.minIntervalMs, log: log.log })
      : shodanGate(store, { minIntervalMs: env.minIntervalMs, log: log.log, now: clock.now, sleep: async (ms) => clock.advance(ms) });
    const clients: WatcherClients = {
      network: net.network,
      queue: strict("queue", {}),
      poison: strict("poison", {}),
      store,
      secrets,
      email: env.alert.kind === "email" ? email : undefined,
      gate,
      shodan,
      // Censys's retry waits pass at once; the requests themselves go to nock.
      censys: { sleep: async () => {} },
      now: () => new Date(clock.now()),
    };
    return {
      clients,
      env,
      log,
      shodanCalls,
      run: (entry, dequeueCount = 1, id = `${name}-msg`) => lookupMessage(entry, { id, dequeueCount }, lookupPorts(clients, env, log.log), env),
    };
  }

  return { ops, container, net, env, clock, replies, shodanCalls, secret, censysSecret, mails, mailFailures, store, instance };
}

/** A queue entry as the Node worker hands it over (base64 decoded, JSON parsed). */
export function entry(ip: string, over: Partial<IpMessage> = {}): IpMessage {
  return { ip, honeypot: "cowrie", service: "lure-test-cowrie", task: "lure-test-cowrie", cycle: CYCLE, ...over };
}
