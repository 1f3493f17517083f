/**
 * The report page as a browser shows it: Debian's headless Chromium parses it (scripts cannot run:
 * the page has none and its CSP allows none), every chart holds the marks the fixture plans for it,
 * and a screenshot is written. Skips, saying why, where Chromium is not installed.
 */
import { existsSync, readFileSync, statSync } from "fs";
import { join } from "path";
import { CHROMIUM_PATHS, dumpDom, findChromium, pngFileSize, pngSize, screenshot } from "../../modules/core/report/chromium";
import { removeRun, runFixtureReport, type FixtureRun } from "../helpers/report";

const chromium = findChromium();
if (!chromium) {
  // Printed so a skipped run says what it did not check.
  console.warn(`report page not checked in a browser: no Chromium at ${CHROMIUM_PATHS.join(" or ")} (Debian: apt-get install chromium)`);
}
const withChromium = chromium ? describe : describe.skip;

/** The items of each kind of mark inside one `data-chart` figure of a serialised DOM. */
function marksIn(dom: string, chart: string): Record<string, number> {
  const figure = new RegExp(`<figure data-chart="${chart}">([\\s\\S]*?)</figure>`).exec(dom);
  if (!figure) throw new Error(`no figure for ${chart}`);
  const out: Record<string, number> = {};
  // Vega draws each mark as a group of class mark-<kind> holding one element per item.
  for (const g of figure[1].matchAll(/<g class="mark-(symbol|line|rule) role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)) {
    out[g[1]] = (out[g[1]] ?? 0) + (g[2].match(/<(?:path|line)\b/g) ?? []).length;
  }
  return out;
}

describe("pngSize", () => {
  it("reads a PNG header and refuses other bytes", () => {
    const header = Buffer.alloc(24);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header);
    header.write("IHDR", 12, "latin1");
    header.writeUInt32BE(1280, 16);
    header.writeUInt32BE(2400, 20);
    expect(pngSize(header)).toEqual({ width: 1280, height: 2400 });
    expect(() => pngSize(Buffer.from("GIF89a not a png at all"))).toThrow("not a PNG");
  });
});

withChromium("the report in headless Chromium", () => {
  let run: FixtureRun;
  let dom: string;
  let planned: Record<string, { marks: Record<string, number> }>;

  beforeAll(async () => {
    run = await runFixtureReport();
    planned = JSON.parse(readFileSync(join(run.out, "report.json"), "utf8")).charts;
    dom = dumpDom(join(run.out, "report.html"));
  });
  afterAll(() => removeRun(run));

  it("parses the page into the report's document", () => {
    expect(dom).toContain("<h1>How fast scanner indexes find the honeypots</h1>");
    expect(dom.match(/<figure data-chart="/g)).toHaveLength(4);
  });

  it.each(["time-to-listing", "time-to-tag", "honeyscore", "events"])("draws every planned mark of %s", (name) => {
    expect(marksIn(dom, name)).toEqual(planned[name].marks);
  });

  it("matches the fixture's own counts, not only the report's", () => {
    expect(marksIn(dom, "time-to-listing")).toEqual({ symbol: run.truth.timedPeriods });
    expect(marksIn(dom, "honeyscore")).toEqual({ line: run.truth.honeyscoreSeries, symbol: run.truth.honeyscorePoints });
    expect(marksIn(dom, "events")).toEqual({ line: run.truth.honeypotsWithEvents, rule: run.truth.listingsWithEvents });
  });

  it("writes a screenshot of the window's size with something drawn on it", () => {
    const png = join(run.dir, "shot.png");
    screenshot(join(run.out, "report.html"), png, { width: 1280, height: 2400 });
    expect(existsSync(png)).toBe(true);
    expect(pngFileSize(png)).toEqual({ width: 1280, height: 2400 });
    // A blank page of that size compresses to a few kilobytes; tables and charts do not.
    expect(statSync(png).size).toBeGreaterThan(60_000);
  });
});
