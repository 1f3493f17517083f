/**
 * A stateful fake of one Table storage table, for the table store's tests: entities with ETags that
 * change on every write, `createEntity` 409 on an existing key, `updateEntity`/`deleteEntity` 412 on
 * a stale ETag and 404 on a missing key, and `listEntities` for exactly the two filters the store
 * sends (anything else throws, so a new query cannot pass untested).
 */
import type { TableClientLike, TableEntityInput, TableEntityLike } from "../../../../functions/azure/quarantine/table-store";

/** An SDK-shaped error: `statusCode` and the service's code. */
export class FakeRestError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
  ) {
    super(`${statusCode} ${code}`);
    this.name = "RestError";
  }
}

interface Stored {
  readonly props: Record<string, string | number | boolean>;
  readonly etag: string;
}

const FORBIDDEN = /[/\\#?\u0000-\u001f\u007f-\u009f]/;
const keyOf = (pk: string, rk: string): string => `${pk}\u0000${rk}`;

export interface TableFake {
  readonly client: TableClientLike;
  /** Every call, as `method pk/rk` or `listEntities <filter>`. */
  readonly calls: string[];
  /** The stored entity (props only), or undefined. */
  peek(pk: string, rk: string): Record<string, unknown> | undefined;
  /** Writes an entity directly (a new ETag), e.g. a malformed one. */
  poke(pk: string, rk: string, props: Record<string, string | number | boolean>): void;
  readonly size: number;
  /** Runs `fn` once, after the next read of this key has been answered but before the caller sees it. */
  afterNextGet(pk: string, rk: string, fn: () => Promise<void>): void;
  /** Runs `fn` once, after the next query took its snapshot but before the first entity is yielded. */
  afterNextQuery(fn: () => Promise<void>): void;
  /** Throws this error on the next call of `method`. */
  failNext(method: keyof TableClientLike, err: unknown): void;
}

export function tableFake(): TableFake {
  const entities = new Map<string, Stored>();
  const calls: string[] = [];
  const getHooks = new Map<string, () => Promise<void>>();
  let queryHook: (() => Promise<void>) | undefined;
  const failures = new Map<string, unknown>();
  let etagCounter = 0;
  const nextEtag = () => `W/"datetime'${++etagCounter}'"`;

  function check(method: string, pk: string, rk: string): void {
    calls.push(`${method} ${pk}/${rk}`);
    const f = failures.get(method);
    if (f !== undefined) {
      failures.delete(method);
      throw f;
    }
    if (FORBIDDEN.test(pk) || FORBIDDEN.test(rk)) throw new FakeRestError(400, "InvalidInput");
  }

  function propsOf(entity: TableEntityInput): Record<string, string | number | boolean> {
    const out: Record<string, string | number | boolean> = {};
    for (const [name, v] of Object.entries(entity)) {
      if (name === "partitionKey" || name === "rowKey") continue;
      if (name === "etag") throw new Error(`table fake: the store wrote an etag property on ${entity.partitionKey}/${entity.rowKey}`);
      if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
        throw new Error(`table fake: property ${name} of ${entity.partitionKey}/${entity.rowKey} is ${typeof v}, not a Table storage type`);
      }
      out[name] = v;
    }
    return out;
  }

  const view = (pk: string, rk: string, s: Stored): TableEntityLike => ({ partitionKey: pk, rowKey: rk, etag: s.etag, ...s.props });

  function matcher(filter: string): (pk: string, props: Record<string, unknown>) => boolean {
    let m = /^PartitionKey eq '([^'/\\#?]*)' and expiresAt ge (\d+)$/.exec(filter);
    if (m) {
      const [, pk, at] = m;
      return (p, props) => p === pk && typeof props.expiresAt === "number" && props.expiresAt >= Number(at);
    }
    m = /^expiresAt lt (\d+)$/.exec(filter);
    if (m) {
      const at = Number(m[1]);
      // OData: a comparison with a property the entity lacks is false.
      return (_p, props) => typeof props.expiresAt === "number" && props.expiresAt < at;
    }
    throw new Error(`table fake: unexpected filter ${JSON.stringify(filter)}`);
  }

  const client: TableClientLike = {
    async getEntity(pk, rk) {
      check("getEntity", pk, rk);
      const s = entities.get(keyOf(pk, rk));
      if (!s) throw new FakeRestError(404, "ResourceNotFound");
      const answer = view(pk, rk, s);
      const hook = getHooks.get(keyOf(pk, rk));
      if (hook) {
        getHooks.delete(keyOf(pk, rk));
        await hook();
      }
      return answer;
    },
    async createEntity(entity) {
      check("createEntity", entity.partitionKey, entity.rowKey);
      const k = keyOf(entity.partitionKey, entity.rowKey);
      if (entities.has(k)) throw new FakeRestError(409, "EntityAlreadyExists");
      entities.set(k, { props: propsOf(entity), etag: nextEtag() });
    },
    async updateEntity(entity, mode, options) {
      check("updateEntity", entity.partitionKey, entity.rowKey);
      if (mode !== "Replace") throw new Error(`table fake: update mode ${String(mode)}`);
      const k = keyOf(entity.partitionKey, entity.rowKey);
      const s = entities.get(k);
      if (!s) throw new FakeRestError(404, "ResourceNotFound");
      if (options.etag !== "*" && options.etag !== s.etag) throw new FakeRestError(412, "UpdateConditionNotSatisfied");
      entities.set(k, { props: propsOf(entity), etag: nextEtag() });
    },
    async deleteEntity(pk, rk, options) {
      check("deleteEntity", pk, rk);
      const k = keyOf(pk, rk);
      const s = entities.get(k);
      if (!s) throw new FakeRestError(404, "ResourceNotFound");
      const etag = options?.etag ?? "*";
      if (etag !== "*" && etag !== s.etag) throw new FakeRestError(412, "UpdateConditionNotSatisfied");
      entities.delete(k);
    },
    listEntities(options) {
      const filter = options.queryOptions.filter;
      calls.push(`listEntities ${filter}`);
      const matches = matcher(filter);
      const f = failures.get("listEntities");
      return {
        async *[Symbol.asyncIterator]() {
          if (f !== undefined) {
            failures.delete("listEntities");
            throw f;
          }
          // Table storage answers in PartitionKey, then RowKey order.
          const sorted = [...entities].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          const snapshot = sorted.flatMap(([k, s]) => {
            const [pk, rk] = k.split("\u0000") as [string, string];
            return matches(pk, s.props) ? [view(pk, rk, s)] : [];
          });
          const hook = queryHook;
          queryHook = undefined;
          if (hook) await hook();
          yield* snapshot;
        },
      };
    },
  };

  return {
    client,
    calls,
    peek: (pk, rk) => {
      const s = entities.get(keyOf(pk, rk));
      return s && { ...s.props };
    },
    poke: (pk, rk, props) => void entities.set(keyOf(pk, rk), { props: { ...props }, etag: nextEtag() }),
    get size() {
      return entities.size;
    },
    afterNextGet: (pk, rk, fn) => void getHooks.set(keyOf(pk, rk), fn),
    afterNextQuery: (fn) => void (queryHook = fn),
    failNext: (method, err) => void failures.set(method, err),
  };
}
