/**
 * The whole app synthesized as `npm start` does it: every stack `createStacks` makes for a config, in
 * one App (so cdktf's cross-stack pass runs), written to a temporary folder and read back. Its own file:
 * it loads every cloud's provider, which tests of one cloud should not pay for.
 */
import { App } from "cdktf";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { createStacks } from "../../main";
import type { LureConfig } from "../../modules/core/config";
import type { Json } from "./synth";

/** Each stack's `cdk.tf.json`, keyed by stack name in the order `createStacks` made them. */
export function synthApp(config: LureConfig): Record<string, Json> {
  const outdir = mkdtempSync(join(tmpdir(), "lure-app-"));
  try {
    const app = new App({ outdir });
    const stacks = createStacks(app, config);
    app.synth();
    return Object.fromEntries(stacks.map((s) => [s.node.id, JSON.parse(readFileSync(join(outdir, "stacks", s.node.id, "cdk.tf.json"), "utf8")) as Json]));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
