import { evaluateExposure, type ExposureState, type EvaluateInput } from "../../../functions/core/exposure";
import { decideRotation } from "../../../functions/core/rotation";
import type { IndexBanner, LookupResult } from "../../../functions/core/scanner-index";
import { exposureAlert, configErrorAlert } from "../../../functions/core/alert";

const NOW = new Date("2026-11-21T12:00:00Z");
const SINCE = new Date("2026-11-20T00:00:00Z");

function banner(port: number, seenAt = "2026-11-21T08:00:00Z", extra: Partial<IndexBanner> = {}): IndexBanner {
  return { port, transport: "tcp", seenAt, tags: [], ...extra };
}
function found(banners: IndexBanner[], tags: string[] = [], honeyscore?: number, lastUpdate = "2026-11-21T08:00:00Z"): LookupResult {
  return { kind: "found", host: { ip: "198.51.100.7", tags, lastUpdate, banners }, raw: {}, ...(honeyscore !== undefined ? { honeyscore } : {}) };
}
const NOT_FOUND: LookupResult = { kind: "not-found" };

function run(answer: LookupResult, previous?: ExposureState, extra: Partial<EvaluateInput> = {}) {
  return evaluateExposure({ ip: "198.51.100.7", honeypot: "conpot_iec104", index: "shodan", answer, previous, now: NOW, since: SINCE, ...extra });
}

/** A state as a previous cycle would have stored it. */
function prior(answer: LookupResult, checkedAt = "2026-11-21T00:00:00Z"): ExposureState {
  return evaluateExposure({ ip: "198.51.100.7", honeypot: "conpot_iec104", index: "shodan", answer, now: new Date(checkedAt), since: SINCE }).state;
}

describe("evaluateExposure", () => {
  const cases: [string, LookupResult, ExposureState | undefined, string[]][] = [
    ["not found, first time", NOT_FOUND, undefined, []],
    ["not found twice", NOT_FOUND, prior(NOT_FOUND), []],
    ["found first time", found([banner(102), banner(502)]), undefined, ["new-exposure:102/tcp,502/tcp"]],
    ["found after not found", found([banner(502)]), prior(NOT_FOUND), ["new-exposure:502/tcp"]],
    ["same state twice", found([banner(102), banner(502)]), prior(found([banner(102), banner(502)])), []],
    ["a port disappears", found([banner(102)]), prior(found([banner(102), banner(502)])), []],
    ["a new port", found([banner(102), banner(502), banner(161, undefined, { transport: "udp" })]), prior(found([banner(102), banner(502)])), ["new-ports:161/udp"]],
    ["host tagged honeypot", found([banner(102)], ["honeypot"]), prior(found([banner(102)])), ["honeypot-tag"]],
    ["tagged twice", found([banner(102)], ["honeypot"]), prior(found([banner(102)], ["honeypot"])), []],
    ["banner tagged honeypot", found([banner(102, undefined, { tags: ["honeypot"] })]), prior(found([banner(102)])), ["honeypot-tag"]],
    ["new exposure already tagged", found([banner(102)], ["honeypot"]), undefined, ["new-exposure:102/tcp", "honeypot-tag"]],
    ["honeyscore crosses threshold", found([banner(102)], [], 0.8), prior(found([banner(102)], [], 0.3)), ["honeyscore:0.8"]],
    ["honeyscore stays high", found([banner(102)], [], 0.9), prior(found([banner(102)], [], 0.8)), []],
    ["honeyscore below threshold", found([banner(102)], [], 0.3), undefined, ["new-exposure:102/tcp"]],
    ["found then gone: no alert", NOT_FOUND, prior(found([banner(102)])), []],
    // Fargate IPs are reused: data about the IP's previous holder is not our exposure.
    ["only stale banners", found([banner(22, "2026-10-01T00:00:00Z")], [], 0.9, "2026-10-01T00:00:00Z"), undefined, []],
    ["stale host tag is ignored", found([banner(22, "2026-10-01T00:00:00Z")], ["honeypot"], undefined, "2026-10-01T00:00:00Z"), undefined, []],
    ["stale and current mixed", found([banner(22, "2026-10-01T00:00:00Z"), banner(502)]), undefined, ["new-exposure:502/tcp"]],
    ["Shodan times without zone", found([banner(502, "2026-11-21T08:00:00.123456")]), undefined, ["new-exposure:502/tcp"]],
  ];

  it.each(cases)("%s", (_name, answer, previous, expected) => {
    const e = run(answer, previous);
    const got = e.changes.map((c) => (c.kind === "new-exposure" || c.kind === "new-ports" ? `${c.kind}:${c.ports.join(",")}` : c.kind === "honeyscore" ? `honeyscore:${c.score}` : c.kind));
    expect(got).toEqual(expected);
    expect(e.changed).toBe(expected.length > 0);
  });

  it("feeding a state back as the previous one never alerts again", () => {
    for (const [, answer] of cases) {
      const first = run(answer);
      const second = evaluateExposure({ ip: "198.51.100.7", honeypot: "conpot_iec104", index: "shodan", answer, previous: first.state, now: new Date(NOW.getTime() + 3_600_000), since: SINCE });
      expect(second.changes).toEqual([]);
    }
  });

  it("ignores a previous state from before the IP was ours or for another honeypot", () => {
    const old = prior(found([banner(102)]), "2026-11-19T00:00:00Z");
    expect(run(found([banner(102)]), old).changes.map((c) => c.kind)).toEqual(["new-exposure"]);
    const other = { ...prior(found([banner(102)])), honeypot: "dicompot" };
    expect(run(found([banner(102)]), other).changes.map((c) => c.kind)).toEqual(["new-exposure"]);
  });

  it("keeps the first time the IP was found while it stays listed", () => {
    const first = run(found([banner(102)]));
    expect(first.state.firstFoundAt).toBe(NOW.toISOString());
    const later = evaluateExposure({ ip: "198.51.100.7", honeypot: "conpot_iec104", index: "shodan", answer: found([banner(102)]), previous: first.state, now: new Date("2026-11-22T00:00:00Z"), since: SINCE });
    expect(later.state.firstFoundAt).toBe(NOW.toISOString());
    expect(run(NOT_FOUND, first.state).state.firstFoundAt).toBeUndefined();
  });

  it("records the state it decided on", () => {
    const e = run(found([banner(502), banner(102), banner(102)], ["cloud"], 0.2));
    expect(e.state).toEqual({
      ip: "198.51.100.7",
      honeypot: "conpot_iec104",
      checkedAt: NOW.toISOString(),
      index: "shodan",
      found: true,
      ports: ["102/tcp", "502/tcp"],
      honeypotTagged: false,
      honeyscore: 0.2,
      staleOnly: false,
      firstFoundAt: NOW.toISOString(),
    });
    expect(run(found([banner(22, "2026-10-01T00:00:00Z")], [], 0.9, "2026-10-01T00:00:00Z")).state).toMatchObject({ found: false, staleOnly: true, ports: [] });
  });

  it("counts banners without a time when it cannot tell their age", () => {
    expect(run(found([{ port: 102, transport: "tcp", tags: [] }])).state.ports).toEqual(["102/tcp"]);
  });
});

describe("decideRotation", () => {
  const exposed = run(found([banner(502)])).state;
  const hidden = run(NOT_FOUND).state;
  const on = { enabled: true, minIntervalHours: 24 };
  const cases: [string, Parameters<typeof decideRotation>[0], boolean, string][] = [
    ["disabled", { policy: { enabled: false, minIntervalHours: 24 }, state: exposed, now: NOW }, false, "disabled"],
    ["not exposed", { policy: on, state: hidden, now: NOW }, false, "not-exposed"],
    ["never rotated", { policy: on, state: exposed, now: NOW }, true, "listed by shodan on 502/tcp"],
    ["rotated 23 h ago", { policy: on, state: exposed, lastRotatedAt: "2026-11-20T13:00:00Z", now: NOW }, false, "too-soon"],
    ["rotated exactly 24 h ago", { policy: on, state: exposed, lastRotatedAt: "2026-11-20T12:00:00Z", now: NOW }, true, "listed by shodan on 502/tcp"],
    ["tagged", { policy: on, state: run(found([banner(502)], ["honeypot"])).state, now: NOW }, true, "tagged as a honeypot by shodan"],
    ["unreadable last rotation", { policy: on, state: exposed, lastRotatedAt: "yesterday", now: NOW }, true, "listed by shodan on 502/tcp"],
  ];
  it.each(cases)("%s", (_n, input, rotate, reason) => {
    const d = decideRotation(input);
    expect(d.rotate).toBe(rotate);
    expect(d.reason).toBe(reason);
  });

  it("says when the next rotation is allowed", () => {
    const d = decideRotation({ policy: on, state: exposed, lastRotatedAt: "2026-11-20T13:00:00Z", now: NOW });
    expect(d).toEqual({ rotate: false, reason: "too-soon", nextAllowedAt: "2026-11-21T13:00:00.000Z" });
  });
});

describe("alerts", () => {
  it("says what changed, what was done and where the answer is", () => {
    const evaluation = run(found([banner(102), banner(502)], ["honeypot"], 0.9));
    const a = exposureAlert({ prefix: "lure", evaluation, service: "lure-hp-conpot_iec104", rotation: { status: "rotated", service: "lure-hp-conpot_iec104" }, resultUrl: "s3://b/results/x.json" });
    expect(a.subject).toBe("[lure] conpot_iec104 198.51.100.7: now listed with 102/tcp, 502/tcp; tagged as a honeypot (+1 more)");
    expect(a.body).toContain("- honeyscore 0.90");
    expect(a.body).toContain("Ports listed: 102/tcp, 502/tcp");
    expect(a.body).toContain("new deployment of lure-hp-conpot_iec104");
    expect(a.body).toContain("s3://b/results/x.json");
  });

  it("keeps subjects to what SNS accepts: printable ASCII under 100 characters", () => {
    const many = Array.from({ length: 40 }, (_, i) => banner(1000 + i));
    const long = exposureAlert({ prefix: "lure", evaluation: run(found(many)), service: "s" }).subject;
    expect(long).toHaveLength(99);
    expect(long.endsWith("...")).toBe(true);
    expect(configErrorAlert({ prefix: "x".repeat(120), index: "shodan", problem: "401", secretName: "s" }).subject).toMatch(/^[\x20-\x7e]{1,99}$/);
  });

  it("reports a failed rotation as retried next cycle", () => {
    const a = exposureAlert({ prefix: "lure", evaluation: run(found([banner(502)])), service: "svc", rotation: { status: "failed", service: "svc", detail: "AccessDenied" } });
    expect(a.body).toMatch(/failed: AccessDenied\. It is retried on the next cycle/);
  });
});
