import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { PROFILES, TPOT, planPorts, missingPeers, type CatalogPort } from "../../modules/core/catalog";
import { DEFAULT_SHARED_CATALOG, convert, render } from "../../modules/core/catalog/import-tpot";
import { FARGATE_PORTS, logstashInputs, needsPortSysctl } from "../../modules/aws/honeynet";
import { ROOT } from "../helpers/synth";

const shared = existsSync(DEFAULT_SHARED_CATALOG);
(shared ? test : test.skip)("shipped tpot.json matches ../shared/tpot/catalog.json (run `npm run catalog:import`)", () => {
  const fresh = render(convert(JSON.parse(readFileSync(DEFAULT_SHARED_CATALOG, "utf8"))));
  expect(readFileSync(join(ROOT, "modules/core/catalog/tpot.json"), "utf8")).toBe(fresh);
});

test("host-network services are not deployable and keep their reason", () => {
  expect(Object.keys(TPOT.unsupported).sort()).toEqual(["fatt", "glutton", "honeytrap", "p0f", "suricata", "tpotinit"]);
  for (const u of Object.values(TPOT.unsupported)) expect(u.reason).toMatch(/host network/i);
  for (const name of Object.keys(TPOT.unsupported)) expect(TPOT.honeypots[name]).toBeUndefined();
});

test("profiles contain only deployable honeypots and no deprecated image", () => {
  for (const list of Object.values(PROFILES)) {
    for (const n of list) {
      expect(TPOT.honeypots[n]).toBeDefined();
      expect(TPOT.honeypots[n].deprecated).toBeUndefined();
    }
    expect(missingPeers(list)).toEqual([]);
  }
  expect(TPOT.honeypots.rdpy.deprecated).toBeDefined();
  expect(TPOT.honeypots.honeysap.deprecated).toBeDefined();
});

test("conpot_default runs the current conpot image with its template", () => {
  const c = TPOT.honeypots.conpot_default;
  expect(c.image).toBe("ghcr.io/telekom-security/conpot:24.04.1");
  expect(c.env.CONPOT_TEMPLATE).toBe("default");
  expect(c.fileCapabilities).toContain("cap_net_bind_service");
});

test("every log folder fits an EFS access point path (≤ 4 levels)", () => {
  for (const h of Object.values(TPOT.honeypots)) for (const f of h.logFolders) expect(f.folder.split("/").length).toBeLessThanOrEqual(4);
});

const p = (host: number, container: number, protocol: "tcp" | "udp" = "tcp"): CatalogPort => ({ host, container, protocol });
describe("planPorts on Fargate (no remap, one protocol per port)", () => {
  test.each([
    ["same ports", [p(22, 22), p(23, 23)], ["22/tcp", "23/tcp"], []],
    ["remap moves to the container port", [p(8080, 80)], ["80/tcp"], ["moved"]],
    ["remap onto a listed port is dropped", [p(104, 11112), p(11112, 11112)], ["11112/tcp"], ["dropped"]],
    ["two host ports onto one container port", [p(443, 443), p(2087, 443)], ["443/tcp"], ["dropped"]],
    ["tcp and udp on one port keeps the first", [p(5060, 5060), p(5060, 5060, "udp")], ["5060/tcp"], ["dropped"]],
    ["udp alone is fine", [p(161, 161, "udp"), p(2404, 2404)], ["161/udp", "2404/tcp"], []],
  ])("%s", (_, ports, published, changes) => {
    const plan = planPorts(ports as CatalogPort[], FARGATE_PORTS);
    expect(plan.published.map((x) => `${x.port}/${x.protocol}`)).toEqual(published);
    expect(plan.changes.map((c) => c.change)).toEqual(changes);
  });

  test("a platform that remaps keeps host ports", () => {
    expect(planPorts([p(8080, 80), p(104, 11112)], { remap: true, tcpAndUdpOnOnePort: true }).published.map((x) => x.port)).toEqual([8080, 104]);
  });

  test("overrides.ports selects a subset", () => {
    const plan = planPorts([p(5060, 5060), p(5060, 5060, "udp")], FARGATE_PORTS, ["5060/udp"]);
    expect(plan.published).toEqual([{ port: 5060, protocol: "udp" }]);
  });
});

test("sysctl for privileged ports only when the image has no bind capability and is not root", () => {
  const base = TPOT.honeypots.ipphoney;
  expect(needsPortSysctl(base, [{ port: 631, protocol: "tcp" }])).toBe(true);
  expect(needsPortSysctl(base, [{ port: 631, protocol: "tcp" }], "0")).toBe(false);
  expect(needsPortSysctl(base, [{ port: 6310, protocol: "tcp" }])).toBe(false);
  expect(needsPortSysctl(TPOT.honeypots.cowrie, [{ port: 22, protocol: "tcp" }])).toBe(false);
});

test("Logstash inputs: one per catalog path, each inside a mounted log folder", () => {
  const conpots = ["conpot_default", "conpot_IEC104", "conpot_ipmi"].map((n) => TPOT.honeypots[n]);
  const inputs = logstashInputs(conpots);
  expect(inputs).toEqual([{ folder: "conpot/log", path: "/data/conpot/log/*.json", type: "ConPot", codec: "json" }]);
  expect(logstashInputs([TPOT.honeypots.heralding, TPOT.honeypots.cowrie])).toEqual([
    { folder: "heralding/log", path: "/data/heralding/log/auth.csv", type: "Heralding", codec: "plain" },
    { folder: "cowrie/log", path: "/data/cowrie/log/cowrie.json", type: "Cowrie", codec: "json" },
  ]);
});
