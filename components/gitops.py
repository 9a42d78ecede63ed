"""GitOps bootstrap: Argo CD, the root "app of apps" Application and the GitOps Bridge cluster Secret.

Pulumi owns what must exist before Argo CD can sync anything: the `argocd` namespace (Pod Security labels,
default-deny NetworkPolicies), Argo CD itself (official Helm chart, pinned in `components/versions.py`), its
secrets (admin password hash, Redis password, repository credentials), the cluster Secret that hands the
infrastructure facts to `platform/`, and the root Application. Everything under `platform/` (ApplicationSets,
team namespaces and quotas, the reference application) is Argo CD's: Pulumi never creates those objects.

The logic (chart values, labels, annotations, manifests) is in pure functions, unit-tested; the component only
wires them to resources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml

from components.charts import chart_source
from components.config.gitops import GITOPS_ADDONS, GitOpsConfig, Sso, is_ssh_url
from components.versions import HELM_CHARTS

NAMESPACE = "argocd"
# The chart's resource names derive from the release name (argocd-server, argocd-repo-server, ...).
RELEASE_NAME = "argocd"
# Argo CD reads its Redis password from this Secret (key `auth`); redis-ha reads it as its existingSecret.
REDIS_SECRET = "argocd-redis"
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
# The Argo CD cluster name of the in-cluster destination. Kept as Argo CD's default so that Applications written
# with `destination.name: in-cluster` keep working; the EKS cluster's name travels as `aws_cluster_name`.
IN_CLUSTER_NAME = "in-cluster"
ROOT_APPLICATION = "platform"
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
# Argo CD invalidates sessions issued before this time. Pinned (the chart would otherwise render `now`, and every
# `pulumi up` would rewrite argocd-secret); move it forward when you rotate the admin password.
ADMIN_PASSWORD_MTIME = "2025-01-01T00:00:00Z"

# Pod Security for the argocd namespace. Enforce `baseline`, audit and warn `restricted`: Argo CD's own containers
# ship restricted-compliant security contexts, but the redis-ha subchart (prod) could not be rendered and checked
# here, and a pod rejected at admission would leave the whole platform unsynced. `warn` makes every apply print
# what `restricted` would reject, and `audit` records it; move enforce to restricted once those are empty.
PSS_ENFORCE = "baseline"
PSS_AUDIT_WARN = "restricted"

# Resource requests and the memory limit per Argo CD component (chart values key). CPU is not limited: a throttled
# controller slows every sync; memory is, so that a leak restarts the pod instead of starving the node.
COMPONENT_RESOURCES: dict[str, tuple[str, str, str]] = {
    "controller": ("250m", "512Mi", "2Gi"),
    "server": ("100m", "128Mi", "512Mi"),
    "repoServer": ("100m", "256Mi", "1Gi"),
    "applicationSet": ("50m", "128Mi", "512Mi"),
    "redis": ("50m", "64Mi", "256Mi"),
}
# The redis-ha subchart's containers (prod), its init containers (`init` of the Redis StatefulSet, `haproxy.init`)
# and the split-brain watchdog sidecar (`splitBrainDetection`): the chart leaves all three without resources.
REDIS_HA_RESOURCES: dict[str, tuple[str, str, str]] = {
    "redis": ("100m", "256Mi", "1Gi"),
    "sentinel": ("25m", "64Mi", "128Mi"),
    "haproxy": ("50m", "64Mi", "256Mi"),
    "init": ("10m", "32Mi", "64Mi"),
    "splitBrainDetection": ("10m", "32Mi", "64Mi"),
}
# Redis and HAProxy images. argo-cd 9.5.x points them at `ecr-public.aws.com/docker/library/...`, ECR Public's
# dual-stack endpoint (argo-helm #3328); the same images are served at public.ecr.aws, the name the stacks' image
# allow-list (policies/config/*.json, image-pinned) trusts for ECR Public. Tags stay the chart's.
REDIS_IMAGE = "public.ecr.aws/docker/library/redis"
HAPROXY_IMAGE = "public.ecr.aws/docker/library/haproxy"
# Replicas in HA (prod). The application controller stays at one: it shards by destination cluster and this
# Argo CD manages only its own cluster, so a second replica would idle; Kubernetes restarts the StatefulSet pod.
HA_REPLICAS = {"controller": 1, "server": 2, "repoServer": 2, "applicationSet": 2}

# The application database (only when the stack has one): the RDS-managed master secret's ARN, whose name ends in a
# random suffix chosen by RDS, and the endpoint host. platform/bootstrap/workloads.yaml turns them into the API's
# ExternalSecret; it reads them with `index`, so that a cluster Secret without them still generates.
DB_SECRET_ARN_ANNOTATION = "db_secret_arn"
DB_ENDPOINT_ANNOTATION = "db_endpoint"

_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


# ------------------------------------------------------------------------------------------------ pure logic


def snake(name: str) -> str:
    """`aws-load-balancer-controller` -> `aws_load_balancer_controller` (GitOps Bridge label/annotation style)."""
    out = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()
    if not out:
        raise ValueError(f"{name!r} has no letters or digits")
    return out


def _key(name: str) -> str:
    if not _LABEL_NAME.match(name):
        raise ValueError(f"{name!r} is not a valid label/annotation key name (at most 63 characters of [-A-Za-z0-9_.])")
    return name


def enable_label(addon: str) -> str:
    return _key(f"enable_{snake(addon)}")


def role_arn_annotation(addon: str) -> str:
    return _key(f"{snake(addon)}_iam_role_arn")


def namespace_labels(kubernetes_version: str) -> dict[str, str]:
    """Pod Security labels pinned to the cluster's minor version (a cluster upgrade does not change what passes)."""
    version = f"v{kubernetes_version}"
    return {
        "pod-security.kubernetes.io/enforce": PSS_ENFORCE,
        "pod-security.kubernetes.io/enforce-version": version,
        "pod-security.kubernetes.io/audit": PSS_AUDIT_WARN,
        "pod-security.kubernetes.io/audit-version": version,
        "pod-security.kubernetes.io/warn": PSS_AUDIT_WARN,
        "pod-security.kubernetes.io/warn-version": version,
    }


def _resources(spec: tuple[str, str, str]) -> dict[str, Any]:
    cpu, memory, memory_limit = spec
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit}}


def oidc_config(sso: Sso) -> str:
    """argocd-cm `oidc.config`: authorization code flow with PKCE, so no client secret is needed."""
    return yaml.safe_dump(
        {
            "name": sso.name,
            "issuer": sso.issuer,
            "clientID": sso.client_id,
            "enablePKCEAuthentication": True,
            "requestedScopes": ["openid", "profile", "email", "groups"],
        },
        sort_keys=False,
    )


def rbac_policy(sso: Sso | None) -> str:
    """argocd-rbac-cm `policy.csv`: SSO groups to built-in roles (without SSO only the local admin exists)."""
    if sso is None:
        return ""
    lines = [f"g, {group}, role:admin" for group in sso.admin_groups]
    lines += [f"g, {group}, role:readonly" for group in sso.read_only_groups]
    return "\n".join(lines) + "\n"


def argocd_values(*, environment: str, domain: str, ha: bool, sso: Sso | None) -> dict[str, Any]:
    """Helm values for the argo-cd chart (without the admin password hash, added by the component)."""
    replicas = HA_REPLICAS if ha else dict.fromkeys(HA_REPLICAS, 1)

    def component(key: str) -> dict[str, Any]:
        values: dict[str, Any] = {"replicas": replicas[key], "resources": _resources(COMPONENT_RESOURCES[key])}
        if ha and replicas[key] > 1:
            values["pdb"] = {"enabled": True, "minAvailable": 1}
        return values

    global_values: dict[str, Any] = {
        "domain": f"argocd.{domain}",
        "logging": {"format": "json"},
        "podLabels": {"environment": environment},
    }
    if ha:
        # Replicas of each component in different zones when the nodes allow it.
        global_values["topologySpreadConstraints"] = [
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}
        ]
    cm: dict[str, Any] = {
        # With SSO, people sign in with their identity provider; the shared local admin is switched off.
        "admin.enabled": sso is None,
        "exec.enabled": False,
        "users.anonymous.enabled": False,
        "statusbadge.enabled": False,
    }
    if sso is not None:
        cm["oidc.config"] = oidc_config(sso)
    return {
        "global": global_values,
        "crds": {"install": True, "keep": True},
        "configs": {
            "cm": cm,
            "rbac": {"policy.default": "", "policy.csv": rbac_policy(sso), "scopes": "[groups]"},
            "secret": {"createSecret": True, "argocdServerAdminPasswordMtime": ADMIN_PASSWORD_MTIME},
        },
        # Chart v4 does not run Helm hooks: the Job that would generate the Redis password is replaced by the
        # Secret the component creates from a RandomPassword (a Pulumi secret) before the chart.
        "redisSecretInit": {"enabled": False},
        # OIDC goes straight to the identity provider; no Dex. Notifications are not configured by the platform.
        "dex": {"enabled": False},
        "notifications": {"enabled": False},
        "controller": component("controller"),
        "server": component("server"),
        "repoServer": component("repoServer"),
        "applicationSet": component("applicationSet"),
        "redis": {
            "enabled": not ha,
            "image": {"repository": REDIS_IMAGE},
            "resources": _resources(COMPONENT_RESOURCES["redis"]),
        },
        "redis-ha": {
            "enabled": ha,
            "auth": True,
            "existingSecret": REDIS_SECRET,
            "image": {"repository": REDIS_IMAGE},
            "redis": {"resources": _resources(REDIS_HA_RESOURCES["redis"])},
            "sentinel": {"resources": _resources(REDIS_HA_RESOURCES["sentinel"])},
            "init": {"resources": _resources(REDIS_HA_RESOURCES["init"])},
            "splitBrainDetection": {"resources": _resources(REDIS_HA_RESOURCES["splitBrainDetection"])},
            "haproxy": {
                "image": {"repository": HAPROXY_IMAGE},
                "resources": _resources(REDIS_HA_RESOURCES["haproxy"]),
                "init": {"resources": _resources(REDIS_HA_RESOURCES["init"])},
            },
        },
    }


def repository_secret_data(repo_url: str, username: str, token: str) -> dict[str, str]:
    """stringData of the Argo CD repository Secret: a token over https, or a private key over ssh."""
    data = {"type": "git", "url": repo_url}
    if is_ssh_url(repo_url):
        data["sshPrivateKey"] = token
    else:
        data.update(username=username, password=token)
    return data


@dataclass(frozen=True)
class DatabaseFacts:
    """The application database, resolved: what the API's ExternalSecret needs."""

    secret_arn: str  # Database.master_secret_arn
    endpoint: str  # Database.endpoint (host name)


@dataclass(frozen=True)
class ClusterFacts:
    """What `platform/` needs to know about the cluster, resolved (plain strings)."""

    environment: str
    account_id: str
    region: str
    cluster_name: str
    vpc_id: str
    vpc_cidr: str
    domain: str
    repo_url: str
    revision: str
    addon_role_arns: Mapping[str, str] = field(default_factory=dict)
    database: DatabaseFacts | None = None  # None: the stack has no database, and the Secret no db_* annotation


def cluster_secret_labels(environment: str, enabled_addons: Sequence[str]) -> dict[str, str]:
    """GitOps Bridge labels: the Secret type, the environment (ApplicationSet selector) and `enable_<addon>`."""
    labels = {"argocd.argoproj.io/secret-type": "cluster", "environment": environment}
    for addon in sorted(set(enabled_addons)):
        labels[enable_label(addon)] = "true"
    return labels


def cluster_secret_annotations(facts: ClusterFacts) -> dict[str, str]:
    """GitOps Bridge annotations: the infrastructure facts ApplicationSets template from (`missingkey=error`).

    The role ARNs (one per add-on with a role) and `db_secret_arn`/`db_endpoint` (only with a database) are not on
    every cluster: platform/ may read those only with `index`, which yields "" for a missing key instead of an error.
    A fact that is there has a value: never an empty annotation.
    """
    annotations = {
        "aws_account_id": facts.account_id,
        "aws_region": facts.region,
        "aws_cluster_name": facts.cluster_name,
        "aws_vpc_id": facts.vpc_id,
        "aws_vpc_cidr": facts.vpc_cidr,
        "environment": facts.environment,
        "domain": facts.domain,
        # The add-on ApplicationSets and the team/workload ApplicationSets read the same repository and revision
        # as the root Application, so one environment never mixes revisions.
        "addons_repo_url": facts.repo_url,
        "addons_repo_revision": facts.revision,
        "workload_repo_url": facts.repo_url,
        "workload_repo_revision": facts.revision,
    }
    for addon, arn in sorted(facts.addon_role_arns.items()):
        annotations[role_arn_annotation(addon)] = arn
    if facts.database is not None:
        annotations[DB_SECRET_ARN_ANNOTATION] = facts.database.secret_arn
        annotations[DB_ENDPOINT_ANNOTATION] = facts.database.endpoint
    missing = sorted(k for k, v in annotations.items() if not isinstance(v, str) or not v)
    if missing:
        raise ValueError(f"cluster Secret annotations without a value: {', '.join(missing)}")
    return annotations


def cluster_secret_string_data() -> dict[str, str]:
    """The in-cluster destination: Argo CD's own service account credentials, TLS verified."""
    return {
        "name": IN_CLUSTER_NAME,
        "server": IN_CLUSTER_SERVER,
        "config": json.dumps({"tlsClientConfig": {"insecure": False}}, separators=(",", ":")),
    }


def root_application(*, environment: str, repo_url: str, revision: str, path: str) -> dict[str, Any]:
    """The app of apps: `path` (its kustomization.yaml lists the bootstrap ApplicationSets) at this env's revision."""
    return {
        "metadata": {
            "name": ROOT_APPLICATION,
            "namespace": NAMESPACE,
            "labels": {"app.kubernetes.io/part-of": "platform", "environment": environment},
            # Deleting the root (pulumi destroy) deletes what it deployed before Argo CD itself goes.
            "finalizers": [RESOURCES_FINALIZER],
        },
        "spec": {
            "project": "default",
            # No `directory`/`helm` source options: Argo CD must detect the Kustomization in `path`.
            "source": {"repoURL": repo_url, "targetRevision": revision, "path": path},
            "destination": {"server": IN_CLUSTER_SERVER, "namespace": NAMESPACE},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}},
            },
        },
    }


# NetworkPolicies of the argocd namespace: deny by default, then only what Argo CD needs.
_DNS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
NETWORK_POLICIES: dict[str, dict[str, Any]] = {
    "default-deny-all": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    "allow-dns-egress": {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{"to": [_DNS_PEER], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}],
    },
    # Argo CD's components talk to each other (server/controller -> repo-server, everyone -> Redis, Redis HA).
    "allow-within-namespace": {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"podSelector": {}}]}],
        "egress": [{"to": [{"podSelector": {}}]}],
    },
    # The Kubernetes API (EKS endpoint ENIs), Git over HTTPS or SSH, Helm/OCI registries, the OIDC issuer.
    "allow-https-ssh-egress": {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 22}]}],
    },
}


# ------------------------------------------------------------------------------------------------ component


@dataclass(frozen=True)
class GitOpsArgs:
    environment: str
    production: bool
    kubernetes_version: str  # "1.35": pins the namespace's Pod Security version
    k8s_provider: k8s.Provider
    cluster_name: pulumi.Input[str]
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    config: GitOpsConfig
    # Add-on name (e.g. aws-load-balancer-controller) -> its IAM role ARN; and the add-ons Pulumi installed.
    addon_role_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    enabled_addons: Sequence[str] = ()
    # The application database (Database.master_secret_arn and .endpoint), both or neither: the cluster Secret's
    # db_secret_arn and db_endpoint annotations, from which Argo CD configures the API's ExternalSecret.
    db_secret_arn: pulumi.Input[str] | None = None
    db_endpoint: pulumi.Input[str] | None = None
    # platform:gitopsRepoToken (a secret Output), or None for a public repository.
    repo_token: pulumi.Input[str] | None = None
    # What must exist before Argo CD's pods can run (the node group that schedules them; a fleet hub's Pod Identity
    # associations, components/fleet.py).
    depends_on: Sequence[pulumi.Resource] = ()
    # Labels added to the in-cluster Secret (a fleet hub's `fleet` and `fleet_role`).
    extra_labels: Mapping[str, str] = field(default_factory=dict)


def bridge_metadata(args: GitOpsArgs) -> tuple[dict[str, str], pulumi.Output[dict[str, str]]]:
    """The GitOps Bridge labels and annotations of the cluster `args` describes: what the in-cluster Secret carries,
    and what a fleet spoke hands its hub (components/fleet.py). Raises ValueError on arguments that cannot work."""
    cfg = args.config
    if not cfg.enabled or cfg.domain is None:
        raise ValueError("GitOps needs platform:gitops.enabled and platform:gitops.domain")
    # `enable_<addon>` is also what selects an add-on ApplicationSet in platform/bootstrap/addons/: an add-on
    # Pulumi installs must not also be one Argo CD installs, or the cluster would get two copies.
    both = sorted(set(args.enabled_addons) & set(GITOPS_ADDONS))
    if both:
        raise ValueError(
            f"add-on(s) {', '.join(both)} are installed by Pulumi (platform:addons) and also GitOps-managed "
            "(platform/bootstrap/addons/, platform:gitops.addons): enable each in one place only"
        )
    if (args.db_secret_arn is None) != (args.db_endpoint is None):
        raise ValueError("GitOps needs both the database's secret ARN and its endpoint, or neither")
    env = args.environment
    facts = pulumi.Output.all(
        account_id=args.account_id,
        region=args.region,
        cluster_name=args.cluster_name,
        vpc_id=args.vpc_id,
        role_arns=pulumi.Output.all(**dict(args.addon_role_arns)) if args.addon_role_arns else {},
        database=(
            pulumi.Output.all(secret_arn=args.db_secret_arn, endpoint=args.db_endpoint)
            if args.db_secret_arn is not None
            else None
        ),
    )
    annotations = facts.apply(
        lambda f: cluster_secret_annotations(
            ClusterFacts(
                environment=env,
                account_id=f["account_id"],
                region=f["region"],
                cluster_name=f["cluster_name"],
                vpc_id=f["vpc_id"],
                vpc_cidr=args.vpc_cidr,
                domain=cfg.domain,
                repo_url=cfg.repo_url,
                revision=cfg.revision,
                addon_role_arns=dict(f["role_arns"] or {}),
                database=DatabaseFacts(**f["database"]) if f["database"] is not None else None,
            )
        )
    )
    return cluster_secret_labels(env, [*args.enabled_addons, *cfg.addons]), annotations


class GitOps(pulumi.ComponentResource):
    """Argo CD bootstrapped to sync `platform/` of this repository at the environment's revision."""

    admin_password: pulumi.Output[str] | None
    root_application: k8s.apiextensions.CustomResource
    cluster_secret: k8s.core.v1.Secret

    def __init__(self, name: str, args: GitOpsArgs, opts: pulumi.ResourceOptions | None = None):
        cfg = args.config
        # The GitOps Bridge metadata first: it checks the arguments before anything is declared.
        secret_labels, annotations = bridge_metadata(args)
        super().__init__("eks-platform:gitops:GitOps", name, None, opts)
        env = args.environment
        ha = cfg.high_availability(args.production)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": NAMESPACE,
                "labels": {
                    **namespace_labels(args.kubernetes_version),
                    "app.kubernetes.io/managed-by": "pulumi",
                    "environment": env,
                },
            },
            opts=on_cluster,
        )
        in_namespace = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[namespace]))
        network_policies = [
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy}",
                metadata={"name": policy, "namespace": NAMESPACE},
                spec=spec,
                opts=in_namespace,
            )
            for policy, spec in NETWORK_POLICIES.items()
        ]

        redis_password = random.RandomPassword(
            f"{name}-redis-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        redis_secret = k8s.core.v1.Secret(
            f"{name}-redis-secret",
            metadata={"name": REDIS_SECRET, "namespace": NAMESPACE, "labels": {"app.kubernetes.io/part-of": "argocd"}},
            type="Opaque",
            string_data=pulumi.Output.secret(redis_password.result.apply(lambda p: {"auth": p})),
            opts=in_namespace,
        )

        values: dict[str, Any] = argocd_values(environment=env, domain=cfg.domain, ha=ha, sso=cfg.sso)
        self.admin_password = None
        if cfg.sso is None:
            # Only the bcrypt hash reaches the cluster (and the plan, as a secret); the password itself is a
            # secret stack output: `pulumi stack output argocdAdminPassword --show-secrets`.
            admin = random.RandomPassword(
                f"{name}-admin-password", length=24, special=False, opts=pulumi.ResourceOptions(parent=self)
            )
            values["configs"]["secret"]["argocdServerAdminPassword"] = pulumi.Output.secret(admin.bcrypt_hash)
            self.admin_password = pulumi.Output.secret(admin.result)

        repo_secrets = []
        if args.repo_token is not None:
            repo_secrets.append(
                k8s.core.v1.Secret(
                    f"{name}-repository",
                    metadata={
                        "name": "platform-repository",
                        "namespace": NAMESPACE,
                        "labels": {"argocd.argoproj.io/secret-type": "repository"},
                    },
                    type="Opaque",
                    string_data=pulumi.Output.secret(
                        pulumi.Output.from_input(args.repo_token).apply(
                            lambda token: repository_secret_data(cfg.repo_url, cfg.repo_username, token)
                        )
                    ),
                    opts=in_namespace,
                )
            )

        chart_ref = HELM_CHARTS["argo-cd"]
        # helm.v4.Chart rather than helm.v3.Release: every Argo CD object is a Pulumi resource (previews show it,
        # CrossGuard checks its pods). The chart's only hook (redis-secret-init) is replaced above.
        self.chart = k8s.helm.v4.Chart(
            f"{name}-argocd",
            name=RELEASE_NAME,
            namespace=NAMESPACE,
            # The verified archive from the chart cache (what the offline plan rendered), else the repository.
            **chart_source("argo-cd"),
            values=values,
            opts=pulumi.ResourceOptions.merge(
                on_cluster,
                pulumi.ResourceOptions(
                    depends_on=[namespace, redis_secret, *network_policies, *args.depends_on],
                ),
            ),
        )

        self.cluster_secret = k8s.core.v1.Secret(
            f"{name}-cluster",
            metadata={
                "name": IN_CLUSTER_NAME,
                "namespace": NAMESPACE,
                "labels": {**secret_labels, **args.extra_labels},
                "annotations": annotations,
            },
            type="Opaque",
            string_data=cluster_secret_string_data(),
            opts=in_namespace,
        )

        self.root_application = k8s.apiextensions.CustomResource(
            f"{name}-root",
            api_version="argoproj.io/v1alpha1",
            kind="Application",
            **root_application(environment=env, repo_url=cfg.repo_url, revision=cfg.revision, path=cfg.path),
            # The Application CRD comes with the chart; the cluster and repository Secrets must be there before
            # the first sync, or the ApplicationSets generate nothing and a private repository is unreadable.
            opts=pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=[self.chart, self.cluster_secret, *repo_secrets])
            ),
        )

        self.namespace = NAMESPACE
        self.register_outputs(
            {
                "namespace": NAMESPACE,
                "chartVersion": chart_ref["version"],
                "rootApplication": ROOT_APPLICATION,
                "highAvailability": ha,
            }
        )
