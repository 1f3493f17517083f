/** The AWS stacks lure synthesizes from a validated config. */
import { Fn, TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { AwsStack } from "../../providers/aws";
import { analyticsRole, ConfigError, honeynetPropsFor, type LureConfig } from "../core/config";
import { HIVE_PORT, HIVE_SENSOR_BUNDLE, type HiveTarget } from "../core/hive";
import { resourceName } from "../core/naming";
import { watcherPropsFor } from "../core/validate";
import { quarantineProps, quarantinePropsProblems } from "../core/quarantine-runtime";
import { AwsHoneynet } from "./honeynet";
import { AwsQuarantine, MODE_ITEM_KEY, QUARANTINE_PARTITION } from "./quarantine";
import { AwsWatcher } from "./watcher";

type AwsCloudConfig = NonNullable<LureConfig["clouds"]["aws"]>;

/** `aws-honeynet`: the honeynet (a hive's sensor has no Elastic stack or dashboard) and, unless disabled, its watcher. */
export class AwsHoneynetStack extends AwsStack {
  readonly honeynet: AwsHoneynet;
  readonly watcher?: AwsWatcher;

  /** `hive`: where the honeypots ship when `honeynet.analytics.hive` names another cloud (ignored otherwise). */
  constructor(scope: Construct, id: string, config: LureConfig, aws: AwsCloudConfig, hive?: HiveTarget) {
    super(scope, id, { prefix: config.prefix, region: aws.region, tags: { ...config.tags, ...aws.tags }, ...(aws.backend ? { backend: aws.backend } : {}) });
    const hn = config.honeynet;
    const sensor = hive !== undefined && analyticsRole(config, "aws") === "sensor";
    // The hive's address is a value of its stack: cdktf makes it remote state here.
    if (sensor) this.readFromOtherStacks();
    this.honeynet = new AwsHoneynet(this, "Honeynet", {
      ...honeynetPropsFor(config, "aws"),
      ...(sensor ? { hive } : {}),
      imageRepositories: hn.imageRepositories,
      flowLogs: hn.flowLogs,
      logRetentionDays: hn.logRetentionDays,
    });
    const output = (id: string, value: string, description: string) => new TerraformOutput(this, id, { value, description });
    if (this.honeynet.dashboardUrl) output("dashboard_url", this.honeynet.dashboardUrl, "Kibana, reachable only from honeynet.dashboard.allowCidrs");
    if (this.honeynet.attackMapUrl) output("attack_map_url", this.honeynet.attackMapUrl, "T-Pot's attack map, reachable only from honeynet.dashboard.allowCidrs");
    output("cluster_name", this.honeynet.cluster.name, "ECS cluster running the honeypots");
    if (this.honeynet.hive) {
      output("hive_endpoint", `${this.honeynet.hive.address}:${HIVE_PORT}`, "The hive's TLS input: where the other clouds' honeypot hosts ship (client certificate required)");
      output("hive_secret", this.honeynet.hive.secret.name, "Secrets Manager secret of the hive's TLS credential: write it with npm run hive:credentials (the hive's Logstash starts once it has a value)");
    }
    const shipper = this.honeynet.sensor;
    if (shipper) {
      output("hive_secret", shipper.secret.name, "Secrets Manager secret of the sensors' TLS credential: no value until you store one; the shipper starts once it has one");
      // ECS retries the task on its own; the second command starts one now rather than at its next try.
      output(
        "hive_credential_command",
        `aws secretsmanager put-secret-value --region ${aws.region} --secret-id ${shipper.secret.name} --secret-string file://${HIVE_SENSOR_BUNDLE}` +
          ` && aws ecs update-service --region ${aws.region} --cluster ${this.honeynet.cluster.name} --service ${shipper.serviceName} --force-new-deployment`,
        "Stores the sensors' credential that npm run hive:credentials wrote (delete the file afterwards) and starts the shipper",
      );
    }
    new TerraformOutput(this, "honeypot_services", {
      value: Object.fromEntries(this.honeynet.honeypots.map((h) => [h.name, h.serviceName])),
      description: "Honeypot name to ECS service name (public IPs change with every new task: see the README)",
    });

    if (this.honeynet.imageRepositories.size > 0) {
      const cluster = this.honeynet.cluster.name;
      new TerraformOutput(this, "image_repositories", {
        value: Object.fromEntries(
          [...this.honeynet.imageRepositories].map(([name, r]) => [
            name,
            {
              image: r.image,
              push: `aws ecr get-login-password --region ${aws.region} | docker login --username AWS --password-stdin ${Fn.element(Fn.split("/", r.repositoryUrl), 0)} && docker push ${r.image}`,
              start: `aws ecs update-service --region ${aws.region} --cluster ${cluster} --service ${r.serviceName} --desired-count 1`,
            },
          ]),
        ),
        description: "Honeypots that run a modified image from lure's ECR repositories: their services start with no task; build and tag the image as `image`, run `push`, then `start`",
      });
    }

    const w = config.watcher;
    if (!w.enabled) return;
    this.watcher = new AwsWatcher(this, "Watcher", watcherPropsFor(config, this.honeynet));
    output("watcher_results", this.watcher.resultsLocation, "Shodan lookup results: results/<ip>/<time>.json (history) and latest/<ip>.json");
    output("watcher_api_key_secret", this.watcher.apiKeySecretName, "Secrets Manager secret created empty: put the Shodan API key in it (README: Setting the Shodan API key)");
    output("watcher_alert_topic", this.watcher.topic.arn, "SNS topic of exposure alerts");
    if (this.watcher.censysSecretName) {
      output("watcher_censys_secret", this.watcher.censysSecretName, "Secrets Manager secret created empty: put the Censys Personal Access Token in it (README: What the Watcher tells you)");
    }
    new TerraformOutput(this, "watcher_dead_letter_queue", {
      value: { url: this.watcher.deadLetterQueue.url, arn: this.watcher.deadLetterQueue.arn },
      description: "Lookups that failed 5 times (each cycle alerts while any are there); inspect with the URL, redrive with the ARN",
    });
    output(
      "watcher_alert_email",
      w.alertEmail ? `${w.alertEmail}: confirm the subscription e-mail from AWS Notifications, or no alert is delivered` : "none: set watcher.alertEmail to get alerts by e-mail",
      "Where exposure alerts are e-mailed",
    );
  }
}

/** `aws-quarantine`: a web service (the demo, or an existing one) with honeypot copies and the scan → steer loop. */
export class AwsQuarantineStack extends AwsStack {
  readonly quarantine: AwsQuarantine;

  constructor(scope: Construct, id: string, config: LureConfig, aws: AwsCloudConfig) {
    // What the schema cannot see (the functions' environment size, above all) is checked on the props,
    // and reported with the config's paths before anything is created.
    const props = quarantineProps(config);
    const problems = quarantinePropsProblems(props, aws.region);
    if (problems.length > 0) throw new ConfigError(id, problems.map((p) => ({ ...p, path: `quarantine.${p.path}` })));
    super(scope, id, { prefix: config.prefix, region: aws.region, tags: { ...config.tags, ...aws.tags }, ...(aws.backend ? { backend: aws.backend } : {}) });
    const q = (this.quarantine = new AwsQuarantine(this, "Quarantine", props));
    const demo = config.quarantine.target === "demo";
    new TerraformOutput(this, "quarantine_endpoint", {
      value: q.endpoint,
      description: demo ? "The demo site; scanners of it are sent to the honeypot copies" : "Your service's listener, whose rules lure manages in its priority band",
    });
    new TerraformOutput(this, "quarantine_mode_table", { value: q.stateStoreName, description: "DynamoDB table of the mode, quarantined sources and detector state" });
    const modeFunction = resourceName(config.prefix, ["quarantine-mode"], 64);
    const detectorFunction = resourceName(config.prefix, ["quarantine-detector"], 64);
    const table = `--region ${aws.region} --table-name ${q.stateStoreName}`;
    new TerraformOutput(this, "quarantine_watch_mode", {
      value: {
        mode: `aws dynamodb get-item ${table} --key '${JSON.stringify({ pk: { S: MODE_ITEM_KEY.pk }, sk: { S: MODE_ITEM_KEY.sk } })}'`,
        quarantined: `aws dynamodb query ${table} --key-condition-expression "pk = :q" --expression-attribute-values '${JSON.stringify({ ":q": { S: QUARANTINE_PARTITION } })}'`,
        mode_changes: `aws logs tail /aws/lambda/${modeFunction} --follow --region ${aws.region}`,
        detections: `aws logs tail /aws/lambda/${detectorFunction} --follow --region ${aws.region}`,
      },
      description: "Commands to watch the mode and list the quarantined sources (flow logs reach the detector minutes after the traffic)",
    });
    new TerraformOutput(this, "quarantine_copies", {
      value: q.copiesName,
      // Descriptions must be literal: no resource attributes in them.
      description: q.copyService ? `ECS service of the honeypot copies in cluster ${q.clusterName}` : "Auto Scaling group of the honeypot copies",
    });
    new TerraformOutput(this, "quarantine_copies_security_group", {
      value: q.copySecurityGroup.id,
      description: demo ? "Security group of the honeypot copies" : "Security group of the honeypot copies: your load balancer's group needs egress to it on the copies' port (README)",
    });
    new TerraformOutput(this, "quarantine_dead_letter_queue", {
      value: { url: q.deadLetterQueue.url, arn: q.deadLetterQueue.arn },
      description: "Flow-log batches the detector failed on after Lambda's retries",
    });
  }
}
