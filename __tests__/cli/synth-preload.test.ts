/**
 * The app command's TypeScript loader (modules/core/cli/synth-preload.js, used without tsx): it
 * compiles a project .ts file as tsx would (same esbuild, same tsconfig), resolves extensionless
 * imports to .ts files, and the second load comes from its cache without starting esbuild.
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
