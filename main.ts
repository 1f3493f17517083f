/**
 * The lure cdktf app: load and validate the config, create the stacks it enables, and check them
 * against the policy rules ({@link runApp}), whichever command runs it.
 */
import { App, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { join, resolve } from "path";
import { CHECK_RECORD, CheckRefused, configToCheck, discardOutput, policyViolations, writeRecord } from "./modules/core/check";
import { ConfigError, gcpQuarantineEnabled, loadConfig, type CloudName, type LureConfig } from "./modules/core/config";
import type { HiveTarget } from "./modules/core/hive";
import { formatViolations } from "./modules/core/policy";
import { summarizeOutput } from "./modules/core/summary";
import { AwsHoneynetStack, AwsQuarantineStack } from "./modules/aws/stacks";
import { AzureHoneynetStack, AzureQuarantineStack } from "./modules/azure/stacks";
import { GcpHoneynetStack, GcpQuarantineStack } from "./modules/gcp/stacks";

/** Stack names are a public contract: they name state files and `cdktf deploy` targets. */
export const STACKS = { awsHoneynet: "aws-honeynet", awsQuarantine: "aws-quarantine", azureHoneynet: "azure-honeynet", azureQuarantine: "azure-quarantine", gcpHoneynet: "gcp-honeynet", gcpQuarantine: "gcp-quarantine" } as const;

/** Every stack the config enables (jobs a cloud does not implement yet are validated but get none). */
export function createStacks(scope: Construct, config: LureConfig): TerraformStack[] {
  const honeynets: Partial<Record<CloudName, TerraformStack>> = {};
  // The hive's stack first: the sensors read its address from its state (a cdktf cross-stack reference).
  const hive = config.honeynet.analytics.hive;
  const order = (["aws", "azure", "gcp"] as const).filter((c) => Boolean(config.clouds[c])).sort((a, b) => Number(b === hive) - Number(a === hive));
  let target: HiveTarget | undefined;
  for (const cloud of order) {
    const stack = honeynetStack(scope, config, cloud, target);
    honeynets[cloud] = stack;
    if (cloud === hive) target = stack.honeynet.hiveTarget;
  }
  const stacks: TerraformStack[] = [];
  if (honeynets.aws) stacks.push(honeynets.aws);
  if (config.clouds.aws && config.quarantine.enabled) stacks.push(new AwsQuarantineStack(scope, STACKS.awsQuarantine, config, config.clouds.aws));
  if (honeynets.azure) stacks.push(honeynets.azure);
  // An existing target is an AWS listener: Azure then has no Quarantine (the config warns).
  if (config.clouds.azure && config.quarantine.enabled && config.quarantine.target === "demo") stacks.push(new AzureQuarantineStack(scope, STACKS.azureQuarantine, config, config.clouds.azure));
  if (honeynets.gcp) stacks.push(honeynets.gcp);
  // On Google Cloud: the demo, or the Cloud Run service clouds.gcp.quarantineTarget names.
  if (config.clouds.gcp && gcpQuarantineEnabled(config)) stacks.push(new GcpQuarantineStack(scope, STACKS.gcpQuarantine, config, config.clouds.gcp));
  return stacks;
}

/** One cloud's honeynet stack, given where a sensor ships (ignored unless the cloud is one); its `honeynet.hiveTarget` is set if it is the hive. */
function honeynetStack(scope: Construct, config: LureConfig, cloud: CloudName, hive: HiveTarget | undefined): AwsHoneynetStack | AzureHoneynetStack | GcpHoneynetStack {
  const { aws, azure, gcp } = config.clouds;
  const stack =
    cloud === "aws" && aws
      ? new AwsHoneynetStack(scope, STACKS.awsHoneynet, config, aws, hive)
      : cloud === "azure" && azure
        ? new AzureHoneynetStack(scope, STACKS.azureHoneynet, config, azure, hive)
        : cloud === "gcp" && gcp
          ? new GcpHoneynetStack(scope, STACKS.gcpHoneynet, config, gcp, hive)
          : undefined;
  if (stack === undefined) throw new Error(`clouds.${cloud} is not configured`);
  return stack;
}

/** Builds the stacks of a config into an app; {@link createStacks} unless a test gives another. */
export type BuildStacks = (scope: Construct, config: LureConfig) => TerraformStack[];

/**
 * The app as cdktf runs it, for every command (`npm start`, `npx cdktf synth|deploy|diff|destroy`):
 * pick the config (modules/core/check.ts), validate it, synthesize into `CDKTF_OUTDIR`, run the
 * policy rules on every stack written and record the check. Returns the exit status; on any failure
 * the output is left undeployable and cdktf stops.
 */
export function runApp(env: NodeJS.ProcessEnv = process.env, build: BuildStacks = createStacks): number {
  const outdir = resolve(env.CDKTF_OUTDIR ?? "cdktf.out");
  if (env.SYNTH_HCL_OUTPUT === "true") {
    console.error("lure: `cdktf synth --hcl` is not supported: the policy rules read the JSON output. Run `npm start` or `npx cdktf synth`.");
    return 1;
  }
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(configToCheck(outdir, env));
  } catch (e) {
    if (!(e instanceof ConfigError) && !(e instanceof CheckRefused)) throw e;
    console.error(e.message);
    return 1;
  }
  const app = new App({ outdir });
  try {
    build(app, loaded.config);
    app.synth();
  } catch (e) {
    discardOutput(outdir);
    throw e;
  }
  const stacks = summarizeOutput(outdir);
  const violations = policyViolations(stacks);
  if (violations.length > 0) {
    discardOutput(outdir);
    console.error(`lure: the stacks of ${loaded.file} break the policy rules, so ${outdir} holds nothing deployable.\n${formatViolations(violations)}`);
    return 1;
  }
  writeRecord(outdir, { config: loaded.file, sha256: loaded.sha256, stacks: stacks.map((s) => s.name), checkedAt: new Date().toISOString() });
  console.log(`lure: policy: ${stacks.length} stack(s) checked, no violations; ${loaded.file} recorded in ${join(outdir, CHECK_RECORD)}`);
  return 0;
}

if (require.main === module) process.exitCode = runApp();
