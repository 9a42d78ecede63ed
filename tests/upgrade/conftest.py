"""Fixtures for the upgrade tests: every stack of the repository at any supported minor, planned once per session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class StackAt:
    stack: str
    minor: str
    text: str  # the stack file with platform:cluster.version at `minor` (no layer held back)
    cfg: Any
    plan: Any


class StacksAt(dict):
    """(stack, minor) -> StackAt, planned on first use."""

    def __missing__(self, key: tuple[str, str]) -> StackAt:
        from components.config.stack import validate
        from platformctl import upgrade

        stack, minor = key
        original = (ROOT / f"Pulumi.{stack}.yaml").read_text()
        text = upgrade.write_layers(original, upgrade.Layers(minor, {}), minor, minor)
        cfg = validate(upgrade._values(text), stack)
        self[key] = at = StackAt(stack, minor, text, cfg, upgrade.plan_text(stack, text, ROOT))
        return at


@pytest.fixture(scope="session")
def stacks_at() -> StacksAt:
    return StacksAt()


@pytest.fixture(scope="session")
def stack_names() -> list[str]:
    from components.config.repository import stack_names

    return stack_names(ROOT)
