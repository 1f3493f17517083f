/**
 * Types of the policy module: rules evaluated over a synthesized cdktf stack
 * (`cdktf.out/stacks/<stack>/cdk.tf.json`, read with `JSON.parse`).
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

/** Arguments of one resource or data source block, as cdktf writes them. Values are not trusted: narrow before use. */
export type Attributes = Readonly<Record<string, unknown>>;

/** Blocks of one kind keyed by Terraform type, then by logical name (`aws_lb` → `Honeynet_Dashboard_ALB_1A2B` → arguments). */
export type BlocksByType = Readonly<Record<string, Readonly<Record<string, Attributes>>>>;

/**
 * Loosely typed view of a synthesized cdktf stack (`cdk.tf.json`). Only the parts the rules read are
 * named; everything else is kept as `unknown`.
 */
export interface SynthesizedStack {
  /** Managed resources: `resource.<type>.<name>`. */
  readonly resource?: BlocksByType;
  /** Data sources: `data.<type>.<name>`. */
  readonly data?: BlocksByType;
  /** Outputs by name. */
  readonly output?: Readonly<Record<string, unknown>>;
  /** Provider configurations by provider name. */
  readonly provider?: Readonly<Record<string, unknown>>;
  /** The `terraform` block (backend, required providers). */
  readonly terraform?: unknown;
  /** Any other top-level key (`//`, `locals`, `variable`, `module`...). */
  readonly [key: string]: unknown;
}

/** One broken invariant, found by one rule on one resource. */
export interface Violation {
  /** Id of the rule that found it, e.g. `elastic-not-public`. */
  readonly ruleId: string;
  /** Terraform address of the offending resource, e.g. `aws_security_group.Honeynet_Kibana_SG_1A2B`. */
  readonly resource: string;
  /** What is wrong and where (port, CIDR, action, referenced resource...). */
  readonly message: string;
}

/** A security invariant that must hold on the synthesized output. Rules are pure: same stack, same violations. */
export interface PolicyRule {
  /** Stable kebab-case id; used in reports and to pick rules. */
  readonly id: string;
  /** One line saying what the rule requires. */
  readonly description: string;
  /** Every violation of the rule in `stack`; empty when the stack complies. */
  check(stack: SynthesizedStack): Violation[];
}
