/**
 * Function bundles: esbuild bundles every handler of a set in one call, and each bundle is zipped
 * in-process. cdktf's own ARCHIVE assets spawn a Node process per zip (~70 ms each), and an
 * in-process zip with fixed timestamps is byte-for-byte reproducible, so unchanged functions give
 * Terraform an unchanged `source_code_hash` (Lambda) or package blob name (Azure).
 *
 * Three sets, each built on first use only (a synth without Azure never bundles the Azure SDKs):
 * - the Lambda handlers, one zip each (`index.js`);
 * - the Azure Functions package, one zip (`index.js`, `host.json`, `package.json`) with both
 *   watcher functions, which the Functions host loads through package.json's `main`;
 * - the Google Cloud functions' source, one zip (`index.js`, `package.json`) for both watcher
 *   functions, which Cloud Build's Node.js buildpack turns into their image;
 * - the Google Cloud Quarantine's source, likewise (detector and mode).
 *
 * Bundles are cached in `node_modules/.cache/lure/functions`, keyed by the content of every file
 * esbuild read: a synth with unchanged function sources skips esbuild (~50 ms) and any change,
 * including a dependency update, rebuilds. Those inputs are ~3,000 files and 70 MB (the SDKs, the
 * Compute protos), so a file is read and hashed only when its size or modification time differs
 * from the manifest's; an unchanged file is not read at all.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";

/** Handlers of lure's Lambda functions, relative to the project root. */
export const FUNCTION_ENTRIES = {
  "watcher-list-ips": "functions/aws/list-ips/handler.ts",
  "watcher-lookup": "functions/aws/lookup/handler.ts",
  "quarantine-detector": "functions/aws/quarantine/detector-handler.ts",
  "quarantine-mode": "functions/aws/quarantine/mode-handler.ts",
} as const;
export type FunctionName = keyof typeof FUNCTION_ENTRIES;

/** Entry of the Azure Functions package: registers every Azure watcher function (v4 programming model). */
export const AZURE_PACKAGE_ENTRY = "functions/azure/index.ts";
/** Where the Azure package is described to the host: `host.json` is HOST_JSON, exported by this file. */
export const AZURE_HOST_MODULE = "functions/azure/host.ts";
/** Entry of the Azure Quarantine's package (detector and mode functions) and its host.json module. */
export const AZURE_QUARANTINE_ENTRY = "functions/azure/quarantine/index.ts";
export const AZURE_QUARANTINE_HOST_MODULE = "functions/azure/quarantine/host.ts";

/** Entry of the Google Cloud package: registers both watcher functions with the Functions Framework. */
export const GCP_PACKAGE_ENTRY = "functions/gcp/index.ts";
/**
 * What the buildpack installs (`npm install` of package.json's dependencies) instead of the bundle
 * holding it: the Functions Framework, because the runner that serves the functions must be the
 * copy they register with, and Cloud Tasks' client, which reads its JSON files from its own
 * folder at run time. Pinned to the versions the tests run.
 */
export const GCP_INSTALLED = ["@google-cloud/functions-framework", "@google-cloud/tasks"] as const;

/** Entry of the Google Cloud Quarantine's package: registers the detector and the mode function. */
export const GCP_QUARANTINE_ENTRY = "functions/gcp/quarantine/entry-points.ts";
/**
 * What the buildpack installs for the Quarantine's package: the Functions Framework (as for the
 * watcher) and the Firestore and Cloud Run clients, which load their JSON protos from their own
 * folders at run time. Pinned to the versions the tests run.
 */
export const GCP_QUARANTINE_INSTALLED = ["@google-cloud/functions-framework", "@google-cloud/firestore", "@google-cloud/run"] as const;

export interface FunctionBundle {
  /** Absolute path of the zip (content-addressed, so shared safely between synths). */
  readonly zipPath: string;
  /** Base64 SHA-256 of the zip, what Lambda's `source_code_hash` expects. */
  readonly sha256: string;
  /** Hex SHA-256 of the zip, for content-addressed names. */
  readonly sha256Hex: string;
  readonly bytes: number;
}

/** One file of a zip archive. */
export interface ZipEntry {
  readonly name: string;
  readonly content: Buffer;
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

/**
 * The Azure package: the Node.js worker provides `@azure/functions-core` (what `@azure/functions`
 * registers through), and nothing else, so every Azure SDK is bundled in. esbuild takes a package's
 * ESM build for an `import`, and some (@azure/storage-common's crc64) call
 * `createRequire(import.meta.url)`, which is undefined in a CommonJS bundle: the bundle's own file
 * URL stands in for it.
 */
const AZURE_BUILD_OPTIONS = {
  ...BUILD_OPTIONS,
  external: ["@azure/functions-core"],
  define: { "import.meta.url": "__lureImportMetaUrl" },
  banner: { js: 'var __lureImportMetaUrl = require("url").pathToFileURL(__filename).href;' },
} as const;

/** The Google Cloud package: everything but what the buildpack installs (see GCP_INSTALLED). */
const GCP_BUILD_OPTIONS = { ...AZURE_BUILD_OPTIONS, external: [...GCP_INSTALLED] } as const;

const CACHE_DIR = join(PROJECT_ROOT, "node_modules", ".cache", "lure", "functions");

/** A group of bundles built by one esbuild call and cached under one manifest. */
interface BundleSet<N extends string> {
  readonly manifest: string;
  /** Output name → entry, relative to the project root. */
  readonly entries: Readonly<Record<N, string>>;
  readonly options: Readonly<Record<string, unknown>>;
  /** What else decides the zips' content (part of the cache key). */
  readonly extraKey: () => Readonly<Record<string, unknown>>;
  /** The files of each zip, given its bundled JavaScript. */
  readonly files: (js: Buffer) => readonly ZipEntry[];
}

const LAMBDA_SET: BundleSet<FunctionName> = {
  manifest: join(CACHE_DIR, "manifest.json"),
  entries: FUNCTION_ENTRIES,
  options: BUILD_OPTIONS,
  extraKey: () => ({ runtime: LAMBDA_RUNTIME }),
  files: (js) => [{ name: "index.js", content: js }],
};

/** The Azure packages: one per Function App, each its own set (a stack builds only the one it deploys). */
type AzurePackageName = "watcher-azure" | "quarantine-azure";

/** A Function App package: `index.js`, the host.json of `hostModule`, and a package.json naming `main`. */
function azureSet<N extends AzurePackageName>(name: N, entry: string, hostModule: string, manifest: string): BundleSet<N> {
  return {
    manifest: join(CACHE_DIR, manifest),
    entries: { [name]: entry } as Record<N, string>,
    options: AZURE_BUILD_OPTIONS,
    // host.json is not an esbuild input: its content keys the cache itself.
    extraKey: () => ({ hostJson: azureHostJson(hostModule) }),
    files: (js) => [
      { name: "index.js", content: js },
      { name: "host.json", content: Buffer.from(`${azureHostJson(hostModule)}\n`) },
      { name: "package.json", content: Buffer.from(`${JSON.stringify({ main: "index.js" })}\n`) },
    ],
  };
}

const AZURE_SET = azureSet("watcher-azure", AZURE_PACKAGE_ENTRY, AZURE_HOST_MODULE, "azure-manifest.json");
const AZURE_QUARANTINE_SET = azureSet("quarantine-azure", AZURE_QUARANTINE_ENTRY, AZURE_QUARANTINE_HOST_MODULE, "azure-quarantine-manifest.json");

/** The Google Cloud package's single output. */
type GcpPackageName = "watcher-gcp";

const GCP_SET: BundleSet<GcpPackageName> = {
  manifest: join(CACHE_DIR, "gcp-manifest.json"),
  entries: { "watcher-gcp": GCP_PACKAGE_ENTRY },
  options: GCP_BUILD_OPTIONS,
  extraKey: () => ({ packageJson: gcpPackageJson() }),
  files: (js) => [
    { name: "index.js", content: js },
    { name: "package.json", content: Buffer.from(`${gcpPackageJson()}\n`) },
  ],
};

/** The Google Cloud Quarantine's package (detector and mode). */
const GCP_QUARANTINE_SET: BundleSet<"quarantine-gcp"> = {
  manifest: join(CACHE_DIR, "gcp-quarantine-manifest.json"),
  entries: { "quarantine-gcp": GCP_QUARANTINE_ENTRY },
  options: { ...AZURE_BUILD_OPTIONS, external: [...GCP_QUARANTINE_INSTALLED] },
  extraKey: () => ({ packageJson: gcpQuarantinePackageJson() }),
  files: (js) => [
    { name: "index.js", content: js },
    { name: "package.json", content: Buffer.from(`${gcpQuarantinePackageJson()}\n`) },
  ],
};

/** package.json of the Google Cloud package: `main`, and GCP_INSTALLED at the installed versions. */
export function gcpPackageJson(): string {
  return nodePackageJson("lure-watcher", GCP_INSTALLED);
}

/** package.json of the Google Cloud Quarantine's package: `main`, and GCP_QUARANTINE_INSTALLED at the installed versions. */
export function gcpQuarantinePackageJson(): string {
  return nodePackageJson("lure-quarantine", GCP_QUARANTINE_INSTALLED);
}

function nodePackageJson(name: string, installed: readonly string[]): string {
  // Read from the folder: these packages' `exports` do not expose their package.json.
  const version = (dep: string) => (JSON.parse(readFileSync(join(PROJECT_ROOT, "node_modules", dep, "package.json"), "utf8")) as { version: string }).version;
  return JSON.stringify({ name, private: true, main: "index.js", dependencies: Object.fromEntries(installed.map((n) => [n, version(n)])) }, null, 2);
}

/** host.json of an Azure package, from its module's HOST_JSON (loaded on demand: an AWS-only synth never reads it). */
function azureHostJson(hostModule: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { HOST_JSON } = require(join(PROJECT_ROOT, hostModule)) as typeof import("../../functions/azure/host");
  return JSON.stringify(HOST_JSON, null, 2);
}

const built = new Map<BundleSet<string>, Map<string, FunctionBundle>>();

/** The bundles of `set`, built (or taken from the cache) on first use and reused for the rest of the process. */
function bundlesOf<N extends string>(set: BundleSet<N>): Map<N, FunctionBundle> {
  let b = built.get(set as BundleSet<string>) as Map<N, FunctionBundle> | undefined;
  if (!b) {
    b = cachedBundles(set) ?? buildAll(set);
    built.set(set as BundleSet<string>, b);
  }
  return b;
}

/** Bundle of one Lambda function, built with every other Lambda handler on first use. */
export function functionBundle(name: FunctionName): FunctionBundle {
  const b = bundlesOf(LAMBDA_SET).get(name);
  if (!b) throw new Error(`no bundle for ${name}`);
  return b;
}

/** The Azure Functions package (both watcher functions, host.json, package.json), built once per process. */
export function azureFunctionPackage(): FunctionBundle {
  const b = bundlesOf(AZURE_SET).get("watcher-azure");
  if (!b) throw new Error("no Azure function package");
  return b;
}

/** The Azure Quarantine's Function App package (detector and mode), built once per process. */
export function azureQuarantinePackage(): FunctionBundle {
  const b = bundlesOf(AZURE_QUARANTINE_SET).get("quarantine-azure");
  if (!b) throw new Error("no Azure Quarantine package");
  return b;
}

/** The Google Cloud functions' source (both watcher functions and package.json), built once per process. */
export function gcpFunctionPackage(): FunctionBundle {
  const b = bundlesOf(GCP_SET).get("watcher-gcp");
  if (!b) throw new Error("no Google Cloud function package");
  return b;
}

/** The Google Cloud Quarantine's source (detector and mode, package.json), built once per process. */
export function gcpQuarantinePackage(): FunctionBundle {
  const b = bundlesOf(GCP_QUARANTINE_SET).get("quarantine-gcp");
  if (!b) throw new Error("no Google Cloud Quarantine package");
  return b;
}

interface Manifest {
  /** What the bundles were built from: build settings, then every input file with its hash. */
  readonly key: string;
  readonly inputs: readonly string[];
  readonly inputHashes: readonly string[];
  /** Each input's `<size>:<mtimeMs>` when it was hashed: the same stat means the same hash, unread. */
  readonly inputStats: readonly string[];
  readonly bundles: Readonly<Record<string, FunctionBundle>>;
}

function fileHash(path: string): string {
  return createHash("sha1").update(readFileSync(path)).digest("hex");
}

function fileStat(path: string): string {
  const st = statSync(path);
  return `${st.size}:${st.mtimeMs}`;
}

/** What a manifest records of its inputs (paths relative to `root`). */
export type InputRecord = Pick<Manifest, "inputs" | "inputHashes" | "inputStats">;

/** The record of `inputs` as they are now. The stat comes first: a file changed in between is read again next time, never trusted. */
export function recordInputs(inputs: readonly string[], root = PROJECT_ROOT): InputRecord {
  const inputStats = inputs.map((p) => fileStat(join(root, p)));
  return { inputs, inputHashes: inputs.map((p) => fileHash(join(root, p))), inputStats };
}

/**
 * Whether every input still holds what the bundles were built from. Only a file whose size or
 * modification time moved is read and hashed; one whose content is the same after all (a checkout,
 * a touch) still counts as unchanged. A removed input, or a record without stats, is a change.
 */
export function inputsUnchanged(m: InputRecord, root = PROJECT_ROOT): boolean {
  if (!Array.isArray(m.inputStats) || m.inputStats.length !== m.inputs.length) return false;
  try {
    return m.inputs.every((p, i) => fileStat(join(root, p)) === m.inputStats[i] || fileHash(join(root, p)) === m.inputHashes[i]);
  } catch {
    return false; // an input was removed
  }
}

/** The cached bundles when every input esbuild read last time is unchanged; otherwise undefined. */
function cachedBundles<N extends string>(set: BundleSet<N>): Map<N, FunctionBundle> | undefined {
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(set.manifest, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
  if (m.key !== buildKey(set) || !inputsUnchanged(m)) return undefined;
  const names = Object.keys(set.entries) as N[];
  if (!names.every((n) => m.bundles[n] && existsSync(m.bundles[n].zipPath))) return undefined;
  return new Map(names.map((n) => [n, m.bundles[n]]));
}

function buildKey(set: BundleSet<string>): string {
  // The esbuild version is read from its package.json: loading esbuild itself costs a process start.
  const esbuildVersion = (JSON.parse(readFileSync(require.resolve("esbuild/package.json"), "utf8")) as { version: string }).version;
  return JSON.stringify({ v: 3, esbuild: esbuildVersion, options: set.options, entries: set.entries, ...set.extraKey() });
}

/** Write then rename: parallel synths (jest workers) never read a half-written file. */
function writeAtomically(path: string, data: string | Buffer): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function buildAll<N extends string>(set: BundleSet<N>): Map<N, FunctionBundle> {
  // Loaded on demand: a synth without functions never starts esbuild.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  const names = Object.keys(set.entries) as N[];
  const result = esbuild.buildSync({
    ...set.options,
    entryPoints: Object.fromEntries(names.map((n) => [n, join(PROJECT_ROOT, set.entries[n])])),
    outdir: "/lure-bundles",
    write: false,
    logLevel: "silent",
    metafile: true,
  });

  const dir = CACHE_DIR;
  mkdirSync(dir, { recursive: true });
  const out = new Map<N, FunctionBundle>();
  for (const n of names) {
    const file = result.outputFiles.find((f) => f.path === `/lure-bundles/${n}.js`);
    if (!file) throw new Error(`esbuild produced no output for ${n}`);
    const zip = zipFiles(set.files(Buffer.from(file.contents)));
    const digest = createHash("sha256").update(zip);
    const hex = digest.copy().digest("hex");
    const zipPath = join(dir, `${n}-${hex.slice(0, 16)}.zip`);
    if (!existsSync(zipPath)) writeAtomically(zipPath, zip);
    out.set(n, { zipPath, sha256: digest.digest("base64"), sha256Hex: hex, bytes: zip.length });
  }
  // esbuild names inputs relative to the working directory; the manifest keeps them relative to the project.
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(PROJECT_ROOT, resolve(p)));
  const manifest: Manifest = { key: buildKey(set), ...recordInputs(inputs), bundles: Object.fromEntries(out) };
  writeAtomically(set.manifest, JSON.stringify(manifest));
  return out;
}

/** A zip archive holding one file: {@link zipFiles} of that file alone. */
export function zipOneFile(name: string, content: Buffer): Buffer {
  return zipFiles([{ name, content }]);
}

/**
 * A zip archive of `files` in the order given, each deflated, with a fixed timestamp (1980-01-01) and
 * mode 0644: the same files always give the same bytes.
 */
export function zipFiles(files: readonly ZipEntry[]): Buffer {
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, content } of files) {
    const nameBuf = Buffer.from(name, "utf8");
    const data = deflateRawSync(content, { level: 9 });
    const crc = crc32(content);
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
    central.writeUInt32LE(offset, 42); // local header offset
    locals.push(local, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
