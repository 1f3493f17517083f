/** The two holes a review found in the first rule versions, each shown open and closed. */
import { coversWholeSpace, WORLD_OPEN_TAG } from "../../modules/core/policy/rules/dashboard-behind-waf";
import { dashboardBehindWaf, elasticNotPublic } from "../../modules/core/policy";
import { addresses, component, ref, stack } from "./fixtures";

const dashboard = (addressesInSet: string[], aclTags: Record<string, string> = {}) =>
  stack({
    aws_lb: { alb: component("dashboard") },
    aws_wafv2_ip_set: { allow: { addresses: addressesInSet } },
    aws_wafv2_web_acl: {
      acl: {
        default_action: { block: {} },
        rule: [{ name: "allow", action: { allow: {} }, statement: { ip_set_reference_statement: { arn: ref("aws_wafv2_ip_set.allow", "arn") } } }],
        tags: { "lure:component": "dashboard", ...aclTags },
      },
    },
    aws_wafv2_web_acl_association: { a: { resource_arn: ref("aws_lb.alb", "arn"), web_acl_arn: ref("aws_wafv2_web_acl.acl", "arn") } },
  });

describe("dashboard-behind-waf: the whole address space in pieces", () => {
  test.each([
    [["0.0.0.0/1", "128.0.0.0/1"], true],
    [["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"], true],
    [["0.0.0.0/1", "128.0.0.0/2"], false],
    [["::/1", "8000::/1"], true],
    [["198.51.100.0/24"], false],
  ])("coversWholeSpace(%j) = %s", (cidrs, expected) => {
    expect(coversWholeSpace(cidrs)).toBe(expected);
  });

  test("two /1 halves without the opt-in tag: violation", () => {
    const v = dashboardBehindWaf.check(dashboard(["0.0.0.0/1", "128.0.0.0/1"]));
    expect(addresses(v)).toEqual(["aws_lb.alb"]);
    expect(v[0].message).toContain("covers the whole address space");
  });

  test("the same set with the web ACL's opt-in tag: compliant (the config said so explicitly)", () => {
    expect(dashboardBehindWaf.check(dashboard(["0.0.0.0/1", "128.0.0.0/1"], { [WORLD_OPEN_TAG]: "accepted" }))).toEqual([]);
  });

  test("the tag does not make /0 acceptable (WAF rejects it anyway)", () => {
    expect(dashboardBehindWaf.check(dashboard(["0.0.0.0/0"], { [WORLD_OPEN_TAG]: "accepted" }))).toHaveLength(1);
  });
});

describe("elastic-not-public: a honeypot tag on an Elastic service's group", () => {
  const withService = (serviceComponent: string) =>
    stack({
      aws_security_group: { sg: component("honeypot") },
      aws_vpc_security_group_ingress_rule: {
        r: { security_group_id: ref("aws_security_group.sg"), ip_protocol: "tcp", from_port: 9200, to_port: 9200, cidr_ipv4: "0.0.0.0/0" },
      },
      aws_ecs_service: { svc: { ...component(serviceComponent), network_configuration: { security_groups: [ref("aws_security_group.sg")] } } },
    });

  test("attached to a honeypot service (elasticpot): exempt", () => {
    expect(elasticNotPublic.check(withService("honeypot"))).toEqual([]);
  });

  test("attached to the Elasticsearch service: violation despite the tag", () => {
    expect(addresses(elasticNotPublic.check(withService("elastic")))).toEqual(["aws_vpc_security_group_ingress_rule.r"]);
  });
});
