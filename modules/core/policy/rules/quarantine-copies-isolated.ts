/**
 * `quarantine-copies-isolated`: the Quarantine's honeypot copies are worth nothing to whoever takes
 * one over (DESIGN.md "Security invariants").
 *
 * Resources are told apart by the tag {@link QUARANTINE_PART_TAG} (`copies` or `real`). A violation is:
 * - a security group rule that links a copies group with a real-service group, in either direction
 *   (`aws_vpc_security_group_ingress_rule` / `_egress_rule`, `aws_security_group_rule`, or inline
 *   `ingress` / `egress` blocks of `aws_security_group`);
 * - a copies ECS service with a public IP, running a task definition of this stack that has a task role,
 *   or running one from outside the stack (whose role and secrets cannot be seen here) unless it carries
 *   {@link QUARANTINE_REUSE_TAG} `accepted`, set when the config explicitly accepted that;
 * - a copies task definition with a task role;
 * - a copies launch template with an instance profile or a public IP on its interfaces;
 * - on Azure, what `./quarantine-copies-isolated-azure` lists (an identity or secret on the copies'
 *   Container App, a public or shared environment, an NSG that lets the copies' subnet and the real
 *   service's reach each other);
 * - on Google Cloud, what `./quarantine-copies-isolated-gcp` lists (copies Cloud Run service labelled
 *   `lure-quarantine=copies`: internal-only ingress, an account of their own holding no role, no VPC
 *   access, no public invoker).
 */
import type { Attributes, PolicyRule, SynthesizedStack, Violation } from "../types";
import { asStringList, blockList, findBlock, hasTag, parseReferences, resourcesOf, singleBlock } from "../util";
import { azureCopiesViolations } from "./quarantine-copies-isolated-azure";
import { gcpCopiesViolations } from "./quarantine-copies-isolated-gcp";
import { QUARANTINE_PART_LABEL, QUARANTINE_PART_TAG } from "./quarantine-markers";

const RULE_ID = "quarantine-copies-isolated";

export { QUARANTINE_PART_LABEL, QUARANTINE_PART_TAG };

/**
 * Tag (value `accepted`) on a copies ECS service that runs a task definition from outside the stack
 * because the config said so (`quarantine.copies.reuseTaskDefinition`).
 */
export const QUARANTINE_REUSE_TAG = "lure:quarantine-reuse-task-definition";

const isTrue = (v: unknown) => v === true || v === "true";
const set = (v: unknown) => v !== undefined && v !== null && v !== "";

/** Names of the `aws_security_group`s referenced in `value`. */
const groupsIn = (value: unknown): string[] => parseReferences(value).filter((r) => r.kind === "resource" && r.type === "aws_security_group").map((r) => r.name);

export const quarantineCopiesIsolated: PolicyRule = {
  id: RULE_ID,
  description: "Quarantine copies hold no role, identity, secret, public IP or ingress, or unaccepted outside task definition; no SG, NSG or VPC links them to the real service.",
  check(stack: SynthesizedStack): Violation[] {
    const out: Violation[] = [];
    const part = (body: Attributes) => (hasTag(body, QUARANTINE_PART_TAG, "copies") ? "copies" : hasTag(body, QUARANTINE_PART_TAG, "real") ? "real" : undefined);
    const groupPart = new Map(resourcesOf(stack, "aws_security_group").map((g) => [g.name, part(g.body)]));
    const linked = (address: string, owners: string[], peers: string[]) => {
      for (const owner of owners) {
        for (const peer of peers) {
          const a = groupPart.get(owner);
          const b = groupPart.get(peer);
          if (a && b && a !== b) {
            out.push({ ruleId: RULE_ID, resource: address, message: `${address} links the ${a} group aws_security_group.${owner} with the ${b} group aws_security_group.${peer}; the copies must share no path with the real service.` });
          }
        }
      }
    };
    for (const type of ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"]) {
      for (const r of resourcesOf(stack, type)) linked(r.address, groupsIn(r.body["security_group_id"]), groupsIn(r.body["referenced_security_group_id"]));
    }
    for (const r of resourcesOf(stack, "aws_security_group_rule")) linked(r.address, groupsIn(r.body["security_group_id"]), groupsIn(r.body["source_security_group_id"]));
    for (const g of resourcesOf(stack, "aws_security_group")) {
      for (const block of [...blockList(g.body["ingress"]), ...blockList(g.body["egress"])]) linked(g.address, [g.name], groupsIn(asStringList(block["security_groups"]) ?? []));
    }

    for (const svc of resourcesOf(stack, "aws_ecs_service").filter((s) => part(s.body) === "copies")) {
      if (isTrue(singleBlock(svc.body["network_configuration"])?.["assign_public_ip"])) {
        out.push({ ruleId: RULE_ID, resource: svc.address, message: `${svc.address} gives the copies public IPs; they are reached through the load balancer only.` });
      }
      const own = parseReferences(svc.body["task_definition"]).filter((r) => r.kind === "resource" && r.type === "aws_ecs_task_definition");
      for (const ref of own) {
        const td = findBlock(stack, ref);
        if (td && set(td.body["task_role_arn"])) out.push({ ruleId: RULE_ID, resource: svc.address, message: `${svc.address} runs ${td.address}, which has a task role; copies hold no AWS permissions.` });
      }
      if (own.length === 0 && !hasTag(svc.body, QUARANTINE_REUSE_TAG, "accepted")) {
        out.push({
          ruleId: RULE_ID,
          resource: svc.address,
          message: `${svc.address} runs a task definition from outside this stack, whose task role and secrets cannot be checked; run a decoy image, or accept this explicitly (quarantine.copies.reuseTaskDefinition).`,
        });
      }
    }
    for (const td of resourcesOf(stack, "aws_ecs_task_definition").filter((t) => part(t.body) === "copies" && set(t.body["task_role_arn"]))) {
      out.push({ ruleId: RULE_ID, resource: td.address, message: `${td.address} gives the copies a task role; copies hold no AWS permissions.` });
    }
    for (const lt of resourcesOf(stack, "aws_launch_template").filter((t) => part(t.body) === "copies")) {
      if (singleBlock(lt.body["iam_instance_profile"])) out.push({ ruleId: RULE_ID, resource: lt.address, message: `${lt.address} gives the copies an instance profile; copies hold no AWS permissions.` });
      if (blockList(lt.body["network_interfaces"]).some((n) => isTrue(n["associate_public_ip_address"]))) {
        out.push({ ruleId: RULE_ID, resource: lt.address, message: `${lt.address} gives the copies public IPs; they are reached through the load balancer only.` });
      }
    }
    out.push(...azureCopiesViolations(stack, RULE_ID));
    out.push(...gcpCopiesViolations(stack, RULE_ID));
    return out;
  },
};
