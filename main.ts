/**
 * The lure cdktf app: load and validate the config, then create the stacks it enables.
 * `npm start` validates first and runs this through `cdktf synth`; see modules/core/cli/start.ts.
 */
import { App } from "cdktf";
import { ConfigError, loadConfig } from "./modules/core/config";
import { AwsHoneynetStack } from "./modules/aws/stacks";

export const STACKS = { awsHoneynet: "aws-honeynet" } as const;

function main(): void {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
  const { config } = loaded;
  const app = new App();
  if (config.clouds.aws) new AwsHoneynetStack(app, STACKS.awsHoneynet, config, config.clouds.aws);
  app.synth();
}

main();
