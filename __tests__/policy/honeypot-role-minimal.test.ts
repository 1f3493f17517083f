import { honeypotRoleMinimal } from "../../modules/core/policy/rules/honeypot-role-minimal";
import { addresses, component, policy, ref, stack } from "./fixtures";

const efsWrite = (accessPoints: string | string[], extra: Record<string, unknown> = {}) => ({
  Sid: "WriteOwnLogs",
  Effect: "Allow",
  Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
  Resource: ref("aws_efs_file_system.logs", "arn"),
  Condition: { StringEquals: { "elasticfilesystem:AccessPointArn": accessPoints } },
  ...extra,
});

const ownAp = ref("aws_efs_access_point.cowrie", "arn");

/** Honeypot role `cowrie` whose task mounts access point `cowrie`; access point `dionaea` belongs to another task. */
function roleStack(resources: Record<string, Record<string, Record<string, unknown>>> = {}, roleExtra: Record<string, unknown> = {}) {
  return stack({
    aws_iam_role: { cowrie: { name: "lure-cowrie-task", ...component("honeypot"), ...roleExtra } },
    aws_efs_file_system: { logs: { encrypted: true } },
    aws_efs_access_point: { cowrie: { file_system_id: ref("aws_efs_file_system.logs") }, dionaea: { file_system_id: ref("aws_efs_file_system.logs") } },
    aws_ecs_task_definition: {
      cowrie: {
        task_role_arn: ref("aws_iam_role.cowrie", "arn"),
        volume: [
          {
            name: "cowrie-log",
            efs_volume_configuration: {
              file_system_id: ref("aws_efs_file_system.logs"),
              transit_encryption: "ENABLED",
              authorization_config: { access_point_id: ref("aws_efs_access_point.cowrie"), iam: "ENABLED" },
            },
          },
        ],
      },
      dionaea: {
        task_role_arn: ref("aws_iam_role.other", "arn"),
        volume: [{ name: "d", efs_volume_configuration: { authorization_config: { access_point_id: ref("aws_efs_access_point.dionaea") } } }],
      },
    },
    ...resources,
  });
}

describe("honeypot-role-minimal", () => {
  it("accepts a role that may only mount and write its own task's access point", () => {
    const s = roleStack({
      aws_iam_role_policy: { efs: { role: ref("aws_iam_role.cowrie", "name"), policy: policy(efsWrite(ownAp)) } },
    });
    expect(honeypotRoleMinimal.check(s)).toEqual([]);
  });

  it("accepts the same grant in inline_policy, by literal role name, and from a data.aws_iam_policy_document", () => {
    const s = {
      ...roleStack(
        { aws_iam_role_policy: { byName: { role: "lure-cowrie-task", policy: ref("data.aws_iam_policy_document.efs", "json") } } },
        { inline_policy: [{ name: "efs", policy: policy(efsWrite([ownAp])) }] },
      ),
      data: {
        aws_iam_policy_document: {
          efs: {
            statement: [
              {
                actions: ["elasticfilesystem:ClientWrite"],
                resources: [ref("aws_efs_file_system.logs", "arn")],
                condition: [{ test: "StringEquals", variable: "elasticfilesystem:AccessPointArn", values: [ownAp] }],
              },
            ],
          },
        },
      },
    };
    expect(honeypotRoleMinimal.check(s)).toEqual([]);
  });

  it("flags managed policies: managed_policy_arns and aws_iam_role_policy_attachment", () => {
    const s = roleStack(
      { aws_iam_role_policy_attachment: { ssm: { role: ref("aws_iam_role.cowrie", "name"), policy_arn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" } } },
      { managed_policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] },
    );
    const v = honeypotRoleMinimal.check(s);
    expect(addresses(v)).toEqual(["aws_iam_role.cowrie", "aws_iam_role_policy_attachment.ssm"]);
    expect(v[0]?.message).toContain("ReadOnlyAccess");
    expect(v[1]?.message).toContain("AmazonSSMManagedInstanceCore");
  });

  it("flags access to an access point that another task mounts", () => {
    const s = roleStack({
      aws_iam_role_policy: { efs: { role: ref("aws_iam_role.cowrie"), policy: policy(efsWrite([ownAp, ref("aws_efs_access_point.dionaea", "arn")])) } },
    });
    const v = honeypotRoleMinimal.check(s);
    expect(addresses(v)).toEqual(["aws_iam_role_policy.efs"]);
    expect(v[0]?.message).toContain("aws_efs_access_point.dionaea");
    expect(v[0]?.message).toContain("aws_iam_role.cowrie");
    expect(v[0]?.message).not.toContain("aws_efs_access_point.cowrie,");
  });

  it.each([
    ["an extra action", efsWrite(ownAp, { Action: ["elasticfilesystem:ClientWrite", "s3:PutObject"] }), "grants s3:PutObject"],
    ["a wildcard action", efsWrite(ownAp, { Action: "elasticfilesystem:Client*" }), "wildcard action elasticfilesystem:Client*"],
    ["Resource *", efsWrite(ownAp, { Resource: "*" }), 'Resource "*"'],
    ["Resource list containing *", efsWrite(ownAp, { Resource: [ref("aws_efs_file_system.logs", "arn"), "*"] }), 'Resource "*"'],
    ["no access point condition", { Effect: "Allow", Action: "elasticfilesystem:ClientWrite", Resource: ref("aws_efs_file_system.logs", "arn") }, "has no Condition"],
    ["a literal access point ARN", efsWrite("arn:aws:elasticfilesystem:eu-west-2:123456789012:access-point/fsap-1"), "does not reference an aws_efs_access_point"],
    ["a Deny statement", efsWrite(ownAp, { Effect: "Deny" }), 'Effect is "Deny"'],
    ["NotAction", { ...efsWrite(ownAp), Action: undefined, NotAction: "iam:*" }, "NotAction"],
  ])("flags %s", (_name, statement, text) => {
    const s = roleStack({ aws_iam_role_policy: { efs: { role: ref("aws_iam_role.cowrie"), policy: policy(statement) } } });
    const v = honeypotRoleMinimal.check(s);
    expect(addresses(v)).toEqual(["aws_iam_role_policy.efs"]);
    expect(v[0]?.message).toContain(text);
    expect(v[0]?.message).toContain('Statement[0]');
  });

  it("flags a policy it cannot read, one violation per bad statement, on inline policies too", () => {
    const s = roleStack(
      { aws_iam_role_policy: { tok: { role: ref("aws_iam_role.cowrie"), policy: "${jsonencode(local.p)}" } } },
      { inline_policy: [{ name: "two", policy: policy(efsWrite(ownAp), { Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*" }, efsWrite("x")) }] },
    );
    const v = honeypotRoleMinimal.check(s);
    expect(addresses(v)).toEqual(["aws_iam_role.cowrie", "aws_iam_role.cowrie", "aws_iam_role_policy.tok"]);
    expect(v[0]?.message).toContain('inline_policy "two" (honeypot role aws_iam_role.cowrie) Statement[1]');
    expect(v[1]?.message).toContain("Statement[2]");
    expect(v[2]?.message).toContain("cannot be verified");
  });

  it("ignores roles that are not honeypots", () => {
    const s = stack({
      aws_iam_role: { exec: { ...component("dashboard"), managed_policy_arns: ["arn:aws:iam::aws:policy/AdministratorAccess"] } },
      aws_iam_role_policy: { p: { role: ref("aws_iam_role.exec"), policy: policy({ Effect: "Allow", Action: "*", Resource: "*" }) } },
    });
    expect(honeypotRoleMinimal.check(s)).toEqual([]);
  });
});
