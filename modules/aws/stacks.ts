/** The AWS stacks lure synthesizes from a validated config. */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { AwsStack } from "../../providers/aws";
import { selectedHoneypots, type LureConfig } from "../core/config";
import { AwsHoneynet } from "./honeynet";
import { AwsWatcher } from "./watcher";

type AwsCloudConfig = NonNullable<LureConfig["clouds"]["aws"]>;

/** `aws-honeynet`: the honeynet and, unless disabled, its watcher. */
export class AwsHoneynetStack extends AwsStack {
  readonly honeynet: AwsHoneynet;
  readonly watcher?: AwsWatcher;

  constructor(scope: Construct, id: string, config: LureConfig, aws: AwsCloudConfig) {
    super(scope, id, { prefix: config.prefix, region: aws.region, tags: { ...config.tags, ...aws.tags }, ...(aws.backend ? { backend: aws.backend } : {}) });
    const hn = config.honeynet;
    this.honeynet = new AwsHoneynet(this, "Honeynet", {
      prefix: config.prefix,
      honeypots: selectedHoneypots(config),
      dashboard: hn.dashboard,
      capacity: hn.capacity,
      overrides: hn.overrides,
      elasticVersion: hn.elastic.version,
      elasticImages: hn.elastic.images,
      imageRepositories: hn.imageRepositories,
      networkCidr: hn.networkCidr,
      logRetentionDays: hn.logRetentionDays,
    });
    const output = (id: string, value: string, description: string) => new TerraformOutput(this, id, { value, description });
    output("dashboard_url", this.honeynet.dashboardUrl, "Kibana, reachable only from honeynet.dashboard.allowCidrs");
    output("cluster_name", this.honeynet.cluster.name, "ECS cluster running the honeypots");
    new TerraformOutput(this, "honeypot_services", {
      value: Object.fromEntries(this.honeynet.honeypots.map((h) => [h.name, h.serviceName])),
      description: "Honeypot name to ECS service name (public IPs change with every new task: see the README)",
    });

    const w = config.watcher;
    if (!w.enabled) return;
    this.watcher = new AwsWatcher(this, "Watcher", {
      prefix: config.prefix,
      honeynet: this.honeynet,
      schedule: w.schedule,
      ...(w.alertEmail ? { alertEmail: w.alertEmail } : {}),
      rotateOnExposure: w.rotateOnExposure,
      minRotationIntervalHours: w.minRotationIntervalHours,
      resultsRetentionDays: w.resultsRetentionDays,
      honeyscore: w.honeyscore,
      logRetentionDays: hn.logRetentionDays,
    });
    output("watcher_results", this.watcher.resultsLocation, "Shodan lookup results: results/<ip>/<time>.json (history) and latest/<ip>.json");
    output("watcher_api_key_secret", this.watcher.apiKeySecretName, "Secrets Manager secret created empty: put the Shodan API key in it (README: Setting the Shodan API key)");
    output("watcher_alert_topic", this.watcher.topic.arn, "SNS topic of exposure alerts");
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
