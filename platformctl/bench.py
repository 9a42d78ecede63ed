"""`make bench`: wall-time medians of the offline commands, as whole processes (what a user waits for).

Targets on the 2-core reference machines (reported, never asserted in tests):
  platformctl --help < 0.4 s, plan prod < 2 s, policy prod < 5 s.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).with_name("platformctl"))
RUNS = 5

TARGETS = {"--help": 0.4, "plan dev": 2.0, "plan prod": 2.0, "policy prod": 5.0}


def timed(args: list[str], runs: int = RUNS) -> tuple[float, list[float]]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([EXE, *args], cwd=ROOT, capture_output=True, text=True, check=False)
        samples.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"`platformctl {' '.join(args)}` failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return statistics.median(samples), samples


def resource_count(stack: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan.json"
        subprocess.run([EXE, "plan", stack, "-q", "--json", str(out)], cwd=ROOT, check=True, capture_output=True)
        return json.loads(out.read_text())["summary"]["resources"]


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
    if has_policy:
        median, _ = timed(["policy", "prod"], runs=3)
        rows.append(("policy prod", median, resource_count("prod")))
    width = max(len(r[0]) for r in rows)
    for name, median, n in rows:
        target = TARGETS.get(name)
        verdict = "" if target is None else ("  ok" if median < target else f"  OVER target {target:.1f}s")
        rate = f"  {n} resources, {n / median:.0f} resources/s" if n else ""
        print(f"  platformctl {name:<{width}}  {median:6.3f}s{rate}{verdict}")
    print()
    cold, warm, n = split_prod()
    print(f"  where plan prod's time goes (one process): first run {cold:.3f}s, a second run {warm:.3f}s")
    print(
        f"    -> one-time imports of pulumi and the provider SDKs ~{cold - warm:.2f}s; "
        f"declaring and recording {n} resources {warm:.2f}s ({n / warm:.0f} resources/s)"
    )
    if has_policy:
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
