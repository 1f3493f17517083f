/** The Azure stacks lure synthesizes from a validated config. */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { AzureStack, type AzureStackProps } from "../../providers/azure";
import { azureVmSizes, ConfigError, honeynetPropsFor, analyticsRole, type CloudName, type LureConfig } from "../core/config";
import { quarantineProps } from "../core/quarantine-runtime";
import { HIVE_VM_NEXT_STEP, type HiveTarget } from "../core/hive";
import { namedOutput } from "../core/outputs";
import { watcherPropsFor } from "../core/validate";
import { AzureHoneynet } from "./honeynet";
import { AzureQuarantine, azureQuarantinePropsProblems, FLOW_POISON_QUEUE_NAME, TABLE_NAME } from "./quarantine";
import { API_KEY_SECRET_NAME, AzureWatcher, CENSYS_SECRET_NAME } from "./watcher";

type AzureCloudConfig = NonNullable<LureConfig["clouds"]["azure"]>;

/** What every Azure stack of a config shares: prefix, location, tags, subscription and backend. */
function stackProps(config: LureConfig, azure: AzureCloudConfig): AzureStackProps {
  return {
    prefix: config.prefix,
    location: azure.location,
    tags: { ...config.tags, ...azure.tags },
    ...(azure.subscriptionId ? { subscriptionId: azure.subscriptionId } : {}),
    ...(azure.backend ? { backend: azure.backend } : {}),
  };
}

const CLOUD_TITLES: Readonly<Record<CloudName, string>> = { aws: "AWS", azure: "Azure", gcp: "Google Cloud" };

/**
 * `azure-honeynet`: the honeypot VMs, the Elastic VM and the dashboard (as the hive, also the hive's
 * input in front of the Elastic VM and the vault of its credential; a hive's sensor has only the
 * honeypot VMs and the credential's vault), and, unless disabled, the watcher.
 */
export class AzureHoneynetStack extends AzureStack {
  readonly honeynet: AzureHoneynet;
  readonly watcher?: AzureWatcher;

  /** `hive`: where the honeypots ship when `honeynet.analytics.hive` names another cloud (ignored otherwise). */
  constructor(scope: Construct, id: string, config: LureConfig, azure: AzureCloudConfig, hive?: HiveTarget) {
    super(scope, id, stackProps(config, azure));
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
          ? `The VMs pull their images at first boot: allow a few minutes before the first logs reach Elasticsearch.${this.honeynet.hiveTarget ? ` ${HIVE_VM_NEXT_STEP}` : ""}`
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
    if (w.indexes.includes("censys")) {
      namedOutput(this, "watcher_censys_command", {
        value: `read -rsp "Censys token: " LURE_KEY && echo && printf %s "$LURE_KEY" | az keyvault secret set --vault-name ${watcher.vaultName} --name ${CENSYS_SECRET_NAME} --file /dev/stdin --output none; unset LURE_KEY`,
        description: "Stores the Censys Personal Access Token (README: What the Watcher tells you); Censys lookups are skipped until it is set",
      });
    }
    namedOutput(this, "watcher_function_app", { value: watcher.functionApp.name, description: "Function App of the watcher (list-ips on the timer, lookup on the queue)" });
    namedOutput(this, "watcher_poison_queue", { value: watcher.poisonQueue.url, description: "Lookups that failed 5 times (each cycle alerts while any are there)" });
    namedOutput(this, "watcher_logs", { value: watcher.insights.name, description: "Application Insights of the watcher's functions (Entra ID only)" });
    namedOutput(this, "watcher_alert_email", {
      value: w.alertEmail ? `${w.alertEmail}: sent from an Azure-managed domain (DoNotReply@<guid>.azurecomm.net), no confirmation needed` : "none: set watcher.alertEmail to get alerts by e-mail (until then they are log lines only)",
      description: "Where exposure alerts are e-mailed",
    });
  }
}

/**
 * `azure-quarantine`: the demo web service behind an Application Gateway v2, its honeypot copies, the
 * VNet flow log and the detector and mode functions. Only for the demo target: an existing target is
 * an AWS listener (the config warns that Azure then gets no Quarantine).
 */
export class AzureQuarantineStack extends AzureStack {
  readonly quarantine: AzureQuarantine;

  constructor(scope: Construct, id: string, config: LureConfig, azure: AzureCloudConfig) {
    const props = { ...quarantineProps(config), location: azure.location, ...(azure.networkWatcher ? { networkWatcher: azure.networkWatcher } : {}) };
    const problems = azureQuarantinePropsProblems(props);
    if (problems.length > 0) throw new ConfigError(id, problems.map((p) => ({ ...p, path: `quarantine.${p.path}` })));
    super(scope, id, stackProps(config, azure));
    const q = (this.quarantine = new AzureQuarantine(this, "Quarantine", props));
    namedOutput(this, "quarantine_endpoint", { value: q.endpoint, description: "The demo site's static address (Application Gateway v2); scanners of it are sent to the honeypot copies" });
    const rg = q.resourceGroup.name;
    const account = q.stateAccount.name;
    namedOutput(this, "quarantine_watch_mode", {
      value: {
        mode: `az storage entity show --auth-mode login --account-name ${account} --table-name ${TABLE_NAME} --partition-key mode --row-key mode`,
        quarantined: `az storage entity query --auth-mode login --account-name ${account} --table-name ${TABLE_NAME} --filter "PartitionKey eq 'quarantine'"`,
        rewrite_rules: `az network application-gateway rewrite-rule list --resource-group ${rg} --gateway-name ${q.gateway.name} --rule-set-name lure-quarantine --output table`,
        logs: `az monitor app-insights query --resource-group ${rg} --app ${q.insightsName} --analytics-query "traces | where message has 'quarantine-' | order by timestamp desc | take 50"`,
      },
      description: "Commands to watch the mode, the quarantined sources and the gateway's rewrite rules (flow logs reach the detector a few minutes after the traffic)",
    });
    namedOutput(this, "quarantine_copies", { value: q.copiesApp.name, description: "Container App of the honeypot copies (0 replicas in Normal Mode)" });
    namedOutput(this, "quarantine_poison_queue", { value: `${q.stateAccount.primaryQueueEndpoint}${FLOW_POISON_QUEUE_NAME}`, description: "Flow-log commits the detector failed on five times" });
  }
}
