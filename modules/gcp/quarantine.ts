/**
 * The Google Cloud Quarantine (`gcp-quarantine`): the demo web service on Cloud Run (or the user's
 * own, `cloudRunTarget`, read and never made) behind a global external Application Load Balancer,
 * the same detector, mode machine and planner as on AWS and Azure, and honeypot copies that an Envoy
 * router sends quarantined sources to.
 *
 *   scanner ──► static global address ──► forwarding rule (HTTP 80, or HTTPS 443 with `domain`) ──► proxy ──► URL map
 *     ──► backend service (request log: every request; Cloud Armor policy: lure's rules add STEER_HEADER)
 *     ──► serverless NEG ──► router (Envoy on Cloud Run, Direct VPC egress) ─ header ─► copies (Cloud Run, 0 instances)
 *                                                                          └─ else ───► real service (Cloud Run)
 *   request log ──► log sink (this forwarding rule only) ──► Pub/Sub topic ──► push subscription (OIDC) ──► detector ─┐
 *                                        Cloud Scheduler, every minute (OIDC) ──► mode ──────────────────────────────┴► Firestore,
 *                                                                      the policy's rules in lure's band, the copies' minimum instances
 *
 * - Why a router (reference/clouds-2026.md §1.4, §5 item 6): a Cloud Armor rule runs after the URL
 *   map picked the backend and a URL map cannot match the source address, so Cloud Armor only marks
 *   a quarantined request with a header and Envoy routes on it (modules/gcp/envoy-router.ts).
 * - Ingress: the router admits only the load balancer (`INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER`,
 *   invoker IAM off: the load balancer's requests carry no identity, Cloud Armor is the gate). The
 *   real service and the copies are `INGRESS_TRAFFIC_INTERNAL_ONLY` and require IAM: the router
 *   reaches their run.app names through the VPC (Direct VPC egress, all traffic, Private Google
 *   Access on its subnet), so its requests count as internal, and it signs each with an ID token of
 *   its own account, the only invoker of either. Nothing else (the honeypot VMs of the same project
 *   included) can call them.
 * - Identities: each service and function has its own account. The real service's, the copies' and
 *   the router's have no role (the router's only grant is invoking the two services). The mode
 *   function may read and change the rules of this one policy (a project-level custom role: security
 *   policies have no resource-level IAM, §1.5). Both functions may read and write the quarantine's
 *   Firestore database (a custom role per function with the methods it calls, conditioned on the
 *   database's name; only the mode function deletes), and read and update the copies' service (a
 *   custom role on that service) as their account (Service Account User on that account only).
 * - Runtime state stays out of Terraform: the policy's rules are `ignore_changes` (the functions add
 *   and remove lure's band), and so is the copies' service-level `scaling` (the mode function sets the
 *   minimum instance count).
 */
import { AssetType, Fn, TerraformAsset, TerraformStack, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { CloudRunV2Service } from "@cdktf/provider-google/lib/cloud-run-v2-service";
import { CloudRunV2ServiceIamMember } from "@cdktf/provider-google/lib/cloud-run-v2-service-iam-member";
import { CloudSchedulerJob } from "@cdktf/provider-google/lib/cloud-scheduler-job";
import { Cloudfunctions2Function } from "@cdktf/provider-google/lib/cloudfunctions2-function";
import { ComputeBackendService } from "@cdktf/provider-google/lib/compute-backend-service";
import { ComputeGlobalAddress } from "@cdktf/provider-google/lib/compute-global-address";
import { ComputeGlobalForwardingRule } from "@cdktf/provider-google/lib/compute-global-forwarding-rule";
import { ComputeManagedSslCertificate } from "@cdktf/provider-google/lib/compute-managed-ssl-certificate";
import { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import { ComputeRegionNetworkEndpointGroup } from "@cdktf/provider-google/lib/compute-region-network-endpoint-group";
import { ComputeSecurityPolicy } from "@cdktf/provider-google/lib/compute-security-policy";
import { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork";
import { ComputeTargetHttpProxy } from "@cdktf/provider-google/lib/compute-target-http-proxy";
import { ComputeTargetHttpsProxy } from "@cdktf/provider-google/lib/compute-target-https-proxy";
import { ComputeUrlMap } from "@cdktf/provider-google/lib/compute-url-map";
import { DataGoogleClientConfig } from "@cdktf/provider-google/lib/data-google-client-config";
import { DataGoogleCloudRunV2Service } from "@cdktf/provider-google/lib/data-google-cloud-run-v2-service";
import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { FirestoreDatabase } from "@cdktf/provider-google/lib/firestore-database";
import { FirestoreField } from "@cdktf/provider-google/lib/firestore-field";
import { LoggingProjectSink } from "@cdktf/provider-google/lib/logging-project-sink";
import { ProjectIamCustomRole } from "@cdktf/provider-google/lib/project-iam-custom-role";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { PubsubSubscription } from "@cdktf/provider-google/lib/pubsub-subscription";
import { PubsubSubscriptionIamMember } from "@cdktf/provider-google/lib/pubsub-subscription-iam-member";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketObject } from "@cdktf/provider-google/lib/storage-bucket-object";
import { GcpStack } from "../../providers/gcp";
import {
  cloudArmorSteeringOptions,
  CLOUD_ARMOR_FIRST_PRIORITY,
  CLOUD_ARMOR_MAX_RULES,
  FIRESTORE_COLLECTIONS,
  FIRESTORE_TTL_FIELD,
  GCP_QUARANTINE_ENTRY_POINTS,
  GCP_QUARANTINE_ENV,
  GCP_QUARANTINE_PERMISSIONS,
  GCP_QUARANTINE_TIMEOUT_SECONDS,
} from "../../functions/gcp/quarantine/contract";
import { gcpQuarantinePackage } from "../core/bundle";
import { ipv4Subnet } from "../core/cidr";
import { CLOUD_RUN_ASG_MESSAGE, ConfigError, QUARANTINE_DEFAULTS, cloudRunCopiesMessage, type ConfigProblem } from "../core/config";
import type { IQuarantine, QuarantineProps } from "../core/interfaces";
import { LABEL_KEYS, toLabel } from "../core/labels";
import { resourceName } from "../core/naming";
import { CLOUD_RUN_SERVICE_NAME, CLOUD_RUN_SERVICE_NAME_RULE } from "../../functions/core/gcp-project";
import { QUARANTINE_PART_TAG } from "../core/policy/rules/quarantine-copies-isolated";
import { quarantinePropsProblems, resolveQuarantine, type ResolvedQuarantine } from "../core/quarantine-runtime";
import { DEFAULT_RULE_PRIORITY } from "./honeynet";
import { envoyRouterYaml, ROUTER_PORT } from "./envoy-router";
import { FUNCTION_MEMORY, INTERNAL_INGRESS, ROLES as WATCHER_ROLES, RUNTIME } from "./watcher";

/**
 * Envoy's official image, pinned by tag and digest. The digest is the one several public
 * repositories pin `v1.38.0` to; it was not read from Docker Hub here (no network).
 */
export const ENVOY_IMAGE = "docker.io/envoyproxy/envoy:v1.38.0@sha256:8146b97ee61a42cd216514709e4e3198af75f014974e3d9f310aef9c901fcbdf";
/**
 * The demo on Cloud Run: the config's default image is on ECR Public, which Cloud Run does not pull
 * from (Artifact Registry and Docker Hub only), so the same nginx release from Docker Hub's official
 * image stands in for it. A configured image is used as given.
 */
export const GCP_DEMO_IMAGE = "docker.io/library/nginx:1.27.5-alpine";

/** The image Cloud Run runs for `image`: the config's default demo image becomes {@link GCP_DEMO_IMAGE}. */
export function gcpImage(image: string | undefined): string {
  return image === undefined || image === QUARANTINE_DEFAULTS.demo.image ? GCP_DEMO_IMAGE : image;
}
/**
 * Whether Cloud Run can pull `image`: Docker Hub (named as `docker.io/…` or without a registry host),
 * Artifact Registry (`<location>-docker.pkg.dev/…`) or Container Registry (`gcr.io`, `<region>.gcr.io`).
 */
export function cloudRunPullable(image: string): boolean {
  const first = image.split("/")[0];
  const hasHost = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  if (!hasHost) return true;
  return first === "docker.io" || first === "index.docker.io" || /^[a-z0-9-]+-docker\.pkg\.dev$/.test(first) || /^([a-z]+\.)?gcr\.io$/.test(first);
}
/** Every minute, unix-cron (Cloud Scheduler's), UTC. */
export const MODE_SCHEDULE = "* * * * *";
/** Cloud Armor's preconfigured scanner-detection rule, in preview (logged, never enforced), just ahead of lure's band. */
/** Sensitivity 1 only: the higher levels add CRS 913101/913102, which match scripting clients and SEO crawlers. */
export const SCANNER_DETECTION = { priority: CLOUD_ARMOR_FIRST_PRIORITY - 100, expression: "evaluatePreconfiguredWaf('scannerdetection-v33-stable', {'sensitivity': 1})" } as const;
/**
 * Pub/Sub's push to the detector: the detector's timeout under the ack deadline (Pub/Sub's longest),
 * so a batch still running is never redelivered; 10 attempts, backing off 10 s to 10 min, then the
 * dead-letter topic (kept 7 days in its subscription).
 */
export const DETECTOR_TIMEOUT_SECONDS = GCP_QUARANTINE_TIMEOUT_SECONDS.detector;
export const PUSH_DELIVERY = { ackDeadlineSeconds: 600, maxDeliveryAttempts: 10, minimumBackoff: "10s", maximumBackoff: "600s" } as const;
export const DEAD_LETTER_RETENTION = "604800s";
/** At most this many detector instances (each serves one push at a time); Pub/Sub counts a 429 as a failed attempt, so not 1 (clouds-2026.md §5 item 4). */
export const DETECTOR_MAX_INSTANCES = 5;
/**
 * Pushes one detector instance serves at once. Pub/Sub pushes one log entry per request, so the
 * handler batches what arrives within BATCH_WAIT_MS; with one push per instance there would be
 * nothing to batch, and a busy site's entries would outrun five instances and dead-letter.
 * Concurrency above 1 needs a whole vCPU on Cloud Run.
 */
export const DETECTOR_CONCURRENCY = 80;
export const DETECTOR_CPU = "1";
/** The mode function's timeout is its lease: a run cut off by the timeout never holds the lease past it. */
export const MODE_TIMEOUT_SECONDS = GCP_QUARANTINE_TIMEOUT_SECONDS.mode;
/**
 * The custom role on the policy, the mode function's alone (the detector never changes rules):
 * project-level, since security policies have no resource-level IAM. addRule, patchRule and
 * removeRule need `compute.securityPolicies.update` (there are no per-method permissions).
 */
export const SECURITY_POLICY_PERMISSIONS = GCP_QUARANTINE_PERMISSIONS.mode.compute;
/** The custom role on the copies' service (granted on that service only). */
export const COPIES_PERMISSIONS = GCP_QUARANTINE_PERMISSIONS.mode.run.filter((p) => p.startsWith("run.services."));
/** Polling the copies' update: operations belong to the location, not to the service, so this one is granted on the project. */
export const RUN_OPERATIONS_PERMISSIONS = GCP_QUARANTINE_PERMISSIONS.mode.run.filter((p) => p.startsWith("run.operations."));
/** The custom roles on the state store (granted on the project, conditioned on the database's name). */
export const STORE_PERMISSIONS = { detector: GCP_QUARANTINE_PERMISSIONS.detector.firestore, mode: GCP_QUARANTINE_PERMISSIONS.mode.firestore } as const;
export const ROLES = {
  ...WATCHER_ROLES,
  publisher: "roles/pubsub.publisher",
  subscriber: "roles/pubsub.subscriber",
} as const;
/** Google APIs the Quarantine uses, enabled by the stack (never disabled on destroy). */
export const QUARANTINE_APIS = [
  "compute.googleapis.com",
  "run.googleapis.com",
  "cloudfunctions.googleapis.com",
  "cloudbuild.googleapis.com",
  "artifactregistry.googleapis.com",
  "cloudscheduler.googleapis.com",
  "pubsub.googleapis.com",
  "firestore.googleapis.com",
  "logging.googleapis.com",
  "iam.googleapis.com",
] as const;
/** The label that tells the policy rules which side a resource is on (`lure-quarantine`: real, copies, router). */
export const PART_LABEL = toLabel(QUARANTINE_PART_TAG);

/** The accounts: three services, two functions, the two callers, the build. */
type Account = "real" | "copies" | "router" | "detector" | "mode" | "push" | "scheduler" | "build";
/** Every account but the real service's, which only the demo has (an existing service keeps its own). */
type Accounts = Readonly<Record<Exclude<Account, "real">, ServiceAccount>> & { readonly real?: ServiceAccount };
/** The message of the plan-time check on a Cloud Run target's ingress. */
export const DIRECT_INGRESS_MESSAGE =
  "admits the internet (ingress INGRESS_TRAFFIC_ALL): scanners that find its run.app URL reach it around lure's router and are never steered. Set its ingress to internal and Cloud Load Balancing (or internal), or set clouds.gcp.quarantineTarget.allowDirectIngress to true to accept it";

/** An existing Cloud Run service to protect instead of the demo. lure reads it and changes nothing of it but one IAM grant. */
export interface CloudRunTargetProps {
  /** The service's name, in the Quarantine's project (its ingress counts the router as internal only from there). */
  readonly service: string;
  /** @default the Quarantine's region */
  readonly region?: string;
  /**
   * Accept a service whose ingress is `INGRESS_TRAFFIC_ALL`: whoever finds its run.app URL reaches it
   * around the router and is never steered. @default false: the plan fails until its ingress is
   * internal, or internal and Cloud Load Balancing
   */
  readonly allowDirectIngress?: boolean;
}

export interface GcpQuarantineProps extends QuarantineProps {
  /**
   * Your Cloud Run service to protect, instead of the demo (`target` must then stay "demo": an
   * existing `target` is an AWS listener). The copies need `copies.image`, or `copies.reuseTaskDefinition`
   * to run this service's image. @default the demo
   */
  readonly cloudRunTarget?: CloudRunTargetProps;
  /** Region of the services, functions, NEG, scheduler job and database. @default the stack's */
  readonly region?: string;
  /** @default the stack's, else the provider's (read back through google_client_config) */
  readonly project?: string;
  /** DNS name of the site: HTTPS on 443 with a Google-managed certificate. @default none: plain HTTP on 80 */
  readonly domain?: string;
}

function accountIds(prefix: string): Record<Account, string> {
  const id = (part: string) => resourceName(prefix, ["qrn", part], 30);
  return { real: id("real"), copies: id("copies"), router: id("router"), detector: id("detector"), mode: id("mode"), push: id("push"), scheduler: id("sched"), build: id("build") };
}

/** What `props` cannot be built from on Google Cloud, with the props' paths (the shared checks included). */
export function gcpQuarantinePropsProblems(props: GcpQuarantineProps): ConfigProblem[] {
  const out = quarantinePropsProblems(props);
  if (props.target !== undefined && props.target !== "demo") {
    out.push({ path: "target", message: "an existing service here is an AWS listener; on Google Cloud name your Cloud Run service in cloudRunTarget (clouds.gcp.quarantineTarget in the config)" });
  }
  const t = props.cloudRunTarget;
  if (t !== undefined) {
    if (!CLOUD_RUN_SERVICE_NAME.test(t.service)) out.push({ path: "cloudRunTarget.service", message: `"${t.service}" is not a Cloud Run service name (${CLOUD_RUN_SERVICE_NAME_RULE})` });
    const c = props.copies;
    if (c?.kind === "asg") out.push({ path: "copies.kind", message: CLOUD_RUN_ASG_MESSAGE });
    else if (c?.image === undefined && c?.reuseTaskDefinition !== true) out.push({ path: "copies", message: cloudRunCopiesMessage("copies", t.service) });
  }
  const image = gcpImage(props.demo?.image);
  if (!cloudRunPullable(image)) {
    out.push({ path: "demo.image", message: `"${image}" is not on Docker Hub or Artifact Registry, the registries Cloud Run pulls from` });
  }
  const copiesImage = props.copies?.kind === "ecs" && props.copies.image !== undefined ? gcpImage(props.copies.image) : undefined;
  if (copiesImage !== undefined && !cloudRunPullable(copiesImage)) {
    out.push({ path: "copies.image", message: `"${copiesImage}" is not on Docker Hub or Artifact Registry, the registries Cloud Run pulls from` });
  }
  const prefix = props.prefix ?? "lure";
  try {
    accountIds(prefix);
  } catch {
    out.push({ path: "prefix", message: `"${prefix}" is too long for the Quarantine's service accounts ("<prefix>-qrn-detector", at most 30 characters); allowed: at most 12 characters` });
  }
  return out;
}

/** The runtime settings on Google Cloud: Cloud Armor's band and limits instead of the ALB's. */
function gcpSettings(s: ResolvedQuarantine): ResolvedQuarantine {
  return { ...s, runtime: { ...s.runtime, steering: cloudArmorSteeringOptions(s.runtime.steering.ruleQuota) } };
}

/** What every part of a GcpQuarantine is built from. */
interface Ctx {
  readonly props: GcpQuarantineProps;
  readonly s: ResolvedQuarantine;
  readonly prefix: string;
  readonly project: string;
  readonly region: string;
  /** A resource name: `<prefix>-quarantine-<parts>`, at most 63 characters. */
  readonly name: (...parts: string[]) => string;
  readonly labels: (part?: "real" | "copies" | "router") => Record<string, string>;
  readonly apis: Record<string, ProjectService>;
  /** The IAM member of a part's service account. */
  readonly member: (who: Exclude<Account, "real">) => string;
}

export class GcpQuarantine extends Construct implements IQuarantine {
  /** `http://<address>` (or `https://<domain>`); the address is a token until apply. */
  readonly endpoint: string;
  /** The Firestore database id of the state store. */
  readonly stateStoreName: string;
  readonly settings: ResolvedQuarantine;
  readonly project: string;
  readonly region: string;
  readonly network: ComputeNetwork;
  readonly routerSubnet: ComputeSubnetwork;
  /** The demo's real service; none for a {@link GcpQuarantineProps.cloudRunTarget}. */
  readonly realService?: CloudRunV2Service;
  /** The Cloud Run target, as read at plan time; none for the demo. */
  readonly existingService?: DataGoogleCloudRunV2Service;
  readonly copiesService: CloudRunV2Service;
  readonly router: CloudRunV2Service;
  /** The router's Envoy bootstrap, as passed to `--config-yaml` (with Terraform references for the host names). */
  readonly routerConfig: string;
  readonly securityPolicy: ComputeSecurityPolicy;
  readonly backendService: ComputeBackendService;
  readonly address: ComputeGlobalAddress;
  readonly forwardingRule: ComputeGlobalForwardingRule;
  /** The forwarding rule's name, as written (the sink's filter names it). */
  readonly forwardingRuleName: string;
  readonly sink: LoggingProjectSink;
  readonly signalsTopic: PubsubTopic;
  readonly deadLetterTopic: PubsubTopic;
  readonly deadLetters: PubsubSubscription;
  readonly detectorSubscription: PubsubSubscription;
  readonly database: FirestoreDatabase;
  readonly detector: Cloudfunctions2Function;
  readonly mode: Cloudfunctions2Function;
  readonly schedulerJob: CloudSchedulerJob;
  readonly accounts: Accounts;
  readonly policyRole: ProjectIamCustomRole;
  readonly copiesRole: ProjectIamCustomRole;
  readonly operationsRole: ProjectIamCustomRole;

  constructor(scope: Construct, id: string, props: GcpQuarantineProps) {
    super(scope, id);
    const problems = gcpQuarantinePropsProblems(props);
    if (problems.length > 0) throw new ConfigError(this.node.path, problems);
    const stack = TerraformStack.of(this);
    if (!(stack instanceof GcpStack)) throw new Error(`${this.node.path}: GcpQuarantine must be created inside a GcpStack`);
    const s = (this.settings = gcpSettings(resolveQuarantine(props, stack.prefix)));
    const project = (this.project = props.project ?? stack.project ?? new DataGoogleClientConfig(this, "Client").project);
    const region = (this.region = props.region ?? stack.region);
    const prefix = s.prefix;
    const ctx: Ctx = {
      props,
      s,
      prefix,
      project,
      region,
      name: (...parts: string[]) => resourceName(prefix, ["quarantine", ...parts], 63),
      labels: (part?: "real" | "copies" | "router") => ({ [LABEL_KEYS.component]: "quarantine", ...(part ? { [PART_LABEL]: part } : {}) }),
      apis: this.enableApis(stack, project, QUARANTINE_APIS),
      member: (who: Exclude<Account, "real">) => `serviceAccount:${this.accounts[who].email}`,
    };
    this.accounts = this.identities(ctx);
    ({ real: this.realService, existing: this.existingService, copies: this.copiesService } = this.services(ctx));
    ({ network: this.network, subnet: this.routerSubnet, config: this.routerConfig, router: this.router } = this.routerService(ctx));
    ({
      policy: this.securityPolicy,
      backend: this.backendService,
      address: this.address,
      forwardingRuleName: this.forwardingRuleName,
      forwardingRule: this.forwardingRule,
      endpoint: this.endpoint,
    } = this.loadBalancer(ctx));
    ({ topic: this.signalsTopic, sink: this.sink, deadLetterTopic: this.deadLetterTopic, deadLetters: this.deadLetters } = this.signals(ctx));
    ({ name: this.stateStoreName, database: this.database } = this.stateStore(ctx));
    const access = this.grants(ctx);
    ({ policy: this.policyRole, copies: this.copiesRole, operations: this.operationsRole } = access.roles);
    ({ detector: this.detector, mode: this.mode, subscription: this.detectorSubscription, schedule: this.schedulerJob } = this.functions(ctx, access.grants));
  }

  /** One service account per part; none has a role unless {@link grants} gives it one. */
  private identities(ctx: Ctx): Accounts {
    const { props, prefix, project, apis } = ctx;
    const ids = accountIds(prefix);
    const iamApi = apis["iam.googleapis.com"];
    const account = (aid: string, who: Account, what: string) => new ServiceAccount(this, aid, { project, accountId: ids[who], displayName: `${prefix} quarantine: ${what}`, dependsOn: [iamApi] });
    return {
      ...(props.cloudRunTarget ? {} : { real: account("RealAccount", "real", "the real service (no roles)") }),
      copies: account("CopiesAccount", "copies", "the honeypot copies (no roles)"),
      router: account("RouterAccount", "router", "the Envoy router (invokes the real service and the copies)"),
      detector: account("DetectorAccount", "detector", "the detector function"),
      mode: account("ModeAccount", "mode", "the mode function"),
      push: account("PushAccount", "push", "Pub/Sub pushes to the detector as this"),
      scheduler: account("SchedulerAccount", "scheduler", "Cloud Scheduler calls the mode function as this"),
      build: account("BuildAccount", "build", "Cloud Build builds the functions as this"),
    };
  }

  /**
   * The real service and the copies: internal ingress, IAM required. For a Cloud Run target the real
   * service is the user's, read at plan time (its ingress checked), and the copies run the decoy image
   * or, by opt-in, its image.
   */
  private services(ctx: Ctx): { real?: CloudRunV2Service; existing?: DataGoogleCloudRunV2Service; copies: CloudRunV2Service } {
    const { props, s, project, region, name, labels, apis } = ctx;
    const runApi = apis["run.googleapis.com"];
    const t = props.cloudRunTarget;
    const existing = t
      ? new DataGoogleCloudRunV2Service(this, "ExistingService", {
          project,
          name: t.service,
          location: t.region ?? region,
          ...(t.allowDirectIngress ? {} : { lifecycle: { postcondition: [{ condition: '${self.ingress != "INGRESS_TRAFFIC_ALL"}', errorMessage: `The Cloud Run service ${t.service} ${DIRECT_INGRESS_MESSAGE}.` }] } }),
          dependsOn: [runApi],
        })
      : undefined;
    const demoImage = gcpImage(props.demo?.image);
    const container = existing?.template.get(0).containers.get(0);
    // What the copies stand in for: the service's first container, else the demo.
    const target = container ? { image: container.image, port: container.ports.get(0).containerPort } : { image: demoImage, port: s.demo.containerPort };
    const decoy = s.copies.kind === "ecs" && s.copies.image ? { image: gcpImage(s.copies.image), port: s.copies.containerPort ?? target.port } : target;
    const service = (sid: string, part: "real" | "copies", account: ServiceAccount, image: string, port: number, scaling: { min: number; max: number }) =>
      new CloudRunV2Service(this, sid, {
        project,
        name: name(part),
        location: region,
        // Reached only from inside the project's networks: the router, over Direct VPC egress.
        ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
        deletionProtection: false,
        labels: labels(part),
        ...(part === "copies"
          ? {
              // The service-level minimum is the mode function's (0 in Normal Mode, defenceCount in Defence Mode).
              scaling: { minInstanceCount: s.copies.normalCount },
              lifecycle: { ignoreChanges: ["scaling"] },
            }
          : {}),
        template: {
          serviceAccount: account.email,
          scaling: { minInstanceCount: part === "copies" ? 0 : scaling.min, maxInstanceCount: scaling.max },
          containers: [{ name: part, image, ports: { containerPort: port, name: "http1" }, resources: { limits: { cpu: "1", memory: "512Mi" }, cpuIdle: true } }],
        },
        dependsOn: [runApi],
      });
    const real = this.accounts.real ? service("RealService", "real", this.accounts.real, demoImage, s.demo.containerPort, { min: 0, max: 2 }) : undefined;
    const copies = service("CopiesService", "copies", this.accounts.copies, decoy.image, decoy.port, { min: 0, max: Math.max(1, s.copies.defenceCount) });
    return { real, existing, copies };
  }

  /** The router: Envoy on Cloud Run, reaching the real service and the copies through its own network. */
  private routerService(ctx: Ctx): { network: ComputeNetwork; subnet: ComputeSubnetwork; config: string; router: CloudRunV2Service } {
    const { s, project, region, name, labels, apis, member } = ctx;
    const runApi = apis["run.googleapis.com"];
    const computeApi = apis["compute.googleapis.com"];
    const network = new ComputeNetwork(this, "Network", { project, name: name(), autoCreateSubnetworks: false, routingMode: "REGIONAL", dependsOn: [computeApi] });
    const subnet = new ComputeSubnetwork(this, "RouterSubnet", {
      project,
      name: name("router"),
      network: network.id,
      region,
      // A quarter of demo.networkCidr: Direct VPC egress wants a /26 at least (a /24 config gives one).
      ipCidrRange: ipv4Subnet(s.demo.networkCidr, 2, 0),
      stackType: "IPV4_ONLY",
      // run.app is a Google API address: reached from the VPC through Private Google Access.
      privateIpGoogleAccess: true,
    });
    const host = (uri: string) => Fn.replace(uri, "https://", "");
    const real = this.realService ?? (this.existingService as DataGoogleCloudRunV2Service);
    const config = envoyRouterYaml({ real: { host: host(real.uri) }, copies: { host: host(this.copiesService.uri) } });
    const invokers = [
      // On a Cloud Run target, the one change lure makes to it: one more invoker, removed on destroy.
      new CloudRunV2ServiceIamMember(this, "RealInvoker", { project, location: ctx.props.cloudRunTarget?.region ?? region, name: real.name, role: ROLES.invoker, member: member("router") }),
      new CloudRunV2ServiceIamMember(this, "CopiesInvoker", { project, location: region, name: this.copiesService.name, role: ROLES.invoker, member: member("router") }),
    ];
    const router = new CloudRunV2Service(this, "Router", {
      project,
      name: name("router"),
      location: region,
      ingress: "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
      // Cloud Armor at the load balancer is the gate; the load balancer's requests carry no identity token.
      invokerIamDisabled: true,
      deletionProtection: false,
      labels: labels("router"),
      template: {
        serviceAccount: this.accounts.router.email,
        scaling: { minInstanceCount: 0, maxInstanceCount: 4 },
        // All traffic through the VPC: the real service and the copies admit internal requests only.
        vpcAccess: { networkInterfaces: [{ network: network.id, subnetwork: subnet.id }], egress: "ALL_TRAFFIC" },
        containers: [
          {
            name: "envoy",
            image: ENVOY_IMAGE,
            // The image's entrypoint prepends `envoy` to arguments that start with "-" (and drops root).
            args: ["--config-yaml", config, "--log-level", "warn"],
            ports: { containerPort: ROUTER_PORT, name: "http1" },
            resources: { limits: { cpu: "1", memory: "512Mi" }, cpuIdle: true },
          },
        ],
      },
      dependsOn: [...invokers, runApi],
    });
    return { network, subnet, config, router };
  }

  /** The global load balancer in front of the router, with the Cloud Armor policy the functions steer by. */
  private loadBalancer(ctx: Ctx) {
    const { props, project, region, name, labels, apis } = ctx;
    const computeApi = apis["compute.googleapis.com"];
    const policy = new ComputeSecurityPolicy(this, "Policy", {
      project,
      name: name(),
      type: "CLOUD_ARMOR",
      description: `lure Quarantine: rules ${CLOUD_ARMOR_FIRST_PRIORITY}-${CLOUD_ARMOR_FIRST_PRIORITY + CLOUD_ARMOR_MAX_RULES - 1} are the functions' (they add the steering header for quarantined sources)`,
      rule: [
        {
          priority: SCANNER_DETECTION.priority,
          action: "deny(403)",
          preview: true,
          description: "Cloud Armor's scanner detection, in preview: logged in the request log, never enforced",
          match: { expr: { expression: SCANNER_DETECTION.expression } },
        },
        { priority: DEFAULT_RULE_PRIORITY, action: "allow", description: "everyone", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } } },
      ],
      // The functions add and remove lure's band at run time: a later apply must not revert them.
      lifecycle: { ignoreChanges: ["rule"] },
      dependsOn: [computeApi],
    });
    const neg = new ComputeRegionNetworkEndpointGroup(this, "RouterNeg", {
      project,
      name: name("router"),
      region,
      networkEndpointType: "SERVERLESS",
      cloudRun: { service: this.router.name },
      lifecycle: { createBeforeDestroy: true },
    });
    const backend = new ComputeBackendService(this, "Backend", {
      project,
      name: name(),
      loadBalancingScheme: "EXTERNAL_MANAGED",
      backend: [{ group: neg.id }],
      securityPolicy: policy.id,
      // The request log is the detector's signal: every request.
      logConfig: { enable: true, sampleRate: 1 },
    });
    const urlMap = new ComputeUrlMap(this, "UrlMap", { project, name: name(), defaultService: backend.id });
    const https = props.domain !== undefined;
    const proxy = https
      ? new ComputeTargetHttpsProxy(this, "HttpsProxy", {
          project,
          name: name(),
          urlMap: urlMap.id,
          sslCertificates: [new ComputeManagedSslCertificate(this, "Certificate", { project, name: name(), managed: { domains: [props.domain as string] } }).id],
        })
      : new ComputeTargetHttpProxy(this, "HttpProxy", { project, name: name(), urlMap: urlMap.id });
    const address = new ComputeGlobalAddress(this, "Address", { project, name: name(), ipVersion: "IPV4", labels: labels(), dependsOn: [computeApi] });
    const forwardingRuleName = name(https ? "https" : "http");
    const forwardingRule = new ComputeGlobalForwardingRule(this, "ForwardingRule", {
      project,
      name: forwardingRuleName,
      target: proxy.id,
      ipAddress: address.id,
      ipProtocol: "TCP",
      portRange: https ? "443" : "80",
      loadBalancingScheme: "EXTERNAL_MANAGED",
      labels: { ...labels(), ...(https ? {} : { [LABEL_KEYS.plaintext]: "true" }) },
    });
    const endpoint = https ? `https://${props.domain}` : `http://${address.address}`;
    return { policy, backend, address, forwardingRuleName, forwardingRule, endpoint };
  }

  /** The signal path: this forwarding rule's request log, through a sink, to a topic; and the dead letters' topic. */
  private signals(ctx: Ctx) {
    const { project, name, labels, apis } = ctx;
    const pubsubApi = apis["pubsub.googleapis.com"];
    const topic = new PubsubTopic(this, "Signals", { project, name: name("requests"), labels: labels(), dependsOn: [pubsubApi] });
    const sink = new LoggingProjectSink(this, "Sink", {
      project,
      name: name("requests"),
      description: "lure Quarantine: the load balancer's request log, for the detector",
      destination: `pubsub.googleapis.com/${topic.id}`,
      filter: requestLogFilter(this.forwardingRuleName),
      uniqueWriterIdentity: true,
      dependsOn: [apis["logging.googleapis.com"]],
    });
    new PubsubTopicIamMember(this, "SinkPublisher", { project, topic: topic.name, role: ROLES.publisher, member: sink.writerIdentity });
    const deadLetterTopic = new PubsubTopic(this, "DeadLetterTopic", { project, name: name("dead-letter"), labels: labels(), dependsOn: [pubsubApi] });
    // A topic keeps nothing by itself: this subscription holds what the detector failed on.
    const deadLetters = new PubsubSubscription(this, "DeadLetters", {
      project,
      name: name("dead-letter"),
      topic: deadLetterTopic.id,
      messageRetentionDuration: DEAD_LETTER_RETENTION,
      expirationPolicy: { ttl: "" },
      labels: labels(),
    });
    return { topic, sink, deadLetterTopic, deadLetters };
  }

  /** The state store: a Firestore database whose documents expire by their TTL field. */
  private stateStore(ctx: Ctx): { name: string; database: FirestoreDatabase } {
    const { project, region, name, apis } = ctx;
    const storeName = name();
    const database = new FirestoreDatabase(this, "Database", {
      project,
      name: storeName,
      locationId: region,
      type: "FIRESTORE_NATIVE",
      concurrencyMode: "OPTIMISTIC",
      deleteProtectionState: "DELETE_PROTECTION_DISABLED",
      // Runtime state only: `destroy` removes it with the rest.
      deletionPolicy: "DELETE",
      dependsOn: [apis["firestore.googleapis.com"]],
    });
    // One field operation at a time (Firestore runs them one by one per database); the field keeps its
    // single-field indexes, so a purge can query by expiry.
    let previous: FirestoreField | undefined;
    for (const [key, collection] of Object.entries(FIRESTORE_COLLECTIONS)) {
      previous = new FirestoreField(this, `Ttl-${key}`, { project, database: database.name, collection, field: FIRESTORE_TTL_FIELD, ttlConfig: {}, ...(previous ? { dependsOn: [previous] } : {}) });
    }
    return { name: storeName, database };
  }

  /** Who may do what: custom roles and their grants, made before the functions (they start serving at once). */
  private grants(ctx: Ctx): { roles: { policy: ProjectIamCustomRole; copies: ProjectIamCustomRole; operations: ProjectIamCustomRole }; grants: ITerraformDependable[] } {
    const { prefix, project, region, apis, member } = ctx;
    const iamApi = apis["iam.googleapis.com"];
    const role = (rid: string, key: string, title: string, description: string, permissions: readonly string[]) =>
      new ProjectIamCustomRole(this, rid, {
        project,
        roleId: `${prefix}_quarantine_${key}`.replace(/[^A-Za-z0-9_.]/g, "_"),
        title,
        description,
        permissions: [...permissions],
        stage: "GA",
        dependsOn: [iamApi],
      });
    const policy = role("PolicyRole", "policy", "lure quarantine: steering rules", "Read the Quarantine's Cloud Armor policy and add, change and remove its rules", SECURITY_POLICY_PERMISSIONS);
    const copies = role("CopiesRole", "copies", "lure quarantine: scale the copies", "Read and update the Quarantine's copies service (its minimum instance count)", COPIES_PERMISSIONS);
    const operations = role("OperationsRole", "operations", "lure quarantine: copies' operations", "Read the long-running operation of a copies update", RUN_OPERATIONS_PERMISSIONS);
    // Exactly the Firestore methods each function calls (not roles/datastore.user: no statistics, indexes or namespaces).
    const store = {
      detector: role("DetectorStoreRole", "detector_store", "lure quarantine: detector's state", "Read, query and write the Quarantine's Firestore documents in transactions (never delete)", STORE_PERMISSIONS.detector),
      mode: role("ModeStoreRole", "mode_store", "lure quarantine: mode function's state", "Read, query, write and delete the Quarantine's Firestore documents in transactions", STORE_PERMISSIONS.mode),
    };
    const databaseName = `projects/${project}/databases/${this.stateStoreName}`;
    const grants: ITerraformDependable[] = [];
    for (const who of ["detector", "mode"] as const) {
      const W = who === "detector" ? "Detector" : "Mode";
      grants.push(
        new ProjectIamMember(this, `${W}Operations`, { project, role: operations.name, member: member(who) }),
        new ProjectIamMember(this, `${W}Firestore`, {
          project,
          role: store[who].name,
          member: member(who),
          condition: { title: "lure quarantine database", description: "Only the Quarantine's Firestore database", expression: `resource.name == "${databaseName}"` },
        }),
        new CloudRunV2ServiceIamMember(this, `${W}Copies`, { project, location: region, name: this.copiesService.name, role: copies.name, member: member(who) }),
        // Updating a service that runs as an account needs actAs on that account.
        new ServiceAccountIamMember(this, `${W}ActAsCopies`, { serviceAccountId: this.accounts.copies.name, role: ROLES.actAs, member: member(who) }),
      );
    }
    // Only the mode function reconciles rules. No resource-level IAM on security policies (clouds-2026.md §1.5): the role is narrow instead.
    grants.push(new ProjectIamMember(this, "ModePolicy", { project, role: policy.name, member: member("mode") }));
    grants.push(new ProjectIamMember(this, "BuildAccountBuilder", { project, role: ROLES.builder, member: member("build") }));
    return { roles: { policy, copies, operations }, grants };
  }

  /** The detector (pushed the request log) and the mode function (called every minute), from one package. */
  private functions(ctx: Ctx, grants: readonly ITerraformDependable[]) {
    const { s, prefix, project, region, name, labels, apis, member } = ctx;
    const runApi = apis["run.googleapis.com"];
    const unique = Fn.substr(Fn.sha1(Fn.join("/", [project, prefix])), 0, 8);
    const sourceBucket = new StorageBucket(this, "SourceBucket", {
      project,
      name: `${prefix}-quarantine-src-${unique}`,
      location: region.toUpperCase(),
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      forceDestroy: true,
      labels: labels(),
    });
    const pkg = gcpQuarantinePackage();
    const asset = new TerraformAsset(this, "SourceCode", { path: pkg.zipPath, type: AssetType.FILE, assetHash: pkg.sha256Hex.slice(0, 32) });
    const source = new StorageBucketObject(this, "Source", {
      // Content-addressed: changed code is a new object, hence a new build of both functions.
      name: `quarantine-${pkg.sha256Hex.slice(0, 16)}.zip`,
      bucket: sourceBucket.name,
      source: asset.path,
      contentType: "application/zip",
      lifecycle: { ignoreChanges: ["source"] },
    });
    const e = GCP_QUARANTINE_ENV;
    const env: Record<keyof typeof GCP_QUARANTINE_ENV, string> = {
      config: JSON.stringify(s.runtime),
      project,
      region,
      securityPolicy: this.securityPolicy.name,
      copiesService: this.copiesService.name,
      database: this.stateStoreName,
      forwardingRule: `projects/${project}/global/forwardingRules/${this.forwardingRuleName}`,
    };
    const environmentVariables = Object.fromEntries(Object.entries(env).map(([k, v]) => [e[k as keyof typeof e], v]));
    const fnApis = [apis["cloudfunctions.googleapis.com"], runApi, apis["cloudbuild.googleapis.com"], apis["artifactregistry.googleapis.com"]];
    const fn = (fid: string, fname: string, entryPoint: string, who: "detector" | "mode", o: { timeout: number; maxInstances: number; concurrency: number; cpu?: string }) =>
      new Cloudfunctions2Function(this, fid, {
        project,
        name: fname,
        location: region,
        labels: labels(),
        buildConfig: {
          runtime: RUNTIME,
          entryPoint,
          source: { storageSource: { bucket: sourceBucket.name, object: source.name } },
          serviceAccount: this.accounts.build.id,
        },
        serviceConfig: {
          minInstanceCount: 0,
          maxInstanceCount: o.maxInstances,
          maxInstanceRequestConcurrency: o.concurrency,
          ...(o.cpu ? { availableCpu: o.cpu } : {}),
          availableMemory: FUNCTION_MEMORY,
          timeoutSeconds: o.timeout,
          serviceAccountEmail: this.accounts[who].email,
          // Pub/Sub's push and Cloud Scheduler of the same project count as internal; IAM picks the caller.
          ingressSettings: INTERNAL_INGRESS,
          allTrafficOnLatestRevision: true,
          environmentVariables,
        },
        dependsOn: [...grants, ...fnApis],
      });
    const detector = fn("Detector", name("detector"), GCP_QUARANTINE_ENTRY_POINTS.detector, "detector", { timeout: DETECTOR_TIMEOUT_SECONDS, maxInstances: DETECTOR_MAX_INSTANCES, concurrency: DETECTOR_CONCURRENCY, cpu: DETECTOR_CPU });
    // One instance: one reconciliation a minute, never two at once.
    const mode = fn("Mode", name("mode"), GCP_QUARANTINE_ENTRY_POINTS.mode, "mode", { timeout: MODE_TIMEOUT_SECONDS, maxInstances: 1, concurrency: 1 });
    const invoker = (iid: string, f: Cloudfunctions2Function, who: "push" | "scheduler") => new CloudRunV2ServiceIamMember(this, iid, { project, location: region, name: f.name, role: ROLES.invoker, member: member(who) });
    const detectorInvoker = invoker("DetectorInvoker", detector, "push");
    const modeInvoker = invoker("ModeInvoker", mode, "scheduler");

    // Push, not an Eventarc trigger: an Eventarc subscription takes no dead-letter policy, and would
    // retry a failing batch for 7 days. The Functions Framework turns the push body into the same
    // messagePublished CloudEvent (the endpoint's path names the topic, as it expects).
    const projectInfo = new DataGoogleProject(this, "Project", { projectId: project });
    const pubsubAgent = `serviceAccount:service-${projectInfo.number}@gcp-sa-pubsub.iam.gserviceaccount.com`;
    const deadLetterPublisher = new PubsubTopicIamMember(this, "DeadLetterPublisher", { project, topic: this.deadLetterTopic.name, role: ROLES.publisher, member: pubsubAgent });
    const subscription = new PubsubSubscription(this, "DetectorPush", {
      project,
      name: name("detector"),
      topic: this.signalsTopic.id,
      ackDeadlineSeconds: PUSH_DELIVERY.ackDeadlineSeconds,
      expirationPolicy: { ttl: "" },
      retryPolicy: { minimumBackoff: PUSH_DELIVERY.minimumBackoff, maximumBackoff: PUSH_DELIVERY.maximumBackoff },
      deadLetterPolicy: { deadLetterTopic: this.deadLetterTopic.id, maxDeliveryAttempts: PUSH_DELIVERY.maxDeliveryAttempts },
      pushConfig: {
        pushEndpoint: `${detector.serviceConfig.uri}/${this.signalsTopic.id}`,
        oidcToken: { serviceAccountEmail: this.accounts.push.email, audience: detector.serviceConfig.uri },
      },
      labels: labels(),
      dependsOn: [detectorInvoker, deadLetterPublisher],
    });
    // Dead-lettering acknowledges the message on this subscription as Pub/Sub's service agent.
    new PubsubSubscriptionIamMember(this, "DeadLetterSubscriber", { project, subscription: subscription.name, role: ROLES.subscriber, member: pubsubAgent });

    const schedule = new CloudSchedulerJob(this, "Schedule", {
      project,
      name: name("mode"),
      region,
      schedule: MODE_SCHEDULE,
      timeZone: "Etc/UTC",
      attemptDeadline: `${MODE_TIMEOUT_SECONDS + 5}s`,
      // The next minute is the retry.
      retryConfig: { retryCount: 0 },
      httpTarget: { uri: mode.serviceConfig.uri, httpMethod: "POST", oidcToken: { serviceAccountEmail: this.accounts.scheduler.email, audience: mode.serviceConfig.uri } },
      dependsOn: [modeInvoker, apis["cloudscheduler.googleapis.com"]],
    });
    return { detector, mode, subscription, schedule };
  }

  /** The project services of the Quarantine, each enabled once per stack. */
  private enableApis(stack: GcpStack, project: string, services: readonly string[]): Record<string, ProjectService> {
    const existing = stack.node.findAll().filter((c): c is ProjectService => c instanceof ProjectService);
    return Object.fromEntries(
      services.map((service) => [
        service,
        existing.find((p) => p.serviceInput === service) ?? new ProjectService(this, `Api-${service.split(".")[0]}`, { project, service, disableOnDestroy: false }),
      ]),
    );
  }
}

/** The sink's filter: the request log of one forwarding rule. */
export function requestLogFilter(forwardingRuleName: string): string {
  return `resource.type="http_load_balancer" AND resource.labels.forwarding_rule_name="${forwardingRuleName}"`;
}
