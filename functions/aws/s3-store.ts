/** Adapter: JSON objects in the watcher's S3 bucket (results, latest state, markers). */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { errorName } from "./runtime";

/**
 * `value` is undefined when the object exists but is not JSON (callers treat that as unusable).
 * `etag` is S3's entity tag of the version read, for a conditional write that replaces exactly it.
 */
export type Stored = { readonly exists: false } | { readonly exists: true; readonly value: unknown; readonly etag?: string };

/**
 * Condition of a write: `ifNoneMatch: "*"` creates the object only if there is none; `ifMatch`
 * replaces it only if it is still the version with that ETag.
 */
export type WriteCondition = { readonly ifNoneMatch: "*" } | { readonly ifMatch: string };

/** Outcome of a conditional write; `written: false` means another writer got there first. */
export type ConditionalWrite = { readonly written: true; readonly etag?: string } | { readonly written: false };

export interface JsonStore {
  /** Where `key` lives, for people: `s3://bucket/key`. */
  url(key: string): string;
  /** A missing object is `exists: false`; any other S3 error rejects. */
  get(key: string): Promise<Stored>;
  put(key: string, value: unknown): Promise<void>;
  /**
   * Writes only if `condition` holds. A failed condition (412 PreconditionFailed; 404 for `ifMatch`
   * when the object is gone) resolves `written: false`; any other error rejects, 409
   * ConditionalRequestConflict (a concurrent conditional write still in progress) included.
   */
  putIf(key: string, value: unknown, condition: WriteCondition): Promise<ConditionalWrite>;
  delete(key: string): Promise<void>;
  /** Deletes only the version with this ETag; false when the object changed or is gone. */
  deleteIf(key: string, etag: string): Promise<boolean>;
}

const JSON_TYPE = "application/json";

/** S3 refused a conditional request because its condition did not hold. */
export function isPreconditionFailed(err: unknown): boolean {
  if (errorName(err) === "PreconditionFailed") return true;
  const status = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return status === 412;
}

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
      let value: unknown;
      try {
        value = JSON.parse(text) as unknown;
      } catch {
        value = undefined;
      }
      return etag === undefined ? { exists: true, value } : { exists: true, value, etag };
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
