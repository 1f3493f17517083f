import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { inflateRawSync } from "zlib";
import { Testing } from "cdktf";
import { AwsHoneynetStack } from "../../modules/aws/stacks";
import { LOOKUP_BATCH_SIZE, LOOKUP_MAX_CONCURRENCY, LOOKUP_MIN_INTERVAL_MS, LOOKUP_RESERVE_MS, LOOKUP_TIMEOUT_SECONDS, MAX_RECEIVE_COUNT } from "../../modules/aws/watcher";
import { isReadOnlyAction } from "../../modules/core/policy/rules/no-wildcard-mutating";
import { worstLookupMs } from "../../functions/shodan/budget";
import { zipOneFile } from "../../modules/core/bundle";
import { configWith, deref, ref, resources, ROOT, synthAwsHoneynet, tagOf, type Json } from "../helpers/synth";

const stack = synthAwsHoneynet(configWith((c) => (c.watcher.alertEmail = "soc@example.org")));
const only = (type: string): [string, Json] => {
  // Watcher resources carry the watcher tag; their sub-resources (policies, configurations) have no tags.
  const all = resources(stack, type).filter(([, b]) => tagOf(b, "lure:component") === "watcher" || !b.tags);
  expect(all).toHaveLength(1);
  return all[0];
};
const fn = (suffix: string): [string, Json] => {
  const all = resources(stack, "aws_lambda_function").filter(([, f]) => f.function_name === `lure-watcher-${suffix}`);
  expect(all).toHaveLength(1);
  return all[0];
};
const [listAddr, listIps] = fn("list-ips");
const [lookupAddr, lookup] = fn("lookup");

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: Json;
}
function statementsOfRole(s: Json, roleArn: string): Statement[] {
  const [roleAddr] = deref(s, roleArn);
  const policies = resources(s, "aws_iam_role_policy").filter(([, p]) => p.role === ref(roleAddr));
  expect(policies).toHaveLength(1);
  return JSON.parse(policies[0][1].policy).Statement;
}
const actionsOn = (statements: Statement[], action: string) => statements.filter((st) => st.Action.includes(action)).flatMap((st) => st.Resource);
/**
 * The only resource shapes a watcher role may name for a mutating action: one resource's ARN, a
 * results prefix of the bucket, the streams of a log group, a Lambda's versions, or one named ECS
 * service of the honeynet cluster. Anything broader (an account-wide ARN, `service/<cluster>/*`) fails.
 */
const SPECIFIC = [
  /^\$\{[a-z0-9_]+\.[A-Za-z0-9_-]+\.arn\}$/,
  /^\$\{aws_s3_bucket\.[A-Za-z0-9_-]+\.arn\}\/(results|latest|rotations|state)\/\*$/,
  /^\$\{aws_cloudwatch_log_group\.[A-Za-z0-9_-]+\.arn\}:\*$/,
  /^\$\{aws_lambda_function\.[A-Za-z0-9_-]+\.arn\}:\*$/,
  /^arn:\$\{data\.aws_partition\.[A-Za-z0-9_]+\.partition\}:ecs:eu-west-2:\$\{data\.aws_caller_identity\.[A-Za-z0-9_]+\.account_id\}:service\/\$\{aws_ecs_cluster\.[A-Za-z0-9_-]+\.name\}\/lure-hp-[a-z0-9-]+$/,
];

describe("watcher in aws-honeynet (default config + alert e-mail)", () => {
  test("schedule: EventBridge Scheduler every 12 hours, no flexible window, invoking list-ips through its own role", () => {
    const [, schedule] = only("aws_scheduler_schedule");
    expect(schedule.schedule_expression).toBe("rate(12 hours)");
    expect(schedule.flexible_time_window).toEqual({ mode: "OFF" });
    expect(schedule.target.arn).toBe(ref(listAddr, "arn"));
    const [, role] = deref(stack, schedule.target.role_arn);
    expect(JSON.parse(role.assume_role_policy).Statement[0].Principal).toEqual({ Service: "scheduler.amazonaws.com" });
    expect(statementsOfRole(stack, schedule.target.role_arn)).toEqual([
      { Sid: "StartListing", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [ref(listAddr, "arn"), `${ref(listAddr, "arn")}:*`] },
    ]);
  });

  test("both functions: Node.js 22 on arm64, bundled zip assets with a content hash, logs with retention", () => {
    for (const [, f] of [
      [listAddr, listIps],
      [lookupAddr, lookup],
    ] as const) {
      expect(f.runtime).toBe("nodejs22.x");
      expect(f.architectures).toEqual(["arm64"]);
      expect(f.handler).toBe("index.handler");
      expect(f.filename).toMatch(/^assets\/.+\/[A-Za-z0-9]{32}\/.+\.zip$/);
      expect(f.source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      const [, logs] = deref(stack, `\${${f.logging_config.log_group.slice(2, -1)}}`);
      expect(logs.name).toBe(`/aws/lambda/${f.function_name}`);
      expect(logs.retention_in_days).toBe(30);
    }
    expect(listIps.source_code_hash).not.toBe(lookup.source_code_hash);
    expect(lookup.timeout).toBe(LOOKUP_TIMEOUT_SECONDS);
  });

  test("queue and dead-letter queue: redrive after 5 receives, visibility 6 × the lookup timeout, both encrypted", () => {
    const queues = resources(stack, "aws_sqs_queue");
    expect(queues).toHaveLength(2);
    const [, main] = queues.find(([, q]) => q.name === "lure-watcher-ips")!;
    const [dlqAddr, dlq] = queues.find(([, q]) => q.name === "lure-watcher-ips-dlq")!;
    expect(JSON.parse(main.redrive_policy)).toEqual({ deadLetterTargetArn: ref(dlqAddr, "arn"), maxReceiveCount: MAX_RECEIVE_COUNT });
    expect(main.visibility_timeout_seconds).toBe(6 * lookup.timeout);
    expect(main.visibility_timeout_seconds).toBeGreaterThanOrEqual(6 * LOOKUP_TIMEOUT_SECONDS);
    expect(dlq.message_retention_seconds).toBe(1_209_600);
    for (const [, q] of queues) expect(q.sqs_managed_sse_enabled).toBe(true);
    const [, allow] = only("aws_sqs_queue_redrive_allow_policy");
    expect(JSON.parse(allow.redrive_allow_policy).sourceQueueArns).toEqual([ref(queues.find(([, q]) => q === main)![0], "arn")]);
  });

  test("lookup is fed by the queue in small batches, partial failures reported, at most 2 instances", () => {
    const [, esm] = only("aws_lambda_event_source_mapping");
    expect(esm.function_name).toBe(ref(lookupAddr, "arn"));
    expect(esm.event_source_arn).toMatch(/^\$\{aws_sqs_queue\.[^.]+\.arn\}$/);
    expect(deref(stack, esm.event_source_arn)[1].name).toBe("lure-watcher-ips");
    expect(esm.batch_size).toBe(LOOKUP_BATCH_SIZE);
    expect(esm.function_response_types).toEqual(["ReportBatchItemFailures"]);
    expect(esm.scaling_config).toEqual({ maximum_concurrency: LOOKUP_MAX_CONCURRENCY });
    // Two instances each spacing requests 2 s apart: one request per second for the account.
    expect(lookup.environment.variables.LURE_MIN_INTERVAL_MS).toBe(String(1000 * LOOKUP_MAX_CONCURRENCY));
    // The reserve covers the slowest possible lookup, and what is left still fits a batch at the normal pace.
    const reserve = Number(lookup.environment.variables.LURE_TIME_RESERVE_MS);
    expect(reserve).toBe(LOOKUP_RESERVE_MS);
    expect(reserve).toBeGreaterThanOrEqual(worstLookupMs(LOOKUP_MIN_INTERVAL_MS) + 5000);
    expect(lookup.timeout * 1000 - reserve).toBeGreaterThanOrEqual(LOOKUP_BATCH_SIZE * 2 * LOOKUP_MIN_INTERVAL_MS);
  });

  test("results bucket: all public access blocked, encrypted, TLS only, results expire, kept on destroy", () => {
    const [bucketAddr, bucket] = only("aws_s3_bucket");
    expect(bucket.bucket_prefix).toBe("lure-watcher-");
    expect(bucket.force_destroy).toBe(false);
    const [, pab] = only("aws_s3_bucket_public_access_block");
    expect(pab).toEqual({ bucket: ref(bucketAddr), block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    const [, sse] = only("aws_s3_bucket_server_side_encryption_configuration");
    expect(sse.bucket).toBe(ref(bucketAddr));
    expect(sse.rule).toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }]);
    const [, lifecycle] = only("aws_s3_bucket_lifecycle_configuration");
    expect(lifecycle.rule.find((r: Json) => r.id === "expire-results")).toMatchObject({ status: "Enabled", filter: [{ prefix: "results/" }], expiration: [{ days: 365 }] });
    const [, policy] = only("aws_s3_bucket_policy");
    expect(JSON.parse(policy.policy).Statement).toEqual([expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]);
    expect(only("aws_s3_bucket_ownership_controls")[1].rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
  });

  test("alerts: encrypted topic, e-mail subscription, failed listings reported to it; outputs say to confirm", () => {
    const [topicAddr, topic] = only("aws_sns_topic");
    expect(topic.kms_master_key_id).toBe("alias/aws/sns");
    const [, sub] = only("aws_sns_topic_subscription");
    expect(sub).toMatchObject({ topic_arn: ref(topicAddr, "arn"), protocol: "email", endpoint: "soc@example.org" });
    const [, invoke] = only("aws_lambda_function_event_invoke_config");
    expect(invoke.function_name).toBe(ref(listAddr, "function_name"));
    expect(invoke.destination_config.on_failure.destination).toBe(ref(topicAddr, "arn"));
    expect(stack.output.watcher_alert_email.value).toMatch(/^soc@example.org: confirm the subscription e-mail/);
  });

  test("API key: an empty secret; functions get its ARN, never a value", () => {
    const [secretAddr, secret] = only("aws_secretsmanager_secret");
    expect(secret.name).toBe("lure-watcher-shodan-api-key");
    expect(resources(stack, "aws_secretsmanager_secret_version")).toEqual([]);
    expect(lookup.environment.variables.LURE_SECRET_ARN).toBe(ref(secretAddr, "arn"));
    expect(Object.keys(listIps.environment.variables).sort()).toEqual(["LURE_CLUSTER", "LURE_DLQ_ARN", "LURE_DLQ_URL", "LURE_PREFIX", "LURE_QUEUE_URL", "LURE_SERVICES", "LURE_TOPIC_ARN"]);
    expect(stack.output.watcher_api_key_secret.value).toBe("lure-watcher-shodan-api-key");
  });

  test("list-ips finds every public honeypot service of the honeynet through IHoneynet", () => {
    const services = JSON.parse(listIps.environment.variables.LURE_SERVICES);
    expect(services).toEqual(stack.output.honeypot_services.value);
    expect(Object.keys(services)).toHaveLength(10);
    expect(lookup.environment.variables.LURE_SERVICES).toBe(listIps.environment.variables.LURE_SERVICES);
    expect(lookup.environment.variables.LURE_ROTATE).toBe("false");
  });
});

describe("watcher IAM: specific resources for every mutating action", () => {
  const rotating = synthAwsHoneynet(configWith((c) => (c.watcher.rotateOnExposure = true)));
  const lambdaOf = (s: Json, name: string) => resources(s, "aws_lambda_function").find(([, f]) => f.function_name === name)!;
  const serviceArns = (s: Json) => {
    const services = resources(s, "aws_ecs_service").filter(([, svc]) => tagOf(svc, "lure:component") === "honeypot");
    return services.map(([, svc]) => svc.name as string).sort();
  };

  test.each([
    ["default", stack],
    ["rotation on", rotating],
  ])("%s: every mutating action names specific resources; * only for reads AWS cannot scope", (_n, s) => {
    for (const name of ["lure-watcher-list-ips", "lure-watcher-lookup"]) {
      const [, f] = lambdaOf(s, name);
      for (const st of statementsOfRole(s, f.role)) {
        expect(st.Effect).toBe("Allow");
        for (const action of st.Action.filter((a) => !isReadOnlyAction(a))) {
          expect({ action, broad: st.Resource.filter((r) => !SPECIFIC.some((re) => re.test(r))) }).toEqual({ action, broad: [] });
        }
        if (st.Resource.includes("*")) expect(st.Action.every((a) => ["ecs:ListTasks", "ec2:DescribeNetworkInterfaces"].includes(a))).toBe(true);
      }
    }
  });

  test("the whitelist rejects broad resources (the check can fail)", () => {
    for (const broad of ["*", "arn:aws:sns:eu-west-2:123456789012:*", "arn:${data.aws_partition.P.partition}:ecs:eu-west-2:${data.aws_caller_identity.C.account_id}:service/${aws_ecs_cluster.C.name}/*", "${aws_s3_bucket.B.arn}/*"]) {
      expect(SPECIFIC.some((re) => re.test(broad))).toBe(false);
    }
  });

  test("lookup: PutObject only in the results bucket, Publish only to the alert topic, the secret only", () => {
    const statements = statementsOfRole(stack, lookup.role);
    const [bucketAddr] = only("aws_s3_bucket");
    const [topicAddr] = only("aws_sns_topic");
    const [secretAddr] = only("aws_secretsmanager_secret");
    const prefixes = ["results", "latest", "rotations", "state"].map((p) => `${ref(bucketAddr, "arn")}/${p}/*`);
    expect(actionsOn(statements, "s3:PutObject")).toEqual(prefixes);
    expect(actionsOn(statements, "s3:GetObject")).toEqual(prefixes);
    expect(actionsOn(statements, "s3:DeleteObject")).toEqual([`${ref(bucketAddr, "arn")}/state/*`]);
    expect(actionsOn(statements, "s3:ListBucket")).toEqual([ref(bucketAddr, "arn")]);
    expect(actionsOn(statements, "sns:Publish")).toEqual([ref(topicAddr, "arn")]);
    expect(actionsOn(statements, "secretsmanager:GetSecretValue")).toEqual([ref(secretAddr, "arn")]);
    expect(actionsOn(statements, "sqs:DeleteMessage")).toEqual([ref(deref(stack, only("aws_lambda_event_source_mapping")[1].event_source_arn)[0], "arn")]);
    expect(actionsOn(statements, "logs:PutLogEvents")).toEqual([`${ref(deref(stack, `\${${lookup.logging_config.log_group.slice(2, -1)}}`)[0], "arn")}:*`]);
  });

  test("rotation off: lookup cannot update any ECS service", () => {
    const all = statementsOfRole(stack, lookup.role).flatMap((st) => st.Action);
    expect(all.filter((a) => a.startsWith("ecs:"))).toEqual([]);
  });

  test("rotation on: UpdateService on exactly the honeypot services, nothing else of ECS", () => {
    const [, f] = lambdaOf(rotating, "lure-watcher-lookup");
    const statements = statementsOfRole(rotating, f.role);
    const arns = actionsOn(statements, "ecs:UpdateService");
    expect(arns).toHaveLength(10);
    expect(arns.map((a) => a.split("/").pop()).sort()).toEqual(serviceArns(rotating));
    for (const a of arns) expect(a).toMatch(/^arn:\$\{data\.aws_partition\.[^.]+\.partition\}:ecs:eu-west-2:\$\{data\.aws_caller_identity\.[^.]+\.account_id\}:service\/\$\{aws_ecs_cluster\.[^.]+\.name\}\/lure-hp-/);
    expect(statements.flatMap((st) => st.Action).filter((a) => a.startsWith("ecs:"))).toEqual(["ecs:UpdateService"]);
    expect(f.environment.variables.LURE_ROTATE).toBe("true");
  });

  test("list-ips: discovery is read-only, queue send only, no S3, no service updates", () => {
    const statements = statementsOfRole(stack, listIps.role);
    const actions = statements.flatMap((st) => st.Action).sort();
    expect(actions).toEqual(
      ["ec2:DescribeNetworkInterfaces", "ecs:DescribeTasks", "ecs:ListTasks", "logs:CreateLogStream", "logs:PutLogEvents", "sns:Publish", "sqs:GetQueueAttributes", "sqs:SendMessage"].sort(),
    );
    const [topicAddr] = only("aws_sns_topic");
    const queue = (name: string) => ref(resources(stack, "aws_sqs_queue").find(([, q]) => q.name === name)![0], "arn");
    expect(actionsOn(statements, "sns:Publish")).toEqual([ref(topicAddr, "arn")]);
    expect(actionsOn(statements, "sqs:SendMessage")).toEqual([queue("lure-watcher-ips")]);
    expect(actionsOn(statements, "sqs:GetQueueAttributes")).toEqual([queue("lure-watcher-ips-dlq")]);
    const listTasks = statements.find((st) => st.Action.includes("ecs:ListTasks"))!;
    expect(listTasks.Condition).toEqual({ ArnEquals: { "ecs:cluster": expect.stringMatching(/^\$\{aws_ecs_cluster\..+\.arn\}$/) } });
  });
});

describe("watcher options", () => {
  test("disabled: the honeynet stack has no watcher resources", () => {
    const s = synthAwsHoneynet(configWith((c) => (c.watcher.enabled = false)));
    for (const type of ["aws_lambda_function", "aws_sqs_queue", "aws_s3_bucket", "aws_sns_topic", "aws_secretsmanager_secret", "aws_scheduler_schedule"]) expect(resources(s, type)).toEqual([]);
    expect(Object.keys(s.output).filter((o) => o.startsWith("watcher_"))).toEqual([]);
  });

  test("no alert e-mail: topic without subscriptions, and the output says how to get e-mail", () => {
    const s = synthAwsHoneynet();
    expect(resources(s, "aws_sns_topic")).toHaveLength(1);
    expect(resources(s, "aws_sns_topic_subscription")).toEqual([]);
    expect(s.output.watcher_alert_email.value).toMatch(/set watcher.alertEmail/);
  });

  test("schedule, retention and rotation interval come from the config", () => {
    const s = synthAwsHoneynet(
      configWith((c) => {
        c.watcher.schedule = "cron(0 6 * * ? *)";
        c.watcher.resultsRetentionDays = 30;
        c.watcher.minRotationIntervalHours = 6;
        c.watcher.honeyscore = false;
      }),
    );
    expect(resources(s, "aws_scheduler_schedule")[0][1].schedule_expression).toBe("cron(0 6 * * ? *)");
    expect(resources(s, "aws_s3_bucket_lifecycle_configuration")[0][1].rule[0].expiration).toEqual([{ days: 30 }]);
    const vars = resources(s, "aws_lambda_function").find(([, f]) => f.function_name === "lure-watcher-lookup")![1].environment.variables;
    expect(vars.LURE_MIN_ROTATION_HOURS).toBe("6");
    expect(vars.LURE_HONEYSCORE).toBe("false");
  });
});

/** The environment a deployed function would see: the synthesized variables with Terraform references resolved to plausible values. */
function deployedEnv(vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [
      k,
      v
        .replace(/\$\{aws_sqs_queue\.([A-Za-z0-9_-]+)\.url\}/g, "https://sqs.eu-west-2.amazonaws.com/123456789012/$1")
        .replace(/\$\{aws_([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.arn\}/g, "arn:aws:$1:eu-west-2:123456789012:$2")
        .replace(/\$\{[^}]+\}/g, "lure-resolved"),
    ]),
  );
}

describe("environment contract between the construct and the functions", () => {
  const source = readFileSync(join(ROOT, "functions/aws/env.ts"), "utf8");
  test.each([
    ["list-ips", () => listIps, "listIpsEnv"],
    ["lookup", () => lookup, "lookupEnv"],
  ] as const)("%s: the functions accept what the construct sets, and read every variable it sets", (_n, fnOf, reader) => {
    const vars = fnOf().environment.variables as Record<string, string>;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const envModule = require("../../functions/aws/env") as Record<string, (v: Record<string, string | undefined>) => unknown>;
    expect(() => envModule[reader](deployedEnv(vars))).not.toThrow();
    for (const name of Object.keys(vars)) expect(source).toContain(`"${name}"`);
  });
});

describe("function bundles", () => {
  /** The single file of a zip written by zipOneFile. */
  function unzipOne(zip: Buffer): { name: string; content: Buffer } {
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    const size = zip.readUInt32LE(18);
    const nameLength = zip.readUInt16LE(26);
    const name = zip.subarray(30, 30 + nameLength).toString("utf8");
    return { name, content: inflateRawSync(zip.subarray(30 + nameLength, 30 + nameLength + size)) };
  }

  test("zipOneFile is reproducible and round-trips", () => {
    const a = zipOneFile("index.js", Buffer.from("exports.handler = async () => 1;\n"));
    expect(zipOneFile("index.js", Buffer.from("exports.handler = async () => 1;\n")).equals(a)).toBe(true);
    expect(unzipOne(a)).toEqual({ name: "index.js", content: Buffer.from("exports.handler = async () => 1;\n") });
  });

  test("a full synth writes both zips into the stack's assets; each loads and exports a handler", () => {
    const out = mkdtempSync(join(tmpdir(), "lure-assets-"));
    try {
      const app = Testing.app({ outdir: out });
      const config = configWith();
      new AwsHoneynetStack(app, "aws-honeynet", config, config.clouds.aws!);
      app.synth();
      const dir = join(out, "stacks", "aws-honeynet");
      const synthesized = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8"));
      const loadDir = join(ROOT, "node_modules", ".cache", "lure-test-bundles");
      mkdirSync(loadDir, { recursive: true });
      for (const [, f] of resources(synthesized, "aws_lambda_function")) {
        const zip = readFileSync(join(dir, f.filename));
        expect(require("crypto").createHash("sha256").update(zip).digest("base64")).toBe(f.source_code_hash);
        const { name, content } = unzipOne(zip);
        expect(name).toBe("index.js");
        const code = content.toString("utf8");
        // The runtime provides AWS SDK v3; the bundle must not carry its own copy.
        expect(code).not.toMatch(/class ECSClient|class SQSClient/);
        const file = join(loadDir, `${f.function_name}.js`);
        writeFileSync(file, code);
        const env = { ...deployedEnv(f.environment.variables), AWS_REGION: "eu-west-2" };
        const saved = { ...process.env };
        Object.assign(process.env, env);
        try {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          expect(typeof require(file).handler).toBe("function");
        } finally {
          process.env = saved;
        }
      }
      expect(resources(synthesized, "aws_lambda_function")).toHaveLength(2);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
