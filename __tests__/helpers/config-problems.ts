/** Config tests' helpers: the default config with one change, validated. */
import { validateConfig, type ConfigProblem, type LureConfig } from "../../modules/core/config";
import { defaultConfigInput, type Json } from "./synth";

export const withChange = (change: (c: Json) => void): Json => {
  const c = defaultConfigInput();
  change(c);
  return c;
};

/** The problems of the changed default config; throws when it is valid. */
export const problemsOf = (change: (c: Json) => void): ConfigProblem[] => {
  const r = validateConfig(withChange(change));
  if (r.ok) throw new Error("expected problems, got a valid config");
  return r.problems;
};

/** The changed default config, validated; throws with every problem when it is not valid. */
export const configOf = (change: (c: Json) => void): { config: LureConfig; warnings: string[] } => {
  const r = validateConfig(withChange(change));
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.problems.map((p) => `${p.path}: ${p.message}`).join("\n")}`);
  // The default config's dashboard warning (a documentation range) is not what these tests are about.
  return { config: r.config, warnings: r.warnings.filter((w) => !w.startsWith("honeynet.dashboard.")) };
};

/** Exactly these paths (with multiplicity), each message containing its words. */
export function expectProblems(change: (c: Json) => void, expected: readonly [path: string, ...words: string[]][]): void {
  const problems = problemsOf(change);
  expect(problems.map((p) => p.path).sort()).toEqual(expected.map(([p]) => p).sort());
  for (const [path, ...words] of expected) {
    const messages = problems.filter((p) => p.path === path).map((p) => p.message);
    if (!messages.some((m) => words.every((w) => m.includes(w)))) throw new Error(`no message at ${path} contains ${JSON.stringify(words)}: ${JSON.stringify(messages)}`);
  }
}
