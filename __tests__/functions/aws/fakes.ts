/** Test doubles for the watcher functions: a stateful S3 bucket, a scanner index, a log that records. */
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { AwsClientStub } from "aws-sdk-client-mock";
import type { LookupResult, ScannerIndex } from "../../../functions/core/scanner-index";
import type { Log, LogLevel } from "../../../functions/aws/runtime";

export interface LogLine {
  readonly level: LogLevel;
  readonly event: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export function recordingLog(): { log: Log; lines: LogLine[]; events: () => string[] } {
  const lines: LogLine[] = [];
  return {
    log: (level, event, fields = {}) => lines.push({ level, event, fields }),
    lines,
    events: () => lines.map((l) => l.event),
  };
}

/** S3 keys the lookup function may touch; its IAM policy is scoped to exactly these prefixes. */
export const BUCKET_PREFIXES = ["results/", "latest/", "rotations/", "state/"] as const;

/** What S3 answers when the condition of a conditional request does not hold. */
export function preconditionFailed(): Error {
  return Object.assign(new Error("At least one of the pre-conditions you specified did not hold"), { name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } });
}

/**
 * A bucket held in a Map behind the S3 mock, with S3's conditional writes: `IfNoneMatch: "*"` and
 * `IfMatch` on PutObject, `IfMatch` on DeleteObject, failing with a 412 PreconditionFailed (404
 * NoSuchKey for `IfMatch` on a missing object). Every object has an ETag, new on each write.
 * `ops` records every call in order ("get k", "put k", "delete k"; a refused condition as
 * "put k: 412") so tests can assert what was written before what. A key outside `BUCKET_PREFIXES`
 * is refused, so every test also checks that the lookup stays inside them.
 */
export function fakeBucket(mock: AwsClientStub<S3Client>, bucket: string, ops: string[] = []) {
  const objects = new Map<string, { body: string; contentType?: string; etag: string }>();
  let versions = 0;
  const check = (input: { Bucket: string; Key: string }): void => {
    if (input.Bucket !== bucket) throw new Error(`unexpected bucket ${input.Bucket}`);
    if (!BUCKET_PREFIXES.some((p) => input.Key.startsWith(p))) throw new Error(`key ${input.Key} is outside ${BUCKET_PREFIXES.join(", ")}`);
  };
  const noSuchKey = () => new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } });
  const refuse = (op: string, key: string, err: Error): never => {
    ops.push(`${op} ${key}: ${(err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? "error"}`);
    throw err;
  };
  mock.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    check(input);
    ops.push(`get ${input.Key}`);
    const o = objects.get(input.Key);
    if (!o) throw noSuchKey();
    return { Body: { transformToString: async () => o.body }, ETag: o.etag };
  });
  mock.on(PutObjectCommand).callsFake((input: { Bucket: string; Key: string; Body: string; ContentType?: string; IfNoneMatch?: string; IfMatch?: string }) => {
    check(input);
    const current = objects.get(input.Key);
    if (input.IfNoneMatch !== undefined) {
      if (input.IfNoneMatch !== "*") throw new Error(`S3 takes only "*" as IfNoneMatch on PutObject, not ${input.IfNoneMatch}`);
      if (current) refuse("put", input.Key, preconditionFailed());
    }
    if (input.IfMatch !== undefined) {
      if (!current) refuse("put", input.Key, noSuchKey());
      else if (current.etag !== input.IfMatch) refuse("put", input.Key, preconditionFailed());
    }
    ops.push(`put ${input.Key}`);
    const etag = `"etag-${++versions}"`;
    objects.set(input.Key, { body: input.Body, contentType: input.ContentType, etag });
    return { ETag: etag };
  });
  mock.on(DeleteObjectCommand).callsFake((input: { Bucket: string; Key: string; IfMatch?: string }) => {
    check(input);
    const current = objects.get(input.Key);
    if (input.IfMatch !== undefined) {
      if (!current) refuse("delete", input.Key, noSuchKey());
      else if (current.etag !== input.IfMatch) refuse("delete", input.Key, preconditionFailed());
    }
    ops.push(`delete ${input.Key}`);
    objects.delete(input.Key);
    return {};
  });
  return {
    objects,
    ops,
    json: (key: string): unknown => {
      const o = objects.get(key);
      return o === undefined ? undefined : JSON.parse(o.body);
    },
    seed: (key: string, value: unknown) =>
      objects.set(key, { body: typeof value === "string" ? value : JSON.stringify(value), contentType: "application/json", etag: `"etag-${++versions}"` }),
  };
}

/** A strict index: answers only the IPs it was given; an Error value is thrown for that IP. */
export function fakeIndex(answers: Readonly<Record<string, LookupResult | Error>>, ops?: string[]): ScannerIndex & { calls: string[] } {
  const calls: string[] = [];
  return {
    name: "shodan",
    calls,
    async lookup(ip: string): Promise<LookupResult> {
      calls.push(ip);
      ops?.push(`lookup ${ip}`);
      if (!Object.hasOwn(answers, ip)) throw new Error(`fake index: unexpected lookup of ${ip}`);
      const a = answers[ip];
      if (a instanceof Error) throw a;
      return a;
    },
  };
}

/** A lookup environment as the construct sets it (test values). */
export function lookupVars(services: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    LURE_PREFIX: "lure-test",
    LURE_BUCKET: "lure-test-watch",
    LURE_TOPIC_ARN: "arn:aws:sns:eu-west-1:111122223333:lure-test-alerts",
    LURE_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:lure-test/shodan-AbCdEf",
    LURE_SECRET_NAME: "lure-test/shodan",
    LURE_CLUSTER: "lure-test",
    LURE_SERVICES: services,
    LURE_ROTATE: "false",
    LURE_MIN_ROTATION_HOURS: "24",
    LURE_MIN_INTERVAL_MS: "2000",
    LURE_HONEYSCORE: "true",
    ...overrides,
  };
}

/** A list-ips environment as the construct sets it (test values). */
export function listIpsVars(services: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    LURE_CLUSTER: "lure-test",
    LURE_SERVICES: services,
    LURE_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/111122223333/lure-test-watch",
    LURE_PREFIX: "lure-test",
    LURE_TOPIC_ARN: "arn:aws:sns:eu-west-1:111122223333:lure-test-alerts",
    LURE_DLQ_URL: "https://sqs.eu-west-1.amazonaws.com/111122223333/lure-test-watch-dlq",
    LURE_DLQ_ARN: "arn:aws:sqs:eu-west-1:111122223333:lure-test-watch-dlq",
    ...overrides,
  };
}
