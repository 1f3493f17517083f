/** AzureHoneynet as a hive's sensor (`hive`): honeypot VMs that ship over TLS to another cloud, and nothing of Elastic's. */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse } from "yaml";
import { Testing, TerraformStack, TerraformVariable } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { expectHiveShipping, file } from "../core/host-helpers";
import { configWith, type Json } from "../helpers/synth";
import { BASE64ENCODE, cloudInit, cloudInitText } from "../helpers/azure-custom-data";
import { PROFILES } from "../../modules/core/catalog";
import { HIVE_CREDENTIAL_SCRIPT, HIVE_CREDENTIAL_UNIT, type HiveTarget } from "../../modules/core/hive";
import { honeypotHostCloudInit, INTERNAL_MEMBERS, METADATA_UNIT, metadataUnit } from "../../modules/core/host";
import { ALL_RULES, checkStack } from "../../modules/core/policy";
import { AzureHoneynet, hiveVaultName, type AzureHoneynetProps } from "../../modules/azure/honeynet";
import { AzureHoneynetStack } from "../../modules/azure/stacks";

const ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example";
const BASE: AzureHoneynetProps = { prefix: "lure", location: "westeurope", honeypots: [...PROFILES.industrial], dashboard: { allowCidrs: ["198.51.100.0/24"], allowPlaintext: true } };
const HIVE: HiveTarget = { cloud: "aws", address: "hive.example.net", port: 64294 };
const PUBLIC_MEMBERS = PROFILES.industrial.filter((h) => !INTERNAL_MEMBERS.includes(h));

/** The stack and the construct; `tokenAddress` gives the hive's address as a Terraform variable (as a cross-stack reference would). */
function synth(props: Partial<AzureHoneynetProps> = {}, opts: { tokenAddress?: boolean } = {}): { stack: Json; honeynet: AzureHoneynet } {
  const app = Testing.app();
  const stack = new TerraformStack(app, "azure-honeynet");
  new AzurermProvider(stack, "azurerm", { features: [{}] });
  const hive = props.hive && opts.tokenAddress ? { ...props.hive, address: new TerraformVariable(stack, "hive_address", { type: "string" }).stringValue } : props.hive;
  const honeynet = new AzureHoneynet(stack, "Honeynet", { ...BASE, ...props, ...(hive ? { hive } : {}) });
  return { stack: JSON.parse(Testing.synth(stack)) as Json, honeynet };
}

const all = (stack: Json, type: string): [string, Json][] => Object.entries((stack.resource?.[type] ?? {}) as Record<string, Json>);
const tagged = (stack: Json, type: string, component: string, honeypot?: string) =>
  all(stack, type).filter(([, b]) => b.tags?.["lure:component"] === component && (honeypot === undefined || b.tags?.["lure:honeypot"] === honeypot));
// Outputs keep their names in Terraform (`terraform output hive_vault`), not cdktf's path-and-hash ids.
const outputs = (stack: Json): Record<string, Json> => (stack.output ?? {}) as Record<string, Json>;
const only = (stack: Json, type: string): [string, Json] => {
  const found = all(stack, type);
  expect(found).toHaveLength(1);
  return found[0];
};

const vmOf = (stack: Json, hp: string): Json => tagged(stack, "azurerm_linux_virtual_machine", "honeypot", hp)[0][1];

describe("AzureHoneynet as a hive's sensor, industrial profile", () => {
  let stack: Json;
  let honeynet: AzureHoneynet;
  let own: Json;
  beforeAll(() => {
    ({ stack, honeynet } = synth({ hive: HIVE }));
    own = synth().stack;
  });

  it(`exactly ${PUBLIC_MEMBERS.length} VMs, all honeypots; no Elastic or Kibana VM, NIC, NSG, IP or disk; no NAT gateway`, () => {
    expect(all(stack, "azurerm_linux_virtual_machine")).toHaveLength(PUBLIC_MEMBERS.length);
    expect(tagged(stack, "azurerm_linux_virtual_machine", "honeypot")).toHaveLength(PUBLIC_MEMBERS.length);
    for (const hp of PUBLIC_MEMBERS) expect(tagged(stack, "azurerm_linux_virtual_machine", "honeypot", hp)).toHaveLength(1);
    for (const type of ["azurerm_linux_virtual_machine", "azurerm_network_interface", "azurerm_network_security_group", "azurerm_public_ip"]) {
      expect(tagged(stack, type, "elastic")).toHaveLength(0);
      expect(tagged(stack, type, "dashboard")).toHaveLength(0);
    }
    expect(all(stack, "azurerm_public_ip")).toHaveLength(PUBLIC_MEMBERS.length); // no NAT gateway IP, no Kibana IP
    expect(all(stack, "azurerm_public_ip").every(([, ip]) => ip.tags["lure:component"] === "honeypot")).toBe(true);
    expect(all(stack, "azurerm_network_security_group")).toHaveLength(PUBLIC_MEMBERS.length);
    for (const type of ["azurerm_nat_gateway", "azurerm_nat_gateway_public_ip_association", "azurerm_subnet_nat_gateway_association", "azurerm_managed_disk", "azurerm_virtual_machine_data_disk_attachment"]) {
      expect(all(stack, type)).toHaveLength(0);
    }
    expect(all(stack, "azurerm_network_security_rule").filter(([, r]) => ["5044", "9200", "80"].includes(r.destination_port_range) && r.access === "Allow" && r.source_address_prefix !== "*")).toEqual([]);
    expect(honeynet.elasticVm).toBeUndefined();
    expect(honeynet.elasticAddress).toBeUndefined();
    expect(honeynet.kibanaVm).toBeUndefined();
    expect(honeynet.kibanaIp).toBeUndefined();
    expect(honeynet.dashboardUrl).toBeUndefined();
    expect(honeynet.sensor).toBeDefined();
  });

  it("keeps the resource group, the network, the three subnets and every honeypot resource under the same construct ids, unchanged", () => {
    for (const type of ["azurerm_resource_group", "azurerm_virtual_network", "azurerm_subnet"]) {
      expect(Object.fromEntries(all(stack, type))).toEqual(Object.fromEntries(all(own, type)));
    }
    expect(all(stack, "azurerm_subnet")).toHaveLength(3);
    // The honeypots' IPs, NSGs, rules and NICs are the default's; only the VMs gain the identity and the shipping.
    for (const type of ["azurerm_public_ip", "azurerm_network_security_group", "azurerm_network_interface", "azurerm_network_security_rule", "azurerm_network_interface_security_group_association"]) {
      expect(Object.fromEntries(all(stack, type))).toEqual(Object.fromEntries(all(own, type).filter(([name]) => name.includes("_Honeypot-"))));
    }
    expect(all(stack, "azurerm_linux_virtual_machine").map(([n]) => n)).toEqual(tagged(own, "azurerm_linux_virtual_machine", "honeypot").map(([n]) => n));
  });

  it("every honeypot VM has exactly the one user-assigned identity, the honeynet's only identity", () => {
    const [identityName, identity] = only(stack, "azurerm_user_assigned_identity");
    expect(identity).toMatchObject({ name: "lure-hive-sensor", location: "westeurope", tags: { "lure:component": "logs" } });
    for (const [, vm] of all(stack, "azurerm_linux_virtual_machine")) {
      expect(vm.identity).toEqual({ type: "UserAssigned", identity_ids: [`\${azurerm_user_assigned_identity.${identityName}.id}`] });
    }
  });

  it("one Key Vault: RBAC authorization, standard, soft delete 7 days, the deploying tenant, a derived global name", () => {
    const [, vault] = only(stack, "azurerm_key_vault");
    const [clientName] = Object.entries(stack.data.azurerm_client_config as Record<string, Json>)[0];
    expect(Object.keys(stack.data.azurerm_client_config)).toHaveLength(1);
    expect(vault).toEqual({
      name: `lure-hive-\${substr(sha1(join("/", [data.azurerm_client_config.${clientName}.subscription_id, "lure-honeynet"])), 0, 8)}`,
      location: "westeurope",
      resource_group_name: expect.stringMatching(/^\$\{azurerm_resource_group\.[^.]+\.name\}$/),
      tenant_id: `\${data.azurerm_client_config.${clientName}.tenant_id}`,
      sku_name: "standard",
      rbac_authorization_enabled: true,
      soft_delete_retention_days: 7,
      purge_protection_enabled: false,
      tags: { "lure:component": "logs" },
    });
    expect(honeynet.sensor!.secretName).toBe("lure-hive-sensor");
  });

  it("exactly two role assignments, both on the vault: Secrets User for the honeypots' identity, Secrets Officer for the deploying principal", () => {
    const [vaultName] = only(stack, "azurerm_key_vault");
    const [identityName] = only(stack, "azurerm_user_assigned_identity");
    const [clientName] = Object.keys(stack.data.azurerm_client_config);
    const assignments = all(stack, "azurerm_role_assignment").map(([, a]) => a);
    expect(assignments).toHaveLength(2);
    expect(assignments).toEqual(
      expect.arrayContaining([
        {
          scope: `\${azurerm_key_vault.${vaultName}.id}`,
          role_definition_name: "Key Vault Secrets User",
          principal_id: `\${azurerm_user_assigned_identity.${identityName}.principal_id}`,
          principal_type: "ServicePrincipal",
        },
        {
          scope: `\${azurerm_key_vault.${vaultName}.id}`,
          role_definition_name: "Key Vault Secrets Officer",
          principal_id: `\${data.azurerm_client_config.${clientName}.object_id}`,
        },
      ]),
    );
  });

  it("no credential in Terraform: no Key Vault secret, key or certificate, no access policy, no PEM anywhere", () => {
    for (const type of ["azurerm_key_vault_secret", "azurerm_key_vault_key", "azurerm_key_vault_certificate", "azurerm_key_vault_access_policy"]) expect(all(stack, type)).toHaveLength(0);
    const text = JSON.stringify(stack) + all(stack, "azurerm_linux_virtual_machine").map(([, vm]) => cloudInitText(vm)).join("");
    expect(text).not.toMatch(/-----BEGIN [A-Z ]*(KEY|CERTIFICATE)-----/);
  });

  it("cowrie's Filebeat ships to hive.example.net:64294 over TLS with the sensor certificate, every input named lure-azure", () => {
    const doc = cloudInit(vmOf(stack, "cowrie"));
    expectHiveShipping(file(doc, "/etc/lure/filebeat.yml"), "hive.example.net:64294", "lure-azure");
  });

  it.each(PUBLIC_MEMBERS)("%s: ships to the hive, never to a private Logstash", (hp) => {
    const filebeat = parse(file(cloudInit(vmOf(stack, hp)), "/etc/lure/filebeat.yml")) as Json;
    expect(filebeat["output.logstash"].hosts).toEqual(["hive.example.net:64294"]);
    expect(filebeat["output.logstash"]["ssl.enabled"]).toBe(true);
    expect((filebeat["filebeat.inputs"] as Json[]).every((i) => i.fields.lure_sensor === "lure-azure")).toBe(true);
  });

  it("the credential script reads the vault and secret with the identity's client id; the unit fetches at boot; containers cannot reach 169.254.169.254", () => {
    const [vaultName] = only(stack, "azurerm_key_vault");
    const [identityName] = only(stack, "azurerm_user_assigned_identity");
    const doc = cloudInit(vmOf(stack, "cowrie"));
    const script = file(doc, HIVE_CREDENTIAL_SCRIPT);
    const vaultExpr = stack.resource.azurerm_key_vault[vaultName].name as string;
    expect(script).toContain(`"https://" + "${vaultExpr}" + ".vault.azure.net/secrets/" + "lure-hive-sensor" + "?api-version=7.4"`);
    expect(script).toContain(`&client_id=" + "\${azurerm_user_assigned_identity.${identityName}.client_id}"`);
    expect(file(doc, `/etc/systemd/system/${HIVE_CREDENTIAL_UNIT}`)).toContain(`ExecStart=${HIVE_CREDENTIAL_SCRIPT}`);
    expect(doc.runcmd).toContainEqual(["systemctl", "enable", "--now", "--no-block", HIVE_CREDENTIAL_UNIT]);
    expect(file(doc, `/etc/systemd/system/${METADATA_UNIT}`)).toBe(metadataUnit());
    expect(doc.runcmd).toContainEqual(["systemctl", "enable", "--now", METADATA_UNIT]);
    const compose = parse(file(doc, "/etc/lure/compose.yaml")) as Json;
    expect(compose.services.shipper.volumes).toContain("/etc/lure/hive:/etc/lure/hive:ro");
  });

  it("custom_data is Terraform's base64encode of the document (it holds tokens), well under Azure's 64 KiB", () => {
    for (const [, vm] of all(stack, "azurerm_linux_virtual_machine")) {
      expect(vm.custom_data).toMatch(BASE64ENCODE);
      expect(Buffer.byteLength(cloudInitText(vm))).toBeLessThan(48 * 1024);
    }
    // Without tokens, the literal base64 of before.
    for (const [, vm] of all(own, "azurerm_linux_virtual_machine")) expect(vm.custom_data).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it("outputs: the vault, the secret and the command that stores the credential; no dashboard_url; the others kept", () => {
    const out = outputs(stack);
    const [vaultName] = only(stack, "azurerm_key_vault");
    const vaultExpr = stack.resource.azurerm_key_vault[vaultName].name as string;
    expect(Object.keys(out).sort()).toEqual(["hive_credential_command", "hive_secret", "hive_vault", "honeypot_vms", "list_public_ips", "resource_group"]);
    expect(out.hive_vault.value).toBe(vaultExpr);
    expect(out.hive_secret.value).toBe("lure-hive-sensor");
    expect(out.hive_credential_command.value).toBe(`az keyvault secret set --vault-name ${vaultExpr} --name lure-hive-sensor --file hive-credentials/sensor.json`);
    const ownOut = outputs(own);
    expect(Object.keys(ownOut)).toContain("dashboard_url");
    for (const k of ["honeypot_vms", "list_public_ips", "resource_group"]) expect(out[k]).toEqual(ownOut[k]);
  });

  it.each(ALL_RULES.map((r) => [r.id, r] as const))("rule %s: zero violations", (_id, rule) => {
    expect(checkStack(stack, [rule])).toEqual([]);
  });
});

describe("AzureHoneynet as a sensor of a hive whose address is a token", () => {
  let stack: Json;
  beforeAll(() => {
    stack = synth({ hive: HIVE, honeypots: ["cowrie", "dicompot"] }, { tokenAddress: true }).stack;
  });

  it("exactly 2 honeypot VMs, each with the identity, nothing of Elastic's or Kibana's, no NAT gateway", () => {
    expect(all(stack, "azurerm_linux_virtual_machine")).toHaveLength(2);
    expect(tagged(stack, "azurerm_linux_virtual_machine", "honeypot")).toHaveLength(2);
    expect(all(stack, "azurerm_public_ip")).toHaveLength(2);
    for (const type of ["azurerm_nat_gateway", "azurerm_managed_disk"]) expect(all(stack, type)).toHaveLength(0);
    const [identityName] = only(stack, "azurerm_user_assigned_identity");
    for (const [, vm] of all(stack, "azurerm_linux_virtual_machine")) expect(vm.identity).toEqual({ type: "UserAssigned", identity_ids: [`\${azurerm_user_assigned_identity.${identityName}.id}`] });
    expect(all(stack, "azurerm_role_assignment")).toHaveLength(2);
  });

  it("the shipper's host is the token, as Terraform interpolates it inside base64encode", () => {
    for (const hp of ["cowrie", "dicompot"]) {
      const vm = vmOf(stack, hp);
      expect(vm.custom_data).toMatch(BASE64ENCODE);
      const filebeat = parse(file(cloudInit(vm), "/etc/lure/filebeat.yml")) as Json;
      expect(filebeat["output.logstash"].hosts).toEqual(["${var.hive_address}:64294"]);
      expect(filebeat["output.logstash"]["ssl.verification_mode"]).toBe("certificate");
    }
  });

  it("every policy rule: zero violations; no dashboard_url", () => {
    expect(checkStack(stack)).toEqual([]);
    expect(Object.keys(outputs(stack))).not.toContain("dashboard_url");
  });

  const terraform = spawnSync("terraform", ["version"], { encoding: "utf8" }).status === 0;
  (terraform ? it : it.skip)("Terraform evaluates custom_data to the base64 of the very document, tokens filled in (terraform, no provider)", () => {
    const values = { client_id: "11111111-2222-4333-8444-555555555555", sub: "00000000-0000-4000-8000-000000000001", hive_address: "hive.example.net" };
    const vm = vmOf(stack, "cowrie");
    const expr = (vm.custom_data as string)
      .replace(/azurerm_user_assigned_identity\.[A-Za-z0-9_-]+\.client_id/g, "var.client_id")
      .replace(/data\.azurerm_client_config\.[A-Za-z0-9_-]+\.subscription_id/g, "var.sub");
    const dir = mkdtempSync(join(tmpdir(), "lure-custom-data-"));
    try {
      writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ variable: { client_id: { type: "string" }, sub: { type: "string" }, hive_address: { type: "string" } }, output: { doc: { value: expr } } }));
      const vars = Object.entries(values).flatMap(([k, v]) => ["-var", `${k}=${v}`]);
      const env = { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" };
      const applied = spawnSync("terraform", [`-chdir=${dir}`, "apply", "-auto-approve", "-input=false", "-no-color", ...vars], { encoding: "utf8", env });
      expect({ status: applied.status, errors: applied.stderr.includes("Error") ? applied.stderr : "" }).toEqual({ status: 0, errors: "" });
      const got = spawnSync("terraform", [`-chdir=${dir}`, "output", "-raw", "doc"], { encoding: "utf8", env }).stdout;
      const hex = createHash("sha1").update(`${values.sub}/lure-honeynet`).digest("hex").slice(0, 8);
      const expected = honeypotHostCloudInit({
        honeypot: "cowrie",
        hive: { target: { ...HIVE, address: values.hive_address }, credential: { cloud: "azure", vaultName: `lure-hive-${hex}`, secretName: "lure-hive-sensor", clientId: values.client_id }, sensorName: "lure-azure" },
        adminSsh: {},
      });
      expect(Buffer.from(got, "base64").toString("utf8")).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("AzureHoneynet as a sensor, with the admin's key", () => {
  it("admin SSH on 64295 from adminCidrs on each honeypot VM, and nowhere else (there is no Elastic VM to jump to)", () => {
    const { stack } = synth({ hive: HIVE, honeypots: ["cowrie", "dicompot"], adminSshPublicKey: ADMIN_KEY, adminCidrs: ["192.0.2.0/28"] });
    const admin = all(stack, "azurerm_network_security_rule").filter(([, r]) => r.name === "admin-ssh").map(([, r]) => r);
    expect(admin).toHaveLength(2);
    expect(admin.every((r) => r.destination_port_range === "64295" && r.protocol === "Tcp" && JSON.stringify(r.source_address_prefixes) === '["192.0.2.0/28"]')).toBe(true);
    expect(checkStack(stack)).toEqual([]);
  });
});

describe("hiveVaultName", () => {
  const VALID = /^[a-z](?!.*--)[a-z0-9-]{1,22}[a-z0-9]$/;

  it.each([
    ["lure", "lure-hive-1a2b3c4d"],
    ["lure-prod-e1", "lure-prod-hive-1a2b3c4d"], // cut to "lure-prod-", then its trailing hyphen dropped
    ["honeynetabcd", "honeynetab-hive-1a2b3c4d"], // cut to 10
    ["9lure", "lure-hive-1a2b3c4d"], // a vault name starts with a letter
    ["42", "lure-hive-1a2b3c4d"],
  ])("%s → %s", (prefix, name) => {
    expect(hiveVaultName(prefix, "1a2b3c4d")).toBe(name);
  });

  it("fits Azure's rule for every prefix the config accepts (2-12 characters)", () => {
    const prefixes = ["ab", "a-b", "a1-2-3-4-5-6", "abcdefghijkl", "abcdefghi-kl", "x-y-z-a-b-c1", "lure-2026-eu"];
    for (const p of prefixes) {
      const name = hiveVaultName(p, "ffffffff");
      expect(name.length).toBeLessThanOrEqual(24);
      expect(name).toMatch(VALID);
    }
  });

  it("refuses a literal unique part that breaks the rule; a token passes unchecked", () => {
    expect(() => hiveVaultName("lure", "TOOLONG123")).toThrow(/Key Vault name "lure-hive-TOOLONG123" is not valid/);
    expect(() => hiveVaultName("lure", "-ab")).toThrow(/is not valid/);
    const { honeynet } = synth({ hive: HIVE, honeypots: ["cowrie"] });
    expect(honeynet.sensor!.vaultName).toMatch(/^lure-hive-\$\{TfToken\[TOKEN\.\d+\]\}$/);
  });
});

describe("sensor props", () => {
  it("the dashboard checks do not apply: no IPv4 in the allow-list, or an AWS certificate without allowPlaintext, are accepted", () => {
    expect(() => synth({ hive: HIVE, honeypots: ["cowrie"], dashboard: { allowCidrs: ["2001:db8::/48"], allowPlaintext: true } })).not.toThrow();
    const cert = "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234";
    expect(() => synth({ hive: HIVE, honeypots: ["cowrie"], dashboard: { allowCidrs: ["198.51.100.0/24"], certificateArn: cert } })).not.toThrow();
    // Without hive, both are still refused.
    expect(() => synth({ honeypots: ["cowrie"], dashboard: { allowCidrs: ["2001:db8::/48"], allowPlaintext: true } })).toThrow(/dashboard\.allowCidrs: has no IPv4 CIDR/);
    expect(() => synth({ honeypots: ["cowrie"], dashboard: { allowCidrs: ["198.51.100.0/24"], certificateArn: cert } })).toThrow(/dashboard\.allowPlaintext: the Azure honeynet serves Kibana over plain HTTP only/);
  });

  it("refuses Azure as its own hive, and being the hive as well", () => {
    expect(() => synth({ hive: { cloud: "azure", address: "hive.example.net" }, honeypots: ["cowrie"] })).toThrow(/hive\.cloud: "azure" cannot be this honeynet's hive; a sensor ships to another cloud's hive: "aws", "gcp"/);
    expect(() => synth({ hive: HIVE, hiveInput: { allowCidrs: ["0.0.0.0/0"] }, honeypots: ["cowrie"] })).toThrow(/hiveInput: is set together with hive: a honeynet is either the hive \(hiveInput\) or a sensor/);
  });
});

describe("AzureHoneynetStack", () => {
  const synthStack = (change: (c: Json) => void, hive?: HiveTarget): Json => {
    const config = configWith(change);
    return JSON.parse(Testing.synth(new AzureHoneynetStack(Testing.app(), "azure-honeynet", config, config.clouds.azure!, hive))) as Json;
  };
  const nextSteps = (stack: Json): string => Object.entries(stack.output as Record<string, Json>).find(([k]) => k.startsWith("next_steps"))![1].value;

  it("by default (no hive) still has its Elastic and Kibana VMs, the NAT gateway, the data disk and dashboard_url; no vault, no identity", () => {
    // The watcher's own vault, identity and roles are watcher.test.ts's.
    const stack = synthStack((c) => (c.watcher = { enabled: false }));
    const publicMembers = PROFILES.industrial.filter((h) => !INTERNAL_MEMBERS.includes(h));
    expect(all(stack, "azurerm_linux_virtual_machine")).toHaveLength(publicMembers.length + 2);
    expect(tagged(stack, "azurerm_linux_virtual_machine", "elastic")).toHaveLength(1);
    expect(tagged(stack, "azurerm_linux_virtual_machine", "dashboard")).toHaveLength(1);
    expect(tagged(stack, "azurerm_public_ip", "dashboard")).toHaveLength(1);
    expect(all(stack, "azurerm_nat_gateway")).toHaveLength(1);
    expect(all(stack, "azurerm_managed_disk")).toHaveLength(1);
    expect(all(stack, "azurerm_linux_virtual_machine").every(([, vm]) => vm.identity === undefined)).toBe(true);
    for (const type of ["azurerm_key_vault", "azurerm_user_assigned_identity", "azurerm_role_assignment"]) expect(all(stack, type)).toHaveLength(0);
    expect(stack.data?.azurerm_client_config).toBeUndefined();
    expect(Object.keys(outputs(stack))).toContain("dashboard_url");
    expect(nextSteps(stack)).toContain("Elasticsearch");
    // Given a hive but not configured as its sensor, the stack ignores it.
    expect(all(synthStack(() => {}, HIVE), "azurerm_linux_virtual_machine")).toHaveLength(publicMembers.length + 2);
    expect(checkStack(stack)).toEqual([]);
  });

  it("as AWS's sensor: next_steps sends the user to the hive's Kibana, names no Elastic jump host, and says how to store the credential", () => {
    const stack = synthStack((c) => {
      c.honeynet.analytics = { hive: "aws" };
      c.honeynet.adminSshPublicKey = ADMIN_KEY;
      c.honeynet.adminCidrs = ["192.0.2.0/28"];
    }, HIVE);
    expect(tagged(stack, "azurerm_linux_virtual_machine", "elastic")).toHaveLength(0);
    expect(tagged(stack, "azurerm_linux_virtual_machine", "dashboard")).toHaveLength(0);
    const text = nextSteps(stack);
    expect(text).toContain("The honeypots ship their events to the hive (AWS): see them in the hive's Kibana.");
    expect(text).toContain("hive_credential_command");
    expect(text).toContain("Admin SSH: ssh -p 64295 lure@<VM address> from 192.0.2.0/28.");
    expect(text).not.toMatch(/Elastic|-J /);
    expect(Object.keys(outputs(stack))).not.toContain("dashboard_url");
  });
});
