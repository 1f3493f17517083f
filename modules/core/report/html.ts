/**
 * The report page: one HTML file with its CSS and its charts (static SVG) inline, and no script, so
 * it opens from disk with no network and reads the same with JavaScript off. Every string that comes
 * from the data goes through `esc`.
 */
import type { Distribution, Distributions, HoneypotFigures, PeriodFigures } from "./analysis";
import type { Chart } from "./charts";
import { fmtHours, fmtRatio, type Report } from "./report";

/** Text for HTML content and attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#202124;margin:24px auto;max-width:1180px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#666}.warn{color:#a50e0e}
figure{margin:12px 0}figcaption{color:#555;font-size:12px;max-width:860px}svg{max-width:100%;height:auto}
ul.notes li{margin:2px 0}
`;

/** The page may load nothing and run nothing: its styles and charts are inline. */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

function time(iso: string | undefined): string {
  return iso === undefined ? "-" : esc(iso.replace("T", " ").replace(/:\d\d\.\d{3}Z$/, "Z"));
}

function distTable(d: Distributions, event: string): string {
  const rows: [string, Distribution][] = [
    ["all", d.overall],
    ...Object.entries(d.byCloud).map(([k, x]): [string, Distribution] => [`cloud: ${k}`, x]),
    ...Object.entries(d.byType).map(([k, x]): [string, Distribution] => [`type: ${k}`, x]),
    ...Object.entries(d.byIndex).map(([k, x]): [string, Distribution] => [`index: ${k}`, x]),
  ];
  const body = rows
    .map(
      ([name, x]) =>
        `<tr><td>${esc(name)}</td><td class="n">${x.n}</td><td class="n">${x.reached}</td><td class="n">${fmtHours(x.medianHours)}</td><td class="n">${fmtHours(x.minHours)}</td><td class="n">${fmtHours(x.maxHours)}</td>` +
        `<td>${x.censoredAfterHours.length === 0 ? "-" : `not yet ${esc(event)} after ${x.censoredAfterHours.map((h) => fmtHours(h)).join(", ")}`}</td><td class="${x.small ? "warn" : "muted"}">${x.small ? `small n: too few to generalise` : ""}</td></tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>group</th><th>n (IP periods)</th><th>${esc(event)}</th><th>median</th><th>min</th><th>max</th><th>censored</th><th></th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function listingCell(p: PeriodFigures, index: string): string {
  const v = p.byIndex[index];
  if (!v) return `<span class="muted">not asked</span>`;
  if (!v.firstListedAt) return `<span class="muted">never</span>`;
  return `${time(v.firstListedAt)}${v.hoursToListing !== undefined ? ` <span class="muted">(${fmtHours(v.hoursToListing)})</span>` : ""}`;
}

function honeypotRows(h: HoneypotFigures, indexes: readonly string[]): string {
  return h.periods
    .map((p, i) => {
      const name = i === 0 ? `${esc(h.key)}${h.label ? `<br><span class="muted">${esc(h.label)}</span>` : ""}${h.external ? `<br><span class="muted">extra target</span>` : ""}` : "";
      const status = p.firstListedAt
        ? `${time(p.firstListedAt)}${p.hoursToListing !== undefined ? ` (${fmtHours(p.hoursToListing)})` : ""}${p.lastUnlistedAt ? `<br><span class="muted">unlisted at ${time(p.lastUnlistedAt)}</span>` : ""}`
        : `<span class="warn">not yet listed${p.notListedAfterHours !== undefined ? ` after ${fmtHours(p.notListedAfterHours)}` : ""}</span>`;
      const tag = p.firstTaggedAt ? `${time(p.firstTaggedAt)}${p.hoursToTag !== undefined ? ` (${fmtHours(p.hoursToTag)})` : ""} <span class="muted">${esc(p.firstTaggedBy.join(", "))}</span>` : `<span class="muted">no</span>`;
      const score = p.honeyscore.length === 0 ? "-" : esc(p.honeyscore[p.honeyscore.length - 1].score.toFixed(2));
      return (
        `<tr><td>${name}</td><td>${esc(p.ip)}</td><td>${p.startKnown ? time(p.start) : `<span class="muted">unknown (first lookup ${time(p.firstCheckAt)})</span>`}</td>` +
        `<td class="n">${p.checks}</td><td>${status}</td>${indexes.map((ix) => `<td>${listingCell(p, ix)}</td>`).join("")}<td>${tag}</td><td class="n">${score}</td><td>${esc(p.ports.join(" ") || "-")}</td></tr>`
      );
    })
    .join("\n");
}

function eventsSection(r: Report): string {
  if (!r.events) return `<p class="muted">No event counts were given: run with <code>--events file.json</code> or <code>--elasticsearch &lt;cloud&gt;=&lt;url&gt;</code> to compare attacks before and after a listing.</p>`;
  const side = (s: { hours: number; mean?: number }) => (s.mean === undefined ? `- <span class="muted">(0 h)</span>` : `${s.mean.toFixed(2)} <span class="muted">(${s.hours} h)</span>`);
  const rows = r.events.honeypots
    .map((e) => `<tr><td>${esc(e.key)}</td><td class="n">${e.listings}</td><td class="n">${side(e.before)}</td><td class="n">${side(e.after)}</td><td class="n">${e.ratio === undefined ? `<span class="muted">undefined: ${esc(e.reason)}</span>` : fmtRatio(e.ratio)}</td></tr>`)
    .join("\n");
  const periodRows = r.events.periods
    .map((p) => `<tr><td>${esc(p.key)}</td><td>${esc(p.ip)}</td><td>${time(p.firstListedAt)}</td><td class="n">${side(p.before)}</td><td class="n">${side(p.after)}</td><td class="n">${p.ratio === undefined ? `<span class="muted">undefined: ${esc(p.reason)}</span>` : fmtRatio(p.ratio)}</td></tr>`)
    .join("\n");
  return (
    `<p>Source: ${esc(r.events.source)}. Means are events per hour; in brackets, the hours each mean rests on. The hours between the last lookup that saw an IP unlisted and the first that saw it listed are in neither mean: the listing happened somewhere in them.</p>` +
    `<table><thead><tr><th>honeypot</th><th>listings</th><th>before</th><th>after</th><th>after ÷ before</th></tr></thead><tbody>\n${rows}\n</tbody></table>` +
    `<details><summary>per IP period</summary><table><thead><tr><th>honeypot</th><th>IP</th><th>first listing</th><th>before</th><th>after</th><th>after ÷ before</th></tr></thead><tbody>\n${periodRows}\n</tbody></table></details>`
  );
}

function figure(chart: Chart, svg: string): string {
  return `<figure data-chart="${esc(chart.name)}"><h3>${esc(chart.title)}</h3>${svg}<figcaption>${esc(chart.caption)}</figcaption></figure>`;
}

/** The whole page. `svgs` are the charts drawn by `renderSvg`, in the same order. */
export function renderHtml(r: Report, charts: readonly Chart[], svgs: readonly string[]): string {
  const chart = (name: string) => {
    const i = charts.findIndex((c) => c.name === name);
    return i === -1 ? "" : figure(charts[i], svgs[i]);
  };
  const sources = r.sources.map((s) => `<li>${esc(s.location)} <span class="muted">(${esc(s.clouds.join(", ") || "no cloud")}; ${s.files} files)</span></li>`).join("");
  const malformed = r.history.malformed.files
    .slice(0, 50)
    .map((m) => `<li>${esc(m.location)}: ${esc(m.reason)}</li>`)
    .join("");
  const rotations = r.honeypots
    .filter((h) => h.rotations.length > 0 || h.lastRotationMarker)
    .map((h) => `<tr><td>${esc(h.key)}</td><td class="n">${h.rotations.length}</td><td>${h.rotations.map((x) => `${time(x.at)} <span class="muted">${esc(x.from)} → ${esc(x.to)}</span>`).join("<br>") || "-"}</td><td>${h.lastRotationMarker ? `${time(h.lastRotationMarker.lastRotatedAt)} <span class="muted">from ${esc(h.lastRotationMarker.ip)}${h.lastRotationMarker.inHistory ? "" : ", not in the history"}</span>` : "-"}</td></tr>`)
    .join("\n");
  const indexes = r.indexes;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>lure: how fast scanner indexes find the honeypots</title><style>${CSS}</style></head>
<body>
<h1>How fast scanner indexes find the honeypots</h1>
<p class="muted">Generated ${time(r.generatedAt)} from ${r.history.results} lookups of ${r.honeypots.length} honeypots${r.history.from ? `, ${time(r.history.from)} to ${time(r.history.to)}` : ""}. Indexes: ${esc(indexes.join(", ") || "none")}.</p>
<ul class="muted">${sources}</ul>
<p>Malformed files skipped: <strong>${r.history.malformed.count}</strong>. Rotations seen: <strong>${r.rotations.count}</strong>.</p>
${r.notes.length > 0 ? `<ul class="notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}
<h2>Time to first listing</h2>
<p>From the start of each honeypot IP period (<code>since</code>: when the honeypot started on that IP) to the first lookup that saw it listed by any index. A lookup runs every cycle, so a listing is seen up to one cycle late. Periods never listed are censored: shown as "not yet listed after N h", counted in n, left out of the median.</p>
${distTable(r.timeToListing, "listed")}
${chart("time-to-listing")}
<h2>Time to honeypot tag</h2>
${distTable(r.timeToTag, "tagged")}
${chart("time-to-tag")}
<h2>Honeypots and their IP periods</h2>
<table><thead><tr><th>honeypot</th><th>IP</th><th>started on IP</th><th>lookups</th><th>first listing (any index)</th>${indexes.map((i) => `<th>first listing: ${esc(i)}</th>`).join("")}<th>honeypot tag</th><th>last honeyscore</th><th>ports seen</th></tr></thead><tbody>
${r.honeypots.map((h) => honeypotRows(h, indexes)).join("\n")}
</tbody></table>
<h2>Rotations</h2>
${rotations ? `<table><thead><tr><th>honeypot</th><th>rotations</th><th>when (start on the new IP)</th><th>last rotation marker</th></tr></thead><tbody>\n${rotations}\n</tbody></table>` : `<p class="muted">No rotations.</p>`}
<h2>Honeyscore</h2>
${chart("honeyscore")}
<h2>Attacks before and after a listing</h2>
${eventsSection(r)}
${chart("events")}
${r.history.malformed.count > 0 ? `<h2>Malformed files</h2><ul>${malformed}</ul>${r.history.malformed.count > 50 ? `<p class="muted">… and ${r.history.malformed.count - 50} more in report.json</p>` : ""}` : ""}
</body></html>
`;
}
