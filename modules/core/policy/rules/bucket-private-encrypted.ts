/**
 * `bucket-private-encrypted`: every S3 bucket has a public access block with all four settings on and a
 * default server-side encryption rule. Results of Shodan lookups say which IPs are honeypots: leaking
 * them ruins the honeynet.
 *
 * On Azure (azurerm 4.x) data at rest is always encrypted, so the rule reads what can still be
 * opened: every `azurerm_storage_account` sets `allow_nested_items_to_be_public = false` explicitly
 * (its default is `true`), does not set `https_traffic_only_enabled = false` (default `true`), and
 * leaves `min_tls_version` unset (default `TLS1_2`) or at `TLS1_2`/`TLS1_3`; every
 * `azurerm_storage_container` keeps `container_access_type` unset or `private` (not `blob` or
 * `container`). `public_network_access_enabled` is not required (functions without VNet integration
 * reach the account over its public endpoint).
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { blockList, refersTo, resourcesOf, singleBlock } from "../util";

const RULE_ID = "bucket-private-encrypted";
const BLOCK_SETTINGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] as const;

const on = (v: unknown) => v === true || v === "true";
const off = (v: unknown) => v === false || v === "false";
const TLS_OK: readonly string[] = ["TLS1_2", "TLS1_3"];

/** The Azure storage accounts and containers that can be reached without TLS 1.2 or anonymously. */
function azureStorage(stack: SynthesizedStack): Violation[] {
  const out: Violation[] = [];
  for (const account of resourcesOf(stack, "azurerm_storage_account")) {
    const problems: string[] = [];
    if (!off(account.body["allow_nested_items_to_be_public"])) {
      const v = account.body["allow_nested_items_to_be_public"];
      problems.push(`allow_nested_items_to_be_public is ${v === undefined ? "unset (defaults to true)" : JSON.stringify(v)}; set it to false`);
    }
    if (off(account.body["https_traffic_only_enabled"])) problems.push("https_traffic_only_enabled is false; remove it (defaults to true)");
    const tls = account.body["min_tls_version"];
    if (tls !== undefined && !(typeof tls === "string" && TLS_OK.includes(tls))) problems.push(`min_tls_version is ${JSON.stringify(tls)}; use TLS1_2 (the default) or TLS1_3`);
    for (const p of problems) out.push({ ruleId: RULE_ID, resource: account.address, message: `${account.address} ${p}.` });
  }
  for (const container of resourcesOf(stack, "azurerm_storage_container")) {
    const type = container.body["container_access_type"];
    if (type !== undefined && type !== "private") {
      out.push({ ruleId: RULE_ID, resource: container.address, message: `${container.address} has container_access_type ${JSON.stringify(type)}, which allows anonymous reads; use private (the default).` });
    }
  }
  return out;
}

export const bucketPrivateEncrypted: PolicyRule = {
  id: RULE_ID,
  description: "S3 buckets block public access and are encrypted; Azure storage accounts forbid public items, HTTP and TLS below 1.2; containers are private.",
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
    return [...out, ...azureStorage(stack)];
  },
};
