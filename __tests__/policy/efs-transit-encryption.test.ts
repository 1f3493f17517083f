import { efsTransitEncryption } from "../../modules/core/policy/rules/efs-transit-encryption";
import { addresses, ref, stack } from "./fixtures";

const goodVolume = (name: string) => ({
  name,
  efs_volume_configuration: {
    file_system_id: ref("aws_efs_file_system.fs"),
    transit_encryption: "ENABLED",
    authorization_config: { access_point_id: ref(`aws_efs_access_point.${name}`), iam: "ENABLED" },
  },
});

describe("efs-transit-encryption", () => {
  it("accepts EFS volumes with TLS, IAM and an access point, and ignores other volumes", () => {
    const s = stack({
      aws_ecs_task_definition: {
        cowrie: { family: "cowrie", volume: [goodVolume("cowrie"), { name: "scratch" }] },
        // A lone volume written as an object, blocks as one-element arrays.
        dionaea: {
          family: "dionaea",
          volume: {
            name: "dionaea",
            efs_volume_configuration: [{ file_system_id: "fs-1", transit_encryption: "ENABLED", authorization_config: [{ access_point_id: "fsap-1", iam: "ENABLED" }] }],
          },
        },
      },
    });
    expect(efsTransitEncryption.check(s)).toEqual([]);
  });

  it("flags each EFS volume without transit encryption or IAM authorization", () => {
    const s = stack({
      aws_ecs_task_definition: {
        plain: { volume: [{ name: "logs", efs_volume_configuration: { file_system_id: "fs-1" } }] },
        half: {
          volume: [
            goodVolume("ok"),
            { name: "data", efs_volume_configuration: { file_system_id: "fs-1", transit_encryption: "ENABLED", authorization_config: { iam: "DISABLED" } } },
          ],
        },
      },
    });
    const v = efsTransitEncryption.check(s);
    expect(addresses(v)).toEqual(["aws_ecs_task_definition.plain", "aws_ecs_task_definition.half"]);
    expect(v[0]?.message).toContain('volume "logs"');
    expect(v[0]?.message).toContain("transit_encryption is unset");
    expect(v[0]?.message).toContain("authorization_config is missing");
    expect(v[1]?.message).toContain('volume "data"');
    expect(v[1]?.message).toContain('authorization_config.iam is "DISABLED"');
    expect(v[1]?.message).toContain("access_point_id is missing");
    expect(v[1]?.message).not.toContain("transit_encryption");
  });

  it("flags transit_encryption DISABLED", () => {
    const volume = goodVolume("x");
    const s = stack({
      aws_ecs_task_definition: { t: { volume: [{ ...volume, efs_volume_configuration: { ...volume.efs_volume_configuration, transit_encryption: "DISABLED" } }] } },
    });
    const v = efsTransitEncryption.check(s);
    expect(addresses(v)).toEqual(["aws_ecs_task_definition.t"]);
    expect(v[0]?.message).toContain('transit_encryption is "DISABLED"');
  });
});
