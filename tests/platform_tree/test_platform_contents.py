"""What platform/ promises beyond schema validity: the wiring Argo CD relies on (kustomization, ApplicationSets,
the cluster Secret contract), the team guard rails, and the reference application's production defaults."""

from __future__ import annotations

import math
import re
import sys
from fractions import Fraction
from typing import Any

import pytest
import yaml

from . import validate
from .conftest import PlatformReport
from .render import (
    ENVIRONMENTS,
    KUSTOMIZATION,
    PLATFORM_DIR,
    Manifest,
    application_sets,
    chart_dirs,
    chart_sources,
    plain_yaml_files,
    read_values,
    relative,
    values_file,
)

ENV_TEMPLATE = "{{.metadata.labels.environment}}"
TEAMS = {"frontend": "CC-1001", "api": "CC-1002"}
PSS_MODES = ("enforce", "audit", "warn")


def _objects(manifests: list[Manifest], env: str, kind: str | None = None) -> list[dict[str, Any]]:
    """Objects in `env` (charts rendered for it, plus plain YAML), optionally of one kind."""
    return [m.obj for m in manifests if m.env in (env, None) and (kind is None or m.kind == kind)]


def _one(manifests: list[Manifest], env: str, kind: str, name: str, namespace: str | None = None) -> dict:
    found = [
        o
        for o in _objects(manifests, env, kind)
        if o["metadata"]["name"] == name and (namespace is None or o["metadata"].get("namespace") == namespace)
    ]
    assert len(found) == 1, f"expected one {kind} {namespace}/{name} in {env}, found {len(found)}"
    return found[0]


def _bootstrap_text() -> str:
    return "\n".join(path.read_text() for path in sorted((PLATFORM_DIR / "bootstrap").rglob("*.yaml")))


# ------------------------------------------------------------------------------------------------ the tree


def test_platform_holds_only_data_files() -> None:
    charts = chart_dirs()
    unexpected = []
    for path in PLATFORM_DIR.rglob("*"):
        if path.is_dir():
            continue
        in_chart = any(chart in path.parents for chart in charts)
        allowed = path.suffix in (".yaml", ".md") or (
            in_chart and (path.suffix == ".tpl" or path.name in ("values.schema.json", ".helmignore"))
        )
        if not allowed:
            unexpected.append(relative(path))
    assert not unexpected, f"platform/ holds YAML, Markdown and Helm chart files only: {sorted(unexpected)}"


def test_kustomization_is_the_root_and_lists_every_bootstrap_object() -> None:
    kustomization = yaml.safe_load((PLATFORM_DIR / KUSTOMIZATION).read_text())
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    assert set(kustomization) == {"apiVersion", "kind", "resources"}, "only a list of resources, no transformations"
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources))
    missing = [r for r in resources if not (PLATFORM_DIR / r).is_file()]
    assert not missing, f"kustomization.yaml lists files that do not exist: {missing}"
    plain = {relative(path) for path in plain_yaml_files()}
    assert plain == set(resources), (
        "every plain YAML file must be applied by the root Application (listed in kustomization.yaml), and only "
        f"those: not listed {sorted(plain - set(resources))}, not plain YAML {sorted(set(resources) - plain)}"
    )
    assert all(r.startswith("bootstrap/") for r in resources)


def test_every_chart_is_deployed_by_exactly_one_application_set(manifests: list[Manifest]) -> None:
    sources = chart_sources(manifests)
    deployed = sorted(source.chart_path for source in sources)
    charts = sorted(f"platform/{relative(chart)}" for chart in chart_dirs())
    assert deployed == charts, f"charts {charts} vs ApplicationSet sources {deployed}"
    for source in sources:
        chart_dir = PLATFORM_DIR.parent / source.chart_path
        expected = f"$values/{relative(values_file(chart_dir, 'dev'), PLATFORM_DIR.parent)}".replace("-dev.", "-{}.")
        assert source.value_files == (expected.format(ENV_TEMPLATE),), source
        for env in ENVIRONMENTS:
            assert values_file(chart_dir, env).is_file()


def test_application_sets_select_every_environment_with_strict_go_templates(manifests: list[Manifest]) -> None:
    appsets = list(application_sets(manifests))
    assert {a.name for a in appsets} >= {"teams", "workloads"}
    for appset in appsets:
        spec = appset.obj["spec"]
        assert appset.namespace == "argocd", appset
        assert spec["goTemplate"] is True and "missingkey=error" in spec["goTemplateOptions"], appset
        for generator in spec["generators"]:
            selector = generator["clusters"]["selector"]
            # Any cluster with an `environment` label (every GitOps Bridge cluster Secret): a new environment needs
            # no edit here, only its values-<env>.yaml files.
            environments = [e for e in selector.get("matchExpressions", []) if e["key"] == "environment"]
            assert environments == [{"key": "environment", "operator": "Exists"}], appset
            assert "environment" not in selector.get("matchLabels", {}), appset
        sources = spec["template"]["spec"].get("sources") or [spec["template"]["spec"]["source"]]
        for source in sources:
            # Infrastructure facts come from the cluster Secret; our repository and revision too.
            if "chart" not in source:
                assert source["repoURL"] == "{{.metadata.annotations.workload_repo_url}}", appset
                assert source["targetRevision"] == "{{.metadata.annotations.workload_repo_revision}}", appset
            else:
                assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", source["targetRevision"]), "pin add-on charts"


def test_addons_are_gated_on_enable_labels(manifests: list[Manifest]) -> None:
    addons = [a for a in application_sets(manifests) if a.source.startswith("bootstrap/addons/")]
    assert addons, "at least one GitOps-managed add-on"
    for addon in addons:
        for generator in addon.obj["spec"]["generators"]:
            labels = generator["clusters"]["selector"].get("matchLabels", {})
            gates = {k: v for k, v in labels.items() if k.startswith("enable_")}
            assert gates and set(gates.values()) == {"true"}, f"{addon}: gate on an enable_<addon>: 'true' label"
        # Upstream charts are not rendered offline, so at least their namespace enforces Pod Security restricted.
        sync = addon.obj["spec"]["template"]["spec"]["syncPolicy"]
        assert "CreateNamespace=true" in sync["syncOptions"], addon
        labels = sync["managedNamespaceMetadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted", addon
        assert re.fullmatch(r"v1\.[0-9]+", labels["pod-security.kubernetes.io/enforce-version"]), addon


def test_cluster_secret_contract_is_documented() -> None:
    """Every label and annotation the ApplicationSets read is in the contract table of platform/README.md."""
    text = _bootstrap_text()
    # Read directly (`.metadata.annotations.x`) or, for keys not on every cluster, with `index` (`index ... "x"`).
    annotations = set(re.findall(r"\.metadata\.annotations\.([A-Za-z0-9_]+)", text))
    annotations |= set(re.findall(r"index\s+\.metadata\.annotations\s+\"([A-Za-z0-9_]+)\"", text))
    labels = set(re.findall(r"\.metadata\.labels\.([A-Za-z0-9_]+)", text))
    labels |= set(re.findall(r"index\s+\.metadata\.labels\s+\"([A-Za-z0-9_]+)\"", text))
    for appset in (yaml.safe_load(p.read_text()) for p in (PLATFORM_DIR / "bootstrap").rglob("*.yaml")):
        if appset["kind"] != "ApplicationSet":
            continue
        for generator in appset["spec"]["generators"]:
            selector = generator["clusters"]["selector"]
            labels |= set(selector.get("matchLabels", {}))
            labels |= {e["key"] for e in selector.get("matchExpressions", [])}
    readme = (PLATFORM_DIR / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Za-z0-9_./-]+)` \|", readme, flags=re.MULTILINE))
    assert annotations and labels
    assert annotations <= documented, f"undocumented annotations: {sorted(annotations - documented)}"
    assert labels <= documented, f"undocumented labels: {sorted(labels - documented)}"


def test_application_set_helm_parameters_are_chart_values(manifests: list[Manifest]) -> None:
    for source in chart_sources(manifests):
        defaults = yaml.safe_load((PLATFORM_DIR.parent / source.chart_path / "values.yaml").read_text())
        for parameter in source.parameters:
            node: Any = defaults
            for key in parameter.split("."):
                assert isinstance(node, dict) and key in node, f"{source.application_set}: {parameter} not in values"
                node = node[key]


# ------------------------------------------------------------------------------------------------ teams


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_team_namespaces_carry_their_guard_rails(env: str, platform_report: PlatformReport) -> None:
    manifests = platform_report.manifests
    pss_version = f"v{platform_report.versions[env]}"
    for team, cost_center in TEAMS.items():
        labels = _one(manifests, env, "Namespace", team)["metadata"]["labels"]
        assert labels["team"] == team and labels["cost-center"] == cost_center and labels["environment"] == env
        for mode in PSS_MODES:
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
            assert labels[f"pod-security.kubernetes.io/{mode}-version"] == pss_version, (
                f"{team}: pin Pod Security to the cluster's version {pss_version} (platform/teams/values-{env}.yaml)"
            )
        quota = _one(manifests, env, "ResourceQuota", "team-quota", team)["spec"]["hard"]
        assert {"requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "pods"} <= set(quota)
        (limits,) = _one(manifests, env, "LimitRange", "team-defaults", team)["spec"]["limits"]
        assert limits["type"] == "Container" and {"default", "defaultRequest", "max"} <= set(limits)

        deny = _one(manifests, env, "NetworkPolicy", "default-deny-all", team)["spec"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        dns = _one(manifests, env, "NetworkPolicy", "allow-dns-egress", team)["spec"]
        assert dns["policyTypes"] == ["Egress"] and "ingress" not in dns
        (rule,) = dns["egress"]
        assert rule["to"] == [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ]
        assert sorted((p["protocol"], p["port"]) for p in rule["ports"]) == [("TCP", 53), ("UDP", 53)]

        binding = _one(manifests, env, "RoleBinding", "team-edit", team)
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}
        group = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"team:{team}"}
        assert binding["subjects"] == [group]


# ------------------------------------------------------------------------------------------------ workloads

WORKLOADS = {"frontend": "frontend", "api": "api"}  # component -> namespace
ECR_IMAGE = r"[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9-]+(:[\w.-]+|@sha256:[a-f0-9]{64})"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_workloads_have_production_defaults(env: str, manifests: list[Manifest]) -> None:
    for name, namespace in WORKLOADS.items():
        deployment = _one(manifests, env, "Deployment", name, namespace)
        spec = deployment["spec"]
        assert "replicas" not in spec, "the HPA owns the replica count"
        assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}
        pod = spec["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False and pod["serviceAccountName"] == name
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert {c["topologyKey"] for c in pod["topologySpreadConstraints"]} == {
            "topology.kubernetes.io/zone",
            "kubernetes.io/hostname",
        }
        if env == "prod":
            zone = next(c for c in pod["topologySpreadConstraints"] if c["topologyKey"].endswith("zone"))
            assert zone["whenUnsatisfiable"] == "DoNotSchedule"
        (container,) = pod["containers"]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert probe in container, f"{name}: {probe}"
        for group in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][group]), f"{name}: resources.{group}"
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
        assert security["capabilities"] == {"drop": ["ALL"]}
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert any(v["name"] == "tmp" and "emptyDir" in v for v in pod["volumes"])
        image = container["image"]
        assert re.fullmatch(ECR_IMAGE, image), f"{name}: {image} is not a pinned ECR image"
        assert not image.endswith(":latest")

        account = _one(manifests, env, "ServiceAccount", name, namespace)
        assert account["automountServiceAccountToken"] is False

        hpa = _one(manifests, env, "HorizontalPodAutoscaler", name, namespace)["spec"]
        assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        cpu_70 = {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}
        assert hpa["metrics"] == [{"type": "Resource", "resource": cpu_70}]
        if env == "prod":
            assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 10)
        else:
            assert hpa["minReplicas"] <= 2 and hpa["maxReplicas"] < 10, "dev is smaller than prod"

        pdb = _one(manifests, env, "PodDisruptionBudget", name, namespace)["spec"]
        assert pdb["selector"] == spec["selector"]
        service = _one(manifests, env, "Service", name, namespace)["spec"]
        assert service["selector"] == spec["selector"]["matchLabels"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_frontend_is_published_through_an_internet_facing_alb(env: str, manifests: list[Manifest]) -> None:
    ingress = _one(manifests, env, "Ingress", "frontend", "frontend")
    annotations = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
    assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert annotations["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"].startswith("arn:aws:acm:")
    host = annotations["external-dns.alpha.kubernetes.io/hostname"]
    values = read_values(values_file(PLATFORM_DIR / "workloads/chart", env))
    assert host == f"app.{values['global']['domain']}" == ingress["spec"]["rules"][0]["host"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_network_policies_open_only_alb_to_frontend_to_api(env: str, manifests: list[Manifest]) -> None:
    vpc_cidr = read_values(values_file(PLATFORM_DIR / "workloads/chart", env))["global"]["vpcCidr"]
    frontend_pods = _one(manifests, env, "Deployment", "frontend", "frontend")["spec"]["selector"]
    api_pods = _one(manifests, env, "Deployment", "api", "api")["spec"]["selector"]
    policies = [
        m.obj
        for m in manifests
        if m.env == env and m.kind == "NetworkPolicy" and m.source.startswith("workloads/chart")
    ]
    ingress_rules = {(p["metadata"]["namespace"], p["metadata"]["name"]): p["spec"].get("ingress") for p in policies}
    assert ingress_rules[("frontend", "frontend-from-alb")] == [
        {"from": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": [{"protocol": "TCP", "port": 8080}]}
    ]
    assert ingress_rules[("api", "api-from-frontend")] == [
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "frontend"}},
                    "podSelector": frontend_pods,
                }
            ],
            "ports": [{"protocol": "TCP", "port": 8080}],
        }
    ]
    assert [k for k, rules in ingress_rules.items() if rules] == [
        ("frontend", "frontend-from-alb"),
        ("api", "api-from-frontend"),
    ], "no other ingress is opened"
    egress = next(p for p in policies if p["metadata"]["name"] == "frontend-to-api")["spec"]["egress"]
    assert egress[0]["to"][0]["podSelector"] == api_pods


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_api_reads_database_credentials_from_a_mounted_secret(env: str, manifests: list[Manifest]) -> None:
    pod = _one(manifests, env, "Deployment", "api", "api")["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if "secret" in v]
    assert volume["secret"]["secretName"] == "api-db"
    (container,) = pod["containers"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    assert mount["readOnly"] is True
    values = yaml.safe_load((PLATFORM_DIR / "workloads/chart/values.yaml").read_text())
    assert values["api"]["dbSecretName"] == "api-db"
    # Off by default; Argo CD turns it on and sets the secret ARN and host from the cluster Secret's annotations.
    assert values["api"]["externalSecret"] == {"enabled": False, "remoteKey": "", "host": ""}
    for deployment in _objects(manifests, env, "Deployment"):
        for c in deployment["spec"]["template"]["spec"]["containers"]:
            assert "envFrom" not in c, "no environment from Secrets or ConfigMaps"
            for variable in c.get("env", []):
                assert "valueFrom" not in variable, f"{c['name']}: secrets are mounted, never in the environment"


# ------------------------------------------------------------------------------------------------ capacity

_SUFFIXES = {"m": Fraction(1, 1000), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_SUFFIXES |= {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity(value: str | int | float) -> Fraction:
    """A Kubernetes quantity ("500m", "2", "512Mi", "4Gi") as an exact number."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)", str(value))
    if not match or match.group(2) not in ("", *_SUFFIXES):
        raise ValueError(f"not a quantity: {value!r}")
    return Fraction(match.group(1)) * _SUFFIXES.get(match.group(2), 1)


def test_quantity_parser() -> None:
    assert quantity("500m") == Fraction(1, 2) and quantity("2") == 2 and quantity(3) == 3
    assert quantity("512Mi") == 512 * 2**20 and quantity("1.5Gi") == 3 * 2**29
    with pytest.raises(ValueError):
        quantity("lots")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_team_quotas_hold_the_workloads_at_full_scale_during_a_rollout(env: str, manifests: list[Manifest]) -> None:
    """HPA maximum plus the 25 % surge of a rolling update must fit the namespace quota and LimitRange maximum,
    or the last replicas of a scale-out or a rollout would be refused."""
    for name, namespace in WORKLOADS.items():
        hpa = _one(manifests, env, "HorizontalPodAutoscaler", name, namespace)["spec"]
        pods = hpa["maxReplicas"] + math.ceil(hpa["maxReplicas"] * 0.25)
        (container,) = _one(manifests, env, "Deployment", name, namespace)["spec"]["template"]["spec"]["containers"]
        quota = _one(manifests, env, "ResourceQuota", "team-quota", namespace)["spec"]["hard"]
        (limit_range,) = _one(manifests, env, "LimitRange", "team-defaults", namespace)["spec"]["limits"]
        assert pods <= int(quota["pods"]), f"{env}/{name}: {pods} pods > quota {quota['pods']}"
        for group in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                need = pods * quantity(container["resources"][group][resource])
                have = quantity(quota[f"{group}.{resource}"])
                assert need <= have, f"{env}/{name}: {group}.{resource} needs {float(need)} > quota {float(have)}"
        for resource in ("cpu", "memory"):
            limit = quantity(container["resources"]["limits"][resource])
            assert limit <= quantity(limit_range["max"][resource]), f"{env}/{name}: limits.{resource} > LimitRange max"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_workloads_run_in_team_namespaces_their_project_allows(env: str, manifests: list[Manifest]) -> None:
    teams = {o["metadata"]["name"] for o in _objects(manifests, env, "Namespace")}
    used = {m.namespace for m in manifests if m.env == env and m.source.startswith("workloads/chart")}
    assert used <= teams, f"workloads use namespaces the teams chart does not create: {used - teams}"
    project = _one(manifests, env, "AppProject", "workloads")["spec"]
    assert used <= {d["namespace"] for d in project["destinations"]}
    assert project["clusterResourceWhitelist"] == []
    kinds = {m.kind for m in manifests if m.env == env and m.source.startswith("workloads/chart")}
    assert not kinds & {b["kind"] for b in project["namespaceResourceBlacklist"]}


# ------------------------------------------------------------------------------------------------ policy pack


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_platform_passes_the_projects_workload_rules(env: str, manifests: list[Manifest]) -> None:
    """The same rules the CrossGuard pack applies to Kubernetes objects Pulumi deploys."""
    rules = pytest.importorskip("policies.rules.workloads")
    objects = _objects(manifests, env)
    problems = [f"{o['kind']}/{o['metadata']['name']}: {v.message}" for o in objects for v in rules.resources_set(o)]
    problems += [f"{o['kind']}/{o['metadata']['name']}: {v.message}" for o in objects for v in rules.image_pinned(o)]
    problems += [f"{v.message}" for o in objects for v in rules.namespace_psa_labels(o)]
    problems += [v.message for v in rules.namespaces_without_default_deny(objects)]
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------------------ versions


def test_kubernetes_version_falls_back_without_the_stack_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "components.config", None)  # import fails
    versions, source = validate.kubernetes_versions.__wrapped__()
    assert versions == dict.fromkeys(ENVIRONMENTS, validate.FALLBACK_KUBERNETES_VERSION)
    assert source.startswith("fallback 1.35 (") and "Error" in source
