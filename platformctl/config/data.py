"""`platform:data`: databases and registries beside the cluster."""

from __future__ import annotations

from ._base import Model


class DataConfig(Model):
    enabled: bool = False
