/**
 * `dashboard-behind-waf`: the dashboard load balancer only answers allow-listed addresses.
 *
 * Every `aws_lb` (or `aws_alb`) tagged `lure:component = dashboard` must be associated
 * (`aws_wafv2_web_acl_association`) with an `aws_wafv2_web_acl` whose default action blocks and
 * which has an `allow` rule restricted to `aws_wafv2_ip_set`s with no `/0` address.
 *
 * An allow rule is "restricted" when its statement is an `ip_set_reference_statement` to such a set,
 * an `or_statement` whose branches are all restricted, or an `and_statement` with at least one
 * restricted branch. An `or_statement` with a branch that is not an IP set (a geo match, say) lets
 * more than the allow-list in and does not count.
 */
import type { Attributes, PolicyRule, SynthesizedStack, Violation } from "../types";
import { asStringList, blockList, findBlock, hasBlock, isComponent, parseReferences, refersTo, resourcesOf, singleBlock, tagsOf } from "../util";
import type { StackBlock } from "../util";
import { TAG_KEYS } from "../../naming";
import { cidrBounds } from "../../cidr";

const RULE_ID = "dashboard-behind-waf";

/** Tag on the web ACL that records the config's explicit world-open opt-in. */
export const WORLD_OPEN_TAG = TAG_KEYS.worldOpen;

/** True when the CIDRs together cover a whole address family (e.g. 0.0.0.0/1 + 128.0.0.0/1). */
export function coversWholeSpace(cidrs: readonly string[]): boolean {
  for (const v6 of [false, true]) {
    const ranges = cidrs
      .map(cidrBounds)
      .filter((r): r is NonNullable<ReturnType<typeof cidrBounds>> => r !== undefined && (r.version === 6) === v6)
      .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    let next = 0n;
    for (const r of ranges) {
      if (r.first > next) break;
      if (r.last + 1n > next) next = r.last + 1n;
    }
    if (ranges.length > 0 && next === 1n << (v6 ? 128n : 32n)) return true;
  }
  return false;
}

/** Why an IP set cannot back an allow-list, or `undefined` when it can. */
function ipSetProblem(set: StackBlock, worldAccepted: boolean): string | undefined {
  const raw = set.body["addresses"];
  if (!Array.isArray(raw)) return `${set.address} has no literal addresses list`;
  const addresses = asStringList(raw) ?? [];
  const world = addresses.filter((a) => /\/0$/.test(a.trim()));
  if (world.length > 0) return `${set.address} contains ${world.join(", ")}`;
  if (coversWholeSpace(addresses) && !worldAccepted) {
    return `${set.address} covers the whole address space (${addresses.join(", ")}) without the web ACL's ${WORLD_OPEN_TAG}=accepted opt-in tag`;
  }
  return undefined;
}

/** Problems that keep `statement` from restricting traffic to IP allow-lists (empty when it does). */
function restrictionProblems(stack: SynthesizedStack, statement: Attributes | undefined, worldAccepted: boolean, depth = 0): string[] {
  if (!statement || depth > 10) return ["the statement is not an IP set reference"];
  const ipSet = singleBlock(statement["ip_set_reference_statement"]);
  if (ipSet) {
    const refs = parseReferences(ipSet["arn"]).filter((r) => r.kind === "resource" && r.type === "aws_wafv2_ip_set");
    if (refs.length === 0) return [`ip_set_reference_statement ${JSON.stringify(ipSet["arn"])} does not reference an aws_wafv2_ip_set in the stack`];
    return refs.flatMap((r) => {
      const set = findBlock(stack, r);
      if (!set) return [`${r.address} is not defined in the stack`];
      const problem = ipSetProblem(set, worldAccepted);
      return problem ? [problem] : [];
    });
  }
  const or = singleBlock(statement["or_statement"]);
  if (or) {
    const branches = blockList(or["statement"]);
    if (branches.length === 0) return ["or_statement has no statements"];
    return branches.flatMap((b) => restrictionProblems(stack, b, worldAccepted, depth + 1));
  }
  const and = singleBlock(statement["and_statement"]);
  if (and) {
    const results = blockList(and["statement"]).map((b) => restrictionProblems(stack, b, worldAccepted, depth + 1));
    if (results.some((r) => r.length === 0)) return [];
    return results.length === 0 ? ["and_statement has no statements"] : results.flat();
  }
  const kind = Object.keys(statement)[0];
  return [`${kind ?? "an empty statement"} is not an IP set reference`];
}

/** Why `acl` does not make the dashboard allow-list only (empty when it does). */
function aclProblems(stack: SynthesizedStack, acl: StackBlock): string[] {
  const problems: string[] = [];
  const defaultAction = singleBlock(acl.body["default_action"]);
  if (hasBlock(defaultAction, "allow") || !hasBlock(defaultAction, "block")) {
    problems.push("its default_action is not block");
  }
  const allowRules = blockList(acl.body["rule"]).filter((r) => hasBlock(singleBlock(r["action"]), "allow"));
  const worldAccepted = tagsOf(acl.body)[WORLD_OPEN_TAG] === "accepted";
  const ruleProblems = allowRules.map((r) => ({ name: r["name"], problems: restrictionProblems(stack, singleBlock(r["statement"]), worldAccepted) }));
  if (!ruleProblems.some((r) => r.problems.length === 0)) {
    const details = ruleProblems.map((r) => `rule ${JSON.stringify(r.name)}: ${r.problems.join("; ")}`);
    const ruleJson = acl.body["rule_json"] !== undefined ? " (rule_json is not inspected)" : "";
    problems.push(
      allowRules.length === 0
        ? `it has no allow rule${ruleJson}`
        : `none of its allow rules is restricted to aws_wafv2_ip_set allow-lists without /0 (${details.join(" | ")})${ruleJson}`,
    );
  }
  return problems;
}

/** See the file header. */
export const dashboardBehindWaf: PolicyRule = {
  id: RULE_ID,
  description: "Dashboard load balancers sit behind a WAF web ACL that blocks by default and allows only IP sets without /0.",
  check(stack: SynthesizedStack): Violation[] {
    const violations: Violation[] = [];
    const balancers = [...resourcesOf(stack, "aws_lb"), ...resourcesOf(stack, "aws_alb")].filter((lb) => isComponent(lb.body, "dashboard"));
    const associations = resourcesOf(stack, "aws_wafv2_web_acl_association");
    for (const lb of balancers) {
      const mine = associations.filter((a) => refersTo(a.body["resource_arn"], lb.type, lb.name));
      if (mine.length === 0) {
        violations.push({
          ruleId: RULE_ID,
          resource: lb.address,
          message: `dashboard load balancer ${lb.address} has no aws_wafv2_web_acl_association: it is open to anyone who can reach it.`,
        });
        continue;
      }
      const findings = mine.map((association) => {
        const aclRefs = parseReferences(association.body["web_acl_arn"]).filter((r) => r.kind === "resource" && r.type === "aws_wafv2_web_acl");
        const acl = aclRefs[0] && findBlock(stack, aclRefs[0]);
        if (!acl) return { association, problems: [`its web_acl_arn ${JSON.stringify(association.body["web_acl_arn"])} is not an aws_wafv2_web_acl in the stack`] };
        return { association, acl, problems: aclProblems(stack, acl) };
      });
      if (findings.some((f) => f.problems.length === 0)) continue;
      for (const f of findings) {
        const subject = f.acl ? `${f.acl.address} (via ${f.association.address})` : f.association.address;
        violations.push({
          ruleId: RULE_ID,
          resource: lb.address,
          message: `dashboard load balancer ${lb.address} is not allow-listed by ${subject}: ${f.problems.join("; ")}.`,
        });
      }
    }
    return violations;
  },
};
