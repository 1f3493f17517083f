/**
 * Adapter: the Quarantine's shared state in one DynamoDB table (hash key `pk`, range key `sk`, both
 * strings; TTL on `expiresAt`).
 *
 * | pk            | sk       | attributes                                                        |
 * |---------------|----------|-------------------------------------------------------------------|
 * | `src#<ip>`    | `state`  | `state` (detector state as JSON), `version`, `expiresAt`          |
 * | `src#<ip>`    | `proof`  | `first`, `last` (proofs of address, Unix s), `expiresAt`          |
 * | `quarantine`  | `<ip>`   | `src`, `detectedAt`, `lastSeen`, `reason`, `probes`, `expiresAt`  |
 * | `mode`        | `mode`   | `mode`, `since`, `recentFlags`, `version`                         |
 * | `lease`       | `lease`  | `owner`, `until`                                                  |
 *
 * Source states get a partition each (they are many and spread the write load); the quarantines
 * share one, so listing them is a single Query that never touches a source state.
 *
 * Every read the engine bases a conditional write on is strongly consistent. Attribute names always
 * go through `ExpressionAttributeNames`: several of them (`state`, `mode`, `owner`, `until`…) are
 * DynamoDB reserved words.
 *
 * @example
 * const store = dynamoQuarantineStore(new DynamoDBClient(sdkClientConfig()), env.table);
 */
import {
  BatchGetItemCommand,
  type ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { ConflictError, type DetectionReason, type ModeState, type Quarantine, type QuarantineStore, type SourceState, type Versioned } from "../../core/quarantine-types";
import { chunks, errorName, sleep as realSleep } from "../runtime";

type Item = Record<string, AttributeValue>;

export interface DynamoStoreOptions {
  /** Unix seconds; hides quarantines past their `expiresAt` (TTL deletes them lazily, up to days late). @default the wall clock */
  readonly now?: () => number;
  /** @default a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** BatchGetItem calls per chunk of keys before unprocessed keys are an error. @default 8 */
  readonly batchAttempts?: number;
}

/** BatchGetItem takes at most 100 keys per call. */
export const BATCH_GET_MAX_KEYS = 100;
/** Backoff before re-asking for unprocessed keys: doubles from this, capped at `BATCH_BACKOFF_MAX_MS`. */
export const BATCH_BACKOFF_BASE_MS = 50;
export const BATCH_BACKOFF_MAX_MS = 1000;

/** The mode before anything was ever written: Normal. */
export const INITIAL_MODE: ModeState = { mode: "normal", since: 0, recentFlags: [] };

/** The primary key of one item of the table. */
export interface TableKey {
  /** Hash key. */
  readonly pk: string;
  /** Range key. */
  readonly sk: string;
}

/** `pk` prefix of a source's detector state. */
export const SOURCE_PK_PREFIX = "src#";
/** `sk` of a source's detector state (one item per source partition). */
export const SOURCE_SK = "state";
/** `sk` of a source's proofs of address, beside its state. */
export const PROOF_SK = "proof";
/** Proof updates in flight at once: a batch can bring thousands of new clients. */
export const PROOF_WRITE_CONCURRENCY = 16;
/** `pk` of the one partition that holds every quarantine, keyed by source in `sk`. */
export const QUARANTINE_PK = "quarantine";

/** Key of a source's detector state. */
export const sourceKey = (src: string): TableKey => ({ pk: `${SOURCE_PK_PREFIX}${src}`, sk: SOURCE_SK });
/** Key of a source's proofs of address. */
export const proofKey = (src: string): TableKey => ({ pk: `${SOURCE_PK_PREFIX}${src}`, sk: PROOF_SK });
/** Key of a source's quarantine. */
export const quarantineKey = (src: string): TableKey => ({ pk: QUARANTINE_PK, sk: src });
/** Key of the mode item. */
export const MODE_KEY: TableKey = Object.freeze({ pk: "mode", sk: "mode" });
/** Key of the reconciliation lease. */
export const LEASE_KEY: TableKey = Object.freeze({ pk: "lease", sk: "lease" });

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

/**
 * A key as DynamoDB takes it (`Key`, or the key attributes of an `Item`), `pk` first:
 * `JSON.stringify(dynamoKey(MODE_KEY))` is `{"pk":{"S":"mode"},"sk":{"S":"mode"}}`, the `--key` of
 * `aws dynamodb get-item`.
 */
export const dynamoKey = (k: TableKey): Record<"pk" | "sk", AttributeValue> => ({ pk: S(k.pk), sk: S(k.sk) });

/** How an item is named in errors. */
const itemName = (item: Item): string => `${item.pk?.S ?? "?"}/${item.sk?.S ?? "?"}`;

const isConditionFailed = (err: unknown): boolean => errorName(err) === "ConditionalCheckFailedException";

function str(item: Item, name: string): string {
  const v = item[name]?.S;
  if (v === undefined) throw new Error(`DynamoDB item ${itemName(item)} has no string attribute ${name}`);
  return v;
}

function num(item: Item, name: string): number {
  const v = Number(item[name]?.N);
  if (item[name]?.N === undefined || !Number.isFinite(v)) throw new Error(`DynamoDB item ${itemName(item)} has no number attribute ${name}`);
  return v;
}

/** The condition of a versioned write: the item is still the version read (or still absent). */
function versionCondition(expectedVersion: number | undefined): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Item;
} {
  if (expectedVersion === undefined) return { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": "pk" } };
  return { ConditionExpression: "#version = :expected", ExpressionAttributeNames: { "#version": "version" }, ExpressionAttributeValues: { ":expected": N(expectedVersion) } };
}

function parseSource(item: Item): Versioned<SourceState> {
  let state: unknown;
  try {
    state = JSON.parse(str(item, "state"));
  } catch (err) {
    throw new Error(`DynamoDB item ${itemName(item)}: state is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof state !== "object" || state === null || typeof (state as SourceState).lastSeen !== "number") {
    throw new Error(`DynamoDB item ${itemName(item)}: state has no numeric lastSeen`);
  }
  return { value: state as SourceState, version: num(item, "version") };
}

function parseQuarantine(item: Item): Quarantine {
  return {
    src: str(item, "src"),
    detectedAt: num(item, "detectedAt"),
    lastSeen: num(item, "lastSeen"),
    reason: str(item, "reason") as DetectionReason | "remembered",
    probes: num(item, "probes"),
  };
}

/** The `QuarantineStore` port on a DynamoDB table. The client's own retries cover throttling. */
export function dynamoQuarantineStore(client: DynamoDBClient, table: string, options: DynamoStoreOptions = {}): QuarantineStore {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const sleep = options.sleep ?? realSleep;
  const batchAttempts = options.batchAttempts ?? 8;

  /** One BatchGetItem chunk, re-asking for what DynamoDB left unprocessed; never drops a key. */
  async function batchGet(keys: Item[]): Promise<Item[]> {
    const items: Item[] = [];
    let pending = keys;
    for (let attempt = 1; ; attempt++) {
      const res = await client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }));
      items.push(...(res.Responses?.[table] ?? []));
      pending = res.UnprocessedKeys?.[table]?.Keys ?? [];
      if (pending.length === 0) return items;
      if (attempt >= batchAttempts) {
        throw new Error(`DynamoDB left ${pending.length} of ${keys.length} keys of ${table} unprocessed after ${attempt} BatchGetItem calls (throughput exceeded?)`);
      }
      await sleep(Math.min(BATCH_BACKOFF_MAX_MS, BATCH_BACKOFF_BASE_MS * 2 ** (attempt - 1)));
    }
  }

  async function versionedPut(item: Item, expectedVersion: number | undefined, what: string): Promise<void> {
    try {
      await client.send(new PutItemCommand({ TableName: table, Item: { ...item, version: N((expectedVersion ?? 0) + 1) }, ...versionCondition(expectedVersion) }));
    } catch (err) {
      if (isConditionFailed(err)) {
        throw new ConflictError(`${what} changed since it was read (expected ${expectedVersion === undefined ? "no item" : `version ${expectedVersion}`})`);
      }
      throw err;
    }
  }

  return {
    async getSources(srcs) {
      const out = new Map<string, Versioned<SourceState>>();
      // BatchGetItem refuses a request with the same key twice.
      const unique = [...new Set(srcs)];
      for (const chunk of chunks(unique, BATCH_GET_MAX_KEYS)) {
        for (const item of await batchGet(chunk.map((src) => dynamoKey(sourceKey(src))))) {
          // Expired states are returned with their version: hiding them would make the next
          // "create" write fail on the item TTL has not yet deleted. Idleness is the detector's call.
          out.set(str(item, "pk").slice(SOURCE_PK_PREFIX.length), parseSource(item));
        }
      }
      return out;
    },

    putSource(src, state, expectedVersion, expiresAt) {
      return versionedPut({ ...dynamoKey(sourceKey(src)), state: S(JSON.stringify(state)), expiresAt: N(expiresAt) }, expectedVersion, `source ${src}`);
    },

    async deleteSource(src) {
      await client.send(new DeleteItemCommand({ TableName: table, Key: dynamoKey(sourceKey(src)) }));
    },

    async getProofs(srcs) {
      const out = new Map<string, { first: number; last: number }>();
      const at = now();
      for (const chunk of chunks([...new Set(srcs)], BATCH_GET_MAX_KEYS)) {
        for (const item of await batchGet(chunk.map((src) => dynamoKey(proofKey(src))))) {
          // TTL deletes lazily: an expired proof no longer counts.
          if (num(item, "expiresAt") < at) continue;
          out.set(str(item, "pk").slice(SOURCE_PK_PREFIX.length), { first: num(item, "first"), last: num(item, "last") });
        }
      }
      return out;
    },

    /**
     * Per proof, one conditional update that moves `last` (and the expiry) forward only; when the
     * stored `first` it returns is later than ours (records arrive out of order), a second one moves
     * `first` back. A lost race is never an error: the other writer's values are the later ones.
     */
    async putProofs(proofs) {
      const writeOne = async ({ src, proof, expiresAt }: (typeof proofs)[number]): Promise<void> => {
        const Key = dynamoKey(proofKey(src));
        let old: Item | undefined;
        try {
          const res = await client.send(
            new UpdateItemCommand({
              TableName: table,
              Key,
              UpdateExpression: "SET #first = if_not_exists(#first, :first), #last = :last, #expiresAt = :expiresAt",
              ConditionExpression: "attribute_not_exists(#last) OR #last < :last",
              ExpressionAttributeNames: { "#first": "first", "#last": "last", "#expiresAt": "expiresAt" },
              ExpressionAttributeValues: { ":first": N(proof.first), ":last": N(proof.last), ":expiresAt": N(expiresAt) },
              ReturnValues: "UPDATED_OLD",
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            }),
          );
          old = res.Attributes;
        } catch (err) {
          if (!isConditionFailed(err)) throw err;
          old = (err as ConditionalCheckFailedException).Item;
        }
        if (old?.first?.N === undefined || Number(old.first.N) <= proof.first) return;
        try {
          await client.send(
            new UpdateItemCommand({
              TableName: table,
              Key,
              UpdateExpression: "SET #first = :first",
              ConditionExpression: "#first > :first",
              ExpressionAttributeNames: { "#first": "first" },
              ExpressionAttributeValues: { ":first": N(proof.first) },
            }),
          );
        } catch (err) {
          if (!isConditionFailed(err)) throw err;
        }
      };
      for (const chunk of chunks(proofs, PROOF_WRITE_CONCURRENCY)) await Promise.all(chunk.map(writeOne));
    },

    /**
     * One strongly consistent Query of the quarantine partition, paginated: it reads the
     * quarantines and nothing else, however many source states the table holds (a Scan would read
     * them all on every batch; a GSI is eventually consistent only, and could miss a quarantine
     * another invocation just wrote, so the reconciler would drop its rule). One partition is
     * enough: it serves 3,000 read and 1,000 write units a second, while a few thousand items of
     * ~200 bytes are ~150 strongly consistent read units per full list, and each batch writes one
     * refresh per quarantined source it saw. TTL deletes lazily (up to days late), so expired
     * items are filtered out server side; they are still read (and paid for) until then.
     */
    async listQuarantines() {
      const out: Quarantine[] = [];
      let start: Item | undefined;
      do {
        const res = await client.send(
          new QueryCommand({
            TableName: table,
            ConsistentRead: true,
            KeyConditionExpression: "#pk = :q",
            FilterExpression: "#expiresAt >= :now",
            ExpressionAttributeNames: { "#pk": "pk", "#expiresAt": "expiresAt" },
            ExpressionAttributeValues: { ":q": S(QUARANTINE_PK), ":now": N(now()) },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of res.Items ?? []) out.push(parseQuarantine(item));
        start = res.LastEvaluatedKey;
      } while (start !== undefined);
      return out;
    },

    /**
     * Two conditional writes at most, neither of which can lose a concurrent writer's data:
     * 1. an update of a new or live item: `lastSeen`/`expiresAt` only move forward, `detectedAt`,
     *    `reason` and `probes` keep the first writer's values;
     * 2. when that condition fails, the item is either newer (nothing to do) or expired but not yet
     *    removed by TTL: a put replaces only the expired one, so a re-detection starts afresh.
     */
    async upsertQuarantine(q, expiresAt) {
      const qKey = dynamoKey(quarantineKey(q.src));
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: qKey,
            UpdateExpression:
              "SET #src = :src, #lastSeen = :lastSeen, #expiresAt = :expiresAt, #detectedAt = if_not_exists(#detectedAt, :detectedAt), #reason = if_not_exists(#reason, :reason), #probes = if_not_exists(#probes, :probes)",
            ConditionExpression: "attribute_not_exists(#pk) OR (#expiresAt >= :now AND #lastSeen <= :lastSeen)",
            ExpressionAttributeNames: {
              "#pk": "pk",
              "#src": "src",
              "#lastSeen": "lastSeen",
              "#expiresAt": "expiresAt",
              "#detectedAt": "detectedAt",
              "#reason": "reason",
              "#probes": "probes",
            },
            ExpressionAttributeValues: {
              ":src": S(q.src),
              ":lastSeen": N(q.lastSeen),
              ":expiresAt": N(expiresAt),
              ":detectedAt": N(q.detectedAt),
              ":reason": S(q.reason),
              ":probes": N(q.probes),
              ":now": N(now()),
            },
          }),
        );
        return;
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: { ...qKey, src: S(q.src), detectedAt: N(q.detectedAt), lastSeen: N(q.lastSeen), reason: S(q.reason), probes: N(q.probes), expiresAt: N(expiresAt) },
            ConditionExpression: "attribute_not_exists(#pk) OR #expiresAt < :now",
            ExpressionAttributeNames: { "#pk": "pk", "#expiresAt": "expiresAt" },
            ExpressionAttributeValues: { ":now": N(now()) },
          }),
        );
      } catch (err) {
        // A live item with a later lastSeen: the other writer's refresh already covers this one.
        if (!isConditionFailed(err)) throw err;
      }
    },

    /**
     * With `expectedLastSeen`, conditional on the item's `lastSeen`: a batch that refreshed the source
     * after the caller read it wins, and the quarantine stays. An item already gone fails that
     * condition too (a missing attribute equals nothing): the refusal then carries no old item, which
     * tells "gone" (true) from "refreshed" (false) without a second request.
     */
    async deleteQuarantine(src, expectedLastSeen) {
      const Key = dynamoKey(quarantineKey(src));
      if (expectedLastSeen === undefined) {
        await client.send(new DeleteItemCommand({ TableName: table, Key }));
        return true;
      }
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: table,
            Key,
            ConditionExpression: "#lastSeen = :v",
            ExpressionAttributeNames: { "#lastSeen": "lastSeen" },
            ExpressionAttributeValues: { ":v": N(expectedLastSeen) },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        return true;
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        return (err as ConditionalCheckFailedException).Item === undefined;
      }
    },

    async getMode() {
      const res = await client.send(new GetItemCommand({ TableName: table, Key: dynamoKey(MODE_KEY), ConsistentRead: true }));
      const item = res.Item;
      if (!item) return { value: INITIAL_MODE, version: undefined };
      const mode = str(item, "mode");
      if (mode !== "normal" && mode !== "defence") throw new Error(`DynamoDB item ${itemName(item)}: mode is ${JSON.stringify(mode)}`);
      const flags = (item.recentFlags?.L ?? []).map((f) => Number(f.N));
      return { value: { mode, since: num(item, "since"), recentFlags: flags }, version: num(item, "version") };
    },

    putMode(state, expectedVersion) {
      return versionedPut({ ...dynamoKey(MODE_KEY), mode: S(state.mode), since: N(state.since), recentFlags: { L: state.recentFlags.map(N) } }, expectedVersion, "mode");
    },

    async acquireLease(owner, at, ttlSeconds) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: { ...dynamoKey(LEASE_KEY), owner: S(owner), until: N(at + ttlSeconds) },
            ConditionExpression: "attribute_not_exists(#pk) OR #until < :now OR #owner = :owner",
            ExpressionAttributeNames: { "#pk": "pk", "#until": "until", "#owner": "owner" },
            ExpressionAttributeValues: { ":now": N(at), ":owner": S(owner) },
          }),
        );
        return true;
      } catch (err) {
        if (isConditionFailed(err)) return false;
        throw err;
      }
    },

    async releaseLease(owner) {
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: table,
            Key: dynamoKey(LEASE_KEY),
            ConditionExpression: "#owner = :owner",
            ExpressionAttributeNames: { "#owner": "owner" },
            ExpressionAttributeValues: { ":owner": S(owner) },
          }),
        );
      } catch (err) {
        // Gone, or taken over after it expired: either way it is no longer ours to delete.
        if (!isConditionFailed(err)) throw err;
      }
    },
  };
}
