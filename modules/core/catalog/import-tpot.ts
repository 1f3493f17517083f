/**
 * Turns `shared/tpot/catalog.json` (facts read from T-Pot's compose files) into the typed project data
 * `tpot.json` that lure ships. Run with `npm run catalog:import [path/to/catalog.json]`; a test fails
 * when the committed data no longer matches the shared catalog.
 */
import { readFileSync, writeFileSync } from "fs";
import { join, resolve } from "path";
import type { CatalogFolder, CatalogHoneypot, CatalogPort, LogInput, TpotData, UnsupportedService } from "./types";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

export const DEFAULT_SHARED_CATALOG = resolve(__dirname, "../../../../shared/tpot/catalog.json");
export const DATA_FILE = join(__dirname, "tpot.json");

const releaseOf = (sourceRevision: string): CatalogHoneypot["release"] =>
  sourceRevision.startsWith("HEAD") || sourceRevision.startsWith("24.04") ? "24.04" : sourceRevision.startsWith("22.04") ? "22.04" : "20.06";

const folders = (vols: Raw[] | undefined): CatalogFolder[] =>
  (vols ?? [])
    .filter((v) => typeof v.hostSubdir === "string" && v.hostSubdir !== "" && v.kind !== "file" && !v.readOnly)
    .map((v) => ({ containerPath: v.containerPath, folder: v.hostSubdir }));

const codec = (c: string | undefined): LogInput["codec"] => (c === "json" ? "json" : "plain");

export function convert(raw: Raw): TpotData {
  // Current image (and its build facts) of each group, for entries that only exist in older releases.
  const groupImage = new Map<string, { image: string; build: Raw }>();
  for (const h of raw.honeypots) if (h.group && h.tag24 && !groupImage.has(h.group)) groupImage.set(h.group, { image: h.imageRef, build: h.imageBuild });

  const logInputs = new Map<string, LogInput[]>();
  for (const l of [...raw.logs, ...(raw.legacyLogs ?? [])]) {
    for (const entry of l.catalogEntries as string[]) {
      const list = logInputs.get(entry) ?? [];
      list.push({ path: l.path, type: l.type, codec: codec(l.codec) });
      logInputs.set(entry, list);
    }
  }

  const honeypots: Record<string, CatalogHoneypot> = {};
  const unsupported: Record<string, UnsupportedService> = {};
  for (const h of raw.honeypots) {
    if (!h.serverlessCompatible) {
      unsupported[h.name] = { name: h.name, category: "honeypot", reason: h.serverlessReason ?? "needs host networking" };
      continue;
    }
    // Entries that exist only in the 20.06/22.04 industrial files but belong to a group with a current
    // image (conpot_default) run that current image: the instance is chosen by CONPOT_TEMPLATE.
    const current = !h.tag24 && h.group ? groupImage.get(h.group) : undefined;
    const image = current ? current.image : h.imageRef;
    const build = current ? current.build : h.imageBuild;
    const ports: CatalogPort[] = h.ports.map((p: Raw) => ({ host: p.host, container: p.container, protocol: p.protocol }));
    honeypots[h.name] = {
      name: h.name,
      ...(h.group ? { group: h.group } : {}),
      description: h.description,
      upstream: h.upstream,
      license: h.upstreamLicense ?? "not stated in T-Pot; see upstream",
      image,
      release: releaseOf(h.source.revision),
      ports,
      env: h.env ?? {},
      scratch: h.tmpfs ?? [],
      readOnlyRootFilesystem: Boolean(h.readOnly),
      ...(build?.user ? { user: build.user } : {}),
      fileCapabilities: build?.fileCapabilities ?? [],
      logFolders: folders(h.logVolumes),
      dataFolders: folders(h.otherVolumes),
      logInputs: logInputs.get(h.name) ?? [],
      talksTo: (h.talksTo ?? []).map((t: string) => t.split(":")[0]),
      ...(h.deprecated ? { deprecated: h.deprecatedNote ?? "deprecated upstream" } : {}),
      ...(h.notes ? { notes: h.notes } : {}),
      profiles: h.profiles,
    };
  }
  const otherServices: string[] = [];
  for (const s of [...raw.elk, ...raw.support]) {
    if (!s.serverlessCompatible) unsupported[s.name] = { name: s.name, category: "support", reason: s.serverlessReason };
    else otherServices.push(s.name);
  }
  const elk = (name: string) => raw.elk.find((e: Raw) => e.name === name);
  const tpotImage = (s: Raw) => ({ name: s.name, image: s.imageRef, dockerHub: `docker.io/${s.imageDockerHub}:${s.tag24}` });
  const tpotinit = raw.support.find((e: Raw) => e.name === "tpotinit");
  const tpotProfiles: Record<string, string[]> = {};
  for (const [name, info] of Object.entries<Raw>(raw.profileInfo)) tpotProfiles[name] = info.honeypots;

  return {
    source: {
      repository: "telekom-security/tpotce",
      revision: raw.revisions.HEAD.commit,
      version: raw.revisions.HEAD.versionFile,
      license: raw.license.tpot,
    },
    honeypots,
    unsupported,
    otherServices,
    elastic: [
      { name: "elasticsearch", containerPort: 9200, tpotImage: elk("elasticsearch").imageRef },
      { name: "logstash", containerPort: 64305, tpotImage: elk("logstash").imageRef },
      { name: "kibana", containerPort: 5601, tpotImage: elk("kibana").imageRef },
    ],
    analytics: {
      release: elk("logstash").tag24,
      logstash: tpotImage(elk("logstash")),
      tpotinit: tpotImage(tpotinit),
      map: tpotImage({ ...elk("map_web"), name: "map" }),
      mapRedis: tpotImage({ ...elk("map_redis"), name: "redis" }),
    },
    tpotProfiles,
  };
}

export function render(data: TpotData): string {
  return JSON.stringify(data, null, 2) + "\n";
}

if (require.main === module) {
  const from = process.argv[2] ?? DEFAULT_SHARED_CATALOG;
  writeFileSync(DATA_FILE, render(convert(JSON.parse(readFileSync(from, "utf8")))));
  console.log(`wrote ${DATA_FILE} from ${from}`);
}
