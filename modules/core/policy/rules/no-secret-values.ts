/**
 * `no-secret-values`: no secret value is written into the stack, where it would land in Terraform state
 * and in plain text in `cdk.tf.json`. Secrets are created empty and filled outside Terraform; functions
 * and containers get the secret's ARN or name, never its value.
 *
 * On Azure (azurerm 4.x): an `azurerm_key_vault_secret` has no `value` other than the empty
 * placeholder (`""`, with `ignore_changes` on it) and no literal `value_wo` (write-only keeps it out of
 * state, not out of `cdk.tf.json`); VMs and scale sets have no `admin_password` and do not set
 * `disable_password_authentication = false`; `azurerm_container_app` containers and init containers
 * have no secret-looking `env` name and no `env` fed from a `secret_name` (the secret would sit in the
 * environment), and its `secret` blocks have no `value`; function apps (`azurerm_linux_function_app`,
 * `azurerm_windows_function_app`, `azurerm_function_app_flex_consumption`) have no secret-looking
 * `app_settings` name (but an identity-based connection's `<connection>__credential` set to
 * `managedidentity`, which says how to sign in and holds nothing), no Key Vault reference (`@Microsoft.KeyVault(...)`, resolved into an environment
 * variable), no `connection_string` block and no storage access key; container groups have no
 * secret-looking `environment_variables` and no `secure_environment_variables`. Secret-looking names
 * are the AWS ones, plus `…_URI` among the names that only point at a secret (a Key Vault secret id).
 *
 * On Google Cloud (google 6.x), with the same names: a `google_secret_manager_secret_version` has no
 * `secret_data` and no literal `secret_data_wo` (versions are added with `gcloud secrets versions
 * add`); a `google_sql_user` has no `password`; VMs and instance templates have no secret-looking
 * `metadata` key (metadata is readable by anything on the VM and by every project viewer); Cloud Run
 * services and jobs have no secret-looking container `env` and no `env` fed from `value_source.secret_key_ref`
 * (the secret would sit in the environment); Cloud Functions (`google_cloudfunctions_function`,
 * `google_cloudfunctions2_function`) have no secret-looking `environment_variables` (build or run
 * time) and no `secret_environment_variables`.
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { blockList, isRecord, resourcesOf, singleBlock } from "../util";

const RULE_ID = "no-secret-values";
/** Names that announce a secret … */
const SECRET_NAME = /(api[_-]?key|token|passw(or)?d|secret|credential|private[_-]?key)/i;
/** … unless they only point at one. */
const REFERENCE_NAME = /(_ARN|_ID|_NAME|_FILE|_PATH|_URI)$/i;
/** A Shodan API key has this shape; it must never appear as a literal. */
const SHODAN_KEY = /^[A-Za-z0-9]{32}$/;

function envProblems(address: string, where: string, env: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_NAME.test(name) && !REFERENCE_NAME.test(name)) {
      out.push({ ruleId: RULE_ID, resource: address, message: `${address} sets ${where} ${name}, which looks like a secret value; pass the secret's ARN (…_ARN) and read it at run time.` });
    } else if (typeof value === "string" && SHODAN_KEY.test(value)) {
      out.push({ ruleId: RULE_ID, resource: address, message: `${address} sets ${where} ${name} to something shaped like an API key; pass the secret's ARN instead.` });
    }
  }
  return out;
}

/** An identity-based connection's `<connection>__credential`: `managedidentity` names how to sign in and holds no secret. */
const IDENTITY_CREDENTIAL = /__credential$/i;

/** App settings that Azure resolves from Key Vault into the environment. */
const KEY_VAULT_REFERENCE = /^\s*@Microsoft\.KeyVault\(/i;

const VM_TYPES: readonly string[] = [
  "azurerm_linux_virtual_machine",
  "azurerm_windows_virtual_machine",
  "azurerm_linux_virtual_machine_scale_set",
  "azurerm_windows_virtual_machine_scale_set",
];
const FUNCTION_TYPES: readonly string[] = ["azurerm_linux_function_app", "azurerm_windows_function_app", "azurerm_function_app_flex_consumption"];

const set = (v: unknown) => v !== undefined && v !== null && v !== "";
const violation = (resource: string, message: string): Violation => ({ ruleId: RULE_ID, resource, message });

function azureProblems(stack: SynthesizedStack): Violation[] {
  const out: Violation[] = [];
  for (const s of resourcesOf(stack, "azurerm_key_vault_secret")) {
    if (set(s.body["value"])) out.push(violation(s.address, `${s.address} sets value, which puts the secret into Terraform state; create it with value "" and ignore_changes, and set it with az keyvault secret set.`));
    const wo = s.body["value_wo"];
    if (typeof wo === "string" && wo !== "" && !wo.includes("${")) out.push(violation(s.address, `${s.address} sets value_wo to a literal, which puts the secret into cdk.tf.json; set it outside Terraform.`));
  }
  for (const vm of VM_TYPES.flatMap((type) => resourcesOf(stack, type))) {
    if (set(vm.body["admin_password"])) out.push(violation(vm.address, `${vm.address} sets admin_password; log in with admin_ssh_key only.`));
    const dpa = vm.body["disable_password_authentication"];
    if (dpa === false || dpa === "false") out.push(violation(vm.address, `${vm.address} sets disable_password_authentication = false; remove it (defaults to true) and use admin_ssh_key.`));
  }
  for (const app of resourcesOf(stack, "azurerm_container_app")) {
    blockList(app.body["secret"]).forEach((secret) => {
      if (set(secret["value"])) out.push(violation(app.address, `${app.address} secret ${JSON.stringify(secret["name"])} has a value, which lands in Terraform state; read the secret from Key Vault at run time.`));
    });
    const template = singleBlock(app.body["template"]);
    for (const key of ["container", "init_container"]) {
      for (const c of blockList(template?.[key])) {
        const where = `${key} ${String(c["name"])} variable`;
        const env = blockList(c["env"]);
        out.push(...envProblems(app.address, where, Object.fromEntries(env.map((e) => [String(e["name"]), e["value"]]))));
        for (const e of env.filter((e) => set(e["secret_name"]))) {
          out.push(violation(app.address, `${app.address} sets ${where} ${String(e["name"])} from secret ${JSON.stringify(e["secret_name"])}, which puts the secret into the environment; read it from Key Vault at run time.`));
        }
      }
    }
  }
  for (const fn of FUNCTION_TYPES.flatMap((type) => resourcesOf(stack, type))) {
    const settings = fn.body["app_settings"];
    if (isRecord(settings)) {
      const named = Object.fromEntries(Object.entries(settings).filter(([name, value]) => !(IDENTITY_CREDENTIAL.test(name) && value === "managedidentity")));
      out.push(...envProblems(fn.address, "app setting", named));
      for (const [name, value] of Object.entries(settings)) {
        if (typeof value === "string" && KEY_VAULT_REFERENCE.test(value)) {
          out.push(violation(fn.address, `${fn.address} sets app setting ${name} to a Key Vault reference, which Azure resolves into an environment variable; read the secret at run time with the app's managed identity.`));
        }
      }
    }
    blockList(fn.body["connection_string"]).forEach((cs) => {
      out.push(violation(fn.address, `${fn.address} has connection_string ${JSON.stringify(cs["name"])}, a secret in the app's environment; use a managed identity.`));
    });
    for (const key of ["storage_account_access_key", "storage_access_key"]) {
      if (set(fn.body[key])) out.push(violation(fn.address, `${fn.address} sets ${key}; use a managed identity for the backend storage (storage_uses_managed_identity, or storage_authentication_type UserAssignedIdentity on Flex).`));
    }
  }
  for (const group of resourcesOf(stack, "azurerm_container_group")) {
    for (const key of ["container", "init_container"]) {
      for (const c of blockList(group.body[key])) {
        const vars = c["environment_variables"];
        if (isRecord(vars)) out.push(...envProblems(group.address, `${key} ${String(c["name"])} variable`, vars));
        const secure = c["secure_environment_variables"];
        if (isRecord(secure) && Object.keys(secure).length > 0) {
          out.push(violation(group.address, `${group.address} ${key} ${String(c["name"])} sets secure_environment_variables ${Object.keys(secure).join(", ")}, which land in Terraform state and the environment; read secrets at run time.`));
        }
      }
    }
  }
  return out;
}

const GCP_COMPUTE: readonly string[] = ["google_compute_instance", "google_compute_instance_template", "google_compute_region_instance_template"];

/** Problems of Cloud Run containers (`containers` of a service's or a job's task template). */
function cloudRunContainers(address: string, containers: unknown): Violation[] {
  const out: Violation[] = [];
  for (const c of blockList(containers)) {
    const where = `container ${String(c["name"] ?? "(unnamed)")} variable`;
    const env = blockList(c["env"]);
    out.push(...envProblems(address, where, Object.fromEntries(env.map((e) => [String(e["name"]), e["value"]]))));
    for (const e of env.filter((e) => singleBlock(singleBlock(e["value_source"])?.["secret_key_ref"]))) {
      out.push(violation(address, `${address} sets ${where} ${String(e["name"])} from Secret Manager (value_source.secret_key_ref), which puts the secret into the environment; read it at run time with the service's account.`));
    }
  }
  return out;
}

function gcpProblems(stack: SynthesizedStack): Violation[] {
  const out: Violation[] = [];
  for (const v of resourcesOf(stack, "google_secret_manager_secret_version")) {
    if (set(v.body["secret_data"])) out.push(violation(v.address, `${v.address} sets secret_data, which puts the secret into Terraform state; add the version outside Terraform (gcloud secrets versions add).`));
    const wo = v.body["secret_data_wo"];
    if (typeof wo === "string" && wo !== "" && !wo.includes("${")) out.push(violation(v.address, `${v.address} sets secret_data_wo to a literal, which puts the secret into cdk.tf.json; set it outside Terraform.`));
  }
  for (const u of resourcesOf(stack, "google_sql_user").filter((u) => set(u.body["password"]))) {
    out.push(violation(u.address, `${u.address} sets password, which lands in Terraform state; use IAM database authentication or set the password outside Terraform.`));
  }
  for (const vm of GCP_COMPUTE.flatMap((type) => resourcesOf(stack, type))) {
    const metadata = vm.body["metadata"];
    if (isRecord(metadata)) out.push(...envProblems(vm.address, "metadata key", metadata));
  }
  for (const svc of resourcesOf(stack, "google_cloud_run_v2_service")) out.push(...cloudRunContainers(svc.address, singleBlock(svc.body["template"])?.["containers"]));
  for (const job of resourcesOf(stack, "google_cloud_run_v2_job")) out.push(...cloudRunContainers(job.address, singleBlock(singleBlock(job.body["template"])?.["template"])?.["containers"]));
  const functions = [
    ...resourcesOf(stack, "google_cloudfunctions_function").map((fn) => ({ fn, settings: [fn.body], build: fn.body["build_environment_variables"] })),
    ...resourcesOf(stack, "google_cloudfunctions2_function").map((fn) => ({ fn, settings: [singleBlock(fn.body["service_config"]) ?? {}], build: singleBlock(fn.body["build_config"])?.["environment_variables"] })),
  ];
  for (const { fn, settings, build } of functions) {
    if (isRecord(build)) out.push(...envProblems(fn.address, "build environment variable", build));
    for (const config of settings) {
      const vars = config["environment_variables"];
      if (isRecord(vars)) out.push(...envProblems(fn.address, "environment variable", vars));
      for (const sev of blockList(config["secret_environment_variables"])) {
        out.push(violation(fn.address, `${fn.address} sets environment variable ${String(sev["key"])} from secret ${JSON.stringify(sev["secret"] ?? null)}, which puts the secret into the environment; read it at run time with the function's account.`));
      }
    }
  }
  return out;
}

export const noSecretValues: PolicyRule = {
  id: RULE_ID,
  description: "No secret value (secret versions, SecureString, Key Vault secret, VM or SQL password) in the stack; no secret-looking env var, app setting or VM metadata key.",
  check(stack: SynthesizedStack): Violation[] {
    const out: Violation[] = [];
    for (const v of resourcesOf(stack, "aws_secretsmanager_secret_version")) {
      out.push({ ruleId: RULE_ID, resource: v.address, message: `${v.address} puts a secret value into Terraform state; create the secret empty and set it with put-secret-value.` });
    }
    for (const p of resourcesOf(stack, "aws_ssm_parameter").filter((p) => p.body["type"] === "SecureString" && (p.body["value"] !== undefined || p.body["value_wo"] === undefined))) {
      out.push({ ruleId: RULE_ID, resource: p.address, message: `${p.address} stores a SecureString value in Terraform state.` });
    }
    for (const fn of resourcesOf(stack, "aws_lambda_function")) {
      const vars = singleBlock(fn.body["environment"])?.["variables"];
      if (isRecord(vars)) out.push(...envProblems(fn.address, "environment variable", vars));
    }
    for (const td of resourcesOf(stack, "aws_ecs_task_definition")) {
      const raw = td.body["container_definitions"];
      let containers: unknown;
      try {
        containers = typeof raw === "string" ? JSON.parse(raw) : undefined;
      } catch {
        continue;
      }
      if (!Array.isArray(containers)) continue;
      for (const c of containers.filter(isRecord)) {
        const env = Array.isArray(c["environment"]) ? c["environment"].filter(isRecord) : [];
        out.push(...envProblems(td.address, `container ${String(c["name"])} variable`, Object.fromEntries(env.map((e) => [String(e["name"]), e["value"]]))));
      }
    }
    return [...out, ...azureProblems(stack), ...gcpProblems(stack)];
  },
};
