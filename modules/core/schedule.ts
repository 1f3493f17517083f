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
