/**
 * The Azure Quarantine functions' dependencies built from their clients, shared by index.ts (real
 * SDK clients) and the tests (strict fakes), so what is tested is the wiring that runs; and what the
 * two handlers share (options, the engine's log, the rules as logged).
 *
 * @example
 * const credential = new ManagedIdentityCredential({ clientId: env.clientId, ...clientOptions() });
 * const deps = quarantineDeps(env, {
 *   applicationGateways: new NetworkManagementClient(credential, env.gateway.subscriptionId, clientOptions()).applicationGateways,
 *   containerApps: new ContainerAppsAPIClient(credential, env.copiesApp.subscriptionId, clientOptions()).containerApps,
 *   flowLog: new ContainerClient(env.flowLogUrl, credential, storageOptions()),
 *   store: tableQuarantineStore(...), // QuarantineStore & FlowCursorStore & ExpiredPurge
 * });
 */
import type { EngineDeps, ReconcileReport } from "../../core/quarantine";
import type { Log } from "../../core/log";
import type { CopiesPort, QuarantineStore } from "../../core/quarantine-types";
import type { ExpiredPurge, FlowCursorStore } from "./contract";
import { containerAppCopies, type ContainerAppsApi } from "./copies";
import type { AzureQuarantineEnv } from "./env";
import { containerBlobReader, type FlowContainerLike } from "./flow-blobs";
import type { BlobRangeReader } from "./flow-reader";
import { gatewaySteering, type ApplicationGatewaysApi, type GatewaySteering } from "./gateway-steering";

/** The store the Azure functions need: the engine's state, the flow-log cursors and the purge. */
export type AzureQuarantineStore = QuarantineStore & FlowCursorStore & ExpiredPurge;

/** One instance's clients, created once at cold start. */
export interface AzureQuarantineClients {
  /** `NetworkManagementClient.applicationGateways`. */
  readonly applicationGateways: ApplicationGatewaysApi;
  /** `ContainerAppsAPIClient.containerApps`. */
  readonly containerApps: ContainerAppsApi;
  /** `ContainerClient` on `LURE_FLOW_LOG_URL`. */
  readonly flowLog: FlowContainerLike;
  /** The table store (written elsewhere), over `LURE_TABLE_URL`. */
  readonly store: AzureQuarantineStore;
}

/** The cloud side of the engine and of the flow reader. */
export interface AzureQuarantineDeps {
  readonly store: AzureQuarantineStore;
  /** Batches changes: `flush()` after the engine returns (the mode handler does). */
  readonly steering: GatewaySteering;
  readonly copies: CopiesPort;
  readonly blobs: BlobRangeReader;
}

/** The adapters of this deployment over the given clients. Throws on steering options the gateway would refuse. */
export function quarantineDeps(env: AzureQuarantineEnv, clients: AzureQuarantineClients, log?: (event: string, fields: Readonly<Record<string, unknown>>) => void): AzureQuarantineDeps {
  return {
    store: clients.store,
    steering: gatewaySteering(clients.applicationGateways, {
      resourceGroup: env.gateway.resourceGroup,
      gatewayName: env.gateway.name,
      rewriteRuleSetName: env.rewriteRuleSet,
      copiesPoolName: env.copiesPool,
      rewritePath: env.rewritePath,
      prefix: env.config.prefix,
      steering: env.config.steering,
      ...(log ? { log } : {}),
    }),
    copies: containerAppCopies(clients.containerApps, env.copiesApp),
    blobs: containerBlobReader(clients.flowLog),
  };
}

/** The invocation context's parts the handlers use (structurally an `InvocationContext` of @azure/functions). */
export interface HandlerContext {
  readonly invocationId: string;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface HandlerOptions {
  /** The log of one invocation. @default invocationLog(context) (log.ts) */
  readonly log?: (context: HandlerContext) => Log;
  /** Unix seconds, for the engine, the cursors and the purge. @default the wall clock */
  readonly now?: () => number;
}

/** Unix seconds now. */
export const wallClock = (): number => Math.floor(Date.now() / 1000);

/** A reconciliation in a log line (a delete has no CIDRs); the same shape as the AWS functions log. */
export interface RulesSummary {
  readonly skipped: boolean;
  readonly changes: readonly { readonly kind: string; readonly priority: number; readonly cidrs?: readonly string[] }[];
  readonly steered: number;
  readonly evicted: readonly string[];
  readonly capacity: number;
  readonly waiting: readonly string[];
  readonly ruleQuotaReached: boolean;
}

export function rulesSummary(r: ReconcileReport): RulesSummary {
  return {
    skipped: r.skipped,
    changes: r.changes.map((c) => (c.kind === "delete" ? { kind: c.kind, priority: c.priority } : { kind: c.kind, priority: c.priority, cidrs: c.cidrs })),
    steered: r.steered,
    evicted: r.evicted,
    capacity: r.capacity,
    waiting: r.waiting,
    ruleQuotaReached: r.ruleQuotaReached,
  };
}

/** Sources left unsteered for lack of rules, or a rule set that refuses rules, need attention. */
export const rulesNeedAttention = (r: RulesSummary): boolean => r.evicted.length > 0 || r.ruleQuotaReached;

/** Engine events that need someone's attention (as on AWS). */
const WARN_EVENTS = new Set(["quarantine-evicted", "reconcile-unsettled", "rule-quota-reached"]);

/** The engine's log on the invocation's log. */
export function engineLog(log: Log): NonNullable<EngineDeps["log"]> {
  return (event, fields) => log(WARN_EVENTS.has(event) ? "warn" : "info", event, fields);
}
