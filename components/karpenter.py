"""Karpenter: everything it needs to provision nodes right after `pulumi up`.

AWS side: the controller's role (EKS Pod Identity, least privilege scoped to this cluster's tagged resources),
the role/instance profile/EC2_LINUX access entry of the nodes it launches, and interruption handling (a
KMS-encrypted SQS queue fed by EventBridge rules for spot interruptions, rebalance recommendations, instance
state changes and AWS Health events). Kubernetes side: the pinned chart on the system pool, one EC2NodeClass
(discovery by the `karpenter.sh/discovery` tag, IMDSv2 with hop limit 1, encrypted gp3) and the configured
NodePools (karpenter.sh/v1).

The NodePool/EC2NodeClass specs are pure functions of the config, unit-tested directly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import karpenter_iam, naming
from components.charts import chart_source
from components.cluster import Cluster
from components.config import accelerators
from components.config.karpenter import KarpenterConfig, KarpenterNodePool
from components.config.node_pools import POOL_LABEL, SYSTEM_POOL, SYSTEM_TAINT
from components.node_pools import node_role

NAMESPACE = "kube-system"  # Karpenter's recommended namespace: it runs next to the other cluster-critical pods
SERVICE_ACCOUNT = "karpenter"
NODE_CLASS = "default"
# Queued interruption messages older than this are useless: the instance is gone (Karpenter's own setting).
QUEUE_RETENTION_SECONDS = 300


def ec2_node_class_spec(
    cfg: KarpenterConfig, cluster_name: str, instance_profile: str, volume_key_arn: str, tags: Mapping[str, str]
) -> dict[str, Any]:
    """The EC2NodeClass every NodePool uses."""
    discovery = {"tags": {"karpenter.sh/discovery": cluster_name}}
    if cfg.ami_family == "bottlerocket":
        volumes = [("/dev/xvda", 4), ("/dev/xvdb", cfg.volume_size)]  # OS volume, then images and pods
    else:
        volumes = [("/dev/xvda", cfg.volume_size)]
    return {
        "amiSelectorTerms": [{"alias": cfg.ami_selector_alias}],
        # Our instance profile (not `role`): the controller never needs to create or delete instance profiles.
        "instanceProfile": instance_profile,
        "subnetSelectorTerms": [discovery],
        "securityGroupSelectorTerms": [discovery],
        # IMDSv2 only; hop limit 1 so pods cannot reach the node role's credentials.
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": 1,
            "httpTokens": "required",
        },
        "blockDeviceMappings": [
            {
                "deviceName": device,
                "ebs": {
                    "volumeSize": f"{size}Gi",
                    "volumeType": "gp3",
                    "encrypted": True,
                    "kmsKeyID": volume_key_arn,
                    "deleteOnTermination": True,
                },
            }
            for device, size in volumes
        ],
        # Launch-time tags of instances, volumes and ENIs (the provider's default tags do not reach them).
        "tags": {**tags, "Name": f"{cluster_name}-karpenter"},
    }


def hold_drift_budget() -> dict[str, Any]:
    """While `platformctl upgrade` holds Karpenter's nodes at the previous minor (platform:cluster.dataPlane.karpenter):
    no drifted node is replaced (Karpenter takes the most restrictive active budget); other disruptions keep theirs."""
    return {"nodes": "0", "reasons": ["Drifted"]}


def node_pool_spec(
    pool: KarpenterNodePool, node_class: str = NODE_CLASS, *, hold_drift: bool = False
) -> dict[str, Any]:
    """A karpenter.sh/v1 NodePool spec from its config; `hold_drift`: no drifted node is replaced."""
    requirements: list[dict[str, Any]] = [
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
        {"key": "kubernetes.io/arch", "operator": "In", "values": list(pool.architectures)},
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(pool.capacity_types)},
    ]
    if pool.instance_categories:
        requirements.append(
            {"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": list(pool.instance_categories)}
        )
    if pool.instance_families:
        requirements.append(
            {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": list(pool.instance_families)}
        )
    if pool.min_generation:
        requirements.append(
            {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": [str(pool.min_generation - 1)]}
        )
    labels = {**pool.labels, POOL_LABEL: pool.name}
    taints = [{"key": t.key, "effect": t.effect, **({"value": t.value} if t.value else {})} for t in pool.taints]
    if pool.accelerator:
        # Only instances with this accelerator; tainted with its resource so only pods that ask for it land there.
        key, value = accelerators.KARPENTER_REQUIREMENT[pool.accelerator]
        requirements.append({"key": key, "operator": "In", "values": [value]})
        labels[accelerators.LABEL] = pool.accelerator
        if not any(t["key"] == accelerators.RESOURCES[pool.accelerator] for t in taints):
            taints.append(accelerators.taint(pool.accelerator))
    template_spec: dict[str, Any] = {
        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": node_class},
        "requirements": requirements,
        "expireAfter": pool.expire_after,
    }
    if taints:
        template_spec["taints"] = taints
    spec: dict[str, Any] = {
        "template": {"metadata": {"labels": labels}, "spec": template_spec},
        "limits": pool.limits.resources(),
        "disruption": {
            "consolidationPolicy": pool.consolidation_policy,
            "consolidateAfter": pool.consolidate_after,
            "budgets": [b.spec() for b in pool.disruption_budgets] + ([hold_drift_budget()] if hold_drift else []),
        },
    }
    if pool.weight is not None:
        spec["weight"] = pool.weight
    return spec


def chart_values(cluster_name: str, queue_name: str, production: bool) -> dict[str, Any]:
    """Helm values: on the system pool, two replicas in production, this cluster's queue."""
    return {
        "settings": {"clusterName": cluster_name, "interruptionQueue": queue_name},
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "replicas": 2 if production else 1,
        "nodeSelector": {POOL_LABEL: SYSTEM_POOL},
        "tolerations": [{"key": SYSTEM_TAINT["key"], "operator": "Exists", "effect": SYSTEM_TAINT["effect"]}],
        "priorityClassName": "system-cluster-critical",
        "controller": {"resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}},
        "logLevel": "info",
    }


@dataclass(frozen=True)
class KarpenterArgs:
    environment: str
    production: bool
    cluster: Cluster
    config: KarpenterConfig
    volume_kms_key_arn: pulumi.Input[str]  # the node volume key (NodePools.volume_kms_key)
    system_node_group: pulumi.Resource  # Karpenter runs there: its pods need it to schedule
    tags: Mapping[str, str]  # the stack's tags, for the instances Karpenter launches
    # platformctl upgrade between its stages: the nodes stay on the previous minor (no drift replacement) until the
    # last stage releases them (platform:cluster.dataPlane.karpenter).
    hold_drift: bool = False


class Karpenter(pulumi.ComponentResource):
    controller_role: aws.iam.Role
    node_role: aws.iam.Role
    instance_profile: aws.iam.InstanceProfile
    queue: aws.sqs.Queue
    chart: k8s.helm.v4.Chart | None  # None (and no node class or pools) in a bootstrap run
    node_class: k8s.apiextensions.CustomResource | None
    node_pools: dict[str, k8s.apiextensions.CustomResource]

    def __init__(self, name: str, args: KarpenterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("eks-platform:karpenter:Karpenter", name, None, opts)
        cluster = args.cluster
        cfg = args.config
        env = args.environment
        physical = cluster.physical_name
        partition, region = cluster.partition, cluster.region
        child = pulumi.ResourceOptions(parent=self)

        def tags(what: str) -> dict[str, str]:
            return naming.name_tag(env, f"karpenter-{what}")

        # --- the nodes Karpenter launches: their role, instance profile and access entry
        self.node_role, attachments = node_role(
            f"{name}-node-role", f"{physical}: nodes launched by Karpenter", tags("node-role"), partition, child
        )
        self.instance_profile = aws.iam.InstanceProfile(
            f"{name}-node-profile",
            role=self.node_role.name,
            tags=tags("node-profile"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
        node_access = aws.eks.AccessEntry(
            f"{name}-node-access",
            cluster_name=cluster.cluster_name,
            principal_arn=self.node_role.arn,
            type="EC2_LINUX",
            tags=tags("node-access"),
            opts=child,
        )

        # --- interruption handling: EventBridge -> encrypted SQS -> Karpenter drains the node ahead of time
        queue_name = physical
        queue_arn = cluster.account_id.apply(lambda a: f"arn:{partition}:sqs:{region}:{a}:{queue_name}")
        queue_key = aws.kms.Key(
            f"{name}-queue-key",
            description=f"{physical}: Karpenter interruption queue",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(cluster.account_id, queue_arn).apply(
                lambda a: json.dumps(karpenter_iam.queue_key_policy(a[0], a[1], partition))
            ),
            tags=tags("queue-key"),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-queue-key-alias",
            name=f"alias/{physical}-karpenter-queue",
            target_key_id=queue_key.key_id,
            opts=child,
        )
        self.queue = aws.sqs.Queue(
            f"{name}-interruption-queue",
            name=queue_name,
            message_retention_seconds=QUEUE_RETENTION_SECONDS,
            kms_master_key_id=queue_key.arn,
            kms_data_key_reuse_period_seconds=300,
            tags=tags("interruption-queue"),
            opts=child,
        )
        rules = []
        for suffix, source, detail_type in karpenter_iam.INTERRUPTION_EVENTS:
            rule = aws.cloudwatch.EventRule(
                f"{name}-{suffix}",
                name=f"{physical}-karpenter-{suffix}",
                description=f"{physical}: {detail_type} -> Karpenter",
                event_pattern=json.dumps(karpenter_iam.event_pattern(source, detail_type)),
                tags=tags(suffix),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{suffix}-target",
                rule=rule.name,
                arn=self.queue.arn,
                target_id="karpenter-interruption-queue",
                opts=child,
            )
            rules.append(rule)
        queue_policy = aws.sqs.QueuePolicy(
            f"{name}-interruption-queue-policy",
            queue_url=self.queue.url,
            policy=pulumi.Output.all(self.queue.arn, *[r.arn for r in rules]).apply(
                lambda a: json.dumps(karpenter_iam.queue_policy(a[0], list(a[1:])))
            ),
            opts=child,
        )

        # --- the controller: a Pod Identity role scoped to this cluster's resources
        policy = pulumi.Output.all(
            cluster.account_id,
            self.node_role.arn,
            self.instance_profile.arn,
            self.queue.arn,
            queue_key.arn,
            args.volume_kms_key_arn,
        ).apply(
            lambda a: json.dumps(
                karpenter_iam.controller_policy(
                    karpenter_iam.ControllerScope(
                        partition=partition,
                        region=region,
                        account_id=a[0],
                        cluster_name=physical,
                        node_role_arn=a[1],
                        instance_profile_arn=a[2],
                        queue_arn=a[3],
                        queue_key_arn=a[4],
                        volume_key_arn=a[5],
                    )
                )
            )
        )
        controller = cluster.pod_identity(
            f"{name}-controller",
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            policy=policy,
            opts=child,
        )
        self.controller_role = controller.role

        outputs = {
            "controllerRoleArn": self.controller_role.arn,
            "nodeRoleArn": self.node_role.arn,
            "interruptionQueueUrl": self.queue.url,
        }
        if cluster.k8s_provider is None:  # bootstrap run: the AWS side only
            self.chart, self.node_class, self.node_pools = None, None, {}
            self.register_outputs(outputs)
            return

        # --- in the cluster: the chart on the system pool, then the node class and pools
        on_cluster = pulumi.ResourceOptions(parent=self, provider=cluster.k8s_provider)
        self.chart = k8s.helm.v4.Chart(
            f"{name}-chart",
            name="karpenter",
            namespace=NAMESPACE,
            # The verified archive from the chart cache, else the OCI reference (oci://<registry path>/karpenter).
            **chart_source("karpenter"),
            values=chart_values(physical, queue_name, args.production),
            opts=pulumi.ResourceOptions.merge(
                on_cluster,
                pulumi.ResourceOptions(
                    depends_on=[controller.association, queue_policy, args.system_node_group],
                ),
            ),
        )
        after_chart = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[self.chart, node_access, self.instance_profile])
        )
        self.node_class = k8s.apiextensions.CustomResource(
            f"{name}-node-class",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata={"name": NODE_CLASS},
            spec=pulumi.Output.all(self.instance_profile.name, args.volume_kms_key_arn).apply(
                lambda a: ec2_node_class_spec(cfg, physical, a[0], a[1], args.tags)
            ),
            opts=after_chart,
        )
        self.node_pools = {
            pool.name: k8s.apiextensions.CustomResource(
                f"{name}-pool-{pool.name}",
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata={"name": pool.name},
                spec=node_pool_spec(pool, hold_drift=args.hold_drift),
                opts=pulumi.ResourceOptions.merge(after_chart, pulumi.ResourceOptions(depends_on=[self.node_class])),
            )
            for pool in cfg.node_pools
        }

        self.register_outputs(outputs)
