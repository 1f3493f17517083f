/**
 * Google Cloud labels from lure's tags. Labels are stricter than AWS or Azure tags: keys and values
 * of at most 63 characters, lower-case letters, digits, `_` and `-` only, and a key starts with a
 * letter. One rule maps a tag to a label, so one `tags` block serves every cloud:
 *
 *   lower-case the key and the value, then turn every other character into `-`.
 *
 * `lure:component` becomes `lure-component`, `Owner: Jane Doe` becomes `owner: jane-doe`. What the
 * rule cannot fix is a problem with its path: a key that does not start with a letter, a key or
 * value longer than 63 characters, two keys that become the same label, more than 64 labels.
 */
import type { ConfigProblem } from "./config";
import { TAG_KEYS } from "./naming";

/** GCP's limits: 63 characters per key or value, 64 labels per resource. */
export const LABEL_MAX_LENGTH = 63;
export const MAX_LABELS = 64;

/** The label form of a tag key or value (see the file header). */
export const toLabel = (s: string): string => s.toLowerCase().replace(/[^a-z0-9_-]/g, "-");

/** lure's own tag keys as label keys (`lure-component`, …). */
export const LABEL_KEYS = Object.fromEntries(Object.entries(TAG_KEYS).map(([k, v]) => [k, toLabel(v)])) as { readonly [K in keyof typeof TAG_KEYS]: string };

/** Labels from tags, and the problems of those that cannot be labels (paths under `path`). */
export function labelsFromTags(tags: Readonly<Record<string, string>>, path: string): { labels: Record<string, string>; problems: ConfigProblem[] } {
  const labels: Record<string, string> = {};
  const from: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(tags)) {
    const at = `${path}.${key}`;
    const k = toLabel(key);
    const v = toLabel(value);
    if (!/^[a-z]/.test(k)) problems.push({ path: at, message: `key ${JSON.stringify(key)} cannot be a Google Cloud label key: after lower-casing it must start with a letter` });
    if (k.length > LABEL_MAX_LENGTH) problems.push({ path: at, message: `key is ${k.length} characters; a Google Cloud label key has at most ${LABEL_MAX_LENGTH}` });
    if (v.length > LABEL_MAX_LENGTH) problems.push({ path: at, message: `value ${JSON.stringify(value)} is ${v.length} characters; a Google Cloud label value has at most ${LABEL_MAX_LENGTH}` });
    if (from[k] !== undefined) {
      problems.push({ path: at, message: `becomes label ${JSON.stringify(k)}, as ${JSON.stringify(from[k])} does; rename one (labels are lower-case, other characters become "-")` });
      continue;
    }
    from[k] = key;
    labels[k] = v;
  }
  if (Object.keys(labels).length > MAX_LABELS) problems.push({ path, message: `gives ${Object.keys(labels).length} labels; a Google Cloud resource takes at most ${MAX_LABELS}` });
  return { labels, problems };
}
