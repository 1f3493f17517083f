/** Region names each cloud accepts, for early validation (a typo fails at synth, not at deploy). */

export const AWS_REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
  "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1",
  "il-central-1", "me-south-1", "me-central-1", "af-south-1",
  "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
  "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
  "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
] as const;

export const AZURE_LOCATIONS = [
  "eastus", "eastus2", "centralus", "northcentralus", "southcentralus", "westcentralus", "westus", "westus2", "westus3",
  "canadacentral", "canadaeast", "brazilsouth", "mexicocentral", "northeurope", "westeurope", "uksouth", "ukwest",
  "francecentral", "germanywestcentral", "italynorth", "norwayeast", "polandcentral", "spaincentral", "swedencentral",
  "switzerlandnorth", "austriaeast", "belgiumcentral", "uaenorth", "qatarcentral", "israelcentral", "southafricanorth",
  "centralindia", "southindia", "westindia", "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral",
  "koreasouth", "australiaeast", "australiasoutheast", "australiacentral", "newzealandnorth", "indonesiacentral",
  "malaysiawest",
] as const;

export const GCP_REGIONS = [
  "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3", "us-west4",
  "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1", "southamerica-east1", "southamerica-west1",
  "europe-central2", "europe-north1", "europe-north2", "europe-southwest1", "europe-west1", "europe-west2", "europe-west3",
  "europe-west4", "europe-west6", "europe-west8", "europe-west9", "europe-west10", "europe-west12",
  "me-central1", "me-central2", "me-west1", "africa-south1",
  "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3", "asia-south1", "asia-south2",
  "asia-southeast1", "asia-southeast2", "australia-southeast1", "australia-southeast2",
] as const;

/** The partition of an AWS region: the second field of every ARN there. */
export function awsPartition(region: string): "aws" | "aws-cn" | "aws-us-gov" {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** An ACM certificate ARN (any partition and region). */
export const ACM_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/;

/**
 * Why a resource ARN cannot serve a stack in `region`: it is in another region, or its partition is not
 * the region's. A predicate for the caller to put the value before; undefined when it fits, and for
 * anything that is not a regional ARN (its format is checked elsewhere).
 *
 * @param regionIs where the region comes from, e.g. "clouds.aws.region is" or "the stack's region is"
 * @param why what ties the resource to that region, e.g. "a load balancer only uses certificates of its own region"
 */
export function arnPlacementProblem(arn: string, region: string, regionIs: string, why: string): string | undefined {
  const m = /^arn:([^:]+):[^:]+:([a-z0-9-]+):\d{12}:/.exec(arn);
  if (!m) return undefined;
  const [, partition, arnRegion] = m;
  if (arnRegion !== region) return `is in ${arnRegion}, but ${regionIs} ${region}; ${why}`;
  const expected = awsPartition(region);
  if (partition !== expected) return `is in partition "${partition}", but ${region} is in "${expected}"; ARNs there start "arn:${expected}:"`;
  return undefined;
}

/** What ties a certificate to the stack's region (the load balancer's), for {@link arnPlacementProblem}. */
export const certificateRegionReason = (region: string): string =>
  `a load balancer only uses ACM certificates of its own region: request or import the certificate in ${region}`;

/**
 * Problems of an ARN given in code (`props`), for a stack in `region`: literal values only, a cdktf
 * token (`${…}`) is resolved by Terraform. `format` also checks the ARN's shape.
 */
export function propsArnProblems(path: string, arn: string | undefined, region: string | undefined, why: (region: string) => string, format?: { pattern: RegExp; what: string }): { path: string; message: string }[] {
  if (arn === undefined || arn.includes("${")) return [];
  if (format && !format.pattern.test(arn)) return [{ path, message: `"${arn}" is not ${format.what}` }];
  const problem = region && !region.includes("${") ? arnPlacementProblem(arn, region, "the stack's region is", why(region)) : undefined;
  return problem ? [{ path, message: `"${arn}" ${problem}` }] : [];
}

/**
 * Zone letters of the GCP regions that do not have zones a, b and c (every other region in
 * {@link GCP_REGIONS} has those three). From `gcloud compute zones list`; a zone added later is a
 * one-line change here.
 */
const GCP_ZONE_EXCEPTIONS: Readonly<Record<string, readonly string[]>> = {
  "us-central1": ["a", "b", "c", "f"],
  "us-east1": ["b", "c", "d"],
  "europe-west1": ["b", "c", "d"],
};

/** The zones of a GCP region lure knows, e.g. `europe-west2-a`; empty for an unknown region. */
export function gcpZones(region: string): string[] {
  if (!(GCP_REGIONS as readonly string[]).includes(region)) return [];
  return (GCP_ZONE_EXCEPTIONS[region] ?? ["a", "b", "c"]).map((letter) => `${region}-${letter}`);
}
