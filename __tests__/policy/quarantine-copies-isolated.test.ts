import { QUARANTINE_PART_TAG, QUARANTINE_REUSE_TAG, quarantineCopiesIsolated } from "../../modules/core/policy/rules/quarantine-copies-isolated";
import { addresses, ref, stack } from "./fixtures";

const copies = { tags: { [QUARANTINE_PART_TAG]: "copies" } };
const real = { tags: { [QUARANTINE_PART_TAG]: "real" } };

/** The demo's shape: the ALB reaches both groups; the copies run the real task definition, which has no role. */
const compliant = () =>
  stack({
    aws_security_group: { alb: {}, copy: { ...copies }, web: { ...real } },
    aws_vpc_security_group_ingress_rule: {
      copyIn: { security_group_id: ref("aws_security_group.copy"), referenced_security_group_id: ref("aws_security_group.alb") },
      webIn: { security_group_id: ref("aws_security_group.web"), referenced_security_group_id: ref("aws_security_group.alb") },
    },
    aws_vpc_security_group_egress_rule: {
      albToCopy: { security_group_id: ref("aws_security_group.alb"), referenced_security_group_id: ref("aws_security_group.copy") },
      albToWeb: { security_group_id: ref("aws_security_group.alb"), referenced_security_group_id: ref("aws_security_group.web") },
      copyOut: { security_group_id: ref("aws_security_group.copy"), cidr_ipv4: "0.0.0.0/0" },
    },
    aws_ecs_task_definition: { web: { ...real, execution_role_arn: ref("aws_iam_role.exec", "arn") } },
    aws_ecs_service: {
      copy: { ...copies, task_definition: ref("aws_ecs_task_definition.web", "arn"), network_configuration: { assign_public_ip: false } },
      web: { ...real, task_definition: ref("aws_ecs_task_definition.web", "arn"), network_configuration: { assign_public_ip: false } },
    },
    aws_launch_template: { copy: { ...copies, metadata_options: { http_tokens: "required" } } },
  });

describe("quarantine-copies-isolated", () => {
  it("accepts copies reached only through the load balancer, without permissions or public IPs", () => {
    expect(quarantineCopiesIsolated.check(compliant())).toEqual([]);
  });

  it("ignores resources that are not tagged as copies or real service", () => {
    const s = stack({
      aws_security_group: { a: {}, b: {} },
      aws_vpc_security_group_ingress_rule: { r: { security_group_id: ref("aws_security_group.a"), referenced_security_group_id: ref("aws_security_group.b") } },
      aws_ecs_service: { hp: { network_configuration: { assign_public_ip: true } } },
    });
    expect(quarantineCopiesIsolated.check(s)).toEqual([]);
  });

  it("flags every rule linking the copies with the real service, whichever way and form it is written", () => {
    const s = compliant() as { resource: Record<string, Record<string, Record<string, unknown>>> };
    s.resource.aws_vpc_security_group_ingress_rule.fromCopy = { security_group_id: ref("aws_security_group.web"), referenced_security_group_id: ref("aws_security_group.copy") };
    s.resource.aws_vpc_security_group_egress_rule.toWeb = { security_group_id: ref("aws_security_group.copy"), referenced_security_group_id: ref("aws_security_group.web") };
    s.resource.aws_security_group_rule = { legacy: { type: "ingress", security_group_id: ref("aws_security_group.copy"), source_security_group_id: ref("aws_security_group.web") } };
    s.resource.aws_security_group.web2 = { ...real, ingress: [{ from_port: 80, to_port: 80, protocol: "tcp", security_groups: [ref("aws_security_group.copy")] }] };
    const v = quarantineCopiesIsolated.check(s);
    expect(addresses(v)).toEqual([
      "aws_vpc_security_group_ingress_rule.fromCopy",
      "aws_vpc_security_group_egress_rule.toWeb",
      "aws_security_group_rule.legacy",
      "aws_security_group.web2",
    ]);
    expect(v[0].message).toContain("links the real group aws_security_group.web with the copies group aws_security_group.copy");
  });

  it("flags copies with public IPs, task roles or instance profiles", () => {
    const s = compliant() as { resource: Record<string, Record<string, Record<string, unknown>>> };
    s.resource.aws_ecs_task_definition.web.task_role_arn = ref("aws_iam_role.app", "arn");
    s.resource.aws_ecs_task_definition.decoy = { ...copies, task_role_arn: "arn:aws:iam::123456789012:role/x" };
    s.resource.aws_ecs_service.copy.network_configuration = { assign_public_ip: true };
    s.resource.aws_launch_template.copy.iam_instance_profile = { name: "admin" };
    s.resource.aws_launch_template.copy.network_interfaces = [{ associate_public_ip_address: "true" }];
    const v = quarantineCopiesIsolated.check(s);
    expect(v.map((x) => `${x.resource}: ${x.message.split(";")[0]}`)).toEqual([
      "aws_ecs_service.copy: aws_ecs_service.copy gives the copies public IPs",
      "aws_ecs_service.copy: aws_ecs_service.copy runs aws_ecs_task_definition.web, which has a task role",
      "aws_ecs_task_definition.decoy: aws_ecs_task_definition.decoy gives the copies a task role",
      "aws_launch_template.copy: aws_launch_template.copy gives the copies an instance profile",
      "aws_launch_template.copy: aws_launch_template.copy gives the copies public IPs",
    ]);
    // The real service's own task role is none of this rule's business.
    expect(addresses(v)).not.toContain("aws_ecs_service.web");
  });

  it("flags a copies service running a task definition from outside the stack, unless the config accepted it", () => {
    const outside = "arn:aws:ecs:eu-west-2:123456789012:task-definition/shop:7";
    const withCopy = (tags: Record<string, string>) => {
      const s = compliant() as { resource: Record<string, Record<string, Record<string, unknown>>> };
      s.resource.aws_ecs_service.copy = { tags, task_definition: outside, network_configuration: { assign_public_ip: false } };
      return s;
    };
    const v = quarantineCopiesIsolated.check(withCopy({ [QUARANTINE_PART_TAG]: "copies" }));
    expect(v.map((x) => x.resource)).toEqual(["aws_ecs_service.copy"]);
    expect(v[0].message).toContain("runs a task definition from outside this stack");
    expect(v[0].message).toContain("quarantine.copies.reuseTaskDefinition");
    expect(quarantineCopiesIsolated.check(withCopy({ [QUARANTINE_PART_TAG]: "copies", [QUARANTINE_REUSE_TAG]: "accepted" }))).toEqual([]);
    // Only the exact value counts as accepted.
    expect(addresses(quarantineCopiesIsolated.check(withCopy({ [QUARANTINE_PART_TAG]: "copies", [QUARANTINE_REUSE_TAG]: "yes" })))).toEqual(["aws_ecs_service.copy"]);
    // A data source's task definition is outside the stack's resources too.
    const fromData = withCopy({ [QUARANTINE_PART_TAG]: "copies" });
    fromData.resource.aws_ecs_service.copy.task_definition = "${data.aws_ecs_task_definition.shop.arn}";
    expect(addresses(quarantineCopiesIsolated.check(fromData))).toEqual(["aws_ecs_service.copy"]);
    // The real service may run whatever it runs.
    const real2 = compliant() as { resource: Record<string, Record<string, Record<string, unknown>>> };
    real2.resource.aws_ecs_service.web.task_definition = outside;
    expect(quarantineCopiesIsolated.check(real2)).toEqual([]);
  });
});
