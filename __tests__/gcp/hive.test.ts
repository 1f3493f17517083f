/**
 * GcpHoneynet as the hive (`hiveInput`, `honeynet.analytics.hive: "gcp"`): the Elastic VM also runs
 * the hive's Logstash on 64294, behind an external passthrough Network Load Balancer; it reads the
 * hive's credential from one Secret Manager secret as a service account that may read that secret
 * and nothing else. The honeypot VMs keep no service account.
 */
import { TerraformOutput, Testing } from "cdktf";
import { compose, cloudConfig, file, type CloudConfig } from "../core/host-helpers";
import { PROFILES } from "../../modules/core/catalog";
import type { LureConfig } from "../../modules/core/config";
import { HIVE_CREDENTIAL_SCRIPT, HIVE_CREDENTIAL_UNIT, HIVE_PORT, hiveCredentialScript, hiveCredentialUnit, hiveSecretName } from "../../modules/core/hive";
import { INTERNAL_MEMBERS, METADATA_UNIT, metadataUnit } from "../../modules/core/host";
import { checkStack } from "../../modules/core/policy";
import { CLOUD_PLATFORM_SCOPE, GcpHoneynet, gcpHoneynetPropsProblems, hiveServerAccountId, type GcpHoneynetProps } from "../../modules/gcp/honeynet";
import { NLB_HEALTH_CHECK_RANGES } from "../../modules/gcp/honeynet-hive";
import { GcpHoneynetStack } from "../../modules/gcp/stacks";
import { GcpStack } from "../../providers/gcp";
import { describeHiveInputProps, expectHiveLogstash, itIsAHiveStack, nextStepsOf } from "../helpers/hive-input-props";
import { configWith, type Json } from "../helpers/synth";

const BASE: GcpHoneynetProps = {
  prefix: "lure",
  region: "europe-west2",
  zone: "europe-west2-b",
  project: "lure-test",
  honeypots: [...PROFILES.industrial],
  dashboard: { allowCidrs: ["198.51.100.0/24"], allowPlaintext: true },
};
const SENSORS = ["192.0.2.0/24", "203.0.113.7/32", "2001:db8::/32"];
const PUBLIC_MEMBERS = PROFILES.industrial.filter((h) => !INTERNAL_MEMBERS.includes(h));

function build(props: Partial<GcpHoneynetProps> = {}): { stack: Json; honeynet: GcpHoneynet; warnings: string[] } {
  const scope = new GcpStack(Testing.app(), "gcp-honeynet", { prefix: "lure", region: "europe-west2", project: "lure-test" });
  const honeynet = new GcpHoneynet(scope, "Honeynet", { ...BASE, hiveInput: { allowCidrs: SENSORS }, ...props });
  const stack = JSON.parse(Testing.synth(scope)) as Json;
  const warnings = honeynet.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
  return { stack, honeynet, warnings };
}

const all = (stack: Json, type: string): [string, Json][] => Object.entries((stack.resource?.[type] ?? {}) as Record<string, Json>);
const only = (stack: Json, type: string): [string, Json] => {
  const found = all(stack, type);
  expect({ type, count: found.length }).toEqual({ type, count: 1 });
  return found[0];
};
const labelled = (stack: Json, type: string, component: string) => all(stack, type).filter(([, b]) => b.labels?.["lure-component"] === component);
const userData = (vm: Json): CloudConfig => cloudConfig(vm.metadata["user-data"]);
const allows = (rule: Json): string[] => (rule.allow as { protocol: string; ports?: string[] }[]).flatMap((a) => (a.ports ?? ["all"]).map((p) => `${p}/${a.protocol}`));

describe("GcpHoneynet as the hive, industrial profile", () => {
  let stack: Json;
  let honeynet: GcpHoneynet;
  let warnings: string[];
  let elasticName: string;
  let elastic: Json;
  beforeAll(() => {
    ({ stack, honeynet, warnings } = build());
    [[elasticName, elastic]] = labelled(stack, "google_compute_instance", "elastic");
  });

  it("a static regional external IPv4 address and a TCP health check on 64294", () => {
    const [, address] = only(stack, "google_compute_address");
    expect(address).toEqual({ name: "lure-hive", region: "europe-west2", address_type: "EXTERNAL", ip_version: "IPV4", labels: { "lure-component": "elastic" } });
    const [, check] = only(stack, "google_compute_region_health_check");
    expect(check).toEqual({ name: "lure-hive", region: "europe-west2", check_interval_sec: 30, timeout_sec: 5, healthy_threshold: 2, unhealthy_threshold: 2, tcp_health_check: { port: 64294 } });
  });

  it("an unmanaged instance group of the Elastic VM alone, by a membership recreated with the VM, the backend of an EXTERNAL TCP backend service", () => {
    const [groupName, group] = only(stack, "google_compute_instance_group");
    expect(group).toEqual({ name: "lure-hive", zone: "europe-west2-b", description: "lure: the Elastic VM, the hive's Logstash" });
    // Not both ways of naming members: the provider's docs warn against the group's instances beside memberships.
    expect(group.instances).toBeUndefined();
    const [, member] = only(stack, "google_compute_instance_group_membership");
    expect(member).toEqual({
      zone: "europe-west2-b",
      instance_group: `\${google_compute_instance_group.${groupName}.name}`,
      instance: `\${google_compute_instance.${elasticName}.self_link}`,
      lifecycle: { replace_triggered_by: [`google_compute_instance.${elasticName}.instance_id`] },
    });
    const [checkName] = only(stack, "google_compute_region_health_check");
    const [, backend] = only(stack, "google_compute_region_backend_service");
    expect(backend).toEqual({
      name: "lure-hive",
      region: "europe-west2",
      load_balancing_scheme: "EXTERNAL",
      protocol: "TCP",
      health_checks: [`\${google_compute_region_health_check.${checkName}.id}`],
      backend: [{ group: `\${google_compute_instance_group.${groupName}.self_link}`, balancing_mode: "CONNECTION" }],
    });
    // Nothing a passthrough backend service refuses or ignores (named port, capacity, connection limits).
    for (const key of ["port_name", "capacity_scaler", "max_connections", "max_utilization"]) expect({ key, set: key in backend || key in backend.backend[0] }).toEqual({ key, set: false });
  });

  it("one EXTERNAL TCP forwarding rule, port 64294 only, on the static address, to that backend service", () => {
    const [addressName] = only(stack, "google_compute_address");
    const [backendName] = only(stack, "google_compute_region_backend_service");
    const [, rule] = only(stack, "google_compute_forwarding_rule");
    expect(rule).toEqual({
      name: "lure-hive",
      region: "europe-west2",
      load_balancing_scheme: "EXTERNAL",
      ip_protocol: "TCP",
      ip_address: `\${google_compute_address.${addressName}.address}`,
      ports: ["64294"],
      backend_service: `\${google_compute_region_backend_service.${backendName}.id}`,
      labels: { "lure-component": "elastic" },
    });
    expect(rule.all_ports).toBeUndefined();
    expect(rule.port_range).toBeUndefined();
    // The dashboard's load balancer is unchanged: one global rule, on 80.
    expect(all(stack, "google_compute_global_forwarding_rule").map(([, r]) => r.port_range)).toEqual(["80"]);
  });

  it("two firewall rules at the Elastic VM's tag on tcp 64294: the sensors' IPv4 CIDRs and Google's health checks", () => {
    const rules = all(stack, "google_compute_firewall").map(([, f]) => f);
    const hiveRules = rules.filter((r) => allows(r).includes("64294/tcp"));
    const base = { network: expect.stringMatching(/^\$\{google_compute_network\..+\.id\}$/), direction: "INGRESS", priority: 1000, target_tags: ["lure-elastic"], allow: [{ protocol: "tcp", ports: ["64294"] }], log_config: { metadata: "INCLUDE_ALL_METADATA" } };
    expect(hiveRules).toEqual([
      { ...base, name: "lure-hive-from-sensors", source_ranges: ["192.0.2.0/24", "203.0.113.7/32"] },
      { ...base, name: "lure-hive-health-check", source_ranges: ["35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"] },
    ]);
    expect(NLB_HEALTH_CHECK_RANGES).toEqual(["35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"]);
    // No other new ingress: the Elastic VM's rules are the honeynet's two and the hive's two.
    expect(rules.filter((r) => r.target_tags.includes("lure-elastic")).map((r) => [r.name, allows(r)]).sort()).toEqual([
      ["lure-elasticsearch-from-dashboard", ["9200/tcp"]],
      ["lure-hive-from-sensors", ["64294/tcp"]],
      ["lure-hive-health-check", ["64294/tcp"]],
      ["lure-logstash-from-honeypots", ["5044/tcp"]],
    ]);
    expect(rules).toHaveLength(PUBLIC_MEMBERS.length + 4);
  });

  it("warns that the IPv6 sensor CIDRs are left out", () => {
    expect(warnings.filter((w) => w.startsWith("hiveInput"))).toEqual(["hiveInput.allowCidrs (honeynet.analytics.hiveAllowCidrs): 2001:db8::/32 left out: the hive's load balancer address is IPv4 only"]);
    expect(build({ hiveInput: { allowCidrs: ["192.0.2.0/24"] }, honeypots: ["cowrie"] }).warnings.filter((w) => w.startsWith("hiveInput"))).toEqual([]);
  });

  it("one secret for the hive's credential, automatically replicated, after the Secret Manager API, with no version and no PEM anywhere", () => {
    const [secretName, secret] = only(stack, "google_secret_manager_secret");
    expect(secret).toEqual({
      project: "lure-test",
      secret_id: "lure-hive-server",
      replication: { auto: {} },
      labels: { "lure-component": "elastic" },
      depends_on: [`google_project_service.${only(stack, "google_project_service")[0]}`],
    });
    expect(secret.secret_id).toBe(hiveSecretName("lure", "server"));
    expect(only(stack, "google_project_service")[1]).toEqual({ project: "lure-test", service: "secretmanager.googleapis.com", disable_on_destroy: false });
    expect(all(stack, "google_secret_manager_secret_version")).toEqual([]);
    expect(JSON.stringify(stack)).not.toMatch(/-----BEGIN [A-Z ]*-----/);
    expect(honeynet.hiveSecret).toBeDefined();
    expect(secretName).toMatch(/^Honeynet_HiveServerSecret_/);
  });

  it("the Elastic VM's own service account, whose only grant is secretAccessor on that secret; nothing at project level", () => {
    const accounts = all(stack, "google_service_account");
    expect(accounts.map(([, a]) => a.account_id).sort()).toEqual(["lure-hive-server", "lure-kibana"]);
    const [accountName, account] = accounts.find(([, a]) => a.account_id === "lure-hive-server")!;
    expect(account).toEqual({ project: "lure-test", account_id: "lure-hive-server", display_name: "lure Elastic VM (reads the hive credential only)" });
    expect(hiveServerAccountId("lure")).toBe("lure-hive-server");
    const [secretName] = only(stack, "google_secret_manager_secret");
    const [grantName, grant] = only(stack, "google_secret_manager_secret_iam_member");
    expect(grant).toEqual({
      project: "lure-test",
      secret_id: `\${google_secret_manager_secret.${secretName}.id}`,
      role: "roles/secretmanager.secretAccessor",
      member: `serviceAccount:\${google_service_account.${accountName}.email}`,
    });
    expect(grantName).toMatch(/^Honeynet_HiveServerSecretAccess_/);
    for (const type of Object.keys(stack.resource).filter((t) => /_iam_(member|binding|policy)$/.test(t))) {
      expect({ type, count: all(stack, type).length }).toEqual({ type, count: type === "google_secret_manager_secret_iam_member" ? 1 : 0 });
    }
    expect(honeynet.hiveServerAccount).toBeDefined();
    expect(honeynet.sensorAccount).toBeUndefined();
  });

  it("the Elastic VM runs as that account with the cloud-platform scope, one size up, and keeps no external IP; the honeypot VMs have no account", () => {
    const [accountName] = all(stack, "google_service_account").find(([, a]) => a.account_id === "lure-hive-server")!;
    expect(elastic.service_account).toEqual({ email: `\${google_service_account.${accountName}.email}`, scopes: [CLOUD_PLATFORM_SCOPE] });
    expect(elastic.machine_type).toBe("e2-standard-4");
    expect(elastic.network_interface).toHaveLength(1);
    expect(elastic.network_interface[0]).not.toHaveProperty("access_config");
    expect(elastic.network_interface[0]).not.toHaveProperty("ipv6_access_config");
    const honeypots = labelled(stack, "google_compute_instance", "honeypot");
    expect(honeypots).toHaveLength(PUBLIC_MEMBERS.length);
    for (const [, vm] of honeypots) expect(vm.service_account).toBeUndefined();
  });

  it("machine type: small is e2-standard-2; an explicit elasticMachineType still wins", () => {
    const vmOf = (props: Partial<GcpHoneynetProps>) => labelled(build({ honeypots: ["cowrie"], ...props }).stack, "google_compute_instance", "elastic")[0][1];
    expect(vmOf({ elasticSize: "small" }).machine_type).toBe("e2-standard-2");
    expect(vmOf({ elasticSize: "standard" }).machine_type).toBe("e2-standard-4");
    expect(vmOf({ elasticSize: "small", elasticMachineType: "e2-highmem-2" }).machine_type).toBe("e2-highmem-2");
  });

  it("the Elastic VM's cloud-init runs logstash-hive: T-Pot's Logstash of the catalog's release on 64294, the credential mounted read-only", () => {
    expectHiveLogstash(userData(elastic), "lure-gcp");
  });

  it("the credential script reads lure-hive-server of this project with the VM's account; the unit retries; containers are kept off the metadata server", () => {
    const doc = userData(elastic);
    const script = file(doc, HIVE_CREDENTIAL_SCRIPT);
    expect(script).toBe(hiveCredentialScript({ cloud: "gcp", project: "lure-test", secretName: "lure-hive-server" }, { gid: 2000 }, "server"));
    expect(script).toContain('"https://secretmanager.googleapis.com/v1/projects/" + "lure-test" + "/secrets/" + "lure-hive-server" + "/versions/latest:access"');
    expect(script).toContain("computeMetadata/v1/instance/service-accounts/default/token");
    expect(file(doc, `/etc/systemd/system/${HIVE_CREDENTIAL_UNIT}`)).toBe(hiveCredentialUnit("server"));
    expect(file(doc, `/etc/systemd/system/${METADATA_UNIT}`)).toBe(metadataUnit());
  });

  it("hiveTarget is the load balancer's address on 64294", () => {
    const t = honeynet.hiveTarget!;
    expect({ cloud: t.cloud, port: t.port }).toEqual({ cloud: "gcp", port: HIVE_PORT });
    // A token (the sensors' stacks read it from this one's state): what it resolves to.
    const scope = new GcpStack(Testing.app(), "gcp-honeynet", { prefix: "lure", region: "europe-west2", project: "lure-test" });
    const probe = new GcpHoneynet(scope, "Honeynet", { ...BASE, honeypots: ["cowrie"], hiveInput: { allowCidrs: SENSORS } });
    new TerraformOutput(scope, "probe", { value: probe.hiveTarget!.address });
    const json = JSON.parse(Testing.synth(scope)) as Json;
    const [addressName] = only(json, "google_compute_address");
    expect(json.output.probe.value).toBe(`\${google_compute_address.${addressName}.address}`);
  });

  it("outputs the endpoint, the secret and the command that stores the hive's credential, besides the dashboard's", () => {
    const [addressName] = only(stack, "google_compute_address");
    const outputs = stack.output as Record<string, Json>;
    expect(Object.keys(outputs).sort()).toEqual(["dashboard_address", "dashboard_url", "hive_credential_command", "hive_endpoint", "hive_secret", "honeypot_instances", "list_public_ips"]);
    expect(outputs.hive_endpoint.value).toBe(`\${google_compute_address.${addressName}.address}:64294`);
    expect(outputs.hive_secret.value).toBe("lure-hive-server");
    expect(outputs.hive_credential_command.value).toBe("gcloud secrets versions add lure-hive-server --project lure-test --data-file=hive-credentials/server.json");
  });

  it("passes every policy rule", () => {
    expect(checkStack(stack)).toEqual([]);
  });

  it("the rules still watch it: a public IP on the Elastic VM or a world-open Logstash is flagged", () => {
    const broken = JSON.parse(JSON.stringify(stack)) as Json;
    broken.resource.google_compute_instance[elasticName].network_interface[0].access_config = [{}];
    expect(checkStack(broken).map((v) => v.ruleId)).toEqual(["elastic-no-public-ip"]);
    const open = JSON.parse(JSON.stringify(stack)) as Json;
    const rule = Object.values(open.resource.google_compute_firewall as Record<string, Json>).find((r) => r.name === "lure-hive-from-sensors")!;
    rule.allow = [{ protocol: "tcp", ports: ["64294", "5044"] }];
    rule.source_ranges = ["0.0.0.0/0"];
    expect(checkStack(open).map((v) => v.ruleId)).toEqual(["elastic-not-public"]);
  });
});

describe("GcpHoneynet as the hive: what it does not make", () => {
  it("without hiveInput: no hive load balancer, secret, account or rule; the Elastic VM has no account and its usual size", () => {
    const scope = new GcpStack(Testing.app(), "gcp-honeynet", { prefix: "lure", region: "europe-west2", project: "lure-test" });
    const honeynet = new GcpHoneynet(scope, "Honeynet", { ...BASE, honeypots: ["cowrie"] });
    const stack = JSON.parse(Testing.synth(scope)) as Json;
    for (const type of ["google_compute_address", "google_compute_region_health_check", "google_compute_instance_group", "google_compute_instance_group_membership", "google_compute_region_backend_service", "google_compute_forwarding_rule", "google_secret_manager_secret", "google_project_service"]) {
      expect({ type, count: all(stack, type).length }).toEqual({ type, count: 0 });
    }
    const [[, vm]] = labelled(stack, "google_compute_instance", "elastic");
    expect(vm.service_account).toBeUndefined();
    expect(vm.machine_type).toBe("e2-standard-2");
    expect(Object.keys(compose(userData(vm)).services)).toEqual(["elasticsearch", "logstash"]);
    expect(Object.keys(stack.output)).not.toContain("hive_endpoint");
    expect(honeynet.hiveTarget).toBeUndefined();
    expect(honeynet.hiveServerAccount).toBeUndefined();
  });
});

describeHiveInputProps("GcpHoneynet as the hive: props", gcpHoneynetPropsProblems, BASE, (props) => build(props));

it("the hive's service account id fits in 30 characters with the longest prefix", () => {
  expect(hiveServerAccountId("abcdefghijkl").length).toBeLessThanOrEqual(30);
});

/** The default config with Google Cloud as the hive, validated. */
function gcpHiveConfig(): LureConfig {
  return configWith((raw) => (raw.honeynet.analytics = { hive: "gcp", hiveAllowCidrs: ["192.0.2.0/24"] }));
}

describe("GcpHoneynetStack as the hive", () => {
  const config = gcpHiveConfig();
  const stack = new GcpHoneynetStack(Testing.app(), "gcp-honeynet", config, config.clouds.gcp!);
  const out = JSON.parse(Testing.synth(stack)) as Json;

  it("builds the hive: its load balancer, the Elastic VM's account and its secret, Kibana", () => {
    expect(stack.honeynet.hiveTarget).toBeDefined();
    expect(all(out, "google_compute_forwarding_rule").map(([, r]) => r.ports)).toEqual([["64294"]]);
    expect(all(out, "google_cloud_run_v2_service").length).toBeGreaterThan(0);
    expect(labelled(out, "google_secret_manager_secret", "elastic").map(([, s]) => s.secret_id)).toEqual(["lure-hive-server"]);
    const rule = all(out, "google_compute_firewall").find(([, r]) => r.name === "lure-hive-from-sensors")![1];
    expect(rule.source_ranges).toEqual(["192.0.2.0/24"]);
    expect(Object.keys(out.output)).toEqual(expect.arrayContaining(["hive_endpoint", "hive_secret", "hive_credential_command"]));
  });

  itIsAHiveStack("gcp-honeynet", () => out);

  it("the next steps also give the dashboard's address", () => {
    expect(nextStepsOf(out)).toContain("dashboard_url");
  });

  it("says nothing of the hive on a Google Cloud with its own stack", () => {
    const own = configWith();
    const s = JSON.parse(Testing.synth(new GcpHoneynetStack(Testing.app(), "gcp-honeynet", own, own.clouds.gcp!))) as Json;
    const text = nextStepsOf(s);
    expect(text).not.toContain("hive");
    expect(all(s, "google_compute_forwarding_rule")).toEqual([]);
  });
});
