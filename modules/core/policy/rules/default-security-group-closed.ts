/**
 * `default-security-group-closed`: every VPC the stack creates has its default security group adopted
 * with no rules (`aws_default_security_group` without ingress or egress). AWS gives a new VPC a default
 * group that admits everything from its own members and sends anywhere; anything launched without a
 * group (by hand, by a tool) lands in it. Adopting it empty closes that door.
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { resourcesOf } from "../util";

const RULE_ID = "default-security-group-closed";

const rulesOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** See the file header. */
export const defaultSecurityGroupClosed: PolicyRule = {
  id: RULE_ID,
  description: "Every aws_vpc has an aws_default_security_group with no ingress and no egress rules.",
  check(stack: SynthesizedStack): Violation[] {
    const defaults = resourcesOf(stack, "aws_default_security_group");
    const out: Violation[] = [];
    for (const vpc of resourcesOf(stack, "aws_vpc")) {
      const own = defaults.filter((d) => d.body["vpc_id"] === `\${${vpc.address}.id}`);
      if (own.length === 0) {
        out.push({ ruleId: RULE_ID, resource: vpc.address, message: `${vpc.address}'s default security group is not managed; add an aws_default_security_group with no rules so that it admits nothing.` });
      }
    }
    for (const d of defaults) {
      const n = rulesOf(d.body["ingress"]).length + rulesOf(d.body["egress"]).length;
      if (n > 0) out.push({ ruleId: RULE_ID, resource: d.address, message: `${d.address} has ${n} rule(s); a VPC's default security group must admit and send nothing.` });
    }
    return out;
  },
};
