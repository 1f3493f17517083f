import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { validateConfig } from "../../../modules/core/config";
import { quarantineRuntimeConfig } from "../../../modules/core/quarantine-runtime";
import { parseFlowText } from "../../../functions/core/flow";
import { emptyParseStats, type FlowRecord, type QuarantineRuntimeConfig } from "../../../functions/core/quarantine-types";
import { DEMO_START, scanDemoLines } from "../../../functions/local/fixtures/make-scan-demo";
import { heapBound, LATE_EXAMPLES, MinuteBuffer, main, parseArgs, progressLine, REORDER_MINUTES, simulate, simulateStream, type Io, type SimulationResult } from "../../../functions/local/simulate";
import { writeSyntheticFile } from "../../../functions/local/synthetic-file";

const ROOT = resolve(__dirname, "../../..");
const VERTICAL = "203.0.113.126";
const SWEEP = "198.51.100.59";
/** Event time of a custom-format line (its `start`). */
const timeOf = (line: string) => Number(line.split(" ")[9]);

let dir: string;
let config: QuarantineRuntimeConfig;
let configFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lure-simulate-stream-"));
  const base = JSON.parse(readFileSync(resolve(ROOT, "lure.config.json"), "utf8"));
  delete base.$schema;
  const raw = { ...base, quarantine: { ...base.quarantine, quietPeriodMinutes: 30, forgetOnNormal: true, defenceAfter: { sources: 1, windowMinutes: 5 } } };
  configFile = join(dir, "config.json");
  writeFileSync(configFile, JSON.stringify(raw));
  const parsed = validateConfig(raw);
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join("; "));
  config = quarantineRuntimeConfig(parsed.config);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[], extra: Partial<Io> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), ...extra });
  return { code, out, err };
}

/** What a replay decided, without the line numbers (which move when lines do). */
function decisions(r: SimulationResult) {
  return {
    detections: r.detections.map(({ src, time, at, reason, probes, failures }) => ({ src, time, at, reason, probes, failures })),
    modes: r.modes,
    ruleChanges: r.ruleChanges,
    copies: r.copies,
    records: r.records,
  };
}

const record = (time: number, src = "192.0.2.1"): FlowRecord => ({ time, src, dst: "10.0.0.1", dport: 22, proto: 6, outcome: "FAIL" });

describe("MinuteBuffer: the reorder window", () => {
  it("holds a minute until the newest event time is the window past its end, then hands it over whole, in arrival order", () => {
    const b = new MinuteBuffer(2);
    b.add(record(600 + 30), 1); // minute 10
    b.add(record(600 + 5), 2); // minute 10, out of order within its minute
    b.add(record(660 + 59), 3); // minute 11
    b.add(record(720 + 59), 4); // minute 12: minute 10 closes at 13:00 (10 + 1 + 2), not yet
    expect(b.takeReady()).toEqual([]);
    b.add(record(780), 5); // 13:00: minute 10 closes
    const ready = b.takeReady();
    expect(ready.map((x) => [x.minute, x.lines])).toEqual([[10, [1, 2]]]);
    expect(ready[0].newest).toBe(630);
    expect(b.late.count).toBe(0);
    b.closeAll();
    expect(b.takeReady().map((x) => [x.minute, x.lines])).toEqual([
      [11, [3]],
      [12, [4]],
      [13, [5]],
    ]);
  });

  it("counts a record for a closed minute as late, keeps the first examples, and puts it into the oldest open minute", () => {
    const b = new MinuteBuffer(1);
    b.add(record(0), 1);
    b.add(record(120), 2); // minute 2: minute 0 closes (0 + 1 + 1)
    expect(b.takeReady().map((x) => x.minute)).toEqual([0]);
    for (let i = 0; i < LATE_EXAMPLES + 2; i++) b.add(record(10 + i, `192.0.2.${10 + i}`), 3 + i);
    expect(b.late.count).toBe(LATE_EXAMPLES + 2);
    expect(b.late.examples).toHaveLength(LATE_EXAMPLES);
    expect(b.late.examples[0]).toEqual({ record: 3, src: "192.0.2.10", time: 10, behindSeconds: 110 });
    b.closeAll();
    // Minute 1 is the oldest open one: the late records join it, after nothing else.
    expect(b.takeReady().map((x) => [x.minute, x.lines.length])).toEqual([
      [1, LATE_EXAMPLES + 2],
      [2, 1],
    ]);
  });

  it("with a window of 0, any record of an earlier minute than the newest is late", () => {
    const b = new MinuteBuffer(0);
    b.add(record(61), 1);
    b.add(record(59), 2);
    b.add(record(62), 3);
    expect(b.late.count).toBe(1);
    expect(b.late.examples).toEqual([{ record: 2, src: "192.0.2.1", time: 59, behindSeconds: 2 }]);
  });

  it("holds at most the window's minutes, however long the input", () => {
    const b = new MinuteBuffer(3);
    // One record a second for 10 hours: 60 a minute.
    for (let t = 0; t < 36_000; t++) {
      b.add(record(t), t + 1);
      b.takeReady();
    }
    expect(b.peakHeld).toBeLessThanOrEqual(60 * (3 + 2));
    expect(b.peakHeld).toBeGreaterThanOrEqual(60 * 3);
  });
});

describe("simulateStream reads any chunking the same", () => {
  const text = `${scanDemoLines().join("\n")}\n`;
  let whole: SimulationResult;
  beforeAll(async () => {
    whole = (await simulate(text, "aws-custom", config, "demo")).result;
  });

  function cut(s: string, size: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
    return out;
  }

  it.each([1, 7, 113, 4096])("in chunks of %i characters", async (size) => {
    const { result } = await simulateStream(cut(text, size), "aws-custom", config, { input: "demo" });
    // Only what is held between chunks depends on their size.
    expect({ ...result, peakHeldRecords: whole.peakHeldRecords }).toEqual(whole);
  });

  it("with CRLF line ends, cut between CR and LF, and without a final newline", async () => {
    const crlf = text.replace(/\n/g, "\r\n").slice(0, -2);
    const at = crlf.indexOf("\r\n", 5000) + 1; // between the CR and the LF
    const { result } = await simulateStream([crlf.slice(0, at), crlf.slice(at)], "aws-custom", config, { input: "demo" });
    expect({ ...result, peakHeldRecords: whole.peakHeldRecords }).toEqual(whole);
  });

  it("from a file, gzip or not (told by the magic bytes, not the name)", async () => {
    const plain = join(dir, "demo.log");
    const gz = join(dir, "demo.log.txt");
    writeFileSync(plain, text);
    writeFileSync(gz, gzipSync(text));
    const a = await run(["--input", plain, "--json", "--config", configFile]);
    const b = await run(["--input", gz, "--json", "--config", configFile]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const ra = JSON.parse(a.out) as SimulationResult;
    const rb = JSON.parse(b.out) as SimulationResult;
    expect({ ...rb, input: ra.input }).toEqual(ra);
    expect(decisions(ra)).toEqual(decisions(whole));
  });

  it("exits 2 on a truncated gzip, saying the input cannot be read", async () => {
    const bad = join(dir, "cut.log.gz");
    const gz = gzipSync(text);
    writeFileSync(bad, gz.subarray(0, Math.floor(gz.length / 2)));
    const r = await run(["--input", bad, "--json", "--config", configFile]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cannot read --input "${bad}"`);
    expect(r.out).toBe("");
  });

  it("exits 2 on a directory given as --input", async () => {
    const r = await run(["--input", dir, "--config", configFile]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cannot read --input "${dir}"`);
  });
});

describe("out-of-order input", () => {
  const lines = scanDemoLines();
  let inOrder: SimulationResult;
  beforeAll(async () => {
    inOrder = (await simulate(`${lines.join("\n")}\n`, "aws-custom", config)).result;
  });

  it("within the window: records up to 4 minutes out of order are sorted in; the same decisions, nothing late", async () => {
    // Each 4-minute span of event time, reversed.
    const spans = new Map<number, string[]>();
    for (const l of lines) {
      const k = Number.isFinite(timeOf(l)) ? Math.floor(timeOf(l) / 240) : -1;
      spans.set(k, [...(spans.get(k) ?? []), l]);
    }
    const shuffled = [...spans.values()].flatMap((s) => s.reverse());
    expect(shuffled).not.toEqual(lines);
    const { result } = await simulate(`${shuffled.join("\n")}\n`, "aws-custom", config);
    expect(result.late).toEqual({ count: 0, examples: [] });
    expect(result.reorderMinutes).toBe(REORDER_MINUTES);
    expect(decisions(result)).toEqual(decisions(inOrder));
    // The deciding record's number is its line in the shuffled file.
    for (const d of result.detections) expect(shuffled[d.record - 1]).toContain(` ${d.src} `);
  });

  it("beyond the window: a scanner's records an hour late are counted and reported, processed in the next batch, and still flag it", async () => {
    const isVertical = (l: string) => l.includes(` ${VERTICAL} `);
    const moved = [...lines.filter((l) => !isVertical(l)), ...lines.filter(isVertical)];
    const count = lines.filter(isVertical).length;
    const firstMoved = lines.length - count + 1;
    const newest = Math.max(...lines.filter((l) => !isVertical(l)).map(timeOf).filter(Number.isFinite));
    const { result } = await simulate(`${moved.join("\n")}\n`, "aws-custom", config);
    expect(result.late.count).toBe(count);
    expect(result.summary.late).toBe(count);
    expect(result.late.examples).toEqual(
      moved.slice(firstMoved - 1, firstMoved - 1 + LATE_EXAMPLES).map((l, i) => ({ record: firstMoved + i, src: VERTICAL, time: timeOf(l), behindSeconds: newest - timeOf(l) })),
    );
    const vertical = result.detections.find((d) => d.src === VERTICAL)!;
    expect(vertical).toMatchObject({ reason: "trw", probes: 4, failures: 4 });
    expect(vertical.record).toBeGreaterThanOrEqual(firstMoved);
    // Processed when it was read, with the oldest open minute (the window before the end), not at its event time.
    expect(vertical.at).toBeGreaterThanOrEqual((Math.floor(newest / 60) - REORDER_MINUTES) * 60);
    expect(vertical.at).toBeGreaterThan(inOrder.detections.find((d) => d.src === VERTICAL)!.at + 2400);
    expect(result.detections.find((d) => d.src === SWEEP)).toMatchObject({ time: DEMO_START + 610, reason: "trw" });
  });

  it("--reorder-minutes 0 makes the in-window shuffle late; the timeline says how many and how to fix it", async () => {
    const shuffled = [...lines.slice(0, 400)].reverse().concat(lines.slice(400));
    const file = join(dir, "reversed.log");
    writeFileSync(file, `${shuffled.join("\n")}\n`);
    const r = await run(["--input", file, "--config", configFile, "--reorder-minutes", "0"]);
    expect(r.code).toBe(0);
    // Reversed, the first 400 lines run backwards over their minutes: every record of an earlier minute than the newest read is late.
    let newest = -Infinity;
    let late = 0;
    parseFlowText(shuffled.join("\n"), "aws-custom", (rec) => {
      if (Math.floor(rec.time / 60) < Math.floor(newest / 60)) late++;
      newest = Math.max(newest, rec.time);
    }, emptyParseStats());
    expect(late).toBeGreaterThan(0);
    expect(r.out).toContain(`late: ${late} record(s) came more than 0 min out of event-time order and joined the next batch`);
    expect(r.out).toContain("Raise --reorder-minutes");
  });
});

describe("--reorder-minutes", () => {
  it.each([
    [["--input", "a", "--reorder-minutes", "0"], 0],
    [["--input", "a", "--reorder-minutes=30"], 30],
    [["--input", "a", "--reorder-minutes", "1440"], 1440],
  ])("%j is read", (argv, reorderMinutes) => {
    expect(parseArgs(argv)).toEqual({ ok: true, args: { input: "a", json: false, reorderMinutes } });
  });

  it.each(["-1", "1.5", "1441", "ten", "1e2"])("%s is refused, saying what is allowed", (v) => {
    expect(parseArgs(["--input", "a", "--reorder-minutes", v])).toEqual({ ok: false, problems: [`--reorder-minutes "${v}" is not a whole number of minutes from 0 to 1440`] });
  });
});

describe("progress", () => {
  it("the line: share read, lines, rate and time left", () => {
    expect(progressLine(25, 100, 2_000_000, 2000)).toBe("simulate [#####...............] 25%  2.0 M lines  1.0 M lines/s  ETA 0:06");
    expect(progressLine(100, 100, 5000, 1000)).toBe("simulate [####################] 100%  5000 lines  5000 lines/s  ETA 0:00");
    expect(progressLine(0, 100, 0, 0)).toContain("ETA ?");
  });

  it("is drawn on a terminal at most every 250 ms and cleared at the end; nothing without one", async () => {
    const file = join(dir, "progress.log");
    writeFileSync(file, `${scanDemoLines().join("\n")}\n`.repeat(4)); // about 800 kB: a dozen 64 KiB chunks
    const shown: string[] = [];
    let ms = 0;
    const r = await run(["--input", file, "--json", "--config", configFile], { progress: (l) => shown.push(l), now: () => (ms += 100) });
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(shown.length).toBeGreaterThanOrEqual(2);
    expect(shown.at(-1)).toBe("");
    for (const l of shown.slice(0, -1)) expect(l).toMatch(/^simulate \[[#.]{20}\] \d+%  .+ lines  .+ lines\/s  ETA /);
    // The clock moves 100 ms a read: a line every third chunk at most.
    const chunks = Math.ceil(readFileSync(file).length / (1 << 16));
    expect(shown.length - 1).toBeLessThanOrEqual(Math.ceil(chunks / 2));

    const quiet = await run(["--input", file, "--json", "--config", configFile]);
    expect(quiet.err).toBe("");
    expect(JSON.parse(quiet.out)).toEqual(JSON.parse(r.out));
  });
});

describe("heap", () => {
  it("the default bounds fit the npm script's 512 MB heap; larger ones are warned of, with the command that gives the heap they need", async () => {
    expect(heapBound(config.detector)).toBeLessThan(512 * 2 ** 20);
    const file = join(dir, "heap.log");
    writeFileSync(file, `${scanDemoLines().join("\n")}\n`);
    const base = JSON.parse(readFileSync(configFile, "utf8"));
    const big = join(dir, "big.json");
    writeFileSync(big, JSON.stringify({ ...base, quarantine: { ...base.quarantine, detector: { maxSources: 10_000_000 } } }));
    const quiet = await run(["--input", file, "--json", "--config", configFile]);
    expect(quiet.err).toBe("");
    const r = await run(["--input", file, "--json", "--config", big]);
    expect(r.code).toBe(0);
    const mb = Math.ceil((10_000_000 * 1400 + 100_000 * 270 + 64 * 2 ** 20) / 2 ** 20);
    expect(r.err).toContain(`maxSources 10000000 and antiSpoofing.maxClients 100000 may need up to ${mb} MB of heap`);
    expect(r.err).toContain(`node --max-old-space-size=${mb} --require tsx/cjs functions/local/simulate.ts --input ${file} --json --config ${big}`);
  });
});

describe("a large generated input", () => {
  it("is replayed in a heap of 64 MB: what is held is the window and the detector's state, not the input", () => {
    const file = join(dir, "large.log");
    const lines = 400_000;
    // A day of 400 k jittered v2 lines: about 280 a minute, up to 2 minutes out of order.
    const { bytes } = writeSyntheticFile(file, { seed: 3, lines, format: "aws-v2", arrivalJitterSeconds: 120, chunkLines: 100_000 });
    // Reading the file whole would keep ~45 MB of text, ~50 MB of records and a record → line map
    // live at once; V8 gives up (exit code 134) rather than exceed its old-space limit.
    expect(bytes).toBeGreaterThan(40e6);
    const child = spawnSync(process.execPath, ["--max-old-space-size=64", "--require", "tsx/cjs", resolve(ROOT, "functions/local/simulate.ts"), "--input", file, "--json", "--config", configFile], {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    expect(child.status).toBe(0);
    // The default bounds could need more than 64 MB, and simulate says so; this input does not.
    expect(child.stderr).toMatch(/^simulate: warning: maxSources 100000 .* may need up to \d+ MB of heap, more than this process's \d+ MB/);
    const result = JSON.parse(child.stdout) as SimulationResult;
    expect(result.stats.lines).toBe(lines);
    expect(result.late.count).toBe(0);
    // The window's 12 minutes (about 3.4 k records) and one 64 KiB chunk's (about 600 lines), at most; the input is 400 k.
    expect(result.peakHeldRecords).toBeGreaterThan(3000);
    expect(result.peakHeldRecords).toBeLessThan(6000);
  }, 60_000);
});
