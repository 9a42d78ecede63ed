"""The account guard: every explicit provider refuses any account but the stack's, and every credential setting a
user may write under `aws:` reaches the providers (and the cluster's kubeconfig) or is refused with one line."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from components.config import ConfigError, read_stack_file, validate
from components.config.aws import REFUSED, kubeconfig_credentials, provider_args

ROOT = Path(__file__).resolve().parents[2]
PROD = read_stack_file(ROOT / "Pulumi.prod.yaml")
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ops/platform-deployer"


def lines(**aws) -> list[str]:
    values = copy.deepcopy(PROD)
    values.update({f"aws:{k}": v for k, v in aws.items()})
    with pytest.raises(ConfigError) as info:
        validate(values, "prod")
    return info.value.lines


def test_every_aws_provider_of_the_prod_plan_allows_only_the_stacks_account(prod_plan):
    providers = prod_plan.of_type("pulumi:providers:aws")
    assert providers
    for provider in providers:
        # Provider inputs travel JSON-encoded (first-class provider convention).
        assert json.loads(provider.inputs["allowedAccountIds"]) == [prod_plan.config.account] == [ACCOUNT]
    doc = prod_plan.document()
    assert doc["account"] == ACCOUNT


def test_the_plan_command_shows_the_account(cli_plan_quiet):
    assert f"account {ACCOUNT}" in cli_plan_quiet


@pytest.fixture(scope="module")
def cli_plan_quiet() -> str:
    from typer.testing import CliRunner

    from platformctl.cli import app

    result = CliRunner().invoke(app, ["plan", "prod", "--quiet"])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


@pytest.mark.parametrize("account", ["12345678901", "1234567890123", "abcdefghijkl", 123456789012])
def test_an_account_that_is_not_twelve_digits_exits_2_naming_the_key(plan_with_edited_config, account):
    def edit(config):
        config["platform:environment"]["account"] = account

    code, out = plan_with_edited_config("prod", edit)
    assert code == 2
    assert len(out) == 1 and out[0].startswith("platform:environment.account: "), out


def test_another_allowed_account_is_refused_before_anything_is_declared(plan_with_edited_config):
    code, out = plan_with_edited_config("prod", lambda c: c.__setitem__("aws:allowedAccountIds", ["210987654321"]))
    assert code == 2
    assert out == [
        "aws:allowedAccountIds: the program allows exactly platform:environment.account (123456789012); remove this "
        "key or set it to ['123456789012'] (got [\"210987654321\"])"
    ]


def test_the_stacks_own_account_in_allowed_account_ids_is_accepted():
    values = {**copy.deepcopy(PROD), "aws:allowedAccountIds": [ACCOUNT]}
    assert validate(values, "prod").account == ACCOUNT


@pytest.mark.parametrize("key", sorted(REFUSED))
def test_settings_the_program_cannot_pass_on_are_refused_with_one_line(key):
    out = lines(**{key: "x"})
    assert out == [f"aws:{key}: {REFUSED[key]}"]


def test_unknown_aws_keys_are_refused():
    assert lines(endpoints=[{"sts": "http://localhost"}])[0].startswith(
        "aws:endpoints: unknown aws provider key; allowed: region, profile, allowedAccountIds, assumeRoles"
    )


def test_assume_roles_must_be_one_role_of_the_stacks_account_without_external_id():
    other = "arn:aws:iam::210987654321:role/deployer"
    assert lines(assumeRoles=[{"roleArn": other}]) == [
        f"aws:assumeRoles[0].roleArn: is a role of account 210987654321, but platform:environment.account is "
        f'{ACCOUNT} (the resources would be created in the role\'s account) (got "{other}")'
    ]
    out = lines(assumeRoles=[{"roleArn": ROLE, "externalId": "secret-ish"}])
    assert len(out) == 1 and out[0].startswith("aws:assumeRoles[0].externalId: the cluster's kubeconfig")
    out = lines(assumeRoles=[{"roleArn": ROLE}, {"roleArn": ROLE}])
    assert len(out) == 1 and out[0].startswith("aws:assumeRoles: the cluster's kubeconfig")
    assert lines(assumeRoles=[{"roleArn": "deployer"}]) == [
        'aws:assumeRoles[0].roleArn: must be an IAM role ARN like arn:aws:iam::123456789012:role/Name (got "deployer")'
    ]
    assert lines(assumeRoles=[{"sessionName": "x1"}]) == ["aws:assumeRoles[0].roleArn: is required"]
    out = lines(assumeRoles=[{"roleArn": ROLE, "sesionName": "x"}])
    assert out[0].startswith("aws:assumeRoles[0].sesionName: unknown key; allowed: roleArn, sessionName")
    assert lines(assumeRoles={"roleArn": ROLE})[0].startswith("aws:assumeRoles: must be a list with one role")


def test_scalar_flags_arrive_as_strings_inside_pulumi_and_as_bools_from_yaml():
    for value in (True, "true"):
        cfg = validate({**copy.deepcopy(PROD), "aws:skipMetadataApiCheck": value}, "prod")
        assert cfg.aws_settings.skip_metadata_api_check is True
    assert lines(skipMetadataApiCheck="yes") == ['aws:skipMetadataApiCheck: must be true or false (got "yes")']


def test_credential_settings_become_provider_and_kubeconfig_arguments():
    values = {
        **copy.deepcopy(PROD),
        "aws:profile": "platform-prod",
        "aws:stsRegion": "eu-west-1",
        "aws:assumeRoles": [
            {"roleArn": ROLE, "sessionName": "platformctl", "tags": {"team": "platform"}, "duration": "1h"}
        ],
    }
    cfg = validate(values, "prod")
    assert provider_args(cfg.aws_settings, cfg.account) == {
        "allowed_account_ids": [ACCOUNT],
        "profile": "platform-prod",
        "sts_region": "eu-west-1",
        "assume_roles": [
            {"role_arn": ROLE, "session_name": "platformctl", "tags": {"team": "platform"}, "duration": "1h"}
        ],
    }
    assert kubeconfig_credentials(cfg.aws_settings) == {"profile_name": "platform-prod", "role_arn": ROLE}
    assert kubeconfig_credentials(validate(copy.deepcopy(PROD), "prod").aws_settings) is None


@pytest.fixture(scope="module")
def plan_with_credentials(tmp_path_factory):
    """The prod plan of a stack that names a profile and a role: what every provider receives."""
    from platformctl.engine import run_plan

    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    doc["config"]["aws:profile"] = "platform-prod"
    doc["config"]["aws:assumeRoles"] = [{"roleArn": ROLE, "sessionName": "platformctl", "tags": {"team": "platform"}}]
    path = tmp_path_factory.mktemp("stack") / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc))
    return run_plan("prod", path, ROOT)


def test_the_offline_plan_records_the_credentials_of_every_provider(plan_with_credentials):
    plan = plan_with_credentials
    [aws_provider] = plan.of_type("pulumi:providers:aws")
    assert json.loads(aws_provider.inputs["allowedAccountIds"]) == [ACCOUNT]
    assert aws_provider.inputs["profile"] == "platform-prod"
    assert json.loads(aws_provider.inputs["assumeRoles"]) == [
        {"roleArn": ROLE, "sessionName": "platformctl", "tags": {"team": "platform"}}
    ]
    # pulumi-eks builds the kubeconfig of its own Kubernetes provider (and its outputs) from providerCredentialOpts.
    [eks] = plan.of_type("eks:index:Cluster")
    assert eks.requested["providerCredentialOpts"] == {"profileName": "platform-prod", "roleArn": ROLE}
    # Both Kubernetes providers (pulumi-eks's own and the program's) run `aws eks get-token` as the same role, with
    # the same profile.
    providers = plan.of_type("pulumi:providers:kubernetes")
    assert {p.name for p in providers} == {"prod-cluster-k8s", "prod-cluster-eks-eks-k8s"}
    for k8s in providers:
        args = json.loads(k8s.inputs["kubeconfig"])["users"][0]["user"]["exec"]["args"]
        assert args[args.index("--role") + 1] == ROLE and args[args.index("--profile") + 1] == "platform-prod"
    # Every deploy acts as that role: the deployer's access entry names it (not the deploy runner's deploy role).
    [deployer] = [r for r in plan.of_type("aws:eks/accessEntry:AccessEntry") if r.name == "prod-cluster-deployer"]
    assert deployer.inputs["principalArn"] == ROLE


def test_without_a_fixed_deployer_the_entry_names_whoever_runs_up(tmp_path):
    """No assumed role, no deploy runner: the session context of the caller (an IAM user offline) is the deployer."""
    from platformctl.engine import run_plan

    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["platform:deployRunner"] = {"enabled": False}
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(doc))
    plan = run_plan("dev", path, ROOT)
    [deployer] = [r for r in plan.of_type("aws:eks/accessEntry:AccessEntry") if r.name == "dev-cluster-deployer"]
    assert deployer.inputs["principalArn"] == f"arn:aws:iam::{ACCOUNT}:user/offline"
    assert "aws:iam/getSessionContext:getSessionContext" in plan.invokes
