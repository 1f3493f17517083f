/**
 * Reading a function's environment at cold start: every problem is collected, so one failed deploy
 * shows them all, each with the variable, what it held and what was expected.
 */

export type Vars = Readonly<Record<string, string | undefined>>;

/** Collects every problem so one failed deploy shows them all. */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(protected readonly vars: Vars) {}

  text(name: string, what: string): string {
    const v = this.vars[name]?.trim();
    if (!v) {
      this.problems.push(`${name} is ${v === undefined ? "not set" : "empty"} (expected ${what})`);
      return "";
    }
    return v;
  }

  /** A set variable that must also match `pattern`. */
  matching(name: string, what: string, pattern: RegExp): string {
    const v = this.text(name, what);
    if (v && !pattern.test(v)) this.problems.push(`${name} is ${JSON.stringify(v)} (expected ${what})`);
    return v;
  }

  httpsUrl(name: string, what: string): string {
    const v = this.text(name, what);
    if (v && !/^https:\/\/[^\s/]+\/\S*$/.test(v)) this.problems.push(`${name} is ${JSON.stringify(v)} (expected ${what}, an https:// URL)`);
    return v;
  }

  bool(name: string): boolean {
    const v = this.vars[name];
    if (v === "true" || v === "false") return v === "true";
    this.problems.push(`${name} is ${describe(v)} (expected "true" or "false")`);
    return false;
  }

  int(name: string, min: number, fallback?: number): number {
    const v = this.vars[name];
    if ((v === undefined || v.trim() === "") && fallback !== undefined) return fallback;
    if (v !== undefined && /^\d+$/.test(v.trim()) && Number(v) >= min && Number.isSafeInteger(Number(v))) return Number(v);
    this.problems.push(`${name} is ${describe(v)} (expected an integer ≥ ${min}${fallback !== undefined ? `, or unset for ${fallback}` : ""})`);
    return fallback ?? min;
  }

  done<T>(fn: string, value: T): T {
    if (this.problems.length > 0) throw new Error(`${fn}: invalid environment: ${this.problems.join("; ")}`);
    return value;
  }
}

function describe(v: string | undefined): string {
  return v === undefined ? "not set" : JSON.stringify(v);
}
