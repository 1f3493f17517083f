/**
 * The lure configuration: one JSON file (`lure.config.json`, or `LURE_CONFIG`), validated before
 * anything is created. Every problem is reported at once, each with its path, the value received and
 * what is allowed. The JSON Schema published for editors is generated from this schema.
 */
import { DEMO_SPLIT_BITS, demoDemand, honeynetDemand, largestNetworkPrefix, networkTooSmall, usableAddresses, vpcCidrProblem } from "./address-plan";
import { scheduleProblem, toNcrontab, toUnixCron } from "./schedule";
import { HIVE_CLOUDS } from "./hive";
import { ELASTIC_SIZES, ELASTIC_SIZE_NAMES, MIN_ELASTIC_VERSION, TPOT_LOGSTASH, TPOT_PIPELINE, TPOT_RELEASE, analyticsVersionOk, type ElasticSize } from "./analytics";
import { DEFAULT_DETECTOR, MEMORY_TARGETS } from "../../functions/core/detector";
import { CLOUD_RUN_SERVICE_NAME, CLOUD_RUN_SERVICE_NAME_RULE, GCP_PROJECT_ID, GCP_PROJECT_ID_RULE, isDomainScoped } from "../../functions/core/gcp-project";
import { createHash } from "crypto";
import { readFileSync } from "fs";
import { resolve } from "path";
import { z } from "zod";
import { HONEYPOT_NAMES, PROFILE_NAMES, PROFILES, TPOT, defaultSize, missingPeers, portKeys, type ProfileName } from "./catalog";
import { cidrBounds, isDocumentationRange, isWorldOpen, parseCidr } from "./cidr";
import { ACM_CERTIFICATE_ARN, AWS_REGIONS, AZURE_LOCATIONS, GCP_REGIONS, arnPlacementProblem, certificateRegionReason, gcpZones } from "./regions";
import { MIN_RSA_BITS, SSH_KEY_TYPES, parseSshPublicKey, sshKeyCloudProblem } from "./ssh-key";
import { didYouMean } from "./suggest";
import type { HoneynetProps } from "./interfaces";
import { LABEL_KEYS, MAX_LABELS, labelsFromTags, toLabel } from "./labels";
import { AZURE_VM_SIZES, AZURE_VM_SIZE_NAMES, VM_HOST_OVERHEAD_MIB, GCP_MACHINE_TYPES, GCP_MACHINE_TYPE_NAMES, defaultAzureVmSize, defaultGcpMachineType } from "./vm-sizes";
import { webPortProblems, type WebPorts } from "./web-images";
import { expandExtraTargets, type ExtraTargetInput } from "./extra-targets";

/** Scanner indexes the watcher can ask. */
export const SCANNER_INDEXES = ["shodan", "censys"] as const;
export type ScannerIndexName = (typeof SCANNER_INDEXES)[number];
/** Censys lookups cost credits (a free account gets about 100 a month): one IP is asked once a day. */
export const CENSYS_DEFAULT_EVERY_HOURS = 24;

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Fargate CPU units and the memory (MiB) each allows. */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
  4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
};

const quoted = (v: readonly (string | number)[]) => v.map((x) => (typeof x === "string" ? `"${x}"` : String(x))).join(", ");

/** A string from a fixed list, with "did you mean" on a near miss. */
const oneOf = <T extends string>(values: readonly T[], what: string) =>
  z.string().superRefine((v, ctx) => {
    if (!(values as readonly string[]).includes(v)) {
      ctx.addIssue({ code: "custom", message: `is not a known ${what}${didYouMean(v, values)}` });
    }
  }).meta({ enum: [...values] }) as unknown as z.ZodType<T>;

const cidr = z.string().superRefine((v, ctx) => {
  const r = parseCidr(v);
  if (!r.ok) ctx.addIssue({ code: "custom", message: `is not a valid CIDR: ${r.reason}` });
});

/** A VPC's address space; whether its prefix leaves room for what the network holds is a cross-check (address-plan.ts). */
const vpcCidr = z.string().superRefine((v, ctx) => {
  const problem = vpcCidrProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** The longest prefix of each profile's honeynet network, and of the demo's with one copy. */
const HONEYNET_LONGEST_PREFIX = { industrial: largestNetworkPrefix(honeynetDemand(PROFILES.industrial.length)), standard: largestNetworkPrefix(honeynetDemand(PROFILES.standard.length)) };
const DEMO_LONGEST_PREFIX = largestNetworkPrefix(demoDemand({ kind: "ecs", defenceCount: 1 }, "copies"));
/** ECS copies whose deployment (two tasks each) fits one copies subnet of the demo's longest prefix. */
const DEMO_COPIES_AT_LONGEST = Math.floor(usableAddresses(DEMO_LONGEST_PREFIX + DEMO_SPLIT_BITS) / 2);

const ipv4Cidr = z.string().superRefine((v, ctx) => {
  const r = parseCidr(v);
  if (!r.ok) ctx.addIssue({ code: "custom", message: `is not a valid CIDR: ${r.reason}` });
  else if (r.cidr.version !== 4) ctx.addIssue({ code: "custom", message: "is not an IPv4 CIDR" });
});

/**
 * Why lure does not offer the host-network services (honeytrap, glutton, p0f, suricata, fatt) on Azure
 * VMs, although a VM could run them with `--network host`: the catalog holds no image, ports or log
 * inputs for them (T-Pot runs them through tpotinit's host iptables rules), and a honeypot that answers
 * on every port needs every port open in its NSG, admin SSH included.
 */
export const AZURE_HOST_NETWORK_REASON = "lure offers no host-network honeypot or sensor on Azure VMs (the catalog has no image, ports or logs for it, and it would need every port open)";
/** The same on Compute Engine VMs, for the same reasons. */
export const GCP_HOST_NETWORK_REASON = "lure offers no host-network honeypot or sensor on Compute Engine VMs (the catalog has no image, ports or logs for it, and it would need every port open)";

/** A honeypot name; `unsupported` words the refusal of a host-network service for where the name is used. */
const honeypotNameWith = (unsupportedMessage: (reason: string) => string) => z.string().superRefine((v, ctx) => {
  if (v in TPOT.honeypots) return;
  const unsupported = TPOT.unsupported[v];
  if (unsupported) {
    ctx.addIssue({ code: "custom", message: unsupportedMessage(unsupported.reason) });
  } else if (TPOT.otherServices.includes(v)) {
    ctx.addIssue({ code: "custom", message: `is a T-Pot support service, not a honeypot (lure runs its own Elastic stack)` });
  } else {
    ctx.addIssue({ code: "custom", message: `is not a known honeypot${didYouMean(v, HONEYPOT_NAMES)}` });
  }
}).meta({ enum: [...HONEYPOT_NAMES] });

const honeypotName = honeypotNameWith((reason) => `cannot run on serverless containers: ${reason}`);
const azureHoneypotName = honeypotNameWith((reason) => `is not offered on Azure: ${AZURE_HOST_NETWORK_REASON}. ${reason}`);
const gcpHoneypotName = honeypotNameWith((reason) => `is not offered on Google Cloud: ${GCP_HOST_NETWORK_REASON}. ${reason}`);

/** A list of unique honeypot names (duplicates are reported at the second occurrence). */
const honeypotListOf = (name: z.ZodType<string>) => z
  .array(name)
  .min(1, { message: "lists no honeypot; name at least one, or use a profile" })
  .superRefine((names, ctx) => {
    names.forEach((n, i) => {
      const first = names.indexOf(n);
      if (first !== i) ctx.addIssue({ code: "custom", path: [i], message: `is listed twice (first at index ${first})` });
    });
  });
const honeypotList = honeypotListOf(honeypotName);

/** A honeypot selection: a profile name or a list of honeypot names. */
const honeypotSelection = (name: z.ZodType<string>) => z.union([oneOf(PROFILE_NAMES, "profile (or give a list of honeypot names)"), honeypotListOf(name)]);

/** An OpenSSH public key (one line of `authorized_keys`). */
const sshPublicKey = z.string().superRefine((v, ctx) => {
  const r = parseSshPublicKey(v);
  if (!r.ok) ctx.addIssue({ code: "custom", message: `is not an OpenSSH public key: it ${r.reason}` });
  else if (r.key.type === "ssh-rsa" && r.key.bits < MIN_RSA_BITS) ctx.addIssue({ code: "custom", message: `is a ${r.key.bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required (better: an Ed25519 key, \`ssh-keygen -t ed25519\`)` });
});

/** An Elastic Stack version, x.y.z. */
const ELASTIC_VERSION = /^\d+\.\d+\.\d+$/;

/** Local state, the same on every cloud. */
const localBackend = z.strictObject({
  type: z.literal("local"),
  /** State file path, relative to the stack's working directory. */
  path: z.string().min(1).optional(),
});

/** The azurerm state backend: a blob in a storage account lure does not create. */
const azureBackend = z.discriminatedUnion("type", [
  localBackend,
  z.strictObject({
    type: z.literal("azurerm"),
    storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/, { message: "is not a storage account name (3-24 lower-case letters and digits)" }),
    containerName: z
      .string()
      .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, { message: "is not a blob container name (3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit)" }),
    /** The storage account's resource group. */
    resourceGroupName: z
      .string()
      .regex(/^[-\w.()\p{L}\p{N}]{0,89}[-\w()\p{L}\p{N}]$/u, { message: "is not a resource group name (1-90 letters, digits, _ - . ( ), not ending with .)" }),
    /** Blob name of the state. @default `<prefix>/<stack>.tfstate` */
    key: z.string().min(1).max(1024).optional(),
    /** The storage account's subscription, when it is not the stack's. */
    subscriptionId: z.uuid({ message: "is not a subscription id (a UUID)" }).optional(),
    /** Reach the blob with Entra ID (the Storage Blob Data Contributor role) instead of the account key. */
    useAzureadAuth: z.boolean().default(true),
  }),
]);

/** The GCS state backend: an object in a bucket lure does not create (versioning on, as Terraform advises). */
const gcpBackend = z.discriminatedUnion("type", [
  localBackend,
  z.strictObject({
    type: z.literal("gcs"),
    bucket: z
      .string()
      .regex(/^(?!goog)(?!.*\.\.)[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, { message: 'is not a Cloud Storage bucket name (3-63 lower-case letters, digits, "-", "_" and ".", starting and ending with a letter or digit, not starting with "goog")' }),
    /** Folder of the state objects in the bucket. @default `<prefix>/<stack>` */
    prefix: z.string().min(1).max(512).regex(/^[^\s]+$/, { message: "is not an object prefix (no spaces)" }).optional(),
  }),
]);

/** A DNS name for the dashboard's certificate: lower-case labels of letters, digits and hyphens, with a dot. */
const DOMAIN_NAME = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

const tagMap = z
  .record(
    z.string().regex(/^[\w .:/=+\-@]{1,128}$/, { message: "is not a valid tag key (1-128 letters, digits, spaces and _.:/=+-@)" }),
    z.string().regex(/^[\w .:/=+\-@]{0,256}$/, { message: "is not a valid tag value (0-256 letters, digits, spaces and _.:/=+-@)" }),
  )
  .default({});

const backend = z.discriminatedUnion("type", [
  localBackend,
  z.strictObject({
    type: z.literal("s3"),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "is not a valid S3 bucket name" }),
    key: z.string().min(1).optional(),
    region: oneOf(AWS_REGIONS, "AWS region").optional(),
    /** Use S3 native state locking (Terraform ≥ 1.10). */
    useLockfile: z.boolean().default(true),
  }),
]);

// One strict object (not an intersection with a strict {cpu, memory}: that rejected image, ports and
// user). The cpu/memory pairing is checked in crossChecks, so it is reported next to unknown keys.
const honeypotOverride = z
  .strictObject({
    cpu: z.number().int().optional(),
    memory: z.number().int().optional(),
    /** Replace the catalog image (e.g. a modified image in ECR). */
    image: z.string().min(1).optional(),
    /** Publish only these catalog ports, written `22/tcp`. */
    ports: z.array(z.string().regex(/^\d{1,5}\/(tcp|udp)$/, { message: 'is not a port; write it like "22/tcp"' })).min(1).optional(),
    /** Container user, e.g. "0" to run as root where an image cannot bind its privileged ports otherwise. */
    user: z.string().min(1).optional(),
    /** Tag to run from the honeypot's lure repository (`imageRepositories`); a new tag rolls out a new image. */
    imageTag: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { message: "is not an image tag (1-128 letters, digits, _ . -, not starting with . or -)" })
      .optional(),
    /** VM size on Azure (a burstable size lure knows). @default derived from cpu/memory, see vm-sizes.ts */
    size: oneOf(AZURE_VM_SIZE_NAMES, "Azure VM size lure offers (burstable x86-64)").optional(),
    /** Machine type on Google Cloud (an e2 type lure knows). @default derived from cpu/memory, see vm-sizes.ts */
    machineType: oneOf(GCP_MACHINE_TYPE_NAMES, "Compute Engine machine type lure offers (e2, x86-64)").optional(),
  });

/** The detector's own defaults (one source for both), as a plain object: zod returns a default as is, and the allow-list is `quarantine.allowCidrs`. */
const { allowCidrs: _detectorAllowCidrs, trw: defaultTrw, antiSpoofing: defaultAntiSpoofing, ...detectorCounters } = DEFAULT_DETECTOR;
const DETECTOR_DEFAULTS = { trw: { ...defaultTrw }, ...detectorCounters, antiSpoofing: { ...defaultAntiSpoofing } };

/** ALB listener rule priorities run from 1 to this. */
export const MAX_RULE_PRIORITY = 50_000;

/**
 * `target.realSubnetCidrs` at most: a network ACL holds 20 rules per direction by default, and lure's
 * takes one of them to allow everything else.
 */
export const MAX_REAL_SUBNET_CIDRS = 19;

/**
 * Defaults of the `quarantine` section, also the defaults of `QuarantineProps` (one source for both).
 * zod 4 returns a `.default()` value as is (unparsed), so every default below is a complete object.
 */
export const QUARANTINE_DEFAULTS = {
  enabled: true,
  target: "demo" as const,
  allowCidrs: [] as string[],
  quietPeriodMinutes: 30,
  forgetOnNormal: true,
  rememberMinutes: 1440,
  defenceAfter: { sources: 1, windowMinutes: 5 },
  detector: DETECTOR_DEFAULTS,
  ruleQuota: 100,
  /** AWS's default quota of rules per Application Load Balancer (the default action excluded). */
  albRuleLimit: 100,
  firstRulePriority: 1,
  copies: { kind: "ecs" as const, defenceCount: 1, normalCount: 0 },
  /** A pinned public static-site image (ECR Public: no Docker Hub pull limits). */
  demo: { image: "public.ecr.aws/nginx/nginx:1.27.5-alpine", containerPort: 80, networkCidr: "10.43.0.0/16" },
  instanceType: "t3.micro",
  warmPoolState: "Stopped" as const,
  logRetentionDays: 7,
};

/** A whole number in [min, max]; out-of-range values are reported with the range. */
const intIn = (min: number, max: number) => {
  const message = `is not allowed; allowed: a whole number from ${min} to ${max}`;
  return z.number().int({ message }).min(min, { message }).max(max, { message });
};

const awsArn = (service: string, resource: string, what: string) =>
  z.string().regex(new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:${resource}$`), { message: `is not ${what}` });

const copyCount = (what: string, def: number, min: number) =>
  intIn(min, 20).default(def).describe(`${what} (${min}-20, default ${def})`);

const defenceCount = copyCount("Honeypot copies running in Defence Mode", QUARANTINE_DEFAULTS.copies.defenceCount, 1);
const normalCount = copyCount("Honeypot copies kept running in Normal Mode, at most defenceCount", QUARANTINE_DEFAULTS.copies.normalCount, 0);

const quarantineSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe("Deploy the quarantine (stacks aws-quarantine, azure-quarantine and gcp-quarantine, for the clouds configured)"),
    /** `demo` (a small static site lure deploys) or an existing service. */
    target: z
      .union([
        z.literal("demo"),
        z.strictObject({
          listenerArn: awsArn("elasticloadbalancing", "listener/app/[\\w-]+/[0-9a-f]+/[0-9a-f]+", "an application load balancer listener ARN"),
          taskDefinitionArn: awsArn("ecs", "task-definition/[\\w-]+(:\\d+)?", "a task definition ARN"),
          vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { message: "is not a VPC id" }),
          /** Where the copies run: best subnets dedicated to them, with a route to the internet (NAT) to pull their image. */
          subnetIds: z
            .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: "is not a subnet id" }))
            .min(1)
            .describe("Subnets for the honeypot copies, best dedicated to them (not the real service's), with a NAT route to pull images"),
          /** The container the load balancer sends requests to, in that task definition. */
          containerName: z.string().min(1).max(255).describe("Container of the task definition that serves requests"),
          containerPort: intIn(1, 65535).describe("Port that container serves on"),
          /** The load balancer's security group: the only source the copies admit. */
          albSecurityGroupId: z.string().regex(/^sg-[0-9a-f]{8,17}$/, { message: "is not a security group id" }).describe("Security group of the load balancer; the copies admit only it"),
          /** The real service's subnets, denied both ways by a network ACL on subnetIds when isolateSubnets is true. */
          realSubnetCidrs: z
            .array(ipv4Cidr)
            .min(1)
            .max(MAX_REAL_SUBNET_CIDRS)
            .optional()
            .describe(`IPv4 CIDRs of the real service's subnets (not the load balancer's, 1-${MAX_REAL_SUBNET_CIDRS}); with isolateSubnets, a network ACL on subnetIds denies them both ways`),
          /** Replace the network ACL of subnetIds with lure's: only when those subnets are dedicated to the copies. */
          isolateSubnets: z
            .boolean()
            .optional()
            .describe("Give subnetIds a network ACL denying realSubnetCidrs both ways; it replaces their current ACL, so only for subnets dedicated to the copies (default false: isolation by security group only)"),
        }),
      ])
      .default("demo")
      .describe('"demo" (a static site lure deploys) or an existing service behind an application load balancer'),
    /**
     * Sources never quarantined: health checkers, your own scanners. With an existing target, list your
     * VPC's CIDRs here (the load balancer's own connections); the demo's network is added automatically.
     */
    allowCidrs: z.array(cidr).default([]).describe("Sources never quarantined (health checkers, own scanners, for an existing target its VPC CIDRs)"),
    quietPeriodMinutes: z.number().int().min(1).max(1440).default(30).describe("Minutes without activity from a quarantined source before Normal Mode"),
    forgetOnNormal: z.boolean().default(true).describe("Forget quarantined sources on return to Normal Mode"),
    /** With `forgetOnNormal: false`: how long a source stays remembered (re-quarantined on sight). */
    rememberMinutes: intIn(1, 10_080).default(1440).describe("With forgetOnNormal false: minutes a source stays remembered (1-10080, default 1440)"),
    /** Enter Defence Mode once `sources` sources were flagged within `windowMinutes` (default: the first). */
    defenceAfter: z
      .strictObject({
        sources: intIn(1, 100).default(1).describe("Flagged sources that start Defence Mode (1-100, default 1)"),
        windowMinutes: intIn(1, 60).default(5).describe("Window in which they must be flagged (1-60, default 5)"),
      })
      .default(QUARANTINE_DEFAULTS.defenceAfter)
      .describe("When Defence Mode starts"),
    detector: z
      .strictObject({
        trw: z
          .strictObject({
            theta0: z.number().gt(0).lt(1).default(DETECTOR_DEFAULTS.trw.theta0),
            theta1: z.number().gt(0).lt(1).default(DETECTOR_DEFAULTS.trw.theta1),
            alpha: z.number().gt(0).lt(1).default(DETECTOR_DEFAULTS.trw.alpha),
            beta: z.number().gt(0).lt(1).default(DETECTOR_DEFAULTS.trw.beta),
          })
          .default(DETECTOR_DEFAULTS.trw),
        windowMinutes: z.number().int().min(1).max(60).default(DETECTOR_DEFAULTS.windowMinutes),
        verticalPorts: z.number().int().min(2).default(DETECTOR_DEFAULTS.verticalPorts),
        horizontalHosts: z.number().int().min(2).default(DETECTOR_DEFAULTS.horizontalHosts),
        distinctPairs: z.number().int().min(2).default(DETECTOR_DEFAULTS.distinctPairs),
        idleMinutes: z.number().int().min(1).default(DETECTOR_DEFAULTS.idleMinutes),
        maxTargetsPerSource: z.number().int().min(4).max(4096).default(DETECTOR_DEFAULTS.maxTargetsPerSource),
        maxSources: z.number().int().min(100).max(10_000_000).default(DETECTOR_DEFAULTS.maxSources),
        /** How long failed first contacts are remembered for the slow test. */
        memoryMinutes: intIn(30, 43_200)
          .default(DETECTOR_DEFAULTS.memoryMinutes)
          .describe("Minutes a failed first contact is remembered for the slow test (30-43200, default 1440: catches one probe every 30-180 min)"),
        slowFailures: intIn(2, MEMORY_TARGETS)
          .default(DETECTOR_DEFAULTS.slowFailures)
          .describe(`Distinct failed targets, minus distinct successful ones, within memoryMinutes that flag a source (2-${MEMORY_TARGETS}, default 6)`),
        antiSpoofing: z
          .strictObject({
            enabled: z.boolean().default(DETECTOR_DEFAULTS.antiSpoofing.enabled).describe("Report, do not steer, established clients on evidence anyone can forge in their name (default true)"),
            historyMinutes: intIn(60, 525_600)
              .default(DETECTOR_DEFAULTS.antiSpoofing.historyMinutes)
              .describe("Minutes a completed connection keeps proving its source's address (60-525600, default 10080: a week)"),
            settleMinutes: intIn(0, 10_080)
              .default(DETECTOR_DEFAULTS.antiSpoofing.settleMinutes)
              .describe("Minutes the first proof must precede the evidence, so a scanner cannot protect itself in passing (0-10080, default 60)"),
            maxClients: intIn(100, 10_000_000)
              .default(DETECTOR_DEFAULTS.antiSpoofing.maxClients)
              .describe("Clients' proofs each function instance holds (100-10000000, default 100000; the store holds them all)"),
          })
          .refine((a) => a.settleMinutes < a.historyMinutes, { message: "settleMinutes must be below historyMinutes", path: ["settleMinutes"] })
          .default(DETECTOR_DEFAULTS.antiSpoofing)
          .describe("The framing defence (README: threat model)"),
      })
      .default(DETECTOR_DEFAULTS),
    /** Listener rules lure may use (the size of its priority band). */
    ruleQuota: z.number().int().min(1).max(1000).default(100),
    /** Rules the load balancer accepts in all; lure's capacity is also this minus every rule not its own. */
    albRuleLimit: intIn(1, 1000)
      .default(QUARANTINE_DEFAULTS.albRuleLimit)
      .describe("Rules the load balancer accepts in all, excluding the default action (AWS default quota 100); at least ruleQuota"),
    /**
     * Lowest listener-rule priority lure uses; its band is `firstRulePriority` … `firstRulePriority + ruleQuota - 1`.
     * An existing target also takes `firstRulePriority + ruleQuota` for the copies' anchor rule.
     */
    firstRulePriority: intIn(1, MAX_RULE_PRIORITY)
      .default(1)
      .describe("Lowest listener-rule priority of lure's band (1-50000, default 1); an existing target also takes firstRulePriority + ruleQuota for the copies' anchor rule"),
    /** The honeypot copies: ECS services (default) or an EC2 Auto Scaling group from an AMI. */
    copies: z
      .discriminatedUnion("kind", [
        z.strictObject({
          kind: z.literal("ecs"),
          /** A decoy image instead of the real task definition's. @default the real task definition */
          image: z.string().min(1).optional().describe("Decoy image for the copies instead of the real task definition"),
          /** Existing target without image: accept that the copies run your task definition, task role and secrets included. */
          reuseTaskDefinition: z
            .boolean()
            .optional()
            .describe("Existing target without image: accept that the copies run your task definition unchanged, with its task role and secrets (safer: image)"),
          containerPort: intIn(1, 65535).optional().describe("Port the copies' decoy image serves on (default: the target's containerPort); only with image"),
          defenceCount,
          normalCount,
        }),
        z
          .strictObject({
            kind: z.literal("asg"),
            amiId: z.string().regex(/^ami-[0-9a-f]{8,17}$/, { message: "is not an AMI id (ami-…)" }).describe("AMI of the copies; it must serve on the container port"),
            instanceType: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: "is not an instance type like t3.micro" }).default("t3.micro").describe('EC2 instance type (default "t3.micro")'),
            containerPort: intIn(1, 65535).optional().describe("Port the AMI serves HTTP on (default: the target's containerPort)"),
            defenceCount,
            normalCount,
            /** Pre-initialised instances that start faster than a fresh launch. */
            warmPool: z
              .strictObject({
                minSize: intIn(0, 20).optional().describe("Instances kept in the warm pool (default: defenceCount)"),
                state: z.enum(["Stopped", "Running", "Hibernated"]).default("Stopped").describe('State of warm instances (default "Stopped")'),
              })
              .default({ state: "Stopped" })
              .describe("Instances launched ahead and parked, so Defence Mode does not wait for a fresh boot"),
          })
          // The warm pool's size follows defenceCount unless given.
          .transform((a) => ({ ...a, warmPool: { state: a.warmPool.state, minSize: a.warmPool.minSize ?? a.defenceCount } })),
      ])
      .default(QUARANTINE_DEFAULTS.copies)
      .describe('Honeypot copies: {"kind":"ecs"} (default) or {"kind":"asg","amiId":"ami-…"}'),
    /** The demo target (used when `target` is "demo"). */
    demo: z
      .strictObject({
        image: z.string().min(1).default(QUARANTINE_DEFAULTS.demo.image).describe(`Image of the demo site (default "${QUARANTINE_DEFAULTS.demo.image}")`),
        containerPort: intIn(1, 65535).default(80).describe("Port the demo image serves on (default 80)"),
        networkCidr: vpcCidr
          .default(QUARANTINE_DEFAULTS.demo.networkCidr)
          .describe(
            `Address space of the demo network, split in eight: IPv4, /16 to /${DEMO_LONGEST_PREFIX} (/${DEMO_LONGEST_PREFIX - 1} or larger for more than ${DEMO_COPIES_AT_LONGEST} ECS copies, or more than ${usableAddresses(DEMO_LONGEST_PREFIX + DEMO_SPLIT_BITS)} asg instances and warm-pool instances together), not overlapping honeynet.networkCidr (default "${QUARANTINE_DEFAULTS.demo.networkCidr}")`,
          ),
        certificateArn: z
          .string()
          .regex(ACM_CERTIFICATE_ARN, { message: "is not an ACM certificate ARN" })
          .optional()
          .describe("ACM certificate for HTTPS on 443 (HTTP then redirects); default plain HTTP on 80"),
      })
      .default(QUARANTINE_DEFAULTS.demo)
      .describe("The demo target lure deploys when target is \"demo\""),
    /** Retention of the flow logs and the functions' logs. */
    logRetentionDays: z
      .number()
      .int()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), { message: `is not a retention CloudWatch accepts; allowed: ${quoted(LOG_RETENTION_DAYS)}` })
      .default(7)
      .describe("Days flow logs and function logs are kept (default 7)"),
  })
  .default({
    enabled: QUARANTINE_DEFAULTS.enabled,
    target: QUARANTINE_DEFAULTS.target,
    allowCidrs: [],
    quietPeriodMinutes: QUARANTINE_DEFAULTS.quietPeriodMinutes,
    forgetOnNormal: QUARANTINE_DEFAULTS.forgetOnNormal,
    rememberMinutes: QUARANTINE_DEFAULTS.rememberMinutes,
    defenceAfter: QUARANTINE_DEFAULTS.defenceAfter,
    detector: DETECTOR_DEFAULTS,
    ruleQuota: QUARANTINE_DEFAULTS.ruleQuota,
    albRuleLimit: QUARANTINE_DEFAULTS.albRuleLimit,
    firstRulePriority: QUARANTINE_DEFAULTS.firstRulePriority,
    copies: QUARANTINE_DEFAULTS.copies,
    demo: QUARANTINE_DEFAULTS.demo,
    logRetentionDays: QUARANTINE_DEFAULTS.logRetentionDays,
  });

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Prefix of every resource name and tag; 2-12 lower-case letters, digits or hyphens. */
  prefix: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/, { message: "must be 2-12 lower-case letters, digits or hyphens, starting with a letter" })
    // AWS reserves names starting "sg-" (security groups) and "internal-" (load balancers).
    .refine((p) => p !== "sg" && !p.startsWith("internal"), { message: 'cannot be "sg" or start with "internal": AWS reserves those name prefixes' })
    .default("lure")
    .describe("Prefix of every resource name and tag (2-12 lower-case letters, digits, hyphens)"),
  /** Tags on every resource of every cloud (labels on GCP). */
  tags: tagMap,
  clouds: z
    .strictObject({
      aws: z
        .strictObject({
          region: oneOf(AWS_REGIONS, "AWS region"),
          tags: tagMap,
          backend: backend.optional(),
        })
        .optional(),
      azure: z
        .strictObject({
          location: oneOf(AZURE_LOCATIONS, "Azure location"),
          subscriptionId: z.uuid({ message: "is not a subscription id (a UUID)" }).optional(),
          tags: tagMap,
          backend: azureBackend.optional(),
          /** The honeypots on Azure, instead of honeynet.profile. @default honeynet.profile */
          honeypots: honeypotSelection(azureHoneypotName)
            .optional()
            .describe('Honeypots on Azure instead of honeynet.profile: "industrial", "standard" or a list of honeypot names'),
          /** The region's Network Watcher, which the Quarantine's flow log belongs to. @default Azure's own: NetworkWatcher_<location> in NetworkWatcherRG */
          networkWatcher: z
            .strictObject({
              name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,78}[A-Za-z0-9_]$/, { message: "is not a Network Watcher name (2-80 letters, digits, _ . -)" }),
              resourceGroupName: z.string().regex(/^[\w.()-]{1,89}[\w()-]$/, { message: "is not a resource group name (1-90 letters, digits, _ . ( ) -, not ending with .)" }),
            })
            .optional()
            .describe("The region's Network Watcher for the Quarantine's VNet flow log (default: Azure's own, NetworkWatcher_<location> in NetworkWatcherRG)"),
        })
        .optional(),
      gcp: z
        .strictObject({
          region: oneOf(GCP_REGIONS, "GCP region"),
          /** Zone of the VMs and the data disk, in `region` (checked there). @default the region's first zone */
          zone: z.string().optional(),
          /** @default the `GOOGLE_CLOUD_PROJECT` environment variable at plan time */
          project: z
            .string()
            .regex(GCP_PROJECT_ID, { message: `is not a Google Cloud project id (${GCP_PROJECT_ID_RULE})` })
            .optional(),
          /** Tags as labels (modules/core/labels.ts maps them; what it cannot map is an error). */
          tags: tagMap,
          backend: gcpBackend.optional(),
          /** The honeypots on Google Cloud, instead of honeynet.profile. @default honeynet.profile */
          honeypots: honeypotSelection(gcpHoneypotName)
            .optional()
            .describe('Honeypots on Google Cloud instead of honeynet.profile: "industrial", "standard" or a list of honeypot names'),
          /** Your Cloud Run service for gcp-quarantine to protect, instead of the demo (quarantine.target is AWS's). @default the demo */
          quarantineTarget: z
            .strictObject({
              service: z.string().regex(CLOUD_RUN_SERVICE_NAME, { message: `is not a Cloud Run service name (${CLOUD_RUN_SERVICE_NAME_RULE})` }),
              /** @default clouds.gcp.region */
              region: oneOf(GCP_REGIONS, "GCP region").optional(),
              /** Your site's DNS name: lure's load balancer serves it over HTTPS with a Google-managed certificate. @default none: plain HTTP on 80 */
              domain: z
                .string()
                .regex(DOMAIN_NAME, { message: 'is not a DNS name like "www.example.org" (lower-case letters, digits, hyphens and dots)' })
                .optional()
                .describe("Your site's DNS name: HTTPS on 443 with a Google-managed certificate once its A record points at the output quarantine_address (default: plain HTTP on 80)"),
              /** Deploy even though the service's own ingress admits the internet, which then reaches it around the router. */
              allowDirectIngress: z
                .boolean()
                .default(false)
                .describe("Accept a service whose ingress is INGRESS_TRAFFIC_ALL: scanners that find its run.app URL reach it around the router and are never steered (default false: the plan fails until its ingress is internal, or internal and Cloud Load Balancing)"),
            })
            .optional()
            .describe("An existing Cloud Run service of this project for gcp-quarantine to protect instead of the demo; lure reads it and adds only the router's run.invoker grant"),
        })
        .optional(),
    })
    .refine((c) => c.aws || c.azure || c.gcp, { message: "names no cloud; add at least one of aws, azure, gcp" }),
  honeynet: z
    .strictObject({
      /** `industrial` (default), `standard`, or an explicit list of honeypot names. */
      profile: z
        .union([oneOf(PROFILE_NAMES, "profile (or give a list of honeypot names)"), honeypotList])
        .default("industrial")
        .describe('"industrial" (ICS honeypots), "standard" (T-Pot 24.04 standard) or a list of honeypot names'),
      /** Capacity for honeypot tasks: Fargate Spot (cheaper, may be interrupted) or on-demand. */
      capacity: z.enum(["spot", "on-demand"]).default("spot").describe("Fargate Spot (cheaper, interruptible) or on-demand for honeypot tasks"),
      /** Per-honeypot changes: size, image, a subset of ports, container user. */
      overrides: z.record(honeypotName, honeypotOverride).default({}),
      /** Who may reach the honeypot VMs' admin SSH (Azure, GCP); closed when empty. */
      adminCidrs: z.array(cidr).default([]).describe("CIDRs allowed to reach the honeypot VMs' admin SSH port (Azure, Google Cloud); empty closes it"),
      /** OpenSSH public key of the honeypot VMs' admin user (Azure: ssh-ed25519 or ssh-rsa of at least 2048 bits). */
      adminSshPublicKey: sshPublicKey.optional().describe(`OpenSSH public key (${SSH_KEY_TYPES.join(", ")}) of the honeypot VMs' admin user`),
      dashboard: z.strictObject({
        /** Who may reach the dashboard. Required; world-open CIDRs need `allowWorldOpen`. */
        allowCidrs: z
          .array(cidr)
          .min(1, { message: "is empty: nobody could reach the dashboard; list your own CIDRs" })
          .describe("CIDRs allowed to reach the dashboard; everything else is blocked"),
        /** Explicit opt-in for 0.0.0.0/0 or ::/0 in `allowCidrs`. */
        allowWorldOpen: z.boolean().default(false).describe("Explicit opt-in for 0.0.0.0/0 or ::/0 in allowCidrs"),
        /** Explicit opt-in for a dashboard without `certificateArn`, served over plain HTTP. */
        allowPlaintext: z
          .boolean()
          .default(false)
          .describe("Explicit opt-in for serving Kibana (which has no login) over plain HTTP when there is no certificateArn"),
        /** ACM certificate ARN for HTTPS; without it the dashboard is served over plain HTTP (a warning). */
        certificateArn: z.string().regex(ACM_CERTIFICATE_ARN, { message: "is not an ACM certificate ARN" }).optional(),
        /** Google Cloud: the dashboard's DNS name, for a Google-managed certificate (HTTPS once its A record points at the load balancer). */
        domain: z
          .string()
          .regex(DOMAIN_NAME, { message: 'is not a DNS name like "kibana.example.org" (lower-case letters, digits, hyphens and dots)' })
          .optional()
          .describe("Google Cloud: DNS name of the dashboard; a Google-managed certificate makes it HTTPS"),
      }),
      /** T-Pot's attack map behind the dashboard's allow-list (AWS, with certificateArn). */
      attackMap: z
        .boolean()
        .default(false)
        .describe("T-Pot's attack map behind the dashboard's allow-list, on port 64299 of the dashboard (AWS only; needs certificateArn, since the map connects over wss:// only)"),
      /**
       * Log analytics: the Elastic stack as containers (managed OpenSearch is not implemented yet), one
       * per cloud unless `hive` names the cloud whose stack every other cloud ships to. The string
       * "elastic" is the same as `{ engine: "elastic" }`.
       */
      analytics: z
        .preprocess(
          // The string form names the engine alone (`"elastic"`, the only one yet).
          (v) => (typeof v === "string" ? { engine: v } : v),
          z.strictObject({
            engine: z.enum(["elastic"]).default("elastic"),
            hive: z
              .enum(["aws", "azure", "gcp"])
              .optional()
              .describe("One view over every cloud: the cloud whose Elastic stack and Kibana take every other cloud's events (over TLS with client certificates); the others run no Elastic stack"),
            hiveAllowCidrs: z
              .array(cidr)
              .min(1, { message: "is empty: no sensor could reach the hive; leave it out for any source (the input requires a client certificate)" })
              .default(["0.0.0.0/0"])
              .describe("Who may reach the hive's TLS input (port 64294); default any source, since the sensors' addresses change and every connection needs the sensor certificate"),
          }),
        )
        .default({ engine: "elastic", hiveAllowCidrs: ["0.0.0.0/0"] }),
      elastic: z
        .strictObject({
          /** Elastic Stack version of Elastic's Elasticsearch and Kibana images. */
          version: z
            .string()
            .regex(ELASTIC_VERSION, { message: "is not a version like 8.17.0" })
            .refine((v) => !ELASTIC_VERSION.test(v) || analyticsVersionOk(v), {
              message: `is not supported: T-Pot ${TPOT_RELEASE}'s Logstash and Kibana objects need Elastic ${MIN_ELASTIC_VERSION} or a later 8.x (Kibana refuses objects from a newer Kibana)`,
            })
            .default("8.17.0"),
          images: z.strictObject({ elasticsearch: z.string().min(1).optional(), logstash: z.string().min(1).optional(), kibana: z.string().min(1).optional() }).default({}),
          /** Size of the Elastic stack on every cloud (core/analytics.ts ELASTIC_SIZES); standard is T-Pot's. */
          size: z
            .enum(ELASTIC_SIZE_NAMES as [ElasticSize, ...ElasticSize[]])
            .default("standard")
            .describe("Size of the Elastic stack on every cloud: small (Elasticsearch 1 GiB heap), standard (T-Pot's: 2 GiB heap in 4 GiB, Logstash 1 GiB), large (4 GiB, Logstash 2 GiB)"),
        })
        .default({ version: "8.17.0", images: {}, size: "standard" }),
      /** Retention of container logs in the cloud's log service. */
      logRetentionDays: z
        .number()
        .int()
        .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), { message: `is not a retention CloudWatch accepts; allowed: ${quoted(LOG_RETENTION_DAYS)}` })
        .default(30),
      /**
       * VPC flow logs of the honeynet (every probe of every honeypot address, also on ports no honeypot
       * listens on) into CloudWatch Logs: research data, at CloudWatch's ingestion price. Off by default.
       */
      flowLogs: z.boolean().default(false).describe("Record VPC flow logs of the honeynet (every probe to every honeypot address, ports without a honeypot too) in CloudWatch Logs; costs per GB ingested (README)"),
      /** Honeypots that get a private image repository (for modified images). */
      imageRepositories: z.array(honeypotName).default([]),
      /** Address space of the honeynet network; how small it may be depends on the honeypots (address-plan.ts). */
      networkCidr: vpcCidr
        .default("10.42.0.0/16")
        .describe(
          `Address space of the honeynet VPC, whose two subnets are a sixteenth each: IPv4, /16 to what the honeypots need (/${HONEYNET_LONGEST_PREFIX.industrial} for the industrial profile, /${HONEYNET_LONGEST_PREFIX.standard} for standard; default "10.42.0.0/16")`,
        ),
    }),
  watcher: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** How often to look the honeypots up: `rate(12 hours)` or `cron(...)`. */
      schedule: z
        .string()
        .superRefine((v, ctx) => {
          const problem = scheduleProblem(v);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        })
        .default("rate(12 hours)"),
      /** Who gets the exposure alerts (must confirm the subscription e-mail). */
      alertEmail: z.email({ message: "is not an e-mail address" }).optional(),
      /** Move an exposed honeypot to a new public IP. Off by default. */
      rotateOnExposure: z.boolean().default(false),
      /** Minimum time between two rotations of the same honeypot. */
      minRotationIntervalHours: z.number().int().min(1).max(720).default(24),
      /** How long lookup results are kept. */
      resultsRetentionDays: z.number().int().min(1).max(3650).default(365),
      /** Also ask Shodan for the honeyscore of hosts it lists (one more request per listed host). */
      honeyscore: z.boolean().default(true),
      /** Scanner indexes to ask, the first being the primary; each further one has its own key secret. */
      indexes: z
        .array(oneOf(SCANNER_INDEXES, "scanner index"))
        .min(1)
        .superRefine((v, ctx) => {
          if (v[0] !== "shodan") ctx.addIssue({ code: "custom", message: `must start with "shodan": it is the primary index (honeyscore, rotation); add others after it, e.g. ["shodan", "censys"]` });
          if (new Set(v).size !== v.length) ctx.addIssue({ code: "custom", message: "names an index twice" });
        })
        .default(["shodan"])
        .describe('Scanner indexes the watcher asks, Shodan first: ["shodan"] (default) or ["shodan", "censys"]; each further index has its own key secret and costs its own credits'),
      /** Censys's settings, used when `indexes` has "censys". */
      censys: z
        .strictObject({
          /** Hours before one IP is asked again: every Censys host lookup costs a credit. */
          everyHours: z.number().int().min(0).max(720).default(CENSYS_DEFAULT_EVERY_HOURS),
          /** Censys organization to bill; without it the token owner's free wallet pays. */
          organizationId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: "is not a Censys organization ID (a UUID)" }).optional(),
        })
        .default({ everyHours: CENSYS_DEFAULT_EVERY_HOURS }),
      /**
       * Honeypots lure did not deploy (on premises, another provider): public addresses or CIDRs up to
       * a /28, or `{ address, honeypot?, label? }`; looked up every cycle, alerted and reported like
       * lure's own, never rotated. Checked in `crossChecks` (each problem with its path).
       */
      extraTargets: z.array(z.custom<ExtraTargetInput>(() => true)).default([]),
    })
    .default({
      enabled: true,
      schedule: "rate(12 hours)",
      rotateOnExposure: false,
      minRotationIntervalHours: 24,
      resultsRetentionDays: 365,
      honeyscore: true,
      indexes: ["shodan"],
      censys: { everyHours: CENSYS_DEFAULT_EVERY_HOURS },
      extraTargets: [],
    }),
  quarantine: quarantineSchema,
});

/** The validated configuration, defaults filled in. */
export type LureConfig = z.output<typeof configSchema>;
/** What a user may write. */
export type LureConfigInput = z.input<typeof configSchema>;
export type CloudName = "aws" | "azure" | "gcp";

export interface ConfigProblem {
  /** Dotted path, e.g. `honeynet.profile[3]`. */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  constructor(readonly source: string, readonly problems: readonly ConfigProblem[]) {
    super(`${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n${problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc === "" ? String(k) : `${acc}.${String(k)}`), "") || "(root)";

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

const valueAt = (root: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } => {
  let cur: unknown = root;
  for (const k of path) {
    if (cur === null || typeof cur !== "object" || !(k in (cur as object))) return { found: false };
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return { found: true, value: cur };
};

type SchemaDef = { type: string; innerType?: z.ZodType; in?: z.ZodType; valueType?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType>; options?: z.ZodType[]; values?: unknown[] };
const defOf = (s: z.ZodType | undefined): SchemaDef | undefined => (s as unknown as { def?: SchemaDef } | undefined)?.def;

/**
 * The definition under defaults, optionals and pipes; for a union, the one object option whose
 * literal fields match `value` (the branch `copies` picks by `kind`, or the object form of `target`).
 */
function unwrapDef(s: z.ZodType | undefined, value?: unknown): SchemaDef | undefined {
  let d = defOf(s);
  while (d && (d.innerType || (d.type === "pipe" && d.in))) d = defOf(d.innerType ?? d.in);
  if (d?.type !== "union" || !d.options || !value || typeof value !== "object") return d;
  const candidates = d.options.map((o) => unwrapDef(o)).filter((o) => literalsFit(o, value));
  return candidates.length === 1 ? candidates[0] : d;
}

/** Whether `d` is an object schema whose literal fields (`kind: "asg"`) all match `value`. */
function literalsFit(d: SchemaDef | undefined, value: unknown): boolean {
  return (
    d?.type === "object" &&
    Object.entries(d.shape ?? {}).every(([k, f]) => {
      const fd = unwrapDef(f);
      return fd?.type !== "literal" || (fd.values ?? []).includes((value as Record<string, unknown>)[k]);
    })
  );
}

/** The option of a union that `value` takes: by its shape (a list, an object, anything else), objects by their literal fields. */
function optionFor(options: readonly z.ZodType[], value: unknown): z.ZodType | undefined {
  const shape = (v: unknown) => (Array.isArray(v) ? "array" : v !== null && typeof v === "object" ? "object" : "other");
  const matching = options.filter((o) => {
    const d = unwrapDef(o);
    const t = d?.type === "array" || d?.type === "object" ? d.type : "other";
    return t === shape(value) && (t !== "object" || literalsFit(d, value));
  });
  return matching.length === 1 ? matching[0] : undefined;
}

/** `s` under defaults, optionals and pipes, and for a union the option `value` takes. */
function unwrapFor(s: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  let cur = s;
  for (let d = defOf(cur); d; d = defOf(cur)) {
    if (d.innerType || (d.type === "pipe" && d.in)) cur = d.innerType ?? d.in;
    else if (d.type === "union" && d.options) cur = optionFor(d.options, value);
    else break;
  }
  return cur;
}

/** The schema that checks the value at `path` of `input`. */
function schemaAt(path: readonly PropertyKey[], input: unknown): z.ZodType | undefined {
  let s: z.ZodType | undefined = configSchema;
  for (let i = 0; i < path.length && s; i++) {
    const d = defOf(unwrapFor(s, valueAt(input, path.slice(0, i)).value));
    const k = path[i];
    s = d?.type === "object" && typeof k === "string" ? d.shape?.[k] : d?.type === "record" ? d.valueType : d?.type === "array" && typeof k === "number" ? d.element : undefined;
  }
  return unwrapFor(s, valueAt(input, path).value);
}

/**
 * What a check without a message of ours receives instead of zod's wording ("Too small: expected number
 * to be >=1"), so that {@link zodWording} can phrase it from the issue and the schema's bounds.
 */
const ZOD_DEFAULT = "\u0000zod-default";

/** The bounds zod records on a schema (`.min`, `.max`, `.gt`, `.lt`, `.int`). */
type Bounds = { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number; format?: string };
const boundsOf = (s: z.ZodType | undefined): Bounds => ((s as unknown as { _zod?: { bag?: Bounds } } | undefined)?._zod?.bag ?? {});

/** "a whole number from 1 to 1440", "a number above 0 and below 1", "a whole number of at least 2". */
function numberRange(b: Bounds, issue: z.core.$ZodIssue): string {
  // `.int()` records the safe-integer range: no bound the user chose.
  const bound = (n: number | undefined) => (n !== undefined && Math.abs(n) < Number.MAX_SAFE_INTEGER ? n : undefined);
  let min = bound(b.minimum);
  let max = bound(b.maximum);
  let above = b.exclusiveMinimum;
  let below = b.exclusiveMaximum;
  // Without the schema (a record key), the issue still names the bound it broke.
  if (issue.code === "too_small" && min === undefined && above === undefined) [min, above] = issue.inclusive ? [Number(issue.minimum), undefined] : [undefined, Number(issue.minimum)];
  if (issue.code === "too_big" && max === undefined && below === undefined) [max, below] = issue.inclusive ? [Number(issue.maximum), undefined] : [undefined, Number(issue.maximum)];
  const what = b.format === "safeint" || b.format === "int32" || b.format === "uint32" || issue.code === "invalid_type" ? "a whole number" : "a number";
  if (min !== undefined && max !== undefined) return `${what} from ${min} to ${max}`;
  const lower = min !== undefined ? `of at least ${min}` : above !== undefined ? `above ${above}` : undefined;
  const upper = max !== undefined ? `of at most ${max}` : below !== undefined ? `below ${below}` : undefined;
  return [what, [lower, upper].filter(Boolean).join(" and ")].filter(Boolean).join(" ");
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * lure's wording for an issue that came without a message of ours (zod's own reads "Too small:
 * expected number to be >=1"): the value, then what is wrong or allowed. `schema` checks the value.
 */
function zodWording(issue: z.core.$ZodIssue, got: string, value: unknown, schema: z.ZodType | undefined): string {
  const b = boundsOf(schema);
  switch (issue.code) {
    case "too_small":
    case "too_big": {
      if (issue.origin === "array" && Array.isArray(value)) {
        if (issue.code === "too_big") return `${got} has ${plural(value.length, "entry", "entries")}; at most ${issue.maximum} ${Number(issue.maximum) === 1 ? "is" : "are"} allowed`;
        const needed = `at least ${issue.minimum} ${Number(issue.minimum) === 1 ? "is" : "are"} required`;
        return value.length === 0 ? `${got} has no entries; ${needed}` : `${got} has ${plural(value.length, "entry", "entries")}; ${needed}`;
      }
      if (issue.origin === "string" && typeof value === "string") {
        if (value === "") return `${got} is empty`;
        const lengths = b.minimum !== undefined && b.maximum !== undefined ? `${b.minimum} to ${b.maximum}` : issue.code === "too_big" ? `at most ${issue.maximum}` : `at least ${issue.minimum}`;
        return `${got} has ${plural(value.length, "character", "characters")}; allowed: ${lengths} characters`;
      }
      if (issue.origin === "number") return `${got} is not allowed; allowed: ${numberRange(b, issue)}`;
      return `${got} is not allowed`;
    }
    case "invalid_type":
      // Only `.int()` gets here: the value is a number, but not a whole one.
      return `${got} is not allowed; allowed: ${numberRange(b, issue)}`;
    case "not_multiple_of":
      return `${got} is not allowed; allowed: a multiple of ${issue.divisor}`;
    case "invalid_format":
      return `${got} is not a valid ${issue.format}`;
    default:
      return `${got} is not allowed`;
  }
}

/** Known keys of the object schema at `path` (in `input`), for "did you mean" on unknown keys. */
function knownKeys(path: readonly PropertyKey[], input?: unknown): string[] {
  let s: z.ZodType | undefined = configSchema;
  for (let i = 0; i < path.length; i++) {
    const k = path[i];
    const d = unwrapDef(s, valueAt(input, path.slice(0, i)).value);
    if (d?.type === "record" && d.valueType && typeof k === "string") { s = d.valueType; continue; }
    if (d?.type !== "object" || !d.shape || typeof k !== "string" || !d.shape[k]) return [];
    s = d.shape[k];
  }
  const d = unwrapDef(s, valueAt(input, path).value);
  return d?.type === "object" && d.shape ? Object.keys(d.shape) : [];
}

/** The values the discriminator `key` takes in the discriminated union at `path` (e.g. `copies.kind`). */
function discriminatorValues(path: readonly PropertyKey[], key: string): string[] {
  let cur: z.ZodType | undefined = configSchema;
  for (const k of path) cur = typeof k === "string" ? unwrapDef(cur)?.shape?.[k] : undefined;
  return (unwrapDef(cur)?.options ?? []).flatMap((o) => (unwrapDef(unwrapDef(o)?.shape?.[key])?.values ?? []).map(String));
}

/** An existing target's `targetGroupArn`, which lure asked for but never used. */
export const TARGET_GROUP_RETIRED_MESSAGE = "is no longer used (lure never touches your service's target group); remove it";

/** Settings lure no longer reads, by path, with why and what to do: more help than "unknown setting". */
const RETIRED_SETTINGS: Readonly<Record<string, string>> = {
  "quarantine.target.targetGroupArn": TARGET_GROUP_RETIRED_MESSAGE,
};

/** Setting names that would hold a secret. */
const SECRET_KEY = /(api_?key|token|secret|password)/i;

function issueToProblems(issue: z.core.$ZodIssue, input: unknown): ConfigProblem[] {
  const path = issue.path;
  const at = valueAt(input, path);
  const got = at.found ? show(at.value) : "nothing";
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys(path, input);
      return issue.keys.map((k) => ({
        path: formatPath([...path, k]),
        message: RETIRED_SETTINGS[formatPath([...path, k])] ?? (SECRET_KEY.test(k)
          ? "secrets are never part of the config (it is committed and ends up in Terraform state); the Shodan API key goes into the secret the stack creates, see the README"
          : `unknown setting${didYouMean(k, known)}${known.length ? ` (allowed here: ${quoted(known.filter((x) => x !== "$schema"))})` : ""}`),
      }));
    }
    case "invalid_type":
      // `.int()` reports a fraction as the wrong type: it is the right type, outside what is allowed.
      if (at.found && (issue.expected as string) === "int") return [{ path: formatPath(path), message: zodWording(issue, got, at.value, schemaAt(path, input)) }];
      return [{ path: formatPath(path), message: at.found ? `${got} has the wrong type; expected ${issue.expected}` : `is required (expected ${issue.expected})` }];
    case "invalid_value":
      return [{ path: formatPath(path), message: `${got} is not allowed; allowed: ${quoted(issue.values.map((v) => String(v)))}` }];
    case "invalid_key": {
      // A record key that fails its schema (an unknown honeypot under overrides, a bad tag key): name the key.
      const name = String(path[path.length - 1]);
      const key = show(name);
      return issue.issues.map((e) => ({ path: formatPath(path), message: e.message === ZOD_DEFAULT ? zodWording(e, key, name, undefined) : `${key} ${e.message}` }));
    }
    case "invalid_union": {
      // A discriminated union whose discriminator is missing or unknown (`copies.kind`): say which are allowed.
      if (issue.errors.length === 0) {
        const allowed = discriminatorValues(path.slice(0, -1), String(path[path.length - 1]));
        return [{ path: formatPath(path), message: `${at.found ? `${got} is not allowed` : "is required"}${allowed.length ? `; allowed: ${quoted(allowed)}` : ""}` }];
      }
      // A union of "a name" and "a list": report the branch that matches the value's shape.
      // A branch whose every error is inside the value (an object missing a field or with an unknown
      // one) is the one meant.
      const branch =
        issue.errors.find((errs) => errs.length > 0 && errs.every((e) => e.path.length > 0 || e.code === "unrecognized_keys")) ??
        issue.errors.find((errs) => errs.every((e) => e.code !== "invalid_type" || e.path.length > 0)) ??
        issue.errors[0];
      return branch ? branch.flatMap((e) => issueToProblems({ ...e, path: [...path, ...e.path] } as z.core.$ZodIssue, input)) : [];
    }
    default:
      return [{ path: formatPath(path), message: issue.message === ZOD_DEFAULT ? zodWording(issue, got, at.value, schemaAt(path, input)) : `${got} ${issue.message}` }];
  }
}

/** Fargate accepts only some cpu/memory pairs; a missing cpu is the honeypot's default. `o` is a raw override. */
function fargateSizeProblems(path: string, name: string, o: unknown): ConfigProblem[] {
  const raw = (o && typeof o === "object" ? o : {}) as { cpu?: unknown; memory?: unknown };
  const memory = raw.memory;
  const cpu = raw.cpu === undefined && name in TPOT.honeypots && Number.isInteger(memory) ? defaultSize(name).cpu : raw.cpu;
  if (!Number.isInteger(cpu)) return [];
  const allowed = FARGATE_SIZES[cpu as number];
  if (!allowed) return [{ path: `${path}.cpu`, message: `${show(cpu)} is not a Fargate CPU size; allowed: ${quoted(Object.keys(FARGATE_SIZES).map(Number))}` }];
  if (!Number.isInteger(memory) || allowed.includes(memory as number)) return [];
  const steps = allowed.length > 4 && allowed.every((m, i) => i === 0 || m - allowed[i - 1] === 1024);
  return [{ path: `${path}.memory`, message: `${show(memory)} is not allowed with cpu ${cpu}; allowed: ${steps ? `${allowed[0]}-${allowed[allowed.length - 1]} in steps of 1024` : quoted(allowed)}` }];
}

/** Rules that span several settings; they read the raw input, so they run even when other parts are wrong. */
function crossChecks(input: unknown): ConfigProblem[] {
  return [...extraTargetProblems(input), ...honeynetCrossChecks(input), ...adminAccessCrossChecks(input), ...azureCrossChecks(input), ...gcpCrossChecks(input), ...watcherScheduleProblems(input), ...vmAllowListProblems(input), ...quarantineCrossChecks(input)];
}

/** The clouds whose config may narrow the honeynet's selection (`clouds.<cloud>.honeypots`). */
const NARROWING_CLOUDS = ["azure", "gcp"] as const satisfies readonly CloudName[];

/** The honeypot names a raw selection (a profile or a list) deploys; undefined when it is neither (reported by the schema). */
function rawSelection(selection: unknown): readonly string[] | undefined {
  if (selection === undefined) return PROFILES.industrial;
  if (typeof selection === "string") return PROFILES[selection as ProfileName];
  if (Array.isArray(selection)) return selection.filter((n): n is string => typeof n === "string" && n in TPOT.honeypots);
  return undefined;
}

/**
 * On Azure the dashboard and admin allow-lists are NSG rules inside the honeynet's own VNet, and on
 * Google Cloud the admin allow-list is a VPC firewall rule: a CIDR that covers part of
 * `honeynet.networkCidr` would let the honeypot VMs (attacker-controlled by design) reach Kibana or
 * admin SSH. (Google's dashboard allow-list is Cloud Armor at the edge, which sees public addresses only.)
 */
function vmAllowListProblems(input: unknown): ConfigProblem[] {
  const lists: [readonly string[], string, string][] = [];
  if (azureOn(input)) lists.push(...(azureDashboard(input) ? [[["honeynet", "dashboard", "allowCidrs"], "Kibana", "Azure"] as (typeof lists)[number]] : []), [["honeynet", "adminCidrs"], "admin SSH", "Azure"]);
  else if (gcpOn(input)) lists.push([["honeynet", "adminCidrs"], "admin SSH", "Google Cloud"]);
  if (lists.length === 0) return [];
  const network = valueAt(input, ["honeynet", "networkCidr"]);
  const net = typeof network.value === "string" || !network.found ? (network.found ? (network.value as string) : "10.42.0.0/16") : undefined;
  const nb = net !== undefined && parseCidr(net).ok ? cidrBounds(net) : undefined;
  if (!nb) return [];
  const out: ConfigProblem[] = [];
  for (const [path, what, cloud] of lists) {
    const list = valueAt(input, path).value;
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      const b = typeof c === "string" && parseCidr(c).ok ? cidrBounds(c) : undefined;
      if (b && b.version === nb.version && !/\/0$/.test(String(c)) && b.first <= nb.last && nb.first <= b.last) {
        out.push({ path: `${path.join(".")}[${i}]`, message: `${show(c)} overlaps honeynet.networkCidr ${show(net)}: on ${cloud} the honeypot VMs, which attackers control, would reach ${what}; list only addresses outside the honeynet` });
      }
    });
  }
  return out;
}

/** Whether the raw config names Azure (before it is parsed). */
function azureOn(input: unknown): boolean {
  return Boolean(valueAt(input, ["clouds", "azure"]).value);
}

/** Whether the raw config names Google Cloud (before it is parsed). */
function gcpOn(input: unknown): boolean {
  return Boolean(valueAt(input, ["clouds", "gcp"]).value);
}

/** A sensor cloud ships to another cloud's hive and has no dashboard of its own. */
function sensorCloud(input: unknown, cloud: CloudName): boolean {
  const hive = valueAt(input, ["honeynet", "analytics", "hive"]).value;
  return typeof hive === "string" && hive !== cloud && HIVE_CLOUDS.includes(hive as CloudName) && Boolean(valueAt(input, ["clouds", hive]).value);
}

/** A cloud is configured and runs a dashboard (it is not a hive's sensor). */
const awsDashboard = (input: unknown): boolean => Boolean(valueAt(input, ["clouds", "aws"]).value) && !sensorCloud(input, "aws");
const azureDashboard = (input: unknown): boolean => azureOn(input) && !sensorCloud(input, "azure");
const gcpDashboard = (input: unknown): boolean => gcpOn(input) && !sensorCloud(input, "gcp");

/** `honeynet.adminCidrs` and `honeynet.adminSshPublicKey` together. */
function adminAccessCrossChecks(input: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const hn = valueAt(input, ["honeynet"]).value as Record<string, unknown> | undefined;
  if (!hn || typeof hn !== "object") return out;
  const cidrs = Array.isArray(hn.adminCidrs) ? (hn.adminCidrs as unknown[]) : [];
  const parsed = cidrs.map((c) => (typeof c === "string" ? parseCidr(c) : undefined));
  parsed.forEach((r, i) => {
    if (!r?.ok) return;
    const first = parsed.findIndex((q) => q?.ok && q.cidr.canonical === r.cidr.canonical);
    if (first !== i) out.push({ path: `honeynet.adminCidrs[${i}]`, message: `${show(cidrs[i])} repeats adminCidrs[${first}]` });
    else if (isWorldOpen(r.cidr)) out.push({ path: `honeynet.adminCidrs[${i}]`, message: `${show(cidrs[i])} opens the honeypot VMs' admin SSH to the whole internet; list your own CIDRs` });
  });
  if (cidrs.length > 0 && hn.adminSshPublicKey === undefined) {
    out.push({ path: "honeynet.adminSshPublicKey", message: "is required with honeynet.adminCidrs: the admin user logs in with this key only (no password); give your OpenSSH public key, e.g. the contents of ~/.ssh/id_ed25519.pub" });
  }
  const key = typeof hn.adminSshPublicKey === "string" ? parseSshPublicKey(hn.adminSshPublicKey) : undefined;
  for (const cloud of ["azure", "gcp"] as const) {
    const problem = key?.ok && valueAt(input, ["clouds", cloud]).value ? sshKeyCloudProblem(key.key, cloud) : undefined;
    if (problem) out.push({ path: "honeynet.adminSshPublicKey", message: `${show(hn.adminSshPublicKey)} ${problem}` });
  }
  return out;
}

/**
 * The Azure watcher's timer (NCRONTAB) and Google's Cloud Scheduler (unix-cron) cannot keep every
 * EventBridge expression: one they cannot is refused here, once, naming the clouds that need it,
 * not half-way through a deploy. Both accept and refuse the same expressions.
 */
function extraTargetProblems(input: unknown): ConfigProblem[] {
  const list = valueAt(input, ["watcher", "extraTargets"]);
  // Not a list: the schema says so.
  if (!list.found || !Array.isArray(list.value)) return [];
  return expandExtraTargets(list.value, "watcher.extraTargets", HONEYPOT_NAMES).problems;
}

function watcherScheduleProblems(input: unknown): ConfigProblem[] {
  const w = valueAt(input, ["watcher"]).value as Record<string, unknown> | undefined;
  const schedule = w && typeof w === "object" ? w.schedule : undefined;
  if ((w && typeof w === "object" && w.enabled === false) || typeof schedule !== "string" || scheduleProblem(schedule) !== undefined) return [];
  const clouds = (["azure", "gcp"] as const).filter((c) => valueAt(input, ["clouds", c]).value);
  if (clouds.length === 0) return [];
  const cron = clouds.includes("azure") ? toNcrontab(schedule) : toUnixCron(schedule);
  return cron.ok ? [] : [{ path: "watcher.schedule", message: `${show(schedule)} ${cron.problem} (${clouds.map((c) => `clouds.${c}`).join(" and ")} ${clouds.length === 1 ? "is" : "are"} set)` }];
}

/** Characters Azure refuses in tag names that lure's tag check lets through (`<>%&\\?` it refuses already). */
const AZURE_TAG_NAME_FORBIDDEN = /\//;

function azureCrossChecks(input: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const az = valueAt(input, ["clouds", "azure"]).value as Record<string, unknown> | undefined;
  if (!az || typeof az !== "object") return out;
  for (const [path, tags] of [["tags", valueAt(input, ["tags"]).value], ["clouds.azure.tags", az.tags]] as const) {
    if (!tags || typeof tags !== "object") continue;
    for (const k of Object.keys(tags)) {
      if (AZURE_TAG_NAME_FORBIDDEN.test(k)) out.push({ path: `${path}.${k}`, message: `${show(k)} contains "/", which Azure does not allow in tag names; rename the tag` });
    }
  }
  out.push(...selectionPeerProblems("clouds.azure.honeypots", az.honeypots));
  return out;
}

/** A honeypot list that names a honeypot without the internal peer it talks to (tanner for snare). */
function selectionPeerProblems(path: string, list: unknown): ConfigProblem[] {
  if (!Array.isArray(list)) return [];
  const names = list.filter((n): n is string => typeof n === "string" && n in TPOT.honeypots);
  return missingPeers(names).map(({ honeypot, peer }) => ({ path: `${path}[${list.indexOf(honeypot)}]`, message: `"${honeypot}" talks to "${peer}", which is not in the list; add "${peer}"` }));
}

/**
 * Labels lure puts on Google Cloud resources itself (the provider's default labels and each
 * resource's own): a user tag that maps to one of them would be overwritten or refused.
 */
const LURE_LABEL_KEYS: readonly string[] = [...Object.values(LABEL_KEYS), "managed-by"];

/**
 * The copies of an existing Cloud Run service: a Cloud Run service of lure's, from a decoy image or,
 * by explicit opt-in, the real service's image (never its environment, secrets or account).
 */
function gcpQuarantineTargetProblems(input: unknown, target: unknown): ConfigProblem[] {
  const q = valueAt(input, ["quarantine"]).value as Record<string, unknown> | undefined;
  if (!target || typeof target !== "object" || (q && typeof q === "object" && q.enabled === false)) return [];
  const copies = (q && typeof q === "object" ? q.copies : undefined) as Record<string, unknown> | undefined;
  if (copies && typeof copies === "object" && copies.kind === "asg") {
    return [{ path: "quarantine.copies.kind", message: CLOUD_RUN_ASG_MESSAGE }];
  }
  const image = copies && typeof copies === "object" ? copies.image : undefined;
  const reuse = copies && typeof copies === "object" ? copies.reuseTaskDefinition : undefined;
  // An existing AWS target reports the same missing image, with the same two ways out.
  const awsTarget = q && typeof q === "object" && typeof q.target === "object" && q.target !== null;
  if (image !== undefined || reuse === true || awsTarget) return [];
  const service = (target as Record<string, unknown>).service;
  return [{ path: "quarantine.copies", message: cloudRunCopiesMessage("quarantine.copies", typeof service === "string" ? service : undefined) }];
}

/**
 * Google Cloud: the zone is one of the region's, every tag can be a label (labels.ts), and the
 * honeypot list names its peers. Tags of `clouds.gcp.tags` replace those of `tags` with the same key.
 */
function gcpCrossChecks(input: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const gcp = valueAt(input, ["clouds", "gcp"]).value as Record<string, unknown> | undefined;
  if (!gcp || typeof gcp !== "object") return out;
  const watcher = valueAt(input, ["watcher", "enabled"]).value;
  if (typeof gcp.project === "string" && GCP_PROJECT_ID.test(gcp.project) && isDomainScoped(gcp.project) && watcher !== false) {
    out.push({
      path: "clouds.gcp.project",
      message: `${show(gcp.project)} is domain-scoped: the watcher's queue calls its lookup function at https://<region>-<project>.cloudfunctions.net, a host name lure cannot write for such an id; allowed: a plain project id, or set watcher.enabled to false`,
    });
  }
  const zones = typeof gcp.region === "string" ? gcpZones(gcp.region) : [];
  if (typeof gcp.zone === "string" && zones.length > 0 && !zones.includes(gcp.zone)) {
    out.push({ path: "clouds.gcp.zone", message: `${show(gcp.zone)} is not a zone of ${gcp.region}${didYouMean(gcp.zone, zones)}; allowed: ${quoted(zones)}` });
  }
  const label = new Map<string, string>();
  for (const [path, tags] of [["tags", valueAt(input, ["tags"]).value], ["clouds.gcp.tags", gcp.tags]] as const) {
    if (!tags || typeof tags !== "object" || Array.isArray(tags)) continue;
    const entries = Object.entries(tags as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string");
    out.push(...labelsFromTags(Object.fromEntries(entries), path).problems);
    for (const [key] of entries) {
      const k = toLabel(key);
      if (LURE_LABEL_KEYS.includes(k)) {
        out.push({ path: `${path}.${key}`, message: `becomes label ${show(k)}, which lure sets itself; rename the tag` });
        continue;
      }
      const other = label.get(k);
      // The same key in clouds.gcp.tags replaces the global tag; another key with the same label collides.
      if (other !== undefined && other !== key && path === "clouds.gcp.tags" && !(other in (gcp.tags as object))) {
        out.push({ path: `${path}.${key}`, message: `becomes label ${show(k)}, as tags.${other} does; rename one (labels are lower-case, other characters become "-")` });
      }
      label.set(k, key);
    }
  }
  const room = MAX_LABELS - LURE_LABEL_KEYS.length;
  if (label.size > room) out.push({ path: "clouds.gcp.tags", message: `tags and clouds.gcp.tags give ${label.size} labels; Google Cloud takes ${MAX_LABELS} per resource and lure uses ${LURE_LABEL_KEYS.length}, so at most ${room} are yours` });
  out.push(...selectionPeerProblems("clouds.gcp.honeypots", gcp.honeypots));
  out.push(...gcpQuarantineTargetProblems(input, gcp.quarantineTarget));
  return out;
}

/** The longest honeynet prefix on Google Cloud: a sixteenth of it is the /26 Direct VPC egress asks for. */
export const GCP_LONGEST_NETWORK_PREFIX = 22;

/** A whole number at `value`, else `fallback` when it is absent; undefined when it is something else (reported elsewhere). */
const intOr = (value: unknown, fallback: number, min: number, max: number): number | undefined =>
  value === undefined ? fallback : Number.isInteger(value) && (value as number) >= min && (value as number) <= max ? (value as number) : undefined;

/** The anchor rule of an existing target's copies sits at `first + quota`, past the last priority. */
export const anchorPriorityMessage = (first: number, quota: number): string =>
  `${first} with ruleQuota ${quota} puts the anchor rule of the copies at priority ${first + quota}, but listener rules stop at ${MAX_RULE_PRIORITY}; with an existing target, lower firstRulePriority to at most ${MAX_RULE_PRIORITY - quota} or lower ruleQuota`;

/** `ruleQuota` above `albRuleLimit`: lure could never use its whole band. */
export const ruleQuotaOverLimitMessage = (quota: number, limit: number): string =>
  `${quota} is more than albRuleLimit ${limit}: the load balancer never holds more than ${limit} rules; lower ruleQuota, or raise albRuleLimit after raising the quota "Rules per Application Load Balancer"`;

/**
 * An existing target's ECS copies without a decoy image run the user's task definition as it is; `at` is
 * where the settings live (`quarantine.copies` in the config, `copies` in props).
 */
export const reuseRefusedMessage = (at: string, taskDefinitionArn: string | undefined): string =>
  `without ${at}.image the copies would run your task definition${taskDefinitionArn ? ` ${taskDefinitionArn}` : ""} unchanged: its task role, secrets and environment, inside a honeypot that scanners are sent to. ` +
  `Set ${at}.image to a decoy image (safer: lure runs it without a task role), or set ${at}.reuseTaskDefinition: true to accept that`;

/**
 * A Cloud Run target's copies without a decoy image or the opt-in to the service's own; `at` is where
 * the settings live (`quarantine.copies` in the config, `copies` in props).
 */
export const cloudRunCopiesMessage = (at: string, service: string | undefined): string =>
  `a Cloud Run target's copies need an image: set ${at}.image to a decoy image (safer), or set ${at}.reuseTaskDefinition: true to run your service${service ? ` ${service}` : ""}'s own image ` +
  "in the copies (without its environment, secrets or service account, in front of the scanners sent to them)";

/** `asg` copies for a Cloud Run target. */
export const CLOUD_RUN_ASG_MESSAGE = `"asg" copies are EC2 instances (AWS only); for a Cloud Run target the copies are a Cloud Run service: use kind "ecs" with image`;

/** `copies.reuseTaskDefinition` together with `copies.image`, which wins. */
export const REUSE_WITH_IMAGE_MESSAGE = "true has no effect with image (the copies run lure's task definition of that image); remove one of them";

/** `target.isolateSubnets` without the CIDRs its network ACL would deny. */
export const ISOLATE_WITHOUT_CIDRS_MESSAGE = "is required with isolateSubnets: true (the real service's subnet CIDRs that the copies' network ACL denies)";

/**
 * The web ports of the raw `quarantine` section, defaults filled in; undefined when a port is not a whole
 * number in range (the schema reports that, and there is nothing to compare).
 */
function rawWebPorts(q: Record<string, unknown>): WebPorts | undefined {
  const obj = (v: unknown) => (v && typeof v === "object" ? (v as Record<string, unknown>) : {});
  const port = (v: unknown, fallback?: number) => (v === undefined ? fallback : intOr(v, 0, 1, 65535));
  const demo = obj(q.demo);
  const copies = obj(q.copies);
  const demoTarget = q.target === undefined || q.target === "demo";
  const demoPort = port(demo.containerPort, QUARANTINE_DEFAULTS.demo.containerPort);
  const targetPort = demoTarget ? demoPort : port(obj(q.target).containerPort);
  const copiesPort = port(copies.containerPort);
  if (targetPort === undefined || (copies.containerPort !== undefined && copiesPort === undefined)) return undefined;
  const image = typeof copies.image === "string" ? copies.image : undefined;
  return {
    ...(demoTarget ? { demo: { image: typeof demo.image === "string" ? demo.image : QUARANTINE_DEFAULTS.demo.image, containerPort: targetPort, portGiven: demo.containerPort !== undefined } } : {}),
    targetPort,
    copies: {
      ...(copies.kind === "asg" ? { kind: "asg" as const } : { kind: "ecs" as const, ...(image !== undefined ? { image } : {}) }),
      ...(copiesPort !== undefined ? { containerPort: copiesPort } : {}),
    },
  };
}

/** `clouds.aws.region` when it is a known region (an unknown one is reported by the schema). */
function awsRegion(input: unknown): string | undefined {
  const region = valueAt(input, ["clouds", "aws", "region"]).value;
  return typeof region === "string" && (AWS_REGIONS as readonly string[]).includes(region) ? region : undefined;
}

/** A load balancer's certificate must be in the stack's region and partition; a malformed one is the schema's. */
function certificateProblems(path: string, arn: string, region: string): ConfigProblem[] {
  const problem = ACM_CERTIFICATE_ARN.test(arn) ? arnPlacementProblem(arn, region, "clouds.aws.region is", certificateRegionReason(region)) : undefined;
  return problem ? [{ path, message: `${show(arn)} ${problem}` }] : [];
}

function quarantineCrossChecks(input: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const q = valueAt(input, ["quarantine"]).value as Record<string, unknown> | undefined;
  if (!q || typeof q !== "object") return out;
  // Out-of-range values are reported by the schema; these checks only combine valid ones.
  const first = intOr(q.firstRulePriority, QUARANTINE_DEFAULTS.firstRulePriority, 1, MAX_RULE_PRIORITY);
  const quota = intOr(q.ruleQuota, QUARANTINE_DEFAULTS.ruleQuota, 1, 1000);
  if (first !== undefined && quota !== undefined && first + quota - 1 > MAX_RULE_PRIORITY) {
    out.push({
      path: "quarantine.firstRulePriority",
      message: `${first} with ruleQuota ${quota} needs priorities up to ${first + quota - 1}, but listener rules stop at ${MAX_RULE_PRIORITY}; lower firstRulePriority to at most ${MAX_RULE_PRIORITY - quota + 1} or lower ruleQuota`,
    });
  }
  const limit = intOr(q.albRuleLimit, QUARANTINE_DEFAULTS.albRuleLimit, 1, 1000);
  if (quota !== undefined && limit !== undefined && quota > limit) out.push({ path: "quarantine.ruleQuota", message: ruleQuotaOverLimitMessage(quota, limit) });
  const copies = q.copies as Record<string, unknown> | undefined;
  const target = q.target as Record<string, unknown> | undefined;
  const existing = q.enabled !== false && typeof target === "object" && target !== null;
  const existingEcs = existing && (copies === undefined || copies?.kind === "ecs");
  // An existing target's copies need one more rule just past the band (AwsQuarantine's anchor).
  if (existing && first !== undefined && quota !== undefined && first + quota - 1 <= MAX_RULE_PRIORITY && first + quota > MAX_RULE_PRIORITY) {
    out.push({ path: "quarantine.firstRulePriority", message: anchorPriorityMessage(first, quota) });
  }
  const image = copies && typeof copies === "object" ? copies.image : undefined;
  const reuse = copies && typeof copies === "object" ? copies.reuseTaskDefinition : undefined;
  // A reuseTaskDefinition of the wrong type is reported by the schema.
  if (existingEcs && image === undefined && (reuse === undefined || reuse === false)) {
    const arn = typeof target.taskDefinitionArn === "string" ? target.taskDefinitionArn : undefined;
    out.push({ path: "quarantine.copies", message: reuseRefusedMessage("quarantine.copies", arn) });
  }
  if (reuse === true && typeof image === "string") out.push({ path: "quarantine.copies.reuseTaskDefinition", message: REUSE_WITH_IMAGE_MESSAGE });
  if (existing && target.isolateSubnets === true && target.realSubnetCidrs === undefined) {
    out.push({ path: "quarantine.target.realSubnetCidrs", message: ISOLATE_WITHOUT_CIDRS_MESSAGE });
  }
  if (copies && typeof copies === "object") {
    const defence = intOr(copies.defenceCount, QUARANTINE_DEFAULTS.copies.defenceCount, 1, 20);
    const normal = intOr(copies.normalCount, QUARANTINE_DEFAULTS.copies.normalCount, 0, 20);
    if (defence !== undefined && normal !== undefined && normal > defence) {
      out.push({ path: "quarantine.copies.normalCount", message: `${normal} is more than defenceCount ${defence}; Normal Mode cannot run more copies than Defence Mode` });
    }
  }
  const demo = q.demo as Record<string, unknown> | undefined;
  const web = q.enabled !== false ? rawWebPorts(q) : undefined;
  if (web) out.push(...webPortProblems(web, "quarantine.").map((p) => ({ ...p, path: `quarantine.${p.path}` })));
  const demoCidr = demo && typeof demo === "object" ? demo.networkCidr : undefined;
  const hnCidr = valueAt(input, ["honeynet", "networkCidr"]);
  // Invalid CIDRs are reported by the schema; only two valid ones can overlap.
  const bounds = (c: string) => (parseCidr(c).ok ? cidrBounds(c) : undefined);
  const a = typeof demoCidr === "string" || demoCidr === undefined ? bounds(demoCidr ?? QUARANTINE_DEFAULTS.demo.networkCidr) : undefined;
  const b = typeof hnCidr.value === "string" || !hnCidr.found ? bounds(hnCidr.found ? (hnCidr.value as string) : "10.42.0.0/16") : undefined;
  const demoTarget = q.enabled !== false && (q.target === undefined || q.target === "demo");
  if (demoTarget && a && b && a.version === b.version && a.first <= b.last && b.first <= a.last && (demoCidr !== undefined || hnCidr.found)) {
    out.push({
      path: "quarantine.demo.networkCidr",
      message: `${show(demoCidr ?? QUARANTINE_DEFAULTS.demo.networkCidr)} overlaps honeynet.networkCidr ${show(hnCidr.value ?? "10.42.0.0/16")}; give the demo network its own range`,
    });
  }
  // The demo network must hold the load balancer, the real service and every copy, deployments included.
  const awsOn = Boolean(valueAt(input, ["clouds", "aws"]).value);
  if (awsOn && demoTarget && typeof demoCidr === "string") {
    const asg = copies && typeof copies === "object" && copies.kind === "asg";
    // Invalid counts are reported by the schema; the smallest valid ones stand in for them here.
    const defence = (copies && typeof copies === "object" && intOr(copies.defenceCount, QUARANTINE_DEFAULTS.copies.defenceCount, 1, 20)) || 1;
    const pool = asg ? (copies.warmPool as Record<string, unknown> | undefined) : undefined;
    const warmPoolSize = (pool && typeof pool === "object" ? intOr(pool.minSize, defence, 0, 20) : defence) ?? 0;
    const tooSmall = networkTooSmall(demoCidr, demoDemand(asg ? { kind: "asg", defenceCount: defence, warmPoolSize } : { kind: "ecs", defenceCount: defence }, "quarantine.copies"));
    if (tooSmall) out.push({ path: "quarantine.demo.networkCidr", message: `${show(demoCidr)} ${tooSmall}` });
  }
  // The functions steer through the listener with the stack's region: a listener elsewhere is unreachable.
  const region = awsRegion(input);
  if (region && target && typeof target === "object") {
    for (const key of ["listenerArn", "taskDefinitionArn"]) {
      const problem = typeof target[key] === "string" ? arnPlacementProblem(target[key] as string, region, "clouds.aws.region is", "the quarantine runs in one region") : undefined;
      if (problem) out.push({ path: `quarantine.target.${key}`, message: `${show(target[key])} ${problem}` });
    }
  }
  const certificate = demo && typeof demo === "object" ? demo.certificateArn : undefined;
  if (region && demoTarget && typeof certificate === "string") out.push(...certificateProblems("quarantine.demo.certificateArn", certificate, region));
  return out;
}

/** `honeynet.analytics.hive`: a cloud that can be the hive, and is configured. */
function hiveProblems(input: unknown): ConfigProblem[] {
  const hive = valueAt(input, ["honeynet", "analytics", "hive"]).value;
  if (typeof hive !== "string" || !["aws", "azure", "gcp"].includes(hive)) return [];
  const path = "honeynet.analytics.hive";
  if (!HIVE_CLOUDS.includes(hive as CloudName)) return [{ path, message: `${show(hive)} cannot be the hive; allowed: ${quoted(HIVE_CLOUDS)}, or leave it out for one Elastic stack per cloud` }];
  if (!valueAt(input, ["clouds", hive]).value) return [{ path, message: `${show(hive)} is not configured: add clouds.${hive}, whose stack hosts the hive, or leave hive out` }];
  const allow = valueAt(input, ["honeynet", "analytics", "hiveAllowCidrs"]).value;
  const parsed = Array.isArray(allow) ? allow.map((c) => (typeof c === "string" ? parseCidr(c) : undefined)) : [];
  if (parsed.length > 0 && parsed.every((r) => r?.ok && r.cidr.version === 6)) {
    return [{ path: "honeynet.analytics.hiveAllowCidrs", message: "has only IPv6 CIDRs, but the hive's load balancer is IPv4-only on every cloud; add the IPv4 CIDRs the sensors connect from" }];
  }
  return [];
}

function honeynetCrossChecks(input: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const hn = valueAt(input, ["honeynet"]).value as Record<string, unknown> | undefined;
  if (!hn || typeof hn !== "object") return out;
  out.push(...hiveProblems(input));
  const dash = hn.dashboard as Record<string, unknown> | undefined;
  // AWS's dashboard checks, unless AWS is a hive's sensor (no dashboard there).
  const awsOn = awsDashboard(input);
  if (dash && Array.isArray(dash.allowCidrs)) {
    const list: unknown[] = dash.allowCidrs;
    const parsed = list.map((c) => (typeof c === "string" ? parseCidr(c) : undefined));
    parsed.forEach((r, i) => {
      const first = parsed.findIndex((q) => q?.ok && r?.ok && q.cidr.canonical === r.cidr.canonical);
      if (r?.ok && first !== i) out.push({ path: `honeynet.dashboard.allowCidrs[${i}]`, message: `${show(list[i])} repeats allowCidrs[${first}]` });
    });
    if (awsOn && parsed.length > 0 && parsed.every((r) => r?.ok && r.cidr.version === 6)) {
      out.push({ path: "honeynet.dashboard.allowCidrs", message: "has only IPv6 CIDRs, but the AWS dashboard load balancer is IPv4-only; add the IPv4 CIDRs that should reach it" });
    } else if (azureDashboard(input) && parsed.length > 0 && parsed.every((r) => r?.ok && r.cidr.version === 6)) {
      out.push({ path: "honeynet.dashboard.allowCidrs", message: "has only IPv6 CIDRs, but the Azure dashboard's public IP is IPv4-only; add the IPv4 CIDRs that should reach it" });
    } else if (gcpDashboard(input) && parsed.length > 0 && parsed.every((r) => r?.ok && r.cidr.version === 6)) {
      out.push({ path: "honeynet.dashboard.allowCidrs", message: "has only IPv6 CIDRs, but the Google Cloud dashboard's load balancer address is IPv4-only; add the IPv4 CIDRs that should reach it" });
    }
  }
  // T-Pot's attack map opens its websocket as wss:// only: over plain HTTP it would show nothing.
  if (hn.attackMap === true && awsOn && dash && typeof dash === "object" && dash.certificateArn === undefined) {
    out.push({ path: "honeynet.attackMap", message: "true needs HTTPS: T-Pot's attack map connects over wss:// only; set honeynet.dashboard.certificateArn, or leave attackMap off" });
  }
  // Kibana has no login: without TLS, anyone on the path reads the captured data and the session.
  // certificateArn is AWS's (and Azure has no HTTPS yet); a Google Cloud-only config needs a domain instead.
  const certificateCloud = awsOn || azureDashboard(input) || !gcpDashboard(input);
  if (certificateCloud && dash && typeof dash === "object" && dash.certificateArn === undefined && dash.allowPlaintext !== true) {
    out.push({ path: "honeynet.dashboard.certificateArn", message: PLAINTEXT_REFUSED_MESSAGE("honeynet.dashboard") });
  } else if (dash && typeof dash === "object" && azureDashboard(input) && dash.allowPlaintext !== true) {
    // An ACM certificate is AWS's: the Azure dashboard has no HTTPS yet.
    out.push({
      path: "honeynet.dashboard.allowPlaintext",
      message: `${show(dash.allowPlaintext)}: the Azure dashboard is served over plain HTTP only (HTTPS on Azure is not built yet); set honeynet.dashboard.allowPlaintext: true to accept that for Azure, or remove clouds.azure`,
    });
  } else if (dash && typeof dash === "object" && gcpDashboard(input) && dash.domain === undefined && dash.allowPlaintext !== true) {
    out.push({
      path: "honeynet.dashboard.domain",
      message: "is not set, so the Google Cloud dashboard would be plain HTTP (Kibana has no login); give the dashboard's DNS name for a Google-managed certificate, or set honeynet.dashboard.allowPlaintext: true to accept plain HTTP",
    });
  }
  if (dash && Array.isArray(dash.allowCidrs) && dash.allowWorldOpen !== true) {
    dash.allowCidrs.forEach((c, i) => {
      const r = typeof c === "string" ? parseCidr(c) : undefined;
      if (r?.ok && isWorldOpen(r.cidr)) {
        out.push({
          path: `honeynet.dashboard.allowCidrs[${i}]`,
          message: `${show(c)} opens the dashboard to the whole internet; list your own CIDRs, or set honeynet.dashboard.allowWorldOpen: true to accept that`,
        });
      }
    });
  }
  const region = awsRegion(input);
  if (region && dash && typeof dash.certificateArn === "string") out.push(...certificateProblems("honeynet.dashboard.certificateArn", dash.certificateArn, region));
  const profile = hn.profile;
  const list = Array.isArray(profile) ? profile.filter((n): n is string => typeof n === "string" && n in TPOT.honeypots) : [];
  out.push(...selectionPeerProblems("honeynet.profile", profile));
  const overrides = hn.overrides;
  const deployed: readonly string[] | undefined =
    profile === undefined ? PROFILES.industrial : typeof profile === "string" ? PROFILES[profile as ProfileName] : Array.isArray(profile) ? list : undefined;
  // A cloud that narrows the selection deploys its own; an override may be for any cloud's honeypots.
  const narrowing = NARROWING_CLOUDS.filter((cloud) => valueAt(input, ["clouds", cloud, "honeypots"]).value !== undefined);
  // honeynet.profile deploys on every configured cloud that does not narrow it.
  const configured = (["aws", "azure", "gcp"] as const).filter((cloud) => valueAt(input, ["clouds", cloud]).value);
  const profileSelects = narrowing.length === 0 || configured.some((cloud) => !(narrowing as readonly string[]).includes(cloud));
  const cloudSelections = narrowing.map((cloud) => rawSelection(valueAt(input, ["clouds", cloud, "honeypots"]).value));
  const anyDeployed: readonly string[] | undefined =
    narrowing.length === 0 ? deployed : cloudSelections.some((x) => x === undefined) || (profileSelects && !deployed) ? undefined : [...(profileSelects ? deployed ?? [] : []), ...cloudSelections.flat() as string[]];
  // The default network fits any honeynet; an invalid one is reported by the schema.
  if (awsOn && typeof hn.networkCidr === "string") {
    const tooSmall = networkTooSmall(hn.networkCidr, honeynetDemand(deployed && new Set(deployed).size));
    if (tooSmall) out.push({ path: "honeynet.networkCidr", message: `${show(hn.networkCidr)} ${tooSmall}` });
  }
  const r = typeof hn.networkCidr === "string" ? parseCidr(hn.networkCidr) : undefined;
  // One problem per setting: AWS's message already names the larger prefix it needs.
  if (gcpOn(input) && !out.some((p) => p.path === "honeynet.networkCidr") && r?.ok && r.cidr.version === 4 && r.cidr.prefixLength > GCP_LONGEST_NETWORK_PREFIX) {
    out.push({
      path: "honeynet.networkCidr",
      message: `${show(hn.networkCidr)} is too small for Google Cloud: its subnets are a sixteenth each, and Kibana's Direct VPC egress subnet should be a /26 or larger (Google's guidance for Cloud Run); use /${GCP_LONGEST_NETWORK_PREFIX} or larger`,
    });
  }
  if (overrides && typeof overrides === "object") {
    for (const [name, o] of Object.entries(overrides as Record<string, unknown>)) {
      out.push(...fargateSizeProblems(`honeynet.overrides.${name}`, name, o));
      const h = TPOT.honeypots[name];
      if (h && anyDeployed && !anyDeployed.includes(name)) {
        const selections = [...(profileSelects ? ["honeynet.profile"] : []), ...narrowing.map((cloud) => `clouds.${cloud}.honeypots`)];
        out.push({
          path: `honeynet.overrides.${name}`,
          message: narrowing.length === 0 ? `overrides "${name}", which honeynet.profile does not deploy` : `overrides "${name}", which no cloud deploys (${selections.join(", ")})`,
        });
      }
      const o2 = (o && typeof o === "object" ? o : {}) as { imageTag?: unknown; image?: unknown };
      if (typeof o2.imageTag === "string") {
        const repos = hn.imageRepositories;
        if (o2.image !== undefined) out.push({ path: `honeynet.overrides.${name}.imageTag`, message: `${show(o2.imageTag)} has no effect with image (which names its own tag); remove one of them` });
        else if (!Array.isArray(repos) || !repos.includes(name)) out.push({ path: `honeynet.overrides.${name}.imageTag`, message: `${show(o2.imageTag)} is a tag of lure's repository for "${name}", which exists only when honeynet.imageRepositories lists "${name}"` });
      }
      const ports = (o as { ports?: unknown })?.ports;
      if (!h || !Array.isArray(ports)) continue;
      const known = portKeys(h);
      ports.forEach((p, i) => {
        if (typeof p === "string" && /^\d{1,5}\/(tcp|udp)$/.test(p) && !known.includes(p)) {
          out.push({ path: `honeynet.overrides.${name}.ports[${i}]`, message: `${show(p)} is not a port of ${name}; allowed: ${quoted(known)}` });
        }
      });
    }
  }
  return out;
}

/** Validates a parsed config; returns the config with defaults, or every problem found. */
export function validateConfig(input: unknown): { ok: true; config: LureConfig; warnings: string[] } | { ok: false; problems: ConfigProblem[] } {
  const parsed = configSchema.safeParse(input, { error: () => ZOD_DEFAULT });
  const problems = [...(parsed.success ? [] : parsed.error.issues.flatMap((i) => issueToProblems(i, input))), ...crossChecks(input)];
  const unique = problems.filter((p, i) => problems.findIndex((q) => q.path === p.path && q.message === p.message) === i);
  if (!parsed.success || unique.length > 0) return { ok: false, problems: unique };
  return { ok: true, config: parsed.data, warnings: configWarnings(parsed.data) };
}

/** A dashboard without certificate and without the plaintext opt-in; `at` is where the dashboard settings live. */
export const PLAINTEXT_REFUSED_MESSAGE = (at: string): string =>
  `is required: Kibana has no login of its own, so over plain HTTP anyone on the path reads the captured data. Give an ACM certificate ARN (no domain? README: "HTTPS without a domain"), or set ${at}.allowPlaintext: true to accept plain HTTP`;

/** Valid but probably not what the user wants. */
/** Why a VM of `memoryGiB` is too small for honeypot `name` (its task's memory and the host's), or undefined when it fits. */
function vmMemoryShortfall(name: string, o: { readonly memory?: number }, memoryGiB: number): string | undefined {
  const need = (o.memory ?? defaultSize(name).memory) + VM_HOST_OVERHEAD_MIB;
  if (memoryGiB * 1024 >= need) return undefined;
  return `has ${memoryGiB} GiB; ${name} needs about ${need} MiB (its task and ${VM_HOST_OVERHEAD_MIB} MiB for the host), so it may run out of memory`;
}

/** More honeypots than this on one cloud make the `small` Elastic size a warning. */
const SMALL_ELASTIC_HONEYPOTS = 6;

export function configWarnings(c: LureConfig): string[] {
  const w: string[] = [];
  // Plain HTTP itself is reported by synth (a warning on the dashboard); here only the contradiction.
  const d = c.honeynet.dashboard;
  // allowPlaintext matters where a dashboard is HTTP: Azure, and Google Cloud without a domain.
  const plaintextUsed = (Boolean(c.clouds.azure) && analyticsRole(c, "azure") !== "sensor") || (Boolean(c.clouds.gcp) && analyticsRole(c, "gcp") !== "sensor" && d.domain === undefined);
  if (d.certificateArn !== undefined && d.allowPlaintext && !plaintextUsed) w.push("honeynet.dashboard.allowPlaintext: has no effect with certificateArn (the dashboard is HTTPS only); remove it");
  if (d.domain !== undefined && (!c.clouds.gcp || analyticsRole(c, "gcp") === "sensor")) w.push("honeynet.dashboard.domain: is used on Google Cloud only (AWS takes certificateArn), and clouds.gcp is not set; remove it");
  for (const text of c.honeynet.dashboard.allowCidrs) {
    const r = parseCidr(text);
    if (r.ok && isDocumentationRange(r.cidr)) w.push(`honeynet.dashboard.allowCidrs: ${text} is a documentation range; nobody can reach the dashboard until you put your own CIDR there`);
    if (r.ok && isWorldOpen(r.cidr)) w.push(`honeynet.dashboard.allowCidrs: ${text} opens the dashboard to the internet (allowWorldOpen is set)`);
    else if (r.ok && r.cidr.prefixLength < (r.cidr.version === 4 ? 8 : 16)) {
      w.push(`honeynet.dashboard.allowCidrs: ${text} is very broad (wider than /${r.cidr.version === 4 ? 8 : 16}); is that really who should reach the dashboard?`);
    }
  }
  if (c.clouds.azure) {
    for (const [name, o] of Object.entries(c.honeynet.overrides)) {
      const size = o.size ? AZURE_VM_SIZES[o.size] : undefined;
      if (!o.size || !size) continue;
      const short = vmMemoryShortfall(name, o, size.memoryGiB);
      if (short) w.push(`honeynet.overrides.${name}.size: ${o.size} ${short}`);
      if (size.retires) w.push(`honeynet.overrides.${name}.size: ${o.size} is a B-series v1 size, which Azure retires on ${size.retires}; prefer a Basv2 or Bsv2 size (default ${defaultAzureVmSize(name, { ...o, size: undefined })})`);
    }
  }
  if (c.clouds.gcp) {
    for (const [name, o] of Object.entries(c.honeynet.overrides)) {
      const type = o.machineType ? GCP_MACHINE_TYPES[o.machineType] : undefined;
      const short = type && vmMemoryShortfall(name, o, type.memoryGiB);
      if (short) w.push(`honeynet.overrides.${name}.machineType: ${o.machineType} ${short}`);
    }
  }
  const el = c.honeynet.elastic;
  // The hive's Elastic stack indexes every sensor's events too.
  const on = (["aws", "azure", "gcp"] as const).filter((k) => Boolean(c.clouds[k]));
  const most = Math.max(0, ...on.filter((k) => analyticsRole(c, k) !== "sensor").map((k) => (analyticsRole(c, k) === "hive" ? on.reduce((n, j) => n + honeypotsFor(c, j).length, 0) : honeypotsFor(c, k).length)));
  if (el.size === "small" && most > SMALL_ELASTIC_HONEYPOTS) {
    w.push(`honeynet.elastic.size: small gives Elasticsearch a ${ELASTIC_SIZES.small.elasticsearchHeapMb / 1024} GiB heap, half of T-Pot's, and a cloud here runs ${most} honeypots; T-Pot's dashboards over weeks of their events may fail with memory errors. Use "standard" (T-Pot's)`);
  }
  if (c.honeynet.attackMap && (c.clouds.azure || c.clouds.gcp)) {
    w.push(`honeynet.attackMap: only on AWS; not on ${[c.clouds.azure ? "Azure" : "", c.clouds.gcp ? "Google Cloud" : ""].filter(Boolean).join(" or ")}: the map's page connects over wss:// only, which the Azure dashboard (plain HTTP) cannot serve, and its fixed host names map_redis and elasticsearch are names Cloud Run cannot provide`);
  }
  if (c.honeynet.attackMap && c.clouds.aws && analyticsRole(c, "aws") === "sensor") {
    w.push(`honeynet.attackMap: is built on AWS only, and AWS ships to the ${c.honeynet.analytics.hive} hive here (no Elastic stack of its own), so no attack map is made`);
  }
  const hive = c.honeynet.analytics.hive;
  if (hive !== undefined && analyticsRole(c, hive) === "own") w.push(`honeynet.analytics.hive: "${hive}" has no other cloud to take events from (only clouds.${hive} is configured), so no hive input is made`);
  if (el.images.logstash !== undefined) {
    w.push(`honeynet.elastic.images.logstash: must be T-Pot's Logstash (or built from it): lure runs T-Pot's pipeline (${TPOT_PIPELINE}) and entrypoint from it; the default is ${TPOT_LOGSTASH.image}`);
  }
  if (c.honeynet.adminSshPublicKey !== undefined && c.honeynet.adminCidrs.length === 0 && (c.clouds.azure || c.clouds.gcp)) {
    w.push("honeynet.adminSshPublicKey: is installed, but admin SSH stays closed until honeynet.adminCidrs lists who may reach it");
  }
  const q = c.quarantine;
  if (c.clouds.azure && q.enabled && q.target !== "demo") {
    w.push("quarantine.target: an existing service is an AWS listener, so azure-quarantine is not synthesized (on Azure only the demo target is built yet)");
  } else if (c.clouds.azure && q.enabled && q.copies.kind === "asg") {
    w.push(`quarantine.copies: "asg" copies are EC2 instances (AWS only); on Azure the copies are a Container App from quarantine.demo.image`);
  }
  if (c.clouds.gcp && q.enabled && q.target !== "demo" && !c.clouds.gcp.quarantineTarget) {
    w.push("quarantine.target: an existing service is an AWS listener, so gcp-quarantine is not synthesized; name your Cloud Run service in clouds.gcp.quarantineTarget to protect it on Google Cloud");
  } else if (c.clouds.gcp && q.enabled && q.copies.kind === "asg" && !c.clouds.gcp.quarantineTarget) {
    w.push(`quarantine.copies: "asg" copies are EC2 instances (AWS only); on Google Cloud the copies are a Cloud Run service from quarantine.demo.image`);
  }
  const names = Array.isArray(c.honeynet.profile) ? c.honeynet.profile : [];
  for (const n of names) {
    const d = TPOT.honeypots[n]?.deprecated;
    if (d) w.push(`honeynet.profile: "${n}" is deprecated upstream (${d}); its image ${TPOT.honeypots[n].image} gets no fixes`);
  }
  return w;
}

export const DEFAULT_CONFIG_FILE = resolve(__dirname, "../../lure.config.json");

const END_OF_INPUT = /^Unexpected end of JSON input/;

/**
 * The offset JSON.parse stopped at: from its message ("… in JSON at position 123"), or, for messages
 * without one ("Unexpected token ']', "…" is not valid JSON"), the shortest prefix of `text` that fails
 * other than by ending early: every shorter prefix is the start of valid JSON.
 */
function jsonErrorOffset(text: string, message: string): number {
  const at = /\bat position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  if (END_OF_INPUT.test(message)) return text.length;
  // A prefix that fails at its very end ("Expected ',' or '}' … at position <its length>") only ended early.
  const failsHere = (end: number) => {
    try {
      JSON.parse(text.slice(0, end));
      return false;
    } catch (e) {
      const m = (e as Error).message;
      const position = /\bat position (\d+)/.exec(m);
      return !END_OF_INPUT.test(m) && (!position || Number(position[1]) < end);
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (failsHere(mid + 1)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * A JSON syntax error as `is not valid JSON at line 7, column 15: <reason>`: where an editor shows it,
 * not the character offset Node reports.
 */
export function jsonSyntaxMessage(text: string, message: string): string {
  if (text.trim() === "") return "is empty; write the config as a JSON object (start from the repository's lure.config.json)";
  const offset = jsonErrorOffset(text, message);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  // Node words the end of the file differently by what came last; nothing after the offset says it all.
  const reason = END_OF_INPUT.test(message) || text.slice(offset).trim() === ""
    ? 'the file ends before the JSON does (a missing "}", "]" or closing quote?)'
    : message
        .replace(/ in JSON at position \d+.*$/s, "")
        .replace(/ at position \d+.*$/s, "")
        .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, "")
        .replace(/^./, (c) => c.toLowerCase());
  // The most common slip: V8 only says what it expected after the comma.
  const trailingComma = /,\s*$/.test(before) && /^[}\]]/.test(text.slice(offset)) ? `; remove the comma before this "${text[offset]}"` : "";
  return `is not valid JSON at line ${line}, column ${column}: ${reason}${trailingComma}`;
}

/**
 * Reads and validates the config at `file` (default: `LURE_CONFIG`, else `lure.config.json`).
 * `sha256` is the digest of the bytes validated, so that a check can record exactly which version it saw.
 */
export function loadConfig(file = process.env.LURE_CONFIG || DEFAULT_CONFIG_FILE): { config: LureConfig; warnings: string[]; file: string; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new ConfigError(file, [{ path: "(file)", message: `cannot be read: ${(e as Error).message}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new ConfigError(file, [{ path: "(file)", message: jsonSyntaxMessage(bytes.toString("utf8"), (e as Error).message) }]);
  }
  const r = validateConfig(raw);
  if (!r.ok) throw new ConfigError(file, r.problems);
  return { config: r.config, warnings: r.warnings, file, sha256: sha256Of(bytes) };
}

/** Hex SHA-256 of a config file's bytes (what a check record compares). */
export const sha256Of = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

/** The selected honeypot names, in catalog order for profiles and in the user's order for lists. */
export function selectedHoneypots(c: LureConfig): string[] {
  const p = c.honeynet.profile;
  return typeof p === "string" ? [...PROFILES[p]] : [...p];
}

/**
 * The honeypots a cloud deploys: its own `clouds.<cloud>.honeypots` when given (Azure, GCP), else
 * `honeynet.profile` ({@link selectedHoneypots}). Profiles in catalog order, lists in the user's.
 */
export function honeypotsFor(c: LureConfig, cloud: CloudName): string[] {
  const narrowed = cloud === "aws" ? undefined : c.clouds[cloud]?.honeypots;
  if (narrowed === undefined) return selectedHoneypots(c);
  return typeof narrowed === "string" ? [...PROFILES[narrowed]] : [...narrowed];
}

/** What every cloud's honeynet takes from the config: the props of {@link HoneynetProps} that are the same on each. */
export function honeynetPropsFor(c: LureConfig, cloud: CloudName): HoneynetProps {
  const hn = c.honeynet;
  return {
    prefix: c.prefix,
    honeypots: honeypotsFor(c, cloud),
    dashboard: hn.dashboard,
    capacity: hn.capacity,
    overrides: hn.overrides,
    elasticVersion: hn.elastic.version,
    elasticImages: hn.elastic.images,
    elasticSize: hn.elastic.size,
    attackMap: hn.attackMap,
    networkCidr: hn.networkCidr,
    ...(analyticsRole(c, cloud) === "hive" ? { hiveInput: { allowCidrs: hn.analytics.hiveAllowCidrs } } : {}),
  };
}

/**
 * What a cloud's Elastic stack does under `honeynet.analytics.hive`: its own events (`own`, the default
 * and a hive with no other cloud configured), every cloud's (`hive`), or none (`sensor`: it ships to the hive).
 */
export function analyticsRole(c: LureConfig, cloud: CloudName): "own" | "hive" | "sensor" {
  const hive = c.honeynet.analytics.hive;
  if (hive === undefined || !c.clouds[hive]) return "own";
  if (cloud !== hive) return "sensor";
  return (["aws", "azure", "gcp"] as const).some((k) => k !== hive && Boolean(c.clouds[k])) ? "hive" : "own";
}

/** The Azure VM size of each honeypot Azure deploys ({@link defaultAzureVmSize}, `overrides.<name>.size` first). */
export function azureVmSizes(c: LureConfig): Record<string, string> {
  return Object.fromEntries(honeypotsFor(c, "azure").map((name) => [name, defaultAzureVmSize(name, c.honeynet.overrides[name])]));
}


/** The machine type of each honeypot Google Cloud deploys ({@link defaultGcpMachineType}, `overrides.<name>.machineType` first). */
export function gcpMachineTypes(c: LureConfig): Record<string, string> {
  return Object.fromEntries(honeypotsFor(c, "gcp").map((name) => [name, defaultGcpMachineType(name, c.honeynet.overrides[name])]));
}

/** Whether `gcp-quarantine` is made: the demo, or the Cloud Run service of `clouds.gcp.quarantineTarget`. */
export function gcpQuarantineEnabled(c: LureConfig): boolean {
  return Boolean(c.clouds.gcp) && c.quarantine.enabled && (c.quarantine.target === "demo" || c.clouds.gcp?.quarantineTarget !== undefined);
}

/** The zone of the Google Cloud VMs: `clouds.gcp.zone`, else the region's first. */
export function gcpZone(gcp: { readonly region: string; readonly zone?: string | undefined }): string {
  return gcp.zone ?? gcpZones(gcp.region)[0];
}

/** The JSON Schema for editors (`modules/core/config.schema.json`). */
export function jsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
