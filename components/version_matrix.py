"""The version matrix: per supported Kubernetes minor, what the platform runs on it.

One row per minor of `versions.KUBERNETES_VERSIONS`, built only from the pins of `components/versions.py` (nothing is
pinned twice): the EKS managed add-on versions (`EKS_ADDON_VERSIONS`), the Karpenter release when that minor is within
the release's supported range (`KARPENTER_KUBERNETES_RANGE`) and the pinned AMI aliases whose release publishes AMIs
for it (`KARPENTER_AMI_RELEASES`), for each Helm chart the pinned versions whose `kubeVersion` admits it
(`CHART_KUBE_VERSIONS`, checked the way Helm does against the version EKS reports) and the images pinned per minor
(cluster-autoscaler's). `platformctl upgrade` reads it to say what moves with the minor and what blocks a target;
a test plans every row. Pure: no Pulumi.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from components import semver, versions

MINOR = re.compile(r"^1\.(\d+)$")


def minor_key(minor: str) -> tuple[int, int]:
    """`1.35` -> (1, 35); anything else sorts first."""
    major, _, rest = minor.partition(".")
    return (int(major), int(rest)) if major.isdigit() and rest.isdigit() else (0, 0)


def next_minor(minor: str) -> str:
    major, rest = minor_key(minor)
    return f"{major}.{rest + 1}"


def eks_server_version(minor: str) -> str:
    """The server version Helm sees on an EKS cluster of this minor (`v1.35.0-eks-...`: a prerelease in semver terms,
    which `>=1.25.0` rejects and `>=1.25.0-0` admits); the patch and build are unknown offline."""
    return f"v{minor}.0-eks-offline"


def chart_admits(constraint: str, minor: str) -> bool:
    """Whether a chart's `kubeVersion` constraint admits an EKS cluster of this minor (no constraint: every one)."""
    return not constraint.strip() or semver.is_compatible(constraint, eks_server_version(minor))


def karpenter_supports(minor: str) -> bool:
    low, high = versions.KARPENTER_KUBERNETES_RANGE
    return minor_key(low) <= minor_key(minor) <= minor_key(high)


@dataclass(frozen=True)
class MinorRow:
    minor: str
    eks_addons: dict[str, str] = field(default_factory=dict)  # add-on -> version ({} when the row is missing)
    karpenter: str | None = None  # the pinned Karpenter release, when it supports this minor
    ami_aliases: tuple[str, ...] = ()  # pinned AMI aliases whose release publishes AMIs for this minor
    charts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # chart key -> versions admitting this minor
    images: dict[str, str] = field(default_factory=dict)  # images pinned per minor (cluster-autoscaler)

    def problems(self) -> list[str]:
        """What this minor lacks: each a reason a stack on it could not run every catalog entry."""
        out = []
        if not self.eks_addons:
            out.append(f"no EKS add-on versions for {self.minor} (components/versions.py EKS_ADDON_VERSIONS)")
        if self.karpenter is None:
            low, high = versions.KARPENTER_KUBERNETES_RANGE
            release = versions.HELM_CHARTS["karpenter"]["version"]
            out.append(f"Karpenter {release} supports Kubernetes {low}-{high}, not {self.minor}")
        for key, admitted in self.charts.items():
            if not admitted:
                out.append(
                    f"chart {key} {versions.HELM_CHARTS[key]['version']}: kubeVersion "
                    f"{versions.CHART_KUBE_VERSIONS[key]!r} rejects Kubernetes {self.minor}"
                )
        if "cluster-autoscaler" not in self.images:
            out.append(f"no cluster-autoscaler image for {self.minor} (CLUSTER_AUTOSCALER_IMAGE_TAGS)")
        return out


def row(minor: str) -> MinorRow:
    charts = {
        key: ((pin["version"],) if chart_admits(versions.CHART_KUBE_VERSIONS.get(key, ""), minor) else ())
        for key, pin in versions.HELM_CHARTS.items()
    }
    images = {}
    if minor in versions.CLUSTER_AUTOSCALER_IMAGE_TAGS:
        images["cluster-autoscaler"] = versions.CLUSTER_AUTOSCALER_IMAGE_TAGS[minor]
    return MinorRow(
        minor=minor,
        eks_addons=dict(versions.EKS_ADDON_VERSIONS.get(minor, {})),
        karpenter=versions.HELM_CHARTS["karpenter"]["version"] if karpenter_supports(minor) else None,
        ami_aliases=tuple(a for a, minors in versions.KARPENTER_AMI_RELEASES.items() if minor in minors),
        charts=charts,
        images=images,
    )


@cache
def matrix() -> dict[str, MinorRow]:
    """Every supported minor's row, oldest first."""
    return {m: row(m) for m in sorted(versions.KUBERNETES_VERSIONS, key=minor_key)}


def supported(minor: str) -> bool:
    return minor in matrix()


def changes(old: str, new: str) -> dict[str, list[tuple[str, str, str]]]:
    """What moves from minor `old` to `new`, per layer: (name, from, to) for EKS add-ons, charts and images."""
    a, b = row(old), row(new)
    out: dict[str, list[tuple[str, str, str]]] = {"eks-addons": [], "charts": [], "images": []}
    for name in sorted(set(a.eks_addons) | set(b.eks_addons)):
        if a.eks_addons.get(name) != b.eks_addons.get(name):
            out["eks-addons"].append((name, a.eks_addons.get(name, "-"), b.eks_addons.get(name, "-")))
    for name in sorted(set(a.charts) | set(b.charts)):
        if a.charts.get(name) != b.charts.get(name):
            out["charts"].append(
                (name, ",".join(a.charts.get(name, ())) or "-", ",".join(b.charts.get(name, ())) or "-")
            )
    for name in sorted(set(a.images) | set(b.images)):
        if a.images.get(name) != b.images.get(name):
            out["images"].append((name, a.images.get(name, "-"), b.images.get(name, "-")))
    return out
