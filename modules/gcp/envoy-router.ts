/**
 * The Envoy router of the Google Cloud Quarantine: a static bootstrap (YAML) for Envoy on Cloud Run,
 * made by one pure function so that tests parse and check exactly what is deployed.
 *
 *   load balancer ──► router (Cloud Run, :8080) ── STEER_HEADER == STEER_HEADER_VALUE ──► copies (run.app, TLS)
 *                                               └── any other request ──────────────────► real   (run.app, TLS)
 *
 * Why a router: a Cloud Armor rule runs after the URL map has picked the backend, and a URL map
 * cannot match the source address (reference/clouds-2026.md §1.4, §5 item 6). So lure's Cloud Armor
 * rules add {@link STEER_HEADER} for quarantined sources, and this router routes on it. The header is
 * removed before any request goes upstream, so neither service ever sees it. A client that sends the
 * header itself only reaches the copies (routing, not a secret).
 *
 * Upstreams are the services' own `*.run.app` host names, over TLS with SNI and certificate checks
 * against the image's CA bundle, with the Host header rewritten to that name (Cloud Run routes by it).
 * Both services require IAM: Envoy's GCP authentication filter fetches an ID token for each upstream's
 * URL from the metadata server, as the router's service account, the only invoker of either. The token
 * goes in {@link TOKEN_HEADER}, which Cloud Run checks before `Authorization`, so a client's own
 * `Authorization` header reaches the service unchanged (an API's credentials, or what a scanner tries
 * on the copies).
 *
 * What a scanner sees is the upstream's answer: Envoy's own response headers are suppressed and the
 * upstream's `server` header passes through.
 */
import { stringify } from "yaml";
import { STEER_HEADER, STEER_HEADER_VALUE } from "../../functions/gcp/quarantine/contract";

/** The port Cloud Run sends requests to (its default `$PORT`); Envoy's static config cannot read the variable. */
export const ROUTER_PORT = 8080;
/** Cluster names of the bootstrap. */
export const ROUTER_CLUSTERS = { real: "real", copies: "copies", metadata: "metadata" } as const;
/** The metadata server: Envoy's GCP authentication filter fetches the upstream's ID token here. */
export const METADATA_SERVER = { address: "169.254.169.254", port: 80 } as const;
/** The filter's token endpoint; Envoy puts the cluster's audience in place of `[AUDIENCE]`. */
export const METADATA_IDENTITY_URI = "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity?audience=[AUDIENCE]";
/** The CA bundle of the Envoy image (Ubuntu's ca-certificates). */
export const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
/**
 * Where the filter puts the router's ID token: Cloud Run's IAM check uses `X-Serverless-Authorization`
 * when it is present, before `Authorization`, so the request's `Authorization` header is left to the
 * service. A client that sends this header itself only spoils its own request.
 */
export const TOKEN_HEADER = { name: "X-Serverless-Authorization", value_prefix: "Bearer " } as const;
/** Per request upstream; Cloud Run's own request timeout is 300 s by default. */
export const ROUTE_TIMEOUT = "60s";

/** One upstream: a Cloud Run service by its run.app host name (a Terraform reference at synth). */
export interface RouterUpstream {
  /** `<service>-<hash>.a.run.app`, no scheme. */
  readonly host: string;
}

export interface RouterConfigProps {
  readonly real: RouterUpstream;
  readonly copies: RouterUpstream;
  /** @default ROUTER_PORT */
  readonly port?: number;
}

const TYPE = {
  hcm: "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  router: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
  gcpAuthn: "type.googleapis.com/envoy.extensions.filters.http.gcp_authn.v3.GcpAuthnFilterConfig",
  audience: "type.googleapis.com/envoy.extensions.filters.http.gcp_authn.v3.Audience",
  tls: "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
} as const;

/** One TLS upstream: SNI and the checked name are the host, the audience its https URL. */
function upstreamCluster(name: string, host: string): Record<string, unknown> {
  return {
    name,
    type: "LOGICAL_DNS",
    dns_lookup_family: "V4_ONLY",
    connect_timeout: "5s",
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: 443 } } } }] }] },
    transport_socket: {
      name: "envoy.transport_sockets.tls",
      typed_config: {
        "@type": TYPE.tls,
        sni: host,
        common_tls_context: {
          validation_context: {
            trusted_ca: { filename: CA_BUNDLE },
            match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: host } }],
          },
        },
      },
    },
    metadata: { typed_filter_metadata: { "envoy.filters.http.gcp_authn": { "@type": TYPE.audience, url: `https://${host}` } } },
  };
}

/** The bootstrap as an object (what {@link envoyRouterYaml} writes). */
export function envoyRouterConfig(props: RouterConfigProps): Record<string, unknown> {
  const c = ROUTER_CLUSTERS;
  const route = (cluster: string, host: string) => ({ cluster, host_rewrite_literal: host, timeout: ROUTE_TIMEOUT });
  return {
    static_resources: {
      listeners: [
        {
          name: "ingress",
          address: { socket_address: { address: "0.0.0.0", port_value: props.port ?? ROUTER_PORT } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": TYPE.hcm,
                    stat_prefix: "ingress",
                    codec_type: "AUTO",
                    // The upstream's own server header, not "envoy": the copies look like the service.
                    server_header_transformation: "PASS_THROUGH",
                    route_config: {
                      name: "steering",
                      // Before routing decides nothing; after it, neither service sees the header.
                      request_headers_to_remove: [STEER_HEADER],
                      virtual_hosts: [
                        {
                          name: "all",
                          domains: ["*"],
                          routes: [
                            { name: "copies", match: { prefix: "/", headers: [{ name: STEER_HEADER, string_match: { exact: STEER_HEADER_VALUE } }] }, route: route(c.copies, props.copies.host) },
                            { name: "real", match: { prefix: "/" }, route: route(c.real, props.real.host) },
                          ],
                        },
                      ],
                    },
                    http_filters: [
                      {
                        name: "envoy.filters.http.gcp_authn",
                        typed_config: {
                          "@type": TYPE.gcpAuthn,
                          http_uri: { uri: METADATA_IDENTITY_URI, cluster: c.metadata, timeout: "5s" },
                          retry_policy: { num_retries: 3 },
                          cache_config: { cache_size: 16 },
                          token_header: { ...TOKEN_HEADER },
                        },
                      },
                      { name: "envoy.filters.http.router", typed_config: { "@type": TYPE.router, suppress_envoy_headers: true } },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        upstreamCluster(c.real, props.real.host),
        upstreamCluster(c.copies, props.copies.host),
        {
          name: c.metadata,
          type: "STATIC",
          connect_timeout: "2s",
          load_assignment: { cluster_name: c.metadata, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: METADATA_SERVER.address, port_value: METADATA_SERVER.port } } } }] }] },
        },
      ],
    },
  };
}

/**
 * The bootstrap as YAML, for Envoy's `--config-yaml`. No line is folded (`lineWidth: 0`): a host
 * name is a Terraform reference until apply, and must stay one piece of text.
 */
export function envoyRouterYaml(props: RouterConfigProps): string {
  return stringify(envoyRouterConfig(props), { lineWidth: 0 });
}
