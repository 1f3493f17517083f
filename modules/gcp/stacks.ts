/** The Google Cloud stacks lure synthesizes from a validated config. */
import { TerraformOutput } from "cdktf";
import { ALERT_EVENT } from "../../functions/gcp/log";
import type { Construct } from "constructs";
import { GcpStack } from "../../providers/gcp";
import { gcpMachineTypes, gcpZone, honeynetPropsFor, analyticsRole, type CloudName, type LureConfig } from "../core/config";
import type { HiveTarget } from "../core/hive";
import { analyticsHostname } from "../core/analytics";
import { DEFAULT_ADMIN_SSH_PORT } from "../core/host";
import { namedOutput } from "../core/outputs";
import { watcherPropsFor } from "../core/validate";
import { GcpHoneynet } from "./honeynet";
import { GcpWatcher, QUEUE_RETRY } from "./watcher";

type GcpCloudConfig = NonNullable<LureConfig["clouds"]["gcp"]>;

/**
 * `gcp-honeynet`: the honeypot VMs, the Elastic VM, Kibana on Cloud Run and its load balancer; as a
 * hive's sensor, the honeypot VMs and the secret of their credential only; and, unless disabled, the watcher.
 */
export class GcpHoneynetStack extends GcpStack {
  readonly honeynet: GcpHoneynet;
  readonly watcher?: GcpWatcher;

  /** `hive`: where the honeypots ship when `honeynet.analytics.hive` names another cloud (ignored otherwise). */
  constructor(scope: Construct, id: string, config: LureConfig, gcp: GcpCloudConfig, hive?: HiveTarget) {
    const zone = gcpZone(gcp);
    super(scope, id, {
      prefix: config.prefix,
      region: gcp.region,
      zone,
      tags: { ...config.tags, ...gcp.tags },
      ...(gcp.project ? { project: gcp.project } : {}),
      ...(gcp.backend ? { backend: gcp.backend } : {}),
    });
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
      value: (this.honeynet.elasticInstanceName === undefined ? sensorSteps(config) : ownSteps(config, zone, this.honeynet.elasticInstanceName)).join(" "),
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

/** Admin SSH to the honeypot VMs, or how to open it. */
function honeypotSsh(config: LureConfig): string | undefined {
  const hn = config.honeynet;
  return hn.adminSshPublicKey && hn.adminCidrs.length > 0 ? `Admin SSH: ssh -p ${DEFAULT_ADMIN_SSH_PORT} lure@<VM external IP> from ${hn.adminCidrs.join(", ")}` : undefined;
}

const CLOUD_TITLES: Readonly<Record<CloudName, string>> = { aws: "AWS", azure: "Azure", gcp: "Google Cloud" };

const SSH_CLOSED = `Admin SSH is closed (set honeynet.adminSshPublicKey and honeynet.adminCidrs to open it on port ${DEFAULT_ADMIN_SSH_PORT}).`;

/** After deploying with this cloud's own Elastic stack and Kibana. */
function ownSteps(config: LureConfig, zone: string, elastic: string): string[] {
  const hn = config.honeynet;
  const ssh = honeypotSsh(config);
  return [
    `Honeypot external IPs: run the command in the output list_public_ips (they are ephemeral: a stopped Spot VM comes back with a new one).`,
    `The VMs pull their images at first boot: allow a few minutes before the first logs reach Elasticsearch.`,
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
