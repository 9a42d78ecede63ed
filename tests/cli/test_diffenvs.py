"""diff-envs: pure comparison of two offline plans (the session's dev and prod plans)."""

from __future__ import annotations

from platformctl import diffenvs


def test_mask_env():
    assert diffenvs.mask_env("prod-network-vpc", "prod") == "<env>-network-vpc"
    assert diffenvs.mask_env("eks-platform-prod-logs", "prod") == "eks-platform-<env>-logs"
    assert diffenvs.mask_env("production-x", "prod") == "production-x"


def test_walk_keys_named_list_items():
    doc = {"values": {"server": {"replicas": 2}}, "pools": [{"name": "a", "size": 1}], "tags": ["x", "y"]}
    assert dict(diffenvs.walk(doc)) == {
        "values.server.replicas": 2,
        "pools[a].name": "a",
        "pools[a].size": 1,
        "tags": ["x", "y"],
    }


def test_dev_vs_prod(plans, project_root):
    diff = diffenvs.compare(plans["dev"], plans["prod"], project_root)
    rows = {r.label: r for r in diff.key_settings}
    assert rows["NAT gateways"].a == "1 (single)" and rows["NAT gateways"].b == "3 (perAz)"
    assert rows["availability zones"].a == "2" and rows["availability zones"].b == "3"
    assert rows["API endpoint access"].b == "private only"
    assert rows["cluster deletion protection"].differs
    assert rows["protected resources (protect)"].a == "0" and rows["protected resources (protect)"].b != "0"
    assert any(r.differs for r in diff.node_pools)
    assert ("aws:ec2/natGateway:NatGateway", 1, 3) in diff.types
    assert any(r.label == "platform:network.natGateways" for r in diff.config)
    md = diffenvs.render_markdown(diff)
    assert "## Key settings that differ" in md and "## Node pools" in md


def test_a_stack_against_itself_is_identical(plans, project_root):
    diff = diffenvs.compare(plans["dev"], plans["dev"], project_root)
    assert diff.identical
    assert "No differences between `dev` and `dev`." in diffenvs.render_markdown(diff)
