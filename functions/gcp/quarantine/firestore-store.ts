/**
 * Adapter: the Google Cloud Quarantine's shared state in Firestore (Native mode, database
 * `LURE_DATABASE`), with the semantics of the DynamoDB and Table storage stores.
 *
 * | collection    | document   | fields                                                              |
 * |---------------|------------|---------------------------------------------------------------------|
 * | `sources`     | `<ip>`     | `state` (detector state as JSON), `version`, `expireAt`             |
 * | `proofs`      | `<ip>`     | `first`, `last` (proofs of address, Unix s), `expireAt`             |
 * | `quarantines` | `<ip>`     | `src`, `detectedAt`, `lastSeen`, `reason`, `probes`, `expireAt`     |
 * | `control`     | `mode`     | `mode`, `since`, `recentFlags` (array of numbers), `version`        |
 * | `control`     | `lease`    | `owner`, `until`, `expireAt`                                        |
 *
 * Document ids are the addresses as given (digits, hex, `.`, `:`; never `/`). The detector state is
 * stored as JSON text: Firestore refuses arrays of arrays, which the state may hold.
 *
 * Expiry: `expireAt` (`FIRESTORE_TTL_FIELD`) is written as a Timestamp (a `Date`, which the SDK stores
 * as one) and Terraform's TTL policy deletes documents past it, but TTL deletes lag by up to a day
 * (clouds-2026.md §5 item 10), so every read treats a document past its `expireAt` as absent. The mode
 * never expires; the lease's `expireAt` is a day after it ends (clean-up only, the lease is judged by
 * `until`).
 *
 * Every read-modify-write is a Firestore transaction (`runTransaction`): the SDK re-runs the function
 * when the transaction is aborted by contention, so a concurrent writer of the same document is
 * re-read, never overwritten. Conditional writes use the `version` field: `putSource`/`putMode` write
 * only when the live document's version is `expectedVersion` (undefined: no live document), else
 * `ConflictError` (thrown inside the transaction, so nothing is written). A new version is
 * `max(stored version + 1, now in ms)`: a document deleted or expired and written again never reuses
 * a version a slow writer may still hold. A transaction that keeps aborting until the SDK gives up
 * (ABORTED) is a `ConflictError` for the conditional puts (the engine re-reads); a merge (quarantine,
 * proof, delete, lease release) runs again after a jittered backoff, up to {@link ABORT_ROUNDS} times,
 * then fails. Malformed documents read as absent and are logged (`firestore-document-unreadable`).
 *
 * Errors other than these are rethrown as `FirestoreStoreError` with what was being done (the SDK
 * already retries UNAVAILABLE and friends); the handler then fails the invocation so it is retried.
 *
 * @example
 * const store = firestoreQuarantineStore(new Firestore({ projectId, databaseId }), { log });
 */
import { eachLimited } from "../../core/limited";
import { ConflictError, type DetectionReason, type ModeState, type Quarantine, type QuarantineStore, type Versioned } from "../../core/quarantine-types";
import { decodeProofFields as decodeProof, decodeSourceFields as decodeSource, numberField as num, stringField as str } from "../../core/stored-state";
import { FIRESTORE_COLLECTIONS, FIRESTORE_TTL_FIELD } from "./contract";
import { codeOf, errorText, GRPC, realSleep } from "./google-errors";

/** A document's fields as read or written. */
export type Fields = Record<string, unknown>;

/** The parts of a `DocumentSnapshot` read. */
export interface SnapshotLike {
  readonly id: string;
  readonly exists: boolean;
  data(): Fields | undefined;
}

/** The parts of a `DocumentReference` used. */
export interface DocRefLike {
  readonly id: string;
  get(): Promise<SnapshotLike>;
}

/** The parts of a `CollectionReference` used. */
export interface CollectionLike<Ref extends DocRefLike = DocRefLike> {
  doc(id: string): Ref;
  get(): Promise<{ readonly docs: readonly SnapshotLike[] }>;
}

/** The parts of a `Transaction` used (reads come before writes, as Firestore requires). */
export interface TransactionLike<Ref extends DocRefLike = DocRefLike> {
  get(ref: Ref): Promise<SnapshotLike>;
  set(ref: Ref, data: Fields): unknown;
  delete(ref: Ref): unknown;
}

/**
 * The parts of `Firestore` used (tests pass a stateful fake; see the check at the end), over the
 * client's own document reference type `Ref`.
 */
export interface FirestoreLike<Ref extends DocRefLike = DocRefLike> {
  collection(path: string): CollectionLike<Ref>;
  getAll(...refs: Ref[]): Promise<SnapshotLike[]>;
  runTransaction<T>(fn: (tx: TransactionLike<Ref>) => Promise<T>, options?: { maxAttempts?: number }): Promise<T>;
}

export interface FirestoreStoreOptions {
  /** Unix seconds; hides documents past their `expireAt`. @default the wall clock */
  readonly now?: () => number;
  /** Attempts of one transaction (the SDK's `maxAttempts`). @default 5 (the SDK's default) */
  readonly maxAttempts?: number;
  /** Runs of a merge's transaction when the SDK gave up on contention. @default ABORT_ROUNDS */
  readonly abortRounds?: number;
  /** @default a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** [0, 1), the backoff's jitter. @default Math.random */
  readonly random?: () => number;
  /** Told about documents that could not be read (treated as absent). @default none */
  readonly log?: (event: string, fields: Readonly<Record<string, unknown>>) => void;
}

/** The mode before anything was ever written: Normal. */
export const INITIAL_MODE: ModeState = { mode: "normal", since: 0, recentFlags: [] };
export const MODE_DOC = "mode";
export const LEASE_DOC = "lease";
/** How long a released or expired lease document is kept before the TTL policy may delete it. */
export const LEASE_KEEP_SECONDS = 86_400;
/** Runs of a merge's transaction after the SDK gave up on contention, and the backoff between them. */
export const ABORT_ROUNDS = 3;
export const ABORT_BACKOFF_MS = 100;
export const ABORT_BACKOFF_MAX_MS = 2000;
/** Reads and transactions in flight at once for a batch of sources. */
export const CONCURRENCY = 16;

/** An SDK failure the store does not handle, with what it was doing. */
export class FirestoreStoreError extends Error {
  override readonly name = "FirestoreStoreError";
}

function withContext(err: unknown, what: string): Error {
  if (err instanceof ConflictError || err instanceof FirestoreStoreError) return err;
  const e = new FirestoreStoreError(`Firestore ${what} failed (code ${codeOf(err) ?? "none"}): ${errorText(err)}`);
  (e as { cause?: unknown }).cause = err;
  return e;
}


/** A Timestamp (`toMillis`), a Date, or Unix seconds, as Unix milliseconds; undefined when none. */
export function millisOf(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "object" && v !== null && typeof (v as { toMillis?: unknown }).toMillis === "function") return (v as { toMillis(): number }).toMillis();
  if (typeof v === "number" && Number.isFinite(v)) return v * 1000;
  return undefined;
}

/** `expireAt` for Unix seconds: a Date, which the SDK stores as a Timestamp (what a TTL policy needs). */
const expireAt = (unixSeconds: number): Date => new Date(unixSeconds * 1000);

/** A reason as the engine writes them (`trw`, `agent`, `remembered`…): any short lower-case word, so a reason added to the core later is not read as a malformed document. */
const REASON = /^[a-z][a-z-]{0,31}$/;

function decodeQuarantine(d: Fields): Quarantine | undefined {
  const src = str(d, "src");
  const reason = str(d, "reason");
  const detectedAt = num(d, "detectedAt");
  const lastSeen = num(d, "lastSeen");
  const probes = num(d, "probes");
  if (src === undefined || reason === undefined || !REASON.test(reason) || detectedAt === undefined || lastSeen === undefined || probes === undefined) return undefined;
  return { src, reason: reason as DetectionReason | "remembered", detectedAt, lastSeen, probes };
}

function decodeMode(d: Fields): Versioned<ModeState> | undefined {
  const version = num(d, "version");
  const mode = str(d, "mode");
  const since = num(d, "since");
  const flags = d.recentFlags;
  if (version === undefined || (mode !== "normal" && mode !== "defence") || since === undefined) return undefined;
  if (!Array.isArray(flags) || !flags.every((f) => typeof f === "number" && Number.isFinite(f))) return undefined;
  return { value: { mode, since, recentFlags: [...(flags as number[])] }, version };
}

/** The `QuarantineStore` port on one Firestore database. */
export function firestoreQuarantineStore<Ref extends DocRefLike>(db: FirestoreLike<Ref>, options: FirestoreStoreOptions = {}): QuarantineStore {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const maxAttempts = options.maxAttempts ?? 5;
  const abortRounds = options.abortRounds ?? ABORT_ROUNDS;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const log = options.log;
  const C = FIRESTORE_COLLECTIONS;
  const ref = (collection: string, id: string): Ref => {
    if (id === "" || id.includes("/") || id === "." || id === ".." || /^__.*__$/.test(id)) throw new Error(`not a Firestore document id: ${JSON.stringify(id)}`);
    return db.collection(collection).doc(id);
  };
  const modeRef = () => ref(C.control, MODE_DOC);
  const leaseRef = () => ref(C.control, LEASE_DOC);

  const expired = (d: Fields): boolean => {
    const at = millisOf(d[FIRESTORE_TTL_FIELD]);
    return at !== undefined && at < now() * 1000;
  };

  /** A snapshot through a decoder: missing or expired documents are absent; malformed ones too (logged). */
  function live<T>(s: SnapshotLike, collection: string, decode: (d: Fields) => T | undefined): T | undefined {
    if (!s.exists) return undefined;
    const d = s.data() ?? {};
    if (expired(d)) return undefined;
    const value = decode(d);
    if (value === undefined) log?.("firestore-document-unreadable", { collection, id: s.id });
    return value;
  }

  /** The version stored in a snapshot, live or not (a new version is always above it). */
  const storedVersion = (s: SnapshotLike): number => (s.exists ? (num(s.data() ?? {}, "version") ?? 0) : 0);
  const nextVersion = (s: SnapshotLike): number => Math.max(storedVersion(s) + 1, now() * 1000);

  /**
   * One transaction. When the SDK gives up on contention (ABORTED after `maxAttempts`), a
   * conditional put is a ConflictError at once (the engine re-reads); a merge waits a jittered
   * backoff and runs again, up to `abortRounds` times, so a burst of writers of one document is
   * serialised rather than failed.
   */
  async function transaction<T>(what: string, fn: (tx: TransactionLike<Ref>) => Promise<T>, conflictOnAbort: boolean): Promise<T> {
    for (let round = 1; ; round++) {
      try {
        return await db.runTransaction(fn, { maxAttempts });
      } catch (err) {
        const aborted = !(err instanceof ConflictError) && codeOf(err) === GRPC.ABORTED;
        if (aborted && conflictOnAbort) throw new ConflictError(`${what}: the transaction kept losing to concurrent writers (${errorText(err)})`);
        if (!aborted || round >= abortRounds) throw withContext(err, what);
        await sleep(Math.round(Math.min(ABORT_BACKOFF_MAX_MS, ABORT_BACKOFF_MS * 2 ** (round - 1)) * (0.5 + random() / 2)));
      }
    }
  }

  /** The port's versioned put, in one transaction. */
  function versionedPut<T extends { version: number | undefined }>(
    r: Ref,
    collection: string,
    fields: Fields,
    expectedVersion: number | undefined,
    decode: (d: Fields) => T | undefined,
    what: string,
  ): Promise<void> {
    return transaction(
      `write of ${what}`,
      async (tx) => {
        const s = await tx.get(r);
        const current = live(s, collection, decode)?.version;
        if (current !== expectedVersion) throw new ConflictError(`${what}: version ${current ?? "none"}, expected ${expectedVersion ?? "none"}`);
        tx.set(r, { ...fields, version: nextVersion(s) });
      },
      true,
    );
  }

  async function readMany<T>(collection: string, srcs: readonly string[], decode: (d: Fields) => T | undefined): Promise<Map<string, T>> {
    const unique = [...new Set(srcs)];
    const out = new Map<string, T>();
    if (unique.length === 0) return out;
    let snaps: SnapshotLike[];
    try {
      snaps = await db.getAll(...unique.map((s) => ref(collection, s)));
    } catch (err) {
      throw withContext(err, `read of ${unique.length} ${collection}`);
    }
    snaps.forEach((s, i) => {
      const v = live(s, collection, decode);
      if (v !== undefined) out.set(unique[i]!, v);
    });
    return out;
  }

  return {
    getSources(srcs) {
      return readMany(C.sources, srcs, decodeSource);
    },

    putSource(src, state, expectedVersion, expiresAt) {
      return versionedPut(ref(C.sources, src), C.sources, { state: JSON.stringify(state), [FIRESTORE_TTL_FIELD]: expireAt(expiresAt) }, expectedVersion, decodeSource, `source ${src}`);
    },

    async deleteSource(src) {
      const r = ref(C.sources, src);
      await transaction(`delete of source ${src}`, async (tx) => {
        tx.delete(r);
      }, false);
    },

    getProofs(srcs) {
      return readMany(C.proofs, srcs, decodeProof);
    },

    /** Per proof, a transaction: the earlier `first` and the later `last` (with its expiry) win. */
    async putProofs(proofs) {
      await eachLimited(proofs, CONCURRENCY, ({ src, proof, expiresAt }) => {
        const r = ref(C.proofs, src);
        return transaction(`write of the proof of ${src}`, async (tx) => {
          const s = await tx.get(r);
          const there = live(s, C.proofs, decodeProof);
          if (there === undefined) {
            tx.set(r, { first: proof.first, last: proof.last, [FIRESTORE_TTL_FIELD]: expireAt(expiresAt) });
            return;
          }
          const first = Math.min(there.first, proof.first);
          const later = proof.last > there.last;
          if (first === there.first && !later) return;
          const kept = s.data()?.[FIRESTORE_TTL_FIELD] ?? expireAt(expiresAt);
          tx.set(r, { first, last: later ? proof.last : there.last, [FIRESTORE_TTL_FIELD]: later ? expireAt(expiresAt) : kept });
        }, false);
      });
    },

    /** One read of the collection; expired and malformed documents are left out (the latter logged). */
    async listQuarantines() {
      let docs: readonly SnapshotLike[];
      try {
        docs = (await db.collection(C.quarantines).get()).docs;
      } catch (err) {
        throw withContext(err, "read of the quarantines");
      }
      const out: Quarantine[] = [];
      for (const s of docs) {
        const q = live(s, C.quarantines, decodeQuarantine);
        if (q) out.push(q);
      }
      return out;
    },

    /**
     * In a transaction: a live quarantine keeps its `detectedAt`, `reason` and `probes` (the first
     * detection wins) and takes the later `lastSeen` with its expiry; a later one already stored
     * covers this one; an absent, expired or malformed one is replaced.
     */
    async upsertQuarantine(q, expiresAt) {
      const r = ref(C.quarantines, q.src);
      await transaction(`write of quarantine ${q.src}`, async (tx) => {
        const there = live(await tx.get(r), C.quarantines, decodeQuarantine);
        const fresh = { src: q.src, detectedAt: q.detectedAt, lastSeen: q.lastSeen, reason: q.reason, probes: q.probes, [FIRESTORE_TTL_FIELD]: expireAt(expiresAt) };
        if (there === undefined) {
          tx.set(r, fresh);
          return;
        }
        if (there.lastSeen > q.lastSeen) return;
        tx.set(r, { ...fresh, detectedAt: there.detectedAt, reason: there.reason, probes: there.probes });
      }, false);
    },

    /** In a transaction: with `expectedLastSeen`, only when the live document still has it (else false). */
    async deleteQuarantine(src, expectedLastSeen) {
      const r = ref(C.quarantines, src);
      return transaction(`delete of quarantine ${src}`, async (tx) => {
        const s = await tx.get(r);
        if (!s.exists) return true;
        const there = live(s, C.quarantines, decodeQuarantine);
        // Expired or unreadable reads as gone: delete it and answer true.
        if (expectedLastSeen !== undefined && there !== undefined && there.lastSeen !== expectedLastSeen) return false;
        tx.delete(r);
        return true;
      }, false);
    },

    async getMode() {
      let s: SnapshotLike;
      try {
        s = await modeRef().get();
      } catch (err) {
        throw withContext(err, "read of the mode");
      }
      return live(s, C.control, decodeMode) ?? { value: INITIAL_MODE, version: undefined };
    },

    putMode(state, expectedVersion) {
      return versionedPut(modeRef(), C.control, { mode: state.mode, since: state.since, recentFlags: [...state.recentFlags] }, expectedVersion, decodeMode, "mode");
    },

    /** In a transaction: free, expired or ours → take it (until `at + ttlSeconds`); someone else's unexpired one → false. */
    async acquireLease(owner, at, ttlSeconds) {
      const r = leaseRef();
      try {
        return await transaction("acquire of the lease", async (tx) => {
          const s = await tx.get(r);
          const d = s.exists ? (s.data() ?? {}) : {};
          const holder = str(d, "owner");
          const until = num(d, "until");
          // A malformed lease is nobody's: take it.
          if (holder !== undefined && until !== undefined && holder !== owner && until >= at) return false;
          tx.set(r, { owner, until: at + ttlSeconds, [FIRESTORE_TTL_FIELD]: expireAt(at + ttlSeconds + LEASE_KEEP_SECONDS) });
          return true;
        }, true);
      } catch (err) {
        if (err instanceof ConflictError) return false;
        throw err;
      }
    },

    /** In a transaction: deleted only while it is still `owner`'s. */
    async releaseLease(owner) {
      const r = leaseRef();
      await transaction("release of the lease", async (tx) => {
        const s = await tx.get(r);
        if (s.exists && str(s.data() ?? {}, "owner") === owner) tx.delete(r);
      }, false);
    },
  };
}

// Compile-time check that the SDK's client fits the interface above.
type SdkFirestore = import("@google-cloud/firestore").Firestore;
type SdkDocumentReference = import("@google-cloud/firestore").DocumentReference;
type Fits<T extends FirestoreLike<SdkDocumentReference>> = T;
/** `Firestore` of @google-cloud/firestore, proven to fit `FirestoreLike`. */
export type SdkFirestoreFit = Fits<SdkFirestore>;
