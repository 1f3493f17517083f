/**
 * GCP list-ips through the real handler with strict Compute and Cloud Tasks fakes: what is queued
 * (task shape: POST to lookup, OIDC token, the shared message), what is skipped and counted, what
 * is alerted, and when the answer is 500.
 */
import { parseIpMessage } from "../../../functions/core/watcher-message";
import { LOOKUP_URL, QUEUE, TASKS_SA, googleError, instance } from "./fakes";
import { world } from "./harness";

const COWRIE = instance("lure-test-cowrie", "cowrie", "203.0.113.10");
const DIONAEA = instance("lure-test-dionaea", "dionaea", "203.0.113.11");

test("one task per honeypot: POST to lookup with an OIDC token of the tasks account, body the shared message", async () => {
  const w = world({ vms: [COWRIE, DIONAEA, { ...instance("lure-test-elastic", "x", "203.0.113.99"), labels: { "lure-component": "elastic" } }] });
  const answer = await w.list();
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ listed: 2, queued: 2, skipped: { notRunning: 0, noExternalIp: 0, unknownHoneypot: 0 }, withoutIp: [], listingError: null, notQueued: 0, alerts: 0 });
  expect(w.tasks.created[0]).toEqual({
    parent: QUEUE,
    task: {
      httpRequest: {
        httpMethod: "POST",
        url: LOOKUP_URL,
        headers: { "Content-Type": "application/json" },
        body: expect.any(String),
        oidcToken: { serviceAccountEmail: TASKS_SA, audience: LOOKUP_URL },
      },
    },
  });
  const body = Buffer.from(w.tasks.created[0].task.httpRequest.body, "base64").toString("utf8");
  expect(parseIpMessage(body)).toEqual({
    ok: true,
    message: { ip: "203.0.113.10", honeypot: "cowrie", service: "lure-test-cowrie", task: "lure-test-cowrie", since: "2026-02-28T17:30:00.000Z", cycle: "2026-03-01T12:00:00.000Z", cloud: "gcp" },
  });
  expect(w.out.alerts()).toHaveLength(0);
});

test("an instance without an external IP, one stopped and one of another honeynet: skipped and counted; a honeypot left without IP alerted", async () => {
  const w = world({
    vms: [
      instance("lure-test-cowrie", "cowrie", undefined),
      instance("lure-test-dionaea", "dionaea", undefined, { status: "TERMINATED" }),
      instance("other-cowrie", "cowrie", "198.51.100.1"),
    ],
  });
  const answer = await w.list();
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ listed: 3, queued: 0, skipped: { notRunning: 1, noExternalIp: 1, unknownHoneypot: 1 }, withoutIp: ["cowrie", "dionaea"], alerts: 1 });
  expect(w.tasks.created).toHaveLength(0);
  const [alert] = w.out.alerts();
  expect(alert).toMatchObject({ severity: "ERROR", subject: "[lure-test] watcher: 2 honeypots have no external IP" });
  expect(alert.body).toContain("`npm run deploy -- gcp-honeynet`");
  expect(w.out.find("noExternalIp")).toMatchObject({ severity: "WARNING", instance: "lure-test-cowrie", honeypot: "cowrie" });
});

test("a listing that fails part-way: what was listed is still queued, the failure alerted (not as 'without IP')", async () => {
  const w = world({ vms: [COWRIE, DIONAEA] });
  w.compute.state.listFailAfter = 1;
  w.compute.state.listFailure = googleError(503, "The service is currently unavailable");
  const answer = await w.list();
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ listed: 1, queued: 1, withoutIp: [], listingError: "Error: The service is currently unavailable", alerts: 1 });
  expect(w.tasks.message(0)).toMatchObject({ honeypot: "cowrie" });
  const [alert] = w.out.alerts();
  expect(alert.subject).toBe("[lure-test] watcher: listing failed");
  expect(alert.body).toContain("1 lookups were queued");
  expect(w.out.find("listingFailed")).toMatchObject({ severity: "ERROR", listedBefore: 1 });
});

test("the client failing to start (no credentials) is a listing failure, alerted, with no listAsync call left to reject unhandled", async () => {
  const w = world({ vms: [COWRIE] });
  w.compute.state.initFailure = new Error("Could not load the default credentials.");
  const answer = await w.list();
  expect(answer.body).toMatchObject({ listed: 0, queued: 0, listingError: "Error: Could not load the default credentials.", alerts: 1 });
  expect(w.ops).not.toContain("list");
});

test("a task the queue refuses: the others are queued, the refusal alerted", async () => {
  const w = world({ vms: [COWRIE, DIONAEA] });
  w.tasks.failures.push(googleError(8, "Queue dispatch quota exceeded"));
  const answer = await w.list();
  expect(answer.body).toMatchObject({ queued: 1, notQueued: 1, alerts: 1 });
  expect(w.out.alerts()[0].subject).toBe("[lure-test] watcher: 1 not queued");
  expect(w.out.alerts()[0].body).toContain("- 203.0.113.10: Queue dispatch quota exceeded");
});

test("500 only when an alert could not be written; the cycle still ran", async () => {
  const w = world({ vms: [COWRIE] });
  w.out.state.failAlerts = 1;
  const answer = await w.list();
  expect(answer.status).toBe(500);
  expect(answer.body).toMatchObject({ queued: 1, withoutIp: ["dionaea"], alerts: 0, problems: [expect.stringContaining("dionaea without an external IP could not be alerted: EPIPE")] });
});

test("extra targets: one task each after the honeynet's, external with their label; lure's own address not twice", async () => {
  const extraTargets = [{ ip: "185.199.108.1", honeypot: "conpot", label: "plant-a" }, { ip: "203.0.113.10", honeypot: "external" }];
  const w = world({ vms: [COWRIE], env: { extraTargets } });
  const answer = await w.list();
  expect(answer.body).toMatchObject({ listed: 1, extraTargets: 1, queued: 2 });
  const bodies = w.tasks.created.map((t) => parseIpMessage(Buffer.from(t.task.httpRequest.body, "base64").toString("utf8")));
  expect(bodies[1]).toEqual({ ok: true, message: { ip: "185.199.108.1", honeypot: "conpot", service: "external", cycle: "2026-03-01T12:00:00.000Z", cloud: "gcp", external: true, label: "plant-a" } });
  expect(bodies.filter((b) => b.ok && b.message.ip === "203.0.113.10")).toHaveLength(1);
});
