"""`platform:gitops`: Argo CD bootstrap and the repository it syncs."""

from __future__ import annotations

from pydantic import Field

from ._base import Model


class GitOpsConfig(Model):
    enabled: bool = True
    repo_url: str = "https://github.com/example-org/eks-platform.git"
    revision: str = "main"
    path: str = "platform"
    extra: dict[str, str] = Field(default_factory=dict)
