/**
 * What every lure Function App on Azure is built from (the watcher's in `azure-honeynet`, the
 * Quarantine's in `azure-quarantine`): a storage account no key can reach, the host's containers,
 * Application Insights on Entra ID, a content-addressed package blob and a Linux Consumption (Y1)
 * app that runs from it as one user-assigned identity.
 *
 * Each helper creates its resources directly in the given scope with fixed construct ids, so a
 * construct that uses them keeps the ids (and Terraform addresses) it had before they were shared.
 */
import { AssetType, Fn, TerraformAsset, TerraformStack, type ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { ApplicationInsights } from "@cdktf/provider-azurerm/lib/application-insights";
import { LinuxFunctionApp } from "@cdktf/provider-azurerm/lib/linux-function-app";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { ServicePlan } from "@cdktf/provider-azurerm/lib/service-plan";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageBlob } from "@cdktf/provider-azurerm/lib/storage-blob";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import type { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { AzureStack } from "../../providers/azure";
import type { FunctionBundle } from "../core/bundle";
import { UNIQUE_LENGTH } from "./honeynet";

/** Node.js major of the Functions runtime (Node 20 left support on 2026-04-30). */
export const NODE_VERSION = "22";
/** One instance: with `batchSize` 1 in host.json, one invocation at a time across the app. */
export const APP_SCALE_LIMIT = 1;
/** Containers the Functions host keeps its state in (it would create them itself, with rights it lacks). */
export const HOST_CONTAINERS = { hosts: "azure-webjobs-hosts", secrets: "azure-webjobs-secrets" } as const;
export const PACKAGES_CONTAINER = "packages";
/** Days Log Analytics keeps data: 30 is its minimum, 730 its maximum. */
export const LOG_RETENTION_RANGE = { min: 30, max: 730 } as const;

/** Location, resource group and tags every resource of a construct shares. */
export interface ResourceGroupPlacement {
  readonly location: string;
  readonly resourceGroupName: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * A StorageV2 account (construct id `Storage`) reachable by Entra ID only: no account key or SAS,
 * no public blobs, TLS 1.2. The stack's provider is switched to Entra ID for data planes.
 */
export function privateStorageAccount(scope: Construct, group: ResourceGroupPlacement, name: string): StorageAccount {
  const stack = TerraformStack.of(scope);
  if (!(stack instanceof AzureStack)) throw new Error(`${scope.node.path}: must be created inside an AzureStack`);
  const account = new StorageAccount(scope, "Storage", {
    ...group,
    tags: { ...group.tags },
    name,
    accountKind: "StorageV2",
    accountTier: "Standard",
    accountReplicationType: "LRS",
    httpsTrafficOnlyEnabled: true,
    minTlsVersion: "TLS1_2",
    allowNestedItemsToBePublic: false,
    sharedAccessKeyEnabled: false,
    defaultToOauthAuthentication: true,
  });
  stack.useAzureadForStorage();
  return account;
}

/** A private blob container of `account` as construct `id`. */
export function privateContainer(scope: Construct, id: string, name: string, account: StorageAccount): StorageContainer {
  return new StorageContainer(scope, id, { name, storageAccountId: account.id, containerAccessType: "private" });
}

/** The host's containers and the packages container (ids `PackagesContainer`, `HostsContainer`, `HostSecretsContainer`). */
export function hostContainers(scope: Construct, account: StorageAccount): { packages: StorageContainer; hosts: StorageContainer; secrets: StorageContainer } {
  return {
    packages: privateContainer(scope, "PackagesContainer", PACKAGES_CONTAINER, account),
    hosts: privateContainer(scope, "HostsContainer", HOST_CONTAINERS.hosts, account),
    secrets: privateContainer(scope, "HostSecretsContainer", HOST_CONTAINERS.secrets, account),
  };
}

/** A Log Analytics workspace (`Logs`) and Application Insights on it (`Insights`), Entra ID only. */
export function functionInsights(scope: Construct, group: ResourceGroupPlacement, name: string, retentionDays: number): { logs: LogAnalyticsWorkspace; insights: ApplicationInsights } {
  const logs = new LogAnalyticsWorkspace(scope, "Logs", { ...group, tags: { ...group.tags }, name, sku: "PerGB2018", retentionInDays: retentionDays, localAuthenticationEnabled: false });
  const insights = new ApplicationInsights(scope, "Insights", { ...group, tags: { ...group.tags }, name, applicationType: "Node.JS", workspaceId: logs.id, localAuthenticationDisabled: true });
  return { logs, insights };
}

/** `days` within what Log Analytics keeps. */
export const workspaceRetention = (days: number): number => Math.min(LOG_RETENTION_RANGE.max, Math.max(LOG_RETENTION_RANGE.min, days));

/**
 * The code as a content-addressed block blob `<label>-<hash>.zip` (asset `PackageCode`, blob
 * `Package`) in `packages`: changed code is a new blob, hence a new URL in the app's settings,
 * hence a redeploy. `uploader` is the deployer's role assignment that lets Terraform upload it.
 */
export function packageBlob(scope: Construct, label: string, pkg: FunctionBundle, account: StorageAccount, packages: StorageContainer, uploader: ITerraformDependable): StorageBlob {
  const asset = new TerraformAsset(scope, "PackageCode", { path: pkg.zipPath, type: AssetType.FILE, assetHash: pkg.sha256Hex.slice(0, 32) });
  return new StorageBlob(scope, "Package", {
    name: `${label}-${pkg.sha256Hex.slice(0, 16)}.zip`,
    storageAccountName: account.name,
    storageContainerName: packages.name,
    type: "Block",
    contentType: "application/zip",
    // The provider uploads from the stack's directory, where cdktf puts the asset.
    source: Fn.abspath(asset.path),
    // Uploading is a data-plane call under the deployer's Entra ID identity.
    dependsOn: [uploader],
    // The app switches to the new package before the old one goes. `source` is a path on the deploying
    // machine (ForceNew): another checkout's path must not replace a blob whose name already says
    // what it holds (the replacement would be refused: the name exists).
    lifecycle: { createBeforeDestroy: true, ignoreChanges: ["source"] },
  });
}

export interface FunctionAppProps {
  readonly group: ResourceGroupPlacement;
  /** Base of the plan's and the app's names (the app's gets `-<unique>`: app names are global). */
  readonly name: string;
  readonly unique: string;
  readonly account: StorageAccount;
  readonly identity: UserAssignedIdentity;
  readonly insights: ApplicationInsights;
  readonly packageBlob: StorageBlob;
  /** lure's own app settings. */
  readonly settings: Readonly<Record<string, string>>;
  /** Identity-based queue connections the triggers use: connection name → queue service URI. */
  readonly queueConnections: Readonly<Record<string, string>>;
  /** What the identity must be able to do before the host starts (role assignments). */
  readonly dependsOn: readonly ITerraformDependable[];
}

/** The Y1 plan (`Plan`) and the Linux Function App (`App`) that runs `packageBlob` as `identity`. */
export function consumptionFunctionApp(scope: Construct, props: FunctionAppProps): LinuxFunctionApp {
  const { group, identity } = props;
  const plan = new ServicePlan(scope, "Plan", { ...group, tags: { ...group.tags }, name: props.name, osType: "Linux", skuName: "Y1" });
  const identityConnection = (name: string) => ({ [`${name}__credential`]: "managedidentity", [`${name}__clientId`]: identity.clientId });
  return new LinuxFunctionApp(scope, "App", {
    ...group,
    tags: { ...group.tags },
    name: `${props.name.slice(0, 31 - UNIQUE_LENGTH).replace(/-+$/, "")}-${props.unique}`,
    servicePlanId: plan.id,
    // The provider writes AzureWebJobsStorage__accountName; the identity settings below say which identity.
    storageAccountName: props.account.name,
    storageUsesManagedIdentity: true,
    identity: { type: "UserAssigned", identityIds: [identity.id] },
    httpsOnly: true,
    ftpPublishBasicAuthenticationEnabled: false,
    webdeployPublishBasicAuthenticationEnabled: false,
    // It would write to AzureWebJobsDashboard with an account key; logs go to Application Insights.
    builtinLoggingEnabled: false,
    siteConfig: {
      applicationStack: { nodeVersion: NODE_VERSION },
      appScaleLimit: APP_SCALE_LIMIT,
      ftpsState: "Disabled",
      minimumTlsVersion: "1.2",
      scmMinimumTlsVersion: "1.2",
      applicationInsightsConnectionString: props.insights.connectionString,
    },
    appSettings: {
      ...props.settings,
      ...identityConnection("AzureWebJobsStorage"),
      ...Object.fromEntries(Object.entries(props.queueConnections).flatMap(([name, uri]) => [[`${name}__queueServiceUri`, uri], ...Object.entries(identityConnection(name))])),
      WEBSITE_RUN_FROM_PACKAGE: props.packageBlob.url,
      WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID: identity.id,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${identity.clientId};Authorization=AAD`,
    },
    // The host starts as soon as the app exists: its identity must already reach the package, queues and containers.
    dependsOn: [...props.dependsOn],
  });
}
