import { parseIpMessage } from "../../../functions/core/watcher-message";

describe("parseIpMessage", () => {
  const good = { ip: "198.51.100.7", honeypot: "conpot_iec104", service: "lure-hp-conpot_iec104", task: "arn:aws:ecs:eu-west-2:1:task/c/abc", since: "2026-11-21T00:00:00Z", cycle: "2026-11-21T12:00:00Z" };

  it("accepts a well-formed message and keeps only known fields", () => {
    expect(parseIpMessage(JSON.stringify({ ...good, extra: 1 }))).toEqual({ ok: true, message: good });
    const { task: _t, since: _s, ...minimal } = good;
    expect(parseIpMessage(JSON.stringify(minimal))).toEqual({ ok: true, message: minimal });
  });

  it.each([
    ["not JSON", "{", "body is not JSON"],
    ["an array", "[]", "body is not an object"],
    ["bad ip", JSON.stringify({ ...good, ip: "999.1.1.1" }), 'ip "999.1.1.1" is not an IP address'],
    ["bad honeypot", JSON.stringify({ ...good, honeypot: "../x" }), 'honeypot "../x" is not a name'],
    ["missing service", JSON.stringify({ ...good, service: undefined }), "service undefined is not a name"],
    ["bad since", JSON.stringify({ ...good, since: "soon" }), 'since "soon" is not a time'],
    ["missing cycle", JSON.stringify({ ...good, cycle: undefined }), "cycle undefined is not a time"],
  ])("rejects %s", (_n, body, error) => {
    expect(parseIpMessage(body)).toEqual({ ok: false, error });
  });

  it("reports every problem at once", () => {
    const r = parseIpMessage(JSON.stringify({ ip: 1, cycle: "x" }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.split("; ")).toHaveLength(4);
  });
});
