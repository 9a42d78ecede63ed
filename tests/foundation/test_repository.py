"""Validation that knows the whole repository: each stack next to its siblings, and the checks a copied stack
file trips (environment name, secrets path, CIDRs, domain, the account's GitHub OIDC provider, networks)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from components.config import ConfigError, read_stack_file, validate
from components.config.repository import repository_problems, sibling_facts, stack_names
from components.config.stack import validate_file

ROOT = Path(__file__).resolve().parents[2]
STACKS = stack_names(ROOT)


def test_stacks_are_discovered_from_their_files():
    assert {"dev", "prod"} <= set(STACKS)
    assert all((ROOT / f"Pulumi.{s}.yaml").is_file() for s in STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_is_valid_next_to_the_others(stack):
    cfg, _ = validate_file(ROOT / f"Pulumi.{stack}.yaml", stack, ROOT)
    assert cfg.environment.name == stack
    # Warnings are allowed (a stack fresh from `env new` has "copied from" ones until its values are changed).


def test_the_shipped_stacks_have_no_warnings():
    for stack in ("dev", "prod"):
        siblings = [f for f in sibling_facts(ROOT, stack) if f.stack in ("dev", "prod")]
        errors, warnings = repository_problems(
            validate(read_stack_file(ROOT / f"Pulumi.{stack}.yaml"), stack), siblings
        )
        assert errors == warnings == []


def _copy_of_dev(tmp_path: Path, name: str, edit=None) -> Path:
    """`cp Pulumi.dev.yaml Pulumi.<name>.yaml` (and an optional edit of its config)."""
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    if edit:
        edit(doc["config"])
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _lines(path: Path, stack: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_file(path, stack, ROOT)
    return info.value.lines


def test_a_plain_copy_keeps_dev_as_its_environment_name(tmp_path):
    lines = _lines(_copy_of_dev(tmp_path, "qa"), "qa")
    assert lines == [
        "platform:environment.name: must equal the stack name 'qa' (Pulumi.qa.yaml): resource names, tags, "
        'platform/ values and the policy config follow it; rename the file or set the name (got "dev")'
    ]


def _renamed(name: str):
    def edit(config: dict) -> None:
        config["platform:environment"]["name"] = name

    return edit


def test_a_renamed_copy_still_reuses_devs_secrets_path_domain_cidr_and_oidc_provider(tmp_path):
    lines = _lines(_copy_of_dev(tmp_path, "qa", _renamed("qa")), "qa")
    keys = [line.split(":", 2)[0] + ":" + line.split(":", 2)[1] for line in lines]
    assert keys == [
        "platform:network.vpcCidr",
        "platform:addons.externalSecrets.pathPrefix",
        "platform:gitops.domain",
        "platform:data.buildAccess.oidcProviderArn",
    ]
    assert "Pulumi.dev.yaml" in lines[1] and "eks-platform/dev/" in lines[1]


def test_reusing_devs_secrets_path_in_another_account_and_region_exits_2_naming_the_key(tmp_path, cli_plan):
    def edit(config: dict) -> None:
        _renamed("staging")(config)
        config["aws:region"] = "us-east-1"
        config["platform:environment"]["account"] = "210987654321"
        config["platform:gitops"]["domain"] = "staging.example.com"
        # The deploy runner's roles live in the stack's account (components/config/deploy_runner.py).
        config["platform:deployRunner"] = _in_account(config["platform:deployRunner"], "210987654321")

    code, output = cli_plan("staging", _copy_of_dev(tmp_path, "staging", edit))
    assert code == 2
    assert output == [
        "platform:addons.externalSecrets.pathPrefix: eks-platform/dev/ overlaps eks-platform/dev/ of Pulumi.dev.yaml: "
        'each environment reads only its own secrets (default eks-platform/staging/) (got "eks-platform/dev/")'
    ]


def test_an_environment_name_that_differs_from_the_stack_exits_2_naming_the_key(tmp_path, cli_plan):
    code, output = cli_plan("qa", _copy_of_dev(tmp_path, "qa"))
    assert code == 2
    assert [line.split(": ", 1)[0] for line in output] == ["platform:environment.name"]


def _in_account(section: dict, account: str) -> dict:
    """A config section with every ARN moved to `account`."""
    import json

    return json.loads(json.dumps(section).replace("123456789012", account))


@pytest.fixture
def cli_plan():
    from typer.testing import CliRunner

    from platformctl.cli import app

    def run(stack: str, path: Path) -> tuple[int, list[str]]:
        result = CliRunner().invoke(app, ["plan", stack, "--config-file", str(path), "-q"])
        assert "Traceback" not in result.output
        return result.exit_code, result.output.strip().splitlines()

    return run


def test_overlapping_vpcs_only_matter_in_one_account_and_region():
    dev = validate(read_stack_file(ROOT / "Pulumi.dev.yaml"), "dev")
    values = copy.deepcopy(read_stack_file(ROOT / "Pulumi.prod.yaml"))
    values["platform:network"]["vpcCidr"] = "10.20.128.0/17"  # inside dev's 10.20.0.0/16
    prod = validate(values, "prod")
    siblings = [f for f in sibling_facts(ROOT, "prod") if f.stack == "dev"]
    errors, _ = repository_problems(prod, siblings)
    assert [e.key for e in errors] == ["platform:network.vpcCidr"]
    assert "overlaps 10.20.0.0/16 of Pulumi.dev.yaml in the same account and Region" in errors[0].message
    values["platform:environment"]["account"] = "999999999999"
    values["platform:data"]["buildAccess"].pop("oidcProviderArn")
    values["platform:deployRunner"] = _in_account(values["platform:deployRunner"], "999999999999")
    errors, _ = repository_problems(validate(values, "prod"), siblings)
    assert errors == []
    assert dev.network.vpc_cidr == "10.20.0.0/16"


def test_values_copied_from_another_stack_are_reported_until_changed():
    values = copy.deepcopy(read_stack_file(ROOT / "Pulumi.prod.yaml"))
    values["platform:addons"]["externalDns"]["hostedZoneIds"] = ["Z0DEVEXAMPLE00000001"]
    values["platform:data"]["buildAccess"]["branches"] = ["main"]
    siblings = [f for f in sibling_facts(ROOT, "prod") if f.stack == "dev"]
    errors, warnings = repository_problems(validate(values, "prod"), siblings)
    assert errors == []
    assert [w.key for w in warnings] == [
        "platform:addons.externalDns.hostedZoneIds",
        "platform:data.buildAccess.branches",
    ]
    assert all("copied from it? change it" in w.message for w in warnings)


# ------------------------------------------------------------------------------ per-stack checks (one file)


def _problems(mutate) -> list[str]:
    values = copy.deepcopy(read_stack_file(ROOT / "Pulumi.dev.yaml"))
    mutate(values)
    with pytest.raises(ConfigError) as info:
        validate(values, "dev")
    return info.value.lines


def test_load_balancer_subnets_need_at_least_a_27():
    def explicit(v):
        v["platform:network"].update(
            publicSubnetCidrs=["10.20.128.0/28", "10.20.129.0/24"], privateSubnetCidrs=["10.20.0.0/18", "10.20.64.0/18"]
        )

    assert _problems(explicit) == [
        "platform:network.publicSubnetCidrs[0]: is smaller than /27: a load balancer subnet needs at least a /27 "
        'with 8 free addresses (got "10.20.128.0/28")'
    ]

    def computed(v):
        v["platform:network"].update(vpcCidr="10.20.0.0/22", azCount=3)

    assert _problems(computed) == [
        "platform:network.vpcCidr: is too small for 3 AZs: its public subnets would be /28, and a load balancer "
        "subnet needs at least a /27 (use a larger vpcCidr, fewer AZs, or explicit publicSubnetCidrs) "
        '(got "10.20.0.0/22")'
    ]


def test_a_public_vpc_range_warns():
    values = copy.deepcopy(read_stack_file(ROOT / "Pulumi.dev.yaml"))
    values["platform:network"]["vpcCidr"] = "52.20.0.0/16"
    cfg = validate(values, "dev")
    assert [w.key for w in cfg.warnings] == ["platform:network.vpcCidr"]
    values["platform:network"]["vpcCidr"] = "100.64.0.0/16"  # shared address space: fine for a VPC
    assert validate(values, "dev").warnings == ()


def test_more_azs_than_the_region_has():
    assert _problems(lambda v: v["platform:network"].update(azCount=4)) == [
        "platform:network.azCount: eu-west-1 has 3 Availability Zones (eu-west-1a, eu-west-1b, eu-west-1c) (got 4)"
    ]


def test_an_addon_in_pulumi_and_in_gitops_is_a_config_error():
    lines = _problems(lambda v: v["platform:addons"].update(argoRollouts={"enabled": True}))
    assert lines == [
        "platform:gitops.addons[0]: argo-rollouts is also installed by Pulumi (platform:addons.argoRollouts): an "
        "add-on is installed by Pulumi or by Argo CD, never both (two copies would fight); remove one "
        '(got "argo-rollouts")'
    ]


def test_a_team_namespace_kube_system_exits_2_naming_the_key(plan_with_edited_config):
    def edit(config: dict) -> None:
        config["platform:cluster"]["access"]["teams"][0]["namespaces"] = ["frontend", "kube-system"]

    code, lines = plan_with_edited_config("dev", edit)
    assert code == 2
    assert lines == [
        "platform:cluster.access.teams[0].namespaces[1]: is reserved: kube-* namespaces are Kubernetes' own "
        '(got "kube-system")'
    ]


@pytest.mark.parametrize(
    ("namespaces", "expected"),
    [
        (
            ["argocd"],
            "platform:cluster.access.teams[0].namespaces[0]: is reserved: Argo CD runs there (platform:gitops) "
            '(got "argocd")',
        ),
        (
            ["cert-manager"],
            "platform:cluster.access.teams[0].namespaces[0]: is reserved: the cert-manager add-on's namespace "
            '(got "cert-manager")',
        ),
        (
            ["karpenter"],
            "platform:cluster.access.teams[0].namespaces[0]: is reserved: Karpenter's conventional namespace "
            '(got "karpenter")',
        ),
        (
            ["frontend", "api"],
            "platform:cluster.access.teams[1].namespaces[0]: is already team frontend's (one team per namespace) "
            '(got "api")',
        ),
    ],
)
def test_team_namespaces_are_checked_against_reserved_ones_and_other_teams(namespaces, expected):
    lines = _problems(lambda v: v["platform:cluster"]["access"]["teams"][0].update(namespaces=namespaces))
    assert lines == [expected]


def test_a_team_may_own_several_namespaces():
    values = copy.deepcopy(read_stack_file(ROOT / "Pulumi.dev.yaml"))
    values["platform:cluster"]["access"]["teams"][0]["namespaces"] = ["frontend", "frontend-batch"]
    assert validate(values, "dev").cluster.access.teams[0].namespaces == ["frontend", "frontend-batch"]
