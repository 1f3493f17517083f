/**
 * The Azure Quarantine (`azure-quarantine`): a demo web service behind an Application Gateway v2,
 * the same detector, mode machine and planner as on AWS, and honeypot copies the gateway sends
 * quarantined sources to.
 *
 *   scanner ──► public IP ──► App Gateway v2 (its subnet's NSG admits only the listener) ──► real app
 *                               │ rewrite set: var_client_ip ∈ quarantined → /lure-copies{path}, re-route
 *                               └────────────────────────────────────────────────────────────► copies
 *   VNet flow log ──► flow-log account (PT1H.json) ──► Event Grid ──► queue ──► detector ─┐
 *                                                                     mode (every minute) ┴► table,
 *                                                        the gateway's rewrite set, the copies' replicas
 *
 * - Network: one VNet, `demo.networkCidr` split in eight: the gateway's subnet, the real service's,
 *   the copies'. Each has an NSG. The gateway's admits the listener port from anywhere, and Azure's
 *   own infrastructure ports, and denies the rest, so every other probe is a recorded deny. The real
 *   service's and the copies' deny each other both ways and admit the gateway's subnet.
 * - Services: two Container Apps environments with internal load balancers (workload profiles,
 *   Consumption), one per subnet, each with one app. The gateway reaches each environment's static
 *   IP and names the app by host header. The copies start at 0 replicas; their replica counts belong
 *   to the mode function (`ignore_changes`). No identity, secret or registry credential on either app.
 * - Steering: the URL path map's default (the real service) carries lure's rewrite rule set. Its rules
 *   rewrite quarantined addresses to `COPIES_PATH` and re-evaluate the path map, whose one path rule
 *   sends that path to the copies' pool, with the prefix stripped. Terraform creates the set empty
 *   and ignores it (`ignore_changes`): its rules belong to the functions.
 * - Signals: a VNet flow log on the VNet writes into a storage account of its own. The azurerm
 *   resource overwrites the account's lifecycle rules, and Network Watcher writes with the account
 *   key, so this account keeps shared keys. Event Grid sends each blob commit to a queue in the state
 *   account, and the detector reads only what was appended.
 * - Functions: one Y1 app, `detector` (queue) and `mode` (timer, every minute), as one user-assigned
 *   identity. It may write the table, read that queue and the flow-log container, read, write and
 *   check the health of this one gateway (and join its subnet and public IP, which a gateway PUT
 *   checks), and read and write the copies' app (and join their environment). Nothing else.
 */
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { ApplicationGateway } from "@cdktf/provider-azurerm/lib/application-gateway";
import { ContainerApp } from "@cdktf/provider-azurerm/lib/container-app";
import { ContainerAppEnvironment } from "@cdktf/provider-azurerm/lib/container-app-environment";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { EventgridSystemTopic } from "@cdktf/provider-azurerm/lib/eventgrid-system-topic";
import { EventgridSystemTopicEventSubscription } from "@cdktf/provider-azurerm/lib/eventgrid-system-topic-event-subscription";
import { NetworkSecurityGroup } from "@cdktf/provider-azurerm/lib/network-security-group";
import { NetworkSecurityRule } from "@cdktf/provider-azurerm/lib/network-security-rule";
import { NetworkWatcherFlowLog } from "@cdktf/provider-azurerm/lib/network-watcher-flow-log";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageQueue } from "@cdktf/provider-azurerm/lib/storage-queue";
import { StorageTable } from "@cdktf/provider-azurerm/lib/storage-table";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { SubnetNetworkSecurityGroupAssociation } from "@cdktf/provider-azurerm/lib/subnet-network-security-group-association";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { AzureStack } from "../../providers/azure";
import { AZURE_QUARANTINE_ENV, FLOW_LOG_CONTAINER, FLOW_QUEUE_CONNECTION } from "../../functions/azure/quarantine/contract";
import { gatewaySteeringOptions } from "../../functions/azure/quarantine/gateway-steering";
import { azureQuarantinePackage } from "../core/bundle";
import { ipv4Subnet } from "../core/cidr";
import { ConfigError, type ConfigProblem } from "../core/config";
import type { IQuarantine, QuarantineProps } from "../core/interfaces";
import { componentTags, resourceName, slug } from "../core/naming";
import { QUARANTINE_PART_TAG } from "../core/policy/rules/quarantine-copies-isolated";
import { quarantinePropsProblems, resolveQuarantine, type ResolvedQuarantine } from "../core/quarantine-runtime";
import { consumptionFunctionApp, functionInsights, hostContainers, packageBlob, privateContainer, privateStorageAccount, workspaceRetention } from "./function-host";
import { deploymentUnique, UNIQUE_LENGTH } from "./honeynet";
import { ROLES } from "./watcher";

/** The path lure's rewrite rules send quarantined requests to; the path map routes it to the copies. */
export const COPIES_PATH = "/lure-copies";
/** The rewrite target: the copies' path with the request's own path after it. */
export const REWRITE_PATH = `${COPIES_PATH}{var_uri_path}`;
/** The listener: plain HTTP (HTTPS on the Azure gateway is not built yet). */
export const LISTENER_PORT = 80;
/** Ports Azure's infrastructure uses to manage a v2 gateway: its NSG must admit them from GatewayManager. */
export const GATEWAY_MANAGER_PORTS = "65200-65535";
export const TABLE_NAME = "quarantine";
export const FLOW_QUEUE_NAME = "flow-events";
export const FLOW_POISON_QUEUE_NAME = `${FLOW_QUEUE_NAME}-poison`;
/** Events Event Grid could not deliver (after its retries) land here. */
export const DEAD_LETTER_CONTAINER = "flow-events-dead-letter";
/** Every minute (NCRONTAB, with seconds). */
export const MODE_SCHEDULE = "0 * * * * *";
/** Names of the pools, settings and set on the gateway (the functions address them by name). */
export const GATEWAY_NAMES = {
  realPool: "real",
  copiesPool: "copies",
  realSettings: "real",
  copiesSettings: "copies",
  rewriteRuleSet: "lure-quarantine",
  pathMap: "steering",
  listener: "http",
  frontendIp: "public",
  frontendPort: "http",
  gatewayIp: "gateway",
  routingRule: "steering",
} as const;
/** Azure creates one Network Watcher per region and subscription, with these names, when a VNet is first made there. */
export const DEFAULT_NETWORK_WATCHER = (location: string) => ({ name: `NetworkWatcher_${location}`, resourceGroupName: "NetworkWatcherRG" });
/** Resource of one container of the demo and of each copy: the smallest Container Apps size. */
const APP_SIZE = { cpu: 0.25, memory: "0.5Gi" } as const;
/** The subnets, by their eighth of `demo.networkCidr`. */
const SUBNET_INDEX = { gateway: 0, real: 1, copies: 2 } as const;

export interface AzureQuarantineProps extends QuarantineProps {
  /** @default the stack's location */
  readonly location?: string;
  /** The region's Network Watcher, which the flow log belongs to. @default Azure's own, `NetworkWatcher_<location>` in `NetworkWatcherRG` */
  readonly networkWatcher?: { readonly name: string; readonly resourceGroupName: string };
}

/** What `props` cannot be built from on Azure, with the props' paths (the shared checks included). */
export function azureQuarantinePropsProblems(props: AzureQuarantineProps): ConfigProblem[] {
  const out = quarantinePropsProblems(props);
  if (props.target !== undefined && props.target !== "demo") {
    out.push({ path: "target", message: "an existing service is an AWS listener; on Azure only the demo target is built yet (an existing Application Gateway by reference is planned)" });
  }
  return out;
}

/** The runtime settings on Azure: the rewrite set's limits instead of the ALB's. */
function azureSettings(s: ResolvedQuarantine): ResolvedQuarantine {
  return { ...s, runtime: { ...s.runtime, steering: gatewaySteeringOptions(s.runtime.steering.ruleQuota) } };
}

/** What every part of an AzureQuarantine is built from. */
interface Ctx {
  readonly props: AzureQuarantineProps;
  readonly s: ResolvedQuarantine;
  readonly prefix: string;
  readonly location: string;
  readonly tags: Record<string, string>;
  /** The tags of the real service's or the copies' resources (the isolation policy rule reads them). */
  readonly partTags: (part: "real" | "copies") => Record<string, string>;
  /** The resource group's name, which most names start from. */
  readonly rgName: string;
  readonly group: { readonly location: string; readonly resourceGroupName: string; readonly tags: Record<string, string> };
  readonly client: DataAzurermClientConfig;
  /** A suffix unique to the subscription and group, for globally unique names. */
  readonly unique: string;
}

export class AzureQuarantine extends Construct implements IQuarantine {
  /** The gateway's static public address (a token until apply). */
  readonly endpoint: string;
  /** The table of the mode, the quarantined sources and the detector's state. */
  readonly stateStoreName = TABLE_NAME;
  readonly settings: ResolvedQuarantine;
  readonly resourceGroup: ResourceGroup;
  readonly network: VirtualNetwork;
  readonly subnets: Readonly<Record<keyof typeof SUBNET_INDEX, Subnet>>;
  readonly securityGroups: Readonly<Record<keyof typeof SUBNET_INDEX, NetworkSecurityGroup>>;
  readonly publicIp: PublicIp;
  readonly gateway: ApplicationGateway;
  readonly environments: { readonly real: ContainerAppEnvironment; readonly copies: ContainerAppEnvironment };
  readonly realApp: ContainerApp;
  readonly copiesApp: ContainerApp;
  readonly flowLogAccount: StorageAccount;
  readonly flowLog: NetworkWatcherFlowLog;
  readonly stateAccount: StorageAccount;
  readonly table: StorageTable;
  readonly flowQueue: StorageQueue;
  readonly flowPoisonQueue: StorageQueue;
  readonly identity: UserAssignedIdentity;
  readonly functionApp: ReturnType<typeof consumptionFunctionApp>;
  readonly insightsName: string;

  constructor(scope: Construct, id: string, props: AzureQuarantineProps) {
    super(scope, id);
    const problems = azureQuarantinePropsProblems(props);
    if (problems.length > 0) throw new ConfigError(this.node.path, problems);
    const stack = TerraformStack.of(this);
    if (!(stack instanceof AzureStack)) throw new Error(`${this.node.path}: AzureQuarantine must be created inside an AzureStack`);
    const s = (this.settings = azureSettings(resolveQuarantine(props, stack.prefix)));
    const prefix = s.prefix;
    const location = props.location ?? stack.location;
    const tags = { ...(props.tags ?? {}), ...componentTags("quarantine") };
    const partTags = (part: "real" | "copies") => ({ ...tags, [QUARANTINE_PART_TAG]: part });
    const rgName = resourceName(prefix, ["quarantine"], 64);

    this.resourceGroup = new ResourceGroup(this, "ResourceGroup", { name: rgName, location, tags });
    const group = { location, resourceGroupName: this.resourceGroup.name, tags };
    const client = new DataAzurermClientConfig(this, "Client", {});
    const unique = deploymentUnique(client.subscriptionId, rgName);
    const ctx: Ctx = { props, s, prefix, location, tags, partTags, rgName, group, client, unique };
    ({ network: this.network, subnets: this.subnets, securityGroups: this.securityGroups } = this.networks(ctx));
    const apps = this.apps(ctx);
    ({ environments: this.environments, realApp: this.realApp, copiesApp: this.copiesApp } = apps);
    this.insightsName = apps.insights.name;
    ({ publicIp: this.publicIp, gateway: this.gateway } = this.appGateway(ctx));
    this.endpoint = this.publicIp.ipAddress;
    const signals = this.signals(ctx);
    ({ flowLogAccount: this.flowLogAccount, flowLog: this.flowLog, state: this.stateAccount, table: this.table, flowQueue: this.flowQueue, flowPoisonQueue: this.flowPoisonQueue } = signals);
    ({ identity: this.identity, functionApp: this.functionApp } = this.functions(ctx, apps.insights, signals.flowContainer));
  }

  /** The VNet: a subnet each for the gateway, the real service and the copies, each with its NSG (the real service and the copies cannot reach each other). */
  private networks(ctx: Ctx) {
    const { s, tags, partTags, rgName, group } = ctx;
    const cidrOf = (k: keyof typeof SUBNET_INDEX) => ipv4Subnet(s.demo.networkCidr, 3, SUBNET_INDEX[k]);
    const network = new VirtualNetwork(this, "Network", { ...group, name: rgName, addressSpace: [s.demo.networkCidr] });
    const appDelegation = [{ name: "container-apps", serviceDelegation: { name: "Microsoft.App/environments", actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"] } }];
    const subnet = (k: keyof typeof SUBNET_INDEX, cid: string) =>
      new Subnet(this, cid, {
        name: k,
        resourceGroupName: this.resourceGroup.name,
        virtualNetworkName: network.name,
        addressPrefixes: [cidrOf(k)],
        ...(k === "gateway" ? {} : { delegation: appDelegation }),
      });
    const subnets = { gateway: subnet("gateway", "GatewaySubnet"), real: subnet("real", "RealSubnet"), copies: subnet("copies", "CopiesSubnet") };
    const securityGroups = {
      gateway: this.nsg("GatewaySecurityGroup", `${rgName}-gateway`, group, tags, gatewayRules()),
      real: this.nsg("RealSecurityGroup", `${rgName}-real`, group, partTags("real"), isolationRules(cidrOf("gateway"), cidrOf("copies"), "copies")),
      copies: this.nsg("CopiesSecurityGroup", `${rgName}-copies`, group, partTags("copies"), isolationRules(cidrOf("gateway"), cidrOf("real"), "real")),
    };
    for (const k of Object.keys(SUBNET_INDEX) as (keyof typeof SUBNET_INDEX)[]) {
      new SubnetNetworkSecurityGroupAssociation(this, `${k[0].toUpperCase()}${k.slice(1)}SubnetSecurity`, { subnetId: subnets[k].id, networkSecurityGroupId: securityGroups[k].id });
    }
    return { network, subnets, securityGroups };
  }

  /** The real service and the copies: one internal Container Apps environment each, and the log workspace with Application Insights. */
  private apps(ctx: Ctx) {
    const { s, partTags, rgName, group } = ctx;
    const { logs, insights } = functionInsights(this, group, rgName, workspaceRetention(s.logRetentionDays));
    const environment = (cid: string, part: "real" | "copies") =>
      new ContainerAppEnvironment(this, cid, {
        ...group,
        tags: partTags(part),
        name: `${rgName}-${part}`,
        infrastructureSubnetId: this.subnets[part].id,
        internalLoadBalancerEnabled: true,
        logAnalyticsWorkspaceId: logs.id,
        workloadProfile: [{ name: "Consumption", workloadProfileType: "Consumption" }],
      });
    const environments = { real: environment("RealEnvironment", "real"), copies: environment("CopiesEnvironment", "copies") };
    // A decoy image when one is given; otherwise (and for "asg" copies, which are EC2's) the demo's.
    const decoy = s.copies.kind === "ecs" && s.copies.image ? { image: s.copies.image, port: s.copies.containerPort ?? s.demo.containerPort } : { image: s.demo.image, port: s.demo.containerPort };
    const app = (cid: string, part: "real" | "copies", image: string, port: number, replicas: { min: number; max: number }) =>
      new ContainerApp(this, cid, {
        resourceGroupName: this.resourceGroup.name,
        tags: partTags(part),
        name: `${rgName}-${part}`.slice(0, 32).replace(/-+$/, ""),
        containerAppEnvironmentId: environments[part].id,
        revisionMode: "Single",
        workloadProfileName: "Consumption",
        // Reached from the VNet only (the environment's load balancer is internal), over HTTP from the gateway.
        ingress: { externalEnabled: true, allowInsecureConnections: true, targetPort: port, transport: "http", trafficWeight: [{ latestRevision: true, percentage: 100 }] },
        template: { minReplicas: replicas.min, maxReplicas: replicas.max, container: [{ name: part, image, ...APP_SIZE }] },
        // The copies' replica counts are the mode function's.
        ...(part === "copies" ? { lifecycle: { ignoreChanges: ["template[0].min_replicas", "template[0].max_replicas"] } } : {}),
      });
    const realApp = app("RealApp", "real", s.demo.image, s.demo.containerPort, { min: 1, max: 2 });
    const copiesApp = app("CopiesApp", "copies", decoy.image, decoy.port, { min: s.copies.normalCount, max: Math.max(1, s.copies.normalCount) });
    return { insights, environments, realApp, copiesApp };
  }

  /** The Application Gateway in front of both: the real service by default, the copies on their path; the rewrite set is the functions'. */
  private appGateway(ctx: Ctx) {
    const { rgName, group } = ctx;
    const publicIp = new PublicIp(this, "PublicIp", { ...group, name: `${rgName}-gateway`, allocationMethod: "Static", sku: "Standard" });
    const n = GATEWAY_NAMES;
    const settings = (name: string, target: ContainerApp, path?: string) => ({
      name,
      cookieBasedAffinity: "Disabled",
      port: 80,
      protocol: "Http",
      requestTimeout: 30,
      // Container Apps route by host name: the environment's address with the app's own name.
      hostName: target.ingress.fqdn,
      ...(path ? { path } : {}),
    });
    const gateway = new ApplicationGateway(this, "Gateway", {
      ...group,
      name: `${rgName}-gateway`,
      sku: { name: "Standard_v2", tier: "Standard_v2" },
      autoscaleConfiguration: { minCapacity: 0, maxCapacity: 2 },
      gatewayIpConfiguration: [{ name: n.gatewayIp, subnetId: this.subnets.gateway.id }],
      frontendIpConfiguration: [{ name: n.frontendIp, publicIpAddressId: publicIp.id }],
      frontendPort: [{ name: n.frontendPort, port: LISTENER_PORT }],
      httpListener: [{ name: n.listener, frontendIpConfigurationName: n.frontendIp, frontendPortName: n.frontendPort, protocol: "Http" }],
      backendAddressPool: [
        { name: n.realPool, ipAddresses: [this.environments.real.staticIpAddress] },
        { name: n.copiesPool, ipAddresses: [this.environments.copies.staticIpAddress] },
      ],
      // The copies get the request's own path back: the path rule's prefix is replaced by "/".
      backendHttpSettings: [settings(n.realSettings, this.realApp), settings(n.copiesSettings, this.copiesApp, "/")],
      rewriteRuleSet: [{ name: n.rewriteRuleSet }],
      urlPathMap: [
        {
          name: n.pathMap,
          defaultBackendAddressPoolName: n.realPool,
          defaultBackendHttpSettingsName: n.realSettings,
          defaultRewriteRuleSetName: n.rewriteRuleSet,
          pathRule: [{ name: n.copiesPool, paths: [`${COPIES_PATH}/*`], backendAddressPoolName: n.copiesPool, backendHttpSettingsName: n.copiesSettings }],
        },
      ],
      requestRoutingRule: [{ name: n.routingRule, ruleType: "PathBasedRouting", httpListenerName: n.listener, urlPathMapName: n.pathMap, priority: 100 }],
      // The rewrite set's rules are the functions'; a gateway update is a whole-gateway PUT, so every
      // other change Terraform makes also rewrites what they set unless it is ignored.
      lifecycle: { ignoreChanges: ["rewrite_rule_set"] },
    });
    return { publicIp, gateway };
  }

  /** Signals: the VNet flow log into its own account; Event Grid queues each commit for the detector; the state table and queues. */
  private signals(ctx: Ctx) {
    const { props, s, prefix, location, tags, rgName, group, unique } = ctx;
    const accountName = (infix: string) => `${slug(prefix).replace(/[^a-z0-9]/g, "").slice(0, 24 - infix.length - UNIQUE_LENGTH) || "lure"}${infix}${unique}`;
    const flowLogAccount = new StorageAccount(this, "FlowLogStorage", {
      ...group,
      name: accountName("qflow"),
      accountKind: "StorageV2",
      accountTier: "Standard",
      accountReplicationType: "LRS",
      httpsTrafficOnlyEnabled: true,
      minTlsVersion: "TLS1_2",
      allowNestedItemsToBePublic: false,
      // Network Watcher writes the flow log with the account key (rotating the keys stops the log).
      sharedAccessKeyEnabled: true,
    });
    const flowContainer = privateContainer(this, "FlowLogContainer", FLOW_LOG_CONTAINER, flowLogAccount);
    const watcher = props.networkWatcher ?? DEFAULT_NETWORK_WATCHER(location);
    const flowLog = new NetworkWatcherFlowLog(this, "FlowLog", {
      name: `${rgName}-vnet`,
      location,
      tags,
      networkWatcherName: watcher.name,
      resourceGroupName: watcher.resourceGroupName,
      targetResourceId: this.network.id,
      storageAccountId: flowLogAccount.id,
      enabled: true,
      version: 2,
      retentionPolicy: { enabled: true, days: s.logRetentionDays },
      dependsOn: [flowContainer],
    });

    const state = privateStorageAccount(this, group, accountName("qstate"));
    const table = new StorageTable(this, "Table", { name: TABLE_NAME, storageAccountName: state.name });
    const flowQueue = new StorageQueue(this, "FlowQueue", { name: FLOW_QUEUE_NAME, storageAccountId: state.id });
    const flowPoisonQueue = new StorageQueue(this, "FlowPoisonQueue", { name: FLOW_POISON_QUEUE_NAME, storageAccountId: state.id });
    const deadLetters = privateContainer(this, "DeadLetterContainer", DEAD_LETTER_CONTAINER, state);
    const topic = new EventgridSystemTopic(this, "FlowEvents", {
      ...group,
      name: `${rgName}-flow`,
      sourceResourceId: flowLogAccount.id,
      topicType: "Microsoft.Storage.StorageAccounts",
      identity: { type: "SystemAssigned" },
    });
    const topicSends = new RoleAssignment(this, "FlowEventsSender", { scope: flowQueue.id, roleDefinitionName: ROLES.queueSender, principalId: topic.identity.principalId, principalType: "ServicePrincipal" });
    const topicDeadLetters = new RoleAssignment(this, "FlowEventsDeadLetters", { scope: deadLetters.id, roleDefinitionName: ROLES.blobContributor, principalId: topic.identity.principalId, principalType: "ServicePrincipal" });
    new EventgridSystemTopicEventSubscription(this, "FlowEventsToQueue", {
      name: "flow-log-commits",
      systemTopic: topic.name,
      resourceGroupName: this.resourceGroup.name,
      includedEventTypes: ["Microsoft.Storage.BlobCreated"],
      subjectFilter: { subjectBeginsWith: `/blobServices/default/containers/${FLOW_LOG_CONTAINER}/`, subjectEndsWith: ".json" },
      storageQueueEndpoint: { storageAccountId: state.id, queueName: flowQueue.name, queueMessageTimeToLiveInSeconds: 86_400 },
      deliveryIdentity: { type: "SystemAssigned" },
      // A commit is retried for a day (Event Grid's longest), then kept as a dead letter; the blob's next commit reads its blocks anyway,
      // but an hour's last commit has no next one: dead letters are worth a look (README).
      retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLive: 1440 },
      storageBlobDeadLetterDestination: { storageAccountId: state.id, storageBlobContainerName: deadLetters.name },
      deadLetterIdentity: { type: "SystemAssigned" },
      dependsOn: [topicSends, topicDeadLetters],
    });
    return { flowLogAccount, flowContainer, flowLog, state, table, flowQueue, flowPoisonQueue };
  }

  /** The function app (detector and mode) under one identity, with exactly the roles it needs, each on the one resource it acts on. */
  private functions(ctx: Ctx, insights: ReturnType<typeof functionInsights>["insights"], flowContainer: ReturnType<typeof privateContainer>): { identity: UserAssignedIdentity; functionApp: ReturnType<typeof consumptionFunctionApp> } {
    const { s, prefix, rgName, group, client, unique } = ctx;
    const n = GATEWAY_NAMES;
    const state = this.stateAccount;
    const identity = new UserAssignedIdentity(this, "Identity", { ...group, name: rgName });
    const principalId = identity.principalId;
    const assign = (cid: string, role: string | RoleDefinition, scopeId: string, who: "app" | "deployer" = "app") =>
      new RoleAssignment(this, cid, {
        scope: scopeId,
        ...(typeof role === "string" ? { roleDefinitionName: role } : { roleDefinitionId: role.roleDefinitionResourceId }),
        principalId: who === "app" ? principalId : client.objectId,
        ...(who === "app" ? { principalType: "ServicePrincipal" } : {}),
      });
    const role = (cid: string, key: string, description: string, actions: string[]) =>
      new RoleDefinition(this, cid, {
        name: `${resourceName(prefix, ["quarantine", key])}-${unique}`,
        scope: this.resourceGroup.id,
        assignableScopes: [this.resourceGroup.id],
        description,
        permissions: [{ actions }],
      });
    const steer = role("SteeringRole", "steering", "lure Quarantine: read, update and probe the health of its Application Gateway", [
      "Microsoft.Network/applicationGateways/read",
      "Microsoft.Network/applicationGateways/write",
      "Microsoft.Network/applicationGateways/backendhealth/action",
    ]);
    // A gateway PUT is checked against what it links to: its subnet and its public IP.
    const join = role("JoinRole", "join", "lure Quarantine: the joins a PUT of its Application Gateway is checked for", ["Microsoft.Network/virtualNetworks/subnets/join/action", "Microsoft.Network/publicIPAddresses/join/action"]);
    const scale = role("CopiesRole", "copies", "lure Quarantine: read and scale its honeypot copies", ["Microsoft.App/containerApps/read", "Microsoft.App/containerApps/write"]);
    const joinEnvironment = role("CopiesEnvironmentRole", "copies-env", "lure Quarantine: the join an update of its copies is checked for", ["Microsoft.App/managedEnvironments/join/action"]);
    const host = hostContainers(this, state);
    const startsWith = [
      assign("TableContributor", "Storage Table Data Contributor", this.table.resourceManagerId),
      assign("FlowQueueReader", ROLES.queueReader, this.flowQueue.id),
      assign("FlowQueueProcessor", ROLES.queueProcessor, this.flowQueue.id),
      assign("FlowPoisonQueueContributor", ROLES.queueContributor, this.flowPoisonQueue.id),
      assign("FlowLogReader", ROLES.blobReader, flowContainer.id),
      assign("PackagesReader", ROLES.blobReader, host.packages.id),
      assign("HostsContributor", ROLES.blobContributor, host.hosts.id),
      assign("HostSecretsContributor", ROLES.blobContributor, host.secrets.id),
      assign("InsightsPublisher", ROLES.metricsPublisher, insights.id),
      assign("Steering", steer, this.gateway.id),
      assign("JoinGatewaySubnet", join, this.subnets.gateway.id),
      assign("JoinPublicIp", join, this.publicIp.id),
      assign("Copies", scale, this.copiesApp.id),
      assign("JoinCopiesEnvironment", joinEnvironment, this.environments.copies.id),
    ];
    const uploader = assign("PackagesUploader", ROLES.blobContributor, host.packages.id, "deployer");
    const code = packageBlob(this, "quarantine", azureQuarantinePackage(), state, host.packages, uploader);
    const e = AZURE_QUARANTINE_ENV;
    const lure: Record<keyof typeof AZURE_QUARANTINE_ENV, string> = {
      config: JSON.stringify(s.runtime),
      clientId: identity.clientId,
      tableUrl: `${state.primaryTableEndpoint}${TABLE_NAME}`,
      gatewayId: this.gateway.id,
      rewriteRuleSet: n.rewriteRuleSet,
      copiesPool: n.copiesPool,
      rewritePath: REWRITE_PATH,
      copiesAppId: this.copiesApp.id,
      flowLogUrl: `${this.flowLogAccount.primaryBlobEndpoint}${FLOW_LOG_CONTAINER}`,
      flowQueueName: FLOW_QUEUE_NAME,
      modeSchedule: MODE_SCHEDULE,
    };
    const functionApp = consumptionFunctionApp(this, {
      group,
      name: rgName,
      unique,
      account: state,
      identity,
      insights,
      packageBlob: code,
      settings: Object.fromEntries(Object.entries(lure).map(([k, v]) => [e[k as keyof typeof e], v])),
      queueConnections: { [FLOW_QUEUE_CONNECTION]: state.primaryQueueEndpoint },
      dependsOn: startsWith,
    });
    return { identity, functionApp };
  }

  /** An NSG (construct `cid`) and its rules, each its own resource (`<cid>-<rule name>`), as in the honeynet. */
  private nsg(cid: string, name: string, group: { location: string; resourceGroupName: string }, tags: Record<string, string>, rules: readonly NsgRule[]): NetworkSecurityGroup {
    const nsg = new NetworkSecurityGroup(this, cid, { ...group, tags, name });
    for (const r of rules) {
      new NetworkSecurityRule(this, `${cid}-${r.name}`, {
        name: r.name,
        resourceGroupName: group.resourceGroupName,
        networkSecurityGroupName: nsg.name,
        priority: r.priority,
        direction: r.direction,
        access: r.access,
        protocol: r.protocol,
        sourcePortRange: "*",
        destinationPortRange: r.ports,
        sourceAddressPrefix: r.source,
        destinationAddressPrefix: r.destination,
      });
    }
    return nsg;
  }
}

/** One NSG rule: a single source, destination and port range each. */
interface NsgRule {
  readonly name: string;
  readonly priority: number;
  readonly direction: "Inbound" | "Outbound";
  readonly access: "Allow" | "Deny";
  readonly protocol: string;
  readonly source: string;
  readonly destination: string;
  readonly ports: string;
}

/** The gateway's subnet: the listener from anywhere, Azure's management and load balancer, nothing else. */
function gatewayRules(): NsgRule[] {
  return [
    { name: "listener", priority: 100, direction: "Inbound", access: "Allow", protocol: "Tcp", source: "Internet", destination: "*", ports: String(LISTENER_PORT) },
    { name: "gateway-manager", priority: 110, direction: "Inbound", access: "Allow", protocol: "Tcp", source: "GatewayManager", destination: "*", ports: GATEWAY_MANAGER_PORTS },
    { name: "azure-load-balancer", priority: 120, direction: "Inbound", access: "Allow", protocol: "*", source: "AzureLoadBalancer", destination: "*", ports: "*" },
    // Every other probe is denied here, and the flow log records the deny: the scan signal.
    { name: "deny-other-inbound", priority: 4096, direction: "Inbound", access: "Deny", protocol: "*", source: "*", destination: "*", ports: "*" },
  ];
}

/** A service subnet: no traffic with the other service's subnet either way, the gateway's subnet admitted. */
function isolationRules(gatewayCidr: string, otherCidr: string, other: string): NsgRule[] {
  return [
    { name: `deny-from-${other}`, priority: 100, direction: "Inbound", access: "Deny", protocol: "*", source: otherCidr, destination: "*", ports: "*" },
    { name: "from-gateway", priority: 200, direction: "Inbound", access: "Allow", protocol: "Tcp", source: gatewayCidr, destination: "*", ports: "*" },
    { name: `deny-to-${other}`, priority: 100, direction: "Outbound", access: "Deny", protocol: "*", source: "*", destination: otherCidr, ports: "*" },
  ];
}
