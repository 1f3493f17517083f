/**
 * `npm run report -- --results <source> [--results <source> …] [--events <file.json>]
 * [--elasticsearch <cloud>=<url> …] [--out <dir>] [--now <iso>]`: how fast Shodan and Censys list each
 * honeypot, and whether a listing changes the attacks it gets, from the watcher's stored lookups.
 * Writes `<out>/report.html` (one self-contained page) and `<out>/report.json` (every figure), and
 * prints a summary.
 *
 * @example
 * npm run report -- --results s3://lure-watcher-results --results gs://lure-results --events events.json
 */
import { mkdir, readFile, writeFile } from "fs/promises";
import { join, resolve } from "path";
import { eventsChart, honeyscoreChart, renderSvg, timeToChart } from "./charts";
import { elasticsearchEvents, parseEventsFile, type HourlyEvents } from "./events";
import { mergeHistories, readHistory } from "./history";
import { renderHtml } from "./html";
import { buildReport, renderText, type EventsInput, type Report } from "./report";
import { isCloud, openReader, parseSource, type Cloud, type ObjectReader, type Source } from "./sources";

export const USAGE = `usage: npm run report -- --results <source> [--results <source> ...] [--events <file.json>]
                        [--elasticsearch <cloud>=<url> ...] [--out <dir>] [--now <iso>]
  <source>  a folder (aws=./dir names its cloud; a folder with aws/, azure/, gcp/ inside is read as all three),
            s3://bucket[/prefix], https://<account>.blob.core.windows.net/<container>[/prefix], gs://bucket[/prefix]
  --events  hourly attack events: { "<cloud>/<honeypot>": { "<hour ISO>": count } }
  --elasticsearch  T-Pot's Elasticsearch of a cloud (auth: LURE_ES_USER + LURE_ES_PASSWORD, or LURE_ES_API_KEY)
  --out     folder for report.html and report.json (default: ./report)
  --now     the report's time (default: now)`;

export interface ReportArgs {
  readonly sources: readonly Source[];
  readonly events?: string;
  readonly elasticsearch: readonly { readonly cloud: Cloud; readonly url: string }[];
  readonly out: string;
  readonly now?: Date;
}

export type ParsedArgs = { readonly ok: true; readonly args: ReportArgs } | { readonly ok: false; readonly problems: readonly string[]; readonly help?: boolean };

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const problems: string[] = [];
  const sources: Source[] = [];
  const elasticsearch: { cloud: Cloud; url: string }[] = [];
  let events: string | undefined;
  let out = "report";
  let now: Date | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") return { ok: false, problems: [], help: true };
    const eq = a.indexOf("=");
    const [flag, inline] = a.startsWith("--") && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (!["--results", "--events", "--elasticsearch", "--out", "--now"].includes(flag)) {
      problems.push(`unknown argument "${a}"`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === "" || (inline === undefined && value.startsWith("--"))) {
      problems.push(`${flag} needs a value`);
      if (inline === undefined && value?.startsWith("--")) i--;
      continue;
    }
    if (flag === "--results") {
      try {
        sources.push(parseSource(value));
      } catch (e) {
        problems.push((e as Error).message);
      }
    } else if (flag === "--events") events = value;
    else if (flag === "--out") out = value;
    else if (flag === "--now") {
      const t = Date.parse(value);
      if (Number.isNaN(t)) problems.push(`--now ${JSON.stringify(value)} is not an ISO time`);
      else now = new Date(t);
    } else {
      const m = /^([a-z]+)=(https?:\/\/.+)$/.exec(value);
      if (!m || !isCloud(m[1])) problems.push(`--elasticsearch ${JSON.stringify(value)}: give <cloud>=<url>, cloud one of aws, azure, gcp, url http(s)://…`);
      else if (elasticsearch.some((e) => e.cloud === m[1])) problems.push(`--elasticsearch: ${m[1]} is given twice`);
      else elasticsearch.push({ cloud: m[1] as Cloud, url: m[2] });
    }
  }
  if (sources.length === 0) problems.push("--results is required (at least one)");
  if (events !== undefined && elasticsearch.length > 0) problems.push("give --events or --elasticsearch, not both: their counts cannot be merged");
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, args: { sources, ...(events !== undefined ? { events } : {}), elasticsearch, out: resolve(out), ...(now ? { now } : {}) } };
}

/** What the CLI needs from outside; tests replace the readers, the network and the streams. */
export interface ReportDeps {
  readonly openReader: (source: Source) => Promise<ObjectReader>;
  readonly fetch: typeof fetch;
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly now: () => Date;
}

export const DEFAULT_DEPS: ReportDeps = {
  openReader,
  fetch: (...a) => fetch(...a),
  env: process.env,
  stdout: (t) => process.stdout.write(`${t}\n`),
  stderr: (t) => process.stderr.write(`${t}\n`),
  now: () => new Date(),
};

export interface ReportOutcome {
  readonly report: Report;
  readonly html: string;
  readonly json: string;
  readonly htmlBytes: number;
}

/** Reads, computes and writes the report. Rejects with a message for people. */
export async function makeReport(args: ReportArgs, deps: ReportDeps = DEFAULT_DEPS): Promise<ReportOutcome> {
  const histories = await Promise.all(
    args.sources.map(async (s) => {
      const reader = await deps.openReader(s);
      return readHistory(reader, s.cloud);
    }),
  );
  const history = mergeHistories(histories);
  if (history.observations.length === 0) {
    throw new Error(`no usable lookup results in ${args.sources.map((s) => s.text).join(", ")}${history.malformed.length > 0 ? ` (${history.malformed.length} malformed files)` : ""}`);
  }
  const now = args.now ?? deps.now();
  let events: EventsInput | undefined;
  if (args.events !== undefined) {
    const file = resolve(args.events);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      throw new Error(`--events ${args.events}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    events = { events: parseEventsFile(text, args.events), source: `file ${args.events}` };
  } else if (args.elasticsearch.length > 0) {
    const from = Math.min(...history.observations.map((o) => o.since ?? o.checkedAt));
    const all: HourlyEvents = new Map();
    const warnings: string[] = [];
    for (const es of args.elasticsearch) {
      const honeypots = [...new Set(history.observations.filter((o) => o.cloud === es.cloud && !o.external).map((o) => o.honeypot))];
      const got = await elasticsearchEvents({ cloud: es.cloud, url: es.url, from, to: now.getTime(), honeypots, env: deps.env, fetch: deps.fetch });
      for (const [k, v] of got.events) all.set(k, v);
      warnings.push(...got.warnings);
    }
    events = { events: all, source: `Elasticsearch (${args.elasticsearch.map((e) => e.cloud).join(", ")})`, warnings };
  }
  const report = buildReport(history, now, events);
  const charts = [timeToChart(report.honeypots, "listing"), timeToChart(report.honeypots, "tag"), honeyscoreChart(report.honeypots)];
  if (report.events) charts.push(eventsChart(report.honeypots, report.events));
  const svgs = await Promise.all(charts.map(renderSvg));
  const page = renderHtml(report, charts, svgs);
  await mkdir(args.out, { recursive: true });
  const html = join(args.out, "report.html");
  const json = join(args.out, "report.json");
  const charted = { ...report, charts: Object.fromEntries(charts.map((c) => [c.name, { title: c.title, caption: c.caption, marks: c.marks }])) };
  await writeFile(html, page);
  await writeFile(json, `${JSON.stringify(charted, null, 2)}\n`);
  return { report, html, json, htmlBytes: Buffer.byteLength(page) };
}

/** The CLI: 0 on success, 2 on bad arguments, 1 when the report could not be made. */
export async function main(argv: readonly string[], deps: ReportDeps = DEFAULT_DEPS): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    if (parsed.help) {
      deps.stdout(USAGE);
      return 0;
    }
    deps.stderr([...parsed.problems.map((p) => `lure report: ${p}`), USAGE].join("\n"));
    return 2;
  }
  try {
    const outcome = await makeReport(parsed.args, deps);
    deps.stdout(renderText(outcome.report, outcome));
    return 0;
  } catch (e) {
    deps.stderr(`lure report: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`lure report: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
