"""What an add-on is: one small, declarative spec. The component (`component.py`) turns specs into resources.

A spec is data plus pure functions of an `AddonContext` (plain strings, no Pulumi outputs), so values, IAM
documents and Pod Identity bindings are unit-tested without an engine. Adding an add-on: write a module in
`specs/` with a `SPEC`, register it in `catalog.py`, pin its version in `components/versions.py`, give it a
key in `components/config/addons.py`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from components import versions

Doc = dict[str, Any]
SYSTEM_CRITICAL = "system-cluster-critical"


@dataclass(frozen=True)
class Scheduling:
    """Where cluster-critical add-on pods go: the system node pool."""

    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, str], ...] = ()

    def pod(self) -> Doc:
        """`nodeSelector` + `tolerations`, the keys most charts (and EKS add-on schemas) use at pod level."""
        out: Doc = {}
        if self.node_selector:
            out["nodeSelector"] = dict(self.node_selector)
        if self.tolerations:
            out["tolerations"] = [dict(t) for t in self.tolerations]
        return out


@dataclass(frozen=True)
class AddonContext:
    """Everything a spec's builders may read, already resolved to plain values."""

    environment: str
    production: bool
    region: str
    partition: str
    account_id: str
    cluster_name: str
    kubernetes_version: str
    vpc_id: str
    settings: Any  # this add-on's settings model from platform:addons (components.config.addons)
    addons: Any = None  # the whole platform:addons section (AddonsConfig), for settings shared between add-ons
    enabled: frozenset[str] = frozenset()  # every enabled add-on of the stack
    system: Scheduling = field(default_factory=Scheduling)
    volume_kms_key_arn: str = ""  # the stack's KMS key (EBS volumes of the gp3 StorageClass)
    extra: Mapping[str, str] = field(default_factory=dict)  # outputs of the spec's own `provision` hook

    @property
    def cluster_arn(self) -> str:
        return f"arn:{self.partition}:eks:{self.region}:{self.account_id}:cluster/{self.cluster_name}"

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        """`arn:<partition>:<service>:<region>:<account>:<resource>` of this stack's account and region."""
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account_id if account else ''}:{resource}"
        )

    def log_group_arn(self, name: str) -> str:
        return self.arn("logs", f"log-group:{name}")


@dataclass(frozen=True)
class ServiceAccount:
    """The one Kubernetes service account an add-on's IAM role is bound to (Pod Identity)."""

    namespace: str
    name: str


@dataclass(frozen=True)
class AddonSpec:
    name: str  # catalog name, e.g. "external-dns" (config key: camelCase of it)
    description: str
    kind: Literal["eks", "helm"]  # EKS managed add-on (aws.eks.Addon) or a Helm chart
    namespace: str
    # Default toggle: (outside production, in production).
    default_on: tuple[bool, bool]
    # Values: Helm values, or an EKS add-on's configuration values ({} -> none), before config overrides.
    values: Callable[[AddonContext], Doc] = lambda ctx: {}
    # The IAM permissions policy of its role (None: needs no AWS access) and the service account it is bound to.
    policy: Callable[[AddonContext], Doc] | None = None
    service_account: ServiceAccount | None = None
    # Whether this stack's configuration needs the role at all (e.g. cert-manager without DNS zones: no).
    role_when: Callable[[Any], bool] = lambda addons: True
    # "system": cluster-critical pods pinned to the system pool; "any": wherever they fit (DaemonSets,
    # optional tools).
    node_pool: Literal["system", "any"] = "system"
    # Its pods must be schedulable to install (Deployments): wait for the system node group. DaemonSet-only
    # add-ons (kube-proxy, vpc-cni) become ready with zero nodes and install in parallel with the node groups.
    needs_nodes: bool = True
    # Nodes need it to become Ready: installed (with its role and Pod Identity association) before the node
    # groups, which wait for it (terraform-aws-eks's `before_compute`). Only DaemonSet add-ons (needs_nodes off).
    before_nodes: bool = False
    # Other add-ons it really needs installed first (and only if they are enabled: `optional_after`).
    depends_on: tuple[str, ...] = ()
    optional_after: tuple[str, ...] = ()
    # Helm only: "chart" (kubernetes.helm.v4.Chart: Pulumi renders it, CrossGuard sees every object) or
    # "release" (helm.v3.Release, for charts that rely on Helm hooks); a release needs `release_reason`.
    install_with: Literal["chart", "release"] = "chart"
    release_reason: str = ""
    # Helm only: a namespace this stack creates (PSA-labelled, default-deny NetworkPolicy) with the ports its
    # pods serve to the API server (webhooks, metrics APIs); None: an existing namespace (kube-system).
    own_namespace_ingress_ports: tuple[int, ...] | None = None
    # Its pods reach arbitrary ports (scrapers, scalers); otherwise HTTPS and the Pod Identity agent only.
    egress_any: bool = False
    # Pod Security level of that namespace; charts used here run restricted.
    pod_security: Literal["restricted", "baseline"] = "restricted"
    # CloudWatch log groups this stack creates for it (KMS-encrypted, with the configured retention).
    log_groups: Callable[[AddonContext], list[str]] = lambda ctx: []
    # A default is off unless the add-on is configured (e.g. external-dns without hosted zones).
    configured: Callable[[Any], bool] = lambda settings: True
    # Kubernetes objects declared after it is installed (e.g. cert-manager's ClusterIssuer): name -> object.
    after_install: Callable[[AddonContext], dict[str, Doc]] = lambda ctx: {}
    # Extra AWS resources it needs (e.g. Velero's bucket): called by the component, returns outputs by name
    # that land in `AddonContext.extra`. Import pulumi inside (specs must stay importable without it).
    provision: Callable[..., Mapping[str, Any]] | None = None

    def __post_init__(self) -> None:
        if self.install_with == "release" and not self.release_reason:
            raise ValueError(f"{self.name}: a helm.v3.Release needs a reason (release_reason)")
        if (self.policy is None) != (self.service_account is None):
            raise ValueError(f"{self.name}: policy and service_account go together")
        if self.before_nodes and self.needs_nodes:
            raise ValueError(f"{self.name}: an add-on installed before the node groups cannot wait for nodes")

    def has_role(self, addons: Any) -> bool:
        """Whether the add-on gets an IAM role (and Pod Identity) with this `platform:addons` section."""
        return self.policy is not None and self.role_when(addons)

    def chart(self) -> dict[str, str]:
        """{"repo", "chart", "version"} from components/versions.py (Helm add-ons)."""
        return versions.HELM_CHARTS[self.name]

    def version(self, kubernetes_version: str) -> str:
        """The pinned version: the EKS add-on version for that Kubernetes minor, or the chart version."""
        if self.kind == "eks":
            return versions.EKS_ADDON_VERSIONS[kubernetes_version][self.name]
        return self.chart()["version"]

    def build_values(self, ctx: AddonContext) -> Doc:
        """The catalog's values with the stack's `values` override deep-merged over them."""
        overrides = getattr(ctx.settings, "values", None) or {}
        return deep_merge(self.values(ctx), overrides)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> Doc:
    """Maps merge recursively; anything else in `override` (lists included) replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resources(cpu: str, memory: str, memory_limit: str | None = None) -> Doc:
    """Requests (cpu, memory) and a memory limit (default: twice the request); no CPU limit (throttling)."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit or _double(memory)}}


def _double(quantity: str) -> str:
    digits = "".join(c for c in quantity if c.isdigit())
    return f"{int(digits) * 2}{quantity[len(digits) :]}"


def system_pod(ctx: AddonContext) -> Doc:
    """Scheduling of a cluster-critical pod: system pool + system-cluster-critical priority."""
    return {**ctx.system.pod(), "priorityClassName": SYSTEM_CRITICAL}
