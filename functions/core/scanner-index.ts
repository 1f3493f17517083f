/**
 * The port every scanner index (Shodan today, Censys or others later) implements. Handlers depend on
 * this, never on an index's client library, so a second index is one more adapter.
 */

/** One service banner the index holds for a host. */
export interface IndexBanner {
  readonly port: number;
  readonly transport: "tcp" | "udp";
  /** When the index saw it, ISO 8601 UTC. Absent when the index does not say. */
  readonly seenAt?: string;
  readonly product?: string;
  readonly tags: readonly string[];
}

/** What an index knows about one IP. */
export interface IndexHost {
  readonly ip: string;
  /** Host-level tags, e.g. Shodan's "honeypot", "cloud". */
  readonly tags: readonly string[];
  /** Last time the index updated this host, ISO 8601 UTC. */
  readonly lastUpdate?: string;
  readonly banners: readonly IndexBanner[];
}

export type LookupResult =
  | {
      readonly kind: "found";
      readonly host: IndexHost;
      /** Likelihood (0–1) the index's honeypot heuristic gives; absent when not asked or not allowed. */
      readonly honeyscore?: number;
      /** The index's answer as received, kept in the results store. */
      readonly raw: unknown;
    }
  | { readonly kind: "not-found" };

export interface ScannerIndex {
  /** Short name used in results and alerts ("shodan"). */
  readonly name: string;
  /**
   * Look one IP up. Resolves "not-found" when the index has nothing; rejects with
   * `IndexConfigError` (bad or missing key, plan too small: retrying cannot help) or
   * `IndexUnavailableError` (throttled, server error, timeout after the adapter's own retries:
   * the message should go back to the queue).
   */
  lookup(ip: string): Promise<LookupResult>;
}

/** The index refuses our credentials (401/403) or none are set. Alert once; do not retry. */
export class IndexConfigError extends Error {
  readonly kind = "config" as const;
  constructor(
    message: string,
    /** HTTP status when there was one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = "IndexConfigError";
  }
}

/** The index did not answer usefully after retries (429, 5xx, timeout, network). Retry later. */
export class IndexUnavailableError extends Error {
  readonly kind = "unavailable" as const;
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "IndexUnavailableError";
  }
}
