/**
 * The Google Cloud Quarantine's policy rules (google 6.50.0): `quarantine-copies-isolated` on Cloud
 * Run copies, and `quarantine-runtime-ignored` (Cloud Armor band, the copies' minimum instances).
 * One compliant stack shaped like `gcp-quarantine`, broken one way at a time.
 */
import { checkStack } from "../../modules/core/policy";
import { QUARANTINE_PART_LABEL, QUARANTINE_PART_TAG, quarantineCopiesIsolated } from "../../modules/core/policy/rules/quarantine-copies-isolated";
import { quarantineRuntimeIgnored } from "../../modules/core/policy/rules/quarantine-runtime-ignored";
import { ignoresChange, namesServiceAccount } from "../../modules/core/policy/util";
import { CLOUD_ARMOR_FIRST_PRIORITY, CLOUD_ARMOR_MAX_RULES } from "../../functions/gcp/quarantine/contract";
import { addresses, ref, stack } from "./fixtures";
import { dashboardLb, merge } from "./gcp-fixtures";
import { armorRule, clone, memberOf, quarantineLabels, quarantineStack, type Blocks } from "./gcp-quarantine-fixtures";

const copiesRule = (b: Blocks, data?: Blocks) => quarantineCopiesIsolated.check(stack(b, data));
const runtimeRule = (b: Blocks) => quarantineRuntimeIgnored.check(stack(b));
const broken = (change: (b: Blocks) => void): Blocks => {
  const b = clone(quarantineStack());
  change(b);
  return b;
};
type Body = Record<string, unknown>;
const copiesOf = (b: Blocks) => b["google_cloud_run_v2_service"]!["copies"]!;
const templateOf = (svc: Body) => svc["template"] as Body;
const envOf = (b: Blocks, fn: string) => (b["google_cloudfunctions2_function"]![fn]!["service_config"] as Body)["environment_variables"] as Record<string, unknown>;

describe("namesServiceAccount", () => {
  const account = (project?: string) => ({ type: "google_service_account", name: "copies", address: "google_service_account.copies", body: { account_id: "lure-q-copies", ...(project ? { project } : {}) } });
  it("matches the email of the account's project exactly; any project when it is unset or domain-scoped", () => {
    expect(namesServiceAccount("serviceAccount:lure-q-copies@lure-demo.iam.gserviceaccount.com", account("lure-demo"))).toBe(true);
    expect(namesServiceAccount("serviceAccount:lure-q-copies@other.iam.gserviceaccount.com", account("lure-demo"))).toBe(false);
    expect(namesServiceAccount("serviceAccount:lure-q-copies@other.iam.gserviceaccount.com", account())).toBe(true);
    // How Google spells a domain-scoped project in an email is not taken for granted: any project may be it.
    expect(namesServiceAccount("serviceAccount:lure-q-copies@lure-demo.example.com.iam.gserviceaccount.com", account("example.com:lure-demo"))).toBe(true);
    expect(namesServiceAccount("serviceAccount:lure-q-mode@lure-demo.example.com.iam.gserviceaccount.com", account("example.com:lure-demo"))).toBe(false);
  });
});

describe("the Quarantine's markers", () => {
  it("label the Cloud Run services with the label form of the AWS and Azure tag", () => {
    expect(QUARANTINE_PART_TAG).toBe("lure:quarantine");
    expect(QUARANTINE_PART_LABEL).toBe("lure-quarantine");
    expect(quarantineLabels("copies").labels[QUARANTINE_PART_LABEL]).toBe("copies");
  });
});

describe("the gcp-quarantine shape", () => {
  it("gives zero violations under ALL_RULES", () => {
    expect(checkStack(stack(quarantineStack()))).toEqual([]);
  });
});

describe("quarantine-copies-isolated (Google Cloud)", () => {
  it("accepts internal copies running as an account of their own that holds no role, invoked by the router only", () => {
    expect(copiesRule(quarantineStack())).toEqual([]);
  });

  it("ignores Cloud Run services that are not the copies: the router, the real service, the dashboard", () => {
    // The router is public through the load balancer and reaches the VPC; the real service holds grants.
    const b = broken((s) => {
      s["google_project_iam_member"]!["realGrant"] = { project: "p", role: "roles/logging.logWriter", member: memberOf("real") };
      s["google_cloud_run_v2_service_iam_member"]!["routerPublic"] = { name: ref("google_cloud_run_v2_service.router", "name"), role: "roles/run.invoker", member: "allUsers" };
    });
    expect(copiesRule(b)).toEqual([]);
    expect(copiesRule(dashboardLb())).toEqual([]);
  });

  it("flags copies reachable from outside the VPC, with the exact message", () => {
    const unset = broken((s) => delete copiesOf(s)["ingress"]);
    expect(copiesRule(unset)).toEqual([
      {
        ruleId: "quarantine-copies-isolated",
        resource: "google_cloud_run_v2_service.copies",
        message: "copies Cloud Run service google_cloud_run_v2_service.copies has ingress unset (defaults to INGRESS_TRAFFIC_ALL); set INGRESS_TRAFFIC_INTERNAL_ONLY: only the router reaches the copies, from the VPC.",
      },
    ]);
    for (const ingress of ["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"]) {
      const v = copiesRule(broken((s) => (copiesOf(s)["ingress"] = ingress)));
      expect(addresses(v)).toEqual(["google_cloud_run_v2_service.copies"]);
      expect(v[0]?.message).toContain(`has ingress "${ingress}"; set INGRESS_TRAFFIC_INTERNAL_ONLY`);
    }
  });

  it("flags the real service reachable past the router, with the exact message", () => {
    const realOf = (b: Blocks) => b["google_cloud_run_v2_service"]!["real"]!;
    expect(copiesRule(broken((s) => (realOf(s)["ingress"] = "INGRESS_TRAFFIC_ALL")))).toEqual([
      {
        ruleId: "quarantine-copies-isolated",
        resource: "google_cloud_run_v2_service.real",
        message: 'the Quarantine\'s real Cloud Run service google_cloud_run_v2_service.real has ingress "INGRESS_TRAFFIC_ALL"; set INGRESS_TRAFFIC_INTERNAL_ONLY: a request that reaches it past the router can never be steered to the copies.',
      },
    ]);
    expect(addresses(copiesRule(broken((s) => delete realOf(s)["ingress"])))).toEqual(["google_cloud_run_v2_service.real"]);
  });

  it("flags copies with the invoker check off, or with VPC access of either kind", () => {
    const v = copiesRule(
      broken((s) => {
        copiesOf(s)["invoker_iam_disabled"] = true;
        templateOf(copiesOf(s))["vpc_access"] = { connector: ref("google_vpc_access_connector.c"), egress: "PRIVATE_RANGES_ONLY" };
      }),
    );
    expect(v.map((x) => x.message)).toEqual([
      "copies Cloud Run service google_cloud_run_v2_service.copies sets invoker_iam_disabled, so anyone who reaches it may invoke it; grant roles/run.invoker on it to the router's service account only.",
      "copies Cloud Run service google_cloud_run_v2_service.copies has VPC access (template.vpc_access), a path into the real service's network; remove it: the copies need none, the router reaches them.",
    ]);
    const nic = copiesRule(broken((s) => (templateOf(copiesOf(s))["vpc_access"] = [{ network_interfaces: [{ network: "default" }] }])));
    expect(nic.map((x) => x.message.split(" (")[0])).toEqual(["copies Cloud Run service google_cloud_run_v2_service.copies has VPC access"]);
    // An empty block, or egress alone, opens no path.
    expect(copiesRule(broken((s) => (templateOf(copiesOf(s))["vpc_access"] = { egress: "PRIVATE_RANGES_ONLY" })))).toEqual([]);
    expect(copiesRule(broken((s) => (copiesOf(s)["invoker_iam_disabled"] = false)))).toEqual([]);
  });

  it.each([
    ["unset", undefined, "runs as the Compute Engine default service account (template.service_account unset), which usually holds Editor"],
    ["the default account by email", "123456789012-compute@developer.gserviceaccount.com", "runs as the Compute Engine default service account (123456789012-compute@developer.gserviceaccount.com)"],
    ["the default account's data source", "${data.google_compute_default_service_account.d.email}", "runs as the Compute Engine default service account (${data.google_compute_default_service_account.d.email})"],
    ["a literal email", "lure-q-copies@lure-demo.iam.gserviceaccount.com", 'runs as "lure-q-copies@lure-demo.iam.gserviceaccount.com", which is not a google_service_account of this stack, so its roles cannot be checked'],
    ["an account missing from the stack", "${google_service_account.gone.email}", "which is not a google_service_account of this stack"],
  ])("flags copies whose account is %s", (_, account, expected) => {
    const v = copiesRule(
      broken((s) => {
        if (account === undefined) delete templateOf(copiesOf(s))["service_account"];
        else templateOf(copiesOf(s))["service_account"] = account;
      }),
    );
    expect(addresses(v)).toEqual(["google_cloud_run_v2_service.copies"]);
    expect(v[0]?.message).toContain(expected);
    expect(v[0]?.message).toMatch(/; give the copies a google_service_account of their own, with no role\.$/);
  });

  it("flags an account the copies share with the router or a function", () => {
    const v = copiesRule(
      broken((s) => {
        templateOf(s["google_cloud_run_v2_service"]!["router"]!)["service_account"] = ref("google_service_account.copies", "email");
        (s["google_cloudfunctions2_function"]!["mode"]!["service_config"] as Body)["service_account_email"] = ref("google_service_account.copies", "email");
      }),
    );
    expect(v).toEqual([
      {
        ruleId: "quarantine-copies-isolated",
        resource: "google_cloud_run_v2_service.copies",
        message:
          "copies Cloud Run service google_cloud_run_v2_service.copies runs as google_service_account.copies, which google_cloud_run_v2_service.router, google_cloudfunctions2_function.mode also use; the copies' account is theirs alone, so that taking a copy over gains nothing.",
      },
    ]);
  });

  it("flags every grant to the copies' account: project, resource, another account, custom role, binding, policy; by reference or email", () => {
    const email = "lure-q-copies@lure-demo.iam.gserviceaccount.com";
    const b = broken((s) => {
      s["google_project_iam_member"]!["copiesLogs"] = { project: "lure-demo", role: "roles/logging.logWriter", member: memberOf("copies") };
      s["google_project_iam_member"]!["copiesCustom"] = { project: "lure-demo", role: ref("google_project_iam_custom_role.policy", "name"), member: ref("google_service_account.copies", "member") };
      s["google_project_iam_binding"] = { viewers: { project: "lure-demo", role: "roles/viewer", members: ["user:a@example.org", `serviceAccount:${email.toUpperCase()}`] } };
      s["google_service_account_iam_member"]!["copiesActAsMode"] = { service_account_id: ref("google_service_account.mode", "name"), role: "roles/iam.serviceAccountTokenCreator", member: memberOf("copies") };
      s["google_cloud_run_v2_service_iam_member"]!["copiesInvokeReal"] = { name: ref("google_cloud_run_v2_service.real", "name"), role: "roles/run.invoker", member: memberOf("copies") };
      s["google_storage_bucket_iam_member"] = { src: { bucket: ref("google_storage_bucket.src", "name"), role: "roles/storage.objectViewer", member: `serviceAccount:lure-q-copies@other-project.iam.gserviceaccount.com` } };
      s["google_project_iam_policy"] = { p: { project: "lure-demo", policy_data: "${data.google_iam_policy.p.policy_data}" } };
    });
    const data = { google_iam_policy: { p: { binding: [{ role: "roles/run.developer", members: [memberOf("copies")] }] } } };
    // The account's project is unset: an email in any project may be it.
    const v = copiesRule(b, data);
    // Grant types in the stack's order.
    expect(addresses(v)).toEqual([
      "google_cloud_run_v2_service_iam_member.copiesInvokeReal",
      "google_service_account_iam_member.copiesActAsMode",
      "google_project_iam_member.copiesLogs",
      "google_project_iam_member.copiesCustom",
      "google_project_iam_binding.viewers",
      "google_storage_bucket_iam_member.src",
      "google_project_iam_policy.p",
    ]);
    expect(v.find((x) => x.resource === "google_project_iam_member.copiesLogs")?.message).toBe(
      'google_project_iam_member.copiesLogs grants "roles/logging.logWriter" to serviceAccount:${google_service_account.copies.email}, the service account of copies google_cloud_run_v2_service.copies; the copies\' account may hold no role, on the project or on any resource.',
    );
    expect(v.find((x) => x.resource === "google_project_iam_policy.p")?.message).toContain('grants "roles/run.developer"');
    // With the account's project spelled out, only its own email counts.
    const pinned = clone(b);
    pinned["google_service_account"]!["copies"]!["project"] = "lure-demo";
    expect(addresses(copiesRule(pinned, data))).not.toContain("google_storage_bucket_iam_member.src");
    expect(addresses(copiesRule(pinned, data))).toContain("google_project_iam_binding.viewers");
  });

  it("flags the copies invokable by allUsers or allAuthenticatedUsers, however the grant is written", () => {
    const b = broken((s) => {
      s["google_cloud_run_v2_service_iam_member"]!["public"] = { name: ref("google_cloud_run_v2_service.copies", "name"), role: "roles/run.invoker", member: "allUsers" };
      s["google_cloud_run_v2_service_iam_binding"] = { any: { name: "projects/lure-demo/locations/europe-west2/services/lure-quarantine-copies", role: "roles/run.invoker", members: ["allAuthenticatedUsers"] } };
      s["google_cloud_run_v2_service_iam_policy"] = { p: { name: ref("google_cloud_run_v2_service.copies", "id"), policy_data: JSON.stringify({ bindings: [{ role: "roles/run.invoker", members: ["allUsers"] }] }) } };
      s["google_cloud_run_service_iam_member"] = { v1: { service: "lure-quarantine-copies", location: "europe-west2", role: "roles/run.invoker", member: "allUsers" } };
      // Public grants on other services are not this rule's business.
      s["google_cloud_run_v2_service_iam_member"]!["realPublic"] = { name: ref("google_cloud_run_v2_service.real", "name"), role: "roles/run.invoker", member: "allUsers" };
    });
    const v = copiesRule(b);
    expect(addresses(v)).toEqual([
      "google_cloud_run_v2_service_iam_member.public",
      "google_cloud_run_v2_service_iam_binding.any",
      "google_cloud_run_v2_service_iam_policy.p",
      "google_cloud_run_service_iam_member.v1",
    ]);
    expect(v[0]?.message).toBe(
      'google_cloud_run_v2_service_iam_member.public grants "roles/run.invoker" on copies google_cloud_run_v2_service.copies to allUsers; only the router\'s service account may invoke the copies.',
    );
  });

  it("takes the service LURE_COPIES_SERVICE names as the copies, and flags it when unlabelled", () => {
    const b = broken((s) => {
      const copies = copiesOf(s);
      copies["labels"] = quarantineLabels().labels;
      copies["ingress"] = "INGRESS_TRAFFIC_ALL";
    });
    expect(copiesRule(b).map((x) => x.message.split(";")[0])).toEqual([
      "google_cloud_run_v2_service.copies is the copies service (LURE_COPIES_SERVICE of google_cloudfunctions2_function.detector, google_cloudfunctions2_function.mode) but is not labelled lure-quarantine=copies",
      'copies Cloud Run service google_cloud_run_v2_service.copies has ingress "INGRESS_TRAFFIC_ALL"',
    ]);
    // A literal name finds the service too.
    const literal = broken((s) => {
      copiesOf(s)["labels"] = quarantineLabels().labels;
      envOf(s, "mode")["LURE_COPIES_SERVICE"] = "lure-quarantine-copies";
      delete envOf(s, "detector")["LURE_COPIES_SERVICE"];
    });
    expect(addresses(copiesRule(literal))).toEqual(["google_cloud_run_v2_service.copies"]);
  });

  it("flags a LURE_COPIES_SERVICE that names no Cloud Run service of the stack", () => {
    const b = broken((s) => {
      envOf(s, "mode")["LURE_COPIES_SERVICE"] = "shop-copies";
      delete envOf(s, "detector")["LURE_COPIES_SERVICE"];
    });
    expect(copiesRule(b)).toEqual([
      {
        ruleId: "quarantine-copies-isolated",
        resource: "google_cloudfunctions2_function.mode",
        message:
          'google_cloudfunctions2_function.mode sets LURE_COPIES_SERVICE to "shop-copies", which names no google_cloud_run_v2_service of this stack, so the copies\' isolation cannot be checked; create the copies in this stack and pass their name by reference.',
      },
    ]);
  });
});

describe("quarantine-runtime-ignored", () => {
  const band = `[${CLOUD_ARMOR_FIRST_PRIORITY}, ${CLOUD_ARMOR_FIRST_PRIORITY + CLOUD_ARMOR_MAX_RULES - 1}]`;
  const policyOf = (b: Blocks) => b["google_compute_security_policy"]!["policy"]!;
  const rulesOf = (b: Blocks) => policyOf(b)["rule"] as Body[];

  it("accepts the Quarantine's policy (no rule in the band, rule ignored) and copies (scaling ignored)", () => {
    expect(runtimeRule(quarantineStack())).toEqual([]);
    expect(band).toBe("[1000, 1099]");
  });

  it("flags the copies' minimum instances left to Terraform, with the exact message", () => {
    expect(runtimeRule(broken((s) => delete copiesOf(s)["lifecycle"]))).toEqual([
      {
        ruleId: "quarantine-runtime-ignored",
        resource: "google_cloud_run_v2_service.copies",
        message:
          'copies Cloud Run service google_cloud_run_v2_service.copies does not ignore changes to scaling[0].min_instance_count, so terraform apply resets the minimum the mode function sets; add "scaling[0].min_instance_count" to lifecycle.ignore_changes.',
      },
    ]);
  });

  it.each([
    [["scaling"], true],
    [["scaling[0]"], true],
    [["scaling[0].min_instance_count"], true],
    [["scaling.0.min_instance_count"], true],
    ["all", true],
    [["scaling.min_instance_count"], false],
    [["scaling[0].max_instance_count"], false],
    [["template[0].scaling[0].min_instance_count"], false],
    [["labels", "template"], false],
    [[], false],
  ])("reads ignore_changes %j on the copies as covering the minimum: %s", (ignored, covered) => {
    const b = broken((s) => (copiesOf(s)["lifecycle"] = { ignore_changes: ignored }));
    expect(ignoresChange(copiesOf(b), "scaling[0].min_instance_count")).toBe(covered);
    expect(addresses(runtimeRule(b))).toEqual(covered ? [] : ["google_cloud_run_v2_service.copies"]);
  });

  it("flags the policy's rules not ignored, with the exact message; all is enough", () => {
    expect(runtimeRule(broken((s) => delete policyOf(s)["lifecycle"]))).toEqual([
      {
        ruleId: "quarantine-runtime-ignored",
        resource: "google_compute_security_policy.policy",
        message:
          'Quarantine Cloud Armor policy google_compute_security_policy.policy (google_cloudfunctions2_function.detector LURE_SECURITY_POLICY) does not ignore changes to rule, so terraform apply deletes the rules the functions add and quarantined sources reach the real service again; add "rule" to lifecycle.ignore_changes.',
      },
    ]);
    expect(addresses(runtimeRule(broken((s) => (policyOf(s)["lifecycle"] = { ignore_changes: ["description"] }))))).toEqual(["google_compute_security_policy.policy"]);
    expect(runtimeRule(broken((s) => (policyOf(s)["lifecycle"] = { ignore_changes: "all" })))).toEqual([]);
  });

  it("flags rules in lure's band, inline or standalone, and priorities that cannot be read; accepts the band's neighbours", () => {
    const b = broken((s) => {
      rulesOf(s).push(armorRule(999, ["192.0.2.0/24"]), armorRule(1000, ["203.0.113.7/32"], true), armorRule(1099, ["203.0.113.8/32"], true), armorRule(1100, ["192.0.2.0/24"]), { ...armorRule(0), priority: "${var.p}" });
      s["google_compute_security_policy_rule"] = {
        inBand: { security_policy: ref("google_compute_security_policy.policy", "name"), priority: 1050, action: "allow", match: { versioned_expr: "SRC_IPS_V1", config: { src_ip_ranges: ["203.0.113.9/32"] } } },
        byName: { security_policy: "lure-quarantine", priority: "1001", action: "allow" },
        outside: { security_policy: ref("google_compute_security_policy.policy", "name"), priority: 500, action: "allow" },
        unread: { security_policy: ref("google_compute_security_policy.policy", "name"), priority: "${local.p}", action: "allow" },
        otherPolicy: { security_policy: ref("google_compute_security_policy.dashboard", "name"), priority: 1000, action: "allow" },
      };
    });
    const v = runtimeRule(b);
    expect(addresses(v)).toEqual([
      "google_compute_security_policy.policy",
      "google_compute_security_policy_rule.inBand",
      "google_compute_security_policy_rule.byName",
      "google_compute_security_policy_rule.unread",
    ]);
    expect(v[0]?.message).toBe(
      'Quarantine Cloud Armor policy google_compute_security_policy.policy (google_cloudfunctions2_function.detector LURE_SECURITY_POLICY) has rules at 1000, 1099, in lure\'s band [1000, 1099], and rule whose priority "${var.p}" cannot be read, so may be in lure\'s band [1000, 1099]; the functions write that band, so Terraform may hold rules outside it only.',
    );
    expect(v[1]?.message).toBe(
      "google_compute_security_policy_rule.inBand adds a rule at 1050, in lure's band [1000, 1099], to the Quarantine's Cloud Armor policy google_compute_security_policy.policy; the functions write that band, so Terraform may hold rules outside it only.",
    );
    expect(v[3]?.message).toContain('adds a rule whose priority "${local.p}" cannot be read');
  });

  it("finds the policy from the router's backend service alone, and from LURE_SECURITY_POLICY alone", () => {
    const noEnv = broken((s) => {
      for (const fn of ["detector", "mode"]) delete envOf(s, fn)["LURE_SECURITY_POLICY"];
      rulesOf(s).push(armorRule(1000, ["203.0.113.7/32"], true));
    });
    const v = runtimeRule(noEnv);
    expect(addresses(v)).toEqual(["google_compute_security_policy.policy"]);
    expect(v[0]?.message).toContain("(the security_policy of google_compute_backend_service.backend, in front of google_cloud_run_v2_service.router)");
    const noBackend = broken((s) => {
      delete s["google_compute_backend_service"]!["backend"]!["security_policy"];
      rulesOf(s).push(armorRule(1000, ["203.0.113.7/32"], true));
    });
    expect(addresses(runtimeRule(noBackend))).toEqual(["google_compute_security_policy.policy"]);
  });

  it("leaves other policies alone: the dashboard's allow-list at 1000, and a policy outside the stack", () => {
    expect(runtimeRule(dashboardLb())).toEqual([]);
    expect(runtimeRule(merge(quarantineStack(), dashboardLb()))).toEqual([]);
    const outside = broken((s) => {
      for (const fn of ["detector", "mode"]) envOf(s, fn)["LURE_SECURITY_POLICY"] = "shop-policy";
      delete s["google_compute_backend_service"]!["backend"]!["security_policy"];
      delete policyOf(s)["lifecycle"];
    });
    expect(runtimeRule(outside)).toEqual([]);
  });
});
