/**
 * Where the report reads the watcher's history from, and one small reader per kind of store.
 * Each reader lists keys and reads text, and gets its SDK client from the caller, so tests fake the
 * client and the SDKs are loaded only when a source of that kind is used.
 *
 * @example
 * const source = parseSource("s3://lure-results/watcher");
 * const reader = await openReader(source);
 * const keys = await reader.list();
 */
import { readdir, readFile } from "fs/promises";
import { join, resolve } from "path";
import type { S3Client } from "@aws-sdk/client-s3";

export const CLOUDS = ["aws", "azure", "gcp"] as const;
export type Cloud = (typeof CLOUDS)[number];

export function isCloud(value: unknown): value is Cloud {
  return (CLOUDS as readonly unknown[]).includes(value);
}

/** A `--results` argument, understood. `cloud` is set when the argument itself names it. */
export type Source =
  | { readonly kind: "local"; readonly dir: string; readonly cloud?: Cloud; readonly text: string }
  | { readonly kind: "s3"; readonly bucket: string; readonly prefix: string; readonly cloud: Cloud; readonly text: string }
  | { readonly kind: "blob"; readonly accountUrl: string; readonly container: string; readonly prefix: string; readonly cloud: Cloud; readonly text: string }
  | { readonly kind: "gcs"; readonly bucket: string; readonly prefix: string; readonly cloud: Cloud; readonly text: string };

/** A prefix with exactly one trailing slash, or "" for the store's root. */
function normalisePrefix(p: string): string {
  const trimmed = p.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

const BLOB_URL = /^https:\/\/([a-z0-9]{3,24})\.blob\.core\.windows\.net\/([a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?)(?:\/(.*))?$/;

/**
 * Reads one `--results` value: a folder (optionally `aws=./dir`), `s3://bucket[/prefix]`,
 * `https://<account>.blob.core.windows.net/<container>[/prefix]` or `gs://bucket[/prefix]`.
 * Throws a message that says what is accepted.
 */
export function parseSource(text: string): Source {
  const named = /^(aws|azure|gcp)=(.+)$/.exec(text);
  const cloud = named ? (named[1] as Cloud) : undefined;
  const rest = named ? named[2] : text;
  const scheme = (expected: Cloud): Cloud => {
    if (cloud !== undefined && cloud !== expected) throw new Error(`--results ${text}: that store is on ${expected}, not ${cloud}`);
    return expected;
  };
  let m: RegExpExecArray | null;
  if ((m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,62})(?:\/(.*))?$/.exec(rest))) return { kind: "s3", bucket: m[1], prefix: normalisePrefix(m[2] ?? ""), cloud: scheme("aws"), text };
  if ((m = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,221})(?:\/(.*))?$/.exec(rest))) return { kind: "gcs", bucket: m[1], prefix: normalisePrefix(m[2] ?? ""), cloud: scheme("gcp"), text };
  if ((m = BLOB_URL.exec(rest))) {
    return { kind: "blob", accountUrl: `https://${m[1]}.blob.core.windows.net`, container: m[2], prefix: normalisePrefix(m[3] ?? ""), cloud: scheme("azure"), text };
  }
  if ((m = /^(s3|gs):\/\/([^/]*)/.exec(rest))) throw new Error(`--results ${text}: ${JSON.stringify(m[2])} is not a valid ${m[1] === "s3" ? "S3" : "Cloud Storage"} bucket name`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) {
    throw new Error(`--results ${text}: not a store the report reads; give a folder, s3://bucket[/prefix], https://<account>.blob.core.windows.net/<container>[/prefix] or gs://bucket[/prefix]`);
  }
  return { kind: "local", dir: resolve(rest), ...(cloud ? { cloud } : {}), text };
}

/** The one thing the report needs from a store: its keys, and a document's text. */
export interface ObjectReader {
  /** Where the source is, for people. */
  readonly location: string;
  /** Every key under the source's prefix, relative to it, with `/` separators. */
  list(): Promise<string[]>;
  /** The text of a key returned by `list`; rejects when it cannot be read. */
  getText(key: string): Promise<string>;
}

/** A local folder. */
export function localReader(dir: string): ObjectReader {
  return {
    location: dir,
    async list() {
      const keys: string[] = [];
      const walk = async (rel: string): Promise<void> => {
        let entries;
        try {
          entries = await readdir(join(dir, rel), { withFileTypes: true });
        } catch (e) {
          throw new Error(`cannot read the folder ${join(dir, rel)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
        for (const e of entries) {
          const key = rel === "" ? e.name : `${rel}/${e.name}`;
          if (e.isDirectory()) await walk(key);
          else if (e.isFile()) keys.push(key);
        }
      };
      await walk("");
      return keys.sort();
    },
    getText: (key) => readFile(join(dir, ...key.split("/")), "utf8"),
  };
}

/** An S3 bucket through ListObjectsV2 and GetObject; the client comes with its credentials. */
export function s3Reader(client: S3Client, bucket: string, prefix: string): ObjectReader {
  return {
    location: `s3://${bucket}/${prefix}`,
    async list() {
      const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith("/")) keys.push(o.Key.slice(prefix.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async getText(key) {
      const { GetObjectCommand } = await import("@aws-sdk/client-s3");
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + key }));
      if (!out.Body) throw new Error(`s3://${bucket}/${prefix}${key} has no body`);
      return out.Body.transformToString("utf-8");
    },
  };
}

/** The part of `@azure/storage-blob`'s `ContainerClient` the report uses. */
export interface BlobContainerLike {
  listBlobsFlat(options: { prefix: string }): AsyncIterable<{ readonly name: string }>;
  getBlobClient(name: string): { downloadToBuffer(): Promise<Buffer> };
}

/** A blob container; the client comes with its credentials. */
export function blobReader(container: BlobContainerLike, location: string, prefix: string): ObjectReader {
  return {
    location,
    async list() {
      const keys: string[] = [];
      for await (const b of container.listBlobsFlat({ prefix })) keys.push(b.name.slice(prefix.length));
      return keys.sort();
    },
    getText: async (key) => (await container.getBlobClient(prefix + key).downloadToBuffer()).toString("utf8"),
  };
}

/** The part of `@google-cloud/storage`'s `Bucket` the report uses. */
export interface GcsBucketLike {
  getFiles(options: { prefix: string; autoPaginate: true }): Promise<[ReadonlyArray<{ readonly name: string }>, ...unknown[]]>;
  file(name: string): { download(): Promise<[Buffer, ...unknown[]]> };
}

/** A Cloud Storage bucket; the client comes with its credentials. */
export function gcsReader(bucket: GcsBucketLike, location: string, prefix: string): ObjectReader {
  return {
    location,
    async list() {
      const [files] = await bucket.getFiles({ prefix, autoPaginate: true });
      return files.map((f) => f.name.slice(prefix.length)).filter((k) => k !== "" && !k.endsWith("/")).sort();
    },
    getText: async (key) => (await bucket.file(prefix + key).download())[0].toString("utf8"),
  };
}

/**
 * The reader for a source, with the cloud's default credentials (the AWS chain, Azure's
 * `DefaultAzureCredential`, Google's application default credentials). The SDK is loaded here, so
 * a report over local folders never loads one.
 */
export async function openReader(source: Source): Promise<ObjectReader> {
  switch (source.kind) {
    case "local":
      return localReader(source.dir);
    case "s3": {
      const { S3Client } = await import("@aws-sdk/client-s3");
      return s3Reader(new S3Client({}), source.bucket, source.prefix);
    }
    case "blob": {
      const [{ ContainerClient }, { DefaultAzureCredential }] = await Promise.all([import("@azure/storage-blob"), import("@azure/identity")]);
      const client = new ContainerClient(`${source.accountUrl}/${source.container}`, new DefaultAzureCredential());
      return blobReader(client, `${source.accountUrl}/${source.container}/${source.prefix}`, source.prefix);
    }
    case "gcs": {
      const { Storage } = await import("@google-cloud/storage");
      return gcsReader(new Storage().bucket(source.bucket) as unknown as GcsBucketLike, `gs://${source.bucket}/${source.prefix}`, source.prefix);
    }
  }
}
