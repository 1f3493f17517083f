/**
 * The Azure lookup, one queue message per invocation, through the real wiring with strict fakes:
 * what each Shodan answer leads to (blobs written, e-mails sent), what is thrown for the host to
 * retry (and eventually poison), and what is skipped and counted.
 */
import { LookupRetryError } from "../../../functions/azure/lookup";
import { keys } from "../../../functions/core/lookup";
import { shodanFixture } from "./fakes";
import { T0, entry, shodanError, world } from "./harness";

const PLC_IP = "203.0.113.10"; // host-plc.json: ports 102 and 502
const TAGGED_IP = "198.51.100.7"; // host-honeypot.json: tagged "honeypot"
const NOT_FOUND = shodanError("No information available for that IP.");

describe("one message, one lookup", () => {
  test("found: result and latest blobs written, one e-mail naming the ports, latest written after the mail", async () => {
    const w = world();
    const a = w.instance();
    w.replies.push(shodanFixture("host-plc"));
    const outcome = await a.run(entry(PLC_IP));

    expect(outcome).toEqual({ kind: "looked-up", processed: { found: true, alerted: true } });
    expect(w.mails).toHaveLength(1);
    expect(w.mails[0]).toMatchObject({ senderAddress: "DoNotReply@x.azurecomm.net", recipients: { to: [{ address: "ops@example.org" }] } });
    expect(w.mails[0].content.subject).toBe(`[lure-test] cowrie ${PLC_IP}: now listed with 102/tcp, 502/tcp`);
    expect(w.mails[0].content.plainText).toContain(`Full answer: https://lurewatch.blob.core.windows.net/results/results/${PLC_IP}/2026-03-01T120000.000Z.json`);
    expect(w.container.json(keys.latest(PLC_IP))).toMatchObject({ ip: PLC_IP, honeypot: "cowrie", found: true, ports: ["102/tcp", "502/tcp"] });
    expect(w.container.json(keys.result(PLC_IP, new Date(T0)))).toMatchObject({ message: { ip: PLC_IP, service: "lure-test-cowrie" }, answer: { ip_str: PLC_IP } });
    const order = w.ops.filter((o) => /^(shodan|put results|mail|put latest)/.test(o));
    expect(order).toEqual([`shodan ${PLC_IP}`, `put results/${PLC_IP}/2026-03-01T120000.000Z.json`, `mail [lure-test] cowrie ${PLC_IP}: now listed with 102/tcp, 502/tcp`, `put latest/${PLC_IP}.json`]);
  });

  test("not found: state kept, nothing mailed", async () => {
    const w = world();
    w.replies.push(NOT_FOUND);
    const outcome = await w.instance().run(entry(PLC_IP));
    expect(outcome).toEqual({ kind: "looked-up", processed: { found: false, alerted: false } });
    expect(w.mails).toHaveLength(0);
    expect(w.container.json(keys.latest(PLC_IP))).toMatchObject({ found: false, ports: [] });
  });

  test("honeypot tag: the e-mail says Shodan tags the host as a honeypot", async () => {
    const w = world();
    w.replies.push(shodanFixture("host-honeypot"));
    await w.instance().run(entry(TAGGED_IP));
    expect(w.mails).toHaveLength(1);
    expect(w.mails[0].content.subject).toContain("tagged as a honeypot");
    expect(w.mails[0].content.plainText).toContain("Honeypot tag: yes");
    expect(w.container.json(keys.latest(TAGGED_IP))).toMatchObject({ honeypotTagged: true });
  });

  test("the worker's string form (JSON not parsed) is read the same", async () => {
    const w = world();
    w.replies.push(NOT_FOUND);
    const outcome = await w.instance().run(JSON.stringify(entry(PLC_IP)));
    expect(outcome.kind).toBe("looked-up");
  });
});

describe("alert only on change", () => {
  test("the same answer twice mails once; a new port mails again", async () => {
    const w = world();
    const a = w.instance();
    const plc = shodanFixture("host-plc") as { data: { port: number }[] };
    w.replies.push(plc, plc);
    await a.run(entry(PLC_IP));
    w.clock.advance(3_600_000);
    await a.run(entry(PLC_IP, { cycle: "2026-03-01T12:59:00.000Z" }));
    expect(w.mails).toHaveLength(1);

    const more = structuredClone(plc);
    more.data.push({ ...more.data[0], port: 8080 });
    w.replies.push(more);
    w.clock.advance(3_600_000);
    expect(await a.run(entry(PLC_IP, { cycle: "2026-03-01T13:59:00.000Z" }))).toEqual({ kind: "looked-up", processed: { found: true, alerted: true } });
    expect(w.mails.map((m) => m.content.subject)).toEqual([`[lure-test] cowrie ${PLC_IP}: now listed with 102/tcp, 502/tcp`, `[lure-test] cowrie ${PLC_IP}: newly seen ports 8080/tcp`]);
  });
});

describe("retry and poison: failures throw, so the host retries the message", () => {
  test("429 then success: the first delivery throws and writes nothing, the retry looks up and mails once", async () => {
    const w = world();
    const a = w.instance();
    w.replies.push(shodanError("Response code 429 (Too Many Requests)"));
    await expect(a.run(entry(PLC_IP), 1)).rejects.toThrow(LookupRetryError);
    expect(w.container.json(keys.latest(PLC_IP))).toBeUndefined();
    expect(w.mails).toHaveLength(0);
    expect(a.log.find("lookupFailed")).toMatchObject({ level: "error", fields: { messageId: "a-msg", dequeueCount: 1, ip: PLC_IP, error: "IndexUnavailableError", poisonNext: false } });

    w.clock.advance(60_000); // the visibility timeout
    w.replies.push(shodanFixture("host-plc"));
    expect(await a.run(entry(PLC_IP), 2)).toEqual({ kind: "looked-up", processed: { found: true, alerted: true } });
    expect(w.mails).toHaveLength(1);
  });

  test("5xx until poison: every one of the 5 deliveries throws, the 5th is logged as the last, nothing is written or mailed", async () => {
    const w = world();
    const a = w.instance();
    for (let attempt = 1; attempt <= 5; attempt++) {
      w.replies.push(shodanError("Response code 503 (Service Unavailable)"));
      await expect(a.run(entry(PLC_IP), attempt)).rejects.toThrow(`attempt ${attempt}`);
      w.clock.advance(60_000);
    }
    expect(a.log.lines.filter((l) => l.event === "lookupFailed").map((l) => [l.fields.dequeueCount, l.fields.poisonNext, l.fields.error])).toEqual([
      [1, false, "IndexUnavailableError"],
      [2, false, "IndexUnavailableError"],
      [3, false, "IndexUnavailableError"],
      [4, false, "IndexUnavailableError"],
      [5, true, "IndexUnavailableError"],
    ]);
    expect(w.shodanCalls).toHaveLength(5);
    expect(w.mails).toHaveLength(0);
    expect([...w.container.blobs.keys()].filter((k) => !k.startsWith("state/shodan-gate"))).toEqual([]);
  });

  test("a blob store failure after the lookup throws before anything is announced", async () => {
    const w = world();
    w.replies.push(shodanFixture("host-plc"));
    w.container.failNext("put", "results/", Object.assign(new Error("Server busy"), { name: "RestError", statusCode: 503, code: "ServerBusy" }));
    await expect(w.instance().run(entry(PLC_IP))).rejects.toThrow("Server busy");
    expect(w.mails).toHaveLength(0);
    expect(w.container.json(keys.latest(PLC_IP))).toBeUndefined();
  });

  test("an e-mail failure throws, and latest is not written, so the retry mails", async () => {
    const w = world();
    const a = w.instance();
    w.replies.push(shodanFixture("host-plc"), shodanFixture("host-plc"));
    w.mailFailures.push(Object.assign(new Error("Too many requests"), { name: "RestError", statusCode: 429 }));
    await expect(a.run(entry(PLC_IP), 1)).rejects.toThrow("Too many requests");
    expect(w.container.json(keys.latest(PLC_IP))).toBeUndefined();
    await a.run(entry(PLC_IP), 2);
    expect(w.mails).toHaveLength(1);
  });

  test("Key Vault unreadable (403 before RBAC propagates) throws; the key is not called missing", async () => {
    const w = world();
    const a = w.instance();
    a.clients.secrets.getSecret = async () => {
      throw Object.assign(new Error("Caller is not authorized"), { name: "RestError", statusCode: 403, code: "Forbidden" });
    };
    await expect(a.run(entry(PLC_IP))).rejects.toThrow("Caller is not authorized");
    expect(a.log.find("secretUnreadable")?.fields).toMatchObject({ secret: "shodan-api-key", error: "RestError" });
    expect(w.mails).toHaveLength(0);
  });
});

describe("API key problems: alerted once per key version, the message skipped", () => {
  test("401: one e-mail for v1 however many messages meet it; a new version (still refused) mails again", async () => {
    const w = world();
    const a = w.instance();
    const b = w.instance("b");
    w.replies.push(shodanError("Invalid API key"), shodanError("Invalid API key"));
    expect(await a.run(entry(PLC_IP))).toEqual({ kind: "skipped", reason: "configError", alerted: true });
    expect(await b.run(entry(TAGGED_IP))).toEqual({ kind: "skipped", reason: "configError", alerted: false });
    expect(w.mails.map((m) => m.content.subject)).toEqual(["[lure-test] watcher stopped: shodan API key problem"]);
    expect(w.mails[0].content.plainText).toContain("Put a valid key in the secret shodan-api-key");
    expect(w.container.json(keys.indexError)).toMatchObject({ secretVersion: "v1", status: 401 });
    expect(w.container.json(keys.indexError)).not.toHaveProperty("pending");

    w.secret.version = "v2";
    w.replies.push(shodanError("Invalid API key"));
    expect(await a.run(entry(PLC_IP))).toEqual({ kind: "skipped", reason: "configError", alerted: true });
    expect(w.mails).toHaveLength(2);
    expect(w.container.json(keys.indexError)).toMatchObject({ secretVersion: "v2" });
  });

  test("no secret set (404 SecretNotFound): alerted once without calling Shodan; the alert failing throws so it is retried", async () => {
    const w = world();
    const a = w.instance();
    w.secret.missing = true;
    w.mailFailures.push(new Error("ACS unavailable"));
    await expect(a.run(entry(PLC_IP), 1)).rejects.toThrow(LookupRetryError);
    expect(w.container.json(keys.indexError)).toBeUndefined(); // the claim was released
    expect(await a.run(entry(PLC_IP), 2)).toEqual({ kind: "skipped", reason: "configError", alerted: true });
    expect(await a.run(entry(TAGGED_IP), 1)).toEqual({ kind: "skipped", reason: "configError", alerted: false });
    expect(w.mails.map((m) => m.content.plainText.split("\n")[0])).toEqual(["The watcher could not use the shodan API key: no API key is set."]);
    expect(w.shodanCalls).toHaveLength(0);
  });

  test("a working key again clears the marker, so a later problem alerts again", async () => {
    const w = world();
    const a = w.instance();
    w.replies.push(shodanError("Invalid API key"), NOT_FOUND, shodanError("Invalid API key"));
    await a.run(entry(PLC_IP));
    await a.run(entry(PLC_IP));
    expect(w.container.json(keys.indexError)).toBeUndefined();
    await a.run(entry(PLC_IP));
    expect(w.mails).toHaveLength(2);
  });
});

describe("skipped and counted: retrying cannot help", () => {
  test.each([
    ["malformed JSON", "not json", "malformed"],
    ["not an IP", { ...entry(PLC_IP), ip: "nope" }, "malformed"],
    ["a VM this deployment does not have", entry(PLC_IP, { service: "someone-elses-vm" }), "unknownService"],
    ["a honeypot this deployment does not have", entry(PLC_IP, { honeypot: "dionaea" }), "unknownService"],
  ])("%s: skipped without reading the key or calling Shodan", async (_name, body, reason) => {
    const w = world();
    const a = w.instance();
    expect(await a.run(body)).toEqual({ kind: "skipped", reason, alerted: false });
    expect(w.ops).toEqual([]);
    expect(a.log.find("lookupDone")?.fields).toMatchObject({ outcome: "skipped", reason });
  });
});

describe("log-only alerts (no alertEmail)", () => {
  test("the alert is a warn log line and no e-mail client exists", async () => {
    const w = world({ env: { alert: { kind: "log" } } });
    const a = w.instance();
    expect(a.clients.email).toBeUndefined();
    w.replies.push(shodanFixture("host-plc"));
    await a.run(entry(PLC_IP));
    expect(a.log.find("alert")).toMatchObject({ level: "warn", fields: { subject: `[lure-test] cowrie ${PLC_IP}: now listed with 102/tcp, 502/tcp` } });
  });
});
