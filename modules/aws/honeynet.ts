/**
 * `AwsHoneynet` — T-Pot honeypots on ECS Fargate, each its own service with its own public IP, logs on
 * EFS, and an Elastic stack whose Kibana sits behind an ALB with a WAF allow-list. It reads as its parts,
 * each in its own file and all created in this construct's scope (so construct ids stay the honeynet's):
 * the network (network.ts), log storage (honeynet-logs.ts), the honeypots (honeynet-honeypots.ts), the
 * Elastic services (honeynet-elastic.ts) and the dashboard (honeynet-dashboard.ts); as the hive, its
 * input for the other clouds (honeynet-hive.ts). A hive's sensor (`hive`) has no Elastic services,
 * dashboard or attack map: a shipper sends the honeypots' logs to the hive (honeynet-sensor.ts).
 *
 * ```ts
 * const stack = new AwsStack(app, "aws-honeynet", { prefix: "lure", region: "eu-west-2" });
 * new AwsHoneynet(stack, "Honeynet", {
 *   honeypots: PROFILES.industrial,
 *   dashboard: { allowCidrs: ["198.51.100.0/24"], certificateArn: "arn:aws:acm:eu-west-2:123456789012:certificate/0d1e2f3a-example" },
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
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import type { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import type { EfsFileSystem } from "@cdktf/provider-aws/lib/efs-file-system";
import type { Lb } from "@cdktf/provider-aws/lib/lb";
import { ServiceDiscoveryPrivateDnsNamespace } from "@cdktf/provider-aws/lib/service-discovery-private-dns-namespace";
import type { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { AwsStack } from "../../providers/aws";
import { ConfigError, FARGATE_SIZES, type ConfigProblem } from "../core/config";
import type { AccessGrant, HoneynetProps, HoneypotDescriptor, IHoneynet, PublicIpSource } from "../core/interfaces";
import { componentTags, resourceName, slug } from "../core/naming";
import { assertHoneynetProps } from "../core/validate";
import { vpcFlowLog, type VpcFlowLog } from "./flow-log";
import { dashboard } from "./honeynet-dashboard";
import { analyticsHostname } from "../core/analytics";
import { DEFAULT_ELASTIC_VERSION, elasticImages } from "../core/elastic";
import { elasticServices } from "./honeynet-elastic";
import { honeypotServices, imageRepositories, planHoneypot, type PlannedHoneypot, type ServiceBase } from "./honeynet-honeypots";
import { logStorage, type TagsFor } from "./honeynet-logs";
import { serviceRole } from "./iam";
import { rolePolicyOf } from "./lambda";
import { PublicNetwork } from "./network";
import type { FargateWorkload } from "./workload";
import { hiveInput, type HiveInput } from "./honeynet-hive";
import { hiveShipper, type HiveShipper } from "./honeynet-sensor";
import { HIVE_BOTH_SIDES, HIVE_PORT, hiveTargetProblems, type HiveTarget } from "../core/hive";
import { logstashTargetProblems } from "../core/host/honeypot-host";

// The parts' public helpers, where callers have always found them.
export { FARGATE_PORTS, VOLUME_INIT_IMAGE, needsPortSysctl } from "./honeynet-honeypots";
export { honeypotEnvironment } from "../core/catalog";
export { logstashInputs, type LogstashInput } from "../core/elastic";
export { TPOT_UID } from "./honeynet-logs";

export interface AwsHoneynetProps extends HoneynetProps {}

/** What `hive` needs beyond {@link assertHoneynetProps}: a target that can be a hive, and no `hiveInput` beside it. */
export function awsSensorProblems(props: HoneynetProps): ConfigProblem[] {
  if (props.hive === undefined) return [];
  return [
    ...(props.hiveInput !== undefined ? [HIVE_BOTH_SIDES] : []),
    ...hiveTargetProblems("aws", props.hive),
    ...logstashTargetProblems("hive", props.hive),
  ];
}

export class AwsHoneynet extends Construct implements IHoneynet {
  readonly cloud = "aws" as const;
  readonly prefix: string;
  readonly honeypots: readonly HoneypotDescriptor[];
  /** Kibana behind the allow-list; none on a hive's sensor (its events are in the hive's Kibana). */
  readonly dashboardUrl?: string;
  /** The hive input (`hiveInput`): the other clouds' sensors ship here. */
  readonly hive?: HiveInput;
  /** Where the other clouds' sensors ship (`hiveInput`). */
  readonly hiveTarget?: HiveTarget;
  /** The shipper and the sensors' credential secret (`hive`). */
  readonly sensor?: HiveShipper;
  /** T-Pot's attack map (`https://<dashboard>:64299`), when `attackMap` is on. */
  readonly attackMapUrl?: string;
  readonly publicIpSource: PublicIpSource;
  readonly network: PublicNetwork;
  readonly cluster: EcsCluster;
  readonly fileSystem: EfsFileSystem;
  readonly logGroup: CloudwatchLogGroup;
  /** The dashboard's ALB; none on a hive's sensor. */
  readonly loadBalancer?: Lb;
  /** The dashboard's web ACL; none on a hive's sensor. */
  readonly webAcl?: Wafv2WebAcl;
  /** Honeypot name → its Fargate workload. */
  readonly workloads: ReadonlyMap<string, FargateWorkload>;
  /** Log folder (e.g. `cowrie/log`) → its EFS access point. */
  readonly logAccessPoints: ReadonlyMap<string, EfsAccessPoint>;
  /**
   * Honeypot → its private repository, the image its service runs, and the service (started with no task:
   * push the image, then start it).
   */
  /** The network's flow log and its log group (`flowLogs`). */
  readonly flowLog?: VpcFlowLog;
  readonly imageRepositories: ReadonlyMap<string, { readonly repositoryUrl: string; readonly image: string; readonly serviceName: string }>;
  private readonly region: string;
  private readonly accountId: string;
  private readonly partition: string;

  constructor(scope: Construct, id: string, props: AwsHoneynetProps) {
    super(scope, id);
    const stack = TerraformStack.of(this);
    assertHoneynetProps(this.node.path, props, stack instanceof AwsStack ? stack.region : undefined);
    if (!(stack instanceof AwsStack)) throw new Error(`${this.node.path}: AwsHoneynet must be created inside an AwsStack`);
    const sensorProblems = awsSensorProblems(props);
    if (sensorProblems.length > 0) throw new ConfigError(this.node.path, sensorProblems);
    this.prefix = props.prefix ?? stack.prefix;
    this.region = stack.region;
    this.accountId = stack.accountId;
    this.partition = stack.partition;
    const prefix = this.prefix;
    const userTags = { ...(props.tags ?? {}) };
    const tagsFor: TagsFor = (component, honeypot) => ({ ...userTags, ...componentTags(component, honeypot) });

    const repositories = imageRepositories(this, prefix, props.imageRepositories ?? [], tagsFor);
    const planned = props.honeypots.map((name) => planHoneypot(prefix, name, props.overrides?.[name] ?? {}, repositories.get(name)));
    this.checkSizes(planned);
    this.honeypots = planned.map((p) => p.descriptor);
    this.imageRepositories = new Map(
      planned.filter((p) => p.fromRepository).map((p) => [p.entry.name, { repositoryUrl: repositories.get(p.entry.name)!.repositoryUrl, image: p.image, serviceName: p.descriptor.serviceName }]),
    );
    for (const p of planned.filter((x) => x.fromRepository)) {
      Annotations.of(this).addInfo(
        `${p.entry.name}: runs tag ${p.image.slice(p.image.lastIndexOf(":") + 1)} of lure's repository ${slug(prefix)}/${slug(p.entry.name)}, which is empty at first, so its service starts with no task; ` +
          "push the image, then start the service (commands in the output image_repositories); a changed image needs a new tag (tags are immutable): set overrides." + p.entry.name + ".imageTag",
      );
    }
    for (const p of planned) {
      for (const c of p.descriptor.portChanges) Annotations.of(this).addInfo(`${p.entry.name}: ${c.reason}`);
      if (p.entry.deprecated) Annotations.of(this).addWarning(`${p.entry.name} is deprecated upstream: ${p.entry.deprecated}`);
    }

    // --- network, cluster, logs -----------------------------------------------------------------
    const namespaceName = `${slug(prefix)}-honeynet.internal`;
    this.network = new PublicNetwork(this, "Network", { prefix, cidr: props.networkCidr ?? "10.42.0.0/16", searchDomain: namespaceName, tags: tagsFor("network") });
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
    this.logGroup = new CloudwatchLogGroup(this, "LogGroup", { name: `/${slug(prefix)}/honeynet`, retentionInDays: props.logRetentionDays ?? 30, tags: tagsFor("logs") });
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
    const storage = logStorage(this, { prefix, vpcId, subnetIds, honeypots: planned.map((p) => p.entry), tagsFor });
    this.fileSystem = storage.fileSystem;
    this.logAccessPoints = storage.logAccessPoints;
    const namespace = new ServiceDiscoveryPrivateDnsNamespace(this, "Namespace", {
      name: namespaceName,
      vpc: vpcId,
      description: `lure: ${prefix} honeynet services`,
      tags: tagsFor("elastic"),
    });
    const base: ServiceBase = {
      clusterArn: this.cluster.arn,
      vpcId,
      subnetIds,
      executionRoleArn: executionRole.arn,
      logGroupName: this.logGroup.name,
      region: this.region,
      // A service started before its execution role may act, or before its subnets reach the internet,
      // fails to pull its image, and the circuit breaker then stops it after a green apply.
      dependsOn: [capacity, ...storage.mountTargets, rolePolicyOf(this, "ExecutionRole"), ...this.network.internetRoute],
    };

    // --- honeypots, then the Elastic services and dashboard, or a hive's sensor's shipper ----------
    const common = { prefix, base, namespaceId: namespace.id, accountId: this.accountId, tagsFor };
    this.workloads = honeypotServices(this, { ...common, planned, storage, capacity: props.capacity ?? "spot" });
    const hostname = analyticsHostname(prefix, "aws");
    if (props.hive !== undefined) {
      // The dashboard (and the attack map with it) is the hive's: `dashboard` and `attackMap` do not apply here.
      this.sensor = hiveShipper(this, {
        ...common,
        storage,
        honeypots: planned.map((p) => p.entry),
        hive: props.hive,
        // The shipper the sensor VMs run (honeypotHostCloudInit's `shipperImage`).
        image: `docker.elastic.co/beats/filebeat:${props.elasticVersion ?? DEFAULT_ELASTIC_VERSION}`,
        sensorName: hostname,
        logGroupArn: this.logGroup.arn,
      });
    } else {
      const images = elasticImages(props.elasticVersion, props.elasticImages);
      const elasticsearchUrl = `http://elasticsearch.${namespaceName}:9200`;
      const elastic = elasticServices(this, { ...common, storage, honeypots: planned.map((p) => p.entry), images, size: props.elasticSize, hostname });
      this.hive = props.hiveInput
        ? hiveInput(this, { ...common, vpcId, subnetIds, images, size: props.elasticSize, hostname, allowCidrs: props.hiveInput.allowCidrs, elasticsearch: elastic.elasticsearch, logGroupArn: this.logGroup.arn })
        : undefined;
      this.hiveTarget = this.hive ? { cloud: "aws", address: this.hive.address, port: HIVE_PORT } : undefined;
      const dash = dashboard(this, { ...common, path: this.node.path, dashboard: props.dashboard, vpcId, subnetIds, kibanaImage: images.kibana, elasticsearchUrl, elastic, attackMap: props.attackMap });
      this.loadBalancer = dash.loadBalancer;
      this.webAcl = dash.webAcl;
      this.dashboardUrl = dash.url;
      this.attackMapUrl = dash.attackMap?.url;
    }
    if (props.flowLogs) {
      // Research data, not a detector's input: the 10-minute aggregation keeps the record count (and the
      // CloudWatch bill) down; each record still has its own start and end times.
      this.flowLog = vpcFlowLog(this, {
        vpcId,
        logGroupName: `/${slug(prefix)}/honeynet/flow-logs`,
        name: resourceName(prefix, ["honeynet", "flow-logs"]),
        retentionDays: props.logRetentionDays ?? 30,
        aggregationSeconds: 600,
        accountId: this.accountId,
        tags: tagsFor("network"),
      });
    }
    this.publicIpSource = {
      cloud: "aws",
      region: this.region,
      clusterName: this.cluster.name,
      clusterArn: this.cluster.arn,
      services: Object.fromEntries(planned.filter((p) => p.published.length > 0).map((p) => [p.entry.name, p.descriptor.serviceName])),
    };
  }

  /** Fargate accepts only some cpu/memory pairs: refuse the others before anything is created. */
  private checkSizes(planned: readonly PlannedHoneypot[]): void {
    const problems = planned.flatMap((p) =>
      FARGATE_SIZES[p.size.cpu]?.includes(p.size.memory)
        ? []
        : [{ path: `overrides.${p.entry.name}`, message: `cpu ${p.size.cpu} with memory ${p.size.memory} MiB is not a Fargate task size` }],
    );
    if (problems.length > 0) throw new ConfigError(this.node.path, problems);
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
