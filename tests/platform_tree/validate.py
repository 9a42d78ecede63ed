"""Validation of rendered objects: the Kubernetes schema of the cluster's version, our schemas for custom resources,
and Pod Security `restricted` (through policies.rules.pss, when present).

Every function returns a list of human-readable problems; an empty list means valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any, Literal

import jsonschema
import kubernetes_validate

from .crd_schemas import CUSTOM_RESOURCE_SCHEMAS
from .render import ENVIRONMENTS

FALLBACK_KUBERNETES_VERSION = "1.35"
POD_BEARING_KINDS = frozenset(
    {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"}
)
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_MINOR_VERSION = re.compile(r"^1\.[0-9]+$")

SchemaKind = Literal["kubernetes", "custom"]


def _stack_version(env: str) -> str:
    from components.config import load_stack_config  # optional: the config module of the Pulumi program

    config = load_stack_config(env)
    config = getattr(config, "config", config)  # the StackConfig itself, or an object wrapping it as `.config`
    return str(config.cluster.version)


@cache
def kubernetes_versions() -> tuple[dict[str, str], str]:
    """(environment -> Kubernetes minor version, where it came from).

    The version of each stack's cluster (`components.config.load_stack_config(env).cluster.version`); when that
    module or a stack file is not available, 1.35 for every environment and the reason, for the summary line.
    """
    try:
        versions = {env: _stack_version(env) for env in ENVIRONMENTS}
    except Exception as exc:  # the Pulumi program's config is optional here; say why it was not used
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".strip()
        fallback = dict.fromkeys(ENVIRONMENTS, FALLBACK_KUBERNETES_VERSION)
        return fallback, f"fallback {FALLBACK_KUBERNETES_VERSION} ({reason})"
    bad = {env: version for env, version in versions.items() if not _MINOR_VERSION.match(version)}
    if bad:
        raise ValueError(f"stack config cluster.version must look like '1.35', got {bad}")
    return versions, "stack config"


def api_group(api_version: str) -> str:
    """ "apps/v1" -> "apps"; "v1" -> "" (the core group)."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def schema_kind(obj: dict[str, Any]) -> SchemaKind:
    key = (api_group(str(obj.get("apiVersion", ""))), str(obj.get("kind", "")))
    return "custom" if key in CUSTOM_RESOURCE_SCHEMAS else "kubernetes"


def envelope_errors(obj: dict[str, Any]) -> list[str]:
    """apiVersion, kind and metadata.name present and well-formed (every object, any kind)."""
    errors = []
    for field in ("apiVersion", "kind"):
        if not isinstance(obj.get(field), str) or not obj.get(field):
            errors.append(f"{field}: missing or not a string")
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return [*errors, "metadata: missing or not a mapping"]
    name = metadata.get("name")
    if not isinstance(name, str) or not _DNS_SUBDOMAIN.match(name):
        errors.append(f"metadata.name: {name!r} is not a DNS-1123 subdomain")
    namespace = metadata.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or not _DNS_SUBDOMAIN.match(namespace)):
        errors.append(f"metadata.namespace: {namespace!r} is not a valid namespace name")
    return errors


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "(root)"


def kubernetes_schema_errors(obj: dict[str, Any], version: str) -> list[str]:
    """The object against the strict (no unknown fields) OpenAPI schema of Kubernetes `version`."""
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{_path(exc.path)}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [exc.message + " (unknown kind, removed API version, or a custom resource without a schema here)"]
    return []


@cache
def _custom_validator(group: str, kind: str) -> jsonschema.protocols.Validator:
    schema = CUSTOM_RESOURCE_SCHEMAS[(group, kind)]
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def custom_schema_errors(obj: dict[str, Any]) -> list[str]:
    validator = _custom_validator(api_group(obj["apiVersion"]), obj["kind"])
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    return [f"{_path(e.absolute_path)}: {e.message}" for e in errors]


def schema_errors(obj: dict[str, Any], version: str) -> list[str]:
    """All schema problems of one object: its envelope, then the Kubernetes or the custom resource schema."""
    errors = envelope_errors(obj)
    if errors:
        return errors
    if schema_kind(obj) == "custom":
        return custom_schema_errors(obj)
    return kubernetes_schema_errors(obj, version)


def is_pod_bearing(obj: dict[str, Any]) -> bool:
    return obj.get("kind") in POD_BEARING_KINDS


def restricted_violations(pss: ModuleType, obj: dict[str, Any], version: str) -> list[str]:
    """Pod Security `restricted` violations at policy version v<version>, from policies.rules.pss.evaluate."""
    evaluate: Callable[..., list[Any]] = pss.evaluate
    return [f"{v.path}: [{v.check}] {v.message}" for v in evaluate(obj, "restricted", f"v{version}")]
