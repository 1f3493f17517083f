/**
 * The app command's TypeScript loader (modules/core/cli/synth-preload.js, used without tsx): it
 * compiles a project .ts file as tsx would (same esbuild, same tsconfig), resolves extensionless
 * imports to .ts files, and the second load comes from its cache without starting esbuild. Provider
 * bindings run stripped of comments and whitespace, and synthesize exactly what they do unstripped.
 */
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { ROOT } from "../helpers/synth";

const PRELOAD = join(ROOT, "modules", "core", "cli", "synth-preload.js");
let dir: string;
beforeAll(() => {
  // Inside the project, as the app's files are (the loader's tsconfig is the project's).
  dir = mkdtempSync(join(ROOT, "node_modules", ".cache", "lure-preload-test-"));
  writeFileSync(join(dir, "dep.ts"), "export enum Mode { Normal = 'normal', Defence = 'defence' }\nexport type Unused = { a: number };\n");
  writeFileSync(
    join(dir, "main.ts"),
    [
      'import { Mode, type Unused } from "./dep";',
      "class Counter { count = 1; readonly step: number; constructor(step: number) { this.step = step; } }",
      "const c = new Counter(2);",
      "const u: Unused | undefined = undefined;",
      'const esbuildLoaded = Object.keys(require.cache).some((k) => k.includes("/node_modules/esbuild/"));',
      "console.log(JSON.stringify({ mode: Mode.Defence, fields: Object.keys(c), u: u ?? null, esbuildLoaded }));",
    ].join("\n"),
  );
  // Plain CommonJS, so that the same file runs with and without the preload.
  writeFileSync(
    join(dir, "binding.js"),
    [
      'const { App, TerraformStack, Testing } = require("cdktf");',
      'const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");',
      'const { S3Bucket } = require("@cdktf/provider-aws/lib/s3-bucket");',
      'const { SecurityGroup } = require("@cdktf/provider-aws/lib/security-group");',
      "const stack = new TerraformStack(Testing.app(), 's');",
      "new AwsProvider(stack, 'aws', { region: 'eu-west-2' });",
      "const bucket = new S3Bucket(stack, 'b', { bucket: 'lure-test', tags: { a: 'b' } });",
      "new SecurityGroup(stack, 'sg', { name: bucket.id, ingress: [{ fromPort: 22, toPort: 22, protocol: 'tcp', cidrBlocks: ['10.0.0.0/8'] }] });",
      'const esbuildLoaded = Object.keys(require.cache).some((k) => k.includes("/node_modules/esbuild/"));',
      "console.log(JSON.stringify({ synth: Testing.synth(stack), jsdoc: S3Bucket.toString().includes('/**'), esbuildLoaded }));",
    ].join("\n"),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = () => spawnSync(process.execPath, ["--require", PRELOAD, join(dir, "main.ts")], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });

test("compiles TypeScript (enums, type-only imports, class fields as defined properties) and loads it from the cache the second time", () => {
  const first = run();
  expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: "" });
  expect(JSON.parse(first.stdout)).toEqual({ mode: "defence", fields: ["count", "step"], u: null, esbuildLoaded: true });
  const second = run();
  expect(second.status).toBe(0);
  expect(JSON.parse(second.stdout)).toEqual({ mode: "defence", fields: ["count", "step"], u: null, esbuildLoaded: false });
});

test("runs provider bindings without their comments, and they synthesize byte-identical JSON", () => {
  const node = (args: string[]) => spawnSync(process.execPath, [...args, join(dir, "binding.js")], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
  const plain = node([]);
  expect({ status: plain.status, stderr: plain.stderr }).toEqual({ status: 0, stderr: "" });
  const unstripped = JSON.parse(plain.stdout);
  expect(unstripped.jsdoc).toBe(true);
  const preloaded = node(["--require", PRELOAD]);
  expect({ status: preloaded.status, stderr: preloaded.stderr }).toEqual({ status: 0, stderr: "" });
  const stripped = JSON.parse(preloaded.stdout);
  expect(stripped.jsdoc).toBe(false);
  expect(stripped.synth).toBe(unstripped.synth);
  expect(JSON.parse(stripped.synth).resource.aws_security_group.sg.ingress[0].from_port).toBe(22);
  // The stripped copy is cached: the next run needs no esbuild.
  const again = JSON.parse(node(["--require", PRELOAD]).stdout);
  expect(again).toEqual({ ...stripped, esbuildLoaded: false });
});
