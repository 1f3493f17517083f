/**
 * The plan summary (modules/core/plan/summary.ts) on plans Terraform made: a slice of the default
 * `aws-honeynet` planned offline five ways (see __fixtures__/plans/record.ts for how they were recorded).
 */
import { readFileSync } from "fs";
import { join } from "path";
import { COMMENT_LIMIT, commentMarker, countsLine, kindOf, renderFailure, renderMarkdown, renderText, summarizePlan, type PlanJson } from "../../modules/core/plan/summary";

const FIXTURES = join(__dirname, "__fixtures__", "plans");
const SCENARIOS = ["create", "no-changes", "update", "replace", "destroy"] as const;
type Scenario = (typeof SCENARIOS)[number];
const plan = (s: Scenario) => JSON.parse(readFileSync(join(FIXTURES, `${s}.json`), "utf8")) as PlanJson;
const text = (s: Scenario) => readFileSync(join(FIXTURES, `${s}.txt`), "utf8");
const summary = (s: Scenario) => summarizePlan(plan(s));

const SERVICE = "aws_ecs_service.Honeynet_Honeypot-cowrie_Service_9E967BA6";
const TASK = "aws_ecs_task_definition.Honeynet_Honeypot-cowrie_TaskDefinition_6DA465E8";
const EFS = "aws_efs_file_system.Honeynet_FileSystem_ADE1C2BC";
const LOGS = "aws_cloudwatch_log_group.Honeynet_LogGroup_9355EB52";
/** The slice's resources: the cowrie honeypot, the file system, the log group and what they refer to. */
const RESOURCES = 27;

describe("the recorded plans", () => {
  it("are what Terraform printed for each of them (the counts line of `terraform show` agrees with ours)", () => {
    for (const s of SCENARIOS) {
      const line = /^Plan: .*$/m.exec(text(s))?.[0] ?? (/No changes\./.test(text(s)) ? "No changes." : "(none)");
      expect(`${s}: ${countsLine(summary(s))}`).toBe(`${s}: ${line}`);
    }
  });

  it("come from one Terraform and cover every resource of the slice", () => {
    for (const s of SCENARIOS) {
      expect(plan(s).terraform_version).toMatch(/^1\.\d+\.\d+$/);
      expect(plan(s).resource_changes).toHaveLength(RESOURCES);
      expect(plan(s).errored).toBe(false);
    }
  });
});

describe("summarizePlan", () => {
  it("create: everything is new, nothing needs attention, the output is new", () => {
    const s = summary("create");
    expect([s.add, s.change, s.destroy, s.imports, s.forget]).toEqual([RESOURCES, 0, 0, 0, 0]);
    expect(s.attention).toEqual([]);
    expect(s.others).toHaveLength(RESOURCES);
    expect(new Set(s.others.map((c) => c.kind))).toEqual(new Set(["create"]));
    expect(s.outputsChanged).toEqual(["cluster_name"]);
    expect(s.empty).toBe(false);
  });

  it("no changes: empty, nothing listed", () => {
    const s = summary("no-changes");
    expect(s).toMatchObject({ add: 0, change: 0, destroy: 0, empty: true, attention: [], others: [], outputsChanged: [] });
  });

  it("update in place: the log group alone, not a replacement", () => {
    const s = summary("update");
    expect([s.add, s.change, s.destroy]).toEqual([0, 1, 0]);
    expect(s.attention).toEqual([]);
    expect(s.others).toEqual([{ address: LOGS, type: "aws_cloudwatch_log_group", kind: "update" }]);
  });

  it("replace: the honeypot's task definition comes first, with the attribute that forces it and the new IP it means", () => {
    const s = summary("replace");
    expect([s.add, s.change, s.destroy]).toEqual([1, 1, 1]);
    expect(s.attention).toEqual([{
      address: TASK, type: "aws_ecs_task_definition", kind: "replace",
      why: "`container_definitions` changed",
      consequence: "its service starts new tasks: a honeypot task gets a new public IP",
    }]);
    expect(s.others).toEqual([{ address: SERVICE, type: "aws_ecs_service", kind: "update" }]);
  });

  it("destroy: every resource, the ones that cost data or a honeypot first, and the file system's lost logs", () => {
    const s = summary("destroy");
    expect([s.add, s.change, s.destroy]).toEqual([0, 0, RESOURCES]);
    expect(s.attention).toHaveLength(RESOURCES);
    expect(s.others).toEqual([]);
    const withConsequence = s.attention.filter((c) => c.consequence);
    // Ranked: every consequence before any resource without one.
    expect(s.attention.slice(0, withConsequence.length)).toEqual(withConsequence);
    expect(withConsequence.map((c) => c.type).sort()).toEqual([
      "aws_cloudwatch_log_group", "aws_ecs_service", "aws_ecs_task_definition", "aws_efs_access_point", "aws_efs_access_point", "aws_efs_file_system",
    ]);
    expect(s.attention.find((c) => c.address === EFS)).toEqual({ address: EFS, type: "aws_efs_file_system", kind: "delete", consequence: "the honeypots' logs on it are lost" });
    expect(s.attention.find((c) => c.address === LOGS)?.consequence).toBe("its logs are lost");
    // A VPC has nothing a reviewer loses beyond what its contents say.
    expect(s.attention.find((c) => c.type === "aws_vpc")?.consequence).toBeUndefined();
    expect(s.outputsChanged).toEqual(["cluster_name"]);
  });

  it("reasons: a taint or a -replace says so instead of the attributes; a removed resource says why it goes", () => {
    const s = summarizePlan({
      resource_changes: [
        { address: "aws_eip.a", type: "aws_eip", action_reason: "replace_because_tainted", change: { actions: ["delete", "create"], replace_paths: [["domain"]] } },
        { address: "aws_eip.b", type: "aws_eip", action_reason: "replace_by_request", change: { actions: ["create", "delete"] } },
        { address: "aws_s3_bucket.c", type: "aws_s3_bucket", action_reason: "delete_because_no_resource_config", change: { actions: ["delete"] } },
        { address: "aws_vpc.d", type: "aws_vpc", change: { actions: ["delete", "create"], replace_paths: [["cidr_block"], ["tags", "Name"]] } },
      ],
    });
    expect(s.attention.map((c) => [c.address, c.why, c.consequence])).toEqual([
      ["aws_s3_bucket.c", "no longer in the configuration", "its objects (Watcher results, flow logs) are lost"],
      ["aws_eip.a", "tainted", "a new address"],
      ["aws_eip.b", "replacement requested (-replace)", "a new address"],
      ["aws_vpc.d", "`cidr_block`, `tags.Name` changed", undefined],
    ]);
    expect([s.add, s.destroy]).toEqual([3, 4]);
  });

  it("storage replaced loses its data as surely as storage destroyed", () => {
    const s = summarizePlan({ resource_changes: [{ address: "google_compute_disk.data", type: "google_compute_disk", change: { actions: ["delete", "create"] } }] });
    expect(s.attention[0].consequence).toBe("its data (Elasticsearch indices) is lost");
  });

  it("counts imports and forgets, ignores reads and no-ops, and counts drift", () => {
    const s = summarizePlan({
      resource_changes: [
        { address: "aws_vpc.a", type: "aws_vpc", change: { actions: ["no-op"], importing: { id: "vpc-1" } } },
        { address: "aws_vpc.b", type: "aws_vpc", change: { actions: ["forget"] } },
        { address: "data.aws_region.r", type: "aws_region", mode: "data", change: { actions: ["read"] } },
      ],
      resource_drift: [{ address: "aws_ecs_service.x", type: "aws_ecs_service", change: { actions: ["update"] } }],
    });
    expect([s.imports, s.forget, s.add, s.change, s.destroy, s.drifted, s.empty]).toEqual([1, 1, 0, 0, 0, 1, false]);
    expect(countsLine(s)).toBe("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy, 1 to forget.");
  });

  it("refuses actions it does not know rather than miscount them", () => {
    expect(kindOf(["create", "delete"])).toBe("replace");
    expect(() => kindOf(["delete", "update"])).toThrow(/unknown plan actions \["delete","update"\]/);
  });
});

describe("renderMarkdown", () => {
  const md = (s: Scenario, o: { limit?: number } = {}) => renderMarkdown(summary(s), { stack: "aws-honeynet", planText: text(s), context: "commit 0123abc", ...o });

  it("starts with the marker the workflow finds the comment by, then the counts and where it ran", () => {
    const lines = md("replace").split("\n");
    expect(lines[0]).toBe(commentMarker("aws-honeynet"));
    expect(commentMarker("aws-honeynet")).toBe("<!-- lure-plan: aws-honeynet -->");
    expect(lines[1]).toBe("### `aws-honeynet`: Plan: 1 to add, 1 to change, 1 to destroy.");
    expect(lines[2]).toBe(`<sub>commit 0123abc · Terraform ${plan("replace").terraform_version}</sub>`);
  });

  it("replace: the table of what to read first comes before the folded rest and the full plan", () => {
    const m = md("replace");
    const row = `| ⚠️ replace | \`${TASK}\` | \`container_definitions\` changed | its service starts new tasks: a honeypot task gets a new public IP |`;
    expect(m).toContain(row);
    expect(m.indexOf(row)).toBeLessThan(m.indexOf("<details><summary>Created or updated in place (1)</summary>"));
    expect(m).toContain(`**update in place** (1)\n\n- \`${SERVICE}\``);
    expect(m.indexOf("<details><summary>Full plan</summary>")).toBeGreaterThan(m.indexOf(SERVICE));
    // The plan as Terraform printed it, whole, in a fence longer than any backtick run inside it.
    expect(m).toContain(text("replace").trimEnd());
    expect(m).toContain('~ image                  = "ghcr.io/telekom-security/cowrie:24.04.1" -> "ghcr.io/telekom-security/cowrie:24.04.2"');
    expect(m).not.toContain("plan is");
  });

  it("destroy: every resource in the table, the lost logs among the first rows", () => {
    const rows = md("destroy").split("\n").filter((l) => /^\| (⚠️ )?destroy \|/.test(l));
    expect(rows).toHaveLength(RESOURCES);
    const efsRow = rows.findIndex((r) => r.includes(EFS));
    expect(rows[efsRow]).toBe(`| ⚠️ destroy | \`${EFS}\` |  | the honeypots' logs on it are lost |`);
    expect(efsRow).toBeLessThan(6);
    expect(rows.slice(6).every((r) => r.startsWith("| destroy |"))).toBe(true);
  });

  it("no changes: says so and lists nothing", () => {
    const m = md("no-changes");
    expect(m).toContain("### `aws-honeynet`: No changes.");
    expect(m).toContain("The infrastructure matches the configuration: applying this plan changes nothing.");
    expect(m).not.toContain("read these first");
    expect(m).not.toContain("Created or updated");
  });

  it("create: nothing to read first, the creations folded", () => {
    const m = md("create");
    expect(m).not.toContain("read these first");
    expect(m).toContain(`<details><summary>Created or updated in place (${RESOURCES})</summary>`);
    expect(m).toContain("Outputs that change: `cluster_name`.");
  });

  it("cuts the full plan to fit GitHub's comment limit and says where the rest is", () => {
    const limit = 8_000;
    const m = md("destroy", { limit });
    expect(text("destroy").length).toBeGreaterThan(limit);
    expect(m.length).toBeLessThanOrEqual(limit);
    expect(m).toMatch(/_The plan is [\d,]+ characters; the first [\d,]+ are shown\. Run `npm run plan -- aws-honeynet` for all of it\._/);
    expect(m.trimEnd().endsWith("</details>")).toBe(true);
    // The default limit is under GitHub's 65,536 and fits every recorded plan whole.
    expect(COMMENT_LIMIT).toBeLessThan(65_536);
    for (const s of SCENARIOS) expect(md(s, {})).not.toContain("characters; the first");
  });

  it("a plan text with backtick runs gets a longer fence", () => {
    const m = renderMarkdown(summary("update"), { stack: "s", planText: "a ``` b" });
    expect(m).toContain("````\na ``` b\n````");
  });
});

describe("renderText and renderFailure", () => {
  it("the terminal summary says the same as the comment", () => {
    expect(renderText(summary("replace"), "aws-honeynet")).toBe([
      "aws-honeynet: Plan: 1 to add, 1 to change, 1 to destroy.",
      "  Replaced or destroyed (read these first):",
      `    ! replace ${TASK} (container_definitions changed): its service starts new tasks: a honeypot task gets a new public IP`,
      "  Also: 1 to update in place.",
    ].join("\n"));
    expect(renderText(summary("no-changes"), "aws-honeynet")).toBe("aws-honeynet: No changes.\n  The infrastructure matches the configuration.");
    const destroy = renderText(summary("destroy"), "aws-honeynet").split("\n");
    expect(destroy.filter((l) => l.startsWith("    ! destroy"))).toHaveLength(6);
    expect(destroy).toContain(`    ! destroy ${EFS}: the honeypots' logs on it are lost`);
  });

  it("a failed plan keeps the marker, so the next push replaces it, and shows the error open", () => {
    const f = renderFailure("gcp-honeynet", "Error: No credentials", "commit 0123abc");
    expect(f.split("\n").slice(0, 3)).toEqual([commentMarker("gcp-honeynet"), "### `gcp-honeynet`: the plan failed", "<sub>commit 0123abc</sub>"]);
    expect(f).toContain("<details open><summary>Error</summary>\n\n```\nError: No credentials\n```");
    const long = renderFailure("s", "x".repeat(100_000), undefined, 5_000);
    expect(long.length).toBeLessThanOrEqual(5_000);
    expect(long).toContain("x\n…");
  });
});

