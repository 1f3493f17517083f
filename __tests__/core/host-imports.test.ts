/** The host generator stays cloud-neutral: no CDK, no provider, and no new reach into modules/aws. */
import { readdirSync, readFileSync } from "fs";
import { join } from "path";

const DIR = join(__dirname, "../../modules/core/host");
const imports = readdirSync(DIR)
  .filter((f) => f.endsWith(".ts"))
  .flatMap((f) => [...readFileSync(join(DIR, f), "utf8").matchAll(/from\s+["']([^"']+)["']/g)].map((m) => `${f}: ${m[1]}`));

test("no cdktf, constructs or provider import", () => {
  expect(imports.filter((i) => /: (cdktf|constructs|@cdktf\/)/.test(i))).toEqual([]);
});

test("modules/aws is reached only for the helpers that should move to modules/core", () => {
  // Known debt: these files load cdktf and AWS provider modules transitively (see the host-gen report).
  expect(imports.filter((i) => i.includes("/aws/")).sort()).toEqual([
    'elastic-host.ts: ../../aws/honeynet-elastic',
    'honeypot-host.ts: ../../aws/honeynet-elastic',
    'honeypot-host.ts: ../../aws/honeynet-honeypots',
  ]);
});
