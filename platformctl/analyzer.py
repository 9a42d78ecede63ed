"""A CrossGuard Analyzer client: runs policy packs the way the Pulumi engine does, without the Pulumi CLI.

The engine starts a Python policy pack by running its directory (`<python> -u <packdir>`), reads the port the pack
prints on stdout, then speaks the Analyzer gRPC protocol to it: GetAnalyzerInfo, Configure, Analyze (once per
resource) and AnalyzeStack (once, with every resource). This module does the same with the generated stubs that
ship with the pulumi SDK (`pulumi.runtime.proto`), so `platformctl policy` evaluates the very pack code a real
`pulumi preview --policy-pack` runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policies.wire import delimited, encode_struct

LEVEL_TO_PROTO = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
PROTO_TO_LEVEL = {v: k for k, v in LEVEL_TO_PROTO.items()}
# The pack's gRPC server has 4 worker threads; a few more requests in flight keep it busy.
MAX_IN_FLIGHT = 8
# The engine's gRPC message limit, 400 MB (gRPC's default is 4 MB, which a large stack's AnalyzeStack or its
# diagnostics pass): `maxRPCMessageSize = 1024 * 1024 * 400` in pulumi/pulumi sdk/go/common/util/rpcutil/serve.go,
# the engine's analyzer client dials with it (rpcutil.GrpcChannelOptions(), sdk/go/common/resource/plugin/
# analyzer_plugin.go) and the Python policy SDK's server receives up to the same (pulumi_policy/policy.py).
MAX_MESSAGE_BYTES = 1024 * 1024 * 400
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
]
# Every call has a deadline: a pack that hangs (a rule in an endless loop) fails the check instead of the CI job.
CALL_TIMEOUT_SECONDS = float(os.environ.get("PLATFORMCTL_ANALYZER_TIMEOUT", "300"))


class AnalyzerError(RuntimeError):
    """A policy pack failed to start or to answer."""


@dataclass(frozen=True)
class Diagnostic:
    pack: str
    policy: str
    level: str  # advisory | mandatory
    message: str  # what is wrong and what to set (without the policy description the SDK prefixes)
    urn: str
    description: str = ""
    resource_type: str = ""
    resource_name: str = ""
    # The stack config key that decides this finding and its line in the stack file (platformctl.fixhints).
    config_key: str | None = None
    config_line: int | None = None
    # The URN of the resource's parent (for a rendered chart object: the Chart it came from).
    parent: str = ""

    def to_dict(self) -> dict[str, str | int | None]:
        return {
            "parent": self.parent,
            "pack": self.pack,
            "policy": self.policy,
            "level": self.level,
            "message": self.message,
            "urn": self.urn,
            "description": self.description,
            "type": self.resource_type,
            "name": self.resource_name,
            "configKey": self.config_key,
            "configLine": self.config_line,
        }


@dataclass
class Resource:
    """A resource as the engine sends it to analyzers."""

    type: str
    name: str
    urn: str
    properties: Mapping[str, Any]
    parent: str | None = None
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    protect: bool = False
    _wire: bytes | None = field(default=None, repr=False, compare=False)

    def wire_properties(self) -> bytes:
        """The properties as a serialised protobuf Struct, converted once and shared by every pack and call."""
        if self._wire is None:
            try:
                self._wire = to_struct(self.properties).SerializeToString()
            except RecursionError:  # nested deeper than protobuf's runtime recurses: the iterative encoder
                self._wire = encode_struct(self.properties)
        return self._wire


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    level: str
    stack: bool
    config_schema: dict[str, Any]


def find_packs(project: Path) -> list[Path]:
    """Every policy pack directory (one holding a PulumiPolicy.yaml) under <project>/policies."""
    return sorted(p.parent for p in (project / "policies").glob("*/PulumiPolicy.yaml"))


def to_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    try:
        s.update(value)
    except (TypeError, ValueError, AttributeError):
        # tuples, non-str keys and the like: plain JSON first
        s = struct_pb2.Struct()
        s.update(json.loads(json.dumps(value, default=str)))
    return s


def _strip_description(message: str, description: str) -> str:
    if description and message.startswith(description):
        return message[len(description) :].lstrip("\n") or message
    return message


class PolicyPackProcess:
    """One running policy pack: the child process and a gRPC stub to it. Use `start()` then `wait_ready()`
    so that several packs boot in parallel."""

    def __init__(self, pack_dir: Path, python: str | None = None):
        self.dir = pack_dir.resolve()
        self.python = python or sys.executable
        self.proc: subprocess.Popen[bytes] | None = None
        self.channel: grpc.Channel | None = None
        self.stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self.name = pack_dir.name
        self.version = ""
        self.policies: list[PolicyInfo] = []
        self.started_at = 0.0
        self.ready_seconds = 0.0
        self._stderr: list[bytes] = []
        self._raw_methods: dict[str, Any] = {}

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> PolicyPackProcess:
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [self.python, "-u", str(self.dir)],
            cwd=str(self.dir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # Drain stderr in the background so a chatty pack can never block on a full pipe.
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        return self

    def _drain_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)

    def stderr_tail(self, limit: int = 2000) -> str:
        return b"".join(self._stderr).decode(errors="replace")[-limit:]

    def _read_port_line(self, timeout: float) -> str:
        """The first stdout line (the port), or "" if the pack exits or stays silent for `timeout` seconds."""
        assert self.proc is not None and self.proc.stdout is not None
        lines: queue.Queue[bytes] = queue.Queue(maxsize=1)
        stdout = self.proc.stdout
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            return lines.get(timeout=timeout).decode(errors="replace").strip()
        except queue.Empty:
            return ""

    def wait_ready(self, timeout: float = 60.0) -> PolicyPackProcess:
        assert self.proc is not None and self.proc.stdout is not None, "start() first"
        line = self._read_port_line(timeout)
        if not line.isdigit():
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=2)
            err = self.stderr_tail()
            self.close()
            raise AnalyzerError(f"policy pack {self.dir} did not print a port (got {line!r}): {err}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{line}", options=CHANNEL_OPTIONS)
        try:
            grpc.channel_ready_future(self.channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            self.close()
            raise AnalyzerError(f"policy pack {self.dir} did not accept connections on port {line}") from None
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        info = self._call(self.stub.GetAnalyzerInfo, empty_pb2.Empty())
        self.name = info.name
        self.version = info.version
        self.policies = [
            PolicyInfo(
                name=p.name,
                description=p.description,
                level=PROTO_TO_LEVEL.get(p.enforcementLevel, "advisory"),
                stack=p.policy_type == analyzer_pb2.POLICY_TYPE_STACK,
                config_schema=json_format.MessageToDict(p.configSchema.properties),
            )
            for p in info.policies
        ]
        self.ready_seconds = time.perf_counter() - self.started_at
        return self

    def _raw(self, method: str) -> Any:
        """Analyze/AnalyzeStack taking the request already serialised (see _analyze_request)."""
        assert self.channel is not None, "wait_ready() first"
        if method not in self._raw_methods:
            self._raw_methods[method] = self.channel.unary_unary(
                f"/pulumirpc.Analyzer/{method}",
                request_serializer=None,
                response_deserializer=analyzer_pb2.AnalyzeResponse.FromString,
            )
        return self._raw_methods[method]

    @property
    def policy_names(self) -> list[str]:
        return [p.name for p in self.policies]

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
            self._raw_methods = {}
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            for pipe in (self.proc.stdout,):
                if pipe is not None:
                    pipe.close()

    def __enter__(self) -> PolicyPackProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ protocol
    def _call(self, method: Any, request: Any) -> Any:
        try:
            return method(request, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as exc:
            detail = exc.details() if hasattr(exc, "details") else str(exc)
            raise AnalyzerError(f"policy pack {self.name}: {detail}\n{self.stderr_tail()}") from None

    def configure(self, config: Mapping[str, Mapping[str, Any]]) -> None:
        """config: policy name -> {"enforcementLevel": ..., **properties}, as the engine sends it after
        reconciling the pack's defaults with --policy-pack-config."""
        assert self.stub is not None, "wait_ready() first"
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, raw in config.items():
            props = dict(raw)
            level = LEVEL_TO_PROTO[props.pop("enforcementLevel", "mandatory")]
            request.policyConfig[name].CopyFrom(
                analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=to_struct(props))
            )
        self._call(self.stub.Configure, request)

    def _diagnostics(
        self, response: Any, resource: Resource | None, by_urn: Mapping[str, Resource]
    ) -> list[Diagnostic]:
        out = []
        for d in response.diagnostics:
            urn = d.urn or (resource.urn if resource else "")
            r = resource if resource is not None else by_urn.get(urn)
            out.append(
                Diagnostic(
                    pack=d.policyPackName or self.name,
                    policy=d.policyName,
                    level=PROTO_TO_LEVEL.get(d.enforcementLevel, "advisory"),
                    message=_strip_description(d.message, d.description),
                    urn=urn,
                    description=d.description,
                    resource_type=r.type if r else "",
                    resource_name=r.name if r else "",
                )
            )
        return out

    def _analyze_request(self, r: Resource) -> bytes:
        """The serialised AnalyzeRequest: the small fields through protobuf, the properties appended as the
        already serialised Struct (field 2) - never parsed back, so no nesting depth can overflow upb here."""
        head = analyzer_pb2.AnalyzeRequest(
            type=r.type,
            urn=r.urn,
            name=r.name,
            options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect, parent=r.parent or ""),
        )
        return head.SerializeToString() + delimited(2, r.wire_properties())

    def analyze(self, resource: Resource) -> list[Diagnostic]:
        assert self.stub is not None, "wait_ready() first"
        response = self._call(self._raw("Analyze"), self._analyze_request(resource))
        return self._diagnostics(response, resource, {})

    def analyze_many(self, resources: Iterable[Resource], in_flight: int = MAX_IN_FLIGHT) -> list[Diagnostic]:
        """Analyze every resource, keeping a few requests in flight (the pack serves them on its thread pool)."""
        assert self.stub is not None, "wait_ready() first"
        resources = list(resources)
        requests = [self._analyze_request(r) for r in resources]
        results: list[list[Diagnostic]] = [[] for _ in resources]
        pending: list[tuple[int, Any]] = []
        for i, request in enumerate(requests):
            pending.append((i, self._raw("Analyze").future(request, timeout=CALL_TIMEOUT_SECONDS)))
            if len(pending) >= in_flight:
                j, fut = pending.pop(0)
                results[j] = self._diagnostics(self._result(fut), resources[j], {})
        for j, fut in pending:
            results[j] = self._diagnostics(self._result(fut), resources[j], {})
        return [d for chunk in results for d in chunk]

    def _result(self, fut: Any) -> Any:
        try:
            return fut.result()
        except grpc.RpcError as exc:
            detail = exc.details() if hasattr(exc, "details") else str(exc)
            raise AnalyzerError(f"policy pack {self.name}: {detail}\n{self.stderr_tail()}") from None

    def analyze_stack(self, resources: Iterable[Resource]) -> list[Diagnostic]:
        assert self.stub is not None, "wait_ready() first"
        resources = list(resources)
        request = bytearray()
        for r in resources:
            item = analyzer_pb2.AnalyzerResource(
                type=r.type,
                urn=r.urn,
                name=r.name,
                options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect, parent=r.parent or ""),
                parent=r.parent or "",
                dependencies=list(r.dependencies),
            )
            for key, urns in r.property_dependencies.items():
                item.propertyDependencies[key].CopyFrom(analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns)))
            # AnalyzeStackRequest.resources = 1; AnalyzerResource.properties = 2 (appended pre-serialised)
            request += delimited(1, item.SerializeToString() + delimited(2, r.wire_properties()))
        response = self._call(self._raw("AnalyzeStack"), bytes(request))
        return self._diagnostics(response, None, {r.urn: r for r in resources})


def start_packs(pack_dirs: Sequence[Path], python: str | None = None, timeout: float = 60.0) -> list[PolicyPackProcess]:
    """Start every pack at once (each needs ~0.4 s to import its SDK), then wait for all of them."""
    packs = [PolicyPackProcess(d, python).start() for d in pack_dirs]
    try:
        with ThreadPoolExecutor(max_workers=max(1, len(packs))) as pool:
            list(pool.map(lambda p: p.wait_ready(timeout), packs))
    except BaseException:
        for p in packs:
            p.close()
        raise
    return packs
