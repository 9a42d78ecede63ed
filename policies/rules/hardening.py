"""AWS hardening rules, one function per policy: (type_token, props, ...config) -> list of messages.

Each message names the property that is wrong and what to set. Values unknown at preview never fail a rule.

pulumi-eks's components (`eks:index:Cluster`, `ManagedNodeGroup`, `NodeGroup`, `NodeGroupV2`) are remote components:
an analyzer sees them with no inputs, and judges the resources their provider registers (`aws:eks/cluster:Cluster`,
its security group rules, `aws:eks/nodeGroup:NodeGroup`, launch templates and configurations). So no rule reads a
component's inputs; the offline plan expands them the same way (platformctl/eks_model.py).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from typing import Any

from .config import resolve
from .values import as_list, get, is_set, is_unknown, number, show, truthy

Props = Mapping[str, Any]

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EC2_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
OPEN_CIDRS = ("0.0.0.0/0", "::/0")

# --- imdsv2-required


def _metadata_problems(opts: Any, where: str, max_hop_limit: int) -> list[str]:
    if is_unknown(opts):
        return []
    if not isinstance(opts, Mapping):
        return [
            f'`{where}` is not set: set `{{httpTokens: "required", httpPutResponseHopLimit: {max_hop_limit}}}` '
            "(the AMI default may allow IMDSv1 or a hop limit that lets pods reach the node role)"
        ]
    if opts.get("httpEndpoint") == "disabled":
        return []  # no metadata service at all
    out = []
    tokens = opts.get("httpTokens")
    if not is_unknown(tokens) and tokens != "required":
        out.append(f'`{where}.httpTokens` is {tokens!r}: set it to "required" (IMDSv2 only)')
    raw_hops = opts.get("httpPutResponseHopLimit")
    hops = number(raw_hops)
    if not is_unknown(raw_hops) and (hops is None or hops > max_hop_limit):
        got = "not set" if raw_hops is None else show(raw_hops)
        out.append(
            f"`{where}.httpPutResponseHopLimit` is {got}: set it to {max_hop_limit} so pods cannot reach the "
            "node's instance credentials"
        )
    return out


def check_imdsv2(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"maxHopLimit": int} (default 1)."""
    max_hop_limit = resolve("imdsv2-required", config)["maxHopLimit"]
    # A launch configuration is what pulumi-eks's self-managed NodeGroup registers (without metadataOptions).
    if type_token in (
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/launchConfiguration:LaunchConfiguration",
        "aws:ec2/instance:Instance",
    ):
        return _metadata_problems(props.get("metadataOptions"), "metadataOptions", max_hop_limit)
    if type_token == EC2_NODE_CLASS:
        # Karpenter's defaults are IMDSv2-only with hop limit 1, so only explicit settings can be wrong.
        opts = get(props, "spec.metadataOptions")
        if opts is None or is_unknown(opts) or not isinstance(opts, Mapping) or opts.get("httpEndpoint") == "disabled":
            return []
        defaults = {"httpTokens": "required", "httpPutResponseHopLimit": 1}
        return _metadata_problems({**defaults, **opts}, "spec.metadataOptions", max_hop_limit)
    if type_token == EKS_NODE_GROUP:
        if is_set(props.get("launchTemplate")):
            return []
        return [
            "no `launchTemplate`: the EKS default launch template allows a hop limit of 2; give the node group an "
            f'aws.ec2.LaunchTemplate with `metadataOptions: {{httpTokens: "required", httpPutResponseHopLimit: '
            f"{max_hop_limit}}}`"
        ]
    return []


# --- rds-hardening

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"


def check_rds(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"requireDeletionProtection": bool (default false), "minBackupRetentionDays": int (default 0: off)}."""
    if type_token not in (RDS_INSTANCE, RDS_CLUSTER, RDS_CLUSTER_INSTANCE):
        return []
    cfg = resolve("rds-hardening", config)
    require_deletion_protection = cfg["requireDeletionProtection"]
    min_backup_retention_days = cfg["minBackupRetentionDays"]
    out = []
    public = props.get("publiclyAccessible")
    if truthy(public) is True:
        out.append("`publiclyAccessible` is true: set it to false (reach the database from inside the VPC)")
    if type_token == RDS_CLUSTER_INSTANCE:
        return out  # deletion protection and backups are cluster settings
    if require_deletion_protection:
        raw = props.get("deletionProtection")
        if not is_unknown(raw) and truthy(raw) is not True:
            out.append("`deletionProtection` is not true: set `deletionProtection: true`")
    if min_backup_retention_days > 0:
        raw = props.get("backupRetentionPeriod")
        days = number(raw)
        if not is_unknown(raw) and (days is None or days < min_backup_retention_days):
            got = "not set" if raw is None else show(raw)
            out.append(
                f"`backupRetentionPeriod` is {got}: set it to at least {min_backup_retention_days} (days of "
                "automated backups)"
            )
    return out


# --- eks-endpoint-access


def _open_cidr(cidr: Any) -> bool:
    if not isinstance(cidr, str) or is_unknown(cidr):
        return False
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def check_eks_endpoint(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"allowPublicEndpoint": bool} (default true: public only to listed CIDRs)."""
    allow_public_endpoint = resolve("eks-endpoint-access", config)["allowPublicEndpoint"]
    if type_token != EKS_CLUSTER:
        return []
    public_field, cidrs_field, base = "vpcConfig.endpointPublicAccess", "vpcConfig.publicAccessCidrs", props
    if is_unknown(props.get("vpcConfig")):
        return []
    public_raw = get(base, public_field)
    if is_unknown(public_raw):
        return []
    public = truthy(public_raw)
    if public is False:
        return []
    # Both the EKS API and pulumi-eks default to a public endpoint open to 0.0.0.0/0.
    if not allow_public_endpoint:
        return [
            f"`{public_field}` is not false: set `{public_field}: false` (and the private endpoint on) - this "
            "environment allows only a private Kubernetes API endpoint"
        ]
    cidrs_raw = get(base, cidrs_field)
    if is_unknown(cidrs_raw):
        return []
    cidrs = as_list(cidrs_raw)
    if not cidrs:
        return [
            f"`{public_field}` is on and `{cidrs_field}` is not set (defaults to 0.0.0.0/0): set `{cidrs_field}` "
            f"to your admin CIDRs, or `{public_field}: false`"
        ]
    open_ = [c for c in cidrs if _open_cidr(c)]
    if open_:
        return [
            f"`{cidrs_field}` contains {', '.join(open_)}: list only your admin CIDRs, or set `{public_field}: false`"
        ]
    return []


# --- eks-control-plane-logging


def check_eks_logging(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"requiredLogTypes": [...]} (default all five)."""
    if type_token != EKS_CLUSTER:
        return []
    required = resolve("eks-control-plane-logging", config)["requiredLogTypes"]
    raw = props.get("enabledClusterLogTypes")
    if is_unknown(raw):
        return []
    enabled = set(as_list(raw))
    missing = [t for t in required if t not in enabled]
    if not missing:
        return []
    want = ", ".join(f'"{t}"' for t in required)
    return [f"`enabledClusterLogTypes` lacks {', '.join(missing)}: set it to [{want}]"]


# --- kms-key-rotation


def check_kms_rotation(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    if type_token != "aws:kms/key:Key":
        return []
    spec = props.get("customerMasterKeySpec")
    usage = props.get("keyUsage")
    # AWS rotates only symmetric encryption keys; asymmetric and HMAC keys cannot have rotation enabled.
    if (isinstance(spec, str) and spec not in ("SYMMETRIC_DEFAULT",) and not is_unknown(spec)) or (
        isinstance(usage, str) and usage not in ("ENCRYPT_DECRYPT",) and not is_unknown(usage)
    ):
        return []
    raw = props.get("enableKeyRotation")
    if is_unknown(raw) or truthy(raw) is True:
        return []
    return ["`enableKeyRotation` is not true: set `enableKeyRotation: true` (yearly automatic key rotation)"]


# --- security-group-ingress


def _rule_problems(
    where: str, protocol: Any, from_port: Any, to_port: Any, cidrs: Iterable[Any], restricted_ports: Iterable[int]
) -> list[str]:
    open_ = sorted({c for c in cidrs if _open_cidr(c)})
    if not open_:
        return []
    if is_unknown(protocol) or is_unknown(from_port) or is_unknown(to_port):
        return []
    proto = "" if protocol is None else str(protocol).lower()
    lo, hi = number(from_port), number(to_port)
    src = " and ".join(open_)
    if proto in ("-1", "all") or (lo is not None and hi is not None and lo <= 0 and hi >= 65535):
        return [f"{where} opens all ports to {src}: allow only the ports you need, from known CIDRs or security groups"]
    if proto not in ("tcp", "6", "udp", "17"):
        return []  # e.g. ICMP
    lo = 0 if lo is None else lo
    hi = lo if hi is None else hi
    hit = [p for p in restricted_ports if lo <= p <= hi]
    if hit:
        ports = ", ".join(str(p) for p in hit)
        return [
            f"{where} opens port {ports} to {src}: remove it or restrict the source (use SSM Session Manager "
            "instead of SSH/RDP)"
        ]
    return []


def check_security_group(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"restrictedPorts": [int]} (default [22, 3389]); all ports open to the internet always fail."""
    ports = [int(p) for p in resolve("security-group-ingress", config)["restrictedPorts"]]
    if type_token in ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        out = []
        for i, rule in enumerate(as_list(props.get("ingress"))):
            if not isinstance(rule, Mapping):
                continue
            cidrs = as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks"))
            out += _rule_problems(
                f"`ingress[{i}]`", rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"), cidrs, ports
            )
        return out
    if type_token == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        cidrs = [props.get("cidrIpv4"), props.get("cidrIpv6")]
        return _rule_problems(
            "the rule (`cidrIpv4`/`cidrIpv6`)",
            props.get("ipProtocol"),
            props.get("fromPort"),
            props.get("toPort"),
            cidrs,
            ports,
        )
    if type_token == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if props.get("type") != "ingress":
            return []
        cidrs = as_list(props.get("cidrBlocks")) + as_list(props.get("ipv6CidrBlocks"))
        return _rule_problems(
            "the rule (`cidrBlocks`)", props.get("protocol"), props.get("fromPort"), props.get("toPort"), cidrs, ports
        )
    return []


# --- log-group-retention


def check_log_retention(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"minRetentionDays": int} (default 1)."""
    if type_token != "aws:cloudwatch/logGroup:LogGroup":
        return []
    min_retention_days = resolve("log-group-retention", config)["minRetentionDays"]
    raw = props.get("retentionInDays")
    if is_unknown(raw):
        return []
    days = number(raw)
    if days is None or days <= 0:
        got = "not set (logs are kept forever)" if raw is None or days == 0 else show(raw)
        return [f"`retentionInDays` is {got}: set it to at least {max(min_retention_days, 1)} days"]
    if days < min_retention_days:
        return [f"`retentionInDays` is {int(days)}: set it to at least {min_retention_days} days"]
    return []


# --- iam-no-admin-policy

IAM_POLICY_FIELDS = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}


def _parse_document(doc: Any) -> Mapping[str, Any] | None:
    if isinstance(doc, Mapping):
        return doc
    if isinstance(doc, str) and not is_unknown(doc):
        try:
            parsed = json.loads(doc)
        except ValueError:
            return None
        return parsed if isinstance(parsed, Mapping) else None
    return None


def admin_statements(doc: Any) -> list[int]:
    """Indexes of the statements that Allow every action ("*" or "*:*") on every resource ("*")."""
    parsed = _parse_document(doc)
    if parsed is None:
        return []
    hits = []
    for i, st in enumerate(as_list(parsed.get("Statement"))):
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        actions = as_list(st.get("Action"))
        resources = as_list(st.get("Resource"))
        if any(a in ("*", "*:*") for a in actions) and "*" in resources:
            hits.append(i)
    return hits


def check_iam_admin(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    docs: list[tuple[str, Any]] = []
    if type_token in IAM_POLICY_FIELDS:
        docs.append((IAM_POLICY_FIELDS[type_token], props.get(IAM_POLICY_FIELDS[type_token])))
    elif type_token == "aws:iam/role:Role":
        for i, inline in enumerate(as_list(props.get("inlinePolicies"))):
            if isinstance(inline, Mapping):
                docs.append((f"inlinePolicies[{i}].policy", inline.get("policy")))
    out = []
    for field, doc in docs:
        for i in admin_statements(doc):
            out.append(
                f'`{field}` Statement[{i}] allows Action "*" on Resource "*" (full admin): grant only the actions '
                "and resources the workload needs"
            )
    return out


RULES = {
    "imdsv2-required": check_imdsv2,
    "rds-hardening": check_rds,
    "eks-endpoint-access": check_eks_endpoint,
    "eks-control-plane-logging": check_eks_logging,
    "kms-key-rotation": check_kms_rotation,
    "security-group-ingress": check_security_group,
    "log-group-retention": check_log_retention,
    "iam-no-admin-policy": check_iam_admin,
}
