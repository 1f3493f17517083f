/**
 * The synthesized stacks are valid Terraform for the AWS provider: `terraform validate` against an
 * offline provider mirror. Skipped (with the reason in the test name) where terraform or the mirror is
 * missing; the JSON guard below runs everywhere.
 */
import { terraformAvailable, Validator } from "../helpers/terraform";
import { configWith, resources, synthAwsHoneynet, synthAwsQuarantine, type Json } from "../helpers/synth";
import { QUARANTINE_VARIANTS, STACK_VARIANTS } from "../helpers/variants";

const stacks = STACK_VARIANTS.map(([name, change]) => [name, synthAwsHoneynet(configWith(change))] as const);
const quarantineStacks = QUARANTINE_VARIANTS.map(([name, change]) => [`aws-quarantine, ${name}`, synthAwsQuarantine(configWith(change))] as const);

/** Every string in the JSON, with where it is. */
function strings(value: unknown, at = ""): [string, string][] {
  if (typeof value === "string") return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
  return [];
}

test.each(stacks)("%s: no string carries unescaped Terraform template syntax (%%{ … })", (_, stack) => {
  const bad = strings(stack.resource).filter(([, s]) => /(^|[^%])%\{/.test(s)).map(([at]) => at);
  expect(bad).toEqual([]);
  // …while the Logstash pipeline still asks for T-Pot's daily index, escaped.
  const ls = resources(stack, "aws_ecs_task_definition").find(([, t]) => String(t.family).endsWith("-logstash"))![1];
  expect(ls.container_definitions).toContain("logstash-%%{+YYYY.MM.dd}");
});

test.each(quarantineStacks)("%s: no string carries an unescaped ${name} (the flow-log format's fields)", (_, stack) => {
  // A bare name in `${…}` is a Terraform reference to nothing; `$${` is the escaped literal.
  const bad = strings(stack.resource).filter(([, s]) => /(^|[^$])\$\{[\w-]+\}/.test(s)).map(([at]) => at);
  expect(bad).toEqual([]);
  // …while the flow log still asks for the custom format's fields, escaped.
  expect(resources(stack, "aws_flow_log")[0][1].log_format).toContain("$${pkt-srcaddr}");
});

const tf = terraformAvailable();
const suite = tf.ok ? describe : describe.skip;
suite(`terraform validate (${tf.ok ? `hashicorp/aws ${tf.awsVersion} from the local mirror` : `skipped: ${tf.why}`})`, () => {
  const validator = tf.ok ? new Validator(tf.awsVersion) : undefined;

  test.each([...stacks, ...quarantineStacks])("%s is valid", (_, stack) => {
    const r = validator!.validate(stack);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.valid).toBe(true);
  });

  test("the check can fail: an unescaped template directive is rejected", () => {
    const broken = JSON.parse(JSON.stringify(stacks[0][1])) as Json;
    const [name] = Object.keys(broken.resource.aws_ecs_task_definition);
    broken.resource.aws_ecs_task_definition[name].container_definitions = '[{"name":"x","image":"y","command":["logstash-%{+YYYY}"]}]';
    const r = validator!.validate(broken);
    expect(r.valid).toBe(false);
    expect(r.diagnostics.map((d) => d.summary).join(" ")).toMatch(/template/i);
  });
});
