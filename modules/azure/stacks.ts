/** The Azure stacks lure synthesizes from a validated config. */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { AzureStack } from "../../providers/azure";
import { azureVmSizes, honeynetPropsFor, analyticsRole, type CloudName, type LureConfig } from "../core/config";
import type { HiveTarget } from "../core/hive";
import { AzureHoneynet } from "./honeynet";

type AzureCloudConfig = NonNullable<LureConfig["clouds"]["azure"]>;

const CLOUD_TITLES: Readonly<Record<CloudName, string>> = { aws: "AWS", azure: "Azure", gcp: "Google Cloud" };

/** `azure-honeynet`: the honeypot VMs, the Elastic VM and the dashboard; a hive's sensor has only the honeypot VMs and the credential's vault. */
export class AzureHoneynetStack extends AzureStack {
  readonly honeynet: AzureHoneynet;

  /** `hive`: where the honeypots ship when `honeynet.analytics.hive` names another cloud (ignored otherwise). */
  constructor(scope: Construct, id: string, config: LureConfig, azure: AzureCloudConfig, hive?: HiveTarget) {
    super(scope, id, {
      prefix: config.prefix,
      location: azure.location,
      tags: { ...config.tags, ...azure.tags },
      ...(azure.subscriptionId ? { subscriptionId: azure.subscriptionId } : {}),
      ...(azure.backend ? { backend: azure.backend } : {}),
    });
    const hn = config.honeynet;
    const sensor = hive !== undefined && analyticsRole(config, "azure") === "sensor";
    // The hive's address is a value of its stack: cdktf makes it remote state here.
    if (sensor) this.readFromOtherStacks();
    this.honeynet = new AzureHoneynet(this, "Honeynet", {
      ...honeynetPropsFor(config, "azure"),
      ...(sensor ? { hive } : {}),
      location: azure.location,
      sizes: azureVmSizes(config),
      adminCidrs: hn.adminCidrs,
      ...(hn.adminSshPublicKey ? { adminSshPublicKey: hn.adminSshPublicKey } : {}),
    });
    const elastic = this.honeynet.elasticAddress;
    const adminOpen = Boolean(hn.adminSshPublicKey) && hn.adminCidrs.length > 0;
    new TerraformOutput(this, "next_steps", {
      value: [
        `Honeypot public IPs: the output list_public_ips (they are static: one Standard IP per honeypot VM).`,
        elastic !== undefined
          ? `The VMs pull their images at first boot: allow a few minutes before the first logs reach Elasticsearch.`
          : `The honeypots ship their events to the hive${hive ? ` (${CLOUD_TITLES[hive.cloud]})` : ""}: see them in the hive's Kibana. They start shipping once they can read the sensors' credential: store it with the output hive_credential_command (npm run hive:credentials makes it).`,
        !adminOpen
          ? `Admin SSH is closed (set honeynet.adminSshPublicKey and honeynet.adminCidrs to open it on port 64295).`
          : elastic !== undefined
            ? `Admin SSH: ssh -p 64295 lure@<VM address> from ${hn.adminCidrs.join(", ")}; the Elastic VM has no public address: ssh -J lure@<Kibana address>:64295 -p 64295 lure@${elastic}.`
            : `Admin SSH: ssh -p 64295 lure@<VM address> from ${hn.adminCidrs.join(", ")}.`,
      ].join(" "),
      description: "What to do after deploy",
    });
  }
}
