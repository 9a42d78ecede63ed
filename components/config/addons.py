"""`platform:addons`: which catalog add-ons a stack installs, and how each is tuned.

The catalog (names, charts, pinned versions, IAM, values) lives in `components/addons/`; this section only
toggles and tunes it. One key per add-on, the add-on's catalog name in camelCase (`external-dns` ->
`externalDns`). Every add-on takes `enabled` (unset: the catalog's default for the environment, see docs/addons.md)
and `values` (Helm values, or an EKS add-on's configuration values, deep-merged over the catalog's); some take
settings of their own (hosted zones, a secrets path prefix, prefix delegation...).

An unknown add-on name is an error naming it, e.g.
`platform:addons.externalDNS: unknown add-on; did you mean 'externalDns'?`.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ._base import Model
from .problems import Problem

SECTION = "platform:addons"
# CloudWatch Logs' allowed retention periods.
RetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]
HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# A Secrets Manager name / SSM parameter path prefix: segments of allowed characters, ending in "/".
PATH_PREFIX = re.compile(r"^[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)*/$")
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _zone_ids(v: list[str] | None) -> list[str] | None:
    if v is None:
        return v
    for zone in v:
        if not HOSTED_ZONE_ID.match(zone):
            raise ValueError(f"{zone!r} is not a Route 53 hosted zone ID (like Z0123456789ABCDEFGHIJ)")
    if len(set(v)) != len(v):
        raise ValueError("lists a hosted zone twice")
    return v


class AddonSettings(Model):
    """What every add-on takes."""

    # None: the catalog's default for this environment (production or not).
    enabled: bool | None = None
    # Helm values (EKS add-ons: configuration values) deep-merged over what the catalog builds.
    values: dict[str, Any] = Field(default_factory=dict)


class VpcCniSettings(AddonSettings):
    # /28 prefixes per ENI slot instead of single IPs: many more pods per node, fewer EC2 API calls.
    prefix_delegation: bool = True


class CorednsSettings(AddonSettings):
    # Unset: 2 replicas, 3 in production (one per AZ).
    replicas: Annotated[int, Field(ge=1, le=20)] | None = None


class ExternalDnsSettings(AddonSettings):
    # The Route 53 zones external-dns may write to (its IAM policy is limited to them).
    hosted_zone_ids: list[str] = Field(default_factory=list)
    # Only records under these domains are managed; empty: every domain of the zones.
    domain_filters: list[str] = Field(default_factory=list)
    # Unset: `sync` (deletes records it owns) outside production, `upsert-only` in production.
    policy: Literal["sync", "upsert-only"] | None = None

    _zones = field_validator("hosted_zone_ids")(classmethod(lambda cls, v: _zone_ids(v)))

    @field_validator("domain_filters")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        for domain in v:
            if not DOMAIN.match(domain):
                raise ValueError(f"{domain!r} is not a DNS domain like apps.example.com")
        return v


class CertManagerSettings(AddonSettings):
    # The zones cert-manager's DNS-01 solver may write `_acme-challenge` TXT records to. Unset: externalDns's.
    hosted_zone_ids: list[str] | None = None
    # With an email (and zones), a Let's Encrypt ClusterIssuer `letsencrypt-dns01` is declared.
    acme_email: str | None = None
    # Let's Encrypt's production or staging (untrusted, high limits) endpoint.
    acme_environment: Literal["production", "staging"] = "production"

    _zones = field_validator("hosted_zone_ids")(classmethod(lambda cls, v: _zone_ids(v)))

    @field_validator("acme_email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not EMAIL.match(v):
            raise ValueError("is not an email address")
        return v


class ExternalSecretsSettings(AddonSettings):
    # Secrets Manager secret names / SSM parameter paths the operator may read start with this.
    # Unset: `eks-platform/<environment>/`.
    path_prefix: str | None = None
    # Customer-managed KMS keys those secrets/parameters are encrypted with (decrypt via those services only).
    kms_key_arns: list[str] = Field(default_factory=list)

    @field_validator("path_prefix")
    @classmethod
    def _prefix(cls, v: str | None) -> str | None:
        if v is not None and not PATH_PREFIX.match(v):
            raise ValueError(
                "must be path segments ending in '/', without a leading '/', e.g. eks-platform/prod/ "
                "(letters, digits and _+=.@- only)"
            )
        return v

    @field_validator("kms_key_arns")
    @classmethod
    def _keys(cls, v: list[str]) -> list[str]:
        for arn in v:
            if not KMS_KEY_ARN.match(arn):
                raise ValueError(f"{arn!r} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<uuid>)")
        return v


class LogsSettings(AddonSettings):
    # Retention of the CloudWatch log groups this stack creates for the add-on.
    retention_days: RetentionDays = 30  # type: ignore[valid-type]


class AddonsConfig(Model):
    """One key per catalog add-on (camelCase of its name)."""

    vpc_cni: VpcCniSettings = Field(default_factory=VpcCniSettings)
    coredns: CorednsSettings = Field(default_factory=CorednsSettings)
    kube_proxy: AddonSettings = Field(default_factory=AddonSettings)
    aws_ebs_csi_driver: AddonSettings = Field(default_factory=AddonSettings)
    amazon_cloudwatch_observability: LogsSettings = Field(default_factory=LogsSettings)
    aws_load_balancer_controller: AddonSettings = Field(default_factory=AddonSettings)
    external_dns: ExternalDnsSettings = Field(default_factory=ExternalDnsSettings)
    metrics_server: AddonSettings = Field(default_factory=AddonSettings)
    aws_for_fluent_bit: LogsSettings = Field(default_factory=LogsSettings)
    cert_manager: CertManagerSettings = Field(default_factory=CertManagerSettings)
    external_secrets: ExternalSecretsSettings = Field(default_factory=ExternalSecretsSettings)
    kube_prometheus_stack: AddonSettings = Field(default_factory=AddonSettings)
    argo_rollouts: AddonSettings = Field(default_factory=AddonSettings)
    keda: AddonSettings = Field(default_factory=AddonSettings)
    velero: AddonSettings = Field(default_factory=AddonSettings)
    cluster_autoscaler: AddonSettings = Field(default_factory=AddonSettings)
    # Unset: on when a node pool (AL2023 NVIDIA AMI) or a Karpenter NodePool (accelerator: nvidia) has NVIDIA GPUs.
    nvidia_device_plugin: AddonSettings = Field(default_factory=AddonSettings)
    dcgm_exporter: AddonSettings = Field(default_factory=AddonSettings)

    def settings(self, addon: str) -> AddonSettings:
        """The settings of a catalog add-on by its name, e.g. `external-dns`."""
        return getattr(self, addon.replace("-", "_"))

    @model_validator(mode="wrap")
    @classmethod
    def _unknown_addons(cls, data: Any, handler: Any) -> Any:
        """Unknown keys are reported as unknown add-ons (with the nearest name), beside any other problem."""
        if not isinstance(data, dict):
            return handler(data)
        known = {f.alias or n for n, f in cls.model_fields.items()} | set(cls.model_fields)
        unknown = [k for k in data if k not in known]
        if not unknown:
            return handler(data)
        errors = [_unknown_addon_error(str(k), data[k]) for k in unknown]
        try:
            handler({k: v for k, v in data.items() if k in known})
        except ValidationError as exc:
            errors += [_passthrough(e) for e in exc.errors(include_url=False)]
        raise ValidationError.from_exception_data(cls.__name__, errors)


def with_stack_defaults(addons: AddonsConfig, node_pools: list, karpenter: Any) -> AddonsConfig:
    """Defaults that depend on the rest of the stack: the NVIDIA device plugin is on (unless set) when any node
    pool or enabled Karpenter NodePool has NVIDIA GPUs; without it, GPU nodes advertise no nvidia.com/gpu."""
    from .accelerators import of_ami

    nvidia = any(of_ami(p.ami_type) == "nvidia" for p in node_pools) or (
        karpenter.enabled and any(p.accelerator == "nvidia" for p in karpenter.node_pools)
    )
    if nvidia and addons.nvidia_device_plugin.enabled is None:
        plugin = addons.nvidia_device_plugin.model_copy(update={"enabled": True})
        return addons.model_copy(update={"nvidia_device_plugin": plugin})
    return addons


def addon_keys() -> list[str]:
    """Config keys of every catalog add-on (camelCase)."""
    return [f.alias or n for n, f in AddonsConfig.model_fields.items()]


def _unknown_addon_error(key: str, value: Any) -> InitErrorDetails:
    names = addon_keys()
    folded = {n.lower().replace("-", "").replace("_", ""): n for n in names}
    hint = folded.get(key.lower().replace("-", "").replace("_", "")) or next(
        iter(difflib.get_close_matches(key, names, n=1)), None
    )
    message = "unknown add-on; " + (f"did you mean {hint!r}?" if hint else f"the catalog has: {', '.join(names)}")
    return InitErrorDetails(
        type=PydanticCustomError("unknown_addon", message.replace("{", "{{").replace("}", "}}")),
        loc=(key,),
        input=value,
    )


def _passthrough(err: dict) -> InitErrorDetails:
    # Keep the original type (the stack loader words some types specially) and message.
    message = err["msg"].replace("{", "{{").replace("}", "}}")
    return InitErrorDetails(type=PydanticCustomError(err["type"], message), loc=tuple(err["loc"]), input=err["input"])


# ---------------------------------------------------------------------------------------- cross-section checks


def addon_problems(cfg: Any) -> list[Problem]:
    """Problems that need more than this section: add-ons that exclude each other, settings an enabled add-on
    requires. `cfg` is a StackConfig (or the loader's partial config: reading a missing section raises)."""
    from components.addons.catalog import CATALOG, is_enabled

    addons: AddonsConfig = cfg.addons
    production = bool(cfg.production)
    out: list[Problem] = []

    if is_enabled("cluster-autoscaler", addons, production) and _karpenter_enabled(cfg):
        out.append(
            Problem(
                f"{SECTION}.clusterAutoscaler.enabled",
                "cluster-autoscaler and Karpenter would both scale nodes: enable only one "
                "(platform:karpenter.enabled is true)",
                True,
            )
        )
    dns = addons.external_dns
    if dns.enabled and not dns.hosted_zone_ids:
        out.append(
            Problem(
                f"{SECTION}.externalDns.hostedZoneIds",
                "must list the Route 53 zones external-dns may manage while it is enabled "
                "(or set externalDns.enabled: false)",
                [],
            )
        )
    cm = addons.cert_manager
    if cm.acme_email and is_enabled("cert-manager", addons, production) and not cert_manager_zones(addons):
        out.append(
            Problem(
                f"{SECTION}.certManager.hostedZoneIds",
                "the DNS-01 issuer needs Route 53 zones: set certManager.hostedZoneIds (or externalDns.hostedZoneIds)",
            )
        )
    gitops = _section(cfg, "gitops")
    listed = set(getattr(gitops, "addons", None) or [])
    if getattr(gitops, "enabled", False):
        from .gitops import GITOPS_ADDONS

        for name in GITOPS_ADDONS:
            if name not in listed and name in CATALOG and is_enabled(name, addons, production):
                out.append(
                    Problem(
                        f"{SECTION}.{addon_key(name)}.enabled",
                        f"with GitOps on, Argo CD installs {name} (platform/bootstrap/addons/) on every cluster whose "
                        "Secret says it is enabled, which Pulumi's install would say too: two copies would fight; "
                        f"list it in platform:gitops.addons instead",
                        True,
                    )
                )
    for i, name in enumerate(getattr(gitops, "addons", None) or []):
        if name in CATALOG and is_enabled(name, addons, production):
            out.append(
                Problem(
                    f"platform:gitops.addons[{i}]",
                    f"{name} is also installed by Pulumi (platform:addons.{addon_key(name)}): an add-on is installed "
                    "by Pulumi or by Argo CD, never both (two copies would fight); remove one",
                    name,
                )
            )
    for name in ("amazon-cloudwatch-observability", "aws-for-fluent-bit"):
        settings = addons.settings(name)
        if production and is_enabled(name, addons, production) and settings.retention_days < 30:
            key = addon_keys()[list(AddonsConfig.model_fields).index(name.replace("-", "_"))]
            out.append(
                Problem(
                    f"{SECTION}.{key}.retentionDays",
                    "must be at least 30 days in production",
                    settings.retention_days,
                )
            )
    return out


def cert_manager_zones(addons: AddonsConfig) -> list[str]:
    zones = addons.cert_manager.hosted_zone_ids
    return list(zones) if zones is not None else list(addons.external_dns.hosted_zone_ids)


def addon_key(name: str) -> str:
    """`argo-rollouts` -> `argoRollouts`: the add-on's key under platform:addons."""
    head, *rest = name.split("-")
    return head + "".join(part.capitalize() for part in rest)


def _section(cfg: Any, attr: str) -> Any:
    """A section of a possibly partial config, or None when it did not validate."""
    try:
        return getattr(cfg, attr)
    except Exception:
        return None


def _karpenter_enabled(cfg: Any) -> bool:
    """`platform:karpenter.enabled`, read defensively: that section belongs to the cluster's config."""
    try:
        karpenter = cfg.karpenter
    except Exception:  # not (yet) a section, or it failed validation: reported on its own
        return False
    if isinstance(karpenter, dict):
        return bool(karpenter.get("enabled"))
    return bool(getattr(karpenter, "enabled", False))
