/**
 * The GCP lookup, one Cloud Tasks delivery per request, through the real handler and wiring with
 * strict fakes: what each Shodan answer leads to (objects written, alert entries on stdout), when
 * the answer is 500 for Cloud Tasks to retry, what the last attempt records and alerts, and what
 * is answered 200 and counted.
 */
import { keys } from "../../../functions/core/lookup";
import { ALERT_LOG_FILTER } from "../../../functions/gcp/log";
import { failedKey } from "../../../functions/gcp/lookup";
import { googleError, shodanFixture } from "./fakes";
import { T0, message, shodanError, world } from "./harness";

const PLC_IP = "203.0.113.10"; // host-plc.json: ports 102 and 502
const TAGGED_IP = "198.51.100.7"; // host-honeypot.json: tagged "honeypot"
const NOT_FOUND = shodanError("No information available for that IP.");

describe("one task, one lookup", () => {
  test("found: result and latest written, one WARNING alert entry naming the ports, latest written after it", async () => {
    const w = world();
    w.replies.push(shodanFixture("host-plc"));
    const answer = await w.deliver(message(PLC_IP));

    expect(answer).toEqual({ status: 200, body: { kind: "looked-up", processed: { found: true, alerted: true } } });
    const alerts = w.out.alerts();
    expect(alerts).toHaveLength(1);
    const subject = `[lure-test] cowrie ${PLC_IP}: now listed with 102/tcp, 502/tcp`;
    expect(alerts[0]).toMatchObject({ severity: "WARNING", message: subject, subject, event: "lure-alert" });
    expect(alerts[0].body).toContain(`Full answer: gs://lure-test-results/results/${PLC_IP}/2026-03-01T120000.000Z.json`);
    expect(w.bucket.json(keys.latest(PLC_IP))).toMatchObject({ ip: PLC_IP, honeypot: "cowrie", found: true, ports: ["102/tcp", "502/tcp"] });
    expect(w.bucket.json(keys.result(PLC_IP, new Date(T0)))).toMatchObject({ message: { ip: PLC_IP, service: "lure-test-cowrie" }, answer: { ip_str: PLC_IP } });
    const order = w.ops.filter((o) => /^(shodan|put results|put latest)/.test(o));
    expect(order).toEqual([`shodan ${PLC_IP}`, `put results/${PLC_IP}/2026-03-01T120000.000Z.json`, `put latest/${PLC_IP}.json`]);
    // Every other line is a structured log entry with a Cloud Logging severity and the task name.
    expect(w.out.find("lookupDone")).toMatchObject({ severity: "INFO", message: "lookupDone", task: "task-1", attempt: 1, lastAttempt: false });
    expect(ALERT_LOG_FILTER).toBe('jsonPayload.event="lure-alert"');
  });

  test("not found: state kept, no alert", async () => {
    const w = world();
    w.replies.push(NOT_FOUND);
    expect(await w.deliver(message(PLC_IP))).toEqual({ status: 200, body: { kind: "looked-up", processed: { found: false, alerted: false } } });
    expect(w.out.alerts()).toHaveLength(0);
    expect(w.bucket.json(keys.latest(PLC_IP))).toMatchObject({ found: false, ports: [] });
  });

  test("honeypot tag: the alert says Shodan tags the host as a honeypot", async () => {
    const w = world();
    w.replies.push(shodanFixture("host-honeypot"));
    await w.deliver(message(TAGGED_IP));
    expect(w.out.alerts()).toHaveLength(1);
    expect(w.out.alerts()[0].subject).toContain("tagged as a honeypot");
    expect(w.out.alerts()[0].body).toContain("Honeypot tag: yes");
    expect(w.bucket.json(keys.latest(TAGGED_IP))).toMatchObject({ honeypotTagged: true });
  });
});

describe("alert only on change", () => {
  test("the same answer twice alerts once; a new port alerts again", async () => {
    const w = world();
    const plc = shodanFixture("host-plc") as { data: { port: number }[] };
    w.replies.push(plc, plc);
    await w.deliver(message(PLC_IP));
    w.clock.advance(3_600_000);
    expect(await w.deliver(message(PLC_IP, { cycle: "2026-03-01T12:59:00.000Z" }))).toEqual({ status: 200, body: { kind: "looked-up", processed: { found: true, alerted: false } } });
    expect(w.out.alerts()).toHaveLength(1);

    const more = structuredClone(plc);
    more.data.push({ ...more.data[0], port: 8080 });
    w.replies.push(more);
    w.clock.advance(3_600_000);
    await w.deliver(message(PLC_IP, { cycle: "2026-03-01T13:59:00.000Z" }));
    expect(w.out.alerts().map((a) => a.subject)).toEqual([`[lure-test] cowrie ${PLC_IP}: now listed with 102/tcp, 502/tcp`, `[lure-test] cowrie ${PLC_IP}: newly seen ports 8080/tcp`]);
  });
});

describe("retries: a failure answers 500, so Cloud Tasks retries with backoff", () => {
  test("429 then success: the first attempt answers 500 and writes nothing, the retry looks up and alerts once", async () => {
    const w = world();
    w.replies.push(shodanError("Response code 429 (Too Many Requests)"));
    expect(await w.deliver(message(PLC_IP), 1)).toEqual({ status: 500, body: { kind: "failed", event: "lookupFailed", final: false } });
    expect(w.bucket.json(keys.latest(PLC_IP))).toBeUndefined();
    expect(w.out.alerts()).toHaveLength(0);
    expect(w.out.find("lookupFailed")).toMatchObject({ severity: "ERROR", task: "task-1", attempt: 1, lastAttempt: false, ip: PLC_IP, error: "IndexUnavailableError" });

    w.clock.advance(10_000); // the queue's backoff
    w.replies.push(shodanFixture("host-plc"));
    expect(await w.deliver(message(PLC_IP), 2)).toEqual({ status: 200, body: { kind: "looked-up", processed: { found: true, alerted: true } } });
    expect(w.out.alerts()).toHaveLength(1);
  });

  test("5xx until the last attempt: 500 every time; only the 5th (of LURE_MAX_ATTEMPTS 5) records state/failed/<ip>.json and alerts", async () => {
    const w = world();
    for (let attempt = 1; attempt <= 5; attempt++) {
      w.replies.push(shodanError("Response code 503 (Service Unavailable)"));
      const answer = await w.deliver(message(PLC_IP), attempt);
      expect(answer.status).toBe(500);
      expect(answer.body).toMatchObject({ kind: "failed", event: "lookupFailed", final: attempt === 5 });
      if (attempt < 5) expect(w.bucket.json(failedKey(PLC_IP))).toBeUndefined();
      w.clock.advance(60_000);
    }
    expect(w.shodanCalls).toHaveLength(5);
    expect(w.bucket.json(failedKey(PLC_IP))).toMatchObject({
      message: { ip: PLC_IP, honeypot: "cowrie" },
      task: "task-1",
      attempts: 5,
      event: "lookupFailed",
      error: expect.stringContaining("IndexUnavailableError"),
    });
    const alerts = w.out.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: "ERROR", subject: `[lure-test] watcher: lookup of cowrie ${PLC_IP} given up after 5 attempts` });
    expect(alerts[0].body).toContain(`Recorded: gs://lure-test-results/${failedKey(PLC_IP)}`);
    expect(w.bucket.json(keys.latest(PLC_IP))).toBeUndefined();
  });

  test("the last attempt's record failing still alerts (and answers 500)", async () => {
    const w = world({ env: { maxAttempts: 1 } });
    w.replies.push(shodanError("Response code 502 (Bad Gateway)"));
    w.bucket.failNext("put", "state/failed/", googleError(503, "Service Unavailable"));
    expect(await w.deliver(message(PLC_IP), 1)).toEqual({ status: 500, body: { kind: "failed", event: "lookupFailed", final: true, recorded: false, alerted: true } });
    expect(w.out.alerts()[0].body).not.toContain("Recorded:");
  });

  test("a GCS failure after the lookup answers 500 before anything is announced", async () => {
    const w = world();
    w.replies.push(shodanFixture("host-plc"));
    w.bucket.failNext("put", "results/", googleError(503, "Service Unavailable"));
    expect((await w.deliver(message(PLC_IP))).status).toBe(500);
    expect(w.out.alerts()).toHaveLength(0);
    expect(w.bucket.json(keys.latest(PLC_IP))).toBeUndefined();
  });

  test("an alert entry that cannot be written answers 500, and latest is not written, so the retry alerts", async () => {
    const w = world();
    w.replies.push(shodanFixture("host-plc"), shodanFixture("host-plc"));
    w.out.state.failAlerts = 1;
    expect((await w.deliver(message(PLC_IP), 1)).status).toBe(500);
    expect(w.bucket.json(keys.latest(PLC_IP))).toBeUndefined();
    expect((await w.deliver(message(PLC_IP), 2)).status).toBe(200);
    expect(w.out.alerts()).toHaveLength(1);
  });

  test("Secret Manager PERMISSION_DENIED (IAM not propagated) answers 500; the key is not called missing", async () => {
    const w = world();
    w.secret.state.error = googleError(7, "Permission 'secretmanager.versions.access' denied");
    expect(await w.deliver(message(PLC_IP))).toEqual({ status: 500, body: { kind: "failed", event: "secretUnreadable", final: false } });
    expect(w.out.find("secretUnreadable")).toMatchObject({ secret: w.env.secret });
    expect(w.out.alerts()).toHaveLength(0);
  });
});

describe("API key problems: alerted once per key version, answered 200", () => {
  test("401: one alert for version 1 however many tasks meet it; version 2 (still refused) alerts again", async () => {
    const w = world();
    w.replies.push(shodanError("Invalid API key"), shodanError("Invalid API key"));
    expect(await w.deliver(message(PLC_IP), 1, "t1")).toEqual({ status: 200, body: { kind: "skipped", reason: "configError", alerted: true } });
    expect(await w.deliver(message(TAGGED_IP), 1, "t2")).toEqual({ status: 200, body: { kind: "skipped", reason: "configError", alerted: false } });
    expect(w.out.alerts().map((a) => a.subject)).toEqual(["[lure-test] watcher stopped: shodan API key problem"]);
    expect(w.out.alerts()[0].body).toContain("Put a valid key in the secret lure-test-shodan-api-key");
    expect(w.bucket.json(keys.indexError)).toMatchObject({ secretVersion: "1", status: 401 });
    expect(w.bucket.json(keys.indexError)).not.toHaveProperty("pending");

    w.secret.state.version = 2;
    w.replies.push(shodanError("Invalid API key"));
    expect(await w.deliver(message(PLC_IP), 1, "t3")).toEqual({ status: 200, body: { kind: "skipped", reason: "configError", alerted: true } });
    expect(w.out.alerts()).toHaveLength(2);
    expect(w.bucket.json(keys.indexError)).toMatchObject({ secretVersion: "2" });
  });

  test("no version yet (NOT_FOUND): alerted once without calling Shodan; the alert failing answers 500 so it is retried", async () => {
    const w = world();
    w.secret.state.value = undefined;
    w.out.state.failAlerts = 1;
    expect((await w.deliver(message(PLC_IP), 1)).status).toBe(500);
    expect(w.bucket.json(keys.indexError)).toBeUndefined(); // the claim was released
    expect((await w.deliver(message(PLC_IP), 2)).body).toEqual({ kind: "skipped", reason: "configError", alerted: true });
    expect((await w.deliver(message(TAGGED_IP), 1, "t2")).body).toEqual({ kind: "skipped", reason: "configError", alerted: false });
    expect(w.out.alerts().map((a) => a.body.split("\n")[0])).toEqual(["The watcher could not use the shodan API key: no API key is set."]);
    expect(w.shodanCalls).toHaveLength(0);
  });
});

describe("answered 200 and counted: retrying cannot help", () => {
  test.each([
    ["malformed JSON", "not json", "malformed"],
    ["not an IP", { ...message(PLC_IP), ip: "nope" }, "malformed"],
    ["an instance this deployment does not have", message(PLC_IP, { service: "someone-elses-vm" }), "unknownService"],
    ["a honeypot this deployment does not have", message(PLC_IP, { honeypot: "heralding" }), "unknownService"],
  ])("%s: skipped without reading the key or calling Shodan", async (_name, body, reason) => {
    const w = world();
    expect(await w.deliver(body, 5)).toEqual({ status: 200, body: { kind: "skipped", reason, alerted: false } });
    expect(w.ops).toEqual([]);
    expect(w.out.find("lookupDone")).toMatchObject({ outcome: "skipped", reason });
  });

  test("a GET (not Cloud Tasks) is refused with 405 and does nothing", async () => {
    const w = world();
    const { fakeResponse } = await import("./harness");
    const { res, answer } = fakeResponse();
    const { lookupHandler } = await import("../../../functions/gcp/handlers");
    await lookupHandler(w.clients, w.env)({ method: "GET", headers: {} }, res);
    expect(answer().status).toBe(405);
    expect(w.ops).toEqual([]);
  });
});

describe("rate: ≤ 1 Shodan call per second under concurrent deliveries", () => {
  test("five tasks delivered at once (the queue's setting lost): each Shodan call starts ≥ 1 s after the previous one ended", async () => {
    const w = world({ shodanLatencyMs: 300 });
    const ips = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"];
    for (const _ of ips) w.replies.push(NOT_FOUND);
    const answers = await Promise.all(ips.map((ip, i) => w.deliver(message(ip, { honeypot: i % 2 ? "dionaea" : "cowrie", service: i % 2 ? "lure-test-dionaea" : "lure-test-cowrie" }), 1, `t${i}`)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(w.shodanCalls).toHaveLength(5);
    for (let i = 1; i < w.shodanCalls.length; i++) expect(w.shodanCalls[i].at - w.shodanCalls[i - 1].end).toBeGreaterThanOrEqual(1000);
  });
});
