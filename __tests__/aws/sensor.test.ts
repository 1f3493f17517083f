/** AwsHoneynet as a hive's sensor (`hive`): the honeypots on Fargate, their logs shipped over TLS to another cloud's hive, nothing of Elastic's. */
import { spawnSync } from "child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse } from "yaml";
import { App, Testing } from "cdktf";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { PROFILES, TPOT } from "../../modules/core/catalog";
import type { CloudName, LureConfig } from "../../modules/core/config";
import { DEFAULT_ELASTIC_VERSION, logstashInputs } from "../../modules/core/elastic";
import { HIVE_PORT, filebeatHiveTls, type HiveTarget } from "../../modules/core/hive";
import { checkStack } from "../../modules/core/policy";
import { policyViolations } from "../../modules/core/check";
import { AwsHoneynet } from "../../modules/aws/honeynet";
import { SHIPPER_CONFIG, SHIPPER_DATA, SHIPPER_DIR, SHIPPER_TLS_FILES } from "../../modules/aws/honeynet-sensor";
import { AwsHoneynetStack } from "../../modules/aws/stacks";
import { AwsStack } from "../../providers/aws";
import { configWith, danglingReferences, deref, ref, resources, type Json } from "../helpers/synth";
import { planOffline, terraformAvailable } from "../helpers/terraform";

const HIVE: HiveTarget = { cloud: "azure", address: "hive.example.net", port: HIVE_PORT };
const INDUSTRIAL = PROFILES.industrial;

/** The default config, validated, with `honeynet.analytics.hive` naming `cloud`. */
function sensorConfig(change: (c: Json) => void = () => {}, cloud: CloudName = "azure"): LureConfig {
  return configWith((c) => {
    change(c);
    c.honeynet.analytics = { ...c.honeynet.analytics, hive: cloud };
  });
}

function synthSensor(config: LureConfig = sensorConfig(), hive: HiveTarget = HIVE): { json: Json; stack: AwsHoneynetStack } {
  const app = Testing.app();
  const stack = new AwsHoneynetStack(app, "aws-honeynet", config, config.clouds.aws!, hive);
  return { json: JSON.parse(Testing.synth(stack)) as Json, stack };
}

const byName = (json: Json, type: string, name: string): [string, Json] => {
  const found = resources(json, type).filter(([, r]) => r.name === name || r.family === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const containersOf = (td: Json): Json[] => JSON.parse(td.container_definitions);
const policyOf = (json: Json, roleName: string): Json => JSON.parse(byName(json, "aws_iam_role_policy", roleName)[1].policy);
/** A Terraform string as Terraform writes it out: `$${` and `%%{` are literal `${` and `%{`. */
const unescape = (s: string) => s.replace(/([$%])\1\{/g, "$1{");
/** The filebeat.yml the start script writes (its quoted here-document). */
function filebeatYml(script: string): string {
  const m = /<<'LURE_FILEBEAT_YML'\n([\s\S]*?)\nLURE_FILEBEAT_YML\n/.exec(script);
  if (!m) throw new Error("no filebeat.yml here-document in the start script");
  return `${m[1]}\n`;
}

const deployed = INDUSTRIAL.map((n) => TPOT.honeypots[n]);
const INPUTS = logstashInputs(deployed);
const FOLDERS = [...new Set(INPUTS.map((i) => i.folder))];

describe("AwsHoneynet as a hive's sensor, industrial profile", () => {
  const { json, stack } = synthSensor();
  const honeynet = stack.honeynet;
  const [tdAddress, td] = byName(json, "aws_ecs_task_definition", "lure-shipper");
  const [, service] = byName(json, "aws_ecs_service", "lure-shipper");
  const [secretAddress, secret] = byName(json, "aws_secretsmanager_secret", "lure-hive-sensor");
  const filebeat = containersOf(td).find((c) => c.name === "filebeat")!;
  const script = unescape(filebeat.command[0]);

  it("has no Elasticsearch, Logstash, Kibana, dashboard load balancer, WAF, attack map or hive input", () => {
    for (const type of ["aws_lb", "aws_lb_listener", "aws_lb_target_group", "aws_wafv2_web_acl", "aws_wafv2_ip_set", "aws_wafv2_web_acl_association", "aws_service_discovery_service"]) {
      expect({ type, count: resources(json, type).length }).toEqual({ type, count: 0 });
    }
    const families = resources(json, "aws_ecs_task_definition").map(([, t]) => t.family as string);
    expect(families.sort()).toEqual([...honeynet.honeypots.map((h) => h.serviceName), "lure-shipper"].sort());
    expect(resources(json, "aws_ecs_service")).toHaveLength(INDUSTRIAL.length + 1);
    for (const gone of ["lure-elasticsearch", "lure-logstash", "lure-kibana", "lure-hive-logstash", "lure-attack-map"]) expect(families).not.toContain(gone);
    // EFS: the honeypots' log folders (cowrie's tty folder too, which no input reads) and the shipper's registry, nothing of Elastic's.
    const logFolders = [...new Set(deployed.flatMap((h) => h.logFolders.map((f) => `/${f.folder}`)))];
    expect(logFolders).toContain("/cowrie/log/tty");
    expect(resources(json, "aws_efs_access_point").map(([, a]) => a.root_directory.path).sort()).toEqual([...logFolders, "/shipper/data"].sort());
    expect(resources(json, "aws_iam_role").map(([, r]) => r.name).filter((n) => /elasticsearch|logstash|kibana|hive-execution/.test(n))).toEqual([]);
    expect(resources(json, "aws_secretsmanager_secret").map(([, s]) => s.name).sort()).toEqual(["lure-hive-sensor", "lure-watcher-shodan-api-key"]);
    expect(honeynet.dashboardUrl).toBeUndefined();
    expect(honeynet.loadBalancer).toBeUndefined();
    expect(honeynet.webAcl).toBeUndefined();
    expect(honeynet.attackMapUrl).toBeUndefined();
    expect(honeynet.hive).toBeUndefined();
    expect(honeynet.hiveTarget).toBeUndefined();
    expect(honeynet.sensor?.serviceName).toBe("lure-shipper");
  });

  it("keeps the honeypots, their log storage, network and cluster as an own-Elastic honeynet has them", () => {
    const own = JSON.parse(Testing.synth(new AwsHoneynetStack(Testing.app(), "aws-honeynet", configWith(), configWith().clouds.aws!))) as Json;
    const honeypotTasks = (j: Json) => Object.fromEntries(resources(j, "aws_ecs_task_definition").filter(([, t]) => t.tags["lure:component"] === "honeypot"));
    expect(honeypotTasks(json)).toEqual(honeypotTasks(own));
    for (const type of ["aws_vpc", "aws_subnet", "aws_efs_file_system", "aws_efs_mount_target", "aws_ecs_cluster"]) expect(json.resource[type]).toEqual(own.resource[type]);
  });

  it("runs Filebeat of the Elastic version as T-Pot's user, with the honeypots' log folders read-only and its registry on its own access point", () => {
    expect(containersOf(td).map((c) => c.name)).toEqual(["prepare-volumes", "filebeat"]);
    expect(filebeat).toMatchObject({
      image: `docker.elastic.co/beats/filebeat:${DEFAULT_ELASTIC_VERSION}`,
      user: "2000:2000",
      readonlyRootFilesystem: true,
      essential: true,
      entryPoint: ["/bin/bash", "-c"],
      portMappings: [],
      dependsOn: [{ containerName: "prepare-volumes", condition: "SUCCESS" }],
    });
    expect(filebeat.mountPoints).toEqual([
      { sourceVolume: "tmp", containerPath: "/tmp", readOnly: false },
      { sourceVolume: "data", containerPath: SHIPPER_DATA, readOnly: false },
      ...FOLDERS.map((f) => ({ sourceVolume: `logs-${f.replace(/\//g, "-").toLowerCase()}`, containerPath: `/data/${f}`, readOnly: true })),
    ]);
    expect(FOLDERS.sort()).toEqual(["conpot/log", "cowrie/log", "dicompot/log", "heralding/log", "medpot/log", "rdphoneypot/log"]);
    // Each log volume is the access point the honeypot writes through; the registry's is the shipper's own.
    const volumes = Object.fromEntries((td.volume as Json[]).map((v) => [v.name, v]));
    expect(Object.keys(volumes).sort()).toEqual(["data", "tmp", ...FOLDERS.map((f) => `logs-${f.replace(/\//g, "-")}`)].sort());
    expect(volumes.tmp).toEqual({ name: "tmp" });
    for (const f of FOLDERS) {
      const cfg = volumes[`logs-${f.replace(/\//g, "-")}`].efs_volume_configuration;
      expect(cfg).toMatchObject({ transit_encryption: "ENABLED", authorization_config: { iam: "ENABLED" } });
      expect(deref(json, cfg.authorization_config.access_point_id)[1].root_directory.path).toBe(`/${f}`);
    }
    const registry = deref(json, volumes.data.efs_volume_configuration.authorization_config.access_point_id)[1];
    expect(registry).toMatchObject({ posix_user: { uid: 2000, gid: 2000 }, root_directory: { path: "/shipper/data" } });
  });

  it("gets the sensors' credential from the empty secret at task start: ARNs in the task definition, no value anywhere", () => {
    expect(filebeat.secrets).toEqual([
      { name: "LURE_HIVE_CA", valueFrom: `\${${secretAddress}.arn}:ca::` },
      { name: "LURE_HIVE_CERTIFICATE", valueFrom: `\${${secretAddress}.arn}:certificate::` },
      { name: "LURE_HIVE_KEY", valueFrom: `\${${secretAddress}.arn}:key::` },
    ]);
    expect(filebeat.environment).toEqual([]);
    expect(secret).toMatchObject({ name: "lure-hive-sensor", recovery_window_in_days: 7 });
    expect(secret).not.toHaveProperty("secret_string");
    expect(resources(json, "aws_secretsmanager_secret_version")).toEqual([]);
    expect(JSON.stringify(json)).not.toMatch(/BEGIN [A-Z ]*(CERTIFICATE|PRIVATE KEY)/);
  });

  it("ships every deployed honeypot's log inputs with T-Pot's types, named lure-aws, to the hive over TLS with the client certificate", () => {
    const conf = parse(filebeatYml(script), { version: "1.1" }) as Json;
    expect(conf["filebeat.inputs"].map((i: Json) => [i.paths, i.fields.type])).toEqual(INPUTS.map((i) => [[i.path], i.type]));
    for (const i of conf["filebeat.inputs"]) {
      expect(i).toMatchObject({ type: "filestream", fields: { type: expect.any(String), lure_sensor: "lure-aws" }, fields_under_root: true });
      // EFS gives no stable device id: files are known by path, so a new task resumes from the registry.
      expect(i).toHaveProperty(["file_identity.path"], null);
    }
    expect(conf["output.logstash"]).toEqual({
      hosts: [`hive.example.net:${HIVE_PORT}`],
      "ssl.enabled": true,
      "ssl.certificate_authorities": [`${SHIPPER_DIR}/tls/ca.crt`],
      "ssl.certificate": `${SHIPPER_DIR}/tls/sensor.crt`,
      "ssl.key": `${SHIPPER_DIR}/tls/sensor.key`,
      "ssl.verification_mode": "certificate",
      "ssl.supported_protocols": ["TLSv1.2", "TLSv1.3"],
    });
    expect(conf["output.logstash"]).toEqual({ hosts: [`hive.example.net:${HIVE_PORT}`], ...filebeatHiveTls(SHIPPER_TLS_FILES) });
    expect(conf["http.enabled"]).toBe(false);
    expect(script).toContain(`exec filebeat -e --strict.perms=true -c ${SHIPPER_CONFIG} --path.data ${SHIPPER_DATA}`);
  });

  describe("its start script, run with bash", () => {
    let dir: string;
    const PEM = { LURE_HIVE_CA: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----", LURE_HIVE_CERTIFICATE: "-----BEGIN CERTIFICATE-----\nSENSOR\n-----END CERTIFICATE-----", LURE_HIVE_KEY: "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----" };
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "lure-shipper-"));
      // A fake filebeat on PATH: records its arguments and its environment.
      writeFileSync(join(dir, "filebeat"), `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/args"\nenv > "${dir}/env"\n`);
      chmodSync(join(dir, "filebeat"), 0o755);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const run = (env: Record<string, string>, work: string) =>
      // --norc: with a socket for stdin and no SHLVL, bash would read ~/.bashrc as if started by rshd.
      spawnSync("bash", ["--norc", "-c", script.split(SHIPPER_DIR).join(work)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { PATH: `${dir}:/usr/bin:/bin`, ...env } });

    it("is valid bash", () => {
      expect(spawnSync("bash", ["-n", "-c", script]).status).toBe(0);
    });

    it.each([
      ["every credential variable is missing", {}, "LURE_HIVE_CA"],
      ["the key is empty", { ...PEM, LURE_HIVE_KEY: "" }, "LURE_HIVE_KEY"],
    ])("refuses to start when %s", (_, env, name) => {
      const work = join(dir, `refused-${name}`);
      const r = run(env, work);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`lure: ${name} is empty: the secret lure-hive-sensor has no value; write the sensors' credential with npm run hive:credentials, not starting\n`);
      expect(spawnSync("test", ["-e", work]).status).toBe(1);
    });

    it("writes the credential into 0600 files, unsets the variables, writes filebeat.yml, then execs filebeat", () => {
      const work = join(dir, "full");
      const r = run(PEM, work);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
      const files = { LURE_HIVE_CA: "ca.crt", LURE_HIVE_CERTIFICATE: "sensor.crt", LURE_HIVE_KEY: "sensor.key" };
      for (const [v, f] of Object.entries(files)) {
        const path = join(work, "tls", f);
        expect(readFileSync(path, "utf8")).toBe(`${PEM[v as keyof typeof PEM]}\n`);
        expect(statSync(path).mode & 0o777).toBe(0o600);
      }
      expect(statSync(join(work, "tls")).mode & 0o777).toBe(0o700);
      const yml = readFileSync(join(work, "filebeat.yml"), "utf8");
      expect(yml).toBe(filebeatYml(script).split(SHIPPER_DIR).join(work));
      expect(statSync(join(work, "filebeat.yml")).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(dir, "args"), "utf8").trim().split("\n")).toEqual(["-e", "--strict.perms=true", "-c", join(work, "filebeat.yml"), "--path.data", SHIPPER_DATA]);
      const env = readFileSync(join(dir, "env"), "utf8");
      expect(env).not.toMatch(/LURE_HIVE_/);
      expect(env).not.toContain("BEGIN");
    });
  });

  it("has exact IAM: its own execution role reads the secret and writes its logs; its task role mounts the log folders and writes its registry", () => {
    const [, execRole] = deref(json, td.execution_role_arn);
    const [, taskRole] = deref(json, td.task_role_arn);
    expect(execRole.name).toBe("lure-honeynet-shipper-execution");
    expect(taskRole.name).toBe("lure-honeynet-shipper");
    for (const role of [execRole, taskRole]) {
      expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
        { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": expect.stringMatching(/caller_identity/) } } },
      ]);
    }
    const logGroup = resources(json, "aws_cloudwatch_log_group").find(([, g]) => g.name === "/lure/honeynet")![0];
    expect(policyOf(json, "lure-honeynet-shipper-execution").Statement).toEqual([
      { Sid: "WriteContainerLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`\${${logGroup}.arn}:*`] },
      { Sid: "ReadSensorCredential", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [`\${${secretAddress}.arn}`] },
    ]);
    const volumes = Object.fromEntries((td.volume as Json[]).filter((v) => v.efs_volume_configuration).map((v) => [v.name, v.efs_volume_configuration.authorization_config.access_point_id.replace(/\.id\}$/, ".arn}")]));
    const fileSystem = resources(json, "aws_efs_file_system")[0][0];
    expect(policyOf(json, "lure-honeynet-shipper").Statement).toEqual([
      { Sid: "ReadWriteOwnData", Effect: "Allow", Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], Resource: [`\${${fileSystem}.arn}`], Condition: { StringEquals: { "elasticfilesystem:AccessPointArn": [volumes.data] } } },
      {
        Sid: "ReadHoneypotLogs",
        Effect: "Allow",
        Action: ["elasticfilesystem:ClientMount"],
        Resource: [`\${${fileSystem}.arn}`],
        Condition: { StringEquals: { "elasticfilesystem:AccessPointArn": FOLDERS.map((f) => volumes[`logs-${f.replace(/\//g, "-")}`]) } },
      },
    ]);
    // No other role may read the secret.
    const readers = resources(json, "aws_iam_role_policy").filter(([, p]) => p.policy.includes(secretAddress)).map(([, p]) => p.name);
    expect(readers).toEqual(["lure-honeynet-shipper-execution"]);
  });

  it("reaches the hive on its port and AWS on 443, the file system as other tasks do, and admits nothing", () => {
    const [own, ...others] = service.network_configuration.security_groups as string[];
    expect(others).toEqual([ref(resources(json, "aws_security_group").find(([, g]) => g.name === "lure-honeynet-efs-client")![0])]);
    const ingress = resources(json, "aws_vpc_security_group_ingress_rule").filter(([, r]) => r.security_group_id === own);
    const egress = resources(json, "aws_vpc_security_group_egress_rule").filter(([, r]) => r.security_group_id === own);
    expect(ingress).toEqual([]);
    expect(egress.map(([, r]) => [r.ip_protocol, r.from_port, r.to_port, r.cidr_ipv4, r.referenced_security_group_id]).sort()).toEqual([
      ["tcp", 443, 443, "0.0.0.0/0", undefined],
      ["tcp", HIVE_PORT, HIVE_PORT, "0.0.0.0/0", undefined],
    ]);
    expect(service.network_configuration.assign_public_ip).toBe(true);
  });

  it("keeps trying to start until the secret has a value, one task at a time (Filebeat locks its registry)", () => {
    expect(service).toMatchObject({
      desired_count: 1,
      deployment_circuit_breaker: { enable: false, rollback: false },
      deployment_minimum_healthy_percent: 0,
      deployment_maximum_percent: 100,
      capacity_provider_strategy: [{ capacity_provider: "FARGATE", weight: 1 }],
      task_definition: ref(tdAddress, "arn"),
    });
    expect(resources(json, "aws_ecs_service").filter(([, s]) => s.deployment_circuit_breaker.enable === false).map(([, s]) => s.name)).toEqual(["lure-shipper"]);
    const policies = resources(json, "aws_iam_role_policy").filter(([, p]) => ["lure-honeynet-shipper", "lure-honeynet-shipper-execution"].includes(p.name)).map(([a]) => a);
    expect(service.depends_on).toEqual(expect.arrayContaining(policies));
  });

  it("tells the user which secret to fill and how, and has no dashboard output", () => {
    expect(Object.keys(json.output).sort()).toEqual(
      ["cluster_name", "hive_credential_command", "hive_secret", "honeypot_services", "watcher_alert_email", "watcher_alert_topic", "watcher_api_key_secret", "watcher_dead_letter_queue", "watcher_results"],
    );
    expect(json.output.hive_secret.value).toBe(`\${${secretAddress}.name}`);
    const cluster = resources(json, "aws_ecs_cluster")[0][0];
    expect(json.output.hive_credential_command.value).toBe(
      `aws secretsmanager put-secret-value --region eu-west-2 --secret-id \${${secretAddress}.name} --secret-string file://hive-credentials/sensor.json` +
        ` && aws ecs update-service --region eu-west-2 --cluster \${${cluster}.name} --service lure-shipper --force-new-deployment`,
    );
  });

  it("passes the policy rules", () => {
    expect(checkStack({ name: "aws-honeynet", json })).toEqual([]);
    expect(policyViolations([{ name: "aws-honeynet", stack: json } as never])).toEqual([]);
  });
});

describe("AwsHoneynet as a sensor, standard profile", () => {
  const config = sensorConfig((c) => (c.honeynet.profile = "standard"));
  const { json, stack } = synthSensor(config);
  const td = byName(json, "aws_ecs_task_definition", "lure-shipper")[1];
  const filebeat = containersOf(td).find((c) => c.name === "filebeat")!;

  it("reads exactly the deployed honeypots' log folders (a group's shared folder once) and registers only honeypots in Cloud Map", () => {
    const inputs = logstashInputs(stack.honeynet.honeypots.map((h) => TPOT.honeypots[h.name]));
    const folders = [...new Set(inputs.map((i) => i.folder))];
    expect(filebeat.mountPoints.filter((m: Json) => m.readOnly).map((m: Json) => m.containerPath)).toEqual(folders.map((f) => `/data/${f}`));
    const conf = parse(filebeatYml(unescape(filebeat.command[0])), { version: "1.1" }) as Json;
    expect(conf["filebeat.inputs"].map((i: Json) => [i.paths[0], i.fields.type])).toEqual(inputs.map((i) => [i.path, i.type]));
    expect(resources(json, "aws_service_discovery_service").map(([, d]) => d.tags["lure:component"])).toEqual(expect.arrayContaining(["honeypot"]));
    expect(resources(json, "aws_service_discovery_service").filter(([, d]) => d.tags["lure:component"] !== "honeypot")).toEqual([]);
    expect(checkStack({ name: "aws-honeynet", json })).toEqual([]);
  });
});

describe("refusals, before anything is created", () => {
  const props = { prefix: "lure", honeypots: ["cowrie"], dashboard: { allowCidrs: ["198.51.100.0/24"], allowPlaintext: true } };
  const attempt = (extra: Json) => {
    const stack = new AwsStack(Testing.app(), "s", { prefix: "lure", region: "eu-west-2" });
    let error: unknown;
    try {
      new AwsHoneynet(stack, "Honeynet", { ...props, ...extra });
    } catch (e) {
      error = e;
    }
    return { error: String(error), children: stack.node.tryFindChild("Honeynet")?.node.children.length };
  };

  it("refuses hive with hiveInput, and a hive on AWS itself, each named by its path", () => {
    const r = attempt({ hive: { cloud: "aws", address: "hive.example.net" }, hiveInput: { allowCidrs: ["0.0.0.0/0"] } });
    expect(r.error).toContain("Error: s/Honeynet: 2 problems");
    expect(r.error).toContain("  hiveInput: is set together with hive: a honeynet is either the hive (hiveInput) or a sensor shipping to another cloud's hive (hive); leave one out");
    expect(r.error).toMatch(/ {2}hive\.cloud: "aws" cannot be this honeynet's hive; a sensor ships to another cloud's hive: /);
    expect(r.children).toBe(0);
  });

  it("refuses a hive address that is not a host name", () => {
    const r = attempt({ hive: { cloud: "gcp", address: "hive.example.net; rm -rf /" } });
    expect(r.error).toContain("s/Honeynet: 1 problem");
    expect(r.error).toContain('hive.address: "hive.example.net; rm -rf /" is not an address');
    expect(r.children).toBe(0);
  });

  it("builds the own Elastic stack when the stack gets a hive but AWS is not a sensor", () => {
    const config = configWith();
    const { stack } = synthSensor(config);
    expect(stack.honeynet.sensor).toBeUndefined();
    expect(stack.honeynet.dashboardUrl).toBeDefined();
  });
});

describe("the hive's address from another stack", () => {
  const outdir = mkdtempSync(join(tmpdir(), "lure-sensor-"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("becomes remote state: the sensor stack reads it, and nothing dangles", () => {
    const app = new App({ outdir });
    const other = new AwsStack(app, "hive-stack", { prefix: "lure", region: "eu-west-2" });
    // Stands in for the hive's load balancer: any attribute of a resource in another stack.
    const address = new SqsQueue(other, "Hive", { name: "hive" }).name;
    const config = sensorConfig();
    new AwsHoneynetStack(app, "aws-honeynet", config, config.clouds.aws!, { cloud: "azure", address, port: HIVE_PORT });
    app.synth();
    const json = JSON.parse(readFileSync(join(outdir, "stacks", "aws-honeynet", "cdk.tf.json"), "utf8")) as Json;
    expect(Object.keys(json.data.terraform_remote_state ?? {})).toHaveLength(1);
    expect(danglingReferences(json)).toEqual([]);
    const td = byName(json, "aws_ecs_task_definition", "lure-shipper")[1];
    const script: string = containersOf(td).find((c) => c.name === "filebeat")!.command[0];
    expect(script).toMatch(/ {4}- "\$\{data\.terraform_remote_state\.[^}]+\}:64294"\n/);
    // Only the address is a reference: the rest of the script is escaped literal text.
    expect(script.match(/(?<!\$)\$\{/g)).toHaveLength(1);
  });
});

const tf = terraformAvailable();
(tf.ok ? describe : describe.skip)(`terraform plan of the sensor stack, offline (${tf.ok ? `hashicorp/aws ${tf.awsVersion}` : `skipped: ${tf.why}`})`, () => {
  it("plans", async () => {
    const { json } = synthSensor();
    const plan = await planOffline([{ name: "aws-honeynet as a sensor", stack: json }], tf.ok ? tf.awsVersion : "", 1);
    const r = plan.results.get("aws-honeynet as a sensor")!;
    const show = (d: { address?: string; summary: string; detail?: string }) => [d.address, d.summary, d.detail].filter(Boolean).join(": ");
    expect({ status: r.status, errors: r.diagnostics.filter((d) => d.severity === "error").map(show), general: plan.general.map(show) }).toEqual({ status: "pass", errors: [], general: [] });
  }, 300_000);
});
