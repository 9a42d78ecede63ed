"""GitOps bootstrap (components/gitops.py): chart values, the GitOps Bridge contract with platform/ (and what the
workloads ApplicationSet generates from it, with and without a database), and the component under Pulumi mocks
(secrets never in plaintext, HA only where configured, dependencies in order)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import gitops
from components.addons.catalog import CATALOG
from components.config.gitops import GITOPS_ADDONS, GitOpsConfig, Sso
from components.config.repository import stack_names
from components.versions import HELM_CHARTS

ROOT = Path(__file__).resolve().parent.parent
# Every stack of the repository, from its Pulumi.<stack>.yaml (never a fixed dev/prod list).
STACKS = stack_names(ROOT)
PLATFORM = ROOT / "platform"

SSO = Sso(issuer="https://login.example.com/realms/platform", client_id="argocd", admin_groups=["platform-admins"])


def config(**overrides: Any) -> GitOpsConfig:
    return GitOpsConfig(domain="dev.example.com", **overrides)


# ------------------------------------------------------------------------------------------------ pure logic


def test_argo_cd_chart_is_pinned_to_an_exact_version():
    chart = HELM_CHARTS["argo-cd"]
    assert chart["repo"] == "https://argoproj.github.io/argo-helm" and chart["chart"] == "argo-cd"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"]), chart["version"]


def test_names_follow_gitops_bridge_snake_case():
    assert gitops.enable_label("aws-load-balancer-controller") == "enable_aws_load_balancer_controller"
    assert gitops.role_arn_annotation("external-dns") == "external_dns_iam_role_arn"
    with pytest.raises(ValueError, match="not a valid label"):
        gitops.enable_label("x" * 60)


def test_namespace_enforces_baseline_and_reports_restricted_pinned_to_the_cluster_version():
    labels = gitops.namespace_labels("1.35")
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/audit"] == labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert {v for k, v in labels.items() if k.endswith("-version")} == {"v1.35"}


def _every_component(values: dict) -> dict[str, dict]:
    ha = values["redis-ha"]
    return {
        **{key: values[key] for key in ("controller", "server", "repoServer", "applicationSet", "redis")},
        **{f"redis-ha.{key}": ha[key] for key in ("redis", "sentinel", "haproxy")},
    }


@pytest.mark.parametrize("ha", [True, False])
def test_every_component_requests_cpu_and_memory_and_limits_memory(ha):
    values = gitops.argocd_values(environment="prod", domain="example.com", ha=ha, sso=None)
    for name, component in _every_component(values).items():
        resources = component["resources"]
        assert resources["requests"]["cpu"] and resources["requests"]["memory"], name
        assert resources["limits"]["memory"], name
        assert "cpu" not in resources["limits"], f"{name}: CPU limits throttle Argo CD's controllers"


def test_ha_runs_redundant_replicas_redis_ha_and_disruption_budgets():
    prod = gitops.argocd_values(environment="prod", domain="example.com", ha=True, sso=None)
    dev = gitops.argocd_values(environment="dev", domain="dev.example.com", ha=False, sso=None)
    for key in ("server", "repoServer", "applicationSet"):
        assert prod[key]["replicas"] >= 2 and prod[key]["pdb"] == {"enabled": True, "minAvailable": 1}
        assert dev[key]["replicas"] == 1 and "pdb" not in dev[key]
    # One controller replica in both: it shards by destination cluster, and there is one.
    assert prod["controller"]["replicas"] == dev["controller"]["replicas"] == 1
    assert prod["redis-ha"]["enabled"] and not prod["redis"]["enabled"]
    assert not dev["redis-ha"]["enabled"] and dev["redis"]["enabled"]
    assert prod["global"]["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    assert "topologySpreadConstraints" not in dev["global"]


def test_no_helm_hook_is_needed_and_redis_uses_the_pulumi_managed_secret():
    values = gitops.argocd_values(environment="dev", domain="dev.example.com", ha=True, sso=None)
    assert values["redisSecretInit"] == {"enabled": False}
    assert values["redis-ha"]["existingSecret"] == gitops.REDIS_SECRET == "argocd-redis"
    assert values["configs"]["secret"]["argocdServerAdminPasswordMtime"] == gitops.ADMIN_PASSWORD_MTIME
    assert values["global"]["domain"] == "argocd.dev.example.com"


def test_sso_disables_the_local_admin_and_maps_groups_to_roles():
    local = gitops.argocd_values(environment="dev", domain="dev.example.com", ha=False, sso=None)
    assert local["configs"]["cm"]["admin.enabled"] is True and "oidc.config" not in local["configs"]["cm"]
    sso = Sso(
        issuer="https://login.example.com",
        client_id="argocd",
        admin_groups=["platform-admins"],
        read_only_groups=["developers"],
    )
    values = gitops.argocd_values(environment="dev", domain="dev.example.com", ha=False, sso=sso)
    cm = values["configs"]["cm"]
    assert cm["admin.enabled"] is False
    oidc = yaml.safe_load(cm["oidc.config"])
    assert oidc["issuer"] == "https://login.example.com" and oidc["clientID"] == "argocd"
    assert oidc["enablePKCEAuthentication"] is True and "clientSecret" not in oidc
    assert values["configs"]["rbac"]["policy.csv"].splitlines() == [
        "g, platform-admins, role:admin",
        "g, developers, role:readonly",
    ]
    assert values["configs"]["rbac"]["policy.default"] == ""


def test_repository_credentials_token_over_https_key_over_ssh():
    https = gitops.repository_secret_data("https://github.com/o/r.git", "git", "tok")
    assert https == {"type": "git", "url": "https://github.com/o/r.git", "username": "git", "password": "tok"}
    ssh = gitops.repository_secret_data("git@github.com:o/r.git", "git", "KEY")
    assert ssh == {"type": "git", "url": "git@github.com:o/r.git", "sshPrivateKey": "KEY"}


FACTS = gitops.ClusterFacts(
    environment="prod",
    account_id="123456789012",
    region="eu-west-1",
    cluster_name="eks-platform-prod",
    vpc_id="vpc-0abc",
    vpc_cidr="10.30.0.0/16",
    domain="example.com",
    repo_url="https://github.com/example-org/eks-platform.git",
    revision="release",
    addon_role_arns={"aws-load-balancer-controller": "arn:aws:iam::123456789012:role/lbc"},
)


def test_cluster_secret_carries_the_infrastructure_facts():
    annotations = gitops.cluster_secret_annotations(FACTS)
    assert annotations == {
        "aws_account_id": "123456789012",
        "aws_region": "eu-west-1",
        "aws_cluster_name": "eks-platform-prod",
        "aws_vpc_id": "vpc-0abc",
        "aws_vpc_cidr": "10.30.0.0/16",
        "environment": "prod",
        "domain": "example.com",
        "addons_repo_url": FACTS.repo_url,
        "addons_repo_revision": "release",
        "workload_repo_url": FACTS.repo_url,
        "workload_repo_revision": "release",
        "aws_load_balancer_controller_iam_role_arn": "arn:aws:iam::123456789012:role/lbc",
    }
    labels = gitops.cluster_secret_labels("prod", ["external-dns", "aws-load-balancer-controller", "external-dns"])
    assert labels == {
        "argocd.argoproj.io/secret-type": "cluster",
        "environment": "prod",
        "enable_aws_load_balancer_controller": "true",
        "enable_external_dns": "true",
    }
    assert gitops.cluster_secret_string_data() == {
        "name": "in-cluster",
        "server": "https://kubernetes.default.svc",
        "config": '{"tlsClientConfig":{"insecure":false}}',
    }


def test_a_fact_without_a_value_is_an_error_not_a_blank_annotation():
    facts = gitops.ClusterFacts(**{**FACTS.__dict__, "vpc_id": ""})
    with pytest.raises(ValueError, match="aws_vpc_id"):
        gitops.cluster_secret_annotations(facts)


DB = gitops.DatabaseFacts(
    secret_arn="arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0ab87556-cdac-c95f-5c5d-f2c4bae668a8-9b60ab",
    endpoint="eks-platform-prod-postgres.9b60abc1d8d4.eu-west-1.rds.amazonaws.com",
)


def test_database_facts_are_annotations_only_when_there_is_a_database():
    without = gitops.cluster_secret_annotations(FACTS)
    assert not {gitops.DB_SECRET_ARN_ANNOTATION, gitops.DB_ENDPOINT_ANNOTATION} & set(without)
    assert gitops.cluster_secret_annotations(replace(FACTS, database=DB)) == {
        **without,
        "db_secret_arn": DB.secret_arn,
        "db_endpoint": DB.endpoint,
    }


@pytest.mark.parametrize(("field", "annotation"), [("secret_arn", "db_secret_arn"), ("endpoint", "db_endpoint")])
@pytest.mark.parametrize("blank", ["", None])
def test_a_database_without_a_secret_arn_or_host_is_an_error_not_a_blank_annotation(field, annotation, blank):
    with pytest.raises(ValueError, match=annotation):
        gitops.cluster_secret_annotations(replace(FACTS, database=replace(DB, **{field: blank})))


def test_root_application_is_the_app_of_apps_of_this_repository():
    app = gitops.root_application(
        environment="prod", repo_url="https://github.com/o/r.git", revision="release", path="platform"
    )
    assert app["metadata"]["namespace"] == "argocd"
    assert app["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    spec = app["spec"]
    assert spec["source"] == {"repoURL": "https://github.com/o/r.git", "targetRevision": "release", "path": "platform"}
    assert spec["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "argocd"}
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}


# ---------------------------------------------------------------------------------------- contract with platform/


def _platform_documents() -> list[tuple[Path, dict]]:
    docs = []
    for path in sorted((PLATFORM / "bootstrap").rglob("*.yaml")):
        docs += [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if isinstance(doc, dict)]
    return docs


def _cluster_generators(doc: dict) -> list[dict]:
    found = []
    for generator in (doc.get("spec") or {}).get("generators") or []:
        if "clusters" in generator:
            found.append(generator["clusters"] or {})
    return found


def test_the_root_path_is_a_kustomization_listing_existing_files():
    root = PLATFORM.parent / GitOpsConfig.model_fields["path"].default
    kustomization = yaml.safe_load((root / "kustomization.yaml").read_text())
    assert kustomization["resources"], "the root Application would sync nothing"
    for resource in kustomization["resources"]:
        assert (root / resource).is_file(), resource


# `.metadata.annotations.x` stops generation when `x` is missing (missingkey=error); `index .metadata.annotations "x"`
# yields "" instead (Go's missingkey option does not apply to `index`).
DIRECT_READ = re.compile(r"\.metadata\.(annotations|labels)\.(\w+)")
INDEX_READ = re.compile(r'index\s+\.metadata\.(annotations|labels)\s+"(\w+)"')


def _cluster_secret_keys() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(keys on every cluster Secret, keys on some), per `annotations` and `labels`."""
    bare = replace(FACTS, addon_role_arns={}, database=None)
    every_addon = replace(
        FACTS, addon_role_arns=dict.fromkeys(CATALOG, "arn:aws:iam::123456789012:role/r"), database=DB
    )
    always = {
        "annotations": set(gitops.cluster_secret_annotations(bare)),
        "labels": set(gitops.cluster_secret_labels("prod", [])),
    }
    possible = {
        "annotations": set(gitops.cluster_secret_annotations(every_addon)),
        "labels": set(gitops.cluster_secret_labels("prod", [*CATALOG, *GITOPS_ADDONS])),
    }
    return always, possible


def test_every_annotation_and_label_platform_reads_is_on_the_cluster_secret():
    """platform/ templates with missingkey=error: a key Pulumi does not write stops every ApplicationSet, so a key
    only some clusters carry (add-on roles and labels, the database) must be read with `index`."""
    always, possible = _cluster_secret_keys()
    direct: dict[str, set[str]] = {"annotations": set(), "labels": set()}
    indexed: dict[str, set[str]] = {"annotations": set(), "labels": set()}
    selected = set()
    for path, doc in _platform_documents():
        if doc.get("kind") != "ApplicationSet":
            continue
        text = path.read_text()
        for kind, key in DIRECT_READ.findall(text):
            direct[kind].add(key)
        for kind, key in INDEX_READ.findall(text):
            indexed[kind].add(key)
        for generator in _cluster_generators(doc):
            selector = generator.get("selector") or {}
            selected |= set(selector.get("matchLabels") or {})
            selected |= {e["key"] for e in selector.get("matchExpressions") or []}
    assert direct["annotations"], "expected platform/ to template from the cluster Secret's annotations"
    for kind in ("annotations", "labels"):
        not_always = direct[kind] - always[kind]
        assert not not_always, f"read as .metadata.{kind}.<key> but not on every cluster (use index): {not_always}"
        unknown = (direct[kind] | indexed[kind]) - possible[kind]
        assert not unknown, f"{kind} Pulumi never writes: {sorted(unknown)}"
    assert indexed["annotations"] >= {"db_secret_arn", "db_endpoint"}, "the workloads read the database facts"
    assert selected <= possible["labels"], f"missing labels: {sorted(selected - possible['labels'])}"


# ---------------------------------------------------------------------------------------- what Argo CD generates


def go_templates(templates: dict[str, str], dot: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    """Each Go template executed with `dot`, as the ApplicationSet controller does per string field. Executed by
    Helm's engine (text/template + Sprig, like Argo CD) through `tpl`; Helm runs it with missingkey=zero, which is
    why the contract test above keeps keys that may be missing behind `index`."""
    from tests.platform_tree.render import render_chart

    chart = tmp_path / "gotemplate"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: gotemplate\nversion: 0.1.0\n")
    (chart / "templates" / "out.yaml").write_text(
        "{{- range $key, $text := .Values.templates }}\n{{ $key }}: {{ tpl $text $.Values.dot | toJson }}\n{{- end }}\n"
    )
    rendered = render_chart(chart, {"templates": templates, "dot": dot}, "gotemplate", "default")
    return yaml.safe_load(rendered["gotemplate/templates/out.yaml"])


def helm_parameter_values(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    """Argo CD's helm.parameters as Helm values: `--set` (or `--set-string` with forceString), commas escaped."""
    import helm_python

    values: dict[str, Any] = {}
    for parameter in parameters:
        escaped = parameter["value"].replace(",", "\\,")  # what Argo CD does before `--set`
        expression = f"{parameter['name']}={escaped}"
        parse = helm_python.parse_set_string_values if parameter.get("forceString") else helm_python.parse_set_string
        _deep_merge(values, parse(expression))
    return values


def _deep_merge(into: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value
    return into


def generate_workloads(facts: gitops.ClusterFacts, enabled_addons: list[str], tmp_path: Path) -> list[dict]:
    """The workloads ApplicationSet for a cluster Secret written from `facts`, then its chart rendered the way the
    generated Application asks (values file of the environment, then the parameters): the objects it deploys."""
    from tests.platform_tree.render import read_values, render_chart

    appset = yaml.safe_load((PLATFORM / "bootstrap" / "workloads.yaml").read_text())
    (source,) = [s for s in appset["spec"]["template"]["spec"]["sources"] if "helm" in s]
    helm = source["helm"]
    dot = {
        "name": gitops.IN_CLUSTER_NAME,
        "server": gitops.IN_CLUSTER_SERVER,
        "metadata": {
            "labels": gitops.cluster_secret_labels(facts.environment, enabled_addons),
            "annotations": gitops.cluster_secret_annotations(facts),
        },
    }
    templates = {f"p{i}": p["value"] for i, p in enumerate(helm["parameters"])}
    templates |= {f"f{i}": f for i, f in enumerate(helm["valueFiles"])}
    out = go_templates(templates, dot, tmp_path)
    parameters = [{**p, "value": out[f"p{i}"]} for i, p in enumerate(helm["parameters"])]
    (value_file,) = [out[f"f{i}"] for i in range(len(helm["valueFiles"]))]
    values = read_values(ROOT / value_file.removeprefix("$values/"))
    _deep_merge(values, helm_parameter_values(parameters))
    rendered = render_chart(
        ROOT / source["path"],
        values,
        helm["releaseName"],
        appset["spec"]["template"]["spec"]["destination"]["namespace"],
    )
    return [doc for text in rendered.values() for doc in yaml.safe_load_all(text) if doc]


def test_helm_parameters_become_values_as_argo_cd_passes_them():
    values = helm_parameter_values(
        [
            {"name": "a.enabled", "value": "true"},
            {"name": "a.key", "value": DB.secret_arn, "forceString": True},
            {"name": "a.list", "value": "x,y", "forceString": True},
        ]
    )
    assert values == {"a": {"enabled": True, "key": DB.secret_arn, "list": "x,y"}}


WITH_EXTERNAL_SECRETS = ["aws-load-balancer-controller", "external-secrets"]


def test_a_cluster_with_a_database_gets_the_apis_external_secret_from_the_annotations(tmp_path):
    objects = generate_workloads(replace(FACTS, database=DB), WITH_EXTERNAL_SECRETS, tmp_path)
    (es,) = [o for o in objects if o["kind"] == "ExternalSecret"]
    assert (es["metadata"]["namespace"], es["metadata"]["name"]) == ("api", "api-db")
    assert es["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "database-secrets"}
    assert {d["remoteRef"]["key"] for d in es["spec"]["data"]} == {DB.secret_arn}
    assert es["spec"]["target"]["template"]["data"]["host"] == DB.endpoint
    # The other facts still come from the annotations.
    (ingress,) = [o for o in objects if o["kind"] == "Ingress"]
    assert ingress["spec"]["rules"][0]["host"] == f"app.{FACTS.domain}"


@pytest.mark.parametrize(
    ("database", "enabled_addons"),
    [(None, WITH_EXTERNAL_SECRETS), (DB, ["aws-load-balancer-controller"])],
    ids=["no-database", "no-external-secrets"],
)
def test_a_cluster_without_a_database_or_external_secrets_still_generates_without_external_secret(
    tmp_path, database, enabled_addons
):
    objects = generate_workloads(replace(FACTS, database=database), enabled_addons, tmp_path)
    assert not [o for o in objects if o["kind"] == "ExternalSecret"]
    assert sorted(o["metadata"]["name"] for o in objects if o["kind"] == "Deployment") == ["api", "frontend"]


def test_gitops_addon_catalog_matches_the_addon_applicationsets():
    selected = set()
    for path, doc in _platform_documents():
        if doc.get("kind") == "ApplicationSet" and "addons" in path.parts:
            for generator in _cluster_generators(doc):
                selected |= {
                    k for k in (generator.get("selector") or {}).get("matchLabels") or {} if k.startswith("enable_")
                }
    assert selected == {gitops.enable_label(a) for a in GITOPS_ADDONS}


# ------------------------------------------------------------------------------------------ component under mocks


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    dependencies: list[str]
    urn: str


PLAINTEXT = "plaintext-"
TOKEN = "ghp_offlineTestToken123"


def run_component(build: Callable[[], Any]) -> tuple[list[Registered], dict[str, Any]]:
    """Run `build()` under Pulumi mocks and return what the engine received (secrets masked) and the exports."""
    from pulumi.runtime import mocks, settings

    from platformctl.engine import _stack_outputs, _struct_to_dict, plain, run_with_mocks

    registered: list[Registered] = []

    class Mocks(mocks.Mocks):
        def new_resource(self, args):
            outputs = dict(args.inputs)
            if args.typ == "random:index/randomPassword:RandomPassword":
                outputs.update(result=PLAINTEXT + args.name, bcryptHash="$2a$10$" + PLAINTEXT + args.name)
            return f"{args.name}-id", outputs

        def call(self, args):
            return {}

    class Monitor(mocks.MockMonitor):
        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            registered.append(
                Registered(
                    request.type,
                    request.name,
                    plain(_struct_to_dict(request.object)),
                    sorted(request.dependencies),
                    response.urn,
                )
            )
            return response

    monitor = Monitor(Mocks())
    outputs = run_with_mocks(
        build,
        monitor.mocks,
        project="eks-platform",
        stack="test",
        monitor=monitor,
        then=lambda _: _stack_outputs(settings.get_root_resource()),
    )
    return registered, outputs


def build_gitops(cfg: GitOpsConfig, *, production: bool = True, token: str | None = TOKEN, **extra: Any):
    def build():
        import pulumi
        import pulumi_kubernetes as k8s

        provider = k8s.Provider("k8s", kubeconfig="{}")
        component = gitops.GitOps(
            "prod-gitops",
            gitops.GitOpsArgs(
                environment="prod" if production else "dev",
                production=production,
                kubernetes_version="1.35",
                k8s_provider=provider,
                cluster_name="eks-platform-prod",
                account_id="123456789012",
                region="eu-west-1",
                vpc_id=pulumi.Output.from_input("vpc-0abc"),
                vpc_cidr="10.30.0.0/16",
                config=cfg,
                addon_role_arns=extra.get(
                    "addon_role_arns",
                    {"aws-load-balancer-controller": pulumi.Output.from_input("arn:aws:iam::123456789012:role/lbc")},
                ),
                enabled_addons=extra.get("enabled_addons", ["aws-load-balancer-controller"]),
                db_secret_arn=extra.get("db_secret_arn"),
                db_endpoint=extra.get("db_endpoint"),
                repo_token=pulumi.Output.secret(token) if token else None,
            ),
        )
        if component.admin_password is not None:
            pulumi.export("argocdAdminPassword", component.admin_password)

    return run_component(build)


def by_type(registered: list[Registered], type_token: str) -> list[Registered]:
    return [r for r in registered if r.type == type_token]


@pytest.fixture(scope="module")
def prod_component():
    return build_gitops(config(ha=None, addons=["argo-rollouts"]), db_secret_arn=DB.secret_arn, db_endpoint=DB.endpoint)


def cluster_secret_metadata(registered: list[Registered]) -> dict[str, Any]:
    (secret,) = [r for r in by_type(registered, "kubernetes:core/v1:Secret") if r.name.endswith("-cluster")]
    return secret.inputs["metadata"]


def test_component_declares_the_bootstrap(prod_component):
    registered, _ = prod_component
    (namespace,) = by_type(registered, "kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["name"] == "argocd"
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    (chart,) = by_type(registered, "kubernetes:helm.sh/v4:Chart")
    assert (chart.inputs["chart"], chart.inputs["version"]) == ("argo-cd", HELM_CHARTS["argo-cd"]["version"])
    assert chart.inputs["repositoryOpts"]["repo"] == HELM_CHARTS["argo-cd"]["repo"]
    assert chart.inputs["namespace"] == "argocd"
    assert chart.inputs["values"]["server"]["replicas"] == 2, "ha defaults to on in production"
    secrets = {r.inputs["metadata"]["name"]: r for r in by_type(registered, "kubernetes:core/v1:Secret")}
    assert set(secrets) == {"argocd-redis", "platform-repository", "in-cluster"}
    assert secrets["platform-repository"].inputs["metadata"]["labels"] == {
        "argocd.argoproj.io/secret-type": "repository"
    }
    cluster = secrets["in-cluster"].inputs["metadata"]
    assert cluster["labels"]["enable_argo_rollouts"] == "true"
    assert cluster["labels"]["enable_aws_load_balancer_controller"] == "true"
    assert cluster["annotations"]["aws_load_balancer_controller_iam_role_arn"].startswith("arn:aws:iam::")
    assert cluster["annotations"]["aws_vpc_id"] == "vpc-0abc"
    assert (cluster["annotations"]["db_secret_arn"], cluster["annotations"]["db_endpoint"]) == (
        DB.secret_arn,
        DB.endpoint,
    )
    (app,) = by_type(registered, "kubernetes:argoproj.io/v1alpha1:Application")
    assert app.inputs["spec"]["source"]["path"] == "platform"


def test_namespace_is_default_deny_with_only_what_argo_cd_needs(prod_component):
    from policies.rules.workloads import namespaces_without_default_deny

    registered, _ = prod_component
    objects = [
        r.inputs
        for r in registered
        if r.type in ("kubernetes:core/v1:Namespace", "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    ]
    assert namespaces_without_default_deny(objects) == []
    names = {o["metadata"]["name"] for o in objects if o["kind"] == "NetworkPolicy"}
    assert names == set(gitops.NETWORK_POLICIES)


def test_secrets_reach_the_engine_only_as_secrets(prod_component):
    registered, outputs = prod_component
    recorded = json.dumps([r.inputs for r in registered])
    assert PLAINTEXT not in recorded and TOKEN not in recorded and "$2a$" not in recorded
    secrets = {r.inputs["metadata"]["name"]: r for r in by_type(registered, "kubernetes:core/v1:Secret")}
    assert secrets["platform-repository"].inputs["stringData"] == "[secret]"
    assert secrets["argocd-redis"].inputs["stringData"] == "[secret]"
    (chart,) = by_type(registered, "kubernetes:helm.sh/v4:Chart")
    assert chart.inputs["values"]["configs"]["secret"]["argocdServerAdminPassword"] == "[secret]"
    assert outputs["argocdAdminPassword"] == "[secret]"


def test_dependencies_put_crds_and_secrets_before_the_root_application(prod_component):
    registered, _ = prod_component
    urn = {r.name: r.urn for r in registered}
    (chart,) = by_type(registered, "kubernetes:helm.sh/v4:Chart")
    (app,) = by_type(registered, "kubernetes:argoproj.io/v1alpha1:Application")
    assert {urn["prod-gitops-argocd"], urn["prod-gitops-cluster"], urn["prod-gitops-repository"]} <= set(
        app.dependencies
    )
    assert {urn["prod-gitops-namespace"], urn["prod-gitops-redis-secret"]} <= set(chart.dependencies)


def test_dev_without_token_or_ha_has_no_repository_secret_and_single_replicas():
    registered, _ = build_gitops(config(), production=False, token=None)
    names = {r.inputs["metadata"]["name"] for r in by_type(registered, "kubernetes:core/v1:Secret")}
    assert names == {"argocd-redis", "in-cluster"}
    assert not {"db_secret_arn", "db_endpoint"} & set(cluster_secret_metadata(registered)["annotations"])
    (chart,) = by_type(registered, "kubernetes:helm.sh/v4:Chart")
    values = chart.inputs["values"]
    assert values["server"]["replicas"] == 1 and values["redis"]["enabled"] and not values["redis-ha"]["enabled"]


def test_sso_means_no_admin_password_at_all():
    registered, outputs = build_gitops(config(sso=SSO))
    passwords = [r.name for r in by_type(registered, "random:index/randomPassword:RandomPassword")]
    assert passwords == ["prod-gitops-redis-password"]
    (chart,) = by_type(registered, "kubernetes:helm.sh/v4:Chart")
    assert "argocdServerAdminPassword" not in chart.inputs["values"]["configs"]["secret"]
    assert chart.inputs["values"]["configs"]["cm"]["admin.enabled"] is False
    assert "argocdAdminPassword" not in outputs


def test_an_addon_installed_by_pulumi_cannot_also_be_gitops_managed():
    with pytest.raises(ValueError, match="argo-rollouts"):
        build_gitops(config(), addon_role_arns={}, enabled_addons=["argo-rollouts"])


def test_the_database_secret_arn_and_endpoint_come_together():
    with pytest.raises(ValueError, match="both the database's secret ARN and its endpoint"):
        build_gitops(config(), db_secret_arn=DB.secret_arn)


# ------------------------------------------------------------------------------------------ the offline plan


def gitops_resources(plan) -> list:
    return [r for r in plan.resources if r.component == f"{plan.config.environment.name}-gitops"]


def one(resources, type_token: str):
    (found,) = [r for r in resources if r.type == type_token]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_plan_shows_argo_cd_the_root_application_and_the_cluster_secret(plans, stack):
    plan = plans[stack]
    cfg = plan.config
    resources = gitops_resources(plan)
    chart = one(resources, "kubernetes:helm.sh/v4:Chart")
    assert chart.requested["version"] == HELM_CHARTS["argo-cd"]["version"]
    assert chart.provider and "pulumi:providers:kubernetes" in chart.provider
    app = one(resources, "kubernetes:argoproj.io/v1alpha1:Application")
    assert app.inputs["spec"]["source"] == {
        "repoURL": cfg.gitops.repo_url,
        "targetRevision": cfg.gitops.revision,
        "path": cfg.gitops.path,
    }
    assert chart.urn in app.dependencies
    (cluster_secret,) = [
        r
        for r in resources
        if r.type == "kubernetes:core/v1:Secret"
        and r.inputs["metadata"]["labels"].get("argocd.argoproj.io/secret-type") == "cluster"
    ]
    meta = cluster_secret.inputs["metadata"]
    assert meta["labels"]["environment"] == stack
    assert {gitops.enable_label(a) for a in cfg.gitops.addons} <= set(meta["labels"])
    annotations = meta["annotations"]
    assert annotations["aws_account_id"].isdigit() and len(annotations["aws_account_id"]) == 12
    assert annotations["aws_region"] == cfg.region
    assert annotations["aws_cluster_name"] == f"eks-platform-{stack}"
    assert annotations["aws_vpc_id"].startswith("vpc-")
    assert annotations["aws_vpc_cidr"] == cfg.network.vpc_cidr
    assert (annotations["environment"], annotations["domain"]) == (stack, cfg.gitops.domain)
    assert annotations["workload_repo_revision"] == annotations["addons_repo_revision"] == cfg.gitops.revision
    # Add-ons with an IAM role (from components/addons/) hand it over; each one Pulumi installed is labelled.
    role_arns = {k: v for k, v in annotations.items() if k.endswith("_iam_role_arn")}
    assert all(re.fullmatch(r"arn:aws:iam::\d{12}:role/[\w+=,.@/-]+", arn) for arn in role_arns.values()), role_arns
    for key in role_arns:
        assert meta["labels"][f"enable_{key.removesuffix('_iam_role_arn')}"] == "true", key
    # The database's facts for the API's ExternalSecret: the Secret waits for the database to exist.
    assert annotations["db_secret_arn"] == plan.outputs["databaseSecretArn"]
    assert annotations["db_endpoint"] == plan.outputs["databaseEndpoint"]
    (database,) = [r for r in plan.resources if r.type == "aws:rds/instance:Instance"]
    assert database.urn in cluster_secret.dependencies
    assert meta["labels"]["enable_external_secrets"] == "true"
    namespace = one(resources, "kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] == (
        f"v{cfg.cluster.version}"
    )


def test_plan_runs_argo_cd_highly_available_in_prod_only(prod_plan, dev_plan):
    prod = one(gitops_resources(prod_plan), "kubernetes:helm.sh/v4:Chart").requested["values"]
    dev = one(gitops_resources(dev_plan), "kubernetes:helm.sh/v4:Chart").requested["values"]
    assert [prod[k]["replicas"] for k in ("server", "repoServer", "applicationSet")] == [2, 2, 2]
    assert [dev[k]["replicas"] for k in ("server", "repoServer", "applicationSet")] == [1, 1, 1]
    assert prod["redis-ha"]["enabled"] and not dev["redis-ha"]["enabled"]


def test_plan_json_holds_no_secret_in_plaintext(tmp_path, prod_plan):
    from platformctl.engine import run_plan

    document = json.dumps(prod_plan.document())
    assert '"argocdServerAdminPassword": "[secret]"' in document
    assert prod_plan.outputs["argocdAdminPassword"] == "[secret]"
    # With a repository token (the offline engine passes a marked placeholder for a secure config value).
    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    stack["config"]["platform:gitopsRepoToken"] = {"secure": "v1:AAAA"}
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(stack))
    plan = run_plan("dev", config_file=path, project_dir=ROOT)
    document = json.dumps(plan.document())
    assert "secret placeholder" not in document
    repository = [
        r
        for r in gitops_resources(plan)
        if r.type == "kubernetes:core/v1:Secret"
        and r.inputs["metadata"]["labels"].get("argocd.argoproj.io/secret-type") == "repository"
    ]
    assert len(repository) == 1 and repository[0].inputs["stringData"] == "[secret]"


def test_plan_without_a_database_has_no_database_annotations(tmp_path):
    from components.config import read_stack_file
    from platformctl.engine import run_plan

    values = read_stack_file(ROOT / "Pulumi.dev.yaml")
    del values["platform:data"]["database"]
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump({"config": values}))
    plan = run_plan("dev", config_file=path, project_dir=ROOT)
    assert "databaseSecretArn" not in plan.outputs
    (cluster_secret,) = [
        r
        for r in gitops_resources(plan)
        if r.type == "kubernetes:core/v1:Secret" and r.inputs["metadata"]["name"] == gitops.IN_CLUSTER_NAME
    ]
    annotations = cluster_secret.inputs["metadata"]["annotations"]
    assert not {"db_secret_arn", "db_endpoint"} & set(annotations)
    assert annotations["domain"] == plan.config.gitops.domain


def test_the_selector_semantics_used_below():
    from platformctl.envs import selects

    assert selects({"matchExpressions": [{"key": "environment", "operator": "Exists"}]}, {"environment": "qa"})
    assert not selects({"matchExpressions": [{"key": "environment", "operator": "Exists"}]}, {})
    assert not selects({"matchLabels": {"enable_x": "true"}}, {"environment": "qa"})
    assert not selects(
        {"matchExpressions": [{"key": "environment", "operator": "In", "values": ["dev", "prod"]}]},
        {"environment": "staging"},
    )


def _cluster_secret_labels(plan) -> dict[str, str]:
    (secret,) = [
        r
        for r in gitops_resources(plan)
        if r.type == "kubernetes:core/v1:Secret"
        and r.inputs["metadata"]["labels"].get("argocd.argoproj.io/secret-type") == "cluster"
    ]
    return secret.inputs["metadata"]["labels"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_application_set_that_selects_dev_selects_every_environment(plans, stack):
    """A new environment's cluster gets teams and workloads like dev: each ApplicationSet selecting dev's cluster
    Secret selects this stack's too (an add-on's ApplicationSet only where that add-on is enabled)."""
    from platformctl.envs import selects

    labels, dev_labels = _cluster_secret_labels(plans[stack]), _cluster_secret_labels(plans["dev"])
    checked = 0
    for path, doc in _platform_documents():
        for generator in _cluster_generators(doc):
            selector = generator.get("selector") or {}
            if not selects(selector, dev_labels):
                continue
            gated = {k: v for k, v in (selector.get("matchLabels") or {}).items() if k.startswith("enable_")}
            if all(labels.get(k) == v for k, v in gated.items()):
                assert selects(selector, labels), f"{path.name} does not select the {stack} cluster"
                checked += 1
    assert checked >= 2  # teams and workloads at least
    for chart in ("teams", "workloads"):
        assert (PLATFORM / chart / f"values-{stack}.yaml").is_file(), f"platform/{chart}/values-{stack}.yaml"
