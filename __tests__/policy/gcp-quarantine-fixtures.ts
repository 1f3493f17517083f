/**
 * Google Cloud Quarantine (google 6.50.0) fixtures for the policy rule tests: the `gcp-quarantine`
 * stack's shape in `cdk.tf.json` form (snake_case, references as cdktf writes them), small enough to
 * read. Scanner → forwarding rule → proxy → URL map → backend service (Cloud Armor `policy`) →
 * serverless NEG → `router` (Envoy, Direct VPC egress) → `real` or `copies` (internal only, invoked
 * by the router's account). The functions name the policy and the copies in their environment.
 *
 * `quarantineStack()` is compliant under every rule; tests clone it and break one thing.
 */
import { ref } from "./fixtures";

export type Blocks = Record<string, Record<string, Record<string, unknown>>>;

/** The labels of a Quarantine resource, with its part (`lure-quarantine`) when it has one. */
export function quarantineLabels(part?: "real" | "copies" | "router"): { labels: Record<string, string> } {
  return { labels: { "lure-component": "quarantine", ...(part ? { "lure-quarantine": part } : {}) } };
}

/** `serviceAccount:${google_service_account.<who>.email}`. */
export const memberOf = (who: string) => `serviceAccount:${ref(`google_service_account.${who}`, "email")}`;

/** A Cloud Armor rule at `priority` (allow, or the steering rule's header action when `steer`). */
export function armorRule(priority: number, ranges: string[] = ["*"], steer = false): Record<string, unknown> {
  return {
    priority,
    action: "allow",
    match: { versioned_expr: "SRC_IPS_V1", config: { src_ip_ranges: ranges } },
    ...(steer ? { header_action: { request_headers_to_adds: [{ header_name: "x-lure-quarantine", header_value: "1" }] } } : {}),
  };
}

/** An internal Cloud Run service of the Quarantine (`real` or `copies`), running as `google_service_account.<part>`. */
function internalService(part: "real" | "copies"): Record<string, unknown> {
  return {
    name: `lure-quarantine-${part}`,
    location: "europe-west2",
    ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
    deletion_protection: false,
    ...quarantineLabels(part),
    ...(part === "copies" ? { scaling: { min_instance_count: 0 }, lifecycle: { ignore_changes: ["scaling"] } } : {}),
    template: {
      service_account: ref(`google_service_account.${part}`, "email"),
      scaling: { min_instance_count: 0, max_instance_count: 2 },
      containers: [{ name: part, image: "docker.io/library/nginx:1.27", ports: { container_port: 80, name: "http1" } }],
    },
  };
}

/** What a Quarantine function gets: the contract's variables, the policy and the copies by reference. */
function functionBody(who: "detector" | "mode"): Record<string, unknown> {
  return {
    name: `lure-quarantine-${who}`,
    location: "europe-west2",
    ...quarantineLabels(),
    build_config: { runtime: "nodejs22", entry_point: who === "mode" ? "quarantineMode" : "quarantineDetector", service_account: ref("google_service_account.build") },
    service_config: {
      max_instance_count: 1,
      service_account_email: ref(`google_service_account.${who}`, "email"),
      ingress_settings: "ALLOW_INTERNAL_ONLY",
      environment_variables: {
        LURE_QUARANTINE: JSON.stringify({ detector: { allowCidrs: ["198.51.100.0/24"] } }),
        LURE_PROJECT: "lure-demo",
        LURE_REGION: "europe-west2",
        LURE_SECURITY_POLICY: ref("google_compute_security_policy.policy", "name"),
        LURE_COPIES_SERVICE: ref("google_cloud_run_v2_service.copies", "name"),
        LURE_DATABASE: "lure-quarantine",
        LURE_FORWARDING_RULE: "projects/lure-demo/global/forwardingRules/lure-quarantine-http",
      },
    },
  };
}

/** The compliant `gcp-quarantine` stack's resources. */
export function quarantineStack(): Blocks {
  const accounts = ["real", "copies", "router", "detector", "mode", "build"];
  return {
    google_service_account: Object.fromEntries(accounts.map((who) => [who, { account_id: `lure-q-${who}`, display_name: `lure quarantine: ${who}` }])),
    google_cloud_run_v2_service: {
      real: internalService("real"),
      copies: internalService("copies"),
      router: {
        name: "lure-quarantine-router",
        location: "europe-west2",
        ingress: "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
        invoker_iam_disabled: true,
        ...quarantineLabels("router"),
        template: {
          service_account: ref("google_service_account.router", "email"),
          vpc_access: { network_interfaces: [{ network: ref("google_compute_network.net"), subnetwork: ref("google_compute_subnetwork.router") }], egress: "ALL_TRAFFIC" },
          containers: [{ name: "envoy", image: "docker.io/envoyproxy/envoy:v1.34.1", args: ["--config-yaml", "static_resources: {}"] }],
        },
      },
    },
    google_cloud_run_v2_service_iam_member: {
      realInvoker: { location: "europe-west2", name: ref("google_cloud_run_v2_service.real", "name"), role: "roles/run.invoker", member: memberOf("router") },
      copiesInvoker: { location: "europe-west2", name: ref("google_cloud_run_v2_service.copies", "name"), role: "roles/run.invoker", member: memberOf("router") },
      modeCopies: { location: "europe-west2", name: ref("google_cloud_run_v2_service.copies", "name"), role: ref("google_project_iam_custom_role.copies", "name"), member: memberOf("mode") },
    },
    // Updating the copies' service needs actAs on the account it runs as: a grant on the account, not to it.
    google_service_account_iam_member: {
      modeActAsCopies: { service_account_id: ref("google_service_account.copies", "name"), role: "roles/iam.serviceAccountUser", member: memberOf("mode") },
    },
    google_project_iam_custom_role: {
      policy: { role_id: "lure_quarantine_policy", title: "steering rules", permissions: ["compute.securityPolicies.get", "compute.securityPolicies.addRule"] },
      copies: { role_id: "lure_quarantine_copies", title: "scale the copies", permissions: ["run.services.get", "run.services.update"] },
    },
    google_project_iam_member: {
      modePolicy: { project: "lure-demo", role: ref("google_project_iam_custom_role.policy", "name"), member: memberOf("mode") },
      detectorPolicy: { project: "lure-demo", role: ref("google_project_iam_custom_role.policy", "name"), member: memberOf("detector") },
      modeFirestore: { project: "lure-demo", role: "roles/datastore.user", member: memberOf("mode"), condition: { title: "db", expression: 'resource.name == "projects/lure-demo/databases/lure-quarantine"' } },
    },
    google_compute_network: { net: { name: "lure-quarantine", auto_create_subnetworks: false } },
    google_compute_subnetwork: { router: { name: "lure-quarantine-router", network: ref("google_compute_network.net"), ip_cidr_range: "10.60.0.0/27", private_ip_google_access: true } },
    google_compute_security_policy: {
      policy: {
        name: "lure-quarantine",
        type: "CLOUD_ARMOR",
        rule: [
          { priority: 900, action: "deny(403)", preview: true, match: { expr: { expression: "evaluatePreconfiguredWaf('scannerdetection-v33-stable')" } } },
          armorRule(2147483647),
        ],
        lifecycle: { ignore_changes: ["rule"] },
      },
    },
    google_compute_region_network_endpoint_group: {
      router: { name: "lure-quarantine-router", region: "europe-west2", network_endpoint_type: "SERVERLESS", cloud_run: { service: ref("google_cloud_run_v2_service.router", "name") } },
    },
    google_compute_backend_service: {
      backend: {
        name: "lure-quarantine",
        load_balancing_scheme: "EXTERNAL_MANAGED",
        backend: [{ group: ref("google_compute_region_network_endpoint_group.router") }],
        security_policy: ref("google_compute_security_policy.policy"),
        log_config: { enable: true, sample_rate: 1 },
      },
    },
    google_compute_url_map: { map: { name: "lure-quarantine", default_service: ref("google_compute_backend_service.backend") } },
    google_compute_target_http_proxy: { http: { name: "lure-quarantine", url_map: ref("google_compute_url_map.map") } },
    google_compute_global_forwarding_rule: {
      http: { name: "lure-quarantine-http", target: ref("google_compute_target_http_proxy.http"), port_range: "80", load_balancing_scheme: "EXTERNAL_MANAGED", labels: { ...quarantineLabels().labels, "lure-plaintext": "true" } },
    },
    google_storage_bucket: { src: { name: "lure-quarantine-src", location: "EUROPE-WEST2", uniform_bucket_level_access: true, public_access_prevention: "enforced" } },
    google_cloudfunctions2_function: { detector: functionBody("detector"), mode: functionBody("mode") },
  };
}

/** A deep copy of `blocks`, to break one thing in. */
export const clone = (blocks: Blocks): Blocks => JSON.parse(JSON.stringify(blocks)) as Blocks;
