/**
 * Headless Chromium for looking at the report as a person would: the DOM it builds from the page
 * and a screenshot. Debian's `/usr/bin/chromium`; callers check `findChromium()` first, since CI
 * machines may not have it. Every run gets a fresh profile and a time limit.
 */
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { pathToFileURL } from "url";

/** Where the browser is looked for, first found wins. */
export const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

export function findChromium(): string | undefined {
  return CHROMIUM_PATHS.find((p) => existsSync(p));
}

/** No network, no first-run or background work, nothing kept between runs. */
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

function run(args: readonly string[], timeoutMs: number): string {
  const chromium = findChromium();
  if (!chromium) throw new Error(`no Chromium at ${CHROMIUM_PATHS.join(" or ")} (Debian: apt-get install chromium)`);
  const profile = mkdtempSync(join(tmpdir(), "lure-chromium-"));
  try {
    const r = spawnSync(chromium, [...FLAGS, `--user-data-dir=${profile}`, ...args], { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw new Error(`chromium: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`chromium exited ${r.status ?? r.signal}: ${r.stderr.slice(-500)}`);
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The DOM Chromium built from the page, serialised. */
export function dumpDom(htmlFile: string, timeoutMs = 30_000): string {
  return run(["--dump-dom", pathToFileURL(htmlFile).href], timeoutMs);
}

/** A PNG of the page's top `width` × `height` pixels. */
export function screenshot(htmlFile: string, pngFile: string, size: { readonly width: number; readonly height: number } = { width: 1280, height: 3000 }, timeoutMs = 30_000): void {
  run([`--screenshot=${pngFile}`, `--window-size=${size.width},${size.height}`, pathToFileURL(htmlFile).href], timeoutMs);
  if (!existsSync(pngFile)) throw new Error(`chromium wrote no screenshot to ${pngFile}`);
}

/** Width and height from a PNG's IHDR chunk; throws when the bytes are not a PNG. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (png.length < 24 || !png.subarray(0, 8).equals(signature) || png.toString("latin1", 12, 16) !== "IHDR") throw new Error("not a PNG");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** `pngSize` of a file. */
export function pngFileSize(file: string): { width: number; height: number } {
  return pngSize(readFileSync(file));
}
