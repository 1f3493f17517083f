/** The generated watcher history and the report made from it, once per test file. */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DEFAULT_DEPS, main, type ReportDeps } from "../../modules/core/report/cli";
import { writeFixture, type FixtureTruth } from "../../modules/core/report/fixture";

export interface FixtureRun {
  readonly dir: string;
  readonly truth: FixtureTruth;
  readonly out: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Captures the CLI's streams; everything else is the CLI's own. */
export function capturingDeps(over: Partial<ReportDeps> = {}): ReportDeps & { readonly out: string[]; readonly err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { ...DEFAULT_DEPS, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), ...over, out, err };
}

/** Writes the fixture into a fresh folder and runs `npm run report` on it (in-process). */
export async function runFixtureReport(extraArgs: readonly string[] = []): Promise<FixtureRun> {
  const dir = mkdtempSync(join(tmpdir(), "lure-report-test-"));
  const truth = writeFixture(join(dir, "fixture"));
  const out = join(dir, "out");
  const deps = capturingDeps();
  const code = await main(["--results", truth.history, "--events", truth.eventsFile, "--now", truth.now, "--out", out, ...extraArgs], deps);
  return { dir, truth, out, code, stdout: deps.out.join("\n"), stderr: deps.err.join("\n") };
}

export function removeRun(run: FixtureRun | undefined): void {
  if (run) rmSync(run.dir, { recursive: true, force: true });
}
