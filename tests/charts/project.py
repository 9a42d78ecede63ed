"""A copy of the project whose pin of one catalog chart points at the project's test chart (demo-addon 0.1.0,
served by the `helm_repo` fixture), and platformctl run on it in its own process, as a user runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from components.chart_cache import CACHE_ENV, MIRROR_ENV

ROOT = Path(__file__).resolve().parents[2]
COPIED = ["components", "platformctl", "policies", "platform", "__main__.py", "Pulumi.yaml", "Pulumi.prod.yaml"]


def copy_with_demo_chart(proj: Path, pin: str, helm_repo: str) -> Path:
    """Copy the project into `proj`, with components/versions.py's `pin` (a chart key) pointing at demo-addon."""
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, proj / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, proj / name)
    versions = proj / "components" / "versions.py"
    text = versions.read_text()
    block = re.search(rf'    "{re.escape(pin)}": \{{\n(?:        .*\n)+?    \}},\n', text)
    assert block, f"the {pin} pin"
    versions.write_text(
        text.replace(
            block.group(0),
            f'    "{pin}": {{\n        "repo": "{helm_repo}",\n        "chart": "demo-addon",\n'
            '        "version": "0.1.0",\n        "digest": "",\n    },\n',
        )
    )
    return proj


def run(project: Path, *args: str) -> subprocess.CompletedProcess:
    """`platformctl ARGS` on the copy: its own process, the copy first on the import path, its own chart cache."""
    env = {
        **os.environ,
        "COLUMNS": "300",  # a wide terminal: table cells are not wrapped
        "PLATFORMCTL_PROJECT_DIR": str(project),
        CACHE_ENV: str(project / ".cache" / "charts"),
        "PYTHONPATH": str(project),
    }
    env.pop(MIRROR_ENV, None)
    cmd = [sys.executable, "-m", "platformctl.cli", *args]
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False)
