/**
 * Ordering a green apply depends on: an ECS service (or the copies' Auto Scaling group) must be created
 * after what its tasks need to start, or the first tasks fail to pull their image and the deployment
 * circuit breaker stops the service after Terraform reported success. For every service of every stack
 * variant: the inline policies of its execution and task roles, and everything that gives its subnets
 * their route out (route table, separate routes, the subnets' associations, a NAT gateway) are in its
 * `depends_on`, directly. References alone do not order these: a service names the role, never its policy.
 */
import { configWith, resources, synthAwsHoneynet, synthAwsQuarantine, type Json } from "../helpers/synth";
import { QUARANTINE_VARIANTS, STACK_VARIANTS } from "../helpers/variants";

/** `type.name` of a `${type.name.attr}` reference, or undefined for a literal. */
const addressOf = (reference: unknown): string | undefined => /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\.[a-z_]+\}$/.exec(String(reference))?.[1];
const body = (stack: Json, address: string): Json => {
  const [type, name] = address.split(".");
  return stack.resource[type][name];
};
const ref = (address: string, attr: string) => `\${${address}.${attr}}`;

/** The inline policies of the role a task definition names in `field`. */
function rolePolicies(stack: Json, taskDefinition: Json, field: "execution_role_arn" | "task_role_arn"): string[] {
  const role = addressOf(taskDefinition[field]);
  if (!role) return [];
  return resources(stack, "aws_iam_role_policy").filter(([, p]) => p.role === ref(role, "id")).map(([a]) => a);
}

/** Everything that routes `subnet` out: its associations, their tables, those tables' routes and NAT gateways. */
function egressOf(stack: Json, subnet: string): string[] {
  const out: string[] = [];
  for (const [assoc, a] of resources(stack, "aws_route_table_association").filter(([, a]) => a.subnet_id === ref(subnet, "id"))) {
    const table = addressOf(a.route_table_id)!;
    out.push(assoc, table);
    for (const [route] of resources(stack, "aws_route").filter(([, r]) => r.route_table_id === ref(table, "id"))) out.push(route);
    for (const r of (body(stack, table).route ?? []) as Json[]) {
      const nat = addressOf(r.nat_gateway_id);
      if (nat) out.push(nat);
    }
  }
  return out;
}

function requirements(stack: Json, subnets: readonly unknown[], taskDefinitionRef?: unknown): string[] {
  const td = addressOf(taskDefinitionRef);
  const fromTask = td ? [...rolePolicies(stack, body(stack, td), "execution_role_arn"), ...rolePolicies(stack, body(stack, td), "task_role_arn")] : [];
  const fromSubnets = subnets.map(addressOf).flatMap((s) => (s ? egressOf(stack, s) : []));
  return [...fromTask, ...fromSubnets];
}

const stacks: [string, Json][] = [
  ...STACK_VARIANTS.map(([n, change]) => [`aws-honeynet, ${n}`, synthAwsHoneynet(configWith(change))] as [string, Json]),
  ...QUARANTINE_VARIANTS.map(([n, change]) => [`aws-quarantine, ${n}`, synthAwsQuarantine(configWith(change))] as [string, Json]),
];

describe.each(stacks)("%s", (_, stack) => {
  test("every ECS service depends on its roles' policies and its subnets' routes", () => {
    const services = resources(stack, "aws_ecs_service");
    for (const [address, svc] of services) {
      const needed = requirements(stack, svc.network_configuration.subnets as unknown[], svc.task_definition);
      const missing = needed.filter((n) => !((svc.depends_on ?? []) as string[]).includes(n));
      expect({ address, missing }).toEqual({ address, missing: [] });
    }
  });

  test("every NAT gateway depends on its own subnet's route to the internet", () => {
    for (const [address, nat] of resources(stack, "aws_nat_gateway")) {
      const subnet = addressOf(nat.subnet_id)!;
      const missing = egressOf(stack, subnet).filter((n) => !((nat.depends_on ?? []) as string[]).includes(n));
      expect({ address, missing }).toEqual({ address, missing: [] });
      expect(egressOf(stack, subnet).length).toBeGreaterThan(0);
    }
  });

  test("the copies' Auto Scaling group depends on its subnets' routes", () => {
    for (const [address, group] of resources(stack, "aws_autoscaling_group")) {
      const missing = requirements(stack, group.vpc_zone_identifier as unknown[]).filter((n) => !((group.depends_on ?? []) as string[]).includes(n));
      expect({ address, missing }).toEqual({ address, missing: [] });
    }
  });
});

test("the check sees what matters: the default honeynet's honeypots need the execution policy, their own task policy and the internet route", () => {
  const stack = stacks[0][1];
  const [, cowrie] = resources(stack, "aws_ecs_service").find(([, s]) => s.tags?.["lure:honeypot"] === "cowrie")!;
  const needed = requirements(stack, cowrie.network_configuration.subnets, cowrie.task_definition);
  expect(needed.filter((n) => n.startsWith("aws_iam_role_policy."))).toHaveLength(2);
  expect(needed.filter((n) => n.startsWith("aws_route."))).toHaveLength(2); // one per subnet, the same route
  expect(needed.filter((n) => n.startsWith("aws_route_table_association."))).toHaveLength(2); // one per subnet
});

test("the check sees what matters: the demo's real service needs the NAT gateway", () => {
  const stack = stacks.find(([n]) => n.endsWith("demo (default)"))![1];
  const [, real] = resources(stack, "aws_ecs_service").find(([a]) => a.includes("RealService"))!;
  const needed = requirements(stack, real.network_configuration.subnets, real.task_definition);
  expect(needed.some((n) => n.startsWith("aws_nat_gateway."))).toBe(true);
  expect(needed.some((n) => n.startsWith("aws_iam_role_policy."))).toBe(true);
});
