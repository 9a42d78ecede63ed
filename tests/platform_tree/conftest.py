"""Fixtures for the platform/ tree tests, and the one-line summary at the end of the run:

platform/: 87 objects validated (81 against the Kubernetes 1.35 schema, 6 custom resources), 0 schema errors,
0 restricted violations
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from .render import Manifest, RenderError, render_platform
from .validate import kubernetes_versions, schema_errors, schema_kind


@dataclass
class PlatformReport:
    manifests: list[Manifest]
    versions: dict[str, str]  # environment -> Kubernetes minor version
    version_source: str
    render_errors: list[RenderError]
    schema_errors: list[tuple[Manifest, list[str]]] = field(default_factory=list)
    # Filled by the Pod Security test; None while it has not run (or was skipped).
    pod_bearing: int | None = None
    restricted_violations: int | None = None
    restricted_skip_reason: str | None = None

    def version_for(self, manifest: Manifest) -> str:
        """Charts are checked against their environment's cluster; plain YAML (all environments) the oldest one."""
        if manifest.env is not None:
            return self.versions[manifest.env]
        return min(self.versions.values(), key=lambda v: tuple(int(p) for p in v.split(".")))

    def count(self, kind: str) -> int:
        return sum(1 for m in self.manifests if schema_kind(m.obj) == kind)


_REPORT = pytest.StashKey[PlatformReport]()


@pytest.fixture(scope="session")
def platform_report(request: pytest.FixtureRequest) -> PlatformReport:
    """Every object of platform/ (charts rendered for dev and prod) with its schema problems."""
    versions, version_source = kubernetes_versions()
    manifests, render_errors = render_platform()
    report = PlatformReport(manifests, versions, version_source, render_errors)
    for manifest in report.manifests:
        errors = schema_errors(manifest.obj, report.version_for(manifest))
        if errors:
            report.schema_errors.append((manifest, errors))
    request.config.stash[_REPORT] = report
    return report


@pytest.fixture(scope="session")
def manifests(platform_report: PlatformReport) -> list[Manifest]:
    return platform_report.manifests


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    report = config.stash.get(_REPORT, None)
    if report is None:
        return
    versions = sorted(set(report.versions.values()))
    if report.restricted_violations is not None:
        restricted = f"{report.restricted_violations} restricted violations in {report.pod_bearing} pod-bearing objects"
    else:
        restricted = f"restricted check skipped ({report.restricted_skip_reason or 'did not run'})"
    failed = f"{len(report.render_errors)} charts FAILED to render, " if report.render_errors else ""
    terminalreporter.write_line(
        f"platform/: {failed}{len(report.manifests)} objects validated "
        f"({report.count('kubernetes')} against the Kubernetes {'/'.join(versions)} schema "
        f"[{report.version_source}], {report.count('custom')} custom resources by structure), "
        f"{sum(len(errors) for _, errors in report.schema_errors)} schema errors, {restricted}"
    )
