import { DescribeNetworkInterfacesCommand, EC2Client, type NetworkInterface } from "@aws-sdk/client-ec2";
import { DescribeTasksCommand, ECSClient, ListTasksCommand, ServiceNotFoundException, type Task } from "@aws-sdk/client-ecs";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import type { ListIpsEnv } from "../../../functions/aws/env";
import { listIps, type ListIpsDeps } from "../../../functions/aws/list-ips/list-ips";
import { parseIpMessage } from "../../../functions/core/watcher-message";
import { recordingLog } from "./fakes";

const NOW = new Date("2025-03-01T12:00:00.000Z");
const CYCLE = NOW.toISOString();
const QUEUE = "https://sqs.eu-west-1.amazonaws.com/111122223333/lure-test-watch";
const DLQ = "https://sqs.eu-west-1.amazonaws.com/111122223333/lure-test-watch-dlq";
const DLQ_ARN = "arn:aws:sqs:eu-west-1:111122223333:lure-test-watch-dlq";
const TOPIC = "arn:aws:sns:eu-west-1:111122223333:lure-test-alerts";
const CLUSTER = "lure-test";

const ecs = new ECSClient({ region: "eu-west-1" });
const ec2 = new EC2Client({ region: "eu-west-1" });
const sqs = new SQSClient({ region: "eu-west-1" });
const sns = new SNSClient({ region: "eu-west-1" });
const ecsMock = mockClient(ecs);
const ec2Mock = mockClient(ec2);
const sqsMock = mockClient(sqs);
const snsMock = mockClient(sns);

let sleeps: number[];
let logged: ReturnType<typeof recordingLog>;
function deps(): ListIpsDeps {
  return { ecs, ec2, sqs, sns, now: () => NOW, sleep: async (ms) => void sleeps.push(ms), log: logged.log };
}

/** Messages in the dead-letter queue, as GetQueueAttributes reports them. */
function deadLetters(count: number): void {
  sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: String(count) } });
}

function published(): { TopicArn?: string; Subject?: string; Message?: string }[] {
  return snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
}

beforeEach(() => {
  ecsMock.reset();
  ec2Mock.reset();
  sqsMock.reset();
  snsMock.reset();
  sleeps = [];
  logged = recordingLog();
  deadLetters(0);
  snsMock.on(PublishCommand).resolves({ MessageId: "sns-1" });
});

const arn = (id: string) => `arn:aws:ecs:eu-west-1:111122223333:task/${CLUSTER}/${id}`;

function task(id: string, opts: { status?: string; eni?: string; startedAt?: string } = {}): Task {
  return {
    taskArn: arn(id),
    lastStatus: opts.status ?? "RUNNING",
    ...(opts.startedAt ? { startedAt: new Date(opts.startedAt) } : {}),
    attachments: opts.eni
      ? [
          { type: "ElasticNetworkInterface", details: [{ name: "subnetId", value: "subnet-1" }, { name: "networkInterfaceId", value: opts.eni }] },
        ]
      : [],
  };
}

/** Strict ECS fake: tasks per service, listed in pages of `pageSize`; unknown services throw like ECS does. */
function fakeEcs(byService: Record<string, Task[]>, pageSize = 100): void {
  const all = new Map(Object.values(byService).flat().map((t) => [t.taskArn!, t]));
  ecsMock.on(ListTasksCommand).callsFake((input) => {
    const tasks = byService[input.serviceName];
    if (!tasks) throw new ServiceNotFoundException({ message: "Service not found.", $metadata: {} });
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const page = tasks.slice(start, start + pageSize).map((t) => t.taskArn!);
    return { taskArns: page, ...(start + pageSize < tasks.length ? { nextToken: String(start + pageSize) } : {}) };
  });
  ecsMock.on(DescribeTasksCommand).callsFake((input) => ({ tasks: (input.tasks as string[]).map((a) => all.get(a)!), failures: [] }));
}

/** Strict EC2 fake: answers only the filter form, in pages of `pageSize`. */
function fakeEc2(enis: Record<string, string | undefined>, pageSize = 1000): void {
  ec2Mock.on(DescribeNetworkInterfacesCommand).callsFake((input) => {
    if (input.NetworkInterfaceIds) throw new Error("use a filter, not NetworkInterfaceIds");
    const ids: string[] = input.Filters[0].Values;
    const found: NetworkInterface[] = ids
      .filter((id) => Object.hasOwn(enis, id))
      .map((id) => ({ NetworkInterfaceId: id, ...(enis[id] ? { Association: { PublicIp: enis[id] } } : {}) }));
    const start = input.NextToken ? Number(input.NextToken) : 0;
    return { NetworkInterfaces: found.slice(start, start + pageSize), ...(start + pageSize < found.length ? { NextToken: String(start + pageSize) } : {}) };
  });
}

function sqsAcceptsAll(): void {
  sqsMock.on(SendMessageBatchCommand).callsFake((input) => ({ Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [] }));
}

function sentBodies(): unknown[] {
  return sqsMock.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => JSON.parse(e.MessageBody!)));
}

const env: ListIpsEnv = {
  cluster: CLUSTER,
  services: { cowrie: "lure-test-cowrie", dionaea: "lure-test-dionaea", conpot: "lure-test-conpot" },
  queueUrl: QUEUE,
  prefix: "lure-test",
  topicArn: TOPIC,
  dlqUrl: DLQ,
  dlqArn: DLQ_ARN,
  extraTargets: [],
};

describe("discovery", () => {
  beforeEach(() => {
    fakeEcs(
      {
        "lure-test-cowrie": [task("c1", { eni: "eni-1", startedAt: "2025-02-20T08:00:00Z" }), task("c2", { eni: "eni-2", startedAt: "2025-02-21T09:30:00Z" })],
        "lure-test-dionaea": [task("d1", { status: "PENDING", eni: "eni-3" }), task("d2", { eni: "eni-4", startedAt: "2025-02-22T10:00:00Z" })],
        "lure-test-conpot": [],
      },
      1, // one task per page: every service with tasks needs pagination
    );
    fakeEc2({ "eni-1": "203.0.113.1", "eni-2": "203.0.113.2", "eni-4": undefined }, 2);
    sqsAcceptsAll();
  });

  test("queues one message per public IP with honeypot, service, task and since", async () => {
    const summary = await listIps(deps(), env);

    expect(summary).toEqual({
      cycle: CYCLE,
      services: 3,
      tasks: 4,
      ips: 2,
      extraTargets: 0,
      sent: 2,
      skipped: { notRunning: 1, noPublicIp: 1 },
      failedServices: [],
      deadLetters: 0,
      alerts: 0,
      warnings: 0,
    });
    expect(published()).toEqual([]);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input.QueueUrl).toBe(QUEUE);
    expect(calls[0].args[0].input.Entries!.map((e) => e.Id)).toEqual(["0", "1"]);
    expect(sentBodies()).toEqual([
      { ip: "203.0.113.1", honeypot: "cowrie", service: "lure-test-cowrie", task: arn("c1"), since: "2025-02-20T08:00:00.000Z", cycle: CYCLE, cloud: "aws" },
      { ip: "203.0.113.2", honeypot: "cowrie", service: "lure-test-cowrie", task: arn("c2"), since: "2025-02-21T09:30:00.000Z", cycle: CYCLE, cloud: "aws" },
    ]);
    // What the sender writes, the receiver accepts.
    for (const body of sentBodies()) expect(parseIpMessage(JSON.stringify(body)).ok).toBe(true);
  });

  test("lists RUNNING tasks of each service page by page and describes them in the cluster", async () => {
    await listIps(deps(), env);

    expect(ecsMock.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, serviceName: "lure-test-cowrie", desiredStatus: "RUNNING", nextToken: undefined },
      { cluster: CLUSTER, serviceName: "lure-test-cowrie", desiredStatus: "RUNNING", nextToken: "1" },
      { cluster: CLUSTER, serviceName: "lure-test-dionaea", desiredStatus: "RUNNING", nextToken: undefined },
      { cluster: CLUSTER, serviceName: "lure-test-dionaea", desiredStatus: "RUNNING", nextToken: "1" },
      { cluster: CLUSTER, serviceName: "lure-test-conpot", desiredStatus: "RUNNING", nextToken: undefined },
    ]);
    expect(ecsMock.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, tasks: [arn("c1"), arn("c2")] },
      { cluster: CLUSTER, tasks: [arn("d1"), arn("d2")] },
    ]);
  });

  test("asks EC2 by network-interface-id filter (never by ids) for running tasks only, following pages", async () => {
    await listIps(deps(), env);

    const calls = ec2Mock.commandCalls(DescribeNetworkInterfacesCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { Filters: [{ Name: "network-interface-id", Values: ["eni-1", "eni-2", "eni-4"] }], NextToken: undefined },
      { Filters: [{ Name: "network-interface-id", Values: ["eni-1", "eni-2", "eni-4"] }], NextToken: "2" },
    ]);
  });

  test("a running task without public IP is skipped, logged with its task ARN", async () => {
    await listIps(deps(), env);

    const line = logged.lines.find((l) => l.event === "noPublicIp");
    expect(line).toMatchObject({ level: "warn", fields: { task: arn("d2"), eni: "eni-4", service: "lure-test-dionaea", reason: "interface has no public IP" } });
    expect(logged.lines.find((l) => l.event === "taskNotRunning")?.fields).toMatchObject({ task: arn("d1"), lastStatus: "PENDING" });
    expect(logged.lines.find((l) => l.event === "listIpsSummary")).toMatchObject({ level: "info", fields: { ips: 2, sent: 2 } });
  });
});

test("a task without a network interface, or whose interface vanished, is skipped as noPublicIp", async () => {
  fakeEcs({ "lure-test-cowrie": [task("c1"), task("c2", { eni: "eni-gone" })], "lure-test-dionaea": [], "lure-test-conpot": [] });
  fakeEc2({});
  sqsAcceptsAll();

  const summary = await listIps(deps(), env);

  expect(summary.skipped).toEqual({ notRunning: 0, noPublicIp: 2 });
  expect(logged.lines.filter((l) => l.event === "noPublicIp").map((l) => l.fields.reason)).toEqual(["task has no network interface", "interface not found"]);
  expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
});

test("a task that stopped between ListTasks and DescribeTasks counts as notRunning", async () => {
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [arn("gone")] });
  ecsMock.on(DescribeTasksCommand).resolves({ tasks: [], failures: [{ arn: arn("gone"), reason: "MISSING" }] });
  fakeEc2({});

  const summary = await listIps(deps(), { ...env, services: { cowrie: "lure-test-cowrie" } });

  expect(summary).toMatchObject({ tasks: 1, ips: 0, skipped: { notRunning: 1, noPublicIp: 0 } });
  expect(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand)).toHaveLength(0);
});

test("the same IP from two tasks is queued once", async () => {
  fakeEcs({ "lure-test-cowrie": [task("c1", { eni: "eni-1" })], "lure-test-dionaea": [task("d1", { eni: "eni-2" })], "lure-test-conpot": [] });
  fakeEc2({ "eni-1": "203.0.113.1", "eni-2": "203.0.113.1" });
  sqsAcceptsAll();

  const summary = await listIps(deps(), env);

  expect(summary).toMatchObject({ ips: 1, sent: 1 });
  expect(sentBodies()).toEqual([{ ip: "203.0.113.1", honeypot: "cowrie", service: "lure-test-cowrie", task: arn("c1"), cycle: CYCLE, cloud: "aws" }]);
  expect(logged.events()).toContain("duplicateIp");
});

test("many tasks: DescribeTasks ≤ 100, EC2 filter ≤ 200 values, SQS batches of 10 with unique ids", async () => {
  const tasks = Array.from({ length: 250 }, (_, i) => task(`t${i}`, { eni: `eni-${i}` }));
  fakeEcs({ "lure-test-cowrie": tasks });
  fakeEc2(Object.fromEntries(tasks.map((_, i) => [`eni-${i}`, `198.51.${Math.floor(i / 200)}.${i % 200}`])));
  sqsAcceptsAll();

  const summary = await listIps(deps(), { ...env, services: { cowrie: "lure-test-cowrie" } });

  expect(summary).toMatchObject({ tasks: 250, ips: 250, sent: 250 });
  expect(ecsMock.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input.tasks!.length)).toEqual([100, 100, 50]);
  expect(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand).map((c) => c.args[0].input.Filters![0].Values!.length)).toEqual([200, 50]);
  const batches = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!);
  expect(batches).toHaveLength(25);
  for (const b of batches) {
    expect(b).toHaveLength(10);
    expect(new Set(b.map((e) => e.Id)).size).toBe(10);
  }
  expect(new Set(sentBodies().map((m) => (m as { ip: string }).ip)).size).toBe(250);
});

test("12 IPs go out as a batch of 10 and a batch of 2", async () => {
  const tasks = Array.from({ length: 12 }, (_, i) => task(`t${i}`, { eni: `eni-${i}` }));
  fakeEcs({ "lure-test-cowrie": tasks });
  fakeEc2(Object.fromEntries(tasks.map((_, i) => [`eni-${i}`, `203.0.113.${i + 1}`])));
  sqsAcceptsAll();

  await listIps(deps(), { ...env, services: { cowrie: "lure-test-cowrie" } });

  const batches = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.map((e) => JSON.parse(e.MessageBody!).ip));
  expect(batches).toEqual([
    Array.from({ length: 10 }, (_, i) => `203.0.113.${i + 1}`),
    ["203.0.113.11", "203.0.113.12"],
  ]);
});

describe("SQS failures", () => {
  beforeEach(() => {
    fakeEcs({ "lure-test-cowrie": [task("c1", { eni: "eni-1" }), task("c2", { eni: "eni-2" })] });
    fakeEc2({ "eni-1": "203.0.113.1", "eni-2": "203.0.113.2" });
  });
  const oneService = { ...env, services: { cowrie: "lure-test-cowrie" } };

  test("a Failed entry is sent again, alone, after a backoff", async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [{ Id: "0", MessageId: "a", MD5OfMessageBody: "" }], Failed: [{ Id: "1", SenderFault: false, Code: "InternalError" }] })
      .resolvesOnce({ Successful: [{ Id: "1", MessageId: "b", MD5OfMessageBody: "" }], Failed: [] });

    const summary = await listIps(deps(), oneService);

    expect(summary.sent).toBe(2);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!);
    expect(calls).toHaveLength(2);
    expect(calls[1].map((e) => e.Id)).toEqual(["1"]);
    expect(JSON.parse(calls[1][0].MessageBody!).ip).toBe("203.0.113.2");
    expect(sleeps).toEqual([200]);
  });

  test("an entry that keeps failing is tried 3 times with growing backoff, then the run throws with counts", async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input) => ({
      Successful: input.Entries.filter((e: { Id: string }) => e.Id !== "0").map((e: { Id: string }) => ({ Id: e.Id })),
      Failed: [{ Id: "0", SenderFault: false, Code: "InternalError", Message: "try later" }],
    }));

    await expect(listIps(deps(), oneService)).rejects.toThrow("SQS did not accept 1 of 2 messages after 3 attempts (1 sent; last error: InternalError: try later)");
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
    expect(sleeps).toEqual([200, 400]);
    expect(logged.lines.find((l) => l.event === "listIpsSummary")).toMatchObject({ level: "error", fields: { ips: 2, sent: 1 } });
  });

  test("a sender fault is not retried, and still fails the run", async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: "1", MessageId: "b", MD5OfMessageBody: "" }], Failed: [{ Id: "0", SenderFault: true, Code: "InvalidMessageContents" }] });

    await expect(listIps(deps(), oneService)).rejects.toThrow("did not accept 1 of 2 messages");
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  test("a rejected SendMessageBatch call counts as an attempt for every entry", async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .rejectsOnce(new Error("socket hang up"))
      .resolves({ Successful: [{ Id: "0", MessageId: "a", MD5OfMessageBody: "" }, { Id: "1", MessageId: "b", MD5OfMessageBody: "" }] });

    const summary = await listIps(deps(), oneService);

    expect(summary.sent).toBe(2);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
    expect(sleeps).toEqual([200]);
  });
});

describe("a service that cannot be listed", () => {
  beforeEach(() => {
    // lure-test-dionaea is not in the cluster: ListTasks throws ServiceNotFoundException.
    fakeEcs({ "lure-test-cowrie": [task("c1", { eni: "eni-1" })], "lure-test-conpot": [] });
    fakeEc2({ "eni-1": "203.0.113.1" });
  });

  test("does not stop the others; it is reported by one SNS alert and the run returns normally", async () => {
    sqsAcceptsAll();

    const summary = await listIps(deps(), env);

    expect(summary).toMatchObject({ services: 3, ips: 1, sent: 1, failedServices: ["lure-test-dionaea"], alerts: 1 });
    expect(sentBodies()).toEqual([expect.objectContaining({ ip: "203.0.113.1" })]);
    expect(published()).toHaveLength(1);
    const [alert] = published();
    expect(alert.TopicArn).toBe(TOPIC);
    expect(alert.Subject).toBe("[lure-test] watcher: cannot list lure-test-dionaea");
    expect(alert.Message).toContain(`could not list the tasks of 1 of 3 services in the ECS cluster ${CLUSTER} (cycle ${CYCLE})`);
    expect(alert.Message).toContain("- lure-test-dionaea (honeypot dionaea): ServiceNotFoundException: Service not found.");
    expect(alert.Message).toContain("(1 sent)");
    expect(logged.lines.find((l) => l.event === "serviceListFailed")?.fields).toMatchObject({ service: "lure-test-dionaea", error: "ServiceNotFoundException" });
    expect(logged.lines.find((l) => l.event === "listIpsSummary")).toMatchObject({ level: "error", fields: { failedServices: ["lure-test-dionaea"] } });
  });

  test("when that SNS alert cannot be sent, the run throws naming the services and the SNS error (after queueing the others)", async () => {
    sqsAcceptsAll();
    snsMock.on(PublishCommand).rejects(Object.assign(new Error("Topic does not exist"), { name: "NotFoundException" }));

    await expect(listIps(deps(), env)).rejects.toThrow(
      `list-ips cycle ${CYCLE}: could not list the tasks of 1 of 3 services (lure-test-dionaea) and could not report it by SNS: Topic does not exist`,
    );
    expect(sentBodies()).toEqual([expect.objectContaining({ ip: "203.0.113.1" })]);
    expect(logged.events()).toContain("failedServicesNotReported");
  });

  test("with SQS refusing messages too, the run throws for SQS and still reports the services", async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: "0", SenderFault: true, Code: "InvalidMessageContents" }] });

    await expect(listIps(deps(), env)).rejects.toThrow(/SQS did not accept 1 of 1 messages.*InvalidMessageContents/);
    expect(published().map((p) => p.Subject)).toEqual(["[lure-test] watcher: cannot list lure-test-dionaea"]);
  });

  test("the subject names whole services while they fit, then a count; printable ASCII under 100 characters", async () => {
    const services = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`honeypot${i}`, `lure-test-a-rather-long-service-name-${i}`]));
    fakeEcs({});
    sqsAcceptsAll();

    const summary = await listIps(deps(), { ...env, prefix: "lure-tëst", services });

    expect(summary.failedServices).toHaveLength(8);
    const subject = published()[0].Subject!;
    expect(subject).toMatch(/^[\x20-\x7e]{1,99}$/);
    expect(subject).toBe("[lure-t?st] watcher: cannot list lure-test-a-rather-long-service-name-0 (+7 more)");
    expect(published()[0].Message).toContain("- lure-test-a-rather-long-service-name-7 (honeypot honeypot7)");
  });
});

describe("dead-letter queue", () => {
  beforeEach(() => {
    fakeEcs({ "lure-test-cowrie": [task("c1", { eni: "eni-1" })], "lure-test-dionaea": [], "lure-test-conpot": [] });
    fakeEc2({ "eni-1": "203.0.113.1" });
    sqsAcceptsAll();
  });

  test("is counted first, by its URL; empty: no alert", async () => {
    const summary = await listIps(deps(), env);

    expect(sqsMock.commandCalls(GetQueueAttributesCommand).map((c) => c.args[0].input)).toEqual([{ QueueUrl: DLQ, AttributeNames: ["ApproximateNumberOfMessages"] }]);
    // Before anything else (sinon orders calls across stubs).
    expect(sqsMock.commandCalls(GetQueueAttributesCommand)[0].calledBefore(ecsMock.commandCalls(ListTasksCommand)[0])).toBe(true);
    expect(published()).toEqual([]);
    expect(summary).toMatchObject({ deadLetters: 0, alerts: 0, warnings: 0, sent: 1 });
  });

  test("3 lookups in it: one alert with the count, the queue and the redrive command; listing goes on", async () => {
    deadLetters(3);

    const summary = await listIps(deps(), env);

    expect(published()).toEqual([
      {
        TopicArn: TOPIC,
        Subject: "[lure-test] watcher: 3 lookups in the dead-letter queue",
        Message: expect.stringContaining(`3 lookups are in the dead-letter queue ${DLQ}; inspect and redrive (aws sqs start-message-move-task --source-arn ${DLQ_ARN}).`),
      },
    ]);
    expect(summary).toMatchObject({ deadLetters: 3, alerts: 1, warnings: 0, sent: 1 });
    expect(logged.lines.find((l) => l.event === "deadLetters")).toMatchObject({ level: "warn", fields: { messages: 3, queue: DLQ } });
  });

  test("a GetQueueAttributes error is logged and counted; listing and queueing go on", async () => {
    sqsMock.on(GetQueueAttributesCommand).rejects(Object.assign(new Error("not authorized to perform sqs:GetQueueAttributes"), { name: "AccessDenied" }));

    const summary = await listIps(deps(), env);

    expect(summary).toMatchObject({ deadLetters: null, warnings: 1, alerts: 0, ips: 1, sent: 1 });
    expect(sentBodies()).toEqual([expect.objectContaining({ ip: "203.0.113.1" })]);
    expect(published()).toEqual([]);
    expect(logged.lines.find((l) => l.event === "deadLettersNotCounted")).toMatchObject({ level: "warn", fields: { queue: DLQ, error: "AccessDenied" } });
    expect(logged.lines.find((l) => l.event === "listIpsSummary")).toMatchObject({ level: "warn", fields: { warnings: 1 } });
  });

  test("an answer without the count is treated like an error", async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: {} });

    const summary = await listIps(deps(), env);

    expect(summary).toMatchObject({ deadLetters: null, warnings: 1, sent: 1 });
  });

  test("an alert that cannot be sent is logged and counted, not fatal (the next cycle counts again)", async () => {
    deadLetters(1);
    snsMock.on(PublishCommand).rejects(new Error("SNS is down"));

    const summary = await listIps(deps(), env);

    expect(summary).toMatchObject({ deadLetters: 1, alerts: 0, warnings: 1, sent: 1 });
    expect(logged.lines.find((l) => l.event === "deadLettersNotReported")).toMatchObject({ level: "error", fields: { messages: 1 } });
  });
});

describe("extra targets (watcher.extraTargets)", () => {
  const extraTargets = [
    { ip: "185.199.108.1", honeypot: "conpot", label: "plant-a" },
    { ip: "203.0.113.1", honeypot: "external" }, // also a honeynet task's address now: looked up once, as lure's
  ];
  test("queued after the honeynet's, marked external with their label; an address lure holds is not queued twice", async () => {
    fakeEcs({ "lure-test-cowrie": [task("c1", { eni: "eni-1" })], "lure-test-dionaea": [], "lure-test-conpot": [] });
    fakeEc2({ "eni-1": "203.0.113.1" });
    sqsAcceptsAll();
    const summary = await listIps(deps(), { ...env, extraTargets });
    expect(summary).toMatchObject({ ips: 2, extraTargets: 1, sent: 2 });
    expect(sentBodies()).toEqual([
      { ip: "203.0.113.1", honeypot: "cowrie", service: "lure-test-cowrie", task: arn("c1"), cycle: CYCLE, cloud: "aws" },
      { ip: "185.199.108.1", honeypot: "conpot", service: "external", cycle: CYCLE, cloud: "aws", external: true, label: "plant-a" },
    ]);
  });

  test("still queued when every honeynet service fails to list", async () => {
    ecsMock.on(ListTasksCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
    snsMock.on(PublishCommand).resolves({ MessageId: "m-1" });
    sqsAcceptsAll();
    const summary = await listIps(deps(), { ...env, extraTargets: extraTargets.slice(0, 1) });
    expect(summary).toMatchObject({ ips: 1, extraTargets: 1, sent: 1 });
    expect(sentBodies()).toEqual([expect.objectContaining({ ip: "185.199.108.1", external: true })]);
  });
});
