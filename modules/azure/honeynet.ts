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
import { NetworkInterface } from "@cdktf/provider-azurerm/lib/network-interface";
import { NetworkInterfaceSecurityGroupAssociation } from "@cdktf/provider-azurerm/lib/network-interface-security-group-association";
import { NetworkSecurityGroup } from "@cdktf/provider-azurerm/lib/network-security-group";
import { NetworkSecurityRule } from "@cdktf/provider-azurerm/lib/network-security-rule";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { SubnetNatGatewayAssociation } from "@cdktf/provider-azurerm/lib/subnet-nat-gateway-association";
import { VirtualMachineDataDiskAttachment } from "@cdktf/provider-azurerm/lib/virtual-machine-data-disk-attachment";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { honeypot as catalogEntry } from "../core/catalog";
import { ipv4Host, ipv4Subnet } from "../core/cidr";
import { DEFAULT_ADMIN_SSH_PORT, DEFAULT_KIBANA_PORT, DEFAULT_SHIPPER_PORT, elasticHostCloudInit, honeypotHostCloudInit, kibanaHostCloudInit, hostPorts, internalPeers, INTERNAL_MEMBERS, type HostPort } from "../core/host";
import { isWorldOpen, parseCidr } from "../core/cidr";
import type { AccessGrant, HoneynetProps, HoneypotDescriptor, IHoneynet, PublicIpSource } from "../core/interfaces";
import { componentTags, resourceName, TAG_KEYS, type Component } from "../core/naming";
import { defaultAzureVmSize } from "../core/vm-sizes";
import { keyWithoutPrivateHalf } from "./admin-key";

/**
 * Azure does not run B-series sizes as Spot VMs (Microsoft's Spot limitations), and every size lure
 * offers is burstable B-series: `capacity: "spot"` then gives regular VMs, with a synth warning.
 */
export const spotCapable = (size: string): boolean => !/^Standard_B/i.test(size);
/** Elasticsearch (4 GiB container) and Logstash on one VM: 2 vCPU, 8 GiB. */
export const DEFAULT_ELASTIC_SIZE = "Standard_B2s_v2";
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
  /** Size of the Elastic VM. @default DEFAULT_ELASTIC_SIZE */
  readonly elasticSize?: string;
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

/** The IPv4 CIDRs of a list: Kibana's public IP is IPv4, so IPv6 ones would allow nothing (they are left out, with a synth warning). */
const ipv4Only = (cidrs: readonly string[]) => cidrs.filter((c) => !c.includes(":"));

/** Problems of the dashboard props (the config checks them too; a construct used directly must not skip them). */
export function azureDashboardProblems(d: HoneynetProps["dashboard"]): string[] {
  const out: string[] = [];
  if (ipv4Only(d.allowCidrs).length === 0) out.push("dashboard.allowCidrs has no IPv4 CIDR: nobody could reach Kibana's IPv4 address; list the CIDRs that may");
  for (const c of d.allowCidrs) {
    const r = parseCidr(c);
    if (!r.ok) out.push(`dashboard.allowCidrs: "${c}" is not a CIDR (${r.reason})`);
    else if (isWorldOpen(r.cidr) && d.allowWorldOpen !== true) out.push(`dashboard.allowCidrs: "${c}" opens Kibana to the whole internet; set dashboard.allowWorldOpen to accept that`);
  }
  if (d.allowPlaintext !== true) out.push("dashboard.allowPlaintext: the Azure honeynet serves Kibana over plain HTTP only (HTTPS on Azure is not built yet); set it to true to accept that");
  return out;
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
    const dashboardProblems = azureDashboardProblems(props.dashboard);
    if (dashboardProblems.length > 0) throw new Error(`AzureHoneynet "${id}": ${dashboardProblems.join("; ")}`);
    const prefix = props.prefix ?? "lure";
    this.prefix = prefix;
    const location = props.location;
    const networkCidr = props.networkCidr ?? "10.42.0.0/16";
    const adminKey = props.adminSshPublicKey;
    const adminCidrs = adminKey !== undefined ? ipv4Only(props.adminCidrs ?? []) : [];
    const adminV6 = adminKey !== undefined ? (props.adminCidrs ?? []).filter((c) => c.includes(":")) : [];
    if (adminV6.length > 0) Annotations.of(this).addWarning(`adminCidrs: ${adminV6.join(", ")} left out: the VMs' addresses are IPv4 only`);
    const tags = (component: Component, honeypot?: string) => ({ ...(props.tags ?? {}), ...componentTags(component, honeypot) });
    const name = (...parts: string[]) => resourceName(prefix, parts, 64);

    this.resourceGroup = new ResourceGroup(this, "ResourceGroup", { name: name("honeynet"), location, tags: tags("network") });
    const rg = this.resourceGroup.name;
    this.network = new VirtualNetwork(this, "Network", { name: name("honeynet"), location, resourceGroupName: rg, addressSpace: [networkCidr], tags: tags("network") });
    const subnet = (sid: string, part: number, label: string) =>
      new Subnet(this, sid, {
        name: name(label),
        resourceGroupName: rg,
        virtualNetworkName: this.network.name,
        addressPrefixes: [ipv4Subnet(networkCidr, 4, part)],
        // Outbound only where lure provides it: a VM's own public IP, or the NAT gateway.
        defaultOutboundAccessEnabled: false,
      });
    this.honeypotSubnet = subnet("HoneypotSubnet", 0, "honeypots");
    this.elasticSubnet = subnet("ElasticSubnet", 1, "elastic");
    this.dashboardSubnet = subnet("DashboardSubnet", 2, "dashboard");
    const honeypotCidr = ipv4Subnet(networkCidr, 4, 0);
    const dashboardCidr = ipv4Subnet(networkCidr, 4, 2);

    const natIp = new PublicIp(this, "NatIp", { name: name("nat"), location, resourceGroupName: rg, allocationMethod: "Static", sku: "Standard", tags: tags("network") });
    const nat = new NatGateway(this, "Nat", { name: name("nat"), location, resourceGroupName: rg, skuName: "Standard", tags: tags("network") });
    const natIpAssociation = new NatGatewayPublicIpAssociation(this, "NatIpAssociation", { natGatewayId: nat.id, publicIpAddressId: natIp.id });
    const elasticNat = new SubnetNatGatewayAssociation(this, "ElasticNat", { subnetId: this.elasticSubnet.id, natGatewayId: nat.id });

    const sshKey = adminKey ?? keyWithoutPrivateHalf();
    const adminSsh = { port: DEFAULT_ADMIN_SSH_PORT, ...(adminKey !== undefined ? { publicKey: adminKey } : {}) };
    /**
     * The rules every lure NSG ends with: admin SSH for the allow-list (`from`: the Elastic VM, which has
     * no public address, takes it from the dashboard subnet: the Kibana VM is the jump host), then nothing else.
     */
    const closingRules = (nsg: NetworkSecurityGroup, sid: string, from: readonly string[] = adminCidrs) => {
      if (adminCidrs.length > 0) {
        new NetworkSecurityRule(this, `${sid}-AdminSsh`, {
          name: "admin-ssh",
          resourceGroupName: rg,
          networkSecurityGroupName: nsg.name,
          priority: ADMIN_PRIORITY,
          direction: "Inbound",
          access: "Allow",
          protocol: "Tcp",
          sourceAddressPrefixes: [...from],
          sourcePortRange: "*",
          destinationAddressPrefix: "*",
          destinationPortRange: String(DEFAULT_ADMIN_SSH_PORT),
        });
      }
      new NetworkSecurityRule(this, `${sid}-DenyRest`, {
        name: "deny-everything-else",
        resourceGroupName: rg,
        networkSecurityGroupName: nsg.name,
        priority: DENY_PRIORITY,
        direction: "Inbound",
        access: "Deny",
        protocol: "*",
        sourceAddressPrefix: "*",
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: "*",
      });
    };
    const vm = (sid: string, vmName: string, nic: NetworkInterface, size: string, customData: string, component: Component, honeypot?: string, dependsOn?: ITerraformDependable[]) =>
      new LinuxVirtualMachine(this, sid, {
        ...(dependsOn ? { dependsOn } : {}),
        name: vmName,
        computerName: vmName,
        location,
        resourceGroupName: rg,
        size,
        adminUsername: ADMIN_USER,
        adminSshKey: [{ username: ADMIN_USER, publicKey: sshKey }],
        disablePasswordAuthentication: true,
        networkInterfaceIds: [nic.id],
        osDisk: { caching: "ReadWrite", storageAccountType: "StandardSSD_LRS" },
        sourceImageReference: { ...UBUNTU_IMAGE },
        customData: Buffer.from(customData).toString("base64"),
        ...(component === "honeypot" && (props.capacity ?? "spot") === "spot" && spotCapable(size) ? { priority: "Spot", evictionPolicy: "Deallocate", maxBidPrice: -1 } : {}),
        tags: tags(component, honeypot),
      });

    // Elastic host first: the shippers need its address.
    this.elasticAddress = ipv4Host(ipv4Subnet(networkCidr, 4, 1), FIRST_FREE_HOST);
    const elasticNsg = new NetworkSecurityGroup(this, "ElasticSecurityGroup", { name: name("elastic"), location, resourceGroupName: rg, tags: tags("elastic") });
    const allowFrom = (sid: string, ruleName: string, priority: number, source: string, port: number) =>
      new NetworkSecurityRule(this, sid, {
        name: ruleName,
        resourceGroupName: rg,
        networkSecurityGroupName: elasticNsg.name,
        priority,
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        sourceAddressPrefix: source,
        sourcePortRange: "*",
        destinationAddressPrefix: this.elasticAddress,
        destinationPortRange: String(port),
      });
    allowFrom("ElasticSecurityGroup-Logstash", "logstash-from-honeypots", FIRST_PRIORITY, honeypotCidr, DEFAULT_SHIPPER_PORT);
    allowFrom("ElasticSecurityGroup-Elasticsearch", "elasticsearch-from-dashboard", FIRST_PRIORITY + 1, dashboardCidr, ELASTICSEARCH_PORT);
    closingRules(elasticNsg, "ElasticSecurityGroup", [dashboardCidr]);
    const elasticNic = new NetworkInterface(this, "ElasticNic", {
      name: name("elastic"),
      location,
      resourceGroupName: rg,
      ipConfiguration: [{ name: "private", subnetId: this.elasticSubnet.id, privateIpAddressAllocation: "Static", privateIpAddress: this.elasticAddress }],
      tags: tags("elastic"),
    });
    new NetworkInterfaceSecurityGroupAssociation(this, "ElasticNicSecurityGroup", { networkInterfaceId: elasticNic.id, networkSecurityGroupId: elasticNsg.id });
    const elasticDoc = elasticHostCloudInit({
      prefix,
      dataDisk: { device: DATA_DISK_DEVICE },
      elastic: { ...(props.elasticVersion ? { version: props.elasticVersion } : {}), ...(props.elasticImages ? { images: props.elasticImages } : {}) },
      adminSsh,
    });
    // Its only way out is the NAT gateway: cloud-init installs Docker at first boot, so the VM waits for it.
    this.elasticVm = vm("ElasticVm", name("elastic"), elasticNic, props.elasticSize ?? DEFAULT_ELASTIC_SIZE, elasticDoc, "elastic", undefined, [natIpAssociation, elasticNat]);
    const disk = new ManagedDisk(this, "ElasticDisk", {
      name: name("elastic", "data"),
      location,
      resourceGroupName: rg,
      storageAccountType: "StandardSSD_LRS",
      createOption: "Empty",
      diskSizeGb: props.elasticDiskGb ?? DEFAULT_ELASTIC_DISK_GB,
      tags: tags("elastic"),
    });
    new VirtualMachineDataDiskAttachment(this, "ElasticDiskAttachment", { managedDiskId: disk.id, virtualMachineId: this.elasticVm.id, lun: 0, caching: "ReadWrite" });

    // One VM per honeypot with ports; internal members (tanner & co.) run on their public member's VM.
    const hosts: AzureHoneypotHost[] = [];
    for (const hp of props.honeypots.filter((h) => !INTERNAL_MEMBERS.includes(h))) {
      const entry = catalogEntry(hp);
      const override = props.overrides?.[hp];
      const ports = hostPorts(entry, override?.ports);
      const sid = `Honeypot-${hp}`;
      const publicIp = new PublicIp(this, `${sid}-PublicIp`, { name: name("hp", hp), location, resourceGroupName: rg, allocationMethod: "Static", sku: "Standard", tags: tags("honeypot", hp) });
      const nsg = new NetworkSecurityGroup(this, `${sid}-SecurityGroup`, { name: name("hp", hp), location, resourceGroupName: rg, tags: tags("honeypot", hp) });
      ports.forEach((p, i) => {
        new NetworkSecurityRule(this, `${sid}-SecurityGroup-${p.protocol}-${p.host}`, {
          name: `honeypot-${p.protocol}-${p.host}`,
          resourceGroupName: rg,
          networkSecurityGroupName: nsg.name,
          priority: FIRST_PRIORITY + i,
          direction: "Inbound",
          access: "Allow",
          protocol: p.protocol === "udp" ? "Udp" : "Tcp",
          sourceAddressPrefix: "*",
          sourcePortRange: "*",
          destinationAddressPrefix: "*",
          destinationPortRange: String(p.host),
        });
      });
      closingRules(nsg, `${sid}-SecurityGroup`);
      const nic = new NetworkInterface(this, `${sid}-Nic`, {
        name: name("hp", hp),
        location,
        resourceGroupName: rg,
        ipConfiguration: [{ name: "public", subnetId: this.honeypotSubnet.id, privateIpAddressAllocation: "Dynamic", publicIpAddressId: publicIp.id }],
        tags: tags("honeypot", hp),
      });
      new NetworkInterfaceSecurityGroupAssociation(this, `${sid}-NicSecurityGroup`, { networkInterfaceId: nic.id, networkSecurityGroupId: nsg.id });
      const doc = honeypotHostCloudInit({
        honeypot: hp,
        ...(override ? { override: { ...(override.image ? { image: override.image } : {}), ...(override.ports ? { ports: override.ports } : {}), ...(override.user ? { user: override.user } : {}) } } : {}),
        logstash: { address: this.elasticAddress, port: DEFAULT_SHIPPER_PORT },
        adminSsh,
        ...(props.elasticVersion ? { elasticVersion: props.elasticVersion } : {}),
      });
      const size = props.sizes?.[hp] ?? defaultAzureVmSize(hp, override);
      const host = vm(`${sid}-Vm`, name("hp", hp), nic, size, doc, "honeypot", hp);
      hosts.push({ name: hp, vm: host, publicIp, securityGroup: nsg, members: [hp, ...internalPeers(hp).map((e) => e.name)], ports });
    }
    this.hosts = hosts;
    if ((props.capacity ?? "spot") === "spot" && hosts.some((h) => !spotCapable(h.vm.sizeInput ?? ""))) {
      Annotations.of(this).addWarning('capacity "spot": Azure runs no B-series size as a Spot VM, so the honeypot VMs of B-series sizes are regular (pay-as-you-go) VMs');
    }
    this.honeypots = hosts.map((h) => ({
      name: h.name,
      image: props.overrides?.[h.name]?.image ?? catalogEntry(h.name).image,
      ports: h.ports.map((p) => ({ port: p.host, protocol: p.protocol })),
      portChanges: [],
      serviceName: h.vm.name,
    }));

    const v6 = props.dashboard.allowCidrs.filter((c) => c.includes(":"));
    if (v6.length > 0) Annotations.of(this).addWarning(`dashboard: ${v6.join(", ")} left out of the Azure allow-list: Kibana's public IP is IPv4 only`);
    // Kibana: its own VM in the dashboard subnet, the one subnet Elasticsearch answers.
    this.kibanaIp = new PublicIp(this, "KibanaIp", { name: name("kibana"), location, resourceGroupName: rg, allocationMethod: "Static", sku: "Standard", tags: tags("dashboard") });
    const kibanaNsg = new NetworkSecurityGroup(this, "KibanaSecurityGroup", {
      name: name("kibana"),
      location,
      resourceGroupName: rg,
      tags: { ...tags("dashboard"), [TAG_KEYS.plaintext]: "accepted", ...(props.dashboard.allowWorldOpen ? { [TAG_KEYS.worldOpen]: "accepted" } : {}) },
    });
    new NetworkSecurityRule(this, "KibanaSecurityGroup-AllowList", {
      name: "kibana-allow-list",
      resourceGroupName: rg,
      networkSecurityGroupName: kibanaNsg.name,
      priority: FIRST_PRIORITY,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefixes: ipv4Only(props.dashboard.allowCidrs),
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: String(DEFAULT_KIBANA_PORT),
    });
    closingRules(kibanaNsg, "KibanaSecurityGroup");
    const kibanaNic = new NetworkInterface(this, "KibanaNic", {
      name: name("kibana"),
      location,
      resourceGroupName: rg,
      ipConfiguration: [{ name: "public", subnetId: this.dashboardSubnet.id, privateIpAddressAllocation: "Dynamic", publicIpAddressId: this.kibanaIp.id }],
      tags: tags("dashboard"),
    });
    new NetworkInterfaceSecurityGroupAssociation(this, "KibanaNicSecurityGroup", { networkInterfaceId: kibanaNic.id, networkSecurityGroupId: kibanaNsg.id });
    const kibanaDoc = kibanaHostCloudInit({
      elasticsearchUrl: `http://${this.elasticAddress}:${ELASTICSEARCH_PORT}`,
      elastic: { ...(props.elasticVersion ? { version: props.elasticVersion } : {}), ...(props.elasticImages?.kibana ? { images: { kibana: props.elasticImages.kibana } } : {}) },
      adminSsh,
    });
    this.kibanaVm = vm("KibanaVm", name("kibana"), kibanaNic, DEFAULT_KIBANA_SIZE, kibanaDoc, "dashboard");
    this.dashboardUrl = `http://${this.kibanaIp.ipAddress}`;
    this.publicIpSource = { cloud: "azure", resourceGroup: name("honeynet"), tag: { key: TAG_KEYS.component, value: "honeypot" } };

    new TerraformOutput(this, "dashboard_url", { value: this.dashboardUrl, description: "Kibana, reachable only from honeynet.dashboard.allowCidrs (plain HTTP)" });
    new TerraformOutput(this, "resource_group", { value: rg, description: "Resource group of the honeynet" });
    new TerraformOutput(this, "honeypot_vms", {
      value: Object.fromEntries(hosts.map((h) => [h.name, h.vm.name])),
      description: "Honeypot → VM name",
    });
    new TerraformOutput(this, "list_public_ips", {
      value: `az network public-ip list --resource-group ${name("honeynet")} --query "[?tags.\\"${TAG_KEYS.component}\\"=='honeypot'].{honeypot: tags.\\"${TAG_KEYS.honeypot}\\", ip: ipAddress}" --output table`,
      description: "The honeypots' current public IPs",
    });
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
