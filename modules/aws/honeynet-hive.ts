/**
 * The hive input of `AwsHoneynet` (`honeynet.analytics.hive: "aws"`): where the other clouds'
 * honeypot hosts ship their events. A second Logstash (T-Pot's image and pipeline, like the first)
 * with only a Beats input that requires TLS client certificates of the deployment's private CA, behind
 * an internet-facing Network Load Balancer that passes TCP through (so Logstash itself checks the
 * client's certificate) on T-Pot's hive port 64294. Its own service, so the honeynet's own Logstash
 * keeps indexing while the hive credential is missing; its own execution role, the only one that may
 * read the credential. Created in the honeynet's scope (construct ids are the honeynet's).
 *
 * The credential's value never passes through Terraform: the secret is created empty and ECS reads it
 * at task start into the container's environment, which the start script moves into files before
 * Logstash starts. Until the secret has a value ECS cannot start the task and keeps trying (no
 * circuit breaker on this service).
 */
import type { Construct } from "constructs";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { elasticSizeSpec, fargateMemoryMb, tpotLogstashEnvironment, tpotLogstashStartScript, type ElasticSize } from "../core/analytics";
import type { PublishedPort } from "../core/catalog";
import type { elasticImages } from "../core/elastic";
import { HIVE_CREDENTIAL_KEYS, HIVE_LOGSTASH_ENV, HIVE_PORT, hiveSecretName } from "../core/hive";
import { resourceName } from "../core/naming";
import { ipv4Cidrs } from "./honeynet-dashboard";
import { ES_PORT } from "./honeynet-elastic";
import { HTTPS_OUT, type ServiceBase } from "./honeynet-honeypots";
import type { TagsFor } from "./honeynet-logs";
import { serviceRole } from "./iam";
import { rolePolicyOf } from "./lambda";
import { FargateWorkload, terraformLiteral } from "./workload";

export const HIVE_INPUT_PORT: PublishedPort = { port: HIVE_PORT, protocol: "tcp" };

/** Inside the hive Logstash's container: the rewritten pipeline and the credential files (not on EFS). */
const HIVE_PIPELINE = "/tmp/lure/hive.conf";
const HIVE_TLS_DIR = "/tmp/lure/tls";

export interface HiveInputProps {
  readonly prefix: string;
  readonly base: ServiceBase;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly images: ReturnType<typeof elasticImages>;
  /** @default "standard" */
  readonly size?: ElasticSize;
  /** `t-pot_hostname` of events without a sensor name. */
  readonly hostname: string;
  /** Who may connect to the input; IPv4 only (the load balancer is IPv4). */
  readonly allowCidrs: readonly string[];
  readonly elasticsearch: FargateWorkload;
  readonly logGroupArn: string;
  readonly accountId: string;
  readonly tagsFor: TagsFor;
}

export interface HiveInput {
  /** The hive's credential (JSON `ca`, `certificate`, `key`), written by the user. */
  readonly secret: SecretsmanagerSecret;
  readonly loadBalancer: Lb;
  readonly logstash: FargateWorkload;
  /** The load balancer's DNS name: where the sensors ship (port {@link HIVE_PORT}). */
  readonly address: string;
}

export function hiveInput(scope: Construct, props: HiveInputProps): HiveInput {
  const { prefix, vpcId } = props;
  const tags = props.tagsFor("elastic");
  const size = elasticSizeSpec(props.size);
  const secretName = hiveSecretName(prefix, "server");
  const secret = new SecretsmanagerSecret(scope, "HiveSecret", {
    name: secretName,
    description: "lure: the hive's TLS credential (JSON: ca, certificate, key in PEM), written with npm run hive:credentials, never by Terraform",
    recoveryWindowInDays: 7,
    tags,
  });
  const executionRoleName = resourceName(prefix, ["honeynet", "hive", "execution"]);
  const executionRole = serviceRole(scope, "ExecutionRole-hive", {
    name: executionRoleName,
    service: "ecs-tasks.amazonaws.com",
    accountId: props.accountId,
    tags,
    statements: [
      { Sid: "WriteContainerLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${props.logGroupArn}:*`] },
      { Sid: "ReadHiveCredential", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secret.arn] },
    ],
  });

  const v4 = ipv4Cidrs(scope, scope.node.path, props.allowCidrs, {
    setting: "analytics.hiveAllowCidrs",
    ignored: "the hive's load balancer is IPv4-only; IPv6 entries are ignored",
    none: "no sensor could reach the hive",
  }).map((c) => c.canonical);
  const nlbName = resourceName(prefix, ["hive"]);
  const nlbGroup = new SecurityGroup(scope, "HiveSecurityGroup", {
    name: nlbName,
    description: "lure: the hive's load balancer (TLS with client certificates, checked by Logstash)",
    vpcId,
    tags: { ...tags, Name: nlbName },
  });
  v4.forEach((cidr, i) => {
    new VpcSecurityGroupIngressRule(scope, `HiveIngress${i}`, {
      securityGroupId: nlbGroup.id,
      ipProtocol: "tcp",
      fromPort: HIVE_PORT,
      toPort: HIVE_PORT,
      cidrIpv4: cidr,
      description: "sensors of the other clouds (client certificate required)",
    });
  });
  const loadBalancer = new Lb(scope, "HiveLoadBalancer", {
    name: resourceName(prefix, ["hive"], 32),
    internal: false,
    loadBalancerType: "network",
    securityGroups: [nlbGroup.id],
    subnets: [...props.subnetIds],
    enableCrossZoneLoadBalancing: true,
    tags,
  });
  const targetGroup = new LbTargetGroup(scope, "HiveTargetGroup", {
    name: resourceName(prefix, ["hive"], 32),
    port: HIVE_PORT,
    protocol: "TCP",
    targetType: "ip",
    vpcId,
    deregistrationDelay: "30",
    healthCheck: { protocol: "TCP", interval: 30, healthyThreshold: 2, unhealthyThreshold: 2 },
    tags,
  });
  // TCP, not TLS: the handshake must reach Logstash, which alone holds the CA that checks the client.
  const listener = new LbListener(scope, "HiveListener", {
    loadBalancerArn: loadBalancer.arn,
    port: HIVE_PORT,
    protocol: "TCP",
    defaultAction: [{ type: "forward", targetGroupArn: targetGroup.arn }],
    tags,
  });

  const logstash = new FargateWorkload(scope, "HiveLogstash", {
    ...props.base,
    executionRoleArn: executionRole.arn,
    serviceName: resourceName(prefix, ["hive", "logstash"]),
    cpu: size.awsCpu.logstash,
    memory: fargateMemoryMb(size.logstashHeapMb),
    containers: [
      {
        name: "logstash",
        image: props.images.logstash,
        ports: [HIVE_INPUT_PORT],
        entryPoint: ["/bin/bash", "-c"],
        command: [terraformLiteral(tpotLogstashStartScript({ beats: { port: HIVE_PORT, pipelinePath: HIVE_PIPELINE, hive: { dir: HIVE_TLS_DIR }, writePipelines: true } }))],
        environment: tpotLogstashEnvironment({ hostname: props.hostname, heapMb: size.logstashHeapMb }),
        secrets: Object.fromEntries(HIVE_CREDENTIAL_KEYS.map((k) => [HIVE_LOGSTASH_ENV[k], `${secret.arn}:${k}::`])),
      },
    ],
    capacityProvider: "FARGATE",
    // Its tasks cannot start until the user writes the secret (ECS fails to read it): keep trying
    // rather than stop after three failures, so the hive comes up once the credential is there.
    circuitBreaker: false,
    loadBalancer: { targetGroupArn: targetGroup.arn, containerName: "logstash", containerPort: HIVE_PORT },
    tags,
    // ECS refuses a target group that no listener uses yet.
    dependsOn: [...(props.base.dependsOn ?? []), listener, rolePolicyOf(scope, "ExecutionRole-hive")],
  });
  new VpcSecurityGroupEgressRule(scope, "HiveEgress", {
    securityGroupId: nlbGroup.id,
    ipProtocol: "tcp",
    fromPort: HIVE_PORT,
    toPort: HIVE_PORT,
    referencedSecurityGroupId: logstash.securityGroup.id,
    description: "to the hive's Logstash",
  });
  logstash.allowFromGroup(HIVE_INPUT_PORT, nlbGroup, "hive-nlb");
  props.elasticsearch.allowFromGroup(ES_PORT, logstash.securityGroup, "hive-logstash");
  logstash.allowEgress(ES_PORT, { group: props.elasticsearch.securityGroup, name: "elasticsearch" }, "to Elasticsearch");
  logstash.allowEgress(HTTPS_OUT, { cidr: "0.0.0.0/0" }, "image pulls and AWS APIs");
  return { secret, loadBalancer, logstash, address: loadBalancer.dnsName };
}
