import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CUSTOMER, FRESH, SPOOF_SCAN, SPOOF_START, spoofDemoLines } from "../../../functions/local/fixtures/make-spoof-demo";
import { main, type SimulationResult } from "../../../functions/local/simulate";

const ROOT = resolve(__dirname, "../../..");
const FIXTURE = resolve(ROOT, "functions/local/fixtures/spoof-demo.aws-custom.log");

async function simulateFixture(): Promise<SimulationResult> {
  let out = "";
  let err = "";
  const code = await main(["--input", FIXTURE, "--json", "--config", resolve(ROOT, "lure.config.json")], { out: (t) => (out += t), err: (t) => (err += t) });
  expect([code, err]).toEqual([0, ""]);
  return JSON.parse(out) as SimulationResult;
}

describe("the framing demo (spoof-demo.aws-custom.log)", () => {
  let result: SimulationResult;
  beforeAll(async () => {
    result = await simulateFixture();
  });

  it("ships exactly what make-spoof-demo.ts writes", () => {
    expect(readFileSync(FIXTURE, "utf8")).toBe(`${spoofDemoLines().join("\n")}\n`);
  });

  it("the scan forged in the customer's name is withheld; the same scan from a fresh address is steered, at the same 4th probe", () => {
    const lines = readFileSync(FIXTURE, "utf8").split("\n");
    expect(result.withheld).toEqual([
      { src: CUSTOMER, record: expect.any(Number), time: SPOOF_SCAN + 3, at: expect.any(Number), reason: "trw", probes: 4, failures: 4, establishedSince: SPOOF_START },
    ]);
    expect(result.detections).toEqual([{ src: FRESH, record: expect.any(Number), time: SPOOF_SCAN + 3, at: result.withheld[0].at, reason: "trw", probes: 4, failures: 4 }]);
    // Each deciding line is that source's 4th probe (the half-open probe of 443 among them).
    for (const row of [result.withheld[0], result.detections[0]]) {
      expect(lines[row.record - 1]).toContain(` ${row.src} 10.0.1.10 `);
      expect(lines.slice(0, row.record).filter((l) => l.includes(` ${row.src} 10.0.1.10 `) && / 6\d{4} /.test(l))).toHaveLength(4);
    }
  });

  it("only the fresh address reaches the copies: one rule holding its /32, never the customer's", () => {
    expect(result.ruleChanges.filter((c) => c.kind !== "delete").flatMap((c) => c.cidrs)).toEqual([`${FRESH}/32`]);
    expect(result.modes.map((m) => m.mode)).toEqual(["defence", "normal"]);
    expect(result.summary).toMatchObject({ sourcesFlagged: 1, withheld: 1 });
  });

  it("with antiSpoofing off, the customer is steered with the scanner", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "lure-spoof-"));
    try {
      const base = JSON.parse(readFileSync(resolve(ROOT, "lure.config.json"), "utf8"));
      delete base.$schema;
      const file = join(dir, "off.json");
      writeFileSync(file, JSON.stringify({ ...base, quarantine: { ...base.quarantine, detector: { antiSpoofing: { enabled: false } } } }));
      let out = "";
      expect(await main(["--input", FIXTURE, "--json", "--config", file], { out: (t) => (out += t), err: () => undefined })).toBe(0);
      const off = JSON.parse(out) as SimulationResult;
      expect(off.detections.map((d) => d.src).sort()).toEqual([CUSTOMER, FRESH].sort());
      expect(off.withheld).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
