/**
 * Reading the engine's state back from a cloud's document store (DynamoDB-like items, Table storage
 * entities, Firestore documents): the fields the stores write the same way on every cloud. Each
 * decoder answers `undefined` for a malformed record, which the store then treats as absent.
 */
import type { AddressProof, SourceState, Versioned } from "./quarantine-types";

/** A stored record's fields by name. */
export type StoredFields = Readonly<Record<string, unknown>>;

/** A finite number field, else undefined. */
export const numberField = (r: StoredFields, name: string): number | undefined => {
  const v = r[name];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
};

/** A string field, else undefined. */
export const stringField = (r: StoredFields, name: string): string | undefined => (typeof r[name] === "string" ? (r[name] as string) : undefined);

/** A source's detector state: `version` and the state as JSON text in `state` (it must carry `lastSeen`). */
export function decodeSourceFields(r: StoredFields): Versioned<SourceState> | undefined {
  const version = numberField(r, "version");
  const json = stringField(r, "state");
  if (version === undefined || json === undefined) return undefined;
  try {
    const state = JSON.parse(json) as unknown;
    if (typeof state !== "object" || state === null || typeof (state as SourceState).lastSeen !== "number") return undefined;
    return { value: state as SourceState, version };
  } catch {
    return undefined;
  }
}

/** A source's proofs of address: `first` and `last`. */
export function decodeProofFields(r: StoredFields): AddressProof | undefined {
  const first = numberField(r, "first");
  const last = numberField(r, "last");
  return first === undefined || last === undefined ? undefined : { first, last };
}
