"""The application database: RDS for PostgreSQL (or Aurora PostgreSQL), private, encrypted, password-less config.

The master password is generated and rotated by RDS in Secrets Manager (`manage_master_user_password`): it is never
in config, in code or in Pulumi state. Workloads read it through External Secrets (see workload_secrets.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import data_iam, iam, naming
from components.config.data import DatabaseConfig

PORT = 5432
# RDS's current default CA (RSA 2048, valid to 2061); clients verify the server with the RDS CA bundle.
CA_CERT = "rds-ca-rsa2048-g1"
BACKUP_WINDOW = "02:00-03:00"  # UTC; must not overlap the maintenance window
MAINTENANCE_WINDOW = "sun:03:30-sun:04:30"


@dataclass(frozen=True)
class DatabaseArgs:
    environment: str
    production: bool  # deletion protection, final snapshot, `protect`
    config: DatabaseConfig
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]  # private subnets, one per AZ
    # Security groups admitted on 5432: the cluster's node SG and its cluster SG (pods use one of them).
    allowed_security_group_ids: Sequence[pulumi.Input[str]] = field(default_factory=tuple)


def log_exports(aurora: bool) -> list[str]:
    """PostgreSQL logs exported to CloudWatch (Aurora has no separate upgrade log)."""
    return ["postgresql"] if aurora else ["postgresql", "upgrade"]


def parameter_family(engine_version: str, aurora: bool) -> str:
    major = engine_version.split(".", 1)[0]
    return f"aurora-postgresql{major}" if aurora else f"postgres{major}"


def parameters(config: DatabaseConfig) -> dict[str, str]:
    """Server parameters: TLS only, and slow statements logged."""
    return {
        "rds.force_ssl": "1",
        "log_min_duration_statement": str(config.slow_query_log_ms),
    }


class Database(pulumi.ComponentResource):
    """PostgreSQL in the private subnets, reachable on 5432 from the cluster's security groups only."""

    endpoint: pulumi.Output[str]  # host name
    port: int
    master_secret_arn: pulumi.Output[str]  # the RDS-managed secret {"username", "password"}
    kms_key_arn: pulumi.Output[str]  # encrypts storage, the secret, Performance Insights and the exported logs
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:data:Database", name, None, opts)
        cfg = args.config
        env = args.environment
        child = pulumi.ResourceOptions(parent=self)
        # Stateful resources: never deleted by a mistaken `pulumi up`/`destroy` in production.
        stateful = pulumi.ResourceOptions(parent=self, protect=args.production)
        self._identifier = data_iam.database_identifier(env)

        def tags(what: str) -> dict[str, str]:
            return naming.name_tag(env, what)

        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))
        log_groups_arn = pulumi.Output.all(identity.account_id, region.region).apply(
            lambda a: (
                f"arn:aws:logs:{a[1]}:{a[0]}:log-group:"
                + data_iam.database_log_group(self._identifier, "*", cfg.aurora)
            )
        )
        key = aws.kms.Key(
            f"{name}-key",
            description=f"{naming.PROJECT}-{env}: database storage, master secret, Performance Insights, logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(identity.account_id, region.region, log_groups_arn).apply(
                lambda a: json.dumps(iam.kms_key_policy_for_logs(a[0], a[1], a[2]))
            ),
            tags=tags("database-key"),
            opts=stateful,
        )
        aws.kms.Alias(
            f"{name}-key-alias", name=f"alias/{naming.PROJECT}-{env}-database", target_key_id=key.key_id, opts=child
        )

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"PostgreSQL {self._identifier}: {PORT} from the cluster only",
            # No egress rules: the database never initiates connections.
            tags=tags("database-sg"),
            opts=child,
        )
        for i, source in enumerate(args.allowed_security_group_ids):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-from-cluster-{i}",
                security_group_id=self.security_group.id,
                referenced_security_group_id=source,
                ip_protocol="tcp",
                from_port=PORT,
                to_port=PORT,
                description="PostgreSQL from the cluster",
                tags=tags(f"database-from-cluster-{i}"),
                opts=child,
            )

        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            description=f"{self._identifier}: private subnets",
            subnet_ids=list(args.subnet_ids),
            tags=tags("database-subnets"),
            opts=child,
        )
        # Pre-created so that the exported logs have a retention and our KMS key (RDS would create them bare).
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-log-{log_type}",
                name=data_iam.database_log_group(self._identifier, log_type, cfg.aurora),
                retention_in_days=cfg.log_retention_days,
                kms_key_id=key.arn,
                tags=tags(f"database-{log_type}-logs"),
                opts=child,
            )
            for log_type in log_exports(cfg.aurora)
        ]

        common = dict(
            engine_version=cfg.engine_version,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            storage_encrypted=True,
            kms_key_id=key.arn,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=key.arn,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=log_exports(cfg.aurora),
            backup_retention_period=cfg.backup_retention_days,
            copy_tags_to_snapshot=True,
            deletion_protection=args.production,
            skip_final_snapshot=not args.production,
            final_snapshot_identifier=f"{self._identifier}-final" if args.production else None,
            delete_automated_backups=not args.production,
            # The version is pinned in config: upgrades are a reviewed config change, never a surprise.
            allow_major_version_upgrade=False,
            # dev: apply changes now; prod: in the maintenance window.
            apply_immediately=not args.production,
        )
        after_logs = pulumi.ResourceOptions(parent=self, protect=args.production, depends_on=log_groups)
        if cfg.aurora:
            secrets = self._aurora(name, cfg, key, common, tags, after_logs)
            self.endpoint = self._writer_endpoint
        else:
            pg = aws.rds.ParameterGroup(
                f"{name}-params",
                family=parameter_family(cfg.engine_version, aurora=False),
                description=f"{self._identifier}: TLS only, slow query log",
                parameters=[aws.rds.ParameterGroupParameterArgs(name=k, value=v) for k, v in parameters(cfg).items()],
                tags=tags("database-params"),
                opts=child,
            )
            instance = aws.rds.Instance(
                f"{name}-instance",
                identifier=self._identifier,
                engine="postgres",
                instance_class=cfg.instance_class,
                allocated_storage=cfg.allocated_storage,
                max_allocated_storage=cfg.max_allocated_storage,
                storage_type="gp3",
                multi_az=cfg.multi_az,
                db_name=cfg.database_name,
                username=cfg.master_username,
                port=PORT,
                parameter_group_name=pg.name,
                publicly_accessible=False,
                ca_cert_identifier=CA_CERT,
                auto_minor_version_upgrade=False,
                backup_window=BACKUP_WINDOW,
                maintenance_window=MAINTENANCE_WINDOW,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=key.arn,
                performance_insights_retention_period=cfg.performance_insights_retention_days,
                tags=tags("database"),
                **common,
                opts=after_logs,
            )
            self.instance = instance
            secrets = instance.master_user_secrets
            self.endpoint = instance.address

        self.port = PORT
        self.identifier = self._identifier
        self.master_secret_arn = secrets.apply(_first_secret_arn)
        self.kms_key_arn = key.arn
        self.security_group_id = self.security_group.id
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "port": self.port,
                "masterSecretArn": self.master_secret_arn,
                "kmsKeyArn": self.kms_key_arn,
                "securityGroupId": self.security_group_id,
            }
        )

    def _aurora(self, name, cfg: DatabaseConfig, key, common: dict, tags, after_logs) -> pulumi.Output:
        child = pulumi.ResourceOptions(parent=self)
        pg = aws.rds.ClusterParameterGroup(
            f"{name}-params",
            family=parameter_family(cfg.engine_version, aurora=True),
            description=f"{self._identifier}: TLS only, slow query log",
            parameters=[
                aws.rds.ClusterParameterGroupParameterArgs(name=k, value=v) for k, v in parameters(cfg).items()
            ],
            tags=tags("database-params"),
            opts=child,
        )
        cluster = aws.rds.Cluster(
            f"{name}-cluster",
            cluster_identifier=self._identifier,
            engine="aurora-postgresql",
            database_name=cfg.database_name,
            master_username=cfg.master_username,
            port=PORT,
            db_cluster_parameter_group_name=pg.name,
            preferred_backup_window=BACKUP_WINDOW,
            preferred_maintenance_window=MAINTENANCE_WINDOW,
            tags=tags("database"),
            **common,
            opts=after_logs,
        )
        # Multi-AZ on Aurora: the storage always spans three AZs; a second instance is the failover target.
        for i in range(2 if cfg.multi_az else 1):
            aws.rds.ClusterInstance(
                f"{name}-instance-{i}",
                identifier=f"{self._identifier}-{i}",
                cluster_identifier=cluster.id,
                engine="aurora-postgresql",
                engine_version=cfg.engine_version,
                instance_class=cfg.instance_class,
                db_subnet_group_name=cluster.db_subnet_group_name,
                publicly_accessible=False,
                ca_cert_identifier=CA_CERT,
                auto_minor_version_upgrade=False,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=key.arn,
                performance_insights_retention_period=cfg.performance_insights_retention_days,
                apply_immediately=common["apply_immediately"],
                tags=tags(f"database-{i}"),
                opts=pulumi.ResourceOptions(parent=self, protect=after_logs.protect),
            )
        self.cluster = cluster
        self._writer_endpoint = cluster.endpoint
        return cluster.master_user_secrets


def _first_secret_arn(secrets) -> str | None:
    """The ARN of the RDS-managed master secret (RDS returns a one-element list)."""
    if not secrets:
        return None
    first = secrets[0]
    return first.get("secret_arn") if isinstance(first, dict) else first.secret_arn
