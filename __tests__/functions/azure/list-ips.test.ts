/**
 * List-ips on Azure: which public IPs become lookup messages (and in which encoding), what is
 * skipped and counted, and how a listing failure, an unsent message and the poison queue are told
 * (an e-mail each cycle, never a silent loss; a throw only when even that e-mail fails).
 */
import type { PublicIPAddress } from "@azure/arm-network";
import type { EmailClientLike, EmailMessageLike } from "../../../functions/azure/email-alert";
import { alertSender } from "../../../functions/azure/email-alert";
import { encodeMessage, listIps, type ListIpsDeps } from "../../../functions/azure/list-ips";
import { parseIpMessage } from "../../../functions/core/watcher-message";
import { azureEnv, publicIp, recordingLog, restError, RG, strict } from "./fakes";

const T0 = "2026-03-01T12:00:00.000Z";
const env = azureEnv();

function setup(pages: (PublicIPAddress | Error)[], options: { poisoned?: number | Error; sendFails?: Set<string>; mailFails?: number } = {}) {
  const sent: string[] = [];
  const mails: EmailMessageLike[] = [];
  let mailFails = options.mailFails ?? 0;
  const log = recordingLog();
  const email = strict<EmailClientLike>("email", {
    async beginSend(message) {
      if (mailFails-- > 0) throw restError(503, "ServiceUnavailable", "ACS unavailable");
      mails.push(message);
      return strict("poller", { pollUntilDone: async () => ({ status: "Succeeded" }) });
    },
  });
  const deps: ListIpsDeps = {
    network: strict("network", {
      publicIPAddresses: strict("network.publicIPAddresses", {
        list(rg: string) {
          if (rg !== RG) throw new Error(`listed ${rg}`);
          return (async function* () {
            for (const p of pages) {
              if (p instanceof Error) throw p;
              yield p;
            }
          })();
        },
      }),
    }),
    queue: strict("queue", {
      async sendMessage(text: string) {
        const m = JSON.parse(Buffer.from(text, "base64").toString("utf8")) as { ip: string };
        if (options.sendFails?.has(m.ip)) throw restError(503, "ServerBusy", "The server is busy.");
        sent.push(text);
        return {};
      },
    }),
    poison: strict("poison", {
      async getProperties() {
        const p = options.poisoned ?? 0;
        if (p instanceof Error) throw p;
        return { approximateMessagesCount: p };
      },
    }),
    sendAlert: alertSender(env.alert, email, log.log),
    now: () => new Date(T0),
    log: log.log,
  };
  return { deps, sent, mails, log, decoded: () => sent.map((s) => parseIpMessage(Buffer.from(s, "base64").toString("utf8"))) };
}

const cowrie = publicIp("lure-test-cowrie", "cowrie", "203.0.113.10");
const conpotUp = publicIp("lure-test-conpot", "conpot", "203.0.113.11");
const cowrieSince = "2026-11-30T08:15:00.000Z";
const cowrieWithSince = publicIp("lure-test-cowrie", "cowrie", "203.0.113.10", { tags: { ...cowrie.tags, "lure:since": cowrieSince } });
const conpotPending = publicIp("lure-test-conpot", "conpot", undefined, { provisioningState: "Updating" });
const kibana = publicIp("lure-test-kibana", "cowrie", "203.0.113.99", { tags: { "lure:component": "dashboard" } });
const foreign = publicIp("other-dionaea", "dionaea", "203.0.113.50");

test("the IP's lure:since tag is the message's since (index data from the address's previous holder is ignored); a tag that is no time is left out", async () => {
  const s = setup([cowrieWithSince]);
  await listIps(s.deps, env);
  expect(s.decoded()).toEqual([{ ok: true, message: { ip: "203.0.113.10", honeypot: "cowrie", service: "lure-test-cowrie", task: "lure-test-cowrie", since: cowrieSince, cycle: T0, cloud: "azure" } }]);
  const bad = setup([publicIp("lure-test-cowrie", "cowrie", "203.0.113.10", { tags: { ...cowrie.tags, "lure:since": "soon" } })]);
  await listIps(bad.deps, env);
  expect(bad.decoded()).toEqual([{ ok: true, message: expect.not.objectContaining({ since: expect.anything() }) }]);
});

test("one base64 message per allocated honeypot IP; not yet allocated and unknown honeypots skipped and counted; other IPs ignored", async () => {
  const s = setup([cowrie, conpotPending, kibana, foreign]);
  const summary = await listIps(s.deps, env);
  expect(s.decoded()).toEqual([{ ok: true, message: { ip: "203.0.113.10", honeypot: "cowrie", service: "lure-test-cowrie", task: "lure-test-cowrie", cycle: T0, cloud: "azure" } }]);
  expect(summary).toEqual({
    cycle: T0,
    listed: 3,
    extraTargets: 0,
    sent: 1,
    skipped: { notAllocated: 1, unknownHoneypot: 1, detached: 0 },
    // conpot's IP has no address yet: nothing of it is watched, and that is said.
    withoutIp: ["conpot"],
    listingError: null,
    unsent: 0,
    poisoned: 0,
    alerts: 1,
    warnings: 0,
  });
  expect(s.mails.map((m) => m.content.subject)).toEqual(["[lure-test] watcher: conpot has no public IP"]);
  expect(s.log.find("noPublicIp")?.fields).toMatchObject({ publicIp: "lure-test-conpot", honeypot: "conpot", provisioningState: "Updating" });
});

test("encodeMessage is base64 of the shared JSON message, the queue trigger's default encoding", () => {
  const m = { ip: "203.0.113.10", honeypot: "cowrie", service: "lure-test-cowrie", cycle: T0 };
  expect(JSON.parse(Buffer.from(encodeMessage(m), "base64").toString("utf8"))).toEqual(m);
});

test("a listing that fails part-way: what was listed is still queued, and the failure is mailed", async () => {
  const s = setup([cowrie, restError(429, "TooManyRequests", "Too many requests, retry after 17 s")]);
  const summary = await listIps(s.deps, env);
  expect(summary).toMatchObject({ sent: 1, listingError: "RestError: Too many requests, retry after 17 s", alerts: 1 });
  expect(s.sent).toHaveLength(1);
  expect(s.mails).toHaveLength(1);
  expect(s.mails[0].content.subject).toBe("[lure-test] watcher: listing failed");
  expect(s.mails[0].content.plainText).toContain(`could not all be listed (cycle ${T0}): RestError: Too many requests, retry after 17 s.`);
});

test("a message the queue refuses: the others are sent, the unsent ones are mailed", async () => {
  const two = publicIp("lure-test-conpot", "conpot", "203.0.113.11");
  const s = setup([cowrie, two], { sendFails: new Set(["203.0.113.10"]) });
  const summary = await listIps(s.deps, env);
  expect(summary).toMatchObject({ sent: 1, unsent: 1, alerts: 1 });
  expect(s.mails[0].content.subject).toBe("[lure-test] watcher: 1 not queued");
  expect(s.mails[0].content.plainText).toContain("- 203.0.113.10: The server is busy.");
});

test("an allocated IP on no NIC (a rotation stopped after the detach) is not looked up, and its honeypot is alerted every cycle with the fix", async () => {
  const detached = publicIp("lure-test-conpot", "conpot", "203.0.113.11", { ipConfiguration: undefined });
  const s = setup([cowrie, detached]);
  const summary = await listIps(s.deps, env);
  await listIps(s.deps, env);
  expect(summary).toMatchObject({ sent: 1, skipped: { detached: 1 }, withoutIp: ["conpot"], alerts: 1 });
  expect(s.decoded().map((d) => (d.ok ? d.message.honeypot : d.error))).toEqual(["cowrie", "cowrie"]);
  expect(s.mails.map((m) => m.content.subject)).toEqual(["[lure-test] watcher: conpot has no public IP", "[lure-test] watcher: conpot has no public IP"]);
  expect(s.mails[0].content.plainText).toContain("`npm run deploy -- azure-honeynet` creates and attaches the IP");
});

test("after a listing that failed part-way, missing honeypots are not called IP-less (the failure is alerted instead)", async () => {
  const s = setup([cowrie, restError(503, "ServerBusy")]);
  expect(await listIps(s.deps, env)).toMatchObject({ withoutIp: [], alerts: 1 });
  expect(s.mails.map((m) => m.content.subject)).toEqual(["[lure-test] watcher: listing failed"]);
});

test("poison queue not empty: mailed once per cycle, every cycle while it is", async () => {
  const s = setup([cowrie, conpotUp], { poisoned: 3 });
  await listIps(s.deps, env);
  await listIps(s.deps, env);
  expect(s.mails.map((m) => m.content.subject)).toEqual(["[lure-test] watcher: 3 lookups in the poison queue", "[lure-test] watcher: 3 lookups in the poison queue"]);
  expect(s.mails[0].content.plainText).toContain(env.poisonQueueUrl);
});

test("poison queue not countable: logged and counted as a warning, the cycle goes on", async () => {
  const s = setup([cowrie, conpotUp], { poisoned: restError(404, "QueueNotFound") });
  const summary = await listIps(s.deps, env);
  expect(summary).toMatchObject({ poisoned: null, warnings: 1, sent: 2, alerts: 0 });
  expect(s.log.find("poisonNotCounted")?.fields).toMatchObject({ error: "RestError" });
});

test("the alert itself failing throws, so the failed invocation shows in Application Insights", async () => {
  const s = setup([cowrie, restError(500, "InternalServerError")], { mailFails: 1 });
  await expect(listIps(s.deps, env)).rejects.toThrow(/list-ips cycle .*listing failed: RestError: InternalServerError.*could not be alerted: ACS unavailable/);
  expect(s.sent).toHaveLength(1);
});

test("extra targets: queued after the honeynet's, external with their label, even after a failed listing; lure's own address not twice", async () => {
  const extraTargets = [{ ip: "185.199.108.1", honeypot: "conpot", label: "plant-a" }, { ip: "203.0.113.10", honeypot: "external" }];
  const s = setup([cowrie]);
  const summary = await listIps(s.deps, { ...env, extraTargets });
  expect(summary).toMatchObject({ extraTargets: 1, sent: 2 });
  expect(s.decoded().map((d) => (d.ok ? d.message : d))).toEqual([
    { ip: "203.0.113.10", honeypot: "cowrie", service: "lure-test-cowrie", task: "lure-test-cowrie", cycle: T0, cloud: "azure" },
    { ip: "185.199.108.1", honeypot: "conpot", service: "external", cycle: T0, cloud: "azure", external: true, label: "plant-a" },
  ]);
  const failed = setup([new Error("ARM unavailable")]);
  const after = await listIps(failed.deps, { ...env, extraTargets });
  expect(after).toMatchObject({ extraTargets: 2, sent: 2 });
});
