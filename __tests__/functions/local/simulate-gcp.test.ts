import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { CLOUD_ARMOR_FIRST_PRIORITY } from "../../../functions/gcp/quarantine/contract";
import { GCP_DEMO_BENIGN, GCP_DEMO_EXTRA_LINES, GCP_DEMO_START, GCP_SCAN_SECONDS, gcpScanDemo, gcpScanDemoText } from "../../../functions/local/fixtures/make-scan-demo-gcp";
import { ROOT, simulateSandbox } from "../../helpers/simulate";
import { detectFormat, FORMATS, parseArgs, USAGE, type SimulationResult } from "../../../functions/local/simulate";
import { gcpLbLogEntry, syntheticHttpRequests } from "../../../functions/local/synthetic-http";

const FIXTURE = resolve(ROOT, "functions/local/fixtures/scan-demo.gcp-lb.jsonl");
const { config: configFile, run, json, write } = simulateSandbox("gcp");

const demo = gcpScanDemo();
const dirbuster = demo.sources.find((s) => s.kind === "dirbuster")!.src;
const nikto = demo.sources.find((s) => s.kind === "nikto")!.src;
const benign = demo.sources.filter((s) => !s.scanner);

describe("lure simulate --format gcp-lb", () => {
  it("ships the fixture exactly as make-scan-demo-gcp.ts writes it, under 400 KB", () => {
    const disk = readFileSync(FIXTURE, "utf8");
    expect(disk).toBe(gcpScanDemoText());
    expect(Buffer.byteLength(disk)).toBeLessThan(400_000);
    expect(benign.map((s) => s.kind)).toEqual(GCP_DEMO_BENIGN);
  });

  it("takes the format from --format and from the guess, and names it in the usage", () => {
    expect(FORMATS).toContain("gcp-lb");
    expect(USAGE).toContain("azure-vnet|gcp-lb]");
    const parsed = parseArgs(["--input", "x", "--format", "gcp-lb"]);
    expect(parsed.ok && parsed.args.format).toBe("gcp-lb");
    const line = JSON.stringify(gcpLbLogEntry(demo.records[0], 0));
    expect(detectFormat(`${line}\n`)).toBe("gcp-lb");
    expect(detectFormat(`\n[\n  ${line}\n]`)).toBe("gcp-lb");
    expect(detectFormat("[]")).toBe("gcp-lb");
    expect(detectFormat(JSON.stringify(gcpLbLogEntry(demo.records[0], 0), null, 2))).toBe("gcp-lb");
    expect(detectFormat('{"logName":"projects/p/logs/requests"}')).toBe("gcp-lb");
    // The others keep their guesses.
    expect(detectFormat('{"records":[')).toBe("azure-vnet");
    expect(detectFormat("{\n  \"records\": []\n}")).toBe("azure-vnet");
    expect(detectFormat('{"timestamp":1,"message":"2 123 eni 1.2.3.4 5.6.7.8 1 2 6 1 40 1 2 ACCEPT OK"}\n')).toBe("cwl-json");
    expect(detectFormat("2 123 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 40 1 2 ACCEPT OK\n")).toBe("aws-v2");
  });

  it("flags the dirbuster (trw) and Nikto (agent), none of the benign sessions, and plans Cloud Armor rules", async () => {
    const [guessed, forced] = [await json(FIXTURE), await json(FIXTURE, ["--format", "gcp-lb"])];
    expect(forced).toEqual(guessed);
    const r = guessed;
    expect(r.format).toBe("gcp-lb");
    expect(r.stats).toEqual({ lines: demo.records.length + 2, records: demo.records.length, malformed: 1, noData: 0, skipData: 0, ignored: 1, controlMessages: 0, otherForwardingRule: 0 });
    expect(r.records).toBe(demo.records.length);
    expect(r.detections.map((d) => [d.src, d.reason, d.time])).toEqual([
      [dirbuster, "trw", GCP_DEMO_START + GCP_SCAN_SECONDS],
      [nikto, "agent", GCP_DEMO_START + GCP_SCAN_SECONDS],
    ]);
    expect(r.detections.map((d) => [d.probes, d.failures])).toEqual([
      [4, 4],
      [1, 1],
    ]);
    const flagged = r.detections.map((d) => d.src);
    for (const b of benign) expect(flagged).not.toContain(b.src);
    expect(r.withheld).toEqual([]);
    expect(r.modes.map((m) => m.mode)).toEqual(["defence", "normal"]);
    // One Cloud Armor rule (10 ranges a rule) from the policy's band, created and deleted.
    expect(r.ruleChanges.map((c) => [c.kind, c.priority])).toEqual([
      ["create", CLOUD_ARMOR_FIRST_PRIORITY],
      ["delete", CLOUD_ARMOR_FIRST_PRIORITY],
    ]);
    expect(r.ruleChanges[0].cidrs!.slice().sort()).toEqual([`${dirbuster}/32`, `${nikto}/32`].sort());
    expect(r.summary.sourcesFlagged).toBe(2);
    // Record numbers are entry indexes (here, lines): each detection's record is a line of its source.
    const lines = readFileSync(FIXTURE, "utf8").split("\n");
    for (const d of r.detections) expect((JSON.parse(lines[d.record - 1]) as { httpRequest: { remoteIp: string } }).httpRequest.remoteIp).toBe(d.src);
    expect(() => JSON.parse(lines[GCP_DEMO_EXTRA_LINES.truncated - 1])).toThrow();
    expect(JSON.parse(lines[GCP_DEMO_EXTRA_LINES.otherResource - 1]).resource.type).toBe("cloud_run_revision");
  });

  it("prints the timeline with entry counts, the reasons and the Cloud Armor priorities", async () => {
    const r = await run(["--input", FIXTURE, "--config", configFile()]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`(gcp-lb)\n  ${demo.records.length + 2} log entries: ${demo.records.length} records, 1 malformed,`);
    expect(r.out).toContain(`quarantine  ${dirbuster}  record `);
    expect(r.out).toContain(`quarantine  ${nikto}  record `);
    expect(r.out).toContain(": agent after 1 probes (1 failed)");
    expect(r.out).toContain(`rules: 100 x 10 CIDRs from priority ${CLOUD_ARMOR_FIRST_PRIORITY}`);
    expect(r.out).toContain("DEFENCE MODE begins");
    expect(r.out).toContain("NORMAL MODE returns");
    expect(r.out).toContain(`summary: 2 source(s) flagged (${dirbuster}, ${nikto})`);
  });

  it("reads the same entries as a JSON array (gcloud logging read --format=json), and gzipped, to the same result", async () => {
    const plain = await json(FIXTURE);
    const entries = demo.records.map((r, i) => gcpLbLogEntry(r, i));
    const array = await json(write("gcloud.json", JSON.stringify(entries, null, 2)));
    const gz = await json(write("demo.jsonl.gz", gzipSync(gcpScanDemoText())));
    expect({ ...gz, input: "", peakHeldRecords: 0 }).toEqual({ ...plain, input: "", peakHeldRecords: 0 });
    // The array has no extra lines: two fewer entries, so the records are numbered differently.
    const strip = (x: SimulationResult) => ({ ...x, input: "", peakHeldRecords: 0, stats: null, detections: x.detections.map((d) => ({ ...d, record: 0 })) });
    expect(strip(array)).toEqual(strip(plain));
    expect(array.stats).toMatchObject({ lines: demo.records.length, records: demo.records.length, malformed: 0, ignored: 0 });
  });

  it("flags the other synthetic scanners with their reasons (no benign source)", async () => {
    const g = syntheticHttpRequests({ seed: 11, start: GCP_DEMO_START, hours: 1, benignSessions: 40, scanners: { "vuln-paths": 1, wpscan: 1, armor: 1, "patient-crawl": 1 }, scanAt: 300 });
    const r = await json(write("more.jsonl", g.records.map((x, i) => JSON.stringify(gcpLbLogEntry(x, i))).join("\n")));
    const reasonOf = new Map(r.detections.map((d) => [d.src, d.reason]));
    expect(Object.fromEntries(g.sources.filter((s) => s.scanner).map((s) => [s.kind, reasonOf.get(s.src)]))).toEqual({ "vuln-paths": "trw", wpscan: "agent", armor: "agent", "patient-crawl": "trw" });
    expect(g.sources.filter((s) => !s.scanner && reasonOf.has(s.src))).toEqual([]);
  });

  it("exits 2 on an input with no entry", async () => {
    const empty = write("empty.jsonl", "\n \n");
    const r = await run(["--input", empty, "--format", "gcp-lb", "--config", configFile()]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("is empty");
  });
});
