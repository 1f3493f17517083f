/**
 * Shodan's host answer (`GET /shodan/host/{ip}`) turned into the index-neutral `IndexHost`.
 * Only the fields the exposure logic reads are taken; the full answer is kept as `raw`.
 */
import type { IndexBanner, IndexHost } from "../core/scanner-index";

/**
 * A Shodan time ("2024-05-01T10:11:12.123456", UTC without a zone) as ISO 8601 UTC with "Z"
 * ("2024-05-01T10:11:12.123Z"). Undefined when absent or not a time.
 */
export function shodanTimeToIso(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(value.trim());
  if (!m) return undefined;
  // Date.parse is only specified for up to 3 fraction digits; Shodan sends 6.
  const millis = (m[3] ?? "").slice(0, 3).padEnd(3, "0");
  const zone = m[4] === undefined || m[4].toUpperCase() === "Z" ? "Z" : m[4];
  const t = Date.parse(`${m[1]}T${m[2]}.${millis}${zone}`);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** The host in a Shodan answer, or undefined when the answer is not a host (no banner list, not an object). */
export function normaliseShodanHost(body: unknown, askedIp: string): IndexHost | undefined {
  if (!isRecord(body) || !Array.isArray(body.data)) return undefined;
  const banners: IndexBanner[] = [];
  for (const item of body.data) {
    if (!isRecord(item)) continue;
    const port = item.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) continue;
    const seenAt = shodanTimeToIso(item.timestamp);
    const product = typeof item.product === "string" && item.product.trim() !== "" ? item.product : undefined;
    banners.push({
      port,
      // Shodan writes "tcp" or "udp"; a banner without one is a TCP service.
      transport: typeof item.transport === "string" && item.transport.toLowerCase() === "udp" ? "udp" : "tcp",
      ...(seenAt !== undefined ? { seenAt } : {}),
      ...(product !== undefined ? { product } : {}),
      tags: stringList(item.tags),
    });
  }
  const lastUpdate = shodanTimeToIso(body.last_update);
  return {
    ip: typeof body.ip_str === "string" && body.ip_str !== "" ? body.ip_str : askedIp,
    tags: stringList(body.tags),
    ...(lastUpdate !== undefined ? { lastUpdate } : {}),
    banners,
  };
}

function stringList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return [...new Set(value.filter((v): v is string => typeof v === "string" && v !== ""))];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
