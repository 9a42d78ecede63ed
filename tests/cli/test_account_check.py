"""The account check of the real-stack commands: STS (botocore's Stubber) says whose credentials run, and a caller
outside the stack's account stops the command before any `pulumi` command runs, with one line naming both."""

from __future__ import annotations

import datetime
from pathlib import Path

import botocore.session
import pytest
from botocore.stub import Stubber

from components.config import load_stack_config
from platformctl import identity
from platformctl.errors import EXIT_NO_CREDENTIALS, PlatformError

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
OTHER = "210987654321"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/platform-deployer"


def stubbed(*responses: tuple[str, dict, dict | None]):
    """A client factory whose clients answer `responses` in order: (operation, response, expected params)."""
    clients = []

    def factory(target, credentials=None):
        client = botocore.session.Session().create_client(
            "sts", region_name=target.region, aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x"
        )
        stub = Stubber(client)
        index = len(clients)
        operation, response, params = responses[index]
        stub.add_response(operation, response, params)
        stub.activate()
        clients.append((stub, credentials))
        return client

    factory.clients = clients  # type: ignore[attr-defined]
    return factory


def caller_identity(account: str, arn: str | None = None) -> tuple[str, dict, dict]:
    return (
        "get_caller_identity",
        {"Account": account, "Arn": arn or f"arn:aws:iam::{account}:user/someone", "UserId": "AIDAEXAMPLE"},
        {},
    )


def prod_target(**aws) -> identity.Target:
    cfg = load_stack_config("prod", project_dir=ROOT)
    if aws:
        from components.config.aws import aws_settings

        settings, problems = aws_settings(aws, cfg.account)
        assert not problems
        return identity.Target("prod", cfg.account, cfg.region, settings)
    return identity.Target("prod", cfg.account, cfg.region, cfg.aws_settings)


def test_a_caller_in_the_stacks_account_passes():
    factory = stubbed(caller_identity(ACCOUNT))
    assert identity.check(prod_target(), factory) == f"arn:aws:iam::{ACCOUNT}:user/someone"
    factory.clients[0][0].assert_no_pending_responses()


def test_a_caller_in_another_account_is_refused_with_one_line_naming_both():
    with pytest.raises(PlatformError) as info:
        identity.check(prod_target(), stubbed(caller_identity(OTHER)))
    err = info.value
    assert err.code == EXIT_NO_CREDENTIALS and err.kind == "account" and err.details == []
    assert ACCOUNT in err.message and OTHER in err.message
    assert err.message.startswith(
        f"error: stack prod deploys into AWS account {ACCOUNT} (platform:environment.account), but the caller"
    )


def test_with_an_assumed_role_the_role_is_assumed_with_the_stacks_session_settings():
    now = datetime.datetime.now(datetime.UTC)
    assumed = f"arn:aws:sts::{ACCOUNT}:assumed-role/platform-deployer/platform"
    assume = (
        "assume_role",
        {
            "Credentials": {
                "AccessKeyId": "ASIAEXAMPLEEXAMPLE",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": now,
            },
            "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:platform", "Arn": assumed},
        },
        {
            "RoleArn": ROLE,
            "RoleSessionName": "platform",
            "Tags": [{"Key": "team", "Value": "platform"}],
        },
    )
    factory = stubbed(assume, caller_identity(ACCOUNT, assumed))
    target = prod_target(assumeRoles=[{"roleArn": ROLE, "sessionName": "platform", "tags": {"team": "platform"}}])
    assert identity.check(target, factory) == assumed
    # The second client runs with the role's temporary credentials.
    assert factory.clients[1][1] == {
        "aws_access_key_id": "ASIAEXAMPLEEXAMPLE",
        "aws_secret_access_key": "secret",
        "aws_session_token": "token",
    }


def test_a_role_that_cannot_be_assumed_is_one_line():
    def factory(target, credentials=None):
        client = botocore.session.Session().create_client(
            "sts", region_name="eu-west-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x"
        )
        stub = Stubber(client)
        stub.add_client_error("assume_role", "AccessDenied", "not authorized to perform: sts:AssumeRole")
        stub.activate()
        return client

    with pytest.raises(PlatformError) as info:
        identity.check(prod_target(assumeRoles=[{"roleArn": ROLE}]), factory)
    assert info.value.message == (
        f"error: stack prod: AWS refused to identify role {ROLE} for account {ACCOUNT}: AccessDenied: "
        "not authorized to perform: sts:AssumeRole"
    )


def test_no_credentials_and_unknown_profiles_are_exit_5(monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    with pytest.raises(PlatformError) as info:
        identity.check(prod_target())
    assert info.value.code == EXIT_NO_CREDENTIALS and "no AWS credentials found" in info.value.message
    with pytest.raises(PlatformError) as info:
        identity.check(prod_target(profile="platform-prod"))
    assert info.value.message == (
        "error: stack prod: AWS profile 'platform-prod' (aws:profile) is not configured on this machine (~/.aws/config)"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["up", "prod", "--yes"],
        ["preview", "prod"],
        ["refresh", "prod"],
        ["drift", "prod"],
        ["destroy", "prod", "--confirm", "prod"],
    ],
    ids=lambda a: a[0],
)
def test_a_command_with_another_accounts_caller_stops_before_any_pulumi_command(fake_pulumi, cli, monkeypatch, argv):
    factory = stubbed(caller_identity(OTHER, f"arn:aws:iam::{OTHER}:user/wrong"))
    monkeypatch.setattr(identity, "sts_client", factory)
    result = cli(*argv)
    assert result.exit_code == EXIT_NO_CREDENTIALS
    assert result.stderr.strip().splitlines() == [
        f"error: stack prod deploys into AWS account {ACCOUNT} (platform:environment.account), but the caller is in "
        f"account {OTHER} (arn:aws:iam::{OTHER}:user/wrong): switch credentials (AWS_PROFILE, aws sso login) or fix "
        "the stack file"
    ]
    assert fake_pulumi.calls() == []  # not even `pulumi version`


def test_the_same_check_through_real_botocore_over_http(fake_pulumi, fake_sts, cli):
    """The fixture's local STS endpoint (AWS_ENDPOINT_URL_STS): real request signing and XML parsing."""
    calls = fake_sts.calls
    fake_sts.identity = (OTHER, f"arn:aws:iam::{OTHER}:user/wrong")
    result = cli("preview", "dev")
    assert result.exit_code == EXIT_NO_CREDENTIALS and f"caller is in account {OTHER}" in result.stderr
    assert fake_sts.calls == calls + 1 and fake_pulumi.calls() == []
    fake_sts.identity = (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/ci")
    assert cli("preview", "dev").exit_code == 0
