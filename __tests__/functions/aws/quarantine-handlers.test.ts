/**
 * The two Quarantine Lambda handlers end to end: real CloudWatch Logs payloads (gzip + base64 of
 * lure's custom flow-log lines) through the parser, the detector and the engine, onto stateful fakes
 * of DynamoDB (conditions evaluated), the ALB listener and the ECS service. Includes two concurrent
 * invocations racing on one source, interleaved deterministically.
 *
 * The environment is read when a handler module loads: it is set below before the modules are
 * required; the bad-environment tests load a module in a fresh registry.
 */
import { gzipSync } from "node:zlib";
import { DynamoDBClient, DynamoDBServiceException, QueryCommand } from "@aws-sdk/client-dynamodb";
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { CreateRuleCommand, DeleteRuleCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { mockClient } from "aws-sdk-client-mock";
import { albSteering } from "../../../functions/aws/quarantine/alb-steering";
import { dynamoKey, dynamoQuarantineStore, sourceKey } from "../../../functions/aws/quarantine/dynamo-store";
import { quarantineEnv, type QuarantineClients } from "../../../functions/aws/quarantine/env";
import { DEFAULT_DETECTOR, ScanDetector } from "../../../functions/core/detector";
import type { QuarantineRuntimeConfig } from "../../../functions/core/quarantine-types";
import { recordingLog } from "./fakes";
import { fakeListener, fakeService, fakeTable, fakeTargetGroup, strict } from "./quarantine-fakes";

const TABLE = "lure-test-quarantine";
const LISTENER = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/lure-test/0123456789abcdef/fedcba9876543210";
const COPIES_TG = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/lure-test-copies/0011223344556677";
const CONFIG: QuarantineRuntimeConfig = {
  prefix: "lure-test",
  detector: { ...DEFAULT_DETECTOR, allowCidrs: ["192.0.2.0/24"] },
  mode: { quietPeriodMinutes: 30, forgetOnNormal: true, rememberMinutes: 0, defenceAfterSources: 1, defenceWindowMinutes: 10 },
  steering: { firstPriority: 1000, ruleQuota: 10, albRuleLimit: 100, cidrsPerRule: 5 },
  copies: { defenceCount: 2, normalCount: 0 },
};
const VARS: Record<string, string> = {
  LURE_QUARANTINE: JSON.stringify(CONFIG),
  LURE_TABLE: TABLE,
  LURE_LISTENER_ARN: LISTENER,
  LURE_COPY_TARGET_GROUP_ARN: COPIES_TG,
  LURE_COPIES_KIND: "ecs",
  LURE_COPY_CLUSTER: "lure-test",
  LURE_COPY_SERVICE: "lure-test-copies",
};

const saved = { ...process.env };
process.env = { ...saved, ...VARS, AWS_REGION: "eu-west-1" };
const detectorModule = require("../../../functions/aws/quarantine/detector-handler") as typeof import("../../../functions/aws/quarantine/detector-handler");
const modeModule = require("../../../functions/aws/quarantine/mode-handler") as typeof import("../../../functions/aws/quarantine/mode-handler");
process.env = saved;

const ddbMock = mockClient(DynamoDBClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const ecsMock = mockClient(ECSClient);
const asgMock = mockClient(AutoScalingClient);

const T0 = 1_700_000_000;
const SCANNER = "198.51.100.66";
const SECOND = "203.0.113.77";
const HEALTH = "192.0.2.10";
const WEB = "172.31.5.10";
const WEB2 = "172.31.5.11";

/** One line of lure's custom format (AWS_CUSTOM_FORMAT): version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags pkt-srcaddr pkt-dstaddr flow-direction. */
function flowLine(src: string, dst: string, dport: number, start: number, action: "ACCEPT" | "REJECT" = "REJECT", tcpFlags = 2): string {
  return `5 eni-0a1b2c3d4e5f67890 ${src} ${dst} ${40000 + dport} ${dport} 6 1 44 ${start} ${start + 59} ${action} OK ${tcpFlags} ${src} ${dst} ingress`;
}

/** A CloudWatch Logs subscription event as Lambda receives it. */
function cwlEvent(messages: string[], messageType = "DATA_MESSAGE"): { awslogs: { data: string } } {
  const payload = {
    messageType,
    owner: "111122223333",
    logGroup: "/lure-test/flow-logs",
    logStream: "eni-0a1b2c3d4e5f67890-all",
    subscriptionFilters: ["lure-test-quarantine"],
    logEvents: messages.map((message, i) => ({ id: `3757${i}`, timestamp: (T0 - 120) * 1000, message })),
  };
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString("base64") } };
}

const ENV = quarantineEnv(VARS);
const newClients = (): QuarantineClients => ({
  dynamodb: new DynamoDBClient({ region: "eu-west-1" }),
  elbv2: new ElasticLoadBalancingV2Client({ region: "eu-west-1" }),
  ecs: new ECSClient({ region: "eu-west-1" }),
});

let stdout: string[];

beforeEach(() => {
  for (const m of [ddbMock, elbMock, ecsMock, asgMock]) m.reset();
  strict(ddbMock, "DynamoDB");
  strict(elbMock, "ELBv2");
  strict(ecsMock, "ECS");
  strict(asgMock, "AutoScaling");
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

/**
 * Everything a scenario needs: the fakes, one log, the clock. The copies' target group reports the
 * service's tasks: healthy once running (at once, or on `service.settle()` with `slowStart`).
 */
function world(tableOptions: Parameters<typeof fakeTable>[2] = {}, more: { slowStart?: boolean; maxRules?: number } = {}) {
  const table = fakeTable(ddbMock, TABLE, tableOptions);
  const listener = fakeListener(elbMock, LISTENER, more.maxRules === undefined ? {} : { maxRules: more.maxRules });
  const service = fakeService(ecsMock, "lure-test", "lure-test-copies", 0, { slowStart: more.slowStart ?? false });
  const copiesGroup = fakeTargetGroup(elbMock, COPIES_TG, () => service.targetStates());
  const rec = recordingLog();
  const clock = { now: T0 };
  const options = { log: rec.log, now: () => clock.now };
  return { table, listener, service, copiesGroup, rec, clock, options };
}

const byEvent = (lines: { event: string; fields: Readonly<Record<string, unknown>> }[], event: string) => lines.filter((l) => l.event === event).map((l) => l.fields);

describe("environment", () => {
  /** A bad environment must stop the module from loading, so those tests load it in a fresh registry. */
  function loadIsolated(path: string): unknown {
    let mod: unknown;
    jest.isolateModules(() => {
      mod = require(path);
    });
    return mod;
  }

  it("reads the contract the construct sets", () => {
    expect(ENV).toEqual({ config: CONFIG, table: TABLE, listenerArn: LISTENER, copyTargetGroupArn: COPIES_TG, copies: { kind: "ecs", cluster: "lure-test", service: "lure-test-copies" } });
    expect(quarantineEnv({ ...VARS, LURE_COPIES_KIND: "asg", LURE_COPY_CLUSTER: "", LURE_COPY_SERVICE: "", LURE_COPY_ASG: "lure-test-copies" }).copies).toEqual({ kind: "asg", group: "lure-test-copies" });
  });

  it.each(["detector-handler", "mode-handler"])("%s refuses to start, naming every bad variable and field", (name) => {
    const bad = {
      ...CONFIG,
      detector: { ...CONFIG.detector, trw: { ...CONFIG.detector.trw, alpha: 1.5 }, allowCidrs: ["192.0.2.0/24", "not-a-cidr"] },
      steering: { firstPriority: 49_990, ruleQuota: 20, albRuleLimit: 1001, cidrsPerRule: 6 },
      copies: { defenceCount: 2 },
    };
    process.env = { ...saved, ...VARS, LURE_QUARANTINE: JSON.stringify(bad), LURE_TABLE: "", LURE_LISTENER_ARN: COPIES_TG, AWS_REGION: "eu-west-1" };
    delete process.env.LURE_COPY_SERVICE;
    let message = "";
    try {
      loadIsolated(`../../../functions/aws/quarantine/${name}`);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split("; ")).toEqual([
      'quarantine: invalid environment: LURE_QUARANTINE.detector.trw.alpha is 1.5 (expected a number between 0 and 1, both excluded)',
      'LURE_QUARANTINE.detector.allowCidrs[1] is "not-a-cidr" (expected a CIDR such as 198.51.100.0/24 or 2001:db8::/32)',
      "LURE_QUARANTINE.steering.albRuleLimit is 1001 (expected an integer from 1 to 1000)",
      "LURE_QUARANTINE.steering.cidrsPerRule is 6 (expected an integer from 1 to 5)",
      "LURE_QUARANTINE.copies.normalCount is missing (expected an integer from 0 to 1000)",
      "LURE_QUARANTINE: steering.firstPriority + steering.ruleQuota - 1 is 50009 (the ALB allows priorities up to 50000)",
      "LURE_TABLE is empty (expected the DynamoDB table name)",
      `LURE_LISTENER_ARN is "${COPIES_TG}" (expected an ALB listener ARN (…:listener/app/…))`,
      "LURE_COPY_SERVICE is not set (expected the ECS service of the honeypot copies)",
    ]);
  });

  it.each([
    [0, "0"],
    [1001, "1001"],
    [99.5, "99.5"],
    ["100", '"100"'],
    [null, "null"],
    [undefined, "missing"],
  ])("refuses steering.albRuleLimit %p", (albRuleLimit, shown) => {
    const steering = albRuleLimit === undefined ? { firstPriority: 1000, ruleQuota: 10, cidrsPerRule: 5 } : { ...CONFIG.steering, albRuleLimit };
    expect(() => quarantineEnv({ ...VARS, LURE_QUARANTINE: JSON.stringify({ ...CONFIG, steering }) })).toThrow(
      new Error(`quarantine: invalid environment: LURE_QUARANTINE.steering.albRuleLimit is ${shown} (expected an integer from 1 to 1000)`),
    );
  });

  it.each([1, 1000])("takes steering.albRuleLimit %p as it is", (albRuleLimit) => {
    expect(quarantineEnv({ ...VARS, LURE_QUARANTINE: JSON.stringify({ ...CONFIG, steering: { ...CONFIG.steering, albRuleLimit } }) }).config.steering).toEqual({ ...CONFIG.steering, albRuleLimit });
  });

  it("names a missing or unreadable LURE_QUARANTINE and a wrong copies kind", () => {
    expect(() => quarantineEnv({ ...VARS, LURE_QUARANTINE: undefined, LURE_COPIES_KIND: "lambda" })).toThrow(
      'quarantine: invalid environment: LURE_QUARANTINE is not set (expected the Quarantine settings as JSON); LURE_COPIES_KIND is "lambda" (expected "ecs" or "asg")',
    );
    expect(() => quarantineEnv({ ...VARS, LURE_QUARANTINE: "{prefix:" })).toThrow("quarantine: invalid environment: LURE_QUARANTINE is not JSON (expected the Quarantine settings as JSON)");
    expect(() => quarantineEnv({ ...VARS, LURE_COPIES_KIND: "asg" })).toThrow("quarantine: invalid environment: LURE_COPY_ASG is not set (expected the Auto Scaling group of the honeypot copies)");
    expect(() => quarantineEnv({ ...VARS, LURE_QUARANTINE: JSON.stringify({ ...CONFIG, detector: { ...CONFIG.detector, trw: { theta0: 0.2, theta1: 0.8, alpha: 0.01, beta: 0.99 } } }) })).toThrow(
      "quarantine: invalid environment: LURE_QUARANTINE: detector.trw.theta1 (0.8) must be below detector.trw.theta0 (0.2)",
    );
  });
});

describe("detector handler", () => {
  /** A client as the SDK resolves its configuration. */
  interface ResolvedClient {
    readonly config: { readonly maxAttempts: () => Promise<number>; readonly requestHandler: unknown };
  }

  it("as deployed: bounded clients; a scanner's batch quarantines it, enters Defence Mode and steers it; one JSON line", async () => {
    const { table, listener, service, copiesGroup } = world();
    const { clients, handler } = detectorModule;
    for (const [name, client] of Object.entries(clients) as [string, ResolvedClient][]) {
      expect([name, await client.config.maxAttempts()]).toEqual([name, 3]);
      const h = client.config.requestHandler as { constructor: { name: string }; configProvider: Promise<Record<string, unknown>> };
      expect([name, await h.configProvider]).toEqual([name, expect.objectContaining({ connectionTimeout: 3000, requestTimeout: 5000, throwOnRequestTimeout: true, socketTimeout: 5000 })]);
    }
    expect(Object.keys(clients).sort()).toEqual(["dynamodb", "ecs", "elbv2"]);

    const now = Math.floor(Date.now() / 1000);
    const lines = [22, 23, 25, 80, 443].map((port, i) => flowLine(SCANNER, WEB, port, now - 400 + i));
    const summary = await handler(cwlEvent([...lines, flowLine(HEALTH, WEB, 8080, now - 390)]), { awsRequestId: "req-live" });

    expect(summary).toMatchObject({ requestId: "req-live", processed: true, records: 6, allowListed: 1, enteredDefence: true, conflicts: 0 });
    expect(summary.detections).toEqual([{ src: SCANNER, reason: "trw", probes: 4, time: now - 397 }]);
    expect(summary.rules).toEqual({ skipped: false, changes: [{ kind: "create", priority: 1000, cidrs: [`${SCANNER}/32`] }], steered: 1, evicted: [], capacity: 10, waiting: [], ruleQuotaReached: false });
    expect(listener.steered(COPIES_TG)).toEqual([`${SCANNER}/32`]);
    // The rule was created only once the copies were raised and reported healthy.
    expect(copiesGroup.ops).toEqual(["health healthy,healthy"]);
    expect(elbMock.commandCalls(DescribeTargetHealthCommand)[0].calledAfter(ecsMock.commandCalls(UpdateServiceCommand)[0])).toBe(true);
    expect(elbMock.commandCalls(DescribeTargetHealthCommand)[0].calledBefore(elbMock.commandCalls(CreateRuleCommand)[0])).toBe(true);
    expect([...listener.rules.values()][0].tags).toEqual({ "lure:prefix": "lure-test" });
    expect(Object.keys(table.plain("quarantine/"))).toEqual([`quarantine/${SCANNER}`]);
    expect(table.plain()["mode/mode"]).toMatchObject({ mode: "defence", version: 1 });
    expect(service.updates).toEqual([2]);

    const logged = stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(stdout.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n"))).toBe(true);
    const batch = logged.filter((l) => l.event === "quarantine-batch");
    expect(batch).toHaveLength(1);
    expect(batch[0]).toMatchObject({ level: "info", requestId: "req-live", detections: [{ src: SCANNER, reason: "trw", probes: 4 }], conflicts: 0 });
    expect(batch[0].parse).toEqual({ lines: 6, records: 6, malformed: 0, noData: 0, skipData: 0, ignored: 0, controlMessages: 0 });
    // The engine's own lines carry the request id too.
    expect(logged.filter((l) => l.event === "quarantine").map((l) => [l.requestId, l.src])).toEqual([["req-live", SCANNER]]);
  });

  it("returns at once on a control message: no DynamoDB, ELB or ECS call", async () => {
    const { rec, options } = world();
    const handler = detectorModule.createDetectorHandler(ENV, newClients(), options);
    const summary = await handler(cwlEvent(["CWL CONTROL MESSAGE: Checking health of destination Lambda."], "CONTROL_MESSAGE"), { awsRequestId: "req-ctl" });

    expect(summary).toMatchObject({ processed: false, records: 0, detections: [], conflicts: 0 });
    expect(summary.parse).toEqual({ lines: 0, records: 0, malformed: 0, noData: 0, skipData: 0, ignored: 0, controlMessages: 1 });
    expect(ddbMock.calls()).toHaveLength(0);
    expect(elbMock.calls()).toHaveLength(0);
    expect(ecsMock.calls()).toHaveLength(0);
    expect(rec.events()).toEqual(["quarantine-batch"]);
    expect(rec.lines[0].level).toBe("info");
  });

  it("counts malformed, NODATA and SKIPDATA lines, warns about them and still processes the good records", async () => {
    const { rec, options, table } = world();
    const handler = detectorModule.createDetectorHandler(ENV, newClients(), options);
    const summary = await handler(
      cwlEvent([
        "5 eni-0a1b2c3d4e5f67890 - - - - - - - 1699999000 1699999059 - NODATA - - - -",
        "5 eni-0a1b2c3d4e5f67890 - - - - - - - 1699999000 1699999059 - SKIPDATA - - - -",
        "5 eni-0a1b2c3d4e5f67890 198.51.100.1 172.31.5.10 40022 notaport 6 1 44 1699999000 1699999059 REJECT OK 2 198.51.100.1 172.31.5.10 ingress",
        "garbage",
        flowLine(SCANNER, WEB, 22, T0 - 300),
      ]),
      { awsRequestId: "req-bad" },
    );

    expect(summary.parse).toEqual({ lines: 5, records: 1, malformed: 2, noData: 1, skipData: 1, ignored: 0, controlMessages: 0 });
    expect(summary).toMatchObject({ processed: true, records: 1, evaluatedSources: 1, detections: [] });
    expect(Object.keys(table.plain())).toEqual([`src#${SCANNER}/state`]);
    expect(byEvent(rec.lines, "quarantine-batch")).toHaveLength(1);
    expect(rec.lines.find((l) => l.event === "quarantine-batch")!.level).toBe("warn");
  });

  it("logs an engine error with its name, then rethrows it for Lambda to retry", async () => {
    const { rec, options } = world();
    const err = new DynamoDBServiceException({ name: "InternalServerError", $fault: "server", message: "Internal server error", $metadata: {} });
    ddbMock.on(QueryCommand).rejects(err);
    const handler = detectorModule.createDetectorHandler(ENV, newClients(), options);

    await expect(handler(cwlEvent([flowLine(SCANNER, WEB, 22, T0 - 300)]), { awsRequestId: "req-err" })).rejects.toBe(err);
    expect(rec.lines.map((l) => [l.level, l.event])).toEqual([["error", "quarantine-batch-failed"]]);
    expect(rec.lines[0].fields).toMatchObject({ requestId: "req-err", records: 1, error: "InternalServerError", message: "Internal server error" });
  });

  it("on a table full of source states, reads the batch's own states and the quarantines, never the other states", async () => {
    const { table, listener, options } = world();
    // 3000 sources another batch left behind, and one quarantine already steered.
    for (let i = 0; i < 3000; i++) {
      table.seed({ ...dynamoKey(sourceKey(`10.${i >> 8}.${i & 255}.7`)), state: { S: JSON.stringify({ lastSeen: T0 - 600 }) }, version: { N: "1" }, expiresAt: { N: String(T0 + 1200) } });
    }
    const store = dynamoQuarantineStore(new DynamoDBClient({ region: "eu-west-1" }), TABLE, { now: () => T0 });
    await store.upsertQuarantine({ src: SECOND, detectedAt: T0 - 700, lastSeen: T0 - 600, reason: "trw", probes: 4 }, T0 + 3000);
    table.ops.length = 0;
    const readBefore = table.itemsRead();

    const handler = detectorModule.createDetectorHandler(ENV, newClients(), options);
    const summary = await handler(cwlEvent([22, 23, 25, 80].map((p, i) => flowLine(SCANNER, WEB, p, T0 - 300 + i))), { awsRequestId: "req-big" });

    expect(summary.detections.map((d) => d.src)).toEqual([SCANNER]);
    expect([...listener.steered(COPIES_TG)].sort()).toEqual([`${SCANNER}/32`, `${SECOND}/32`]);
    // Every list is one strongly consistent Query of the quarantine partition (one item, then two).
    const queries = ddbMock.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries.length).toBeGreaterThanOrEqual(1);
    for (const input of queries) expect(input).toMatchObject({ KeyConditionExpression: "#pk = :q", ExpressionAttributeValues: { ":q": { S: "quarantine" } }, ConsistentRead: true });
    // The only reads: those queries, the scanner's own state and proofs and the mode item. The 3000
    // other states cost nothing: a handful of items read in all (a Scan would have read 3001 per list).
    const reads = table.ops.filter((o) => /^(get|batchGet|query) /.test(o));
    expect(reads.filter((o) => !/^(query quarantine: [12] read|batchGet src#198\.51\.100\.66\/(state|proof)|get mode\/mode)$/.test(o))).toEqual([]);
    expect(table.itemsRead() - readBefore).toBeLessThanOrEqual(10);
  });

  it("two concurrent invocations racing on one source: one conflict retried, one quarantine, one rule holding it once, the other scanner kept", async () => {
    // Both invocations must have read the scanner's state (version 1) before either writes it.
    let arrived = 0;
    let releaseReads!: () => void;
    const bothRead = new Promise<void>((resolve) => (releaseReads = resolve));
    const w = world({
      beforeRead: (op) => {
        if (op !== "BatchGetItem" || arrived >= 2) return;
        arrived++;
        if (arrived === 2) releaseReads();
        return bothRead;
      },
    });
    // A previous batch left one failure of the scanner in the store (version 1).
    const earlier = new ScanDetector(CONFIG.detector);
    earlier.observe({ time: T0 - 900, src: SCANNER, dst: WEB, dport: 21, proto: 6, outcome: "FAIL" });
    const store = dynamoQuarantineStore(new DynamoDBClient({ region: "eu-west-1" }), TABLE, { now: () => w.clock.now });
    await store.putSource(SCANNER, earlier.save(SCANNER)!, undefined, T0 + 900);
    w.table.ops.length = 0;

    // Two Lambda instances, each with its own warm detector; overlapping records of the scanner.
    const a = detectorModule.createDetectorHandler(ENV, newClients(), w.options);
    const b = detectorModule.createDetectorHandler(ENV, newClients(), w.options);
    const batchA = cwlEvent([22, 23, 25, 80].map((p, i) => flowLine(SCANNER, WEB, p, T0 - 300 + i)));
    const batchB = cwlEvent([
      ...[80, 110, 143, 443].map((p, i) => flowLine(SCANNER, WEB, p, T0 - 297 + i)),
      ...[22, 23, 25, 80, 110].map((p, i) => flowLine(SECOND, WEB2, p, T0 - 280 + i)),
    ]);
    const [ra, rb] = await Promise.all([a(batchA, { awsRequestId: "req-a" }), b(batchB, { awsRequestId: "req-b" })]);

    // The interleaving really happened: both reads, then the writes; one write of the scanner's state lost.
    const firstWrite = w.table.ops.findIndex((o) => o.startsWith("put src#") || o.startsWith("update "));
    expect(w.table.ops.filter((o, i) => o.startsWith("batchGet") && o.endsWith("/state") && i < firstWrite)).toHaveLength(2);
    expect(w.table.conflicts().filter((o) => o.startsWith("put src#"))).toEqual([`put src#${SCANNER}/state: ConditionalCheckFailed`]);
    expect(ra.conflicts + rb.conflicts).toBeGreaterThanOrEqual(1);
    expect(w.rec.lines.filter((l) => l.event === "source-conflict").map((l) => l.fields.src)).toEqual([SCANNER]);
    // Both writers' records are in the scanner's state: v1 → v2 (the winner) → v3 (the retry on top of it).
    expect(w.table.plain()[`src#${SCANNER}/state`]).toMatchObject({ version: 3 });

    // Exactly one quarantine per scanner; the second scanner, seen by one invocation only, is kept.
    expect(Object.keys(w.table.plain("quarantine/")).sort()).toEqual([`quarantine/${SCANNER}`, `quarantine/${SECOND}`]);
    expect([...ra.detections, ...rb.detections].map((d) => d.src).sort()).toEqual(expect.arrayContaining([SCANNER, SECOND]));
    expect(w.table.plain()["mode/mode"]).toMatchObject({ mode: "defence" });
    expect(w.service.updates).toEqual([2]);

    // One rule, created once, holding each scanner's /32 exactly once: the invocation holding the
    // lease re-planned until the other's quarantine was in; the other skipped instead of racing it.
    const steered = w.listener.steered(COPIES_TG);
    expect([...steered].sort()).toEqual([`${SCANNER}/32`, `${SECOND}/32`]);
    expect(w.listener.rules.size).toBe(1);
    expect(w.listener.ops.filter((o) => o.startsWith("create"))).toHaveLength(1);
    expect([ra.rules?.skipped, rb.rules?.skipped].sort()).toEqual([false, true]);
    expect(w.table.items.has("lease/lease")).toBe(false);

    // The next tick finds nothing to change.
    const tick = modeModule.createModeHandler(ENV, newClients(), w.options);
    const t = await tick({}, { awsRequestId: "req-tick" });
    expect(t).toMatchObject({ mode: "defence", changed: false, copies: 2, rules: { changes: [], steered: 2 } });
    expect(w.listener.steered(COPIES_TG)).toEqual(steered);
  });
});

/** Four refused connections of `src` to the web server from `start` on: the detector flags it (TRW). */
const scanLines = (src: string, start: number): string[] => [22, 23, 25, 80].map((p, i) => flowLine(src, WEB, p, start + i));

/** Defence Mode since T0 - 600 with SCANNER quarantined (last received then), steered at 1000, copies up. */
async function defenceWithScanner(w: ReturnType<typeof world>) {
  const store = dynamoQuarantineStore(new DynamoDBClient({ region: "eu-west-1" }), TABLE, { now: () => w.clock.now });
  const steering = albSteering(new ElasticLoadBalancingV2Client({ region: "eu-west-1" }), { listenerArn: LISTENER, targetGroupArn: COPIES_TG, prefix: "lure-test", steering: CONFIG.steering });
  await store.putMode({ mode: "defence", since: T0 - 600, recentFlags: [] }, undefined);
  await store.upsertQuarantine({ src: SCANNER, detectedAt: T0 - 700, lastSeen: T0 - 600, reason: "trw", probes: 4 }, T0 + 3000);
  await store.putSource(SCANNER, { lastSeen: T0 - 600 }, undefined, T0 + 1200);
  await steering.apply({ kind: "create", priority: 1000, cidrs: [`${SCANNER}/32`] });
  w.service.desiredCount = 2;
  w.service.settle();
  return store;
}

describe("steering with the copies and the listener as they are", () => {
  it("at the start of Defence Mode, adds no rule while the copies are starting (no 503), and steers on the first tick after they are healthy", async () => {
    const w = world({}, { slowStart: true });
    const detector = detectorModule.createDetectorHandler(ENV, newClients(), w.options);
    const tick = modeModule.createModeHandler(ENV, newClients(), w.options);

    const batch = await detector(cwlEvent(scanLines(SCANNER, T0 - 300)), { awsRequestId: "req-1" });
    expect(batch).toMatchObject({ enteredDefence: true, rules: { changes: [], steered: 0, evicted: [], waiting: [SCANNER], ruleQuotaReached: false } });
    expect(w.service.updates).toEqual([2]);
    expect(w.listener.rules.size).toBe(0);
    expect(w.copiesGroup.ops).toEqual(["health initial,initial"]);
    expect(byEvent(w.rec.lines, "copies-not-ready")).toEqual([expect.objectContaining({ requestId: "req-1", waiting: [SCANNER] })]);
    // Expected at every Defence start: not a warning.
    expect(w.rec.lines.filter((l) => l.level !== "info")).toEqual([]);

    w.clock.now = T0 + 60; // still starting
    expect(await tick({}, { awsRequestId: "req-t1" })).toMatchObject({ mode: "defence", changed: false, copies: 2, rules: { changes: [], steered: 0, waiting: [SCANNER] } });
    expect(w.listener.rules.size).toBe(0);

    w.service.settle();
    w.clock.now = T0 + 120;
    expect(await tick({}, { awsRequestId: "req-t2" })).toMatchObject({ mode: "defence", copies: 2, rules: { changes: [{ kind: "create", priority: 1000, cidrs: [`${SCANNER}/32`] }], steered: 1, waiting: [] } });
    expect(w.listener.steered(COPIES_TG)).toEqual([`${SCANNER}/32`]);
    expect(w.copiesGroup.ops).toEqual(["health initial,initial", "health initial,initial", "health healthy,healthy"]);
    expect(w.service.updates).toEqual([2]);
  });

  it("never modifies or deletes a user's rule inside lure's band, and steers around it", async () => {
    const w = world();
    const userRules = [
      w.listener.seed(1000, ["10.0.0.0/8"], "arn:user-tg"),
      w.listener.seedRule(1001, { cidrs: ["192.0.2.0/24"], actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "403", ContentType: "text/plain", MessageBody: "no" } }] }),
      // Forwards to the copies but also matches a path: ModifyRule would drop the path condition.
      w.listener.seedRule(1003, { cidrs: ["203.0.113.0/24"], conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/admin/*"] } }], actions: [{ Type: "forward", TargetGroupArn: COPIES_TG }] }),
    ];
    const before = structuredClone(userRules.map((arn) => w.listener.rules.get(arn)));
    const detector = detectorModule.createDetectorHandler(ENV, newClients(), w.options);

    const batch = await detector(cwlEvent([...scanLines(SCANNER, T0 - 300), ...scanLines(SECOND, T0 - 290)]), { awsRequestId: "req-1" });
    // The band's 10 priorities less the user's 3.
    expect(batch.rules).toEqual({ skipped: false, changes: [{ kind: "create", priority: 1002, cidrs: [`${SCANNER}/32`, `${SECOND}/32`] }], steered: 2, evicted: [], capacity: 7, waiting: [], ruleQuotaReached: false });
    const luresRule = [...w.listener.rules.keys()].find((arn) => !userRules.includes(arn));

    w.clock.now = T0 + 30 * 60; // both go quiet: Normal Mode, lure's rule goes
    const t = await modeModule.createModeHandler(ENV, newClients(), w.options)({}, { awsRequestId: "req-tick" });
    expect(t).toMatchObject({ mode: "normal", changed: true, copies: 0, rules: { changes: [{ kind: "delete", priority: 1002 }], steered: 0 } });

    expect([...w.listener.rules.keys()]).toEqual(userRules);
    expect(userRules.map((arn) => w.listener.rules.get(arn))).toEqual(before);
    expect(elbMock.commandCalls(ModifyRuleCommand)).toHaveLength(0);
    expect(elbMock.commandCalls(DeleteRuleCommand).map((c) => c.args[0].input.RuleArn)).toEqual([luresRule]);
  });

  it("with the ALB's real rule limit, counts the anchor and the user's rules: the surplus is evicted, no create is refused", async () => {
    // The load balancer takes 3 rules; 2 are not lure's: one rule of 5 CIDRs is left for 6 scanners.
    const env = { ...ENV, config: { ...CONFIG, steering: { ...CONFIG.steering, albRuleLimit: 3 } } };
    const w = world({}, { maxRules: 3 });
    w.listener.seed(5, ["10.0.0.0/8"], "arn:user-tg");
    w.listener.seed(1010, ["255.255.255.255/32"], COPIES_TG); // the copies' anchor rule, just past the band
    const scanners = [1, 2, 3, 4, 5, 6].map((i) => `198.51.100.${i}`);
    const detector = detectorModule.createDetectorHandler(env, newClients(), w.options);

    const batch = await detector(cwlEvent(scanners.flatMap((src, i) => scanLines(src, T0 - 300 + 10 * i))), { awsRequestId: "req-1" });

    expect(batch.detections.map((d) => d.src).sort()).toEqual(scanners);
    expect(batch.rules).toMatchObject({ skipped: false, steered: 5, capacity: 1, waiting: [], ruleQuotaReached: false });
    expect(batch.rules!.evicted).toHaveLength(1);
    expect([...w.listener.steered(COPIES_TG).filter((c) => c !== "255.255.255.255/32"), `${batch.rules!.evicted[0]}/32`].sort()).toEqual(scanners.map((s) => `${s}/32`).sort());
    expect(w.listener.rules.size).toBe(3);
    expect(w.listener.ops.filter((o) => o.includes("TooManyRules"))).toEqual([]);
    expect(w.rec.lines.find((l) => l.event === "quarantine-batch")!.level).toBe("warn");
  });

  it("when the ALB takes fewer rules than albRuleLimit says, the batch still succeeds: it warns, evicts and keeps what it has", async () => {
    const w = world({}, { maxRules: 2 });
    w.listener.seed(5, ["10.0.0.0/8"], "arn:user-tg");
    w.listener.seed(7, ["10.1.0.0/16"], "arn:user-tg");
    const detector = detectorModule.createDetectorHandler(ENV, newClients(), w.options);

    const batch = await detector(cwlEvent(scanLines(SCANNER, T0 - 300)), { awsRequestId: "req-1" });

    expect(batch).toMatchObject({ processed: true, enteredDefence: true, rules: { skipped: false, changes: [], steered: 0, evicted: [SCANNER], ruleQuotaReached: true } });
    expect(w.listener.ops.filter((o) => o.startsWith("create"))).toEqual(["create 1000: TooManyRules"]);
    expect(w.listener.rules.size).toBe(2);
    expect(Object.keys(w.table.plain("quarantine/"))).toEqual([`quarantine/${SCANNER}`]);
    expect(w.table.items.has("lease/lease")).toBe(false);
    const quota = w.rec.lines.filter((l) => l.event === "rule-quota-reached");
    expect(quota).toHaveLength(1);
    expect(quota[0]).toMatchObject({ level: "warn", fields: { requestId: "req-1" } });
    expect(String(quota[0].fields.message)).toContain("quarantine.albRuleLimit (now 100)");
    expect(w.rec.lines.find((l) => l.event === "quarantine-batch")).toMatchObject({ level: "warn", fields: { rules: { ruleQuotaReached: true } } });
    expect(w.rec.lines.filter((l) => l.level === "error")).toEqual([]);
  });
});

describe("races between a batch and the tick", () => {
  it("a batch that refreshes a source while the tick forgets it: the quarantine and its detector state are kept", async () => {
    let tickDeleting = false;
    let batch: Awaited<ReturnType<ReturnType<typeof detectorModule.createDetectorHandler>>> | undefined;
    const w: ReturnType<typeof world> = world({
      beforeWrite: async (op, id) => {
        if (!tickDeleting || batch || op !== "DeleteItem" || id !== `quarantine/${SCANNER}`) return;
        // The tick has read the quarantine as quiet; the scanner's records arrive now.
        batch = await detectorModule.createDetectorHandler(ENV, newClients(), w.options)(cwlEvent([flowLine(SCANNER, WEB, 8443, w.clock.now - 400)]), { awsRequestId: "req-batch" });
      },
    });
    await defenceWithScanner(w);
    w.clock.now = T0 - 600 + 30 * 60;
    tickDeleting = true;

    const t = await modeModule.createModeHandler(ENV, newClients(), w.options)({}, { awsRequestId: "req-tick" });

    expect(batch).toMatchObject({ processed: true, refreshed: 1 });
    expect(t).toMatchObject({ mode: "normal", forgotten: [], expired: [], kept: [SCANNER] });
    // Refreshed at the batch's receipt time, not the record's (400 s older).
    expect(w.table.plain("quarantine/")[`quarantine/${SCANNER}`]).toMatchObject({ lastSeen: w.clock.now });
    expect(w.table.items.has(`src#${SCANNER}/state`)).toBe(true);
    expect(w.table.conflicts()).toContain(`delete quarantine/${SCANNER}: ConditionalCheckFailed`);
    expect(byEvent(w.rec.lines, "quarantine-kept")).toEqual([expect.objectContaining({ requestId: "req-tick", kept: [SCANNER] })]);
  });

  it("a batch that brings Defence Mode back while the tick ends it: its rule is created and the copies are not lowered", async () => {
    let armed = false;
    let batch: Awaited<ReturnType<ReturnType<typeof detectorModule.createDetectorHandler>>> | undefined;
    const w: ReturnType<typeof world> = world({
      beforeRead: async (op, ids) => {
        // The tick's read of the mode after its reconciliation released the lease, before it lowers the copies.
        if (!armed || batch || op !== "GetItem" || ids[0] !== "mode/mode" || !w.table.ops.includes("delete lease/lease")) return;
        batch = await detectorModule.createDetectorHandler(ENV, newClients(), w.options)(cwlEvent(scanLines(SECOND, w.clock.now - 300)), { awsRequestId: "req-batch" });
      },
    });
    await defenceWithScanner(w);
    w.clock.now = T0 - 600 + 30 * 60;
    w.table.ops.length = 0;
    armed = true;

    const t = await modeModule.createModeHandler(ENV, newClients(), w.options)({}, { awsRequestId: "req-tick" });

    expect(batch).toMatchObject({ enteredDefence: true, rules: { changes: [{ kind: "create", priority: 1000, cidrs: [`${SECOND}/32`] }], steered: 1 } });
    expect(t).toMatchObject({ mode: "normal", changed: true, forgotten: [SCANNER], copies: 2, rules: { changes: [{ kind: "delete", priority: 1000 }] } });
    expect(w.table.plain()["mode/mode"]).toMatchObject({ mode: "defence" });
    expect(w.listener.steered(COPIES_TG)).toEqual([`${SECOND}/32`]);
    // Never lowered: the steered source keeps its healthy copies.
    expect(w.service.updates).not.toContain(0);
    expect(w.service.desiredCount).toBe(2);
    expect(w.service.targetStates()).toEqual(["healthy", "healthy"]);
  });
});

describe("mode handler", () => {
  it("after the quiet period: Normal Mode, the rules deleted first, then the copies back to the Normal count; the user's rule untouched", async () => {
    const w = world();
    const store = dynamoQuarantineStore(new DynamoDBClient({ region: "eu-west-1" }), TABLE, { now: () => w.clock.now });
    const steering = albSteering(new ElasticLoadBalancingV2Client({ region: "eu-west-1" }), { listenerArn: LISTENER, targetGroupArn: COPIES_TG, prefix: "lure-test", steering: CONFIG.steering });
    const userRule = w.listener.seed(1, ["10.0.0.0/8"], "arn:user-tg");
    await store.putMode({ mode: "defence", since: T0 - 600, recentFlags: [] }, undefined);
    await store.upsertQuarantine({ src: SCANNER, detectedAt: T0 - 700, lastSeen: T0 - 600, reason: "trw", probes: 4 }, T0 + 3000);
    await store.putSource(SCANNER, { lastSeen: T0 - 600 }, undefined, T0 + 1200);
    await steering.apply({ kind: "create", priority: 1000, cidrs: [`${SCANNER}/32`] });
    w.service.desiredCount = 2;
    w.clock.now = T0 - 600 + 30 * 60; // the quarantine goes quiet at lastSeen + quietPeriod

    const handler = modeModule.createModeHandler(ENV, newClients(), w.options);
    const summary = await handler({}, { awsRequestId: "req-tick" });

    expect(summary).toMatchObject({ requestId: "req-tick", mode: "normal", changed: true, forgotten: [SCANNER], expired: [], copies: 0 });
    expect(summary.rules).toMatchObject({ skipped: false, changes: [{ kind: "delete", priority: 1000 }], steered: 0 });
    expect([...w.listener.rules.keys()]).toEqual([userRule]);
    expect(w.service.updates).toEqual([0]);
    const deleteRule = elbMock.commandCalls(DeleteRuleCommand)[0];
    const update = ecsMock.commandCalls(UpdateServiceCommand)[0];
    expect(deleteRule.calledBefore(update)).toBe(true);
    expect(ecsMock.commandCalls(DescribeServicesCommand)).toHaveLength(1);
    expect(w.table.plain()["mode/mode"]).toMatchObject({ mode: "normal", since: w.clock.now, version: 2 });
    expect(Object.keys(w.table.plain()).sort()).toEqual(["mode/mode"]);
    expect(w.rec.lines.find((l) => l.event === "quarantine-tick")).toMatchObject({ level: "info", fields: { mode: "normal", changed: true, forgotten: [SCANNER], copies: 0 } });
  });

  it("as deployed: bounded clients; a quiet Normal Mode changes nothing", async () => {
    const w = world();
    w.listener.seed(1, ["10.0.0.0/8"], "arn:user-tg");
    const { clients, handler } = modeModule;
    expect(Object.keys(clients).sort()).toEqual(["dynamodb", "ecs", "elbv2"]);
    for (const client of Object.values(clients) as { config: { maxAttempts: () => Promise<number> } }[]) expect(await client.config.maxAttempts()).toBe(3);

    const summary = await handler({}, { awsRequestId: "req-quiet" });
    expect(summary).toMatchObject({ mode: "normal", changed: false, forgotten: [], copies: 0, rules: { skipped: false, changes: [], steered: 0 } });
    expect(w.service.updates).toEqual([]);
    expect(w.listener.rules.size).toBe(1);
    expect(Object.keys(w.table.plain())).toEqual([]); // the lease was released; the mode was not rewritten
    expect(JSON.parse(stdout.find((l) => l.includes('"quarantine-tick"'))!)).toMatchObject({ level: "info", event: "quarantine-tick", requestId: "req-quiet" });
  });

  it("logs and rethrows an error", async () => {
    const { rec, options } = world();
    const err = new Error("socket hang up");
    ddbMock.on(QueryCommand).rejects(err);
    const handler = modeModule.createModeHandler(ENV, newClients(), options);
    await expect(handler({}, { awsRequestId: "req-e" })).rejects.toBe(err);
    expect(rec.lines.map((l) => [l.level, l.event, l.fields.message])).toEqual([["error", "quarantine-tick-failed", "socket hang up"]]);
  });
});
