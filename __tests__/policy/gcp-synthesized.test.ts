/**
 * Every policy rule on the synthesized GcpHoneynet: plain HTTP with the opt-in, and HTTPS with a
 * world-open allow-list. Each variant is also broken once on purpose, to prove the rules read the
 * real output rather than passing for want of resources they recognise.
 */
import { Testing } from "cdktf";
import { GcpHoneynet } from "../../modules/gcp/honeynet";
import { ALL_RULES, checkStack } from "../../modules/core/policy";
import type { SynthesizedStack } from "../../modules/core/policy";
import { GcpStack } from "../../providers/gcp";

type Dashboard = ConstructorParameters<typeof GcpHoneynet>[2]["dashboard"];

function synth(dashboard: Dashboard): SynthesizedStack {
  const app = Testing.app();
  const stack = new GcpStack(app, "gcp-honeynet", { prefix: "lure", region: "europe-west2" });
  new GcpHoneynet(stack, "Honeynet", { prefix: "lure", region: "europe-west2", zone: "europe-west2-a", honeypots: ["conpot_IEC104", "cowrie"], dashboard });
  return JSON.parse(Testing.synth(stack)) as SynthesizedStack;
}

/** The one resource of `type` (its logical name and body), failing when there is not exactly one. */
function only(s: SynthesizedStack, type: string): [string, Record<string, unknown>] {
  const entries = Object.entries(s.resource?.[type] ?? {});
  expect(entries).toHaveLength(1);
  return entries[0] as [string, Record<string, unknown>];
}

const clone = (s: SynthesizedStack): SynthesizedStack => JSON.parse(JSON.stringify(s)) as SynthesizedStack;
const labelsOf = (body: Record<string, unknown>) => body["labels"] as Record<string, string>;

describe("GcpHoneynet, plain HTTP with allowPlaintext", () => {
  const s = synth({ allowCidrs: ["198.51.100.0/24"], allowPlaintext: true });

  test("has the resources the Google Cloud rules read", () => {
    for (const type of ["google_compute_instance", "google_compute_firewall", "google_compute_security_policy", "google_compute_backend_service", "google_compute_global_forwarding_rule", "google_compute_target_http_proxy", "google_cloud_run_v2_service"]) {
      expect(Object.keys(s.resource?.[type] ?? {}).length).toBeGreaterThan(0);
    }
  });

  test("gives zero violations under ALL_RULES", () => {
    expect(checkStack(s)).toEqual([]);
  });

  test("without the plaintext label, dashboard-encrypted flags exactly the forwarding rule", () => {
    const broken = clone(s);
    const [name, rule] = only(broken, "google_compute_global_forwarding_rule");
    delete labelsOf(rule)["lure-plaintext"];
    expect(checkStack(broken, ALL_RULES).map((v) => [v.ruleId, v.resource])).toEqual([["dashboard-encrypted", `google_compute_global_forwarding_rule.${name}`]]);
  });

  test("with an external IP on the Elastic VM, elastic-no-public-ip flags exactly that VM", () => {
    const broken = clone(s);
    const [name, vm] = Object.entries(broken.resource?.["google_compute_instance"] ?? {}).find(([, b]) => labelsOf(b)["lure-component"] === "elastic") ?? [];
    expect(name).toBeDefined();
    (vm?.["network_interface"] as Record<string, unknown>[])[0]!["access_config"] = [{}];
    expect(checkStack(broken, ALL_RULES).map((v) => [v.ruleId, v.resource])).toEqual([["elastic-no-public-ip", `google_compute_instance.${name}`]]);
  });
});

describe("GcpHoneynet, HTTPS with a world-open allow-list", () => {
  const s = synth({ allowCidrs: ["0.0.0.0/0"], allowWorldOpen: true, domain: "kibana.example.org" });

  test("serves HTTPS on 443 and labels the forwarding rule world-open", () => {
    const [, rule] = only(s, "google_compute_global_forwarding_rule");
    expect(rule["port_range"]).toBe("443");
    expect(labelsOf(rule)).toEqual({ "lure-component": "dashboard", "lure-world-open": "true" });
    only(s, "google_compute_target_https_proxy");
    expect(s.resource?.["google_compute_target_http_proxy"]).toBeUndefined();
  });

  test("gives zero violations under ALL_RULES", () => {
    expect(checkStack(s)).toEqual([]);
  });

  test("without the world-open label on the forwarding rule, dashboard-behind-waf flags exactly the backend service", () => {
    const broken = clone(s);
    const [, rule] = only(broken, "google_compute_global_forwarding_rule");
    delete labelsOf(rule)["lure-world-open"];
    const [backend] = only(broken, "google_compute_backend_service");
    const v = checkStack(broken, ALL_RULES);
    expect(v.map((x) => [x.ruleId, x.resource])).toEqual([["dashboard-behind-waf", `google_compute_backend_service.${backend}`]]);
    expect(v[0]?.message).toContain("admits 0.0.0.0/0 without the lure-world-open=true opt-in");
  });
});
