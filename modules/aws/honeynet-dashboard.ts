/**
 * The dashboard of `AwsHoneynet`: Kibana on Fargate behind an internet-facing ALB whose security group
 * admits only the allow-list, with a WAFv2 web ACL (default block, one allow rule on an IP set of the
 * same list) in front; and the paths between Kibana, Elasticsearch and Logstash. Created in the
 * honeynet's scope (construct ids are the honeynet's).
 */
import { Annotations } from "cdktf";
import type { Construct } from "constructs";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Wafv2IpSet } from "@cdktf/provider-aws/lib/wafv2-ip-set";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { KIBANA_HEALTH_COMMAND, kibanaObjectsStep } from "../core/analytics";
import type { PublishedPort } from "../core/catalog";
import { isWorldOpen, parseCidr } from "../core/cidr";
import type { DashboardProps } from "../core/interfaces";
import { TAG_KEYS, resourceName, slug } from "../core/naming";
import { ES_PORT, type ElasticServices } from "./honeynet-elastic";
import { HTTPS_OUT, type ServiceBase } from "./honeynet-honeypots";
import type { TagsFor } from "./honeynet-logs";
import { attackMap, MAP_PORT } from "./honeynet-attack-map";
import { FargateWorkload, terraformLiteral } from "./workload";

const KIBANA_PORT: PublishedPort = { port: 5601, protocol: "tcp" };

export interface DashboardPartProps {
  readonly prefix: string;
  /** Where errors about the props point (the honeynet's construct path). */
  readonly path: string;
  readonly dashboard: DashboardProps;
  readonly base: ServiceBase;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly namespaceId: string;
  readonly kibanaImage: string;
  readonly elasticsearchUrl: string;
  readonly elastic: ElasticServices;
  readonly tagsFor: TagsFor;
  /** T-Pot's attack map on HTTPS port 64299 (needs `dashboard.certificateArn`). @default false */
  readonly attackMap?: boolean;
}

export interface Dashboard {
  readonly loadBalancer: Lb;
  readonly webAcl: Wafv2WebAcl;
  readonly kibana: FargateWorkload;
  readonly url: string;
  /** The attack map's service and address, when `attackMap` is on. */
  readonly attackMap?: { readonly workload: FargateWorkload; readonly url: string };
}

/** The IPv4 entries of the allow-list (the ALB is IPv4-only): refuses a list with none. */
function ipv4AllowList(scope: Construct, path: string, allowCidrs: readonly string[]) {
  return ipv4Cidrs(scope, path, allowCidrs, {
    setting: "dashboard.allowCidrs",
    ignored: "the AWS dashboard load balancer is IPv4-only; IPv6 entries are ignored here",
    none: "the AWS dashboard would be unreachable",
  });
}

/**
 * The IPv4 entries of an allow-list for an IPv4-only load balancer: a synth warning when IPv6 ones are
 * left out, an error when none is left (`words` say which setting and what that means).
 */
export function ipv4Cidrs(scope: Construct, path: string, allowCidrs: readonly string[], words: { readonly setting: string; readonly ignored: string; readonly none: string }) {
  const cidrs = allowCidrs.map((c) => parseCidr(c)).flatMap((r) => (r.ok ? [r.cidr] : []));
  if (cidrs.some((c) => c.version === 6)) Annotations.of(scope).addWarning(`${words.setting}: ${words.ignored}`);
  const v4 = cidrs.filter((c) => c.version === 4);
  if (v4.length === 0) throw new Error(`${path}: ${words.setting} has no IPv4 CIDR; ${words.none}`);
  return v4;
}

/** The ALB, its listeners and Kibana behind them. */
function kibanaBehindAlb(scope: Construct, props: DashboardPartProps, v4: ReturnType<typeof ipv4AllowList>) {
  const { prefix, vpcId } = props;
  const dashTags = props.tagsFor("dashboard");
  const https = props.dashboard.certificateArn !== undefined;
  const listenerPort: PublishedPort = { port: https ? 443 : 80, protocol: "tcp" };
  if (!https) Annotations.of(scope).addWarning("dashboard: no certificateArn, so Kibana is served over plain HTTP (allowPlaintext); set honeynet.dashboard.certificateArn for HTTPS");

  const albSg = new SecurityGroup(scope, "DashboardSecurityGroup", {
    name: resourceName(prefix, ["dashboard"]),
    description: "lure: dashboard load balancer (allow-listed clients only)",
    vpcId,
    tags: { ...dashTags, Name: resourceName(prefix, ["dashboard"]) },
  });
  const albPorts = https ? [listenerPort, { port: 80, protocol: "tcp" as const }, ...(props.attackMap ? [MAP_PORT] : [])] : [listenerPort];
  for (const c of v4) {
    for (const port of albPorts) {
      new VpcSecurityGroupIngressRule(scope, `DashboardIngress-${port.port}-${slug(c.canonical)}`, {
        securityGroupId: albSg.id,
        ipProtocol: "tcp",
        fromPort: port.port,
        toPort: port.port,
        cidrIpv4: c.canonical,
        description: "allow-listed dashboard client",
      });
    }
  }
  const loadBalancer = new Lb(scope, "LoadBalancer", {
    name: resourceName(prefix, ["dashboard"], 32),
    internal: false,
    loadBalancerType: "application",
    securityGroups: [albSg.id],
    subnets: [...props.subnetIds],
    dropInvalidHeaderFields: true,
    tags: dashTags,
  });
  const targetGroup = new LbTargetGroup(scope, "TargetGroup", {
    name: resourceName(prefix, ["kibana"], 32),
    port: KIBANA_PORT.port,
    protocol: "HTTP",
    targetType: "ip",
    vpcId,
    deregistrationDelay: "30",
    healthCheck: { path: "/api/status", matcher: "200", interval: 30, healthyThreshold: 2, unhealthyThreshold: 5 },
    tags: dashTags,
  });
  const listener = new LbListener(scope, "Listener", {
    loadBalancerArn: loadBalancer.arn,
    port: listenerPort.port,
    protocol: https ? "HTTPS" : "HTTP",
    ...(https ? { certificateArn: props.dashboard.certificateArn, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" } : {}),
    defaultAction: [{ type: "forward", targetGroupArn: targetGroup.arn }],
    // The config's explicit opt-in to plain HTTP, visible to the policy rule dashboard-encrypted (and a reviewer).
    tags: https ? dashTags : { ...dashTags, [TAG_KEYS.plaintext]: "accepted" },
  });
  if (https) {
    new LbListener(scope, "RedirectListener", {
      loadBalancerArn: loadBalancer.arn,
      port: 80,
      protocol: "HTTP",
      defaultAction: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }],
      tags: dashTags,
    });
  }
  const objects = kibanaObjectsStep({ kibanaUrl: `http://127.0.0.1:${KIBANA_PORT.port}` });
  const kibana = new FargateWorkload(scope, "Kibana", {
    ...props.base,
    serviceName: resourceName(prefix, ["kibana"]),
    cpu: 1024,
    memory: 2048,
    containers: [
      {
        name: "kibana",
        image: props.kibanaImage,
        ports: [KIBANA_PORT],
        environment: { ELASTICSEARCH_HOSTS: JSON.stringify([props.elasticsearchUrl]), TELEMETRY_OPTIN: "false" },
        healthCheck: { command: ["CMD-SHELL", KIBANA_HEALTH_COMMAND], interval: 30, timeout: 10, retries: 10, startPeriod: 300 },
      },
      // T-Pot's saved objects, imported at every task start once Kibana is healthy (idempotent: overwrite).
      // Not essential: a failed import leaves Kibana serving, and says so in the log group.
      {
        name: objects.name,
        image: objects.image,
        essential: false,
        readonlyRootFilesystem: true,
        entryPoint: [...objects.entrypoint],
        command: objects.args.map(terraformLiteral),
        mounts: [{ volume: "kibana-objects-tmp", containerPath: "/tmp" }],
        dependsOn: [{ containerName: "kibana", condition: "HEALTHY" }],
      },
    ],
    volumes: [{ name: "kibana-objects-tmp" }],
    capacityProvider: "FARGATE",
    discovery: { namespaceId: props.namespaceId, name: "kibana" },
    loadBalancer: { targetGroupArn: targetGroup.arn, containerName: "kibana", containerPort: KIBANA_PORT.port },
    tags: props.tagsFor("elastic"),
    // ECS rejects a service whose target group is not yet attached to a listener.
    dependsOn: [...(props.base.dependsOn ?? []), listener],
  });
  return { albSg, loadBalancer, kibana, https };
}

/** The web ACL: default block, one allow rule on an IP set of the allow-list. */
function allowListAcl(scope: Construct, prefix: string, v4: ReturnType<typeof ipv4AllowList>, loadBalancer: Lb, tags: Record<string, string>): Wafv2WebAcl {
  // WAF IP sets cannot hold /0: an opted-in world-open list becomes the two halves of the space.
  const wafAddresses = v4.flatMap((c) => (isWorldOpen(c) ? ["0.0.0.0/1", "128.0.0.0/1"] : [c.canonical]));
  const ipSet = new Wafv2IpSet(scope, "AllowList", {
    name: resourceName(prefix, ["dashboard", "allow"]),
    description: "lure: clients allowed to reach the dashboard",
    scope: "REGIONAL",
    ipAddressVersion: "IPV4",
    addresses: wafAddresses,
    tags,
  });
  const metric = (name: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: name });
  const webAcl = new Wafv2WebAcl(scope, "WebAcl", {
    name: resourceName(prefix, ["dashboard"]),
    description: "lure: dashboard allow-list; everything else is blocked",
    scope: "REGIONAL",
    defaultAction: { block: {} },
    rule: [
      {
        name: "allow-listed-clients",
        priority: 0,
        action: { allow: {} },
        // `statement` is untyped in the bindings, so cdktf passes it through as written: use HCL names.
        statement: { ip_set_reference_statement: { arn: ipSet.arn } },
        visibilityConfig: metric(resourceName(prefix, ["dashboard", "allowed"])),
      },
    ],
    visibilityConfig: metric(resourceName(prefix, ["dashboard"])),
    // The config's explicit opt-in, made visible where the policy rule (and a reviewer) can see it.
    tags: wafAddresses.length > v4.filter((c) => !isWorldOpen(c)).length ? { ...tags, [TAG_KEYS.worldOpen]: "accepted" } : tags,
  });
  new Wafv2WebAclAssociation(scope, "WebAclAssociation", { resourceArn: loadBalancer.arn, webAclArn: webAcl.arn });
  return webAcl;
}

export function dashboard(scope: Construct, props: DashboardPartProps): Dashboard {
  const v4 = ipv4AllowList(scope, props.path, props.dashboard.allowCidrs);
  if (props.attackMap && props.dashboard.certificateArn === undefined) {
    throw new Error(`${props.path}: attackMap needs dashboard.certificateArn: T-Pot's attack map connects over wss:// only`);
  }
  const { albSg, loadBalancer, kibana, https } = kibanaBehindAlb(scope, props, v4);
  const { elasticsearch, logstash } = props.elastic;
  new VpcSecurityGroupEgressRule(scope, "DashboardEgress", {
    securityGroupId: albSg.id,
    ipProtocol: "tcp",
    fromPort: KIBANA_PORT.port,
    toPort: KIBANA_PORT.port,
    referencedSecurityGroupId: kibana.securityGroup.id,
    description: "to Kibana",
  });
  kibana.allowFromGroup(KIBANA_PORT, albSg, "dashboard-alb");
  elasticsearch.allowFromGroup(ES_PORT, kibana.securityGroup, "kibana");
  elasticsearch.allowFromGroup(ES_PORT, logstash.securityGroup, "logstash");
  kibana.allowEgress(ES_PORT, { group: elasticsearch.securityGroup, name: "elasticsearch" }, "to Elasticsearch");
  logstash.allowEgress(ES_PORT, { group: elasticsearch.securityGroup, name: "elasticsearch" }, "to Elasticsearch");
  for (const w of [elasticsearch, logstash, kibana]) w.allowEgress(HTTPS_OUT, { cidr: "0.0.0.0/0" }, "image pulls and AWS APIs");
  const webAcl = allowListAcl(scope, props.prefix, v4, loadBalancer, props.tagsFor("dashboard"));
  const map = props.attackMap
    ? attackMap(scope, { ...props, certificateArn: props.dashboard.certificateArn!, loadBalancer, albSecurityGroup: albSg, elasticsearch })
    : undefined;
  return {
    loadBalancer,
    webAcl,
    kibana,
    url: `${https ? "https" : "http"}://${loadBalancer.dnsName}`,
    ...(map ? { attackMap: { workload: map, url: `https://${loadBalancer.dnsName}:${MAP_PORT.port}` } } : {}),
  };
}
