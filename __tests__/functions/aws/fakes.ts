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

/**
 * A bucket held in a Map behind the S3 mock. `ops` records every call in order ("get k", "put k",
 * "delete k") so tests can assert what was written before what.
 */
export function fakeBucket(mock: AwsClientStub<S3Client>, bucket: string, ops: string[] = []) {
  const objects = new Map<string, { body: string; contentType?: string }>();
  mock.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    if (input.Bucket !== bucket) throw new Error(`unexpected bucket ${input.Bucket}`);
    ops.push(`get ${input.Key}`);
    const o = objects.get(input.Key);
    if (!o) throw new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} });
    return { Body: { transformToString: async () => o.body } };
  });
  mock.on(PutObjectCommand).callsFake((input: { Bucket: string; Key: string; Body: string; ContentType?: string }) => {
    if (input.Bucket !== bucket) throw new Error(`unexpected bucket ${input.Bucket}`);
    ops.push(`put ${input.Key}`);
    objects.set(input.Key, { body: input.Body, contentType: input.ContentType });
    return {};
  });
  mock.on(DeleteObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    if (input.Bucket !== bucket) throw new Error(`unexpected bucket ${input.Bucket}`);
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
    seed: (key: string, value: unknown) => objects.set(key, { body: typeof value === "string" ? value : JSON.stringify(value), contentType: "application/json" }),
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
