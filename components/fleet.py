"""Hub-and-spoke GitOps and the spokes' side of the fleet's shared resources (docs/fleets.md).

- A spoke (`FleetSpoke`) runs no Argo CD of its own. It creates the *cluster role* the hub's Argo CD assumes (no
  permission policy; trusted by the hub's management role only), maps it with an EKS access entry
  (AmazonEKSClusterAdminPolicy: Argo CD manages cluster-scoped objects such as namespaces and CRDs), admits the
  hub's VPC to its API endpoint when the hub reaches it privately, and exports its registration (`argocdCluster`):
  endpoint, CA, cluster name, role and the same GitOps Bridge labels and annotations as an in-cluster Secret.
  It also prepares its registry for the fleet's images replicated from the global stack.
- The hub (`ArgoCdHubRole` before Argo CD, `SpokeRegistrations` after it) gives its Argo CD the management role
  through EKS Pod Identity and writes one Argo CD cluster Secret per spoke from the spoke's outputs (StackReference).

Everything is IAM, short-lived tokens (`argocd-k8s-auth`); no bearer token or key is stored anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import aws_partitions, cluster_iam, data_iam, fleet_iam, naming
from components.config.data import RegistriesConfig
from components.config.fleet import ARGOCD_SERVICE_ACCOUNTS, hub_role_name, spoke_role_name
from components.gitops import NAMESPACE as ARGOCD_NAMESPACE

# Labels the fleet adds to the GitOps Bridge cluster Secrets (in-cluster and spokes'): platform/ may select on them.
FLEET_LABEL = "fleet"
FLEET_ROLE_LABEL = "fleet_role"
# Annotations a spoke adds for platform/ (read with `index`: only fleet spokes have them).
FLEET_DOMAIN_ANNOTATION = "fleet_domain"  # the global zone: the front end also answers <subdomain>.<fleet_domain>
IMAGE_REGISTRY_ANNOTATION = "image_registry"  # <registry host>/<prefix>: where this spoke pulls the fleet's images
# On a spoke's Secret in the hub: where Argo CD connects and as whom. The Secret's stringData (which holds them for
# Argo CD) is a secret to Pulumi, so a preview would not show a change of either without these.
ENDPOINT_ANNOTATION = "aws_cluster_endpoint"
ROLE_ANNOTATION = "argocd_role_arn"


# ------------------------------------------------------------------------------------------------ pure logic


def kubeconfig_ca_data(kubeconfig: Any) -> str:
    """The base64 CA bundle of a kubeconfig (dict or JSON string): what Argo CD verifies the API server with."""
    doc = json.loads(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    return doc["clusters"][0]["cluster"]["certificate-authority-data"]


def argocd_cluster_config(cluster_name: str, role_arn: str, ca_data: str) -> str:
    """The `config` of an Argo CD cluster Secret for an EKS cluster reached with IAM (Argo CD "Declarative Setup",
    Clusters/EKS): `argocd-k8s-auth` assumes `roleARN` and gets a token for `clusterName`; TLS verified with the
    cluster's CA."""
    return json.dumps(
        {
            "awsAuthConfig": {"clusterName": cluster_name, "roleARN": role_arn},
            "tlsClientConfig": {"insecure": False, "caData": ca_data},
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def cluster_secret_for(registration: Mapping[str, Any]) -> dict[str, Any]:
    """An Argo CD cluster Secret (metadata and stringData) from a spoke's `argocdCluster` output."""
    required = ("name", "server", "clusterName", "roleArn", "caData", "labels", "annotations")
    missing = [k for k in required if k not in registration]
    if missing:
        raise ValueError(f"the spoke's argocdCluster output lacks {', '.join(missing)}")
    return {
        "metadata": {
            "name": registration["name"],
            "namespace": ARGOCD_NAMESPACE,
            "labels": dict(registration["labels"]),
            "annotations": {
                **registration["annotations"],
                ENDPOINT_ANNOTATION: registration["server"],
                ROLE_ANNOTATION: registration["roleArn"],
            },
        },
        "stringData": {
            "name": registration["name"],
            "server": registration["server"],
            "config": argocd_cluster_config(
                registration["clusterName"], registration["roleArn"], registration["caData"]
            ),
        },
    }


def fleet_labels(fleet: str, role: str) -> dict[str, str]:
    return {FLEET_LABEL: fleet, FLEET_ROLE_LABEL: role}


def image_registry(account: str, region: str, prefix: str) -> str:
    """Where a spoke pulls the fleet's images: its own registry's replicas (same names as the source)."""
    known = aws_partitions.region(region)
    if known is None:  # the stack's config admits only the Regions of botocore's partition data
        raise ValueError(f"{region!r} is not an AWS Region ({aws_partitions.source()})")
    return f"{account}.dkr.ecr.{region}.{known.dns_suffix}/{prefix.rstrip('/')}"


# ------------------------------------------------------------------------------------------------ spoke


@dataclass(frozen=True)
class FleetSpokeArgs:
    environment: str
    fleet: str
    account: str
    region: str
    cluster: Any  # components.cluster.Cluster
    hub_role_arn: str
    # The hub's VPC CIDR when it reaches this spoke's API privately (Transit Gateway or peering); None: publicly.
    hub_vpc_cidr: str | None
    # The global stack's registry output (StackReference): {"accountId", "region", "prefix", ...}; and the registry
    # settings of the global stack's config (the replicas follow the source's lifecycle). None: no fleet registry.
    registry_output: pulumi.Output[Any] | None = None
    registry_config: RegistriesConfig | None = None
    # The fleet's registry is in another account: this registry lets it replicate here (a registry policy).
    cross_account_registry: bool = False
    # The GitOps Bridge labels and annotations of this cluster (as GitOps would put on its in-cluster Secret).
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: pulumi.Input[Mapping[str, str]] = field(default_factory=dict)
    # The fleet's global zone name (StackReference), for the `fleet_domain` annotation.
    fleet_domain: pulumi.Input[str] | None = None
    depends_on: Sequence[pulumi.Resource] = ()


class FleetSpoke(pulumi.ComponentResource):
    """What makes a cluster a spoke: the hub's way in, and its registration for the hub."""

    role: aws.iam.Role
    registration: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, args: FleetSpokeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:fleet:FleetSpoke", name, None, opts)
        env = args.environment
        cluster = args.cluster
        child = pulumi.ResourceOptions(parent=self)
        partition = cluster_iam.partition_of(args.region)

        self.role = aws.iam.Role(
            f"{name}-argocd-role",
            name=spoke_role_name(env),
            assume_role_policy=json.dumps(fleet_iam.spoke_trust_policy(args.hub_role_arn)),
            description=f"{naming.cluster_name(env)}: the hub's Argo CD ({args.hub_role_arn}) deploys here",
            tags=naming.name_tag(env, "argocd-spoke-role"),
            opts=child,
        )
        entry = aws.eks.AccessEntry(
            f"{name}-argocd-access",
            cluster_name=cluster.cluster_name,
            principal_arn=self.role.arn,
            type="STANDARD",
            tags=naming.name_tag(env, "argocd-spoke-access"),
            opts=child,
        )
        admin = aws.eks.AccessPolicyAssociation(
            f"{name}-argocd-admin",
            cluster_name=cluster.cluster_name,
            principal_arn=entry.principal_arn,
            policy_arn=cluster_iam.access_policy_arn(cluster_iam.ADMIN_POLICY, partition),
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=child,
        )
        if args.hub_vpc_cidr is not None:
            # The private endpoint's ENIs carry pulumi-eks's cluster security group; the hub's Argo CD comes from its
            # VPC over the Transit Gateway or peering the fleet says exists (apiAccess: private).
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-hub-api-ingress",
                security_group_id=cluster.cluster_security_group_id,
                cidr_ipv4=args.hub_vpc_cidr,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="The fleet hub's Argo CD to this cluster's API",
                tags=naming.name_tag(env, "hub-api-ingress"),
                opts=child,
            )

        if args.registry_output is not None and args.registry_config is not None:
            self._registry(name, args, partition)

        annotations = pulumi.Output.all(
            dict(args.annotations) if isinstance(args.annotations, Mapping) else args.annotations,
            args.fleet_domain,
            args.registry_output,
        ).apply(lambda a: self._annotations(a[0], a[1], a[2], args.account, args.region))
        self.registration = pulumi.Output.all(
            server=cluster.endpoint,
            cluster_name=cluster.cluster_name,
            role_arn=self.role.arn,
            ca_data=cluster.eks.kubeconfig.apply(kubeconfig_ca_data),
            annotations=annotations,
            # Argo CD can reach the cluster only once the access entry maps the role.
            _ready=admin.id,
        ).apply(
            lambda r: {
                "name": r["cluster_name"],
                "server": r["server"],
                "clusterName": r["cluster_name"],
                "roleArn": r["role_arn"],
                "caData": r["ca_data"],
                "labels": {**args.labels, **fleet_labels(args.fleet, "spoke")},
                "annotations": r["annotations"],
            }
        )
        self.register_outputs({"roleArn": self.role.arn, "registration": self.registration})

    @staticmethod
    def _annotations(
        base: Mapping[str, str], fleet_domain: str | None, registry: Mapping[str, Any] | None, account: str, region: str
    ) -> dict[str, str]:
        out = dict(base)
        if fleet_domain:
            out[FLEET_DOMAIN_ANNOTATION] = fleet_domain
        if registry:
            out[IMAGE_REGISTRY_ANNOTATION] = image_registry(account, region, str(registry["prefix"]))
        return out

    def _registry(self, name: str, args: FleetSpokeArgs, partition: str) -> None:
        """The replicas' settings (ECR creates them on first replication) and, across accounts, the permission."""
        cfg = args.registry_config
        assert cfg is not None and args.registry_output is not None
        child = pulumi.ResourceOptions(parent=self)
        prefix = args.registry_output.apply(lambda r: str(r["prefix"]).rstrip("/"))
        aws.ecr.RepositoryCreationTemplate(
            f"{name}-replica-template",
            prefix=prefix,
            description=f"{naming.PROJECT}-{args.environment}: the fleet's images replicated from the global stack",
            applied_fors=["REPLICATION"],
            # As the source: a tag names one image forever, old releases expire.
            image_tag_mutability="IMMUTABLE",
            lifecycle_policy=json.dumps(
                data_iam.ecr_lifecycle_policy(cfg.keep_tagged_releases, cfg.expire_untagged_days)
            ),
            # ECR's own key: a customer managed key needs a custom role for ECR to create repositories with it.
            encryption_configurations=[
                aws.ecr.RepositoryCreationTemplateEncryptionConfigurationArgs(encryption_type="AES256")
            ],
            opts=child,
        )
        if args.cross_account_registry:
            aws.ecr.RegistryPolicy(
                f"{name}-replication-policy",
                policy=args.registry_output.apply(
                    lambda r: json.dumps(
                        fleet_iam.replication_registry_policy(
                            str(r["accountId"]), args.region, args.account, str(r["prefix"]), partition
                        )
                    )
                ),
                opts=child,
            )


# ------------------------------------------------------------------------------------------------ hub


@dataclass(frozen=True)
class ArgoCdHubRoleArgs:
    environment: str
    cluster: Any  # components.cluster.Cluster
    # Each spoke's cluster role ARN (from its registration): the management role may assume exactly these.
    spoke_role_arns: Sequence[pulumi.Input[str]]


class ArgoCdHubRole(pulumi.ComponentResource):
    """The hub's Argo CD management role, given to its controller, ApplicationSet controller and server through
    EKS Pod Identity. Declared before Argo CD: Pod Identity sets a pod's credentials when the pod is created."""

    role: aws.iam.Role
    associations: list[aws.eks.PodIdentityAssociation]

    def __init__(self, name: str, args: ArgoCdHubRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:fleet:ArgoCdHubRole", name, None, opts)
        env = args.environment
        cluster = args.cluster
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role",
            name=hub_role_name(env),  # fixed: the spokes trust it by name (components/config/fleet.py)
            assume_role_policy=cluster.arn.apply(
                lambda arn: json.dumps(
                    cluster_iam.pod_identity_trust_policy(arn, ARGOCD_NAMESPACE, ARGOCD_SERVICE_ACCOUNTS)
                )
            ),
            description=f"{naming.cluster_name(env)}: the fleet's Argo CD (management role)",
            tags=naming.name_tag(env, "argocd-hub-role"),
            opts=child,
        )
        if args.spoke_role_arns:
            aws.iam.RolePolicy(
                f"{name}-assume-spokes",
                role=self.role.id,
                policy=pulumi.Output.all(*args.spoke_role_arns).apply(
                    lambda arns: json.dumps(fleet_iam.hub_assume_spokes_policy(list(arns)))
                ),
                opts=child,
            )
        self.associations = [
            cluster.pod_identity_association(
                f"{name}-{sa}", namespace=ARGOCD_NAMESPACE, service_account=sa, role_arn=self.role.arn, opts=child
            )
            for sa in ARGOCD_SERVICE_ACCOUNTS
        ]
        self.register_outputs({"roleArn": self.role.arn})


@dataclass(frozen=True)
class SpokeRegistrationsArgs:
    k8s_provider: k8s.Provider
    # spoke stack -> its `argocdCluster` output (StackReference)
    registrations: Mapping[str, pulumi.Output[Any]]
    depends_on: Sequence[pulumi.Resource] = ()


class SpokeRegistrations(pulumi.ComponentResource):
    """One Argo CD cluster Secret per spoke in the hub's `argocd` namespace: the ApplicationSets' cluster generator
    then renders each spoke's applications from its labels and annotations."""

    secrets: dict[str, k8s.core.v1.Secret]

    def __init__(self, name: str, args: SpokeRegistrationsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:fleet:SpokeRegistrations", name, None, opts)
        on_hub = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, depends_on=list(args.depends_on))
        self.secrets = {}
        for spoke, registration in sorted(args.registrations.items()):
            secret = registration.apply(cluster_secret_for)
            self.secrets[spoke] = k8s.core.v1.Secret(
                f"{name}-{spoke}",
                metadata=secret.apply(lambda s: s["metadata"]),
                type="Opaque",
                string_data=secret.apply(lambda s: s["stringData"]),
                opts=on_hub,
            )
        self.register_outputs({"spokes": sorted(self.secrets)})
