/** The config variants every whole-stack check runs on: the default and the settings that change shape. */
import type { Json } from "./synth";

export const STACK_VARIANTS: readonly (readonly [string, (c: Json) => void])[] = [
  ["default (industrial)", () => {}],
  ["standard profile", (c) => (c.honeynet.profile = "standard")],
  ["https, on-demand, repository, overrides", (c) => {
    c.honeynet.dashboard.certificateArn = "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234";
    c.honeynet.capacity = "on-demand";
    c.honeynet.imageRepositories = ["cowrie"];
    c.honeynet.overrides = { cowrie: { cpu: 1024, memory: 2048, user: "0" } };
  }],
  ["explicit list with deprecated honeypots and elasticpot", (c) => (c.honeynet.profile = ["rdpy", "honeysap", "cowrie", "elasticpot"])],
  ["watcher: e-mail, rotation, cron schedule", (c) => {
    c.watcher = { schedule: "cron(0 */6 * * ? *)", alertEmail: "soc@example.org", rotateOnExposure: true, minRotationIntervalHours: 12 };
  }],
  ["s3 backend, world-open opt-in, no watcher", (c) => {
    c.watcher = { enabled: false };
    c.clouds.aws.backend = { type: "s3", bucket: "my-state-bucket" };
    c.honeynet.dashboard = { allowCidrs: ["0.0.0.0/0"], allowWorldOpen: true };
  }],
];
