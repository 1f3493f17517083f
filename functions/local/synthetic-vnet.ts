/**
 * A seeded synthetic Azure VNet flow-log generator (flowLogVersion 4, the layout
 * `functions/core/vnet-flow.ts` reads), for tests and the `lure simulate --format azure-vnet` fixture.
 * Same options, same documents: every random choice comes from `rng(seed)`.
 *
 * ```ts
 * const { documents, scanners } = syntheticVnetFlowLogs({ seed: 7, start: 1_767_261_600, minutes: 30, scanMinute: 10 });
 * writeFileSync("PT1H.json", formatVnetDocuments(documents));
 * ```
 *
 * The network: an Application Gateway v2 in subnet {@link VNET_SUBNET}, its instances on
 * {@link VNET_GATEWAY_ADDRESSES}; the subnet's NSG admits only 80 and 443 from the internet. The
 * traffic, all inbound (`I`) from documentation or public-looking ranges:
 * - benign clients (a pool of IPv4 addresses in 11.0.0.0–126.255.255.255): whole connections to 443
 *   (one in ten to 80) of a gateway instance, state `C` or `E`, packets both ways, the gateway's
 *   side sending data (≥ 2 packets of ≥ 500 bytes: a proof of address);
 * - `vertical` scanners (203.0.113.0/24), in the scan minute: 100 distinct ports of the first
 *   gateway instance, 10 probes/s; denied (`D`), except 80 and 443, which the NSG admits (a
 *   half-open probe: 2 packets in, 1 out);
 * - `horizontal` sweeps (198.51.100.0/24), in the scan minute: port 22 on 50 addresses of the
 *   subnet, 1 probe/s, denied;
 * - `malformed` tuples: one field short, or a state that is not one.
 *
 * Tuples are grouped per minute into one record (`flowRecords.flows[0].flowGroups[]`, one group per
 * NSG rule), sorted by time; timestamps are milliseconds, as in Azure's sample. One document
 * (`{"records":[...]}`) per UTC hour, as PT1H.json blobs are cut. Counters of `D` tuples are zero
 * (what Azure writes there was not verified; the parser does not read them).
 */
import { rng } from "./synthetic";

/** The Application Gateway v2 subnet. */
export const VNET_SUBNET = "10.43.0.0/24";
/** The gateway's instance addresses in {@link VNET_SUBNET}. */
export const VNET_GATEWAY_ADDRESSES: readonly string[] = ["10.43.0.4", "10.43.0.5"];

export interface SyntheticVnetOptions {
  readonly seed: number;
  /** Unix seconds of the first minute (floored to the minute). */
  readonly start: number;
  /** Minutes of traffic. */
  readonly minutes: number;
  /** Benign connections per minute. @default 8 */
  readonly connectionsPerMinute?: number;
  /** Distinct benign client addresses. @default 40 */
  readonly clients?: number;
  /** Minute (0-based, from `start`) of the scans; absent: no scans. */
  readonly scanMinute?: number;
  /** Vertical scanners in the scan minute. @default 1 */
  readonly vertical?: number;
  /** Horizontal sweeps in the scan minute. @default 1 */
  readonly horizontal?: number;
  /** Malformed tuples, spread over the minutes. @default 0 */
  readonly malformed?: number;
}

/** A VNet flow-log document, as JSON.parse gives it. */
export interface VnetDocument {
  readonly records: readonly VnetRecord[];
}

export interface VnetRecord {
  readonly time: string;
  readonly flowLogVersion: 4;
  readonly flowLogGUID: string;
  readonly macAddress: string;
  readonly category: "FlowLogFlowEvent";
  readonly flowLogResourceID: string;
  readonly targetResourceID: string;
  readonly operationName: "FlowLogFlowEvent";
  readonly flowRecords: { readonly flows: readonly { readonly aclID: string; readonly flowGroups: readonly { readonly rule: string; readonly flowTuples: readonly string[] }[] }[] };
}

export interface SyntheticVnet {
  /** One per UTC hour that has tuples, oldest first. */
  readonly documents: VnetDocument[];
  /** Tuples written, malformed ones included. */
  readonly tuples: number;
  /** Tuples written malformed. */
  readonly malformed: number;
  readonly scanners: { readonly vertical: readonly string[]; readonly horizontal: readonly string[] };
  /** The benign client pool. */
  readonly clients: readonly string[];
}

const SUB = "/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/LURE-DEMO";
const ALLOW_RULE = "UserRule_AllowHttpHttpsInbound";
const DENY_RULE = "DefaultRule_DenyAllInBound";
/** Ports of the vertical scan, besides 80 and 443. */
const SCAN_PORTS = 100;
const SWEEP_HOSTS = 50;

interface Tuple {
  readonly ms: number;
  readonly text: string;
  readonly denied: boolean;
}

const tuple = (ms: number, src: string, dst: string, sport: number, dport: number, state: string, counters: string) =>
  `${ms},${src},${dst},${sport},${dport},6,I,${state},NX,${counters}`;

/** Generates the documents; see the file header. */
export function syntheticVnetFlowLogs(o: SyntheticVnetOptions): SyntheticVnet {
  const r = rng(o.seed);
  const int = (n: number) => Math.floor(r() * n);
  const start = Math.floor(o.start / 60) * 60;
  const clients: string[] = [];
  for (const seen = new Set<string>(); clients.length < (o.clients ?? 40); ) {
    const a = `${11 + int(116)}.${int(256)}.${int(256)}.${1 + int(254)}`;
    if (!seen.has(a)) clients.push(a), seen.add(a);
  }
  const vertical = Array.from({ length: o.scanMinute === undefined ? 0 : (o.vertical ?? 1) }, (_, i) => `203.0.113.${10 + i * 7 + int(7)}`);
  const horizontal = Array.from({ length: o.scanMinute === undefined ? 0 : (o.horizontal ?? 1) }, (_, i) => `198.51.100.${10 + i * 7 + int(7)}`);
  const perMinute: Tuple[][] = Array.from({ length: o.minutes }, () => []);
  const sport = () => 1024 + int(64511);
  const gateway = () => VNET_GATEWAY_ADDRESSES[int(VNET_GATEWAY_ADDRESSES.length)];

  for (let m = 0; m < o.minutes; m++) {
    for (let c = 0; c < (o.connectionsPerMinute ?? 8); c++) {
      const ms = (start + m * 60) * 1000 + int(60_000);
      const back = 2 + int(20);
      const counters = `${3 + int(10)},${400 + int(2000)},${back},${back * (500 + int(900))}`;
      perMinute[m].push({ ms, text: tuple(ms, clients[int(clients.length)], gateway(), sport(), int(10) === 0 ? 80 : 443, r() < 0.5 ? "C" : "E", counters), denied: false });
    }
  }
  if (o.scanMinute !== undefined) {
    const base = (start + o.scanMinute * 60) * 1000;
    vertical.forEach((src, v) => {
      const ports = new Set<number>([80, 443]);
      while (ports.size < SCAN_PORTS) ports.add(1 + int(10_000));
      [...ports].forEach((port, i) => {
        const ms = base + v * 1000 + i * 100 + int(100);
        const open = port === 80 || port === 443;
        perMinute[o.scanMinute!].push({ ms, text: tuple(ms, src, VNET_GATEWAY_ADDRESSES[0], sport(), port, open ? "C" : "D", open ? "2,120,1,60" : "0,0,0,0"), denied: !open });
      });
    });
    horizontal.forEach((src, h) => {
      for (let i = 0; i < SWEEP_HOSTS; i++) {
        const ms = base + h * 500 + i * 1000 + int(500);
        perMinute[o.scanMinute!].push({ ms, text: tuple(ms, src, `10.43.0.${10 + i}`, sport(), 22, "D", "0,0,0,0"), denied: true });
      }
    });
  }
  for (let k = 0; k < (o.malformed ?? 0); k++) {
    const m = int(o.minutes);
    const ms = (start + m * 60) * 1000 + int(60_000);
    const good = tuple(ms, clients[int(clients.length)], gateway(), sport(), 443, "E", "4,800,4,4000");
    // One field short, or a state letter that is none of B/C/E/D.
    const text = k % 2 === 0 ? good.slice(0, good.lastIndexOf(",")) : good.replace(",I,E,", ",I,X,");
    perMinute[m].push({ ms, text, denied: false });
  }

  const documents: VnetDocument[] = [];
  let hour: number | undefined;
  let records: VnetRecord[] = [];
  let tuples = 0;
  perMinute.forEach((list, m) => {
    if (list.length === 0) return;
    const minute = start + m * 60;
    const h = Math.floor(minute / 3600);
    if (hour !== undefined && h !== hour) documents.push({ records }), (records = []);
    hour = h;
    list.sort((a, b) => a.ms - b.ms);
    tuples += list.length;
    const groups = [
      { rule: ALLOW_RULE, flowTuples: list.filter((t) => !t.denied).map((t) => t.text) },
      { rule: DENY_RULE, flowTuples: list.filter((t) => t.denied).map((t) => t.text) },
    ].filter((g) => g.flowTuples.length > 0);
    records.push({
      // Azure stamps a record when it is written, after its minute.
      time: new Date((minute + 60) * 1000).toISOString().replace("Z", "0000Z"),
      flowLogVersion: 4,
      flowLogGUID: "00000000-0000-4000-8000-00000000a5c1",
      macAddress: "6045BDA1B2C3",
      category: "FlowLogFlowEvent",
      flowLogResourceID: `${SUB}/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_WESTEUROPE/FLOWLOGS/LURE-DEMO-VNET`,
      targetResourceID: `${SUB.toLowerCase()}/providers/Microsoft.Network/virtualNetworks/lure-demo-vnet`,
      operationName: "FlowLogFlowEvent",
      flowRecords: { flows: [{ aclID: "00000000-0000-4000-8000-0000000000a1", flowGroups: groups }] },
    });
  });
  if (records.length > 0) documents.push({ records });
  return { documents, tuples, malformed: o.malformed ?? 0, scanners: { vertical, horizontal }, clients };
}

/** Documents as `cat` of their blobs gives them: one JSON document a line. */
export function formatVnetDocuments(documents: readonly VnetDocument[]): string {
  return documents.map((d) => `${JSON.stringify(d)}\n`).join("");
}
