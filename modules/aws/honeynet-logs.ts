/**
 * The honeynet's log storage: one encrypted EFS file system, reachable only from tasks that carry its
 * client security group and used only through access points (one per honeypot log folder, owned
 * 2000:2000 as in T-Pot). Part of `AwsHoneynet`: every resource is created in the honeynet's own
 * scope, so the construct ids (and the Terraform addresses) are the honeynet's.
 */
import type { Construct } from "constructs";
import { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import { EfsFileSystem } from "@cdktf/provider-aws/lib/efs-file-system";
import { EfsFileSystemPolicy } from "@cdktf/provider-aws/lib/efs-file-system-policy";
import { EfsMountTarget } from "@cdktf/provider-aws/lib/efs-mount-target";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { CatalogHoneypot, PublishedPort } from "../core/catalog";
import type { IamStatement } from "../core/interfaces";
import { resourceName, slug, type Component } from "../core/naming";

/** T-Pot's data-folder owner: every honeypot log folder is written as 2000:2000. */
export const TPOT_UID = 2000;

const NFS: PublishedPort = { port: 2049, protocol: "tcp" };

/** Tags of one component (and honeypot), the user's tags included. */
export type TagsFor = (component: Component, honeypot?: string) => Record<string, string>;

export interface LogStorageProps {
  readonly prefix: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  /** The deployed honeypots: each log folder gets one access point. */
  readonly honeypots: readonly CatalogHoneypot[];
  readonly tagsFor: TagsFor;
}

export interface LogStorage {
  readonly fileSystem: EfsFileSystem;
  /** Tasks carrying this group may reach the mount targets (NFS only). */
  readonly clientGroup: SecurityGroup;
  readonly mountTargets: readonly EfsMountTarget[];
  /** Log folder (e.g. `cowrie/log`) → its access point. */
  readonly logAccessPoints: ReadonlyMap<string, EfsAccessPoint>;
  /** A new access point on `/<folder>`, owned by T-Pot's user. */
  accessPoint(id: string, folder: string, component: "logs" | "elastic", honeypot?: string): EfsAccessPoint;
  /** Mount (read) or mount and write, through these access points only. */
  access(sid: string, write: boolean, accessPoints: readonly string[]): IamStatement;
}

export function logStorage(scope: Construct, props: LogStorageProps): LogStorage {
  const { prefix, vpcId, tagsFor } = props;
  const fileSystem = new EfsFileSystem(scope, "FileSystem", {
    creationToken: resourceName(prefix, ["honeynet", "logs"]),
    encrypted: true,
    throughputMode: "elastic",
    lifecyclePolicy: [{ transitionToIa: "AFTER_30_DAYS" }],
    tags: { ...tagsFor("logs"), Name: resourceName(prefix, ["honeynet", "logs"]) },
  });
  new EfsFileSystemPolicy(scope, "FileSystemPolicy", {
    fileSystemId: fileSystem.id,
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "DenyUnencryptedTransport", Effect: "Deny", Principal: { AWS: "*" }, Action: "*", Resource: fileSystem.arn, Condition: { Bool: { "aws:SecureTransport": "false" } } },
        { Sid: "DenyRootAccess", Effect: "Deny", Principal: { AWS: "*" }, Action: "elasticfilesystem:ClientRootAccess", Resource: fileSystem.arn },
        {
          Sid: "DenyMountsOutsideAccessPoints",
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
          Resource: fileSystem.arn,
          Condition: { Null: { "elasticfilesystem:AccessPointArn": "true" } },
        },
      ],
    }),
  });
  const clientGroup = new SecurityGroup(scope, "EfsClientSecurityGroup", {
    name: resourceName(prefix, ["honeynet", "efs-client"]),
    description: "lure: tasks that may mount the honeynet file system",
    vpcId,
    tags: { ...tagsFor("logs"), Name: resourceName(prefix, ["honeynet", "efs-client"]) },
  });
  const mountTargetGroup = new SecurityGroup(scope, "MountTargetSecurityGroup", {
    name: resourceName(prefix, ["honeynet", "efs"]),
    description: "lure: honeynet file system mount targets (NFS from honeynet tasks only)",
    vpcId,
    tags: { ...tagsFor("logs"), Name: resourceName(prefix, ["honeynet", "efs"]) },
  });
  new VpcSecurityGroupIngressRule(scope, "MountTargetIngress", {
    securityGroupId: mountTargetGroup.id,
    ipProtocol: "tcp",
    fromPort: NFS.port,
    toPort: NFS.port,
    referencedSecurityGroupId: clientGroup.id,
    description: "NFS from honeynet tasks",
  });
  new VpcSecurityGroupEgressRule(scope, "EfsClientEgress", {
    securityGroupId: clientGroup.id,
    ipProtocol: "tcp",
    fromPort: NFS.port,
    toPort: NFS.port,
    referencedSecurityGroupId: mountTargetGroup.id,
    description: "NFS to the honeynet file system",
  });
  const mountTargets = props.subnetIds.map(
    (subnetId, i) => new EfsMountTarget(scope, `MountTarget${i}`, { fileSystemId: fileSystem.id, subnetId, securityGroups: [mountTargetGroup.id] }),
  );

  const accessPoint = (id: string, folder: string, component: "logs" | "elastic", honeypot?: string) =>
    new EfsAccessPoint(scope, id, {
      fileSystemId: fileSystem.id,
      posixUser: { uid: TPOT_UID, gid: TPOT_UID },
      rootDirectory: { path: `/${folder}`, creationInfo: { ownerUid: TPOT_UID, ownerGid: TPOT_UID, permissions: "0750" } },
      tags: { ...tagsFor(component, honeypot), Name: resourceName(prefix, [folder]) },
    });
  const logAccessPoints = new Map<string, EfsAccessPoint>();
  for (const h of props.honeypots) {
    for (const f of h.logFolders) {
      if (!logAccessPoints.has(f.folder)) logAccessPoints.set(f.folder, accessPoint(`AccessPoint-${slug(f.folder)}`, f.folder, "logs", h.group ?? h.name));
    }
  }
  return {
    fileSystem,
    clientGroup,
    mountTargets,
    logAccessPoints,
    accessPoint,
    access: (sid, write, accessPoints) => ({
      Sid: sid,
      Effect: "Allow",
      Action: write ? ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"] : ["elasticfilesystem:ClientMount"],
      Resource: [fileSystem.arn],
      Condition: { StringEquals: { "elasticfilesystem:AccessPointArn": accessPoints } },
    }),
  };
}
