/**
 * Function bundles for Lambda: esbuild bundles every handler of a synth in one call, and each bundle
 * is zipped in-process. cdktf's own ARCHIVE assets spawn a Node process per zip (~70 ms each), and an
 * in-process zip with fixed timestamps is byte-for-byte reproducible, so an unchanged function gives
 * Terraform an unchanged `source_code_hash`.
 *
 * Bundles are cached in `node_modules/.cache/lure/functions`, keyed by the content of every file
 * esbuild read: a synth with unchanged function sources skips esbuild (~50 ms) and any change,
 * including a dependency update, rebuilds.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";

/** Handlers of lure's functions, relative to the project root. */
export const FUNCTION_ENTRIES = {
  "watcher-list-ips": "functions/aws/list-ips/handler.ts",
  "watcher-lookup": "functions/aws/lookup/handler.ts",
  "quarantine-detector": "functions/aws/quarantine/detector-handler.ts",
  "quarantine-mode": "functions/aws/quarantine/mode-handler.ts",
} as const;
export type FunctionName = keyof typeof FUNCTION_ENTRIES;

export interface FunctionBundle {
  /** Absolute path of the zip (content-addressed, so shared safely between synths). */
  readonly zipPath: string;
  /** Base64 SHA-256 of the zip, what Lambda's `source_code_hash` expects. */
  readonly sha256: string;
  readonly bytes: number;
}

const PROJECT_ROOT = resolve(__dirname, "..", "..");
/** Lambda's Node.js 22 runtime ships AWS SDK v3: bundling it again would only grow the zips. */
const RUNTIME_PROVIDED = ["@aws-sdk/*"];
export const LAMBDA_RUNTIME = "nodejs22.x";

/** Everything that decides the bundle's content besides its inputs (part of the cache key). */
const BUILD_OPTIONS = {
  bundle: true,
  platform: "node",
  target: "node22",
  format: "cjs",
  minify: true,
  // Stack traces in CloudWatch should name our functions.
  keepNames: true,
  legalComments: "none",
  external: RUNTIME_PROVIDED,
} as const;

const CACHE_DIR = join(PROJECT_ROOT, "node_modules", ".cache", "lure", "functions");
const MANIFEST = join(CACHE_DIR, "manifest.json");

let built: Map<FunctionName, FunctionBundle> | undefined;

/** Bundles of every function, built (or taken from the cache) on first use and reused for the rest of the process. */
export function functionBundle(name: FunctionName): FunctionBundle {
  built ??= cachedBundles() ?? buildAll();
  const b = built.get(name);
  if (!b) throw new Error(`no bundle for ${name}`);
  return b;
}

interface Manifest {
  /** What the bundles were built from: build settings, then every input file with its hash. */
  readonly key: string;
  readonly inputs: readonly string[];
  readonly inputHashes: readonly string[];
  readonly bundles: Readonly<Record<string, FunctionBundle>>;
}

function fileHash(path: string): string {
  return createHash("sha1").update(readFileSync(path)).digest("hex");
}

/** The cached bundles when every input esbuild read last time is unchanged; otherwise undefined. */
function cachedBundles(): Map<FunctionName, FunctionBundle> | undefined {
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(MANIFEST, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
  if (m.key !== buildKey()) return undefined;
  try {
    if (m.inputs.some((p, i) => fileHash(join(PROJECT_ROOT, p)) !== m.inputHashes[i])) return undefined;
  } catch {
    return undefined; // an input was removed
  }
  const names = Object.keys(FUNCTION_ENTRIES) as FunctionName[];
  if (!names.every((n) => m.bundles[n] && existsSync(m.bundles[n].zipPath))) return undefined;
  return new Map(names.map((n) => [n, m.bundles[n]]));
}

function buildKey(): string {
  // The esbuild version is read from its package.json: loading esbuild itself costs a process start.
  const esbuildVersion = (JSON.parse(readFileSync(require.resolve("esbuild/package.json"), "utf8")) as { version: string }).version;
  return JSON.stringify({ v: 1, esbuild: esbuildVersion, options: BUILD_OPTIONS, entries: FUNCTION_ENTRIES, runtime: LAMBDA_RUNTIME });
}

/** Write then rename: parallel synths (jest workers) never read a half-written file. */
function writeAtomically(path: string, data: string | Buffer): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function buildAll(): Map<FunctionName, FunctionBundle> {
  // Loaded on demand: a synth without functions never starts esbuild.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  const names = Object.keys(FUNCTION_ENTRIES) as FunctionName[];
  const result = esbuild.buildSync({
    ...BUILD_OPTIONS,
    entryPoints: Object.fromEntries(names.map((n) => [n, join(PROJECT_ROOT, FUNCTION_ENTRIES[n])])),
    outdir: "/lure-bundles",
    write: false,
    logLevel: "silent",
    metafile: true,
  });

  const dir = CACHE_DIR;
  mkdirSync(dir, { recursive: true });
  const out = new Map<FunctionName, FunctionBundle>();
  for (const n of names) {
    const file = result.outputFiles.find((f) => f.path === `/lure-bundles/${n}.js`);
    if (!file) throw new Error(`esbuild produced no output for ${n}`);
    const zip = zipOneFile("index.js", Buffer.from(file.contents));
    const digest = createHash("sha256").update(zip);
    const hex = digest.copy().digest("hex");
    const zipPath = join(dir, `${n}-${hex.slice(0, 16)}.zip`);
    if (!existsSync(zipPath)) writeAtomically(zipPath, zip);
    out.set(n, { zipPath, sha256: digest.digest("base64"), bytes: zip.length });
  }
  // esbuild names inputs relative to the working directory; the manifest keeps them relative to the project.
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(PROJECT_ROOT, resolve(p)));
  const manifest: Manifest = { key: buildKey(), inputs, inputHashes: inputs.map((p) => fileHash(join(PROJECT_ROOT, p))), bundles: Object.fromEntries(out) };
  writeAtomically(MANIFEST, JSON.stringify(manifest));
  return out;
}

/** A zip archive holding one file, deflated, with a fixed timestamp (1980-01-01) and mode 0644. */
export function zipOneFile(name: string, content: Buffer): Buffer {
  const nameBuf = Buffer.from(name, "utf8");
  const data = deflateRawSync(content, { level: 9 });
  const crc = crc32(content);
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(0x0800, 6); // UTF-8 names
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt16LE(0, 10); // time
  local.writeUInt16LE(DOS_DATE, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBuf.length, 26);
  local.writeUInt16LE(0, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, so the mode below is honoured
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x0800, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt16LE(0, 12);
  central.writeUInt16LE(DOS_DATE, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBuf.length, 28);
  central.writeUInt32LE(((0o100644 << 16) >>> 0), 38); // regular file, rw-r--r--
  central.writeUInt32LE(0, 42); // local header offset
  const centralOffset = local.length + nameBuf.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBuf.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, nameBuf, data, central, nameBuf, end]);
}
