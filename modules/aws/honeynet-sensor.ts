/**
 * The shipper of `AwsHoneynet` as a hive's sensor (`hive`, from `honeynet.analytics.hive` naming another
 * cloud): one Fargate service running Filebeat, the shipper the VM honeynets run, that reads every
 * deployed honeypot's log folders from their EFS access points (read-only, at T-Pot's paths
 * `/data/<folder>`) and ships them over TLS with the sensors' client certificate to the hive's public
 * input. Its registry is on its own access point, so a new task resumes where the last one stopped.
 * Created in the honeynet's scope (construct ids are the honeynet's).
 *
 * The credential's value never passes through Terraform: the secret is created empty and ECS reads it
 * at task start into the container's environment, which the start script moves into files before
 * Filebeat starts. Until the secret has a value ECS cannot start the task and keeps trying (no circuit
 * breaker on this service), as for the hive's Logstash (honeynet-hive.ts).
 */
import type { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import type { CatalogHoneypot, PublishedPort } from "../core/catalog";
import { logstashInputs } from "../core/elastic";
import { HIVE_CREDENTIAL_KEYS, HIVE_LOGSTASH_ENV, HIVE_PORT, hiveFiles, hiveSecretName, type HiveTarget } from "../core/hive";
import { filebeatConfig } from "../core/host/honeypot-host";
import { toYaml } from "../core/host/yaml";
import { resourceName, slug } from "../core/naming";
import { HTTPS_OUT, type ServiceBase } from "./honeynet-honeypots";
import { TPOT_UID, type LogStorage, type TagsFor } from "./honeynet-logs";
import { serviceRole } from "./iam";
import { rolePolicyOf } from "./lambda";
import { AFTER_PREPARE, FargateWorkload, prepareVolumes, terraformLiteral } from "./workload";

/** Inside the shipper's container: its own scratch volume (the root file system is read-only), never EFS. */
export const SHIPPER_DIR = "/tmp/lure";
/** The filebeat.yml the start script writes. */
export const SHIPPER_CONFIG = `${SHIPPER_DIR}/filebeat.yml`;
/** The credential's files ({@link hiveFiles} of the sensor side), each 0600. */
export const SHIPPER_TLS_FILES = hiveFiles(`${SHIPPER_DIR}/tls`, "sensor");
/** Filebeat's data folder (its registry), on the shipper's own access point. */
export const SHIPPER_DATA = "/usr/share/filebeat/data";
/** The shipper's credential variables (ECS secrets): the names the hive's Logstash uses. */
export const SHIPPER_ENV = HIVE_LOGSTASH_ENV;

/** Stands for the hive's address in the rendered script, which is a token from the hive's stack. */
const ADDRESS_SLOT = "lure-hive-address.invalid";
const HEREDOC = "LURE_FILEBEAT_YML";

export interface HiveShipperProps {
  readonly prefix: string;
  readonly base: ServiceBase;
  readonly storage: LogStorage;
  /** The deployed honeypots: every log folder of theirs is shipped. */
  readonly honeypots: readonly CatalogHoneypot[];
  readonly hive: HiveTarget;
  /** Filebeat's image. */
  readonly image: string;
  /** `t-pot_hostname` of the events in the hive. */
  readonly sensorName: string;
  readonly logGroupArn: string;
  readonly accountId: string;
  readonly tagsFor: TagsFor;
}

export interface HiveShipper {
  /** The sensors' credential (JSON `ca`, `certificate`, `key`), written by the user. */
  readonly secret: SecretsmanagerSecret;
  readonly workload: FargateWorkload;
  /** The ECS service, for `aws ecs update-service --force-new-deployment` once the secret has a value. */
  readonly serviceName: string;
}

/**
 * The shipper's start script around `filebeatYml`: refuses to start while a credential variable is
 * empty, writes the credential into 0600 files and unsets the variables, writes filebeat.yml, then
 * execs Filebeat. The Terraform escaping is the caller's (the text holds `$` but no `${`).
 */
export function shipperStartScript(filebeatYml: string, secretName: string): string {
  if (filebeatYml.split("\n").includes(HEREDOC)) throw new Error(`shipperStartScript: filebeat.yml holds the line ${HEREDOC}`);
  const env = Object.values(SHIPPER_ENV).join(" ");
  const dir = SHIPPER_TLS_FILES.ca.slice(0, SHIPPER_TLS_FILES.ca.lastIndexOf("/"));
  return [
    "#!/bin/bash",
    "# lure: Filebeat shipping the honeypots' logs to the hive, over TLS with the sensors' client certificate.",
    "set -euo pipefail",
    `for v in ${env}; do`,
    `  [ -n "$(printenv "$v")" ] || { echo "lure: $v is empty: the secret ${secretName} has no value; write the sensors' credential with npm run hive:credentials, not starting" >&2; exit 1; }`,
    "done",
    "umask 077",
    `mkdir -p ${dir}`,
    ...HIVE_CREDENTIAL_KEYS.map((k) => `printf '%s\\n' "$${SHIPPER_ENV[k]}" > ${SHIPPER_TLS_FILES[k]}`),
    `unset ${env}`,
    // Quoted delimiter: bash expands nothing in the document.
    `cat > ${SHIPPER_CONFIG} <<'${HEREDOC}'`,
    filebeatYml.replace(/\n$/, ""),
    HEREDOC,
    `exec filebeat -e --strict.perms=true -c ${SHIPPER_CONFIG} --path.data ${SHIPPER_DATA}`,
    "",
  ].join("\n");
}

export function hiveShipper(scope: Construct, props: HiveShipperProps): HiveShipper {
  const { prefix, storage, hive } = props;
  const tags = props.tagsFor("logs");
  const port: PublishedPort = { port: hive.port ?? HIVE_PORT, protocol: "tcp" };
  const serviceName = resourceName(prefix, ["shipper"]);
  const secretName = hiveSecretName(prefix, "sensor");
  const secret = new SecretsmanagerSecret(scope, "HiveSensorSecret", {
    name: secretName,
    description: "lure: the sensors' TLS credential (JSON: ca, certificate, key in PEM), written with npm run hive:credentials, never by Terraform",
    recoveryWindowInDays: 7,
    tags,
  });
  // Its own execution role, the only one that may read the credential.
  const executionRole = serviceRole(scope, "ExecutionRole-shipper", {
    name: resourceName(prefix, ["honeynet", "shipper", "execution"]),
    service: "ecs-tasks.amazonaws.com",
    accountId: props.accountId,
    tags,
    statements: [
      { Sid: "WriteContainerLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${props.logGroupArn}:*`] },
      { Sid: "ReadSensorCredential", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secret.arn] },
    ],
  });

  const inputs = logstashInputs(props.honeypots);
  const folders = [...new Set(inputs.map((i) => i.folder))];
  const logs = (f: string) => storage.logAccessPoints.get(f)!;
  const registry = storage.accessPoint("AccessPoint-shipper", "shipper/data", "logs");
  const taskRole = serviceRole(scope, "TaskRole-shipper", {
    name: resourceName(prefix, ["honeynet", "shipper"]),
    service: "ecs-tasks.amazonaws.com",
    accountId: props.accountId,
    tags,
    statements: [storage.access("ReadWriteOwnData", true, [registry.arn]), storage.access("ReadHoneypotLogs", false, folders.map((f) => logs(f).arn))],
  });

  // The same Filebeat configuration as a sensor VM's, but files known by path: EFS gives no stable device id.
  const yml = toYaml(
    filebeatConfig(serviceName, inputs, { address: ADDRESS_SLOT, port: port.port }, { sensorName: props.sensorName, files: SHIPPER_TLS_FILES }, { fileIdentity: "path" }),
  );
  const pieces = shipperStartScript(yml, secretName).split(ADDRESS_SLOT);
  if (pieces.length !== 2) throw new Error(`hiveShipper: the hive's address should appear once in the start script, not ${pieces.length - 1} times`);
  // Escape the literal text only: the address may be a reference into the hive's stack.
  const script = pieces.map(terraformLiteral).join(hive.address);

  const workload = new FargateWorkload(scope, "Shipper", {
    ...props.base,
    serviceName,
    executionRoleArn: executionRole.arn,
    extraSecurityGroupIds: [storage.clientGroup.id],
    taskRoleArn: taskRole.arn,
    cpu: 256,
    memory: 512,
    containers: [
      prepareVolumes(["tmp"]),
      {
        name: "filebeat",
        image: props.image,
        // T-Pot's user: reads the 0750 log folders, writes its registry, nothing else.
        user: `${TPOT_UID}:${TPOT_UID}`,
        readonlyRootFilesystem: true,
        entryPoint: ["/bin/bash", "-c"],
        command: [script],
        secrets: Object.fromEntries(HIVE_CREDENTIAL_KEYS.map((k) => [SHIPPER_ENV[k], `${secret.arn}:${k}::`])),
        mounts: [
          { volume: "tmp", containerPath: "/tmp" },
          { volume: "data", containerPath: SHIPPER_DATA },
          ...folders.map((f) => ({ volume: `logs-${slug(f)}`, containerPath: `/data/${f}`, readOnly: true })),
        ],
        dependsOn: AFTER_PREPARE,
      },
    ],
    volumes: [
      { name: "tmp" },
      { name: "data", accessPoint: registry, fileSystemId: storage.fileSystem.id },
      ...folders.map((f) => ({ name: `logs-${slug(f)}`, accessPoint: logs(f), fileSystemId: storage.fileSystem.id })),
    ],
    capacityProvider: "FARGATE",
    // Filebeat locks its data folder: two tasks must not share the registry.
    stateful: true,
    // Its tasks cannot start until the user writes the secret (ECS fails to read it): keep trying
    // rather than stop after three failures, so shipping starts once the credential is there.
    circuitBreaker: false,
    tags,
    dependsOn: [...(props.base.dependsOn ?? []), rolePolicyOf(scope, "ExecutionRole-shipper"), rolePolicyOf(scope, "TaskRole-shipper")],
  });
  workload.allowEgress(port, { cidr: "0.0.0.0/0" }, "to the hive's TLS input");
  if (port.port !== HTTPS_OUT.port) workload.allowEgress(HTTPS_OUT, { cidr: "0.0.0.0/0" }, "image pulls and AWS APIs");
  return { secret, workload, serviceName };
}
