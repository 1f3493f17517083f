/**
 * The README renders as written: every code fence opens and closes on a line of its own, so no section
 * turns into code (a fence with text after it once swallowed three sections).
 */
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { exampleComment, readmeExample } from "./core/__fixtures__/plans/example";
import { pngFileSize } from "../modules/core/report/chromium";

const README = readFileSync(join(__dirname, "..", "README.md"), "utf8");

/** Problems with the fences of a Markdown text: a fence line with prose on it, or a fence left open. */
export function fenceProblems(markdown: string): string[] {
  const problems: string[] = [];
  let open: number | undefined;
  markdown.split("\n").forEach((line, i) => {
    if (!line.includes("```")) return;
    const fence = /^\s*```([\w-]*)\s*$/.exec(line);
    if (!fence) {
      problems.push(`line ${i + 1}: a fence with other text on the line: ${line.trim()}`);
      return;
    }
    if (open === undefined) open = i + 1;
    else if (fence[1] !== "") problems.push(`line ${i + 1}: opens a ${fence[1]} block inside the block opened at line ${open}`);
    else open = undefined;
  });
  if (open !== undefined) problems.push(`line ${open}: a fence that never closes`);
  return problems;
}

test("every README fence is on a line of its own and closes", () => {
  expect(fenceProblems(README)).toEqual([]);
});

test("the check finds a fence with text after it and an unclosed one", () => {
  expect(fenceProblems("```sh\nx\n``` and then prose\n")).toEqual(["line 3: a fence with other text on the line: ``` and then prose", "line 1: a fence that never closes"]);
  expect(fenceProblems("a `code` span and ```\n")).toHaveLength(1);
  expect(fenceProblems("```ts\nx\n```\n")).toEqual([]);
});

test("the existing-target section says what a user of their own load balancer must do and what destroy leaves", () => {
  const section = README.slice(README.indexOf("### Demo or your own service"), README.indexOf("### Cost in Normal Mode"));
  expect(section).toContain("Your load balancer's security group must allow egress to the copies.");
  expect(section).toMatch(/authorize-security-group-egress --group-id <albSecurityGroupId>/);
  expect(section).toMatch(/On `destroy`, Terraform moves those subnets to the \*\*VPC's default network ACL\*\*/);
  expect(section).not.toContain("targetGroupArn,");
});

test("the example plan comment in the README is what the renderer makes of the recorded replace plan", () => {
  // Regenerate with `npx tsx __tests__/core/__fixtures__/plans/example.ts`.
  expect(readmeExample(README)).toBe(exampleComment());
  expect(exampleComment()).toContain("| ⚠️ replace | `aws_ecs_task_definition.Honeynet_Honeypot-cowrie_TaskDefinition_6DA465E8` | `container_definitions` changed | its service starts new tasks: a honeypot task gets a new public IP |");
});

test("the scripts the README lists exist in package.json", () => {
  const scripts = Object.keys((JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
  const listed = [...new Set([...README.matchAll(/`npm run ([a-z:]+)/g)].map((m) => m[1]))];
  expect(listed).toEqual(expect.arrayContaining(["plan", "deploy", "simulate"]));
  expect(listed.filter((s) => !scripts.includes(s))).toEqual([]);
});

test("every picture the README shows is in the repository, and the report's is a real screenshot", () => {
  const pictures = [...README.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  expect(pictures).toContain("modules/core/report/example.png");
  for (const p of pictures) expect([p, existsSync(join(__dirname, "..", p))]).toEqual([p, true]);
  expect(pngFileSize(join(__dirname, "..", "modules/core/report/example.png"))).toEqual({ width: 1280, height: 3000 });
});
