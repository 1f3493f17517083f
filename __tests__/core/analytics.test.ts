/**
 * T-Pot's analytics, cloud-neutral: the start script that puts a Beats input in front of T-Pot's
 * pipeline and the Kibana import script, both run here for real (bash, curl, jq, unzip) against a
 * synthetic pipeline and a local fake Kibana; the sizes against each cloud's limits.
 */
import { execFile, execFileSync } from "child_process";
import { createServer, type IncomingMessage, type Server } from "http";
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "fs";
import type { AddressInfo } from "net";
import { tmpdir } from "os";
import { join } from "path";
import {
  ELASTIC_SIZES,
  ELASTIC_SIZE_NAMES,
  KIBANA_OBJECTS_CONTAINER,
  TPOT_INIT,
  TPOT_KIBANA_OBJECTS,
  TPOT_LOGSTASH,
  TPOT_PIPELINE,
  TPOT_PIPELINES_YML,
  TPOT_RELEASE,
  analyticsVersionOk,
  containerMemoryMb,
  fargateMemoryMb,
  kibanaObjectsScript,
  kibanaObjectsStep,
  tpotBeatsPipelines,
  tpotLogstashEnvironment,
  tpotLogstashStartScript,
} from "../../modules/core/analytics";
import { TPOT } from "../../modules/core/catalog";
import { FARGATE_SIZES } from "../../modules/core/config";
import { BEATS_METADATA, filebeatConfig } from "../../modules/core/host";
import { logstashInputs } from "../../modules/core/elastic";
import { AZURE_VM_SIZES, GCP_MACHINE_TYPES, VM_HOST_OVERHEAD_MIB } from "../../modules/core/vm-sizes";
import { parse } from "yaml";

const has = (tool: string): boolean => {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
// What the images have (bash in T-Pot's Logstash; curl, jq, unzip in tpotinit), plus python3 to build the test zip.
const TOOLS = ["bash", "curl", "jq", "unzip", "python3"].every(has);
const withTools = TOOLS ? test : test.skip;

test("the images and the release come from the catalog's T-Pot release", () => {
  expect(TPOT_RELEASE).toBe(TPOT.source.version);
  expect(TPOT_LOGSTASH).toEqual({ name: "logstash", image: `ghcr.io/telekom-security/logstash:${TPOT_RELEASE}`, dockerHub: `docker.io/dtagdevsec/logstash:${TPOT_RELEASE}` });
  expect(TPOT_INIT).toEqual({ name: "tpotinit", image: `ghcr.io/telekom-security/tpotinit:${TPOT_RELEASE}`, dockerHub: `docker.io/dtagdevsec/tpotinit:${TPOT_RELEASE}` });
  expect(TPOT.elastic.find((e) => e.name === "logstash")?.tpotImage).toBe(TPOT_LOGSTASH.image);
});

test("Logstash's environment: HIVE mode, the honeynet and cloud as T-Pot's hostname, the heap; no empty values (ECS drops them)", () => {
  const env = tpotLogstashEnvironment({ hostname: "lure-gcp", heapMb: 1024 });
  expect(env).toEqual({ LS_JAVA_OPTS: "-Xms1024m -Xmx1024m", MY_HOSTNAME: "lure-gcp", TPOT_TYPE: "HIVE" });
  expect(Object.values(env).every((v) => v !== "")).toBe(true);
});

describe("Logstash start script", () => {
  // A stand-in with the shape of T-Pot's pipeline (comments, top-level sections); not T-Pot's text.
  const PIPELINE = [
    "# Input section",
    "input {",
    "  file {",
    '    path => ["/data/cowrie/log/cowrie.json"]',
    "    codec => json",
    '    type => "Cowrie"',
    "  }",
    "}",
    "",
    "# Filter Section",
    "filter {",
    '  if [type] == "Cowrie" { date { match => [ "timestamp", "ISO8601" ] } }',
    '  mutate { add_field => { "t-pot_ip_ext" => "${MY_EXTIP}" "t-pot_ip_int" => "${MY_INTIP}" } }',
    "}",
    "",
    "# Output section",
    "output {",
    '  elasticsearch { hosts => ["elasticsearch:9200"] index => "logstash-%{+YYYY.MM.dd}" }',
    "}",
    "",
  ].join("\n");

  /**
   * Runs the script with T-Pot's pipeline moved into a temp dir, `curl` answering after `esDownFor`
   * failures, `sleep` a no-op, and the entrypoint replaced by a report of what it would get.
   */
  function run(pipeline: string, opts: { beats?: boolean; esDownFor?: number; publicIp?: string; hive?: { env: Record<string, string>; mounted?: boolean } } = {}): { status: number; stdout: string; stderr: string; curlCalls: string[]; dir: string } {
    const dir = mkdtempSync(join(tmpdir(), "lure-ls-"));
    writeFileSync(join(dir, "logstash.conf"), pipeline);
    const out = join(dir, "out", "tpot-beats.conf");
    // The public-address lookup answers `publicIp` (or fails); Elasticsearch answers after `esDownFor` refusals.
    writeFileSync(
      join(dir, "curl"),
      `#!/bin/sh\ncase "$*" in *checkip*) ${opts.publicIp === undefined ? "exit 7" : `echo '${opts.publicIp}'; exit 0`};; esac\n` +
        `echo "$*" >> ${dir}/curl.log\nn=$(wc -l < ${dir}/curl.log)\n[ "$n" -gt ${opts.esDownFor ?? 0} ]\n`,
    );
    // On a VM the host's unit fetches the credential meanwhile: the first sleep of the wait "fetches" it.
    const fetched = opts.hive?.mounted ? `mkdir -p ${dir}/tls && for f in ca hive; do echo "-----BEGIN CERTIFICATE-----" > ${dir}/tls/$f.crt; done && echo "-----BEGIN PRIVATE KEY-----" > ${dir}/tls/hive.key\n` : "";
    writeFileSync(join(dir, "sleep"), `#!/bin/sh\necho "$*" >> ${dir}/sleep.log\n${fetched}exit 0\n`);
    for (const f of ["curl", "sleep"]) chmodSync(join(dir, f), 0o755);
    const hiveReport = opts.hive ? ' hive_env=$(env | grep -c "^LURE_HIVE_")' : "";
    const report = `exec sh -c 'echo "MY_EXTIP=[$MY_EXTIP] MY_INTIP=[$MY_INTIP] set=$(env | grep -c "^MY_[EI][XN]T\\?IP=")${hiveReport}"; ${opts.beats === false ? "" : `cat ${out}`}'`;
    const beats = { port: 5055, pipelinePath: out, ...(opts.hive ? { hive: { dir: join(dir, "tls"), ...(opts.hive.mounted ? { mounted: true } : {}) }, ...(opts.hive.mounted ? {} : { writePipelines: true }) } : {}) };
    const script = tpotLogstashStartScript(opts.beats === false ? {} : { beats })
      .replace(`SRC=${TPOT_PIPELINE}`, `SRC=${join(dir, "logstash.conf")}`)
      .split(TPOT_PIPELINES_YML)
      .join(join(dir, "pipelines.yml"))
      .replace(/^exec .*$/m, report);
    writeFileSync(join(dir, "start.sh"), script);
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, ...(opts.hive?.env ?? {}) };
    const curlCalls = () => {
      try {
        return readFileSync(join(dir, "curl.log"), "utf8").trim().split("\n");
      } catch {
        return [];
      }
    };
    try {
      const stdout = execFileSync("bash", [join(dir, "start.sh")], { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] });
      return { status: 0, stdout, stderr: "", curlCalls: curlCalls(), dir };
    } catch (e) {
      const err = e as { status: number; stdout: string; stderr: string };
      return { status: err.status, stdout: String(err.stdout), stderr: String(err.stderr), curlCalls: curlCalls(), dir };
    }
  }

  test("hands over to T-Pot's entrypoint, writes where pipelines.yml points, and passes through Terraform strings", () => {
    const script = tpotLogstashStartScript({ beats: { port: 5044, pipelinePath: "/tmp/lure/tpot-beats.conf" } });
    expect(script.split("\n")).toEqual(expect.arrayContaining(["#!/bin/bash", "set -euo pipefail", `SRC=${TPOT_PIPELINE}`, "DST=/tmp/lure/tpot-beats.conf", "exec /usr/bin/entrypoint.sh"]));
    expect(parse(tpotBeatsPipelines("/tmp/lure/tpot-beats.conf"))).toEqual([{ "pipeline.id": "tpot", "path.config": "/tmp/lure/tpot-beats.conf", "pipeline.ecs_compatibility": "disabled" }]);
    for (const s of [script, tpotLogstashStartScript()]) {
      expect(s).not.toMatch(/[$%]\{/);
      expect(() => execFileSync("bash", ["-n", "-c", s])).not.toThrow();
    }
    // Without Beats (AWS, whose Logstash reads the log files itself) T-Pot's pipeline is left as it is.
    expect(tpotLogstashStartScript()).not.toContain("SRC=");
  });

  withTools("exports the host's public address as MY_EXTIP (T-Pot's geoip_ext), waits for Elasticsearch, then hands over", () => {
    const r = run(PIPELINE, { beats: false, esDownFor: 2, publicIp: "203.0.113.7\n" });
    expect(r.status).toBe(0);
    expect(r.curlCalls).toEqual(Array(3).fill("-fs --max-time 10 -o /dev/null http://elasticsearch:9200/_cluster/health"));
    expect(r.stdout.split("\n")).toEqual([
      "lure: MY_EXTIP=203.0.113.7",
      "lure: waiting for Elasticsearch at http://elasticsearch:9200",
      "lure: waiting for Elasticsearch at http://elasticsearch:9200",
      "MY_EXTIP=[203.0.113.7] MY_INTIP=[] set=2",
      "",
    ]);
  });

  withTools("no public address (lookup failed, or an answer that is not one IPv4 address): both exported empty, Logstash still starts", () => {
    for (const publicIp of [undefined, "<html>error</html>", "2001:db8::1"]) {
      const r = run(PIPELINE, { beats: false, publicIp });
      expect(r.status).toBe(0);
      expect(r.stdout.split("\n")).toEqual(["lure: MY_EXTIP=", "MY_EXTIP=[] MY_INTIP=[] set=2", ""]);
    }
  });

  withTools("with Beats: keeps the filters and the output, replaces every file input with the Beats input", () => {
    const r = run(PIPELINE);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 5)).toEqual(["lure: MY_EXTIP=", "lure: T-Pot pipeline ready with the Beats input on port 5055", "MY_EXTIP=[] MY_INTIP=[] set=2", "input {", "  beats { port => 5055 ecs_compatibility => disabled }"]);
    expect(r.stdout).not.toContain("file {");
    expect(r.stdout).not.toContain("/data/cowrie/log/cowrie.json");
    expect(r.stdout).toContain(PIPELINE.slice(PIPELINE.indexOf("filter {")));
  });

  withTools("as the hive: the credential from the environment into private files, a TLS input that requires client certificates, sensors named by sensor", () => {
    const env = { LURE_HIVE_CA: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----", LURE_HIVE_CERTIFICATE: "-----BEGIN CERTIFICATE-----\nHIVE\n-----END CERTIFICATE-----", LURE_HIVE_KEY: "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----" };
    const r = run(PIPELINE, { hive: { env } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const tls = join(r.dir, "tls");
    expect(readFileSync(join(tls, "ca.crt"), "utf8")).toBe(`${env.LURE_HIVE_CA}\n`);
    expect(readFileSync(join(tls, "hive.crt"), "utf8")).toBe(`${env.LURE_HIVE_CERTIFICATE}\n`);
    expect(readFileSync(join(tls, "hive.key"), "utf8")).toBe(`${env.LURE_HIVE_KEY}\n`);
    expect(statSync(join(tls, "hive.key")).mode & 0o077).toBe(0);
    const lines = r.stdout.split("\n");
    // Logstash itself gets no credential in its environment.
    expect(lines.slice(0, 4)).toEqual(["lure: MY_EXTIP=", "lure: T-Pot pipeline ready with the hive's TLS Beats input on port 5055", "MY_EXTIP=[] MY_INTIP=[] set=2 hive_env=0", "input {"]);
    expect(lines[4]).toBe(
      `  beats { port => 5055 ecs_compatibility => disabled ssl_enabled => true ssl_certificate => '${tls}/hive.crt' ssl_key => '${tls}/hive.key' ssl_certificate_authorities => ['${tls}/ca.crt'] ssl_client_authentication => 'required' ssl_supported_protocols => ['TLSv1.2', 'TLSv1.3'] }`,
    );
    expect(r.stdout).not.toContain("file {");
    // T-Pot's filters and output unchanged, then the sensor naming after them.
    const tail = r.stdout.slice(r.stdout.indexOf("filter {"));
    expect(tail.startsWith(PIPELINE.slice(PIPELINE.indexOf("filter {")))).toBe(true);
    expect(tail.slice(PIPELINE.length - PIPELINE.indexOf("filter {"))).toBe(
      ["filter {", "  if [lure_sensor] {", '    mutate { copy => { "lure_sensor" => "t-pot_hostname" } }', '    mutate { remove_field => ["lure_sensor", "t-pot_ip_ext", "t-pot_ip_int", "geoip_ext"] }', "  }", "}", ""].join("\n"),
    );
    expect(parse(readFileSync(join(r.dir, "pipelines.yml"), "utf8"))).toEqual([{ "pipeline.id": "tpot", "path.config": join(r.dir, "out", "tpot-beats.conf"), "pipeline.ecs_compatibility": "disabled" }]);
  });

  withTools("as the hive on a VM: waits, with a log line a minute, until the host has fetched the credential, then reads it where it is mounted", () => {
    const r = run(PIPELINE, { hive: { env: {}, mounted: true } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const tls = join(r.dir, "tls");
    const lines = r.stdout.split("\n");
    expect(lines.filter((l) => l.startsWith("lure: waiting for the hive credential"))).toEqual([`lure: waiting for the hive credential in ${tls} (the host fetches it from the secret store; write it with npm run hive:credentials)`]);
    expect(readFileSync(join(r.dir, "sleep.log"), "utf8")).toBe("60\n");
    expect(lines).toContain(`  beats { port => 5055 ecs_compatibility => disabled ssl_enabled => true ssl_certificate => '${tls}/hive.crt' ssl_key => '${tls}/hive.key' ssl_certificate_authorities => ['${tls}/ca.crt'] ssl_client_authentication => 'required' ssl_supported_protocols => ['TLSv1.2', 'TLSv1.3'] }`);
    // Nothing written into the read-only mount, and no credential in the environment to move.
    expect(readFileSync(join(tls, "hive.key"), "utf8")).toBe("-----BEGIN PRIVATE KEY-----\n");
    expect(tpotLogstashStartScript({ beats: { port: 64294, pipelinePath: "/tmp/p.conf", hive: { dir: "/etc/lure-hive", mounted: true } } })).not.toContain("LURE_HIVE_");
  });

  withTools("as the hive without a credential (the secret has no value yet): stops with the reason before anything is written", () => {
    const r = run(PIPELINE, { hive: { env: { LURE_HIVE_CA: "x", LURE_HIVE_CERTIFICATE: "", LURE_HIVE_KEY: "y" } } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("lure: LURE_HIVE_CERTIFICATE is empty: the hive credential secret has no value; write it with npm run hive:credentials\n");
    expect(() => statSync(join(r.dir, "tls"))).toThrow();
  });

  withTools("a pipeline without the sections stops the container with a reason, and writes nothing", () => {
    const r = run(PIPELINE.replace("filter {", "filters {"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("has no top-level filter section; this is not the T-Pot pipeline lure knows, not starting");
    // Nothing after the check: no pipeline written, T-Pot's entrypoint never reached.
    expect(r.stdout).toBe("lure: MY_EXTIP=\n");
  });
});

describe("Kibana objects step", () => {
  test("T-Pot's init image of the release, its entrypoint replaced; Docker Hub on request", () => {
    const step = kibanaObjectsStep({ kibanaUrl: "http://127.0.0.1:5601" });
    expect(step).toEqual({ name: KIBANA_OBJECTS_CONTAINER, image: TPOT_INIT.image, entrypoint: ["/bin/sh", "-c"], args: [kibanaObjectsScript({ kibanaUrl: "http://127.0.0.1:5601" })] });
    expect(kibanaObjectsStep({ kibanaUrl: "http://127.0.0.1:5601", dockerHub: true }).image).toBe("docker.io/dtagdevsec/tpotinit:24.04.1");
  });

  test("the script passes through Terraform strings unchanged, overwrites on import, and exits or stays", () => {
    const script = kibanaObjectsScript({ kibanaUrl: "http://127.0.0.1:5601" });
    expect(script).not.toMatch(/[$%]\{/);
    expect(script).toContain(`OBJECTS='${TPOT_KIBANA_OBJECTS}'`);
    expect(script).toContain("/api/saved_objects/_import?overwrite=true");
    expect(script.trimEnd().split("\n").pop()).toBe("exit 0");
    const stay = kibanaObjectsScript({ kibanaUrl: "http://127.0.0.1:5601", afterwards: "stay" });
    expect(stay.trimEnd().split("\n").pop()).toBe("while :; do sleep 86400; done");
    // A failure idles too where the platform restarts what ends: no import loop.
    expect(stay).toContain('fail() { echo "lure-kibana-objects: FAILED: $*" >&2; while :; do sleep 86400; done; }');
    expect(script).toContain('fail() { echo "lure-kibana-objects: FAILED: $*" >&2; exit 1; }');
    expect(() => execFileSync("sh", ["-n", "-c", script])).not.toThrow();
  });

  interface Seen {
    method: string;
    url: string;
    headers: IncomingMessage["headers"];
    body: string;
  }

  /** A fake Kibana: status answers 503 `statusFailures` times, the import refuses `importFailures` times. */
  async function fakeKibana(opts: { statusFailures: number; importFailures: number }): Promise<{ server: Server; url: string; seen: Seen[] }> {
    const seen: Seen[] = [];
    let status = 0;
    let imports = 0;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        const json = (code: number, body: unknown): void => void res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
        if (req.url === "/api/status") return status++ < opts.statusFailures ? json(503, { status: "unavailable" }) : json(200, { status: { overall: { level: "available" } } });
        if (req.url?.startsWith("/api/saved_objects/_import")) {
          return imports++ < opts.importFailures
            ? json(200, { success: false, successCount: 0, errors: [{ type: "dashboard", id: "x", error: { type: "unknown" } }] })
            : json(200, { success: true, successCount: 3 });
        }
        if (req.url === "/api/kibana/settings") return json(200, { settings: {} });
        return json(404, {});
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }

  /** The script with the objects file moved to a temp zip and `sleep` a no-op; runs asynchronously (the fake Kibana is in this process). */
  function runScript(kibanaUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const dir = mkdtempSync(join(tmpdir(), "lure-kb-"));
    const objects = [
      { type: "index-pattern", id: "logstash-*", attributes: { title: "logstash-*" } },
      { type: "config", id: "8.16.1", attributes: { defaultIndex: "logstash-*", defaultRoute: "/app/dashboards#/view/home" } },
      { type: "dashboard", id: "home", attributes: { title: "Home" } },
    ];
    writeFileSync(join(dir, "kibana_export.ndjson"), objects.map((o) => JSON.stringify(o)).join("\n") + "\n");
    execFileSync("python3", ["-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); z.write(sys.argv[2]); z.close()", "objects.zip", "kibana_export.ndjson"], { cwd: dir });
    writeFileSync(join(dir, "sleep"), "#!/bin/sh\nexit 0\n");
    chmodSync(join(dir, "sleep"), 0o755);
    const script = kibanaObjectsScript({ kibanaUrl }).replace(`OBJECTS='${TPOT_KIBANA_OBJECTS}'`, `OBJECTS='${join(dir, "objects.zip")}'`).replace("WORK=/tmp/lure-kibana-objects", `WORK=${join(dir, "work")}`);
    return new Promise((resolve) => {
      execFile("sh", ["-c", script], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: "utf8" }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  withTools("waits for Kibana, retries a refused import, imports with overwrite, then sets T-Pot's default index and route", async () => {
    const k = await fakeKibana({ statusFailures: 2, importFailures: 1 });
    try {
      const r = await runScript(k.url);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(k.seen.filter((s) => s.url === "/api/status")).toHaveLength(3);
      const imports = k.seen.filter((s) => s.url.startsWith("/api/saved_objects/_import"));
      expect(imports.map((s) => [s.method, s.url, s.headers["kbn-xsrf"]])).toEqual([
        ["POST", "/api/saved_objects/_import?overwrite=true", "lure"],
        ["POST", "/api/saved_objects/_import?overwrite=true", "lure"],
      ]);
      expect(imports[1].headers["content-type"]).toMatch(/^multipart\/form-data/);
      expect(imports[1].body).toContain('"defaultRoute":"/app/dashboards#/view/home"');
      const settings = k.seen.filter((s) => s.url === "/api/kibana/settings");
      expect(settings).toHaveLength(1);
      expect(JSON.parse(settings[0].body)).toEqual({ changes: { defaultIndex: "logstash-*", defaultRoute: "/app/dashboards#/view/home" } });
      expect(r.stdout.split("\n")).toEqual(
        expect.arrayContaining(["lure-kibana-objects: import attempt 1 refused, retrying", "lure-kibana-objects: imported 3 saved objects of T-Pot 24.04.1 (overwrite)"]),
      );
      // Idempotent: a second run (a redeploy, a restart) sends the same requests again and succeeds.
      const again = await runScript(k.url);
      expect(again.code).toBe(0);
      expect(k.seen.filter((s) => s.url === "/api/kibana/settings").map((s) => s.body)).toEqual([settings[0].body, settings[0].body]);
    } finally {
      k.server.close();
    }
  }, 30_000);

  withTools("a Kibana that keeps refusing makes the step fail, with the errors in its log", async () => {
    const k = await fakeKibana({ statusFailures: 0, importFailures: 99 });
    try {
      const r = await runScript(k.url);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('lure-kibana-objects: FAILED: Kibana did not take the objects: [{"type":"dashboard","id":"x","error":"unknown"}]');
      expect(k.seen.filter((s) => s.url.startsWith("/api/saved_objects/_import"))).toHaveLength(5);
      expect(k.seen.some((s) => s.url === "/api/kibana/settings")).toBe(false);
    } finally {
      k.server.close();
    }
  }, 30_000);

  withTools("an image without the objects fails at once and says which release has them", async () => {
    const script = kibanaObjectsScript({ kibanaUrl: "http://127.0.0.1:9" }).replace(`OBJECTS='${TPOT_KIBANA_OBJECTS}'`, "OBJECTS='/nonexistent/objects.zip'");
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => execFile("sh", ["-c", script], (err, _o, stderr) => resolve({ code: err ? 1 : 0, stderr })));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("FAILED: /nonexistent/objects.zip is not in this image (T-Pot's tpotinit 24.04.1 has it)");
  });
});

describe("sizes", () => {
  test("standard is T-Pot's: Elasticsearch 2 GiB heap in 4 GiB, Logstash 1 GiB in 2 GiB", () => {
    const s = ELASTIC_SIZES.standard;
    expect([s.elasticsearchHeapMb, containerMemoryMb(s.elasticsearchHeapMb), s.logstashHeapMb, containerMemoryMb(s.logstashHeapMb)]).toEqual([2048, 4096, 1024, 2048]);
    expect(ELASTIC_SIZE_NAMES).toEqual(["small", "standard", "large"]);
  });

  test.each(ELASTIC_SIZE_NAMES)("%s: each cloud's Elastic host holds both containers' limits (VMs: plus the host's share), Fargate accepts the tasks", (name) => {
    const s = ELASTIC_SIZES[name];
    const need = containerMemoryMb(s.elasticsearchHeapMb) + containerMemoryMb(s.logstashHeapMb) + VM_HOST_OVERHEAD_MIB;
    expect(AZURE_VM_SIZES[s.azureVmSize].memoryGiB * 1024).toBeGreaterThanOrEqual(need);
    expect(GCP_MACHINE_TYPES[s.gcpMachineType].memoryGiB * 1024).toBeGreaterThanOrEqual(need);
    expect(FARGATE_SIZES[s.awsCpu.elasticsearch]).toContain(fargateMemoryMb(s.elasticsearchHeapMb));
    expect(FARGATE_SIZES[s.awsCpu.logstash]).toContain(fargateMemoryMb(s.logstashHeapMb));
    expect(fargateMemoryMb(s.elasticsearchHeapMb)).toBeGreaterThanOrEqual(containerMemoryMb(s.elasticsearchHeapMb));
    // A hive's Elastic VM also runs the hive's Logstash, of the same heap.
    const hive = need + containerMemoryMb(s.logstashHeapMb);
    expect(AZURE_VM_SIZES[s.hive.azureVmSize].memoryGiB * 1024).toBeGreaterThanOrEqual(hive);
    expect(GCP_MACHINE_TYPES[s.hive.gcpMachineType].memoryGiB * 1024).toBeGreaterThanOrEqual(hive);
    expect(AZURE_VM_SIZES[s.azureVmSize].memoryGiB * 1024).toBeLessThan(hive);
  });

  test("the analytics need Elastic 8.16.1 or a later 8.x", () => {
    expect(["8.16.1", "8.17.0", "8.18.3", "8.100.0"].map(analyticsVersionOk)).toEqual([true, true, true, true]);
    expect(["8.16.0", "8.15.9", "7.17.9", "9.0.0"].map(analyticsVersionOk)).toEqual([false, false, false, false]);
  });
});

test("the shippers send events shaped as T-Pot's file inputs make them: type and path, no Beats metadata", () => {
  const conf = filebeatConfig("conpot_IEC104", logstashInputs([TPOT.honeypots.conpot_IEC104]), { address: "10.0.0.4" }) as Record<string, unknown>;
  expect(conf["filebeat.inputs"]).toEqual([expect.objectContaining({ paths: ["/data/conpot/log/*.json"], fields: { type: "ConPot" }, fields_under_root: true })]);
  expect(conf.processors).toEqual([
    { copy_fields: { fields: [{ from: "log.file.path", to: "path" }], fail_on_error: false, ignore_missing: true } },
    { drop_fields: { fields: ["agent", "ecs", "host", "input", "log"], ignore_missing: true } },
  ]);
  expect(BEATS_METADATA).toContain("host");
});
