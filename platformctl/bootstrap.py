"""The bootstrap run: the first deploy of a stack, before CI can reach its cluster.

A new stack has no VPC, cluster or deploy runner yet, and a private endpoint cannot be reached from where the
first `up` runs. So the first deploy has two runs:

1. `platformctl up STACK --bootstrap` (from anywhere: a laptop, a GitHub-hosted runner) applies the AWS part only:
   VPC, cluster, node groups, EKS add-ons, IAM roles and Pod Identity associations, data, the deploy runner.
2. `platformctl up STACK` on the deploy runner (the deploy workflow) applies the rest through the API.

How the program knows: platformctl runs the stack with a temporary copy of `Pulumi.<stack>.yaml` that adds
`platform:bootstrap: true` (`pulumi up --config-file <copy>`, the same secrets and encryption salt); the program
then gives its components no Kubernetes provider (components/cluster.py), so they declare their AWS side only. The
stack file itself never holds the flag (platformctl refuses it there). Offline, `platformctl plan STACK --bootstrap`
runs the program with the same copy.

A bootstrap run declares no Kubernetes resource, so applied to a stack that already has some it would delete them:
`up --bootstrap` refuses a stack whose state holds any.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from platformctl.errors import EXIT_USAGE, PlatformError

FLAG = "platform:bootstrap"


def bootstrap_config(stack_file: Path, out_dir: Path) -> Path:
    """A copy of the stack file (secure values, secrets provider and encryption salt unchanged) with the flag."""
    doc = yaml.safe_load(stack_file.read_text()) or {}
    if not isinstance(doc, dict):
        raise PlatformError(f"error: {stack_file} must be a YAML mapping with a 'config:' key", EXIT_USAGE)
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise PlatformError(f"error: {stack_file}: config must be a mapping", EXIT_USAGE)
    doc["config"] = {**config, FLAG: True}
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / stack_file.name
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def refuse_flags_in_stack_files(refs: Sequence[Any], project_dir: Path) -> None:
    """The per-run flags belong to one platformctl run, never to Pulumi.<stack>.yaml."""
    from components.config.stack import RUN_FLAGS

    for ref in refs:
        path = project_dir / f"Pulumi.{ref.short}.yaml"
        try:
            config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        except (OSError, yaml.YAMLError, AttributeError):
            continue  # resolve_stack reports unreadable files
        for flag in RUN_FLAGS:
            if f"platform:{flag}" in config:
                raise PlatformError(
                    f"error: platform:{flag} is set in {path.name}: it is set by `platformctl up {ref.short} "
                    f"--{flag}` for one run only; remove it from the stack file",
                    EXIT_USAGE,
                    kind="config",
                )


def kubernetes_resources(stack: Any) -> list[str]:
    """URNs of the Kubernetes resources (and providers) in a deployed stack's state."""
    deployment = stack.export_stack().deployment or {}
    return [
        r.get("urn", "")
        for r in deployment.get("resources", []) or []
        if str(r.get("type", "")).startswith(("kubernetes:", "pulumi:providers:kubernetes"))
    ]


def refuse_if_kubernetes(stack: Any, name: str) -> None:
    found = kubernetes_resources(stack)
    if found:
        raise PlatformError(
            f"error: stack {name} already has {len(found)} Kubernetes resource(s): a bootstrap run declares none and "
            f"would delete them; run `platformctl up {name}` from where the cluster is reachable (the deploy runner)",
            EXIT_USAGE,
            [f"  {u}" for u in found[:10]] + ([f"  … and {len(found) - 10} more"] if len(found) > 10 else []),
            kind="bootstrap",
        )
