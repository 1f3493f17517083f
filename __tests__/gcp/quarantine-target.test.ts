/**
 * `gcp-quarantine` protecting an existing Cloud Run service (`clouds.gcp.quarantineTarget`): the
 * service is read, never made; its ingress is checked at plan time; the router sends the unmarked
 * requests to it and the marked ones to copies of lure's; the one change to it is the router's invoker
 * grant; and the config refuses what cannot be built, with paths.
 */
import { Testing } from "cdktf";
import { parse } from "yaml";
import { createStacks } from "../../main";
import { checkStack } from "../../modules/core/policy";
import { configWarnings, validateConfig } from "../../modules/core/config";
import { formatSummary } from "../../modules/core/summary";
import { ROUTER_CLUSTERS } from "../../modules/gcp/envoy-router";
import { DIRECT_INGRESS_MESSAGE, GcpQuarantine, gcpQuarantinePropsProblems } from "../../modules/gcp/quarantine";
import { GcpQuarantineStack } from "../../modules/gcp/stacks";
import { GcpStack } from "../../providers/gcp";
import { configWith, defaultConfigInput, ref, resources, type Json } from "../helpers/synth";

const AWS_TARGET = {
  listenerArn: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef",
  taskDefinitionArn: "arn:aws:ecs:eu-west-2:123456789012:task-definition/web:1",
  vpcId: "vpc-0123456789abcdef0",
  subnetIds: ["subnet-0123456789abcdef0"],
  containerName: "web",
  containerPort: 80,
  albSecurityGroupId: "sg-0123456789abcdef0",
};

function synth(change: (c: Json) => void): { out: Json; stack: GcpQuarantineStack } {
  const config = configWith((c) => {
    c.clouds.gcp.project = "lure-test-1";
    change(c);
  });
  const stack = new GcpQuarantineStack(Testing.app(), "gcp-quarantine", config, config.clouds.gcp!);
  return { out: JSON.parse(Testing.synth(stack)) as Json, stack };
}

/** The one block of `type` (resource or data) whose construct id is `id`: [address, body]. */
function one(out: Json, type: string, id: string, kind: "resource" | "data" = "resource"): [string, Json] {
  const blocks = Object.entries((out[kind]?.[type] ?? {}) as Record<string, Json>).filter(([n]) => new RegExp(`^Quarantine_${id}_[0-9A-F]{8}$`).test(n));
  expect({ type, id, found: blocks.length }).toEqual({ type, id, found: 1 });
  const [name, body] = blocks[0];
  return [kind === "data" ? `data.${type}.${name}` : `${type}.${name}`, body];
}
const routerYaml = (out: Json) => parse(one(out, "google_cloud_run_v2_service", "Router")[1].template.containers[0].args[1] as string) as Json;

let decoy: { out: Json; stack: GcpQuarantineStack };
let reuse: { out: Json; stack: GcpQuarantineStack };
let direct: { out: Json; stack: GcpQuarantineStack };
beforeAll(() => {
  decoy = synth((c) => {
    c.clouds.gcp.quarantineTarget = { service: "shop", domain: "www.example.org" };
    c.quarantine.copies = { kind: "ecs", image: "docker.io/example/decoy:1.2", containerPort: 8081 };
  });
  reuse = synth((c) => {
    c.clouds.gcp.quarantineTarget = { service: "shop", region: "europe-west1" };
    c.quarantine.copies = { kind: "ecs", reuseTaskDefinition: true };
  });
  direct = synth((c) => {
    c.clouds.gcp.quarantineTarget = { service: "shop", allowDirectIngress: true };
    c.quarantine.copies = { kind: "ecs", image: "docker.io/example/decoy:1.2" };
  });
});

describe("the service is read, not made", () => {
  test("a data source of the service by name, region and project; no real service or account of lure's", () => {
    const [, data] = one(decoy.out, "google_cloud_run_v2_service", "ExistingService", "data");
    expect(data).toMatchObject({ name: "shop", location: "europe-west2", project: "lure-test-1" });
    expect(one(reuse.out, "google_cloud_run_v2_service", "ExistingService", "data")[1].location).toBe("europe-west1");
    for (const { out } of [decoy, reuse, direct]) {
      const services = resources(out, "google_cloud_run_v2_service").map(([a]) => a.replace(/_[0-9A-F]{8}$/, ""));
      expect(services.sort()).toEqual(["google_cloud_run_v2_service.Quarantine_CopiesService", "google_cloud_run_v2_service.Quarantine_Router"]);
      const accounts = resources(out, "google_service_account").map(([, b]) => b.account_id as string);
      expect(accounts.some((a) => a.endsWith("-qrn-real"))).toBe(false);
      expect(accounts).toHaveLength(7);
    }
    expect(decoy.stack.quarantine.realService).toBeUndefined();
    expect(decoy.stack.quarantine.existingService).toBeDefined();
  });

  test("the plan fails while the service's ingress admits the internet, unless allowDirectIngress", () => {
    const [, data] = one(decoy.out, "google_cloud_run_v2_service", "ExistingService", "data");
    expect(data.lifecycle.postcondition).toEqual([{ condition: '${self.ingress != "INGRESS_TRAFFIC_ALL"}', error_message: `The Cloud Run service shop ${DIRECT_INGRESS_MESSAGE}.` }]);
    expect(one(direct.out, "google_cloud_run_v2_service", "ExistingService", "data")[1].lifecycle).toBeUndefined();
  });

  test("the one change to it: the router's run.invoker, member-level (never a binding or policy that would replace its own)", () => {
    const [dataAddress] = one(decoy.out, "google_cloud_run_v2_service", "ExistingService", "data");
    const onIt = resources(decoy.out, "google_cloud_run_v2_service_iam_member").filter(([, b]) => b.name === ref(dataAddress, "name"));
    const router = `serviceAccount:${ref(one(decoy.out, "google_service_account", "RouterAccount")[0], "email")}`;
    expect(onIt.map(([, b]) => [b.role, b.member, b.location])).toEqual([["roles/run.invoker", router, "europe-west2"]]);
    const [reuseData] = one(reuse.out, "google_cloud_run_v2_service", "ExistingService", "data");
    expect(resources(reuse.out, "google_cloud_run_v2_service_iam_member").filter(([, b]) => b.name === ref(reuseData, "name")).map(([, b]) => b.location)).toEqual(["europe-west1"]);
    expect(resources(decoy.out, "google_cloud_run_v2_service_iam_binding")).toEqual([]);
    expect(resources(decoy.out, "google_cloud_run_v2_service_iam_policy")).toEqual([]);
  });
});

describe("the router and the copies", () => {
  test("unmarked requests go to the service's run.app host, marked ones to lure's copies", () => {
    const [dataAddress] = one(decoy.out, "google_cloud_run_v2_service", "ExistingService", "data");
    const cfg = routerYaml(decoy.out);
    const clusters = Object.fromEntries((cfg.static_resources.clusters as Json[]).map((c) => [c.name, c]));
    const realHost = `\${replace(${dataAddress}.uri, "https://", "")}`;
    expect(clusters[ROUTER_CLUSTERS.real].transport_socket.typed_config.sni).toBe(realHost);
    expect(clusters[ROUTER_CLUSTERS.real].metadata.typed_filter_metadata["envoy.filters.http.gcp_authn"].url).toBe(`https://${realHost}`);
    const copies = one(decoy.out, "google_cloud_run_v2_service", "CopiesService")[0];
    expect(clusters[ROUTER_CLUSTERS.copies].transport_socket.typed_config.sni).toBe(`\${replace(${copies}.uri, "https://", "")}`);
  });

  test("copies from the decoy image on its port, or by opt-in from the service's first container, image and port", () => {
    const c = one(decoy.out, "google_cloud_run_v2_service", "CopiesService")[1];
    expect(c.template.containers[0]).toMatchObject({ image: "docker.io/example/decoy:1.2", ports: { container_port: 8081 } });
    const [dataAddress] = one(reuse.out, "google_cloud_run_v2_service", "ExistingService", "data");
    const r = one(reuse.out, "google_cloud_run_v2_service", "CopiesService")[1];
    expect(r.template.containers[0].image).toBe(`\${${dataAddress}.template[0].containers[0].image}`);
    expect(r.template.containers[0].ports.container_port).toBe(`\${${dataAddress}.template[0].containers[0].ports[0].container_port}`);
    // Only the image: not the service's environment, secrets, volumes or account.
    expect(Object.keys(r.template.containers[0]).sort()).toEqual(["image", "name", "ports", "resources"]);
    expect(r.template.service_account).toBe(ref(one(reuse.out, "google_service_account", "CopiesAccount")[0], "email"));
    for (const { out } of [decoy, reuse]) expect(one(out, "google_cloud_run_v2_service", "CopiesService")[1]).toMatchObject({ ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY", lifecycle: { ignore_changes: ["scaling"] } });
  });

  test("HTTPS for the service's domain with a Google-managed certificate; the next steps say to point its A record at the address", () => {
    const cert = one(decoy.out, "google_compute_managed_ssl_certificate", "Certificate")[1];
    expect(cert.managed.domains).toEqual(["www.example.org"]);
    expect(one(decoy.out, "google_compute_global_forwarding_rule", "ForwardingRule")[1].port_range).toBe("443");
    expect(decoy.out.output.next_steps.value).toMatch(/^Point the A record of www\.example\.org at the output quarantine_address/);
    expect(decoy.out.output.quarantine_endpoint.description).toMatch(/^Your service shop through lure's/);
    expect(reuse.out.output.next_steps.value).toMatch(/^Point your site's DNS record at the output quarantine_address/);
    expect(resources(reuse.out, "google_compute_managed_ssl_certificate")).toEqual([]);
  });

  test("the policy rules pass on every variant", () => {
    for (const { out } of [decoy, reuse, direct]) expect(checkStack(out).map((v) => `${v.ruleId}: ${v.message}`)).toEqual([]);
    // And they do look at this shape: copies open to the internet are caught.
    const broken = JSON.parse(JSON.stringify(reuse.out)) as Json;
    one(broken, "google_cloud_run_v2_service", "CopiesService")[1].ingress = "INGRESS_TRAFFIC_ALL";
    expect(checkStack(broken).map((v) => v.ruleId)).toContain("quarantine-copies-isolated");
  });
});

describe("config and props", () => {
  const problems = (change: (c: Json) => void) => {
    const raw = defaultConfigInput();
    change(raw);
    const r = validateConfig(raw);
    return r.ok ? [] : r.problems.map((p) => [p.path, p.message]);
  };

  test("the copies need a decoy image or the opt-in to the service's own; asg copies are refused; the name is checked", () => {
    expect(problems((c) => (c.clouds.gcp.quarantineTarget = { service: "shop" }))).toEqual([["quarantine.copies", expect.stringContaining("set quarantine.copies.image to a decoy image (safer), or set quarantine.copies.reuseTaskDefinition: true to run your service shop's own image")]]);
    expect(problems((c) => ((c.clouds.gcp.quarantineTarget = { service: "shop" }), (c.quarantine.copies = { kind: "asg", amiId: "ami-0123456789abcdef0" })))).toEqual([["quarantine.copies.kind", expect.stringContaining('"asg" copies are EC2 instances')]]);
    expect(problems((c) => ((c.clouds.gcp.quarantineTarget = { service: "Shop_1", region: "mars-1", domain: "x" }), (c.quarantine.copies = { kind: "ecs", image: "d:1" })))).toEqual([
      ["clouds.gcp.quarantineTarget.service", expect.stringContaining("is not a Cloud Run service name")],
      ["clouds.gcp.quarantineTarget.region", expect.stringContaining("mars-1")],
      ["clouds.gcp.quarantineTarget.domain", expect.stringContaining("is not a DNS name")],
    ]);
    // With the Quarantine off, nothing is asked of the copies.
    expect(problems((c) => ((c.clouds.gcp.quarantineTarget = { service: "shop" }), (c.quarantine.enabled = false)))).toEqual([]);
  });

  test("an AWS target and a Cloud Run target: both quarantines are made, each for its own service, with no warning about Google Cloud", () => {
    const config = configWith((c) => {
      c.quarantine.target = AWS_TARGET;
      c.quarantine.copies = { kind: "ecs", image: "docker.io/example/decoy:1.2" };
      c.clouds.gcp.quarantineTarget = { service: "shop" };
    });
    const ids = createStacks(Testing.app(), config).map((s) => s.node.id);
    expect(ids).toEqual(expect.arrayContaining(["aws-quarantine", "gcp-quarantine"]));
    expect(configWarnings(config).filter((w) => w.includes("gcp-quarantine") || w.includes("Google Cloud the copies"))).toEqual([]);
    expect(formatSummary([], config, "lure.config.json", [])).toContain("then point your site's DNS record at the output quarantine_address");
    const withoutTarget = configWith((c) => ((c.quarantine.target = AWS_TARGET), (c.quarantine.copies = { kind: "ecs", image: "docker.io/example/decoy:1.2" })));
    expect(createStacks(Testing.app(), withoutTarget).map((s) => s.node.id)).not.toContain("gcp-quarantine");
    expect(configWarnings(withoutTarget)).toContain("quarantine.target: an existing service is an AWS listener, so gcp-quarantine is not synthesized; name your Cloud Run service in clouds.gcp.quarantineTarget to protect it on Google Cloud");
  });

  test("props: the same checks before anything is made", () => {
    expect(gcpQuarantinePropsProblems({ cloudRunTarget: { service: "shop" } }).map((p) => p.path)).toEqual(["copies"]);
    expect(gcpQuarantinePropsProblems({ cloudRunTarget: { service: "-shop" }, copies: { kind: "ecs", image: "d:1" } }).map((p) => p.path)).toEqual(["cloudRunTarget.service"]);
    expect(gcpQuarantinePropsProblems({ cloudRunTarget: { service: "shop" }, copies: { kind: "ecs", reuseTaskDefinition: true } })).toEqual([]);
    const stack = new GcpStack(Testing.app(), "gcp-quarantine", { prefix: "lure", region: "europe-west2", project: "lure-test-1" });
    expect(() => new GcpQuarantine(stack, "Quarantine", { cloudRunTarget: { service: "shop" } })).toThrow(/copies\.image/);
  });
});
