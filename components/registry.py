"""ECR repositories for the applications: immutable tags, scan on push, KMS, lifecycle, pulls by our nodes only."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import data_iam, naming
from components.config.data import RegistriesConfig


@dataclass(frozen=True)
class RegistryArgs:
    environment: str
    production: bool  # `protect` the repositories and their key; no force-delete of images
    config: RegistriesConfig
    # Roles that pull images: the node roles of the cluster (managed node groups, Karpenter).
    puller_role_arns: Sequence[pulumi.Input[str]] = field(default_factory=tuple)


class Registry(pulumi.ComponentResource):
    """One repository per application (`<environment>/<app>`), sharing one customer-managed KMS key."""

    repository_urls: dict[str, pulumi.Output[str]]
    repository_arns: dict[str, pulumi.Output[str]]
    kms_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:data:Registry", name, None, opts)
        cfg = args.config
        env = args.environment
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.production)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))

        key = aws.kms.Key(
            f"{name}-key",
            description=f"{naming.PROJECT}-{env}: container images",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            # The default key policy (the account administers the key) is what ECR needs: it creates its own
            # grant when a repository is created.
            tags=naming.name_tag(env, "registry-key"),
            opts=stateful,
        )
        aws.kms.Alias(
            f"{name}-key-alias", name=f"alias/{naming.PROJECT}-{env}-registry", target_key_id=key.key_id, opts=child
        )
        repository_policy = pulumi.Output.all(identity.account_id, partition.partition, *args.puller_role_arns).apply(
            lambda a: json.dumps(data_iam.ecr_repository_policy(a[0], list(a[2:]), partition=a[1]))
        )
        lifecycle_policy = json.dumps(data_iam.ecr_lifecycle_policy(cfg.keep_tagged_releases, cfg.expire_untagged_days))

        self.repository_urls, self.repository_arns = {}, {}
        for app in cfg.apps:
            repo = aws.ecr.Repository(
                f"{name}-{app}",
                name=data_iam.repository_name(env, app),
                # A tag names one image forever: what GitOps deploys is what was built and scanned.
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=key.arn)
                ],
                # dev: `destroy` removes repositories with their images; prod: images outlive a mistake.
                force_delete=not args.production,
                tags=naming.name_tag(env, f"{app}-images"),
                opts=stateful,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{app}-lifecycle", repository=repo.name, policy=lifecycle_policy, opts=child
            )
            aws.ecr.RepositoryPolicy(f"{name}-{app}-policy", repository=repo.name, policy=repository_policy, opts=child)
            self.repository_urls[app] = repo.repository_url
            self.repository_arns[app] = repo.arn

        self.kms_key_arn = key.arn
        self.register_outputs({"repositoryUrls": self.repository_urls, "kmsKeyArn": self.kms_key_arn})
