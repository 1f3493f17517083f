/**
 * Policy module: security invariants checked on a synthesized cdktf stack (`cdk.tf.json`).
 *
 * @example
 * ```ts
 * import { readFileSync } from "fs";
 * import { checkStack, formatViolations } from "./modules/core/policy";
 *
 * const stack = JSON.parse(readFileSync("cdktf.out/stacks/aws-honeynet/cdk.tf.json", "utf8"));
 * const violations = checkStack(stack);
 * if (violations.length > 0) throw new Error(formatViolations(violations));
 * ```
 */
import type { PolicyRule, SynthesizedStack, Violation } from "./types";
import { bucketPrivateEncrypted } from "./rules/bucket-private-encrypted";
import { dashboardBehindWaf } from "./rules/dashboard-behind-waf";
import { dashboardEncrypted } from "./rules/dashboard-encrypted";
import { defaultSecurityGroupClosed } from "./rules/default-security-group-closed";
import { efsEncrypted } from "./rules/efs-encrypted";
import { efsTransitEncryption } from "./rules/efs-transit-encryption";
import { elasticNoPublicIp } from "./rules/elastic-no-public-ip";
import { elasticNotPublic } from "./rules/elastic-not-public";
import { honeypotRoleMinimal } from "./rules/honeypot-role-minimal";
import { noSecretValues } from "./rules/no-secret-values";
import { noWildcardMutating } from "./rules/no-wildcard-mutating";
import { quarantineCopiesIsolated } from "./rules/quarantine-copies-isolated";
import { quarantineRuntimeIgnored } from "./rules/quarantine-runtime-ignored";
import { queuesEncrypted } from "./rules/queues-encrypted";
import { roleAssignmentScoped } from "./rules/role-assignment-scoped";

export type { Attributes, BlocksByType, PolicyRule, SynthesizedStack, Violation } from "./types";
export {
  bucketPrivateEncrypted,
  dashboardBehindWaf,
  dashboardEncrypted,
  defaultSecurityGroupClosed,
  efsEncrypted,
  efsTransitEncryption,
  elasticNoPublicIp,
  elasticNotPublic,
  honeypotRoleMinimal,
  noSecretValues,
  noWildcardMutating,
  quarantineCopiesIsolated,
  quarantineRuntimeIgnored,
  queuesEncrypted,
  roleAssignmentScoped,
};

/** Every rule, in the order reports list them. */
export const ALL_RULES: readonly PolicyRule[] = [
  elasticNotPublic,
  elasticNoPublicIp,
  dashboardBehindWaf,
  dashboardEncrypted,
  efsEncrypted,
  efsTransitEncryption,
  honeypotRoleMinimal,
  noWildcardMutating,
  roleAssignmentScoped,
  bucketPrivateEncrypted,
  queuesEncrypted,
  noSecretValues,
  quarantineCopiesIsolated,
  quarantineRuntimeIgnored,
  defaultSecurityGroupClosed,
];

/**
 * Runs `rules` over `stack` and returns every violation, grouped by rule in the order of `rules`.
 *
 * @param stack - the parsed `cdk.tf.json` of one stack
 * @param rules - the rules to run; defaults to {@link ALL_RULES}
 */
export function checkStack(stack: SynthesizedStack, rules: readonly PolicyRule[] = ALL_RULES): Violation[] {
  return rules.flatMap((rule) => rule.check(stack));
}

/**
 * Human-readable report: one line per violation, `[rule-id] resource: message`, after a count;
 * `"No policy violations."` when there are none.
 */
export function formatViolations(violations: readonly Violation[]): string {
  if (violations.length === 0) return "No policy violations.";
  const lines = violations.map((v) => `  [${v.ruleId}] ${v.resource}: ${v.message}`);
  return [`${violations.length} policy violation${violations.length === 1 ? "" : "s"}:`, ...lines].join("\n");
}
