/** IAM helpers: policy documents as JSON strings (readable in the synthesized stack) and service roles. */
import type { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { IamStatement } from "../core/interfaces";

export function policyDocument(statements: readonly IamStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export interface ServiceRoleProps {
  readonly name: string;
  /** Service principal, e.g. `ecs-tasks.amazonaws.com`. */
  readonly service: string;
  /** Only this account's resources may assume the role (confused-deputy guard). */
  readonly accountId: string;
  readonly statements: readonly IamStatement[];
  readonly tags: Readonly<Record<string, string>>;
}

/** A role one AWS service assumes, with one inline policy (`Policy`) when it has statements. */
export function serviceRole(scope: Construct, id: string, props: ServiceRoleProps): IamRole {
  const role = new IamRole(scope, id, {
    name: props.name,
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: props.service },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": props.accountId } },
        },
      ],
    }),
    tags: { ...props.tags },
  });
  if (props.statements.length > 0) {
    new IamRolePolicy(scope, `${id}Policy`, { name: props.name, role: role.id, policy: policyDocument(props.statements) });
  }
  return role;
}
