/**
 * Public IPv4 addresses a synthesized AWS stack holds, and what they cost: AWS charges every public IPv4
 * address by the hour, in use or not (USD 0.005 an hour since February 2024, about USD 3.65 a month).
 * Counted from the synthesized JSON, so it reports what was made: one per running task with a public IP,
 * one per zone of an internet-facing load balancer (at least; it adds nodes under load), one per Elastic IP.
 */

/** USD per public IPv4 address and hour (AWS list price). */
export const PUBLIC_IPV4_USD_PER_HOUR = 0.005;
const HOURS_PER_MONTH = 730;

export interface PublicIpv4Count {
  /** Addresses of ECS tasks with `assign_public_ip`, at their deployed count. */
  readonly tasks: number;
  /** Services with a public IP that start with no task (waiting for an image): one address each once started. */
  readonly waiting: number;
  /** The minimum of the internet-facing load balancers: one per subnet. */
  readonly loadBalancers: number;
  /** Elastic IPs (NAT gateways). */
  readonly elasticIps: number;
  readonly total: number;
  /** USD a month for `total` addresses. */
  readonly monthlyUsd: number;
}

type Json = Record<string, unknown>;
const blocks = (stack: Json, type: string): Json[] => Object.values(((stack.resource as Json | undefined)?.[type] ?? {}) as Record<string, Json>);

export function publicIpv4(stack: Json): PublicIpv4Count {
  const publicServices = blocks(stack, "aws_ecs_service").filter((s) => (s.network_configuration as Json | undefined)?.assign_public_ip === true);
  const tasks = publicServices.reduce((n, s) => n + (typeof s.desired_count === "number" ? s.desired_count : 1), 0);
  const waiting = publicServices.filter((s) => s.desired_count === 0).length;
  const loadBalancers = [...blocks(stack, "aws_lb"), ...blocks(stack, "aws_alb")]
    .filter((lb) => lb.internal !== true)
    .reduce((n, lb) => n + (Array.isArray(lb.subnets) ? lb.subnets.length : 2), 0);
  const elasticIps = blocks(stack, "aws_eip").length;
  const total = tasks + loadBalancers + elasticIps;
  return { tasks, waiting, loadBalancers, elasticIps, total, monthlyUsd: Math.round(total * PUBLIC_IPV4_USD_PER_HOUR * HOURS_PER_MONTH * 100) / 100 };
}

/** One summary line, or undefined when the stack holds none. */
export function publicIpv4Line(stack: Json): string | undefined {
  const c = publicIpv4(stack);
  if (c.total === 0) return undefined;
  const parts = [c.tasks && `${c.tasks} task${c.tasks === 1 ? "" : "s"}`, c.loadBalancers && `${c.loadBalancers}+ load balancer`, c.elasticIps && `${c.elasticIps} NAT`].filter(Boolean);
  const later = c.waiting > 0 ? `; ${c.waiting} more once the service${c.waiting === 1 ? "" : "s"} waiting for ${c.waiting === 1 ? "its image is" : "their images are"} started` : "";
  return `public IPv4: ${c.total} addresses (${parts.join(", ")}), about USD ${c.monthlyUsd.toFixed(2)} a month at USD ${PUBLIC_IPV4_USD_PER_HOUR}/hour each${later}`;
}
