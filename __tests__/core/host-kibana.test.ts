/** The Kibana host's cloud-init document, read back with the yaml library. */
import { KIBANA_HEALTH_COMMAND, kibanaObjectsScript } from "../../modules/core/analytics";
import { STACK_UNIT } from "../../modules/core/host";
import { kibanaHostCloudInit, type KibanaHostProps } from "../../modules/core/host/kibana-host";
import { cloudConfig, compose, file, publishedPorts, sshdPorts, thrown, type CloudConfig } from "./host-helpers";

const ES_URL = "http://10.42.16.4:9200";
const render = (extra: Partial<KibanaHostProps> = {}): CloudConfig => cloudConfig(kibanaHostCloudInit({ elasticsearchUrl: ES_URL, ...extra }));
const runIndex = (doc: CloudConfig, argv: string[]) => doc.runcmd.findIndex((c) => JSON.stringify(c) === JSON.stringify(argv));

test("a #cloud-config document with Kibana (the official image of the Elastic version) and the import of T-Pot's objects", () => {
  const text = kibanaHostCloudInit({ elasticsearchUrl: ES_URL });
  expect(text.split("\n", 1)[0]).toBe("#cloud-config");
  const { name, services } = compose(render());
  expect(name).toBe("lure");
  expect(Object.keys(services)).toEqual(["kibana", "kibana-objects"]);
  expect(services.kibana.image).toBe("docker.elastic.co/kibana/kibana:8.17.0");
  expect(services.kibana.restart).toBe("always");
  expect(compose(render({ elastic: { version: "8.18.1" } })).services.kibana.image).toBe("docker.elastic.co/kibana/kibana:8.18.1");
  expect(compose(render({ elastic: { version: "8.18.1", images: { kibana: "registry.example.com/kibana:8.18.1-custom" } } })).services.kibana.image).toBe(
    "registry.example.com/kibana:8.18.1-custom",
  );
});

test("published on host port 80 to 5601/tcp, or on the port given", () => {
  expect(compose(render()).services.kibana.ports).toEqual([{ target: 5601, published: 80, protocol: "tcp", mode: "host" }]);
  expect(publishedPorts(render())).toEqual(["80/tcp"]);
  expect(compose(render({ port: 8080 })).services.kibana.ports).toEqual([{ target: 5601, published: 8080, protocol: "tcp", mode: "host" }]);
});

test("environment: Elasticsearch, listen on all addresses, its name, telemetry off and locked", () => {
  expect(compose(render()).services.kibana.environment).toEqual({
    ELASTICSEARCH_HOSTS: '["http://10.42.16.4:9200"]',
    SERVER_HOST: "0.0.0.0",
    SERVER_NAME: "lure-kibana",
    TELEMETRY_OPTIN: "false",
    TELEMETRY_ALLOWCHANGINGOPTINSTATUS: "false",
  });
  expect(compose(render({ publicBaseUrl: "https://kibana.example.com" })).services.kibana.environment?.SERVER_PUBLICBASEURL).toBe("https://kibana.example.com");
  // A cdktf token is taken as it is (Terraform resolves it).
  const token = "http://${azurerm_linux_virtual_machine.elastic.private_ip_address}:9200";
  expect(compose(render({ elasticsearchUrl: token })).services.kibana.environment?.ELASTICSEARCH_HOSTS).toBe(JSON.stringify([token]));
});

test("memory capped, root writable (Kibana writes its data folder), state in /srv/kibana owned 1000:0 before the stack starts", () => {
  const doc = render();
  const kibana = compose(doc).services.kibana;
  expect(kibana.mem_limit).toBe("1536m");
  expect(kibana.read_only).toBeUndefined();
  expect(kibana.volumes).toEqual(["/srv/kibana:/usr/share/kibana/data"]);
  const prepare = ["install", "-d", "-o", "1000", "-g", "0", "-m", "0770", "/srv/kibana"];
  expect(runIndex(doc, prepare)).toBeGreaterThanOrEqual(0);
  expect(runIndex(doc, prepare)).toBeLessThan(runIndex(doc, ["systemctl", "enable", "--now", STACK_UNIT]));
});

test("admin SSH on 64295 or its own port; the Kibana port is refused for it", () => {
  expect(sshdPorts(render())).toEqual([64295]);
  expect(file(render(), "/etc/ssh/sshd_config.d/00-lure.conf").split("\n")).toEqual(expect.arrayContaining(["Port 64295", "PasswordAuthentication no", "PermitRootLogin no"]));
  expect(sshdPorts(render({ adminSsh: { port: 2222 } }))).toEqual([2222]);
  expect(thrown(() => render({ adminSsh: { port: 80 } })).problems).toEqual([
    { path: "adminSsh.port", message: "80 collides with kibana's port 80/tcp; choose a port nothing else on this host listens on (default 64295)" },
  ]);
  expect(thrown(() => render({ port: 64295 })).problems).toEqual([
    { path: "adminSsh.port", message: "64295 collides with kibana's port 64295/tcp; choose a port nothing else on this host listens on (default 64295)" },
  ]);
});

test("same input, same bytes", () => {
  const props: KibanaHostProps = { elasticsearchUrl: ES_URL, publicBaseUrl: "https://kibana.example.com", adminSsh: { port: 2222 } };
  expect(kibanaHostCloudInit(props)).toBe(kibanaHostCloudInit({ ...props, adminSsh: { ...props.adminSsh } }));
});

test("bad props are reported together, each with its path", () => {
  const e = thrown(() =>
    kibanaHostCloudInit({
      elasticsearchUrl: "10.42.16.4:9200",
      port: 70000,
      elastic: { version: "latest", images: { kibana: "kibana" } },
      adminSsh: { port: 0 },
      publicBaseUrl: "https://kibana.example.com/",
    }),
  );
  expect(e.message).toContain("kibanaHostCloudInit");
  expect(e.problems).toEqual([
    { path: "elasticsearchUrl", message: `"10.42.16.4:9200" is not an Elasticsearch URL; allowed: http(s)://<address or DNS name>[:port][/path], no credentials, e.g. "http://10.42.16.4:9200"` },
    { path: "publicBaseUrl", message: `"https://kibana.example.com/" is not a public base URL; allowed: http(s)://<DNS name or address>[:port][/path] without a trailing slash, e.g. "https://kibana.example.com"` },
    { path: "port", message: "70000 is not a port; allowed: an integer from 1 to 65535" },
    { path: "elastic.version", message: `"latest" is not a version; allowed: like 8.17.0` },
    { path: "elastic.images.kibana", message: `"kibana" is not a pinned image reference; allowed: registry/name:tag or registry/name@sha256:<digest>` },
    { path: "adminSsh.port", message: "0 is not a port; allowed: an integer from 1 to 65535" },
  ]);
  for (const url of ["http://elastic:secret@10.42.16.4:9200", "ftp://10.42.16.4:9200", "http://10.42.16.4:99999", "http://10.42.16.4:9200?x=1"]) {
    expect(thrown(() => kibanaHostCloudInit({ elasticsearchUrl: url })).problems?.map((p) => p.path)).toEqual(["elasticsearchUrl"]);
  }
  expect(thrown(() => kibanaHostCloudInit({} as KibanaHostProps)).problems).toEqual([
    { path: "elasticsearchUrl", message: `undefined is not an Elasticsearch URL; allowed: http(s)://<address or DNS name>[:port][/path], no credentials, e.g. "http://10.42.16.4:9200"` },
  ]);
});

test("T-Pot's saved objects: tpotinit of the catalog's release, once Kibana is healthy, one-shot, over the compose network", () => {
  const { services } = compose(render());
  expect(services.kibana.healthcheck).toEqual({ test: ["CMD-SHELL", KIBANA_HEALTH_COMMAND], interval: "30s", timeout: "10s", retries: 20, start_period: "120s" });
  expect(KIBANA_HEALTH_COMMAND).toBe("curl -fsS -o /dev/null http://127.0.0.1:5601/api/status || exit 1");
  const objects = services["kibana-objects"];
  expect(objects.image).toBe("ghcr.io/telekom-security/tpotinit:24.04.1");
  expect(objects.depends_on).toEqual({ kibana: { condition: "service_healthy" } });
  expect([objects.restart, objects.read_only, objects.tmpfs, objects.networks]).toEqual(["no", true, ["/tmp"], ["kibana"]]);
  expect(objects.entrypoint).toEqual(["/bin/sh", "-c"]);
  expect(objects.command).toEqual([kibanaObjectsScript({ kibanaUrl: "http://kibana:5601" })]);
  // Written for Compose, which would read `$KIBANA` as a variable of its own: every `$` doubled in the file.
  expect(file(render(), "/etc/lure/compose.yaml")).toContain('"$$KIBANA/api/saved_objects/_import?overwrite=true"');
  expect(file(render(), "/etc/lure/compose.yaml")).not.toMatch(/(^|[^$])\$KIBANA/m);
  // Nothing published, no Elasticsearch address: it talks to Kibana only.
  expect([objects.ports, objects.environment]).toEqual([undefined, undefined]);
});
