import { efsEncrypted } from "../../modules/core/policy/rules/efs-encrypted";
import { addresses, stack } from "./fixtures";

describe("efs-encrypted", () => {
  it("accepts encrypted file systems", () => {
    expect(efsEncrypted.check(stack({ aws_efs_file_system: { logs: { encrypted: true, kms_key_id: "${aws_kms_key.k.arn}" } } }))).toEqual([]);
  });

  it("flags file systems with encrypted false or unset", () => {
    const v = efsEncrypted.check(
      stack({ aws_efs_file_system: { ok: { encrypted: true }, off: { encrypted: false }, unset: { creation_token: "x" } } }),
    );
    expect(addresses(v)).toEqual(["aws_efs_file_system.off", "aws_efs_file_system.unset"]);
    expect(v[0]?.message).toContain("encrypted = false");
    expect(v[1]?.message).toContain("encrypted = unset");
  });
});
