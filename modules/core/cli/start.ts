/**
 * `npm start`: validate the config (nothing is written when it is invalid), run `cdktf synth`, check
 * the policy rules on what was synthesized, and print a summary.
 */
import { spawnSync } from "child_process";
import { join, resolve } from "path";
import { ConfigError, loadConfig } from "../config";
import { formatSummary, summarizeOutput } from "../summary";
import { checkStack, formatViolations } from "../policy";

const ROOT = resolve(__dirname, "../../..");

export function start(): number {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`lure: invalid configuration; nothing was synthesized.\n${e.message}`);
      return 1;
    }
    throw e;
  }
  // LURE_OUTDIR lets tests synthesize into a scratch folder.
  const outdir = process.env.LURE_OUTDIR ? resolve(process.env.LURE_OUTDIR) : join(ROOT, "cdktf.out");
  const cdktf = join(ROOT, "node_modules", ".bin", "cdktf");
  const synth = spawnSync(cdktf, ["synth", "--output", outdir], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", DISABLE_VERSION_CHECK: "true", CI: "true" },
  });
  if (synth.status !== 0) {
    console.error(`lure: cdktf synth failed (exit ${synth.status ?? synth.signal})\n${synth.stdout}\n${synth.stderr}`);
    return synth.status ?? 1;
  }
  const stacks = summarizeOutput(outdir);
  console.log(formatSummary(stacks, loaded.config, loaded.file, loaded.warnings));
  const violations = stacks.flatMap((s) => checkStack(s.stack).map((v) => ({ ...v, stack: s.name })));
  if (violations.length > 0) {
    console.error(`\nlure: ${violations.length} policy violation(s):\n${formatViolations(violations)}`);
    return 1;
  }
  console.log(`policy: ${stacks.length} stack(s) checked, no violations`);
  return 0;
}

if (require.main === module) process.exit(start());
