/**
 * One naming scheme for every cloud resource: `<prefix>-<part>-<part>`, lower-case, hyphenated,
 * deterministic (nothing random), so two deployments with different prefixes never collide and a
 * name tells which deployment owns it.
 */

/** Lower-case, `_` and other separators to `-`, no leading/trailing/double hyphens. */
export function slug(part: string): string {
  return part
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** `<prefix>-<parts…>`; throws when the result exceeds `maxLength` (callers pass the cloud's limit). */
export function resourceName(prefix: string, parts: readonly string[], maxLength = 63): string {
  const name = [prefix, ...parts].map(slug).filter((p) => p !== "").join("-");
  if (name.length > maxLength) {
    throw new Error(`resource name "${name}" is ${name.length} characters; the limit here is ${maxLength} (shorten prefix)`);
  }
  return name;
}

/** Tag keys lure sets on every resource it can tag. */
export const TAG_KEYS = {
  prefix: "lure:prefix",
  stack: "lure:stack",
  component: "lure:component",
  honeypot: "lure:honeypot",
  /** On the dashboard web ACL: the config's explicit opt-in to a world-open allow-list. */
  worldOpen: "lure:world-open",
  /** On a dashboard listener: the config's explicit opt-in to plain HTTP. */
  plaintext: "lure:plaintext",
} as const;

/**
 * On an Azure honeypot's public IP: when it got its address (ISO 8601), set at creation and by each
 * rotation. Index data older than that describes the address's previous holder. Not in `TAG_KEYS`:
 * those are on every cloud's resources (and Google Cloud's labels), this is on Azure's IPs only.
 */
export const SINCE_TAG_KEY = "lure:since";

/** What a resource is part of; policy rules select resources by it. */
export type Component = "network" | "honeypot" | "elastic" | "dashboard" | "logs" | "watcher" | "quarantine";

/** Tags shared by every resource of a stack: the user's tags, then lure's own (which win). */
export function baseTags(prefix: string, stack: string, userTags: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...userTags, [TAG_KEYS.prefix]: prefix, [TAG_KEYS.stack]: stack, "managed-by": "lure" };
}

/** Tags that say which component (and honeypot) a resource belongs to. */
export function componentTags(component: Component, honeypot?: string): Record<string, string> {
  return honeypot ? { [TAG_KEYS.component]: component, [TAG_KEYS.honeypot]: honeypot } : { [TAG_KEYS.component]: component };
}
