/**
 * `bucket-private-encrypted`: every S3 bucket has a public access block with all four settings on and a
 * default server-side encryption rule. Results of Shodan lookups say which IPs are honeypots: leaking
 * them ruins the honeynet.
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { blockList, refersTo, resourcesOf, singleBlock } from "../util";

const RULE_ID = "bucket-private-encrypted";
const BLOCK_SETTINGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] as const;

const on = (v: unknown) => v === true || v === "true";

export const bucketPrivateEncrypted: PolicyRule = {
  id: RULE_ID,
  description: "Every aws_s3_bucket has a public access block with all four settings true and default server-side encryption.",
  check(stack: SynthesizedStack): Violation[] {
    const blocks = resourcesOf(stack, "aws_s3_bucket_public_access_block");
    const encryption = resourcesOf(stack, "aws_s3_bucket_server_side_encryption_configuration");
    const out: Violation[] = [];
    for (const bucket of resourcesOf(stack, "aws_s3_bucket")) {
      const mine = blocks.filter((b) => refersTo(b.body["bucket"], "aws_s3_bucket", bucket.name));
      const complete = mine.some((b) => BLOCK_SETTINGS.every((k) => on(b.body[k])));
      if (!complete) {
        const missing = mine.length === 0 ? "has no public access block" : `has a public access block without ${BLOCK_SETTINGS.filter((k) => !mine.some((b) => on(b.body[k]))).join(", ")}`;
        out.push({ ruleId: RULE_ID, resource: bucket.address, message: `${bucket.address} ${missing}; block all public access (aws_s3_bucket_public_access_block with all four settings true).` });
      }
      const encrypted = encryption.some(
        (e) =>
          refersTo(e.body["bucket"], "aws_s3_bucket", bucket.name) &&
          blockList(e.body["rule"]).some((r) => typeof singleBlock(r["apply_server_side_encryption_by_default"])?.["sse_algorithm"] === "string"),
      );
      if (!encrypted) {
        out.push({ ruleId: RULE_ID, resource: bucket.address, message: `${bucket.address} has no default encryption; add aws_s3_bucket_server_side_encryption_configuration with an sse_algorithm.` });
      }
    }
    return out;
  },
};
