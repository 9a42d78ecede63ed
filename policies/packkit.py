"""The thin glue between the pure rules (policies.rules) and the pulumi_policy SDK, shared by both packs.

A rule is `check(type_token, props, config) -> list[str]` for a resource policy, or
`check(resources: list[StackResource], config) -> list[Finding]` for a stack policy, where `props` are plain
dicts (unknown preview values marked `UNKNOWN`) and `config` is whatever the engine sent for the policy; the rule
resolves it against the catalog defaults (policies.rules.config.resolve). A bad config value becomes a violation
that says so, rather than a crashed analyzer.

`serve()` runs a pack: the SDK's PolicyPack (policy info, Configure, the gRPC server on the port it prints) with
`Analyze` and `AnalyzeStack` answered by `_Servicer`, which differs from the SDK's own in four ways:

* each resource's properties are decoded once per request (the SDK decodes and proxies them again for every
  policy), and only when some enabled policy applies to the resource's type - checked first;
* decoding never raises: NaN and infinities, unknown sentinels and unrecognised signature objects all become
  values the rules handle (the SDK's `json_format.MessageToDict` raises on NaN, its deserializer on an unknown
  signature, and either aborts the whole call, losing every policy's verdict on the resource);
* secrets arrive as the secret signature object (the engine marshals with KeepSecrets): their plaintext is
  checked like any value but replaced by `[secret]` in every message;
* every rule runs behind a guard: an unexpected exception becomes one *mandatory* violation naming the policy
  and the property that triggered it (found by removing properties until the rule stops failing), so one bug
  cannot erase the other policies' verdicts. A `Deferred` message (rests on values unknown at preview) is
  reported as advisory, whatever the policy's level.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy import policy as sdk_policy

from policies import wire
from policies.rules.config import POLICIES, PolicyConfigError, config_schema
from policies.rules.values import Deferred, Finding, StackResource, decode_struct, mask, plain, secret_texts, show

ResourceCheck = Callable[..., list[str]]
StackCheck = Callable[[list[StackResource], Mapping[str, Any]], list[Finding]]
# Marks the message of a failed rule; tests look for it (no hostile input may ever produce one).
GUARD_MARKER = "could not be evaluated"
_GUARD_BUDGET = 48  # rule re-runs spent locating the property behind an exception


@dataclass(frozen=True)
class _Rule:
    """What the servicer runs for one policy (attached to the SDK policy object as `eks_rule`)."""

    name: str
    applies: Callable[[str], bool]
    resource: ResourceCheck | None = None  # called as (type, props, config, urn=...) when it takes a urn
    stack: StackCheck | None = None
    wants_urn: bool = False
    stack_applies: Callable[[str], bool] = lambda _t: True  # whose properties the stack check reads


def _schema(name: str) -> PolicyConfigSchema | None:
    props = config_schema(name)
    return PolicyConfigSchema(properties=props) if props else None


def _validate_unused(args: Any, report: Any) -> None:  # the servicer below never calls the SDK's validate
    raise AssertionError("eks-platform packs are served by policies.packkit._Servicer")


def resource_policy(
    name: str, check: ResourceCheck, applies: Callable[[str], bool] | None = None, *, wants_urn: bool = False
) -> ResourceValidationPolicy:
    spec = POLICIES[name]
    policy = ResourceValidationPolicy(
        name=name,
        description=spec.description,
        validate=_validate_unused,
        enforcement_level=EnforcementLevel(spec.default_level),
        config_schema=_schema(name),
    )
    policy.eks_rule = _Rule(name, applies or (lambda _t: True), resource=check, wants_urn=wants_urn)  # type: ignore[attr-defined]
    return policy


def stack_policy(name: str, check: StackCheck, reads: Callable[[str], bool] | None = None) -> StackValidationPolicy:
    """A stack policy; `reads`: the types whose properties `check` reads (the others arrive with no properties)."""
    spec = POLICIES[name]
    policy = StackValidationPolicy(
        name=name,
        description=spec.description,
        validate=_validate_unused,
        enforcement_level=EnforcementLevel(spec.default_level),
        config_schema=_schema(name),
    )
    policy.eks_rule = _Rule(name, lambda _t: False, stack=check, stack_applies=reads or (lambda _t: True))  # type: ignore[attr-defined]
    return policy


def resource_and_stack_policy(
    name: str, resource_check: ResourceCheck, stack_check: StackCheck, applies: Callable[[str], bool]
) -> ResourceValidationPolicy:
    """One policy that validates in both phases - each resource (Analyze), then the whole stack (AnalyzeStack) -
    under a single name, config and enforcement level. The resource check is called with `urn=`; both phases
    read the types `applies` accepts."""
    policy = resource_policy(name, resource_check, applies, wants_urn=True)
    rule = _Rule(name, applies, resource=resource_check, stack=stack_check, wants_urn=True, stack_applies=applies)
    policy.eks_rule = rule  # type: ignore[attr-defined]
    return policy


# ------------------------------------------------------------------------------------------- the guard


def _without(value: Any, path: tuple[Any, ...]) -> Any:
    """A shallow copy of `value` with the element at `path` (dict keys, list indexes) emptied: a container becomes
    empty (so code that reads it still finds one), a scalar is removed."""
    head, *rest = path
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if rest:
        copy[head] = _without(copy[head], tuple(rest))
    elif isinstance(copy[head], dict | list):
        copy[head] = type(copy[head])()
    elif isinstance(copy, dict):
        del copy[head]
    else:
        copy.pop(head)
    return copy


def _culprit(run: Callable[[Any], Any], props: Mapping[str, Any]) -> str | None:
    """The deepest property path whose emptying makes `run(props)` stop raising (a depth-first search within a
    small budget of re-runs), or None."""
    budget = [_GUARD_BUDGET]

    def works(path: tuple[Any, ...]) -> bool:
        budget[0] -= 1
        try:
            run(_without(props, path))
        except Exception:
            return False
        return True

    def search(path: tuple[Any, ...], node: Any) -> tuple[Any, ...] | None:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        for key in keys:
            if budget[0] <= 0:
                return None
            child, here = node[key], (*path, key)
            nested = isinstance(child, dict | list) and bool(child)
            if works(here):
                return (search(here, child) if nested else None) or here
            if nested and (found := search(here, child)):
                return found
        return None

    path = search((), props)
    if not path:
        return None
    return "".join(f"[{k}]" if isinstance(k, int) else (f".{k}" if i else str(k)) for i, k in enumerate(path))


def _guarded(name: str, run: Callable[[Any], list[Any]], props: Any) -> tuple[list[Any], str | None]:
    """(`run(props)`'s messages, None) or, when it raises, ([], the guard's violation message)."""
    try:
        return run(props), None
    except PolicyConfigError as exc:
        return [f"invalid configuration for policy {name}: {'; '.join(exc.problems)}"], None
    except Exception as exc:  # a bug in a rule: never let it erase the other policies' verdicts
        field = _culprit(run, props) if isinstance(props, dict) else None
        where = f"property `{field}`" if field else "this resource's properties"
        return [], (
            f"policy {name} {GUARD_MARKER}: it failed on {where} ({type(exc).__name__}: {show(str(exc), 120)}); "
            "the resource is refused until the policy can check it - fix the property or report the bug"
        )


# ------------------------------------------------------------------------------------------- the servicer


class _Servicer(sdk_policy._PolicyAnalyzerServicer):
    """The SDK's servicer with Analyze and AnalyzeStack as described in the module docstring."""

    @property
    def _policies(self) -> list[Any]:
        return self._PolicyAnalyzerServicer__policies  # type: ignore[attr-defined]

    def _reporter(self, response: Any, policy: Any, level: EnforcementLevel, secrets: list[str]) -> Any:
        report = self._create_report_violation(response, policy.name, policy.description, level, policy.severity)

        def masked(message: str, urn: str | None = None) -> None:
            report(mask(message, secrets), urn)

        return masked

    def _emit(self, response: Any, policy: Any, level: EnforcementLevel, messages: list[Any], secrets: list[str]):
        report = self._reporter(response, policy, level, secrets)
        advisory = self._reporter(response, policy, EnforcementLevel.ADVISORY, secrets)
        for item in messages:
            message, urn = (item.message, item.urn or None) if isinstance(item, Finding) else (item, None)
            (advisory if isinstance(message, Deferred) else report)(message, urn)

    def _level(self, policy: Any) -> EnforcementLevel:
        level = self._get_enforcement_level(policy)
        return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level

    def _config(self, name: str) -> dict[str, Any]:
        """The policy's config as plain data, the same object until the next Configure (so that the rules'
        resolve() of it is computed once, not per resource)."""
        cache: dict[str, dict[str, Any]] = self.__dict__.setdefault("_eks_configs", {})
        if name not in cache:
            cache[name] = plain(self._get_policy_config(name) or {})
        return cache[name]

    def Configure(self, request: Any, context: Any) -> Any:
        self.__dict__.pop("_eks_configs", None)
        return super().Configure(request, context)

    def Analyze(self, request: Any, _context: Any) -> Any:
        response = proto.AnalyzeResponse()
        props: dict[str, Any] | None = None
        secrets: list[str] = []
        for policy in self._policies:
            rule: _Rule | None = getattr(policy, "eks_rule", None)
            if rule is None or rule.resource is None:
                continue
            level = self._level(policy)
            if level == EnforcementLevel.DISABLED or not rule.applies(request.type):
                continue
            if props is None:
                raw_secrets: list[Any] = []
                props = _request_props(request, raw_secrets)
                secrets = secret_texts(raw_secrets)
            run = functools.partial(_check_resource, rule, request.type, request.urn, self._config(policy.name))
            messages, failure = _guarded(policy.name, run, props)
            self._emit(response, policy, level, messages, secrets)
            if failure:
                self._reporter(response, policy, EnforcementLevel.MANDATORY, secrets)(failure)
        return response

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:
        response = proto.AnalyzeResponse()
        resources: list[StackResource] | None = None
        secrets: list[str] = []
        for policy in self._policies:
            rule: _Rule | None = getattr(policy, "eks_rule", None)
            if rule is None or rule.stack is None:
                continue
            level = self._level(policy)
            if level == EnforcementLevel.DISABLED:
                continue
            if resources is None:
                rules = [getattr(p, "eks_rule", None) for p in self._policies]
                wanted = [x.stack_applies for x in rules if x is not None and x.stack is not None]
                raw_secrets: list[Any] = []
                resources = [_stack_resource(r, raw_secrets, any(w(r.type) for w in wanted)) for r in request.resources]
                secrets = secret_texts(raw_secrets)
            run = functools.partial(rule.stack, config=self._config(policy.name))
            findings, failure = _guarded(policy.name, run, resources)
            self._emit(response, policy, level, findings, secrets)
            if failure:
                self._reporter(response, policy, EnforcementLevel.MANDATORY, secrets)(failure)
        return response


def _check_resource(rule: _Rule, type_token: str, urn: str, config: dict[str, Any], props: Any) -> list[Any]:
    assert rule.resource is not None
    if rule.wants_urn:
        return rule.resource(type_token, props, config, urn=urn)
    return rule.resource(type_token, props, config)


def _stack_resource(r: Any, secrets: list[Any], decode: bool) -> StackResource:
    """One resource of AnalyzeStack; its properties decoded only when a stack policy reads its type."""
    return StackResource(
        type=r.type,
        urn=r.urn,
        name=r.name,
        props=_request_props(r, secrets) if decode else {},
        parent=r.parent or None,
        dependencies=list(r.dependencies),
        property_dependencies={k: list(v.urns) for k, v in r.propertyDependencies.items()},
    )


# ------------------------------------------------------------------------------------------- requests


class _Decoded:
    """A request message whose `properties` may be too deeply nested for the protobuf runtime: the message without
    them (parsed normally) and the properties' bytes, decoded by policies.wire when a rule first needs them
    (`props`): most large objects (a chart's CRDs) are of types no rule of the pack judges, and decoding in Python
    is what a large request costs."""

    def __init__(self, message: Any, props_bytes: bytes | None) -> None:
        self._message, self._props_bytes = message, props_bytes
        self._decoded: tuple[dict[str, Any], list[Any]] | None = None

    def props(self) -> tuple[dict[str, Any], list[Any]]:
        if self._decoded is None:
            secrets: list[Any] = []
            data = self._props_bytes
            self._decoded = (wire.decode_struct(data, secrets) if data is not None else {}), secrets
        return self._decoded

    def __getattr__(self, name: str) -> Any:
        return getattr(self._message, name)


# AnalyzeRequest and AnalyzerResource: properties = 2, provider = 6 (pulumi/proto/pulumi/analyzer.proto).
_DEEP_FIELDS = frozenset({2, 6})
# upb parses recursively in C: a Struct nested ~7,000 lists deep overflows the thread's stack and kills the pack
# (measured with protobuf 5.29). Every nesting level takes at least 2 bytes, so a message under this size cannot
# get near that; larger ones have their properties decoded by policies.wire, which does not recurse.
_UPB_SAFE_BYTES = 8 * 1024


def _resource_message(cls: Any, data: bytes) -> Any:
    if len(data) <= _UPB_SAFE_BYTES:
        try:
            return cls.FromString(data)
        except DecodeError:
            pass
    rest, taken = wire.strip_fields(data, _DEEP_FIELDS)
    return _Decoded(cls.FromString(rest), taken[2][-1] if 2 in taken else None)


def _analyze_request(data: bytes) -> Any:
    return _resource_message(proto.AnalyzeRequest, data)


class _StackRequest:
    def __init__(self, resources: list[Any]) -> None:
        self.resources = resources


def _analyze_stack_request(data: bytes) -> Any:
    if len(data) <= _UPB_SAFE_BYTES:
        return proto.AnalyzeStackRequest.FromString(data)
    _, taken = wire.strip_fields(data, frozenset({1}))  # resources = 1
    return _StackRequest([_resource_message(proto.AnalyzerResource, item) for item in taken.get(1, [])])


def _request_props(request: Any, secrets: list[Any]) -> dict[str, Any]:
    if isinstance(request, _Decoded):
        props, found = request.props()
        secrets += found
        return props
    found: list[Any] = []
    try:
        props = decode_struct(request.properties, found)
    except RecursionError:  # parsed, but deeper than Python recurses: the iterative decoder
        found = []
        props = wire.decode_struct(request.properties.SerializeToString(), found)
    secrets += found
    return props


def _tolerant_handlers(servicer: Any) -> Any:
    """Analyze and AnalyzeStack with request deserializers that accept properties of any depth (the SDK's
    generated handlers use FromString, which fails the call - and the engine's preview - past 100 levels)."""
    handlers = {
        "Analyze": grpc.unary_unary_rpc_method_handler(
            servicer.Analyze,
            request_deserializer=_analyze_request,
            response_serializer=proto.AnalyzeResponse.SerializeToString,
        ),
        "AnalyzeStack": grpc.unary_unary_rpc_method_handler(
            servicer.AnalyzeStack,
            request_deserializer=_analyze_stack_request,
            response_serializer=proto.AnalyzeResponse.SerializeToString,
        ),
    }
    return grpc.method_handlers_generic_handler("pulumirpc.Analyzer", handlers)


def serve(name: str, policies: list[Any]) -> None:
    """Run the pack until its parent goes away: the SDK's PolicyPack, answered by `_Servicer`.

    PolicyPack builds its servicer from the module attribute `_PolicyAnalyzerServicer` and registers it with
    `analyzer_pb2_grpc.add_AnalyzerServicer_to_server` (pulumi-policy 1.x, pinned in uv.lock): we point the first at
    our subclass and register our Analyze/AnalyzeStack handlers ahead of the generated ones (gRPC asks generic
    handlers in order). tests/policies/ drive the packs over gRPC, so an SDK change that breaks this fails them.
    """
    sdk_policy._PolicyAnalyzerServicer = _Servicer  # type: ignore[misc]
    register = sdk_policy.analyzer_pb2_grpc.add_AnalyzerServicer_to_server

    def add_servicer(servicer: Any, server: Any) -> None:
        server.add_generic_rpc_handlers((_tolerant_handlers(servicer),))
        register(servicer, server)

    sdk_policy.analyzer_pb2_grpc.add_AnalyzerServicer_to_server = add_servicer
    exit_with_parent()
    PolicyPack(name=name, enforcement_level=EnforcementLevel.MANDATORY, policies=policies)


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
