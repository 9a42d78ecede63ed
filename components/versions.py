"""Every version this platform pins, in one visible place.

Bump a version here (and only here) in its own commit; `make test` and `platformctl plan` pick it up.
Kubernetes versions are the ones Amazon EKS supports (standard or extended support) for new clusters.
"""

from __future__ import annotations

# Kubernetes minor versions EKS supports for new clusters. The first entries are in extended support
# (paid); the config accepts them but the default and the stacks use a standard-support version.
KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35", "1.36")
DEFAULT_KUBERNETES_VERSION = "1.35"

# Helm charts Pulumi installs: key -> {"repo", "chart", "version"} (an exact chart version, never a range).
HELM_CHARTS: dict[str, dict[str, str]] = {
    # Argo CD v3.4 (argo-cd chart 9.5.x). Upgrade notes: https://argo-cd.readthedocs.io/en/stable/operator-manual/upgrading/
    "argo-cd": {"repo": "https://argoproj.github.io/argo-helm", "chart": "argo-cd", "version": "9.5.14"},
}

# PostgreSQL engine versions for platform:data.database, pinned exactly (minor included) and never upgraded behind
# Pulumi's back (auto minor upgrades are off). Each is a version RDS still offers for new databases; check with
# `aws rds describe-db-engine-versions --engine postgres` (or aurora-postgresql) before adding one.
POSTGRES_VERSIONS: tuple[str, ...] = ("14.20", "15.15", "16.11", "17.7", "18.1")
AURORA_POSTGRES_VERSIONS: tuple[str, ...] = ("14.19", "15.14", "16.10", "17.6")
DEFAULT_POSTGRES_VERSION = "17.7"
