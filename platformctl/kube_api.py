"""What a live EKS cluster of a given Kubernetes minor serves: API versions, kinds and their scope.

Used where the offline engine must answer as the cluster would: Helm's capabilities (`.Capabilities.APIVersions`,
which Chart v4 fills from the cluster's discovery) and the namespace a rendered object lands in (Chart v4 sets the
release namespace on namespaced kinds only).

`data/kubernetes-api.json` holds, per supported minor, the GA group/versions and their kinds (`group/version` and
`group/version/Kind`, the entries Helm's `action.GetVersionSet` builds from discovery). It is generated from the
OpenAPI schemas that kubernetes-validate ships per minor (`python -m platformctl.kube_api --write`), and a test
keeps it current. Alpha and beta APIs are left out: since Kubernetes 1.24 new beta APIs are off by default and EKS
does not turn them on. Kinds' scopes (namespaced or cluster-wide) are not in the OpenAPI documents; they are
listed here (`kubectl api-resources`), and the test fails when a served kind has no scope.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "kubernetes-api.json"

# Kinds that are not resources (request/response bodies of the API machinery), never in discovery's resource lists.
_NOT_RESOURCES = {"APIGroup", "APIGroupList", "APIResourceList", "APIVersions", "DeleteOptions", "Status", "WatchEvent"}
# admission.k8s.io only defines the webhook request body (AdmissionReview): nothing is served.
_NOT_SERVED_GROUPS = {"admission.k8s.io"}

# Scope of every built-in kind served by a supported minor (`kubectl api-resources --namespaced=true|false`).
NAMESPACED_KINDS = frozenset(
    {
        "Binding",
        "ConfigMap",
        "ControllerRevision",
        "CronJob",
        "CSIStorageCapacity",
        "DaemonSet",
        "Deployment",
        "Endpoints",
        "EndpointSlice",
        "Event",
        "Eviction",
        "HorizontalPodAutoscaler",
        "Ingress",
        "Job",
        "Lease",
        "LimitRange",
        "LocalSubjectAccessReview",
        "NetworkPolicy",
        "PersistentVolumeClaim",
        "Pod",
        "PodCertificateRequest",
        "PodDisruptionBudget",
        "PodTemplate",
        "ReplicaSet",
        "ReplicationController",
        "ResourceClaim",
        "ResourceClaimTemplate",
        "ResourceQuota",
        "Role",
        "RoleBinding",
        "Scale",
        "Secret",
        "Service",
        "ServiceAccount",
        "StatefulSet",
        "TokenRequest",
    }
)
CLUSTER_KINDS = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterTrustBundle",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "DeviceClass",
        "DeviceTaintRule",
        "FlowSchema",
        "IngressClass",
        "IPAddress",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "ResourceSlice",
        "RuntimeClass",
        "SelfSubjectAccessReview",
        "SelfSubjectReview",
        "SelfSubjectRulesReview",
        "ServiceCIDR",
        "StorageClass",
        "StorageVersionMigration",
        "SubjectAccessReview",
        "TokenReview",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeAttributesClass",
    }
)


def _api_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


@cache
def _data() -> dict[str, dict[str, list[str]]]:
    return json.loads(DATA_FILE.read_text())


def supported_minors() -> list[str]:
    return sorted(_data(), key=lambda m: tuple(int(p) for p in m.split(".")))


def served(minor: str) -> dict[str, list[str]]:
    """{"groupVersions": [...], "kinds": ["apps/v1/Deployment", ...]} for a minor ("1.35"), or KeyError."""
    return _data()[minor]


def version_set(minor: str) -> list[str]:
    """Helm's VersionSet as discovery builds it for a live cluster of this minor (built-in APIs only)."""
    entry = served(minor)
    return [*entry["groupVersions"], *entry["kinds"]]


def is_namespaced_builtin(api_version: str, kind: str, minor: str) -> bool | None:
    """True/False for a built-in kind this minor serves at that API version; None when it is not one."""
    if f"{api_version}/{kind}" not in served(minor)["kinds"]:
        return None
    if kind in NAMESPACED_KINDS:
        return True
    if kind in CLUSTER_KINDS:
        return False
    return None


# ------------------------------------------------------------------------------------------------ generation


def generate(minors: list[str]) -> dict[str, dict[str, list[str]]]:
    """The data file's content, from kubernetes-validate's schemas (a development dependency)."""
    import kubernetes_validate

    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    out: dict[str, dict[str, list[str]]] = {}
    for minor in minors:
        defs = json.loads((root / f"v{minor}.0-local" / "_definitions.json").read_text())["$defs"]
        kinds: set[str] = set()
        versions: set[str] = set()
        for schema in defs.values():
            for gvk in schema.get("x-kubernetes-group-version-kind", []):
                group, version, kind = gvk["group"], gvk["version"], gvk["kind"]
                if not re.fullmatch(r"v\d+", version) or group in _NOT_SERVED_GROUPS:
                    continue
                if kind.endswith("List") or kind in _NOT_RESOURCES:
                    continue
                versions.add(_api_version(group, version))
                kinds.add(f"{_api_version(group, version)}/{kind}")
        out[minor] = {"groupVersions": sorted(versions), "kinds": sorted(kinds)}
    return out


def main(argv: list[str]) -> int:
    from components.versions import KUBERNETES_VERSIONS

    doc = generate(list(KUBERNETES_VERSIONS))
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    if "--write" in argv:
        DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
        DATA_FILE.write_text(text)
        print(f"wrote {DATA_FILE}")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
