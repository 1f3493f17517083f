/** The Google Cloud stacks lure synthesizes from a validated config. */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { GcpStack } from "../../providers/gcp";
import { gcpMachineTypes, gcpZone, honeynetPropsFor, type LureConfig } from "../core/config";
import { DEFAULT_ADMIN_SSH_PORT } from "../core/host";
import { GcpHoneynet } from "./honeynet";

type GcpCloudConfig = NonNullable<LureConfig["clouds"]["gcp"]>;

/** `gcp-honeynet`: the honeypot VMs, the Elastic VM, Kibana on Cloud Run and its load balancer. */
export class GcpHoneynetStack extends GcpStack {
  readonly honeynet: GcpHoneynet;

  constructor(scope: Construct, id: string, config: LureConfig, gcp: GcpCloudConfig) {
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
    this.honeynet = new GcpHoneynet(this, "Honeynet", {
      ...honeynetPropsFor(config, "gcp"),
      region: gcp.region,
      zone,
      ...(gcp.project ? { project: gcp.project } : {}),
      machineTypes: gcpMachineTypes(config),
      adminCidrs: hn.adminCidrs,
      ...(hn.adminSshPublicKey ? { adminSshPublicKey: hn.adminSshPublicKey } : {}),
    });
    const elastic = this.honeynet.elasticInstanceName;
    const ssh = hn.adminSshPublicKey && hn.adminCidrs.length > 0;
    new TerraformOutput(this, "next_steps", {
      value: [
        `Honeypot external IPs: run the command in the output list_public_ips (they are ephemeral: a stopped Spot VM comes back with a new one).`,
        `The VMs pull their images at first boot: allow a few minutes before the first logs reach Elasticsearch.`,
        hn.dashboard.domain
          ? `Point an A record for ${hn.dashboard.domain} at the output dashboard_address; Google issues the certificate once it resolves (up to an hour).`
          : `The dashboard is plain HTTP at the output dashboard_url (set honeynet.dashboard.domain for HTTPS).`,
        ssh
          ? `Admin SSH: ssh -p ${DEFAULT_ADMIN_SSH_PORT} lure@<VM external IP> from ${hn.adminCidrs.join(", ")}; the Elastic VM has no external IP: gcloud compute start-iap-tunnel ${elastic} ${DEFAULT_ADMIN_SSH_PORT} --zone ${zone} --local-host-port=localhost:2222, then ssh -p 2222 lure@localhost.`
          : `Admin SSH is closed (set honeynet.adminSshPublicKey and honeynet.adminCidrs to open it on port ${DEFAULT_ADMIN_SSH_PORT}).`,
      ].join(" "),
      description: "What to do after deploy",
    });
  }
}
