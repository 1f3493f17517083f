/**
 * The README picture: the report of the generated fixture, as Chromium shows it, in
 * `modules/core/report/example.png`. Run `node --require tsx/cjs modules/core/report/example.ts`.
 */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DEFAULT_DEPS, main } from "./cli";
import { screenshot } from "./chromium";
import { writeFixture } from "./fixture";

/** Where the picture goes. */
export const EXAMPLE_PNG = join(__dirname, "example.png");

/** Generates the fixture, runs the CLI on it and screenshots the page; resolves the PNG's path. */
export async function makeExample(png = EXAMPLE_PNG): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "lure-report-example-"));
  try {
    const truth = writeFixture(join(dir, "fixture"));
    const out = join(dir, "out");
    const quiet = { stdout: () => undefined };
    const code = await main(["--results", truth.history, "--events", truth.eventsFile, "--out", out, "--now", truth.now], { ...DEFAULT_DEPS, ...quiet });
    if (code !== 0) throw new Error(`the report failed (exit ${code})`);
    screenshot(join(out, "report.html"), png, { width: 1280, height: 3000 });
    return png;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  makeExample().then(
    (png) => process.stdout.write(`wrote ${png}\n`),
    (e) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
