/**
 * `terraformLiteral`: generated text reaches Terraform as written. Terraform reads `${` and `%{` in any
 * string as template syntax, so both must come out doubled; anything else must come out unchanged.
 */
import { Fn, Token } from "cdktf";
import { AWS_CUSTOM_FORMAT } from "../../functions/core/flow";
import { terraformLiteral } from "../../modules/aws/workload";

describe("terraformLiteral", () => {
  it.each<[string, string, string]>([
    ["an interpolation", "${version}", "$${version}"],
    ["a directive", "%{+YYYY.MM.dd}", "%%{+YYYY.MM.dd}"],
    ["both, repeated", "a ${x} b %{y} c ${z}", "a $${x} b %%{y} c $${z}"],
    ["adjacent", "${a}${b}%{c}%{d}", "$${a}$${b}%%{c}%%{d}"],
    // A literal `$${` must stay three characters of text: Terraform reads `$$${` as `$` then `$${`.
    ["text that already looks escaped", "$${x} %%{y}", "$$${x} %%%{y}"],
    ["a shell variable", 'echo "${HOME}" $PATH', 'echo "$${HOME}" $PATH'],
  ])("escapes %s", (_, text, expected) => {
    expect(terraformLiteral(text)).toBe(expected);
  });

  it.each<[string, string]>([
    ["no template syntax", "input { file { path => \"/data/x.json\" } }"],
    ["a dollar or percent not before a brace", "$5 and 100% and $ {x} and % {y}"],
    ["a closing brace only", "}"],
    ["empty", ""],
  ])("leaves %s unchanged", (_, text) => {
    expect(terraformLiteral(text)).toBe(text);
  });

  it("escapes the flow-log format field by field", () => {
    const escaped = terraformLiteral(AWS_CUSTOM_FORMAT);
    expect(escaped.split(" ")).toEqual(AWS_CUSTOM_FORMAT.split(" ").map((f) => `$${f}`));
    expect(escaped.replace(/\$\$\{/g, "${")).toBe(AWS_CUSTOM_FORMAT);
  });

  it("refuses text holding cdktf tokens, whose references escaping would turn into text", () => {
    const token = Token.asString(Fn.lower("X"));
    expect(() => terraformLiteral(`index-${token}`)).toThrow(/cdktf tokens/);
  });
});
