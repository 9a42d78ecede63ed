"""The EKS control plane: pulumi-eks's Cluster with this platform's settings, plus what pulumi-eks lacks.

pulumi-eks does the heavy lifting (cluster role, node security group, OIDC provider, access entries, kubeconfig);
this component pins its risky defaults explicitly (Kubernetes version, upgrade policy STANDARD instead of paid
EXTENDED, private endpoint, all log types, deletion protection) and adds: the secrets KMS key, the KMS-encrypted
control-plane log group (created before EKS would create an unencrypted one), the EKS Pod Identity agent and
Pod Identity helpers, an explicit deployer access entry instead of EKS's implicit "creator is admin", and a
Kubernetes provider for the add-on, Karpenter and GitOps components.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components import cluster_iam, iam, naming
from components.config.cluster import ClusterConfig
from components.versions import EKS_ADDON_VERSIONS

EKS_CLUSTER_TYPE = "aws:eks/cluster:Cluster"


def without_creator_admin(type_: str, props: Mapping[str, Any]) -> dict[str, Any] | None:
    """pulumi-eks hard-codes `accessConfig.bootstrapClusterCreatorAdminPermissions: true` on its aws.eks.Cluster:
    the identity that creates the cluster would stay an invisible cluster admin. Turn that off (the deployer gets
    an explicit access entry instead). Returns the new props, or None to leave a resource alone."""
    if type_ != EKS_CLUSTER_TYPE:
        return None
    access = dict(props.get("accessConfig") or {})
    access["bootstrapClusterCreatorAdminPermissions"] = False
    return {**props, "accessConfig": access}


def _creator_admin_transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    props = without_creator_admin(args.type_, args.props)
    return None if props is None else pulumi.ResourceTransformResult(props=props, opts=args.opts)


def kubeconfig_with_profile(kubeconfig: Any, profile: str | None) -> str:
    """The kubeconfig (dict or JSON string) as JSON, its `aws eks get-token` run with `--profile <profile>`.

    pulumi-eks's `kubeconfigJson` output is generated without the profile (its own Kubernetes provider gets one with
    it: `generateKubeconfig(..., includeProfile=true)` adds `--profile`); the program's provider needs the same."""
    if not profile:  # unchanged: the provider's input stays byte for byte what it was
        return kubeconfig if isinstance(kubeconfig, str) else json.dumps(kubeconfig)
    doc = json.loads(kubeconfig) if isinstance(kubeconfig, str) else json.loads(json.dumps(kubeconfig))
    for user in doc.get("users", []):
        exec_ = user.get("user", {}).get("exec")
        if exec_ is not None and "--profile" not in exec_.get("args", []):
            exec_["args"] = [*exec_.get("args", []), "--profile", profile]
    return json.dumps(doc)


def kubeconfig_server(kubeconfig: Any) -> str:
    """The API server URL of a kubeconfig (dict or JSON string)."""
    doc = json.loads(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    return doc["clusters"][0]["cluster"]["server"]


@dataclass(frozen=True)
class ClusterArgs:
    environment: str
    production: bool
    region: str
    config: ClusterConfig
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    # pulumi-eks providerCredentialOpts ({"profile_name", "role_arn"}): the identity `aws eks get-token` uses.
    kubeconfig_credentials: Mapping[str, str] | None = None
    # The deployer's admin entry names this role (StackConfig.deployer_role_arn) instead of whoever runs `up`.
    deployer_role_arn: str | None = None
    # False in a bootstrap run (platform:bootstrap): no Kubernetes provider, so nothing is applied through the API.
    kubernetes: bool = True


@dataclass(frozen=True)
class PodIdentity:
    role: aws.iam.Role
    association: aws.eks.PodIdentityAssociation


class Cluster(pulumi.ComponentResource):
    """An EKS cluster (pulumi-eks) with API authentication, encrypted secrets and logs, and Pod Identity."""

    eks: eks.Cluster
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    node_security_group_id: pulumi.Output[str]
    secrets_kms_key: aws.kms.Key
    pod_identity_addon: aws.eks.Addon
    k8s_provider: k8s.Provider | None  # None in a bootstrap run

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:cluster:Cluster", name, None, opts)
        cfg = args.config
        env = args.environment
        child = pulumi.ResourceOptions(parent=self)
        # Stateful and hard to rebuild: the cluster, its keys and its audit logs cannot be deleted by a stray
        # `pulumi up`/`destroy` in production.
        keep = pulumi.ResourceOptions(parent=self, protect=args.production)

        def tags(what: str) -> dict[str, str]:
            return naming.name_tag(env, what)

        self.environment = env
        self.physical_name = physical = naming.cluster_name(env)
        self.region = region = args.region
        self.partition = partition = cluster_iam.partition_of(region)
        self.kubernetes_version = cfg.version
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.account_id: pulumi.Output[str] = identity.account_id
        self.arn: pulumi.Output[str] = self.account_id.apply(
            lambda a: cluster_iam.cluster_arn(partition, region, a, physical)
        )

        # Kubernetes secrets are envelope-encrypted with a key of their own.
        self.secrets_kms_key = aws.kms.Key(
            f"{name}-secrets-key",
            description=f"{physical}: envelope encryption of Kubernetes secrets",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=self.account_id.apply(lambda a: json.dumps(cluster_iam.secrets_key_policy(a, partition))),
            tags=tags("eks-secrets-key"),
            opts=keep,
        )
        aws.kms.Alias(
            f"{name}-secrets-key-alias",
            name=f"alias/{physical}-eks-secrets",
            target_key_id=self.secrets_kms_key.key_id,
            opts=child,
        )

        # EKS writes control-plane logs to this fixed name; creating it first (KMS, retention) keeps EKS from
        # creating an unencrypted, never-expiring one.
        log_group_name = f"/aws/eks/{physical}/cluster"
        logs_key = aws.kms.Key(
            f"{name}-logs-key",
            description=f"{physical}: control-plane logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=self.account_id.apply(
                lambda a: json.dumps(
                    iam.kms_key_policy_for_logs(
                        a, region, f"arn:{partition}:logs:{region}:{a}:log-group:{log_group_name}", partition
                    )
                )
            ),
            tags=tags("eks-logs-key"),
            opts=keep,
        )
        aws.kms.Alias(
            f"{name}-logs-key-alias", name=f"alias/{physical}-eks-logs", target_key_id=logs_key.key_id, opts=child
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=log_group_name,
            retention_in_days=cfg.log_retention_days,
            kms_key_id=logs_key.arn,
            tags=tags("eks-control-plane-logs"),
            opts=keep,
        )

        access = cfg.access
        entries = cluster_iam.access_entries(
            access.admin_role_arns,
            access.read_only_role_arns,
            [(t.name, t.role_arn, t.namespaces) for t in access.teams],
            partition,
        )
        ep = cfg.endpoint
        self.eks = eks.Cluster(
            f"{name}-eks",
            name=physical,
            version=cfg.version,  # unset would mean "latest"
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=cfg.upgrade_policy),
            deletion_protection=cfg.deletion_protection,
            vpc_id=args.vpc_id,
            private_subnet_ids=list(args.private_subnet_ids),
            public_subnet_ids=list(args.public_subnet_ids),
            node_associate_public_ip_address=False,
            kubernetes_service_ip_address_range=cfg.service_ipv4_cidr,
            ip_family="ipv4",
            endpoint_private_access=True,
            endpoint_public_access=ep.public_access,
            public_access_cidrs=list(ep.public_access_cidrs) if ep.public_access else None,
            enabled_cluster_log_types=list(cfg.control_plane_log_types),
            encryption_config_key_arn=self.secrets_kms_key.arn,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries={key: _access_entry(e) for key, e in entries.items()},
            create_oidc_provider=True,
            skip_default_node_group=True,
            create_instance_role=False,
            # pulumi-eks's security groups open nothing to the internet: the cluster group admits only HTTPS from
            # the node group; the node group admits itself and the control plane (kubelet, webhooks).
            cluster_security_group_tags=tags("eks-cluster-sg"),
            # Karpenter finds the node security group by this tag (subnets carry it too).
            node_security_group_tags={"karpenter.sh/discovery": physical, **tags("eks-nodes-sg")},
            # EKS installs its default networking add-ons so nodes can join; components/addons/ then takes them
            # over as pinned managed add-ons (vpc-cni with its own Pod Identity role), so pulumi-eks's unpinned
            # copies are off.
            bootstrap_self_managed_addons=True,
            use_default_vpc_cni=True,
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            provider_credential_opts=(
                eks.KubeconfigOptionsArgs(**args.kubeconfig_credentials) if args.kubeconfig_credentials else None
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.production,
                depends_on=[self.log_group],
                transforms=[_creator_admin_transform],
            ),
        )

        # Derived from the kubeconfig so that every consumer waits for a reachable API server.
        self.endpoint = self.eks.kubeconfig.apply(kubeconfig_server)
        self.cluster_name = self.endpoint.apply(lambda _: physical)
        self.oidc_provider_arn = self.eks.oidc_provider_arn
        self.oidc_issuer = self.eks.oidc_issuer
        self.cluster_security_group_id = self.eks.cluster_security_group_id
        self.node_security_group_id = self.eks.node_security_group_id
        self.kubeconfig = pulumi.Output.secret(self.eks.kubeconfig_json)

        # pulumi-eks has no Pod Identity support: the agent is an EKS add-on (a DaemonSet, ready without nodes).
        self.pod_identity_addon = aws.eks.Addon(
            f"{name}-pod-identity-agent",
            cluster_name=self.cluster_name,
            addon_name="eks-pod-identity-agent",
            # An EKS add-on: its version follows the add-on layer (platform:cluster.dataPlane.addons during an upgrade).
            addon_version=EKS_ADDON_VERSIONS[cfg.addons_version]["eks-pod-identity-agent"],
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=tags("eks-pod-identity-agent"),
            opts=child,
        )

        # The deployer's explicit admin entry: in-cluster resources below are applied with it. The deployer is the role
        # the stack assumes or its deploy runner's deploy role (StackConfig.deployer_role_arn), else whoever runs `up`.
        provider_deps: list[pulumi.Resource] = []
        if access.deployer_admin:
            if args.deployer_role_arn:
                deployer: pulumi.Input[str] = args.deployer_role_arn
            else:
                invoke = pulumi.InvokeOutputOptions(parent=self)
                deployer = aws.iam.get_session_context_output(arn=identity.arn, opts=invoke).issuer_arn
            deployer_entry = aws.eks.AccessEntry(
                f"{name}-deployer",
                cluster_name=self.cluster_name,
                principal_arn=deployer,
                type="STANDARD",
                tags=tags("eks-deployer-access"),
                opts=child,
            )
            provider_deps.append(
                aws.eks.AccessPolicyAssociation(
                    f"{name}-deployer-admin",
                    cluster_name=self.cluster_name,
                    principal_arn=deployer_entry.principal_arn,
                    policy_arn=cluster_iam.access_policy_arn(cluster_iam.ADMIN_POLICY, partition),
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    opts=child,
                )
            )

        # Components declare their in-cluster resources with this provider; a bootstrap run has none, and they
        # declare only their AWS side (the deploy runner applies the rest from inside the VPC).
        self.k8s_provider = None
        if args.kubernetes:
            profile = (args.kubeconfig_credentials or {}).get("profile_name")
            self.k8s_provider = k8s.Provider(
                f"{name}-k8s",
                kubeconfig=self.eks.kubeconfig_json.apply(lambda k: kubeconfig_with_profile(k, profile)),
                opts=pulumi.ResourceOptions(parent=self, depends_on=provider_deps),
            )

        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "endpoint": self.endpoint,
                "oidcProviderArn": self.oidc_provider_arn,
                "oidcIssuer": self.oidc_issuer,
                "clusterSecurityGroupId": self.cluster_security_group_id,
                "nodeSecurityGroupId": self.node_security_group_id,
            }
        )

    # ------------------------------------------------------------------------------------------ Pod Identity

    def _name_tag(self, logical_name: str) -> dict[str, str]:
        return naming.name_tag(self.environment, logical_name.removeprefix(f"{self.environment}-"))

    def pod_identity_association(
        self,
        name: str,
        *,
        namespace: str,
        service_account: str,
        role_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> aws.eks.PodIdentityAssociation:
        """Bind an IAM role to `namespace/service_account` (the role must trust pods.eks.amazonaws.com)."""
        return aws.eks.PodIdentityAssociation(
            name,
            cluster_name=self.cluster_name,
            namespace=namespace,
            service_account=service_account,
            role_arn=role_arn,
            tags=self._name_tag(name),
            opts=pulumi.ResourceOptions.merge(
                pulumi.ResourceOptions(parent=self, depends_on=[self.pod_identity_addon]), opts
            ),
        )

    def pod_identity_trust_policy(self, namespace: str, service_account: str) -> pulumi.Output[str]:
        return self.arn.apply(
            lambda arn: json.dumps(cluster_iam.pod_identity_trust_policy(arn, namespace, service_account))
        )

    def irsa_trust_policy(self, namespace: str, service_account: str) -> pulumi.Output[str]:
        """For charts without Pod Identity support: a web-identity trust policy for one service account."""
        return pulumi.Output.all(self.oidc_provider_arn, self.oidc_issuer).apply(
            lambda a: json.dumps(cluster_iam.irsa_trust_policy(a[0], a[1], namespace, service_account))
        )

    def pod_identity(
        self,
        name: str,
        *,
        namespace: str,
        service_account: str,
        policy: pulumi.Input[str] | None = None,
        managed_policies: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> PodIdentity:
        """An IAM role only this cluster's `namespace/service_account` can assume, with an inline `policy` (JSON)
        and/or AWS managed policies (by name), bound through a Pod Identity association.

        Resources are children of `opts.parent` (default: this cluster), named `<name>-role` etc."""
        opts = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self), opts)
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=self.pod_identity_trust_policy(namespace, service_account),
            description=f"{self.physical_name}: Pod Identity of {namespace}/{service_account}",
            tags=self._name_tag(f"{name}-role"),
            opts=opts,
        )
        if policy is not None:
            aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=policy, opts=opts)
        for managed in managed_policies:
            aws.iam.RolePolicyAttachment(
                f"{name}-{managed}",
                role=role.name,
                policy_arn=cluster_iam.managed_policy_arn(managed, self.partition),
                opts=opts,
            )
        association = self.pod_identity_association(
            f"{name}-pod-identity",
            namespace=namespace,
            service_account=service_account,
            role_arn=role.arn,
            opts=opts,
        )
        return PodIdentity(role=role, association=association)


def _access_entry(entry: Mapping[str, Any]) -> eks.AccessEntryArgs:
    return eks.AccessEntryArgs(
        principal_arn=entry["principalArn"],
        type=eks.AccessEntryType(entry["type"]),
        kubernetes_groups=entry.get("kubernetesGroups"),
        access_policies={
            key: eks.AccessPolicyAssociationArgs(
                policy_arn=p["policyArn"],
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(
                    type=p["accessScope"]["type"], namespaces=p["accessScope"].get("namespaces")
                ),
            )
            for key, p in entry["accessPolicies"].items()
        },
    )
