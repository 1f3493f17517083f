/**
 * `terraform validate` on synthesized stacks, offline: uses a local provider mirror (the machine's
 * /opt/tf-plugins, or LURE_TF_MIRROR). Where terraform or the mirror is missing, callers skip.
 */
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import type { Json } from "./synth";

export const MIRROR = process.env.LURE_TF_MIRROR ?? "/opt/tf-plugins";
const AWS_DIR = join(MIRROR, "registry.terraform.io", "hashicorp", "aws");

export function terraformAvailable(): { ok: true; awsVersion: string } | { ok: false; why: string } {
  if (spawnSync("terraform", ["version"], { encoding: "utf8" }).status !== 0) return { ok: false, why: "no terraform binary" };
  if (!existsSync(AWS_DIR)) return { ok: false, why: `no AWS provider in ${MIRROR}` };
  const versions = readdirSync(AWS_DIR).sort();
  return versions.length > 0 ? { ok: true, awsVersion: versions[versions.length - 1] } : { ok: false, why: "empty mirror" };
}

export interface Diagnostic { severity: string; summary: string; detail?: string; address?: string }

/** A directory initialised once against the mirror; `validate` swaps the configuration in it. */
export class Validator {
  private readonly dir = mkdtempSync(join(tmpdir(), "lure-tfv-"));
  private readonly env: NodeJS.ProcessEnv;
  private initialised = false;

  constructor(private readonly awsVersion: string) {
    const rc = join(this.dir, "terraformrc");
    writeFileSync(rc, `provider_installation {\n  filesystem_mirror {\n    path    = "${MIRROR}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`);
    this.env = { ...process.env, TF_CLI_CONFIG_FILE: rc, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
  }

  validate(stack: Json): { valid: boolean; diagnostics: Diagnostic[] } {
    const copy = JSON.parse(JSON.stringify(stack)) as Json;
    // The bindings pin the provider they were generated from; validate against the mirrored one.
    copy.terraform.required_providers.aws.version = this.awsVersion;
    delete copy.terraform.backend;
    writeFileSync(join(this.dir, "main.tf.json"), JSON.stringify(copy));
    if (!this.initialised) {
      const init = spawnSync("terraform", ["init", "-backend=false", "-input=false", "-no-color"], { cwd: this.dir, env: this.env, encoding: "utf8" });
      if (init.status !== 0) throw new Error(`terraform init failed:\n${init.stdout}\n${init.stderr}`);
      this.initialised = true;
    }
    const v = spawnSync("terraform", ["validate", "-json", "-no-color"], { cwd: this.dir, env: this.env, encoding: "utf8" });
    const out = JSON.parse(v.stdout) as { valid: boolean; diagnostics: Diagnostic[] };
    return { valid: out.valid, diagnostics: out.diagnostics };
  }
}
