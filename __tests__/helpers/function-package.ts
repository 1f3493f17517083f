/**
 * The construct ↔ function contract tests' tools: unpack a built function package into a folder
 * with fakes of what the platform provides, and load it in a fresh Node process with the settings a
 * construct gives it, as the platform would at start.
 */
import { execFile } from "child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";
import { promisify } from "util";
import { inflateRawSync } from "zlib";

/** Every file of a zip (stored or deflated), read from its central directory. */
export function unzip(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    out.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extra;
  }
  return out;
}

/**
 * A temporary folder holding the zip's files and, under `node_modules/`, the given fake modules
 * (module name → the source of its `index.js`).
 */
export function unpackPackage(zipPath: string, fakes: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), "lure-package-"));
  for (const [name, content] of unzip(readFileSync(zipPath))) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  for (const [module, source] of Object.entries(fakes)) {
    mkdirSync(join(dir, "node_modules", module), { recursive: true });
    writeFileSync(join(dir, "node_modules", module, "index.js"), source);
  }
  return dir;
}

export interface Loaded {
  readonly stdout: string;
  readonly stderr: string;
  readonly failed: boolean;
}

/**
 * What loading `dir`'s index.js in a fresh Node process printed, with `settings` as its whole
 * environment (plus PATH). `modulePaths` are searched after the folder's own node_modules: the
 * packages a platform installs beside the bundle.
 */
export async function loadPackage(dir: string, settings: Readonly<Record<string, string>>, modulePaths: readonly string[] = []): Promise<Loaded> {
  const env = { PATH: process.env.PATH ?? "", ...(modulePaths.length > 0 ? { NODE_PATH: modulePaths.join(":") } : {}), ...settings };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["-e", 'require("./index.js")'], { cwd: dir, env, encoding: "utf8", timeout: 20_000 });
    return { stdout, stderr, failed: false };
  } catch (e) {
    const { stdout = "", stderr = "" } = e as { stdout?: string; stderr?: string };
    return { stdout, stderr, failed: true };
  }
}

/** A fake Google Functions Framework that records what a package registers, printed as JSON at exit. */
export const FAKE_FUNCTIONS_FRAMEWORK = `
const registered = [];
const register = (kind) => (name, fn) => registered.push({ kind, name, handler: typeof fn });
module.exports = { http: register("http"), cloudEvent: register("cloudEvent") };
process.on("exit", () => process.stdout.write(JSON.stringify(registered)));
`;

/** A fake of the Azure Functions worker's `@azure/functions-core` that records what a package registers, printed as JSON at exit. */
export const FAKE_FUNCTIONS_CORE = `
const registered = [];
module.exports = {
  setProgrammingModel() {},
  registerHook() { return { dispose() {} }; },
  log() {},
  registerFunction(metadata) { registered.push(metadata); return { dispose() {} }; },
};
process.on("exit", () => process.stdout.write(JSON.stringify(registered)));
`;
