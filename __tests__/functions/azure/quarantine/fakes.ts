/** Shared fixtures of the Azure Quarantine function tests: settings, a store with cursors and purge, blobs, flow-log documents. */
import { DEFAULT_DETECTOR } from "../../../../functions/core/detector";
import { ConflictError, type QuarantineRuntimeConfig, type Versioned } from "../../../../functions/core/quarantine-types";
import type { FlowCursor } from "../../../../functions/azure/quarantine/contract";
import type { BlobRangeReader } from "../../../../functions/azure/quarantine/flow-reader";
import { MemoryStore } from "../../../../functions/local/memory-cloud";
import type { AzureQuarantineStore } from "../../../../functions/azure/quarantine/wiring";

export const SUB = "00000000-0000-0000-0000-000000000000";
export const RG = "lure-rg";
export const GATEWAY_ID = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/applicationGateways/lure-agw`;
export const APP_ID = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.App/containerApps/lure-copies`;
export const FLOW_URL = "https://lureflow.blob.core.windows.net/insights-logs-flowlogflowevent";
export const BLOB = "flowLogResourceID=/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW/FLOWLOGS/FL/y=2026/m=12/d=04/h=13/m=00/macAddress=000D3A000000/PT1H.json";
export const BLOB_URL = `${FLOW_URL}/${BLOB}`;

export const CONFIG: QuarantineRuntimeConfig = {
  prefix: "lure",
  detector: { ...DEFAULT_DETECTOR, allowCidrs: [] },
  mode: { quietPeriodMinutes: 30, forgetOnNormal: true, rememberMinutes: 0, defenceAfterSources: 1, defenceWindowMinutes: 10 },
  steering: { firstPriority: 100, ruleQuota: 40, albRuleLimit: 40, cidrsPerRule: 5 },
  copies: { defenceCount: 2, normalCount: 0 },
};

export const VARS: Record<string, string> = {
  LURE_QUARANTINE: JSON.stringify(CONFIG),
  LURE_CLIENT_ID: "11111111-2222-3333-4444-555555555555",
  LURE_TABLE_URL: "https://lurestate.table.core.windows.net/lurequarantine",
  LURE_GATEWAY_ID: GATEWAY_ID,
  LURE_REWRITE_RULE_SET: "lure-quarantine",
  LURE_COPIES_POOL: "lure-copies",
  LURE_REWRITE_PATH: "/lure-copies{var_uri_path}",
  LURE_COPIES_APP_ID: APP_ID,
  LURE_FLOW_LOG_URL: FLOW_URL,
  LURE_FLOW_QUEUE_NAME: "lure-flow-events",
  LURE_MODE_SCHEDULE: "0 * * * * *",
};

/** The memory store plus a cursor map (conditional like the engine's writes) and a purge that records its calls. */
export class MemoryAzureStore extends MemoryStore implements AzureQuarantineStore {
  readonly cursors = new Map<string, { cursor: FlowCursor; version: number; expiresAt: number }>();
  readonly purges: { now: number; max: number }[] = [];
  private cursorVersion = 1;
  /** Runs once before the next putCursor: a concurrent invocation. */
  beforeNextPut: (() => void) | undefined;

  constructor(clock: () => number) {
    super(clock, () => {});
  }

  async getCursor(blobName: string): Promise<Versioned<FlowCursor>> {
    const c = this.cursors.get(blobName);
    return c ? { value: { ...c.cursor }, version: c.version } : { value: { offset: 0, updatedAt: 0 }, version: undefined };
  }

  async putCursor(blobName: string, cursor: FlowCursor, expectedVersion: number | undefined, expiresAt: number): Promise<void> {
    const f = this.beforeNextPut;
    this.beforeNextPut = undefined;
    f?.();
    if (this.cursors.get(blobName)?.version !== expectedVersion) throw new ConflictError(`cursor of ${blobName} moved`);
    this.cursors.set(blobName, { cursor: { ...cursor }, version: this.cursorVersion++, expiresAt });
  }

  async purgeExpired(now: number, max: number): Promise<number> {
    this.purges.push({ now, max });
    return 0;
  }
}

/** A blob container in memory; every read is recorded. */
export function memoryBlobs(): BlobRangeReader & { blobs: Map<string, Buffer>; reads: { blobName: string; offset: number; count: number }[] } {
  const blobs = new Map<string, Buffer>();
  const reads: { blobName: string; offset: number; count: number }[] = [];
  return {
    blobs,
    reads,
    async read(blobName, offset, count) {
      reads.push({ blobName, offset, count });
      const b = blobs.get(blobName);
      if (!b || offset >= b.length) return undefined;
      return b.subarray(offset, offset + count);
    },
  };
}

/** One flowLogVersion 4 record with these tuples. */
export function flowRecord(tuples: string[], mac = "000D3A000000"): Record<string, unknown> {
  return {
    time: "2026-12-04T13:00:00.0000000Z",
    flowLogVersion: 4,
    flowLogGUID: "66aa66aa-0000-0000-0000-000000000000",
    macAddress: mac,
    category: "FlowLogFlowEvent",
    flowLogResourceID: "/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW/FLOWLOGS/FL",
    targetResourceID: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet",
    operationName: "FlowLogFlowEvent",
    flowRecords: { flows: [{ aclID: "00000000-0000-0000-0000-000000000001", flowGroups: [{ rule: "DefaultRule_DenyAllInBound", flowTuples: tuples }] }] },
  };
}

/** A denied inbound TCP tuple (a FAIL first contact). */
export const denied = (src: string, dport: number, ms: number, dst = "10.0.1.10"): string => `${ms},${src},${dst},40000,${dport},6,I,D,NX,0,0,0,0`;

/**
 * A blob as Network Watcher is assumed to grow it: `{"records":[` + records + `]}`, each commit
 * inserting its records before the closing. Returns the document after each commit, as bytes.
 */
export function commits(...blocks: Record<string, unknown>[][]): Buffer[] {
  const out: Buffer[] = [];
  const parts: string[] = [];
  for (const block of blocks) {
    for (const r of block) parts.push(JSON.stringify(r));
    out.push(Buffer.from(`{"records":[${parts.join(",")}]}`, "utf8"));
  }
  return out;
}

/** The Event Grid event of a commit, as Event Grid writes it to a queue. */
export function blobCreated(contentLength: number, url = BLOB_URL): Record<string, unknown> {
  return {
    topic: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/lureflow`,
    subject: `/blobServices/default/containers/insights-logs-flowlogflowevent/blobs/${BLOB}`,
    eventType: "Microsoft.Storage.BlobCreated",
    id: `evt-${contentLength}`,
    data: { api: "PutBlockList", requestId: "r", eTag: "0x1", contentType: "application/json", contentLength, blobType: "BlockBlob", url, sequencer: "0" },
    dataVersion: "",
    metadataVersion: "1",
    eventTime: "2026-12-04T13:01:00Z",
  };
}
