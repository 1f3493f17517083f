/**
 * GcpHoneynet as a hive's sensor (`hive`): no Elastic stack, Kibana or dashboard of its own; the
 * honeypot VMs ship over TLS to the hive with a credential they read at boot from one Secret Manager
 * secret, as a service account that may read that secret and nothing else.
 */
import { TerraformVariable, Testing } from "cdktf";
import { cloudConfig, expectHiveShipping, file, type CloudConfig } from "../core/host-helpers";
import { PROFILES } from "../../modules/core/catalog";
import { HIVE_CREDENTIAL_SCRIPT, hiveSecretName } from "../../modules/core/hive";
import { INTERNAL_MEMBERS, METADATA_UNIT, metadataUnit } from "../../modules/core/host";
import { checkStack } from "../../modules/core/policy";
import { CLOUD_PLATFORM_SCOPE, GcpHoneynet, gcpHoneynetPropsProblems, hiveSensorAccountId, type GcpHoneynetProps } from "../../modules/gcp/honeynet";
import { GcpHoneynetStack } from "../../modules/gcp/stacks";
import { GcpStack } from "../../providers/gcp";
import { configWith, type Json } from "../helpers/synth";

const HIVE = { cloud: "aws", address: "hive.example.net", port: 64294 } as const;
const BASE: GcpHoneynetProps = {
  prefix: "lure",
  region: "europe-west2",
  zone: "europe-west2-b",
  project: "lure-test",
  honeypots: [...PROFILES.industrial],
  dashboard: { allowCidrs: ["198.51.100.0/24"], allowPlaintext: true },
};
const PUBLIC_MEMBERS = PROFILES.industrial.filter((h) => !INTERNAL_MEMBERS.includes(h));

function build(props: Partial<GcpHoneynetProps> = {}): { stack: Json; honeynet: GcpHoneynet; warnings: string[] } {
  const scope = new GcpStack(Testing.app(), "gcp-honeynet", { prefix: "lure", region: "europe-west2", project: "lure-test" });
  const honeynet = new GcpHoneynet(scope, "Honeynet", { ...BASE, ...props });
  const stack = JSON.parse(Testing.synth(scope)) as Json;
  const warnings = honeynet.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
  return { stack, honeynet, warnings };
}

const all = (stack: Json, type: string): [string, Json][] => Object.entries((stack.resource?.[type] ?? {}) as Record<string, Json>);
const labelled = (stack: Json, type: string, component: string) => all(stack, type).filter(([, b]) => b.labels?.["lure-component"] === component);
const userData = (vm: Json): CloudConfig => cloudConfig(vm.metadata["user-data"]);

describe("GcpHoneynet as a hive's sensor, industrial profile", () => {
  let stack: Json;
  let honeynet: GcpHoneynet;
  let warnings: string[];
  beforeAll(() => {
    ({ stack, honeynet, warnings } = build({ hive: HIVE }));
  });

  it("makes one VM per public honeypot and no Elastic VM", () => {
    expect(labelled(stack, "google_compute_instance", "honeypot")).toHaveLength(PUBLIC_MEMBERS.length);
    expect(labelled(stack, "google_compute_instance", "elastic")).toHaveLength(0);
    expect(all(stack, "google_compute_instance")).toHaveLength(PUBLIC_MEMBERS.length);
  });

  it("makes none of Cloud NAT, the data disk, Kibana, the load balancer, Cloud Armor or Elastic's firewall rules", () => {
    for (const type of [
      "google_compute_router",
      "google_compute_router_nat",
      "google_compute_disk",
      "google_cloud_run_v2_service",
      "google_compute_region_network_endpoint_group",
      "google_compute_backend_service",
      "google_compute_url_map",
      "google_compute_target_http_proxy",
      "google_compute_target_https_proxy",
      "google_compute_managed_ssl_certificate",
      "google_compute_global_forwarding_rule",
      "google_compute_global_address",
      "google_compute_security_policy",
    ]) {
      expect({ type, count: all(stack, type).length }).toEqual({ type, count: 0 });
    }
    // Only the honeypots' own rules: one per VM, aimed at its tag.
    const rules = all(stack, "google_compute_firewall").map(([, f]) => f);
    expect(rules).toHaveLength(PUBLIC_MEMBERS.length);
    for (const r of rules) expect(r.target_tags).toEqual([expect.stringMatching(/^lure-hp-/)]);
    expect(honeynet.elasticInstance).toBeUndefined();
    expect(honeynet.elasticInstanceName).toBeUndefined();
    expect(honeynet.elasticAddress).toBeUndefined();
    expect(honeynet.kibana).toBeUndefined();
    expect(honeynet.securityPolicy).toBeUndefined();
    expect(honeynet.dashboardAddress).toBeUndefined();
    expect(honeynet.dashboardUrl).toBeUndefined();
  });

  it("keeps the network and its three subnets, and the honeypots' construct ids", () => {
    expect(Object.keys(stack.resource.google_compute_network)).toEqual([expect.stringMatching(/^Honeynet_Network_/)]);
    expect(all(stack, "google_compute_subnetwork").map(([id]) => id.replace(/_[0-9A-F]{8}$/, "")).sort()).toEqual(["Honeynet_DashboardSubnet", "Honeynet_ElasticSubnet", "Honeynet_HoneypotSubnet"]);
    expect(all(stack, "google_compute_instance").map(([id]) => id.replace(/_[0-9A-F]{8}$/, "")).sort()).toEqual(PUBLIC_MEMBERS.map((hp) => `Honeynet_Honeypot-${hp}-Vm`).sort());
  });

  it("one secret for the sensors' credential, automatically replicated, labelled, after the Secret Manager API, with no version", () => {
    const secrets = all(stack, "google_secret_manager_secret");
    expect(secrets).toHaveLength(1);
    const [[, secret]] = secrets;
    expect(secret).toMatchObject({ secret_id: hiveSecretName("lure", "sensor"), project: "lure-test", replication: { auto: {} }, labels: { "lure-component": "logs" } });
    expect(secret.secret_id).toBe("lure-hive-sensor");
    expect(all(stack, "google_secret_manager_secret_version")).toHaveLength(0);
    const apis = all(stack, "google_project_service");
    expect(apis).toHaveLength(1);
    const [[apiName, api]] = apis;
    expect(api).toEqual({ project: "lure-test", service: "secretmanager.googleapis.com", disable_on_destroy: false });
    expect(secret.depends_on).toEqual([`google_project_service.${apiName}`]);
  });

  it("one service account, whose only grant is secretAccessor on that secret; nothing at project level", () => {
    const accounts = all(stack, "google_service_account");
    expect(accounts).toHaveLength(1);
    const [[accountName, account]] = accounts;
    expect(account.account_id).toBe("lure-hive-sensor");
    const [[secretName]] = all(stack, "google_secret_manager_secret");
    const members = all(stack, "google_secret_manager_secret_iam_member");
    expect(members).toHaveLength(1);
    expect(members[0][1]).toEqual({
      project: "lure-test",
      secret_id: `\${google_secret_manager_secret.${secretName}.id}`,
      role: "roles/secretmanager.secretAccessor",
      member: `serviceAccount:\${google_service_account.${accountName}.email}`,
    });
    for (const type of Object.keys(stack.resource).filter((t) => /_iam_(member|binding|policy)$/.test(t))) {
      expect({ type, count: all(stack, type).length }).toEqual({ type, count: type === "google_secret_manager_secret_iam_member" ? 1 : 0 });
    }
    expect(honeynet.sensorAccount).toBeDefined();
    expect(honeynet.hiveSecret).toBeDefined();
  });

  it("every honeypot VM runs as exactly that account with the cloud-platform scope", () => {
    const [[accountName]] = all(stack, "google_service_account");
    for (const [, vm] of labelled(stack, "google_compute_instance", "honeypot")) {
      expect(vm.service_account).toEqual({ email: `\${google_service_account.${accountName}.email}`, scopes: [CLOUD_PLATFORM_SCOPE] });
    }
    expect(CLOUD_PLATFORM_SCOPE).toBe("https://www.googleapis.com/auth/cloud-platform");
  });

  it.each(PUBLIC_MEMBERS)("%s: Filebeat ships to the hive over TLS with the sensor's certificate, every input named lure-gcp", (hp) => {
    const [[, vm]] = labelled(stack, "google_compute_instance", "honeypot").filter(([, b]) => b.labels["lure-honeypot"] === hp.toLowerCase());
    const conf = file(userData(vm), "/etc/lure/filebeat.yml");
    expectHiveShipping(conf, "hive.example.net:64294", "lure-gcp");
    expect(conf).not.toContain(":5044");
  });

  it("the credential script reads this project's secret with the VM's account, and the stack's unit blocks the metadata address for containers", () => {
    for (const [, vm] of labelled(stack, "google_compute_instance", "honeypot")) {
      const doc = userData(vm);
      const script = file(doc, HIVE_CREDENTIAL_SCRIPT);
      expect(script).toContain('"https://secretmanager.googleapis.com/v1/projects/" + "lure-test" + "/secrets/" + "lure-hive-sensor" + "/versions/latest:access"');
      expect(script).toContain("computeMetadata/v1/instance/service-accounts/default/token");
      expect(file(doc, `/etc/systemd/system/${METADATA_UNIT}`)).toBe(metadataUnit());
    }
  });

  it("outputs the secret and the command that stores the credential, and no dashboard", () => {
    // Named as in Terraform (`terraform output hive_secret`), not cdktf's path-and-hash ids.
    const outputs = Object.entries(stack.output as Record<string, Json>);
    expect(outputs.map(([id]) => id).sort()).toEqual(["hive_credential_command", "hive_secret", "honeypot_instances", "list_public_ips"]);
    const value = (id: string) => outputs.find(([k]) => k === id)![1].value;
    expect(value("hive_secret")).toBe("lure-hive-sensor");
    expect(value("hive_credential_command")).toBe("gcloud secrets versions add lure-hive-sensor --project lure-test --data-file=hive-credentials/sensor.json");
  });

  it("warns about neither a missing domain nor IPv6 allow-list entries: there is no dashboard", () => {
    expect(warnings.filter((w) => w.startsWith("dashboard"))).toEqual([]);
    const withV6 = build({ hive: HIVE, honeypots: ["cowrie"], dashboard: { allowCidrs: ["2001:db8::/32"] } });
    expect(withV6.warnings.filter((w) => w.startsWith("dashboard"))).toEqual([]);
  });

  it("passes every policy rule", () => {
    expect(checkStack(stack)).toEqual([]);
  });

  it("the rules read the sensor's grant: any other role for its account is flagged, with the cloud-platform scope of every VM", () => {
    const broken = JSON.parse(JSON.stringify(stack)) as Json;
    const [[grant, member]] = all(broken, "google_secret_manager_secret_iam_member");
    member.role = "roles/secretmanager.admin";
    const vms = labelled(broken, "google_compute_instance", "honeypot").map(([name]) => `google_compute_instance.${name}`);
    const got = checkStack(broken).map((v) => [v.ruleId, v.resource]);
    // One finding of the grant per VM that runs as the account, and one of each VM's scope.
    expect(got.sort()).toEqual([...vms.map(() => ["honeypot-role-minimal", `google_secret_manager_secret_iam_member.${grant}`]), ...vms.map((vm) => ["honeypot-role-minimal", vm])].sort());
  });
});

describe("GcpHoneynet as a hive's sensor: props", () => {
  it("skips every dashboard check (there is no dashboard here), but not the others", () => {
    const noPlaintext = { ...BASE, dashboard: { allowCidrs: ["2001:db8::/32"] }, hive: HIVE };
    expect(gcpHoneynetPropsProblems(noPlaintext)).toEqual([]);
    expect(gcpHoneynetPropsProblems({ ...BASE, dashboard: { allowCidrs: ["2001:db8::/32"] } }).map((p) => p.path).sort()).toEqual(["dashboard.allowCidrs", "dashboard.allowPlaintext"]);
    expect(gcpHoneynetPropsProblems({ ...noPlaintext, honeypots: [] }).map((p) => p.path)).toEqual(["honeypots"]);
  });

  it("refuses this cloud as its own hive, and a prefix too long for the secret's and the account's names", () => {
    expect(gcpHoneynetPropsProblems({ ...BASE, hive: { cloud: "gcp", address: "hive.example.net" } }).map((p) => p.path)).toEqual(["hive.cloud"]);
    const long = gcpHoneynetPropsProblems({ ...BASE, prefix: "abcdefghijklm", hive: HIVE });
    expect(long.map((p) => p.path)).toEqual(["prefix"]);
    expect(long[0].message).toContain("at most 12 characters");
    expect(hiveSensorAccountId("abcdefghijkl")).toBe("abcdefghijkl-hive-sensor");
    expect(hiveSensorAccountId("abcdefghijkl").length).toBeLessThanOrEqual(30);
    expect(() => build({ prefix: "abcdefghijklm", hive: HIVE, honeypots: ["cowrie"] })).toThrow(/prefix: "abcdefghijklm" is too long for a hive's sensor/);
  });

  it("a hive address from another stack (a token) goes into user-data as a Terraform reference", () => {
    const scope = new GcpStack(Testing.app(), "gcp-honeynet", { prefix: "lure", region: "europe-west2", project: "lure-test" });
    const address = new TerraformVariable(scope, "hive_address", { type: "string" });
    new GcpHoneynet(scope, "Honeynet", { ...BASE, honeypots: ["cowrie"], hive: { cloud: "aws", address: address.stringValue } });
    const stack = JSON.parse(Testing.synth(scope)) as Json;
    const [[, vm]] = all(stack, "google_compute_instance");
    expect(file(userData(vm), "/etc/lure/filebeat.yml")).toContain("${var.hive_address}:64294");
  });
});

describe("GcpHoneynetStack as a hive's sensor", () => {
  const config = configWith((raw) => (raw.honeynet.analytics = { hive: "aws" }));
  const out = JSON.parse(Testing.synth(new GcpHoneynetStack(Testing.app(), "gcp-honeynet", config, config.clouds.gcp!, { cloud: "aws", address: "hive.example.net" }))) as Json;
  const next = String((Object.values(out.output) as Json[]).find((o) => o.description === "What to do after deploy")!.value);

  it("builds the sensor: no Elastic VM, no Kibana, the secret", () => {
    expect(labelled(out, "google_compute_instance", "elastic")).toHaveLength(0);
    expect(all(out, "google_cloud_run_v2_service")).toHaveLength(0);
    // The honeynet's own secret (the watcher's Shodan key is its own, labelled watcher).
    expect(labelled(out, "google_secret_manager_secret", "logs")).toHaveLength(1);
    expect(checkStack(out)).toEqual([]);
  });

  it("tells what to do next: events in the hive's Kibana, the credential command; nothing of a dashboard, Elastic, a domain or IAP", () => {
    expect(next).toContain("list_public_ips");
    expect(next).toContain("hive's Kibana");
    expect(next).toContain("hive_credential_command");
    expect(next).toContain("lure-gcp");
    for (const word of ["dashboard_url", "dashboard_address", "plain HTTP", "Elastic VM", "Elasticsearch", "domain", "start-iap-tunnel", "A record"]) expect({ word, found: next.includes(word) }).toEqual({ word, found: false });
  });

  it("with admin SSH open, names the honeypot VMs only", () => {
    const c = configWith((raw) => ((raw.honeynet.analytics = { hive: "aws" }), (raw.honeynet.adminCidrs = ["192.0.2.0/24"]), (raw.honeynet.adminSshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH6JZ/k7h08FP4F829aNdhrQcw0cZ95DZKa+qFq3uD6o ed@test")));
    const s = JSON.parse(Testing.synth(new GcpHoneynetStack(Testing.app(), "gcp-honeynet", c, c.clouds.gcp!, { cloud: "aws", address: "hive.example.net" }))) as Json;
    const text = String((Object.values(s.output) as Json[]).find((o) => o.description === "What to do after deploy")!.value);
    expect(text).toContain("ssh -p 64295 lure@<VM external IP> from 192.0.2.0/24");
    expect(text).not.toContain("iap");
  });

  it("ignores the hive when the config does not make Google Cloud a sensor", () => {
    const own = configWith();
    const s = JSON.parse(Testing.synth(new GcpHoneynetStack(Testing.app(), "gcp-honeynet", own, own.clouds.gcp!, { cloud: "aws", address: "hive.example.net" }))) as Json;
    expect(labelled(s, "google_compute_instance", "elastic")).toHaveLength(1);
    expect(labelled(s, "google_secret_manager_secret", "logs")).toHaveLength(0);
  });
});

describe("GcpHoneynet without a hive (regression guard)", () => {
  const { stack, honeynet, warnings } = build({ dashboard: { allowCidrs: ["198.51.100.0/24", "2001:db8::/32"], allowPlaintext: true } });

  it("still warns about the missing domain and the IPv6 entries it leaves out", () => {
    expect(warnings.filter((w) => w.startsWith("dashboard"))).toEqual([
      expect.stringContaining("2001:db8::/32 left out of the Cloud Armor"),
      expect.stringContaining("dashboard: no domain"),
    ]);
  });

  it("still has its Elastic VM, Cloud Run Kibana, load balancer and dashboard output", () => {
    expect(labelled(stack, "google_compute_instance", "elastic")).toHaveLength(1);
    expect(all(stack, "google_cloud_run_v2_service")).toHaveLength(1);
    expect(all(stack, "google_compute_global_forwarding_rule")).toHaveLength(1);
    expect(all(stack, "google_compute_security_policy")).toHaveLength(1);
    expect(Object.keys(stack.output)).toContain("dashboard_url");
    expect(honeynet.dashboardUrl).toMatch(/^http:\/\//);
    expect(honeynet.elasticAddress).toBe("10.42.16.2");
  });

  it("no service account on any honeypot VM, no secret, no Secret Manager API, only Kibana's account", () => {
    for (const [, vm] of labelled(stack, "google_compute_instance", "honeypot")) expect(vm.service_account).toBeUndefined();
    expect(all(stack, "google_secret_manager_secret")).toHaveLength(0);
    expect(all(stack, "google_secret_manager_secret_iam_member")).toHaveLength(0);
    expect(all(stack, "google_project_service")).toHaveLength(0);
    expect(all(stack, "google_service_account").map(([, a]) => a.account_id)).toEqual(["lure-kibana"]);
    expect(honeynet.hiveSecret).toBeUndefined();
    expect(honeynet.sensorAccount).toBeUndefined();
    expect(checkStack(stack)).toEqual([]);
  });
});
