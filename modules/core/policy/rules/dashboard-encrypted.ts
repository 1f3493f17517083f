/**
 * `dashboard-encrypted`: the dashboard is served over TLS, or the config accepted plain HTTP.
 *
 * Kibana has no login of its own: behind the allow-list, anyone on the path of a plain-HTTP session
 * reads the captured data. Every `aws_lb_listener` tagged `lure:component = dashboard` must use HTTPS
 * (or TLS), only redirect to HTTPS (the HTTP → HTTPS listener), or carry `lure:plaintext = accepted`, the
 * config's `allowPlaintext` opt-in made visible.
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { blockList, isComponent, resourcesOf, tagsOf } from "../util";
import { TAG_KEYS } from "../../naming";

const RULE_ID = "dashboard-encrypted";

/** See the file header. */
export const dashboardEncrypted: PolicyRule = {
  id: RULE_ID,
  description: "Every dashboard load-balancer listener uses HTTPS, only redirects to HTTPS, or carries the plain-HTTP opt-in tag.",
  check(stack: SynthesizedStack): Violation[] {
    return resourcesOf(stack, "aws_lb_listener")
      .filter((l) => isComponent(l.body, "dashboard"))
      .filter((l) => {
        const protocol = String(l.body["protocol"] ?? "HTTP").toUpperCase();
        if (protocol === "HTTPS" || protocol === "TLS") return false;
        const actions = blockList(l.body["default_action"]);
        // Only a redirect to HTTPS keeps the session off plain HTTP.
        const toHttps = (a: Record<string, unknown>) => a["type"] === "redirect" && blockList(a["redirect"]).some((r) => String(r["protocol"] ?? "").toUpperCase() === "HTTPS");
        if (actions.length > 0 && actions.every(toHttps)) return false;
        return tagsOf(l.body)[TAG_KEYS.plaintext] !== "accepted";
      })
      .map((l) => ({
        ruleId: RULE_ID,
        resource: l.address,
        message: `${l.address} serves the dashboard over ${String(l.body["protocol"] ?? "HTTP")} without the config's opt-in; give honeynet.dashboard a certificateArn, or set allowPlaintext: true (tag ${TAG_KEYS.plaintext}=accepted).`,
      }));
  },
};
