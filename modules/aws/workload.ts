/**
 * One Fargate service with its task definition, security group and (optionally) a Cloud Map name.
 * Honeypots and the Elastic services are all built from this, so they share one shape of task.
 */
import { Construct } from "constructs";
import { Token, type ITerraformDependable } from "cdktf";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition, type EcsTaskDefinitionVolume } from "@cdktf/provider-aws/lib/ecs-task-definition";
import type { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { ServiceDiscoveryService } from "@cdktf/provider-aws/lib/service-discovery-service";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { PublishedPort } from "../core/catalog";
import { slug } from "../core/naming";

/**
 * Image of the one-shot container that makes ephemeral volumes writable: Fargate creates them owned by
 * root with mode 0755, which an image's non-root user cannot write (ECR Public: no Docker Hub limits).
 */
export const VOLUME_INIT_IMAGE = "public.ecr.aws/docker/library/busybox:1.36";

/** Name of that one-shot container; the task's main container waits for it to succeed. */
export const PREPARE_CONTAINER = "prepare-volumes";

/** The one-shot step (as root, read-only itself) that opens ephemeral `volumes` to any user: mode 1777, like /tmp. */
export function prepareVolumes(volumes: readonly string[]): ContainerSpec & { readonly mounts: readonly Mount[]; readonly command: readonly string[] } {
  return {
    name: PREPARE_CONTAINER,
    image: VOLUME_INIT_IMAGE,
    essential: false,
    user: "0",
    readonlyRootFilesystem: true,
    command: ["chmod", "1777", ...volumes.map((v) => `/volumes/${v}`)],
    mounts: volumes.map((v) => ({ volume: v, containerPath: `/volumes/${v}` })),
  };
}

/** What a container needs to wait for {@link prepareVolumes}. */
export const AFTER_PREPARE = [{ containerName: PREPARE_CONTAINER, condition: "SUCCESS" as const }];

export interface Mount {
  readonly volume: string;
  readonly containerPath: string;
  readonly readOnly?: boolean;
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  /** @default true */
  readonly essential?: boolean;
  readonly user?: string;
  /** @default false */
  readonly readonlyRootFilesystem?: boolean;
  /** @default [] */
  readonly ports?: readonly PublishedPort[];
  /** @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** Environment variables ECS fills from Secrets Manager at start (name → `valueFrom`, a secret ARN with an optional `:json-key::`): the task definition holds only the ARN. @default {} */
  readonly secrets?: Readonly<Record<string, string>>;
  readonly entryPoint?: readonly string[];
  readonly command?: readonly string[];
  /** @default [] */
  readonly mounts?: readonly Mount[];
  readonly systemControls?: readonly { readonly namespace: string; readonly value: string }[];
  readonly ulimits?: readonly { readonly name: string; readonly softLimit: number; readonly hardLimit: number }[];
  readonly dependsOn?: readonly { readonly containerName: string; readonly condition: "START" | "COMPLETE" | "SUCCESS" | "HEALTHY" }[];
  /** ECS container health check (`CMD-SHELL` command, seconds). @default none */
  readonly healthCheck?: { readonly command: readonly string[]; readonly interval: number; readonly timeout: number; readonly retries: number; readonly startPeriod: number };
}

/** A task volume: on EFS through an access point (transit encryption and IAM always on), or ephemeral. */
export type VolumeSpec = { readonly name: string; readonly accessPoint: EfsAccessPoint; readonly fileSystemId: string } | { readonly name: string };

/**
 * A literal for a Terraform string: Terraform reads `${` and `%{` in any string as template syntax, so
 * text we generate (pipelines, scripts, log formats) must escape them as `$${` and `%%{`.
 *
 * Throws on a string holding cdktf tokens: escaping would turn their references into literal text.
 */
export function terraformLiteral(text: string): string {
  if (Token.isUnresolved(text)) throw new Error("terraformLiteral: the text holds cdktf tokens; escape only literal text");
  // A replacer function, not a replacement string: in the latter `$$` stands for one `$`, so "$${"
  // would write `${` back unchanged.
  return text.replace(/([$%])\{/g, (_, sigil: string) => `${sigil}${sigil}{`);
}

export interface FargateWorkloadProps {
  /** ECS service name and task family. */
  readonly serviceName: string;
  readonly clusterArn: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  /** Security groups added to the workload's own (e.g. the EFS client group). @default [] */
  readonly extraSecurityGroupIds?: readonly string[];
  readonly executionRoleArn: string;
  /** @default none: the task has no AWS permissions at all */
  readonly taskRoleArn?: string;
  readonly cpu: number;
  readonly memory: number;
  readonly containers: readonly ContainerSpec[];
  /** @default [] */
  readonly volumes?: readonly VolumeSpec[];
  readonly logGroupName: string;
  readonly region: string;
  readonly capacityProvider: "FARGATE" | "FARGATE_SPOT";
  /**
   * The task owns state on EFS that two copies must not share (Elasticsearch's node lock, Logstash's
   * data directory): replace it stop-first instead of start-first. @default false
   */
  readonly stateful?: boolean;
  /** Register in Cloud Map under this name. @default not registered */
  readonly discovery?: { readonly namespaceId: string; readonly name: string };
  /** Attach to an ALB target group. @default none */
  readonly loadBalancer?: { readonly targetGroupArn: string; readonly containerName: string; readonly containerPort: number };
  /** Seconds ECS ignores load-balancer health checks after a task starts. @default 300 with a load balancer */
  readonly healthCheckGracePeriodSeconds?: number;
  readonly tags: Readonly<Record<string, string>>;
  /** Tasks at the first deploy. @default 1 */
  readonly desiredCount?: number;
  /** The running count is set at run time (by a person or a function): Terraform ignores it after creation. @default false */
  readonly desiredCountAtRuntime?: boolean;
  /**
   * Stop and roll back a deployment whose tasks keep failing to start. Off for a service that is
   * expected to fail until someone acts (the hive's Logstash until its secret has a value): ECS then
   * keeps trying, and the service comes up once it can. @default true
   */
  readonly circuitBreaker?: boolean;
  /** Resources the service must wait for (e.g. the cluster's capacity providers). @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

const containerDefinition = (c: ContainerSpec, logGroup: string, region: string) => ({
  name: c.name,
  image: c.image,
  essential: c.essential ?? true,
  ...(c.user ? { user: c.user } : {}),
  readonlyRootFilesystem: c.readonlyRootFilesystem ?? false,
  // awsvpc: the host port must equal the container port (Fargate cannot remap).
  portMappings: (c.ports ?? []).map((p) => ({ containerPort: p.port, hostPort: p.port, protocol: p.protocol })),
  environment: Object.entries(c.environment ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value })),
  ...(c.secrets
    ? { secrets: Object.entries(c.secrets).sort(([a], [b]) => a.localeCompare(b)).map(([name, valueFrom]) => ({ name, valueFrom })) }
    : {}),
  ...(c.entryPoint ? { entryPoint: c.entryPoint } : {}),
  ...(c.command ? { command: c.command } : {}),
  mountPoints: (c.mounts ?? []).map((m) => ({ sourceVolume: m.volume, containerPath: m.containerPath, readOnly: m.readOnly ?? false })),
  ...(c.systemControls ? { systemControls: c.systemControls } : {}),
  ...(c.ulimits ? { ulimits: c.ulimits } : {}),
  ...(c.dependsOn ? { dependsOn: c.dependsOn } : {}),
  ...(c.healthCheck ? { healthCheck: c.healthCheck } : {}),
  logConfiguration: {
    logDriver: "awslogs",
    options: { "awslogs-group": logGroup, "awslogs-region": region, "awslogs-stream-prefix": c.name },
  },
});

const taskVolume = (v: VolumeSpec): EcsTaskDefinitionVolume =>
  "accessPoint" in v
    ? {
        name: v.name,
        efsVolumeConfiguration: {
          fileSystemId: v.fileSystemId,
          transitEncryption: "ENABLED",
          authorizationConfig: { accessPointId: v.accessPoint.id, iam: "ENABLED" },
        },
      }
    : { name: v.name };

export class FargateWorkload extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly taskDefinition: EcsTaskDefinition;
  readonly service: EcsService;
  readonly discoveryService?: ServiceDiscoveryService;
  private readonly ruleIds = new Set<string>();

  constructor(scope: Construct, id: string, props: FargateWorkloadProps) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, "SecurityGroup", {
      name: props.serviceName,
      description: `lure: ${props.serviceName} tasks`,
      vpcId: props.vpcId,
      // No inline rules: they would fight the separate rule resources. The provider removes AWS's
      // default allow-all egress rule when it creates the group.
      tags: { ...props.tags, Name: props.serviceName },
    });
    this.taskDefinition = new EcsTaskDefinition(this, "TaskDefinition", {
      family: props.serviceName,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(props.cpu),
      memory: String(props.memory),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      executionRoleArn: props.executionRoleArn,
      ...(props.taskRoleArn ? { taskRoleArn: props.taskRoleArn } : {}),
      containerDefinitions: JSON.stringify(props.containers.map((c) => containerDefinition(c, props.logGroupName, props.region))),
      volume: (props.volumes ?? []).map(taskVolume),
      tags: { ...props.tags },
    });
    if (props.discovery) {
      this.discoveryService = new ServiceDiscoveryService(this, "Discovery", {
        name: props.discovery.name,
        dnsConfig: { namespaceId: props.discovery.namespaceId, dnsRecords: [{ type: "A", ttl: 10 }], routingPolicy: "MULTIVALUE" },
        healthCheckCustomConfig: { failureThreshold: 1 },
        forceDestroy: true,
        tags: { ...props.tags },
      });
    }
    this.service = new EcsService(this, "Service", {
      name: props.serviceName,
      cluster: props.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: props.desiredCount ?? 1,
      ...(props.desiredCountAtRuntime ? { lifecycle: { ignoreChanges: ["desired_count"] } } : {}),
      ...(props.stateful ? { deploymentMinimumHealthyPercent: 0, deploymentMaximumPercent: 100 } : {}),
      capacityProviderStrategy: [{ capacityProvider: props.capacityProvider, weight: 1 }],
      // 1.4.0+: EFS volumes, systemControls.
      platformVersion: "1.4.0",
      networkConfiguration: {
        subnets: [...props.subnetIds],
        securityGroups: [this.securityGroup.id, ...(props.extraSecurityGroupIds ?? [])],
        assignPublicIp: true,
      },
      deploymentCircuitBreaker: props.circuitBreaker ?? true ? { enable: true, rollback: true } : { enable: false, rollback: false },
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      waitForSteadyState: false,
      ...(this.discoveryService ? { serviceRegistries: { registryArn: this.discoveryService.arn } } : {}),
      ...(props.loadBalancer
        ? { loadBalancer: [{ ...props.loadBalancer }], healthCheckGracePeriodSeconds: props.healthCheckGracePeriodSeconds ?? 300 }
        : {}),
      tags: { ...props.tags },
      dependsOn: [...(props.dependsOn ?? [])],
    });
  }

  private ruleId(kind: string, port: PublishedPort | "all", source: string): string {
    const id = `${kind}-${port === "all" ? "all" : `${port.port}-${port.protocol}`}-${slug(source)}`;
    if (this.ruleIds.has(id)) throw new Error(`duplicate security group rule ${id} on ${this.node.path}`);
    this.ruleIds.add(id);
    return id;
  }

  /** Admit one port from an IPv4 CIDR. */
  allowFromCidr(port: PublishedPort, cidr: string, description: string): void {
    new VpcSecurityGroupIngressRule(this, this.ruleId("Ingress", port, cidr), {
      securityGroupId: this.securityGroup.id,
      ipProtocol: port.protocol,
      fromPort: port.port,
      toPort: port.port,
      cidrIpv4: cidr,
      description,
    });
  }

  /** Admit one port (or every TCP port) from another security group. */
  allowFromGroup(port: PublishedPort | "all-tcp", source: SecurityGroup, sourceName: string): void {
    const p = port === "all-tcp" ? ("all" as const) : port;
    new VpcSecurityGroupIngressRule(this, this.ruleId("Ingress", p, sourceName), {
      securityGroupId: this.securityGroup.id,
      ipProtocol: "tcp",
      fromPort: p === "all" ? 0 : p.port,
      toPort: p === "all" ? 65535 : p.port,
      referencedSecurityGroupId: source.id,
      description: `from ${sourceName}`,
    });
  }

  /** Allow one outbound TCP port to a CIDR or a security group. */
  allowEgress(port: PublishedPort | "all-tcp", to: { cidr: string } | { group: SecurityGroup; name: string }, description: string): void {
    const p = port === "all-tcp" ? ("all" as const) : port;
    new VpcSecurityGroupEgressRule(this, this.ruleId("Egress", p, "cidr" in to ? to.cidr : to.name), {
      securityGroupId: this.securityGroup.id,
      ipProtocol: "tcp",
      fromPort: p === "all" ? 0 : p.port,
      toPort: p === "all" ? 65535 : p.port,
      ...("cidr" in to ? { cidrIpv4: to.cidr } : { referencedSecurityGroupId: to.group.id }),
      description,
    });
  }
}
