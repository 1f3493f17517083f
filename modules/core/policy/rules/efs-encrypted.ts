/** `efs-encrypted`: every EFS file system is encrypted at rest (`encrypted = true`). */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { resourcesOf } from "../util";

const RULE_ID = "efs-encrypted";

/** See the file header. */
export const efsEncrypted: PolicyRule = {
  id: RULE_ID,
  description: "Every aws_efs_file_system is encrypted at rest (encrypted = true).",
  check(stack: SynthesizedStack): Violation[] {
    return resourcesOf(stack, "aws_efs_file_system")
      .filter((fs) => fs.body["encrypted"] !== true && fs.body["encrypted"] !== "true")
      .map((fs) => ({
        ruleId: RULE_ID,
        resource: fs.address,
        message: `${fs.address} has encrypted = ${fs.body["encrypted"] === undefined ? "unset" : JSON.stringify(fs.body["encrypted"])}; set encrypted = true (honeypot logs are sensitive).`,
      }));
  },
};
