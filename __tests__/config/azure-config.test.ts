/** The Azure part of the config: backend, per-cloud honeypots, VM sizes, admin access, tag names. */
import { PROFILES } from "../../modules/core/catalog";
import { azureVmSizes, honeypotsFor } from "../../modules/core/config";
import { AZURE_VM_SIZES, azureVmSizeFor, defaultAzureVmSize } from "../../modules/core/vm-sizes";
import { configOf, expectProblems } from "../helpers/config-problems";
import { SSH_KEYS } from "../helpers/ssh-keys";

const AZURERM = { type: "azurerm", storageAccountName: "lurestate", containerName: "tfstate", resourceGroupName: "lure-state" };

describe("clouds.azure.backend", () => {
  it("accepts local and azurerm state, azurerm with Entra ID auth by default", () => {
    expect(configOf((c) => (c.clouds.azure.backend = { type: "local" })).config.clouds.azure?.backend).toEqual({ type: "local" });
    expect(configOf((c) => (c.clouds.azure.backend = AZURERM)).config.clouds.azure?.backend).toEqual({ ...AZURERM, useAzureadAuth: true });
    expect(configOf((c) => (c.clouds.azure.backend = { ...AZURERM, resourceGroupName: "Rg_(state).1", key: "lure/x.tfstate" })).config.clouds.azure?.backend).toMatchObject({ key: "lure/x.tfstate" });
  });

  it("reports every bad name at once, with the rule", () => {
    expectProblems((c) => (c.clouds.azure.backend = { type: "azurerm", storageAccountName: "Lure-State", containerName: "tf--state", resourceGroupName: "state." }), [
      ["clouds.azure.backend.storageAccountName", '"Lure-State"', "3-24 lower-case letters and digits"],
      ["clouds.azure.backend.containerName", '"tf--state"', "single hyphens"],
      ["clouds.azure.backend.resourceGroupName", '"state."', "not ending with ."],
    ]);
  });

  it("names the required fields and the backend types", () => {
    expectProblems((c) => (c.clouds.azure.backend = { type: "azurerm" }), [
      ["clouds.azure.backend.storageAccountName", "is required"],
      ["clouds.azure.backend.containerName", "is required"],
      ["clouds.azure.backend.resourceGroupName", "is required"],
    ]);
    expectProblems((c) => (c.clouds.azure.backend = { type: "s3", bucket: "x" }), [["clouds.azure.backend.type", '"s3" is not allowed', '"local", "azurerm"']]);
    expectProblems((c) => (c.clouds.azure.backend = { ...AZURERM, bucket: "x" }), [["clouds.azure.backend.bucket", "unknown setting"]]);
  });

  it("leaves the AWS backend as it was", () => {
    expectProblems((c) => (c.clouds.aws.backend = AZURERM), [["clouds.aws.backend.type", '"azurerm" is not allowed', '"local", "s3"']]);
  });
});

describe("clouds.azure.location", () => {
  it("suggests the location meant", () => {
    expectProblems((c) => (c.clouds.azure.location = "uk-south"), [["clouds.azure.location", '"uk-south" is not a known Azure location', 'did you mean "uksouth"?']]);
    expectProblems((c) => (c.clouds.azure.location = "westeurop"), [["clouds.azure.location", 'did you mean "westeurope"']]);
  });
});

describe("clouds.azure.honeypots", () => {
  it("defaults to honeynet.profile on every cloud", () => {
    const { config } = configOf(() => {});
    expect(honeypotsFor(config, "azure")).toEqual([...PROFILES.industrial]);
    expect(honeypotsFor(config, "aws")).toEqual([...PROFILES.industrial]);
    expect(honeypotsFor(config, "gcp")).toEqual([...PROFILES.industrial]);
  });

  it("narrows Azure to a profile or a list, leaving the other clouds on honeynet.profile", () => {
    const list = configOf((c) => (c.clouds.azure.honeypots = ["dionaea", "cowrie"])).config;
    expect(honeypotsFor(list, "azure")).toEqual(["dionaea", "cowrie"]);
    expect(honeypotsFor(list, "aws")).toEqual([...PROFILES.industrial]);
    const standard = configOf((c) => (c.clouds.azure.honeypots = "standard")).config;
    expect(honeypotsFor(standard, "azure")).toEqual([...PROFILES.standard]);
  });

  it.each<[string, unknown, [string, ...string[]][]]>([
    ["a misspelt profile", "industrail", [["clouds.azure.honeypots", '"industrail"', 'did you mean "industrial"']]],
    ["a misspelt honeypot", ["cowrei"], [["clouds.azure.honeypots[0]", '"cowrei" is not a known honeypot', 'did you mean "cowrie"']]],
    ["a duplicate", ["cowrie", "cowrie"], [["clouds.azure.honeypots[1]", "is listed twice"]]],
    ["an empty list", [], [["clouds.azure.honeypots", "lists no honeypot"]]],
    ["a support service", ["kibana"], [["clouds.azure.honeypots[0]", "T-Pot support service"]]],
    ["a missing peer", ["snare"], [["clouds.azure.honeypots[0]", '"snare" talks to "tanner"', 'add "tanner"']]],
  ])("refuses %s, at its path", (_, value, expected) => {
    expectProblems((c) => (c.clouds.azure.honeypots = value), expected);
  });

  it("refuses host-network honeypots on Azure naming the cloud, and keeps the AWS reason on honeynet.profile", () => {
    expectProblems((c) => (c.clouds.azure.honeypots = ["cowrie", "honeytrap", "p0f"]), [
      ["clouds.azure.honeypots[1]", '"honeytrap" is not offered on Azure', "host-network"],
      ["clouds.azure.honeypots[2]", '"p0f" is not offered on Azure'],
    ]);
    expectProblems((c) => (c.honeynet.profile = ["cowrie", "glutton"]), [["honeynet.profile[1]", '"glutton" cannot run on serverless containers: Needs host networking']]);
  });

  it("lets an override name a honeypot that only Azure deploys", () => {
    const { config } = configOf((c) => ((c.clouds.azure.honeypots = ["dionaea"]), (c.honeynet.overrides = { dionaea: { size: "Standard_B2as_v2" }, cowrie: {} })));
    expect(azureVmSizes(config)).toEqual({ dionaea: "Standard_B2as_v2" });
  });

  it("refuses an override no cloud deploys, naming the selections", () => {
    expectProblems((c) => ((c.clouds.azure.honeypots = ["dionaea"]), (c.honeynet.overrides = { adbhoney: {} })), [
      ["honeynet.overrides.adbhoney", 'overrides "adbhoney", which no cloud deploys (honeynet.profile, clouds.azure.honeypots)'],
    ]);
    // Only Azure configured, and narrowed: honeynet.profile deploys nowhere.
    expectProblems((c) => ((c.clouds = { azure: { location: "uksouth", honeypots: ["dionaea"] } }), (c.honeynet.overrides = { cowrie: {} })), [
      ["honeynet.overrides.cowrie", "which no cloud deploys (clouds.azure.honeypots)"],
    ]);
    // Without narrowing, the AWS-era message stays as it was.
    expectProblems((c) => (c.honeynet.overrides = { adbhoney: {} }), [["honeynet.overrides.adbhoney", 'overrides "adbhoney", which honeynet.profile does not deploy']]);
  });
});

describe("VM sizes", () => {
  it("lists burstable x86-64 sizes only, the current series first", () => {
    for (const [name, s] of Object.entries(AZURE_VM_SIZES)) {
      expect(name).toMatch(/^Standard_B\d+[a-z]*(_v2)?$/);
      expect(name).not.toMatch(/p[a-z]*_v2$/); // Bpsv2 (Arm) is not offered
      expect(s.retires !== undefined).toBe(s.series === "B");
    }
  });

  it.each<[string, { cpu?: number; memory?: number; size?: string }, string]>([
    ["adbhoney", {}, "Standard_B2ats_v2"],
    ["cowrie", {}, "Standard_B2als_v2"],
    ["conpot_IEC104", {}, "Standard_B2als_v2"],
    ["dionaea", { memory: 4096 }, "Standard_B2as_v2"],
    ["adbhoney", { cpu: 4096, memory: 8192 }, "Standard_B4as_v2"],
    ["cowrie", { size: "Standard_B1s" }, "Standard_B1s"],
  ])("%s with %j gets %s", (name, override, size) => {
    expect(defaultAzureVmSize(name, override)).toBe(size);
  });

  it("gives the largest default-series size when nothing is large enough", () => {
    expect(azureVmSizeFor({ cpu: 16_384, memory: 65_536 })).toBe("Standard_B4as_v2");
  });

  it("checks overrides.<name>.size against the list, with did-you-mean", () => {
    expectProblems((c) => (c.honeynet.overrides = { cowrie: { size: "Standard_B2als" } }), [
      ["honeynet.overrides.cowrie.size", '"Standard_B2als" is not a known Azure VM size', 'did you mean "Standard_B2als_v2"'],
    ]);
    expectProblems((c) => (c.honeynet.overrides = { cowrie: { size: "Standard_D2s_v5" } }), [["honeynet.overrides.cowrie.size", '"Standard_D2s_v5" is not a known Azure VM size']]);
  });

  it("warns about a size too small for the honeypot and about B-series v1", () => {
    const { warnings } = configOf((c) => (c.honeynet.overrides = { cowrie: { size: "Standard_B2ats_v2" }, dicompot: { size: "Standard_B1ms" } }));
    expect(warnings).toEqual([
      expect.stringMatching(/^honeynet\.overrides\.cowrie\.size: Standard_B2ats_v2 has 1 GiB; cowrie needs about 1536 MiB/),
      expect.stringMatching(/^honeynet\.overrides\.dicompot\.size: Standard_B1ms is a B-series v1 size, which Azure retires on 2028-11-15; .*default Standard_B2ats_v2/),
    ]);
  });

  it("gives every honeypot Azure deploys a size", () => {
    const { config } = configOf((c) => (c.honeynet.overrides = { medpot: { size: "Standard_B2ls_v2" } }));
    const sizes = azureVmSizes(config);
    expect(Object.keys(sizes)).toEqual([...PROFILES.industrial]);
    expect(sizes).toMatchObject({ cowrie: "Standard_B2als_v2", medpot: "Standard_B2ls_v2", rdphoneypot: "Standard_B2ats_v2" });
  });
});

describe("admin access", () => {
  it("is closed by default, with no key", () => {
    const { config } = configOf(() => {});
    expect(config.honeynet.adminCidrs).toEqual([]);
    expect(config.honeynet.adminSshPublicKey).toBeUndefined();
  });

  it.each(["ed25519", "rsa2048"] as const)("accepts a %s key with the CIDRs allowed", (kind) => {
    const { config, warnings } = configOf((c) => ((c.honeynet.adminCidrs = ["198.51.100.7/32"]), (c.honeynet.adminSshPublicKey = SSH_KEYS[kind])));
    expect(config.honeynet.adminSshPublicKey).toBe(SSH_KEYS[kind]);
    expect(warnings).toEqual([]);
  });

  it("warns that a key without adminCidrs opens nothing", () => {
    expect(configOf((c) => (c.honeynet.adminSshPublicKey = SSH_KEYS.ed25519)).warnings).toEqual([expect.stringContaining("admin SSH stays closed until honeynet.adminCidrs")]);
  });

  it("requires a key with adminCidrs, refuses world-open and repeated CIDRs", () => {
    expectProblems((c) => (c.honeynet.adminCidrs = ["198.51.100.0/24", "0.0.0.0/0", "198.51.100.0/24", "10.0.0.0/33"]), [
      ["honeynet.adminSshPublicKey", "is required with honeynet.adminCidrs"],
      ["honeynet.adminCidrs[1]", '"0.0.0.0/0" opens the honeypot VMs\' admin SSH to the whole internet'],
      ["honeynet.adminCidrs[2]", "repeats adminCidrs[0]"],
      ["honeynet.adminCidrs[3]", "is not a valid CIDR"],
    ]);
  });

  const [, ed25519Blob] = SSH_KEYS.ed25519.split(" ");
  const [, rsaBlob] = SSH_KEYS.rsa2048.split(" ");
  it.each<[string, string, string]>([
    ["a private key", "-----BEGIN OPENSSH PRIVATE KEY-----", "is a private key"],
    ["an unknown type", `ssh-dss ${ed25519Blob}`, "does not start with a key type lure accepts"],
    ["a type that does not match the blob", `ssh-rsa ${ed25519Blob}`, 'does not decode to a "ssh-rsa" key'],
    ["a truncated key", `ssh-ed25519 ${ed25519Blob.slice(0, 40)}`, "wrong length"],
    ["a truncated RSA key", `ssh-rsa ${rsaBlob.slice(0, 200)}`, "ends early"],
    ["no base64", "ssh-ed25519 not*base64", "has no valid base64 key"],
    ["only a type", "ssh-ed25519", "has no valid base64 key"],
  ])("refuses %s at honeynet.adminSshPublicKey", (_, key, words) => {
    expectProblems((c) => (c.honeynet.adminSshPublicKey = key), [["honeynet.adminSshPublicKey", "is not an OpenSSH public key", words]]);
  });

  it("refuses RSA keys under 2048 bits", () => {
    expectProblems((c) => (c.honeynet.adminSshPublicKey = SSH_KEYS.rsa1024), [["honeynet.adminSshPublicKey", "is a 1024-bit RSA key; at least 2048 bits are required"]]);
  });

  it("refuses an ECDSA key when Azure is configured, naming Azure, and accepts it otherwise", () => {
    expectProblems((c) => (c.honeynet.adminSshPublicKey = SSH_KEYS.ecdsa256), [["honeynet.adminSshPublicKey", "is a ecdsa-sha2-nistp256 key, which Azure VMs do not accept"]]);
    configOf((c) => ((c.honeynet.adminSshPublicKey = SSH_KEYS.ecdsa256), delete c.clouds.azure));
  });
});

describe("tag names on Azure", () => {
  it("refuses a tag name with a slash when Azure is configured", () => {
    expectProblems((c) => ((c.tags = { "team/owner": "soc" }), (c.clouds.azure.tags = { "a/b": "c" })), [
      ["tags.team/owner", '"team/owner" contains "/", which Azure does not allow in tag names'],
      ["clouds.azure.tags.a/b", 'contains "/"'],
    ]);
    configOf((c) => ((c.tags = { "team/owner": "soc" }), delete c.clouds.azure));
  });
});

describe("the Azure dashboard", () => {
  const CERT = "arn:aws:acm:eu-west-2:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
  it("an AWS certificate does not make Azure HTTPS: plain HTTP there needs allowPlaintext", () => {
    expectProblems(
      (c) => {
        c.honeynet.dashboard = { allowCidrs: ["198.51.100.0/24"], certificateArn: CERT };
      },
      [["honeynet.dashboard.allowPlaintext", "Azure dashboard is served over plain HTTP only", "or remove clouds.azure"]],
    );
    // Without Azure (and Google Cloud, whose HTTPS needs dashboard.domain), the certificate is enough.
    expect(() =>
      configOf((c) => {
        delete c.clouds.azure;
        delete c.clouds.gcp;
        c.honeynet.dashboard = { allowCidrs: ["198.51.100.0/24"], certificateArn: CERT };
      }),
    ).not.toThrow();
  });

  it("an IPv6-only allow-list is refused when Azure is the only cloud with a dashboard", () => {
    expectProblems(
      (c) => {
        delete c.clouds.aws;
        c.honeynet.dashboard = { allowCidrs: ["2001:db8::/48"], allowPlaintext: true };
      },
      [["honeynet.dashboard.allowCidrs", "only IPv6 CIDRs", "Azure dashboard's public IP is IPv4-only"]],
    );
  });
});

describe("allow-lists inside the honeynet's network", () => {
  it("refuses dashboard and admin CIDRs that overlap honeynet.networkCidr on Azure, naming what the honeypots would reach", () => {
    expectProblems(
      (c) => {
        c.honeynet.networkCidr = "10.42.0.0/16";
        c.honeynet.dashboard.allowCidrs = ["198.51.100.0/24", "10.0.0.0/8"];
        c.honeynet.adminCidrs = ["10.42.16.0/24"];
        c.honeynet.adminSshPublicKey = SSH_KEYS.ed25519;
      },
      [
        ["honeynet.dashboard.allowCidrs[1]", '"10.0.0.0/8" overlaps honeynet.networkCidr "10.42.0.0/16"', "would reach Kibana"],
        ["honeynet.adminCidrs[0]", '"10.42.16.0/24" overlaps', "would reach admin SSH"],
      ],
    );
  });

  it("accepts private CIDRs outside the honeynet, and leaves AWS-only configs alone", () => {
    expect(() =>
      configOf((c) => {
        c.honeynet.dashboard.allowCidrs = ["10.43.0.0/16"];
      }),
    ).not.toThrow();
    expect(() =>
      configOf((c) => {
        delete c.clouds.azure;
        c.honeynet.dashboard.allowCidrs = ["10.42.0.0/16"];
      }),
    ).not.toThrow();
  });
});
