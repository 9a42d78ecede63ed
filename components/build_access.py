"""Image build access: GitHub Actions assumes a push-only role through OIDC (no long-lived AWS keys in CI).

Replaces the reference's CodeCommit + CodePipeline (CodeCommit takes no new customers). The example workflow is
`.github/workflows/build-images.yml`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import data_iam, naming
from components.config.data import BuildAccessConfig


@dataclass(frozen=True)
class BuildAccessArgs:
    environment: str
    config: BuildAccessConfig
    repository_arns: Sequence[pulumi.Input[str]]  # the only repositories the role may push to


class BuildAccess(pulumi.ComponentResource):
    """The account's GitHub OIDC provider (created unless given) and a role only the configured repository's
    workflows on the configured branches can assume."""

    role_arn: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BuildAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:data:BuildAccess", name, None, opts)
        cfg = args.config
        env = args.environment
        child = pulumi.ResourceOptions(parent=self)

        if cfg.oidc_provider_arn:
            provider_arn: pulumi.Input[str] = cfg.oidc_provider_arn
        else:
            # No thumbprints: AWS trusts GitHub's OIDC endpoint through its own CA store since 2023, and the
            # provider's thumbprint list is optional in pulumi-aws 7.
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc",
                url=data_iam.GITHUB_OIDC_URL,
                client_id_lists=[data_iam.STS_AUDIENCE],
                tags=naming.name_tag(env, "github-oidc"),
                opts=child,
            )
            provider_arn = provider.arn

        self.role = aws.iam.Role(
            f"{name}-role",
            name=data_iam.push_role_name(env),
            description=f"GitHub Actions of {cfg.github_repository} ({', '.join(cfg.branches)}) push images",
            assume_role_policy=pulumi.Output.from_input(provider_arn).apply(
                lambda arn: json.dumps(
                    data_iam.github_actions_trust_policy(arn, cfg.github_repository, list(cfg.branches))
                )
            ),
            max_session_duration=3600,
            tags=naming.name_tag(env, "image-push"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-push",
            role=self.role.id,
            policy=pulumi.Output.all(*args.repository_arns).apply(
                lambda arns: json.dumps(data_iam.ecr_push_policy(list(arns)))
            ),
            opts=child,
        )
        self.role_arn = self.role.arn
        self.oidc_provider_arn = pulumi.Output.from_input(provider_arn)
        self.register_outputs({"roleArn": self.role_arn, "oidcProviderArn": self.oidc_provider_arn})
