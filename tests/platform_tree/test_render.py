"""platform/ renders, every object is schema-valid for the cluster's Kubernetes version, every pod is Pod Security
`restricted` - and the same checks do reject broken objects."""

from __future__ import annotations

import copy

import helm_python
import pytest

from .conftest import _REPORT, PlatformReport
from .render import (
    ENVIRONMENTS,
    PLATFORM_DIR,
    Manifest,
    chart_dirs,
    load_yaml_documents,
    read_values,
    render_chart,
    values_file,
)
from .validate import (
    FALLBACK_KUBERNETES_VERSION,
    is_pod_bearing,
    restricted_violations,
    schema_errors,
    schema_kind,
)

HELM_LINT_WARNING = 2  # helm_python.lint severities: 1 info, 2 warning, 3 error


def _pss():
    return pytest.importorskip("policies.rules.pss", reason="policies.rules.pss (Pod Security rules) not available")


def _first(manifests: list[Manifest], kind: str, env: str = "prod") -> dict:
    for manifest in manifests:
        if manifest.kind == kind and manifest.env in (env, None):
            return copy.deepcopy(manifest.obj)
    raise AssertionError(f"no {kind} in platform/ for {env}")


# ------------------------------------------------------------------------------------------------ the tree


def test_platform_holds_no_python() -> None:
    python = sorted(p.relative_to(PLATFORM_DIR).as_posix() for p in PLATFORM_DIR.rglob("*.py"))
    init = sorted(p.relative_to(PLATFORM_DIR).as_posix() for p in PLATFORM_DIR.rglob("__init__.py*"))
    caches = sorted(p.relative_to(PLATFORM_DIR).as_posix() for p in PLATFORM_DIR.rglob("__pycache__"))
    assert not python, f"platform/ is data only (it would shadow the stdlib `platform` module): {python}"
    assert not init, f"no __init__.py anywhere in platform/: {init}"
    assert not caches, f"no __pycache__ in platform/: {caches}"
    assert not (PLATFORM_DIR / "__init__.py").exists()


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("chart", [c.relative_to(PLATFORM_DIR).as_posix() for c in chart_dirs()])
def test_chart_renders_for_every_environment(chart: str, env: str, platform_report: PlatformReport) -> None:
    chart_dir = PLATFORM_DIR / chart
    assert values_file(chart_dir, env).is_file(), f"{chart} has no values file for {env}"
    errors = [e.message for e in platform_report.render_errors if (e.chart, e.env) == (chart, env)]
    assert not errors, f"{chart} does not render for {env}: {errors}"
    manifests = platform_report.manifests
    rendered = [m for m in manifests if m.env == env and m.source.startswith(f"{chart}[{env}]")]
    assert rendered, f"{chart} renders no object for {env}"
    keys = [(m.kind, m.namespace, m.name) for m in rendered]
    assert len(keys) == len(set(keys)), f"{chart}[{env}] renders an object twice: {sorted(keys)}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("chart", [c.relative_to(PLATFORM_DIR).as_posix() for c in chart_dirs()])
def test_chart_passes_helm_lint(chart: str, env: str, platform_report: PlatformReport) -> None:
    """`helm lint --strict --kube-version` through the same SDK: warnings and errors fail, infos (icon) do not."""
    chart_dir = PLATFORM_DIR / chart
    kube_version = f"v{platform_report.versions[env]}.0"
    report = helm_python.lint(
        chart_dir, read_values(values_file(chart_dir, env)), strict=True, kube_version=kube_version
    )
    WARNING = 2
    problems = [m for m in report["messages"] if m["severity"] >= WARNING]
    assert report["total_charts_linted"] == 1
    assert not problems and not report["errors"], problems or report["errors"]


def test_charts_and_plain_yaml_are_loaded(platform_report: PlatformReport) -> None:
    assert not platform_report.render_errors, platform_report.render_errors
    sources = {m.source.split(":")[0] for m in platform_report.manifests}
    assert {f"{chart}/chart[{env}]" for chart in ("teams", "workloads") for env in ENVIRONMENTS} <= sources
    assert any(source.startswith("bootstrap/") for source in sources)


# ------------------------------------------------------------------------------------------------ schemas


def test_every_object_is_schema_valid(platform_report: PlatformReport) -> None:
    problems = [f"{m} ({m.obj.get('apiVersion')}): {e}" for m, errors in platform_report.schema_errors for e in errors]
    assert not problems, "schema errors:\n" + "\n".join(problems)
    assert platform_report.count("kubernetes") > 0
    assert platform_report.count("custom") > 0


def test_kubernetes_version_is_the_clusters(platform_report: PlatformReport) -> None:
    for env, version in platform_report.versions.items():
        assert version.startswith("1."), (env, version)
    if platform_report.version_source != "stack config":
        assert set(platform_report.versions.values()) == {FALLBACK_KUBERNETES_VERSION}


# ------------------------------------------------------------------------------------------------ Pod Security


def test_every_pod_is_restricted(platform_report: PlatformReport, request: pytest.FixtureRequest) -> None:
    report = request.config.stash[_REPORT]
    try:
        pss = _pss()
    except pytest.skip.Exception as skip:
        report.restricted_skip_reason = str(skip)
        raise
    pod_bearing = [m for m in platform_report.manifests if is_pod_bearing(m.obj)]
    problems = [
        f"{m}: {violation}"
        for m in pod_bearing
        for violation in restricted_violations(pss, m.obj, platform_report.version_for(m))
    ]
    report.pod_bearing = len(pod_bearing)
    report.restricted_violations = len(problems)
    assert pod_bearing, "expected the reference application's Deployments"
    assert not problems, "Pod Security restricted violations:\n" + "\n".join(problems)


# ------------------------------------------------------------------------------------------------ the checks bite


def test_schema_check_rejects_a_wrong_field_type(manifests: list[Manifest]) -> None:
    deployment = _first(manifests, "Deployment")
    assert schema_errors(deployment, FALLBACK_KUBERNETES_VERSION) == []
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "eighty"
    errors = schema_errors(deployment, FALLBACK_KUBERNETES_VERSION)
    assert errors, "a string containerPort must be rejected"
    assert "containerPort" in errors[0] and "'eighty'" in errors[0], errors


def test_schema_check_rejects_an_unknown_field(manifests: list[Manifest]) -> None:
    deployment = _first(manifests, "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privilegd"] = False
    errors = schema_errors(deployment, FALLBACK_KUBERNETES_VERSION)
    assert errors and "privilegd" in errors[0], errors


def test_schema_check_rejects_an_unknown_kind_and_a_bad_envelope() -> None:
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert schema_errors(unknown, FALLBACK_KUBERNETES_VERSION)
    nameless = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Not_A_Name"}}
    assert any("metadata.name" in e for e in schema_errors(nameless, FALLBACK_KUBERNETES_VERSION))


def test_custom_resource_schema_rejects_a_broken_application_set(manifests: list[Manifest]) -> None:
    appset = _first(manifests, "ApplicationSet")
    assert schema_kind(appset) == "custom"
    assert schema_errors(appset, FALLBACK_KUBERNETES_VERSION) == []
    broken = copy.deepcopy(appset)
    spec = broken["spec"]["template"]["spec"]
    source = (spec.get("sources") or [spec.get("source")])[0]
    source["helm"] = {"valueFile": ["values.yaml"]}  # typo of valueFiles
    del spec["destination"]
    errors = schema_errors(broken, FALLBACK_KUBERNETES_VERSION)
    assert any("valueFile" in e for e in errors), errors
    assert any("destination" in e for e in errors), errors
    wrong_type = copy.deepcopy(appset)
    wrong_type["spec"]["goTemplate"] = "yes"
    assert any("goTemplate" in e for e in schema_errors(wrong_type, FALLBACK_KUBERNETES_VERSION))


PRIVILEGED_POD_YAML = """
apiVersion: v1
kind: Pod
metadata:
  name: privileged
  namespace: frontend
spec:
  hostNetwork: true
  containers:
    - name: shell
      image: busybox:1.36
      securityContext:
        privileged: true
        runAsUser: 0
        allowPrivilegeEscalation: true
  volumes:
    - name: host
      hostPath:
        path: /
"""


def test_restricted_check_rejects_a_privileged_pod() -> None:
    pss = _pss()
    (pod,) = load_yaml_documents(PRIVILEGED_POD_YAML, "privileged pod")
    # Schema-valid: only the Pod Security check can catch it.
    assert schema_errors(pod, FALLBACK_KUBERNETES_VERSION) == []
    violations = restricted_violations(pss, pod, FALLBACK_KUBERNETES_VERSION)
    checks = " ".join(violations)
    for expected in ("privileged", "hostNamespaces", "hostPath", "runAsNonRoot", "seccompProfile"):
        assert expected in checks, f"{expected} missing from {violations}"


def test_restricted_check_rejects_a_workload_that_drops_its_hardening(manifests: list[Manifest]) -> None:
    pss = _pss()
    deployment = _first(manifests, "Deployment")
    assert restricted_violations(pss, deployment, FALLBACK_KUBERNETES_VERSION) == []
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    del container["securityContext"]["capabilities"]
    container["securityContext"]["allowPrivilegeEscalation"] = True
    violations = restricted_violations(pss, deployment, FALLBACK_KUBERNETES_VERSION)
    assert any("capabilities" in v for v in violations), violations
    assert any("allowPrivilegeEscalation" in v for v in violations), violations


# ------------------------------------------------------------------------------------------------ chart inputs


def _values(chart: str, env: str = "prod") -> dict:
    return read_values(values_file(PLATFORM_DIR / chart, env))


@pytest.mark.parametrize(
    ("chart", "mutate", "message"),
    [
        ("teams/chart", lambda v: v["teams"][0].update(costCenter="1001"), "costCenter"),
        ("teams/chart", lambda v: v["podSecurity"].update(level="strict"), "level"),
        ("teams/chart", lambda v: v["teams"][0]["namespaceLabels"].update(team="x"), "team"),
        ("teams/chart", lambda v: v["teams"].append(dict(v["teams"][0])), "more than once"),
        ("teams/chart", lambda v: v["teams"][0].update(namespaces=["kube-system"]), "reserved"),
        ("teams/chart", lambda v: v["teams"][0].update(namespaces=["argocd"]), "reserved"),
        ("teams/chart", lambda v: v["teams"][0].update(namespaces=["cert-manager"]), "reserved"),
        ("teams/chart", lambda v: v["teams"][1].update(namespaces=["frontend"]), "already belongs to team"),
        ("teams/chart", lambda v: v["teams"][0].update(namespaces=[]), "namespaces"),
        ("workloads/chart", lambda v: v["frontend"]["image"].update(tag="latest"), "latest"),
        ("workloads/chart", lambda v: v["api"]["image"].update(digest="sha256:abc"), "digest"),
        ("workloads/chart", lambda v: v["api"].update(replicas=3), "replicas"),
        ("workloads/chart", lambda v: v["frontend"]["autoscaling"].update(minReplicas=11), "maxReplicas"),
        ("workloads/chart", lambda v: v["global"].update(vpcCidr="everywhere"), "vpcCidr"),
        ("workloads/chart", lambda v: v["frontend"]["ingress"].update(certificateArn="none"), "certificateArn"),
    ],
)
def test_charts_refuse_bad_values(chart: str, mutate, message: str) -> None:
    values = _values(chart)
    mutate(values)
    with pytest.raises(helm_python.HelmError) as excinfo:
        render_chart(PLATFORM_DIR / chart, values, "release", "default")
    assert message in str(excinfo.value)


# ------------------------------------------------------------------------------------------------ teams


def test_a_team_with_two_namespaces_gets_both_each_with_quota_limits_default_deny_and_pod_security() -> None:
    values = _values("teams/chart")
    values["teams"][0]["namespaces"] = ["frontend", "frontend-batch"]
    team = values["teams"][0]["name"]
    output = render_chart(PLATFORM_DIR / "teams/chart", values, "teams", "default")
    objects = [o for text in output.values() for o in load_yaml_documents(text, "teams")]
    for namespace in ("frontend", "frontend-batch"):
        [ns] = [o for o in objects if o["kind"] == "Namespace" and o["metadata"]["name"] == namespace]
        labels = ns["metadata"]["labels"]
        assert labels["team"] == team
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        inside = {o["kind"]: o for o in objects if o["metadata"].get("namespace") == namespace}
        assert {"ResourceQuota", "LimitRange", "NetworkPolicy", "RoleBinding"} <= set(inside), namespace
        policies = [o for o in objects if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == namespace]
        deny = next(p for p in policies if p["metadata"]["name"] == "default-deny-all")
        assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        assert inside["RoleBinding"]["subjects"][0]["name"] == f"team:{team}"


def test_the_chart_reserves_the_namespaces_the_config_reserves() -> None:
    from components.config.checks import reserved_namespaces

    chart_values = read_values(PLATFORM_DIR / "teams/chart/values.yaml")
    assert sorted(chart_values["reservedNamespaces"]) == sorted(reserved_namespaces())
