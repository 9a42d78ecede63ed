"""Every version this platform pins, in one visible place.

Bump a version here (and only here) in its own commit; `make test` and `platformctl plan` pick it up.
Kubernetes versions are the ones Amazon EKS supports (standard or extended support) for new clusters.

Where each version was confirmed is written next to it ("confirmed: ..."; checked 2026-12 from public sources: the
projects' git tags and chart repository indexes as mirrored in 2026-08, release pages and public code found by
search). `platformctl versions check [STACK]` checks every pin against the live sources (EKS, the chart
repositories, RDS, SSM, the registries) where credentials allow.
"""

from __future__ import annotations

# Kubernetes minor versions EKS supports for new clusters. The first entries are in extended support
# (paid); the config accepts them but the default and the stacks use a standard-support version.
KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35", "1.36")
DEFAULT_KUBERNETES_VERSION = "1.35"

# Helm charts Pulumi installs: key -> {"repo", "chart", "version", "digest"}: an exact chart version (never a range)
# and the sha256 of its archive. `platformctl charts pull` fetches each into the verified chart cache and refuses an
# archive with another digest; `platformctl charts lock` rewrites the digests after a version bump.
# Where each digest was confirmed: the `digest` field of the version's entry in the repository's published
# index.yaml (gh-pages of argoproj/argo-helm, aws/eks-charts, kubernetes-sigs/external-dns and metrics-server,
# external-secrets/external-secrets, vmware-tanzu/helm-charts, kubernetes/autoscaler; kedacore/charts docs/), read
# 2026-12-01. Three are empty because no public source reachable here publishes them: cert-manager
# (charts.jetstack.io is not on GitHub), kube-prometheus-stack (its index.yaml exceeds what could be read) and
# karpenter (OCI only, no index). Fill them with `platformctl charts lock cert-manager kube-prometheus-stack
# karpenter` where the network allows; until then `charts pull` refuses those three ("no digest pinned").
HELM_CHARTS: dict[str, dict[str, str]] = {
    # Argo CD v3.4 (argo-cd chart 9.5.x). Upgrade notes: https://argo-cd.readthedocs.io/en/stable/operator-manual/upgrading/
    # confirmed: argoproj/argo-helm tag argo-cd-9.5.14.
    "argo-cd": {
        "repo": "https://argoproj.github.io/argo-helm",
        "chart": "argo-cd",
        "version": "9.5.14",
        "digest": "sha256:dc3c2ce89c9cb42b289de80f5295d16d5e7f97f296333b71eb5dcfa25877d5fd",
    },
    # Add-ons (components/addons/), each from its project's official chart repository.
    # aws-load-balancer-controller 1.17.1 = controller v2.17.1: its IAM policy (components/addons/iam.py)
    # follows that release's docs/install/iam_policy.json; re-check it when bumping. Not 1.17.0: its crds/ holds
    # globalaccelerators.aga.k8s.aws twice (aga-crds.yaml and crds.yaml), which Helm tolerates but Chart v4 registers
    # as two resources with one URN, failing the preview (found by the offline chart expansion).
    "aws-load-balancer-controller": {
        "repo": "https://aws.github.io/eks-charts",
        "chart": "aws-load-balancer-controller",
        "version": "1.17.1",
        "digest": "sha256:51ed62aa261a1f5db8e51161641354cbcc5bbdc5a56f628bf0983f5588dec7c0",
    },
    # confirmed: kubernetes-sigs/external-dns tag external-dns-helm-chart-1.20.0 (app v0.20.0).
    "external-dns": {
        "repo": "https://kubernetes-sigs.github.io/external-dns/",
        "chart": "external-dns",
        "version": "1.20.0",
        "digest": "sha256:340713da75324b2f527c0829ec92347d567a96dd3342fdbbb174d8856ab56d75",
    },
    # confirmed: kubernetes-sigs/metrics-server tag metrics-server-helm-chart-3.13.0.
    "metrics-server": {
        "repo": "https://kubernetes-sigs.github.io/metrics-server/",
        "chart": "metrics-server",
        "version": "3.13.0",
        "digest": "sha256:fb929902e3b7565663cdd1734f31d63735c932be1541a7228b5aeef6d2348a1f",
    },
    # 0.2.0 = AWS for Fluent Bit 3.2.1 on Fluent Bit 4.2, which reads EKS Pod Identity credentials (0.1.35's Fluent
    # Bit 1.9 image did not). Confirmed: aws/eks-charts gh-pages index.yaml lists aws-for-fluent-bit-0.2.0.tgz
    # (created 2026-08-03) with this digest, stable/aws-for-fluent-bit/Chart.yaml at commit 2942cdc.
    "aws-for-fluent-bit": {
        "repo": "https://aws.github.io/eks-charts",
        "chart": "aws-for-fluent-bit",
        "version": "0.2.0",
        "digest": "sha256:666c244b9cfca211be57cf97d9e224157f581d41f413eb89744575fbc9b8980c",
    },
    # confirmed: cert-manager/cert-manager tag v1.20.2. external-secrets: tag helm-chart-1.1.0 (app v1.1.0).
    "cert-manager": {
        "repo": "https://charts.jetstack.io",
        "chart": "cert-manager",
        "version": "v1.20.2",
        "digest": "",
    },
    "external-secrets": {
        "repo": "https://charts.external-secrets.io",
        "chart": "external-secrets",
        "version": "1.1.0",
        "digest": "sha256:c34c2516d1025e0e3f17c29edbac107b119c6c321f8eabec670658789c9598b5",
    },
    # confirmed: prometheus-community/helm-charts tag kube-prometheus-stack-85.3.3.
    "kube-prometheus-stack": {
        "repo": "https://prometheus-community.github.io/helm-charts",
        "chart": "kube-prometheus-stack",
        "version": "85.3.3",
        "digest": "",
    },
    # 2.41.0 (in the index this digest comes from). 2.41.1 does exist, newer than that index: the argo-helm release
    # page argo-rollouts-2.41.1 (2026-07-19, commit ee473c1, Argo Rollouts v1.9.1); bump with `charts lock` where the
    # network allows. KEDA: kedacore/charts tag v2.19.0. Velero: vmware-tanzu/helm-charts tag velero-11.4.0 (1.17.1).
    "argo-rollouts": {
        "repo": "https://argoproj.github.io/argo-helm",
        "chart": "argo-rollouts",
        "version": "2.41.0",
        "digest": "sha256:ff53d617efb369cd07acc595309e7fa73a602576375e0a52a78dab1e2d970df5",
    },
    "keda": {
        "repo": "https://kedacore.github.io/charts",
        "chart": "keda",
        "version": "2.19.0",
        "digest": "sha256:6ee0edbb604577aaa2db07a4eecd836c69e1b1266f2db88a55010870faaad34b",
    },
    "velero": {
        "repo": "https://vmware-tanzu.github.io/helm-charts",
        "chart": "velero",
        "version": "11.4.0",
        "digest": "sha256:b15aca7e21bfc6bba68a37eb4026582d920c379ea1f376163c4319823cc3784a",
    },
    # confirmed: kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0 (app 1.35.0).
    "cluster-autoscaler": {
        "repo": "https://kubernetes.github.io/autoscaler",
        "chart": "cluster-autoscaler",
        "version": "9.59.0",
        "digest": "sha256:90276dafe65cf5d4328ef8313baf6cfb9d130683e0c9f3c28a03b4d8a9ed8f6e",
    },
    # NVIDIA device plugin v0.20.0 (image nvcr.io/nvidia/k8s-device-plugin:v0.20.0, the chart's appVersion) and the
    # DCGM exporter chart 4.8.2 (image nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless). confirmed: tags
    # v0.20.0 of NVIDIA/k8s-device-plugin and 4.5.3-4.8.2 of NVIDIA/dcgm-exporter (values read there); digests from
    # the published index.yaml on each repository's gh-pages branch (k8s-device-plugin: 2026-08-20, the chart under
    # /stable/; dcgm-exporter: helm-charts/index.yaml, 2026-05-05).
    "nvidia-device-plugin": {
        "repo": "https://nvidia.github.io/k8s-device-plugin",
        "chart": "nvidia-device-plugin",
        "version": "0.20.0",
        "digest": "sha256:9e5642bcdd3805c6e931f9d3ca542677d1f714d68c14c1364892011e67d9a606",
    },
    "dcgm-exporter": {
        "repo": "https://nvidia.github.io/dcgm-exporter/helm-charts",
        "chart": "dcgm-exporter",
        "version": "4.8.2",
        "digest": "sha256:1c5535c03ebab3f021444df6016fce1cd7871385122e115c6ed24c804b623803",
    },
    # Karpenter v1.14.1, the newest release in aws/karpenter-provider-aws (tag v1.14.1, 2026-08-20; no 1.15 exists
    # there); check https://karpenter.sh/docs/upgrading/compatibility/ before
    # a Kubernetes upgrade. An OCI chart (`repo` is the registry path); its CRDs are rendered and managed by Pulumi.
    # 1.15.0 was released after that snapshot: https://karpenter.sh/v1.15/upgrading/ ("v1.15 (latest)", "chore:
    # Release v1.15.0 (#9719) (6d1426c)", 2026-10-10); bump to it with a verified digest where the network allows,
    # and compare its reference IAM template (components/karpenter_iam.py follows v1.14.1's) when doing so.
    "karpenter": {
        "repo": "oci://public.ecr.aws/karpenter",
        "chart": "karpenter",
        "version": "1.14.1",
        "digest": "",
    },
}

# EKS managed add-on versions per Kubernetes minor (`aws eks describe-addon-versions --kubernetes-version X
# --addon-name Y`). Upgrading the cluster's minor picks up that row; bump a row in its own commit.
#
# confirmed (public infrastructure code and lab notes found by search, 2026-07..10, which record what EKS resolved):
# 1.36: "Add-on versions the 1.36 cluster resolved to: vpc-cni v1.22.4-eksbuild.3, kube-proxy v1.36.0-eksbuild.21,
#       coredns v1.14.3-eksbuild.16, eks-pod-identity-agent v1.3.10-eksbuild.3"; amazon-cloudwatch-observability
#       v6.4.0-eksbuild.1 "the default build for 1.36" (observed 2026-08-08).
# 1.35: vpc-cni v1.21.1-eksbuild.3, kube-proxy v1.35.0-eksbuild.2, coredns v1.13.2-eksbuild.1 pinned together with
#       kubernetes_version 1.35; aws-ebs-csi-driver v1.63.1-eksbuild.1 and amazon-cloudwatch-observability
#       v6.4.0-eksbuild.1 in a per-minor map covering 1.31..1.35; v6.4.0 is also the chart release
#       aws-observability/helm-charts amazon-cloudwatch-observability-6.4.0 (2026-07-21).
# amazon-cloudwatch-observability was v4.10.2-eksbuild.1 (2026-03), found only as 1.34's default: nothing confirmed it
# on 1.35 or 1.36. v6.4.0 keeps `containerLogs.enabled` (the one value set here) and leaves OTel Container Insights
# (node-exporter, kube-state-metrics) off by default (its values.yaml).
# The 1.32-1.34 rows were not re-checked here.
_EKS_ADDONS_SHARED = {
    "eks-pod-identity-agent": "v1.3.10-eksbuild.3",
    "amazon-cloudwatch-observability": "v6.4.0-eksbuild.1",
}
EKS_ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.32": {
        "aws-ebs-csi-driver": "v1.50.1-eksbuild.1",
        "vpc-cni": "v1.21.1-eksbuild.3",
        "coredns": "v1.11.4-eksbuild.24",
        "kube-proxy": "v1.32.6-eksbuild.13",
        **_EKS_ADDONS_SHARED,
    },
    "1.33": {
        "aws-ebs-csi-driver": "v1.50.1-eksbuild.1",
        "vpc-cni": "v1.21.1-eksbuild.3",
        "coredns": "v1.12.4-eksbuild.1",
        "kube-proxy": "v1.33.3-eksbuild.10",
        **_EKS_ADDONS_SHARED,
    },
    "1.34": {
        "aws-ebs-csi-driver": "v1.50.1-eksbuild.1",
        "vpc-cni": "v1.21.1-eksbuild.3",
        "coredns": "v1.12.4-eksbuild.1",
        "kube-proxy": "v1.34.0-eksbuild.4",
        **_EKS_ADDONS_SHARED,
    },
    "1.35": {
        "aws-ebs-csi-driver": "v1.63.1-eksbuild.1",
        "vpc-cni": "v1.21.1-eksbuild.3",
        "coredns": "v1.13.2-eksbuild.1",
        "kube-proxy": "v1.35.0-eksbuild.2",
        **_EKS_ADDONS_SHARED,
    },
    "1.36": {
        "aws-ebs-csi-driver": "v1.63.1-eksbuild.1",
        "vpc-cni": "v1.22.4-eksbuild.3",
        "coredns": "v1.14.3-eksbuild.16",
        "kube-proxy": "v1.36.0-eksbuild.21",
        **_EKS_ADDONS_SHARED,
    },
}
# cluster-autoscaler's image must match the cluster's Kubernetes minor (the chart pins only one).
# confirmed: kubernetes/autoscaler release tags cluster-autoscaler-1.3x.0 for each minor (images are published per
# release tag at registry.k8s.io/autoscaling/cluster-autoscaler).
CLUSTER_AUTOSCALER_IMAGE_TAGS: dict[str, str] = {
    "1.32": "v1.32.0",
    "1.33": "v1.33.0",
    "1.34": "v1.34.0",
    "1.35": "v1.35.0",
    "1.36": "v1.36.0",
}
# Velero's AWS object-store/snapshot plugin, matched to the velero chart's Velero release.
# confirmed: vmware-tanzu/velero-plugin-for-aws tag v1.13.0; its README's compatibility table pairs v1.13.x with
# Velero v1.17.x (chart 11.4.0 ships Velero 1.17.1).
VELERO_AWS_PLUGIN_IMAGE = "velero/velero-plugin-for-aws:v1.13.0"

# PostgreSQL engine versions for platform:data.database, pinned exactly (minor included) and never upgraded behind
# Pulumi's back (auto minor upgrades are off). Each is a version RDS still offers for new databases; check with
# `aws rds describe-db-engine-versions --engine postgres` (or aurora-postgresql) before adding one.
POSTGRES_VERSIONS: tuple[str, ...] = ("14.20", "15.15", "16.11", "17.7", "18.1")
AURORA_POSTGRES_VERSIONS: tuple[str, ...] = ("14.19", "15.14", "16.10", "17.6")
DEFAULT_POSTGRES_VERSION = "17.7"

# The prod stack's Karpenter AMI alias (Pulumi.prod.yaml, platform:karpenter.amiSelectorAlias: al2023@v20260818).
# confirmed: the awslabs/amazon-eks-ami release page v20260818 lists AL2023 AMIs for Kubernetes 1.31-1.36
# (e.g. amazon-eks-node-al2023-x86_64-standard-1.36-v20260818), the names Karpenter's SSM lookup resolves.
# The AMI releases a Karpenter alias may pin, and the Kubernetes minors each release publishes AMIs for (Karpenter
# resolves `al2023@<release>` for the cluster's own minor: after a control-plane upgrade the same release must publish
# the new minor, or Karpenter finds no AMI). The version matrix and `platformctl upgrade` read this table.
KARPENTER_AMI_RELEASES: dict[str, tuple[str, ...]] = {
    # confirmed: as above (release page v20260818). The earlier release v20260714 (awslabs/amazon-eks-ami
    # CHANGELOG.md at commit 81fec2e, read here) already lists AL2023 source AMIs for K8s 1.30-1.36.
    "al2023@v20260818": ("1.31", "1.32", "1.33", "1.34", "1.35", "1.36"),
}

# The Kubernetes minors the pinned Karpenter release supports (it refuses to run outside them).
# confirmed: aws/karpenter-provider-aws tag v1.14.1, pkg/providers/version/version.go (MinK8sVersion "1.26",
# MaxK8sVersion "1.36") and hack/docs/compatibilitymatrix_gen/compatibility.yaml (appVersion 1.14.x: 1.26..1.36).
KARPENTER_KUBERNETES_RANGE: tuple[str, str] = ("1.26", "1.36")

# Each pinned chart's `kubeVersion` constraint (Chart.yaml; Helm and Chart v4 refuse to install a chart whose
# constraint rejects the cluster's version, checked with components/semver.py against EKS's version format).
# "" = the chart sets none (Helm installs it on any version). confirmed: each chart's Chart.yaml at its pinned tag or
# release commit, read from the projects' git repositories (mirrored 2026-08; read 2026-12):
#   argo-cd            argoproj/argo-helm tag argo-cd-9.5.14, charts/argo-cd/Chart.yaml
#   argo-rollouts      argoproj/argo-helm tag argo-rollouts-2.41.0, charts/argo-rollouts/Chart.yaml (none)
#   aws-load-balancer-controller  aws/eks-charts commit 9639b8b ("aws-load-balancer-controller: v2.17.1"),
#                      stable/aws-load-balancer-controller/Chart.yaml (none)
#   aws-for-fluent-bit aws/eks-charts commit 2942cdc, stable/aws-for-fluent-bit/Chart.yaml (none)
#   external-dns       kubernetes-sigs/external-dns tag external-dns-helm-chart-1.20.0 (none)
#   metrics-server     kubernetes-sigs/metrics-server tag metrics-server-helm-chart-3.13.0 (none)
#   cert-manager       cert-manager/cert-manager tag v1.20.2, deploy/charts/cert-manager/Chart.template.yaml (the
#                      release build fills in the version; kubeVersion is copied as written)
#   external-secrets   external-secrets/external-secrets tag helm-chart-1.1.0, deploy/charts/external-secrets
#   kube-prometheus-stack  prometheus-community/helm-charts tag kube-prometheus-stack-85.3.3
#   keda               kedacore/charts tag v2.19.0, keda/Chart.yaml
#   velero             vmware-tanzu/helm-charts tag velero-11.4.0, charts/velero/Chart.yaml
#   cluster-autoscaler kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0 (none)
#   nvidia-device-plugin  NVIDIA/k8s-device-plugin tag v0.20.0, deployments/helm/nvidia-device-plugin/Chart.yaml
#   dcgm-exporter      NVIDIA/dcgm-exporter tag 4.5.3-4.8.2, deployment/Chart.yaml
#   karpenter          aws/karpenter-provider-aws tag v1.14.1, charts/karpenter/Chart.yaml (none; its supported
#                      minors are KARPENTER_KUBERNETES_RANGE)
# A test compares each entry with the cached archive's Chart.yaml when the archive is in the chart cache.
CHART_KUBE_VERSIONS: dict[str, str] = {
    "argo-cd": ">=1.25.0-0",
    "aws-load-balancer-controller": "",
    "external-dns": "",
    "metrics-server": "",
    "aws-for-fluent-bit": "",
    "cert-manager": ">= 1.22.0-0",
    "external-secrets": ">= 1.19.0-0",
    "kube-prometheus-stack": ">=1.25.0-0",
    "argo-rollouts": "",
    "keda": ">=v1.23.0-0",
    "velero": ">=1.16.0-0",
    "cluster-autoscaler": "",
    "nvidia-device-plugin": ">= 1.10.0-0",
    "dcgm-exporter": ">= 1.19.0-0",
    "karpenter": "",
}
