/**
 * Where the report reads from: the `--results` forms, and one reader per store with its SDK faked
 * (aws-sdk-client-mock for S3, in-memory containers for Blob Storage and Cloud Storage). Each store
 * is loaded with the same fixture history, so every reader must give the report the same figures as
 * the local folder.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { writeFixture, type FixtureTruth } from "../../modules/core/report/fixture";
import { main } from "../../modules/core/report/cli";
import { mergeHistories, readHistory, rootsOf } from "../../modules/core/report/history";
import { blobReader, gcsReader, localReader, parseSource, s3Reader, type BlobContainerLike, type GcsBucketLike, type ObjectReader } from "../../modules/core/report/sources";
import { capturingDeps } from "../helpers/report";

let dir: string;
let truth: FixtureTruth;
/** Every file of the fixture's history, by key relative to the history folder. */
let files: Map<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lure-report-sources-"));
  truth = writeFixture(join(dir, "fixture"));
  const local = localReader(truth.history);
  files = new Map(await Promise.all((await local.list()).map(async (k) => [k, await local.getText(k)] as const)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The keys of one cloud's folder, with a store prefix in front. */
function storeObjects(cloud: string, prefix: string): Map<string, string> {
  return new Map([...files].filter(([k]) => k.startsWith(`${cloud}/`)).map(([k, v]) => [`${prefix}${k.slice(cloud.length + 1)}`, v]));
}

describe("parseSource", () => {
  it.each([
    ["s3://lure-results", { kind: "s3", bucket: "lure-results", prefix: "", cloud: "aws" }],
    ["s3://lure-results/watcher//", { kind: "s3", bucket: "lure-results", prefix: "watcher/", cloud: "aws" }],
    ["gs://lure-results/a/b", { kind: "gcs", bucket: "lure-results", prefix: "a/b/", cloud: "gcp" }],
    ["https://lurewatch01.blob.core.windows.net/results", { kind: "blob", accountUrl: "https://lurewatch01.blob.core.windows.net", container: "results", prefix: "", cloud: "azure" }],
    ["azure=https://lurewatch01.blob.core.windows.net/results/w", { kind: "blob", container: "results", prefix: "w/", cloud: "azure" }],
    ["gcp=./hist", { kind: "local", dir: resolve("./hist"), cloud: "gcp" }],
    ["./hist", { kind: "local", dir: resolve("./hist") }],
  ])("%s", (text, want) => {
    const got = parseSource(text);
    expect(got).toMatchObject({ ...want, text });
    if (want.kind === "local" && !("cloud" in want)) expect(got).not.toHaveProperty("cloud");
  });

  it.each([
    ["gcp=s3://bucket", /: that store is on aws, not gcp$/],
    ["ftp://host/x", /not a store the report reads; give a folder, s3:\/\/bucket/],
    ["https://example.com/results", /not a store the report reads/],
    ["https://UPPER.blob.core.windows.net/results", /not a store the report reads/],
    ["gs://b/prefix", /: "b" is not a valid Cloud Storage bucket name$/],
    ["s3://Bucket_1", /: "Bucket_1" is not a valid S3 bucket name$/],
  ])("refuses %s", (text, message) => {
    expect(() => parseSource(text)).toThrow(message);
  });
});

describe("finding the history in a store", () => {
  it("takes the store's root when it holds results/, else its cloud folders", () => {
    expect(rootsOf(["results/1.2.3.4/a.json"], "x")).toEqual([{ prefix: "" }]);
    expect(rootsOf(["results/1.2.3.4/a.json"], "x", "gcp")).toEqual([{ prefix: "", cloud: "gcp" }]);
    expect(rootsOf(["aws/latest/a.json", "gcp/results/1/a.json", "other/x"], "x")).toEqual([
      { prefix: "aws/", cloud: "aws" },
      { prefix: "gcp/", cloud: "gcp" },
    ]);
  });

  it("says what it looked for when there is no history, and refuses a cloud name that contradicts the folders", () => {
    expect(() => rootsOf(["notes.txt"], "s3://b/")).toThrow("s3://b/: no results/, latest/ or rotations/ here, nor in aws/, azure/ or gcp/ folders");
    expect(() => rootsOf(["aws/results/1/a.json", "gcp/results/1/a.json"], "./h", "aws")).toThrow("./h is named aws but holds the folders aws/, gcp/; give it without a cloud");
  });
});

describe("S3 (aws-sdk-client-mock)", () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());

  /** Serves `objects` two keys per page, so the reader must follow continuation tokens. */
  function serve(objects: Map<string, string>) {
    const keys = [...objects.keys()].sort();
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string; ContinuationToken?: string }) => {
      const under = keys.filter((k) => k.startsWith(input.Prefix ?? ""));
      const at = Number(input.ContinuationToken ?? "0");
      const page = under.slice(at, at + 200);
      const more = at + 200 < under.length;
      return { Contents: page.map((Key) => ({ Key })), IsTruncated: more, ...(more ? { NextContinuationToken: String(at + 200) } : {}) };
    });
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      const body = objects.get(input.Key);
      if (body === undefined) throw Object.assign(new Error("NoSuchKey"), { name: "NoSuchKey" });
      return { Body: { transformToString: async () => body } };
    });
  }

  it("lists every page under the prefix and reads the same history as the folder", async () => {
    const objects = storeObjects("aws", "watcher/");
    objects.set("watcher/", "");
    objects.set("elsewhere/results/1.2.3.4/x.json", "{}");
    serve(objects);
    const reader = s3Reader(new S3Client({ region: "eu-west-1" }), "lure-results", "watcher/");
    expect(reader.location).toBe("s3://lure-results/watcher/");
    const keys = await reader.list();
    expect(keys).toHaveLength(objects.size - 2);
    expect(keys.every((k) => !k.startsWith("watcher/"))).toBe(true);
    expect(s3.commandCalls(ListObjectsV2Command).length).toBeGreaterThan(1);

    const fromS3 = await readHistory(reader, "aws");
    const fromDisk = await readHistory(localReader(join(truth.history, "aws")), "aws");
    expect(fromS3.observations.length).toBe(fromDisk.observations.length);
    const seen = (h: typeof fromS3) => h.observations.map((o) => `${o.ip} ${o.checkedAt}`).sort();
    expect(seen(fromS3)).toEqual(seen(fromDisk));
    // Every aws result file but the one that is not JSON.
    expect(fromS3.observations).toHaveLength([...files.keys()].filter((k) => /^aws\/results\/.+\.json$/.test(k)).length - 1);
    expect(fromS3.malformed.map((m) => m.reason).sort()).toEqual(fromDisk.malformed.map((m) => m.reason).sort());
    expect(fromS3.malformed[0].location).toMatch(/^s3:\/\/lure-results\/watcher\//);
  });

  it("turns a refused read into a failed report that names the store, not an empty one", async () => {
    s3.on(ListObjectsV2Command).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));
    const deps = capturingDeps({ openReader: async () => s3Reader(new S3Client({ region: "eu-west-1" }), "lure-results", "") });
    const code = await main(["--results", "s3://lure-results", "--out", join(dir, "s3-out")], deps);
    expect(code).toBe(1);
    expect(deps.err.join("\n")).toBe("lure report: Access Denied");
  });
});

describe("Blob Storage and Cloud Storage (in-memory clients)", () => {
  function container(objects: Map<string, string>, asked: string[]): BlobContainerLike {
    return {
      async *listBlobsFlat({ prefix }) {
        asked.push(prefix);
        for (const name of [...objects.keys()].filter((k) => k.startsWith(prefix))) yield { name };
      },
      getBlobClient: (name) => ({
        downloadToBuffer: async () => {
          const v = objects.get(name);
          if (v === undefined) throw new Error(`BlobNotFound ${name}`);
          return Buffer.from(v);
        },
      }),
    };
  }

  function bucket(objects: Map<string, string>): GcsBucketLike {
    return {
      getFiles: async ({ prefix }) => [[...objects.keys()].filter((k) => k.startsWith(prefix)).map((name) => ({ name }))],
      file: (name) => ({
        download: async () => {
          const v = objects.get(name);
          if (v === undefined) throw new Error(`No such object: ${name}`);
          return [Buffer.from(v)];
        },
      }),
    };
  }

  it("reads a container's blobs under the prefix", async () => {
    const asked: string[] = [];
    const reader = blobReader(container(storeObjects("azure", "w/"), asked), "https://lurewatch01.blob.core.windows.net/results/w/", "w/");
    const h = await readHistory(reader, "azure");
    expect(asked).toEqual(["w/"]);
    const disk = await readHistory(localReader(join(truth.history, "azure")), "azure");
    expect(h.observations.length).toBe(disk.observations.length);
    expect(new Set(h.observations.map((o) => o.cloud))).toEqual(new Set(["azure"]));
  });

  it("reads a bucket's objects, leaving out folder placeholders", async () => {
    const objects = storeObjects("gcp", "");
    objects.set("results/", "");
    const reader = gcsReader(bucket(objects), "gs://lure-results/", "");
    expect(await reader.list()).not.toContain("results/");
    const h = await readHistory(reader, "gcp");
    const disk = await readHistory(localReader(join(truth.history, "gcp")), "gcp");
    expect(h.observations.length).toBe(disk.observations.length);
    // The GCP records leave `cloud` out of their message: the source names it.
    expect(new Set(h.observations.map((o) => o.cloud))).toEqual(new Set(["gcp"]));
  });

  it("gives the same report from three stores as from the one folder", async () => {
    const readers: Record<string, ObjectReader> = {
      "s3://lure-results": { location: "s3://lure-results/", list: async () => [...storeObjects("aws", "").keys()].sort(), getText: async (k) => storeObjects("aws", "").get(k) as string },
      "https://lurewatch01.blob.core.windows.net/results": blobReader(container(storeObjects("azure", ""), []), "https://lurewatch01.blob.core.windows.net/results/", ""),
      "gs://lure-results": gcsReader(bucket(storeObjects("gcp", "")), "gs://lure-results/", ""),
    };
    const deps = capturingDeps({ openReader: async (s) => readers[s.text] });
    const out = join(dir, "stores-out");
    const code = await main(["--now", truth.now, "--out", out, ...Object.keys(readers).flatMap((r) => ["--results", r])], deps);
    expect(deps.err).toEqual([]);
    expect(code).toBe(0);
    const merged = mergeHistories(await Promise.all(["aws", "azure", "gcp"].map((c) => readHistory(localReader(join(truth.history, c)), c as "aws"))));
    expect(deps.out.join("\n")).toContain(`history: ${merged.observations.length} lookups of 9 honeypots`);
    expect(merged.observations.length).toBe(truth.resultFiles);
  });
});
