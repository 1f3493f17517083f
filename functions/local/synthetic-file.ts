/**
 * A large seeded flow-log file, written piece by piece so that a day of a busy VPC never sits in
 * memory: for `bench/simulate-e2e.ts` and the large-input tests of `lure simulate`.
 *
 * ```ts
 * writeSyntheticFile("/tmp/day.log", { seed: 1, lines: 10_000_000, format: "aws-v2", arrivalJitterSeconds: 120 });
 * ```
 *
 * The file is `ceil(lines / chunkLines)` consecutive chunks of (nearly) equal size; chunk k is one
 * `syntheticFlowLines` call with seed `seed + k` and its own slice of the day
 * (`start + k · durationSeconds / chunks`), so every chunk has its own benign clients and scanners.
 */
import { closeSync, openSync, writeFileSync } from "node:fs";
import { syntheticFlowLines, type SyntheticOptions } from "./synthetic";

export interface SyntheticFileOptions extends Omit<SyntheticOptions, "start" | "durationSeconds"> {
  /** Lines per `syntheticFlowLines` call, at most. @default 1000000 */
  readonly chunkLines?: number;
  /** First flow start, Unix seconds. @default 1700000000 */
  readonly start?: number;
  /** Event time the whole file spans, seconds; each chunk gets an equal slice. @default 86400 */
  readonly durationSeconds?: number;
}

/** Lines written per `writeSync`: joining a whole chunk would double its memory for nothing. */
const WRITE_LINES = 10_000;

/** Writes the file (replacing it); returns its size. */
export function writeSyntheticFile(path: string, o: SyntheticFileOptions): { readonly lines: number; readonly bytes: number } {
  const { chunkLines = 1_000_000, start = 1_700_000_000, durationSeconds = 86_400, ...options } = o;
  if (!(Number.isInteger(chunkLines) && chunkLines > 0)) throw new RangeError(`chunkLines: ${chunkLines} must be a positive integer`);
  const chunks = Math.max(1, Math.ceil(o.lines / chunkLines));
  const slice = Math.floor(durationSeconds / chunks);
  const fd = openSync(path, "w");
  let bytes = 0;
  try {
    for (let k = 0; k < chunks; k++) {
      // The remainder goes to the first chunks, one line each, so that no chunk is too small for its scans.
      const lines = Math.floor(o.lines / chunks) + (k < o.lines % chunks ? 1 : 0);
      const g = syntheticFlowLines({ ...options, seed: o.seed + k, lines, start: start + k * slice, durationSeconds: slice });
      for (let i = 0; i < g.lines.length; i += WRITE_LINES) {
        const text = `${g.lines.slice(i, i + WRITE_LINES).join("\n")}\n`;
        writeFileSync(fd, text);
        bytes += Buffer.byteLength(text);
      }
    }
  } finally {
    closeSync(fd);
  }
  return { lines: o.lines, bytes };
}
