/**
 * The address plan (modules/core/address-plan.ts) counts what the stacks put into each subnet. These
 * tests hold it to the synthesized stacks, so a construct that adds a task, changes a deployment
 * strategy or splits a network differently fails here instead of silently outgrowing the bounds.
 */
import { DEMO_SPLIT_BITS, ELASTIC_SERVICES, HONEYNET_SPLIT_BITS, honeynetAddresses } from "../../modules/core/address-plan";
import { PROFILES } from "../../modules/core/catalog";
import { demoSubnetCidrs } from "../../modules/aws/quarantine-target";
import { ref, resources, synthAwsHoneynet, synthAwsQuarantine, type Json } from "../helpers/synth";

/** Tasks a service may hold during a deployment: 2x by default (start-first), its count with maximum 100 %. */
const peakTasks = (s: Json): number => Math.floor((s.desired_count * (s.deployment_maximum_percent ?? 200)) / 100);

describe("the honeynet stack holds what the address plan counts", () => {
  const stack = synthAwsHoneynet();
  const subnets = resources(stack, "aws_subnet");
  const subnetRefs = subnets.map(([address]) => ref(address));
  const services = resources(stack, "aws_ecs_service").map(([, s]) => s);

  it(`splits the network in 2^${HONEYNET_SPLIT_BITS} and uses two parts`, () => {
    expect(subnets.map(([, s]) => s.cidr_block)).toEqual([0, 1].map((i) => `\${cidrsubnet("10.42.0.0/16", ${HONEYNET_SPLIT_BITS}, ${i})}`));
  });

  it("runs the honeypots and the Elastic services as one task each, in both subnets", () => {
    const { tasks, taskAddresses } = honeynetAddresses(PROFILES.industrial.length);
    expect(services).toHaveLength(tasks);
    for (const s of services) {
      expect(s.desired_count).toBe(1);
      expect(s.network_configuration.subnets).toEqual(subnetRefs);
    }
    expect(services.filter((s) => s.deployment_maximum_percent === 100)).toHaveLength(ELASTIC_SERVICES.stopFirst);
    // Every task may land in one subnet: its peak is what the plan reserves for tasks.
    expect(services.reduce((n, s) => n + peakTasks(s), 0)).toBe(taskAddresses);
  });

  it("puts one EFS mount target and the dashboard load balancer in each subnet", () => {
    expect(resources(stack, "aws_efs_mount_target").map(([, m]) => m.subnet_id)).toEqual(subnetRefs);
    expect(resources(stack, "aws_lb").map(([, lb]) => lb.subnets)).toEqual([subnetRefs]);
  });
});

describe("the demo quarantine stack holds what the address plan counts", () => {
  const stack = synthAwsQuarantine();
  const subnet = (name: string) => resources(stack, "aws_subnet").filter(([address]) => address.includes(`_Network_${name}`));
  const refsOf = (name: string) => subnet(name).map(([address]) => ref(address));
  const service = (name: string) => resources(stack, "aws_ecs_service").find(([address]) => address.includes(name))![1];

  it(`splits the network in 2^${DEMO_SPLIT_BITS}, six parts used`, () => {
    expect(demoSubnetCidrs("10.43.0.0/24")).toEqual({
      public: ["10.43.0.0/27", "10.43.0.32/27"],
      private: ["10.43.0.64/27", "10.43.0.96/27"],
      copies: ["10.43.0.128/27", "10.43.0.160/27"],
    });
    expect(resources(stack, "aws_subnet").map(([, s]) => Number(s.cidr_block.split("/")[1]))).toEqual(Array(6).fill(16 + DEMO_SPLIT_BITS));
  });

  it("puts the load balancer and the NAT gateway in the public subnets, the real service (one task, start-first) in the private ones", () => {
    expect(resources(stack, "aws_lb").map(([, lb]) => lb.subnets)).toEqual([refsOf("Public")]);
    expect(resources(stack, "aws_nat_gateway").map(([, n]) => n.subnet_id)).toEqual([refsOf("Public")[0]]);
    const real = service("RealService");
    expect(real.network_configuration.subnets).toEqual(refsOf("Private"));
    expect(peakTasks(real)).toBe(2);
  });

  it("runs the copies start-first in their own subnets (a deployment in Defence Mode doubles them)", () => {
    const copies = service("CopyService");
    expect(copies.network_configuration.subnets).toEqual(refsOf("Copies"));
    expect(copies.deployment_maximum_percent).toBeUndefined();
  });
});
