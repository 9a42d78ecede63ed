"""`platform:deployRunner`: a GitHub Actions runner inside the VPC, so CI reaches a private cluster endpoint.

A CodeBuild-hosted GitHub Actions runner (an AWS CodeBuild feature): a webhook on the repository starts a build in
the stack's private subnets for each queued job of the listed workflows whose `runs-on` names the project
(`codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`); the build registers an ephemeral runner
that runs that one job. Cross-field rules live in `checks._deploy_runner`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from ._base import Model
from .cluster import role_arn
from .data import GITHUB_REPOSITORY, LOG_RETENTION_DAYS

# An AWS CodeConnections (formerly CodeStar Connections) connection to GitHub: the GitHub App CodeBuild uses to
# register runners and create the webhook. Created once per account in the console (a person completes the
# GitHub handshake); no token is stored anywhere.
CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[\w-]+$"
)
# A workflow's `name:` as CodeBuild's WORKFLOW_NAME filter matches it (anchored exactly).
WORKFLOW_NAME = r"^[A-Za-z0-9][\w .-]{0,99}$"


class DeployRunnerConfig(Model):
    # A CodeBuild-hosted GitHub Actions runner in the private subnets, for jobs that must reach the cluster's private
    # API.
    enabled: bool = False
    # owner/name of the repository whose workflows run on it.
    github_repository: str | None = None
    # The account's GitHub App connection (AWS CodeConnections), created once in the console; no token is stored.
    connection_arn: str | None = None
    # The role deploy jobs assume through GitHub's OIDC provider (environment-scoped trust, kept outside this
    # stack): it gets the cluster's deployer access entry (AmazonEKSClusterAdminPolicy).
    deploy_role_arn: str | None = None
    # Optional: the read-only role drift/preview jobs assume; gets AmazonEKSAdminViewPolicy (reads Secrets too,
    # which a refresh of the platform's Secret objects needs).
    read_role_arn: str | None = None
    # Only queued jobs of these workflows (their `name:`) start a build.
    workflows: Annotated[list[Annotated[str, Field(pattern=WORKFLOW_NAME)]], Field(min_length=1)] = Field(
        default_factory=lambda: ["deploy", "drift"]
    )
    # CodeBuild compute size of the runner.
    compute_type: Literal["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"] = (
        "BUILD_GENERAL1_MEDIUM"
    )
    # A CodeBuild-managed image the GitHub Actions runner supports (Amazon Linux 2023).
    image: Literal["aws/codebuild/amazonlinux-x86_64-standard:5.0"] = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    # A job longer than this is stopped (CodeBuild build timeout).
    timeout_minutes: Annotated[int, Field(ge=5, le=2160)] = 120
    # Days the runner's build logs (KMS-encrypted) are kept.
    log_retention_days: LOG_RETENTION_DAYS = 90  # type: ignore[valid-type]

    @field_validator("github_repository")
    @classmethod
    def _repo(cls, v: str | None) -> str | None:
        if v is not None and not GITHUB_REPOSITORY.match(v):
            raise ValueError("must be a GitHub repository as owner/name, e.g. example-org/eks-platform")
        return v

    @field_validator("connection_arn")
    @classmethod
    def _connection(cls, v: str | None) -> str | None:
        if v is not None and not CONNECTION_ARN.match(v):
            raise ValueError(
                "must be the ARN of an AWS CodeConnections connection to GitHub, "
                "arn:aws:codeconnections:<region>:<account>:connection/<id>"
            )
        return v

    @field_validator("deploy_role_arn", "read_role_arn")
    @classmethod
    def _roles(cls, v: str | None) -> str | None:
        return None if v is None else role_arn(v)

    @field_validator("workflows")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("lists a workflow twice")
        return v
