/** The public IPv4 count (and its monthly charge) the summary prints, on the default stacks. */
import { readFileSync } from "fs";
import { join } from "path";
import { publicIpv4, publicIpv4Line } from "../../modules/core/public-ipv4";
import { PROFILES } from "../../modules/core/catalog";
import { configWith, ROOT, synthAwsHoneynet, synthAwsQuarantine } from "../helpers/synth";

test("aws-honeynet: one address per honeypot task and per Elastic task, and the dashboard ALB's two", () => {
  const c = publicIpv4(synthAwsHoneynet());
  expect(c).toMatchObject({ tasks: PROFILES.industrial.length + 3, loadBalancers: 2, elasticIps: 0, total: PROFILES.industrial.length + 5 });
  expect(c.monthlyUsd).toBeCloseTo(15 * 3.65, 2);
});

test("a honeypot waiting for its image (desired 0) holds no address yet", () => {
  const stack = synthAwsHoneynet(configWith((c) => (c.honeynet.imageRepositories = ["cowrie"])));
  expect(publicIpv4(stack)).toMatchObject({ tasks: PROFILES.industrial.length + 2, waiting: 1 });
  expect(publicIpv4Line(stack)).toMatch(/; 1 more once the service waiting for its image is started$/);
});

test("aws-quarantine demo: the ALB's two and the NAT gateway's Elastic IP; the real service and copies have none", () => {
  expect(publicIpv4(synthAwsQuarantine())).toMatchObject({ tasks: 0, loadBalancers: 2, elasticIps: 1, total: 3 });
  expect(publicIpv4Line(synthAwsQuarantine())).toBe("public IPv4: 3 addresses (2+ load balancer, 1 NAT), about USD 10.95 a month at USD 0.005/hour each");
});

test("the README's figures are the counted ones (industrial 15, standard 31, demo 3)", () => {
  expect(publicIpv4(synthAwsHoneynet(configWith((c) => (c.honeynet.profile = "standard")))).total).toBe(31);
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const flat = readme.replace(/\s+/g, " ");
  expect(flat).toContain("15 for the industrial profile");
  expect(flat).toContain("31 for the standard one");
  expect(flat).toContain("The demo holds 3");
});
