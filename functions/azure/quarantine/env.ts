/**
 * Environment of the Azure Quarantine functions (detector and mode), read once at cold start.
 * `AzureQuarantine` (modules/azure/quarantine.ts) writes exactly the settings of
 * `AZURE_QUARANTINE_ENV`; a wrong one is a deployment bug, so the function app refuses to start and
 * the error lists every bad setting (and every bad field of `LURE_QUARANTINE`) at once.
 *
 * The host reads its own settings besides these: `AzureWebJobsStorage__*`, `LURE_FLOW_QUEUE__*` (the
 * identity-based connection of the flow-log queue), `FUNCTIONS_*`, `WEBSITE_*`, `APPLICATIONINSIGHTS_*`.
 *
 * @example
 * const env = azureQuarantineEnv(process.env, "lure quarantine functions"); // throws before any event is read
 */
import { readQuarantineConfig } from "../../core/quarantine-config";
import type { QuarantineRuntimeConfig } from "../../core/quarantine-types";
import { EnvReader, type Vars } from "../../aws/env-reader";
import { AZURE_QUARANTINE_ENV, FLOW_LOG_CONTAINER } from "./contract";
import { REWRITE_RULES_PER_SET } from "./gateway-steering";

/** An ARM resource id, split. */
export interface ArmId {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

export interface AzureQuarantineEnv {
  /** `LURE_QUARANTINE`: thresholds, mode timing, steering band (rule sequences) and copy counts. */
  readonly config: QuarantineRuntimeConfig;
  /** `LURE_CLIENT_ID`: client id of the user-assigned identity every SDK client authenticates as. */
  readonly clientId: string;
  /** `LURE_TABLE_URL`: `https://<account>.table.core.windows.net/<table>`. */
  readonly tableUrl: string;
  /** `LURE_GATEWAY_ID`: the Application Gateway v2. */
  readonly gateway: ArmId;
  /** `LURE_REWRITE_RULE_SET`. */
  readonly rewriteRuleSet: string;
  /** `LURE_COPIES_POOL`. */
  readonly copiesPool: string;
  /** `LURE_REWRITE_PATH`. */
  readonly rewritePath: string;
  /** `LURE_COPIES_APP_ID`: the copies' Container App. */
  readonly copiesApp: ArmId;
  /** `LURE_FLOW_LOG_URL`, without a trailing `/`: only blobs under it are read. */
  readonly flowLogUrl: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `/subscriptions/<guid>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>`, case as ARM accepts it. */
const ARM_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/([^/]+)\/([^/]+)$/i;

/**
 * Splits an ARM id of the given provider type (`Microsoft.Network/applicationGateways`); undefined
 * when it is not one.
 */
export function parseArmId(id: string, type: string): ArmId | undefined {
  const m = ARM_ID.exec(id);
  if (!m || !GUID.test(m[1]) || `${m[3]}/${m[4]}`.toLowerCase() !== type.toLowerCase()) return undefined;
  return { id, subscriptionId: m[1], resourceGroup: m[2], name: m[5] };
}

class Reader extends EnvReader {
  armId(name: string, type: string, what: string): ArmId {
    const v = this.text(name, `${what}, an ARM id /subscriptions/<id>/resourceGroups/<group>/providers/${type}/<name>`);
    if (!v) return { id: "", subscriptionId: "", resourceGroup: "", name: "" };
    const id = parseArmId(v, type);
    if (!id) this.problems.push(`${name} is ${JSON.stringify(v)} (expected ${what}, an ARM id /subscriptions/<id>/resourceGroups/<group>/providers/${type}/<name>)`);
    return id ?? { id: v, subscriptionId: "", resourceGroup: "", name: "" };
  }

  /** An https URL of a service's host and exactly one path segment (a table, a container). */
  serviceUrl(name: string, what: string, host: RegExp, segment?: string): string {
    const v = this.text(name, what);
    if (!v) return "";
    let ok = false;
    try {
      const u = new URL(v);
      const parts = u.pathname.split("/").filter((p) => p !== "");
      ok = u.protocol === "https:" && host.test(u.hostname) && !u.search && !u.hash && parts.length === 1 && (segment === undefined || parts[0] === segment);
    } catch {
      ok = false;
    }
    if (!ok) this.problems.push(`${name} is ${JSON.stringify(v)} (expected ${what})`);
    return v.replace(/\/+$/, "");
  }
}

/** Reads and checks every setting of `AZURE_QUARANTINE_ENV`; throws one error listing every problem. */
export function azureQuarantineEnv(vars: Vars, fn: string): AzureQuarantineEnv {
  const r = new Reader(vars);
  const e = AZURE_QUARANTINE_ENV;
  const config = readQuarantineConfig(vars[e.config], r.problems);
  if (config) {
    // A rewrite rule set holds at most REWRITE_RULES_PER_SET rules; the ALB bounds of the reader are
    // wider. The SDK documents no bound of a rule sequence, so the gateway judges firstPriority.
    const s = config.steering;
    if (s.ruleQuota > REWRITE_RULES_PER_SET) r.problems.push(`${e.config}.steering.ruleQuota is ${s.ruleQuota} (expected at most ${REWRITE_RULES_PER_SET}, the rules of a rewrite rule set)`);
    if (s.albRuleLimit > REWRITE_RULES_PER_SET) r.problems.push(`${e.config}.steering.albRuleLimit is ${s.albRuleLimit} (expected at most ${REWRITE_RULES_PER_SET}, the rules of a rewrite rule set)`);
  }
  const value = {
    clientId: r.matching(e.clientId, "the client id (a GUID) of the functions' managed identity", GUID),
    tableUrl: r.serviceUrl(e.tableUrl, "the state table's URL, https://<account>.table.core.windows.net/<table>", /^[a-z0-9]+\.table\.core\.windows\.net$/),
    gateway: r.armId(e.gatewayId, "Microsoft.Network/applicationGateways", "the Application Gateway"),
    rewriteRuleSet: r.text(e.rewriteRuleSet, "the name of the gateway's rewrite rule set lure manages"),
    copiesPool: r.text(e.copiesPool, "the name of the copies' backend pool"),
    rewritePath: r.matching(e.rewritePath, "the path lure's rules rewrite to, starting with /", /^\/\S*$/),
    copiesApp: r.armId(e.copiesAppId, "Microsoft.App/containerApps", "the copies' Container App"),
    flowLogUrl: r.serviceUrl(e.flowLogUrl, `the flow log's container URL, https://<account>.blob.core.windows.net/${FLOW_LOG_CONTAINER}`, /^[a-z0-9]+\.blob\.core\.windows\.net$/, FLOW_LOG_CONTAINER),
  };
  r.text(e.flowQueueName, "the name of the queue Event Grid writes the flow log's BlobCreated events to");
  r.text(e.modeSchedule, "the mode function's NCRONTAB schedule (six fields)");
  // readQuarantineConfig reports every problem it returns undefined for.
  return r.done(fn, { config: config!, ...value });
}
