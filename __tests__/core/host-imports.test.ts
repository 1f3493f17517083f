/** The host generator stays cloud-neutral: no CDK, no provider, and no new reach into modules/aws. */
import { spawnSync } from "child_process";
import { readdirSync, readFileSync } from "fs";
import { join } from "path";

const DIR = join(__dirname, "../../modules/core/host");
const imports = readdirSync(DIR)
  .filter((f) => f.endsWith(".ts"))
  .flatMap((f) => [...readFileSync(join(DIR, f), "utf8").matchAll(/from\s+["']([^"']+)["']/g)].map((m) => `${f}: ${m[1]}`));

test("no cdktf, constructs or provider import", () => {
  expect(imports.filter((i) => /: (cdktf|constructs|@cdktf\/)/.test(i))).toEqual([]);
});

test("nothing from modules/aws: the shared Elastic and catalog helpers live in modules/core", () => {
  expect(imports.filter((i) => i.includes("/aws/"))).toEqual([]);
});

test("loading the generator loads no CDK and no provider module (in a fresh node, as synth does)", () => {
  const root = join(__dirname, "../..");
  const script = "require('./modules/core/host'); process.stdout.write(JSON.stringify(Object.keys(require.cache)))";
  const child = spawnSync(process.execPath, ["--require", "tsx/cjs", "-e", script], { cwd: root, encoding: "utf8" });
  expect(child.status).toBe(0);
  const loaded = JSON.parse(child.stdout) as string[];
  expect(loaded.some((k) => k.includes("modules/core/host"))).toBe(true);
  expect(loaded.filter((k) => /node_modules[\\/](cdktf|constructs|@cdktf)[\\/]/.test(k))).toEqual([]);
});
