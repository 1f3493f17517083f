/** The AWS stacks lure synthesizes from a validated config. */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { AwsStack } from "../../providers/aws";
import { selectedHoneypots, type LureConfig } from "../core/config";
import { AwsHoneynet } from "./honeynet";

type AwsCloudConfig = NonNullable<LureConfig["clouds"]["aws"]>;

/** `aws-honeynet`: the honeynet (and, from the watcher issue on, its watcher). */
export class AwsHoneynetStack extends AwsStack {
  readonly honeynet: AwsHoneynet;

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
  }
}
