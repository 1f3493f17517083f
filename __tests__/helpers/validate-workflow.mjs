// Validates GitHub Actions workflows with GitHub's own parser (@actions/workflow-parser is ESM-only,
// so the jest tests run this file in a child process). Reads a JSON array of {name, content} on
// stdin; writes a JSON array of {name, errors: string[]} on stdout.
import { register } from "node:module";

// The parser imports its schema JSON without `with { type: "json" }`, which Node 20 refuses: a loader
// hook serves the parser's own .json files as modules whose default export is the parsed JSON.
const hooks = `
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
export async function load(url, context, nextLoad) {
  if (url.startsWith("file:") && url.endsWith(".json") && url.includes("/@actions/workflow-parser/")) {
    const text = await readFile(fileURLToPath(url), "utf8");
    return { format: "module", source: "export default " + text + ";", shortCircuit: true };
  }
  return nextLoad(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
const { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } = await import("@actions/workflow-parser");

const readStdin = async () => {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return text;
};

async function validate(file) {
  const parsed = parseWorkflow(file, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  // Conversion finds what the schema cannot (job graph, needs, matrix); it adds to the same errors.
  if (errors.length === 0 && parsed.value) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    for (const e of template.errors ?? []) if (!errors.includes(e.Message)) errors.push(e.Message);
  }
  if (!parsed.value && errors.length === 0) errors.push(`${file.name}: nothing parsed`);
  return { name: file.name, errors };
}

const files = JSON.parse(await readStdin());
const results = [];
for (const file of files) results.push(await validate(file));
process.stdout.write(JSON.stringify(results));
