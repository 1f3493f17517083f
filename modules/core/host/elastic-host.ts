/**
 * The cloud-init document of the Elastic host (Azure and Google Cloud alike): Elasticsearch and
 * Logstash under Docker on one private VM, Elasticsearch's data on a separate disk. Logstash is T-Pot's
 * image running T-Pot's pipeline, its file inputs replaced by the Beats input the honeypot hosts'
 * shippers send to (`analytics.ts`); it reaches Elasticsearch as `elasticsearch`, the name T-Pot's
 * pipeline and entrypoint use, on the compose network. Kibana runs elsewhere (its own VM, Cloud Run)
 * and reaches Elasticsearch on the published port.
 *
 * ```ts
 * const userData = elasticHostCloudInit({ prefix: "lure", dataDisk: { device: "/dev/disk/azure/scsi1/lun0" } });
 * ```
 */
import type { ConfigProblem } from "../config";
import { resourceName, slug } from "../naming";
import { DEFAULT_ELASTIC_VERSION, elasticImages } from "../elastic";
import { containerMemoryMb, javaHeap, tpotBeatsPipelines, tpotLogstashEnvironment, tpotLogstashStartScript, TPOT_PIPELINES_YML } from "../analytics";
import { HIVE_CREDENTIAL_DIR, HIVE_CREDENTIAL_SCRIPT, HIVE_CREDENTIAL_UNIT, HIVE_PORT, hiveCredentialScript, hiveCredentialUnit, type HiveCredentialSource } from "../hive";
import {
  DEFAULT_SHIPPER_PORT,
  LURE_DIR,
  METADATA_UNIT,
  metadataUnit,
  adminSshProblems,
  assertNoProblems,
  portProblem,
  renderCloudConfig,
  show,
  type AdminSshProps,
  type WriteFile,
} from "./cloud-init";
import { imageProblems } from "./honeypot-host";

/** The disk that holds Elasticsearch's data. Clouds name attached disks differently, so the path is given. */
export interface DataDiskProps {
  /**
   * Stable device path of the attached disk, e.g. `/dev/disk/azure/scsi1/lun0` (Azure, by LUN) or
   * `/dev/disk/by-id/google-<device name>` (Google Cloud). It is formatted (ext4) only when it carries
   * no signature at all; a disk with a file system is mounted as it is, anything else stops the stack.
   */
  readonly device: string;
  /** Where the disk is mounted. @default "/srv/elasticsearch" */
  readonly mountPoint?: string;
  /** Seconds to wait for the device at first boot (a cloud may attach it after the VM starts). @default 600 */
  readonly waitSeconds?: number;
}

export interface ElasticHostProps {
  /** Deployment prefix; names the Elasticsearch cluster (`<prefix>-honeynet`), as on AWS. */
  readonly prefix: string;
  readonly dataDisk: DataDiskProps;
  /**
   * As `honeynet.elastic` in the config. A replaced Logstash image must be T-Pot's (or built from it):
   * the host runs T-Pot's pipeline and entrypoint from it.
   * @default version 8.17.0: Elastic's Elasticsearch, T-Pot's Logstash of the catalog's release
   */
  readonly elastic?: { readonly version?: string; readonly images?: { readonly elasticsearch?: string; readonly logstash?: string } };
  /** `t-pot_hostname` of every event this host indexes, e.g. `lure-azure`: which honeynet and cloud it came from. @default `<prefix>-honeynet` */
  readonly hostname?: string;
  /** Port of Logstash's Beats input, where the honeypot hosts' shippers send. @default 5044 */
  readonly logstashPort?: number;
  /** Host port of Elasticsearch's HTTP API, for Kibana (the VM has no public address). @default 9200 */
  readonly elasticsearchPort?: number;
  /** Elasticsearch heap in MiB; the container may use twice that. @default 2048 (T-Pot's) */
  readonly elasticsearchHeapMb?: number;
  /** Logstash heap in MiB; the container may use twice that. @default 1024 (T-Pot's) */
  readonly logstashHeapMb?: number;
  /** Admin SSH. @default port 64295, no key */
  readonly adminSsh?: AdminSshProps;
  /**
   * The hive's input (`honeynet.analytics.hive` names this cloud): a second T-Pot Logstash, `logstash-hive`,
   * whose only input is Beats over TLS with client certificates required, published on `port`, its
   * credential fetched at every boot from the cloud's secret store with the VM's identity (retried until
   * the user has written it). The containers cannot reach the metadata service, so only the host can use
   * that identity. Same heap as the first Logstash: the VM must hold a third container's limit.
   * @default none
   */
  readonly hive?: { readonly credential: HiveCredentialSource; /** @default HIVE_PORT */ readonly port?: number };
}

export const DEFAULT_ES_MOUNT = "/srv/elasticsearch";
/** The official Elasticsearch image runs as uid 1000, gid 0. */
const ES_OWNER = "1000:0";
const DATA_DISK_SCRIPT = "/usr/local/sbin/lure-data-disk";
const LOGSTASH_DIR = `${LURE_DIR}/logstash`;
/** Inside the Logstash container: lure's start script, and the pipeline it writes from T-Pot's. */
const LOGSTASH_START = "/etc/lure-logstash/start.sh";
const LOGSTASH_PIPELINE = "/tmp/lure/tpot-beats.conf";
/** Inside the hive's Logstash container: its start script, its pipeline and the credential's mount. */
const HIVE_LOGSTASH_START = "/etc/lure-logstash/start-hive.sh";
const HIVE_LOGSTASH_PIPELINE = "/tmp/lure/tpot-hive.conf";
const HIVE_LOGSTASH_TLS = "/etc/lure-hive";
/** The Logstash user of T-Pot's image (uid and gid 2000, as every T-Pot image's): reads the credential files. */
const TPOT_LOGSTASH_GID = 2000;

/** Elasticsearch's health as a shell command of its container (Elastic's image has curl). */
export const ELASTICSEARCH_HEALTH_COMMAND = "curl -fs -o /dev/null http://127.0.0.1:9200/_cluster/health || exit 1";

const DEVICE = /^\/dev\/[A-Za-z0-9._:/-]+$/;
const ABSOLUTE = /^\/[A-Za-z0-9._/-]+$/;
const VERSION = /^\d+\.\d+\.\d+$/;

/** Waits for the disk, formats it only if it is blank, mounts it by UUID (also after reboots). */
function dataDiskScript(device: string, mountPoint: string, waitSeconds: number): string {
  return [
    "#!/bin/sh",
    "# lure: Elasticsearch's data disk. Formats only a disk without any signature (blkid -p finds none).",
    "set -eu",
    `DEVICE='${device}'`,
    `MOUNT='${mountPoint}'`,
    // azurerm attaches data disks after the VM exists, so the disk may show up after cloud-init starts.
    `i=0; while [ ! -b "$DEVICE" ]; do i=$((i+1)); [ "$i" -le ${waitSeconds} ] || { echo "lure: $DEVICE did not appear" >&2; exit 1; }; sleep 1; done`,
    'DEV=$(readlink -f "$DEVICE")',
    'blkid -p "$DEV" >/dev/null 2>&1 || mkfs.ext4 -q -L lure-esdata "$DEV"',
    'UUID=$(blkid -o value -s UUID "$DEV" || true)',
    '[ -n "$UUID" ] || { echo "lure: $DEVICE holds something other than a file system; not touching it" >&2; exit 1; }',
    'mkdir -p "$MOUNT"',
    'grep -q "^UUID=$UUID " /etc/fstab || echo "UUID=$UUID $MOUNT ext4 defaults,nofail 0 2" >> /etc/fstab',
    'mountpoint -q "$MOUNT" || mount "$MOUNT"',
    `install -d -o ${ES_OWNER.split(":")[0]} -g ${ES_OWNER.split(":")[1]} -m 0770 "$MOUNT/data"`,
    "",
  ].join("\n");
}

export function elasticHostProblems(props: ElasticHostProps): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (typeof props.prefix !== "string" || slug(props.prefix) === "") out.push({ path: "prefix", message: `${show(props.prefix)} is not a prefix; allowed: letters and digits, separated by hyphens` });
  const disk = props.dataDisk;
  if (!disk || typeof disk !== "object") out.push({ path: "dataDisk", message: `${show(disk)} is missing; give { device } of the attached data disk` });
  else {
    if (typeof disk.device !== "string" || !DEVICE.test(disk.device)) {
      out.push({ path: "dataDisk.device", message: `${show(disk.device)} is not a device path; allowed: /dev/… (letters, digits, . _ : / -), e.g. "/dev/disk/azure/scsi1/lun0" or "/dev/disk/by-id/google-es-data"` });
    }
    const m = disk.mountPoint;
    if (m !== undefined && (typeof m !== "string" || !ABSOLUTE.test(m) || m === "/" || m.split("/").includes(".."))) {
      out.push({ path: "dataDisk.mountPoint", message: `${show(m)} is not a mount point; allowed: an absolute path other than / (letters, digits, . _ / -, no ..)` });
    }
    const w = disk.waitSeconds;
    if (w !== undefined && !(Number.isInteger(w) && w >= 0 && w <= 3600)) out.push({ path: "dataDisk.waitSeconds", message: `${show(w)} is not a wait; allowed: whole seconds from 0 to 3600` });
  }
  const v = props.elastic?.version;
  if (v !== undefined && !VERSION.test(v)) out.push({ path: "elastic.version", message: `${show(v)} is not a version; allowed: like 8.17.0` });
  const h = props.hostname;
  if (h !== undefined && (typeof h !== "string" || !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(h))) {
    out.push({ path: "hostname", message: `${show(h)} is not a host name; allowed: up to 63 letters, digits and inner hyphens, e.g. "lure-azure"` });
  }
  for (const k of ["elasticsearch", "logstash"] as const) {
    const image = props.elastic?.images?.[k];
    if (image !== undefined) out.push(...imageProblems(`elastic.images.${k}`, image));
  }
  const lsPort = props.logstashPort ?? DEFAULT_SHIPPER_PORT;
  const esPort = props.elasticsearchPort ?? 9200;
  out.push(...portProblem("logstashPort", lsPort), ...portProblem("elasticsearchPort", esPort));
  if (lsPort === esPort) out.push({ path: "logstashPort", message: `${lsPort} is also elasticsearchPort; give them different ports` });
  for (const [path, heap] of [["elasticsearchHeapMb", props.elasticsearchHeapMb], ["logstashHeapMb", props.logstashHeapMb]] as const) {
    if (heap !== undefined && !(Number.isInteger(heap) && heap >= 256 && heap <= 31744)) out.push({ path, message: `${show(heap)} is not a heap size; allowed: whole MiB from 256 to 31744` });
  }
  const hivePort = props.hive ? (props.hive.port ?? HIVE_PORT) : undefined;
  if (hivePort !== undefined) {
    out.push(...portProblem("hive.port", hivePort));
    if (hivePort === lsPort || hivePort === esPort) out.push({ path: "hive.port", message: `${hivePort} is also ${hivePort === lsPort ? "logstashPort" : "elasticsearchPort"}; give the hive's input its own port` });
  }
  out.push(...adminSshProblems(props.adminSsh, [
    { port: lsPort, protocol: "tcp", owner: "logstash" },
    { port: esPort, protocol: "tcp", owner: "elasticsearch" },
    ...(hivePort !== undefined ? [{ port: hivePort, protocol: "tcp" as const, owner: "the hive's logstash" }] : []),
  ]));
  return out;
}

/** The `#cloud-config` document of the Elastic host. Deterministic. */
export function elasticHostCloudInit(props: ElasticHostProps): string {
  assertNoProblems("elasticHostCloudInit", elasticHostProblems(props));
  const images = elasticImages(props.elastic?.version ?? DEFAULT_ELASTIC_VERSION, props.elastic?.images ?? {});
  const mount = props.dataDisk.mountPoint ?? DEFAULT_ES_MOUNT;
  const lsPort = props.logstashPort ?? DEFAULT_SHIPPER_PORT;
  const esPort = props.elasticsearchPort ?? 9200;
  const esHeap = props.elasticsearchHeapMb ?? 2048;
  const lsHeap = props.logstashHeapMb ?? 1024;
  const hostname = props.hostname ?? resourceName(props.prefix, ["honeynet"]);
  const hive = props.hive ? { credential: props.hive.credential, port: props.hive.port ?? HIVE_PORT } : undefined;
  const compose = {
    name: "lure",
    services: {
      elasticsearch: {
        image: images.elasticsearch,
        restart: "always",
        // T-Pot's settings: single node, no security (private only), heap locked in memory.
        environment: {
          "bootstrap.memory_lock": "true",
          "cluster.name": resourceName(props.prefix, ["honeynet"]),
          "discovery.type": "single-node",
          ES_JAVA_OPTS: javaHeap(esHeap),
          "xpack.security.enabled": "false",
        },
        cap_add: ["IPC_LOCK"],
        ulimits: { memlock: { soft: -1, hard: -1 }, nofile: { soft: 65536, hard: 65536 } },
        mem_limit: `${containerMemoryMb(esHeap)}m`,
        ports: [{ target: 9200, published: esPort, protocol: "tcp", mode: "host" }],
        volumes: [`${mount}/data:/usr/share/elasticsearch/data`],
        // Its state for `docker compose ps`; Logstash's start script waits for Elasticsearch on its own.
        healthcheck: { test: ["CMD-SHELL", ELASTICSEARCH_HEALTH_COMMAND], interval: "10s", timeout: "5s", retries: 60, start_period: "60s" },
        networks: ["elastic"],
      },
      logstash: {
        image: images.logstash,
        restart: "always",
        entrypoint: ["/bin/bash", LOGSTASH_START],
        environment: tpotLogstashEnvironment({ hostname, heapMb: lsHeap }),
        mem_limit: `${containerMemoryMb(lsHeap)}m`,
        ports: [{ target: lsPort, published: lsPort, protocol: "tcp", mode: "host" }],
        volumes: [`${LOGSTASH_DIR}/start.sh:${LOGSTASH_START}:ro`, `${LOGSTASH_DIR}/pipelines.yml:${TPOT_PIPELINES_YML}:ro`],
        // Started, not healthy: the start script waits for Elasticsearch itself, and a slow first boot
        // must not fail `docker compose up` (the unit does not retry).
        depends_on: { elasticsearch: { condition: "service_started" } },
        networks: ["elastic"],
      },
      ...(hive
        ? {
            "logstash-hive": {
              image: images.logstash,
              restart: "always",
              entrypoint: ["/bin/bash", HIVE_LOGSTASH_START],
              environment: tpotLogstashEnvironment({ hostname, heapMb: lsHeap }),
              mem_limit: `${containerMemoryMb(lsHeap)}m`,
              ports: [{ target: hive.port, published: hive.port, protocol: "tcp", mode: "host" }],
              volumes: [`${LOGSTASH_DIR}/start-hive.sh:${HIVE_LOGSTASH_START}:ro`, `${LOGSTASH_DIR}/pipelines-hive.yml:${TPOT_PIPELINES_YML}:ro`, `${HIVE_CREDENTIAL_DIR}:${HIVE_LOGSTASH_TLS}:ro`],
              depends_on: { elasticsearch: { condition: "service_started" } },
              networks: ["elastic"],
            },
          }
        : {}),
    },
    networks: { elastic: {} },
  };
  const files: WriteFile[] = [
    { path: `${LOGSTASH_DIR}/start.sh`, content: tpotLogstashStartScript({ beats: { port: lsPort, pipelinePath: LOGSTASH_PIPELINE } }), owner: "root:root", permissions: "0755" },
    { path: `${LOGSTASH_DIR}/pipelines.yml`, content: tpotBeatsPipelines(LOGSTASH_PIPELINE), owner: "root:root", permissions: "0644" },
    { path: DATA_DISK_SCRIPT, content: dataDiskScript(props.dataDisk.device, mount, props.dataDisk.waitSeconds ?? 600), owner: "root:root", permissions: "0755" },
    // Elasticsearch refuses to start in production mode below this (it maps its index files).
    { path: "/etc/sysctl.d/60-lure-elasticsearch.conf", content: "vm.max_map_count = 262144\n", owner: "root:root", permissions: "0644" },
    ...(hive
      ? [
          {
            path: `${LOGSTASH_DIR}/start-hive.sh`,
            content: tpotLogstashStartScript({ beats: { port: hive.port, pipelinePath: HIVE_LOGSTASH_PIPELINE, hive: { dir: HIVE_LOGSTASH_TLS, mounted: true } } }),
            owner: "root:root",
            permissions: "0755",
          },
          { path: `${LOGSTASH_DIR}/pipelines-hive.yml`, content: tpotBeatsPipelines(HIVE_LOGSTASH_PIPELINE), owner: "root:root", permissions: "0644" },
          { path: HIVE_CREDENTIAL_SCRIPT, content: hiveCredentialScript(hive.credential, { gid: TPOT_LOGSTASH_GID }, "server"), owner: "root:root", permissions: "0755" },
          { path: `/etc/systemd/system/${HIVE_CREDENTIAL_UNIT}`, content: hiveCredentialUnit("server"), owner: "root:root", permissions: "0644" },
          { path: `/etc/systemd/system/${METADATA_UNIT}`, content: metadataUnit(), owner: "root:root", permissions: "0644" },
        ]
      : []),
  ];
  return renderCloudConfig(props.adminSsh, {
    compose,
    files,
    prepare: [
      ["sysctl", "-p", "/etc/sysctl.d/60-lure-elasticsearch.conf"],
      [DATA_DISK_SCRIPT],
      // The VM has an identity: keep the containers off the metadata service before any starts; the
      // hive's Logstash waits for the credential, which the unit fetches (and retries) in the background.
      ...(hive
        ? [
            ["install", "-d", "-o", "0", "-g", String(TPOT_LOGSTASH_GID), "-m", "0750", HIVE_CREDENTIAL_DIR],
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", METADATA_UNIT],
            ["systemctl", "enable", "--now", "--no-block", HIVE_CREDENTIAL_UNIT],
          ]
        : []),
    ],
    // Never let Elasticsearch write to the OS disk when the data disk is missing.
    unitRequires: [`RequiresMountsFor=${mount}`, `AssertPathIsMountPoint=${mount}`],
  });
}
