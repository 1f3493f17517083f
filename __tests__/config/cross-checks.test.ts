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
  const broad = withHoneynet((h) => (h.dashboard.allowCidrs = ["0.0.0.0/1", "128.0.0.0/1"]));
  expect(broad.ok && broad.warnings.filter((w) => w.includes("very broad"))).toHaveLength(2);
  const narrow = withHoneynet((h) => (h.dashboard.allowCidrs = ["100.64.12.23/32", "10.0.0.0/8"]));
  expect(narrow.ok && narrow.warnings).toEqual([]);
});
