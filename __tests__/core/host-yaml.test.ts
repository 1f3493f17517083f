/** The host documents' YAML writer, read back with the `yaml` library as YAML 1.1 (cloud-init, Filebeat) and 1.2 (compose). */
import { parse } from "yaml";
import { HONEYPOT_NAMES } from "../../modules/core/catalog";
import { elasticHostCloudInit, honeypotHostCloudInit, INTERNAL_MEMBERS, kibanaHostCloudInit } from "../../modules/core/host";
import { toYaml } from "../../modules/core/host/yaml";

const readBoth = (text: string) => ({ v11: parse(text, { version: "1.1" }), v12: parse(text, { version: "1.2" }) });

function roundTrips(value: unknown): void {
  const text = toYaml(value);
  const { v11, v12 } = readBoth(text);
  expect({ text, v11 }).toEqual({ text, v11: value });
  expect({ text, v12 }).toEqual({ text, v12: value });
}

// Strings some YAML reader takes for something else, or that need quoting or a block to survive.
const TRICKY = [
  "", "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "NULL", "~", "Null",
  "0644", "2000:2000", "1:20", "0x1F", "0o17", "1e3", "1_000", "+1", "-1", ".5", ".inf", ".NaN", "2001-12-14", "12:30:45",
  "a: b", "a:b", "#x", "a #b", "- x", "-", "--", "---", "...", "?", "? x", ":", "|", ">", "[x]", "{x}", "'q'", "\"q\"", "@x", "`x", "%x", "!x", "!!str", "&a", "*a", "<<",
  " leading", "trailing ", "\ttab", "back\\slash", "${TfToken[TOKEN.12]}", "ünïcödé", "line\u2028sep", "nel\u0085x", "bell\u0007", "\ufeffbom",
  "/data/cowrie/log", "docker.io", "lure-stack.service", "_x", "a.b-c_d",
];
const BLOCKS = [
  "one\ntwo\n", "no final newline\nx", "kept\n\n\n", "\nleading blank\n", "  indented first\nx\n", "x\n  indented later\n",
  "tabs\n\tinside\n", "spaces only line\n   \nafter\n", "crlf\r\nline\r\n", "#!/bin/sh\nset -eu\necho \"$1\": done\n", "a: b\n- c\n",
  "\n", "\n\n",
];

describe("toYaml", () => {
  it.each(TRICKY.map((s) => [s]))("string %j reads back as the same string", (s) => {
    roundTrips({ key: s, list: [s], [s === "" ? "empty" : s]: 1 });
  });

  it.each(BLOCKS.map((s) => [s]))("multi-line string %j reads back byte for byte, in a mapping and in a list", (s) => {
    roundTrips({ content: s, files: [{ path: "/x", content: s }], nested: { deeper: [[s]] } });
  });

  it("writes multi-line file contents as literal blocks, not escaped one-liners", () => {
    expect(toYaml({ files: [{ content: "a\nb\n" }] })).toBe("files:\n  - content: |\n      a\n      b\n");
    expect(toYaml({ s: "no final\nnewline" })).toBe("s: |-\n  no final\n  newline\n");
    expect(toYaml({ s: "kept\n\n" })).toBe("s: |+\n  kept\n\n");
  });

  it("quotes what YAML 1.1 would read as a number, boolean or sexagesimal, and leaves plain words plain", () => {
    expect(toYaml({ owner: "2000:2000", mode: "0644", on: "yes", image: "dtagdevsec/cowrie:24.04.1", path: "/data/cowrie/log" })).toBe(
      'owner: "2000:2000"\nmode: "0644"\n"on": "yes"\nimage: "dtagdevsec/cowrie:24.04.1"\npath: /data/cowrie/log\n',
    );
  });

  it("keeps numbers, booleans, null, empty collections and nesting", () => {
    roundTrips({ n: 0, neg: -5, big: 65535, half: 0.5, t: true, f: false, nil: null, a: [], o: {}, deep: [[1, [2, { x: [3] }]], { y: { z: [] } }] });
    roundTrips([{ a: 1 }, ["b"], "c"]);
    expect(toYaml([])).toBe("[]\n");
    expect(toYaml({})).toBe("{}\n");
  });

  it("leaves out undefined members, as JSON does", () => {
    expect(parse(toYaml({ a: 1, b: undefined, c: [{ d: undefined, e: 2 }] }))).toEqual({ a: 1, c: [{ e: 2 }] });
  });

  it("refuses what it cannot write faithfully", () => {
    expect(() => toYaml({ x: Number.NaN })).toThrow("yaml: (root).x is NaN");
    expect(() => toYaml({ x: [1e21] })).toThrow("yaml: (root).x[0] is 1e+21");
    expect(() => toYaml({ f: () => 1 })).toThrow("yaml: (root).f is a function");
  });
});

describe("every host document", () => {
  const docs: [string, string][] = [
    ...HONEYPOT_NAMES.filter((n) => !INTERNAL_MEMBERS.includes(n)).map((n): [string, string] => [n, honeypotHostCloudInit({ honeypot: n, logstash: { address: "10.42.0.4" } })]),
    ["elastic", elasticHostCloudInit({ prefix: "lure", dataDisk: { device: "/dev/disk/azure/scsi1/lun0" } })],
    ["kibana", kibanaHostCloudInit({ elasticsearchUrl: "http://10.42.16.4:9200" })],
  ];

  it.each(docs)("%s: cloud-config and embedded YAML files read the same under YAML 1.1 and 1.2", (_name, text) => {
    const { v11, v12 } = readBoth(text);
    expect(v11).toEqual(v12);
    for (const f of (v11 as { write_files: { path: string; content: string }[] }).write_files.filter((w) => /\.ya?ml$/.test(w.path))) {
      const inner = readBoth(f.content);
      expect({ path: f.path, v11: inner.v11 }).toEqual({ path: f.path, v11: inner.v12 });
    }
  });
});
