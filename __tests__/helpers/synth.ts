/** Synthesize stacks in-process for construct tests, and small readers over the JSON. */
import { readFileSync } from "fs";
import { join } from "path";
import { Testing } from "cdktf";
import { validateConfig, type LureConfig } from "../../modules/core/config";
import { AwsHoneynetStack, AwsQuarantineStack } from "../../modules/aws/stacks";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const ROOT = join(__dirname, "..", "..");

export function defaultConfigInput(): Json {
  return JSON.parse(readFileSync(join(ROOT, "lure.config.json"), "utf8")) as Json;
}

/** The default config with `change` applied to a deep copy of its JSON, validated. */
export function configWith(change: (c: Json) => void = () => {}): LureConfig {
  const raw = defaultConfigInput();
  change(raw);
  const r = validateConfig(raw);
  if (!r.ok) throw new Error(`test config invalid: ${JSON.stringify(r.problems)}`);
  return r.config;
}

export function synthAwsHoneynet(config: LureConfig = configWith()): Json {
  const app = Testing.app();
  const stack = new AwsHoneynetStack(app, "aws-honeynet", config, config.clouds.aws!);
  return JSON.parse(Testing.synth(stack)) as Json;
}

/** The `aws-quarantine` stack of `config` (enabled or not: the stack is made directly). */
export function synthAwsQuarantine(config: LureConfig = configWith()): Json {
  const app = Testing.app();
  const stack = new AwsQuarantineStack(app, "aws-quarantine", config, config.clouds.aws!);
  return JSON.parse(Testing.synth(stack)) as Json;
}

/** `[address, body]` of every resource of a type. */
export function resources(stack: Json, type: string): [string, Json][] {
  return Object.entries((stack.resource?.[type] ?? {}) as Record<string, Json>).map(([name, body]) => [`${type}.${name}`, body]);
}

/** The `${type.name.attr}` reference to a resource address. */
export const ref = (address: string, attr = "id") => `\${${address}.${attr}}`;

/** The resource a `${type.name.attr}` string points at. */
export function deref(stack: Json, reference: string): [string, Json] {
  const m = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z_]+\}$/.exec(reference);
  if (!m) throw new Error(`not a single reference: ${reference}`);
  const body = stack.resource?.[m[1]]?.[m[2]];
  if (!body) throw new Error(`no resource ${m[1]}.${m[2]}`);
  return [`${m[1]}.${m[2]}`, body];
}

export const tagOf = (body: Json, key: string): string | undefined => body.tags?.[key];

/**
 * Every `${type.name.…}` / `${data.type.name.…}` in the stack whose block the stack does not declare:
 * a reference into another stack that cdktf did not turn into remote state fails `terraform plan`.
 */
export function danglingReferences(stack: Json): string[] {
  const text = JSON.stringify({ resource: stack.resource, data: stack.data, output: stack.output, locals: stack.locals });
  const out = new Set<string>();
  // `$${` is a literal `${` (a template of another service, e.g. Cloud Monitoring's), not a reference.
  for (const m of text.matchAll(/(?<!\$)\$\{(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\./g)) {
    const [, data, type, name] = m;
    if (!data && ["var", "local", "each", "count", "self", "path", "terraform"].includes(type)) continue;
    if (!(data ? stack.data : stack.resource)?.[type]?.[name]) out.add(`${data ?? ""}${type}.${name}`);
  }
  return [...out];
}
