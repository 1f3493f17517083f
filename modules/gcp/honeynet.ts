/**
 * `GcpHoneynet`: the T-Pot honeypots on Google Cloud, each on its own small Compute Engine VM with an
 * ephemeral external IP, the Elastic host (Elasticsearch + Logstash) on a private VM, and Kibana on
 * Cloud Run behind a global external Application Load Balancer whose Cloud Armor policy admits only
 * `dashboard.allowCidrs`. Why VMs: Cloud Run serves HTTP only (README "Google Cloud", DESIGN.md).
 *
 * ```ts
 * new GcpHoneynet(stack, "Honeynet", { prefix: "lure", region: "europe-west2", zone: "europe-west2-a", honeypots: ["cowrie"], dashboard: { allowCidrs: ["198.51.100.0/24"], allowPlaintext: true } });
 * ```
 *
 * Network (`networkCidr`, cut in sixteenths like the other clouds): the honeypot subnet (part 0), the
 * Elastic subnet (part 1, outbound through Cloud NAT only), the dashboard subnet (part 2: Cloud Run's
 * Direct VPC egress takes Kibana's addresses from it, so Elasticsearch admits that range alone).
 *
 * The image is Ubuntu 24.04 LTS, not Container-Optimized OS: the cloud-init documents of
 * modules/core/host install Docker and compose from Ubuntu's archive and security updates with
 * unattended-upgrades, and COS has no package manager, drops inbound traffic in its host firewall
 * and keeps sshd on 22 (cowrie's port). The container declaration agent is gone since 31 July 2026,
 * so cloud-init (metadata `user-data`) starts everything.
 *
 * Firewall: a custom-mode network has no allow rule, so only lure's rules admit anything. Each
 * honeypot has one rule, aimed at its own network tag, with exactly its catalog ports and protocols
 * from anywhere; the Elastic VM admits Logstash from the honeypot subnet and Elasticsearch from the
 * dashboard subnet. Every rule logs. No VM has a service account, so no VM can get a token (a
 * hive's sensor and the hive below are the exceptions).
 *
 * A hive's sensor (`hive`, from `honeynet.analytics.hive`): the honeypots ship over TLS to the other
 * cloud's hive, and none of the Elastic VM, Cloud NAT, Kibana or its load balancer exists. The
 * sensors' client credential lives in a Secret Manager secret that Terraform creates without a value;
 * the honeypot VMs then run as one service account whose only grant is reading that secret, which they
 * do at boot through the metadata server (their containers cannot reach it). The three subnets stay,
 * so that turning the hive off again changes nothing that exists.
 *
 * ```ts
 * new GcpHoneynet(stack, "Honeynet", { prefix: "lure", region: "europe-west2", zone: "europe-west2-a", honeypots: ["cowrie"], dashboard: { allowCidrs: ["198.51.100.0/24"] }, hive: { cloud: "aws", address: "hive.example.net" } });
 * ```
 *
 * The hive (`hiveInput`, when `honeynet.analytics.hive` names Google Cloud): everything above, and the
 * Elastic VM also runs the hive's Logstash (TLS Beats input, client certificates required) on 64294,
 * behind an external passthrough Network Load Balancer (`honeynet-hive.ts`) whose static address the
 * sensors ship to; the VM keeps no external IP. Its credential lives in a Secret Manager secret that
 * Terraform creates without a value; the Elastic VM runs as a service account whose only grant is
 * reading that secret, at boot, through the metadata server (its containers cannot reach it). The
 * honeypot VMs keep no service account.
 *
 * ```ts
 * new GcpHoneynet(stack, "Honeynet", { prefix: "lure", region: "europe-west2", zone: "europe-west2-a", honeypots: ["cowrie"], dashboard: { allowCidrs: ["198.51.100.0/24"], allowPlaintext: true }, hiveInput: { allowCidrs: ["203.0.113.0/24"] } });
 * ```
 */
import { Construct } from "constructs";
import { Annotations, type ITerraformDependable } from "cdktf";
import { CloudRunV2Service } from "@cdktf/provider-google/lib/cloud-run-v2-service";
import { ComputeBackendService } from "@cdktf/provider-google/lib/compute-backend-service";
import { ComputeDisk } from "@cdktf/provider-google/lib/compute-disk";
import { ComputeFirewall, type ComputeFirewallAllow } from "@cdktf/provider-google/lib/compute-firewall";
import { ComputeGlobalAddress } from "@cdktf/provider-google/lib/compute-global-address";
import { ComputeGlobalForwardingRule } from "@cdktf/provider-google/lib/compute-global-forwarding-rule";
import { ComputeInstance, type ComputeInstanceConfig } from "@cdktf/provider-google/lib/compute-instance";
import { ComputeManagedSslCertificate } from "@cdktf/provider-google/lib/compute-managed-ssl-certificate";
import { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import { ComputeRegionNetworkEndpointGroup } from "@cdktf/provider-google/lib/compute-region-network-endpoint-group";
import { ComputeRouter } from "@cdktf/provider-google/lib/compute-router";
import { ComputeRouterNat } from "@cdktf/provider-google/lib/compute-router-nat";
import { ComputeSecurityPolicy, type ComputeSecurityPolicyRule } from "@cdktf/provider-google/lib/compute-security-policy";
import { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork";
import { ComputeTargetHttpProxy } from "@cdktf/provider-google/lib/compute-target-http-proxy";
import { ComputeTargetHttpsProxy } from "@cdktf/provider-google/lib/compute-target-https-proxy";
import { ComputeUrlMap } from "@cdktf/provider-google/lib/compute-url-map";
import { DataGoogleClientConfig } from "@cdktf/provider-google/lib/data-google-client-config";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { SecretManagerSecret } from "@cdktf/provider-google/lib/secret-manager-secret";
import { SecretManagerSecretIamMember } from "@cdktf/provider-google/lib/secret-manager-secret-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { honeypot as catalogEntry } from "../core/catalog";
import { triggerReference } from "../core/lifecycle";
import { namedOutput } from "../core/outputs";
import { ipv4Host, ipv4Only, ipv4Subnet } from "../core/cidr";
import { ConfigError, type ConfigProblem } from "../core/config";
import { analyticsHostname, ELASTIC_SIZES, elasticSizeSpec, kibanaObjectsStep } from "../core/analytics";
import { DEFAULT_ELASTIC_VERSION, kibanaEnvironment } from "../core/elastic";
import { HIVE_BOTH_SIDES, HIVE_PORT, HIVE_SENSOR_BUNDLE, HIVE_SERVER_BUNDLE, hiveInputProblems, hiveInputSources, hiveSecretName, hiveTargetProblems, type HiveCredentialSource, type HiveShipping, type HiveTarget } from "../core/hive";
import { DEFAULT_ADMIN_SSH_PORT, DEFAULT_SHIPPER_PORT, elasticHostCloudInit, honeypotHostCloudInit, hostPorts, internalPeers, INTERNAL_MEMBERS, vmAdminAccess, vmHoneypotDescriptor, type AdminSshProps, type HostPort, type LogstashTarget } from "../core/host";
import { KIBANA_CONTAINER_PORT } from "../core/host/kibana-host";
import type { AccessGrant, HoneynetProps, HoneypotDescriptor, IHoneynet, PublicIpSource } from "../core/interfaces";
import { LABEL_KEYS, toLabel } from "../core/labels";
import { resourceName, type Component } from "../core/naming";
import { honeynetPropsProblems } from "../core/validate";
import { defaultGcpMachineType } from "../core/vm-sizes";
import { hiveLoadBalancer, NLB_HEALTH_CHECK_RANGES, type HiveLoadBalancer } from "./honeynet-hive";

/** The Elastic VM of the `standard` size: Elasticsearch (4 GiB container) and Logstash (2 GiB) on 2 vCPU, 8 GiB. */
export const DEFAULT_ELASTIC_MACHINE_TYPE = ELASTIC_SIZES.standard.gcpMachineType;
/** The Elasticsearch data disk, GB. */
export const DEFAULT_ELASTIC_DISK_GB = 64;
/** Ubuntu 24.04 LTS (x86-64: every e2 type), Canonical's image family, so a new VM gets the current image. */
export const UBUNTU_IMAGE = "ubuntu-os-cloud/ubuntu-2404-lts-amd64";
/** The data disk's device name; Google's udev rules link it as /dev/disk/by-id/google-<name>. */
export const DATA_DISK_NAME = "es-data";
export const ELASTICSEARCH_PORT = 9200;
/** Addresses 0 and 1 of every subnet are Google's (network, gateway); the Elastic VM takes the first free one. */
const FIRST_FREE_HOST = 2;
/**
 * Where Identity-Aware Proxy's TCP forwarding connects from: the Elastic VM has no external address,
 * so admin SSH reaches it through `gcloud compute start-iap-tunnel` only.
 */
export const IAP_TCP_RANGE = "35.235.240.0/20";
/** Cloud Armor's default rule: the last priority there is. */
export const DEFAULT_RULE_PRIORITY = 2147483647;
/** Cloud Armor takes at most 10 source ranges per rule. */
export const RANGES_PER_RULE = 10;
const FIRST_ALLOW_PRIORITY = 1000;
/** The OAuth scope Secret Manager's API takes (it has no narrower one); the account's IAM grants are the limit. */
export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
/** Google's limit on a service account id. */
const ACCOUNT_ID_MAX = 30;
/** The id of the honeypot VMs' service account on a sensor: `<prefix>-hive-sensor`. */
export const hiveSensorAccountId = (prefix: string): string => resourceName(prefix, ["hive", "sensor"], ACCOUNT_ID_MAX);
/** The id of the Elastic VM's service account on the hive: `<prefix>-hive-server`. */
export const hiveServerAccountId = (prefix: string): string => resourceName(prefix, ["hive", "server"], ACCOUNT_ID_MAX);
/** Kibana on Cloud Run: CPU always allocated (it runs background tasks between requests), 2 GiB. */
const KIBANA_LIMITS = { cpu: "1", memory: "2Gi" } as const;
/** The import sidecar: the smallest the provider accepts ("1", "2", "4" or "8" CPUs). */
const KIBANA_OBJECTS_LIMITS = { cpu: "1", memory: "512Mi" } as const;

export interface GcpHoneynetProps extends HoneynetProps {
  /** Region of the subnets, Cloud Run and the NAT (validated by the config). */
  readonly region: string;
  /** Zone of the VMs and the data disk (validated by the config). */
  readonly zone: string;
  /** Project of every resource. @default the provider's (`GOOGLE_CLOUD_PROJECT` at plan time), read back through `google_client_config` */
  readonly project?: string;
  /** Machine type per honeypot, as resolved from `overrides.<hp>.machineType`. @default defaultGcpMachineType of each (catalog CPU and memory) */
  readonly machineTypes?: Readonly<Record<string, string>>;
  /** CIDRs that may reach admin SSH on the honeypot VMs; used only together with `adminSshPublicKey`. @default none: the admin port is closed */
  readonly adminCidrs?: readonly string[];
  /** OpenSSH public key of the admin (validated by the config). @default none: no key is installed and the admin port is closed */
  readonly adminSshPublicKey?: string;
  /**
   * Machine type of the Elastic host, instead of the one `elasticSize` picks.
   * @default ELASTIC_SIZES[elasticSize].gcpMachineType; with `hiveInput`, ELASTIC_SIZES[elasticSize].hive.gcpMachineType (one size up: it also runs the hive's Logstash)
   */
  readonly elasticMachineType?: string;
  /** Size of the Elasticsearch data disk, GB. @default DEFAULT_ELASTIC_DISK_GB */
  readonly elasticDiskGb?: number;
}

/** What the honeynet made for one honeypot VM. */
export interface GcpHoneypotHost {
  readonly name: string;
  readonly instance: ComputeInstance;
  /** The VM's name, as written (not a token): `<prefix>-hp-<honeypot>`. */
  readonly instanceName: string;
  readonly firewall: ComputeFirewall;
  /** The network tag its firewall rule targets. */
  readonly tag: string;
  /** The honeypot and the internal group members on its VM (tanner and its peers on snare's). */
  readonly members: readonly string[];
  readonly ports: readonly HostPort[];
}

/** Splits `items` into lists of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * What the Google Cloud honeynet needs beyond {@link honeynetPropsProblems} (the config checks both;
 * a construct used directly must not skip them): an IPv4 allow-list, and plain HTTP accepted when
 * there is no domain for a Google-managed certificate. A hive's sensor has no dashboard, so none of
 * the dashboard checks apply to it (the hive's cloud checks its own); it needs a hive on another cloud
 * and a prefix short enough for the secret's and the service account's names. The hive (`hiveInput`)
 * needs the same of its own names, and an IPv4 CIDR among the sensors'. A honeynet is a sensor or the
 * hive, not both.
 */
export function gcpHoneynetPropsProblems(props: HoneynetProps): ConfigProblem[] {
  const d = props.dashboard;
  const prefix = props.prefix ?? "lure";
  if (props.hive !== undefined) {
    const out = [...honeynetPropsProblems(props).filter((p) => !p.path.startsWith("dashboard")), ...sensorProblems(prefix, props.hive)];
    if (props.hiveInput !== undefined) out.push(HIVE_BOTH_SIDES);
    return out;
  }
  // The shared plain-HTTP check speaks of an ACM certificate; here a domain is what gives HTTPS.
  const out = honeynetPropsProblems(props).filter((p) => p.path !== "dashboard.certificateArn");
  // The service account's limit (30) is looser than the secret's (24), which hiveInputProblems checks.
  if (props.hiveInput !== undefined) out.push(...hiveInputProblems(prefix, props.hiveInput.allowCidrs));
  if (d.allowCidrs.length > 0 && ipv4Only(d.allowCidrs).length === 0) {
    out.push({ path: "dashboard.allowCidrs", message: "has no IPv4 CIDR: nobody could reach the load balancer's IPv4 address; list the CIDRs that may" });
  }
  if (d.domain === undefined && d.allowPlaintext !== true) {
    out.push({ path: "dashboard.allowPlaintext", message: "the Google Cloud dashboard is plain HTTP without dashboard.domain (HTTPS needs a name for Google's certificate); set a domain, or set this to true to accept HTTP" });
  }
  return out;
}

/** A sensor's own problems: the hive must be another cloud that can be one, and the names must fit. */
function sensorProblems(prefix: string, hive: HiveTarget): ConfigProblem[] {
  const out = hiveTargetProblems("gcp", hive);
  try {
    hiveSecretName(prefix, "sensor");
    hiveSensorAccountId(prefix);
  } catch {
    out.push({ path: "prefix", message: `"${prefix}" is too long for a hive's sensor, whose secret and service account are "<prefix>-hive-sensor" (the secret's name at most 24 characters on every cloud); allowed: at most 12 characters` });
  }
  return out;
}

/** One side's hive credential: its secret, the account of the VMs that read it, and where they read it. */
interface HiveAccess {
  readonly secret: SecretManagerSecret;
  readonly account: ServiceAccount;
  readonly credential: HiveCredentialSource;
}

/** Where the honeypot VMs ship: this honeynet's Logstash, or the hive with the sensors' identity. */
type Shipping = { readonly logstash: LogstashTarget } | { readonly hive: HiveShipping; readonly account: ServiceAccount };

/**
 * Each side's credential access. The sensor's construct ids name deployed resources (a public
 * contract, unchanged); the hive's are ids of their own, as its secret and account are other resources.
 */
const HIVE_ACCESS = {
  sensor: { ids: { secret: "HiveSecret", account: "SensorAccount", grant: "SensorSecretAccess" }, accountId: hiveSensorAccountId, component: "logs", readers: "honeypots" },
  server: { ids: { secret: "HiveServerSecret", account: "HiveServerAccount", grant: "HiveServerSecretAccess" }, accountId: hiveServerAccountId, component: "elastic", readers: "Elastic VM" },
} as const satisfies Record<"sensor" | "server", { ids: Record<"secret" | "account" | "grant", string>; accountId: (prefix: string) => string; component: Component; readers: string }>;

/** What every part of the honeynet is made with: names, labels, the admin access. */
interface Context {
  readonly props: GcpHoneynetProps;
  readonly name: (...parts: string[]) => string;
  readonly labels: (component: Component, honeypot?: string) => Record<string, string>;
  /** Admin SSH allow-list (IPv4); empty without the admin's key. */
  readonly adminCidrs: readonly string[];
  readonly adminSsh: AdminSshProps;
}

export class GcpHoneynet extends Construct implements IHoneynet {
  readonly cloud = "gcp" as const;
  readonly prefix: string;
  readonly network: ComputeNetwork;
  readonly honeypotSubnet: ComputeSubnetwork;
  readonly elasticSubnet: ComputeSubnetwork;
  readonly dashboardSubnet: ComputeSubnetwork;
  readonly hosts: readonly GcpHoneypotHost[];
  /** The Elastic VM; none on a hive's sensor. */
  readonly elasticInstance?: ComputeInstance;
  /** The Elastic VM's name, as written (not a token), e.g. for `gcloud compute start-iap-tunnel`; none on a hive's sensor. */
  readonly elasticInstanceName?: string;
  /** Private address of the Elastic VM: Logstash for the shippers, Elasticsearch for Kibana; none on a hive's sensor. */
  readonly elasticAddress?: string;
  /** Kibana on Cloud Run; none on a hive's sensor. */
  readonly kibana?: CloudRunV2Service;
  /** Cloud Armor in front of Kibana; none on a hive's sensor. */
  readonly securityPolicy?: ComputeSecurityPolicy;
  /** The load balancer's address; none on a hive's sensor. */
  readonly dashboardAddress?: ComputeGlobalAddress;
  readonly honeypots: readonly HoneypotDescriptor[];
  /** `https://<domain>` with a domain, else `http://<the load balancer's address>`; none on a hive's sensor (its events are in the hive's Kibana). */
  readonly dashboardUrl?: string;
  /**
   * The secret the user writes this honeynet's hive credential into (created without a value): the
   * sensors' on a hive's sensor, the hive's own (`<prefix>-hive-server`) with `hiveInput`; none otherwise.
   */
  readonly hiveSecret?: SecretManagerSecret;
  /** A hive's sensor: the identity of every honeypot VM, which may read {@link hiveSecret} and nothing else. */
  readonly sensorAccount?: ServiceAccount;
  /** The hive (`hiveInput`): the Elastic VM's identity, which may read {@link hiveSecret} and nothing else. */
  readonly hiveServerAccount?: ServiceAccount;
  /** The hive (`hiveInput`): the passthrough load balancer in front of the Elastic VM's hive input. */
  readonly hiveLoadBalancer?: HiveLoadBalancer;
  /** The hive (`hiveInput`): where the other clouds' sensors ship, the load balancer's static IPv4 address on {@link HIVE_PORT}. */
  readonly hiveTarget?: HiveTarget;
  readonly publicIpSource: PublicIpSource;
  private readonly project: string;
  private readonly zone: string;
  private readonly region: string;

  constructor(scope: Construct, id: string, props: GcpHoneynetProps) {
    super(scope, id);
    const problems = gcpHoneynetPropsProblems(props);
    if (problems.length > 0) throw new ConfigError(this.node.path, problems);
    const prefix = props.prefix ?? "lure";
    this.prefix = prefix;
    const networkCidr = props.networkCidr ?? "10.42.0.0/16";
    const admin = vmAdminAccess(props);
    if (admin.leftOut.length > 0) Annotations.of(this).addWarning(`adminCidrs: ${admin.leftOut.join(", ")} left out: the VMs' external addresses are IPv4 only`);
    const ctx: Context = {
      props,
      name: (...parts: string[]) => resourceName(prefix, parts, 63),
      labels: (component, honeypot) => ({ [LABEL_KEYS.component]: component, ...(honeypot ? { [LABEL_KEYS.honeypot]: toLabel(honeypot) } : {}) }),
      adminCidrs: admin.cidrs,
      adminSsh: admin.ssh,
    };
    this.project = props.project ?? new DataGoogleClientConfig(this, "Client").project;
    this.zone = props.zone;
    this.region = props.region;

    this.network = new ComputeNetwork(this, "Network", { name: ctx.name("honeynet"), autoCreateSubnetworks: false, routingMode: "REGIONAL" });
    const honeypotCidr = ipv4Subnet(networkCidr, 4, 0);
    const elasticCidr = ipv4Subnet(networkCidr, 4, 1);
    const dashboardCidr = ipv4Subnet(networkCidr, 4, 2);
    this.honeypotSubnet = this.subnet(ctx, "HoneypotSubnet", honeypotCidr, "honeypots");
    this.elasticSubnet = this.subnet(ctx, "ElasticSubnet", elasticCidr, "elastic");
    this.dashboardSubnet = this.subnet(ctx, "DashboardSubnet", dashboardCidr, "dashboard");
    const hive = props.hive;
    let shipping: Shipping;
    // Set without a hive only: this honeynet's own Elastic VM.
    let elasticAddress: string | undefined;
    if (hive === undefined) {
      const nat = this.cloudNat(ctx);
      // Elastic host first: the shippers need its address.
      elasticAddress = ipv4Host(elasticCidr, FIRST_FREE_HOST);
      this.elasticAddress = elasticAddress;
      this.elasticInstanceName = ctx.name("elastic");
      // The hive: the Elastic VM reads the hive's credential with an identity of its own.
      const server = props.hiveInput ? this.hiveAccess(ctx, "server") : undefined;
      this.hiveSecret = server?.secret;
      this.hiveServerAccount = server?.account;
      this.elasticInstance = this.elasticHost(ctx, { name: this.elasticInstanceName, address: elasticAddress, honeypotCidr, dashboardCidr, ...(server ? { hive: server } : {}) }, nat);
      if (props.hiveInput) {
        this.hiveLoadBalancer = this.hiveInput(ctx, this.elasticInstance, props.hiveInput.allowCidrs);
        this.hiveTarget = { cloud: "gcp", address: this.hiveLoadBalancer.address.address, port: HIVE_PORT };
      }
      shipping = { logstash: { address: elasticAddress, port: DEFAULT_SHIPPER_PORT } };
    } else {
      const sensor = this.hiveAccess(ctx, "sensor");
      this.hiveSecret = sensor.secret;
      this.sensorAccount = sensor.account;
      shipping = {
        hive: { target: hive, credential: sensor.credential, sensorName: analyticsHostname(prefix, "gcp") },
        account: sensor.account,
      };
    }

    // One VM per honeypot with ports; internal members (tanner & co.) run on their public member's VM.
    this.hosts = props.honeypots.filter((h) => !INTERNAL_MEMBERS.includes(h)).map((hp) => this.honeypotHost(ctx, hp, shipping));
    if (ctx.adminCidrs.length > 0) {
      this.firewall("AdminSsh", { name: ctx.name("admin-ssh"), from: ctx.adminCidrs, to: this.hosts.map((h) => h.tag), allow: [{ protocol: "tcp", ports: [String(DEFAULT_ADMIN_SSH_PORT)] }] });
    }
    this.honeypots = this.hosts.map((h) => vmHoneypotDescriptor(h.name, h.ports, props.overrides?.[h.name], h.instanceName));

    if (elasticAddress !== undefined) {
      const v6 = props.dashboard.allowCidrs.filter((c) => c.includes(":"));
      if (v6.length > 0) Annotations.of(this).addWarning(`dashboard: ${v6.join(", ")} left out of the Cloud Armor allow-list: the load balancer's address is IPv4 only`);
      if (props.dashboard.domain === undefined) Annotations.of(this).addWarning("dashboard: no domain, so Kibana is served over plain HTTP (allowPlaintext); set honeynet.dashboard.domain for HTTPS with a Google-managed certificate");
      this.kibana = this.kibanaService(ctx, elasticAddress);
      const lb = this.dashboardLoadBalancer(ctx, this.kibana);
      this.securityPolicy = lb.policy;
      this.dashboardAddress = lb.address;
      this.dashboardUrl = props.dashboard.domain !== undefined ? `https://${props.dashboard.domain}` : `http://${lb.address.address}`;
    }
    this.publicIpSource = { cloud: "gcp", project: this.project, zone: props.zone, label: { key: LABEL_KEYS.component, value: "honeypot" } };

    this.outputs(props);
  }

  private subnet(ctx: Context, sid: string, cidr: string, label: string): ComputeSubnetwork {
    return new ComputeSubnetwork(this, sid, { name: ctx.name(label), network: this.network.id, region: ctx.props.region, ipCidrRange: cidr, stackType: "IPV4_ONLY" });
  }

  /** The Elastic subnet's only way out (its VM has no external address); returns what the VM waits for. */
  private cloudNat(ctx: Context): ITerraformDependable[] {
    const router = new ComputeRouter(this, "Router", { name: ctx.name("nat"), network: this.network.id, region: ctx.props.region });
    const nat = new ComputeRouterNat(this, "Nat", {
      name: ctx.name("nat"),
      router: router.name,
      region: ctx.props.region,
      natIpAllocateOption: "AUTO_ONLY",
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      subnetwork: [{ name: this.elasticSubnet.id, sourceIpRangesToNat: ["ALL_IP_RANGES"] }],
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    });
    return [nat];
  }

  /** The dashboard's address, or the sensor's secret and how to fill it; the hive's input and secret; the honeypot VMs and their external IPs. */
  private outputs(props: GcpHoneynetProps): void {
    const prefix = this.prefix;
    if (this.dashboardUrl !== undefined && this.dashboardAddress !== undefined) {
      namedOutput(this, "dashboard_url", {
        value: this.dashboardUrl,
        description: `Kibana, reachable only from honeynet.dashboard.allowCidrs (${props.dashboard.domain !== undefined ? "HTTPS" : "plain HTTP"})`,
      });
      namedOutput(this, "dashboard_address", { value: this.dashboardAddress.address, description: "The load balancer's IPv4 address (point the dashboard domain's A record here)" });
    }
    if (this.hiveTarget !== undefined) {
      const secret = hiveSecretName(prefix, "server");
      namedOutput(this, "hive_endpoint", { value: `${this.hiveTarget.address}:${HIVE_PORT}`, description: "The hive's TLS input: where the other clouds' honeypot hosts ship (client certificate required)" });
      namedOutput(this, "hive_secret", { value: secret, description: "Secret Manager secret of the hive's TLS credential (no value until you add one: the hive's Logstash starts once the Elastic VM can read it)" });
      namedOutput(this, "hive_credential_command", {
        value: `gcloud secrets versions add ${secret} --project ${this.project} --data-file=${HIVE_SERVER_BUNDLE}`,
        description: "Stores the hive's credential that npm run hive:credentials wrote (delete the file afterwards)",
      });
    }
    if (props.hive !== undefined) {
      const secret = hiveSecretName(prefix, "sensor");
      namedOutput(this, "hive_secret", { value: secret, description: "Secret Manager secret of the sensors' TLS credential (no value until you add one: the honeypots ship once they can read it)" });
      namedOutput(this, "hive_credential_command", {
        value: `gcloud secrets versions add ${secret} --project ${this.project} --data-file=${HIVE_SENSOR_BUNDLE}`,
        description: "Stores the sensors' credential that npm run hive:credentials wrote (delete the file afterwards)",
      });
    }
    namedOutput(this, "honeypot_instances", { value: Object.fromEntries(this.hosts.map((h) => [h.name, h.instanceName])), description: "Honeypot → VM name" });
    namedOutput(this, "list_public_ips", {
      value: `gcloud compute instances list --project ${this.project} --filter="labels.${LABEL_KEYS.component}=honeypot AND labels.${LABEL_KEYS.prefix}=${toLabel(prefix)}" --format="table(labels.${LABEL_KEYS.honeypot}, networkInterfaces[0].accessConfigs[0].natIP)"`,
      description: "The honeypots' current external IPs (ephemeral: they change when a VM stops)",
    });
  }

  /** One INGRESS rule, logged. */
  private firewall(sid: string, r: { readonly name: string; readonly from: readonly string[]; readonly to: readonly string[]; readonly allow: ComputeFirewallAllow[] }): ComputeFirewall {
    return new ComputeFirewall(this, sid, {
      name: r.name,
      network: this.network.id,
      direction: "INGRESS",
      priority: 1000,
      sourceRanges: [...r.from],
      targetTags: [...r.to],
      allow: r.allow,
      logConfig: { metadata: "INCLUDE_ALL_METADATA" },
    });
  }

  /**
   * A VM as every lure VM is: Ubuntu, cloud-init, OS Login, no serial port, shielded boot, and no
   * service account unless `account` is given (a sensor's honeypots or the hive's Elastic VM, to read
   * their hive credential).
   */
  private instance(
    ctx: Context,
    sid: string,
    o: { readonly name: string; readonly machineType: string; readonly tag: string; readonly userData: string; readonly component: Component; readonly honeypot?: string; readonly account?: ServiceAccount } & Pick<ComputeInstanceConfig, "networkInterface" | "attachedDisk" | "dependsOn">,
  ): ComputeInstance {
    const labels = ctx.labels(o.component, o.honeypot);
    const spot = o.component === "honeypot" && (ctx.props.capacity ?? "spot") === "spot";
    return new ComputeInstance(this, sid, {
      ...(o.dependsOn ? { dependsOn: o.dependsOn } : {}),
      name: o.name,
      machineType: o.machineType,
      zone: ctx.props.zone,
      tags: [o.tag],
      labels,
      bootDisk: { initializeParams: { image: UBUNTU_IMAGE, size: 10, type: "pd-balanced", labels } },
      networkInterface: o.networkInterface,
      ...(o.attachedDisk ? { attachedDisk: o.attachedDisk } : {}),
      // Secret Manager's API accepts the cloud-platform scope only; the account's one grant is what limits the token.
      ...(o.account ? { serviceAccount: { email: o.account.email, scopes: [CLOUD_PLATFORM_SCOPE] } } : {}),
      metadata: {
        "user-data": o.userData,
        "enable-oslogin": "TRUE",
        "block-project-ssh-keys": "TRUE",
        "serial-port-enable": "FALSE",
      },
      shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
      // Spot: Compute Engine stops the VM when it needs the capacity back; someone must start it again.
      scheduling: spot
        ? { provisioningModel: "SPOT", preemptible: true, automaticRestart: false, onHostMaintenance: "TERMINATE", instanceTerminationAction: "STOP" }
        : { provisioningModel: "STANDARD", automaticRestart: true, onHostMaintenance: "MIGRATE" },
      // A machine type change stops and starts the VM instead of failing the apply.
      allowStoppingForUpdate: true,
    });
  }

  /**
   * Elasticsearch and Logstash: private, with a data disk; Logstash for the honeypot subnet, Elasticsearch
   * for the dashboard's. With `hive`, also the hive's Logstash, run as the account that reads its credential.
   */
  private elasticHost(
    ctx: Context,
    at: { readonly name: string; readonly address: string; readonly honeypotCidr: string; readonly dashboardCidr: string; readonly hive?: HiveAccess },
    nat: ITerraformDependable[],
  ): ComputeInstance {
    const { honeypotCidr, dashboardCidr } = at;
    const props = ctx.props;
    const tag = ctx.name("elastic");
    this.firewall("LogstashFromHoneypots", { name: ctx.name("logstash-from-honeypots"), from: [honeypotCidr], to: [tag], allow: [{ protocol: "tcp", ports: [String(DEFAULT_SHIPPER_PORT)] }] });
    this.firewall("ElasticsearchFromDashboard", { name: ctx.name("elasticsearch-from-dashboard"), from: [dashboardCidr], to: [tag], allow: [{ protocol: "tcp", ports: [String(ELASTICSEARCH_PORT)] }] });
    if (ctx.adminCidrs.length > 0) {
      this.firewall("ElasticAdminSsh", { name: ctx.name("elastic-admin-ssh"), from: [IAP_TCP_RANGE], to: [tag], allow: [{ protocol: "tcp", ports: [String(DEFAULT_ADMIN_SSH_PORT)] }] });
    }
    const disk = new ComputeDisk(this, "ElasticDisk", { name: ctx.name("elastic", "data"), zone: props.zone, type: "pd-balanced", size: props.elasticDiskGb ?? DEFAULT_ELASTIC_DISK_GB, labels: ctx.labels("elastic") });
    const size = elasticSizeSpec(props.elasticSize);
    const userData = elasticHostCloudInit({
      prefix: this.prefix,
      hostname: analyticsHostname(this.prefix, "gcp"),
      elasticsearchHeapMb: size.elasticsearchHeapMb,
      logstashHeapMb: size.logstashHeapMb,
      dataDisk: { device: `/dev/disk/by-id/google-${DATA_DISK_NAME}` },
      elastic: { ...(props.elasticVersion ? { version: props.elasticVersion } : {}), ...(props.elasticImages ? { images: props.elasticImages } : {}) },
      adminSsh: ctx.adminSsh,
      ...(at.hive ? { hive: { credential: at.hive.credential } } : {}),
    });
    // Its only way out is Cloud NAT: cloud-init installs Docker at first boot, so the VM waits for it.
    return this.instance(ctx, "ElasticVm", {
      name: at.name,
      machineType: props.elasticMachineType ?? (at.hive ? size.hive.gcpMachineType : size.gcpMachineType),
      tag,
      userData,
      component: "elastic",
      networkInterface: [{ subnetwork: this.elasticSubnet.id, networkIp: at.address }],
      attachedDisk: [{ source: disk.id, deviceName: DATA_DISK_NAME }],
      ...(at.hive ? { account: at.hive.account } : {}),
      dependsOn: nat,
    });
  }

  /**
   * The hive's way in: the load balancer, and two rules at the Elastic VM's tag, tcp 64294 only. A
   * passthrough load balancer keeps the client's source address, so the first rule sees the sensors
   * themselves (IPv4: the address is IPv4); the second admits Google's health checks.
   */
  private hiveInput(ctx: Context, elastic: ComputeInstance, allowCidrs: readonly string[]): HiveLoadBalancer {
    const tag = ctx.name("elastic");
    const sources = hiveInputSources(allowCidrs);
    if (sources.warning) Annotations.of(this).addWarning(sources.warning);
    const allow = [{ protocol: "tcp", ports: [String(HIVE_PORT)] }];
    this.firewall("HiveFromSensorsFirewall", { name: ctx.name("hive-from-sensors"), from: sources.cidrs, to: [tag], allow });
    this.firewall("HiveHealthCheckFirewall", { name: ctx.name("hive-health-check"), from: NLB_HEALTH_CHECK_RANGES, to: [tag], allow });
    return hiveLoadBalancer(this, { name: ctx.name("hive"), region: ctx.props.region, zone: ctx.props.zone, instance: elastic, labels: ctx.labels("elastic") });
  }

  /** One honeypot's VM: an ephemeral external IP, one firewall rule with its catalog ports and nothing else. */
  private honeypotHost(ctx: Context, hp: string, shipping: Shipping): GcpHoneypotHost {
    const props = ctx.props;
    const override = props.overrides?.[hp];
    const entry = catalogEntry(hp);
    const ports = hostPorts(entry, override?.ports);
    const sid = `Honeypot-${hp}`;
    const name = ctx.name("hp", hp);
    const allow = (["tcp", "udp"] as const)
      .map((protocol) => ({ protocol, ports: ports.filter((p) => p.protocol === protocol).map((p) => String(p.host)) }))
      .filter((a) => a.ports.length > 0);
    const firewall = this.firewall(`${sid}-Firewall`, { name, from: ["0.0.0.0/0"], to: [name], allow });
    const userData = honeypotHostCloudInit({
      honeypot: hp,
      ...(override ? { override: { ...(override.image ? { image: override.image } : {}), ...(override.ports ? { ports: override.ports } : {}), ...(override.user ? { user: override.user } : {}) } } : {}),
      ...("hive" in shipping ? { hive: shipping.hive } : { logstash: shipping.logstash }),
      adminSsh: ctx.adminSsh,
      ...(props.elasticVersion ? { elasticVersion: props.elasticVersion } : {}),
    });
    const instance = this.instance(ctx, `${sid}-Vm`, {
      name,
      machineType: props.machineTypes?.[hp] ?? defaultGcpMachineType(hp, override),
      tag: name,
      userData,
      component: "honeypot",
      honeypot: hp,
      ...("hive" in shipping ? { account: shipping.account } : {}),
      // An empty access config: an ephemeral external IP, which a stop/start (rotation) replaces.
      networkInterface: [{ subnetwork: this.honeypotSubnet.id, accessConfig: [{}] }],
    });
    return { name: hp, instance, instanceName: name, firewall, tag: name, members: [hp, ...internalPeers(hp).map((e) => e.name)], ports };
  }

  /**
   * One side's way to its hive credential: the secret (never a version: the user adds the value), and
   * the service account of the VMs that read it (a sensor's honeypot VMs, the hive's Elastic VM), which
   * may read that one secret and nothing else in the project.
   */
  private hiveAccess(ctx: Context, side: "sensor" | "server"): HiveAccess {
    const s = HIVE_ACCESS[side];
    const api = new ProjectService(this, "SecretManagerApi", { project: this.project, service: "secretmanager.googleapis.com", disableOnDestroy: false });
    const secret = new SecretManagerSecret(this, s.ids.secret, {
      project: this.project,
      secretId: hiveSecretName(this.prefix, side),
      replication: { auto: {} },
      labels: ctx.labels(s.component),
      dependsOn: [api],
    });
    const account = new ServiceAccount(this, s.ids.account, {
      project: this.project,
      accountId: s.accountId(this.prefix),
      displayName: `${this.prefix} ${s.readers} (reads the hive credential only)`,
    });
    new SecretManagerSecretIamMember(this, s.ids.grant, {
      project: this.project,
      // The full name (projects/<p>/secrets/<id>): the form the provider writes back, so no diff follows.
      secretId: secret.id,
      role: "roles/secretmanager.secretAccessor",
      member: `serviceAccount:${account.email}`,
    });
    return { secret, account, credential: { cloud: "gcp", project: this.project, secretName: hiveSecretName(this.prefix, side) } };
  }

  /** Kibana on Cloud Run: reachable only through the load balancer, Elasticsearch over Direct VPC egress from the dashboard subnet. */
  private kibanaService(ctx: Context, elasticAddress: string): CloudRunV2Service {
    const props = ctx.props;
    const d = props.dashboard;
    // An identity of its own with no role: Cloud Run would otherwise run Kibana as the default compute account.
    const account = new ServiceAccount(this, "KibanaAccount", { accountId: ctx.name("kibana"), displayName: `${this.prefix} Kibana (no roles)` });
    const version = props.elasticVersion ?? DEFAULT_ELASTIC_VERSION;
    // Cloud Run pulls from Artifact Registry or Docker Hub, not docker.elastic.co: Docker Hub's official kibana image is Elastic's build.
    const image = props.elasticImages?.kibana ?? `docker.io/library/kibana:${version}`;
    // Docker Hub: Cloud Run does not pull from ghcr.io.
    const objects = kibanaObjectsStep({ kibanaUrl: `http://127.0.0.1:${KIBANA_CONTAINER_PORT}`, afterwards: "stay", dockerHub: true });
    const env = kibanaEnvironment(`http://${elasticAddress}:${ELASTICSEARCH_PORT}`, d.domain !== undefined ? `https://${d.domain}` : undefined);
    return new CloudRunV2Service(this, "Kibana", {
      name: ctx.name("kibana"),
      location: props.region,
      ingress: "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
      // Cloud Armor at the load balancer is the gate; the LB's requests carry no identity token.
      invokerIamDisabled: true,
      deletionProtection: false,
      labels: { ...ctx.labels("dashboard"), ...(d.allowWorldOpen ? { [LABEL_KEYS.worldOpen]: "true" } : {}) },
      template: {
        serviceAccount: account.email,
        scaling: { minInstanceCount: 1, maxInstanceCount: 1 },
        vpcAccess: { networkInterfaces: [{ network: this.network.id, subnetwork: this.dashboardSubnet.id }], egress: "PRIVATE_RANGES_ONLY" },
        containers: [
          {
            name: "kibana",
            image,
            ports: { containerPort: KIBANA_CONTAINER_PORT, name: "http1" },
            env: Object.entries(env).map(([name, value]) => ({ name, value })),
            resources: { limits: { ...KIBANA_LIMITS }, cpuIdle: false, startupCpuBoost: true },
            // Kibana takes a minute or two to start; Cloud Run's default probe gives up sooner. Its status
            // API, not the port: the import sidecar waits for this probe.
            startupProbe: { httpGet: { path: "/api/status", port: KIBANA_CONTAINER_PORT }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 30 },
          },
          // T-Pot's saved objects, imported once Kibana passes its probe, at every instance start
          // (idempotent: overwrite). It then idles: Cloud Run restarts a container that ends.
          {
            name: objects.name,
            image: objects.image,
            command: [...objects.entrypoint],
            args: [...objects.args],
            dependsOn: ["kibana"],
            resources: { limits: { ...KIBANA_OBJECTS_LIMITS }, cpuIdle: false },
          },
        ],
      },
    });
  }

  /** The global external Application Load Balancer in front of Kibana, with the Cloud Armor allow-list. */
  private dashboardLoadBalancer(ctx: Context, kibana: CloudRunV2Service): { policy: ComputeSecurityPolicy; address: ComputeGlobalAddress } {
    const d = ctx.props.dashboard;
    const allowRules: ComputeSecurityPolicyRule[] = chunks(ipv4Only(d.allowCidrs), RANGES_PER_RULE).map((ranges, i) => ({
      priority: FIRST_ALLOW_PRIORITY + i,
      action: "allow",
      description: `dashboard.allowCidrs part ${i + 1}`,
      match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ranges } },
    }));
    const policy = new ComputeSecurityPolicy(this, "DashboardPolicy", {
      name: ctx.name("dashboard"),
      type: "CLOUD_ARMOR",
      description: "Kibana: honeynet.dashboard.allowCidrs only",
      rule: [...allowRules, { priority: DEFAULT_RULE_PRIORITY, action: "deny(403)", description: "everyone else", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } } }],
    });
    const neg = new ComputeRegionNetworkEndpointGroup(this, "KibanaNeg", {
      name: ctx.name("kibana"),
      region: ctx.props.region,
      networkEndpointType: "SERVERLESS",
      cloudRun: { service: kibana.name },
      lifecycle: { createBeforeDestroy: true },
    });
    const backend = new ComputeBackendService(this, "KibanaBackend", {
      name: ctx.name("kibana"),
      loadBalancingScheme: "EXTERNAL_MANAGED",
      backend: [{ group: neg.id }],
      securityPolicy: policy.id,
      // The request log is what a scan detector reads on Google Cloud (reference/clouds-2026.md).
      logConfig: { enable: true, sampleRate: 1 },
    });
    const urlMap = new ComputeUrlMap(this, "DashboardUrlMap", { name: ctx.name("dashboard"), defaultService: backend.id });
    const https = d.domain !== undefined;
    const proxy = https
      ? new ComputeTargetHttpsProxy(this, "DashboardHttpsProxy", {
          name: ctx.name("dashboard"),
          urlMap: urlMap.id,
          sslCertificates: [new ComputeManagedSslCertificate(this, "DashboardCertificate", { name: ctx.name("dashboard"), managed: { domains: [d.domain] } }).id],
        })
      : new ComputeTargetHttpProxy(this, "DashboardHttpProxy", { name: ctx.name("dashboard"), urlMap: urlMap.id });
    const address = new ComputeGlobalAddress(this, "DashboardAddress", { name: ctx.name("dashboard"), ipVersion: "IPV4", labels: ctx.labels("dashboard") });
    new ComputeGlobalForwardingRule(this, "DashboardForwardingRule", {
      name: ctx.name("dashboard"),
      target: proxy.id,
      ipAddress: address.id,
      ipProtocol: "TCP",
      portRange: https ? "443" : "80",
      loadBalancingScheme: "EXTERNAL_MANAGED",
      labels: {
        ...ctx.labels("dashboard"),
        ...(https ? {} : { [LABEL_KEYS.plaintext]: "true" }),
        ...(d.allowWorldOpen ? { [LABEL_KEYS.worldOpen]: "true" } : {}),
      },
    });
    return { policy, address };
  }

  /** Reading the honeypots' external IPs: Compute Viewer on the project (instances have no finer read role). */
  discoveryAccess(): AccessGrant {
    return { cloud: "gcp", bindings: [{ key: "Project", role: "roles/compute.viewer", resource: `projects/${this.project}` }] };
  }

  /**
   * A fresh ephemeral IP is nic0's access config deleted and added again: three custom roles, each
   * granted where it is checked. Compute Instance Admin, the nearest predefined role, could also
   * stop the VMs and set their metadata (SSH keys, startup scripts) on machines attackers use.
   */
  rotationAccess(honeypots?: readonly string[]): AccessGrant {
    const unknown = (honeypots ?? []).filter((n) => !this.hosts.some((h) => h.name === n));
    if (unknown.length > 0) throw new Error(`${this.node.path}: no honeypot VM named ${unknown.join(", ")}`);
    const hosts = honeypots ? this.hosts.filter((h) => honeypots.includes(h.name)) : this.hosts;
    const project = `projects/${this.project}`;
    return {
      cloud: "gcp",
      customRoles: [
        { key: "access-config", title: "lure watcher: swap a honeypot's external IP", description: "Read a honeypot VM and replace its ephemeral access config", permissions: ["compute.instances.get", "compute.instances.deleteAccessConfig", "compute.instances.addAccessConfig"] },
        { key: "external-ip", title: "lure watcher: ephemeral IPs in the honeypot subnet", description: "Give a VM of the honeypot subnet an ephemeral external IP", permissions: ["compute.subnetworks.useExternalIp"] },
        { key: "operations", title: "lure watcher: wait for zone operations", description: "Read the zone operations an IP swap starts", permissions: ["compute.zoneOperations.get"] },
      ],
      bindings: [
        // By reference, so each binding waits for its VM or subnet, and follows a replaced VM.
        ...hosts.map((h) => ({ key: `Instance-${h.name}`, role: "access-config", resource: `${project}/zones/${this.zone}/instances/${h.instance.name}`, recreatedWith: triggerReference(h.instance, "instance_id") })),
        { key: "Subnet", role: "external-ip", resource: `${project}/regions/${this.region}/subnetworks/${this.honeypotSubnet.name}`, recreatedWith: triggerReference(this.honeypotSubnet, "creation_timestamp") },
        { key: "Operations", role: "operations", resource: project },
      ],
    };
  }
}
