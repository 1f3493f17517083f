import { Testing } from "cdktf";
import { validateConfig } from "../../modules/core/config";
import { expandExtraTargets } from "../../modules/core/extra-targets";
import { scheduleProblem, toNcrontab, toUnixCron } from "../../modules/core/schedule";
import { watcherPropsProblems } from "../../modules/core/validate";
import type { IHoneynet } from "../../modules/core/interfaces";
import { defaultConfigInput } from "../helpers/synth";

describe("schedule expressions", () => {
  it.each(["rate(12 hours)", "rate(1 hour)", "rate(30 minutes)", "rate(1 day)", "cron(0 */12 * * ? *)", "cron(15 6 ? * MON-FRI *)"])("accepts %s", (e) => {
    expect(scheduleProblem(e)).toBeUndefined();
  });
  it.each([
    ["rate(1 hours)", 'write "rate(1 hour)"'],
    ["rate(12 hour)", 'write "rate(12 hours)"'],
    ["rate(0 minutes)", 'a rate is at least 1, e.g. "rate(1 minute)"'],
    ["cron(0 12 * * ?)", "cron needs six fields"],
    ["every 12 hours", "is not a schedule"],
    ["cron(0 6 * * * *)", '"?" in exactly one of day-of-month'],
    ["cron(0 6 ? * ? *)", '"?" in exactly one of day-of-month'],
  ])("refuses %s", (e, why) => {
    expect(scheduleProblem(e)).toContain(why);
  });
});

describe("the Azure timer's NCRONTAB of a schedule", () => {
  it.each([
    ["rate(12 hours)", "0 0 */12 * * *"],
    ["rate(1 hour)", "0 0 * * * *"],
    ["rate(24 hours)", "0 0 0 * * *"],
    ["rate(15 minutes)", "0 */15 * * * *"],
    ["rate(1 minute)", "0 * * * * *"],
    ["rate(60 minutes)", "0 0 * * * *"],
    ["rate(1 day)", "0 0 0 * * *"],
    ["cron(0 */12 * * ? *)", "0 0 */12 * * *"],
    // AWS numbers the days of the week 1-7 from Sunday, NCRONTAB 0-6.
    ["cron(30 2 ? * 1,7 *)", "0 30 2 * * 0,6"],
    ["cron(15 6 ? * MON-FRI *)", "0 15 6 * * 1-5"],
    ["cron(0 6 1 JAN ? *)", "0 0 6 1 1 *"],
    // "from 5, every 15" must be spelled as a range.
    ["cron(5/15 * * * ? *)", "0 5-59/15 * * * *"],
  ])("%s → %s", (e, ncrontab) => {
    expect(scheduleProblem(e)).toBeUndefined();
    expect(toNcrontab(e)).toEqual({ ok: true, value: ncrontab });
    // Cloud Scheduler's unix-cron is the same without the seconds field.
    expect(toUnixCron(e)).toEqual({ ok: true, value: ncrontab.replace(/^0 /, "") });
  });

  it.each([
    ["rate(7 minutes)", "minutes that divide the hour"],
    ["rate(5 hours)", "hours that divide the day"],
    ["rate(2 days)", "a rate of 1 day"],
    ["cron(0 6 L * ? *)", 'uses "L"'],
    ["cron(0 6 ? * 2#1 *)", 'uses "2#1"'],
    ["cron(0 6 * * ? 2027)", 'has a year field ("2027")'],
    ["cron(0 6 ? * 8 *)", 'has "8" in day-of-week (1-7 or SUN-SAT)'],
    ["cron(0 6 0 * ? *)", 'has "0" in day-of-month (1-31)'],
  ])("refuses %s", (e, why) => {
    for (const r of [toNcrontab(e), toUnixCron(e)]) {
      expect(r.ok).toBe(false);
      expect(r.ok ? "" : r.problem).toContain(why);
    }
    const gcp = toUnixCron(e);
    expect(gcp.ok ? "" : gcp.problem).not.toContain("Azure");
  });

  it("a schedule the Azure timer or Cloud Scheduler cannot keep is a config error only while Azure or Google Cloud runs a watcher", () => {
    const both = validateConfig({ ...defaultConfigInput(), watcher: { schedule: "rate(7 minutes)" } });
    expect(both.ok ? [] : both.problems).toEqual([
      { path: "watcher.schedule", message: expect.stringMatching(/^"rate\(7 minutes\)" has no exact Azure Functions timer schedule .*\(clouds\.azure and clouds\.gcp are set\)$/) },
    ]);
    const withClouds = (keep: readonly string[]) => {
      const raw = defaultConfigInput() as { clouds: Record<string, unknown> };
      for (const c of ["azure", "gcp"]) if (!keep.includes(c)) delete raw.clouds[c];
      return validateConfig({ ...raw, watcher: { schedule: "rate(7 minutes)" } });
    };
    const gcpOnly = withClouds(["gcp"]);
    expect(gcpOnly.ok ? [] : gcpOnly.problems).toEqual([
      { path: "watcher.schedule", message: expect.stringMatching(/^"rate\(7 minutes\)" has no exact Cloud Scheduler schedule .*\(clouds\.gcp is set\)$/) },
    ]);
    const azureOnly = withClouds(["azure"]);
    expect(azureOnly.ok ? [] : azureOnly.problems.map((p) => p.message)).toEqual([expect.stringMatching(/\(clouds\.azure is set\)$/)]);
    expect(withClouds([]).ok).toBe(true);
    expect(validateConfig({ ...defaultConfigInput(), watcher: { enabled: false, schedule: "rate(7 minutes)" } }).ok).toBe(true);
  });
});

describe("schedule messages read the same in the config and in props", () => {
  it.each(["rate(1 hours)", "rate(12 hour)", "rate(0 minutes)", "cron(0 12 * * ?)", "cron(0 6 * * * *)", "every 12 hours"])("%s", (schedule) => {
    const r = validateConfig({ ...defaultConfigInput(), watcher: { schedule } });
    const fromConfig = r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
    const fromProps = watcherPropsProblems({ honeynet: { honeypots: [{ ports: [{ port: 22, protocol: "tcp" }] }] } as unknown as IHoneynet, schedule }).map((p) => `watcher.${p.path}: ${p.message}`);
    expect(fromConfig).toEqual(fromProps);
    // The value, then "is …; " and what to write.
    expect(fromConfig).toEqual([expect.stringMatching(new RegExp(`^watcher\\.schedule: "${schedule.replace(/[()*?]/g, "\\$&")}" is (not allowed|not a schedule); `))]);
  });

  it("rate(1 hours) says what to write instead", () => {
    const r = validateConfig({ ...defaultConfigInput(), watcher: { schedule: "rate(1 hours)" } });
    expect(r.ok ? [] : r.problems).toEqual([{ path: "watcher.schedule", message: '"rate(1 hours)" is not allowed; write "rate(1 hour)" (the unit is singular for 1)' }]);
  });
});

describe("watcher config", () => {
  const withWatcher = (w: Record<string, unknown>) => validateConfig({ ...defaultConfigInput(), watcher: w });

  it("defaults: every 12 hours, no rotation, 24 h between rotations, a year of results, honeyscore on", () => {
    const r = withWatcher({});
    expect(r.ok && r.config.watcher).toEqual({
      enabled: true,
      schedule: "rate(12 hours)",
      rotateOnExposure: false,
      minRotationIntervalHours: 24,
      resultsRetentionDays: 365,
      honeyscore: true,
      indexes: ["shodan"],
      censys: { everyHours: 24 },
      extraTargets: [],
    });
  });

  it("reports every watcher problem at once, with paths and values", () => {
    const r = withWatcher({ schedule: "rate(1 hours)", alertEmail: "soc", minRotationIntervalHours: 0, resultsRetentionDays: 9999, apiKey: "x" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.problems.map((p) => p.path).sort();
    expect(paths).toEqual(["watcher.alertEmail", "watcher.apiKey", "watcher.minRotationIntervalHours", "watcher.resultsRetentionDays", "watcher.schedule"]);
    // An API key in the config is refused with the reason: the key only ever lives in the secret.
    expect(r.problems.find((p) => p.path === "watcher.apiKey")!.message).toMatch(/^secrets are never part of the config/);
    expect(r.problems.find((p) => p.path === "watcher.schedule")!.message).toContain('write "rate(1 hour)"');
  });
});

describe("watcher props (programmatic use)", () => {
  const honeynet = (ports: number): IHoneynet =>
    ({ honeypots: [{ name: "cowrie", image: "x", ports: Array.from({ length: ports }, () => ({ port: 22, protocol: "tcp" })), portChanges: [], serviceName: "s" }] }) as unknown as IHoneynet;

  it("accepts defaults", () => {
    expect(watcherPropsProblems({ honeynet: honeynet(1) })).toEqual([]);
  });

  it("lists every problem", () => {
    const problems = watcherPropsProblems({ honeynet: honeynet(0), schedule: "rate(2 hour)", alertEmail: "a@b", minRotationIntervalHours: 1.5, resultsRetentionDays: 0 });
    expect(problems.map((p) => p.path)).toEqual(["schedule", "alertEmail", "minRotationIntervalHours", "resultsRetentionDays", "honeynet"]);
    expect(problems[0].message).toBe('"rate(2 hour)" is not allowed; write "rate(2 hours)" (the unit is plural above 1)');
    expect(problems[2].message).toBe("1.5 is not allowed; allowed: a whole number from 1 to 720");
  });

  it("is checked before anything is created", () => {
    const { AwsWatcher } = require("../../modules/aws/watcher") as typeof import("../../modules/aws/watcher");
    const app = Testing.app();
    const { AwsStack } = require("../../providers/aws") as typeof import("../../providers/aws");
    const stack = new AwsStack(app, "s", { prefix: "lure", region: "eu-west-2" });
    expect(() => new AwsWatcher(stack, "W", { honeynet: honeynet(1), schedule: "daily" })).toThrow(/schedule: "daily" is not a schedule/);
    expect(stack.node.findAll().filter((c) => c.node.path.includes("/W/"))).toEqual([]);
  });
});

describe("watcher.indexes, watcher.censys and watcher.extraTargets", () => {
  const withWatcher = (w: Record<string, unknown>) => validateConfig({ ...defaultConfigInput(), watcher: w });
  const problems = (w: Record<string, unknown>) => {
    const r = withWatcher(w);
    return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
  };

  test("Shodan first, Censys after it; an unknown index with did-you-mean", () => {
    expect(withWatcher({ indexes: ["shodan", "censys"], censys: { everyHours: 0, organizationId: "11111111-2222-3333-4444-555555555555" } }).ok).toBe(true);
    expect(problems({ indexes: ["censys"] })).toEqual([expect.stringMatching(/^watcher\.indexes: \["censys"\] must start with "shodan": it is the primary index/)]);
    expect(problems({ indexes: ["shodan", "censis"] })).toEqual([expect.stringMatching(/^watcher\.indexes\[1\]: "censis" is not .*did you mean "censys"/)]);
    expect(problems({ censys: { everyHours: 721, organizationId: "acme" } })).toEqual([
      expect.stringMatching(/^watcher\.censys\.everyHours: 721/),
      'watcher.censys.organizationId: "acme" is not a Censys organization ID (a UUID)',
    ]);
  });

  test("extra targets: public addresses and small CIDRs, as strings or with honeypot type and label", () => {
    const r = withWatcher({ extraTargets: ["185.199.108.1", "185.199.109.0/28", "2a00:1450:4001::/126", { address: "140.82.112.3", honeypot: "conpot", label: "plant A" }] });
    expect(r.ok && r.config.watcher.extraTargets).toHaveLength(4);
  });

  test.each([
    ["10.1.2.3", 'watcher.extraTargets[0]: "10.1.2.3" is private (RFC 1918) (10.0.0.0/8): no scanner index lists it; give public addresses only'],
    ["192.168.1.0/30", 'watcher.extraTargets[0]: "192.168.1.0/30" is private (RFC 1918) (192.168.0.0/16)'],
    ["100.64.0.9", "shared carrier-grade NAT space"],
    ["127.0.0.1", "loopback"],
    ["198.51.100.7", "documentation (RFC 5737)"],
    ["fd00::1", "unique local (RFC 4193)"],
    ["fe80::1", "link-local"],
    ["224.0.0.1", "multicast"],
    ["185.199.108.1/24", 'watcher.extraTargets[0]: "185.199.108.1/24" is not a CIDR: host bits are set; did you mean "185.199.108.0/24"?'],
    ["185.199.108.0/24", 'watcher.extraTargets[0]: "185.199.108.0/24" is too wide: at most a /28 (16 addresses) per entry'],
    ["2a00:1450::/64", "is too wide: at most a /124"],
    ["185.199.108", 'watcher.extraTargets[0]: "185.199.108" is not an IPv4 or IPv6 address or CIDR'],
    [" 185.199.108.1", "has spaces around it"],
    [42, "watcher.extraTargets[0]: 42 is not an address, a CIDR or { address, honeypot?, label? }"],
  ])("refused: %j", (entry, message) => {
    expect(problems({ extraTargets: [entry] }).join("\n")).toContain(message);
  });

  test("object entries: every bad part reported with its own path", () => {
    expect(problems({ extraTargets: [{ address: "8.8.8.8", honeypot: "nope", label: "", port: 502 }, { honeypot: "cowrie" }] })).toEqual([
      "watcher.extraTargets[0].port: is not a setting of an extra target; allowed: address, honeypot, label",
      'watcher.extraTargets[0].honeypot: "nope" is not a catalog honeypot or family; name one (e.g. conpot_default, conpot, cowrie) or leave it out for "external"',
      'watcher.extraTargets[0].label: "" is not a label (1-64 letters, digits, spaces and ._-, starting with a letter or digit)',
      "watcher.extraTargets[1].address: is required: an IPv4/IPv6 address or a small CIDR",
    ]);
  });

  test("too many: entries beyond 16, addresses beyond 64", () => {
    const many = Array.from({ length: 17 }, (_, i) => `185.199.108.${i + 1}`);
    expect(problems({ extraTargets: many })).toEqual(["watcher.extraTargets: lists 17 entries; at most 16 are allowed"]);
    const wide = Array.from({ length: 5 }, (_, i) => `185.199.${100 + i}.0/28`);
    expect(problems({ extraTargets: wide })).toEqual(["watcher.extraTargets: expands to 80 addresses; at most 64 are allowed (each costs a lookup per cycle on every index)"]);
    expect(problems({ extraTargets: "8.8.8.8" })).toEqual(['watcher.extraTargets: "8.8.8.8" has the wrong type; expected array']);
  });

  test("an address covered twice is looked up once", () => {
    const r = withWatcher({ extraTargets: ["185.199.108.0/30", { address: "185.199.108.2", label: "again" }] });
    expect(r.ok).toBe(true);
    const { targets } = expandExtraTargets(r.ok ? r.config.watcher.extraTargets : []);
    expect(targets.map((t) => t.ip)).toEqual(["185.199.108.0", "185.199.108.1", "185.199.108.2", "185.199.108.3"]);
    expect(targets[2]).toEqual({ ip: "185.199.108.2", honeypot: "external" });
  });
});
