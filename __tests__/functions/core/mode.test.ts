import { evaluateMode, initialMode, isLive, isRemembered, onDetections, onRemembered, thresholdReached } from "../../../functions/core/mode";
import type { ModeOptions, ModeState, Quarantine } from "../../../functions/core/quarantine-types";

const T0 = 1_800_000_000;
const MIN = 60;
const OPTS: ModeOptions = { quietPeriodMinutes: 30, forgetOnNormal: true, rememberMinutes: 120, defenceAfterSources: 1, defenceWindowMinutes: 5 };
const REMEMBER: ModeOptions = { ...OPTS, forgetOnNormal: false };
const THREE: ModeOptions = { ...OPTS, defenceAfterSources: 3, defenceWindowMinutes: 5 };

function q(src: string, lastSeen: number, detectedAt = lastSeen): Quarantine {
  return { src, detectedAt, lastSeen, reason: "trw", probes: 4 };
}
const defence = (since = T0): ModeState => ({ mode: "defence", since, recentFlags: [] });

describe("initialMode", () => {
  it("is Normal since now, with no flags", () => {
    expect(initialMode(T0)).toEqual({ mode: "normal", since: T0, recentFlags: [] });
  });
});

describe("onDetections", () => {
  it("enters Defence on the first flag when defenceAfterSources = 1", () => {
    expect(onDetections(initialMode(T0), [T0 + 10], OPTS, T0 + 400)).toEqual({ state: { mode: "defence", since: T0 + 400, recentFlags: [] }, entered: true });
  });

  it("changes nothing without flags", () => {
    const s = initialMode(T0);
    const r = onDetections(s, [], OPTS, T0 + 1);
    expect(r.entered).toBe(false);
    expect(r.state).toBe(s);
  });

  it("changes nothing in Defence Mode", () => {
    const s = defence();
    const r = onDetections(s, [T0 + 5], THREE, T0 + 6);
    expect(r).toEqual({ state: s, entered: false });
    expect(r.state).toBe(s);
  });

  it("with 3 sources in 5 minutes: 2 flags do not enter, the 3rd does", () => {
    const one = onDetections(initialMode(T0), [T0], THREE, T0 + 1);
    expect(one.entered).toBe(false);
    const two = onDetections(one.state, [T0 + 2 * MIN], THREE, T0 + 2 * MIN);
    expect(two).toEqual({ state: { mode: "normal", since: T0, recentFlags: [T0, T0 + 2 * MIN] }, entered: false });
    const three = onDetections(two.state, [T0 + 5 * MIN], THREE, T0 + 5 * MIN + 30);
    expect(three).toEqual({ state: { mode: "defence", since: T0 + 5 * MIN + 30, recentFlags: [] }, entered: true });
  });

  it("3 flags spread over more than the window do not enter, and old flags are dropped", () => {
    const one = onDetections(initialMode(T0), [T0], THREE, T0);
    const two = onDetections(one.state, [T0 + 3 * MIN], THREE, T0 + 3 * MIN);
    const three = onDetections(two.state, [T0 + 5 * MIN + 1], THREE, T0 + 6 * MIN);
    expect(three.entered).toBe(false);
    expect(three.state.recentFlags).toEqual([T0 + 3 * MIN, T0 + 5 * MIN + 1]);
  });

  it("counts several flags of one batch, in any order", () => {
    expect(onDetections(initialMode(T0), [T0 + 100, T0, T0 + 50], THREE, T0 + 200).entered).toBe(true);
  });

  it("keeps recentFlags bounded to defenceAfterSources − 1", () => {
    const opts = { ...THREE, defenceWindowMinutes: 1 };
    let s = initialMode(T0);
    // 100 flags two minutes apart: never 3 within one minute.
    for (let i = 0; i < 100; i++) s = onDetections(s, [T0 + i * 2 * MIN], opts, T0 + i * 2 * MIN).state;
    expect(s.mode).toBe("normal");
    expect(s.recentFlags).toEqual([T0 + 99 * 2 * MIN]);
    const wide = { ...THREE, defenceWindowMinutes: 60 };
    let w = initialMode(T0);
    w = onDetections(w, [T0], wide, T0).state;
    w = onDetections(w, [T0 + 61 * MIN], wide, T0).state;
    expect(w.recentFlags).toEqual([T0 + 61 * MIN]);
  });
});

describe("thresholdReached", () => {
  it.each([
    [[T0, T0 + 300], 2, 5, true], // exactly the window: included
    [[T0, T0 + 301], 2, 5, false],
    [[T0], 1, 5, true],
    [[], 1, 5, false],
    [[T0, T0 + 1000, T0 + 1100, T0 + 1200], 3, 5, true],
  ])("%j with %i in %i min → %s", (times, sources, minutes, expected) => {
    expect(thresholdReached(times, { ...OPTS, defenceAfterSources: sources, defenceWindowMinutes: minutes })).toBe(expected);
  });
});

describe("evaluateMode", () => {
  it("stays in Defence while a quarantine is live, one second before the quiet period ends", () => {
    const s = defence();
    const r = evaluateMode(s, [q("198.51.100.7", T0), q("203.0.113.9", T0 - 3600)], OPTS, T0 + 30 * MIN - 1);
    // The other one went quiet long ago: forgotten even though Defence goes on.
    expect(r).toEqual({ state: s, entered: false, left: false, forget: ["203.0.113.9"], expired: [] });
    expect(r.state).toBe(s);
  });

  it("goes Normal exactly at lastSeen + quietPeriod and forgets every quarantine (forgetOnNormal)", () => {
    const now = T0 + 30 * MIN;
    const r = evaluateMode(defence(), [q("198.51.100.7", T0), q("203.0.113.9", T0 - 3600)], OPTS, now);
    expect(r).toEqual({ state: { mode: "normal", since: now, recentFlags: [] }, entered: false, left: true, forget: ["198.51.100.7", "203.0.113.9"], expired: [] });
  });

  it("goes Normal with no quarantine at all", () => {
    expect(evaluateMode(defence(), [], OPTS, T0).left).toBe(true);
  });

  it("remembers instead of forgetting, and expires at lastSeen + rememberMinutes", () => {
    const left = evaluateMode(defence(), [q("198.51.100.7", T0)], REMEMBER, T0 + 30 * MIN);
    expect(left).toMatchObject({ left: true, forget: [], expired: [] });
    const normal = left.state;
    const kept = evaluateMode(normal, [q("198.51.100.7", T0)], REMEMBER, T0 + 120 * MIN - 1);
    expect(kept).toEqual({ state: normal, entered: false, left: false, forget: [], expired: [] });
    const gone = evaluateMode(normal, [q("198.51.100.7", T0)], REMEMBER, T0 + 120 * MIN);
    expect(gone).toEqual({ state: normal, entered: false, left: false, forget: [], expired: ["198.51.100.7"] });
  });

  it("a memory shorter than the quiet period ends when the quarantine goes quiet", () => {
    const opts = { ...REMEMBER, rememberMinutes: 10 };
    expect(evaluateMode(defence(), [q("198.51.100.7", T0)], opts, T0 + 29 * MIN).expired).toEqual([]);
    expect(evaluateMode(defence(), [q("198.51.100.7", T0)], opts, T0 + 30 * MIN).expired).toEqual(["198.51.100.7"]);
  });

  it("in Defence forgets quiet quarantines at once (forgetOnNormal), so only live ones are stored", () => {
    const qs = [q("198.51.100.7", T0 + 200 * MIN), q("203.0.113.9", T0 + 170 * MIN)];
    const s = defence();
    const r = evaluateMode(s, qs, OPTS, T0 + 200 * MIN);
    expect(r).toEqual({ state: s, entered: false, left: false, forget: ["203.0.113.9"], expired: [] });
    // One second earlier it is still live: kept.
    expect(evaluateMode(s, qs, OPTS, T0 + 200 * MIN - 1).forget).toEqual([]);
  });

  it("in Defence keeps remembered quiet quarantines until their memory runs out", () => {
    const qs = [q("198.51.100.7", T0 + 200 * MIN), q("203.0.113.9", T0 + 170 * MIN), q("192.0.2.1", T0)];
    expect(evaluateMode(defence(), qs, REMEMBER, T0 + 200 * MIN)).toMatchObject({ left: false, forget: [], expired: ["192.0.2.1"] });
  });

  it("in Normal Mode forgets quiet quarantines that never reached the Defence threshold (forgetOnNormal)", () => {
    const normal: ModeState = { mode: "normal", since: T0, recentFlags: [T0] };
    const r = evaluateMode(normal, [q("198.51.100.7", T0)], THREE, T0 + 30 * MIN);
    expect(r).toEqual({ state: normal, entered: false, left: false, forget: ["198.51.100.7"], expired: [] });
    // Still live: kept.
    expect(evaluateMode(normal, [q("198.51.100.7", T0)], THREE, T0 + 29 * MIN).forget).toEqual([]);
  });

  it("recovers a lost mode write: Normal with live quarantines at the threshold enters Defence", () => {
    const now = T0 + 60;
    expect(evaluateMode(initialMode(T0), [q("198.51.100.7", T0)], OPTS, now)).toMatchObject({ state: { mode: "defence", since: now }, entered: true });
    // Below the threshold (one of three): stays Normal.
    expect(evaluateMode(initialMode(T0), [q("198.51.100.7", T0)], THREE, now).entered).toBe(false);
    // Remembered (quiet) quarantines never do.
    expect(evaluateMode(initialMode(T0), [q("198.51.100.7", T0 - 31 * MIN)], REMEMBER, now).entered).toBe(false);
  });
});

describe("remembered sources", () => {
  const stored = q("198.51.100.7", T0);

  it("a quiet quarantine seen again is remembered only without forgetOnNormal and within its memory", () => {
    expect(isRemembered(stored, T0 + 30 * MIN, REMEMBER)).toBe(true);
    expect(isRemembered(stored, T0 + 30 * MIN - 1, REMEMBER)).toBe(false); // still live: a refresh
    expect(isRemembered(stored, T0 + 120 * MIN, REMEMBER)).toBe(false); // memory ran out
    expect(isRemembered(stored, T0 + 30 * MIN, OPTS)).toBe(false);
  });

  it("a remembered sighting re-enters Defence at once, even when 3 sources are needed", () => {
    const normal = evaluateMode(defence(), [stored], { ...REMEMBER, defenceAfterSources: 3 }, T0 + 30 * MIN).state;
    expect(normal.mode).toBe("normal");
    expect(onRemembered(normal, T0 + 40 * MIN)).toEqual({ state: { mode: "defence", since: T0 + 40 * MIN, recentFlags: [] }, entered: true });
    // The same sighting as an ordinary flag would not be enough.
    expect(onDetections(normal, [T0 + 40 * MIN], { ...REMEMBER, defenceAfterSources: 3 }, T0 + 40 * MIN).entered).toBe(false);
  });

  it("a remembered sighting in Defence Mode changes nothing", () => {
    const s = defence();
    expect(onRemembered(s, T0 + 5).state).toBe(s);
    expect(onRemembered(s, T0 + 5).entered).toBe(false);
  });

  it("isLive is true strictly before lastSeen + quietPeriod", () => {
    expect(isLive(stored, OPTS, T0 + 30 * MIN - 1)).toBe(true);
    expect(isLive(stored, OPTS, T0 + 30 * MIN)).toBe(false);
  });
});
