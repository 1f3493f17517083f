import { parse } from "yaml";
import { catalogLogTypes, expectTpotElasticHost, parseCompose, shippedLogTypes } from "../core/host-helpers";
import { Testing, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { honeypot as catalogEntry, PROFILES, TPOT } from "../../modules/core/catalog";
import { hostPorts, INTERNAL_MEMBERS } from "../../modules/core/host";
import { checkStack } from "../../modules/core/policy";
import { RSA_2048, keyWithoutPrivateHalf } from "../../modules/azure/admin-key";
import { AzureHoneynet, DATA_DISK_DEVICE, spotCapable, type AzureHoneynetProps } from "../../modules/azure/honeynet";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example";
const BASE: AzureHoneynetProps = { prefix: "lure", location: "westeurope", honeypots: [...PROFILES.industrial], dashboard: { allowCidrs: ["198.51.100.0/24"], allowPlaintext: true } };

function synth(props: Partial<AzureHoneynetProps> = {}): Json {
  const app = Testing.app();
  const stack = new TerraformStack(app, "azure-honeynet");
  new AzurermProvider(stack, "azurerm", { features: [{}] });
  new AzureHoneynet(stack, "Honeynet", { ...BASE, ...props });
  return JSON.parse(Testing.synth(stack)) as Json;
}

const all = (stack: Json, type: string): [string, Json][] => Object.entries((stack.resource?.[type] ?? {}) as Record<string, Json>);
const tagged = (stack: Json, type: string, component: string, honeypot?: string) =>
  all(stack, type).filter(([, b]) => b.tags?.["lure:component"] === component && (honeypot === undefined || b.tags?.["lure:honeypot"] === honeypot));
/** The logical name a `${azurerm_x.NAME.attr}` reference points at. */
const ref = (value: string, type: string) => new RegExp(`^\\$\\{${type}\\.([^.]+)\\.`).exec(value)?.[1];
const rulesOf = (stack: Json, nsgName: string) => all(stack, "azurerm_network_security_rule").map(([, r]) => r).filter((r) => ref(r.network_security_group_name, "azurerm_network_security_group") === nsgName);
const customData = (vm: Json): Json => parse(Buffer.from(vm.custom_data, "base64").toString("utf8"), { version: "1.1" });

describe("AzureHoneynet, industrial profile", () => {
  let stack: Json;
  const publicMembers = PROFILES.industrial.filter((h) => !INTERNAL_MEMBERS.includes(h));
  beforeAll(() => {
    stack = synth();
  });

  it.each(publicMembers)("%s: exactly one VM, one public IP, one NSG, no identity", (hp) => {
    expect(tagged(stack, "azurerm_linux_virtual_machine", "honeypot", hp)).toHaveLength(1);
    expect(tagged(stack, "azurerm_public_ip", "honeypot", hp)).toHaveLength(1);
    expect(tagged(stack, "azurerm_network_security_group", "honeypot", hp)).toHaveLength(1);
    const [, vm] = tagged(stack, "azurerm_linux_virtual_machine", "honeypot", hp)[0];
    expect(vm.identity).toBeUndefined();
    expect(vm.disable_password_authentication).toBe(true);
    expect(vm.admin_password).toBeUndefined();
    // capacity "spot", but Azure runs no B-series size as Spot: a regular VM.
    expect(vm.size).toMatch(/^Standard_B/);
    expect(vm.priority).toBeUndefined();
    expect(vm.eviction_policy).toBeUndefined();
    const [, ip] = tagged(stack, "azurerm_public_ip", "honeypot", hp)[0];
    expect(ip).toMatchObject({ sku: "Standard", allocation_method: "Static" });
    // When the address became ours: set at creation, and left to the watcher's rotation afterwards.
    expect(ip.tags["lure:since"]).toBe("${timestamp()}");
    expect(ip.lifecycle).toEqual({ ignore_changes: ['tags["lure:since"]'] });
  });

  it.each(publicMembers)("%s: the NSG allows exactly its catalog ports with their protocols, then denies everything", (hp) => {
    const [nsgName] = tagged(stack, "azurerm_network_security_group", "honeypot", hp)[0];
    const rules = rulesOf(stack, nsgName);
    const allows = rules.filter((r) => r.access === "Allow").map((r) => `${r.destination_port_range}/${r.protocol}`).sort();
    const expected = hostPorts(catalogEntry(hp)).map((p) => `${p.host}/${p.protocol === "udp" ? "Udp" : "Tcp"}`).sort();
    expect(allows).toEqual(expected);
    expect(rules.filter((r) => r.access === "Allow").every((r) => r.direction === "Inbound" && r.source_address_prefix === "*")).toBe(true);
    // No admin key, no admin rule: the admin port is closed.
    expect(allows.some((a) => a.startsWith("64295/"))).toBe(false);
    expect(rules.filter((r) => r.access === "Deny")).toEqual([expect.objectContaining({ priority: 4096, direction: "Inbound", protocol: "*", source_address_prefix: "*", destination_port_range: "*" })]);
    expect(new Set(rules.map((r) => r.priority)).size).toBe(rules.length);
  });

  it("ports and protocols asserted for three honeypots: cowrie 22/23 TCP, dicompot 104 (to 11112), conpot_ipmi 623 UDP", () => {
    const allows = (hp: string) => rulesOf(stack, tagged(stack, "azurerm_network_security_group", "honeypot", hp)[0][0]).filter((r) => r.access === "Allow").map((r) => `${r.destination_port_range}/${r.protocol}`).sort();
    expect(allows("cowrie")).toEqual(["22/Tcp", "23/Tcp"]);
    expect(allows("dicompot")).toEqual(["104/Tcp", "11112/Tcp"]);
    expect(allows("conpot_ipmi")).toEqual(["623/Udp"]);
  });

  it("each honeypot VM's NIC holds its own public IP and its NSG", () => {
    for (const hp of publicMembers) {
      const [vmName, vm] = tagged(stack, "azurerm_linux_virtual_machine", "honeypot", hp)[0];
      const nicName = ref(vm.network_interface_ids[0], "azurerm_network_interface")!;
      const nic = stack.resource.azurerm_network_interface[nicName];
      expect(ref(nic.ip_configuration[0].public_ip_address_id, "azurerm_public_ip")).toBe(tagged(stack, "azurerm_public_ip", "honeypot", hp)[0][0]);
      const assoc = all(stack, "azurerm_network_interface_security_group_association").filter(([, a]) => ref(a.network_interface_id, "azurerm_network_interface") === nicName);
      expect(assoc).toHaveLength(1);
      expect(ref(assoc[0][1].network_security_group_id, "azurerm_network_security_group")).toBe(tagged(stack, "azurerm_network_security_group", "honeypot", hp)[0][0]);
      expect(vm.name).toBe(`lure-hp-${hp.toLowerCase().replace(/_/g, "-")}`);
      expect(vmName).toContain(hp);
    }
    expect(all(stack, "azurerm_linux_virtual_machine")).toHaveLength(publicMembers.length + 2); // + Elastic, Kibana
    expect(all(stack, "azurerm_public_ip")).toHaveLength(publicMembers.length + 2); // + the NAT gateway's, Kibana's
  });

  it("the Elastic VM has no public IP; Logstash only from the honeypot subnet, Elasticsearch only from the dashboard subnet", () => {
    const [, vm] = tagged(stack, "azurerm_linux_virtual_machine", "elastic")[0];
    expect(vm.identity).toBeUndefined();
    expect(vm.priority).toBeUndefined(); // the log store is not evicted
    const nic = stack.resource.azurerm_network_interface[ref(vm.network_interface_ids[0], "azurerm_network_interface")!];
    expect(nic.ip_configuration).toEqual([expect.not.objectContaining({ public_ip_address_id: expect.anything() })]);
    expect(nic.ip_configuration[0]).toMatchObject({ private_ip_address_allocation: "Static", private_ip_address: "10.42.16.4" });
    const [nsgName] = tagged(stack, "azurerm_network_security_group", "elastic")[0];
    const allows = rulesOf(stack, nsgName)
      .filter((r) => r.access === "Allow")
      .map((r) => [r.destination_port_range, r.protocol, r.source_address_prefix, r.source_address_prefixes])
      .sort((a, b) => a[0].localeCompare(b[0]));
    expect(allows).toEqual([
      ["5044", "Tcp", "10.42.0.0/20", undefined],
      ["9200", "Tcp", "10.42.32.0/20", undefined],
    ]);
    const subnets = Object.fromEntries(all(stack, "azurerm_subnet").map(([, s]) => [s.name, s.address_prefixes]));
    expect(subnets).toEqual({ "lure-honeypots": ["10.42.0.0/20"], "lure-elastic": ["10.42.16.0/20"], "lure-dashboard": ["10.42.32.0/20"] });
    expect(all(stack, "azurerm_subnet").every(([, s]) => s.default_outbound_access_enabled === false)).toBe(true);
    // Outbound for the Elastic subnet: the NAT gateway.
    expect(all(stack, "azurerm_subnet_nat_gateway_association")).toHaveLength(1);
  });

  it("the Elastic VM mounts its data disk at LUN 0, and every shipper sends to its private address", () => {
    const [, vm] = tagged(stack, "azurerm_linux_virtual_machine", "elastic")[0];
    const attachments = all(stack, "azurerm_virtual_machine_data_disk_attachment").map(([, a]) => a);
    expect(attachments).toEqual([expect.objectContaining({ lun: 0, caching: "ReadWrite" })]);
    expect(JSON.stringify(customData(vm))).toContain(DATA_DISK_DEVICE);
    for (const hp of publicMembers) {
      const doc = customData(tagged(stack, "azurerm_linux_virtual_machine", "honeypot", hp)[0][1]);
      const filebeat = (doc.write_files as Json[]).find((f) => String(f.path).endsWith("filebeat.yml"));
      expect(filebeat).toBeDefined();
      expect(parse(filebeat!.content)["output.logstash"].hosts).toEqual(["10.42.16.4:5044"]);
    }
  });

  it("passes every policy rule, the Azure ones included", () => {
    expect(checkStack(stack)).toEqual([]);
  });

  it("without an admin key: a key nobody holds the private half of, and no admin rule anywhere", () => {
    const keys = all(stack, "azurerm_linux_virtual_machine").map(([, vm]) => vm.admin_ssh_key);
    expect(keys.every((k) => k.length === 1 && k[0].public_key === keyWithoutPrivateHalf() && k[0].username === "lure")).toBe(true);
    expect(all(stack, "azurerm_network_security_rule").filter(([, r]) => r.name === "admin-ssh")).toEqual([]);
    // The key's modulus is RSA-2048, whose factors nobody has.
    const blob = Buffer.from(keyWithoutPrivateHalf().split(" ")[1], "base64");
    expect(BigInt(`0x${blob.subarray(blob.length - 256).toString("hex")}`).toString()).toBe(RSA_2048);
    expect(RSA_2048).toHaveLength(617);
  });
});

/** What an NSG decides for a TCP connection from `ip` to `port`: the first rule by priority that matches (Azure's order). */
function decide(stack: Json, nsgName: string, ip: string, port: number): string {
  const inRange = (cidr: string) => {
    if (cidr === "*") return true;
    const [base, bits] = cidr.split("/");
    const n = (a: string) => a.split(".").reduce((v, o) => v * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(bits ?? 32));
    return Math.floor(n(ip) / size) === Math.floor(n(base) / size);
  };
  const portIn = (range: string) => range === "*" || (range.includes("-") ? port >= Number(range.split("-")[0]) && port <= Number(range.split("-")[1]) : Number(range) === port);
  const rule = rulesOf(stack, nsgName)
    .filter((r) => r.direction === "Inbound" && (r.protocol === "Tcp" || r.protocol === "*"))
    .sort((a, b) => a.priority - b.priority)
    .find((r) => [...(r.source_address_prefixes ?? []), ...(r.source_address_prefix ? [r.source_address_prefix] : [])].some(inRange) && portIn(r.destination_port_range));
  return rule?.access ?? "Deny";
}

describe("Kibana", () => {
  let stack: Json;
  let nsgName: string;
  beforeAll(() => {
    stack = synth({ honeypots: ["cowrie"] });
    nsgName = tagged(stack, "azurerm_network_security_group", "dashboard")[0][0];
  });

  it("is reachable on port 80 from the allow-list, and from nowhere else, on no other port", () => {
    expect(decide(stack, nsgName, "198.51.100.7", 80)).toBe("Allow");
    expect(decide(stack, nsgName, "198.51.100.255", 80)).toBe("Allow");
    expect(decide(stack, nsgName, "198.51.101.1", 80)).toBe("Deny");
    expect(decide(stack, nsgName, "203.0.113.9", 80)).toBe("Deny");
    expect(decide(stack, nsgName, "198.51.100.7", 5601)).toBe("Deny");
    expect(decide(stack, nsgName, "198.51.100.7", 22)).toBe("Deny");
    expect(decide(stack, nsgName, "198.51.100.7", 64295)).toBe("Deny");
    const allows = rulesOf(stack, nsgName).filter((r) => r.access === "Allow");
    expect(allows).toEqual([expect.objectContaining({ destination_port_range: "80", protocol: "Tcp", source_address_prefixes: ["198.51.100.0/24"] })]);
  });

  it("runs on its own VM in the dashboard subnet, the one Elasticsearch answers, pointed at the Elastic VM's address", () => {
    const [, vm] = tagged(stack, "azurerm_linux_virtual_machine", "dashboard")[0];
    expect(vm.identity).toBeUndefined();
    expect(vm.priority).toBeUndefined();
    const nic = stack.resource.azurerm_network_interface[ref(vm.network_interface_ids[0], "azurerm_network_interface")!];
    expect(ref(nic.ip_configuration[0].subnet_id, "azurerm_subnet")).toBe(all(stack, "azurerm_subnet").find(([, s]) => s.name === "lure-dashboard")![0]);
    expect(ref(nic.ip_configuration[0].public_ip_address_id, "azurerm_public_ip")).toBe(tagged(stack, "azurerm_public_ip", "dashboard")[0][0]);
    const compose: Json = parseCompose((customData(vm).write_files as Json[]).find((f) => f.path === "/etc/lure/compose.yaml")!.content);
    expect(compose.services.kibana.environment.ELASTICSEARCH_HOSTS).toContain("http://10.42.16.4:9200");
    const url = Object.entries(stack.output as Record<string, Json>).find(([k]) => k.includes("dashboard_url"))![1].value;
    expect(url).toBe(`http://\${azurerm_public_ip.${tagged(stack, "azurerm_public_ip", "dashboard")[0][0]}.ip_address}`);
    expect(tagged(stack, "azurerm_network_security_group", "dashboard")[0][1].tags).toMatchObject({ "lure:plaintext": "accepted" });
    expect(checkStack(stack)).toEqual([]);
  });

  it("refuses a world-open allow-list without the opt-in, an empty one, and HTTPS it cannot serve; accepts the opt-in and tags it", () => {
    // The checks every cloud's honeynet shares (modules/core/validate.ts), then Azure's own.
    expect(() => synth({ honeypots: ["cowrie"], dashboard: { allowCidrs: ["0.0.0.0/0"], allowPlaintext: true } })).toThrow(/dashboard\.allowCidrs\[0\]: "0\.0\.0\.0\/0" is world-open; set allowWorldOpen to accept that/);
    expect(() => synth({ honeypots: ["cowrie"], dashboard: { allowCidrs: [], allowPlaintext: true } })).toThrow(/dashboard\.allowCidrs: is empty: nobody could reach the dashboard/);
    expect(() => synth({ honeypots: ["cowrie"], dashboard: { allowCidrs: ["2001:db8::/48"], allowPlaintext: true } })).toThrow(/dashboard\.allowCidrs: has no IPv4 CIDR: nobody could reach Kibana's IPv4 address/);
    expect(() => synth({ honeypots: ["cowrie"], dashboard: { allowCidrs: ["198.51.100.0/24"] } })).toThrow(/dashboard\.certificateArn: is required: Kibana has no login of its own/);
    const cert = "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234";
    expect(() => synth({ honeypots: ["cowrie"], dashboard: { allowCidrs: ["198.51.100.0/24"], certificateArn: cert } })).toThrow(
      /dashboard\.allowPlaintext: the Azure honeynet serves Kibana over plain HTTP only \(HTTPS on Azure is not built yet\); set it to true to accept that/,
    );
    const open = synth({ honeypots: ["cowrie"], dashboard: { allowCidrs: ["0.0.0.0/0"], allowWorldOpen: true, allowPlaintext: true } });
    const [name, nsg] = tagged(open, "azurerm_network_security_group", "dashboard")[0];
    expect(nsg.tags).toMatchObject({ "lure:world-open": "accepted" });
    expect(decide(open, name, "192.0.2.1", 80)).toBe("Allow");
  });
});

describe("AzureHoneynet options", () => {
  it("with the admin's key, admin SSH on 64295 opens to adminCidrs only, on every VM", () => {
    const stack = synth({ honeypots: ["cowrie"], adminSshPublicKey: ADMIN_KEY, adminCidrs: ["192.0.2.0/28"] });
    const admin = all(stack, "azurerm_network_security_rule").filter(([, r]) => r.name === "admin-ssh").map(([, r]) => r);
    expect(admin).toHaveLength(3); // cowrie's VM, the Kibana VM, and the Elastic VM (from the dashboard subnet, below)
    expect(admin.every((r) => r.destination_port_range === "64295" && r.protocol === "Tcp")).toBe(true);
    expect(admin.map((r) => JSON.stringify(r.source_address_prefixes)).sort()).toEqual(['["10.42.32.0/20"]', '["192.0.2.0/28"]', '["192.0.2.0/28"]']);
    expect(all(stack, "azurerm_linux_virtual_machine").every(([, vm]) => vm.admin_ssh_key[0].public_key === ADMIN_KEY)).toBe(true);
  });

  it("with the admin's key and allow-list, and the standard profile, still no policy violation", () => {
    const stack = synth({ honeypots: [...PROFILES.standard], adminSshPublicKey: ADMIN_KEY, adminCidrs: ["192.0.2.0/28"] });
    expect(checkStack(stack)).toEqual([]);
    // Azure takes at most 64 KiB of custom data per VM.
    for (const [, vm] of all(stack, "azurerm_linux_virtual_machine")) expect(Buffer.from(vm.custom_data, "base64").length).toBeLessThan(64 * 1024);
  });

  it("a key without adminCidrs opens nothing", () => {
    const stack = synth({ honeypots: ["cowrie"], adminSshPublicKey: ADMIN_KEY });
    expect(all(stack, "azurerm_network_security_rule").filter(([, r]) => r.name === "admin-ssh")).toEqual([]);
  });

  it("snare's VM runs tanner and its peers; they get no VM, no IP and no NSG of their own", () => {
    const stack = synth({ honeypots: ["snare", "tanner", "tanner_api", "tanner_phpox", "tanner_redis"] });
    expect(all(stack, "azurerm_linux_virtual_machine")).toHaveLength(3);
    const doc = customData(tagged(stack, "azurerm_linux_virtual_machine", "honeypot", "snare")[0][1]);
    const compose: Json = parseCompose((doc.write_files as Json[]).find((f) => f.path === "/etc/lure/compose.yaml")!.content);
    expect(Object.keys(compose.services).sort()).toEqual(["shipper", "snare", "tanner", "tanner_api", "tanner_phpox", "tanner_redis"]);
  });

  it("Spot only where Azure offers it: a non-B-series size with capacity spot, never on-demand, never B-series (with a synth warning)", () => {
    const spot = synth({ honeypots: ["cowrie", "dicompot"], sizes: { cowrie: "Standard_D2as_v5" } });
    expect(tagged(spot, "azurerm_linux_virtual_machine", "honeypot", "cowrie")[0][1]).toMatchObject({ priority: "Spot", eviction_policy: "Deallocate", max_bid_price: -1 });
    expect(tagged(spot, "azurerm_linux_virtual_machine", "honeypot", "dicompot")[0][1].priority).toBeUndefined();
    const onDemand = synth({ honeypots: ["cowrie"], capacity: "on-demand", sizes: { cowrie: "Standard_D2as_v5" } });
    expect(tagged(onDemand, "azurerm_linux_virtual_machine", "honeypot", "cowrie")[0][1].priority).toBeUndefined();
    expect(spotCapable("Standard_B2als_v2")).toBe(false);
    expect(spotCapable("Standard_D2as_v5")).toBe(true);
    const app = Testing.app();
    const stack = new TerraformStack(app, "warned");
    new AzurermProvider(stack, "azurerm", { features: [{}] });
    const hn = new AzureHoneynet(stack, "Honeynet", { ...BASE, honeypots: ["cowrie"] });
    Testing.synth(stack);
    expect(hn.node.metadata.map((m) => m.data)).toContainEqual(expect.stringContaining("Azure runs no B-series size as a Spot VM"));
  });

  it("the Elastic VM waits for the NAT gateway (its only way out, and cloud-init installs Docker at first boot)", () => {
    const stack = synth({ honeypots: ["cowrie"] });
    const [, vm] = tagged(stack, "azurerm_linux_virtual_machine", "elastic")[0];
    const natIp = all(stack, "azurerm_nat_gateway_public_ip_association")[0][0];
    const subnetNat = all(stack, "azurerm_subnet_nat_gateway_association")[0][0];
    expect(vm.depends_on).toEqual([`azurerm_nat_gateway_public_ip_association.${natIp}`, `azurerm_subnet_nat_gateway_association.${subnetNat}`]);
  });

  it("admin SSH to the Elastic VM only from the dashboard subnet (the Kibana VM is the jump host); IPv6 admin CIDRs left out", () => {
    const stack = synth({ honeypots: ["cowrie"], adminSshPublicKey: ADMIN_KEY, adminCidrs: ["192.0.2.0/28", "2001:db8::/48"] });
    const [elasticNsg] = tagged(stack, "azurerm_network_security_group", "elastic")[0];
    const admin = (nsg: string) => rulesOf(stack, nsg).filter((r) => r.name === "admin-ssh").map((r) => r.source_address_prefixes);
    expect(admin(elasticNsg)).toEqual([["10.42.32.0/20"]]);
    expect(admin(tagged(stack, "azurerm_network_security_group", "dashboard")[0][0])).toEqual([["192.0.2.0/28"]]);
    expect(admin(tagged(stack, "azurerm_network_security_group", "honeypot", "cowrie")[0][0])).toEqual([["192.0.2.0/28"]]);
    expect(decide(stack, elasticNsg, "10.42.0.5", 64295)).toBe("Deny"); // a honeypot VM
    expect(decide(stack, elasticNsg, "10.42.32.5", 64295)).toBe("Allow"); // the Kibana VM
  });

  it("sizes per honeypot, and the network from networkCidr", () => {
    const stack = synth({ honeypots: ["cowrie"], sizes: { cowrie: "Standard_B2s_v2" }, networkCidr: "10.8.0.0/20" });
    expect(tagged(stack, "azurerm_linux_virtual_machine", "honeypot", "cowrie")[0][1].size).toBe("Standard_B2s_v2");
    expect(Object.values(stack.resource.azurerm_subnet).map((s) => (s as Json).address_prefixes[0]).sort()).toEqual(["10.8.0.0/24", "10.8.1.0/24", "10.8.2.0/24"]);
  });
});

describe("T-Pot's analytics on Azure", () => {
  const GROUP = ["cowrie", "heralding", "snare", "tanner", "tanner_api", "tanner_phpox", "tanner_redis"];
  const composeOf = (vm: Json): Json => parseCompose((customData(vm).write_files as Json[]).find((f) => f.path === "/etc/lure/compose.yaml")!.content);
  const fileOf = (vm: Json, path: string): string => (customData(vm).write_files as Json[]).find((f) => f.path === path)!.content;
  let stack: Json;
  beforeAll(() => {
    stack = synth({ honeypots: [...GROUP] });
  });

  it("the Elastic VM runs T-Pot's Logstash of the catalog's release behind the Beats input, labelled lure-azure, T-Pot's sizes", () => {
    const [, vm] = tagged(stack, "azurerm_linux_virtual_machine", "elastic")[0];
    expect(vm.size).toBe("Standard_B2s_v2");
    expectTpotElasticHost((path) => fileOf(vm, path), "lure-azure");
  });

  it("every deployed honeypot's logs are shipped with T-Pot's type, to the Elastic VM's Logstash", () => {
    const hosts = tagged(stack, "azurerm_linux_virtual_machine", "honeypot").map(([, vm]) => (path: string) => fileOf(vm, path));
    const expected = catalogLogTypes(GROUP);
    expect(expected).toHaveLength(3);
    expect(shippedLogTypes(hosts, "10.42.16.4:5044")).toEqual(expected);
  });

  it("the Kibana VM imports T-Pot's saved objects once Kibana is healthy", () => {
    const [, vm] = tagged(stack, "azurerm_linux_virtual_machine", "dashboard")[0];
    const objects = composeOf(vm).services["kibana-objects"];
    expect(objects.image).toBe(`ghcr.io/telekom-security/tpotinit:${TPOT.source.version}`);
    expect(objects.depends_on).toEqual({ kibana: { condition: "service_healthy" } });
    expect(objects.command[0]).toContain('"$KIBANA/api/saved_objects/_import?overwrite=true"');
    expect(composeOf(vm).services.kibana.healthcheck.test[0]).toBe("CMD-SHELL");
  });

  it("honeynet.elastic.size picks the VM and the heaps; elasticVmSize still wins", () => {
    const elastic = (props: Partial<AzureHoneynetProps>) => tagged(synth({ honeypots: ["cowrie"], ...props }), "azurerm_linux_virtual_machine", "elastic")[0][1];
    const small = elastic({ elasticSize: "small" });
    expect([small.size, composeOf(small).services.elasticsearch.mem_limit, composeOf(small).services.logstash.mem_limit]).toEqual(["Standard_B2ls_v2", "2048m", "1536m"]);
    const large = elastic({ elasticSize: "large" });
    expect([large.size, composeOf(large).services.elasticsearch.mem_limit, composeOf(large).services.logstash.mem_limit]).toEqual(["Standard_B4s_v2", "8192m", "4096m"]);
    expect(elastic({ elasticSize: "small", elasticVmSize: "Standard_B4as_v2" }).size).toBe("Standard_B4as_v2");
  });
});
