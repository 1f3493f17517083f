/**
 * The report as data (what `report.json` holds) and as the plain text the CLI prints. Everything the
 * HTML page shows comes from this object.
 */
import { honeypotFigures, hoursText, timeToListing, timeToTag, type Distribution, type Distributions, type HoneypotFigures } from "./analysis";
import { eventFigures, type EventFigures, type HourlyEvents } from "./events";
import type { History, Malformed } from "./history";

export interface Report {
  readonly generatedAt: string;
  readonly sources: History["sources"];
  readonly history: {
    /** First and last lookup in the history. */
    readonly from?: string;
    readonly to?: string;
    readonly results: number;
    readonly latest: number;
    readonly rotationMarkers: number;
    readonly malformed: { readonly count: number; readonly files: readonly Malformed[] };
    readonly ignored: number;
    readonly cloudConflicts: number;
  };
  /** Every index that appears in the history. */
  readonly indexes: readonly string[];
  readonly honeypots: readonly HoneypotFigures[];
  readonly rotations: { readonly count: number; readonly byHoneypot: Readonly<Record<string, readonly string[]>> };
  readonly timeToListing: Distributions;
  readonly timeToTag: Distributions;
  readonly events?: EventFigures;
  readonly notes: readonly string[];
}

export interface EventsInput {
  readonly events: HourlyEvents;
  readonly source: string;
  readonly warnings?: readonly string[];
}

export function buildReport(history: History, now: Date, events?: EventsInput): Report {
  const honeypots = honeypotFigures(history);
  const times = history.observations.map((o) => o.checkedAt).sort((a, b) => a - b);
  const notes: string[] = [];
  if (history.malformed.length > 0) notes.push(`${history.malformed.length} stored file${history.malformed.length === 1 ? " was" : "s were"} malformed and skipped (listed in report.json)`);
  if (history.cloudConflicts > 0) notes.push(`${history.cloudConflicts} records name another cloud than the source they were read from; the source's cloud is used`);
  const unknown = honeypots.filter((h) => h.cloud === "unknown").length;
  if (unknown > 0) notes.push(`${unknown} honeypots have no known cloud: name it on the command line (aws=./dir)`);
  const untimed = honeypots.filter((h) => !h.external).flatMap((h) => h.periods.filter((p) => !p.startKnown)).length;
  if (untimed > 0) notes.push(`${untimed} IP periods of lure's honeypots have no start (since) and stay out of the distributions`);
  const externals = honeypots.filter((h) => h.external).length;
  if (externals > 0) notes.push(`${externals} extra targets (not deployed by lure, start unknown) are listed but stay out of the distributions`);
  for (const h of honeypots) {
    const m = h.lastRotationMarker;
    if (m && !m.inHistory) notes.push(`${h.key}: its last rotation (${m.lastRotatedAt}, away from ${m.ip}) is not in the history (expired or lost results)`);
  }
  const byHoneypot = Object.fromEntries(honeypots.filter((h) => h.rotations.length > 0).map((h) => [h.key, h.rotations.map((r) => r.at)]));
  const ev = events ? eventFigures(honeypots, events.events, events.source, events.warnings) : undefined;
  if (ev) notes.push(...ev.warnings);
  return {
    generatedAt: now.toISOString(),
    sources: history.sources,
    history: {
      ...(times.length > 0 ? { from: new Date(times[0]).toISOString(), to: new Date(times[times.length - 1]).toISOString() } : {}),
      results: history.observations.length,
      latest: history.latest.length,
      rotationMarkers: history.rotations.length,
      malformed: { count: history.malformed.length, files: history.malformed },
      ignored: history.ignored,
      cloudConflicts: history.cloudConflicts,
    },
    indexes: [...new Set(history.observations.flatMap((o) => Object.keys(o.views)))].sort(),
    honeypots,
    rotations: { count: honeypots.reduce((n, h) => n + h.rotations.length, 0), byHoneypot },
    timeToListing: timeToListing(honeypots),
    timeToTag: timeToTag(honeypots),
    ...(ev ? { events: ev } : {}),
    notes,
  };
}

/** Hours for people with their unit ({@link hoursText}), "-" when there are none. */
export function fmtHours(h: number | undefined): string {
  return h === undefined ? "-" : `${hoursText(h)} h`;
}

export function fmtRatio(r: number | undefined): string {
  return r === undefined ? "-" : `${r.toFixed(2)}×`;
}

function distLines(title: string, d: Distributions): string[] {
  const line = (name: string, x: Distribution) => `  ${name.padEnd(14)} ${x.summary}`;
  return [
    title,
    line("all", d.overall),
    ...Object.entries(d.byCloud).map(([k, x]) => line(`cloud ${k}`, x)),
    ...Object.entries(d.byType).map(([k, x]) => line(`type ${k}`, x)),
    ...Object.entries(d.byIndex).map(([k, x]) => line(`index ${k}`, x)),
  ];
}

/** The terminal summary: the headline figures, no tables of every lookup. */
export function renderText(r: Report, files: { readonly html: string; readonly json: string }): string {
  const out: string[] = [];
  out.push(`lure report, ${r.generatedAt}`);
  out.push(`history: ${r.history.results} lookups of ${r.honeypots.length} honeypots${r.history.from ? `, ${r.history.from} to ${r.history.to}` : ""}; indexes: ${r.indexes.join(", ") || "none"}`);
  out.push(`malformed files skipped: ${r.history.malformed.count}; rotations: ${r.rotations.count}`);
  out.push("");
  out.push(...distLines("time to first listing (from start on the IP; medians over the periods listed, the others counted in n as censored)", r.timeToListing));
  out.push("");
  out.push(...distLines("time to honeypot tag", r.timeToTag));
  out.push("");
  out.push("honeypots (current IP, first listing per index):");
  for (const h of r.honeypots) {
    const p = h.periods[h.periods.length - 1];
    const per = Object.entries(p.byIndex).map(([i, v]) => `${i} ${v.firstListedAt ?? "never"}`).join(", ");
    const status = p.firstListedAt ? `listed ${p.firstListedAt}${p.hoursToListing !== undefined ? ` (${fmtHours(p.hoursToListing)})` : ""}` : `not yet listed${p.notListedAfterHours !== undefined ? ` after ${fmtHours(p.notListedAfterHours)}` : ""}`;
    out.push(`  ${(h.label ? `${h.key} (${h.label})` : h.key).padEnd(28)} ${h.currentIp.padEnd(15)} ${status}; ${per}${h.rotations.length > 0 ? `; ${h.rotations.length} rotation(s)` : ""}`);
  }
  if (r.events) {
    out.push("");
    out.push(`attack events per hour after ÷ before the first listing (${r.events.source}):`);
    for (const e of r.events.honeypots) {
      const detail = e.ratio !== undefined ? `${fmtRatio(e.ratio)} (${e.after.mean?.toFixed(2)}/h over ${e.after.hours} h ÷ ${e.before.mean?.toFixed(2)}/h over ${e.before.hours} h)` : `undefined: ${e.reason}`;
      out.push(`  ${e.key.padEnd(28)} ${detail}`);
    }
  }
  if (r.notes.length > 0) {
    out.push("");
    out.push("notes:");
    for (const n of r.notes) out.push(`  - ${n}`);
  }
  out.push("");
  out.push(`wrote ${files.html}`);
  out.push(`wrote ${files.json}`);
  // Data can hold anything: no control character reaches the terminal.
  return out.join("\n").replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, "?");
}
