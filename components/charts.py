"""Where every Helm chart the program installs comes from: the verified cache (components/chart_cache.py).

`chart_source(key)` gives the arguments of a `kubernetes:helm.sh/v4:Chart` or `helm.sh/v3:Release` for a pinned
chart: the cached archive whose bytes match the pin's digest (what `platformctl charts pull` fetched and what the
offline plan rendered and the policies judged), or, when it is not cached, the repository reference with a warning
that Helm will download it unverified. A cached archive that does not match its pin stops the program.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.chart_cache import UNVERIFIED_WARNING, ChartArchiveError, chart_reference, pins


def chart_source(key: str, *, release: bool = False) -> dict[str, Any]:
    """Keyword arguments (`chart`, `version`, `repository_opts`) for the Chart v4 (or, `release=True`, the Release
    v3) of the chart pinned as `key` in components/versions.py."""
    pin = pins()[key]
    try:
        ref = chart_reference(pin)
    except ChartArchiveError as exc:
        raise pulumi.RunError(exc.line) from None
    if "version" not in ref:
        return {"chart": ref["chart"]}
    pulumi.log.warn(
        f"chart {pin.label}: {UNVERIFIED_WARNING} (run `platformctl charts pull`); "
        f"Helm will download {pin.reference} {pin.version} unverified"
    )
    args: dict[str, Any] = {"chart": ref["chart"], "version": ref["version"]}
    if "repo" in ref:
        opts = k8s.helm.v3.RepositoryOptsArgs if release else k8s.helm.v4.RepositoryOptsArgs
        args["repository_opts"] = opts(repo=ref["repo"])
    return args
