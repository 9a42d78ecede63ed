"""The thin glue between the pure rules (policies.rules) and the pulumi_policy SDK, shared by both packs.

A rule is `check(type_token, props, config) -> list[str]` for a resource policy, or
`check(resources: list[StackResource], config) -> list[Finding]` for a stack policy, where `props` are plain
dicts (unknown preview values marked `UNKNOWN`) and `config` is whatever the engine sent for the policy; the rule
resolves it against the catalog defaults (policies.rules.config.resolve). A bad config value becomes a violation
that says so, rather than a crashed analyzer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.rules.config import POLICIES, PolicyConfigError, config_schema
from policies.rules.values import Finding, StackResource, plain

# A resource check may take a 4th argument, the ResourceValidationArgs (for the URN); see ResourceAndStackPolicy.
ResourceCheck = Callable[..., list[str]]
StackCheck = Callable[[list[StackResource], Mapping[str, Any]], list[Finding]]


def _schema(name: str) -> PolicyConfigSchema | None:
    props = config_schema(name)
    return PolicyConfigSchema(properties=props) if props else None


def _run(name: str, check: Callable[..., list[Any]], report: ReportViolation, *args: Any) -> list[Any]:
    try:
        return check(*args)
    except PolicyConfigError as exc:
        report(f"invalid configuration for policy {name}: {'; '.join(exc.problems)}")
        return []


def resource_policy(name: str, check: ResourceCheck) -> ResourceValidationPolicy:
    spec = POLICIES[name]

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        config = plain(dict(args.get_config()))
        for message in _run(name, check, report_violation, args.resource_type, plain(args.props), config):
            report_violation(message)

    return ResourceValidationPolicy(
        name=name,
        description=spec.description,
        validate=validate,
        enforcement_level=EnforcementLevel(spec.default_level),
        config_schema=_schema(name),
    )


def stack_resources(args: StackValidationArgs) -> list[StackResource]:
    out = []
    for r in args.resources:
        out.append(
            StackResource(
                type=r.resource_type,
                urn=r.urn,
                name=r.name,
                props=plain(r.props),
                parent=r.parent.urn if r.parent is not None else None,
                dependencies=[d.urn for d in r.dependencies],
                property_dependencies={k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
            )
        )
    return out


def stack_policy(name: str, check: StackCheck) -> StackValidationPolicy:
    spec = POLICIES[name]

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        config = plain(dict(args.get_config()))
        for finding in _run(name, check, report_violation, stack_resources(args), config):
            report_violation(finding.message, finding.urn or None)

    return StackValidationPolicy(
        name=name,
        description=spec.description,
        validate=validate,
        enforcement_level=EnforcementLevel(spec.default_level),
        config_schema=_schema(name),
    )


class ResourceAndStackPolicy(ResourceValidationPolicy):
    """One policy that validates in both phases: each resource (Analyze) and then the whole stack (AnalyzeStack),
    under a single name, config and enforcement level.

    The policy SDK dispatches Analyze to ResourceValidationPolicy instances and AnalyzeStack to
    StackValidationPolicy instances (by isinstance); registering this class as a virtual subclass of
    StackValidationPolicy makes it receive both, and `validate` routes on the argument type.
    """

    def __init__(self, name: str, resource_check: ResourceCheck, stack_check: StackCheck) -> None:
        spec = POLICIES[name]
        self._name = name
        self._stack_check = stack_check

        def validate_resource(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            config = plain(dict(args.get_config()))
            messages = _run(name, resource_check, report_violation, args.resource_type, plain(args.props), config, args)
            for message in messages:
                report_violation(message)

        super().__init__(
            name=name,
            description=spec.description,
            validate=validate_resource,
            enforcement_level=EnforcementLevel(spec.default_level),
            config_schema=_schema(name),
        )

    def validate(self, args: Any, report_violation: ReportViolation) -> Any:
        if isinstance(args, StackValidationArgs):
            config = plain(dict(args.get_config()))
            for finding in _run(self._name, self._stack_check, report_violation, stack_resources(args), config):
                report_violation(finding.message, finding.urn or None)
            return None
        return super().validate(args, report_violation)


StackValidationPolicy.register(ResourceAndStackPolicy)


def exit_with_parent(poll_seconds: float = 1.0) -> None:
    """End this pack when the process that started it (the Pulumi engine, platformctl) is gone.

    The SDK's server loop sleeps forever; a client that dies without closing it (killed test run, crashed CLI)
    would otherwise leave the pack running as an orphan.
    """
    import os
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
