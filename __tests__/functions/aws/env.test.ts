import { listIpsVars, lookupVars as makeLookupVars } from "./fakes";
import { DEFAULT_TIME_RESERVE_MS, listIpsEnv, lookupEnv } from "../../../functions/aws/env";

const SERVICES = JSON.stringify({ cowrie: "lure-test-cowrie", conpot_default: "lure-test-conpot-default" });

const listVars = listIpsVars(SERVICES);

const lookupVars = makeLookupVars(SERVICES, { LURE_ROTATE: "true", LURE_MIN_INTERVAL_MS: "1000", LURE_HONEYSCORE: "false" });

describe("list-ips", () => {
  test("reads a valid environment", () => {
    expect(listIpsEnv(listVars)).toEqual({
      cluster: "lure-test",
      services: { cowrie: "lure-test-cowrie", conpot_default: "lure-test-conpot-default" },
      queueUrl: listVars.LURE_QUEUE_URL,
      prefix: "lure-test",
      topicArn: listVars.LURE_TOPIC_ARN,
      dlqUrl: listVars.LURE_DLQ_URL,
      dlqArn: listVars.LURE_DLQ_ARN,
      extraTargets: [],
    });
  });

  test("LURE_EXTRA_TARGETS: read when set, every bad entry reported", () => {
    const targets = [{ ip: "185.199.108.1", honeypot: "conpot", label: "plant-a" }, { ip: "2a00:1450:4001::1", honeypot: "external" }];
    expect(listIpsEnv({ ...listVars, LURE_EXTRA_TARGETS: JSON.stringify(targets) }).extraTargets).toEqual(targets);
    expect(() => listIpsEnv({ ...listVars, LURE_EXTRA_TARGETS: '[{"ip":"not-an-ip","honeypot":"conpot"},{"ip":"185.199.108.1","honeypot":"Bad Name!"}]' })).toThrow(
      /LURE_EXTRA_TARGETS\[0\]: ip "not-an-ip" is not an IP address.*LURE_EXTRA_TARGETS\[1\]: honeypot "Bad Name!" is not a name/s,
    );
    expect(() => listIpsEnv({ ...listVars, LURE_EXTRA_TARGETS: "{" })).toThrow(/LURE_EXTRA_TARGETS is not JSON/);
  });

  test("reports every bad variable at once, each with what is allowed", () => {
    let message = "";
    try {
      listIpsEnv({ LURE_SERVICES: "{cowrie: x}", LURE_QUEUE_URL: "sqs://queue", LURE_DLQ_URL: "lure-test-watch-dlq", LURE_PREFIX: "" });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^list-ips: invalid environment: /);
    expect(message).toContain("LURE_CLUSTER is not set (expected the ECS cluster name or ARN)");
    expect(message).toContain("LURE_SERVICES is not JSON (expected an object of honeypot name → ECS service name)");
    expect(message).toContain('LURE_QUEUE_URL is "sqs://queue" (expected the lookup queue URL, an https:// URL)');
    expect(message).toContain('LURE_DLQ_URL is "lure-test-watch-dlq" (expected the dead-letter queue URL of the lookup queue, an https:// URL)');
    expect(message).toContain("LURE_PREFIX is empty (expected the deployment prefix)");
    expect(message).toContain("LURE_TOPIC_ARN is not set (expected the alert topic ARN)");
    expect(message).toContain("LURE_DLQ_ARN is not set (expected the dead-letter queue ARN of the lookup queue)");
  });

  test("every missing variable is named", () => {
    let message = "";
    try {
      listIpsEnv({});
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of Object.keys(listVars)) expect(message).toContain(`${name} is not set`);
  });

  test.each([
    ["[]", 'LURE_SERVICES is [] (expected a non-empty object'],
    ["{}", 'LURE_SERVICES is {} (expected a non-empty object'],
    ['{"cowrie": 3}', "LURE_SERVICES.cowrie is 3 (expected an ECS service name)"],
    ['{"cowrie": "has space"}', 'LURE_SERVICES.cowrie: service "has space" is not a name'],
    ['{"bad name": "lure-x"}', 'LURE_SERVICES.bad name: honeypot "bad name" is not a name'],
  ])("LURE_SERVICES %s is refused", (value, expected) => {
    expect(() => listIpsEnv({ ...listVars, LURE_SERVICES: value })).toThrow(expected);
  });

  test("an empty variable is named as empty", () => {
    expect(() => listIpsEnv({ ...listVars, LURE_CLUSTER: " " })).toThrow("LURE_CLUSTER is empty");
  });
});

describe("lookup", () => {
  test("reads a valid environment; LURE_TIME_RESERVE_MS defaults to 25 s", () => {
    expect(lookupEnv(lookupVars)).toEqual({
      prefix: "lure-test",
      bucket: "lure-test-watch",
      topicArn: lookupVars.LURE_TOPIC_ARN,
      secretArn: lookupVars.LURE_SECRET_ARN,
      secretName: "lure-test/shodan",
      cluster: "lure-test",
      services: { cowrie: "lure-test-cowrie", conpot_default: "lure-test-conpot-default" },
      rotate: true,
      minRotationHours: 24,
      minIntervalMs: 1000,
      honeyscore: false,
      timeReserveMs: DEFAULT_TIME_RESERVE_MS,
      extraTargets: [],
    });
    expect(DEFAULT_TIME_RESERVE_MS).toBe(25_000);
    expect(lookupEnv({ ...lookupVars, LURE_TIME_RESERVE_MS: "40000" }).timeReserveMs).toBe(40_000);
  });

  test("Censys only when LURE_CENSYS_SECRET is set; its settings checked", () => {
    expect(lookupEnv(lookupVars).censys).toBeUndefined();
    const arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:lure-test-watcher-censys-api-key-AbCdEf";
    expect(lookupEnv({ ...lookupVars, LURE_CENSYS_SECRET: arn, LURE_CENSYS_SECRET_NAME: "lure-test-watcher-censys-api-key" }).censys).toEqual({ secret: arn, secretName: "lure-test-watcher-censys-api-key", everyHours: 24 });
    expect(lookupEnv({ ...lookupVars, LURE_CENSYS_SECRET: arn, LURE_CENSYS_EVERY_HOURS: "6", LURE_CENSYS_ORG: "11111111-2222-3333-4444-555555555555" }).censys).toEqual({
      secret: arn,
      secretName: arn,
      everyHours: 6,
      organizationId: "11111111-2222-3333-4444-555555555555",
    });
    expect(() => lookupEnv({ ...lookupVars, LURE_CENSYS_SECRET: arn, LURE_CENSYS_EVERY_HOURS: "-1", LURE_CENSYS_ORG: "acme" })).toThrow(
      /LURE_CENSYS_ORG is "acme" \(expected a Censys organization ID, a UUID, or unset\).*LURE_CENSYS_EVERY_HOURS is "-1"/s,
    );
  });

  test.each([
    ["LURE_ROTATE", "yes", 'LURE_ROTATE is "yes" (expected "true" or "false")'],
    ["LURE_HONEYSCORE", "TRUE", 'LURE_HONEYSCORE is "TRUE" (expected "true" or "false")'],
    ["LURE_MIN_ROTATION_HOURS", "1.5", 'LURE_MIN_ROTATION_HOURS is "1.5" (expected an integer ≥ 0)'],
    ["LURE_MIN_INTERVAL_MS", "-5", 'LURE_MIN_INTERVAL_MS is "-5" (expected an integer ≥ 0)'],
    ["LURE_TIME_RESERVE_MS", "soon", 'LURE_TIME_RESERVE_MS is "soon" (expected an integer ≥ 0, or unset for 25000)'],
  ])("%s=%s is refused", (name, value, expected) => {
    expect(() => lookupEnv({ ...lookupVars, [name]: value })).toThrow(expected);
  });

  test("every missing variable is named", () => {
    let message = "";
    try {
      lookupEnv({});
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of Object.keys(lookupVars)) expect(message).toContain(`${name} is not set`);
    expect(message).not.toContain("LURE_TIME_RESERVE_MS");
  });
});
