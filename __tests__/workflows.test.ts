/**
 * The two GitHub workflows (.github/workflows): valid by GitHub's own parser, every action pinned by
 * commit SHA, permissions as small as each job needs, the plan matrix from synth and never a fixed
 * list, forks' pull requests kept away from cloud credentials, and the comment found by the marker
 * the summary renderer writes.
 */
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { commentMarker } from "../modules/core/plan/summary";
import type { Json } from "./helpers/synth";

const ROOT = join(__dirname, "..");
const FOLDER = join(ROOT, ".github", "workflows");
const text = (name: string) => readFileSync(join(FOLDER, name), "utf8");
const FILES = ["ci.yml", "plan.yml"];
const ci: Json = parse(text("ci.yml"));
const plan: Json = parse(text("plan.yml"));

/** Errors GitHub's parser (@actions/workflow-parser, ESM-only: run in a child process) finds per file. */
function validate(files: { name: string; content: string }[]): Record<string, string[]> {
  const run = spawnSync(process.execPath, [join(__dirname, "helpers", "validate-workflow.mjs")], { input: JSON.stringify(files), encoding: "utf8", cwd: ROOT });
  if (run.status !== 0) throw new Error(`the validator failed: ${run.stderr}`);
  return Object.fromEntries((JSON.parse(run.stdout) as { name: string; errors: string[] }[]).map((r) => [r.name, r.errors]));
}

const steps = (job: Json): Json[] => job.steps ?? [];
const allSteps = (wf: Json): Json[] => Object.values(wf.jobs as Record<string, Json>).flatMap(steps);
const runScripts = (wf: Json): string[] => allSteps(wf).flatMap((s) => (typeof s.run === "string" ? [s.run] : []));
const uses = (wf: Json, action: string) => allSteps(wf).filter((s) => String(s.uses ?? "").startsWith(`${action}@`));
const planJob = plan.jobs.plan as Json;
const planStep = (name: string) => steps(planJob).find((s) => s.id === name || s.name === name);

describe("GitHub's parser", () => {
  test("both workflows parse and validate", () => {
    expect(validate(FILES.map((name) => ({ name, content: text(name) })))).toEqual({ "ci.yml": [], "plan.yml": [] });
  });

  test("it finds a broken workflow: an unknown key, a job needing one that is not there, a broken expression", () => {
    const job = (extra: string) => `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n  b:\n    runs-on: ubuntu-latest\n${extra}    steps:\n      - run: echo\n`;
    const found = validate([
      { name: "key.yml", content: job("    permissions:\n      id-tokens: write\n") },
      { name: "needs.yml", content: job("    needs: nope\n") },
      { name: "expr.yml", content: job("    if: ${{ github.event == }}\n") },
      { name: "fine.yml", content: job("    needs: a\n") },
    ]);
    expect(found["key.yml"].join()).toMatch(/Unexpected value 'id-tokens'/);
    expect(found["needs.yml"].join()).toMatch(/unknown job 'nope'/);
    expect(found["expr.yml"].join()).toMatch(/Unexpected end of expression/);
    expect(found["fine.yml"]).toEqual([]);
  });
});

describe("pinning", () => {
  const usesLines = FILES.flatMap((name) => text(name).split("\n").filter((l) => /^\s*-?\s*uses:/.test(l)).map((line) => ({ name, line: line.trim() })));

  test("every action is pinned by a full commit SHA, with the version it is in a comment", () => {
    expect(usesLines.length).toBe(13);
    for (const { name, line } of usesLines) expect(`${name}: ${line}`).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  test("one action is pinned to one SHA everywhere", () => {
    const pins = new Map<string, Set<string>>();
    for (const { line } of usesLines) {
      const [, action, sha] = /uses: ([^@]+)@(\S+)/.exec(line)!;
      pins.set(action, (pins.get(action) ?? new Set()).add(sha));
    }
    for (const [action, shas] of pins) expect(`${action}: ${[...shas].length}`).toBe(`${action}: 1`);
    expect([...pins.keys()].sort()).toEqual(["Azure/login", "actions/checkout", "actions/github-script", "actions/setup-node", "actions/upload-artifact", "aws-actions/configure-aws-credentials", "google-github-actions/auth", "hashicorp/setup-terraform"]);
  });
});

describe("permissions", () => {
  test("none at the top of either workflow", () => {
    expect(ci.permissions).toEqual({});
    expect(plan.permissions).toEqual({});
  });

  test("each job gets exactly what it needs: read the code; the plan job also the OIDC token and the comment", () => {
    const jobs = { ...Object.fromEntries(Object.entries(ci.jobs).map(([k, v]) => [`ci/${k}`, (v as Json).permissions])), ...Object.fromEntries(Object.entries(plan.jobs).map(([k, v]) => [`plan/${k}`, (v as Json).permissions])) };
    expect(jobs).toEqual({
      "ci/test": { contents: "read" },
      "plan/synth": { contents: "read" },
      "plan/plan": { contents: "read", "id-token": "write", "pull-requests": "write" },
    });
  });

  test("no pull_request_target (it runs a fork's code with the base repository's rights) and no stored secrets", () => {
    for (const name of FILES) {
      expect(Object.keys(parse(text(name)).on)).not.toContain("pull_request_target");
      expect(text(name)).not.toMatch(/secrets\./);
      expect(text(name)).not.toMatch(/client-secret|credentials_json|aws-secret-access-key|aws-access-key-id|creds:/);
    }
  });

  test("checkouts keep no token in the work tree", () => {
    for (const wf of [ci, plan]) for (const s of uses(wf, "actions/checkout")) expect(s.with?.["persist-credentials"]).toBe(false);
  });

  test("no ${{ }} inside a run script: values reach the shell as environment variables, never as code", () => {
    const scripts = [...runScripts(ci), ...runScripts(plan), ...allSteps(plan).flatMap((s) => (s.with?.script ? [s.with.script] : []))];
    expect(scripts.length).toBeGreaterThan(6);
    for (const s of scripts) expect(s).not.toContain("${{");
  });
});

describe("ci.yml", () => {
  test("runs on pushes to main and on pull requests, one run per ref", () => {
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    expect(ci.on.push.branches).toEqual(["main"]);
    expect(ci.concurrency.group).toBe("ci-${{ github.ref }}");
  });

  test("is .ci/run on Node 20 with the npm cache, and nothing of its own", () => {
    const node = uses(ci, "actions/setup-node");
    expect(node.map((s) => s.with)).toEqual([{ "node-version": 20, cache: "npm" }]);
    const scripts = runScripts(ci);
    expect(scripts.filter((s) => s.includes(".ci/run"))).toEqual(["bash .ci/run"]);
    for (const s of scripts) expect(s).not.toMatch(/npm (ci|test|run|start)|jest|tsc/);
  });

  test(".ci/run is the README's test command", () => {
    const run = readFileSync(join(ROOT, ".ci", "run"), "utf8");
    expect(run).toMatch(/^npm ci\b/m);
    expect(run).toMatch(/^npm test$/m);
  });
});

describe("plan.yml", () => {
  test("runs on pull requests that touch the project, one run per pull request", () => {
    expect(Object.keys(plan.on)).toEqual(["pull_request"]);
    expect(plan.on.pull_request.paths).toEqual(expect.arrayContaining(["main.ts", "modules/**", "providers/**", "functions/**", "package-lock.json", "lure*.json", ".github/workflows/plan.yml"]));
    expect(plan.concurrency).toEqual({ group: "plan-${{ github.event.pull_request.number }}", "cancel-in-progress": true });
  });

  test("the stacks are the ones synth made: a matrix from the synth job's output, no stack named anywhere", () => {
    const synth = plan.jobs.synth as Json;
    expect(steps(synth).map((s) => s.run).filter(Boolean)).toEqual(["npm ci --no-audit --no-fund", "npm start", 'echo "stacks=$(jq -c .stacks cdktf.out/lure-check.json)" >> "$GITHUB_OUTPUT"']);
    expect(synth.outputs).toEqual({ stacks: "${{ steps.stacks.outputs.stacks }}" });
    expect(planJob.needs).toBe("synth");
    expect(planJob.strategy).toEqual({ "fail-fast": false, matrix: { stack: "${{ fromJSON(needs.synth.outputs.stacks) }}" } });
    expect(text("plan.yml")).not.toMatch(/\b(aws|azure|gcp)-(honeynet|quarantine)\b/);
  });

  test("the synth and the plan read the same config: the repository's, or the one LURE_CONFIG names", () => {
    expect(steps(plan.jobs.synth).find((s) => s.run === "npm start")?.env).toEqual({ LURE_CONFIG: "${{ vars.LURE_CONFIG }}" });
    expect(planJob.env.LURE_CONFIG).toBe("${{ vars.LURE_CONFIG }}");
  });

  test("forks' pull requests get no plan job", () => {
    expect(planJob.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
  });

  test("a cloud without its variables is skipped with a notice: every later step waits for configured", () => {
    const cloud = planStep("cloud")!;
    expect(steps(planJob)[0]).toBe(cloud);
    expect(cloud.run).toContain("::notice");
    expect(cloud.run).toContain('echo "configured=$configured" >> "$GITHUB_OUTPUT"');
    const later = steps(planJob).slice(1, -1);
    expect(later.length).toBe(10);
    for (const s of later) expect(`${s.name ?? s.uses ?? s.run}: ${s.if}`).toMatch(/: steps\.cloud\.outputs\.configured == 'true'/);
    expect(steps(planJob).at(-1)).toMatchObject({ if: "steps.plan.outcome == 'failure'" });
  });

  test("each cloud signs in through OIDC with the variables the README names, and only for its own stacks", () => {
    const signIn = { aws: "aws-actions/configure-aws-credentials", azure: "Azure/login", gcp: "google-github-actions/auth" };
    for (const [cloud, action] of Object.entries(signIn)) {
      const [s] = uses(plan, action);
      expect(s.if).toBe(`steps.cloud.outputs.configured == 'true' && steps.cloud.outputs.cloud == '${cloud}'`);
    }
    expect(uses(plan, signIn.aws)[0].with).toEqual({ "role-to-assume": "${{ vars.LURE_AWS_PLAN_ROLE }}", "aws-region": "${{ vars.LURE_AWS_REGION }}", "role-session-name": "lure-plan-${{ github.event.pull_request.number }}" });
    expect(uses(plan, signIn.azure)[0].with).toEqual({ "client-id": "${{ vars.AZURE_CLIENT_ID }}", "tenant-id": "${{ vars.AZURE_TENANT_ID }}", "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}" });
    expect(uses(plan, signIn.gcp)[0].with).toEqual({ workload_identity_provider: "${{ vars.LURE_GCP_WIF_PROVIDER }}", service_account: "${{ vars.LURE_GCP_SERVICE_ACCOUNT }}" });
    expect(planStep("plan")!.env.ARM_USE_OIDC).toBe("${{ steps.cloud.outputs.cloud == 'azure' }}");
  });

  test("the plan runs against the remote state, and its failure fails the job after the comment is posted", () => {
    const p = planStep("plan")!;
    expect(p.run).toBe('npm run plan -- "$STACK" --remote-state --context="$CONTEXT"');
    expect(p["continue-on-error"]).toBe(true);
    const order = steps(planJob).map((s) => s.id ?? s.uses?.split("@")[0] ?? s.name);
    expect(order.indexOf("actions/github-script")).toBeGreaterThan(order.indexOf("plan"));
    expect(uses(plan, "hashicorp/setup-terraform")[0].with).toEqual({ terraform_version: "1.11.4", terraform_wrapper: false });
  });

  test("the comment is found again by the renderer's marker, on every page, and only in a bot's comment", () => {
    const script = String(uses(plan, "actions/github-script")[0].with.script);
    const marker = /const marker = `([^`]+)`/.exec(script)![1];
    expect(marker.replace("${stack}", "aws-honeynet")).toBe(commentMarker("aws-honeynet"));
    expect(script).toContain("const file = `cdktf.out/plans/${stack}.md`");
    expect(script).toContain("github.paginate(github.rest.issues.listComments");
    expect(script).toMatch(/c\.user\?\.type === "Bot" && \(c\.body \?\? ""\)\.startsWith\(marker\)/);
    expect(script).toContain("updateComment");
    expect(script).toContain("createComment");
  });

  test("the plan text and summary are kept for 14 days", () => {
    expect(uses(plan, "actions/upload-artifact")[0].with).toMatchObject({ name: "plan-${{ matrix.stack }}", path: "cdktf.out/plans/", "retention-days": 14 });
  });

  test("every repository variable the workflows read is in the README's section", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Review in pull requests"), readme.indexOf("## What is verified here"));
    const vars = new Set([...`${text("ci.yml")}${text("plan.yml")}`.matchAll(/vars\.([A-Z_]+)/g)].map((m) => m[1]));
    expect([...vars].sort()).toEqual(["AZURE_CLIENT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID", "LURE_AWS_PLAN_ROLE", "LURE_AWS_REGION", "LURE_CONFIG", "LURE_GCP_SERVICE_ACCOUNT", "LURE_GCP_WIF_PROVIDER", "LURE_SHARED_REPO"]);
    for (const v of vars) expect(`${v}: ${section.includes(`\`${v}\``)}`).toBe(`${v}: true`);
  });
});
