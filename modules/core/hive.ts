/**
 * One view over every cloud (`honeynet.analytics.hive`): T-Pot's hive/sensor split across clouds. The
 * hive cloud keeps its Elastic stack and Kibana and takes a second Beats input, public and mutually
 * authenticated (TLS with client certificates of one private CA); the other clouds' honeypot hosts
 * ship to it and run no Elastic host of their own. Cloud-neutral: names, the credential's layout, the
 * boot-time fetch of the sensors' credential, the shipper's and Logstash's TLS settings.
 *
 * The credential never passes through Terraform: Terraform creates the secret's container (AWS Secrets
 * Manager, Azure Key Vault, Google Secret Manager) and grants read access to the hosts that need it;
 * the user writes the value (`npm run hive:credentials`), and the hosts read it at boot with their
 * cloud identity. Why client certificates and not T-Pot's basic auth over HTTP: Filebeat's Logstash
 * output has no HTTP authentication, and a certificate check happens before Logstash parses a byte.
 */
import type { CloudName, ConfigProblem } from "./config";
import { ipv4Only, parseCidr } from "./cidr";
import { resourceName } from "./naming";

/** T-Pot's port for sensors shipping to a hive (its hive's nginx listens here). */
export const HIVE_PORT = 64294;

/**
 * The clouds that can be the hive: each puts a passthrough TCP load balancer in front of the hive's
 * Logstash (AWS: a Network Load Balancer before a Fargate service; Azure: a Standard Load Balancer,
 * Google Cloud: an external passthrough Network Load Balancer, both before the Elastic VM).
 */
export const HIVE_CLOUDS: readonly CloudName[] = ["aws", "azure", "gcp"];

/** Keys of the JSON credential (the value of each secret), PEM strings, the same on every cloud. */
export const HIVE_CREDENTIAL_KEYS = ["ca", "certificate", "key"] as const;
export type HiveCredentialKey = (typeof HIVE_CREDENTIAL_KEYS)[number];

/** Name of the secret that holds the hive's (server) or the sensors' (client) credential, on every cloud. */
export const hiveSecretName = (prefix: string, side: "server" | "sensor"): string => resourceName(prefix, ["hive", side], 24);

/** Where `npm run hive:credentials` writes by default (git-ignored), and the sensors' secret value in it. */
export const HIVE_CREDENTIALS_OUT = "hive-credentials";
export const HIVE_SENSOR_BUNDLE = `${HIVE_CREDENTIALS_OUT}/sensor.json`;
/** The hive's secret value in it. */
export const HIVE_SERVER_BUNDLE = `${HIVE_CREDENTIALS_OUT}/server.json`;

/** A sensor on `cloud` ships to another cloud that can be the hive: the problem at `hive.cloud` otherwise. */
export function hiveTargetProblems(cloud: CloudName, hive: HiveTarget): ConfigProblem[] {
  if (hive.cloud !== cloud && HIVE_CLOUDS.includes(hive.cloud)) return [];
  const allowed = HIVE_CLOUDS.filter((c) => c !== cloud).map((c) => `"${c}"`).join(", ");
  return [{ path: "hive.cloud", message: `"${hive.cloud}" cannot be this honeynet's hive; a sensor ships to another cloud's hive: ${allowed}` }];
}

/** A honeynet given both `hive` and `hiveInput`: the problem every cloud reports. */
export const HIVE_BOTH_SIDES: ConfigProblem = {
  path: "hiveInput",
  message: "is set together with hive: a honeynet is either the hive (hiveInput) or a sensor shipping to another cloud's hive (hive); leave one out",
};

/**
 * What a hive's input needs on the clouds whose load balancer fronts a VM (Azure, Google Cloud): valid
 * CIDRs with at least one IPv4 among them (the address is IPv4; and an empty source list would not mean
 * "nobody": a firewall rule without sources admits any), and a prefix short enough for the hive's
 * secret. The problems at `hiveInput.allowCidrs` and `prefix`.
 */
export function hiveInputProblems(prefix: string, allowCidrs: readonly string[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  allowCidrs.forEach((c, i) => {
    const r = parseCidr(c);
    if (!r.ok) out.push({ path: `hiveInput.allowCidrs[${i}]`, message: `"${c}" is not a valid CIDR: ${r.reason}` });
  });
  if (out.length === 0 && ipv4Only(allowCidrs).length === 0) {
    out.push({ path: "hiveInput.allowCidrs", message: "has no IPv4 CIDR: no sensor could reach the hive's IPv4 address; list the CIDRs the sensors connect from" });
  }
  try {
    hiveSecretName(prefix, "server");
  } catch {
    out.push({ path: "prefix", message: `"${prefix}" is too long for the hive, whose secret is "<prefix>-hive-server" (at most 24 characters on every cloud); allowed: at most 12 characters` });
  }
  return out;
}

/**
 * The sources a VM cloud's hive input admits (Azure, Google Cloud: its address is IPv4): the IPv4
 * entries of `allowCidrs`, and the synth warning for the IPv6 ones left out, if any.
 */
export function hiveInputSources(allowCidrs: readonly string[]): { readonly cidrs: string[]; readonly warning?: string } {
  const v6 = allowCidrs.filter((c) => c.includes(":"));
  const cidrs = ipv4Only(allowCidrs);
  return v6.length === 0 ? { cidrs } : { cidrs, warning: `hiveInput.allowCidrs (honeynet.analytics.hiveAllowCidrs): ${v6.join(", ")} left out: the hive's load balancer address is IPv4 only` };
}

/** The next step of a hive whose Logstash runs on the Elastic VM (Azure, Google Cloud), after deploy. */
export const HIVE_VM_NEXT_STEP =
  "This is the hive: once npm run hive:credentials has made the credentials, store the hive's with the command in the output hive_credential_command; the hive's Logstash starts once the Elastic VM can read it (it retries every minute), and the sensors ship to the output hive_endpoint.";

/** Where a VM keeps its hive credential (a sensor's shipper, a hive's Logstash); the container mounts it read-only. */
export const HIVE_CREDENTIAL_DIR = "/etc/lure/hive";

/** The credential's files in `dir`: `ca.crt` and the side's certificate and key (`sensor.*` or `hive.*`). */
export function hiveFiles(dir: string, side: "server" | "sensor"): Readonly<Record<HiveCredentialKey, string>> {
  const leaf = side === "server" ? "hive" : "sensor";
  return { ca: `${dir}/ca.crt`, certificate: `${dir}/${leaf}.crt`, key: `${dir}/${leaf}.key` };
}

/** A sensor VM's credential files. */
export const HIVE_FILES: Readonly<Record<HiveCredentialKey, string>> = hiveFiles(HIVE_CREDENTIAL_DIR, "sensor");

/** The boot-time unit that fetches the credential, retried until the secret has a value. */
export const HIVE_CREDENTIAL_UNIT = "lure-hive-credential.service";
export const HIVE_CREDENTIAL_SCRIPT = "/usr/local/sbin/lure-hive-credential";
/** Seconds between tries while the secret is missing or unreadable (a role assignment takes minutes to apply). */
export const HIVE_CREDENTIAL_RETRY_SECONDS = 60;

/** The field a sensor's events carry: the hive's pipeline makes it their `t-pot_hostname`. */
export const SENSOR_FIELD = "lure_sensor";

/** Where a sensor honeynet ships: the hive's public TLS input. */
export interface HiveTarget {
  /** The hive cloud. */
  readonly cloud: CloudName;
  /** DNS name (or address) of the hive's input; a cdktf token from the hive's stack. */
  readonly address: string;
  /** @default HIVE_PORT */
  readonly port?: number;
}

/** Where a VM reads its hive credential, with the identity its cloud gives the VM. */
export type HiveCredentialSource =
  /** Key Vault, with the user-assigned identity of `clientId` (IMDS). */
  | { readonly cloud: "azure"; readonly vaultName: string; readonly secretName: string; readonly clientId: string }
  /** Secret Manager, with the VM's service account (metadata server). */
  | { readonly cloud: "gcp"; readonly project: string; readonly secretName: string };

/** How a sensor host's shipper reaches the hive. */
export interface HiveShipping {
  readonly target: HiveTarget;
  readonly credential: HiveCredentialSource;
  /** `t-pot_hostname` of the events, e.g. `lure-azure`. */
  readonly sensorName: string;
}

/** The secret's value and the secret's URL, per cloud (Python expressions over `token`). */
function fetchLines(source: HiveCredentialSource): string[] {
  if (source.cloud === "azure") {
    return [
      "def fetch():",
      `    token = get("http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net&client_id=" + ${JSON.stringify(source.clientId)}, {"Metadata": "true"})["access_token"]`,
      `    url = "https://" + ${JSON.stringify(source.vaultName)} + ".vault.azure.net/secrets/" + ${JSON.stringify(source.secretName)} + "?api-version=7.4"`,
      '    return get(url, {"Authorization": "Bearer " + token})["value"]',
    ];
  }
  return [
    "def fetch():",
    '    token = get("http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token", {"Metadata-Flavor": "Google"})["access_token"]',
    `    url = "https://secretmanager.googleapis.com/v1/projects/" + ${JSON.stringify(source.project)} + "/secrets/" + ${JSON.stringify(source.secretName)} + "/versions/latest:access"`,
    '    return base64.b64decode(get(url, {"Authorization": "Bearer " + token})["payload"]["data"]).decode()',
  ];
}

/**
 * The script that writes a VM's hive credential ({@link hiveFiles} in {@link HIVE_CREDENTIAL_DIR}: the
 * sensor's by default, the hive's with `side: "server"`) from the cloud's secret store, with the VM's own identity. Python 3 (in every Ubuntu cloud image), standard library only. Exits 1
 * with one log line while the secret is missing, unreadable or malformed, so the unit retries; writes
 * each file atomically, the key readable by T-Pot's group (the shipper's user) only.
 * Written without `${` and `%{`, so it passes through Terraform strings unchanged.
 */
export function hiveCredentialScript(source: HiveCredentialSource, owner: { readonly gid: number }, side: "server" | "sensor" = "sensor"): string {
  const paths = hiveFiles(HIVE_CREDENTIAL_DIR, side);
  const files = Object.fromEntries(HIVE_CREDENTIAL_KEYS.map((k) => [k, paths[k]]));
  return [
    "#!/usr/bin/python3",
    `# lure: the hive credential of this host's ${side === "server" ? "hive input" : "shipper"}, from ${source.cloud === "azure" ? "Key Vault" : "Secret Manager"} with the VM's identity.`,
    "import base64, json, os, sys, urllib.request",
    "",
    "def get(url, headers):",
    "    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:",
    "        return json.load(r)",
    "",
    ...fetchLines(source),
    "",
    `FILES = ${JSON.stringify(files)}`,
    "try:",
    "    bundle = json.loads(fetch())",
    "    for key in FILES:",
    '        if not isinstance(bundle.get(key), str) or "-----BEGIN " not in bundle[key]:',
    '            raise ValueError("the credential has no PEM under " + repr(key) + "; write it with npm run hive:credentials")',
    "except Exception as e:",
    '    print("lure-hive-credential: not available yet, retrying: " + str(e), file=sys.stderr)',
    "    sys.exit(1)",
    `os.makedirs(${JSON.stringify(HIVE_CREDENTIAL_DIR)}, mode=0o750, exist_ok=True)`,
    `os.chown(${JSON.stringify(HIVE_CREDENTIAL_DIR)}, 0, ${owner.gid})`,
    "for key, path in FILES.items():",
    '    tmp = path + ".new"',
    "    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)",
    '    with os.fdopen(fd, "w") as f:',
    '        f.write(bundle[key].strip() + "\\n")',
    `    os.chown(tmp, 0, ${owner.gid})`,
    "    os.chmod(tmp, 0o640)",
    "    os.replace(tmp, path)",
    'print("lure-hive-credential: written to " + ", ".join(FILES.values()))',
    "",
  ].join("\n");
}

/** The systemd unit of {@link hiveCredentialScript}: at every boot, retried until it succeeds. */
export function hiveCredentialUnit(side: "server" | "sensor" = "sensor"): string {
  return [
    "[Unit]",
    `Description=lure: fetch the hive credential of the ${side === "server" ? "hive's Logstash" : "log shipper"}`,
    "After=network-online.target",
    "Wants=network-online.target",
    // Retries forever: the user may write the secret long after the VM boots.
    "StartLimitIntervalSec=0",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${HIVE_CREDENTIAL_SCRIPT}`,
    "Restart=on-failure",
    `RestartSec=${HIVE_CREDENTIAL_RETRY_SECONDS}`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/**
 * Filebeat's TLS towards the hive: the CA's chain is checked, not the host name (the CA is private to
 * this deployment and signs the hive alone; the hive's DNS name is known only after its deploy, when
 * the certificates may already exist), and the sensor presents its client certificate.
 */
export function filebeatHiveTls(files: Readonly<Record<HiveCredentialKey, string>> = HIVE_FILES): Record<string, unknown> {
  return {
    "ssl.enabled": true,
    "ssl.certificate_authorities": [files.ca],
    "ssl.certificate": files.certificate,
    "ssl.key": files.key,
    "ssl.verification_mode": "certificate",
    "ssl.supported_protocols": ["TLSv1.2", "TLSv1.3"],
  };
}

/** Environment variables the hive's Logstash gets its credential in (ECS secrets, never in the task definition). */
export const HIVE_LOGSTASH_ENV: Readonly<Record<HiveCredentialKey, string>> = { ca: "LURE_HIVE_CA", certificate: "LURE_HIVE_CERTIFICATE", key: "LURE_HIVE_KEY" };

/** The hive input's TLS, in the Logstash container: where its credential files are ({@link hiveFiles} of `server`). */
export interface HiveInputTls {
  /** A folder the Logstash user may write (not a shared volume), or, with `mounted`, the credential's read-only mount. */
  readonly dir: string;
  /**
   * The files are mounted from the host, which fetches them at boot (VMs): the start script waits for
   * them instead of writing them from {@link HIVE_LOGSTASH_ENV} (ECS secrets, Fargate). @default false
   */
  readonly mounted?: boolean;
}

/** The Beats input of the hive, mutually authenticated, as a line of Logstash configuration. */
export function hiveBeatsInput(port: number, tls: HiveInputTls): string {
  const f = hiveFiles(tls.dir, "server");
  return [
    `beats { port => ${port} ecs_compatibility => disabled ssl_enabled => true`,
    `ssl_certificate => '${f.certificate}' ssl_key => '${f.key}'`,
    `ssl_certificate_authorities => ['${f.ca}'] ssl_client_authentication => 'required'`,
    "ssl_supported_protocols => ['TLSv1.2', 'TLSv1.3'] }",
  ].join(" ");
}

/**
 * A filter after T-Pot's: a sensor's events are named by their sensor (`t-pot_hostname`), and T-Pot's
 * external address of the hive, which is not theirs, is dropped with its GeoIP.
 */
export function hiveSensorFilter(): string {
  return [
    "filter {",
    `  if [${SENSOR_FIELD}] {`,
    `    mutate { copy => { "${SENSOR_FIELD}" => "t-pot_hostname" } }`,
    `    mutate { remove_field => ["${SENSOR_FIELD}", "t-pot_ip_ext", "t-pot_ip_int", "geoip_ext"] }`,
    "  }",
    "}",
  ].join("\n");
}
