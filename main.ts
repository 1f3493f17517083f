/**
 * The lure cdktf app: load and validate the config, then create the stacks it enables.
 * `npm start` validates first and runs this through `cdktf synth` (modules/core/cli/start.ts).
 */
import { App, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { ConfigError, loadConfig, type LureConfig } from "./modules/core/config";
import { AwsHoneynetStack, AwsQuarantineStack } from "./modules/aws/stacks";

/** Stack names are a public contract: they name state files and `cdktf deploy` targets. */
export const STACKS = { awsHoneynet: "aws-honeynet", awsQuarantine: "aws-quarantine" } as const;

/** Every stack the config enables. Clouds without an implementation are validated but get none. */
export function createStacks(scope: Construct, config: LureConfig): TerraformStack[] {
  const stacks: TerraformStack[] = [];
  if (config.clouds.aws) stacks.push(new AwsHoneynetStack(scope, STACKS.awsHoneynet, config, config.clouds.aws));
  if (config.clouds.aws && config.quarantine.enabled) stacks.push(new AwsQuarantineStack(scope, STACKS.awsQuarantine, config, config.clouds.aws));
  return stacks;
}

if (require.main === module) {
  try {
    const { config } = loadConfig();
    const app = new App();
    createStacks(app, config);
    app.synth();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    process.exit(1);
  }
}
