/**
 * An AWS stack planned with no AWS: the provider from a local mirror, fixed keys with its credential
 * checks off, and the two reads lure's AWS stacks make at plan time (STS GetCallerIdentity, EC2
 * DescribeAvailabilityZones) answered by a local stand-in with fixed values. Any other call gets an
 * error naming it, so an offline plan never quietly depends on something it cannot know.
 */
import { createServer, type Server } from "http";
import { existsSync, readdirSync } from "fs";
import { join } from "path";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The provider mirror: `LURE_TF_MIRROR`, else the machine's /opt/tf-plugins. */
export const mirrorOf = (env: NodeJS.ProcessEnv): string => env.LURE_TF_MIRROR ?? "/opt/tf-plugins";

/** The newest hashicorp/aws in the mirror, or undefined. */
export function mirroredAws(mirror: string): string | undefined {
  const dir = join(mirror, "registry.terraform.io", "hashicorp", "aws");
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir).sort((a, b) => a.localeCompare(b, "en", { numeric: true })).pop();
}

/** The CLI config that installs providers from the mirror only (no registry). */
export const mirrorRc = (mirror: string): string =>
  `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`;

/** The account and the zones the stand-in answers with. */
export const OFFLINE_ACCOUNT = "123456789012";
export const offlineZones = (region: string): string[] => [`${region}a`, `${region}b`];

/**
 * The stack as an offline root module: the mirrored provider version, no backend (state stays in the
 * scratch folder), fixed keys and no credential checks; with `endpoint`, STS and EC2 go to the stand-in.
 */
export function offlineAwsStack(stack: Json, awsVersion: string, endpoint?: string): Json {
  const copy = structuredClone(stack);
  // The bindings pin the provider they were generated from; plan against the mirrored one.
  copy.terraform.required_providers.aws.version = awsVersion;
  delete copy.terraform.backend;
  for (const p of (copy.provider?.aws ?? []) as Json[]) {
    // Keys and no STS/IAM calls are what the provider needs to configure without AWS; no IMDS is belt
    // and braces. One attempt per call, so a read nothing answers fails at once.
    Object.assign(p, {
      access_key: "AKIAIOSFODNN7EXAMPLE", secret_key: "lure-offline-plan",
      skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true, max_retries: 1,
      ...(endpoint ? { endpoints: [{ sts: endpoint, ec2: endpoint }] } : {}),
    });
  }
  return copy;
}

const xml = (s: string) => s.replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c]!);

function answer(action: string, region: string): { status: number; body: string } {
  if (action === "GetCallerIdentity") {
    return { status: 200, body: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${OFFLINE_ACCOUNT}:user/lure-offline-plan</Arn><UserId>AIDALUREOFFLINEPLAN01</UserId><Account>${OFFLINE_ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>lure-offline</RequestId></ResponseMetadata></GetCallerIdentityResponse>` };
  }
  if (action === "DescribeAvailabilityZones") {
    const items = offlineZones(region).map((z, i) => `<item><zoneName>${z}</zoneName><zoneState>available</zoneState><regionName>${region}</regionName><zoneId>${region.replace(/-/g, "")}-az${i + 1}</zoneId><zoneType>availability-zone</zoneType><groupName>${region}</groupName><optInStatus>opt-in-not-required</optInStatus><messageSet/></item>`).join("");
    return { status: 200, body: `<DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>lure-offline</requestId><availabilityZoneInfo>${items}</availabilityZoneInfo></DescribeAvailabilityZonesResponse>` };
  }
  return { status: 400, body: `<ErrorResponse><Error><Type>Sender</Type><Code>LureOfflinePlan</Code><Message>${xml(`lure's offline plan answers only GetCallerIdentity and DescribeAvailabilityZones, not ${action || "this request"}`)}</Message></Error><RequestId>lure-offline</RequestId></ErrorResponse>` };
}

export interface AwsStandIn {
  readonly url: string;
  /** Every action asked for, answered or not. */
  readonly calls: string[];
  close(): Promise<void>;
}

/** Starts the stand-in on a free local port. The region comes from each request's signature. */
export function startAwsStandIn(): Promise<AwsStandIn> {
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const action = new URLSearchParams(body).get("Action") ?? new URL(req.url ?? "/", "http://x").searchParams.get("Action") ?? "";
      const region = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(String(req.headers.authorization))?.[1] ?? "us-east-1";
      calls.push(action);
      const a = answer(action, region);
      res.writeHead(a.status, { "content-type": "text/xml" });
      res.end(a.body);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    resolve({ url: `http://127.0.0.1:${port}`, calls, close: () => new Promise<void>((r) => server.close(() => r())) });
  }));
}
