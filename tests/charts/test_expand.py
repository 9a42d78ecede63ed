"""The offline expansion of Helm charts: what Chart v4 (and Release v3) would register, rendered by Helm's engine
from the project's own test chart (tests/fixtures/charts/demo-addon)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from platformctl import expand
from platformctl.expand import CHART_TYPE, RELEASE_TYPE, ExpandContext, expand_plan, kube_git_version
from platformctl.plan import PlanResource

from .conftest import FIXTURE_CHART

ROOT = Path(__file__).resolve().parents[2]
PARENT = "urn:pulumi:dev::eks-platform::eks-platform:addons:Addons"
PROVIDER = "urn:pulumi:dev::eks-platform::pulumi:providers:kubernetes::k8s"


def chart_resource(name="dev-addons-demo", type_=CHART_TYPE, **inputs) -> PlanResource:
    base = {"chart": str(FIXTURE_CHART), "name": "demo", "namespace": "apps", "values": {}}
    return PlanResource(
        urn=f"{PARENT}${type_}::{name}",
        type=type_,
        name=name,
        custom=type_ == RELEASE_TYPE,
        parent=PARENT.replace("::eks-platform:addons:Addons", "::eks-platform:addons:Addons::dev-addons"),
        provider=PROVIDER,
        dependencies=[],
        property_dependencies={},
        inputs={**base, **inputs},
        options={"protect": False},
    )


def ctx(tmp_path=None, **kw) -> ExpandContext:
    return ExpandContext(
        project="eks-platform",
        stack="dev",
        project_dir=ROOT,
        kubernetes_version=kw.pop("kubernetes_version", "1.35"),
        cache=tmp_path,
        **kw,
    )


def by_name(children):
    return {c.name: c for c in children}


def test_chart_v4_registers_what_the_provider_registers():
    result = expand_plan([chart_resource(values={"violate": True})], ctx())
    (e,) = result.expansions
    assert e.status == "expanded", e.reason
    assert (e.chart, e.version, e.crds, e.hooks) == ("demo-addon", "0.1.0", 2, 2)
    kids = by_name(result.children)
    assert sorted(kids) == sorted(
        [
            "dev-addons-demo:widgets.demo.example.com",  # crds/ of the chart
            "dev-addons-demo:gadgets.demo.example.com",  # crds/ of the enabled subchart
            "dev-addons-demo:demo-sub-reader",  # cluster-scoped: no namespace
            "dev-addons-demo:apps/demo-settings",
            "dev-addons-demo:apps/demo-elsewhere",  # a templated namespace
            "dev-addons-demo:apps/demo-capabilities",
            "dev-addons-demo:apps/demo-token",
            "dev-addons-demo:apps/demo-listed",  # from a v1 List
            "dev-addons-demo:apps/demo",
            "dev-addons-demo:apps/demo-privileged",
            "dev-addons-demo:apps/demo-http",
            "dev-addons-demo:apps/demo-widget",  # a custom resource, namespaced by its CRD
        ]
    )
    assert e.objects == len(kids)
    # The disabled subchart, its CRD, the hooks (pre-install and test) and NOTES.txt are not resources.
    names = " ".join(kids)
    assert "disabled-subchart" not in names and "things." not in names and "migrate" not in names
    deployment = kids["dev-addons-demo:apps/demo"]
    assert deployment.type == "kubernetes:apps/v1:Deployment" and deployment.custom
    assert deployment.urn == (
        "urn:pulumi:dev::eks-platform::eks-platform:addons:Addons$kubernetes:helm.sh/v4:Chart"
        "$kubernetes:apps/v1:Deployment::dev-addons-demo:apps/demo"
    )
    assert deployment.parent == chart_resource().urn and deployment.provider == PROVIDER
    assert deployment.inputs["metadata"]["namespace"] == "apps" and deployment.inputs["spec"]["replicas"] == 2
    assert kids["dev-addons-demo:apps/demo-listed"].type == "kubernetes:core/v1:ServiceAccount"
    assert kids["dev-addons-demo:apps/demo-widget"].type == "kubernetes:demo.example.com/v1:Widget"


def test_dependencies_options_and_secrets_as_the_provider_sets_them():
    kids = by_name(expand_plan([chart_resource()], ctx()).children)
    widget = kids["dev-addons-demo:apps/demo-widget"]
    # cli-utils' graph: the CR waits for its CRD and for what its depends-on annotation names.
    assert sorted(d.rsplit("::", 1)[1] for d in widget.dependencies) == [
        "dev-addons-demo:apps/demo-settings",
        "dev-addons-demo:widgets.demo.example.com",
    ]
    assert kids["dev-addons-demo:apps/demo-settings"].options["retainOnDelete"] is True  # helm.sh/resource-policy
    assert kids["dev-addons-demo:apps/demo"].options["retainOnDelete"] is False
    assert kids["dev-addons-demo:apps/demo-token"].inputs["stringData"] == "[secret]"
    # YAML as Kubernetes reads it: an unquoted date stays a string, and so does a bare `=`.
    assert kids["dev-addons-demo:apps/demo-settings"].inputs["data"] == {"created": "2024-01-02", "enabled": "yes"}
    crd = kids["dev-addons-demo:widgets.demo.example.com"].inputs
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert schema["properties"]["operator"]["enum"] == ["=", "!="]


def test_capabilities_are_the_stacks_cluster_in_steady_state(tmp_path):
    # A second chart installs a CRD; the first chart sees it through discovery, as on a live cluster.
    other = tmp_path / "other"
    (other / "templates").mkdir(parents=True)
    (other / "Chart.yaml").write_text("apiVersion: v2\nname: other\nversion: 1.0.0\n")
    (other / "templates" / "crd.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: sprockets.other.example.com}\n"
        "spec: {group: other.example.com, scope: Namespaced, names: {kind: Sprocket, plural: sprockets},"
        " versions: [{name: v1, served: true, storage: true}]}\n"
    )
    resources = [chart_resource(), chart_resource(name="dev-addons-other", chart=str(other))]
    kids = by_name(expand_plan(resources, ctx(kubernetes_version="1.34")).children)
    caps = kids["dev-addons-demo:apps/demo-capabilities"].inputs["data"]
    assert caps == {
        "kubeVersion": kube_git_version("1.34"),
        "hasPdb": "true",  # a built-in kind the minor serves (discovery reports group/version/Kind)
        "hasWidgets": "true",  # the chart's own CRD, installed from crds/
        "hasOtherChartKind": "true",  # another chart's CRD
        "isInstall": "true",
    }
    assert kube_git_version("1.34") == "v1.34.0-eks-offline"


def test_skip_crds_resource_prefix_and_skip_await():
    kids = by_name(expand_plan([chart_resource(skipCrds=True, resourcePrefix="", skipAwait=True)], ctx()).children)
    assert "widgets.demo.example.com" not in kids and "apps/demo" in kids
    assert kids["apps/demo"].inputs["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"


def test_release_objects_are_rendered_for_analysis_only_with_their_hooks():
    result = expand_plan([chart_resource(name="dev-addons-rel", type_=RELEASE_TYPE)], ctx())
    (e,) = result.expansions
    assert e.status == "expanded" and e.virtual and e.hooks == 1
    kids = by_name(result.children)
    assert all(k.virtual for k in kids.values())
    assert "dev-addons-rel:apps/demo-migrate" in kids, "Helm runs the pre-install hook in the cluster"
    assert not any("demo-test" in n for n in kids), "test hooks run only under `helm test`"
    assert "analysis only" in e.line()


def test_values_schema_and_kube_version_failures_are_what_the_provider_reports():
    (e,) = expand_plan([chart_resource(values={"replicas": "three"})], ctx()).expansions
    assert e.status == "failed" and "/replicas" in e.reason and "integer" in e.reason
    (e,) = expand_plan([chart_resource()], ctx(kubernetes_version="1.32")).expansions
    assert e.status == "expanded"


def test_a_kube_version_constraint_that_rejects_eks(tmp_path):
    chart = tmp_path / "strict"
    shutil.copytree(FIXTURE_CHART, chart)
    text = (chart / "Chart.yaml").read_text().replace('kubeVersion: ">=1.25.0-0"', 'kubeVersion: ">=1.25.0"')
    (chart / "Chart.yaml").write_text(text)
    (e,) = expand_plan([chart_resource(chart=str(chart))], ctx()).expansions
    assert e.status == "failed"
    assert e.reason == (
        "chart requires kubeVersion: >=1.25.0 which is incompatible with Kubernetes v1.35.0-eks-offline"
    )


def test_charts_that_cannot_be_rendered_offline_say_why():
    cases = [
        chart_resource(
            chart="argo-cd", version="9.5.14", repositoryOpts={"repo": "https://argoproj.github.io/argo-helm"}
        ),
        chart_resource(chart="tests/fixtures/charts/no-such-chart"),
        chart_resource(postRenderer={"command": "kustomize"}),
        chart_resource(chart="unknown", version="1.0.0", repositoryOpts={"repo": "https://example.com"}),
    ]
    reasons = [e.reason for e in expand_plan(cases[:1], ctx()).expansions]
    assert reasons == ["archive not cached: run `platformctl charts pull`"]
    for r, why in zip(
        cases[1:],
        ["does not exist", "postRenderer", "not a pinned chart"],
        strict=True,
    ):
        (e,) = expand_plan([r], ctx()).expansions
        assert e.status == "not-expanded" and why in e.reason and "not analyzed" in e.line()


def test_unresolved_scope_and_duplicates(tmp_path):
    chart = tmp_path / "odd"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: odd\nversion: 1.0.0\n")
    (chart / "templates" / "x.yaml").write_text(
        "apiVersion: unknown.example.com/v1\nkind: Gizmo\nmetadata: {name: g}\n"
    )
    result = expand_plan([chart_resource(chart=str(chart))], ctx())
    (kid,) = result.children
    assert "namespace" not in kid.inputs["metadata"]
    assert any("unknown.example.com/v1/Gizmo" in w for w in result.warnings)
    (chart / "templates" / "y.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same}\n")
    (chart / "templates" / "z.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same}\n")
    (e,) = expand_plan([chart_resource(chart=str(chart))], ctx()).expansions
    assert e.status == "failed" and "duplicate resource URN" in e.reason


def test_renders_are_cached_by_archive_values_and_capabilities(tmp_path, monkeypatch, demo_archive):
    first = expand_plan([chart_resource(chart=str(demo_archive))], ctx(tmp_path))
    assert list((tmp_path / "renders").glob("*.json"))

    def no_render(_request):
        raise AssertionError("rendered again although cached")

    monkeypatch.setattr(expand, "_render_uncached", no_render)
    again = expand_plan([chart_resource(chart=str(demo_archive))], ctx(tmp_path))
    assert [c.inputs for c in again.children] == [c.inputs for c in first.children]
    with pytest.raises(AssertionError, match="rendered again"):
        expand_plan([chart_resource(chart=str(demo_archive), values={"replicas": 3})], ctx(tmp_path))
