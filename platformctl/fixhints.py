"""The config key to change for a policy violation: reports say `platform:network.flowLogs.customerManagedKey`, not
the resource property (`kmsKeyId`) a user cannot set.

A violation names a policy and a resource; the resource's logical name says which component declared it
(`<env>-network-flow-logs`, `<env>-addons-aws-for-fluent-bit-logs`: `components/naming.py` and each component's
`f"{name}-..."`), and the component and policy say which key drives the property. Properties the platform fixes by
design (IMDSv2, key rotation, control-plane logs...) have no key: the hint then says so, and a violation there is a
platform bug to report. Kept next to the reports, not in policies/ (the packs know nothing of this program).
"""

from __future__ import annotations

# Policies whose every finding is on a setting the platform fixes (no config key changes it).
FIXED_BY_PLATFORM = frozenset(
    (
        "s3-bucket-encryption",
        "imdsv2-required",
        "eks-control-plane-logging",
        "kms-key-rotation",
        "security-group-ingress",
        "iam-no-admin-policy",
    )
)
# Components (the part of a logical name after the environment), longest first so `network-addons` wins.
COMPONENTS = (
    "workload-secrets",
    "network-addons",
    "build-access",
    "karpenter",
    "database",
    "registry",
    "network",
    "cluster",
    "gitops",
    "addons",
    "nodes",
)


def _component(name: str, environment: str) -> tuple[str, str] | None:
    """(`network`, `flow-logs`) from `dev-network-flow-logs`."""
    rest = name.removeprefix(f"{environment}-")
    if rest == name:
        return None
    for component in COMPONENTS:
        if rest == component or rest.startswith(component + "-"):
            return component, rest[len(component) + 1 :]
    return None


def _addon_key(rest: str) -> str | None:
    """The add-on's key under platform:addons from `aws-for-fluent-bit-logs`."""
    from components.addons.catalog import CATALOG
    from components.config.addons import addon_key

    for name in sorted(CATALOG, key=len, reverse=True):
        if rest == name or rest.startswith(name + "-"):
            return addon_key(name)
    return None


def config_key(policy: str, resource_type: str, resource_name: str, environment: str, message: str = "") -> str | None:
    """The stack config key whose value decides this finding, or None (fixed by the platform, or unknown)."""
    if policy in FIXED_BY_PLATFORM:
        return None
    if policy == "required-tags":
        return "platform:tags"
    found = _component(resource_name, environment)
    if found is None:
        return None
    component, rest = found
    if component in ("addons", "network-addons"):
        key = _addon_key(rest)
        if key is None:
            return None
        if policy == "log-group-retention":
            return f"platform:addons.{key}.retentionDays"
        return f"platform:addons.{key}.values"
    if policy == "encryption-at-rest" and component == "network" and rest.startswith("flow-logs"):
        return "platform:network.flowLogs.customerManagedKey"
    if policy == "log-group-retention":
        return {
            "network": "platform:network.flowLogs.retentionDays",
            "cluster": "platform:cluster.logRetentionDays",
            "database": "platform:data.database.logRetentionDays",
        }.get(component)
    if policy == "eks-endpoint-access":
        if "Cidrs" in message or "0.0.0.0/0" in message:
            return "platform:cluster.endpoint.publicAccessCidrs"
        return "platform:cluster.endpoint.publicAccess"
    if policy == "rds-hardening" and component == "database":
        lowered = message.lower()
        if "backup" in lowered:
            return "platform:data.database.backupRetentionDays"
        if "multiaz" in lowered or "multi-az" in lowered:
            return "platform:data.database.multiAz"
        if "deletionprotection" in lowered:
            return "platform:environment.production"
        return "platform:data.database"
    return None


def hint(key: str | None, policy: str) -> str:
    """The fix as one line for a report."""
    if key:
        return f"change `{key}`"
    if policy in FIXED_BY_PLATFORM:
        return "fixed by the platform (no config key): report it as a bug"
    return "no config key found for it"


def annotate(diagnostics: list, environment: str, stack_file_text: str | None) -> list:
    """The diagnostics with their config key and its line in the stack file (the key's nearest ancestor present
    when the key itself is left at its default)."""
    import dataclasses

    from components.config.locate import line_of, locate

    locations = locate(stack_file_text) if stack_file_text else {}
    out = []
    for d in diagnostics:
        key = config_key(d.policy, d.resource_type, d.resource_name, environment, d.message)
        parent = getattr(d, "parent", "")
        if key is None and parent:
            # An object rendered from a Helm chart: the chart resource (its parent) says which add-on it is.
            parent_name = parent.rsplit("::", 1)[-1]
            key = config_key(d.policy, "", parent_name, environment, d.message)
        line = line_of(locations, key) if key else None
        out.append(dataclasses.replace(d, config_key=key, config_line=line))
    return out
