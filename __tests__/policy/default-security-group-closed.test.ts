import { defaultSecurityGroupClosed } from "../../modules/core/policy/rules/default-security-group-closed";
import { addresses, ref, stack } from "./fixtures";

describe("default-security-group-closed", () => {
  it("accepts a VPC whose default group is adopted without rules", () => {
    expect(defaultSecurityGroupClosed.check(stack({ aws_vpc: { v: { cidr_block: "10.0.0.0/16" } }, aws_default_security_group: { d: { vpc_id: ref("aws_vpc.v") } } }))).toEqual([]);
  });

  it("flags a VPC whose default group is left as AWS made it", () => {
    const v = defaultSecurityGroupClosed.check(stack({ aws_vpc: { v: { cidr_block: "10.0.0.0/16" }, w: {} }, aws_default_security_group: { d: { vpc_id: ref("aws_vpc.w") } } }));
    expect(addresses(v)).toEqual(["aws_vpc.v"]);
    expect(v[0].message).toContain("not managed");
  });

  it("flags an adopted default group that keeps rules", () => {
    const v = defaultSecurityGroupClosed.check(
      stack({ aws_vpc: { v: {} }, aws_default_security_group: { d: { vpc_id: ref("aws_vpc.v"), ingress: [{ protocol: "-1", self: true, from_port: 0, to_port: 0 }], egress: [{ protocol: "-1", cidr_blocks: ["0.0.0.0/0"] }] } } }),
    );
    expect(addresses(v)).toEqual(["aws_default_security_group.d"]);
    expect(v[0].message).toContain("2 rule(s)");
  });
});
