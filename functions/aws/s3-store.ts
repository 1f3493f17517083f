/** Adapter: JSON objects in the watcher's S3 bucket (results, latest state, markers). */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { errorName } from "./runtime";

/** `value` is undefined when the object exists but is not JSON (callers treat that as unusable). */
export type Stored = { readonly exists: false } | { readonly exists: true; readonly value: unknown };

export interface JsonStore {
  /** Where `key` lives, for people: `s3://bucket/key`. */
  url(key: string): string;
  /** A missing object is `exists: false`; any other S3 error rejects. */
  get(key: string): Promise<Stored>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

export function s3JsonStore(client: S3Client, bucket: string): JsonStore {
  return {
    url: (key) => `s3://${bucket}/${key}`,
    async get(key) {
      let text: string;
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        text = (await res.Body?.transformToString("utf-8")) ?? "";
      } catch (err) {
        // Needs s3:ListBucket: without it S3 answers a missing key with AccessDenied, not NoSuchKey.
        if (errorName(err) === "NoSuchKey") return { exists: false };
        throw err;
      }
      try {
        return { exists: true, value: JSON.parse(text) as unknown };
      } catch {
        return { exists: true, value: undefined };
      }
    },
    async put(key, value) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: "application/json" }));
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}
