"""The engine side of the pulumi-eks model (platformctl.eks_model): what the Pulumi engine does around a remote
component's Construct, done offline inside the recording mock monitor.

When the program registers `eks:index:Cluster` (remote), the engine forwards the request to the eks provider's
Construct and answers the program with the construct state. Here, the model plays the provider; this module plays
the engine (pkg/resource/deploy/source_eval.go, RegisterResource):

* each registration the provider makes goes through the transforms of its parents (the program's transforms on the
  component are saved and applied to the component and every descendant) and the stack's transforms, then is
  recorded like any other resource (URN with the full parent type chain), and answered by the project's mocks
  (platformctl.mock_outputs), which also answer the provider's invokes;
* the component is recorded with what an analyzer sees (no inputs; the program's request kept as `remote_inputs`);
* the program gets the construct state as the component's outputs, with each output's dependencies on the children
  (RegisterResourceResponse.propertyDependencies), so what reads an output depends on the child it comes from.

A cluster the model does not cover, or that the provider would refuse, gets only the component recorded and every
output unknown: the plan says why (an `Expansion` that is not "expanded"), and the policy check fails on it unless
`--allow-unexpanded`. Children are committed to the plan only when the whole construct succeeded.

Transforms are called with the child's inputs as plain values (resource references appear as their URN) and
options holding `protect` and `ignoreChanges`; a transform that changes any other option, returns Outputs or
resources, or fails, leaves the cluster unexpanded (or failed) rather than guessed.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from platformctl import eks_model, mock_outputs
from platformctl.expand import RemoteExpansion
from platformctl.plan import PlanResource

# Options a transform may change on a child: what the plan records.
_MODELLED_OPTIONS = {
    "protect",
    "ignore_changes",
    "retain_on_delete",
    "delete_before_replace",
    "replace_on_changes",
    "additional_secret_outputs",
}


@dataclass
class _Host:
    """eks_model.Host over the recording monitor: registrations buffered until the construct succeeds."""

    monitor: Any
    ctx: mock_outputs.Ctx
    transforms: list[Callable[..., Any]]
    config_values: Mapping[str, str]
    env: Mapping[str, str]
    resources: list[PlanResource] = field(default_factory=list)
    invokes: list[str] = field(default_factory=list)

    def config(self, key: str) -> str | None:
        return self.config_values.get(key)

    def invoke(self, token: str, args: dict[str, Any], provider: str | None) -> dict[str, Any]:
        self.invokes.append(token)
        return mock_outputs.invoke(token, args, self.ctx)

    def register(self, reg: eks_model.Registration) -> eks_model.Registered:
        from pulumi.runtime.mocks import MockMonitor

        from platformctl.engine import plain

        inputs, prop_deps, options = self._transformed(reg)
        urn = self.monitor.make_urn(reg.parent, reg.type, reg.name)
        shown = plain(inputs)
        rid, outputs = mock_outputs.new_resource(reg.type, reg.name, shown, self.ctx) if reg.custom else ("", {})
        self.resources.append(
            PlanResource(
                urn=urn,
                type=reg.type,
                name=reg.name,
                custom=reg.custom,
                parent=reg.parent,
                provider=reg.provider.rsplit("::", 1)[0] if reg.provider else None,
                dependencies=sorted(set(reg.dependencies)),
                property_dependencies=prop_deps,
                inputs=shown,
                options=options,
            )
        )
        # The engine's state: what `pulumi:pulumi:getResource` answers when the program reads a reference to it.
        self.monitor.resources[urn] = MockMonitor.ResourceRegistration(urn, rid, outputs)
        return eks_model.Registered(urn, rid, outputs)

    def _transformed(self, reg: eks_model.Registration) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, Any]]:
        import pulumi

        inputs = dict(reg.inputs)
        prop_deps = {k: list(v) for k, v in reg.property_dependencies.items()}
        opts: dict[str, Any] = {
            "protect": reg.protect,
            "ignore_changes": list(reg.ignore_changes),
            "retain_on_delete": False,
            "delete_before_replace": False,
            "replace_on_changes": [],
            "additional_secret_outputs": [],
        }
        for transform in self.transforms:
            shown = _with_urns(inputs)
            given = pulumi.ResourceOptions(
                protect=opts["protect"],
                ignore_changes=opts["ignore_changes"] or None,
                retain_on_delete=opts["retain_on_delete"] or None,
                delete_before_replace=opts["delete_before_replace"] or None,
                replace_on_changes=opts["replace_on_changes"] or None,
                additional_secret_outputs=opts["additional_secret_outputs"] or None,
            )
            args = pulumi.ResourceTransformArgs(
                custom=reg.custom, type_=reg.type, name=reg.name, props=copy.deepcopy(shown), opts=given
            )
            try:
                result = transform(args)
                if inspect.isawaitable(result):
                    result = asyncio.new_event_loop().run_until_complete(result)
            except Exception as exc:
                raise eks_model.ConstructError(f"a transform failed on {reg.type} {reg.name}: {exc}") from None
            if result is None:
                continue
            new_props = dict(result.props or {})
            for key in set(shown) | set(new_props):
                if key not in new_props:
                    inputs.pop(key, None)
                    prop_deps.pop(key, None)
                elif key not in shown or new_props[key] != shown[key]:
                    _check_plain(new_props[key], f"{reg.type} {reg.name}: a transform set `{key}`")
                    inputs[key] = new_props[key]
                    prop_deps.pop(key, None)  # a plain value a transform wrote depends on nothing
            if result.opts is not None and result.opts is not given:
                before, after = vars(given), vars(result.opts)
                changed = sorted(k for k in after if k not in _MODELLED_OPTIONS and after[k] != before.get(k))
                if changed:
                    raise eks_model.NotModelled(f"a transform changes the option {changed[0]} of {reg.name}")
                for key in _MODELLED_OPTIONS:
                    value = after.get(key)
                    opts[key] = bool(value) if key in ("protect", "retain_on_delete", "delete_before_replace") else (
                        list(value or [])
                    )  # fmt: skip
        options = {
            "protect": bool(opts["protect"]),
            "retainOnDelete": bool(opts["retain_on_delete"]),
            "deleteBeforeReplace": bool(opts["delete_before_replace"]),
            "ignoreChanges": sorted(opts["ignore_changes"]),
            "replaceOnChanges": sorted(opts["replace_on_changes"]),
            "additionalSecretOutputs": sorted(opts["additional_secret_outputs"]),
        }
        return inputs, prop_deps, options


def _with_urns(value: Any) -> Any:
    """Wire values for a transform: resource references as their URN."""
    if isinstance(value, Mapping):
        if value.get(eks_model._SIG) == eks_model._RESOURCE_SIG:
            return value.get("urn")
        return {k: _with_urns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_urns(v) for v in value]
    return value


def _check_plain(value: Any, where: str) -> None:
    if isinstance(value, Mapping):
        for v in value.values():
            _check_plain(v, where)
    elif isinstance(value, list | tuple):
        for v in value:
            _check_plain(v, where)
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise eks_model.NotModelled(f"{where} to a {type(value).__name__}, not a plain value")


@dataclass
class Outcome:
    """What the monitor answers the program and records for one remote component. `failed`: every output is
    unknown to the program (RegisterResourceResponse.result FAIL: the SDK resolves them unknown and goes on)."""

    urn: str
    state: dict[str, Any]
    state_dependencies: dict[str, list[str]]
    resources: list[PlanResource]
    invokes: list[str]
    expansion: RemoteExpansion
    failed: bool = False


def unexpanded(monitor: Any, request: Any, raw_inputs: dict[str, Any], expansion: RemoteExpansion) -> Outcome:
    """A remote component recorded without children: what an analyzer sees of it (no inputs), the program's request
    kept as `remote_inputs`, its outputs unknown."""
    from platformctl.engine import plain, request_options

    urn = monitor.make_urn(request.parent, request.type, request.name)
    component = PlanResource(
        urn=urn,
        type=request.type,
        name=request.name,
        custom=False,
        remote=True,
        parent=request.parent or None,
        provider=None,
        dependencies=sorted(set(request.dependencies)),
        property_dependencies={},
        inputs={},
        options=request_options(request),
        remote_inputs=plain(raw_inputs),
    )
    return Outcome(urn, {}, {}, [component], [], expansion, failed=True)


def construct(
    monitor: Any,
    request: Any,
    ctx: mock_outputs.Ctx,
    *,
    config: Mapping[str, str],
    env: Mapping[str, str],
    raw_inputs: dict[str, Any],
) -> Outcome:
    """Expand one remote `eks:index:Cluster` RegisterResource request (see the module docstring)."""
    from pulumi.runtime.mocks import _resolve_callbacks

    from platformctl.engine import plain

    transforms = [*_resolve_callbacks(request.transforms), *monitor.get_registered_transforms()]
    host = _Host(monitor, ctx, transforms, config, env)
    urn = monitor.make_urn(request.parent, request.type, request.name)
    expansion = RemoteExpansion(
        urn=urn, name=request.name, type=request.type, chart="pulumi-eks", version=eks_model.PULUMI_EKS_VERSION,
        status="not-expanded", model=f"model of {eks_model.SOURCE}",
    )  # fmt: skip
    try:
        req = eks_model.ConstructRequest(
            name=request.name,
            parent=request.parent,
            inputs=eks_model.plain_inputs(raw_inputs),
            input_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items() if v.urns},
            dependencies=list(request.dependencies),
            protect=bool(request.protect),
            providers=dict(request.providers),
        )
        result = eks_model.construct(req, host)
    except (eks_model.NotModelled, eks_model.ConstructError) as exc:
        expansion.status = "failed" if isinstance(exc, eks_model.ConstructError) else "not-expanded"
        expansion.reason = str(exc)
        for r in host.resources:  # a failed construct leaves nothing behind
            monitor.resources.pop(r.urn, None)
        return unexpanded(monitor, request, raw_inputs, expansion)
    component = next(r for r in host.resources if r.urn == result.urn)
    component.remote, component.remote_inputs = True, plain(raw_inputs)
    expansion.status, expansion.objects = "expanded", result.children
    return Outcome(result.urn, result.state, result.state_dependencies, host.resources, host.invokes, expansion)
