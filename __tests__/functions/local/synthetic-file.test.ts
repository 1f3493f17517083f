import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syntheticFlowLines } from "../../../functions/local/synthetic";
import { writeSyntheticFile } from "../../../functions/local/synthetic-file";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lure-synthetic-file-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("writeSyntheticFile", () => {
  it("writes consecutive seeded chunks, each a syntheticFlowLines call over its slice of the span", () => {
    const file = join(dir, "day.log");
    const o = { seed: 9, lines: 7001, format: "aws-custom", chunkLines: 2500, durationSeconds: 3 * 3600, arrivalJitterSeconds: 30 } as const;
    const written = writeSyntheticFile(file, o);
    const text = readFileSync(file, "utf8");
    expect(written).toEqual({ lines: 7001, bytes: Buffer.byteLength(text) });
    // 3 chunks of 2334, 2334 and 2333 lines, an hour each.
    const chunk = (k: number, lines: number) =>
      syntheticFlowLines({ seed: 9 + k, lines, format: "aws-custom", start: 1_700_000_000 + k * 3600, durationSeconds: 3600, arrivalJitterSeconds: 30 }).lines;
    expect(text).toBe(`${[...chunk(0, 2334), ...chunk(1, 2334), ...chunk(2, 2333)].join("\n")}\n`);
  });
});
