/** The honeypot host's cloud-init document, read back with the yaml library. */
import { parse } from "yaml";
import { HONEYPOT_NAMES, TPOT } from "../../modules/core/catalog";
import {
  DEFAULT_ADMIN_SSH_PORT,
  INTERNAL_MEMBERS,
  STACK_UNIT,
  honeypotHostCloudInit,
  internalPeers,
  type HoneypotHostProps,
} from "../../modules/core/host";
import { cloudConfig, compose, file, publishedPorts, sshdPorts, thrown, type CloudConfig } from "./host-helpers";

const LOGSTASH = { address: "10.42.0.4" };
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example";
const render = (honeypot: string, extra: Partial<HoneypotHostProps> = {}): CloudConfig => cloudConfig(honeypotHostCloudInit({ honeypot, logstash: LOGSTASH, ...extra }));
const filebeat = (doc: CloudConfig) => parse(file(doc, "/etc/lure/filebeat.yml"));
/** Honeypots that get a host of their own (internal members run on their owner's). */
const HOSTS = HONEYPOT_NAMES.filter((n) => !INTERNAL_MEMBERS.includes(n));
const runIndex = (doc: CloudConfig, argv: string[]) => doc.runcmd.findIndex((c) => JSON.stringify(c) === JSON.stringify(argv));

describe("ports as T-Pot's compose file publishes them", () => {
  test("cowrie publishes 22 and 23; sshd listens on the admin port only", () => {
    const doc = render("cowrie");
    expect(compose(doc).services.cowrie.ports).toEqual([
      { target: 22, published: 22, protocol: "tcp", mode: "host" },
      { target: 23, published: 23, protocol: "tcp", mode: "host" },
    ]);
    expect(sshdPorts(doc)).toEqual([64295]);
    const sshd = file(doc, "/etc/ssh/sshd_config.d/00-lure.conf").split("\n");
    expect(sshd).toEqual(expect.arrayContaining(["PasswordAuthentication no", "KbdInteractiveAuthentication no", "PermitRootLogin no"]));
    expect(doc.ssh_pwauth).toBe(false);
    // sshd leaves socket activation (port fixed at boot) and restarts on 64295 before cowrie takes 22.
    const restart = runIndex(doc, ["systemctl", "restart", "ssh.service"]);
    expect(runIndex(doc, ["systemctl", "disable", "--now", "ssh.socket"])).toBeLessThan(restart);
    expect(restart).toBeGreaterThanOrEqual(0);
    expect(restart).toBeLessThan(runIndex(doc, ["systemctl", "enable", "--now", STACK_UNIT]));
  });

  test("dicompot maps host 104 to container 11112 and keeps 11112", () => {
    expect(compose(render("dicompot")).services.dicompot.ports).toEqual([
      { target: 11112, published: 104, protocol: "tcp", mode: "host" },
      { target: 11112, published: 11112, protocol: "tcp", mode: "host" },
    ]);
  });

  test.each([
    ["conpot_ipmi", ["623/udp"]],
    ["sentrypeer", ["5060/tcp", "5060/udp"]],
    ["ddospot", ["19/udp", "53/udp", "123/udp", "1900/udp"]],
  ])("%s publishes its UDP ports as UDP", (name, ports) => {
    expect(publishedPorts(render(name))).toEqual(ports);
  });

  test("override.ports keeps a subset", () => {
    expect(publishedPorts(render("cowrie", { override: { ports: ["22/tcp"] } }))).toEqual(["22/tcp"]);
  });

  test("every host publishes exactly its catalog's host ports, and only the honeypot's service publishes", () => {
    for (const name of HOSTS) {
      const services = compose(render(name)).services;
      const expected = [...new Set(TPOT.honeypots[name].ports.map((p) => `${p.host}/${p.protocol}`))];
      expect([name, (services[name].ports ?? []).map((p) => `${p.published}/${p.protocol}`)]).toEqual([name, expected]);
      expect([name, Object.entries(services).filter(([n, s]) => n !== name && s.ports !== undefined).map(([n]) => n)]).toEqual([name, []]);
    }
  });
});

describe("T-Pot's container settings", () => {
  test("cowrie: image, tmpfs for uid 2000, read-only root, restart policy, log and data folders", () => {
    const s = compose(render("cowrie")).services.cowrie;
    expect(s.image).toBe("ghcr.io/telekom-security/cowrie:24.04.1");
    expect(s.tmpfs).toEqual(["/tmp/cowrie:uid=2000,gid=2000", "/tmp/cowrie/data:uid=2000,gid=2000"]);
    expect(s.read_only).toBe(true);
    expect(s.restart).toBe("always");
    expect(s.volumes).toEqual([
      "/data/cowrie/log:/home/cowrie/cowrie/log",
      "/data/cowrie/log/tty:/home/cowrie/cowrie/log/tty",
      "/data/cowrie/downloads:/home/cowrie/cowrie/dl",
      "/data/cowrie/keys:/home/cowrie/cowrie/etc",
    ]);
    expect(s.user).toBeUndefined();
    expect(s.environment).toBeUndefined();
  });

  test("conpot's environment comes from the catalog", () => {
    expect(compose(render("conpot_ipmi")).services.conpot_ipmi.environment).toEqual({
      CONPOT_CONFIG: "/etc/conpot/conpot.cfg",
      CONPOT_JSON_LOG: "/var/log/conpot/conpot_ipmi.json",
      CONPOT_LOG: "/var/log/conpot/conpot_ipmi.log",
      CONPOT_TEMPLATE: "ipmi",
      CONPOT_TMP: "/tmp/conpot",
    });
  });

  test("snare keeps its writable root (the one 24.04 honeypot without read_only)", () => {
    expect(compose(render("snare")).services.snare.read_only).toBe(false);
  });

  test("the log folder /data/<hp>/log and its parents are created owned 2000:2000, mode 0770, before the stack starts", () => {
    const doc = render("cowrie");
    const install = doc.runcmd.find((c) => c[0] === "install")!;
    expect(install).toEqual([
      "install", "-d", "-o", "2000", "-g", "2000", "-m", "0770",
      "/data", "/data/cowrie", "/data/cowrie/downloads", "/data/cowrie/keys", "/data/cowrie/log", "/data/cowrie/log/tty", "/data/shipper",
    ]);
    expect(doc.runcmd.indexOf(install)).toBeLessThan(runIndex(doc, ["systemctl", "enable", "--now", STACK_UNIT]));
  });

  test("overrides apply to the honeypot: image, user, extra environment", () => {
    const s = compose(render("conpot_ipmi", { override: { image: "registry.example.com/lure/conpot:1.2.3", user: "0", env: { CONPOT_TEMPLATE: "custom", EXTRA: "1" } } })).services.conpot_ipmi;
    expect(s.image).toBe("registry.example.com/lure/conpot:1.2.3");
    expect(s.user).toBe("0");
    expect(s.environment?.CONPOT_TEMPLATE).toBe("custom");
    expect(s.environment?.EXTRA).toBe("1");
  });

  test("T-Pot's hpfeeds placeholders are left out (no dummy secret on the host)", () => {
    const env = compose(render("rdpy")).services.rdpy.environment ?? {};
    expect(Object.keys(env).filter((k) => k.startsWith("HPFEEDS_"))).toEqual([]);
  });
});

describe("internal group members", () => {
  test("snare's host runs tanner and its peers by service name, unpublished, on the honeypot network", () => {
    const { services } = compose(render("snare"));
    expect(Object.keys(services)).toEqual(["tanner_redis", "tanner_phpox", "tanner_api", "tanner", "snare", "shipper"]);
    for (const peer of ["tanner", "tanner_api", "tanner_phpox", "tanner_redis"]) {
      expect([peer, services[peer].ports]).toEqual([peer, undefined]);
      expect([peer, services[peer].networks]).toEqual([peer, ["honeypot"]]);
    }
    expect(services.snare.networks).toEqual(["honeypot"]);
    expect(services.snare.depends_on).toEqual(["tanner"]);
    expect(services.tanner.depends_on).toEqual(["tanner_api", "tanner_phpox", "tanner_redis"]);
    // One image, two programs (T-Pot's compose command).
    expect([services.tanner.image, services.tanner.command]).toEqual(["ghcr.io/telekom-security/tanner:24.04.1", "tanner"]);
    expect([services.tanner_api.image, services.tanner_api.command]).toEqual(["ghcr.io/telekom-security/tanner:24.04.1", "tannerapi"]);
    expect(publishedPorts(render("snare"))).toEqual(["80/tcp"]);
  });

  test("the internal members are exactly tanner's set, and none has a host of its own", () => {
    expect([...INTERNAL_MEMBERS].sort()).toEqual(["tanner", "tanner_api", "tanner_phpox", "tanner_redis"]);
    expect(internalPeers("snare").map((p) => p.name)).toEqual(["tanner", "tanner_api", "tanner_phpox", "tanner_redis"]);
    expect(thrown(() => render("tanner")).problems).toEqual([
      { path: "honeypot", message: `"tanner" is an internal member of "snare"'s group and has no host of its own; render "snare", whose host runs it` },
    ]);
  });
});

describe("log shipper", () => {
  test("Filebeat sends to Logstash's private address and port", () => {
    expect(filebeat(render("cowrie"))["output.logstash"]).toEqual({ hosts: ["10.42.0.4:5044"] });
    expect(filebeat(render("cowrie", { logstash: { address: "10.42.0.4", port: 5045 } }))["output.logstash"]).toEqual({ hosts: ["10.42.0.4:5045"] });
  });

  test("a cdktf token as the address is passed through", () => {
    const token = "${TfToken[TOKEN.42]}";
    expect(filebeat(render("cowrie", { logstash: { address: token } }))["output.logstash"]).toEqual({ hosts: [`${token}:5044`] });
  });

  test("cowrie: one input, JSON lines, type Cowrie", () => {
    expect(filebeat(render("cowrie"))["filebeat.inputs"]).toEqual([
      {
        type: "filestream",
        id: "cowrie-data-cowrie-log-cowrie-json",
        paths: ["/data/cowrie/log/cowrie.json"],
        parsers: [{ ndjson: { target: "", add_error_key: true } }],
        fields: { type: "Cowrie" },
        fields_under_root: true,
      },
    ]);
  });

  test("a plain log (heralding's CSV) is shipped as lines, type Heralding", () => {
    const [input] = filebeat(render("heralding"))["filebeat.inputs"];
    expect([input.paths, input.fields, input.parsers]).toEqual([["/data/heralding/log/auth.csv"], { type: "Heralding" }, undefined]);
  });

  test("every host ships exactly the catalog's log inputs of its members, with T-Pot's type, from read-only mounts", () => {
    for (const name of HOSTS) {
      const doc = render(name);
      const members = [TPOT.honeypots[name], ...internalPeers(name)];
      const expected = [...new Map(members.flatMap((m) => m.logInputs).map((i) => [i.path, [i.path, i.type]])).values()];
      const inputs = filebeat(doc)["filebeat.inputs"] as { paths: string[]; fields: { type: string } }[];
      expect([name, inputs.map((i) => [i.paths[0], i.fields.type])]).toEqual([name, expected]);
      const mounts = compose(doc).services.shipper.volumes!;
      for (const [path] of expected) {
        const folder = path.slice(0, path.lastIndexOf("/"));
        expect([name, mounts.includes(`${folder}:${folder}:ro`)]).toEqual([name, true]);
      }
    }
  });

  test("the shipper runs pinned, as T-Pot's user, on its own network, read-only", () => {
    const s = compose(render("cowrie")).services.shipper;
    expect([s.image, s.user, s.networks, s.read_only, s.restart]).toEqual(["docker.elastic.co/beats/filebeat:8.17.0", "2000:2000", ["shipper"], true, "always"]);
    expect(compose(render("cowrie", { elasticVersion: "8.18.1" })).services.shipper.image).toBe("docker.elastic.co/beats/filebeat:8.18.1");
  });
});

describe("admin SSH and host hardening", () => {
  test("for every honeypot with a host, sshd's port is none of the published ports", () => {
    for (const name of HOSTS) {
      const doc = render(name);
      expect([name, sshdPorts(doc)]).toEqual([name, [DEFAULT_ADMIN_SSH_PORT]]);
      expect([name, publishedPorts(doc).some((p) => p.startsWith(`${DEFAULT_ADMIN_SSH_PORT}/`))]).toEqual([name, false]);
    }
  });

  test("an admin port on a honeypot port is refused, naming the honeypot and the port", () => {
    expect(thrown(() => render("cowrie", { adminSsh: { port: 22 } })).problems).toEqual([
      { path: "adminSsh.port", message: "22 collides with cowrie's port 22/tcp; choose a port nothing else on this host listens on (default 64295)" },
    ]);
    expect(thrown(() => render("sentrypeer", { adminSsh: { port: 5060 } })).problems?.map((p) => p.message)).toEqual([
      "5060 collides with sentrypeer's port 5060/tcp; choose a port nothing else on this host listens on (default 64295)",
      "5060 collides with sentrypeer's port 5060/udp; choose a port nothing else on this host listens on (default 64295)",
    ]);
  });

  test("a port dropped by override.ports is free for admin SSH", () => {
    expect(sshdPorts(render("cowrie", { override: { ports: ["22/tcp"] }, adminSsh: { port: 23 } }))).toEqual([23]);
  });

  test("the admin key is installed only when given", () => {
    expect(render("cowrie").ssh_authorized_keys).toBeUndefined();
    expect(render("cowrie", { adminSsh: { publicKey: KEY } }).ssh_authorized_keys).toEqual([KEY]);
  });

  test("Docker from the Ubuntu archive, security updates on", () => {
    const doc = render("cowrie");
    expect(doc.packages).toEqual(["docker.io", "docker-compose-v2", "unattended-upgrades"]);
    expect(file(doc, "/etc/apt/apt.conf.d/20auto-upgrades").split("\n")).toEqual(['APT::Periodic::Update-Package-Lists "1";', 'APT::Periodic::Unattended-Upgrade "1";', ""]);
    expect(runIndex(doc, ["systemctl", "enable", "--now", "unattended-upgrades.service"])).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(file(doc, "/etc/docker/daemon.json"))).toEqual({ "log-driver": "json-file", "log-opts": { "max-size": "10m", "max-file": "3" } });
  });
});

describe("determinism and validation", () => {
  test("same input, same bytes (environment key order does not matter)", () => {
    const a = honeypotHostCloudInit({ honeypot: "snare", logstash: LOGSTASH, override: { env: { B: "2", A: "1" } } });
    const b = honeypotHostCloudInit({ honeypot: "snare", logstash: LOGSTASH, override: { env: { A: "1", B: "2" } } });
    expect(a).toBe(b);
    expect(honeypotHostCloudInit({ honeypot: "cowrie", logstash: LOGSTASH })).toBe(honeypotHostCloudInit({ honeypot: "cowrie", logstash: LOGSTASH }));
  });

  test("unknown and unsupported honeypots are refused", () => {
    expect(thrown(() => render("cowrei")).problems).toEqual([{ path: "honeypot", message: `"cowrei" is not a known honeypot; did you mean "cowrie"?` }]);
    expect(thrown(() => render("honeytrap")).problems?.[0].message).toBe(`"honeytrap" is not offered on VMs yet: ${TPOT.unsupported.honeytrap.reason}`);
  });

  test("every bad prop is reported at once, with its path, value and what is allowed", () => {
    const e = thrown(() =>
      honeypotHostCloudInit({
        honeypot: "cowrie",
        logstash: { address: "10.0.0.1; reboot", port: 70000 },
        override: { image: "cowrie", imageTag: "v2", ports: ["2222/tcp"], env: { "1BAD": "x" } },
        adminSsh: { port: 0, publicKey: "not a key" },
        shipperImage: "docker.elastic.co/beats/filebeat:latest now",
        elasticVersion: "8",
      }),
    );
    expect(e.name).toBe("ConfigError");
    expect(e.problems).toEqual([
      { path: "override.image", message: `"cowrie" is not a pinned image reference; allowed: registry/name:tag or registry/name@sha256:<digest>` },
      { path: "override.imageTag", message: `"v2" names a tag of a lure image repository, which VM hosts do not have; give override.image (the full reference) instead` },
      { path: "override.ports[0]", message: `"2222/tcp" is not a port of cowrie; allowed: "22/tcp", "23/tcp"` },
      { path: "override.env.1BAD", message: `"1BAD" is not an environment variable name; allowed: letters, digits, _ and ., not starting with a digit` },
      { path: "logstash.address", message: `"10.0.0.1; reboot" is not an address; allowed: the Elastic host's private IPv4 address or DNS name` },
      { path: "logstash.port", message: "70000 is not a port; allowed: an integer from 1 to 65535" },
      { path: "elasticVersion", message: `"8" is not a version; allowed: like 8.17.0` },
      { path: "shipperImage", message: `"docker.elastic.co/beats/filebeat:latest now" is not a pinned image reference; allowed: registry/name:tag or registry/name@sha256:<digest>` },
      { path: "adminSsh.port", message: "0 is not a port; allowed: an integer from 1 to 65535" },
      {
        path: "adminSsh.publicKey",
        message: `"not a key" is not an OpenSSH public key; allowed: one line "<type> <base64> [comment]", type ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521 or an sk- key`,
      },
    ]);
    expect(e.message.split("\n")[0]).toBe("honeypotHostCloudInit: 10 problems");
  });

  test("a missing logstash target is named", () => {
    expect(thrown(() => honeypotHostCloudInit({ honeypot: "cowrie" } as HoneypotHostProps)).problems).toEqual([
      { path: "logstash", message: "undefined is missing; give { address, port? } of Logstash's Beats input" },
    ]);
  });
});
