/**
 * Adapter: ranged reads of the flow log's blobs over the container's `ContainerClient`
 * (`BlobClient.downloadToBuffer(offset, count)`: one ranged GET, retried by the storage pipeline of
 * sdk-options.ts). A blob that is gone (`BlobNotFound`: retention deleted it) or a range past its end
 * (416 `InvalidRange`) reads as `undefined`, which the reader skips and counts; any other error is
 * thrown, so the queue message is retried.
 *
 * @example
 * const blobs = containerBlobReader(new ContainerClient(env.flowLogUrl, credential, storageOptions()));
 */
import { codeOf, statusOf } from "../azure-errors";
import type { BlobRangeReader } from "./flow-reader";

/** The calls made on a `ContainerClient` of @azure/storage-blob (its own type fits). */
export interface FlowContainerLike {
  getBlobClient(blobName: string): { downloadToBuffer(offset?: number, count?: number): Promise<Buffer> };
}

export function containerBlobReader(container: FlowContainerLike): BlobRangeReader {
  return {
    async read(blobName, offset, count) {
      try {
        return await container.getBlobClient(blobName).downloadToBuffer(offset, count);
      } catch (e) {
        const status = statusOf(e);
        if ((status === 404 && codeOf(e) !== "ContainerNotFound") || status === 416) return undefined;
        throw e;
      }
    },
  };
}

// Compile-time check that the SDK's ContainerClient fits.
type Fits<T extends FlowContainerLike> = T;
/** `ContainerClient`, proven to fit `FlowContainerLike`. */
export type SdkContainerClientFit = Fits<import("@azure/storage-blob").ContainerClient>;
