import { isReadOnlyAction, noWildcardMutating } from "../../modules/core/policy/rules/no-wildcard-mutating";
import { addresses, policy, ref, stack } from "./fixtures";

describe("isReadOnlyAction", () => {
  it.each([
    ["ec2:DescribeInstances", true],
    ["s3:GetObject", true],
    ["s3:Get*", true],
    ["logs:listTagsForResource", true],
    ["dynamodb:BatchGetItem", true],
    ["dynamodb:Query", true],
    ["dynamodb:Scan", true],
    ["s3:HeadObject", true],
    ["ecs:UpdateService", false],
    ["ecs:Update*", false],
    ["ecs:*", false],
    ["*", false],
    ["iam:PassRole", false],
    ["logs:PutLogEvents", false],
  ])("%s read-only: %s", (action, expected) => {
    expect(isReadOnlyAction(action)).toBe(expected);
  });
});

describe("no-wildcard-mutating", () => {
  it("accepts read-only actions on *, mutating actions on scoped ARNs, Deny, and ignores trust policies", () => {
    const s = stack({
      aws_iam_role: {
        r: {
          // Trust policies are not checked.
          assume_role_policy: policy({ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "*", Resource: "*" }),
          inline_policy: [{ name: "read", policy: policy({ Effect: "Allow", Action: ["ec2:DescribeNetworkInterfaces", "ecs:List*"], Resource: "*" }) }, {}],
        },
      },
      aws_iam_role_policy: {
        logs: {
          role: ref("aws_iam_role.r"),
          policy: policy(
            { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${ref("aws_cloudwatch_log_group.g", "arn")}:*` },
            { Effect: "Deny", Action: "*", Resource: "*" },
          ),
        },
      },
      aws_iam_policy: { ro: { policy: JSON.stringify({ Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: ["*"] } }) } },
    });
    expect(noWildcardMutating.check(s)).toEqual([]);
  });

  it("flags a mutating action on a Resource list that contains *", () => {
    const s = stack({
      aws_iam_role_policy: {
        p: { role: ref("aws_iam_role.r"), policy: policy({ Sid: "Tasks", Effect: "Allow", Action: ["ecs:DescribeTasks", "ecs:StopTask"], Resource: [ref("aws_ecs_cluster.c", "arn"), "*"] }) },
      },
    });
    const v = noWildcardMutating.check(s);
    expect(addresses(v)).toEqual(["aws_iam_role_policy.p"]);
    expect(v[0]?.message).toContain('Statement[0] (Sid "Tasks")');
    expect(v[0]?.message).toContain("ecs:StopTask");
    expect(v[0]?.message).not.toContain("ecs:DescribeTasks");
  });

  it("flags ecs:Update*, service:* and * on *, in every policy kind, one violation per statement", () => {
    const s = stack({
      aws_iam_role: { r: { inline_policy: { name: "deploy", policy: policy({ Effect: "Allow", Action: "ecs:Update*", Resource: "*" }) } } },
      aws_iam_policy: { admin: { policy: policy({ Effect: "Allow", Action: "*", Resource: "*" }, { Effect: "Allow", Action: "s3:*", Resource: "*" }) } },
    });
    const v = noWildcardMutating.check(s);
    expect(addresses(v)).toEqual(["aws_iam_policy.admin", "aws_iam_policy.admin", "aws_iam_role.r"]);
    expect(v[0]?.message).toContain("Statement[0]");
    expect(v[1]?.message).toContain("s3:*");
    expect(v[2]?.message).toContain('inline_policy "deploy"');
    expect(v[2]?.message).toContain("ecs:Update*");
  });

  it("flags Allow with NotAction, and mutating actions with NotResource", () => {
    const s = stack({
      aws_iam_policy: {
        na: { policy: policy({ Effect: "Allow", NotAction: "iam:*", Resource: ref("aws_s3_bucket.b", "arn") }) },
        nr: { policy: policy({ Effect: "Allow", Action: "s3:DeleteObject", NotResource: ref("aws_s3_bucket.b", "arn") }) },
      },
    });
    const v = noWildcardMutating.check(s);
    expect(addresses(v)).toEqual(["aws_iam_policy.na", "aws_iam_policy.nr"]);
    expect(v[0]?.message).toContain("NotAction");
    expect(v[1]?.message).toContain("NotResource");
  });

  it("reads data.aws_iam_policy_document and reports policies it cannot read", () => {
    const s = stack(
      {
        aws_iam_role_policy: {
          doc: { role: ref("aws_iam_role.r"), policy: ref("data.aws_iam_policy_document.d", "json") },
          expr: { role: ref("aws_iam_role.r"), policy: "${jsonencode({Statement = []})}" },
        },
      },
      { aws_iam_policy_document: { d: { statement: [{ actions: ["ssm:PutParameter"], resources: ["*"] }, { actions: ["ssm:GetParameter"], resources: ["*"] }] } } },
    );
    const v = noWildcardMutating.check(s);
    expect(addresses(v)).toEqual(["aws_iam_role_policy.doc", "aws_iam_role_policy.expr"]);
    expect(v[0]?.message).toContain("data.aws_iam_policy_document.d Statement[0]");
    expect(v[0]?.message).toContain("ssm:PutParameter");
    expect(v[1]?.message).toContain("cannot be verified");
  });
});
