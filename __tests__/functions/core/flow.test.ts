import { gzipSync } from "node:zlib";
import {
  AWS_CUSTOM_FIELDS,
  AWS_CUSTOM_FORMAT,
  decodeCloudWatchLogs,
  ipv4Value,
  ipv6Groups,
  parseAwsCustomLine,
  parseAwsLine,
  parseAwsV2Line,
  parseCloudWatchEvent,
  parseCwlJsonText,
  parseFlowLines,
  parseFlowText,
} from "../../../functions/core/flow";
import { emptyParseStats, type FlowRecord, type ParseStats } from "../../../functions/core/quarantine-types";

type Counter = Exclude<keyof ParseStats, "lines" | "records">;

/** Stats after one line: lines 1 and exactly one other counter at 1. */
function only(counter: Counter | "records"): ParseStats {
  return { ...emptyParseStats(), lines: 1, [counter]: 1 };
}

function rec(src: string, dst: string, dport: number, outcome: FlowRecord["outcome"], proto = 6, time = 1700000000, sport = 51000, proof = false): FlowRecord {
  return { time, src, dst, dport, proto, outcome, sport, proof };
}

describe("AWS_CUSTOM_FORMAT", () => {
  it("names the 17 fields the custom parser reads, in order", () => {
    expect(AWS_CUSTOM_FIELDS).toEqual([
      "version", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes",
      "start", "end", "action", "log-status", "tcp-flags", "pkt-srcaddr", "pkt-dstaddr", "flow-direction",
    ]);
    expect(AWS_CUSTOM_FIELDS.map((f) => `\${${f}}`).join(" ")).toBe(AWS_CUSTOM_FORMAT);
  });
});

describe("parseAwsV2Line", () => {
  // The examples of the AWS flow-log records page.
  it.each<[string, string, FlowRecord | undefined, ParseStats]>([
    [
      "ACCEPT",
      "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
      { time: 1418530010, src: "172.31.16.139", dst: "172.31.16.21", dport: 22, proto: 6, outcome: "OK", sport: 20641, proof: false },
      only("records"),
    ],
    [
      "REJECT",
      "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
      { time: 1418530010, src: "172.31.9.69", dst: "172.31.9.12", dport: 3389, proto: 6, outcome: "FAIL", sport: 49761, proof: false },
      only("records"),
    ],
    ["NODATA", "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA", undefined, only("noData")],
    ["SKIPDATA", "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA", undefined, only("skipData")],
    [
      "UDP REJECT",
      "2 1 eni-1 198.51.100.7 10.0.1.10 5353 161 17 1 60 1700000000 1700000060 REJECT OK",
      rec("198.51.100.7", "10.0.1.10", 161, "FAIL", 17, 1700000000, 5353),
      only("records"),
    ],
    ["ICMP (not a target)", "2 1 eni-1 198.51.100.7 10.0.1.10 0 0 1 1 60 1700000000 1700000060 REJECT OK", undefined, only("ignored")],
    [
      "IPv6",
      "2 1 eni-1 2001:db8::7 2001:db8:0:1::a 51000 443 6 4 200 1700000000 1700000060 ACCEPT OK",
      rec("2001:db8::7", "2001:db8:0:1::a", 443, "OK"),
      only("records"),
    ],
    ["header of an S3 file", "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status", undefined, only("ignored")],
    ["trailing CR and spaces", "2 1 eni-1 198.51.100.7 10.0.1.10 5 80 6 1 60 1700000000 1700000060 REJECT OK \r", rec("198.51.100.7", "10.0.1.10", 80, "FAIL", 6, 1700000000, 5), only("records")],
  ])("%s", (_name, line, expected, stats) => {
    const s = emptyParseStats();
    expect(parseAwsV2Line(line, s)).toEqual(expected);
    expect(s).toEqual(stats);
  });
});

describe("parseAwsCustomLine", () => {
  const line = (o: Partial<Record<"src" | "dst" | "sport" | "dport" | "proto" | "packets" | "bytes" | "action" | "status" | "flags" | "pktSrc" | "pktDst" | "dir", string>>) =>
    [
      "5", "eni-1", o.src ?? "198.51.100.7", o.dst ?? "10.0.1.10", o.sport ?? "51000", o.dport ?? "443", o.proto ?? "6", o.packets ?? "1", o.bytes ?? "60",
      "1700000000", "1700000060", o.action ?? "ACCEPT", o.status ?? "OK", o.flags ?? "2", o.pktSrc ?? "-", o.pktDst ?? "-", o.dir ?? "ingress",
    ].join(" ");

  it.each<[string, string, FlowRecord | undefined, Counter | "records"]>([
    ["ingress REJECT", line({ action: "REJECT", dport: "23" }), rec("198.51.100.7", "10.0.1.10", 23, "FAIL"), "records"],
    ["pkt-srcaddr and pkt-dstaddr override the interface addresses", line({ src: "10.0.0.5", dst: "10.0.9.9", pktSrc: "203.0.113.9", pktDst: "10.0.1.10", action: "REJECT" }), rec("203.0.113.9", "10.0.1.10", 443, "FAIL"), "records"],
    ["half-open probe to an open port (SYN+RST, 2 packets)", line({ flags: "6", packets: "2" }), rec("198.51.100.7", "10.0.1.10", 443, "FAIL"), "records"],
    ["SYN+RST with 3 packets is still a probe", line({ flags: "6", packets: "3" }), rec("198.51.100.7", "10.0.1.10", 443, "FAIL"), "records"],
    ["SYN+RST with 4 packets: a connection that was reset", line({ flags: "6", packets: "4" }), rec("198.51.100.7", "10.0.1.10", 443, "OK"), "records"],
    ["SYN+RST+FIN: the connection closed first", line({ flags: "7", packets: "2" }), rec("198.51.100.7", "10.0.1.10", 443, "OK"), "records"],
    ["SYN only, 1 packet: handshake not seen", line({ flags: "2", packets: "1" }), rec("198.51.100.7", "10.0.1.10", 443, "UNKNOWN"), "records"],
    ["SYN only, 2 packets (a retry)", line({ flags: "2", packets: "2" }), rec("198.51.100.7", "10.0.1.10", 443, "UNKNOWN"), "records"],
    ["SYN only, 3 packets", line({ flags: "2", packets: "3" }), rec("198.51.100.7", "10.0.1.10", 443, "OK"), "records"],
    ["SYN+FIN, a whole connection", line({ flags: "3", packets: "8" }), rec("198.51.100.7", "10.0.1.10", 443, "OK"), "records"],
    ["no flags (ACK/PSH only)", line({ flags: "0", packets: "30" }), rec("198.51.100.7", "10.0.1.10", 443, "OK"), "records"],
    ["tcp-flags `-` reads as none", line({ flags: "-", packets: "1" }), rec("198.51.100.7", "10.0.1.10", 443, "OK"), "records"],
    ["UDP ACCEPT", line({ proto: "17", flags: "0", dport: "53" }), rec("198.51.100.7", "10.0.1.10", 53, "OK", 17), "records"],
    ["flow-direction `-` reads as ingress", line({ dir: "-", action: "REJECT" }), rec("198.51.100.7", "10.0.1.10", 443, "FAIL"), "records"],
    [
      "egress RST: our host refused, FAIL for the reversed tuple",
      line({ src: "10.0.1.10", dst: "198.51.100.7", sport: "8443", dport: "51000", flags: "4", dir: "egress" }),
      rec("198.51.100.7", "10.0.1.10", 8443, "FAIL"),
      "records",
    ],
    [
      "egress RST with packet-level addresses",
      line({ src: "10.0.1.10", dst: "10.0.0.5", pktSrc: "10.0.1.11", pktDst: "203.0.113.9", sport: "25", dport: "51000", flags: "4", dir: "egress" }),
      rec("203.0.113.9", "10.0.1.11", 25, "FAIL"),
      "records",
    ],
    ["egress RST+FIN closes a connection: ignored", line({ src: "10.0.1.10", dst: "198.51.100.7", sport: "443", flags: "5", dir: "egress" }), undefined, "ignored"],
    ["egress SYN-ACK+RST is ignored", line({ src: "10.0.1.10", dst: "198.51.100.7", flags: "22", dir: "egress" }), undefined, "ignored"],
    ["egress SYN-ACK+FIN without data is ignored", line({ src: "10.0.1.10", dst: "198.51.100.7", flags: "19", dir: "egress" }), undefined, "ignored"],
    [
      "egress data (SYN-ACK+FIN, 7 packets, 9,800 bytes): a proof for the reversed tuple",
      line({ src: "10.0.1.10", dst: "198.51.100.7", sport: "443", dport: "51000", flags: "19", packets: "7", bytes: "9800", dir: "egress" }),
      rec("198.51.100.7", "10.0.1.10", 443, "OK", 6, 1700000000, 51000, true),
      "records",
    ],
    [
      "egress data mid-connection (no flags) proves too",
      line({ src: "10.0.1.10", dst: "198.51.100.7", sport: "443", dport: "51000", flags: "0", packets: "40", bytes: "52000", dir: "egress" }),
      rec("198.51.100.7", "10.0.1.10", 443, "OK", 6, 1700000000, 51000, true),
      "records",
    ],
    ["egress SYN-ACK retransmitted (5 packets of 60 bytes, a spoofed SYN's answer) proves nothing", line({ src: "10.0.1.10", dst: "198.51.100.7", sport: "443", flags: "18", packets: "5", bytes: "300", dir: "egress" }), undefined, "ignored"],
    ["egress data ending in RST proves nothing", line({ src: "10.0.1.10", dst: "198.51.100.7", sport: "443", flags: "21", packets: "7", bytes: "9800", dir: "egress" }), undefined, "ignored"],
    ["egress one large packet proves nothing (needs 2)", line({ src: "10.0.1.10", dst: "198.51.100.7", sport: "443", flags: "0", packets: "1", bytes: "1500", dir: "egress" }), undefined, "ignored"],
    ["egress UDP is ignored", line({ src: "10.0.1.10", dst: "198.51.100.7", proto: "17", flags: "0", dir: "egress" }), undefined, "ignored"],
    ["ICMP is ignored", line({ proto: "1", dport: "0", flags: "0", action: "REJECT" }), undefined, "ignored"],
    ["NODATA", "5 eni-1 - - - - - - - 1700000000 1700000060 - NODATA - - - -", undefined, "noData"],
    ["SKIPDATA", "5 eni-1 - - - - - - - 1700000000 1700000060 - SKIPDATA - - - -", undefined, "skipData"],
    ["IPv6 peer", line({ src: "2001:db8::7", dst: "2001:db8::1", action: "REJECT" }), rec("2001:db8::7", "2001:db8::1", 443, "FAIL"), "records"],
  ])("%s", (_name, text, expected, counter) => {
    const s = emptyParseStats();
    expect(parseAwsCustomLine(text, s)).toEqual(expected);
    expect(s).toEqual(only(counter));
  });
});

describe("malformed lines are counted, never thrown", () => {
  const v2 = "2 1 eni-1 198.51.100.7 10.0.1.10 5 80 6 1 60 1700000000 1700000060 REJECT OK";
  const custom = "5 eni-1 198.51.100.7 10.0.1.10 5 80 6 1 60 1700000000 1700000060 REJECT OK 2 - - ingress";
  const swap = (line: string, i: number, value: string) => line.split(" ").map((f, k) => (k === i ? value : f)).join(" ");

  it.each<[string, string]>([
    ["empty", ""],
    ["one word", "garbage"],
    ["13 fields", v2.split(" ").slice(0, 13).join(" ")],
    ["15 fields", `${v2} extra`],
    ["16 fields", custom.split(" ").slice(0, 16).join(" ")],
    ["18 fields", `${custom} extra`],
    ["30 fields", `${custom} ${custom}`],
    ["two spaces (an empty field)", v2.replace(" 80 ", "  80 ")],
    ["v2: port not a number", swap(v2, 6, "http")],
    ["v2: port above 65535", swap(v2, 6, "65536")],
    ["v2: protocol a name", swap(v2, 7, "tcp")],
    ["v2: protocol above 255", swap(v2, 7, "256")],
    ["v2: start `-`", swap(v2, 10, "-")],
    ["v2: start negative", swap(v2, 10, "-5")],
    ["v2: action unknown", swap(v2, 12, "ALLOW")],
    ["v2: log-status unknown", swap(v2, 13, "FINE")],
    ["v2: srcaddr `-` on an OK line", swap(v2, 3, "-")],
    ["v2: srcaddr octet above 255", swap(v2, 3, "999.1.1.1")],
    ["v2: dstaddr three octets", swap(v2, 4, "10.0.1")],
    ["v2: dstaddr a name", swap(v2, 4, "example.com")],
    ["v2: IPv6 with two ::", swap(v2, 3, "2001::db8::1")],
    ["custom: packets `-`", swap(custom, 7, "-")],
    ["custom: tcp-flags a word", swap(custom, 13, "SYN")],
    ["custom: flow-direction unknown", swap(custom, 16, "sideways")],
    ["custom: pkt-srcaddr bad", swap(custom, 14, "1.2.3.4.5")],
    ["custom: dstport `-`", swap(custom, 5, "-")],
    ["custom: egress RST with a bad srcport", swap(swap(swap(custom, 16, "egress"), 13, "4"), 4, "x")],
  ])("%s", (_name, line) => {
    const s = emptyParseStats();
    expect(parseAwsLine(line, s)).toBeUndefined();
    expect(s).toEqual(only("malformed"));
  });

  it("each format's parser refuses the other format's lines", () => {
    const s = emptyParseStats();
    expect(parseAwsV2Line(custom, s)).toBeUndefined();
    expect(parseAwsCustomLine(v2, s)).toBeUndefined();
    expect(s).toEqual({ ...emptyParseStats(), lines: 2, malformed: 2 });
    expect(parseAwsLine(v2, s)?.outcome).toBe("FAIL");
    expect(parseAwsLine(custom, s)?.outcome).toBe("FAIL");
    expect(s.records).toBe(2);
  });
});

describe("parseFlowText", () => {
  const v2 = "2 1 eni-1 198.51.100.7 10.0.1.10 5 80 6 1 60 1700000000 1700000060 REJECT OK";
  const custom = "5 eni-1 198.51.100.8 10.0.1.10 5 81 6 1 60 1700000001 1700000061 ACCEPT OK 3 - - ingress";
  const nodata = "2 1 eni-1 - - - - - - - 1700000000 1700000060 - NODATA";

  it("reads LF and CRLF texts alike; blank lines are not counted", () => {
    for (const eol of ["\n", "\r\n"]) {
      const text = ["", v2, "   ", custom, nodata, "bad line", "", ""].join(eol);
      const got: FlowRecord[] = [];
      const s = emptyParseStats();
      parseFlowText(text, "aws", (r) => got.push(r), s);
      expect(got).toEqual([rec("198.51.100.7", "10.0.1.10", 80, "FAIL", 6, 1700000000, 5), rec("198.51.100.8", "10.0.1.10", 81, "OK", 6, 1700000001, 5)]);
      expect(s).toEqual({ ...emptyParseStats(), lines: 4, records: 2, noData: 1, malformed: 1 });
    }
  });

  it("with a fixed format, lines of the other format are malformed", () => {
    const s = emptyParseStats();
    const got: FlowRecord[] = [];
    parseFlowText(`${v2}\n${custom}\n${nodata}`, "aws-v2", (r) => got.push(r), s);
    expect(got.map((r) => r.src)).toEqual(["198.51.100.7"]);
    expect(s).toEqual({ ...emptyParseStats(), lines: 3, records: 1, noData: 1, malformed: 1 });
    const s2 = emptyParseStats();
    parseFlowText(`${v2}\n${custom}`, "aws-custom", () => undefined, s2);
    expect(s2).toEqual({ ...emptyParseStats(), lines: 2, records: 1, malformed: 1 });
  });

  it("a text without a final newline and records of lines that follow a long spaceless line", () => {
    const s = emptyParseStats();
    const got: FlowRecord[] = [];
    parseFlowText(`${"x".repeat(10000)}\n${v2}`, "aws", (r) => got.push(r), s);
    expect(got).toHaveLength(1);
    expect(s).toEqual({ ...emptyParseStats(), lines: 2, records: 1, malformed: 1 });
  });

  it("parseFlowLines numbers every line, blank ones included, across pieces cut after a newline", () => {
    const text = ["", v2, "   ", custom, nodata, "bad line", "", custom].join("\r\n");
    const whole: [string, number][] = [];
    const s = emptyParseStats();
    expect(parseFlowLines(text, "aws", (r, line) => whole.push([r.src, line]), s)).toBe(9);
    expect(whole).toEqual([["198.51.100.7", 2], ["198.51.100.8", 4], ["198.51.100.8", 8]]);
    expect(s).toEqual({ ...emptyParseStats(), lines: 5, records: 3, noData: 1, malformed: 1 });
    // The same text in three pieces, each ending just after a '\n' but the last.
    const cuts = [0, text.indexOf("\n", 3) + 1, text.indexOf("bad"), text.length];
    const pieces: [string, number][] = [];
    let next = 1;
    for (let i = 0; i + 1 < cuts.length; i++) next = parseFlowLines(text.slice(cuts[i], cuts[i + 1]), "aws", (r, line) => pieces.push([r.src, line]), emptyParseStats(), next);
    expect(pieces).toEqual(whole);
    expect(next).toBe(9);
    expect(parseFlowLines("", "aws", () => undefined, emptyParseStats(), 5)).toBe(5);
    expect(parseFlowLines("\n", "aws", () => undefined, emptyParseStats(), 5)).toBe(6);
  });

  it("parseFlowLines gives cwl-json records the number of their event's line", () => {
    const event = JSON.stringify({ messageType: "DATA_MESSAGE", logEvents: [{ message: v2 }, { message: nodata }, { message: custom }] });
    const got: [string, number][] = [];
    const s = emptyParseStats();
    expect(parseFlowLines(["", event, "{not json", event].join("\n"), "cwl-json", (r, line) => got.push([r.src, line]), s, 10)).toBe(14);
    expect(got).toEqual([["198.51.100.7", 11], ["198.51.100.8", 11], ["198.51.100.7", 13], ["198.51.100.8", 13]]);
    expect(s).toEqual({ ...emptyParseStats(), lines: 6, records: 4, noData: 2, malformed: 1 });
  });
});

describe("address checks", () => {
  it.each<[string, number]>([
    ["0.0.0.0", 0],
    ["10.0.1.10", 167772426],
    ["255.255.255.255", 4294967295],
    ["256.0.0.1", -1],
    ["1.2.3", -1],
    ["1.2.3.4.5", -1],
    ["1..3.4", -1],
    ["1.2.3.", -1],
    [".1.2.3", -1],
    ["1.2.3.1234", -1],
    ["a.b.c.d", -1],
    ["-", -1],
  ])("ipv4Value(%s) = %d", (text, value) => {
    expect(ipv4Value(text)).toBe(value);
  });

  it.each<[string, number[] | undefined]>([
    ["::", [0, 0, 0, 0, 0, 0, 0, 0]],
    ["::1", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["1::", [1, 0, 0, 0, 0, 0, 0, 0]],
    ["2001:db8::7", [0x2001, 0xdb8, 0, 0, 0, 0, 0, 7]],
    ["2001:DB8:0:1:2:3:4:5", [0x2001, 0xdb8, 0, 1, 2, 3, 4, 5]],
    ["fe80::1:2", [0xfe80, 0, 0, 0, 0, 0, 1, 2]],
    ["::ffff:192.0.2.1", [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x201]],
    ["1:2:3:4:5:6:7::", [1, 2, 3, 4, 5, 6, 7, 0]],
    ["1:2:3:4:5:6:7:8:9", undefined],
    ["1:2:3:4:5:6:7", undefined],
    ["1::2::3", undefined],
    [":::", undefined],
    [":1::", undefined],
    ["1:", undefined],
    ["12345::", undefined],
    ["fe80::1%eth0", undefined],
    ["::ffff:300.0.2.1", undefined],
    ["g::1", undefined],
  ])("ipv6Groups(%s)", (text, groups) => {
    const out = new Uint16Array(8);
    expect(ipv6Groups(text, 0, text.length, out)).toBe(groups !== undefined);
    if (groups) expect([...out]).toEqual(groups);
  });
});

describe("CloudWatch Logs subscription payloads", () => {
  const lines = [
    "2 1 eni-1 198.51.100.7 10.0.1.10 5 80 6 1 60 1700000000 1700000060 REJECT OK",
    "5 eni-1 198.51.100.8 10.0.1.10 5 81 6 2 60 1700000001 1700000061 ACCEPT OK 6 - - ingress",
    "2 1 eni-1 - - - - - - - 1700000000 1700000060 - NODATA",
    "not a record",
  ];
  const payload = (p: object) => gzipSync(JSON.stringify(p)).toString("base64");
  const data = (messages: string[]) =>
    payload({
      owner: "123456789012",
      logGroup: "/lure/flows",
      logStream: "eni-1-all",
      subscriptionFilters: ["lure"],
      messageType: "DATA_MESSAGE",
      logEvents: messages.map((message, i) => ({ id: String(i), timestamp: 1700000000000 + i, message })),
    });
  const control = payload({ messageType: "CONTROL_MESSAGE", logGroup: "", logStream: "", logEvents: [{ id: "", timestamp: 1, message: "CWL CONTROL MESSAGE: Checking health of destination Lambda." }] });
  const expected = [rec("198.51.100.7", "10.0.1.10", 80, "FAIL", 6, 1700000000, 5), rec("198.51.100.8", "10.0.1.10", 81, "FAIL", 6, 1700000001, 5)];

  it("decodes a DATA_MESSAGE into its messages", () => {
    const s = emptyParseStats();
    expect(decodeCloudWatchLogs(data(lines), s)).toEqual({ logGroup: "/lure/flows", logStream: "eni-1-all", messages: lines });
    expect(s).toEqual(emptyParseStats());
  });

  it("parses every event of a subscription event", () => {
    const s = emptyParseStats();
    const got: FlowRecord[] = [];
    parseCloudWatchEvent({ awslogs: { data: data(lines) } }, (r) => got.push(r), s);
    expect(got).toEqual(expected);
    expect(s).toEqual({ ...emptyParseStats(), lines: 4, records: 2, noData: 1, malformed: 1 });
  });

  it("counts a CONTROL_MESSAGE and returns nothing", () => {
    const s = emptyParseStats();
    expect(decodeCloudWatchLogs(control, s).messages).toEqual([]);
    const got: FlowRecord[] = [];
    parseCloudWatchEvent({ awslogs: { data: control } }, (r) => got.push(r), s);
    expect(got).toEqual([]);
    expect(s).toEqual({ ...emptyParseStats(), controlMessages: 2 });
  });

  it.each<[string, unknown]>([
    ["not base64 at all", { awslogs: { data: "!!!% not base64 %!!!" } }],
    ["base64 of something not gzip", { awslogs: { data: Buffer.from("plain text").toString("base64") } }],
    ["gzip of something not JSON", { awslogs: { data: gzipSync("{ not json").toString("base64") } }],
    ["JSON that is not an object", { awslogs: { data: payload([1, 2]) } }],
    ["an unknown messageType", { awslogs: { data: payload({ messageType: "OTHER", logEvents: [] }) } }],
    ["DATA_MESSAGE without logEvents", { awslogs: { data: payload({ messageType: "DATA_MESSAGE" }) } }],
    ["no awslogs", { records: [] }],
    ["data not a string", { awslogs: { data: 42 } }],
    ["not an object", "awslogs"],
    ["null", null],
  ])("%s → one malformed, nothing thrown", (_name, event) => {
    const s = emptyParseStats();
    const got: FlowRecord[] = [];
    expect(() => parseCloudWatchEvent(event, (r) => got.push(r), s)).not.toThrow();
    expect(got).toEqual([]);
    expect(s).toEqual({ ...emptyParseStats(), malformed: 1 });
  });

  it("an event without a string message is a malformed line; the others still count", () => {
    const s = emptyParseStats();
    const d = payload({ messageType: "DATA_MESSAGE", logEvents: [{ id: "1" }, { message: lines[0] }, 7] });
    expect(decodeCloudWatchLogs(d, s).messages).toEqual([lines[0]]);
    expect(s).toEqual({ ...emptyParseStats(), lines: 2, malformed: 2 });
  });

  it("cwl-json text: subscription events and decoded payloads, one per line", () => {
    const decoded = { messageType: "DATA_MESSAGE", logGroup: "g", logStream: "s", logEvents: [{ id: "1", timestamp: 1, message: lines[1] }] };
    const text = [JSON.stringify({ awslogs: { data: data(lines) } }), "", JSON.stringify(decoded), "{not json", JSON.stringify({ messageType: "CONTROL_MESSAGE", logEvents: [] }), "  "].join("\r\n");
    const s = emptyParseStats();
    const got: FlowRecord[] = [];
    parseCwlJsonText(text, (r) => got.push(r), s);
    expect(got).toEqual([...expected, expected[1]]);
    expect(s).toEqual({ ...emptyParseStats(), lines: 5, records: 3, noData: 1, malformed: 2, controlMessages: 1 });
  });
});
