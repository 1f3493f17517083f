/** The Google Cloud part of the config: project, zone, backend, labels, honeypots, machine types, the dashboard's domain. */
import { PROFILES, defaultSize } from "../../modules/core/catalog";
import { gcpMachineTypes, gcpZone, honeypotsFor, validateConfig } from "../../modules/core/config";
import { gcpZones } from "../../modules/core/regions";
import { defaultGcpMachineType, GCP_MACHINE_TYPES } from "../../modules/core/vm-sizes";
import { configOf, expectProblems, withChange } from "../helpers/config-problems";

describe("clouds.gcp.project", () => {
  it.each(["lure-honeynet", "a12345", "abcdefghij-klmnopqrst-uvwxyz1"])("accepts %s", (project) => {
    expect(configOf((c) => (c.clouds.gcp.project = project)).config.clouds.gcp?.project).toBe(project);
  });
  it.each(["Lure", "12345a", "abcde", "lure-", "a".repeat(31), "lure_net", "example.com:", ":lure-net", "example:lure-net", "Example.com:lure-net", "example.com:Lure", "a.b.c:d:lure-net"])(
    "refuses %s with the rule",
    (project) => {
      expectProblems((c) => (c.clouds.gcp.project = project), [["clouds.gcp.project", "6-30 lower-case letters, digits and hyphens", '"example.com:my-project"']]);
    },
  );
  it.each(["example.com:lure-net", "corp.example.co.uk:honeynet-1"])("accepts the domain-scoped %s when no watcher runs on it", (project) => {
    const config = configOf((c) => ((c.clouds.gcp.project = project), (c.watcher.enabled = false))).config;
    expect(config.clouds.gcp?.project).toBe(project);
  });
  it("refuses a domain-scoped project with the watcher on, naming why and the way out", () => {
    expectProblems((c) => (c.clouds.gcp.project = "example.com:lure-net"), [["clouds.gcp.project", '"example.com:lure-net" is domain-scoped', "cloudfunctions.net", "watcher.enabled to false"]]);
  });
});

describe("clouds.gcp.zone", () => {
  it("defaults to the region's first zone", () => {
    const gcp = configOf(() => {}).config.clouds.gcp!;
    expect(gcp.zone).toBeUndefined();
    expect(gcpZone(gcp)).toBe("europe-west2-a");
    expect(gcpZone({ region: "us-east1" })).toBe("us-east1-b");
  });
  it("knows the regions whose zones are not a, b, c", () => {
    expect(gcpZones("us-central1")).toEqual(["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"]);
    expect(gcpZones("europe-west1")).toEqual(["europe-west1-b", "europe-west1-c", "europe-west1-d"]);
    expect(gcpZones("mars-north1")).toEqual([]);
  });
  it("accepts a zone of the region, refuses one of another region with the allowed list", () => {
    expect(configOf((c) => (c.clouds.gcp.zone = "europe-west2-c")).config.clouds.gcp?.zone).toBe("europe-west2-c");
    expectProblems((c) => (c.clouds.gcp.zone = "europe-west1-b"), [["clouds.gcp.zone", '"europe-west1-b" is not a zone of europe-west2', '"europe-west2-a", "europe-west2-b", "europe-west2-c"']]);
    expectProblems((c) => (c.clouds.gcp.zone = "europe-west2-d"), [["clouds.gcp.zone", "not a zone of europe-west2; did you mean"]]);
  });
  it("leaves the zone alone when the region itself is unknown (one problem, at the region)", () => {
    expectProblems((c) => ((c.clouds.gcp.region = "eurpe-west2"), (c.clouds.gcp.zone = "europe-west2-a")), [["clouds.gcp.region", 'did you mean "europe-west2"']]);
  });
});

describe("clouds.gcp.backend", () => {
  it("accepts local and gcs state", () => {
    expect(configOf((c) => (c.clouds.gcp.backend = { type: "local" })).config.clouds.gcp?.backend).toEqual({ type: "local" });
    expect(configOf((c) => (c.clouds.gcp.backend = { type: "gcs", bucket: "lure-state_1.example" })).config.clouds.gcp?.backend).toEqual({ type: "gcs", bucket: "lure-state_1.example" });
  });
  it("names the bucket rule, the required bucket and the backend types", () => {
    expectProblems((c) => (c.clouds.gcp.backend = { type: "gcs", bucket: "Lure-State" }), [["clouds.gcp.backend.bucket", '"Lure-State"', "3-63 lower-case letters"]]);
    expectProblems((c) => (c.clouds.gcp.backend = { type: "gcs", bucket: "google-state" }), [["clouds.gcp.backend.bucket", 'not starting with "goog"']]);
    expectProblems((c) => (c.clouds.gcp.backend = { type: "gcs" }), [["clouds.gcp.backend.bucket", "is required"]]);
    expectProblems((c) => (c.clouds.gcp.backend = { type: "s3", bucket: "x" }), [["clouds.gcp.backend.type", '"s3" is not allowed', '"local", "gcs"']]);
  });
});

describe("tags as labels", () => {
  it("accepts tags the label rule maps (upper case, spaces, colons)", () => {
    expect(() => configOf((c) => ((c.tags = { Owner: "Jane Doe", "cost:centre": "R&D-1" }), (c.clouds.gcp.tags = { team: "blue" })))).toThrow(/tags/);
    // "&" is not a tag character at all; without it the rule maps everything.
    expect(() => configOf((c) => ((c.tags = { Owner: "Jane Doe", "cost:centre": "RD-1" }), (c.clouds.gcp.tags = { team: "blue" })))).not.toThrow();
  });
  it("reports what the rule cannot map, each at its path", () => {
    expectProblems(
      (c) => {
        c.tags = { "1st": "x", Owner: "a", "long-value": "v".repeat(64) };
        c.clouds.gcp.tags = { owner: "b", "Managed-By": "me", ["k".repeat(64)]: "x" };
      },
      [
        ["tags.1st", "must start with a letter"],
        ["tags.long-value", "is 64 characters; a Google Cloud label value has at most 63"],
        ["clouds.gcp.tags.owner", 'becomes label "owner", as tags.Owner does'],
        ["clouds.gcp.tags.Managed-By", 'becomes label "managed-by", which lure sets itself'],
        [`clouds.gcp.tags.${"k".repeat(64)}`, "key is 64 characters"],
      ],
    );
  });
  it("lets clouds.gcp.tags replace a tag of the same key", () => {
    expect(() => configOf((c) => ((c.tags = { owner: "a" }), (c.clouds.gcp.tags = { owner: "b" })))).not.toThrow();
  });
  it("leaves room for lure's own labels", () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, "x"]));
    expect(() => configOf((c) => ((c.tags = many(56)), (c.clouds.gcp.tags = {})))).not.toThrow();
    expectProblems((c) => ((c.tags = many(57)), (c.clouds.gcp.tags = { extra: "y" })), [["clouds.gcp.tags", "give 58 labels", "at most 57 are yours"]]);
  });
  it("does not apply label rules when Google Cloud is not configured", () => {
    expect(() => configOf((c) => (delete c.clouds.gcp, (c.tags = { "1st": "x" })))).not.toThrow();
  });
});

describe("clouds.gcp.honeypots", () => {
  it("narrows the honeypots on Google Cloud only", () => {
    const { config } = configOf((c) => (c.clouds.gcp.honeypots = ["cowrie", "dionaea"]));
    expect(honeypotsFor(config, "gcp")).toEqual(["cowrie", "dionaea"]);
    expect(honeypotsFor(config, "aws")).toEqual([...PROFILES.industrial]);
    expect(honeypotsFor(config, "azure")).toEqual([...PROFILES.industrial]);
    expect(honeypotsFor(configOf((c) => (c.clouds.gcp.honeypots = "standard")).config, "gcp")).toEqual([...PROFILES.standard]);
  });
  it("refuses host-network services, saying why for Google Cloud, and a list without a peer", () => {
    expectProblems((c) => (c.clouds.gcp.honeypots = ["cowrie", "honeytrap"]), [["clouds.gcp.honeypots[1]", "is not offered on Google Cloud", "Compute Engine VMs"]]);
    expectProblems((c) => (c.clouds.gcp.honeypots = ["snare"]), [["clouds.gcp.honeypots[0]", '"snare" talks to "tanner"']]);
  });
});

describe("machine types", () => {
  it("derive from the catalog: each honeypot's type has more memory than its task and the host need", () => {
    const types = gcpMachineTypes(configOf(() => {}).config);
    expect(Object.keys(types)).toEqual([...PROFILES.industrial]);
    // The light ones (256 CPU units, 512 MiB) on e2-small, the heavy ones (512, 1024 MiB) on e2-medium.
    for (const [name, type] of Object.entries(types)) expect([name, type]).toEqual([name, defaultSize(name).cpu === 256 ? "e2-small" : "e2-medium"]);
    expect(new Set(Object.values(types))).toEqual(new Set(["e2-small", "e2-medium"]));
    expect(defaultGcpMachineType("cowrie", { memory: 2048 })).toBe("e2-medium");
    expect(defaultGcpMachineType("cowrie", { cpu: 2048, memory: 1024 })).toBe("e2-standard-4");
  });
  it("take overrides.<hp>.machineType, and warn when it is too small", () => {
    const { config, warnings } = configOf((c) => (c.honeynet.overrides = { conpot_IEC104: { machineType: "e2-micro" } }));
    expect(gcpMachineTypes(config).conpot_IEC104).toBe("e2-micro");
    expect(warnings).toEqual([expect.stringMatching(/^honeynet\.overrides\.conpot_IEC104\.machineType: e2-micro has 1 GiB; conpot_IEC104 needs about \d+ MiB/)]);
  });
  it("refuse a type lure does not know, with a suggestion", () => {
    expectProblems((c) => (c.honeynet.overrides = { cowrie: { machineType: "e2-smal" } }), [["honeynet.overrides.cowrie.machineType", '"e2-smal" is not a known Compute Engine machine type', 'did you mean "e2-small"']]);
    expect(Object.keys(GCP_MACHINE_TYPES).every((t) => t.startsWith("e2-"))).toBe(true);
  });
});

describe("the Google Cloud dashboard", () => {
  const GCP_ONLY = (c: Record<string, any>) => (delete c.clouds.aws, delete c.clouds.azure); // eslint-disable-line @typescript-eslint/no-explicit-any
  it("is HTTPS with a domain; without one, plain HTTP needs the opt-in, at honeynet.dashboard.domain", () => {
    expect(() => configOf((c) => (GCP_ONLY(c), (c.honeynet.dashboard = { allowCidrs: ["198.51.100.0/24"], domain: "kibana.example.org" })))).not.toThrow();
    expectProblems((c) => (GCP_ONLY(c), (c.honeynet.dashboard = { allowCidrs: ["198.51.100.0/24"] })), [["honeynet.dashboard.domain", "Google Cloud dashboard would be plain HTTP", "allowPlaintext: true"]]);
  });
  it("needs a domain even when AWS has a certificate", () => {
    const CERT = "arn:aws:acm:eu-west-2:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
    expectProblems((c) => (delete c.clouds.azure, (c.honeynet.dashboard = { allowCidrs: ["198.51.100.0/24"], certificateArn: CERT })), [["honeynet.dashboard.domain", "Google Cloud dashboard would be plain HTTP"]]);
    expect(() => configOf((c) => (delete c.clouds.azure, (c.honeynet.dashboard = { allowCidrs: ["198.51.100.0/24"], certificateArn: CERT, domain: "kibana.example.org" })))).not.toThrow();
  });
  it("refuses an IPv6-only allow-list (the load balancer's address is IPv4)", () => {
    expectProblems((c) => (GCP_ONLY(c), (c.honeynet.dashboard = { allowCidrs: ["2001:db8::/48"], allowPlaintext: true })), [["honeynet.dashboard.allowCidrs", "Google Cloud dashboard's load balancer address is IPv4-only"]]);
  });
  it("warns that a domain does nothing without Google Cloud", () => {
    const r = validateConfig(withChange((c) => (delete c.clouds.gcp, (c.honeynet.dashboard.domain = "kibana.example.org"))));
    expect(r.ok && r.warnings.filter((w) => w.startsWith("honeynet.dashboard.domain"))).toEqual([
      "honeynet.dashboard.domain: is used on Google Cloud only (AWS takes certificateArn), and clouds.gcp is not set; remove it",
    ]);
  });
});

describe("admin access on Google Cloud", () => {
  it("refuses an admin CIDR inside the honeynet (honeypot VMs would reach admin SSH)", () => {
    expectProblems(
      (c) => (delete c.clouds.azure, (c.honeynet.adminCidrs = ["10.42.0.0/24"]), (c.honeynet.adminSshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH6JZ/k7h08FP4F829aNdhrQcw0cZ95DZKa+qFq3uD6o ed@test")),
      [["honeynet.adminCidrs[0]", "on Google Cloud the honeypot VMs, which attackers control, would reach admin SSH"]],
    );
  });
});

describe("honeynet.networkCidr on Google Cloud", () => {
  it("is a /22 or larger (a sixteenth is Kibana's /26), said once even when AWS is also too small", () => {
    expect(() => configOf((c) => (delete c.clouds.aws, (c.honeynet.networkCidr = "10.42.0.0/22")))).not.toThrow();
    expectProblems((c) => (delete c.clouds.aws, (c.honeynet.networkCidr = "10.42.0.0/23")), [["honeynet.networkCidr", "too small for Google Cloud", "use /22 or larger"]]);
    expectProblems((c) => (c.honeynet.networkCidr = "10.42.0.0/24"), [["honeynet.networkCidr", "is too small: its two subnets"]]);
  });
});
