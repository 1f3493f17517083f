/**
 * Logging in the Functions host: one JSON object per line, like the AWS functions, written through
 * the invocation's context so Application Insights files each line under its invocation (operation
 * id) with the matching severity; outside an invocation (cold start) through the console.
 */
import type { Log, LogLevel } from "../core/log";

/** The context methods used (structurally an `InvocationContext` of @azure/functions). */
export interface LogContextLike {
  readonly invocationId: string;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

const line = (level: LogLevel, event: string, fields: Readonly<Record<string, unknown>> | undefined, extra?: Readonly<Record<string, unknown>>): string =>
  JSON.stringify({ level, event, ...fields, ...extra });

/** The log of one invocation; every line carries its invocation id. */
export function invocationLog(context: LogContextLike): Log {
  return (level, event, fields) => {
    const text = line(level, event, fields, { invocationId: context.invocationId });
    if (level === "error") context.error(text);
    else if (level === "warn") context.warn(text);
    else context.info(text);
  };
}

/** For what runs outside an invocation (the Shodan gate is created at cold start). */
export const consoleLog: Log = (level, event, fields) => {
  const text = line(level, event, fields);
  if (level === "error") console.error(text);
  else if (level === "warn") console.warn(text);
  else console.info(text);
};
