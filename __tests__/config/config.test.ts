import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { TPOT } from "../../modules/core/catalog";
import { ConfigError, DEFAULT_CONFIG_FILE, FARGATE_SIZES, configWarnings, honeynetPropsFor, jsonSyntaxMessage, loadConfig, validateConfig, type ConfigProblem, type LureConfig } from "../../modules/core/config";

/** The checked-in lure.config.json as raw JSON; tests write anything into a copy of it. */
type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const DEFAULT: Raw = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, "utf8")) as Raw;
/** A fresh copy of the default config with `change` applied. */
const withChange = (change: (c: Raw) => void): Raw => {
  const c = structuredClone(DEFAULT);
  change(c);
  return c;
};

const problemsOf = (input: unknown): ConfigProblem[] => {
  const r = validateConfig(input);
  if (r.ok) throw new Error(`expected problems, got a valid config`);
  return r.problems;
};
const configOf = (input: unknown): { config: LureConfig; warnings: string[] } => {
  const r = validateConfig(input);
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.problems.map((p) => `${p.path}: ${p.message}`).join("\n")}`);
  return r;
};

/** An expected problem: its exact path, and words its message must contain. */
type Expected = [path: string, ...words: string[]];

/** Exactly the expected paths (with multiplicity), each message containing its words. */
function expectProblems(input: unknown, expected: readonly Expected[]): ConfigProblem[] {
  const problems = problemsOf(input);
  expect(problems.map((p) => p.path).sort()).toEqual(expected.map(([path]) => path).sort());
  for (const [path, ...words] of expected) {
    const messages = problems.filter((p) => p.path === path).map((p) => p.message);
    if (!messages.some((m) => words.every((w) => m.includes(w)))) throw new Error(`no message at ${path} contains ${JSON.stringify(words)}: ${JSON.stringify(messages)}`);
  }
  return problems;
}

describe("validateConfig on the default config", () => {
  it("is valid and fills the defaults", () => {
    const { config } = configOf(DEFAULT);
    expect(config.prefix).toBe("lure");
    expect(config.honeynet.profile).toBe("industrial");
    expect(config.honeynet.capacity).toBe("spot");
    expect(config.honeynet.dashboard.allowWorldOpen).toBe(false);
    expect(config.honeynet.overrides).toEqual({});
    expect(config.honeynet.networkCidr).toBe("10.42.0.0/16");
    expect(config.watcher.schedule).toBe("rate(12 hours)");
    expect(config.watcher.enabled).toBe(true);
    expect(config.quarantine.target).toBe("demo");
    expect(config.quarantine.detector.windowMinutes).toBe(5);
  });

  it("fills every section a minimal config leaves out", () => {
    const { config, warnings } = configOf({ clouds: { aws: { region: "eu-west-2" } }, honeynet: { dashboard: { allowCidrs: ["198.18.0.0/15"], allowPlaintext: true } } });
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      prefix: "lure",
      tags: {},
      clouds: { aws: { region: "eu-west-2", tags: {} } },
      honeynet: { profile: "industrial", capacity: "spot", analytics: { engine: "elastic", hiveAllowCidrs: ["0.0.0.0/0"] }, logRetentionDays: 30, elastic: { version: "8.17.0" }, imageRepositories: [] },
      watcher: { enabled: true, schedule: "rate(12 hours)", rotateOnExposure: false, minRotationIntervalHours: 24, resultsRetentionDays: 365 },
      quarantine: { enabled: true, target: "demo", allowCidrs: [], quietPeriodMinutes: 30, ruleQuota: 100 },
    });
    // An omitted section gets the same values as an empty one (zod returns `.default()` values unparsed).
    expect(config.quarantine).toEqual(configOf({ ...DEFAULT, quarantine: {} }).config.quarantine);
    expect(config.quarantine.detector).toEqual({
      trw: { theta0: 0.8, theta1: 0.2, alpha: 0.01, beta: 0.99 },
      windowMinutes: 5, verticalPorts: 15, horizontalHosts: 25, distinctPairs: 25, idleMinutes: 30, maxTargetsPerSource: 64, maxSources: 100_000,
      memoryMinutes: 1440, slowFailures: 6, antiSpoofing: { enabled: true, historyMinutes: 10_080, settleMinutes: 60, maxClients: 100_000 },
    });
  });
});

describe("honeypot names", () => {
  it.each<[string, unknown[], Expected[]]>([
    ["unknown honeypot", ["cowrie", "dionaea", "foobarbaz"], [["honeynet.profile[2]", '"foobarbaz"', "is not a known honeypot"]]],
    ["near-miss name", ["cowrie", "dionaea", "cowrei"], [["honeynet.profile[2]", '"cowrei" is not a known honeypot', 'did you mean "cowrie"?']]],
    ["prefix of conpot instances", ["conpot"], [["honeynet.profile[0]", '"conpot"', 'did you mean "conpot_default" or "conpot_guardian_ast" or "conpot_IEC104"?']]],
    ["T-Pot support service", ["cowrie", "kibana"], [["honeynet.profile[1]", '"kibana"', "support service, not a honeypot"]]],
    ["duplicate name, reported at the second index", ["cowrie", "dionaea", "cowrie"], [["honeynet.profile[2]", '"cowrie" is listed twice (first at index 0)']]],
    ["duplicate twice", ["medpot", "medpot", "medpot"], [["honeynet.profile[1]", "first at index 0"], ["honeynet.profile[2]", "first at index 0"]]],
    ["empty list", [], [["honeynet.profile", "lists no honeypot", "use a profile"]]],
    ["a number in the list", ["cowrie", 5], [["honeynet.profile[1]", "5 has the wrong type; expected string"]]],
    ["snare without tanner (talksTo)", ["cowrie", "snare"], [["honeynet.profile[1]", '"snare" talks to "tanner"', 'add "tanner"']]],
    [
      "tanner without its peers",
      ["tanner", "snare"],
      [
        ["honeynet.profile[0]", '"tanner" talks to "tanner_api"', 'add "tanner_api"'],
        ["honeynet.profile[0]", '"tanner" talks to "tanner_phpox"'],
        ["honeynet.profile[0]", '"tanner" talks to "tanner_redis"'],
      ],
    ],
  ])("%s", (_, profile, expected) => {
    expectProblems(withChange((c) => (c.honeynet.profile = profile)), expected);
  });

  it("does not suggest anything for a far-off name", () => {
    const [p] = problemsOf(withChange((c) => (c.honeynet.profile = ["kubernetes"])));
    expect(p.message).not.toContain("did you mean");
  });

  it.each(["honeytrap", "glutton", "suricata", "p0f", "fatt"])("host-network service %s is refused with the reason", (name) => {
    expectProblems(withChange((c) => (c.honeynet.profile = ["cowrie", name])), [
      ["honeynet.profile[1]", `"${name}" cannot run on serverless containers`, TPOT.unsupported[name].reason, "host networking"],
    ]);
  });

  it.each<[string, (c: Raw) => void, Expected]>([
    ["imageRepositories", (c) => (c.honeynet.imageRepositories = ["cowrei"]), ["honeynet.imageRepositories[0]", '"cowrei" is not a known honeypot', 'did you mean "cowrie"?']],
    ["an override key", (c) => (c.honeynet.overrides = { cowri: { cpu: 256 } }), ["honeynet.overrides.cowri", '"cowri" is not a known honeypot', 'did you mean "cowrie"?']],
    ["a host-network override key", (c) => (c.honeynet.overrides = { honeytrap: {} }), ["honeynet.overrides.honeytrap", '"honeytrap" cannot run on serverless containers']],
  ])("are checked in %s too", (_, change, expected) => {
    expectProblems(withChange(change), [expected]);
  });

  it.each<[string, unknown, Expected[]]>([
    ["a misspelt profile", "industrail", [["honeynet.profile", '"industrail" is not a known profile', 'did you mean "industrial"?']]],
    ["a honeypot name instead of a list", "cowrie", [["honeynet.profile", '"cowrie" is not a known profile (or give a list of honeypot names)']]],
    ["a number", 5, [["honeynet.profile", "5 has the wrong type; expected string"]]],
  ])("profile: %s", (_, profile, expected) => {
    expectProblems(withChange((c) => (c.honeynet.profile = profile)), expected);
  });

  it.each([["standard"], ["industrial"], [["tanner", "tanner_api", "tanner_phpox", "tanner_redis", "snare"]]])("accepts profile %j", (profile) => {
    expect(configOf(withChange((c) => (c.honeynet.profile = profile))).config.honeynet.profile).toEqual(profile);
  });
});

describe("CIDRs", () => {
  it.each<[string, string[], Expected[]]>([
    ["host bits set", ["10.0.0.1/24"], [["honeynet.dashboard.allowCidrs[0]", '"10.0.0.1/24" is not a valid CIDR', 'did you mean "10.0.0.0/24"?']]],
    ["bad octet", ["198.18.0.0/15", "300.1.1.0/24"], [["honeynet.dashboard.allowCidrs[1]", '"300.1.1.0/24" is not a valid CIDR', "not an IPv4 or IPv6 address"]]],
    ["prefix too long", ["1.2.3.0/33"], [["honeynet.dashboard.allowCidrs[0]", '"1.2.3.0/33"', "an IPv4 prefix length is 0 to 32"]]],
    ["IPv6 prefix too long", ["2001:db8::/129"], [["honeynet.dashboard.allowCidrs[0]", "an IPv6 prefix length is 0 to 128"]]],
    ["no prefix", ["10.0.0.0"], [["honeynet.dashboard.allowCidrs[0]", '"10.0.0.0"', "expected an address and a prefix length"]]],
    ["empty allow-list", [], [["honeynet.dashboard.allowCidrs", "is empty", "nobody could reach the dashboard"]]],
    ["world-open IPv4", ["0.0.0.0/0"], [["honeynet.dashboard.allowCidrs[0]", '"0.0.0.0/0" opens the dashboard to the whole internet', "allowWorldOpen: true"]]],
    ["world-open IPv6", ["198.18.0.0/15", "::/0"], [["honeynet.dashboard.allowCidrs[1]", '"::/0" opens the dashboard to the whole internet', "allowWorldOpen: true"]]],
  ])("dashboard allow-list: %s", (_, allowCidrs, expected) => {
    expectProblems(withChange((c) => (c.honeynet.dashboard.allowCidrs = allowCidrs)), expected);
  });

  it("accepts a world-open allow-list with allowWorldOpen: true, with a warning", () => {
    const { config, warnings } = configOf(withChange((c) => (c.honeynet.dashboard = { ...c.honeynet.dashboard, allowCidrs: ["0.0.0.0/0", "::/0"], allowWorldOpen: true })));
    expect(config.honeynet.dashboard.allowCidrs).toEqual(["0.0.0.0/0", "::/0"]);
    expect(warnings).toEqual([
      "honeynet.dashboard.allowCidrs: 0.0.0.0/0 opens the dashboard to the internet (allowWorldOpen is set)",
      "honeynet.dashboard.allowCidrs: ::/0 opens the dashboard to the internet (allowWorldOpen is set)",
    ]);
  });

  it.each<[string, unknown]>([
    ["false", false],
    ['"true" (a string)', "true"],
  ])("refuses a world-open allow-list with allowWorldOpen %s", (_, allowWorldOpen) => {
    const problems = problemsOf(withChange((c) => (c.honeynet.dashboard = { ...c.honeynet.dashboard, allowCidrs: ["0.0.0.0/0"], allowWorldOpen })));
    expect(problems.map((p) => p.path)).toContain("honeynet.dashboard.allowCidrs[0]");
  });

  it("requires the dashboard section", () => {
    expectProblems(withChange((c) => delete c.honeynet.dashboard), [["honeynet.dashboard", "is required"]]);
  });

  it.each<[string, (c: Raw) => void, string]>([
    ["honeynet.networkCidr", (c) => (c.honeynet.networkCidr = "10.42.0.1/16"), 'did you mean "10.42.0.0/16"?'],
    ["quarantine.allowCidrs[0]", (c) => (c.quarantine.allowCidrs = ["fe80::1/64"]), 'did you mean "fe80::/64"?'],
  ])("checks %s", (path, change, words) => {
    expectProblems(withChange(change), [[path, "is not a valid CIDR", words]]);
  });
});

describe("regions", () => {
  it.each<[string, (c: Raw) => void, Expected]>([
    ["AWS near miss", (c) => (c.clouds.aws.region = "eu-west-22"), ["clouds.aws.region", '"eu-west-22" is not a known AWS region', 'did you mean "eu-west-2"']],
    ["AWS transposition", (c) => (c.clouds.aws.region = "eu-wset-2"), ["clouds.aws.region", 'did you mean "eu-west-2"']],
    ["Azure", (c) => (c.clouds.azure.location = "uk-south"), ["clouds.azure.location", '"uk-south" is not a known Azure location', 'did you mean "uksouth"?']],
    ["GCP", (c) => (c.clouds.gcp.region = "europe-west22"), ["clouds.gcp.region", '"europe-west22" is not a known GCP region; did you mean', '"europe-west2"']],
    ["S3 backend", (c) => (c.clouds.aws.backend = { type: "s3", bucket: "my-state", region: "us-est-1" }), ["clouds.aws.backend.region", "is not a known AWS region", 'did you mean "us-east-1"']],
  ])("%s", (_, change, expected) => {
    expectProblems(withChange(change), [expected]);
  });

  it("does not suggest anything for a far-off region", () => {
    const [p] = expectProblems(withChange((c) => (c.clouds.aws.region = "mars-1")), [["clouds.aws.region", '"mars-1" is not a known AWS region']]);
    expect(p.message).not.toContain("did you mean");
  });

  it("requires at least one cloud", () => {
    expectProblems(withChange((c) => (c.clouds = {})), [["clouds", "names no cloud"]]);
  });
});

describe("unknown keys", () => {
  it.each<[string, (c: Raw) => void, Expected]>([
    ["top level", (c) => (c.prefx = "lure"), ["prefx", "unknown setting", 'did you mean "prefix"?', '"honeynet"']],
    ["honeynet", (c) => (c.honeynet.capacty = "spot"), ["honeynet.capacty", 'did you mean "capacity"?', '"networkCidr"']],
    ["dashboard", (c) => (c.honeynet.dashboard.allowCidr = ["198.18.0.0/15"]), ["honeynet.dashboard.allowCidr", 'did you mean "allowCidrs"?']],
    ["watcher", (c) => (c.watcher.schedul = "rate(1 hour)"), ["watcher.schedul", 'did you mean "schedule"?']],
    ["an override", (c) => (c.honeynet.overrides = { cowrie: { cpus: 256 } }), ["honeynet.overrides.cowrie.cpus", 'did you mean "cpu"?', '"ports"']],
    ["far off, at the top level", (c) => (c.kubernetes = true), ["kubernetes", "unknown setting (allowed here:", '"prefix"']],
  ])("%s", (_, change, expected) => {
    expectProblems(withChange(change), [expected]);
  });

  it("does not offer $schema as an allowed key", () => {
    const [p] = problemsOf(withChange((c) => (c.prefx = "lure")));
    expect(p.message).not.toContain("$schema");
  });
});

describe("types and values", () => {
  it.each<[string, (c: Raw) => void, Expected]>([
    ["prefix number", (c) => (c.prefix = 5), ["prefix", "5 has the wrong type; expected string"]],
    ["prefix upper case", (c) => (c.prefix = "Lure"), ["prefix", '"Lure"', "lower-case"]],
    ["retention as a string", (c) => (c.honeynet.logRetentionDays = "30"), ["honeynet.logRetentionDays", '"30" has the wrong type; expected number']],
    ["retention CloudWatch refuses", (c) => (c.honeynet.logRetentionDays = 31), ["honeynet.logRetentionDays", "31 is not a retention CloudWatch accepts", "allowed: 1, 3, 5"]],
    ["boolean as a string", (c) => (c.watcher.enabled = "yes"), ["watcher.enabled", '"yes" has the wrong type; expected boolean']],
    ["capacity", (c) => (c.honeynet.capacity = "ondemand"), ["honeynet.capacity", '"ondemand" is not allowed; allowed: "spot", "on-demand"']],
    ["schedule", (c) => (c.watcher.schedule = "every 12 hours"), ["watcher.schedule", '"every 12 hours" is not a schedule', "rate(12 hours)"]],
    ["tag key", (c) => (c.tags = { "bad key!": "x" }), ["tags.bad key!", '"bad key!" is not a valid tag key']],
    ["section not an object", (c) => (c.watcher = []), ["watcher", "[] has the wrong type; expected object"]],
  ])("%s", (_, change, expected) => {
    expectProblems(withChange(change), [expected]);
  });

  it.each([null, [], "lure", 42])("a config that is %j is reported at the root", (input) => {
    expectProblems(input, [["(root)", "has the wrong type; expected object"]]);
  });
});

describe("honeypot overrides", () => {
  const sizes = Object.entries(FARGATE_SIZES).flatMap(([cpu, mems]) => [[Number(cpu), mems[0]], [Number(cpu), mems[mems.length - 1]]]);
  it.each(sizes)("accepts cpu %i with memory %i", (cpu, memory) => {
    expect(configOf(withChange((c) => (c.honeynet.overrides = { cowrie: { cpu, memory } }))).config.honeynet.overrides.cowrie).toEqual({ cpu, memory });
  });

  it("accepts image, user and a subset of ports (either side of a compose mapping)", () => {
    const overrides = { cowrie: { cpu: 256, memory: 512, image: "example.com/cowrie:1", user: "0", ports: ["22/tcp"] }, dicompot: { ports: ["104/tcp"] }, mailoney: { ports: ["25/tcp"] } };
    // Overrides must name deployed honeypots: deploy mailoney alongside the industrial ones.
    const profile = ["cowrie", "dicompot", "mailoney"];
    expect(configOf(withChange((c) => { c.honeynet.profile = profile; c.honeynet.overrides = overrides; })).config.honeynet.overrides).toEqual(overrides);
  });

  it.each<[string, object, Expected[]]>([
    ["cpu not a Fargate size", { cpu: 300 }, [["honeynet.overrides.cowrie.cpu", "300 is not a Fargate CPU size", "allowed: 256, 512, 1024, 2048, 4096"]]],
    ["memory too big for 256", { cpu: 256, memory: 4096 }, [["honeynet.overrides.cowrie.memory", "4096 is not allowed with cpu 256", "allowed: 512, 1024, 2048"]]],
    ["memory too small for 512", { cpu: 512, memory: 512 }, [["honeynet.overrides.cowrie.memory", "512 is not allowed with cpu 512", "allowed: 1024, 2048, 3072, 4096"]]],
    ["memory too small for 1024", { cpu: 1024, memory: 1024 }, [["honeynet.overrides.cowrie.memory", "allowed: 2048-8192 in steps of 1024"]]],
    ["memory off the 1024 grid", { cpu: 2048, memory: 5000 }, [["honeynet.overrides.cowrie.memory", "5000 is not allowed with cpu 2048", "allowed: 4096-16384"]]],
    ["memory too big for 4096", { cpu: 4096, memory: 31744 }, [["honeynet.overrides.cowrie.memory", "allowed: 8192-30720"]]],
    ["cpu as a string", { cpu: "256" }, [["honeynet.overrides.cowrie.cpu", '"256" has the wrong type; expected number']]],
    ["port not in the catalog", { ports: ["22/tcp", "2222/tcp"] }, [["honeynet.overrides.cowrie.ports[1]", '"2222/tcp" is not a port of cowrie', 'allowed: "22/tcp", "23/tcp"']]],
    ["port with the wrong protocol", { ports: ["22/udp"] }, [["honeynet.overrides.cowrie.ports[0]", '"22/udp" is not a port of cowrie']]],
    ["port without a protocol", { ports: ["22"] }, [["honeynet.overrides.cowrie.ports[0]", '"22" is not a port; write it like "22/tcp"']]],
    ["empty port list", { ports: [] }, [["honeynet.overrides.cowrie.ports", "[]"]]],
    [
      "a bad size, a bad port and an unknown key together",
      { cpu: 256, memory: 4096, ports: ["2222/tcp"], imag: "x" },
      [
        ["honeynet.overrides.cowrie.memory", "4096 is not allowed with cpu 256"],
        ["honeynet.overrides.cowrie.ports[0]", '"2222/tcp" is not a port of cowrie'],
        ["honeynet.overrides.cowrie.imag", 'did you mean "image"'],
      ],
    ],
  ])("%s", (_, override, expected) => {
    expectProblems(withChange((c) => (c.honeynet.overrides = { cowrie: override })), expected);
  });
});

describe("several errors", () => {
  it("are all reported at once", () => {
    const input = withChange((c) => {
      c.prefx = "x";
      c.clouds.aws.region = "eu-west-22";
      c.honeynet.profile = ["cowrei", "honeytrap", "cowrie", "cowrie", "snare"];
      c.honeynet.dashboard.allowCidrs = ["0.0.0.0/0", "10.0.0.1/8"];
      c.honeynet.capacity = "ondemand";
      c.honeynet.overrides = { cowrie: { ports: ["2222/tcp"] } };
      c.watcher.schedule = 12;
    });
    expectProblems(input, [
      ["prefx", 'did you mean "prefix"?'],
      ["clouds.aws.region", 'did you mean "eu-west-2"'],
      ["honeynet.profile[0]", 'did you mean "cowrie"?'],
      ["honeynet.profile[1]", "cannot run on serverless containers"],
      ["honeynet.profile[3]", "listed twice (first at index 2)"],
      ["honeynet.profile[4]", '"snare" talks to "tanner"'],
      ["honeynet.dashboard.allowCidrs[0]", "whole internet"],
      ["honeynet.dashboard.allowCidrs[1]", 'did you mean "10.0.0.0/8"?'],
      ["honeynet.capacity", '"ondemand" is not allowed'],
      ["honeynet.overrides.cowrie.ports[0]", '"2222/tcp" is not a port of cowrie'],
      ["watcher.schedule", "12 has the wrong type"],
    ]);
  });

  it("are formatted one per line by ConfigError", () => {
    const e = new ConfigError("x.json", problemsOf(withChange((c) => ((c.prefix = 5), (c.clouds.aws.region = "mars-1")))));
    expect(e.message).toBe('x.json: 2 problems\n  prefix: 5 has the wrong type; expected string\n  clouds.aws.region: "mars-1" is not a known AWS region');
  });
});

describe("loadConfig", () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "lure-config-"))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads the default config", () => {
    expect(loadConfig(DEFAULT_CONFIG_FILE).config.prefix).toBe("lure");
  });

  it.each<[string, string | undefined, string]>([
    ["missing file", undefined, "(file): cannot be read"],
    ["not JSON", "{ prefix: lure", "(file): is not valid JSON"],
    ["invalid config", JSON.stringify(withChange((c) => (c.honeynet.profile = ["cowrei"]))), 'honeynet.profile[0]: "cowrei" is not a known honeypot; did you mean "cowrie"?'],
  ])("throws a ConfigError naming the file for a %s", (name, text, words) => {
    const file = join(dir, `${name.replace(/ /g, "-")}.json`);
    if (text !== undefined) writeFileSync(file, text);
    let error: unknown;
    try {
      loadConfig(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(file);
    expect((error as ConfigError).message).toContain(words);
  });
});

describe("JSON syntax errors name the line and column", () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "lure-json-"))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const problemFor = (name: string, text: string): string => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, text);
    try {
      loadConfig(file);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toHaveLength(1);
      expect((e as ConfigError).message).toBe(`${file}: 1 problem\n  (file): ${(e as ConfigError).problems[0].message}`);
      return (e as ConfigError).problems[0].message;
    }
    throw new Error("expected a ConfigError");
  };

  it.each<[string, string, string]>([
    ["trailing comma", '{\n  "prefix": "lure",\n  "clouds": { "aws": { "region": "eu-west-2" } },\n}\n', 'is not valid JSON at line 4, column 1: expected double-quoted property name; remove the comma before this "}"'],
    ["trailing comma in a list (Node gives no position)", '{\n  "honeynet": {\n    "profile": ["cowrie",\n    ]\n  }\n}', `is not valid JSON at line 4, column 5: unexpected token ']'; remove the comma before this "]"`],
    ["missing quote", '{\n  "prefix": "lure,\n  "tags": {}\n}', "is not valid JSON at line 2, column 19: bad control character in string literal"],
    ["missing comma", '{\n  "prefix": "lure"\n  "tags": {}\n}', "is not valid JSON at line 3, column 3: expected ',' or '}' after property value"],
    ["unquoted key", "{ prefix: lure", "is not valid JSON at line 1, column 3: expected property name or '}'"],
    ["cut short", '{\n  "prefix": "lure"', 'is not valid JSON at line 2, column 19: the file ends before the JSON does (a missing "}", "]" or closing quote?)'],
    ["text after the object", '{ "prefix": "lure" }\n}', "is not valid JSON at line 2, column 1: unexpected non-whitespace character after JSON"],
    ["empty file", "", "is empty; write the config as a JSON object (start from the repository's lure.config.json)"],
    ["blank file", " \n\n", "is empty; write the config as a JSON object (start from the repository's lure.config.json)"],
  ])("%s", (name, text, message) => {
    expect(problemFor(name.replace(/\W+/g, "-"), text)).toBe(message);
  });

  it("reads a position Node gives with its own line and column, or none at all", () => {
    expect(jsonSyntaxMessage('{\n  "a": 1 "b"}', "Expected ',' or '}' after property value in JSON at position 11 (line 2 column 10)")).toBe(
      "is not valid JSON at line 2, column 10: expected ',' or '}' after property value",
    );
    expect(jsonSyntaxMessage('{"a": tru}', `Unexpected token '}', "{"a": tru}" is not valid JSON`)).toBe("is not valid JSON at line 1, column 10: unexpected token '}'");
  });

  it("finds the offset Node reports when its message has none (every one-character slip in lure.config.json)", () => {
    const good = readFileSync(DEFAULT_CONFIG_FILE, "utf8");
    const slips = Array.from(good, (_, i) => [good.slice(0, i) + good.slice(i + 1), ...[",", "]", "}", "x", '"', ":"].map((c) => good.slice(0, i) + c + good.slice(i))]).flat();
    let compared = 0;
    for (const text of slips) {
      let message = "";
      try {
        JSON.parse(text);
        continue;
      } catch (e) {
        message = (e as Error).message;
      }
      if (!/at position \d+/.test(message)) continue;
      compared++;
      const where = (m: string) => /^is not valid JSON at (line \d+, column \d+)/.exec(jsonSyntaxMessage(text, m))?.[1];
      expect(where(`Unexpected token 'x', "..." is not valid JSON`)).toBe(where(message));
    }
    expect(compared).toBeGreaterThan(1000);
  });
});

describe("honeynet.elastic", () => {
  it("size is small, standard (the default, T-Pot's) or large, and passes to every cloud's honeynet", () => {
    expect(configOf(DEFAULT).config.honeynet.elastic.size).toBe("standard");
    const large = configOf(withChange((c) => (c.honeynet.elastic = { size: "large" }))).config;
    expect((["aws", "azure", "gcp"] as const).map((k) => honeynetPropsFor(large, k).elasticSize)).toEqual(["large", "large", "large"]);
    expectProblems(withChange((c) => (c.honeynet.elastic = { size: "xl" })), [["honeynet.elastic.size", "small", "standard", "large"]]);
  });

  it("version: 8.16.1 or a later 8.x, since T-Pot 24.04.1's Logstash and saved objects are 8.16.1", () => {
    expect(configOf(withChange((c) => (c.honeynet.elastic = { version: "8.16.1" }))).config.honeynet.elastic.version).toBe("8.16.1");
    for (const v of ["8.15.3", "7.17.9", "9.0.1"]) {
      expectProblems(withChange((c) => (c.honeynet.elastic = { version: v })), [["honeynet.elastic.version", "is not supported", "8.16.1 or a later 8.x", "Kibana refuses objects from a newer Kibana"]]);
    }
    // A malformed version gets the format message alone.
    expectProblems(withChange((c) => (c.honeynet.elastic = { version: "8.17" })), [["honeynet.elastic.version", "is not a version like 8.17.0"]]);
  });
});

describe("configWarnings", () => {
  const warningsFor = (change: (c: Raw) => void) => configWarnings(configOf(withChange(change)).config);

  it.each<[string, (c: Raw) => void, string[]]>([
    ["the default config (a documentation range)", () => {}, ["honeynet.dashboard.allowCidrs: 203.0.113.0/24 is a documentation range; nobody can reach the dashboard until you put your own CIDR there"]],
    ["every documentation range", (c) => (c.honeynet.dashboard.allowCidrs = ["192.0.2.0/24", "198.51.100.0/25", "2001:db8::/32", "198.18.0.0/15"]), ["192.0.2.0/24 is a documentation range", "198.51.100.0/25 is a documentation range", "2001:db8::/32 is a documentation range"]],
    ["a real CIDR", (c) => (c.honeynet.dashboard.allowCidrs = ["198.18.0.0/15"]), []],
    [
      "a deprecated honeypot listed explicitly",
      (c) => ((c.honeynet.dashboard.allowCidrs = ["198.18.0.0/15"]), (c.honeynet.profile = ["cowrie", "rdpy"])),
      [`honeynet.profile: "rdpy" is deprecated upstream (${TPOT.honeypots.rdpy.deprecated}); its image ${TPOT.honeypots.rdpy.image} gets no fixes`],
    ],
    ["honeysap too", (c) => ((c.honeynet.dashboard.allowCidrs = ["198.18.0.0/15"]), (c.honeynet.profile = ["honeysap"])), ['"honeysap" is deprecated upstream']],
    ["the industrial profile (no deprecated member)", (c) => ((c.honeynet.dashboard.allowCidrs = ["198.18.0.0/15"]), (c.honeynet.profile = "industrial")), []],
    [
      "the small Elastic size with more than 6 honeypots on a cloud",
      (c) => ((c.honeynet.dashboard.allowCidrs = ["198.18.0.0/15"]), (c.honeynet.elastic = { size: "small" })),
      ['honeynet.elastic.size: small gives Elasticsearch a 1 GiB heap, half of T-Pot\'s, and a cloud here runs 10 honeypots; T-Pot\'s dashboards over weeks of their events may fail with memory errors. Use "standard"'],
    ],
    [
      "the small Elastic size with few honeypots",
      (c) => ((c.honeynet.dashboard.allowCidrs = ["198.18.0.0/15"]), (c.honeynet.elastic = { size: "small" }), (c.honeynet.profile = ["cowrie", "dionaea"]), delete c.clouds.azure, delete c.clouds.gcp),
      [],
    ],
    [
      "the attack map with Azure and Google Cloud configured",
      (c) => ((c.honeynet.dashboard.allowCidrs = ["198.18.0.0/15"]), (c.honeynet.dashboard.certificateArn = "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234"), (c.honeynet.attackMap = true)),
      ["honeynet.attackMap: only on AWS; not on Azure or Google Cloud: the map's page connects over wss:// only"],
    ],
    [
      "a replaced Logstash image",
      (c) => ((c.honeynet.dashboard.allowCidrs = ["198.18.0.0/15"]), (c.honeynet.elastic = { images: { logstash: "registry.example.com/logstash:8.17.0" } })),
      ["honeynet.elastic.images.logstash: must be T-Pot's Logstash (or built from it): lure runs T-Pot's pipeline (/etc/logstash/logstash.conf) and entrypoint from it; the default is ghcr.io/telekom-security/logstash:24.04.1"],
    ],
  ])("%s", (_, change, expected) => {
    const warnings = warningsFor(change);
    expect(warnings).toHaveLength(expected.length);
    expected.forEach((w, i) => expect(warnings[i]).toContain(w));
  });

  it("are returned by validateConfig too", () => {
    expect(configOf(DEFAULT).warnings).toEqual(configWarnings(configOf(DEFAULT).config));
  });
});
