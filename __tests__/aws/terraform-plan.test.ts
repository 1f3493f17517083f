/**
 * The synthesized stacks plan on the AWS provider: `terraform plan` of every stack variant, offline, via
 * `terraform test` against a local provider mirror, with the data sources that call AWS overridden. The
 * plan includes what `terraform validate` checks (each stack is the run's root module). Skipped (with
 * the reason in the test name) where terraform or the mirror is missing; the JSON guards run everywhere.
 *
 * Cost: one provider schema load per process (two processes), then per variant two provider starts and
 * the plan itself: about 4-6 s of one process for an aws-honeynet variant, under 2 s for aws-quarantine.
 */
import { planOffline, terraformAvailable, type Diagnostic, type OfflinePlan, type PlanCase } from "../helpers/terraform";
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
  // …and the Kibana import script, written without template syntax, reaches Terraform as it is (nothing escaped).
  const kibana = resources(stack, "aws_ecs_task_definition").find(([, t]) => String(t.family).endsWith("-kibana"))![1];
  const script: string = JSON.parse(kibana.container_definitions).find((c: { name: string }) => c.name === "kibana-objects").command[0];
  expect(script).toContain('"$KIBANA/api/saved_objects/_import?overwrite=true"');
  expect(script).not.toMatch(/[$%][$%]?\{/);
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
suite(`terraform plan, offline (${tf.ok ? `hashicorp/aws ${tf.awsVersion} from the local mirror` : `skipped: ${tf.why}`})`, () => {
  const variants: PlanCase[] = [
    ...stacks.map(([name, stack]) => ({ name: `aws-honeynet, ${name}`, stack })),
    ...quarantineStacks.map(([name, stack]) => ({ name, stack })),
  ];

  // Passes `terraform validate` (checked by hand): only the provider's plan-time check rejects it.
  const unusedAttribute = (() => {
    const [, smallest] = [...quarantineStacks].sort(([, a], [, b]) => JSON.stringify(a).length - JSON.stringify(b).length)[0];
    const stack = structuredClone(smallest) as Json;
    const [table] = Object.values(stack.resource.aws_dynamodb_table as Record<string, Json>);
    table.attribute.push({ name: "source", type: "S" });
    return { name: "negative: a DynamoDB attribute that no key uses", stack };
  })();

  const templateDirective = (() => {
    const stack = structuredClone(stacks[0][1]) as Json;
    const [name] = Object.keys(stack.resource.aws_ecs_task_definition);
    stack.resource.aws_ecs_task_definition[name].container_definitions = '[{"name":"x","image":"y","command":["logstash-%{+YYYY}"]}]';
    return { name: "negative: an unescaped template directive", stack };
  })();

  // Only the provider and the data sources of a stack, none overridden: what reaching for AWS looks like.
  const unoverridden = (() => {
    const [, stack] = stacks[0];
    return { name: "negative: data sources without overrides", stack: { terraform: stack.terraform, provider: stack.provider, data: stack.data }, overrideData: false };
  })();

  let plan: OfflinePlan;
  beforeAll(async () => {
    plan = await planOffline([...variants, unusedAttribute, templateDirective, unoverridden], tf.ok ? tf.awsVersion : "");
  }, 300_000);

  const show = (d: Diagnostic) => [d.address, d.summary, d.detail].filter(Boolean).join(": ");
  const outcome = (name: string) => {
    const r = plan.results.get(name)!;
    return { status: r.status, errors: r.diagnostics.filter((d) => d.severity === "error").map(show) };
  };

  test.each(variants.map((v) => v.name))("%s plans", (name) => {
    // A run that never reported (a crash, a broken test file) shows terraform's own diagnostics here.
    const general = outcome(name).status === "missing" ? plan.general.map(show) : [];
    expect({ ...outcome(name), general }).toEqual({ status: "pass", errors: [], general: [] });
  });

  test("terraform test reported no problem outside the runs", () => {
    expect(plan.general.map(show)).toEqual([]);
  });

  test("the check can fail at plan time: a DynamoDB attribute that no key uses is rejected", () => {
    expect(outcome(unusedAttribute.name)).toEqual({
      status: "error",
      errors: [expect.stringMatching(/^aws_dynamodb_table\.\S+: all attributes must be indexed\. Unused attributes: \["source"\]/)],
    });
  });

  test("the check can fail at validation: an unescaped template directive is rejected", () => {
    const r = outcome(templateDirective.name);
    expect(r.status).toBe("error");
    expect(r.errors.join(" ")).toMatch(/template/i);
  });

  test("nothing reaches AWS: only the un-overridden reads tried the network, once each, and failed", () => {
    const r = outcome(unoverridden.name);
    expect(r.status).toBe("error");
    expect(r.errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/^data\.aws_caller_identity\.\S+: .*GetCallerIdentity/),
      expect.stringMatching(/^data\.aws_availability_zones\.\S+: .*DescribeAvailabilityZones/),
    ]));
    const region = String(stacks[0][1].provider.aws[0].region);
    expect(plan.networkAttempts.map((line) => line.split(" ")[1]).sort()).toEqual([`ec2.${region}.amazonaws.com:443`, `sts.${region}.amazonaws.com:443`]);
  });
});
