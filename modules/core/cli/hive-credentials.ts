/**
 * `npm run hive:credentials -- [--out DIR] [--days N]`: the TLS credentials of `honeynet.analytics.hive`,
 * made on the user's machine with `openssl`, never by Terraform (so no key is in any state file).
 *
 * Writes to DIR (default `hive-credentials`, refused if it holds a CA already): a private CA (`ca.key`,
 * `ca.crt`), the hive's server certificate and the sensors' client certificate (PKCS#8 keys, which
 * Logstash's Beats input requires), and the two secret values as JSON (`server.json`, `sensor.json`:
 * `ca`, `certificate`, `key`), then prints the commands that store them in each configured cloud's
 * secret store. Keep `ca.key` offline; delete the JSON files once stored. One sensor certificate serves
 * every sensor cloud: the hive tells them apart by the name each host puts on its events.
 */
import { execFileSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { join, resolve } from "path";
import { analyticsRole, ConfigError, loadConfig, type CloudName, type LureConfig } from "../config";
import { HIVE_CREDENTIALS_OUT, hiveSecretName } from "../hive";
import { shellWord } from "../check";
import { resourceName } from "../naming";
import { outdirOf } from "./start";

export interface HiveCredentialFiles {
  readonly dir: string;
  /** The secret value of the hive (`server`) and of the sensors (`sensor`). */
  readonly server: string;
  readonly sensor: string;
}

const openssl = (args: readonly string[], cwd: string) => execFileSync("openssl", [...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });

/** A leaf certificate signed by the CA in `dir`, for one use (`serverAuth` or `clientAuth`). */
function leaf(dir: string, name: string, commonName: string, usage: "serverAuth" | "clientAuth", days: number, bits: number): void {
  openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${bits}`, "-out", `${name}.key`], dir);
  openssl(["req", "-new", "-key", `${name}.key`, "-subj", `/CN=${commonName}`, "-out", `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), ["basicConstraints = critical, CA:FALSE", "keyUsage = critical, digitalSignature, keyEncipherment", `extendedKeyUsage = ${usage}`, ""].join("\n"));
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", String(days), "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.crt`], dir);
}

/** Makes the CA and both certificates in `dir`; throws if `dir` already holds a CA. */
export function makeHiveCredentials(dir: string, opts: { readonly prefix: string; readonly days?: number; readonly keyBits?: number }): HiveCredentialFiles {
  const days = opts.days ?? 825;
  // RSA, which Logstash's Beats input and Filebeat both take in every version; 3072 bits (NIST's level past 2030).
  const bits = opts.keyBits ?? 3072;
  if (existsSync(join(dir, "ca.key"))) throw new Error(`${dir} already holds a CA (ca.key); choose another --out, or delete it to start over (every sensor then needs the new credential)`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${bits}`, "-out", "ca.key"], dir);
  openssl(["req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", String(days), "-subj", `/CN=${opts.prefix} hive CA`, "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.crt"], dir);
  leaf(dir, "server", `${opts.prefix}-hive`, "serverAuth", days, bits);
  leaf(dir, "sensor", `${opts.prefix}-sensor`, "clientAuth", days, bits);
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  const bundle = (name: string) => JSON.stringify({ ca: read("ca.crt"), certificate: read(`${name}.crt`), key: read(`${name}.key`) });
  const files = { dir, server: join(dir, "server.json"), sensor: join(dir, "sensor.json") };
  writeFileSync(files.server, bundle("server"), { mode: 0o600 });
  writeFileSync(files.sensor, bundle("sensor"), { mode: 0o600 });
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), f.endsWith(".crt") ? 0o644 : 0o600);
  return files;
}

/** The commands that store the values, one per configured cloud of the hive split. */
export function storeCommands(config: LureConfig, files: HiveCredentialFiles, outdir: string = outdirOf(process.env)): string[] {
  const out: string[] = [];
  const clouds = (["aws", "azure", "gcp"] as CloudName[]).filter((c) => Boolean(config.clouds[c]));
  for (const cloud of clouds) {
    const role = analyticsRole(config, cloud);
    if (role === "own") continue;
    const side = role === "hive" ? "server" : "sensor";
    const secret = hiveSecretName(config.prefix, side);
    const value = side === "server" ? files.server : files.sensor;
    if (cloud === "aws") {
      const region = config.clouds.aws!.region;
      out.push(`aws secretsmanager put-secret-value --region ${region} --secret-id ${secret} --secret-string file://${value}`);
      // ECS keeps retrying the task on its own; this starts one now rather than at its next try.
      const service = side === "server" ? resourceName(config.prefix, ["hive", "logstash"]) : resourceName(config.prefix, ["shipper"]);
      out.push(`aws ecs update-service --region ${region} --cluster ${resourceName(config.prefix, ["honeynet"])} --service ${service} --force-new-deployment`);
    }
    if (cloud === "azure") out.push(`az keyvault secret set --vault-name "$(terraform -chdir=${shellWord(join(outdir, "stacks", "azure-honeynet"))} output -raw hive_vault)" --name ${secret} --file ${value}`);
    if (cloud === "gcp") out.push(`gcloud secrets versions add ${secret}${config.clouds.gcp!.project ? ` --project ${config.clouds.gcp!.project}` : ""} --data-file=${value}`);
  }
  return out;
}

function main(argv: readonly string[]): number {
  let out = HIVE_CREDENTIALS_OUT;
  let days: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") out = argv[++i] ?? "";
    else if (argv[i] === "--days") days = Number(argv[++i]);
    else {
      console.error(`unknown argument ${JSON.stringify(argv[i])}\nusage: npm run hive:credentials -- [--out DIR] [--days N]`);
      return 2;
    }
  }
  if (!out || (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 3650))) {
    console.error("usage: npm run hive:credentials -- [--out DIR] [--days N (1-3650, default 825)]");
    return 2;
  }
  let config: LureConfig;
  try {
    config = loadConfig().config;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  if (config.honeynet.analytics.hive === undefined) {
    console.error("lure: honeynet.analytics.hive is not set in the config: every cloud runs its own Elastic stack, and there is no hive credential to make.");
    return 1;
  }
  const files = makeHiveCredentials(resolve(out), { prefix: config.prefix, ...(days !== undefined ? { days } : {}) });
  console.log(`lure: hive credentials in ${files.dir} (CA, server and sensor certificates, ${days ?? 825} days).`);
  console.log("Store them (after deploying the stacks, which create the empty secrets):");
  for (const c of storeCommands(config, files)) console.log(`  ${c}`);
  console.log("Then keep ca.key offline and delete server.json and sensor.json. Hosts read the credential at boot (the hive's Logstash at task start).");
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
