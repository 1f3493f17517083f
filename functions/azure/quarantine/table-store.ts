/**
 * Adapter: the Azure Quarantine's shared state in one Table storage table, with the same semantics
 * as the DynamoDB store (functions/aws/quarantine/dynamo-store.ts).
 *
 * | PartitionKey  | RowKey               | properties                                                      |
 * |---------------|----------------------|-----------------------------------------------------------------|
 * | `src-<ip>`    | `state`              | `state` (detector state as JSON), `version`, `expiresAt`        |
 * | `src-<ip>`    | `proof`              | `first`, `last` (proofs of address, Unix s), `expiresAt`        |
 * | `quarantine`  | `<ip>`               | `src`, `detectedAt`, `lastSeen`, `reason`, `probes`, `expiresAt`|
 * | `mode`        | `mode`               | `mode`, `since`, `recentFlags` (JSON array), `version`          |
 * | `lease`       | `lease`              | `owner`, `until`                                                |
 * | `cursor`      | sha256 hex of name   | `blobName`, `offset`, `updatedAt`, `version`, `expiresAt`       |
 *
 * Keys may not hold `/ \ # ?` or control characters: IPv4 and IPv6 addresses hold digits, hex,
 * `.` and `:` only; blob names hold `/`, so a cursor is keyed by the hash of its name.
 *
 * Table storage has no TTL: every read treats an entity past its `expiresAt` as absent, and
 * `purgeExpired` (the mode function) deletes them. Mode and lease entities never expire.
 *
 * Conditional writes: the numeric `version` is the port's; the ETag is Table storage's. A create
 * is `createEntity` (409 → ConflictError), an update is a Replace with the ETag of a read whose
 * version matched (412 → ConflictError). An entity that reads as absent (expired, or malformed) is
 * replaced by a create-if-absent conditionally on its own ETag, so a put over it still loses to a
 * concurrent writer.
 *
 * Many sources are read with point reads, `READ_CONCURRENCY` at a time: each source has its own
 * partition (spreading the write load, like DynamoDB's layout), so no partition query covers them,
 * and a point read is the cheapest, strongly consistent read Table storage has.
 *
 * Malformed entities (a property missing or of the wrong type, a state that is not JSON) read as
 * absent and are logged as `table-entity-unreadable` with their key: a source starts afresh, the
 * mode reads as Normal, a cursor as offset 0, a list skips the quarantine; the next create replaces
 * the entity on its ETag. A lease that cannot be read is nobody's.
 *
 * `purgeExpired` queries the whole table on `expiresAt` (not a key: a scan, billed per entity
 * read); it runs from the mode function's timer, not per batch.
 *
 * Throttling (429/503) and timeouts are the SDK retry policy's (set by the wiring); 409/412 map to
 * ConflictError or a retry as each method says; everything else is rethrown with context.
 *
 * @example
 * const store = tableQuarantineStore(new TableClient(url, table, credential, sdkOptions), { log });
 */
import { createHash } from "node:crypto";
import type { TableClient } from "@azure/data-tables";
import { eachLimited } from "../../core/limited";
import { ConflictError, type DetectionReason, type ModeState, type Quarantine, type QuarantineStore, type Versioned } from "../../core/quarantine-types";
import { decodeProofFields as decodeProof, decodeSourceFields as decodeSource, numberField as num, stringField as str } from "../../core/stored-state";
import { statusOf } from "../azure-errors";
import type { ExpiredPurge, FlowCursor, FlowCursorStore } from "./contract";

/** An entity as the store reads it: keys, ETag, and untyped properties. */
export interface TableEntityLike {
  readonly partitionKey?: string;
  readonly rowKey?: string;
  readonly etag?: string;
  readonly [property: string]: unknown;
}

/** The entity the store writes. */
export interface TableEntityInput {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly [property: string]: unknown;
}

/** The subset of `TableClient` the store calls (tests pass a stateful fake). */
export interface TableClientLike {
  getEntity(partitionKey: string, rowKey: string): Promise<TableEntityLike>;
  createEntity(entity: TableEntityInput): Promise<unknown>;
  updateEntity(entity: TableEntityInput, mode: "Replace", options: { etag: string }): Promise<unknown>;
  deleteEntity(partitionKey: string, rowKey: string, options?: { etag?: string }): Promise<unknown>;
  listEntities(options: { queryOptions: { filter: string } }): AsyncIterable<TableEntityLike>;
}

// Compile-time check: the real client satisfies the subset.
const realClientFits = (c: TableClient): TableClientLike => c;
void realClientFits;

export interface TableStoreOptions {
  /** Unix seconds; hides entities past their `expiresAt`. @default the wall clock */
  readonly now?: () => number;
  /** @default a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Read-modify-write attempts of `upsertQuarantine`/`putProofs`/`deleteQuarantine` before an error. @default 8 */
  readonly attempts?: number;
  /** Told about entities that could not be read (treated as absent). @default none */
  readonly log?: (event: string, fields: Readonly<Record<string, unknown>>) => void;
}

/** Point reads in flight at once. */
export const READ_CONCURRENCY = 16;
/** Backoff between read-modify-write attempts: doubles from this, capped at `BACKOFF_MAX_MS`. */
export const BACKOFF_BASE_MS = 20;
export const BACKOFF_MAX_MS = 1000;

/** The mode before anything was ever written: Normal. */
export const INITIAL_MODE: ModeState = { mode: "normal", since: 0, recentFlags: [] };

export const SOURCE_PK_PREFIX = "src-";
export const SOURCE_RK = "state";
export const PROOF_RK = "proof";
export const QUARANTINE_PK = "quarantine";
export const MODE_PK = "mode";
export const LEASE_PK = "lease";
export const CURSOR_PK = "cursor";

interface Key {
  readonly partitionKey: string;
  readonly rowKey: string;
}

const FORBIDDEN_KEY_CHARS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

function checkedKey(partitionKey: string, rowKey: string): Key {
  if (FORBIDDEN_KEY_CHARS.test(partitionKey) || FORBIDDEN_KEY_CHARS.test(rowKey) || rowKey === "") {
    throw new Error(`not a Table storage key: ${JSON.stringify(partitionKey)}/${JSON.stringify(rowKey)}`);
  }
  return { partitionKey, rowKey };
}

export const sourceKey = (src: string): Key => checkedKey(`${SOURCE_PK_PREFIX}${src}`, SOURCE_RK);
export const proofKey = (src: string): Key => checkedKey(`${SOURCE_PK_PREFIX}${src}`, PROOF_RK);
export const quarantineKey = (src: string): Key => checkedKey(QUARANTINE_PK, src);
export const MODE_KEY: Key = Object.freeze({ partitionKey: MODE_PK, rowKey: MODE_PK });
export const LEASE_KEY: Key = Object.freeze({ partitionKey: LEASE_PK, rowKey: LEASE_PK });
export const cursorKey = (blobName: string): Key => ({ partitionKey: CURSOR_PK, rowKey: createHash("sha256").update(blobName).digest("hex") });

const keyName = (k: Key): string => `${k.partitionKey}/${k.rowKey}`;


const REASONS: readonly string[] = ["trw", "vertical", "horizontal", "pairs", "slow", "proven", "remembered"];

function decodeQuarantine(e: TableEntityLike): Quarantine | undefined {
  const src = str(e, "src");
  const reason = str(e, "reason");
  const detectedAt = num(e, "detectedAt");
  const lastSeen = num(e, "lastSeen");
  const probes = num(e, "probes");
  if (src === undefined || reason === undefined || !REASONS.includes(reason) || detectedAt === undefined || lastSeen === undefined || probes === undefined) return undefined;
  return { src, reason: reason as DetectionReason | "remembered", detectedAt, lastSeen, probes };
}

function decodeMode(e: TableEntityLike): Versioned<ModeState> | undefined {
  const version = num(e, "version");
  const mode = str(e, "mode");
  const since = num(e, "since");
  const flags = str(e, "recentFlags");
  if (version === undefined || (mode !== "normal" && mode !== "defence") || since === undefined || flags === undefined) return undefined;
  try {
    const recentFlags = JSON.parse(flags) as unknown;
    if (!Array.isArray(recentFlags) || !recentFlags.every((f) => typeof f === "number")) return undefined;
    return { value: { mode, since, recentFlags: recentFlags as number[] }, version };
  } catch {
    return undefined;
  }
}

function decodeCursor(e: TableEntityLike, blobName: string): Versioned<FlowCursor> | undefined {
  const version = num(e, "version");
  const offset = num(e, "offset");
  const updatedAt = num(e, "updatedAt");
  if (version === undefined || offset === undefined || updatedAt === undefined || str(e, "blobName") !== blobName) return undefined;
  return { value: { offset, updatedAt }, version };
}

/** An SDK failure the store does not handle, with what it was doing. */
export class TableStoreError extends Error {
  override readonly name = "TableStoreError";
}

function withContext(err: unknown, what: string): Error {
  const e = new TableStoreError(`Table storage ${what} failed (status ${statusOf(err) ?? "none"}): ${err instanceof Error ? err.message : String(err)}`);
  (e as { cause?: unknown }).cause = err;
  return e;
}

/** The ETag of an entity read: the service always sends one; without it a write would be unconditional. */
function etagOf(e: TableEntityLike): string {
  if (typeof e.etag !== "string" || e.etag === "") throw new TableStoreError(`Table storage entity ${e.partitionKey ?? "?"}/${e.rowKey ?? "?"} came without an ETag`);
  return e.etag;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The `QuarantineStore` port, the flow-log cursors and the purge on one Table storage table. */
export function tableQuarantineStore(client: TableClientLike, options: TableStoreOptions = {}): QuarantineStore & FlowCursorStore & ExpiredPurge {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const sleep = options.sleep ?? realSleep;
  const attempts = options.attempts ?? 8;
  const log = options.log;

  /** A point read; `undefined` on 404. */
  async function read(k: Key): Promise<TableEntityLike | undefined> {
    try {
      return await client.getEntity(k.partitionKey, k.rowKey);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw withContext(err, `read of ${keyName(k)}`);
    }
  }

  const expired = (e: TableEntityLike): boolean => {
    const at = num(e, "expiresAt");
    return at !== undefined && at < now();
  };

  /** A read through a decoder: expired or malformed entities are absent (the latter logged). */
  async function readLive<T>(k: Key, decode: (e: TableEntityLike) => T | undefined): Promise<{ entity?: TableEntityLike; value?: T }> {
    const entity = await read(k);
    if (entity === undefined || expired(entity)) return { entity };
    const value = decode(entity);
    if (value === undefined) log?.("table-entity-unreadable", { key: keyName(k) });
    return { entity, value };
  }

  /** Create-if-absent, or replace with the ETag given; a lost race is a ConflictError. */
  async function write(entity: TableEntityInput, etag: string | undefined, what: string): Promise<void> {
    try {
      if (etag === undefined) await client.createEntity(entity);
      else await client.updateEntity(entity, "Replace", { etag });
    } catch (err) {
      const s = statusOf(err);
      if (s === 409 || s === 412 || (s === 404 && etag !== undefined)) throw new ConflictError(`${what} changed since it was read`);
      throw withContext(err, `write of ${what}`);
    }
  }

  /**
   * The port's versioned put. Expected `undefined`: create; on 409 the entity there is replaced on
   * its ETag only when it reads as absent (expired or malformed). Expected `n`: a read whose
   * version is `n` (else conflict), then a Replace on its ETag.
   */
  async function versionedPut<T extends { version: number | undefined }>(
    k: Key,
    props: Record<string, unknown>,
    expectedVersion: number | undefined,
    decode: (e: TableEntityLike) => T | undefined,
    expires: boolean,
    what: string,
  ): Promise<void> {
    const entity = { ...k, ...props, version: (expectedVersion ?? 0) + 1 };
    if (expectedVersion === undefined) {
      try {
        await client.createEntity(entity);
        return;
      } catch (err) {
        if (statusOf(err) !== 409) throw withContext(err, `create of ${what}`);
      }
      const there = await read(k);
      if (there === undefined) throw new ConflictError(`${what} was deleted while being created`);
      if ((expires && expired(there)) || decode(there) === undefined) return write(entity, etagOf(there), what);
      throw new ConflictError(`${what} exists (expected none)`);
    }
    const there = await read(k);
    const current = there && decode(there);
    if (there === undefined || current?.version !== expectedVersion) {
      throw new ConflictError(`${what}: version ${current?.version ?? "none"}, expected ${expectedVersion}`);
    }
    return write(entity, etagOf(there), what);
  }

  /** Read-modify-write until it holds or `attempts` run out; `step` returns true when done. */
  async function retrying(what: string, step: () => Promise<boolean>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (await step()) return;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        if (attempt >= attempts) throw new Error(`${what}: still losing races after ${attempt} attempts`);
      }
      await sleep(Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)));
    }
  }

  async function pointReads<T>(srcs: readonly string[], key: (src: string) => Key, decode: (e: TableEntityLike) => T | undefined): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    await eachLimited([...new Set(srcs)], READ_CONCURRENCY, async (src) => {
      const { value } = await readLive(key(src), decode);
      if (value !== undefined) out.set(src, value);
    });
    return out;
  }

  return {
    getSources(srcs) {
      return pointReads(srcs, sourceKey, decodeSource);
    },

    putSource(src, state, expectedVersion, expiresAt) {
      return versionedPut(sourceKey(src), { state: JSON.stringify(state), expiresAt }, expectedVersion, decodeSource, true, `source ${src}`);
    },

    async deleteSource(src) {
      const k = sourceKey(src);
      try {
        await client.deleteEntity(k.partitionKey, k.rowKey);
      } catch (err) {
        if (statusOf(err) !== 404) throw withContext(err, `delete of ${keyName(k)}`);
      }
    },

    getProofs(srcs) {
      return pointReads(srcs, proofKey, decodeProof);
    },

    /** Per proof, a read-modify-write: earlier `first`, later `last` (and its expiry) win; a lost race is retried. */
    async putProofs(proofs) {
      await eachLimited(proofs, READ_CONCURRENCY, ({ src, proof, expiresAt }) =>
        retrying(`proof of ${src}`, async () => {
          const k = proofKey(src);
          const { entity, value } = await readLive(k, decodeProof);
          if (value === undefined) {
            await write({ ...k, first: proof.first, last: proof.last, expiresAt }, entity === undefined ? undefined : etagOf(entity), `proof of ${src}`);
            return true;
          }
          const first = Math.min(value.first, proof.first);
          const later = proof.last > value.last;
          if (first === value.first && !later) return true;
          const keptExpiry = num(entity!, "expiresAt") ?? expiresAt;
          await write({ ...k, first, last: later ? proof.last : value.last, expiresAt: later ? expiresAt : keptExpiry }, etagOf(entity!), `proof of ${src}`);
          return true;
        }),
      );
    },

    /**
     * One query of the quarantine partition, paged, with `expiresAt` filtered server side.
     * Malformed entities are skipped and logged.
     */
    async listQuarantines() {
      const out: Quarantine[] = [];
      const filter = `PartitionKey eq '${QUARANTINE_PK}' and expiresAt ge ${now()}`;
      try {
        for await (const e of client.listEntities({ queryOptions: { filter } })) {
          const q = decodeQuarantine(e);
          if (q) out.push(q);
          else log?.("table-entity-unreadable", { key: `${QUARANTINE_PK}/${e.rowKey ?? "?"}` });
        }
      } catch (err) {
        throw withContext(err, "query of the quarantines");
      }
      return out;
    },

    /**
     * Read-modify-write on the ETag: a live entity keeps its `detectedAt`, `reason` and `probes`
     * and takes the later `lastSeen` (with its expiry); an expired or malformed one is replaced (a
     * re-detection starts afresh). A lost race re-reads, so no writer's source is lost.
     */
    async upsertQuarantine(q, expiresAt) {
      await retrying(`quarantine ${q.src}`, async () => {
        const k = quarantineKey(q.src);
        const { entity, value } = await readLive(k, decodeQuarantine);
        const fresh = { ...k, src: q.src, detectedAt: q.detectedAt, lastSeen: q.lastSeen, reason: q.reason, probes: q.probes, expiresAt };
        if (value === undefined) {
          await write(fresh, entity === undefined ? undefined : etagOf(entity), `quarantine ${q.src}`);
          return true;
        }
        // A later refresh is already there: it covers this one.
        if (value.lastSeen > q.lastSeen) return true;
        await write({ ...fresh, detectedAt: value.detectedAt, reason: value.reason, probes: value.probes }, etagOf(entity!), `quarantine ${q.src}`);
        return true;
      });
    },

    /** With `expectedLastSeen`: a read, then a delete on its ETag; a refresh in between re-reads and answers false. */
    async deleteQuarantine(src, expectedLastSeen) {
      const k = quarantineKey(src);
      let result = true;
      await retrying(`delete of quarantine ${src}`, async () => {
        let etag: string | undefined;
        if (expectedLastSeen !== undefined) {
          const { entity, value } = await readLive(k, decodeQuarantine);
          if (entity === undefined) return true;
          // Expired or unreadable reads as gone: delete it (on its ETag) and answer true.
          if (value !== undefined && value.lastSeen !== expectedLastSeen) {
            result = false;
            return true;
          }
          etag = etagOf(entity);
        }
        try {
          await client.deleteEntity(k.partitionKey, k.rowKey, etag === undefined ? undefined : { etag });
        } catch (err) {
          const s = statusOf(err);
          if (s === 404) return true;
          if (s === 412) throw new ConflictError(`quarantine ${src} changed`);
          throw withContext(err, `delete of ${keyName(k)}`);
        }
        return true;
      });
      return result;
    },

    async getMode() {
      const { value } = await readLive(MODE_KEY, decodeMode);
      return value ?? { value: INITIAL_MODE, version: undefined };
    },

    putMode(state, expectedVersion) {
      return versionedPut(MODE_KEY, { mode: state.mode, since: state.since, recentFlags: JSON.stringify(state.recentFlags) }, expectedVersion, decodeMode, false, "mode");
    },

    async acquireLease(owner, at, ttlSeconds) {
      const entity = { ...LEASE_KEY, owner, until: at + ttlSeconds };
      const there = await read(LEASE_KEY);
      if (there !== undefined) {
        const holder = str(there, "owner");
        const until = num(there, "until");
        // A malformed lease is nobody's: take it.
        if (holder !== undefined && until !== undefined && holder !== owner && until >= at) return false;
      }
      try {
        await write(entity, there === undefined ? undefined : etagOf(there), "lease");
        return true;
      } catch (err) {
        if (err instanceof ConflictError) return false;
        throw err;
      }
    },

    async releaseLease(owner) {
      const there = await read(LEASE_KEY);
      // Gone, or taken over after it expired: no longer ours to delete.
      if (there === undefined || str(there, "owner") !== owner) return;
      try {
        await client.deleteEntity(LEASE_KEY.partitionKey, LEASE_KEY.rowKey, { etag: etagOf(there) });
      } catch (err) {
        const s = statusOf(err);
        if (s !== 404 && s !== 412) throw withContext(err, "release of the lease");
      }
    },

    async getCursor(blobName) {
      const { value } = await readLive(cursorKey(blobName), (e) => decodeCursor(e, blobName));
      return value ?? { value: { offset: 0, updatedAt: 0 }, version: undefined };
    },

    putCursor(blobName, cursor, expectedVersion, expiresAt) {
      return versionedPut(
        cursorKey(blobName),
        { blobName, offset: cursor.offset, updatedAt: cursor.updatedAt, expiresAt },
        expectedVersion,
        (e) => decodeCursor(e, blobName),
        true,
        `cursor of ${blobName}`,
      );
    },

    /**
     * A query of the whole table for `expiresAt lt now` (mode and lease have no `expiresAt`, so
     * they never match), each delete on the ETag read: an entity refreshed since is kept (412).
     */
    async purgeExpired(at, max) {
      let deleted = 0;
      if (max <= 0) return 0;
      const filter = `expiresAt lt ${at}`;
      try {
        for await (const e of client.listEntities({ queryOptions: { filter } })) {
          if (e.partitionKey === undefined || e.rowKey === undefined) continue;
          try {
            await client.deleteEntity(e.partitionKey, e.rowKey, { etag: etagOf(e) });
            deleted++;
          } catch (err) {
            const s = statusOf(err);
            if (s !== 404 && s !== 412) throw withContext(err, `purge of ${e.partitionKey}/${e.rowKey}`);
          }
          if (deleted >= max) break;
        }
      } catch (err) {
        if (err instanceof TableStoreError) throw err;
        throw withContext(err, "query of expired entities");
      }
      return deleted;
    },
  };
}
