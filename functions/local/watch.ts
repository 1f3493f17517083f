/**
 * `npm run watch -- --ips 198.51.100.7,203.0.113.9`: the watcher's lookup and evaluation, run from a
 * laptop against the real Shodan API with SHODAN_API_KEY, printing a table. Useful to check a key and
 * to see what Shodan says about an address before deploying anything.
 */
import { isIP } from "node:net";
import { describeChange } from "../core/alert";
import { evaluateExposure, type Evaluation } from "../core/exposure";
import { IndexConfigError, type ScannerIndex } from "../core/scanner-index";

export interface WatchArgs {
  readonly ips: readonly string[];
  readonly json: boolean;
}

export type ParsedArgs = { readonly ok: true; readonly args: WatchArgs } | { readonly ok: false; readonly problems: readonly string[] };

export const USAGE = "usage: npm run watch -- --ips <ip>[,<ip>...] [--json]\n  needs SHODAN_API_KEY in the environment";

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const problems: string[] = [];
  const ips: string[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") json = true;
    else if (a === "--ips" || a.startsWith("--ips=")) {
      const value = a === "--ips" ? argv[++i] : a.slice("--ips=".length);
      if (value === undefined || value === "") problems.push("--ips needs a comma-separated list of IP addresses");
      else ips.push(...value.split(",").map((s) => s.trim()).filter((s) => s !== ""));
    } else problems.push(`unknown argument "${a}"`);
  }
  if (ips.length === 0 && !problems.some((p) => p.startsWith("--ips"))) problems.push("--ips is required");
  for (const ip of ips) if (isIP(ip) === 0) problems.push(`"${ip}" is not an IP address`);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, args: { ips: [...new Set(ips)], json } };
}

export interface Row {
  readonly ip: string;
  readonly evaluation?: Evaluation;
  readonly error?: string;
}

/** Looks every IP up (the index paces the requests) and evaluates it as a first sighting. */
export async function lookupAll(ips: readonly string[], index: ScannerIndex, now: () => Date = () => new Date()): Promise<Row[]> {
  const rows: Row[] = [];
  for (const ip of ips) {
    try {
      const answer = await index.lookup(ip);
      rows.push({ ip, evaluation: evaluateExposure({ ip, honeypot: "local", index: index.name, answer, now: now() }) });
    } catch (e) {
      // A rejected key fails every lookup the same way: stop instead of repeating it per IP.
      if (e instanceof IndexConfigError) throw e;
      rows.push({ ip, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return rows;
}

export function formatTable(rows: readonly Row[]): string {
  const header = ["IP", "LISTED", "PORTS", "HONEYPOT TAG", "HONEYSCORE", "NOTE"];
  const body = rows.map((r) => {
    if (!r.evaluation) return [r.ip, "?", "", "", "", `lookup failed: ${r.error ?? "unknown"}`];
    const s = r.evaluation.state;
    return [
      r.ip,
      s.found ? "yes" : "no",
      s.ports.join(" ") || "-",
      s.honeypotTagged ? "yes" : "no",
      s.honeyscore === undefined ? "-" : s.honeyscore.toFixed(2),
      r.evaluation.changes.map(describeChange).join("; "),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  return [header, ...body].map((row) => row.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if (!parsed.ok) {
    console.error(`watch: ${parsed.problems.join("\n       ")}\n${USAGE}`);
    return 2;
  }
  const key = process.env.SHODAN_API_KEY?.trim();
  if (!key) {
    console.error("watch: SHODAN_API_KEY is not set. Export your key (shodan.io → Account → API Key) and run again:\n  read -rs SHODAN_API_KEY && export SHODAN_API_KEY && npm run watch -- --ips ...");
    return 2;
  }
  // Loaded only with a key: the no-key path must not need the network client.
  const { createShodanIndex } = await import("../shodan");
  const index = createShodanIndex({ apiKey: key });
  try {
    const rows = await lookupAll(parsed.args.ips, index);
    console.log(parsed.args.json ? JSON.stringify(rows, null, 2) : formatTable(rows));
    return rows.some((r) => r.error) ? 1 : 0;
  } catch (e) {
    if (e instanceof IndexConfigError) {
      console.error(`watch: Shodan refused the key: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
