/** The Azure stacks lure synthesizes from a validated config. */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { AzureStack } from "../../providers/azure";
import { azureVmSizes, honeynetPropsFor, analyticsRole, type CloudName, type LureConfig } from "../core/config";
import type { HiveTarget } from "../core/hive";
import { namedOutput } from "../core/outputs";
import { watcherPropsFor } from "../core/validate";
import { AzureHoneynet } from "./honeynet";
import { API_KEY_SECRET_NAME, AzureWatcher } from "./watcher";

type AzureCloudConfig = NonNullable<LureConfig["clouds"]["azure"]>;

const CLOUD_TITLES: Readonly<Record<CloudName, string>> = { aws: "AWS", azure: "Azure", gcp: "Google Cloud" };

/**
 * `azure-honeynet`: the honeypot VMs, the Elastic VM and the dashboard (a hive's sensor has only the
 * honeypot VMs and the credential's vault), and, unless disabled, the watcher.
 */
export class AzureHoneynetStack extends AzureStack {
  readonly honeynet: AzureHoneynet;
  readonly watcher?: AzureWatcher;

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

    const w = config.watcher;
    if (!w.enabled) return;
    const watcher = (this.watcher = new AzureWatcher(this, "Watcher", watcherPropsFor(config, this.honeynet)));
    namedOutput(this, "watcher_results", { value: watcher.resultsLocation, description: "Shodan lookup results: results/<ip>/<time>.json (history) and latest/<ip>.json, private (az storage blob list --auth-mode login)" });
    namedOutput(this, "watcher_api_key_vault", { value: watcher.vaultName, description: `Key Vault of the Shodan API key (RBAC; created without a secret): set the secret ${API_KEY_SECRET_NAME} with watcher_api_key_command` });
    namedOutput(this, "watcher_api_key_command", {
      // The key is read from the terminal without echo and piped in: it is in no file, shell history or process list.
      value: `read -rsp "Shodan API key: " LURE_KEY && echo && printf %s "$LURE_KEY" | az keyvault secret set --vault-name ${watcher.vaultName} --name ${API_KEY_SECRET_NAME} --file /dev/stdin --output none; unset LURE_KEY`,
      description: "Stores the Shodan API key (README: Setting the Shodan API key); lookups fail until it is set",
    });
    namedOutput(this, "watcher_function_app", { value: watcher.functionApp.name, description: "Function App of the watcher (list-ips on the timer, lookup on the queue)" });
    namedOutput(this, "watcher_poison_queue", { value: watcher.poisonQueue.url, description: "Lookups that failed 5 times (each cycle alerts while any are there)" });
    namedOutput(this, "watcher_logs", { value: watcher.insights.name, description: "Application Insights of the watcher's functions (Entra ID only)" });
    namedOutput(this, "watcher_alert_email", {
      value: w.alertEmail ? `${w.alertEmail}: sent from an Azure-managed domain (DoNotReply@<guid>.azurecomm.net), no confirmation needed` : "none: set watcher.alertEmail to get alerts by e-mail (until then they are log lines only)",
      description: "Where exposure alerts are e-mailed",
    });
  }
}
