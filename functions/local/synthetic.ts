/**
 * A seeded synthetic VPC flow-log generator, for tests, `bench/detector.ts` and `lure simulate`
 * fixtures. Same options, same lines: every random choice comes from `rng(seed)`.
 *
 * ```ts
 * const { lines, scanners } = syntheticFlowLines({ seed: 7, lines: 1500, format: "aws-custom" });
 * writeFileSync("flows.log", lines.join("\n") + "\n");
 * ```
 *
 * The network: an internet-facing ALB on three addresses (10.0.1.10, 10.0.2.10, 10.0.3.10) and ten
 * web servers (10.0.4.10–19) serve 443; the security group rejects everything else, except 8443 on
 * the ALB addresses, which it allows but nothing listens on (the host answers RST). The traffic:
 *
 * - benign clients (IPv4 from 11.0.0.0–126.255.255.255, one in twenty IPv6 from 2001:db8::/32):
 *   connections to 443, an ingress and an egress record each; one client in fifty first tries port
 *   80 (rejected) and falls back to 443;
 * - `vertical` scanners (203.0.113.0/24): 100 distinct ports on one ALB address, 10 probes/s,
 *   rejected, except 443 (half-open SYN scan: SYN+RST) and 8443 (lone SYN in, RST out);
 * - `horizontal` sweeps (198.51.100.0/24): port 22 on 50 hosts of 10.0.0.0/16, 1 probe/s, rejected;
 * - `slow` scans (192.0.2.0/24): 120 distinct ports on one ALB address, 1 probe/min (2 hours);
 * - `interleaved` scans (203.0.113.128/25): 60 records, two rejected probes then one successful
 *   connection to an open target, repeated;
 * - noise: NODATA and SKIPDATA lines and malformed lines (truncated, or not a flow record).
 *
 * Lines are sorted by start time, as a flow-log stream roughly is; `arrivalJitterSeconds` shuffles
 * them the way delivery does.
 */

/** mulberry32: a small, fast, seeded generator of numbers in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The AWS line formats the generator writes. */
export type SyntheticFormat = "aws-v2" | "aws-custom";

/** One flow as a VPC flow log reports it; `formatAwsLine` writes it. */
export interface FlowLine {
  /** Flow start, Unix seconds (end = start + 60, the aggregation interval). */
  readonly time: number;
  /** Packet-level source (`pkt-srcaddr`). */
  readonly src: string;
  /** Packet-level destination (`pkt-dstaddr`). */
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly proto: number;
  readonly action: "ACCEPT" | "REJECT";
  readonly packets: number;
  readonly bytes: number;
  /** OR of the TCP flags seen (FIN 1, SYN 2, RST 4, SYN-ACK 18); 0 for UDP. */
  readonly tcpFlags: number;
  readonly direction: "ingress" | "egress";
  /** Interface-level source (`srcaddr`) when it differs from `src` (NAT, secondary address). */
  readonly srcaddr?: string;
  /** Interface-level destination (`dstaddr`) when it differs from `dst`. */
  readonly dstaddr?: string;
  /** Default "eni-0a1b2c3d4e5f60718". */
  readonly interfaceId?: string;
}

const ACCOUNT = "123456789012";
const ENI = "eni-0a1b2c3d4e5f60718";

/**
 * One flow as a line of the given format. In the default (v2) format the line holds only the
 * interface-level addresses (`srcaddr ?? src`), as AWS writes it.
 */
export function formatAwsLine(f: FlowLine, format: SyntheticFormat): string {
  const eni = f.interfaceId ?? ENI;
  const srcaddr = f.srcaddr ?? f.src;
  const dstaddr = f.dstaddr ?? f.dst;
  const common = `${srcaddr} ${dstaddr} ${f.sport} ${f.dport} ${f.proto} ${f.packets} ${f.bytes} ${f.time} ${f.time + 60} ${f.action} OK`;
  return format === "aws-v2"
    ? `2 ${ACCOUNT} ${eni} ${common}`
    : `5 ${eni} ${common} ${f.tcpFlags} ${f.src} ${f.dst} ${f.direction}`;
}

/** A NODATA or SKIPDATA line (every flow field `-`). */
export function formatNoTrafficLine(time: number, status: "NODATA" | "SKIPDATA", format: SyntheticFormat, interfaceId = ENI): string {
  return format === "aws-v2"
    ? `2 ${ACCOUNT} ${interfaceId} - - - - - - - ${time} ${time + 60} - ${status}`
    : `5 ${interfaceId} - - - - - - - ${time} ${time + 60} - ${status} - - - -`;
}

export type ScanKind = "vertical" | "horizontal" | "slow" | "interleaved";

export interface SyntheticOptions {
  readonly seed: number;
  /** Exact number of lines to write. */
  readonly lines: number;
  readonly format: SyntheticFormat;
  /** First flow start, Unix seconds. @default 1700000000 */
  readonly start?: number;
  /** Span of the benign traffic, seconds; scans start at random offsets inside it. @default 7200 */
  readonly durationSeconds?: number;
  /** Distinct benign clients. @default max(10, lines / 100) */
  readonly benignClients?: number;
  /** Scanners of each kind. @default one of each */
  readonly scanners?: Partial<Readonly<Record<ScanKind, number>>>;
  /** Share of lines that are NODATA (40 %), SKIPDATA (20 %) or malformed (40 %). @default 0.002 */
  readonly noise?: number;
  /**
   * Out-of-order delivery: lines come in the order of `time + U(0, arrivalJitterSeconds)` instead of
   * `time`. The delays are drawn after every other choice, so the lines themselves do not change.
   * @default 0 (sorted by time)
   */
  readonly arrivalJitterSeconds?: number;
}

export interface SyntheticFlows {
  readonly lines: string[];
  /** Scanner addresses, in the order vertical, horizontal, slow, interleaved. */
  readonly scanners: string[];
  readonly kinds: Readonly<Record<string, ScanKind>>;
  /** Benign client addresses. */
  readonly benign: string[];
  /** Noise lines written, by kind. */
  readonly noise: { readonly noData: number; readonly skipData: number; readonly malformed: number };
}

const ALB = ["10.0.1.10", "10.0.2.10", "10.0.3.10"];
const WEB = Array.from({ length: 10 }, (_, i) => `10.0.4.${10 + i}`);
const OPEN = [...ALB.map((ip) => [ip, 443] as const), ...WEB.map((ip) => [ip, 443] as const)];
const KINDS: readonly ScanKind[] = ["vertical", "horizontal", "slow", "interleaved"];
const SCAN_LINES: Readonly<Record<ScanKind, number>> = { vertical: 101, horizontal: 50, slow: 120, interleaved: 60 };
const SCAN_SECONDS: Readonly<Record<ScanKind, number>> = { vertical: 11, horizontal: 50, slow: 120 * 60, interleaved: 60 };

interface Timed {
  readonly time: number;
  readonly line: string;
}

/** A picker of addresses never picked before: `fresh(make)` calls `make` until it gives a new one. */
function uniqueAddresses(): (make: () => string) => string {
  const used = new Set<string>();
  return (make) => {
    for (;;) {
      const ip = make();
      if (!used.has(ip)) {
        used.add(ip);
        return ip;
      }
    }
  };
}

/** Benign and scanning traffic plus noise, `o.lines` lines in all; see the file header. */
export function syntheticFlowLines(o: SyntheticOptions): SyntheticFlows {
  const random = rng(o.seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const start = o.start ?? 1_700_000_000;
  const duration = o.durationSeconds ?? 7200;
  const fmt = o.format;
  const out: Timed[] = [];
  const emit = (f: FlowLine) => out.push({ time: f.time, line: formatAwsLine(f, fmt) });
  const sport = () => 32768 + int(28232);

  // Noise first, so that the budget left for benign traffic is known.
  const noiseLines = Math.round(o.lines * (o.noise ?? 0.002));
  const noise = { noData: 0, skipData: 0, malformed: 0 };
  for (let i = 0; i < noiseLines; i++) {
    const time = start + int(duration);
    const roll = random();
    if (roll < 0.4) {
      noise.noData++;
      out.push({ time, line: formatNoTrafficLine(time, "NODATA", fmt) });
    } else if (roll < 0.6) {
      noise.skipData++;
      out.push({ time, line: formatNoTrafficLine(time, "SKIPDATA", fmt) });
    } else {
      noise.malformed++;
      const whole = formatAwsLine(benignFlow(time, "11.1.1.1", pick(ALB), sport()), fmt);
      out.push({ time, line: random() < 0.5 ? whole.slice(0, whole.lastIndexOf(" ")) : `not a flow record ${int(1000)}` });
    }
  }

  // Scanners.
  const scanners: string[] = [];
  const kinds: Record<string, ScanKind> = {};
  const fresh = uniqueAddresses();
  const makers: Record<ScanKind, () => string> = {
    vertical: () => `203.0.113.${1 + int(127)}`,
    horizontal: () => `198.51.100.${1 + int(254)}`,
    slow: () => `192.0.2.${1 + int(254)}`,
    interleaved: () => `203.0.113.${128 + int(127)}`,
  };
  let scanLines = 0;
  for (const kind of KINDS) {
    const count = o.scanners?.[kind] ?? 1;
    if (count > 127) throw new RangeError(`scanners.${kind}: at most 127, got ${count}`);
    for (let k = 0; k < count; k++) {
      const src = fresh(makers[kind]);
      scanners.push(src);
      kinds[src] = kind;
      const t0 = start + int(Math.max(1, duration - SCAN_SECONDS[kind]));
      scanLines += scan(kind, src, t0, random, emit);
    }
  }
  if (scanLines !== scanners.reduce((n, s) => n + SCAN_LINES[kinds[s]], 0)) throw new Error("synthetic: scan line count drifted");

  // Benign clients fill the rest.
  let budget = o.lines - noiseLines - scanLines;
  if (budget < 0) throw new RangeError(`lines: ${o.lines} cannot hold ${scanLines} scan lines and ${noiseLines} noise lines`);
  const clientCount = o.benignClients ?? Math.max(10, Math.round(o.lines / 100));
  const benign: string[] = [];
  for (let i = 0; i < clientCount; i++) {
    benign.push(
      fresh(() =>
        random() < 0.05
          ? `2001:db8:${int(65536).toString(16)}::${(1 + int(65535)).toString(16)}`
          : `${11 + int(116)}.${int(256)}.${int(256)}.${1 + int(254)}`,
      ),
    );
  }
  const fallback = new Set(benign.filter(() => random() < 0.02));
  for (const client of fallback) {
    if (budget === 0) break;
    // 80 first, refused; the client then goes to 443 like everyone else.
    emit({ ...benignFlow(start + int(duration), client, pick(ALB), sport()), dport: 80, action: "REJECT", packets: 1, bytes: 60, tcpFlags: 2 });
    budget--;
  }
  while (budget > 0) {
    const client = pick(benign);
    const [server, port] = random() < 0.8 ? [pick(ALB), 443] : pick(OPEN);
    const f = { ...benignFlow(start + int(duration), client, server, sport()), dport: port };
    // In the custom format some clients reach us through a NAT'd interface address.
    emit(fmt === "aws-custom" && random() < 0.1 ? { ...f, srcaddr: "10.0.0.5" } : f);
    budget--;
    if (budget > 0) {
      emit({ ...f, src: server, dst: client, sport: port, dport: f.sport, packets: f.packets - 1, bytes: f.bytes * 8, tcpFlags: 19, direction: "egress" });
      budget--;
    }
  }

  out.sort((a, b) => a.time - b.time);
  const jitter = o.arrivalJitterSeconds ?? 0;
  if (!(jitter >= 0)) throw new RangeError(`arrivalJitterSeconds: ${jitter} must be ≥ 0`);
  if (jitter > 0) {
    const arriving = out.map((x) => ({ at: x.time + random() * jitter, line: x.line }));
    arriving.sort((a, b) => a.at - b.at);
    return { lines: arriving.map((x) => x.line), scanners, kinds, benign, noise };
  }
  return { lines: out.map((x) => x.line), scanners, kinds, benign, noise };
}

function benignFlow(time: number, src: string, dst: string, sport: number): FlowLine {
  return { time, src, dst, sport, dport: 443, proto: 6, action: "ACCEPT", packets: 8, bytes: 1400, tcpFlags: 3, direction: "ingress" };
}

/** Emits one scanner's flows; returns how many lines. */
function scan(kind: ScanKind, src: string, t0: number, random: () => number, emit: (f: FlowLine) => void): number {
  const int = (n: number): number => Math.floor(random() * n);
  const probe = (time: number, dst: string, dport: number): FlowLine => ({
    time, src, dst, sport: 40000 + int(20000), dport, proto: 6, action: "REJECT", packets: 1, bytes: 44, tcpFlags: 2, direction: "ingress",
  });
  const target = ALB[int(ALB.length)];
  let n = 0;
  const put = (f: FlowLine) => {
    emit(f);
    n++;
  };
  /** `count` distinct closed ports in 1..1024, none of them open or allowed. */
  const ports = (count: number): number[] => {
    const chosen = new Set<number>();
    while (chosen.size < count) {
      const p = 1 + int(1024);
      if (p !== 443) chosen.add(p);
    }
    return [...chosen];
  };
  switch (kind) {
    case "vertical": {
      const list = ports(98);
      list.splice(int(list.length), 0, 443);
      list.splice(int(list.length), 0, 8443);
      let time = t0;
      for (const [i, p] of list.entries()) {
        time = t0 + Math.floor(i / 10);
        if (p === 443) put({ ...probe(time, target, p), action: "ACCEPT", packets: 2, bytes: 88, tcpFlags: 6 });
        else if (p === 8443) {
          // Allowed by the security group, closed on the host: a lone SYN in, the host's RST out.
          const f = { ...probe(time, target, p), action: "ACCEPT" as const };
          put(f);
          put({ ...f, src: target, dst: src, sport: p, dport: f.sport, tcpFlags: 4, bytes: 40 });
        } else put(probe(time, target, p));
      }
      return n;
    }
    case "horizontal":
      for (let i = 0; i < SCAN_LINES.horizontal; i++) put(probe(t0 + i, `10.0.${i % 4}.${100 + i}`, 22));
      return n;
    case "slow":
      ports(SCAN_LINES.slow).forEach((p, i) => put(probe(t0 + 60 * i, target, p)));
      return n;
    case "interleaved": {
      const list = ports(SCAN_LINES.interleaved);
      for (let i = 0; i < SCAN_LINES.interleaved; i++) {
        const time = t0 + i;
        if (i % 3 === 2) {
          const [dst, port] = OPEN[Math.floor(i / 3) % OPEN.length];
          put({ ...probe(time, dst, port), action: "ACCEPT", packets: 8, bytes: 900, tcpFlags: 3 });
        } else put(probe(time, target, list[i]));
      }
      return n;
    }
  }
}

export interface DayScenarioOptions {
  readonly seed: number;
  readonly format: SyntheticFormat;
  /** @default 1700000000 */
  readonly start?: number;
  /** @default 24 */
  readonly hours?: number;
  /** Patient scanners: one closed port every 30–180 minutes over the span. @default 20 */
  readonly patientScanners?: number;
  /** Returning clients: a visit every 30–180 minutes, a refused try (80/tcp or QUIC 443/udp) before 2 in 5 visits. @default 200 */
  readonly returningClients?: number;
}

export interface DayScenario {
  /** Sorted by start time. */
  readonly lines: string[];
  readonly patient: string[];
  readonly returning: string[];
}

/**
 * A day at the slow end (the long memory's benchmark and tests): patient scanners (192.0.2.0/24
 * and 203.0.113.0/24), each probing distinct closed ports of one ALB address with 30–180 minutes
 * between probes, and returning clients (IPv4 from 11.0.0.0 up) whose visits each reach 443 on the
 * ALB address DNS gave them (data both ways: an ingress and an egress record), sometimes after a
 * refused try. Seeded like `syntheticFlowLines`.
 */
export function dayScenario(o: DayScenarioOptions): DayScenario {
  const random = rng(o.seed);
  const int = (n: number): number => Math.floor(random() * n);
  const start = o.start ?? 1_700_000_000;
  const end = start + (o.hours ?? 24) * 3600;
  const gap = () => Math.round((30 + random() * 150) * 60);
  const out: Timed[] = [];
  const emit = (f: FlowLine) => out.push({ time: f.time, line: formatAwsLine(f, o.format) });
  const fresh = uniqueAddresses();
  const patient: string[] = [];
  for (let k = 0; k < (o.patientScanners ?? 20); k++) {
    const src = fresh(() => `${random() < 0.5 ? "192.0.2" : "203.0.113"}.${1 + int(254)}`);
    patient.push(src);
    const target = ALB[int(ALB.length)];
    const ports = new Set<number>();
    for (let t = start + int(3600); t <= end; t += gap()) {
      let port = 443;
      while (port === 443 || port === 8443 || ports.has(port)) port = 1 + int(1024);
      ports.add(port);
      emit({ time: t, src, dst: target, sport: 40000 + int(20000), dport: port, proto: 6, action: "REJECT", packets: 1, bytes: 44, tcpFlags: 2, direction: "ingress" });
    }
  }
  const returning: string[] = [];
  for (let k = 0; k < (o.returningClients ?? 200); k++) {
    const src = fresh(() => `${11 + int(116)}.${int(256)}.${int(256)}.${1 + int(254)}`);
    returning.push(src);
    for (let t = start + int(7200); t <= end; t += gap()) {
      const alb = ALB[int(ALB.length)];
      const roll = random();
      const refused = (dport: number, proto: number): FlowLine => ({ time: t, src, dst: alb, sport: 32768 + int(28232), dport, proto, action: "REJECT", packets: 1, bytes: proto === 6 ? 60 : 1250, tcpFlags: proto === 6 ? 2 : 0, direction: "ingress" });
      if (roll < 0.2) emit(refused(80, 6));
      else if (roll < 0.4) emit(refused(443, 17));
      for (let c = 0; c < 1 + int(4); c++) {
        const f = { ...benignFlow(t + 1 + c * 20, src, alb, 32768 + int(28232)) };
        emit(f);
        emit({ ...f, src: alb, dst: src, sport: 443, dport: f.sport, packets: 7, bytes: 11_200, tcpFlags: 19, direction: "egress" });
      }
    }
  }
  out.sort((a, b) => a.time - b.time);
  return { lines: out.map((x) => x.line), patient, returning };
}
