import { ALL_RULES, checkStack, formatViolations } from "../../modules/core/policy";
import type { PolicyRule } from "../../modules/core/policy";
import { component, ref, stack } from "./fixtures";

describe("policy index", () => {
  it("has the expected rules, with unique kebab-case ids and one-line descriptions", () => {
    const ids = ALL_RULES.map((r) => r.id);
    expect(ids).toEqual([
      "elastic-not-public",
      "elastic-no-public-ip",
      "dashboard-behind-waf",
      "dashboard-encrypted",
      "efs-encrypted",
      "efs-transit-encryption",
      "honeypot-role-minimal",
      "no-wildcard-mutating",
      "role-assignment-scoped",
      "bucket-private-encrypted",
      "queues-encrypted",
      "no-secret-values",
      "quarantine-copies-isolated",
      "quarantine-runtime-ignored",
      "default-security-group-closed",
    ]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of ALL_RULES) {
      expect(rule.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(rule.description.trim()).not.toBe("");
      expect(rule.description).not.toMatch(/[\r\n]/);
      expect(rule.description.length).toBeLessThanOrEqual(160);
    }
  });

  it("finds nothing in an empty stack or one with only unrelated resources", () => {
    expect(checkStack({})).toEqual([]);
    expect(checkStack(stack({ aws_cloudwatch_log_group: { g: { retention_in_days: 30 } } }))).toEqual([]);
  });

  it("runs every rule by default and only the given rules when asked", () => {
    const s = stack({
      aws_efs_file_system: { fs: {} },
      aws_lb: { dash: component("dashboard") },
      aws_security_group: { kib: {} },
      aws_vpc_security_group_ingress_rule: { r: { security_group_id: ref("aws_security_group.kib"), ip_protocol: "tcp", from_port: 5601, to_port: 5601, cidr_ipv4: "0.0.0.0/0" } },
    });
    expect(checkStack(s).map((v) => v.ruleId)).toEqual(["elastic-not-public", "dashboard-behind-waf", "efs-encrypted"]);
    const only = ALL_RULES.filter((r: PolicyRule) => r.id === "efs-encrypted");
    expect(checkStack(s, only).map((v) => v.resource)).toEqual(["aws_efs_file_system.fs"]);
  });

  it("formats violations one per line after a count", () => {
    expect(formatViolations([])).toBe("No policy violations.");
    const text = formatViolations([
      { ruleId: "efs-encrypted", resource: "aws_efs_file_system.a", message: "not encrypted" },
      { ruleId: "efs-encrypted", resource: "aws_efs_file_system.b", message: "not encrypted" },
    ]);
    expect(text).toBe(
      ["2 policy violations:", "  [efs-encrypted] aws_efs_file_system.a: not encrypted", "  [efs-encrypted] aws_efs_file_system.b: not encrypted"].join("\n"),
    );
  });
});
