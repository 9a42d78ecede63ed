"""Cross-field and per-environment checks that need the whole, structurally valid config."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components import aws_regions, netmath

from . import accelerators
from .node_pools import SYSTEM_POOL, architecture, pool_problems, reserved_label_problem, size_problems
from .problems import Problem, render_value

if TYPE_CHECKING:
    from .environment import EnvironmentConfig, TagsConfig
    from .stack import StackConfig

OPEN_TO_WORLD = ("0.0.0.0/0", "::/0")


def full_tags(environment: EnvironmentConfig, tags: TagsConfig) -> dict[str, str]:
    return {"environment": environment.name, "managed-by": "pulumi", **tags.root}


def semantic_problems(cfg: StackConfig) -> list[Problem]:
    """Every cross-field problem. `cfg` may be partial (sections that failed validation are missing):
    a check that needs a missing section is skipped, so structural and semantic problems show together."""
    out: list[Problem] = []
    for check in (
        _environment,
        _network,
        _cluster,
        _data_plane,
        _node_pools,
        _karpenter,
        _data,
        _addons,
        _deploy_runner,
    ):
        try:
            out.extend(check(cfg))
        except MissingSection:
            continue
    return out


def semantic_warnings(cfg: StackConfig) -> list[Problem]:
    """What is allowed but probably a mistake (printed, never fatal): a VPC in public address space, GPU nodes
    without a device plugin."""
    out: list[Problem] = []
    vpc = cfg.network.vpc_cidr
    if not netmath.is_private(vpc):
        out.append(
            Problem(
                "platform:network.vpcCidr",
                "is public address space, not a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "
                "100.64.0.0/10): the Internet hosts it covers become unreachable from this VPC",
                vpc,
            )
        )
    plugin = cfg.addons.nvidia_device_plugin.enabled
    if plugin is False and any(accelerators.of_ami(p.ami_type) == "nvidia" for p in cfg.node_pools):
        out.append(
            Problem(
                "platform:addons.nvidiaDevicePlugin.enabled",
                "is false but a node pool has NVIDIA GPUs: without a device plugin they advertise no nvidia.com/gpu "
                "(fine only if you install one yourself, e.g. the GPU Operator)",
                False,
            )
        )
    return out


class MissingSection(Exception):
    """Raised by a partial config when a check reads a section that did not validate."""


def _environment(cfg: StackConfig) -> list[Problem]:
    """The environment is the stack: names, tags, GitOps values and policy config all follow one name."""
    env = cfg.environment
    if cfg.stack and env.name != cfg.stack:
        return [
            Problem(
                "platform:environment.name",
                f"must equal the stack name {cfg.stack!r} (Pulumi.{cfg.stack}.yaml): resource names, tags, "
                "platform/ values and the policy config follow it; rename the file or set the name",
                env.name,
            )
        ]
    return []


def _addons(cfg: StackConfig) -> list[Problem]:
    # Lives beside the add-ons section (it reads the add-on catalog's defaults).
    from .addons import addon_problems

    return addon_problems(cfg)


def _network(cfg: StackConfig) -> list[Problem]:
    n = cfg.network
    out: list[Problem] = []
    key = "platform:network"
    explicit = {"publicSubnetCidrs": n.public_subnet_cidrs, "privateSubnetCidrs": n.private_subnet_cidrs}
    given = {k: v for k, v in explicit.items() if v is not None}
    if len(given) == 1:
        missing = next(k for k in explicit if k not in given)
        out.append(
            Problem(
                f"{key}.{missing}",
                f"must be given together with {next(iter(given))} (or leave both out to compute them)",
            )
        )
    for name, cidrs in given.items():
        if len(cidrs) != n.az_count:
            out.append(Problem(f"{key}.{name}", f"needs exactly one CIDR per AZ (azCount={n.az_count})", cidrs))
        for i, cidr in enumerate(cidrs):
            if not netmath.within(cidr, n.vpc_cidr):
                out.append(Problem(f"{key}.{name}[{i}]", f"does not fit in vpcCidr {n.vpc_cidr}", cidr))
    if len(given) == 2:
        listed = [
            *((f"publicSubnetCidrs[{i}]", c) for i, c in enumerate(n.public_subnet_cidrs)),
            *((f"privateSubnetCidrs[{i}]", c) for i, c in enumerate(n.private_subnet_cidrs)),
        ]
        for (first, a), (second, b) in netmath.overlapping_pairs(listed):
            out.append(Problem(f"{key}.{second}", f"overlaps {first} ({a})", b))
        for i, cidr in enumerate(n.public_subnet_cidrs):
            if netmath.prefix_length(cidr) > netmath.ALB_MIN_PREFIX:
                out.append(
                    Problem(
                        f"{key}.publicSubnetCidrs[{i}]",
                        f"is smaller than /{netmath.ALB_MIN_PREFIX}: a load balancer subnet needs at least a "
                        f"/{netmath.ALB_MIN_PREFIX} with 8 free addresses",
                        cidr,
                    )
                )
    elif not given:
        try:
            layout = netmath.compute_subnets(n.vpc_cidr, n.az_count)
        except ValueError as exc:
            out.append(Problem(f"{key}.vpcCidr", str(exc), n.vpc_cidr))
        else:
            small = netmath.prefix_length(layout.public[0])
            if small > netmath.ALB_MIN_PREFIX:
                out.append(
                    Problem(
                        f"{key}.vpcCidr",
                        f"is too small for {n.az_count} AZs: its public subnets would be /{small}, and a load "
                        f"balancer subnet needs at least a /{netmath.ALB_MIN_PREFIX} (use a larger vpcCidr, fewer "
                        "AZs, or explicit publicSubnetCidrs)",
                        n.vpc_cidr,
                    )
                )
    region = aws_regions.region(cfg.region) if isinstance(cfg.region, str) else None
    if region is not None and n.az_count > region.az_count:
        out.append(
            Problem(
                f"{key}.azCount",
                f"{region.name} has {region.az_count} Availability Zones ({', '.join(region.zone_names)})",
                n.az_count,
            )
        )
    if netmath.overlapping([n.vpc_cidr, cfg.cluster.service_ipv4_cidr]):
        out.append(
            Problem(
                "platform:cluster.serviceIpv4Cidr", f"overlaps the VPC CIDR {n.vpc_cidr}", cfg.cluster.service_ipv4_cidr
            )
        )
    if cfg.production:
        if n.az_count < 3:
            out.append(Problem(f"{key}.azCount", "must be at least 3 in production", n.az_count))
        if n.nat_gateways != "perAz":
            out.append(
                Problem(f"{key}.natGateways", "must be 'perAz' in production (one NAT gateway per AZ)", n.nat_gateways)
            )
    return out


def _cluster(cfg: StackConfig) -> list[Problem]:
    c = cfg.cluster
    out: list[Problem] = []
    key = "platform:cluster"
    ep = c.endpoint
    if ep.public_access and not ep.public_access_cidrs:
        out.append(
            Problem(
                f"{key}.endpoint.publicAccessCidrs",
                "must list the CIDRs allowed to reach the public endpoint (an empty list means 0.0.0.0/0)",
                [],
            )
        )
    if cfg.production:
        for i, cidr in enumerate(ep.public_access_cidrs if ep.public_access else []):
            if cidr in OPEN_TO_WORLD:
                out.append(
                    Problem(
                        f"{key}.endpoint.publicAccessCidrs[{i}]",
                        "the public endpoint must not be open to the whole internet in production",
                        cidr,
                    )
                )
        if not c.deletion_protection:
            out.append(Problem(f"{key}.deletionProtection", "must be true in production", False))
    if not ep.public_access and ep.public_access_cidrs:
        out.append(
            Problem(
                f"{key}.endpoint.publicAccessCidrs",
                "is set but publicAccess is false (the CIDRs apply only to the public endpoint)",
                ep.public_access_cidrs,
            )
        )
    out.extend(_access(c.access, f"{key}.access"))
    return out


def _data_plane(cfg: StackConfig) -> list[Problem]:
    """`platform:cluster.dataPlane`: layers held one minor below the control plane during `platformctl upgrade`."""
    from components.version_matrix import minor_key

    c = cfg.cluster
    key = "platform:cluster.dataPlane"
    layers: list[tuple[str, str]] = []
    for name, value in (("addons", c.data_plane.addons), ("charts", c.data_plane.charts)):
        if value is not None:
            layers.append((name, value))
    layers += [(f"nodeGroups.{pool}", v) for pool, v in c.data_plane.node_groups.items()]
    if c.data_plane.karpenter is not None:
        layers.append(("karpenter", c.data_plane.karpenter))
    out: list[Problem] = []
    major, minor = minor_key(c.version)
    ahead = (
        f"is newer than the control plane's version {c.version} (nodes and add-ons never run ahead of the API server)"
    )
    behind = f"may be at most one minor below version {c.version} (an upgrade moves one minor at a time)"
    for where, value in layers:
        got = minor_key(value)
        if got > (major, minor):
            out.append(Problem(f"{key}.{where}", ahead, value))
        elif got not in ((major, minor), (major, minor - 1)):
            out.append(Problem(f"{key}.{where}", behind, value))
    pools = {p.name for p in cfg.node_pools}
    for pool in c.data_plane.node_groups:
        if pool not in pools:
            listed = ", ".join(sorted(pools))
            out.append(
                Problem(f"{key}.nodeGroups.{pool}", f"is not a managed node pool (platform:nodePools: {listed})")
            )
    if c.data_plane.karpenter is not None and not cfg.karpenter.enabled:
        out.append(Problem(f"{key}.karpenter", "is set but Karpenter is off (platform:karpenter.enabled)"))
    return out


def _access(access, key: str) -> list[Problem]:
    """One access entry per IAM role: a role listed twice would be two conflicting entries."""
    out: list[Problem] = []
    first: dict[str, str] = {}
    listed = [
        *((f"adminRoleArns[{i}]", a) for i, a in enumerate(access.admin_role_arns)),
        *((f"readOnlyRoleArns[{i}]", a) for i, a in enumerate(access.read_only_role_arns)),
        *((f"teams[{i}].roleArn", t.role_arn) for i, t in enumerate(access.teams)),
    ]
    for where, arn in listed:
        if arn in first:
            out.append(Problem(f"{key}.{where}", f"is already listed as {first[arn]} (one access entry per role)", arn))
        else:
            first[arn] = where
    seen: set[str] = set()
    owner: dict[str, str] = {}  # namespace -> team
    for i, team in enumerate(access.teams):
        if team.name in seen:
            out.append(Problem(f"{key}.teams[{i}].name", "is used by another team", team.name))
        seen.add(team.name)
        for j, namespace in enumerate(team.namespaces):
            where = f"{key}.teams[{i}].namespaces[{j}]"
            reason = reserved_namespace(namespace)
            if reason:
                out.append(Problem(where, f"is reserved: {reason}", namespace))
            elif owner.get(namespace) == team.name:
                out.append(Problem(where, "is listed twice", namespace))
            elif namespace in owner:
                out.append(Problem(where, f"is already team {owner[namespace]}'s (one team per namespace)", namespace))
            else:
                owner[namespace] = team.name
    return out


# The namespace Argo CD runs in (components/gitops.py NAMESPACE; a test keeps them equal).
GITOPS_NAMESPACE = "argocd"


def reserved_namespaces() -> dict[str, str]:
    """Namespaces no team may own, with why: the platform's and every catalog add-on's."""
    from components.addons.catalog import CATALOG

    out = {
        "default": "the default namespace holds no team's workloads",
        GITOPS_NAMESPACE: "Argo CD runs there (platform:gitops)",
        "karpenter": "Karpenter's conventional namespace",
    }
    for spec in CATALOG.values():
        out.setdefault(spec.namespace, f"the {spec.name} add-on's namespace")
    return out


def reserved_namespace(namespace: str) -> str | None:
    """Why a team may not own `namespace`, or None."""
    if namespace.startswith("kube-"):
        return "kube-* namespaces are Kubernetes' own"
    return reserved_namespaces().get(namespace)


def _node_pools(cfg: StackConfig) -> list[Problem]:
    out: list[Problem] = []
    seen: set[str] = set()
    for i, pool in enumerate(cfg.node_pools):
        key = f"platform:nodePools[{i}]"
        if pool.name in seen:
            out.append(Problem(f"{key}.name", "is used by another pool", pool.name))
        seen.add(pool.name)
        for field, message, got in [*size_problems(pool), *pool_problems(pool, cfg.production)]:
            out.append(Problem(f"{key}.{field}", message, got))
    if SYSTEM_POOL not in seen:
        out.append(
            Problem(
                "platform:nodePools",
                f"must include a pool named {SYSTEM_POOL!r} (cluster add-ons run there)",
                sorted(seen),
            )
        )
    return out


def _karpenter(cfg: StackConfig) -> list[Problem]:
    k = cfg.karpenter
    out: list[Problem] = []
    key = "platform:karpenter"
    if not k.enabled:
        return out
    if not k.node_pools:
        out.append(Problem(f"{key}.nodePools", "must list at least one NodePool when Karpenter is enabled", []))
    if cfg.production and not k.ami_pinned:
        out.append(
            Problem(
                f"{key}.amiSelectorAlias",
                f"must pin an AMI release in production (e.g. {k.ami_family}@v20260818), not @latest",
                k.ami_selector_alias,
            )
        )
    seen: set[str] = set()
    for i, pool in enumerate(k.node_pools):
        where = f"{key}.nodePools[{i}]"
        if pool.name in seen:
            out.append(Problem(f"{where}.name", "is used by another NodePool", pool.name))
        elif pool.name == SYSTEM_POOL:
            out.append(
                Problem(f"{where}.name", f"{SYSTEM_POOL!r} is the managed node pool that runs Karpenter", pool.name)
            )
        seen.add(pool.name)
        for j, family in enumerate(pool.instance_families):
            arch = architecture(family)
            if arch not in pool.architectures:
                out.append(
                    Problem(
                        f"{where}.instanceFamilies[{j}]",
                        f"is an {arch} family but architectures is {render_value(pool.architectures)}",
                        family,
                    )
                )
        for label, value in pool.labels.items():
            problem = reserved_label_problem(label)
            if problem:
                out.append(Problem(f"{where}.labels.{label}", problem, value))
        out.extend(_karpenter_accelerator(pool, where, k.ami_family))
    return out


def _karpenter_accelerator(pool, where: str, ami_family: str) -> list[Problem]:
    """An accelerator NodePool says so (`accelerator`), bounds its devices, and lists only its kind of family."""
    out: list[Problem] = []
    kind = pool.accelerator
    for j, family in enumerate(pool.instance_families):
        has = accelerators.of_family(family)
        if has != kind:
            fix = f"set accelerator: {has}" if has and not kind else "list only families of its accelerator"
            what = accelerators.NAMES[has] if has else "a family without accelerator"
            out.append(Problem(f"{where}.instanceFamilies[{j}]", f"is {what} ({fix})", family))
    if kind is None:
        for j, category in enumerate(pool.instance_categories):
            if category in accelerators.ACCELERATED_CATEGORIES:
                out.append(
                    Problem(
                        f"{where}.instanceCategories[{j}]",
                        "holds GPU/Neuron instances: make it an accelerator NodePool (accelerator: nvidia or neuron) "
                        "so they get the taint and device plugin, or drop the category",
                        category,
                    )
                )
    for owner, resource in accelerators.RESOURCES.items():
        if pool.limits.of(resource) is not None and kind != owner:
            out.append(Problem(f"{where}.limits.{resource}", f"limits {resource}: set accelerator: {owner}"))
    if kind is not None:
        resource = accelerators.RESOURCES[kind]
        if pool.limits.of(resource) is None:
            out.append(
                Problem(
                    f"{where}.limits",
                    f"must bound {resource} for an accelerator NodePool (e.g. {resource}: 8): the most devices it buys",
                )
            )
        if ami_family != "al2023":
            out.append(
                Problem(
                    f"{where}.accelerator",
                    f"needs the al2023 AMI family (amiSelectorAlias): {ami_family} runs its own device plugin, "
                    "which would clash with the catalog's",
                    kind,
                )
            )
    return out


def _data(cfg: StackConfig) -> list[Problem]:
    from components.versions import AURORA_POSTGRES_VERSIONS, POSTGRES_VERSIONS

    from .data import MIN_PROD_BACKUP_RETENTION_DAYS

    d = cfg.data
    out: list[Problem] = []
    key = "platform:data"
    db = d.database
    if db is not None:
        engine, supported = (
            ("Aurora PostgreSQL", AURORA_POSTGRES_VERSIONS) if db.aurora else ("PostgreSQL", POSTGRES_VERSIONS)
        )
        if db.engine_version not in supported:
            out.append(
                Problem(
                    f"{key}.database.engineVersion",
                    f"is not a supported {engine} version; supported: {', '.join(supported)}",
                    db.engine_version,
                )
            )
        if db.max_allocated_storage is not None and db.max_allocated_storage <= db.allocated_storage:
            out.append(
                Problem(
                    f"{key}.database.maxAllocatedStorage",
                    f"must be greater than allocatedStorage ({db.allocated_storage}) or left out",
                    db.max_allocated_storage,
                )
            )
        if cfg.production:
            if db.backup_retention_days < MIN_PROD_BACKUP_RETENTION_DAYS:
                out.append(
                    Problem(
                        f"{key}.database.backupRetentionDays",
                        f"must be at least {MIN_PROD_BACKUP_RETENTION_DAYS} in production",
                        db.backup_retention_days,
                    )
                )
            if not db.multi_az:
                out.append(Problem(f"{key}.database.multiAz", "must be true in production", False))
    if d.build_access is not None and d.registries is None:
        out.append(
            Problem(f"{key}.buildAccess", "needs platform:data.registries (the repositories the build role pushes to)")
        )
    return out


def _deploy_runner(cfg: StackConfig) -> list[Problem]:
    """An enabled runner needs its repository, connection and deploy role; its roles get access entries of their
    own (the deploy role the deployer's), so they must be in the stack's account and in no other entry."""
    r = cfg.deploy_runner
    key = "platform:deployRunner"
    if not r.enabled:
        return []
    out = [
        Problem(f"{key}.{name}", "is required when enabled")
        for name, value in (
            ("githubRepository", r.github_repository),
            ("connectionArn", r.connection_arn),
            ("deployRoleArn", r.deploy_role_arn),
        )
        if value is None
    ]
    account = cfg.environment.account
    access = cfg.cluster.access
    listed = {
        **{a: f"readOnlyRoleArns[{i}]" for i, a in enumerate(access.read_only_role_arns)},
        **{t.role_arn: f"teams[{i}].roleArn" for i, t in enumerate(access.teams)},
        **{a: f"adminRoleArns[{i}]" for i, a in enumerate(access.admin_role_arns)},
    }
    for name, arn in (("deployRoleArn", r.deploy_role_arn), ("readRoleArn", r.read_role_arn)):
        if arn is None:
            continue
        if arn.split(":")[4] != account:
            out.append(Problem(f"{key}.{name}", f"is a role of another account than {account}", arn))
        where = listed.get(arn)
        if where and not (name == "deployRoleArn" and not access.deployer_admin and where.startswith("admin")):
            out.append(
                Problem(
                    f"{key}.{name}",
                    f"already has an access entry as platform:cluster.access.{where} (one access entry per role)",
                    arn,
                )
            )
    if r.read_role_arn is not None and r.read_role_arn == r.deploy_role_arn:
        out.append(
            Problem(f"{key}.readRoleArn", "must differ from deployRoleArn (read-only jobs get read-only access)")
        )
    if r.deploy_role_arn is not None and not access.deployer_admin and r.deploy_role_arn not in access.admin_role_arns:
        out.append(
            Problem(
                "platform:cluster.access.deployerAdmin",
                "is false, so the runner's deploy role (platform:deployRunner.deployRoleArn) would get no access to "
                "the cluster: set it to true (the role gets the deployer's admin entry) or list the role in "
                "adminRoleArns",
                False,
            )
        )
    return out
