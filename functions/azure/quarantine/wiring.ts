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

export { engineLog, rulesNeedAttention, rulesSummary, type RulesSummary } from "../../core/quarantine-report";
