/**
 * The cloud-init document of a Kibana host (any cloud): Kibana under Docker on one VM, reading the
 * Elastic host's Elasticsearch over its private address, and T-Pot's saved objects imported into it
 * once it is healthy (`kibana-objects`, from T-Pot's init image; again at every boot, harmlessly). The
 * cloud's firewall or load balancer decides who reaches the published port; this document opens
 * nothing itself.
 *
 * ```ts
 * const userData = kibanaHostCloudInit({ elasticsearchUrl: "http://10.42.16.4:9200" });
 * ```
 */
import type { ConfigProblem } from "../config";
import { DEFAULT_ELASTIC_VERSION, elasticImages, kibanaEnvironment, KIBANA_SERVER_NAME } from "../elastic";
import { kibanaObjectsStep, KIBANA_HEALTH_COMMAND } from "../analytics";
import { adminSshProblems, assertNoProblems, isToken, portProblem, renderCloudConfig, show, type AdminSshProps } from "./cloud-init";
import { imageProblems } from "./honeypot-host";

export interface KibanaHostProps {
  /**
   * Elasticsearch's HTTP API as Kibana reaches it, e.g. `http://10.42.16.4:9200` (the Elastic host's
   * private address and `elasticsearchPort`). A cdktf token (`${…}`) is passed unchecked.
   */
  readonly elasticsearchUrl: string;
  /** Host port Kibana is published on (the container listens on 5601). @default 80 */
  readonly port?: number;
  /** As `honeynet.elastic` in the config. @default version 8.17.0, the official image */
  readonly elastic?: { readonly version?: string; readonly images?: { readonly kibana?: string } };
  /** Admin SSH. @default port 64295, no key */
  readonly adminSsh?: AdminSshProps;
  /**
   * The address users open Kibana at (`SERVER_PUBLICBASEURL`), e.g. `https://kibana.example.com`; Kibana
   * uses it in links it sends out and stops warning that it is unset. A cdktf token is passed unchecked.
   * @default unset
   */
  readonly publicBaseUrl?: string;
}

export const DEFAULT_KIBANA_PORT = 80;
/** Kibana's own port inside the container. */
export const KIBANA_CONTAINER_PORT = 5601;
/** Kibana's data folder on the host (saved state such as its UUID), bind-mounted into the container. */
export const KIBANA_DATA_DIR = "/srv/kibana";
export { KIBANA_SERVER_NAME };
/** The official Kibana image runs as uid 1000, gid 0. */
const KIBANA_OWNER = { uid: 1000, gid: 0 } as const;

const VERSION = /^\d+\.\d+\.\d+$/;
const HOST_PART = "([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*";
/** http(s), a DNS name or IPv4 address, an optional port, an optional path; no credentials, query or fragment. */
const HTTP_URL = new RegExp(`^https?://${HOST_PART}(:(?<port>\\d{1,5}))?(/[A-Za-z0-9._~/-]*)?$`);

/** Whether `v` is an http(s) URL lure accepts (its port, if any, from 1 to 65535). */
function httpUrl(v: string): boolean {
  const m = HTTP_URL.exec(v);
  if (!m) return false;
  const port = m.groups?.port;
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

export function kibanaHostProblems(props: KibanaHostProps): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const es = props.elasticsearchUrl;
  if (typeof es !== "string" || (!isToken(es) && !httpUrl(es))) {
    out.push({ path: "elasticsearchUrl", message: `${show(es)} is not an Elasticsearch URL; allowed: http(s)://<address or DNS name>[:port][/path], no credentials, e.g. "http://10.42.16.4:9200"` });
  }
  const base = props.publicBaseUrl;
  // Kibana refuses a publicBaseUrl that ends with a slash or carries a query or fragment.
  if (base !== undefined && (typeof base !== "string" || (!isToken(base) && (!httpUrl(base) || base.endsWith("/"))))) {
    out.push({ path: "publicBaseUrl", message: `${show(base)} is not a public base URL; allowed: http(s)://<DNS name or address>[:port][/path] without a trailing slash, e.g. "https://kibana.example.com"` });
  }
  const port = props.port ?? DEFAULT_KIBANA_PORT;
  const badPort = portProblem("port", port);
  out.push(...badPort);
  const v = props.elastic?.version;
  if (v !== undefined && !VERSION.test(v)) out.push({ path: "elastic.version", message: `${show(v)} is not a version; allowed: like 8.17.0` });
  const image = props.elastic?.images?.kibana;
  if (image !== undefined) out.push(...imageProblems("elastic.images.kibana", image));
  out.push(...adminSshProblems(props.adminSsh, badPort.length === 0 ? [{ port, protocol: "tcp", owner: "kibana" }] : []));
  return out;
}

/** The `#cloud-config` document of the Kibana host. Deterministic. */
export function kibanaHostCloudInit(props: KibanaHostProps): string {
  assertNoProblems("kibanaHostCloudInit", kibanaHostProblems(props));
  const images = elasticImages(props.elastic?.version ?? DEFAULT_ELASTIC_VERSION, props.elastic?.images ?? {});
  const port = props.port ?? DEFAULT_KIBANA_PORT;
  const objects = kibanaObjectsStep({ kibanaUrl: `http://kibana:${KIBANA_CONTAINER_PORT}` });
  const compose = {
    name: "lure",
    services: {
      kibana: {
        image: images.kibana,
        restart: "always",
        environment: kibanaEnvironment(props.elasticsearchUrl, props.publicBaseUrl),
        mem_limit: "1536m",
        ports: [{ target: KIBANA_CONTAINER_PORT, published: port, protocol: "tcp", mode: "host" }],
        // Not read_only, unlike the honeypots: Kibana writes into its own install tree at run time (its
        // data folder, and optimize/ bundles on older versions), so a read-only root stops it. Its state
        // goes to a host folder instead, owned by the image's user, so it survives image updates.
        volumes: [`${KIBANA_DATA_DIR}:/usr/share/kibana/data`],
        healthcheck: { test: ["CMD-SHELL", KIBANA_HEALTH_COMMAND], interval: "30s", timeout: "10s", retries: 20, start_period: "120s" },
        networks: ["kibana"],
      },
      [objects.name]: {
        image: objects.image,
        // One-shot: done once the objects are in; a failure stays visible in `docker compose ps` and the journal.
        restart: "no",
        read_only: true,
        tmpfs: ["/tmp"],
        entrypoint: [...objects.entrypoint],
        command: [...objects.args],
        depends_on: { kibana: { condition: "service_healthy" } },
        networks: ["kibana"],
      },
    },
    networks: { kibana: {} },
  };
  return renderCloudConfig(props.adminSsh, {
    compose,
    files: [],
    prepare: [["install", "-d", "-o", String(KIBANA_OWNER.uid), "-g", String(KIBANA_OWNER.gid), "-m", "0770", KIBANA_DATA_DIR]],
  });
}
