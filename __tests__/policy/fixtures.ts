/** Helpers to write small synthesized-stack fixtures (cdktf JSON shape) for the policy rule tests. */
import type { SynthesizedStack, Violation } from "../../modules/core/policy/types";

type Blocks = Record<string, Record<string, Record<string, unknown>>>;

/** A stack with the given `resource` blocks and, optionally, `data` blocks. */
export function stack(resource: Blocks, data?: Blocks): SynthesizedStack {
  return data === undefined ? { resource } : { resource, data };
}

/** `${<address>.<attr>}`, the way cdktf writes a reference. */
export function ref(address: string, attr = "id"): string {
  return `\${${address}.${attr}}`;
}

/** An IAM policy document as the JSON string cdktf puts in `policy`. */
export function policy(...statements: Record<string, unknown>[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** `tags` for a lure component. */
export function component(name: string): { tags: Record<string, string> } {
  return { tags: { "lure:component": name, Name: name } };
}

/** The resource addresses of `violations`, in order. */
export function addresses(violations: readonly Violation[]): string[] {
  return violations.map((v) => v.resource);
}
