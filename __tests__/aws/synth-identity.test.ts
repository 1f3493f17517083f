/**
 * Construct ids are a public contract (they name the cloud resources), and refactoring a construct must
 * not change what it synthesizes. Every stack variant's `cdk.tf.json` (asset paths and hashes scrubbed:
 * they follow the function code, not the constructs) is hashed and compared with the recorded hashes in
 * `__fixtures__/synth-hashes.json`.
 *
 * A change that is meant to alter the synthesized JSON updates the fixture on purpose:
 *   LURE_UPDATE_SYNTH_HASHES=1 npx jest __tests__/aws/synth-identity.test.ts
 * and the diff of the fixture names every variant that changed. A refactor must leave it untouched.
 */
import { createHash } from "crypto";
import { existsSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { configWith, synthAwsHoneynet, synthAwsQuarantine } from "../helpers/synth";
import { QUARANTINE_VARIANTS, STACK_VARIANTS } from "../helpers/variants";

const FIXTURE = join(__dirname, "__fixtures__", "synth-hashes.json");
const UPDATE = process.env.LURE_UPDATE_SYNTH_HASHES === "1";

/** The stack JSON without what depends on the bundled function code. */
export function scrubAssets(text: string): string {
  return text
    // assets/<construct path>/<content hash>/<function>-<content hash>.zip: the path part is a construct id, kept.
    .replace(/(assets\/[\w.-]+\/)[0-9A-Za-z]+\/([\w-]+?)-[0-9a-f]{16}\.zip/g, "$1<hash>/$2-<hash>.zip")
    .replace(/"source_code_hash": "[^"]*"/g, '"source_code_hash": "<hash>"');
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const variants: [string, () => unknown][] = [
  ...STACK_VARIANTS.map(([name, change]) => [`aws-honeynet, ${name}`, () => synthAwsHoneynet(configWith(change))] as [string, () => unknown]),
  ...QUARANTINE_VARIANTS.map(([name, change]) => [`aws-quarantine, ${name}`, () => synthAwsQuarantine(configWith(change))] as [string, () => unknown]),
];

const recorded: Record<string, string> = existsSync(FIXTURE) ? (JSON.parse(readFileSync(FIXTURE, "utf8")) as Record<string, string>) : {};
const seen: Record<string, string> = {};

afterAll(() => {
  if (UPDATE) writeFileSync(FIXTURE, `${JSON.stringify(seen, null, 2)}\n`);
});

test.each(variants)("%s synthesizes exactly the recorded JSON", (name, synth) => {
  const hash = sha256(scrubAssets(JSON.stringify(synth(), null, 2)));
  seen[name] = hash;
  if (UPDATE) return;
  expect({ variant: name, hash }).toEqual({ variant: name, hash: recorded[name] });
});

test("the fixture names exactly the variants", () => {
  if (UPDATE) return;
  expect(Object.keys(recorded).sort()).toEqual(variants.map(([n]) => n).sort());
});

test("scrubbing removes asset paths and code hashes only", () => {
  const before = '{"filename": "assets/Watcher_ListIpsCode_D19D281D/CbSGSWy4/watcher-list-ips-09b486496cb83909.zip", "source_code_hash": "Cb+/Y=", "name": "x"}';
  expect(scrubAssets(before)).toBe('{"filename": "assets/Watcher_ListIpsCode_D19D281D/<hash>/watcher-list-ips-<hash>.zip", "source_code_hash": "<hash>", "name": "x"}');
});
