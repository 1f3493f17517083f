/**
 * Adapter: steering on an Application Load Balancer listener. Each rule of lure's priority band
 * has one `source-ip` condition (≤5 CIDRs) and forwards to the honeypot copies' target group. The
 * rules are runtime state, created through the API and never by Terraform (which would delete them
 * on the next apply).
 *
 * A rule is lure's only when it is in the band, matches on source IPs only and forwards to the copies
 * alone: any other rule, even one a user put in the band, is reported as someone else's and never
 * modified or deleted.
 *
 * @example
 * const steering = albSteering(new ElasticLoadBalancingV2Client(sdkClientConfig()), {
 *   listenerArn: env.listenerArn, targetGroupArn: env.copyTargetGroupArn, prefix: "lure", steering: env.config.steering,
 * });
 */
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ModifyRuleCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
  type Rule,
  type RuleCondition,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { ConflictError, type ListenerRules, type SteeringOptions, type SteeringPort, type SteeringRule } from "../../core/quarantine-types";
import { errorName } from "../runtime";

export interface AlbSteeringOptions {
  readonly listenerArn: string;
  /** Where the rules forward: the honeypot copies. */
  readonly targetGroupArn: string;
  /** Tag value of `lure:prefix` on the rules lure creates. */
  readonly prefix: string;
  readonly steering: SteeringOptions;
}

/** DescribeRules' largest page. */
export const DESCRIBE_RULES_PAGE_SIZE = 400;

/** The ALB refused a rule because its rule quota is used up: a configuration problem, not a race. */
export class RuleQuotaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RuleQuotaError";
  }
}

const sourceIpConditions = (cidrs: readonly string[]): RuleCondition[] => [{ Field: "source-ip", SourceIpConfig: { Values: [...cidrs] } }];

/**
 * Whether `actions` is a single forward to `targetGroupArn` and nowhere else. DescribeRules reports a
 * plain forward both as `TargetGroupArn` and as a one-group `ForwardConfig`; a weighted forward has
 * the `ForwardConfig` only. Every group named must be the copies' (a split with the real service is
 * someone else's rule).
 */
export function forwardsOnlyTo(actions: readonly Action[] | undefined, targetGroupArn: string): boolean {
  if (actions?.length !== 1) return false;
  const [action] = actions;
  if (action.Type !== "forward") return false;
  const groups = action.ForwardConfig?.TargetGroups;
  if (action.TargetGroupArn === undefined && groups === undefined) return false;
  if (action.TargetGroupArn !== undefined && action.TargetGroupArn !== targetGroupArn) return false;
  return groups === undefined || (groups.length === 1 && groups[0].TargetGroupArn === targetGroupArn);
}

/**
 * Whether every condition is a `source-ip` one: ModifyRule replaces all conditions, so changing a rule
 * that also matches on a host, path or header would drop them.
 */
const matchesOnSourceIpOnly = (conditions: readonly RuleCondition[] | undefined): boolean =>
  (conditions?.length ?? 0) > 0 && conditions!.every((c) => c.Field === "source-ip");

/** The `SteeringPort` on one ALB listener; the client's own retries cover throttling. */
export function albSteering(client: ElasticLoadBalancingV2Client, options: AlbSteeringOptions): SteeringPort {
  const { listenerArn, targetGroupArn, prefix } = options;
  const { firstPriority, ruleQuota, albRuleLimit } = options.steering;
  const lastPriority = firstPriority + ruleQuota - 1;
  const isLures = ({ rule, priority }: { rule: Rule; priority: number }): boolean =>
    priority >= firstPriority && priority <= lastPriority && forwardsOnlyTo(rule.Actions, targetGroupArn) && matchesOnSourceIpOnly(rule.Conditions);

  /** Every non-default rule of the listener with its numeric priority. */
  async function describeAll(): Promise<{ rule: Rule; priority: number }[]> {
    const out: { rule: Rule; priority: number }[] = [];
    let marker: string | undefined;
    do {
      const res = await client.send(new DescribeRulesCommand({ ListenerArn: listenerArn, PageSize: DESCRIBE_RULES_PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }));
      for (const rule of res.Rules ?? []) {
        // The default action is listed with priority "default": it is not a rule lure can collide with.
        if (rule.IsDefault || !/^\d+$/.test(rule.Priority ?? "")) continue;
        out.push({ rule, priority: Number(rule.Priority) });
      }
      marker = res.NextMarker;
    } while (marker);
    return out;
  }

  function quotaError(change: string, err: unknown): RuleQuotaError {
    const detail = err instanceof Error ? err.message : String(err);
    // The quota counts the rules of every listener of the load balancer; lure only sees this one.
    return new RuleQuotaError(
      `ALB rule quota reached on ${listenerArn}: cannot ${change} (${detail}). The load balancer takes fewer rules than quarantine.albRuleLimit (now ${albRuleLimit}): ` +
        `set it to the "Rules per Application Load Balancer" quota in Service Quotas minus the rules of the load balancer's other listeners, or raise that quota.`,
    );
  }

  return {
    async readRules(): Promise<ListenerRules> {
      const rules: SteeringRule[] = [];
      const otherPriorities: number[] = [];
      for (const r of await describeAll()) {
        if (!isLures(r)) {
          otherPriorities.push(r.priority);
          continue;
        }
        const cidrs = (r.rule.Conditions ?? []).filter((c) => c.Field === "source-ip").flatMap((c) => c.SourceIpConfig?.Values ?? []);
        rules.push({ id: r.rule.RuleArn ?? "", priority: r.priority, cidrs });
      }
      return { rules: rules.sort((a, b) => a.priority - b.priority), otherPriorities: otherPriorities.sort((a, b) => a - b) };
    },

    async healthyTargets(): Promise<number> {
      // One call answers for every target of the group (the API has no pages).
      const res = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
      return (res.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === "healthy").length;
    },

    async apply(change): Promise<void> {
      try {
        switch (change.kind) {
          case "create":
            await client.send(
              new CreateRuleCommand({
                ListenerArn: listenerArn,
                Priority: change.priority,
                Conditions: sourceIpConditions(change.cidrs),
                Actions: [{ Type: "forward", TargetGroupArn: targetGroupArn }],
                Tags: [{ Key: "lure:prefix", Value: prefix }],
              }),
            );
            return;
          case "modify":
            // Without `Actions`, ModifyRule keeps the rule's forward action.
            await client.send(new ModifyRuleCommand({ RuleArn: change.id, Conditions: sourceIpConditions(change.cidrs) }));
            return;
          case "delete":
            await client.send(new DeleteRuleCommand({ RuleArn: change.id }));
            return;
        }
      } catch (err) {
        const name = errorName(err);
        if (change.kind === "delete" && name === "RuleNotFoundException") return; // already gone: the goal is reached
        if (name === "PriorityInUseException") throw new ConflictError(`priority ${change.priority} of ${listenerArn} was taken meanwhile`);
        // Someone else deleted the rule after we listed it: re-list and plan again.
        if (change.kind === "modify" && name === "RuleNotFoundException") throw new ConflictError(`rule ${change.id} (priority ${change.priority}) is gone`);
        if (name === "TooManyRulesException") throw quotaError(`${change.kind} a rule at priority ${change.priority}`, err);
        throw err;
      }
    },
  };
}
