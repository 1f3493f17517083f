/**
 * AzureHoneynet as the hive (`hiveInput`, `honeynet.analytics.hive: "azure"`): the Elastic VM also runs
 * the hive's Logstash on 64294, behind a Standard public Load Balancer; it reads the hive's credential
 * from a Key Vault with an identity of its own, which may read that vault's secrets and nothing else.
 * The honeypot VMs keep no identity.
 */
import { Testing, TerraformOutput, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { compose, file } from "../core/host-helpers";
import { cloudInit, cloudInitText } from "../helpers/azure-custom-data";
import { describeHiveInputProps, expectHiveLogstash, itIsAHiveStack, nextStepsOf } from "../helpers/hive-input-props";
import { configWith, type Json } from "../helpers/synth";
import { PROFILES } from "../../modules/core/catalog";
import { HIVE_CREDENTIAL_SCRIPT, HIVE_CREDENTIAL_UNIT, HIVE_PORT, hiveCredentialUnit } from "../../modules/core/hive";
import { INTERNAL_MEMBERS, METADATA_UNIT, metadataUnit } from "../../modules/core/host";
import { checkStack } from "../../modules/core/policy";
import { AzureHoneynet, azureHoneynetPropsProblems, type AzureHoneynetProps } from "../../modules/azure/honeynet";
import { HIVE_FRONTEND } from "../../modules/azure/honeynet-hive";
import { AzureHoneynetStack } from "../../modules/azure/stacks";

const BASE: AzureHoneynetProps = { prefix: "lure", location: "westeurope", honeypots: [...PROFILES.industrial], dashboard: { allowCidrs: ["198.51.100.0/24"], allowPlaintext: true } };
const SENSORS = ["192.0.2.0/24", "203.0.113.7/32", "2001:db8::/32"];
const PUBLIC_MEMBERS = PROFILES.industrial.filter((h) => !INTERNAL_MEMBERS.includes(h));

function build(props: Partial<AzureHoneynetProps> = {}, extra?: (stack: TerraformStack, honeynet: AzureHoneynet) => void): { stack: Json; honeynet: AzureHoneynet; warnings: string[] } {
  const scope = new TerraformStack(Testing.app(), "azure-honeynet");
  new AzurermProvider(scope, "azurerm", { features: [{}] });
  const honeynet = new AzureHoneynet(scope, "Honeynet", { ...BASE, hiveInput: { allowCidrs: SENSORS }, ...props });
  extra?.(scope, honeynet);
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
const tagged = (stack: Json, type: string, component: string) => all(stack, type).filter(([, b]) => b.tags?.["lure:component"] === component);
const ref = (type: string, name: string, attr: string) => `\${${type}.${name}.${attr}}`;
/** The standalone NSG rules of the NSG whose construct id starts with `sid`. */
const rulesOf = (stack: Json, sid: string): Json[] => all(stack, "azurerm_network_security_rule").filter(([, r]) => String(r.network_security_group_name).includes(`.Honeynet_${sid}_`)).map(([, r]) => r);

describe("AzureHoneynet as the hive, industrial profile", () => {
  let stack: Json;
  let honeynet: AzureHoneynet;
  let warnings: string[];
  let elastic: Json;
  beforeAll(() => {
    ({ stack, honeynet, warnings } = build());
    [[, elastic]] = tagged(stack, "azurerm_linux_virtual_machine", "elastic");
  });

  it("a static Standard IPv4 public IP named lure-hive, the load balancer's only frontend", () => {
    const [ipName, ip] = all(stack, "azurerm_public_ip").find(([, p]) => p.name === "lure-hive")!;
    expect(ip).toEqual({ name: "lure-hive", location: "westeurope", resource_group_name: expect.stringMatching(/^\$\{azurerm_resource_group\.[^.]+\.name\}$/), allocation_method: "Static", sku: "Standard", ip_version: "IPv4", tags: { "lure:component": "elastic" } });
    expect(ip.lifecycle).toBeUndefined();
    const [, lb] = only(stack, "azurerm_lb");
    expect(lb).toEqual({
      name: "lure-hive",
      location: "westeurope",
      resource_group_name: ip.resource_group_name,
      sku: "Standard",
      frontend_ip_configuration: [{ name: HIVE_FRONTEND, public_ip_address_id: ref("azurerm_public_ip", ipName, "id") }],
      tags: { "lure:component": "elastic" },
    });
    // The honeypots', Kibana's, the NAT gateway's and the hive's: nothing else has a public IP.
    expect(all(stack, "azurerm_public_ip").map(([, p]) => p.tags["lure:component"]).sort()).toEqual([...PUBLIC_MEMBERS.map(() => "honeypot"), "dashboard", "elastic", "network"].sort());
  });

  it("one backend pool holding the Elastic NIC's private IP configuration, and nothing else", () => {
    const [lbName] = only(stack, "azurerm_lb");
    const [poolName, pool] = only(stack, "azurerm_lb_backend_address_pool");
    expect(pool).toEqual({ name: "elastic", loadbalancer_id: ref("azurerm_lb", lbName, "id") });
    const [, member] = only(stack, "azurerm_network_interface_backend_address_pool_association");
    const [nicName, nic] = all(stack, "azurerm_network_interface").find(([, n]) => n.tags["lure:component"] === "elastic")!;
    expect(member).toEqual({ network_interface_id: ref("azurerm_network_interface", nicName, "id"), ip_configuration_name: "private", backend_address_pool_id: ref("azurerm_lb_backend_address_pool", poolName, "id") });
    expect(nic.ip_configuration.map((c: Json) => c.name)).toEqual(["private"]);
    expect(nic.ip_configuration[0].public_ip_address_id).toBeUndefined();
    expect(elastic.network_interface_ids).toEqual([ref("azurerm_network_interface", nicName, "id")]);
  });

  it("a TCP probe on 64294 and one TCP rule 64294 → 64294 through that pool: no outbound SNAT, no floating IP, TCP reset", () => {
    const [lbName] = only(stack, "azurerm_lb");
    const [poolName] = only(stack, "azurerm_lb_backend_address_pool");
    const [probeName, probe] = only(stack, "azurerm_lb_probe");
    expect(probe).toEqual({ name: "logstash-hive", loadbalancer_id: ref("azurerm_lb", lbName, "id"), protocol: "Tcp", port: 64294, interval_in_seconds: 30, number_of_probes: 2 });
    // Azure's rule: interval × probes at least 10 seconds, interval at least 5.
    expect(probe.interval_in_seconds * probe.number_of_probes).toBeGreaterThanOrEqual(10);
    const [, rule] = only(stack, "azurerm_lb_rule");
    expect(rule).toEqual({
      name: "logstash-hive",
      loadbalancer_id: ref("azurerm_lb", lbName, "id"),
      frontend_ip_configuration_name: HIVE_FRONTEND,
      protocol: "Tcp",
      frontend_port: HIVE_PORT,
      backend_port: HIVE_PORT,
      backend_address_pool_ids: [ref("azurerm_lb_backend_address_pool", poolName, "id")],
      probe_id: ref("azurerm_lb_probe", probeName, "id"),
      disable_outbound_snat: true,
      floating_ip_enabled: false,
      tcp_reset_enabled: true,
    });
    // The deprecated spellings of the same settings are not used beside the 4.x ones.
    expect(rule.enable_floating_ip).toBeUndefined();
    expect(rule.enable_tcp_reset).toBeUndefined();
    for (const type of ["azurerm_lb_nat_rule", "azurerm_lb_nat_pool", "azurerm_lb_outbound_rule"]) expect({ type, count: all(stack, type).length }).toEqual({ type, count: 0 });
  });

  it("the Elastic NSG admits 64294 from the sensors' IPv4 CIDRs and Azure's probes, to the VM's address only, before the final deny", () => {
    const rules = rulesOf(stack, "ElasticSecurityGroup");
    const to = honeynet.elasticAddress;
    const base = { direction: "Inbound", access: "Allow", protocol: "Tcp", source_port_range: "*", destination_address_prefix: to, destination_port_range: "64294" };
    expect(rules.filter((r) => r.destination_port_range === "64294")).toEqual([
      { ...base, name: "hive-from-sensors", priority: 102, source_address_prefixes: ["192.0.2.0/24", "203.0.113.7/32"], resource_group_name: expect.any(String), network_security_group_name: expect.any(String) },
      { ...base, name: "hive-load-balancer-probe", priority: 103, source_address_prefix: "AzureLoadBalancer", resource_group_name: expect.any(String), network_security_group_name: expect.any(String) },
    ]);
    expect([...rules].sort((a, b) => a.priority - b.priority).map((r) => [r.name, r.priority, r.access, r.destination_port_range])).toEqual([
      ["logstash-from-honeypots", 100, "Allow", "5044"],
      ["elasticsearch-from-dashboard", 101, "Allow", "9200"],
      ["hive-from-sensors", 102, "Allow", "64294"],
      ["hive-load-balancer-probe", 103, "Allow", "64294"],
      ["deny-everything-else", 4096, "Deny", "*"],
    ]);
    expect(new Set(rules.map((r) => r.priority)).size).toBe(rules.length);
    // No other NSG gains the port.
    const elsewhere = all(stack, "azurerm_network_security_rule").filter(([, r]) => r.destination_port_range === "64294" && !String(r.network_security_group_name).includes(".Honeynet_ElasticSecurityGroup_"));
    expect(elsewhere).toEqual([]);
  });

  it("warns that the IPv6 sensor CIDRs are left out", () => {
    expect(warnings.filter((w) => w.startsWith("hiveInput"))).toEqual(["hiveInput.allowCidrs (honeynet.analytics.hiveAllowCidrs): 2001:db8::/32 left out: the hive's load balancer address is IPv4 only"]);
    expect(build({ hiveInput: { allowCidrs: ["192.0.2.0/24"] }, honeypots: ["cowrie"] }).warnings.filter((w) => w.startsWith("hiveInput"))).toEqual([]);
  });

  it("one vault and one identity, lure-hive-server, with Secrets User for it and Secrets Officer for the deployer, both on the vault; no secret value", () => {
    const [vaultName, vault] = only(stack, "azurerm_key_vault");
    const [clientName] = Object.keys(stack.data.azurerm_client_config);
    expect(vault).toMatchObject({
      name: `lure-hive-\${substr(sha1(join("/", [data.azurerm_client_config.${clientName}.subscription_id, "lure-honeynet"])), 0, 8)}`,
      rbac_authorization_enabled: true,
      soft_delete_retention_days: 7,
      purge_protection_enabled: false,
      tags: { "lure:component": "elastic" },
    });
    const [identityName, identity] = only(stack, "azurerm_user_assigned_identity");
    expect(identity).toMatchObject({ name: "lure-hive-server", tags: { "lure:component": "elastic" } });
    const assignments = all(stack, "azurerm_role_assignment").map(([, a]) => a);
    expect(assignments).toHaveLength(2);
    expect(assignments).toEqual(
      expect.arrayContaining([
        { scope: ref("azurerm_key_vault", vaultName, "id"), role_definition_name: "Key Vault Secrets User", principal_id: ref("azurerm_user_assigned_identity", identityName, "principal_id"), principal_type: "ServicePrincipal" },
        { scope: ref("azurerm_key_vault", vaultName, "id"), role_definition_name: "Key Vault Secrets Officer", principal_id: `\${data.azurerm_client_config.${clientName}.object_id}` },
      ]),
    );
    for (const type of ["azurerm_key_vault_secret", "azurerm_key_vault_key", "azurerm_key_vault_certificate", "azurerm_key_vault_access_policy"]) expect({ type, count: all(stack, type).length }).toEqual({ type, count: 0 });
    const text = JSON.stringify(stack) + all(stack, "azurerm_linux_virtual_machine").map(([, vm]) => cloudInitText(vm)).join("");
    expect(text).not.toMatch(/-----BEGIN [A-Z ]*(KEY|CERTIFICATE)-----/);
    expect(honeynet.hiveServer!.secretName).toBe("lure-hive-server");
    expect(honeynet.sensor).toBeUndefined();
  });

  it("the Elastic VM has that identity and is one size up; the honeypot and Kibana VMs have none", () => {
    const [identityName] = only(stack, "azurerm_user_assigned_identity");
    expect(elastic.identity).toEqual({ type: "UserAssigned", identity_ids: [ref("azurerm_user_assigned_identity", identityName, "id")] });
    expect(elastic.size).toBe("Standard_B4s_v2");
    for (const [, vm] of [...tagged(stack, "azurerm_linux_virtual_machine", "honeypot"), ...tagged(stack, "azurerm_linux_virtual_machine", "dashboard")]) expect(vm.identity).toBeUndefined();
    expect(tagged(stack, "azurerm_linux_virtual_machine", "honeypot")).toHaveLength(PUBLIC_MEMBERS.length);
  });

  it("VM size: small is Standard_B2s_v2; an explicit elasticVmSize still wins", () => {
    const sizeOf = (props: Partial<AzureHoneynetProps>) => tagged(build({ honeypots: ["cowrie"], ...props }).stack, "azurerm_linux_virtual_machine", "elastic")[0][1].size;
    expect(sizeOf({ elasticSize: "small" })).toBe("Standard_B2s_v2");
    expect(sizeOf({ elasticSize: "large" })).toBe("Standard_B8s_v2");
    expect(sizeOf({ elasticSize: "small", elasticVmSize: "Standard_E2s_v5" })).toBe("Standard_E2s_v5");
  });

  it("the Elastic VM's cloud-init runs logstash-hive: T-Pot's Logstash of the catalog's release on 64294, the credential mounted read-only", () => {
    expectHiveLogstash(cloudInit(elastic), "lure-azure");
  });

  it("the credential script reads lure-hive-server from the vault with the identity's client id (tokens Terraform fills); the unit retries; containers are kept off IMDS", () => {
    const [vaultName] = only(stack, "azurerm_key_vault");
    const [identityName] = only(stack, "azurerm_user_assigned_identity");
    const doc = cloudInit(elastic);
    const script = file(doc, HIVE_CREDENTIAL_SCRIPT);
    expect(script).toContain(ref("azurerm_user_assigned_identity", identityName, "client_id"));
    expect(script).toContain('"lure-hive-server"');
    expect(script).toContain("169.254.169.254/metadata/identity/oauth2/token");
    expect(script).toContain("/etc/lure/hive/hive.crt");
    expect(script).not.toContain("sensor.crt");
    expect(vaultName).toBeDefined();
    expect(file(doc, `/etc/systemd/system/${HIVE_CREDENTIAL_UNIT}`)).toBe(hiveCredentialUnit("server"));
    expect(file(doc, `/etc/systemd/system/${METADATA_UNIT}`)).toBe(metadataUnit());
  });

  it("hiveTarget is the public IP's address on 64294", () => {
    const t = honeynet.hiveTarget!;
    expect({ cloud: t.cloud, port: t.port }).toEqual({ cloud: "azure", port: HIVE_PORT });
    const probe = build({ honeypots: ["cowrie"] }, (scope, h) => new TerraformOutput(scope, "probe", { value: h.hiveTarget!.address })).stack;
    const [ipName] = all(probe, "azurerm_public_ip").find(([, p]) => p.name === "lure-hive")!;
    expect(probe.output.probe.value).toBe(ref("azurerm_public_ip", ipName, "ip_address"));
  });

  it("outputs the endpoint, the vault, the secret and the command that stores the hive's credential, besides the dashboard's", () => {
    const [ipName] = all(stack, "azurerm_public_ip").find(([, p]) => p.name === "lure-hive")!;
    const outputs = stack.output as Record<string, Json>;
    expect(Object.keys(outputs).sort()).toEqual(["dashboard_url", "hive_credential_command", "hive_endpoint", "hive_secret", "hive_vault", "honeypot_vms", "list_public_ips", "resource_group"]);
    expect(outputs.hive_endpoint.value).toBe(`${ref("azurerm_public_ip", ipName, "ip_address")}:64294`);
    expect(outputs.hive_secret.value).toBe("lure-hive-server");
    expect(outputs.hive_credential_command.value).toBe(`az keyvault secret set --vault-name ${outputs.hive_vault.value} --name lure-hive-server --file hive-credentials/server.json`);
  });

  it("passes every policy rule", () => {
    expect(checkStack(stack)).toEqual([]);
  });

  it("the rules still watch it: a world-open Logstash on the Elastic NSG is flagged", () => {
    const open = JSON.parse(JSON.stringify(stack)) as Json;
    const rule = Object.values(open.resource.azurerm_network_security_rule as Record<string, Json>).find((r) => r.name === "hive-from-sensors")!;
    rule.destination_port_range = "5044";
    rule.source_address_prefixes = ["0.0.0.0/0"];
    expect(checkStack(open).map((v) => v.ruleId)).toEqual(["elastic-not-public"]);
  });
});

describe("AzureHoneynet as the hive: what it does not make", () => {
  it("without hiveInput: no load balancer, vault, identity or 64294 rule; the Elastic VM has no identity and its usual size", () => {
    const { stack, honeynet } = build({ hiveInput: undefined as never, honeypots: ["cowrie"] });
    for (const type of ["azurerm_lb", "azurerm_lb_backend_address_pool", "azurerm_lb_probe", "azurerm_lb_rule", "azurerm_network_interface_backend_address_pool_association", "azurerm_key_vault", "azurerm_user_assigned_identity", "azurerm_role_assignment"]) {
      expect({ type, count: all(stack, type).length }).toEqual({ type, count: 0 });
    }
    expect(all(stack, "azurerm_network_security_rule").filter(([, r]) => r.destination_port_range === "64294")).toEqual([]);
    const [[, vm]] = tagged(stack, "azurerm_linux_virtual_machine", "elastic");
    expect(vm.identity).toBeUndefined();
    expect(vm.size).toBe("Standard_B2s_v2");
    expect(Object.keys(compose(cloudInit(vm)).services)).toEqual(["elasticsearch", "logstash"]);
    expect(Object.keys(stack.output)).not.toContain("hive_endpoint");
    expect(honeynet.hiveTarget).toBeUndefined();
    expect(honeynet.hiveServer).toBeUndefined();
  });
});

describeHiveInputProps("AzureHoneynet as the hive: props", azureHoneynetPropsProblems, BASE, (props) => build(props));

describe("AzureHoneynetStack as the hive", () => {
  const config = configWith((raw) => (raw.honeynet.analytics = { hive: "azure", hiveAllowCidrs: ["192.0.2.0/24"] }));
  const stack = new AzureHoneynetStack(Testing.app(), "azure-honeynet", config, config.clouds.azure!);
  const out = JSON.parse(Testing.synth(stack)) as Json;

  it("builds the hive: its load balancer, the Elastic VM's identity and vault, Kibana", () => {
    expect(stack.honeynet.hiveTarget).toBeDefined();
    expect(all(out, "azurerm_lb_rule").map(([, r]) => r.frontend_port)).toEqual([64294]);
    expect(tagged(out, "azurerm_linux_virtual_machine", "dashboard")).toHaveLength(1);
    expect(all(out, "azurerm_user_assigned_identity").map(([, i]) => i.name)).toContain("lure-hive-server");
    const rule = all(out, "azurerm_network_security_rule").find(([, r]) => r.name === "hive-from-sensors")![1];
    expect(rule.source_address_prefixes).toEqual(["192.0.2.0/24"]);
    expect(Object.keys(out.output)).toEqual(expect.arrayContaining(["hive_endpoint", "hive_vault", "hive_secret", "hive_credential_command"]));
  });

  itIsAHiveStack("azure-honeynet", () => out);

  it("says nothing of the hive on an Azure with its own stack", () => {
    const own = configWith();
    const s = JSON.parse(Testing.synth(new AzureHoneynetStack(Testing.app(), "azure-honeynet", own, own.clouds.azure!))) as Json;
    const text = nextStepsOf(s);
    expect(text).not.toContain("hive");
    expect(all(s, "azurerm_lb")).toEqual([]);
  });
});
