/**
 * The Azure Watcher: every cycle a timer function lists the honeynet's public IPs and queues them; a
 * queue-triggered function looks each up on Shodan (one request a second for every instance together,
 * through a gate blob), keeps the answer in a private container, e-mails on a change and, when
 * enabled, moves an exposed honeypot to a new public IP.
 *
 *   timer → list-ips ─┐                       ┌→ results container (results/, latest/, state/)
 *                     └→ queue (+ -poison) → lookup → Communication Services e-mail
 *                                                  └→ the honeypot's public IP and NIC (rotation)
 *
 * Hosting: Linux Consumption (Y1) with `app_scale_limit = 1`, the code a content-addressed package
 * blob the app runs from (`WEBSITE_RUN_FROM_PACKAGE`), so `cdktf deploy` deploys the code and a
 * changed package is a new URL. Flex Consumption cannot be deployed by azurerm 4.55 (its zip deploy
 * is refused) and cannot be capped below 40 instances.
 *
 * No key anywhere: the storage account refuses shared keys, the host and both functions use one
 * user-assigned identity (identity-based connections), Application Insights accepts Entra ID only,
 * and the Shodan key is a Key Vault secret the user sets (`az keyvault secret set`) that Terraform
 * never creates. Every role assignment is its own construct, at the narrowest scope that works.
 */
import { Annotations, TerraformStack, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { ApplicationInsights } from "@cdktf/provider-azurerm/lib/application-insights";
import { CommunicationService } from "@cdktf/provider-azurerm/lib/communication-service";
import { CommunicationServiceEmailDomainAssociation } from "@cdktf/provider-azurerm/lib/communication-service-email-domain-association";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { EmailCommunicationService } from "@cdktf/provider-azurerm/lib/email-communication-service";
import { EmailCommunicationServiceDomain } from "@cdktf/provider-azurerm/lib/email-communication-service-domain";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { LinuxFunctionApp } from "@cdktf/provider-azurerm/lib/linux-function-app";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageBlob } from "@cdktf/provider-azurerm/lib/storage-blob";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { StorageManagementPolicy } from "@cdktf/provider-azurerm/lib/storage-management-policy";
import { StorageQueue } from "@cdktf/provider-azurerm/lib/storage-queue";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { AzureStack } from "../../providers/azure";
import { consumptionFunctionApp, functionInsights, hostContainers, LOG_RETENTION_RANGE, packageBlob, privateContainer, privateStorageAccount, workspaceRetention } from "./function-host";

export { APP_SCALE_LIMIT, HOST_CONTAINERS, LOG_RETENTION_RANGE, NODE_VERSION, PACKAGES_CONTAINER } from "./function-host";
import { AZURE_WATCHER_ENV } from "../../functions/azure/env";
import { azureFunctionPackage } from "../core/bundle";
import { ConfigError, type ConfigProblem } from "../core/config";
import type { AccessGrant, IWatcher, WatcherProps } from "../core/interfaces";
import { componentTags, resourceName, slug } from "../core/naming";
import type { AZURE_LOCATIONS } from "../core/regions";
import { toNcrontab } from "../core/schedule";
import { watcherPropsProblems, watcherRuntime } from "../core/validate";
import { deploymentUnique, keyVaultName, KEY_VAULT_SECRETS_OFFICER, KEY_VAULT_SECRETS_USER, HIVE_VAULT_SOFT_DELETE_DAYS, UNIQUE_LENGTH } from "./honeynet";

/** Shodan allows one request per second per account; the gate spaces every instance's requests by this. */
export const SHODAN_MIN_INTERVAL_MS = 1000;
/** The secret the user sets (the vault is the watcher's own, so a plain name is enough). */
export const API_KEY_SECRET_NAME = "shodan-api-key";
/** The Censys token's secret, in the same vault, when `indexes` has "censys". */
export const CENSYS_SECRET_NAME = "censys-api-key";
export const QUEUE_NAME = "ips";
/** Where the host moves a message after its last failed dequeue: `<queue>-poison`, by convention. */
export const POISON_QUEUE_NAME = `${QUEUE_NAME}-poison`;
export const RESULTS_CONTAINER = "results";
/** The app's connection name of the queue trigger: the host reads `LURE_QUEUE__*`. */
export const QUEUE_CONNECTION = "LURE_QUEUE";
/** The Azure-managed domain's sender (its domain is Azure's, `<guid>.azurecomm.net`). */
export const ALERT_SENDER_USER = "DoNotReply";
/** Entra ID sending needs this built-in role: Communication Services ignores custom roles. */
export const EMAIL_SENDER_ROLE = "Communication and Email Service Owner";

/** Built-in roles the watcher assigns, by what they let its identity do. */
export const ROLES = {
  queueSender: "Storage Queue Data Message Sender",
  queueReader: "Storage Queue Data Reader",
  queueProcessor: "Storage Queue Data Message Processor",
  queueContributor: "Storage Queue Data Contributor",
  blobContributor: "Storage Blob Data Contributor",
  blobReader: "Storage Blob Data Reader",
  secretsUser: KEY_VAULT_SECRETS_USER,
  secretsOfficer: KEY_VAULT_SECRETS_OFFICER,
  metricsPublisher: "Monitoring Metrics Publisher",
} as const;

type AzureLocation = (typeof AZURE_LOCATIONS)[number];
type Principal = "app" | "deployer";

/**
 * Where Communication Services keeps the e-mail (it holds honeypot IPs) for each location: the
 * geography of the location, or the nearest one offered where Communication Services has none of its
 * own (Mexico: United States; Qatar and Israel: UAE and Europe; New Zealand: Australia).
 */
export const EMAIL_DATA_LOCATION: Readonly<Record<AzureLocation, string>> = {
  eastus: "United States", eastus2: "United States", centralus: "United States", northcentralus: "United States", southcentralus: "United States",
  westcentralus: "United States", westus: "United States", westus2: "United States", westus3: "United States", mexicocentral: "United States",
  canadacentral: "Canada", canadaeast: "Canada", brazilsouth: "Brazil",
  northeurope: "Europe", westeurope: "Europe", italynorth: "Europe", polandcentral: "Europe", spaincentral: "Europe", swedencentral: "Europe",
  austriaeast: "Europe", belgiumcentral: "Europe", israelcentral: "Europe",
  uksouth: "UK", ukwest: "UK", francecentral: "France", germanywestcentral: "Germany", norwayeast: "Norway", switzerlandnorth: "Switzerland",
  uaenorth: "UAE", qatarcentral: "UAE", southafricanorth: "Africa",
  centralindia: "India", southindia: "India", westindia: "India",
  eastasia: "Asia Pacific", southeastasia: "Asia Pacific", indonesiacentral: "Asia Pacific", malaysiawest: "Asia Pacific",
  japaneast: "Japan", japanwest: "Japan", koreacentral: "Korea", koreasouth: "Korea",
  australiaeast: "Australia", australiasoutheast: "Australia", australiacentral: "Australia", newzealandnorth: "Australia",
};

export interface AzureWatcherProps extends WatcherProps {
  /** Azure location of the watcher's resources. @default the stack's location */
  readonly location?: string;
}

/** What the validated props come to: the schedule as NCRONTAB, and the retention Azure accepts. */
interface Settings {
  readonly ncrontab: string;
  readonly logRetentionDays: number;
}

/**
 * What `props` cannot be built from, with the props' paths: {@link watcherPropsProblems}, the
 * honeynet's cloud, and a schedule an Azure Functions timer cannot keep (`toNcrontab`).
 */
export function azureWatcherPropsProblems(props: AzureWatcherProps): ConfigProblem[] {
  const out = watcherPropsProblems(props);
  if (props.honeynet.publicIpSource.cloud !== "azure") out.push({ path: "honeynet", message: `runs on ${props.honeynet.publicIpSource.cloud}; AzureWatcher watches Azure honeynets` });
  const schedule = props.schedule ?? "rate(12 hours)";
  // A schedule the shared check refuses is reported once, by it.
  if (!out.some((p) => p.path === "schedule")) {
    const timer = toNcrontab(schedule);
    if (!timer.ok) out.push({ path: "schedule", message: `"${schedule}" ${timer.problem}` });
  }
  // The e-mail's data location follows from it (the config checks the stack's location itself).
  if (props.location !== undefined && !(props.location in EMAIL_DATA_LOCATION)) out.push({ path: "location", message: `"${props.location}" is not an Azure location lure knows` });
  const days = props.logRetentionDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) out.push({ path: "logRetentionDays", message: `${days} is not allowed; allowed: a whole number of days` });
  return out;
}

export class AzureWatcher extends Construct implements IWatcher {
  /** The results container's URL. */
  readonly resultsLocation: string;
  readonly apiKeySecretName = API_KEY_SECRET_NAME;
  readonly resourceGroup: ResourceGroup;
  readonly storageAccount: StorageAccount;
  readonly queue: StorageQueue;
  readonly poisonQueue: StorageQueue;
  readonly resultsContainer: StorageContainer;
  readonly packageBlob: StorageBlob;
  readonly identity: UserAssignedIdentity;
  readonly vault: KeyVault;
  /** The vault's name as Terraform computes it (a token). */
  readonly vaultName: string;
  readonly insights: ApplicationInsights;
  readonly functionApp: LinuxFunctionApp;
  /** The Communication Service that sends the alerts; none without `alertEmail`. */
  readonly communication?: CommunicationService;
  /** The NCRONTAB schedule of the timer (UTC). */
  readonly ncrontab: string;

  constructor(scope: Construct, id: string, props: AzureWatcherProps) {
    super(scope, id);
    const problems = azureWatcherPropsProblems(props);
    if (problems.length > 0) throw new ConfigError(this.node.path, problems);
    const stack = TerraformStack.of(this);
    if (!(stack instanceof AzureStack)) throw new Error(`${this.node.path}: AzureWatcher must be created inside an AzureStack`);
    const source = props.honeynet.publicIpSource;
    if (source.cloud !== "azure") throw new Error(`${this.node.path}: the honeynet is not on Azure`);
    const settings = this.settings(props);
    this.ncrontab = settings.ncrontab;
    const prefix = props.prefix ?? stack.prefix;
    const location = props.location ?? stack.location;
    if (props.alertEmail && !(location in EMAIL_DATA_LOCATION)) throw new Error(`${this.node.path}: the stack's location "${location}" is not an Azure location lure knows, so the e-mail's data location is not either`);
    const tags = { ...(props.tags ?? {}), ...componentTags("watcher") };
    const rotate = props.rotateOnExposure ?? false;
    const rgName = resourceName(prefix, ["watcher"], 64);
    const common = { location, resourceGroupName: rgName, tags };

    this.resourceGroup = new ResourceGroup(this, "ResourceGroup", { name: rgName, location, tags });
    const group = { ...common, resourceGroupName: this.resourceGroup.name };
    const client = new DataAzurermClientConfig(this, "Client", {});
    // Storage accounts, vaults, apps and Communication Services have global names.
    const unique = deploymentUnique(client.subscriptionId, rgName);

    // --- storage: queues, results, package, the host's containers ----------------------------------
    // Entra ID only: no account key or SAS can reach the results, queues or package.
    this.storageAccount = privateStorageAccount(this, group, `${slug(prefix).replace(/[^a-z0-9]/g, "").slice(0, 24 - "watch".length - UNIQUE_LENGTH) || "lure"}watch${unique}`);
    const account = this.storageAccount;
    this.queue = new StorageQueue(this, "Queue", { name: QUEUE_NAME, storageAccountId: account.id });
    // The host would create it on the first poison message, with rights the identity does not have.
    this.poisonQueue = new StorageQueue(this, "PoisonQueue", { name: POISON_QUEUE_NAME, storageAccountId: account.id });
    this.resultsContainer = privateContainer(this, "ResultsContainer", RESULTS_CONTAINER, account);
    const { packages, hosts, secrets: hostSecrets } = hostContainers(this, account);
    new StorageManagementPolicy(this, "ResultsLifecycle", {
      storageAccountId: account.id,
      rule: [
        {
          // History only: latest/ and state/ are what the next lookup compares with, and stay.
          name: "expire-results",
          enabled: true,
          filters: { blobTypes: ["blockBlob"], prefixMatch: [`${RESULTS_CONTAINER}/results/`] },
          actions: { baseBlob: { deleteAfterDaysSinceModificationGreaterThan: props.resultsRetentionDays ?? 365 } },
        },
      ],
    });
    this.resultsLocation = `${account.primaryBlobEndpoint}${RESULTS_CONTAINER}`;

    // --- identity, vault, logs --------------------------------------------------------------------
    this.identity = new UserAssignedIdentity(this, "Identity", { ...group, name: rgName });
    this.vaultName = keyVaultName(prefix, "-watch-", unique);
    this.vault = new KeyVault(this, "Vault", {
      ...group,
      name: this.vaultName,
      tenantId: client.tenantId,
      skuName: "standard",
      rbacAuthorizationEnabled: true,
      softDeleteRetentionDays: HIVE_VAULT_SOFT_DELETE_DAYS,
      purgeProtectionEnabled: false,
    });
    this.insights = functionInsights(this, group, rgName, settings.logRetentionDays).insights;

    // --- e-mail ---------------------------------------------------------------------------------
    let alert = { endpoint: "", sender: "", to: "" };
    if (props.alertEmail) {
      const dataLocation = EMAIL_DATA_LOCATION[location as AzureLocation];
      const email = new EmailCommunicationService(this, "EmailService", { resourceGroupName: this.resourceGroup.name, name: `${rgName}-${unique}`, dataLocation, tags });
      const domain = new EmailCommunicationServiceDomain(this, "EmailDomain", { name: "AzureManagedDomain", emailServiceId: email.id, domainManagement: "AzureManaged", tags });
      this.communication = new CommunicationService(this, "Communication", { resourceGroupName: this.resourceGroup.name, name: `${rgName}-${unique}`, dataLocation, tags });
      new CommunicationServiceEmailDomainAssociation(this, "EmailDomainAssociation", { communicationServiceId: this.communication.id, emailServiceDomainId: domain.id });
      // The env check wants a URL with a path; the SDK joins its routes to either form.
      alert = { endpoint: `https://${this.communication.hostname}/`, sender: `${ALERT_SENDER_USER}@${domain.fromSenderDomain}`, to: props.alertEmail };
    }

    // --- who may do what --------------------------------------------------------------------------
    this.principals = { app: this.identity.principalId, deployer: client.objectId };
    const app: Principal = "app";
    const deployer: Principal = "deployer";
    const startsWith: ITerraformDependable[] = [
      this.assign("QueueSender", ROLES.queueSender, this.queue.id, app),
      this.assign("QueueReader", ROLES.queueReader, this.queue.id, app),
      this.assign("QueueProcessor", ROLES.queueProcessor, this.queue.id, app),
      this.assign("PoisonQueueContributor", ROLES.queueContributor, this.poisonQueue.id, app),
      this.assign("ResultsContributor", ROLES.blobContributor, this.resultsContainer.id, app),
      this.assign("PackagesReader", ROLES.blobReader, packages.id, app),
      this.assign("HostsContributor", ROLES.blobContributor, hosts.id, app),
      this.assign("HostSecretsContributor", ROLES.blobContributor, hostSecrets.id, app),
      this.assign("ApiKeyReader", ROLES.secretsUser, this.vault.id, app),
      this.assign("InsightsPublisher", ROLES.metricsPublisher, this.insights.id, app),
      ...this.grant("Discovery", props.honeynet.discoveryAccess(), app, unique, prefix),
      ...(rotate ? this.grant("Rotation", props.honeynet.rotationAccess(), app, unique, prefix) : []),
    ];
    if (this.communication) startsWith.push(this.assign("EmailSender", EMAIL_SENDER_ROLE, this.communication.id, app));
    // The deploying principal's type (user or service principal) is not known here; Azure finds it.
    this.assign("ApiKeyOfficer", ROLES.secretsOfficer, this.vault.id, deployer);
    const uploader = this.assign("PackagesUploader", ROLES.blobContributor, packages.id, deployer);

    // --- the code and the app -----------------------------------------------------------------------
    this.packageBlob = packageBlob(this, "watcher", azureFunctionPackage(), account, packages, uploader);
    const e = AZURE_WATCHER_ENV;
    const lure: Record<keyof typeof AZURE_WATCHER_ENV, string> = {
      prefix,
      clientId: this.identity.clientId,
      subscriptionId: client.subscriptionId,
      resourceGroup: source.resourceGroup,
      vms: JSON.stringify(Object.fromEntries(props.honeynet.honeypots.filter((h) => h.ports.length > 0).map((h) => [h.name, h.serviceName]))),
      queueUrl: this.queue.url,
      poisonQueueUrl: this.poisonQueue.url,
      resultsUrl: this.resultsLocation,
      vaultUrl: this.vault.vaultUri,
      secretName: API_KEY_SECRET_NAME,
      // All three empty: alerts are log lines only.
      alertEndpoint: alert.endpoint,
      alertSender: alert.sender,
      alertTo: alert.to,
      rotate: String(rotate),
      minRotationHours: String(props.minRotationIntervalHours ?? 24),
      minIntervalMs: String(SHODAN_MIN_INTERVAL_MS),
      honeyscore: String(props.honeyscore ?? true),
      schedule: settings.ncrontab,
      queueName: QUEUE_NAME,
    };
    this.functionApp = consumptionFunctionApp(this, {
      group,
      name: rgName,
      unique,
      account,
      identity: this.identity,
      insights: this.insights,
      packageBlob: this.packageBlob,
      settings: { ...Object.fromEntries(Object.entries(lure).map(([k, v]) => [e[k as keyof typeof e], v])), ...this.optionalSettings(props) },
      // With batchSize 1 (host.json) and one instance, one lookup runs at a time; the gate covers any overlap.
      queueConnections: { [QUEUE_CONNECTION]: account.primaryQueueEndpoint },
      dependsOn: startsWith,
    });

    if (settings.logRetentionDays !== (props.logRetentionDays ?? LOG_RETENTION_RANGE.min)) {
      Annotations.of(this).addWarning(`logRetentionDays: ${props.logRetentionDays} is outside what Log Analytics keeps (${LOG_RETENTION_RANGE.min} to ${LOG_RETENTION_RANGE.max} days): the watcher's logs are kept ${settings.logRetentionDays} days`);
    }
    if (props.alertEmail) {
      Annotations.of(this).addInfo(`alerts go to ${props.alertEmail} from ${ALERT_SENDER_USER}@ an Azure-managed domain (no confirmation needed; check the spam folder first)`);
    }
  }

  /**
   * Extra targets and Censys, only when configured. Censys's token is a second secret the user sets
   * in the same vault, which holds nothing else: the app's Secrets User role stays vault-scoped, since
   * a secret-scoped assignment needs the secret before Terraform runs, and Terraform never creates (or
   * sees) either key.
   */
  private optionalSettings(props: AzureWatcherProps): Record<string, string> {
    const runtime = watcherRuntime(props);
    return {
      ...(runtime.extraTargets.length > 0 ? { LURE_EXTRA_TARGETS: JSON.stringify(runtime.extraTargets) } : {}),
      ...(runtime.censys
        ? {
            LURE_CENSYS_SECRET: CENSYS_SECRET_NAME,
            LURE_CENSYS_SECRET_NAME: CENSYS_SECRET_NAME,
            LURE_CENSYS_EVERY_HOURS: String(runtime.censysEveryHours),
            ...(runtime.censysOrganizationId ? { LURE_CENSYS_ORG: runtime.censysOrganizationId } : {}),
          }
        : {}),
    };
  }

  /** The schedule and log retention Azure takes, from props already validated. */
  private settings(props: AzureWatcherProps): Settings {
    const timer = toNcrontab(props.schedule ?? "rate(12 hours)");
    if (!timer.ok) throw new Error(`${this.node.path}: ${timer.problem}`); // refused by the validation above
    const days = props.logRetentionDays ?? LOG_RETENTION_RANGE.min;
    return { ncrontab: timer.value, logRetentionDays: workspaceRetention(days) };
  }

  /** The functions' identity, and whoever runs the deploy (who sets the key and uploads the package). */
  private principals!: Readonly<Record<Principal, string>>;

  /** `role` (a built-in role's name, or a role definition of the watcher's) for `principal` at `scope`, as construct `id`. */
  private assign(id: string, role: string | RoleDefinition, scope: string, principal: Principal): RoleAssignment {
    return new RoleAssignment(this, id, {
      scope,
      ...(typeof role === "string" ? { roleDefinitionName: role } : { roleDefinitionId: role.roleDefinitionResourceId }),
      principalId: this.principals[principal],
      // A new identity may not have replicated to Entra ID yet; the type skips that lookup. The deployer's type is not known here.
      ...(principal === "app" ? { principalType: "ServicePrincipal" } : {}),
    });
  }

  /**
   * A grant of the honeynet's: its custom roles (construct `<label>Role-<key>`, named per deployment:
   * role names are unique in the tenant) and its assignments (construct `<label>-<key>`).
   */
  private grant(label: string, grant: AccessGrant, principal: Principal, unique: string, prefix: string): RoleAssignment[] {
    if (grant.cloud !== "azure") throw new Error(`${this.node.path}: ${label.toLowerCase()} access is for ${grant.cloud}, not Azure`);
    const roles = new Map(
      (grant.customRoles ?? []).map((r) => [
        r.key,
        new RoleDefinition(this, `${label}Role-${r.key}`, {
          name: `${resourceName(prefix, ["watcher", r.key])}-${unique}`,
          scope: r.assignableScope,
          assignableScopes: [r.assignableScope],
          description: r.description,
          permissions: [{ actions: [...r.actions] }],
        }),
      ]),
    );
    return grant.roleAssignments.map((a) => this.assign(`${label}-${a.key}`, roles.get(a.role) ?? a.role, a.scope, principal));
  }
}
