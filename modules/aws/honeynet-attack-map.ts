/**
 * T-Pot's attack map for `AwsHoneynet` (opt-in, `attackMap`): its Redis, data feeder and web server in
 * one Fargate task, registered in Cloud Map as `map_redis` (the name T-Pot's map code uses; the
 * feeder and the web server reach it at the task's own address), and served on HTTPS port 64299 of
 * the dashboard's ALB: the same allow-list, the same web ACL, the same certificate. HTTPS is required
 * (the config refuses the map without it): the map's page connects over `wss://` only. Created in the
 * honeynet's scope (construct ids are the honeynet's).
 */
import type { Construct } from "constructs";
import type { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { ATTACK_MAP_CONTAINERS, ATTACK_MAP_PORT } from "../core/analytics";
import type { PublishedPort } from "../core/catalog";
import { resourceName } from "../core/naming";
import { ES_PORT } from "./honeynet-elastic";
import { HTTPS_OUT, type ServiceBase } from "./honeynet-honeypots";
import type { TagsFor } from "./honeynet-logs";
import { FargateWorkload } from "./workload";

export const MAP_PORT: PublishedPort = { port: ATTACK_MAP_PORT, protocol: "tcp" };

export interface AttackMapProps {
  readonly prefix: string;
  readonly base: ServiceBase;
  readonly vpcId: string;
  readonly namespaceId: string;
  readonly certificateArn: string;
  readonly loadBalancer: Lb;
  readonly albSecurityGroup: SecurityGroup;
  readonly elasticsearch: FargateWorkload;
  readonly tagsFor: TagsFor;
}

export function attackMap(scope: Construct, props: AttackMapProps): FargateWorkload {
  const tags = props.tagsFor("dashboard");
  const targetGroup = new LbTargetGroup(scope, "AttackMapTargetGroup", {
    name: resourceName(props.prefix, ["attack", "map"], 32),
    port: MAP_PORT.port,
    protocol: "HTTP",
    targetType: "ip",
    vpcId: props.vpcId,
    deregistrationDelay: "30",
    healthCheck: { path: "/", matcher: "200", interval: 30, healthyThreshold: 2, unhealthyThreshold: 5 },
    tags,
  });
  const listener = new LbListener(scope, "AttackMapListener", {
    loadBalancerArn: props.loadBalancer.arn,
    port: MAP_PORT.port,
    protocol: "HTTPS",
    certificateArn: props.certificateArn,
    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    defaultAction: [{ type: "forward", targetGroupArn: targetGroup.arn }],
    tags,
  });
  const map = new FargateWorkload(scope, "AttackMap", {
    ...props.base,
    serviceName: resourceName(props.prefix, ["attack", "map"]),
    cpu: 512,
    memory: 1024,
    containers: ATTACK_MAP_CONTAINERS.map((c) => ({
      name: c.name,
      image: c.image,
      readonlyRootFilesystem: c.readOnly,
      environment: c.environment,
      ...(c.name === "map_web" ? { ports: [MAP_PORT] } : {}),
    })),
    capacityProvider: "FARGATE",
    // Stop-first: two tasks registered as map_redis during a deployment would send the containers to the
    // other task's Redis, which its security group does not admit.
    stateful: true,
    discovery: { namespaceId: props.namespaceId, name: "map_redis" },
    loadBalancer: { targetGroupArn: targetGroup.arn, containerName: "map_web", containerPort: MAP_PORT.port },
    tags,
    // ECS rejects a service whose target group is not yet attached to a listener.
    dependsOn: [...(props.base.dependsOn ?? []), listener],
  });
  map.allowFromGroup(MAP_PORT, props.albSecurityGroup, "dashboard-alb");
  new VpcSecurityGroupEgressRule(scope, "DashboardEgress-attack-map", {
    securityGroupId: props.albSecurityGroup.id,
    ipProtocol: "tcp",
    fromPort: MAP_PORT.port,
    toPort: MAP_PORT.port,
    referencedSecurityGroupId: map.securityGroup.id,
    description: "to the attack map",
  });
  // The data feeder reads recent events from Elasticsearch; images come over HTTPS.
  props.elasticsearch.allowFromGroup(ES_PORT, map.securityGroup, "attack-map");
  map.allowEgress(ES_PORT, { group: props.elasticsearch.securityGroup, name: "elasticsearch" }, "to Elasticsearch");
  map.allowEgress(HTTPS_OUT, { cidr: "0.0.0.0/0" }, "image pulls");
  return map;
}
