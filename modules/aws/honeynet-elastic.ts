/**
 * The Elastic services of `AwsHoneynet`: Elasticsearch (single node, data on EFS) and Logstash (T-Pot's
 * image with T-Pot's pipeline as shipped: its file inputs read the honeypot logs, mounted read-only at
 * T-Pot's paths `/data/<folder>`), each a Fargate service registered in Cloud Map and replaced
 * stop-first. T-Pot's pipeline and entrypoint reach `elasticsearch:9200` by its short name: the Cloud
 * Map namespace is the VPC's search domain (network.ts). Kibana belongs to the dashboard part. Created
 * in the honeynet's scope (construct ids are the honeynet's).
 */
import type { Construct } from "constructs";
import type { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import type { CatalogHoneypot, PublishedPort } from "../core/catalog";
import { elasticSizeSpec, fargateMemoryMb, javaHeap, tpotLogstashEnvironment, tpotLogstashStartScript, type ElasticSize } from "../core/analytics";
import { logstashInputs, type elasticImages } from "../core/elastic";
import { resourceName, slug } from "../core/naming";
import type { ServiceBase } from "./honeynet-honeypots";
import type { LogStorage, TagsFor } from "./honeynet-logs";
import { serviceRole } from "./iam";
import { rolePolicyOf } from "./lambda";
import { FargateWorkload, terraformLiteral } from "./workload";

export const ES_PORT: PublishedPort = { port: 9200, protocol: "tcp" };

export interface ElasticServicesProps {
  readonly prefix: string;
  readonly base: ServiceBase;
  readonly storage: LogStorage;
  readonly honeypots: readonly CatalogHoneypot[];
  readonly namespaceId: string;
  readonly images: ReturnType<typeof elasticImages>;
  /** @default "standard" */
  readonly size?: ElasticSize;
  /** `t-pot_hostname` of the indexed events. */
  readonly hostname: string;
  readonly accountId: string;
  readonly tagsFor: TagsFor;
}

export interface ElasticServices {
  readonly elasticsearch: FargateWorkload;
  readonly logstash: FargateWorkload;
}

export function elasticServices(scope: Construct, props: ElasticServicesProps): ElasticServices {
  const { prefix, storage } = props;
  const size = elasticSizeSpec(props.size);
  const tags = props.tagsFor("elastic");
  /** Read-write on the service's own data, mount-only (read) on the honeypot logs it indexes. */
  const role = (name: string, data: EfsAccessPoint, readOnly: readonly EfsAccessPoint[] = []) =>
    serviceRole(scope, `TaskRole-${name}`, {
      name: resourceName(prefix, ["honeynet", name]),
      service: "ecs-tasks.amazonaws.com",
      accountId: props.accountId,
      tags,
      statements: [
        storage.access("ReadWriteOwnData", true, [data.arn]),
        ...(readOnly.length > 0 ? [storage.access("ReadHoneypotLogs", false, readOnly.map((a) => a.arn))] : []),
      ],
    });

  const esData = storage.accessPoint("AccessPoint-elasticsearch", "elasticsearch/data", "elastic");
  const elasticsearch = new FargateWorkload(scope, "Elasticsearch", {
    ...props.base,
    serviceName: resourceName(prefix, ["elasticsearch"]),
    extraSecurityGroupIds: [storage.clientGroup.id],
    taskRoleArn: role("elasticsearch", esData).arn,
    cpu: size.awsCpu.elasticsearch,
    memory: fargateMemoryMb(size.elasticsearchHeapMb),
    containers: [
      {
        name: "elasticsearch",
        image: props.images.elasticsearch,
        ports: [ES_PORT],
        // Fargate: no IPC_LOCK (so no memory lock) and no vm.max_map_count (so no mmap store).
        environment: {
          "discovery.type": "single-node",
          "bootstrap.memory_lock": "false",
          "node.store.allow_mmap": "false",
          "xpack.security.enabled": "false",
          "cluster.name": resourceName(prefix, ["honeynet"]),
          ES_JAVA_OPTS: javaHeap(size.elasticsearchHeapMb),
        },
        ulimits: [{ name: "nofile", softLimit: 65535, hardLimit: 65535 }],
        mounts: [{ volume: "data", containerPath: "/usr/share/elasticsearch/data" }],
      },
    ],
    volumes: [{ name: "data", accessPoint: esData, fileSystemId: storage.fileSystem.id }],
    capacityProvider: "FARGATE",
    stateful: true,
    discovery: { namespaceId: props.namespaceId, name: "elasticsearch" },
    tags,
    dependsOn: [...(props.base.dependsOn ?? []), rolePolicyOf(scope, "TaskRole-elasticsearch")],
  });

  const lsData = storage.accessPoint("AccessPoint-logstash", "logstash/data", "elastic");
  const inputs = logstashInputs(props.honeypots);
  const folders = [...new Set(inputs.map((i) => i.folder))];
  const logs = (f: string) => storage.logAccessPoints.get(f)!;
  const logstash = new FargateWorkload(scope, "Logstash", {
    ...props.base,
    serviceName: resourceName(prefix, ["logstash"]),
    extraSecurityGroupIds: [storage.clientGroup.id],
    taskRoleArn: role("logstash", lsData, folders.map(logs)).arn,
    cpu: size.awsCpu.logstash,
    memory: fargateMemoryMb(size.logstashHeapMb),
    containers: [
      {
        name: "logstash",
        image: props.images.logstash,
        // lure's start script, then T-Pot's entrypoint with T-Pot's pipelines as the image ships them;
        // the file inputs of honeypots not deployed here find no file and stay idle.
        entryPoint: ["/bin/bash", "-c"],
        command: [terraformLiteral(tpotLogstashStartScript())],
        environment: tpotLogstashEnvironment({ hostname: props.hostname, heapMb: size.logstashHeapMb }),
        mounts: [
          { volume: "data", containerPath: "/usr/share/logstash/data" },
          ...folders.map((f) => ({ volume: `logs-${slug(f)}`, containerPath: `/data/${f}`, readOnly: true })),
        ],
      },
    ],
    volumes: [
      { name: "data", accessPoint: lsData, fileSystemId: storage.fileSystem.id },
      ...folders.map((f) => ({ name: `logs-${slug(f)}`, accessPoint: logs(f), fileSystemId: storage.fileSystem.id })),
    ],
    capacityProvider: "FARGATE",
    stateful: true,
    discovery: { namespaceId: props.namespaceId, name: "logstash" },
    tags,
    dependsOn: [...(props.base.dependsOn ?? []), rolePolicyOf(scope, "TaskRole-logstash")],
  });
  return { elasticsearch, logstash };
}
