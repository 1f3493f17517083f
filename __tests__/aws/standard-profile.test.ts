import { Testing } from "cdktf";
import { PROFILES } from "../../modules/core/catalog";
import { AwsHoneynetStack } from "../../modules/aws/stacks";
import { checkStack } from "../../modules/core/policy";
import { configWith, deref, ref, resources, synthAwsHoneynet, tagOf, type Json } from "../helpers/synth";

const config = configWith((c) => (c.honeynet.profile = "standard"));
const stack = synthAwsHoneynet(config);
const svc = (name: string): Json => resources(stack, "aws_ecs_service").find(([, s]) => tagOf(s, "lure:honeypot") === name)![1];
const sgRules = (name: string) => {
  const [addr] = deref(stack, svc(name).network_configuration.security_groups[0]);
  return resources(stack, "aws_vpc_security_group_ingress_rule").filter(([, r]) => r.security_group_id === ref(addr));
};

test("standard = T-Pot 24.04 standard honeypots minus honeytrap", () => {
  expect(PROFILES.standard).not.toContain("honeytrap");
  expect(PROFILES.standard).toHaveLength(26);
  expect(resources(stack, "aws_ecs_service").filter(([, s]) => tagOf(s, "lure:component") === "honeypot")).toHaveLength(26);
  expect(checkStack(stack)).toEqual([]);
});

test("sentrypeer: 5060 cannot carry TCP and UDP in one Fargate task; the first listed (tcp) is kept", () => {
  expect(sgRules("sentrypeer").map(([, r]) => `${r.from_port}/${r.ip_protocol}`)).toEqual(["5060/tcp"]);
});

test("elasticpot may expose 9200 to the internet: it is a honeypot emulating Elasticsearch", () => {
  expect(sgRules("elasticpot").map(([, r]) => [r.from_port, r.cidr_ipv4])).toEqual([[9200, "0.0.0.0/0"]]);
});

test("snare/tanner: internal members get no internet ingress, are found through Cloud Map, and admit only their peers", () => {
  for (const internal of ["tanner", "tanner_api", "tanner_phpox", "tanner_redis"]) {
    expect(sgRules(internal).every(([, r]) => r.cidr_ipv4 === undefined && r.referenced_security_group_id)).toBe(true);
    expect(svc(internal).service_registries).toBeDefined();
  }
  expect(sgRules("snare").map(([, r]) => [r.from_port, r.cidr_ipv4])).toEqual([[80, "0.0.0.0/0"]]);
  // tanner admits snare (its only caller).
  const snareSg = svc("snare").network_configuration.security_groups[0];
  expect(sgRules("tanner").map(([, r]) => r.referenced_security_group_id)).toEqual([snareSg]);
  const names = resources(stack, "aws_service_discovery_service").map(([, d]) => d.name).sort();
  expect(names).toEqual(["elasticsearch", "kibana", "logstash", "tanner", "tanner_api", "tanner_phpox", "tanner_redis"]);
});

test("on-demand capacity puts honeypots on FARGATE", () => {
  const s = synthAwsHoneynet(configWith((c) => (c.honeynet.capacity = "on-demand")));
  for (const [, service] of resources(s, "aws_ecs_service")) expect(service.capacity_provider_strategy[0].capacity_provider).toBe("FARGATE");
});

test("imageRepositories: an immutable, scanned ECR repository, pulled with the catalog tag", () => {
  const s = synthAwsHoneynet(configWith((c) => (c.honeynet.imageRepositories = ["cowrie"])));
  const repos = resources(s, "aws_ecr_repository");
  expect(repos.map(([, r]) => [r.name, r.image_tag_mutability, r.image_scanning_configuration.scan_on_push])).toEqual([["lure/cowrie", "IMMUTABLE", true]]);
  const td = resources(s, "aws_ecs_task_definition").find(([, t]) => tagOf(t, "lure:honeypot") === "cowrie")![1];
  expect(JSON.parse(td.container_definitions)[1].image).toBe(`\${${repos[0][0]}.repository_url}:24.04.1`);
  const exec = resources(s, "aws_iam_role_policy").map(([, p]) => JSON.parse(p.policy)).find((d) => d.Statement.some((x: Json) => x.Sid === "PullModifiedImages"))!;
  expect(exec.Statement.find((x: Json) => x.Sid === "PullModifiedImages").Resource).toEqual([ref(repos[0][0], "arn")]);
  expect(checkStack(s)).toEqual([]);
});

describe("IHoneynet: what a watcher needs", () => {
  const app = Testing.app();
  const { honeynet } = new AwsHoneynetStack(app, "aws-honeynet", configWith(), configWith().clouds.aws!);

  test("publicIpSource names the cluster and every public honeypot's service", () => {
    expect(honeynet.publicIpSource.cloud).toBe("aws");
    if (honeynet.publicIpSource.cloud !== "aws") return;
    expect(Object.keys(honeynet.publicIpSource.services).sort()).toEqual([...PROFILES.industrial].sort());
    expect(honeynet.publicIpSource.region).toBe("eu-west-2");
  });

  test("discovery is read-only; rotation is ecs:UpdateService on named services only", () => {
    const d = honeynet.discoveryAccess();
    if (d.cloud !== "aws") throw new Error("aws expected");
    for (const st of d.statements) for (const a of st.Action) expect(a).toMatch(/^(ecs|ec2):(List|Describe)/);
    const r = honeynet.rotationAccess(["cowrie"]);
    if (r.cloud !== "aws") throw new Error("aws expected");
    expect(r.statements).toHaveLength(1);
    expect(r.statements[0].Action).toEqual(["ecs:UpdateService"]);
    expect(r.statements[0].Resource).toHaveLength(1);
    expect(r.statements[0].Resource[0]).toMatch(/:service\/.+\/lure-hp-cowrie$/);
    expect(r.statements[0].Resource).not.toContain("*");
    expect(() => honeynet.rotationAccess(["honeytrap"])).toThrow(/not a public honeypot/);
  });
});

test("props are validated before anything is created, every problem at once", () => {
  const app = Testing.app();
  const bad = configWith();
  expect(() =>
    new AwsHoneynetStack(app, "bad", { ...bad, honeynet: { ...bad.honeynet, profile: ["cowrei", "honeytrap"], dashboard: { allowCidrs: [], allowWorldOpen: false, allowPlaintext: true } } }, bad.clouds.aws!),
  ).toThrow(/honeypots\[0\]: "cowrei" is not a known honeypot; did you mean "cowrie"\?[\s\S]*honeypots\[1\]: "honeytrap" cannot run on serverless[\s\S]*dashboard\.allowCidrs: is empty/);
});

test("the final Fargate size is checked when only memory is overridden (the default cpu is per cloud)", () => {
  // The config loader reports this first; the construct checks it again for programmatic use.
  const valid = configWith();
  const cfg = { ...valid, honeynet: { ...valid.honeynet, overrides: { medpot: { memory: 4096 } } } };
  expect(() => synthAwsHoneynet(cfg)).toThrow(/overrides\.medpot: cpu 256 with memory 4096 MiB is not a Fargate task size/);
  const ok = synthAwsHoneynet(configWith((c) => (c.honeynet.overrides = { medpot: { memory: 2048 } })));
  const td = resources(ok, "aws_ecs_task_definition").find(([, t]) => tagOf(t, "lure:honeypot") === "medpot")![1];
  expect([td.cpu, td.memory]).toEqual(["256", "2048"]);
});
