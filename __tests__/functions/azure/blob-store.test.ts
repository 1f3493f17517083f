/**
 * The blob store through the REAL @azure/storage-blob pipeline, answered by nock (no network, no
 * credentials: an anonymous client): proves the storage service's answers are read as blob-store.ts
 * says (404 BlobNotFound = missing, 409 BlobAlreadyExists / 412 ConditionNotMet = not written,
 * 404 ContainerNotFound = an error), that conditions go out as If-Match / If-None-Match headers,
 * and that the error shape the strict fakes imitate (statusCode, code) is the SDK's.
 */
import { AnonymousCredential, ContainerClient } from "@azure/storage-blob";
import nock from "nock";
import { blobJsonStore } from "../../../functions/azure/blob-store";
import { useNock } from "./use-nock";

const ACCOUNT = "https://lurewatch.blob.core.windows.net";
const store = blobJsonStore(
  new ContainerClient(`${ACCOUNT}/results`, new AnonymousCredential(), { retryOptions: { maxTries: 1, tryTimeoutInMs: 5000 } }),
);

const storageError = (code: string, message: string) =>
  `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
const errorHeaders = (code: string) => ({ "x-ms-error-code": code, "Content-Type": "application/xml" });
// tryTimeoutInMs 5000 is sent as the server-side timeout of each try, in seconds.

useNock();

test("get: the JSON and its ETag; 404 BlobNotFound is missing; 404 ContainerNotFound rejects", async () => {
  nock(ACCOUNT).get("/results/latest/203.0.113.10.json").query({ timeout: "5" }).reply(200, '{"found":true}', { ETag: '"0x8DC1"', "Content-Type": "application/json", "Content-Length": "14" });
  expect(await store.get("latest/203.0.113.10.json")).toEqual({ exists: true, value: { found: true }, etag: '"0x8DC1"' });

  nock(ACCOUNT).get("/results/latest/203.0.113.11.json").query({ timeout: "5" }).reply(404, storageError("BlobNotFound", "The specified blob does not exist."), errorHeaders("BlobNotFound"));
  expect(await store.get("latest/203.0.113.11.json")).toEqual({ exists: false });

  nock(ACCOUNT).get("/results/latest/203.0.113.12.json").query({ timeout: "5" }).reply(404, storageError("ContainerNotFound", "The specified container does not exist."), errorHeaders("ContainerNotFound"));
  await expect(store.get("latest/203.0.113.12.json")).rejects.toMatchObject({ statusCode: 404, code: "ContainerNotFound" });
});

test("putIf: If-None-Match * answered 409 BlobAlreadyExists and If-Match answered 412 ConditionNotMet are 'not written'", async () => {
  nock(ACCOUNT)
    .put("/results/state/shodan-gate.json").query({ timeout: "5" })
    .matchHeader("if-none-match", "*")
    .reply(409, storageError("BlobAlreadyExists", "The specified blob already exists."), errorHeaders("BlobAlreadyExists"));
  expect(await store.putIf("state/shodan-gate.json", { next: "x" }, { ifNoneMatch: "*" })).toEqual({ written: false });

  nock(ACCOUNT)
    .put("/results/state/shodan-gate.json").query({ timeout: "5" })
    .matchHeader("if-match", '"0x8DC1"')
    .reply(412, storageError("ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met."), errorHeaders("ConditionNotMet"));
  expect(await store.putIf("state/shodan-gate.json", { next: "x" }, { ifMatch: '"0x8DC1"' })).toEqual({ written: false });
});

test("putIf written: the body is the JSON as application/json, the new ETag comes back", async () => {
  nock(ACCOUNT)
    .put("/results/state/shodan-gate.json", { next: "2026-03-01T12:00:01.000Z" }).query({ timeout: "5" })
    .matchHeader("if-match", '"0x8DC1"')
    .matchHeader("x-ms-blob-content-type", "application/json")
    .matchHeader("x-ms-blob-type", "BlockBlob")
    .reply(201, "", { ETag: '"0x8DC2"' });
  expect(await store.putIf("state/shodan-gate.json", { next: "2026-03-01T12:00:01.000Z" }, { ifMatch: '"0x8DC1"' })).toEqual({ written: true, etag: '"0x8DC2"' });
});

test("a 403 (RBAC not propagated) rejects rather than passing for a lost race", async () => {
  nock(ACCOUNT)
    .put("/results/state/index-error.json").query({ timeout: "5" })
    .reply(403, storageError("AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission."), errorHeaders("AuthorizationPermissionMismatch"));
  await expect(store.putIf("state/index-error.json", {}, { ifNoneMatch: "*" })).rejects.toMatchObject({ statusCode: 403, code: "AuthorizationPermissionMismatch" });
});

test("deleteIf: 412 is false; delete of a blob already gone resolves", async () => {
  nock(ACCOUNT).delete("/results/state/index-error.json").query({ timeout: "5" }).matchHeader("if-match", '"0x8DC1"').reply(412, storageError("ConditionNotMet", "not met"), errorHeaders("ConditionNotMet"));
  expect(await store.deleteIf("state/index-error.json", '"0x8DC1"')).toBe(false);
  nock(ACCOUNT).delete("/results/state/index-error.json").query({ timeout: "5" }).reply(404, storageError("BlobNotFound", "gone"), errorHeaders("BlobNotFound"));
  await expect(store.delete("state/index-error.json")).resolves.toBeUndefined();
});

test("url names the blob for people", () => {
  expect(store.url("results/203.0.113.10/2026-03-01T120000.000Z.json")).toBe(`${ACCOUNT}/results/results/203.0.113.10/2026-03-01T120000.000Z.json`);
});
