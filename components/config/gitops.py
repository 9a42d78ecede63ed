"""`platform:gitops`: Argo CD bootstrap and the repository it syncs.

Pulumi installs Argo CD, the root "app of apps" Application (this repository, `path` at `revision`) and the GitOps
Bridge cluster Secret; everything under `platform/` is then Argo CD's (see docs/gitops.md).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ._base import Model

# Add-ons Argo CD installs itself (one ApplicationSet each under platform/bootstrap/addons/, selected by the cluster
# Secret label `enable_<name with _>: "true"`). The cluster add-ons that need AWS IAM are Pulumi's
# (`platform:addons`), not listed here.
GITOPS_ADDONS = ("argo-rollouts",)

HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?(/[\w.~%-]+)+/?$")
ISSUER_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?(/[\w.~%-]+)*/?$")
# git@github.com:org/repo.git (scp-like) or ssh://git@host[:port]/org/repo.git
SSH_URL = re.compile(r"^(ssh://[\w.-]+@[A-Za-z0-9.-]+(:\d+)?/|[\w.-]+@[A-Za-z0-9.-]+:)[\w.~/-]+$")
# A branch, tag or commit: git's ref-name rules, simplified (no spaces, no "..", no leading "-" or "/").
REVISION = re.compile(r"^(?!-)(?!/)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}(?<!/)(?<!\.lock)$")
DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
GROUP = re.compile(r"^[^\s,]{1,256}$")


def is_ssh_url(url: str) -> bool:
    return bool(SSH_URL.match(url))


class Sso(Model):
    """OIDC single sign-on for Argo CD (no Dex). Setting it disables the local admin user."""

    # Shown on the login button.
    name: Annotated[str, Field(min_length=1, max_length=40)] = "SSO"
    # The OIDC issuer's https:// URL (e.g. your IdP's).
    issuer: str
    # The OIDC client ID registered for Argo CD.
    client_id: Annotated[str, Field(min_length=1, max_length=256)]
    # Groups (the token's `groups` claim) mapped to Argo CD's built-in roles.
    admin_groups: Annotated[list[str], Field(min_length=1)]
    # IdP groups that get Argo CD's read-only role.
    read_only_groups: list[str] = Field(default_factory=list)

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, v: str) -> str:
        if not ISSUER_URL.match(v):
            raise ValueError("must be the https:// URL of the OIDC issuer")
        return v

    @field_validator("admin_groups", "read_only_groups")
    @classmethod
    def _groups(cls, v: list[str]) -> list[str]:
        for group in v:
            if not GROUP.match(group):
                raise ValueError(f"{group!r} is not a group name (no spaces or commas)")
        return v


class GitOpsConfig(Model):
    # Argo CD, bootstrapped with an app-of-apps Application on platform/ (GitOps Bridge metadata in its cluster
    # Secret).
    enabled: bool = True
    # The repository Argo CD syncs (this one): https://host/org/repo(.git) or git@host:org/repo.git.
    repo_url: str = "https://github.com/example-org/eks-platform.git"
    # Username sent with platform:gitopsRepoToken for an https repoUrl (GitHub/GitLab accept any non-empty name
    # with a token). For an ssh repoUrl the secret holds the private key and this is unused.
    repo_username: Annotated[str, Field(min_length=1, max_length=100)] = "git"
    # Branch, tag or commit of repoUrl this environment follows (dev: main, prod: a release branch or tag).
    revision: str = "main"
    # Directory of the root Application; its kustomization.yaml lists the bootstrap objects.
    path: str = "platform"
    # The environment's public DNS zone: Argo CD is argocd.<domain>, the reference app app.<domain>.
    domain: str | None = None
    # Argo CD high availability (replicas, Redis HA, disruption budgets); default: on in production.
    ha: bool | None = None
    sso: Sso | None = None
    # GitOps-managed add-ons to switch on for this cluster (label enable_<name>).
    addons: list[Literal[GITOPS_ADDONS]] = Field(default_factory=list)  # type: ignore[valid-type]

    @field_validator("repo_url")
    @classmethod
    def _repo_url(cls, v: str) -> str:
        if not (HTTPS_URL.match(v) or SSH_URL.match(v)):
            raise ValueError("must be an https:// URL or an ssh URL (git@host:org/repo.git or ssh://git@host/org/repo)")
        return v

    @field_validator("revision")
    @classmethod
    def _revision(cls, v: str) -> str:
        if not REVISION.match(v):
            raise ValueError("must be a git branch, tag or commit (no spaces or '..')")
        return v

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        parts = v.split("/")
        if not v or v.startswith("/") or v.endswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError("must be a relative directory of the repository like platform (no leading /, no ..)")
        return v

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str | None) -> str | None:
        if v is not None and not DNS_NAME.match(v):
            raise ValueError("must be a lowercase DNS name like dev.example.com")
        return v

    @field_validator("addons")
    @classmethod
    def _unique_addons(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("lists an add-on twice")
        return v

    @model_validator(mode="after")
    def _domain_when_enabled(self) -> GitOpsConfig:
        if self.enabled and self.domain is None:
            raise ValueError(
                "domain is required while enabled is true (the cluster Secret hands it to platform/ as the "
                "`domain` annotation)"
            )
        return self

    def high_availability(self, production: bool) -> bool:
        """`ha` when set, else on exactly in production."""
        return production if self.ha is None else self.ha
