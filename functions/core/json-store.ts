/**
 * The port for the watcher's JSON documents (results, latest state, markers) in a cloud's object
 * store: S3 on AWS, a blob container on Azure. Conditional writes are what lets several function
 * instances agree on a marker without a lock service.
 */

/**
 * `value` is undefined when the object exists but is not JSON (callers treat that as unusable).
 * `etag` is the store's entity tag of the version read, for a conditional write that replaces exactly it.
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
  /** Where `key` lives, for people (`s3://bucket/key`, `https://<account>.blob.core.windows.net/<container>/key`). */
  url(key: string): string;
  /** A missing object is `exists: false`; any other store error rejects. */
  get(key: string): Promise<Stored>;
  put(key: string, value: unknown): Promise<void>;
  /**
   * Writes only if `condition` holds. A failed condition (another writer got there first, or the
   * object is gone for `ifMatch`) resolves `written: false`; any other error rejects.
   */
  putIf(key: string, value: unknown, condition: WriteCondition): Promise<ConditionalWrite>;
  delete(key: string): Promise<void>;
  /** Deletes only the version with this ETag; false when the object changed or is gone. */
  deleteIf(key: string, etag: string): Promise<boolean>;
}

/** A document read as text: parsed, or `value: undefined` when it is not JSON (callers treat that as unusable). */
export function storedJson(text: string, etag: string | undefined): Stored {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    value = undefined;
  }
  return etag === undefined ? { exists: true, value } : { exists: true, value, etag };
}
