/**
 * The target part of `AwsQuarantine`: the network the copies run in and, for the demo, the real web
 * service behind its internet-facing ALB. The demo's VPC has public subnets (ALB, NAT gateway), private
 * subnets (the real service) and isolated subnets (the copies); an existing target brings its own VPC,
 * and its copy subnets get lure's network ACL only on request.
 */
import { Annotations, Fn, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import type { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { NetworkAcl } from "@cdktf/provider-aws/lib/network-acl";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { parseCidr } from "../core/cidr";
import { resourceName } from "../core/naming";
import { rolePolicyOf } from "./lambda";
import { DEMO_CONTAINER, HEALTH_CHECK, HTTPS, plainSecurityGroup, webTaskDefinition, type QuarantineContext } from "./quarantine-context";

/** The split of the demo network: two availability zones, three tiers. */
export interface DemoSubnetCidrs {
  readonly public: readonly [string, string];
  readonly private: readonly [string, string];
  readonly copies: readonly [string, string];
}

/** The demo network's six subnets: the CIDR split in eight (/16 → /19, /24 → /27), the last two spare. */
export function demoSubnetCidrs(cidr: string): DemoSubnetCidrs {
  const r = parseCidr(cidr);
  if (!r.ok || r.cidr.version !== 4 || r.cidr.prefixLength > 24) throw new Error(`demo network ${cidr}: expected an IPv4 CIDR of /24 or wider`);
  const base = r.cidr.address.split(".").reduce((acc, b) => acc * 256 + Number(b), 0);
  const length = r.cidr.prefixLength + 3;
  const size = 2 ** (32 - length);
  const at = (i: number) => {
    const n = base + i * size;
    return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".")}/${length}`;
  };
  return { public: [at(0), at(1)], private: [at(2), at(3)], copies: [at(4), at(5)] };
}

/**
 * Entries of a copies network ACL, the same both ways (ACLs are stateless): deny each of `denied`, then
 * allow the rest. Inline: the ACL is lure's alone, and separate rule resources would fight it.
 */
function isolationEntries(denied: readonly string[]) {
  return [
    ...denied.map((cidr, i) => ({ ruleNo: 100 + i, action: "deny", cidrBlock: cidr, protocol: "-1", fromPort: 0, toPort: 0 })),
    { ruleNo: 200, action: "allow", cidrBlock: "0.0.0.0/0", protocol: "-1", fromPort: 0, toPort: 0 },
  ];
}

export interface DemoNetworkProps {
  readonly prefix: string;
  readonly cidr: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The demo's VPC: public subnets (ALB, NAT gateway), private subnets (the real service) and isolated
 * subnets (the copies). One NAT gateway serves both inner tiers so their tasks can pull images; it is
 * the demo's main fixed cost (about USD 0.045-0.05 an hour plus data, roughly USD 35 a month).
 */
export class DemoNetwork extends Construct {
  readonly vpc: Vpc;
  readonly publicSubnets: readonly Subnet[];
  readonly privateSubnets: readonly Subnet[];
  readonly copySubnets: readonly Subnet[];
  readonly copyNetworkAcl: NetworkAcl;
  readonly cidrs: DemoSubnetCidrs;
  /**
   * What gives each inner tier its way out (NAT gateway, route table, associations): a task started
   * before them cannot pull its image, and the circuit breaker then stops its service after a green apply.
   */
  readonly egress: { readonly private: readonly ITerraformDependable[]; readonly copies: readonly ITerraformDependable[] };

  constructor(scope: Construct, id: string, props: DemoNetworkProps) {
    super(scope, id);
    const name = resourceName(props.prefix, ["quarantine"]);
    const tags = (n: string) => ({ ...props.tags, Name: n });
    this.cidrs = demoSubnetCidrs(props.cidr);
    this.vpc = new Vpc(this, "Vpc", { cidrBlock: props.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags(name) });
    // Adopted with no rules: Terraform removes AWS's allow-all rules (policy rule default-security-group-closed).
    new DefaultSecurityGroup(this, "DefaultSecurityGroup", { vpcId: this.vpc.id, tags: tags(`${name}-default-closed`) });
    const zones = new DataAwsAvailabilityZones(this, "Zones", { state: "available" });
    const associations: Record<string, RouteTableAssociation[]> = { Public: [], Private: [], Copies: [] };
    const tier = (kind: "Public" | "Private" | "Copies", cidrs: readonly [string, string], table: RouteTable) =>
      cidrs.map((cidr, i) => {
        const subnet = new Subnet(this, `${kind}${i}`, {
          vpcId: this.vpc.id,
          cidrBlock: cidr,
          availabilityZone: Fn.element(zones.names, i),
          mapPublicIpOnLaunch: false,
          tags: tags(`${name}-${kind.toLowerCase()}-${i}`),
        });
        associations[kind].push(new RouteTableAssociation(this, `${kind}RouteTableAssociation${i}`, { subnetId: subnet.id, routeTableId: table.id }));
        return subnet;
      });

    const igw = new InternetGateway(this, "InternetGateway", { vpcId: this.vpc.id, tags: tags(name) });
    // Routes and ACL entries are inline blocks: this table and ACL are lure's alone, and fewer
    // resources keep synth fast.
    const publicTable = new RouteTable(this, "PublicRouteTable", { vpcId: this.vpc.id, route: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tags(`${name}-public`) });
    this.publicSubnets = tier("Public", this.cidrs.public, publicTable);

    const natAddress = new Eip(this, "NatAddress", { domain: "vpc", tags: tags(`${name}-nat`) });
    // The NAT gateway forwards through its own subnet's route to the internet: without it the first
    // tasks behind the NAT could not pull their images.
    const nat = new NatGateway(this, "NatGateway", {
      allocationId: natAddress.allocationId,
      subnetId: this.publicSubnets[0].id,
      tags: tags(name),
      dependsOn: [igw, publicTable, ...associations.Public],
    });
    // Out to the internet only through the NAT gateway: image pulls and AWS APIs, nothing inbound.
    const natTable = (kind: "Private" | "Copies") =>
      new RouteTable(this, `${kind}RouteTable`, { vpcId: this.vpc.id, route: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: tags(`${name}-${kind.toLowerCase()}`) });
    const privateTable = natTable("Private");
    this.privateSubnets = tier("Private", this.cidrs.private, privateTable);
    const copiesTable = natTable("Copies");
    this.copySubnets = tier("Copies", this.cidrs.copies, copiesTable);
    this.egress = { private: [nat, privateTable, ...associations.Private], copies: [nat, copiesTable, ...associations.Copies] };

    // Stateless, so both directions are denied explicitly; the security groups already refuse this
    // path, the ACL keeps it closed even if a group is later widened by hand.
    const entries = isolationEntries(this.cidrs.private);
    this.copyNetworkAcl = new NetworkAcl(this, "CopiesNetworkAcl", {
      vpcId: this.vpc.id,
      subnetIds: this.copySubnets.map((n) => n.id),
      ingress: entries,
      egress: entries,
      tags: tags(`${name}-copies`),
    });
  }
}

/** Where the copies run, and the security group the load balancer uses. */
export interface TargetNetwork {
  readonly vpcId: string;
  readonly copySubnetIds: string[];
  readonly albSecurityGroupId: string;
  /** The demo's load balancer group (absent for an existing target). */
  readonly albSecurityGroup?: SecurityGroup;
  /** The demo network (absent for an existing target). */
  readonly network?: DemoNetwork;
  /** An existing target's copy-subnet ACL, with `isolateSubnets` only. */
  readonly copyNetworkAcl?: NetworkAcl;
}

/** The demo's network, or the existing target's with lure's copy-subnet ACL when asked for. */
export function targetNetwork(scope: Construct, c: QuarantineContext): TargetNetwork {
  const { existing } = c;
  if (!existing) {
    const network = new DemoNetwork(scope, "Network", { prefix: c.settings.prefix, cidr: c.settings.demo.networkCidr, tags: c.tags });
    const vpcId = network.vpc.id;
    const albSecurityGroup = plainSecurityGroup(scope, "LoadBalancerSecurityGroup", c.name("alb"), vpcId, "demo load balancer (open to the internet)", c.tags);
    return { vpcId, copySubnetIds: network.copySubnets.map((n) => n.id), albSecurityGroupId: albSecurityGroup.id, albSecurityGroup, network };
  }
  const copySubnetIds = [...existing.subnetIds];
  let copyNetworkAcl: NetworkAcl | undefined;
  if (existing.isolateSubnets && existing.realSubnetCidrs) {
    // A subnet has exactly one ACL: this one replaces whatever the given subnets used, which is why
    // it takes an explicit opt-in (the subnets must be the copies' alone).
    const entries = isolationEntries(existing.realSubnetCidrs);
    copyNetworkAcl = new NetworkAcl(scope, "CopiesNetworkAcl", {
      vpcId: existing.vpcId,
      subnetIds: copySubnetIds,
      ingress: entries,
      egress: entries,
      tags: { ...c.copyTags, Name: c.name("copies") },
    });
    Annotations.of(scope).addInfo(
      `quarantine: lure's network ACL replaces the current one of subnets ${copySubnetIds.join(", ")}: it denies ${existing.realSubnetCidrs.join(", ")} both ways and allows the rest; anything else in those subnets is bound by it too`,
    );
  } else {
    Annotations.of(scope).addInfo(
      "quarantine: the copies are kept from your service by their security group only (it admits your load balancer alone and sends only HTTPS out)" +
        (existing.realSubnetCidrs ? "; target.realSubnetCidrs is not used without target.isolateSubnets: true" : "") +
        "; for a network ACL as well, give the copies subnets of their own, list the real service's subnet CIDRs in target.realSubnetCidrs and set target.isolateSubnets: true",
    );
  }
  return { vpcId: existing.vpcId, copySubnetIds, albSecurityGroupId: existing.albSecurityGroupId, ...(copyNetworkAcl ? { copyNetworkAcl } : {}) };
}

export interface DemoServiceProps {
  readonly network: DemoNetwork;
  readonly albSecurityGroup: SecurityGroup;
  readonly copySecurityGroup: SecurityGroup;
  readonly copyTargetGroup: LbTargetGroup;
  readonly cluster: EcsCluster;
  readonly executionRole: IamRole;
  readonly logs: CloudwatchLogGroup;
}

export interface DemoService {
  readonly loadBalancer: Lb;
  readonly listener: LbListener;
  readonly realService: EcsService;
  readonly realTaskDefinitionArn: string;
  readonly endpoint: string;
}

/** The demo's load balancer (open to the internet on 80, and 443 with a certificate) and its security group's paths. */
function demoLoadBalancer(scope: Construct, c: QuarantineContext, p: DemoServiceProps, https: boolean) {
  const port = { protocol: "tcp", fromPort: c.containerPort, toPort: c.containerPort };
  const vpcId = p.network.vpc.id;
  for (const listenerPort of https ? [HTTPS, 80] : [80]) {
    new VpcSecurityGroupIngressRule(scope, `LoadBalancerIngress${listenerPort}`, {
      securityGroupId: p.albSecurityGroup.id,
      ipProtocol: "tcp",
      fromPort: listenerPort,
      toPort: listenerPort,
      cidrIpv4: "0.0.0.0/0",
      description: "the public web service",
    });
  }
  const realSecurityGroup = plainSecurityGroup(scope, "RealSecurityGroup", c.name("web"), vpcId, "the real service (the load balancer only)", c.realTags);
  new VpcSecurityGroupIngressRule(scope, "RealIngressFromLoadBalancer", {
    securityGroupId: realSecurityGroup.id,
    ipProtocol: port.protocol,
    fromPort: port.fromPort,
    toPort: port.toPort,
    referencedSecurityGroupId: p.albSecurityGroup.id,
    description: "from the load balancer",
  });
  new VpcSecurityGroupEgressRule(scope, "RealEgressHttps", {
    securityGroupId: realSecurityGroup.id,
    ipProtocol: "tcp",
    fromPort: HTTPS,
    toPort: HTTPS,
    cidrIpv4: "0.0.0.0/0",
    description: "image pulls (through the NAT gateway)",
  });
  for (const [egressId, to, what, toPort] of [
    ["LoadBalancerEgressToReal", realSecurityGroup, "the real service", c.containerPort],
    ["LoadBalancerEgressToCopies", p.copySecurityGroup, "the honeypot copies", c.copiesPort],
  ] as const) {
    new VpcSecurityGroupEgressRule(scope, egressId, {
      securityGroupId: p.albSecurityGroup.id,
      ipProtocol: "tcp",
      fromPort: toPort,
      toPort,
      referencedSecurityGroupId: to.id,
      description: `to ${what}`,
    });
  }
  const loadBalancer = new Lb(scope, "LoadBalancer", {
    name: resourceName(c.settings.prefix, ["quarantine"], 32),
    internal: false,
    loadBalancerType: "application",
    securityGroups: [p.albSecurityGroup.id],
    subnets: p.network.publicSubnets.map((n) => n.id),
    dropInvalidHeaderFields: true,
    tags: c.tags,
  });
  return { loadBalancer, realSecurityGroup };
}

/** The demo: a static site on Fargate in the private subnets, behind the ALB (everyone goes there by default). */
export function demoService(scope: Construct, c: QuarantineContext, p: DemoServiceProps): DemoService {
  const { demo } = c.settings;
  const https = demo.certificateArn !== undefined;
  const { loadBalancer, realSecurityGroup } = demoLoadBalancer(scope, c, p, https);
  const realTargetGroup = new LbTargetGroup(scope, "RealTargetGroup", {
    name: resourceName(c.settings.prefix, ["quarantine", "web"], 32),
    port: c.containerPort,
    protocol: "HTTP",
    targetType: "ip",
    vpcId: p.network.vpc.id,
    deregistrationDelay: "30",
    healthCheck: { path: "/", matcher: "200-399", interval: 15, healthyThreshold: 2, unhealthyThreshold: 3 },
    tags: c.tags,
  });
  const listener = new LbListener(scope, "Listener", {
    loadBalancerArn: loadBalancer.arn,
    port: https ? HTTPS : 80,
    protocol: https ? "HTTPS" : "HTTP",
    ...(https ? { certificateArn: demo.certificateArn, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" } : {}),
    // Everyone goes to the real service. The copies' group rides along at weight 0 so that it is
    // attached to this load balancer: ECS refuses a service whose target group is attached to none,
    // and the steering rules that will use it exist only at run time.
    defaultAction: [
      {
        type: "forward",
        forward: {
          targetGroup: [
            { arn: realTargetGroup.arn, weight: 1 },
            { arn: p.copyTargetGroup.arn, weight: 0 },
          ],
        },
      },
    ],
    tags: c.tags,
  });
  if (https) {
    new LbListener(scope, "RedirectListener", {
      loadBalancerArn: loadBalancer.arn,
      port: 80,
      protocol: "HTTP",
      defaultAction: [{ type: "redirect", redirect: { port: String(HTTPS), protocol: "HTTPS", statusCode: "HTTP_301" } }],
      tags: c.tags,
    });
  } else {
    Annotations.of(scope).addInfo("quarantine demo: no demo.certificateArn, so the demo site is served over plain HTTP on port 80");
  }
  Annotations.of(scope).addInfo(`quarantine demo: the image ${demo.image} must serve HTTP on port ${c.containerPort} (${HEALTH_CHECK})`);
  const realTask = webTaskDefinition(scope, "RealTaskDefinition", {
    family: c.name("web"),
    image: demo.image,
    containerName: DEMO_CONTAINER,
    containerPort: c.containerPort,
    executionRole: p.executionRole,
    logs: p.logs,
    region: c.stack.region,
    tags: c.realTags,
  });
  const realService = new EcsService(scope, "RealService", {
    name: c.name("web"),
    cluster: p.cluster.arn,
    taskDefinition: realTask.arn,
    desiredCount: 1,
    launchType: "FARGATE",
    networkConfiguration: { subnets: p.network.privateSubnets.map((n) => n.id), securityGroups: [realSecurityGroup.id], assignPublicIp: false },
    loadBalancer: [{ targetGroupArn: realTargetGroup.arn, containerName: DEMO_CONTAINER, containerPort: c.containerPort }],
    healthCheckGracePeriodSeconds: 60,
    deploymentCircuitBreaker: { enable: true, rollback: true },
    propagateTags: "SERVICE",
    enableEcsManagedTags: true,
    waitForSteadyState: false,
    tags: c.realTags,
    dependsOn: [listener, rolePolicyOf(scope, "ExecutionRole"), ...p.network.egress.private],
  });
  return { loadBalancer, listener, realService, realTaskDefinitionArn: realTask.arn, endpoint: `${https ? "https" : "http"}://${loadBalancer.dnsName}` };
}
