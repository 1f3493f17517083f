/**
 * Rotation on Azure: the honeypot's public IP recreated under the same name (same resource id, so
 * Terraform sees no change) with a new address and attached again to the same NIC ip
 * configuration; at most once per minimum interval; every failure told, the dangerous one (after
 * the detach) with the fix.
 */
import { listIps } from "../../../functions/azure/list-ips";
import { publicIpRotator, recreatedIp, REDEPLOY_FIX } from "../../../functions/azure/rotation";
import { listIpsDeps } from "../../../functions/azure/wiring";
import { keys } from "../../../functions/core/lookup";
import { fakeNetwork, nicId, pipId, publicIp, recordingLog, RG, shodanFixture, strict } from "./fakes";
import { entry, world } from "./harness";

const OLD_IP = "203.0.113.10"; // host-plc.json answers for it
const NEW_IP = "192.0.2.44";
const VM = "lure-test-cowrie";
const NIC = `${VM}-nic`;

function attached(net: ReturnType<typeof fakeNetwork>) {
  net.attach(VM, publicIp(VM, "cowrie", OLD_IP));
}

describe("publicIpRotator", () => {
  test("swaps the address: same name and id, settings copied, NIC re-attached, in the order Azure requires", async () => {
    const net = fakeNetwork([NEW_IP]);
    attached(net);
    const before = net.pips.get(VM)!;
    const log = recordingLog();
    const rotatedAt = new Date("2026-12-03T10:00:00Z");
    const outcome = await publicIpRotator(net.network, RG, log.log, () => rotatedAt)(entry(OLD_IP), "listed by shodan on 102/tcp");

    expect(outcome).toEqual({ status: "rotated", service: VM, message: expect.stringContaining(`${OLD_IP} is released, the honeypot is now at ${NEW_IP}`) });
    const after = net.pips.get(VM)!;
    expect(after).toMatchObject({ id: pipId(VM), name: VM, ipAddress: NEW_IP, ipConfiguration: { id: `${nicId(NIC)}/ipConfigurations/primary` } });
    for (const k of ["location", "sku", "zones", "publicIPAllocationMethod", "publicIPAddressVersion", "idleTimeoutInMinutes"] as const) expect(after[k]).toEqual(before[k]);
    // Every tag kept; lure:since becomes the rotation's time, so the next lookups ignore the new address's past.
    expect(after.tags).toEqual({ ...before.tags, "lure:since": rotatedAt.toISOString() });
    expect(net.nics.get(NIC)!.ipConfigurations![0]).toMatchObject({ name: "primary", publicIPAddress: { id: pipId(VM) }, subnet: { id: expect.stringContaining("/subnets/honeypots") } });
    expect(net.ops).toEqual([`get pip ${VM}`, `get nic ${NIC}`, `put nic ${NIC} detach`, `delete pip ${VM}`, `create pip ${VM}`, `get nic ${NIC}`, `put nic ${NIC} attach ${VM}`]);
  });

  test("Azure giving back the same address is a completed rotation whose message says so", async () => {
    const net = fakeNetwork([OLD_IP]);
    attached(net);
    const outcome = await publicIpRotator(net.network, RG, recordingLog().log)(entry(OLD_IP), "r");
    expect(outcome.status).toBe("rotated");
    expect(outcome.message).toContain(`Azure gave back the same address ${OLD_IP}`);
  });

  test("a failure after the detach resolves 'failed' and names the fix: the honeypot has no public IP", async () => {
    const net = fakeNetwork([NEW_IP]);
    attached(net);
    net.failNext(`create pip ${VM}`, Object.assign(new Error("Quota exceeded for Standard public IPs"), { statusCode: 409 }));
    const log = recordingLog();
    const outcome = await publicIpRotator(net.network, RG, log.log)(entry(OLD_IP), "r");
    expect(outcome).toMatchObject({ status: "failed", service: VM, detail: `create public IP ${VM}: Quota exceeded for Standard public IPs` });
    expect(outcome.message).toContain("WITHOUT a public IP");
    expect(outcome.message).toContain(REDEPLOY_FIX);
    expect(net.pips.has(VM)).toBe(false);
    expect(log.find("rotationIncomplete")?.fields).toMatchObject({ step: "create", publicIp: VM, nic: NIC });
  });

  test.each([
    ["the IP holds another address now (a stale message)", entry("198.51.100.99"), "holds 203.0.113.10 now"],
    ["the message names another honeypot", entry(OLD_IP, { honeypot: "conpot", service: "lure-test-conpot" }), "not tagged as honeypot conpot"],
    ["the NIC belongs to another VM", entry(OLD_IP, { service: "lure-test-conpot" }), "belongs to VM lure-test-cowrie, not lure-test-conpot"],
    ["the message names no public IP", { ...entry(OLD_IP), task: undefined }, "names no public IP resource"],
  ])("refuses before touching anything when %s", async (_name, message, error) => {
    const net = fakeNetwork([NEW_IP]);
    attached(net);
    await expect(publicIpRotator(net.network, RG, recordingLog().log)(message, "r")).rejects.toThrow(error);
    expect(net.ops.filter((o) => !o.startsWith("get "))).toEqual([]);
    expect(net.pips.get(VM)?.ipAddress).toBe(OLD_IP);
  });

  test("recreatedIp copies settings, not the computed or read-only parts", () => {
    const old = publicIp(VM, "cowrie", OLD_IP, { dnsSettings: { domainNameLabel: "cowrie", fqdn: "cowrie.westeurope.cloudapp.azure.com" }, etag: 'W/"1"', resourceGuid: "g" } as never);
    const p = recreatedIp(old, new Date("2026-12-03T10:00:00Z"));
    expect(p).not.toHaveProperty("ipAddress");
    expect(p).not.toHaveProperty("id");
    expect(p).not.toHaveProperty("etag");
    expect(p.dnsSettings).toEqual({ domainNameLabel: "cowrie" });
  });
});

describe("rotation in the lookup", () => {
  function rotating(addresses: string[]) {
    const w = world({ env: { rotate: true, minRotationHours: 24 }, addresses });
    attached(w.net);
    return w;
  }

  test("an exposed honeypot is moved, the mail says where, the marker is written; within the interval the new IP is not moved again", async () => {
    const w = rotating([NEW_IP, "192.0.2.45"]);
    const a = w.instance();
    w.replies.push(shodanFixture("host-plc"));
    expect(await a.run(entry(OLD_IP))).toEqual({ kind: "looked-up", processed: { found: true, alerted: true, rotation: "rotated" } });
    expect(w.mails[0].content.plainText).toContain(`Rotation: public IP ${VM} of ${VM} was recreated under the same name and attached again to ${NIC}: ${OLD_IP} is released, the honeypot is now at ${NEW_IP}.`);
    expect(w.container.json(keys.rotation("cowrie"))).toMatchObject({ ip: OLD_IP, service: VM, lastRotatedAt: "2026-03-01T12:00:00.000Z" });

    // Next cycle: Shodan already lists the new address (a recycled one); 1 h later is too soon.
    w.clock.advance(3_600_000);
    const plcAtNew = { ...(shodanFixture("host-plc") as object), ip_str: NEW_IP };
    w.replies.push(plcAtNew);
    expect(await a.run(entry(NEW_IP, { cycle: "2026-03-01T12:59:00.000Z" }))).toEqual({ kind: "looked-up", processed: { found: true, alerted: true } });
    expect(w.net.pips.get(VM)?.ipAddress).toBe(NEW_IP);
    expect(a.log.find("rotationTooSoon")?.fields).toMatchObject({ nextAllowedAt: "2026-03-02T12:00:00.000Z" });

    // After the interval it is moved again.
    w.clock.advance(24 * 3_600_000);
    w.replies.push(plcAtNew);
    expect(await a.run(entry(NEW_IP, { cycle: "2026-03-02T13:59:00.000Z" }))).toMatchObject({ processed: { rotation: "rotated" } });
    expect(w.net.pips.get(VM)?.ipAddress).toBe("192.0.2.45");
  });

  test("a redelivered message (the mail failed) does not rotate twice, and its retry still announces the rotation", async () => {
    const w = rotating([NEW_IP]);
    const a = w.instance();
    w.replies.push(shodanFixture("host-plc"), shodanFixture("host-plc"));
    w.mailFailures.push(new Error("ACS unavailable"));
    await expect(a.run(entry(OLD_IP), 1)).rejects.toThrow("ACS unavailable");
    const creates = () => w.ops.filter((o) => o.startsWith("create pip")).length;
    expect(creates()).toBe(1);
    await a.run(entry(OLD_IP), 2);
    expect(creates()).toBe(1);
    expect(w.mails).toHaveLength(1);
    expect(w.mails[0].content.plainText).toContain(`the honeypot is now at ${NEW_IP}`);
  });

  test("a failed rotation is mailed as such, writes no marker, and is tried again next cycle", async () => {
    const w = rotating([NEW_IP]);
    const a = w.instance();
    w.net.failNext(`put nic ${NIC} detach`, Object.assign(new Error("AnotherOperationInProgress"), { statusCode: 409 }));
    w.replies.push(shodanFixture("host-plc"));
    expect(await a.run(entry(OLD_IP))).toMatchObject({ processed: { rotation: "failed", alerted: true } });
    expect(w.mails[0].content.plainText).toContain("was due but failed: AnotherOperationInProgress. It is retried on the next cycle.");
    expect(w.container.json(keys.rotation("cowrie"))).toBeUndefined();
    expect(w.net.pips.get(VM)?.ipAddress).toBe(OLD_IP);
  });
});

test("list-ips' message, as the worker decodes it, is what the lookup and its rotation act on", async () => {
  const w = world({ env: { rotate: true }, addresses: [NEW_IP] });
  attached(w.net);
  const a = w.instance();
  const queued: string[] = [];
  const clients = {
    ...a.clients,
    queue: strict("queue", { sendMessage: async (text: string) => void queued.push(text) }),
    poison: strict("poison", { getProperties: async () => ({ approximateMessagesCount: 0 }) }),
  };
  await listIps(listIpsDeps(clients, w.env, a.log.log), w.env);
  expect(queued).toHaveLength(1);
  // The host base64-decodes, the Node worker JSON-parses.
  const delivered: unknown = JSON.parse(Buffer.from(queued[0], "base64").toString("utf8"));
  w.replies.push(shodanFixture("host-plc"));
  expect(await a.run(delivered)).toMatchObject({ processed: { found: true, rotation: "rotated" } });
  expect(w.net.pips.get(VM)?.ipAddress).toBe(NEW_IP);
});
