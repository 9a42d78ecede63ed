"""Secrets to workloads (components/workload_secrets.py): the database secret reaches the API namespace only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from components import data_iam, workload_secrets

CONTROLLER = "arn:aws:iam::123456789012:role/eks-platform-prod-external-secrets"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0ab87556-cdac-c95f-5c5d-f2c4bae668a8-9b60ab"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/937b1063-cdf6-052a-f9a3-da83041a6e80"


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    dependencies: list[str]
    urn: str


def run_component(build) -> list[Registered]:
    """Run `build()` under Pulumi mocks; what the engine received, per resource."""
    from pulumi.runtime import mocks

    from platformctl import mock_outputs
    from platformctl.engine import _struct_to_dict, plain, run_with_mocks

    registered: list[Registered] = []
    ctx = mock_outputs.Ctx(region="eu-west-1")

    class Mocks(mocks.Mocks):
        def new_resource(self, args):
            return mock_outputs.new_resource(args.typ, args.name, args.inputs, ctx)

        def call(self, args):
            return mock_outputs.invoke(args.token, args.args, ctx)

    class Monitor(mocks.MockMonitor):
        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            inputs = plain(_struct_to_dict(request.object))
            registered.append(
                Registered(request.type, request.name, inputs, sorted(request.dependencies), response.urn)
            )
            return response

    monitor = Monitor(Mocks())
    run_with_mocks(build, monitor.mocks, project="eks-platform", stack="test", monitor=monitor)
    return registered


@pytest.fixture(scope="module")
def registered() -> list[Registered]:
    def build():
        import pulumi_kubernetes as k8s

        provider = k8s.Provider("k8s", kubeconfig="{}")
        workload_secrets.WorkloadSecrets(
            "prod-workload-secrets",
            workload_secrets.WorkloadSecretsArgs(
                environment="prod",
                region="eu-west-1",
                k8s_provider=provider,
                controller_role_arn=CONTROLLER,
                secret_arn=SECRET,
                kms_key_arn=KEY,
            ),
        )

    return run_component(build)


def of(registered: list[Registered], type_token: str) -> list[Registered]:
    return [r for r in registered if r.type == type_token]


def test_reader_role_is_assumable_by_the_controller_only(registered):
    [role] = of(registered, "aws:iam/role:Role")
    assert role.inputs["name"] == "eks-platform-prod-db-secret-reader"
    [st] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    # TagSession: the controller's Pod Identity session tags are transitive and travel with the chained assume.
    assert st == {
        "Sid": "AssumedByOneRole",
        "Effect": "Allow",
        "Principal": {"AWS": CONTROLLER},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }


def test_reader_reads_exactly_the_database_secret_and_key(registered):
    policies = {
        r.inputs["role"]: json.loads(r.inputs["policy"]) for r in of(registered, "aws:iam/rolePolicy:RolePolicy")
    }
    reader = policies["eks-platform-prod-db-secret-reader"]
    assert reader == data_iam.secret_read_policy([SECRET], [KEY], "eu-west-1")
    # The controller's role (by name) gets exactly one addition: assume the reader.
    controller = policies["eks-platform-prod-external-secrets"]
    assert controller["Statement"] == [
        {
            "Sid": "AssumeRoles",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": ["arn:aws:iam::123456789012:role/eks-platform-prod-db-secret-reader"],
        }
    ]


def test_store_uses_the_reader_and_admits_the_api_namespace_only(registered):
    [store] = of(registered, "kubernetes:external-secrets.io/v1:ClusterSecretStore")
    assert store.inputs["metadata"]["name"] == "database-secrets"
    assert store.inputs["spec"] == {
        "conditions": [{"namespaces": ["api"]}],
        "provider": {
            "aws": {
                "service": "SecretsManager",
                "region": "eu-west-1",
                "role": "arn:aws:iam::123456789012:role/eks-platform-prod-db-secret-reader",
            }
        },
    }


def test_store_name_is_the_charts_default():
    from pathlib import Path

    template = Path(__file__).resolve().parent.parent / "platform/workloads/chart/templates/externalsecret.yaml"
    assert f'default "{workload_secrets.STORE_NAME}"' in template.read_text()


def test_pure_helpers():
    assert workload_secrets.role_name_from_arn("arn:aws:iam::123456789012:role/a/b/name") == "name"
    with pytest.raises(ValueError):
        workload_secrets.role_name_from_arn("arn:aws:iam::123456789012:user/name")
    with pytest.raises(ValueError):
        workload_secrets.cluster_secret_store("eu-west-1", CONTROLLER, [])
    with pytest.raises(ValueError):
        data_iam.assume_policy([])
