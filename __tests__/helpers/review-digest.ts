/**
 * What a reviewer should notice changing in a synthesized stack (`cdktf.out/stacks/<name>/cdk.tf.json`),
 * small enough to read as a snapshot and stable against changes that mean nothing:
 *
 * ```ts
 * expect(reviewDigest(JSON.parse(readFileSync("cdktf.out/stacks/aws-honeynet/cdk.tf.json", "utf8")))).toMatchSnapshot();
 * ```
 *
 * Every section is a sorted list of one-line strings, so a change is a line added or removed:
 * - `stack`: state backend and provider settings (region, zone); never provider or Terraform versions.
 * - `resources`: every resource address, sorted by type. cdktf's 8-hex path hash is left off (it follows
 *   from the construct path the name already shows; kept where two names would otherwise meet), and a
 *   resource every honeypot has is one `Honeypot-*` line (the honeypots are listed in `honeypots`).
 *   Firewall rule resources are not listed here: `exposure` shows what they open, by the group they open.
 * - `exposure`: ports, protocols and peers of security groups and their rules, network ACLs, NSG rules,
 *   Google firewalls, listeners and forwarding rules, public IPs, service ingress settings and public IAM members.
 *   Rules of one owner, direction, protocol and peer are one line with their ports merged, across rule
 *   resources too (`in tcp/22,23 from 0.0.0.0/0`); an NSG deny shows its priority, an allow does not.
 * - `allowLists`: WAF IP sets and web ACLs, Cloud Armor rules, as the JSON holds them.
 * - `runtimeState`: what Terraform is told to ignore (`lifecycle.ignore_changes`): state kept out of it on purpose.
 * - `functions`, `schedules`, `images`: runtimes, schedule expressions and container/VM images.
 * - `outputs`: the output names.
 * Asset hashes, `*_sha256` and `source_code_hash` never enter; hashes in object keys, asset paths and
 * image digests are replaced by `<hash>` / `<digest>` wherever a string is shown.
 */
import type { Json } from "./synth";

export interface ReviewDigest {
  stack: string[];
  honeypots?: string[];
  resources: string[];
  exposure: string[];
  allowLists: string[];
  runtimeState: string[];
  functions: string[];
  schedules: string[];
  images: string[];
  outputs: string;
}

/** Rule resources that `exposure` shows by the group they belong to. */
const RULE_TYPES = new Set(["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule", "azurerm_network_security_rule"]);
const HASH_SUFFIX = /_[0-9A-F]{8}$/;
const SINGLE_REF = /^\$\{(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)((?:\.|\[)[^}]*)?\}$/;

/** Hashes that change with every build: asset folders, content hashes in names, image digests. */
export function scrub(text: string): string {
  return text
    .replace(/sha256:[0-9a-f]{64}/g, "sha256:<digest>")
    .replace(/(assets\/[A-Za-z0-9_-]+?)(?:_[0-9A-F]{8})?\/[A-Za-z0-9+=_-]{16,}\//g, "$1/<hash>/")
    .replace(/[0-9a-f]{12,}/g, "<hash>")
    .replace(/[A-Za-z0-9+/]{40,}={0,2}/g, "<hash>");
}

interface Named {
  /** `type.name`, hash suffix off where unambiguous. */
  name: string;
  /** The same with the honeypot's part as `Honeypot-*`. */
  template: string;
  honeypot?: string;
}

/** A line, and the line it becomes when the honeypot it belongs to is written `*`. */
interface Line {
  text: string;
  template: string;
  honeypot?: string;
}

export function reviewDigest(stack: Json): ReviewDigest {
  const resource = (stack.resource ?? {}) as Record<string, Record<string, Json>>;
  const names = nameResources(resource);
  const honeypots = [...new Set([...names.values()].flatMap((n) => (n.honeypot ? [n.honeypot] : [])))].sort();

  /** A string of the JSON as a reviewer reads it: references by short name, hashes scrubbed. */
  const show = (value: unknown, as: "name" | "template"): string => {
    if (typeof value !== "string") return JSON.stringify(value);
    const m = SINGLE_REF.exec(value);
    if (m && !m[1]) {
      const n = names.get(`${m[2]}.${m[3]}`);
      if (n) return n[as];
    }
    return scrub(value);
  };
  const sections: Record<Described["to"], Line[]> = { exposure: [], allowLists: [], functions: [], schedules: [], images: [] };
  const { exposure, allowLists, functions, schedules, images } = sections;
  const runtimeState: Line[] = [];
  const listed: Line[] = [];
  /** A line of `owner` built from `parts`: strings as they are, `{ v }` shown as JSON values or references. */
  const line = (owner: string, parts: Part[]): Line => {
    const resolved = parts.map((p) => (p === SELF ? { v: `\${${owner}.id}` } : p));
    const build = (as: "name" | "template") => resolved.map((p) => (typeof p === "string" ? scrub(p) : show(p.v, as))).join("");
    return { text: build("name"), template: build("template"), honeypot: names.get(owner)?.honeypot };
  };

  /**
   * Port rules merged across resources (one rule resource a port is the usual AWS and Azure shape):
   * by owner, direction, protocol and peer as shown, so `in tcp/22,23 from 0.0.0.0/0`.
   */
  const rules = new Map<string, { head: Line; tail: Line; ports: Set<string>; anyPort: boolean; honeypots: Set<string | undefined> }>();
  for (const [type, byName] of Object.entries(resource)) {
    for (const [id, body] of Object.entries(byName)) {
      const address = `${type}.${id}`;
      if (!RULE_TYPES.has(type)) listed.push(line(address, [SELF]));
      const ignored = body.lifecycle?.ignore_changes;
      if (ignored) runtimeState.push(line(address, [SELF, ` ignores ${Array.isArray(ignored) ? ignored.map((i: string) => scrub(i)).join(", ") : scrub(String(ignored))}`]));
      const described = describe(type, body);
      for (const d of described.lines) sections[d.to].push(line(address, d.parts));
      for (const r of described.rules) {
        const head = line(address, [r.owner, ` ${r.verb} ${r.proto}`]);
        const tail = line(address, r.peer);
        const key = JSON.stringify([head.text, tail.text]);
        const merged = rules.get(key) ?? { head, tail, ports: new Set<string>(), anyPort: false, honeypots: new Set<string | undefined>() };
        if (r.port) merged.ports.add(r.port);
        else merged.anyPort = true;
        merged.honeypots.add(names.get(address)?.honeypot);
        rules.set(key, merged);
      }
    }
  }
  for (const { head, tail, ports: ps, anyPort, honeypots: hps } of rules.values()) {
    // A rule of every port covers the ones listed beside it: the line says so by listing none.
    const p = anyPort || !ps.size ? "" : `/${[...ps].sort(portSort).join(",")}`;
    exposure.push({ text: `${head.text}${p}${tail.text}`, template: `${head.template}${p}${tail.template}`, honeypot: hps.size === 1 ? [...hps][0] : undefined });
  }

  const collapse = (ls: Line[]): string[] => {
    const out = new Set<string>();
    const groups = new Map<string, Line[]>();
    for (const l of ls) {
      if (!l.honeypot || honeypots.length < 2) out.add(l.text);
      else groups.set(l.template, [...(groups.get(l.template) ?? []), l]);
    }
    for (const [template, group] of groups) {
      const covered = new Set(group.map((l) => l.honeypot));
      if (covered.size === honeypots.length && group.length === honeypots.length) out.add(template);
      else for (const l of group) out.add(l.text);
    }
    return [...out].sort();
  };

  const digest: ReviewDigest = {
    stack: stackSettings(stack),
    resources: collapse(listed),
    exposure: collapse(exposure),
    allowLists: collapse(allowLists),
    runtimeState: collapse(runtimeState),
    functions: collapse(functions),
    schedules: collapse(schedules),
    images: [...new Set(images.map((l) => l.text))].sort(),
    outputs: Object.keys(stack.output ?? {}).map(scrub).sort().join(", "),
  };
  const { stack: settings, ...rest } = digest;
  return honeypots.length >= 2 ? { stack: settings, honeypots, ...rest } : digest;
}

/** Short names: hash suffix off unless two resources of a type would then share one. */
function nameResources(resource: Record<string, Record<string, Json>>): Map<string, Named> {
  const out = new Map<string, Named>();
  for (const [type, byName] of Object.entries(resource)) {
    const short = (id: string) => id.replace(HASH_SUFFIX, "");
    const seen = new Map<string, number>();
    for (const id of Object.keys(byName)) seen.set(short(id), (seen.get(short(id)) ?? 0) + 1);
    for (const [id, body] of Object.entries(byName)) {
      const name = seen.get(short(id)) === 1 ? short(id) : id;
      // Honeypot names are T-Pot's (letters, digits, `_`): the construct path ends the part at `-` or `/`.
      const hp = /(?:^|\/)Honeypot-([A-Za-z0-9_]+)/.exec(String(body["//"]?.metadata?.path ?? ""))?.[1];
      const at = hp === undefined ? -1 : name.indexOf(`Honeypot-${hp}`);
      const template = at === -1 ? name : `${name.slice(0, at)}Honeypot-*${name.slice(at + `Honeypot-${hp}`.length)}`;
      out.set(`${type}.${id}`, { name: `${type}.${name}`, template: `${type}.${template}`, honeypot: at === -1 ? undefined : hp });
    }
  }
  return out;
}

function stackSettings(stack: Json): string[] {
  const out: string[] = [];
  for (const [kind, settings] of Object.entries((stack.terraform?.backend ?? {}) as Record<string, Json>)) {
    out.push(`backend ${kind} ${Object.entries(settings).map(([k, v]) => `${k}=${scrub(String(v))}`).sort().join(" ")}`);
  }
  for (const [provider, blocks] of Object.entries((stack.provider ?? {}) as Record<string, Json[]>)) {
    for (const block of blocks) {
      const where = ["alias", "region", "location", "zone", "project", "subscription_id"].filter((k) => block[k] !== undefined).map((k) => `${k}=${scrub(String(block[k]))}`);
      out.push(`provider ${provider}${where.length ? ` ${where.join(" ")}` : ""}`);
    }
  }
  return out.sort();
}

const SELF = Symbol("self");
type Part = string | { v: unknown } | typeof SELF;
interface Described {
  to: "exposure" | "allowLists" | "functions" | "schedules" | "images";
  parts: Part[];
}

const ports = (from: unknown, to: unknown) => (from === undefined || from === null ? "" : from === to || to === undefined ? `${from}` : `${from}-${to}`);
const protocol = (p: unknown) => (p === "-1" || p === -1 || p === "*" ? "all" : String(p).toLowerCase());
const portSort = (a: string, b: string) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/**
 * One port (or every port: `port` "") of a rule: merged across resources by owner, `verb`
 * (direction, and access where the rule says it), protocol and peer, into `in tcp/22,23 from 0.0.0.0/0`.
 */
interface PortRule {
  owner: Part;
  verb: string;
  proto: string;
  /** ` from 0.0.0.0/0`: parts, shown as references where they are. */
  peer: Part[];
  port: string;
}

/** The review lines of one resource, and its port rules (merged by the caller with those of other resources). */
function describe(type: string, b: Json): { lines: Described[]; rules: PortRule[] } {
  const out: Described[] = [];
  const exposure = (...parts: Part[]) => out.push({ to: "exposure", parts });
  const portRules: PortRule[] = [];
  /** `head`: verb, protocol, then the peer's parts. */
  const rules = { add: (owner: Part, [verb, proto, ...peer]: Part[], port: string) => portRules.push({ owner, verb: String(verb), proto: String(proto), peer, port }) };
  // One rule per peer, so that merging by peer stays exact.
  const awsRule = (owner: Part, dir: string, r: Json) => {
    const word = dir === "in" ? "from" : "to";
    const peers: Part[][] = [
      ...[r.cidr_ipv4, r.cidr_ipv6, r.prefix_list_id, ...list(r.cidr_blocks), ...list(r.ipv6_cidr_blocks), ...list(r.prefix_list_ids)].filter((x) => x).map((x) => [` ${word} ${x}`]),
      ...[r.referenced_security_group_id, r.source_security_group_id, ...list(r.security_groups)].filter((x) => x).map((x) => [` ${word} `, { v: x }]),
      ...(r.self ? [[` ${word} self`]] : []),
    ];
    const proto = protocol(r.ip_protocol ?? r.protocol);
    for (const peer of peers.length ? peers : [[` ${word} (none)`]]) rules.add(owner, [dir, proto, ...peer], proto === "all" ? "" : ports(r.from_port, r.to_port));
  };

  switch (type) {
    case "aws_vpc_security_group_ingress_rule":
    case "aws_vpc_security_group_egress_rule":
      awsRule({ v: b.security_group_id }, type.endsWith("ingress_rule") ? "in" : "out", b);
      break;
    case "aws_security_group_rule":
      awsRule({ v: b.security_group_id }, b.type === "ingress" ? "in" : "out", b);
      break;
    case "aws_security_group":
    case "aws_default_security_group":
      for (const r of list(b.ingress) as Json[]) awsRule(SELF, "in", r);
      for (const r of list(b.egress) as Json[]) awsRule(SELF, "out", r);
      if (type === "aws_default_security_group" && !list(b.ingress).length && !list(b.egress).length) exposure(SELF, " admits and sends nothing");
      break;
    case "aws_network_acl":
      for (const [dir, entries] of [["in", b.ingress], ["out", b.egress]] as const)
        for (const r of list(entries) as Json[]) {
          const proto = protocol(r.protocol);
          const p = proto === "all" ? "" : `/${ports(r.from_port, r.to_port)}`;
          exposure(SELF, ` #${r.rule_no} ${dir} ${r.action} ${proto}${p} ${dir === "in" ? "from" : "to"} ${r.cidr_block ?? r.ipv6_cidr_block}`);
        }
      break;
    case "aws_lb":
      exposure(SELF, ` ${b.internal ? "internal" : "internet-facing"} ${b.load_balancer_type ?? "application"}`);
      break;
    case "aws_lb_listener":
      exposure(SELF, ` listens ${b.protocol}/${b.port} on `, { v: b.load_balancer_arn }, ...(b.certificate_arn ? [" with a certificate"] : []));
      break;
    case "aws_ecs_service":
      if (b.network_configuration?.assign_public_ip) exposure(SELF, " public IP");
      break;
    case "aws_instance":
    case "aws_launch_template":
      if (b.associate_public_ip_address) exposure(SELF, " public IP");
      break;
    case "azurerm_network_security_rule":
    case "azurerm_network_security_group": {
      const nsgRules = type === "azurerm_network_security_rule" ? [b] : (list(b.security_rule) as Json[]);
      const owner: Part = type === "azurerm_network_security_rule" ? { v: b.network_security_group_name } : SELF;
      for (const r of nsgRules) {
        const dir = r.direction === "Outbound" ? "out" : "in";
        const src = [r.source_address_prefix, ...list(r.source_address_prefixes)].filter((x) => x !== undefined).join(",");
        const dst = [r.destination_address_prefix, ...list(r.destination_address_prefixes)].filter((x) => x !== undefined).join(",");
        // A deny's priority says which allows it overrides (lower first); an allow's, one per port, would only split the line.
        const deny = String(r.access).toLowerCase() === "deny";
        const head: Part[] = [`${dir} ${String(r.access).toLowerCase()}`, protocol(r.protocol), ` from ${src || "*"}${dst && dst !== "*" ? ` to ${dst}` : ""}${deny && r.priority !== undefined ? ` priority ${r.priority}` : ""}`];
        const rangeList = [r.destination_port_range, ...list(r.destination_port_ranges)].filter((x) => x !== undefined && x !== "*");
        if (!rangeList.length) rules.add(owner, head, "");
        for (const p of rangeList) rules.add(owner, head, String(p));
      }
      break;
    }
    case "azurerm_network_interface":
      for (const ip of list(b.ip_configuration) as Json[]) if (ip.public_ip_address_id) exposure(SELF, " public IP ", { v: ip.public_ip_address_id });
      break;
    case "azurerm_application_gateway": {
      const portOf = Object.fromEntries((list(b.frontend_port) as Json[]).map((p) => [p.name, p.port]));
      for (const l of list(b.http_listener) as Json[]) exposure(SELF, ` listens ${l.protocol}/${portOf[l.frontend_port_name]} on ${l.frontend_ip_configuration_name}`);
      break;
    }
    case "azurerm_container_app":
      if (b.ingress) exposure(SELF, ` ingress ${b.ingress.external_enabled ? "external" : "internal"} ${b.ingress.transport ?? ""}/${b.ingress.target_port}${b.ingress.allow_insecure_connections ? " insecure allowed" : ""}`);
      for (const c of list(b.template?.container) as Json[]) out.push({ to: "images", parts: [c.image] });
      break;
    case "azurerm_container_app_environment":
      exposure(SELF, b.internal_load_balancer_enabled ? " internal load balancer" : " public load balancer");
      break;
    case "azurerm_linux_function_app":
    case "azurerm_windows_function_app":
      exposure(SELF, ` public network access ${b.public_network_access_enabled === false ? "off" : "on"}${b.https_only ? ", https only" : ""}`);
      out.push({ to: "functions", parts: [SELF, ` ${Object.entries(b.site_config?.application_stack ?? {}).map(([k, v]) => `${k} ${v}`).join(", ")}`] });
      break;
    case "azurerm_linux_virtual_machine": {
      const i = b.source_image_reference;
      if (i) out.push({ to: "images", parts: [`${i.publisher}/${i.offer}/${i.sku}:${i.version} (Azure VM)`] });
      break;
    }
    case "google_compute_firewall": {
      const dir = b.direction === "EGRESS" ? "out" : "in";
      const peers = dir === "in" ? [...list(b.source_ranges), ...list(b.source_tags).map((t) => `tag:${t}`), ...list(b.source_service_accounts).map((s) => `sa:${s}`)] : list(b.destination_ranges);
      const targets = [...list(b.target_tags).map((t) => `tag:${t}`), ...list(b.target_service_accounts).map((s) => `sa:${s}`)];
      for (const action of ["allow", "deny"])
        for (const a of list(b[action]) as Json[]) {
          const head: Part[] = [`${dir} ${action}`, protocol(a.protocol), ` ${dir === "in" ? "from" : "to"} ${peers.join(",") || "(none)"} on ${targets.join(",") || "every instance"}${b.priority !== undefined && b.priority !== 1000 ? ` priority ${b.priority}` : ""}${b.disabled ? " (disabled)" : ""}`];
          if (!list(a.ports).length) rules.add(SELF, head, "");
          for (const p of list(a.ports)) rules.add(SELF, head, String(p));
        }
      break;
    }
    case "google_compute_global_forwarding_rule":
    case "google_compute_forwarding_rule":
      exposure(SELF, ` listens ${b.ip_protocol ?? "TCP"}/${b.port_range ?? (list(b.ports).join(",") || "all")} ${b.load_balancing_scheme ?? "EXTERNAL"} to `, { v: b.target ?? b.backend_service });
      break;
    case "google_compute_instance":
      for (const ni of list(b.network_interface) as Json[]) if (list(ni.access_config).length) exposure(SELF, " external IP");
      if (b.boot_disk?.initialize_params?.image) out.push({ to: "images", parts: [`${b.boot_disk.initialize_params.image} (Compute Engine)`] });
      break;
    case "google_cloud_run_v2_service":
      exposure(SELF, ` ingress ${String(b.ingress ?? "INGRESS_TRAFFIC_ALL").replace(/^INGRESS_TRAFFIC_/, "")}${b.invoker_iam_disabled ? ", invoker IAM check off" : ""}`);
      for (const c of list(b.template?.containers) as Json[]) out.push({ to: "images", parts: [c.image] });
      break;
    case "google_cloudfunctions2_function":
      exposure(SELF, ` ingress ${b.service_config?.ingress_settings ?? "ALLOW_ALL"}`);
      out.push({ to: "functions", parts: [SELF, ` ${b.build_config?.runtime} ${b.build_config?.entry_point}`] });
      break;
    case "aws_lambda_function":
      out.push({ to: "functions", parts: [SELF, ` ${b.runtime ?? b.package_type ?? ""} ${list(b.architectures).join(",") || "x86_64"}`] });
      if (b.image_uri) out.push({ to: "images", parts: [b.image_uri] });
      break;
    case "aws_ecs_task_definition":
      for (const c of JSON.parse(typeof b.container_definitions === "string" ? b.container_definitions : "[]") as Json[]) out.push({ to: "images", parts: [c.image] });
      break;
    case "aws_scheduler_schedule":
    case "aws_cloudwatch_event_rule":
      if (b.schedule_expression) out.push({ to: "schedules", parts: [SELF, ` ${b.schedule_expression}${b.schedule_expression_timezone ? ` ${b.schedule_expression_timezone}` : ""}`] });
      break;
    case "google_cloud_scheduler_job":
      out.push({ to: "schedules", parts: [SELF, ` ${b.schedule}${b.time_zone ? ` ${b.time_zone}` : ""}`] });
      break;
    case "aws_wafv2_ip_set":
      out.push({ to: "allowLists", parts: [SELF, ` ${list(b.addresses).join(", ") || "(empty)"}`] });
      break;
    case "aws_wafv2_web_acl":
      out.push({ to: "allowLists", parts: [SELF, ` default ${Object.keys(b.default_action ?? {}).join("")}`] });
      for (const r of list(b.rule) as Json[]) {
        const ipSet = r.statement?.ip_set_reference_statement?.arn;
        const what: Part[] = ipSet ? [" ip set ", { v: ipSet }] : [` ${Object.keys(r.statement ?? {}).join(",")}`];
        out.push({ to: "allowLists", parts: [SELF, ` #${r.priority} ${Object.keys(r.action ?? r.override_action ?? {}).join("")}`, ...what] });
      }
      break;
    case "google_compute_security_policy":
      for (const r of list(b.rule) as Json[]) {
        const match = r.match?.config?.src_ip_ranges ? list(r.match.config.src_ip_ranges).join(", ") : r.match?.expr?.expression ? `expr ${r.match.expr.expression}` : "?";
        out.push({ to: "allowLists", parts: [SELF, ` #${r.priority} ${r.action} ${match}${r.preview ? " (preview)" : ""}`] });
      }
      break;
  }
  if (/_iam_(member|binding)$/.test(type)) {
    const members = [b.member, ...list(b.members)].filter((m) => m === "allUsers" || m === "allAuthenticatedUsers");
    for (const m of members) exposure(SELF, ` ${b.role} to ${m} on `, { v: b.name ?? b.service ?? b.bucket ?? b.project });
  }
  return { lines: out, rules: portRules };
}
