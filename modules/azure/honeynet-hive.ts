/**
 * The hive input's load balancer of `AzureHoneynet` (`honeynet.analytics.hive: "azure"`): a Standard
 * public Load Balancer with one rule, TCP {@link HIVE_PORT}, whose one backend is the Elastic VM's NIC
 * (the VM runs the hive's Logstash and keeps no public IP). A layer-4 load balancer only rewrites the
 * destination, so the TLS handshake with the sensor's client certificate reaches Logstash, which alone
 * holds the CA that checks it, and packets keep the sensor's source address: the Elastic VM's NSG sees
 * (and allow-lists) the sensors themselves. Replies to these flows leave through the load balancer; the
 * VM's own outbound traffic keeps the NAT gateway. Created in the honeynet's scope (construct ids are
 * the honeynet's).
 *
 * ```ts
 * const lb = hiveLoadBalancer(honeynet, { name: "lure-hive", location: "westeurope", resourceGroupName: "lure-honeynet", nic: elasticNic, ipConfigurationName: "private", tags: {} });
 * ```
 */
import type { Construct } from "constructs";
import { Lb } from "@cdktf/provider-azurerm/lib/lb";
import { LbBackendAddressPool } from "@cdktf/provider-azurerm/lib/lb-backend-address-pool";
import { LbProbe } from "@cdktf/provider-azurerm/lib/lb-probe";
import { LbRule } from "@cdktf/provider-azurerm/lib/lb-rule";
import type { NetworkInterface } from "@cdktf/provider-azurerm/lib/network-interface";
import { NetworkInterfaceBackendAddressPoolAssociation } from "@cdktf/provider-azurerm/lib/network-interface-backend-address-pool-association";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { HIVE_PORT } from "../core/hive";

/** The frontend's name inside the load balancer, which the rule refers to. */
export const HIVE_FRONTEND = "hive";
/**
 * Seconds between probes (Azure's minimum is 5, and interval × count must be at least 10): a probe is
 * a bare TCP connect that Logstash's TLS input sees and drops, so not more often than needed.
 */
const PROBE_INTERVAL_SECONDS = 30;

export interface HiveLoadBalancerProps {
  /** Name of the public IP and of the load balancer, e.g. `lure-hive`. */
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /** The Elastic VM's NIC, which runs the hive's Logstash on {@link HIVE_PORT}. */
  readonly nic: NetworkInterface;
  /** Name of the NIC's IP configuration the pool holds. */
  readonly ipConfigurationName: string;
  /** Tags of the public IP and the load balancer. */
  readonly tags: Readonly<Record<string, string>>;
}

export interface HiveLoadBalancer {
  /** The static IPv4 address: where the sensors ship (port {@link HIVE_PORT}). */
  readonly publicIp: PublicIp;
  readonly lb: Lb;
  readonly pool: LbBackendAddressPool;
  readonly probe: LbProbe;
  readonly rule: LbRule;
}

/** The public IP, the load balancer, its pool with the Elastic NIC, the probe and the rule. */
export function hiveLoadBalancer(scope: Construct, props: HiveLoadBalancerProps): HiveLoadBalancer {
  const { name, location, resourceGroupName } = props;
  const tags = { ...props.tags };
  // Static and Standard (a Standard load balancer takes only those), so the sensors' configuration
  // (their stacks read the address) survives a rebuilt load balancer.
  const publicIp = new PublicIp(scope, "HiveIp", { name, location, resourceGroupName, allocationMethod: "Static", sku: "Standard", ipVersion: "IPv4", tags });
  const lb = new Lb(scope, "HiveLoadBalancer", {
    name,
    location,
    resourceGroupName,
    sku: "Standard",
    frontendIpConfiguration: [{ name: HIVE_FRONTEND, publicIpAddressId: publicIp.id }],
    tags,
  });
  const pool = new LbBackendAddressPool(scope, "HiveBackendPool", { name: "elastic", loadbalancerId: lb.id });
  new NetworkInterfaceBackendAddressPoolAssociation(scope, "HiveBackendPoolMember", {
    networkInterfaceId: props.nic.id,
    ipConfigurationName: props.ipConfigurationName,
    backendAddressPoolId: pool.id,
  });
  const probe = new LbProbe(scope, "HiveProbe", { name: "logstash-hive", loadbalancerId: lb.id, protocol: "Tcp", port: HIVE_PORT, intervalInSeconds: PROBE_INTERVAL_SECONDS, numberOfProbes: 2 });
  const rule = new LbRule(scope, "HiveRule", {
    name: "logstash-hive",
    loadbalancerId: lb.id,
    frontendIpConfigurationName: HIVE_FRONTEND,
    protocol: "Tcp",
    frontendPort: HIVE_PORT,
    backendPort: HIVE_PORT,
    backendAddressPoolIds: [pool.id],
    probeId: probe.id,
    // The VM's own outbound traffic leaves through the Elastic subnet's NAT gateway, not this address.
    disableOutboundSnat: true,
    floatingIpEnabled: false,
    // A flow idle past the timeout is reset rather than dropped silently, so the shipper reconnects at once.
    tcpResetEnabled: true,
  });
  return { publicIp, lb, pool, probe, rule };
}
