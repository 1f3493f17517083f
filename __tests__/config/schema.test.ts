import { readFileSync } from "fs";
import { dirname, resolve } from "path";
import { HONEYPOT_NAMES, PROFILE_NAMES, TPOT } from "../../modules/core/catalog";
import { DEFAULT_CONFIG_FILE } from "../../modules/core/config";
import { AWS_REGIONS } from "../../modules/core/regions";
import { SCHEMA_FILE, renderSchema } from "../../modules/core/cli/schema";

/** Why the checked-in schema is stale, or undefined when it is current. */
function staleness(checkedIn: string, rendered: string): string | undefined {
  if (checkedIn === rendered) return undefined;
  const a = checkedIn.split("\n");
  const b = rendered.split("\n");
  const line = a.findIndex((l, i) => l !== b[i]);
  return `${SCHEMA_FILE} is stale (first difference at line ${(line < 0 ? a.length : line) + 1}); run \`npm run schema\` and commit the result`;
}

type JsonSchema = { [k: string]: unknown; properties?: Record<string, JsonSchema>; anyOf?: JsonSchema[]; items?: JsonSchema; enum?: unknown[]; propertyNames?: JsonSchema };
const CHECKED_IN = readFileSync(SCHEMA_FILE, "utf8");
const SCHEMA = JSON.parse(CHECKED_IN) as JsonSchema;
const at = (...keys: string[]): JsonSchema => keys.reduce<JsonSchema>((s, k) => s.properties?.[k] ?? (s[k] as JsonSchema), SCHEMA);

describe("config.schema.json", () => {
  it("is what `npm run schema` renders", () => {
    const problem = staleness(CHECKED_IN, renderSchema());
    if (problem) throw new Error(problem);
  });

  it("staleness is reported with the fix", () => {
    const rendered = renderSchema();
    expect(staleness(rendered.replace('"lure"', '"lure2"'), rendered)).toMatch(/config\.schema\.json is stale \(first difference at line \d+\); run `npm run schema`/);
    expect(staleness(rendered.trimEnd(), rendered)).toContain("run `npm run schema`");
  });

  it("is where lure.config.json's $schema points", () => {
    const config = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, "utf8")) as { $schema?: string };
    expect(config.$schema).toBeDefined();
    expect(resolve(dirname(DEFAULT_CONFIG_FILE), config.$schema as string)).toBe(SCHEMA_FILE);
  });

  it("lists the honeypot names as an enum for honeynet.profile items", () => {
    const branches = at("honeynet", "profile").anyOf ?? [];
    const list = branches.find((b) => b.type === "array");
    expect(list?.items?.enum).toEqual([...HONEYPOT_NAMES]);
    // ...and the profile names for the string form
    expect(branches.find((b) => b.type === "string")?.enum).toEqual([...PROFILE_NAMES]);
  });

  it("offers no name lure refuses (host-network services, support services)", () => {
    const offered = new Set([...(at("honeynet", "profile").anyOf?.find((b) => b.type === "array")?.items?.enum ?? []), ...(at("honeynet", "overrides").propertyNames?.enum ?? [])]);
    for (const name of [...Object.keys(TPOT.unsupported), ...TPOT.otherServices]) expect(offered.has(name)).toBe(false);
    expect(offered.has("honeytrap")).toBe(false);
  });

  it.each([
    ["honeynet.overrides keys", () => at("honeynet", "overrides").propertyNames?.enum, [...HONEYPOT_NAMES]],
    ["honeynet.imageRepositories items", () => at("honeynet", "imageRepositories").items?.enum, [...HONEYPOT_NAMES]],
    ["clouds.aws.region", () => at("clouds", "aws", "region").enum, [...AWS_REGIONS]],
  ])("lists %s as an enum", (_, get, expected) => {
    expect(get()).toEqual(expected);
  });

  it("lets an override set image, ports and user next to cpu and memory", () => {
    const override = at("honeynet", "overrides").additionalProperties as JsonSchema;
    expect(Object.keys(override.properties ?? {}).sort()).toEqual(["cpu", "image", "imageTag", "machineType", "memory", "ports", "size", "user"]);
    expect(override.additionalProperties).toBe(false);
    expect(override.allOf).toBeUndefined();
  });
});
