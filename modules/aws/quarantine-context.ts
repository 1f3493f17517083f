/**
 * What the parts of `AwsQuarantine` share: the resolved settings, names and tags, and the two small
 * resource shapes both the real service and the copies use. Every part creates its resources in the
 * quarantine's own scope, so the construct ids (and the Terraform addresses) are the quarantine's.
 */
import type { Construct } from "constructs";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { AFTER_PREPARE, prepareVolumes } from "./workload";
import type { AwsStack } from "../../providers/aws";
import type { ExistingTarget } from "../core/interfaces";
import type { quarantineNames, ResolvedQuarantine } from "../core/quarantine-runtime";

export const HTTPS = 443;
/** How the load balancer decides a web target is healthy (the real service's and the copies' target groups). */
export const HEALTH_CHECK = "health check: GET / answered 200-399";
/** Name of the container in the demo (and decoy) task definitions. */
export const DEMO_CONTAINER = "web";

export interface QuarantineContext {
  readonly stack: AwsStack;
  readonly settings: ResolvedQuarantine;
  /** The user's service, or undefined for the demo. */
  readonly existing?: ExistingTarget;
  /** The port the load balancer sends the real service's requests to. */
  readonly containerPort: number;
  /** The port the copies serve on (`copies.containerPort`, else the target's). */
  readonly copiesPort: number;
  readonly names: ReturnType<typeof quarantineNames>;
  /** `<prefix>-quarantine-<parts…>`. */
  name(...parts: string[]): string;
  readonly tags: Record<string, string>;
  /** Tags of the copies' and the real service's resources (the policy rule tells them apart by these). */
  readonly copyTags: Record<string, string>;
  readonly realTags: Record<string, string>;
}

/** A security group with no inline rules (rules are separate resources, so they never fight). */
export function plainSecurityGroup(scope: Construct, id: string, groupName: string, vpcId: string, what: string, tags: Record<string, string>): SecurityGroup {
  return new SecurityGroup(scope, id, { name: groupName, description: `lure: ${what}`, vpcId, tags: { ...tags, Name: groupName } });
}

export interface WebTaskProps {
  readonly family: string;
  readonly image: string;
  readonly containerName: string;
  readonly containerPort: number;
  readonly executionRole: IamRole;
  readonly logs: CloudwatchLogGroup;
  readonly region: string;
  readonly tags: Record<string, string>;
}

/**
 * Where a web server writes at run time (nginx: its pid under /run, its temp files under /var/cache/nginx;
 * anything else under /tmp). The root filesystem is read-only, so these are ephemeral task volumes: what a
 * scanner manages to write lives only as long as the task.
 */
export const WEB_SCRATCH_PATHS = ["/tmp", "/run", "/var/cache/nginx"] as const;

/**
 * A Fargate task definition of one web container, without a task role (no AWS permissions), read-only but
 * for WEB_SCRATCH_PATHS. Fargate creates those volumes root-owned 0755, which an image that runs as
 * another user (nginx-unprivileged: uid 101) cannot write, so a one-shot step first makes them 1777.
 */
export function webTaskDefinition(scope: Construct, id: string, p: WebTaskProps): EcsTaskDefinition {
  const logConfiguration = { logDriver: "awslogs", options: { "awslogs-group": p.logs.name, "awslogs-region": p.region, "awslogs-stream-prefix": p.family } };
  const volumes = WEB_SCRATCH_PATHS.map((_, i) => `scratch-${i}`);
  const { mounts, ...prepare } = prepareVolumes(volumes);
  return new EcsTaskDefinition(scope, id, {
    family: p.family,
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: "256",
    memory: "512",
    runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
    executionRoleArn: p.executionRole.arn,
    containerDefinitions: JSON.stringify([
      {
        ...prepare,
        mountPoints: mounts.map((m) => ({ sourceVolume: m.volume, containerPath: m.containerPath, readOnly: false })),
        logConfiguration,
      },
      {
        name: p.containerName,
        image: p.image,
        essential: true,
        portMappings: [{ containerPort: p.containerPort, hostPort: p.containerPort, protocol: "tcp" }],
        readonlyRootFilesystem: true,
        mountPoints: WEB_SCRATCH_PATHS.map((containerPath, i) => ({ sourceVolume: volumes[i], containerPath, readOnly: false })),
        dependsOn: AFTER_PREPARE,
        logConfiguration,
      },
    ]),
    volume: volumes.map((name) => ({ name })),
    tags: p.tags,
  });
}
