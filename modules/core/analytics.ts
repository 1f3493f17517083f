/**
 * T-Pot's own analytics on any cloud: T-Pot's Logstash image with the pipeline it ships (its filters,
 * GeoIP and ASN lookups, IP reputation, `logstash-*` indices with T-Pot's template and 30-day ILM
 * policy), and a one-shot step that imports T-Pot's Kibana saved objects (its dashboards, the
 * `logstash-*` index pattern, the default route) from T-Pot's init image of the same release.
 * Cloud-neutral: scripts, environment and sizes only; each cloud module wires them.
 *
 * Why T-Pot's image and not a reproduction of its pipeline: the pipeline is ~800 lines of per-honeypot
 * filters that T-Pot's dashboards are built on, and it changes with each release. Running it from the
 * pinned image keeps the fields exactly T-Pot's, and moving to a new release is one catalog import.
 */
import { TPOT, type TpotImage } from "./catalog";
import { HIVE_CREDENTIAL_RETRY_SECONDS, HIVE_LOGSTASH_ENV, hiveBeatsInput, hiveFiles, hiveSensorFilter, type HiveInputTls } from "./hive";
import { resourceName } from "./naming";

/** The T-Pot release the analytics come from (the catalog's). */
export const TPOT_RELEASE: string = TPOT.analytics.release;

/** T-Pot's Logstash image of the release: its pipeline, its template, its entrypoint. */
export const TPOT_LOGSTASH: TpotImage = TPOT.analytics.logstash;

/** T-Pot's init image of the release, which carries the Kibana saved objects. */
export const TPOT_INIT: TpotImage = TPOT.analytics.tpotinit;

/** The saved objects inside {@link TPOT_INIT} (T-Pot copies its `dist/` to `/opt/tpot`). */
export const TPOT_KIBANA_OBJECTS = "/opt/tpot/etc/objects/kibana_export.ndjson.zip";

/** T-Pot's pipeline inside its Logstash image. */
export const TPOT_PIPELINE = "/etc/logstash/logstash.conf";

/** T-Pot's Logstash entrypoint: translation maps, the `tpot` ILM policy, then Logstash on `pipelines.yml`. */
export const TPOT_LOGSTASH_ENTRYPOINT = "/usr/bin/entrypoint.sh";

/** Where Logstash reads its pipeline list in T-Pot's image. */
export const TPOT_PIPELINES_YML = "/usr/share/logstash/config/pipelines.yml";

/**
 * The oldest Elastic Stack version the analytics accept: T-Pot's Logstash and saved objects of the
 * release are 8.16.1, and Kibana refuses saved objects exported from a newer Kibana than itself.
 */
export const MIN_ELASTIC_VERSION = "8.16.1";

/** Whether `version` (x.y.z) is at least {@link MIN_ELASTIC_VERSION} within major 8. */
export function analyticsVersionOk(version: string): boolean {
  const [a, b, c] = version.split(".").map(Number);
  const [x, y, z] = MIN_ELASTIC_VERSION.split(".").map(Number);
  return a === x && (b > y || (b === y && c >= z));
}

/** `t-pot_hostname` of a honeynet's events: its prefix and cloud, so one Kibana tells the clouds apart. */
export const analyticsHostname = (prefix: string, cloud: string): string => resourceName(prefix, [cloud]);

/**
 * Logstash's environment for T-Pot's image: HIVE (T-Pot's entrypoint then puts its ILM policy on
 * Elasticsearch and keeps the indexing pipeline), the name of the honeynet and cloud, the heap.
 */
export function tpotLogstashEnvironment(opts: { readonly hostname: string; readonly heapMb: number }): Record<string, string> {
  return {
    LS_JAVA_OPTS: javaHeap(opts.heapMb),
    MY_HOSTNAME: opts.hostname,
    TPOT_TYPE: "HIVE",
  };
}

/**
 * The pipeline list lure gives T-Pot's image on a host whose honeypots ship over Beats: one pipeline,
 * T-Pot's own with its file inputs swapped for the Beats input ({@link tpotLogstashStartScript} writes it).
 */
export function tpotBeatsPipelines(pipelinePath: string): string {
  return ["- pipeline.id: tpot", `  path.config: "${pipelinePath}"`, "  pipeline.ecs_compatibility: disabled", ""].join("\n");
}

/** Where the start script looks up the host's public address (plain text, one IPv4 address). */
export const PUBLIC_IP_URL = "https://checkip.amazonaws.com";

/** Elasticsearch as T-Pot's pipeline and entrypoint name it. */
export const TPOT_ELASTICSEARCH_URL = "http://elasticsearch:9200";

/**
 * The start script of T-Pot's Logstash on every cloud, before T-Pot's entrypoint:
 *
 * - `MY_EXTIP` and `MY_INTIP` exported. T-Pot's pipeline refers to them (its tpotinit writes them on a
 *   T-Pot host) and Logstash will not build a pipeline with an undefined reference. `MY_EXTIP` is the
 *   address the Elastic host reaches the internet from (the honeynet's region, which is what T-Pot's
 *   `geoip_ext` and the attack map's arcs need; each honeypot's own address is in its events), empty
 *   if it cannot be looked up; `MY_INTIP` is empty. Set here rather than in the container's
 *   environment, because ECS drops environment entries with empty values.
 * - A wait until Elasticsearch answers: T-Pot's entrypoint checks for its `tpot` ILM policy (30-day
 *   retention) once, at start, and creates nothing when Elasticsearch is not up yet.
 * - With `beats` (VM honeynets, whose honeypots ship over Beats): T-Pot's pipeline from its
 *   `filter {` section on (filters and Elasticsearch output, unchanged), with a Beats input in front
 *   in place of its file inputs, written where `pipelines.yml` points. The shippers set T-Pot's
 *   `type` per log file and decode JSON lines to the top level, as T-Pot's file inputs do. A release
 *   whose pipeline lacks the sections stops the container with a log line instead of indexing nothing.
 *
 * Written without `${` and `%{`, so it passes through Terraform strings unchanged.
 */
export function tpotLogstashStartScript(
  opts: {
    readonly beats?: {
      readonly port: number;
      readonly pipelinePath: string;
      /** The hive's input: TLS with client certificates, the credential from {@link HIVE_LOGSTASH_ENV}, sensors' events named by sensor. */
      readonly hive?: HiveInputTls;
      /** Also point `pipelines.yml` at the pipeline (where it cannot be mounted, as on Fargate). @default false */
      readonly writePipelines?: boolean;
    };
  } = {},
): string {
  const beats = opts.beats;
  const hive = beats?.hive;
  const files = hive ? hiveFiles(hive.dir, "server") : undefined;
  // The hive's input: its credential from the environment (ECS secrets) into files only this user
  // reads, or, where the host fetches it at boot (VMs), a wait until its files are there.
  const credential = !hive || !files
    ? []
    : hive.mounted
      ? [
          `until [ -s ${files.ca} ] && [ -s ${files.certificate} ] && [ -s ${files.key} ]; do echo "lure: waiting for the hive credential in ${hive.dir} (the host fetches it from the secret store; write it with npm run hive:credentials)"; sleep ${HIVE_CREDENTIAL_RETRY_SECONDS}; done`,
        ]
      : [
          `for v in ${Object.values(HIVE_LOGSTASH_ENV).join(" ")}; do`,
          '  [ -n "$(printenv "$v")" ] || { echo "lure: $v is empty: the hive credential secret has no value; write it with npm run hive:credentials" >&2; exit 1; }',
          "done",
          `mkdir -p -m 0700 ${hive.dir}`,
          "umask 077",
          `printf '%s\\n' "$${HIVE_LOGSTASH_ENV.ca}" > ${files.ca}`,
          `printf '%s\\n' "$${HIVE_LOGSTASH_ENV.certificate}" > ${files.certificate}`,
          `printf '%s\\n' "$${HIVE_LOGSTASH_ENV.key}" > ${files.key}`,
          `unset ${Object.values(HIVE_LOGSTASH_ENV).join(" ")}`,
        ];
  const rewrite = beats
    ? [
        ...credential,
        `SRC=${TPOT_PIPELINE}`,
        `DST=${beats.pipelinePath}`,
        "for section in input filter output; do",
        '  grep -q "^$section {" "$SRC" || { echo "lure: $SRC has no top-level $section section; this is not the T-Pot pipeline lure knows, not starting" >&2; exit 1; }',
        "done",
        `mkdir -p ${beats.pipelinePath.slice(0, beats.pipelinePath.lastIndexOf("/"))}`,
        "{",
        '  echo "input {"',
        hive ? `  echo "  ${hiveBeatsInput(beats.port, hive)}"` : `  echo "  beats { port => ${beats.port} ecs_compatibility => disabled }"`,
        '  echo "}"',
        "  sed -n '/^filter {/,$p' \"$SRC\"",
        ...(hive ? hiveSensorFilter().split("\n").map((l) => `  echo '${l}'`) : []),
        '} > "$DST"',
        ...(beats.writePipelines ? [`cat > ${TPOT_PIPELINES_YML} <<'PIPELINES'`, ...tpotBeatsPipelines(beats.pipelinePath).trimEnd().split("\n"), "PIPELINES"] : []),
        `echo "lure: T-Pot pipeline ready with the ${hive ? "hive's TLS " : ""}Beats input on port ${beats.port}"`,
      ]
    : [];
  return [
    "#!/bin/bash",
    `# lure: T-Pot's Logstash${hive ? " for the hive: a TLS Beats input for the sensors" : beats ? " with a Beats input in place of its file inputs" : ""}.`,
    "set -euo pipefail",
    // The address the host reaches the internet from, as T-Pot's tpotinit finds its own: the pipeline's
    // geoip_ext, which the attack map draws from. Empty when it cannot be found.
    `MY_EXTIP=$(curl -fsS --max-time 10 ${PUBLIC_IP_URL} 2>/dev/null | tr -d '[:space:]' | grep -E '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$' || true)`,
    'MY_INTIP=""',
    "export MY_EXTIP MY_INTIP",
    'echo "lure: MY_EXTIP=$MY_EXTIP"',
    `until curl -fs --max-time 10 -o /dev/null ${TPOT_ELASTICSEARCH_URL}/_cluster/health; do echo "lure: waiting for Elasticsearch at ${TPOT_ELASTICSEARCH_URL}"; sleep 10; done`,
    ...rewrite,
    `exec ${TPOT_LOGSTASH_ENTRYPOINT}`,
    "",
  ].join("\n");
}

/** Kibana's health as a shell command of its container (Elastic's image has curl): its status API answers 200. */
export const KIBANA_HEALTH_COMMAND = "curl -fsS -o /dev/null http://127.0.0.1:5601/api/status || exit 1";

/** Name of the container that imports T-Pot's Kibana objects, on every cloud. */
export const KIBANA_OBJECTS_CONTAINER = "kibana-objects";

export interface KibanaObjectsStepProps {
  /** Kibana as the step reaches it, e.g. `http://127.0.0.1:5601` (same task or pod) or `http://kibana:5601`. */
  readonly kibanaUrl: string;
  /** Seconds to wait for Kibana's status API before failing. @default 900 */
  readonly waitSeconds?: number;
  /**
   * What the container does once the objects are in: `exit` (a one-shot container the platform lets
   * finish, ECS and compose) or `stay` (sleep, also after a failure, for platforms that restart any
   * container that ends: Cloud Run and Container Apps sidecars).
   * @default "exit"
   */
  readonly afterwards?: "exit" | "stay";
  /** Pull T-Pot's init image from Docker Hub rather than GitHub's registry (Cloud Run pulls only from Docker Hub and Google's registries). @default false */
  readonly dockerHub?: boolean;
}

/** The import step as a container: image, entrypoint and its one argument, the script. */
export interface KibanaObjectsStep {
  readonly name: string;
  readonly image: string;
  readonly entrypoint: readonly string[];
  readonly args: readonly string[];
}

/**
 * The script of the import step. Idempotent: the import overwrites objects of the same id, and the
 * settings it sets are those of T-Pot's export, so a second run (a redeploy, a Kibana restart) changes
 * nothing. Every outcome is a log line starting `lure-kibana-objects:`; a failure exits non-zero.
 * Written without `${` and `%{`, so it passes through Terraform strings unchanged.
 */
export function kibanaObjectsScript(props: KibanaObjectsStepProps): string {
  const wait = props.waitSeconds ?? 900;
  const lines = [
    "set -u",
    `KIBANA='${props.kibanaUrl}'`,
    `OBJECTS='${TPOT_KIBANA_OBJECTS}'`,
    "WORK=/tmp/lure-kibana-objects",
    'log() { echo "lure-kibana-objects: $*"; }',
    // Where the platform restarts a container that ends, a failure idles too: no re-import loop, the log line stays.
    props.afterwards === "stay"
      ? 'fail() { echo "lure-kibana-objects: FAILED: $*" >&2; while :; do sleep 86400; done; }'
      : 'fail() { echo "lure-kibana-objects: FAILED: $*" >&2; exit 1; }',
    `[ -f "$OBJECTS" ] || fail "$OBJECTS is not in this image (T-Pot's tpotinit ${TPOT_RELEASE} has it)"`,
    'rm -rf "$WORK" && mkdir -p "$WORK" && unzip -o -q "$OBJECTS" kibana_export.ndjson -d "$WORK" || fail "cannot unpack $OBJECTS"',
    'log "waiting for Kibana at $KIBANA"',
    "waited=0",
    // Quiet while waiting: Kibana answers 503 until it is up.
    'until curl -fs -o /dev/null "$KIBANA/api/status"; do',
    `  [ "$waited" -lt ${wait} ] || fail "Kibana at $KIBANA did not answer within ${wait} s"`,
    "  sleep 10; waited=$((waited + 10))",
    "done",
    // Kibana answers its status before every plugin is up; a refused import is retried with backoff.
    "attempt=1",
    "while :; do",
    '  RESULT=$(curl -sS -X POST "$KIBANA/api/saved_objects/_import?overwrite=true" -H "kbn-xsrf: lure" --form file=@"$WORK/kibana_export.ndjson") && echo "$RESULT" | jq -e ".success == true" >/dev/null && break',
    '  [ "$attempt" -lt 5 ] || fail "Kibana did not take the objects: $(echo "$RESULT" | jq -c "[.errors[]? | {type, id, error: .error.type}] | .[0:5]" 2>/dev/null || echo "$RESULT" | head -c 500)"',
    '  log "import attempt $attempt refused, retrying"; sleep $((attempt * 15)); attempt=$((attempt + 1))',
    "done",
    'log "imported $(echo "$RESULT" | jq -r .successCount) saved objects of T-Pot ' + TPOT_RELEASE + ' (overwrite)"',
    // T-Pot's export carries its advanced settings under its own Kibana version's id; apply the two that
    // make it T-Pot's (the default index pattern and the landing dashboard) to this Kibana.
    'SETTINGS=$(jq -c "select(.type == \\"config\\") | {changes: {defaultIndex: .attributes.defaultIndex, defaultRoute: .attributes.defaultRoute}}" "$WORK/kibana_export.ndjson" | head -n 1)',
    '[ -n "$SETTINGS" ] || fail "the export has no config object with the default index and route"',
    'curl -fsS -o /dev/null -X POST "$KIBANA/api/kibana/settings" -H "kbn-xsrf: lure" -H "Content-Type: application/json" -d "$SETTINGS" || fail "could not set the default index pattern and dashboard"',
    'log "default index pattern and dashboard set: $SETTINGS"',
    ...(props.afterwards === "stay" ? ["# The platform restarts a container that ends: stay, idle.", "while :; do sleep 86400; done"] : ["exit 0"]),
    "",
  ];
  return lines.join("\n");
}

/** The import step as a container of T-Pot's init image (its entrypoint replaced by the script). */
export function kibanaObjectsStep(props: KibanaObjectsStepProps): KibanaObjectsStep {
  return {
    name: KIBANA_OBJECTS_CONTAINER,
    image: props.dockerHub ? TPOT_INIT.dockerHub : TPOT_INIT.image,
    entrypoint: ["/bin/sh", "-c"],
    args: [kibanaObjectsScript(props)],
  };
}

/** `honeynet.elastic.size`: one name for the Elastic stack's size on every cloud. */
export type ElasticSize = "small" | "standard" | "large";
export const ELASTIC_SIZE_NAMES: readonly ElasticSize[] = ["small", "standard", "large"];

export interface ElasticSizeSpec {
  /** Elasticsearch heap (MiB); its container may use twice that (T-Pot: 2048 in a 4 GiB limit). */
  readonly elasticsearchHeapMb: number;
  /** Logstash heap (MiB); its container may use twice that (T-Pot: 1024 in a 2 GiB limit). */
  readonly logstashHeapMb: number;
  /** AWS Fargate CPU units of the Elasticsearch and Logstash tasks (memory is twice the heap). */
  readonly awsCpu: { readonly elasticsearch: number; readonly logstash: number };
  /** Azure VM size of the Elastic host (Bsv2, x86-64). */
  readonly azureVmSize: string;
  /** Compute Engine machine type of the Elastic host. */
  readonly gcpMachineType: string;
  /**
   * The Elastic host of a hive (`honeynet.analytics.hive` on Azure or Google Cloud), which also runs
   * the hive's Logstash with the same heap: one size up, to hold a third container's limit.
   */
  readonly hive: { readonly azureVmSize: string; readonly gcpMachineType: string };
}

/**
 * The sizes. `standard` is T-Pot's own (Elasticsearch 2 GiB heap in 4 GiB, Logstash 1 GiB in 2 GiB);
 * each VM holds both containers' limits plus the host's share. `small` halves Elasticsearch and is for
 * a few honeypots or a short look; `large` doubles both for a full profile kept 30 days.
 */
export const ELASTIC_SIZES: Readonly<Record<ElasticSize, ElasticSizeSpec>> = {
  small: { elasticsearchHeapMb: 1024, logstashHeapMb: 768, awsCpu: { elasticsearch: 512, logstash: 512 }, azureVmSize: "Standard_B2ls_v2", gcpMachineType: "e2-medium", hive: { azureVmSize: "Standard_B2s_v2", gcpMachineType: "e2-standard-2" } },
  standard: { elasticsearchHeapMb: 2048, logstashHeapMb: 1024, awsCpu: { elasticsearch: 1024, logstash: 1024 }, azureVmSize: "Standard_B2s_v2", gcpMachineType: "e2-standard-2", hive: { azureVmSize: "Standard_B4s_v2", gcpMachineType: "e2-standard-4" } },
  large: { elasticsearchHeapMb: 4096, logstashHeapMb: 2048, awsCpu: { elasticsearch: 2048, logstash: 1024 }, azureVmSize: "Standard_B4s_v2", gcpMachineType: "e2-standard-4", hive: { azureVmSize: "Standard_B8s_v2", gcpMachineType: "e2-standard-8" } },
};

/** The size of `honeynet.elastic.size` (the default, `standard`, when unset). */
export const elasticSizeSpec = (size: ElasticSize = "standard"): ElasticSizeSpec => ELASTIC_SIZES[size];

/** A JVM's heap fixed at `heapMb` (minimum = maximum, as T-Pot sets Elasticsearch's and Logstash's). */
export const javaHeap = (heapMb: number): string => `-Xms${heapMb}m -Xmx${heapMb}m`;

/** Memory (MiB) a container gets for a heap: twice the heap, as T-Pot limits them. */
export const containerMemoryMb = (heapMb: number): number => heapMb * 2;

/** Fargate memory for a heap: twice the heap, rounded up to whole GiB (the steps Fargate accepts at these CPU sizes). */
export const fargateMemoryMb = (heapMb: number): number => Math.ceil(containerMemoryMb(heapMb) / 1024) * 1024;

/** T-Pot's attack map (its web server and data feeder share this image; `MAP_COMMAND` picks) and its Redis. */
export const TPOT_MAP: TpotImage = TPOT.analytics.map;
export const TPOT_MAP_REDIS: TpotImage = TPOT.analytics.mapRedis;

/** Where the map's web server listens (T-Pot's `map_web`): its page and its websocket. */
export const ATTACK_MAP_PORT = 64299;

/**
 * The attack map's three containers as T-Pot's compose file runs them. T-Pot's map (release 2.2.6 in
 * its image) reaches Redis as `map_redis` and Elasticsearch as `elasticsearch`, names fixed in its
 * code, and its page opens its websocket as `wss://<host>/websocket`: it works over HTTPS only.
 */
export const ATTACK_MAP_CONTAINERS: readonly { readonly name: string; readonly image: string; readonly environment: Readonly<Record<string, string>>; readonly readOnly: boolean }[] = [
  { name: "map_redis", image: TPOT_MAP_REDIS.image, environment: {}, readOnly: true },
  // T-Pot runs these with a TTY; without one, Python would hold their log lines in its buffer.
  { name: "map_data", image: TPOT_MAP.image, environment: { MAP_COMMAND: "DataServer_v2.py", TPOT_ATTACKMAP_TEXT: "ENABLED", TZ: "UTC", PYTHONUNBUFFERED: "1" }, readOnly: false },
  { name: "map_web", image: TPOT_MAP.image, environment: { MAP_COMMAND: "AttackMapServer.py", PYTHONUNBUFFERED: "1" }, readOnly: false },
];
