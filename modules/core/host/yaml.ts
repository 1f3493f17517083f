/**
 * A YAML writer for the plain data lure puts in cloud-init, compose and Filebeat files: strings,
 * finite numbers, booleans, null, arrays and objects, nothing else. It exists because the `yaml`
 * package costs ~70 ms and 72 module files on every synth, for output this small subset covers.
 *
 * The output means the same under YAML 1.1 (cloud-init's PyYAML, Filebeat's go-yaml v2) and YAML 1.2
 * (docker compose): a string is written plain only when no schema could read it as anything else, as
 * a literal block (`|`) when it spans lines, and otherwise double-quoted with JSON escapes, which
 * both versions accept. The tests read every document back with the `yaml` library under both
 * versions.
 */

/** Plain scalars lure writes unquoted: a letter, `/` or `_` first, then a conservative character set. */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
/** Words YAML 1.1 or 1.2 reads as booleans or null. */
const KEYWORDS = new Set(["y", "n", "yes", "no", "on", "off", "true", "false", "null"]);
/** Characters a double-quoted scalar must escape beyond what JSON escapes: C1 controls, YAML's own line breaks, BOM. */
const UNSAFE_IN_QUOTES = /[\u007f-\u009f\u2028\u2029\ufeff]/g;
/** Content a literal block cannot carry as is. */
const NOT_LITERAL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

const INDENT = "  ";

function quoted(s: string): string {
  return JSON.stringify(s).replace(UNSAFE_IN_QUOTES, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function scalarString(s: string): string {
  return PLAIN.test(s) && !KEYWORDS.has(s.toLowerCase()) ? s : quoted(s);
}

/**
 * A multi-line string as a literal block (`|`) under `indent`, or undefined when it cannot be one:
 * control characters, or a first content line that starts with a space (the block's indentation is
 * read from that line).
 */
function literalBlock(s: string, indent: string): string | undefined {
  if (!s.includes("\n") || NOT_LITERAL.test(s)) return undefined;
  const body = s.replace(/\n+$/, "");
  const first = body.split("\n").find((l) => l !== "");
  if (first === undefined || first.startsWith(" ")) return undefined;
  const trailing = s.length - body.length;
  const chomp = trailing === 0 ? "-" : trailing === 1 ? "" : "+";
  // Kept (`+`) trailing newlines beyond the last line's own are written as empty lines.
  const lines = (trailing > 1 ? s.slice(0, -1) : body).split("\n");
  return `|${chomp}\n${lines.map((l) => (l === "" ? "" : indent + l)).join("\n")}`;
}

function scalar(v: unknown, path: string): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") {
    // YAML 1.1 reads an exponent without a dot ("1e+21") as a string.
    if (!Number.isFinite(v) || /e/i.test(String(v))) throw new Error(`yaml: ${path} is ${v}: only finite numbers without an exponent are written`);
    return String(v);
  }
  if (typeof v === "string") return scalarString(v);
  throw new Error(`yaml: ${path} is a ${typeof v}: only strings, numbers, booleans, null, arrays and objects are written`);
}

const isCollection = (v: unknown): v is object => typeof v === "object" && v !== null;
const entriesOf = (v: object): [string, unknown][] => Object.entries(v).filter(([, x]) => x !== undefined);

/** Lines of `v` as a block collection, each prefixed by `indent`. */
function block(v: object, indent: string, path: string): string[] {
  const out: string[] = [];
  if (Array.isArray(v)) {
    v.forEach((item, i) => out.push(...entry(`${indent}- `, item, `${indent}${INDENT}`, `${path}[${i}]`)));
  } else {
    for (const [k, item] of entriesOf(v)) out.push(...entry(`${indent}${scalarString(k)}:`, item, `${indent}${INDENT}`, `${path}.${k}`, " "));
  }
  return out;
}

/** One sequence item or mapping entry: `head` then the value, nested lines under `inner`. */
function entry(head: string, v: unknown, inner: string, path: string, sep = ""): string[] {
  if (isCollection(v)) {
    const empty = Array.isArray(v) ? v.length === 0 : entriesOf(v).length === 0;
    if (empty) return [`${head}${sep}${Array.isArray(v) ? "[]" : "{}"}`];
    const lines = block(v, inner, path);
    // A sequence item starts its collection on the dash's line; a mapping value goes below its key.
    if (sep === "") return [`${head}${lines[0].slice(inner.length)}`, ...lines.slice(1)];
    return [head, ...lines];
  }
  if (typeof v === "string") {
    const literal = literalBlock(v, inner);
    if (literal !== undefined) return [`${head}${sep}${literal}`];
  }
  return [`${head}${sep}${scalar(v, path)}`];
}

/** `v` as a YAML document (a mapping or sequence at the top), ending in a newline. */
export function toYaml(v: unknown): string {
  if (!isCollection(v)) return `${scalar(v, "(root)")}\n`;
  const empty = Array.isArray(v) ? v.length === 0 : entriesOf(v).length === 0;
  if (empty) return Array.isArray(v) ? "[]\n" : "{}\n";
  return `${block(v, "", "(root)").join("\n")}\n`;
}
