/**
 * The three jobs of lure as cloud-agnostic interfaces. Constructs reference each other through these,
 * never through ARNs or ids pasted around; each cloud implements them with its own services.
 */
import type { IConstruct } from "constructs";
import type { PortPlan, PublishedPort } from "./catalog";
import type { CloudName } from "./config";

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
}

export interface DashboardProps {
  /** CIDRs that may reach the dashboard. Must not be empty; world-open needs `allowWorldOpen`. */
  readonly allowCidrs: readonly string[];
  /** Accept 0.0.0.0/0 or ::/0 in `allowCidrs`. @default false */
  readonly allowWorldOpen?: boolean;
  /** Certificate for HTTPS (an ACM ARN on AWS). @default none: plain HTTP, with a warning at synth */
  readonly certificateArn?: string;
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
  /** Replace the Elastic images (e.g. T-Pot's, or modified ones in a private registry). @default official images */
  readonly elasticImages?: { readonly elasticsearch?: string; readonly logstash?: string; readonly kibana?: string };
  /** Honeypots that get a private image repository for a modified image. @default [] */
  readonly imageRepositories?: readonly string[];
  /** Address space of the honeynet network. @default "10.42.0.0/16" */
  readonly networkCidr?: string;
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
  | { readonly cloud: "azure"; readonly roleAssignments: readonly { readonly role: string; readonly scope: string }[] }
  | { readonly cloud: "gcp"; readonly bindings: readonly { readonly role: string; readonly resource: string }[] };

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
  /** URL of the analytics dashboard (behind the allow-list). */
  readonly dashboardUrl: string;
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
}

/** An existing service to protect, by reference. */
export interface ExistingTarget {
  readonly listenerArn: string;
  readonly targetGroupArn: string;
  readonly taskDefinitionArn: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
}

export interface QuarantineProps extends CommonProps {
  /** @default "demo" */
  readonly target?: "demo" | ExistingTarget;
  /** Sources never quarantined (health checkers, own scanners). @default [] */
  readonly allowCidrs?: readonly string[];
  /** Minutes without a live quarantine before Normal Mode. @default 30 */
  readonly quietPeriodMinutes?: number;
  /** Forget quarantined sources on return to Normal Mode. @default true */
  readonly forgetOnNormal?: boolean;
  readonly detector?: DetectorProps;
  /** Load-balancer rules lure may use for steering. @default 100 */
  readonly ruleQuota?: number;
}

export interface IQuarantine extends IConstruct {
  /** Public address of the protected service. */
  readonly endpoint: string;
  /** Where the mode and quarantined sources are kept. */
  readonly stateStoreName: string;
}
