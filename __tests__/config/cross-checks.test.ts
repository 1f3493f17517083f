import { validateConfig } from "../../modules/core/config";
import { defaultConfigInput } from "../helpers/synth";

const withHoneynet = (change: (h: Record<string, any>) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
  const raw = defaultConfigInput();
  change(raw.honeynet);
  return validateConfig(raw);
};

test("an override for a honeypot the profile does not deploy is an error at its path", () => {
  const r = withHoneynet((h) => (h.overrides = { dionaea: { cpu: 512, memory: 1024 }, cowrie: { cpu: 512, memory: 1024 } }));
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.problems).toEqual([{ path: "honeynet.overrides.dionaea", message: 'overrides "dionaea", which honeynet.profile does not deploy' }]);
  // The same override is fine when the honeypot is deployed.
  expect(withHoneynet((h) => { h.profile = "standard"; h.overrides = { dionaea: { cpu: 512, memory: 1024 } }; }).ok).toBe(true);
});

test("a very broad allow-list is accepted with a warning; a narrow one is not warned about", () => {
  const broad = withHoneynet((h) => (h.dashboard.allowCidrs = ["128.0.0.0/1", "64.0.0.0/2"]));
  expect(broad.ok && broad.warnings.filter((w) => w.includes("very broad"))).toHaveLength(2);
  const narrow = withHoneynet((h) => (h.dashboard.allowCidrs = ["100.64.12.23/32", "172.16.0.0/12"]));
  expect(narrow.ok && narrow.warnings).toEqual([]);
});

const problemsOf = (change: (raw: Record<string, any>) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
  const raw = defaultConfigInput();
  change(raw);
  const r = validateConfig(raw);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
};

test.each<[string, (raw: Record<string, any>) => void, RegExp]>([ // eslint-disable-line @typescript-eslint/no-explicit-any
  ["a repeated allow-list CIDR", (c) => (c.honeynet.dashboard.allowCidrs = ["198.51.100.0/24", "172.16.0.0/12", "198.51.100.0/24"]), /^honeynet\.dashboard\.allowCidrs\[2\]: "198\.51\.100\.0\/24" repeats allowCidrs\[0\]$/],
  ["an IPv6-only allow-list with AWS on", (c) => (c.honeynet.dashboard.allowCidrs = ["2001:db8::/32"]), /^honeynet\.dashboard\.allowCidrs: has only IPv6 CIDRs, but the AWS dashboard load balancer is IPv4-only/],
  ["an IPv6 network", (c) => (c.honeynet.networkCidr = "fd00::/48"), /^honeynet\.networkCidr: "fd00::\/48" is not an IPv4 CIDR/],
  ["a network too small to split", (c) => (c.honeynet.networkCidr = "10.0.0.0/27"), /^honeynet\.networkCidr: "10\.0\.0\.0\/27" is too small: its two subnets would be \/31 .*; use \/22 or larger$/],
  ["a prefix AWS reserves (sg)", (c) => (c.prefix = "sg"), /^prefix: "sg" cannot be "sg" or start with "internal"/],
  ["a prefix AWS reserves (internal…)", (c) => (c.prefix = "internal1"), /^prefix: .*AWS reserves/],
  ["memory without cpu checked against the default cpu", (c) => (c.honeynet.overrides = { medpot: { memory: 4096 } }), /^honeynet\.overrides\.medpot\.memory: 4096 is not allowed with cpu 256/],
])("%s is reported before anything is built", (_, change, expected) => {
  expect(problemsOf(change)).toEqual([expect.stringMatching(expected)]);
});

test("an IPv6 CIDR next to an IPv4 one is fine (ignored on AWS with a synth warning)", () => {
  expect(problemsOf((c) => (c.honeynet.dashboard.allowCidrs = ["198.51.100.0/24", "2001:db8::/32"]))).toEqual([]);
});
