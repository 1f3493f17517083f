/**
 * What every lure VM shares, whichever cloud runs it: an Ubuntu LTS host that gets Docker from the
 * Ubuntu archive, runs one docker compose project under a systemd unit, installs security updates on
 * its own, and keeps admin SSH off the honeypot ports. `honeypot-host.ts` and `elastic-host.ts` build
 * their `#cloud-config` documents on top of this; nothing here knows a cloud.
 *
 * Why the Ubuntu packages (`docker.io`, `docker-compose-v2`) and not Docker's own apt repository: they
 * come from the archive the image already trusts, so no extra key or source, and unattended-upgrades
 * installs their security fixes with the rest of the system (its default origins are Ubuntu's).
 * Why compose under systemd and not `docker run` lines: T-Pot's settings are compose settings, so they
 * carry over one to one, services find each other by name on a compose network, and `restart: always`
 * plus one unit brings everything back after a reboot. Images are pinned by tag (the catalog's T-Pot
 * release, the Elastic version).
 */
import { toYaml } from "./yaml";
import { ConfigError, type ConfigProblem } from "../config";

/** T-Pot's admin SSH port: high, and no honeypot of the catalog listens on it. */
export const DEFAULT_ADMIN_SSH_PORT = 64295;

/** Logstash's Beats input port (the port Elastic registers for it). */
export const DEFAULT_SHIPPER_PORT = 5044;

/** T-Pot's data-folder owner: honeypot folders are written as 2000:2000. */
export const TPOT_OWNER = { uid: 2000, gid: 2000 } as const;

/** Where the compose project and its configuration files live on every host. */
export const LURE_DIR = "/etc/lure";
export const COMPOSE_FILE = `${LURE_DIR}/compose.yaml`;
/** The systemd unit that runs the compose project. */
export const STACK_UNIT = "lure-stack.service";

/** Admin access to a lure VM. */
export interface AdminSshProps {
  /**
   * TCP port sshd listens on, and the only one. Must differ from every port the host publishes, so
   * that port 22 stays free for SSH honeypots.
   * @default 64295 (T-Pot's admin port)
   */
  readonly port?: number;
  /**
   * OpenSSH public key of the admin (`ssh-ed25519 AAAA… comment`), installed for the image's default
   * user. The cloud's firewall decides who reaches the port; this document opens nothing.
   * @default none: no key is installed, so nobody can log in over SSH (password logins are off either way)
   */
  readonly publicKey?: string;
}

/** One file of a cloud-init `write_files` list. */
export interface WriteFile {
  readonly path: string;
  readonly content: string;
  readonly owner: string;
  readonly permissions: string;
}

/**
 * No container reaches the cloud's instance metadata service (169.254.169.254 on Azure and Google
 * Cloud): a VM with an identity must not hand its tokens to a compromised honeypot. TCP only, and not
 * port 53: on Compute Engine the same address is the VM's DNS resolver, which Docker's embedded DNS
 * queries from inside the container's network. Docker's DOCKER-USER chain sees container traffic
 * only; the host itself still reaches the metadata service.
 */
export const METADATA_RULE = ["DOCKER-USER", "-d", "169.254.169.254/32", "-p", "tcp", "!", "--dport", "53", "-j", "DROP"] as const;

/** The unit that puts {@link METADATA_RULE} in place before Docker starts (and restarts containers). */
export const METADATA_UNIT = "lure-no-metadata.service";

/**
 * {@link METADATA_UNIT}: before docker.service, at every boot, because iptables rules do not survive a
 * reboot and dockerd restarts `restart: always` containers before any unit after it runs. Docker keeps
 * the DOCKER-USER chain and its rules when it starts. Idempotent.
 */
export function metadataUnit(): string {
  const rule = METADATA_RULE.join(" ");
  return [
    "[Unit]",
    "Description=lure: no container reaches the instance metadata service",
    "Before=docker.service",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=/bin/sh -c 'iptables -N DOCKER-USER 2>/dev/null; iptables -C ${rule} 2>/dev/null || iptables -I ${rule}'`,
    "",
    "[Install]",
    "WantedBy=docker.service",
    "",
  ].join("\n");
}

/** A `runcmd` entry as an argument list (cloud-init runs it without a shell). */
export type Command = readonly string[];

/** The parts a host adds to the common document. */
export interface HostParts {
  /** The docker compose project (an object, rendered as YAML). */
  readonly compose: Readonly<Record<string, unknown>>;
  readonly files: readonly WriteFile[];
  /** Commands before the stack starts (folders, disks), after sshd has moved. */
  readonly prepare: readonly Command[];
  /** Extra `[Unit]` lines of the stack's systemd unit (e.g. `RequiresMountsFor=`). */
  readonly unitRequires?: readonly string[];
  /** Extra `packages`. */
  readonly packages?: readonly string[];
}

const OPENSSH_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/;

/** A value that is a cdktf token: Terraform resolves it, so only literals are checked. */
export const isToken = (v: string): boolean => v.includes("${");

export const show = (v: unknown): string => (typeof v === "string" ? `"${v}"` : JSON.stringify(v) ?? String(v));

/** Problems of a TCP/UDP port number at `path`. */
export function portProblem(path: string, value: unknown): ConfigProblem[] {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535
    ? []
    : [{ path, message: `${show(value)} is not a port; allowed: an integer from 1 to 65535` }];
}

/** Problems of `adminSsh`; `published` are the host's listening ports (`port/protocol`), which sshd must avoid. */
export function adminSshProblems(admin: AdminSshProps | undefined, published: readonly { port: number; protocol: string; owner: string }[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const port = admin?.port ?? DEFAULT_ADMIN_SSH_PORT;
  const bad = portProblem("adminSsh.port", port);
  out.push(...bad);
  if (bad.length === 0) {
    // Any protocol: a UDP honeypot port of the same number would put admin and attacker traffic on one firewall rule number.
    for (const p of published.filter((q) => q.port === port)) {
      out.push({ path: "adminSsh.port", message: `${port} collides with ${p.owner}'s port ${p.port}/${p.protocol}; choose a port nothing else on this host listens on (default ${DEFAULT_ADMIN_SSH_PORT})` });
    }
  }
  const key = admin?.publicKey;
  if (key !== undefined && !isToken(key) && !OPENSSH_KEY.test(key)) {
    out.push({ path: "adminSsh.publicKey", message: `${show(key.length > 40 ? `${key.slice(0, 40)}…` : key)} is not an OpenSSH public key; allowed: one line "<type> <base64> [comment]", type ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521 or an sk- key` });
  }
  return out;
}

/** Throws every problem at once, each with its path. */
export function assertNoProblems(source: string, problems: readonly ConfigProblem[]): void {
  if (problems.length > 0) throw new ConfigError(source, problems);
}

/** sshd on the admin port only, keys only, no root. Sorted first (`00-`): sshd keeps the first value it reads. */
function sshdConfig(port: number): string {
  return [
    "# lure: admin SSH off every honeypot port; keys only.",
    `Port ${port}`,
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin no",
    "",
  ].join("\n");
}

/** The systemd unit that brings the compose project up after Docker (and after its `requires`). */
function stackUnit(requires: readonly string[]): string {
  return [
    "[Unit]",
    "Description=lure containers (docker compose project in /etc/lure)",
    "Requires=docker.service",
    "After=docker.service network-online.target",
    "Wants=network-online.target",
    ...requires,
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `WorkingDirectory=${LURE_DIR}`,
    // The first start pulls the images; do not time it out.
    "TimeoutStartSec=0",
    `ExecStart=/usr/bin/docker compose -f ${COMPOSE_FILE} up -d --remove-orphans`,
    `ExecStop=/usr/bin/docker compose -f ${COMPOSE_FILE} down`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

const AUTO_UPGRADES = ['APT::Periodic::Update-Package-Lists "1";', 'APT::Periodic::Unattended-Upgrade "1";', ""].join("\n");

// Container stdout goes to json-file logs; without a cap a chatty honeypot fills the disk.
const DOCKER_DAEMON = `${JSON.stringify({ "log-driver": "json-file", "log-opts": { "max-size": "10m", "max-file": "3" } }, null, 2)}\n`;

/**
 * The compose project with its `$` written `$$`: Compose reads `$name` in any value as a variable of
 * its own environment, and nothing lure writes there (scripts, environment values) is meant to be one.
 * `${` is left alone: it is a reference Terraform resolves before the document reaches the host (a
 * cdktf token, {@link isToken}), which is why lure's scripts are written without it.
 */
export function composeLiteral<T>(value: T): T {
  if (typeof value === "string") return value.replace(/\$(?!\{)/g, "$$$$") as T;
  if (Array.isArray(value)) return value.map((v) => composeLiteral(v)) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, composeLiteral(v)])) as T;
  return value;
}

/**
 * The `#cloud-config` document of a lure host. Order matters at boot: files are written before the
 * packages install (so Docker starts with its daemon.json), sshd moves to the admin port before any
 * container starts (port 22 is cowrie's), and the stack starts last.
 */
export function renderCloudConfig(admin: AdminSshProps | undefined, parts: HostParts): string {
  const port = admin?.port ?? DEFAULT_ADMIN_SSH_PORT;
  const files: WriteFile[] = [
    { path: "/etc/ssh/sshd_config.d/00-lure.conf", content: sshdConfig(port), owner: "root:root", permissions: "0644" },
    { path: "/etc/apt/apt.conf.d/20auto-upgrades", content: AUTO_UPGRADES, owner: "root:root", permissions: "0644" },
    { path: "/etc/docker/daemon.json", content: DOCKER_DAEMON, owner: "root:root", permissions: "0644" },
    { path: COMPOSE_FILE, content: toYaml(composeLiteral(parts.compose)), owner: "root:root", permissions: "0644" },
    ...parts.files,
    { path: `/etc/systemd/system/${STACK_UNIT}`, content: stackUnit(parts.unitRequires ?? []), owner: "root:root", permissions: "0644" },
  ];
  const runcmd: Command[] = [
    // Ubuntu 22.10+ starts sshd from ssh.socket, whose port is fixed at boot; a plain ssh.service reads
    // Port from sshd_config. On 22.04 ssh.socket is already off and these are no-ops.
    ["systemctl", "disable", "--now", "ssh.socket"],
    ["rm", "-f", "/etc/systemd/system/ssh.service.d/00-socket.conf", "/etc/systemd/system/ssh.socket.d/addresses.conf"],
    ["systemctl", "daemon-reload"],
    ["systemctl", "enable", "ssh.service"],
    ["systemctl", "restart", "ssh.service"],
    ["systemctl", "enable", "--now", "unattended-upgrades.service"],
    ...parts.prepare,
    ["systemctl", "enable", "--now", STACK_UNIT],
  ];
  const doc: Record<string, unknown> = {
    package_update: true,
    package_upgrade: true,
    packages: ["docker.io", "docker-compose-v2", "unattended-upgrades", ...(parts.packages ?? [])],
    ssh_pwauth: false,
    disable_root: true,
    // No key: no `ssh_authorized_keys` at all (an empty list would still be a decision someone can misread).
    ...(admin?.publicKey !== undefined ? { ssh_authorized_keys: [admin.publicKey] } : {}),
    write_files: files.map((f) => ({ path: f.path, owner: f.owner, permissions: f.permissions, content: f.content })),
    runcmd: runcmd.map((c) => [...c]),
  };
  return `#cloud-config\n${toYaml(doc)}`;
}
