"""The data components in the offline plans: database, registries, build access (one mocked run per stack)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from components.config import read_stack_file
from components.config.repository import stack_names
from policies.rules import config as policy_config
from policies.rules import encryption, hardening, tags

ROOT = Path(__file__).resolve().parent.parent
# Every stack of the repository, from its Pulumi.<stack>.yaml (never a fixed dev/prod list).
STACKS = stack_names(ROOT)
DATA_COMPONENTS = ("database", "registry", "build-access")
RULES = {**tags.RULES, **encryption.RULES, **hardening.RULES}


def data_resources(plan):
    env = plan.config.environment.name
    return [r for r in plan.resources if r.component in {f"{env}-{c}" for c in DATA_COMPONENTS}]


def of(plan, type_token):
    return [r for r in data_resources(plan) if r.type == type_token]


def one(plan, type_token):
    [r] = of(plan, type_token)
    return r


def by_urn(plan):
    return {r.urn: r for r in plan.resources}


# ---------------------------------------------------------------------------------------------- database


def test_prod_database_is_encrypted_private_multi_az_protected(prod_plan):
    db = one(prod_plan, "aws:rds/instance:Instance")
    i = db.inputs
    assert i["engine"] == "postgres" and i["engineVersion"] == "17.7"
    assert i["storageEncrypted"] is True
    kms_deps = db.property_dependencies["kmsKeyId"]
    assert [by_urn(prod_plan)[u].type for u in kms_deps] == ["aws:kms/key:Key"]
    assert i["kmsKeyId"] == i["masterUserSecretKmsKeyId"] == i["performanceInsightsKmsKeyId"]
    assert i["multiAz"] is True
    assert i["deletionProtection"] is True
    assert i["skipFinalSnapshot"] is False and i["finalSnapshotIdentifier"] == "eks-platform-prod-postgres-final"
    assert i["backupRetentionPeriod"] == 30
    assert i["publiclyAccessible"] is False
    assert db.options["protect"] is True
    # The password is RDS's, in Secrets Manager: never an input, never in state.
    assert i["manageMasterUserPassword"] is True
    assert "password" not in i and "passwordWo" not in i
    assert i["iamDatabaseAuthenticationEnabled"] is True
    assert i["performanceInsightsEnabled"] is True
    assert i["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert i["autoMinorVersionUpgrade"] is False  # pinned version
    assert i["dbSubnetGroupName"] and i["vpcSecurityGroupIds"]


def test_parameter_group_forces_tls_and_logs_slow_queries(prod_plan):
    db = one(prod_plan, "aws:rds/instance:Instance")
    pg = one(prod_plan, "aws:rds/parameterGroup:ParameterGroup")
    assert db.property_dependencies["parameterGroupName"] == [pg.urn]
    assert pg.inputs["family"] == "postgres17"
    params = {p["name"]: p["value"] for p in pg.inputs["parameters"]}
    assert params == {"rds.force_ssl": "1", "log_min_duration_statement": "500"}


def test_dev_database_is_cheaper_and_unprotected(dev_plan):
    db = one(dev_plan, "aws:rds/instance:Instance")
    i = db.inputs
    assert db.options["protect"] is False
    assert i["deletionProtection"] is False and i["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in i
    assert i["multiAz"] is False and i["backupRetentionPeriod"] == 7
    assert i["instanceClass"] == "db.t4g.medium" and i["allocatedStorage"] == 20
    # Still encrypted, private, managed password, TLS.
    assert i["storageEncrypted"] is True and i["publiclyAccessible"] is False and i["manageMasterUserPassword"]
    assert not [r for r in data_resources(dev_plan) if r.options["protect"]]


def test_database_subnets_are_the_private_ones(prod_plan):
    group = one(prod_plan, "aws:rds/subnetGroup:SubnetGroup")
    subnets = {r.urn: r for r in prod_plan.resources if r.type == "aws:ec2/subnet:Subnet"}
    used = group.property_dependencies["subnetIds"]
    assert len(used) == prod_plan.config.network.az_count
    assert all(subnets[u].inputs["tags"].get("kubernetes.io/role/internal-elb") == "1" for u in used)


def test_database_security_group_admits_5432_from_the_cluster_nodes_only(plans):
    for env, plan in plans.items():
        if plan.config.data.database is None:  # a fleet hub has none
            continue
        sg = one(plan, "aws:ec2/securityGroup:SecurityGroup")
        assert not sg.inputs.get("ingress") and not sg.inputs.get("egress")
        rules = of(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        assert rules, "nothing may reach the database"
        resources = by_urn(plan)
        for rule in rules:
            assert rule.inputs["fromPort"] == rule.inputs["toPort"] == 5432
            assert rule.inputs["ipProtocol"] == "tcp"
            assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs
            assert rule.property_dependencies["securityGroupId"] == [sg.urn]
            # The source is the cluster's node security group: an output of pulumi-eks's component, which depends on
            # the component and on the security group it registers.
            sources = [resources[u] for u in rule.property_dependencies["referencedSecurityGroupId"]]
            assert {(s.type, s.component) for s in sources} == {
                ("eks:index:Cluster", f"{env}-cluster"),
                ("aws:ec2/securityGroup:SecurityGroup", f"{env}-cluster"),
            }
            assert [s.name for s in sources if s.custom] == [f"{env}-cluster-eks-nodeSecurityGroup"]


def test_exported_logs_have_retention_and_the_database_key(prod_plan):
    db = one(prod_plan, "aws:rds/instance:Instance")
    groups = of(prod_plan, "aws:cloudwatch/logGroup:LogGroup")
    assert sorted(g.inputs["name"] for g in groups) == [
        "/aws/rds/instance/eks-platform-prod-postgres/postgresql",
        "/aws/rds/instance/eks-platform-prod-postgres/upgrade",
    ]
    for g in groups:
        assert g.inputs["retentionInDays"] == 365
        assert g.inputs["kmsKeyId"] == db.inputs["kmsKeyId"]
        assert g.urn in db.dependencies  # created before RDS would create them bare


def test_database_outputs(prod_plan):
    out = prod_plan.outputs
    assert out["databaseEndpoint"].endswith(".rds.amazonaws.com")
    assert out["databaseSecretArn"].startswith("arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-")


@pytest.fixture(scope="module")
def aurora_plan(tmp_path_factory):
    from platformctl.engine import run_plan

    values = read_stack_file(ROOT / "Pulumi.prod.yaml")
    values["platform:data"]["database"].update({"aurora": True, "engineVersion": "17.6"})
    path = tmp_path_factory.mktemp("aurora") / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump({"config": values}))
    return run_plan("prod", config_file=path, project_dir=ROOT)


def test_aurora_behind_the_same_interface(aurora_plan):
    assert not of(aurora_plan, "aws:rds/instance:Instance")
    cluster = one(aurora_plan, "aws:rds/cluster:Cluster")
    c = cluster.inputs
    assert c["engine"] == "aurora-postgresql" and c["engineVersion"] == "17.6"
    assert c["storageEncrypted"] is True and c["kmsKeyId"]
    assert c["manageMasterUserPassword"] is True and c["masterUserSecretKmsKeyId"] == c["kmsKeyId"]
    assert c["deletionProtection"] is True and c["backupRetentionPeriod"] == 30
    assert c["iamDatabaseAuthenticationEnabled"] is True
    assert cluster.options["protect"] is True
    pg = one(aurora_plan, "aws:rds/clusterParameterGroup:ClusterParameterGroup")
    assert pg.inputs["family"] == "aurora-postgresql17"
    assert {p["name"]: p["value"] for p in pg.inputs["parameters"]}["rds.force_ssl"] == "1"
    instances = of(aurora_plan, "aws:rds/clusterInstance:ClusterInstance")
    assert len(instances) == 2  # multiAz: a writer and a failover reader
    assert all(i.inputs["publiclyAccessible"] is False and i.inputs["performanceInsightsEnabled"] for i in instances)
    assert aurora_plan.outputs["databaseSecretArn"].startswith("arn:aws:secretsmanager:")
    assert ".cluster-" in aurora_plan.outputs["databaseEndpoint"]


# ---------------------------------------------------------------------------------------------- registries


def test_one_repository_per_app(plans):
    for env, plan in plans.items():
        if plan.config.data.registries is None:  # a fleet's stacks use its global stack's (tests/test_fleet.py)
            assert not of(plan, "aws:ecr/repository:Repository")
            continue
        repos = of(plan, "aws:ecr/repository:Repository")
        assert sorted(r.inputs["name"] for r in repos) == [f"{env}/api", f"{env}/frontend"]
        for r in repos:
            assert r.inputs["imageTagMutability"] == "IMMUTABLE"
            assert r.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
            [enc] = r.inputs["encryptionConfigurations"]
            assert enc["encryptionType"] == "KMS" and enc["kmsKey"].startswith("arn:aws:kms:")
            assert r.options["protect"] is plan.config.production
            assert r.inputs["forceDelete"] is not plan.config.production
        urls = plan.outputs["repositoryUrls"]
        registry = f"{plan.config.account}.dkr.ecr.{plan.config.region}.amazonaws.com"
        assert urls == {app: f"{registry}/{env}/{app}" for app in ("frontend", "api")}


def test_lifecycle_and_repository_policies(prod_plan):
    lifecycles = of(prod_plan, "aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert len(lifecycles) == 2
    rules = json.loads(lifecycles[0].inputs["policy"])["rules"]
    assert rules[0]["selection"]["countNumber"] == 7 and rules[1]["selection"]["countNumber"] == 50
    for policy in of(prod_plan, "aws:ecr/repositoryPolicy:RepositoryPolicy"):
        doc = json.loads(policy.inputs["policy"])
        assert [s["Effect"] for s in doc["Statement"]] == ["Allow", "Deny"]


# ---------------------------------------------------------------------------------------------- build access


def test_build_role_trusts_only_the_configured_repository_and_branch(plans):
    # dev and prod share an account, which has one GitHub OIDC provider: dev creates it, prod names it.
    for env, branch in (("dev", "main"), ("prod", "release")):
        plan = plans[env]
        role = one(plan, "aws:iam/role:Role")
        [st] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert st["Condition"] == {
            "StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": [f"repo:example-org/eks-platform:ref:refs/heads/{branch}"],
            }
        }
        if env == "dev":
            provider = one(plan, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
            assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
            assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
            assert role.property_dependencies["assumeRolePolicy"] == [provider.urn]
        else:
            assert not of(plan, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
            assert st["Principal"] == {
                "Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
            }


def test_build_role_pushes_to_this_stacks_repositories_only(prod_plan):
    policy = one(prod_plan, "aws:iam/rolePolicy:RolePolicy")
    doc = json.loads(policy.inputs["policy"])
    push = next(s for s in doc["Statement"] if s["Sid"] == "PushToPlatformRepositories")
    assert push["Resource"] == [
        "arn:aws:ecr:eu-west-1:123456789012:repository/prod/api",
        "arn:aws:ecr:eu-west-1:123456789012:repository/prod/frontend",
    ]
    repos = {r.urn for r in of(prod_plan, "aws:ecr/repository:Repository")}
    assert set(policy.property_dependencies["policy"]) == repos


# ---------------------------------------------------------------------------------------------- policies


@pytest.mark.parametrize("stack", STACKS)
def test_data_resources_pass_the_stack_policy_config(plans, stack):
    """The AWS rules with the stack's own policy config (policies/config/<stack>.json), data components only."""
    config = policy_config.load_config_file(ROOT / "policies" / "config" / f"{stack}.json")
    problems = []
    for r in data_resources(plans[stack]):
        for name, rule in RULES.items():
            problems += [f"{r.name} {name}: {m}" for m in rule(r.type, r.properties, config.get(name))]
    assert problems == []


# ---------------------------------------------------------------------------------------------- wiring


def test_repositories_admit_pulls_from_the_node_roles(plans):
    for plan in plans.values():
        node_roles = plan.outputs["nodeRoleArns"]
        assert node_roles, "the cluster's node roles are exported"
        for policy in of(plan, "aws:ecr/repositoryPolicy:RepositoryPolicy"):
            allow = json.loads(policy.inputs["policy"])["Statement"][0]
            assert allow["Principal"] == {"AWS": sorted(node_roles.values())}


def test_the_api_namespace_reads_the_database_secret_through_its_own_role(plans):
    for env, plan in plans.items():
        if plan.config.data.database is None:
            continue
        secrets = [r for r in plan.resources if r.component == f"{env}-workload-secrets"]
        [store] = [r for r in secrets if r.type == "kubernetes:external-secrets.io/v1:ClusterSecretStore"]
        assert store.inputs["metadata"]["name"] == "database-secrets"
        assert store.inputs["spec"]["conditions"] == [{"namespaces": ["api"]}]
        [reader] = [r for r in secrets if r.type == "aws:iam/role:Role"]
        assert (
            store.inputs["spec"]["provider"]["aws"]["role"]
            == f"arn:aws:iam::{plan.config.account}:role/{reader.inputs['name']}"
        )
        # The External Secrets install (CRDs) comes first.
        resources = by_urn(plan)
        assert any(resources[u].component == f"{env}-addons" for u in store.dependencies)
        policies = {r.inputs["role"]: json.loads(r.inputs["policy"]) for r in secrets if r.type.endswith("RolePolicy")}
        read = policies[reader.inputs["name"]]["Statement"]
        assert read[0]["Resource"] == [plan.outputs["databaseSecretArn"]]
        db = one(plan, "aws:rds/instance:Instance")
        assert read[1]["Resource"] == [db.inputs["kmsKeyId"]]
        controller = plan.outputs["addons"]["external-secrets"]["roleArn"]
        assert json.loads(reader.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"AWS": controller}
        assert controller.rsplit("/", 1)[-1] in policies  # the controller may assume the reader
