import { DEFAULT_DETECTOR, ScanDetector } from "../../../functions/core/detector";
import {
  HTTP_FAILURE_STATUSES,
  httpFlowRecord,
  httpOutcome,
  httpTargetPort,
  isScannerRequest,
  isUncountedPath,
  normalizeHttpHost,
  normalizeHttpPath,
  type HttpRequestRecord,
} from "../../../functions/core/http-scan";
import { SCANNER_AGENTS, scannerAgent } from "../../../functions/core/scanner-agents";
import type { Detection } from "../../../functions/core/quarantine-types";
import { DIR_WORDLIST, SCAN_KINDS, syntheticHttpRequests, VULN_PATHS } from "../../../functions/local/synthetic-http";

const T = 1_767_261_600;
const HOST = "shop.example.com";
const SRC = "203.0.113.7";
/** httpTargetPort of "/", "/admin", "/.env". */
const PINNED = [49515, 52060, 58229];
const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

const req = (time: number, path: string, status: number, o: Partial<HttpRequestRecord> = {}): HttpRequestRecord => ({
  time,
  src: SRC,
  host: HOST,
  method: "GET",
  path,
  status,
  userAgent: CHROME,
  ...o,
});

/** Feeds requests through the real detector with the defaults; every Detection in order. */
function run(requests: readonly HttpRequestRecord[], detector = new ScanDetector(DEFAULT_DETECTOR)): Detection[] {
  const out: Detection[] = [];
  for (const r of requests) {
    const d = detector.observe(httpFlowRecord(r));
    if (d) out.push(d);
  }
  return out;
}

describe("normalizeHttpPath", () => {
  it.each([
    ["", "/"],
    ["/", "/"],
    ["/?a=1", "/"],
    ["/#top", "/"],
    ["/admin/", "/admin"],
    ["/admin//", "/admin"],
    ["//admin///login", "/admin/login"],
    ["/a/b?x=1&y=2#f", "/a/b"],
    ["/%7Euser/%41dmin", "/~user/Admin"],
    ["/a%2fb", "/a%2Fb"],
    ["/a%2Fb", "/a%2Fb"],
    ["/%e2%82%ac", "/%E2%82%AC"],
    ["/%zz/", "/%zz"],
    ["/%4", "/%4"],
    ["/Admin", "/Admin"],
    ["/../../etc/passwd", "/../../etc/passwd"],
    ["admin", "/admin"],
    ["/wp-login.php", "/wp-login.php"],
  ])("%j → %j", (raw, want) => {
    expect(normalizeHttpPath(raw)).toBe(want);
  });

  it("gives one target for the spellings of one resource, and the same port every time", () => {
    const spellings = ["/admin", "/admin/", "//admin", "/%61dmin", "/admin?x=1", "/admin#a"];
    expect(new Set(spellings.map((p) => httpFlowRecord(req(T, p, 404)).dport))).toEqual(new Set([httpTargetPort("/admin")]));
    // Pinned: stored detector states depend on them (FNV-1a 32 of the path, mod 65535, plus 1).
    expect(httpTargetPort("/")).toBe(((Math.imul(0x811c9dc5 ^ 47, 0x01000193) >>> 0) % 65535) + 1);
    expect([httpTargetPort("/"), httpTargetPort("/admin"), httpTargetPort("/.env")]).toEqual(PINNED);
  });

  it("maps paths into 1..65535", () => {
    for (const p of [...DIR_WORDLIST.map((w) => `/${w}`), ...VULN_PATHS.map(normalizeHttpPath)]) {
      const port = httpTargetPort(p);
      expect(Number.isInteger(port) && port >= 1 && port <= 65535).toBe(true);
    }
  });
});

describe("normalizeHttpHost", () => {
  it.each([
    ["Shop.Example.COM", "shop.example.com"],
    ["shop.example.com:443", "shop.example.com"],
    ["shop.example.com.", "shop.example.com"],
    ["34.120.1.2:80", "34.120.1.2"],
    ["[2001:DB8::1]:443", "[2001:db8::1]"],
    ["", "-"],
  ])("%j → %j", (raw, want) => expect(normalizeHttpHost(raw)).toBe(want));
});

describe("httpOutcome", () => {
  it("fails exactly the statuses a scanner harvests", () => {
    expect([...HTTP_FAILURE_STATUSES].sort((a, b) => a - b)).toEqual([400, 401, 403, 404, 405, 406, 410, 414, 501]);
    for (const s of HTTP_FAILURE_STATUSES) expect(httpOutcome(s, "GET", "/x")).toBe("FAIL");
  });

  it("reads 1xx-3xx and other 4xx as OK, no response, 408, 429 and 5xx but 501 as UNKNOWN", () => {
    for (const s of [101, 200, 204, 206, 301, 302, 304, 307, 308, 402, 409, 412, 415, 422]) expect(httpOutcome(s, "GET", "/x")).toBe("OK");
    for (const s of [0, 408, 429, 500, 502, 503, 504, 999]) expect(httpOutcome(s, "GET", "/x")).toBe("UNKNOWN");
  });

  it("does not count failures of paths clients fetch on their own, static assets and CORS preflights", () => {
    for (const p of ["/favicon.ico", "/robots.txt", "/sitemap.xml", "/ads.txt", "/browserconfig.xml", "/apple-touch-icon.png", "/apple-touch-icon-precomposed.png", "/apple-touch-icon-180x180.png", "/.well-known/security.txt", "/.well-known/change-password", "/static/js/app.js.map", "/img/Banner.PNG", "/fonts/x.woff2"]) {
      expect(isUncountedPath(p)).toBe(true);
      expect(httpOutcome(404, "GET", p)).toBe("UNKNOWN");
    }
    for (const p of ["/admin", "/.env", "/.git/config", "/wp-login.php", "/backup.zip", "/x/apple-touch-icon.php", "/.js", "/.well-known"]) expect(isUncountedPath(p)).toBe(false);
    expect(httpOutcome(405, "OPTIONS", "/api/v1/items")).toBe("UNKNOWN");
    expect(httpOutcome(405, "PUT", "/api/v1/items")).toBe("FAIL");
  });
});

describe("httpFlowRecord", () => {
  it("is a TCP first contact to (host, path), never a proof of address", () => {
    expect(httpFlowRecord(req(T, "/Admin/?q=1", 404, { host: "Shop.Example.com:443" }))).toEqual({
      time: T,
      src: SRC,
      dst: HOST,
      dport: httpTargetPort("/Admin"),
      proto: 6,
      outcome: "FAIL",
      scanner: false,
    });
    expect(httpFlowRecord(req(T, "/", 200))).not.toHaveProperty("proof");
  });

  it("marks a scanner's request FAIL and `scanner` whatever the response", () => {
    expect(httpFlowRecord(req(T, "/", 200, { userAgent: "sqlmap/1.8.2#stable (https://sqlmap.org)" }))).toMatchObject({ outcome: "FAIL", scanner: true });
    expect(httpFlowRecord(req(T, "/", 200, { armorScanner: true }))).toMatchObject({ outcome: "FAIL", scanner: true });
    expect(httpFlowRecord(req(T, "/", 200, { armorScanner: false }))).toMatchObject({ outcome: "OK", scanner: false });
  });
});

describe("scanner agents", () => {
  it("names every listed tool from its default user agent", () => {
    for (const a of SCANNER_AGENTS) expect(scannerAgent(a.example)?.tool).toBe(a.tool);
    expect(scannerAgent("Mozilla/5.00 (NIKTO/2.1.6)")?.tool).toBe("Nikto");
    expect(scannerAgent("Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)")?.tool).toBe("Nmap NSE");
  });

  it("lists the tools of the brief, each explained", () => {
    const tools = SCANNER_AGENTS.map((a) => a.tool);
    for (const t of ["Nikto", "sqlmap", "Nmap NSE", "masscan", "ZGrab", "Nuclei", "Gobuster", "DirBuster", "Wfuzz", "ffuf", "feroxbuster", "Acunetix", "Nessus", "OpenVAS", "WPScan", "WhatWeb"]) expect(tools).toContain(t);
    for (const a of SCANNER_AGENTS) {
      expect(a.token).toBe(a.token.toLowerCase());
      expect(a.what.length).toBeGreaterThan(10);
    }
  });

  it("leaves browsers, search engines, monitors and HTTP libraries alone", () => {
    for (const ua of [
      "",
      CHROME,
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
      "GoogleStackdriverMonitoring-UptimeChecks(https://cloud.google.com/monitoring)",
      "python-requests/2.32.3",
      "curl/8.5.0",
      "Go-http-client/2.0",
      "Feedly/1.0 (+http://www.feedly.com/fetcher.html)",
      "Mozilla/5.0 (compatible; SitemapBot/1.0; unmapped)",
    ]) {
      expect(scannerAgent(ua)).toBeUndefined();
      expect(isScannerRequest(req(T, "/", 200, { userAgent: ua }))).toBe(false);
    }
  });
});

describe("HTTP scans through ScanDetector(DEFAULT_DETECTOR)", () => {
  it("flags dirbusting (many distinct 404 paths) at the 4th miss, with a browser's user agent", () => {
    const rs = [req(T, "/", 200), ...DIR_WORDLIST.slice(0, 50).map((w, i) => req(T + 1 + i * 0.05, `/${w}`, 404))];
    const d = run(rs);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ src: SRC, reason: "trw", probes: 4, failures: 4, withheld: false });
  });

  it("flags dirbusting mixed with finds by the distinct-paths counter (vertical: 15 failed paths on one host)", () => {
    // Every other guess exists: the random walk stays low; 15 distinct failed paths within 5 minutes decide.
    const rs: HttpRequestRecord[] = [];
    for (let i = 0; i < 40; i++) rs.push(req(T + i, i % 2 === 0 ? `/found-${i}` : `/missing-${i}`, i % 2 === 0 ? 200 : 404));
    const d = run(rs.slice(1));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ reason: "vertical", failures: 15, withheld: false });
  });

  it("flags a vulnerability scanner's path set", () => {
    const d = run(VULN_PATHS.map((p, i) => req(T + i, p, 404, { userAgent: "" })));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ reason: "trw", probes: 4, failures: 4 });
  });

  it("flags /wp-login.php, /.env, /.git/config, /phpmyadmin/, /admin, /cgi-bin/ (403) at the 4th", () => {
    const paths: [string, number][] = [["/wp-login.php", 404], ["/.env", 404], ["/.git/config", 403], ["/phpmyadmin/", 404], ["/admin", 401], ["/cgi-bin/test-cgi", 403]];
    const d = run(paths.map(([p, s], i) => req(T + i * 10, p, s)));
    expect(d.map((x) => [x.reason, x.probes])).toEqual([["trw", 4]]);
  });

  it("flags a slow crawl of missing paths, one every 40 minutes (beyond idleMinutes): the slow test at the 6th", () => {
    const rs = VULN_PATHS.slice(0, 10).map((p, i) => req(T + i * 2400, p, 404));
    const d = run(rs);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ reason: "slow", time: T + 5 * 2400, withheld: false });
  });

  it("flags a slow crawl of missing paths one every 3 minutes by the random walk", () => {
    const d = run(VULN_PATHS.slice(0, 10).map((p, i) => req(T + i * 180, p, 404)));
    expect(d.map((x) => [x.reason, x.time])).toEqual([["trw", T + 3 * 180]]);
  });

  it("flags a scanner's user agent on its first request, whatever the response", () => {
    const d = run([req(T, "/", 200, { userAgent: "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000001)" }), req(T + 1, "/robots.txt", 200, { userAgent: "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)" })]);
    expect(d).toEqual([{ src: SRC, time: T, reason: "agent", probes: 1, failures: 1, withheld: false }]);
  });

  it("flags Cloud Armor's scanner detection (preview) on a browser user agent", () => {
    const d = run([req(T, "/", 200), req(T + 1, "/about", 200, { armorScanner: true })]);
    expect(d).toEqual([{ src: SRC, time: T + 1, reason: "agent", probes: 1, failures: 1, withheld: false }]);
  });

  it("flags an agent after earlier misses too, and never an allow-listed source", () => {
    const d = run([req(T, "/missing", 404), req(T + 1, "/x", 404, { userAgent: "gobuster/3.6" })]);
    expect(d.map((x) => [x.reason, x.probes, x.failures])).toEqual([["agent", 2, 2]]);
    const allowed = new ScanDetector({ ...DEFAULT_DETECTOR, allowCidrs: ["203.0.113.0/24"] });
    expect(run([req(T, "/", 200, { userAgent: "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)" }), ...VULN_PATHS.map((p, i) => req(T + i, p, 404))], allowed)).toEqual([]);
  });

  it("does not withhold a visitor of more than an hour that starts dirbusting: HTTP failures are not forgeable", () => {
    const rs: HttpRequestRecord[] = [];
    for (let i = 0; i < 20; i++) rs.push(req(T + i * 300, i % 2 ? "/" : "/about", 200));
    const at = T + 20 * 300;
    DIR_WORDLIST.slice(0, 10).forEach((w, i) => rs.push(req(at + i, `/${w}`, 404)));
    const detector = new ScanDetector(DEFAULT_DETECTOR);
    const d = run(rs, detector);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ reason: "trw", withheld: false });
    expect(detector.stats.proofs).toBe(0);
    expect(detector.clients).toBe(0);
  });
});

describe("benign browsing is never flagged", () => {
  const page = (t: number, path: string, cached = false): HttpRequestRecord[] => [
    req(t, path, 200),
    ...(cached ? [] : ["/static/css/site.css", "/static/js/app.js", "/static/js/vendor.js", "/static/img/logo.svg", "/static/fonts/inter.woff2"].map((a) => req(t + 1, a, 200))),
  ];

  it("a page with its assets, then more pages", () => {
    const detector = new ScanDetector(DEFAULT_DETECTOR);
    expect(run([...page(T, "/"), ...page(T + 30, "/pricing", true), ...page(T + 90, "/blog/post-3", true)], detector)).toEqual([]);
    expect(detector.size).toBe(0);
  });

  it("a missing favicon.ico (404), touch icons, source maps and broken images", () => {
    const rs = [
      ...page(T, "/"),
      req(T + 1, "/favicon.ico", 404),
      req(T + 1, "/apple-touch-icon-precomposed.png", 404),
      req(T + 1, "/apple-touch-icon.png", 404),
      req(T + 2, "/static/js/app.js.map", 404),
      req(T + 2, "/static/js/vendor.js.map", 404),
      req(T + 3, "/static/img/old-chart.png", 404),
      req(T + 3, "/static/img/old-photo.jpg", 404),
      req(T + 3, "/static/img/banner.gif", 404),
      ...page(T + 60, "/about", true),
      req(T + 61, "/favicon.ico", 404),
    ];
    expect(run(rs)).toEqual([]);
  });

  it("a bot reading robots.txt (missing or not), a missing sitemap, then pages", () => {
    const bot = { userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" };
    const rs = [req(T, "/robots.txt", 404, bot), req(T + 1, "/sitemap.xml", 404, bot), req(T + 2, "/.well-known/security.txt", 404, bot), ...["/", "/about", "/blog"].map((p, i) => req(T + 60 * (i + 1), p, 200, bot))];
    expect(run(rs)).toEqual([]);
  });

  it("a 404 page revisited, and a second guess at its URL", () => {
    const rs = [
      ...page(T, "/blog/2019/3/old-announcement").map((r, i) => (i === 0 ? { ...r, status: 404 } : r)),
      req(T + 1, "/favicon.ico", 404),
      req(T + 5, "/blog/2019/3/old-announcement", 404),
      req(T + 9, "/blog/2019/3/old-announcement/", 404),
      req(T + 15, "/blog/2019/3/old-announcement?utm_source=x", 404),
      req(T + 20, "/blog/2019/3", 404),
      ...page(T + 30, "/", true),
    ];
    expect(run(rs)).toEqual([]);
  });

  it("a slow crawl of existing pages over a day, with a few stale URLs", () => {
    const rs: HttpRequestRecord[] = [];
    for (let i = 0; i < 300; i++) rs.push(req(T + i * 290, i % 50 === 7 ? `/blog/post-${1000 + i}` : `/blog/post-${(i % 40) + 1}`, i % 50 === 7 ? 404 : 200));
    expect(run(rs)).toEqual([]);
  });

  it("an API client paging with query strings, CORS preflights refused", () => {
    const rs: HttpRequestRecord[] = [];
    for (let i = 1; i <= 30; i++) {
      rs.push(req(T + i, `/api/v1/items?page=${i}`, 200, { userAgent: "python-requests/2.32.3" }));
      rs.push(req(T + i, `/api/v1/items/${i}`, 405, { method: "OPTIONS" }));
    }
    expect(run(rs)).toEqual([]);
  });

  it("the synthetic benign sessions of every kind over a day; every synthetic scan kind is flagged", () => {
    const scanners = Object.fromEntries(SCAN_KINDS.map((k) => [k, 3]));
    const { records, sources } = syntheticHttpRequests({ seed: 17, start: T, hours: 24, benignSessions: 1500, scanners });
    const detector = new ScanDetector(DEFAULT_DETECTOR);
    const flagged = new Map(run(records, detector).map((d) => [d.src, d]));
    const benign = sources.filter((s) => !s.scanner);
    expect(new Set(benign.map((s) => s.kind)).size).toBe(8);
    expect(benign.filter((s) => flagged.has(s.src)).map((s) => s.kind)).toEqual([]);
    const reasons = Object.fromEntries(SCAN_KINDS.map((k) => [k, [...new Set(sources.filter((s) => s.kind === k).map((s) => flagged.get(s.src)?.reason ?? "missed"))]]));
    expect(reasons).toEqual({
      dirbuster: ["trw"],
      gobuster: ["agent"],
      "vuln-paths": ["trw"],
      nikto: ["agent"],
      wpscan: ["agent"],
      armor: ["agent"],
      "slow-crawl": ["slow"],
      "patient-crawl": ["trw"],
      "browse-then-scan": ["trw"],
    });
    expect([...flagged.values()].every((d) => !d.withheld)).toBe(true);
  });
});
