import { ECSClient, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import type { LookupEnv } from "../../../functions/aws/env";
import { INDEX_ERROR_CLAIM_STALE_MS, keys, lookupBatch, type LookupDeps, type QueueRecord } from "../../../functions/aws/lookup/lookup";
import { IndexConfigError, IndexUnavailableError, type LookupResult, type ScannerIndex } from "../../../functions/core/scanner-index";
import { BUCKET_PREFIXES, fakeBucket, fakeIndex, recordingLog } from "./fakes";

const BUCKET = "lure-test-watch";
const TOPIC = "arn:aws:sns:eu-west-1:111122223333:lure-test-alerts";
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:lure-test/shodan-AbCdEf";
const CYCLE = "2025-03-01T11:59:00.000Z";
const T0 = "2025-03-01T12:00:00.000Z";

const env: LookupEnv = {
  prefix: "lure-test",
  bucket: BUCKET,
  topicArn: TOPIC,
  secretArn: SECRET_ARN,
  secretName: "lure-test/shodan",
  cluster: "lure-test",
  services: { cowrie: "lure-test-cowrie", conpot: "lure-test-conpot" },
  rotate: false,
  minRotationHours: 24,
  minIntervalMs: 1000,
  honeyscore: false,
  timeReserveMs: 25_000,
  extraTargets: [],
};

const s3 = new S3Client({ region: "eu-west-1" });
const sns = new SNSClient({ region: "eu-west-1" });
const secrets = new SecretsManagerClient({ region: "eu-west-1" });
const ecs = new ECSClient({ region: "eu-west-1" });
const s3Mock = mockClient(s3);
const snsMock = mockClient(sns);
const secretsMock = mockClient(secrets);
const ecsMock = mockClient(ecs);

let ops: string[];
let bucket: ReturnType<typeof fakeBucket>;
let logged: ReturnType<typeof recordingLog>;
let clock: Date;

beforeEach(() => {
  s3Mock.reset();
  snsMock.reset();
  secretsMock.reset();
  ecsMock.reset();
  ops = [];
  bucket = fakeBucket(s3Mock, BUCKET, ops);
  logged = recordingLog();
  clock = new Date(T0);
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: "KEY-1\n", VersionId: "v1" });
  snsMock.on(PublishCommand).callsFake((input) => {
    ops.push(`publish ${input.Subject}`);
    return { MessageId: "sns-1" };
  });
  ecsMock.on(UpdateServiceCommand).callsFake((input) => {
    ops.push(`rotate ${input.service}`);
    return {};
  });
});

function deps(index: ScannerIndex, indexFor = jest.fn((_key: string) => index)): LookupDeps {
  return { s3, sns, secrets, ecs, indexFor, indexName: "shodan", now: () => clock, log: logged.log };
}

function record(id: string, ip: string, over: Record<string, unknown> = {}): QueueRecord {
  const body = { ip, honeypot: "cowrie", service: "lure-test-cowrie", task: `arn:aws:ecs:eu-west-1:111122223333:task/lure-test/${id}`, since: "2025-02-01T00:00:00.000Z", cycle: CYCLE, ...over };
  return { messageId: id, body: JSON.stringify(body) };
}

const plenty = () => 300_000;

function found(ip: string, ports: number[] = [22], tags: string[] = []): LookupResult {
  return {
    kind: "found",
    host: { ip, tags, lastUpdate: "2025-02-28T10:00:00.000000", banners: ports.map((port) => ({ port, transport: "tcp" as const, seenAt: "2025-02-28T10:00:00.000000", tags: [] })) },
    raw: { ip_str: ip, ports, tags },
  };
}

const notFound: LookupResult = { kind: "not-found" };

function published(): { Subject?: string; Message?: string; TopicArn?: string }[] {
  return snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
}

describe("one IP the index lists", () => {
  const ip = "203.0.113.10";
  const resultKey = `results/${ip}/2025-03-01T120000.000Z.json`;

  test("writes the result, alerts, then writes latest, in that order, with exact bodies", async () => {
    const index = fakeIndex({ [ip]: found(ip) }, ops);
    const indexFor = jest.fn((_key: string) => index);

    const { response, summary } = await lookupBatch([record("m1", ip)], plenty, deps(index, indexFor), env);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(indexFor.mock.calls).toEqual([["KEY-1"]]);
    expect(secretsMock.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET_ARN }]);
    expect(ops).toEqual([
      `get latest/${ip}.json`,
      `lookup ${ip}`,
      "get state/index-error.json",
      `put ${resultKey}`,
      "publish [lure-test] cowrie 203.0.113.10: now listed with 22/tcp",
      `put latest/${ip}.json`,
    ]);

    const state = {
      ip,
      honeypot: "cowrie",
      checkedAt: T0,
      index: "shodan",
      found: true,
      ports: ["22/tcp"],
      honeypotTagged: false,
      staleOnly: false,
      firstFoundAt: T0,
    };
    expect(bucket.json(`latest/${ip}.json`)).toEqual(state);
    expect(bucket.json(resultKey)).toEqual({
      message: JSON.parse(record("m1", ip).body),
      answer: { ip_str: ip, ports: [22], tags: [] },
      evaluation: { state, changes: [{ kind: "new-exposure", ports: ["22/tcp"] }], changed: true },
    });
    for (const c of s3Mock.commandCalls(PutObjectCommand)) expect(c.args[0].input.ContentType).toBe("application/json");

    const [alert] = published();
    expect(alert.TopicArn).toBe(TOPIC);
    expect(alert.Message).toContain(`Full answer: s3://${BUCKET}/${resultKey}`);
    expect(alert.Message).not.toContain("Rotation");
    expect(summary).toEqual({
      records: 1,
      lookedUp: 1,
      found: 1,
      alerts: 1,
      rotated: 0,
      rotationFailed: 0,
      skipped: { malformed: 0, unknownService: 0, configError: 0 },
      indexUnavailable: 0,
      failed: 0,
      deferred: 0,
    });
    expect(logged.lines.at(-1)).toMatchObject({ level: "info", event: "lookupSummary", fields: { records: 1, alerts: 1 } });
  });

  test("the same answer on the next cycle changes nothing worth an alert", async () => {
    const index = fakeIndex({ [ip]: found(ip) });
    await lookupBatch([record("m1", ip)], plenty, deps(index), env);
    clock = new Date("2025-03-01T13:00:00.000Z");
    const second = await lookupBatch([record("m2", ip, { cycle: "2025-03-01T12:59:00.000Z" })], plenty, deps(index), env);

    expect(published()).toHaveLength(1);
    expect(second.summary).toMatchObject({ lookedUp: 1, found: 1, alerts: 0 });
    expect(bucket.json(`latest/${ip}.json`)).toMatchObject({ checkedAt: "2025-03-01T13:00:00.000Z", firstFoundAt: T0, found: true });
    expect(bucket.objects.has(`results/${ip}/2025-03-01T130000.000Z.json`)).toBe(true);
  });

  test("a new port on the next cycle alerts again", async () => {
    await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip, [22]) })), env);
    clock = new Date("2025-03-01T13:00:00.000Z");
    await lookupBatch([record("m2", ip)], plenty, deps(fakeIndex({ [ip]: found(ip, [22, 23]) })), env);

    expect(published().map((p) => p.Subject)).toEqual(["[lure-test] cowrie 203.0.113.10: now listed with 22/tcp", "[lure-test] cowrie 203.0.113.10: newly seen ports 23/tcp"]);
  });

  test("a long subject reaches SNS in a form it accepts (printable ASCII, under 100 characters)", async () => {
    const many = Array.from({ length: 30 }, (_, i) => 1000 + i);
    await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip, many) })), env);
    expect(published()[0].Subject).toMatch(/^[\x20-\x7e]{1,99}$/);
  });

  test("a stored latest that is not a state is ignored, not fatal", async () => {
    bucket.seed(`latest/${ip}.json`, "{not json");
    const { response, summary } = await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), env);

    expect(response.batchItemFailures).toEqual([]);
    expect(summary.alerts).toBe(1);
    expect(logged.events()).toContain("latestIgnored");
  });
});

test("not found: latest and result are written, no alert", async () => {
  const ip = "203.0.113.20";
  const { response, summary } = await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: notFound })), env);

  expect(response.batchItemFailures).toEqual([]);
  expect(published()).toEqual([]);
  expect(bucket.json(`latest/${ip}.json`)).toEqual({ ip, honeypot: "cowrie", checkedAt: T0, index: "shodan", found: false, ports: [], honeypotTagged: false, staleOnly: false });
  expect(bucket.json(`results/${ip}/2025-03-01T120000.000Z.json`)).toMatchObject({ answer: null, evaluation: { changed: false, changes: [] } });
  expect(summary).toMatchObject({ lookedUp: 1, found: 0, alerts: 0 });
});

test("index data from before the task started (a previous holder of the IP) is not news", async () => {
  const ip = "203.0.113.21";
  // Banners seen 2025-02-28; this task has held the IP since 2025-03-01T06:00.
  const { summary } = await lookupBatch([record("m1", ip, { since: "2025-03-01T06:00:00.000Z" })], plenty, deps(fakeIndex({ [ip]: found(ip) })), env);

  expect(published()).toEqual([]);
  expect(bucket.json(`latest/${ip}.json`)).toMatchObject({ found: false, staleOnly: true, ports: [] });
  expect(summary).toMatchObject({ lookedUp: 1, found: 0, alerts: 0 });
});

test("partial batch failure: only the record whose lookup was unavailable is reported", async () => {
  const index = fakeIndex({
    "203.0.113.1": notFound,
    "203.0.113.2": new IndexUnavailableError("Shodan answered 503 after 3 attempts", 503),
    "203.0.113.3": found("203.0.113.3"),
  });

  const { response, summary } = await lookupBatch([record("m1", "203.0.113.1"), record("m2", "203.0.113.2"), record("m3", "203.0.113.3")], plenty, deps(index), env);

  expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m2" }] });
  expect(index.calls).toEqual(["203.0.113.1", "203.0.113.2", "203.0.113.3"]);
  expect(bucket.objects.has("latest/203.0.113.2.json")).toBe(false);
  expect(bucket.objects.has("latest/203.0.113.3.json")).toBe(true);
  expect(summary).toMatchObject({ lookedUp: 2, failed: 1, alerts: 1 });
  expect(logged.lines.find((l) => l.event === "recordFailed")).toMatchObject({ level: "error", fields: { messageId: "m2", ip: "203.0.113.2", error: "IndexUnavailableError" } });
});

describe("S3 failures fail the record, before anything is announced", () => {
  const ip = "203.0.113.50";
  const denied = () => Object.assign(new Error("Access Denied"), { name: "AccessDenied" });

  test("reading latest (anything but NoSuchKey): no lookup", async () => {
    s3Mock.on(GetObjectCommand, { Key: `latest/${ip}.json` }).rejects(denied());
    const index = fakeIndex({ [ip]: found(ip) });

    const { response } = await lookupBatch([record("m1", ip)], plenty, deps(index), env);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
    expect(index.calls).toEqual([]);
  });

  test("writing the result: no alert, no latest", async () => {
    s3Mock.on(PutObjectCommand, { Key: `results/${ip}/2025-03-01T120000.000Z.json` }).rejects(denied());

    const { response } = await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), env);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
    expect(published()).toEqual([]);
    expect(bucket.objects.has(`latest/${ip}.json`)).toBe(false);
  });
});

test("an unexpected error from the index fails only that record", async () => {
  const index = fakeIndex({ "203.0.113.1": new TypeError("boom") });
  const { response } = await lookupBatch([record("m1", "203.0.113.1")], plenty, deps(index), env);
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
});

test("malformed and unknown-service records are skipped and counted, not failed, and not looked up", async () => {
  const index = fakeIndex({ "203.0.113.9": notFound });
  const records = [
    { messageId: "bad-json", body: "{oops" },
    record("bad-ip", "not-an-ip"),
    record("other-service", "203.0.113.7", { service: "someone-elses-service" }),
    record("wrong-pair", "203.0.113.8", { honeypot: "cowrie", service: "lure-test-conpot" }),
    record("proto", "203.0.113.6", { honeypot: "constructor", service: "lure-test-cowrie" }),
    record("good", "203.0.113.9"),
  ];

  const { response, summary } = await lookupBatch(records, plenty, deps(index), env);

  expect(response.batchItemFailures).toEqual([]);
  expect(index.calls).toEqual(["203.0.113.9"]);
  expect(summary.skipped).toEqual({ malformed: 2, unknownService: 3, configError: 0 });
  expect(summary.lookedUp).toBe(1);
  expect(logged.lines.filter((l) => l.event === "malformedMessage").map((l) => l.fields.messageId)).toEqual(["bad-json", "bad-ip"]);
});

describe("API key problems", () => {
  const ip1 = "203.0.113.1";
  const ip2 = "203.0.113.2";
  const refused = () => fakeIndex({ [ip1]: new IndexConfigError("Shodan refused the API key", 401), [ip2]: notFound });

  test("a refused key alerts once per secret version; records are skipped, not failed, and the rest is not looked up", async () => {
    const index = refused();
    const first = await lookupBatch([record("m1", ip1), record("m2", ip2)], plenty, deps(index), env);

    expect(first.response.batchItemFailures).toEqual([]);
    expect(index.calls).toEqual([ip1]);
    expect(first.summary.skipped.configError).toBe(2);
    expect(published()).toEqual([
      {
        TopicArn: TOPIC,
        Subject: "[lure-test] watcher stopped: shodan API key problem",
        Message: expect.stringContaining("could not use the shodan API key: Shodan refused the API key."),
      },
    ]);
    expect(published()[0].Message).toContain("secret lure-test/shodan");
    expect(bucket.json(keys.indexError)).toEqual({ problem: "Shodan refused the API key", status: 401, secretVersion: "v1", at: T0 });
    expect(bucket.objects.has(`latest/${ip1}.json`)).toBe(false);

    // Same key version: no second alert.
    const second = await lookupBatch([record("m3", ip1)], plenty, deps(refused()), env);
    expect(second.response.batchItemFailures).toEqual([]);
    expect(published()).toHaveLength(1);

    // A new version that is refused too: alert again.
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: "KEY-2", VersionId: "v2" });
    await lookupBatch([record("m4", ip1)], plenty, deps(refused()), env);
    expect(published()).toHaveLength(2);
    expect(bucket.json(keys.indexError)).toMatchObject({ secretVersion: "v2" });
  });

  test("a working key clears the marker, so a later problem with the same version alerts again", async () => {
    await lookupBatch([record("m1", ip1)], plenty, deps(refused()), env);
    expect(published()).toHaveLength(1);

    await lookupBatch([record("m2", ip2)], plenty, deps(refused()), env);
    expect(bucket.objects.has(keys.indexError)).toBe(false);
    expect(ops.filter((o) => o.startsWith("delete"))).toEqual([`delete ${keys.indexError}`]);

    await lookupBatch([record("m3", ip1)], plenty, deps(refused()), env);
    expect(published()).toHaveLength(2);
  });

  test("the marker is checked once per invocation, and not deleted when absent", async () => {
    const index = fakeIndex({ [ip1]: notFound, [ip2]: notFound });
    await lookupBatch([record("m1", ip1), record("m2", ip2)], plenty, deps(index), env);
    expect(ops.filter((o) => o.includes(keys.indexError))).toEqual([`get ${keys.indexError}`]);
  });

  test.each([
    ["no secret value", () => secretsMock.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT", $metadata: {} })), "none"],
    ["an empty secret value", () => secretsMock.on(GetSecretValueCommand).resolves({ SecretString: "  ", VersionId: "v7" }), "v7"],
  ])("%s: config alert \"no API key is set\", no lookup, records skipped", async (_name, arrange, version) => {
    arrange();
    const index = fakeIndex({});
    const indexFor = jest.fn((_key: string) => index);

    const { response, summary } = await lookupBatch([record("m1", ip1), record("m2", ip2)], plenty, deps(index, indexFor), env);

    expect(response.batchItemFailures).toEqual([]);
    expect(indexFor).not.toHaveBeenCalled();
    expect(summary.skipped.configError).toBe(2);
    expect(published()).toHaveLength(1);
    expect(published()[0].Message).toContain("could not use the shodan API key: no API key is set.");
    expect(bucket.json(keys.indexError)).toEqual({ problem: "no API key is set", secretVersion: version, at: T0 });

    await lookupBatch([record("m3", ip1)], plenty, deps(index, indexFor), env);
    expect(published()).toHaveLength(1);
  });

  test("when even the key alert cannot be sent, the claim is released and the record that carried it goes back; its retry alerts", async () => {
    snsMock.on(PublishCommand).rejectsOnce(new Error("SNS is down")).resolves({ MessageId: "sns-2" });
    const { response, summary } = await lookupBatch([record("m1", ip1), record("m2", ip2)], plenty, deps(refused()), env);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
    expect(summary.skipped.configError).toBe(1);
    expect(bucket.objects.has(keys.indexError)).toBe(false);
    // Only the claim this instance wrote is deleted.
    expect(s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: BUCKET, Key: keys.indexError, IfMatch: expect.stringMatching(/^"etag-\d+"$/) }]);

    const retry = await lookupBatch([record("m1", ip1)], plenty, deps(refused()), env);
    expect(retry.response.batchItemFailures).toEqual([]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(2);
    expect(bucket.json(keys.indexError)).toEqual({ problem: "Shodan refused the API key", status: 401, secretVersion: "v1", at: T0 });
  });

  test("the marker is claimed (conditional write) before the alert and confirmed after it", async () => {
    await lookupBatch([record("m1", ip1)], plenty, deps(refused()), env);

    expect(ops.filter((o) => o.includes(keys.indexError) || o.startsWith("publish"))).toEqual([
      `get ${keys.indexError}`,
      `put ${keys.indexError}`,
      "publish [lure-test] watcher stopped: shodan API key problem",
      `put ${keys.indexError}`,
    ]);
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts[0]).toMatchObject({ Key: keys.indexError, IfNoneMatch: "*" });
    expect(JSON.parse(puts[0].Body as string)).toEqual({ problem: "Shodan refused the API key", status: 401, secretVersion: "v1", at: T0, pending: true });
    // The confirmation replaces exactly the claim.
    expect(puts[1]).toMatchObject({ Key: keys.indexError, IfMatch: expect.stringMatching(/^"etag-\d+"$/) });
  });

  describe("two instances meeting the problem at once alert once", () => {
    /** SNS takes a while: without a claim, both instances would have read "no marker" before either wrote one. */
    function slowSns(): void {
      snsMock.on(PublishCommand).callsFake(async (input) => {
        ops.push(`publish ${input.Subject}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { MessageId: "sns-1" };
      });
    }

    test("no API key: the first claim (If-None-Match) wins, the other instance skips", async () => {
      secretsMock.on(GetSecretValueCommand).resolves({ SecretString: "", VersionId: "v3" });
      slowSns();
      const index = fakeIndex({});

      const [a, b] = await Promise.all([
        lookupBatch([record("a1", ip1), record("a2", ip2)], plenty, deps(index), env),
        lookupBatch([record("b1", ip2)], plenty, deps(index), env),
      ]);

      expect(published()).toHaveLength(1);
      expect(a.summary.alerts + b.summary.alerts).toBe(1);
      expect([...a.response.batchItemFailures, ...b.response.batchItemFailures]).toEqual([]);
      expect(a.summary.skipped.configError + b.summary.skipped.configError).toBe(3);
      expect(ops).toContain(`put ${keys.indexError}: 412`);
      expect(logged.lines.find((l) => l.event === "indexConfigError" && l.fields.alert === "claimed by another instance")).toBeDefined();
      expect(bucket.json(keys.indexError)).toEqual({ problem: "no API key is set", secretVersion: "v3", at: T0 });
    });

    test("a new key version refused: both read the old marker, the first replacement (If-Match) wins", async () => {
      bucket.seed(keys.indexError, { problem: "Shodan refused the API key", status: 401, secretVersion: "v1", at: "2025-02-01T00:00:00.000Z" });
      secretsMock.on(GetSecretValueCommand).resolves({ SecretString: "KEY-2", VersionId: "v2" });
      slowSns();

      const results = await Promise.all([
        lookupBatch([record("a1", ip1)], plenty, deps(refused()), env),
        lookupBatch([record("b1", ip1)], plenty, deps(refused()), env),
      ]);

      expect(published()).toHaveLength(1);
      expect(results.flatMap((r) => r.response.batchItemFailures)).toEqual([]);
      expect(ops).toContain(`put ${keys.indexError}: 412`);
      expect(bucket.json(keys.indexError)).toMatchObject({ secretVersion: "v2" });
      expect(bucket.json(keys.indexError)).not.toHaveProperty("pending");
    });
  });

  test("a fresh claim of the same version (another instance is sending) is left alone; an abandoned one is taken over", async () => {
    const claim = { problem: "Shodan refused the API key", status: 401, secretVersion: "v1", pending: true };
    bucket.seed(keys.indexError, { ...claim, at: new Date(Date.parse(T0) - 60_000).toISOString() });

    const fresh = await lookupBatch([record("m1", ip1)], plenty, deps(refused()), env);
    expect(fresh.response.batchItemFailures).toEqual([]);
    expect(published()).toEqual([]);
    expect(logged.lines.find((l) => l.event === "indexConfigError")?.fields).toMatchObject({ alert: "being sent by another instance" });

    bucket.seed(keys.indexError, { ...claim, at: new Date(Date.parse(T0) - INDEX_ERROR_CLAIM_STALE_MS - 1).toISOString() });
    const stale = await lookupBatch([record("m2", ip1)], plenty, deps(refused()), env);
    expect(stale.summary.alerts).toBe(1);
    expect(published()).toHaveLength(1);
    expect(logged.events()).toContain("indexErrorClaimAbandoned");
    expect(bucket.json(keys.indexError)).toEqual({ problem: "Shodan refused the API key", status: 401, secretVersion: "v1", at: T0 });
  });

  test("a claim S3 cannot settle (409 ConditionalRequestConflict) sends no alert and sends the record back", async () => {
    s3Mock
      .on(PutObjectCommand, { Key: keys.indexError })
      .rejects(Object.assign(new Error("A conflicting conditional operation is currently in progress"), { name: "ConditionalRequestConflict", $metadata: { httpStatusCode: 409 } }));

    const { response } = await lookupBatch([record("m1", ip1), record("m2", ip2)], plenty, deps(refused()), env);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
    expect(published()).toEqual([]);
    expect(logged.lines.find((l) => l.event === "indexConfigErrorNotAlerted")?.fields).toMatchObject({ error: "ConditionalRequestConflict" });
  });

  test("any other Secrets Manager error fails every record", async () => {
    secretsMock.on(GetSecretValueCommand).rejects(Object.assign(new Error("not authorized"), { name: "AccessDeniedException" }));
    const index = fakeIndex({});
    const indexFor = jest.fn((_key: string) => index);

    const { response, summary } = await lookupBatch([record("m1", ip1), { messageId: "m2", body: "junk" }], plenty, deps(index, indexFor), env);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m1" }, { itemIdentifier: "m2" }] });
    expect(indexFor).not.toHaveBeenCalled();
    expect(published()).toEqual([]);
    expect(summary.failed).toBe(2);
    expect(logged.lines.find((l) => l.event === "secretUnreadable")?.fields).toMatchObject({ error: "AccessDeniedException" });
  });
});

describe("rotation", () => {
  const ip = "203.0.113.30";
  const rotating: LookupEnv = { ...env, rotate: true };

  test("when enabled and due: forces a new deployment of the message's service, records it, says so in the alert", async () => {
    const { response, summary } = await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), rotating);

    expect(response.batchItemFailures).toEqual([]);
    expect(ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([{ cluster: "lure-test", service: "lure-test-cowrie", forceNewDeployment: true }]);
    expect(bucket.json(keys.rotation("cowrie"))).toEqual({ lastRotatedAt: T0, ip, service: "lure-test-cowrie", cycle: CYCLE });
    expect(ops.indexOf("rotate lure-test-cowrie")).toBeLessThan(ops.findIndex((o) => o.startsWith("publish")));
    expect(published()[0].Message).toContain("Rotation: a new deployment of lure-test-cowrie was started");
    expect(summary.rotated).toBe(1);
  });

  test("not when disabled", async () => {
    await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), env);
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toEqual([]);
    expect(ops.some((o) => o.includes("rotations/"))).toBe(false);
  });

  test("not when the IP is not listed", async () => {
    await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: notFound })), rotating);
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toEqual([]);
  });

  test("not when the last rotation is more recent than the minimum interval; yes once it is older", async () => {
    bucket.seed(keys.rotation("cowrie"), { lastRotatedAt: "2025-03-01T02:00:00.000Z", ip: "198.51.100.1", service: "lure-test-cowrie", cycle: "2025-03-01T01:59:00.000Z" });
    await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), rotating);
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toEqual([]);
    expect(published()).toHaveLength(1);
    expect(published()[0].Message).not.toContain("Rotation");
    expect(logged.lines.find((l) => l.event === "rotationTooSoon")?.fields).toMatchObject({ nextAllowedAt: "2025-03-02T02:00:00.000Z" });

    bucket.seed(keys.rotation("cowrie"), { lastRotatedAt: "2025-02-28T11:00:00.000Z", ip: "198.51.100.1", service: "lure-test-cowrie", cycle: "2025-02-28T10:59:00.000Z" });
    bucket.objects.delete(`latest/${ip}.json`);
    await lookupBatch([record("m2", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), rotating);
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
  });

  test("two exposed IPs of one honeypot in one batch rotate it once", async () => {
    const index = fakeIndex({ "203.0.113.31": found("203.0.113.31"), "203.0.113.32": found("203.0.113.32") });
    await lookupBatch([record("m1", "203.0.113.31"), record("m2", "203.0.113.32")], plenty, deps(index), rotating);
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect(published()).toHaveLength(2);
  });

  test("a refused UpdateService does not fail the record; the alert says it failed; no marker", async () => {
    ecsMock.on(UpdateServiceCommand).rejects(Object.assign(new Error("User is not authorized to perform ecs:UpdateService"), { name: "AccessDeniedException" }));

    const { response, summary } = await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), rotating);

    expect(response.batchItemFailures).toEqual([]);
    expect(published()[0].Message).toContain("Rotation of lure-test-cowrie was due but failed: User is not authorized to perform ecs:UpdateService");
    expect(bucket.objects.has(keys.rotation("cowrie"))).toBe(false);
    expect(bucket.objects.has(`latest/${ip}.json`)).toBe(true);
    expect(summary).toMatchObject({ rotated: 0, rotationFailed: 1 });
  });

  test("a rotation alone (no exposure change) still alerts", async () => {
    // Listed already on the previous cycle, before rotation was switched on.
    await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), env);
    clock = new Date("2025-03-01T13:00:00.000Z");
    await lookupBatch([record("m2", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), rotating);

    expect(ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect(published()).toHaveLength(2);
    expect(published()[1].Subject).toBe("[lure-test] cowrie 203.0.113.30: no change in exposure");
    expect(published()[1].Message).toContain("Rotation: a new deployment");
  });
});

describe("SNS failure", () => {
  const ip = "203.0.113.40";

  test("fails the record and leaves latest alone, so the retry alerts", async () => {
    snsMock.on(PublishCommand).rejectsOnce(new Error("Throttling")).resolves({ MessageId: "sns-2" });

    const first = await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), env);
    expect(first.response).toEqual({ batchItemFailures: [{ itemIdentifier: "m1" }] });
    expect(bucket.objects.has(`latest/${ip}.json`)).toBe(false);

    const retry = await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), env);
    expect(retry.response.batchItemFailures).toEqual([]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(2);
    expect(snsMock.commandCalls(PublishCommand)[1].args[0].input.Subject).toContain("now listed with 22/tcp");
    expect(bucket.json(`latest/${ip}.json`)).toMatchObject({ found: true });
  });

  test("a retry after a rotation mentions the rotation instead of rotating again", async () => {
    snsMock.on(PublishCommand).rejectsOnce(new Error("Throttling")).resolves({ MessageId: "sns-2" });
    const rotating = { ...env, rotate: true };

    await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), rotating);
    clock = new Date("2025-03-01T12:05:00.000Z");
    const retry = await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), rotating);

    expect(retry.response.batchItemFailures).toEqual([]);
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect(snsMock.commandCalls(PublishCommand)[1].args[0].input.Message).toContain("Rotation: a new deployment of lure-test-cowrie was started");
    expect(retry.summary.rotated).toBe(0);
  });
});

describe("a record delivered again after it fully succeeded (SQS is at-least-once)", () => {
  const ip = "203.0.113.60";
  const rotating = { ...env, rotate: true };

  test("with a rotation: the rotation is neither repeated nor announced again", async () => {
    const first = await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), rotating);
    expect(first.summary).toMatchObject({ alerts: 1, rotated: 1 });
    clock = new Date("2025-03-01T12:05:00.000Z");

    const again = await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), rotating);

    expect(again.response.batchItemFailures).toEqual([]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect(again.summary).toMatchObject({ lookedUp: 1, alerts: 0, rotated: 0 });
    expect(logged.lines.filter((l) => l.event === "rotationAlreadyDone").map((l) => l.fields.announced)).toEqual([true]);
    expect(bucket.json(`latest/${ip}.json`)).toMatchObject({ checkedAt: "2025-03-01T12:05:00.000Z", found: true });
  });

  test("twice in one batch, at the same instant: one alert, one rotation", async () => {
    const index = fakeIndex({ [ip]: found(ip) });
    const { summary } = await lookupBatch([record("m1", ip), record("m1", ip)], plenty, deps(index), rotating);

    expect(index.calls).toEqual([ip, ip]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect(summary).toMatchObject({ lookedUp: 2, alerts: 1, rotated: 1 });
  });
});

test("time budget: records that cannot start before the reserve are deferred, not looked up", async () => {
  const index = fakeIndex({ "203.0.113.1": notFound, "203.0.113.2": notFound, "203.0.113.3": notFound });
  const remaining = [60_000, 24_999];
  const { response, summary } = await lookupBatch(
    [record("m1", "203.0.113.1"), record("m2", "203.0.113.2"), record("m3", "203.0.113.3")],
    () => remaining.shift() ?? 0,
    deps(index),
    env,
  );

  expect(index.calls).toEqual(["203.0.113.1"]);
  expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m2" }, { itemIdentifier: "m3" }] });
  expect(summary).toMatchObject({ lookedUp: 1, deferred: 2, failed: 0 });
  expect(logged.lines.find((l) => l.event === "deferred")).toMatchObject({ level: "warn", fields: { records: 2, remainingMs: 24_999, reserveMs: 25_000 } });
});

test("S3 keys stay under results/, latest/, rotations/ and state/ (the IAM policy allows nothing else)", async () => {
  const ip = "203.0.113.70";
  const rotating = { ...env, rotate: true };
  // Key problem (claim, alert, confirm), then a working key (clear), a found IP (result, rotation, alert, latest).
  await lookupBatch([record("m1", ip)], plenty, deps(fakeIndex({ [ip]: new IndexConfigError("Shodan refused the API key", 401) })), rotating);
  snsMock.on(PublishCommand).rejectsOnce(new Error("SNS is down")).resolves({ MessageId: "sns-2" });
  await lookupBatch([record("m2", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), rotating);
  await lookupBatch([record("m2", ip)], plenty, deps(fakeIndex({ [ip]: found(ip) })), rotating);

  const keysUsed = [...new Set(s3Mock.calls().map((c) => (c.args[0].input as { Key: string }).Key))];
  for (const key of keysUsed) expect([key, BUCKET_PREFIXES.some((p) => key.startsWith(p))]).toEqual([key, true]);
  // Every prefix was exercised, so the check above covered each kind of key.
  expect(BUCKET_PREFIXES.filter((p) => keysUsed.some((k) => k.startsWith(p)))).toEqual([...BUCKET_PREFIXES]);
  expect(ops).toContain(`delete ${keys.indexError}`);
});

describe("Censys as a second index", () => {
  const CENSYS_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:lure-test-watcher-censys-api-key-XyZ";
  const withCensys: LookupEnv = { ...env, censys: { secret: CENSYS_ARN, secretName: "lure-test-watcher-censys-api-key", everyHours: 24 } };
  const censysIndex = (answers: Record<string, LookupResult | Error>): ScannerIndex => ({ ...fakeIndex(answers, ops), name: "censys" });

  beforeEach(() => {
    secretsMock.on(GetSecretValueCommand, { SecretId: CENSYS_ARN }).resolves({ SecretString: "CENSYS-1", VersionId: "c1" });
  });

  test("its token from its own secret; one Censys-only sighting is alerted naming Censys and stored beside Shodan's answer", async () => {
    const tokens: string[] = [];
    const d: LookupDeps = { ...deps(fakeIndex({ "203.0.113.10": notFound }, ops)), censysFor: (t) => (tokens.push(t), censysIndex({ "203.0.113.10": found("203.0.113.10", [2404]) })) };
    const { response, summary } = await lookupBatch([record("m1", "203.0.113.10")], plenty, d, withCensys);
    expect(response.batchItemFailures).toEqual([]);
    expect(tokens).toEqual(["CENSYS-1"]);
    expect(summary).toMatchObject({ lookedUp: 1, found: 1, alerts: 1, indexUnavailable: 0 });
    expect(published().map((p) => p.Subject)).toEqual(["[lure-test] cowrie 203.0.113.10: now listed by censys with 2404/tcp"]);
    expect(bucket.json(keys.latest("203.0.113.10"))).toMatchObject({ index: "shodan+censys", indexes: { shodan: { found: false }, censys: { found: true, ports: ["2404/tcp"] } } });
  });

  test("Censys unavailable: the record is NOT failed (no second Shodan lookup), the miss is counted", async () => {
    const d: LookupDeps = { ...deps(fakeIndex({ "203.0.113.10": found("203.0.113.10") }, ops)), censysFor: () => censysIndex({ "203.0.113.10": new IndexUnavailableError("Censys answered 503", 503) }) };
    const { response, summary } = await lookupBatch([record("m1", "203.0.113.10")], plenty, d, withCensys);
    expect(response.batchItemFailures).toEqual([]);
    expect(summary).toMatchObject({ lookedUp: 1, found: 1, indexUnavailable: 1, failed: 0 });
    expect(logged.lines.find((l) => l.event === "secondaryIndexUnavailable")?.fields).toMatchObject({ index: "censys", ip: "203.0.113.10" });
  });

  test("Censys key rejected: alerted once for the batch with the Censys marker; Shodan's marker untouched", async () => {
    const d: LookupDeps = {
      ...deps(fakeIndex({ "203.0.113.10": notFound, "203.0.113.11": notFound }, ops)),
      censysFor: () => censysIndex({ "203.0.113.10": new IndexConfigError("Censys answered 401", 401), "203.0.113.11": new IndexConfigError("Censys answered 401", 401) }),
    };
    const { response } = await lookupBatch([record("m1", "203.0.113.10"), record("m2", "203.0.113.11")], plenty, d, withCensys);
    expect(response.batchItemFailures).toEqual([]);
    expect(published().map((p) => p.Subject)).toEqual(["[lure-test] watcher stopped: censys API key problem"]);
    expect(bucket.json(keys.indexErrorOf("censys"))).toMatchObject({ secretVersion: "c1", status: 401 });
    expect(bucket.json(keys.indexError)).toBeUndefined();
  });
});

test("an extra target is looked up, alerted, never rotated; one not configured is skipped", async () => {
  const external = { honeypot: "conpot", service: "external", task: undefined, since: undefined, external: true };
  const d = deps(fakeIndex({ "185.199.108.1": found("185.199.108.1", [502]) }, ops));
  const { summary } = await lookupBatch(
    [record("m1", "185.199.108.1", external), record("m2", "185.199.108.2", external)],
    plenty,
    d,
    { ...env, rotate: true, extraTargets: [{ ip: "185.199.108.1", honeypot: "conpot" }] },
  );
  expect(summary).toMatchObject({ lookedUp: 1, alerts: 1, rotated: 0, skipped: { unknownService: 1 } });
  expect(ops.filter((o) => o.startsWith("rotate"))).toEqual([]);
  expect(published()[0].Message).toContain("Extra target 185.199.108.1 (conpot, not deployed by lure)");
});
