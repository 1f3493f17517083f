/**
 * `dashboard-encrypted`: the dashboard is served over TLS, or the config accepted plain HTTP.
 *
 * Kibana has no login of its own: behind the allow-list, anyone on the path of a plain-HTTP session
 * reads the captured data. Every `aws_lb_listener` tagged `lure:component = dashboard` must use HTTPS
 * (or TLS), only redirect to HTTPS (the HTTP → HTTPS listener), or carry `lure:plaintext = accepted`, the
 * config's `allowPlaintext` opt-in made visible.
 *
 * On Google Cloud every forwarding rule (global or regional) labelled `lure-component = dashboard`
 * must target an HTTPS (or SSL) proxy of the stack, an HTTP proxy whose URL map only redirects to
 * HTTPS (`default_url_redirect.https_redirect = true`, no service), or carry the label
 * `lure-plaintext = true`, the same opt-in. A target that is not a proxy of the stack (a TCP proxy,
 * a literal) counts as plain HTTP: nothing shows that it terminates TLS.
 */
import type { PolicyRule, SynthesizedStack, Violation } from "../types";
import { blockList, componentOf, findBlock, isComponent, isRecord, parseReferences, resourcesOf, singleBlock, tagsOf } from "../util";
import type { StackBlock } from "../util";
import { LABEL_KEYS } from "../../labels";
import { TAG_KEYS } from "../../naming";

const RULE_ID = "dashboard-encrypted";

const TLS_PROXIES: readonly string[] = ["google_compute_target_https_proxy", "google_compute_region_target_https_proxy", "google_compute_target_ssl_proxy"];
const HTTP_PROXIES: readonly string[] = ["google_compute_target_http_proxy", "google_compute_region_target_http_proxy"];

/** True when the HTTP proxy's URL map serves nothing and only redirects to HTTPS. */
function redirectsToHttps(stack: SynthesizedStack, proxy: StackBlock): boolean {
  const ref = parseReferences(proxy.body["url_map"]).find((r) => r.kind === "resource" && r.type.endsWith("url_map"));
  const map = ref && findBlock(stack, ref);
  if (!map) return false;
  const redirect = singleBlock(map.body["default_url_redirect"]);
  const toHttps = redirect?.["https_redirect"] === true || redirect?.["https_redirect"] === "true";
  return toHttps && map.body["default_service"] === undefined && map.body["path_matcher"] === undefined && map.body["host_rule"] === undefined;
}

/** Dashboard forwarding rules that serve plain HTTP without the `lure-plaintext = true` label. */
function gcpViolations(stack: SynthesizedStack): Violation[] {
  return ["google_compute_global_forwarding_rule", "google_compute_forwarding_rule"]
    .flatMap((type) => resourcesOf(stack, type))
    .filter((r) => componentOf(r.body) === "dashboard")
    .flatMap((r) => {
      const labels = r.body["labels"];
      if (isRecord(labels) && labels[LABEL_KEYS.plaintext] === "true") return [];
      const ref = parseReferences(r.body["target"]).find((t) => t.kind === "resource");
      const proxy = ref && findBlock(stack, ref);
      if (proxy && TLS_PROXIES.includes(proxy.type)) return [];
      if (proxy && HTTP_PROXIES.includes(proxy.type) && redirectsToHttps(stack, proxy)) return [];
      const what = proxy ? `plain HTTP through ${proxy.address}` : `target ${JSON.stringify(r.body["target"] ?? null)}, which is not a TLS proxy of this stack,`;
      return [
        {
          ruleId: RULE_ID,
          resource: r.address,
          message: `${r.address} serves the dashboard over ${what} without the config's opt-in; give honeynet.dashboard a domain, or set allowPlaintext: true (label ${LABEL_KEYS.plaintext}=true).`,
        },
      ];
    });
}

/** See the file header. */
export const dashboardEncrypted: PolicyRule = {
  id: RULE_ID,
  description: "Every dashboard load-balancer listener or forwarding rule uses HTTPS, only redirects to HTTPS, or carries the plain-HTTP opt-in tag or label.",
  check(stack: SynthesizedStack): Violation[] {
    const aws = resourcesOf(stack, "aws_lb_listener")
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
    return [...aws, ...gcpViolations(stack)];
  },
};
