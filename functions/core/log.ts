/**
 * The structured log every watcher function writes, whatever the cloud: one event name and the
 * fields needed to follow it up, so log queries can filter on `event`, `ip`, …
 */

export type LogLevel = "info" | "warn" | "error";

/** One log line: `event` names what happened; `fields` carry the ids needed to follow it up. */
export type Log = (level: LogLevel, event: string, fields?: Readonly<Record<string, unknown>>) => void;

/** The parts of an error worth logging; never the stack of an SDK error (long, and it says little). */
export function errorFields(err: unknown): { readonly error: string; readonly message: string } {
  if (err instanceof Error) return { error: err.name, message: err.message };
  return { error: "NonError", message: String(err) };
}
