/** The Elastic host's cloud-init document, read back with the yaml library. */
import { execFileSync } from "child_process";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { TPOT_LOGSTASH, TPOT_PIPELINES_YML, tpotBeatsPipelines, tpotLogstashStartScript } from "../../modules/core/analytics";
import { ELASTICSEARCH_HEALTH_COMMAND } from "../../modules/core/host/elastic-host";
import { METADATA_UNIT, metadataUnit } from "../../modules/core/host/cloud-init";
import { HIVE_CREDENTIAL_SCRIPT, HIVE_CREDENTIAL_UNIT, hiveCredentialScript, hiveCredentialUnit } from "../../modules/core/hive";
import { STACK_UNIT, elasticHostCloudInit, type ElasticHostProps } from "../../modules/core/host";
import { cloudConfig, compose, file, sshdPorts, thrown, type CloudConfig } from "./host-helpers";

const AZURE_DISK = { device: "/dev/disk/azure/scsi1/lun0" };
const render = (extra: Partial<ElasticHostProps> = {}): CloudConfig => cloudConfig(elasticHostCloudInit({ prefix: "lure", dataDisk: AZURE_DISK, ...extra }));
const runIndex = (doc: CloudConfig, argv: string[]) => doc.runcmd.findIndex((c) => JSON.stringify(c) === JSON.stringify(argv));

test("Elastic's Elasticsearch of the Elastic version, T-Pot's Logstash of the catalog's release, nothing else", () => {
  const { services } = compose(render());
  expect(Object.keys(services)).toEqual(["elasticsearch", "logstash"]);
  expect([services.elasticsearch.image, services.logstash.image]).toEqual(["docker.elastic.co/elasticsearch/elasticsearch:8.17.0", "ghcr.io/telekom-security/logstash:24.04.1"]);
  expect(TPOT_LOGSTASH.image).toBe("ghcr.io/telekom-security/logstash:24.04.1");
  const other = compose(render({ elastic: { version: "8.18.1", images: { logstash: "registry.example.com/tpot-logstash:24.04.1-custom" } } })).services;
  expect([other.elasticsearch.image, other.logstash.image]).toEqual(["docker.elastic.co/elasticsearch/elasticsearch:8.18.1", "registry.example.com/tpot-logstash:24.04.1-custom"]);
});

test("Elasticsearch: T-Pot's single-node settings, memory lock, data on the data disk, 9200 for Kibana", () => {
  const es = compose(render()).services.elasticsearch;
  expect(es.environment).toEqual({
    "bootstrap.memory_lock": "true",
    "cluster.name": "lure-honeynet",
    "discovery.type": "single-node",
    ES_JAVA_OPTS: "-Xms2048m -Xmx2048m",
    "xpack.security.enabled": "false",
  });
  expect([es.cap_add, es.ulimits, es.mem_limit]).toEqual([["IPC_LOCK"], { memlock: { soft: -1, hard: -1 }, nofile: { soft: 65536, hard: 65536 } }, "4096m"]);
  expect(es.volumes).toEqual(["/srv/elasticsearch/data:/usr/share/elasticsearch/data"]);
  expect(es.ports).toEqual([{ target: 9200, published: 9200, protocol: "tcp", mode: "host" }]);
  expect(file(render(), "/etc/sysctl.d/60-lure-elasticsearch.conf")).toBe("vm.max_map_count = 262144\n");
});

test("Logstash runs T-Pot's pipeline behind a Beats input on the shippers' port, as HIVE, reaching Elasticsearch by its compose name", () => {
  const doc = render({ hostname: "lure-azure" });
  const ls = compose(doc).services.logstash;
  expect(ls.ports).toEqual([{ target: 5044, published: 5044, protocol: "tcp", mode: "host" }]);
  expect(ls.entrypoint).toEqual(["/bin/bash", "/etc/lure-logstash/start.sh"]);
  expect(ls.volumes).toEqual(["/etc/lure/logstash/start.sh:/etc/lure-logstash/start.sh:ro", `/etc/lure/logstash/pipelines.yml:${TPOT_PIPELINES_YML}:ro`]);
  expect(ls.environment).toEqual({ LS_JAVA_OPTS: "-Xms1024m -Xmx1024m", MY_HOSTNAME: "lure-azure", TPOT_TYPE: "HIVE" });
  expect(ls.mem_limit).toBe("2048m");
  // Logstash's start script waits for Elasticsearch (T-Pot's entrypoint puts the ILM policy there); compose only orders the start.
  expect([ls.depends_on, ls.networks, compose(doc).services.elasticsearch.networks]).toEqual([{ elasticsearch: { condition: "service_started" } }, ["elastic"], ["elastic"]]);
  expect(compose(doc).services.elasticsearch.healthcheck).toEqual({ test: ["CMD-SHELL", ELASTICSEARCH_HEALTH_COMMAND], interval: "10s", timeout: "5s", retries: 60, start_period: "60s" });
  expect(file(doc, "/etc/lure/logstash/start.sh")).toBe(tpotLogstashStartScript({ beats: { port: 5044, pipelinePath: "/tmp/lure/tpot-beats.conf" } }));
  expect(doc.write_files.find((f) => f.path === "/etc/lure/logstash/start.sh")?.permissions).toBe("0755");
  expect(file(doc, "/etc/lure/logstash/pipelines.yml")).toBe(tpotBeatsPipelines("/tmp/lure/tpot-beats.conf"));
  const moved = render({ logstashPort: 5055, logstashHeapMb: 768 });
  expect(compose(moved).services.logstash.ports).toEqual([{ target: 5055, published: 5055, protocol: "tcp", mode: "host" }]);
  expect(file(moved, "/etc/lure/logstash/start.sh")).toContain("beats { port => 5055 ecs_compatibility => disabled }");
  expect([compose(moved).services.logstash.mem_limit, compose(moved).services.logstash.environment?.LS_JAVA_OPTS]).toEqual(["1536m", "-Xms768m -Xmx768m"]);
  expect(compose(render()).services.logstash.environment?.MY_HOSTNAME).toBe("lure-honeynet");
});

describe("as the hive (honeynet.analytics.hive names this cloud)", () => {
  const credential = { cloud: "gcp", project: "my-project", secretName: "lure-hive-server" } as const;
  const hive = render({ hostname: "lure-gcp", hive: { credential } });

  test("a second T-Pot Logstash, logstash-hive, on 64294 only, its credential mounted read-only; the first unchanged", () => {
    const { services } = compose(hive);
    expect(Object.keys(services)).toEqual(["elasticsearch", "logstash", "logstash-hive"]);
    const h = services["logstash-hive"];
    expect(h.image).toBe("ghcr.io/telekom-security/logstash:24.04.1");
    expect(h.ports).toEqual([{ target: 64294, published: 64294, protocol: "tcp", mode: "host" }]);
    expect(h.entrypoint).toEqual(["/bin/bash", "/etc/lure-logstash/start-hive.sh"]);
    expect(h.volumes).toEqual(["/etc/lure/logstash/start-hive.sh:/etc/lure-logstash/start-hive.sh:ro", `/etc/lure/logstash/pipelines-hive.yml:${TPOT_PIPELINES_YML}:ro`, "/etc/lure/hive:/etc/lure-hive:ro"]);
    expect([h.environment, h.mem_limit, h.depends_on, h.networks]).toEqual([{ LS_JAVA_OPTS: "-Xms1024m -Xmx1024m", MY_HOSTNAME: "lure-gcp", TPOT_TYPE: "HIVE" }, "2048m", { elasticsearch: { condition: "service_started" } }, ["elastic"]]);
    expect(file(hive, "/etc/lure/logstash/start-hive.sh")).toBe(tpotLogstashStartScript({ beats: { port: 64294, pipelinePath: "/tmp/lure/tpot-hive.conf", hive: { dir: "/etc/lure-hive", mounted: true } } }));
    expect(file(hive, "/etc/lure/logstash/pipelines-hive.yml")).toBe(tpotBeatsPipelines("/tmp/lure/tpot-hive.conf"));
    expect(compose(hive).services.logstash).toEqual(compose(render({ hostname: "lure-gcp" })).services.logstash);
  });

  test("the server's credential fetched at boot with the VM's identity, retried; containers kept off the metadata service first", () => {
    expect(file(hive, HIVE_CREDENTIAL_SCRIPT)).toBe(hiveCredentialScript(credential, { gid: 2000 }, "server"));
    expect(file(hive, `/etc/systemd/system/${HIVE_CREDENTIAL_UNIT}`)).toBe(hiveCredentialUnit("server"));
    expect(file(hive, `/etc/systemd/system/${METADATA_UNIT}`)).toBe(metadataUnit());
    const at = (argv: string[]) => runIndex(hive, argv);
    const block = at(["systemctl", "enable", "--now", METADATA_UNIT]);
    expect(at(["install", "-d", "-o", "0", "-g", "2000", "-m", "0750", "/etc/lure/hive"])).toBeGreaterThan(-1);
    expect(block).toBeGreaterThan(-1);
    expect(at(["systemctl", "enable", "--now", "--no-block", HIVE_CREDENTIAL_UNIT])).toBeGreaterThan(block);
    expect(at(["systemctl", "enable", "--now", STACK_UNIT])).toBeGreaterThan(block);
  });

  test("none of it without the option; a port the host already uses is refused", () => {
    const own = render();
    expect(own.write_files.map((f) => f.path).filter((p) => p.includes("hive") || p.includes("no-metadata"))).toEqual([]);
    expect(thrown(() => render({ hive: { credential, port: 5044 } })).message).toContain("hive.port: 5044 is also logstashPort");
    expect(thrown(() => render({ hive: { credential, port: 9200 } })).message).toContain("hive.port: 9200 is also elasticsearchPort");
  });
});

describe("data disk", () => {
  const script = (doc: CloudConfig) => file(doc, "/usr/local/sbin/lure-data-disk");

  test("the disk script gets the device and mount point, runs before the stack, and the stack needs the mount", () => {
    const doc = render({ dataDisk: { device: "/dev/disk/by-id/google-es-data", mountPoint: "/mnt/es" } });
    const lines = script(doc).split("\n");
    expect(lines).toEqual(expect.arrayContaining(["DEVICE='/dev/disk/by-id/google-es-data'", "MOUNT='/mnt/es'"]));
    // Format only what carries no signature at all; mount by UUID, survive reboots (nofail).
    expect(lines).toEqual(expect.arrayContaining(['blkid -p "$DEV" >/dev/null 2>&1 || mkfs.ext4 -q -L lure-esdata "$DEV"']));
    expect(lines.some((l) => l.includes("defaults,nofail 0 2") && l.includes(">> /etc/fstab"))).toBe(true);
    expect(doc.write_files.find((f) => f.path === "/usr/local/sbin/lure-data-disk")?.permissions).toBe("0755");
    expect(runIndex(doc, ["/usr/local/sbin/lure-data-disk"])).toBeLessThan(runIndex(doc, ["systemctl", "enable", "--now", STACK_UNIT]));
    expect(runIndex(doc, ["/usr/local/sbin/lure-data-disk"])).toBeGreaterThanOrEqual(0);
    const unit = file(doc, `/etc/systemd/system/${STACK_UNIT}`).split("\n");
    expect(unit).toEqual(expect.arrayContaining(["RequiresMountsFor=/mnt/es", "AssertPathIsMountPoint=/mnt/es"]));
    expect(compose(doc).services.elasticsearch.volumes).toEqual(["/mnt/es/data:/usr/share/elasticsearch/data"]);
  });

  test("the disk script is valid sh", () => {
    const dir = mkdtempSync(join(tmpdir(), "lure-disk-"));
    const path = join(dir, "lure-data-disk");
    writeFileSync(path, script(render()));
    expect(() => execFileSync("sh", ["-n", path])).not.toThrow();
  });
});

test("admin SSH on its port, off Elasticsearch's and Logstash's; a collision is refused", () => {
  expect(sshdPorts(render())).toEqual([64295]);
  expect(thrown(() => render({ adminSsh: { port: 5044 } })).problems).toEqual([
    { path: "adminSsh.port", message: "5044 collides with logstash's port 5044/tcp; choose a port nothing else on this host listens on (default 64295)" },
  ]);
});

test("same input, same bytes", () => {
  const props: ElasticHostProps = { prefix: "lure", dataDisk: AZURE_DISK };
  expect(elasticHostCloudInit(props)).toBe(elasticHostCloudInit({ ...props }));
});

test("bad props are reported together, each with its path", () => {
  const e = thrown(() =>
    elasticHostCloudInit({
      prefix: "--",
      dataDisk: { device: "/dev/sdc; reboot", mountPoint: "/", waitSeconds: -1 },
      elastic: { version: "latest", images: { elasticsearch: "elasticsearch" } },
      logstashPort: 9200,
      elasticsearchHeapMb: 100,
    }),
  );
  expect(e.problems).toEqual([
    { path: "prefix", message: `"--" is not a prefix; allowed: letters and digits, separated by hyphens` },
    { path: "dataDisk.device", message: `"/dev/sdc; reboot" is not a device path; allowed: /dev/… (letters, digits, . _ : / -), e.g. "/dev/disk/azure/scsi1/lun0" or "/dev/disk/by-id/google-es-data"` },
    { path: "dataDisk.mountPoint", message: `"/" is not a mount point; allowed: an absolute path other than / (letters, digits, . _ / -, no ..)` },
    { path: "dataDisk.waitSeconds", message: "-1 is not a wait; allowed: whole seconds from 0 to 3600" },
    { path: "elastic.version", message: `"latest" is not a version; allowed: like 8.17.0` },
    { path: "elastic.images.elasticsearch", message: `"elasticsearch" is not a pinned image reference; allowed: registry/name:tag or registry/name@sha256:<digest>` },
    { path: "logstashPort", message: "9200 is also elasticsearchPort; give them different ports" },
    { path: "elasticsearchHeapMb", message: "100 is not a heap size; allowed: whole MiB from 256 to 31744" },
  ]);
  expect(thrown(() => elasticHostCloudInit({ prefix: "lure" } as ElasticHostProps)).problems).toEqual([
    { path: "dataDisk", message: "undefined is missing; give { device } of the attached data disk" },
  ]);
});
