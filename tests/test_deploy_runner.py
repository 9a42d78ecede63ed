"""The deploy runner: a CodeBuild-hosted GitHub Actions runner in the private subnets, admitted by the cluster security
group on 443, with its own least-privilege role, KMS-encrypted logs and the access entries of the roles its jobs
assume (no long-lived credential)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from components import cluster_iam, deploy_runner_iam
from components.config import ConfigError, read_stack_file, validate
from components.deploy_runner import project_name

ROOT = Path(__file__).resolve().parents[1]
PROD = read_stack_file(ROOT / "Pulumi.prod.yaml")
ACCOUNT = "123456789012"
CONNECTION = "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f3c6a5e-8d1b-4c2a-9e7f-1a2b3c4d5e6f"


# ------------------------------------------------------------------------------------------------ pure documents


def test_the_runner_role_can_do_only_what_running_a_job_in_the_vpc_needs():
    doc = deploy_runner_iam.runner_policy(
        partition="aws",
        region="eu-west-1",
        account_id=ACCOUNT,
        log_group_arn=f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/codebuild/eks-platform-prod-deploy",
        subnet_arns=[f"arn:aws:ec2:eu-west-1:{ACCOUNT}:subnet/subnet-1"],
        connection_arn=CONNECTION,
    )
    statements = {s["Sid"]: s for s in doc["Statement"]}
    # Log streams of its own group only (the actions' resource type is log-stream).
    assert statements["WriteOwnBuildLogs"]["Resource"] == (
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/codebuild/eks-platform-prod-deploy:log-stream:*"
    )
    actions = {a for s in doc["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    # Nothing that changes AWS beyond its own build: no iam:, eks:, sts:AssumeRole, s3:, kms: ...
    assert {a.split(":")[0] for a in actions} == {"logs", "ec2", "codeconnections"}
    assert all(s["Effect"] == "Allow" and "*" not in str(s["Action"]) for s in doc["Statement"])
    # "*" only where AWS offers no resource-level scoping (its documented VPC build policy).
    assert [s["Sid"] for s in doc["Statement"] if s["Resource"] == "*"] == ["VpcBuildNetworkInterfaces"]
    assert statements["NetworkInterfacesOnlyInRunnerSubnets"]["Condition"] == {
        "StringEquals": {
            "ec2:Subnet": [f"arn:aws:ec2:eu-west-1:{ACCOUNT}:subnet/subnet-1"],
            "ec2:AuthorizedService": "codebuild.amazonaws.com",
        }
    }
    assert statements["UseGitHubConnection"] == {
        "Sid": "UseGitHubConnection",
        "Effect": "Allow",
        "Action": ["codeconnections:GetConnectionToken", "codeconnections:GetConnection"],
        "Resource": CONNECTION,
    }
    legacy = "arn:aws:codestar-connections:eu-west-1:123456789012:connection/abc"
    assert deploy_runner_iam.connection_actions(legacy)[0] == "codestar-connections:GetConnectionToken"


def test_only_codebuild_building_this_project_may_assume_the_runner_role():
    arn = deploy_runner_iam.project_arn("aws", "eu-west-1", ACCOUNT, "eks-platform-prod-deploy")
    assert arn == f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/eks-platform-prod-deploy"
    [statement] = deploy_runner_iam.trust_policy(ACCOUNT, arn)["Statement"]
    assert statement["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": arn},
    }


def test_the_webhook_starts_builds_for_queued_jobs_of_the_listed_workflows_only():
    assert deploy_runner_iam.webhook_filter_groups(["deploy", "drift"]) == [
        [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}, {"type": "WORKFLOW_NAME", "pattern": "^(deploy|drift)$"}]
    ]
    assert deploy_runner_iam.webhook_filter_groups(["ci.deploy"])[0][1]["pattern"] == r"^(ci\.deploy)$"
    assert project_name("prod") == "eks-platform-prod-deploy"
    assert (
        deploy_runner_iam.runs_on_label("eks-platform-prod-deploy")
        == "codebuild-eks-platform-prod-deploy-${{ github.run_id }}-${{ github.run_attempt }}"
    )


# ------------------------------------------------------------------------------------------------ config


def lines(edit) -> list[str]:
    values = copy.deepcopy(PROD)
    edit(values)
    with pytest.raises(ConfigError) as info:
        validate(values, "prod")
    return info.value.lines


def runner(values: dict) -> dict:
    return values["platform:deployRunner"]


def test_an_enabled_runner_needs_its_repository_connection_and_deploy_role():
    def edit(values):
        values["platform:deployRunner"] = {"enabled": True}

    assert lines(edit) == [
        "platform:deployRunner.githubRepository: is required when enabled",
        "platform:deployRunner.connectionArn: is required when enabled",
        "platform:deployRunner.deployRoleArn: is required when enabled",
    ]


def test_runner_values_are_checked():
    out = lines(lambda v: runner(v).update(connectionArn="arn:aws:iam::123456789012:role/x", workflows=[]))
    assert out[0].startswith("platform:deployRunner.connectionArn: must be the ARN of an AWS CodeConnections")
    assert out[1].startswith("platform:deployRunner.workflows: list should have at least 1 item")
    other = "arn:aws:iam::210987654321:role/deployer"
    assert lines(lambda v: runner(v).update(deployRoleArn=other)) == [
        f'platform:deployRunner.deployRoleArn: is a role of another account than {ACCOUNT} (got "{other}")'
    ]
    same = runner(PROD)["deployRoleArn"]
    assert lines(lambda v: runner(v).update(readRoleArn=same)) == [
        "platform:deployRunner.readRoleArn: must differ from deployRoleArn (read-only jobs get read-only access)"
    ]


def test_runner_roles_have_one_access_entry_each():
    admin = PROD["platform:cluster"]["access"]["adminRoleArns"][0]

    def edit(values):
        runner(values)["deployRoleArn"] = admin

    assert lines(edit) == [
        "platform:deployRunner.deployRoleArn: already has an access entry as "
        f'platform:cluster.access.adminRoleArns[0] (one access entry per role) (got "{admin}")'
    ]

    def no_deployer(values):
        values["platform:cluster"]["access"]["deployerAdmin"] = False

    assert lines(no_deployer)[0].startswith(
        "platform:cluster.access.deployerAdmin: is false, so the runner's deploy role"
    )

    def admin_instead(values):
        no_deployer(values)
        values["platform:cluster"]["access"]["adminRoleArns"].append(runner(values)["deployRoleArn"])

    values = copy.deepcopy(PROD)
    admin_instead(values)
    validate(values, "prod")  # the deploy role is a listed admin instead: fine


# ------------------------------------------------------------------------------------------------ the prod plan


def one(plan, type_: str, component: str = "prod-deploy-runner"):
    [r] = [r for r in plan.of_type(type_) if r.component == component]
    return r


def test_the_prod_plan_has_the_runner_in_the_private_subnets(prod_plan):
    project = one(prod_plan, "aws:codebuild/project:Project")
    i = project.inputs
    assert i["name"] == "eks-platform-prod-deploy"
    assert i["vpcConfig"]["subnets"] == prod_plan.outputs["privateSubnetIds"]
    assert i["vpcConfig"]["vpcId"] == prod_plan.outputs["vpcId"]
    sg = one(prod_plan, "aws:ec2/securityGroup:SecurityGroup")
    assert i["vpcConfig"]["securityGroupIds"] == [f"sg-{_mock_hex(sg)}"]
    assert i["source"] == {
        "type": "GITHUB",
        "location": "https://github.com/example-org/eks-platform.git",
        # The GitHub App connection: no personal access token, no OAuth token stored.
        "auth": {"type": "CODECONNECTIONS", "resource": CONNECTION},
    }
    assert i["environment"]["privilegedMode"] is False and "environmentVariables" not in i["environment"]
    assert i["artifacts"] == {"type": "NO_ARTIFACTS"}
    # Its network interfaces need the role's policy when the project is created.
    policy = one(prod_plan, "aws:iam/rolePolicy:RolePolicy")
    assert policy.urn in project.dependencies
    # Only HTTPS out, nothing in.
    assert "ingress" not in sg.inputs or not sg.inputs["ingress"]
    assert [(e["protocol"], e["fromPort"], e["toPort"]) for e in sg.inputs["egress"]] == [("tcp", 443, 443)]
    webhook = one(prod_plan, "aws:codebuild/webhook:Webhook")
    assert webhook.inputs["filterGroups"] == [
        {
            "filters": [
                {"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"},
                {"type": "WORKFLOW_NAME", "pattern": "^(deploy|drift)$"},
            ]
        }
    ]
    assert prod_plan.outputs["deployRunner"]["project"] == "eks-platform-prod-deploy"


def _mock_hex(resource) -> str:
    from platformctl.mock_outputs import physical_id

    return physical_id(resource.type, resource.name, resource.inputs).split("-", 1)[1]


def test_the_cluster_security_group_admits_the_runner_on_443(prod_plan):
    rule = one(prod_plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    sg = one(prod_plan, "aws:ec2/securityGroup:SecurityGroup")
    [eks] = prod_plan.of_type("eks:index:Cluster")
    from platformctl.mock_outputs import physical_id

    # pulumi-eks's cluster security group (its clusterSecurityGroupId output).
    [cluster_sg] = [r for r in prod_plan.resources if r.name == f"{eks.name}-eksClusterSecurityGroup"]
    assert rule.inputs["securityGroupId"] == physical_id(cluster_sg.type, cluster_sg.name, cluster_sg.inputs)
    assert cluster_sg.urn in rule.property_dependencies["securityGroupId"]
    assert rule.inputs["referencedSecurityGroupId"] == f"sg-{_mock_hex(sg)}"
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 443, 443)
    assert "cidrIpv4" not in rule.inputs


def test_the_runner_logs_are_kms_encrypted_and_kept(prod_plan):
    group = one(prod_plan, "aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["name"] == "/aws/codebuild/eks-platform-prod-deploy"
    assert group.inputs["retentionInDays"] == 90 and group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    key = one(prod_plan, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    project = one(prod_plan, "aws:codebuild/project:Project")
    assert project.inputs["logsConfig"]["cloudwatchLogs"] == {"status": "ENABLED", "groupName": group.inputs["name"]}
    assert project.inputs["logsConfig"]["s3Logs"] == {"status": "DISABLED"}


def test_the_runner_role_is_its_own_and_has_no_deploy_permissions(prod_plan):
    role = one(prod_plan, "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/eks-platform-prod-deploy"
    }
    policy = json.loads(one(prod_plan, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    subnets = policy["Statement"][2]["Condition"]["StringEquals"]["ec2:Subnet"]
    assert subnets == [f"arn:aws:ec2:eu-west-1:{ACCOUNT}:subnet/{s}" for s in prod_plan.outputs["privateSubnetIds"]]
    # No managed policy, no access entry: the runner role alone can neither deploy nor use the cluster.
    assert not [
        r
        for r in prod_plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.component == "prod-deploy-runner"
    ]
    entries = {r.inputs["principalArn"] for r in prod_plan.of_type("aws:eks/accessEntry:AccessEntry")}
    assert not any(":role/eks-platform-prod-deploy-runner" in p for p in entries)


def test_the_runners_deploy_role_is_the_clusters_deployer_and_admin(prod_plan):
    deploy_role = PROD["platform:deployRunner"]["deployRoleArn"]
    [entry] = [r for r in prod_plan.of_type("aws:eks/accessEntry:AccessEntry") if r.name == "prod-cluster-deployer"]
    assert entry.inputs["principalArn"] == deploy_role and entry.inputs["type"] == "STANDARD"
    [admin] = [
        r
        for r in prod_plan.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if r.name == "prod-cluster-deployer-admin"
    ]
    assert admin.inputs["principalArn"] == deploy_role
    assert admin.inputs["policyArn"] == cluster_iam.access_policy_arn(cluster_iam.ADMIN_POLICY)
    assert admin.inputs["accessScope"] == {"type": "cluster"}
    # The program's Kubernetes provider waits for that entry: every in-cluster resource is applied with it.
    [k8s] = [r for r in prod_plan.of_type("pulumi:providers:kubernetes") if r.name == "prod-cluster-k8s"]
    assert admin.urn in k8s.dependencies


def test_the_read_role_can_read_everything_including_secrets_and_change_nothing(prod_plan):
    read_role = PROD["platform:deployRunner"]["readRoleArn"]
    entry = one(prod_plan, "aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["principalArn"] == read_role
    view = one(prod_plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert view.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
    assert view.inputs["accessScope"] == {"type": "cluster"}
