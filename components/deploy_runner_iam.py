"""The deploy runner's IAM documents, as pure functions (dicts), unit-tested directly.

The runner's own role (the CodeBuild project's service role) is what every job on the runner holds without asking:
it gets only what running a job in the VPC needs. Deploying is not in it: deploy jobs exchange GitHub's OIDC token
for `platform:deployRunner.deployRoleArn`, whose trust (kept outside this stack) names the GitHub environment, so
a job that lands on the runner without passing that environment's rules gets nothing that changes AWS.

Sources: "Allow CodeBuild access to AWS services required to create a VPC network interface" and "Grant CodeBuild
project IAM role access to use the connection" (AWS CodeBuild User Guide); CodeBuild's confused-deputy guidance
(`aws:SourceAccount`, `aws:SourceArn` in the service role's trust policy).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components import iam

Doc = dict[str, Any]

CODEBUILD = "codebuild.amazonaws.com"


def project_arn(partition: str, region: str, account_id: str, project_name: str) -> str:
    return f"arn:{partition}:codebuild:{region}:{account_id}:project/{project_name}"


def trust_policy(account_id: str, project_arn_: str) -> Doc:
    """Only CodeBuild, building this project of this account, may assume the runner's role."""
    return iam.service_trust_policy(CODEBUILD, account_id=account_id, source_arn=project_arn_)


def connection_actions(connection_arn: str) -> list[str]:
    """The connection's IAM actions: CodeConnections ARNs use `codeconnections:`, connections created before the
    rename keep `codestar-connections:` ARNs and actions."""
    service = connection_arn.split(":")[2]
    return [f"{service}:GetConnectionToken", f"{service}:GetConnection"]


def runner_policy(
    *,
    partition: str,
    region: str,
    account_id: str,
    log_group_arn: str,
    subnet_arns: Sequence[str],
    connection_arn: str,
) -> Doc:
    """The runner role's permissions: its log group, its network interfaces in its subnets, its GitHub connection."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteOwnBuildLogs",
                "Effect": "Allow",
                # Both act on log streams (arn:...:log-group:<name>:log-stream:<stream>), only in its group.
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:log-stream:*",
            },
            {
                "Sid": "VpcBuildNetworkInterfaces",
                "Effect": "Allow",
                # AWS's documented policy for builds in a VPC: the Describe* calls have no resource-level scoping;
                # CodeBuild creates and deletes the build's interface itself (the next statement pins where).
                "Action": [
                    "ec2:CreateNetworkInterface",
                    "ec2:DeleteNetworkInterface",
                    "ec2:DescribeDhcpOptions",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                ],
                "Resource": "*",
            },
            {
                "Sid": "NetworkInterfacesOnlyInRunnerSubnets",
                "Effect": "Allow",
                "Action": "ec2:CreateNetworkInterfacePermission",
                "Resource": f"arn:{partition}:ec2:{region}:{account_id}:network-interface/*",
                # As AWS documents it: the subnet ARNs and the service, both with StringEquals.
                "Condition": {"StringEquals": {"ec2:Subnet": list(subnet_arns), "ec2:AuthorizedService": CODEBUILD}},
            },
            {
                "Sid": "UseGitHubConnection",
                "Effect": "Allow",
                "Action": connection_actions(connection_arn),
                "Resource": connection_arn,
            },
        ],
    }


def subnet_arn(partition: str, region: str, account_id: str, subnet_id: str) -> str:
    return f"arn:{partition}:ec2:{region}:{account_id}:subnet/{subnet_id}"


def webhook_filter_groups(workflows: Sequence[str]) -> list[list[dict[str, str]]]:
    """One filter group: a queued GitHub Actions job (WORKFLOW_JOB_QUEUED) of one of `workflows` (their `name:`,
    matched exactly). The job must also name the project in `runs-on`, or GitHub never offers it to the runner."""
    names = "|".join(_escape(w) for w in workflows)
    return [
        [
            {"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"},
            {"type": "WORKFLOW_NAME", "pattern": f"^({names})$"},
        ]
    ]


def _escape(text: str) -> str:
    return "".join("\\" + c if c in r".^$*+?()[]{}|\\" else c for c in text)


def runs_on_label(project_name: str) -> str:
    """The `runs-on` label a workflow job uses to run on the project's runner (one runner per job)."""
    return f"codebuild-{project_name}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"
