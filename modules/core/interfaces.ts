/**
 * The three jobs of lure as cloud-agnostic interfaces. Constructs reference each other through these,
 * never through ARNs or ids pasted around; each cloud implements them with its own services.
 */
import type { IConstruct } from "constructs";
import type { PortPlan, PublishedPort } from "./catalog";
import type { CloudName } from "./config";
import type { HiveTarget } from "./hive";
import type { ElasticSize } from "./analytics";

/** Settings every lure construct shares: one vocabulary across jobs and clouds. */
export interface CommonProps {
  /** Prefix of every resource name. @default "lure" */
  readonly prefix?: string;
  /** Tags (labels on GCP) added to every taggable resource. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** Retention of the job's own logs, in days. @default 30 */
  readonly logRetentionDays?: number;
}

// ---------------------------------------------------------------------------------------------------
// Honeynet

/** Per-honeypot changes to the catalog definition. */
export interface HoneypotOverride {
  /** CPU units (Fargate sizes). @default 256 (512 for cowrie, dionaea and the conpot instances) */
  readonly cpu?: number;
  /** Memory in MiB. @default 512 (1024 for cowrie, dionaea and the conpot instances) */
  readonly memory?: number;
  /** Image to run instead of the catalog's. @default the T-Pot image from the catalog */
  readonly image?: string;
  /** Publish only these catalog ports (`22/tcp`). @default every port the platform can publish */
  readonly ports?: readonly string[];
  /** Container user. @default the image's own user */
  readonly user?: string;
  /**
   * Tag to run from the honeypot's private repository (`imageRepositories`). Tags there are immutable, so a
   * changed image gets a new tag, and setting it here rolls it out. @default the catalog image's tag (e.g. 24.04.1)
   */
  readonly imageTag?: string;
  /** VM size on Azure, one of `AZURE_VM_SIZES` (burstable). @default derived from cpu/memory (`defaultAzureVmSize`) */
  readonly size?: string;
  /** Machine type on Google Cloud, one of `GCP_MACHINE_TYPES` (E2). @default derived from cpu/memory (`defaultGcpMachineType`) */
  readonly machineType?: string;
}

export interface DashboardProps {
  /** CIDRs that may reach the dashboard. Must not be empty; world-open needs `allowWorldOpen`. */
  readonly allowCidrs: readonly string[];
  /** Accept 0.0.0.0/0 or ::/0 in `allowCidrs`. @default false */
  readonly allowWorldOpen?: boolean;
  /** Certificate for HTTPS (an ACM ARN on AWS). Without it, `allowPlaintext` must be set. @default none */
  readonly certificateArn?: string;
  /** Accept serving the dashboard (Kibana has no login) over plain HTTP when there is no certificate. @default false */
  readonly allowPlaintext?: boolean;
  /**
   * DNS name of the dashboard on Google Cloud: HTTPS with a Google-managed certificate for it (point
   * its A record at the load balancer's address). AWS and Azure ignore it. @default none: plain HTTP there, which needs `allowPlaintext`
   */
  readonly domain?: string;
}

export interface HoneynetProps extends CommonProps {
  /** Catalog names of the honeypots to run (already validated, e.g. from a profile). */
  readonly honeypots: readonly string[];
  readonly dashboard: DashboardProps;
  /** Run honeypots on interruptible capacity (Fargate Spot, Spot VMs). @default "spot" */
  readonly capacity?: "spot" | "on-demand";
  /** @default {} */
  readonly overrides?: Readonly<Record<string, HoneypotOverride>>;
  /** Elastic Stack version for the official images. @default "8.17.0" */
  readonly elasticVersion?: string;
  /**
   * Replace the Elastic images (e.g. modified ones in a private registry). A Logstash image must be
   * T-Pot's or built from it: lure runs T-Pot's pipeline and entrypoint from it.
   * @default Elastic's Elasticsearch and Kibana of elasticVersion, T-Pot's Logstash of the catalog's release
   */
  readonly elasticImages?: { readonly elasticsearch?: string; readonly logstash?: string; readonly kibana?: string };
  /**
   * Size of the Elastic stack, the same name on every cloud (`ELASTIC_SIZES` in core/analytics.ts):
   * `standard` is T-Pot's (Elasticsearch 2 GiB heap in 4 GiB, Logstash 1 GiB in 2 GiB).
   * @default "standard"
   */
  readonly elasticSize?: ElasticSize;
  /**
   * T-Pot's attack map behind the dashboard's allow-list, on its own HTTPS port (64299) of the
   * dashboard's address. AWS only, and only with HTTPS (`certificateArn`): the map's page connects
   * over `wss://` alone. @default false
   */
  readonly attackMap?: boolean;
  /**
   * Honeypots that get a private image repository for a modified image. Their services start with no task
   * (the repository is empty until you push), under `ignore_changes` so that starting them is yours. @default []
   */
  readonly imageRepositories?: readonly string[];
  /**
   * Address space of the honeynet network (IPv4, /16 at most). Its two subnets are a sixteenth each and
   * must hold every task twice during a deployment, so the smallest is /22 for the industrial profile
   * and /21 for standard (`largestNetworkPrefix` in modules/core/address-plan.ts). @default "10.42.0.0/16"
   */
  readonly networkCidr?: string;
  /**
   * Record the network's flow logs (every probe to every honeypot address, ports without a honeypot
   * included), kept for `logRetentionDays`. @default false
   */
  readonly flowLogs?: boolean;
  /**
   * Ship this honeynet's events to another cloud's hive (`honeynet.analytics.hive`): over TLS with the
   * sensors' client certificate, read at boot from this cloud's secret store; no Elastic stack, Kibana
   * or dashboard here. @default none: this cloud's own Elastic stack
   */
  readonly hive?: HiveTarget;
  /**
   * Be the hive: a public input (T-Pot's hive port 64294, TLS with client certificates) for the other
   * clouds' sensors, open to `allowCidrs`. @default none
   */
  readonly hiveInput?: { readonly allowCidrs: readonly string[] };
}

/** What the honeynet says about one honeypot. */
export interface HoneypotDescriptor {
  readonly name: string;
  /** Image actually deployed. */
  readonly image: string;
  /** Ports reachable from the internet (empty for internal members of a group, e.g. tanner). */
  readonly ports: readonly PublishedPort[];
  /** Compose ports changed or dropped to fit the platform, with reasons. */
  readonly portChanges: PortPlan["changes"];
  /** Name of the cloud service that runs it (ECS service, container group, VM). */
  readonly serviceName: string;
}

/**
 * How a function finds the honeypots' public IPs at run time. Public IPs are not stable (a new task is
 * a new IP) and are not Terraform outputs, so a watcher must ask the cloud each time.
 */
export type PublicIpSource =
  | {
      readonly cloud: "aws";
      readonly region: string;
      readonly clusterName: string;
      readonly clusterArn: string;
      /** Honeypot name → ECS service name, for services with public ports. */
      readonly services: Readonly<Record<string, string>>;
    }
  | { readonly cloud: "azure"; readonly resourceGroup: string; readonly tag: { readonly key: string; readonly value: string } }
  | { readonly cloud: "gcp"; readonly project: string; readonly zone: string; readonly label: { readonly key: string; readonly value: string } };

/** Permissions, in the cloud's own terms, that a runtime identity needs for one capability. */
export type AccessGrant =
  | { readonly cloud: "aws"; readonly statements: readonly IamStatement[] }
  | { readonly cloud: "azure"; readonly roleAssignments: readonly AzureRoleGrant[]; readonly customRoles?: readonly AzureCustomRole[] }
  | { readonly cloud: "gcp"; readonly bindings: readonly GcpRoleGrant[]; readonly customRoles?: readonly GcpCustomRole[] };

/** One IAM binding a Google Cloud runtime identity needs. */
export interface GcpRoleGrant {
  /** A predefined role (`roles/…`), or the `key` of one of the grant's `customRoles`. */
  readonly role: string;
  /**
   * The resource it is granted on, by its full name: `projects/<p>`,
   * `projects/<p>/zones/<z>/instances/<i>` or `projects/<p>/regions/<r>/subnetworks/<s>`.
   */
  readonly resource: string;
  /** Names the binding among the grant's (the grantee names its IAM member after it), e.g. `Instance-cowrie`. */
  readonly key: string;
  /**
   * A reference to an attribute that changes when the resource is replaced (its IAM policy goes with
   * it): the grantee recreates its binding then (`replace_triggered_by`). A bare reference, as
   * `triggerReference` (core/lifecycle.ts) writes it, not a token. @default none
   */
  readonly recreatedWith?: string;
}

/** A project-level custom role the grantee defines because no predefined role is narrow enough. */
export interface GcpCustomRole {
  /** How the grant's `bindings` name it. */
  readonly key: string;
  readonly title: string;
  readonly description: string;
  /** Permissions, each spelled out (custom roles take no wildcard). */
  readonly permissions: readonly string[];
}

/** One Azure role assignment a runtime identity needs. */
export interface AzureRoleGrant {
  /** A built-in role's name, or the `key` of one of the grant's `customRoles`. */
  readonly role: string;
  /** The resource (or resource group) id it is assigned at. */
  readonly scope: string;
  /** Names the assignment among the grant's (the grantee names its assignment after it), e.g. `Nic-cowrie`. */
  readonly key: string;
}

/**
 * A role the grantee defines (`azurerm_role_definition`) because no built-in role is narrow enough:
 * Network Contributor, the nearest, may also rewrite every NSG rule and route of the network.
 */
export interface AzureCustomRole {
  /** How the grant's `roleAssignments` name it. */
  readonly key: string;
  readonly description: string;
  /** Control-plane actions, each spelled out (no wildcard). */
  readonly actions: readonly string[];
  /** Where it is defined and the only scope it may be assigned under (the honeynet's resource group). */
  readonly assignableScope: string;
}

export interface IamStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface IHoneynet extends IConstruct {
  readonly cloud: CloudName;
  readonly prefix: string;
  readonly honeypots: readonly HoneypotDescriptor[];
  /** URL of the analytics dashboard (behind the allow-list); none on a hive's sensor, whose events are in the hive's. */
  readonly dashboardUrl?: string;
  /** Where a watcher finds the current public IPs. */
  readonly publicIpSource: PublicIpSource;
  /** Read-only access a watcher needs to resolve `publicIpSource`. */
  discoveryAccess(): AccessGrant;
  /**
   * Access to move honeypots to a fresh public IP (AWS: force a new deployment of their ECS services).
   * Scoped to the named honeypots, or to every public one.
   */
  rotationAccess(honeypots?: readonly string[]): AccessGrant;
}

// ---------------------------------------------------------------------------------------------------
// Watcher

export type { ExtraTargetInput } from "./extra-targets";
import type { ExtraTargetInput } from "./extra-targets";

export interface WatcherProps extends CommonProps {
  /** The honeynet to watch: its IPs are discovered through `publicIpSource` at run time. */
  readonly honeynet: IHoneynet;
  /** Schedule expression. @default "rate(12 hours)" */
  readonly schedule?: string;
  /** E-mail for exposure alerts (the recipient must confirm). @default none: alerts only in the results store */
  readonly alertEmail?: string;
  /** Rotate an exposed honeypot to a new public IP. @default false */
  readonly rotateOnExposure?: boolean;
  /** Minimum hours between rotations of one honeypot. @default 24 */
  readonly minRotationIntervalHours?: number;
  /** Days lookup results are kept. @default 365 */
  readonly resultsRetentionDays?: number;
  /** Also ask Shodan for the honeyscore of hosts it lists (one more request per listed host). @default true */
  readonly honeyscore?: boolean;
  /** Scanner indexes to ask, Shodan first; "censys" adds a second key secret and its grant. @default ["shodan"] */
  readonly indexes?: readonly ("shodan" | "censys")[];
  /** Censys lookups: hours before one IP is asked again, and the organization billed. @default { everyHours: 24 } */
  readonly censys?: { readonly everyHours?: number; readonly organizationId?: string };
  /**
   * Addresses of honeypots lure did not deploy: public IPs or CIDRs up to a /28, or `{ address,
   * honeypot?, label? }`; looked up every cycle like the honeynet's own, never rotated. @default none
   */
  readonly extraTargets?: readonly ExtraTargetInput[];
}

export interface IWatcher extends IConstruct {
  /** Where results land (bucket / container / GCS URL). */
  readonly resultsLocation: string;
  /** Name of the secret that must receive the Shodan API key after deploy. */
  readonly apiKeySecretName: string;
}

// ---------------------------------------------------------------------------------------------------
// Quarantine

/** Thresholds of the scan detector (see reference/detection.md §5). */
export interface DetectorProps {
  /** Threshold Random Walk parameters. @default { theta0: 0.8, theta1: 0.2, alpha: 0.01, beta: 0.99 } */
  readonly trw?: { readonly theta0?: number; readonly theta1?: number; readonly alpha?: number; readonly beta?: number };
  /** @default 5 */
  readonly windowMinutes?: number;
  /** @default 15 */
  readonly verticalPorts?: number;
  /** @default 25 */
  readonly horizontalHosts?: number;
  /** @default 25 */
  readonly distinctPairs?: number;
  /** @default 30 */
  readonly idleMinutes?: number;
  /** @default 64 */
  readonly maxTargetsPerSource?: number;
  /** @default 100000 */
  readonly maxSources?: number;
  /** Minutes a failed first contact is remembered for the slow test. @default 1440 */
  readonly memoryMinutes?: number;
  /** Net distinct failed targets within `memoryMinutes` that flag a source. @default 6 */
  readonly slowFailures?: number;
  /** Framing defence: established clients are reported, not steered, on forgeable evidence. */
  readonly antiSpoofing?: {
    /** @default true */
    readonly enabled?: boolean;
    /** Minutes a proof of address (a completed connection) counts. @default 10080 */
    readonly historyMinutes?: number;
    /** Minutes the first proof must precede the evidence. @default 60 */
    readonly settleMinutes?: number;
    /** Clients' proofs held in memory per function instance. @default 100000 */
    readonly maxClients?: number;
  };
}

/** An existing service to protect, by reference. Nothing of it is created or changed. */
export interface ExistingTarget {
  /** The load balancer listener whose rules steer quarantined sources (AWS: an ALB listener ARN). */
  readonly listenerArn: string;
  /** The real service's task definition; the copies run it unless `copies.image` is set. */
  readonly taskDefinitionArn: string;
  readonly vpcId: string;
  /**
   * Subnets for the copies: best dedicated to them, apart from the real service's (a scanner sent to a
   * copy should find nothing of yours next to it). They need a route to the internet (NAT) to pull
   * their image.
   */
  readonly subnetIds: readonly string[];
  /** The container of that task definition the load balancer sends requests to. */
  readonly containerName: string;
  /** The port that container serves on. */
  readonly containerPort: number;
  /** The load balancer's security group: the only source the copies admit. */
  readonly albSecurityGroupId: string;
  /**
   * The real service's subnet CIDRs (IPv4, at most 19), which a network ACL on `subnetIds` denies both
   * ways when `isolateSubnets` is true. Not the load balancer's subnets: the copies must still admit it.
   * @default none
   */
  readonly realSubnetCidrs?: readonly string[];
  /**
   * Give `subnetIds` a network ACL of lure's that denies `realSubnetCidrs` both ways and allows the rest.
   * A subnet has exactly one network ACL, so this replaces the one the subnets use now: set it only when
   * the subnets are dedicated to the copies. @default false: the copies are isolated by their security
   * group only (it admits the load balancer alone and sends only HTTPS out)
   */
  readonly isolateSubnets?: boolean;
}

/** The demo target: a static site lure deploys behind its own load balancer. */
export interface DemoTargetProps {
  /** @default "public.ecr.aws/nginx/nginx:1.27.5-alpine" */
  readonly image?: string;
  /** Port the image serves on. @default 80 */
  readonly containerPort?: number;
  /**
   * Address space of the demo network (IPv4, /16 to /24), split in eight: /23 or larger when the copies
   * subnets must hold more than 27 addresses (over 13 ECS copies, which double during a deployment).
   * @default "10.43.0.0/16"
   */
  readonly networkCidr?: string;
  /** Certificate for HTTPS on 443, HTTP then redirects (an ACM ARN on AWS). @default none: plain HTTP on 80 */
  readonly certificateArn?: string;
}

/** How many honeypot copies run in each mode. */
export interface CopyCounts {
  /** Copies running in Defence Mode. @default 1 */
  readonly defenceCount?: number;
  /** Copies kept running in Normal Mode (at most `defenceCount`). @default 0 */
  readonly normalCount?: number;
}

/** Honeypot copies as containers from the real task definition (AWS: a second ECS service). */
export interface ContainerCopiesProps extends CopyCounts {
  readonly kind: "ecs";
  /**
   * A decoy image, run by a task definition of lure's without a task role. For an existing target, set
   * this or `reuseTaskDefinition`. @default the demo's image for the demo target; none for an existing target
   */
  readonly image?: string;
  /**
   * Existing target without `image`: accept that the copies run your task definition unchanged, with its
   * task role, secrets and environment, in front of the scanners sent to them. Safer: `image`.
   * @default false (refused)
   */
  readonly reuseTaskDefinition?: boolean;
  /** The port `image` serves on (only with `image`). @default the target's container port */
  readonly containerPort?: number;
}

/** Honeypot copies as VMs from an image with a warm pool (AWS: an Auto Scaling group from an AMI). */
export interface VmCopiesProps extends CopyCounts {
  readonly kind: "asg";
  /** The machine image; it must serve on the container port. */
  readonly amiId: string;
  /** @default "t3.micro" */
  readonly instanceType?: string;
  /** The port the AMI serves HTTP on. @default the target's container port */
  readonly containerPort?: number;
  readonly warmPool?: {
    /** Instances kept in the warm pool. @default defenceCount */
    readonly minSize?: number;
    /** @default "Stopped" */
    readonly state?: "Stopped" | "Running" | "Hibernated";
  };
}

export type CopiesProps = ContainerCopiesProps | VmCopiesProps;

export interface QuarantineProps extends CommonProps {
  /** @default "demo" */
  readonly target?: "demo" | ExistingTarget;
  /** Settings of the demo target (ignored for an existing target). @default see DemoTargetProps */
  readonly demo?: DemoTargetProps;
  /**
   * Sources never quarantined (health checkers, own scanners). The demo's own network is added
   * automatically; for an existing target, list the VPC's CIDRs here. @default []
   */
  readonly allowCidrs?: readonly string[];
  /** Minutes without a live quarantine before Normal Mode. @default 30 */
  readonly quietPeriodMinutes?: number;
  /** Forget quarantined sources on return to Normal Mode. @default true */
  readonly forgetOnNormal?: boolean;
  /** With `forgetOnNormal: false`, minutes a source stays remembered. @default 1440 */
  readonly rememberMinutes?: number;
  /** Enter Defence Mode once `sources` sources were flagged within `windowMinutes`. @default { sources: 1, windowMinutes: 5 } */
  readonly defenceAfter?: { readonly sources?: number; readonly windowMinutes?: number };
  readonly detector?: DetectorProps;
  /** Load-balancer rules lure may use for steering (the size of its priority band). @default 100 */
  readonly ruleQuota?: number;
  /**
   * Rules the load balancer accepts in all, excluding the default action (AWS quota "Rules per Application
   * Load Balancer", 100 by default). lure never holds more than this minus every rule that is not its own
   * (an existing target's copies add one, the anchor). At least `ruleQuota`. @default 100
   */
  readonly albRuleLimit?: number;
  /**
   * Lowest rule priority of lure's band, which ends at `firstRulePriority + ruleQuota - 1`. An existing target
   * also gets one fixed anchor rule for its copies at `firstRulePriority + ruleQuota` (≤ 50000 on AWS). @default 1
   */
  readonly firstRulePriority?: number;
  /** @default { kind: "ecs", defenceCount: 1, normalCount: 0 } */
  readonly copies?: CopiesProps;
  /** Retention of the flow logs and the functions' logs, in days. @default 7 */
  readonly logRetentionDays?: number;
}

export interface IQuarantine extends IConstruct {
  /** Public address of the protected service (for an existing target: a description of its listener). */
  readonly endpoint: string;
  /** Where the mode and quarantined sources are kept (AWS: the DynamoDB table name). */
  readonly stateStoreName: string;
}
