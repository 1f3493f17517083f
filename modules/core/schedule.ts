/**
 * Schedule expressions as EventBridge Scheduler accepts them (`rate(…)`, `cron(…)` with six fields).
 * Checked at synth so a typo fails here, not half-way through `terraform apply`.
 */

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((\S+ ){5}\S+\)$/;

/**
 * Why the expression would be refused, worded to follow the quoted expression (`"rate(1 hours)" is not
 * allowed; write "rate(1 hour)" …`), or undefined when it is fine.
 */
export function scheduleProblem(expr: string): string | undefined {
  const rate = RATE.exec(expr);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2];
    if (n < 1) return `is not allowed; a rate is at least 1, e.g. "rate(1 ${unit.replace(/s$/, "")})"`;
    // AWS wants the singular for 1 and the plural otherwise.
    if (n === 1 && unit.endsWith("s")) return `is not allowed; write "rate(1 ${unit.slice(0, -1)})" (the unit is singular for 1)`;
    if (n > 1 && !unit.endsWith("s")) return `is not allowed; write "rate(${n} ${unit}s)" (the unit is plural above 1)`;
    return undefined;
  }
  if (CRON.test(expr)) {
    const fields = expr.slice("cron(".length, -1).split(" ");
    // AWS requires "?" in exactly one of day-of-month and day-of-week.
    if ((fields[2] === "?") === (fields[4] === "?")) return 'is not allowed; put "?" in exactly one of day-of-month (3rd field) and day-of-week (5th field), e.g. "cron(0 6 * * ? *)"';
    return undefined;
  }
  if (expr.startsWith("cron(")) return 'is not allowed; cron needs six fields: "cron(minutes hours day-of-month month day-of-week year)", e.g. "cron(0 */12 * * ? *)"';
  return 'is not a schedule; write "rate(12 hours)" or "cron(0 */12 * * ? *)"';
}

/** A schedule in another scheduler's cron form, or why it has none. */
export type CronForm = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly problem: string };

/** Divisors a cron can repeat by exactly: `*\/n` restarts at every hour (minutes) or day (hours). */
const MINUTE_STEPS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60];
const HOUR_STEPS = [1, 2, 3, 4, 6, 8, 12, 24];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/**
 * The five classic cron fields (`{minute} {hour} {day} {month} {day-of-week}`, UTC, days of the
 * week 0–6 from Sunday) that fire when the EventBridge expression `expr` (one {@link scheduleProblem}
 * accepts) does: a cron at the same times, a rate at the same interval aligned to the UTC hour or
 * day ("rate(12 hours)" at 00:00 and 12:00). Refused, with the reason worded for `scheduler`, when
 * no cron fires at the same times: a rate that does not divide the hour or day (`*\/7` restarts at
 * every hour, so "rate(7 minutes)" would not be every 7 minutes), a rate of several days, a year
 * other than `*`, and AWS's `L`, `W` and `#`. AWS counts days of the week 1–7 from Sunday.
 */
function toCronFields(expr: string, scheduler: string): CronForm {
  const rate = RATE.exec(expr);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2].replace(/s$/, "");
    if (unit === "minute" && MINUTE_STEPS.includes(n)) return { ok: true, value: n === 60 ? "0 * * * *" : `${n === 1 ? "*" : `*/${n}`} * * * *` };
    if (unit === "hour" && HOUR_STEPS.includes(n)) return { ok: true, value: n === 24 ? "0 0 * * *" : `0 ${n === 1 ? "*" : `*/${n}`} * * *` };
    if (unit === "day" && n === 1) return { ok: true, value: "0 0 * * *" };
    const allowed = unit === "minute" ? `minutes that divide the hour (${MINUTE_STEPS.join(", ")})` : unit === "hour" ? `hours that divide the day (${HOUR_STEPS.join(", ")})` : "1 day";
    return { ok: false, problem: `has no exact ${scheduler} schedule (its cron repeats within each ${unit === "minute" ? "hour" : unit === "hour" ? "day" : "month"}): use a rate of ${allowed}, or a cron(...) expression` };
  }
  if (!CRON.test(expr)) return { ok: false, problem: "is not a rate(...) or cron(...) expression" };
  const [minute, hour, dom, month, dow, year] = expr.slice("cron(".length, -1).split(" ");
  if (year !== "*") return { ok: false, problem: `has a year field ("${year}"), which ${scheduler} schedules do not have: use "*"` };
  const special = [minute, hour, dom, month, dow].find((f) => /[LW#]/i.test(f));
  if (special !== undefined) return { ok: false, problem: `uses "${special}": L, W and # have no ${scheduler} equivalent` };
  const fields = [
    field("minutes (0-59)", minute, 0, 59, []),
    field("hours (0-23)", hour, 0, 23, []),
    dom === "?" ? "*" : field("day-of-month (1-31)", dom, 1, 31, []),
    field("month (1-12 or JAN-DEC)", month, 1, 12, MONTH_NAMES, 1),
    dow === "?" ? "*" : field("day-of-week (1-7 or SUN-SAT)", dow, 0, 6, DAY_NAMES, 0, -1),
  ];
  const bad = fields.find((f) => f.startsWith("!"));
  if (bad !== undefined) return { ok: false, problem: bad.slice(1) };
  return { ok: true, value: fields.join(" ") };
}

/**
 * The NCRONTAB of an Azure Functions timer (`{second}` first, then {@link toCronFields}'s five
 * fields) for the EventBridge expression `expr`, or why a timer cannot keep it.
 */
export function toNcrontab(expr: string): CronForm {
  const c = toCronFields(expr, "Azure Functions timer");
  return c.ok ? { ok: true, value: `0 ${c.value}` } : c;
}

/**
 * The unix-cron of a Cloud Scheduler job (five fields; the job's time zone is UTC) for the
 * EventBridge expression `expr`, or why Cloud Scheduler cannot keep it.
 */
export function toUnixCron(expr: string): CronForm {
  return toCronFields(expr, "Cloud Scheduler");
}

/**
 * One cron field in classic cron terms: names to numbers (`first` is the number of the first name),
 * numbers shifted by `shift` (days of the week), `a/b` spelled `a-max/b`. A leading `!` marks a
 * problem instead of a field.
 */
function field(label: string, f: string, min: number, max: number, names: readonly string[], first = 0, shift = 0): string {
  const parts = f.split(",").map((part) => {
    const [range, step] = part.split("/");
    const ends = range.split("-").map((v) => {
      if (v === "*") return v;
      const named = names.indexOf(v.toUpperCase());
      const n = named >= 0 ? named + first : /^\d+$/.test(v) ? Number(v) + shift : NaN;
      return Number.isNaN(n) || n < min || n > max ? `!has "${v}" in ${label}, which is not one of its values` : String(n);
    });
    const problem = ends.find((e) => e.startsWith("!"));
    if (problem !== undefined) return problem;
    // AWS reads "5/15" as "from 5, every 15"; classic cron needs the range spelled out.
    const spelled = step !== undefined && ends.length === 1 && ends[0] !== "*" ? `${ends[0]}-${max}` : ends.join("-");
    return step === undefined ? spelled : `${spelled}/${step}`;
  });
  return parts.find((p) => p.startsWith("!")) ?? parts.join(",");
}
