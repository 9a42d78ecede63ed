"""The deploy runner: a CodeBuild-hosted GitHub Actions runner in the stack's private subnets.

GitHub-hosted runners reach neither a private API endpoint nor one public only to an office CIDR, yet every stack
applies Kubernetes resources through it. With `platform:deployRunner.enabled`, the deploy and drift workflows run
their jobs here instead: a webhook on the repository (GitHub App connection, no token stored) starts a build for
each queued job of the listed workflows whose `runs-on` names the project; the build registers an ephemeral runner
for that one job, in the VPC, behind a security group the cluster security group admits on 443.

What it creates: the runner's role (least privilege, `components/deploy_runner_iam.py`), its security group (egress
HTTPS only) and the cluster security group's ingress rule for it, a KMS-encrypted log group, the CodeBuild project
and its webhook, and the access entry of the optional read-only role (AmazonEKSAdminViewPolicy). The deploy role's
cluster-admin entry is the cluster's deployer entry (`ClusterArgs.deployer_role_arn`), so the Kubernetes provider
waits for it. No long-lived credential exists anywhere: CodeBuild vends the runner role's, GitHub's OIDC token is
exchanged for the deploy role's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import cluster_iam, deploy_runner_iam, iam, naming
from components.config.deploy_runner import DeployRunnerConfig

HTTPS = 443


def project_name(environment: str) -> str:
    """The CodeBuild project's name; workflows name it in `runs-on` (codebuild-<project>-<run id>-<attempt>)."""
    return f"{naming.PROJECT}-{environment}-deploy"


@dataclass(frozen=True)
class DeployRunnerArgs:
    environment: str
    production: bool
    region: str
    config: DeployRunnerConfig
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    # The cluster (components/cluster.py Cluster): its security group admits the runner; its name scopes entries.
    cluster: object


class DeployRunner(pulumi.ComponentResource):
    project_name: str
    runs_on: str
    role_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: DeployRunnerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:deploy:DeployRunner", name, None, opts)
        cfg = args.config
        env = args.environment
        cluster = args.cluster
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=args.production)
        partition = cluster_iam.partition_of(args.region)
        region = args.region
        assert cfg.github_repository and cfg.connection_arn, "validated: required when enabled"

        def tags(what: str) -> dict[str, str]:
            return naming.name_tag(env, f"deploy-runner-{what}")

        self.project_name = project = project_name(env)
        self.runs_on = deploy_runner_iam.runs_on_label(project)
        account = cluster.account_id  # type: ignore[attr-defined]
        arn = account.apply(lambda a: deploy_runner_iam.project_arn(partition, region, a, project))

        # --- logs: CodeBuild's default group name, created first with retention and a key of its own
        log_group_name = f"/aws/codebuild/{project}"
        logs_key = aws.kms.Key(
            f"{name}-logs-key",
            description=f"{project}: deploy runner build logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account.apply(
                lambda a: json.dumps(
                    iam.kms_key_policy_for_logs(
                        a, region, f"arn:{partition}:logs:{region}:{a}:log-group:{log_group_name}", partition
                    )
                )
            ),
            tags=tags("logs-key"),
            opts=keep,
        )
        aws.kms.Alias(f"{name}-logs-key-alias", name=f"alias/{project}-logs", target_key_id=logs_key.key_id, opts=child)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name,
            retention_in_days=cfg.log_retention_days,
            kms_key_id=logs_key.arn,
            tags=tags("logs"),
            opts=keep,
        )

        # --- network: egress HTTPS only (GitHub, the Pulumi backend, AWS APIs, chart and package registries; DNS goes
        # to the VPC resolver, which security groups do not filter); the cluster security group admits it on 443
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{project}: CodeBuild-hosted GitHub Actions runner (egress HTTPS only)",
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp", from_port=HTTPS, to_port=HTTPS, cidr_blocks=["0.0.0.0/0"], description="HTTPS out"
                )
            ],
            tags=tags("sg"),
            opts=child,
        )
        self.api_ingress = aws.vpc.SecurityGroupIngressRule(
            f"{name}-to-cluster-api",
            security_group_id=cluster.cluster_security_group_id,  # type: ignore[attr-defined]
            referenced_security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description=f"{project}: the deploy runner reaches the Kubernetes API",
            tags=tags("to-cluster-api"),
            opts=child,
        )

        # --- the runner's own role: CodeBuild for this project only; logs, network interfaces, the connection
        self.role = aws.iam.Role(
            f"{name}-role",
            name=f"{project}-runner",
            description=f"{project}: the CodeBuild-hosted GitHub Actions runner (no deploy permissions)",
            assume_role_policy=pulumi.Output.all(account, arn).apply(
                lambda a: json.dumps(deploy_runner_iam.trust_policy(a[0], a[1]))
            ),
            max_session_duration=3600,
            tags=tags("role"),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=pulumi.Output.all(account, *args.private_subnet_ids).apply(
                lambda a: json.dumps(
                    deploy_runner_iam.runner_policy(
                        partition=partition,
                        region=region,
                        account_id=a[0],
                        log_group_arn=f"arn:{partition}:logs:{region}:{a[0]}:log-group:{log_group_name}",
                        subnet_arns=[deploy_runner_iam.subnet_arn(partition, region, a[0], s) for s in a[1:]],
                        connection_arn=cfg.connection_arn,
                    )
                )
            ),
            opts=child,
        )

        # --- the project (its VPC interfaces need the policy at creation) and the webhook
        self.project = aws.codebuild.Project(
            f"{name}-project",
            name=project,
            description=f"GitHub Actions runner in the {env} VPC for {cfg.github_repository} workflows "
            f"{', '.join(cfg.workflows)}",
            service_role=self.role.arn,
            source=aws.codebuild.ProjectSourceArgs(
                type="GITHUB",
                location=f"https://github.com/{cfg.github_repository}.git",
                auth=aws.codebuild.ProjectSourceAuthArgs(type="CODECONNECTIONS", resource=cfg.connection_arn),
            ),
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type="LINUX_CONTAINER",
                compute_type=cfg.compute_type,
                image=cfg.image,
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=False,
            ),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                vpc_id=args.vpc_id, subnets=list(args.private_subnet_ids), security_group_ids=[self.security_group.id]
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    status="ENABLED", group_name=log_group.name
                ),
                s3_logs=aws.codebuild.ProjectLogsConfigS3LogsArgs(status="DISABLED"),
            ),
            build_timeout=cfg.timeout_minutes,
            tags=tags("project"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, log_group]),
        )
        self.webhook = aws.codebuild.Webhook(
            f"{name}-webhook",
            project_name=self.project.name,
            build_type="BUILD",
            filter_groups=[
                aws.codebuild.WebhookFilterGroupArgs(
                    filters=[aws.codebuild.WebhookFilterGroupFilterArgs(**f) for f in group]
                )
                for group in deploy_runner_iam.webhook_filter_groups(cfg.workflows)
            ],
            opts=child,
        )

        # --- the read-only role's entry (drift and previews on the runner); the deploy role's is the cluster's
        if cfg.read_role_arn is not None:
            entry = aws.eks.AccessEntry(
                f"{name}-read-access",
                cluster_name=cluster.cluster_name,  # type: ignore[attr-defined]
                principal_arn=cfg.read_role_arn,
                type="STANDARD",
                tags=tags("read-access"),
                opts=child,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-read-view",
                cluster_name=cluster.cluster_name,  # type: ignore[attr-defined]
                principal_arn=entry.principal_arn,
                policy_arn=cluster_iam.access_policy_arn(cluster_iam.ADMIN_VIEW_POLICY, partition),
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=child,
            )

        self.role_arn = self.role.arn
        self.security_group_id = self.security_group.id
        self.register_outputs(
            {
                "projectName": project,
                "runsOn": self.runs_on,
                "roleArn": self.role_arn,
                "securityGroupId": self.security_group_id,
            }
        )
