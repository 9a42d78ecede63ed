"""`platform:cluster`: the EKS control plane.

Fixed by design (not configurable): authentication mode API (access entries, no aws-auth ConfigMap),
private endpoint on, secrets envelope encryption with a dedicated KMS key, an OIDC provider (IRSA) and the EKS
Pod Identity agent. Control-plane log types default to all five; fewer are accepted here and reported by the
`eks-control-plane-logging` policy on the aws:eks/cluster:Cluster (mandatory in prod, advisory in dev).
Cross-field rules live in `checks._cluster`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from components.versions import DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSIONS

from ._base import Model

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
NAMESPACE = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]


def role_arn(value: str) -> str:
    if not ROLE_ARN.match(value):
        raise ValueError("must be an IAM role ARN like arn:aws:iam::123456789012:role/Name")
    return value


class Endpoint(Model):
    # Private access is always on: nodes and add-ons talk to the API server inside the VPC.
    public_access: bool = False
    # With publicAccess: the CIDRs allowed to reach the public endpoint (never 0.0.0.0/0 in production).
    public_access_cidrs: list[str] = Field(default_factory=list)

    @field_validator("public_access_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        out = []
        for c in v:
            try:
                out.append(str(ipaddress.ip_network(c, strict=True)))
            except ValueError as exc:
                raise ValueError(f"not a valid CIDR: {exc}") from None
        return out


class TeamAccess(Model):
    """A team's IAM role: `edit` (AmazonEKSEditPolicy) in the team's namespaces only."""

    # The team's name: its Kubernetes group is team:<name> (platform/teams binds it in its namespaces).
    name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=40)]
    # The team's IAM role: an EKS access entry with AmazonEKSEditPolicy scoped to its namespaces.
    role_arn: str
    # The team's namespaces (several allowed; never a reserved or another team's namespace).
    namespaces: Annotated[list[Annotated[str, Field(pattern=NAMESPACE, max_length=63)]], Field(min_length=1)]

    _role = field_validator("role_arn")(classmethod(lambda cls, v: role_arn(v)))


class Access(Model):
    """Who may use the Kubernetes API: one EKS access entry per IAM role (authentication mode API)."""

    # Cluster-wide AmazonEKSClusterAdminPolicy.
    admin_role_arns: list[str] = Field(default_factory=list)
    # Cluster-wide AmazonEKSViewPolicy (no Secrets).
    read_only_role_arns: list[str] = Field(default_factory=list)
    teams: list[TeamAccess] = Field(default_factory=list)
    # EKS's implicit "cluster creator is admin" is always turned off. With this on, the identity running
    # `pulumi up` instead gets an explicit, visible admin access entry: the platform's in-cluster resources
    # (Karpenter, add-ons, GitOps) are applied with it. Turn it off only if that role is in adminRoleArns.
    deployer_admin: bool = True

    @field_validator("admin_role_arns", "read_only_role_arns")
    @classmethod
    def _arns(cls, v: list[str]) -> list[str]:
        return [role_arn(a) for a in v]


Minor = Literal[KUBERNETES_VERSIONS]  # type: ignore[valid-type]


class DataPlane(Model):
    """The layers still at the previous Kubernetes minor while `platformctl upgrade` moves a stack one minor up, one
    stage (and one commit) at a time; a layer left out runs the control plane's `version`. Written and removed by
    `platformctl upgrade`; each is `version` or one minor below it (cross-field rules: `checks._data_plane`).

    Like pulumi-eks's managed node groups, which take their own `version` (else the cluster's), so the control plane
    and the nodes can be upgraded separately."""

    # EKS managed add-ons (components/versions.py EKS_ADDON_VERSIONS row of this minor), the Pod Identity agent too.
    addons: Minor | None = None
    # In-cluster pins that follow the minor: per-minor chart versions and images (cluster-autoscaler) and the Pod
    # Security version labels of the namespaces Pulumi creates.
    charts: Minor | None = None
    # Managed node group (platform:nodePools name) -> its Kubernetes minor (the EKS node group's `version`).
    node_groups: dict[str, Minor] = Field(default_factory=dict)
    # Karpenter's nodes: while set, every NodePool gets a `Drifted` disruption budget of 0 nodes, so the nodes it
    # launched stay until the last stage (Karpenter resolves its AMI alias for the control plane's minor: without the
    # hold its nodes would drift right after the control plane).
    karpenter: Minor | None = None


class ClusterConfig(Model):
    # Kubernetes minor version of the control plane (one EKS supports; quote it: "1.35"); every layer's too, unless
    # `dataPlane` holds one back during `platformctl upgrade`.
    version: Minor = DEFAULT_KUBERNETES_VERSION
    endpoint: Endpoint = Field(default_factory=Endpoint)
    # EKS deletion protection: the cluster cannot be deleted until it is turned off (required in production).
    deletion_protection: bool = False
    # Days the control-plane logs (KMS-encrypted) are kept.
    log_retention_days: Literal[
        7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
    ] = 30
    # Control-plane log types sent to CloudWatch. Fewer than all five are accepted here and reported on the
    # aws:eks/cluster:Cluster by the eks-control-plane-logging policy (mandatory in prod).
    control_plane_log_types: list[LogType] = Field(default_factory=lambda: list(CONTROL_PLANE_LOG_TYPES))
    # The range Kubernetes Services get their cluster IPs from (must not overlap the VPC).
    service_ipv4_cidr: str = "172.20.0.0/16"
    # STANDARD: when the version leaves standard support EKS upgrades the cluster. EXTENDED keeps it on paid
    # extended support (pulumi-eks's default, hence set explicitly).
    upgrade_policy: Literal["STANDARD", "EXTENDED"] = "STANDARD"
    access: Access = Field(default_factory=Access)
    # Layers held at the previous minor while `platformctl upgrade` runs (written and removed by it).
    data_plane: DataPlane = Field(default_factory=DataPlane)

    @property
    def addons_version(self) -> str:
        """The minor whose EKS add-on versions the stack runs."""
        return self.data_plane.addons or self.version

    @property
    def charts_version(self) -> str:
        """The minor of the in-cluster pins that follow it (chart versions and images, Pod Security labels)."""
        return self.data_plane.charts or self.version

    @property
    def karpenter_version(self) -> str:
        return self.data_plane.karpenter or self.version

    def node_group_version(self, pool: str) -> str:
        """The Kubernetes minor of one managed node group."""
        return self.data_plane.node_groups.get(pool) or self.version

    @field_validator("control_plane_log_types")
    @classmethod
    def _log_types(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("lists a log type twice")
        return v

    @field_validator("service_ipv4_cidr")
    @classmethod
    def _service_cidr(cls, v: str) -> str:
        try:
            return str(ipaddress.ip_network(v, strict=True))
        except ValueError as exc:
            raise ValueError(f"not a valid CIDR: {exc}") from None
