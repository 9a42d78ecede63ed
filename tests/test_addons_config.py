"""`platform:addons`: toggles, overrides, settings, and the errors (one line naming the key, exit 2)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from components.addons.catalog import enabled_addons
from components.config import ConfigError, load_stack_config, read_stack_file, validate

ROOT = Path(__file__).resolve().parents[1]
DEV = read_stack_file(ROOT / "Pulumi.dev.yaml")
PROD = read_stack_file(ROOT / "Pulumi.prod.yaml")
ZONE = "Z0DEVEXAMPLE00000001"


def lines(base: dict, addons: dict | None = None, stack: str = "dev", **sections) -> list[str]:
    values = copy.deepcopy(base)
    if addons is not None:
        values["platform:addons"] = addons
    for key, value in sections.items():
        values[f"platform:{key}"] = value
    with pytest.raises(ConfigError) as info:
        validate(values, stack)
    return info.value.lines


def valid(base: dict, addons: dict, stack: str = "dev"):
    values = copy.deepcopy(base)
    values["platform:addons"] = addons
    return validate(values, stack)


def test_stacks_enable_the_core_set():
    dev, prod = load_stack_config("dev", project_dir=ROOT), load_stack_config("prod", project_dir=ROOT)
    core = {
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "aws-ebs-csi-driver",
        "aws-load-balancer-controller",
        "external-dns",
        "metrics-server",
        "aws-for-fluent-bit",
        "cert-manager",
        "external-secrets",
    }
    assert set(enabled_addons(dev.addons, dev.production)) == core
    assert set(enabled_addons(prod.addons, prod.production)) == core | {"amazon-cloudwatch-observability"}
    assert prod.addons.coredns.replicas == 3


def test_an_empty_section_is_valid():
    cfg = valid(DEV, {})
    assert "external-dns" not in enabled_addons(cfg.addons, False)  # no zones, not on


def test_unknown_addon_names_it_with_the_nearest_name():
    assert lines(DEV, {"externalDNS": {"enabled": True}}) == [
        "platform:addons.externalDNS: unknown add-on; did you mean 'externalDns'? (got {\"enabled\": true})"
    ]
    (line,) = lines(DEV, {"external-dns": {}})
    assert line.startswith("platform:addons.external-dns: unknown add-on; did you mean 'externalDns'?")
    (line,) = lines(DEV, {"linkerd": {}})
    assert line.startswith("platform:addons.linkerd: unknown add-on; the catalog has: vpcCni, coredns,")


def test_unknown_addons_are_reported_with_the_other_problems():
    got = lines(DEV, {"kedaa": {}, "coredns": {"replicas": "3"}, "externalDns": {"hostedZoneIds": ["zone1"]}})
    assert len(got) == 3
    assert got[0].startswith("platform:addons.kedaa: unknown add-on; did you mean 'keda'?")
    assert any(g.startswith("platform:addons.coredns.replicas: ") for g in got)
    assert any(
        g.startswith("platform:addons.externalDns.hostedZoneIds: 'zone1' is not a Route 53 hosted zone ID") for g in got
    )


def test_unknown_setting_of_a_known_addon():
    (line,) = lines(DEV, {"externalDns": {"hostedZoneIds": [ZONE], "zones": []}})
    assert line.startswith("platform:addons.externalDns.zones: unknown key")


@pytest.mark.parametrize(
    ("addons", "key"),
    [
        ({"externalDns": {"enabled": True}}, "platform:addons.externalDns.hostedZoneIds: must list the Route 53 zones"),
        (
            {"externalDns": {"hostedZoneIds": [ZONE, ZONE]}},
            "platform:addons.externalDns.hostedZoneIds: lists a hosted zone twice",
        ),
        (
            {"externalDns": {"hostedZoneIds": [ZONE], "domainFilters": ["Example..com"]}},
            "platform:addons.externalDns.domainFilters",
        ),
        ({"externalDns": {"hostedZoneIds": [ZONE], "policy": "delete"}}, "platform:addons.externalDns.policy"),
        (
            {"externalSecrets": {"pathPrefix": "/eks/"}},
            "platform:addons.externalSecrets.pathPrefix: must be path segments",
        ),
        ({"externalSecrets": {"pathPrefix": "eks"}}, "platform:addons.externalSecrets.pathPrefix"),
        ({"externalSecrets": {"kmsKeyArns": ["alias/x"]}}, "platform:addons.externalSecrets.kmsKeyArns"),
        (
            {"certManager": {"acmeEmail": "not-an-email"}},
            "platform:addons.certManager.acmeEmail: is not an email address",
        ),
        (
            {"certManager": {"acmeEmail": "ops@example.com"}},
            "platform:addons.certManager.hostedZoneIds: the DNS-01 issuer",
        ),
        ({"awsForFluentBit": {"retentionDays": 10}}, "platform:addons.awsForFluentBit.retentionDays"),
        ({"metricsServer": {"enabled": "yes"}}, "platform:addons.metricsServer.enabled"),
        ({"metricsServer": {"values": []}}, "platform:addons.metricsServer.values"),
        ({"vpcCni": {"prefixDelegation": "true"}}, "platform:addons.vpcCni.prefixDelegation"),
    ],
)
def test_bad_settings_are_one_line_naming_the_key(addons, key):
    got = lines(DEV, addons)
    assert len(got) == 1 and got[0].startswith(key), got


def test_short_log_retention_is_refused_in_production_only():
    assert valid(DEV, {"awsForFluentBit": {"retentionDays": 7}})
    (line,) = lines(PROD, {"awsForFluentBit": {"retentionDays": 7}}, stack="prod")
    assert line == "platform:addons.awsForFluentBit.retentionDays: must be at least 30 days in production (got 7)"


def test_cluster_autoscaler_and_karpenter_are_exclusive():
    karpenter = copy.deepcopy(DEV.get("platform:karpenter") or {})
    karpenter["enabled"] = True
    got = lines(DEV, {"clusterAutoscaler": {"enabled": True}}, karpenter=karpenter)
    assert got == [
        "platform:addons.clusterAutoscaler.enabled: cluster-autoscaler and Karpenter would both scale nodes: "
        "enable only one (platform:karpenter.enabled is true) (got true)"
    ]
    karpenter["enabled"] = False
    values = copy.deepcopy(DEV)
    values["platform:addons"] = {"clusterAutoscaler": {"enabled": True}}
    values["platform:karpenter"] = karpenter
    cfg = validate(values, "dev")
    assert "cluster-autoscaler" in enabled_addons(cfg.addons, False)


def test_per_addon_overrides_and_settings_round_trip():
    cfg = valid(
        DEV,
        {
            "metricsServer": {"values": {"replicas": 3}},
            "externalDns": {"hostedZoneIds": [ZONE], "policy": "upsert-only"},
            "certManager": {"hostedZoneIds": ["Z0CERTS0000000000001"], "acmeEmail": "ops@example.com"},
            "externalSecrets": {"pathPrefix": "team-a/dev/"},
        },
    )
    assert cfg.addons.metrics_server.values == {"replicas": 3}
    assert cfg.addons.external_dns.policy == "upsert-only"
    assert cfg.addons.cert_manager.hosted_zone_ids == ["Z0CERTS0000000000001"]
    assert cfg.addons.settings("external-secrets").path_prefix == "team-a/dev/"


def test_unknown_addon_exits_2_from_the_cli(plan_with_edited_config):
    def edit(config):
        config["platform:addons"]["externalDNS"] = {"enabled": True}

    code, lines = plan_with_edited_config("dev", edit)
    assert code == 2, lines
    assert lines == [
        "platform:addons.externalDNS: unknown add-on; did you mean 'externalDns'? (got {\"enabled\": true})"
    ]


def test_an_argo_cd_managed_add_on_enabled_in_pulumi_with_gitops_on_is_a_config_error(plan_with_edited_config):
    """With GitOps on, Argo CD installs argo-rollouts wherever the cluster Secret enables it: a Pulumi install would
    enable it too, and the cluster would get two copies (exit 2, naming the key), even when platform:gitops.addons
    does not list it."""

    def edit(config):
        config["platform:gitops"]["addons"] = []
        config["platform:addons"]["argoRollouts"] = {"enabled": True}

    code, lines = plan_with_edited_config("prod", edit)
    assert code == 2
    assert lines[0].startswith("platform:addons.argoRollouts.enabled: with GitOps on, Argo CD installs argo-rollouts")
