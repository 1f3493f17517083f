/**
 * Environment of the Azure watcher functions, read once at cold start. `AzureWatcher`
 * (modules/azure/watcher.ts) sets exactly these app settings; a wrong one is a deployment bug, so
 * the function refuses to start and the error names every bad variable with what it expects.
 *
 * The Functions host reads its own settings besides these (not listed here): `AzureWebJobsStorage__*`
 * and `LURE_QUEUE__*` (identity-based connections), `FUNCTIONS_*`, `WEBSITE_RUN_FROM_PACKAGE*`,
 * `APPLICATIONINSIGHTS_*`; the trigger bindings resolve `%LURE_SCHEDULE%` and `%LURE_QUEUE_NAME%`.
 */
import type { ExtraTarget } from "../core/extra-targets";
import { EnvReader, type CensysEnv, type Vars } from "../aws/env-reader";

/** Honeypot name → VM name, as the honeynet deployed them. */
export type VmMap = Readonly<Record<string, string>>;

/** Names of the app settings, shared with the construct so the two cannot drift. */
export const AZURE_WATCHER_ENV = {
  prefix: "LURE_PREFIX",
  clientId: "LURE_CLIENT_ID",
  subscriptionId: "LURE_SUBSCRIPTION_ID",
  resourceGroup: "LURE_RESOURCE_GROUP",
  vms: "LURE_VMS",
  queueUrl: "LURE_QUEUE_URL",
  poisonQueueUrl: "LURE_POISON_QUEUE_URL",
  resultsUrl: "LURE_RESULTS_URL",
  vaultUrl: "LURE_VAULT_URL",
  secretName: "LURE_SECRET_NAME",
  alertEndpoint: "LURE_ALERT_ENDPOINT",
  alertSender: "LURE_ALERT_SENDER",
  alertTo: "LURE_ALERT_TO",
  rotate: "LURE_ROTATE",
  minRotationHours: "LURE_MIN_ROTATION_HOURS",
  minIntervalMs: "LURE_MIN_INTERVAL_MS",
  honeyscore: "LURE_HONEYSCORE",
  /** Binding expressions, read by the host (and checked here so a bad value fails loudly). */
  schedule: "LURE_SCHEDULE",
  queueName: "LURE_QUEUE_NAME",
} as const;

/** Where alerts go: e-mail through Communication Services, or only the log when `watcher.alertEmail` is unset. */
export type AlertTarget =
  | { readonly kind: "email"; readonly endpoint: string; readonly sender: string; readonly to: string }
  | { readonly kind: "log" };

export interface AzureWatcherEnv {
  /** `LURE_PREFIX`: shown in alert subjects. */
  readonly prefix: string;
  /** `LURE_CLIENT_ID`: client id of the functions' user-assigned identity (every SDK client authenticates as it). */
  readonly clientId: string;
  /** `LURE_SUBSCRIPTION_ID`: subscription of the honeynet. */
  readonly subscriptionId: string;
  /** `LURE_RESOURCE_GROUP`: the honeynet's resource group, where the honeypots' public IPs are. */
  readonly resourceGroup: string;
  /** `LURE_VMS`: messages naming another VM are skipped, so a forged message cannot rotate anything else. */
  readonly vms: VmMap;
  /** `LURE_QUEUE_URL`: the lookup queue, `https://<account>.queue.core.windows.net/<queue>`. */
  readonly queueUrl: string;
  /** `LURE_POISON_QUEUE_URL`: where the host moves a message after 5 failed dequeues, counted each cycle. */
  readonly poisonQueueUrl: string;
  /** `LURE_RESULTS_URL`: the private results container, `https://<account>.blob.core.windows.net/<container>`. */
  readonly resultsUrl: string;
  /** `LURE_VAULT_URL`: `https://<vault>.vault.azure.net`. */
  readonly vaultUrl: string;
  /** `LURE_SECRET_NAME`: the secret (set by the user) whose value is the Shodan API key. */
  readonly secretName: string;
  /** `LURE_ALERT_ENDPOINT`/`_SENDER`/`_TO`: all three set, or all three empty for log-only alerts. */
  readonly alert: AlertTarget;
  /** `LURE_ROTATE`. */
  readonly rotate: boolean;
  /** `LURE_MIN_ROTATION_HOURS`. */
  readonly minRotationHours: number;
  /** `LURE_MIN_INTERVAL_MS`: spacing of Shodan requests across every instance (the shared gate). */
  readonly minIntervalMs: number;
  /** `LURE_HONEYSCORE`: also ask the index for its honeypot score. */
  readonly honeyscore: boolean;
  /** `LURE_EXTRA_TARGETS` (optional): addresses lure did not deploy, queued and looked up every cycle. */
  readonly extraTargets: readonly ExtraTarget[];
  /** `LURE_CENSYS_*` (optional): Censys as a further index; the secret is a name in the watcher's vault. */
  readonly censys?: CensysEnv;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class Reader extends EnvReader {
  vms(name: string): VmMap {
    return this.honeypotMap(name, "VM name", '{"cowrie":"lure-hp-cowrie"}');
  }

  alert(): AlertTarget {
    const e = AZURE_WATCHER_ENV;
    const set = [e.alertEndpoint, e.alertSender, e.alertTo].filter((n) => (this.vars[n] ?? "").trim() !== "");
    if (set.length === 0) return { kind: "log" };
    if (set.length < 3) {
      this.problems.push(`${e.alertEndpoint}, ${e.alertSender} and ${e.alertTo} are all set or all empty (only ${set.join(", ")} set)`);
      return { kind: "log" };
    }
    return {
      kind: "email",
      // The resource's endpoint as Azure gives it: https://<name>.<geography>.communication.azure.com, with or without "/".
      endpoint: this.matching(e.alertEndpoint, "the Communication Services endpoint, an https:// URL", /^https:\/\/[^\s/]+\/?$/),
      sender: this.matching(e.alertSender, "the sender address of the Azure-managed domain", /^[^@\s]+@[^@\s]+$/),
      to: this.matching(e.alertTo, "the alert recipient's e-mail address", /^[^@\s]+@[^@\s]+$/),
    };
  }
}

export function azureWatcherEnv(vars: Vars, fn: string): AzureWatcherEnv {
  const r = new Reader(vars);
  const e = AZURE_WATCHER_ENV;
  const value: AzureWatcherEnv = {
    prefix: r.text(e.prefix, "the deployment prefix"),
    clientId: r.matching(e.clientId, "the client id (a GUID) of the functions' managed identity", GUID),
    subscriptionId: r.matching(e.subscriptionId, "the subscription id (a GUID)", GUID),
    resourceGroup: r.text(e.resourceGroup, "the honeynet's resource group"),
    vms: r.vms(e.vms),
    queueUrl: r.httpsUrl(e.queueUrl, "the lookup queue URL"),
    poisonQueueUrl: r.httpsUrl(e.poisonQueueUrl, "the poison queue URL of the lookup queue"),
    resultsUrl: r.httpsUrl(e.resultsUrl, "the results container URL"),
    vaultUrl: r.httpsUrl(e.vaultUrl, "the Key Vault URL"),
    secretName: r.matching(e.secretName, "the Key Vault secret name (letters, digits, hyphens)", /^[0-9a-zA-Z-]{1,127}$/),
    alert: r.alert(),
    rotate: r.bool(e.rotate),
    minRotationHours: r.int(e.minRotationHours, 0),
    minIntervalMs: r.int(e.minIntervalMs, 1000),
    honeyscore: r.bool(e.honeyscore),
    extraTargets: r.extraTargets(),
  };
  const censys = r.censys();
  r.text(e.schedule, "the timer's NCRONTAB schedule (six fields)");
  r.text(e.queueName, "the lookup queue's name");
  return r.done(fn, censys ? { ...value, censys } : value);
}
