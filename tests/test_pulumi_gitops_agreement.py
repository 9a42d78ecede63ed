"""What Pulumi declares and what platform/ (Argo CD) declares agree: teams, their access, pinned chart versions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.config.repository import stack_names

ROOT = Path(__file__).resolve().parent.parent
# Every stack of the repository, from its Pulumi.<stack>.yaml (never a fixed dev/prod list).
STACKS = stack_names(ROOT)


@pytest.mark.parametrize("stack", STACKS)
def test_access_teams_match_the_gitops_teams(plans, stack):
    plan = plans[stack]
    values = yaml.safe_load((ROOT / "platform" / "teams" / f"values-{stack}.yaml").read_text())
    gitops_teams = {t["name"]: t for t in values["teams"]}
    access_teams = {t.name: t for t in plan.config.cluster.access.teams}
    assert set(access_teams) == set(gitops_teams), "platform:cluster.access.teams and platform/teams differ"
    (cluster,) = plan.of_type("eks:index:Cluster")
    entries = cluster.requested["accessEntries"]
    for name, team in access_teams.items():
        entry = entries[f"team-{name}"]
        assert entry["principalArn"] == team.role_arn
        # The access entry's group is the one the RoleBinding in platform/teams names.
        assert entry["kubernetesGroups"] == [gitops_teams[name]["group"]]
        # The namespaces the access entry may edit are the ones the teams chart creates for the team.
        assert team.namespaces == gitops_teams[name].get("namespaces", [name])
        (policy,) = entry["accessPolicies"].values()
        assert policy["accessScope"] == {"type": "namespace", "namespaces": team.namespaces}


def test_gitops_managed_charts_use_the_versions_pinned_in_versions_py():
    """An add-on both catalogs know (Pulumi's and platform/bootstrap/addons) is pinned to one version."""
    from components.versions import HELM_CHARTS

    for path in (ROOT / "platform" / "bootstrap" / "addons").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        source = doc["spec"]["template"]["spec"]["source"]
        pinned = HELM_CHARTS[source["chart"]]
        assert (source["repoURL"], source["targetRevision"]) == (pinned["repo"], pinned["version"]), path.name
