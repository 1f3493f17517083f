/**
 * No problem is worded by zod ("Too small: expected number to be >=1"): every check is phrased in
 * lure's style, the value first, then what is allowed. A walk over the schema finds every check that
 * could fall back on zod's wording (bounds, lengths, formats, fixed lists), and a bad value for each
 * must give a message without it.
 */
import { configSchema, validateConfig, type ConfigProblem } from "../../modules/core/config";
import { defaultConfigInput, type Json } from "../helpers/synth";
import { EXISTING_TARGET } from "../helpers/variants";

/** zod's default phrasing, which must never reach the user. */
const ZOD_WORDING = /Too small|Too big|Invalid|expected|>=|<=|\u0000/;

type Def = { type: string; innerType?: unknown; in?: unknown; out?: unknown; shape?: Record<string, unknown>; valueType?: unknown; element?: unknown; options?: unknown[] };
const internals = (s: unknown) => (s as { _zod: { def: Def; bag?: Record<string, unknown> } })._zod;

/** Paths (`*` for a record key, `[]` for a list entry) of every check that bounds, formats or lists values. */
function checkedPaths(s: unknown, path: string, out: Set<string>): Set<string> {
  const { def, bag = {} } = internals(s);
  if (def.innerType) return checkedPaths(def.innerType, path, out);
  // A pipe checks with its input schema, a preprocess (transform, then schema) with its output.
  if (def.type === "pipe") return checkedPaths(internals(def.in).def.type === "transform" ? def.out : def.in, path, out);
  const bounded = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "format"].some((k) => bag[k] !== undefined);
  if (def.type === "object") for (const [k, v] of Object.entries(def.shape ?? {})) checkedPaths(v, path ? `${path}.${k}` : k, out);
  else if (def.type === "record") checkedPaths(def.valueType, `${path}.*`, out);
  else if (def.type === "union") for (const o of def.options ?? []) checkedPaths(o, path, out);
  else if (def.type === "array") {
    if (bounded) out.add(path);
    checkedPaths(def.element, `${path}[]`, out);
  } else if (def.type === "enum" || (bounded && (def.type === "number" || def.type === "string"))) out.add(path);
  return out;
}

const ARN = EXISTING_TARGET.listenerArn;
const existing = (c: Json) => (c.quarantine = { target: structuredClone(EXISTING_TARGET), copies: { kind: "ecs", image: "example/decoy:1" } });
const cloudRunTarget = (c: Json) => ((c.clouds.gcp.quarantineTarget = { service: "shop" }), (c.quarantine.copies = { kind: "ecs", image: "example/decoy:1" }));
const asg = (c: Json) => (c.quarantine.copies = { kind: "asg", amiId: "ami-01234567" });
const s3 = (c: Json) => (c.clouds.aws.backend = { type: "s3", bucket: "my-state" });
const local = (c: Json) => (c.clouds.aws.backend = { type: "local" });
const azureLocal = (c: Json) => (c.clouds.azure.backend = { type: "local" });
const azurerm = (c: Json) => (c.clouds.azure.backend = { type: "azurerm", storageAccountName: "lurestate", containerName: "tfstate", resourceGroupName: "lure-state" });
const gcpLocal = (c: Json) => (c.clouds.gcp.backend = { type: "local" });
const gcs = (c: Json) => (c.clouds.gcp.backend = { type: "gcs", bucket: "lure-state" });
const cowrie = (c: Json) => (c.honeynet.overrides = { cowrie: {} });
const images = (c: Json) => (c.honeynet.elastic = { images: {} });
const noop = () => {};

/** A bad value for every checked path: [path as checkedPaths names it, bad values, setup the path needs]. */
const BAD: [string, unknown[], (c: Json) => void][] = [
  ["prefix", ["L", "x".repeat(13)], noop],
  ["tags.*", ["bad\u0001value", "x".repeat(257)], noop],
  ["clouds.aws.tags.*", ["bad\u0001value"], noop],
  ["clouds.azure.tags.*", ["bad\u0001value"], noop],
  ["clouds.gcp.tags.*", ["bad\u0001value"], noop],
  ["clouds.aws.backend.path", [""], local],
  ["clouds.aws.backend.bucket", ["B", ""], s3],
  ["clouds.aws.backend.key", [""], s3],
  ["clouds.azure.subscriptionId", ["not-a-uuid"], noop],
  ["clouds.azure.backend.path", [""], azureLocal],
  ["clouds.azure.backend.storageAccountName", ["Lure-State", "ab", ""], azurerm],
  ["clouds.azure.backend.containerName", ["TF", "a--b", "-tf", ""], azurerm],
  ["clouds.azure.backend.resourceGroupName", ["", "rg.", "a b", "x".repeat(91)], azurerm],
  ["clouds.azure.backend.key", ["", "k".repeat(1025)], azurerm],
  ["clouds.azure.backend.subscriptionId", ["not-a-uuid"], azurerm],
  ["clouds.azure.honeypots", [[], "industrail"], noop],
  ["clouds.azure.networkWatcher.name", ["", "-nw", "nw."], (c) => (c.clouds.azure.networkWatcher = { name: "nw", resourceGroupName: "rg" })],
  ["clouds.azure.networkWatcher.resourceGroupName", ["", "rg.", "a b"], (c) => (c.clouds.azure.networkWatcher = { name: "nw", resourceGroupName: "rg" })],
  ["clouds.gcp.project", ["P"], noop],
  ["clouds.gcp.backend.path", [""], gcpLocal],
  ["clouds.gcp.backend.bucket", ["B", "", "goog-state", "a..b"], gcs],
  ["clouds.gcp.backend.prefix", ["", "with space"], gcs],
  ["clouds.gcp.honeypots", [[], "industrail"], noop],
  ["clouds.gcp.quarantineTarget.service", ["Shop", "-shop", "s".repeat(50)], cloudRunTarget],
  ["clouds.gcp.quarantineTarget.domain", ["www", "Www.Example.org"], cloudRunTarget],
  ["honeynet.profile", [[]], noop],
  ["honeynet.capacity", ["ondemand"], noop],
  ["honeynet.overrides.*.cpu", [256.5, -1], cowrie],
  ["honeynet.overrides.*.memory", [512.5], cowrie],
  ["honeynet.overrides.*.image", [""], cowrie],
  ["honeynet.overrides.*.imageTag", ["", ".hidden", "with space"], (c) => (cowrie(c), (c.honeynet.imageRepositories = ["cowrie"]))],
  ["honeynet.overrides.*.ports", [[]], cowrie],
  ["honeynet.overrides.*.ports[]", ["22"], cowrie],
  ["honeynet.overrides.*.user", [""], cowrie],
  ["honeynet.dashboard.allowCidrs", [[]], noop],
  ["honeynet.dashboard.certificateArn", ["arn:x", ""], noop],
  ["honeynet.dashboard.domain", ["", "Kibana.Example.org", "localhost", "-a.example.org"], noop],
  ["honeynet.analytics.engine", ["opensearch"], noop],
  ["honeynet.analytics.hive", ["oracle"], noop],
  ["honeynet.analytics.hiveAllowCidrs", [[]], noop],
  ["honeynet.elastic.version", ["8.17", "8.16.0", "9.0.0"], noop],
  ["honeynet.elastic.size", ["medium", ""], noop],
  ["honeynet.elastic.images.elasticsearch", [""], images],
  ["honeynet.elastic.images.logstash", [""], images],
  ["honeynet.elastic.images.kibana", [""], images],
  ["honeynet.logRetentionDays", [30.5, 0], noop],
  ["watcher.alertEmail", ["soc"], noop],
  ["watcher.indexes", [[], ["censys"], ["shodan", "shodan"]], noop],
  ["watcher.censys.everyHours", [-1, 721, 1.5], noop],
  ["watcher.censys.organizationId", ["org-1"], noop],
  ["watcher.minRotationIntervalHours", [0, 721, 1.5], noop],
  ["watcher.resultsRetentionDays", [0, 3651, 1.5], noop],
  ["quarantine.target.listenerArn", ["arn:x", ""], existing],
  ["quarantine.target.taskDefinitionArn", ["arn:x"], existing],
  ["quarantine.target.vpcId", ["vpc-x"], existing],
  ["quarantine.target.subnetIds", [[]], existing],
  ["quarantine.target.subnetIds[]", ["subnet-x"], existing],
  ["quarantine.target.containerName", ["", "x".repeat(256)], existing],
  ["quarantine.target.containerPort", [0, 65_536, 80.5], existing],
  ["quarantine.target.albSecurityGroupId", ["sg-x"], existing],
  ["quarantine.target.realSubnetCidrs", [[], Array.from({ length: 20 }, (_, i) => `10.0.${i}.0/24`)], existing],
  ["quarantine.quietPeriodMinutes", [0, 1441, 2.5], noop],
  ["quarantine.rememberMinutes", [0, 10_081, 2.5], noop],
  ["quarantine.defenceAfter.sources", [0, 101, 1.5], noop],
  ["quarantine.defenceAfter.windowMinutes", [0, 61, 1.5], noop],
  ...(["theta0", "theta1", "alpha", "beta"] as const).map((k): [string, unknown[], (c: Json) => void] => [`quarantine.detector.trw.${k}`, [0, 1, -0.5], noop]),
  ["quarantine.detector.windowMinutes", [0, 61, 1.5], noop],
  ["quarantine.detector.verticalPorts", [1, 2.5], noop],
  ["quarantine.detector.horizontalHosts", [1, 2.5], noop],
  ["quarantine.detector.distinctPairs", [1, 2.5], noop],
  ["quarantine.detector.idleMinutes", [0, 1.5], noop],
  ["quarantine.detector.maxTargetsPerSource", [3, 4097, 4.5], noop],
  ["quarantine.detector.maxSources", [99, 10_000_001, 100.5], noop],
  ["quarantine.detector.memoryMinutes", [29, 43_201, 60.5], noop],
  ["quarantine.detector.slowFailures", [1, 17, 6.5], noop],
  ["quarantine.detector.antiSpoofing.historyMinutes", [59, 525_601, 100.5], noop],
  ["quarantine.detector.antiSpoofing.settleMinutes", [-1, 10_081, 1.5], noop],
  ["quarantine.detector.antiSpoofing.maxClients", [99, 10_000_001, 100.5], noop],
  ["quarantine.ruleQuota", [0, 1001, 1.5], noop],
  ["quarantine.albRuleLimit", [0, 1001, 1.5], noop],
  ["quarantine.firstRulePriority", [0, 50_001, 1.5], noop],
  ["quarantine.copies.image", [""], (c) => (c.quarantine.copies = { kind: "ecs" })],
  ["quarantine.copies.defenceCount", [0, 21, 1.5], (c) => (c.quarantine.copies = { kind: "ecs" })],
  ["quarantine.copies.normalCount", [-1, 21, 0.5], (c) => (c.quarantine.copies = { kind: "ecs", defenceCount: 20 })],
  ["quarantine.copies.amiId", ["ubuntu"], asg],
  ["quarantine.copies.containerPort", [0, 65_536, 80.5], (c) => (c.quarantine.copies = { kind: "ecs", image: "example/decoy:1" })],
  ["quarantine.copies.instanceType", ["big"], asg],
  ["quarantine.copies.warmPool.minSize", [-1, 21, 0.5], (c) => ((c.quarantine.copies = { kind: "asg", amiId: "ami-01234567", warmPool: {} }))],
  ["quarantine.copies.warmPool.state", ["Frozen"], (c) => ((c.quarantine.copies = { kind: "asg", amiId: "ami-01234567", warmPool: {} }))],
  ["quarantine.demo.image", [""], (c) => (c.quarantine.demo = {})],
  ["quarantine.demo.containerPort", [0, 65_536, 80.5], (c) => (c.quarantine.demo = {})],
  ["quarantine.demo.certificateArn", [ARN], (c) => (c.quarantine.demo = {})],
  ["quarantine.logRetentionDays", [7.5, 0], noop],
];

/** `path` with a record key and a list index in place of `*` and `[]`. */
const concrete = (path: string) => path.replace(".*", path.startsWith("honeynet.overrides") ? ".cowrie" : ".k").replace("[]", "[0]");

/** The config with `value` at `path`, after `setup`. */
function withValue(path: string, value: unknown, setup: (c: Json) => void): Json {
  const c = defaultConfigInput();
  setup(c);
  const keys = concrete(path).split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== "");
  let cur: Json = c;
  keys.slice(0, -1).forEach((k, i) => {
    const next = keys[i + 1];
    cur[k] ??= /^\d+$/.test(next) ? [] : {};
    cur = cur[k];
  });
  cur[keys[keys.length - 1]] = value;
  return c;
}

const problemsOf = (c: Json): ConfigProblem[] => {
  const r = validateConfig(c);
  return r.ok ? [] : r.problems;
};

test("the list covers every check that bounds, formats or lists values", () => {
  expect([...checkedPaths(configSchema, "", new Set())].sort()).toEqual(BAD.map(([path]) => path).sort());
});

describe.each(BAD)("%s", (path, values, setup) => {
  it.each(values.map((v) => [JSON.stringify(v).slice(0, 40), v]))("%s is reported at its path in lure's words", (_, value) => {
    const problems = problemsOf(withValue(path, value, setup));
    expect(problems.map((p) => p.path)).toContain(concrete(path));
    for (const p of problems) expect(`${p.path}: ${p.message}`).not.toMatch(ZOD_WORDING);
  });
});

describe("the wording", () => {
  it.each<[string, (c: Json) => void, string]>([
    ["a number out of range", (c) => (c.quarantine.quietPeriodMinutes = 0), "0 is not allowed; allowed: a whole number from 1 to 1440"],
    ["a fraction", (c) => (c.quarantine.quietPeriodMinutes = 2.5), "2.5 is not allowed; allowed: a whole number from 1 to 1440"],
    ["a bound on one side only", (c) => (c.quarantine.detector = { verticalPorts: 1 }), "1 is not allowed; allowed: a whole number of at least 2"],
    ["open bounds", (c) => (c.quarantine.detector = { trw: { alpha: 1 } }), "1 is not allowed; allowed: a number above 0 and below 1"],
    ["a whole number without bounds", (c) => (c.honeynet.overrides = { cowrie: { cpu: 256.5 } }), "256.5 is not allowed; allowed: a whole number"],
    ["an empty list", (c) => existing(c) && (c.quarantine.target.subnetIds = []), "[] has no entries; at least 1 is required"],
    ["a list too long", (c) => existing(c) && (c.quarantine.target.realSubnetCidrs = Array.from({ length: 20 }, (_, i) => `10.0.${i}.0/24`)), "has 20 entries; at most 19 are allowed"],
    ["an empty string", (c) => (c.quarantine.demo = { image: "" }), '"" is empty'],
    ["a string too long", (c) => existing(c) && (c.quarantine.target.containerName = "x".repeat(256)), "has 256 characters; allowed: 1 to 255 characters"],
  ])("%s", (_, change, message) => {
    const c = defaultConfigInput();
    change(c);
    expect(problemsOf(c).map((p) => p.message)).toEqual([expect.stringContaining(message)]);
  });

  it("keeps the messages a check gives itself", () => {
    const c = defaultConfigInput();
    c.honeynet.profile = [];
    c.honeynet.dashboard.allowCidrs = [];
    expect(problemsOf(c).map((p) => p.message)).toEqual([
      "[] lists no honeypot; name at least one, or use a profile",
      "[] is empty: nobody could reach the dashboard; list your own CIDRs",
    ]);
  });
});
