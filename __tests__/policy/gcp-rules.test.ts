/** Google Cloud branches of the policy rules (google 6.50.0): one compliant and several non-compliant fixtures per rule. */
import { bucketPrivateEncrypted } from "../../modules/core/policy/rules/bucket-private-encrypted";
import { dashboardBehindWaf } from "../../modules/core/policy/rules/dashboard-behind-waf";
import { dashboardEncrypted } from "../../modules/core/policy/rules/dashboard-encrypted";
import { elasticNoPublicIp } from "../../modules/core/policy/rules/elastic-no-public-ip";
import { elasticNotPublic } from "../../modules/core/policy/rules/elastic-not-public";
import { honeypotRoleMinimal } from "../../modules/core/policy/rules/honeypot-role-minimal";
import { noSecretValues } from "../../modules/core/policy/rules/no-secret-values";
import { roleAssignmentScoped } from "../../modules/core/policy/rules/role-assignment-scoped";
import { componentOf } from "../../modules/core/policy/util";
import { allow, allowRule, dashboardLb, defaultRule, firewall, instance, labels, merge } from "./gcp-fixtures";
import { addresses, ref, stack } from "./fixtures";

const ids = (v: readonly { ruleId: string }[]) => [...new Set(v.map((x) => x.ruleId))];

describe("componentOf", () => {
  it("reads the lure:component tag, then the lure-component label, never other labels", () => {
    expect(componentOf({ tags: { "lure:component": "elastic" } })).toBe("elastic");
    expect(componentOf(labels("honeypot"))).toBe("honeypot");
    expect(componentOf({ labels: { lure_component: "honeypot" } })).toBeUndefined();
    expect(componentOf({ labels: "${var.labels}" })).toBeUndefined();
    expect(componentOf({})).toBeUndefined();
  });
});

describe("elastic-not-public (Google Cloud)", () => {
  it("accepts the honeynet's rules: Logstash and Elasticsearch from subnets, honeypot ports (even 9200) from anywhere", () => {
    const s = stack({
      google_compute_instance: { es: instance("elastic", "lure-elastic"), cowrie: instance("honeypot", "lure-hp-cowrie"), ep: instance("honeypot", "lure-hp-elasticpot") },
      google_compute_firewall: {
        logstash: firewall(["10.42.0.0/20"], [allow("tcp", ["5044"])]),
        es: firewall(["10.42.32.0/20"], [allow("tcp", ["9200"])]),
        cowrie: firewall(["0.0.0.0/0"], [allow("tcp", ["22", "23"])], "lure-hp-cowrie"),
        elasticpot: firewall(["0.0.0.0/0"], [allow("tcp", ["9200"])], "lure-hp-elasticpot"),
        icmp: firewall(["0.0.0.0/0"], [allow("icmp")]),
        egress: firewall(["0.0.0.0/0"], [allow("all")], "lure-elastic", { direction: "EGRESS", source_ranges: undefined, destination_ranges: ["0.0.0.0/0"] }),
        off: firewall(["0.0.0.0/0"], [allow("tcp", ["5601"])], "lure-elastic", { disabled: true }),
        tagged: firewall([], [allow("tcp")], "lure-elastic", { source_ranges: undefined, source_tags: ["lure-kibana"] }),
      },
    });
    expect(elasticNotPublic.check(s)).toEqual([]);
  });

  it("flags Kibana on a single port from 0.0.0.0/0, with the exact message", () => {
    const s = stack({ google_compute_instance: { es: instance("elastic", "lure-elastic") }, google_compute_firewall: { kibana: firewall(["0.0.0.0/0"], [allow("tcp", ["5601"])]) } });
    expect(elasticNotPublic.check(s)).toEqual([
      {
        ruleId: "elastic-not-public",
        resource: "google_compute_firewall.kibana",
        message: "google_compute_firewall.kibana allow[0] admits tcp port 5601 from 0.0.0.0/0, exposing 5601 (Kibana) to the internet; restrict source_ranges to an allow-list or a subnet.",
      },
    ]);
  });

  it("reads port ranges, missing ports, protocol all and numbers, ::/0 and unset sources", () => {
    const s = stack({
      google_compute_instance: { es: instance("elastic", "lure-elastic") },
      google_compute_firewall: {
        range: firewall(["198.51.100.0/24", "0.0.0.0/0"], [allow("tcp", ["5000-6000"])]),
        miss: firewall(["0.0.0.0/0"], [allow("tcp", ["5000-5043", "5045-5600"])]),
        every: firewall(["::/0"], [allow("udp")]),
        all: firewall(["0.0.0.0/0"], [allow("all")]),
        six: firewall(["0.0.0.0/0"], [allow("6", ["9600"])]),
        unset: firewall([], [allow("tcp", ["64305"])], "lure-elastic", { source_ranges: undefined }),
        noDirection: firewall(["0.0.0.0/0"], [allow("tcp", ["22"]), allow("tcp", ["9200"])], "lure-elastic", { direction: undefined }),
      },
    });
    const v = elasticNotPublic.check(s);
    expect(ids(v)).toEqual(["elastic-not-public"]);
    expect(addresses(v)).toEqual([
      "google_compute_firewall.range",
      "google_compute_firewall.every",
      "google_compute_firewall.all",
      "google_compute_firewall.six",
      "google_compute_firewall.unset",
      "google_compute_firewall.noDirection",
    ]);
    expect(v[0]?.message).toContain("tcp ports 5000-6000 from 0.0.0.0/0, exposing 5601 (Kibana), 5044 (Logstash)");
    expect(v[1]?.message).toContain("udp, every port from ::/0, exposing 5601 (Kibana), 9200 (Elasticsearch), 5044 (Logstash), 9600 (Logstash), 64305 (Logstash)");
    expect(v[2]?.message).toContain("all protocols, every port");
    expect(v[3]?.message).toContain("tcp port 9600 from 0.0.0.0/0, exposing 9600 (Logstash)");
    expect(v[4]?.message).toContain("from 0.0.0.0/0 (source_ranges unset), exposing 64305 (Logstash)");
    expect(v[5]?.message).toMatch(/^google_compute_firewall\.noDirection allow\[1\] admits tcp port 9200/);
  });

  it("does not exempt a rule whose tag the Elastic VM shares, or that has no targets", () => {
    const s = stack({
      google_compute_instance: { es: instance("elastic", "lure-elastic", { tags: ["lure-elastic", "lure-hp-elasticpot"] }), ep: instance("honeypot", "lure-hp-elasticpot") },
      google_compute_firewall: {
        shared: firewall(["0.0.0.0/0"], [allow("tcp", ["9200"])], "lure-hp-elasticpot"),
        everyone: firewall(["0.0.0.0/0"], [allow("tcp", ["9200"])], "x", { target_tags: undefined }),
        nobody: firewall(["0.0.0.0/0"], [allow("tcp", ["9200"])], "lure-unused"),
      },
    });
    expect(addresses(elasticNotPublic.check(s))).toEqual(["google_compute_firewall.shared", "google_compute_firewall.everyone", "google_compute_firewall.nobody"]);
  });
});

describe("elastic-no-public-ip (Google Cloud)", () => {
  it("accepts a private Elastic VM and external IPs on honeypots", () => {
    const s = stack({ google_compute_instance: { es: instance("elastic", "lure-elastic"), pot: instance("honeypot", "lure-hp-cowrie") } });
    expect(elasticNoPublicIp.check(s)).toEqual([]);
  });

  it("flags an access_config (even empty) or ipv6_access_config on the Elastic VM or template", () => {
    const s = stack({
      google_compute_instance: {
        es: instance("elastic", "lure-elastic", { network_interface: [{ subnetwork: "a" }, { subnetwork: "b", access_config: [{}] }] }),
      },
      google_compute_instance_template: { es: instance("elastic", "lure-elastic", { network_interface: [{ subnetwork: "a", ipv6_access_config: { network_tier: "PREMIUM" } }] }) },
    });
    expect(elasticNoPublicIp.check(s)).toEqual([
      {
        ruleId: "elastic-no-public-ip",
        resource: "google_compute_instance.es",
        message: "Elastic VM google_compute_instance.es network_interface[1] has access_config, which gives it an external address; remove it (the VM leaves through Cloud NAT).",
      },
      {
        ruleId: "elastic-no-public-ip",
        resource: "google_compute_instance_template.es",
        message: "Elastic VM google_compute_instance_template.es network_interface[0] has ipv6_access_config, which gives it an external address; remove it (the VM leaves through Cloud NAT).",
      },
    ]);
  });
});

describe("dashboard-behind-waf (Google Cloud)", () => {
  it("accepts the honeynet's chain, and a world-wide allow rule with the opt-in on the forwarding rule and Cloud Run", () => {
    expect(dashboardBehindWaf.check(stack(dashboardLb()))).toEqual([]);
    const open = { "lure-world-open": "true" };
    const s = stack(dashboardLb({ https: true, ruleLabels: open, runLabels: open, rules: [allowRule(1000, ["0.0.0.0/0"]), allowRule(1001, ["*"]), defaultRule("deny(404)")] }));
    expect(dashboardBehindWaf.check(s)).toEqual([]);
  });

  it("flags a world-wide allow rule without the opt-in, or with it on one entry point only", () => {
    const s = stack(dashboardLb({ runLabels: { "lure-world-open": "true" }, rules: [allowRule(1000, ["198.51.100.0/24", "0.0.0.0/0"]), defaultRule()] }));
    expect(dashboardBehindWaf.check(s)).toEqual([
      {
        ruleId: "dashboard-behind-waf",
        resource: "google_compute_backend_service.kibana",
        message:
          'dashboard backend service google_compute_backend_service.kibana is not allow-listed: google_compute_security_policy.dashboard: rule 1000 ("allow") admits 0.0.0.0/0 without the lure-world-open=true opt-in.',
      },
    ]);
  });

  it("flags allow rules that together cover the whole space, and non-IP or unresolved matches", () => {
    const s = stack(
      dashboardLb({
        rules: [
          allowRule(1000, ["0.0.0.0/1"]),
          allowRule(1001, ["128.0.0.0/1"]),
          { priority: 1002, action: "throttle", match: { expr: { expression: "origin.region_code == 'GB'" } } },
          allowRule(1003, ["${var.cidr}"]),
          allowRule(1004, ["0.0.0.0/0"], "deny(403)"),
          defaultRule(),
        ],
      }),
    );
    const v = dashboardBehindWaf.check(s);
    expect(addresses(v)).toEqual(["google_compute_backend_service.kibana"]);
    expect(v[0]?.message).toContain('rule 1002 ("throttle") matches something other than literal src_ip_ranges');
    expect(v[0]?.message).toContain("rule 1003 (\"allow\") has unresolved src_ip_ranges ${var.cidr}");
    expect(v[0]?.message).toContain("its allow rules together cover the whole address space (0.0.0.0/1, 128.0.0.0/1, ${var.cidr})");
    expect(v[0]?.message).not.toContain("rule 1004");
  });

  it("flags a default rule that allows, is missing or is in preview", () => {
    const allowAll = dashboardBehindWaf.check(stack(dashboardLb({ rules: [allowRule(1000, ["198.51.100.0/24"]), defaultRule("allow")] })));
    expect(allowAll.map((x) => x.message)).toEqual([
      'dashboard backend service google_compute_backend_service.kibana is not allow-listed: google_compute_security_policy.dashboard: its default rule\'s action is "allow", not deny(...).',
    ]);
    const none = dashboardBehindWaf.check(stack(dashboardLb({ rules: [allowRule(1000, ["198.51.100.0/24"])] })));
    expect(none[0]?.message).toContain("has no default rule (priority 2147483647), so Google adds one that allows everyone");
    const preview = dashboardBehindWaf.check(stack(dashboardLb({ rules: [{ ...defaultRule(), preview: true }] })));
    expect(preview[0]?.message).toContain("its default rule is in preview, so it denies nothing");
  });

  it("flags a backend without a security policy, or with one outside the stack", () => {
    expect(dashboardBehindWaf.check(stack(dashboardLb({ securityPolicy: null })))).toEqual([
      {
        ruleId: "dashboard-behind-waf",
        resource: "google_compute_backend_service.kibana",
        message: "dashboard backend service google_compute_backend_service.kibana is not allow-listed: it has no security_policy: anyone who reaches the load balancer reaches Kibana.",
      },
    ]);
    const outside = dashboardBehindWaf.check(stack(dashboardLb({ securityPolicy: "projects/p/global/securityPolicies/x" })));
    expect(outside[0]?.message).toContain('its security_policy "projects/p/global/securityPolicies/x" is not a google_compute_security_policy of this stack');
  });

  it("finds the dashboard backend from the Cloud Run service alone, and from an unlabelled second URL map", () => {
    const base = dashboardLb({ securityPolicy: null });
    // No dashboard forwarding rule: the serverless NEG still ties the backend to the dashboard.
    const noRule = { ...base };
    delete noRule["google_compute_global_forwarding_rule"];
    expect(addresses(dashboardBehindWaf.check(stack(noRule)))).toEqual(["google_compute_backend_service.kibana"]);
    // An unrelated backend without a policy is not the dashboard's.
    const other = merge(dashboardLb(), { google_compute_backend_service: { api: { name: "api", backend: [{ group: ref("google_compute_instance_group.api") }] } } });
    expect(dashboardBehindWaf.check(stack(other))).toEqual([]);
  });

  it("flags a dashboard Cloud Run service reachable around the load balancer", () => {
    const v = dashboardBehindWaf.check(stack(dashboardLb({ ingress: null })));
    expect(v).toEqual([
      {
        ruleId: "dashboard-behind-waf",
        resource: "google_cloud_run_v2_service.kibana",
        message:
          "dashboard Cloud Run service google_cloud_run_v2_service.kibana has ingress unset (defaults to INGRESS_TRAFFIC_ALL), so its run.app URL bypasses Cloud Armor; set INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER.",
      },
    ]);
    expect(dashboardBehindWaf.check(stack(dashboardLb({ ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY" })))).toEqual([]);
    expect(addresses(dashboardBehindWaf.check(stack(dashboardLb({ ingress: "INGRESS_TRAFFIC_ALL" }))))).toEqual(["google_cloud_run_v2_service.kibana"]);
  });

  it("flags a dashboard forwarding rule whose proxy chain is not in the stack", () => {
    const literal = stack(merge(dashboardLb(), { google_compute_global_forwarding_rule: { dashboard: { ...labels("dashboard"), target: "projects/p/global/targetHttpProxies/x", port_range: "80" } } }));
    expect(dashboardBehindWaf.check(literal)).toEqual([
      {
        ruleId: "dashboard-behind-waf",
        resource: "google_compute_global_forwarding_rule.dashboard",
        message:
          'dashboard forwarding rule google_compute_global_forwarding_rule.dashboard leads through target "projects/p/global/targetHttpProxies/x", which is not a proxy chain of this stack, so its Cloud Armor policy cannot be verified.',
      },
    ]);
    const missingMap = stack(merge(dashboardLb(), { google_compute_target_http_proxy: { dashboard: { name: "d", url_map: ref("google_compute_url_map.elsewhere") } } }));
    expect(addresses(dashboardBehindWaf.check(missingMap))).toEqual(["google_compute_global_forwarding_rule.dashboard"]);
  });

  it("accepts an HTTP forwarding rule whose URL map only redirects to HTTPS next to the HTTPS one", () => {
    const s = stack(
      merge(dashboardLb({ https: true }), {
        google_compute_url_map: { redirect: { name: "r", default_url_redirect: { https_redirect: true, strip_query: false } } },
        google_compute_target_http_proxy: { redirect: { name: "r", url_map: ref("google_compute_url_map.redirect") } },
        google_compute_global_forwarding_rule: { redirect: { ...labels("dashboard"), target: ref("google_compute_target_http_proxy.redirect"), port_range: "80" } },
      }),
    );
    expect(dashboardBehindWaf.check(s)).toEqual([]);
    expect(dashboardEncrypted.check(s)).toEqual([]);
  });
});

describe("dashboard-encrypted (Google Cloud)", () => {
  it("accepts HTTPS, HTTP with the plaintext opt-in, and an HTTP proxy that only redirects", () => {
    expect(dashboardEncrypted.check(stack(dashboardLb({ https: true })))).toEqual([]);
    expect(dashboardEncrypted.check(stack(dashboardLb()))).toEqual([]);
    const redirect = merge(dashboardLb({ ruleLabels: {} }), {
      google_compute_url_map: { dashboard: { name: "lure-redirect", default_url_redirect: { https_redirect: true, strip_query: false } } },
    });
    expect(dashboardEncrypted.check(stack(redirect))).toEqual([]);
  });

  it("flags plain HTTP without the opt-in, with the exact message", () => {
    expect(dashboardEncrypted.check(stack(dashboardLb({ ruleLabels: {} })))).toEqual([
      {
        ruleId: "dashboard-encrypted",
        resource: "google_compute_global_forwarding_rule.dashboard",
        message:
          "google_compute_global_forwarding_rule.dashboard serves the dashboard over plain HTTP through google_compute_target_http_proxy.dashboard without the config's opt-in; give honeynet.dashboard a domain, or set allowPlaintext: true (label lure-plaintext=true).",
      },
    ]);
  });

  it("flags a wrong opt-in value and a target outside the stack; ignores non-dashboard rules", () => {
    expect(addresses(dashboardEncrypted.check(stack(dashboardLb({ ruleLabels: { "lure-plaintext": "accepted" } }))))).toEqual(["google_compute_global_forwarding_rule.dashboard"]);
    const outside = stack({ google_compute_forwarding_rule: { d: { ...labels("dashboard"), target: "projects/p/regions/r/targetHttpsProxies/x", port_range: "443" } } });
    expect(dashboardEncrypted.check(outside)[0]?.message).toContain('over target "projects/p/regions/r/targetHttpsProxies/x", which is not a TLS proxy of this stack,');
    const lb = dashboardLb({ ruleLabels: {} });
    const rule = lb["google_compute_global_forwarding_rule"]?.["dashboard"] ?? {};
    const other = merge(lb, { google_compute_global_forwarding_rule: { dashboard: { ...rule, labels: { "lure-component": "honeypot" } } } });
    expect(dashboardEncrypted.check(stack(other))).toEqual([]);
  });
});

describe("honeypot-role-minimal (Google Cloud)", () => {
  const account = { google_service_account: { pot: { account_id: "lure-pot" } } };
  const withAccount = (scopes: string[], email: unknown = ref("google_service_account.pot", "email")) => instance("honeypot", "lure-hp-cowrie", { service_account: { email, scopes } });

  it("accepts honeypots without a service account, or with a narrow one that holds no role; grants to others are fine", () => {
    const s = stack({
      ...account,
      google_compute_instance: { a: instance("honeypot", "a"), b: withAccount(["https://www.googleapis.com/auth/logging.write"]), es: instance("elastic", "lure-elastic", { service_account: { scopes: ["cloud-platform"] } }) },
      google_project_iam_member: { watcher: { project: "p", role: "roles/compute.viewer", member: `serviceAccount:${ref("google_service_account.watcher", "email")}` } },
    });
    expect(honeypotRoleMinimal.check(s)).toEqual([]);
  });

  it("flags the cloud-platform scope, in either form", () => {
    const s = stack({ ...account, google_compute_instance: { a: withAccount(["cloud-platform"]), b: withAccount(["https://www.googleapis.com/auth/cloud-platform"]) } });
    const v = honeypotRoleMinimal.check(s);
    expect(addresses(v)).toEqual(["google_compute_instance.a", "google_compute_instance.b"]);
    expect(v[0]).toEqual({
      ruleId: "honeypot-role-minimal",
      resource: "google_compute_instance.a",
      message: "honeypot google_compute_instance.a gives its service account scope cloud-platform, which lets a stolen token use every role of the account; remove the service_account block (a hive sensor's account, whose only roles are roles/secretmanager.secretAccessor on secrets of the stack, may have it).",
    });
  });

  describe("a hive sensor's account", () => {
    const secretRead = { secret_id: ref("google_secret_manager_secret.hive", "secret_id"), role: "roles/secretmanager.secretAccessor", member: `serviceAccount:${ref("google_service_account.pot", "email")}` };
    const sensor = (reads: Record<string, Record<string, unknown>>, more: Record<string, Record<string, Record<string, unknown>>> = {}) =>
      stack({ ...account, google_secret_manager_secret: { hive: { secret_id: "lure-hive-sensor" } }, google_compute_instance: { a: withAccount(["https://www.googleapis.com/auth/cloud-platform"]) }, google_secret_manager_secret_iam_member: reads, ...more });

    it("may read secrets of the stack, and only then has the cloud-platform scope", () => {
      expect(honeypotRoleMinimal.check(sensor({ read: secretRead }))).toEqual([]);
    });

    it.each([
      ["a grant beside the read", { read: secretRead }, { google_project_iam_member: { m: { project: "p", role: "roles/logging.logWriter", member: secretRead.member } } }, ["google_compute_instance.a", "google_project_iam_member.m"]],
      ["another role on the secret", { read: { ...secretRead, role: "roles/secretmanager.admin" } }, {}, ["google_compute_instance.a", "google_secret_manager_secret_iam_member.read"]],
      ["a conditioned read", { read: { ...secretRead, condition: { title: "t", expression: "true" } } }, {}, ["google_compute_instance.a", "google_secret_manager_secret_iam_member.read"]],
      ["a secret outside the stack", { read: { ...secretRead, secret_id: "projects/p/secrets/other" } }, {}, ["google_compute_instance.a", "google_secret_manager_secret_iam_member.read"]],
      ["no read at all (the scope then has no reason)", {}, {}, ["google_compute_instance.a"]],
    ])("flags %s", (_, reads, more, expected) => {
      expect(addresses(honeypotRoleMinimal.check(sensor(reads as Record<string, Record<string, unknown>>, more as Record<string, Record<string, Record<string, unknown>>>))).sort()).toEqual(expected);
    });
  });

  it("flags the Compute Engine default service account", () => {
    const s = stack({
      google_compute_instance: {
        unset: instance("honeypot", "a", { service_account: { scopes: ["logging-write"] } }),
        literal: instance("honeypot", "b", { service_account: { email: "123-compute@developer.gserviceaccount.com", scopes: ["logging-write"] } }),
        data: instance("honeypot", "c", { service_account: { email: "${data.google_compute_default_service_account.d.email}", scopes: ["logging-write"] } }),
      },
    });
    const v = honeypotRoleMinimal.check(s);
    expect(addresses(v)).toEqual(["google_compute_instance.unset", "google_compute_instance.literal", "google_compute_instance.data"]);
    expect(v[0]?.message).toBe(
      "honeypot google_compute_instance.unset runs as the Compute Engine default service account (service_account.email unset), which usually holds Editor on the project; remove the service_account block.",
    );
  });

  it("flags every grant of a role to a honeypot's service account: member, binding, policy, by reference or literal email", () => {
    const email = "lure-pot@p.iam.gserviceaccount.com";
    const s = stack(
      {
        ...account,
        google_compute_instance: { a: withAccount(["logging-write"]), b: instance("honeypot", "b", { service_account: { email, scopes: ["logging-write"] } }) },
        google_project_iam_member: { m: { project: "p", role: "roles/logging.logWriter", member: `serviceAccount:${ref("google_service_account.pot", "email")}` } },
        google_storage_bucket_iam_binding: { b: { bucket: "x", role: "roles/storage.objectViewer", members: ["user:a@example.org", `serviceAccount:${email}`] } },
        google_project_iam_policy: { p: { project: "p", policy_data: "${data.google_iam_policy.p.policy_data}" } },
        google_folder_iam_policy: { f: { folder: "f", policy_data: JSON.stringify({ bindings: [{ role: "roles/viewer", members: [`serviceAccount:${email.toUpperCase()}`] }] }) } },
      },
      { google_iam_policy: { p: { binding: [{ role: "roles/viewer", members: [`serviceAccount:${ref("google_service_account.pot", "email")}`] }] } } },
    );
    const v = honeypotRoleMinimal.check(s);
    // Grant types in the stack's order.
    expect(addresses(v)).toEqual(["google_project_iam_member.m", "google_storage_bucket_iam_binding.b", "google_project_iam_policy.p", "google_folder_iam_policy.f"]);
    expect(v[2]?.message).toContain("the service account of honeypot google_compute_instance.a");
    expect(v[3]?.message).toContain("the service account of honeypot google_compute_instance.b");
    expect(v.find((x) => x.resource === "google_project_iam_member.m")?.message).toBe(
      'google_project_iam_member.m grants "roles/logging.logWriter" to ${google_service_account.pot.email}, the service account of honeypot google_compute_instance.a; a honeypot\'s account may hold no role but a hive sensor\'s roles/secretmanager.secretAccessor on a secret of the stack.',
    );
    expect(v.find((x) => x.resource === "google_storage_bucket_iam_binding.b")?.message).toContain(`to ${email}, the service account of honeypot google_compute_instance.b`);
  });
});

describe("role-assignment-scoped (Google Cloud)", () => {
  it("accepts narrow predefined roles at any level", () => {
    const s = stack({
      google_project_iam_member: { v: { project: "p", role: "roles/compute.viewer", member: "user:a@example.org" } },
      google_organization_iam_binding: { b: { org_id: "1", role: "roles/browser", members: ["user:a@example.org"] } },
      google_storage_bucket_iam_member: { o: { bucket: "b", role: "roles/storage.admin", member: "user:a@example.org" } },
    });
    expect(roleAssignmentScoped.check(s)).toEqual([]);
  });

  it("flags owner, editor and IAM-admin roles on projects, folders and organizations", () => {
    const s = stack(
      {
        google_project_iam_member: { owner: { project: "p", role: "roles/owner", member: "user:a@example.org" } },
        google_project_iam_binding: { editor: { project: "p", role: "roles/editor", members: ["user:a@example.org"] } },
        google_folder_iam_member: { iam: { folder: "f", role: "roles/resourcemanager.folderIamAdmin", member: "user:a@example.org" } },
        google_organization_iam_policy: { org: { org_id: "1", policy_data: "${data.google_iam_policy.org.policy_data}" } },
        google_project_iam_policy: { json: { project: "p", policy_data: JSON.stringify({ bindings: [{ role: "roles/viewer", members: ["user:a"] }, { role: "roles/iam.securityAdmin", members: ["user:a"] }] }) } },
      },
      { google_iam_policy: { org: { binding: [{ role: "roles/owner", members: ["user:a@example.org"] }] } } },
    );
    const v = roleAssignmentScoped.check(s);
    expect(ids(v)).toEqual(["role-assignment-scoped"]);
    expect(addresses(v)).toEqual([
      "google_project_iam_member.owner",
      "google_project_iam_binding.editor",
      "google_project_iam_policy.json",
      "google_folder_iam_member.iam",
      "google_organization_iam_policy.org",
    ]);
    expect(v[0]?.message).toBe(
      "google_project_iam_member.owner grants roles/owner on the project; grant a predefined role that names what the principal does (e.g. roles/compute.viewer), on the resource it needs.",
    );
    expect(v[2]?.message).toContain("grants roles/iam.securityAdmin on the project");
    expect(v[4]?.message).toContain("grants roles/owner on the organization");
  });
});

describe("bucket-private-encrypted (Google Cloud)", () => {
  const good = { name: "lure-logs", location: "EU", uniform_bucket_level_access: true, public_access_prevention: "enforced" };

  it("accepts a bucket with uniform access and enforced public access prevention, granted to named principals", () => {
    const s = stack({
      google_storage_bucket: { logs: good },
      google_storage_bucket_iam_member: { w: { bucket: ref("google_storage_bucket.logs", "name"), role: "roles/storage.objectCreator", member: "serviceAccount:x@p.iam.gserviceaccount.com" } },
    });
    expect(bucketPrivateEncrypted.check(s)).toEqual([]);
  });

  it("flags unset or wrong access settings, with the exact messages", () => {
    const s = stack({ google_storage_bucket: { a: { name: "a", location: "EU" }, b: { ...good, uniform_bucket_level_access: false, public_access_prevention: "inherited" } } });
    expect(bucketPrivateEncrypted.check(s)).toEqual([
      { ruleId: "bucket-private-encrypted", resource: "google_storage_bucket.a", message: "google_storage_bucket.a has uniform_bucket_level_access unset (defaults to false); set it to true so that no object ACL can make an object public." },
      { ruleId: "bucket-private-encrypted", resource: "google_storage_bucket.a", message: 'google_storage_bucket.a has public_access_prevention unset (defaults to inherited); set it to "enforced".' },
      { ruleId: "bucket-private-encrypted", resource: "google_storage_bucket.b", message: "google_storage_bucket.b has uniform_bucket_level_access false; set it to true so that no object ACL can make an object public." },
      { ruleId: "bucket-private-encrypted", resource: "google_storage_bucket.b", message: 'google_storage_bucket.b has public_access_prevention "inherited"; set it to "enforced".' },
    ]);
  });

  it("flags allUsers and allAuthenticatedUsers in members, bindings and policies", () => {
    const s = stack({
      google_storage_bucket: { logs: good },
      google_storage_bucket_iam_member: { m: { bucket: "b", role: "roles/storage.objectViewer", member: "allUsers" } },
      google_storage_bucket_iam_binding: { b: { bucket: "b", role: "roles/storage.objectViewer", members: ["user:a@example.org", "allAuthenticatedUsers"] } },
      google_storage_bucket_iam_policy: { p: { bucket: "b", policy_data: JSON.stringify({ bindings: [{ role: "roles/storage.legacyBucketReader", members: ["allUsers"] }] }) } },
    });
    const v = bucketPrivateEncrypted.check(s);
    expect(addresses(v)).toEqual(["google_storage_bucket_iam_member.m", "google_storage_bucket_iam_binding.b", "google_storage_bucket_iam_policy.p"]);
    expect(v[1]?.message).toBe('google_storage_bucket_iam_binding.b grants "roles/storage.objectViewer" to allAuthenticatedUsers, which makes the bucket public; grant it to named principals only.');
  });
});

describe("no-secret-values (Google Cloud)", () => {
  it("accepts the honeynet's metadata, Kibana's env and an empty secret", () => {
    const s = stack({
      google_compute_instance: { pot: instance("honeypot", "lure-hp-cowrie", { metadata: { "user-data": "#cloud-config\n", "enable-oslogin": "TRUE", "block-project-ssh-keys": "TRUE", "ssh-keys": "lure:ssh-ed25519 AAAA" } }) },
      google_secret_manager_secret: { shodan: { secret_id: "lure-shodan", replication: { auto: {} } } },
      ...dashboardLb(),
      google_cloudfunctions2_function: { w: { name: "w", service_config: { environment_variables: { SHODAN_SECRET_NAME: "lure-shodan" } } } },
    });
    expect(noSecretValues.check(s)).toEqual([]);
  });

  it("flags secret values in versions, SQL users, metadata, Cloud Run and Cloud Functions", () => {
    const s = stack({
      google_secret_manager_secret_version: { v: { secret: ref("google_secret_manager_secret.s"), secret_data: "hunter2" }, wo: { secret: "s", secret_data_wo: "hunter2" } },
      google_sql_user: { u: { name: "u", instance: "i", password: "hunter2" } },
      google_compute_instance: { pot: instance("honeypot", "lure-hp-cowrie", { metadata: { "shodan-api-key": "x", other: "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345" } }) },
      google_cloud_run_v2_service: {
        kibana: {
          ...labels("dashboard"),
          ingress: "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
          template: { containers: [{ name: "kibana", env: [{ name: "ELASTIC_PASSWORD", value: "x" }, { name: "KEY", value_source: { secret_key_ref: { secret: "s", version: "latest" } } }] }] },
        },
      },
      google_cloud_run_v2_job: { j: { template: { template: { containers: [{ name: "c", env: [{ name: "API_TOKEN", value: "x" }] }] } } } },
      google_cloudfunctions2_function: {
        f: { service_config: { environment_variables: { SHODAN_API_KEY: "x" }, secret_environment_variables: [{ key: "K", project_id: "p", secret: "s", version: "latest" }] }, build_config: { environment_variables: { NPM_TOKEN: "x" } } },
      },
      google_cloudfunctions_function: { g: { environment_variables: { DB_PASSWORD: "x" } } },
    });
    const v = noSecretValues.check(s);
    expect(ids(v)).toEqual(["no-secret-values"]);
    expect(addresses(v)).toEqual([
      "google_secret_manager_secret_version.v",
      "google_secret_manager_secret_version.wo",
      "google_sql_user.u",
      "google_compute_instance.pot",
      "google_compute_instance.pot",
      "google_cloud_run_v2_service.kibana",
      "google_cloud_run_v2_service.kibana",
      "google_cloud_run_v2_job.j",
      "google_cloudfunctions_function.g",
      "google_cloudfunctions2_function.f",
      "google_cloudfunctions2_function.f",
      "google_cloudfunctions2_function.f",
    ]);
    expect(v[3]?.message).toBe("google_compute_instance.pot sets metadata key shodan-api-key, which looks like a secret value; pass the secret's ARN (…_ARN) and read it at run time.");
    expect(v[4]?.message).toContain("sets metadata key other to something shaped like an API key");
    expect(v[6]?.message).toContain("sets container kibana variable KEY from Secret Manager (value_source.secret_key_ref)");
    expect(v.map((x) => x.message).join("\n")).toContain("build environment variable NPM_TOKEN");
    expect(v.map((x) => x.message).join("\n")).toContain("environment variable K from secret");
  });
});
