/**
 * The hive's credentials and the sensors' boot-time fetch, run for real: `openssl` makes the
 * credentials, Node's TLS proves they authenticate both ways, and the Python fetch script runs against
 * a fake metadata server and secret store (urllib patched in process, no network).
 */
import { execFileSync, spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { createServer, connect, type TLSSocket } from "tls";
import { tmpdir } from "os";
import { join } from "path";
import { makeHiveCredentials, storeCommands } from "../../modules/core/cli/hive-credentials";
import { HIVE_FILES, hiveBeatsInput, hiveCredentialScript, hiveCredentialUnit, hiveFiles, type HiveCredentialSource } from "../../modules/core/hive";
import { parse } from "yaml";
import { honeypotHostCloudInit } from "../../modules/core/host";
import { configWith } from "../helpers/synth";
import { cloudConfig, compose, expectHiveShipping, file, thrown } from "./host-helpers";

const dir = mkdtempSync(join(tmpdir(), "lure-hive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files = makeHiveCredentials(join(dir, "creds"), { prefix: "lure", days: 30, keyBits: 2048 });
const bundle = (name: "server" | "sensor") => JSON.parse(readFileSync(files[name], "utf8")) as Record<string, string>;

describe("npm run hive:credentials", () => {
  it("makes a CA, a server and a client certificate it signed, with PKCS#8 keys and private files", () => {
    execFileSync("openssl", ["verify", "-CAfile", "ca.crt", "server.crt", "sensor.crt"], { cwd: files.dir });
    const text = (crt: string) => execFileSync("openssl", ["x509", "-in", crt, "-noout", "-text"], { cwd: files.dir }).toString();
    expect(text("server.crt")).toMatch(/TLS Web Server Authentication/);
    expect(text("server.crt")).not.toMatch(/TLS Web Client Authentication/);
    expect(text("sensor.crt")).toMatch(/TLS Web Client Authentication/);
    expect(text("ca.crt")).toMatch(/CA:TRUE, pathlen:0/);
    for (const name of ["server", "sensor"] as const) {
      expect(Object.keys(bundle(name))).toEqual(["ca", "certificate", "key"]);
      expect(bundle(name).key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(statSync(files[name]).mode & 0o077).toBe(0);
    }
    expect(statSync(join(files.dir, "ca.key")).mode & 0o077).toBe(0);
  });

  it("refuses to overwrite a CA", () => {
    expect(() => makeHiveCredentials(files.dir, { prefix: "lure" })).toThrow(/already holds a CA/);
  });

  it("prints one store command per cloud of the split, each with its secret", () => {
    const config = configWith((c) => (c.honeynet.analytics = { hive: "aws" }));
    expect(storeCommands(config, files, "/srv/lure out")).toEqual([
      `aws secretsmanager put-secret-value --region eu-west-2 --secret-id lure-hive-server --secret-string file://${files.server}`,
      `aws ecs update-service --region eu-west-2 --cluster lure-honeynet --service lure-hive-logstash --force-new-deployment`,
      // The output's name as Terraform has it (the Azure stack names it hive_vault), in the output folder deploy uses.
      `az keyvault secret set --vault-name "$(terraform -chdir='/srv/lure out/stacks/azure-honeynet' output -raw hive_vault)" --name lure-hive-sensor --file ${files.sensor}`,
      `gcloud secrets versions add lure-hive-sensor --data-file=${files.sensor}`,
    ]);
  });

  it.each(["azure", "gcp"] as const)("stores the server's value on a %s hive and the sensor's on AWS, whose shipper it restarts", (hive) => {
    const config = configWith((c) => (c.honeynet.analytics = { hive }));
    const commands = storeCommands(config, files, "/srv/lure");
    expect(commands.slice(0, 2)).toEqual([
      `aws secretsmanager put-secret-value --region eu-west-2 --secret-id lure-hive-sensor --secret-string file://${files.sensor}`,
      `aws ecs update-service --region eu-west-2 --cluster lure-honeynet --service lure-shipper --force-new-deployment`,
    ]);
    const azure = `az keyvault secret set --vault-name "$(terraform -chdir=/srv/lure/stacks/azure-honeynet output -raw hive_vault)"`;
    expect(commands.slice(2)).toEqual([
      hive === "azure" ? `${azure} --name lure-hive-server --file ${files.server}` : `${azure} --name lure-hive-sensor --file ${files.sensor}`,
      hive === "gcp" ? `gcloud secrets versions add lure-hive-server --data-file=${files.server}` : `gcloud secrets versions add lure-hive-sensor --data-file=${files.sensor}`,
    ]);
  });

  it("authenticates both ways: the sensor's client certificate is required, the hive's is checked against the CA", async () => {
    const server = bundle("server");
    const sensor = bundle("sensor");
    const srv = createServer({ key: server.key, cert: server.certificate, ca: server.ca, requestCert: true, rejectUnauthorized: true }, (s) => s.end("ok"));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    const attempt = (opts: { key?: string; cert?: string; ca: string }) =>
      new Promise<string>((resolve) => {
        const s: TLSSocket = connect({ host: "127.0.0.1", port, ...opts, checkServerIdentity: () => undefined });
        let data = "";
        s.on("data", (d) => (data += d));
        s.on("end", () => resolve(data === "ok" ? "accepted" : "closed"));
        s.on("error", (e) => resolve(`refused: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      });
    try {
      expect(await attempt({ key: sensor.key, cert: sensor.certificate, ca: sensor.ca })).toBe("accepted");
      // No client certificate: the hive closes the handshake.
      expect(await attempt({ ca: sensor.ca })).not.toBe("accepted");
      // A hive certificate from another CA: the sensor refuses it.
      const other = join(dir, "other");
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${other}.key`, "-subj", "/CN=other CA", "-days", "1", "-out", `${other}.crt`], { stdio: "ignore" });
      expect(await attempt({ key: sensor.key, cert: sensor.certificate, ca: readFileSync(`${other}.crt`, "utf8") })).toMatch(/^refused/);
    } finally {
      srv.close();
    }
  });
});

/**
 * Runs the fetch script with urllib answering from `answers` (URL prefix → JSON body or an HTTP
 * status) and its files under `root` instead of /etc/lure/hive; returns its exit status and output.
 */
function runFetch(source: HiveCredentialSource, answers: Record<string, unknown>, root: string, side: "server" | "sensor" = "sensor") {
  const script = hiveCredentialScript(source, { gid: 2000 }, side).split("/etc/lure/hive").join(root);
  const scriptFile = join(root + "-script.py");
  writeFileSync(scriptFile, script);
  const harness = [
    "import io, json, os, sys, urllib.error, urllib.request",
    `ANSWERS = json.loads(${JSON.stringify(JSON.stringify(answers))})`,
    "SEEN = []",
    "def fake(req, timeout=None):",
    "    url = req.full_url",
    "    SEEN.append([url, dict(req.header_items())])",
    "    for prefix, answer in ANSWERS.items():",
    "        if url.startswith(prefix):",
    "            if isinstance(answer, int):",
    "                raise urllib.error.HTTPError(url, answer, 'status', {}, io.BytesIO(b''))",
    "            return io.BytesIO(json.dumps(answer).encode())",
    "    raise urllib.error.URLError('no route to ' + url)",
    "urllib.request.urlopen = fake",
    "os.chown = lambda *a: None",
    "import atexit",
    "atexit.register(lambda: print('SEEN ' + json.dumps(SEEN)))",
    `exec(compile(open(${JSON.stringify(scriptFile)}).read(), 'fetch', 'exec'))`,
  ].join("\n");
  const r = spawnSync("python3", ["-c", harness], { encoding: "utf8" });
  const seen = JSON.parse((r.stdout.split("\n").find((l) => l.startsWith("SEEN ")) ?? "SEEN []").slice(5)) as [string, Record<string, string>][];
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seen };
}

describe("the sensors' boot-time fetch", () => {
  const value = JSON.stringify(bundle("sensor"));
  const azure: HiveCredentialSource = { cloud: "azure", vaultName: "lure-hive-0a1b2c3d", secretName: "lure-hive-sensor", clientId: "11111111-2222-3333-4444-555555555555" };
  const gcp: HiveCredentialSource = { cloud: "gcp", project: "my-project", secretName: "lure-hive-sensor" };
  const IMDS = "http://169.254.169.254/metadata/identity/oauth2/token";
  const GCE = "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token";

  it("Azure: takes a Key Vault token for its user-assigned identity and writes the three files", () => {
    const root = join(dir, "azure-ok");
    const r = runFetch(azure, { [IMDS]: { access_token: "tok-azure" }, "https://lure-hive-0a1b2c3d.vault.azure.net/secrets/lure-hive-sensor": { value } }, root);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.seen[0][0]).toBe(`${IMDS}?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net&client_id=${azure.clientId}`);
    expect(r.seen[0][1]).toEqual({ Metadata: "true" });
    expect(r.seen[1]).toEqual(["https://lure-hive-0a1b2c3d.vault.azure.net/secrets/lure-hive-sensor?api-version=7.4", { Authorization: "Bearer tok-azure" }]);
    const sensor = bundle("sensor");
    expect(readFileSync(HIVE_FILES.key.replace("/etc/lure/hive", root), "utf8")).toBe(sensor.key.trim() + "\n");
    expect(readFileSync(HIVE_FILES.certificate.replace("/etc/lure/hive", root), "utf8")).toBe(sensor.certificate.trim() + "\n");
    expect(readFileSync(HIVE_FILES.ca.replace("/etc/lure/hive", root), "utf8")).toBe(sensor.ca.trim() + "\n");
    expect(statSync(HIVE_FILES.key.replace("/etc/lure/hive", root)).mode & 0o777).toBe(0o640);
  });

  it("a hive's Elastic VM: fetches the server's value into ca.crt, hive.crt and hive.key, the names its Logstash input reads", () => {
    const root = join(dir, "gcp-server");
    const server = bundle("server");
    const source: HiveCredentialSource = { cloud: "gcp", project: "my-project", secretName: "lure-hive-server" };
    const url = "https://secretmanager.googleapis.com/v1/projects/my-project/secrets/lure-hive-server/versions/latest:access";
    const r = runFetch(source, { [GCE]: { access_token: "tok" }, [url]: { payload: { data: Buffer.from(JSON.stringify(server)).toString("base64") } } }, root, "server");
    expect(r.status).toBe(0);
    const written = hiveFiles(root, "server");
    expect(Object.values(written).map((f) => f.slice(root.length))).toEqual(["/ca.crt", "/hive.crt", "/hive.key"]);
    expect(readFileSync(written.key, "utf8")).toBe(server.key.trim() + "\n");
    expect(readFileSync(written.certificate, "utf8")).toBe(server.certificate.trim() + "\n");
    expect(hiveBeatsInput(64294, { dir: root, mounted: true })).toContain(`ssl_certificate => '${written.certificate}' ssl_key => '${written.key}'`);
    expect(hiveCredentialScript(source, { gid: 2000 }, "server")).not.toContain("sensor.key");
  });

  it("Google Cloud: takes the service account's token and reads the latest version", () => {
    const root = join(dir, "gcp-ok");
    const url = "https://secretmanager.googleapis.com/v1/projects/my-project/secrets/lure-hive-sensor/versions/latest:access";
    const r = runFetch(gcp, { [GCE]: { access_token: "tok-gcp" }, [url]: { payload: { data: Buffer.from(value).toString("base64") } } }, root);
    expect(r.status).toBe(0);
    expect(r.seen).toEqual([[GCE, { "Metadata-flavor": "Google" }], [url, { Authorization: "Bearer tok-gcp" }]]);
    expect(readFileSync(HIVE_FILES.ca.replace("/etc/lure/hive", root), "utf8")).toBe(bundle("sensor").ca.trim() + "\n");
  });

  it("exits 1 with one log line while the secret has no value (the unit retries), and writes nothing", () => {
    const root = join(dir, "missing");
    const r = runFetch(azure, { [IMDS]: { access_token: "tok" }, "https://lure-hive-0a1b2c3d.vault.azure.net/": 404 }, root);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^lure-hive-credential: not available yet, retrying: HTTP Error 404/)]);
    expect(() => statSync(root)).toThrow();
  });

  it("refuses a value that is not the credential", () => {
    const root = join(dir, "malformed");
    const r = runFetch(gcp, { [GCE]: { access_token: "tok" }, "https://secretmanager.googleapis.com/": { payload: { data: Buffer.from(JSON.stringify({ ca: "x", certificate: "y" })).toString("base64") } } }, root);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the credential has no PEM under 'ca'/);
  });

  it("is retried every minute without a start limit", () => {
    const unit = hiveCredentialUnit();
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^RestartSec=60$/m);
    expect(unit).toMatch(/^StartLimitIntervalSec=0$/m);
  });
});

describe("a honeypot host that ships to the hive", () => {
  const hive = {
    target: { cloud: "aws" as const, address: "lure-hive-0123.elb.eu-west-2.amazonaws.com", port: 64294 },
    credential: { cloud: "gcp" as const, project: "my-project", secretName: "lure-hive-sensor" },
    sensorName: "lure-gcp",
  };
  const doc = cloudConfig(honeypotHostCloudInit({ honeypot: "cowrie", hive }));

  it("ships over TLS with the sensor's certificate, every event named by its sensor", () => {
    expectHiveShipping(file(doc, "/etc/lure/filebeat.yml"), "lure-hive-0123.elb.eu-west-2.amazonaws.com:64294", "lure-gcp");
  });

  it("fetches the credential at boot (retried), mounts it read-only into the shipper only, and keeps containers off the metadata service", () => {
    expect(file(doc, "/usr/local/sbin/lure-hive-credential")).toBe(hiveCredentialScript(hive.credential, { gid: 2000 }));
    expect(file(doc, "/etc/systemd/system/lure-hive-credential.service")).toBe(hiveCredentialUnit());
    expect(doc.runcmd).toContainEqual(["systemctl", "enable", "--now", "--no-block", "lure-hive-credential.service"]);
    const services = compose(doc).services;
    expect(services.shipper.volumes).toContain("/etc/lure/hive:/etc/lure/hive:ro");
    expect(Object.entries(services).filter(([, s]) => (s.volumes ?? []).some((v) => String(v).startsWith("/etc/lure/hive"))).map(([n]) => n)).toEqual(["shipper"]);
    // Before Docker, at every boot: dockerd restarts the containers before any unit after it runs.
    const unit = file(doc, "/etc/systemd/system/lure-no-metadata.service");
    expect(unit).toMatch(/^Before=docker\.service$/m);
    expect(unit).toMatch(/^WantedBy=docker\.service$/m);
    // TCP only and not 53: on Compute Engine the address is the containers' DNS resolver too.
    expect(unit).toContain("iptables -I DOCKER-USER -d 169.254.169.254/32 -p tcp ! --dport 53 -j DROP");
    expect(unit).toContain("iptables -C DOCKER-USER -d 169.254.169.254/32 -p tcp ! --dport 53 -j DROP 2>/dev/null ||");
    expect(doc.runcmd.findIndex((c) => c.join(" ") === "systemctl enable --now lure-no-metadata.service")).toBeLessThan(doc.runcmd.findIndex((c) => c.join(" ") === "systemctl enable --now lure-stack.service"));
  });

  it("a host without the hive has none of it", () => {
    const own = cloudConfig(honeypotHostCloudInit({ honeypot: "cowrie", logstash: { address: "10.42.16.4" } }));
    expect(own.write_files.map((f) => f.path)).not.toContain("/usr/local/sbin/lure-hive-credential");
    expect(own.write_files.map((f) => f.path)).not.toContain("/etc/systemd/system/lure-no-metadata.service");
    expect((parse(file(own, "/etc/lure/filebeat.yml")) as Record<string, any>)["output.logstash"]).toEqual({ hosts: ["10.42.16.4:5044"] }); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it("ships to one of them, never both", () => {
    expect(thrown(() => honeypotHostCloudInit({ honeypot: "cowrie", hive, logstash: { address: "10.42.16.4" } })).problems).toEqual([{ path: "logstash", message: "is set together with hive; a host ships to one of them" }]);
    expect(thrown(() => honeypotHostCloudInit({ honeypot: "cowrie" })).problems).toEqual([{ path: "logstash", message: expect.stringContaining("is missing") }]);
  });
});
