/**
 * The base of every Azure stack: the azurerm provider, the state backend and lure's tags.
 *
 * azurerm has no provider-level default tags, so an aspect puts the stack's tags on every resource
 * that has a `tags` argument, under the tags the resource sets itself (its own win, as AWS resource
 * tags win over `default_tags`).
 */
import { Aspects, AzurermBackend, Fn, LocalBackend, TerraformResource, TerraformStack, Token, type IAspect } from "cdktf";
import type { Construct, IConstruct } from "constructs";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { baseTags } from "../modules/core/naming";
import { MIN_TERRAFORM_VERSION } from "../modules/core/toolchain";

export type AzureBackendProps =
  | { readonly type: "local"; readonly path?: string }
  | {
      readonly type: "azurerm";
      readonly storageAccountName: string;
      readonly containerName: string;
      readonly resourceGroupName: string;
      /** @default `<prefix>/<stack id>.tfstate` */
      readonly key?: string;
      /** The storage account's subscription. @default the stack's */
      readonly subscriptionId?: string;
      /** Entra ID instead of the account key. @default true */
      readonly useAzureadAuth?: boolean;
    };

export interface AzureStackProps {
  readonly prefix: string;
  /** Azure location of the stack's resources, e.g. `uksouth` (already validated). */
  readonly location: string;
  /** @default the `ARM_SUBSCRIPTION_ID` environment variable at plan time */
  readonly subscriptionId?: string;
  /** Tags for every taggable resource (user tags; lure's own are added). @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** State backend. @default local state file `terraform.<stack>.tfstate` at the project root (outside cdktf.out) */
  readonly backend?: AzureBackendProps;
  /**
   * The provider reaches storage data planes (blobs it uploads) with Entra ID instead of account keys,
   * which storage accounts without shared keys require. {@link AzureStack.useAzureadForStorage} turns
   * it on later. @default false (the provider's default)
   */
  readonly storageUseAzuread?: boolean;
}

/** A resource whose `tags` argument can be set (every azurerm resource that Azure lets tag). */
interface Taggable {
  tags: Record<string, string>;
  readonly tagsInput?: Record<string, string> | unknown;
}

/** Whether `node` is a resource with a settable `tags` argument (a setter on its class). */
function isTaggable(node: IConstruct): node is TerraformResource & Taggable {
  if (!(node instanceof TerraformResource)) return false;
  for (let proto = Object.getPrototypeOf(node); proto && proto !== TerraformResource.prototype; proto = Object.getPrototypeOf(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, "tags");
    if (d) return typeof d.set === "function";
  }
  return false;
}

/**
 * Puts `tags` on every taggable resource in scope, under the tags a resource already has. A resource
 * whose tags are a token (computed at plan time) gets `merge(stack tags, its tags)`.
 */
export class AzureTags implements IAspect {
  constructor(readonly tags: Readonly<Record<string, string>>) {}

  visit(node: IConstruct): void {
    if (!isTaggable(node)) return;
    const own = node.tagsInput;
    if (own !== undefined && Token.isUnresolved(own)) {
      node.tags = Fn.merge([{ ...this.tags }, own]) as unknown as Record<string, string>;
    } else {
      node.tags = { ...this.tags, ...((own as Record<string, string> | undefined) ?? {}) };
    }
  }
}

export class AzureStack extends TerraformStack {
  readonly prefix: string;
  readonly location: string;
  /** Tags lure puts on every taggable resource of this stack (by the {@link AzureTags} aspect). */
  readonly tags: Readonly<Record<string, string>>;
  readonly provider: AzurermProvider;

  constructor(scope: Construct, id: string, props: AzureStackProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.location = props.location;
    this.tags = baseTags(props.prefix, id, props.tags);
    this.addOverride("terraform.required_version", `>= ${MIN_TERRAFORM_VERSION}`);
    // azurerm 4 requires the features block (empty: the provider's defaults) and a subscription, which
    // ARM_SUBSCRIPTION_ID gives when the config does not.
    this.provider = new AzurermProvider(this, "azurerm", {
      features: [{}],
      ...(props.subscriptionId ? { subscriptionId: props.subscriptionId } : {}),
      ...(props.storageUseAzuread ? { storageUseAzuread: true } : {}),
    });
    const b = props.backend ?? { type: "local" };
    if (b.type === "azurerm") {
      new AzurermBackend(this, {
        storageAccountName: b.storageAccountName,
        containerName: b.containerName,
        resourceGroupName: b.resourceGroupName,
        key: b.key ?? `${props.prefix}/${id}.tfstate`,
        ...(b.subscriptionId ? { subscriptionId: b.subscriptionId } : {}),
        useAzureadAuth: b.useAzureadAuth ?? true,
      });
    } else {
      // As on AWS: Terraform runs in cdktf.out/stacks/<id>, which synth may delete.
      new LocalBackend(this, { path: b.path ?? `../../../terraform.${id}.tfstate` });
    }
    Aspects.of(this).add(new AzureTags(this.tags));
  }

  /**
   * A construct of this stack uploads blobs to a storage account without shared keys (the watcher's
   * package): the provider must use Entra ID for storage data planes. Set only then, so a stack
   * without such a construct keeps the provider block it had.
   *
   * The same accounts must not be read over their data planes when refreshed: azurerm 4.x reads an
   * account's queue and static-website properties that way, with the deployer's Entra ID identity,
   * which has no data role on the account (Owner has none), so every plan would fail with 403.
   * `data_plane_available = false` skips those reads (in 4.55 only `azurerm_storage_account` reads
   * the flag, and lure's accounts set neither `queue_properties` nor `static_website`).
   */
  useAzureadForStorage(): void {
    this.provider.storageUseAzuread = true;
    this.provider.features = [{ storage: [{ dataPlaneAvailable: false }] }];
  }

  private readsOtherStacks = false;

  /**
   * This stack reads another stack's values (a hive's sensor reads the hive's address): cdktf's
   * cross-stack pass must then run, turning those references into remote state and outputs.
   */
  readFromOtherStacks(): void {
    this.readsOtherStacks = true;
  }

  /** lure's stacks otherwise never reference each other: skip cdktf's cross-stack pass, as AwsStack does. */
  override prepareStack(): void {
    if (this.readsOtherStacks) super.prepareStack();
  }
}
