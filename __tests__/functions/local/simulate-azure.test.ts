import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { validateConfig } from "../../../modules/core/config";
import { quarantineRuntimeConfig } from "../../../modules/core/quarantine-runtime";
import { emptyVnetParseStats } from "../../../functions/core/vnet-flow";
import type { FlowRecord } from "../../../functions/core/quarantine-types";
import { AZURE_DEMO_START, azureScanDemo, azureScanDemoText } from "../../../functions/local/fixtures/make-scan-demo-azure";
import { ROOT, simulateSandbox } from "../../helpers/simulate";
import { detectFormat, parseArgs, simulateStream } from "../../../functions/local/simulate";
import { formatVnetDocuments, syntheticVnetFlowLogs } from "../../../functions/local/synthetic-vnet";
import { VnetStream } from "../../../functions/local/vnet-stream";

const FIXTURE = resolve(ROOT, "functions/local/fixtures/scan-demo.azure-vnet.json");
const { config: configFile, run, json, write } = simulateSandbox("azure");

describe("lure simulate --format azure-vnet", () => {
  it("ships the fixture exactly as make-scan-demo-azure.ts writes it, under 200 KB", () => {
    const disk = readFileSync(FIXTURE, "utf8");
    expect(disk).toBe(azureScanDemoText());
    expect(Buffer.byteLength(disk)).toBeLessThan(200_000);
  });

  it("takes the format from --format and from the guess", () => {
    const parsed = parseArgs(["--input", "x", "--format", "azure-vnet"]);
    expect(parsed.ok && parsed.args.format).toBe("azure-vnet");
    expect(detectFormat('{"records":[')).toBe("azure-vnet");
    expect(detectFormat('\n  { "records" : [ {}')).toBe("azure-vnet");
    expect(detectFormat("{\n  \"records\": []\n}")).toBe("azure-vnet");
    expect(detectFormat('{"time":"x","records":[]}\n')).toBe("azure-vnet");
    // The others keep their guesses.
    expect(detectFormat('{"timestamp":1,"message":"2 123 eni 1.2.3.4 5.6.7.8 1 2 6 1 40 1 2 ACCEPT OK"}\n')).toBe("cwl-json");
    expect(detectFormat("2 123 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 40 1 2 ACCEPT OK\n")).toBe("aws-v2");
  });

  it("names exactly the planted scanners on the fixture, with Defence Mode beginning and ending and rule changes", async () => {
    const planted = azureScanDemo();
    const [guessed, forced] = [await json(FIXTURE), await json(FIXTURE, ["--format", "azure-vnet"])];
    expect(forced).toEqual(guessed);
    const r = guessed;
    expect(r.format).toBe("azure-vnet");
    expect(r.stats.lines).toBe(planted.tuples);
    expect(r.stats.malformed).toBe(3);
    expect(r.records).toBe(planted.tuples - 3);
    const flagged = [...new Set(r.detections.map((d) => d.src))].sort();
    expect(flagged).toEqual([...planted.scanners.vertical, ...planted.scanners.horizontal].sort());
    expect(flagged).toHaveLength(2);
    for (const c of planted.clients) expect(flagged).not.toContain(c);
    expect(r.withheld).toEqual([]);
    expect(r.modes.map((m) => m.mode)).toEqual(["defence", "normal"]);
    expect(r.ruleChanges.map((c) => c.kind)).toEqual(["create", "delete"]);
    expect(r.ruleChanges[0].cidrs!.slice().sort()).toEqual(flagged.map((s) => `${s}/32`).sort());
    // The rules a gateway's rewrite set would hold: from sequence 100, not the ALB band.
    expect(r.ruleChanges.map((c) => c.priority)).toEqual([100, 100]);
    expect(r.summary.first! >= AZURE_DEMO_START && r.summary.last! < AZURE_DEMO_START + 71 * 60).toBe(true);
    // Record numbers are tuple indexes: each detection's record is a tuple of its source.
    const tuples = planted.documents.flatMap((d) => d.records.flatMap((rec) => rec.flowRecords.flows.flatMap((f) => f.flowGroups.flatMap((g) => g.flowTuples))));
    for (const d of r.detections) expect(tuples[d.record - 1].split(",")[1]).toBe(d.src);
  });

  it("prints the timeline with tuple counts and the planted scanners", async () => {
    const r = await run(["--input", FIXTURE, "--config", configFile()]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("(azure-vnet)\n  721 flow tuples: 718 records, 3 malformed,");
    expect(r.out).toContain("DEFENCE MODE begins");
    expect(r.out).toContain("NORMAL MODE returns");
    expect(r.out).toMatch(/summary: 2 source\(s\) flagged \((203\.0\.113\.10, 198\.51\.100\.14|198\.51\.100\.14, 203\.0\.113\.10)\)/);
  });

  it("reads several documents one after another, and gzip, to the same result", async () => {
    const text = azureScanDemoText();
    expect(azureScanDemo().documents).toHaveLength(2);
    const plain = await json(FIXTURE);
    // Pretty-printed documents with blank lines between them.
    const pretty = azureScanDemo().documents.map((d) => JSON.stringify(d, null, 2)).join("\n\n  \n");
    const a = await json(write("pretty.json", pretty));
    const b = await json(write("demo.json.gz", gzipSync(text)));
    // What is held at most depends on where chunks end (window + one chunk); nothing else may.
    for (const x of [a, b]) expect({ ...x, input: "", peakHeldRecords: 0 }).toEqual({ ...plain, input: "", peakHeldRecords: 0 });
  });

  it("counts malformed input without stopping: junk between documents, a bad record, a document with no records, a cut document", async () => {
    const one = syntheticVnetFlowLogs({ seed: 1, start: AZURE_DEMO_START, minutes: 3 });
    const doc = formatVnetDocuments(one.documents);
    const text = `${doc}garbage\n{"other":[1,2]}\n{"records":[{"flowLogVersion":3},17,{"flowLogVersion":4,"flowRecords":{"flows":[{"flowGroups":[{"flowTuples":["1,2"]}]}]}}]}\n${doc}{"records":[{"flowLog`;
    const r = await json(write("bad.json", text));
    // 1 junk run, 1 document without records, version 3, a non-object record, 1 bad tuple, the cut document.
    expect(r.stats.malformed).toBe(6);
    expect(r.records).toBe(2 * one.tuples);
    expect(r.stats.lines).toBe(2 * one.tuples + 1);
  });

  it("exits 2 on an input with no document", async () => {
    const empty = write("empty.json", "\n \n");
    for (const argv of [["--input", empty], ["--input", empty, "--format", "azure-vnet"]]) {
      const r = await run([...argv, "--config", configFile()]);
      expect(r.code).toBe(2);
      expect(r.err).toContain("is empty");
    }
  });

  it("gives the same records whatever the chunk boundaries", async () => {
    const text = `${azureScanDemoText()}  \n${formatVnetDocuments(syntheticVnetFlowLogs({ seed: 9, start: AZURE_DEMO_START + 7200, minutes: 2, malformed: 2 }).documents)}`;
    const whole = collect([text]);
    for (const size of [1, 7, 333, 4096]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      expect(collect(chunks)).toEqual(whole);
    }
    expect(whole.stats.malformed).toBe(5);
  });

  it("batches Azure records by minute as the other formats: chunked input replays the same, holding the window only", async () => {
    const parsed = validateConfig({ ...JSON.parse(readFileSync(configFile(), "utf8")) });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const cfg = quarantineRuntimeConfig(parsed.config);
    const text = azureScanDemoText();
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 4096) chunks.push(text.slice(i, i + 4096));
    const whole = await simulateStream([text], "azure-vnet", cfg, { input: "t" });
    const cut = await simulateStream(chunks, "azure-vnet", cfg, { input: "t" });
    expect({ ...cut.result, peakHeldRecords: 0 }).toEqual({ ...whole.result, peakHeldRecords: 0 });
    expect(cut.result.peakHeldRecords).toBeLessThan(cut.result.records / 2);
    expect(cut.result.late.count).toBe(0);
  });
});

function collect(chunks: string[]): { records: [FlowRecord, number][]; stats: ReturnType<typeof emptyVnetParseStats> } {
  const stats = emptyVnetParseStats();
  const records: [FlowRecord, number][] = [];
  const s = new VnetStream((r, n) => records.push([r, n]), stats);
  for (const c of chunks) s.push(c);
  s.end();
  return { records, stats };
}

describe("syntheticVnetFlowLogs", () => {
  it("is deterministic and cuts one record per minute, one document per hour", () => {
    const o = { seed: 3, start: AZURE_DEMO_START + 30 * 60, minutes: 40, scanMinute: 5, malformed: 2 };
    const g = syntheticVnetFlowLogs(o);
    expect(syntheticVnetFlowLogs(o)).toEqual(g);
    expect(syntheticVnetFlowLogs({ ...o, seed: 4 })).not.toEqual(g);
    expect(g.documents.map((d) => d.records.length)).toEqual([30, 10]);
    for (const d of g.documents) for (const rec of d.records) expect(rec.flowLogVersion).toBe(4);
    // 8 benign a minute, 100 ports, 50 hosts, 2 malformed.
    expect(g.tuples).toBe(40 * 8 + 100 + 50 + 2);
  });

  it("plants D tuples for the scans, whole connections with proof for benign clients, millisecond timestamps", () => {
    const g = syntheticVnetFlowLogs({ seed: 5, start: AZURE_DEMO_START, minutes: 2, scanMinute: 1 });
    const tuples = g.documents.flatMap((d) => d.records.flatMap((rec) => rec.flowRecords.flows.flatMap((f) => f.flowGroups.flatMap((gr) => gr.flowTuples))));
    const fields = tuples.map((t) => t.split(","));
    for (const f of fields) {
      expect(f).toHaveLength(13);
      expect(Number(f[0])).toBeGreaterThanOrEqual(AZURE_DEMO_START * 1000);
      expect(f[6]).toBe("I");
    }
    const [v] = g.scanners.vertical;
    const [h] = g.scanners.horizontal;
    const vt = fields.filter((f) => f[1] === v);
    expect(new Set(vt.map((f) => f[4])).size).toBe(100);
    expect(vt.filter((f) => f[7] !== "D").map((f) => f[4]).sort()).toEqual(["443", "80"]);
    const ht = fields.filter((f) => f[1] === h);
    expect(new Set(ht.map((f) => f[2])).size).toBe(50);
    expect(ht.every((f) => f[7] === "D" && f[4] === "22" && f[2].startsWith("10.43.0."))).toBe(true);
    const benign = fields.filter((f) => g.clients.includes(f[1]));
    expect(benign).toHaveLength(16);
    for (const f of benign) {
      expect(["C", "E"]).toContain(f[7]);
      expect(["80", "443"]).toContain(f[4]);
      expect(Number(f[11])).toBeGreaterThanOrEqual(2);
      expect(Number(f[12]) / Number(f[11])).toBeGreaterThanOrEqual(500);
    }
  });
});
