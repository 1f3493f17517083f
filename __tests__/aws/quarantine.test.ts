/**
 * The aws-quarantine stack: the demo's network and services, the copies' isolation, the flow-log →
 * detector path, the mode schedule, the shared table and least-privilege roles; the existing-target
 * and Auto Scaling variants (with the anchor rule of an existing target's ECS copies); what must NOT be
 * there (steering rules, wildcard mutations, a Scan of the table, a way from the copies to the real
 * service).
 */
import { readFileSync } from "fs";
import { join } from "path";
import { Testing, TerraformVariable } from "cdktf";
import { createStacks } from "../../main";
import { AWS_CUSTOM_FORMAT } from "../../functions/core/flow";
import { DescribeRulesCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { albSteering } from "../../functions/aws/quarantine/alb-steering";
import { MODE_KEY, QUARANTINE_PK, dynamoKey } from "../../functions/aws/quarantine/dynamo-store";
import { quarantineEnv } from "../../functions/aws/quarantine/env";
import { AwsStack } from "../../providers/aws";
import {
  ANCHOR_SOURCE_CIDR,
  AwsQuarantine,
  DETECTOR_MEMORY_MB,
  DETECTOR_TIMEOUT_SECONDS,
  FLOW_LOG_AGGREGATION_SECONDS,
  MODE_ITEM_KEY,
  MODE_SCHEDULE,
  MODE_TIMEOUT_SECONDS,
  QUARANTINE_PARTITION,
  demoSubnetCidrs,
} from "../../modules/aws/quarantine";
import { AwsQuarantineStack } from "../../modules/aws/stacks";
import { checkStack } from "../../modules/core/policy";
import { QUARANTINE_PART_TAG, QUARANTINE_REUSE_TAG } from "../../modules/core/policy/rules/quarantine-copies-isolated";
import { isReadOnlyAction } from "../../modules/core/policy/rules/no-wildcard-mutating";
import { quarantineRuntimeConfig } from "../../modules/core/quarantine-runtime";
import { ConfigError } from "../../modules/core/config";
import { configWith, deref, ref, resources, ROOT, synthAwsQuarantine, type Json } from "../helpers/synth";
import { EXISTING_TARGET } from "../helpers/variants";

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: Json;
}

const config = configWith();
const stack = synthAwsQuarantine(config);

/** The single resource of `type` in `s` whose body matches `pick` (exactly one must). */
function one(s: Json, type: string, pick: (b: Json) => boolean = () => true): [string, Json] {
  const all = resources(s, type).filter(([, b]) => pick(b));
  if (all.length !== 1) throw new Error(`${type}: expected exactly one match, found ${all.length}`);
  return all[0];
}
const named = (s: Json, type: string, name: string) => one(s, type, (b) => b.name === name);
const fn = (s: Json, name: string) => one(s, "aws_lambda_function", (f) => f.function_name === name);
function statementsOfRole(s: Json, roleArn: string): Statement[] {
  const [roleAddr] = deref(s, roleArn);
  const policies = resources(s, "aws_iam_role_policy").filter(([, p]) => p.role === ref(roleAddr));
  expect(policies).toHaveLength(1);
  return JSON.parse(policies[0][1].policy).Statement;
}
/** Every statement of every role policy in the stack. */
const allStatements = (s: Json): Statement[] => resources(s, "aws_iam_role_policy").flatMap(([, p]) => JSON.parse(p.policy).Statement as Statement[]);
const ingressOf = (s: Json, sgAddr: string) => resources(s, "aws_vpc_security_group_ingress_rule").filter(([, r]) => r.security_group_id === ref(sgAddr));
const egressOf = (s: Json, sgAddr: string) => resources(s, "aws_vpc_security_group_egress_rule").filter(([, r]) => r.security_group_id === ref(sgAddr));
/** An ALB ARN stand-in for a token, so the synthesized environment can be read by the functions' own reader. */
const resolveTokens = (env: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      v
        .replace(/^\$\{aws_lb_listener\.[^}]+\}$/, "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/lure-quarantine/0123456789abcdef/0123456789abcdef")
        .replace(/^\$\{aws_lb_target_group\.[^}]+\}$/, "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/lure-quarantine-copies/0123456789abcdef"),
    ]),
  );

const [detectorAddr, detector] = fn(stack, "lure-quarantine-detector");
const [modeAddr, mode] = fn(stack, "lure-quarantine-mode");
const [vpcAddr] = one(stack, "aws_vpc");
const [tableAddr, table] = one(stack, "aws_dynamodb_table");
const [lbAddr] = one(stack, "aws_lb");
const [listenerAddr, listener] = one(stack, "aws_lb_listener");
const [albSgAddr] = named(stack, "aws_security_group", "lure-quarantine-alb");
const [copySgAddr] = named(stack, "aws_security_group", "lure-quarantine-copies");
const [realSgAddr] = named(stack, "aws_security_group", "lure-quarantine-web");
const [copyTgAddr, copyTg] = named(stack, "aws_lb_target_group", "lure-quarantine-copies");
const [realTgAddr] = named(stack, "aws_lb_target_group", "lure-quarantine-web");
const [, copyService] = named(stack, "aws_ecs_service", "lure-quarantine-copies");
const [, realService] = named(stack, "aws_ecs_service", "lure-quarantine-web");
const subnetsNamed = (s: Json, tier: string) => resources(s, "aws_subnet").filter(([, n]) => String(n.tags.Name).startsWith(`lure-quarantine-${tier}-`));
const [flowGroupAddr, flowGroup] = named(stack, "aws_cloudwatch_log_group", "/lure/quarantine/flow-logs");
const [dlqAddr, dlq] = one(stack, "aws_sqs_queue");
const listenerRules = `\${${Object.keys(stack.locals)[0] ? `local.${Object.keys(stack.locals)[0]}` : "missing"}}/*`;

const EXPECTED_ENV_KEYS = ["LURE_COPIES_KIND", "LURE_COPY_CLUSTER", "LURE_COPY_SERVICE", "LURE_COPY_TARGET_GROUP_ARN", "LURE_LISTENER_ARN", "LURE_QUARANTINE", "LURE_TABLE"];

describe("aws-quarantine stack in the app", () => {
  test("the default config synthesizes aws-quarantine next to aws-honeynet (and azure-quarantine, gcp-quarantine next to theirs)", () => {
    expect(createStacks(Testing.app(), config).map((s) => s.node.id)).toEqual(["aws-honeynet", "aws-quarantine", "azure-honeynet", "azure-quarantine", "gcp-honeynet", "gcp-quarantine"]);
  });

  test("an existing (AWS) target: aws-quarantine only, no azure-quarantine or gcp-quarantine", () => {
    const existing = configWith((c) => (c.quarantine = { target: structuredClone(EXISTING_TARGET), copies: { kind: "ecs", image: "example/decoy:1" } }));
    expect(createStacks(Testing.app(), existing).map((s) => s.node.id)).toEqual(["aws-honeynet", "aws-quarantine", "azure-honeynet", "gcp-honeynet"]);
  });

  test("quarantine.enabled false: no quarantine stack on any cloud", () => {
    const off = configWith((c) => (c.quarantine.enabled = false));
    expect(createStacks(Testing.app(), off).map((s) => s.node.id)).toEqual(["aws-honeynet", "azure-honeynet", "gcp-honeynet"]);
  });

  test("no AWS cloud: no AWS stack, the quarantine included", () => {
    const noAws = configWith((c) => delete c.clouds.aws);
    expect(createStacks(Testing.app(), noAws).map((s) => s.node.id)).toEqual(["azure-honeynet", "azure-quarantine", "gcp-honeynet", "gcp-quarantine"]);
    const gcpOnly = configWith((c) => {
      delete c.clouds.aws;
      delete c.clouds.azure;
      c.clouds.gcp = { region: "europe-west2" };
    });
    expect(createStacks(Testing.app(), gcpOnly).map((s) => s.node.id)).toEqual(["gcp-honeynet", "gcp-quarantine"]);
  });

  test("the default stack passes every policy rule", () => {
    expect(checkStack(stack)).toEqual([]);
  });

  test("header example of AwsQuarantine runs as written and synthesizes a clean stack", () => {
    const header = readFileSync(join(ROOT, "modules/aws/quarantine.ts"), "utf8");
    const block = /```ts\n([\s\S]*?)```/.exec(header)?.[1];
    expect(block).toBeDefined();
    const code = block!.split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n");
    const app = Testing.app();
    new Function("app", "AwsStack", "AwsQuarantine", code)(app, AwsStack, AwsQuarantine);
    const json = JSON.parse(Testing.synth(app.node.findChild("aws-quarantine") as AwsStack));
    expect(resources(json, "aws_ecs_service")).toHaveLength(2);
    expect(JSON.parse(fn(json, "lure-quarantine-mode")[1].environment.variables.LURE_QUARANTINE).detector.allowCidrs).toEqual(["198.51.100.0/24", "10.43.0.0/16"]);
    expect(checkStack(json)).toEqual([]);
  });

  test("props are validated before anything is created, every problem at once", () => {
    const app = Testing.app();
    const s = new AwsStack(app, "s", { prefix: "lure", region: "eu-west-2" });
    let error: unknown;
    try {
      new AwsQuarantine(s, "Q", { copies: { kind: "ecs", defenceCount: 1, normalCount: 2 }, firstRulePriority: 49_950, allowCidrs: ["10.0.0.1/8"], demo: { networkCidr: "10.0.0.0/12" } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.path).sort()).toEqual(["allowCidrs[0]", "copies.normalCount", "demo.networkCidr", "firstRulePriority"]);
    // Nothing was created under the construct.
    expect(s.node.tryFindChild("Q")?.node.children ?? []).toEqual([]);
  });
});

describe("demo target: network", () => {
  test("six subnets in two zones: public (ALB, NAT), private (real service), copies; no public IPs on launch", () => {
    expect(demoSubnetCidrs("10.43.0.0/16")).toEqual({
      public: ["10.43.0.0/19", "10.43.32.0/19"],
      private: ["10.43.64.0/19", "10.43.96.0/19"],
      copies: ["10.43.128.0/19", "10.43.160.0/19"],
    });
    expect(demoSubnetCidrs("192.168.7.0/24").copies).toEqual(["192.168.7.128/27", "192.168.7.160/27"]);
    expect(one(stack, "aws_vpc")[1].cidr_block).toBe("10.43.0.0/16");
    const subnets = resources(stack, "aws_subnet");
    expect(subnets).toHaveLength(6);
    for (const [, n] of subnets) {
      expect(n.vpc_id).toBe(ref(vpcAddr));
      expect(n.map_public_ip_on_launch).toBe(false);
    }
    expect(subnetsNamed(stack, "copies").map(([, n]) => n.cidr_block)).toEqual(["10.43.128.0/19", "10.43.160.0/19"]);
  });

  test("one NAT gateway in a public subnet; private and copy subnets route to the internet only through it", () => {
    const [natAddr, nat] = one(stack, "aws_nat_gateway");
    expect(deref(stack, nat.subnet_id)[1].tags.Name).toBe("lure-quarantine-public-0");
    const [igwAddr] = one(stack, "aws_internet_gateway");
    expect(resources(stack, "aws_route")).toEqual([]);
    expect(resources(stack, "aws_route_table")).toHaveLength(3);
    const routesOf = (subnetAddr: string): Json[] => {
      const [, assoc] = one(stack, "aws_route_table_association", (a) => a.subnet_id === ref(subnetAddr));
      return deref(stack, assoc.route_table_id)[1].route;
    };
    const via = (r: Json) => Object.entries(r).filter(([k, v]) => k !== "cidr_block" && v !== null);
    for (const tier of ["private", "copies"]) {
      for (const [addr] of subnetsNamed(stack, tier)) {
        expect(routesOf(addr).map((r) => [r.cidr_block, via(r)])).toEqual([["0.0.0.0/0", [["nat_gateway_id", ref(natAddr)]]]]);
      }
    }
    for (const [addr] of subnetsNamed(stack, "public")) {
      expect(routesOf(addr).map((r) => [r.cidr_block, via(r)])).toEqual([["0.0.0.0/0", [["gateway_id", ref(igwAddr)]]]]);
    }
    // The copies have a route table of their own.
    const tableOf = (subnetAddr: string) => one(stack, "aws_route_table_association", (a) => a.subnet_id === ref(subnetAddr))[1].route_table_id;
    expect(tableOf(subnetsNamed(stack, "copies")[0][0])).not.toBe(tableOf(subnetsNamed(stack, "private")[0][0]));
  });

  test("the copies' network ACL denies the real service's subnets in both directions before allowing the rest", () => {
    const [, acl] = one(stack, "aws_network_acl");
    expect(acl.vpc_id).toBe(ref(vpcAddr));
    expect([...acl.subnet_ids].sort()).toEqual(subnetsNamed(stack, "copies").map(([addr]) => ref(addr)).sort());
    // Entries are inline; separate rule or association resources would fight them.
    expect(resources(stack, "aws_network_acl_rule")).toEqual([]);
    expect(resources(stack, "aws_network_acl_association")).toEqual([]);
    const privateCidrs = subnetsNamed(stack, "private").map(([, n]) => n.cidr_block);
    for (const direction of ["ingress", "egress"]) {
      const entries = [...(acl[direction] as Json[])].sort((a, b) => a.rule_no - b.rule_no);
      expect(entries.map((r) => [r.action, r.cidr_block, r.protocol])).toEqual([
        ["deny", privateCidrs[0], "-1"],
        ["deny", privateCidrs[1], "-1"],
        ["allow", "0.0.0.0/0", "-1"],
      ]);
    }
  });
});

describe("demo target: the real service and its copies", () => {
  test("ALB: internet-facing in the public subnets, HTTP 80, everyone forwarded to the real service", () => {
    const [, lb] = one(stack, "aws_lb");
    expect(lb).toMatchObject({ internal: false, load_balancer_type: "application", security_groups: [ref(albSgAddr)], drop_invalid_header_fields: true });
    expect(lb.subnets.sort()).toEqual(subnetsNamed(stack, "public").map(([addr]) => ref(addr)).sort());
    expect(listener).toMatchObject({ load_balancer_arn: ref(lbAddr, "arn"), port: 80, protocol: "HTTP" });
    // The copies' group is attached at weight 0 (ECS needs it attached); no request goes there by default.
    expect(listener.default_action).toEqual([
      { type: "forward", forward: { target_group: [{ arn: ref(realTgAddr, "arn"), weight: 1 }, { arn: ref(copyTgAddr, "arn"), weight: 0 }] } },
    ]);
    expect(ingressOf(stack, albSgAddr).map(([, r]) => [r.from_port, r.to_port, r.cidr_ipv4])).toEqual([[80, 80, "0.0.0.0/0"]]);
  });

  test("no listener rule in Terraform: steering rules are the functions' runtime state", () => {
    expect(stack.resource.aws_lb_listener_rule).toBeUndefined();
    expect(stack.resource.aws_alb_listener_rule).toBeUndefined();
  });

  test("real service: one Fargate task of the demo image in the private subnets, no public IP, behind the real target group", () => {
    expect(realService).toMatchObject({ desired_count: 1, launch_type: "FARGATE" });
    expect(realService.network_configuration).toEqual({
      assign_public_ip: false,
      security_groups: [ref(realSgAddr)],
      subnets: subnetsNamed(stack, "private").map(([addr]) => ref(addr)),
    });
    expect(realService.load_balancer).toEqual([{ target_group_arn: ref(realTgAddr, "arn"), container_name: "web", container_port: 80 }]);
    expect(realService.lifecycle).toBeUndefined();
    const [, task] = deref(stack, realService.task_definition);
    expect(JSON.parse(task.container_definitions).find((c: Json) => c.essential)).toMatchObject({ name: "web", image: "public.ecr.aws/nginx/nginx:1.27.5-alpine", portMappings: [{ containerPort: 80, hostPort: 80, protocol: "tcp" }] });
    expect(task.task_role_arn).toBeUndefined();
  });

  test("copy service: same task definition, desired 0 under ignore_changes, own target group, copy subnets, no public IP", () => {
    expect(copyService.desired_count).toBe(0);
    expect(copyService.lifecycle.ignore_changes).toContain("desired_count");
    expect(copyService.task_definition).toBe(realService.task_definition);
    expect(copyService.load_balancer).toEqual([{ target_group_arn: ref(copyTgAddr, "arn"), container_name: "web", container_port: 80 }]);
    expect(copyService.network_configuration).toEqual({
      assign_public_ip: false,
      security_groups: [ref(copySgAddr)],
      subnets: subnetsNamed(stack, "copies").map(([addr]) => ref(addr)),
    });
    expect(copyTg).toMatchObject({ target_type: "ip", port: 80, protocol: "HTTP", vpc_id: ref(vpcAddr) });
    // No task role anywhere: neither the real service nor its copies hold AWS permissions.
    for (const [, td] of resources(stack, "aws_ecs_task_definition")) expect(td.task_role_arn).toBeUndefined();
    expect(stack.resource.aws_iam_instance_profile).toBeUndefined();
  });

  test("copy security group: only the ALB group on the container port in, only HTTPS out, nothing of the real service", () => {
    const ingress = ingressOf(stack, copySgAddr).map(([, r]) => r);
    expect(ingress).toEqual([expect.objectContaining({ ip_protocol: "tcp", from_port: 80, to_port: 80, referenced_security_group_id: ref(albSgAddr) })]);
    expect(ingress[0].cidr_ipv4).toBeUndefined();
    expect(ingress[0].cidr_ipv6).toBeUndefined();
    expect(egressOf(stack, copySgAddr).map(([, r]) => [r.ip_protocol, r.from_port, r.to_port, r.cidr_ipv4, r.referenced_security_group_id])).toEqual([["tcp", 443, 443, "0.0.0.0/0", undefined]]);
    // No inline rules that would bypass these resources.
    for (const [, sg] of resources(stack, "aws_security_group")) {
      expect(sg.ingress).toBeUndefined();
      expect(sg.egress).toBeUndefined();
    }
  });

  test("copies and real service are tagged apart, so the policy rule quarantine-copies-isolated sees them", () => {
    expect(one(stack, "aws_security_group", (g) => g.name === "lure-quarantine-copies")[1].tags[QUARANTINE_PART_TAG]).toBe("copies");
    expect(one(stack, "aws_security_group", (g) => g.name === "lure-quarantine-web")[1].tags[QUARANTINE_PART_TAG]).toBe("real");
    expect(copyService.tags[QUARANTINE_PART_TAG]).toBe("copies");
    expect(realService.tags[QUARANTINE_PART_TAG]).toBe("real");
    // A rule from the copies to the real service, added to this very stack, is caught.
    const broken = JSON.parse(JSON.stringify(stack)) as Json;
    broken.resource.aws_vpc_security_group_egress_rule.Sneaky = { security_group_id: ref(copySgAddr), referenced_security_group_id: ref(realSgAddr), ip_protocol: "tcp", from_port: 80, to_port: 80 };
    expect(checkStack(broken).map((v) => [v.ruleId, v.resource])).toEqual([["quarantine-copies-isolated", "aws_vpc_security_group_egress_rule.Sneaky"]]);
  });

  test("the real and copy groups never reference each other; the real group admits only the ALB group", () => {
    const rulesOf = (sg: string) => [...ingressOf(stack, sg), ...egressOf(stack, sg)].map(([, r]) => r.referenced_security_group_id).filter(Boolean);
    expect(rulesOf(copySgAddr)).not.toContain(ref(realSgAddr));
    expect(rulesOf(realSgAddr)).not.toContain(ref(copySgAddr));
    expect(ingressOf(stack, realSgAddr).map(([, r]) => [r.from_port, r.to_port, r.referenced_security_group_id, r.cidr_ipv4])).toEqual([[80, 80, ref(albSgAddr), undefined]]);
    expect(egressOf(stack, realSgAddr).map(([, r]) => [r.from_port, r.to_port, r.cidr_ipv4])).toEqual([[443, 443, "0.0.0.0/0"]]);
    // The ALB reaches both on the container port, and nothing else.
    expect(egressOf(stack, albSgAddr).map(([, r]) => [r.from_port, r.referenced_security_group_id]).sort()).toEqual(
      [
        [80, ref(copySgAddr)],
        [80, ref(realSgAddr)],
      ].sort(),
    );
  });
});

describe("flow logs → detector", () => {
  test("flow log on the whole VPC (the ALB's ENIs included): ALL traffic, 60 s aggregation, to CloudWatch Logs", () => {
    const [, flow] = one(stack, "aws_flow_log");
    expect(flow).toMatchObject({
      vpc_id: ref(vpcAddr),
      traffic_type: "ALL",
      max_aggregation_interval: FLOW_LOG_AGGREGATION_SECONDS,
      log_destination_type: "cloud-watch-logs",
      log_destination: ref(flowGroupAddr, "arn"),
    });
    expect(FLOW_LOG_AGGREGATION_SECONDS).toBe(60);
    expect(flow.subnet_id).toBeUndefined();
    expect(flow.eni_id).toBeUndefined();
    expect(flowGroup.retention_in_days).toBe(7);
  });

  test("log_format is the parser's AWS_CUSTOM_FORMAT, escaped for Terraform", () => {
    const [, flow] = one(stack, "aws_flow_log");
    // Every `${` doubled: Terraform would read a bare one as an expression.
    expect(flow.log_format).not.toMatch(/(^|[^$])\$\{/);
    expect(flow.log_format.startsWith("$${version} $${interface-id} ")).toBe(true);
    expect(flow.log_format.replace(/\$\$\{/g, "${")).toBe(AWS_CUSTOM_FORMAT);
    for (const field of ["tcp-flags", "pkt-srcaddr", "flow-direction"]) expect(flow.log_format).toContain(`$\${${field}}`);
  });

  test("flow-log role: trusted by vpc-flow-logs for this account only, writes to its log group only", () => {
    const [, flow] = one(stack, "aws_flow_log");
    const [, role] = deref(stack, flow.iam_role_arn);
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "${data.aws_caller_identity.CallerIdentity.account_id}" } },
      },
    ]);
    expect(statementsOfRole(stack, flow.iam_role_arn)).toEqual([
      { Sid: "DeliverFlowLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: [`${ref(flowGroupAddr, "arn")}:*`] },
    ]);
  });

  test("subscription filter sends every flow-log event to the detector; logs.amazonaws.com may invoke it from that group only", () => {
    const [, sub] = one(stack, "aws_cloudwatch_log_subscription_filter");
    expect(sub).toMatchObject({ log_group_name: ref(flowGroupAddr, "name"), destination_arn: ref(detectorAddr, "arn"), filter_pattern: "" });
    const [permAddr, perm] = one(stack, "aws_lambda_permission");
    expect(perm).toEqual({
      action: "lambda:InvokeFunction",
      function_name: ref(detectorAddr, "function_name"),
      principal: "logs.amazonaws.com",
      source_arn: `${ref(flowGroupAddr, "arn")}:*`,
      source_account: "${data.aws_caller_identity.CallerIdentity.account_id}",
    });
    expect(sub.depends_on).toContain(permAddr);
  });

  test("detector: 2 retries, then an encrypted dead-letter queue (a failing batch is kept, never lost)", () => {
    const [, invoke] = one(stack, "aws_lambda_function_event_invoke_config", (c) => c.function_name === ref(detectorAddr, "function_name"));
    expect(invoke.maximum_retry_attempts).toBe(2);
    expect(invoke.destination_config).toEqual({ on_failure: { destination: ref(dlqAddr, "arn") } });
    expect(dlq).toMatchObject({ name: "lure-quarantine-detector-dlq", sqs_managed_sse_enabled: true, message_retention_seconds: 1_209_600 });
    expect(statementsOfRole(stack, detector.role).filter((s) => s.Action.includes("sqs:SendMessage"))).toEqual([
      { Sid: "DeadLetters", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [ref(dlqAddr, "arn")] },
    ]);
    expect(stack.output.quarantine_dead_letter_queue.value).toEqual({ url: ref(dlqAddr, "url"), arn: ref(dlqAddr, "arn") });
  });
});

describe("state table, mode schedule, functions", () => {
  test("DynamoDB: hash key pk (S) and range key sk (S), on demand, TTL on expiresAt, encrypted, point-in-time recovery", () => {
    expect(table).toMatchObject({
      name: "lure-quarantine",
      hash_key: "pk",
      range_key: "sk",
      attribute: [
        { name: "pk", type: "S" },
        { name: "sk", type: "S" },
      ],
      billing_mode: "PAY_PER_REQUEST",
      ttl: { attribute_name: "expiresAt", enabled: true },
      server_side_encryption: { enabled: true },
      point_in_time_recovery: { enabled: true },
    });
    // Key attributes only: DynamoDB refuses a declared attribute that no key or index uses.
    expect(table.attribute).toHaveLength(2);
    expect(table.global_secondary_index).toBeUndefined();
    expect(table.local_secondary_index).toBeUndefined();
  });

  test("mode: EventBridge Scheduler every minute → the mode function, through a role that may only invoke it", () => {
    const [, schedule] = one(stack, "aws_scheduler_schedule");
    expect(schedule.schedule_expression).toBe("rate(1 minute)");
    expect(MODE_SCHEDULE).toBe("rate(1 minute)");
    expect(schedule.flexible_time_window).toEqual({ mode: "OFF" });
    expect(schedule.target.arn).toBe(ref(modeAddr, "arn"));
    const [, role] = deref(stack, schedule.target.role_arn);
    expect(JSON.parse(role.assume_role_policy).Statement[0].Principal).toEqual({ Service: "scheduler.amazonaws.com" });
    expect(statementsOfRole(stack, schedule.target.role_arn)).toEqual([
      { Sid: "RunMode", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [ref(modeAddr, "arn"), `${ref(modeAddr, "arn")}:*`] },
    ]);
  });

  test("functions: Node.js 22 on arm64; the detector has 60 s and 512 MB, the mode function stays under its minute", () => {
    for (const f of [detector, mode]) {
      expect(f).toMatchObject({ runtime: "nodejs22.x", architectures: ["arm64"], handler: "index.handler" });
      expect(f.filename).toMatch(/\.zip$/);
      const [, logs] = deref(stack, `\${${f.logging_config.log_group.slice(2, -1)}}`);
      expect(logs).toMatchObject({ name: `/aws/lambda/${f.function_name}`, retention_in_days: 7 });
    }
    expect(detector.description).toBe("lure quarantine: functions/aws/quarantine/detector-handler.ts");
    expect(mode.description).toBe("lure quarantine: functions/aws/quarantine/mode-handler.ts");
    expect([detector.timeout, detector.memory_size]).toEqual([DETECTOR_TIMEOUT_SECONDS, DETECTOR_MEMORY_MB]);
    expect([detector.timeout, detector.memory_size]).toEqual([60, 512]);
    expect(mode.timeout).toBe(MODE_TIMEOUT_SECONDS);
    expect(mode.timeout).toBeLessThan(60);
    expect(detector.source_code_hash).not.toBe(mode.source_code_hash);
  });

  test("environment contract: the variables the functions read, with the config's runtime settings", () => {
    for (const f of [detector, mode]) {
      const env = f.environment.variables as Record<string, string>;
      expect(Object.keys(env).sort()).toEqual(EXPECTED_ENV_KEYS);
      expect(env.LURE_QUARANTINE).toBe(JSON.stringify(quarantineRuntimeConfig(config)));
      expect(env).toMatchObject({
        LURE_TABLE: "lure-quarantine",
        LURE_LISTENER_ARN: ref(listenerAddr, "arn"),
        LURE_COPY_TARGET_GROUP_ARN: ref(copyTgAddr, "arn"),
        LURE_COPIES_KIND: "ecs",
        LURE_COPY_CLUSTER: "lure-quarantine",
        LURE_COPY_SERVICE: "lure-quarantine-copies",
      });
      expect(named(stack, "aws_ecs_cluster", env.LURE_COPY_CLUSTER)).toBeDefined();
      // The functions' own reader accepts it as deployed.
      const read = quarantineEnv(resolveTokens(env));
      expect(read.config).toEqual(quarantineRuntimeConfig(config));
      expect(read.copies).toEqual({ kind: "ecs", cluster: "lure-quarantine", service: "lure-quarantine-copies" });
    }
    // The demo's own network is never taken for an attacker (ALB connections, health checks).
    expect(JSON.parse(detector.environment.variables.LURE_QUARANTINE).detector.allowCidrs).toEqual(["10.43.0.0/16"]);
  });
});

describe("IAM: scoped, each function its own role", () => {
  const ruleActions = [
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:DeleteRule",
  ];
  const shared = (scale: Statement[]): Statement[] => [
    {
      Sid: "State",
      Effect: "Allow",
      Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:Query"],
      Resource: [ref(tableAddr, "arn")],
    },
    { Sid: "ReadRules", Effect: "Allow", Action: ["elasticloadbalancing:DescribeRules"], Resource: ["*"] },
    { Sid: "ReadCopyHealth", Effect: "Allow", Action: ["elasticloadbalancing:DescribeTargetHealth"], Resource: ["*"] },
    { Sid: "CreateRules", Effect: "Allow", Action: ["elasticloadbalancing:CreateRule", "elasticloadbalancing:AddTags"], Resource: [ref(listenerAddr, "arn"), listenerRules] },
    { Sid: "ChangeRules", Effect: "Allow", Action: ["elasticloadbalancing:ModifyRule", "elasticloadbalancing:DeleteRule"], Resource: [listenerRules] },
    ...scale,
  ];
  const ecsScale: Statement[] = [
    {
      Sid: "ScaleCopies",
      Effect: "Allow",
      Action: ["ecs:UpdateService", "ecs:DescribeServices"],
      Resource: ["arn:${data.aws_partition.Partition.partition}:ecs:eu-west-2:${data.aws_caller_identity.CallerIdentity.account_id}:service/lure-quarantine/lure-quarantine-copies"],
    },
  ];
  const logs = (addr: string): Statement => ({ Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${ref(addr, "arn")}:*`] });

  test("the listener-rule pattern is the listener's ARN with :listener-rule/ and /*", () => {
    expect(Object.values(stack.locals)).toEqual([`\${replace(${listenerAddr}.arn, ":listener/", ":listener-rule/")}`]);
  });

  test("detector and mode: exactly these statements, on these resources", () => {
    expect(detector.role).not.toBe(mode.role);
    const [detectorLogs] = named(stack, "aws_cloudwatch_log_group", "/aws/lambda/lure-quarantine-detector");
    const [modeLogs] = named(stack, "aws_cloudwatch_log_group", "/aws/lambda/lure-quarantine-mode");
    expect(statementsOfRole(stack, detector.role)).toEqual([
      ...shared(ecsScale),
      { Sid: "DeadLetters", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [ref(dlqAddr, "arn")] },
      logs(detectorLogs),
    ]);
    expect(statementsOfRole(stack, mode.role)).toEqual([...shared(ecsScale), logs(modeLogs)]);
  });

  test("no mutating action on *, none on the real service, no listener or load-balancer changes, no DynamoDB on *", () => {
    const statements = allStatements(stack);
    for (const st of statements) {
      expect(st.Effect).toBe("Allow");
      if (st.Resource.includes("*")) expect({ sid: st.Sid, mutating: st.Action.filter((a) => !isReadOnlyAction(a)) }).toEqual({ sid: st.Sid, mutating: [] });
    }
    const actions = statements.flatMap((st) => st.Action);
    expect(actions.filter((a) => a.startsWith("elasticloadbalancing:")).every((a) => ruleActions.includes(a))).toBe(true);
    for (const forbidden of ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:RegisterTargets", "ecs:RunTask", "iam:PassRole"]) {
      expect(actions).not.toContain(forbidden);
    }
    expect(actions.some((a) => /[*?]/.test(a))).toBe(false);
    for (const st of statements.filter((s) => s.Action.some((a) => a.startsWith("dynamodb:")))) expect(st.Resource).toEqual([ref(tableAddr, "arn")]);
    // Quarantines are read with a Query of their partition: a Scan would read every source state too.
    expect(actions).not.toContain("dynamodb:Scan");
    for (const st of statements.filter((s) => s.Action.some((a) => a.startsWith("ecs:")))) {
      expect(st.Resource.join(" ")).not.toContain("lure-quarantine-web");
      expect(st.Resource.every((r) => r.endsWith("service/lure-quarantine/lure-quarantine-copies"))).toBe(true);
    }
    // Rule changes only on listener rules; creation also on the listener itself.
    for (const st of statements.filter((s) => s.Action.includes("elasticloadbalancing:DeleteRule"))) expect(st.Resource).toEqual([listenerRules]);
  });

  test("the mutating actions used here are mutating to the wildcard rule (so it would catch them on *)", () => {
    for (const a of ["elasticloadbalancing:CreateRule", "elasticloadbalancing:ModifyRule", "elasticloadbalancing:DeleteRule", "elasticloadbalancing:AddTags", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "autoscaling:SetDesiredCapacity", "ecs:UpdateService"]) {
      expect(isReadOnlyAction(a)).toBe(false);
    }
    for (const a of ["elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetHealth", "autoscaling:DescribeAutoScalingGroups", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:GetItem"]) expect(isReadOnlyAction(a)).toBe(true);
  });

  test("the DynamoDB actions are exactly the commands the functions' store sends", () => {
    // Read from the adapter's source, so a command added there without its permission fails here.
    const source = readFileSync(join(ROOT, "functions/aws/quarantine/dynamo-store.ts"), "utf8");
    const imported = /import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/client-dynamodb"/.exec(source)?.[1] ?? "";
    const commands = [...imported.matchAll(/\b(\w+)Command\b/g)].map((m) => `dynamodb:${m[1]}`);
    expect(commands.length).toBeGreaterThan(0);
    const granted = allStatements(stack).flatMap((st) => st.Action.filter((a) => a.startsWith("dynamodb:")));
    for (const f of [detector, mode]) {
      const own = statementsOfRole(stack, f.role).flatMap((st) => st.Action.filter((a) => a.startsWith("dynamodb:")));
      expect([...own].sort()).toEqual([...commands].sort());
    }
    expect(new Set(granted)).toEqual(new Set(commands));
  });

  test("the load-balancer actions are exactly the commands the steering adapter sends, plus AddTags for tagging its rules", () => {
    const source = readFileSync(join(ROOT, "functions/aws/quarantine/alb-steering.ts"), "utf8");
    const imported = /import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/client-elastic-load-balancing-v2"/.exec(source)?.[1] ?? "";
    const commands = [...imported.matchAll(/\b(\w+)Command\b/g)].map((m) => `elasticloadbalancing:${m[1]}`);
    expect(commands).toContain("elasticloadbalancing:DescribeTargetHealth");
    // CreateRule with Tags also needs AddTags on the new rule.
    const expected = [...commands, "elasticloadbalancing:AddTags"].sort();
    for (const f of [detector, mode]) {
      const own = statementsOfRole(stack, f.role).flatMap((st) => st.Action.filter((a) => a.startsWith("elasticloadbalancing:")));
      expect([...own].sort()).toEqual(expected);
    }
  });
});

describe("outputs", () => {
  test("endpoint, table, how to watch the mode, copies, dead letters", () => {
    expect(stack.output.quarantine_endpoint.value).toBe(`http://${ref(lbAddr, "dns_name")}`);
    expect(stack.output.quarantine_mode_table.value).toBe("lure-quarantine");
    // The same keys as the functions' store (kept apart: the store's module loads the DynamoDB SDK).
    expect(MODE_ITEM_KEY).toEqual({ ...MODE_KEY });
    expect(QUARANTINE_PARTITION).toBe(QUARANTINE_PK);
    expect(stack.output.quarantine_watch_mode.value).toEqual({
      mode: `aws dynamodb get-item --region eu-west-2 --table-name lure-quarantine --key '{"pk":{"S":"mode"},"sk":{"S":"mode"}}'`,
      quarantined: `aws dynamodb query --region eu-west-2 --table-name lure-quarantine --key-condition-expression "pk = :q" --expression-attribute-values '{":q":{"S":"quarantine"}}'`,
      mode_changes: "aws logs tail /aws/lambda/lure-quarantine-mode --follow --region eu-west-2",
      detections: "aws logs tail /aws/lambda/lure-quarantine-detector --follow --region eu-west-2",
    });
    // The printed key is the one the store reads the mode with.
    expect(JSON.parse(/--key '([^']*)'/.exec(stack.output.quarantine_watch_mode.value.mode)![1])).toEqual(dynamoKey(MODE_KEY));
    expect(stack.output.quarantine_copies.value).toBe("lure-quarantine-copies");
    // Output descriptions must be literal strings.
    for (const o of Object.values(stack.output) as Json[]) expect(String(o.description)).not.toContain("${");
  });
});

describe("demo over HTTPS with Auto Scaling copies", () => {
  const asg = synthAwsQuarantine(
    configWith((c) => {
      c.quarantine.demo = { certificateArn: "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234", image: "public.ecr.aws/nginx/nginx-unprivileged:1.27.5-alpine", containerPort: 8080 };
      c.quarantine.copies = { kind: "asg", amiId: "ami-0123456789abcdef0", defenceCount: 3, normalCount: 1 };
    }),
  );
  const [groupAddr, group] = one(asg, "aws_autoscaling_group");
  const [templateAddr, template] = one(asg, "aws_launch_template");
  const [asgCopySg] = named(asg, "aws_security_group", "lure-quarantine-copies");
  const [asgAlbSg] = named(asg, "aws_security_group", "lure-quarantine-alb");
  const [asgCopyTgAddr, asgCopyTg] = named(asg, "aws_lb_target_group", "lure-quarantine-copies");

  test("HTTPS on 443 with the certificate; 80 only redirects", () => {
    const [, https] = one(asg, "aws_lb_listener", (l) => l.port === 443);
    expect(https).toMatchObject({ protocol: "HTTPS", certificate_arn: "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234" });
    const [, redirect] = one(asg, "aws_lb_listener", (l) => l.port === 80);
    expect(redirect.default_action).toEqual([{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", status_code: "HTTP_301" } }]);
    expect(ingressOf(asg, asgAlbSg).map(([, r]) => r.from_port).sort()).toEqual([443, 80]);
    const [, mode] = fn(asg, "lure-quarantine-mode");
    expect(mode.environment.variables.LURE_LISTENER_ARN).toBe(ref(one(asg, "aws_lb_listener", (l) => l.port === 443)[0], "arn"));
  });

  test("Auto Scaling group: 0..defenceCount, desired normalCount under ignore_changes, warm pool, the copy target group", () => {
    expect(group).toMatchObject({ name: "lure-quarantine-copies", min_size: 0, max_size: 3, desired_capacity: 1, target_group_arns: [ref(asgCopyTgAddr, "arn")], health_check_type: "ELB" });
    expect(group.lifecycle.ignore_changes).toContain("desired_capacity");
    expect(group.warm_pool).toEqual({ pool_state: "Stopped", min_size: 3 });
    expect(group.launch_template.id).toBe(ref(templateAddr));
    expect(group.vpc_zone_identifier.sort()).toEqual(subnetsNamed(asg, "copies").map(([addr]) => ref(addr)).sort());
    expect(asgCopyTg).toMatchObject({ target_type: "instance", port: 8080 });
    expect(resources(asg, "aws_ecs_service").map(([, s]) => s.name)).toEqual(["lure-quarantine-web"]);
  });

  test("launch template: the AMI, IMDSv2 required, the copy security group, no instance profile", () => {
    expect(template.tags[QUARANTINE_PART_TAG]).toBe("copies");
    expect(group.tag).toContainEqual({ key: QUARANTINE_PART_TAG, value: "copies", propagate_at_launch: true });
    expect(template).toMatchObject({ image_id: "ami-0123456789abcdef0", instance_type: "t3.micro", vpc_security_group_ids: [ref(asgCopySg)] });
    expect(template.metadata_options).toEqual({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 });
    expect(template.iam_instance_profile).toBeUndefined();
    expect(ingressOf(asg, asgCopySg).map(([, r]) => [r.from_port, r.referenced_security_group_id])).toEqual([[8080, ref(asgAlbSg)]]);
  });

  test("functions scale the group by name; no ECS permission; describe-only on *", () => {
    const [, detector] = fn(asg, "lure-quarantine-detector");
    const env = detector.environment.variables as Record<string, string>;
    expect(env).toMatchObject({ LURE_COPIES_KIND: "asg", LURE_COPY_ASG: "lure-quarantine-copies" });
    expect(env.LURE_COPY_CLUSTER).toBeUndefined();
    expect(quarantineEnv(resolveTokens(env)).copies).toEqual({ kind: "asg", group: "lure-quarantine-copies" });
    const statements = statementsOfRole(asg, detector.role);
    expect(statements.filter((s) => s.Action.some((a) => a.startsWith("autoscaling:")))).toEqual([
      {
        Sid: "ScaleCopies",
        Effect: "Allow",
        Action: ["autoscaling:SetDesiredCapacity"],
        Resource: ["arn:${data.aws_partition.Partition.partition}:autoscaling:eu-west-2:${data.aws_caller_identity.CallerIdentity.account_id}:autoScalingGroup:*:autoScalingGroupName/lure-quarantine-copies"],
      },
      { Sid: "ReadCopies", Effect: "Allow", Action: ["autoscaling:DescribeAutoScalingGroups"], Resource: ["*"] },
    ]);
    expect(statements.flatMap((s) => s.Action).some((a) => a.startsWith("ecs:"))).toBe(false);
    expect(JSON.parse(env.LURE_QUARANTINE).copies).toEqual({ defenceCount: 3, normalCount: 1 });
    expect(asg.output.quarantine_copies.value).toBe(group.name);
    expect(checkStack(asg)).toEqual([]);
    expect(groupAddr).toMatch(/^aws_autoscaling_group\./);
  });

  test("a hibernated warm pool configures hibernation in the launch template", () => {
    const hib = synthAwsQuarantine(configWith((c) => (c.quarantine.copies = { kind: "asg", amiId: "ami-0123456789abcdef0", warmPool: { state: "Hibernated", minSize: 2 } })));
    expect(one(hib, "aws_autoscaling_group")[1].warm_pool).toEqual({ pool_state: "Hibernated", min_size: 2 });
    expect(one(hib, "aws_launch_template")[1].hibernation_options).toEqual({ configured: true });
    expect(template.hibernation_options).toBeUndefined();
  });
});

describe("existing target", () => {
  const app = Testing.app();
  const existingConfig = configWith((c) => {
    c.quarantine.target = structuredClone(EXISTING_TARGET);
    c.quarantine.copies = { kind: "ecs", reuseTaskDefinition: true };
  });
  const stackConstruct = new AwsQuarantineStack(app, "aws-quarantine", existingConfig, existingConfig.clouds.aws!);
  const ex = JSON.parse(Testing.synth(stackConstruct)) as Json;
  const [, exCopy] = one(ex, "aws_ecs_service");
  const [exSgAddr, exSg] = named(ex, "aws_security_group", "lure-quarantine-copies");
  const rulePattern = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener-rule/app/shop/0123456789abcdef/fedcba9876543210/*";

  test("nothing of the user's is created: no VPC, subnets, NAT, ALB, listener, real service or task definition", () => {
    for (const type of ["aws_vpc", "aws_subnet", "aws_nat_gateway", "aws_eip", "aws_internet_gateway", "aws_route_table", "aws_network_acl", "aws_lb", "aws_lb_listener", "aws_ecs_task_definition"]) {
      expect({ type, found: Object.keys(ex.resource[type] ?? {}) }).toEqual({ type, found: [] });
    }
    expect(resources(ex, "aws_ecs_service")).toHaveLength(1);
    expect(resources(ex, "aws_lb_target_group").map(([, t]) => t.name)).toEqual(["lure-quarantine-copies"]);
    // No execution role either: the copies run the user's task definition with its own.
    expect(resources(ex, "aws_iam_role").map(([, r]) => r.name).sort()).toEqual(["lure-quarantine-detector", "lure-quarantine-flow-logs", "lure-quarantine-mode", "lure-quarantine-scheduler"]);
  });

  test("copies: the user's task definition in the given subnets, admitting only the ALB's security group", () => {
    expect(exCopy).toMatchObject({ task_definition: EXISTING_TARGET.taskDefinitionArn, desired_count: 0, lifecycle: { ignore_changes: ["desired_count"] } });
    expect(exCopy.network_configuration).toEqual({ assign_public_ip: false, security_groups: [ref(exSgAddr)], subnets: [...EXISTING_TARGET.subnetIds] });
    expect(exCopy.load_balancer[0]).toMatchObject({ container_name: "app", container_port: 8080 });
    expect(exSg.vpc_id).toBe(EXISTING_TARGET.vpcId);
    expect(ingressOf(ex, exSgAddr).map(([, r]) => [r.from_port, r.to_port, r.referenced_security_group_id, r.cidr_ipv4])).toEqual([[8080, 8080, EXISTING_TARGET.albSecurityGroupId, undefined]]);
    expect(one(ex, "aws_lb_target_group")[1]).toMatchObject({ vpc_id: EXISTING_TARGET.vpcId, target_type: "ip", port: 8080 });
  });

  test("flow log on the given VPC; the functions steer the given listener", () => {
    expect(one(ex, "aws_flow_log")[1].vpc_id).toBe(EXISTING_TARGET.vpcId);
    const [, mode] = fn(ex, "lure-quarantine-mode");
    const env = mode.environment.variables as Record<string, string>;
    expect(env.LURE_LISTENER_ARN).toBe(EXISTING_TARGET.listenerArn);
    expect(quarantineEnv(resolveTokens(env)).listenerArn).toBe(EXISTING_TARGET.listenerArn);
    // lure cannot know the VPC's ranges: only what the user lists is allow-listed.
    expect(JSON.parse(env.LURE_QUARANTINE).detector.allowCidrs).toEqual([]);
    const statements = statementsOfRole(ex, mode.role);
    expect(statements.find((s) => s.Sid === "CreateRules")!.Resource).toEqual([EXISTING_TARGET.listenerArn, rulePattern]);
    expect(statements.find((s) => s.Sid === "ChangeRules")!.Resource).toEqual([rulePattern]);
    expect(ex.locals).toBeUndefined();
    expect(ex.output.quarantine_endpoint.value).toContain(EXISTING_TARGET.listenerArn);
    expect(checkStack(ex)).toEqual([]);
  });

  test("anchor: one rule on the user's listener, just past lure's band, forwarding to the copies from a source no client has", () => {
    const rules = resources(ex, "aws_lb_listener_rule");
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0];
    expect(rule.listener_arn).toBe(EXISTING_TARGET.listenerArn);
    // Defaults: band 1-100, so the anchor is at 101.
    expect(rule.priority).toBe(101);
    expect(rule.condition).toEqual([{ source_ip: { values: ["192.0.2.255/32"] } }]);
    expect(ANCHOR_SOURCE_CIDR).toBe("192.0.2.255/32");
    expect(rule.action).toEqual([{ type: "forward", target_group_arn: ref(one(ex, "aws_lb_target_group")[0], "arn") }]);
    expect(rule.tags).toMatchObject({ [QUARANTINE_PART_TAG]: "anchor" });
    expect(Object.keys(ex.resource.aws_alb_listener_rule ?? {})).toEqual([]);
  });

  test("the copy service is created only after the anchor rule (ECS refuses a target group no load balancer uses)", () => {
    const [anchorAddr] = one(ex, "aws_lb_listener_rule");
    expect(exCopy.depends_on).toEqual([anchorAddr]);
    expect(stackConstruct.quarantine.copyAnchorRule).toBeDefined();
  });

  test("the anchor's priority follows the band: firstRulePriority + ruleQuota, never inside it", () => {
    const moved = synthAwsQuarantine(
      configWith((c) => {
        c.quarantine.target = structuredClone(EXISTING_TARGET);
        c.quarantine.copies = { kind: "ecs", reuseTaskDefinition: true };
        c.quarantine.firstRulePriority = 1000;
        c.quarantine.ruleQuota = 40;
      }),
    );
    const [, rule] = one(moved, "aws_lb_listener_rule");
    expect(rule.priority).toBe(1040);
    const steering = JSON.parse(fn(moved, "lure-quarantine-mode")[1].environment.variables.LURE_QUARANTINE).steering;
    expect(steering).toMatchObject({ firstPriority: 1000, ruleQuota: 40 });
    expect(rule.priority).toBe(steering.firstPriority + steering.ruleQuota);
    // The highest priority that still fits: the band ends at 49999, the anchor takes 50000.
    const top = synthAwsQuarantine(
      configWith((c) => {
        c.quarantine.target = structuredClone(EXISTING_TARGET);
        c.quarantine.copies = { kind: "ecs", reuseTaskDefinition: true };
        c.quarantine.firstRulePriority = 49_900;
      }),
    );
    expect(one(top, "aws_lb_listener_rule")[1].priority).toBe(50_000);
  });

  test("the functions' steering adapter never takes the anchor for one of its rules", async () => {
    const [, rule] = one(ex, "aws_lb_listener_rule");
    const elb = mockClient(ElasticLoadBalancingV2Client);
    try {
      const band = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener-rule/app/shop/0123456789abcdef/fedcba9876543210/band";
      const anchorArn = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener-rule/app/shop/0123456789abcdef/fedcba9876543210/anchor";
      const copies = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/lure-quarantine-copies/0123456789abcdef";
      const forward = [{ Type: "forward" as const, TargetGroupArn: copies }];
      elb.on(DescribeRulesCommand).resolves({
        Rules: [
          { RuleArn: band, Priority: "100", Conditions: [{ Field: "source-ip", SourceIpConfig: { Values: ["203.0.113.9/32"] } }], Actions: forward },
          { RuleArn: anchorArn, Priority: String(rule.priority), Conditions: [{ Field: "source-ip", SourceIpConfig: { Values: rule.condition[0].source_ip.values } }], Actions: forward },
          { RuleArn: "default", Priority: "default", IsDefault: true, Conditions: [], Actions: forward },
        ],
      });
      const [, mode] = fn(ex, "lure-quarantine-mode");
      const steering = albSteering(new ElasticLoadBalancingV2Client({ region: "eu-west-2" }), {
        listenerArn: EXISTING_TARGET.listenerArn,
        targetGroupArn: copies,
        prefix: "lure",
        steering: JSON.parse(mode.environment.variables.LURE_QUARANTINE).steering,
      });
      expect((await steering.readRules()).rules).toEqual([{ id: band, priority: 100, cidrs: ["203.0.113.9/32"] }]);
      expect((await steering.readRules()).otherPriorities).toEqual([101]);
    } finally {
      elb.restore();
    }
  });

  test("warns that the copies run the real task definition; no warning to attach the target group by hand", () => {
    const warnings = stackConstruct.quarantine.node.metadata.filter((m) => /warn/i.test(m.type)).map((m) => String(m.data));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(EXISTING_TARGET.taskDefinitionArn);
    expect(warnings[0]).toContain("quarantine.copies.image");
    expect(warnings.some((w) => /attach/i.test(w))).toBe(false);
  });

  test("running the user's task definition was accepted: the copy service says so, and the policy rule needs it to", () => {
    expect(exCopy.tags).toMatchObject({ [QUARANTINE_PART_TAG]: "copies", [QUARANTINE_REUSE_TAG]: "accepted" });
    const untagged = JSON.parse(JSON.stringify(ex)) as Json;
    const [copyAddr] = one(untagged, "aws_ecs_service");
    delete untagged.resource.aws_ecs_service[copyAddr.split(".")[1]].tags[QUARANTINE_REUSE_TAG];
    expect(checkStack(untagged).map((v) => [v.ruleId, v.resource])).toEqual([["quarantine-copies-isolated", copyAddr]]);
  });

  test("without copies.image or reuseTaskDefinition: refused before anything is created, saying what it would mean", () => {
    const app = Testing.app();
    const s = new AwsStack(app, "s", { prefix: "lure", region: "eu-west-2" });
    let error: unknown;
    try {
      new AwsQuarantine(s, "Q", { target: EXISTING_TARGET });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.path)).toEqual(["copies"]);
    expect(problems[0].message).toContain("task role, secrets and environment");
    expect(s.node.tryFindChild("Q")?.node.children ?? []).toEqual([]);
  });

  test("no network ACL unless asked: the copies are isolated by their security group, and an info note says so", () => {
    expect(resources(ex, "aws_network_acl")).toEqual([]);
    const infos = stackConstruct.quarantine.node.metadata.filter((m) => /info/i.test(m.type)).map((m) => String(m.data));
    const note = infos.filter((i) => i.includes("security group only"));
    expect(note).toHaveLength(1);
    expect(note[0]).toContain("target.isolateSubnets: true");
    expect(note[0]).not.toContain("is not used");
  });

  test("an info note gives lure's rule capacity on the user's load balancer: the anchor takes one of albRuleLimit", () => {
    const infos = stackConstruct.quarantine.node.metadata.filter((m) => /info/i.test(m.type)).map((m) => String(m.data));
    const capacity = infos.filter((i) => i.includes("albRuleLimit"));
    expect(capacity).toHaveLength(1);
    expect(capacity[0]).toContain("min(100, 99 − your rules) steering rules of 5 sources each");
    expect(capacity[0]).toContain("other listeners");
  });

  test("Auto Scaling copies get the anchor too: an unattached target group is never health-checked, so no copy would turn healthy", () => {
    const exAsg = synthAwsQuarantine(
      configWith((c) => {
        c.quarantine.target = structuredClone(EXISTING_TARGET);
        c.quarantine.copies = { kind: "asg", amiId: "ami-0123456789abcdef0" };
      }),
    );
    const [, rule] = one(exAsg, "aws_lb_listener_rule");
    expect(rule.priority).toBe(101);
    expect(rule.condition).toEqual([{ source_ip: { values: [ANCHOR_SOURCE_CIDR] } }]);
    expect(rule.action).toEqual([{ type: "forward", target_group_arn: ref(one(exAsg, "aws_lb_target_group")[0], "arn") }]);
    expect(one(exAsg, "aws_autoscaling_group")[1].target_group_arns).toEqual([ref(one(exAsg, "aws_lb_target_group")[0], "arn")]);
    expect(checkStack(exAsg)).toEqual([]);
  });

  test("a decoy image: a task definition of that image without a task role, logs through lure's execution role", () => {
    const decoy = synthAwsQuarantine(
      configWith((c) => {
        c.quarantine.target = structuredClone(EXISTING_TARGET);
        c.quarantine.copies = { kind: "ecs", image: "public.ecr.aws/nginx/nginx:1.27.5-alpine", containerPort: 80 };
      }),
    );
    const [tdAddr, td] = one(decoy, "aws_ecs_task_definition");
    expect(td.task_role_arn).toBeUndefined();
    // nginx serves on 80, not on the real service's 8080: the copies' port is their own.
    expect(JSON.parse(td.container_definitions).find((c: Json) => c.essential)).toMatchObject({ name: "app", image: "public.ecr.aws/nginx/nginx:1.27.5-alpine", portMappings: [{ containerPort: 80, hostPort: 80, protocol: "tcp" }] });
    expect(one(decoy, "aws_ecs_service")[1].load_balancer).toEqual([expect.objectContaining({ container_name: "app", container_port: 80 })]);
    expect(one(decoy, "aws_lb_target_group")[1]).toMatchObject({ port: 80 });
    const [copySg] = named(decoy, "aws_security_group", "lure-quarantine-copies");
    expect(ingressOf(decoy, copySg).map(([, r]) => [r.from_port, r.to_port, r.referenced_security_group_id])).toEqual([[80, 80, EXISTING_TARGET.albSecurityGroupId]]);
    expect(one(decoy, "aws_ecs_service")[1].task_definition).toBe(ref(tdAddr, "arn"));
    expect(deref(decoy, td.execution_role_arn)[1].name).toBe("lure-quarantine-execution");
    // Still ECS copies: still anchored.
    const [anchorAddr, anchor] = one(decoy, "aws_lb_listener_rule");
    expect(anchor.priority).toBe(101);
    // …and started only once lure's execution role may pull and log (deploy-order.test.ts checks every service).
    const [policyAddr] = resources(decoy, "aws_iam_role_policy").find(([a]) => a.includes("ExecutionRolePolicy"))!;
    expect(one(decoy, "aws_ecs_service")[1].depends_on).toEqual([anchorAddr, policyAddr]);
  });
});

describe("demo with decoy-image copies", () => {
  test("the copies run a task definition of their own; the real service keeps the demo image", () => {
    const decoy = synthAwsQuarantine(configWith((c) => (c.quarantine.copies = { kind: "ecs", image: "public.ecr.aws/nginx/nginx:1.27.5-alpine", defenceCount: 2 })));
    const [, copy] = named(decoy, "aws_ecs_service", "lure-quarantine-copies");
    const [, real] = named(decoy, "aws_ecs_service", "lure-quarantine-web");
    expect(copy.task_definition).not.toBe(real.task_definition);
    expect(deref(decoy, copy.task_definition)[1].family).toBe("lure-quarantine-copies");
    expect(JSON.parse(fn(decoy, "lure-quarantine-mode")[1].environment.variables.LURE_QUARANTINE).copies).toEqual({ defenceCount: 2, normalCount: 0 });
  });
});

describe("existing target: copy subnets isolated by a network ACL", () => {
  const REAL = ["10.0.1.0/24", "10.0.2.0/24"];
  const build = (target: Json) => {
    const app = Testing.app();
    const c = configWith((x) => {
      x.quarantine.target = target;
      x.quarantine.copies = { kind: "ecs", image: "public.ecr.aws/nginx/nginx:1.27.5-alpine", containerPort: 80 };
    });
    const st = new AwsQuarantineStack(app, "aws-quarantine", c, c.clouds.aws!);
    return { json: JSON.parse(Testing.synth(st)) as Json, infos: st.quarantine.node.metadata.filter((m) => /info/i.test(m.type)).map((m) => String(m.data)) };
  };

  test("isolateSubnets: the given subnets get an ACL that denies the real subnets both ways, then allows the rest", () => {
    const { json, infos } = build({ ...EXISTING_TARGET, realSubnetCidrs: REAL, isolateSubnets: true });
    const [, acl] = one(json, "aws_network_acl");
    expect(acl.vpc_id).toBe(EXISTING_TARGET.vpcId);
    expect(acl.subnet_ids).toEqual([...EXISTING_TARGET.subnetIds]);
    expect(acl.tags[QUARANTINE_PART_TAG]).toBe("copies");
    for (const direction of ["ingress", "egress"]) {
      const entries = [...(acl[direction] as Json[])].sort((a, b) => a.rule_no - b.rule_no);
      expect(entries.map((r) => [r.rule_no, r.action, r.cidr_block, r.protocol])).toEqual([
        [100, "deny", REAL[0], "-1"],
        [101, "deny", REAL[1], "-1"],
        [200, "allow", "0.0.0.0/0", "-1"],
      ]);
    }
    expect(resources(json, "aws_network_acl_association")).toEqual([]);
    // The copies' security group is unchanged: the ALB in, HTTPS out.
    const [sgAddr] = named(json, "aws_security_group", "lure-quarantine-copies");
    expect(egressOf(json, sgAddr).map(([, r]) => [r.from_port, r.to_port, r.cidr_ipv4])).toEqual([[443, 443, "0.0.0.0/0"]]);
    expect(infos.filter((i) => i.includes("network ACL replaces"))).toHaveLength(1);
    expect(infos.some((i) => i.includes("security group only"))).toBe(false);
    expect(checkStack(json)).toEqual([]);
  });

  test("realSubnetCidrs without isolateSubnets: no ACL, and the note says the CIDRs are not used", () => {
    const { json, infos } = build({ ...EXISTING_TARGET, realSubnetCidrs: REAL });
    expect(resources(json, "aws_network_acl")).toEqual([]);
    const note = infos.filter((i) => i.includes("security group only"));
    expect(note).toHaveLength(1);
    expect(note[0]).toContain("target.realSubnetCidrs is not used without target.isolateSubnets: true");
  });

  test("a decoy image: no reuse tag, and Auto Scaling copies' capacity note counts the anchor", () => {
    const { json } = build({ ...EXISTING_TARGET });
    expect(one(json, "aws_ecs_service")[1].tags[QUARANTINE_REUSE_TAG]).toBeUndefined();
    const app = Testing.app();
    const c = configWith((x) => {
      x.quarantine.target = structuredClone(EXISTING_TARGET);
      x.quarantine.copies = { kind: "asg", amiId: "ami-0123456789abcdef0" };
      x.quarantine.albRuleLimit = 150;
    });
    const st = new AwsQuarantineStack(app, "aws-quarantine", c, c.clouds.aws!);
    const capacity = st.quarantine.node.metadata.map((m) => String(m.data)).filter((d) => d.includes("albRuleLimit"));
    expect(capacity).toHaveLength(1);
    expect(capacity[0]).toContain("accepts 150 rules (albRuleLimit), the anchor takes one");
    expect(capacity[0]).toContain("min(100, 149 − your rules)");
  });
});

describe("a listener given as a reference (props in code)", () => {
  const app = Testing.app();
  const s = new AwsStack(app, "s", { prefix: "lure", region: "eu-west-2" });
  const listener = new TerraformVariable(s, "listener_arn", { type: "string" });
  new AwsQuarantine(s, "Q", { target: { ...EXISTING_TARGET, listenerArn: listener.stringValue }, copies: { kind: "ecs", image: "public.ecr.aws/nginx/nginx:1.27.5-alpine", containerPort: 80 } });
  const json = JSON.parse(Testing.synth(s)) as Json;
  const [, tokenMode] = fn(json, "lure-quarantine-mode");
  const statements = statementsOfRole(json, tokenMode.role);

  test("the rule pattern is Terraform's replace() of the reference, never the untouched listener ARN", () => {
    const locals = Object.entries(json.locals as Record<string, string>);
    expect(locals).toHaveLength(1);
    const [localName, expression] = locals[0];
    expect(expression).toBe('${replace(var.listener_arn, ":listener/", ":listener-rule/")}');
    const pattern = `\${local.${localName}}/*`;
    expect(statements.find((st) => st.Sid === "CreateRules")!.Resource).toEqual(["${var.listener_arn}", pattern]);
    expect(statements.find((st) => st.Sid === "ChangeRules")!.Resource).toEqual([pattern]);
    expect(JSON.stringify(statements)).not.toContain("${var.listener_arn}/*");
    expect(tokenMode.environment.variables.LURE_LISTENER_ARN).toBe("${var.listener_arn}");
  });

  test("the anchor rule goes on the referenced listener", () => {
    expect(one(json, "aws_lb_listener_rule")[1].listener_arn).toBe("${var.listener_arn}");
  });
});

describe("Lambda's 4 KB environment limit", () => {
  const hosts = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${Math.floor(i / 256)}.${i % 256}/32`);

  test("a config with 300 single addresses in allowCidrs is refused at quarantine.allowCidrs before the stack exists", () => {
    const app = Testing.app();
    const c = configWith((x) => (x.quarantine.allowCidrs = hosts(300)));
    let error: unknown;
    try {
      new AwsQuarantineStack(app, "aws-quarantine", c, c.clouds.aws!);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.path)).toEqual(["quarantine.allowCidrs"]);
    expect(problems[0].message).toMatch(/^300 CIDRs make .* over Lambda's limit of 4096 bytes .* only \d+ of them fit: aggregate them into larger CIDRs/);
    expect(app.node.tryFindChild("aws-quarantine")).toBeUndefined();
  });

  test("50 single addresses deploy, and the synthesized environment is within the limit even with every ARN filled in", () => {
    const json = synthAwsQuarantine(configWith((x) => (x.quarantine.allowCidrs = hosts(50))));
    for (const name of ["lure-quarantine-detector", "lure-quarantine-mode"]) {
      const env = fn(json, name)[1].environment.variables as Record<string, string>;
      expect(JSON.parse(env.LURE_QUARANTINE).detector.allowCidrs).toHaveLength(51);
      // References replaced by realistic ARNs: the measured size, not the estimate.
      expect(Buffer.byteLength(JSON.stringify(resolveTokens(env)))).toBeLessThan(4096);
    }
  });
});

describe("the ports the images serve on", () => {
  const annotations = (build: (c: Json) => void) => {
    const app = Testing.app();
    const config = configWith(build);
    const stack = new AwsQuarantineStack(app, "aws-quarantine", config, config.clouds.aws!);
    Testing.synth(stack);
    return (stack.node.findChild("Quarantine").node.metadata as { data: string }[]).map((m) => String(m.data));
  };

  test("the summary says which port the demo's image and a decoy image must serve", () => {
    expect(annotations(() => {})).toContainEqual(expect.stringContaining("the image public.ecr.aws/nginx/nginx:1.27.5-alpine must serve HTTP on port 80"));
    const existing = annotations((c) => {
      c.quarantine.target = structuredClone(EXISTING_TARGET);
      c.quarantine.copies = { kind: "ecs", image: "registry.example.com/shop-decoy:3" };
    });
    expect(existing).toContainEqual(expect.stringContaining("the copies' image registry.example.com/shop-decoy:3 must serve HTTP on port 8080"));
    expect(existing).toContainEqual(expect.stringContaining(`security group ${EXISTING_TARGET.albSecurityGroupId} must allow egress to the copies' security group`));
  });

  test("the demo's load balancer reaches the real service and the copies each on their own port", () => {
    const stack = synthAwsQuarantine(configWith((c) => (c.quarantine.copies = { kind: "ecs", image: "registry.example.com/decoy:1", containerPort: 9000 })));
    const [albSg] = named(stack, "aws_security_group", "lure-quarantine-alb");
    const egress = resources(stack, "aws_vpc_security_group_egress_rule").filter(([, r]) => r.security_group_id === ref(albSg));
    expect(egress.map(([, r]) => [r.description, r.from_port, r.to_port]).sort()).toEqual([
      ["to the honeypot copies", 9000, 9000],
      ["to the real service", 80, 80],
    ]);
  });
});

describe("web tasks: read-only root filesystem", () => {
  test.each([
    ["demo (real service and copies)", () => {}],
    ["demo with decoy copies", (c: Json) => (c.quarantine.copies = { kind: "ecs", image: "registry.example.com/decoy:1" })],
    ["existing target, decoy copies", (c: Json) => {
      c.quarantine.target = structuredClone(EXISTING_TARGET);
      c.quarantine.copies = { kind: "ecs", image: "registry.example.com/decoy:1" };
    }],
  ])("%s: every task definition lure makes is read-only, writable only on ephemeral /tmp, /run and /var/cache/nginx, opened to any user", (_, change) => {
    const stack = synthAwsQuarantine(configWith(change));
    const tds = resources(stack, "aws_ecs_task_definition");
    expect(tds.length).toBeGreaterThan(0);
    for (const [, td] of tds) {
      const [prepare, container, ...others] = JSON.parse(td.container_definitions) as Json[];
      expect(others).toEqual([]);
      // Fargate makes the volumes root-owned 0755: a one-shot step opens them to any user (nginx-unprivileged runs as 101).
      expect(prepare).toMatchObject({ name: "prepare-volumes", essential: false, user: "0", readonlyRootFilesystem: true, command: ["chmod", "1777", "/volumes/scratch-0", "/volumes/scratch-1", "/volumes/scratch-2"] });
      expect(prepare.mountPoints.map((m: Json) => m.sourceVolume)).toEqual(["scratch-0", "scratch-1", "scratch-2"]);
      expect(container.essential).toBe(true);
      expect(container.dependsOn).toEqual([{ containerName: "prepare-volumes", condition: "SUCCESS" }]);
      expect(container.readonlyRootFilesystem).toBe(true);
      expect(container.mountPoints.map((m: Json) => [m.containerPath, m.readOnly])).toEqual([
        ["/tmp", false],
        ["/run", false],
        ["/var/cache/nginx", false],
      ]);
      // Ephemeral: task storage only, no host path, no EFS.
      expect(td.volume).toEqual(container.mountPoints.map((m: Json) => ({ name: m.sourceVolume })));
    }
  });
});

test("the copies' security group id is an output: an existing target's load balancer group needs egress to it", () => {
  const ex = synthAwsQuarantine(configWith((c) => ((c.quarantine.target = structuredClone(EXISTING_TARGET)), (c.quarantine.copies = { kind: "ecs", image: "registry.example.com/decoy:1" }))));
  const [sg] = named(ex, "aws_security_group", "lure-quarantine-copies");
  expect(ex.output.quarantine_copies_security_group).toMatchObject({ value: ref(sg) });
  expect(ex.output.quarantine_copies_security_group.description).toContain("needs egress to it");
});
