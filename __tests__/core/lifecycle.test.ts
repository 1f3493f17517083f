/**
 * `triggerReference`: `replace_triggered_by` written as Terraform takes it. The cdktf rendering of a
 * resource or token there (`"${…}"`) is what Terraform refuses; `terraform validate` (no provider:
 * `terraform_data` is built in) shows both.
 */
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DataResource, TerraformStack, Testing } from "cdktf";
import { triggerReference } from "../../modules/core/lifecycle";
import type { Json } from "../helpers/synth";

/** A stack whose resource B is replaced with A: by `triggerReference`, or by cdktf's own rendering of A. */
function synth(trigger: "reference" | "cdktf"): Json {
  const stack = new TerraformStack(Testing.app(), "lifecycle");
  const a = new DataResource(stack, "A", { input: { v: "a" } });
  new DataResource(stack, "B", { input: { v: "b" }, lifecycle: { replaceTriggeredBy: [trigger === "reference" ? triggerReference(a, "output") : a] } });
  return JSON.parse(Testing.synth(stack)) as Json;
}

describe("triggerReference", () => {
  it("is <type>.<logical id>.<attribute>, the key the resource has in the synthesized JSON", () => {
    const out = synth("reference");
    const [aName] = Object.keys(out.resource.terraform_data);
    expect(aName).toMatch(/^A$|^A_/);
    expect(out.resource.terraform_data.B.lifecycle).toEqual({ replace_triggered_by: [`terraform_data.${aName}.output`] });
    expect(JSON.stringify(out.resource.terraform_data.B.lifecycle)).not.toContain("${");
  });

  const terraform = spawnSync("terraform", ["version"], { encoding: "utf8" }).status === 0;
  (terraform ? it : it.skip)("terraform validate accepts it and refuses cdktf's interpolation (terraform, no provider)", () => {
    const validate = (stack: Json): { ok: boolean; text: string } => {
      const dir = mkdtempSync(join(tmpdir(), "lure-lifecycle-"));
      try {
        // Only the resources: the synthesized backend and provider blocks are not what is checked.
        writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ resource: stack.resource }));
        const env = { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" };
        const init = spawnSync("terraform", [`-chdir=${dir}`, "init", "-backend=false", "-input=false", "-no-color"], { encoding: "utf8", env });
        const r = init.status === 0 ? spawnSync("terraform", [`-chdir=${dir}`, "validate", "-no-color"], { encoding: "utf8", env }) : init;
        return { ok: r.status === 0, text: `${r.stdout}${r.stderr}` };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    expect(validate(synth("reference"))).toEqual({ ok: true, text: expect.stringContaining("The configuration is valid") });
    expect(validate(synth("cdktf"))).toEqual({ ok: false, text: expect.stringContaining("Invalid character") });
  });
});
