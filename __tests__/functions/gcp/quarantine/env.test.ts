import { gcpQuarantineEnv } from "../../../../functions/gcp/quarantine/env";
import { cloudArmorSteeringOptions } from "../../../../functions/gcp/quarantine/contract";
import { CONFIG, FORWARDING_RULE, PROJECT, VARS } from "./fakes";

describe("gcpQuarantineEnv", () => {
  it("reads every variable", () => {
    const env = gcpQuarantineEnv(VARS, "test");
    expect(env).toMatchObject({ project: PROJECT, region: "europe-west2", securityPolicy: "lure-test-quarantine", copiesService: "lure-test-copies", database: "lure-test-state" });
    expect(env.forwardingRule).toEqual({ id: FORWARDING_RULE, project: PROJECT, name: "lure-test-https" });
    expect(env.config.steering).toEqual(cloudArmorSteeringOptions(40));
    expect(env.config.copies).toEqual(CONFIG.copies);
  });

  it("accepts a domain-scoped project, in LURE_PROJECT and in the forwarding rule's path", () => {
    const project = "example.com:lure-test";
    const id = `projects/${project}/global/forwardingRules/lure-test-https`;
    const env = gcpQuarantineEnv({ ...VARS, LURE_PROJECT: project, LURE_FORWARDING_RULE: id }, "test");
    expect(env.project).toBe(project);
    expect(env.forwardingRule).toEqual({ id, project, name: "lure-test-https" });
    expect(() => gcpQuarantineEnv({ ...VARS, LURE_PROJECT: "example:lure-test" }, "test")).toThrow(/LURE_PROJECT/);
  });

  it("accepts the (default) database", () => {
    expect(gcpQuarantineEnv({ ...VARS, LURE_DATABASE: "(default)" }, "test").database).toBe("(default)");
  });

  it("takes only ruleQuota from the document's steering: the band and limits are the contract's", () => {
    const doc = { ...CONFIG, steering: { firstPriority: 7, ruleQuota: 500, albRuleLimit: 3, cidrsPerRule: 2 } };
    const env = gcpQuarantineEnv({ ...VARS, LURE_QUARANTINE: JSON.stringify(doc) }, "test");
    expect(env.config.steering).toEqual({ firstPriority: 1000, ruleQuota: 100, albRuleLimit: 100, cidrsPerRule: 10 });
  });

  it("names every problem at once", () => {
    const vars = { ...VARS, LURE_PROJECT: "X", LURE_REGION: "", LURE_SECURITY_POLICY: "Bad_Name", LURE_DATABASE: "ab", LURE_FORWARDING_RULE: "lure-test-https" };
    delete (vars as Record<string, string | undefined>).LURE_COPIES_SERVICE;
    let message = "";
    try {
      gcpQuarantineEnv(vars, "lure quarantine functions");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^lure quarantine functions: invalid environment: /);
    for (const name of ["LURE_PROJECT", "LURE_REGION", "LURE_SECURITY_POLICY", "LURE_COPIES_SERVICE is not set", "LURE_DATABASE", "LURE_FORWARDING_RULE"]) expect(message).toContain(name);
    expect(message).not.toContain("LURE_QUARANTINE");
  });

  it("reports the document's problems with the variables'", () => {
    const doc = { ...CONFIG, steering: { ...CONFIG.steering, ruleQuota: 0 }, copies: { defenceCount: -1, normalCount: 0 } };
    expect(() => gcpQuarantineEnv({ ...VARS, LURE_QUARANTINE: JSON.stringify(doc), LURE_REGION: "nowhere" }, "test")).toThrow(/LURE_QUARANTINE\.steering\.ruleQuota.*LURE_QUARANTINE\.copies\.defenceCount.*LURE_REGION|LURE_QUARANTINE\.steering\.ruleQuota/);
    expect(() => gcpQuarantineEnv({ ...VARS, LURE_QUARANTINE: "not json" }, "test")).toThrow(/LURE_QUARANTINE is not JSON/);
    expect(() => gcpQuarantineEnv({ ...VARS, LURE_QUARANTINE: undefined as unknown as string }, "test")).toThrow(/LURE_QUARANTINE is not set/);
  });
});
