/**
 * Adapters: how many honeypot copies run, as an ECS service's desired count or an EC2 Auto Scaling
 * group's desired capacity. Terraform ignores both values (`ignore_changes`), so an apply does not
 * undo a Defence Mode.
 *
 * @example
 * const copies = copiesFor(env.copies); // the SDK client the target needs, bounded
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import type { CopiesPort } from "../../core/quarantine-types";
import { sdkClientConfig } from "../sdk-config";
import type { CopiesTarget } from "./env";

/** Copies as the desired count of one ECS service. */
export function ecsCopies(client: ECSClient, cluster: string, service: string): CopiesPort {
  return {
    async setDesired(count) {
      await client.send(new UpdateServiceCommand({ cluster, service, desiredCount: count }));
    },
    async getDesired() {
      const res = await client.send(new DescribeServicesCommand({ cluster, services: [service] }));
      const found = res.services?.find((s) => s.serviceName === service || s.serviceArn === service);
      if (found?.desiredCount === undefined) {
        const why = res.failures?.map((f) => f.reason).join(", ") || "not in the answer";
        throw new Error(`ECS service ${service} of cluster ${cluster}: ${why}`);
      }
      return found.desiredCount;
    },
  };
}

/** Copies as the desired capacity of one EC2 Auto Scaling group (min 0, max ≥ the Defence count). */
export function asgCopies(client: AutoScalingClient, group: string): CopiesPort {
  return {
    async setDesired(count) {
      // Not honouring the cooldown: entering Defence Mode must not wait for an earlier scale-in to settle.
      await client.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: group, DesiredCapacity: count, HonorCooldown: false }));
    },
    async getDesired() {
      const res = await client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }));
      const found = res.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === group);
      if (found?.DesiredCapacity === undefined) throw new Error(`Auto Scaling group ${group} not found`);
      return found.DesiredCapacity;
    },
  };
}

/** The port for the deployment's target, on a new bounded SDK client (or the one given, for tests). */
export function copiesFor(target: CopiesTarget, clients: { readonly ecs?: ECSClient; readonly autoScaling?: AutoScalingClient } = {}): CopiesPort {
  if (target.kind === "ecs") return ecsCopies(clients.ecs ?? new ECSClient(sdkClientConfig()), target.cluster, target.service);
  return asgCopies(clients.autoScaling ?? new AutoScalingClient(sdkClientConfig()), target.group);
}
