"""Every version this platform pins, in one visible place.

Bump a version here (and only here) in its own commit; `make test` and `platformctl plan` pick it up.
Kubernetes versions are the ones Amazon EKS supports (standard or extended support) for new clusters.
"""

from __future__ import annotations

# Kubernetes minor versions EKS supports for new clusters. The first entries are in extended support
# (paid); the config accepts them but the default and the stacks use a standard-support version.
KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35", "1.36")
DEFAULT_KUBERNETES_VERSION = "1.35"
