/**
 * Google Cloud (google 6.50.0) fixtures for the policy rule tests: small `cdk.tf.json`-shaped blocks,
 * with the snake_case argument names cdktf writes, shaped like GcpHoneynet's output. Build stacks with
 * `stack()` from `./fixtures`.
 */
import { ref } from "./fixtures";

type Blocks = Record<string, Record<string, Record<string, unknown>>>;

/** `labels` for a lure component, plus any extra labels (`lure-world-open`, `lure-plaintext`...). */
export function labels(component: string, extra: Record<string, string> = {}): { labels: Record<string, string> } {
  return { labels: { "lure-component": component, ...extra } };
}

/** One `allow` block: `ports` omitted means every port of the protocol. */
export function allow(protocol: string, ports?: string[]): Record<string, unknown> {
  return ports === undefined ? { protocol } : { protocol, ports };
}

/** An INGRESS `google_compute_firewall` from `sources` to the network tag `target`. */
export function firewall(sources: string[], allows: Record<string, unknown>[], target = "lure-elastic", extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "fw",
    network: ref("google_compute_network.net"),
    direction: "INGRESS",
    priority: 1000,
    source_ranges: sources,
    target_tags: [target],
    allow: allows,
    ...extra,
  };
}

/** A `google_compute_instance` of `component` with network tag `tag`; honeypots get an ephemeral external IP, as in GcpHoneynet. */
export function instance(component: string, tag: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: tag,
    machine_type: "e2-medium",
    zone: "europe-west2-a",
    tags: [tag],
    ...labels(component),
    boot_disk: { initialize_params: { image: "ubuntu-os-cloud/ubuntu-2404-lts-amd64" } },
    network_interface: [{ subnetwork: ref("google_compute_subnetwork.sub"), ...(component === "honeypot" ? { access_config: [{}] } : {}) }],
    metadata: { "enable-oslogin": "TRUE", "user-data": "#cloud-config\n" },
    ...extra,
  };
}

/** A Cloud Armor rule admitting `ranges`. */
export function allowRule(priority: number, ranges: string[], action = "allow"): Record<string, unknown> {
  return { priority, action, match: { versioned_expr: "SRC_IPS_V1", config: { src_ip_ranges: ranges } } };
}

/** Cloud Armor's default rule (priority 2147483647) with `action`. */
export function defaultRule(action = "deny(403)"): Record<string, unknown> {
  return { priority: 2147483647, action, match: { versioned_expr: "SRC_IPS_V1", config: { src_ip_ranges: ["*"] } } };
}

/** What to vary in {@link dashboardLb}. */
export interface LbOptions {
  /** HTTPS proxy with a managed certificate instead of an HTTP proxy. @default false */
  readonly https?: boolean;
  /** Extra labels on the forwarding rule. @default GcpHoneynet's: `lure-plaintext=true` on HTTP */
  readonly ruleLabels?: Record<string, string>;
  /** Extra labels on the Cloud Run service. @default none */
  readonly runLabels?: Record<string, string>;
  /** The Cloud Armor rules. @default allow 198.51.100.0/24, then deny(403) */
  readonly rules?: Record<string, unknown>[];
  /** Cloud Run `ingress`; `null` leaves it unset. @default INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER */
  readonly ingress?: string | null;
  /** Backend service `security_policy`; `null` leaves it unset. @default a reference to the policy */
  readonly securityPolicy?: string | null;
}

/**
 * The dashboard chain of GcpHoneynet: Cloud Run `kibana` ← serverless NEG ← backend service `kibana`
 * (Cloud Armor `dashboard`) ← URL map ← HTTP(S) proxy ← forwarding rule `dashboard`.
 */
export function dashboardLb(o: LbOptions = {}): Blocks {
  const https = o.https ?? false;
  const proxyType = https ? "google_compute_target_https_proxy" : "google_compute_target_http_proxy";
  const ingress = o.ingress === undefined ? "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" : o.ingress;
  const policy = o.securityPolicy === undefined ? ref("google_compute_security_policy.dashboard") : o.securityPolicy;
  return {
    google_cloud_run_v2_service: {
      kibana: {
        name: "lure-kibana",
        location: "europe-west2",
        ...(ingress === null ? {} : { ingress }),
        ...labels("dashboard", o.runLabels),
        template: { containers: [{ name: "kibana", image: "docker.io/library/kibana:8.17.0", env: [{ name: "SERVER_HOST", value: "0.0.0.0" }] }] },
      },
    },
    google_compute_region_network_endpoint_group: {
      kibana: { name: "lure-kibana", region: "europe-west2", network_endpoint_type: "SERVERLESS", cloud_run: { service: ref("google_cloud_run_v2_service.kibana", "name") } },
    },
    google_compute_security_policy: {
      dashboard: { name: "lure-dashboard", type: "CLOUD_ARMOR", rule: o.rules ?? [allowRule(1000, ["198.51.100.0/24"]), defaultRule()] },
    },
    google_compute_backend_service: {
      kibana: {
        name: "lure-kibana",
        load_balancing_scheme: "EXTERNAL_MANAGED",
        backend: [{ group: ref("google_compute_region_network_endpoint_group.kibana") }],
        ...(policy === null ? {} : { security_policy: policy }),
      },
    },
    google_compute_url_map: { dashboard: { name: "lure-dashboard", default_service: ref("google_compute_backend_service.kibana") } },
    [proxyType]: {
      dashboard: { name: "lure-dashboard", url_map: ref("google_compute_url_map.dashboard"), ...(https ? { ssl_certificates: [ref("google_compute_managed_ssl_certificate.dashboard")] } : {}) },
    },
    google_compute_global_forwarding_rule: {
      dashboard: {
        name: "lure-dashboard",
        target: ref(`${proxyType}.dashboard`),
        ip_protocol: "TCP",
        port_range: https ? "443" : "80",
        load_balancing_scheme: "EXTERNAL_MANAGED",
        ...labels("dashboard", o.ruleLabels ?? (https ? {} : { "lure-plaintext": "true" })),
      },
    },
  };
}

/** Merges block sets (later ones win for the same type and name). */
export function merge(...sets: Blocks[]): Blocks {
  const out: Blocks = {};
  for (const set of sets) for (const [type, byName] of Object.entries(set)) out[type] = { ...(out[type] ?? {}), ...byName };
  return out;
}
