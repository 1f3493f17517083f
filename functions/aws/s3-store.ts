/** Adapter: JSON objects in the watcher's S3 bucket (results, latest state, markers). */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { storedJson, type JsonStore } from "../core/json-store";
import { errorName } from "./runtime";

export type { ConditionalWrite, JsonStore, Stored, WriteCondition } from "../core/json-store";

const JSON_TYPE = "application/json";

/** S3 refused a conditional request because its condition did not hold. */
export function isPreconditionFailed(err: unknown): boolean {
  if (errorName(err) === "PreconditionFailed") return true;
  const status = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return status === 412;
}

/**
 * The `JsonStore` in one bucket. A failed condition is S3's 412 PreconditionFailed (404 NoSuchKey
 * for `ifMatch` when the object is gone); 409 ConditionalRequestConflict (a concurrent conditional
 * write still in progress) rejects, like any other error.
 */
export function s3JsonStore(client: S3Client, bucket: string): JsonStore {
  return {
    url: (key) => `s3://${bucket}/${key}`,
    async get(key) {
      let text: string;
      let etag: string | undefined;
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        etag = res.ETag;
        text = (await res.Body?.transformToString("utf-8")) ?? "";
      } catch (err) {
        // Needs s3:ListBucket: without it S3 answers a missing key with AccessDenied, not NoSuchKey.
        if (errorName(err) === "NoSuchKey") return { exists: false };
        throw err;
      }
      return storedJson(text, etag);
    },
    async put(key, value) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: JSON_TYPE }));
    },
    async putIf(key, value, condition) {
      const precondition = "ifMatch" in condition ? { IfMatch: condition.ifMatch } : { IfNoneMatch: condition.ifNoneMatch };
      try {
        const res = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: JSON_TYPE, ...precondition }));
        return res.ETag === undefined ? { written: true } : { written: true, etag: res.ETag };
      } catch (err) {
        if (isPreconditionFailed(err) || ("ifMatch" in condition && errorName(err) === "NoSuchKey")) return { written: false };
        throw err;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async deleteIf(key, etag) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }));
        return true;
      } catch (err) {
        if (isPreconditionFailed(err) || errorName(err) === "NoSuchKey") return false;
        throw err;
      }
    },
  };
}
