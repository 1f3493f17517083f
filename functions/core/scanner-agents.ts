/**
 * User agents of web scanners that announce themselves: data for the HTTP detector's `agent` guard
 * (`./http-scan`). A request carrying one flags its source at once, whatever the response: these
 * tools do not browse, and their first requests are not worth waiting for a random walk.
 *
 * Only tools that put their own name in the default `User-Agent` are listed: a scanner run with a
 * browser's user agent (dirb's default, ZAP's, most of nuclei's recent releases, Burp) is the
 * random walk's and the distinct counters' to catch. Matching is a case-insensitive substring test
 * on each `token`; a token must not occur in a browser's, a search engine's or an HTTP library's
 * user agent (e.g. "nmap" alone is avoided: it is inside unrelated words, so Nmap's NSE is matched
 * on its full name).
 *
 * Maintenance: add an entry with a user agent the tool sends (`example`: its default, or for tools
 * whose default is a browser's, the form some of its requests or plugins carry), say what the tool
 * is; the tests check every example against its own entry. Nessus and Acunetix mostly send a
 * browser's user agent: their entries catch only the requests that name them.
 */

export interface ScannerAgent {
  /** Lower-case substring of the user agent that names the tool. */
  readonly token: string;
  /** The tool's name, as reported. */
  readonly tool: string;
  /** What it is. */
  readonly what: string;
  /** A default user agent of the tool (for the tests and the synthetic data). */
  readonly example: string;
}

export const SCANNER_AGENTS: readonly ScannerAgent[] = Object.freeze([
  { token: "nikto", tool: "Nikto", what: "web server scanner: thousands of known dangerous files, outdated servers, misconfigurations", example: "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000001)" },
  { token: "sqlmap", tool: "sqlmap", what: "automatic SQL injection and database takeover tool", example: "sqlmap/1.8.2#stable (https://sqlmap.org)" },
  { token: "nmap scripting engine", tool: "Nmap NSE", what: "Nmap's scripting engine (http-enum, http-vuln-* scripts) probing web servers", example: "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)" },
  { token: "masscan", tool: "masscan", what: "Internet-scale port scanner; its banner grabber sends an HTTP request", example: "masscan/1.3 (https://github.com/robertdavidgraham/masscan)" },
  { token: "zgrab", tool: "ZGrab", what: "application-layer banner grabber of Internet-wide scans (ZMap project)", example: "Mozilla/5.0 zgrab/0.x" },
  { token: "nuclei", tool: "Nuclei", what: "template-based vulnerability scanner (ProjectDiscovery)", example: "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)" },
  { token: "gobuster", tool: "Gobuster", what: "directory, file and virtual-host brute forcer", example: "gobuster/3.6" },
  { token: "dirbuster", tool: "DirBuster", what: "OWASP directory and file brute forcer (Java)", example: "DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)" },
  { token: "wfuzz", tool: "Wfuzz", what: "web application fuzzer (paths, parameters, headers)", example: "Wfuzz/3.1.0" },
  { token: "fuzz faster u fool", tool: "ffuf", what: "fast web fuzzer (paths, virtual hosts, parameters)", example: "Fuzz Faster U Fool v2.1.0-dev" },
  { token: "feroxbuster", tool: "feroxbuster", what: "recursive content discovery (forced browsing)", example: "feroxbuster/2.10.4" },
  { token: "acunetix", tool: "Acunetix", what: "commercial web vulnerability scanner", example: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Acunetix-Product" },
  { token: "nessus", tool: "Nessus", what: "Tenable's vulnerability scanner (its web plugins)", example: "Mozilla/4.0 (compatible; Nessus; Windows NT 5.1)" },
  { token: "openvas", tool: "OpenVAS", what: "Greenbone's open-source vulnerability scanner", example: "Mozilla/5.0 [en] (X11, U; OpenVAS-VT 22.4.1)" },
  { token: "wpscan", tool: "WPScan", what: "WordPress vulnerability scanner (plugins, themes, users)", example: "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)" },
  { token: "whatweb", tool: "WhatWeb", what: "web technology fingerprinter", example: "WhatWeb/0.5.5" },
  { token: "arachni", tool: "Arachni", what: "web application security scanner framework", example: "Arachni/v1.6.1.3" },
  { token: "w3af", tool: "w3af", what: "web application attack and audit framework", example: "w3af.org" },
  { token: "commix", tool: "Commix", what: "command injection exploitation tool", example: "commix/v3.9-stable (https://commixproject.com)" },
] satisfies ScannerAgent[]);

// One case-insensitive alternation: a single pass over the user agent whatever the list's length.
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const PATTERN = new RegExp(SCANNER_AGENTS.map((a) => escape(a.token)).join("|"), "i");
const BY_TOKEN = new Map(SCANNER_AGENTS.map((a) => [a.token, a]));

/** The scanner a user agent names, or undefined (an empty or browser user agent). */
export function scannerAgent(userAgent: string): ScannerAgent | undefined {
  if (userAgent.length === 0) return undefined;
  const m = PATTERN.exec(userAgent);
  return m === null ? undefined : BY_TOKEN.get(m[0].toLowerCase());
}
