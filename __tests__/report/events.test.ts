/**
 * Event counts for the before/after figures: the events file's checks, T-Pot's Elasticsearch served
 * by nock (its aggregation answer, a refused login, a server error, an answer that is not T-Pot's),
 * and the CLI's argument errors, all reported at once.
 */
import nock from "nock";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { main, parseArgs } from "../../modules/core/report/cli";
import { elasticsearchBody, elasticsearchEvents, parseEventsFile } from "../../modules/core/report/events";
import { writeFixture, type FixtureTruth } from "../../modules/core/report/fixture";
import { capturingDeps } from "../helpers/report";

const ES = "https://es.example.test:9200";
const FROM = Date.parse("2026-10-05T00:00:00Z");
const TO = Date.parse("2026-10-05T03:00:00Z");
const H = 3_600_000;

/** An answer shaped like Elasticsearch's terms → date_histogram aggregation. */
const answer = (buckets: { type: string; counts: number[] }[]) => ({
  took: 4,
  hits: { total: { value: 0, relation: "eq" }, hits: [] },
  aggregations: { types: { buckets: buckets.map((b) => ({ key: b.type, doc_count: b.counts.reduce((x, y) => x + y, 0), hours: { buckets: b.counts.map((c, i) => ({ key: FROM + i * H, key_as_string: new Date(FROM + i * H).toISOString(), doc_count: c })) } })) } },
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("parseEventsFile", () => {
  it("reads counts per honeypot and hour", () => {
    const got = parseEventsFile(JSON.stringify({ "aws/cowrie": { "2026-10-05T00:00:00.000Z": 3, "2026-10-05T01:00:00Z": 0 } }), "e.json");
    expect([...(got.get("aws/cowrie") ?? [])]).toEqual([
      [FROM, 3],
      [FROM + H, 0],
    ]);
  });

  it("reports every problem at once, with where it is", () => {
    const text = JSON.stringify({ cowrie: {}, "aws/cowrie": { "2026-10-05T00:30:00Z": 1, "2026-10-05T01:00:00Z": -2, "2026-10-05T02:00:00Z": 1.5 }, "gcp/x": [] });
    expect(() => parseEventsFile(text, "e.json")).toThrow(
      [
        'e.json: key "cowrie" is not "<cloud>/<honeypot>"',
        'e.json: aws/cowrie: "2026-10-05T00:30:00Z" is not the start of an hour',
        "e.json: aws/cowrie: 2026-10-05T01:00:00Z: -2 is not a count",
        "e.json: aws/cowrie: 2026-10-05T02:00:00Z: 1.5 is not a count",
        "e.json: gcp/x is not an object of hour → count",
      ].join("\n"),
    );
    expect(() => parseEventsFile("{", "e.json")).toThrow("e.json: not JSON");
    expect(() => parseEventsFile("[]", "e.json")).toThrow('e.json: not an object of "<cloud>/<honeypot>" keys');
  });
});

describe("elasticsearchEvents (nock)", () => {
  const query = (env: NodeJS.ProcessEnv = {}) => ({ cloud: "gcp" as const, url: `${ES}/`, from: FROM, to: TO, honeypots: ["cowrie", "dionaea", "conpot_IEC104", "conpot_default"], env });

  it("asks for hourly counts per T-Pot type and gives them to lure's honeypots of that cloud", async () => {
    let body: unknown;
    const scope = nock(ES)
      .matchHeader("authorization", `Basic ${Buffer.from("reader:s3cret").toString("base64")}`)
      .post("/logstash-*/_search", (b) => ((body = b), true))
      .reply(200, answer([{ type: "Cowrie", counts: [5, 0, 7, 1] }, { type: "Dionaea", counts: [2, 2, 2, 2] }, { type: "Suricata", counts: [100, 100, 100, 100] }]));
    const got = await elasticsearchEvents(query({ LURE_ES_USER: "reader", LURE_ES_PASSWORD: "s3cret" }));
    scope.done();
    expect(body).toEqual(elasticsearchBody(FROM, TO));
    expect(body).toMatchObject({ size: 0, aggs: { types: { terms: { field: "type.keyword" }, aggs: { hours: { date_histogram: { fixed_interval: "1h", min_doc_count: 0 } } } } } });
    expect([...(got.events.get("gcp/cowrie") ?? [])]).toEqual([
      [FROM, 5],
      [FROM + H, 0],
      [FROM + 2 * H, 7],
      [FROM + 3 * H, 1],
    ]);
    expect(got.events.get("gcp/dionaea")?.size).toBe(4);
    expect([...got.events.keys()].sort()).toEqual(["gcp/cowrie", "gcp/dionaea"]);
    expect(got.warnings).toEqual([`Elasticsearch for gcp at ${ES}: events of type Suricata belong to no honeypot of gcp in the history; left out`]);
  });

  it("says when one type is logged by several honeypots of the history", async () => {
    nock(ES).matchHeader("authorization", "ApiKey k3y").post("/logstash-*/_search").reply(200, answer([{ type: "ConPot", counts: [1] }]));
    const got = await elasticsearchEvents(query({ LURE_ES_API_KEY: "k3y", LURE_ES_USER: "ignored" }));
    expect([...got.events.keys()].sort()).toEqual(["gcp/conpot_IEC104", "gcp/conpot_default"]);
    expect(got.warnings.join("\n")).toMatch(/type ConPot is logged by conpot_IEC104, conpot_default, which cannot be told apart/);
  });

  it("takes a login from the URL, refuses a 401 with what to set, and never shows the password", async () => {
    nock(ES).matchHeader("authorization", `Basic ${Buffer.from("me:p@ss").toString("base64")}`).post("/logstash-*/_search").reply(401, { error: "unauthorized" });
    await expect(elasticsearchEvents({ ...query(), url: "https://me:p%40ss@es.example.test:9200" })).rejects.toThrow(
      "Elasticsearch for gcp at https://es.example.test:9200 refused the request (401): set LURE_ES_USER and LURE_ES_PASSWORD, or LURE_ES_API_KEY, to a user that may read logstash-*",
    );
  });

  it("fails on a 5xx rather than reporting no attacks", async () => {
    nock(ES).post("/logstash-*/_search").reply(503, "search_phase_execution_exception");
    await expect(elasticsearchEvents(query())).rejects.toThrow(/^Elasticsearch for gcp at https:\/\/es\.example\.test:9200 failed \(503 [^)]*\): search_phase_execution_exception; try again when the cluster is healthy$/);
  });

  it("fails on an answer that is not T-Pot's aggregation, or not JSON, or no answer at all", async () => {
    nock(ES).post("/logstash-*/_search").reply(200, { hits: { hits: [] } });
    await expect(elasticsearchEvents(query())).rejects.toThrow(/answered without the types aggregation: is this T-Pot's Elasticsearch\?/);
    nock(ES).post("/logstash-*/_search").reply(200, "<html>login</html>");
    await expect(elasticsearchEvents(query())).rejects.toThrow(/answered something that is not JSON/);
    nock(ES).post("/logstash-*/_search").replyWithError("connect ECONNREFUSED");
    await expect(elasticsearchEvents(query())).rejects.toThrow(/could not be reached/);
  });
});

describe("the CLI with Elasticsearch", () => {
  let dir: string;
  let truth: FixtureTruth;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "lure-report-es-"));
    truth = writeFixture(join(dir, "fixture"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("asks each cloud's cluster for its own honeypots and reports the before/after figures", async () => {
    const hour0 = Date.parse("2026-10-05T00:00:00Z");
    const counts = Array.from({ length: 504 }, (_, i) => (i < 72 ? 2 : 6));
    const gcp = nock("https://es-gcp.example.test")
      .post("/logstash-*/_search")
      .reply(200, { aggregations: { types: { buckets: [{ key: "Dionaea", hours: { buckets: counts.map((c, i) => ({ key: hour0 + i * H, doc_count: c })) } }] } } });
    const deps = capturingDeps({ env: {} });
    const code = await main(["--results", truth.history, "--elasticsearch", "gcp=https://es-gcp.example.test", "--now", truth.now, "--out", join(dir, "out")], deps);
    gcp.done();
    expect(deps.err).toEqual([]);
    expect(code).toBe(0);
    const text = deps.out.join("\n");
    expect(text).toContain("attack events per hour after ÷ before the first listing (Elasticsearch (gcp)):");
    // gcp/dionaea started at 05:00 on day one and was last seen unlisted at cycle 11 (66 h): 61 whole hours before.
    expect(text).toMatch(/gcp\/dionaea +3\.00× \(6\.00\/h over 431 h ÷ 2\.00\/h over 61 h\)/);
    expect(text).toMatch(/aws\/cowrie +undefined: no event counts for this honeypot/);
  });

  it("fails the report when a cluster refuses, naming it", async () => {
    nock("https://es-aws.example.test").post("/logstash-*/_search").reply(403, "forbidden");
    const deps = capturingDeps({ env: {} });
    const code = await main(["--results", truth.history, "--elasticsearch", "aws=https://es-aws.example.test", "--out", join(dir, "out2")], deps);
    expect(code).toBe(1);
    expect(deps.err.join("\n")).toMatch(/^lure report: Elasticsearch for aws at https:\/\/es-aws\.example\.test refused the request \(403\)/);
  });

  it("names a bad events file", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ "aws/cowrie": { yesterday: 1 } }));
    const deps = capturingDeps();
    expect(await main(["--results", truth.history, "--events", bad, "--out", join(dir, "out3")], deps)).toBe(1);
    expect(deps.err.join("\n")).toContain(`${bad}: aws/cowrie: "yesterday" is not the start of an hour`);
    const missing = capturingDeps();
    expect(await main(["--results", truth.history, "--events", join(dir, "none.json"), "--out", join(dir, "out3")], missing)).toBe(1);
    expect(missing.err.join("\n")).toContain("cannot read it (ENOENT)");
  });
});

describe("arguments", () => {
  it("reports every bad argument at once, then the usage, and exits 2", async () => {
    const deps = capturingDeps();
    const code = await main(["--results", "ftp://x", "--now", "soon", "--elasticsearch", "moon=https://x", "--events", "e.json", "--bogus", "--out"], deps);
    expect(code).toBe(2);
    const lines = deps.err.join("\n").split("\n");
    expect(lines.slice(0, 6)).toEqual([
      expect.stringMatching(/^lure report: --results ftp:\/\/x: not a store the report reads/),
      'lure report: --now "soon" is not an ISO time',
      'lure report: --elasticsearch "moon=https://x": give <cloud>=<url>, cloud one of aws, azure, gcp, url http(s)://…',
      'lure report: unknown argument "--bogus"',
      "lure report: --out needs a value",
      "lure report: --results is required (at least one)",
    ]);
    expect(lines[6]).toMatch(/^usage: npm run report -- --results <source>/);
  });

  it("takes --flag=value, several sources, and refuses events from both a file and a cluster", () => {
    const ok = parseArgs(["--results=aws=./a", "--results", "gs://lure-b/p", "--out=r", "--now", "2026-10-26T00:00:00Z"]);
    expect(ok.ok && ok.args.sources.map((s) => s.kind)).toEqual(["local", "gcs"]);
    expect(ok.ok && ok.args.now?.toISOString()).toBe("2026-10-26T00:00:00.000Z");
    const both = parseArgs(["--results", "./a", "--events", "e.json", "--elasticsearch", "aws=https://es"]);
    expect(both).toEqual({ ok: false, problems: ["give --events or --elasticsearch, not both: their counts cannot be merged"] });
    const twice = parseArgs(["--results", "./a", "--elasticsearch", "aws=https://a", "--elasticsearch", "aws=https://b"]);
    expect(twice).toEqual({ ok: false, problems: ["--elasticsearch: aws is given twice"] });
  });

  it("prints the usage for --help and exits 0", async () => {
    const deps = capturingDeps();
    expect(await main(["--help"], deps)).toBe(0);
    expect(deps.out.join("\n")).toMatch(/^usage: npm run report/);
  });

  it("fails on a folder without history, saying where it looked", async () => {
    const empty = mkdtempSync(join(tmpdir(), "lure-report-empty-"));
    try {
      const deps = capturingDeps();
      expect(await main(["--results", empty, "--out", join(empty, "out")], deps)).toBe(1);
      expect(deps.err.join("\n")).toBe(`lure report: ${empty}: no results/, latest/ or rotations/ here, nor in aws/, azure/ or gcp/ folders`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
