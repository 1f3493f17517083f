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
 *
 * On Google Cloud (google 6.x) objects are always encrypted at rest, so the rule reads access: every
 * `google_storage_bucket` sets `uniform_bucket_level_access = true` (default `false`: object ACLs
 * could then make single objects public) and `public_access_prevention = "enforced"` (default
 * `inherited`, which is only as strict as the organization policy); no `google_storage_bucket_iam_*`
 * (member, binding, or a policy's bindings) names `allUsers` or `allAuthenticatedUsers`.
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { asStringList, blockList, iamPolicyBindings, refersTo, resourcesOf, singleBlock } from "../util";

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

/** Members that mean "anyone" (anyone with a Google account is anyone). */
const GCP_PUBLIC_MEMBERS: readonly string[] = ["allusers", "allauthenticatedusers"];

/** Google Cloud buckets without uniform access or enforced public access prevention, and public bucket grants. */
function gcpStorage(stack: SynthesizedStack): Violation[] {
  const out: Violation[] = [];
  for (const bucket of resourcesOf(stack, "google_storage_bucket")) {
    const uniform = bucket.body["uniform_bucket_level_access"];
    if (!on(uniform)) out.push({ ruleId: RULE_ID, resource: bucket.address, message: `${bucket.address} has uniform_bucket_level_access ${uniform === undefined ? "unset (defaults to false)" : JSON.stringify(uniform)}; set it to true so that no object ACL can make an object public.` });
    const pap = bucket.body["public_access_prevention"];
    if (pap !== "enforced") out.push({ ruleId: RULE_ID, resource: bucket.address, message: `${bucket.address} has public_access_prevention ${pap === undefined ? "unset (defaults to inherited)" : JSON.stringify(pap)}; set it to "enforced".` });
  }
  const grants = [
    ...["google_storage_bucket_iam_member", "google_storage_bucket_iam_binding"].flatMap((type) =>
      resourcesOf(stack, type).map((g) => ({ address: g.address, role: g.body["role"], members: [...(asStringList(g.body["member"]) ?? []), ...(asStringList(g.body["members"]) ?? [])] })),
    ),
    ...resourcesOf(stack, "google_storage_bucket_iam_policy").flatMap((g) => iamPolicyBindings(stack, g.body["policy_data"]).map((b) => ({ address: g.address, role: b.role, members: b.members }))),
  ];
  for (const g of grants) {
    const open = g.members.filter((m) => GCP_PUBLIC_MEMBERS.includes(m.trim().toLowerCase()));
    if (open.length > 0) out.push({ ruleId: RULE_ID, resource: g.address, message: `${g.address} grants ${JSON.stringify(g.role ?? null)} to ${open.join(", ")}, which makes the bucket public; grant it to named principals only.` });
  }
  return out;
}

export const bucketPrivateEncrypted: PolicyRule = {
  id: RULE_ID,
  description: "S3 buckets block public access and are encrypted; GCS buckets are uniform with public access prevention; Azure storage forbids public items, HTTP and TLS < 1.2.",
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
    return [...out, ...azureStorage(stack), ...gcpStorage(stack)];
  },
};
