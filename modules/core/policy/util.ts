/**
 * Small helpers shared by the policy rules: reading resources, references, nested blocks, tags and
 * IAM policy documents out of a synthesized cdktf stack. All functions are pure and never throw on
 * unexpected shapes: they return `undefined` / empty results (or a failed {@link PolicyRead}) instead.
 */
import { isDomainScoped } from "../../../functions/core/gcp-project";
import { LABEL_KEYS } from "../labels";
import { TAG_KEYS } from "../naming";
import type { Attributes, SynthesizedStack } from "./types";

/** Tag that says which part of lure a resource belongs to (`honeypot`, `dashboard`...). */
export const COMPONENT_TAG = TAG_KEYS.component;

/** One resource or data source of a synthesized stack. */
export interface StackBlock {
  /** Terraform type, e.g. `aws_security_group`. */
  readonly type: string;
  /** Logical name, e.g. `Honeynet_Kibana_SG_1A2B`. */
  readonly name: string;
  /** Terraform address: `aws_security_group.Honeynet_Kibana_SG_1A2B` or `data.aws_iam_policy_document.X`. */
  readonly address: string;
  /** The block's arguments. */
  readonly body: Attributes;
}

/** A reference to another block's attribute found in a string, e.g. `${aws_iam_role.Foo_12AB.arn}`. */
export interface Reference {
  /** `data` for `${data.<type>.<name>...}`, otherwise `resource`. */
  readonly kind: "resource" | "data";
  /** Terraform type, e.g. `aws_iam_role`. */
  readonly type: string;
  /** Logical name, e.g. `Foo_12AB`. */
  readonly name: string;
  /** Attribute read, e.g. `arn`; absent for a bare reference or a splat. */
  readonly attr?: string;
  /** Address of the referenced block: `aws_iam_role.Foo_12AB` or `data.aws_iam_policy_document.X`. */
  readonly address: string;
}

/** True for a plain (non-array) object. */
export function isRecord(value: unknown): value is Attributes {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every block of a kind (`resource` or `data`) and type, in the stack's order. */
function blocksOf(stack: SynthesizedStack, kind: "resource" | "data", type: string): StackBlock[] {
  const byName: unknown = kind === "resource" ? stack.resource?.[type] : stack.data?.[type];
  if (!isRecord(byName)) return [];
  const prefix = kind === "data" ? "data." : "";
  return Object.entries(byName)
    .filter((entry): entry is [string, Attributes] => isRecord(entry[1]))
    .map(([name, body]) => ({ type, name, address: `${prefix}${type}.${name}`, body }));
}

/** Every resource of `type` (e.g. `aws_security_group`) in the stack. */
export function resourcesOf(stack: SynthesizedStack, type: string): StackBlock[] {
  return blocksOf(stack, "resource", type);
}

/** Every data source of `type` (e.g. `aws_iam_policy_document`) in the stack. */
export function dataSourcesOf(stack: SynthesizedStack, type: string): StackBlock[] {
  return blocksOf(stack, "data", type);
}

/** The block a reference points at, when the stack defines it. */
export function findBlock(stack: SynthesizedStack, ref: Reference): StackBlock | undefined {
  return blocksOf(stack, ref.kind, ref.type).find((b) => b.name === ref.name);
}

/**
 * Where the `${...}` interpolation whose expression starts at `start` (just after `${`) ends: the index
 * of its closing brace, skipping braces inside quoted strings; -1 when it is not closed.
 */
export function interpolationEnd(text: string, start: number): number {
  let depth = 1;
  let inString = false;
  for (let j = start; j < text.length; j++) {
    const c = text[j];
    if (inString) {
      if (c === "\\") j++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return j;
  }
  return -1;
}

/** The expressions inside every `${...}` of `text` (`$${` is a literal and is skipped). */
function interpolations(text: string): string[] {
  const found: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i)) {
      i += 3;
    } else if (text.startsWith("${", i)) {
      const end = interpolationEnd(text, i + 2);
      // An unclosed one runs to the end of the text.
      found.push(text.slice(i + 2, end === -1 ? text.length : end));
      i = end === -1 ? text.length : end + 1;
    } else {
      i++;
    }
  }
  return found;
}

// `(data.)<type>.<name>([index])(.<attr>)`; a type has an underscore (`aws_lb`), which rules out
// `var.x`, `local.x`, `each.value`, `count.index`, `module.x`; the look-behind rules out `a.b_c.d`.
const REFERENCE = /(?<![\w.-])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]*)\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?(?:\.([A-Za-z_]\w*))?/g;

/**
 * Every reference to a resource or data source in `value`: a string such as `${aws_lb.X.arn}` or
 * `arn:${data.aws_partition.p.partition}:...:${aws_efs_access_point.A.id}`, or an array / object
 * of such strings (walked deeply). Plain literals yield no references.
 */
export function parseReferences(value: unknown): Reference[] {
  if (Array.isArray(value)) return value.flatMap(parseReferences);
  if (isRecord(value)) return Object.values(value).flatMap(parseReferences);
  if (typeof value !== "string") return [];
  const refs: Reference[] = [];
  for (const expression of interpolations(value)) {
    for (const m of expression.matchAll(REFERENCE)) {
      const kind = m[1] ? "data" : "resource";
      const type = m[2] as string;
      const name = m[3] as string;
      const address = `${kind === "data" ? "data." : ""}${type}.${name}`;
      refs.push(m[4] === undefined ? { kind, type, name, address } : { kind, type, name, attr: m[4], address });
    }
  }
  return refs;
}

/** True when `value` references the resource `<type>.<name>` (any attribute). */
export function refersTo(value: unknown, type: string, name: string): boolean {
  return parseReferences(value).some((r) => r.kind === "resource" && r.type === type && r.name === name);
}

/**
 * A "single nested block" as cdktf emits it: either the object itself or a one-element array
 * holding it. `undefined` when absent or not an object.
 */
export function singleBlock(value: unknown): Attributes | undefined {
  if (isRecord(value)) return value;
  if (Array.isArray(value) && isRecord(value[0])) return value[0];
  return undefined;
}

/** A repeated nested block (`ingress`, `volume`, `rule`...) as a list; a lone object counts as one. */
export function blockList(value: unknown): Attributes[] {
  if (Array.isArray(value)) return value.filter(isRecord);
  if (isRecord(value)) return [value];
  return [];
}

/** True when the nested block `key` of `parent` is set (`allow: {}` or `allow: [{}]`). */
export function hasBlock(parent: Attributes | undefined, key: string): boolean {
  const value = parent?.[key];
  return isRecord(value) || (Array.isArray(value) && value.length > 0);
}

/** A whole number from a number or a numeric string; `undefined` for tokens and other values. */
export function asInteger(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) return Number(value);
  return undefined;
}

/** A string or a list of strings as a list (other items dropped); `undefined` when neither. */
export function asStringList(value: unknown): string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return undefined;
}

/** The `tags` map of a resource (string values only); empty when it has none or they are a token. */
export function tagsOf(body: Attributes): Record<string, string> {
  const tags = body["tags"];
  if (!isRecord(tags)) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) if (typeof value === "string") out[key] = value;
  return out;
}

/** True when the resource carries the tag `key` = `value`. */
export function hasTag(body: Attributes, key: string, value: string): boolean {
  return tagsOf(body)[key] === value;
}

/**
 * The lure component a resource belongs to (`honeypot`, `elastic`, `dashboard`...): its
 * `lure:component` tag (AWS, Azure) or, on Google Cloud, its `lure-component` label. Only the
 * resource's own `labels` count: the provider's `default_labels` never carry a component.
 * `undefined` when it has neither, or they are a token.
 */
export function componentOf(body: Attributes): string | undefined {
  const tag = tagsOf(body)[COMPONENT_TAG];
  if (tag !== undefined) return tag;
  const labels = body["labels"];
  const label = isRecord(labels) ? labels[LABEL_KEYS.component] : undefined;
  return typeof label === "string" ? label : undefined;
}

/** True when the resource is tagged `lure:component` = `component`. */
export function isComponent(body: Attributes, component: string): boolean {
  return hasTag(body, COMPONENT_TAG, component);
}

// ---------------------------------------------------------------------------------------------
// IAM policy documents
// ---------------------------------------------------------------------------------------------

/** Condition block of a statement: operator → condition key → values. */
export type ConditionMap = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

/** One IAM statement, normalised from policy JSON or from a `data.aws_iam_policy_document`. */
export interface PolicyStatement {
  /** Where the statement is, for messages: `Statement[1] (Sid "Logs")`. */
  readonly where: string;
  /** `Allow`, `Deny`, or whatever was written; `undefined` when missing. */
  readonly effect?: string;
  /** `Action` as a list; `undefined` when absent. */
  readonly actions?: readonly string[];
  /** `NotAction` as a list; `undefined` when absent. */
  readonly notActions?: readonly string[];
  /** `Resource` as a list; `undefined` when absent. */
  readonly resources?: readonly string[];
  /** `NotResource` as a list; `undefined` when absent. */
  readonly notResources?: readonly string[];
  /** `Condition`, values as strings. */
  readonly conditions: ConditionMap;
}

/** Result of reading a policy: its statements, or why it could not be read. */
export type PolicyRead =
  | { readonly ok: true; readonly statements: readonly PolicyStatement[] }
  | { readonly ok: false; readonly reason: string };

function describeStatement(prefix: string, index: number, sid: unknown): string {
  return `${prefix}Statement[${index}]${typeof sid === "string" && sid !== "" ? ` (Sid "${sid}")` : ""}`;
}

function stringValues(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list
    .filter((v) => typeof v === "string" || typeof v === "number" || typeof v === "boolean")
    .map((v) => String(v));
}

function jsonConditions(value: unknown): ConditionMap {
  if (!isRecord(value)) return {};
  const out: Record<string, Record<string, string[]>> = {};
  for (const [operator, keys] of Object.entries(value)) {
    if (!isRecord(keys)) continue;
    const byKey: Record<string, string[]> = {};
    for (const [key, values] of Object.entries(keys)) byKey[key] = stringValues(values);
    out[operator] = byKey;
  }
  return out;
}

/**
 * Reads an IAM policy document given as JSON text (the `policy` argument of `aws_iam_role_policy`,
 * `aws_iam_policy`, `inline_policy`). String values may hold `${...}` interpolations; `Statement`
 * may be an object or an array; `Action`, `Resource`, `NotAction`, `NotResource` a string or an array.
 */
export function parsePolicyJson(text: string, prefix = ""): PolicyRead {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, reason: "policy is not valid JSON" };
  }
  if (!isRecord(doc)) return { ok: false, reason: "policy JSON is not an object" };
  const raw = doc["Statement"];
  if (raw === undefined) return { ok: true, statements: [] };
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (!list.every(isRecord)) return { ok: false, reason: "policy Statement is not an object or a list of objects" };
  const statements = list.map((s: Attributes, index): PolicyStatement => {
    const effect = s["Effect"];
    return {
      where: describeStatement(prefix, index, s["Sid"]),
      ...(typeof effect === "string" ? { effect } : {}),
      ...optionalList("actions", s["Action"]),
      ...optionalList("notActions", s["NotAction"]),
      ...optionalList("resources", s["Resource"]),
      ...optionalList("notResources", s["NotResource"]),
      conditions: jsonConditions(s["Condition"]),
    };
  });
  return { ok: true, statements };
}

function optionalList<K extends string>(key: K, value: unknown): Partial<Record<K, string[]>> {
  const list = asStringList(value);
  return list === undefined ? {} : ({ [key]: list } as Partial<Record<K, string[]>>);
}

/** Statements of a `data.aws_iam_policy_document`, including its source and override documents. */
function readPolicyDocument(stack: SynthesizedStack, doc: StackBlock, depth: number): PolicyRead {
  const statements: PolicyStatement[] = [];
  for (const key of ["source_policy_documents", "override_policy_documents"]) {
    for (const nested of asStringList(doc.body[key]) ?? []) {
      const read = readPolicyValue(stack, nested, depth + 1);
      if (!read.ok) return { ok: false, reason: `${doc.address}.${key}: ${read.reason}` };
      statements.push(...read.statements);
    }
  }
  blockList(doc.body["statement"]).forEach((s, index) => {
    const conditions: Record<string, Record<string, string[]>> = {};
    for (const c of blockList(s["condition"])) {
      const test = c["test"];
      const variable = c["variable"];
      if (typeof test !== "string" || typeof variable !== "string") continue;
      const byKey = (conditions[test] ??= {});
      byKey[variable] = [...(byKey[variable] ?? []), ...stringValues(c["values"])];
    }
    const effect = s["effect"];
    statements.push({
      where: describeStatement(`${doc.address} `, index, s["sid"]),
      // The data source defaults `effect` to Allow.
      effect: typeof effect === "string" ? effect : "Allow",
      ...optionalList("actions", s["actions"]),
      ...optionalList("notActions", s["not_actions"]),
      ...optionalList("resources", s["resources"]),
      ...optionalList("notResources", s["not_resources"]),
      conditions,
    });
  });
  return { ok: true, statements };
}

function readPolicyValue(stack: SynthesizedStack, value: unknown, depth: number): PolicyRead {
  if (typeof value !== "string") return { ok: false, reason: "policy is not a string" };
  const text = value.trim();
  if (text.startsWith("{")) return parsePolicyJson(text);
  const refs = parseReferences(text);
  const ref = refs[0];
  const whole = /^\$\{[^{}]*\}$/.test(text);
  if (whole && refs.length === 1 && ref && ref.kind === "data" && ref.type === "aws_iam_policy_document") {
    if (depth > 8) return { ok: false, reason: `${ref.address} nests policy documents too deeply` };
    const doc = findBlock(stack, ref);
    if (!doc) return { ok: false, reason: `${ref.address} is not defined in the stack` };
    return readPolicyDocument(stack, doc, depth);
  }
  return {
    ok: false,
    reason: `policy ${JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text)} is neither JSON nor a reference to a data.aws_iam_policy_document, so it cannot be verified`,
  };
}

/**
 * Reads the statements of a `policy` argument: JSON text, or a whole-string reference to a
 * `data.aws_iam_policy_document` defined in the stack (`${data.aws_iam_policy_document.X.json}`),
 * whose `source_policy_documents` / `override_policy_documents` are read too (their statements are
 * all returned, which is conservative for overrides). Anything else cannot be verified and fails.
 */
export function readPolicy(stack: SynthesizedStack, value: unknown): PolicyRead {
  return readPolicyValue(stack, value, 0);
}

/**
 * The values of condition `key` under `operator` (e.g. `StringEquals` /
 * `elasticfilesystem:AccessPointArn`); the key is matched case-insensitively, as IAM does.
 */
export function conditionValues(statement: PolicyStatement, operator: string, key: string): readonly string[] | undefined {
  const byKey = statement.conditions[operator];
  if (!byKey) return undefined;
  const wanted = key.toLowerCase();
  const found = Object.entries(byKey).filter(([k]) => k.toLowerCase() === wanted);
  return found.length === 0 ? undefined : found.flatMap(([, values]) => values);
}

/** A policy argument to check, with the resource it belongs to. */
export interface PolicySource {
  /** Address of the resource that holds the policy (`aws_iam_role_policy.X`, or the role for `inline_policy`). */
  readonly address: string;
  /** Where the policy sits on that resource, for messages: `policy` or `inline_policy "name"`. */
  readonly label: string;
  /** The raw `policy` value. */
  readonly policy: unknown;
}

/**
 * The `inline_policy` blocks of an `aws_iam_role`, as policy sources. A block without `policy`
 * (the empty block that tells Terraform to remove inline policies) grants nothing and is skipped.
 */
export function inlinePolicies(role: StackBlock): PolicySource[] {
  const blocks = blockList(role.body["inline_policy"]);
  return blocks.flatMap((p, index) => {
    if (p["policy"] === undefined || p["policy"] === null) return [];
    const name = p["name"];
    return [
      {
        address: role.address,
        label: `inline_policy ${typeof name === "string" ? JSON.stringify(name) : `[${index}]`}`,
        policy: p["policy"],
      },
    ];
  });
}

/** One binding of a Google Cloud IAM policy: a role and its members. */
export interface IamBinding {
  readonly role: string;
  readonly members: readonly string[];
}

/**
 * The bindings of a `google_*_iam_policy`'s `policy_data`: JSON text (`{"bindings": [...]}`), or a
 * whole reference to a `data.google_iam_policy` of the stack (its `binding` blocks). Empty when it
 * is neither: the caller cannot see whom it grants what.
 */
export function iamPolicyBindings(stack: SynthesizedStack, value: unknown): IamBinding[] {
  if (typeof value !== "string") return [];
  const ref = parseReferences(value).find((r) => r.kind === "data" && r.type === "google_iam_policy");
  let bindings: Attributes[];
  if (ref) bindings = blockList(findBlock(stack, ref)?.body["binding"]);
  else {
    try {
      const doc: unknown = JSON.parse(value);
      bindings = isRecord(doc) ? blockList(doc["bindings"]) : [];
    } catch {
      return [];
    }
  }
  return bindings.flatMap((b) => (typeof b["role"] === "string" ? [{ role: b["role"], members: asStringList(b["members"]) ?? [] }] : []));
}

// ---------------------------------------------------------------------------------------------
// Lifecycle and Google Cloud grants
// ---------------------------------------------------------------------------------------------

/** An attribute path as segments: `scaling[0].min_instance_count` and `scaling.0.min_instance_count` are both `scaling`, `[0]`, `min_instance_count`. */
function pathSegments(path: string): string[] {
  return path
    .trim()
    .split(/\.|(?=\[)/)
    .filter((s) => s !== "")
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : s.replace(/^\[\s*"?([^"\]]*?)"?\s*\]$/, "[$1]")));
}

/**
 * True when the resource's `lifecycle.ignore_changes` covers `path` (written as Terraform wants it,
 * e.g. `scaling[0].min_instance_count`): `"all"`, the path itself, or a path it lies under
 * (`scaling`, `scaling[0]`). A list block reached without its index (`scaling.min_instance_count`)
 * covers nothing: Terraform rejects it.
 */
export function ignoresChange(body: Attributes, path: string): boolean {
  const ignored = singleBlock(body["lifecycle"])?.["ignore_changes"];
  if (ignored === "all") return true;
  const wanted = pathSegments(path);
  return (asStringList(ignored) ?? []).some((entry) => {
    const have = pathSegments(entry);
    return have.length > 0 && have.length <= wanted.length && have.every((s, i) => s === wanted[i]);
  });
}

/** One member of one Google Cloud IAM grant in the stack. */
export interface IamGrant {
  /** Address of the `google_*_iam_member` / `_iam_binding` / `_iam_policy`. */
  readonly address: string;
  /** Its Terraform type, e.g. `google_project_iam_member`. */
  readonly type: string;
  /** The granted role, as written (may be a reference to a custom role). */
  readonly role: unknown;
  /** The member, e.g. `serviceAccount:${google_service_account.X.email}` or `allUsers`. */
  readonly member: string;
  /** The grant's arguments (the resource it is on: `project`, `name`, `service_account_id`...). */
  readonly body: Attributes;
}

/**
 * Every member of every Google Cloud IAM grant of the stack, on any resource: `google_*_iam_member`
 * (`member`), `google_*_iam_binding` (`members`) and the bindings of `google_*_iam_policy`
 * (`policy_data`, see {@link iamPolicyBindings}), in the stack's order.
 */
export function iamGrants(stack: SynthesizedStack): IamGrant[] {
  const out: IamGrant[] = [];
  for (const type of Object.keys(stack.resource ?? {}).filter((t) => /^google_.+_iam_(member|binding|policy)$/.test(t))) {
    for (const r of resourcesOf(stack, type)) {
      if (type.endsWith("_policy")) {
        for (const b of iamPolicyBindings(stack, r.body["policy_data"])) for (const member of b.members) out.push({ address: r.address, type, role: b.role, member, body: r.body });
      } else {
        for (const member of [...(asStringList(r.body["member"]) ?? []), ...(asStringList(r.body["members"]) ?? [])]) out.push({ address: r.address, type, role: r.body["role"], member, body: r.body });
      }
    }
  }
  return out;
}

/**
 * True when the IAM member string names the `google_service_account` `account` of the stack: a
 * reference to it (`${google_service_account.X.email}`, `.member`...), or `serviceAccount:` and its
 * email spelled out (`<account_id>@<project>.iam.gserviceaccount.com`; any project when the account's
 * is unset, a reference or domain-scoped), compared without regard to case.
 */
export function namesServiceAccount(member: string, account: StackBlock): boolean {
  if (parseReferences(member).some((r) => r.kind === "resource" && r.type === account.type && r.name === account.name)) return true;
  const id = account.body["account_id"];
  if (typeof id !== "string" || id.includes("${")) return false;
  const text = member.trim().toLowerCase();
  const project = account.body["project"];
  // A domain-scoped project's accounts are not spelled with its id as it is: match any project.
  if (typeof project === "string" && project !== "" && !project.includes("${") && !isDomainScoped(project)) return text === `serviceaccount:${id}@${project}.iam.gserviceaccount.com`.toLowerCase();
  return text.startsWith(`serviceaccount:${id.toLowerCase()}@`) && text.endsWith(".iam.gserviceaccount.com");
}
