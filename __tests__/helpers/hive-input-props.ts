/**
 * What every VM cloud's hive is tested for, run by each cloud's hive test with its own check, props
 * and stack: the props checks (`hiveInput` beside `hive`, the prefix, the sensors' CIDRs), the policy
 * rules and the next steps of its stack.
 */
import { compose, type CloudConfig } from "../core/host-helpers";
import { TPOT_LOGSTASH } from "../../modules/core/analytics";
import { policyViolations } from "../../modules/core/check";
import type { ConfigProblem } from "../../modules/core/config";
import type { HoneynetProps } from "../../modules/core/interfaces";
import type { StackSummary } from "../../modules/core/summary";
import type { Json } from "./synth";

export function describeHiveInputProps<P extends HoneynetProps>(title: string, problemsOf: (props: P) => ConfigProblem[], base: P, build: (props: Partial<HoneynetProps>) => unknown): void {
  describe(title, () => {
    const input = { hiveInput: { allowCidrs: ["192.0.2.0/24"] } };

    it("refuses hive and hiveInput together", () => {
      const got = problemsOf({ ...base, ...input, hive: { cloud: "aws", address: "hive.example.net" } });
      expect(got.map((p) => p.path)).toEqual(["hiveInput"]);
      expect(got[0].message).toContain("either the hive (hiveInput) or a sensor");
    });

    it("refuses a prefix too long for the hive's secret", () => {
      const long = problemsOf({ ...base, ...input, prefix: "abcdefghijklm" });
      expect(long.map((p) => p.path)).toEqual(["prefix"]);
      expect(long[0].message).toBe('"abcdefghijklm" is too long for the hive, whose secret is "<prefix>-hive-server" (at most 24 characters on every cloud); allowed: at most 12 characters');
      expect(problemsOf({ ...base, ...input, prefix: "abcdefghijkl" })).toEqual([]);
      expect(() => build({ prefix: "abcdefghijklm", honeypots: ["cowrie"] })).toThrow(/prefix: "abcdefghijklm" is too long for the hive/);
    });

    it("refuses sensor CIDRs with no IPv4 one (an empty source list would admit everyone, or nobody) and invalid ones", () => {
      for (const allowCidrs of [[], ["2001:db8::/32"]]) {
        expect(problemsOf({ ...base, hiveInput: { allowCidrs } }).map((p) => p.path)).toEqual(["hiveInput.allowCidrs"]);
      }
      const bad = problemsOf({ ...base, hiveInput: { allowCidrs: ["192.0.2.0/24", "192.0.2.1/24"] } });
      expect(bad.map((p) => p.path)).toEqual(["hiveInput.allowCidrs[1]"]);
    });
  });
}

/** The text of a synthesized stack's `next_steps` output. */
export function nextStepsOf(out: Json): string {
  return String((Object.values(out.output) as Json[]).find((o) => o.description === "What to do after deploy")!.value);
}

/** What a VM cloud's hive stack must pass and say: every policy rule, and how to start the hive. */
export function itIsAHiveStack(name: string, out: () => Json): void {
  it("passes every policy rule (policyViolations, as lure check runs them)", () => {
    const summary: StackSummary = { name, file: "", resources: {}, total: 0, honeypots: {}, messages: [], stack: out() };
    expect(policyViolations([summary])).toEqual([]);
  });

  it("tells what to do next: store the hive's credential; its Logstash starts once the VM can read it; the sensors ship to hive_endpoint", () => {
    const next = nextStepsOf(out());
    expect(next).toContain("This is the hive");
    expect(next).toContain("hive_credential_command");
    expect(next).toContain("the hive's Logstash starts once the Elastic VM can read it");
    expect(next).toContain("hive_endpoint");
  });
}

/**
 * A hive's Elastic VM runs logstash-hive beside its own Logstash: T-Pot's Logstash of the catalog's
 * release on 64294, the credential mounted read-only, its events named `hostname`.
 */
export function expectHiveLogstash(doc: CloudConfig, hostname: string): void {
  const { services } = compose(doc);
  expect(Object.keys(services)).toEqual(["elasticsearch", "logstash", "logstash-hive"]);
  const h = services["logstash-hive"];
  expect(h.image).toBe(TPOT_LOGSTASH.image);
  expect(h.image).toMatch(/^ghcr\.io\/telekom-security\/logstash:/);
  expect(h.ports).toEqual([{ target: 64294, published: 64294, protocol: "tcp", mode: "host" }]);
  expect(h.volumes).toContain("/etc/lure/hive:/etc/lure-hive:ro");
  expect(h.environment).toMatchObject({ MY_HOSTNAME: hostname, TPOT_TYPE: "HIVE" });
  // The honeynet's own Logstash still takes its honeypots on 5044.
  expect(services.logstash.ports).toEqual([{ target: 5044, published: 5044, protocol: "tcp", mode: "host" }]);
}
