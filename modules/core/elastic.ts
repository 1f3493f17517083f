/**
 * The Elastic Stack parts every cloud's honeynet shares: the version and images, and the Logstash
 * side of T-Pot's indexing (which log file is which `type`, as `logstash-*`). Cloud-neutral: no CDK,
 * no provider.
 */
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

/** A Logstash pipeline that tails the honeypot logs and indexes them as T-Pot does (`logstash-*`). */
export function logstashPipeline(inputs: readonly LogstashInput[], elasticsearchUrl: string): string {
  const files = inputs.map(
    (i) => `  file { path => "${i.path}" type => "${i.type}" codec => ${i.codec} start_position => "beginning" mode => "tail" }`,
  );
  return [
    "input {",
    ...files,
    "}",
    "output {",
    `  elasticsearch { hosts => ["${elasticsearchUrl}"] index => "logstash-%{+YYYY.MM.dd}" }`,
    "}",
  ].join("\n");
}

/** The three images, official ones unless replaced. */
export function elasticImages(version = DEFAULT_ELASTIC_VERSION, images: { readonly elasticsearch?: string; readonly logstash?: string; readonly kibana?: string } = {}) {
  return {
    elasticsearch: images.elasticsearch ?? `docker.elastic.co/elasticsearch/elasticsearch:${version}`,
    logstash: images.logstash ?? `docker.elastic.co/logstash/logstash:${version}`,
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
