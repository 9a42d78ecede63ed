"""Kubernetes workload rules besides the Pod Security Standards, as pure functions over object dicts.

Every rule returns `Violation` records (check ID, message saying what to set, path from the object's root),
the same record `policies.rules.pss` uses, so the CrossGuard pack and `platformctl policy` report them alike.
Objects are read as the Pulumi engine shows them: camelCase keys as in Kubernetes JSON, fields possibly
missing or None (a value still unknown during preview reads as missing, and rules skip what they cannot see
rather than guess).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.rules.pss import LEVELS, OLDEST_MINOR, VERSIONS, Violation, pod_templates

# ----------------------------------------------------------------------------------------------- helpers


def _get(obj: Any, *keys: str) -> Any:
    """obj[k1][k2]..., or None; any Mapping/Sequence counts (the CrossGuard SDK passes read-only proxies)."""
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _dict(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _list(value: Any) -> Sequence:
    return value if _is_list(value) else []


def _set(value: Any) -> bool:
    """A quantity/string field counts as set when present and non-empty."""
    return value is not None and value != ""


def _kind(obj: dict) -> str | None:
    return _get(obj, "kind")


def _namespace_of(obj: dict) -> str:
    """The namespace a namespaced object lands in; Kubernetes (and the Pulumi provider) default to "default"."""
    return _get(obj, "metadata", "namespace") or "default"


def _label_path(key: str) -> str:
    return f'metadata.labels["{key}"]'


def _annotation_path(key: str) -> str:
    return f'metadata.annotations["{key}"]'


_CONTAINER_LISTS = (("initContainers", "init container"), ("containers", "container"))


def _containers(spec: dict, *, ephemeral: bool) -> list[tuple[str, str, dict]]:
    """(who, path relative to the pod, container) for init and regular (and, if asked, ephemeral) containers."""
    lists = (*_CONTAINER_LISTS, ("ephemeralContainers", "ephemeral container")) if ephemeral else _CONTAINER_LISTS
    found = []
    for field, label in lists:
        for i, container in enumerate(_list(spec.get(field))):
            if isinstance(container, Mapping):
                found.append((f'{label} "{container.get("name") or f"#{i}"}"', f"spec.{field}[{i}]", container))
    return found


# ------------------------------------------------------------------------------- namespace PSA labels

PSA_LABEL_PREFIX = "pod-security.kubernetes.io/"
ENFORCE_LABEL = PSA_LABEL_PREFIX + "enforce"
ENFORCE_VERSION_LABEL = PSA_LABEL_PREFIX + "enforce-version"
AUDIT_LABEL = PSA_LABEL_PREFIX + "audit"
WARN_LABEL = PSA_LABEL_PREFIX + "warn"

# check IDs: only the first is a must; the others say what a well-labelled namespace also carries.
PSA_ENFORCE = "namespace-psa-enforce"
PSA_ENFORCE_VERSION = "namespace-psa-enforce-version"
PSA_AUDIT = "namespace-psa-audit"
PSA_WARN = "namespace-psa-warn"
PSA_REQUIRED_CHECKS = frozenset({PSA_ENFORCE})


# Kubernetes' api.ParseVersion: "latest" or "v1.<minor>", nothing else.
_LABEL_VERSION = re.compile(r"^v1\.(0|[1-9][0-9]*)$")


def _version_problem(value: Any) -> str | None:
    """Why `value` is not a usable PSS version label, or None."""
    if value == "latest":
        return None
    match = _LABEL_VERSION.match(value) if isinstance(value, str) else None
    if not match:
        return f'must be "latest" or "v1.<minor>" (got {json.dumps(value)}); Kubernetes reads it as latest'
    if int(match.group(1)) < OLDEST_MINOR:
        return f"{value} is older than the oldest version this policy implements, {VERSIONS[0]}"
    return None


def namespace_psa_labels(ns_obj: dict) -> list[Violation]:
    """A Namespace must carry `pod-security.kubernetes.io/enforce` with a valid level; it should also pin
    `enforce-version` and carry `audit` and `warn`. Check `namespace-psa-enforce` is the must
    (PSA_REQUIRED_CHECKS); the other checks are recommendations a pack may report as advisory.
    Objects other than Namespaces -> [].
    """
    if _kind(ns_obj) != "Namespace":
        return []
    name = _get(ns_obj, "metadata", "name") or "<unnamed>"
    labels = _dict(_get(ns_obj, "metadata", "labels"))
    levels = "|".join(LEVELS)
    found: list[Violation] = []

    enforce = labels.get(ENFORCE_LABEL)
    if enforce is None:
        found.append(
            Violation(
                PSA_ENFORCE,
                f'Namespace "{name}": set label {ENFORCE_LABEL} to {levels} (e.g. "restricted"); '
                "without it the cluster default applies to every pod in it",
                _label_path(ENFORCE_LABEL),
            )
        )
    elif enforce not in LEVELS:
        found.append(
            Violation(
                PSA_ENFORCE,
                f'Namespace "{name}": label {ENFORCE_LABEL} must be {levels} (got {json.dumps(enforce)}); '
                "Kubernetes treats an invalid level as restricted",
                _label_path(ENFORCE_LABEL),
            )
        )

    version = labels.get(ENFORCE_VERSION_LABEL)
    if version is None:
        found.append(
            Violation(
                PSA_ENFORCE_VERSION,
                f'Namespace "{name}": set label {ENFORCE_VERSION_LABEL} to the policy version to pin '
                f'(e.g. "{VERSIONS[-1]}", or "latest"), so a cluster upgrade does not change what is admitted',
                _label_path(ENFORCE_VERSION_LABEL),
            )
        )
    elif problem := _version_problem(version):
        found.append(
            Violation(
                PSA_ENFORCE_VERSION,
                f'Namespace "{name}": label {ENFORCE_VERSION_LABEL} {problem} '
                f"(supported: {VERSIONS[0]}..{VERSIONS[-1]}, or latest)",
                _label_path(ENFORCE_VERSION_LABEL),
            )
        )

    for label, check in ((AUDIT_LABEL, PSA_AUDIT), (WARN_LABEL, PSA_WARN)):
        value = labels.get(label)
        suggestion = f"e.g. {json.dumps(enforce if enforce in LEVELS else 'restricted')}"
        if value is None:
            found.append(
                Violation(
                    check,
                    f'Namespace "{name}": set label {label} to {levels} ({suggestion}) so violations are reported '
                    "before they are enforced",
                    _label_path(label),
                )
            )
        elif value not in LEVELS:
            found.append(
                Violation(
                    check,
                    f'Namespace "{name}": label {label} must be {levels} (got {json.dumps(value)})',
                    _label_path(label),
                )
            )
        version_label = f"{label}-version"
        if (version := labels.get(version_label)) is not None and (problem := _version_problem(version)):
            found.append(
                Violation(check, f'Namespace "{name}": label {version_label} {problem}', _label_path(version_label))
            )
    return found


# ------------------------------------------------------------------------------------------ resources

RESOURCES_SET = "resources-set"
_REQUIRED_RESOURCES = (
    ("requests", "cpu", '"100m"'),
    ("requests", "memory", '"128Mi"'),
    ("limits", "memory", '"256Mi"'),
)


def resources_set(obj: dict) -> list[Violation]:
    """Every init and regular container of every pod template sets requests.cpu, requests.memory, limits.memory.

    A request left out but covered by the matching limit counts as set (the API server defaults a missing
    request to the limit), and so does a value set in pod-level `spec.resources`. Ephemeral containers
    cannot carry resources and are not checked.
    """
    found = []
    for prefix, _meta, spec in pod_templates(obj):
        pod_resources = _dict(spec.get("resources"))
        for who, path, container in _containers(spec, ephemeral=False):
            resources = _dict(container.get("resources"))
            for group, resource, example in _REQUIRED_RESOURCES:
                value = _get(resources, group, resource)
                if not _set(value) and group == "requests":
                    value = _get(resources, "limits", resource)  # defaulted from the limit
                if not _set(value):
                    value = _get(pod_resources, group, resource)
                if not _set(value):
                    found.append(
                        Violation(
                            RESOURCES_SET,
                            f"{who}: resources.{group}.{resource} must be set (e.g. {example})",
                            f"{prefix}{path}.resources.{group}.{resource}",
                        )
                    )
    return found


# ----------------------------------------------------------------------------------------- images

IMAGE_PINNED = "image-pinned"
IMAGE_REGISTRY = "image-registry"


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference: registry host (None when implied), repository path, tag, digest."""

    registry: str | None
    repository: str
    tag: str | None
    digest: str | None

    @property
    def canonical(self) -> str:
        """The fully qualified name as a container runtime resolves it ("nginx" -> "docker.io/library/nginx")."""
        registry = self.registry or "docker.io"
        repository = self.repository
        if self.registry is None and "/" not in repository:
            repository = f"library/{repository}"
        ref = f"{registry}/{repository}"
        if self.tag:
            ref += f":{self.tag}"
        if self.digest:
            ref += f"@{self.digest}"
        return ref


def parse_image(image: str) -> ImageRef:
    """Split an image reference the way the Docker reference grammar does."""
    name, _, digest = image.partition("@")
    first, slash, rest = name.partition("/")
    # The first component is a registry host only if it looks like one (has "." or ":", or is localhost).
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = None, name
    last_slash = path.rfind("/")
    repository, colon, tag = path.rpartition(":") if ":" in path[last_slash + 1 :] else (path, "", "")
    return ImageRef(registry, repository, tag if colon else None, digest or None)


# The reference grammar of distribution/reference (regexp.go): [host[:port]/]path[:tag][@digest].
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"^(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*(?::[\w][\w.-]{{0,127}})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$"
)


def valid_reference(image: str) -> bool:
    return len(image) <= 4096 and _REFERENCE.match(image) is not None


@dataclass(frozen=True)
class RegistryRule:
    """An allowed-registries entry: a registry host (a `*` label matches exactly one DNS label) and an optional
    repository path prefix, matched on path segments: `ghcr.io/acme` allows `ghcr.io/acme/app`, not
    `ghcr.io/acme-evil/app`."""

    host: str
    path: str

    def allows(self, ref: ImageRef) -> bool:
        host = (ref.registry or "docker.io").lower()
        if host in ("index.docker.io", "registry-1.docker.io"):
            host = "docker.io"
        rule_labels, labels = self.host.split("."), host.split(".")
        if len(rule_labels) != len(labels):
            return False
        if not all((r == "*" and ":" not in h) or r == h for r, h in zip(rule_labels, labels, strict=True)):
            return False
        repository = ref.repository
        if ref.registry is None and "/" not in repository:
            repository = f"library/{repository}"  # Docker Hub's official images
        return not self.path or repository == self.path or repository.startswith(self.path + "/")

    def __str__(self) -> str:
        return self.host + ("/" + self.path if self.path else "")


# host[:port][/path]: DNS labels (or `*` for one label), no trailing dot, lower case.
_LABEL = r"(\*|[a-z0-9]([a-z0-9-]*[a-z0-9])?)"
_REGISTRY_ENTRY = re.compile(rf"^{_LABEL}(\.{_LABEL})*(:[0-9]+)?(/.*)?$")
REGISTRY_ENTRY_PATTERN = _REGISTRY_ENTRY.pattern


def registry_rule(entry: str) -> RegistryRule:
    """Parse an allowed-registries entry (`public.ecr.aws/`, `602401143452.dkr.ecr.*.amazonaws.com`,
    `ghcr.io/acme`); ValueError when it is not a host - the old string-prefix form `602401143452.dkr.ecr.`
    admitted `602401143452.dkr.ecr.attacker.example` and is refused."""
    text = entry.strip()
    if not _REGISTRY_ENTRY.match(text):
        raise ValueError(
            f"{json.dumps(entry)} is not a registry host: give host[:port][/path], where a `*` label matches one "
            "DNS label (e.g. 602401143452.dkr.ecr.*.amazonaws.com)"
        )
    host, _, path = text.partition("/")
    return RegistryRule(host, path.strip("/"))


def image_pinned(obj: dict, allowed_registries: list[str] | None = None) -> list[Violation]:
    """Every container image (init, regular, ephemeral) is a valid reference and pinned: a digest
    (`@sha256:...`), or else an explicit tag other than `latest`. With `allowed_registries` (entries such as
    "public.ecr.aws/", "602401143452.dkr.ecr.*.amazonaws.com", "registry.k8s.io/", "ghcr.io/acme"), the image's
    parsed registry host must match an entry's host and its repository the entry's path, if any - compared as
    parsed references, never as string prefixes. An image without a registry host is Docker Hub's
    ("nginx:1.27" is docker.io/library/nginx:1.27). Images not known yet (None during preview) are skipped.
    """
    rules = [registry_rule(p) for p in (allowed_registries or []) if p]
    found = []
    for prefix, _meta, spec in pod_templates(obj):
        for who, path, container in _containers(spec, ephemeral=True):
            image = container.get("image")
            if not isinstance(image, str):
                continue
            field = f"{prefix}{path}.image"
            stripped = image.strip()
            if not valid_reference(stripped):
                found.append(
                    Violation(
                        IMAGE_PINNED,
                        f"{who}: image {_shown(image)} is not a valid image reference "
                        "([registry/]repository[:tag][@digest])",
                        field,
                    )
                )
                continue
            ref = parse_image(stripped)
            if ref.digest is None:
                if ref.tag is None:
                    found.append(
                        Violation(
                            IMAGE_PINNED,
                            f"{who}: image {_shown(image)} has no tag (it means :latest); pin a version tag "
                            "or a digest (@sha256:...)",
                            field,
                        )
                    )
                elif ref.tag == "latest":
                    found.append(
                        Violation(
                            IMAGE_PINNED,
                            f"{who}: image {_shown(image)} uses the mutable tag :latest; pin a version tag "
                            "or a digest (@sha256:...)",
                            field,
                        )
                    )
            if rules and not any(rule.allows(ref) for rule in rules):
                found.append(
                    Violation(
                        IMAGE_REGISTRY,
                        f"{who}: image {_shown(image)} is not from an allowed registry ({ref.registry or 'docker.io'}"
                        f"); use one of {', '.join(str(r) for r in rules)}",
                        field,
                    )
                )
    return found


def _shown(image: str) -> str:
    return json.dumps(image if len(image) <= 200 else image[:197] + "...")


# -------------------------------------------------------------------------------- load balancers

LB_INTERNAL = "lb-service-internal"
SCHEME_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-scheme"
LEGACY_INTERNAL_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-internal"
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})  # strconv.ParseBool


def is_internal_load_balancer(svc_obj: dict) -> bool:
    """Whether the annotations make the AWS load balancer internal.

    As the AWS Load Balancer Controller reads them: the scheme annotation wins when present; otherwise the
    deprecated boolean `aws-load-balancer-internal`. With neither, the answer depends on which controller
    takes the Service (the in-tree one makes it internet-facing), so it does not count as internal.
    """
    annotations = _dict(_get(svc_obj, "metadata", "annotations"))
    scheme = annotations.get(SCHEME_ANNOTATION)
    if scheme is not None:
        return str(scheme).strip() == "internal"
    legacy = annotations.get(LEGACY_INTERNAL_ANNOTATION)
    if isinstance(legacy, bool):
        return legacy
    return legacy is not None and str(legacy).strip() in _GO_TRUE


def lb_service_internal(svc_obj: dict, allow_list: list[str] | None = None) -> list[Violation]:
    """A Service of type LoadBalancer must be internal unless it is allowed to face the internet:
    `allow_list` holds "namespace/name" or bare "name" entries. Other objects and Service types -> [].
    """
    if _kind(svc_obj) != "Service" or _get(svc_obj, "spec", "type") != "LoadBalancer":
        return []
    if is_internal_load_balancer(svc_obj):
        return []
    name = _get(svc_obj, "metadata", "name")
    namespace = _namespace_of(svc_obj)
    allowed = set(allow_list or [])
    if name and (name in allowed or f"{namespace}/{name}" in allowed):
        return []
    scheme = _get(svc_obj, "metadata", "annotations", SCHEME_ANNOTATION)
    got = f" (got {json.dumps(scheme)})" if scheme is not None else ""
    return [
        Violation(
            LB_INTERNAL,
            f'Service "{namespace}/{name or "<unnamed>"}" of type LoadBalancer must be internal: set annotation '
            f'{SCHEME_ANNOTATION}: "internal"{got}, or add "{namespace}/{name or "<name>"}" to the allow-list of '
            "internet-facing services",
            _annotation_path(SCHEME_ANNOTATION),
        )
    ]


# -------------------------------------------------------------------------------- default deny

DEFAULT_DENY = "namespace-default-deny"


@dataclass(frozen=True)
class NamespaceViolation(Violation):
    """A Violation about a whole namespace; `path` is within the Namespace object."""

    namespace: str = ""


def _selects_all_pods(policy: dict) -> bool:
    selector = _get(policy, "spec", "podSelector")
    return not _get(selector, "matchLabels") and not _get(selector, "matchExpressions")


def _policy_types(policy: dict) -> set[str]:
    """spec.policyTypes, or what Kubernetes defaults it to: Ingress, plus Egress when egress rules exist."""
    declared = _get(policy, "spec", "policyTypes")
    if _is_list(declared):
        return {str(t) for t in declared}
    return {"Ingress", "Egress"} if _get(policy, "spec", "egress") else {"Ingress"}


def _denies(policy: dict) -> set[str]:
    """Which directions this NetworkPolicy turns into default-deny for every pod of its namespace.

    Ingress: the policy selects all pods, covers Ingress and allows no ingress at all. Egress: it selects
    all pods and covers Egress; egress allows (DNS, the API server...) are fine, except a rule `{}` that
    allows everything.
    """
    if not _selects_all_pods(policy):
        return set()
    types = _policy_types(policy)
    denied = set()
    if "Ingress" in types and not _list(_get(policy, "spec", "ingress")):
        denied.add("Ingress")
    egress = _list(_get(policy, "spec", "egress"))
    if "Egress" in types and not any(not _get(rule, "to") and not _get(rule, "ports") for rule in egress):
        denied.add("Egress")
    return denied


def namespaces_without_default_deny(objects: list[dict]) -> list[NamespaceViolation]:
    """Every Namespace declared among `objects` must have default-deny NetworkPolicy in it: one policy with an
    empty podSelector and policyTypes [Ingress, Egress] and no ingress rules (egress allows for DNS are fine),
    or two such policies covering Ingress and Egress between them. Returns one record per namespace lacking it,
    sorted by namespace. Namespaces without a known name (auto-named, unknown in preview) are skipped.
    """
    declared = sorted(
        {name for obj in objects if _kind(obj) == "Namespace" and (name := _get(obj, "metadata", "name"))}
    )
    denied: dict[str, set[str]] = {}
    for obj in objects:
        if _kind(obj) == "NetworkPolicy":
            denied.setdefault(_namespace_of(obj), set()).update(_denies(obj))
    found = []
    for namespace in declared:
        missing = {"Ingress", "Egress"} - denied.get(namespace, set())
        if missing:
            found.append(
                NamespaceViolation(
                    DEFAULT_DENY,
                    f'Namespace "{namespace}": no default-deny NetworkPolicy for {" and ".join(sorted(missing))}; '
                    'add one in it with podSelector: {}, policyTypes: ["Ingress", "Egress"], no ingress rules '
                    "(allow DNS egress explicitly)",
                    "metadata.name",
                    namespace=namespace,
                )
            )
    return found


# --------------------------------------------------------------------------------- effective level


def effective_pss_level(
    obj: dict, namespaces: dict[str, dict], default_level: str, default_version: str
) -> tuple[str, str]:
    """The (level, version) the Pod Security Standards apply to `obj` with.

    If the object's namespace (metadata.namespace, else "default") is a Namespace declared in the stack
    (`namespaces` maps name -> Namespace object), its `pod-security.kubernetes.io/enforce` and
    `enforce-version` labels win, each on its own; otherwise the defaults. Labels are read as Kubernetes
    reads them: an invalid level means "restricted", an invalid version "latest"; a valid version older than
    this engine supports resolves to the oldest it supports (`namespace_psa_labels` reports that label).
    """
    level, version = default_level, default_version
    namespace = namespaces.get(_namespace_of(obj))
    labels = _dict(_get(namespace, "metadata", "labels"))
    if (label := labels.get(ENFORCE_LABEL)) is not None:
        level = label if label in LEVELS else "restricted"
    if (label := labels.get(ENFORCE_VERSION_LABEL)) is not None:
        version = _version_label(label)
    return level, version


def _version_label(label: Any) -> str:
    match = _LABEL_VERSION.match(label) if isinstance(label, str) else None
    if not match:
        return "latest"  # Kubernetes reads anything but "v1.<minor>" as latest
    if int(match.group(1)) < OLDEST_MINOR:
        return VERSIONS[0]
    return label  # newer than the newest revision is fine: pss clamps it, as Kubernetes does
