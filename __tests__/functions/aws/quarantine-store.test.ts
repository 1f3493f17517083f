/**
 * The DynamoDB store: the exact requests (keys, conditions, placeholders), and their semantics on a
 * table fake that evaluates those conditions: versioned writes, quarantines that never lose a
 * concurrent writer's data, lazy TTL hidden from the reader, the reconciliation lease.
 */
import { BatchGetItemCommand, DeleteItemCommand, DescribeTableCommand, DynamoDBClient, DynamoDBServiceException, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { LEASE_KEY, MODE_KEY, PROOF_WRITE_CONCURRENCY, dynamoKey, dynamoQuarantineStore, proofKey, quarantineKey, sourceKey } from "../../../functions/aws/quarantine/dynamo-store";
import { ConflictError, type Quarantine, type SourceState } from "../../../functions/core/quarantine-types";
import { fakeTable, strict } from "./quarantine-fakes";

const TABLE = "lure-test-quarantine";
const T0 = 1_700_000_000;
const ddbMock = mockClient(DynamoDBClient);

let clock: number;
let sleeps: number[];
const client = new DynamoDBClient({ region: "eu-west-1" });
const store = (batchAttempts?: number) =>
  dynamoQuarantineStore(client, TABLE, {
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...(batchAttempts ? { batchAttempts } : {}),
  });

beforeEach(() => {
  ddbMock.reset();
  strict(ddbMock, "DynamoDB");
  clock = T0;
  sleeps = [];
});

const inputOf = <T>(calls: { args: [{ input: T }] }[], i = 0): T => calls[i].args[0].input;
const state = (lastSeen: number, extra: Record<string, unknown> = {}): SourceState => ({ lastSeen, ...extra });
const q = (src: string, detectedAt: number, lastSeen: number, reason: Quarantine["reason"] = "trw", probes = 4): Quarantine => ({ src, detectedAt, lastSeen, reason, probes });

describe("strict fake", () => {
  it("rejects a command no fake implements, Scan included, and a key that is not (pk, sk)", async () => {
    fakeTable(ddbMock, TABLE);
    await expect(client.send(new GetItemCommand({ TableName: "other", Key: { pk: { S: "x" }, sk: { S: "x" } }, ConsistentRead: true }))).rejects.toThrow("unexpected table other");
    await expect(client.send(new DescribeTableCommand({ TableName: TABLE }))).rejects.toThrow("DynamoDB fake: unexpected command");
    await expect(client.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }))).rejects.toThrow("DynamoDB fake: unexpected command");
    await expect(client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "mode" } }, ConsistentRead: true }))).rejects.toThrow("does not match the schema");
    await expect(client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "mode" }, mode: { S: "normal" } } }))).rejects.toThrow("does not match the schema");
  });

  const query = { TableName: TABLE, ConsistentRead: true, KeyConditionExpression: "#pk = :q", ExpressionAttributeNames: { "#pk": "pk" }, ExpressionAttributeValues: { ":q": { S: "quarantine" } } };

  it("answers only the strongly consistent Query the store sends", async () => {
    fakeTable(ddbMock, TABLE);
    await expect(client.send(new QueryCommand(query))).resolves.toMatchObject({ Items: [] });
    await expect(client.send(new QueryCommand({ ...query, ConsistentRead: undefined }))).rejects.toThrow("Query must be strongly consistent");
    await expect(client.send(new QueryCommand({ ...query, KeyConditionExpression: "#pk = :q AND begins_with(sk, :q)" }))).rejects.toThrow("unexpected KeyConditionExpression");
    await expect(client.send(new QueryCommand({ ...query, FilterExpression: "#pk <> :q" }))).rejects.toThrow("unexpected FilterExpression");
    await expect(client.send(new QueryCommand({ ...query, IndexName: "by-src" }))).rejects.toThrow("unexpected Query parameters IndexName");
    await expect(client.send(new QueryCommand({ ...query, Limit: 10 }))).rejects.toThrow("unexpected Query parameters Limit");
    await expect(client.send(new QueryCommand({ ...query, ExpressionAttributeValues: { ":q": { S: "quarantine" }, ":unused": { N: "1" } } }))).rejects.toThrow("unused in expressions: keys: {:unused}");
    await expect(client.send(new QueryCommand({ ...query, ExclusiveStartKey: { pk: { S: "mode" }, sk: { S: "mode" } } }))).rejects.toThrow("starting key is invalid");
  });
});

describe("keys", () => {
  it("puts each source state in its own partition and every quarantine in one", () => {
    expect(sourceKey("2001:db8::9")).toEqual({ pk: "src#2001:db8::9", sk: "state" });
    expect(quarantineKey("198.51.100.7")).toEqual({ pk: "quarantine", sk: "198.51.100.7" });
    expect(MODE_KEY).toEqual({ pk: "mode", sk: "mode" });
    expect(LEASE_KEY).toEqual({ pk: "lease", sk: "lease" });
    expect(Object.isFrozen(MODE_KEY) && Object.isFrozen(LEASE_KEY)).toBe(true);
  });

  it("gives the mode's key as `aws dynamodb get-item --key` takes it", () => {
    expect(JSON.stringify(dynamoKey(MODE_KEY))).toBe('{"pk":{"S":"mode"},"sk":{"S":"mode"}}');
  });
});

describe("source states", () => {
  it("creates a state only where none exists, as version 1 with its expiry", async () => {
    const table = fakeTable(ddbMock, TABLE);
    await store().putSource("198.51.100.7", state(T0, { l: 2 }), undefined, T0 + 1800);

    expect(inputOf(ddbMock.commandCalls(PutItemCommand))).toEqual({
      TableName: TABLE,
      Item: { pk: { S: "src#198.51.100.7" }, sk: { S: "state" }, state: { S: '{"lastSeen":1700000000,"l":2}' }, expiresAt: { N: "1700001800" }, version: { N: "1" } },
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: { "#pk": "pk" },
    });
    expect(table.plain()).toEqual({ "src#198.51.100.7/state": { pk: "src#198.51.100.7", sk: "state", state: '{"lastSeen":1700000000,"l":2}', expiresAt: T0 + 1800, version: 1 } });
  });

  it("refuses a second create and a stale version with ConflictError, and writes version+1 on the current one", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.putSource("198.51.100.7", state(T0), undefined, T0 + 1800);
    await expect(s.putSource("198.51.100.7", state(T0 + 1), undefined, T0 + 1801)).rejects.toThrow(ConflictError);
    await s.putSource("198.51.100.7", state(T0 + 2), 1, T0 + 1802);
    await expect(s.putSource("198.51.100.7", state(T0 + 3), 1, T0 + 1803)).rejects.toBeInstanceOf(ConflictError);

    expect(inputOf(ddbMock.commandCalls(PutItemCommand), 2)).toEqual({
      TableName: TABLE,
      Item: { pk: { S: "src#198.51.100.7" }, sk: { S: "state" }, state: { S: '{"lastSeen":1700000002}' }, expiresAt: { N: "1700001802" }, version: { N: "2" } },
      ConditionExpression: "#version = :expected",
      ExpressionAttributeNames: { "#version": "version" },
      ExpressionAttributeValues: { ":expected": { N: "1" } },
    });
    expect(table.plain("src#")["src#198.51.100.7/state"]).toMatchObject({ state: '{"lastSeen":1700000002}', version: 2, expiresAt: T0 + 1802 });
    expect(table.conflicts()).toEqual(["put src#198.51.100.7/state: ConditionalCheckFailed", "put src#198.51.100.7/state: ConditionalCheckFailed"]);
  });

  it("lets any other DynamoDB error through as it is (not a conflict)", async () => {
    const err = new DynamoDBServiceException({ name: "ProvisionedThroughputExceededException", $fault: "client", message: "slow down", $metadata: {} });
    ddbMock.on(PutItemCommand).rejects(err);
    const p = store().putSource("198.51.100.7", state(T0), undefined, T0 + 1800);
    await expect(p).rejects.toBe(err);
    await expect(p).rejects.not.toBeInstanceOf(ConflictError);
  });

  it("reads states strongly consistently with their versions, each key once; missing ones are absent", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.putSource("198.51.100.7", state(T0, { f: 3 }), undefined, T0 + 1800);
    await s.putSource("198.51.100.7", state(T0 + 60, { f: 4 }), 1, T0 + 1860);
    await s.putSource("2001:db8::9", state(T0 + 5), undefined, T0 + 1805);

    const got = await s.getSources(["198.51.100.7", "203.0.113.1", "198.51.100.7", "2001:db8::9"]);

    expect(inputOf(ddbMock.commandCalls(BatchGetItemCommand))).toEqual({
      RequestItems: {
        [TABLE]: {
          Keys: [
            { pk: { S: "src#198.51.100.7" }, sk: { S: "state" } },
            { pk: { S: "src#203.0.113.1" }, sk: { S: "state" } },
            { pk: { S: "src#2001:db8::9" }, sk: { S: "state" } },
          ],
          ConsistentRead: true,
        },
      },
    });
    expect([...got.entries()].sort()).toEqual([
      ["198.51.100.7", { value: { lastSeen: T0 + 60, f: 4 }, version: 2 }],
      ["2001:db8::9", { value: { lastSeen: T0 + 5 }, version: 1 }],
    ]);
    expect(table.ops.filter((o) => o.startsWith("batchGet"))).toHaveLength(1);
  });

  it("returns an expired state that TTL has not removed yet, with its version, so the next write can replace it", async () => {
    fakeTable(ddbMock, TABLE);
    const s = store();
    await s.putSource("198.51.100.7", state(T0), undefined, T0 + 10);
    clock = T0 + 3600;
    const got = await s.getSources(["198.51.100.7"]);
    expect(got.get("198.51.100.7")).toEqual({ value: { lastSeen: T0 }, version: 1 });
    await s.putSource("198.51.100.7", state(T0 + 3600), got.get("198.51.100.7")!.version, T0 + 5400);
  });

  it("asks at most 100 keys per call", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const srcs = Array.from({ length: 250 }, (_, i) => `10.0.${Math.floor(i / 200)}.${i % 200}`);
    await store().getSources(srcs);
    const calls = ddbMock.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input.RequestItems![TABLE].Keys!.length);
    expect(calls).toEqual([100, 100, 50]);
    expect(table.ops).toHaveLength(3);
  });

  it("asks again for unprocessed keys, backing off, and returns every item", async () => {
    const table = fakeTable(ddbMock, TABLE, { unprocessed: (call, pks) => (call === 1 ? pks.slice(1) : call === 2 ? pks.slice(1) : []) });
    const s = store();
    for (const ip of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) await s.putSource(ip, state(T0), undefined, T0 + 1800);

    const got = await s.getSources(["192.0.2.1", "192.0.2.2", "192.0.2.3"]);

    expect([...got.keys()].sort()).toEqual(["192.0.2.1", "192.0.2.2", "192.0.2.3"]);
    const keys = ddbMock.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input.RequestItems![TABLE].Keys!.map((k) => `${k.pk.S}/${k.sk.S}`));
    expect(keys).toEqual([["src#192.0.2.1/state", "src#192.0.2.2/state", "src#192.0.2.3/state"], ["src#192.0.2.2/state", "src#192.0.2.3/state"], ["src#192.0.2.3/state"]]);
    expect(ddbMock.commandCalls(BatchGetItemCommand).every((c) => c.args[0].input.RequestItems![TABLE].ConsistentRead === true)).toBe(true);
    expect(sleeps).toEqual([50, 100]);
    expect(table.ops.filter((o) => o.startsWith("batchGet"))).toHaveLength(3);
  });

  it("fails, never drops a key, when DynamoDB keeps leaving keys unprocessed", async () => {
    fakeTable(ddbMock, TABLE, { unprocessed: (_call, pks) => pks.slice(-1) });
    await expect(store().getSources(["192.0.2.1", "192.0.2.2"])).rejects.toThrow("DynamoDB left 1 of 2 keys of lure-test-quarantine unprocessed after 8 BatchGetItem calls");
    expect(sleeps).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    expect(ddbMock.commandCalls(BatchGetItemCommand)).toHaveLength(8);
  });

  it("reads nothing for no sources", async () => {
    fakeTable(ddbMock, TABLE);
    expect((await store().getSources([])).size).toBe(0);
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it("deletes a state by key, unconditionally", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.putSource("198.51.100.7", state(T0), undefined, T0 + 1800);
    await s.deleteSource("198.51.100.7");
    expect(inputOf(ddbMock.commandCalls(DeleteItemCommand))).toEqual({ TableName: TABLE, Key: { pk: { S: "src#198.51.100.7" }, sk: { S: "state" } } });
    expect(table.items.size).toBe(0);
  });
});

describe("proofs of address", () => {
  const C = "198.51.100.20";

  it("sits beside the source's state, in its partition", () => {
    expect(proofKey(C)).toEqual({ pk: `src#${C}`, sk: "proof" });
  });

  it("creates a proof with one conditional update, and reads it back strongly consistently; missing and expired ones are absent", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.putProofs([{ src: C, proof: { first: T0 - 100, last: T0 }, expiresAt: T0 + 604_800 }]);
    expect(inputOf(ddbMock.commandCalls(UpdateItemCommand))).toEqual({
      TableName: TABLE,
      Key: { pk: { S: `src#${C}` }, sk: { S: "proof" } },
      UpdateExpression: "SET #first = if_not_exists(#first, :first), #last = :last, #expiresAt = :expiresAt",
      ConditionExpression: "attribute_not_exists(#last) OR #last < :last",
      ExpressionAttributeNames: { "#first": "first", "#last": "last", "#expiresAt": "expiresAt" },
      ExpressionAttributeValues: { ":first": { N: String(T0 - 100) }, ":last": { N: String(T0) }, ":expiresAt": { N: String(T0 + 604_800) } },
      ReturnValues: "UPDATED_OLD",
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    });
    expect(table.plain()[`src#${C}/proof`]).toEqual({ pk: `src#${C}`, sk: "proof", first: T0 - 100, last: T0, expiresAt: T0 + 604_800 });
    await s.putProofs([{ src: "192.0.2.9", proof: { first: T0 - 700_000, last: T0 - 700_000 }, expiresAt: T0 - 95_200 }]);
    expect(await s.getProofs([C, "192.0.2.9", "192.0.2.10", C])).toEqual(new Map([[C, { first: T0 - 100, last: T0 }]]));
    expect(inputOf(ddbMock.commandCalls(BatchGetItemCommand)).RequestItems![TABLE]).toMatchObject({ ConsistentRead: true });
  });

  it("moves last forward and keeps the first proof; a later writer's last wins; an earlier first moves back", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.putProofs([{ src: C, proof: { first: T0, last: T0 + 10 }, expiresAt: T0 + 1000 }]);
    await s.putProofs([{ src: C, proof: { first: T0 + 3600, last: T0 + 3600 }, expiresAt: T0 + 5000 }]);
    expect(table.plain()[`src#${C}/proof`]).toMatchObject({ first: T0, last: T0 + 3600, expiresAt: T0 + 5000 });
    // Another instance saw it earlier (records out of order) but its last is older: only first moves.
    await s.putProofs([{ src: C, proof: { first: T0 - 50, last: T0 + 20 }, expiresAt: T0 + 1010 }]);
    expect(table.plain()[`src#${C}/proof`]).toMatchObject({ first: T0 - 50, last: T0 + 3600, expiresAt: T0 + 5000 });
    expect(table.ops.filter((o) => o.startsWith("update"))).toEqual([
      `update src#${C}/proof`,
      `update src#${C}/proof`,
      `update src#${C}/proof: ConditionalCheckFailed`,
      `update src#${C}/proof`,
    ]);
    // The same proof again: one refused update, nothing else.
    await s.putProofs([{ src: C, proof: { first: T0, last: T0 + 20 }, expiresAt: T0 + 1010 }]);
    expect(table.ops.slice(-1)).toEqual([`update src#${C}/proof: ConditionalCheckFailed`]);
  });

  it(`writes many proofs ${PROOF_WRITE_CONCURRENCY} at a time, never more`, async () => {
    let inFlight = 0;
    let most = 0;
    const table = fakeTable(ddbMock, TABLE, {
      beforeWrite: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
      },
    });
    const proofs = Array.from({ length: 40 }, (_, i) => ({ src: `192.0.2.${i}`, proof: { first: T0, last: T0 }, expiresAt: T0 + 100 }));
    await store().putProofs(proofs);
    expect(Object.keys(table.plain("src#"))).toHaveLength(40);
    expect(most).toBe(PROOF_WRITE_CONCURRENCY);
  });

  it("lets any other DynamoDB error through", async () => {
    ddbMock.on(UpdateItemCommand).rejects(new DynamoDBServiceException({ name: "ProvisionedThroughputExceededException", $fault: "client", $metadata: {}, message: "slow down" }));
    await expect(store().putProofs([{ src: C, proof: { first: T0, last: T0 }, expiresAt: T0 + 1 }])).rejects.toThrow("slow down");
  });
});

describe("quarantines", () => {
  it("creates one with a single conditional update", async () => {
    const table = fakeTable(ddbMock, TABLE);
    await store().upsertQuarantine(q("198.51.100.7", T0 - 30, T0 - 10, "vertical", 15), T0 + 1800);

    expect(inputOf(ddbMock.commandCalls(UpdateItemCommand))).toEqual({
      TableName: TABLE,
      Key: { pk: { S: "quarantine" }, sk: { S: "198.51.100.7" } },
      UpdateExpression:
        "SET #src = :src, #lastSeen = :lastSeen, #expiresAt = :expiresAt, #detectedAt = if_not_exists(#detectedAt, :detectedAt), #reason = if_not_exists(#reason, :reason), #probes = if_not_exists(#probes, :probes)",
      ConditionExpression: "attribute_not_exists(#pk) OR (#expiresAt >= :now AND #lastSeen <= :lastSeen)",
      ExpressionAttributeNames: { "#pk": "pk", "#src": "src", "#lastSeen": "lastSeen", "#expiresAt": "expiresAt", "#detectedAt": "detectedAt", "#reason": "reason", "#probes": "probes" },
      ExpressionAttributeValues: {
        ":src": { S: "198.51.100.7" },
        ":lastSeen": { N: String(T0 - 10) },
        ":expiresAt": { N: String(T0 + 1800) },
        ":detectedAt": { N: String(T0 - 30) },
        ":reason": { S: "vertical" },
        ":probes": { N: "15" },
        ":now": { N: String(T0) },
      },
    });
    expect(ddbMock.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(table.plain()).toEqual({ "quarantine/198.51.100.7": { pk: "quarantine", sk: "198.51.100.7", src: "198.51.100.7", detectedAt: T0 - 30, lastSeen: T0 - 10, reason: "vertical", probes: 15, expiresAt: T0 + 1800 } });
  });

  it("refreshes: lastSeen and expiry move forward, the first detection's time, reason and probes stay", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.upsertQuarantine(q("198.51.100.7", T0 - 30, T0 - 10, "vertical", 15), T0 + 1800);
    await s.upsertQuarantine(q("198.51.100.7", T0 + 50, T0 + 60, "trw", 4), T0 + 1860);
    expect(table.plain("quarantine/")["quarantine/198.51.100.7"]).toEqual({ pk: "quarantine", sk: "198.51.100.7", src: "198.51.100.7", detectedAt: T0 - 30, lastSeen: T0 + 60, reason: "vertical", probes: 15, expiresAt: T0 + 1860 });
    expect(ddbMock.commandCalls(UpdateItemCommand)).toHaveLength(2);
    expect(ddbMock.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it("keeps a concurrent writer's later lastSeen: an older refresh succeeds without writing", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.upsertQuarantine(q("198.51.100.7", T0, T0 + 60), T0 + 1860);
    await expect(s.upsertQuarantine(q("198.51.100.7", T0 - 100, T0 + 20), T0 + 1820)).resolves.toBeUndefined();

    expect(table.plain("quarantine/")["quarantine/198.51.100.7"]).toMatchObject({ detectedAt: T0, lastSeen: T0 + 60, expiresAt: T0 + 1860 });
    // The update was refused, then the put for an expired item was refused too: nothing written.
    expect(table.ops.slice(1)).toEqual(["update quarantine/198.51.100.7: ConditionalCheckFailed", "put quarantine/198.51.100.7: ConditionalCheckFailed"]);
    expect(inputOf(ddbMock.commandCalls(PutItemCommand))).toEqual({
      TableName: TABLE,
      Item: {
        pk: { S: "quarantine" },
        sk: { S: "198.51.100.7" },
        src: { S: "198.51.100.7" },
        detectedAt: { N: String(T0 - 100) },
        lastSeen: { N: String(T0 + 20) },
        reason: { S: "trw" },
        probes: { N: "4" },
        expiresAt: { N: String(T0 + 1820) },
      },
      ConditionExpression: "attribute_not_exists(#pk) OR #expiresAt < :now",
      ExpressionAttributeNames: { "#pk": "pk", "#expiresAt": "expiresAt" },
      ExpressionAttributeValues: { ":now": { N: String(T0) } },
    });
  });

  it("starts afresh over an expired quarantine that TTL has not removed yet", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.upsertQuarantine(q("198.51.100.7", T0 - 9000, T0 - 8000, "horizontal", 25), T0 - 6000);
    await s.upsertQuarantine(q("198.51.100.7", T0 - 5, T0 - 1, "trw", 4), T0 + 1800);
    expect(table.plain("quarantine/")["quarantine/198.51.100.7"]).toEqual({ pk: "quarantine", sk: "198.51.100.7", src: "198.51.100.7", detectedAt: T0 - 5, lastSeen: T0 - 1, reason: "trw", probes: 4, expiresAt: T0 + 1800 });
  });

  it("never loses either of two writers racing on a new source", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await Promise.all([s.upsertQuarantine(q("198.51.100.7", T0, T0 + 5, "trw", 4), T0 + 1805), s.upsertQuarantine(q("198.51.100.7", T0 + 1, T0 + 9, "pairs", 25), T0 + 1809)]);
    expect(table.plain("quarantine/")["quarantine/198.51.100.7"]).toMatchObject({ detectedAt: T0, reason: "trw", probes: 4, lastSeen: T0 + 9, expiresAt: T0 + 1809 });
  });

  it("lists live quarantines only with one strongly consistent Query of their partition, over every page", async () => {
    const table = fakeTable(ddbMock, TABLE, { queryPageSize: 2 });
    const s = store();
    await s.upsertQuarantine(q("192.0.2.1", T0, T0), T0 + 100);
    await s.putSource("192.0.2.1", state(T0), undefined, T0 + 100);
    await s.upsertQuarantine(q("192.0.2.2", T0, T0), T0 + 100);
    await s.upsertQuarantine(q("192.0.2.3", T0 - 900, T0 - 800), T0 + 10); // expired, TTL not yet run
    await s.putMode({ mode: "defence", since: T0, recentFlags: [T0] }, undefined);
    await s.acquireLease("req-a", T0, 30);
    await s.upsertQuarantine(q("2001:db8::4", T0, T0, "horizontal", 25), T0 + 100);
    await s.upsertQuarantine(q("192.0.2.5", T0, T0, "pairs", 30), T0 + 11); // expires at this very second: still live
    clock = T0 + 11;
    const readBefore = table.itemsRead();

    const list = await s.listQuarantines();

    expect(list).toEqual([q("192.0.2.1", T0, T0), q("192.0.2.2", T0, T0), q("192.0.2.5", T0, T0, "pairs", 30), q("2001:db8::4", T0, T0, "horizontal", 25)]);
    const queries = ddbMock.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries[0]).toEqual({
      TableName: TABLE,
      ConsistentRead: true,
      KeyConditionExpression: "#pk = :q",
      FilterExpression: "#expiresAt >= :now",
      ExpressionAttributeNames: { "#pk": "pk", "#expiresAt": "expiresAt" },
      ExpressionAttributeValues: { ":q": { S: "quarantine" }, ":now": { N: String(T0 + 11) } },
    });
    // Each page continues after the last item the previous one read, the expired 192.0.2.3 included.
    expect(queries.map((i) => i.ExclusiveStartKey)).toEqual([undefined, { pk: { S: "quarantine" }, sk: { S: "192.0.2.2" } }, { pk: { S: "quarantine" }, sk: { S: "192.0.2.5" } }]);
    expect(queries.slice(1).map(({ ExclusiveStartKey: _, ...rest }) => rest)).toEqual([queries[0], queries[0]]);
    expect(table.ops.filter((o) => o.startsWith("query"))).toEqual(["query quarantine: 2 read", "query quarantine: 2 read after 192.0.2.2", "query quarantine: 1 read after 192.0.2.5"]);
    // The five quarantine items, and not the source state, the mode or the lease.
    expect(table.itemsRead() - readBefore).toBe(5);
    expect(ddbMock.commandCalls(ScanCommand)).toHaveLength(0);
  });

  it("reads only the quarantines, whatever the number of source states in the table", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    for (let i = 0; i < 5000; i++) table.seed({ ...dynamoKey(sourceKey(`10.${i >> 8}.${i & 255}.1`)), state: { S: `{"lastSeen":${T0}}` }, version: { N: "1" }, expiresAt: { N: String(T0 + 900) } });
    for (const ip of ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) await s.upsertQuarantine(q(ip, T0, T0), T0 + 100);
    const readBefore = table.itemsRead();

    const list = await s.listQuarantines();

    expect(list.map((x) => x.src)).toEqual(["198.51.100.1", "198.51.100.2", "198.51.100.3"]);
    expect(table.itemsRead() - readBefore).toBe(3);
    expect(table.ops.filter((o) => o.startsWith("query"))).toEqual(["query quarantine: 3 read"]);
    expect(table.items.size).toBe(5003);
  });

  it("lists nothing, in one Query, when no quarantine exists", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.putSource("192.0.2.1", state(T0), undefined, T0 + 100);
    await s.putMode({ mode: "normal", since: T0, recentFlags: [] }, undefined);
    expect(await s.listQuarantines()).toEqual([]);
    expect(ddbMock.commandCalls(QueryCommand)).toHaveLength(1);
    expect(table.ops.at(-1)).toBe("query quarantine: 0 read");
  });

  it("deletes a quarantine by key, unconditionally without an expected lastSeen", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.upsertQuarantine(q("192.0.2.1", T0, T0), T0 + 100);
    expect(await s.deleteQuarantine("192.0.2.1")).toBe(true);
    expect(await s.deleteQuarantine("192.0.2.1")).toBe(true);
    expect(inputOf(ddbMock.commandCalls(DeleteItemCommand))).toEqual({ TableName: TABLE, Key: { pk: { S: "quarantine" }, sk: { S: "192.0.2.1" } } });
    expect(table.items.size).toBe(0);
  });

  const conditionalDelete = (src: string, lastSeen: number) => ({
    TableName: TABLE,
    Key: { pk: { S: "quarantine" }, sk: { S: src } },
    ConditionExpression: "#lastSeen = :v",
    ExpressionAttributeNames: { "#lastSeen": "lastSeen" },
    ExpressionAttributeValues: { ":v": { N: String(lastSeen) } },
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });

  it("deletes a quarantine whose lastSeen is still the one read, in one conditional request", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.upsertQuarantine(q("192.0.2.1", T0 - 60, T0), T0 + 100);
    await s.upsertQuarantine(q("192.0.2.2", T0 - 60, T0), T0 + 100);

    expect(await s.deleteQuarantine("192.0.2.1", T0)).toBe(true);

    expect(ddbMock.commandCalls(DeleteItemCommand).map((c) => c.args[0].input)).toEqual([conditionalDelete("192.0.2.1", T0)]);
    expect(Object.keys(table.plain("quarantine/"))).toEqual(["quarantine/192.0.2.2"]);
    expect(ddbMock.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it("keeps a quarantine refreshed since it was read and returns false", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.upsertQuarantine(q("192.0.2.1", T0 - 60, T0), T0 + 100);
    // A batch received the source again after the tick read it.
    await s.upsertQuarantine(q("192.0.2.1", T0 - 60, T0 + 45), T0 + 145);

    expect(await s.deleteQuarantine("192.0.2.1", T0)).toBe(false);

    expect(inputOf(ddbMock.commandCalls(DeleteItemCommand))).toEqual(conditionalDelete("192.0.2.1", T0));
    expect(table.plain("quarantine/")["quarantine/192.0.2.1"]).toMatchObject({ lastSeen: T0 + 45, expiresAt: T0 + 145 });
    expect(table.conflicts()).toEqual(["delete quarantine/192.0.2.1: ConditionalCheckFailed"]);
  });

  it("returns true for a quarantine already gone (someone else deleted it), with no second request", async () => {
    const table = fakeTable(ddbMock, TABLE);
    expect(await store().deleteQuarantine("192.0.2.1", T0)).toBe(true);
    // DynamoDB refuses the condition on a missing item too; the refusal carries no item.
    expect(table.conflicts()).toEqual(["delete quarantine/192.0.2.1: ConditionalCheckFailed"]);
    expect(ddbMock.calls()).toHaveLength(1);
  });

  it("lets any other error of a conditional delete through", async () => {
    const err = new DynamoDBServiceException({ name: "InternalServerError", $fault: "server", message: "boom", $metadata: {} });
    ddbMock.on(DeleteItemCommand).rejects(err);
    await expect(store().deleteQuarantine("192.0.2.1", T0)).rejects.toBe(err);
  });
});

describe("mode", () => {
  it("is Normal since 0, with no version, before anything was written", async () => {
    fakeTable(ddbMock, TABLE);
    expect(await store().getMode()).toEqual({ value: { mode: "normal", since: 0, recentFlags: [] }, version: undefined });
    expect(inputOf(ddbMock.commandCalls(GetItemCommand))).toEqual({ TableName: TABLE, Key: { pk: { S: "mode" }, sk: { S: "mode" } }, ConsistentRead: true });
  });

  it("is written conditionally on its version and read back", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.putMode({ mode: "defence", since: T0, recentFlags: [T0 - 5, T0] }, undefined);
    expect(inputOf(ddbMock.commandCalls(PutItemCommand))).toEqual({
      TableName: TABLE,
      Item: { pk: { S: "mode" }, sk: { S: "mode" }, mode: { S: "defence" }, since: { N: String(T0) }, recentFlags: { L: [{ N: String(T0 - 5) }, { N: String(T0) }] }, version: { N: "1" } },
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: { "#pk": "pk" },
    });
    expect(await s.getMode()).toEqual({ value: { mode: "defence", since: T0, recentFlags: [T0 - 5, T0] }, version: 1 });

    await expect(s.putMode({ mode: "normal", since: T0 + 1, recentFlags: [] }, undefined).catch((e) => e)).resolves.toBeInstanceOf(ConflictError);
    await s.putMode({ mode: "normal", since: T0 + 2, recentFlags: [] }, 1);
    await expect(s.putMode({ mode: "defence", since: T0 + 3, recentFlags: [] }, 1)).rejects.toBeInstanceOf(ConflictError);
    expect(await s.getMode()).toEqual({ value: { mode: "normal", since: T0 + 2, recentFlags: [] }, version: 2 });
    expect(table.conflicts()).toHaveLength(2);
  });
});

describe("lease", () => {
  const acquireInput = (owner: string, now: number, until: number) => ({
    TableName: TABLE,
    Item: { pk: { S: "lease" }, sk: { S: "lease" }, owner: { S: owner }, until: { N: String(until) } },
    ConditionExpression: "attribute_not_exists(#pk) OR #until < :now OR #owner = :owner",
    ExpressionAttributeNames: { "#pk": "pk", "#until": "until", "#owner": "owner" },
    ExpressionAttributeValues: { ":now": { N: String(now) }, ":owner": { S: owner } },
  });

  it("goes to one owner at a time until it expires; its owner may renew it", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    expect(await s.acquireLease("req-a", T0, 30)).toBe(true);
    expect(inputOf(ddbMock.commandCalls(PutItemCommand))).toEqual(acquireInput("req-a", T0, T0 + 30));
    expect(await s.acquireLease("req-b", T0 + 10, 30)).toBe(false);
    expect(await s.acquireLease("req-b", T0 + 30, 30)).toBe(false); // until is inclusive
    expect(await s.acquireLease("req-a", T0 + 20, 30)).toBe(true);
    expect(table.plain()["lease/lease"]).toEqual({ pk: "lease", sk: "lease", owner: "req-a", until: T0 + 50 });
    expect(await s.acquireLease("req-b", T0 + 51, 30)).toBe(true);
    expect(table.plain()["lease/lease"]).toEqual({ pk: "lease", sk: "lease", owner: "req-b", until: T0 + 81 });
  });

  it("is released by its owner only; releasing a lease that is gone or someone else's is not an error", async () => {
    const table = fakeTable(ddbMock, TABLE);
    const s = store();
    await s.acquireLease("req-a", T0, 30);
    await expect(s.releaseLease("req-b")).resolves.toBeUndefined();
    expect(table.plain()["lease/lease"]).toMatchObject({ owner: "req-a" });
    await s.releaseLease("req-a");
    expect(table.items.has("lease/lease")).toBe(false);
    await expect(s.releaseLease("req-a")).resolves.toBeUndefined();
    expect(inputOf(ddbMock.commandCalls(DeleteItemCommand))).toEqual({
      TableName: TABLE,
      Key: { pk: { S: "lease" }, sk: { S: "lease" } },
      ConditionExpression: "#owner = :owner",
      ExpressionAttributeNames: { "#owner": "owner" },
      ExpressionAttributeValues: { ":owner": { S: "req-b" } },
    });
    expect(table.conflicts()).toEqual(["delete lease/lease: ConditionalCheckFailed", "delete lease/lease: ConditionalCheckFailed"]);
  });

  it("lets other errors of acquire and release through", async () => {
    const err = new DynamoDBServiceException({ name: "InternalServerError", $fault: "server", message: "boom", $metadata: {} });
    ddbMock.on(PutItemCommand).rejects(err).on(DeleteItemCommand).rejects(err);
    await expect(store().acquireLease("req-a", T0, 30)).rejects.toBe(err);
    await expect(store().releaseLease("req-a")).rejects.toBe(err);
  });
});
