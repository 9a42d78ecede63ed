"""`platformctl policy STACK`: the stack's offline plan, checked by the real policy packs over gRPC.

1. Every pack under policies/ (a directory with PulumiPolicy.yaml) is started at once with this interpreter,
   exactly as the Pulumi engine starts it; the packs boot while the program runs offline (platformctl.engine).
2. The stack's policy config (`policies/config/<stack>.json`, else `<environment>.json`, else the packs'
   defaults) is validated, split per pack and sent with Configure, defaults filled in as the engine does.
3. Every resource goes to Analyze (type, name, URN, properties = inputs + tagsAll; Kubernetes resources' inputs
   are the object) - Namespaces first, as the engine registers them before the workloads that use them - then
   the whole stack to AnalyzeStack once (parents, dependencies, property dependencies).
4. The diagnostics are rendered (platformctl.reports). Exit 0: no mandatory violation; 1: some (or the program
   failed offline); 2: bad usage or config, or a pack could not run.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from platformctl.analyzer import (
    AnalyzerError,
    Diagnostic,
    PolicyPackProcess,
    Resource,
    find_packs,
)
from platformctl.exitcodes import EXIT_FAIL, EXIT_OK, EXIT_USAGE
from platformctl.plan import engine_value
from platformctl.reports import FORMATS, PolicyReport, PolicySummary, render
from policies.rules.config import POLICIES, PolicyConfigError, for_pack, load_config_file

NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"


def _err(line: str) -> None:
    print(line, file=sys.stderr)


def policy_config_path(project: Path, stack: str, environment: str | None = None) -> Path | None:
    """policies/config/<stack>.json, else policies/config/<environment>.json, else None (pack defaults)."""
    for name in (stack, environment):
        if name:
            path = project / "policies" / "config" / f"{name}.json"
            if path.is_file():
                return path
    return None


def plan_resources(plan: Any) -> list[Resource]:
    """The analyzer's view of every resource of an offline plan (platformctl.plan.Plan or its JSON document)."""
    items = plan.resources if hasattr(plan, "resources") else plan["resources"]
    out = []
    for r in items:
        get: Callable[[str], Any] = (lambda k, r=r: r.get(k)) if isinstance(r, Mapping) else None  # type: ignore
        if get is None:
            props = r.properties
            urn, type_, name, parent = r.urn, r.type, r.name, r.parent
            deps, prop_deps, protect = r.dependencies, r.property_dependencies, bool(r.options.get("protect"))
        else:
            props = dict(get("inputs") or {})
            if get("tagsAll") is not None:
                props["tagsAll"] = get("tagsAll")
            urn, type_, name, parent = get("urn"), get("type"), get("name"), get("parent")
            deps, prop_deps = get("dependencies") or [], get("propertyDependencies") or {}
            protect = bool((get("options") or {}).get("protect"))
        out.append(
            Resource(
                type=type_,
                name=name,
                urn=urn,
                properties=engine_value(props),
                parent=parent,
                dependencies=list(deps),
                property_dependencies={k: list(v) for k, v in prop_deps.items()},
                protect=protect,
            )
        )
    return out


def analyze_with_packs(
    packs: list[PolicyPackProcess], config: Mapping[str, Mapping[str, Any]], resources: list[Resource]
) -> tuple[list[Diagnostic], list[PolicySummary]]:
    """Configure each (ready) pack, Analyze every resource, AnalyzeStack once; the packs work in parallel."""
    namespaces = [r for r in resources if r.type == NAMESPACE_TYPE]
    others = [r for r in resources if r.type != NAMESPACE_TYPE]

    def run(pack: PolicyPackProcess) -> tuple[list[Diagnostic], list[PolicySummary]]:
        effective = for_pack(config, pack.policy_names)
        pack.configure(effective)
        diags = pack.analyze_many(namespaces) + pack.analyze_many(others) + pack.analyze_stack(resources)
        summaries = []
        for info in pack.policies:
            props = dict(effective.get(info.name, {}))
            level = props.pop("enforcementLevel", info.level)
            summaries.append(PolicySummary(pack.name, info.name, info.description, level, info.stack, props))
        return diags, summaries

    with ThreadPoolExecutor(max_workers=max(1, len(packs))) as pool:
        results = list(pool.map(run, packs))
    return [d for ds, _ in results for d in ds], [s for _, ss in results for s in ss]


def run_policy_check(
    stack: str,
    *,
    config_file: Path | None = None,
    fmt: str = "table",
    output: Path | None = None,
    project_dir: Path | None = None,
    python: str | None = None,
    allow_unexpanded: bool = False,
    plan: Any = None,
    stack_path: Path | None = None,
) -> int:
    """Check the stack's offline plan against every policy pack; write the report; return the exit code.

    `plan`: an offline plan made already (a fleet's, platformctl.fleet), checked as it is; `stack_path`: its stack
    file when it is not `<project>/Pulumi.<stack>.yaml` (the global stack's is under global/)."""
    from components.config import ConfigError
    from components.config.stack import short_stack_name
    from platformctl.paths import project_root

    started = time.perf_counter()
    timings: dict[str, float] = {}
    if fmt not in FORMATS:
        _err(f"error: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return EXIT_USAGE
    project = (project_dir or project_root()).resolve()
    short = short_stack_name(stack)
    early_config = policy_config_path(project, short)
    if early_config is not None:  # fail fast on a broken policy config, before anything runs
        try:
            load_config_file(early_config)
        except PolicyConfigError as exc:
            for line in exc.lines:
                _err(line)
            return EXIT_USAGE
    pack_dirs = find_packs(project)
    if not pack_dirs:
        _err(f"error: no policy packs (policies/*/PulumiPolicy.yaml) under {project}")
        return EXIT_USAGE

    packs = [PolicyPackProcess(d, python or sys.executable).start() for d in pack_dirs]
    try:
        # The program runs while the packs import their SDKs.
        try:
            from platformctl.engine import run_plan

            if plan is None:
                plan = run_plan(stack, config_file, project)
        except ConfigError as exc:
            for line in exc.lines:
                _err(line)
            return EXIT_USAGE
        except Exception as exc:
            _err(f"error: the program failed offline: {type(exc).__name__}: {exc}")
            return EXIT_FAIL
        timings["plan"] = time.perf_counter() - started
        from platformctl.reachability import unreachable_warning

        warning = unreachable_warning(plan)
        if warning:
            _err(warning)

        config_path = policy_config_path(project, short, plan.config.environment.name)
        try:
            config = load_config_file(config_path) if config_path else {}
        except PolicyConfigError as exc:
            for line in exc.lines:
                _err(line)
            return EXIT_USAGE
        if config_path is None:
            _err(f"note: no policies/config/{short}.json; using the packs' default enforcement levels")

        try:
            with ThreadPoolExecutor(max_workers=len(packs)) as pool:
                list(pool.map(lambda p: p.wait_ready(), packs))
            timings["packsReady"] = time.perf_counter() - started
            t_analyze = time.perf_counter()
            resources = plan_resources(plan)
            diagnostics, summaries = analyze_with_packs(packs, config, resources)
            diagnostics = [_in_context(d, plan) for d in diagnostics]
            timings["analyze"] = time.perf_counter() - t_analyze
        except AnalyzerError as exc:
            _err(f"error: {exc}")
            return EXIT_USAGE
    finally:
        for p in packs:
            p.close()

    timings["total"] = time.perf_counter() - started
    if stack_path is None:
        stack_path = Path(config_file) if config_file else project / f"Pulumi.{short}.yaml"
    stack_file = _relative(stack_path, project)  # the SARIF artifact
    from platformctl.fixhints import annotate

    diagnostics = annotate(diagnostics, plan.config.environment.name, stack_path.read_text())
    report = PolicyReport(
        project=plan.project,
        stack=short,
        environment=plan.config.environment.name,
        production=bool(plan.config.production),
        stack_file=stack_file,
        policy_config=_relative(config_path, project) if config_path else None,
        resources=len(resources),
        packs={p.name: p.version for p in packs},
        policies=_catalog_order(summaries),
        diagnostics=diagnostics,
        timings=timings,
        unexpanded=[e.line() for e in plan.unexpanded],
        allow_unexpanded=allow_unexpanded,
        rendered=plan.summary()["rendered"],
    )
    try:
        write_report(report, fmt, output)
    except OSError as exc:
        _err(f"error: cannot write {output}: {exc.strerror or exc}")
        return EXIT_USAGE
    return EXIT_OK if report.passed else EXIT_FAIL


STRICTER = (
    " (stricter than a real preview: rendered from a helm.sh/v3:Release, whose objects Helm installs in the "
    "cluster; a real preview never analyzes them)"
)


def _in_context(d: Diagnostic, plan: Any) -> Diagnostic:
    """A diagnostic with its resource's parent, and marked when its resource is a Release's rendered object."""
    import dataclasses

    resource = plan.by_urn.get(d.urn)
    if resource is None:
        return d
    message = d.message + STRICTER if resource.virtual and STRICTER not in d.message else d.message
    return dataclasses.replace(d, parent=resource.parent or "", message=message)


def _relative(path: Path, project: Path) -> str:
    try:
        return Path(path).resolve().relative_to(project).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _catalog_order(summaries: list[PolicySummary]) -> list[PolicySummary]:
    order = {name: i for i, name in enumerate(POLICIES)}
    return sorted(summaries, key=lambda s: (order.get(s.name, len(order)), s.pack, s.name))


def write_report(report: PolicyReport, fmt: str, output: Path | None) -> None:
    if output is not None:
        text = render(report, fmt, color=False)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        _err(f"{report.summary_line()} (report: {output})")
        return
    if fmt == "table":
        from platformctl.reports import render_table

        width = shutil.get_terminal_size((160, 40)).columns
        sys.stdout.write(render_table(report, color=sys.stdout.isatty(), width=width))
    else:
        sys.stdout.write(render(report, fmt))
        _err(report.summary_line())
