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
 * dashboard subnet, nothing else. No VM has a managed identity.
 *
 * Kibana runs on its own small VM in the dashboard subnet, with a Standard public IP whose NSG lets
 * only `dashboard.allowCidrs` reach it. Not on Container Apps: its IP restrictions are not documented
 * to act on the TCP peer (the ingress appends to a client's X-Forwarded-For), an NSG cannot lock down
 * an external workload-profiles environment (its inbound traffic does not cross the subnet), and an
 * internal environment needs an Application Gateway in front (about $180 a month, more than the whole
 * honeynet). An NSG acts on the connecting address, which nobody can forge over TCP. HTTP only for now.
 */
import { Construct } from "constructs";
import { Annotations, TerraformOutput, type ITerraformDependable } from "cdktf";
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
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { SubnetNatGatewayAssociation } from "@cdktf/provider-azurerm/lib/subnet-nat-gateway-association";
import { VirtualMachineDataDiskAttachment } from "@cdktf/provider-azurerm/lib/virtual-machine-data-disk-attachment";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { analyticsHostname, ELASTIC_SIZES, elasticSizeSpec } from "../core/analytics";
import { honeypot as catalogEntry } from "../core/catalog";
import { ipv4Host, ipv4Only, ipv4Subnet } from "../core/cidr";
import { ConfigError, type ConfigProblem } from "../core/config";
import { honeynetPropsProblems } from "../core/validate";
import { DEFAULT_ADMIN_SSH_PORT, DEFAULT_KIBANA_PORT, DEFAULT_SHIPPER_PORT, elasticHostCloudInit, honeypotHostCloudInit, kibanaHostCloudInit, hostPorts, internalPeers, INTERNAL_MEMBERS, vmAdminAccess, vmHoneypotDescriptor, type AdminSshProps, type HostPort } from "../core/host";
import type { AccessGrant, HoneynetProps, HoneypotDescriptor, IHoneynet, PublicIpSource } from "../core/interfaces";
import { componentTags, resourceName, TAG_KEYS, type Component } from "../core/naming";
import { defaultAzureVmSize } from "../core/vm-sizes";
import { keyWithoutPrivateHalf } from "./admin-key";

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

export interface AzureHoneynetProps extends HoneynetProps {
  /** Azure location of every resource (validated by the config). */
  readonly location: string;
  /** VM size per honeypot, as resolved from `overrides.<hp>.size`. @default defaultAzureVmSize of each (catalog CPU and memory) */
  readonly sizes?: Readonly<Record<string, string>>;
  /** CIDRs that may reach admin SSH on every VM; used only together with `adminSshPublicKey`. @default none: the admin port is closed */
  readonly adminCidrs?: readonly string[];
  /** OpenSSH public key of the admin (validated by the config). @default none: a key nobody holds the private half of (admin-key.ts) */
  readonly adminSshPublicKey?: string;
  /** VM size of the Elastic host, instead of the one `elasticSize` picks. @default ELASTIC_SIZES[elasticSize].azureVmSize */
  readonly elasticVmSize?: string;
  /** Size of the Elasticsearch data disk, GiB. @default DEFAULT_ELASTIC_DISK_GB */
  readonly elasticDiskGb?: number;
}

/** What the honeynet made for one honeypot VM. */
export interface AzureHoneypotHost {
  readonly name: string;
  readonly vm: LinuxVirtualMachine;
  readonly publicIp: PublicIp;
  readonly securityGroup: NetworkSecurityGroup;
  /** The honeypot and the internal group members on its VM (tanner and its peers on snare's). */
  readonly members: readonly string[];
  readonly ports: readonly HostPort[];
}

/**
 * What the Azure honeynet needs beyond {@link honeynetPropsProblems} (the config checks both; a construct
 * used directly must not skip them): an IPv4 allow-list, and plain HTTP accepted even with an AWS
 * certificate, since the Azure dashboard has no HTTPS yet.
 */
export function azureHoneynetPropsProblems(props: HoneynetProps): ConfigProblem[] {
  const d = props.dashboard;
  const out = honeynetPropsProblems(props);
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
  readonly elasticVm: LinuxVirtualMachine;
  /** Private address of the Elastic VM: Logstash for the shippers, Elasticsearch for Kibana. */
  readonly elasticAddress: string;
  readonly honeypots: readonly HoneypotDescriptor[];
  readonly kibanaVm: LinuxVirtualMachine;
  readonly kibanaIp: PublicIp;
  /** `http://<Kibana's public IP>`: reachable only from `dashboard.allowCidrs`. */
  readonly dashboardUrl: string;
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
    const nat = this.natGateway(ctx);

    // Elastic host first: the shippers need its address.
    this.elasticAddress = ipv4Host(ipv4Subnet(networkCidr, 4, 1), FIRST_FREE_HOST);
    this.elasticVm = this.elasticHost(ctx, ipv4Subnet(networkCidr, 4, 0), ipv4Subnet(networkCidr, 4, 2), nat);

    // One VM per honeypot with ports; internal members (tanner & co.) run on their public member's VM.
    this.hosts = props.honeypots.filter((h) => !INTERNAL_MEMBERS.includes(h)).map((hp) => this.honeypotHost(ctx, hp));
    if ((props.capacity ?? "spot") === "spot" && this.hosts.some((h) => !spotCapable(h.vm.sizeInput ?? ""))) {
      Annotations.of(this).addWarning('capacity "spot": Azure runs no B-series size as a Spot VM, so the honeypot VMs of B-series sizes are regular (pay-as-you-go) VMs');
    }
    this.honeypots = this.hosts.map((h) => vmHoneypotDescriptor(h.name, h.ports, props.overrides?.[h.name], h.vm.name));

    const v6 = props.dashboard.allowCidrs.filter((c) => c.includes(":"));
    if (v6.length > 0) Annotations.of(this).addWarning(`dashboard: ${v6.join(", ")} left out of the Azure allow-list: Kibana's public IP is IPv4 only`);
    const kibana = this.kibanaHost(ctx);
    this.kibanaIp = kibana.ip;
    this.kibanaVm = kibana.vm;
    this.dashboardUrl = `http://${this.kibanaIp.ipAddress}`;
    this.publicIpSource = { cloud: "azure", resourceGroup: name("honeynet"), tag: { key: TAG_KEYS.component, value: "honeypot" } };

    new TerraformOutput(this, "dashboard_url", { value: this.dashboardUrl, description: "Kibana, reachable only from honeynet.dashboard.allowCidrs (plain HTTP)" });
    new TerraformOutput(this, "resource_group", { value: ctx.rg, description: "Resource group of the honeynet" });
    new TerraformOutput(this, "honeypot_vms", {
      value: Object.fromEntries(this.hosts.map((h) => [h.name, h.vm.name])),
      description: "Honeypot → VM name",
    });
    new TerraformOutput(this, "list_public_ips", {
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

  private vm(ctx: Context, sid: string, vmName: string, nic: NetworkInterface, size: string, customData: string, component: Component, honeypot?: string, dependsOn?: ITerraformDependable[]): LinuxVirtualMachine {
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
      customData: Buffer.from(customData).toString("base64"),
      ...(spot ? { priority: "Spot", evictionPolicy: "Deallocate", maxBidPrice: -1 } : {}),
      tags: ctx.tags(component, honeypot),
    });
  }

  /** Elasticsearch and Logstash: private, with a data disk; Logstash for the honeypot subnet, Elasticsearch for the dashboard's. */
  private elasticHost(ctx: Context, honeypotCidr: string, dashboardCidr: string, nat: ITerraformDependable[]): LinuxVirtualMachine {
    const props = ctx.props;
    const to = this.elasticAddress;
    const { nic } = this.guardedNic(
      ctx,
      { nsg: "ElasticSecurityGroup", nic: "ElasticNic", association: "ElasticNicSecurityGroup" },
      {
        name: ctx.name("elastic"),
        tags: ctx.tags("elastic"),
        rules: [
          { id: "Logstash", name: "logstash-from-honeypots", priority: FIRST_PRIORITY, protocol: "Tcp", from: honeypotCidr, port: DEFAULT_SHIPPER_PORT, to },
          { id: "Elasticsearch", name: "elasticsearch-from-dashboard", priority: FIRST_PRIORITY + 1, protocol: "Tcp", from: dashboardCidr, port: ELASTICSEARCH_PORT, to },
        ],
        adminFrom: [dashboardCidr],
        ipConfiguration: { name: "private", subnetId: this.elasticSubnet.id, privateIpAddressAllocation: "Static", privateIpAddress: to },
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
    });
    // Its only way out is the NAT gateway: cloud-init installs Docker at first boot, so the VM waits for it.
    const vm = this.vm(ctx, "ElasticVm", ctx.name("elastic"), nic, props.elasticVmSize ?? size.azureVmSize, doc, "elastic", undefined, nat);
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
    return vm;
  }

  /** One honeypot's VM: its own public IP, its catalog ports and nothing else. */
  private honeypotHost(ctx: Context, hp: string): AzureHoneypotHost {
    const props = ctx.props;
    const override = props.overrides?.[hp];
    const ports = hostPorts(catalogEntry(hp), override?.ports);
    const sid = `Honeypot-${hp}`;
    const vmName = ctx.name("hp", hp);
    const tags = ctx.tags("honeypot", hp);
    const publicIp = new PublicIp(this, `${sid}-PublicIp`, { name: vmName, location: ctx.location, resourceGroupName: ctx.rg, allocationMethod: "Static", sku: "Standard", tags });
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
      logstash: { address: this.elasticAddress, port: DEFAULT_SHIPPER_PORT },
      adminSsh: ctx.adminSsh,
      ...(props.elasticVersion ? { elasticVersion: props.elasticVersion } : {}),
    });
    const vm = this.vm(ctx, `${sid}-Vm`, vmName, nic, props.sizes?.[hp] ?? defaultAzureVmSize(hp, override), doc, "honeypot", hp);
    return { name: hp, vm, publicIp, securityGroup: nsg, members: [hp, ...internalPeers(hp).map((e) => e.name)], ports };
  }

  /** Kibana: its own VM in the dashboard subnet (the one Elasticsearch answers), port 80 for the allow-list only. */
  private kibanaHost(ctx: Context): { ip: PublicIp; vm: LinuxVirtualMachine } {
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
      elasticsearchUrl: `http://${this.elasticAddress}:${ELASTICSEARCH_PORT}`,
      elastic: { ...(props.elasticVersion ? { version: props.elasticVersion } : {}), ...(props.elasticImages?.kibana ? { images: { kibana: props.elasticImages.kibana } } : {}) },
      adminSsh: ctx.adminSsh,
    });
    return { ip, vm: this.vm(ctx, "KibanaVm", ctx.name("kibana"), nic, DEFAULT_KIBANA_SIZE, doc, "dashboard") };
  }

  /** Reading the honeypots' public IPs: Reader on the honeynet's resource group, nothing wider. */
  discoveryAccess(): AccessGrant {
    return { cloud: "azure", roleAssignments: [{ role: "Reader", scope: this.resourceGroup.id }] };
  }

  /** Swapping a honeypot's public IP (a new IP onto its NIC): Network Contributor on the resource group. */
  rotationAccess(): AccessGrant {
    return { cloud: "azure", roleAssignments: [{ role: "Network Contributor", scope: this.resourceGroup.id }] };
  }
}
