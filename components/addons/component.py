"""The Addons component: installs the enabled catalog add-ons of one phase, each with its own least-privilege role.

Per add-on (see spec.py): an IAM role trusted by EKS Pod Identity for exactly its namespace/service account and
an inline policy (pure document from iam.py); then either an EKS managed add-on (the add-on owns its Pod Identity
association) or a Pod Identity association plus a Helm chart. Add-ons wait for the cluster and, when their pods
need nodes, for the node groups; never for each other unless a spec says so, so they install in parallel.
Also: the default gp3 StorageClass (gp2 loses its default flag), the add-ons' own namespaces (Pod Security
labels, default-deny NetworkPolicies), their log groups (one rotating KMS key) and Velero's bucket.

Phases: the stack declares the component twice. "before-nodes" installs the add-ons nodes need to become Ready
(`AddonSpec.before_nodes`: vpc-cni, whose permissions the node role deliberately lacks) before the node groups,
which wait for it; "after-nodes" installs the rest. `combine` merges what both installed (stack output, GitOps).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import naming
from components.addons import iam, kube
from components.addons.catalog import CATALOG, enabled_addons
from components.addons.spec import AddonContext, AddonSpec, Scheduling
from components.charts import chart_source
from components.config.addons import AddonsConfig

Phase = Literal["all", "before-nodes", "after-nodes"]
PHASES: tuple[str, ...] = ("all", "before-nodes", "after-nodes")


def in_phase(spec: AddonSpec, phase: str) -> bool:
    """Whether the Addons component of `phase` installs `spec` ("all": every add-on, one component)."""
    if phase not in PHASES:
        raise ValueError(f"unknown add-on phase {phase!r}: expected one of {', '.join(PHASES)}")
    return phase == "all" or spec.before_nodes == (phase == "before-nodes")


@dataclass(frozen=True)
class AddonsArgs:
    config: AddonsConfig
    environment: str
    production: bool
    region: str
    # The minor whose EKS add-on versions are installed (platform:cluster.dataPlane.addons during an upgrade).
    kubernetes_version: str
    cluster_name: pulumi.Input[str]
    # The EKS cluster: every add-on depends on it (the Kubernetes provider targets it).
    cluster: pulumi.Resource
    # None in a bootstrap run: Helm add-ons declare their role and Pod Identity association only.
    k8s_provider: pulumi.ProviderResource | None
    vpc_id: pulumi.Input[str]
    # Add-ons pinned to the system pool wait for its node group; other pod-running add-ons for every group.
    # None before the node groups exist (phase "before-nodes": no add-on there needs nodes).
    system_node_group: pulumi.Resource | None = None
    node_groups: Sequence[pulumi.Resource] = ()
    scheduling: Scheduling = field(default_factory=Scheduling)
    # The stack's KMS key: encrypts the gp3 StorageClass's volumes (the EBS CSI role may use it via EC2).
    volume_kms_key_arn: pulumi.Input[str] = ""
    # The EKS Pod Identity agent (part of the cluster): add-ons with a role get no credentials without it.
    pod_identity_agent: pulumi.Resource | None = None
    # Which add-ons this component installs (see `in_phase`).
    phase: Phase = "all"
    # Per-add-on resources are named `<resource_prefix>-<add-on>...` (default: the component's name). URNs carry
    # the parent's type, not its name: with one prefix for every phase an add-on keeps its URNs (no replacement)
    # whichever Addons component installs it.
    resource_prefix: str | None = None
    # The minor Helm add-ons and the add-on namespaces follow (per-minor images, Pod Security version labels); default
    # `kubernetes_version` (platform:cluster.dataPlane.charts during an upgrade).
    charts_kubernetes_version: str | None = None

    @property
    def charts_minor(self) -> str:
        return self.charts_kubernetes_version or self.kubernetes_version

    def minor_for(self, spec: AddonSpec) -> str:
        """The minor an add-on's builders see: the EKS add-on layer's or the charts layer's."""
        return self.kubernetes_version if spec.kind == "eks" else self.charts_minor

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"unknown add-on phase {self.phase!r}: expected one of {', '.join(PHASES)}")

    @staticmethod
    def for_stack(cfg: Any, cluster: Any, node_pools: Any, network: Any, *, phase: Phase = "all") -> AddonsArgs:
        """Arguments from the stack config and the cluster, node pool and network components (`node_pools` is
        None for the "before-nodes" phase, declared before the node groups)."""
        from components.config.node_pools import SYSTEM_POOL, effective_labels, effective_taints

        system_pool = next(p for p in cfg.node_pools if p.name == SYSTEM_POOL)
        groups = getattr(node_pools, "node_groups", ())
        groups = list(groups.values()) if isinstance(groups, Mapping) else list(groups)
        return AddonsArgs(
            config=cfg.addons,
            environment=cfg.environment.name,
            production=cfg.production,
            region=cfg.region,
            kubernetes_version=cfg.cluster.addons_version,
            charts_kubernetes_version=cfg.cluster.charts_version,
            cluster_name=cluster.cluster_name,
            cluster=cluster.eks,
            k8s_provider=cluster.k8s_provider,
            vpc_id=network.vpc_id,
            system_node_group=getattr(node_pools, "system_node_group", None),
            node_groups=groups,
            scheduling=system_scheduling(effective_labels(system_pool), effective_taints(system_pool)),
            # The node volume key (root volumes, Karpenter's too); none yet before the node pools.
            volume_kms_key_arn=_volume_key(cluster, node_pools),
            pod_identity_agent=getattr(cluster, "pod_identity_addon", None),
            phase=phase,
            resource_prefix=f"{cfg.environment.name}-addons",
        )


def _volume_key(cluster: Any, node_pools: Any) -> pulumi.Input[str]:
    if node_pools is None:
        return ""
    key = getattr(node_pools, "volume_kms_key", None)
    # A cluster without a node volume key (test fakes): its secrets key.
    return (key if key is not None else cluster.secrets_kms_key).arn


def system_scheduling(labels: Mapping[str, str], taints: Sequence[Mapping[str, str]]) -> Scheduling:
    """Select the system pool by its pool label and tolerate its taints."""
    from components.config.node_pools import POOL_LABEL

    selector = {POOL_LABEL: labels[POOL_LABEL]} if POOL_LABEL in labels else dict(labels)
    tolerations = tuple(
        {"key": t["key"], "operator": "Equal", "value": t.get("value", ""), "effect": t["effect"]} for t in taints
    )
    return Scheduling(node_selector=selector, tolerations=tolerations)


def install_order(names: Sequence[str], enabled: set[str] | frozenset[str] | None = None) -> list[str]:
    """`names` (enabled add-ons of one phase) with declared dependencies first (stable otherwise). `enabled`: every
    enabled add-on of the stack (default: `names`)."""
    enabled = set(names) if enabled is None else set(enabled)
    done: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in path:
            raise ValueError(f"add-on dependency cycle: {' -> '.join((*path, name))}")
        for dep in dependencies(CATALOG[name], enabled):
            visit(dep, (*path, name))
        done.append(name)

    for name in names:
        visit(name, ())
    return done


def dependencies(spec: AddonSpec, enabled: set[str] | frozenset[str]) -> list[str]:
    """The add-ons `spec` waits for: its hard dependencies and its optional ones that are enabled."""
    missing = [d for d in spec.depends_on if d not in enabled]
    if missing:
        raise ValueError(f"{spec.name} needs {', '.join(missing)} enabled")
    waits_for = [*spec.depends_on, *(d for d in spec.optional_after if d in enabled)]
    # Each phase is its own component: an add-on can only wait for one installed in the same phase.
    crossing = [d for d in waits_for if d in CATALOG and CATALOG[d].before_nodes != spec.before_nodes]
    if crossing:
        where = "after" if spec.before_nodes else "before"
        raise ValueError(
            f"{spec.name} waits for {', '.join(crossing)}, installed {where} the node groups: "
            "an add-on can only wait for add-ons of its own phase (AddonSpec.before_nodes)"
        )
    return waits_for


def role_name(cluster_name: str, addon: str) -> str:
    """The IAM role's physical name: unique per cluster, readable, within IAM's 64 characters."""
    return f"{cluster_name}-{addon}"[:64]


class Addons(pulumi.ComponentResource):
    """The enabled add-ons of a stack, or of one phase of it (`AddonsArgs.phase`)."""

    enabled: list[str]  # what this component installs (catalog order)
    role_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AddonsArgs, opts: pulumi.ResourceOptions | None = None):
        # Every enabled add-on of the stack (what specs see as `ctx.enabled`); this component installs its phase's.
        enabled = frozenset(enabled_addons(args.config, args.production))
        mine = [n for n in enabled_addons(args.config, args.production) if in_phase(CATALOG[n], args.phase)]
        order = install_order(mine, enabled)
        if args.system_node_group is None and (needy := [n for n in mine if CATALOG[n].needs_nodes]):
            raise ValueError(
                f"{name}: {', '.join(needy)} need nodes, but no system_node_group was given "
                f"(phase {args.phase!r}; add-ons installed before the node groups must not need nodes)"
            )
        if not args.volume_kms_key_arn and (
            keyed := [n for n in mine if "volume_kms_key_arn" in _fields_used(CATALOG[n], args)]
        ):
            raise ValueError(
                f"{name}: {', '.join(keyed)} use the node volume key, but none was given "
                f"(phase {args.phase!r}; the node pools create it)"
            )
        super().__init__("eks-platform:addons:Addons", name, None, opts)
        self._name = name
        self._prefix = args.resource_prefix or name
        self._args = args
        self.phase = args.phase
        self.enabled = mine

        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        # Invoke results and the cluster's name; the VPC and the volume key are added per add-on (_context).
        self._identity = pulumi.Output.all(identity.account_id, partition.partition, args.cluster_name)
        self._account_id = identity.account_id

        self._log_groups = self._create_log_groups(enabled)

        self.role_arns: dict[str, pulumi.Output[str]] = {}
        self._installed: dict[str, pulumi.Resource | None] = {}
        summary: dict[str, Any] = {}
        for addon in order:
            spec = CATALOG[addon]
            ctx = self._context(spec, enabled)
            role_arn = self._role(spec, ctx) if spec.has_role(args.config) else None
            if spec.kind == "eks":
                self._installed[addon] = self._eks_addon(spec, ctx, role_arn)
            else:
                self._installed[addon] = self._helm_addon(spec, ctx, role_arn, enabled)
            summary[addon] = {
                "kind": spec.kind,
                "version": spec.version(args.kubernetes_version),
                "namespace": spec.namespace,
                "serviceAccount": spec.service_account.name if spec.service_account else None,
                "roleArn": role_arn,
            }

        if "aws-ebs-csi-driver" in self.enabled and args.k8s_provider is not None:
            self._storage_classes()

        self.summary = summary
        self.register_outputs({"enabled": self.enabled, "roleArns": self.role_arns, "addons": summary})

    # ------------------------------------------------------------------------------------------ context

    def _context(self, spec: AddonSpec, enabled: frozenset[str]) -> pulumi.Output[AddonContext]:
        a = self._args
        extra: Mapping[str, Any] = {}
        if spec.provision is not None:
            extra = spec.provision(
                self,
                f"{self._prefix}-{spec.name}",
                a.environment,
                self._account_id,
                pulumi.ResourceOptions(parent=self),
            )
        extras = pulumi.Output.all(**extra) if extra else pulumi.Output.from_input({})

        # Only the outputs this add-on's builders read become its inputs (and so its dependencies): coredns does
        # not wait for the VPC, nor vpc-cni for the volume key.
        used = _fields_used(spec, a)
        vpc_id = a.vpc_id if "vpc_id" in used else ""
        key_arn = a.volume_kms_key_arn if "volume_kms_key_arn" in used else ""

        def build(values: list[Any]) -> AddonContext:
            (account_id, partition, cluster_name), vpc, key, resolved = values
            return AddonContext(
                environment=a.environment,
                production=a.production,
                region=a.region,
                partition=partition,
                account_id=account_id,
                cluster_name=cluster_name,
                kubernetes_version=a.minor_for(spec),
                vpc_id=vpc,
                settings=a.config.settings(spec.name),
                addons=a.config,
                enabled=enabled,
                system=a.scheduling,
                volume_kms_key_arn=key or "",
                extra=dict(resolved),
            )

        return pulumi.Output.all(self._identity, vpc_id, key_arn, extras).apply(build)

    # ------------------------------------------------------------------------------------------ AWS side

    def _tags(self, what: str) -> dict[str, str]:
        return naming.name_tag(self._args.environment, what)

    def _role(self, spec: AddonSpec, ctx: pulumi.Output[AddonContext]) -> pulumi.Output[str]:
        sa = spec.service_account
        assert sa is not None and spec.policy is not None
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{self._prefix}-{spec.name}-role",
            name=ctx.apply(lambda c: role_name(c.cluster_name, spec.name)),
            description=f"{spec.name} add-on: Pod Identity of {sa.namespace}/{sa.name}",
            assume_role_policy=ctx.apply(
                lambda c: json.dumps(iam.pod_identity_trust_policy(c.account_id, c.cluster_arn, sa.namespace, sa.name))
            ),
            tags=self._tags(f"{spec.name}-role"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{self._prefix}-{spec.name}-policy",
            role=role.id,
            policy=ctx.apply(lambda c: json.dumps(spec.policy(c))),
            opts=child,
        )
        self.role_arns[spec.name] = role.arn
        return role.arn

    def _create_log_groups(self, enabled: frozenset[str]) -> dict[str, aws.cloudwatch.LogGroup]:
        """The add-ons' log groups, with retention and one rotating KMS key that only they may use."""
        a = self._args
        wanted: dict[str, str] = {}  # log group name -> add-on
        for addon in self.enabled:
            spec = CATALOG[addon]
            for log_group in spec.log_groups(_naming_context(a, spec)):
                wanted[log_group] = addon
        if not wanted:
            return {}
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(
            f"{self._name}-logs-key",
            description=f"{naming.PROJECT}-{a.environment}: add-on log groups",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=self._identity.apply(
                lambda b: json.dumps(
                    iam.logs_key_policy(
                        b[0], a.region, [f"arn:{b[1]}:logs:{a.region}:{b[0]}:log-group:{n}" for n in wanted], b[1]
                    )
                )
            ),
            tags=self._tags("addons-logs-key"),
            opts=child,
        )
        groups = {}
        for log_group, addon in wanted.items():
            index = sum(1 for other in groups if wanted[other] == addon)
            groups[log_group] = aws.cloudwatch.LogGroup(
                f"{self._prefix}-{addon}-logs" + (f"-{index}" if index else ""),
                name=log_group,
                kms_key_id=key.arn,
                retention_in_days=a.config.settings(addon).retention_days,
                tags=self._tags(f"{addon}-logs"),
                opts=pulumi.ResourceOptions(parent=self, protect=a.production),
            )
        return groups

    # --------------------------------------------------------------------------------------- EKS add-ons

    def _node_dependencies(self, spec: AddonSpec) -> list[pulumi.Resource]:
        if not spec.needs_nodes:
            return []
        if spec.node_pool == "system":
            return [self._args.system_node_group]
        groups = list(self._args.node_groups) or [self._args.system_node_group]
        return groups

    def _agent(self, role_arn: Any) -> list[pulumi.Resource]:
        agent = self._args.pod_identity_agent
        return [agent] if role_arn is not None and agent is not None else []

    def _eks_addon(self, spec: AddonSpec, ctx: pulumi.Output[AddonContext], role_arn: Any) -> aws.eks.Addon:
        a = self._args
        sa = spec.service_account
        associations = (
            [aws.eks.AddonPodIdentityAssociationArgs(role_arn=role_arn, service_account=sa.name)]
            if role_arn is not None and sa is not None
            else None
        )
        log_groups = [g for n, g in self._log_groups.items() if n in spec.log_groups(_naming_context(a, spec))]
        return aws.eks.Addon(
            f"{self._prefix}-{spec.name}",
            cluster_name=a.cluster_name,
            addon_name=spec.name,
            addon_version=spec.version(a.kubernetes_version),
            configuration_values=ctx.apply(lambda c: _configuration_values(spec.build_values(c))),
            # Take over what EKS bootstrapped, and let upgrades overwrite fields that drifted.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            pod_identity_associations=associations,
            tags=self._tags(spec.name),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[a.cluster, *self._node_dependencies(spec), *log_groups, *self._agent(role_arn)],
            ),
        )

    # -------------------------------------------------------------------------------------- Helm add-ons

    def _helm_addon(
        self, spec: AddonSpec, ctx: pulumi.Output[AddonContext], role_arn: Any, enabled: frozenset[str]
    ) -> pulumi.Resource | None:
        a = self._args
        if a.k8s_provider is None:  # bootstrap run: the AWS side only (its role is declared already)
            return self._pod_identity_association(spec, role_arn)
        on_k8s = pulumi.ResourceOptions(parent=self, provider=a.k8s_provider)
        deps: list[pulumi.Resource] = [a.cluster, *self._node_dependencies(spec), *self._agent(role_arn)]
        deps += [r for d in dependencies(spec, enabled) if (r := self._installed[d]) is not None]
        deps += [g for n, g in self._log_groups.items() if n in spec.log_groups(_naming_context(a, spec))]

        if spec.own_namespace_ingress_ports is not None:
            ns = kube.namespace(spec, a.charts_minor)
            namespace = k8s.core.v1.Namespace(f"{self._prefix}-{spec.name}-ns", metadata=ns["metadata"], opts=on_k8s)
            ns_opts = pulumi.ResourceOptions(parent=self, provider=a.k8s_provider, depends_on=[namespace])
            for policy in (kube.default_deny(spec), kube.addon_traffic(spec)):
                deps.append(
                    k8s.networking.v1.NetworkPolicy(
                        f"{self._prefix}-{spec.name}-{policy['metadata']['name'].removeprefix(spec.name + '-')}",
                        metadata=policy["metadata"],
                        spec=policy["spec"],
                        opts=ns_opts,
                    )
                )
            deps.append(namespace)

        # Pods get credentials only if the association exists when they are created.
        association = self._pod_identity_association(spec, role_arn)
        if association is not None:
            deps.append(association)

        values = ctx.apply(spec.build_values)
        opts = pulumi.ResourceOptions(parent=self, provider=a.k8s_provider, depends_on=deps)
        if spec.install_with == "release":
            installed: pulumi.Resource = k8s.helm.v3.Release(
                f"{self._prefix}-{spec.name}",
                k8s.helm.v3.ReleaseArgs(
                    name=spec.name,
                    **chart_source(spec.name, release=True),
                    namespace=spec.namespace,
                    values=values,
                    # Helm hooks run; a failed install or upgrade rolls back and cleans up after itself.
                    atomic=True,
                    cleanup_on_fail=True,
                    skip_await=False,
                ),
                opts=opts,
            )
        else:
            installed = k8s.helm.v4.Chart(
                f"{self._prefix}-{spec.name}",
                k8s.helm.v4.ChartArgs(
                    name=spec.name,
                    **chart_source(spec.name),
                    namespace=spec.namespace,
                    values=values,
                ),
                opts=opts,
            )

        objects = ctx.apply(spec.after_install)
        for key, static in spec.after_install(_naming_context(a, spec)).items():
            # Kind and name are known up front; the body may hold outputs (region, ARNs).
            k8s.apiextensions.CustomResource(
                f"{self._prefix}-{spec.name}-{key}",
                api_version=static["apiVersion"],
                kind=static["kind"],
                metadata=static["metadata"],
                spec=objects.apply(lambda o, k=key: o[k]["spec"]),
                opts=pulumi.ResourceOptions(parent=self, provider=a.k8s_provider, depends_on=[installed]),
            )
        return installed

    def _pod_identity_association(self, spec: AddonSpec, role_arn: Any) -> aws.eks.PodIdentityAssociation | None:
        a, sa = self._args, spec.service_account
        if role_arn is None or sa is None:
            return None
        return aws.eks.PodIdentityAssociation(
            f"{self._prefix}-{spec.name}-pod-identity",
            cluster_name=a.cluster_name,
            namespace=sa.namespace,
            service_account=sa.name,
            role_arn=role_arn,
            tags=self._tags(f"{spec.name}-pod-identity"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[a.cluster]),
        )

    # ----------------------------------------------------------------------------------------- storage

    def _storage_classes(self) -> None:
        a = self._args
        on_k8s = pulumi.ResourceOptions(parent=self, provider=a.k8s_provider, depends_on=[a.cluster])
        sc = pulumi.Output.from_input(a.volume_kms_key_arn).apply(kube.gp3_storage_class)
        k8s.storage.v1.StorageClass(
            f"{self._name}-gp3",
            metadata=sc["metadata"],
            provisioner=sc["provisioner"],
            parameters=sc["parameters"],
            volume_binding_mode=sc["volumeBindingMode"],
            allow_volume_expansion=sc["allowVolumeExpansion"],
            reclaim_policy=sc["reclaimPolicy"],
            opts=on_k8s,
        )
        k8s.storage.v1.StorageClassPatch(
            f"{self._name}-gp2-not-default", metadata=kube.gp2_not_default()["metadata"], opts=on_k8s
        )


@dataclass(frozen=True)
class InstalledAddons:
    """The Addons components of one stack (its phases) seen as one: what the stack exports and GitOps gets."""

    components: tuple[Addons, ...]
    enabled: list[str]  # catalog order
    role_arns: dict[str, pulumi.Output[str]]
    summary: dict[str, Any]


def combine(*components: Addons) -> InstalledAddons:
    """Merge the phases' enabled add-ons, role ARNs and summaries; an add-on installed twice is an error."""
    installed_by: dict[str, str] = {}
    for component in components:
        for addon in component.enabled:
            if addon in installed_by:
                raise ValueError(
                    f"add-on {addon} is installed by two Addons components "
                    f"(phases {installed_by[addon]!r} and {component.phase!r})"
                )
            installed_by[addon] = component.phase
    order = [name for name in CATALOG if name in installed_by]
    role_arns = {k: v for c in components for k, v in c.role_arns.items()}
    summary = {k: v for c in components for k, v in c.summary.items()}
    return InstalledAddons(
        components=tuple(components),
        enabled=order,
        role_arns={n: role_arns[n] for n in order if n in role_arns},
        summary={n: summary[n] for n in order},
    )


PROBE = {"vpc_id": "vpc-0probe0probe0probe", "volume_kms_key_arn": "arn:aws:kms:probe:000000000000:key/probe"}


def _fields_used(spec: AddonSpec, a: AddonsArgs) -> set[str]:
    """Which resource-output fields of the context a spec's builders read: build everything once with probe
    values and look for them (builders are pure, so this is exact for the given config)."""
    from dataclasses import replace

    ctx = replace(_naming_context(a, spec), **PROBE)
    built = [spec.build_values(ctx), spec.after_install(ctx)]
    if spec.has_role(a.config):
        built.append(spec.policy(ctx))
    text = json.dumps(built, default=str)
    return {name for name, probe in PROBE.items() if probe in text}


def _configuration_values(values: Mapping[str, Any]) -> str | None:
    return json.dumps(values, sort_keys=True) if values else None


def _naming_context(a: AddonsArgs, spec: AddonSpec) -> AddonContext:
    """A context with the statically known fields (names, not ARNs) for decisions made before outputs resolve:
    which log groups and which post-install objects an add-on has. Builders that read unknown fields get ""."""
    return AddonContext(
        environment=a.environment,
        production=a.production,
        region=a.region,
        partition="aws",
        account_id="",
        cluster_name=naming.cluster_name(a.environment),
        kubernetes_version=a.minor_for(spec),
        vpc_id="",
        settings=a.config.settings(spec.name),
        addons=a.config,
        enabled=frozenset(enabled_addons(a.config, a.production)),
        system=a.scheduling,
        extra={"bucket": "", "bucketKeyArn": ""},
    )
