"""`make bench`: wall-time medians of the offline commands, as whole processes (what a user waits for).

Targets on the 2-core reference machines (reported, never asserted in tests):
  platformctl --help < 0.4 s, plan prod < 2 s unexpanded, policy prod < 5 s;
  with every chart expanded: warm plan prod <= 1.3x and cold (no rendered chart cached) <= 2.5x the unexpanded one;
  each policy pack on a synthetic 5,000-resource stack 5x faster than before issue #14.
The expanded figures need the pinned charts in the verified cache (`platformctl charts pull`); without them the
report says so. PLATFORMCTL_PROJECT_DIR points the benchmark at another checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from components.chart_cache import CACHE_ENV, cache_dir
from components.paths import project_root

ROOT = project_root()
EXE = str(Path(sys.executable).with_name("platformctl"))
RUNS = 5

TARGETS = {"--help": 0.4, "plan dev": 2.0, "plan prod": 2.0, "policy prod": 5.0}


def _env(cache: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if cache is not None:
        env[CACHE_ENV] = str(cache)
    return env


def timed(
    args: list[str], runs: int = RUNS, cache: Path | None = None, before: Callable[[], None] | None = None
) -> tuple[float, list[float]]:
    samples = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        proc = subprocess.run([EXE, *args], cwd=ROOT, capture_output=True, text=True, check=False, env=_env(cache))
        samples.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"`platformctl {' '.join(args)}` failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return statistics.median(samples), samples


def plan_summary(stack: str, cache: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan.json"
        subprocess.run(
            [EXE, "plan", stack, "-q", "--json", str(out)], cwd=ROOT, check=True, capture_output=True, env=_env(cache)
        )
        return json.loads(out.read_text())["summary"]


def resource_count(stack: str, cache: Path | None = None) -> int:
    return plan_summary(stack, cache)["resources"]


_SPLIT = """
import json, time
from platformctl.engine import run_plan
t0 = time.perf_counter(); plan = run_plan("prod"); t1 = time.perf_counter(); run_plan("prod"); t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, len(plan.resources)]))
"""


def split_prod() -> tuple[float, float, int]:
    """First (cold: imports included) and second (warm) offline run of prod in one process."""
    out = subprocess.run([sys.executable, "-c", _SPLIT], cwd=ROOT, capture_output=True, text=True, check=True)
    cold, warm, n = json.loads(out.stdout.strip().splitlines()[-1])
    return cold, warm, n


def _expanded_rows(tmp: Path, baseline: float, has_policy: bool) -> list[tuple[str, float | None, int, str]]:
    """Cold (archives cached, nothing rendered yet) and warm (renders cached) runs of prod, fully expanded."""
    cache = cache_dir(ROOT)
    summary = plan_summary("prod", cache)
    if summary["unexpanded"]:
        why = (
            f"(not measured: {', '.join(summary['unexpanded'])} not in the chart cache; run `platformctl charts pull`)"
        )
        return [("plan prod (expanded)", None, 0, why)]
    cold_cache = tmp / "cold"

    def drop_renders() -> None:
        # A chart cache with the verified archives only: every chart is rendered by Helm again.
        shutil.rmtree(cold_cache, ignore_errors=True)
        shutil.copytree(cache / "sha256", cold_cache / "sha256")

    n = summary["resources"]
    out = []
    cold, _ = timed(["plan", "prod", "-q"], runs=3, cache=cold_cache, before=drop_renders)
    out.append(("plan prod (expanded, cold)", cold, n, _ratio(cold, baseline, 2.5)))
    warm, _ = timed(["plan", "prod", "-q"], cache=cache)
    out.append(("plan prod (expanded, warm)", warm, n, _ratio(warm, baseline, 1.3)))
    if has_policy:
        cold, _ = timed(["policy", "prod"], runs=3, cache=cold_cache, before=drop_renders)
        out.append(("policy prod (expanded, cold)", cold, n, ""))
        warm, _ = timed(["policy", "prod"], runs=3, cache=cache)
        out.append(("policy prod (expanded, warm)", warm, n, ""))
    return out


def _ratio(value: float, baseline: float, target: float) -> str:
    ratio = value / baseline
    verdict = "ok" if ratio <= target else f"OVER target {target}x"
    return f"  {ratio:.2f}x unexpanded ({verdict})"


SYNTHETIC_RESOURCES = 5000


def synthetic_stack(n: int = SYNTHETIC_RESOURCES) -> list:
    """`n` resources: the prod plan's resources repeated (unique names and URNs), as the analyzer receives them."""
    from dataclasses import replace

    from platformctl.engine import run_plan
    from platformctl.policycheck import plan_resources

    base = plan_resources(run_plan("prod", project_dir=ROOT))
    out = []
    for copy in range(n // len(base) + 1):
        for r in base:
            out.append(replace(r, name=f"{r.name}-{copy}", urn=f"{r.urn}-{copy}", _wire=None))
    return out[:n]


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process (Linux /proc), None elsewhere."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def policy_at_scale(runs: int = 3) -> None:
    """Both packs on a synthetic 5,000-resource stack with the prod policy config, over gRPC: per pack (alone),
    the wall time of Configure + one Analyze per resource + AnalyzeStack, and the pack process's own CPU (what a
    real `pulumi preview` waits for: there the engine is the client)."""
    from platformctl.analyzer import find_packs, start_packs
    from policies.rules.config import for_pack, load_config_file

    resources = synthetic_stack()
    config = load_config_file(ROOT / "policies" / "config" / "prod.json")
    for r in resources:
        r.wire_properties()  # converted once, shared by every pack (as platformctl policy does)
    packs = start_packs(find_packs(ROOT))
    try:
        print(f"  policy at scale: a synthetic {len(resources):,}-resource stack (the prod plan repeated), prod config")
        for pack in packs:
            walls, cpus, found = [], [], 0
            for _ in range(runs):
                before = _cpu_seconds(pack.proc.pid) if pack.proc else None
                start = time.perf_counter()
                pack.configure(for_pack(config, pack.policy_names))
                found = len(pack.analyze_many(resources)) + len(pack.analyze_stack(resources))
                walls.append(time.perf_counter() - start)
                after = _cpu_seconds(pack.proc.pid) if pack.proc else None
                if before is not None and after is not None:
                    cpus.append(after - before)
            cpu = f", pack CPU {statistics.median(cpus):.2f}s" if cpus else ""
            print(
                f"    {pack.name:<24} {statistics.median(walls):6.2f}s median of {runs}"
                f" ({len(resources) / statistics.median(walls):,.0f} resources/s{cpu}; {found} diagnostics)"
            )
    finally:
        for pack in packs:
            pack.close()


def main() -> int:
    print(f"platformctl benchmarks: median of {RUNS} whole-process runs on this machine\n")
    rows = []
    median, _ = timed(["--help"])
    rows.append(("--help", median, None))
    for stack in ("dev", "prod"):
        n = resource_count(stack)
        median, _ = timed(["plan", stack, "-q"])
        rows.append((f"plan {stack}", median, n))
    has_policy = (ROOT / "platformctl" / "policycheck.py").exists()
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        empty.mkdir()
        # The baseline: prod with no chart expanded (an empty chart cache).
        baseline, _ = timed(["plan", "prod", "-q"], cache=empty)
        rows.append(("plan prod (unexpanded)", baseline, resource_count("prod", empty)))
        if has_policy:
            median, _ = timed(["policy", "prod", "--allow-unexpanded"], runs=3, cache=empty)
            rows.append(("policy prod (unexpanded)", median, resource_count("prod", empty)))
        expanded = _expanded_rows(Path(tmp), baseline, has_policy)
    width = max(len(r[0]) for r in rows + [(e[0], 0, 0) for e in expanded])
    for name, median, n in rows:
        target = TARGETS.get(name)
        verdict = "" if target is None else ("  ok" if median < target else f"  OVER target {target:.1f}s")
        rate = f"  {n} resources, {n / median:.0f} resources/s" if n else ""
        print(f"  platformctl {name:<{width}}  {median:6.3f}s{rate}{verdict}")
    for name, median, n, note in expanded:
        if median is None:
            print(f"  platformctl {name:<{width}}  {note}")
            continue
        print(f"  platformctl {name:<{width}}  {median:6.3f}s  {n} resources, {n / median:.0f} resources/s{note}")
    print()
    cold, warm, n = split_prod()
    print(f"  where plan prod's time goes (one process): first run {cold:.3f}s, a second run {warm:.3f}s")
    print(
        f"    -> one-time imports of pulumi and the provider SDKs ~{cold - warm:.2f}s; "
        f"declaring and recording {n} resources {warm:.2f}s ({n / warm:.0f} resources/s)"
    )
    if has_policy:
        print()
        try:
            policy_at_scale()
        except Exception as exc:  # a benchmark report must not hide the numbers above
            print(f"  (policy at scale unavailable: {type(exc).__name__}: {exc})")
        try:
            from platformctl import policycheck

            extra = getattr(policycheck, "benchmark", None)
            if extra:
                print()
                extra()
        except Exception as exc:  # a benchmark report must not hide the numbers above
            print(f"  (policy pack micro-benchmark unavailable: {exc})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
