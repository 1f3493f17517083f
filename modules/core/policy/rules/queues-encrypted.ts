/** `queues-encrypted`: every SQS queue and SNS topic is encrypted at rest (they carry honeypot IPs and alerts). */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { resourcesOf } from "../util";

const RULE_ID = "queues-encrypted";

const set = (v: unknown) => typeof v === "string" && v.trim() !== "";

export const queuesEncrypted: PolicyRule = {
  id: RULE_ID,
  description: "Every aws_sqs_queue uses SSE (sqs_managed_sse_enabled or a KMS key) and every aws_sns_topic a KMS key.",
  check(stack: SynthesizedStack): Violation[] {
    const queues = resourcesOf(stack, "aws_sqs_queue")
      .filter((q) => !(q.body["sqs_managed_sse_enabled"] === true || q.body["sqs_managed_sse_enabled"] === "true" || set(q.body["kms_master_key_id"])))
      .map((q) => ({ ruleId: RULE_ID, resource: q.address, message: `${q.address} is not encrypted; set sqs_managed_sse_enabled = true or kms_master_key_id.` }));
    const topics = resourcesOf(stack, "aws_sns_topic")
      .filter((t) => !set(t.body["kms_master_key_id"]))
      .map((t) => ({ ruleId: RULE_ID, resource: t.address, message: `${t.address} is not encrypted; set kms_master_key_id (e.g. alias/aws/sns).` }));
    return [...queues, ...topics];
  },
};
