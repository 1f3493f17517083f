/**
 * Adapter: the watcher's JSON documents (results, latest state, markers, the Shodan gate) as block
 * blobs in the private results container, with the `JsonStore` conditions mapped to ETags.
 *
 * Blob service answers mapped:
 * - 404 `BlobNotFound` on a read: the document is missing (`exists: false`);
 * - 412 `ConditionNotMet` (If-Match no longer holds) and 409 `BlobAlreadyExists` (If-None-Match: *
 *   on an existing blob): another writer got there first, `written: false`; a 404 `BlobNotFound`
 *   for If-Match (the blob was deleted meanwhile) likewise;
 * - anything else rejects, 404 `ContainerNotFound` and 403 `AuthorizationPermissionMismatch`
 *   included: those are deployment faults, and calling them "missing" would make the lookup
 *   re-alert and re-rotate on every message.
 *
 * @example
 * const store = blobJsonStore(new ContainerClient(env.resultsUrl, credential, storageOptions()));
 * await store.putIf("state/shodan-gate.json", { next }, { ifNoneMatch: "*" });
 */
import { storedJson, type JsonStore } from "../core/json-store";
import { codeOf, statusOf } from "./azure-errors";

/** The calls made on one blob (structurally a `BlockBlobClient` of @azure/storage-blob). */
export interface BlockBlobLike {
  download(
    offset?: number,
    count?: number,
    options?: { readonly abortSignal?: AbortSignal },
  ): Promise<{ readonly etag?: string; readonly readableStreamBody?: NodeJS.ReadableStream }>;
  upload(
    body: string,
    contentLength: number,
    options?: {
      readonly conditions?: { readonly ifMatch?: string; readonly ifNoneMatch?: string };
      readonly blobHTTPHeaders?: { readonly blobContentType?: string };
    },
  ): Promise<{ readonly etag?: string }>;
  delete(options?: { readonly conditions?: { readonly ifMatch?: string } }): Promise<unknown>;
}

/** The container (structurally a `ContainerClient`). */
export interface BlobContainerLike {
  readonly url: string;
  getBlockBlobClient(blobName: string): BlockBlobLike;
}

const JSON_TYPE = "application/json";

/** The blob is not there (its container is). */
export function isBlobNotFound(err: unknown): boolean {
  return statusOf(err) === 404 && codeOf(err) === "BlobNotFound";
}

/** The blob service refused a conditional request because its condition did not hold. */
export function isConditionFailed(err: unknown): boolean {
  const status = statusOf(err);
  const code = codeOf(err);
  return (status === 412 && (code === undefined || code === "ConditionNotMet")) || (status === 409 && code === "BlobAlreadyExists");
}

async function readText(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return "";
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts).toString("utf8");
}

/** The `JsonStore` over one container; `url(key)` is the blob's https URL (readable with the container's RBAC only). */
export function blobJsonStore(container: BlobContainerLike): JsonStore {
  const blob = (key: string): BlockBlobLike => container.getBlockBlobClient(key);
  const upload = (key: string, value: unknown, conditions?: { ifMatch?: string; ifNoneMatch?: string }) => {
    const body = JSON.stringify(value);
    return blob(key).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: JSON_TYPE }, ...(conditions ? { conditions } : {}) });
  };
  return {
    url: (key) => `${container.url.replace(/\/+$/, "")}/${key}`,
    async get(key) {
      let text: string;
      let etag: string | undefined;
      try {
        const res = await blob(key).download(0);
        etag = res.etag;
        text = await readText(res.readableStreamBody);
      } catch (err) {
        if (isBlobNotFound(err)) return { exists: false };
        throw err;
      }
      return storedJson(text, etag);
    },
    async put(key, value) {
      await upload(key, value);
    },
    async putIf(key, value, condition) {
      try {
        const res = await upload(key, value, "ifMatch" in condition ? { ifMatch: condition.ifMatch } : { ifNoneMatch: condition.ifNoneMatch });
        return res.etag === undefined ? { written: true } : { written: true, etag: res.etag };
      } catch (err) {
        if (isConditionFailed(err) || ("ifMatch" in condition && isBlobNotFound(err))) return { written: false };
        throw err;
      }
    },
    async delete(key) {
      try {
        await blob(key).delete();
      } catch (err) {
        // Gone already is what was asked for.
        if (!isBlobNotFound(err)) throw err;
      }
    },
    async deleteIf(key, etag) {
      try {
        await blob(key).delete({ conditions: { ifMatch: etag } });
        return true;
      } catch (err) {
        if (isConditionFailed(err) || isBlobNotFound(err)) return false;
        throw err;
      }
    },
  };
}
