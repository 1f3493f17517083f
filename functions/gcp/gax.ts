/**
 * A guard for the generated Google clients (google-gax): every method starts the client's
 * `initialize()` (credentials, transport stub) WITHOUT awaiting it, as
 * `this.initialize().catch(err => { throw err })`, so a failure there (no credentials, metadata
 * server unreachable) becomes an unhandled rejection that ends the Node process, whatever the
 * caller catches. Awaiting `initialize()` first turns it into an ordinary rejected call, and the
 * method's own call then finds the stub ready (initialize returns the cached promise).
 */

/** A generated client (Compute, Cloud Tasks, Secret Manager). */
export interface GaxClientLike {
  initialize(): Promise<unknown>;
}

/** `client`, once its stub is ready; rejects with what `initialize()` rejected with. */
export async function ready<T extends GaxClientLike>(client: T): Promise<T> {
  await client.initialize();
  return client;
}
