/**
 * The AWS watcher with Censys and extra targets: a second secret and its read grant only when Censys
 * is an index, the functions' settings for both, and nothing of either in the default config.
 */
import { censysWorstLookupMs } from "../../functions/censys/budget";
import { LOOKUP_MIN_INTERVAL_MS, LOOKUP_RESERVE_MS, LOOKUP_TIMEOUT_SECONDS } from "../../modules/aws/watcher";
import { configWith, deref, ref, resources, synthAwsHoneynet, type Json } from "../helpers/synth";

const plain = synthAwsHoneynet(configWith());
const withBoth = synthAwsHoneynet(
  configWith((c) => {
    c.watcher.indexes = ["shodan", "censys"];
    c.watcher.censys = { everyHours: 6, organizationId: "11111111-2222-3333-4444-555555555555" };
    c.watcher.extraTargets = ["185.199.108.0/30", { address: "2a00:1450:4001::1", honeypot: "cowrie", label: "lab ssh" }];
  }),
);

const lambda = (s: Json, suffix: string): Json => resources(s, "aws_lambda_function").find(([, f]) => f.function_name === `lure-watcher-${suffix}`)![1];
const secrets = (s: Json) => resources(s, "aws_secretsmanager_secret").map(([, b]) => b.name);
function readGrant(s: Json): string[] {
  const [roleAddr] = deref(s, lambda(s, "lookup").role);
  const [, policy] = resources(s, "aws_iam_role_policy").find(([, p]) => p.role === ref(roleAddr))!;
  return JSON.parse(policy.policy).Statement.filter((st: Json) => st.Action.includes("secretsmanager:GetSecretValue")).flatMap((st: Json) => st.Resource);
}

test("default: one secret (Shodan's), read by lookup alone; no Censys or extra-target settings", () => {
  expect(secrets(plain)).toEqual(["lure-watcher-shodan-api-key"]);
  expect(readGrant(plain)).toEqual([ref(resources(plain, "aws_secretsmanager_secret")[0][0], "arn")]);
  for (const fn of ["lookup", "list-ips"]) expect(Object.keys(lambda(plain, fn).environment.variables).filter((k) => /CENSYS|EXTRA/.test(k))).toEqual([]);
  expect(lambda(plain, "lookup").environment.variables.LURE_TIME_RESERVE_MS).toBe(String(LOOKUP_RESERVE_MS));
});

test("Censys on: its own empty secret, lookup may read exactly the two secrets, and gets the Censys settings", () => {
  const all = resources(withBoth, "aws_secretsmanager_secret");
  expect(all.map(([, b]) => b.name).sort()).toEqual(["lure-watcher-censys-api-key", "lure-watcher-shodan-api-key"]);
  expect(resources(withBoth, "aws_secretsmanager_secret_version")).toHaveLength(0);
  const censys = all.find(([, b]) => b.name === "lure-watcher-censys-api-key")![0];
  expect(readGrant(withBoth).sort()).toEqual(all.map(([a]) => ref(a, "arn")).sort());
  const v = lambda(withBoth, "lookup").environment.variables;
  expect(v).toMatchObject({
    LURE_CENSYS_SECRET: ref(censys, "arn"),
    LURE_CENSYS_SECRET_NAME: "lure-watcher-censys-api-key",
    LURE_CENSYS_EVERY_HOURS: "6",
    LURE_CENSYS_ORG: "11111111-2222-3333-4444-555555555555",
  });
  // The reserve grows by Censys's worst case and still fits the invocation.
  expect(Number(v.LURE_TIME_RESERVE_MS)).toBe(LOOKUP_RESERVE_MS + censysWorstLookupMs(LOOKUP_MIN_INTERVAL_MS));
  expect(Number(v.LURE_TIME_RESERVE_MS)).toBeLessThan(LOOKUP_TIMEOUT_SECONDS * 1000);
  // list-ips never reads a key.
  expect(Object.keys(lambda(withBoth, "list-ips").environment.variables).filter((k) => k.includes("CENSYS"))).toEqual([]);
});

test("extra targets: expanded to single addresses, given to list-ips and lookup alike", () => {
  const expected = [
    ...["185.199.108.0", "185.199.108.1", "185.199.108.2", "185.199.108.3"].map((ip) => ({ ip, honeypot: "external" })),
    { ip: "2a00:1450:4001::1", honeypot: "cowrie", label: "lab ssh" },
  ];
  for (const fn of ["list-ips", "lookup"]) expect(JSON.parse(lambda(withBoth, fn).environment.variables.LURE_EXTRA_TARGETS)).toEqual(expected);
});
