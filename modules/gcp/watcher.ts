/**
 * The Google Cloud Watcher: every cycle Cloud Scheduler calls list-ips, which reads the honeypot
 * instances' external IPs and queues one Cloud Tasks task per honeypot; the queue dispatches them to
 * lookup one at a time, at most one a second (the account's Shodan rate), which keeps the answer in a
 * private bucket, writes an alert entry on a change (mailed by a log-based alert policy) and, when
 * enabled, moves an exposed honeypot to a new ephemeral IP.
 *
 *   Cloud Scheduler ─OIDC→ list-ips ─→ Cloud Tasks queue (1/s, 1 at a time) ─OIDC→ lookup ─┬→ results bucket
 *                                                                                         ├→ alert entries → alert policy → e-mail
 *                                                                                         └→ the honeypot's access config (rotation)
 *
 * Both functions are Cloud Run functions (`nodejs22`) built by Cloud Build from one source object,
 * content-addressed, so changed code is a new object and a redeploy. Neither is public: each is
 * invoked only by its caller's service account. Cloud Tasks has no dead-letter queue: the last
 * attempt records the failure under `state/failed/` and alerts (functions/gcp/lookup.ts).
 *
 * No key anywhere: the Shodan key is a Secret Manager secret created without a version (the user adds
 * one with `gcloud secrets versions add`), read at run time by lookup's account.
 */
import { Annotations, AssetType, Fn, TerraformAsset, TerraformStack, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { CloudRunV2ServiceIamMember } from "@cdktf/provider-google/lib/cloud-run-v2-service-iam-member";
import { CloudSchedulerJob } from "@cdktf/provider-google/lib/cloud-scheduler-job";
import { CloudTasksQueue } from "@cdktf/provider-google/lib/cloud-tasks-queue";
import { CloudTasksQueueIamMember } from "@cdktf/provider-google/lib/cloud-tasks-queue-iam-member";
import { Cloudfunctions2Function } from "@cdktf/provider-google/lib/cloudfunctions2-function";
import { ComputeInstanceIamMember } from "@cdktf/provider-google/lib/compute-instance-iam-member";
import { ComputeSubnetworkIamMember } from "@cdktf/provider-google/lib/compute-subnetwork-iam-member";
import { MonitoringAlertPolicy } from "@cdktf/provider-google/lib/monitoring-alert-policy";
import { MonitoringNotificationChannel } from "@cdktf/provider-google/lib/monitoring-notification-channel";
import { ProjectIamCustomRole } from "@cdktf/provider-google/lib/project-iam-custom-role";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { SecretManagerSecret } from "@cdktf/provider-google/lib/secret-manager-secret";
import { SecretManagerSecretIamMember } from "@cdktf/provider-google/lib/secret-manager-secret-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { StorageBucket, type StorageBucketLifecycleRule } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { StorageBucketObject } from "@cdktf/provider-google/lib/storage-bucket-object";
import { GcpStack } from "../../providers/gcp";
import { ENTRY_POINTS } from "../../functions/gcp/entry-points";
import { GCP_WATCHER_ENV } from "../../functions/gcp/env";
import { ALERT_LABEL_EXTRACTORS, alertLogFilter } from "../../functions/gcp/log";
import { gcpFunctionPackage } from "../core/bundle";
import { ConfigError, type ConfigProblem } from "../core/config";
import type { AccessGrant, IWatcher, WatcherProps } from "../core/interfaces";
import { LABEL_KEYS } from "../core/labels";
import { resourceName } from "../core/naming";
import { toUnixCron } from "../core/schedule";
import { watcherPropsProblems, watcherRuntime } from "../core/validate";
import { isDomainScoped } from "../../functions/core/gcp-project";

export const RUNTIME = "nodejs22";
/**
 * The functions' ingress: Cloud Run admits Cloud Scheduler, Cloud Tasks, Pub/Sub, Eventarc and
 * Workflows of the same project as internal traffic (Cloud Run "Restricting ingress"), so no function
 * of lure's needs to be reachable from the internet.
 */
export const INTERNAL_INGRESS = "ALLOW_INTERNAL_ONLY";
/** Cloud Tasks' limits on the queue: the account's Shodan rate, one lookup at a time. */
export const QUEUE_RATE = { maxDispatchesPerSecond: 1, maxConcurrentDispatches: 1 } as const;
/**
 * Attempts per task, with backoff from 10 s doubling to 5 min (10, 20, 40, 80 s between the five):
 * about 2.5 minutes for a Shodan outage or 429 to clear before the last attempt records the failure.
 */
export const QUEUE_RETRY = { maxAttempts: 5, minBackoff: "10s", maxBackoff: "300s", maxDoublings: 4, maxRetryDuration: "0s" } as const;
/**
 * Lookup's limit, under Cloud Tasks' default dispatch deadline for HTTP targets (10 minutes): a
 * request the queue stops waiting for would be retried while it still runs.
 */
export const LOOKUP_TIMEOUT_SECONDS = 540;
/** List-ips' limit, and Cloud Scheduler's deadline a little above it. */
export const LIST_IPS_TIMEOUT_SECONDS = 300;
export const SCHEDULER_ATTEMPT_DEADLINE = "320s";
/** Creating the Compute client parses its protos: 256 MiB is too tight for the bundle and the client together. */
export const FUNCTION_MEMORY = "512Mi";
/** Monitoring's minimum: at most one e-mail per 5 minutes per alert subject. */
export const ALERT_RATE_LIMIT = "300s";
/** Monitoring's minimum: an incident closes after 30 minutes, so the same subject later mails again. */
export const ALERT_AUTO_CLOSE = "1800s";
/** Google APIs the watcher uses, enabled by the stack (never disabled on destroy: other things may use them). */
export const WATCHER_APIS = [
  "cloudfunctions.googleapis.com",
  "run.googleapis.com",
  "cloudbuild.googleapis.com",
  "artifactregistry.googleapis.com",
  "cloudscheduler.googleapis.com",
  "cloudtasks.googleapis.com",
  "secretmanager.googleapis.com",
  "iam.googleapis.com",
] as const;
/** Only with `alertEmail`. */
export const MONITORING_API = "monitoring.googleapis.com";

/** Roles the watcher grants, by what they let an account do. */
export const ROLES = {
  enqueuer: "roles/cloudtasks.enqueuer",
  actAs: "roles/iam.serviceAccountUser",
  invoker: "roles/run.invoker",
  objectUser: "roles/storage.objectUser",
  secretAccessor: "roles/secretmanager.secretAccessor",
  /** What Google documents for a Cloud Run functions build account: logs, the image repository, the source. */
  builder: "roles/run.builder",
} as const;

export interface GcpWatcherProps extends WatcherProps {
  /** Region of the functions, queue, scheduler job and buckets. @default the stack's region */
  readonly region?: string;
}

/**
 * The watcher's five identities: the two functions, the callers Cloud Tasks and Cloud Scheduler sign
 * in as, and the account Cloud Build builds the functions as.
 */
type Account = "listIps" | "lookup" | "tasks" | "scheduler" | "build";

/**
 * What `props` cannot be built from, with the props' paths: {@link watcherPropsProblems}, the
 * honeynet's cloud and project (not domain-scoped), a schedule Cloud Scheduler cannot keep
 * (`toUnixCron`), and a prefix too long for the service account ids.
 */
export function gcpWatcherPropsProblems(props: GcpWatcherProps): ConfigProblem[] {
  const out = watcherPropsProblems(props);
  const source = props.honeynet.publicIpSource;
  if (source.cloud !== "gcp") out.push({ path: "honeynet", message: `runs on ${source.cloud}; GcpWatcher watches Google Cloud honeynets` });
  // The lookup URL is written from the project id before the function exists (see lookupUrl).
  else if (isDomainScoped(source.project)) out.push({ path: "honeynet", message: `is in the domain-scoped project "${source.project}", whose functions have no cloudfunctions.net host name lure can write; GcpWatcher needs a project with a plain id` });
  const schedule = props.schedule ?? "rate(12 hours)";
  // A schedule the shared check refuses is reported once, by it.
  if (!out.some((p) => p.path === "schedule")) {
    const cron = toUnixCron(schedule);
    if (!cron.ok) out.push({ path: "schedule", message: `"${schedule}" ${cron.problem}` });
  }
  const prefix = props.prefix ?? "lure";
  try {
    accountIds(prefix);
  } catch {
    out.push({ path: "prefix", message: `"${prefix}" is too long for the watcher's service accounts ("<prefix>-watch-lookup", at most 30 characters); allowed: at most 12 characters` });
  }
  return out;
}

/** Service account ids: 6-30 characters. */
function accountIds(prefix: string): Record<Account, string> {
  const id = (part: string) => resourceName(prefix, ["watch", part], 30);
  return { listIps: id("list"), lookup: id("lookup"), tasks: id("tasks"), scheduler: id("sched"), build: id("build") };
}

/** What every part of a GcpWatcher is built from. */
interface Ctx {
  readonly props: GcpWatcherProps;
  /** The honeynet's instances: where list-ips looks. */
  readonly source: Extract<GcpWatcherProps["honeynet"]["publicIpSource"], { cloud: "gcp" }>;
  readonly prefix: string;
  readonly project: string;
  readonly region: string;
  readonly rotate: boolean;
  readonly labels: Record<string, string>;
  /** A resource name: `<prefix>-watcher-<parts>`, at most 63 characters. */
  readonly name: (...parts: string[]) => string;
  readonly apis: Record<string, ProjectService>;
  /** The IAM member of a part's service account. */
  readonly member: (who: Account) => string;
  /** Extra targets and Censys, as the functions get them. */
  readonly runtime: ReturnType<typeof watcherRuntime>;
}

export class GcpWatcher extends Construct implements IWatcher {
  /** `gs://<results bucket>`. */
  readonly resultsLocation: string;
  /** The secret's id (`<prefix>-watcher-shodan-api-key`), created without a version. */
  readonly apiKeySecretName: string;
  /** The Censys token's secret (`<prefix>-watcher-censys-api-key`, no version), when `indexes` has "censys". */
  readonly censysSecret?: SecretManagerSecret;
  readonly censysSecretName?: string;
  readonly resultsBucket: StorageBucket;
  readonly sourceBucket: StorageBucket;
  readonly source: StorageBucketObject;
  readonly apiKeySecret: SecretManagerSecret;
  readonly queue: CloudTasksQueue;
  readonly listIps: Cloudfunctions2Function;
  readonly lookup: Cloudfunctions2Function;
  readonly schedulerJob: CloudSchedulerJob;
  readonly accounts: Readonly<Record<Account, ServiceAccount>>;
  /** The e-mail channel and the alert policy that mails alert entries; none without `alertEmail`. */
  readonly alerting?: { readonly channel: MonitoringNotificationChannel; readonly policy: MonitoringAlertPolicy };
  /** The Cloud Scheduler schedule (unix-cron, UTC). */
  readonly cron: string;
  /** The lookup function's URL, the tasks' target and OIDC audience. */
  readonly lookupUrl: string;

  private readonly project: string;
  /** Service accounts and custom roles wait for it (the first deploy enables it). */
  private readonly iamApi: ProjectService;

  constructor(scope: Construct, id: string, props: GcpWatcherProps) {
    super(scope, id);
    const problems = gcpWatcherPropsProblems(props);
    if (problems.length > 0) throw new ConfigError(this.node.path, problems);
    const stack = TerraformStack.of(this);
    if (!(stack instanceof GcpStack)) throw new Error(`${this.node.path}: GcpWatcher must be created inside a GcpStack`);
    const source = props.honeynet.publicIpSource;
    if (source.cloud !== "gcp") throw new Error(`${this.node.path}: the honeynet is not on Google Cloud`);
    const cron = toUnixCron(props.schedule ?? "rate(12 hours)");
    if (!cron.ok) throw new Error(`${this.node.path}: ${cron.problem}`); // refused by the validation above
    this.cron = cron.value;
    const prefix = props.prefix ?? stack.prefix;
    const project = (this.project = source.project);
    const region = props.region ?? stack.region;
    const rotate = props.rotateOnExposure ?? false;
    const apis = this.enableApis(stack, [...WATCHER_APIS, ...(props.alertEmail ? [MONITORING_API] : [])]);
    this.iamApi = apis["iam.googleapis.com"];
    const ctx: Ctx = {
      props,
      source,
      prefix,
      project,
      region,
      rotate,
      labels: { [LABEL_KEYS.component]: "watcher" },
      name: (...parts: string[]) => resourceName(prefix, ["watcher", ...parts], 63),
      apis,
      member: (who: Account) => `serviceAccount:${this.accounts[who].email}`,
      runtime: watcherRuntime(props),
    };
    ({ results: this.resultsBucket, sourceBucket: this.sourceBucket, source: this.source } = this.storage(ctx));
    this.resultsLocation = `gs://${this.resultsBucket.name}`;
    ({ secretName: this.apiKeySecretName, secret: this.apiKeySecret, queue: this.queue, censysSecretName: this.censysSecretName, censysSecret: this.censysSecret } = this.keyAndQueue(ctx));
    this.accounts = this.identities(ctx);
    const grants = this.grants(ctx);
    const fns = this.functions(ctx, grants);
    ({ lookupUrl: this.lookupUrl, lookup: this.lookup, listIps: this.listIps, schedule: this.schedulerJob } = fns);
    this.alerting = this.alertByEmail(ctx, [fns.names.listIps, fns.names.lookup]);
  }

  /** The results bucket (history expires; latest/ and state/ stay) and the functions' source. */
  private storage(ctx: Ctx): { results: StorageBucket; sourceBucket: StorageBucket; source: StorageBucketObject } {
    const { props, prefix, project, region, labels } = ctx;
    // Bucket names are global: the project and prefix make them this deployment's.
    const unique = Fn.substr(Fn.sha1(Fn.join("/", [project, prefix])), 0, 8);
    const bucket = (bid: string, bucketName: string, lifecycleRule?: StorageBucketLifecycleRule[]) =>
      new StorageBucket(this, bid, {
        project,
        name: bucketName,
        location: region.toUpperCase(),
        storageClass: "STANDARD",
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        // Terraform refuses to destroy a bucket with objects: results are not lost to a destroy by mistake.
        forceDestroy: false,
        labels,
        ...(lifecycleRule ? { lifecycleRule } : {}),
      });
    const results = bucket("ResultsBucket", `${prefix}-watcher-${unique}`, [
      // History only: latest/ and state/ are what the next lookup compares with, and stay.
      { condition: { age: props.resultsRetentionDays ?? 365, matchesPrefix: ["results/"] }, action: { type: "Delete" } },
    ]);
    const sourceBucket = bucket("SourceBucket", `${prefix}-watcher-src-${unique}`);
    const pkg = gcpFunctionPackage();
    const asset = new TerraformAsset(this, "SourceCode", { path: pkg.zipPath, type: AssetType.FILE, assetHash: pkg.sha256Hex.slice(0, 32) });
    const source = new StorageBucketObject(this, "Source", {
      // Content-addressed: changed code is a new object, hence a new build of both functions.
      name: `watcher-${pkg.sha256Hex.slice(0, 16)}.zip`,
      bucket: sourceBucket.name,
      // Relative to the stack's directory, where cdktf puts the asset and Terraform runs.
      source: asset.path,
      contentType: "application/zip",
      // The name says what the object holds: a checkout elsewhere must not replace it.
      lifecycle: { ignoreChanges: ["source"] },
    });
    return { results, sourceBucket, source };
  }

  /** The Shodan key's secret (no version: the user adds the key) and the lookups' task queue. */
  private keyAndQueue(ctx: Ctx): { secretName: string; secret: SecretManagerSecret; queue: CloudTasksQueue; censysSecretName?: string; censysSecret?: SecretManagerSecret } {
    const { project, region, labels, name, apis } = ctx;
    const secretName = name("shodan-api-key");
    const secret = new SecretManagerSecret(this, "ApiKey", { project, secretId: secretName, replication: { auto: {} }, labels, dependsOn: [apis["secretmanager.googleapis.com"]] });
    const queue = new CloudTasksQueue(this, "Queue", {
      project,
      name: name(),
      location: region,
      rateLimits: { ...QUEUE_RATE },
      retryConfig: { ...QUEUE_RETRY },
      // Every attempt and its answer in Cloud Logging.
      stackdriverLoggingConfig: { samplingRatio: 1 },
      dependsOn: [apis["cloudtasks.googleapis.com"]],
    });
    // Censys's token only when it is an index: no secret, and no grant, for a service not used.
    const censysName = ctx.runtime.censys ? name("censys-api-key") : undefined;
    const censys = censysName
      ? { censysSecretName: censysName, censysSecret: new SecretManagerSecret(this, "CensysApiKey", { project, secretId: censysName, replication: { auto: {} }, labels, dependsOn: [apis["secretmanager.googleapis.com"]] }) }
      : {};
    return { secretName, secret, queue, ...censys };
  }

  /** One service account per part; none has a role unless {@link grants} gives it one. */
  private identities(ctx: Ctx): Record<Account, ServiceAccount> {
    const { prefix, project } = ctx;
    const ids = accountIds(prefix);
    const account = (aid: string, who: Account, what: string) => new ServiceAccount(this, aid, { project, accountId: ids[who], displayName: `${prefix} watcher: ${what}`, dependsOn: [this.iamApi] });
    return {
      listIps: account("ListIpsAccount", "listIps", "list-ips (reads instances, queues tasks)"),
      lookup: account("LookupAccount", "lookup", "lookup (results, the Shodan key, rotation)"),
      tasks: account("TasksAccount", "tasks", "Cloud Tasks calls lookup as this"),
      scheduler: account("SchedulerAccount", "scheduler", "Cloud Scheduler calls list-ips as this"),
      // Not the project's default build account: since 2024 that is the Compute Engine default
      // account, which an organisation policy may leave without roles (then every build fails).
      build: account("BuildAccount", "build", "Cloud Build builds the functions as this"),
    };
  }

  /** Who may do what, made before the functions (they start serving at once). */
  private grants(ctx: Ctx): ITerraformDependable[] {
    const { props, prefix, project, region, rotate, member } = ctx;
    return [
      ...this.grant("Discovery", props.honeynet.discoveryAccess(), "listIps", prefix),
      new CloudTasksQueueIamMember(this, "QueueEnqueuer", { project, location: region, name: this.queue.name, role: ROLES.enqueuer, member: member("listIps") }),
      // A task's OIDC token is minted for the tasks account: its creator must be allowed to act as it.
      new ServiceAccountIamMember(this, "TasksActAs", { serviceAccountId: this.accounts.tasks.name, role: ROLES.actAs, member: member("listIps") }),
      new StorageBucketIamMember(this, "ResultsObjectUser", { bucket: this.resultsBucket.name, role: ROLES.objectUser, member: member("lookup") }),
      new SecretManagerSecretIamMember(this, "ApiKeyAccessor", { project, secretId: this.apiKeySecret.id, role: ROLES.secretAccessor, member: member("lookup") }),
      ...(this.censysSecret ? [new SecretManagerSecretIamMember(this, "CensysApiKeyAccessor", { project, secretId: this.censysSecret.id, role: ROLES.secretAccessor, member: member("lookup") })] : []),
      ...(rotate ? this.grant("Rotation", props.honeynet.rotationAccess(), "lookup", prefix) : []),
      new ProjectIamMember(this, "BuildAccountBuilder", { project, role: ROLES.builder, member: member("build") }),
    ];
  }

  /** list-ips (called on the schedule) and lookup (called by the queue), from one package. */
  private functions(ctx: Ctx, grants: readonly ITerraformDependable[]) {
    const { props, source, prefix, project, region, rotate, labels, name, apis, member } = ctx;
    // The URL Cloud Run functions get on cloudfunctions.net is known before the function exists, so
    // lookup's own settings can name it without a cycle; Cloud Run accepts it as the OIDC audience.
    const fnName = { listIps: name("list-ips"), lookup: name("lookup") };
    const lookupUrl = `https://${region}-${project}.cloudfunctions.net/${fnName.lookup}`;
    const e = GCP_WATCHER_ENV;
    const lure: Record<keyof typeof GCP_WATCHER_ENV, string> = {
      prefix,
      project,
      zone: source.zone,
      vms: JSON.stringify(Object.fromEntries(props.honeynet.honeypots.filter((h) => h.ports.length > 0).map((h) => [h.name, h.serviceName]))),
      bucket: this.resultsBucket.name,
      secret: this.apiKeySecret.id,
      queue: this.queue.id,
      lookupUrl,
      tasksServiceAccount: this.accounts.tasks.email,
      maxAttempts: String(QUEUE_RETRY.maxAttempts),
      rotate: String(rotate),
      minRotationHours: String(props.minRotationIntervalHours ?? 24),
      honeyscore: String(props.honeyscore ?? true),
    };
    const { runtime } = ctx;
    const environmentVariables: Record<string, string> = {
      ...Object.fromEntries(Object.entries(lure).map(([k, v]) => [e[k as keyof typeof e], v])),
      ...(runtime.extraTargets.length > 0 ? { LURE_EXTRA_TARGETS: JSON.stringify(runtime.extraTargets) } : {}),
      ...(this.censysSecret && this.censysSecretName
        ? {
            LURE_CENSYS_SECRET: this.censysSecret.id,
            LURE_CENSYS_SECRET_NAME: this.censysSecretName,
            LURE_CENSYS_EVERY_HOURS: String(runtime.censysEveryHours),
            ...(runtime.censysOrganizationId ? { LURE_CENSYS_ORG: runtime.censysOrganizationId } : {}),
          }
        : {}),
    };
    const fn = (fid: string, fname: string, entryPoint: string, who: Account, timeoutSeconds: number) =>
      new Cloudfunctions2Function(this, fid, {
        project,
        name: fname,
        location: region,
        labels,
        buildConfig: {
          runtime: RUNTIME,
          entryPoint,
          source: { storageSource: { bucket: this.sourceBucket.name, object: this.source.name } },
          // The account's full name, projects/<p>/serviceAccounts/<email>.
          serviceAccount: this.accounts.build.id,
        },
        serviceConfig: {
          // One instance serving one request at a time: the queue's one dispatch, and one cycle.
          maxInstanceCount: 1,
          minInstanceCount: 0,
          maxInstanceRequestConcurrency: 1,
          availableMemory: FUNCTION_MEMORY,
          timeoutSeconds,
          serviceAccountEmail: this.accounts[who].email,
          // Internal only: Cloud Run counts Cloud Scheduler and Cloud Tasks of the same project as
          // internal callers (Cloud Run "Restricting ingress"), and IAM (run.invoker) picks the account.
          ingressSettings: INTERNAL_INGRESS,
          allTrafficOnLatestRevision: true,
          environmentVariables,
        },
        dependsOn: [...grants, apis["cloudfunctions.googleapis.com"], apis["run.googleapis.com"], apis["cloudbuild.googleapis.com"], apis["artifactregistry.googleapis.com"]],
      });
    const lookup = fn("Lookup", fnName.lookup, ENTRY_POINTS.lookup, "lookup", LOOKUP_TIMEOUT_SECONDS);
    const listIps = fn("ListIps", fnName.listIps, ENTRY_POINTS.listIps, "listIps", LIST_IPS_TIMEOUT_SECONDS);
    // A Cloud Run function's service has the function's name; only its caller may invoke it.
    const invoker = (iid: string, f: Cloudfunctions2Function, who: Account) => new CloudRunV2ServiceIamMember(this, iid, { project, location: region, name: f.name, role: ROLES.invoker, member: member(who) });
    const lookupInvoker = invoker("LookupInvoker", lookup, "tasks");
    const listIpsInvoker = invoker("ListIpsInvoker", listIps, "scheduler");

    const schedule = new CloudSchedulerJob(this, "Schedule", {
      project,
      name: name(),
      region,
      schedule: this.cron,
      timeZone: "Etc/UTC",
      attemptDeadline: SCHEDULER_ATTEMPT_DEADLINE,
      // list-ips answers 500 only when an alert could not be written: one retry, a minute later.
      retryConfig: { retryCount: 1, minBackoffDuration: "60s", maxBackoffDuration: "60s" },
      httpTarget: { uri: listIps.url, httpMethod: "POST", oidcToken: { serviceAccountEmail: this.accounts.scheduler.email, audience: listIps.url } },
      dependsOn: [listIpsInvoker, lookupInvoker, apis["cloudscheduler.googleapis.com"]],
    });
    return { names: fnName, lookupUrl, lookup, listIps, schedule };
  }

  /** The e-mail channel and the policy that mails the functions' alert entries; none without `alertEmail`. */
  private alertByEmail(ctx: Ctx, functionNames: readonly string[]): { channel: MonitoringNotificationChannel; policy: MonitoringAlertPolicy } | undefined {
    const { props, prefix, project, labels, apis } = ctx;
    const email = props.alertEmail;
    if (!email) return undefined;
    const channel = new MonitoringNotificationChannel(this, "AlertChannel", {
      project,
      displayName: `${prefix} watcher alerts`,
      type: "email",
      labels: { email_address: email },
      dependsOn: [apis[MONITORING_API]],
    });
    // Monitoring fills these in per alert entry; `$${` keeps Terraform from reading them.
    const extracted = (label: string) => `$\${log.extracted_label.${label}}`;
    const policy = new MonitoringAlertPolicy(this, "AlertPolicy", {
      project,
      displayName: `${prefix} watcher: exposure and failure alerts`,
      combiner: "OR",
      severity: "WARNING",
      conditions: [
        {
          displayName: "an alert entry of the watcher's functions",
          conditionMatchedLog: { filter: alertLogFilter([...functionNames]), labelExtractors: { ...ALERT_LABEL_EXTRACTORS } },
        },
      ],
      alertStrategy: { notificationRateLimit: { period: ALERT_RATE_LIMIT }, autoClose: ALERT_AUTO_CLOSE, notificationPrompts: ["OPENED"] },
      notificationChannels: [channel.id],
      documentation: { subject: extracted("subject"), content: extracted("text"), mimeType: "text/markdown" },
      userLabels: labels,
    });
    Annotations.of(this).addInfo(`alerts go to ${email} through a Cloud Monitoring e-mail channel (Google sends no confirmation e-mail; check the spam folder first)`);
    return { channel, policy };
  }

  /**
   * The project services the watcher needs, each enabled once per stack: one the stack already
   * enables (the hive sensor's Secret Manager) is reused.
   */
  private enableApis(stack: GcpStack, services: readonly string[]): Record<string, ProjectService> {
    const existing = stack.node.findAll().filter((c): c is ProjectService => c instanceof ProjectService);
    return Object.fromEntries(
      services.map((service) => [
        service,
        existing.find((s) => s.serviceInput === service) ?? new ProjectService(this, `Api-${service.split(".")[0]}`, { project: this.project, service, disableOnDestroy: false }),
      ]),
    );
  }

  /**
   * A grant of the honeynet's: its custom roles (construct `<label>Role-<key>`) and its bindings
   * (construct `<label>-<key>`), each on the resource it names.
   */
  private grant(label: string, grant: AccessGrant, who: Account, prefix: string): ITerraformDependable[] {
    if (grant.cloud !== "gcp") throw new Error(`${this.node.path}: ${label.toLowerCase()} access is for ${grant.cloud}, not Google Cloud`);
    const roles = new Map(
      (grant.customRoles ?? []).map((r) => [
        r.key,
        new ProjectIamCustomRole(this, `${label}Role-${r.key}`, {
          project: this.project,
          // Letters, digits, `_` and `.` only.
          roleId: `${prefix}_watcher_${r.key}`.replace(/[^A-Za-z0-9_.]/g, "_"),
          title: r.title,
          description: r.description,
          permissions: [...r.permissions],
          stage: "GA",
          dependsOn: [this.iamApi],
        }),
      ]),
    );
    const member = `serviceAccount:${this.accounts[who].email}`;
    return grant.bindings.map((b) => {
      const custom = roles.get(b.role);
      const common = { role: custom ? custom.name : b.role, member, ...(b.recreatedWith ? { lifecycle: { replaceTriggeredBy: [b.recreatedWith] } } : {}) };
      const bid = `${label}-${b.key}`;
      // A cdktf token has no "/", so a name given by reference matches too.
      const instance = /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(b.resource);
      if (instance) return new ComputeInstanceIamMember(this, bid, { project: instance[1], zone: instance[2], instanceName: instance[3], ...common });
      const subnet = /^projects\/([^/]+)\/regions\/([^/]+)\/subnetworks\/([^/]+)$/.exec(b.resource);
      if (subnet) return new ComputeSubnetworkIamMember(this, bid, { project: subnet[1], region: subnet[2], subnetwork: subnet[3], ...common });
      const projectOnly = /^projects\/([^/]+)$/.exec(b.resource);
      if (projectOnly) return new ProjectIamMember(this, bid, { project: projectOnly[1], ...common });
      throw new Error(`${this.node.path}: ${label.toLowerCase()} binding ${b.key} is on ${b.resource}, which the watcher cannot grant on`);
    });
  }
}
