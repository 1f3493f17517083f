import { dashboardBehindWaf } from "../../modules/core/policy/rules/dashboard-behind-waf";
import { addresses, component, ref, stack } from "./fixtures";

const ipSetRule = (set: string) => ({
  name: "allow-list",
  priority: 1,
  action: { allow: {} },
  statement: { ip_set_reference_statement: { arn: ref(`aws_wafv2_ip_set.${set}`, "arn") } },
  visibility_config: { cloudwatch_metrics_enabled: true, metric_name: "allow-list", sampled_requests_enabled: true },
});

/** A dashboard ALB with an association to `acl`, plus IP sets `office` (/24) and `open` (/0). */
function wafStack(acl: Record<string, unknown>, extra: Record<string, Record<string, Record<string, unknown>>> = {}) {
  return stack({
    aws_lb: { dash: { ...component("dashboard"), load_balancer_type: "application" } },
    aws_wafv2_ip_set: {
      office: { scope: "REGIONAL", ip_address_version: "IPV4", addresses: ["203.0.113.0/24"] },
      home6: { scope: "REGIONAL", ip_address_version: "IPV6", addresses: ["2001:db8::/48"] },
      open: { scope: "REGIONAL", ip_address_version: "IPV4", addresses: ["198.51.100.7/32", "0.0.0.0/0"] },
    },
    aws_wafv2_web_acl: { acl: { scope: "REGIONAL", ...acl } },
    aws_wafv2_web_acl_association: { assoc: { resource_arn: ref("aws_lb.dash", "arn"), web_acl_arn: ref("aws_wafv2_web_acl.acl", "arn") } },
    ...extra,
  });
}

describe("dashboard-behind-waf", () => {
  it("accepts a block-by-default ACL with an allow rule on an IP set", () => {
    expect(dashboardBehindWaf.check(wafStack({ default_action: { block: {} }, rule: [ipSetRule("office")] }))).toEqual([]);
  });

  it("accepts single blocks written as one-element arrays and IP sets nested in or_statement", () => {
    const acl = {
      default_action: [{ block: [{}] }],
      rule: [
        {
          name: "allow-list",
          priority: 1,
          action: [{ allow: [{}] }],
          statement: [
            {
              or_statement: [
                {
                  statement: [
                    { ip_set_reference_statement: { arn: ref("aws_wafv2_ip_set.office", "arn") } },
                    { ip_set_reference_statement: [{ arn: ref("aws_wafv2_ip_set.home6", "arn") }] },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    expect(dashboardBehindWaf.check(wafStack(acl))).toEqual([]);
  });

  it("flags a dashboard ALB with no web ACL association", () => {
    const s = stack({ aws_lb: { dash: component("dashboard"), pots: component("honeypot") } });
    const v = dashboardBehindWaf.check(s);
    expect(addresses(v)).toEqual(["aws_lb.dash"]);
    expect(v[0]?.message).toContain("no aws_wafv2_web_acl_association");
  });

  it("flags a default_action of allow", () => {
    const v = dashboardBehindWaf.check(wafStack({ default_action: { allow: {} }, rule: [ipSetRule("office")] }));
    expect(addresses(v)).toEqual(["aws_lb.dash"]);
    expect(v[0]?.message).toContain("aws_wafv2_web_acl.acl");
    expect(v[0]?.message).toContain("default_action is not block");
  });

  it("flags an allow-list IP set that contains /0", () => {
    const v = dashboardBehindWaf.check(wafStack({ default_action: { block: {} }, rule: [ipSetRule("open")] }));
    expect(addresses(v)).toEqual(["aws_lb.dash"]);
    expect(v[0]?.message).toContain("aws_wafv2_ip_set.open contains 0.0.0.0/0");
  });

  it("flags a /0 IP set hidden in a nested or_statement", () => {
    const rule = {
      name: "allow-list",
      action: { allow: {} },
      statement: {
        or_statement: {
          statement: [
            { ip_set_reference_statement: { arn: ref("aws_wafv2_ip_set.office", "arn") } },
            { or_statement: { statement: [{ ip_set_reference_statement: { arn: ref("aws_wafv2_ip_set.open", "arn") } }] } },
          ],
        },
      },
    };
    const v = dashboardBehindWaf.check(wafStack({ default_action: { block: {} }, rule: [rule] }));
    expect(addresses(v)).toEqual(["aws_lb.dash"]);
    expect(v[0]?.message).toContain("aws_wafv2_ip_set.open contains 0.0.0.0/0");
  });

  it("flags an or_statement that also allows something other than an IP set", () => {
    const rule = {
      name: "allow-list-or-country",
      action: { allow: {} },
      statement: {
        or_statement: {
          statement: [
            { ip_set_reference_statement: { arn: ref("aws_wafv2_ip_set.office", "arn") } },
            { geo_match_statement: { country_codes: ["GB"] } },
          ],
        },
      },
    };
    const v = dashboardBehindWaf.check(wafStack({ default_action: { block: {} }, rule: [rule] }));
    expect(addresses(v)).toEqual(["aws_lb.dash"]);
    expect(v[0]?.message).toContain("geo_match_statement");
  });

  it("flags an ACL with no allow rule, and a block rule on an IP set does not count", () => {
    const blockRule = { ...ipSetRule("office"), action: { block: {} } };
    const v = dashboardBehindWaf.check(wafStack({ default_action: { block: {} }, rule: [blockRule] }));
    expect(addresses(v)).toEqual(["aws_lb.dash"]);
    expect(v[0]?.message).toContain("no allow rule");
  });

  it("flags an association to a web ACL that is not in the stack", () => {
    const s = stack({
      aws_lb: { dash: component("dashboard") },
      aws_wafv2_web_acl_association: { assoc: { resource_arn: ref("aws_lb.dash", "arn"), web_acl_arn: "arn:aws:wafv2:eu-west-2:123456789012:regional/webacl/x/1" } },
    });
    const v = dashboardBehindWaf.check(s);
    expect(addresses(v)).toEqual(["aws_lb.dash"]);
    expect(v[0]?.message).toContain("aws_wafv2_web_acl_association.assoc");
  });

  it("ignores load balancers that are not the dashboard", () => {
    expect(dashboardBehindWaf.check(stack({ aws_lb: { pots: component("honeypot"), plain: {} } }))).toEqual([]);
  });
});
