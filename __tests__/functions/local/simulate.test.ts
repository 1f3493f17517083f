import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { validateConfig } from "../../../modules/core/config";
import { quarantineRuntimeConfig } from "../../../modules/core/quarantine-runtime";
import { DEMO_START, scanDemoLines } from "../../../functions/local/fixtures/make-scan-demo";
import { detectFormat, main, parseArgs, simulate, type SimulationResult } from "../../../functions/local/simulate";

const ROOT = resolve(__dirname, "../../..");
const FIXTURE = resolve(ROOT, "functions/local/fixtures/scan-demo.aws-custom.log");
const VERTICAL = "203.0.113.126";
const SWEEP = "198.51.100.59";
/** Last record of either scanner: 10:10:56. */
const LAST_SCAN = DEMO_START + 656;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lure-simulate-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The repository's config with quarantine settings the assertions rely on. */
function writeConfig(name: string, quarantine: Record<string, unknown>): string {
  const base = JSON.parse(readFileSync(resolve(ROOT, "lure.config.json"), "utf8"));
  delete base.$schema;
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ ...base, quarantine: { ...base.quarantine, ...quarantine } }));
  return file;
}
const SETTINGS = { quietPeriodMinutes: 30, forgetOnNormal: true, firstRulePriority: 100, defenceAfter: { sources: 1, windowMinutes: 5 }, copies: { kind: "ecs", defenceCount: 2, normalCount: 0 } };

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

describe("npm run simulate", () => {
  it("is the script these tests run", () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8"));
    expect(pkg.scripts.simulate).toBe("node --max-old-space-size=512 --require tsx/cjs functions/local/simulate.ts");
  });

  it("ships the fixture exactly as make-scan-demo.ts writes it", () => {
    expect(readFileSync(FIXTURE, "utf8")).toBe(`${scanDemoLines().join("\n")}\n`);
  });
});

describe("the scan demo, --json", () => {
  let result: SimulationResult;
  beforeAll(async () => {
    const r = await run(["--input", FIXTURE, "--json", "--config", writeConfig("demo.json", SETTINGS)]);
    expect(r).toMatchObject({ code: 0, err: "" });
    result = JSON.parse(r.out);
  });

  it("reads every line into exactly one counter", () => {
    expect(result.format).toBe("aws-custom");
    expect(result.stats).toEqual({ lines: 1722, records: 1720, malformed: 1, noData: 1, skipData: 0, ignored: 0, controlMessages: 0 });
    expect(result.records).toBe(1720);
    expect(result.clock).toContain("delivery delay");
  });

  it("flags the two scanners at their 4th probe, and no benign client", () => {
    expect(result.detections).toEqual([
      { src: SWEEP, record: 515, time: DEMO_START + 610, at: DEMO_START + 659, reason: "trw", probes: 4, failures: 4 },
      { src: VERTICAL, record: 556, time: DEMO_START + 625, at: DEMO_START + 659, reason: "trw", probes: 4, failures: 4 },
    ]);
    // The deciding lines are the scanners' 4th rejected probes.
    const lines = readFileSync(FIXTURE, "utf8").split("\n");
    expect(lines[514]).toMatch(new RegExp(`^5 \\S+ ${SWEEP.replace(/\./g, "\\.")} 10\\.0\\.3\\.103 \\d+ 22 6 1 44 ${DEMO_START + 610} .* REJECT OK`));
    expect(lines.slice(0, 515).filter((l) => l.includes(` ${SWEEP} `))).toHaveLength(4);
    expect(lines.slice(0, 556).filter((l) => l.includes(` ${VERTICAL} `) && l.includes("REJECT"))).toHaveLength(4);
  });

  it("Defence Mode from the batch of the first detection until the quiet period after the last scan record", () => {
    const firstDetection = Math.min(...result.detections.map((d) => d.time));
    expect(result.modes).toEqual([
      { mode: "defence", at: DEMO_START + 659 }, // the end of that minute's batch
      { mode: "normal", at: DEMO_START + 2460 }, // first tick at or after LAST_SCAN + 30 min
    ]);
    expect(Math.floor(result.modes[0].at / 60)).toBe(Math.floor(firstDetection / 60));
    expect(result.modes[1].at).toBe(Math.ceil((LAST_SCAN + 30 * 60) / 60) * 60);
  });

  it("copies 0 → 2 at Defence; the rule waits for them, then takes both CIDRs at the band's first priority; deleted at Normal; copies → 0", () => {
    // The copies are asked for at 10:10:59 and healthy 60 s later: the tick of 10:12:00 adds the rule.
    expect(result.waits).toEqual([{ at: DEMO_START + 659, sources: [SWEEP, VERTICAL] }]);
    expect(result.ruleChanges).toEqual([
      { at: DEMO_START + 720, kind: "create", priority: 100, id: "arn:memory:listener-rule/1", cidrs: [`${SWEEP}/32`, `${VERTICAL}/32`] },
      { at: DEMO_START + 2460, kind: "delete", priority: 100, id: "arn:memory:listener-rule/1" },
    ]);
    expect(result.copies).toEqual([
      { at: DEMO_START + 659, from: 0, to: 2 },
      { at: DEMO_START + 2460, from: 2, to: 0 },
    ]);
    expect(result.evicted).toEqual([]);
    expect(result.summary).toEqual({ sourcesFlagged: 2, withheld: 0, defencePeriods: 1, defenceSeconds: 1801, ruleChanges: 2, maxRules: 1, evicted: 0, late: 0, first: DEMO_START, last: DEMO_START + 4236 });
  });
});

describe("the human timeline", () => {
  it("prints modes, quarantines with record numbers, rules and copies in order, and a summary", async () => {
    const r = await run(["--input", FIXTURE, "--config", writeConfig("human.json", SETTINGS)]);
    expect(r.code).toBe(0);
    const body = r.out.split("\n").filter((l) => /^\d{4}-/.test(l));
    expect(body).toEqual([
      `2026-01-01T10:10:10Z  quarantine  ${SWEEP}  record 515: trw after 4 probes (4 failed)`,
      `2026-01-01T10:10:25Z  quarantine  ${VERTICAL}  record 556: trw after 4 probes (4 failed)`,
      "2026-01-01T10:10:59Z  DEFENCE MODE begins",
      "2026-01-01T10:10:59Z  copies      0 -> 2",
      `2026-01-01T10:10:59Z  rules       wait for copies (no healthy copy yet): ${SWEEP} ${VERTICAL}`,
      `2026-01-01T10:12:00Z  rule        create priority 100  ${SWEEP}/32 ${VERTICAL}/32`,
      "2026-01-01T10:41:00Z  NORMAL MODE returns",
      "2026-01-01T10:41:00Z  rule        delete priority 100",
      "2026-01-01T10:41:00Z  copies      2 -> 0",
    ]);
    expect(r.out).toContain("1722 lines: 1720 records, 1 malformed, 1 NODATA, 0 SKIPDATA, 0 ignored");
    expect(r.out).toContain("delivery delay");
    expect(r.out).toContain("copies 0 -> 2 in Defence, healthy 60 s after they are asked for");
    expect(r.out).toContain(`summary: 2 source(s) flagged (${SWEEP}, ${VERTICAL}); Defence Mode 1 time(s), 30m 1s in all; 2 rule change(s), at most 1 rule(s) at once; 0 evicted`);
  });

  it("runs with the repository's own config when no --config is given", async () => {
    const saved = process.env.LURE_CONFIG;
    delete process.env.LURE_CONFIG;
    try {
      const r = await run(["--input", FIXTURE]);
      expect(r.code).toBe(0);
      expect(r.out).toContain("DEFENCE MODE begins");
      expect(r.out).toContain("NORMAL MODE returns");
    } finally {
      if (saved !== undefined) process.env.LURE_CONFIG = saved;
    }
  });
});

describe("other inputs", () => {
  it("reads CloudWatch Logs events as JSON lines (auto-detected); records are numbered by event line", async () => {
    const lines = scanDemoLines();
    const events: string[] = [];
    for (let i = 0; i < lines.length; i += 100) {
      events.push(JSON.stringify({ messageType: "DATA_MESSAGE", logGroup: "flows", logStream: "eni", logEvents: lines.slice(i, i + 100).map((message, k) => ({ id: String(i + k), timestamp: 0, message })) }));
    }
    const file = join(dir, "demo.cwl.json");
    writeFileSync(file, `${events.join("\n")}\n`);
    const r = await run(["--input", file, "--json", "--config", writeConfig("cwl.json", SETTINGS)]);
    expect(r.code).toBe(0);
    const result: SimulationResult = JSON.parse(r.out);
    expect(result.format).toBe("cwl-json");
    expect(result.stats).toMatchObject({ lines: 1722, records: 1720, malformed: 1, noData: 1 });
    expect(result.detections.map((d) => [d.src, d.record])).toEqual([
      [SWEEP, 6], // line 515 of the log is in the 6th event line
      [VERTICAL, 6],
    ]);
  });

  it("a forced wrong format reads nothing as a record and flags nothing", async () => {
    const r = await run(["--input", FIXTURE, "--format", "aws-v2", "--json", "--config", writeConfig("v2.json", SETTINGS)]);
    expect(r.code).toBe(0);
    const result: SimulationResult = JSON.parse(r.out);
    expect(result.stats).toMatchObject({ lines: 1722, records: 0, malformed: 1722, noData: 0 });
    expect(result.detections).toEqual([]);
    expect(result.modes).toEqual([]);
  });

  it("a remembered scanner seen again after Normal Mode brings Defence back at once", async () => {
    const lines = scanDemoLines();
    // The vertical scanner comes back at 11:20 with one ordinary, successful request.
    const back = DEMO_START + 80 * 60;
    lines.push(`5 eni-0a1b2c3d4e5f60718 ${VERTICAL} 10.0.1.10 41000 443 6 8 1400 ${back} ${back + 60} ACCEPT OK 3 ${VERTICAL} 10.0.1.10 ingress`);
    const parsed = validateConfig({ ...JSON.parse(readFileSync(writeConfig("remember.json", { ...SETTINGS, forgetOnNormal: false, rememberMinutes: 120 }), "utf8")) });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const { result } = await simulate(lines.join("\n"), "aws-custom", quarantineRuntimeConfig(parsed.config), "remember");
    expect(result.detections.map((d) => [d.src, d.record, d.reason])).toEqual([
      [SWEEP, 515, "trw"],
      [VERTICAL, 556, "trw"],
      [VERTICAL, 1723, "remembered"],
    ]);
    expect(result.modes).toEqual([
      { mode: "defence", at: DEMO_START + 659 },
      { mode: "normal", at: DEMO_START + 2460 },
      { mode: "defence", at: back },
      { mode: "normal", at: back + 30 * 60 },
    ]);
    expect(result.ruleChanges.map((c) => [c.at, c.kind, c.cidrs ?? []])).toEqual([
      [DEMO_START + 720, "create", [`${SWEEP}/32`, `${VERTICAL}/32`]],
      [DEMO_START + 2460, "delete", []],
      [back + 60, "create", [`${VERTICAL}/32`]], // only the source seen again, once the copies are back up
      [back + 30 * 60, "delete", []],
    ]);
    expect(result.waits).toEqual([
      { at: DEMO_START + 659, sources: [SWEEP, VERTICAL] },
      { at: back, sources: [VERTICAL] },
    ]);
    expect(result.summary.sourcesFlagged).toBe(2);
  });
});

describe("bad input", () => {
  it.each([
    [[], ["--input is required: the flow-log file to replay"]],
    [["--input"], ["--input needs a value"]],
    [["--input", "f", "--format", "nsg"], ['--format "nsg" is not one of aws-v2, aws-custom, cwl-json, azure-vnet, gcp-lb']],
    [["--input", "f", "--fast", "--config"], ['unknown argument "--fast"', "--config needs a value"]],
    [["--input", "--json"], ["--input needs a value"]], // --json is not taken for a file name
  ])("%j is refused", (argv, problems) => {
    expect(parseArgs(argv)).toEqual({ ok: false, problems });
  });

  it.each([
    [["--input", "a.log"], { input: "a.log", json: false }],
    [["--input=a.log", "--json", "--format=cwl-json", "--config", "c.json"], { input: "a.log", json: true, format: "cwl-json", config: "c.json" }],
  ])("%j is read", (argv, args) => {
    expect(parseArgs(argv)).toEqual({ ok: true, args });
  });

  it("exits 2 on bad arguments, naming every problem and the usage", async () => {
    const r = await run(["--format", "x"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--format "x" is not one of');
    expect(r.err).toContain("--input is required");
    expect(r.err).toContain("usage: npm run simulate --");
    expect(r.out).toBe("");
  });

  it("exits 2 on a missing file and says what to give", async () => {
    const r = await run(["--input", join(dir, "nope.log")]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cannot read --input "${join(dir, "nope.log")}"`);
    expect(r.err).toContain("give the path of a flow-log file");
  });

  it("exits 2 on an empty file and on one whose format cannot be told", async () => {
    const empty = join(dir, "empty.log");
    writeFileSync(empty, "\n\n");
    expect((await run(["--input", empty])).err).toContain("is empty");
    const odd = join(dir, "odd.log");
    writeFileSync(odd, "a b c\n");
    const r = await run(["--input", odd]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("pass --format aws-v2|aws-custom|cwl-json");
  });

  it("exits 2 on a config with problems, showing them", async () => {
    const bad = writeConfig("bad.json", { quietPeriodMinutes: 0 });
    const r = await run(["--input", FIXTURE, "--config", bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("quarantine.quietPeriodMinutes");
    expect(r.out).toBe("");
  });
});

describe("detectFormat", () => {
  it.each([
    ["\n{\"awslogs\":{}}\n", "cwl-json"],
    ["2 123456789012 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 40 1 2 REJECT OK\n", "aws-v2"],
    [`${scanDemoLines()[0]}\n`, "aws-custom"],
    ["version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n", "aws-v2"],
    ["one two\n", undefined],
    ["", undefined],
  ])("%j → %s", (text, format) => {
    expect(detectFormat(text)).toBe(format);
  });
});
