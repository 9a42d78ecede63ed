"""The repository layout, and the rule that `platform/` is never a Python package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

REQUIRED = {
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "Pulumi.prod.yaml",
    "__main__.py",
    "components",
    "policies",
    "platform",
    "platformctl",
    "tests",
    "pyproject.toml",
    "README.md",
    "Makefile",
    "uv.lock",
}
# .pulumi-version: the Pulumi CLI release every workflow installs (pulumi/actions pulumi-version-file).
# fleets/: fleet definitions; global/: the global stack's program (its own Pulumi.yaml; docs/fleets.md). `global` is a
# Python keyword, so the folder can never shadow a module.
# docs/ and mkdocs.yml: the documentation site (`make docs`; the configuration reference generated from the models).
ALLOWED_EXTRA = {".ci", ".github", ".gitignore", ".git", ".pulumi-version", "fleets", "global", "docs", "mkdocs.yml"}


def tracked_top_level() -> set[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False).stdout
    names = {line.split("/", 1)[0] for line in out.splitlines() if line}
    return names or {p.name for p in ROOT.iterdir()}


def test_top_level_entries_are_the_documented_ones():
    names = tracked_top_level()
    missing = REQUIRED - names
    assert not missing, f"missing: {sorted(missing)}"
    unexpected = names - REQUIRED - ALLOWED_EXTRA - {f"Pulumi.{s}.yaml" for s in ("dev", "prod")}
    unexpected = {n for n in unexpected if not (n.startswith("Pulumi.") and n.endswith(".yaml"))}
    assert not unexpected, f"unexpected top-level entries: {sorted(unexpected)}"


def test_platform_is_never_a_python_package():
    # A `platform` package at the root shadows the standard library's `platform` module (Pulumi and pytest put
    # the root on sys.path) and `import uuid` then crashes. platform/ holds YAML and Helm data only.
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "platform").rglob("*.py")]
    assert not offenders, f"Python files under platform/: {offenders}"
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_stdlib_platform_and_uuid_work_with_the_root_on_sys_path():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import platform, uuid; "
        "assert hasattr(platform, 'system'), platform.__file__; uuid.uuid4(); print(platform.__file__)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert str(ROOT / "platform") not in result.stdout


def test_pulumi_yaml_uses_the_project_virtualenv_with_uv():
    import yaml

    doc = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert doc["name"] == "eks-platform"
    assert doc["runtime"]["name"] == "python"
    assert doc["runtime"]["options"] == {"toolchain": "uv", "virtualenv": ".venv"}
