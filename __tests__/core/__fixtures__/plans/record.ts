/**
 * Records the `terraform show -json` and `terraform show` outputs that the plan-summary tests read, from
 * a real `terraform plan` of a slice of the default config's `aws-honeynet`: the cowrie honeypot
 * (service, task definition, security group and rules, its log access points), the shared EFS file
 * system, the log group and everything those refer to, planned offline (modules/core/plan/offline.ts).
 *
 *     npx tsx __tests__/core/__fixtures__/plans/record.ts
 *
 * No AWS means no apply, so the state that "exists" is made up: the create plan's known values, with
 * each value known only after apply filled in by type (`recorded-…` strings, ARNs of the offline
 * account, zeros), re-planned with `-refresh=false` until Terraform sees nothing to do. Then:
 * - `create`: an empty state;
 * - `no-changes`: that state, the same config;
 * - `update`: the log group's retention changed (updated in place);
 * - `replace`: cowrie's image changed (the task definition is replaced, the service updated: new tasks, a new IP);
 * - `destroy`: `plan -destroy` of that state.
 * Each is written as `<scenario>.json` (show -json, with the sections the summary never reads —
 * configuration, planned and prior values, each change's before and after — dropped to keep the files
small; the values are in the text) and `<scenario>.txt`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { terraform } from "../../../../modules/core/cli/plan";
import { mirrorOf, mirrorRc, mirroredAws, offlineAwsStack, OFFLINE_ACCOUNT, startAwsStandIn } from "../../../../modules/core/plan/offline";
import { offlineEnv } from "../../../../modules/core/cli/plan";
import { synthAwsHoneynet, type Json } from "../../../helpers/synth";

const HERE = __dirname;
export const ROOTS = [
  "aws_ecs_service.Honeynet_Honeypot-cowrie_Service_9E967BA6",
  "aws_vpc_security_group_ingress_rule.Honeynet_Honeypot-cowrie_Ingress-22-tcp-0-0-0-0-0_8257011A",
  "aws_vpc_security_group_ingress_rule.Honeynet_Honeypot-cowrie_Ingress-23-tcp-0-0-0-0-0_1D56CA99",
  "aws_efs_file_system.Honeynet_FileSystem_ADE1C2BC",
  "aws_cloudwatch_log_group.Honeynet_LogGroup_9355EB52",
];
const LOG_GROUP = "Honeynet_LogGroup_9355EB52";
const TASK = "Honeynet_Honeypot-cowrie_TaskDefinition_6DA465E8";

/** The roots and every block they refer to (references and depends_on), with the cluster's output. */
export function slice(stack: Json, roots: readonly string[]): Json {
  const want = new Set<string>(roots);
  const todo = [...roots];
  const blockOf = (address: string): Json | undefined => {
    const [first, ...rest] = address.split(".");
    return first === "data" ? stack.data?.[rest[0]]?.[rest[1]] : stack.resource?.[first]?.[rest[0]];
  };
  while (todo.length > 0) {
    const body = blockOf(todo.pop()!);
    if (!body) continue;
    const text = JSON.stringify(body);
    const found = [...text.matchAll(/(?<![\w.])(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)/g)].map((m) => `${m[1] ?? ""}${m[2]}.${m[3]}`);
    for (const a of [...found, ...((body.depends_on ?? []) as string[])]) {
      if (!want.has(a) && blockOf(a)) {
        want.add(a);
        todo.push(a);
      }
    }
  }
  const out: Json = { terraform: stack.terraform, provider: stack.provider, resource: {}, data: {}, output: { cluster_name: stack.output.cluster_name } };
  for (const a of [...want].sort()) {
    const [first, ...rest] = a.split(".");
    const [group, type, name] = first === "data" ? ["data", rest[0], rest[1]] : ["resource", first, rest[0]];
    (out[group][type] ??= {})[name] = blockOf(a);
  }
  return out;
}

type CtyType = string | [string, unknown];
interface Block {
  attributes?: Record<string, { type?: CtyType; computed?: boolean }>;
  block_types?: Record<string, { nesting_mode: string; block: Block }>;
}

/** A value for something known only after apply: one per type, recognisable in the recorded plans. */
function fake(type: CtyType, resource: string, name: string): unknown {
  const who = resource.split(".")[1].replace(/_[0-9A-F]{8}$/, "");
  const service = resource.split("_")[1];
  if (type === "number") return 0;
  if (type === "bool") return false;
  if (type === "string") {
    if (name === "arn" || name.endsWith("_arn")) return `arn:aws:${service}:eu-west-2:${OFFLINE_ACCOUNT}:${resource.split(".")[0].replace(/^aws_/, "")}/${who}`;
    return `recorded-${who}-${name}`;
  }
  const [kind, inner] = type as [string, unknown];
  if (kind === "list" || kind === "set") return [];
  if (kind === "map") return {};
  if (kind === "object") return Object.fromEntries(Object.entries(inner as Record<string, CtyType>).map(([k, t]) => [k, fake(t, resource, k)]));
  return null;
}

/** `after` with its unknowns filled: from `prior` where it has the value, else {@link fake}. */
function fill(after: Json | null, unknown: Json | true | undefined, block: Block, resource: string, prior?: Json): Json {
  const out: Json = {};
  for (const [k, a] of Object.entries(block.attributes ?? {})) {
    const u = unknown === true ? true : unknown?.[k];
    if (u === true) out[k] = prior?.[k] ?? fake(a.type ?? "string", resource, k);
    else out[k] = fillValue(after?.[k] ?? null, u, a.type ?? "string", resource, k, prior?.[k]);
  }
  for (const [k, b] of Object.entries(block.block_types ?? {})) {
    const v = after?.[k];
    const u = unknown === true ? undefined : unknown?.[k];
    if (b.nesting_mode === "single" || b.nesting_mode === "group") out[k] = v == null ? null : fill(v, u, b.block, resource, prior?.[k]);
    else out[k] = ((v ?? []) as Json[]).map((e, i) => fill(e, Array.isArray(u) ? u[i] : undefined, b.block, resource, prior?.[k]?.[i]));
  }
  return out;
}

function fillValue(v: unknown, u: unknown, type: CtyType, resource: string, name: string, prior: unknown): unknown {
  if (u === undefined || u === false || typeof type === "string") return v;
  const [kind, inner] = type as [string, unknown];
  if ((kind === "list" || kind === "set") && Array.isArray(v)) return v.map((e, i) => (Array.isArray(u) && u[i] === true ? fake(inner as CtyType, resource, name) : fillValue(e, Array.isArray(u) ? u[i] : undefined, inner as CtyType, resource, name, undefined)));
  if (kind === "object" && v && typeof v === "object") {
    return Object.fromEntries(Object.entries(inner as Record<string, CtyType>).map(([k, t]) => [k, (u as Json)[k] === true ? (prior as Json | undefined)?.[k] ?? fake(t, resource, k) : fillValue((v as Json)[k], (u as Json)[k], t, resource, k, (prior as Json | undefined)?.[k])]));
  }
  return v;
}

interface Plan { json: Json; text: string }

async function main(): Promise<void> {
  const version = mirroredAws(mirrorOf(process.env));
  if (!version) throw new Error("no hashicorp/aws in the mirror: set LURE_TF_MIRROR");
  const standIn = await startAwsStandIn();
  const dir = mkdtempSync(join(tmpdir(), "lure-record-"));
  const env = offlineEnv(process.env, join(dir, "terraformrc"));
  writeFileSync(join(dir, "terraformrc"), mirrorRc(mirrorOf(process.env)));
  const tf = async (...args: string[]) => {
    const r = await terraform(args, dir, env);
    if (r.code !== 0) throw new Error(`terraform ${args.join(" ")}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  try {
    const base = offlineAwsStack(slice(synthAwsHoneynet(), ROOTS), version, standIn.url);
    const writeConfig = (change: (c: Json) => void = () => {}) => {
      const c = structuredClone(base);
      change(c);
      writeFileSync(join(dir, "main.tf.json"), JSON.stringify(c, null, 1));
    };
    const plan = async (...extra: string[]): Promise<Plan> => {
      await tf("plan", "-input=false", "-no-color", "-refresh=false", "-out=p.tfplan", ...extra);
      return { json: JSON.parse(await tf("show", "-json", "p.tfplan")) as Json, text: await tf("show", "-no-color", "p.tfplan") };
    };
    writeConfig();
    await tf("init", "-input=false", "-no-color");
    const schemas = (JSON.parse(await tf("providers", "schema", "-json")) as Json).provider_schemas["registry.terraform.io/hashicorp/aws"].resource_schemas as Record<string, { version: number; block: Block }>;

    const create = await plan();
    const state = new Map<string, { type: string; name: string; attributes: Json }>();
    const absorb = (p: Plan) => {
      for (const rc of (p.json.resource_changes ?? []) as Json[]) {
        if (rc.mode !== "managed" || rc.change.actions.every((a: string) => a === "no-op")) continue;
        const prior = state.get(rc.address)?.attributes;
        state.set(rc.address, { type: rc.type, name: rc.name, attributes: fill(rc.change.after, rc.change.after_unknown, schemas[rc.type].block, rc.address, prior) });
      }
    };
    const writeState = (serial: number) => writeFileSync(join(dir, "terraform.tfstate"), JSON.stringify({
      version: 4, terraform_version: create.json.terraform_version, serial, lineage: "6c7572652d-7265-636f-7264-656400000000",
      // The outputs as the last apply left them, so that only resources differ.
      outputs: Object.fromEntries(Object.entries((create.json.output_changes ?? {}) as Record<string, Json>).map(([k, o]) => [k, { value: o.after, type: typeof o.after }])),
      resources: [...state.values()].map((r) => ({
        mode: "managed", type: r.type, name: r.name, provider: 'provider["registry.terraform.io/hashicorp/aws"]',
        instances: [{ schema_version: schemas[r.type].version, attributes: r.attributes, sensitive_attributes: [] }],
      })),
    }, null, 1));
    absorb(create);
    let settled: Plan | undefined;
    for (let round = 1; round <= 8 && !settled; round++) {
      writeState(round);
      const p = await plan();
      const pending = ((p.json.resource_changes ?? []) as Json[]).filter((rc) => rc.mode === "managed" && !rc.change.actions.every((a: string) => a === "no-op"));
      console.log(`round ${round}: ${pending.length} resource(s) still changing${pending.length ? `: ${pending.map((rc) => `${rc.address} ${rc.change.actions.join("/")}`).join(", ")}` : ""}`);
      if (pending.length === 0) settled = p;
      else absorb(p);
    }
    if (!settled) throw new Error("the made-up state did not settle in 8 rounds");

    writeConfig((c) => (c.resource.aws_cloudwatch_log_group[LOG_GROUP].retention_in_days = 365));
    const update = await plan();
    writeConfig((c) => {
      const td = c.resource.aws_ecs_task_definition[TASK];
      if (!String(td.container_definitions).includes("cowrie:24.04.1")) throw new Error("cowrie's image is no longer 24.04.1: update the recorder");
      td.container_definitions = String(td.container_definitions).replace("cowrie:24.04.1", "cowrie:24.04.2");
    });
    const replace = await plan();
    writeConfig();
    const destroy = await plan("-destroy");

    for (const [name, p] of Object.entries({ create, "no-changes": settled, update, replace, destroy })) {
      const { configuration, planned_values, prior_state, relevant_attributes, ...kept } = p.json; // eslint-disable-line @typescript-eslint/no-unused-vars
      kept.resource_changes = (kept.resource_changes as Json[]).map(({ change: { before, after, after_unknown, before_sensitive, after_sensitive, ...change }, ...rc }) => ({ ...rc, change })); // eslint-disable-line @typescript-eslint/no-unused-vars
      writeFileSync(join(HERE, `${name}.json`), `${JSON.stringify(kept, null, 1)}\n`);
      writeFileSync(join(HERE, `${name}.txt`), p.text);
      console.log(`${name}: ${(p.json.resource_changes ?? []).length} resource change(s)`);
    }
    console.log(`stand-in calls: ${[...new Set(standIn.calls)].join(", ")}`);
  } finally {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
