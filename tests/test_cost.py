"""`platformctl cost`: the monthly estimate of each stack from its offline plan (issue 19's acceptance items)."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from components.config.cost import CostConfig
from platformctl import cost as C
from platformctl import prices as P
from platformctl.cli import app

ROOT = Path(__file__).resolve().parents[1]
ON = date(2026, 12, 1)


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def edited_stack(tmp_path: Path, stack: str, edit) -> Path:
    doc = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    edit(doc["config"])
    path = tmp_path / f"Pulumi.{stack}-edited.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture(scope="module")
def estimates(plans):
    return {s: C.estimate(p.document(), p.config.cost, on=ON) for s, p in plans.items()}


@pytest.fixture(scope="module")
def cli_output(plans, tmp_path_factory):
    """`platformctl cost STACK` (the table) for dev and prod, from the session's plans (`--plan`)."""
    out = {}
    for stack, plan in plans.items():
        path = tmp_path_factory.mktemp("plans") / f"{stack}.json"
        path.write_text(plan.to_json())
        result = run("cost", stack, "--plan", str(path), "--on", ON.isoformat())
        assert result.exit_code == 0, result.output
        out[stack] = result.stdout
    return out


# ------------------------------------------------------------------------------------------- acceptance 1


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cost_prints_per_component_lines_and_a_total(cli_output, estimates, stack):
    text = cli_output[stack]
    for component, usd in estimates[stack].by_component().items():
        assert any(line.split() == [component, C.money(usd)] for line in text.splitlines()), component
    assert f"TOTAL {C.money(estimates[stack].total)} per month" in text
    assert {"cluster", "nodes", "network"} <= set(estimates[stack].by_component())


def test_prod_costs_more_than_dev(estimates):
    assert estimates["prod"].total > estimates["dev"].total > 0


def test_prods_three_nat_gateways_cost_three_times_devs_one_in_hourly_charges(estimates):
    def nat_hours(est):
        return [i for i in est.items if i.price_key == "nat.hour"]

    dev, prod = nat_hours(estimates["dev"]), nat_hours(estimates["prod"])
    assert (len(dev), len(prod)) == (1, 3)
    assert all(i.priced for i in dev + prod)
    assert math.isclose(sum(i.monthly_usd for i in prod), 3 * sum(i.monthly_usd for i in dev), rel_tol=1e-12)


# ------------------------------------------------------------------------------------------- acceptance 2


def test_raising_prods_general_pool_from_3_to_6_adds_three_instance_months(tmp_path, estimates):
    from platformctl.engine import run_plan

    def six(config):
        general = next(p for p in config["platform:nodePools"] if p["name"] == "general")
        assert general["desiredSize"] == 3
        general["desiredSize"] = 6

    plan = run_plan("prod", edited_stack(tmp_path, "prod", six), project_dir=ROOT)
    raised = C.estimate(plan.document(), plan.config.cost, on=ON)
    base = estimates["prod"]
    instance = plan.config.node_pools[[p.name for p in plan.config.node_pools].index("general")].instance_types[0]
    monthly = P.load_table().price(plan.config.region, P.ec2_key(instance)).usd * P.HOURS_PER_MONTH
    assert math.isclose(raised.total - base.total, 3 * monthly, rel_tol=1e-9, abs_tol=1e-9)
    # The per-node items that grow with the pool (root volumes, container log ingestion) are listed, unpriced in
    # eu-west-1: none of them adds a cent that is not an instance-month.
    grown = {i.key for i in raised.items} - {i.key for i in base.items}
    assert all(not i.priced for i in raised.items if i.key in grown and i.price_key != P.ec2_key(instance))


def test_per_node_items_grow_with_desired_size_where_they_are_priced(plans):
    """In a region where gp3 and log ingestion are priced the total also grows by each node's volumes and logs,
    each as its own line: the instance line alone grows by exactly the instance-months."""
    doc = json.loads(plans["prod"].to_json())
    doc["region"] = "us-east-1"
    base = C.estimate(doc, CostConfig(), on=ON)
    for r in doc["resources"]:
        if r["type"] == C.NODE_GROUP and r["name"].endswith("-general"):
            r["inputs"]["scalingConfig"]["desiredSize"] = 6
    raised = C.estimate(doc, CostConfig(), on=ON)
    lines = {i.key: i for i in base.items}
    deltas = {i.key: (i.monthly_usd or 0) - (lines[i.key].monthly_usd or 0) for i in raised.items}
    table = P.load_table()
    instance = table.price("us-east-1", "ec2.m7i.xlarge").usd * P.HOURS_PER_MONTH
    volume = table.price("us-east-1", "ebs.gp3.gb-month").usd * 50
    assert math.isclose(deltas[("nodes", "node group general: m7i.xlarge on-demand")], 3 * instance, rel_tol=1e-12)
    assert math.isclose(deltas[("nodes", "node group general: gp3 root volumes")], 3 * volume, rel_tol=1e-12)
    assert math.isclose(raised.total - base.total, sum(deltas.values()), rel_tol=1e-12)


# ------------------------------------------------------------------------------------------- acceptance 3


def test_a_region_absent_from_the_price_table_lists_what_is_not_priced_and_exits_0(tmp_path):
    config = edited_stack(tmp_path, "dev", lambda c: c.update({"aws:region": "ap-southeast-2"}))
    result = run("cost", "dev", "--config-file", str(config), "--on", ON.isoformat())
    assert result.exit_code == 0, result.output
    assert "region ap-southeast-2 is not in the price table" in result.stdout
    assert "TOTAL $0.00 per month" in result.stdout
    listed = result.stdout.split("Not priced (", 1)[1]
    for what in ("EKS control plane", "node group system", "NAT gateway", "KMS key", "RDS db.t4g.medium"):
        assert what in listed, what
    # Listed as not priced, not as zero: no line item carries a price.
    as_json = run("cost", "dev", "--config-file", str(config), "--format", "json", "--on", ON.isoformat())
    doc = json.loads(as_json.stdout)
    assert doc["notPriced"] and all(not i["priced"] for i in doc["items"] if i["price_key"] != "karpenter.at-rest")
    assert all("monthly_usd" not in i for i in doc["items"] if i["price_key"] != "karpenter.at-rest")


# ------------------------------------------------------------------------------------------- the model


def test_one_control_plane_per_cluster(estimates):
    """pulumi-eks's component and the aws:eks/cluster:Cluster it registers are one cluster: priced once."""
    for est in estimates.values():
        assert [i.item for i in est.items].count("EKS control plane (standard support)") == 1


def test_spot_is_the_on_demand_price_less_the_stated_discount(estimates):
    general = next(i for i in estimates["dev"].items if i.item == "node group general: m7i.large spot")
    on_demand = P.load_table().price("eu-west-1", "ec2.m7i.large").usd
    assert "60%" in general.note
    assert math.isclose(general.unit_usd, on_demand * 0.4, rel_tol=1e-12)


def test_node_groups_carry_their_min_to_max_range(estimates):
    general = next(i for i in estimates["prod"].items if i.item == "node group general: m7i.xlarge on-demand")
    assert general.low_usd == pytest.approx(general.monthly_usd)  # minSize 3 == desiredSize 3
    assert general.high_usd == pytest.approx(general.monthly_usd * 20 / 3)  # maxSize 20
    low, high = estimates["prod"].range
    assert low < estimates["prod"].total < high


def test_karpenter_costs_nothing_at_rest_and_its_ceiling_comes_from_the_limits(estimates):
    dev = estimates["dev"]
    at_rest = [i for i in dev.items if i.price_key == "karpenter.at-rest"]
    assert at_rest and all(i.monthly_usd == 0 for i in at_rest)
    (ceiling,) = dev.ceilings
    # limits cpu 32 / memory 128Gi: 16 × m7i.large (2 vCPU, 8 GiB), the dearest per node among the fits.
    assert ceiling.quantity == 16 * P.HOURS_PER_MONTH and ceiling.price_key == "ec2.m7i.large"
    assert ceiling.monthly_usd not in (None, 0) and ceiling.monthly_usd not in [i.monthly_usd for i in dev.items]
    assert "16 × m7i.large" in ceiling.note


def test_interface_endpoints_are_billed_per_az_and_gateway_endpoints_not(estimates):
    hours = [i for i in estimates["prod"].items if i.price_key == "endpoint.hour"]
    assert len(hours) == 6 and all(i.quantity == 3 * P.HOURS_PER_MONTH for i in hours)
    assert not any("s3" in i.item for i in estimates["prod"].items)


def test_log_storage_follows_each_log_groups_retention(estimates):
    storage = {i.item: i for i in estimates["prod"].items if i.price_key == "logs.storage"}
    cluster = next(i for k, i in storage.items() if "/cluster" in k)
    assert cluster.note.startswith("365 days kept")
    assert cluster.quantity == pytest.approx(20 * 365 / (P.HOURS_PER_MONTH / 24))


def test_extended_support_is_charged_only_past_standard_support_with_the_extended_policy(plans):
    doc = json.loads(plans["dev"].to_json())
    # The priced cluster is pulumi-eks's aws:eks/cluster:Cluster (its component is expanded in the plan).
    cluster = next(r for r in doc["resources"] if r["type"] == "aws:eks/cluster:Cluster")
    inputs = cluster["inputs"]
    inputs["version"] = "1.32"  # standard support ended 2026-03-23
    inputs["upgradePolicy"] = {"supportType": "EXTENDED"}
    extended = C.estimate(doc, CostConfig(), on=ON)
    (surcharge,) = [i for i in extended.items if i.price_key == "eks.extended-support"]
    assert surcharge.monthly_usd == pytest.approx(0.50 * P.HOURS_PER_MONTH)
    inputs["upgradePolicy"] = {"supportType": "STANDARD"}
    standard = C.estimate(doc, CostConfig(), on=ON)
    assert not [i for i in standard.items if i.price_key == "eks.extended-support"]
    assert any("EKS upgrades the cluster" in n for n in standard.notes)
    assert not [i for i in C.estimate(doc, CostConfig(), on=date(2026, 1, 1)).items if "extended" in i.price_key]


def test_usage_assumptions_come_from_platform_cost(tmp_path):
    config = edited_stack(
        tmp_path, "dev", lambda c: c.update({"platform:cost": {"natGbPerMonth": 1000, "spotDiscountPercent": 0}})
    )
    usage = C.usage_from_stack_file(config)
    assert usage.nat_gb_per_month == 1000 and usage.spot_discount_percent == 0


def test_a_bad_platform_cost_key_is_one_line_naming_it(plan_with_edited_config):
    code, lines = plan_with_edited_config("dev", lambda c: c.update({"platform:cost": {"natGbPerMonht": 5}}))
    assert code == 2
    assert any(
        line.startswith("platform:cost.natGbPerMonht: unknown key; did you mean 'natGbPerMonth'") for line in lines
    )


# ------------------------------------------------------------------------------------------- markdown, delta


def test_markdown_has_the_component_table_the_total_and_what_is_not_priced(estimates):
    md = C.render_markdown(estimates["prod"])
    assert f"| **total** | **{C.money(estimates['prod'].total)}** |" in md
    assert "| network |" in md and "**Not priced**" in md and "Karpenter ceilings" in md


def test_delta_markdown_shows_both_totals_and_the_change(estimates):
    delta = C.Delta("prod", estimates["dev"], estimates["prod"])
    md = C.render_delta_markdown(delta)
    change = estimates["prod"].total - estimates["dev"].total
    assert f"| **total** | {C.money(estimates['dev'].total)} | {C.money(estimates['prod'].total)} | **+" in md
    assert f"+${change:,.2f}" in md
    assert "| nodes |" in md and "Line items that changed" in md
    new = C.render_delta_markdown(C.Delta("prod", None, estimates["prod"]))
    assert "— (new stack)" in new


def test_cli_reports_the_change_against_a_base_plan(plans, tmp_path):
    base = tmp_path / "base-prod.json"
    base.write_text(plans["dev"].to_json())  # any plan document stands in for the base branch's
    head = tmp_path / "prod.json"
    head.write_text(plans["prod"].to_json())
    result = run("cost", "prod", "--plan", str(head), "--base-plan", str(base), "-f", "markdown", "--on", "2026-12-01")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("### `prod` (eu-west-1): ")
    missing = run("cost", "prod", "--plan", str(head), "--base-plan", str(tmp_path / "none.json"), "-f", "json")
    assert json.loads(missing.stdout)["base"] is None


def test_diff_envs_shows_the_cost_of_each_environment(plans):
    from platformctl.diffenvs import compare, render_markdown

    md = render_markdown(compare(plans["dev"], plans["prod"], ROOT))
    assert "## Monthly cost estimate (USD, `platformctl cost`)" in md
    section = md.split("## Monthly cost estimate", 1)[1]
    assert "| **total** |" in section and "| nodes |" in section
