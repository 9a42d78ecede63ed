"""Where the project lives (the directory holding Pulumi.yaml)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def project_root() -> Path:
    """$PLATFORMCTL_PROJECT_DIR, else the nearest ancestor of the cwd with Pulumi.yaml, else this checkout."""
    env = os.environ.get("PLATFORMCTL_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        if (d / "Pulumi.yaml").is_file() and (d / "__main__.py").is_file():
            return d
    return PACKAGE_ROOT
