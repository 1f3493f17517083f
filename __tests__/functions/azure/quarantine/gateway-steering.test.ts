/**
 * The Application Gateway steering adapter against a stateful fake of the gateway resource (GET and
 * PUT of the whole gateway with ETags, 412 on a stale If-Match, the set's limits enforced), alone and
 * driven by the engine's own `reconcile` on an in-memory store.
 */
import type { ApplicationGateway, ApplicationGatewayBackendHealth, ApplicationGatewayRewriteRule } from "@azure/arm-network";
import {
  clientIpPattern,
  CONDITIONS_PER_SET,
  GATEWAY_STEERING_LIMITS,
  gatewaySteering,
  parseClientIpPattern,
  REWRITE_RULES_PER_SET,
  RuleQuotaError,
  worstCasePatternLength,
  type ApplicationGatewaysApi,
  type GatewaySteeringOptions,
} from "../../../../functions/azure/quarantine/gateway-steering";
import { DEFAULT_DETECTOR } from "../../../../functions/core/detector";
import { reconcile, type EngineDeps } from "../../../../functions/core/quarantine";
import { ConflictError, type QuarantineRuntimeConfig, type SteeringOptions } from "../../../../functions/core/quarantine-types";
import { MemoryCopies, MemoryStore } from "../../../../functions/local/memory-cloud";

const RG = "shop-rg";
const AGW = "shop-agw";
const GW_ID = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${RG}/providers/Microsoft.Network/applicationGateways/${AGW}`;
const SET = "lure-quarantine";
const REWRITE_PATH = "/lure-copies{var_uri_path}";
const NOW = 1_800_000_000;

const foreignHeaderRule: ApplicationGatewayRewriteRule = {
  name: "add-hsts",
  ruleSequence: 50,
  conditions: [],
  actionSet: { requestHeaderConfigurations: [], responseHeaderConfigurations: [{ headerName: "Strict-Transport-Security", headerValue: "max-age=31536000" }] },
};
/** In lure's band and nearly lure's shape, but it also sets a header: the user's. */
const foreignInBand: ApplicationGatewayRewriteRule = {
  name: "partner-reroute",
  ruleSequence: 103,
  conditions: [{ variable: "var_client_ip", pattern: "^(192\\.0\\.2\\.10)$", ignoreCase: true, negate: false }],
  actionSet: {
    requestHeaderConfigurations: [{ headerName: "X-Partner", headerValue: "1" }],
    responseHeaderConfigurations: [],
    urlConfiguration: { modifiedPath: REWRITE_PATH, reroute: true },
  },
};

function gatewayFixture(rules: ApplicationGatewayRewriteRule[]): ApplicationGateway {
  const sub = (kind: string, name: string) => ({ id: `${GW_ID}/${kind}/${name}` });
  return {
    id: GW_ID,
    name: AGW,
    location: "westeurope",
    sku: { name: "Standard_v2", tier: "Standard_v2", capacity: 2 },
    sslCertificates: [{ name: "shop-tls", keyVaultSecretId: "https://shop-kv.vault.azure.net/secrets/tls" }],
    backendAddressPools: [{ name: "shop-web", ...sub("backendAddressPools", "shop-web") }, { name: "lure-copies", ...sub("backendAddressPools", "lure-copies") }],
    urlPathMaps: [
      {
        name: "shop-paths",
        defaultBackendAddressPool: sub("backendAddressPools", "shop-web"),
        pathRules: [
          { name: "all", paths: ["/*"], backendAddressPool: sub("backendAddressPools", "shop-web"), rewriteRuleSet: sub("rewriteRuleSets", SET) },
          { name: "copies", paths: ["/lure-copies/*"], backendAddressPool: sub("backendAddressPools", "lure-copies") },
        ],
      },
    ],
    rewriteRuleSets: [
      { name: SET, ...sub("rewriteRuleSets", SET), rewriteRules: rules },
      { name: "shop-headers", ...sub("rewriteRuleSets", "shop-headers"), rewriteRules: [{ ...foreignHeaderRule, ruleSequence: 100, name: "other-set-rule" }] },
    ],
  };
}

type Gw = ApplicationGateway & { etag?: string };

/** A strict, stateful gateway resource: the calls lure makes, ETags, 412 and the set limits. */
function fakeGateway(initial: ApplicationGateway, health: ApplicationGatewayBackendHealth = { backendAddressPools: [] }) {
  let version = 1;
  let state: Gw = { ...structuredClone(initial), etag: `W/"${version}"` };
  const calls = { get: 0, put: 0, health: 0 };
  const puts: ApplicationGateway[] = [];
  /** Runs once, between lure's read and its write: a concurrent writer. */
  let beforeNextPut: ((gw: Gw) => void) | undefined;
  const check = (rg: string, name: string) => {
    if (rg !== RG || name !== AGW) throw new Error(`fake gateway: unexpected ${rg}/${name}`);
  };
  const bump = () => {
    version++;
    state.etag = `W/"${version}"`;
  };
  const api: ApplicationGatewaysApi = {
    async get(rg, name) {
      check(rg, name);
      calls.get++;
      return structuredClone(state);
    },
    async beginCreateOrUpdateAndWait(rg, name, parameters, options) {
      check(rg, name);
      calls.put++;
      if (beforeNextPut) {
        const f = beforeNextPut;
        beforeNextPut = undefined;
        f(state);
        bump();
      }
      const ifMatch = options?.requestOptions?.customHeaders?.["If-Match"];
      if (ifMatch === undefined) throw new Error("fake gateway: a PUT without If-Match");
      if (ifMatch !== state.etag) throw Object.assign(new Error("The precondition given in one or more of the request-header fields evaluated to false"), { statusCode: 412, code: "PreconditionFailed" });
      for (const set of parameters.rewriteRuleSets ?? []) {
        const rules = set.rewriteRules ?? [];
        const conditions = rules.reduce((n, r) => n + (r.conditions?.length ?? 0), 0);
        if (rules.length > REWRITE_RULES_PER_SET || conditions > CONDITIONS_PER_SET) throw Object.assign(new Error("limit"), { statusCode: 400, code: "ApplicationGatewayRewriteRuleSetLimitReached" });
        const seqs = rules.map((r) => r.ruleSequence);
        if (new Set(seqs).size !== seqs.length) throw Object.assign(new Error("dup"), { statusCode: 400, code: "DuplicateRuleSequence" });
      }
      puts.push(structuredClone(parameters));
      const { etag: _ignored, ...body } = parameters as Gw;
      state = structuredClone(body);
      bump();
      return structuredClone(state);
    },
    async beginBackendHealthAndWait(rg, name) {
      check(rg, name);
      calls.health++;
      return structuredClone(health);
    },
  };
  return {
    api,
    calls,
    puts,
    state: () => state,
    set: () => state.rewriteRuleSets!.find((s) => s.name === SET)!.rewriteRules!,
    /** Someone else edits the gateway now. */
    edit(f: (gw: Gw) => void) {
      f(state);
      bump();
    },
    onNextPut(f: (gw: Gw) => void) {
      beforeNextPut = f;
    },
  };
}

const STEERING: SteeringOptions = { firstPriority: 100, ...GATEWAY_STEERING_LIMITS };

const options = (o: Partial<GatewaySteeringOptions> = {}): GatewaySteeringOptions => ({
  resourceGroup: RG,
  gatewayName: AGW,
  rewriteRuleSetName: SET,
  copiesPoolName: "lure-copies",
  rewritePath: REWRITE_PATH,
  prefix: "lure",
  steering: STEERING,
  ...o,
});

const lureRule = (seq: number, addresses: string[], name = `lure-quarantine-${seq}`): ApplicationGatewayRewriteRule => ({
  name,
  ruleSequence: seq,
  conditions: [{ variable: "var_client_ip", pattern: clientIpPattern(addresses.map((a) => (a.includes(":") ? `${a}/128` : `${a}/32`))), ignoreCase: true, negate: false }],
  actionSet: { requestHeaderConfigurations: [], responseHeaderConfigurations: [], urlConfiguration: { modifiedPath: REWRITE_PATH, reroute: true } },
});

/** The engine's reconcile on an in-memory store in Defence Mode with these quarantines (the first is the most recent). */
async function engine(steering: ReturnType<typeof gatewaySteering>, srcs: string[], steeringOptions: SteeringOptions = STEERING) {
  const store = new MemoryStore(() => NOW, () => {});
  await store.putMode({ mode: "defence", since: NOW - 600, recentFlags: [] }, undefined);
  for (const [i, src] of srcs.entries()) await store.upsertQuarantine({ src, detectedAt: NOW - 300, lastSeen: NOW - i, reason: "trw", probes: 20 }, NOW + 3600);
  const config: QuarantineRuntimeConfig = {
    prefix: "lure",
    detector: DEFAULT_DETECTOR,
    mode: { quietPeriodMinutes: 30, forgetOnNormal: true, rememberMinutes: 0, defenceAfterSources: 1, defenceWindowMinutes: 10 },
    steering: steeringOptions,
    copies: { defenceCount: 1, normalCount: 0 },
  };
  const logs: string[] = [];
  const deps: EngineDeps = { store, steering, copies: new MemoryCopies(1, 0, () => NOW, () => {}), config, owner: "fn-1", log: (event) => logs.push(event) };
  return { store, logs, run: () => reconcile(deps, NOW) };
}

const upHealth: ApplicationGatewayBackendHealth = {
  backendAddressPools: [
    {
      backendAddressPool: { id: `${GW_ID}/backendAddressPools/lure-copies` },
      backendHttpSettingsCollection: [{ servers: [{ address: "10.1.0.4", health: "Up" }] }],
    },
  ],
};

const ips = (n: number, base = "198.51.100.") => Array.from({ length: n }, (_, i) => `${base}${i + 1}`);

describe("client_ip patterns", () => {
  it("escapes IPv4 dots and anchors the alternation", () => {
    expect(clientIpPattern(["198.51.100.7/32", "203.0.113.9/32"])).toBe("^(198\\.51\\.100\\.7|203\\.0\\.113\\.9)$");
  });

  it("writes IPv6 addresses as they are (no character of theirs is special) and reads them back", () => {
    const p = clientIpPattern(["2001:db8::1/128", "198.51.100.7/32"]);
    expect(p).toBe("^(2001:db8::1|198\\.51\\.100\\.7)$");
    expect(parseClientIpPattern(p)).toEqual(["2001:db8::1/128", "198.51.100.7/32"]);
  });

  it("matches exactly its addresses, not a longer address or a dot wildcard", () => {
    const re = new RegExp(clientIpPattern(["1.2.3.4/32", "2001:db8::1/128"]));
    expect(["1.2.3.4", "2001:db8::1"].every((a) => re.test(a))).toBe(true);
    expect(["1.2.3.45", "11.2.3.4", "1x2.3.4", "2001:db8::10", "2001:db8::1:1"].some((a) => re.test(a))).toBe(false);
  });

  it.each([
    ["an unescaped dot", "^(1.2.3.4)$"],
    ["no anchors", "(1\\.2\\.3\\.4)"],
    ["a range", "^(1\\.2\\.3\\.[0-9]+)$"],
    ["an uncompressed IPv6 spelling", "^(2001:0db8:0:0:0:0:0:1)$"],
    ["an empty alternative", "^(1\\.2\\.3\\.4|)$"],
  ])("does not read %s as lure's pattern", (_, pattern) => {
    expect(parseClientIpPattern(pattern)).toBeUndefined();
  });

  it("refuses what is not a single address", () => {
    expect(() => clientIpPattern(["10.0.0.0/8"])).toThrow(/single-address/);
    expect(() => clientIpPattern([])).toThrow(/at least one/);
  });
});

describe("gateway steering: reading", () => {
  it("splits the set into lure's rules (band and shape) and everyone else's; other sets do not count", async () => {
    const gw = fakeGateway(gatewayFixture([foreignHeaderRule, lureRule(100, ["198.51.100.7", "2001:db8::1"]), foreignInBand, lureRule(139, ["203.0.113.9"]), lureRule(140, ["203.0.113.10"])]));
    const { rules, otherPriorities } = await gatewaySteering(gw.api, options()).readRules();
    expect(rules).toEqual([
      { id: "lure-quarantine-100", priority: 100, cidrs: ["198.51.100.7/32", "2001:db8::1/128"] },
      { id: "lure-quarantine-139", priority: 139, cidrs: ["203.0.113.9/32"] },
    ]);
    // 140 has lure's shape outside the band (100–139): someone else's, like the header rule and the partner rule.
    expect(otherPriorities).toEqual([50, 103, 140]);
    expect(gw.calls).toEqual({ get: 1, put: 0, health: 0 });
  });

  it.each<[string, (r: ApplicationGatewayRewriteRule) => void]>([
    ["a second condition", (r) => r.conditions!.push({ variable: "var_request_uri", pattern: "^/admin" })],
    ["a negated condition", (r) => (r.conditions![0].negate = true)],
    ["another variable", (r) => (r.conditions![0].variable = "http_req_X-Forwarded-For")],
    ["another rewrite path", (r) => (r.actionSet!.urlConfiguration!.modifiedPath = "/elsewhere")],
    ["no reroute", (r) => (r.actionSet!.urlConfiguration!.reroute = false)],
    ["a query string rewrite", (r) => (r.actionSet!.urlConfiguration!.modifiedQueryString = "x=1")],
    ["a pattern lure would not write", (r) => (r.conditions![0].pattern = "^(198.51.100.7)$")],
  ])("leaves a rule in the band with %s to its owner", async (_, edit) => {
    const rule = lureRule(105, ["198.51.100.7"], "users-rule");
    edit(rule);
    const gw = fakeGateway(gatewayFixture([rule]));
    expect(await gatewaySteering(gw.api, options()).readRules()).toEqual({ rules: [], otherPriorities: [105] });
  });

  it("refuses a gateway whose set is missing or not wired to the copies, saying what is wrong", async () => {
    const missing = gatewayFixture([]);
    missing.rewriteRuleSets = missing.rewriteRuleSets!.filter((s) => s.name !== SET);
    await expect(gatewaySteering(fakeGateway(missing).api, options()).readRules()).rejects.toThrow(/no such set/);
    const unattached = gatewayFixture([]);
    delete unattached.urlPathMaps![0].pathRules![0].rewriteRuleSet;
    await expect(gatewaySteering(fakeGateway(unattached).api, options()).readRules()).rejects.toThrow(/on no path rule/);
    const noCopies = gatewayFixture([]);
    noCopies.urlPathMaps![0].pathRules!.pop();
    await expect(gatewaySteering(fakeGateway(noCopies).api, options()).readRules()).rejects.toThrow(/backend pool "lure-copies"/);
  });

  it("counts the copies that are Up under every HTTP setting of their pool, and only theirs", async () => {
    const health: ApplicationGatewayBackendHealth = {
      backendAddressPools: [
        { backendAddressPool: { id: `${GW_ID}/backendAddressPools/shop-web` }, backendHttpSettingsCollection: [{ servers: [{ address: "10.0.0.4", health: "Up" }] }] },
        {
          backendAddressPool: { id: `${GW_ID}/backendAddressPools/lure-copies` },
          backendHttpSettingsCollection: [
            { servers: [{ address: "10.1.0.4", health: "Up" }, { address: "10.1.0.5", health: "Up" }, { address: "10.1.0.6", health: "Draining" }] },
            { servers: [{ address: "10.1.0.4", health: "Up" }, { address: "10.1.0.5", health: "Partial" }] },
          ],
        },
      ],
    };
    const gw = fakeGateway(gatewayFixture([]), health);
    expect(await gatewaySteering(gw.api, options()).healthyTargets()).toBe(1);
    expect(await gatewaySteering(fakeGateway(gatewayFixture([])).api, options()).healthyTargets()).toBe(0);
  });

  it("validates its options together, with what is allowed", () => {
    expect(() => gatewaySteering(fakeGateway(gatewayFixture([])).api, options({ steering: { firstPriority: 0, ruleQuota: 41, albRuleLimit: 40, cidrsPerRule: 7 }, rewritePath: "copies" }))).toThrow(
      /firstPriority 0.*ruleQuota 41: 0–40.*cidrsPerRule 7: 1–6.*rewritePath "copies"/,
    );
    expect(worstCasePatternLength(5)).toBeLessThanOrEqual(256);
    // A live test that finds a longer limit raises the addresses per rule.
    expect(() => gatewaySteering(fakeGateway(gatewayFixture([])).api, options({ maxPatternLength: 1024, steering: { ...STEERING, cidrsPerRule: 25 } }))).not.toThrow();
  });
});

describe("gateway steering: writing", () => {
  it("drafts a plan and writes it in ONE PUT with If-Match, keeping the rest of the gateway as read", async () => {
    const gw = fakeGateway(gatewayFixture([foreignHeaderRule, lureRule(100, ["192.0.2.1"]), lureRule(101, ["192.0.2.2"])]));
    const before = structuredClone(gw.state());
    const steering = gatewaySteering(gw.api, options());
    await steering.readRules();
    await steering.apply({ kind: "delete", id: "lure-quarantine-101", priority: 101 });
    await steering.apply({ kind: "modify", id: "lure-quarantine-100", priority: 100, cidrs: ["192.0.2.1/32", "2001:db8::7/128"] });
    await steering.apply({ kind: "create", priority: 101, cidrs: ["198.51.100.1/32"] });
    await steering.apply({ kind: "create", priority: 102, cidrs: ["198.51.100.2/32"] });
    expect(steering.pending()).toBe(4);
    expect(gw.calls.put).toBe(0);

    expect(await steering.flush()).toBe(4);
    expect(gw.calls).toEqual({ get: 1, put: 1, health: 0 });
    expect(gw.set()).toEqual([foreignHeaderRule, lureRule(100, ["192.0.2.1", "2001:db8::7"]), lureRule(101, ["198.51.100.1"]), lureRule(102, ["198.51.100.2"])]);
    // Everything but lure's set is what was read (certificates, pools, path maps, the other set).
    const after = structuredClone(gw.state());
    for (const gwState of [before, after]) {
      delete gwState.etag;
      gwState.rewriteRuleSets!.find((s) => s.name === SET)!.rewriteRules = [];
    }
    expect(after).toEqual(before);
    expect(await steering.flush()).toBe(0);
    expect(gw.calls.put).toBe(1);
  });

  it("answers a taken sequence with ConflictError and a gone rule's modify too; a gone rule's delete is done", async () => {
    const gw = fakeGateway(gatewayFixture([foreignInBand, lureRule(100, ["192.0.2.1"])]));
    const steering = gatewaySteering(gw.api, options());
    await steering.readRules();
    await expect(steering.apply({ kind: "create", priority: 103, cidrs: ["198.51.100.1/32"] })).rejects.toThrow(ConflictError);
    await expect(steering.apply({ kind: "create", priority: 100, cidrs: ["198.51.100.1/32"] })).rejects.toThrow(ConflictError);
    await expect(steering.apply({ kind: "modify", id: "lure-quarantine-120", priority: 120, cidrs: ["198.51.100.1/32"] })).rejects.toThrow(ConflictError);
    // The partner rule has its own name: lure never deletes it even by that name.
    await steering.apply({ kind: "delete", id: "partner-reroute", priority: 103 });
    await steering.apply({ kind: "delete", id: "lure-quarantine-120", priority: 120 });
    expect(steering.pending()).toBe(0);
    expect(await steering.flush()).toBe(0);
    expect(gw.calls.put).toBe(0);
  });

  it("a modify to what the rule already says drafts nothing", async () => {
    const gw = fakeGateway(gatewayFixture([lureRule(100, ["192.0.2.1"])]));
    const steering = gatewaySteering(gw.api, options());
    await steering.readRules();
    await steering.apply({ kind: "modify", id: "lure-quarantine-100", priority: 100, cidrs: ["192.0.2.1/32"] });
    expect(steering.pending()).toBe(0);
  });

  it("gives a new rule a name nobody uses", async () => {
    const gw = fakeGateway(gatewayFixture([{ ...foreignHeaderRule, name: "lure-quarantine-104" }]));
    const steering = gatewaySteering(gw.api, options());
    await steering.readRules();
    await steering.apply({ kind: "create", priority: 104, cidrs: ["198.51.100.1/32"] });
    await steering.flush();
    expect(gw.set().map((r) => r.name)).toEqual(["lure-quarantine-104", "lure-quarantine-104-2"]);
  });

  it("refuses apply before a read", async () => {
    const steering = gatewaySteering(fakeGateway(gatewayFixture([])).api, options());
    await expect(steering.apply({ kind: "create", priority: 100, cidrs: ["198.51.100.1/32"] })).rejects.toThrow(/before readRules/);
  });

  it("a change between read and write: the PUT gets 412, the draft is dropped, nothing of theirs is overwritten", async () => {
    const gw = fakeGateway(gatewayFixture([lureRule(100, ["192.0.2.1"])]));
    const steering = gatewaySteering(gw.api, options());
    await steering.readRules();
    await steering.apply({ kind: "create", priority: 101, cidrs: ["198.51.100.1/32"] });
    gw.edit((s) => s.rewriteRuleSets!.find((x) => x.name === SET)!.rewriteRules!.push({ ...foreignHeaderRule, name: "theirs", ruleSequence: 101 }));

    await expect(steering.flush()).rejects.toThrow(ConflictError);
    expect(steering.pending()).toBe(0);
    expect(gw.set().map((r) => r.name)).toEqual(["lure-quarantine-100", "theirs"]);
    // Read again: their rule is someone else's.
    expect(await steering.readRules()).toEqual({ rules: [{ id: "lure-quarantine-100", priority: 100, cidrs: ["192.0.2.1/32"] }], otherPriorities: [101] });
  });

  it("treats a 409 (another update of the gateway running) as a conflict", async () => {
    const gw = fakeGateway(gatewayFixture([]));
    gw.api.beginCreateOrUpdateAndWait = async () => {
      throw Object.assign(new Error("Another operation on this or dependent resource is in progress"), { statusCode: 409, code: "AnotherOperationInProgress" });
    };
    const steering = gatewaySteering(gw.api, options());
    await steering.readRules();
    await steering.apply({ kind: "create", priority: 100, cidrs: ["198.51.100.1/32"] });
    await expect(steering.flush()).rejects.toThrow(/another update of the gateway is running \(AnotherOperationInProgress\)/);
    expect(steering.pending()).toBe(0);
  });

  it("lets an error other than 412 and 409 through and drops the draft", async () => {
    const gw = fakeGateway(gatewayFixture([]));
    gw.api.beginCreateOrUpdateAndWait = async () => {
      throw Object.assign(new Error("internal"), { statusCode: 500 });
    };
    const steering = gatewaySteering(gw.api, options());
    await steering.readRules();
    await steering.apply({ kind: "create", priority: 100, cidrs: ["198.51.100.1/32"] });
    await expect(steering.flush()).rejects.toThrow("internal");
    expect(steering.pending()).toBe(0);
  });

  it("refuses a rule the set has no room for as a RuleQuotaError, counting other rules' conditions", async () => {
    // 30 rules of the user's with 39 conditions (one has 10): a lure rule takes the 40th condition, and no second one fits.
    const foreign = Array.from({ length: 30 }, (_, i) => ({ ...foreignHeaderRule, name: `h${i}`, ruleSequence: 200 + i, conditions: [{ variable: "var_uri_path", pattern: `^/p${i}` }] }));
    foreign[0].conditions = Array.from({ length: 10 }, (_, i) => ({ variable: "var_uri_path", pattern: `^/q${i}` }));
    const gw = fakeGateway(gatewayFixture(foreign));
    const steering = gatewaySteering(gw.api, options());
    await steering.readRules();
    await steering.apply({ kind: "create", priority: 100, cidrs: ["198.51.100.1/32"] });
    const refused = steering.apply({ kind: "create", priority: 101, cidrs: ["198.51.100.2/32"] });
    await expect(refused).rejects.toThrow(RuleQuotaError);
    await expect(refused).rejects.toMatchObject({ name: "RuleQuotaError", message: expect.stringMatching(/31 rules with 40 conditions/) });
    // What fitted is still written.
    expect(await steering.flush()).toBe(1);
  });
});

describe("gateway steering driven by the engine", () => {
  it("one reconcile: one GET and one PUT for the whole plan, then a plan from the PUT's answer that is empty", async () => {
    const gw = fakeGateway(gatewayFixture([foreignHeaderRule, foreignInBand]), upHealth);
    const steering = gatewaySteering(gw.api, options());
    const { run } = await engine(steering, [...ips(12), "2001:db8::1", "2001:DB8:0::2"]);

    const report = await run();

    expect(report.steered).toBe(14);
    expect(report.changes.map((c) => c.kind)).toEqual(["create", "create", "create"]);
    expect(gw.calls).toEqual({ get: 1, put: 1, health: 1 });
    expect(steering.pending()).toBe(0);
    const mine = gw.set().filter((r) => r.name?.startsWith("lure-"));
    expect(mine.map((r) => r.ruleSequence)).toEqual([100, 101, 102]);
    expect(mine[0].conditions![0].pattern).toBe("^(198\\.51\\.100\\.1|198\\.51\\.100\\.2|198\\.51\\.100\\.3|198\\.51\\.100\\.4|198\\.51\\.100\\.5)$");
    expect(mine[2].conditions![0].pattern).toBe("^(198\\.51\\.100\\.11|198\\.51\\.100\\.12|2001:db8::1|2001:db8::2)$");
    // The user's rules, in the band or not, are as they were.
    expect(gw.set().filter((r) => !r.name?.startsWith("lure-"))).toEqual([foreignHeaderRule, foreignInBand]);
  });

  it("is idempotent: the same plan a second time reads once and writes nothing", async () => {
    const gw = fakeGateway(gatewayFixture([foreignHeaderRule]), upHealth);
    const steering = gatewaySteering(gw.api, options());
    const { run } = await engine(steering, ips(7));
    await run();
    const etag = gw.state().etag;
    const calls = { ...gw.calls };

    const again = await run();

    expect(again.changes).toEqual([]);
    expect(gw.calls).toEqual({ ...calls, get: calls.get + 1 });
    expect(gw.state().etag).toBe(etag);
    // A new port instance (another invocation) agrees.
    const fresh = await (await engine(gatewaySteering(gw.api, options()), ips(7))).run();
    expect(fresh.changes).toEqual([]);
    expect(gw.calls.put).toBe(calls.put);
  });

  it("a change between read and write is re-read and re-planned: their rule stays, lure plans around it", async () => {
    const gw = fakeGateway(gatewayFixture([]), upHealth);
    const steering = gatewaySteering(gw.api, options());
    const { run, logs } = await engine(steering, ips(3));
    // Someone puts a rule of theirs on sequence 100 while lure's first PUT is on its way.
    gw.onNextPut((s) => s.rewriteRuleSets!.find((x) => x.name === SET)!.rewriteRules!.push({ ...foreignHeaderRule, name: "theirs", ruleSequence: 100 }));

    const report = await run();

    expect(report.steered).toBe(3);
    expect(gw.calls.put).toBe(2);
    expect(gw.set().map((r) => [r.name, r.ruleSequence])).toEqual([
      ["theirs", 100],
      ["lure-quarantine-101", 101],
    ]);
    expect(logs).toContain("rules-reconciled");
  });

  it("capacity: other rules of the set lower it; beyond it the least recently seen are evicted", async () => {
    // 36 of the user's rules (sequences 200+) leave 4 rules of 5 addresses: 20 sources.
    const foreign = Array.from({ length: 36 }, (_, i) => ({ ...foreignHeaderRule, name: `h${i}`, ruleSequence: 200 + i }));
    const gw = fakeGateway(gatewayFixture(foreign), upHealth);
    const steering = gatewaySteering(gw.api, options());
    const wanted = [...ips(20), ...ips(5, "203.0.113.")];
    const { run } = await engine(steering, wanted);

    const report = await run();

    expect(report.capacity).toBe(4);
    expect(report.steered).toBe(20);
    // Least recently seen first: the last five of the list.
    expect(report.evicted).toEqual(["203.0.113.5", "203.0.113.4", "203.0.113.3", "203.0.113.2", "203.0.113.1"]);
    expect(gw.set()).toHaveLength(40);
    expect(gw.calls.put).toBe(1);
  });

  it("a set the gateway would refuse (conditions of other rules): the engine keeps what fits and evicts the rest", async () => {
    // 35 user rules, one with 5 conditions: 39 conditions, so one lure rule fits though the rule count leaves 5.
    const foreign = Array.from({ length: 35 }, (_, i) => ({ ...foreignHeaderRule, name: `h${i}`, ruleSequence: 200 + i, conditions: [{ variable: "var_uri_path", pattern: `^/p${i}` }] }));
    foreign[0].conditions = Array.from({ length: 5 }, (_, i) => ({ variable: "var_uri_path", pattern: `^/q${i}` }));
    const gw = fakeGateway(gatewayFixture(foreign), upHealth);
    const steering = gatewaySteering(gw.api, options());
    const { run } = await engine(steering, ips(12));

    const report = await run();

    expect(report.ruleQuotaReached).toBe(true);
    expect(report.steered).toBe(5);
    expect(report.evicted).toHaveLength(7);
    expect(gw.set().filter((r) => r.name?.startsWith("lure-"))).toHaveLength(1);
    expect(gw.puts.length).toBe(1);
  });

  it("no copy Up: no rule is added", async () => {
    const gw = fakeGateway(gatewayFixture([]));
    const { run } = await engine(gatewaySteering(gw.api, options()), ips(3));
    const report = await run();
    expect(report.waiting).toHaveLength(3);
    expect(gw.calls.put).toBe(0);
  });
});
