"""IAM and KMS policy documents as pure functions (dicts), unit-tested directly.

Rules: no `"Action": "*"`, no `"Resource": "*"` unless AWS offers no resource-level scoping for an
action (then a comment says so), and conditions that pin the caller where AWS supports them.
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]


def service_trust_policy(service: str, account_id: str | None = None, source_arn: str | None = None) -> Doc:
    """Trust policy letting one AWS service assume a role, pinned to our account (confused-deputy guard)."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    conditions: dict[str, Any] = {}
    if account_id:
        conditions["StringEquals"] = {"aws:SourceAccount": account_id}
    if source_arn:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    if conditions:
        statement["Condition"] = conditions
    return {"Version": "2012-10-17", "Statement": [statement]}


def key_admin_statement(account_id: str, partition: str = "aws") -> Doc:
    # The account root keeps administrative control of the key so IAM policies can grant its use;
    # without it a key can become unmanageable. This is AWS's default key policy statement.
    return {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",  # in a key policy "*" means "this key"
    }


def kms_key_policy_for_logs(account_id: str, region: str, log_group_arn_pattern: str, partition: str = "aws") -> Doc:
    """Key policy for a CloudWatch Logs KMS key: CloudWatch Logs may use it only for our log groups."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            key_admin_statement(account_id, partition),
            {
                "Sid": "CloudWatchLogsUse",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                # AWS's CloudWatch Logs key policy also lists kms:Describe*, which under this condition never matches
                # (DescribeKey carries no encryption context): left out.
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
                "Resource": "*",  # in a key policy "*" means "this key"
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_group_arn_pattern}},
            },
        ],
    }


def flow_logs_delivery_policy(log_group_arn: str) -> Doc:
    """What the VPC flow logs service needs to write into one log group."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteFlowLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            },
            {
                "Sid": "DescribeLogGroups",
                "Effect": "Allow",
                "Action": ["logs:DescribeLogGroups"],
                # DescribeLogGroups has no resource-level scoping in IAM.
                "Resource": "*",
            },
        ],
    }
