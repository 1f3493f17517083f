/**
 * What the two handlers share: the cloud side of the engine they run over, their options, the
 * clock, and the engine's log and rules as logged. No SDK is imported here, so the handlers can be
 * tested over fakes without loading the Google clients.
 */
import type { Log } from "../../core/log";
import type { CopiesPort, QuarantineStore, SteeringPort } from "../../core/quarantine-types";

/** The cloud side of the engine (wiring.ts builds it from the real clients). */
export interface GcpQuarantineDeps {
  readonly store: QuarantineStore;
  readonly steering: SteeringPort;
  readonly copies: CopiesPort;
}

export interface HandlerOptions {
  /** Where the handler's lines go. @default nothing (wiring.ts passes the structured stdout log) */
  readonly log?: Log;
  /** Unix seconds, for the engine. @default the wall clock */
  readonly now?: () => number;
}

/** Unix seconds now. */
export const wallClock = (): number => Math.floor(Date.now() / 1000);

export { engineLog, rulesNeedAttention, rulesSummary, type RulesSummary } from "../../core/quarantine-report";
