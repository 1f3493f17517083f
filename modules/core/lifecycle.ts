/**
 * Lifecycle settings cdktf does not render as Terraform takes them.
 *
 * ```ts
 * new ComputeInstanceGroupMembership(scope, "Member", { ..., lifecycle: { replaceTriggeredBy: [triggerReference(vm, "instance_id")] } });
 * ```
 */
import type { TerraformResource } from "cdktf";

/**
 * An attribute of `resource` as `replace_triggered_by` takes it: a bare reference, `<type>.<name>.<attribute>`.
 * cdktf writes a resource or an attribute token given there as an interpolation (`"${…}"`), which
 * Terraform refuses in that place ("Invalid character"; hashicorp/terraform-cdk#3196, still open
 * when cdktf was archived), so a trigger is written out from the resource's type and logical id.
 */
export function triggerReference(resource: TerraformResource, attribute: string): string {
  return `${resource.terraformResourceType}.${resource.friendlyUniqueId}.${attribute}`;
}
