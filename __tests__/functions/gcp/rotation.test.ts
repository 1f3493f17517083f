/**
 * GCP rotation through the lookup (real core, real handler): the ephemeral IP swapped by
 * deleteAccessConfig + addAccessConfig (no natIP) with each zone operation waited for, the minimum
 * interval, a forged message refused, a failure after the delete alerted with the fix.
 */
import { keys } from "../../../functions/core/lookup";
import { instance, shodanFixture } from "./fakes";
import { message, world } from "./harness";

const IP = "203.0.113.10";

/** host-plc.json as seen at `ip` at `at` (Shodan's timestamp format: no zone, microseconds). */
function plcAt(ip: string, at: string): unknown {
  const host = structuredClone(shodanFixture("host-plc")) as { ip_str: string; last_update: string; data: { timestamp: string; ip_str?: string }[] };
  const stamp = at.replace("Z", "000");
  return { ...host, ip_str: ip, last_update: stamp, data: host.data.map((d) => ({ ...d, ip_str: ip, timestamp: stamp })) };
}
const rotating = (vms = [instance("lure-test-cowrie", "cowrie", IP)]) => world({ env: { rotate: true, minRotationHours: 24 }, vms });

test("swap: delete then add the access config (same name and tier, no natIP), each operation waited for; the alert names the new IP", async () => {
  const w = rotating();
  w.compute.addresses.push("198.51.100.50");
  w.replies.push(shodanFixture("host-plc"));
  expect(await w.deliver(message(IP))).toEqual({ status: 200, body: { kind: "looked-up", processed: { found: true, alerted: true, rotation: "rotated" } } });
  // The second wait of each operation is the one that sees DONE.
  expect(w.ops.filter((o) => /^(get lure|deleteAccessConfig|addAccessConfig|wait)/.test(o))).toEqual([
    "get lure-test-cowrie",
    "deleteAccessConfig lure-test-cowrie nic0 External NAT",
    "wait operation-1-delete",
    "wait operation-1-delete",
    'addAccessConfig lure-test-cowrie {"name":"External NAT","type":"ONE_TO_ONE_NAT","networkTier":"PREMIUM"}',
    "wait operation-2-add",
    "wait operation-2-add",
    "get lure-test-cowrie",
  ]);
  expect(w.compute.byName.get("lure-test-cowrie")!.networkInterfaces![0].accessConfigs![0].natIP).toBe("198.51.100.50");
  expect(w.out.alerts()[0].body).toContain(`Rotation: the ephemeral external IP of lure-test-cowrie was swapped: ${IP} is released, the honeypot is now at 198.51.100.50.`);
  expect(w.bucket.json(keys.rotation("cowrie"))).toMatchObject({ ip: IP, service: "lure-test-cowrie" });
});

test("interval: found again within minRotationHours, no second rotation", async () => {
  const w = rotating();
  w.compute.addresses.push("198.51.100.50");
  w.replies.push(shodanFixture("host-plc"));
  await w.deliver(message(IP));
  w.clock.advance(3_600_000);
  // Seen at the new address after the rotation: the honeypot's own exposure.
  w.replies.push(plcAt("198.51.100.50", "2026-03-01T12:30:00.000Z"));
  const second = await w.deliver(message("198.51.100.50", { cycle: "2026-03-01T12:59:00.000Z" }));
  expect(second.body).toMatchObject({ kind: "looked-up", processed: { found: true } });
  expect(second.body).not.toHaveProperty("processed.rotation");
  expect(w.ops.filter((o) => o.startsWith("deleteAccessConfig"))).toHaveLength(1);
  expect(w.out.find("rotationTooSoon")).toMatchObject({ honeypot: "cowrie", nextAllowedAt: "2026-03-02T12:00:00.000Z" });
});

test("refused forged message: an instance without the honeypot's labels moves nothing", async () => {
  // The name matches LURE_VMS, but the instance is labelled as another honeypot.
  const w = rotating([instance("lure-test-cowrie", "dionaea", IP)]);
  w.replies.push(shodanFixture("host-plc"));
  const answer = await w.deliver(message(IP));
  expect(answer.body).toMatchObject({ kind: "looked-up", processed: { rotation: "failed" } });
  expect(w.ops.filter((o) => /AccessConfig/.test(o))).toEqual([]);
  expect(w.out.alerts()[0].body).toContain("is not labelled as honeypot cowrie; nothing rotated");
});

test("refused stale message: the instance no longer holds the message's IP", async () => {
  const w = rotating([instance("lure-test-cowrie", "cowrie", "198.51.100.77")]);
  w.replies.push(shodanFixture("host-plc"));
  await w.deliver(message(IP));
  expect(w.ops.filter((o) => /AccessConfig/.test(o))).toEqual([]);
  expect(w.out.alerts()[0].body).toContain(`holds 198.51.100.77 now, not ${IP}; nothing rotated`);
});

test("a failure after the delete is alerted as 'left without an external IP' with the fix", async () => {
  const w = rotating();
  w.compute.state.failOperation = "add";
  w.replies.push(shodanFixture("host-plc"));
  const answer = await w.deliver(message(IP));
  expect(answer.body).toMatchObject({ kind: "looked-up", processed: { rotation: "failed" } });
  const body = w.out.alerts()[0].body;
  expect(body).toContain("left WITHOUT an external IP");
  expect(body).toContain("RESOURCE_NOT_READY");
  expect(body).toContain("`npm run deploy -- gcp-honeynet`");
  expect(w.out.find("rotationIncomplete")).toMatchObject({ severity: "ERROR", step: "add the access config to" });
});

test("rotation off: found, alerted, nothing moved", async () => {
  const w = world({ vms: [instance("lure-test-cowrie", "cowrie", IP)] });
  w.replies.push(shodanFixture("host-plc"));
  await w.deliver(message(IP));
  expect(w.ops.filter((o) => /AccessConfig|^get lure/.test(o))).toEqual([]);
});

test("after a swap, what Shodan saw at the new address before the rotation is not the honeypot's exposure", async () => {
  const w = rotating();
  w.compute.addresses.push("198.51.100.50");
  w.replies.push(plcAt(IP, "2026-03-01T08:00:00.000Z"));
  expect((await w.deliver(message(IP, { since: "2026-02-28T17:30:00.000Z" }))).body).toMatchObject({ processed: { rotation: "rotated" } });
  w.clock.advance(25 * 3_600_000);
  // The address's previous holder, seen after the instance started but before the rotation (12:00).
  w.replies.push(plcAt("198.51.100.50", "2026-03-01T06:00:00.000Z"));
  const next = await w.deliver(message("198.51.100.50", { since: "2026-02-28T17:30:00.000Z", cycle: "2026-03-02T12:59:00.000Z" }));
  expect(next.body).toEqual({ kind: "looked-up", processed: { found: false, alerted: false } });
  expect(w.out.find("sinceFromRotation")).toMatchObject({ ip: "198.51.100.50", since: "2026-02-28T17:30:00.000Z", rotatedAt: "2026-03-01T12:00:00.000Z" });
  expect(w.ops.filter((o) => o.startsWith("deleteAccessConfig"))).toHaveLength(1);
});
