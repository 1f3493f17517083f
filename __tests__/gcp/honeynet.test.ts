/** GcpHoneynet on the synthesized JSON: VMs, firewall rules, the Elastic host, Kibana on Cloud Run, the load balancer and Cloud Armor, labels. */
import { parse } from "yaml";
import { catalogLogTypes, expectTpotElasticHost, parseCompose, shippedLogTypes } from "../core/host-helpers";
import { Testing } from "cdktf";
import { honeypot as catalogEntry, PROFILES, TPOT } from "../../modules/core/catalog";
import { hostPorts, INTERNAL_MEMBERS } from "../../modules/core/host";
import { checkStack } from "../../modules/core/policy";
import { GcpHoneynet, DEFAULT_RULE_PRIORITY, IAP_TCP_RANGE, RANGES_PER_RULE, UBUNTU_IMAGE, type GcpHoneynetProps } from "../../modules/gcp/honeynet";
import { GcpStack } from "../../providers/gcp";
import type { Json } from "../helpers/synth";

const ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH6JZ/k7h08FP4F829aNdhrQcw0cZ95DZKa+qFq3uD6o ed@test";
const BASE: GcpHoneynetProps = {
  prefix: "lure",
  region: "europe-west2",
  zone: "europe-west2-b",
  project: "lure-test",
  honeypots: [...PROFILES.industrial],
  dashboard: { allowCidrs: ["198.51.100.0/24"], allowPlaintext: true },
};

function synth(props: Partial<GcpHoneynetProps> = {}): Json {
  const stack = new GcpStack(Testing.app(), "gcp-honeynet", { prefix: "lure", region: "europe-west2", project: "lure-test" });
  new GcpHoneynet(stack, "Honeynet", { ...BASE, ...props });
  return JSON.parse(Testing.synth(stack)) as Json;
}

/** The industrial profile's stack, synthesized once for every describe that reads it. */
let industrialStack: Json | undefined;
const industrial = (): Json => (industrialStack ??= synth());

const all = (stack: Json, type: string): [string, Json][] => Object.entries((stack.resource?.[type] ?? {}) as Record<string, Json>);
const labelled = (stack: Json, type: string, component: string) => all(stack, type).filter(([, b]) => b.labels?.["lure-component"] === component);
const honeypotVm = (stack: Json, hp: string): Json => {
  const vms = labelled(stack, "google_compute_instance", "honeypot").filter(([, b]) => b.labels["lure-honeypot"] === hp.toLowerCase());
  expect(vms).toHaveLength(1);
  return vms[0][1];
};
const firewalls = (stack: Json) => all(stack, "google_compute_firewall").map(([, f]) => f);
/** The firewall rules whose target tags include `tag`. */
const rulesAt = (stack: Json, tag: string) => firewalls(stack).filter((f) => (f.target_tags as string[]).includes(tag));
const allowed = (rule: Json): string[] => (rule.allow as { protocol: string; ports: string[] }[]).flatMap((a) => a.ports.map((p) => `${p}/${a.protocol}`)).sort();
const userData = (vm: Json): Json => parse(vm.metadata["user-data"], { version: "1.1" });

describe("GcpHoneynet, industrial profile", () => {
  let stack: Json;
  const publicMembers = PROFILES.industrial.filter((h) => !INTERNAL_MEMBERS.includes(h));
  beforeAll(() => {
    stack = industrial();
  });

  it("makes one VM per honeypot and one for Elastic, nothing else", () => {
    expect(labelled(stack, "google_compute_instance", "honeypot")).toHaveLength(publicMembers.length);
    expect(all(stack, "google_compute_instance")).toHaveLength(publicMembers.length + 1);
  });

  it.each(publicMembers)("%s: one VM with one ephemeral external IP, no service account, OS Login on, serial port off, Spot", (hp) => {
    const vm = honeypotVm(stack, hp);
    expect(vm.network_interface).toHaveLength(1);
    // An empty access_config is an ephemeral external IP: no nat_ip, no reserved address.
    expect(vm.network_interface[0].access_config).toEqual([{}]);
    expect(vm.service_account).toBeUndefined();
    expect(vm.metadata).toMatchObject({ "enable-oslogin": "TRUE", "block-project-ssh-keys": "TRUE", "serial-port-enable": "FALSE" });
    expect(vm.boot_disk.initialize_params.image).toBe(UBUNTU_IMAGE);
    expect(vm.zone).toBe("europe-west2-b");
    expect(vm.machine_type).toMatch(/^e2-(small|medium)$/);
    expect(vm.scheduling).toMatchObject({ provisioning_model: "SPOT", preemptible: true, automatic_restart: false, instance_termination_action: "STOP" });
    expect(vm.shielded_instance_config).toEqual({ enable_secure_boot: true, enable_vtpm: true, enable_integrity_monitoring: true });
  });

  it.each(publicMembers)("%s: one firewall rule from anywhere, exactly its catalog ports and protocols, aimed at its tag only", (hp) => {
    const vm = honeypotVm(stack, hp);
    expect(vm.tags).toHaveLength(1);
    const rules = rulesAt(stack, vm.tags[0]);
    expect(rules).toHaveLength(1);
    const [rule] = rules;
    expect(rule).toMatchObject({ direction: "INGRESS", source_ranges: ["0.0.0.0/0"], target_tags: [vm.tags[0]], log_config: { metadata: "INCLUDE_ALL_METADATA" } });
    expect(rule.deny).toBeUndefined();
    expect(allowed(rule)).toEqual(hostPorts(catalogEntry(hp)).map((p) => `${p.host}/${p.protocol}`).sort());
    for (const a of rule.allow) expect(["tcp", "udp"]).toContain(a.protocol);
    // No other VM carries this tag.
    expect(all(stack, "google_compute_instance").filter(([, b]) => b.tags.includes(vm.tags[0]))).toHaveLength(1);
  });

  it("names protocols exactly: conpot_IEC104 has 2404/tcp and 161/udp, conpot_ipmi only udp", () => {
    expect(allowed(rulesAt(stack, honeypotVm(stack, "conpot_IEC104").tags[0])[0])).toEqual(["161/udp", "2404/tcp"]);
    expect(rulesAt(stack, honeypotVm(stack, "conpot_ipmi").tags[0])[0].allow).toEqual([{ protocol: "udp", ports: ["623"] }]);
  });

  it("the honeypot VM runs its T-Pot container and ships its logs to Logstash at the Elastic VM's address", () => {
    const doc = userData(honeypotVm(stack, "cowrie"));
    const files = (doc.write_files as { path: string; content: string }[]).map((f) => f.path);
    expect(files.some((p) => p.endsWith("compose.yaml") || p.endsWith("docker-compose.yml"))).toBe(true);
    expect(JSON.stringify(doc)).toContain("10.42.16.2:5044");
  });

  it("the Elastic VM has no external IP, a data disk and only the firewall rules it needs", () => {
    const [[, vm]] = labelled(stack, "google_compute_instance", "elastic");
    expect(vm.network_interface).toEqual([{ subnetwork: expect.stringContaining("google_compute_subnetwork.Honeynet_ElasticSubnet"), network_ip: "10.42.16.2" }]);
    expect(vm.network_interface[0].access_config).toBeUndefined();
    expect(vm.attached_disk).toEqual([{ source: expect.stringContaining("google_compute_disk."), device_name: "es-data" }]);
    expect(vm.scheduling).toMatchObject({ provisioning_model: "STANDARD" });
    const rules = rulesAt(stack, vm.tags[0]);
    // Admin SSH is closed without a key: Logstash from the honeypot subnet, Elasticsearch from Kibana's egress subnet.
    expect(rules.map((r) => ({ from: r.source_ranges, ports: allowed(r) })).sort((a, b) => a.ports[0].localeCompare(b.ports[0]))).toEqual([
      { from: ["10.42.0.0/20"], ports: ["5044/tcp"] },
      { from: ["10.42.32.0/20"], ports: ["9200/tcp"] },
    ]);
  });

  it("no rule opens Kibana, Elasticsearch or Logstash to the internet, and no rule but the honeypots' is world-open", () => {
    for (const f of firewalls(stack).filter((r) => (r.source_ranges as string[]).includes("0.0.0.0/0"))) {
      expect(f.target_tags).toHaveLength(1);
      expect(f.target_tags[0]).toMatch(/^lure-hp-/);
      for (const port of ["5601", "9200", "5044"]) expect(allowed(f)).not.toContain(`${port}/tcp`);
    }
  });

  it("Cloud NAT serves the Elastic subnet only", () => {
    const [[, nat]] = all(stack, "google_compute_router_nat");
    expect(nat.source_subnetwork_ip_ranges_to_nat).toBe("LIST_OF_SUBNETWORKS");
    expect(nat.subnetwork).toEqual([{ name: expect.stringContaining("Honeynet_ElasticSubnet"), source_ip_ranges_to_nat: ["ALL_IP_RANGES"] }]);
  });

  it("Kibana on Cloud Run: reachable from the load balancer only, one warm instance, Direct VPC egress from the dashboard subnet, its own role-less identity", () => {
    const [[, run]] = all(stack, "google_cloud_run_v2_service");
    expect(run.ingress).toBe("INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER");
    expect(run.template.scaling).toEqual({ min_instance_count: 1, max_instance_count: 1 });
    expect(run.template.vpc_access).toEqual({ network_interfaces: [{ network: expect.any(String), subnetwork: expect.stringContaining("Honeynet_DashboardSubnet") }], egress: "PRIVATE_RANGES_ONLY" });
    expect(run.template.service_account).toMatch(/google_service_account\.[^.]+\.email/);
    const env = Object.fromEntries((run.template.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    expect(JSON.parse(env.ELASTICSEARCH_HOSTS)).toEqual(["http://10.42.16.2:9200"]);
    expect(all(stack, "google_project_iam_member")).toEqual([]);
    expect(all(stack, "google_project_iam_binding")).toEqual([]);
  });

  it("the load balancer: serverless NEG → backend with the Cloud Armor policy → URL map → HTTP proxy on port 80", () => {
    const [[negName, neg]] = all(stack, "google_compute_region_network_endpoint_group");
    expect(neg).toMatchObject({ network_endpoint_type: "SERVERLESS", region: "europe-west2" });
    const [[policyName]] = all(stack, "google_compute_security_policy");
    const [[backendName, backend]] = all(stack, "google_compute_backend_service");
    expect(backend).toMatchObject({ load_balancing_scheme: "EXTERNAL_MANAGED", security_policy: `\${google_compute_security_policy.${policyName}.id}`, backend: [{ group: `\${google_compute_region_network_endpoint_group.${negName}.id}` }] });
    const [[mapName, map]] = all(stack, "google_compute_url_map");
    expect(map.default_service).toBe(`\${google_compute_backend_service.${backendName}.id}`);
    const [[proxyName, proxy]] = all(stack, "google_compute_target_http_proxy");
    expect(proxy.url_map).toBe(`\${google_compute_url_map.${mapName}.id}`);
    expect(all(stack, "google_compute_target_https_proxy")).toEqual([]);
    const [[, rule]] = all(stack, "google_compute_global_forwarding_rule");
    expect(rule).toMatchObject({ port_range: "80", target: `\${google_compute_target_http_proxy.${proxyName}.id}`, load_balancing_scheme: "EXTERNAL_MANAGED" });
    expect(rule.labels).toMatchObject({ "lure-plaintext": "true" });
    expect(rule.labels["lure-world-open"]).toBeUndefined();
  });

  it("Cloud Armor: the allow-list, then deny for everyone else", () => {
    const [[, policy]] = all(stack, "google_compute_security_policy");
    expect(policy.rule).toEqual([
      expect.objectContaining({ priority: 1000, action: "allow", match: { versioned_expr: "SRC_IPS_V1", config: { src_ip_ranges: ["198.51.100.0/24"] } } }),
      expect.objectContaining({ priority: DEFAULT_RULE_PRIORITY, action: "deny(403)", match: { versioned_expr: "SRC_IPS_V1", config: { src_ip_ranges: ["*"] } } }),
    ]);
  });

  it("labels every labelable resource with its component; the provider labels everything with the stack's labels", () => {
    const LABELABLE = ["google_compute_instance", "google_compute_disk", "google_compute_global_address", "google_compute_global_forwarding_rule", "google_cloud_run_v2_service"];
    for (const type of Object.keys(stack.resource)) {
      for (const [name, body] of all(stack, type)) {
        if (LABELABLE.includes(type)) expect({ address: `${type}.${name}`, component: body.labels?.["lure-component"] }).toEqual({ address: `${type}.${name}`, component: expect.stringMatching(/^(honeypot|elastic|dashboard)$/) });
        else expect({ address: `${type}.${name}`, labels: body.labels }).toEqual({ address: `${type}.${name}`, labels: undefined });
      }
    }
    for (const [, vm] of all(stack, "google_compute_instance")) expect(vm.boot_disk.initialize_params.labels).toEqual(vm.labels);
    expect(stack.provider.google[0].default_labels).toEqual({ "lure-prefix": "lure", "lure-stack": "gcp-honeynet", "managed-by": "lure" });
  });

  it("outputs the dashboard URL, the honeypot → VM map and the gcloud command that lists the external IPs", () => {
    const outputs = Object.values(stack.output) as { value: unknown; description: string }[];
    expect(outputs.find((o) => o.description.startsWith("Kibana"))!.value).toMatch(/^http:\/\/\$\{google_compute_global_address\.[^.]+\.address\}$/);
    const map = outputs.find((o) => o.description === "Honeypot → VM name")!.value as Record<string, string>;
    expect(Object.keys(map).sort()).toEqual([...publicMembers].sort());
    expect(map.cowrie).toBe("lure-hp-cowrie");
    const list = String(outputs.find((o) => String(o.description).startsWith("The honeypots' current external IPs"))!.value);
    expect(list).toBe('gcloud compute instances list --project lure-test --filter="labels.lure-component=honeypot AND labels.lure-prefix=lure" --format="table(labels.lure-honeypot, networkInterfaces[0].accessConfigs[0].natIP)"');
  });

  it("passes every policy rule", () => {
    expect(checkStack(stack)).toEqual([]);
  });
});

describe("GcpHoneynet, other settings", () => {
  it("splits 25 allow-list CIDRs into Cloud Armor rules of at most 10 ranges, in order, before the default deny", () => {
    const cidrs = Array.from({ length: 25 }, (_, i) => `198.51.${i}.0/24`);
    const stack = synth({ dashboard: { allowCidrs: cidrs, allowPlaintext: true } });
    const [[, policy]] = all(stack, "google_compute_security_policy");
    const rules = policy.rule as Json[];
    expect(rules.map((r) => [r.priority, r.action, r.match.config.src_ip_ranges.length])).toEqual([
      [1000, "allow", 10],
      [1001, "allow", 10],
      [1002, "allow", 5],
      [DEFAULT_RULE_PRIORITY, "deny(403)", 1],
    ]);
    expect(rules.slice(0, 3).flatMap((r) => r.match.config.src_ip_ranges)).toEqual(cidrs);
    expect(RANGES_PER_RULE).toBe(10);
  });

  it("with a domain: a Google-managed certificate, an HTTPS proxy on 443, no plain-HTTP label, Kibana's public URL", () => {
    const stack = synth({ dashboard: { allowCidrs: ["198.51.100.0/24"], domain: "kibana.example.org" } });
    const [[certName, cert]] = all(stack, "google_compute_managed_ssl_certificate");
    expect(cert.managed).toEqual({ domains: ["kibana.example.org"] });
    const [[, proxy]] = all(stack, "google_compute_target_https_proxy");
    expect(proxy.ssl_certificates).toEqual([`\${google_compute_managed_ssl_certificate.${certName}.id}`]);
    expect(all(stack, "google_compute_target_http_proxy")).toEqual([]);
    const [[, rule]] = all(stack, "google_compute_global_forwarding_rule");
    expect(rule.port_range).toBe("443");
    expect(rule.labels["lure-plaintext"]).toBeUndefined();
    const [[, run]] = all(stack, "google_cloud_run_v2_service");
    expect(run.template.containers[0].env).toContainEqual({ name: "SERVER_PUBLICBASEURL", value: "https://kibana.example.org" });
    expect(checkStack(stack)).toEqual([]);
  });

  it("world-open only with the opt-in, which labels the forwarding rule and the service", () => {
    expect(() => synth({ dashboard: { allowCidrs: ["0.0.0.0/0"], allowPlaintext: true } })).toThrow(/dashboard\.allowCidrs\[0\]: "0\.0\.0\.0\/0" is world-open; set allowWorldOpen/);
    const stack = synth({ dashboard: { allowCidrs: ["0.0.0.0/0"], allowPlaintext: true, allowWorldOpen: true } });
    const [[, rule]] = all(stack, "google_compute_global_forwarding_rule");
    expect(rule.labels["lure-world-open"]).toBe("true");
    expect(all(stack, "google_cloud_run_v2_service")[0][1].labels["lure-world-open"]).toBe("true");
    expect(checkStack(stack)).toEqual([]);
  });

  it("refuses plain HTTP without the opt-in and an IPv6-only allow-list, all at once", () => {
    expect(() => synth({ dashboard: { allowCidrs: ["2001:db8::/48"] } })).toThrow(/dashboard\.allowCidrs: has no IPv4 CIDR[\s\S]*dashboard\.allowPlaintext: the Google Cloud dashboard is plain HTTP/);
  });

  it("names every resource and network tag as Compute Engine requires (RFC 1035, at most 63), for the standard profile and a long prefix", () => {
    const stack = synth({ prefix: "honey-net-99", honeypots: [...PROFILES.standard] });
    const RFC1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
    const names = Object.keys(stack.resource).flatMap((type) => all(stack, type).map(([, b]) => b.name ?? b.account_id).filter((n): n is string => typeof n === "string"));
    const tags = all(stack, "google_compute_instance").flatMap(([, b]) => b.tags as string[]);
    expect(names.length).toBeGreaterThan(40);
    for (const n of [...names, ...tags]) expect({ n, ok: RFC1035.test(n) }).toEqual({ n, ok: true });
    // Service account ids are 6-30 characters.
    for (const [, sa] of all(stack, "google_service_account")) expect(sa.account_id.length).toBeLessThanOrEqual(30);
    // A honeypot's VM and its firewall rule share one name; no two honeypots share one after lower-casing.
    expect(new Set(names.filter((n) => n.includes("-hp-"))).size).toBe(PROFILES.standard.filter((h) => !INTERNAL_MEMBERS.includes(h)).length);
  });

  it("on-demand capacity makes standard VMs that restart", () => {
    const vm = honeypotVm(synth({ capacity: "on-demand" }), "cowrie");
    expect(vm.scheduling).toEqual({ provisioning_model: "STANDARD", automatic_restart: true, on_host_maintenance: "MIGRATE" });
  });

  it("machine types come from the props, else from the catalog", () => {
    const stack = synth({ honeypots: ["cowrie", "medpot"], machineTypes: { cowrie: "e2-standard-2" } });
    expect(honeypotVm(stack, "cowrie").machine_type).toBe("e2-standard-2");
    expect(honeypotVm(stack, "medpot").machine_type).toBe("e2-small");
  });

  it("snare's VM also runs tanner and its peers; tanner gets no VM or firewall rule of its own", () => {
    const stack = synth({ honeypots: ["snare", "tanner", "tanner_api", "tanner_phpox", "tanner_redis"] });
    expect(labelled(stack, "google_compute_instance", "honeypot")).toHaveLength(1);
    const services = Object.keys(parse(JSON.stringify(userData(honeypotVm(stack, "snare")))) as Json);
    expect(services).toContain("write_files");
    const compose = (userData(honeypotVm(stack, "snare")).write_files as { path: string; content: string }[]).find((f) => /compose/.test(f.path))!;
    expect(Object.keys((parse(compose.content) as Json).services).sort()).toEqual(expect.arrayContaining(["snare", "tanner", "tanner_api", "tanner_phpox", "tanner_redis"]));
    expect(firewalls(stack).filter((f) => (f.source_ranges as string[]).includes("0.0.0.0/0"))).toHaveLength(1);
  });

  it("admin SSH with a key: port 64295 from adminCidrs (IPv4) to the honeypot tags, the Elastic VM through IAP only", () => {
    const stack = synth({ honeypots: ["cowrie", "medpot"], adminCidrs: ["192.0.2.0/24", "2001:db8::/48"], adminSshPublicKey: ADMIN_KEY });
    const admin = firewalls(stack).filter((f) => allowed(f).includes("64295/tcp"));
    expect(admin.map((f) => ({ from: f.source_ranges, to: [...f.target_tags].sort() })).sort((a, b) => a.from[0].localeCompare(b.from[0]))).toEqual([
      { from: ["192.0.2.0/24"], to: ["lure-hp-cowrie", "lure-hp-medpot"] },
      { from: [IAP_TCP_RANGE], to: ["lure-elastic"] },
    ]);
    // No key: the admin port is closed everywhere.
    expect(firewalls(synth({ honeypots: ["cowrie"], adminCidrs: ["192.0.2.0/24"] })).filter((f) => allowed(f).includes("64295/tcp"))).toEqual([]);
  });

  it("discovery reads the project; rotation swaps access configs of the named honeypots' VMs only, through three narrow custom roles", () => {
    const stack = new GcpStack(Testing.app(), "gcp-honeynet", { prefix: "lure", region: "europe-west2", project: "lure-test" });
    const hn = new GcpHoneynet(stack, "Honeynet", { ...BASE, honeypots: ["cowrie", "medpot"] });
    expect(hn.discoveryAccess()).toEqual({ cloud: "gcp", bindings: [{ key: "Project", role: "roles/compute.viewer", resource: "projects/lure-test" }] });
    const rotation = hn.rotationAccess(["cowrie"]);
    if (rotation.cloud !== "gcp") throw new Error("not a Google Cloud grant");
    // By reference (each binding waits for its VM or subnet), and recreated with a replaced one (a bare
    // reference, as replace_triggered_by takes it): the references are checked on the synthesized stack (watcher.test.ts).
    const token = "\\$\\{TfToken\\[TOKEN\\.\\d+\\]\\}";
    expect(rotation.bindings).toEqual([
      { key: "Instance-cowrie", role: "access-config", resource: expect.stringMatching(new RegExp(`^projects/lure-test/zones/europe-west2-b/instances/${token}$`)), recreatedWith: expect.stringMatching(/^google_compute_instance\.Honeynet_Honeypot-cowrie-Vm_[0-9A-F]+\.instance_id$/) },
      { key: "Subnet", role: "external-ip", resource: expect.stringMatching(new RegExp(`^projects/lure-test/regions/europe-west2/subnetworks/${token}$`)), recreatedWith: expect.stringMatching(/^google_compute_subnetwork\.Honeynet_HoneypotSubnet_[0-9A-F]+\.creation_timestamp$/) },
      { key: "Operations", role: "operations", resource: "projects/lure-test" },
    ]);
    expect(Object.fromEntries((rotation.customRoles ?? []).map((r) => [r.key, r.permissions]))).toEqual({
      "access-config": ["compute.instances.get", "compute.instances.deleteAccessConfig", "compute.instances.addAccessConfig"],
      "external-ip": ["compute.subnetworks.useExternalIp"],
      operations: ["compute.zoneOperations.get"],
    });
    // Nothing that stops a VM or writes its metadata (SSH keys, startup scripts).
    expect((rotation.customRoles ?? []).flatMap((r) => r.permissions).filter((p) => /stop|start|setMetadata|setServiceAccount|\*/.test(p))).toEqual([]);
    const all = hn.rotationAccess();
    expect(all.cloud === "gcp" ? all.bindings.filter((b) => b.role === "access-config").map((b) => b.key) : []).toEqual(["Instance-cowrie", "Instance-medpot"]);
    expect(() => hn.rotationAccess(["conpot"])).toThrow(/no honeypot VM named conpot/);
    expect(hn.publicIpSource).toEqual({ cloud: "gcp", project: "lure-test", zone: "europe-west2-b", label: { key: "lure-component", value: "honeypot" } });
  });
});

describe("T-Pot's analytics on Google Cloud", () => {
  const fileOf = (vm: Json, path: string): string => (userData(vm).write_files as Json[]).find((f) => f.path === path)!.content;
  const composeOf = (vm: Json): Json => parseCompose(fileOf(vm, "/etc/lure/compose.yaml"));
  const elasticVm = (stack: Json) => labelled(stack, "google_compute_instance", "elastic")[0][1];
  let stack: Json;
  beforeAll(() => {
    stack = industrial();
  });

  it("the Elastic VM runs T-Pot's Logstash of the catalog's release behind the Beats input, labelled lure-gcp, T-Pot's sizes", () => {
    const vm = elasticVm(stack);
    expect(vm.machine_type).toBe("e2-standard-2");
    expectTpotElasticHost((path) => fileOf(vm, path), "lure-gcp");
  });

  it("every deployed honeypot's logs are shipped with T-Pot's type, to the Elastic VM's Logstash", () => {
    const hosts = labelled(stack, "google_compute_instance", "honeypot").map(([, vm]) => (path: string) => fileOf(vm, path));
    expect(shippedLogTypes(hosts, "10.42.16.2:5044")).toEqual(catalogLogTypes(PROFILES.industrial));
  });

  it("Kibana's service imports T-Pot's saved objects in a sidecar that waits for Kibana's status probe; from Docker Hub, which Cloud Run pulls from", () => {
    const [[, run]] = all(stack, "google_cloud_run_v2_service");
    const [kibana, objects, ...rest] = run.template.containers as Json[];
    expect(rest).toEqual([]);
    expect(kibana.startup_probe.http_get).toEqual({ path: "/api/status", port: 5601 });
    expect(objects).toMatchObject({
      name: "kibana-objects",
      image: `docker.io/dtagdevsec/tpotinit:${TPOT.source.version}`,
      command: ["/bin/sh", "-c"],
      depends_on: ["kibana"],
      resources: { limits: { cpu: "1", memory: "512Mi" }, cpu_idle: false },
    });
    expect(objects.ports).toBeUndefined();
    expect(objects.args).toHaveLength(1);
    expect(objects.args[0]).toContain("KIBANA='http://127.0.0.1:5601'");
    expect(objects.args[0]).toContain('"$KIBANA/api/saved_objects/_import?overwrite=true"');
    // Cloud Run restarts a container that ends: the sidecar stays once done.
    expect(objects.args[0].trimEnd().endsWith("while :; do sleep 86400; done")).toBe(true);
  });

  it("honeynet.elastic.size picks the machine type and the heaps; elasticMachineType still wins", () => {
    const small = elasticVm(synth({ honeypots: ["cowrie"], elasticSize: "small" }));
    expect([small.machine_type, composeOf(small).services.elasticsearch.mem_limit, composeOf(small).services.logstash.mem_limit]).toEqual(["e2-medium", "2048m", "1536m"]);
    const large = elasticVm(synth({ honeypots: ["cowrie"], elasticSize: "large" }));
    expect([large.machine_type, composeOf(large).services.elasticsearch.mem_limit]).toEqual(["e2-standard-4", "8192m"]);
    expect(elasticVm(synth({ honeypots: ["cowrie"], elasticSize: "small", elasticMachineType: "e2-highmem-2" })).machine_type).toBe("e2-highmem-2");
  });
});
