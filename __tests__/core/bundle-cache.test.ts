/**
 * The function bundles' cache check (modules/core/bundle.ts): an input is read and hashed only when
 * its size or modification time moved, and a bundle is rebuilt exactly when an input's content did.
 */
import { mkdtempSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { inputsUnchanged, recordInputs } from "../../modules/core/bundle";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "lure-bundle-cache-"));
  writeFileSync(join(root, "a.ts"), "export const a = 1;\n");
  writeFileSync(join(root, "b.ts"), "export const b = 2;\n");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const later = (file: string, seconds: number) => {
  const t = statSync(file).mtime.getTime() / 1000 + seconds;
  utimesSync(file, t, t);
};

test("unchanged inputs: the cache holds", () => {
  expect(inputsUnchanged(recordInputs(["a.ts", "b.ts"], root), root)).toBe(true);
});

test("a touched input with the same content (a checkout): still unchanged, found by its hash", () => {
  const record = recordInputs(["a.ts", "b.ts"], root);
  later(join(root, "a.ts"), 60);
  expect(inputsUnchanged(record, root)).toBe(true);
});

test("changed content, even of the same size: a change", () => {
  const record = recordInputs(["a.ts", "b.ts"], root);
  writeFileSync(join(root, "b.ts"), "export const b = 3;\n");
  later(join(root, "b.ts"), 60);
  expect(inputsUnchanged(record, root)).toBe(false);
});

test("a removed input, or a record from before stats were kept: a change", () => {
  const record = recordInputs(["a.ts", "b.ts"], root);
  expect(inputsUnchanged({ inputs: record.inputs, inputHashes: record.inputHashes } as never, root)).toBe(false);
  unlinkSync(join(root, "a.ts"));
  expect(inputsUnchanged(record, root)).toBe(false);
});
