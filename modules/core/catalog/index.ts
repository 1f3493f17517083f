/**
 * The T-Pot catalog as typed project data, the profiles lure offers, and the rules that turn a
 * compose port list into what a serverless platform can publish.
 */
import data from "./tpot.json";
import type { CatalogHoneypot, CatalogPort, Protocol, TpotData } from "./types";

export * from "./types";

export const TPOT: TpotData = data as unknown as TpotData;

/** Names of every honeypot lure can deploy. */
export const HONEYPOT_NAMES: readonly string[] = Object.keys(TPOT.honeypots);

export type ProfileName = "industrial" | "standard";
export const PROFILE_NAMES: readonly ProfileName[] = ["industrial", "standard"];

/**
 * `industrial` — the ICS set of the 2021 dynamic-honeynet write-up (T-Pot 20.06 industrial edition):
 * the five Conpot instances, Cowrie, Dicompot, Heralding and Medpot, run from current 24.04.1 images.
 * Its two deprecated members are handled like this:
 * - RDPY is replaced by `rdphoneypot`, T-Pot 24.04's maintained RDP honeypot on the same port (3389);
 * - HoneySAP has no maintained successor and is left out.
 * Both remain selectable by an explicit list (with a warning at synth: their 2020 images get no fixes).
 * Honeytrap (host networking) is left out: it cannot run on serverless containers.
 *
 * `standard` — T-Pot 24.04 standard edition minus what cannot run serverless (honeytrap).
 */
export const PROFILES: Readonly<Record<ProfileName, readonly string[]>> = {
  industrial: [
    "conpot_default",
    "conpot_IEC104",
    "conpot_guardian_ast",
    "conpot_ipmi",
    "conpot_kamstrup_382",
    "cowrie",
    "dicompot",
    "heralding",
    "medpot",
    "rdphoneypot",
  ],
  standard: TPOT.tpotProfiles["standard-24.04"].filter((n) => n in TPOT.honeypots),
};

/** Task size (CPU units, MiB) a honeypot gets unless overridden; the heavier ones get more. */
export function defaultSize(name: string): { readonly cpu: number; readonly memory: number } {
  const h = TPOT.honeypots[name];
  const heavy = ["cowrie", "dionaea", "conpot"].includes(h?.group ?? name);
  return heavy ? { cpu: 512, memory: 1024 } : { cpu: 256, memory: 512 };
}

export function honeypot(name: string): CatalogHoneypot {
  const h = TPOT.honeypots[name];
  if (!h) throw new Error(`unknown honeypot "${name}"`);
  return h;
}

/** What a platform can do with ports; decides which compose ports survive. */
export interface PortCapabilities {
  /** Can publish host port X for container port Y (Docker `-p X:Y`). Fargate and ACI cannot. */
  readonly remap: boolean;
  /** Can publish one container port for TCP and UDP at once. Fargate cannot. */
  readonly tcpAndUdpOnOnePort: boolean;
}

/** A port as the platform publishes it: the honeypot listens on `port` and the internet reaches it there. */
export interface PublishedPort {
  readonly port: number;
  readonly protocol: Protocol;
}

/** A compose port the platform cannot publish as written: `dropped`, or `moved` to its container port. */
export interface PortChange {
  readonly port: CatalogPort;
  readonly change: "dropped" | "moved";
  readonly reason: string;
}

export interface PortPlan {
  readonly published: readonly PublishedPort[];
  readonly changes: readonly PortChange[];
}

const label = (p: CatalogPort) => (p.host === p.container ? `${p.container}/${p.protocol}` : `${p.host}→${p.container}/${p.protocol}`);

/**
 * Which of a honeypot's compose ports a platform publishes, and why the others are not.
 * Without remapping, a port is published on its container port (the honeypot's own listener): a
 * compose mapping `8080→80` becomes `80`; `104→11112` is dropped when `11112` is already published.
 * Without TCP+UDP on one port, the first protocol listed in the catalog wins.
 * `only` (from config overrides) keeps a subset, written `22/tcp`.
 */
export function planPorts(ports: readonly CatalogPort[], caps: PortCapabilities, only?: readonly string[]): PortPlan {
  const published: PublishedPort[] = [];
  const changes: PortChange[] = [];
  const has = (port: number, protocol?: Protocol) =>
    published.some((p) => p.port === port && (protocol === undefined || p.protocol === protocol));
  const listedDirectly = (port: number, protocol: Protocol) => ports.some((q) => q.host === port && q.container === port && q.protocol === protocol);
  for (const p of ports) {
    const port = caps.remap ? p.host : p.container;
    const key = `${port}/${p.protocol}`;
    const remapped = !caps.remap && p.host !== p.container;
    if (only && !only.includes(key) && !only.includes(`${p.host}/${p.protocol}`)) {
      changes.push({ port: p, change: "dropped", reason: `${label(p)} is not in overrides.ports` });
    } else if (remapped && (has(port, p.protocol) || listedDirectly(port, p.protocol))) {
      changes.push({ port: p, change: "dropped", reason: `${label(p)}: cannot remap, so ${p.host} is not published (the honeypot is reached on ${key})` });
    } else if (has(port, p.protocol)) {
      continue; // the same port listed twice
    } else if (!caps.tcpAndUdpOnOnePort && has(port)) {
      changes.push({ port: p, change: "dropped", reason: `${label(p)}: one container port cannot carry both TCP and UDP; kept the protocol listed first` });
    } else {
      if (remapped) changes.push({ port: p, change: "moved", reason: `${label(p)}: cannot remap, so it is published as ${key} instead of ${p.host}` });
      published.push({ port, protocol: p.protocol });
    }
  }
  return { published, changes };
}

/** Every `port/protocol` the catalog lists for a honeypot (on either side of a mapping). */
export function portKeys(h: CatalogHoneypot): string[] {
  const keys = new Set<string>();
  for (const p of h.ports) {
    keys.add(`${p.host}/${p.protocol}`);
    keys.add(`${p.container}/${p.protocol}`);
  }
  return [...keys];
}

/** The honeypots that `talksTo` pulls in: a peer must run too, or the honeypot is useless. */
export function missingPeers(selected: readonly string[]): { honeypot: string; peer: string }[] {
  const out: { honeypot: string; peer: string }[] = [];
  for (const name of selected) {
    for (const peer of TPOT.honeypots[name]?.talksTo ?? []) {
      if (peer in TPOT.honeypots && !selected.includes(peer)) out.push({ honeypot: name, peer });
    }
  }
  return out;
}

/**
 * A honeypot's catalog environment without T-Pot's hpfeeds placeholders (server `*.example.com`,
 * secret "pass"): they point at a feed that does not exist and would put a dummy secret into state.
 */
export function honeypotEnvironment(env: Readonly<Record<string, string>>): Record<string, string> {
  const placeholderFeed = /(^|\.)example\.(com|org|net)$/.test(env.HPFEEDS_SERVER ?? "");
  return Object.fromEntries(Object.entries(env).filter(([k]) => !(placeholderFeed && k.startsWith("HPFEEDS_"))));
}
