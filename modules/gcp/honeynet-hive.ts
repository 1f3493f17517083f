/**
 * The hive input's load balancer of `GcpHoneynet` (`honeynet.analytics.hive: "gcp"`): a backend
 * service-based external passthrough Network Load Balancer for TCP {@link HIVE_PORT} only, whose one
 * backend is an unmanaged instance group holding the Elastic VM (which runs the hive's Logstash and
 * keeps no external IP). Passthrough, not a proxy: the TLS handshake with its client certificate
 * reaches Logstash, which alone holds the CA that checks it, and packets keep the sensor's source
 * address, so the VM's firewall rules see (and allow-list) the sensors themselves. Replies leave the
 * VM directly (direct server return), not through Cloud NAT. Created in the honeynet's scope
 * (construct ids are the honeynet's).
 *
 * ```ts
 * const lb = hiveLoadBalancer(honeynet, { name: "lure-hive", region: "europe-west2", zone: "europe-west2-a", instance: elasticVm, labels: { "lure-component": "elastic" } });
 * ```
 */
import type { Construct } from "constructs";
import { ComputeAddress } from "@cdktf/provider-google/lib/compute-address";
import { ComputeForwardingRule } from "@cdktf/provider-google/lib/compute-forwarding-rule";
import type { ComputeInstance } from "@cdktf/provider-google/lib/compute-instance";
import { ComputeInstanceGroup } from "@cdktf/provider-google/lib/compute-instance-group";
import { ComputeInstanceGroupMembership } from "@cdktf/provider-google/lib/compute-instance-group-membership";
import { ComputeRegionBackendService } from "@cdktf/provider-google/lib/compute-region-backend-service";
import { ComputeRegionHealthCheck } from "@cdktf/provider-google/lib/compute-region-health-check";
import { HIVE_PORT } from "../core/hive";
import { triggerReference } from "../core/lifecycle";

/**
 * Where the health checks of an external passthrough Network Load Balancer come from (IPv4): the
 * `network` ranges of the provider's `google_compute_lb_ip_ranges` (google 6.50.0), as Google's
 * load-balancer firewall page lists them. Not 130.211.0.0/22: that range probes the proxy load balancers.
 */
export const NLB_HEALTH_CHECK_RANGES: readonly string[] = ["35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"];

/** Seconds between health checks: a probe is a bare TCP connect that Logstash's TLS input sees and drops. */
const HEALTH_CHECK_INTERVAL_SECONDS = 30;

export interface HiveLoadBalancerProps {
  /** Name of each of its resources (they are of different types), e.g. `lure-hive`. */
  readonly name: string;
  /** Region of the address, health check, backend service and forwarding rule. */
  readonly region: string;
  /** Zone of the instance group: the Elastic VM's. */
  readonly zone: string;
  /** The Elastic VM, which runs the hive's Logstash on {@link HIVE_PORT}. */
  readonly instance: ComputeInstance;
  /** Labels of the address and the forwarding rule. */
  readonly labels: Readonly<Record<string, string>>;
}

export interface HiveLoadBalancer {
  /** The static external IPv4 address: where the sensors ship (port {@link HIVE_PORT}). */
  readonly address: ComputeAddress;
  readonly healthCheck: ComputeRegionHealthCheck;
  readonly group: ComputeInstanceGroup;
  readonly backendService: ComputeRegionBackendService;
  readonly forwardingRule: ComputeForwardingRule;
}

/** The address, the health check, the Elastic VM's group and its membership, the backend service and the forwarding rule. */
export function hiveLoadBalancer(scope: Construct, props: HiveLoadBalancerProps): HiveLoadBalancer {
  const { name, region } = props;
  const labels = { ...props.labels };
  // Static, so the sensors' configuration (their stacks read it) survives a rebuilt forwarding rule.
  const address = new ComputeAddress(scope, "HiveAddress", { name, region, addressType: "EXTERNAL", ipVersion: "IPV4", labels });
  const healthCheck = new ComputeRegionHealthCheck(scope, "HiveHealthCheck", {
    name,
    region,
    checkIntervalSec: HEALTH_CHECK_INTERVAL_SECONDS,
    timeoutSec: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 2,
    tcpHealthCheck: { port: HIVE_PORT },
  });
  const group = new ComputeInstanceGroup(scope, "HiveInstanceGroup", { name, zone: props.zone, description: "lure: the Elastic VM, the hive's Logstash" });
  // A membership of its own, not the group's `instances`: a replaced VM keeps its self link, so the
  // group's list would show no change while Compute Engine has dropped the old VM from the group (the
  // provider's documented reason for this resource); recreating the membership with the VM re-adds it.
  new ComputeInstanceGroupMembership(scope, "HiveInstanceGroupMember", {
    zone: props.zone,
    instanceGroup: group.name,
    instance: props.instance.selfLink,
    lifecycle: { replaceTriggeredBy: [triggerReference(props.instance, "instance_id")] },
  });
  // No port_name, capacity_scaler or max_*: a passthrough backend service uses none of them (the
  // provider refuses the last two for scheme EXTERNAL); CONNECTION, as passthrough load balancers take.
  const backendService = new ComputeRegionBackendService(scope, "HiveBackendService", {
    name,
    region,
    loadBalancingScheme: "EXTERNAL",
    protocol: "TCP",
    healthChecks: [healthCheck.id],
    backend: [{ group: group.selfLink, balancingMode: "CONNECTION" }],
  });
  const forwardingRule = new ComputeForwardingRule(scope, "HiveForwardingRule", {
    name,
    region,
    loadBalancingScheme: "EXTERNAL",
    ipProtocol: "TCP",
    ipAddress: address.address,
    ports: [String(HIVE_PORT)],
    backendService: backendService.id,
    labels,
  });
  return { address, healthCheck, group, backendService, forwardingRule };
}
