/**
 * An Azure VM's `custom_data` as cloud-init reads it: base64 of a literal document, or (when the
 * document holds tokens) `base64encode("<document>")` for Terraform, read back here with each
 * interpolation kept as written.
 */
import { parse } from "yaml";
import type { CloudConfig } from "../core/host-helpers";
import { interpolationEnd } from "../../modules/core/policy/util";
import type { Json } from "./synth";

/** The text of a Terraform quoted string's inside, as Terraform reads it, with each interpolation kept as written. */
export function terraformString(src: string): string {
  const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };
  let out = "";
  for (let i = 0; i < src.length; ) {
    if (src[i] === "\\") {
      if (src[i + 1] === "u") {
        out += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        if (!(src[i + 1] in escapes)) throw new Error(`unknown escape \\${src[i + 1]}`);
        out += escapes[src[i + 1]];
        i += 2;
      }
    } else if (src.startsWith("$${", i) || src.startsWith("%%{", i)) {
      out += src.slice(i + 1, i + 3);
      i += 3;
    } else if (src.startsWith("${", i)) {
      const end = interpolationEnd(src, i + 2);
      if (end === -1) throw new Error(`unterminated interpolation at ${i + 2}`);
      out += src.slice(i, end + 1);
      i = end + 1;
    } else if (src.startsWith("%{", i)) {
      throw new Error(`a template directive at ${i}: a literal %{ must be written %%{`);
    } else {
      out += src[i++];
    }
  }
  return out;
}

export const BASE64ENCODE = /^\$\{base64encode\("([\s\S]*)"\)\}$/;
/** The cloud-init text of a VM: decoded base64, or the document Terraform encodes (interpolations as written). */
export function cloudInitText(vm: Json): string {
  const m = BASE64ENCODE.exec(vm.custom_data);
  return m ? terraformString(m[1]) : Buffer.from(vm.custom_data, "base64").toString("utf8");
}
export const cloudInit = (vm: Json): CloudConfig => parse(cloudInitText(vm), { version: "1.1" }) as CloudConfig;
