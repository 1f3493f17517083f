/**
 * What a reviewer reads about a `terraform plan`: the counts Terraform prints, the resources it would
 * replace or destroy (with what that costs a honeynet: a new public IP, lost logs) first, then the
 * rest, and the full plan folded. Built from `terraform show -json <planfile>`, so `npm run plan` on a
 * laptop and the comment on a pull request are the same text from the same code.
 */

/** The parts of `terraform show -json` (plan format 1.x) read here. */
export interface PlanJson {
  readonly format_version?: string;
  readonly terraform_version?: string;
  readonly resource_changes?: readonly ResourceChange[];
  readonly resource_drift?: readonly ResourceChange[];
  readonly output_changes?: Readonly<Record<string, { readonly actions: readonly string[] }>>;
  readonly errored?: boolean;
}

export interface ResourceChange {
  readonly address: string;
  readonly mode?: string;
  readonly type: string;
  readonly name?: string;
  readonly action_reason?: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly replace_paths?: readonly (readonly (string | number)[])[];
    readonly importing?: unknown;
  };
}

export type ChangeKind = "create" | "update" | "replace" | "delete" | "read" | "forget" | "no-op";

export interface Change {
  readonly address: string;
  readonly type: string;
  readonly kind: ChangeKind;
  /** Why Terraform replaces or deletes it, in words; the attributes that force a replacement. */
  readonly why?: string;
  /** What the change costs, for the types where a reviewer must know (see {@link CONSEQUENCES}). */
  readonly consequence?: string;
}

export interface PlanSummary {
  /** Terraform's own counts ("Plan: 1 to add, 2 to change, 1 to destroy"): a replacement is one add and one destroy. */
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly imports: number;
  readonly forget: number;
  /** Replacements and deletions, the ones with a consequence first: what a reviewer reads first. */
  readonly attention: readonly Change[];
  /** Creations and in-place updates. */
  readonly others: readonly Change[];
  /** Resources that changed outside Terraform since the last apply (lure's functions do, under ignore_changes). */
  readonly drifted: number;
  readonly outputsChanged: readonly string[];
  readonly empty: boolean;
  readonly terraformVersion?: string;
}

/**
 * What replacing or destroying a resource of a type means for lure's users. Replacing a honeypot's
 * task, VM or address gives it a new public IP: the Watcher's history for the old one ends, and
 * scanners' indexes start over. Destroying storage loses what it holds.
 */
export const CONSEQUENCES: Readonly<Record<string, { replace?: string; delete: string }>> = {
  // AWS
  aws_ecs_task_definition: { replace: "its service starts new tasks: a honeypot task gets a new public IP", delete: "the service loses its task definition" },
  aws_ecs_service: { replace: "its tasks stop and start again: a honeypot gets a new public IP", delete: "the honeypot or service stops" },
  aws_eip: { replace: "a new address", delete: "the address is released for good" },
  aws_efs_file_system: { delete: "the honeypots' logs on it are lost" },
  aws_efs_access_point: { delete: "a honeypot's log folder is no longer mounted" },
  aws_s3_bucket: { delete: "its objects (Watcher results, flow logs) are lost" },
  aws_dynamodb_table: { delete: "its items (Quarantine state) are lost" },
  aws_cloudwatch_log_group: { delete: "its logs are lost" },
  aws_lb: { replace: "a new DNS name for the dashboard or service", delete: "the dashboard or service is unreachable" },
  // Azure
  azurerm_linux_virtual_machine: { replace: "the honeypot VM is rebuilt from cloud-init: logs not yet shipped are lost", delete: "the honeypot stops" },
  azurerm_public_ip: { replace: "a new public IP", delete: "the public IP is released for good" },
  azurerm_managed_disk: { delete: "its data (Elasticsearch indices) is lost" },
  azurerm_storage_account: { delete: "its blobs, queues and tables (Watcher results, state) are lost" },
  azurerm_storage_container: { delete: "its blobs are lost" },
  azurerm_log_analytics_workspace: { delete: "its logs are lost" },
  // Google Cloud
  google_compute_instance: { replace: "the honeypot VM is rebuilt from cloud-init: logs not yet shipped are lost", delete: "the honeypot stops" },
  google_compute_address: { replace: "a new public IP", delete: "the address is released for good" },
  google_compute_disk: { delete: "its data (Elasticsearch indices) is lost" },
  google_storage_bucket: { delete: "its objects (Watcher results) are lost" },
  google_firestore_database: { delete: "its documents (Quarantine state) are lost" },
};

const REASONS: Readonly<Record<string, string>> = {
  replace_because_tainted: "tainted",
  replace_because_cannot_update: "cannot be updated in place",
  replace_by_request: "replacement requested (-replace)",
  replace_by_triggers: "replace_triggered_by",
  delete_because_no_resource_config: "no longer in the configuration",
  delete_because_no_module: "its module is no longer in the configuration",
  delete_because_wrong_repetition: "count/for_each changed",
  delete_because_count_index: "its count index is gone",
  delete_because_each_key: "its for_each key is gone",
  delete_because_no_move_target: "its moved target is gone",
};

export function kindOf(actions: readonly string[]): ChangeKind {
  const a = actions.join(",");
  if (a === "delete,create" || a === "create,delete") return "replace";
  if (a === "create" || a === "update" || a === "delete" || a === "read" || a === "forget" || a === "no-op") return a;
  throw new Error(`unknown plan actions ${JSON.stringify(actions)}`);
}

const path = (p: readonly (string | number)[]) => p.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");

function describe(rc: ResourceChange, kind: ChangeKind): Change {
  const forcing = (rc.change.replace_paths ?? []).map(path);
  const reason = rc.action_reason ? REASONS[rc.action_reason] ?? rc.action_reason : undefined;
  // Attributes that force it say more than "cannot be updated"; a taint, -replace or trigger is the reason itself.
  const why = kind === "replace" && forcing.length > 0 && (!rc.action_reason || rc.action_reason === "replace_because_cannot_update")
    ? `${forcing.map((f) => `\`${f}\``).join(", ")} changed`
    : reason;
  const c = CONSEQUENCES[rc.type];
  // A replacement destroys first: storage replaced loses its data as surely as storage destroyed.
  const consequence = kind === "replace" ? c?.replace ?? c?.delete : kind === "delete" ? c?.delete : undefined;
  return { address: rc.address, type: rc.type, kind, ...(why ? { why } : {}), ...(consequence ? { consequence } : {}) };
}

export function summarizePlan(plan: PlanJson): PlanSummary {
  let add = 0, change = 0, destroy = 0, imports = 0, forget = 0;
  const attention: Change[] = [];
  const others: Change[] = [];
  for (const rc of plan.resource_changes ?? []) {
    const kind = kindOf(rc.change.actions);
    if (rc.change.importing) imports++;
    if (kind === "no-op" || kind === "read") continue;
    if (kind === "create" || kind === "replace") add++;
    if (kind === "update") change++;
    if (kind === "delete" || kind === "replace") destroy++;
    if (kind === "forget") forget++;
    (kind === "replace" || kind === "delete" || kind === "forget" ? attention : others).push(describe(rc, kind));
  }
  // Those with a consequence first, then by kind (deletions before replacements), then address.
  const rank = (c: Change) => (c.consequence ? 0 : 2) + (c.kind === "delete" ? 0 : 1);
  attention.sort((a, b) => rank(a) - rank(b) || a.address.localeCompare(b.address));
  others.sort((a, b) => a.kind.localeCompare(b.kind) || a.address.localeCompare(b.address));
  const outputsChanged = Object.entries(plan.output_changes ?? {}).filter(([, o]) => !o.actions.every((a) => a === "no-op")).map(([n]) => n).sort();
  const drifted = (plan.resource_drift ?? []).length;
  return {
    add, change, destroy, imports, forget, attention, others, drifted, outputsChanged,
    empty: add + change + destroy + imports + forget === 0 && outputsChanged.length === 0,
    ...(plan.terraform_version ? { terraformVersion: plan.terraform_version } : {}),
  };
}

/** Terraform's own line: "Plan: 2 to add, 1 to change, 1 to destroy." (with imports and forgets when there are any). */
export function countsLine(s: PlanSummary): string {
  if (s.empty) return "No changes.";
  const parts = [...(s.imports ? [`${s.imports} to import`] : []), `${s.add} to add`, `${s.change} to change`, `${s.destroy} to destroy`, ...(s.forget ? [`${s.forget} to forget`] : [])];
  return `Plan: ${parts.join(", ")}.`;
}

const VERB: Readonly<Record<ChangeKind, string>> = { create: "create", update: "update in place", replace: "replace", delete: "destroy", read: "read", forget: "forget", "no-op": "no change" };

/** The marker that finds a stack's comment again, so each push updates it instead of adding one. */
export const commentMarker = (stack: string): string => `<!-- lure-plan: ${stack} -->`;

/** GitHub refuses comments over 65,536 characters; the folded plan is cut to fit, and says so. */
export const COMMENT_LIMIT = 65_000;

const fence = (text: string) => {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const f = "`".repeat(longest + 1);
  return `${f}\n${text}\n${f}`;
};

export interface MarkdownOptions {
  readonly stack: string;
  /** `terraform show -no-color <planfile>`: folded at the end. */
  readonly planText?: string;
  /** Where the plan ran (a commit, "offline"), for the heading's last line. */
  readonly context?: string;
  readonly limit?: number;
}

/** The pull-request comment for one stack. */
export function renderMarkdown(s: PlanSummary, o: MarkdownOptions): string {
  const head = [commentMarker(o.stack), `### \`${o.stack}\`: ${countsLine(s)}`];
  if (o.context) head.push(`<sub>${o.context}${s.terraformVersion ? ` · Terraform ${s.terraformVersion}` : ""}</sub>`);
  const body: string[] = [];
  if (s.empty) body.push("The infrastructure matches the configuration: applying this plan changes nothing.");
  if (s.attention.length > 0) {
    body.push("**Replaced or destroyed: read these first.**", "", "| | Resource | Why | What it means |", "|---|---|---|---|");
    for (const c of s.attention) body.push(`| ${c.consequence ? "⚠️ " : ""}${VERB[c.kind]} | \`${c.address}\` | ${c.why ?? ""} | ${c.consequence ?? ""} |`);
  }
  if (s.others.length > 0) {
    const byKind = (k: ChangeKind) => s.others.filter((c) => c.kind === k);
    const lines = (["create", "update"] as const).flatMap((k) => byKind(k).length ? [`**${VERB[k]}** (${byKind(k).length})`, "", ...byKind(k).map((c) => `- \`${c.address}\``), ""] : []);
    body.push("", `<details><summary>Created or updated in place (${s.others.length})</summary>`, "", ...lines, "</details>");
  }
  if (s.outputsChanged.length > 0) body.push("", `Outputs that change: ${s.outputsChanged.map((n) => `\`${n}\``).join(", ")}.`);
  if (s.drifted > 0) body.push("", `${s.drifted} resource(s) changed outside Terraform since the last apply (lure's functions change some under \`ignore_changes\`); see the full plan.`);
  const text = [...head, "", ...body].join("\n");
  if (!o.planText) return text;
  const limit = o.limit ?? COMMENT_LIMIT;
  const open = "\n\n<details><summary>Full plan</summary>\n\n";
  const close = "\n</details>\n";
  const room = limit - text.length - open.length - close.length - 200;
  let plan = o.planText.trimEnd();
  let cut = "";
  if (plan.length > room) {
    plan = plan.slice(0, Math.max(0, room));
    cut = `\n\n_The plan is ${o.planText.length.toLocaleString("en")} characters; the first ${plan.length.toLocaleString("en")} are shown. Run \`npm run plan -- ${o.stack}\` for all of it._\n`;
  }
  return `${text}${open}${fence(plan)}\n${cut}${close}`;
}

/** The same summary for a terminal. */
export function renderText(s: PlanSummary, stack: string): string {
  const out = [`${stack}: ${countsLine(s)}`];
  if (s.empty) out.push("  The infrastructure matches the configuration.");
  if (s.attention.length > 0) {
    out.push("  Replaced or destroyed (read these first):");
    for (const c of s.attention) out.push(`    ${c.consequence ? "!" : "-"} ${VERB[c.kind]} ${c.address}${c.why ? ` (${c.why.replace(/`/g, "")})` : ""}${c.consequence ? `: ${c.consequence}` : ""}`);
  }
  const n = (k: ChangeKind) => s.others.filter((c) => c.kind === k).length;
  const also = [...(n("create") ? [`${n("create")} to create`] : []), ...(n("update") ? [`${n("update")} to update in place`] : [])];
  if (also.length > 0) out.push(`  Also: ${also.join(", ")}.`);
  if (s.outputsChanged.length > 0) out.push(`  Outputs that change: ${s.outputsChanged.join(", ")}.`);
  if (s.drifted > 0) out.push(`  ${s.drifted} resource(s) changed outside Terraform since the last apply.`);
  return out.join("\n");
}

/** The comment when the plan could not be made: the marker, so the next push replaces it, and the error folded. */
export function renderFailure(stack: string, error: string, context?: string, limit = COMMENT_LIMIT): string {
  const head = [commentMarker(stack), `### \`${stack}\`: the plan failed`, ...(context ? [`<sub>${context}</sub>`] : [])].join("\n");
  const room = limit - head.length - 200;
  const shown = error.length > room ? `${error.slice(0, room)}\n…` : error;
  return `${head}\n\nNothing was planned:\n\n<details open><summary>Error</summary>\n\n${fence(shown.trimEnd())}\n</details>\n`;
}
