"""Add-ons: a declarative catalog (catalog.py, one spec per add-on in specs/) and the component installing it.

`from components.addons import Addons, AddonsArgs, combine` loads the Pulumi component lazily, so the catalog stays
importable (by the config validation) without Pulumi.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Addons", "AddonsArgs", "InstalledAddons", "combine"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from components.addons import component

        return getattr(component, name)
    raise AttributeError(name)
