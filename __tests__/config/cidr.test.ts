import { isDocumentationRange, isWorldOpen, parseCidr, type Cidr } from "../../modules/core/cidr";

const ok = (input: string): Cidr => {
  const r = parseCidr(input);
  if (!r.ok) throw new Error(`expected ${input} to parse, got: ${r.reason}`);
  return r.cidr;
};

describe("parseCidr accepts", () => {
  it.each([
    // input, version, prefix length, canonical
    ["10.0.0.0/8", 4, 8, "10.0.0.0/8"],
    ["192.168.1.128/25", 4, 25, "192.168.1.128/25"],
    ["1.2.3.4/32", 4, 32, "1.2.3.4/32"],
    ["0.0.0.0/0", 4, 0, "0.0.0.0/0"],
    ["255.255.255.255/32", 4, 32, "255.255.255.255/32"],
    ["::/0", 6, 0, "::/0"],
    ["::1/128", 6, 128, "::1/128"],
    ["2001:db8::/32", 6, 32, "2001:db8::/32"],
    ["2001:DB8::/32", 6, 32, "2001:db8::/32"],
    ["2001:0db8:0000::/48", 6, 48, "2001:db8::/48"],
    ["1:2:3:4:5:6:7:8/128", 6, 128, "1:2:3:4:5:6:7:8/128"],
    // RFC 5952: the longest run of zero groups is compressed, the first one on a tie, never a single group.
    ["1:0:0:2:0:0:0:3/128", 6, 128, "1:0:0:2::3/128"],
    ["1:0:0:2:0:0:3:4/128", 6, 128, "1::2:0:0:3:4/128"],
    ["1:0:2:3:4:5:6:7/128", 6, 128, "1:0:2:3:4:5:6:7/128"],
  ] as const)("%s (IPv%s, /%s, canonical %s)", (input, version, prefixLength, canonical) => {
    expect(ok(input)).toMatchObject({ version, prefixLength, canonical });
  });
});

describe("parseCidr rejects", () => {
  it.each([
    // no prefix, or not `addr/len`
    ["10.0.0.0", /expected an address and a prefix length/],
    ["", /expected an address and a prefix length/],
    ["10.0.0.0/", /expected an address and a prefix length/],
    ["10.0.0.0/8/8", /expected an address and a prefix length/],
    [" 10.0.0.0/8", /expected an address and a prefix length/],
    ["10.0.0.0/-1", /expected an address and a prefix length/],
    // invalid octets and groups
    ["256.0.0.0/8", /not an IPv4 or IPv6 address/],
    ["300.1.1.0/24", /not an IPv4 or IPv6 address/],
    ["01.2.3.0/24", /not an IPv4 or IPv6 address/],
    ["1.2.3/24", /not an IPv4 or IPv6 address/],
    ["1.2.3.4.5/32", /not an IPv4 or IPv6 address/],
    ["a.b.c.d/8", /not an IPv4 or IPv6 address/],
    ["1:2:3:4:5:6:7:8:9/128", /not an IPv4 or IPv6 address/],
    ["1:2:3:4:5:6:7/112", /not an IPv4 or IPv6 address/],
    ["1::2::3/64", /not an IPv4 or IPv6 address/],
    [":::/0", /not an IPv4 or IPv6 address/],
    ["1:2:3:4::5:6:7:8/128", /not an IPv4 or IPv6 address/],
    ["12345::/16", /not an IPv4 or IPv6 address/],
    ["g::/16", /not an IPv4 or IPv6 address/],
    // prefix longer than the address
    ["1.2.3.0/33", /an IPv4 prefix length is 0 to 32/],
    ["0.0.0.0/999", /an IPv4 prefix length is 0 to 32/],
    ["::/129", /an IPv6 prefix length is 0 to 128/],
  ])("%s: %s", (input, reason) => {
    const r = parseCidr(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe("parseCidr with host bits set suggests the canonical CIDR", () => {
  it.each([
    ["10.0.0.1/24", "10.0.0.0/24"],
    ["10.1.2.3/8", "10.0.0.0/8"],
    ["1.2.3.4/0", "0.0.0.0/0"],
    ["192.168.1.129/25", "192.168.1.128/25"],
    ["172.16.255.255/12", "172.16.0.0/12"],
    ["2001:db8::1/32", "2001:db8::/32"],
    ["fe80::1/64", "fe80::/64"],
    ["2001:db8:0:0:1::/64", "2001:db8::/64"],
    ["2001:db8:ffff::/33", "2001:db8:8000::/33"],
    ["::1/0", "::/0"],
  ])("%s → %s", (input, canonical) => {
    const r = parseCidr(input);
    expect(r).toEqual({ ok: false, reason: `host bits are set; did you mean "${canonical}"?` });
    // The suggestion itself is valid and canonical.
    expect(ok(canonical).canonical).toBe(canonical);
  });
});

describe("isWorldOpen", () => {
  it.each([
    ["0.0.0.0/0", true],
    ["::/0", true],
    ["0.0.0.0/1", false],
    ["10.0.0.0/8", false],
    ["::/1", false],
    ["2001:db8::/32", false],
  ])("%s → %s", (input, expected) => {
    expect(isWorldOpen(ok(input))).toBe(expected);
  });
});

describe("isDocumentationRange (RFC 5737, RFC 3849)", () => {
  it.each([
    ["192.0.2.0/24", true],
    ["198.51.100.0/24", true],
    ["203.0.113.0/24", true],
    ["203.0.113.128/25", true],
    ["203.0.113.7/32", true],
    ["2001:db8::/32", true],
    ["2001:db8:1234::/48", true],
    ["2001:DB8::/32", true],
    // wider than the documentation range, or next to it
    ["192.0.2.0/23", false],
    ["203.0.112.0/23", false],
    ["2001:db8::/31", false],
    ["192.0.3.0/24", false],
    ["198.51.101.0/24", false],
    ["2001:db80::/32", false],
    ["2001:db9::/32", false],
    ["10.0.0.0/8", false],
    ["0.0.0.0/0", false],
    ["::/0", false],
  ])("%s → %s", (input, expected) => {
    expect(isDocumentationRange(ok(input))).toBe(expected);
  });
});
