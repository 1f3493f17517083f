/** What the VM honeynets (Azure, Google Cloud) derive alike from their props: admin access and the honeypot descriptors. */
import { honeypot as catalogEntry } from "../catalog";
import { ipv4Only } from "../cidr";
import type { HoneypotDescriptor, HoneypotOverride } from "../interfaces";
import { DEFAULT_ADMIN_SSH_PORT, type AdminSshProps } from "./cloud-init";
import type { HostPort } from "./honeypot-host";

/** Admin SSH of a VM honeynet: open only with the admin's key, and from IPv4 CIDRs (every VM address is IPv4). */
export interface VmAdminAccess {
  /** Who may reach admin SSH: the IPv4 `adminCidrs`, none without a key. */
  readonly cidrs: readonly string[];
  /** The sshd settings of every host document. */
  readonly ssh: AdminSshProps;
  /** IPv6 `adminCidrs` left out (a synth warning names them). */
  readonly leftOut: readonly string[];
}

export function vmAdminAccess(props: { readonly adminCidrs?: readonly string[]; readonly adminSshPublicKey?: string }): VmAdminAccess {
  const key = props.adminSshPublicKey;
  const cidrs = key !== undefined ? (props.adminCidrs ?? []) : [];
  return {
    cidrs: ipv4Only(cidrs),
    ssh: { port: DEFAULT_ADMIN_SSH_PORT, ...(key !== undefined ? { publicKey: key } : {}) },
    leftOut: cidrs.filter((c) => c.includes(":")),
  };
}

/** A honeypot VM as IHoneynet describes it: its image (an override first), its published ports, its VM's name. */
export function vmHoneypotDescriptor(name: string, ports: readonly HostPort[], override: HoneypotOverride | undefined, serviceName: string): HoneypotDescriptor {
  return {
    name,
    image: override?.image ?? catalogEntry(name).image,
    ports: ports.map((p) => ({ port: p.host, protocol: p.protocol })),
    portChanges: [],
    serviceName,
  };
}
