import { bucketPrivateEncrypted } from "../../modules/core/policy/rules/bucket-private-encrypted";
import { noSecretValues } from "../../modules/core/policy/rules/no-secret-values";
import { queuesEncrypted } from "../../modules/core/policy/rules/queues-encrypted";
import { addresses, ref, stack } from "./fixtures";

const ALL_BLOCKED = { block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true };
const SSE = { rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }] };

describe("bucket-private-encrypted", () => {
  it("accepts a bucket with a full public access block and default encryption", () => {
    const s = stack({
      aws_s3_bucket: { r: { bucket_prefix: "x-" } },
      aws_s3_bucket_public_access_block: { p: { bucket: ref("aws_s3_bucket.r"), ...ALL_BLOCKED } },
      aws_s3_bucket_server_side_encryption_configuration: { e: { bucket: ref("aws_s3_bucket.r"), ...SSE } },
    });
    expect(bucketPrivateEncrypted.check(s)).toEqual([]);
  });

  it("flags a missing or partial block and missing encryption, per bucket", () => {
    const s = stack({
      aws_s3_bucket: { none: {}, partial: {}, unencrypted: {}, other: {} },
      aws_s3_bucket_public_access_block: {
        p: { bucket: ref("aws_s3_bucket.partial"), ...ALL_BLOCKED, restrict_public_buckets: false },
        u: { bucket: ref("aws_s3_bucket.unencrypted"), ...ALL_BLOCKED },
        // Blocks another bucket's access: says nothing about "other".
        o: { bucket: ref("aws_s3_bucket.unencrypted"), ...ALL_BLOCKED },
      },
      aws_s3_bucket_server_side_encryption_configuration: {
        e1: { bucket: ref("aws_s3_bucket.none"), ...SSE },
        e2: { bucket: ref("aws_s3_bucket.partial"), ...SSE },
        e3: { bucket: ref("aws_s3_bucket.other"), rule: [{ bucket_key_enabled: true }] },
      },
    });
    const v = bucketPrivateEncrypted.check(s);
    expect(v.map((x) => `${x.resource}: ${x.message.split(";")[0]}`)).toEqual([
      "aws_s3_bucket.none: aws_s3_bucket.none has no public access block",
      "aws_s3_bucket.partial: aws_s3_bucket.partial has a public access block without restrict_public_buckets",
      "aws_s3_bucket.unencrypted: aws_s3_bucket.unencrypted has no default encryption",
      "aws_s3_bucket.other: aws_s3_bucket.other has no public access block",
      "aws_s3_bucket.other: aws_s3_bucket.other has no default encryption",
    ]);
  });
});

describe("queues-encrypted", () => {
  it("accepts managed SSE, KMS queues and KMS topics", () => {
    const s = stack({
      aws_sqs_queue: { a: { sqs_managed_sse_enabled: true }, b: { kms_master_key_id: "alias/aws/sqs" } },
      aws_sns_topic: { t: { kms_master_key_id: "alias/aws/sns" } },
    });
    expect(queuesEncrypted.check(s)).toEqual([]);
  });

  it("flags plain queues and topics", () => {
    const s = stack({
      aws_sqs_queue: { ok: { sqs_managed_sse_enabled: true }, off: { sqs_managed_sse_enabled: false }, unset: {} },
      aws_sns_topic: { plain: { name: "t" }, empty: { kms_master_key_id: "" } },
    });
    expect(addresses(queuesEncrypted.check(s))).toEqual(["aws_sqs_queue.off", "aws_sqs_queue.unset", "aws_sns_topic.plain", "aws_sns_topic.empty"]);
  });
});

describe("no-secret-values", () => {
  it("accepts secrets created empty and ARNs in the environment", () => {
    const s = stack({
      aws_secretsmanager_secret: { k: { name: "lure-watcher-shodan-api-key" } },
      aws_lambda_function: { f: { environment: { variables: { LURE_SECRET_ARN: ref("aws_secretsmanager_secret.k", "arn"), LURE_BUCKET: "b" } } } },
      aws_ecs_task_definition: { t: { container_definitions: JSON.stringify([{ name: "kibana", environment: [{ name: "ELASTICSEARCH_HOSTS", value: "http://es:9200" }] }]) } },
    });
    expect(noSecretValues.check(s)).toEqual([]);
  });

  it("flags secret versions, SecureString values and secret-looking variables", () => {
    const s = stack({
      aws_secretsmanager_secret_version: { v: { secret_id: "x", secret_string: "abc" } },
      aws_ssm_parameter: { p: { type: "SecureString", value: "abc" }, plain: { type: "String", value: "abc" } },
      aws_lambda_function: {
        named: { environment: { variables: { SHODAN_API_KEY: "abc" } } },
        shaped: { environment: [{ variables: { LURE_KEY: "AbCdEfGhIjKlMnOpQrStUvWxYz012345" } }] },
      },
      aws_ecs_task_definition: { t: { container_definitions: JSON.stringify([{ name: "es", environment: [{ name: "ELASTIC_PASSWORD", value: "changeme" }] }]) } },
    });
    expect(addresses(noSecretValues.check(s))).toEqual([
      "aws_secretsmanager_secret_version.v",
      "aws_ssm_parameter.p",
      "aws_lambda_function.named",
      "aws_lambda_function.shaped",
      "aws_ecs_task_definition.t",
    ]);
  });
});
