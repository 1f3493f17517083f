/**
 * Where the AWS Watcher keeps things: the results bucket (private, encrypted, TLS only, history expiring),
 * the alert topic (encrypted, optional e-mail subscription), the empty Shodan API key secret, and the
 * queue pair between its two functions. Created in the watcher's scope (construct ids are the watcher's).
 */
import type { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { resourceName } from "../core/naming";

export interface WatcherStoresProps {
  readonly prefix: string;
  readonly tags: Record<string, string>;
  readonly resultsRetentionDays?: number;
  readonly alertEmail?: string;
  /** Make the Censys token's secret too. @default false */
  readonly censys?: boolean;
}

export interface WatcherStores {
  readonly bucket: S3Bucket;
  readonly topic: SnsTopic;
  readonly secret: SecretsmanagerSecret;
  readonly apiKeySecretName: string;
  /** The Censys token's secret, when Censys is an index. */
  readonly censys?: { readonly secret: SecretsmanagerSecret; readonly name: string };
}

export function watcherStores(scope: Construct, props: WatcherStoresProps): WatcherStores {
  const { prefix, tags } = props;
  const name = (...parts: string[]) => resourceName(prefix, ["watcher", ...parts]);
  const bucket = new S3Bucket(scope, "Results", {
    // Bucket names are global: Terraform appends a unique suffix (a prefix may have 37 characters).
    bucketPrefix: `${resourceName(prefix, ["watcher"], 36)}-`,
    // Results are research data that cannot be recreated: destroy stops at a non-empty bucket.
    forceDestroy: false,
    tags,
  });
  new S3BucketPublicAccessBlock(scope, "ResultsPublicAccess", {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketOwnershipControls(scope, "ResultsOwnership", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
  new S3BucketServerSideEncryptionConfigurationA(scope, "ResultsEncryption", {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
  });
  new S3BucketPolicy(scope, "ResultsPolicy", {
    bucket: bucket.id,
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucket.arn, `${bucket.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    }),
  });
  new S3BucketLifecycleConfiguration(scope, "ResultsLifecycle", {
    bucket: bucket.id,
    rule: [
      {
        id: "expire-results",
        status: "Enabled",
        filter: [{ prefix: "results/" }],
        expiration: [{ days: props.resultsRetentionDays ?? 365 }],
      },
      { id: "abort-uploads", status: "Enabled", filter: [{ prefix: "" }], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }] },
    ],
  });

  const topic = new SnsTopic(scope, "Alerts", {
    name: name("alerts"),
    displayName: `${prefix} watcher`,
    // AWS-managed key: IAM principals of the account may publish; nothing else needs access.
    kmsMasterKeyId: "alias/aws/sns",
    tags,
  });
  if (props.alertEmail) {
    new SnsTopicSubscription(scope, "AlertEmail", { topicArn: topic.arn, protocol: "email", endpoint: props.alertEmail });
  }

  const apiKeySecretName = name("shodan-api-key");
  const secret = new SecretsmanagerSecret(scope, "ShodanApiKey", {
    name: apiKeySecretName,
    description: "Shodan API key for the lure watcher. Created empty; set it with put-secret-value (see the README).",
    // The key is copied from the Shodan account page; no recovery window lets destroy + deploy reuse the name.
    recoveryWindowInDays: 0,
    tags,
  });
  // Censys's token, only when it is an index: no secret (and no grant) for a service not used.
  const censysSecretName = props.censys ? name("censys-api-key") : undefined;
  const censysSecret = censysSecretName
    ? new SecretsmanagerSecret(scope, "CensysApiKey", {
        name: censysSecretName,
        description: "Censys Personal Access Token for the lure watcher. Created empty; set it with put-secret-value (see the README).",
        recoveryWindowInDays: 0,
        tags,
      })
    : undefined;
  return { bucket, topic, secret, apiKeySecretName, ...(censysSecret && censysSecretName ? { censys: { secret: censysSecret, name: censysSecretName } } : {}) };
}

export interface WatcherQueues {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
}

/** The queue of IPs to look up, and its dead-letter queue. */
export function watcherQueues(scope: Construct, prefix: string, tags: Record<string, string>, o: { readonly lookupTimeoutSeconds: number; readonly maxReceiveCount: number }): WatcherQueues {
  const name = (...parts: string[]) => resourceName(prefix, ["watcher", ...parts]);
  const deadLetterQueue = new SqsQueue(scope, "DeadLetterQueue", {
    name: name("ips", "dlq"),
    messageRetentionSeconds: 14 * 24 * 3600,
    sqsManagedSseEnabled: true,
    tags,
  });
  const queue = new SqsQueue(scope, "Queue", {
    name: name("ips"),
    // Lambda requires visibility ≥ function timeout; AWS recommends 6× so retries of a batch fit.
    visibilityTimeoutSeconds: 6 * o.lookupTimeoutSeconds,
    // An IP list older than a day is stale: the next cycle lists the current IPs.
    messageRetentionSeconds: 24 * 3600,
    sqsManagedSseEnabled: true,
    redrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueue.arn, maxReceiveCount: o.maxReceiveCount }),
    tags,
  });
  new SqsQueueRedriveAllowPolicy(scope, "DeadLetterSources", {
    queueUrl: deadLetterQueue.url,
    redriveAllowPolicy: JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [queue.arn] }),
  });
  return { queue, deadLetterQueue };
}
