"""Secrets to workloads: the API namespace, and only it, gets the RDS-managed database secret via External Secrets.

The External Secrets add-on (components/addons/specs/external_secrets.py) runs with its own role (Pod Identity) and
general ClusterSecretStores for its path prefix. The database secret is kept apart from them:

* a dedicated role, `eks-platform-<env>-db-secret-reader`, may read exactly the database's master secret and decrypt
  it with exactly the database's KMS key (through Secrets Manager only); only the controller's role may assume it,
  and the controller's role gets one more inline policy allowing exactly that assume;
* a ClusterSecretStore `database-secrets` makes the controller assume that role, and only the listed namespaces
  (the reference API's) may use it. The controller's own identity cannot read the secret, so the general stores
  cannot leak it to other namespaces.

The API chart's ExternalSecret (platform/workloads/chart/templates/externalsecret.yaml) references this store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import data_iam, naming

STORE_NAME = "database-secrets"
STORE_API_VERSION = "external-secrets.io/v1"


def role_name_from_arn(role_arn: str) -> str:
    """`arn:aws:iam::123456789012:role/path/name` -> `name` (what aws.iam.RolePolicy's `role` takes)."""
    resource = role_arn.split(":", 5)[-1]
    if not resource.startswith("role/"):
        raise ValueError(f"not an IAM role ARN: {role_arn!r}")
    return resource.rsplit("/", 1)[-1]


def cluster_secret_store(region: str, reader_role_arn: str, namespaces: Sequence[str], name: str = STORE_NAME) -> dict:
    """The ClusterSecretStore: AWS Secrets Manager in this region through the reader role, for `namespaces` only."""
    if not namespaces:
        raise ValueError("the database ClusterSecretStore needs the namespaces allowed to use it")
    return {
        "apiVersion": STORE_API_VERSION,
        "kind": "ClusterSecretStore",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "platform"}},
        "spec": {
            "conditions": [{"namespaces": sorted(namespaces)}],
            "provider": {"aws": {"service": "SecretsManager", "region": region, "role": reader_role_arn}},
        },
    }


@dataclass(frozen=True)
class WorkloadSecretsArgs:
    environment: str
    region: str
    k8s_provider: k8s.Provider | None  # None in a bootstrap run: no ClusterSecretStore
    # The External Secrets controller's IAM role (the add-on component's role_arns["external-secrets"]).
    controller_role_arn: pulumi.Input[str]
    secret_arn: pulumi.Input[str]  # Database.master_secret_arn
    kms_key_arn: pulumi.Input[str]  # Database.kms_key_arn
    namespaces: Sequence[str] = ("api",)  # who may use the store: the reference API's namespace
    # The External Secrets install: its CRDs must exist before the store is declared.
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)


class WorkloadSecrets(pulumi.ComponentResource):
    reader_role_arn: pulumi.Output[str]
    store_name: str

    def __init__(self, name: str, args: WorkloadSecretsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:data:WorkloadSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        controller_role_arn = pulumi.Output.from_input(args.controller_role_arn)

        reader = aws.iam.Role(
            f"{name}-reader",
            name=data_iam.secret_reader_role_name(args.environment),
            description="External Secrets: read the database master secret for the API namespace",
            assume_role_policy=controller_role_arn.apply(lambda arn: json.dumps(data_iam.assumable_by(arn))),
            max_session_duration=3600,
            tags=naming.name_tag(args.environment, "db-secret-reader"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-reader-policy",
            role=reader.id,
            policy=pulumi.Output.all(args.secret_arn, args.kms_key_arn).apply(
                lambda a: json.dumps(data_iam.secret_read_policy([a[0]], [a[1]], args.region))
            ),
            opts=child,
        )
        # The controller's role may assume the reader (and nothing more is added to it).
        aws.iam.RolePolicy(
            f"{name}-controller-assume",
            role=controller_role_arn.apply(role_name_from_arn),
            policy=reader.arn.apply(lambda arn: json.dumps(data_iam.assume_policy([arn]))),
            opts=child,
        )
        if args.k8s_provider is not None:  # None in a bootstrap run: the roles only
            store = reader.arn.apply(lambda arn: cluster_secret_store(args.region, arn, args.namespaces))
            k8s.apiextensions.CustomResource(
                f"{name}-store",
                api_version=STORE_API_VERSION,
                kind="ClusterSecretStore",
                metadata=store["metadata"],
                spec=store["spec"],
                opts=pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, depends_on=list(args.depends_on)),
            )
        self.reader_role_arn = reader.arn
        self.store_name = STORE_NAME
        self.register_outputs({"readerRoleArn": self.reader_role_arn, "storeName": self.store_name})
