/**
 * One small snapshot per stack of the default config: what a reviewer should notice changing
 * (resource addresses by type, what is open to whom, allow-lists, runtime state kept out of
 * Terraform, runtimes, schedules, images), scrubbed of asset hashes and versions that mean nothing.
 * A change that opens a port shows as a line in the snapshot diff; update with `-u` and review it.
 */
import { STACKS } from "../main";
import { synthApp } from "./helpers/app";
import { configWith, type Json } from "./helpers/synth";
import { reviewDigest, scrub } from "./helpers/review-digest";

const stacks = synthApp(configWith());
const digests = Object.fromEntries(Object.entries(stacks).map(([name, s]) => [name, reviewDigest(s)]));
const text = (name: string) => JSON.stringify(digests[name], null, 1);

test("the default config makes all six stacks", () => {
  expect(Object.keys(stacks).sort()).toEqual(Object.values(STACKS).sort());
});

describe.each(Object.values(STACKS).sort())("%s", (name) => {
  test("review snapshot", () => {
    expect(digests[name]).toMatchSnapshot();
  });

  test("is small, and holds no hash, asset path or provider version", () => {
    const t = text(name);
    expect(t.length).toBeLessThan(12_000);
    expect(t).not.toMatch(/[0-9a-f]{40,}/);
    expect(t).not.toMatch(/_[0-9A-F]{8}"/);
    expect(t).not.toMatch(/assets\/|\.zip|required_providers|"version"/);
    // Each stack says something in every section a reviewer reads first.
    expect(digests[name].resources.length).toBeGreaterThan(10);
    expect(digests[name].exposure.length).toBeGreaterThan(0);
    expect(digests[name].stack.join()).toMatch(/^backend local .*provider (aws|azurerm|google)/);
  });
});

describe("what each cloud's snapshot shows", () => {
  test("AWS honeynet: cowrie's two ports merged into one line open to the internet; the dashboard only to the allow-list", () => {
    const d = digests["aws-honeynet"];
    expect(d.exposure).toContain("aws_security_group.Honeynet_Honeypot-cowrie_SecurityGroup in tcp/22,23 from 0.0.0.0/0");
    expect(d.exposure).toContain("aws_security_group.Honeynet_DashboardSecurityGroup in tcp/80 from 203.0.113.0/24");
    expect(d.allowLists).toContain("aws_wafv2_ip_set.Honeynet_AllowList 203.0.113.0/24");
    // A resource every honeypot has is one line; the honeypots are listed once.
    expect(d.resources).toContain("aws_ecs_service.Honeynet_Honeypot-*_Service");
    expect(d.resources.filter((r) => r.startsWith("aws_ecs_service.Honeynet_Honeypot-"))).toHaveLength(1);
    expect(d.honeypots).toEqual(expect.arrayContaining(["cowrie", "dicompot", "heralding"]));
  });

  test("Azure honeynet: a honeypot's NSG allows exactly its catalog ports", () => {
    const cowrie = digests["azure-honeynet"].exposure.filter((l) => l.includes("cowrie") && l.includes(" in allow "));
    expect(cowrie).toEqual([expect.stringMatching(/^azurerm_network_security_group\.\S*cowrie\S* in allow tcp\/22,23 from \*$/)]);
  });

  test("Google Cloud: the quarantine's runtime state is out of Terraform's hands", () => {
    expect(digests["gcp-quarantine"].runtimeState).toEqual(expect.arrayContaining(["google_compute_security_policy.Quarantine_Policy ignores rule", "google_cloud_run_v2_service.Quarantine_CopiesService ignores scaling"]));
  });

  test("the AWS quarantine's desired counts and listener rules changed at run time are ignored by Terraform", () => {
    expect(digests["aws-quarantine"].runtimeState.join("\n")).toMatch(/desired_count/);
  });
});

describe("reviewDigest", () => {
  const sg = (ingress: Json[], path = "lure/Thing") => ({ ingress, egress: [], "//": { metadata: { path } } });
  const rule = (port: number, cidr = "0.0.0.0/0", protocol = "tcp") => ({ protocol, from_port: port, to_port: port, cidr_blocks: [cidr] });

  test("scrub: digests, asset folders and long hex or base64 become placeholders", () => {
    expect(scrub(`img@sha256:${"a".repeat(64)}`)).toBe("img@sha256:<digest>");
    expect(scrub("assets/Watcher_Package_1A2B3C4D/0123456789ABCDEF0123/archive.zip")).toBe("assets/Watcher_Package/<hash>/archive.zip");
    expect(scrub("bucket-0123456789abcdef")).toBe("bucket-<hash>");
    expect(scrub("tcp/22 from 10.0.0.0/16")).toBe("tcp/22 from 10.0.0.0/16");
  });

  test("rules of one group, protocol and peer are one line with their ports sorted; other peers stay apart", () => {
    const d = reviewDigest({ resource: { aws_security_group: { G_0A1B2C3D: sg([rule(443), rule(22), rule(8080, "10.0.0.0/8"), rule(53, "0.0.0.0/0", "udp")]) } } });
    expect(d.exposure).toEqual(["aws_security_group.G in tcp/22,443 from 0.0.0.0/0", "aws_security_group.G in tcp/8080 from 10.0.0.0/8", "aws_security_group.G in udp/53 from 0.0.0.0/0"]);
  });

  test("an all-protocol rule lists no ports; a reference to a group is shown by its short name", () => {
    const d = reviewDigest({ resource: { aws_security_group: { A_11111111: sg([{ protocol: "-1", from_port: 0, to_port: 0, security_groups: ["${aws_security_group.B_22222222.id}"] }]), B_22222222: sg([]) } } });
    expect(d.exposure).toEqual(["aws_security_group.A in all from aws_security_group.B"]);
  });

  test("a hash suffix stays where two names would otherwise meet", () => {
    const d = reviewDigest({ resource: { aws_sqs_queue: { Q_11111111: {}, Q_22222222: {}, R_33333333: {} } } });
    expect(d.resources).toEqual(["aws_sqs_queue.Q_11111111", "aws_sqs_queue.Q_22222222", "aws_sqs_queue.R"]);
  });

  test("what every honeypot has is one line; what one of them alone has keeps its name", () => {
    const hp = (name: string, ports: number[]) => [`N_Honeypot-${name}_Sg_ABCDEF01`, sg([...ports.map((p) => rule(p)), rule(443, "10.0.0.0/8")], `lure/N/Honeypot-${name}/Sg`)];
    const d = reviewDigest({ resource: { aws_security_group: Object.fromEntries([hp("cowrie", [22, 23]), hp("dicompot", [11112])]) } });
    expect(d.honeypots).toEqual(["cowrie", "dicompot"]);
    expect(d.resources).toEqual(["aws_security_group.N_Honeypot-*_Sg"]);
    expect(d.exposure).toEqual(["aws_security_group.N_Honeypot-*_Sg in tcp/443 from 10.0.0.0/8", "aws_security_group.N_Honeypot-cowrie_Sg in tcp/22,23 from 0.0.0.0/0", "aws_security_group.N_Honeypot-dicompot_Sg in tcp/11112 from 0.0.0.0/0"]);
  });

  test("ignore_changes, public IAM members and Cloud Armor rules are shown; provider versions are not", () => {
    const d = reviewDigest({
      terraform: { required_providers: { google: { source: "hashicorp/google", version: "6.50.0" } } },
      provider: { google: [{ project: "p", region: "europe-west2" }] },
      resource: {
        google_cloud_run_v2_service_iam_member: { Open: { role: "roles/run.invoker", member: "allUsers", name: "svc" } },
        google_compute_security_policy: { P: { rule: [{ priority: 10, action: "allow", match: { config: { src_ip_ranges: ["198.51.100.0/24"] } } }], lifecycle: { ignore_changes: ["rule"] } } },
      },
    });
    expect(d.stack).toEqual(["provider google region=europe-west2 project=p"]);
    expect(d.exposure).toEqual(["google_cloud_run_v2_service_iam_member.Open roles/run.invoker to allUsers on svc"]);
    expect(d.allowLists).toEqual(["google_compute_security_policy.P #10 allow 198.51.100.0/24"]);
    expect(d.runtimeState).toEqual(["google_compute_security_policy.P ignores rule"]);
    expect(JSON.stringify(d)).not.toContain("6.50.0");
  });
});
