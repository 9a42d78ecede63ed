"""eks-platform: one AWS EKS platform per stack, wired from the stack's validated config.

The same program runs under `pulumi up` and under `platformctl plan` (Pulumi's mocks): it has no
offline branches. Every setting comes from `Pulumi.<stack>.yaml` (see docs/configuration.md).
"""

import dataclasses

import pulumi
import pulumi_aws as aws

from components import naming
from components.addons import Addons, AddonsArgs, combine
from components.build_access import BuildAccess, BuildAccessArgs
from components.cluster import Cluster, ClusterArgs
from components.config import ConfigError
from components.config.aws import kubeconfig_credentials
from components.config.fleet import HUB, SPOKE, membership
from components.config.stack import from_pulumi_runtime
from components.database import Database, DatabaseArgs
from components.deploy_runner import DeployRunner, DeployRunnerArgs
from components.fleet import (
    ArgoCdHubRole,
    ArgoCdHubRoleArgs,
    FleetSpoke,
    FleetSpokeArgs,
    SpokeRegistrations,
    SpokeRegistrationsArgs,
    fleet_labels,
)
from components.gitops import GitOps, GitOpsArgs, bridge_metadata
from components.karpenter import Karpenter, KarpenterArgs
from components.network import Network, NetworkArgs
from components.node_pools import NodePools, NodePoolsArgs
from components.paths import project_root
from components.providers import stack_aws_provider
from components.registry import Registry, RegistryArgs
from components.workload_secrets import WorkloadSecrets, WorkloadSecretsArgs

try:
    cfg = from_pulumi_runtime()
    # The stack's role in a fleet (fleets/*.yaml): None for a stack of its own (docs/fleets.md).
    fleet = membership(project_root(), cfg.stack)
except ConfigError as exc:
    # One line per problem, no traceback, nothing declared.
    raise pulumi.RunError("invalid stack config:\n" + "\n".join(exc.lines)) from None
for warning in cfg.warnings:  # allowed, but probably a mistake: shown by `pulumi up` and `platformctl plan`
    pulumi.log.warn(warning.line())

env = cfg.environment.name
cluster_name = naming.cluster_name(env)

# The one explicit AWS provider: the stack's tags, its account only, its credential settings (components/providers.py).
aws_provider = stack_aws_provider("aws", cfg)
on_aws = pulumi.ResourceOptions(provider=aws_provider)

network = Network(
    f"{env}-network",
    NetworkArgs(
        environment=env, production=cfg.production, cluster_name=cluster_name, config=cfg.network, subnets=cfg.subnets
    ),
    opts=on_aws,
)

# ---- cluster, node pools, Karpenter (components/cluster.py, node_pools.py, karpenter.py)
cluster = Cluster(
    f"{env}-cluster",
    ClusterArgs(
        environment=env,
        production=cfg.production,
        region=cfg.region,
        config=cfg.cluster,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        public_subnet_ids=network.public_subnet_ids,
        # `aws eks get-token` in the kubeconfig acts as the same identity as the AWS provider.
        kubeconfig_credentials=kubeconfig_credentials(cfg.aws_settings),
        # The deployer's admin entry: the assumed role or the deploy runner's deploy role (else whoever runs `up`).
        deployer_role_arn=cfg.deployer_role_arn,
        # A bootstrap run (`platformctl up STACK --bootstrap`) declares the AWS part only: no Kubernetes provider.
        kubernetes=not cfg.bootstrap,
    ),
    opts=on_aws,
)
# ---- the deploy runner (components/deploy_runner.py): CI jobs that reach the API from inside the VPC
if cfg.deploy_runner.enabled:
    deploy_runner = DeployRunner(
        f"{env}-deploy-runner",
        DeployRunnerArgs(
            environment=env,
            production=cfg.production,
            region=cfg.region,
            config=cfg.deploy_runner,
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            cluster=cluster,
        ),
        opts=on_aws,
    )
    pulumi.export("deployRunner", {"project": deploy_runner.project_name, "runsOn": deploy_runner.runs_on})
# The add-ons nodes need to become Ready (vpc-cni and its Pod Identity role: the node role has no CNI permissions)
# come before the node groups, which wait for them; the rest of the catalog after them (components/addons/).
network_addons = Addons(
    f"{env}-network-addons",
    AddonsArgs.for_stack(cfg, cluster, None, network, phase="before-nodes"),
    opts=on_aws,
)
node_pools = NodePools(
    f"{env}-nodes",
    NodePoolsArgs(
        environment=env,
        production=cfg.production,
        cluster=cluster,
        pools=cfg.node_pools,
        subnet_ids=network.private_subnet_ids,
        tags=cfg.tags,
        depends_on=[network_addons],
        # Each managed node group's minor: the control plane's, or the previous one while `platformctl upgrade` holds
        # it (platform:cluster.dataPlane.nodeGroups).
        versions={p.name: cfg.cluster.node_group_version(p.name) for p in cfg.node_pools},
    ),
    opts=on_aws,
)
node_role_arns = {"managedNodeGroups": node_pools.node_role.arn}
if cfg.karpenter.enabled:
    karpenter = Karpenter(
        f"{env}-karpenter",
        KarpenterArgs(
            environment=env,
            production=cfg.production,
            cluster=cluster,
            config=cfg.karpenter,
            volume_kms_key_arn=node_pools.volume_kms_key.arn,
            system_node_group=node_pools.system_node_group,
            tags=cfg.tags,
            hold_drift=cfg.cluster.data_plane.karpenter is not None,
        ),
        opts=on_aws,
    )
    node_role_arns["karpenter"] = karpenter.node_role.arn
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("clusterEndpoint", cluster.endpoint)
pulumi.export("oidcIssuer", cluster.oidc_issuer)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("nodeRoleArns", node_role_arns)
# ---- add-ons (components/addons/): the rest of the catalog, after the node groups; one view of both phases
addons = combine(
    network_addons,
    Addons(f"{env}-addons", AddonsArgs.for_stack(cfg, cluster, node_pools, network, phase="after-nodes"), opts=on_aws),
)
pulumi.export("addons", addons.summary)
# ---- data: database, registries, build access (components/database.py, registry.py, build_access.py)
database = None
if cfg.data.database:
    database = Database(
        f"{env}-database",
        DatabaseArgs(
            environment=env,
            production=cfg.production,
            config=cfg.data.database,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            # Pods run on the nodes (no per-pod security groups): the node security group is the client.
            allowed_security_group_ids=[cluster.node_security_group_id],
        ),
        opts=on_aws,
    )
    pulumi.export("databaseEndpoint", database.endpoint)
    pulumi.export("databaseSecretArn", database.master_secret_arn)
    if "external-secrets" in addons.role_arns:
        # The API namespace reads the RDS-managed secret through External Secrets, with a role of its own.
        WorkloadSecrets(
            f"{env}-workload-secrets",
            WorkloadSecretsArgs(
                environment=env,
                region=cfg.region,
                k8s_provider=cluster.k8s_provider,
                controller_role_arn=addons.role_arns["external-secrets"],
                secret_arn=database.master_secret_arn,
                kms_key_arn=database.kms_key_arn,
                depends_on=list(addons.components),
            ),
            opts=on_aws,
        )
if cfg.data.registries:
    registry = Registry(
        f"{env}-registry",
        RegistryArgs(
            environment=env,
            production=cfg.production,
            config=cfg.data.registries,
            puller_role_arns=list(node_role_arns.values()),
        ),
        opts=on_aws,
    )
    pulumi.export("repositoryUrls", registry.repository_urls)
    if cfg.data.build_access:
        build_access = BuildAccess(
            f"{env}-build-access",
            BuildAccessArgs(
                environment=env,
                config=cfg.data.build_access,
                repository_arns=list(registry.repository_arns.values()),
            ),
            opts=on_aws,
        )
        pulumi.export("imagePushRoleArn", build_access.role_arn)
# ---- GitOps bootstrap (components/gitops.py), after the data: the cluster Secret carries the database facts.
# In a fleet the hub's Argo CD manages every spoke (components/fleet.py): a spoke runs none of its own and hands the
# hub its registration; the hub reads each spoke's by StackReference and writes its Argo CD cluster Secret.
if cfg.gitops.enabled:
    caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=aws_provider))
    gitops_args = GitOpsArgs(
        environment=env,
        production=cfg.production,
        kubernetes_version=cfg.cluster.charts_version,
        k8s_provider=cluster.k8s_provider,
        cluster_name=cluster.cluster_name,
        account_id=caller.account_id,
        region=cfg.region,
        vpc_id=network.vpc_id,
        vpc_cidr=network.vpc_cidr,
        config=cfg.gitops,
        addon_role_arns=addons.role_arns,
        enabled_addons=addons.enabled,
        # The API's ExternalSecret reads the RDS-managed secret (its ARN ends in a suffix chosen by RDS): Argo CD
        # takes the ARN and the host from the cluster Secret, so nobody copies them into platform/ by hand.
        db_secret_arn=database.master_secret_arn if database is not None else None,
        db_endpoint=database.endpoint if database is not None else None,
        repo_token=pulumi.Config("platform").get_secret("gitopsRepoToken"),
        # Argo CD's pods need nodes, and DNS and the other add-ons before its first sync.
        depends_on=[node_pools.system_node_group, *addons.components],
    )
    if fleet is not None and fleet.role == SPOKE:
        members = fleet.members
        fleet_global = pulumi.StackReference(f"{env}-fleet-global", stack_name=fleet.global_reference)
        labels, annotations = bridge_metadata(gitops_args)
        registry = members.global_config.registry
        spoke = FleetSpoke(
            f"{env}-fleet-spoke",
            FleetSpokeArgs(
                environment=env,
                fleet=fleet.fleet.name,
                account=cfg.account,
                region=cfg.region,
                cluster=cluster,
                hub_role_arn=fleet.hub_role_arn,
                hub_vpc_cidr=fleet.hub_vpc_cidr if fleet.fleet.api_access == "private" else None,
                registry_output=fleet_global.require_output("registry") if registry is not None else None,
                registry_config=registry,
                cross_account_registry=members.global_config.account != cfg.account,
                labels=labels,
                annotations=annotations,
                fleet_domain=fleet_global.require_output("zoneName"),
            ),
            opts=on_aws,
        )
        pulumi.export("argocdCluster", spoke.registration)
    elif not cfg.bootstrap:  # Argo CD is all in-cluster
        hub = None
        if fleet is not None and fleet.role == HUB:
            registrations = {
                spoke: pulumi.StackReference(f"{env}-fleet-{spoke}", stack_name=name).require_output("argocdCluster")
                for spoke, name in fleet.spoke_references.items()
            }
            # Before Argo CD: EKS Pod Identity gives a pod its credentials when the pod is created.
            hub = ArgoCdHubRole(
                f"{env}-argocd-hub",
                ArgoCdHubRoleArgs(
                    environment=env,
                    cluster=cluster,
                    spoke_role_arns=[r.apply(lambda r: r["roleArn"]) for r in registrations.values()],
                ),
                opts=on_aws,
            )
            gitops_args = dataclasses.replace(
                gitops_args,
                depends_on=[*gitops_args.depends_on, *hub.associations],
                extra_labels=fleet_labels(fleet.fleet.name, HUB),
            )
        gitops = GitOps(f"{env}-gitops", gitops_args)
        if gitops.admin_password is not None:
            pulumi.export("argocdAdminPassword", gitops.admin_password)
        if hub is not None:
            SpokeRegistrations(
                f"{env}-fleet-spokes",
                SpokeRegistrationsArgs(
                    k8s_provider=cluster.k8s_provider, registrations=registrations, depends_on=[gitops]
                ),
            )
            pulumi.export("argocdRoleArn", hub.role.arn)
            pulumi.export("fleetSpokes", sorted(registrations))

pulumi.export("environment", env)
pulumi.export("region", cfg.region)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
