/**
 * The example comment in the README ("Review in pull requests"): the recorded `replace` plan rendered
 * by the code that renders the real ones, its heading one level down to sit under the README's.
 * `npx tsx __tests__/core/__fixtures__/plans/example.ts` writes it into the README; a test keeps the
 * two equal.
 */
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { renderMarkdown, summarizePlan, type PlanJson } from "../../../../modules/core/plan/summary";

export const README = join(__dirname, "..", "..", "..", "..", "README.md");
export const START = "<!-- example-plan-comment:start -->";
export const END = "<!-- example-plan-comment:end -->";

export function exampleComment(): string {
  const plan = JSON.parse(readFileSync(join(__dirname, "replace.json"), "utf8")) as PlanJson;
  const md = renderMarkdown(summarizePlan(plan), {
    stack: "aws-honeynet",
    planText: readFileSync(join(__dirname, "replace.txt"), "utf8"),
    context: "example: the recorded replace plan (offline, a slice of the default aws-honeynet)",
  });
  return md.replace(/^### /m, "#### ").trimEnd();
}

/** The example as the README holds it now, or undefined without the markers. */
export function readmeExample(readme = readFileSync(README, "utf8")): string | undefined {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  return a === -1 || b < a ? undefined : readme.slice(a + START.length, b).trim();
}

if (require.main === module) {
  const readme = readFileSync(README, "utf8");
  if (readmeExample(readme) === undefined) throw new Error(`no ${START} … ${END} in the README`);
  writeFileSync(README, `${readme.slice(0, readme.indexOf(START) + START.length)}\n${exampleComment()}\n${readme.slice(readme.indexOf(END))}`);
}
