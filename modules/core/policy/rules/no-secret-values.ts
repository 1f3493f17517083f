/**
 * `no-secret-values`: no secret value is written into the stack, where it would land in Terraform state
 * and in plain text in `cdk.tf.json`. Secrets are created empty and filled outside Terraform; functions
 * and containers get the secret's ARN or name, never its value.
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { isRecord, resourcesOf, singleBlock } from "../util";

const RULE_ID = "no-secret-values";
/** Names that announce a secret … */
const SECRET_NAME = /(api[_-]?key|token|passw(or)?d|secret|credential|private[_-]?key)/i;
/** … unless they only point at one. */
const REFERENCE_NAME = /(_ARN|_ID|_NAME|_FILE|_PATH)$/i;
/** A Shodan API key has this shape; it must never appear as a literal. */
const SHODAN_KEY = /^[A-Za-z0-9]{32}$/;

function envProblems(address: string, where: string, env: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_NAME.test(name) && !REFERENCE_NAME.test(name)) {
      out.push({ ruleId: RULE_ID, resource: address, message: `${address} sets ${where} ${name}, which looks like a secret value; pass the secret's ARN (…_ARN) and read it at run time.` });
    } else if (typeof value === "string" && SHODAN_KEY.test(value)) {
      out.push({ ruleId: RULE_ID, resource: address, message: `${address} sets ${where} ${name} to something shaped like an API key; pass the secret's ARN instead.` });
    }
  }
  return out;
}

export const noSecretValues: PolicyRule = {
  id: RULE_ID,
  description: "No aws_secretsmanager_secret_version or SecureString value in the stack, and no secret-looking environment variable on functions or containers.",
  check(stack: SynthesizedStack): Violation[] {
    const out: Violation[] = [];
    for (const v of resourcesOf(stack, "aws_secretsmanager_secret_version")) {
      out.push({ ruleId: RULE_ID, resource: v.address, message: `${v.address} puts a secret value into Terraform state; create the secret empty and set it with put-secret-value.` });
    }
    for (const p of resourcesOf(stack, "aws_ssm_parameter").filter((p) => p.body["type"] === "SecureString" && (p.body["value"] !== undefined || p.body["value_wo"] === undefined))) {
      out.push({ ruleId: RULE_ID, resource: p.address, message: `${p.address} stores a SecureString value in Terraform state.` });
    }
    for (const fn of resourcesOf(stack, "aws_lambda_function")) {
      const vars = singleBlock(fn.body["environment"])?.["variables"];
      if (isRecord(vars)) out.push(...envProblems(fn.address, "environment variable", vars));
    }
    for (const td of resourcesOf(stack, "aws_ecs_task_definition")) {
      const raw = td.body["container_definitions"];
      let containers: unknown;
      try {
        containers = typeof raw === "string" ? JSON.parse(raw) : undefined;
      } catch {
        continue;
      }
      if (!Array.isArray(containers)) continue;
      for (const c of containers.filter(isRecord)) {
        const env = Array.isArray(c["environment"]) ? c["environment"].filter(isRecord) : [];
        out.push(...envProblems(td.address, `container ${String(c["name"])} variable`, Object.fromEntries(env.map((e) => [String(e["name"]), e["value"]]))));
      }
    }
    return out;
  },
};
