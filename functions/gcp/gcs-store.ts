/**
 * Adapter: the watcher's `JsonStore` over one private GCS bucket, with the `JsonStore` conditions
 * mapped to object generations (GCS's compare-and-swap): `ifNoneMatch: "*"` → `ifGenerationMatch: 0`
 * (create only if absent), `ifMatch: g` → `ifGenerationMatch: g` (replace only generation g).
 * The "etag" the core keeps is the generation number, as a string.
 *
 * GCS answers mapped:
 * - 404 on a read: missing (`exists: false`); on a conditional write or delete: `written: false`;
 * - 412 Precondition Failed: another writer got there first, `written: false` / `false`;
 * - anything else rejects (403 included: a deployment fault, and calling it "missing" would make
 *   the lookup re-alert and re-rotate on every message).
 *
 * A read is two calls: the metadata (for the generation), then the content OF THAT GENERATION, so
 * the value and its generation always belong together; if it was replaced in between (the old
 * generation is gone: no object versioning), the read starts again.
 *
 * @example
 * const store = gcsJsonStore(new Storage().bucket(env.bucket));
 * await store.putIf("state/index-error.json", marker, { ifNoneMatch: "*" });
 */
import { storedJson, type JsonStore, type Stored } from "../core/json-store";
import { codeOf } from "./errors";

/** The calls made on one object (structurally a `File` of @google-cloud/storage). */
export interface GcsFileLike {
  /** Set by the client from the last response (after `save`, the new object's generation). */
  readonly metadata?: { readonly generation?: string | number };
  getMetadata(): Promise<readonly [{ readonly generation?: string | number }, ...unknown[]]>;
  download(): Promise<readonly [Buffer, ...unknown[]]>;
  save(
    data: string,
    options: { readonly contentType: string; readonly resumable: false; readonly preconditionOpts?: { readonly ifGenerationMatch: number | string } },
  ): Promise<void>;
  delete(options?: { readonly ifGenerationMatch?: number | string }): Promise<unknown>;
}

/** The bucket (structurally a `Bucket`). */
export interface GcsBucketLike {
  readonly name: string;
  file(name: string, options?: { readonly generation?: number | string }): GcsFileLike;
}

const JSON_TYPE = "application/json";
/** Reads retried when the object changes between its metadata and its content. */
const READ_ATTEMPTS = 3;

const isMissing = (err: unknown): boolean => codeOf(err) === 404;
const isPreconditionFailed = (err: unknown): boolean => codeOf(err) === 412;

function generationOf(meta: { readonly generation?: string | number } | undefined): string | undefined {
  const g = meta?.generation;
  return g === undefined || g === "" ? undefined : String(g);
}

/** The `JsonStore` over `bucket`; `url(key)` is `gs://bucket/key` (readable with the bucket's IAM only). */
export function gcsJsonStore(bucket: GcsBucketLike): JsonStore {
  const save = async (key: string, value: unknown, ifGenerationMatch?: string | number): Promise<string | undefined> => {
    const file = bucket.file(key);
    await file.save(JSON.stringify(value), {
      contentType: JSON_TYPE,
      // One small request: a resumable upload session is two round trips for a few hundred bytes.
      resumable: false,
      ...(ifGenerationMatch === undefined ? {} : { preconditionOpts: { ifGenerationMatch } }),
    });
    return generationOf(file.metadata);
  };
  return {
    url: (key) => `gs://${bucket.name}/${key}`,
    async get(key): Promise<Stored> {
      for (let attempt = 1; ; attempt++) {
        let generation: string | undefined;
        try {
          generation = generationOf((await bucket.file(key).getMetadata())[0]);
        } catch (err) {
          if (isMissing(err)) return { exists: false };
          throw err;
        }
        try {
          const [content] = await bucket.file(key, generation === undefined ? undefined : { generation }).download();
          return storedJson(content.toString("utf8"), generation);
        } catch (err) {
          // Replaced or deleted between the two calls: read the current one (or find it gone).
          if (!isMissing(err) || attempt >= READ_ATTEMPTS) throw err;
        }
      }
    },
    async put(key, value) {
      await save(key, value);
    },
    async putIf(key, value, condition) {
      try {
        const generation = await save(key, value, "ifMatch" in condition ? condition.ifMatch : 0);
        return generation === undefined ? { written: true } : { written: true, etag: generation };
      } catch (err) {
        if (isPreconditionFailed(err) || ("ifMatch" in condition && isMissing(err))) return { written: false };
        throw err;
      }
    },
    async delete(key) {
      try {
        await bucket.file(key).delete();
      } catch (err) {
        // Gone already is what was asked for.
        if (!isMissing(err)) throw err;
      }
    },
    async deleteIf(key, etag) {
      try {
        await bucket.file(key).delete({ ifGenerationMatch: etag });
        return true;
      } catch (err) {
        if (isPreconditionFailed(err) || isMissing(err)) return false;
        throw err;
      }
    },
  };
}
