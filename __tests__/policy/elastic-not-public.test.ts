import { elasticNotPublic } from "../../modules/core/policy/rules/elastic-not-public";
import { addresses, component, ref, stack } from "./fixtures";

const kib = ref("aws_security_group.kib");

describe("elastic-not-public", () => {
  it("accepts private or allow-listed access to the log stack, and public non-ELK ports", () => {
    const s = stack({
      aws_security_group: {
        kib: component("dashboard"),
        web: { ...component("dashboard"), ingress: [{ from_port: 443, to_port: 443, protocol: "tcp", cidr_blocks: ["0.0.0.0/0"], ipv6_cidr_blocks: ["::/0"] }] },
      },
      aws_vpc_security_group_ingress_rule: {
        kibana_vpn: { security_group_id: kib, ip_protocol: "tcp", from_port: 5601, to_port: 5601, cidr_ipv4: "10.0.0.0/8" },
        es_from_sg: { security_group_id: kib, ip_protocol: "tcp", from_port: 9200, to_port: 9200, referenced_security_group_id: ref("aws_security_group.web") },
        // 8080 is deliberately not a watched port.
        http_alt: { security_group_id: kib, ip_protocol: "tcp", from_port: 8080, to_port: 8080, cidr_ipv4: "0.0.0.0/0" },
        icmp: { security_group_id: kib, ip_protocol: "icmp", from_port: -1, to_port: -1, cidr_ipv4: "0.0.0.0/0" },
      },
      aws_security_group_rule: {
        egress_all: { type: "egress", security_group_id: kib, protocol: "-1", from_port: 0, to_port: 0, cidr_blocks: ["0.0.0.0/0"] },
      },
    });
    expect(elasticNotPublic.check(s)).toEqual([]);
  });

  it("flags Kibana opened to 0.0.0.0/0 by an aws_vpc_security_group_ingress_rule", () => {
    const s = stack({
      aws_security_group: { kib: component("dashboard") },
      aws_vpc_security_group_ingress_rule: { r: { security_group_id: kib, ip_protocol: "tcp", from_port: 5601, to_port: 5601, cidr_ipv4: "0.0.0.0/0" } },
    });
    const v = elasticNotPublic.check(s);
    expect(addresses(v)).toEqual(["aws_vpc_security_group_ingress_rule.r"]);
    expect(v[0]?.ruleId).toBe("elastic-not-public");
    expect(v[0]?.message).toContain("5601 (Kibana)");
    expect(v[0]?.message).toContain("0.0.0.0/0");
    expect(v[0]?.message).toContain("aws_security_group.kib");
  });

  it("flags IPv6 ::/0", () => {
    const s = stack({
      aws_security_group: { es: {} },
      aws_vpc_security_group_ingress_rule: { v6: { security_group_id: ref("aws_security_group.es"), ip_protocol: "6", from_port: "9200", to_port: "9200", cidr_ipv6: "::/0" } },
    });
    const v = elasticNotPublic.check(s);
    expect(addresses(v)).toEqual(["aws_vpc_security_group_ingress_rule.v6"]);
    expect(v[0]?.message).toContain("::/0");
    expect(v[0]?.message).toContain("9200 (Elasticsearch)");
  });

  it("treats protocol -1 as every port", () => {
    const s = stack({
      aws_security_group: { ls: {} },
      aws_security_group_rule: {
        all: { type: "ingress", security_group_id: ref("aws_security_group.ls"), protocol: "-1", from_port: 0, to_port: 0, cidr_blocks: ["0.0.0.0/0"] },
      },
    });
    const v = elasticNotPublic.check(s);
    expect(addresses(v)).toEqual(["aws_security_group_rule.all"]);
    expect(v[0]?.message).toContain("all protocols and ports");
    for (const port of ["5601", "9200", "5044", "9600", "64305"]) expect(v[0]?.message).toContain(port);
  });

  it.each([
    [9000, 9300, 1, "9200 (Elasticsearch)"],
    [5000, 5100, 1, "5044 (Logstash)"],
    [64000, 65535, 1, "64305 (Logstash)"],
    [9300, 9500, 0, ""],
    [8000, 8100, 0, ""],
  ])("port range %i-%i open to the world gives %i violation(s)", (from, to, count, text) => {
    const s = stack({
      aws_security_group: { g: {} },
      aws_vpc_security_group_ingress_rule: { range: { security_group_id: ref("aws_security_group.g"), ip_protocol: "tcp", from_port: from, to_port: to, cidr_ipv4: "0.0.0.0/0" } },
    });
    const v = elasticNotPublic.check(s);
    expect(v).toHaveLength(count);
    if (count > 0) expect(v[0]?.message).toContain(text);
  });

  it("flags inline ingress blocks on the security group itself, one violation per block", () => {
    const s = stack({
      aws_security_group: {
        logstash: {
          ingress: [
            { from_port: 5044, to_port: 5044, protocol: "tcp", cidr_blocks: ["0.0.0.0/0"], ipv6_cidr_blocks: [] },
            { from_port: 22, to_port: 22, protocol: "tcp", cidr_blocks: ["0.0.0.0/0"] },
            { from_port: 9600, to_port: 9600, protocol: "tcp", cidr_blocks: ["10.0.0.0/16"], ipv6_cidr_blocks: ["::/0"] },
          ],
        },
      },
    });
    const v = elasticNotPublic.check(s);
    expect(addresses(v)).toEqual(["aws_security_group.logstash", "aws_security_group.logstash"]);
    expect(v[0]?.message).toContain("ingress[0]");
    expect(v[1]?.message).toContain("ingress[2]");
    expect(v[1]?.message).toContain("::/0");
  });

  it("exempts security groups tagged as honeypots (elasticpot serves 9200 on purpose)", () => {
    const s = stack({
      aws_security_group: {
        elasticpot: { ...component("honeypot"), ingress: [{ from_port: 9200, to_port: 9200, protocol: "tcp", cidr_blocks: ["0.0.0.0/0"] }] },
        sensors: component("honeypot"),
      },
      aws_vpc_security_group_ingress_rule: {
        pot: { security_group_id: ref("aws_security_group.sensors"), ip_protocol: "-1", cidr_ipv4: "0.0.0.0/0" },
      },
      aws_security_group_rule: {
        pot6: { type: "ingress", security_group_id: ref("aws_security_group.sensors"), protocol: "tcp", from_port: 9200, to_port: 9200, ipv6_cidr_blocks: ["::/0"] },
      },
    });
    expect(elasticNotPublic.check(s)).toEqual([]);
  });

  it("does not exempt a group that is not a honeypot or is not in the stack", () => {
    const s = stack({
      aws_security_group: { dash: component("dashboard") },
      aws_vpc_security_group_ingress_rule: {
        dash: { security_group_id: ref("aws_security_group.dash"), ip_protocol: "tcp", from_port: 5601, to_port: 5601, cidr_ipv4: "0.0.0.0/0" },
        external: { security_group_id: "sg-0123456789abcdef0", ip_protocol: "tcp", from_port: 9200, to_port: 9200, cidr_ipv4: "0.0.0.0/0" },
      },
    });
    expect(addresses(elasticNotPublic.check(s))).toEqual([
      "aws_vpc_security_group_ingress_rule.dash",
      "aws_vpc_security_group_ingress_rule.external",
    ]);
  });

  it("counts unresolved ports as covering everything", () => {
    const s = stack({
      aws_security_group: { g: {} },
      aws_vpc_security_group_ingress_rule: { tok: { security_group_id: ref("aws_security_group.g"), ip_protocol: "tcp", from_port: "${var.port}", to_port: "${var.port}", cidr_ipv4: "0.0.0.0/0" } },
    });
    const v = elasticNotPublic.check(s);
    expect(addresses(v)).toEqual(["aws_vpc_security_group_ingress_rule.tok"]);
    expect(v[0]?.message).toContain("unresolved");
  });
});
