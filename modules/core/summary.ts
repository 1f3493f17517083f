/**
 * What `npm start` prints after synth: each stack with its resources by type, each honeypot with its
 * ports, synth messages, and the next command. It reads the synthesized output, so it reports what was
 * actually made, not what the config asked for.
 */
import { existsSync, readFileSync } from "fs";
import { join, resolve } from "path";
import { sameFile, shellWord } from "./check";
import { DEFAULT_CONFIG_FILE, analyticsRole, gcpQuarantineEnabled, type CloudName, type LureConfig } from "./config";
import { HONEYPOT_NAMES } from "./catalog";
import { LABEL_KEYS, toLabel } from "./labels";
import { TAG_KEYS, resourceName } from "./naming";
import { isDocumentationRange, parseCidr } from "./cidr";
import { publicIpv4Line } from "./public-ipv4";
import { MIN_TERRAFORM_MINOR } from "./toolchain";

export interface StackSummary {
  readonly name: string;
  readonly file: string;
  readonly resources: Readonly<Record<string, number>>;
  readonly total: number;
  /** Honeypot → published ports (`22/tcp`), from the synthesized task definitions. */
  readonly honeypots: Readonly<Record<string, readonly string[]>>;
  readonly messages: readonly { level: "info" | "warning" | "error"; text: string }[];
  /** The parsed `cdk.tf.json`, for checks that run after the summary (read once). */
  readonly stack: Json;
}

type Json = Record<string, unknown>;

function readStack(outdir: string, name: string): Json {
  return JSON.parse(readFileSync(join(outdir, "stacks", name, "cdk.tf.json"), "utf8")) as Json;
}

export function summarizeOutput(outdir: string): StackSummary[] {
  const manifestFile = join(outdir, "manifest.json");
  if (!existsSync(manifestFile)) throw new Error(`${manifestFile} does not exist: synth did not run`);
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { stacks: Record<string, { annotations?: { level: string; message: string }[]; synthesizedStackPath: string }> };
  return Object.entries(manifest.stacks).map(([name, m]) => {
    const stack = readStack(outdir, name);
    const resources: Record<string, number> = {};
    const honeypots: Record<string, string[]> = {};
    for (const [type, byName] of Object.entries((stack.resource ?? {}) as Record<string, Record<string, Json>>)) {
      resources[type] = Object.keys(byName).length;
      if (type !== "aws_ecs_task_definition") continue;
      for (const td of Object.values(byName)) {
        const tags = (td.tags ?? {}) as Record<string, string>;
        if (tags[TAG_KEYS.component] !== "honeypot") continue;
        const containers = JSON.parse(String(td.container_definitions)) as { portMappings?: { containerPort: number; protocol: string }[] }[];
        honeypots[tags[TAG_KEYS.honeypot]] = containers.flatMap((c) => (c.portMappings ?? []).map((p) => `${p.containerPort}/${p.protocol}`));
      }
    }
    Object.assign(honeypots, azureHoneypotPorts(stack), gcpHoneypotPorts(stack));
    const level = (l: string) => (l.endsWith("error") ? "error" : l.endsWith("warn") || l.endsWith("warning") ? "warning" : "info") as "info" | "warning" | "error";
    return {
      name,
      file: join(outdir, m.synthesizedStackPath),
      resources,
      total: Object.values(resources).reduce((a, b) => a + b, 0),
      honeypots,
      messages: (m.annotations ?? []).map((a) => ({ level: level(a.level), text: a.message })),
      stack,
    };
  });
}

/** Honeypot → ports from an Azure stack: the allow rules (`honeypot-<protocol>-<port>`) of each honeypot's NSG. */
function azureHoneypotPorts(stack: Json): Record<string, string[]> {
  const resources = (stack.resource ?? {}) as Record<string, Record<string, Json>>;
  const rules = Object.values(resources.azurerm_network_security_rule ?? {});
  const out: Record<string, string[]> = {};
  for (const [name, nsg] of Object.entries(resources.azurerm_network_security_group ?? {})) {
    const tags = (nsg.tags ?? {}) as Record<string, string>;
    if (tags[TAG_KEYS.component] !== "honeypot") continue;
    out[tags[TAG_KEYS.honeypot]] = rules
      .filter((r) => String(r.network_security_group_name).startsWith(`\${azurerm_network_security_group.${name}.`) && String(r.name).startsWith("honeypot-") && r.access === "Allow")
      .sort((a, b) => Number(a.priority) - Number(b.priority))
      .map((r) => `${String(r.destination_port_range)}/${String(r.protocol).toLowerCase()}`);
  }
  return out;
}

/** Catalog names by their label form (`conpot_iec104` → `conpot_IEC104`): labels are lower-case. */
const HONEYPOT_BY_LABEL: ReadonlyMap<string, string> = new Map(HONEYPOT_NAMES.map((n) => [toLabel(n), n]));

/** Honeypot → ports from a Google Cloud stack: the firewall rule aimed at each honeypot VM's network tag. */
function gcpHoneypotPorts(stack: Json): Record<string, string[]> {
  const resources = (stack.resource ?? {}) as Record<string, Record<string, Json>>;
  const firewalls = Object.values(resources.google_compute_firewall ?? {});
  const out: Record<string, string[]> = {};
  for (const vm of Object.values(resources.google_compute_instance ?? {})) {
    const labels = (vm.labels ?? {}) as Record<string, string>;
    if (labels[LABEL_KEYS.component] !== "honeypot") continue;
    const tags = (vm.tags ?? []) as string[];
    const rule = firewalls.find((f) => ((f.source_ranges ?? []) as string[]).includes("0.0.0.0/0") && ((f.target_tags ?? []) as string[]).some((t) => tags.includes(t)));
    const allow = (rule?.allow ?? []) as { protocol: string; ports?: string[] }[];
    const name = HONEYPOT_BY_LABEL.get(labels[LABEL_KEYS.honeypot]) ?? labels[LABEL_KEYS.honeypot];
    out[name] = allow.flatMap((a) => (a.ports ?? []).map((p) => `${p}/${a.protocol}`));
  }
  return out;
}

/**
 * The deploy command for a stack: it checks the config again and deploys exactly what it checked. The
 * config is spelled out unless it is the default, so the command cannot deploy another one.
 */
function deployStep(configFile: string, stack: string): string {
  const env = sameFile(configFile, DEFAULT_CONFIG_FILE) ? "" : `LURE_CONFIG=${shellWord(resolve(configFile))} `;
  return `${env}npm run deploy -- ${stack}`;
}

/**
 * Deploying a cloud's honeynet stack. A sensor's stack reads the hive's address from the hive's state
 * (a cdktf cross-stack reference), so it comes after the hive's, and cdktf refuses to deploy it alone unless told.
 */
function honeynetDeployStep(config: LureConfig, configFile: string, cloud: CloudName): string {
  const stack = `${cloud}-honeynet`;
  if (analyticsRole(config, cloud) !== "sensor") return deployStep(configFile, stack);
  return `after ${config.honeynet.analytics.hive}-honeynet (its state holds the hive's address): ${deployStep(configFile, stack)} --ignore-missing-stack-dependencies`;
}

/** The hive's own step once its stack is deployed: the credential the sensors and its Logstash need. */
const HIVE_CREDENTIAL_STEP =
  "make the hive's TLS credentials with npm run hive:credentials and store them with the commands it prints (the hive's Logstash starts once its secret has a value; README: \"One view over every cloud\")";

const IMPLEMENTED: Readonly<Record<string, readonly string[]>> = { aws: ["honeynet", "watcher", "quarantine"], azure: ["honeynet", "watcher", "quarantine"], gcp: ["honeynet", "watcher", "quarantine"] };

/** The jobs the config enables that `cloud` does not implement yet. */
function pendingJobs(config: LureConfig, cloud: "aws" | "azure" | "gcp"): string[] {
  const enabled = [config.watcher.enabled && "watcher", config.quarantine.enabled && "quarantine"].filter((x): x is string => Boolean(x));
  return enabled.filter((job) => !IMPLEMENTED[cloud].includes(job));
}

export function formatSummary(stacks: readonly StackSummary[], config: LureConfig, configFile: string, warnings: readonly string[]): string {
  const lines: string[] = [`lure: synthesized ${stacks.length} stack${stacks.length === 1 ? "" : "s"} from ${configFile}`, ""];
  for (const s of stacks) {
    lines.push(`stack ${s.name}  (${s.total} resources)  ${s.file}`);
    const width = Math.max(...Object.keys(s.resources).map((t) => t.length));
    for (const [type, n] of Object.entries(s.resources).sort(([a], [b]) => a.localeCompare(b))) lines.push(`  ${type.padEnd(width)}  ${n}`);
    const hp = Object.entries(s.honeypots);
    if (hp.length > 0) {
      lines.push(`  honeypots (${hp.length}):`);
      const w = Math.max(...hp.map(([n]) => n.length));
      for (const [n, ports] of hp) lines.push(`    ${n.padEnd(w)}  ${ports.length > 0 ? ports.join(" ") : "(internal: no public port)"}`);
    }
    const ipv4 = publicIpv4Line(s.stack);
    if (ipv4) lines.push(`  ${ipv4}`);
    for (const m of s.messages) lines.push(`  ${m.level}: ${m.text}`);
    lines.push("");
  }
  for (const w of warnings) lines.push(`warning: ${w}`);
  if (config.clouds.gcp) {
    const pending = pendingJobs(config, "gcp");
    if (pending.length > 0) lines.push(`gcp: ${pending.join(" and ")} configured; not implemented on Google Cloud yet, so not synthesized there`);
  }
  if (config.clouds.azure) {
    const pending = pendingJobs(config, "azure");
    if (pending.length > 0) lines.push(`azure: ${pending.join(" and ")} configured; not implemented on Azure yet, so not synthesized there`);
  }
  if (config.clouds.aws) {
    const pending = pendingJobs(config, "aws");
    if (pending.length > 0) lines.push(`aws: ${pending.join(" and ")} configured; not implemented yet, so not synthesized`);
    // The user's own list may hold a documentation range too: name what is there, not "the default".
    const awsRole = analyticsRole(config, "aws");
    const doc = config.honeynet.dashboard.allowCidrs.filter((c) => {
      const r = parseCidr(c);
      return awsRole !== "sensor" && r.ok && isDocumentationRange(r.cidr);
    });
    const steps: string[] = [];
    if (doc.length > 0) {
      steps.push(`put your own CIDR in honeynet.dashboard.allowCidrs (${doc.join(", ")} ${doc.length === 1 ? "is a documentation range" : "are documentation ranges"}: nobody can reach the dashboard from ${doc.length === 1 ? "it" : "them"})`);
    }
    steps.push(`give Terraform AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) for ${config.clouds.aws.region}; install terraform >= ${MIN_TERRAFORM_MINOR}`);
    steps.push(honeynetDeployStep(config, configFile, "aws"));
    if (awsRole === "hive") steps.push(HIVE_CREDENTIAL_STEP);
    if (awsRole === "sensor") {
      steps.push("store the sensor credential in the secret of the output hive_secret (the command npm run hive:credentials printed); the shipper's task starts once the secret has a value, and ships the honeypots' logs from the start");
    }
    if (config.watcher.enabled) {
      steps.push(`put your Shodan API key in the secret ${resourceName(config.prefix, ["watcher", "shodan-api-key"])} (README: "Setting the Shodan API key")`);
      steps.push(config.watcher.alertEmail ? `confirm the subscription e-mail AWS sends to ${config.watcher.alertEmail}` : "set watcher.alertEmail to get exposure alerts by e-mail");
    }
    const q = config.quarantine;
    if (q.enabled) {
      if (q.target !== "demo" && q.allowCidrs.length === 0) steps.push("list your VPC's CIDRs (and your own scanners) in quarantine.allowCidrs, so the load balancer's connections are never taken for a scan");
      steps.push(deployStep(configFile, "aws-quarantine"));
      steps.push(
        `watch the mode with the commands in the output quarantine_watch_mode (table ${resourceName(config.prefix, ["quarantine"])}); flow logs reach the detector minutes after the traffic (1-minute aggregation, then about 5 minutes to CloudWatch Logs), so Defence Mode starts minutes after a scan, not seconds`,
      );
    }
    lines.push("", "next:", ...steps.map((t, i) => `  ${i + 1}. ${t}`));
  }
  if (config.clouds.azure) {
    const az = config.clouds.azure;
    const role = analyticsRole(config, "azure");
    const sensor = role === "sensor";
    const w = config.watcher;
    // The hive credential's vault access and the watcher's identity are role assignments (and the watcher's rotation, role definitions).
    const azureQuarantine = config.quarantine.enabled && config.quarantine.target === "demo";
    const assigns = [sensor && "as a hive's sensor", role === "hive" && "as the hive", w.enabled && "with the watcher", azureQuarantine && "with the quarantine"].filter((x): x is string => Boolean(x));
    const steps = [
      `give Terraform Azure credentials (az login, or ARM_CLIENT_ID, ARM_CLIENT_SECRET and ARM_TENANT_ID)${az.subscriptionId ? "" : " and ARM_SUBSCRIPTION_ID (or set clouds.azure.subscriptionId)"}${assigns.length > 0 ? `; ${assigns.join(" and ")} the stack creates role assignments, which needs Owner or User Access Administrator, not only Contributor` : ""}`,
      honeynetDeployStep(config, configFile, "azure"),
      ...(role === "hive" ? [HIVE_CREDENTIAL_STEP] : []),
      ...(sensor ? ["store the sensor credential in the vault of the output hive_vault (the command npm run hive:credentials printed); the honeypot VMs fetch it at boot and retry every minute until it is there"] : []),
      "list the honeypots' public IPs with the command in the output list_public_ips",
      ...(w.enabled
        ? [
            "if the deploy stops uploading the watcher's package with a 403, Azure has not propagated the new role assignment yet: run the deploy again a few minutes later",
            "put your Shodan API key in the watcher's vault with the command in the output watcher_api_key_command (it reads the key from the terminal)",
            w.alertEmail
              ? `alerts go to ${w.alertEmail} from DoNotReply@ an Azure-managed domain (<guid>.azurecomm.net): nothing to confirm, but let it through your mail filter`
              : "set watcher.alertEmail to get exposure alerts by e-mail (until then they are log lines in the output watcher_logs)",
          ]
        : []),
      ...(azureQuarantine
        ? [
            deployStep(configFile, "azure-quarantine"),
            `the Application Gateway takes several minutes to create; the flow log belongs to the region's Network Watcher (${az.networkWatcher ? `${az.networkWatcher.name} in ${az.networkWatcher.resourceGroupName}` : `NetworkWatcher_${az.location} in NetworkWatcherRG, which Azure makes with the first VNet of a region; set clouds.azure.networkWatcher if yours has another name`})`,
            "watch the mode with the commands in the output quarantine_watch_mode; a scan reaches the detector a few minutes after it (1-minute flow-log blocks), and each steering change is a gateway update of minutes",
          ]
        : []),
    ];
    lines.push("", "next on Azure:", ...steps.map((t, i) => `  ${i + 1}. ${t}`));
  }
  if (config.clouds.gcp) {
    const gcp = config.clouds.gcp;
    const steps = [
      `give Terraform Google Cloud credentials (gcloud auth application-default login)${gcp.project ? "" : " and GOOGLE_CLOUD_PROJECT (or set clouds.gcp.project)"}; enable the Compute Engine${analyticsRole(config, "gcp") === "sensor" ? "" : " and Cloud Run"} API${analyticsRole(config, "gcp") === "sensor" ? "" : "s"} in the project`,
      honeynetDeployStep(config, configFile, "gcp"),
      ...(analyticsRole(config, "gcp") === "hive" ? [HIVE_CREDENTIAL_STEP] : []),
      ...(analyticsRole(config, "gcp") === "sensor" ? ["add the sensor credential as a version of the secret in the output hive_secret (the command npm run hive:credentials printed); the honeypot VMs fetch it at boot and retry every minute until it is there"] : []),
      "list the honeypots' external IPs with the command in the output list_public_ips",
      ...(config.watcher.enabled
        ? [
            "the watcher's first deploy enables its APIs (Cloud Functions, Cloud Run, Cloud Build, Cloud Scheduler, Cloud Tasks, Secret Manager, IAM) and creates service accounts, IAM bindings and custom roles: the deploying account needs Owner, or Editor with Security Admin; if it stops because an API was just enabled, run the deploy again a few minutes later",
            "add your Shodan API key to Secret Manager with the command in the output watcher_api_key_command (it reads the key from the terminal)",
            config.watcher.alertEmail
              ? `alerts go to ${config.watcher.alertEmail} from Cloud Monitoring (alerting-noreply@google.com): nothing to confirm, but let it through your mail filter`
              : "set watcher.alertEmail to get exposure alerts by e-mail (until then they are log entries: the command in the output watcher_logs lists them)",
          ]
        : []),
      ...(gcpQuarantineEnabled(config)
        ? [
            deployStep(configFile, "gcp-quarantine"),
            ...(config.clouds.gcp?.quarantineTarget
              ? [
                  `then point ${config.clouds.gcp.quarantineTarget.domain ? `the A record of ${config.clouds.gcp.quarantineTarget.domain}` : "your site's DNS record"} at the output quarantine_address: until its traffic arrives through lure's load balancer, none of it is seen or steered; ${config.clouds.gcp.quarantineTarget.allowDirectIngress ? "your service still admits the internet directly (allowDirectIngress)" : "set your service's ingress to internal and Cloud Load Balancing once the cut-over is done, and to internal once your own load balancer is gone"}`,
                ]
              : []),
            "its first deploy enables its APIs (Compute Engine, Cloud Run, Cloud Functions, Cloud Build, Cloud Scheduler, Pub/Sub, Firestore, Logging, IAM) and creates a Firestore database, service accounts and custom roles: the deploying account needs Owner, or Editor with Security Admin",
            "watch the mode with the commands in the output quarantine_watch_mode; the load balancer's request log reaches the detector a minute or more after a request (unmeasured), and a Cloud Armor rule then marks the source for the router",
          ]
        : []),
    ];
    lines.push("", "next on Google Cloud:", ...steps.map((t, i) => `  ${i + 1}. ${t}`));
  }
  return lines.join("\n");
}
