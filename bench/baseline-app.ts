/**
 * Baseline for bench/synth.ts (DESIGN.md "Performance budgets"): the same kind of cdktf app with only
 * the three providers configured and one resource each, one TerraformStack per cloud. Deep imports
 * only, as in the real app: a provider package root loads every resource class of that provider.
 */
import { App, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";

class AwsBaseline extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "eu-west-2" });
    new S3Bucket(this, "bucket", { bucket: "lure-baseline" });
  }
}

class AzureBaseline extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AzurermProvider(this, "azurerm", { features: [{}] });
    new ResourceGroup(this, "rg", { name: "lure-baseline", location: "uksouth" });
  }
}

class GcpBaseline extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new GoogleProvider(this, "google", { region: "europe-west2" });
    new StorageBucket(this, "bucket", { name: "lure-baseline", location: "EUROPE-WEST2" });
  }
}

const app = new App();
new AwsBaseline(app, "baseline-aws");
new AzureBaseline(app, "baseline-azure");
new GcpBaseline(app, "baseline-gcp");
app.synth();
