"""The Addons component under Pulumi's mocks, against plain fakes of the cluster and node groups."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from components.addons.catalog import CATALOG
from components.addons.component import system_scheduling
from components.config.addons import AddonsConfig
from components.config.node_pools import POOL_LABEL, SYSTEM_TAINT

ZONE = "Z0PRODEXAMPLE0000001"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict
    dependencies: list[str]
    provider: str
    urn: str


@dataclass
class Run:
    resources: list[Registered] = field(default_factory=list)
    enabled: list[str] = field(default_factory=list)
    role_arns: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    by_phase: dict[str, list[str]] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> Registered:
        return next(r for r in self.resources if r.name == name)

    def urn(self, name: str) -> str:
        return self.named(name).urn


COMPONENT = {"all": "prod-addons", "before-nodes": "prod-network-addons", "after-nodes": "prod-addons"}


def run_component(
    addons: dict,
    production: bool = True,
    phases: tuple[str, ...] = ("all",),
    without_nodes: tuple[str, ...] = ("before-nodes",),
) -> Run:
    """Declare one component per phase (merged with `combine`) against fakes with the engine's isolated mock
    runtime; record every registration. Components of `without_nodes` phases get no node groups (nor the node
    volume key), like the stack's before-nodes component."""
    import pulumi_aws as aws
    import pulumi_kubernetes as k8s
    from google.protobuf import json_format
    from pulumi.runtime import mocks

    from components.addons import Addons, AddonsArgs, InstalledAddons, combine
    from platformctl.engine import run_with_mocks

    run = Run()

    class Fakes(mocks.Mocks):
        def new_resource(self, args):
            outputs = dict(args.inputs)
            if args.typ == "aws:iam/role:Role":
                outputs["arn"] = f"arn:aws:iam::123456789012:role/{args.inputs.get('name', args.name)}"
            if args.typ == "aws:kms/key:Key":
                outputs["arn"] = KEY
            return f"{args.name}-id", outputs

        def call(self, args):
            if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
                return {"accountId": "123456789012", "arn": "arn:aws:iam::123456789012:user/t", "userId": "u"}
            if args.token == "aws:index/getPartition:getPartition":
                return {"partition": "aws", "dnsSuffix": "amazonaws.com"}
            return {}

    class Recording(mocks.MockMonitor):
        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            inputs = json_format.MessageToDict(request.object) if request.object else {}
            run.resources.append(
                Registered(
                    request.type,
                    request.name,
                    inputs,
                    list(request.dependencies),
                    request.provider.rsplit("::", 1)[0],
                    response.urn,
                )
            )
            return response

    def body() -> InstalledAddons:
        cluster = aws.eks.Cluster(
            "fake-eks", role_arn="arn:aws:iam::123456789012:role/c", vpc_config={"subnet_ids": ["s"]}
        )
        provider = k8s.Provider("fake-k8s", kubeconfig="{}")
        groups = {
            pool: aws.eks.NodeGroup(
                f"fake-{pool}",
                cluster_name="c",
                node_role_arn="r",
                subnet_ids=["s"],
                scaling_config={"desired_size": 1, "max_size": 1, "min_size": 1},
            )
            for pool in ("system", "general")
        }
        components = []
        for phase in phases:
            with_nodes = phase not in without_nodes
            components.append(
                Addons(
                    COMPONENT[phase],
                    AddonsArgs(
                        config=AddonsConfig.model_validate(addons),
                        environment="prod" if production else "dev",
                        production=production,
                        region="eu-west-1",
                        kubernetes_version="1.35",
                        cluster_name="eks-platform-prod",
                        cluster=cluster,
                        k8s_provider=provider,
                        vpc_id="vpc-0abc",
                        system_node_group=groups["system"] if with_nodes else None,
                        node_groups=list(groups.values()) if with_nodes else (),
                        scheduling=system_scheduling({POOL_LABEL: "system"}, [SYSTEM_TAINT]),
                        volume_kms_key_arn=KEY if with_nodes else "",
                        phase=phase,
                        resource_prefix="prod-addons",
                    ),
                )
            )
        return combine(*components)

    def then(installed: InstalledAddons) -> Run:
        from pulumi.runtime.sync_await import _sync_await

        run.enabled = installed.enabled
        run.role_arns = {k: _sync_await(v.future()) for k, v in installed.role_arns.items()}
        run.summary = installed.summary
        run.by_phase = {c.phase: c.enabled for c in installed.components}
        return run

    fakes = Fakes()
    return run_with_mocks(body, fakes, project="t", stack="t", monitor=Recording(fakes), then=then)


@pytest.fixture(scope="module")
def prod() -> Run:
    return run_component(
        {
            "externalDns": {"hostedZoneIds": [ZONE]},
            "certManager": {"acmeEmail": "ops@example.com"},
            "velero": {"enabled": True},
            "kubePrometheusStack": {"enabled": True},
            "metricsServer": {"values": {"replicas": 4}},
        }
    )


def test_every_enabled_addon_is_installed_once(prod):
    eks = {r.inputs["addonName"]: r for r in prod.of_type("aws:eks/addon:Addon")}
    charts = {r.inputs["name"]: r for r in prod.of_type("kubernetes:helm.sh/v4:Chart")}
    releases = {r.inputs["name"]: r for r in prod.of_type("kubernetes:helm.sh/v3:Release")}
    assert set(eks) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "amazon-cloudwatch-observability"}
    assert set(charts) | set(releases) == set(prod.enabled) - set(eks)
    assert set(releases) == {"kube-prometheus-stack"}
    assert eks["coredns"].inputs["addonVersion"] == "v1.13.2-eksbuild.1"
    assert charts["cert-manager"].inputs["version"] == "v1.20.2"
    assert charts["cert-manager"].inputs["repositoryOpts"] == {"repo": "https://charts.jetstack.io"}
    assert charts["metrics-server"].inputs["values"]["replicas"] == 4  # override applied


def test_eks_addons_resolve_conflicts_and_own_their_pod_identity(prod):
    for addon in prod.of_type("aws:eks/addon:Addon"):
        assert addon.inputs["resolveConflictsOnCreate"] == "OVERWRITE"
        assert addon.inputs["resolveConflictsOnUpdate"] == "OVERWRITE"
    cni = next(a for a in prod.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni")
    assert cni.inputs["podIdentityAssociations"] == [
        {"roleArn": "arn:aws:iam::123456789012:role/eks-platform-prod-vpc-cni", "serviceAccount": "aws-node"}
    ]
    assert json.loads(cni.inputs["configurationValues"])["enableNetworkPolicy"] == "true"
    kube_proxy = next(a for a in prod.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "kube-proxy")
    assert "configurationValues" not in kube_proxy.inputs and "podIdentityAssociations" not in kube_proxy.inputs


def test_one_role_policy_and_association_per_addon_with_aws_access(prod):
    roles = {r.inputs["name"]: r for r in prod.of_type("aws:iam/role:Role")}
    assert set(prod.role_arns) == {
        "vpc-cni",
        "aws-ebs-csi-driver",
        "amazon-cloudwatch-observability",
        "aws-load-balancer-controller",
        "external-dns",
        "aws-for-fluent-bit",
        "cert-manager",
        "external-secrets",
        "velero",
    }
    assert set(roles) == {f"eks-platform-prod-{n}" for n in prod.role_arns}
    assert len(prod.of_type("aws:iam/rolePolicy:RolePolicy")) == len(roles)
    associations = {
        (a.inputs["namespace"], a.inputs["serviceAccount"]): a.inputs["roleArn"]
        for a in prod.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    }
    assert associations == {
        ("kube-system", "aws-load-balancer-controller"): prod.role_arns["aws-load-balancer-controller"],
        ("kube-system", "external-dns"): prod.role_arns["external-dns"],
        ("kube-system", "aws-for-fluent-bit"): prod.role_arns["aws-for-fluent-bit"],
        ("cert-manager", "cert-manager"): prod.role_arns["cert-manager"],
        ("external-secrets", "external-secrets"): prod.role_arns["external-secrets"],
        ("velero", "velero"): prod.role_arns["velero"],
    }
    trust = json.loads(roles["eks-platform-prod-external-dns"].inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == (
        "external-dns"
    )


def test_addons_wait_for_cluster_and_nodes_not_for_each_other(prod):
    cluster, system, general = prod.urn("fake-eks"), prod.urn("fake-system"), prod.urn("fake-general")
    installed = {
        r.inputs.get("name") or r.inputs.get("addonName"): r
        for r in prod.resources
        if r.type in ("aws:eks/addon:Addon", "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release")
    }
    urns = {r.urn: name for name, r in installed.items()}
    for name, r in installed.items():
        assert cluster in r.dependencies, name
        others = {urns[d] for d in r.dependencies if d in urns}
        assert others == ({"cert-manager"} if name == "aws-load-balancer-controller" else set()), name
    assert system in installed["coredns"].dependencies
    assert system in installed["cert-manager"].dependencies
    assert system not in installed["vpc-cni"].dependencies and system not in installed["kube-proxy"].dependencies
    assert general in installed["velero"].dependencies  # not pinned to the system pool: waits for every group


def test_charts_wait_for_their_pod_identity_association(prod):
    association = next(
        a.urn
        for a in prod.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if a.inputs["serviceAccount"] == "external-dns"
    )
    chart = next(c for c in prod.of_type("kubernetes:helm.sh/v4:Chart") if c.inputs["name"] == "external-dns")
    assert association in chart.dependencies
    assert chart.provider == prod.urn("fake-k8s")


def test_own_namespaces_are_labelled_and_default_deny(prod):
    namespaces = {n.inputs["metadata"]["name"]: n for n in prod.of_type("kubernetes:core/v1:Namespace")}
    assert set(namespaces) == {"cert-manager", "external-secrets", "monitoring", "velero"}
    labels = namespaces["cert-manager"].inputs["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.35"
    from policies.rules.workloads import namespace_psa_labels, namespaces_without_default_deny

    objects = [{"kind": "Namespace", **{"metadata": n.inputs["metadata"]}} for n in namespaces.values()]
    objects += [
        {"kind": "NetworkPolicy", **p.inputs} for p in prod.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    ]
    assert namespaces_without_default_deny(objects) == []
    assert all(namespace_psa_labels(o) == [] for o in objects if o["kind"] == "Namespace")


def test_gp3_is_the_encrypted_default_storage_class(prod):
    (gp3,) = prod.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert gp3.inputs["metadata"]["name"] == "gp3"
    assert gp3.inputs["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert gp3.inputs["provisioner"] == "ebs.csi.aws.com"
    assert gp3.inputs["parameters"] == {
        "type": "gp3",
        "encrypted": "true",
        "kmsKeyId": KEY,
        "csi.storage.k8s.io/fstype": "ext4",
    }
    assert gp3.inputs["volumeBindingMode"] == "WaitForFirstConsumer"
    assert gp3.inputs["allowVolumeExpansion"] is True
    (gp2,) = prod.of_type("kubernetes:storage.k8s.io/v1:StorageClassPatch")
    assert gp2.inputs["metadata"]["name"] == "gp2"
    assert gp2.inputs["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "false"


def test_log_groups_are_encrypted_with_retention(prod):
    groups = {g.inputs["name"]: g.inputs for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert set(groups) == {
        "/aws/eks/eks-platform-prod/containers",
        "/aws/containerinsights/eks-platform-prod/performance",
    }
    for group in groups.values():
        assert group["kmsKeyId"] == KEY and group["retentionInDays"] == 30
    (key,) = [k for k in prod.of_type("aws:kms/key:Key") if "log" in k.name]
    assert key.inputs["enableKeyRotation"] is True


def test_velero_bucket_is_kms_encrypted_and_private(prod):
    (bucket,) = prod.of_type("aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == "eks-platform-prod-velero-123456789012"
    (sse,) = prod.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    rule = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["sseAlgorithm"] == "aws:kms" and rule["kmsMasterKeyId"] == KEY
    (pab,) = prod.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        pab.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )


def test_after_install_objects_wait_for_their_chart(prod):
    (issuer,) = prod.of_type("kubernetes:cert-manager.io/v1:ClusterIssuer")
    chart = next(c for c in prod.of_type("kubernetes:helm.sh/v4:Chart") if c.inputs["name"] == "cert-manager")
    assert issuer.dependencies == [chart.urn]
    assert issuer.inputs["spec"]["acme"]["email"] == "ops@example.com"
    stores = prod.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")
    assert {s.inputs["metadata"]["name"] for s in stores} == {"aws-secrets-manager", "aws-parameter-store"}


def test_release_is_atomic(prod):
    (release,) = prod.of_type("kubernetes:helm.sh/v3:Release")
    assert release.inputs["atomic"] is True and release.inputs["cleanupOnFail"] is True


def test_minimal_dev_has_no_optional_extras():
    dev = run_component(
        {"awsEbsCsiDriver": {"enabled": False}, "awsForFluentBit": {"enabled": False}}, production=False
    )
    types = {r.type for r in dev.resources}
    assert "kubernetes:storage.k8s.io/v1:StorageClass" not in types  # no EBS CSI driver, no gp3 class
    assert "aws:cloudwatch/logGroup:LogGroup" not in types and "aws:kms/key:Key" not in types
    assert "external-dns" not in dev.enabled  # no zones
    assert "cert-manager" in dev.enabled and "cert-manager" not in dev.role_arns  # no zones: no Route 53 role


# ------------------------------------------------------------------------------------------------- phases

PROD_ADDONS = {"externalDns": {"hostedZoneIds": [ZONE]}, "certManager": {"acmeEmail": "ops@example.com"}}


@pytest.fixture(scope="module")
def phased() -> Run:
    return run_component(PROD_ADDONS, phases=("before-nodes", "after-nodes"))


def test_phases_install_every_addon_once_and_merge(phased, prod):
    assert phased.by_phase["before-nodes"] == ["vpc-cni"]
    assert "vpc-cni" not in phased.by_phase["after-nodes"]
    assert phased.enabled == [n for n in CATALOG if n in set(phased.by_phase["after-nodes"]) | {"vpc-cni"}]
    eks = [r.inputs["addonName"] for r in phased.of_type("aws:eks/addon:Addon")]
    assert sorted(eks) == sorted(set(eks))  # each once
    assert list(phased.summary) == phased.enabled and "vpc-cni" in phased.role_arns
    assert phased.role_arns["vpc-cni"] == "arn:aws:iam::123456789012:role/eks-platform-prod-vpc-cni"
    components = {r.name: r.urn for r in phased.of_type("eks-platform:addons:Addons")}
    assert set(components) == {"prod-network-addons", "prod-addons"}


def test_before_nodes_phase_waits_for_no_node_and_keeps_its_names(phased):
    cni = phased.named("prod-addons-vpc-cni")  # the shared prefix: same URN as when one component installed all
    assert cni.type == "aws:eks/addon:Addon"
    assert "eks-platform:addons:Addons$aws:eks/addon:Addon::prod-addons-vpc-cni" in cni.urn
    nodes = {phased.urn("fake-system"), phased.urn("fake-general")}
    assert not nodes & set(cni.dependencies)
    assert phased.urn("prod-addons-vpc-cni-role") in cni.dependencies
    # The after-nodes component still waits for the node groups where pods need nodes.
    assert phased.urn("fake-system") in phased.named("prod-addons-coredns").dependencies
    # Shared resources stay with the component that needs them: log key and gp3 after the nodes.
    assert phased.named("prod-addons-gp3").type == "kubernetes:storage.k8s.io/v1:StorageClass"


def test_a_phase_without_nodes_refuses_addons_that_need_them():
    with pytest.raises(ValueError, match=r"prod-addons: coredns, .* need nodes, but no system_node_group was given"):
        run_component(PROD_ADDONS, phases=("after-nodes",), without_nodes=("after-nodes",))


def test_combine_refuses_an_addon_installed_twice():
    from types import SimpleNamespace

    from components.addons.component import combine

    first = SimpleNamespace(phase="all", enabled=["vpc-cni"], role_arns={}, summary={"vpc-cni": {}})
    second = SimpleNamespace(phase="before-nodes", enabled=["vpc-cni"], role_arns={}, summary={"vpc-cni": {}})
    with pytest.raises(ValueError, match="add-on vpc-cni is installed by two Addons components"):
        combine(first, second)


def test_a_phase_without_the_node_volume_key_refuses_addons_that_use_it(monkeypatch):
    from dataclasses import replace

    ebs = CATALOG["aws-ebs-csi-driver"]
    monkeypatch.setitem(CATALOG, ebs.name, replace(ebs, needs_nodes=False, before_nodes=True))
    with pytest.raises(ValueError, match="prod-network-addons: aws-ebs-csi-driver use the node volume key"):
        run_component(PROD_ADDONS, phases=("before-nodes",))
