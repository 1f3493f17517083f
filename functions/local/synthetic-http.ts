/**
 * A seeded synthetic HTTP request generator: benign sessions and web scans against one small site,
 * as {@link HttpRequestRecord}s (what `../core/gcp-lb-log.ts` reads out of a load balancer's log),
 * and their Google Cloud load-balancer LogEntries. For the HTTP detector's tests, its benchmark rows
 * (bench/detector.ts) and the `lure simulate --format gcp-lb` fixture. Same options, same output:
 * every random choice comes from `rng(seed)`. Nothing here was taken from real traffic.
 *
 * ```ts
 * const { records, sources } = syntheticHttpRequests({ seed: 7, start: 1_767_261_600, hours: 6, benignSessions: 200, scanners: { dirbuster: 1 } });
 * writeFileSync("requests.jsonl", formatGcpLbLines(records));
 * ```
 *
 * **The site** ({@link SITE_HOST}): a small blog/product site with pages (`/`, `/about`, `/blog`,
 * `/blog/post-1`…, `/docs/...`), shared assets under `/static/`, no favicon (so every browser's
 * `/favicon.ico` is a 404), a `/robots.txt`, no sitemap, a JSON API under `/api/v1/` and a health
 * endpoint.
 *
 * **Benign sessions** are modelled on the shape of public web-server access logs (the Common/Combined
 * Log Format traces of the Internet Traffic Archive, e.g. NASA-HTTP and ClarkNet, and any small
 * site's nginx log): a visit is a page and the assets it embeds, fetched within a second, then a few
 * more pages after human think times, with cached assets not fetched again; returning visitors
 * revalidate (304); 404s are rare and mostly for what browsers and bots ask for on their own
 * (favicon, touch icons, robots.txt, source maps) or for an old inbound link, sometimes reloaded.
 * Kinds ({@link BenignKind}): `visitor`, `returning` (304s), `broken-page` (a page whose images are
 * missing), `dead-link` (lands on a 404 page and reloads it), `crawler` (a search engine's bot:
 * robots.txt first, then pages a minute or two apart for hours, a few stale URLs), `monitor` (an
 * uptime check every minute), `api` (a JSON client, paging with query strings), `feed` (a feed
 * reader polling every 30 minutes).
 *
 * **Scanning sessions** are modelled on the tools' documentation and default behaviour
 * ({@link ScanKind}): `dirbuster` (dirb/gobuster style: a wordlist of common directory and file
 * names, about 20 requests/s, a browser user agent as dirb sends by default), `gobuster` (the same
 * with gobuster's own user agent), `vuln-paths` (an exploit bot's fixed path set: `/wp-login.php`,
 * `/.env`, `/.git/config`, `/phpmyadmin/`, `/cgi-bin/...`; a generic user agent), `nikto` (Nikto's
 * checks with its user agent), `wpscan` (WPScan's plugin enumeration with its user agent), `armor`
 * (a scanner that hides its user agent but Cloud Armor's scanner-detection rule matches, in
 * preview), `slow-crawl` (a missing path every 40 minutes for 8 hours: longer gaps than the
 * detector's idle timeout), `patient-crawl` (a missing path every 3 minutes), `browse-then-scan`
 * (an hour of normal browsing, then a vulnerability path set: must not be withheld as an
 * established client).
 *
 * Addresses: benign clients from a public-looking IPv4 pool (11.0.0.0–126.255.255.255) and one in
 * ten from 2001:db8::/32 (documentation); scanners from 203.0.113.0/24, 198.51.100.0/24 and
 * 192.0.2.0/24 (documentation). Each session has its own address.
 */
import type { HttpRequestRecord } from "../core/http-scan";
import { SCANNER_AGENTS } from "../core/scanner-agents";
import { rng } from "./synthetic";

export const SITE_HOST = "shop.example.com";

export type BenignKind = "visitor" | "returning" | "broken-page" | "dead-link" | "crawler" | "monitor" | "api" | "feed";
export type ScanKind = "dirbuster" | "gobuster" | "vuln-paths" | "nikto" | "wpscan" | "armor" | "slow-crawl" | "patient-crawl" | "browse-then-scan";

export const BENIGN_KINDS: readonly BenignKind[] = ["visitor", "returning", "broken-page", "dead-link", "crawler", "monitor", "api", "feed"];
export const SCAN_KINDS: readonly ScanKind[] = ["dirbuster", "gobuster", "vuln-paths", "nikto", "wpscan", "armor", "slow-crawl", "patient-crawl", "browse-then-scan"];

export interface SyntheticHttpOptions {
  readonly seed: number;
  /** Unix seconds of the start. */
  readonly start: number;
  /** Hours in which sessions start (a crawler or a slow scan may run past the end). @default 6 */
  readonly hours?: number;
  /** Benign sessions (kinds drawn by {@link BENIGN_SHARE}, or taken in turn from `benignMix`). @default 200 */
  readonly benignSessions?: number;
  /** The kinds of the benign sessions, in turn (session i is `benignMix[i % length]`), instead of drawing them. */
  readonly benignMix?: readonly BenignKind[];
  /** Scanning sessions per kind. @default none */
  readonly scanners?: Partial<Readonly<Record<ScanKind, number>>>;
  /** Start of every scan, seconds after `start`; absent: drawn in the first half of the hours. */
  readonly scanAt?: number;
  readonly host?: string;
}

export interface SyntheticSource {
  readonly src: string;
  readonly kind: BenignKind | ScanKind;
  readonly scanner: boolean;
  /** Requests it sent. */
  requests: number;
  /** Time of its first request (Unix seconds, floored as the records' times are). */
  first: number;
}

export interface SyntheticHttp {
  /** Every request, by time (stable: a session's requests keep their order). */
  readonly records: HttpRequestRecord[];
  /** Every session's source, in order of creation. */
  readonly sources: SyntheticSource[];
}

/** Shares of the benign kinds (sum 1). */
export const BENIGN_SHARE: Readonly<Record<BenignKind, number>> = { visitor: 0.5, returning: 0.15, "broken-page": 0.05, "dead-link": 0.05, crawler: 0.08, monitor: 0.02, api: 0.1, feed: 0.05 };

const BROWSERS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
  "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
];
const CRAWLERS = [
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
  "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
];
/** dirb's default user agent: a browser's. */
const DIRB_AGENT = "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)";
const agentOf = (tool: string): string => SCANNER_AGENTS.find((a) => a.tool === tool)!.example;

const POSTS = 40;
const PAGES: readonly string[] = ["/", "/about", "/contact", "/pricing", "/blog", "/docs", "/docs/getting-started", "/docs/api", "/login", ...Array.from({ length: POSTS }, (_, i) => `/blog/post-${i + 1}`)];
const ASSETS: readonly string[] = ["/static/css/site.css", "/static/js/app.js", "/static/js/vendor.js", "/static/img/logo.svg", "/static/fonts/inter.woff2"];
const EXISTING = new Set<string>([...PAGES, ...ASSETS, "/robots.txt", "/feed.xml", "/healthz", "/api/v1/items", "/static", "/blog/", "/docs/"]);
for (let i = 1; i <= POSTS; i++) EXISTING.add(`/static/img/post-${i}.jpg`);

/** Status of a GET on the site for a path (query ignored). */
function siteStatus(path: string): number {
  const p = path.split("?")[0];
  if (EXISTING.has(p)) return 200;
  if (/^\/api\/v1\/items\/\d+$/.test(p)) return Number(p.slice(p.lastIndexOf("/") + 1)) % 97 === 0 ? 404 : 200;
  if (p.startsWith("/cgi-bin/")) return 403;
  if (p === "/admin" || p === "/blog/wp-admin") return 404;
  return 404;
}

/** dirb/gobuster-style wordlist: common directory and file names (written for lure, in that style). */
export const DIR_WORDLIST: readonly string[] = [
  "admin", "administrator", "admin1", "admin2", "adminpanel", "backup", "backups", "bak", "bin", "blog", "cache", "cgi-bin", "cms", "config",
  "configuration", "console", "control", "core", "cpanel", "css", "dashboard", "data", "database", "db", "debug", "demo", "dev", "devel",
  "docs", "download", "downloads", "dump", "error", "errors", "export", "files", "forum", "ftp", "git", "hidden", "home", "htdocs", "images",
  "img", "import", "inc", "include", "includes", "index", "info", "install", "internal", "js", "lib", "library", "log", "logs", "mail",
  "manage", "manager", "media", "members", "misc", "mysql", "new", "old", "panel", "phpmyadmin", "pma", "portal", "private", "prod", "public",
  "resources", "restricted", "root", "scripts", "secret", "secure", "server", "server-status", "setup", "shell", "site", "sql", "src", "staff",
  "stage", "staging", "static", "stats", "status", "storage", "support", "sys", "system", "temp", "template", "templates", "test", "testing",
  "tests", "tmp", "tools", "upload", "uploads", "user", "users", "var", "vendor", "web", "webadmin", "webmail", "wp", "wp-admin", "wp-content",
  "wp-includes", "www", "xml", "api", "api/v2", "graphql", "swagger", "swagger-ui", "v1", "v2", "jenkins", "jira", "kibana", "grafana", "solr",
];

/** An exploit bot's fixed path set (the paths every public site sees probed). */
export const VULN_PATHS: readonly string[] = [
  "/.env", "/.env.bak", "/.git/config", "/.git/HEAD", "/.svn/entries", "/.DS_Store", "/wp-login.php", "/wp-admin/", "/xmlrpc.php", "/wp-config.php.bak",
  "/phpmyadmin/", "/pma/", "/admin", "/admin/login", "/administrator/", "/cgi-bin/luci", "/cgi-bin/test-cgi", "/cgi-bin/php", "/boaform/admin/formLogin",
  "/HNAP1/", "/actuator/env", "/actuator/health", "/server-status", "/config.json", "/.aws/credentials", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
  "/solr/admin/info/system", "/api/jsonws/invoke", "/owa/auth/logon.aspx", "/remote/login", "/index.php?s=/Index/\\think\\app/invokefunction", "/console/",
  "/_ignition/execute-solution", "/telescope/requests", "/debug/default/view", "/backup.sql", "/db.sql", "/info.php", "/phpinfo.php", "/shell.php",
];

/** Nikto-style checks (a small sample of the kinds of test its database holds). */
const NIKTO_PATHS: readonly string[] = [
  "/", "/robots.txt", "/icons/README", "/manual/", "/server-info", "/server-status", "/.htaccess", "/.htpasswd", "/test.php", "/info.php",
  "/phpinfo.php", "/admin.php", "/login.php", "/backup.zip", "/site.tar.gz", "/web.config", "/WEB-INF/web.xml", "/iisadmin/", "/_vti_bin/",
  "/cgi-bin/printenv", "/cgi-bin/test.cgi", "/scripts/", "/examples/servlets/", "/tomcat-docs/", "/phpmyadmin/", "/mysql/", "/sql/", "/db/",
];

/** WordPress plugins WPScan's passive/aggressive enumeration asks for (the popular ones). */
const WP_PLUGINS: readonly string[] = [
  "akismet", "contact-form-7", "wordpress-seo", "elementor", "woocommerce", "jetpack", "wpforms-lite", "really-simple-ssl", "classic-editor",
  "all-in-one-seo-pack", "wordfence", "litespeed-cache", "updraftplus", "duplicate-post", "wp-super-cache", "advanced-custom-fields",
];

/** Wordpress paths of `wpscan`. */
const WP_PATHS: readonly string[] = ["/", "/wp-login.php", "/readme.html", "/wp-json/wp/v2/users", "/xmlrpc.php", "/wp-content/debug.log", "/wp-config.php.bak", "/wp-cron.php", ...WP_PLUGINS.map((p) => `/wp-content/plugins/${p}/readme.txt`)];

class Gen {
  readonly records: HttpRequestRecord[] = [];
  readonly sources: SyntheticSource[] = [];
  private readonly r: () => number;
  private readonly used = new Set<string>();

  constructor(
    seed: number,
    readonly start: number,
    readonly span: number,
    readonly host: string,
  ) {
    this.r = rng(seed);
  }

  rand(): number {
    return this.r();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)];
  }

  /** A fresh address: benign from a public-looking pool (a tenth IPv6), scanners from documentation ranges. */
  address(scanner: boolean): string {
    for (;;) {
      let a: string;
      if (scanner) {
        const net = this.pick(["203.0.113", "198.51.100", "192.0.2"]);
        a = `${net}.${this.int(1, 254)}`;
      } else if (this.r() < 0.1) a = `2001:db8:${this.int(1, 0xffff).toString(16)}::${this.int(1, 0xffff).toString(16)}`;
      else a = `${this.int(11, 126)}.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`;
      if (!this.used.has(a)) {
        this.used.add(a);
        return a;
      }
    }
  }

  source(kind: BenignKind | ScanKind, scanner: boolean, first: number): SyntheticSource {
    const s: SyntheticSource = { src: this.address(scanner), kind, scanner, requests: 0, first: Math.floor(first) };
    this.sources.push(s);
    return s;
  }

  req(s: SyntheticSource, time: number, path: string, userAgent: string, status = siteStatus(path), method = "GET", armorScanner = false): void {
    s.requests++;
    const rec: HttpRequestRecord = { time: Math.floor(time), src: s.src, host: this.host, method, path, status, userAgent };
    this.records.push(armorScanner ? { ...rec, armorScanner: true } : rec);
  }

  /** A page and, on a cold cache, the assets it embeds (within a second or two). */
  page(s: SyntheticSource, t: number, path: string, ua: string, cold: boolean, revalidate: boolean): number {
    this.req(s, t, path, ua);
    let at = t + 0.2;
    if (cold || revalidate) {
      for (const a of ASSETS) this.req(s, (at += 0.05 + this.r() * 0.1), a, ua, revalidate ? 304 : 200);
    }
    const post = /^\/blog\/post-(\d+)$/.exec(path);
    if (post) this.req(s, (at += 0.1), `/static/img/post-${post[1]}.jpg`, ua);
    return at;
  }
}

function benignSession(g: Gen, kind: BenignKind, t0: number): void {
  const ua = g.pick(BROWSERS);
  switch (kind) {
    case "visitor":
    case "returning": {
      const s = g.source(kind, false, t0);
      const revalidate = kind === "returning";
      let t = t0;
      let landing = g.rand() < 0.4 ? "/" : g.pick(PAGES);
      t = g.page(s, t, landing, ua, !revalidate, revalidate);
      g.req(s, t + 0.3, "/favicon.ico", ua);
      if (ua.includes("iPhone") && g.rand() < 0.5) {
        g.req(s, t + 0.4, "/apple-touch-icon-precomposed.png", ua);
        g.req(s, t + 0.5, "/apple-touch-icon.png", ua);
      }
      // Devtools open: source maps of the bundles.
      if (g.rand() < 0.03) for (const js of ["/static/js/app.js.map", "/static/js/vendor.js.map"]) g.req(s, t + 1, js, ua);
      const pages = g.int(0, 6);
      for (let i = 0; i < pages; i++) {
        t += 10 + g.rand() * 170;
        landing = g.pick(PAGES);
        t = g.page(s, t, landing, ua, false, false);
        // Searching: one path, many queries.
        if (g.rand() < 0.2) g.req(s, (t += 5 + g.rand() * 20), `/search?q=${g.pick(["pricing", "api", "install", "help"])}&page=${g.int(1, 3)}`, ua, 200);
      }
      return;
    }
    case "broken-page": {
      // A page whose three images are gone, visited, then two more pages.
      const s = g.source(kind, false, t0);
      let t = g.page(s, t0, "/blog/post-3", ua, true, false);
      for (const img of ["/static/img/old-chart.png", "/static/img/old-photo.jpg", "/static/img/banner.gif"]) g.req(s, (t += 0.1), img, ua);
      g.req(s, (t += 0.2), "/favicon.ico", ua);
      for (let i = 0; i < 2; i++) t = g.page(s, t + 20 + g.rand() * 60, g.pick(PAGES), ua, false, false);
      return;
    }
    case "dead-link": {
      // An old inbound link: a 404 page (with the site's assets), reloaded, then the home page.
      const s = g.source(kind, false, t0);
      const dead = `/blog/2019/${g.int(1, 12)}/old-announcement`;
      let t = g.page(s, t0, dead, ua, true, false);
      g.req(s, (t += 0.3), "/favicon.ico", ua);
      const reloads = g.int(1, 3);
      for (let i = 0; i < reloads; i++) g.req(s, (t += 3 + g.rand() * 10), dead, ua);
      // A second guess at the URL, then away to the home page.
      g.req(s, (t += 8), dead.slice(0, dead.lastIndexOf("/")), ua);
      g.page(s, t + 5, "/", ua, false, false);
      return;
    }
    case "crawler": {
      const s = g.source(kind, false, t0);
      const bot = g.pick(CRAWLERS);
      let t = t0;
      g.req(s, t, "/robots.txt", bot);
      g.req(s, (t += 1), "/sitemap.xml", bot);
      const pages = g.int(20, 80);
      for (let i = 0; i < pages; i++) {
        t += 30 + g.rand() * 150;
        // One in 40 fetches is a stale URL the index still holds.
        const path = g.rand() < 0.025 ? `/blog/post-${g.int(100, 400)}` : g.pick(PAGES);
        g.req(s, t, path, bot);
        if (g.rand() < 0.1) g.req(s, t + 1, g.pick(ASSETS), bot);
      }
      return;
    }
    case "monitor": {
      const s = g.source(kind, false, t0);
      const n = Math.max(1, Math.floor((g.start + g.span - t0) / 60));
      for (let i = 0; i < n; i++) g.req(s, t0 + i * 60, "/healthz", "GoogleStackdriverMonitoring-UptimeChecks(https://cloud.google.com/monitoring)");
      return;
    }
    case "api": {
      const s = g.source(kind, false, t0);
      const agent = g.pick(["python-requests/2.32.3", "okhttp/4.12.0", "axios/1.7.7", "Go-http-client/2.0"]);
      let t = t0;
      const pages = g.int(2, 10);
      for (let i = 1; i <= pages; i++) {
        g.req(s, (t += 0.5 + g.rand()), `/api/v1/items?page=${i}&limit=50`, agent);
        const reads = g.int(0, 4);
        for (let k = 0; k < reads; k++) g.req(s, (t += 0.2), `/api/v1/items/${g.int(1, 5000)}`, agent);
      }
      return;
    }
    case "feed": {
      const s = g.source(kind, false, t0);
      const agent = g.pick(["Feedly/1.0 (+http://www.feedly.com/fetcher.html)", "NewsBlur Feed Fetcher - 42 subscribers", "Miniflux/2.2.3"]);
      for (let t = t0, i = 0; t < g.start + g.span; t += 1800, i++) g.req(s, t, "/feed.xml", agent, i === 0 ? 200 : 304);
      return;
    }
  }
}

function scanSession(g: Gen, kind: ScanKind, t0: number): void {
  switch (kind) {
    case "dirbuster":
    case "gobuster": {
      const s = g.source(kind, true, t0);
      const ua = kind === "dirbuster" ? DIRB_AGENT : agentOf("Gobuster");
      let t = t0;
      g.req(s, t, "/", ua);
      for (const w of DIR_WORDLIST) g.req(s, (t += 0.03 + g.rand() * 0.04), `/${w}`, ua);
      return;
    }
    case "vuln-paths": {
      const s = g.source(kind, true, t0);
      const ua = g.pick(["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.129 Safari/537.36", "python-requests/2.25.1", ""]);
      let t = t0;
      for (const p of VULN_PATHS) g.req(s, (t += 0.2 + g.rand() * 1.5), p, ua, siteStatus(p), p === "/xmlrpc.php" ? "POST" : "GET");
      return;
    }
    case "nikto": {
      const s = g.source(kind, true, t0);
      const ua = agentOf("Nikto");
      let t = t0;
      for (const p of NIKTO_PATHS) g.req(s, (t += 0.05 + g.rand() * 0.1), p, ua);
      return;
    }
    case "wpscan": {
      const s = g.source(kind, true, t0);
      const ua = agentOf("WPScan");
      let t = t0;
      for (const p of WP_PATHS) g.req(s, (t += 0.1 + g.rand() * 0.2), p, ua);
      return;
    }
    case "armor": {
      // Hides behind a browser's user agent; Cloud Armor's scanner detection (preview) matches its other headers.
      const s = g.source(kind, true, t0);
      const ua = g.pick(BROWSERS);
      let t = t0;
      for (const p of ["/", "/login", "/about"]) g.req(s, (t += 1 + g.rand()), p, ua, 200, "GET", true);
      return;
    }
    case "slow-crawl":
    case "patient-crawl": {
      const s = g.source(kind, true, t0);
      const gap = kind === "slow-crawl" ? 40 * 60 : 3 * 60;
      const n = kind === "slow-crawl" ? 12 : 20;
      const ua = g.pick(BROWSERS);
      for (let i = 0; i < n; i++) g.req(s, t0 + i * gap + g.rand() * 30, VULN_PATHS[(i * 7) % VULN_PATHS.length], ua);
      return;
    }
    case "browse-then-scan": {
      // An hour of browsing like a visitor (successes), then a vulnerability path set.
      const s = g.source(kind, true, t0);
      const ua = g.pick(BROWSERS);
      let t = g.page(s, t0, "/", ua, true, false);
      for (let i = 0; i < 12; i++) t = g.page(s, t + 240 + g.rand() * 60, g.pick(PAGES), ua, false, false);
      for (const p of VULN_PATHS.slice(0, 20)) g.req(s, (t += 0.5 + g.rand()), p, ua);
      return;
    }
  }
}

/** Sessions as described in the file header, requests sorted by time. */
export function syntheticHttpRequests(o: SyntheticHttpOptions): SyntheticHttp {
  const span = (o.hours ?? 6) * 3600;
  const g = new Gen(o.seed, o.start, span, o.host ?? SITE_HOST);
  const benign = o.benignSessions ?? 200;
  const kinds = BENIGN_KINDS;
  for (let i = 0; i < benign; i++) {
    let x = g.rand();
    let kind: BenignKind = kinds[kinds.length - 1];
    for (const k of kinds) {
      if (x < BENIGN_SHARE[k]) {
        kind = k;
        break;
      }
      x -= BENIGN_SHARE[k];
    }
    if (o.benignMix !== undefined && o.benignMix.length > 0) kind = o.benignMix[i % o.benignMix.length];
    benignSession(g, kind, o.start + g.rand() * span);
  }
  for (const kind of SCAN_KINDS) {
    const n = o.scanners?.[kind] ?? 0;
    for (let i = 0; i < n; i++) scanSession(g, kind, o.start + (o.scanAt ?? g.rand() * span * 0.5));
  }
  // Stable sort: a session's requests at one second keep their order.
  const records = g.records.map((r, i) => ({ r, i })).sort((a, b) => a.r.time - b.r.time || a.i - b.i).map((x) => x.r);
  return { records, sources: g.sources };
}

/** Where the LogEntries say they come from. */
export interface GcpLbEntryOptions {
  readonly project?: string;
  readonly forwardingRule?: string;
  readonly backendService?: string;
  readonly urlMap?: string;
  readonly securityPolicy?: string;
}

const ISO = (t: number) => new Date(t * 1000).toISOString();

/**
 * The LogEntry a global external Application Load Balancer writes for a request (the fields
 * `../core/gcp-lb-log.ts` reads, plus the usual others). `index` makes `insertId` unique.
 */
export function gcpLbLogEntry(r: HttpRequestRecord, index: number, o: GcpLbEntryOptions = {}): Record<string, unknown> {
  const project = o.project ?? "lure-demo";
  const policy = o.securityPolicy ?? "lure-quarantine";
  const jsonPayload: Record<string, unknown> = {
    "@type": "type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry",
    statusDetails: r.status === 0 ? "client_disconnected_before_any_response" : "response_sent_by_backend",
    backendTargetProjectNumber: "projects/123456789012",
    enforcedSecurityPolicy: { name: policy, priority: 2147483647, configuredAction: "ALLOW", outcome: "ACCEPT" },
  };
  if (r.armorScanner) {
    jsonPayload.previewSecurityPolicy = { name: policy, priority: 900, configuredAction: "DENY", outcome: "DENY", preconfiguredExprIds: ["owasp-crs-v030301-id913100-scannerdetection"] };
  }
  const url = `https://${r.host}${r.path}`;
  return {
    insertId: `${(index + 1).toString(36).padStart(6, "0")}x${(r.time % 46656).toString(36)}`,
    jsonPayload,
    httpRequest: {
      requestMethod: r.method,
      requestUrl: url,
      requestSize: String(300 + (url.length % 200)),
      status: r.status,
      responseSize: String(r.status === 200 ? 5000 + (index % 20000) : r.status === 304 ? 180 : 1200),
      ...(r.userAgent !== "" ? { userAgent: r.userAgent } : {}),
      remoteIp: r.src,
      serverIp: "10.154.0.5",
      latency: `0.0${(index % 90) + 10}s`,
      protocol: "HTTP/1.1",
    },
    resource: {
      type: "http_load_balancer",
      labels: {
        project_id: project,
        zone: "global",
        forwarding_rule_name: o.forwardingRule ?? "lure-demo-https",
        url_map_name: o.urlMap ?? "lure-demo",
        target_proxy_name: "lure-demo-https",
        backend_service_name: o.backendService ?? "lure-demo-router",
      },
    },
    timestamp: ISO(r.time).replace(/\.000Z$/, `.${String(100000 + ((index * 7919) % 900000))}Z`),
    severity: r.status >= 500 ? "WARNING" : "INFO",
    logName: `projects/${project}/logs/requests`,
    receiveTimestamp: ISO(r.time + 2),
  };
}

/** One LogEntry JSON a line, as a sink writes them. */
export function formatGcpLbLines(records: readonly HttpRequestRecord[], o: GcpLbEntryOptions = {}): string {
  return records.map((r, i) => JSON.stringify(gcpLbLogEntry(r, i, o))).join("\n") + (records.length > 0 ? "\n" : "");
}
