"""Resource naming: one place, pure functions."""

from __future__ import annotations

PROJECT = "eks-platform"


def prefix(environment: str) -> str:
    """Logical-name prefix of every resource of a stack, e.g. `prod`."""
    return environment


def cluster_name(environment: str) -> str:
    """The EKS cluster's physical name: also the `karpenter.sh/discovery` tag value."""
    return f"{PROJECT}-{environment}"


def name_tag(environment: str, what: str) -> dict[str, str]:
    return {"Name": f"{PROJECT}-{environment}-{what}"}


def secrets_path_prefix(environment: str, configured: str | None = None) -> str:
    """The Secrets Manager / SSM path prefix a stack's workloads read (`platform:addons.externalSecrets.pathPrefix`,
    default `eks-platform/<environment>/`)."""
    return configured or f"{PROJECT}/{environment}/"
