/** The Google Cloud stacks lure synthesizes from a validated config. */
import { TerraformOutput } from "cdktf";
import { ALERT_EVENT } from "../../functions/gcp/log";
import type { Construct } from "constructs";
import { GcpStack } from "../../providers/gcp";
import { ConfigError, gcpMachineTypes, gcpZone, honeynetPropsFor, analyticsRole, type CloudName, type LureConfig } from "../core/config";
import { quarantineProps } from "../core/quarantine-runtime";
import { FIRESTORE_COLLECTIONS } from "../../functions/gcp/quarantine/contract";
import { HIVE_VM_NEXT_STEP, type HiveTarget } from "../core/hive";
import { analyticsHostname } from "../core/analytics";
import { DEFAULT_ADMIN_SSH_PORT } from "../core/host";
import { namedOutput } from "../core/outputs";
import { watcherPropsFor } from "../core/validate";
import { GcpHoneynet } from "./honeynet";
import { GcpQuarantine, gcpQuarantinePropsProblems, PUSH_DELIVERY, type GcpQuarantineProps } from "./quarantine";
import { GcpWatcher, QUEUE_RETRY } from "./watcher";

type GcpCloudConfig = NonNullable<LureConfig["clouds"]["gcp"]>;

/** What every Google Cloud stack of a config shares: prefix, region, zone, labels, project and backend. */
function stackProps(config: LureConfig, gcp: GcpCloudConfig, zone?: string) {
  return {
    prefix: config.prefix,
    region: gcp.region,
    ...(zone ? { zone } : {}),
    tags: { ...config.tags, ...gcp.tags },
    ...(gcp.project ? { project: gcp.project } : {}),
    ...(gcp.backend ? { backend: gcp.backend } : {}),
  };
}

/**
 * `gcp-honeynet`: the honeypot VMs, the Elastic VM, Kibana on Cloud Run and its load balancer; as the
 * hive, also the hive's input in front of the Elastic VM and the secret of its credential; as a hive's
 * sensor, the honeypot VMs and the secret of their credential only; and, unless disabled, the watcher.
 */
export class GcpHoneynetStack extends GcpStack {
  readonly honeynet: GcpHoneynet;
  readonly watcher?: GcpWatcher;

  /** `hive`: where the honeypots ship when `honeynet.analytics.hive` names another cloud (ignored otherwise). */
  constructor(scope: Construct, id: string, config: LureConfig, gcp: GcpCloudConfig, hive?: HiveTarget) {
    const zone = gcpZone(gcp);
    super(scope, id, stackProps(config, gcp, zone));
    const hn = config.honeynet;
    const sensor = hive !== undefined && analyticsRole(config, "gcp") === "sensor";
    // The hive's address is a value of its stack: cdktf makes it remote state here.
    if (sensor) this.readFromOtherStacks();
    this.honeynet = new GcpHoneynet(this, "Honeynet", {
      ...honeynetPropsFor(config, "gcp"),
      ...(sensor ? { hive } : {}),
      region: gcp.region,
      zone,
      ...(gcp.project ? { project: gcp.project } : {}),
      machineTypes: gcpMachineTypes(config),
      adminCidrs: hn.adminCidrs,
      ...(hn.adminSshPublicKey ? { adminSshPublicKey: hn.adminSshPublicKey } : {}),
    });
    new TerraformOutput(this, "next_steps", {
      value: (this.honeynet.elasticInstanceName === undefined ? sensorSteps(config) : ownSteps(config, zone, this.honeynet.elasticInstanceName, this.honeynet.hiveTarget !== undefined)).join(" "),
      description: "What to do after deploy",
    });

    const w = config.watcher;
    if (!w.enabled) return;
    const watcher = (this.watcher = new GcpWatcher(this, "Watcher", { ...watcherPropsFor(config, this.honeynet), region: gcp.region }));
    const project = this.honeynet.publicIpSource.cloud === "gcp" ? this.honeynet.publicIpSource.project : "";
    namedOutput(this, "watcher_results", { value: watcher.resultsLocation, description: "Shodan lookup results: results/<ip>/<time>.json (history) and latest/<ip>.json, private (gcloud storage ls)" });
    namedOutput(this, "watcher_api_key_secret", { value: watcher.apiKeySecret.id, description: "Secret Manager secret of the Shodan API key (created without a version): add one with watcher_api_key_command" });
    namedOutput(this, "watcher_api_key_command", {
      // The key is read from the terminal without echo and piped in: it is in no file, shell history or process list.
      value: `read -rsp "Shodan API key: " LURE_KEY && echo && printf %s "$LURE_KEY" | gcloud secrets versions add ${watcher.apiKeySecretName} --project ${project} --data-file=-; unset LURE_KEY`,
      description: "Stores the Shodan API key (README: Setting the Shodan API key); lookups fail until it is set",
    });
    if (watcher.censysSecretName) {
      namedOutput(this, "watcher_censys_command", {
        value: `read -rsp "Censys token: " LURE_KEY && echo && printf %s "$LURE_KEY" | gcloud secrets versions add ${watcher.censysSecretName} --project ${project} --data-file=-; unset LURE_KEY`,
        description: "Stores the Censys Personal Access Token (README: What the Watcher tells you); Censys lookups are skipped until it is set",
      });
    }
    namedOutput(this, "watcher_queue", { value: watcher.queue.id, description: "Cloud Tasks queue of the lookups (1 a second, 1 at a time)" });
    namedOutput(this, "watcher_failures", {
      value: `gcloud storage ls ${watcher.resultsLocation}/state/failed/`,
      description: `Lookups given up on after ${QUEUE_RETRY.maxAttempts} attempts (each one alerted; the next cycle queues the IP again)`,
    });
    namedOutput(this, "watcher_logs", {
      value: `gcloud logging read 'jsonPayload.event="${ALERT_EVENT}"' --project ${project} --freshness 7d --format 'value(timestamp, jsonPayload.subject)'`,
      description: "The watcher's alert entries (what the e-mail sends; written with or without alertEmail)",
    });
    namedOutput(this, "watcher_alert_email", {
      value: w.alertEmail
        ? `${w.alertEmail}: sent by Cloud Monitoring (alerting-noreply@google.com), at most one per alert subject every 5 minutes`
        : "none: set watcher.alertEmail to get alerts by e-mail (until then they are log entries only: see watcher_logs)",
      description: "Where exposure alerts are e-mailed",
    });
  }
}

/**
 * `gcp-quarantine`: the demo web service on Cloud Run (or the user's, `clouds.gcp.quarantineTarget`)
 * behind a global external Application Load Balancer with Cloud Armor, the Envoy router, the honeypot
 * copies, the request-log signal, Firestore and the detector and mode functions. `quarantine.target`
 * is AWS's: without `quarantineTarget` an existing one gives Google Cloud no Quarantine (the config
 * warns).
 */
export class GcpQuarantineStack extends GcpStack {
  readonly quarantine: GcpQuarantine;

  constructor(scope: Construct, id: string, config: LureConfig, gcp: GcpCloudConfig) {
    const t = gcp.quarantineTarget;
    const props: GcpQuarantineProps = {
      ...quarantineProps(config),
      region: gcp.region,
      ...(gcp.project ? { project: gcp.project } : {}),
      // quarantine.target is AWS's listener; here the Cloud Run service takes the demo's place.
      ...(t ? { target: "demo" as const, cloudRunTarget: { service: t.service, allowDirectIngress: t.allowDirectIngress, ...(t.region ? { region: t.region } : {}) }, ...(t.domain ? { domain: t.domain } : {}) } : {}),
    };
    const problems = gcpQuarantinePropsProblems(props);
    const configPath = (path: string) => (path.startsWith("cloudRunTarget") ? path.replace("cloudRunTarget", "clouds.gcp.quarantineTarget") : `quarantine.${path}`);
    if (problems.length > 0) throw new ConfigError(id, problems.map((p) => ({ ...p, path: configPath(p.path) })));
    super(scope, id, stackProps(config, gcp));
    const q = (this.quarantine = new GcpQuarantine(this, "Quarantine", props));
    const project = q.project;
    const region = q.region;
    const site = t ? `Your service ${t.service}` : "The demo site";
    namedOutput(this, "quarantine_endpoint", { value: q.endpoint, description: `${site} through lure's global external Application Load Balancer (static address); scanners of it are sent to the honeypot copies` });
    namedOutput(this, "quarantine_address", { value: q.address.address, description: "The load balancer's static IPv4 address" });
    namedOutput(this, "quarantine_security_policy", { value: q.securityPolicy.name, description: "Cloud Armor policy on the router's backend; its rules in lure's band are the functions'" });
    const logs = (fn: string) => `gcloud logging read 'resource.type="cloud_run_revision" AND resource.labels.service_name="${fn}"' --project ${project} --freshness 1h --limit 50`;
    const firestore = (path: string) => `curl -s -H "Authorization: Bearer $(gcloud auth print-access-token)" https://firestore.googleapis.com/v1/projects/${project}/databases/${q.stateStoreName}/documents/${path}`;
    namedOutput(this, "quarantine_watch_mode", {
      value: {
        mode: firestore(FIRESTORE_COLLECTIONS.control),
        quarantined: firestore(FIRESTORE_COLLECTIONS.quarantines),
        steering_rules: `gcloud compute security-policies describe ${q.securityPolicy.name} --project ${project} --format="table(rules.priority, rules.description, rules.match.config.srcIpRanges.list())"`,
        copies: `gcloud run services describe ${q.copiesService.name} --region ${region} --project ${project} --format="value(scaling.minInstanceCount, status.conditions[0].status)"`,
        requests: `gcloud logging read 'resource.type="http_load_balancer" AND resource.labels.forwarding_rule_name="${q.forwardingRuleName}"' --project ${project} --freshness 10m --format="table(timestamp, httpRequest.remoteIp, httpRequest.status, httpRequest.requestUrl)"`,
        detector_logs: logs(q.detector.name),
        mode_logs: logs(q.mode.name),
      },
      description: "Commands to watch the mode, the quarantined sources, the steering rules, the copies and the request log (the log reaches the detector a minute or more after the request)",
    });
    namedOutput(this, "quarantine_copies", { value: q.copiesService.name, description: "Cloud Run service of the honeypot copies (0 minimum instances in Normal Mode)" });
    namedOutput(this, "quarantine_dead_letters", {
      value: `gcloud pubsub subscriptions pull ${q.deadLetters.name} --project ${project} --limit 10`,
      description: `Request-log batches the detector failed on ${PUSH_DELIVERY.maxDeliveryAttempts} times (kept 7 days)`,
    });
    new TerraformOutput(this, "next_steps", {
      value: [
        t
          ? `Point ${t.domain ? `the A record of ${t.domain}` : "your site's DNS record"} at the output quarantine_address: only requests through lure's load balancer are seen and steered${t.domain ? " (the certificate is issued once the record resolves, up to an hour)" : ""}.`
          : `The demo is at the output quarantine_endpoint once the load balancer is programmed (a few minutes after the first deploy).`,
        `Scan it (for example nmap -sV -p ${props.domain ? 443 : 80} --script http-enum <address>) and watch the output quarantine_watch_mode: the request log reaches the detector a minute or more later, Defence Mode starts the copies, and a rule in the policy's band marks your address, so the router sends you to the copies.`,
        `Normal Mode returns ${config.quarantine.quietPeriodMinutes} minutes after the last quarantined request: the rules are removed and the copies go back to ${config.quarantine.copies.normalCount} minimum instances.`,
        `Failed batches: the output quarantine_dead_letters.`,
      ].join(" "),
      description: "What to do after deploy",
    });
  }
}

/** Admin SSH to the honeypot VMs, or how to open it. */
function honeypotSsh(config: LureConfig): string | undefined {
  const hn = config.honeynet;
  return hn.adminSshPublicKey && hn.adminCidrs.length > 0 ? `Admin SSH: ssh -p ${DEFAULT_ADMIN_SSH_PORT} lure@<VM external IP> from ${hn.adminCidrs.join(", ")}` : undefined;
}

const CLOUD_TITLES: Readonly<Record<CloudName, string>> = { aws: "AWS", azure: "Azure", gcp: "Google Cloud" };

const SSH_CLOSED = `Admin SSH is closed (set honeynet.adminSshPublicKey and honeynet.adminCidrs to open it on port ${DEFAULT_ADMIN_SSH_PORT}).`;

/** After deploying with this cloud's own Elastic stack and Kibana (and, as the hive, the other clouds' events). */
function ownSteps(config: LureConfig, zone: string, elastic: string, hive: boolean): string[] {
  const hn = config.honeynet;
  const ssh = honeypotSsh(config);
  return [
    `Honeypot external IPs: run the command in the output list_public_ips (they are ephemeral: a stopped Spot VM comes back with a new one).`,
    `The VMs pull their images at first boot: allow a few minutes before the first logs reach Elasticsearch.`,
    ...(hive ? [HIVE_VM_NEXT_STEP] : []),
    hn.dashboard.domain
      ? `Point an A record for ${hn.dashboard.domain} at the output dashboard_address; Google issues the certificate once it resolves (up to an hour).`
      : `The dashboard is plain HTTP at the output dashboard_url (set honeynet.dashboard.domain for HTTPS).`,
    ssh
      ? `${ssh}; the Elastic VM has no external IP: gcloud compute start-iap-tunnel ${elastic} ${DEFAULT_ADMIN_SSH_PORT} --zone ${zone} --local-host-port=localhost:2222, then ssh -p 2222 lure@localhost.`
      : SSH_CLOSED,
  ];
}

/** After deploying as a hive's sensor: nothing to look at here, the events are in the hive's Kibana. */
function sensorSteps(config: LureConfig): string[] {
  const ssh = honeypotSsh(config);
  const hive = config.honeynet.analytics.hive;
  return [
    `Honeypot external IPs: run the command in the output list_public_ips (they are ephemeral: a stopped Spot VM comes back with a new one).`,
    `No Elastic stack or dashboard runs here: the honeypots ship their events over TLS to the hive${hive ? ` on ${CLOUD_TITLES[hive]}` : ""}, and they appear in the hive's Kibana as ${analyticsHostname(config.prefix, "gcp")}.`,
    `Once npm run hive:credentials has made the sensors' credential, store it with the command in the output hive_credential_command; the VMs read it at boot and retry every minute until it is there.`,
    ssh ? `${ssh}.` : SSH_CLOSED,
  ];
}
