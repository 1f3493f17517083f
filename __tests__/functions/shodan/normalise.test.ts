import { normaliseShodanHost, shodanTimeToIso } from "../../../functions/shodan";

describe("shodanTimeToIso", () => {
  test.each([
    ["2024-05-01T10:11:12.123456", "2024-05-01T10:11:12.123Z"],
    ["2024-05-01T10:11:12.1", "2024-05-01T10:11:12.100Z"],
    ["2024-05-01T10:11:12", "2024-05-01T10:11:12.000Z"],
    ["2024-05-01T10:11:12.999999", "2024-05-01T10:11:12.999Z"],
    ["2024-05-01T10:11:12.123456Z", "2024-05-01T10:11:12.123Z"],
    ["2024-05-01T12:11:12.123+02:00", "2024-05-01T10:11:12.123Z"],
    ["2024-05-01 10:11:12.123456", "2024-05-01T10:11:12.123Z"],
  ])("%s is %s (Shodan writes UTC without a zone)", (input, expected) => {
    expect(shodanTimeToIso(input)).toBe(expected);
  });

  test.each([[undefined], [null], [""], ["yesterday"], ["2024-13-45T99:99:99"], [1714558272]])("%p is no time", (input) => {
    expect(shodanTimeToIso(input)).toBeUndefined();
  });
});

describe("normaliseShodanHost", () => {
  test("keeps only well-formed banners, de-duplicates tags, and reads any transport but udp as tcp", () => {
    const host = normaliseShodanHost(
      {
        ip_str: "203.0.113.10",
        tags: ["cloud", "cloud", 7, ""],
        data: [
          { port: 161, transport: "UDP", timestamp: "2024-05-01T00:00:00.000000", product: "" },
          { port: 80 },
          { port: "443", transport: "tcp" },
          { port: 70000, transport: "tcp" },
          null,
          { port: 22, transport: "tcp", product: "OpenSSH", tags: ["honeypot", "honeypot"] },
        ],
      },
      "203.0.113.10",
    );
    expect(host).toEqual({
      ip: "203.0.113.10",
      tags: ["cloud"],
      banners: [
        { port: 161, transport: "udp", seenAt: "2024-05-01T00:00:00.000Z", tags: [] },
        { port: 80, transport: "tcp", tags: [] },
        { port: 22, transport: "tcp", product: "OpenSSH", tags: ["honeypot"] },
      ],
    });
  });

  test("falls back to the asked IP when ip_str is missing", () => {
    expect(normaliseShodanHost({ data: [] }, "198.51.100.7")).toEqual({ ip: "198.51.100.7", tags: [], banners: [] });
  });

  test.each([[null], [[]], ["<html>"], [{ ip_str: "203.0.113.10" }], [{ data: "none" }]])("%p is not a host", (body) => {
    expect(normaliseShodanHost(body, "203.0.113.10")).toBeUndefined();
  });
});
