/** Parsing helpers for the host cloud-init tests: every document is read with the yaml library. */
import { parse } from "yaml";
import { TPOT, honeypot as catalogEntry } from "../../modules/core/catalog";
import { COMPOSE_FILE } from "../../modules/core/host";

export interface CloudConfig {
  packages: string[];
  ssh_pwauth: boolean;
  disable_root: boolean;
  ssh_authorized_keys?: string[];
  write_files: { path: string; owner: string; permissions: string; content: string }[];
  runcmd: string[][];
  [key: string]: unknown;
}

export interface ComposePort {
  target: number;
  published: number;
  protocol: string;
  mode: string;
}

export interface ComposeService {
  image: string;
  restart: string;
  user?: string;
  command?: string | string[];
  entrypoint?: string[];
  healthcheck?: { test: string[]; interval: string; timeout: string; retries: number; start_period: string };
  tty?: boolean;
  read_only: boolean;
  tmpfs?: string[];
  environment?: Record<string, string>;
  ports?: ComposePort[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  networks: string[];
  cap_add?: string[];
  ulimits?: Record<string, { soft: number; hard: number }>;
  mem_limit?: string;
}

export function cloudConfig(text: string): CloudConfig {
  const [first] = text.split("\n", 1);
  if (first !== "#cloud-config") throw new Error(`first line is ${JSON.stringify(first)}, not #cloud-config`);
  return parse(text) as CloudConfig;
}

export function file(doc: CloudConfig, path: string): string {
  const f = doc.write_files.find((w) => w.path === path);
  if (!f) throw new Error(`no write_files entry ${path}; have ${doc.write_files.map((w) => w.path).join(", ")}`);
  return f.content;
}

/** A compose value as Compose reads it: `$$` is one `$`; any other `$` (but a Terraform `${`) would be a variable of Compose's, an error here. */
function asComposeReadsIt(value: unknown, at: string): unknown {
  if (typeof value === "string") {
    const lone = /\$(?![${])/.exec(value.replace(/\$\$/g, ""));
    if (lone) throw new Error(`compose value at ${at} has an unescaped $ Compose would substitute: ${JSON.stringify(value.slice(Math.max(0, lone.index - 20), lone.index + 20))}`);
    return value.replace(/\$\$/g, "$");
  }
  if (Array.isArray(value)) return value.map((v, i) => asComposeReadsIt(v, `${at}[${i}]`));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asComposeReadsIt(v, `${at}.${k}`)]));
  return value;
}

/** A compose file's text, parsed, with its values as Compose reads them (see asComposeReadsIt). */
export function parseCompose(text: string): { name: string; services: Record<string, ComposeService>; networks: Record<string, unknown> } {
  return asComposeReadsIt(parse(text), "compose") as ReturnType<typeof parseCompose>;
}

/** The compose project of the document, its values as Compose reads them. */
export const compose = (doc: CloudConfig): ReturnType<typeof parseCompose> => parseCompose(file(doc, COMPOSE_FILE));

/** Every published host port of the compose project, `port/protocol`. */
export const publishedPorts = (doc: CloudConfig): string[] =>
  Object.values(compose(doc).services).flatMap((s) => (s.ports ?? []).map((p) => `${p.published}/${p.protocol}`));

/** The `Port` values of lure's sshd drop-in. */
export const sshdPorts = (doc: CloudConfig): number[] =>
  file(doc, "/etc/ssh/sshd_config.d/00-lure.conf")
    .split("\n")
    .filter((l) => /^Port /.test(l))
    .map((l) => Number(l.slice(5)));

/** The error a function throws (for asserting its problems exactly). */
export function thrown(fn: () => unknown): Error & { problems?: { path: string; message: string }[] } {
  try {
    fn();
  } catch (e) {
    return e as Error & { problems?: { path: string; message: string }[] };
  }
  throw new Error("did not throw");
}

/** One VM's cloud-init files by path, however its cloud carries the document. */
export type FileOf = (path: string) => string;

/** The Elastic VM as Azure and Google Cloud render it: T-Pot's Logstash of the catalog's release behind the Beats input, labelled `hostname`, with T-Pot's heaps. */
export function expectTpotElasticHost(fileOf: FileOf, hostname: string): void {
  const { services } = parseCompose(fileOf(COMPOSE_FILE));
  expect(services.logstash.image).toBe(`ghcr.io/telekom-security/logstash:${TPOT.source.version}`);
  expect(services.logstash.environment).toMatchObject({ MY_HOSTNAME: hostname, TPOT_TYPE: "HIVE", LS_JAVA_OPTS: "-Xms1024m -Xmx1024m" });
  expect(services.elasticsearch.environment?.ES_JAVA_OPTS).toBe("-Xms2048m -Xmx2048m");
  expect(fileOf("/etc/lure/logstash/start.sh")).toContain("beats { port => 5044 ecs_compatibility => disabled }");
}

/** Each log path the honeypot VMs' Filebeat ships, with its `type`, sorted; every one of them must send to `logstash`. */
export function shippedLogTypes(hosts: readonly FileOf[], logstash: string): [string, string][] {
  const shipped = new Map<string, string>();
  for (const fileOf of hosts) {
    const conf = parse(fileOf("/etc/lure/filebeat.yml"));
    expect(conf["output.logstash"].hosts).toEqual([logstash]);
    for (const i of conf["filebeat.inputs"]) shipped.set(i.paths[0], i.fields.type);
  }
  return [...shipped.entries()].sort();
}

/** The catalog's log paths of these honeypots with T-Pot's `type`, each path once (snare and tanner name the same log), sorted. */
export const catalogLogTypes = (names: readonly string[]): [string, string][] =>
  [...new Map(names.flatMap((n) => catalogEntry(n).logInputs.map((i) => [i.path, i.type] as const))).entries()].sort();

/**
 * A hive sensor's Filebeat (`filebeat.yml` of a honeypot host): to `target` over TLS with the
 * sensors' certificate (files under /etc/lure/hive), the chain checked, every input named `sensorName`.
 */
export function expectHiveShipping(filebeatYaml: string, target: string, sensorName: string): void {
  const conf = parse(filebeatYaml) as { "output.logstash": unknown; "filebeat.inputs": { fields: Record<string, string> }[] };
  expect(conf["output.logstash"]).toEqual({
    hosts: [target],
    "ssl.enabled": true,
    "ssl.certificate_authorities": ["/etc/lure/hive/ca.crt"],
    "ssl.certificate": "/etc/lure/hive/sensor.crt",
    "ssl.key": "/etc/lure/hive/sensor.key",
    "ssl.verification_mode": "certificate",
    "ssl.supported_protocols": ["TLSv1.2", "TLSv1.3"],
  });
  expect(conf["filebeat.inputs"].length).toBeGreaterThan(0);
  for (const input of conf["filebeat.inputs"]) expect(input.fields).toEqual({ type: expect.any(String), lure_sensor: sensorName });
}
