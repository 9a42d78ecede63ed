"""The offline engine: run the real `__main__.py` under Pulumi's mocks and record every resource.

Only the engine is swapped (`pulumi.runtime.set_mocks` with a recording monitor); the program has no
offline branches. No Pulumi CLI, credentials or network are used. What is recorded per resource is
what the engine itself receives in a RegisterResource request: type, name, parent, dependencies,
property dependencies, inputs and resource options. For taggable AWS types the engine also computes
`tagsAll` (provider default tags merged with the resource's own), as the AWS provider does in a real
preview, because that is what policies see there.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import runpy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from components.chart_cache import cache_dir
from components.config import ConfigError, StackConfig
from components.config.fleet import GLOBAL_PROJECT
from components.config.global_stack import validate_global_file
from components.config.stack import SecretValue, short_stack_name, stack_file, validate_file
from platformctl import eks_expand, eks_model, mock_outputs
from platformctl.expand import _CHILD_OPTIONS, CHART_TYPE, ExpandContext, ExpandResult, RemoteExpansion, expand_plan
from platformctl.paths import project_root
from platformctl.plan import ENGINE_UNKNOWN, UNKNOWN_PLACEHOLDER, Plan, PlanResource, engine_value
from policies.rules.aws_taggable import is_taggable

T = TypeVar("T")

SECRET_PLACEHOLDER = "[secret]"

# Pulumi's wire signatures for special values inside a property struct.
_SIG = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
_UNKNOWN = ENGINE_UNKNOWN
# `pulumi.StackReference` reads a resource of this type; the engine answers with the other stack's outputs.
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
# Resolves a StackReference name (org/project/stack) offline: (outputs as that stack's plan has them, the names of
# its secret outputs). Raises UnresolvedReference when it cannot.
References = Callable[[str], tuple[dict[str, Any], list[str]]]


class UnresolvedReference(Exception):
    """A StackReference the offline engine cannot answer (the message says why)."""


def plain(value: Any) -> Any:
    """A property value off the wire as plain JSON: secrets masked, references as URNs."""
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET_SIG:
            return SECRET_PLACEHOLDER
        if sig == _RESOURCE_SIG:
            return value.get("urn")
        if sig == _OUTPUT_SIG:
            if value.get("secret"):
                return SECRET_PLACEHOLDER
            return plain(value["value"]) if "value" in value else UNKNOWN_PLACEHOLDER
        if sig in (_ASSET_SIG, _ARCHIVE_SIG):
            return {k: plain(v) for k, v in value.items() if k != _SIG}
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value == _UNKNOWN:
        return UNKNOWN_PLACEHOLDER
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _struct_to_dict(struct: Any) -> dict[str, Any]:
    from google.protobuf import json_format

    return json_format.MessageToDict(struct, preserving_proto_field_name=True) if struct is not None else {}


def _provider_default_tags(inputs: Mapping[str, Any]) -> dict[str, str]:
    # Provider inputs arrive JSON-encoded for nested values (first-class provider convention).
    raw = inputs.get("defaultTags")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    tags = (raw or {}).get("tags") if isinstance(raw, dict) else None
    return dict(tags) if isinstance(tags, dict) else {}


@dataclass
class _Recorder:
    region: str
    resources: list[PlanResource] = field(default_factory=list)
    invokes: list[str] = field(default_factory=list)
    provider_tags: dict[str, dict[str, str]] = field(default_factory=dict)
    stack_urn: str = ""
    # StackReference name -> the output names it offered; and those that could not be resolved, with why.
    references: dict[str, list[str]] = field(default_factory=dict)
    unresolved: dict[str, str] = field(default_factory=dict)
    # Remote components expanded while the program runs (their outputs feed it): eks:index:Cluster.
    expansions: list[Any] = field(default_factory=list)
    # What a component provider reads besides its inputs: the stack's config and the environment of the engine.
    config: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)


class _WhollyUnknown(Exception):
    """An invoke whose answer only AWS knows at deploy time (mock_outputs.invoke answered None)."""


def _stack_reference(name: str, recorder: _Recorder, references: References | None) -> tuple[str, dict[str, Any]]:
    """What the engine reads for a StackReference: the other stack's outputs. Offline they come from that stack's
    offline plan; what the plan shows as unknown stays unknown, secrets stay masked (and listed as secret)."""
    try:
        if references is None:
            raise UnresolvedReference("no other stack is planned in this run (plan the fleet: --fleet)")
        outputs, secret_names = references(name)
    except UnresolvedReference as exc:
        recorder.unresolved[name] = str(exc)
        outputs, secret_names = {}, []

    recorder.references[name] = sorted(outputs)
    return name, {"name": name, "outputs": engine_value(outputs), "secretOutputNames": sorted(secret_names)}


def _make_monitor(recorder: _Recorder, ctx: mock_outputs.Ctx, references: References | None = None):
    from pulumi.runtime import mocks

    class PlanMocks(mocks.Mocks):
        def new_resource(self, args: mocks.MockResourceArgs):
            if args.typ == STACK_REFERENCE_TYPE:
                return _stack_reference(str(args.inputs.get("name") or args.resource_id), recorder, references)
            return mock_outputs.new_resource(args.typ, args.name, args.inputs, ctx)

        def call(self, args: mocks.MockCallArgs):
            recorder.invokes.append(args.token)
            answer = mock_outputs.invoke(args.token, args.args, ctx)
            if answer is None:
                raise _WhollyUnknown()
            return answer

    class RecordingMonitor(mocks.MockMonitor):
        """MockMonitor that keeps the whole RegisterResource request (options, dependencies) for the plan."""

        def Invoke(self, request):
            from pulumi.runtime.proto import resource_pb2

            try:
                return super().Invoke(request)
            except _WhollyUnknown:
                return resource_pb2.ResourceInvokeResponse(unknown=True)

        def make_urn(self, parent: str, type_: str, name: str) -> str:
            # The real engine's URN: the parent's whole qualified type chain, and no root-stack prefix.
            if parent:
                parent_type = parent.split("::")[2]
                if parent_type != "pulumi:pulumi:Stack":
                    type_ = f"{parent_type}${type_}"
            return super().make_urn("", type_, name)

        def ReadResource(self, request):
            # A StackReference is a read: the real engine keeps it in the stack's state (a `read` step), and resources
            # that use its outputs depend on it.
            response = super().ReadResource(request)
            if request.type == STACK_REFERENCE_TYPE:
                recorder.resources.append(
                    PlanResource(
                        urn=response.urn,
                        type=request.type,
                        name=request.name,
                        custom=True,
                        remote=False,
                        parent=request.parent or None,
                        provider=None,
                        dependencies=sorted(set(request.dependencies)),
                        property_dependencies={},
                        inputs={"name": request.id},
                        options=dict(_CHILD_OPTIONS),  # the options of a resource that sets none
                    )
                )
            return response

        def RegisterResource(self, request):
            if request.remote and request.type == eks_model.COMPONENT_TYPE:
                raw = _struct_to_dict(request.object)
                outcome = eks_expand.construct(
                    self, request, ctx, config=recorder.config, env=recorder.env, raw_inputs=raw
                )
                return self._answer(outcome)
            if request.remote and request.type != CHART_TYPE:  # charts are rendered after the run (expand_plan)
                package = request.type.split(":")[0]
                expansion = RemoteExpansion(
                    urn=self.make_urn(request.parent, request.type, request.name), name=request.name,
                    type=request.type, chart=package, version=request.version, status="not-expanded",
                    reason=f"no offline model of {request.type}",
                )  # fmt: skip
                return self._answer(eks_expand.unexpanded(self, request, _struct_to_dict(request.object), expansion))
            response = super().RegisterResource(request)
            if request.type == "pulumi:pulumi:Stack":
                recorder.stack_urn = response.urn
                return response
            inputs = plain(_struct_to_dict(request.object))
            prop_deps = {k: sorted(v.urns) for k, v in request.propertyDependencies.items() if v.urns}
            resource = PlanResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                remote=bool(request.remote),
                parent=request.parent or None,
                # A provider reference is "<provider urn>::<provider id>".
                provider=request.provider.rsplit("::", 1)[0] if request.provider else None,
                dependencies=sorted(set(request.dependencies)),
                property_dependencies=prop_deps,
                inputs=inputs,
                options=request_options(request),
            )
            if request.type == "pulumi:providers:aws":
                recorder.provider_tags[response.urn] = _provider_default_tags(inputs)
            recorder.resources.append(resource)
            return response

        def _answer(self, outcome: eks_expand.Outcome):
            """Record a remote component's outcome and answer the program with its outputs (and their dependencies
            on the children), or, when it was not expanded, with every output unknown."""
            from google.protobuf import struct_pb2
            from pulumi.runtime.proto import resource_pb2

            recorder.resources.extend(outcome.resources)
            recorder.invokes.extend(outcome.invokes)
            recorder.expansions.append(outcome.expansion)
            state = struct_pb2.Struct()
            state.update(outcome.state)
            deps = resource_pb2.RegisterResourceResponse.PropertyDependencies
            return resource_pb2.RegisterResourceResponse(
                urn=outcome.urn,
                object=state,
                propertyDependencies={k: deps(urns=v) for k, v in outcome.state_dependencies.items()},
                result=resource_pb2.Result.FAIL if outcome.failed else resource_pb2.Result.SUCCESS,
            )

    return RecordingMonitor(PlanMocks())


def request_options(request: Any) -> dict[str, Any]:
    """The resource options of a RegisterResource request, as the plan records them."""
    return {
        "protect": bool(request.protect),
        "retainOnDelete": bool(request.retainOnDelete),
        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
        "ignoreChanges": sorted(request.ignoreChanges),
        "replaceOnChanges": sorted(request.replaceOnChanges),
        "additionalSecretOutputs": sorted(request.additionalSecretOutputs),
    }


def _runtime_config(values: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The config map as the engine hands it to a program: strings, objects JSON-encoded."""
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in values.items():
        if isinstance(value, SecretValue):
            # Secure values cannot be decrypted offline: a marked placeholder, flagged secret.
            config[key] = f"[secret placeholder for {key}]"
            secret_keys.append(key)
        elif isinstance(value, str):
            config[key] = value
        else:
            config[key] = json.dumps(value)
    return config, secret_keys


def _project_name(project_dir: Path) -> str:
    doc = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}
    return str(doc.get("name", "eks-platform"))


def run_plan(
    stack: str,
    config_file: Path | None = None,
    project_dir: Path | None = None,
    references: References | None = None,
) -> Plan:
    """Validate the stack's config, run the program offline and return the recorded plan.

    `project_dir` is the cluster program (the repository root) or the global program (`global/`). StackReferences
    are answered by `references`; by default the stacks they name are planned offline first (platformctl.fleet).
    Raises `components.config.ConfigError` (print `.lines`, exit 2) before anything is declared.
    """
    project_dir = (project_dir or project_root()).resolve()
    path = Path(config_file) if config_file else stack_file(project_dir, stack)
    program = _project_name(project_dir)
    if program == GLOBAL_PROJECT:  # the global program's own config (global/)
        cfg, values = validate_global_file(path, short_stack_name(stack))
    else:
        cfg, values = validate_file(path, stack, project_dir)
    if references is None:
        from platformctl.fleet import OfflineReferences

        references = OfflineReferences(project_dir.parent if program == GLOBAL_PROJECT else project_dir)
    prepare = getattr(references, "prepare", None)
    if prepare is not None:  # the stacks this one reads are planned first, not from inside its run
        prepare(program, short_stack_name(stack))
    return _run(project_dir, short_stack_name(stack), cfg, values, references)


def run_with_mocks(
    body: Callable[[], T],
    mocks: Any,
    *,
    project: str,
    stack: str,
    monitor: Any = None,
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
    then: Callable[[T], Any] | None = None,
    logger: logging.Logger | None = None,
) -> Any:
    """Run `body` (which declares resources) under Pulumi's mocks in an isolated runtime.

    Each call gets a fresh context (Pulumi keeps its settings and root stack in context variables), a fresh
    event loop and a fresh pending-output set; every RPC is drained before returning, also when `body`
    raises, so no run leaks work into the next. `then(result)` runs after the drain (for reading outputs).
    Tests that exercise one component with their own mocks use this too.
    """

    def isolated() -> Any:
        import asyncio

        import pulumi
        from pulumi.runtime import config as runtime_config
        from pulumi.runtime import resource as runtime_resource
        from pulumi.runtime import settings
        from pulumi.runtime.proto import source_pb2
        from pulumi.runtime.stack import wait_for_rpcs
        from pulumi.runtime.sync_await import _sync_await

        # Pulumi's runtime drives its RPCs on the thread's event loop; give each run a fresh one.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        # The SDK attaches a source-position stack trace (every frame, as file URIs) to each registration for the
        # engine's UI. The mock engine never reads it and it costs ~1 ms per resource, so it is not computed here.
        stack_trace = runtime_resource._get_stack_trace
        runtime_resource._get_stack_trace = source_pb2.StackTrace
        try:
            runtime_config.set_all_config(dict(config or {}), list(secret_keys or []))
            pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor, logger=logger)
            # The pending-output set defaults to one object shared by every fresh context: a run that aborted
            # would leave tasks of a dead event loop in it and hang the next run's wait.
            settings.SETTINGS.outputs = set()
            try:
                result = body()
            except BaseException:
                with contextlib.suppress(Exception):
                    _sync_await(wait_for_rpcs())
                raise
            _sync_await(wait_for_rpcs())
            return then(result) if then else result
        finally:
            runtime_resource._get_stack_trace = stack_trace
            # The mock monitor runs on worker threads that each keep an event loop; joining them now lets
            # those loops be released while the interpreter is healthy (not at exit, where they error).
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
            asyncio.set_event_loop(None)

    return contextvars.Context().run(isolated)


class ProgramRefused(ConfigError):
    """The program stopped with `pulumi.RunError` (e.g. a cached chart archive that is not the pinned one): the
    message is for the user, as `pulumi up` shows it; callers print it and exit 2, like a config error."""

    def __init__(self, message: str):
        self.message = message
        super().__init__([])

    @property
    def lines(self) -> list[str]:
        return [f"error: {line}" if i == 0 else line for i, line in enumerate(self.message.splitlines())]


class _WarningLog(logging.Handler):
    """What the program logs through `pulumi.log` (the engine shows warnings and errors in a preview)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class UnresolvedReferences(ConfigError):
    """StackReferences the offline engine could not answer: one line each (exit 2, like a config error)."""

    def __init__(self, unresolved: Mapping[str, str]):
        self.unresolved = dict(unresolved)
        super().__init__([])

    @property
    def lines(self) -> list[str]:
        return [f"error: StackReference {name}: {why}" for name, why in sorted(self.unresolved.items())]


def _run(
    project_dir: Path, stack: str, cfg: StackConfig, values: Mapping[str, Any], references: References | None = None
) -> Plan:
    from pulumi.runtime import settings

    project = _project_name(project_dir)
    config, secret_keys = _runtime_config(values)
    recorder = _Recorder(region=cfg.region, config=config, env=dict(os.environ))
    warnings = _WarningLog()
    logger = logging.getLogger(f"platformctl.engine.{id(warnings)}")
    logger.propagate = False
    logger.addHandler(warnings)
    # The mocked AWS answers as the stack's account, and as the role it assumes (aws:assumeRoles) if any.
    role = cfg.aws_settings.assume_roles[-1] if cfg.aws_settings.assume_roles else None
    ctx = mock_outputs.Ctx(
        region=cfg.region,
        account=cfg.account,
        role_arn=role.role_arn if role else None,
        session_name=role.session_name if role else None,
    )
    monitor = _make_monitor(recorder, ctx, references)

    def program() -> None:
        added = str(project_dir) not in sys.path
        if added:
            sys.path.insert(0, str(project_dir))
        try:
            runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")
        finally:
            if added:
                sys.path.remove(str(project_dir))

    import pulumi

    try:
        outputs = run_with_mocks(
            program,
            monitor.mocks,
            project=project,
            stack=stack,
            monitor=monitor,
            config=config,
            secret_keys=secret_keys,
            then=lambda _: _stack_outputs(settings.get_root_resource()),
            logger=logger,
        )
    except (pulumi.RunError, mock_outputs.UnmodelledError) as exc:
        # UnmodelledError: the program asked something the offline engine cannot answer faithfully.
        raise ProgramRefused(str(exc)) from None
    except Exception:
        if recorder.unresolved:  # the program failed on what it read: say which reference, not its KeyError
            raise UnresolvedReferences(recorder.unresolved) from None
        raise
    if recorder.unresolved:
        raise UnresolvedReferences(recorder.unresolved)

    for r in recorder.resources:
        if r.parent == recorder.stack_urn:
            r.parent = None
        if r.type.startswith("aws:") and is_taggable(r.type):
            tags = r.inputs.get("tags") if isinstance(r.inputs.get("tags"), dict) else {}
            r.tags_all = {**recorder.provider_tags.get(r.provider or "", {}), **tags}
    cluster = getattr(cfg, "cluster", None)  # the global program has no cluster, and no chart to expand
    expanded = (
        expand_plan(
            recorder.resources,
            ExpandContext(
                project=project,
                stack=stack,
                project_dir=project_dir,
                kubernetes_version=cluster.version,
                cache=cache_dir(project_dir),
            ),
        )
        if cluster is not None
        else ExpandResult([], [], [])
    )
    for r in recorder.resources:
        if r.type == CHART_TYPE:
            # The provider registers the Chart component with no inputs: that is what analyzers see.
            r.remote_inputs, r.inputs = r.inputs, {}
    return Plan(
        project=project,
        stack=stack,
        config=cfg,
        resources=[*recorder.resources, *expanded.children],
        outputs=outputs,
        invokes=sorted(set(recorder.invokes)),
        expansions=[*recorder.expansions, *expanded.expansions],
        warnings=[*warnings.messages, *expanded.warnings, *_unknown_zones(cfg.region, recorder.invokes)],
        references=dict(recorder.references),
    )


def _unknown_zones(region: str, invokes: list[str]) -> list[str]:
    from components import aws_regions

    if mock_outputs.AVAILABILITY_ZONES not in invokes or aws_regions.region(region) is not None:
        return []
    return [
        f"the Availability Zones of {region} are not in components/aws_regions.py: they are unknown in this plan "
        "(subnets' zones show [unknown]) and platform:network.azCount is not checked against the Region"
    ]


def _stack_outputs(root: Any) -> dict[str, Any]:
    """Resolve `pulumi.export`ed values; secrets masked."""
    import pulumi
    from pulumi.runtime.sync_await import _sync_await

    if root is None:
        return {}
    raw = getattr(root, "outputs", {}) or {}

    async def resolve(value: Any) -> Any:
        if isinstance(value, pulumi.Output):
            if await value.is_secret():
                return SECRET_PLACEHOLDER
            if not await value.is_known():
                return UNKNOWN_PLACEHOLDER
            return await resolve(await value.future())
        if isinstance(value, dict):
            return {k: await resolve(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [await resolve(v) for v in value]
        if isinstance(value, pulumi.Resource):
            return await resolve(value.urn)
        return value

    return {k: _sync_await(resolve(v)) for k, v in raw.items()}
