/**
 * How many addresses lure's AWS networks need, and so the smallest network each stack can really use.
 * A network below that synthesizes and plans, then fails at apply (an ALB in /28 subnets) or leaves a
 * task without an address in the middle of a deployment; the config cross-checks and the props checks
 * refuse it up front, with the reason. Pure arithmetic on counts: no provider, no construct.
 *
 * ```ts
 * largestNetworkPrefix(honeynetDemand(10));            // 22: the industrial profile needs a /22
 * networkTooSmall("10.42.0.0/24", honeynetDemand(10)); // "is too small: its two subnets would be /28 …; use /22 or larger"
 * ```
 *
 * The rules:
 * - AWS keeps 5 addresses of every subnet, and a subnet is /28 at the smallest.
 * - An Application Load Balancer needs subnets of /27 or larger with at least 8 free addresses, which
 *   it takes as it scales (Elastic Load Balancing guide, "Subnets for your load balancer").
 * - Every Fargate task takes one address (awsvpc: one ENI per task); so do an EFS mount target, a NAT
 *   gateway and an EC2 instance, warm-pool instances included (a stopped instance keeps its ENI).
 * - ECS replaces tasks start-first (maximumPercent 200 %, the default): a service of n tasks holds up
 *   to 2n addresses during a deployment or a watcher rotation. Elasticsearch and Logstash are
 *   stop-first (`stateful` in modules/aws/workload.ts) and never hold more than their one.
 * - Services of one task each are not balanced across zones against each other: all of them may
 *   land in one subnet, so one subnet must hold everything.
 * The split mirrors the constructs: the honeynet takes two sixteenths (`Fn.cidrsubnet(cidr, 4, i)` in
 * modules/aws/network.ts), the demo six eighths (`demoSubnetCidrs` in modules/aws/quarantine-target.ts).
 */
import { parseCidr } from "./cidr";

/** Addresses AWS keeps in every subnet: network, router, DNS, one for future use, broadcast. */
export const RESERVED_PER_SUBNET = 5;
/** The smallest subnet AWS creates. */
export const SMALLEST_SUBNET_PREFIX = 28;
/** An ALB's subnets are /27 or larger… */
export const ALB_SUBNET_PREFIX = 27;
/** …with at least this many free addresses. */
export const ALB_FREE_ADDRESSES = 8;
/** The honeynet's network is split in 16 (two parts used). */
export const HONEYNET_SPLIT_BITS = 4;
/** The demo's network is split in 8 (six parts used). */
export const DEMO_SPLIT_BITS = 3;
/** The honeynet's Elastic services: Kibana replaces its task start-first, Elasticsearch and Logstash stop-first. */
export const ELASTIC_SERVICES = { startFirst: 1, stopFirst: 2 } as const;

/** Addresses a subnet of `prefix` leaves for resources. */
export const usableAddresses = (prefix: number): number => Math.max(0, 2 ** (32 - prefix) - RESERVED_PER_SUBNET);

/** One kind of subnet of a network, and what one of them must hold at its busiest. */
export interface SubnetTier {
  /** Usable addresses one subnet of the tier needs at its busiest. */
  readonly addresses: number;
  /** What takes them, worded to follow "but": "the copies' subnets may need 40 addresses …". */
  readonly why: string;
  /** The load balancer in these subnets (which needs /27 or larger), worded to follow "but". */
  readonly loadBalancer?: string;
  /** A second way out besides a larger network, e.g. "lower quarantine.copies.defenceCount". */
  readonly otherwise?: string;
}

/** What a network must hold: how it is split, and each tier's needs. */
export interface NetworkDemand {
  /** Bits the network is split by (4: sixteenths, 3: eighths). */
  readonly splitBits: number;
  /** The subnets, worded for "its … would be /28": "two subnets", "six subnets". */
  readonly subnets: string;
  readonly tiers: readonly SubnetTier[];
}

/** The longest subnet prefix (at most `longest`) that leaves `addresses` usable. */
function subnetPrefixFor(addresses: number, longest: number): number {
  let prefix = longest;
  while (prefix > 0 && usableAddresses(prefix) < addresses) prefix--;
  return prefix;
}

const tierPrefix = (t: SubnetTier): number => subnetPrefixFor(t.addresses, t.loadBalancer ? ALB_SUBNET_PREFIX : SMALLEST_SUBNET_PREFIX);

/** The longest network prefix that meets every tier of `d` (the smallest network lure can deploy into). */
export function largestNetworkPrefix(d: NetworkDemand): number {
  return Math.min(...d.tiers.map(tierPrefix)) - d.splitBits;
}

/** Addresses one honeynet subnet may need, for `honeypots` honeypots (one task each). */
export function honeynetAddresses(honeypots: number): { tasks: number; taskAddresses: number; addresses: number } {
  const tasks = honeypots + ELASTIC_SERVICES.startFirst + ELASTIC_SERVICES.stopFirst;
  const taskAddresses = 2 * (honeypots + ELASTIC_SERVICES.startFirst) + ELASTIC_SERVICES.stopFirst;
  // One EFS mount target per subnet, and the dashboard load balancer's free addresses.
  return { tasks, taskAddresses, addresses: taskAddresses + 1 + ALB_FREE_ADDRESSES };
}

/**
 * The honeynet's two subnets: the dashboard load balancer, one EFS mount target and every task. Without
 * `honeypots` (an invalid profile, reported elsewhere), only what holds for any honeynet.
 */
export function honeynetDemand(honeypots?: number): NetworkDemand {
  const loadBalancer = "the dashboard load balancer needs subnets of /27 or larger";
  if (honeypots === undefined) {
    return { splitBits: HONEYNET_SPLIT_BITS, subnets: "two subnets", tiers: [{ addresses: ALB_FREE_ADDRESSES + 1, why: "", loadBalancer }] };
  }
  const { tasks, taskAddresses, addresses } = honeynetAddresses(honeypots);
  const why =
    `one subnet may need ${addresses} addresses during a deployment (up to ${taskAddresses} for the ${tasks} tasks of this honeynet, ` +
    `whose honeypots and Kibana start a new task before stopping the old one, 1 for the EFS mount target and ${ALB_FREE_ADDRESSES} the load balancer keeps free)`;
  return { splitBits: HONEYNET_SPLIT_BITS, subnets: "two subnets", tiers: [{ addresses, why, loadBalancer }] };
}

/** The demo's copies as the address plan sees them. */
export type DemoCopies = { readonly kind: "ecs"; readonly defenceCount: number } | { readonly kind: "asg"; readonly defenceCount: number; readonly warmPoolSize: number };

/**
 * The demo's six subnets: public (the load balancer and the NAT gateway), private (the real service, one
 * task) and the copies'. `at` is where the copies are set (`quarantine.copies` in the config, `copies`
 * in props), for the message.
 */
export function demoDemand(copies: DemoCopies, at: string): NetworkDemand {
  const copyTier: SubnetTier =
    copies.kind === "ecs"
      ? {
          addresses: 2 * copies.defenceCount,
          why: `the copies' subnets may need ${2 * copies.defenceCount} addresses during a deployment (${copies.defenceCount} honeypot cop${copies.defenceCount === 1 ? "y" : "ies"} in Defence Mode, ${at}.defenceCount, each starting a new task before stopping the old one)`,
          otherwise: `lower ${at}.defenceCount`,
        }
      : {
          addresses: copies.defenceCount + copies.warmPoolSize,
          why: `the copies' subnets may need ${copies.defenceCount + copies.warmPoolSize} addresses (${copies.defenceCount} instance${copies.defenceCount === 1 ? "" : "s"} in Defence Mode, ${at}.defenceCount, and ${copies.warmPoolSize} in the warm pool, ${at}.warmPool.minSize)`,
          otherwise: `lower ${at}.defenceCount or ${at}.warmPool.minSize`,
        };
  return {
    splitBits: DEMO_SPLIT_BITS,
    subnets: "six subnets",
    tiers: [
      { addresses: ALB_FREE_ADDRESSES + 1, why: `a public subnet needs ${ALB_FREE_ADDRESSES + 1} addresses (${ALB_FREE_ADDRESSES} the load balancer keeps free, 1 for the NAT gateway)`, loadBalancer: "the load balancer needs public subnets of /27 or larger" },
      { addresses: 2, why: "the real service's subnets may need 2 addresses during a deployment (its task and the next)" },
      copyTier,
    ],
  };
}

/**
 * Why the network `cidr` is too small for `d`, as `is too small: …; use /N or larger` (the caller puts
 * the value before it), or undefined when it fits. A CIDR that is not IPv4 is left to {@link vpcCidrProblem}.
 */
export function networkTooSmall(cidr: string, d: NetworkDemand): string | undefined {
  const r = parseCidr(cidr);
  if (!r.ok || r.cidr.version !== 4) return undefined;
  const subnet = r.cidr.prefixLength + d.splitBits;
  const usable = subnet <= SMALLEST_SUBNET_PREFIX ? usableAddresses(subnet) : 0;
  const failing = d.tiers.filter((t) => subnet > tierPrefix(t));
  if (failing.length === 0) return undefined;
  const reasons = failing.flatMap((t) => [
    ...(t.loadBalancer && subnet > ALB_SUBNET_PREFIX ? [t.loadBalancer] : []),
    ...(usable < t.addresses && t.why ? [t.why] : []),
  ]);
  // Past /32 there is nothing to split: say so instead of naming a prefix that cannot exist.
  if (subnet > 32) return `is too small: a /${r.cidr.prefixLength} cannot be split into the ${2 ** d.splitBits} parts its ${d.subnets} come from; use /${largestNetworkPrefix(d)} or larger`;
  const got = subnet <= SMALLEST_SUBNET_PREFIX ? `/${subnet} (${usable} usable addresses each)` : `/${subnet} (AWS creates none smaller than /${SMALLEST_SUBNET_PREFIX})`;
  const otherwise = failing.every((t) => t.otherwise && !(t.loadBalancer && subnet > ALB_SUBNET_PREFIX)) ? failing.map((t) => `, or ${t.otherwise}`).join("") : "";
  return `is too small: its ${d.subnets} would be ${got}, but ${reasons.join(", and ")}; use /${largestNetworkPrefix(d)} or larger${otherwise}`;
}

/** The largest VPC AWS creates. */
export const LARGEST_VPC_PREFIX = 16;

/**
 * Why `cidr` cannot be a VPC's address space at all (not a CIDR, not IPv4, larger than /16), as a
 * predicate for the caller to put the value before; how long a prefix is too long depends on what the
 * network holds ({@link networkTooSmall}).
 */
export function vpcCidrProblem(cidr: string): string | undefined {
  const r = parseCidr(cidr);
  if (!r.ok) return `is not a valid CIDR: ${r.reason}`;
  if (r.cidr.version !== 4) return "is not an IPv4 CIDR (a VPC's address space is IPv4)";
  if (r.cidr.prefixLength < LARGEST_VPC_PREFIX) return `is larger than a VPC can be: AWS allows /${LARGEST_VPC_PREFIX} at most; use a prefix of /${LARGEST_VPC_PREFIX} or longer`;
  return undefined;
}
