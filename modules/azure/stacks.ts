/** The Azure stacks lure synthesizes from a validated config. */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { AzureStack } from "../../providers/azure";
import { azureVmSizes, honeynetPropsFor, type LureConfig } from "../core/config";
import { AzureHoneynet } from "./honeynet";

type AzureCloudConfig = NonNullable<LureConfig["clouds"]["azure"]>;

/** `azure-honeynet`: the honeypot VMs, the Elastic VM and the dashboard. */
export class AzureHoneynetStack extends AzureStack {
  readonly honeynet: AzureHoneynet;

  constructor(scope: Construct, id: string, config: LureConfig, azure: AzureCloudConfig) {
    super(scope, id, {
      prefix: config.prefix,
      location: azure.location,
      tags: { ...config.tags, ...azure.tags },
      ...(azure.subscriptionId ? { subscriptionId: azure.subscriptionId } : {}),
      ...(azure.backend ? { backend: azure.backend } : {}),
    });
    const hn = config.honeynet;
    this.honeynet = new AzureHoneynet(this, "Honeynet", {
      ...honeynetPropsFor(config, "azure"),
      location: azure.location,
      sizes: azureVmSizes(config),
      adminCidrs: hn.adminCidrs,
      ...(hn.adminSshPublicKey ? { adminSshPublicKey: hn.adminSshPublicKey } : {}),
    });
    new TerraformOutput(this, "next_steps", {
      value: [
        `Honeypot public IPs: the output list_public_ips (they are static: one Standard IP per honeypot VM).`,
        `The VMs pull their images at first boot: allow a few minutes before the first logs reach Elasticsearch.`,
        hn.adminSshPublicKey && hn.adminCidrs.length > 0
          ? `Admin SSH: ssh -p 64295 lure@<VM address> from ${hn.adminCidrs.join(", ")}; the Elastic VM has no public address: ssh -J lure@<Kibana address>:64295 -p 64295 lure@${this.honeynet.elasticAddress}.`
          : `Admin SSH is closed (set honeynet.adminSshPublicKey and honeynet.adminCidrs to open it on port 64295).`,
      ].join(" "),
      description: "What to do after deploy",
    });
  }
}
