"""The policy catalog and its configuration: names, packs, default levels, config schemas, parsing.

One declarative table (`POLICIES`) is the source of truth for

* the packs (`policies/aws`, `policies/kubernetes`): each builds its policies' `configSchema` from it, so the
  Pulumi engine fills in the documented defaults and validates `--policy-pack-config` files;
* the rules: `resolve(name, raw)` returns the effective properties, defaults filled in, checked - a pack run
  by a client that configures only some policies (or sends no properties) behaves exactly like a configured one;
* `platformctl policy`: `load_config_file()` validates a stack's config file (`policies/config/<stack>.json`)
  with one clear line per problem, and `for_pack()` splits it per pack.

Config file format (Pulumi's policy-pack-config format): `{"<policy>": {"enforcementLevel": "advisory" |
"mandatory" | "disabled", ...properties}}`, optionally `"all": {"enforcementLevel": ...}`. One file holds both
packs' policies; every entry must carry an `enforcementLevel` so that the file can be passed unchanged to each
pack with `pulumi preview --policy-pack policies/aws --policy-pack-config policies/config/prod.json
--policy-pack policies/kubernetes --policy-pack-config policies/config/prod.json` (the engine forwards entries of
another pack's policies with their level and ignores them; an entry without a level would crash it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .workloads import REGISTRY_ENTRY_PATTERN

AWS_PACK = "eks-platform-aws"
KUBERNETES_PACK = "eks-platform-kubernetes"
LEVELS = ("advisory", "mandatory", "disabled")
PSS_VERSION = re.compile(r"^(latest|v1\.(2[5-9]|[3-9]\d))$")


@dataclass(frozen=True)
class PolicySpec:
    name: str
    pack: str
    description: str
    default_level: str
    # JSON schema of each config property; every property has a "default".
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    stack: bool = False  # a StackValidationPolicy (analyses the whole stack at once)

    def defaults(self) -> dict[str, Any]:
        return {k: json.loads(json.dumps(v["default"])) for k, v in self.properties.items()}


def _strings(default: list[str], about: str, **item: Any) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", **item}, "default": default, "description": about}


_EXEMPT = _strings([], "Namespaces this policy ignores.")

POLICIES: dict[str, PolicySpec] = {
    p.name: p
    for p in [
        # ---------------------------------------------------------------- AWS
        PolicySpec(
            "required-tags",
            AWS_PACK,
            "Taggable AWS resources carry the required cost/ownership tags (directly or via provider default tags).",
            "mandatory",
            {
                "requiredTags": _strings(
                    ["environment", "team", "cost-center", "managed-by"], "Tag keys every taggable resource needs."
                )
            },
        ),
        PolicySpec(
            "encryption-at-rest",
            AWS_PACK,
            "Data at rest is encrypted with a customer-managed KMS key (EBS, launch templates, RDS, EKS secrets, EFS, "
            "ECR, CloudWatch Logs, SQS, SNS, S3 encryption configs, Secrets Manager).",
            "mandatory",
            {
                "requireCustomerManagedKey": {
                    "type": "boolean",
                    "default": True,
                    "description": "Require a customer-managed KMS key; false accepts any encryption at rest.",
                }
            },
        ),
        PolicySpec(
            "s3-bucket-encryption",
            AWS_PACK,
            "Every S3 bucket has an SSE-KMS server-side encryption configuration with a customer-managed key.",
            "mandatory",
            {
                "requireCustomerManagedKey": {
                    "type": "boolean",
                    "default": True,
                    "description": "false accepts S3's default SSE-S3 encryption.",
                }
            },
            stack=True,
        ),
        PolicySpec(
            "imdsv2-required",
            AWS_PACK,
            "Nodes require IMDSv2 (httpTokens=required) with a hop limit that keeps pods away from node credentials.",
            "mandatory",
            {"maxHopLimit": {"type": "integer", "minimum": 1, "maximum": 64, "default": 1}},
        ),
        PolicySpec(
            "rds-hardening",
            AWS_PACK,
            "RDS databases are private; in production they have deletion protection and automated backups.",
            "mandatory",
            {
                "requireDeletionProtection": {"type": "boolean", "default": False},
                "minBackupRetentionDays": {"type": "integer", "minimum": 0, "maximum": 35, "default": 0},
            },
        ),
        PolicySpec(
            "eks-endpoint-access",
            AWS_PACK,
            "The EKS API endpoint is private, or public only to listed CIDRs (never the internet, whole or in pieces).",
            "mandatory",
            {"allowPublicEndpoint": {"type": "boolean", "default": True}},
        ),
        PolicySpec(
            "eks-control-plane-logging",
            AWS_PACK,
            "EKS sends every control-plane log type to CloudWatch.",
            "mandatory",
            {
                "requiredLogTypes": _strings(
                    ["api", "audit", "authenticator", "controllerManager", "scheduler"],
                    "Control-plane log types that must be enabled.",
                    enum=["api", "audit", "authenticator", "controllerManager", "scheduler"],
                )
            },
        ),
        PolicySpec("kms-key-rotation", AWS_PACK, "Symmetric KMS keys rotate automatically.", "mandatory"),
        PolicySpec(
            "security-group-ingress",
            AWS_PACK,
            "Security groups do not open SSH/RDP or all ports to the internet (0.0.0.0/0, ::/0, or pieces of it).",
            "mandatory",
            {
                "restrictedPorts": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                    "default": [22, 3389],
                    "description": "Ports that must never be open to the internet.",
                }
            },
        ),
        PolicySpec(
            "log-group-retention",
            AWS_PACK,
            "CloudWatch log groups expire their logs.",
            "mandatory",
            {"minRetentionDays": {"type": "integer", "minimum": 1, "default": 1}},
        ),
        PolicySpec(
            "iam-no-admin-policy",
            AWS_PACK,
            "Nothing grants admin: no AdministratorAccess/IAMFullAccess attachment, no Allow of every action (`*`, "
            "`iam:*` or any `<service>:*`, or all but some with NotAction) on every resource.",
            "mandatory",
        ),
        PolicySpec(
            "iam-policy-valid",
            AWS_PACK,
            "IAM policy documents (identity, trust, KMS key, SQS queue, ECR repository, S3 bucket) match AWS's "
            "Service Authorization Reference: real actions, ARNs in a format the action supports, condition keys "
            "in the request context, every required resource type granted.",
            "mandatory",
        ),
        # ---------------------------------------------------------------- Kubernetes
        PolicySpec(
            "pod-security-standards",
            KUBERNETES_PACK,
            "Pods meet the Pod Security Standard of their namespace (the configured level, or the namespace's "
            "pod-security.kubernetes.io/enforce label when the Namespace is in the stack).",
            "mandatory",
            {
                "level": {"type": "string", "enum": ["baseline", "restricted"], "default": "baseline"},
                "version": {"type": "string", "pattern": PSS_VERSION.pattern, "default": "latest"},
                "exemptNamespaces": _EXEMPT,
            },
        ),
        PolicySpec(
            "namespace-pod-security-labels",
            KUBERNETES_PACK,
            "Namespaces enforce a Pod Security Standard through pod-security.kubernetes.io labels.",
            "mandatory",
            {
                "minimumLevel": {"type": "string", "enum": ["baseline", "restricted"], "default": "baseline"},
                "requireAllLabels": {
                    "type": "boolean",
                    "default": False,
                    "description": "Also require enforce-version, audit and warn labels.",
                },
                "exemptNamespaces": _EXEMPT,
            },
        ),
        PolicySpec(
            "workload-resources",
            KUBERNETES_PACK,
            "Containers declare CPU/memory requests and a memory limit.",
            "advisory",
            {"exemptNamespaces": _EXEMPT},
        ),
        PolicySpec(
            "image-pinned",
            KUBERNETES_PACK,
            "Container images are pinned (digest or immutable tag, never :latest) and come from allowed registries.",
            "mandatory",
            {
                "allowedRegistries": _strings(
                    [],
                    "Registries images may come from, as host[:port][/path] (a `*` label matches one DNS label, "
                    "e.g. 602401143452.dkr.ecr.*.amazonaws.com); empty allows any.",
                    pattern=REGISTRY_ENTRY_PATTERN,
                    description="must be a registry host[:port][/path] where a `*` label matches one DNS label "
                    "(e.g. 602401143452.dkr.ecr.*.amazonaws.com), not a string prefix",
                ),
                "exemptNamespaces": _EXEMPT,
            },
        ),
        PolicySpec(
            "loadbalancer-internal",
            KUBERNETES_PACK,
            "LoadBalancer Services are internal unless allow-listed.",
            "mandatory",
            {"allowList": _strings([], 'Services ("namespace/name") allowed to be internet-facing.')},
        ),
        PolicySpec(
            "namespace-default-deny",
            KUBERNETES_PACK,
            "Every namespace in the stack has a default-deny NetworkPolicy.",
            "mandatory",
            {"exemptNamespaces": _EXEMPT},
            stack=True,
        ),
    ]
}


def pack_policies(pack: str) -> list[PolicySpec]:
    return [p for p in POLICIES.values() if p.pack == pack]


def config_schema(name: str) -> dict[str, Any]:
    """The `PolicyConfigSchema` properties of a policy (JSON schema per property, with defaults)."""
    return {k: dict(v) for k, v in POLICIES[name].properties.items()}


# ----------------------------------------------------------------------------------------------- validation


class PolicyConfigError(ValueError):
    """Every problem of a policy config, one line each."""

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = problems
        self.source = source
        super().__init__("\n".join(self.lines))

    @property
    def lines(self) -> list[str]:
        prefix = f"{self.source}: " if self.source else ""
        return [prefix + p for p in self.problems]


def _check_value(path: str, value: Any, schema: Mapping[str, Any]) -> list[str]:
    kind = schema.get("type")
    shown = json.dumps(value)
    if kind == "boolean" and not isinstance(value, bool):
        return [f"{path}: must be true or false (got {shown})"]
    if kind == "integer":
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            return [f"{path}: must be an integer (got {shown})"]
        if "minimum" in schema and value < schema["minimum"]:
            return [f"{path}: must be >= {schema['minimum']} (got {shown})"]
        if "maximum" in schema and value > schema["maximum"]:
            return [f"{path}: must be <= {schema['maximum']} (got {shown})"]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: must be a string (got {shown})"]
        if "pattern" in schema and not re.match(schema["pattern"], value):
            return [f"{path}: {schema.get('description') or 'must match ' + schema['pattern']} (got {shown})"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: must be one of {', '.join(json.dumps(e) for e in schema['enum'])} (got {shown})"]
    if kind == "array":
        if not isinstance(value, list):
            return [f"{path}: must be a list (got {shown})"]
        out: list[str] = []
        for i, item in enumerate(value):
            out += _check_value(f"{path}[{i}]", item, schema.get("items", {}))
        return out
    return []


# resolve() results by (policy, the raw config object): a pack resolves the same config object for every
# resource it checks. The raw object is kept with its result, so its id cannot be reused while cached.
_RESOLVED: dict[tuple[str, int], tuple[Any, dict[str, Any]]] = {}
_RESOLVED_MAX = 512


def resolve(name: str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Effective properties of policy `name`: defaults, overridden by `raw` (enforcementLevel ignored).
    Raises PolicyConfigError on an unknown property or a wrong value. The result is shared: do not modify it."""
    key = (name, id(raw))
    hit = _RESOLVED.get(key)
    if hit is not None and hit[0] is raw:
        return hit[1]
    values = _resolve(name, raw)
    if len(_RESOLVED) >= _RESOLVED_MAX:
        _RESOLVED.clear()
    _RESOLVED[key] = (raw, values)
    return values


def _resolve(name: str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    spec = POLICIES[name]
    values = spec.defaults()
    problems: list[str] = []
    for key, value in (raw or {}).items():
        if key == "enforcementLevel":
            continue
        if key not in spec.properties:
            known = ", ".join(spec.properties) or "none"
            problems.append(f"{name}.{key}: unknown property (known: {known})")
            continue
        found = _check_value(f"{name}.{key}", value, spec.properties[key])
        if found:
            problems += found
            continue
        if spec.properties[key].get("type") == "integer":
            value = int(value)
        values[key] = value
    if problems:
        raise PolicyConfigError(problems)
    return values


def validate_config(config: Any, source: str | None = None) -> dict[str, dict[str, Any]]:
    """Check a whole config document (all packs); returns it normalised to {policy: {enforcementLevel, ...}}."""
    if not isinstance(config, Mapping):
        raise PolicyConfigError(["the policy config must be a JSON object of policy name -> settings"], source)
    out: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for name, entry in config.items():
        if isinstance(entry, str):
            entry = {"enforcementLevel": entry}
        if not isinstance(entry, Mapping):
            problems.append(f'{name}: must be an object like {{"enforcementLevel": "mandatory"}} (got {entry!r})')
            continue
        level = entry.get("enforcementLevel")
        if level is None:
            problems.append(f'{name}.enforcementLevel: missing; set one of "advisory", "mandatory", "disabled"')
        elif level not in LEVELS:
            problems.append(f'{name}.enforcementLevel: must be "advisory", "mandatory" or "disabled" (got {level!r})')
        if name == "all":
            extra = [k for k in entry if k != "enforcementLevel"]
            problems += [f"all.{k}: only enforcementLevel can be set for all policies" for k in extra]
        elif name not in POLICIES:
            problems.append(f"{name}: unknown policy (known: {', '.join(POLICIES)})")
            continue
        else:
            try:
                resolve(name, entry)
            except PolicyConfigError as exc:
                problems += exc.problems
        out[name] = dict(entry)
    if problems:
        raise PolicyConfigError(problems, source)
    return out


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json object_pairs_hook: a key twice in one object is an error (json.loads would keep the last one, so an
    entry appended to a config file could silently weaken a policy)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def load_config_file(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyConfigError([f"cannot read the policy config: {exc.strerror}"], str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PolicyConfigError([f"not valid UTF-8 at line {line}: save it as UTF-8"], str(path)) from None
    try:
        parsed = json.loads(text, object_pairs_hook=_no_duplicates) if text.strip() else {}
    except json.JSONDecodeError as exc:
        problem = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise PolicyConfigError([problem], str(path)) from None
    except _DuplicateKey as exc:
        problem = f"duplicate key {json.dumps(exc.args[0])}: a key may appear once in an object, remove one of them"
        raise PolicyConfigError([problem], str(path)) from None
    except RecursionError:
        raise PolicyConfigError(["nests too deep"], str(path)) from None
    return validate_config(parsed, str(path))


def for_pack(config: Mapping[str, Mapping[str, Any]], policy_names: list[str]) -> dict[str, dict[str, Any]]:
    """The engine's view of `config` for one pack: every policy of the pack with its effective level (defaults,
    then "all", then the policy's entry) and its effective properties (defaults filled in)."""
    all_level = (config.get("all") or {}).get("enforcementLevel")
    out: dict[str, dict[str, Any]] = {}
    for name in policy_names:
        spec = POLICIES.get(name)
        entry = dict(config.get(name) or {})
        level = entry.pop("enforcementLevel", None) or all_level or (spec.default_level if spec else "advisory")
        props = resolve(name, entry) if spec else entry
        out[name] = {"enforcementLevel": level, **props}
    return out
