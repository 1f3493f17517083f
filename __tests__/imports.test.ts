/** Import discipline: provider classes by deep path only; each cloud's provider only in its own files. */
import { readdirSync, readFileSync, statSync } from "fs";
import { join, relative } from "path";
import { ROOT } from "./helpers/synth";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (["node_modules", "cdktf.out", ".git"].includes(name)) return [];
    if (statSync(full).isDirectory()) return sources(full);
    return /\.(ts|js|mjs|cjs)$/.test(name) ? [full] : [];
  });
}

const files = sources(ROOT).map((f) => ({ file: relative(ROOT, f), text: readFileSync(f, "utf8") }));
const importsOf = (text: string) => [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)["']([^"']+)["']/g)].map((m) => m[1]);

test("the scan sees the project's sources", () => {
  expect(files.map((f) => f.file)).toEqual(expect.arrayContaining(["main.ts", "modules/aws/honeynet.ts", "providers/aws.ts"]));
});

test("no file imports a provider package root", () => {
  const roots = files.flatMap(({ file, text }) => importsOf(text).filter((i) => /^@cdktf\/provider-(aws|azurerm|google)$/.test(i)).map((i) => `${file}: ${i}`));
  expect(roots).toEqual([]);
});

test("the import check itself catches a root import", () => {
  const root = ["@cdktf", "provider-aws"].join("/"); // assembled, so this file does not trip its own scan
  expect(importsOf(`import { S3Bucket } from "${root}";`).filter((i) => /^@cdktf\/provider-(aws|azurerm|google)$/.test(i))).toHaveLength(1);
});

test.each([
  ["aws", /^(modules\/aws\/|providers\/aws\.ts$|functions\/aws\/|bench\/|__tests__\/)/],
  ["azurerm", /^(modules\/azure\/|providers\/azure\.ts$|functions\/azure\/|bench\/|__tests__\/)/],
  ["google", /^(modules\/gcp\/|providers\/gcp\.ts$|functions\/gcp\/|bench\/|__tests__\/)/],
])("@cdktf/provider-%s is imported only from that cloud's files", (cloud, allowed) => {
  const offenders = files.filter(({ file, text }) => importsOf(text).some((i) => i.startsWith(`@cdktf/provider-${cloud}/`)) && !allowed.test(file)).map((f) => f.file);
  expect(offenders).toEqual([]);
});

test("CDK core comes only from cdktf (a later move to cdktn is a rename)", () => {
  const other = files.flatMap(({ file, text }) => importsOf(text).filter((i) => /^(cdktn|@cdktf\/(?!provider-))/.test(i)).map((i) => `${file}: ${i}`));
  expect(other).toEqual([]);
});
