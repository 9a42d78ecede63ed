"""Issue 20: one repository, a fleet - the fleet as data, hub-and-spoke GitOps, global routing, offline planning.

The example fleet (fleets/prod.yaml) is planned once for the session (the `fleet_plan` fixture shares the session's
plans of its cluster stacks). Rollouts against real stacks are in tests/cli/test_fleet_rollout.py.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import yaml

from components import fleet as fleet_components
from components import fleet_global, fleet_iam
from components.config import ConfigError
from components.config.fleet import (
    ARGOCD_SERVICE_ACCOUNTS,
    check_fleet,
    fleet_names,
    hub_role_arn,
    load_fleet,
    member_problems,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli():
    """platformctl in-process: cli(*args) -> click Result."""
    from typer.testing import CliRunner

    from platformctl.cli import app

    return lambda *args: CliRunner().invoke(app, list(args), catch_exceptions=False)


SECRET = "kubernetes:core/v1:Secret"
ROLE = "aws:iam/role:Role"


def of_type(plan, type_token: str) -> list:
    return [r for r in plan.resources if r.type == type_token]


def spoke_registrations(hub_plan) -> dict[str, object]:
    """environment -> the Argo CD cluster Secret the hub writes for that spoke."""
    return {
        r.inputs["metadata"]["labels"]["environment"]: r
        for r in of_type(hub_plan, SECRET)
        if r.inputs["metadata"]["labels"].get("argocd.argoproj.io/secret-type") == "cluster"
        and r.inputs["metadata"]["labels"].get("fleet_role") == "spoke"
    }


# ------------------------------------------------------------------------------------------------ the fleet as data


def test_the_example_fleet_is_global_a_hub_and_three_regional_spokes(fleet_plan):
    fleet = fleet_plan.fleet
    assert fleet_names(ROOT) == ["prod"]
    assert (fleet.global_stack, fleet.hub) == ("global", "mgmt")
    assert [w for w, _ in fleet.waves] == ["apac", "eu", "us"]
    regions = {s: fleet_plan.members.spokes[s].region for s in fleet.spokes}
    assert sorted(regions.values()) == ["ap-southeast-1", "eu-west-1", "us-east-1"]
    # Dependency order (offline planning) and rollout order (global, the hub, then the waves).
    assert fleet.dependency_order == ["global", "prod-apse1", "prod-euw1", "prod-use1", "mgmt"]
    assert [s for _, stacks in fleet.rollout_waves() for s in stacks] == [
        "global",
        "mgmt",
        "prod-apse1",
        "prod-euw1",
        "prod-use1",
    ]
    # Every cluster stack of the fleet is an ordinary stack file: validated on its own, with its own policy config.
    for stack in [fleet.hub, *fleet.spokes]:
        assert (ROOT / f"Pulumi.{stack}.yaml").is_file() and (ROOT / "policies/config" / f"{stack}.json").is_file()
    assert (ROOT / "global/Pulumi.global.yaml").is_file() and (ROOT / "policies/config/global.json").is_file()
    # Non-overlapping VPCs (the hub reaches the spokes privately).
    cidrs = [fleet_plan.members.hub.network.vpc_cidr, *(c.network.vpc_cidr for c in fleet_plan.members.spokes.values())]
    from components import netmath

    assert not netmath.overlapping(cidrs), cidrs


def _copy_repository(tmp_path: Path) -> Path:
    """The stack files, fleets/ and global/ of the repository in a scratch directory, to break."""
    for path in [*ROOT.glob("Pulumi*.yaml"), ROOT / "__main__.py"]:
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(ROOT / "fleets", tmp_path / "fleets")
    (tmp_path / "global").mkdir()
    for name in ("Pulumi.yaml", "Pulumi.global.yaml"):
        shutil.copy(ROOT / "global" / name, tmp_path / "global" / name)
    return tmp_path


def _edit_fleet(project: Path, edit) -> None:
    path = project / "fleets/prod.yaml"
    doc = yaml.safe_load(path.read_text())
    edit(doc)
    path.write_text(yaml.safe_dump(doc))


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(hub="prod-euw1"), "waves[1].spokes[0]: is already the fleet's hub"),
        (lambda d: d.update(hub="global"), "hub: is also the global stack"),
        (lambda d: d["waves"].append({"name": "eu", "spokes": ["prod"]}), "wave eu is named more than once"),
        (lambda d: d.update(apiAccess="vpn"), "apiAccess: input should be 'private' or 'public'"),
        (lambda d: d.pop("organization"), "fleets/prod.yaml:organization: is required"),
        (lambda d: d.update(spokes=["x"]), "fleets/prod.yaml:spokes: unknown key"),
        (lambda d: d["waves"][0].update(spokes=[]), "waves[0].spokes: list should have at least 1 item"),
    ],
)
def test_a_bad_fleet_file_is_one_line_per_problem(tmp_path, edit, expected):
    project = _copy_repository(tmp_path)
    _edit_fleet(project, edit)
    with pytest.raises(ConfigError) as exc:
        load_fleet(project, "prod")
    assert any(expected in line for line in exc.value.lines), exc.value.lines


def test_fleet_rules_name_the_file_and_key(tmp_path):
    project = _copy_repository(tmp_path)
    # A spoke that does not exist, a stack in two fleets.
    _edit_fleet(project, lambda d: d["waves"].append({"name": "sa", "spokes": ["prod-sae1"]}))
    (project / "fleets/other.yaml").write_text(
        yaml.safe_dump(
            {"organization": "o", "global": "g2", "hub": "dev", "waves": [{"name": "w", "spokes": ["prod"]}]}
        )
    )
    with pytest.raises(ConfigError) as exc:
        check_fleet(project, load_fleet(project, "prod"))
    lines = exc.value.lines
    assert "fleets/prod.yaml:waves: names stack prod-sae1, but Pulumi.prod-sae1.yaml does not exist" in lines[0]
    assert not any("also in fleets/other.yaml" in line for line in lines)  # dev and prod are not in prod's fleet
    _edit_fleet(project, lambda d: d["waves"][-1].update(spokes=["dev"]))
    with pytest.raises(ConfigError) as exc:
        check_fleet(project, load_fleet(project, "prod"))
    assert any("stack(s) dev also in fleets/other.yaml: a stack is in one fleet" in line for line in exc.value.lines)


def test_fleet_rules_across_stacks(fleet_plan):
    fleet, members = fleet_plan.fleet, fleet_plan.members
    configs = {fleet.hub: members.hub, **members.spokes}
    assert member_problems(fleet, configs, members.global_config) == []

    def net(cfg, cidr):
        return dataclasses.replace(cfg, network=cfg.network.model_copy(update={"vpc_cidr": cidr}))

    def lines(**changes) -> list[str]:
        return [p.line() for p in member_problems(fleet, {**configs, **changes}, members.global_config)]

    # Overlapping VPCs where the hub reaches the spokes privately (apiAccess: private).
    overlap = lines(**{"prod-use1": net(members.spokes["prod-use1"], members.hub.network.vpc_cidr)})
    assert overlap == [
        "Pulumi.prod-use1.yaml: platform:network.vpcCidr: overlaps 10.100.0.0/16 of Pulumi.mgmt.yaml: the hub reaches "
        "the spokes privately (apiAccess: private, over your Transit Gateway or peering), which needs distinct address "
        'ranges (got "10.100.0.0/16")'
    ]
    # Two spokes in one Region: one latency record per Region.
    same_region = dataclasses.replace(members.spokes["prod-use1"], region="eu-west-1")
    assert any("prod-euw1 and prod-use1 are both in eu-west-1" in line for line in lines(**{"prod-use1": same_region}))
    # GitOps off on a spoke; the global stack serving another fleet.
    apse1 = members.spokes["prod-apse1"]
    off = dataclasses.replace(apse1, gitops=apse1.gitops.model_copy(update={"enabled": False}))
    assert any(
        line.startswith("Pulumi.prod-apse1.yaml: platform:gitops.enabled: must be true in a fleet")
        for line in lines(**{"prod-apse1": off})
    )
    other = dataclasses.replace(members.global_config, fleet="staging")
    assert "global:fleet: must name this fleet (prod)" in member_problems(fleet, configs, other)[0].line()
    # apiAccess public: the spokes' endpoints must be public.
    public = dataclasses.replace(fleet, api_access="public")
    assert {p.key for p in member_problems(public, configs, members.global_config)} == {
        f"Pulumi.{s}.yaml: platform:cluster.endpoint.publicAccess" for s in fleet.spokes
    }


def test_plan_and_policy_name_fleet_problems_with_exit_2(cli, tmp_path, monkeypatch):
    project = _copy_repository(tmp_path)
    _edit_fleet(project, lambda d: d.update(hub="nope"))
    monkeypatch.setenv("PLATFORMCTL_PROJECT_DIR", str(project))
    for command in ("plan", "policy"):
        result = cli(command, "--fleet", "prod")
        assert result.exit_code == 2, result.output
        assert "fleets/prod.yaml:hub: names stack nope, but Pulumi.nope.yaml does not exist" in result.stderr
    missing = cli("plan", "--fleet", "staging")
    assert missing.exit_code == 2 and "fleet 'staging' not found (fleets: prod)" in missing.stderr
    both = cli("plan", "dev", "--fleet", "prod")
    assert both.exit_code == 2 and "give a STACK or --fleet NAME (one of them)" in both.stderr
    assert cli("plan").exit_code == 2
    assert "--bootstrap applies to one stack" in cli("plan", "--fleet", "prod", "--bootstrap").stderr


# ------------------------------------------------------------------------------------------------ acceptance 1


@pytest.fixture
def cached_plans(fleet_plan, monkeypatch):
    """platformctl's engine answers from the session's plans (the same run_plan; saves planning the fleet again)."""
    import platformctl.engine

    by_dir = {
        (Path(ROOT / "global").resolve(), fleet_plan.fleet.global_stack): fleet_plan.plans["global"],
        **{(ROOT.resolve(), s): p for s, p in fleet_plan.plans.items() if s != "global"},
    }
    monkeypatch.setattr(
        platformctl.engine, "run_plan", lambda stack, *a, project_dir=None, **k: by_dir[(Path(project_dir), stack)]
    )
    return fleet_plan


def test_plan_fleet_prod_plans_every_stack_and_resolves_every_reference(cli, cached_plans, tmp_path):
    """Acceptance 1: `platformctl plan --fleet prod` exits 0, every stack planned, every StackReference resolved."""
    fleet = cached_plans.fleet
    graph, document = tmp_path / "fleet.mmd", tmp_path / "fleet.json"
    result = cli("plan", "--fleet", "prod", "--graph", str(graph), "--json", str(document))
    assert result.exit_code == 0, result.output
    assert "fleet prod: 5 stacks planned, 6 StackReferences resolved" in result.stdout
    assert "Clusters per Region" in result.stdout and "ap-southeast-1" in result.stdout
    # What each stack read, by its fully qualified name (as the backend names it), from the stacks planned first.
    plans = cached_plans.plans
    assert list(plans) == fleet.dependency_order
    assert plans["global"].references == {}
    for spoke in fleet.spokes:
        assert set(plans[spoke].references) == {"example-org/eks-platform-global/global"}
        assert {"registry", "zoneName"} <= set(plans[spoke].references["example-org/eks-platform-global/global"])
    assert set(plans["mgmt"].references) == {f"example-org/eks-platform/{s}" for s in fleet.spokes}
    doc = json.loads(document.read_text())
    assert doc["order"] == fleet.dependency_order and set(doc["plans"]) == set(fleet.dependency_order)
    assert {(r["from"], r["to"]) for r in doc["references"]} == {
        *((s, "global") for s in fleet.spokes),
        *(("mgmt", s) for s in fleet.spokes),
    }
    assert doc["clustersPerRegion"] == {
        "ap-southeast-1": ["prod-apse1"],
        "eu-west-1": ["prod-euw1", "mgmt"],
        "us-east-1": ["prod-use1"],
    }
    text = graph.read_text()
    assert text.startswith("flowchart LR") and text.count("-->|StackReference|") == 6
    assert all(f'["{region}"]' in text for region in ("us-east-2", "eu-west-1", "ap-southeast-1", "us-east-1"))


def test_policy_fleet_prod_passes(cli, cached_plans, tmp_path):
    """Acceptance 1: `platformctl policy --fleet prod --allow-unexpanded` passes (every stack, real packs)."""
    out = tmp_path / "reports"
    result = cli("policy", "--fleet", "prod", "--allow-unexpanded", "--format", "json", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    assert "fleet prod: 5 of 5 stacks pass" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"{s}.json" for s in sorted(cached_plans.fleet.dependency_order)]


def test_an_unresolvable_reference_is_one_line_not_a_traceback():
    from platformctl.engine import UnresolvedReference, UnresolvedReferences, run_plan

    def nothing(name):
        raise UnresolvedReference("the global stack is not planned in this run")

    with pytest.raises(UnresolvedReferences) as exc:
        run_plan("prod-euw1", project_dir=ROOT, references=nothing)
    assert exc.value.lines == [
        "error: StackReference example-org/eks-platform-global/global: the global stack is not planned in this run"
    ]


def test_offline_references_hand_over_outputs_as_the_engine_does(fleet_plan):
    from platformctl.engine import SECRET_PLACEHOLDER, UnresolvedReference
    from platformctl.fleet import OfflineReferences

    refs = OfflineReferences(ROOT, plans={("eks-platform", s): p for s, p in fleet_plan.plans.items()})
    outputs, secret = refs("example-org/eks-platform/prod-euw1")
    assert outputs["argocdCluster"]["clusterName"] == "eks-platform-prod-euw1"
    assert secret == sorted(k for k, v in outputs.items() if v == SECRET_PLACEHOLDER) and "kubeconfig" in secret
    for name, why in [
        ("prod-euw1", "not a fully qualified stack name"),
        ("o/other-project/x", "project other-project is not a program of this repository"),
        ("o/eks-platform/nope", "nope was not planned before the stack that reads it"),
    ]:
        with pytest.raises(UnresolvedReference, match=why):
            refs(name)


# ------------------------------------------------------------------------------------------------ acceptance 2


def test_the_hub_registers_every_spoke_with_its_endpoint_and_role(fleet_plan):
    """Acceptance 2: one Argo CD cluster Secret per spoke in the hub's plan, with that spoke's endpoint and role."""
    hub = fleet_plan.plans["mgmt"]
    secrets = spoke_registrations(hub)
    assert sorted(secrets) == sorted(fleet_plan.fleet.spokes)
    for spoke, secret in secrets.items():
        plan = fleet_plan.plans[spoke]
        registration = plan.outputs["argocdCluster"]
        (role,) = [r for r in of_type(plan, ROLE) if r.name.endswith("-fleet-spoke-argocd-role")]
        role_arn = f"arn:aws:iam::{plan.config.account}:role/{role.inputs['name']}"
        assert secret.inputs["metadata"]["namespace"] == "argocd"
        labels, annotations = secret.inputs["metadata"]["labels"], secret.inputs["metadata"]["annotations"]
        # The endpoint and the role, shown on the Secret (its stringData is a secret to Pulumi, masked in a plan).
        assert annotations["aws_cluster_endpoint"] == plan.outputs["clusterEndpoint"] == registration["server"]
        assert (
            annotations["aws_cluster_endpoint"].startswith("https://") and plan.config.region in registration["server"]
        )
        assert annotations["argocd_role_arn"] == role_arn == registration["roleArn"]
        assert secret.inputs["stringData"] == "[secret]"
        # What Argo CD reads (stringData), from the same registration.
        data = fleet_components.cluster_secret_for(registration)["stringData"]
        assert (data["name"], data["server"]) == (f"eks-platform-{spoke}", registration["server"])
        assert json.loads(data["config"]) == {
            "awsAuthConfig": {"clusterName": f"eks-platform-{spoke}", "roleARN": role_arn},
            "tlsClientConfig": {"insecure": False, "caData": registration["caData"]},
        }
        assert secret.inputs["metadata"]["name"] == registration["name"]
        # The same GitOps Bridge metadata the spoke's in-cluster Secret would carry, plus the fleet's.
        assert labels["argocd.argoproj.io/secret-type"] == "cluster" and labels["environment"] == spoke
        assert (labels["fleet"], labels["fleet_role"]) == ("prod", "spoke")
        assert annotations["aws_cluster_name"] == f"eks-platform-{spoke}"
        assert annotations["aws_region"] == plan.config.region
        assert annotations["domain"] == plan.config.gitops.domain
        assert annotations["fleet_domain"] == "prod.example.com"
        assert annotations["image_registry"] == f"123456789012.dkr.ecr.{plan.config.region}.amazonaws.com/global"
    # The hub's own in-cluster Secret says it is the hub.
    (in_cluster,) = [r for r in of_type(hub, SECRET) if r.inputs["metadata"]["name"] == "in-cluster"]
    assert in_cluster.inputs["metadata"]["labels"]["fleet_role"] == "hub"


def test_the_hubs_argo_cd_role_reaches_every_spoke_through_pod_identity(fleet_plan):
    hub = fleet_plan.plans["mgmt"]
    (role,) = [r for r in of_type(hub, ROLE) if r.name == "mgmt-argocd-hub-role"]
    assert f"arn:aws:iam::123456789012:role/{role.inputs['name']}" == fleet_plan.members.hub_role_arn
    trust = json.loads(role.inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == sorted(
        ARGOCD_SERVICE_ACCOUNTS
    )
    associations = [
        r for r in of_type(hub, "aws:eks/podIdentityAssociation:PodIdentityAssociation") if "argocd-hub" in r.name
    ]
    assert sorted(a.inputs["serviceAccount"] for a in associations) == sorted(ARGOCD_SERVICE_ACCOUNTS)
    assert {a.inputs["namespace"] for a in associations} == {"argocd"}
    # Argo CD's pods start after their associations (Pod Identity injects credentials at pod creation).
    (chart,) = [r for r in of_type(hub, "kubernetes:helm.sh/v4:Chart") if r.name == "mgmt-gitops-argocd"]
    assert {a.urn for a in associations} <= set(chart.dependencies)
    (policy,) = [r for r in of_type(hub, "aws:iam/rolePolicy:RolePolicy") if r.name == "mgmt-argocd-hub-assume-spokes"]
    spoke_roles = sorted(fleet_plan.plans[s].outputs["argocdCluster"]["roleArn"] for s in fleet_plan.fleet.spokes)
    assert json.loads(policy.inputs["policy"])["Statement"][0]["Resource"] == spoke_roles


def test_each_spoke_maps_the_hubs_argo_cd_and_runs_none_of_its_own(fleet_plan):
    """Acceptance 2: each spoke's plan holds an access entry for the hub's Argo CD role and no Argo CD chart."""
    hub_role = fleet_plan.members.hub_role_arn
    for spoke in fleet_plan.fleet.spokes:
        plan = fleet_plan.plans[spoke]
        (role,) = [r for r in of_type(plan, ROLE) if r.name.endswith("-fleet-spoke-argocd-role")]
        (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert trust["Condition"] == {"ArnEquals": {"aws:PrincipalArn": hub_role}}  # the hub's Argo CD role only
        role_arn = plan.outputs["argocdCluster"]["roleArn"]
        (entry,) = [r for r in of_type(plan, "aws:eks/accessEntry:AccessEntry") if r.inputs["principalArn"] == role_arn]
        assert entry.name == f"{spoke}-fleet-spoke-argocd-access"
        (admin,) = [
            r
            for r in of_type(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
            if r.name == f"{spoke}-fleet-spoke-argocd-admin"
        ]
        assert admin.inputs["policyArn"].endswith("AmazonEKSClusterAdminPolicy")
        assert admin.inputs["accessScope"] == {"type": "cluster"}
        # No Argo CD: no chart, no argocd namespace, no root Application.
        assert not [r for r in of_type(plan, "kubernetes:helm.sh/v4:Chart") if "argo" in r.name]
        assert not [
            r for r in of_type(plan, "kubernetes:core/v1:Namespace") if r.inputs["metadata"]["name"] == "argocd"
        ]
        assert not of_type(plan, "kubernetes:argoproj.io/v1alpha1:Application")
        # The hub's VPC reaches its API (apiAccess: private).
        rules = of_type(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        (ingress,) = [r for r in rules if r.name == f"{spoke}-fleet-spoke-hub-api-ingress"]
        assert (ingress.inputs["cidrIpv4"], ingress.inputs["fromPort"]) == (
            fleet_plan.members.hub.network.vpc_cidr,
            443,
        )


# ------------------------------------------------------------------------------------------------ acceptance 3


def test_global_routes_each_spoke_region_with_a_health_check_and_replicates_images_there(fleet_plan):
    """Acceptance 3: one latency record per spoke Region with a health check; ECR replication to every one."""
    plan = fleet_plan.plans["global"]
    spokes = fleet_plan.members.spokes
    records = of_type(plan, "aws:route53/record:Record")
    checks = {r.urn: r for r in of_type(plan, "aws:route53/healthCheck:HealthCheck")}
    assert sorted(r.inputs["setIdentifier"] for r in records) == sorted(c.region for c in spokes.values())
    for record in records:
        region = record.inputs["setIdentifier"]
        (spoke,) = [c for c in spokes.values() if c.region == region]
        assert record.inputs["latencyRoutingPolicies"] == [{"region": region}]
        assert record.inputs["name"] == "app.prod.example.com" and record.inputs["type"] == "CNAME"
        assert record.inputs["records"] == [f"app.{spoke.gitops.domain}"]
        (check_urn,) = record.property_dependencies["healthCheckId"]
        check = checks[check_urn].inputs
        assert (check["type"], check["fqdn"], check["port"], check["resourcePath"]) == (
            "HTTPS",
            f"app.{spoke.gitops.domain}",
            443,
            "/healthz",
        )
        assert check["enableSni"] is True
    (replication,) = of_type(plan, "aws:ecr/replicationConfiguration:ReplicationConfiguration")
    (rule,) = replication.inputs["replicationConfiguration"]["rules"]
    assert {d["region"] for d in rule["destinations"]} == {c.region for c in spokes.values()}
    assert rule["repositoryFilters"] == [{"filter": "global/", "filterType": "PREFIX_MATCH"}]
    (zone,) = of_type(plan, "aws:route53/zone:Zone")
    assert zone.inputs["name"] == "prod.example.com" and zone.options["protect"]


def test_spokes_prepare_their_registry_for_the_replicas(fleet_plan):
    for spoke in fleet_plan.fleet.spokes:
        plan = fleet_plan.plans[spoke]
        (template,) = of_type(plan, "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")
        assert template.inputs["prefix"] == "global" and template.inputs["appliedFors"] == ["REPLICATION"]
        assert template.inputs["imageTagMutability"] == "IMMUTABLE"
        # Same account as the global stack: no registry policy (cross-account replication only).
        assert not of_type(plan, "aws:ecr/registryPolicy:RegistryPolicy")


# ------------------------------------------------------------------------------------------------ pure logic


def test_iam_documents_of_hub_and_spokes():
    hub = hub_role_arn("aws", "111122223333", "mgmt")
    assert hub == "arn:aws:iam::111122223333:role/eks-platform-mgmt-argocd-hub"
    trust = fleet_iam.spoke_trust_policy(hub)["Statement"][0]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    policy = fleet_iam.hub_assume_spokes_policy(["arn:aws:iam::2:role/b", "arn:aws:iam::1:role/a"])
    assert policy["Statement"][0]["Resource"] == ["arn:aws:iam::1:role/a", "arn:aws:iam::2:role/b"]
    with pytest.raises(ValueError):
        fleet_iam.hub_assume_spokes_policy([])
    registry = fleet_iam.replication_registry_policy("111122223333", "eu-west-1", "444455556666", "global/", "aws")
    (statement,) = registry["Statement"]
    assert statement["Action"] == ["ecr:CreateRepository", "ecr:ReplicateImage"]
    assert statement["Resource"] == "arn:aws:ecr:eu-west-1:444455556666:repository/global/*"


def test_replication_skips_the_source_registry_and_keeps_other_accounts():
    site = fleet_global.SpokeSite
    spokes = [
        site("a", "us-east-2", "111111111111", "a.example.com"),  # the source registry itself
        site("b", "us-east-2", "222222222222", "b.example.com"),  # same Region, another account
        site("c", "eu-west-1", "111111111111", "c.example.com"),
    ]
    assert fleet_global.replication_destinations("111111111111", "us-east-2", spokes) == [
        {"region": "eu-west-1", "registryId": "111111111111"},
        {"region": "us-east-2", "registryId": "222222222222"},
    ]


def test_cluster_secret_of_a_registration():
    registration = {
        "name": "eks-platform-x",
        "server": "https://X.gr7.eu-west-1.eks.amazonaws.com",
        "clusterName": "eks-platform-x",
        "roleArn": "arn:aws:iam::1:role/r",
        "caData": "Q0E=",
        "labels": {"environment": "x"},
        "annotations": {"domain": "x.example.com"},
    }
    secret = fleet_components.cluster_secret_for(registration)
    assert secret["metadata"]["namespace"] == "argocd"
    assert json.loads(secret["stringData"]["config"])["awsAuthConfig"] == {
        "clusterName": "eks-platform-x",
        "roleARN": "arn:aws:iam::1:role/r",
    }
    with pytest.raises(ValueError, match="lacks caData"):
        fleet_components.cluster_secret_for({k: v for k, v in registration.items() if k != "caData"})


def test_rollout_puts_never_deployed_spokes_before_the_hub(fleet_plan):
    from platformctl.fleet_cli import rollout_waves

    fleet = fleet_plan.fleet
    assert rollout_waves(fleet, set(fleet.spokes)) == fleet.rollout_waves()
    assert rollout_waves(fleet, {"prod-apse1"}) == [
        ("global", ["global"]),
        ("eu-new", ["prod-euw1"]),
        ("us-new", ["prod-use1"]),
        ("hub", ["mgmt"]),
        ("apac", ["prod-apse1"]),
    ]


def test_ap_southeast_1_is_a_known_region():
    from components import aws_regions

    region = aws_regions.region("ap-southeast-1")
    assert region is not None and region.zone_names == ("ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c")
    assert region.zone_ids == ("apse1-az1", "apse1-az2", "apse1-az3")


def test_a_spokes_image_registry_is_its_regions_ecr_host_from_the_partition_data():
    from components.fleet import image_registry

    assert image_registry("210987654321", "eu-west-1", "fleet/") == "210987654321.dkr.ecr.eu-west-1.amazonaws.com/fleet"
    assert image_registry("210987654321", "cn-north-1", "fleet").endswith(".dkr.ecr.cn-north-1.amazonaws.com.cn/fleet")
    with pytest.raises(ValueError, match="eu-west-9"):
        image_registry("210987654321", "eu-west-9", "fleet")


@pytest.mark.parametrize(
    ("region", "line"),
    [
        (None, "aws:region: is required (the Region of the source registry, e.g. us-east-2)"),
        ("us-east", 'aws:region: is not an AWS region name like us-east-2 (got "us-east")'),
        ("eu-west-9", "aws:region: is not an AWS Region ("),
    ],
)
def test_the_global_stacks_region_is_checked_as_a_cluster_stacks_is(region, line):
    from components.config.global_stack import validate_global

    values = yaml.safe_load((ROOT / "global" / "Pulumi.global.yaml").read_text())["config"]
    values.pop("aws:region")
    if region is not None:
        values["aws:region"] = region
    with pytest.raises(ConfigError) as caught:
        validate_global(values, "global")
    assert any(x.startswith(line) for x in caught.value.lines), caught.value.lines
