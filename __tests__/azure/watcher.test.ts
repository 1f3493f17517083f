/**
 * The Azure Watcher in `azure-honeynet`: what it is made of, who may do what where, and the contract
 * with the function package (the built bundle loads with the app settings the construct sets and
 * registers exactly the two functions the host expects).
 */
import { createHash } from "crypto";
import { readFileSync, rmSync } from "fs";
import { basename } from "path";
import { Testing } from "cdktf";
import { HOST_JSON } from "../../functions/azure/host";
import { azureFunctionPackage, zipFiles } from "../../modules/core/bundle";
import { ConfigError } from "../../modules/core/config";
import { checkStack } from "../../modules/core/policy";
import { AzureHoneynetStack } from "../../modules/azure/stacks";
import { AzureWatcher, ROLES } from "../../modules/azure/watcher";
import { FAKE_FUNCTIONS_CORE as FAKE_CORE, loadPackage, unpackPackage, unzip, type Loaded } from "../helpers/function-package";
import { configWith, ref, resources, type Json } from "../helpers/synth";

/** A synthesized variant: the stack JSON and, for construct-level checks, the stack itself. */
interface Variant {
  readonly out: Json;
  readonly stack: AzureHoneynetStack;
}

function synth(change: (c: Json) => void): Variant {
  const config = configWith(change);
  const stack = new AzureHoneynetStack(Testing.app(), "azure-honeynet", config, config.clouds.azure!);
  return { out: JSON.parse(Testing.synth(stack)) as Json, stack };
}

let plain: Variant; // the default config: watcher on, no e-mail, no rotation
let full: Variant; // e-mail, rotation, a cron schedule
let off: Variant; // watcher.enabled false

beforeAll(() => {
  plain = synth(() => {});
  full = synth((c) => (c.watcher = { schedule: "cron(0 */6 * * ? *)", alertEmail: "soc@example.org", rotateOnExposure: true, minRotationIntervalHours: 12 }));
  off = synth((c) => (c.watcher = { enabled: false }));
});

/** The address of the watcher's resource of `type` whose construct id is `id` (`Watcher_<id>_<hash>`). */
function addressOf(out: Json, type: string, id: string): string {
  const names = Object.keys(out.resource?.[type] ?? {}).filter((n) => new RegExp(`^Watcher_${id.replace(/[-]/g, "\\-")}_[0-9A-F]{8}$`).test(n));
  expect({ type, id, found: names.length }).toEqual({ type, id, found: 1 });
  return `${type}.${names[0]}`;
}
const bodyOf = (out: Json, address: string): Json => {
  const [type, name] = address.split(".");
  return out.resource[type][name];
};
const watcherResource = (out: Json, type: string, id: string): Json => bodyOf(out, addressOf(out, type, id));
const honeynetAddress = (out: Json, type: string, id: string): string => {
  const names = Object.keys(out.resource?.[type] ?? {}).filter((n) => n.startsWith(`Honeynet_${id}_`));
  expect(names).toHaveLength(1);
  return `${type}.${names[0]}`;
};
const settingsOf = (out: Json): Record<string, string> => watcherResource(out, "azurerm_linux_function_app", "App").app_settings;

describe("schedule", () => {
  test("the AWS forms become the timer's NCRONTAB (UTC, six fields)", () => {
    expect(settingsOf(plain.out).LURE_SCHEDULE).toBe("0 0 */12 * * *");
    expect(settingsOf(full.out).LURE_SCHEDULE).toBe("0 0 */6 * * *");
  });

  test("a schedule no timer can keep is refused with its path, with every other problem, before anything is made", () => {
    const honeynet = off.stack.honeynet;
    let error: unknown;
    try {
      new AzureWatcher(off.stack, "Refused", { honeynet, schedule: "rate(7 minutes)", resultsRetentionDays: 0 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect((error as ConfigError).source).toBe("azure-honeynet/Refused");
    expect(problems.map((p) => p.path)).toEqual(["resultsRetentionDays", "schedule"]);
    expect(problems[1].message).toMatch(/^"rate\(7 minutes\)" has no exact Azure Functions timer schedule/);
    expect(off.stack.node.findChild("Refused").node.children).toHaveLength(0);
  });
});

describe("storage", () => {
  test("the account: HTTPS only, TLS 1.2, no public items, no shared keys, Entra ID by default", () => {
    const account = watcherResource(plain.out, "azurerm_storage_account", "Storage");
    expect(account).toMatchObject({
      account_kind: "StorageV2",
      account_tier: "Standard",
      account_replication_type: "LRS",
      https_traffic_only_enabled: true,
      min_tls_version: "TLS1_2",
      allow_nested_items_to_be_public: false,
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
      resource_group_name: ref(addressOf(plain.out, "azurerm_resource_group", "ResourceGroup"), "name"),
    });
    // A global name: the prefix, then 8 hex digits of the subscription and group that Terraform computes.
    expect(account.name).toMatch(/^lurewatch\$\{substr\(sha1\(join\("\/", \[data\.azurerm_client_config\.Watcher_Client_[0-9A-F]{8}\.subscription_id, "lure-watcher"\]\)\), 0, 8\)\}$/);
    expect(watcherResource(plain.out, "azurerm_resource_group", "ResourceGroup").name).toBe("lure-watcher");
  });

  test("the lookup queue and its poison queue, on the account (ARM API)", () => {
    const account = addressOf(plain.out, "azurerm_storage_account", "Storage");
    expect(watcherResource(plain.out, "azurerm_storage_queue", "Queue")).toEqual({ name: "ips", storage_account_id: ref(account) });
    expect(watcherResource(plain.out, "azurerm_storage_queue", "PoisonQueue")).toEqual({ name: "ips-poison", storage_account_id: ref(account) });
    expect(resources(plain.out, "azurerm_storage_queue")).toHaveLength(2);
  });

  test("private containers: results, packages and the host's two", () => {
    const account = addressOf(plain.out, "azurerm_storage_account", "Storage");
    const containers: Record<string, Json> = Object.fromEntries(resources(plain.out, "azurerm_storage_container").map(([, c]) => [c.name, c]));
    expect(Object.keys(containers).sort()).toEqual(["azure-webjobs-hosts", "azure-webjobs-secrets", "packages", "results"]);
    for (const c of Object.values(containers)) expect(c).toEqual({ name: c.name, storage_account_id: ref(account), container_access_type: "private" });
  });

  test("results/ history expires after resultsRetentionDays; latest/ and state/ are kept", () => {
    const policy = watcherResource(plain.out, "azurerm_storage_management_policy", "ResultsLifecycle");
    expect(policy.rule).toEqual([
      {
        name: "expire-results",
        enabled: true,
        filters: { blob_types: ["blockBlob"], prefix_match: ["results/results/"] },
        actions: { base_blob: { delete_after_days_since_modification_greater_than: 365 } },
      },
    ]);
  });

  test("the provider reaches blobs with Entra ID, and skips the account's data-plane reads, only when the stack has a watcher", () => {
    expect(plain.out.provider.azurerm[0].storage_use_azuread).toBe(true);
    // Refreshing a keyless account would read its queue properties as the deployer, who has no data role.
    expect(plain.out.provider.azurerm[0].features).toEqual([{ storage: [{ data_plane_available: false }] }]);
    expect(off.out.provider.azurerm[0]).not.toHaveProperty("storage_use_azuread");
    expect(off.out.provider.azurerm[0].features).toEqual([{}]);
  });
});

describe("Key Vault of the Shodan key", () => {
  test("RBAC, 7 days soft delete, no purge protection, and no secret in the stack at all", () => {
    const vault = watcherResource(plain.out, "azurerm_key_vault", "Vault");
    expect(vault).toMatchObject({ sku_name: "standard", rbac_authorization_enabled: true, soft_delete_retention_days: 7, purge_protection_enabled: false });
    expect(vault.name).toMatch(/^lure-watch-\$\{substr\(sha1/);
    for (const v of [plain, full]) expect(v.out.resource.azurerm_key_vault_secret).toBeUndefined();
  });

  test("the key command reads the key from the terminal and names the vault and secret", () => {
    const command = plain.out.output.watcher_api_key_command.value as string;
    expect(command).toMatch(/^read -rsp "Shodan API key: " LURE_KEY && echo && printf %s "\$LURE_KEY" \| az keyvault secret set --vault-name lure-watch-\$\{substr\(/);
    expect(command).toContain("--name shodan-api-key --file /dev/stdin --output none; unset LURE_KEY");
  });
});

describe("role assignments", () => {
  const expected = (out: Json): Record<string, [string, string, "app" | "deployer"]> => {
    const at = (type: string, id: string, attr = "id") => ref(addressOf(out, type, id), attr);
    return {
      QueueSender: [ROLES.queueSender, at("azurerm_storage_queue", "Queue"), "app"],
      QueueReader: [ROLES.queueReader, at("azurerm_storage_queue", "Queue"), "app"],
      QueueProcessor: [ROLES.queueProcessor, at("azurerm_storage_queue", "Queue"), "app"],
      PoisonQueueContributor: ["Storage Queue Data Contributor", at("azurerm_storage_queue", "PoisonQueue"), "app"],
      ResultsContributor: ["Storage Blob Data Contributor", at("azurerm_storage_container", "ResultsContainer"), "app"],
      PackagesReader: ["Storage Blob Data Reader", at("azurerm_storage_container", "PackagesContainer"), "app"],
      HostsContributor: ["Storage Blob Data Contributor", at("azurerm_storage_container", "HostsContainer"), "app"],
      HostSecretsContributor: ["Storage Blob Data Contributor", at("azurerm_storage_container", "HostSecretsContainer"), "app"],
      ApiKeyReader: ["Key Vault Secrets User", at("azurerm_key_vault", "Vault", "id"), "app"],
      InsightsPublisher: ["Monitoring Metrics Publisher", at("azurerm_application_insights", "Insights", "id"), "app"],
      "Discovery-Reader": ["Reader", ref(honeynetAddress(out, "azurerm_resource_group", "ResourceGroup")), "app"],
      ApiKeyOfficer: ["Key Vault Secrets Officer", at("azurerm_key_vault", "Vault", "id"), "deployer"],
      PackagesUploader: ["Storage Blob Data Contributor", at("azurerm_storage_container", "PackagesContainer"), "deployer"],
    };
  };
  const principals = (out: Json) => ({
    app: ref(addressOf(out, "azurerm_user_assigned_identity", "Identity"), "principal_id"),
    deployer: `\${data.azurerm_client_config.${Object.keys(out.data.azurerm_client_config).find((n) => n.startsWith("Watcher_Client_"))}.object_id}`,
  });

  test("each by construct id, with its exact role, scope and principal; nothing else", () => {
    const table = expected(plain.out);
    const who = principals(plain.out);
    for (const [id, [role, scope, principal]] of Object.entries(table)) {
      const a = watcherResource(plain.out, "azurerm_role_assignment", id);
      expect({ id, role: a.role_definition_name, scope: a.scope, principal: a.principal_id, type: a.principal_type }).toEqual({
        id,
        role,
        scope,
        principal: who[principal],
        type: principal === "app" ? "ServicePrincipal" : undefined,
      });
    }
    expect(resources(plain.out, "azurerm_role_assignment")).toHaveLength(Object.keys(table).length);
  });

  test("with alertEmail, the one built-in role Communication Services honours for sending, on the service", () => {
    const a = watcherResource(full.out, "azurerm_role_assignment", "EmailSender");
    expect(a).toMatchObject({ role_definition_name: "Communication and Email Service Owner", scope: ref(addressOf(full.out, "azurerm_communication_service", "Communication")), principal_id: principals(full.out).app });
  });

  test("negative: nothing at subscription scope or above, no administrator role, every scope one resource of the stack", () => {
    for (const v of [plain, full]) {
      for (const [address, a] of resources(v.out, "azurerm_role_assignment")) {
        expect({ address, role: a.role_definition_name }).not.toEqual({ address, role: expect.stringMatching(/^(Owner|Contributor|User Access Administrator|Role Based Access Control Administrator)$/) });
        expect({ address, scope: a.scope }).toEqual({ address, scope: expect.stringMatching(/^\$\{azurerm_[a-z_]+\.[A-Za-z0-9_-]+\.id\}$/) });
        expect(a.scope).not.toMatch(/subscription|management_group/);
      }
    }
  });

  test("the app starts only once its identity may read the package and use the queues and host containers", () => {
    const app = watcherResource(plain.out, "azurerm_linux_function_app", "App");
    const table = expected(plain.out);
    const appRoles = Object.entries(table).filter(([, [, , p]]) => p === "app").map(([id]) => addressOf(plain.out, "azurerm_role_assignment", id));
    expect([...app.depends_on].sort()).toEqual(appRoles.sort());
  });
});

describe("rotation permissions, only with rotateOnExposure", () => {
  test("none without it", () => {
    expect(plain.out.resource.azurerm_role_definition).toBeUndefined();
    expect(resources(plain.out, "azurerm_role_assignment").filter(([a]) => a.includes("_Rotation-"))).toEqual([]);
  });

  test("two custom roles with exactly their actions, defined and assignable at the honeynet's group only", () => {
    const rg = ref(honeynetAddress(full.out, "azurerm_resource_group", "ResourceGroup"));
    const roles = {
      "public-ips": ["Microsoft.Network/publicIPAddresses/read", "Microsoft.Network/publicIPAddresses/write", "Microsoft.Network/publicIPAddresses/delete", "Microsoft.Network/publicIPAddresses/join/action"],
      "nic-swap": ["Microsoft.Network/networkInterfaces/read", "Microsoft.Network/networkInterfaces/write", "Microsoft.Network/virtualNetworks/subnets/join/action", "Microsoft.Network/networkSecurityGroups/join/action"],
    };
    for (const [key, actions] of Object.entries(roles)) {
      const d = watcherResource(full.out, "azurerm_role_definition", `RotationRole-${key}`);
      expect(d).toMatchObject({ scope: rg, assignable_scopes: [rg], permissions: [{ actions }] });
      expect(d.name).toMatch(new RegExp(`^lure-watcher-${key}-\\$\\{substr\\(sha1`));
    }
    expect(resources(full.out, "azurerm_role_definition")).toHaveLength(2);
  });

  test("public IPs on the group; NIC swap on each honeypot's NIC and NSG and the honeypot subnet; nothing else", () => {
    const out = full.out;
    const role = (key: string) => ref(addressOf(out, "azurerm_role_definition", `RotationRole-${key}`), "role_definition_resource_id");
    const hosts = full.stack.honeynet.hosts.map((h) => h.name);
    expect(hosts.length).toBeGreaterThan(5);
    const want: Record<string, [string, string]> = {
      PublicIps: [role("public-ips"), ref(honeynetAddress(out, "azurerm_resource_group", "ResourceGroup"))],
      Subnet: [role("nic-swap"), ref(honeynetAddress(out, "azurerm_subnet", "HoneypotSubnet"))],
      ...Object.fromEntries(hosts.flatMap((h) => [
        [`Nic-${h}`, [role("nic-swap"), ref(honeynetAddress(out, "azurerm_network_interface", `Honeypot-${h}-Nic`))]],
        [`SecurityGroup-${h}`, [role("nic-swap"), ref(honeynetAddress(out, "azurerm_network_security_group", `Honeypot-${h}-SecurityGroup`))]],
      ])),
    };
    for (const [key, [definition, scope]] of Object.entries(want)) {
      const a = watcherResource(out, "azurerm_role_assignment", `Rotation-${key}`);
      expect({ key, definition: a.role_definition_id, name: a.role_definition_name, scope: a.scope }).toEqual({ key, definition, name: undefined, scope });
    }
    expect(resources(out, "azurerm_role_assignment").filter(([a]) => a.includes("_Rotation-"))).toHaveLength(Object.keys(want).length);
    expect(resources(out, "azurerm_role_assignment").some(([, a]) => a.role_definition_name === "Network Contributor")).toBe(false);
  });
});

describe("AzureHoneynet.rotationAccess", () => {
  test("scoped to the named honeypots; an unknown one is refused", () => {
    const hn = full.stack.honeynet;
    const grant = hn.rotationAccess(["cowrie"]);
    if (grant.cloud !== "azure") throw new Error("not an Azure grant");
    expect(grant.roleAssignments.map((a) => [a.key, a.role])).toEqual([
      ["PublicIps", "public-ips"],
      ["Nic-cowrie", "nic-swap"],
      ["Subnet", "nic-swap"],
      ["SecurityGroup-cowrie", "nic-swap"],
    ]);
    expect(grant.customRoles?.map((r) => r.key)).toEqual(["public-ips", "nic-swap"]);
    expect(() => hn.rotationAccess(["tanner"])).toThrow(/tanner is not a public honeypot/);
  });
});

describe("e-mail, only with alertEmail", () => {
  const EMAIL_TYPES = ["azurerm_email_communication_service", "azurerm_email_communication_service_domain", "azurerm_communication_service", "azurerm_communication_service_email_domain_association"];

  test("without it: no e-mail resource, and the three alert settings empty (log-only alerts)", () => {
    for (const type of EMAIL_TYPES) expect({ type, r: plain.out.resource[type] }).toEqual({ type, r: undefined });
    const s = settingsOf(plain.out);
    expect([s.LURE_ALERT_ENDPOINT, s.LURE_ALERT_SENDER, s.LURE_ALERT_TO]).toEqual(["", "", ""]);
  });

  test("with it: an Azure-managed domain linked to a Communication Service in the location's geography, and the app sends from it", () => {
    for (const type of EMAIL_TYPES) expect({ type, n: resources(full.out, type).length }).toEqual({ type, n: 1 });
    const service = addressOf(full.out, "azurerm_email_communication_service", "EmailService");
    const domain = addressOf(full.out, "azurerm_email_communication_service_domain", "EmailDomain");
    const communication = addressOf(full.out, "azurerm_communication_service", "Communication");
    expect(bodyOf(full.out, service).data_location).toBe("UK");
    expect(bodyOf(full.out, communication).data_location).toBe("UK");
    expect(bodyOf(full.out, domain)).toMatchObject({ name: "AzureManagedDomain", domain_management: "AzureManaged", email_service_id: ref(service) });
    expect(watcherResource(full.out, "azurerm_communication_service_email_domain_association", "EmailDomainAssociation")).toEqual({ communication_service_id: ref(communication), email_service_domain_id: ref(domain) });
    const s = settingsOf(full.out);
    expect([s.LURE_ALERT_ENDPOINT, s.LURE_ALERT_SENDER, s.LURE_ALERT_TO]).toEqual([`https://${ref(communication, "hostname")}/`, `DoNotReply@${ref(domain, "from_sender_domain")}`, "soc@example.org"]);
  });
});

describe("the function app", () => {
  test("Linux Consumption (Y1), Node 22, one instance at most, HTTPS only, no FTP or basic publishing, no built-in logging", () => {
    expect(watcherResource(plain.out, "azurerm_service_plan", "Plan")).toMatchObject({ os_type: "Linux", sku_name: "Y1" });
    const app = watcherResource(plain.out, "azurerm_linux_function_app", "App");
    expect(app).toMatchObject({
      https_only: true,
      ftp_publish_basic_authentication_enabled: false,
      webdeploy_publish_basic_authentication_enabled: false,
      builtin_logging_enabled: false,
      storage_uses_managed_identity: true,
      storage_account_name: ref(addressOf(plain.out, "azurerm_storage_account", "Storage"), "name"),
      identity: { type: "UserAssigned", identity_ids: [ref(addressOf(plain.out, "azurerm_user_assigned_identity", "Identity"))] },
      site_config: { application_stack: { node_version: "22" }, app_scale_limit: 1, ftps_state: "Disabled", minimum_tls_version: "1.2", scm_minimum_tls_version: "1.2" },
    });
    expect(app).not.toHaveProperty("storage_account_access_key");
  });

  test("the host's connections use the identity; logs go to workspace-based Application Insights with Entra ID only", () => {
    const s = settingsOf(plain.out);
    const identity = addressOf(plain.out, "azurerm_user_assigned_identity", "Identity");
    const clientId = ref(identity, "client_id");
    expect(s).toMatchObject({
      AzureWebJobsStorage__credential: "managedidentity",
      AzureWebJobsStorage__clientId: clientId,
      LURE_QUEUE__queueServiceUri: ref(addressOf(plain.out, "azurerm_storage_account", "Storage"), "primary_queue_endpoint"),
      LURE_QUEUE__credential: "managedidentity",
      LURE_QUEUE__clientId: clientId,
      WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID: ref(identity),
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${clientId};Authorization=AAD`,
    });
    const insights = watcherResource(plain.out, "azurerm_application_insights", "Insights");
    expect(insights).toMatchObject({ application_type: "Node.JS", local_authentication_disabled: true, workspace_id: ref(addressOf(plain.out, "azurerm_log_analytics_workspace", "Logs")) });
    expect(watcherResource(plain.out, "azurerm_log_analytics_workspace", "Logs")).toMatchObject({ sku: "PerGB2018", retention_in_days: 30, local_authentication_enabled: false });
  });

  test("the package blob is content-addressed, uploaded after the deployer may write, and the app runs from its URL", () => {
    const pkg = azureFunctionPackage();
    const zip = readFileSync(pkg.zipPath);
    const hex = createHash("sha256").update(zip).digest("hex");
    const blobAddress = addressOf(plain.out, "azurerm_storage_blob", "Package");
    const blob = bodyOf(plain.out, blobAddress);
    expect(blob).toMatchObject({
      name: `watcher-${hex.slice(0, 16)}.zip`,
      type: "Block",
      storage_container_name: ref(addressOf(plain.out, "azurerm_storage_container", "PackagesContainer"), "name"),
      depends_on: [addressOf(plain.out, "azurerm_role_assignment", "PackagesUploader")],
      lifecycle: { create_before_destroy: true, ignore_changes: ["source"] },
    });
    expect(blob.source).toMatch(/^\$\{abspath\("assets\/Watcher_PackageCode_[0-9A-F]{8}\/[0-9a-f]+\/(.+)"\)\}$/);
    expect(basename(/"([^"]+)"/.exec(blob.source)![1])).toBe(basename(pkg.zipPath));
    expect(settingsOf(plain.out).WEBSITE_RUN_FROM_PACKAGE).toBe(ref(blobAddress, "url"));
  });
});

describe("policy rules", () => {
  test.each([["default", () => plain], ["e-mail, rotation, cron", () => full], ["no watcher", () => off]])("%s: every rule passes", (_n, v) => {
    expect(checkStack(v().out)).toEqual([]);
  });

  test("no watcher when watcher.enabled is false: no watcher resource, output or provider setting", () => {
    const all = Object.entries(off.out.resource as Record<string, Record<string, Json>>).flatMap(([t, byName]) => Object.keys(byName).map((n) => `${t}.${n}`));
    expect(all.filter((a) => a.includes(".Watcher_"))).toEqual([]);
    expect(Object.keys(off.out.output).filter((o) => o.startsWith("watcher_"))).toEqual([]);
    expect(off.stack.watcher).toBeUndefined();
  });

  test("outputs of the watcher, by the names the README gives", () => {
    expect(Object.keys(plain.out.output).filter((o) => o.startsWith("watcher_")).sort()).toEqual([
      "watcher_alert_email",
      "watcher_api_key_command",
      "watcher_api_key_vault",
      "watcher_function_app",
      "watcher_logs",
      "watcher_poison_queue",
      "watcher_results",
    ]);
  });
});

// ------------------------------------------------------------------------------------------------
// The construct ↔ function contract

/** The app settings as a deployed app sees them: Terraform references resolved to plausible values. */
function deployedSettings(out: Json): Record<string, string> {
  const GUID = "0b1f6471-1bf0-4dda-aec3-111122223333";
  const queueName = (name: string) => out.resource.azurerm_storage_queue[name].name as string;
  return Object.fromEntries(
    Object.entries(settingsOf(out)).map(([k, v]) => [
      k,
      v
        .replace(/\$\{azurerm_storage_queue\.([A-Za-z0-9_-]+)\.url\}/g, (_m, n: string) => `https://lurewatch1a2b3c4d.queue.core.windows.net/${queueName(n)}`)
        .replace(/\$\{azurerm_storage_account\.[A-Za-z0-9_-]+\.primary_(blob|queue)_endpoint\}/g, "https://lurewatch1a2b3c4d.$1.core.windows.net/")
        .replace(/\$\{azurerm_key_vault\.[A-Za-z0-9_-]+\.vault_uri\}/g, "https://lure-watch-1a2b3c4d.vault.azure.net/")
        .replace(/\$\{azurerm_communication_service\.[A-Za-z0-9_-]+\.hostname\}/g, "lure-watcher-1a2b3c4d.uk.communication.azure.com")
        .replace(/\$\{azurerm_email_communication_service_domain\.[A-Za-z0-9_-]+\.from_sender_domain\}/g, `${GUID}.azurecomm.net`)
        .replace(/\$\{[^}]+\.(client_id|subscription_id|principal_id|tenant_id)\}/g, GUID)
        .replace(/\$\{azurerm_linux_virtual_machine\.Honeynet_Honeypot-([A-Za-z0-9_]+?)-Vm_[0-9A-F]{8}\.name\}/g, "lure-hp-$1")
        .replace(/\$\{[^}]+\}/g, "lure-resolved"),
    ]),
  );
}

describe("environment contract: the built package loads with the construct's app settings", () => {
  let dir: string;
  /** The three loads run at once: each is a Node start plus the 1.5 MB bundle. */
  let loads: Record<"plain" | "full" | "wrong", Loaded>;
  beforeAll(async () => {
    dir = unpackPackage(azureFunctionPackage().zipPath, { "@azure/functions-core": FAKE_CORE });
    const [p, f, w] = await Promise.all([
      loadPackage(dir, deployedSettings(plain.out)),
      loadPackage(dir, deployedSettings(full.out)),
      loadPackage(dir, { ...deployedSettings(plain.out), LURE_VAULT_URL: "http://not-https" }),
    ]);
    loads = { plain: p, full: f, wrong: w };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("the zip holds index.js, host.json (HOST_JSON) and package.json (main: index.js), and is reproducible", () => {
    const zip = readFileSync(azureFunctionPackage().zipPath);
    const files = unzip(zip);
    expect([...files.keys()]).toEqual(["index.js", "host.json", "package.json"]);
    expect(JSON.parse(files.get("host.json")!.toString("utf8"))).toEqual(HOST_JSON);
    expect(JSON.parse(files.get("package.json")!.toString("utf8"))).toEqual({ main: "index.js" });
    expect(zipFiles([...files].map(([name, content]) => ({ name, content }))).equals(zip)).toBe(true);
    // The worker provides functions-core; the SDKs it does not provide are inside.
    const code = files.get("index.js")!.toString("utf8");
    expect(code).toContain('require("@azure/functions-core")');
    expect(code).toMatch(/SecretClient/);
  });

  test.each([["plain", "default"], ["full", "e-mail, rotation, cron"]] as const)("%s (%s): no env error, and exactly list-ips (timer) and lookup (queue) are registered", (variant, _label) => {
    const { stdout, stderr, failed } = loads[variant];
    expect({ failed, stderr: failed ? stderr.slice(-2000) : "" }).toEqual({ failed: false, stderr: "" });
    const registered = JSON.parse(stdout) as { name: string; bindings: Record<string, Json> }[];
    const triggers = registered.map((r) => {
      const t = Object.values(r.bindings).find((b) => b.direction === "in" && /Trigger$/.test(b.type))!;
      return { name: r.name, type: t.type, schedule: t.schedule, queueName: t.queueName, connection: t.connection };
    });
    expect(triggers).toEqual([
      { name: "list-ips", type: "timerTrigger", schedule: "%LURE_SCHEDULE%", queueName: undefined, connection: undefined },
      { name: "lookup", type: "queueTrigger", schedule: undefined, queueName: "%LURE_QUEUE_NAME%", connection: "LURE_QUEUE" },
    ]);
  });

  test("a wrong setting stops the package at load, naming the variable", () => {
    expect(loads.wrong.failed).toBe(true);
    expect(loads.wrong.stderr).toMatch(/invalid environment: LURE_VAULT_URL is "http:\/\/not-https"/);
  });
});

describe("Censys and extra targets", () => {
  const both = () =>
    synth((c) => {
      c.watcher.indexes = ["shodan", "censys"];
      c.watcher.censys = { everyHours: 12 };
      c.watcher.extraTargets = ["185.199.108.7"];
    });

  test("Censys: the app is told its secret's name in the watcher's vault; no new role assignment, no secret made by Terraform", () => {
    const v = both();
    const settings = settingsOf(v.out);
    expect(settings).toMatchObject({ LURE_CENSYS_SECRET: "censys-api-key", LURE_CENSYS_SECRET_NAME: "censys-api-key", LURE_CENSYS_EVERY_HOURS: "12" });
    expect(settings).not.toHaveProperty("LURE_CENSYS_ORG");
    // The vault-scoped Secrets User role covers both keys (the vault holds nothing else); the count is unchanged.
    expect(resources(v.out, "azurerm_role_assignment")).toHaveLength(resources(plain.out, "azurerm_role_assignment").length);
    expect(resources(v.out, "azurerm_key_vault_secret")).toHaveLength(0);
    expect(v.out.output.watcher_censys_command.value).toContain("az keyvault secret set --vault-name lure-watch-");
    expect(v.out.output.watcher_censys_command.value).toContain("--name censys-api-key --file /dev/stdin");
    expect(plain.out.output).not.toHaveProperty("watcher_censys_command");
  });

  test("extra targets go to the app as single addresses; the default config sets neither", () => {
    expect(JSON.parse(settingsOf(both().out).LURE_EXTRA_TARGETS)).toEqual([{ ip: "185.199.108.7", honeypot: "external" }]);
    expect(Object.keys(settingsOf(plain.out)).filter((k) => /CENSYS|EXTRA/.test(k))).toEqual([]);
  });
});
