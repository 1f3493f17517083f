/**
 * The Elastic Stack parts every cloud's honeynet shares: the version and images, and which log file
 * is which of T-Pot's `type`s (its Logstash pipeline, in `analytics.ts`, does the rest). Cloud-neutral:
 * no CDK, no provider.
 */
import { TPOT_LOGSTASH } from "./analytics";
import type { CatalogHoneypot } from "./catalog";

/** The Elastic Stack version of the official images when the config names none. */
export const DEFAULT_ELASTIC_VERSION = "8.17.0";

/** A Logstash file input and the log folder it reads. */
export interface LogstashInput {
  readonly folder: string;
  readonly path: string;
  readonly type: string;
  readonly codec: "json" | "plain";
}

/**
 * The catalog's log inputs for these honeypots, each once, with the log folder that holds it. A group
 * shares folders (snare's events are in tanner's log), so the folder may belong to another member.
 */
export function logstashInputs(entries: readonly CatalogHoneypot[]): LogstashInput[] {
  const folders = entries.flatMap((e) => e.logFolders.map((f) => f.folder));
  const out = new Map<string, LogstashInput>();
  for (const e of entries) {
    for (const input of e.logInputs) {
      const folder = folders.find((f) => input.path.startsWith(`/data/${f}/`));
      if (!folder) throw new Error(`catalog: ${e.name} logs to ${input.path}, which no deployed honeypot writes`);
      out.set(input.path, { folder, ...input });
    }
  }
  return [...out.values()];
}

/**
 * The three images unless replaced: Elastic's Elasticsearch and Kibana of `version`, and T-Pot's
 * Logstash of the catalog's release, whose pipeline is the one T-Pot's dashboards are built on.
 */
export function elasticImages(version = DEFAULT_ELASTIC_VERSION, images: { readonly elasticsearch?: string; readonly logstash?: string; readonly kibana?: string } = {}) {
  return {
    elasticsearch: images.elasticsearch ?? `docker.elastic.co/elasticsearch/elasticsearch:${version}`,
    logstash: images.logstash ?? TPOT_LOGSTASH.image,
    kibana: images.kibana ?? `docker.elastic.co/kibana/kibana:${version}`,
  };
}

/** Kibana's `server.name`: one name for every deployment's dashboard, as Kibana shows it. */
export const KIBANA_SERVER_NAME = "lure-kibana";

/**
 * Kibana's container environment wherever it runs (a VM, Cloud Run): Elasticsearch as a one-entry
 * list (the image turns ELASTICSEARCH_HOSTS into elasticsearch.hosts), every interface, telemetry off
 * and locked off, the public base URL when there is one.
 */
export function kibanaEnvironment(elasticsearchUrl: string, publicBaseUrl?: string): Record<string, string> {
  return {
    ELASTICSEARCH_HOSTS: JSON.stringify([elasticsearchUrl]),
    SERVER_HOST: "0.0.0.0",
    SERVER_NAME: KIBANA_SERVER_NAME,
    ...(publicBaseUrl !== undefined ? { SERVER_PUBLICBASEURL: publicBaseUrl } : {}),
    TELEMETRY_OPTIN: "false",
    TELEMETRY_ALLOWCHANGINGOPTINSTATUS: "false",
  };
}
