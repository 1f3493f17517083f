/**
 * `no-wildcard-mutating`: no identity policy allows a mutating action on every resource.
 *
 * Reads the policies of `aws_iam_role_policy`, `aws_iam_policy`, `aws_iam_user_policy`,
 * `aws_iam_group_policy` and the `inline_policy` blocks of `aws_iam_role` (not `assume_role_policy`,
 * a trust policy). An `Allow` statement is a violation when it grants a mutating action on `*`
 * (or on a list containing `*`), grants a mutating action with `NotResource`, or uses `NotAction`.
 * An action is read-only when its name starts with Get, List, Describe, BatchGet, Search, Lookup,
 * Query, Scan, View or Head (`s3:Get*` included); anything else, including `*`, `ecs:*` and
 * `ecs:Update*`, is mutating. A policy that cannot be read (an unresolved expression) is reported,
 * since it cannot be shown to comply.
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { inlinePolicies, readPolicy, resourcesOf } from "../util";
import type { PolicySource } from "../util";

const RULE_ID = "no-wildcard-mutating";

const READ_ONLY_PREFIXES: readonly string[] = ["get", "list", "describe", "batchget", "search", "lookup", "query", "scan", "view", "head"];

/** True when `action` (`service:Name`) only reads; compared case-insensitively, as IAM does. */
export function isReadOnlyAction(action: string): boolean {
  const colon = action.indexOf(":");
  if (colon < 0) return false;
  const name = action.slice(colon + 1).trim().toLowerCase();
  return READ_ONLY_PREFIXES.some((prefix) => name.startsWith(prefix));
}

const POLICY_TYPES: readonly string[] = ["aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"];

/** See the file header. */
export const noWildcardMutating: PolicyRule = {
  id: RULE_ID,
  description: "No IAM policy statement allows a mutating action on Resource \"*\" (or via NotAction/NotResource).",
  check(stack: SynthesizedStack): Violation[] {
    const sources: PolicySource[] = [
      ...POLICY_TYPES.flatMap((type) => resourcesOf(stack, type).map((p) => ({ address: p.address, label: "policy", policy: p.body["policy"] }))),
      ...resourcesOf(stack, "aws_iam_role").flatMap(inlinePolicies),
    ];
    const violations: Violation[] = [];
    for (const source of sources) {
      const where = `${source.address} ${source.label}`;
      const read = readPolicy(stack, source.policy);
      if (!read.ok) {
        violations.push({ ruleId: RULE_ID, resource: source.address, message: `${where} cannot be verified: ${read.reason}.` });
        continue;
      }
      for (const s of read.statements) {
        if (s.effect === "Deny") continue;
        const problems: string[] = [];
        if (s.notActions) problems.push(`allows NotAction ${JSON.stringify(s.notActions)}, i.e. every other action`);
        const mutating = (s.actions ?? []).filter((a) => !isReadOnlyAction(a));
        if (mutating.length > 0 && (s.resources ?? []).some((r) => r.trim() === "*")) {
          problems.push(`allows mutating action(s) ${mutating.join(", ")} on Resource "*"`);
        }
        if (mutating.length > 0 && s.notResources) {
          problems.push(`allows mutating action(s) ${mutating.join(", ")} on every resource except NotResource ${JSON.stringify(s.notResources)}`);
        }
        if (problems.length === 0) continue;
        violations.push({
          ruleId: RULE_ID,
          resource: source.address,
          message: `${where} ${s.where} ${problems.join("; ")}; list the actions it needs and scope Resource to their ARNs.`,
        });
      }
    }
    return violations;
  },
};
