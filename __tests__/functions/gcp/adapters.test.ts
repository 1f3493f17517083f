/**
 * The GCP adapters on their own: the GCS JsonStore's generation preconditions, Secret Manager's
 * outcomes, and the alert entry format the construct's log-based policy matches.
 */
import { NO_SECRET_VERSION } from "../../../functions/core/lookup";
import { gcsJsonStore } from "../../../functions/gcp/gcs-store";
import { ALERT_LABEL_EXTRACTORS, ALERT_LOG_FIELDS, ALERT_LOG_FILTER, ALERT_TEXT_MAX, alertLogFilter, alertText, logAlertSender, structuredLog } from "../../../functions/gcp/log";
import { secretManagerApiKey } from "../../../functions/gcp/secret-manager";
import { fakeBucket, fakeSecrets, googleError, SECRET } from "./fakes";

describe("GCS JsonStore", () => {
  test("missing is exists:false; a write reads back with its generation as the etag; url is gs://", async () => {
    const b = fakeBucket();
    const store = gcsJsonStore(b.bucket);
    expect(await store.get("latest/x.json")).toEqual({ exists: false });
    await store.put("latest/x.json", { a: 1 });
    expect(await store.get("latest/x.json")).toEqual({ exists: true, value: { a: 1 }, etag: "1001" });
    expect(store.url("latest/x.json")).toBe("gs://lure-test-results/latest/x.json");
  });

  test("create-if-absent is ifGenerationMatch 0: the second writer gets written:false (412)", async () => {
    const store = gcsJsonStore(fakeBucket().bucket);
    expect(await store.putIf("state/m.json", { n: 1 }, { ifNoneMatch: "*" })).toEqual({ written: true, etag: "1001" });
    expect(await store.putIf("state/m.json", { n: 2 }, { ifNoneMatch: "*" })).toEqual({ written: false });
  });

  test("replace is ifGenerationMatch of the generation read; a stale generation or a missing object is written:false", async () => {
    const b = fakeBucket();
    const store = gcsJsonStore(b.bucket);
    await store.put("state/m.json", { n: 1 });
    expect(await store.putIf("state/m.json", { n: 2 }, { ifMatch: "1001" })).toEqual({ written: true, etag: "1002" });
    expect(await store.putIf("state/m.json", { n: 3 }, { ifMatch: "1001" })).toEqual({ written: false });
    expect(await store.putIf("state/gone.json", { n: 3 }, { ifMatch: "1001" })).toEqual({ written: false });
    expect(b.json("state/m.json")).toEqual({ n: 2 });
  });

  test("deleteIf only the generation read; delete of a missing object is fine", async () => {
    const store = gcsJsonStore(fakeBucket().bucket);
    await store.put("state/m.json", {});
    expect(await store.deleteIf("state/m.json", "999")).toBe(false);
    expect(await store.deleteIf("state/m.json", "1001")).toBe(true);
    expect(await store.deleteIf("state/m.json", "1001")).toBe(false);
    await expect(store.delete("state/m.json")).resolves.toBeUndefined();
  });

  test("an object replaced between metadata and content is read again, value and generation together", async () => {
    const b = fakeBucket();
    const store = gcsJsonStore(b.bucket);
    await store.put("latest/x.json", { v: 1 });
    let once = true;
    b.setBetweenReads(() => {
      if (!once) return;
      once = false;
      void store.put("latest/x.json", { v: 2 });
    });
    expect(await store.get("latest/x.json")).toEqual({ exists: true, value: { v: 2 }, etag: "1002" });
  });

  test("a non-JSON object is value undefined; 403 rejects (a deployment fault, not 'missing')", async () => {
    const b = fakeBucket();
    const store = gcsJsonStore(b.bucket);
    b.objects.set("latest/x.json", { body: "not json", generation: 7 });
    expect(await store.get("latest/x.json")).toEqual({ exists: true, value: undefined, etag: "7" });
    b.failNext("meta", "latest/", googleError(403, "lure-fn does not have storage.objects.get access"));
    await expect(store.get("latest/x.json")).rejects.toThrow("storage.objects.get");
    b.failNext("put", "state/", googleError(403, "denied"));
    await expect(store.putIf("state/m.json", {}, { ifNoneMatch: "*" })).rejects.toThrow("denied");
  });
});

describe("Secret Manager API key", () => {
  test("the latest version's value, trimmed, and its version number", async () => {
    const s = fakeSecrets();
    expect(await secretManagerApiKey(s.secrets, SECRET)).toEqual({ kind: "key", key: "SHODANKEYf3a9c1d2e8b7a6c5d4e3f2a1", version: "1" });
  });

  test.each([
    ["NOT_FOUND (no secret or no version)", googleError(5, "not found")],
    ["FAILED_PRECONDITION (latest version disabled)", googleError(9, "is in DISABLED state")],
  ])("%s is missing", async (_n, err) => {
    const s = fakeSecrets();
    s.state.error = err;
    expect(await secretManagerApiKey(s.secrets, SECRET)).toEqual({ kind: "missing", version: NO_SECRET_VERSION });
  });

  test("the client failing to start (no credentials) rejects before any call, so it is retried, not a crash", async () => {
    const s = fakeSecrets();
    s.state.initFailure = new Error("Could not load the default credentials.");
    await expect(secretManagerApiKey(s.secrets, SECRET)).rejects.toThrow("default credentials");
  });

  test("an empty value is missing with its version; PERMISSION_DENIED rejects", async () => {
    const s = fakeSecrets();
    s.state.value = " \n";
    s.state.version = 4;
    expect(await secretManagerApiKey(s.secrets, SECRET)).toEqual({ kind: "missing", version: "4" });
    s.state.error = googleError(7, "denied");
    await expect(secretManagerApiKey(s.secrets, SECRET)).rejects.toThrow("denied");
  });
});

describe("alert entries and log lines", () => {
  test("one JSON line per alert: severity, message = subject, event lure-alert, subject, body, and the body again as the e-mail's text", async () => {
    const lines: string[] = [];
    await logAlertSender((l) => lines.push(l), "ERROR")({ subject: "[lure] s", body: "line 1\nline 2" });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual({ severity: "ERROR", message: "[lure] s", event: "lure-alert", subject: "[lure] s", body: "line 1\nline 2", text: "line 1\nline 2" });
    expect(ALERT_LOG_FIELDS).toEqual({ event: "event", subject: "subject", body: "body", text: "text" });
  });

  test("a body longer than an extracted label keeps is cut in the text, visibly, and kept whole in body", async () => {
    const lines: string[] = [];
    const long = `${"203.0.113.7: not queued (UNAVAILABLE)\n".repeat(60)}end`;
    await logAlertSender((l) => lines.push(l))({ subject: "[lure] cycle", body: long });
    const entry = JSON.parse(lines[0]) as { body: string; text: string };
    expect(entry.body).toBe(long);
    expect(entry.text).toHaveLength(ALERT_TEXT_MAX);
    expect(entry.text.startsWith(long.slice(0, 500))).toBe(true);
    expect(entry.text).toMatch(/… \(cut: the whole text is this log entry's jsonPayload\.body; see the output watcher_logs\)$/);
    expect(alertText("x".repeat(ALERT_TEXT_MAX))).toBe("x".repeat(ALERT_TEXT_MAX));
  });

  test("a failing write rejects the alert but not a log line", async () => {
    const broken = () => {
      throw new Error("EPIPE");
    };
    await expect(logAlertSender(broken)({ subject: "s", body: "b" })).rejects.toThrow("EPIPE");
    expect(() => structuredLog(broken)("info", "x")).not.toThrow();
  });

  test("the policy filter, alone or narrowed to the functions' services", () => {
    expect(ALERT_LOG_FILTER).toBe('jsonPayload.event="lure-alert"');
    expect(ALERT_LABEL_EXTRACTORS).toEqual({ subject: "EXTRACT(jsonPayload.subject)", text: "EXTRACT(jsonPayload.text)" });
    expect(alertLogFilter(["lure-list-ips", "lure-lookup"])).toBe(
      'resource.type="cloud_run_revision" AND resource.labels.service_name=("lure-list-ips" OR "lure-lookup") AND jsonPayload.event="lure-alert"',
    );
  });
});
