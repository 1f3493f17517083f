/**
 * `efs-transit-encryption`: ECS tasks mount EFS over TLS, with IAM authorization, through an access point.
 *
 * Every `volume` of an `aws_ecs_task_definition` that has an `efs_volume_configuration` must set
 * `transit_encryption = "ENABLED"` and `authorization_config { iam = "ENABLED", access_point_id = ... }`.
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { blockList, resourcesOf, singleBlock } from "../util";

const RULE_ID = "efs-transit-encryption";

function shown(value: unknown): string {
  return value === undefined ? "unset" : JSON.stringify(value);
}

/** See the file header. */
export const efsTransitEncryption: PolicyRule = {
  id: RULE_ID,
  description: "ECS EFS volumes use transit_encryption ENABLED and authorization_config with iam ENABLED and an access_point_id.",
  check(stack: SynthesizedStack): Violation[] {
    const violations: Violation[] = [];
    for (const task of resourcesOf(stack, "aws_ecs_task_definition")) {
      blockList(task.body["volume"]).forEach((volume, index) => {
        const efs = singleBlock(volume["efs_volume_configuration"]);
        if (!efs) return;
        const problems: string[] = [];
        if (efs["transit_encryption"] !== "ENABLED") problems.push(`transit_encryption is ${shown(efs["transit_encryption"])} (must be "ENABLED")`);
        const auth = singleBlock(efs["authorization_config"]);
        if (!auth) {
          problems.push("authorization_config is missing (needs iam = \"ENABLED\" and an access_point_id)");
        } else {
          if (auth["iam"] !== "ENABLED") problems.push(`authorization_config.iam is ${shown(auth["iam"])} (must be "ENABLED")`);
          const ap = auth["access_point_id"];
          if (typeof ap !== "string" || ap.trim() === "") problems.push("authorization_config.access_point_id is missing");
        }
        if (problems.length === 0) return;
        const name = typeof volume["name"] === "string" ? JSON.stringify(volume["name"]) : `[${index}]`;
        violations.push({
          ruleId: RULE_ID,
          resource: task.address,
          message: `${task.address} volume ${name}: ${problems.join("; ")}.`,
        });
      });
    }
    return violations;
  },
};
