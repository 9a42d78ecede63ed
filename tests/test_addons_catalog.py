"""The add-on catalog: every spec's pinned version, namespace, service account, values (per environment)."""

from __future__ import annotations

import pytest

from components import versions
from components.addons.catalog import CATALOG, enabled_addons, is_enabled
from components.addons.component import dependencies, in_phase, install_order, role_name, system_scheduling
from components.addons.spec import AddonContext, AddonSpec, Scheduling, deep_merge
from components.addons.specs import cert_manager, external_secrets, velero
from components.config.addons import AddonsConfig, addon_keys
from components.config.node_pools import POOL_LABEL, SYSTEM_TAINT

SYSTEM = system_scheduling({POOL_LABEL: "system", "team": "platform"}, [SYSTEM_TAINT])
ZONE = "Z0PRODEXAMPLE0000001"
CORE = {
    "vpc-cni",
    "coredns",
    "kube-proxy",
    "aws-ebs-csi-driver",
    "aws-load-balancer-controller",
    "metrics-server",
    "aws-for-fluent-bit",
    "cert-manager",
    "external-secrets",
}
OPTIONAL = {"kube-prometheus-stack", "argo-rollouts", "keda", "velero", "cluster-autoscaler", "dcgm-exporter"}
# On by default only when the stack has NVIDIA GPU nodes (components/config/addons.py with_stack_defaults).
GPU = {"nvidia-device-plugin"}


def context(name: str, production: bool = True, addons: dict | None = None, **kw) -> AddonContext:
    cfg = AddonsConfig.model_validate(addons if addons is not None else {"externalDns": {"hostedZoneIds": [ZONE]}})
    fields = {
        "environment": "prod" if production else "dev",
        "production": production,
        "region": "eu-west-1",
        "partition": "aws",
        "account_id": "123456789012",
        "cluster_name": "eks-platform-prod" if production else "eks-platform-dev",
        "kubernetes_version": "1.35",
        "vpc_id": "vpc-0abc",
        "settings": cfg.settings(name),
        "addons": cfg,
        "enabled": frozenset(enabled_addons(cfg, production)),
        "system": SYSTEM,
        "volume_kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k",
        "extra": {"bucket": "b", "bucketKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/b"},
    }
    fields.update(kw)
    return AddonContext(**fields)


# ------------------------------------------------------------------------------------------- the catalog


def test_catalog_covers_the_blueprints_core_set_and_the_optional_ones():
    assert set(CATALOG) == CORE | {"amazon-cloudwatch-observability", "external-dns"} | OPTIONAL | GPU


def test_every_addon_has_a_config_key():
    assert sorted(addon_keys()) == sorted(
        "".join(p if i == 0 else p.capitalize() for i, p in enumerate(n.split("-"))) for n in CATALOG
    )


@pytest.mark.parametrize("k8s", versions.KUBERNETES_VERSIONS)
def test_every_version_is_pinned_for_every_supported_kubernetes(k8s):
    for spec in CATALOG.values():
        version = spec.version(k8s)
        if spec.kind == "eks":
            assert version.startswith("v") and "-eksbuild." in version, (spec.name, version)
        else:
            chart = spec.chart()
            assert chart["repo"].startswith("https://") and chart["chart"]
            assert version[0].isdigit() or version.startswith("v"), version
            assert not any(c in version for c in "^~*x><"), f"{spec.name}: a range, not a pin"
    # helper-4's pod identity agent is pinned in the same table
    assert versions.EKS_ADDON_VERSIONS[k8s]["eks-pod-identity-agent"].startswith("v")
    assert versions.CLUSTER_AUTOSCALER_IMAGE_TAGS[k8s].startswith(f"v{k8s}.")


def test_kube_proxy_follows_the_kubernetes_minor():
    for k8s in versions.KUBERNETES_VERSIONS:
        assert CATALOG["kube-proxy"].version(k8s).startswith(f"v{k8s}.")


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_roles_bind_exactly_one_service_account(name):
    spec = CATALOG[name]
    if spec.policy is None:
        assert spec.service_account is None
        return
    sa = spec.service_account
    assert sa.namespace == spec.namespace and sa.name
    assert len(role_name("eks-platform-abcdefghijklmnop", name)) <= 64


def test_spec_rules():
    with pytest.raises(ValueError, match="reason"):
        AddonSpec(
            name="x", description="", kind="helm", namespace="x", default_on=(False, False), install_with="release"
        )
    with pytest.raises(ValueError, match="together"):
        AddonSpec(name="x", description="", kind="helm", namespace="x", default_on=(False, False), policy=lambda c: {})
    for spec in CATALOG.values():
        if spec.install_with == "release":
            assert spec.release_reason


# --------------------------------------------------------------------------------------- toggles


def test_defaults_per_environment():
    cfg = AddonsConfig.model_validate({"externalDns": {"hostedZoneIds": [ZONE]}})
    dev, prod = set(enabled_addons(cfg, False)), set(enabled_addons(cfg, True))
    assert dev == CORE | {"external-dns"}
    assert prod == CORE | {"external-dns", "amazon-cloudwatch-observability"}  # Container Insights: prod only
    assert not (dev | prod) & OPTIONAL


def test_external_dns_is_off_until_zones_are_configured():
    assert not is_enabled("external-dns", AddonsConfig(), True)
    assert is_enabled("external-dns", AddonsConfig.model_validate({"externalDns": {"hostedZoneIds": [ZONE]}}), True)


def test_toggles_override_defaults():
    cfg = AddonsConfig.model_validate({"metricsServer": {"enabled": False}, "keda": {"enabled": True}})
    names = enabled_addons(cfg, True)
    assert "metrics-server" not in names and "keda" in names


# ---------------------------------------------------------------------------------------- values


def test_values_overrides_deep_merge_over_the_catalog():
    ctx = context(
        "metrics-server",
        addons={"metricsServer": {"values": {"replicas": 5, "resources": {"limits": {"memory": "1Gi"}}}}},
    )
    values = CATALOG["metrics-server"].build_values(ctx)
    assert values["replicas"] == 5
    assert values["resources"] == {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "1Gi"}}
    assert values["nodeSelector"] == {POOL_LABEL: "system"}  # untouched


def test_deep_merge_replaces_lists_and_leaves_inputs_alone():
    base = {"a": {"b": [1, 2], "c": 1}}
    assert deep_merge(base, {"a": {"b": [3]}}) == {"a": {"b": [3], "c": 1}}
    assert base == {"a": {"b": [1, 2], "c": 1}}


def test_system_scheduling_selects_the_pool_and_tolerates_its_taint():
    assert (
        Scheduling(
            node_selector={POOL_LABEL: "system"},
            tolerations=({"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"},),
        )
        == SYSTEM
    )


@pytest.mark.parametrize("name", sorted(n for n, s in CATALOG.items() if s.node_pool == "system"))
def test_cluster_critical_addons_run_on_the_system_pool(name):
    values = CATALOG[name].build_values(context(name))
    pods = [values] + [v for v in values.values() if isinstance(v, dict) and "nodeSelector" in v]
    if CATALOG[name].name == "aws-ebs-csi-driver":
        pods = [values["controller"]]
    for pod in pods:
        assert pod["nodeSelector"] == {POOL_LABEL: "system"}, name
        assert {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"} in pod[
            "tolerations"
        ]


@pytest.mark.parametrize("name", sorted(n for n, s in CATALOG.items() if s.kind == "helm"))
def test_helm_addons_set_resource_requests(name):
    values = CATALOG[name].build_values(context(name))

    def requests(doc):
        if isinstance(doc, dict):
            if "requests" in doc and "cpu" in doc["requests"] and "memory" in doc["requests"]:
                yield doc
            for v in doc.values():
                yield from requests(v)

    found = list(requests(values))
    assert found, name
    for r in found:
        assert "memory" in r["limits"], name


@pytest.mark.parametrize(
    "name", ["aws-load-balancer-controller", "external-dns", "aws-for-fluent-bit", "cluster-autoscaler"]
)
def test_addons_get_region_and_vpc_explicitly_without_imds(name):
    text = repr(CATALOG[name].build_values(context(name, addons={"externalDns": {"hostedZoneIds": [ZONE]}})))
    assert "eu-west-1" in text
    if name == "aws-load-balancer-controller":
        assert "vpc-0abc" in text


def test_vpc_cni_enforces_network_policy_and_prefix_delegation_is_configurable():
    on = CATALOG["vpc-cni"].build_values(context("vpc-cni"))
    assert on == {"enableNetworkPolicy": "true", "env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}}
    off = CATALOG["vpc-cni"].build_values(context("vpc-cni", addons={"vpcCni": {"prefixDelegation": False}}))
    assert off == {"enableNetworkPolicy": "true"}


def test_coredns_tolerates_the_system_pool_and_scales_per_environment():
    prod = CATALOG["coredns"].build_values(context("coredns"))
    dev = CATALOG["coredns"].build_values(context("coredns", production=False))
    assert prod["replicaCount"] == 3 and dev["replicaCount"] == 2
    assert prod["tolerations"] == [dict(t) for t in SYSTEM.tolerations]
    assert CATALOG["coredns"].needs_nodes


def test_external_dns_policy_per_environment_and_owner_per_stack():
    prod = CATALOG["external-dns"].build_values(context("external-dns"))
    dev = CATALOG["external-dns"].build_values(context("external-dns", production=False))
    assert prod["policy"] == "upsert-only" and dev["policy"] == "sync"
    assert prod["txtOwnerId"] == "eks-platform-prod" and dev["txtOwnerId"] == "eks-platform-dev"
    assert prod["extraArgs"] == [f"--zone-id-filter={ZONE}"]
    forced = CATALOG["external-dns"].build_values(
        context("external-dns", addons={"externalDns": {"hostedZoneIds": [ZONE], "policy": "sync"}})
    )
    assert forced["policy"] == "sync"


def test_cloudwatch_observability_leaves_container_logs_to_fluent_bit():
    assert CATALOG["amazon-cloudwatch-observability"].build_values(context("amazon-cloudwatch-observability")) == {
        "containerLogs": {"enabled": False}
    }
    alone = context("amazon-cloudwatch-observability", addons={"awsForFluentBit": {"enabled": False}})
    assert CATALOG["amazon-cloudwatch-observability"].build_values(alone) == {"containerLogs": {"enabled": True}}


def test_fluent_bit_ships_to_the_stacks_log_group_and_never_creates_one():
    values = CATALOG["aws-for-fluent-bit"].build_values(context("aws-for-fluent-bit"))
    assert values["cloudWatchLogs"]["logGroupName"] == "/aws/eks/eks-platform-prod/containers"
    assert values["cloudWatchLogs"]["autoCreateGroup"] is False
    assert CATALOG["aws-for-fluent-bit"].log_groups(context("aws-for-fluent-bit")) == [
        "/aws/eks/eks-platform-prod/containers"
    ]


def test_fluent_bit_has_a_log_stream_prefix_and_a_pod_identity_capable_release():
    """The cloudwatch_logs output refuses to start without exactly one of log_stream_name / log_stream_prefix (the
    chart drops empty ones); only chart 0.2.0+ (Fluent Bit 4.x) reads EKS Pod Identity credentials."""
    logs = CATALOG["aws-for-fluent-bit"].build_values(context("aws-for-fluent-bit"))["cloudWatchLogs"]
    assert bool(logs.get("logStreamName")) != bool(logs.get("logStreamPrefix"))
    major, minor, _patch = (int(p) for p in versions.HELM_CHARTS["aws-for-fluent-bit"]["version"].split("."))
    assert (major, minor) >= (0, 2)


def test_cert_manager_installs_crds_and_declares_the_dns01_issuer():
    ctx = context(
        "cert-manager",
        addons={"externalDns": {"hostedZoneIds": [ZONE]}, "certManager": {"acmeEmail": "ops@example.com"}},
    )
    values = CATALOG["cert-manager"].build_values(ctx)
    assert values["crds"] == {"enabled": True, "keep": True}
    assert values["startupapicheck"] == {"enabled": False}
    issuer = cert_manager.cluster_issuer(ctx)["cluster-issuer"]
    assert issuer["kind"] == "ClusterIssuer" and issuer["metadata"]["name"] == "letsencrypt-dns01"
    assert issuer["spec"]["acme"]["solvers"] == [{"dns01": {"route53": {"region": "eu-west-1"}}}]
    assert issuer["spec"]["acme"]["server"].startswith("https://acme-v02.")
    # no email -> no issuer
    assert cert_manager.cluster_issuer(context("cert-manager")) == {}


def test_external_secrets_stores_and_default_prefix():
    ctx = context("external-secrets", addons={})
    assert external_secrets.path_prefix(ctx) == "eks-platform/prod/"
    stores = external_secrets.secret_stores(ctx)
    assert {s["spec"]["provider"]["aws"]["service"] for s in stores.values()} == {"SecretsManager", "ParameterStore"}
    assert CATALOG["external-secrets"].build_values(ctx)["installCRDs"] is True


@pytest.mark.parametrize("production", [True, False])
def test_external_secrets_elects_a_leader_whenever_it_runs_more_than_one_controller(production):
    values = CATALOG["external-secrets"].build_values(context("external-secrets", production=production, addons={}))
    assert values["leaderElect"] is (values["replicaCount"] > 1)


def test_velero_uses_the_provisioned_bucket_and_key():
    values = CATALOG["velero"].build_values(context("velero", addons={"velero": {"enabled": True}}))
    bsl = values["configuration"]["backupStorageLocation"][0]
    assert bsl["bucket"] == "b" and bsl["config"]["kmsKeyId"].endswith(":key/b")
    assert values["credentials"] == {"useSecret": False}
    assert velero.bucket_name("prod", "123456789012") == "eks-platform-prod-velero-123456789012"


def test_cluster_autoscaler_image_matches_kubernetes():
    values = CATALOG["cluster-autoscaler"].build_values(context("cluster-autoscaler", kubernetes_version="1.33"))
    assert values["image"]["tag"] == "v1.33.0"
    assert values["autoDiscovery"] == {"clusterName": "eks-platform-prod"}


# -------------------------------------------------------------------------------------- ordering


def test_addons_do_not_wait_for_each_other_unless_declared():
    names = list(CATALOG)
    for spec in CATALOG.values():
        assert dependencies(spec, set(names)) == [*spec.depends_on, *spec.optional_after]
    declared = {n: s.optional_after + s.depends_on for n, s in CATALOG.items() if s.optional_after or s.depends_on}
    assert declared == {
        "aws-load-balancer-controller": ("cert-manager",),
        "dcgm-exporter": ("kube-prometheus-stack",),  # its ServiceMonitor's CRD, only when installed
    }
    order = install_order(names)
    assert order.index("cert-manager") < order.index("aws-load-balancer-controller")
    # without cert-manager the load balancer controller waits for nothing
    assert dependencies(CATALOG["aws-load-balancer-controller"], {"aws-load-balancer-controller"}) == []


def test_daemonset_addons_do_not_wait_for_nodes():
    assert {n for n, s in CATALOG.items() if not s.needs_nodes} == {
        "vpc-cni",
        "kube-proxy",
        "aws-for-fluent-bit",
        "nvidia-device-plugin",
        "dcgm-exporter",
    }


def test_only_the_vpc_cni_is_installed_before_the_node_groups():
    """Nodes need the CNI (with its own role: the node role has none) to become Ready; kube-proxy, bootstrapped by
    EKS and needing no AWS access, installs alongside the node groups."""
    assert {n for n, s in CATALOG.items() if s.before_nodes} == {"vpc-cni"}
    assert all(not s.needs_nodes for s in CATALOG.values() if s.before_nodes)
    assert CATALOG["vpc-cni"].has_role(AddonsConfig.model_validate({}))


@pytest.mark.parametrize(
    ("phase", "expected"),
    [("all", set(CATALOG)), ("before-nodes", {"vpc-cni"}), ("after-nodes", set(CATALOG) - {"vpc-cni"})],
)
def test_phases_split_the_catalog(phase, expected):
    assert {n for n, s in CATALOG.items() if in_phase(s, phase)} == expected


def test_unknown_phase_is_a_clear_error():
    with pytest.raises(
        ValueError, match="unknown add-on phase 'before': expected one of all, before-nodes, after-nodes"
    ):
        in_phase(CATALOG["vpc-cni"], "before")


def test_an_addon_before_the_nodes_cannot_need_nodes():
    with pytest.raises(ValueError, match="x: an add-on installed before the node groups cannot wait for nodes"):
        AddonSpec(
            name="x", description="", kind="eks", namespace="kube-system", default_on=(True, True), before_nodes=True
        )


def test_dependencies_stay_within_a_phase():
    early = AddonSpec(
        name="early",
        description="",
        kind="eks",
        namespace="kube-system",
        default_on=(True, True),
        needs_nodes=False,
        before_nodes=True,
        optional_after=("coredns",),
    )
    with pytest.raises(ValueError, match="early waits for coredns, installed after the node groups"):
        dependencies(early, {"early", "coredns"})
    late = AddonSpec(
        name="late",
        description="",
        kind="eks",
        namespace="kube-system",
        default_on=(True, True),
        depends_on=("vpc-cni",),
    )
    with pytest.raises(ValueError, match="late waits for vpc-cni, installed before the node groups"):
        dependencies(late, {"late", "vpc-cni"})
    assert dependencies(early, {"early"}) == []  # an optional one that is off is no crossing


def test_install_order_of_one_phase_checks_against_the_whole_stack():
    after = [n for n in CATALOG if n != "vpc-cni"]
    order = install_order(after, set(CATALOG))
    assert sorted(order) == sorted(after)
    assert order.index("cert-manager") < order.index("aws-load-balancer-controller")
