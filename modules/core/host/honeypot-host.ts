/**
 * The cloud-init document of one honeypot VM (Azure and Google Cloud alike): the T-Pot honeypot under
 * Docker with T-Pot's compose settings, its internal group members beside it, and a log shipper that
 * sends its log files to Logstash on the Elastic host's private address.
 *
 * ```ts
 * const userData = honeypotHostCloudInit({ honeypot: "cowrie", logstash: { address: "10.42.0.4" } });
 * ```
 *
 * Log shipper: Filebeat, not Fluent Bit. Logstash's Beats input ships with every Logstash (T-Pot's
 * image too) and acknowledges batches (Filebeat resends what was not acknowledged and resumes from its
 * registry after a restart); Fluent Bit has no Logstash output and would need the HTTP or TCP input,
 * the latter without acknowledgements. Filebeat also follows the Elastic version the config already
 * pins, so there is one version to move. The cost is memory: Filebeat needs some tens of MB more.
 */
import { toYaml } from "./yaml";
import { HONEYPOT_NAMES, TPOT, honeypot as catalogEntry, honeypotEnvironment, planPorts, portKeys, type CatalogHoneypot, type CatalogPort, type PortCapabilities, type Protocol } from "../catalog";
import type { ConfigProblem } from "../config";
import type { HoneypotOverride } from "../interfaces";
import { slug } from "../naming";
import { didYouMean } from "../suggest";
import { DEFAULT_ELASTIC_VERSION, logstashInputs, type LogstashInput } from "../elastic";
import { HIVE_CREDENTIAL_DIR, HIVE_CREDENTIAL_SCRIPT, HIVE_CREDENTIAL_UNIT, HIVE_PORT, SENSOR_FIELD, filebeatHiveTls, hiveCredentialScript, hiveCredentialUnit, type HiveCredentialKey, type HiveShipping } from "../hive";
import {
  METADATA_UNIT,
  metadataUnit,
  DEFAULT_SHIPPER_PORT,
  LURE_DIR,
  TPOT_OWNER,
  adminSshProblems,
  assertNoProblems,
  isToken,
  portProblem,
  renderCloudConfig,
  show,
  type AdminSshProps,
  type Command,
  type WriteFile,
} from "./cloud-init";

/** A VM publishes what T-Pot's compose file says: host→container maps, TCP and UDP on one port. */
export const VM_PORTS: PortCapabilities = { remap: true, tcpAndUdpOnOnePort: true };

/** Where the shipper sends the logs: Logstash's Beats input on the Elastic host. */
export interface LogstashTarget {
  /** Private address (or DNS name) of the Elastic host. A cdktf token is passed through unchecked. */
  readonly address: string;
  /** Port of Logstash's Beats input. @default 5044 */
  readonly port?: number;
}

/** Per-honeypot changes, as `honeynet.overrides.<name>` in the config, plus environment values. */
export interface HoneypotHostOverride extends HoneypotOverride {
  /**
   * Environment values added to the catalog's (a key given here wins).
   * @default the catalog's environment, without T-Pot's hpfeeds placeholders
   */
  readonly env?: Readonly<Record<string, string>>;
}

export interface HoneypotHostProps {
  /** Catalog name of the honeypot this VM runs; its internal group members (e.g. tanner for snare) run beside it. */
  readonly honeypot: string;
  /**
   * Changes to the catalog entry. `image`, `ports`, `user` and `env` apply here; `cpu` and `memory`
   * are the cloud module's business (the VM size); `imageTag` needs a registry lure creates, which these
   * clouds do not have yet, and is rejected.
   * @default none: the catalog's image, every port, the image's user
   */
  readonly override?: HoneypotHostOverride;
  /** Logstash's Beats input on the Elastic host's private address; not with `hive`. */
  readonly logstash?: LogstashTarget;
  /**
   * Ship to another cloud's hive instead (`honeynet.analytics.hive`): over TLS with a client
   * certificate the host fetches at boot with its cloud identity; no container reaches the metadata
   * service. @default none: ship to `logstash`
   */
  readonly hive?: HiveShipping;
  /** Admin SSH. @default port 64295, no key */
  readonly adminSsh?: AdminSshProps;
  /** Elastic Stack version; picks the Filebeat image. @default the honeynet's Elastic version (8.17.0) */
  readonly elasticVersion?: string;
  /** Image of the log shipper. @default `docker.elastic.co/beats/filebeat:<elasticVersion>` */
  readonly shipperImage?: string;
}

/** A port the host publishes: `host` on the VM, `container` inside the honeypot. */
export type HostPort = CatalogPort;

/** A honeypot host as rendered: who runs, what is published, what is shipped. */
export interface HoneypotHostPlan {
  readonly honeypot: CatalogHoneypot;
  /** Members that run beside it without published ports, in start order of the talks-to chain. */
  readonly peers: readonly CatalogHoneypot[];
  readonly ports: readonly HostPort[];
  readonly logInputs: readonly LogstashInput[];
}

/**
 * Compose settings T-Pot sets that the typed catalog does not carry yet (`command`, `tty`); from
 * T-Pot 24.04's compose/standard.yml. tanner and tanner_api share one image and differ only by command.
 */
const COMPOSE_EXTRAS: Readonly<Record<string, { readonly command?: string; readonly tty?: boolean }>> = {
  dionaea: { tty: true },
  mailoney: { tty: true },
  honeypots: { tty: true },
  snare: { tty: true },
  tanner: { command: "tanner", tty: true },
  tanner_api: { command: "tannerapi", tty: true },
  tanner_phpox: { tty: true },
  tanner_redis: { tty: true },
};

/** Honeypots that only serve another one (reached by name, no ports of their own). */
export const INTERNAL_MEMBERS: readonly string[] = HONEYPOT_NAMES.filter((n) =>
  Object.values(TPOT.honeypots).some((h) => h.name !== n && h.talksTo.includes(n)),
);

/** Everything `name` talks to, directly or through another member, each once. */
export function internalPeers(name: string): CatalogHoneypot[] {
  const seen = new Set([name]);
  const out: CatalogHoneypot[] = [];
  const queue = [...catalogEntry(name).talksTo];
  while (queue.length > 0) {
    const peer = queue.shift()!;
    if (seen.has(peer) || !(peer in TPOT.honeypots)) continue;
    seen.add(peer);
    const entry = TPOT.honeypots[peer];
    out.push(entry);
    queue.push(...entry.talksTo);
  }
  return out;
}

/** The host ports of `entry` after `only` (written `22/tcp`), in catalog order, each host port/protocol once. */
export function hostPorts(entry: CatalogHoneypot, only?: readonly string[]): HostPort[] {
  const plan = planPorts(entry.ports, VM_PORTS, only);
  const out: HostPort[] = [];
  for (const p of entry.ports) {
    const kept = plan.published.some((q) => q.port === p.host && q.protocol === p.protocol);
    if (kept && !out.some((q) => q.host === p.host && q.protocol === p.protocol)) out.push(p);
  }
  return out;
}

const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const HOST = /^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const VERSION = /^\d+\.\d+\.\d+$/;

/** Problems of an image reference that must be pinned (a tag or a digest, never implicit `latest`). */
export function imageProblems(path: string, image: unknown): ConfigProblem[] {
  if (typeof image === "string" && (isToken(image) || IMAGE_REF.test(image))) return [];
  return [{ path, message: `${show(image)} is not a pinned image reference; allowed: registry/name:tag or registry/name@sha256:<digest>` }];
}

export function logstashTargetProblems(path: string, target: LogstashTarget | undefined): ConfigProblem[] {
  if (!target || typeof target !== "object") return [{ path, message: `${show(target)} is missing; give { address, port? } of Logstash's Beats input` }];
  const out: ConfigProblem[] = [];
  const a = target.address;
  if (typeof a !== "string" || (!isToken(a) && !HOST.test(a))) {
    out.push({ path: `${path}.address`, message: `${show(a)} is not an address; allowed: the Elastic host's private IPv4 address or DNS name` });
  }
  if (target.port !== undefined) out.push(...portProblem(`${path}.port`, target.port));
  return out;
}

/** Every problem of the props, each with its path; the plan when there are none. */
export function honeypotHostProblems(props: HoneypotHostProps): { problems: ConfigProblem[]; plan?: HoneypotHostPlan } {
  const out: ConfigProblem[] = [];
  const name = props.honeypot;
  if (typeof name !== "string" || !(name in TPOT.honeypots)) {
    const u = typeof name === "string" ? TPOT.unsupported[name] : undefined;
    out.push({
      path: "honeypot",
      message: u ? `"${name}" is not offered on VMs yet: ${u.reason}` : `${show(name)} is not a known honeypot${typeof name === "string" ? didYouMean(name, HONEYPOT_NAMES) : ""}`,
    });
  } else if (INTERNAL_MEMBERS.includes(name)) {
    const owner = HONEYPOT_NAMES.find((n) => !INTERNAL_MEMBERS.includes(n) && internalPeers(n).some((p) => p.name === name));
    out.push({ path: "honeypot", message: `"${name}" is an internal member of ${owner ? `"${owner}"'s` : "another honeypot's"} group and has no host of its own; render ${owner ? `"${owner}"` : "that honeypot"}, whose host runs it` });
  }
  const o = props.override ?? {};
  if (o.image !== undefined) out.push(...imageProblems("override.image", o.image));
  if (o.imageTag !== undefined) out.push({ path: "override.imageTag", message: `${show(o.imageTag)} names a tag of a lure image repository, which VM hosts do not have; give override.image (the full reference) instead` });
  if (o.user !== undefined && (typeof o.user !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/.test(o.user))) {
    out.push({ path: "override.user", message: `${show(o.user)} is not a container user; allowed: "name", "uid" or "uid:gid"` });
  }
  const known = typeof name === "string" && name in TPOT.honeypots ? portKeys(TPOT.honeypots[name]) : undefined;
  (o.ports ?? []).forEach((p, i) => {
    if (known && !known.includes(p)) out.push({ path: `override.ports[${i}]`, message: `${show(p)} is not a port of ${name}; allowed: ${known.map((k) => `"${k}"`).join(", ")}` });
  });
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (!ENV_KEY.test(k)) out.push({ path: `override.env.${k}`, message: `${show(k)} is not an environment variable name; allowed: letters, digits, _ and ., not starting with a digit` });
    else if (typeof v !== "string") out.push({ path: `override.env.${k}`, message: `${show(v)} is not a string` });
  }
  if (props.hive !== undefined && props.logstash !== undefined) out.push({ path: "logstash", message: "is set together with hive; a host ships to one of them" });
  else if (props.hive === undefined) out.push(...logstashTargetProblems("logstash", props.logstash));
  else out.push(...logstashTargetProblems("hive.target", { address: props.hive.target.address, ...(props.hive.target.port !== undefined ? { port: props.hive.target.port } : {}) }));
  if (props.elasticVersion !== undefined && !VERSION.test(props.elasticVersion)) out.push({ path: "elasticVersion", message: `${show(props.elasticVersion)} is not a version; allowed: like 8.17.0` });
  if (props.shipperImage !== undefined) out.push(...imageProblems("shipperImage", props.shipperImage));
  if (out.some((p) => p.path === "honeypot")) return { problems: [...out, ...adminSshProblems(props.adminSsh, [])] };

  const entry = catalogEntry(name);
  const ports = hostPorts(entry, o.ports);
  out.push(...adminSshProblems(props.adminSsh, ports.map((p) => ({ port: p.host, protocol: p.protocol, owner: name }))));
  if (out.length > 0) return { problems: out };
  const peers = internalPeers(name);
  return { problems: [], plan: { honeypot: entry, peers, ports, logInputs: logstashInputs([entry, ...peers]) } };
}

/** The plan of a honeypot host; throws every problem of the props at once. */
export function planHoneypotHost(props: HoneypotHostProps): HoneypotHostPlan {
  const { problems, plan } = honeypotHostProblems(props);
  assertNoProblems("honeypotHostCloudInit", problems);
  return plan!;
}

/** `/data/<folder>` and every folder above it up to `/data`, so each is owned by T-Pot's user. */
function withParents(folders: readonly string[]): string[] {
  const all = new Set<string>(["/data"]);
  for (const f of folders) {
    const parts = f.split("/");
    for (let i = 1; i <= parts.length; i++) all.add(`/data/${parts.slice(0, i).join("/")}`);
  }
  return [...all].sort();
}

/** The folders of a honeypot on the host, by catalog folder, mounted where T-Pot mounts them. */
const folderMounts = (e: CatalogHoneypot) => [...e.logFolders, ...e.dataFolders].map((f) => `/data/${f.folder}:${f.containerPath}`);

/** One compose service of T-Pot's definition; `ports` only for the public member. */
function honeypotService(e: CatalogHoneypot, opts: { image: string; env: Record<string, string>; ports: readonly HostPort[]; user?: string; dependsOn: readonly string[] }): Record<string, unknown> {
  const extras = COMPOSE_EXTRAS[e.name] ?? {};
  const env = Object.fromEntries(Object.entries(opts.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const mounts = folderMounts(e);
  return {
    image: opts.image,
    restart: "always",
    ...(opts.user !== undefined ? { user: opts.user } : {}),
    ...(extras.command !== undefined ? { command: extras.command } : {}),
    ...(extras.tty ? { tty: true } : {}),
    read_only: e.readOnlyRootFilesystem,
    // T-Pot creates every tmpfs for its user 2000.
    ...(e.scratch.length > 0 ? { tmpfs: e.scratch.map((p) => `${p}:uid=${TPOT_OWNER.uid},gid=${TPOT_OWNER.gid}`) } : {}),
    ...(Object.keys(env).length > 0 ? { environment: env } : {}),
    ...(opts.ports.length > 0 ? { ports: opts.ports.map((p) => ({ target: p.container, published: p.host, protocol: p.protocol as Protocol, mode: "host" })) } : {}),
    ...(mounts.length > 0 ? { volumes: mounts } : {}),
    ...(opts.dependsOn.length > 0 ? { depends_on: [...opts.dependsOn] } : {}),
    networks: ["honeypot"],
  };
}

/** Fields Filebeat adds that T-Pot's file inputs do not. */
export const BEATS_METADATA: readonly string[] = ["agent", "ecs", "host", "input", "log"];

/** What a shipper to a hive adds to {@link filebeatConfig}. A {@link HiveShipping} is one. */
export interface FilebeatHive {
  /** `t-pot_hostname` of the events, e.g. `lure-azure`. */
  readonly sensorName: string;
  /** The TLS credential's files. @default HIVE_FILES, where a sensor VM keeps them */
  readonly files?: Readonly<Record<HiveCredentialKey, string>>;
}

export interface FilebeatOptions {
  /**
   * How Filebeat tells files apart in its registry. `path` where the device id of the log folders may
   * differ on the next start (network file systems such as EFS), which would make every file new.
   * @default Filebeat's own (`native`: inode and device)
   */
  readonly fileIdentity?: "path";
}

/**
 * Filebeat's configuration: one filestream input per catalog log input, `type` as T-Pot's pipeline sets
 * it; to a hive, over TLS with the sensor's name on every event.
 */
export function filebeatConfig(honeypot: string, inputs: readonly LogstashInput[], target: LogstashTarget, hive?: FilebeatHive, options: FilebeatOptions = {}): Record<string, unknown> {
  return {
    name: honeypot,
    "filebeat.inputs": inputs.map((i) => ({
      type: "filestream",
      id: slug(`${i.type} ${i.path}`),
      paths: [i.path],
      ...(options.fileIdentity === "path" ? { "file_identity.path": null } : {}),
      // T-Pot's codec => json: each line is one JSON event at the top level.
      ...(i.codec === "json" ? { parsers: [{ ndjson: { target: "", add_error_key: true } }] } : {}),
      fields: { type: i.type, ...(hive ? { [SENSOR_FIELD]: hive.sensorName } : {}) },
      fields_under_root: true,
    })),
    // Events as T-Pot's file inputs make them: `path` is the log file, and none of Beats' own metadata,
    // whose objects (`host`, `log`) would clash with the fields T-Pot's index template leaves to strings.
    processors: [
      { copy_fields: { fields: [{ from: "log.file.path", to: "path" }], fail_on_error: false, ignore_missing: true } },
      { drop_fields: { fields: [...BEATS_METADATA], ignore_missing: true } },
    ],
    "output.logstash": { hosts: [`${target.address}:${target.port ?? DEFAULT_SHIPPER_PORT}`], ...(hive ? filebeatHiveTls(hive.files) : {}) },
    "http.enabled": false,
    "logging.to_stderr": true,
  };
}

/** The `#cloud-config` document of the honeypot host for `props.honeypot`. Deterministic. */
export function honeypotHostCloudInit(props: HoneypotHostProps): string {
  const plan = planHoneypotHost(props);
  const { honeypot: entry, peers } = plan;
  const o = props.override ?? {};
  const services: Record<string, unknown> = {};
  for (const peer of [...peers].reverse()) {
    services[peer.name] = honeypotService(peer, { image: peer.image, env: honeypotEnvironment(peer.env), ports: [], dependsOn: peer.talksTo.filter((t) => t in TPOT.honeypots) });
  }
  services[entry.name] = honeypotService(entry, {
    image: o.image ?? entry.image,
    env: { ...honeypotEnvironment(entry.env), ...(o.env ?? {}) },
    ports: plan.ports,
    ...(o.user !== undefined ? { user: o.user } : {}),
    dependsOn: entry.talksTo.filter((t) => t in TPOT.honeypots),
  });

  const hive = props.hive;
  const target: LogstashTarget = hive ? { address: hive.target.address, port: hive.target.port ?? HIVE_PORT } : props.logstash!;
  const shipperFile = `${LURE_DIR}/filebeat.yml`;
  const logFolders = [...new Set(plan.logInputs.map((i) => i.folder))];
  services.shipper = {
    image: props.shipperImage ?? `docker.elastic.co/beats/filebeat:${props.elasticVersion ?? DEFAULT_ELASTIC_VERSION}`,
    restart: "always",
    // T-Pot's user: reads the 0770 log folders, writes its registry, nothing else.
    user: `${TPOT_OWNER.uid}:${TPOT_OWNER.gid}`,
    read_only: true,
    command: ["filebeat", "-e", "--strict.perms=true", "-c", "/usr/share/filebeat/filebeat.yml"],
    volumes: [
      `${shipperFile}:/usr/share/filebeat/filebeat.yml:ro`,
      "/data/shipper:/usr/share/filebeat/data",
      ...logFolders.map((f) => `/data/${f}:/data/${f}:ro`),
      ...(hive ? [`${HIVE_CREDENTIAL_DIR}:${HIVE_CREDENTIAL_DIR}:ro`] : []),
    ],
    tmpfs: ["/tmp"],
    networks: ["shipper"],
  };

  const compose = {
    name: "lure",
    services,
    // The honeypots and the shipper on separate networks: a compromised honeypot does not share one with it.
    networks: { honeypot: {}, shipper: {} },
  };
  const folders = [...plan.honeypot.logFolders, ...plan.honeypot.dataFolders, ...peers.flatMap((p) => [...p.logFolders, ...p.dataFolders])].map((f) => f.folder);
  const dirs = withParents([...folders, "shipper"]);
  const files: WriteFile[] = [
    // Filebeat refuses a config that others may write (strict.perms); root-owned 0644 passes.
    { path: shipperFile, content: toYaml(filebeatConfig(entry.name, plan.logInputs, target, hive)), owner: "root:root", permissions: "0644" },
    ...(hive
      ? [
          { path: HIVE_CREDENTIAL_SCRIPT, content: hiveCredentialScript(hive.credential, TPOT_OWNER), owner: "root:root", permissions: "0755" },
          { path: `/etc/systemd/system/${HIVE_CREDENTIAL_UNIT}`, content: hiveCredentialUnit(), owner: "root:root", permissions: "0644" },
          { path: `/etc/systemd/system/${METADATA_UNIT}`, content: metadataUnit(), owner: "root:root", permissions: "0644" },
        ]
      : []),
  ];
  const prepare: Command[] = [
    ["install", "-d", "-o", String(TPOT_OWNER.uid), "-g", String(TPOT_OWNER.gid), "-m", "0770", ...dirs],
    // The honeypots start without it; the shipper restarts until the credential is there.
    // The VM has an identity: keep the containers off the metadata service before any starts.
    ...(hive
      ? [
          ["install", "-d", "-o", "0", "-g", String(TPOT_OWNER.gid), "-m", "0750", HIVE_CREDENTIAL_DIR],
          ["systemctl", "daemon-reload"],
          ["systemctl", "enable", "--now", METADATA_UNIT],
          ["systemctl", "enable", "--now", "--no-block", HIVE_CREDENTIAL_UNIT],
        ]
      : []),
  ];
  return renderCloudConfig(props.adminSsh, { compose, files, prepare });
}

