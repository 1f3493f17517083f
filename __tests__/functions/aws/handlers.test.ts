/**
 * The two Lambda entry points as esbuild bundles them: environment read at load, SDK clients at
 * module scope, Lambda event in, Lambda answer out, JSON lines on stdout. The environment is
 * read at load: each happy-path test sets it, then requires its handler for the first time.
 */
import { lookupVars } from "./fakes";
import { DescribeNetworkInterfacesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from "@aws-sdk/client-ecs";
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { LookupResult, ScannerIndex } from "../../../functions/core/scanner-index";

const createShodanIndex = jest.fn();
jest.mock("../../../functions/shodan", () => ({ createShodanIndex: (...args: unknown[]) => createShodanIndex(...args) }));

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
  jest.restoreAllMocks();
  process.env = saved;
});

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
  const vars = { LURE_CLUSTER: "lure-test", LURE_SERVICES: SERVICES, LURE_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/111122223333/lure-test-watch" };

  test("refuses to load with a bad environment, naming the variable", () => {
    Object.assign(process.env, { LURE_CLUSTER: vars.LURE_CLUSTER, LURE_SERVICES: vars.LURE_SERVICES });
    expect(() => loadIsolated("../../../functions/aws/list-ips/handler")).toThrow("LURE_QUEUE_URL is not set");
  });

  test("lists, queues and logs a JSON summary", async () => {
    Object.assign(process.env, vars);
    ecsMock.on(ListTasksCommand).resolves({ taskArns: ["arn:task/1"] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [{ taskArn: "arn:task/1", lastStatus: "RUNNING", attachments: [{ type: "ElasticNetworkInterface", details: [{ name: "networkInterfaceId", value: "eni-1" }] }] }],
    });
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [{ NetworkInterfaceId: "eni-1", Association: { PublicIp: "203.0.113.1" } }] });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: "0", MessageId: "a", MD5OfMessageBody: "" }] });
    // Loaded once, in this file's registry, so the SDK classes are the mocked ones.
    const { handler } = require("../../../functions/aws/list-ips/handler") as typeof import("../../../functions/aws/list-ips/handler");
    const summary = await handler();

    expect(summary).toMatchObject({ services: 1, tasks: 1, ips: 1, sent: 1 });
    expect(JSON.parse(sqsMock.commandCalls(SendMessageBatchCommand)[0].args[0].input.Entries![0].MessageBody!)).toMatchObject({ ip: "203.0.113.1", honeypot: "cowrie", service: "lure-test-cowrie" });
    const lines = stdout.map((l) => JSON.parse(l) as { level: string; event: string });
    expect(lines.at(-1)).toMatchObject({ level: "info", event: "listIpsSummary", sent: 1 });
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
    expect(createShodanIndex.mock.calls).toEqual([[{ apiKey: "KEY-1", minIntervalMs: 2000, honeyscore: true }]]);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([expect.stringMatching(/^results\/203\.0\.113\.1\/\d{4}-\d\d-\d\dT\d{6}\.\d{3}Z\.json$/), "latest/203.0.113.1.json"]);
    const lines = stdout.map((l) => JSON.parse(l) as { event: string });
    expect(lines.at(-1)).toMatchObject({ level: "warn", event: "lookupSummary", records: 2, lookedUp: 1, failed: 1 });
  });
});
