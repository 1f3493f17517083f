import {
  emptyGcpLbParseStats,
  gcpRemoteAddress,
  GcpLbStream,
  parseGcpLbEntry,
  parseGcpLbText,
  rfc3339Seconds,
  type GcpLbParseOptions,
  type GcpLbParseStats,
} from "../../../functions/core/gcp-lb-log";
import type { HttpRequestRecord } from "../../../functions/core/http-scan";
import { emptyParseStats } from "../../../functions/core/quarantine-types";
import { formatGcpLbLines, gcpLbLogEntry, syntheticHttpRequests } from "../../../functions/local/synthetic-http";

const T = 1_767_261_600; // 2026-01-01T10:00:00Z

/** A LogEntry of the global external Application Load Balancer, as Cloud Logging delivers it. */
function entry(o: { remoteIp?: unknown; url?: unknown; status?: unknown; method?: unknown; ua?: unknown; timestamp?: unknown; rule?: string; project?: string; type?: string; payload?: Record<string, unknown> } = {}): Record<string, unknown> {
  const httpRequest: Record<string, unknown> = {
    requestMethod: "method" in o ? o.method : "GET",
    requestUrl: "url" in o ? o.url : "https://shop.example.com/wp-login.php?redirect_to=%2F",
    requestSize: "412",
    status: "status" in o ? o.status : 404,
    responseSize: "1234",
    userAgent: "ua" in o ? o.ua : "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    remoteIp: "remoteIp" in o ? o.remoteIp : "203.0.113.9",
    serverIp: "10.154.0.5",
    latency: "0.012345s",
    protocol: "HTTP/1.1",
  };
  for (const k of Object.keys(httpRequest)) if (httpRequest[k] === undefined) delete httpRequest[k];
  return {
    insertId: "1a2b3c4d",
    jsonPayload: {
      "@type": "type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry",
      statusDetails: "response_sent_by_backend",
      enforcedSecurityPolicy: { name: "lure-quarantine", priority: 2147483647, configuredAction: "ALLOW", outcome: "ACCEPT" },
      ...o.payload,
    },
    httpRequest,
    resource: {
      type: o.type ?? "http_load_balancer",
      labels: { project_id: o.project ?? "lure-demo", zone: "global", forwarding_rule_name: o.rule ?? "lure-demo-https", url_map_name: "lure-demo", target_proxy_name: "lure-demo-https", backend_service_name: "lure-demo-router" },
    },
    timestamp: "timestamp" in o ? o.timestamp : "2026-01-01T10:00:00.123456789Z",
    severity: "INFO",
    logName: "projects/lure-demo/logs/requests",
    receiveTimestamp: "2026-01-01T10:00:02.5Z",
  };
}

const WANT: HttpRequestRecord = { time: T, src: "203.0.113.9", host: "shop.example.com", method: "GET", path: "/wp-login.php?redirect_to=%2F", status: 404, userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", armorScanner: false };

function parseAll(text: string, options?: GcpLbParseOptions): { records: HttpRequestRecord[]; stats: GcpLbParseStats } {
  const stats = emptyGcpLbParseStats();
  const records: HttpRequestRecord[] = [];
  parseGcpLbText(text, (r) => records.push(r), stats, options);
  return { records, stats };
}

describe("parseGcpLbEntry", () => {
  it("reads time, client, host, path and query, method, status and user agent", () => {
    const stats = emptyGcpLbParseStats();
    expect(parseGcpLbEntry(entry(), stats)).toEqual(WANT);
    expect(stats).toEqual({ ...emptyParseStats(), lines: 1, records: 1, otherForwardingRule: 0 });
  });

  it("takes any RFC 3339 fraction and offset, floored to the second", () => {
    expect(rfc3339Seconds("2026-01-01T10:00:00Z")).toBe(T);
    expect(rfc3339Seconds("2026-01-01T10:00:00.999999999Z")).toBe(T);
    expect(rfc3339Seconds("2026-01-01T11:30:05+01:30")).toBe(T + 5);
    expect(rfc3339Seconds("2026-01-01T08:00:00-02:00")).toBe(T);
    expect(rfc3339Seconds("2026-01-01t10:00:00z")).toBe(T);
    for (const bad of ["", "2026-01-01", "2026-01-01T10:00:00", "2026-13-01T10:00:00Z", "2026-01-01T10:00:00.Z", "2026-01-01T10:00:00+0100", "1767261600"]) expect(rfc3339Seconds(bad)).toBeNaN();
    const stats = emptyGcpLbParseStats();
    expect(parseGcpLbEntry(entry({ timestamp: "2026-01-01T10:00:59.5+00:00" }), stats)?.time).toBe(T + 59);
  });

  it("reads IPv6 clients in RFC 5952 form, and strips a port", () => {
    expect(gcpRemoteAddress("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(gcpRemoteAddress("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(gcpRemoteAddress("2001:0db8:0000:0000:0000:ff00:0042:8329")).toBe("2001:db8::ff00:42:8329");
    expect(gcpRemoteAddress("[2001:db8::1]:443")).toBe("2001:db8::1");
    expect(gcpRemoteAddress("[2001:db8::1]")).toBe("2001:db8::1");
    expect(gcpRemoteAddress("::")).toBe("::");
    expect(gcpRemoteAddress("::ffff:192.0.2.1")).toBe("::ffff:c000:201");
    expect(gcpRemoteAddress("203.0.113.9:51234")).toBe("203.0.113.9");
    for (const bad of ["", "203.0.113", "203.0.113.9:", "203.0.113.9:x", "[2001:db8::1", "[2001:db8::1]x", "example.com", "2001:db8::g"]) expect(gcpRemoteAddress(bad)).toBeUndefined();
    const stats = emptyGcpLbParseStats();
    expect(parseGcpLbEntry(entry({ remoteIp: "2001:DB8::0:7" }), stats)?.src).toBe("2001:db8::7");
  });

  it("reads the URL forms: host with port or userinfo, no path, a bare path", () => {
    const read = (url: string) => {
      const r = parseGcpLbEntry(entry({ url }), emptyGcpLbParseStats());
      return r && [r.host, r.path];
    };
    expect(read("http://34.120.1.2")).toEqual(["34.120.1.2", "/"]);
    expect(read("http://34.120.1.2:80?x=1")).toEqual(["34.120.1.2:80", "/?x=1"]);
    expect(read("https://user:pw@Shop.Example.com/a#b")).toEqual(["Shop.Example.com", "/a#b"]);
    expect(read("/only/a/path")).toEqual(["", "/only/a/path"]);
    expect(read("https://[2001:db8::1]:8443/x")).toEqual(["[2001:db8::1]:8443", "/x"]);
  });

  it("reads a missing status as 0 (no response), a numeric string as the number, and absent method or user agent as empty", () => {
    const r = parseGcpLbEntry(entry({ status: undefined, method: undefined, ua: undefined }), emptyGcpLbParseStats());
    expect(r).toMatchObject({ status: 0, method: "", userAgent: "" });
    expect(parseGcpLbEntry(entry({ status: "403" }), emptyGcpLbParseStats())?.status).toBe(403);
  });

  it("sets armorScanner when a sensitivity-1 scanner-detection signature matched, enforced or in preview, and not for the paranoia-2 ones", () => {
    const ids = { preconfiguredExprIds: ["owasp-crs-v030301-id913100-scannerdetection"] };
    const preview = { name: "lure-quarantine", priority: 900, configuredAction: "DENY", outcome: "DENY", ...ids };
    expect(parseGcpLbEntry(entry({ payload: { previewSecurityPolicy: preview } }), emptyGcpLbParseStats())?.armorScanner).toBe(true);
    expect(parseGcpLbEntry(entry({ payload: { enforcedSecurityPolicy: { name: "p", outcome: "DENY", ...ids } } }), emptyGcpLbParseStats())?.armorScanner).toBe(true);
    expect(parseGcpLbEntry(entry({ payload: { previewSecurityPolicy: { ...preview, preconfiguredExprIds: ["owasp-crs-v030301-id942100-sqli"] } } }), emptyGcpLbParseStats())?.armorScanner).toBe(false);
    // Paranoia-2 signatures match scripting clients (913101) and SEO crawlers (913102): not scanners.
    for (const id of ["owasp-crs-v030301-id913101-scannerdetection", "owasp-crs-v030301-id913102-scannerdetection"]) {
      expect(parseGcpLbEntry(entry({ payload: { previewSecurityPolicy: { ...preview, preconfiguredExprIds: [id] } } }), emptyGcpLbParseStats())?.armorScanner).toBe(false);
    }
    for (const id of ["owasp-crs-v030301-id913110-scannerdetection", "owasp-crs-v030301-id913120-scannerdetection"]) {
      expect(parseGcpLbEntry(entry({ payload: { previewSecurityPolicy: { ...preview, preconfiguredExprIds: [id] } } }), emptyGcpLbParseStats())?.armorScanner).toBe(true);
    }
    const noPayload = entry();
    delete noPayload.jsonPayload;
    expect(parseGcpLbEntry(noPayload, emptyGcpLbParseStats())?.armorScanner).toBe(false);
  });

  it("counts malformed entries, never throws", () => {
    const bad: unknown[] = [
      null,
      42,
      "text",
      [entry()],
      {},
      { resource: {} },
      { ...entry(), httpRequest: undefined },
      { ...entry(), httpRequest: "GET /" },
      entry({ remoteIp: "not-an-ip" }),
      entry({ remoteIp: 12 }),
      entry({ timestamp: "yesterday" }),
      entry({ timestamp: undefined }),
      entry({ url: "shop.example.com/x" }),
      entry({ url: undefined }),
      entry({ status: 4040 }),
      entry({ status: 404.5 }),
      entry({ status: "404 Not Found" }),
      entry({ status: -1 }),
    ];
    const stats = emptyGcpLbParseStats();
    for (const e of bad) expect(parseGcpLbEntry(e, stats)).toBeUndefined();
    expect(stats).toEqual({ ...emptyParseStats(), lines: bad.length, malformed: bad.length, otherForwardingRule: 0 });
  });

  it("ignores other resource types and, with the filter, other forwarding rules", () => {
    const stats = emptyGcpLbParseStats();
    expect(parseGcpLbEntry(entry({ type: "cloud_run_revision" }), stats)).toBeUndefined();
    const rule = { forwardingRule: "projects/lure-demo/global/forwardingRules/lure-demo-https" };
    expect(parseGcpLbEntry(entry({ rule: "someone-else" }), stats, rule)).toBeUndefined();
    expect(parseGcpLbEntry(entry({ project: "other-project" }), stats, rule)).toBeUndefined();
    expect(parseGcpLbEntry(entry(), stats, rule)).toEqual(WANT);
    expect(parseGcpLbEntry(entry(), stats, { forwardingRule: "lure-demo-https" })).toEqual(WANT);
    expect(parseGcpLbEntry(entry({ rule: "someone-else" }), stats, { forwardingRule: "lure-demo-https" })).toBeUndefined();
    // Without the filter every rule's entries are read.
    expect(parseGcpLbEntry(entry({ rule: "someone-else" }), stats)).toEqual(WANT);
    expect(stats).toEqual({ ...emptyParseStats(), lines: 7, records: 3, ignored: 4, otherForwardingRule: 3 });
    // A plain ParseStats is counted too (ignored only).
    const plain = emptyParseStats();
    parseGcpLbEntry(entry({ rule: "x" }), plain, rule);
    expect(plain).toEqual({ ...emptyParseStats(), lines: 1, ignored: 1 });
  });
});

describe("parseGcpLbText", () => {
  const entries = [entry(), entry({ remoteIp: "2001:db8::5", url: "https://shop.example.com/", status: 200 }), entry({ type: "gce_instance" }), entry({ rule: "other", url: "https://shop.example.com/.env" })];
  const want = (rs: HttpRequestRecord[]) => expect(rs.map((r) => [r.src, r.path, r.status])).toEqual([["203.0.113.9", "/wp-login.php?redirect_to=%2F", 404], ["2001:db8::5", "/", 200], ["203.0.113.9", "/.env", 404]]);

  it("reads one LogEntry per line (a sink) and a JSON array (gcloud logging read --format=json) alike", () => {
    const lines = parseAll(entries.map((e) => JSON.stringify(e)).join("\n") + "\n");
    const array = parseAll(JSON.stringify(entries, null, 2));
    const compact = parseAll(JSON.stringify(entries));
    want(lines.records);
    expect(array).toEqual(lines);
    expect(compact).toEqual(lines);
    expect(lines.stats).toEqual({ ...emptyParseStats(), lines: 4, records: 3, ignored: 1, otherForwardingRule: 0 });
  });

  it("reads pretty-printed entries one after another, and CRLF lines, blank lines and a BOM", () => {
    want(parseAll(entries.map((e) => JSON.stringify(e, null, 2)).join("\n")).records);
    const crlf = parseAll("\ufeff\r\n" + entries.map((e) => JSON.stringify(e)).join("\r\n\r\n"));
    want(crlf.records);
    expect(crlf.stats.lines).toBe(4);
  });

  it("applies the forwarding-rule filter", () => {
    const r = parseAll(entries.map((e) => JSON.stringify(e)).join("\n"), { forwardingRule: "lure-demo-https" });
    expect(r.records).toHaveLength(2);
    expect(r.stats).toMatchObject({ lines: 4, records: 2, ignored: 2, otherForwardingRule: 1 });
  });

  it("counts lines that are not JSON, and entries that are malformed, and goes on", () => {
    const text = ["not json", JSON.stringify(entry()), '{"truncated": ', JSON.stringify(entry({ remoteIp: "x" })), "42", JSON.stringify(entry({ status: 200 }))].join("\n");
    const r = parseAll(text);
    expect(r.records.map((x) => x.status)).toEqual([404, 200]);
    expect(r.stats).toMatchObject({ lines: 6, records: 2, malformed: 4 });
  });

  it("reads on after a first line cut short", () => {
    const good = JSON.stringify(entry());
    const r = parseAll([good.slice(0, 100), good, good].join("\n"));
    expect(r.records).toHaveLength(2);
    expect(r.stats).toMatchObject({ lines: 3, records: 2, malformed: 1 });
  });

  it("counts an unfinished array or entry at the end, and stray values in an array", () => {
    const cut = JSON.stringify([entry(), entry()]);
    const r = parseAll(cut.slice(0, cut.length - 40));
    expect(r.records).toHaveLength(1);
    expect(r.stats).toMatchObject({ lines: 2, records: 1, malformed: 1 });
    const stray = parseAll(`[${JSON.stringify(entry())}, 42, "x", ${JSON.stringify(entry())}]`);
    expect(stray.records).toHaveLength(2);
    expect(stray.stats).toMatchObject({ lines: 4, records: 2, malformed: 2 });
    expect(parseAll("")).toEqual({ records: [], stats: emptyGcpLbParseStats() });
    expect(parseAll("[]")).toEqual({ records: [], stats: emptyGcpLbParseStats() });
  });

  it("keeps braces and brackets inside strings out of the cutting", () => {
    const tricky = entry({ url: 'https://shop.example.com/a}]{["\\', ua: 'x"}]}\\' });
    const r = parseAll(JSON.stringify([tricky, entry()], null, 1));
    expect(r.records.map((x) => x.path)).toEqual(['/a}]{["\\', "/wp-login.php?redirect_to=%2F"]);
    expect(r.records[0].userAgent).toBe('x"}]}\\');
  });

  it("gives the same records and entry numbers however the text is cut into chunks", () => {
    const { records } = syntheticHttpRequests({ seed: 3, start: T, hours: 1, benignSessions: 20, scanners: { nikto: 1, armor: 1 } });
    const text = formatGcpLbLines(records);
    const array = JSON.stringify(records.map((r, i) => gcpLbLogEntry(r, i)), null, 2);
    for (const t of [text, array]) {
      const whole = parseAll(t);
      expect(whole.records).toEqual(records.map((r) => ({ ...r, armorScanner: r.armorScanner === true })));
      for (const size of [1, 7, 100, 4096]) {
        const stats = emptyGcpLbParseStats();
        const got: [number, HttpRequestRecord][] = [];
        const stream = new GcpLbStream((r, n) => got.push([n, r]), stats);
        for (let i = 0; i < t.length; i += size) stream.push(t.slice(i, i + size));
        stream.end();
        expect(stats).toEqual(whole.stats);
        expect(got.map(([, r]) => r)).toEqual(whole.records);
        expect(got.map(([n]) => n)).toEqual(whole.records.map((_, i) => i + 1));
      }
    }
  });
});
