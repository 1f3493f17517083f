import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { formatTable, lookupAll, parseArgs } from "../../../functions/local/watch";
import { IndexConfigError, IndexUnavailableError, type LookupResult, type ScannerIndex } from "../../../functions/core/scanner-index";

const ROOT = resolve(__dirname, "../../..");

function cli(args: string[], env: Record<string, string | undefined>) {
  const clean = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete clean[k];
  return spawnSync(process.execPath, ["--require", "tsx/cjs", "functions/local/watch.ts", ...args], { cwd: ROOT, env: clean, encoding: "utf8", timeout: 30_000 });
}

describe("npm run watch", () => {
  it("is the script these tests run", () => {
    const pkg = JSON.parse(require("fs").readFileSync(resolve(ROOT, "package.json"), "utf8"));
    expect(pkg.scripts.watch).toBe("node --require tsx/cjs functions/local/watch.ts");
  });

  it("without SHODAN_API_KEY exits 2 and says how to set it", () => {
    const r = cli(["--ips", "198.51.100.7,203.0.113.9"], { SHODAN_API_KEY: undefined });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("SHODAN_API_KEY is not set");
    expect(r.stdout).toBe("");
  });

  it("treats an empty key like a missing one", () => {
    const r = cli(["--ips", "198.51.100.7"], { SHODAN_API_KEY: "  " });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("SHODAN_API_KEY is not set");
  });

  it("rejects bad arguments before looking at the key, listing every problem", () => {
    const r = cli(["--ips", "198.51.100.7,999.1.1.1", "--fast"], { SHODAN_API_KEY: "k" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown argument "--fast"');
    expect(r.stderr).toContain('"999.1.1.1" is not an IP address');
  });
});

describe("parseArgs", () => {
  it.each([
    [["--ips", "198.51.100.7,203.0.113.9"], { ips: ["198.51.100.7", "203.0.113.9"], json: false }],
    [["--ips=198.51.100.7", "--ips", "198.51.100.7", "--json"], { ips: ["198.51.100.7"], json: true }],
    [["--ips", " 2001:db8::1 , "], { ips: ["2001:db8::1"], json: false }],
  ])("%j", (argv, args) => {
    expect(parseArgs(argv)).toEqual({ ok: true, args });
  });

  it.each([
    [[], ["--ips is required"]],
    [["--ips"], ["--ips needs a comma-separated list of IP addresses"]],
    [["--ips", "a,b"], ['"a" is not an IP address', '"b" is not an IP address']],
  ])("%j is refused", (argv, problems) => {
    expect(parseArgs(argv)).toEqual({ ok: false, problems });
  });
});

describe("lookup table", () => {
  const answers: Record<string, LookupResult | Error> = {
    "198.51.100.7": {
      kind: "found",
      host: { ip: "198.51.100.7", tags: ["honeypot"], banners: [{ port: 502, transport: "tcp", seenAt: "2026-11-21T08:00:00Z", tags: [] }] },
      honeyscore: 1,
      raw: {},
    },
    "203.0.113.9": { kind: "not-found" },
    "192.0.2.1": new IndexUnavailableError("Response code 503 (Service Unavailable)", 503),
  };
  const index: ScannerIndex = {
    name: "shodan",
    lookup: async (ip) => {
      const a = answers[ip];
      if (a instanceof Error) throw a;
      return a;
    },
  };

  it("prints one row per IP with what the index says, and failures inline", async () => {
    const rows = await lookupAll(Object.keys(answers), index, () => new Date("2026-11-21T12:00:00Z"));
    expect(formatTable(rows).split("\n")).toEqual([
      "IP            LISTED  PORTS    HONEYPOT TAG  HONEYSCORE  NOTE",
      "198.51.100.7  yes     502/tcp  yes           1.00        now listed with 502/tcp; tagged as a honeypot; honeyscore 1.00",
      "203.0.113.9   no      -        no            -",
      "192.0.2.1     ?                                          lookup failed: Response code 503 (Service Unavailable)",
    ]);
  });

  it("stops at a rejected key instead of repeating it for every IP", async () => {
    let calls = 0;
    const refusing: ScannerIndex = {
      name: "shodan",
      lookup: async () => {
        calls++;
        throw new IndexConfigError("Invalid API key", 401);
      },
    };
    await expect(lookupAll(["198.51.100.7", "203.0.113.9"], refusing)).rejects.toBeInstanceOf(IndexConfigError);
    expect(calls).toBe(1);
  });
});
