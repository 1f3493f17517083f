/** AzureStack: the azurerm provider block, the state backend, and lure's tags on every taggable resource. */
import { Fn, Testing } from "cdktf";
import { LinuxVirtualMachine } from "@cdktf/provider-azurerm/lib/linux-virtual-machine";
import { NetworkInterface } from "@cdktf/provider-azurerm/lib/network-interface";
import { NetworkInterfaceSecurityGroupAssociation } from "@cdktf/provider-azurerm/lib/network-interface-security-group-association";
import { NetworkSecurityGroup } from "@cdktf/provider-azurerm/lib/network-security-group";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { AzureStack, type AzureStackProps } from "../../providers/azure";
import type { Json } from "../helpers/synth";

const SUBSCRIPTION = "00000000-0000-4000-8000-000000000001";
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdVmdZn1zyEt2TU+9WJ8OKk01LuGtRt0Q9VJdgAAAAA test";

/** An AzureStack holding a small honeypot host: group, network, public IP, NSG, NIC, VM. */
function synth(props: Partial<AzureStackProps> = {}, decorate?: (parts: { vm: LinuxVirtualMachine; ip: PublicIp }) => void): Json {
  const stack = new AzureStack(Testing.app(), "azure-honeynet", { prefix: "lure", location: "uksouth", tags: { project: "lure", owner: "soc" }, ...props });
  const rg = new ResourceGroup(stack, "ResourceGroup", { name: "lure-honeynet", location: stack.location });
  const vnet = new VirtualNetwork(stack, "Network", { name: "lure-honeynet", location: stack.location, resourceGroupName: rg.name, addressSpace: ["10.42.0.0/16"] });
  const subnet = new Subnet(stack, "Subnet", { name: "honeypots", resourceGroupName: rg.name, virtualNetworkName: vnet.name, addressPrefixes: ["10.42.0.0/24"] });
  const ip = new PublicIp(stack, "CowrieIp", { name: "lure-cowrie", location: stack.location, resourceGroupName: rg.name, allocationMethod: "Static", sku: "Standard", tags: { "lure:honeypot": "cowrie" } });
  const nsg = new NetworkSecurityGroup(stack, "CowrieNsg", { name: "lure-cowrie", location: stack.location, resourceGroupName: rg.name });
  const nic = new NetworkInterface(stack, "CowrieNic", {
    name: "lure-cowrie",
    location: stack.location,
    resourceGroupName: rg.name,
    ipConfiguration: [{ name: "primary", subnetId: subnet.id, privateIpAddressAllocation: "Dynamic", publicIpAddressId: ip.id }],
  });
  new NetworkInterfaceSecurityGroupAssociation(stack, "CowrieNicNsg", { networkInterfaceId: nic.id, networkSecurityGroupId: nsg.id });
  const vm = new LinuxVirtualMachine(stack, "Cowrie", {
    name: "lure-cowrie",
    location: stack.location,
    resourceGroupName: rg.name,
    size: "Standard_B2als_v2",
    adminUsername: "lure",
    adminSshKey: [{ username: "lure", publicKey: KEY }],
    networkInterfaceIds: [nic.id],
    osDisk: { caching: "ReadWrite", storageAccountType: "Standard_LRS" },
    sourceImageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
  });
  decorate?.({ vm, ip });
  return JSON.parse(Testing.synth(stack)) as Json;
}

/** `[address, body]` of every resource in the synthesized stack. */
const everyResource = (out: Json): [string, Json][] =>
  Object.entries((out.resource ?? {}) as Record<string, Record<string, Json>>).flatMap(([type, byName]) => Object.entries(byName).map(([name, body]): [string, Json] => [`${type}.${name}`, body]));

/** Resource types of the test stack whose azurerm schema has no `tags` argument. */
const UNTAGGABLE = ["azurerm_subnet", "azurerm_network_interface_security_group_association"];

const STACK_TAGS = { project: "lure", owner: "soc", "lure:prefix": "lure", "lure:stack": "azure-honeynet", "managed-by": "lure" };

describe("AzureStack tags", () => {
  const out = synth();
  const all = everyResource(out);

  it("synthesizes the test resources", () => {
    expect(all.map(([a]) => a.split(".")[0]).sort()).toEqual([
      "azurerm_linux_virtual_machine",
      "azurerm_network_interface",
      "azurerm_network_interface_security_group_association",
      "azurerm_network_security_group",
      "azurerm_public_ip",
      "azurerm_resource_group",
      "azurerm_subnet",
      "azurerm_virtual_network",
    ]);
  });

  it("puts the stack's tags (user tags and lure's own) on every taggable resource", () => {
    const taggable = all.filter(([a]) => !UNTAGGABLE.includes(a.split(".")[0]));
    expect(taggable).toHaveLength(6);
    for (const [address, body] of taggable) expect({ address, tags: body.tags }).toEqual({ address, tags: expect.objectContaining(STACK_TAGS) });
  });

  it("keeps the tags a resource sets itself, merged with the stack's", () => {
    const [, ip] = all.find(([a]) => a.startsWith("azurerm_public_ip."))!;
    expect(ip.tags).toEqual({ ...STACK_TAGS, "lure:honeypot": "cowrie" });
    const [, vm] = all.find(([a]) => a.startsWith("azurerm_linux_virtual_machine."))!;
    expect(vm.tags).toEqual(STACK_TAGS);
  });

  it("lets a resource's own tag win over a stack tag of the same key", () => {
    const own = everyResource(synth({}, ({ ip }) => (ip.tags = { owner: "honeynet-team" })));
    expect(own.find(([a]) => a.startsWith("azurerm_public_ip."))![1].tags).toEqual({ ...STACK_TAGS, owner: "honeynet-team" });
  });

  it("merges at plan time when a resource's tags are a token", () => {
    const merged = everyResource(synth({}, ({ vm }) => (vm.tags = Fn.merge([{ a: "b" }]) as unknown as Record<string, string>)));
    const tags = merged.find(([a]) => a.startsWith("azurerm_linux_virtual_machine."))![1].tags;
    expect(typeof tags).toBe("string");
    expect(tags).toMatch(/^\$\{merge\(/);
    expect(tags).toContain('"lure:prefix" = "lure"');
  });

  it("adds no tags argument to resources that have none", () => {
    for (const [address, body] of all.filter(([a]) => UNTAGGABLE.includes(a.split(".")[0]))) expect({ address, tags: body.tags }).toEqual({ address, tags: undefined });
  });

  it("tags a stack without user tags with lure's own", () => {
    const bare = everyResource(synth({ tags: undefined }));
    expect(bare.find(([a]) => a.startsWith("azurerm_resource_group."))![1].tags).toEqual({ "lure:prefix": "lure", "lure:stack": "azure-honeynet", "managed-by": "lure" });
  });
});

describe("AzureStack provider", () => {
  it("has the features block and no subscription when the config gives none (ARM_SUBSCRIPTION_ID then)", () => {
    const provider = synth().provider.azurerm;
    expect(provider).toHaveLength(1);
    expect(provider[0].features).toEqual([{}]);
    expect(provider[0]).not.toHaveProperty("subscription_id");
  });

  it("sets the subscription the config gives", () => {
    const [provider] = synth({ subscriptionId: SUBSCRIPTION }).provider.azurerm;
    expect(provider.subscription_id).toBe(SUBSCRIPTION);
    expect(provider.features).toEqual([{}]);
  });

  it("pins the provider and requires a Terraform that lure supports", () => {
    const out = synth();
    expect(out.terraform.required_providers.azurerm.version).toBe("4.55.0");
    expect(out.terraform.required_version).toMatch(/^>= \d+\.\d+/);
  });
});

describe("AzureStack backend", () => {
  it("is a local state file at the project root by default", () => {
    expect(synth().terraform.backend).toEqual({ local: { path: "../../../terraform.azure-honeynet.tfstate" } });
  });

  it("is a local state file at the given path", () => {
    expect(synth({ backend: { type: "local", path: "state/az.tfstate" } }).terraform.backend).toEqual({ local: { path: "state/az.tfstate" } });
  });

  it("is an azurerm blob, keyed by prefix and stack, with Entra ID auth by default", () => {
    const backend = synth({ backend: { type: "azurerm", storageAccountName: "lurestate", containerName: "tfstate", resourceGroupName: "lure-state" } }).terraform.backend;
    expect(backend).toEqual({
      azurerm: { storage_account_name: "lurestate", container_name: "tfstate", resource_group_name: "lure-state", key: "lure/azure-honeynet.tfstate", use_azuread_auth: true },
    });
  });

  it("takes the azurerm key, subscription and auth the config gives", () => {
    const backend = synth({
      backend: { type: "azurerm", storageAccountName: "lurestate", containerName: "tfstate", resourceGroupName: "lure-state", key: "x/y.tfstate", subscriptionId: SUBSCRIPTION, useAzureadAuth: false },
    }).terraform.backend;
    expect(backend.azurerm).toMatchObject({ key: "x/y.tfstate", subscription_id: SUBSCRIPTION, use_azuread_auth: false });
    expect(backend).not.toHaveProperty("local");
  });
});
