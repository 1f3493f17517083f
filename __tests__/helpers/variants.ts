/** The config variants every whole-stack check runs on: the default and the settings that change shape. */
import type { Json } from "./synth";

export const STACK_VARIANTS: readonly (readonly [string, (c: Json) => void])[] = [
  ["default (industrial)", () => {}],
  ["standard profile", (c) => (c.honeynet.profile = "standard")],
  // Settings that do not interact share a variant: every whole-stack check (terraform plan above all)
  // pays for each variant in full, and most of a variant's resources are the default's again.
  ["https, attack map, AWS hive, on-demand, repository, overrides, flow logs, watcher e-mail, rotation, cron schedule", (c) => {
    c.honeynet.dashboard.certificateArn = "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234";
    c.honeynet.analytics = { hive: "aws" };
    c.honeynet.attackMap = true;
    c.honeynet.capacity = "on-demand";
    c.honeynet.imageRepositories = ["cowrie"];
    c.honeynet.overrides = { cowrie: { cpu: 1024, memory: 2048, user: "0" } };
    c.honeynet.flowLogs = true;
    c.watcher = { schedule: "cron(0 */6 * * ? *)", alertEmail: "soc@example.org", rotateOnExposure: true, minRotationIntervalHours: 12 };
  }],
  ["explicit list with deprecated honeypots and elasticpot, s3 backend, world-open opt-in, no watcher, no quarantine", (c) => {
    c.honeynet.profile = ["rdpy", "honeysap", "cowrie", "elasticpot"];
    c.watcher = { enabled: false };
    c.quarantine = { enabled: false };
    c.clouds.aws.backend = { type: "s3", bucket: "my-state-bucket" };
    c.honeynet.dashboard = { ...c.honeynet.dashboard, allowCidrs: ["0.0.0.0/0"], allowWorldOpen: true };
  }],
];

/**
 * The hive on Azure or Google Cloud: AWS and the other VM cloud are its sensors. Whole-app checks only
 * (policy rules, references between stacks); AWS's offline plan of a sensor is in aws/sensor.test.ts.
 */
export const HIVE_VARIANTS: readonly (readonly [string, (c: Json) => void])[] = [
  ["Azure hive, sensor CIDRs", (c) => (c.honeynet.analytics = { hive: "azure", hiveAllowCidrs: ["192.0.2.0/24", "198.51.100.7/32"] })],
  ["Google Cloud hive, attack map asked for (not made: AWS is a sensor)", (c) => {
    c.honeynet.analytics = { hive: "gcp" };
    c.honeynet.attackMap = true;
  }],
];

/** An existing service behind an ALB, as `quarantine.target` names it (eu-west-2, the default region). */
export const EXISTING_TARGET = {
  listenerArn: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/shop/0123456789abcdef/fedcba9876543210",
  taskDefinitionArn: "arn:aws:ecs:eu-west-2:123456789012:task-definition/shop:7",
  vpcId: "vpc-0123456789abcdef0",
  subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
  containerName: "app",
  containerPort: 8080,
  albSecurityGroupId: "sg-0123456789abcdef0",
} as const;

/** The quarantine settings that change the shape of the aws-quarantine stack. */
export const QUARANTINE_VARIANTS: readonly (readonly [string, (c: Json) => void])[] = [
  ["quarantine: demo (default)", () => {}],
  ["quarantine: demo over https, asg copies with a hibernated warm pool", (c) => {
    c.quarantine.demo = { certificateArn: "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234", image: "public.ecr.aws/nginx/nginx-unprivileged:1.27.5-alpine", containerPort: 8080 };
    c.quarantine.copies = { kind: "asg", amiId: "ami-0123456789abcdef0", defenceCount: 3, normalCount: 1, warmPool: { state: "Hibernated" } };
  }],
  ["quarantine: demo with decoy image copies", (c) => (c.quarantine.copies = { kind: "ecs", image: "public.ecr.aws/nginx/nginx:1.27.5-alpine", defenceCount: 2 })],
  ["quarantine: existing target, ecs copies (task definition reused)", (c) => {
    c.quarantine.target = structuredClone(EXISTING_TARGET);
    c.quarantine.copies = { kind: "ecs", reuseTaskDefinition: true };
  }],
  // Decoy image copies behind an existing target: here, with the copy subnets isolated too.
  ["quarantine: existing target, isolated copy subnets", (c) => {
    c.quarantine.target = { ...structuredClone(EXISTING_TARGET), realSubnetCidrs: ["10.0.1.0/24", "10.0.2.0/24"], isolateSubnets: true };
    c.quarantine.copies = { kind: "ecs", image: "public.ecr.aws/nginx/nginx:1.27.5-alpine", containerPort: 80 };
  }],
  ["quarantine: existing target, asg copies", (c) => {
    c.quarantine.target = structuredClone(EXISTING_TARGET);
    c.quarantine.copies = { kind: "asg", amiId: "ami-0123456789abcdef0", instanceType: "t4g.small", warmPool: { minSize: 2, state: "Running" } };
  }],
];
