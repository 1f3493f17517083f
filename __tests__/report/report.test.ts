/**
 * `npm run report` on the generated three-week, three-cloud history: every figure is compared with
 * what the fixture planted (worked out from its plan, not from the report), and a few with values
 * worked out by hand from the plan's cycles, so a shared mistake in both cannot pass unseen.
 */
import { existsSync, readFileSync, statSync } from "fs";
import { join } from "path";
import type { Report } from "../../modules/core/report/report";
import { removeRun, runFixtureReport, type FixtureRun } from "../helpers/report";

type Charted = Report & { readonly charts: Record<string, { readonly marks: Record<string, number> }> };

let run: FixtureRun;
let report: Charted;
let html: string;

beforeAll(async () => {
  run = await runFixtureReport();
  report = JSON.parse(readFileSync(join(run.out, "report.json"), "utf8"));
  html = readFileSync(join(run.out, "report.html"), "utf8");
});
afterAll(() => removeRun(run));

const periodOf = (key: string, ip: string) => {
  const h = report.honeypots.find((x) => x.key === key);
  const p = h?.periods.find((x) => x.ip === ip);
  if (!p) throw new Error(`no period ${key} ${ip} in the report`);
  return p;
};

describe("the CLI on the fixture", () => {
  it("exits 0 and writes report.html and report.json", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(statSync(join(run.out, "report.html")).size).toBeGreaterThan(50_000);
    expect(existsSync(join(run.out, "report.json"))).toBe(true);
  });

  it("prints a plain-text summary naming both files and the headline figures", () => {
    expect(run.stdout).toContain(`history: ${run.truth.resultFiles} lookups of 9 honeypots`);
    expect(run.stdout).toContain("malformed files skipped: 4; rotations: 1");
    expect(run.stdout).toMatch(/time to first listing[^\n]*\n {2}all +n = 9 IP periods; 8 listed/);
    expect(run.stdout).toContain(`wrote ${join(run.out, "report.html")}`);
    expect(run.stdout).toContain(`wrote ${join(run.out, "report.json")}`);
  });
});

describe("figures against what the fixture planted", () => {
  it("reads every result the fixture wrote and counts its four malformed files, not the ignored ones", () => {
    expect(report.history.results).toBe(run.truth.resultFiles);
    expect(report.history.malformed.count).toBe(run.truth.malformed);
    expect(report.history.malformed.files.map((m) => m.reason).sort()).toEqual(["message.since is not a time", "no evaluation", "not JSON", "state is not an object"]);
    // latest/198.51.100.99.json is an array; state/index-error.json and the stray notes.txt are not history.
    expect(report.history.ignored).toBe(2);
    expect(report.indexes).toEqual(["censys", "shodan"]);
  });

  it("gives every planted period its first listing, per index, its tag and its honeyscore points", () => {
    const planted = run.truth.periods;
    expect(report.honeypots.flatMap((h) => h.periods)).toHaveLength(planted.length);
    for (const t of planted) {
      const p = periodOf(t.key, t.ip);
      expect({ key: t.key, listed: p.firstListedAt, tagged: p.firstTaggedAt, start: p.startKnown ? p.start : undefined }).toEqual({ key: t.key, listed: t.firstListedAt, tagged: t.firstTaggedAt, start: t.start });
      for (const [index, at] of Object.entries(t.byIndex)) expect([t.key, index, p.byIndex[index]?.firstListedAt]).toEqual([t.key, index, at]);
      if (t.hoursToListing !== undefined) expect(p.hoursToListing).toBeCloseTo(t.hoursToListing, 9);
      else expect(p.hoursToListing).toBeUndefined();
      if (t.notListedAfterHours !== undefined) expect(p.notListedAfterHours).toBeCloseTo(t.notListedAfterHours, 9);
      if (t.hoursToTag !== undefined) expect(p.hoursToTag).toBeCloseTo(t.hoursToTag, 9);
      expect([t.key, p.honeyscore.length]).toEqual([t.key, t.honeyscorePoints]);
    }
  });

  it("matches values worked out by hand from the plan's cycles", () => {
    // aws/cowrie from T0, listed at cycle 5 (30 h) one minute after the cycle began.
    const first = periodOf("aws/cowrie", "198.51.100.10");
    expect(first.firstListedAt).toBe("2026-10-06T06:01:00.000Z");
    expect(first.hoursToListing).toBeCloseTo(30 + 1 / 60, 9);
    expect(first.lastUnlistedAt).toBe("2026-10-06T00:01:00.000Z");
    // Censys saw azure/cowrie at cycle 7, Shodan only at cycle 12: the first listing is Censys's.
    const az = periodOf("azure/cowrie", "20.50.0.10");
    expect(az.firstListedBy).toEqual(["censys"]);
    expect(az.byIndex.censys.firstListedAt).toBe("2026-10-06T18:01:52.000Z");
    expect(az.byIndex.shodan.firstListedAt).toBe("2026-10-08T00:01:52.000Z");
    // Heralding: listed by Censys only, never by Shodan.
    const her = periodOf("azure/heralding", "20.50.0.20");
    expect(her.firstListedBy).toEqual(["censys"]);
    expect(her.byIndex.shodan.firstListedAt).toBeUndefined();
    // Dionaea on AWS never listed: censored at its last lookup, 498 h after its start.
    const dio = periodOf("aws/dionaea", "198.51.100.30");
    expect(dio.firstListedAt).toBeUndefined();
    expect(Math.round(dio.notListedAfterHours as number)).toBe(498);
  });

  it("sees the one rotation, when it happened, and that the store's marker agrees", () => {
    expect(report.rotations.count).toBe(1);
    expect(report.rotations.byHoneypot).toEqual(run.truth.rotations);
    const cowrie = report.honeypots.find((h) => h.key === "aws/cowrie");
    expect(cowrie?.rotations).toEqual([{ at: "2026-10-12T00:10:00.000Z", from: "198.51.100.10", to: "198.51.100.11" }]);
    expect(cowrie?.currentIp).toBe("198.51.100.11");
    expect(cowrie?.startedOnCurrentIp).toBe("2026-10-12T00:10:00.000Z");
    expect(cowrie?.lastRotationMarker).toEqual({ lastRotatedAt: "2026-10-12T00:01:00.000Z", ip: "198.51.100.10", inHistory: true });
  });

  it("keeps the extra target in the honeypot list but out of every distribution", () => {
    const ext = report.honeypots.find((h) => h.external);
    expect(ext).toMatchObject({ key: "aws/external/203.0.113.50", label: 'lab <edge> & "co"', type: "cowrie" });
    expect(ext?.periods[0].startKnown).toBe(false);
    // A firstFoundAt before the first lookup (the index knew it earlier) is not taken as its listing.
    expect(ext?.periods[0].firstListedAt).toBe("2026-10-05T00:01:39.000Z");
    expect(report.timeToListing.overall.n).toBe(run.truth.timedPeriods);
    expect(report.events?.honeypots.map((e) => e.key)).not.toContain("aws/external/203.0.113.50");
  });

  it("counts the honeypots behind each distribution by cloud and by type", () => {
    const n = (d: Record<string, { n: number }>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.n]));
    expect(run.truth.timedPeriods).toBe(9);
    expect(n(report.timeToListing.byCloud)).toEqual(run.truth.byCloud);
    expect(n(report.timeToListing.byType)).toEqual(run.truth.byType);
    expect(n(report.timeToListing.byType)).toEqual({ conpot: 2, cowrie: 4, dionaea: 2, heralding: 1 });
    // Censys was asked on Azure only; Shodan everywhere.
    expect(n(report.timeToListing.byIndex)).toEqual({ censys: 3, shodan: 9 });
  });

  it("works out the medians over the listed periods and flags every small group", () => {
    const listed = run.truth.periods.flatMap((p) => (p.hoursToListing === undefined ? [] : [p.hoursToListing])).sort((a, b) => a - b);
    const mid = listed.length / 2;
    const median = listed.length % 2 === 1 ? listed[Math.floor(mid)] : (listed[mid - 1] + listed[mid]) / 2;
    const all = report.timeToListing.overall;
    expect(all).toMatchObject({ n: 9, reached: 8, censored: 1, small: false });
    expect(all.medianHours).toBeCloseTo(median, 9);
    expect(all.minHours).toBeCloseTo(listed[0], 9);
    expect(all.maxHours).toBeCloseTo(listed[listed.length - 1], 9);
    for (const d of Object.values(report.timeToListing.byCloud)) expect(d.small).toBe(true);
    expect(report.timeToListing.byCloud.aws.summary).toContain("too few to generalise");
    expect(report.timeToTag.overall).toMatchObject({ n: 9, reached: 4, censored: 5 });
  });

  it("gives the before/after ratio of every period and the hours it rests on", () => {
    const ev = report.events;
    if (!ev) throw new Error("no events in the report");
    for (const t of run.truth.periods.filter((p) => p.events)) {
      const got = ev.periods.find((p) => p.key === t.key && p.ip === t.ip);
      const want = t.events as NonNullable<typeof t.events>;
      expect([t.key, t.ip, got?.before.hours, got?.before.events, got?.after.hours, got?.after.events]).toEqual([t.key, t.ip, want.beforeHours, want.beforeEvents, want.afterHours, want.afterEvents]);
      if (want.ratio !== undefined) expect(got?.ratio).toBeCloseTo(want.ratio, 9);
      else expect([t.key, got?.ratio]).toEqual([t.key, undefined]);
    }
    const reasonOf = (key: string) => ev.periods.find((p) => p.key === key)?.reason;
    expect(reasonOf("aws/dionaea")).toBe("never listed");
    expect(reasonOf("azure/conpot_default")).toMatch(/first lookup/);
    // gcp/cowrie's counts start after its listing: no hour before it.
    expect(reasonOf("gcp/cowrie")).toMatch(/no event hours before/);
  });

  it("pools a rotated honeypot's periods for its own ratio", () => {
    const [a, b] = run.truth.periods.filter((p) => p.key === "aws/cowrie").map((p) => p.events as NonNullable<typeof p.events>);
    const cowrie = report.events?.honeypots.find((h) => h.key === "aws/cowrie");
    expect(cowrie?.listings).toBe(2);
    expect(cowrie?.before).toMatchObject({ hours: a.beforeHours + b.beforeHours, events: a.beforeEvents + b.beforeEvents });
    expect(cowrie?.after).toMatchObject({ hours: a.afterHours + b.afterHours, events: a.afterEvents + b.afterEvents });
    const want = (a.afterEvents + b.afterEvents) / (a.afterHours + b.afterHours) / ((a.beforeEvents + b.beforeEvents) / (a.beforeHours + b.beforeHours));
    expect(cowrie?.ratio).toBeCloseTo(want, 9);
  });

  it("says which events belong to no honeypot instead of dropping them silently", () => {
    expect(report.notes).toContain("events for gcp/ghostpot: no such honeypot in the history; left out");
  });
});

describe("the page", () => {
  it("holds the number of marks each chart should draw, from the fixture's plan", () => {
    const t = run.truth;
    expect(report.charts["time-to-listing"].marks).toEqual({ symbol: t.timedPeriods });
    expect(report.charts["time-to-tag"].marks).toEqual({ symbol: t.timedPeriods });
    expect(report.charts.honeyscore.marks).toEqual({ line: t.honeyscoreSeries, symbol: t.honeyscorePoints });
    expect(report.charts.events.marks).toEqual({ line: t.honeypotsWithEvents, rule: t.listingsWithEvents });
    expect(t.listingsWithEvents).toBe(8);
  });

  it("is self-contained: no script, nothing loaded, a CSP that forbids both", () => {
    expect(html).not.toMatch(/<script\b/i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    for (const name of ["time-to-listing", "time-to-tag", "honeyscore", "events"]) expect(html).toMatch(new RegExp(`<figure data-chart="${name}"><h3>[^<]+</h3><svg\\b`));
  });

  it("escapes what comes from the data", () => {
    expect(html).toContain("lab &lt;edge&gt; &amp; &quot;co&quot;");
    expect(html).not.toContain("<edge>");
  });
});
