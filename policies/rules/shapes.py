"""The shape of the Kubernetes fields the policies read, and a sanitiser that enforces it.

A Kubernetes resource's inputs reach the pack as whatever the program (or a chart) gave: `metadata.namespace`
can be a list, `privileged` the string "yes", a container a number. The API server would reject such an object
later; the policy must neither crash on it nor let it pass. `sanitize(value, schema)` walks the value along a
schema of the fields the rules read and returns

* the value with every field of the wrong type removed (so the rules only ever see well-typed data, or nothing -
  and nothing is what they already treat strictly), normalised where Kubernetes JSON has two spellings of one
  value ("true" and true, 1000 and 1000.0 and "1000");
* one `Violation` per removed field, naming it, which the policy reports.

Values unknown at preview (`UNKNOWN`) are kept as they are: the caller decides what they prove (nothing).
Fields the schema does not name are kept untouched (the rules do not read them).

Schema notation: a type name (`STRING`, `BOOLEAN`, `INTEGER`, `QUANTITY`, `OBJECT`), a dict of field -> schema
(`"*"` for every key: a map), or a one-item list `[schema]` for a list of such items.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .pss import POD_TEMPLATE_PATHS, Violation
from .values import is_unknown, number, show

STRING, BOOLEAN, INTEGER, QUANTITY, OBJECT = "string", "boolean", "integer", "quantity", "object"
MALFORMED = "malformed"  # the check ID of a shape violation
_WANT = {
    STRING: "a string",
    BOOLEAN: "true or false",
    INTEGER: "an integer",
    QUANTITY: 'a quantity like "100m" or "128Mi"',
    OBJECT: "an object",
}
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# --------------------------------------------------------------------------------------------- schemas

METADATA = {"name": STRING, "namespace": STRING, "labels": {"*": STRING}, "annotations": {"*": STRING}}
_PROFILE = {"type": STRING, "localhostProfile": STRING}
_SE_LINUX = {"type": STRING, "user": STRING, "role": STRING, "level": STRING}
_WINDOWS = {"hostProcess": BOOLEAN}
_HANDLER = {"httpGet": {"host": STRING}, "tcpSocket": {"host": STRING}}
_CONTAINER_SECURITY = {
    "privileged": BOOLEAN,
    "allowPrivilegeEscalation": BOOLEAN,
    "runAsNonRoot": BOOLEAN,
    "runAsUser": INTEGER,
    "procMount": STRING,
    "capabilities": {"add": [STRING], "drop": [STRING]},
    "seccompProfile": _PROFILE,
    "appArmorProfile": _PROFILE,
    "seLinuxOptions": _SE_LINUX,
    "windowsOptions": _WINDOWS,
}
_POD_SECURITY = {
    "runAsNonRoot": BOOLEAN,
    "runAsUser": INTEGER,
    "seccompProfile": _PROFILE,
    "appArmorProfile": _PROFILE,
    "seLinuxOptions": _SE_LINUX,
    "windowsOptions": _WINDOWS,
    "sysctls": [{"name": STRING}],
}
_PSS_CONTAINER = {
    "name": STRING,
    "securityContext": _CONTAINER_SECURITY,
    "ports": [{"hostPort": INTEGER}],
    "livenessProbe": _HANDLER,
    "readinessProbe": _HANDLER,
    "startupProbe": _HANDLER,
    "lifecycle": {"postStart": _HANDLER, "preStop": _HANDLER},
}
PSS_POD_SPEC = {
    "hostNetwork": BOOLEAN,
    "hostPID": BOOLEAN,
    "hostIPC": BOOLEAN,
    "hostUsers": BOOLEAN,
    "os": {"name": STRING},
    "securityContext": _POD_SECURITY,
    "containers": [_PSS_CONTAINER],
    "initContainers": [_PSS_CONTAINER],
    "ephemeralContainers": [_PSS_CONTAINER],
    "volumes": [{"name": STRING}],  # every other key of a volume is a volume source (an object)
}
_RESOURCES = {"requests": {"*": QUANTITY}, "limits": {"*": QUANTITY}}
_RESOURCES_CONTAINER = {"name": STRING, "resources": _RESOURCES}
RESOURCES_POD_SPEC = {
    "containers": [_RESOURCES_CONTAINER],
    "initContainers": [_RESOURCES_CONTAINER],
    "resources": _RESOURCES,
}
_IMAGE_CONTAINER = {"name": STRING, "image": STRING}
IMAGES_POD_SPEC = {
    "containers": [_IMAGE_CONTAINER],
    "initContainers": [_IMAGE_CONTAINER],
    "ephemeralContainers": [_IMAGE_CONTAINER],
}
SERVICE = {"metadata": METADATA, "spec": {"type": STRING}}
NETWORK_POLICY = {
    "metadata": METADATA,
    "spec": {
        "podSelector": {"matchLabels": {"*": STRING}, "matchExpressions": [OBJECT]},
        "policyTypes": [STRING],
        "ingress": [OBJECT],
        "egress": [{"to": [OBJECT], "ports": [OBJECT]}],
    },
}
NAMESPACE = {"metadata": METADATA}


def workload(kind: str, pod_spec: dict[str, Any]) -> dict[str, Any]:
    """The schema of a pod-bearing object of `kind` whose pod spec has the shape `pod_spec`."""
    keys = POD_TEMPLATE_PATHS.get(kind)
    if keys is None:
        return {"metadata": METADATA}
    schema: dict[str, Any] = {"metadata": METADATA, "spec": pod_spec}
    for key in reversed(keys):
        schema = {key: schema}
    return {**schema, "metadata": METADATA}


# ------------------------------------------------------------------------------------------- sanitising


def field_path(path: str, key: str) -> str:
    """`metadata` + `labels` -> `metadata.labels`; keys that are not plain names in brackets: `labels["a/b"]`."""
    if _PLAIN_KEY.match(key):
        return f"{path}.{key}" if path else key
    return f'{path}["{key}"]'


def sanitize(value: Any, schema: Any, path: str = "") -> tuple[Any, list[Violation]]:
    """(`value` with every field of the wrong shape removed, a Violation per removed field)."""
    problems: list[Violation] = []
    return _clean(value, schema, path, problems), problems


def _wrong(path: str, value: Any, want: str, problems: list[Violation]) -> None:
    problems.append(Violation(MALFORMED, f"`{path}` must be {want} (got {show(value)})", path))


def _clean(value: Any, schema: Any, path: str, problems: list[Violation]) -> Any:
    if value is None or is_unknown(value):
        return value
    if isinstance(schema, dict):
        if not isinstance(value, Mapping):
            _wrong(path, value, "an object", problems)
            return None
        every = schema.get("*")
        out = {}
        for key, item in value.items():
            sub = schema.get(key, every)
            out[key] = item if sub is None else _clean(item, sub, field_path(path, str(key)), problems)
        return out
    if isinstance(schema, list):
        if not isinstance(value, list):
            _wrong(path, value, "a list", problems)
            return None
        return [_clean(item, schema[0], f"{path}[{i}]", problems) for i, item in enumerate(value)]
    if schema == STRING and isinstance(value, str):
        return value
    if schema == BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"  # the spelling the rules always accepted
    if schema == INTEGER and (n := number(value)) is not None and n.is_integer():
        return int(n)  # 1000, 1000.0 (protobuf) and "1000" alike
    if schema == QUANTITY and (isinstance(value, str) or number(value) is not None):
        return value
    if schema == OBJECT and isinstance(value, Mapping):
        return value
    _wrong(path, value, _WANT.get(schema, "of another type"), problems)
    return None
