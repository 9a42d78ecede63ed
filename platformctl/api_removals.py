"""Which built-in Kubernetes APIs a minor no longer serves, since when, and what replaces them.

`platformctl upgrade`'s pre-flight asks of every object (declared by the stack, rendered from a chart, or from
`platform/`): is its `apiVersion`/`kind` served by the target minor? Served means what `platformctl.kube_api` says a
live EKS cluster of that minor serves (its GA APIs). When it is not, this module names the minor that stopped serving
it and the API to use instead:

* `data/kubernetes-api-removals.json`: for every group/version/kind in the OpenAPI schemas kubernetes-validate ships
  per minor (1.25 and later), the first and last minor that define it (`python -m platformctl.api_removals --write`;
  a test keeps it current). An API whose last minor is before the target was removed in the minor after it.
* `EARLY_REMOVALS`: the APIs removed before 1.25 (older than those schemas), from the Kubernetes "Deprecated API
  Migration Guide" (kubernetes.io/docs/reference/using-api/deprecation-guide/, sections v1.16, v1.22, v1.25; read
  through copies of the page found by search).
* The replacement: the target's GA version of the same group and kind, else of the same kind in another built-in
  group (extensions/v1beta1 Ingress -> networking.k8s.io/v1), else none (PodSecurityPolicy: Pod Security Admission).

Custom resources (groups no built-in schema defines) are not judged here: their CRDs decide.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from platformctl import kube_api

DATA_FILE = Path(__file__).with_name("data") / "kubernetes-api-removals.json"

# apiVersion/Kind -> the minor that stopped serving it, for removals before the schemas begin (1.25).
EARLY_REMOVALS: dict[str, str] = {
    # v1.16
    **{f"extensions/v1beta1/{k}": "1.16" for k in ("DaemonSet", "Deployment", "ReplicaSet", "NetworkPolicy")},
    **{f"apps/v1beta1/{k}": "1.16" for k in ("Deployment", "StatefulSet", "ControllerRevision")},
    **{f"apps/v1beta2/{k}": "1.16" for k in ("DaemonSet", "Deployment", "ReplicaSet", "StatefulSet")},
    "extensions/v1beta1/PodSecurityPolicy": "1.16",
    # v1.22
    "admissionregistration.k8s.io/v1beta1/MutatingWebhookConfiguration": "1.22",
    "admissionregistration.k8s.io/v1beta1/ValidatingWebhookConfiguration": "1.22",
    "apiextensions.k8s.io/v1beta1/CustomResourceDefinition": "1.22",
    "apiregistration.k8s.io/v1beta1/APIService": "1.22",
    "authentication.k8s.io/v1beta1/TokenReview": "1.22",
    **{
        f"authorization.k8s.io/v1beta1/{k}": "1.22"
        for k in ("LocalSubjectAccessReview", "SelfSubjectAccessReview", "SubjectAccessReview")
    },
    "certificates.k8s.io/v1beta1/CertificateSigningRequest": "1.22",
    "coordination.k8s.io/v1beta1/Lease": "1.22",
    "extensions/v1beta1/Ingress": "1.22",
    "networking.k8s.io/v1beta1/Ingress": "1.22",
    "networking.k8s.io/v1beta1/IngressClass": "1.22",
    **{
        f"rbac.authorization.k8s.io/v1beta1/{k}": "1.22"
        for k in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
    },
    "scheduling.k8s.io/v1beta1/PriorityClass": "1.22",
    **{f"storage.k8s.io/v1beta1/{k}": "1.22" for k in ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment")},
    # v1.25
    "batch/v1beta1/CronJob": "1.25",
    "discovery.k8s.io/v1beta1/EndpointSlice": "1.25",
    "events.k8s.io/v1beta1/Event": "1.25",
    "autoscaling/v2beta1/HorizontalPodAutoscaler": "1.25",
    "policy/v1beta1/PodDisruptionBudget": "1.25",
    "policy/v1beta1/PodSecurityPolicy": "1.25",
    "node.k8s.io/v1beta1/RuntimeClass": "1.25",
}
# Kinds removed without a successor API, and what to use instead.
NO_REPLACEMENT = {"PodSecurityPolicy": "no replacement API: use Pod Security Admission (namespace labels)"}


def _minor_key(minor: str) -> tuple[int, int]:
    major, _, rest = minor.partition(".")
    return (int(major), int(rest))


def group_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


@cache
def _lifecycle() -> dict[str, list[str]]:
    return json.loads(DATA_FILE.read_text())["apis"]


@cache
def builtin_groups() -> frozenset[str]:
    """Every API group Kubernetes itself defines (any minor of the schemas, or an early removal)."""
    groups = {group_of(gvk.rsplit("/", 1)[0]) for gvk in _lifecycle()}
    groups |= {group_of(gvk.rsplit("/", 1)[0]) for gvk in EARLY_REMOVALS}
    return frozenset(groups)


def is_builtin(api_version: str) -> bool:
    return group_of(api_version) in builtin_groups()


@dataclass(frozen=True)
class NotServed:
    """A built-in API the target minor does not serve."""

    api_version: str
    kind: str
    target: str
    removed_in: str | None  # the minor that stopped serving it; None: never GA-served on EKS (beta/alpha, off)
    replacement: str | None  # the apiVersion to use instead, None when there is none

    @property
    def what(self) -> str:
        if self.removed_in:
            return f"{self.api_version} {self.kind}, removed in Kubernetes {self.removed_in}"
        return (
            f"{self.api_version} {self.kind}, not served by EKS {self.target} (not a GA API; betas are off by default)"
        )

    @property
    def fix(self) -> str:
        if self.replacement:
            return f"use {self.replacement}"
        return NO_REPLACEMENT.get(self.kind, "no replacement API in Kubernetes " + self.target)


def removed_in(api_version: str, kind: str, target: str) -> str | None:
    """The minor (<= target) that stopped serving `api_version`/`kind`, if it was ever served and then removed."""
    gvk = f"{api_version}/{kind}"
    if gvk in EARLY_REMOVALS:
        return EARLY_REMOVALS[gvk]
    span = _lifecycle().get(gvk)
    if span is None:
        return None
    _first, last = span
    major, minor = _minor_key(last)
    after = f"{major}.{minor + 1}"
    return after if _minor_key(after) <= _minor_key(target) else None


def replacement(api_version: str, kind: str, target: str) -> str | None:
    """The GA apiVersion serving `kind` in the target minor: same group first, else any built-in group."""
    served = kube_api.served(target)["kinds"]
    group = group_of(api_version)
    same_group = [k for k in served if k.endswith(f"/{kind}") and group_of(k.rsplit("/", 1)[0]) == group]
    if same_group:
        return sorted(same_group)[-1].rsplit("/", 1)[0]
    other = sorted(k for k in served if k.endswith(f"/{kind}"))
    return other[0].rsplit("/", 1)[0] if len(other) == 1 else None


def check(api_version: str, kind: str, target: str) -> NotServed | None:
    """None when the target minor serves it (or it is a custom resource: its CRD decides); else what and the fix."""
    if f"{api_version}/{kind}" in kube_api.served(target)["kinds"] or not is_builtin(api_version):
        return None
    return NotServed(
        api_version, kind, target, removed_in(api_version, kind, target), replacement(api_version, kind, target)
    )


# ------------------------------------------------------------------------------------------------ generation


def generate() -> dict[str, object]:
    """The data file's content, from kubernetes-validate's schemas (a development dependency)."""
    import kubernetes_validate

    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    minors = sorted(
        (m.group(1) for p in root.iterdir() if (m := re.fullmatch(r"v(\d+\.\d+)\.0-local", p.name))), key=_minor_key
    )
    spans: dict[str, list[str]] = {}
    for minor in minors:
        defs = json.loads((root / f"v{minor}.0-local" / "_definitions.json").read_text())["$defs"]
        for schema in defs.values():
            for gvk in schema.get("x-kubernetes-group-version-kind", []):
                kind = gvk["kind"]
                if kind.endswith("List") or kind in ("DeleteOptions", "Status", "WatchEvent", "APIResourceList"):
                    continue
                api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
                span = spans.setdefault(f"{api_version}/{kind}", [minor, minor])
                span[1] = minor
    return {"source": f"kubernetes-validate schemas v{minors[0]}..v{minors[-1]}", "apis": dict(sorted(spans.items()))}


def main(argv: list[str]) -> int:
    text = json.dumps(generate(), indent=1) + "\n"
    if "--write" in argv:
        DATA_FILE.write_text(text)
        print(f"wrote {DATA_FILE}")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
