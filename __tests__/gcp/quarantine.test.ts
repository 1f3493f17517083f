/**
 * `gcp-quarantine`: the load balancer and its path to the router, the router's Envoy config (parsed),
 * the services' ingress and isolation, Cloud Armor and what Terraform leaves to the functions, the
 * request-log signal and its path to the detector, Firestore's TTL, the schedule, and every IAM
 * grant exactly (with negative assertions).
 */
import { Testing } from "cdktf";
import { parse } from "yaml";
import {
  CLOUD_ARMOR_FIRST_PRIORITY,
  CLOUD_ARMOR_MAX_RULES,
  CLOUD_ARMOR_RANGES_PER_RULE,
  FIRESTORE_COLLECTIONS,
  FIRESTORE_TTL_FIELD,
  GCP_QUARANTINE_ENTRY_POINTS,
  GCP_QUARANTINE_ENV,
  STEER_HEADER,
  STEER_HEADER_VALUE,
} from "../../functions/gcp/quarantine/contract";
import { readFileSync, rmSync } from "fs";
import { join } from "path";
import { createStacks } from "../../main";
import { GCP_QUARANTINE_INSTALLED, gcpQuarantinePackage } from "../../modules/core/bundle";
import { ConfigError, configWarnings } from "../../modules/core/config";
import { FAKE_FUNCTIONS_FRAMEWORK, loadPackage, unpackPackage, unzip, type Loaded } from "../helpers/function-package";
import { envoyRouterConfig, envoyRouterYaml, ROUTER_CLUSTERS, ROUTER_PORT } from "../../modules/gcp/envoy-router";
import {
  cloudRunPullable,
  COPIES_PERMISSIONS,
  ENVOY_IMAGE,
  GCP_DEMO_IMAGE,
  GcpQuarantine,
  MODE_SCHEDULE,
  PART_LABEL,
  PUSH_DELIVERY,
  requestLogFilter,
  SCANNER_DETECTION,
  SECURITY_POLICY_PERMISSIONS,
} from "../../modules/gcp/quarantine";
import { GcpQuarantineStack } from "../../modules/gcp/stacks";
import { GcpStack } from "../../providers/gcp";
import { LABEL_KEYS } from "../../modules/core/labels";
import { configWith, ref, resources, ROOT, type Json } from "../helpers/synth";

function synth(change: (c: Json) => void = () => {}): { out: Json; stack: GcpQuarantineStack } {
  const config = configWith(change);
  const stack = new GcpQuarantineStack(Testing.app(), "gcp-quarantine", config, config.clouds.gcp!);
  return { out: JSON.parse(Testing.synth(stack)) as Json, stack };
}

let out: Json;
let q: GcpQuarantine;
beforeAll(() => {
  const s = synth((c) => (c.clouds.gcp.project = "lure-test-1"));
  out = s.out;
  q = s.stack.quarantine;
});

/** The one resource of `type` whose construct id is `id`. */
function one(stack: Json, type: string, id: string): [string, Json] {
  const found = resources(stack, type).filter(([a]) => new RegExp(`\\.Quarantine_${id}_[0-9A-F]{8}$`).test(a));
  expect({ type, id, found: found.length }).toEqual({ type, id, found: 1 });
  return found[0];
}
const body = (type: string, id: string) => one(out, type, id)[1];
const address = (type: string, id: string) => one(out, type, id)[0];
const sa = (id: string) => `serviceAccount:${ref(address("google_service_account", `${id}Account`), "email")}`;
const routerArgs = () => body("google_cloud_run_v2_service", "Router").template.containers[0].args as string[];
const routerYaml = () => parse(routerArgs()[1]) as Json;

describe("load balancer → backend service → serverless NEG → router", () => {
  test("a static global address, an HTTP forwarding rule on 80, proxy, URL map default", () => {
    const fr = body("google_compute_global_forwarding_rule", "ForwardingRule");
    expect(fr).toMatchObject({ ip_protocol: "TCP", port_range: "80", load_balancing_scheme: "EXTERNAL_MANAGED", ip_address: ref(address("google_compute_global_address", "Address")) });
    expect(fr.target).toBe(ref(address("google_compute_target_http_proxy", "HttpProxy")));
    expect(body("google_compute_target_http_proxy", "HttpProxy").url_map).toBe(ref(address("google_compute_url_map", "UrlMap")));
    expect(body("google_compute_url_map", "UrlMap").default_service).toBe(ref(address("google_compute_backend_service", "Backend")));
    expect(body("google_compute_global_address", "Address")).toMatchObject({ ip_version: "IPV4" });
    expect(out.output.quarantine_endpoint.value).toBe(`http://${ref(address("google_compute_global_address", "Address"), "address")}`);
  });

  test("the backend logs every request, has the policy, and its one backend is the router's NEG", () => {
    const be = body("google_compute_backend_service", "Backend");
    expect(be.load_balancing_scheme).toBe("EXTERNAL_MANAGED");
    expect(be.log_config).toEqual({ enable: true, sample_rate: 1 });
    expect(be.security_policy).toBe(ref(address("google_compute_security_policy", "Policy")));
    expect(be.backend).toEqual([{ group: ref(address("google_compute_region_network_endpoint_group", "RouterNeg")) }]);
    const neg = body("google_compute_region_network_endpoint_group", "RouterNeg");
    expect(neg).toMatchObject({ network_endpoint_type: "SERVERLESS", region: "europe-west2" });
    expect(neg.cloud_run).toEqual({ service: ref(address("google_cloud_run_v2_service", "Router"), "name") });
  });

  test("with a domain (a construct prop): HTTPS on 443 with a managed certificate, no plain listener", () => {
    const st = new GcpStack(Testing.app(), "q", { prefix: "lure", region: "europe-west2", project: "p-123456" });
    new GcpQuarantine(st, "Quarantine", { prefix: "lure", domain: "demo.example.org" });
    const j = JSON.parse(Testing.synth(st)) as Json;
    const fr = one(j, "google_compute_global_forwarding_rule", "ForwardingRule")[1];
    expect(fr.port_range).toBe("443");
    expect(fr.target).toBe(ref(one(j, "google_compute_target_https_proxy", "HttpsProxy")[0]));
    expect(one(j, "google_compute_managed_ssl_certificate", "Certificate")[1].managed).toEqual({ domains: ["demo.example.org"] });
    expect(resources(j, "google_compute_target_http_proxy")).toEqual([]);
    expect(fr.labels[LABEL_KEYS.plaintext]).toBeUndefined();
  });
});

describe("router: Envoy on Cloud Run", () => {
  test("the official image pinned by tag and digest; admits only the load balancer; Direct VPC egress for all traffic", () => {
    expect(ENVOY_IMAGE).toMatch(/^docker\.io\/envoyproxy\/envoy:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    const r = body("google_cloud_run_v2_service", "Router");
    expect(r.template.containers[0].image).toBe(ENVOY_IMAGE);
    expect(r.ingress).toBe("INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER");
    expect(r.invoker_iam_disabled).toBe(true);
    expect(r.template.containers[0].ports).toEqual({ container_port: ROUTER_PORT, name: "http1" });
    expect(r.template.vpc_access).toEqual({
      egress: "ALL_TRAFFIC",
      network_interfaces: [{ network: ref(address("google_compute_network", "Network")), subnetwork: ref(address("google_compute_subnetwork", "RouterSubnet")) }],
    });
    expect(body("google_compute_subnetwork", "RouterSubnet").private_ip_google_access).toBe(true);
    expect(r.template.service_account).toBe(ref(address("google_service_account", "RouterAccount"), "email"));
    expect(routerArgs()[0]).toBe("--config-yaml");
  });

  test("listens on 8080; routes on the header alone: STEER_HEADER == STEER_HEADER_VALUE → copies, everything else → real; strips the header", () => {
    const cfg = routerYaml();
    const listener = cfg.static_resources.listeners[0];
    expect(listener.address.socket_address).toEqual({ address: "0.0.0.0", port_value: 8080 });
    const hcm = listener.filter_chains[0].filters[0].typed_config;
    expect(hcm.route_config.request_headers_to_remove).toEqual([STEER_HEADER]);
    const hosts = hcm.route_config.virtual_hosts;
    expect(hosts).toHaveLength(1);
    expect(hosts[0].domains).toEqual(["*"]);
    const routes = hosts[0].routes as Json[];
    expect(routes.map((r) => r.route.cluster)).toEqual([ROUTER_CLUSTERS.copies, ROUTER_CLUSTERS.real]);
    expect(routes[0].match).toEqual({ prefix: "/", headers: [{ name: STEER_HEADER, string_match: { exact: STEER_HEADER_VALUE } }] });
    // The default: every path, no other condition.
    expect(routes[1].match).toEqual({ prefix: "/" });
    // No route anywhere matches anything but the header (no path, query or source rule).
    for (const r of routes) expect(Object.keys(r.match).sort()).toEqual(r === routes[0] ? ["headers", "prefix"] : ["prefix"]);
    expect(hcm.server_header_transformation).toBe("PASS_THROUGH");
    const filters = (hcm.http_filters as Json[]).map((f) => f.name);
    expect(filters).toEqual(["envoy.filters.http.gcp_authn", "envoy.filters.http.router"]);
    expect(hcm.http_filters[1].typed_config.suppress_envoy_headers).toBe(true);
  });

  test("the ID token goes in X-Serverless-Authorization, never over the client's Authorization header", () => {
    const hcm = routerYaml().static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    const authn = (hcm.http_filters as Json[]).find((f) => f.name === "envoy.filters.http.gcp_authn")?.typed_config;
    expect(authn.token_header).toEqual({ name: "X-Serverless-Authorization", value_prefix: "Bearer " });
    // Nothing removes or rewrites Authorization on the way upstream.
    expect(JSON.stringify(hcm).toLowerCase()).not.toContain('"authorization"');
    expect(hcm.route_config.request_headers_to_remove.map((h: string) => h.toLowerCase())).not.toContain("x-serverless-authorization");
  });

  test("each upstream: TLS with SNI and the certificate checked for the service's run.app name, host rewritten to it, ID-token audience its URL", () => {
    const cfg = routerYaml();
    const realHost = `\${replace(${address("google_cloud_run_v2_service", "RealService")}.uri, "https://", "")}`;
    const copiesHost = `\${replace(${address("google_cloud_run_v2_service", "CopiesService")}.uri, "https://", "")}`;
    const routes = cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes as Json[];
    expect(routes.map((r) => r.route.host_rewrite_literal)).toEqual([copiesHost, realHost]);
    const clusters = Object.fromEntries((cfg.static_resources.clusters as Json[]).map((c) => [c.name, c]));
    expect(Object.keys(clusters).sort()).toEqual([ROUTER_CLUSTERS.copies, ROUTER_CLUSTERS.metadata, ROUTER_CLUSTERS.real].sort());
    for (const [name, host] of [
      [ROUTER_CLUSTERS.real, realHost],
      [ROUTER_CLUSTERS.copies, copiesHost],
    ]) {
      const c = clusters[name];
      expect(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: host, port_value: 443 });
      const tls = c.transport_socket.typed_config;
      expect(tls.sni).toBe(host);
      expect(tls.common_tls_context.validation_context.match_typed_subject_alt_names).toEqual([{ san_type: "DNS", matcher: { exact: host } }]);
      expect(c.metadata.typed_filter_metadata["envoy.filters.http.gcp_authn"].url).toBe(`https://${host}`);
    }
    expect(clusters[ROUTER_CLUSTERS.metadata].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: "169.254.169.254", port_value: 80 });
  });

  test("the pure function: the same config for plain host names, and YAML that round-trips without folding", () => {
    const props = { real: { host: "real-abc-nw.a.run.app" }, copies: { host: "copies-abc-nw.a.run.app" } };
    expect(parse(envoyRouterYaml(props))).toEqual(envoyRouterConfig(props));
    const long = { real: { host: `${"r".repeat(120)}.a.run.app` }, copies: { host: "c.a.run.app" } };
    expect(envoyRouterYaml(long)).toContain(long.real.host);
  });
});

describe("the real service and the copies", () => {
  test("both internal only, IAM required, each with its own account; the router is the only invoker", () => {
    for (const id of ["RealService", "CopiesService"]) {
      const svc = body("google_cloud_run_v2_service", id);
      expect(svc.ingress).toBe("INGRESS_TRAFFIC_INTERNAL_ONLY");
      expect(svc.invoker_iam_disabled).toBeUndefined();
      expect(svc.template.vpc_access).toBeUndefined();
    }
    expect(body("google_cloud_run_v2_service", "RealService").template.service_account).toBe(ref(address("google_service_account", "RealAccount"), "email"));
    expect(body("google_cloud_run_v2_service", "CopiesService").template.service_account).toBe(ref(address("google_service_account", "CopiesAccount"), "email"));
    const invokers = resources(out, "google_cloud_run_v2_service_iam_member").filter(([, b]) => b.role === "roles/run.invoker");
    const on = (svc: string) => invokers.filter(([, b]) => b.name === ref(address("google_cloud_run_v2_service", svc), "name")).map(([, b]) => b.member);
    expect(on("RealService")).toEqual([sa("Router")]);
    expect(on("CopiesService")).toEqual([sa("Router")]);
  });

  test("copies at 0 minimum instances, the service-level scaling ignored (the mode function's)", () => {
    const c = body("google_cloud_run_v2_service", "CopiesService");
    expect(c.scaling).toEqual({ min_instance_count: 0 });
    expect(c.lifecycle).toEqual({ ignore_changes: ["scaling"] });
    expect(c.template.scaling.min_instance_count).toBe(0);
    expect(body("google_cloud_run_v2_service", "RealService").lifecycle).toBeUndefined();
  });

  test("the demo image is Docker Hub's nginx (Cloud Run does not pull from ECR Public); the copies run the same", () => {
    expect(body("google_cloud_run_v2_service", "RealService").template.containers[0].image).toBe(GCP_DEMO_IMAGE);
    expect(body("google_cloud_run_v2_service", "CopiesService").template.containers[0].image).toBe(GCP_DEMO_IMAGE);
    expect(body("google_cloud_run_v2_service", "CopiesService").template.containers[0].ports.container_port).toBe(80);
  });

  test("a decoy image for the copies; an image Cloud Run cannot pull is refused with its path", () => {
    const { out: o } = synth((c) => (c.quarantine.copies = { kind: "ecs", image: "europe-docker.pkg.dev/p/r/decoy:1", containerPort: 8080 }));
    const copies = one(o, "google_cloud_run_v2_service", "CopiesService")[1];
    expect(copies.template.containers[0]).toMatchObject({ image: "europe-docker.pkg.dev/p/r/decoy:1", ports: { container_port: 8080 } });
    expect(() => synth((c) => (c.quarantine.copies = { kind: "ecs", image: "ghcr.io/x/decoy:1" }))).toThrow(ConfigError);
    expect(() => synth((c) => (c.quarantine.copies = { kind: "ecs", image: "ghcr.io/x/decoy:1" }))).toThrow(/quarantine\.copies\.image/);
    expect(cloudRunPullable("nginx:1.27")).toBe(true);
    expect(cloudRunPullable("public.ecr.aws/nginx/nginx:1")).toBe(false);
  });

  test("labels: the component and the part on every labelled resource", () => {
    for (const [id, part] of [
      ["RealService", "real"],
      ["CopiesService", "copies"],
      ["Router", "router"],
    ]) {
      expect(body("google_cloud_run_v2_service", id).labels).toEqual({ [LABEL_KEYS.component]: "quarantine", [PART_LABEL]: part });
    }
    const labelled = ["google_compute_global_address", "google_compute_global_forwarding_rule", "google_pubsub_topic", "google_pubsub_subscription", "google_cloudfunctions2_function", "google_storage_bucket"];
    for (const type of labelled) {
      const all = resources(out, type);
      expect({ type, n: all.length > 0 }).toEqual({ type, n: true });
      for (const [a, b] of all) expect({ a, component: b.labels?.[LABEL_KEYS.component] }).toEqual({ a, component: "quarantine" });
    }
    expect(out.provider.google[0].default_labels).toMatchObject({ "lure-stack": "gcp-quarantine", "managed-by": "lure" });
  });
});

describe("Cloud Armor", () => {
  test("CLOUD_ARMOR; the default allow and scanner detection in preview, outside lure's band; rules ignored by Terraform", () => {
    const p = body("google_compute_security_policy", "Policy");
    expect(p.type).toBe("CLOUD_ARMOR");
    expect(p.lifecycle).toEqual({ ignore_changes: ["rule"] });
    const rules = p.rule as Json[];
    expect(rules).toHaveLength(2);
    const band = (n: number) => n >= CLOUD_ARMOR_FIRST_PRIORITY && n < CLOUD_ARMOR_FIRST_PRIORITY + CLOUD_ARMOR_MAX_RULES;
    expect(rules.filter((r) => band(r.priority))).toEqual([]);
    expect(rules.find((r) => r.priority === 2147483647)).toMatchObject({ action: "allow", match: { versioned_expr: "SRC_IPS_V1", config: { src_ip_ranges: ["*"] } } });
    expect(rules.find((r) => r.priority === SCANNER_DETECTION.priority)).toMatchObject({ preview: true, match: { expr: { expression: "evaluatePreconfiguredWaf('scannerdetection-v33-stable', {'sensitivity': 1})" } } });
    // No header action in Terraform: only the functions add the steering header.
    expect(rules.every((r) => r.header_action === undefined)).toBe(true);
  });
});

describe("signals: request log → sink → Pub/Sub → detector", () => {
  test("the sink takes this forwarding rule's request log only, with its own writer identity, into the topic it may publish to", () => {
    const sink = body("google_logging_project_sink", "Sink");
    expect(sink.filter).toBe(`resource.type="http_load_balancer" AND resource.labels.forwarding_rule_name="lure-quarantine-http"`);
    expect(sink.filter).toBe(requestLogFilter(q.forwardingRuleName));
    expect(body("google_compute_global_forwarding_rule", "ForwardingRule").name).toBe(q.forwardingRuleName);
    expect(sink.unique_writer_identity).toBe(true);
    expect(sink.destination).toBe(`pubsub.googleapis.com/${ref(address("google_pubsub_topic", "Signals"))}`);
    const pub = body("google_pubsub_topic_iam_member", "SinkPublisher");
    expect(pub).toMatchObject({ topic: ref(address("google_pubsub_topic", "Signals"), "name"), role: "roles/pubsub.publisher", member: ref(address("google_logging_project_sink", "Sink"), "writer_identity") });
  });

  test("a push subscription to the detector with OIDC, bounded retries and a dead-letter topic that keeps what fails", () => {
    const sub = body("google_pubsub_subscription", "DetectorPush");
    const detector = address("google_cloudfunctions2_function", "Detector");
    expect(sub.topic).toBe(ref(address("google_pubsub_topic", "Signals")));
    expect(sub.push_config.push_endpoint).toBe(`\${${detector}.service_config[0].uri}/${ref(address("google_pubsub_topic", "Signals"))}`);
    expect(sub.push_config.oidc_token).toEqual({ service_account_email: ref(address("google_service_account", "PushAccount"), "email"), audience: `\${${detector}.service_config[0].uri}` });
    expect(sub.dead_letter_policy).toEqual({ dead_letter_topic: ref(address("google_pubsub_topic", "DeadLetterTopic")), max_delivery_attempts: PUSH_DELIVERY.maxDeliveryAttempts });
    expect(sub.retry_policy).toEqual({ minimum_backoff: "10s", maximum_backoff: "600s" });
    expect(sub.ack_deadline_seconds).toBeGreaterThan(body("google_cloudfunctions2_function", "Detector").service_config.timeout_seconds);
    expect(sub.expiration_policy).toEqual({ ttl: "" });
    const dl = body("google_pubsub_subscription", "DeadLetters");
    expect(dl).toMatchObject({ topic: ref(address("google_pubsub_topic", "DeadLetterTopic")), message_retention_duration: "604800s" });
    expect(dl.push_config).toBeUndefined();
    // Pub/Sub's service agent dead-letters: publisher on the dead-letter topic, subscriber on the subscription.
    const agent = `serviceAccount:service-\${${"data.google_project"}.${Object.keys(out.data.google_project)[0]}.number}@gcp-sa-pubsub.iam.gserviceaccount.com`;
    expect(body("google_pubsub_topic_iam_member", "DeadLetterPublisher")).toMatchObject({ topic: ref(address("google_pubsub_topic", "DeadLetterTopic"), "name"), role: "roles/pubsub.publisher", member: agent });
    expect(body("google_pubsub_subscription_iam_member", "DeadLetterSubscriber")).toMatchObject({ role: "roles/pubsub.subscriber", member: agent });
    // The push account may invoke the detector, and only that.
    const invokes = resources(out, "google_cloud_run_v2_service_iam_member").filter(([, b]) => b.member === sa("Push"));
    expect(invokes.map(([, b]) => [b.name, b.role])).toEqual([[ref(detector, "name"), "roles/run.invoker"]]);
  });
});

describe("state and the mode function", () => {
  test("Firestore in native mode, a TTL on expireAt for every collection", () => {
    const db = body("google_firestore_database", "Database");
    expect(db).toMatchObject({ type: "FIRESTORE_NATIVE", location_id: "europe-west2", name: "lure-quarantine" });
    const fields = resources(out, "google_firestore_field").map(([, b]) => b);
    expect(fields.map((f) => f.collection).sort()).toEqual(Object.values(FIRESTORE_COLLECTIONS).sort());
    for (const f of fields) {
      expect(f).toMatchObject({ field: FIRESTORE_TTL_FIELD, database: ref(address("google_firestore_database", "Database"), "name"), ttl_config: {} });
    }
  });

  test("Cloud Scheduler every minute, OIDC as its own account to the mode function, which only that account may invoke", () => {
    const job = body("google_cloud_scheduler_job", "Schedule");
    const mode = address("google_cloudfunctions2_function", "Mode");
    expect(job.schedule).toBe(MODE_SCHEDULE);
    expect(MODE_SCHEDULE).toBe("* * * * *");
    expect(job.time_zone).toBe("Etc/UTC");
    expect(job.http_target.uri).toBe(`\${${mode}.service_config[0].uri}`);
    expect(job.http_target.oidc_token).toEqual({ service_account_email: ref(address("google_service_account", "SchedulerAccount"), "email"), audience: `\${${mode}.service_config[0].uri}` });
    const invokers = resources(out, "google_cloud_run_v2_service_iam_member").filter(([, b]) => b.name === ref(mode, "name"));
    expect(invokers.map(([, b]) => [b.role, b.member])).toEqual([["roles/run.invoker", sa("Scheduler")]]);
  });

  test("both functions: nodejs22, the contract's entry points and environment", () => {
    const d = body("google_cloudfunctions2_function", "Detector");
    const m = body("google_cloudfunctions2_function", "Mode");
    expect(d.build_config).toMatchObject({ runtime: "nodejs22", entry_point: GCP_QUARANTINE_ENTRY_POINTS.detector });
    expect(m.build_config).toMatchObject({ runtime: "nodejs22", entry_point: GCP_QUARANTINE_ENTRY_POINTS.mode });
    expect(d.event_trigger).toBeUndefined();
    expect(m.service_config.max_instance_count).toBe(1);
    // The detector batches concurrent pushes (one log entry each), which needs concurrency and so a whole vCPU; mode runs alone.
    expect(d.service_config).toMatchObject({ max_instance_count: 5, max_instance_request_concurrency: 80, available_cpu: "1" });
    expect(m.service_config).toMatchObject({ max_instance_request_concurrency: 1 });
    expect(m.service_config.available_cpu).toBeUndefined();
    expect(d.service_config.timeout_seconds).toBe(180);
    expect(m.service_config.timeout_seconds).toBe(300);
    // Pub/Sub's push and Cloud Scheduler of the same project are internal callers: neither function is on the internet.
    for (const f of [d, m]) expect(f.service_config.ingress_settings).toBe("ALLOW_INTERNAL_ONLY");
    for (const f of [d, m]) {
      const env = f.service_config.environment_variables as Record<string, string>;
      expect(Object.keys(env).sort()).toEqual(Object.values(GCP_QUARANTINE_ENV).sort());
      expect(env.LURE_PROJECT).toBe("lure-test-1");
      expect(env.LURE_REGION).toBe("europe-west2");
      expect(env.LURE_DATABASE).toBe("lure-quarantine");
      expect(env.LURE_FORWARDING_RULE).toBe(`projects/lure-test-1/global/forwardingRules/${q.forwardingRuleName}`);
      expect(env.LURE_SECURITY_POLICY).toBe(ref(address("google_compute_security_policy", "Policy"), "name"));
      expect(env.LURE_COPIES_SERVICE).toBe(ref(address("google_cloud_run_v2_service", "CopiesService"), "name"));
      const runtime = JSON.parse(env.LURE_QUARANTINE) as Json;
      expect(runtime.steering).toEqual({ firstPriority: CLOUD_ARMOR_FIRST_PRIORITY, ruleQuota: 100, albRuleLimit: CLOUD_ARMOR_MAX_RULES, cidrsPerRule: CLOUD_ARMOR_RANGES_PER_RULE });
      expect(runtime.detector.allowCidrs).toContain("10.43.0.0/16");
      expect(runtime.copies).toEqual({ defenceCount: 1, normalCount: 0 });
    }
    // The build runs as its own account with Cloud Run Builder.
    expect(d.build_config.service_account).toBe(ref(address("google_service_account", "BuildAccount")));
  });
});

describe("IAM, exactly", () => {
  const memberOf = (b: Json) => b.member as string;
  const all = () =>
    ["google_project_iam_member", "google_cloud_run_v2_service_iam_member", "google_service_account_iam_member", "google_pubsub_topic_iam_member", "google_pubsub_subscription_iam_member"].flatMap((t) =>
      resources(out, t).map(([a, b]) => ({ type: t, address: a, body: b })),
    );

  test("the custom roles hold exactly their permissions", () => {
    expect(body("google_project_iam_custom_role", "PolicyRole").permissions.sort()).toEqual([...SECURITY_POLICY_PERMISSIONS].sort());
    expect(body("google_project_iam_custom_role", "CopiesRole").permissions.sort()).toEqual([...COPIES_PERMISSIONS].sort());
  });

  test("detector and mode: Firestore on its database, the copies role on the copies, operations on the project, actAs on the copies' account; the policy role for mode only; nothing else", () => {
    for (const who of ["Detector", "Mode"]) {
      const grants = all().filter((g) => memberOf(g.body) === sa(who));
      const summary = grants.map((g) => [g.type, g.body.role, g.body.name ?? g.body.service_account_id ?? g.body.project, g.body.condition?.expression]).sort();
      const policy = [["google_project_iam_member", ref(address("google_project_iam_custom_role", "PolicyRole"), "name"), "lure-test-1", undefined]];
      expect(summary).toEqual(
        [
          ["google_cloud_run_v2_service_iam_member", ref(address("google_project_iam_custom_role", "CopiesRole"), "name"), ref(address("google_cloud_run_v2_service", "CopiesService"), "name"), undefined],
          ["google_project_iam_member", ref(address("google_project_iam_custom_role", `${who}StoreRole`), "name"), "lure-test-1", `resource.name == "projects/lure-test-1/databases/lure-quarantine"`],
          ["google_project_iam_member", ref(address("google_project_iam_custom_role", "OperationsRole"), "name"), "lure-test-1", undefined],
          ["google_service_account_iam_member", "roles/iam.serviceAccountUser", ref(address("google_service_account", "CopiesAccount"), "name"), undefined],
          ...(who === "Mode" ? policy : []),
        ].sort(),
      );
    }
  });

  test("the custom roles hold exactly what the functions call: the policy's update (addRule, patchRule, removeRule), the copies' get/update, the operations' get", () => {
    const perms = (id: string) => body("google_project_iam_custom_role", id).permissions as string[];
    expect(perms("PolicyRole")).toEqual(["compute.globalOperations.get", "compute.securityPolicies.get", "compute.securityPolicies.update"]);
    expect(perms("CopiesRole")).toEqual(["run.services.get", "run.services.update"]);
    expect(perms("OperationsRole")).toEqual(["run.operations.get"]);
    // Firestore by method: batchGet/get → entities.get, runQuery → get + list, beginTransaction/rollback
    // → databases.get, commit of a set → create + update; only the mode function's commits delete.
    const read = ["datastore.databases.get", "datastore.entities.get", "datastore.entities.list"];
    expect([...perms("DetectorStoreRole")].sort()).toEqual([...read, "datastore.entities.create", "datastore.entities.update"].sort());
    expect([...perms("ModeStoreRole")].sort()).toEqual([...read, "datastore.entities.create", "datastore.entities.delete", "datastore.entities.update"].sort());
    for (const id of ["DetectorStoreRole", "ModeStoreRole"]) expect(perms(id).filter((p) => !p.startsWith("datastore."))).toEqual([]);
  });

  test("the real service's, the copies' and the router's accounts get nothing but the router's two invocations", () => {
    for (const who of ["Real", "Copies"]) expect(all().filter((g) => memberOf(g.body) === sa(who))).toEqual([]);
    const router = all().filter((g) => memberOf(g.body) === sa("Router"));
    expect(router.map((g) => [g.type, g.body.role])).toEqual([
      ["google_cloud_run_v2_service_iam_member", "roles/run.invoker"],
      ["google_cloud_run_v2_service_iam_member", "roles/run.invoker"],
    ]);
  });

  test("no basic or admin role, no allUsers or allAuthenticatedUsers, no project role but the four named", () => {
    for (const g of all()) {
      expect(g.body.role).not.toMatch(/^roles\/(owner|editor|viewer)$|admin/i);
      expect(memberOf(g.body)).not.toMatch(/allUsers|allAuthenticatedUsers/);
    }
    const projectRoles = resources(out, "google_project_iam_member").map(([, b]) => [b.role, b.member]);
    expect(projectRoles.map(([r]) => r).sort()).toEqual(
      [
        ref(address("google_project_iam_custom_role", "PolicyRole"), "name"),
        ref(address("google_project_iam_custom_role", "OperationsRole"), "name"),
        ref(address("google_project_iam_custom_role", "OperationsRole"), "name"),
        ref(address("google_project_iam_custom_role", "DetectorStoreRole"), "name"),
        ref(address("google_project_iam_custom_role", "ModeStoreRole"), "name"),
        "roles/run.builder",
      ].sort(),
    );
    expect(resources(out, "google_cloud_run_v2_service_iam_policy")).toEqual([]);
    expect(resources(out, "google_cloud_run_v2_service_iam_binding")).toEqual([]);
    // Only the router admits unauthenticated requests, and only from the load balancer.
    const open = resources(out, "google_cloud_run_v2_service").filter(([, b]) => b.invoker_iam_disabled === true);
    expect(open.map(([a]) => a)).toEqual([address("google_cloud_run_v2_service", "Router")]);
  });
});

describe("config", () => {
  test("an existing target is refused on Google Cloud with its path", () => {
    const st = new GcpStack(Testing.app(), "q", { prefix: "lure", region: "europe-west2" });
    const target = { listenerArn: "x", taskDefinitionArn: "y", vpcId: "vpc-12345678", subnetIds: ["subnet-12345678"], containerName: "c", containerPort: 80, albSecurityGroupId: "sg-12345678" };
    expect(() => new GcpQuarantine(st, "Quarantine", { target })).toThrow(/target: an existing service/);
  });

  test("outputs: endpoint, policy, watch commands, next steps", () => {
    expect(Object.keys(out.output).sort()).toEqual(
      ["next_steps", "quarantine_address", "quarantine_copies", "quarantine_dead_letters", "quarantine_endpoint", "quarantine_security_policy", "quarantine_watch_mode"].sort(),
    );
    expect(out.output.quarantine_watch_mode.value.requests).toContain("gcloud logging read");
    expect(out.output.quarantine_watch_mode.value.requests).toContain(`forwarding_rule_name="${q.forwardingRuleName}"`);
  });
});

describe("in the app", () => {
  test("the default config synthesizes gcp-quarantine; an existing (AWS) target or quarantine.enabled false does not, and the config says why", () => {
    expect(createStacks(Testing.app(), configWith()).map((st) => st.node.id)).toContain("gcp-quarantine");
    const existing = configWith((c) => {
      c.quarantine.target = { listenerArn: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef", taskDefinitionArn: "arn:aws:ecs:eu-west-2:123456789012:task-definition/web:1", vpcId: "vpc-0123456789abcdef0", subnetIds: ["subnet-0123456789abcdef0"], containerName: "web", containerPort: 80, albSecurityGroupId: "sg-0123456789abcdef0" };
      c.quarantine.copies = { kind: "ecs", image: "example/decoy:1" };
    });
    expect(createStacks(Testing.app(), existing).map((st) => st.node.id)).not.toContain("gcp-quarantine");
    expect(configWarnings(existing)).toContain("quarantine.target: an existing service is an AWS listener, so gcp-quarantine is not synthesized; name your Cloud Run service in clouds.gcp.quarantineTarget to protect it on Google Cloud");
    expect(createStacks(Testing.app(), configWith((c) => (c.quarantine.enabled = false))).map((st) => st.node.id)).not.toContain("gcp-quarantine");
  });

  test("the router's subnet is a quarter of quarantine.demo.networkCidr", () => {
    expect(body("google_compute_subnetwork", "RouterSubnet").ip_cidr_range).toBe("10.43.0.0/18");
  });
});

describe("the function package", () => {
  test("a content-addressed object of one zip: index.js and a package.json installing exactly GCP_QUARANTINE_INSTALLED at the tested versions", () => {
    const pkg = gcpQuarantinePackage();
    expect(body("google_storage_bucket_object", "Source").name).toBe(`quarantine-${pkg.sha256Hex.slice(0, 16)}.zip`);
    const files = unzip(readFileSync(pkg.zipPath));
    expect([...files.keys()].sort()).toEqual(["index.js", "package.json"]);
    const manifest = JSON.parse(files.get("package.json")!.toString("utf8")) as Json;
    expect(manifest.main).toBe("index.js");
    expect(Object.keys(manifest.dependencies).sort()).toEqual([...GCP_QUARANTINE_INSTALLED].sort());
    for (const dep of GCP_QUARANTINE_INSTALLED) {
      const installed = JSON.parse(readFileSync(`${ROOT}/node_modules/${dep}/package.json`, "utf8")) as Json;
      expect({ dep, version: manifest.dependencies[dep] }).toEqual({ dep, version: installed.version });
    }
    // What the buildpack installs stays out of the bundle.
    expect(files.get("index.js")!.toString("utf8")).toContain('require("@google-cloud/functions-framework")');
    const bucket = body("google_storage_bucket", "SourceBucket");
    expect(bucket).toMatchObject({ uniform_bucket_level_access: true, public_access_prevention: "enforced" });
    for (const id of ["Detector", "Mode"]) {
      expect(body("google_cloudfunctions2_function", id).build_config.source.storage_source).toEqual({ bucket: ref(address("google_storage_bucket", "SourceBucket"), "name"), object: ref(address("google_storage_bucket_object", "Source"), "name") });
    }
  });
});

// ------------------------------------------------------------------------------------------------
// The construct ↔ function contract

/** A function's environment as deployed: Terraform references resolved to plausible values. */
function deployedEnv(id: "Detector" | "Mode"): Record<string, string> {
  const vars = body("google_cloudfunctions2_function", id).service_config.environment_variables as Record<string, string>;
  return Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [
      k,
      v
        .replace(/\$\{data\.google_client_config\.[A-Za-z0-9_]+\.project\}/g, "lure-test-1")
        .replace(/\$\{google_compute_security_policy\.[A-Za-z0-9_]+\.name\}/g, "lure-quarantine")
        .replace(/\$\{google_cloud_run_v2_service\.[A-Za-z0-9_]+\.name\}/g, "lure-quarantine-copies")
        .replace(/\$\{[^}]+\}/g, "lure-resolved"),
    ]),
  );
}

describe("environment contract: the built package loads with the construct's environment", () => {
  let dir: string;
  let loads: Record<"detector" | "mode" | "wrong", Loaded>;
  beforeAll(async () => {
    dir = unpackPackage(gcpQuarantinePackage().zipPath, { "@google-cloud/functions-framework": FAKE_FUNCTIONS_FRAMEWORK });
    // The buildpack installs GCP_QUARANTINE_INSTALLED beside the bundle; the project's copies stand in.
    const installed = [join(ROOT, "node_modules")];
    const [d, m, w] = await Promise.all([
      loadPackage(dir, deployedEnv("Detector"), installed),
      loadPackage(dir, deployedEnv("Mode"), installed),
      loadPackage(dir, { ...deployedEnv("Mode"), LURE_QUARANTINE: "{}" }, installed),
    ]);
    loads = { detector: d, mode: m, wrong: w };
  }, 30_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(["detector", "mode"] as const)("the %s's environment: no error, and both entry points registered, the detector's as a CloudEvent function", (who) => {
    const { stdout, stderr, failed } = loads[who];
    expect({ failed, stderr: failed ? stderr.slice(-2000) : "" }).toEqual({ failed: false, stderr: "" });
    const entry = (id: "Detector" | "Mode") => body("google_cloudfunctions2_function", id).build_config.entry_point as string;
    expect(JSON.parse(stdout)).toEqual([
      { kind: "cloudEvent", name: entry("Detector"), handler: "function" },
      { kind: "http", name: entry("Mode"), handler: "function" },
    ]);
  });

  test("a wrong setting stops the package at load, naming the variable", () => {
    expect(loads.wrong.failed).toBe(true);
    // One structured line, not Node's print of the (megabytes long) minified source line.
    const lines = loads.wrong.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { severity: string; event: string; message: string };
    expect({ severity: line.severity, event: line.event }).toEqual({ severity: "ERROR", event: "config-error" });
    expect(line.message).toMatch(/LURE_QUARANTINE/);
  });
});
