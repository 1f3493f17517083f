/**
 * A made-up but realistic watcher history for tests and the README picture: three weeks of lookups
 * every 6 h on three clouds, written exactly as the watcher stores them, plus an events file. It is
 * seeded (no `Math.random`), so the same seed writes the same bytes, and it returns what it planted:
 * first listings, tags, rotations and before/after event sums, worked out from the plan itself, so
 * tests compare the report with known answers rather than with its own output.
 *
 * What it plants: cowrie, conpot, dionaea and heralding honeypots; one rotation (aws/cowrie); one
 * honeypot never listed (aws/dionaea); two indexes on Azure, with a Censys-only sighting
 * (azure/heralding) and a Censys outage; an extra target with an unsafe label; four malformed files;
 * one honeypot listed at its first lookup; one whose events start after its listing.
 */
import { mkdirSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { rng } from "../../../functions/local/synthetic";

const HOUR = 3_600_000;
/** Start of the history. */
export const FIXTURE_T0 = Date.parse("2026-10-05T00:00:00.000Z");
export const FIXTURE_CYCLE_HOURS = 6;
export const FIXTURE_CYCLES = 84;
/** The report's `--now` for the fixture: just after the last cycle. */
export const FIXTURE_NOW = new Date(FIXTURE_T0 + FIXTURE_CYCLES * FIXTURE_CYCLE_HOURS * HOUR).toISOString();

interface PeriodPlan {
  readonly ip: string;
  /** Hours after T0; absent for an extra target. */
  readonly sinceH?: number;
  /** Fixed start (ms), for a period that starts when the previous one rotated. */
  readonly sinceMs?: number;
  /** Last cycle of the period (the lookup that rotated it), inclusive. @default the last cycle */
  readonly lastCycle?: number;
  /** First cycle each index lists it in. */
  readonly listed: Readonly<Record<string, number>>;
  readonly tagged?: { readonly cycle: number; readonly by: string };
  readonly honeyscore?: (cycle: number) => number | undefined;
  readonly unavailable?: { readonly index: string; readonly cycle: number };
  readonly firstFoundAtOverride?: string;
}

interface HoneypotPlan {
  readonly cloud: "aws" | "azure" | "gcp";
  readonly honeypot: string;
  readonly service: string;
  readonly indexes: readonly string[];
  /** Write `message.cloud` (the GCP records leave it out: their folder names the cloud). */
  readonly cloudInMessage: boolean;
  readonly external?: true;
  readonly label?: string;
  readonly periods: readonly PeriodPlan[];
  /** Events per hour before, between and after; absent: no events. `fromH`: counts start then. */
  readonly events?: { readonly before: number; readonly after: number; readonly fromH?: number };
}

const cycleAt = (c: number) => FIXTURE_T0 + c * FIXTURE_CYCLE_HOURS * HOUR;
const iso = (t: number) => new Date(t).toISOString();

/** Where aws/cowrie's first lookup rotated it: its lookup at cycle 28, plus the 9 minutes a new task takes. */
const ROTATION_CYCLE = 28;
const checkedAtOf = (c: number, hp: number) => cycleAt(c) + 60_000 + hp * 13_000;

const PLANS: readonly HoneypotPlan[] = [
  {
    cloud: "aws", honeypot: "cowrie", service: "lure-cowrie", indexes: ["shodan"], cloudInMessage: true,
    periods: [
      { ip: "198.51.100.10", sinceH: 0, lastCycle: ROTATION_CYCLE, listed: { shodan: 5 }, tagged: { cycle: 9, by: "shodan" }, honeyscore: (c) => (c < 5 ? undefined : c < 9 ? 0.3 : 0.9) },
      { ip: "198.51.100.11", sinceMs: checkedAtOf(ROTATION_CYCLE, 0) + 9 * 60_000, listed: { shodan: 32 } },
    ],
    events: { before: 20, after: 60 },
  },
  { cloud: "aws", honeypot: "conpot_IEC104", service: "lure-conpot-iec104", indexes: ["shodan"], cloudInMessage: true, periods: [{ ip: "198.51.100.20", sinceH: 3, listed: { shodan: 8 } }], events: { before: 4, after: 6 } },
  { cloud: "aws", honeypot: "dionaea", service: "lure-dionaea", indexes: ["shodan"], cloudInMessage: true, periods: [{ ip: "198.51.100.30", sinceH: 0, listed: {} }], events: { before: 30, after: 30 } },
  {
    cloud: "aws", honeypot: "cowrie", service: "external", indexes: ["shodan"], cloudInMessage: true, external: true, label: `lab <edge> & "co"`,
    periods: [{ ip: "203.0.113.50", listed: { shodan: 0 }, firstFoundAtOverride: "2026-09-01T00:00:00.000Z" }],
  },
  {
    cloud: "azure", honeypot: "cowrie", service: "lure-cowrie", indexes: ["shodan", "censys"], cloudInMessage: true,
    periods: [{ ip: "20.50.0.10", sinceH: 2, listed: { censys: 7, shodan: 12 }, tagged: { cycle: 16, by: "shodan" }, unavailable: { index: "censys", cycle: 20 } }],
    events: { before: 10, after: 25 },
  },
  { cloud: "azure", honeypot: "heralding", service: "lure-heralding", indexes: ["shodan", "censys"], cloudInMessage: true, periods: [{ ip: "20.50.0.20", sinceH: 0, listed: { censys: 10 } }], events: { before: 8, after: 8 } },
  {
    cloud: "azure", honeypot: "conpot_default", service: "lure-conpot-default", indexes: ["shodan", "censys"], cloudInMessage: true,
    periods: [{ ip: "20.50.0.30", sinceH: 6, listed: { shodan: 1 }, tagged: { cycle: 1, by: "shodan" }, honeyscore: () => 1 }],
    events: { before: 5, after: 9 },
  },
  { cloud: "gcp", honeypot: "cowrie", service: "lure-cowrie", indexes: ["shodan"], cloudInMessage: false, periods: [{ ip: "34.120.0.10", sinceH: 1, listed: { shodan: 17 } }], events: { before: 12, after: 40, fromH: 110 } },
  {
    cloud: "gcp", honeypot: "dionaea", service: "lure-dionaea", indexes: ["shodan"], cloudInMessage: false,
    periods: [{ ip: "34.120.0.20", sinceH: 5, listed: { shodan: 12 }, tagged: { cycle: 16, by: "shodan" }, honeyscore: (c) => (c < 12 ? undefined : Math.min(1, 0.4 + 0.05 * (c - 12))) }],
    events: { before: 15, after: 45 },
  },
];

/** What one planted period should come out as. */
export interface PlantedPeriod {
  readonly key: string;
  readonly ip: string;
  readonly start?: string;
  readonly firstListedAt?: string;
  readonly byIndex: Readonly<Record<string, string | undefined>>;
  readonly hoursToListing?: number;
  readonly notListedAfterHours?: number;
  readonly firstTaggedAt?: string;
  readonly hoursToTag?: number;
  readonly honeyscorePoints: number;
  /** Before/after sums of the events file; `reason` when there is no ratio. */
  readonly events?: { readonly beforeHours: number; readonly beforeEvents: number; readonly afterHours: number; readonly afterEvents: number; readonly ratio?: number; readonly reason?: "never listed" | "first lookup" | "no hours before" };
}

export interface FixtureTruth {
  /** The history folder (holds aws/, azure/, gcp/). */
  readonly history: string;
  readonly eventsFile: string;
  readonly now: string;
  readonly malformed: number;
  readonly periods: readonly PlantedPeriod[];
  /** Periods of lure's own honeypots with a known start: the points of the time-to charts. */
  readonly timedPeriods: number;
  readonly byCloud: Readonly<Record<string, number>>;
  readonly byType: Readonly<Record<string, number>>;
  readonly rotations: Readonly<Record<string, readonly string[]>>;
  /** First listings of honeypots that have event counts: the rules of the events chart. */
  readonly listingsWithEvents: number;
  readonly honeypotsWithEvents: number;
  readonly honeyscoreSeries: number;
  readonly honeyscorePoints: number;
  readonly resultFiles: number;
}

const TYPE: Record<string, string> = { conpot_IEC104: "conpot", conpot_default: "conpot" };

function write(path: string, text: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

/** Writes the fixture under `dir` (emptied first) and returns what it planted. */
export function writeFixture(dir: string, seed = 7): FixtureTruth {
  rmSync(dir, { recursive: true, force: true });
  const history = join(dir, "history");
  const rnd = rng(seed);
  const periods: PlantedPeriod[] = [];
  const rotations: Record<string, string[]> = {};
  const events: Record<string, Record<string, number>> = {};
  let resultFiles = 0;

  PLANS.forEach((plan, hp) => {
    const root = join(history, plan.cloud);
    const key = plan.external ? `${plan.cloud}/external/${plan.periods[0].ip}` : `${plan.cloud}/${plan.honeypot}`;
    const starts = plan.periods.map((p) => p.sinceMs ?? (p.sinceH === undefined ? undefined : FIXTURE_T0 + p.sinceH * HOUR));
    let latest: { ip: string; state: unknown } | undefined;
    const counts = new Map<number, number>();
    const windows: { before: [number, number] | undefined; after: [number, number] }[] = [];

    plan.periods.forEach((p, pi) => {
      const since = starts[pi];
      const firstCycle = since === undefined ? 0 : Math.ceil((since - FIXTURE_T0) / (FIXTURE_CYCLE_HOURS * HOUR));
      const lastCycle = p.lastCycle ?? FIXTURE_CYCLES - 1;
      const first: Record<string, number> = {};
      let tagged = false;
      let firstAny: number | undefined;
      let lastUnlisted: number | undefined;
      let scorePoints = 0;
      for (let c = firstCycle; c <= lastCycle; c++) {
        const at = checkedAtOf(c, hp);
        const views: Record<string, Record<string, unknown>> = {};
        for (const index of plan.indexes) {
          const found = p.listed[index] !== undefined && c >= p.listed[index];
          if (found && first[index] === undefined) first[index] = at;
          const isTagged = p.tagged !== undefined && p.tagged.by === index && c >= p.tagged.cycle;
          const score = index === "shodan" ? p.honeyscore?.(c) : undefined;
          if (score !== undefined) scorePoints++;
          views[index] = {
            found,
            ports: found ? [plan.honeypot.startsWith("conpot") ? "502/tcp" : plan.honeypot === "dionaea" ? "445/tcp" : "22/tcp"] : [],
            honeypotTagged: isTagged,
            ...(score !== undefined ? { honeyscore: score } : {}),
            staleOnly: false,
            ...(found ? { firstFoundAt: p.firstFoundAtOverride ?? iso(first[index]) } : {}),
            checkedAt: iso(at),
            ...(p.unavailable && p.unavailable.index === index && p.unavailable.cycle === c ? { unavailable: true } : {}),
          };
          if (isTagged) tagged = true;
        }
        const found = Object.values(views).some((v) => v.found);
        if (found && firstAny === undefined) firstAny = at;
        if (!found) lastUnlisted = at;
        const primary = views[plan.indexes[0]];
        const state = {
          ip: p.ip,
          honeypot: plan.honeypot,
          checkedAt: iso(at),
          index: plan.indexes[0],
          found,
          ports: [...new Set(Object.values(views).flatMap((v) => v.ports as string[]))].sort(),
          honeypotTagged: Object.values(views).some((v) => v.honeypotTagged),
          ...(primary.honeyscore !== undefined ? { honeyscore: primary.honeyscore } : {}),
          staleOnly: false,
          ...(found ? { firstFoundAt: p.firstFoundAtOverride ?? iso(firstAny as number) } : {}),
          ...(plan.indexes.length > 1 ? { indexes: views } : {}),
        };
        const message = {
          ip: p.ip,
          honeypot: plan.honeypot,
          service: plan.service,
          ...(plan.external ? {} : { task: `task-${hp}-${pi}` }),
          ...(since !== undefined ? { since: iso(since) } : {}),
          cycle: iso(cycleAt(c)),
          ...(plan.cloudInMessage ? { cloud: plan.cloud } : {}),
          ...(plan.external ? { external: true } : {}),
          ...(plan.label !== undefined ? { label: plan.label } : {}),
        };
        const answer = found ? { ip_str: p.ip, ports: state.ports.map((s) => Number(s.split("/")[0])), tags: state.honeypotTagged ? ["honeypot"] : [] } : null;
        const changes = found && at === firstAny ? [{ kind: "new-exposure", ports: state.ports }] : [];
        write(join(root, "results", p.ip, `${iso(at).replace(/:/g, "")}.json`), JSON.stringify({ message, answer, evaluation: { state, changes, changed: changes.length > 0 } }));
        resultFiles++;
        latest = { ip: p.ip, state };
        if (pi < plan.periods.length - 1 && c === lastCycle) {
          write(join(root, "latest", `${p.ip}.json`), JSON.stringify(state));
          rotations[key] = [...(rotations[key] ?? []), iso(starts[pi + 1] as number)];
          write(join(root, "rotations", `${plan.honeypot}.json`), JSON.stringify({ lastRotatedAt: iso(at), ip: p.ip, service: plan.service, cycle: iso(cycleAt(c)), message: `moved ${plan.service} off ${p.ip}` }));
        }
      }
      const lastAt = checkedAtOf(lastCycle, hp);
      const end = starts[pi + 1];
      if (firstAny !== undefined) windows.push({ before: lastUnlisted !== undefined && since !== undefined ? [since, lastUnlisted] : undefined, after: [firstAny, end ?? Infinity] });
      else windows.push({ before: undefined, after: [Infinity, Infinity] });
      const taggedAt = p.tagged ? checkedAtOf(p.tagged.cycle, hp) : undefined;
      periods.push({
        key,
        ip: p.ip,
        ...(since !== undefined ? { start: iso(since) } : {}),
        ...(firstAny !== undefined ? { firstListedAt: iso(firstAny) } : {}),
        byIndex: Object.fromEntries(plan.indexes.map((i) => [i, first[i] === undefined ? undefined : iso(first[i])])),
        ...(since !== undefined && firstAny !== undefined ? { hoursToListing: (firstAny - since) / HOUR } : {}),
        ...(since !== undefined && firstAny === undefined ? { notListedAfterHours: (lastAt - since) / HOUR } : {}),
        ...(taggedAt !== undefined && tagged ? { firstTaggedAt: iso(taggedAt), ...(since !== undefined ? { hoursToTag: (taggedAt - since) / HOUR } : {}) } : {}),
        honeyscorePoints: scorePoints,
      });
    });
    if (latest) write(join(root, "latest", `${latest.ip}.json`), JSON.stringify(latest.state));

    if (plan.events) {
      // Hourly counts from the first whole hour of the first period to the end; the rate says which
      // side of a listing the hour is on (between the two lookups: the mean of both rates).
      const from = Math.max(Math.ceil((starts[0] as number) / HOUR) * HOUR, FIXTURE_T0 + (plan.events.fromH ?? 0) * HOUR);
      const sums = windows.map(() => ({ bh: 0, be: 0, ah: 0, ae: 0 }));
      for (let t = from; t < FIXTURE_T0 + FIXTURE_CYCLES * FIXTURE_CYCLE_HOURS * HOUR; t += HOUR) {
        const placed = windows.map((w, i) => (w.before && t >= (starts[i] as number) && t + HOUR <= w.before[1] ? "before" : t >= w.after[0] && t + HOUR <= w.after[1] ? "after" : undefined));
        const side = placed.find((x) => x !== undefined);
        const { before, after } = plan.events;
        const count = Math.floor((side === "before" ? before : side === "after" ? after : (before + after) / 2) * (0.5 + rnd()));
        counts.set(t, count);
        placed.forEach((x, i) => {
          if (x === "before") {
            sums[i].bh++;
            sums[i].be += count;
          } else if (x === "after") {
            sums[i].ah++;
            sums[i].ae += count;
          }
        });
      }
      events[key] = Object.fromEntries([...counts].map(([t, n]) => [iso(t), n]));
      const own = periods.slice(periods.length - plan.periods.length);
      own.forEach((p, i) => {
        const s = sums[i];
        const reason = p.firstListedAt === undefined ? "never listed" : windows[i].before === undefined ? "first lookup" : s.bh === 0 ? "no hours before" : undefined;
        const ratio = reason === undefined && s.ah > 0 && s.be > 0 ? s.ae / s.ah / (s.be / s.bh) : undefined;
        (own[i] as { events?: PlantedPeriod["events"] }).events = {
          beforeHours: s.bh, beforeEvents: s.be, afterHours: s.ah, afterEvents: s.ae,
          ...(ratio !== undefined ? { ratio } : {}),
          ...(reason !== undefined ? { reason } : {}),
        };
      });
    }
  });

  // Events of a honeypot that is in no history, and four files the watcher would never write.
  events["gcp/ghostpot"] = { [iso(FIXTURE_T0)]: 3 };
  write(join(history, "aws", "results", "198.51.100.10", "garbage.json"), "{not json");
  write(join(history, "azure", "results", "20.50.0.10", "2026-10-06T000000.000Z.json"), JSON.stringify({ message: { ip: "20.50.0.10", honeypot: "cowrie", service: "lure-cowrie", cycle: iso(FIXTURE_T0) } }));
  write(join(history, "gcp", "results", "34.120.0.10", "2026-10-06T010000.000Z.json"), JSON.stringify({ message: { ip: "34.120.0.10", honeypot: "cowrie", service: "lure-cowrie", since: "yesterday", cycle: iso(FIXTURE_T0) }, answer: null, evaluation: { state: { ip: "34.120.0.10", honeypot: "cowrie", checkedAt: iso(FIXTURE_T0), index: "shodan", found: false, ports: [], honeypotTagged: false, staleOnly: false }, changes: [], changed: false } }));
  write(join(history, "aws", "latest", "198.51.100.99.json"), "[]");
  // Not history: ignored, not counted as malformed.
  write(join(history, "aws", "state", "index-error.json"), JSON.stringify({ problem: "none" }));
  write(join(history, "aws", "results", "198.51.100.10", "notes.txt"), "uploaded by hand");
  const eventsFile = join(dir, "events.json");
  write(eventsFile, JSON.stringify(events, null, 1));

  const timed = periods.filter((p) => p.start !== undefined);
  const count = (f: (p: PlantedPeriod) => string) => timed.reduce<Record<string, number>>((acc, p) => ({ ...acc, [f(p)]: (acc[f(p)] ?? 0) + 1 }), {});
  const withEvents = new Set(PLANS.filter((p) => p.events && !p.external).map((p) => `${p.cloud}/${p.honeypot}`));
  const scored = periods.filter((p) => p.honeyscorePoints > 0);
  return {
    history,
    eventsFile,
    now: FIXTURE_NOW,
    malformed: 4,
    periods,
    timedPeriods: timed.length,
    byCloud: count((p) => p.key.split("/")[0]),
    byType: count((p) => {
      const name = p.key.split("/")[1];
      return TYPE[name] ?? name;
    }),
    rotations,
    listingsWithEvents: periods.filter((p) => withEvents.has(p.key) && p.firstListedAt !== undefined).length,
    honeypotsWithEvents: withEvents.size,
    honeyscoreSeries: scored.length,
    honeyscorePoints: scored.reduce((n, p) => n + p.honeyscorePoints, 0),
    resultFiles,
  };
}
