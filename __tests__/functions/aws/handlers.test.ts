/**
 * The two Lambda entry points as esbuild bundles them: environment read at load, SDK clients and
 * the index rate limiter at module scope, Lambda event in, Lambda answer out, JSON lines on stdout.
 * The environment is read at load: the first happy-path test of each handler sets it, then
 * requires the handler; later tests of that handler get the same module (same environment).
 */
import { listIpsVars, lookupVars } from "./fakes";
import { DescribeNetworkInterfacesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from "@aws-sdk/client-ecs";
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { LookupResult, ScannerIndex } from "../../../functions/core/scanner-index";
import type { ShodanIndexOptions } from "../../../functions/shodan";

const createShodanIndex = jest.fn();
jest.mock("../../../functions/shodan", () => ({
  ...jest.requireActual("../../../functions/shodan"),
  createShodanIndex: (...args: unknown[]) => createShodanIndex(...args),
}));
const realShodan = jest.requireActual<typeof import("../../../functions/shodan")>("../../../functions/shodan");

const ecsMock = mockClient(ECSClient);
const ec2Mock = mockClient(EC2Client);
const sqsMock = mockClient(SQSClient);
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const secretsMock = mockClient(SecretsManagerClient);

const saved = { ...process.env };
let stdout: string[];

beforeEach(() => {
  for (const m of [ecsMock, ec2Mock, sqsMock, s3Mock, snsMock, secretsMock]) m.reset();
  createShodanIndex.mockReset();
  process.env = { ...saved, AWS_REGION: "eu-west-1" };
  stdout = [];
  jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
  process.env = saved;
});

/** A client as the SDK resolves its configuration. */
interface ResolvedClient {
  readonly config: { readonly maxAttempts: () => Promise<number>; readonly requestHandler: unknown };
}

/** Every SDK call is bounded: 3 attempts, each with connection, request and idle-socket timeouts that throw. */
async function expectBounded(name: string, client: ResolvedClient): Promise<void> {
  expect([name, await client.config.maxAttempts()]).toEqual([name, 3]);
  const handler = client.config.requestHandler as { constructor: { name: string }; configProvider: Promise<Record<string, unknown>> };
  expect([name, handler.constructor.name]).toEqual([name, "NodeHttpHandler"]);
  expect([name, await handler.configProvider]).toEqual([
    name,
    expect.objectContaining({ connectionTimeout: 3000, requestTimeout: 5000, throwOnRequestTimeout: true, socketTimeout: 5000 }),
  ]);
}

/** A bad environment must stop the module from loading, so those tests load it in a fresh registry. */
function loadIsolated(path: string): unknown {
  let mod: unknown;
  jest.isolateModules(() => {
    mod = require(path);
  });
  return mod;
}

const SERVICES = JSON.stringify({ cowrie: "lure-test-cowrie" });

describe("list-ips handler", () => {
  const vars = listIpsVars(SERVICES);

  test("refuses to load with a bad environment, naming every bad variable", () => {
    Object.assign(process.env, { LURE_CLUSTER: vars.LURE_CLUSTER, LURE_SERVICES: vars.LURE_SERVICES, LURE_PREFIX: vars.LURE_PREFIX });
    expect(() => loadIsolated("../../../functions/aws/list-ips/handler")).toThrow(
      /LURE_QUEUE_URL is not set.*LURE_TOPIC_ARN is not set.*LURE_DLQ_URL is not set.*LURE_DLQ_ARN is not set/,
    );
  });

  test("lists, queues and logs a JSON summary", async () => {
    Object.assign(process.env, vars);
    ecsMock.on(ListTasksCommand).resolves({ taskArns: ["arn:task/1"] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [{ taskArn: "arn:task/1", lastStatus: "RUNNING", attachments: [{ type: "ElasticNetworkInterface", details: [{ name: "networkInterfaceId", value: "eni-1" }] }] }],
    });
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [{ NetworkInterfaceId: "eni-1", Association: { PublicIp: "203.0.113.1" } }] });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: "0", MessageId: "a", MD5OfMessageBody: "" }] });
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: "0" } });
    // Loaded once, in this file's registry, so the SDK classes are the mocked ones.
    const { handler } = require("../../../functions/aws/list-ips/handler") as typeof import("../../../functions/aws/list-ips/handler");
    const summary = await handler();

    expect(summary).toMatchObject({ services: 1, tasks: 1, ips: 1, sent: 1, deadLetters: 0 });
    expect(sqsMock.commandCalls(GetQueueAttributesCommand)[0].args[0].input.QueueUrl).toBe(vars.LURE_DLQ_URL);
    expect(JSON.parse(sqsMock.commandCalls(SendMessageBatchCommand)[0].args[0].input.Entries![0].MessageBody!)).toMatchObject({ ip: "203.0.113.1", honeypot: "cowrie", service: "lure-test-cowrie" });
    const lines = stdout.map((l) => JSON.parse(l) as { level: string; event: string });
    expect(lines.at(-1)).toMatchObject({ level: "info", event: "listIpsSummary", sent: 1 });
  });

  test("creates every SDK client with bounded request times and 3 attempts", async () => {
    Object.assign(process.env, vars);
    const { deps } = require("../../../functions/aws/list-ips/handler") as typeof import("../../../functions/aws/list-ips/handler");
    for (const [name, client] of Object.entries({ ecs: deps.ecs, ec2: deps.ec2, sqs: deps.sqs, sns: deps.sns })) await expectBounded(name, client as unknown as ResolvedClient);
  });
});

describe("lookup handler", () => {
  const vars = lookupVars(SERVICES);

  function sqsRecord(messageId: string, body: string): SQSRecord {
    return { messageId, body, receiptHandle: "r", attributes: {} as SQSRecord["attributes"], messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:eu-west-1:111122223333:lure-test-watch", awsRegion: "eu-west-1" };
  }

  test("refuses to load with a bad environment, naming every bad variable", () => {
    Object.assign(process.env, { ...vars, LURE_ROTATE: "yes", LURE_MIN_INTERVAL_MS: "fast" });
    expect(() => loadIsolated("../../../functions/aws/lookup/handler")).toThrow(/LURE_ROTATE is "yes".*LURE_MIN_INTERVAL_MS is "fast"/);
  });

  test("creates the Shodan index once per invocation from the secret, and answers with the failed message ids", async () => {
    Object.assign(process.env, vars);
    const index: ScannerIndex = {
      name: "shodan",
      lookup: async (ip): Promise<LookupResult> => {
        if (ip === "203.0.113.1") return { kind: "not-found" };
        throw new Error("unexpected");
      },
    };
    createShodanIndex.mockReturnValue(index);
    const message = (ip: string) => JSON.stringify({ ip, honeypot: "cowrie", service: "lure-test-cowrie", cycle: "2025-03-01T11:59:00.000Z" });
    const event: SQSEvent = { Records: [sqsRecord("m1", message("203.0.113.1")), sqsRecord("m2", message("203.0.113.2"))] };
    const context = { getRemainingTimeInMillis: () => 120_000 } as unknown as Context;

    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: "KEY-1", VersionId: "v1" });
    s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ message: "no such key", $metadata: {} }));
    s3Mock.on(PutObjectCommand).resolves({});
    snsMock.on(PublishCommand).resolves({ MessageId: "m" });
    const { handler } = require("../../../functions/aws/lookup/handler") as typeof import("../../../functions/aws/lookup/handler");
    const response = await handler(event, context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m2" }] });
    expect(createShodanIndex.mock.calls).toEqual([[{ apiKey: "KEY-1", minIntervalMs: 2000, honeyscore: true, limiter: { schedule: expect.any(Function) } }]]);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([expect.stringMatching(/^results\/203\.0\.113\.1\/\d{4}-\d\d-\d\dT\d{6}\.\d{3}Z\.json$/), "latest/203.0.113.1.json"]);
    const lines = stdout.map((l) => JSON.parse(l) as { event: string });
    expect(lines.at(-1)).toMatchObject({ level: "warn", event: "lookupSummary", records: 2, lookedUp: 1, failed: 1 });
  });

  test("spaces Shodan requests across invocations: the second one's first request waits out the spacing after the first one's last", async () => {
    Object.assign(process.env, vars); // LURE_MIN_INTERVAL_MS=2000
    // The limiter lives as long as the module: start this clock well after any earlier test's requests.
    jest.useFakeTimers({ now: Date.now() + 3_600_000, doNotFake: ["nextTick", "queueMicrotask", "setImmediate"] });
    const requests: { ip: string; start: number; end: number }[] = [];
    // The real Shodan adapter and limiter, with only the HTTP client replaced.
    const client = {
      host: async (ip: string) => {
        const start = Date.now();
        requests.push({ ip, start, end: start });
        throw new Error("got.get : No information available for that IP.");
      },
      honeyscore: async () => {
        throw new Error("not asked for hosts that are not found");
      },
    };
    createShodanIndex.mockImplementation((options: ShodanIndexOptions) => realShodan.createShodanIndex({ ...options, client }));
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: "KEY-1", VersionId: "v1" });
    s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ message: "no such key", $metadata: {} }));
    s3Mock.on(PutObjectCommand).resolves({});
    const message = (ip: string) => JSON.stringify({ ip, honeypot: "cowrie", service: "lure-test-cowrie", cycle: "2025-03-01T11:59:00.000Z" });
    const context = { getRemainingTimeInMillis: () => 120_000 } as unknown as Context;
    const { handler } = require("../../../functions/aws/lookup/handler") as typeof import("../../../functions/aws/lookup/handler");

    // Nothing to wait for: the first invocation settles without any timer firing.
    expect(await handler({ Records: [sqsRecord("m1", message("203.0.113.1"))] }, context)).toEqual({ batchItemFailures: [] });
    const second = handler({ Records: [sqsRecord("m2", message("203.0.113.2"))] }, context);
    await jest.advanceTimersByTimeAsync(1999);
    expect(requests.map((r) => r.ip)).toEqual(["203.0.113.1"]);
    await jest.advanceTimersByTimeAsync(1);
    expect(await second).toEqual({ batchItemFailures: [] });

    expect(requests.map((r) => r.ip)).toEqual(["203.0.113.1", "203.0.113.2"]);
    expect(requests[1].start - requests[0].end).toBeGreaterThanOrEqual(2000);
    expect(createShodanIndex).toHaveBeenCalledTimes(2);
  });

  // Leaves the instance's limiter held for good: keep it after the other tests that look things up.
  test("a Shodan call abandoned by one invocation does not hold up the next: its records fail after the spacing plus slack", async () => {
    Object.assign(process.env, vars);
    jest.useFakeTimers({ now: Date.now() + 7_200_000, doNotFake: ["nextTick", "queueMicrotask", "setImmediate"] });
    const started: string[] = [];
    const client = {
      // Never answers, like got waiting out a very long Retry-After.
      host: (ip: string) => (started.push(ip), new Promise<never>(() => undefined)),
      honeyscore: async () => 0,
    };
    createShodanIndex.mockImplementation((options: ShodanIndexOptions) => realShodan.createShodanIndex({ ...options, client }));
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: "KEY-1", VersionId: "v1" });
    s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ message: "no such key", $metadata: {} }));
    const message = (ip: string) => JSON.stringify({ ip, honeypot: "cowrie", service: "lure-test-cowrie", cycle: "2025-03-01T11:59:00.000Z" });
    const context = { getRemainingTimeInMillis: () => 120_000 } as unknown as Context;
    const { handler } = require("../../../functions/aws/lookup/handler") as typeof import("../../../functions/aws/lookup/handler");

    // The adapter abandons the call after its budget (3 x 5 s + 3.5 s).
    const first = handler({ Records: [sqsRecord("m1", message("203.0.113.1"))] }, context);
    await jest.advanceTimersByTimeAsync(18_500);
    expect(await first).toEqual({ batchItemFailures: [{ itemIdentifier: "m1" }] });

    const second = handler({ Records: [sqsRecord("m2", message("203.0.113.2")), sqsRecord("m3", message("203.0.113.3"))] }, context);
    await jest.advanceTimersByTimeAsync(2000 + 2000);
    expect(await second).toEqual({ batchItemFailures: [{ itemIdentifier: "m2" }, { itemIdentifier: "m3" }] });
    expect(started).toEqual(["203.0.113.1"]);
    const failed = stdout.map((l) => JSON.parse(l) as { event: string; message?: string }).filter((l) => l.event === "recordFailed");
    expect(failed.at(-1)?.message).toMatch(/still holds the rate limiter/);
  });

  test("creates every SDK client with bounded request times and 3 attempts", async () => {
    Object.assign(process.env, vars);
    const { deps } = require("../../../functions/aws/lookup/handler") as typeof import("../../../functions/aws/lookup/handler");
    for (const [name, client] of Object.entries({ s3: deps.s3, sns: deps.sns, secrets: deps.secrets, ecs: deps.ecs })) await expectBounded(name, client as unknown as ResolvedClient);
  });
});
