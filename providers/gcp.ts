/**
 * The base of every Google Cloud stack: the google provider, the state backend and lure's labels.
 *
 * Google labels are stricter than tags (modules/core/labels.ts maps them by one rule). The provider's
 * `default_labels` put the stack's labels (prefix, stack, managed-by, the user's tags) on every
 * resource that takes labels; resources add only their component labels.
 */
import { GcsBackend, LocalBackend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { labelsFromTags } from "../modules/core/labels";
import { baseTags } from "../modules/core/naming";
import { MIN_TERRAFORM_VERSION } from "../modules/core/toolchain";
import { ConfigError } from "../modules/core/config";

export type GcpBackendProps =
  | { readonly type: "local"; readonly path?: string }
  | {
      readonly type: "gcs";
      readonly bucket: string;
      /** Folder of the state objects in the bucket. @default `<prefix>/<stack id>` */
      readonly prefix?: string;
    };

export interface GcpStackProps {
  readonly prefix: string;
  /** Region of the stack's regional resources, e.g. `europe-west2` (already validated). */
  readonly region: string;
  /** Zone of its zonal resources (VMs, disks). @default the provider's: none set, so each resource names its own */
  readonly zone?: string;
  /** @default the `GOOGLE_CLOUD_PROJECT` (or `GOOGLE_PROJECT`) environment variable at plan time */
  readonly project?: string;
  /** The user's tags (labels by the rule of modules/core/labels.ts; lure's own are added). @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** State backend. @default local state file `terraform.<stack>.tfstate` at the project root (outside cdktf.out) */
  readonly backend?: GcpBackendProps;
}

export class GcpStack extends TerraformStack {
  readonly prefix: string;
  readonly region: string;
  readonly project?: string;
  /** The provider's `default_labels`: on every labelled resource of this stack. */
  readonly labels: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: GcpStackProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.region = props.region;
    if (props.project !== undefined) this.project = props.project;
    // The config checks the user's tags; a stack built directly must not get labels Google refuses.
    const { labels, problems } = labelsFromTags(baseTags(props.prefix, id, props.tags), "tags");
    if (problems.length > 0) throw new ConfigError(this.node.path, problems);
    this.labels = labels;
    this.addOverride("terraform.required_version", `>= ${MIN_TERRAFORM_VERSION}`);
    const provider = new GoogleProvider(this, "google", {
      region: props.region,
      ...(props.zone ? { zone: props.zone } : {}),
      ...(props.project ? { project: props.project } : {}),
    });
    // Not `defaultLabels`: cdktf snake-cases every key of a provider block but `tags`, which would
    // turn `lure-prefix` into `lure_prefix`; an override is written as it is.
    provider.addOverride("default_labels", labels);
    const b = props.backend ?? { type: "local" };
    if (b.type === "gcs") {
      new GcsBackend(this, { bucket: b.bucket, prefix: b.prefix ?? `${props.prefix}/${id}` });
    } else {
      // As on AWS and Azure: Terraform runs in cdktf.out/stacks/<id>, which synth may delete.
      new LocalBackend(this, { path: b.path ?? `../../../terraform.${id}.tfstate` });
    }
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
