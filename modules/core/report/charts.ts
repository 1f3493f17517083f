/**
 * The report's charts: Vega-Lite specs rendered to static SVG when the report is made, so the page
 * needs no script to show them. Data goes in inline (`values`), so Vega never loads anything.
 * Vega escapes the text it writes into the SVG (labels, titles) itself.
 */
import { compile, type TopLevelSpec } from "vega-lite";
import { parse, View } from "vega";
import type { HoneypotFigures } from "./analysis";
import { timedPeriods } from "./analysis";
import type { EventFigures } from "./events";

export interface Chart {
  /** Stable name: the `data-chart` attribute of its container. */
  readonly name: string;
  readonly title: string;
  /** What the chart shows, in a sentence under it. */
  readonly caption: string;
  readonly spec: TopLevelSpec;
  /** Marks the chart should hold, by kind, for checks of the rendered page. */
  readonly marks: Readonly<Record<string, number>>;
}

const WIDTH = 820;
const CLOUD_COLOURS: Record<string, string> = { aws: "#e8710a", azure: "#1a73e8", gcp: "#188038" };
// No ARIA descriptions per mark: they would repeat every datum in the page.
const CONFIG = { aria: false, font: "sans-serif", view: { stroke: "#ccc" }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelLimit: 260 } } as const;
const UTC_AXIS = { scale: { type: "utc" as const }, axis: { format: "%b %d" } };
/** Points per honeypot row of the events chart at most; longer histories are drawn as means over bins of whole hours. */
export const MAX_EVENT_POINTS = 300;

/** Hourly counts as means per bin of `width` hours (1: unchanged), for drawing only. */
export function binHourly(hourly: readonly { readonly hour: string; readonly count: number }[], width: number): { at: string; count: number }[] {
  if (width <= 1) return hourly.map((h) => ({ at: h.hour, count: h.count }));
  const bins = new Map<number, { sum: number; hours: number }>();
  const t0 = Date.parse(hourly[0]?.hour ?? "1970-01-01T00:00:00Z");
  for (const h of hourly) {
    const start = t0 + Math.floor((Date.parse(h.hour) - t0) / (width * 3_600_000)) * width * 3_600_000;
    const b = bins.get(start) ?? { sum: 0, hours: 0 };
    b.sum += h.count;
    b.hours++;
    bins.set(start, b);
  }
  return [...bins].sort(([a], [b]) => a - b).map(([t, b]) => ({ at: new Date(t).toISOString(), count: Math.round((b.sum / b.hours) * 100) / 100 }));
}

/** One point per honeypot IP period: hours from start to the event, or to its last lookup when it never came. */
export function timeToChart(honeypots: readonly HoneypotFigures[], event: "listing" | "tag"): Chart {
  const values = timedPeriods(honeypots).map(({ honeypot: h, period: p }) => {
    const reached = event === "listing" ? p.hoursToListing : p.hoursToTag;
    const censored = event === "listing" ? p.notListedAfterHours : p.notTaggedAfterHours;
    return { type: h.type, cloud: h.cloud, honeypot: h.key, ip: p.ip, hours: reached ?? censored ?? 0, censored: reached === undefined };
  });
  const clouds = [...new Set(values.map((v) => v.cloud))].sort();
  const name = event === "listing" ? "time-to-listing" : "time-to-tag";
  return {
    name,
    title: event === "listing" ? "Hours from start on an IP to the first listing" : "Hours from start on an IP to the first honeypot tag",
    caption: `One point per honeypot IP period (${values.length}); filled circles reached it, hollow triangles are periods not yet ${event === "listing" ? "listed" : "tagged"}, placed at their last lookup.`,
    marks: { symbol: values.length },
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      config: CONFIG,
      width: WIDTH - 200,
      data: { values },
      encoding: {
        x: { field: "hours", type: "quantitative", title: "hours since start on the IP" },
        y: { field: "type", type: "nominal", title: "honeypot type" },
        yOffset: { field: "cloud", type: "nominal" },
        color: { field: "cloud", type: "nominal", scale: { domain: clouds, range: clouds.map((c) => CLOUD_COLOURS[c] ?? "#777777") } },
      },
      // Two layers rather than a shape scale: reached and censored must look different whatever the data holds.
      layer: [
        { transform: [{ filter: "!datum.censored" }], mark: { type: "point", shape: "circle", filled: true, size: 90, opacity: 0.85 } },
        { transform: [{ filter: "datum.censored" }], mark: { type: "point", shape: "triangle-right", filled: false, size: 110, strokeWidth: 2 } },
      ],
    } as TopLevelSpec,
  };
}

/** Honeyscore over time: one line per honeypot IP period and index, one point per lookup that had a score. */
export function honeyscoreChart(honeypots: readonly HoneypotFigures[]): Chart {
  const values = honeypots.flatMap((h) =>
    h.periods.flatMap((p, i) => p.honeyscore.map((s) => ({ honeypot: h.key, series: `${h.key} #${i + 1} ${s.index}`, at: s.at, score: s.score }))),
  );
  const series = new Set(values.map((v) => v.series)).size;
  const encoding = {
    x: { field: "at", type: "temporal", title: null, ...UTC_AXIS },
    y: { field: "score", type: "quantitative", scale: { domain: [0, 1] }, title: "honeyscore" },
    color: { field: "honeypot", type: "nominal", title: "honeypot" },
    detail: { field: "series", type: "nominal" },
  };
  return {
    name: "honeyscore",
    title: "Honeyscore over time",
    caption: values.length === 0 ? "No index gave a honeyscore." : `${series} series (a honeypot IP period and index each), ${values.length} scored lookups. 1.0 means the index is sure it is a honeypot.`,
    marks: { line: series, symbol: values.length },
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      config: CONFIG,
      width: WIDTH - 220,
      height: 220,
      data: { values },
      layer: [{ mark: { type: "line", strokeWidth: 1.5 } }, { mark: { type: "point", filled: true, size: 25 } }],
      encoding,
    } as TopLevelSpec,
  };
}

/** Events per hour, one row per honeypot with counts, a red rule at each first listing. */
export function eventsChart(honeypots: readonly HoneypotFigures[], events: EventFigures): Chart {
  const withCounts = events.honeypots.filter((e) => e.hourly.length > 0);
  const keys = new Set(withCounts.map((e) => e.key));
  const longest = Math.max(0, ...withCounts.map((e) => (e.hourly.length === 0 ? 0 : (Date.parse(e.hourly[e.hourly.length - 1].hour) - Date.parse(e.hourly[0].hour)) / 3_600_000 + 1)));
  const width = Math.max(1, Math.ceil(longest / MAX_EVENT_POINTS));
  const values: Record<string, unknown>[] = withCounts.flatMap((e) => binHourly(e.hourly, width).map((b) => ({ kind: "count", honeypot: e.key, ...b })));
  const listings = honeypots.filter((h) => keys.has(h.key)).flatMap((h) => h.periods.flatMap((p) => (p.firstListedAt ? [{ kind: "listing", honeypot: h.key, at: p.firstListedAt }] : [])));
  values.push(...listings);
  return {
    name: "events",
    title: "Attack events per hour, with each first listing",
    caption:
      withCounts.length === 0
        ? "No event counts were given (--events or --elasticsearch)."
        : `${withCounts.length} honeypots with event counts${width > 1 ? `, drawn as the mean events per hour over ${width} h bins` : ""}; the red rules are their ${listings.length} first listings (one per IP period that was listed).`,
    marks: { line: withCounts.length, rule: listings.length },
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      config: CONFIG,
      data: { values },
      facet: { row: { field: "honeypot", type: "nominal", title: null, header: { labelAngle: 0, labelAlign: "left", labelFontSize: 11 } } },
      spec: {
        width: WIDTH - 260,
        height: 60,
        layer: [
          {
            transform: [{ filter: "datum.kind === 'count'" }],
            mark: { type: "line", strokeWidth: 1 },
            encoding: { x: { field: "at", type: "temporal", title: null, ...UTC_AXIS }, y: { field: "count", type: "quantitative", title: "events/h" } },
          },
          {
            transform: [{ filter: "datum.kind === 'listing'" }],
            mark: { type: "rule", color: "#d93025", strokeWidth: 2 },
            encoding: { x: { field: "at", type: "temporal", ...UTC_AXIS } },
          },
        ],
      },
      resolve: { scale: { y: "independent" } },
    } as TopLevelSpec,
  };
}

/** The chart as static SVG, drawn now. */
export async function renderSvg(chart: Chart): Promise<string> {
  const view = new View(parse(compile(chart.spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
