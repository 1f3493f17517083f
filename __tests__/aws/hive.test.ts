/** The hive input of the AWS honeynet (`honeynet.analytics.hive: "aws"`): what the other clouds' sensors ship to. */
import { execFileSync } from "child_process";
import { Testing } from "cdktf";
import { TPOT_LOGSTASH } from "../../modules/core/analytics";
import { HIVE_PORT } from "../../modules/core/hive";
import { checkStack } from "../../modules/core/policy";
import { AwsHoneynetStack } from "../../modules/aws/stacks";
import { configWith, deref, ref, resources, synthAwsHoneynet, tagOf, type Json } from "../helpers/synth";

const hiveStack = synthAwsHoneynet(configWith((c) => (c.honeynet.analytics = { hive: "aws" })));
const byName = (stack: Json, type: string, name: string) => resources(stack, type).find(([, r]) => r.name === name || r.family === name)!;
const containersOf = (td: Json): Json[] => JSON.parse(td.container_definitions);
const policyOf = (stack: Json, roleName: string): Json => JSON.parse(resources(stack, "aws_iam_role_policy").find(([, p]) => p.name === roleName)![1].policy);

describe("AWS as the hive", () => {
  const [lbAddress, lb] = byName(hiveStack, "aws_lb", "lure-hive");
  const [sgAddress] = byName(hiveStack, "aws_security_group", "lure-hive");
  const [, td] = byName(hiveStack, "aws_ecs_task_definition", "lure-hive-logstash");
  const [, service] = byName(hiveStack, "aws_ecs_service", "lure-hive-logstash");
  const [secretAddress, secret] = byName(hiveStack, "aws_secretsmanager_secret", "lure-hive-server");
  const logstashGroup = service.network_configuration.security_groups[0];
  const ingress = resources(hiveStack, "aws_vpc_security_group_ingress_rule");
  const egress = resources(hiveStack, "aws_vpc_security_group_egress_rule");

  it("is an internet-facing Network Load Balancer passing TCP 64294 through to one Logstash service", () => {
    expect(lb).toMatchObject({ load_balancer_type: "network", internal: false, security_groups: [ref(sgAddress)] });
    const listeners = resources(hiveStack, "aws_lb_listener").filter(([, l]) => l.load_balancer_arn === ref(lbAddress, "arn"));
    expect(listeners).toHaveLength(1);
    // TCP, not TLS: the client certificate must reach Logstash, which checks it.
    expect(listeners[0][1]).toMatchObject({ port: HIVE_PORT, protocol: "TCP" });
    expect(listeners[0][1]).not.toHaveProperty("certificate_arn");
    const [tgAddress, tg] = deref(hiveStack, listeners[0][1].default_action[0].target_group_arn);
    expect(tg).toMatchObject({ port: HIVE_PORT, protocol: "TCP", target_type: "ip", health_check: { protocol: "TCP" } });
    expect(service.load_balancer).toEqual([{ target_group_arn: ref(tgAddress, "arn"), container_name: "logstash", container_port: HIVE_PORT }]);
    expect(service.desired_count).toBe(1);
    // Its tasks fail until the user writes the secret: ECS keeps trying instead of giving up after three.
    expect(service.deployment_circuit_breaker).toEqual({ enable: false, rollback: false });
    expect(resources(hiveStack, "aws_ecs_service").filter(([, s]) => s.deployment_circuit_breaker.enable === false).map(([, s]) => s.name)).toEqual(["lure-hive-logstash"]);
    // ECS refuses a target group no listener uses yet.
    expect(service.depends_on).toContain(listeners[0][0]);
  });

  it("admits 64294 from any source at the load balancer only, and the load balancer only to the hive's Logstash", () => {
    const atLb = ingress.filter(([, r]) => r.security_group_id === ref(sgAddress));
    expect(atLb.map(([, r]) => [r.ip_protocol, r.from_port, r.to_port, r.cidr_ipv4])).toEqual([["tcp", HIVE_PORT, HIVE_PORT, "0.0.0.0/0"]]);
    expect(egress.filter(([, r]) => r.security_group_id === ref(sgAddress)).map(([, r]) => [r.from_port, r.referenced_security_group_id])).toEqual([[HIVE_PORT, logstashGroup]]);
    const atLogstash = ingress.filter(([, r]) => r.security_group_id === logstashGroup);
    expect(atLogstash.map(([, r]) => [r.from_port, r.to_port, r.referenced_security_group_id, r.cidr_ipv4])).toEqual([[HIVE_PORT, HIVE_PORT, ref(sgAddress), undefined]]);
    // It indexes into the honeynet's Elasticsearch, which admits it on 9200.
    expect(ingress.some(([, r]) => r.from_port === 9200 && r.referenced_security_group_id === logstashGroup)).toBe(true);
    expect(egress.filter(([, r]) => r.security_group_id === logstashGroup).map(([, r]) => r.from_port).sort()).toEqual([443, 9200]);
    // World-open on no other port of a non-honeypot group than the hive's.
    const world = ingress.filter(([, r]) => r.cidr_ipv4 === "0.0.0.0/0" && tagOf(deref(hiveStack, r.security_group_id)[1], "lure:component") !== "honeypot");
    expect(world.map(([, r]) => [r.security_group_id, r.from_port])).toEqual([[ref(sgAddress), HIVE_PORT]]);
  });

  it("runs T-Pot's Logstash of the catalog's release with a TLS Beats input that requires client certificates", () => {
    const [c] = containersOf(td);
    expect(containersOf(td)).toHaveLength(1);
    expect(c.image).toBe(TPOT_LOGSTASH.image);
    expect(c.portMappings).toEqual([{ containerPort: HIVE_PORT, hostPort: HIVE_PORT, protocol: "tcp" }]);
    expect(c.environment).toEqual(expect.arrayContaining([{ name: "TPOT_TYPE", value: "HIVE" }, { name: "MY_HOSTNAME", value: "lure-aws" }]));
    const script: string = c.command[0];
    expect(script).toContain("ssl_enabled => true");
    expect(script).toContain("ssl_client_authentication => 'required'");
    expect(script).toContain("ssl_certificate_authorities => ['/tmp/lure/tls/ca.crt']");
    // Sensors' events are named by their sensor, and the hive's own address is not theirs.
    expect(script).toContain('mutate { copy => { "lure_sensor" => "t-pot_hostname" } }');
    expect(script).toContain('path.config: "/tmp/lure/hive.conf"');
    // The credential leaves the environment before Logstash starts.
    expect(script.indexOf("unset LURE_HIVE_CA LURE_HIVE_CERTIFICATE LURE_HIVE_KEY")).toBeLessThan(script.indexOf("exec /usr/bin/entrypoint.sh"));
    execFileSync("bash", ["-n", "-c", script]);
  });

  it("gets its credential from the empty secret at task start: ARNs in the task definition, no value anywhere", () => {
    const [c] = containersOf(td);
    expect(c.secrets).toEqual(["ca", "certificate", "key"].map((k) => ({ name: `LURE_HIVE_${k.toUpperCase()}`, valueFrom: `\${${secretAddress}.arn}:${k}::` })));
    expect(JSON.stringify(c.environment)).not.toContain("BEGIN");
    expect(secret).not.toHaveProperty("secret_string");
    expect(resources(hiveStack, "aws_secretsmanager_secret_version")).toEqual([]);
    // Only the hive's own execution role may read it.
    const [, role] = deref(hiveStack, td.execution_role_arn);
    expect(role.name).toBe("lure-honeynet-hive-execution");
    expect(policyOf(hiveStack, "lure-honeynet-hive-execution").Statement).toEqual([
      { Sid: "WriteContainerLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..+\.arn\}:\*$/)] },
      { Sid: "ReadHiveCredential", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [`\${${secretAddress}.arn}`] },
    ]);
    expect(JSON.stringify(policyOf(hiveStack, "lure-honeynet-execution"))).not.toContain("secretsmanager");
    expect(td).not.toHaveProperty("task_role_arn");
  });

  it("tells the sensors where it is and which secret to fill", () => {
    expect(hiveStack.output.hive_endpoint.value).toBe(`\${${lbAddress}.dns_name}:${HIVE_PORT}`);
    expect(hiveStack.output.hive_secret.value).toBe(`\${${secretAddress}.name}`);
  });

  it("passes the policy rules", () => {
    expect(checkStack({ name: "aws-honeynet", json: hiveStack })).toEqual([]);
  });

  it("admits only hiveAllowCidrs when given, IPv4 only (with a warning for the IPv6 ones)", () => {
    const config = configWith((c) => (c.honeynet.analytics = { hive: "aws", hiveAllowCidrs: ["198.51.100.0/24", "203.0.113.7/32", "2001:db8::/32"] }));
    const app = Testing.app();
    const s = new AwsHoneynetStack(app, "aws-honeynet", config, config.clouds.aws!);
    const json = JSON.parse(Testing.synth(s)) as Json;
    const [sg] = byName(json, "aws_security_group", "lure-hive");
    const cidrs = resources(json, "aws_vpc_security_group_ingress_rule").filter(([, r]) => r.security_group_id === ref(sg)).map(([, r]) => r.cidr_ipv4);
    expect(cidrs).toEqual(["198.51.100.0/24", "203.0.113.7/32"]);
    expect(s.node.findAll().flatMap((n) => n.node.metadata).map((m) => String(m.data))).toContain("analytics.hiveAllowCidrs: the hive's load balancer is IPv4-only; IPv6 entries are ignored");
  });
});
