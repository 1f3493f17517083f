/** What the summary tells a user to do next: the Terraform minimum (one constant, also in every stack and the README), documentation ranges. */
import { readFileSync } from "fs";
import { join } from "path";
import { formatSummary } from "../../modules/core/summary";
import { MIN_TERRAFORM_MINOR, MIN_TERRAFORM_VERSION } from "../../modules/core/toolchain";
import { configWith, ROOT, synthAwsHoneynet, synthAwsQuarantine } from "../helpers/synth";

test("the minimum is at least what the S3 backend's native locking needs (1.10)", () => {
  const [major, minor] = MIN_TERRAFORM_VERSION.split(".").map(Number);
  expect(major > 1 || (major === 1 && minor >= 10)).toBe(true);
});

test.each([
  ["aws-honeynet, local state", () => synthAwsHoneynet()],
  ["aws-honeynet, s3 state", () => synthAwsHoneynet(configWith((c) => (c.clouds.aws.backend = { type: "s3", bucket: "my-state-bucket" })))],
  ["aws-quarantine", () => synthAwsQuarantine()],
])("%s declares required_version", (_, synth) => {
  expect(synth().terraform.required_version).toBe(`>= ${MIN_TERRAFORM_VERSION}`);
});

test("the README states that minimum and no other", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const stated = [...readme.matchAll(/Terraform\s*(?:≥|>=)\s*(\d+\.\d+)/gi)].map((m) => m[1]);
  expect(stated.length).toBeGreaterThan(0);
  expect(new Set(stated)).toEqual(new Set([MIN_TERRAFORM_MINOR]));
});

test("the summary's next steps state it", () => {
  const text = formatSummary([], configWith(), "lure.config.json", []);
  expect(text).toContain(`terraform >= ${MIN_TERRAFORM_MINOR}`);
  expect(text).not.toMatch(/terraform >= 1\.[0-9](?!\d)/);
});

test("the next steps name the documentation ranges in the user's own allow-list, never 'the default'", () => {
  const own = formatSummary([], configWith((c) => (c.honeynet.dashboard.allowCidrs = ["198.51.100.0/24", "198.18.0.0/15"])), "/home/me/lab.json", []);
  expect(own).toContain("put your own CIDR in honeynet.dashboard.allowCidrs (198.51.100.0/24 is a documentation range");
  expect(own).not.toContain("the default");
  expect(formatSummary([], configWith((c) => (c.honeynet.dashboard.allowCidrs = ["198.18.0.0/15"])), "lure.config.json", [])).not.toContain("documentation range");
});

test("Azure: the watcher and the quarantine are synthesized there, and the steps say how to set the key, where alerts go and what the quarantine needs", () => {
  const azureSteps = (change: Parameters<typeof configWith>[0]) => (formatSummary([], configWith(change), "lure.config.json", []).split("next on Azure:")[1] ?? "").split("next on Google Cloud:")[0];
  const text = formatSummary([], configWith(), "lure.config.json", []);
  expect(text).not.toMatch(/azure: (watcher|quarantine)/);
  const plain = azureSteps(() => {});
  expect(plain).toContain("with the watcher and with the quarantine the stack creates role assignments, which needs Owner or User Access Administrator");
  expect(azureSteps((c) => (c.quarantine = { enabled: false }))).toContain("; with the watcher the stack creates role assignments");
  expect(plain).toContain("the command in the output watcher_api_key_command");
  expect(plain).toContain("set watcher.alertEmail to get exposure alerts by e-mail");
  expect(azureSteps((c) => (c.watcher.alertEmail = "soc@example.org"))).toContain("alerts go to soc@example.org from DoNotReply@");
  expect(plain).toContain("the flow log belongs to the region's Network Watcher (NetworkWatcher_uksouth in NetworkWatcherRG");
  expect(azureSteps((c) => (c.clouds.azure.networkWatcher = { name: "nw", resourceGroupName: "net" }))).toContain("Network Watcher (nw in net)");
  const off = azureSteps((c) => {
    c.watcher = { enabled: false };
    c.quarantine = { enabled: false };
  });
  expect(off).not.toMatch(/watcher|quarantine|role assignments/);
});
