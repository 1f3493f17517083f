/**
 * The deployment contract of the Azure Quarantine functions: the app settings `AzureQuarantine`
 * (modules/azure/quarantine.ts) writes and `env.ts` reads, the functions' names, and the two things
 * the table store keeps for the Azure functions besides the engine's state: the flow-log cursors and
 * the purge of expired entities (Table storage has no TTL). One file, so the construct and the
 * functions cannot drift.
 */
import type { Versioned } from "../../core/quarantine-types";

/** Names of the app settings lure writes. */
export const AZURE_QUARANTINE_ENV = {
  /** `QuarantineRuntimeConfig` as JSON, the same document the AWS functions get. */
  config: "LURE_QUARANTINE",
  /** Client id of the functions' user-assigned identity. */
  clientId: "LURE_CLIENT_ID",
  /** `https://<account>.table.core.windows.net/<table>`: the state store. */
  tableUrl: "LURE_TABLE_URL",
  /** ARM id of the Application Gateway v2 whose rewrite rule set lure manages. */
  gatewayId: "LURE_GATEWAY_ID",
  /** The rewrite rule set (made by Terraform, its rules ignored by it). */
  rewriteRuleSet: "LURE_REWRITE_RULE_SET",
  /** The copies' backend pool of that gateway. */
  copiesPool: "LURE_COPIES_POOL",
  /** The path lure's rules rewrite to (the path map sends it to the copies' pool). */
  rewritePath: "LURE_REWRITE_PATH",
  /** ARM id of the copies' Container App (its replica counts are the function's). */
  copiesAppId: "LURE_COPIES_APP_ID",
  /** `https://<account>.blob.core.windows.net/insights-logs-flowlogflowevent`: the VNet flow log's container. */
  flowLogUrl: "LURE_FLOW_LOG_URL",
  /** Binding expressions, resolved by the host (and checked by env.ts so a bad one fails loudly). */
  flowQueueName: "LURE_FLOW_QUEUE_NAME",
  modeSchedule: "LURE_MODE_SCHEDULE",
} as const;

/** Names the functions are registered under. */
export const QUARANTINE_FUNCTION_NAMES = { detector: "detector", mode: "mode" } as const;

/** Identity-based connection of the queue Event Grid writes the flow log's BlobCreated events to. */
export const FLOW_QUEUE_CONNECTION = "LURE_FLOW_QUEUE";

/** The container Network Watcher writes VNet flow logs to (its name is Azure's, not lure's). */
export const FLOW_LOG_CONTAINER = "insights-logs-flowlogflowevent";

/** How far one PT1H.json blob has been read. */
export interface FlowCursor {
  /** Byte offset where the unread part begins (the document's closing `]}` is never "read": new blocks replace it). */
  readonly offset: number;
  /** Unix seconds of the write. */
  readonly updatedAt: number;
}

/** Cursors per blob, with the same conditional semantics as the engine's store. */
export interface FlowCursorStore {
  /** The blob's cursor; `{ offset: 0 }` with version `undefined` when it has none. */
  getCursor(blobName: string): Promise<Versioned<FlowCursor>>;
  /** Write if the version is still `expectedVersion` (undefined: must not exist); else `ConflictError`. */
  putCursor(blobName: string, cursor: FlowCursor, expectedVersion: number | undefined, expiresAt: number): Promise<void>;
}

/** Table storage keeps every entity until it is deleted: the mode function purges what has expired. */
export interface ExpiredPurge {
  /** Deletes up to `max` entities whose `expiresAt` is before `now` (Unix seconds); returns how many. */
  purgeExpired(now: number, max: number): Promise<number>;
}
