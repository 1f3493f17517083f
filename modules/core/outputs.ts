/** Stack outputs under the names the README and the next steps give them, wherever the construct sits. */
import { TerraformOutput, type TerraformOutputConfig } from "cdktf";
import type { Construct } from "constructs";

/**
 * An output named `id` in Terraform: cdktf would prefix an output made inside a construct with the
 * construct's path and a hash (`Honeynet_list_public_ips_66B42126`), which `terraform output <name>`
 * and the printed commands could not find.
 */
export function namedOutput(scope: Construct, id: string, config: TerraformOutputConfig): TerraformOutput {
  const output = new TerraformOutput(scope, id, config);
  output.overrideLogicalId(id);
  return output;
}
