/**
 * `AwsHoneynet` — T-Pot honeypots on ECS Fargate, each its own service with its own public IP, logs on
 * EFS, and an Elastic stack whose Kibana sits behind an ALB with a WAF allow-list.
 *
 * ```ts
 * const stack = new AwsStack(app, "aws-honeynet", { prefix: "lure", region: "eu-west-2" });
 * new AwsHoneynet(stack, "Honeynet", {
 *   honeypots: PROFILES.industrial,
 *   dashboard: { allowCidrs: ["198.51.100.0/24"] },
 * });
 * ```
 *
 * Fargate limits shape the task definitions (reference/clouds.md §1.1):
 * - no host-port remapping and one protocol per container port: see `planPorts`;
 * - no tmpfs: T-Pot's tmpfs paths and data folders become ephemeral task volumes. Fargate creates those
 *   root-owned 0755, which the images' non-root users cannot write, so a short-lived `prepare-volumes`
 *   container (root, no network use) makes them world-writable (1777, like /tmp) before the honeypot starts;
 * - privileged ports: images keep their own non-root user. Where an image binds a port below 1024
 *   without a `cap_net_bind_service` file capability, the task sets the namespaced sysctl
 *   `net.ipv4.ip_unprivileged_port_start=0` — what Docker ≥ 20.10 does by default, and what T-Pot relies
 *   on. Run as root instead with `overrides.<name>.user = "0"`.
 */
import { Annotations, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import { EfsFileSystem } from "@cdktf/provider-aws/lib/efs-file-system";
import { EfsFileSystemPolicy } from "@cdktf/provider-aws/lib/efs-file-system-policy";
import { EfsMountTarget } from "@cdktf/provider-aws/lib/efs-mount-target";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { ServiceDiscoveryPrivateDnsNamespace } from "@cdktf/provider-aws/lib/service-discovery-private-dns-namespace";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Wafv2IpSet } from "@cdktf/provider-aws/lib/wafv2-ip-set";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { AwsStack } from "../../providers/aws";
import { defaultSize, honeypot as catalogEntry, planPorts, type CatalogHoneypot, type PortCapabilities, type PublishedPort } from "../core/catalog";
import { isWorldOpen, parseCidr } from "../core/cidr";
import { ConfigError, FARGATE_SIZES } from "../core/config";
import type { AccessGrant, HoneynetProps, HoneypotDescriptor, HoneypotOverride, IamStatement, IHoneynet, PublicIpSource } from "../core/interfaces";
import { TAG_KEYS, componentTags, resourceName, slug } from "../core/naming";
import { assertHoneynetProps } from "../core/validate";
import { serviceRole } from "./iam";
import { PublicNetwork } from "./network";
import { FargateWorkload, terraformLiteral, type ContainerSpec, type Mount, type VolumeSpec } from "./workload";

/** What Fargate can do with ports (reference/clouds.md §1.1). */
export const FARGATE_PORTS: PortCapabilities = { remap: false, tcpAndUdpOnOnePort: false };

/** T-Pot's data-folder owner: every honeypot log folder is written as 2000:2000. */
export const TPOT_UID = 2000;

/** Image of the one-shot container that makes ephemeral volumes writable (ECR Public: no Docker Hub limits). */
export const VOLUME_INIT_IMAGE = "public.ecr.aws/docker/library/busybox:1.36";

const HTTPS_OUT: PublishedPort = { port: 443, protocol: "tcp" };
const NFS: PublishedPort = { port: 2049, protocol: "tcp" };
const ES_PORT: PublishedPort = { port: 9200, protocol: "tcp" };
const KIBANA_PORT: PublishedPort = { port: 5601, protocol: "tcp" };

export interface AwsHoneynetProps extends HoneynetProps {}

/** A honeypot as deployed: its catalog entry after overrides, and the Fargate port plan. */
interface PlannedHoneypot {
  readonly entry: CatalogHoneypot;
  readonly override: HoneypotOverride;
  readonly image: string;
  readonly published: readonly PublishedPort[];
  readonly size: { readonly cpu: number; readonly memory: number };
  readonly descriptor: HoneypotDescriptor;
}

/** Whether the task needs the unprivileged-port sysctl (see the file comment). */
export function needsPortSysctl(entry: CatalogHoneypot, published: readonly PublishedPort[], user?: string): boolean {
  if (user === "0" || user === "root") return false;
  if (!published.some((p) => p.port < 1024)) return false;
  return !entry.fileCapabilities.includes("cap_net_bind_service");
}

export class AwsHoneynet extends Construct implements IHoneynet {
  readonly cloud = "aws" as const;
  readonly prefix: string;
  readonly honeypots: readonly HoneypotDescriptor[];
  readonly dashboardUrl: string;
  readonly publicIpSource: PublicIpSource;
  readonly network: PublicNetwork;
  readonly cluster: EcsCluster;
  readonly fileSystem: EfsFileSystem;
  readonly logGroup: CloudwatchLogGroup;
  readonly loadBalancer: Lb;
  readonly webAcl: Wafv2WebAcl;
  /** Honeypot name → its Fargate workload. */
  readonly workloads: ReadonlyMap<string, FargateWorkload>;
  /** Log folder (e.g. `cowrie/log`) → its EFS access point. */
  readonly logAccessPoints: ReadonlyMap<string, EfsAccessPoint>;
  private readonly region: string;
  private readonly accountId: string;
  private readonly partition: string;

  constructor(scope: Construct, id: string, props: AwsHoneynetProps) {
    super(scope, id);
    assertHoneynetProps(this.node.path, props);
    const stack = TerraformStack.of(this);
    if (!(stack instanceof AwsStack)) throw new Error(`${this.node.path}: AwsHoneynet must be created inside an AwsStack`);
    this.prefix = props.prefix ?? stack.prefix;
    this.region = stack.region;
    this.accountId = stack.accountId;
    this.partition = stack.partition;
    const prefix = this.prefix;
    const userTags = { ...(props.tags ?? {}) };
    const tagsFor = (component: Parameters<typeof componentTags>[0], honeypot?: string) => ({ ...userTags, ...componentTags(component, honeypot) });

    // Private repositories for modified images; honeypots listed here pull from them.
    const repositories = new Map<string, EcrRepository>();
    for (const name of props.imageRepositories ?? []) {
      repositories.set(
        name,
        new EcrRepository(this, `Repository-${name}`, {
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

    const planned = props.honeypots.map((name) => this.plan(name, props.overrides?.[name] ?? {}, repositories.get(name)));
    const sizeProblems = planned.flatMap((p) =>
      FARGATE_SIZES[p.size.cpu]?.includes(p.size.memory)
        ? []
        : [{ path: `overrides.${p.entry.name}`, message: `cpu ${p.size.cpu} with memory ${p.size.memory} MiB is not a Fargate task size` }],
    );
    if (sizeProblems.length > 0) throw new ConfigError(this.node.path, sizeProblems);
    this.honeypots = planned.map((p) => p.descriptor);
    for (const p of planned) {
      for (const c of p.descriptor.portChanges) Annotations.of(this).addInfo(`${p.entry.name}: ${c.reason}`);
      if (p.entry.deprecated) Annotations.of(this).addWarning(`${p.entry.name} is deprecated upstream: ${p.entry.deprecated}`);
    }

    // --- network, cluster, logs -----------------------------------------------------------------
    const namespaceName = `${slug(prefix)}-honeynet.internal`;
    this.network = new PublicNetwork(this, "Network", {
      prefix,
      cidr: props.networkCidr ?? "10.42.0.0/16",
      searchDomain: namespaceName,
      tags: tagsFor("network"),
    });
    const vpcId = this.network.vpc.id;
    const subnetIds = this.network.subnets.map((s) => s.id);

    this.cluster = new EcsCluster(this, "Cluster", {
      name: resourceName(prefix, ["honeynet"]),
      setting: [{ name: "containerInsights", value: "disabled" }],
      tags: tagsFor("honeypot"),
    });
    const capacity = new EcsClusterCapacityProviders(this, "CapacityProviders", {
      clusterName: this.cluster.name,
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }],
    });
    this.logGroup = new CloudwatchLogGroup(this, "LogGroup", {
      name: `/${slug(prefix)}/honeynet`,
      retentionInDays: props.logRetentionDays ?? 30,
      tags: tagsFor("logs"),
    });

    const executionRole = serviceRole(this, "ExecutionRole", {
      name: resourceName(prefix, ["honeynet", "execution"]),
      service: "ecs-tasks.amazonaws.com",
      accountId: this.accountId,
      tags: tagsFor("logs"),
      statements: [
        { Sid: "WriteContainerLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${this.logGroup.arn}:*`] },
        ...(repositories.size > 0
          ? [
              { Sid: "EcrLogin", Effect: "Allow" as const, Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
              {
                Sid: "PullModifiedImages",
                Effect: "Allow" as const,
                Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                Resource: [...repositories.values()].map((r) => r.arn),
              },
            ]
          : []),
      ],
    });

    // EFS: encrypted, reachable only from tasks that carry the client group, used only through access points.
    this.fileSystem = new EfsFileSystem(this, "FileSystem", {
      creationToken: resourceName(prefix, ["honeynet", "logs"]),
      encrypted: true,
      throughputMode: "elastic",
      lifecyclePolicy: [{ transitionToIa: "AFTER_30_DAYS" }],
      tags: { ...tagsFor("logs"), Name: resourceName(prefix, ["honeynet", "logs"]) },
    });
    new EfsFileSystemPolicy(this, "FileSystemPolicy", {
      fileSystemId: this.fileSystem.id,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "DenyUnencryptedTransport", Effect: "Deny", Principal: { AWS: "*" }, Action: "*", Resource: this.fileSystem.arn, Condition: { Bool: { "aws:SecureTransport": "false" } } },
          { Sid: "DenyRootAccess", Effect: "Deny", Principal: { AWS: "*" }, Action: "elasticfilesystem:ClientRootAccess", Resource: this.fileSystem.arn },
          {
            Sid: "DenyMountsOutsideAccessPoints",
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            Resource: this.fileSystem.arn,
            Condition: { Null: { "elasticfilesystem:AccessPointArn": "true" } },
          },
        ],
      }),
    });
    const efsClients = new SecurityGroup(this, "EfsClientSecurityGroup", {
      name: resourceName(prefix, ["honeynet", "efs-client"]),
      description: "lure: tasks that may mount the honeynet file system",
      vpcId,
      tags: { ...tagsFor("logs"), Name: resourceName(prefix, ["honeynet", "efs-client"]) },
    });
    const mountTargets = new SecurityGroup(this, "MountTargetSecurityGroup", {
      name: resourceName(prefix, ["honeynet", "efs"]),
      description: "lure: honeynet file system mount targets (NFS from honeynet tasks only)",
      vpcId,
      tags: { ...tagsFor("logs"), Name: resourceName(prefix, ["honeynet", "efs"]) },
    });
    new VpcSecurityGroupIngressRule(this, "MountTargetIngress", {
      securityGroupId: mountTargets.id,
      ipProtocol: "tcp",
      fromPort: NFS.port,
      toPort: NFS.port,
      referencedSecurityGroupId: efsClients.id,
      description: "NFS from honeynet tasks",
    });
    new VpcSecurityGroupEgressRule(this, "EfsClientEgress", {
      securityGroupId: efsClients.id,
      ipProtocol: "tcp",
      fromPort: NFS.port,
      toPort: NFS.port,
      referencedSecurityGroupId: mountTargets.id,
      description: "NFS to the honeynet file system",
    });
    const mounts = this.network.subnets.map(
      (s, i) => new EfsMountTarget(this, `MountTarget${i}`, { fileSystemId: this.fileSystem.id, subnetId: s.id, securityGroups: [mountTargets.id] }),
    );

    /** Mount (read) or mount and write, through these access points only. */
    const efsAccess = (sid: string, write: boolean, accessPoints: readonly string[]): IamStatement => ({
      Sid: sid,
      Effect: "Allow",
      Action: write ? ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"] : ["elasticfilesystem:ClientMount"],
      Resource: [this.fileSystem.arn],
      Condition: { StringEquals: { "elasticfilesystem:AccessPointArn": accessPoints } },
    });
    const accessPoint = (id: string, folder: string, component: "logs" | "elastic", honeypot?: string) =>
      new EfsAccessPoint(this, id, {
        fileSystemId: this.fileSystem.id,
        posixUser: { uid: TPOT_UID, gid: TPOT_UID },
        rootDirectory: { path: `/${folder}`, creationInfo: { ownerUid: TPOT_UID, ownerGid: TPOT_UID, permissions: "0750" } },
        tags: { ...tagsFor(component, honeypot), Name: resourceName(prefix, [folder]) },
      });
    const logAccessPoints = new Map<string, EfsAccessPoint>();
    for (const p of planned) {
      for (const f of p.entry.logFolders) {
        if (!logAccessPoints.has(f.folder)) logAccessPoints.set(f.folder, accessPoint(`AccessPoint-${slug(f.folder)}`, f.folder, "logs", p.entry.group ?? p.entry.name));
      }
    }
    this.logAccessPoints = logAccessPoints;

    const namespace = new ServiceDiscoveryPrivateDnsNamespace(this, "Namespace", {
      name: namespaceName,
      vpc: vpcId,
      description: `lure: ${prefix} honeynet services`,
      tags: tagsFor("elastic"),
    });

    const common = {
      clusterArn: this.cluster.arn,
      vpcId,
      subnetIds,
      executionRoleArn: executionRole.arn,
      logGroupName: this.logGroup.name,
      region: this.region,
      dependsOn: [capacity, ...mounts],
    };

    // --- honeypots ---------------------------------------------------------------------------------
    const talkedTo = new Set(planned.flatMap((p) => p.entry.talksTo));
    const workloads = new Map<string, FargateWorkload>();
    for (const p of planned) {
      const { entry } = p;
      const tags = tagsFor("honeypot", entry.name);
      const efsVolumes: VolumeSpec[] = [];
      const mountsFor: Mount[] = [];
      entry.logFolders.forEach((f) => {
        const ap = logAccessPoints.get(f.folder)!;
        const name = `logs-${slug(f.folder)}`;
        efsVolumes.push({ name, accessPoint: ap, fileSystemId: this.fileSystem.id });
        mountsFor.push({ volume: name, containerPath: f.containerPath });
      });
      const scratchPaths = [...entry.scratch, ...entry.dataFolders.map((f) => f.containerPath)];
      const scratch = scratchPaths.map((path, i) => ({ name: `scratch-${i}`, path }));
      const containers: ContainerSpec[] = [];
      if (scratch.length > 0) {
        containers.push({
          name: "prepare-volumes",
          image: VOLUME_INIT_IMAGE,
          essential: false,
          user: "0",
          readonlyRootFilesystem: true,
          command: ["chmod", "1777", ...scratch.map((s) => `/volumes/${s.name}`)],
          mounts: scratch.map((s) => ({ volume: s.name, containerPath: `/volumes/${s.name}` })),
        });
      }
      const user = p.override.user;
      containers.push({
        name: entry.name,
        image: p.image,
        ...(user ? { user } : {}),
        readonlyRootFilesystem: entry.readOnlyRootFilesystem,
        ports: p.published,
        environment: honeypotEnvironment(entry.env),
        mounts: [...mountsFor, ...scratch.map((s) => ({ volume: s.name, containerPath: s.path }))],
        ...(needsPortSysctl(entry, p.published, user) ? { systemControls: [{ namespace: "net.ipv4.ip_unprivileged_port_start", value: "0" }] } : {}),
        ...(scratch.length > 0 ? { dependsOn: [{ containerName: "prepare-volumes", condition: "SUCCESS" as const }] } : {}),
      });

      const accessPoints = entry.logFolders.map((f) => logAccessPoints.get(f.folder)!.arn);
      const taskRole =
        accessPoints.length > 0
          ? serviceRole(this, `TaskRole-${entry.name}`, {
              name: resourceName(prefix, ["hp", entry.name]),
              service: "ecs-tasks.amazonaws.com",
              accountId: this.accountId,
              tags,
              statements: [efsAccess("WriteOwnLogs", true, accessPoints)],
            })
          : undefined;
      const workload = new FargateWorkload(this, `Honeypot-${entry.name}`, {
        ...common,
        serviceName: p.descriptor.serviceName,
        extraSecurityGroupIds: efsVolumes.length > 0 ? [efsClients.id] : [],
        ...(taskRole ? { taskRoleArn: taskRole.arn } : {}),
        cpu: p.size.cpu,
        memory: p.size.memory,
        containers,
        volumes: [...efsVolumes, ...scratch.map((s) => ({ name: s.name }))],
        capacityProvider: props.capacity === "on-demand" ? "FARGATE" : "FARGATE_SPOT",
        ...(talkedTo.has(entry.name) ? { discovery: { namespaceId: namespace.id, name: entry.name } } : {}),
        tags,
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
    this.workloads = workloads;

    // --- Elastic stack -----------------------------------------------------------------------------
    const version = props.elasticVersion ?? "8.17.0";
    const images = {
      elasticsearch: props.elasticImages?.elasticsearch ?? `docker.elastic.co/elasticsearch/elasticsearch:${version}`,
      logstash: props.elasticImages?.logstash ?? `docker.elastic.co/logstash/logstash:${version}`,
      kibana: props.elasticImages?.kibana ?? `docker.elastic.co/kibana/kibana:${version}`,
    };
    const esUrl = `http://elasticsearch.${namespaceName}:9200`;
    const elasticTags = tagsFor("elastic");
    /** Read-write on the service's own data, mount-only (read) on the honeypot logs it indexes. */
    const elasticRole = (name: string, data: EfsAccessPoint, readOnly: readonly EfsAccessPoint[] = []) =>
      serviceRole(this, `TaskRole-${name}`, {
        name: resourceName(prefix, ["honeynet", name]),
        service: "ecs-tasks.amazonaws.com",
        accountId: this.accountId,
        tags: elasticTags,
        statements: [
          efsAccess("ReadWriteOwnData", true, [data.arn]),
          ...(readOnly.length > 0 ? [efsAccess("ReadHoneypotLogs", false, readOnly.map((a) => a.arn))] : []),
        ],
      });

    const esData = accessPoint("AccessPoint-elasticsearch", "elasticsearch/data", "elastic");
    const elasticsearch = new FargateWorkload(this, "Elasticsearch", {
      ...common,
      serviceName: resourceName(prefix, ["elasticsearch"]),
      extraSecurityGroupIds: [efsClients.id],
      taskRoleArn: elasticRole("elasticsearch", esData).arn,
      cpu: 1024,
      memory: 4096,
      containers: [
        {
          name: "elasticsearch",
          image: images.elasticsearch,
          ports: [ES_PORT],
          // Fargate: no IPC_LOCK (so no memory lock) and no vm.max_map_count (so no mmap store).
          environment: {
            "discovery.type": "single-node",
            "bootstrap.memory_lock": "false",
            "node.store.allow_mmap": "false",
            "xpack.security.enabled": "false",
            "cluster.name": resourceName(prefix, ["honeynet"]),
            ES_JAVA_OPTS: "-Xms2g -Xmx2g",
          },
          ulimits: [{ name: "nofile", softLimit: 65535, hardLimit: 65535 }],
          mounts: [{ volume: "data", containerPath: "/usr/share/elasticsearch/data" }],
        },
      ],
      volumes: [{ name: "data", accessPoint: esData, fileSystemId: this.fileSystem.id }],
      capacityProvider: "FARGATE",
      stateful: true,
      discovery: { namespaceId: namespace.id, name: "elasticsearch" },
      tags: elasticTags,
    });

    const lsData = accessPoint("AccessPoint-logstash", "logstash/data", "elastic");
    const inputs = logstashInputs(planned.map((p) => p.entry));
    const lsFolders = [...new Set(inputs.map((i) => i.folder))];
    const logstash = new FargateWorkload(this, "Logstash", {
      ...common,
      serviceName: resourceName(prefix, ["logstash"]),
      extraSecurityGroupIds: [efsClients.id],
      taskRoleArn: elasticRole("logstash", lsData, lsFolders.map((f) => logAccessPoints.get(f)!)).arn,
      cpu: 1024,
      memory: 2048,
      containers: [
        {
          name: "logstash",
          image: images.logstash,
          environment: { LS_JAVA_OPTS: "-Xms1g -Xmx1g" },
          command: ["-e", terraformLiteral(logstashPipeline(inputs, esUrl)), "--path.data", "/usr/share/logstash/data"],
          mounts: [
            { volume: "data", containerPath: "/usr/share/logstash/data" },
            ...lsFolders.map((f) => ({ volume: `logs-${slug(f)}`, containerPath: `/data/${f}`, readOnly: true })),
          ],
        },
      ],
      volumes: [
        { name: "data", accessPoint: lsData, fileSystemId: this.fileSystem.id },
        ...lsFolders.map((f) => ({ name: `logs-${slug(f)}`, accessPoint: logAccessPoints.get(f)!, fileSystemId: this.fileSystem.id })),
      ],
      capacityProvider: "FARGATE",
      stateful: true,
      discovery: { namespaceId: namespace.id, name: "logstash" },
      tags: elasticTags,
    });

    // --- dashboard: ALB + WAF ----------------------------------------------------------------------
    const dashTags = tagsFor("dashboard");
    const https = props.dashboard.certificateArn !== undefined;
    const listenerPort: PublishedPort = { port: https ? 443 : 80, protocol: "tcp" };
    const cidrs = props.dashboard.allowCidrs.map((c) => parseCidr(c)).flatMap((r) => (r.ok ? [r.cidr] : []));
    const v4 = cidrs.filter((c) => c.version === 4);
    if (cidrs.some((c) => c.version === 6)) Annotations.of(this).addWarning("dashboard.allowCidrs: the AWS dashboard load balancer is IPv4-only; IPv6 entries are ignored here");
    if (v4.length === 0) throw new Error(`${this.node.path}: dashboard.allowCidrs has no IPv4 CIDR; the AWS dashboard would be unreachable`);
    if (!https) Annotations.of(this).addWarning("dashboard: no certificateArn, so Kibana is served over plain HTTP; set honeynet.dashboard.certificateArn for HTTPS");

    const albSg = new SecurityGroup(this, "DashboardSecurityGroup", {
      name: resourceName(prefix, ["dashboard"]),
      description: "lure: dashboard load balancer (allow-listed clients only)",
      vpcId,
      tags: { ...dashTags, Name: resourceName(prefix, ["dashboard"]) },
    });
    const albPorts = https ? [listenerPort, { port: 80, protocol: "tcp" as const }] : [listenerPort];
    for (const c of v4) {
      for (const port of albPorts) {
        new VpcSecurityGroupIngressRule(this, `DashboardIngress-${port.port}-${slug(c.canonical)}`, {
          securityGroupId: albSg.id,
          ipProtocol: "tcp",
          fromPort: port.port,
          toPort: port.port,
          cidrIpv4: c.canonical,
          description: "allow-listed dashboard client",
        });
      }
    }
    this.loadBalancer = new Lb(this, "LoadBalancer", {
      name: resourceName(prefix, ["dashboard"], 32),
      internal: false,
      loadBalancerType: "application",
      securityGroups: [albSg.id],
      subnets: subnetIds,
      dropInvalidHeaderFields: true,
      tags: dashTags,
    });
    const targetGroup = new LbTargetGroup(this, "TargetGroup", {
      name: resourceName(prefix, ["kibana"], 32),
      port: KIBANA_PORT.port,
      protocol: "HTTP",
      targetType: "ip",
      vpcId,
      deregistrationDelay: "30",
      healthCheck: { path: "/api/status", matcher: "200", interval: 30, healthyThreshold: 2, unhealthyThreshold: 5 },
      tags: dashTags,
    });
    const listener = new LbListener(this, "Listener", {
      loadBalancerArn: this.loadBalancer.arn,
      port: listenerPort.port,
      protocol: https ? "HTTPS" : "HTTP",
      ...(https ? { certificateArn: props.dashboard.certificateArn, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" } : {}),
      defaultAction: [{ type: "forward", targetGroupArn: targetGroup.arn }],
      tags: dashTags,
    });
    if (https) {
      new LbListener(this, "RedirectListener", {
        loadBalancerArn: this.loadBalancer.arn,
        port: 80,
        protocol: "HTTP",
        defaultAction: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }],
        tags: dashTags,
      });
    }
    const kibana = new FargateWorkload(this, "Kibana", {
      ...common,
      serviceName: resourceName(prefix, ["kibana"]),
      cpu: 1024,
      memory: 2048,
      containers: [
        {
          name: "kibana",
          image: images.kibana,
          ports: [KIBANA_PORT],
          environment: { ELASTICSEARCH_HOSTS: JSON.stringify([esUrl]), TELEMETRY_OPTIN: "false" },
        },
      ],
      capacityProvider: "FARGATE",
      discovery: { namespaceId: namespace.id, name: "kibana" },
      loadBalancer: { targetGroupArn: targetGroup.arn, containerName: "kibana", containerPort: KIBANA_PORT.port },
      tags: elasticTags,
      // ECS rejects a service whose target group is not yet attached to a listener.
      dependsOn: [...common.dependsOn, listener],
    });
    new VpcSecurityGroupEgressRule(this, "DashboardEgress", {
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

    // WAF IP sets cannot hold /0: an opted-in world-open list becomes the two halves of the space.
    const wafAddresses = v4.flatMap((c) => (isWorldOpen(c) ? ["0.0.0.0/1", "128.0.0.0/1"] : [c.canonical]));
    const ipSet = new Wafv2IpSet(this, "AllowList", {
      name: resourceName(prefix, ["dashboard", "allow"]),
      description: "lure: clients allowed to reach the dashboard",
      scope: "REGIONAL",
      ipAddressVersion: "IPV4",
      addresses: wafAddresses,
      tags: dashTags,
    });
    const metric = (name: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: name });
    this.webAcl = new Wafv2WebAcl(this, "WebAcl", {
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
      tags: wafAddresses.length > v4.filter((c) => !isWorldOpen(c)).length ? { ...dashTags, [TAG_KEYS.worldOpen]: "accepted" } : dashTags,
    });
    new Wafv2WebAclAssociation(this, "WebAclAssociation", { resourceArn: this.loadBalancer.arn, webAclArn: this.webAcl.arn });

    this.dashboardUrl = `${https ? "https" : "http"}://${this.loadBalancer.dnsName}`;
    this.publicIpSource = {
      cloud: "aws",
      region: this.region,
      clusterName: this.cluster.name,
      clusterArn: this.cluster.arn,
      services: Object.fromEntries(planned.filter((p) => p.published.length > 0).map((p) => [p.entry.name, p.descriptor.serviceName])),
    };
  }

  private plan(name: string, override: HoneypotOverride, repository?: EcrRepository): PlannedHoneypot {
    const entry = catalogEntry(name);
    const plan = planPorts(entry.ports, FARGATE_PORTS, override.ports);
    // A private repository serves the modified image under the catalog's tag (e.g. 24.04.1).
    const tag = entry.image.slice(entry.image.lastIndexOf(":") + 1);
    const image = override.image ?? (repository ? `${repository.repositoryUrl}:${tag}` : entry.image);
    const size = defaultSize(name);
    return {
      entry,
      override,
      image,
      published: plan.published,
      size: { cpu: override.cpu ?? size.cpu, memory: override.memory ?? size.memory },
      descriptor: {
        name,
        image,
        ports: plan.published,
        portChanges: plan.changes,
        serviceName: resourceName(this.prefix, ["hp", name]),
      },
    };
  }

  private serviceArn(serviceName: string): string {
    return `arn:${this.partition}:ecs:${this.region}:${this.accountId}:service/${this.cluster.name}/${serviceName}`;
  }

  discoveryAccess(): AccessGrant {
    return {
      cloud: "aws",
      statements: [
        { Sid: "ListHoneypotTasks", Effect: "Allow", Action: ["ecs:ListTasks"], Resource: ["*"], Condition: { ArnEquals: { "ecs:cluster": this.cluster.arn } } },
        { Sid: "DescribeHoneypotTasks", Effect: "Allow", Action: ["ecs:DescribeTasks"], Resource: [`arn:${this.partition}:ecs:${this.region}:${this.accountId}:task/${this.cluster.name}/*`] },
        // DescribeNetworkInterfaces supports no resource-level permissions.
        { Sid: "ReadTaskPublicIps", Effect: "Allow", Action: ["ec2:DescribeNetworkInterfaces"], Resource: ["*"] },
      ],
    };
  }

  rotationAccess(honeypots?: readonly string[]): AccessGrant {
    const source = this.publicIpSource.cloud === "aws" ? this.publicIpSource.services : {};
    const names = honeypots ?? Object.keys(source);
    const unknown = names.filter((n) => !(n in source));
    if (unknown.length > 0) throw new Error(`${this.node.path}: cannot grant rotation of ${unknown.join(", ")}: not a public honeypot of this honeynet`);
    return {
      cloud: "aws",
      statements: [{ Sid: "RotateHoneypots", Effect: "Allow", Action: ["ecs:UpdateService"], Resource: names.map((n) => this.serviceArn(source[n])) }],
    };
  }
}

/**
 * A honeypot's catalog environment without T-Pot's hpfeeds placeholders (server `*.example.com`,
 * secret "pass"): they point at a feed that does not exist and would put a dummy secret into state.
 */
export function honeypotEnvironment(env: Readonly<Record<string, string>>): Record<string, string> {
  const placeholderFeed = /(^|\.)example\.(com|org|net)$/.test(env.HPFEEDS_SERVER ?? "");
  return Object.fromEntries(Object.entries(env).filter(([k]) => !(placeholderFeed && k.startsWith("HPFEEDS_"))));
}

/** A Logstash file input and the log folder it reads. */
export interface LogstashInput {
  readonly folder: string;
  readonly path: string;
  readonly type: string;
  readonly codec: "json" | "plain";
}

/**
 * The catalog's log inputs for these honeypots, each once, with the log folder that holds it. A group
 * shares folders (snare's events are in tanner's log), so the folder may belong to another member.
 */
export function logstashInputs(entries: readonly CatalogHoneypot[]): LogstashInput[] {
  const folders = entries.flatMap((e) => e.logFolders.map((f) => f.folder));
  const out = new Map<string, LogstashInput>();
  for (const e of entries) {
    for (const input of e.logInputs) {
      const folder = folders.find((f) => input.path.startsWith(`/data/${f}/`));
      if (!folder) throw new Error(`catalog: ${e.name} logs to ${input.path}, which no deployed honeypot writes`);
      out.set(input.path, { folder, ...input });
    }
  }
  return [...out.values()];
}

/** A Logstash pipeline that tails the honeypot logs and indexes them as T-Pot does (`logstash-*`). */
export function logstashPipeline(inputs: readonly LogstashInput[], elasticsearchUrl: string): string {
  const files = inputs.map(
    (i) => `  file { path => "${i.path}" type => "${i.type}" codec => ${i.codec} start_position => "beginning" mode => "tail" }`,
  );
  return [
    "input {",
    ...files,
    "}",
    "output {",
    `  elasticsearch { hosts => ["${elasticsearchUrl}"] index => "logstash-%{+YYYY.MM.dd}" }`,
    "}",
  ].join("\n");
}
