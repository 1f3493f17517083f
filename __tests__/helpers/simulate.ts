/**
 * A scratch folder for `lure simulate` tests: the default config with the Quarantine settings the
 * fixtures are made for (Defence at the first source, copies on ECS), and the CLI run in-process.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main, type SimulationResult } from "../../functions/local/simulate";

export const ROOT = resolve(__dirname, "../..");
export const SIMULATE_SETTINGS = { quietPeriodMinutes: 30, forgetOnNormal: true, firstRulePriority: 100, defenceAfter: { sources: 1, windowMinutes: 5 }, copies: { kind: "ecs", defenceCount: 2, normalCount: 0 } };

export interface SimulateSandbox {
  /** The config file (`--config`); set in `beforeAll`. */
  readonly config: () => string;
  run(argv: string[]): Promise<{ code: number; out: string; err: string }>;
  /** `--json` on `file` with the sandbox's config; expects a clean exit. */
  json(file: string, extra?: string[]): Promise<SimulationResult>;
  /** Writes `data` into the folder and returns the path. */
  write(name: string, data: string | Buffer): string;
}

/** Registers the folder's `beforeAll`/`afterAll` and returns its tools. */
export function simulateSandbox(label: string): SimulateSandbox {
  let dir = "";
  let config = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `lure-simulate-${label}-`));
    const base = JSON.parse(readFileSync(resolve(ROOT, "lure.config.json"), "utf8"));
    delete base.$schema;
    config = join(dir, "lure.config.json");
    writeFileSync(config, JSON.stringify({ ...base, quarantine: { ...base.quarantine, ...SIMULATE_SETTINGS } }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (argv: string[]) => {
    let out = "";
    let err = "";
    const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
    return { code, out, err };
  };
  return {
    config: () => config,
    run,
    async json(file, extra = []) {
      const r = await run(["--input", file, "--config", config, "--json", ...extra]);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      return JSON.parse(r.out) as SimulationResult;
    },
    write(name, data) {
      const file = join(dir, name);
      writeFileSync(file, data);
      return file;
    },
  };
}
