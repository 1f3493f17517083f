/**
 * The honeypots of `AwsHoneynet`: one Fargate service per T-Pot honeypot, each with its own security
 * group (exactly its catalog ports open to the internet) and public IP, its log folders on EFS and a
 * task role that may write only those. Created in the honeynet's scope (construct ids are the
 * honeynet's); the file comment of honeynet.ts says how Fargate's limits shape the task definitions.
 */
import type { Construct } from "constructs";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { defaultSize, honeypot as catalogEntry, honeypotEnvironment, planPorts, type CatalogHoneypot, type PortCapabilities, type PublishedPort } from "../core/catalog";
import type { HoneypotDescriptor, HoneypotOverride } from "../core/interfaces";
import { resourceName, slug } from "../core/naming";
import type { LogStorage, TagsFor } from "./honeynet-logs";
import { serviceRole } from "./iam";
import { rolePolicyOf } from "./lambda";
import { AFTER_PREPARE, FargateWorkload, VOLUME_INIT_IMAGE, prepareVolumes, type ContainerSpec, type FargateWorkloadProps, type Mount, type VolumeSpec } from "./workload";

export { VOLUME_INIT_IMAGE };

/** What Fargate can do with ports (reference/clouds.md §1.1). */
export const FARGATE_PORTS: PortCapabilities = { remap: false, tcpAndUdpOnOnePort: false };


export const HTTPS_OUT: PublishedPort = { port: 443, protocol: "tcp" };

/** What every service of the honeynet shares: cluster, network, execution role, logs, ordering. */
export type ServiceBase = Pick<FargateWorkloadProps, "clusterArn" | "vpcId" | "subnetIds" | "executionRoleArn" | "logGroupName" | "region" | "dependsOn">;

/** A honeypot as deployed: its catalog entry after overrides, and the Fargate port plan. */
export interface PlannedHoneypot {
  readonly entry: CatalogHoneypot;
  /** The image comes from a repository lure creates (empty until the user pushes). */
  readonly fromRepository: boolean;
  readonly override: HoneypotOverride;
  readonly image: string;
  readonly published: readonly PublishedPort[];
  readonly size: { readonly cpu: number; readonly memory: number };
  readonly descriptor: HoneypotDescriptor;
}

/** Whether the task needs the unprivileged-port sysctl (see honeynet.ts's file comment). */
export function needsPortSysctl(entry: CatalogHoneypot, published: readonly PublishedPort[], user?: string): boolean {
  if (user === "0" || user === "root") return false;
  if (!published.some((p) => p.port < 1024)) return false;
  return !entry.fileCapabilities.includes("cap_net_bind_service");
}

/** Private repositories for modified images; the honeypots named here pull from them. */
export function imageRepositories(scope: Construct, prefix: string, names: readonly string[], tagsFor: TagsFor): Map<string, EcrRepository> {
  const repositories = new Map<string, EcrRepository>();
  for (const name of names) {
    repositories.set(
      name,
      new EcrRepository(scope, `Repository-${name}`, {
        name: `${slug(prefix)}/${slug(name)}`,
        imageTagMutability: "IMMUTABLE",
        // Pushed images are the user's work: destroy stops at a non-empty repository instead of deleting them.
        forceDelete: false,
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: [{ encryptionType: "AES256" }],
        tags: tagsFor("honeypot", name),
      }),
    );
  }
  return repositories;
}

/** The catalog entry of `name` with its overrides, on Fargate's ports; `repository` serves a modified image. */
export function planHoneypot(prefix: string, name: string, override: HoneypotOverride, repository?: EcrRepository): PlannedHoneypot {
  const entry = catalogEntry(name);
  const plan = planPorts(entry.ports, FARGATE_PORTS, override.ports);
  // A private repository serves the modified image under the catalog's tag (e.g. 24.04.1) unless told another.
  const tag = override.imageTag ?? entry.image.slice(entry.image.lastIndexOf(":") + 1);
  const image = override.image ?? (repository ? `${repository.repositoryUrl}:${tag}` : entry.image);
  const size = defaultSize(name);
  return {
    entry,
    fromRepository: override.image === undefined && repository !== undefined,
    override,
    image,
    published: plan.published,
    size: { cpu: override.cpu ?? size.cpu, memory: override.memory ?? size.memory },
    descriptor: { name, image, ports: plan.published, portChanges: plan.changes, serviceName: resourceName(prefix, ["hp", name]) },
  };
}

export interface HoneypotServicesProps {
  readonly prefix: string;
  readonly planned: readonly PlannedHoneypot[];
  readonly base: ServiceBase;
  readonly storage: LogStorage;
  /** Cloud Map namespace for the group members that peers call by name (tanner…). */
  readonly namespaceId: string;
  readonly accountId: string;
  readonly capacity: "spot" | "on-demand";
  readonly tagsFor: TagsFor;
}

/** The containers of one honeypot's task: a volume-preparing step where needed, then the honeypot. */
function honeypotContainers(p: PlannedHoneypot, logMounts: readonly Mount[], scratch: readonly { name: string; path: string }[]): ContainerSpec[] {
  const { entry } = p;
  const containers: ContainerSpec[] = [];
  if (scratch.length > 0) containers.push(prepareVolumes(scratch.map((s) => s.name)));
  const user = p.override.user;
  containers.push({
    name: entry.name,
    image: p.image,
    ...(user ? { user } : {}),
    readonlyRootFilesystem: entry.readOnlyRootFilesystem,
    ports: p.published,
    environment: honeypotEnvironment(entry.env),
    mounts: [...logMounts, ...scratch.map((s) => ({ volume: s.name, containerPath: s.path }))],
    ...(needsPortSysctl(entry, p.published, user) ? { systemControls: [{ namespace: "net.ipv4.ip_unprivileged_port_start", value: "0" }] } : {}),
    ...(scratch.length > 0 ? { dependsOn: AFTER_PREPARE } : {}),
  });
  return containers;
}

/** One Fargate service per honeypot, then the paths between members of a group; honeypot name → workload. */
export function honeypotServices(scope: Construct, props: HoneypotServicesProps): Map<string, FargateWorkload> {
  const { planned, storage } = props;
  const talkedTo = new Set(planned.flatMap((p) => p.entry.talksTo));
  const workloads = new Map<string, FargateWorkload>();
  for (const p of planned) {
    const { entry } = p;
    const tags = props.tagsFor("honeypot", entry.name);
    const efsVolumes: VolumeSpec[] = [];
    const logMounts: Mount[] = [];
    for (const f of entry.logFolders) {
      const name = `logs-${slug(f.folder)}`;
      efsVolumes.push({ name, accessPoint: storage.logAccessPoints.get(f.folder)!, fileSystemId: storage.fileSystem.id });
      logMounts.push({ volume: name, containerPath: f.containerPath });
    }
    const scratch = [...entry.scratch, ...entry.dataFolders.map((f) => f.containerPath)].map((path, i) => ({ name: `scratch-${i}`, path }));
    const accessPoints = entry.logFolders.map((f) => storage.logAccessPoints.get(f.folder)!.arn);
    const taskRole =
      accessPoints.length > 0
        ? serviceRole(scope, `TaskRole-${entry.name}`, {
            name: resourceName(props.prefix, ["hp", entry.name]),
            service: "ecs-tasks.amazonaws.com",
            accountId: props.accountId,
            tags,
            statements: [storage.access("WriteOwnLogs", true, accessPoints)],
          })
        : undefined;
    const workload = new FargateWorkload(scope, `Honeypot-${entry.name}`, {
      ...props.base,
      serviceName: p.descriptor.serviceName,
      extraSecurityGroupIds: efsVolumes.length > 0 ? [storage.clientGroup.id] : [],
      ...(taskRole ? { taskRoleArn: taskRole.arn } : {}),
      cpu: p.size.cpu,
      memory: p.size.memory,
      containers: honeypotContainers(p, logMounts, scratch),
      volumes: [...efsVolumes, ...scratch.map((s) => ({ name: s.name }))],
      capacityProvider: props.capacity === "on-demand" ? "FARGATE" : "FARGATE_SPOT",
      // lure's repository is empty at the first deploy: a task could not pull, and the circuit breaker would
      // stop the service. It starts with none; the user starts it after the first push (README).
      ...(p.fromRepository ? { desiredCount: 0, desiredCountAtRuntime: true } : {}),
      ...(talkedTo.has(entry.name) ? { discovery: { namespaceId: props.namespaceId, name: entry.name } } : {}),
      tags,
      // The task may write its logs only once its role's policy exists.
      ...(taskRole ? { dependsOn: [...(props.base.dependsOn ?? []), rolePolicyOf(scope, `TaskRole-${entry.name}`)] } : {}),
    });
    for (const port of p.published) workload.allowFromCidr(port, "0.0.0.0/0", `${entry.name} ${port.port}/${port.protocol} from the internet`);
    workload.allowEgress(HTTPS_OUT, { cidr: "0.0.0.0/0" }, "image pulls and AWS APIs");
    workloads.set(entry.name, workload);
  }
  // Group members (snare → tanner → tanner_api …) talk to each other on their own ports.
  for (const p of planned) {
    for (const peer of p.entry.talksTo) {
      const from = workloads.get(p.entry.name)!;
      const to = workloads.get(peer);
      if (!to) continue;
      to.allowFromGroup("all-tcp", from.securityGroup, p.entry.name);
      from.allowEgress("all-tcp", { group: to.securityGroup, name: peer }, `to ${peer}`);
    }
  }
  return workloads;
}
