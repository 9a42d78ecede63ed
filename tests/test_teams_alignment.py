"""A team exists once: its IAM access (platform:cluster.access.teams) and its namespace (platform/teams) agree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_access_teams_match_the_gitops_teams(plans, stack):
    plan = plans[stack]
    values = yaml.safe_load((ROOT / "platform" / "teams" / f"values-{stack}.yaml").read_text())
    gitops_teams = {t["name"]: t for t in values["teams"]}
    access_teams = {t.name: t for t in plan.config.cluster.access.teams}
    assert set(access_teams) == set(gitops_teams), "platform:cluster.access.teams and platform/teams differ"
    (cluster,) = plan.of_type("eks:index:Cluster")
    entries = cluster.inputs["accessEntries"]
    for name, team in access_teams.items():
        entry = entries[f"team-{name}"]
        assert entry["principalArn"] == team.role_arn
        # The access entry's group is the one the RoleBinding in platform/teams names.
        assert entry["kubernetesGroups"] == [gitops_teams[name]["group"]]
        assert team.namespaces == [name]
        (policy,) = entry["accessPolicies"].values()
        assert policy["accessScope"] == {"type": "namespace", "namespaces": [name]}
