"""EKS managed node groups from `platform:nodePools`, each with its own hardened launch template.

Our own launch templates because pulumi-eks's `enableIMDSv2` leaves the hop limit at 2 (pods could reach the
node role's credentials): here IMDSv2 is required with hop limit 1, the root volume is gp3 encrypted with a KMS
key of the stack, instances/volumes/ENIs are tagged through tag specifications, and there is no SSH key or
remote access (SSM Session Manager instead).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import cluster_iam, naming
from components.cluster import Cluster
from components.config.node_pools import SYSTEM_POOL, NodePool, effective_labels, effective_taints

# Kubernetes taint effect -> EKS API spelling.
TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}
# IMDSv2 only; hop limit 1 so containers (one hop further) cannot fetch the node role's credentials.
METADATA_OPTIONS = {
    "http_endpoint": "enabled",
    "http_tokens": "required",
    "http_put_response_hop_limit": 1,
    "instance_metadata_tags": "disabled",
}
TAGGED_AT_LAUNCH = ("instance", "volume", "network-interface")
# Bottlerocket boots from a small OS volume and keeps images and pods on a second, data volume.
BOTTLEROCKET_OS_VOLUME_GIB = 4


def root_volumes(ami_type: str, disk_size: int) -> list[dict[str, Any]]:
    """(device name, size GiB) of the volumes a node boots with, by AMI type."""
    if ami_type.startswith("BOTTLEROCKET"):
        return [
            {"device_name": "/dev/xvda", "volume_size": BOTTLEROCKET_OS_VOLUME_GIB},
            {"device_name": "/dev/xvdb", "volume_size": disk_size},
        ]
    return [{"device_name": "/dev/xvda", "volume_size": disk_size}]


@dataclass(frozen=True)
class NodePoolsArgs:
    environment: str
    production: bool
    cluster: Cluster
    pools: Sequence[NodePool]
    subnet_ids: Sequence[pulumi.Input[str]]  # the private subnets: every pool spreads over all of them
    tags: Mapping[str, str]  # the stack's tags: tag specifications do not get the provider's default tags
    # What every node group waits for besides its role and the Pod Identity agent: the add-ons nodes need to
    # become Ready (the "before-nodes" Addons component: vpc-cni with its Pod Identity role).
    depends_on: Sequence[pulumi.Resource] = ()
    # Pool name -> its Kubernetes minor (platform:cluster.dataPlane.nodeGroups during an upgrade); a pool left out
    # runs the control plane's, as pulumi-eks's ManagedNodeGroup does without a `version`.
    versions: Mapping[str, str] = field(default_factory=dict)


class NodePools(pulumi.ComponentResource):
    """One managed node group per configured pool, sharing a node role and a volume encryption key."""

    node_role: aws.iam.Role
    node_groups: dict[str, aws.eks.NodeGroup]
    launch_templates: dict[str, aws.ec2.LaunchTemplate]
    system_node_group: aws.eks.NodeGroup
    volume_kms_key: aws.kms.Key

    def __init__(self, name: str, args: NodePoolsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:nodes:NodePools", name, None, opts)
        cluster = args.cluster
        env = args.environment
        partition = cluster.partition
        child = pulumi.ResourceOptions(parent=self)

        self.node_role, attachments = node_role(
            f"{name}-node-role",
            f"{cluster.physical_name}: managed node group nodes",
            naming.name_tag(env, "node-role"),
            partition,
            child,
        )

        self.volume_kms_key = aws.kms.Key(
            f"{name}-volume-key",
            description=f"{cluster.physical_name}: node root volumes",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=cluster.account_id.apply(
                lambda a: json.dumps(cluster_iam.node_volume_key_policy(a, cluster.region, partition))
            ),
            tags=naming.name_tag(env, "node-volume-key"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.production),
        )
        aws.kms.Alias(
            f"{name}-volume-key-alias",
            name=f"alias/{cluster.physical_name}-node-volumes",
            target_key_id=self.volume_kms_key.key_id,
            opts=child,
        )

        self.launch_templates = {}
        self.node_groups = {}
        for pool in args.pools:
            lt = self._launch_template(name, pool, args)
            self.launch_templates[pool.name] = lt
            self.node_groups[pool.name] = aws.eks.NodeGroup(
                f"{name}-{pool.name}",
                cluster_name=cluster.cluster_name,
                # A prefix (not a fixed name): a replacement node group is created before the old one goes.
                node_group_name_prefix=f"{pool.name}-",
                version=args.versions.get(pool.name, cluster.kubernetes_version),
                node_role_arn=self.node_role.arn,
                subnet_ids=list(args.subnet_ids),
                capacity_type=pool.capacity_type,
                instance_types=list(pool.instance_types),
                ami_type=pool.ami_type,
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=pool.min_size, desired_size=pool.desired_size, max_size=pool.max_size
                ),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=pool.max_unavailable),
                node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
                labels=effective_labels(pool),
                taints=[
                    aws.eks.NodeGroupTaintArgs(
                        key=t["key"], value=t["value"] or None, effect=TAINT_EFFECTS[t["effect"]]
                    )
                    for t in effective_taints(pool)
                ],
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=lt.id, version=lt.latest_version.apply(str)),
                tags=naming.name_tag(env, f"node-group-{pool.name}"),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Nodes need their role's policies to join, the Pod Identity agent and the VPC CNI with its own
                    # role (the node role has no CNI permissions): without them the first nodes stay NotReady.
                    depends_on=[*attachments, cluster.pod_identity_addon, *args.depends_on],
                    # desiredSize is the starting size; afterwards autoscaling (or an operator) owns it.
                    ignore_changes=["scalingConfig.desiredSize"],
                ),
            )
        self.system_node_group = self.node_groups[SYSTEM_POOL]

        self.register_outputs(
            {
                "nodeRoleArn": self.node_role.arn,
                "nodeGroups": {k: ng.node_group_name for k, ng in self.node_groups.items()},
            }
        )

    def _launch_template(self, name: str, pool: NodePool, args: NodePoolsArgs) -> aws.ec2.LaunchTemplate:
        cluster = args.cluster
        instance_name = f"{cluster.physical_name}-{pool.name}"
        launch_tags = {**args.tags, "Name": instance_name}
        return aws.ec2.LaunchTemplate(
            f"{name}-{pool.name}-lt",
            name_prefix=f"{instance_name}-",
            description=f"{instance_name}: IMDSv2 (hop limit 1), encrypted gp3, no SSH",
            update_default_version=True,
            # Only the node security group (pulumi-eks's: nodes, control plane); no key pair, no public IP.
            vpc_security_group_ids=[cluster.node_security_group_id],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(**METADATA_OPTIONS),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=v["device_name"],
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=v["volume_size"],
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=self.volume_kms_key.arn,
                        delete_on_termination="true",
                    ),
                )
                for v in root_volumes(pool.ami_type, pool.disk_size)
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=launch_tags)
                for kind in TAGGED_AT_LAUNCH
            ],
            tags=naming.name_tag(args.environment, f"launch-template-{pool.name}"),
            opts=pulumi.ResourceOptions(parent=self),
        )


def node_role(
    name: str, description: str, tags: dict[str, str], partition: str, opts: pulumi.ResourceOptions
) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
    """An EC2 node role with exactly the managed policies nodes need (worker, ECR read-only, SSM): shared by
    managed node groups and Karpenter's nodes. The VPC CNI's permissions live on its own Pod Identity role."""
    role = aws.iam.Role(
        name,
        assume_role_policy=json.dumps(cluster_iam.ec2_trust_policy(partition)),
        description=description,
        tags=tags,
        opts=opts,
    )
    attachments = [
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy}",
            role=role.name,
            policy_arn=cluster_iam.managed_policy_arn(policy, partition),
            opts=opts,
        )
        for policy in cluster_iam.NODE_MANAGED_POLICIES
    ]
    return role, attachments
