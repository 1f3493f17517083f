/** Parsing helpers for the host cloud-init tests: every document is read with the yaml library. */
import { parse } from "yaml";
import { COMPOSE_FILE } from "../../modules/core/host";

export interface CloudConfig {
  packages: string[];
  ssh_pwauth: boolean;
  disable_root: boolean;
  ssh_authorized_keys?: string[];
  write_files: { path: string; owner: string; permissions: string; content: string }[];
  runcmd: string[][];
  [key: string]: unknown;
}

export interface ComposePort {
  target: number;
  published: number;
  protocol: string;
  mode: string;
}

export interface ComposeService {
  image: string;
  restart: string;
  user?: string;
  command?: string | string[];
  entrypoint?: string[];
  healthcheck?: { test: string[]; interval: string; timeout: string; retries: number; start_period: string };
  tty?: boolean;
  read_only: boolean;
  tmpfs?: string[];
  environment?: Record<string, string>;
  ports?: ComposePort[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  networks: string[];
  cap_add?: string[];
  ulimits?: Record<string, { soft: number; hard: number }>;
  mem_limit?: string;
}

export function cloudConfig(text: string): CloudConfig {
  const [first] = text.split("\n", 1);
  if (first !== "#cloud-config") throw new Error(`first line is ${JSON.stringify(first)}, not #cloud-config`);
  return parse(text) as CloudConfig;
}

export function file(doc: CloudConfig, path: string): string {
  const f = doc.write_files.find((w) => w.path === path);
  if (!f) throw new Error(`no write_files entry ${path}; have ${doc.write_files.map((w) => w.path).join(", ")}`);
  return f.content;
}

export function compose(doc: CloudConfig): { name: string; services: Record<string, ComposeService>; networks: Record<string, unknown> } {
  return parse(file(doc, COMPOSE_FILE));
}

/** Every published host port of the compose project, `port/protocol`. */
export const publishedPorts = (doc: CloudConfig): string[] =>
  Object.values(compose(doc).services).flatMap((s) => (s.ports ?? []).map((p) => `${p.published}/${p.protocol}`));

/** The `Port` values of lure's sshd drop-in. */
export const sshdPorts = (doc: CloudConfig): number[] =>
  file(doc, "/etc/ssh/sshd_config.d/00-lure.conf")
    .split("\n")
    .filter((l) => /^Port /.test(l))
    .map((l) => Number(l.slice(5)));

/** The error a function throws (for asserting its problems exactly). */
export function thrown(fn: () => unknown): Error & { problems?: { path: string; message: string }[] } {
  try {
    fn();
  } catch (e) {
    return e as Error & { problems?: { path: string; message: string }[] };
  }
  throw new Error("did not throw");
}
