/** Azure storage and secret rules (azurerm 4.55.0): bucket-private-encrypted and no-secret-values on Azure resources. */
import { bucketPrivateEncrypted } from "../../modules/core/policy/rules/bucket-private-encrypted";
import { noSecretValues } from "../../modules/core/policy/rules/no-secret-values";
import { linuxVm } from "./azure-fixtures";
import { ref, stack } from "./fixtures";

const ACCOUNT = { account_tier: "Standard", account_replication_type: "LRS", allow_nested_items_to_be_public: false };

describe("bucket-private-encrypted (Azure)", () => {
  it("accepts accounts that forbid public items, with TLS and HTTPS at their defaults or stricter, and private containers", () => {
    const s = stack({
      azurerm_storage_account: {
        plain: ACCOUNT,
        strict: { ...ACCOUNT, https_traffic_only_enabled: true, min_tls_version: "TLS1_2", public_network_access_enabled: true },
        tls13: { ...ACCOUNT, min_tls_version: "TLS1_3" },
      },
      azurerm_storage_container: { results: { storage_account_id: ref("azurerm_storage_account.plain") }, state: { storage_account_id: ref("azurerm_storage_account.plain"), container_access_type: "private" } },
    });
    expect(bucketPrivateEncrypted.check(s)).toEqual([]);
  });

  it("flags public items (also by default), HTTP, old TLS and public containers, one violation per problem", () => {
    const s = stack({
      azurerm_storage_account: {
        unset: { account_tier: "Standard", account_replication_type: "LRS" },
        open: { ...ACCOUNT, allow_nested_items_to_be_public: true, https_traffic_only_enabled: false, min_tls_version: "TLS1_0" },
        tls11: { ...ACCOUNT, min_tls_version: "TLS1_1" },
      },
      azurerm_storage_container: { blob: { container_access_type: "blob" }, all: { container_access_type: "container" } },
    });
    const v = bucketPrivateEncrypted.check(s);
    expect(v.map((x) => `${x.ruleId} ${x.resource}: ${x.message.split(";")[0]}`)).toEqual([
      "bucket-private-encrypted azurerm_storage_account.unset: azurerm_storage_account.unset allow_nested_items_to_be_public is unset (defaults to true)",
      "bucket-private-encrypted azurerm_storage_account.open: azurerm_storage_account.open allow_nested_items_to_be_public is true",
      "bucket-private-encrypted azurerm_storage_account.open: azurerm_storage_account.open https_traffic_only_enabled is false",
      'bucket-private-encrypted azurerm_storage_account.open: azurerm_storage_account.open min_tls_version is "TLS1_0"',
      'bucket-private-encrypted azurerm_storage_account.tls11: azurerm_storage_account.tls11 min_tls_version is "TLS1_1"',
      'bucket-private-encrypted azurerm_storage_container.blob: azurerm_storage_container.blob has container_access_type "blob", which allows anonymous reads',
      'bucket-private-encrypted azurerm_storage_container.all: azurerm_storage_container.all has container_access_type "container", which allows anonymous reads',
    ]);
  });
});

describe("no-secret-values (Azure)", () => {
  it("accepts empty Key Vault placeholders, write-only references, SSH-only VMs, secret ids and managed-identity storage", () => {
    const s = stack({
      azurerm_key_vault_secret: {
        shodan: { name: "shodan-api-key", key_vault_id: ref("azurerm_key_vault.kv"), value: "", lifecycle: { ignore_changes: ["value"] } },
        wo: { name: "x", key_vault_id: ref("azurerm_key_vault.kv"), value_wo: "${var.shodan_key}", value_wo_version: 1 },
      },
      azurerm_linux_virtual_machine: { es: linuxVm([], { disable_password_authentication: true }) },
      azurerm_container_app: {
        kibana: {
          secret: [{ name: "unused-kv", key_vault_secret_id: ref("azurerm_key_vault_secret.shodan", "versionless_id"), identity: ref("azurerm_user_assigned_identity.u") }],
          template: { container: [{ name: "kibana", image: "kibana", cpu: 1, memory: "2Gi", env: [{ name: "ELASTICSEARCH_HOSTS", value: "http://10.0.2.4:9200" }] }] },
        },
      },
      azurerm_function_app_flex_consumption: {
        watcher: {
          storage_authentication_type: "UserAssignedIdentity",
          app_settings: { LURE_SHODAN_SECRET_URI: ref("azurerm_key_vault_secret.shodan", "versionless_id"), LURE_QUEUE: "detections" },
        },
      },
      azurerm_linux_function_app: { y1: { storage_uses_managed_identity: true, app_settings: { LURE_SECRET_NAME: "shodan-api-key" } } },
      azurerm_container_group: { pot: { container: [{ name: "pot", environment_variables: { LOG_LEVEL: "info" } }] } },
    });
    expect(noSecretValues.check(s)).toEqual([]);
  });

  it("flags Key Vault values, VM passwords, secret env vars, Key Vault references, connection strings and storage keys", () => {
    const s = stack({
      azurerm_key_vault_secret: {
        literal: { name: "k", value: "AbCdEfGhIjKlMnOpQrStUvWxYz012345" },
        fromRandom: { name: "k", value: ref("random_password.p", "result") },
        woLiteral: { name: "k", value_wo: "hunter2" },
      },
      azurerm_linux_virtual_machine: { pw: linuxVm([], { admin_password: "P@ssw0rd!", disable_password_authentication: false }) },
      azurerm_windows_virtual_machine: { win: { admin_password: ref("random_password.p", "result") } },
      azurerm_container_app: {
        kibana: {
          secret: [{ name: "es-pass", value: "changeme" }],
          template: {
            init_container: [{ name: "setup", env: [{ name: "ELASTIC_PASSWORD", value: "changeme" }] }],
            container: [{ name: "kibana", env: [{ name: "ES_AUTH", secret_name: "es-pass" }] }],
          },
        },
      },
      azurerm_linux_function_app: {
        y1: {
          storage_account_access_key: ref("azurerm_storage_account.sa", "primary_access_key"),
          app_settings: { SHODAN_API_KEY: "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/shodan/)" },
          connection_string: [{ name: "db", type: "Custom", value: "x" }],
        },
      },
      azurerm_function_app_flex_consumption: { flex: { storage_authentication_type: "StorageAccountConnectionString", storage_access_key: ref("azurerm_storage_account.sa", "primary_access_key"), app_settings: { LURE_TOKEN: "t" } } },
      azurerm_container_group: { pot: { container: [{ name: "pot", environment_variables: { API_TOKEN: "t" }, secure_environment_variables: { X: "y" } }] } },
    });
    const v = noSecretValues.check(s);
    expect(v.every((x) => x.ruleId === "no-secret-values")).toBe(true);
    expect(v.map((x) => x.message.split(";")[0])).toEqual([
      "azurerm_key_vault_secret.literal sets value, which puts the secret into Terraform state",
      "azurerm_key_vault_secret.fromRandom sets value, which puts the secret into Terraform state",
      "azurerm_key_vault_secret.woLiteral sets value_wo to a literal, which puts the secret into cdk.tf.json",
      "azurerm_linux_virtual_machine.pw sets admin_password",
      "azurerm_linux_virtual_machine.pw sets disable_password_authentication = false",
      "azurerm_windows_virtual_machine.win sets admin_password",
      'azurerm_container_app.kibana secret "es-pass" has a value, which lands in Terraform state',
      'azurerm_container_app.kibana sets container kibana variable ES_AUTH from secret "es-pass", which puts the secret into the environment',
      "azurerm_container_app.kibana sets init_container setup variable ELASTIC_PASSWORD, which looks like a secret value",
      "azurerm_linux_function_app.y1 sets app setting SHODAN_API_KEY, which looks like a secret value",
      "azurerm_linux_function_app.y1 sets app setting SHODAN_API_KEY to a Key Vault reference, which Azure resolves into an environment variable",
      'azurerm_linux_function_app.y1 has connection_string "db", a secret in the app\'s environment',
      "azurerm_linux_function_app.y1 sets storage_account_access_key",
      "azurerm_function_app_flex_consumption.flex sets app setting LURE_TOKEN, which looks like a secret value",
      "azurerm_function_app_flex_consumption.flex sets storage_access_key",
      "azurerm_container_group.pot sets container pot variable API_TOKEN, which looks like a secret value",
      "azurerm_container_group.pot container pot sets secure_environment_variables X, which land in Terraform state and the environment",
    ]);
  });
});

describe("no-secret-values (Azure): identity-based connections", () => {
  it("accepts <connection>__credential = managedidentity, which holds no secret, and flags any other value", () => {
    const app = (settings: Record<string, string>) => stack({ azurerm_linux_function_app: { y1: { storage_uses_managed_identity: true, app_settings: settings } } });
    expect(noSecretValues.check(app({ AzureWebJobsStorage__credential: "managedidentity", LURE_QUEUE__credential: "managedidentity", LURE_QUEUE__clientId: ref("azurerm_user_assigned_identity.w", "client_id") }))).toEqual([]);
    expect(noSecretValues.check(app({ LURE_QUEUE__credential: "AccountKey=abc" })).map((v) => v.message.split(";")[0])).toEqual([
      "azurerm_linux_function_app.y1 sets app setting LURE_QUEUE__credential, which looks like a secret value",
    ]);
  });
});
