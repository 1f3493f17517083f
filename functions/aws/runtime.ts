/**
 * What every watcher function shares at run time: structured logging and a sleep that tests replace.
 * Logs are one JSON object per line so CloudWatch Logs Insights can filter on fields (`event`, `ip`, …).
 */

import type { Log } from "../core/log";

export { errorFields, type Log, type LogLevel } from "../core/log";

/** Writes straight to stdout: `console.log` in Lambda prefixes each line, which breaks JSON parsing. */
export const jsonLog: Log = (level, event, fields) => {
  process.stdout.write(`${JSON.stringify({ level, event, ...fields })}\n`);
};

export function errorName(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && typeof (err as { name?: unknown }).name === "string" ? (err as { name: string }).name : undefined;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
