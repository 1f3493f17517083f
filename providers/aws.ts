/** The base of every AWS stack: provider, region, default tags and the state backend. */
import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { baseTags } from "../modules/core/naming";
import { MIN_TERRAFORM_VERSION } from "../modules/core/toolchain";

export type AwsBackendProps =
  | { readonly type: "local"; readonly path?: string }
  | { readonly type: "s3"; readonly bucket: string; readonly key?: string; readonly region?: string; readonly useLockfile?: boolean };

export interface AwsStackProps {
  readonly prefix: string;
  readonly region: string;
  /** Tags for every resource (the provider's `default_tags`). @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** State backend. @default local state file `terraform.<stack>.tfstate` at the project root (outside cdktf.out) */
  readonly backend?: AwsBackendProps;
}

export class AwsStack extends TerraformStack {
  readonly prefix: string;
  readonly region: string;
  /** Tags lure puts on every resource of this stack (also set as provider default tags). */
  readonly tags: Readonly<Record<string, string>>;
  private callerIdentity?: DataAwsCallerIdentity;
  private partitionData?: DataAwsPartition;

  constructor(scope: Construct, id: string, props: AwsStackProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.region = props.region;
    this.tags = baseTags(props.prefix, id, props.tags);
    // Terraform refuses the stack up front instead of failing half-way (S3 locking needs 1.10).
    this.addOverride("terraform.required_version", `>= ${MIN_TERRAFORM_VERSION}`);
    new AwsProvider(this, "aws", { region: props.region, defaultTags: [{ tags: { ...this.tags } }] });
    const b = props.backend ?? { type: "local" };
    if (b.type === "s3") {
      const s3 = new S3Backend(this, {
        bucket: b.bucket,
        key: b.key ?? `${props.prefix}/${id}.tfstate`,
        region: b.region ?? props.region,
        encrypt: true,
      });
      // S3-native locking (Terraform >= 1.10) postdates cdktf 0.21's typed backend config.
      if (b.useLockfile ?? true) s3.addOverride("use_lockfile", true);
    } else {
      // Terraform runs in cdktf.out/stacks/<id>, which synth may delete: keep state at the project root.
      // Relative, so the synthesized JSON does not depend on the machine it was made on.
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

  /**
   * cdktf resolves every element once before synth only to find references to other stacks, which it
   * turns into remote state. lure's stacks otherwise never reference each other (each deploys alone)
   * and always have a backend, so that pass has nothing to do; it costs about a fifth of synth. A test
   * synthesizes stacks through an App with and without it and compares the JSON; a reference between
   * stacks would stay a plain reference that `terraform plan` rejects (the offline plan in the tests).
   */
  override prepareStack(): void {
    if (this.readsOtherStacks) super.prepareStack();
  }

  /** The partition (`aws`, `aws-us-gov`, `aws-cn`), for ARNs built by hand. */
  get partition(): string {
    this.partitionData ??= new DataAwsPartition(this, "Partition");
    return this.partitionData.partition;
  }

  /** The deploying account's id (a data source, read at plan time). */
  get accountId(): string {
    this.callerIdentity ??= new DataAwsCallerIdentity(this, "CallerIdentity");
    return this.callerIdentity.accountId;
  }
}
