import {
  ALB_FREE_ADDRESSES,
  demoDemand,
  honeynetAddresses,
  honeynetDemand,
  largestNetworkPrefix,
  networkTooSmall,
  usableAddresses,
  vpcCidrProblem,
  type NetworkDemand,
} from "../../modules/core/address-plan";
import { PROFILES } from "../../modules/core/catalog";

const net = (prefix: number) => `10.0.0.0/${prefix}`;

describe("usableAddresses", () => {
  it.each([
    [28, 11],
    [27, 27],
    [26, 59],
    [24, 251],
    [20, 4091],
  ])("a /%i leaves %i (AWS keeps 5)", (prefix, usable) => expect(usableAddresses(prefix)).toBe(usable));
});

describe("the honeynet", () => {
  it("counts every task, doubling the start-first ones, plus the EFS mount target and the load balancer's free addresses", () => {
    // 10 honeypots + Kibana double during a deployment (22); Elasticsearch and Logstash stay one each.
    expect(honeynetAddresses(10)).toEqual({ tasks: 13, taskAddresses: 24, addresses: 24 + 1 + ALB_FREE_ADDRESSES });
    expect(honeynetAddresses(26)).toEqual({ tasks: 29, taskAddresses: 56, addresses: 65 });
  });

  it.each<[string, number, number]>([
    ["industrial", PROFILES.industrial.length, 22],
    ["standard", PROFILES.standard.length, 21],
    ["one honeypot (the load balancer's /27 subnets bind)", 1, 23],
    ["seven honeypots (27 addresses: a /27 is just enough)", 7, 23],
    ["eight honeypots", 8, 22],
    ["an unknown list (only the load balancer is known)", NaN, 23],
  ])("%s needs a /%i", (_, honeypots, prefix) => {
    expect(largestNetworkPrefix(honeynetDemand(Number.isNaN(honeypots) ? undefined : honeypots))).toBe(prefix);
  });

  it("explains a /24 for the industrial profile: what each subnet gets, what is needed and why, and the largest prefix", () => {
    expect(networkTooSmall("10.42.0.0/24", honeynetDemand(10))).toBe(
      "is too small: its two subnets would be /28 (11 usable addresses each), but the dashboard load balancer needs subnets of /27 or larger, " +
        "and one subnet may need 33 addresses during a deployment (up to 24 for the 13 tasks of this honeynet, whose honeypots and Kibana start a new task " +
        "before stopping the old one, 1 for the EFS mount target and 8 the load balancer keeps free); use /22 or larger",
    );
  });

  it("names only the reason that fails", () => {
    const addresses = networkTooSmall("10.42.0.0/23", honeynetDemand(10))!;
    expect(addresses).toMatch(/^is too small: its two subnets would be \/27 \(27 usable addresses each\), but one subnet may need 33 addresses/);
    expect(addresses).not.toContain("load balancer needs");
    // Without the honeypots (an invalid profile), only what holds for any honeynet.
    expect(networkTooSmall("10.42.0.0/24", honeynetDemand(undefined))).toBe(
      "is too small: its two subnets would be /28 (11 usable addresses each), but the dashboard load balancer needs subnets of /27 or larger; use /23 or larger",
    );
    expect(networkTooSmall("10.42.0.0/24", honeynetDemand(1))).toContain("one subnet may need 15 addresses during a deployment (up to 6 for the 4 tasks");
  });

  it("says when the subnets would be smaller than AWS creates", () => {
    expect(networkTooSmall("10.42.0.0/26", honeynetDemand(10))).toMatch(/^is too small: its two subnets would be \/30 \(AWS creates none smaller than \/28\), but /);
  });
});

describe("the demo network", () => {
  it.each<[string, Parameters<typeof demoDemand>[0], number]>([
    ["one ECS copy (the load balancer's /27 public subnets bind)", { kind: "ecs", defenceCount: 1 }, 24],
    ["13 ECS copies (26 addresses in a /27)", { kind: "ecs", defenceCount: 13 }, 24],
    ["14 ECS copies", { kind: "ecs", defenceCount: 14 }, 23],
    ["20 ECS copies", { kind: "ecs", defenceCount: 20 }, 23],
    ["3 instances and a warm pool of 3", { kind: "asg", defenceCount: 3, warmPoolSize: 3 }, 24],
    ["20 instances and a warm pool of 20", { kind: "asg", defenceCount: 20, warmPoolSize: 20 }, 23],
    ["20 instances and no warm pool", { kind: "asg", defenceCount: 20, warmPoolSize: 0 }, 24],
  ])("%s needs a /%i", (_, copies, prefix) => {
    expect(largestNetworkPrefix(demoDemand(copies, "copies"))).toBe(prefix);
  });

  it("names the load balancer for a /25, the copies for too many of them (with the setting to lower)", () => {
    expect(networkTooSmall("10.43.0.0/25", demoDemand({ kind: "ecs", defenceCount: 1 }, "quarantine.copies"))).toBe(
      "is too small: its six subnets would be /28 (11 usable addresses each), but the load balancer needs public subnets of /27 or larger; use /24 or larger",
    );
    expect(networkTooSmall("10.43.0.0/24", demoDemand({ kind: "ecs", defenceCount: 20 }, "quarantine.copies"))).toBe(
      "is too small: its six subnets would be /27 (27 usable addresses each), but the copies' subnets may need 40 addresses during a deployment " +
        "(20 honeypot copies in Defence Mode, quarantine.copies.defenceCount, each starting a new task before stopping the old one); use /23 or larger, or lower quarantine.copies.defenceCount",
    );
    expect(networkTooSmall("10.43.0.0/24", demoDemand({ kind: "asg", defenceCount: 10, warmPoolSize: 20 }, "copies"))).toContain(
      "may need 30 addresses (10 instances in Defence Mode, copies.defenceCount, and 20 in the warm pool, copies.warmPool.minSize); use /23 or larger, or lower copies.defenceCount or copies.warmPool.minSize",
    );
  });
});

describe("networkTooSmall agrees with largestNetworkPrefix", () => {
  const demands: [string, NetworkDemand][] = [
    ...Array.from({ length: 61 }, (_, n) => [`honeynet of ${n}`, honeynetDemand(n)] as [string, NetworkDemand]),
    ...Array.from({ length: 20 }, (_, i) => [`demo, ${i + 1} ECS copies`, demoDemand({ kind: "ecs", defenceCount: i + 1 }, "copies")] as [string, NetworkDemand]),
    ...Array.from({ length: 21 }, (_, w) => [`demo, 20 instances, pool ${w}`, demoDemand({ kind: "asg", defenceCount: 20, warmPoolSize: w }, "copies")] as [string, NetworkDemand]),
  ];
  it.each(demands)("%s: the largest prefix fits, the next one is refused naming it", (_, d) => {
    const longest = largestNetworkPrefix(d);
    for (let p = 16; p <= longest; p++) expect(networkTooSmall(net(p), d)).toBeUndefined();
    for (let p = longest + 1; p <= 32; p++) expect(networkTooSmall(net(p), d)).toMatch(new RegExp(`; use /${longest} or larger`));
  });
});

describe("vpcCidrProblem", () => {
  it.each<[string, string | undefined]>([
    ["10.0.0.0/16", undefined],
    ["10.0.0.0/28", undefined],
    ["10.0.0.0/15", "is larger than a VPC can be: AWS allows /16 at most; use a prefix of /16 or longer"],
    ["fd00::/48", "is not an IPv4 CIDR (a VPC's address space is IPv4)"],
    ["10.0.0.1/16", 'is not a valid CIDR: host bits are set; did you mean "10.0.0.0/16"?'],
  ])("%s", (cidr, problem) => expect(vpcCidrProblem(cidr)).toBe(problem));

  it("leaves IPv6 and invalid CIDRs to it (networkTooSmall says nothing)", () => {
    expect(networkTooSmall("fd00::/120", honeynetDemand(10))).toBeUndefined();
    expect(networkTooSmall("10.0.0.1/24", honeynetDemand(10))).toBeUndefined();
  });
});
