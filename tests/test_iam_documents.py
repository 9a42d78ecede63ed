"""Every IAM policy document the program declares passes the IAM checker (policies/rules/iam_valid.py): the
identity, trust, KMS key, SQS queue, ECR repository and S3 bucket policies of the dev and prod plans, and of two
variants of prod with every catalog add-on enabled (one with Karpenter, one with cluster-autoscaler, which
exclude each other), so an add-on's document is checked whether a shipped stack enables it or not.

Zero findings is the bar: a finding is a grant that can never match (or a condition that can never hold), which
would only show as AccessDenied on a live cluster.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.addons.catalog import CATALOG
from policies.rules.iam_valid import POLICY_FIELDS, check_document, documents

ROOT = Path(__file__).resolve().parent.parent
KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"


def every_addon_config(karpenter: bool) -> dict:
    """Pulumi.prod.yaml's config with every catalog add-on that has an IAM role enabled (with Karpenter, or with
    cluster-autoscaler instead). Argo Rollouts, which calls no AWS API, stays with GitOps as in the stack."""
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    config = doc["config"]
    addons = config.setdefault("platform:addons", {})
    for name, spec in CATALOG.items():
        if spec.policy is None:
            continue
        key = name.split("-")[0] + "".join(part.title() for part in name.split("-")[1:])
        settings = addons.setdefault(key, {})
        settings["enabled"] = karpenter is False or name != "cluster-autoscaler"
    addons["externalSecrets"]["kmsKeyArns"] = [KMS_KEY]
    config["platform:karpenter"]["enabled"] = karpenter
    return doc


@pytest.fixture(scope="module")
def all_plans(plans, tmp_path_factory):
    from platformctl.engine import run_plan

    out = dict(plans)
    for variant, karpenter in (("every-addon-karpenter", True), ("every-addon-cluster-autoscaler", False)):
        path = tmp_path_factory.mktemp("stacks") / f"Pulumi.{variant}.yaml"
        path.write_text(yaml.safe_dump(every_addon_config(karpenter)))
        out[variant] = run_plan("prod", config_file=path, project_dir=ROOT)
    return out


def plan_documents(plan) -> list[tuple[str, str, str, object]]:
    """(type, resource name, property, document) of every policy document in a plan."""
    return [
        (r.type, r.name, field, doc)
        for r in plan.resources
        if r.type in POLICY_FIELDS
        for field, doc in documents(r.type, r.properties)
    ]


def test_every_document_of_every_plan_is_valid(all_plans):
    findings = [
        f"{stack}: {name} `{field}` {finding.message}"
        for stack, plan in all_plans.items()
        for _type, name, field, doc in plan_documents(plan)
        for finding in check_document(doc)
    ]
    assert findings == []


def test_the_documents_checked_cover_every_kind(all_plans):
    kinds = {(t, field.split("[")[0]) for plan in all_plans.values() for t, _n, field, _d in plan_documents(plan)}
    assert {
        ("aws:iam/role:Role", "assumeRolePolicy"),
        ("aws:iam/rolePolicy:RolePolicy", "policy"),
        ("aws:kms/key:Key", "policy"),
        ("aws:sqs/queuePolicy:QueuePolicy", "policy"),
        ("aws:ecr/repositoryPolicy:RepositoryPolicy", "policy"),
    } <= kinds


def test_every_catalog_addon_with_a_policy_is_checked(all_plans):
    names = {n for plan in all_plans.values() for _t, n, _f, _d in plan_documents(plan)}
    for addon, spec in CATALOG.items():
        if spec.policy is not None:
            assert any(addon in n and n.endswith("-policy") for n in names), addon
