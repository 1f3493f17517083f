/**
 * `AzureHoneynet`: the T-Pot honeypots on Azure, each on its own small Linux VM with its own Standard
 * public IP, and the Elastic host (Elasticsearch + Logstash) on a private VM. Why VMs and not ACI or
 * Container Apps: README "Azure" and DESIGN.md "Honeynet per cloud" (5 ports per ACI IP, no port
 * mapping, reserved ports 22 and 3389; Container Apps has no UDP and hides the client address).
 *
 * ```ts
 * new AzureHoneynet(stack, "Honeynet", { prefix: "lure", location: "westeurope", honeypots: ["cowrie", "dicompot"], dashboard: { allowCidrs: ["198.51.100.0/24"] } });
 * ```
 *
 * Network (`networkCidr`, cut in sixteenths like the AWS honeynet): the honeypot subnet (part 0),
 * the Elastic subnet (part 1, outbound through a NAT gateway: Azure has no default outbound access
 * for new networks since March 2026), the dashboard subnet (part 2, for Kibana).
 *
 * Each honeypot VM's NSG opens exactly that honeypot's catalog host ports with their protocols to
 * any source, the admin SSH port to `adminCidrs` only (and only with the admin's key), and denies
 * everything else, other VMs of the network included (Azure's default rules allow the whole VNet).
 * The Elastic VM takes Logstash's Beats input from the honeypot subnet and Elasticsearch from the
 * dashboard subnet, nothing else. No VM has a managed identity (but a hive sensor's honeypot VMs, below).
 *
 * Kibana runs on its own small VM in the dashboard subnet, with a Standard public IP whose NSG lets
 * only `dashboard.allowCidrs` reach it. Not on Container Apps: its IP restrictions are not documented
 * to act on the TCP peer (the ingress appends to a client's X-Forwarded-For), an NSG cannot lock down
 * an external workload-profiles environment (its inbound traffic does not cross the subnet), and an
 * internal environment needs an Application Gateway in front (about $180 a month, more than the whole
 * honeynet). An NSG acts on the connecting address, which nobody can forge over TCP. HTTP only for now.
 *
 * A hive's sensor (`hive`, from `honeynet.analytics.hive`): no NAT gateway, Elastic VM or Kibana; the
 * honeypot VMs ship over TLS to the hive, with the sensors' client certificate read at boot from a Key
 * Vault ({@link hiveVaultName}) with one user-assigned identity they share, which may read the vault's
 * secrets and nothing else. Terraform makes the vault empty: the user writes the credential
 * (`hive_credential_command`), so it is in no state file.
 *
 * The hive (`hiveInput`, when `honeynet.analytics.hive` names Azure): everything above, and the Elastic
 * VM also runs the hive's Logstash (TLS Beats input, client certificates required) on 64294, behind a
 * Standard public Load Balancer (`honeynet-hive.ts`) whose static address the sensors ship to; the VM
 * keeps no public IP, and its NSG admits 64294 from `hiveInput.allowCidrs` and Azure's probes only. Its
 * credential is read at boot from a Key Vault made the same way as a sensor's, with an identity of the
 * Elastic VM's own; the honeypot VMs keep no identity.
 *
 * ```ts
 * new AzureHoneynet(stack, "Honeynet", { prefix: "lure", location: "westeurope", honeypots: ["cowrie"], dashboard: { allowCidrs: ["198.51.100.0/24"] }, hiveInput: { allowCidrs: ["203.0.113.0/24"] } });
 * ```
 */
import { Construct } from "constructs";
import { Annotations, Fn, Token, type ITerraformDependable } from "cdktf";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { LinuxVirtualMachine } from "@cdktf/provider-azurerm/lib/linux-virtual-machine";
import { ManagedDisk } from "@cdktf/provider-azurerm/lib/managed-disk";
import { NatGateway } from "@cdktf/provider-azurerm/lib/nat-gateway";
import { NatGatewayPublicIpAssociation } from "@cdktf/provider-azurerm/lib/nat-gateway-public-ip-association";
import { NetworkInterface, type NetworkInterfaceIpConfiguration } from "@cdktf/provider-azurerm/lib/network-interface";
import { NetworkInterfaceSecurityGroupAssociation } from "@cdktf/provider-azurerm/lib/network-interface-security-group-association";
import { NetworkSecurityGroup } from "@cdktf/provider-azurerm/lib/network-security-group";
import { NetworkSecurityRule } from "@cdktf/provider-azurerm/lib/network-security-rule";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { SubnetNatGatewayAssociation } from "@cdktf/provider-azurerm/lib/subnet-nat-gateway-association";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { VirtualMachineDataDiskAttachment } from "@cdktf/provider-azurerm/lib/virtual-machine-data-disk-attachment";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { analyticsHostname, ELASTIC_SIZES, elasticSizeSpec } from "../core/analytics";
import { honeypot as catalogEntry } from "../core/catalog";
import { namedOutput } from "../core/outputs";
import { ipv4Host, ipv4Only, ipv4Subnet } from "../core/cidr";
import { ConfigError, type ConfigProblem } from "../core/config";
import { HIVE_BOTH_SIDES, HIVE_PORT, HIVE_SENSOR_BUNDLE, HIVE_SERVER_BUNDLE, hiveInputProblems, hiveInputSources, hiveSecretName, hiveTargetProblems, type HiveCredentialSource, type HiveShipping, type HiveTarget } from "../core/hive";
import { honeynetPropsProblems } from "../core/validate";
import { DEFAULT_ADMIN_SSH_PORT, DEFAULT_KIBANA_PORT, DEFAULT_SHIPPER_PORT, elasticHostCloudInit, honeypotHostCloudInit, kibanaHostCloudInit, hostPorts, internalPeers, INTERNAL_MEMBERS, vmAdminAccess, vmHoneypotDescriptor, type AdminSshProps, type HostPort, type LogstashTarget } from "../core/host";
import type { AccessGrant, HoneynetProps, HoneypotDescriptor, IHoneynet, PublicIpSource } from "../core/interfaces";
import { componentTags, resourceName, SINCE_TAG_KEY, slug, TAG_KEYS, type Component } from "../core/naming";
import { defaultAzureVmSize } from "../core/vm-sizes";
import { keyWithoutPrivateHalf } from "./admin-key";
import { hiveLoadBalancer, type HiveLoadBalancer } from "./honeynet-hive";

/**
 * Azure does not run B-series sizes as Spot VMs (Microsoft's Spot limitations), and every size lure
 * offers is burstable B-series: `capacity: "spot"` then gives regular VMs, with a synth warning.
 */
export const spotCapable = (size: string): boolean => !/^Standard_B/i.test(size);
/** The Elastic VM of the `standard` size: Elasticsearch (4 GiB container) and Logstash (2 GiB) on 2 vCPU, 8 GiB. */
export const DEFAULT_ELASTIC_SIZE = ELASTIC_SIZES.standard.azureVmSize;
/** Kibana (1.5 GiB container) alone: 2 vCPU, 4 GiB. */
export const DEFAULT_KIBANA_SIZE = "Standard_B2als_v2";
/** The Elasticsearch data disk, GiB. */
export const DEFAULT_ELASTIC_DISK_GB = 64;
export const ADMIN_USER = "lure";
/** Ubuntu 24.04 LTS, Canonical's image, kept current by the platform (`latest`) and unattended-upgrades. */
export const UBUNTU_IMAGE = { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" } as const;
/** Where Azure's udev rules put data disk LUN 0 on Ubuntu images. */
export const DATA_DISK_DEVICE = "/dev/disk/azure/scsi1/lun0";
export const ELASTICSEARCH_PORT = 9200;
/** Addresses 0–3 of every Azure subnet are Azure's; the Elastic VM takes the first free one. */
const FIRST_FREE_HOST = 4;
/** NSG priorities: honeypot ports from here, admin SSH and the final deny at the end of the range. */
const FIRST_PRIORITY = 100;
const ADMIN_PRIORITY = 4000;
const DENY_PRIORITY = 4096;
/** The service tag of Azure's load-balancer health probes (168.63.129.16). */
const AZURE_LOAD_BALANCER = "AzureLoadBalancer";
/** The Elastic NIC's IP configuration, which the hive's backend pool holds. */
const ELASTIC_IP_CONFIGURATION = "private";

/** Key Vault's built-in data-plane roles: read secret values (the sensor VMs), and manage secrets (the user who writes the credential). */
export const KEY_VAULT_SECRETS_USER = "Key Vault Secrets User";
export const KEY_VAULT_SECRETS_OFFICER = "Key Vault Secrets Officer";
/** Azure's minimum: a destroyed sensor's vault name is free again a week later (purge protection stays off). */
export const HIVE_VAULT_SOFT_DELETE_DAYS = 7;

/** Deleting a honeypot's public IP, creating one of the same name and attaching it (join) to the NIC. */
export const ROTATION_PUBLIC_IPS = {
  key: "public-ips",
  description: "lure watcher: replace a honeypot's public IP (delete it, create one of the same name, attach it)",
  actions: ["Microsoft.Network/publicIPAddresses/read", "Microsoft.Network/publicIPAddresses/write", "Microsoft.Network/publicIPAddresses/delete", "Microsoft.Network/publicIPAddresses/join/action"],
} as const;
/** Rewriting a NIC's IP configuration: the NIC PUT joins the NIC's subnet and NSG again. */
export const ROTATION_NIC_SWAP = {
  key: "nic-swap",
  description: "lure watcher: detach and attach the public IP of a honeypot's NIC",
  actions: ["Microsoft.Network/networkInterfaces/read", "Microsoft.Network/networkInterfaces/write", "Microsoft.Network/virtualNetworks/subnets/join/action", "Microsoft.Network/networkSecurityGroups/join/action"],
} as const;
const HIVE_VAULT_INFIX = "-hive-";
/** Length of the unique part of a global name: 8 hex digits of {@link deploymentUnique}. */
export const UNIQUE_LENGTH = 8;
const VAULT_NAME = /^[a-z](?!.*--)[a-z0-9-]{1,22}[a-z0-9]$/;

/**
 * A Key Vault name: `<prefix part><infix><unique>`, e.g. `lure-hive-1a2b3c4d`. Vault names are global
 * across Azure (3–24 letters, digits and hyphens, starting with a letter, ending with a letter or
 * digit, no `--`), so `unique` tells deployments apart ({@link deploymentUnique}: Terraform computes
 * it, so the name stays the same at every synth and differs between subscriptions). The prefix part
 * is the prefix's slug without leading digits or hyphens, cut to what the infix and the unique part
 * leave of the 24 characters and without a trailing hyphen, or `lure` if nothing is left. A literal
 * `unique` is checked; a token is not.
 */
export function keyVaultName(prefix: string, infix: string, unique: string): string {
  const part = slug(prefix).replace(/^[^a-z]+/, "").slice(0, 24 - infix.length - UNIQUE_LENGTH).replace(/-+$/, "") || "lure";
  const name = `${part}${infix}${unique}`;
  if (!Token.isUnresolved(unique) && !(unique.length <= UNIQUE_LENGTH && VAULT_NAME.test(name))) {
    throw new Error(`Key Vault name "${name}" is not valid: 3-24 lower-case letters, digits and hyphens, starting with a letter (unique part: at most ${UNIQUE_LENGTH} letters or digits)`);
  }
  return name;
}

/**
 * The Key Vault name of a hive's sensor: {@link keyVaultName} with `-hive-`, e.g. `lure-hive-1a2b3c4d`
 * (`lure-prod-e1` gives `lure-prod-hive-…`: the prefix part has at most 10 characters). The honeynet
 * passes {@link deploymentUnique} of its resource group.
 */
export function hiveVaultName(prefix: string, unique: string): string {
  return keyVaultName(prefix, HIVE_VAULT_INFIX, unique);
}

/**
 * The first 8 hex digits of `sha1("<subscription id>/<resource group name>")` as a Terraform
 * expression (the subscription is known only at plan time): what tells the global names (vaults,
 * storage accounts, apps) of one deployment from another's. Pass the group's name as written, not
 * the resource's attribute: the names then depend on the subscription alone.
 */
export function deploymentUnique(subscriptionId: string, groupName: string): string {
  return Fn.substr(Fn.sha1(Fn.join("/", [subscriptionId, groupName])), 0, UNIQUE_LENGTH);
}

/**
 * `text` as the inside of a Terraform quoted string, with its cdktf tokens left for cdktf to render as
 * interpolations. A literal `${` or `%{` would start a template sequence there, so each is escaped.
 */
function quotedForTerraform(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t")
    .replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replace(/%\{/g, () => "%%{")
    .replace(/\$\{(?!TfToken\[)/g, () => "$${");
}

export interface AzureHoneynetProps extends HoneynetProps {
  /** Azure location of every resource (validated by the config). */
  readonly location: string;
  /** VM size per honeypot, as resolved from `overrides.<hp>.size`. @default defaultAzureVmSize of each (catalog CPU and memory) */
  readonly sizes?: Readonly<Record<string, string>>;
  /** CIDRs that may reach admin SSH on every VM; used only together with `adminSshPublicKey`. @default none: the admin port is closed */
  readonly adminCidrs?: readonly string[];
  /** OpenSSH public key of the admin (validated by the config). @default none: a key nobody holds the private half of (admin-key.ts) */
  readonly adminSshPublicKey?: string;
  /**
   * VM size of the Elastic host, instead of the one `elasticSize` picks.
   * @default ELASTIC_SIZES[elasticSize].azureVmSize; with `hiveInput`, ELASTIC_SIZES[elasticSize].hive.azureVmSize (one size up: it also runs the hive's Logstash)
   */
  readonly elasticVmSize?: string;
  /** Size of the Elasticsearch data disk, GiB. @default DEFAULT_ELASTIC_DISK_GB */
  readonly elasticDiskGb?: number;
}

/** What the honeynet made for one honeypot VM. */
export interface AzureHoneypotHost {
  readonly name: string;
  readonly vm: LinuxVirtualMachine;
  readonly publicIp: PublicIp;
  /** The VM's NIC, which holds the public IP (rotation swaps it there). */
  readonly nic: NetworkInterface;
  readonly securityGroup: NetworkSecurityGroup;
  /** The honeypot and the internal group members on its VM (tanner and its peers on snare's). */
  readonly members: readonly string[];
  readonly ports: readonly HostPort[];
}

/** Where VMs read their hive credential with an identity of their own: a sensor's honeypots, or the hive's Elastic VM. */
export interface AzureHiveAccess {
  /** The vault of the credential (RBAC, no access policies), created without any secret. */
  readonly vault: KeyVault;
  /** {@link hiveVaultName} as Terraform computes it (a token). */
  readonly vaultName: string;
  /** The secret the user writes, `hiveSecretName(prefix, side)`. */
  readonly secretName: string;
  /** The identity of the VMs that read it: Key Vault Secrets User on the vault, nothing else. */
  readonly identity: UserAssignedIdentity;
  /** Where those VMs read it: the vault, the secret and the identity's client id. */
  readonly credential: HiveCredentialSource;
}

/** A hive's sensor: where the honeypots' shared identity reads the credential they ship to the hive with. */
export interface AzureHiveSensor extends AzureHiveAccess {
  /** What each honeypot VM's shipper is given. */
  readonly shipping: HiveShipping;
}

/**
 * What the Azure honeynet needs beyond {@link honeynetPropsProblems} (the config checks both; a construct
 * used directly must not skip them): an IPv4 allow-list, and plain HTTP accepted even with an AWS
 * certificate, since the Azure dashboard has no HTTPS yet. A hive's sensor has no dashboard, so
 * neither applies to it; its hive must be another cloud that can be one. The hive (`hiveInput`) needs
 * an IPv4 CIDR among the sensors' and a prefix its secret's name fits. A honeynet is a sensor or the
 * hive, not both.
 */
export function azureHoneynetPropsProblems(props: HoneynetProps): ConfigProblem[] {
  const d = props.dashboard;
  const out = honeynetPropsProblems(props);
  if (props.hive !== undefined) return [...out, ...(props.hiveInput !== undefined ? [HIVE_BOTH_SIDES] : []), ...hiveTargetProblems("azure", props.hive)];
  if (props.hiveInput !== undefined) out.push(...hiveInputProblems(props.prefix ?? "lure", props.hiveInput.allowCidrs));
  if (d.allowCidrs.length > 0 && ipv4Only(d.allowCidrs).length === 0) {
    out.push({ path: "dashboard.allowCidrs", message: "has no IPv4 CIDR: nobody could reach Kibana's IPv4 address; list the CIDRs that may" });
  }
  if (d.certificateArn !== undefined && d.allowPlaintext !== true) {
    out.push({ path: "dashboard.allowPlaintext", message: "the Azure honeynet serves Kibana over plain HTTP only (HTTPS on Azure is not built yet); set it to true to accept that" });
  }
  return out;
}

/** One inbound NSG rule; every lure rule has any source port. */
interface InboundRule {
  readonly name: string;
  readonly priority: number;
  readonly access?: "Allow" | "Deny";
  readonly protocol: "Tcp" | "Udp" | "*";
  /** One prefix (`*`, a CIDR) or several. */
  readonly from: string | readonly string[];
  /** Destination port, or `*`. */
  readonly port: number | "*";
  /** @default "*" */
  readonly to?: string;
}

/** Where the honeypot VMs ship: their own Elastic VM, or a hive, with the identity that reads its credential. */
type Shipping = { readonly logstash: LogstashTarget } | { readonly hive: HiveShipping; readonly identityId: string };

/** What every part of the honeynet is made with: names, tags, the resource group, the admin access. */
interface Context {
  readonly props: AzureHoneynetProps;
  readonly location: string;
  readonly rg: string;
  readonly name: (...parts: string[]) => string;
  readonly tags: (component: Component, honeypot?: string) => Record<string, string>;
  /** Admin SSH allow-list (IPv4); empty without the admin's key. */
  readonly adminCidrs: readonly string[];
  readonly adminSsh: AdminSshProps;
  readonly sshKey: string;
}

export class AzureHoneynet extends Construct implements IHoneynet {
  readonly cloud = "azure" as const;
  readonly prefix: string;
  readonly resourceGroup: ResourceGroup;
  readonly network: VirtualNetwork;
  readonly honeypotSubnet: Subnet;
  readonly elasticSubnet: Subnet;
  readonly dashboardSubnet: Subnet;
  readonly hosts: readonly AzureHoneypotHost[];
  /** The Elastic VM; none on a hive's sensor. */
  readonly elasticVm?: LinuxVirtualMachine;
  /** Private address of the Elastic VM: Logstash for the shippers, Elasticsearch for Kibana; none on a hive's sensor. */
  readonly elasticAddress?: string;
  readonly honeypots: readonly HoneypotDescriptor[];
  /** The Kibana VM; none on a hive's sensor. */
  readonly kibanaVm?: LinuxVirtualMachine;
  /** Kibana's public IP; none on a hive's sensor. */
  readonly kibanaIp?: PublicIp;
  /** `http://<Kibana's public IP>`: reachable only from `dashboard.allowCidrs`; none on a hive's sensor (its events are in the hive's Kibana). */
  readonly dashboardUrl?: string;
  /** The credential's vault and the honeypots' identity when `hive` is set; none otherwise. */
  readonly sensor?: AzureHiveSensor;
  /** The hive (`hiveInput`): the vault of the hive's credential and the Elastic VM's identity. */
  readonly hiveServer?: AzureHiveAccess;
  /** The hive (`hiveInput`): the load balancer in front of the Elastic VM's hive input. */
  readonly hiveLoadBalancer?: HiveLoadBalancer;
  /** The hive (`hiveInput`): where the other clouds' sensors ship, the load balancer's static IPv4 address on {@link HIVE_PORT}. */
  readonly hiveTarget?: HiveTarget;
  readonly publicIpSource: PublicIpSource;

  constructor(scope: Construct, id: string, props: AzureHoneynetProps) {
    super(scope, id);
    const problems = azureHoneynetPropsProblems(props);
    if (problems.length > 0) throw new ConfigError(this.node.path, problems);
    const prefix = props.prefix ?? "lure";
    this.prefix = prefix;
    const networkCidr = props.networkCidr ?? "10.42.0.0/16";
    const admin = vmAdminAccess(props);
    if (admin.leftOut.length > 0) Annotations.of(this).addWarning(`adminCidrs: ${admin.leftOut.join(", ")} left out: the VMs' addresses are IPv4 only`);
    const name = (...parts: string[]) => resourceName(prefix, parts, 64);
    const tags = (component: Component, honeypot?: string) => ({ ...(props.tags ?? {}), ...componentTags(component, honeypot) });

    this.resourceGroup = new ResourceGroup(this, "ResourceGroup", { name: name("honeynet"), location: props.location, tags: tags("network") });
    const ctx: Context = {
      props,
      location: props.location,
      rg: this.resourceGroup.name,
      name,
      tags,
      adminCidrs: admin.cidrs,
      adminSsh: admin.ssh,
      sshKey: props.adminSshPublicKey ?? keyWithoutPrivateHalf(),
    };
    this.network = new VirtualNetwork(this, "Network", { name: name("honeynet"), location: ctx.location, resourceGroupName: ctx.rg, addressSpace: [networkCidr], tags: tags("network") });
    this.honeypotSubnet = this.subnet(ctx, "HoneypotSubnet", ipv4Subnet(networkCidr, 4, 0), "honeypots");
    this.elasticSubnet = this.subnet(ctx, "ElasticSubnet", ipv4Subnet(networkCidr, 4, 1), "elastic");
    this.dashboardSubnet = this.subnet(ctx, "DashboardSubnet", ipv4Subnet(networkCidr, 4, 2), "dashboard");
    // The subnets stay on a sensor too, so a config that drops `hive` later keeps the same network.
    let shipping: Shipping;
    if (props.hive === undefined) {
      const nat = this.natGateway(ctx);
      // Elastic host first: the shippers need its address.
      this.elasticAddress = ipv4Host(ipv4Subnet(networkCidr, 4, 1), FIRST_FREE_HOST);
      // The hive: the Elastic VM reads the hive's credential with an identity of its own.
      const server = props.hiveInput ? (this.hiveServer = this.hiveAccess(ctx, "server")) : undefined;
      const elastic = this.elasticHost(ctx, { address: this.elasticAddress, honeypotCidr: ipv4Subnet(networkCidr, 4, 0), dashboardCidr: ipv4Subnet(networkCidr, 4, 2), ...(server ? { hive: server } : {}) }, nat);
      this.elasticVm = elastic.vm;
      if (props.hiveInput) {
        const lb = (this.hiveLoadBalancer = hiveLoadBalancer(this, { name: name("hive"), location: ctx.location, resourceGroupName: ctx.rg, nic: elastic.nic, ipConfigurationName: ELASTIC_IP_CONFIGURATION, tags: tags("elastic") }));
        this.hiveTarget = { cloud: "azure", address: lb.publicIp.ipAddress, port: HIVE_PORT };
      }
      shipping = { logstash: { address: this.elasticAddress, port: DEFAULT_SHIPPER_PORT } };
    } else {
      const access = this.hiveAccess(ctx, "sensor");
      this.sensor = { ...access, shipping: { target: props.hive, credential: access.credential, sensorName: analyticsHostname(prefix, "azure") } };
      shipping = { hive: this.sensor.shipping, identityId: this.sensor.identity.id };
    }

    // One VM per honeypot with ports; internal members (tanner & co.) run on their public member's VM.
    this.hosts = props.honeypots.filter((h) => !INTERNAL_MEMBERS.includes(h)).map((hp) => this.honeypotHost(ctx, hp, shipping));
    if ((props.capacity ?? "spot") === "spot" && this.hosts.some((h) => !spotCapable(h.vm.sizeInput ?? ""))) {
      Annotations.of(this).addWarning('capacity "spot": Azure runs no B-series size as a Spot VM, so the honeypot VMs of B-series sizes are regular (pay-as-you-go) VMs');
    }
    this.honeypots = this.hosts.map((h) => vmHoneypotDescriptor(h.name, h.ports, props.overrides?.[h.name], h.vm.name));

    if (this.elasticAddress !== undefined) {
      const v6 = props.dashboard.allowCidrs.filter((c) => c.includes(":"));
      if (v6.length > 0) Annotations.of(this).addWarning(`dashboard: ${v6.join(", ")} left out of the Azure allow-list: Kibana's public IP is IPv4 only`);
      const kibana = this.kibanaHost(ctx, this.elasticAddress);
      this.kibanaIp = kibana.ip;
      this.kibanaVm = kibana.vm;
      this.dashboardUrl = `http://${this.kibanaIp.ipAddress}`;
    }
    this.publicIpSource = { cloud: "azure", resourceGroup: name("honeynet"), tag: { key: TAG_KEYS.component, value: "honeypot" } };

    if (this.dashboardUrl !== undefined) {
      namedOutput(this, "dashboard_url", { value: this.dashboardUrl, description: "Kibana, reachable only from honeynet.dashboard.allowCidrs (plain HTTP)" });
    }
    if (this.hiveTarget !== undefined && this.hiveServer !== undefined) {
      const { vaultName, secretName } = this.hiveServer;
      namedOutput(this, "hive_endpoint", { value: `${this.hiveTarget.address}:${HIVE_PORT}`, description: "The hive's TLS input: where the other clouds' honeypot hosts ship (client certificate required)" });
      namedOutput(this, "hive_vault", { value: vaultName, description: "Key Vault of the hive's TLS credential (RBAC; created without a secret)" });
      namedOutput(this, "hive_secret", { value: secretName, description: "Secret of the hive's TLS credential: no value until you set one; the hive's Logstash starts once the Elastic VM can read it" });
      namedOutput(this, "hive_credential_command", {
        value: `az keyvault secret set --vault-name ${vaultName} --name ${secretName} --file ${HIVE_SERVER_BUNDLE}`,
        description: "Stores the hive's credential that npm run hive:credentials wrote (delete the file afterwards)",
      });
    }
    if (this.sensor !== undefined) {
      const { vaultName, secretName } = this.sensor;
      namedOutput(this, "hive_vault", { value: vaultName, description: "Key Vault of the sensors' TLS credential (RBAC; created without a secret)" });
      namedOutput(this, "hive_secret", { value: secretName, description: "Secret of the sensors' TLS credential: no value until you set one; the honeypots ship once they can read it" });
      namedOutput(this, "hive_credential_command", {
        value: `az keyvault secret set --vault-name ${vaultName} --name ${secretName} --file ${HIVE_SENSOR_BUNDLE}`,
        description: "Stores the sensors' credential that npm run hive:credentials wrote (delete the file afterwards)",
      });
    }
    namedOutput(this, "resource_group", { value: ctx.rg, description: "Resource group of the honeynet" });
    namedOutput(this, "honeypot_vms", {
      value: Object.fromEntries(this.hosts.map((h) => [h.name, h.vm.name])),
      description: "Honeypot → VM name",
    });
    namedOutput(this, "list_public_ips", {
      value: `az network public-ip list --resource-group ${name("honeynet")} --query "[?tags.\\"${TAG_KEYS.component}\\"=='honeypot'].{honeypot: tags.\\"${TAG_KEYS.honeypot}\\", ip: ipAddress}" --output table`,
      description: "The honeypots' current public IPs",
    });
  }

  private subnet(ctx: Context, sid: string, cidr: string, label: string): Subnet {
    return new Subnet(this, sid, {
      name: ctx.name(label),
      resourceGroupName: ctx.rg,
      virtualNetworkName: this.network.name,
      addressPrefixes: [cidr],
      // Outbound only where lure provides it: a VM's own public IP, or the NAT gateway.
      defaultOutboundAccessEnabled: false,
    });
  }

  /** The Elastic subnet's only way out; returns what a VM there must wait for. */
  private natGateway(ctx: Context): ITerraformDependable[] {
    const common = { location: ctx.location, resourceGroupName: ctx.rg, tags: ctx.tags("network") };
    const natIp = new PublicIp(this, "NatIp", { name: ctx.name("nat"), ...common, allocationMethod: "Static", sku: "Standard" });
    const nat = new NatGateway(this, "Nat", { name: ctx.name("nat"), ...common, skuName: "Standard" });
    return [
      new NatGatewayPublicIpAssociation(this, "NatIpAssociation", { natGatewayId: nat.id, publicIpAddressId: natIp.id }),
      new SubnetNatGatewayAssociation(this, "ElasticNat", { subnetId: this.elasticSubnet.id, natGatewayId: nat.id }),
    ];
  }

  private rule(ctx: Context, sid: string, nsg: NetworkSecurityGroup, r: InboundRule): NetworkSecurityRule {
    return new NetworkSecurityRule(this, sid, {
      name: r.name,
      resourceGroupName: ctx.rg,
      networkSecurityGroupName: nsg.name,
      priority: r.priority,
      direction: "Inbound",
      access: r.access ?? "Allow",
      protocol: r.protocol,
      ...(typeof r.from === "string" ? { sourceAddressPrefix: r.from } : { sourceAddressPrefixes: [...r.from] }),
      sourcePortRange: "*",
      destinationAddressPrefix: r.to ?? "*",
      destinationPortRange: String(r.port),
    });
  }

  /**
   * An NSG with `rules`, then what every lure NSG ends with: admin SSH for the allow-list (`adminFrom`:
   * the Elastic VM, which has no public address, takes it from the dashboard subnet: the Kibana VM is
   * the jump host), then nothing else; and the NIC it guards.
   */
  private guardedNic(
    ctx: Context,
    ids: { readonly nsg: string; readonly nic: string; readonly association: string },
    o: { readonly name: string; readonly tags: Record<string, string>; readonly nsgTags?: Record<string, string>; readonly rules: readonly (InboundRule & { readonly id: string })[]; readonly adminFrom?: readonly string[]; readonly ipConfiguration: NetworkInterfaceIpConfiguration },
  ): { nsg: NetworkSecurityGroup; nic: NetworkInterface } {
    const nsg = new NetworkSecurityGroup(this, ids.nsg, { name: o.name, location: ctx.location, resourceGroupName: ctx.rg, tags: o.nsgTags ?? o.tags });
    for (const r of o.rules) this.rule(ctx, `${ids.nsg}-${r.id}`, nsg, r);
    if (ctx.adminCidrs.length > 0) {
      this.rule(ctx, `${ids.nsg}-AdminSsh`, nsg, { name: "admin-ssh", priority: ADMIN_PRIORITY, protocol: "Tcp", from: o.adminFrom ?? ctx.adminCidrs, port: DEFAULT_ADMIN_SSH_PORT });
    }
    this.rule(ctx, `${ids.nsg}-DenyRest`, nsg, { name: "deny-everything-else", priority: DENY_PRIORITY, access: "Deny", protocol: "*", from: "*", port: "*" });
    const nic = new NetworkInterface(this, ids.nic, { name: o.name, location: ctx.location, resourceGroupName: ctx.rg, ipConfiguration: [o.ipConfiguration], tags: o.tags });
    new NetworkInterfaceSecurityGroupAssociation(this, ids.association, { networkInterfaceId: nic.id, networkSecurityGroupId: nsg.id });
    return { nsg, nic };
  }

  private vm(
    ctx: Context,
    sid: string,
    vmName: string,
    nic: NetworkInterface,
    size: string,
    customData: string,
    component: Component,
    honeypot?: string,
    dependsOn?: ITerraformDependable[],
    identityId?: string,
  ): LinuxVirtualMachine {
    const spot = component === "honeypot" && (ctx.props.capacity ?? "spot") === "spot" && spotCapable(size);
    return new LinuxVirtualMachine(this, sid, {
      ...(dependsOn ? { dependsOn } : {}),
      name: vmName,
      computerName: vmName,
      location: ctx.location,
      resourceGroupName: ctx.rg,
      size,
      adminUsername: ADMIN_USER,
      adminSshKey: [{ username: ADMIN_USER, publicKey: ctx.sshKey }],
      disablePasswordAuthentication: true,
      networkInterfaceIds: [nic.id],
      osDisk: { caching: "ReadWrite", storageAccountType: "StandardSSD_LRS" },
      sourceImageReference: { ...UBUNTU_IMAGE },
      // A document with tokens (a hive's address, the identity's client id) is complete only in Terraform, which encodes it.
      customData: Token.isUnresolved(customData) ? Fn.base64encode(quotedForTerraform(customData)) : Buffer.from(customData).toString("base64"),
      ...(identityId !== undefined ? { identity: { type: "UserAssigned", identityIds: [identityId] } } : {}),
      ...(spot ? { priority: "Spot", evictionPolicy: "Deallocate", maxBidPrice: -1 } : {}),
      tags: ctx.tags(component, honeypot),
    });
  }

  /**
   * Elasticsearch and Logstash: private, with a data disk; Logstash for the honeypot subnet, Elasticsearch
   * for the dashboard's. With `hive`, also the hive's Logstash, run with the identity that reads its
   * credential, and 64294 open to the sensors and Azure's probes: a Standard load balancer only
   * rewrites the destination, so the NSG sees the sensors' own addresses, and the rule that ends every
   * lure NSG would also drop the probes Azure's default rules admit.
   */
  private elasticHost(
    ctx: Context,
    at: { readonly address: string; readonly honeypotCidr: string; readonly dashboardCidr: string; readonly hive?: AzureHiveAccess },
    nat: ITerraformDependable[],
  ): { vm: LinuxVirtualMachine; nic: NetworkInterface } {
    const props = ctx.props;
    const { address: to, honeypotCidr, dashboardCidr, hive } = at;
    const sources = hive ? hiveInputSources(props.hiveInput?.allowCidrs ?? []) : undefined;
    if (sources?.warning) Annotations.of(this).addWarning(sources.warning);
    const hiveRules = sources
      ? [
          { id: "HiveFromSensors", name: "hive-from-sensors", priority: FIRST_PRIORITY + 2, protocol: "Tcp" as const, from: sources.cidrs, port: HIVE_PORT, to },
          { id: "HiveProbe", name: "hive-load-balancer-probe", priority: FIRST_PRIORITY + 3, protocol: "Tcp" as const, from: AZURE_LOAD_BALANCER, port: HIVE_PORT, to },
        ]
      : [];
    const { nic } = this.guardedNic(
      ctx,
      { nsg: "ElasticSecurityGroup", nic: "ElasticNic", association: "ElasticNicSecurityGroup" },
      {
        name: ctx.name("elastic"),
        tags: ctx.tags("elastic"),
        rules: [
          { id: "Logstash", name: "logstash-from-honeypots", priority: FIRST_PRIORITY, protocol: "Tcp", from: honeypotCidr, port: DEFAULT_SHIPPER_PORT, to },
          { id: "Elasticsearch", name: "elasticsearch-from-dashboard", priority: FIRST_PRIORITY + 1, protocol: "Tcp", from: dashboardCidr, port: ELASTICSEARCH_PORT, to },
          ...hiveRules,
        ],
        adminFrom: [dashboardCidr],
        ipConfiguration: { name: ELASTIC_IP_CONFIGURATION, subnetId: this.elasticSubnet.id, privateIpAddressAllocation: "Static", privateIpAddress: to },
      },
    );
    const size = elasticSizeSpec(props.elasticSize);
    const doc = elasticHostCloudInit({
      prefix: this.prefix,
      hostname: analyticsHostname(this.prefix, "azure"),
      elasticsearchHeapMb: size.elasticsearchHeapMb,
      logstashHeapMb: size.logstashHeapMb,
      dataDisk: { device: DATA_DISK_DEVICE },
      elastic: { ...(props.elasticVersion ? { version: props.elasticVersion } : {}), ...(props.elasticImages ? { images: props.elasticImages } : {}) },
      adminSsh: ctx.adminSsh,
      ...(hive ? { hive: { credential: hive.credential } } : {}),
    });
    // Its only way out is the NAT gateway: cloud-init installs Docker at first boot, so the VM waits for it.
    const vmSize = props.elasticVmSize ?? (hive ? size.hive.azureVmSize : size.azureVmSize);
    const vm = this.vm(ctx, "ElasticVm", ctx.name("elastic"), nic, vmSize, doc, "elastic", undefined, nat, hive?.identity.id);
    const disk = new ManagedDisk(this, "ElasticDisk", {
      name: ctx.name("elastic", "data"),
      location: ctx.location,
      resourceGroupName: ctx.rg,
      storageAccountType: "StandardSSD_LRS",
      createOption: "Empty",
      diskSizeGb: props.elasticDiskGb ?? DEFAULT_ELASTIC_DISK_GB,
      tags: ctx.tags("elastic"),
    });
    new VirtualMachineDataDiskAttachment(this, "ElasticDiskAttachment", { managedDiskId: disk.id, virtualMachineId: vm.id, lun: 0, caching: "ReadWrite" });
    return { vm, nic };
  }

  /**
   * One side's access to its hive credential: the vault (RBAC, empty), the identity of the VMs that read
   * it (a sensor's honeypots, the hive's Elastic VM) with Key Vault Secrets User on it, and Key Vault
   * Secrets Officer for whoever deploys, who writes the value. Both on the vault, not a secret: the
   * secret does not exist until the user sets it. The vault keeps public network access: the VMs reach
   * it from their public IPs or the NAT gateway and the user from anywhere, and every request needs an
   * Entra ID token with one of those roles. The construct ids are the same for either side: a honeynet
   * is one of them, and one vault name serves both.
   */
  private hiveAccess(ctx: Context, side: "sensor" | "server"): AzureHiveAccess {
    const component: Component = side === "sensor" ? "logs" : "elastic";
    const client = new DataAzurermClientConfig(this, "HiveClient", {});
    const vaultName = hiveVaultName(this.prefix, deploymentUnique(client.subscriptionId, ctx.name("honeynet")));
    const vault = new KeyVault(this, "HiveVault", {
      name: vaultName,
      location: ctx.location,
      resourceGroupName: ctx.rg,
      tenantId: client.tenantId,
      skuName: "standard",
      rbacAuthorizationEnabled: true,
      softDeleteRetentionDays: HIVE_VAULT_SOFT_DELETE_DAYS,
      purgeProtectionEnabled: false,
      tags: ctx.tags(component),
    });
    const identity = new UserAssignedIdentity(this, "HiveIdentity", { name: ctx.name("hive", side), location: ctx.location, resourceGroupName: ctx.rg, tags: ctx.tags(component) });
    // ServicePrincipal: a new identity may not have replicated to Entra ID yet, and the type skips that lookup.
    new RoleAssignment(this, "HiveSecretsUser", { scope: vault.id, roleDefinitionName: KEY_VAULT_SECRETS_USER, principalId: identity.principalId, principalType: "ServicePrincipal" });
    // The deploying principal's type (user or service principal) is not known here; Azure finds it.
    new RoleAssignment(this, "HiveSecretsOfficer", { scope: vault.id, roleDefinitionName: KEY_VAULT_SECRETS_OFFICER, principalId: client.objectId });
    const secretName = hiveSecretName(this.prefix, side);
    return { vault, vaultName, secretName, identity, credential: { cloud: "azure", vaultName, secretName, clientId: identity.clientId } };
  }

  /** One honeypot's VM: its own public IP, its catalog ports and nothing else. */
  private honeypotHost(ctx: Context, hp: string, shipping: Shipping): AzureHoneypotHost {
    const props = ctx.props;
    const override = props.overrides?.[hp];
    const ports = hostPorts(catalogEntry(hp), override?.ports);
    const sid = `Honeypot-${hp}`;
    const vmName = ctx.name("hp", hp);
    const tags = ctx.tags("honeypot", hp);
    // lure:since: when the address became ours (Azure hands out addresses others held, and Shodan's data
    // about them predates us). Set once here; a watcher's rotation sets it again, which Terraform leaves alone.
    const publicIp = new PublicIp(this, `${sid}-PublicIp`, {
      name: vmName,
      location: ctx.location,
      resourceGroupName: ctx.rg,
      allocationMethod: "Static",
      sku: "Standard",
      tags: { ...tags, [SINCE_TAG_KEY]: Fn.timestamp() },
      lifecycle: { ignoreChanges: [`tags["${SINCE_TAG_KEY}"]`] },
    });
    const { nsg, nic } = this.guardedNic(
      ctx,
      { nsg: `${sid}-SecurityGroup`, nic: `${sid}-Nic`, association: `${sid}-NicSecurityGroup` },
      {
        name: vmName,
        tags,
        rules: ports.map((p, i) => ({ id: `${p.protocol}-${p.host}`, name: `honeypot-${p.protocol}-${p.host}`, priority: FIRST_PRIORITY + i, protocol: p.protocol === "udp" ? ("Udp" as const) : ("Tcp" as const), from: "*", port: p.host })),
        ipConfiguration: { name: "public", subnetId: this.honeypotSubnet.id, privateIpAddressAllocation: "Dynamic", publicIpAddressId: publicIp.id },
      },
    );
    const doc = honeypotHostCloudInit({
      honeypot: hp,
      ...(override ? { override: { ...(override.image ? { image: override.image } : {}), ...(override.ports ? { ports: override.ports } : {}), ...(override.user ? { user: override.user } : {}) } } : {}),
      ...("hive" in shipping ? { hive: shipping.hive } : { logstash: shipping.logstash }),
      adminSsh: ctx.adminSsh,
      ...(props.elasticVersion ? { elasticVersion: props.elasticVersion } : {}),
    });
    const identityId = "hive" in shipping ? shipping.identityId : undefined;
    const vm = this.vm(ctx, `${sid}-Vm`, vmName, nic, props.sizes?.[hp] ?? defaultAzureVmSize(hp, override), doc, "honeypot", hp, undefined, identityId);
    return { name: hp, vm, publicIp, nic, securityGroup: nsg, members: [hp, ...internalPeers(hp).map((e) => e.name)], ports };
  }

  /** Kibana: its own VM in the dashboard subnet (the one Elasticsearch answers), port 80 for the allow-list only. */
  private kibanaHost(ctx: Context, elasticAddress: string): { ip: PublicIp; vm: LinuxVirtualMachine } {
    const props = ctx.props;
    const ip = new PublicIp(this, "KibanaIp", { name: ctx.name("kibana"), location: ctx.location, resourceGroupName: ctx.rg, allocationMethod: "Static", sku: "Standard", tags: ctx.tags("dashboard") });
    const { nic } = this.guardedNic(
      ctx,
      { nsg: "KibanaSecurityGroup", nic: "KibanaNic", association: "KibanaNicSecurityGroup" },
      {
        name: ctx.name("kibana"),
        tags: ctx.tags("dashboard"),
        nsgTags: { ...ctx.tags("dashboard"), [TAG_KEYS.plaintext]: "accepted", ...(props.dashboard.allowWorldOpen ? { [TAG_KEYS.worldOpen]: "accepted" } : {}) },
        rules: [{ id: "AllowList", name: "kibana-allow-list", priority: FIRST_PRIORITY, protocol: "Tcp", from: ipv4Only(props.dashboard.allowCidrs), port: DEFAULT_KIBANA_PORT }],
        ipConfiguration: { name: "public", subnetId: this.dashboardSubnet.id, privateIpAddressAllocation: "Dynamic", publicIpAddressId: ip.id },
      },
    );
    const doc = kibanaHostCloudInit({
      elasticsearchUrl: `http://${elasticAddress}:${ELASTICSEARCH_PORT}`,
      elastic: { ...(props.elasticVersion ? { version: props.elasticVersion } : {}), ...(props.elasticImages?.kibana ? { images: { kibana: props.elasticImages.kibana } } : {}) },
      adminSsh: ctx.adminSsh,
    });
    return { ip, vm: this.vm(ctx, "KibanaVm", ctx.name("kibana"), nic, DEFAULT_KIBANA_SIZE, doc, "dashboard") };
  }

  /** Reading the honeypots' public IPs: Reader on the honeynet's resource group, nothing wider. */
  discoveryAccess(): AccessGrant {
    return { cloud: "azure", roleAssignments: [{ role: "Reader", scope: this.resourceGroup.id, key: "Reader" }] };
  }

  /**
   * Moving honeypots to a new public IP. A Standard IP keeps its address for life, so rotation deletes
   * the honeypot's IP and creates one of the same name, detaching and attaching it on the NIC. Two
   * roles of the grantee's own, each only where it acts: {@link ROTATION_PUBLIC_IPS} on the resource
   * group (the new IP does not exist yet, so nothing narrower can hold it) and {@link ROTATION_NIC_SWAP}
   * on each rotating honeypot's NIC, the honeypot subnet and each rotating honeypot's NSG (the NIC PUT
   * joins both again). Network Contributor, the nearest built-in role, could also rewrite every NSG
   * rule of the network. Scoped to the named honeypots, or to every one.
   */
  rotationAccess(honeypots?: readonly string[]): AccessGrant {
    const unknown = (honeypots ?? []).filter((h) => !this.hosts.some((x) => x.name === h));
    if (unknown.length > 0) throw new Error(`${this.node.path}: ${unknown.join(", ")} is not a public honeypot of this honeynet`);
    const hosts = honeypots ? this.hosts.filter((h) => honeypots.includes(h.name)) : this.hosts;
    const rg = this.resourceGroup.id;
    const role = (r: typeof ROTATION_PUBLIC_IPS | typeof ROTATION_NIC_SWAP) => ({ key: r.key, description: r.description, actions: r.actions, assignableScope: rg });
    return {
      cloud: "azure",
      customRoles: [role(ROTATION_PUBLIC_IPS), role(ROTATION_NIC_SWAP)],
      roleAssignments: [
        { role: ROTATION_PUBLIC_IPS.key, scope: rg, key: "PublicIps" },
        ...hosts.map((h) => ({ role: ROTATION_NIC_SWAP.key, scope: h.nic.id, key: `Nic-${h.name}` })),
        { role: ROTATION_NIC_SWAP.key, scope: this.honeypotSubnet.id, key: "Subnet" },
        ...hosts.map((h) => ({ role: ROTATION_NIC_SWAP.key, scope: h.securityGroup.id, key: `SecurityGroup-${h.name}` })),
      ],
    };
  }
}
