"""Delivery: the example build workflow agrees with the stacks' build access, and the API's ExternalSecret."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components import data_iam
from components.config import load_stack_config

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "build-images.yml"
CHART = ROOT / "platform" / "workloads" / "chart"
# The branch each environment's images are built from (= the branch its Argo CD follows).
BRANCH_ENV = {"main": "dev", "release": "prod"}
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0ab87556-cdac-c95f-5c5d-f2c4bae668a8-9b60ab"


@pytest.fixture(scope="module")
def workflow() -> dict:
    doc = yaml.safe_load(WORKFLOW.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


@pytest.fixture(scope="module")
def stacks():
    return {env: load_stack_config(env, project_dir=ROOT) for env in ("dev", "prod")}


def job(workflow: dict) -> dict:
    [only] = workflow["jobs"].values()
    return only


def step(workflow: dict, uses_prefix: str) -> dict:
    return next(s for s in job(workflow)["steps"] if s.get("uses", "").startswith(uses_prefix))


def test_workflow_uses_oidc_not_keys(workflow):
    # Per job, never per workflow (tests/cli/test_workflows.py).
    assert "permissions" not in workflow
    assert job(workflow)["permissions"] == {"contents": "write", "id-token": "write"}
    creds = step(workflow, "aws-actions/configure-aws-credentials@")["with"]
    assert "aws-access-key-id" not in creds and "aws-secret-access-key" not in creds
    assert "secrets." not in WORKFLOW.read_text()


def test_workflow_branches_and_roles_match_the_stacks(workflow, stacks):
    assert set(workflow["on"]["push"]["branches"]) == set(BRANCH_ENV)
    assert job(workflow)["env"]["ENVIRONMENT"] == "${{ github.ref_name == 'release' && 'prod' || 'dev' }}"
    for env, cfg in stacks.items():
        assert cfg.data.build_access is not None
        assert {BRANCH_ENV[b] for b in cfg.data.build_access.branches} == {env}
        assert cfg.data.build_access.github_repository == "example-org/eks-platform"
    role = step(workflow, "aws-actions/configure-aws-credentials@")["with"]["role-to-assume"]
    assert role == "arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/" + data_iam.push_role_name("${{ env.ENVIRONMENT }}")


def test_workflow_builds_the_configured_apps_into_their_repositories(workflow, stacks):
    apps = job(workflow)["env"]["APPS"].split()
    for cfg in stacks.values():
        assert apps == cfg.data.registries.apps
    text = WORKFLOW.read_text()
    assert (
        'repo="$ENVIRONMENT/$app"' in text and data_iam.repository_name("$ENVIRONMENT", "$app") == "$ENVIRONMENT/$app"
    )
    # The bump edits keys that exist in every environment's values file.
    for env in BRANCH_ENV.values():
        values = yaml.safe_load((ROOT / "platform" / "workloads" / f"values-{env}.yaml").read_text())
        for app in apps:
            assert "tag" in values[app]["image"], f"values-{env}.yaml: {app}.image.tag"


# ---------------------------------------------------------------------------------------------- ExternalSecret


def render(api_overrides: dict) -> dict[str, str]:
    from tests.platform_tree.render import read_values, render_chart

    values = read_values(ROOT / "platform" / "workloads" / "values-prod.yaml")
    values.setdefault("api", {}).update(api_overrides)
    return render_chart(CHART, values, "workloads", "frontend")


def external_secrets(rendered: dict[str, str]) -> list[dict]:
    docs = [d for text in rendered.values() for d in yaml.safe_load_all(text) if d]
    return [d for d in docs if d.get("kind") == "ExternalSecret"]


def test_no_external_secret_by_default():
    assert external_secrets(render({})) == []


def test_external_secret_maps_the_rds_secret_into_the_mounted_secret():
    rendered = render(
        {"externalSecret": {"enabled": True, "remoteKey": SECRET_ARN, "host": "db.internal", "dbName": "app"}}
    )
    [es] = external_secrets(rendered)
    assert es["apiVersion"] == "external-secrets.io/v1"
    assert es["metadata"] == {**es["metadata"], "name": "api-db", "namespace": "api"}
    spec = es["spec"]
    assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "database-secrets"}
    assert spec["target"]["name"] == "api-db"  # the Secret the Deployment mounts
    assert [(d["secretKey"], d["remoteRef"]) for d in spec["data"]] == [
        ("username", {"key": SECRET_ARN, "property": "username"}),
        ("password", {"key": SECRET_ARN, "property": "password"}),
    ]
    files = spec["target"]["template"]["data"]
    assert files["username"] == "{{ .username }}" and files["password"] == "{{ .password }}"
    assert files["host"] == "db.internal" and files["port"] == "5432" and files["sslmode"] == "require"
    # Mounted as a volume, never in the environment.
    docs = [d for text in rendered.values() for d in yaml.safe_load_all(text) if d]
    api = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "api")
    pod = api["spec"]["template"]["spec"]
    assert {"name": "db-credentials", "secret": {"secretName": "api-db", "defaultMode": 288}} in pod["volumes"]
    assert "api-db" not in str(pod["containers"][0].get("env", []))


def test_external_secret_needs_the_secret_arn():
    import helm_python

    with pytest.raises(helm_python.HelmError, match=r"api\.externalSecret\.remoteKey"):
        render({"externalSecret": {"enabled": True}})
