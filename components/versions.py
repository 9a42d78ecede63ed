"""Every version this platform pins, in one visible place.

Bump a version here (and only here) in its own commit; `make test` and `platformctl plan` pick it up.
Kubernetes versions are the ones Amazon EKS supports (standard or extended support) for new clusters.
"""

from __future__ import annotations

# Kubernetes minor versions EKS supports for new clusters. The first entries are in extended support
# (paid); the config accepts them but the default and the stacks use a standard-support version.
KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35", "1.36")
DEFAULT_KUBERNETES_VERSION = "1.35"

# Helm charts Pulumi installs: key -> {"repo", "chart", "version"} (an exact chart version, never a range).
HELM_CHARTS: dict[str, dict[str, str]] = {
    # Argo CD v3.4 (argo-cd chart 9.5.x). Upgrade notes: https://argo-cd.readthedocs.io/en/stable/operator-manual/upgrading/
    "argo-cd": {"repo": "https://argoproj.github.io/argo-helm", "chart": "argo-cd", "version": "9.5.14"},
    # Add-ons (components/addons/), each from its project's official chart repository.
    # aws-load-balancer-controller 1.17.0 = controller v2.17.0: its IAM policy (components/addons/iam.py)
    # follows that release's docs/install/iam_policy.json; re-check it when bumping.
    "aws-load-balancer-controller": {
        "repo": "https://aws.github.io/eks-charts",
        "chart": "aws-load-balancer-controller",
        "version": "1.17.0",
    },
    "external-dns": {
        "repo": "https://kubernetes-sigs.github.io/external-dns/",
        "chart": "external-dns",
        "version": "1.20.0",
    },
    "metrics-server": {
        "repo": "https://kubernetes-sigs.github.io/metrics-server/",
        "chart": "metrics-server",
        "version": "3.13.0",
    },
    "aws-for-fluent-bit": {
        "repo": "https://aws.github.io/eks-charts",
        "chart": "aws-for-fluent-bit",
        "version": "0.1.35",
    },
    "cert-manager": {"repo": "https://charts.jetstack.io", "chart": "cert-manager", "version": "v1.20.2"},
    "external-secrets": {"repo": "https://charts.external-secrets.io", "chart": "external-secrets", "version": "1.1.0"},
    "kube-prometheus-stack": {
        "repo": "https://prometheus-community.github.io/helm-charts",
        "chart": "kube-prometheus-stack",
        "version": "85.3.3",
    },
    "argo-rollouts": {"repo": "https://argoproj.github.io/argo-helm", "chart": "argo-rollouts", "version": "2.41.1"},
    "keda": {"repo": "https://kedacore.github.io/charts", "chart": "keda", "version": "2.19.0"},
    "velero": {"repo": "https://vmware-tanzu.github.io/helm-charts", "chart": "velero", "version": "11.4.0"},
    "cluster-autoscaler": {
        "repo": "https://kubernetes.github.io/autoscaler",
        "chart": "cluster-autoscaler",
        "version": "9.59.0",
    },
    # NVIDIA device plugin v0.20.0 (image nvcr.io/nvidia/k8s-device-plugin:v0.20.0, the chart's appVersion) and the
    # DCGM exporter chart 4.8.2 (image nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless): versions and values
    # read from the NVIDIA/k8s-device-plugin tag v0.20.0 and NVIDIA/dcgm-exporter tag 4.5.3-4.8.2; that the Helm
    # repositories serve them was not checked from here (no network).
    "nvidia-device-plugin": {
        "repo": "https://nvidia.github.io/k8s-device-plugin",
        "chart": "nvidia-device-plugin",
        "version": "0.20.0",
    },
    "dcgm-exporter": {
        "repo": "https://nvidia.github.io/dcgm-exporter/helm-charts",
        "chart": "dcgm-exporter",
        "version": "4.8.2",
    },
    # Karpenter v1.15, the latest minor in 2026-10; check https://karpenter.sh/docs/upgrading/compatibility/ before
    # a Kubernetes upgrade. An OCI chart (`repo` is the registry path); its CRDs are rendered and managed by Pulumi.
    "karpenter": {"repo": "oci://public.ecr.aws/karpenter", "chart": "karpenter", "version": "1.15.0"},
}

# EKS managed add-on versions per Kubernetes minor (`aws eks describe-addon-versions --kubernetes-version X
# --addon-name Y`). Upgrading the cluster's minor picks up that row; bump a row in its own commit.
_EKS_ADDONS_SHARED = {
    "eks-pod-identity-agent": "v1.3.10-eksbuild.3",
    "amazon-cloudwatch-observability": "v4.10.2-eksbuild.1",
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
CLUSTER_AUTOSCALER_IMAGE_TAGS: dict[str, str] = {
    "1.32": "v1.32.0",
    "1.33": "v1.33.0",
    "1.34": "v1.34.0",
    "1.35": "v1.35.0",
    "1.36": "v1.36.0",
}
# Velero's AWS object-store/snapshot plugin, matched to the velero chart's Velero release.
VELERO_AWS_PLUGIN_IMAGE = "velero/velero-plugin-for-aws:v1.13.0"

# PostgreSQL engine versions for platform:data.database, pinned exactly (minor included) and never upgraded behind
# Pulumi's back (auto minor upgrades are off). Each is a version RDS still offers for new databases; check with
# `aws rds describe-db-engine-versions --engine postgres` (or aurora-postgresql) before adding one.
POSTGRES_VERSIONS: tuple[str, ...] = ("14.20", "15.15", "16.11", "17.7", "18.1")
AURORA_POSTGRES_VERSIONS: tuple[str, ...] = ("14.19", "15.14", "16.10", "17.6")
DEFAULT_POSTGRES_VERSION = "17.7"
