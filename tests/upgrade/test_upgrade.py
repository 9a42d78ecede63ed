"""`platformctl upgrade`, offline: the target rules, the stack file per stage, the pre-flight's checks, the dry run.

Issue 18's acceptance items 1, 2 and 4 are here (item 3, the staged apply, in tests/cli/test_upgrade.py)."""

from __future__ import annotations

import difflib
import itertools
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components import version_matrix, versions
from components.config import ConfigError
from components.config.stack import validate
from platformctl import api_removals, upgrade
from platformctl.platform_tree import Manifest

ROOT = Path(__file__).resolve().parents[2]
PROD = (ROOT / "Pulumi.prod.yaml").read_text()
# No AWS credentials anywhere (EKS Upgrade Insights are skipped), and botocore never waits for instance metadata.
NO_AWS = {
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def cfg_of(text: str, stack: str = "prod"):
    return validate(upgrade._values(text), stack)


def invoke(*args: str, env: dict[str, str] | None = None):
    from platformctl.cli import app

    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


# ------------------------------------------------------------------------------------------------ the target


def test_one_minor_at_a_time():
    with pytest.raises(upgrade.UsageError) as exc:
        upgrade.plan_upgrade(cfg_of(PROD), "prod", "1.37", resume=False)
    assert "EKS upgrades one minor version at a time" in exc.value.lines[0]
    assert "upgrade to 1.36 first" in exc.value.lines[0]


def test_a_target_outside_the_matrix_and_bad_targets():
    at_136 = upgrade.write_layers(PROD, upgrade.Layers("1.36", {}), "1.36", "1.36")
    with pytest.raises(upgrade.UsageError) as exc:
        upgrade.plan_upgrade(cfg_of(at_136), "prod", "1.37", resume=False)
    assert "1.37 is not in the version matrix" in exc.value.lines[0]
    for target, says in (("1.34", "not an upgrade"), ("1.35", "not an upgrade"), ("v1.36", "not a Kubernetes minor")):
        with pytest.raises(upgrade.UsageError) as exc:
            upgrade.plan_upgrade(cfg_of(PROD), "prod", target, resume=False)
        assert says in exc.value.lines[0], target
    with pytest.raises(upgrade.UsageError, match="no upgrade of prod is in progress"):
        upgrade.plan_upgrade(cfg_of(PROD), "prod", None, resume=True)


def test_the_steps_of_an_upgrade():
    up = upgrade.plan_upgrade(cfg_of(PROD), "prod", "1.36", resume=False)
    assert (up.source, up.target, up.done) == ("1.35", "1.36", [])
    assert [s.label for s in up.remaining] == [
        "stage 1/5: control plane, first holding Karpenter's nodes",
        "stage 1/5: control plane",
        "stage 2/5: EKS managed add-ons",
        "stage 3/5: Helm charts and in-cluster pins that follow the minor",
        "stage 4/5: managed node group system (1 of 4)",
        "stage 4/5: managed node group general (2 of 4)",
        "stage 4/5: managed node group compute (3 of 4)",
        "stage 4/5: managed node group spot (4 of 4)",
        "stage 5/5: Karpenter nodes through drift, within their disruption budgets",
    ]
    assert up.resume_command() == "platformctl upgrade prod --to 1.36 --resume"


# ------------------------------------------------------------------------------------------------ the stack file


def _diff(a: str, b: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_each_stage_is_one_small_edit_and_the_last_leaves_only_the_version():
    cfg = cfg_of(PROD)
    up = upgrade.plan_upgrade(cfg, "prod", "1.36", resume=False)
    texts = upgrade.step_texts(PROD, up, cfg)
    hold = _diff(PROD, texts[0][1])  # every layer held (Karpenter's drift first), the control plane unchanged
    assert all(line.startswith("+") for line in hold)
    assert '+      addons: "1.35"' in hold and '+        system: "1.35"' in hold and '+      karpenter: "1.35"' in hold
    assert _diff(texts[0][1], texts[1][1]) == ['-    version: "1.35"', '+    version: "1.36"']
    before = texts[1][1]
    for step, text in texts[2:]:
        removed = _diff(before, text)
        assert all(line.startswith("-") for line in removed), (step, removed)
        if step.stage == 4 and step.index < step.of:
            assert removed == [f'-        {step.pool}: "1.35"'], removed
        before = text
    assert _diff(PROD, texts[-1][1]) == ['-    version: "1.35"', '+    version: "1.36"']
    # Every intermediate file validates and says which steps are done: resuming reads the progress from it.
    for i, (_step, text) in enumerate(texts[:-1]):
        resumed = upgrade.plan_upgrade(cfg_of(text), "prod", None, resume=True)
        assert resumed.done == up.remaining[: i + 1]
    with pytest.raises(upgrade.UsageError, match="no upgrade of prod is in progress"):
        upgrade.plan_upgrade(cfg_of(texts[-1][1]), "prod", None, resume=True)


def test_an_upgrade_in_progress_is_resumed_never_redirected():
    cfg = cfg_of(PROD)
    up = upgrade.plan_upgrade(cfg, "prod", "1.36", resume=False)
    texts = upgrade.step_texts(PROD, up, cfg)
    after_hold, after_stage_2 = texts[0][1], texts[2][1]
    held = upgrade.plan_upgrade(cfg_of(after_hold), "prod", None, resume=True)
    assert (held.source, held.target, [s.label for s in held.done]) == (
        "1.35",
        "1.36",
        ["stage 1/5: control plane, first holding Karpenter's nodes"],
    )
    with pytest.raises(upgrade.UsageError, match=r"is being upgraded to 1\.36"):
        upgrade.plan_upgrade(cfg_of(after_stage_2), "prod", "1.37", resume=True)
    resumed = upgrade.plan_upgrade(cfg_of(after_stage_2), "prod", "1.36", resume=True)
    assert resumed.remaining[0].label == "stage 3/5: Helm charts and in-cluster pins that follow the minor"


@pytest.mark.parametrize(
    ("data_plane", "problem"),
    [
        ({"addons": "1.36"}, "platform:cluster.dataPlane.addons: is newer than the control plane's version 1.35"),
        ({"charts": "1.33"}, "platform:cluster.dataPlane.charts: may be at most one minor below version 1.35"),
        ({"nodeGroups": {"gpu": "1.34"}}, "platform:cluster.dataPlane.nodeGroups.gpu: is not a managed node pool"),
        ({"karpenter": "1.31"}, "platform:cluster.dataPlane.karpenter: "),
    ],
)
def test_data_plane_rules(data_plane, problem):
    values = upgrade._values(PROD)
    values["platform:cluster"] = {**values["platform:cluster"], "dataPlane": data_plane}
    with pytest.raises(ConfigError) as exc:
        validate(values, "prod")
    assert any(line.startswith(problem) for line in exc.value.lines), exc.value.lines


# ------------------------------------------------------------------------------------------------ API removals


def test_the_removals_data_is_current():
    pytest.importorskip("kubernetes_validate")
    import json

    assert json.loads(api_removals.DATA_FILE.read_text()) == api_removals.generate(), (
        "stale: python -m platformctl.api_removals --write"
    )


@pytest.mark.parametrize(
    ("api_version", "kind", "removed", "replacement"),
    [
        ("policy/v1beta1", "PodDisruptionBudget", "1.25", "policy/v1"),
        ("extensions/v1beta1", "Ingress", "1.22", "networking.k8s.io/v1"),
        ("apps/v1beta2", "Deployment", "1.16", "apps/v1"),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26", "autoscaling/v2"),
        ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "1.32", "flowcontrol.apiserver.k8s.io/v1"),
        ("policy/v1beta1", "PodSecurityPolicy", "1.25", None),
    ],
)
def test_removed_apis_and_their_replacements(api_version, kind, removed, replacement):
    found = api_removals.check(api_version, kind, "1.36")
    assert found is not None and (found.removed_in, found.replacement) == (removed, replacement)


def test_served_and_custom_apis_are_not_judged():
    assert api_removals.check("apps/v1", "Deployment", "1.36") is None
    assert api_removals.check("karpenter.sh/v1", "NodePool", "1.36") is None
    beta = api_removals.check("networking.k8s.io/v1beta1", "IPAddress", "1.36")
    assert beta is not None and beta.removed_in is None and beta.replacement == "networking.k8s.io/v1"


# ------------------------------------------------------------------------------------------------ pre-flight parts


def _obj(kind, name, spec, api_version="policy/v1", namespace="team", labels=None):
    body = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": namespace}, "spec": spec}
    if labels:
        body["spec"] = {**spec, "template": {"metadata": {"labels": labels}}}
    return upgrade.KubeObject(api_version, kind, name, namespace, f"platform/x/{name}.yaml", body)


@pytest.mark.parametrize(
    ("spec", "replicas", "allowed"),
    [
        ({"maxUnavailable": 0}, 3, 0),
        ({"maxUnavailable": "0%"}, None, 0),
        ({"maxUnavailable": 1}, None, 1),
        ({"maxUnavailable": "25%"}, 3, 1),  # rounded up
        ({"minAvailable": 2}, 2, 0),
        ({"minAvailable": 2}, 3, 1),
        ({"minAvailable": "50%"}, 3, 1),  # 2 must stay up (rounded up)
        ({"minAvailable": "100%"}, None, 0),
        ({"minAvailable": 1}, None, None),  # unknown replicas: not judged
    ],
)
def test_allowed_disruptions(spec, replicas, allowed):
    assert upgrade.allowed_disruptions(spec, replicas) == allowed


def test_a_budget_that_allows_no_disruption_blocks():
    selector = {"selector": {"matchLabels": {"app": "api"}}}
    objects = [
        _obj("PodDisruptionBudget", "api", {"minAvailable": 2, **selector}),
        _obj("Deployment", "api", {"replicas": 2}, api_version="apps/v1", labels={"app": "api"}),
        _obj("PodDisruptionBudget", "web", {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}}),
    ]
    report = upgrade.Preflight()
    upgrade.check_pdbs(objects, report)
    assert report.blockers == [
        "platform/x/api.yaml: PodDisruptionBudget team/api allows no disruption (minAvailable 2 of 2 replica(s)): "
        "node drains would stop at its pods; set maxUnavailable to 1 or more (or add replicas above minAvailable)"
    ]


def test_an_eks_add_on_budget_that_allows_no_disruption_blocks(stacks_at):
    import dataclasses
    import json

    plan = stacks_at["prod", "1.36"].plan
    (coredns,) = [r for r in plan.resources if r.type == "aws:eks/addon:Addon" and r.inputs["addonName"] == "coredns"]
    values = json.loads(coredns.inputs["configurationValues"])
    assert values["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
    report = upgrade.Preflight()
    upgrade.check_addon_pdbs(plan, report)
    assert report.blockers == [] and report.checked["disruption budgets"] >= 1
    values["podDisruptionBudget"] = {"enabled": True, "minAvailable": values["replicaCount"]}
    broken = dataclasses.replace(coredns, inputs={**coredns.inputs, "configurationValues": json.dumps(values)})
    report = upgrade.Preflight()
    upgrade.check_addon_pdbs(dataclasses.replace(plan, resources=[broken]), report)
    assert report.blockers == [
        "prod-addons-coredns (EKS add-on coredns): its podDisruptionBudget {'enabled': True, 'minAvailable': 3} allows "
        "no disruption with 3 replica(s): set maxUnavailable to 1 or more in platform:addons"
    ]


def test_karpenter_budgets_that_block_drift():
    assert upgrade.budgets_block_drift([{"nodes": "0"}])
    assert upgrade.budgets_block_drift([{"nodes": "10%"}, {"nodes": "0", "reasons": ["Drifted"]}])
    assert not upgrade.budgets_block_drift([{"nodes": "0", "reasons": ["Underutilized"]}, {"nodes": "10%"}])
    assert not upgrade.budgets_block_drift([{"nodes": "0", "schedule": "@daily", "duration": "8h"}])


def test_a_custom_resource_its_crd_does_not_serve_blocks():
    crd = upgrade.KubeObject(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "widgets.example.com",
        "",
        "chart demo",
        {
            "spec": {
                "group": "example.com",
                "names": {"kind": "Widget"},
                "scope": "Namespaced",
                "versions": [{"name": "v1", "served": True}],
            }
        },
    )
    old = upgrade.KubeObject("example.com/v1beta1", "Widget", "w", "team", "platform/w.yaml", {})
    report = upgrade.Preflight()
    upgrade.check_apis([crd, old], "1.36", report)
    assert report.blockers == [
        "platform/w.yaml: Widget team/w uses example.com/v1beta1, which its CRD does not serve (serves v1): "
        "use example.com/v1"
    ]


def test_matrix_blockers_name_the_pin_and_the_fix(stacks_at, monkeypatch):
    at = stacks_at["prod", "1.36"]
    monkeypatch.setitem(versions.CHART_KUBE_VERSIONS, "cert-manager", "<1.36.0-0")
    monkeypatch.setattr(versions, "KARPENTER_AMI_RELEASES", {"al2023@v20260818": ("1.35",)})
    report = upgrade.Preflight()
    upgrade.check_matrix(at.cfg, at.plan, "1.36", report)
    assert any(b.startswith("chart cert-manager v1.20.2: its kubeVersion '<1.36.0-0' rejects") for b in report.blockers)
    assert any("amiSelectorAlias al2023@v20260818: the release publishes 1.35, not" in b for b in report.blockers)


# ------------------------------------------------------------------------------------------------ acceptance


def test_acceptance_4_every_stack_passes_the_preflight_of_each_next_minor(stacks_at, stack_names):
    """For every supported minor except the newest, the pre-flight of an upgrade to the next one passes on every
    stack of the repository (Pulumi.*.yaml, never a fixed list)."""
    assert {"dev", "prod"} <= set(stack_names)
    minors = list(version_matrix.matrix())
    failures = {}
    for stack in stack_names:
        for source, target in itertools.pairwise(minors):
            at = stacks_at[stack, source]
            up = upgrade.plan_upgrade(at.cfg, stack, target, resume=False)
            report = upgrade.run_preflight(at.cfg, up, stacks_at[stack, target].plan, ROOT, insights=None)
            if not report.ok:
                failures[f"{stack} {source}->{target}"] = report.blockers
            assert report.checked["managed node groups"] >= 1
            assert report.checked["objects' APIs"] > 0
    assert not failures, failures


@pytest.fixture(scope="module")
def prod_dry_run():
    result = invoke("upgrade", "prod", "--to", "1.36", "--dry-run", env=NO_AWS)
    return result


def test_acceptance_1_dry_run_prints_the_five_stages_with_what_each_changes(prod_dry_run):
    result = prod_dry_run
    assert result.exit_code == 0, result.output
    out = result.output
    stages = [line for line in out.splitlines() if line.startswith("stage ")]
    assert [s.split(":")[0] for s in stages] == [f"stage {n}/5" for n in range(1, 6)]
    assert "pre-flight: passed" in out
    assert "EKS Upgrade Insights: skipped (no AWS credentials" in out
    assert "~ eks:index:Cluster prod-cluster-eks  version: 1.35 -> 1.36" in out
    assert (
        "~ aws:eks/addon:Addon prod-addons-kube-proxy  addonVersion: v1.35.0-eksbuild.2 -> v1.36.0-eksbuild.21" in out
    )
    assert "pod-security.kubernetes.io/enforce-version: v1.35 -> v1.36" in out
    for pool in ("system", "general", "compute", "spot"):
        assert f"~ aws:eks/nodeGroup:NodeGroup prod-nodes-{pool}  version: 1.35 -> 1.36" in out
    stage5 = out[out.index("stage 5/5") :]
    assert "~ kubernetes:karpenter.sh/v1:NodePool prod-karpenter-pool-general" in stage5
    # Each stage lists only its layer.
    stage1 = out[out.index("stage 1/5") : out.index("stage 2/5")]
    assert "aws:eks/addon:Addon" not in stage1 and "nodeGroup" not in stage1
    # Karpenter's nodes are held before the control plane moves (the NodePools' budgets, then the cluster).
    hold, move = stage1.split("  control plane: ", 1)
    assert "first holding Karpenter's nodes" in hold and "NodePool prod-karpenter-pool-general" in hold
    assert "eks:index:Cluster" not in hold and "NodePool" not in move


def test_acceptance_1_one_minor_rule_and_unknown_versions_exit_2(project_copy):
    result = invoke("upgrade", "prod", "--to", "1.37", "--dry-run")
    assert result.exit_code == 2
    assert "EKS upgrades one minor version at a time" in result.output
    project = project_copy()
    path = project / "Pulumi.prod.yaml"
    path.write_text(upgrade.write_layers(path.read_text(), upgrade.Layers("1.36", {}), "1.36", "1.36"))
    result = invoke("upgrade", "prod", "--to", "1.37", "--dry-run", env={"PLATFORMCTL_PROJECT_DIR": str(project)})
    assert result.exit_code == 2
    assert "Kubernetes 1.37 is not in the version matrix" in result.output


LEGACY_PDB = """\
# A budget written for an old cluster.
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata:
  name: legacy
  namespace: frontend
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app: legacy
"""


def test_acceptance_2_a_removed_api_under_platform_blocks_the_upgrade(tmp_path, project_copy):
    """The pre-flight exits 1 with one line naming the file, the kind, the removed API and its replacement."""
    project = project_copy()
    (project / "platform" / "bootstrap" / "legacy-pdb.yaml").write_text(LEGACY_PDB)
    # The pre-flight runs first and offline: exit 1 before any pulumi command (none is on PATH here).
    result = invoke(
        "upgrade",
        "prod",
        "--to",
        "1.36",
        "--yes",
        "--no-commit",
        env={"PLATFORMCTL_PROJECT_DIR": str(project), "PATH": str(tmp_path), **NO_AWS},
    )
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if "legacy-pdb.yaml" in line]
    assert lines == [
        "  blocker: platform/bootstrap/legacy-pdb.yaml: PodDisruptionBudget frontend/legacy uses policy/v1beta1 "
        "PodDisruptionBudget, removed in Kubernetes 1.25; Kubernetes 1.36 does not serve it: use policy/v1"
    ]
    assert "nothing was changed" in result.output
    assert (project / "Pulumi.prod.yaml").read_text() == PROD


def test_the_preflight_reads_platform_manifests_as_rendered(stacks_at):
    at = stacks_at["prod", "1.36"]
    up = upgrade.Upgrade("prod", "1.35", "1.36", ["system"], True)
    ingress = {
        "apiVersion": "extensions/v1beta1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "frontend"},
    }
    manifest = Manifest("platform/apps/ingress.yaml", ingress)
    report = upgrade.preflight(at.cfg, at.plan, [manifest], up.target)
    assert (
        "platform/apps/ingress.yaml: Ingress frontend/web uses extensions/v1beta1 Ingress, removed in Kubernetes 1.22; "
        "Kubernetes 1.36 does not serve it: use networking.k8s.io/v1" in report.blockers
    )
