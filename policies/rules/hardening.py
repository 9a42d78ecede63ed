"""AWS hardening rules, one function per policy: (type_token, props, ...config) -> list of messages.

Each message names the property that is wrong and what to set. Values unknown at preview never fail a rule; a
property of the wrong type or shape is a violation naming it (never an exception, never a silent pass).

pulumi-eks's components (`eks:index:Cluster`, `ManagedNodeGroup`, `NodeGroup`, `NodeGroupV2`) are remote components:
an analyzer sees them with no inputs, and judges the resources their provider registers (`aws:eks/cluster:Cluster`,
its security group rules, `aws:eks/nodeGroup:NodeGroup`, launch templates and configurations). So no rule reads a
component's inputs; the offline plan expands them the same way (platformctl/eks_model.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from . import cidrs
from .config import resolve
from .values import get, is_unknown, malformed, number, show, truthy

Props = Mapping[str, Any]

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EC2_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

# --- imdsv2-required


def _metadata_problems(opts: Any, where: str, max_hop_limit: int) -> list[str]:
    if is_unknown(opts):
        return []
    fix = f'`{{httpTokens: "required", httpPutResponseHopLimit: {max_hop_limit}}}`'
    if opts is None:
        return [
            f"`{where}` is not set: set {fix} (the AMI default may allow IMDSv1 or a hop limit that lets pods reach "
            "the node role)"
        ]
    if not isinstance(opts, Mapping):
        return [malformed(where, opts, f"an object like {fix}")]
    if opts.get("httpEndpoint") == "disabled" or is_unknown(opts.get("httpEndpoint")):
        return []  # no metadata service at all (or not known yet whether there is one)
    out = []
    tokens = opts.get("httpTokens")
    if not is_unknown(tokens) and tokens != "required":
        out.append(f'`{where}.httpTokens` is {show(tokens)}: set it to "required" (IMDSv2 only)')
    raw_hops = opts.get("httpPutResponseHopLimit")
    hops = number(raw_hops)
    if not is_unknown(raw_hops) and (hops is None or hops > max_hop_limit):
        got = "not set" if raw_hops is None else show(raw_hops)
        out.append(
            f"`{where}.httpPutResponseHopLimit` is {got}: set it to {max_hop_limit} so pods cannot reach the "
            "node's instance credentials"
        )
    return out


def _launch_template_ref(props: Props, fix: str) -> list[str] | None:
    """A node group's `launchTemplate`: None when set (the template is checked on its own), else the problems."""
    ref = props.get("launchTemplate")
    if is_unknown(ref):
        return None
    if isinstance(ref, Mapping) and any(is_unknown(v) or (isinstance(v, str) and v) for v in ref.values()):
        return None
    if ref is None:
        return [fix]
    return [malformed("launchTemplate", ref, "an object naming a launch template ({id, version} or {name, version})")]


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
        spec = props.get("spec")
        if spec is not None and not is_unknown(spec) and not isinstance(spec, Mapping):
            return [malformed("spec", spec, "an object")]
        opts = get(props, "spec.metadataOptions")
        if opts is None or is_unknown(opts):
            return []
        if not isinstance(opts, Mapping):
            return [malformed("spec.metadataOptions", opts, "an object")]
        if opts.get("httpEndpoint") == "disabled" or is_unknown(opts.get("httpEndpoint")):
            return []
        defaults = {"httpTokens": "required", "httpPutResponseHopLimit": 1}
        return _metadata_problems({**defaults, **opts}, "spec.metadataOptions", max_hop_limit)
    if type_token == EKS_NODE_GROUP:
        # the launch template is an aws:ec2/launchTemplate resource, checked on its own
        return (
            _launch_template_ref(
                props,
                "no `launchTemplate`: the EKS default launch template allows a hop limit of 2; give the node group an "
                f'aws.ec2.LaunchTemplate with `metadataOptions: {{httpTokens: "required", httpPutResponseHopLimit: '
                f"{max_hop_limit}}}`",
            )
            or []
        )
    return []


IMDS_TYPES = frozenset(
    {
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/launchConfiguration:LaunchConfiguration",
        "aws:ec2/instance:Instance",
        EC2_NODE_CLASS,
        EKS_NODE_GROUP,
    }
)


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
    elif public is not None and not is_unknown(public) and truthy(public) is None:
        out.append(malformed("publiclyAccessible", public, "false"))
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


def cidr_list(value: Any, field: str) -> tuple[list[str], list[str]]:
    """(the CIDR strings of a list property, problems with malformed entries). Unknown entries are left out."""
    if value is None or is_unknown(value):
        return [], []
    items = value if isinstance(value, list) else [value]
    good, problems = [], []
    for i, item in enumerate(items):
        if is_unknown(item):
            continue
        if cidrs.parse(item) is None:
            where = f"{field}[{i}]" if isinstance(value, list) else field
            problems.append(malformed(where, item, "a CIDR block like 203.0.113.0/24"))
        else:
            good.append(item)
    return good, problems


def check_eks_endpoint(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"allowPublicEndpoint": bool} (default true: public only to listed CIDRs)."""
    allow_public_endpoint = resolve("eks-endpoint-access", config)["allowPublicEndpoint"]
    if type_token != EKS_CLUSTER:
        return []
    public_field, cidrs_field = "vpcConfig.endpointPublicAccess", "vpcConfig.publicAccessCidrs"
    cfg = props.get("vpcConfig")
    if is_unknown(cfg):
        return []
    if cfg is not None and not isinstance(cfg, Mapping):
        return [malformed("vpcConfig", cfg, "an object")]
    public_raw = get(props, public_field)
    if is_unknown(public_raw):
        return []
    public = truthy(public_raw)
    if public is False:
        return []
    if public is None and public_raw is not None:
        return [malformed(public_field, public_raw, "true or false")]
    # Both the EKS API and pulumi-eks default to a public endpoint open to 0.0.0.0/0.
    if not allow_public_endpoint:
        return [
            f"`{public_field}` is not false: set `{public_field}: false` (and the private endpoint on) - this "
            "environment allows only a private Kubernetes API endpoint"
        ]
    cidrs_raw = get(props, cidrs_field)
    if is_unknown(cidrs_raw):
        return []
    listed, problems = cidr_list(cidrs_raw, cidrs_field)
    if cidrs_raw is not None and not isinstance(cidrs_raw, list):
        problems = [malformed(cidrs_field, cidrs_raw, "a list of CIDR blocks")]
    if problems:
        return problems
    if cidrs_raw is None or cidrs_raw == []:
        return [
            f"`{public_field}` is on and `{cidrs_field}` is not set (defaults to 0.0.0.0/0): set `{cidrs_field}` "
            f"to your admin CIDRs, or `{public_field}: false`"
        ]
    exposed = cidrs.exposure(listed)
    if exposed.internet_wide:
        return [
            f"`{cidrs_field}` opens the endpoint to {exposed.describe()}: list only your admin CIDRs, or set "
            f"`{public_field}: false`"
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
    want = ", ".join(f'"{t}"' for t in required)
    if raw is not None and not isinstance(raw, list):
        return [malformed("enabledClusterLogTypes", raw, f"a list of log types like [{want}]")]
    items = raw or []
    if any(is_unknown(t) for t in items):
        return []  # an unknown entry may be any of the missing ones
    bad = [f"enabledClusterLogTypes[{i}]" for i, t in enumerate(items) if not isinstance(t, str)]
    if bad:
        return [malformed(bad[0], items[int(bad[0].split("[")[1][:-1])], "a log type name (a string)")]
    missing = [t for t in required if t not in items]
    if not missing:
        return []
    return [f"`enabledClusterLogTypes` lacks {', '.join(missing)}: set it to [{want}]"]


# --- kms-key-rotation


def check_kms_rotation(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    if type_token != "aws:kms/key:Key":
        return []
    spec = props.get("customerMasterKeySpec")
    usage = props.get("keyUsage")
    # AWS rotates only symmetric encryption keys; asymmetric and HMAC keys cannot have rotation enabled.
    if (isinstance(spec, str) and spec != "SYMMETRIC_DEFAULT" and not is_unknown(spec)) or (
        isinstance(usage, str) and usage != "ENCRYPT_DECRYPT" and not is_unknown(usage)
    ):
        return []
    raw = props.get("enableKeyRotation")
    if is_unknown(raw) or truthy(raw) is True:
        return []
    if raw is not None and truthy(raw) is None:
        return [malformed("enableKeyRotation", raw, "true (yearly automatic key rotation)")]
    return ["`enableKeyRotation` is not true: set `enableKeyRotation: true` (yearly automatic key rotation)"]


# --- security-group-ingress


ALL_PROTOCOLS = ("-1", "all")
PORT_PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}


def _protocol(value: Any) -> str | None:
    """A rule's protocol, normalised: "all", "tcp", "udp", another name or number as text; None if malformed.
    -1, -1.0, "-1" and "all" are all protocols; 6 and "6" are tcp."""
    if isinstance(value, str):
        text = value.strip().lower()
        if number(text) is not None:
            text = f"{number(text):g}"
    elif number(value) is not None:
        text = f"{number(value):g}"
    else:
        return None
    if text in ALL_PROTOCOLS:
        return "all"
    return PORT_PROTOCOLS.get(text, text)


def _port(value: Any, where: str, problems: list[str]) -> float | None:
    if value is None:
        return None
    port = number(value)
    if port is None:
        problems.append(malformed(where, value, "a port number"))
    return port


def _rule_problems(
    label: str,
    prefix: str,
    fields: tuple[str, str, str],
    rule: Mapping[str, Any],
    sources: list[str],
    restricted: Iterable[int],
) -> list[str]:
    """One ingress permission (`label` in messages): `fields` name its protocol, from-port and to-port properties,
    under `prefix`."""
    exposed = cidrs.exposure(sources)
    if not exposed.internet_wide:
        return []
    raw_protocol, raw_from, raw_to = (rule.get(f) for f in fields)
    if is_unknown(raw_protocol) or is_unknown(raw_from) or is_unknown(raw_to):
        return []
    problems: list[str] = []
    proto = _protocol(raw_protocol)
    if proto is None and raw_protocol is not None:
        problems.append(malformed(prefix + fields[0], raw_protocol, 'a protocol ("tcp", "udp", "-1" for all...)'))
    lo = _port(raw_from, prefix + fields[1], problems)
    hi = _port(raw_to, prefix + fields[2], problems)
    if problems:
        return problems
    src = exposed.describe()
    if proto == "all" or (lo is not None and hi is not None and lo <= 0 and hi >= 65535):
        return [f"{label} opens all ports to {src}: allow only the ports you need, from known CIDRs or security groups"]
    if proto not in ("tcp", "udp"):
        return []  # e.g. ICMP
    lo = 0 if lo is None else lo
    hi = lo if hi is None else hi
    hit = [p for p in restricted if lo <= p <= hi]
    if hit:
        ports = ", ".join(str(p) for p in hit)
        return [
            f"{label} opens port {ports} to {src}: remove it or restrict the source (use SSM Session Manager "
            "instead of SSH/RDP)"
        ]
    return []


_SG_RULE_FIELDS = ("protocol", "fromPort", "toPort")


def check_security_group(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"restrictedPorts": [int]} (default [22, 3389]); all ports open to the internet always fail."""
    ports = [int(p) for p in resolve("security-group-ingress", config)["restrictedPorts"]]
    if type_token in ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        ingress = props.get("ingress")
        if ingress is None or is_unknown(ingress):
            return []
        if not isinstance(ingress, list):
            return [malformed("ingress", ingress, "a list of ingress rules")]
        out: list[str] = []
        for i, rule in enumerate(ingress):
            if is_unknown(rule):
                continue
            if not isinstance(rule, Mapping):
                out.append(malformed(f"ingress[{i}]", rule, "an ingress rule object"))
                continue
            sources, problems = [], []
            for field in ("cidrBlocks", "ipv6CidrBlocks"):
                listed, bad = cidr_list(rule.get(field), f"ingress[{i}].{field}")
                sources += listed
                problems += bad
            label, prefix = f"`ingress[{i}]`", f"ingress[{i}]."
            out += problems or _rule_problems(label, prefix, _SG_RULE_FIELDS, rule, sources, ports)
        return out
    if type_token == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        sources, problems = [], []
        for field in ("cidrIpv4", "cidrIpv6"):
            listed, bad = cidr_list(props.get(field), field)
            sources += listed
            problems += bad
        fields = ("ipProtocol", "fromPort", "toPort")
        return problems or _rule_problems("the rule (`cidrIpv4`/`cidrIpv6`)", "", fields, props, sources, ports)
    if type_token == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if props.get("type") != "ingress":
            return []
        sources, problems = [], []
        for field in ("cidrBlocks", "ipv6CidrBlocks"):
            listed, bad = cidr_list(props.get(field), field)
            sources += listed
            problems += bad
        return problems or _rule_problems("the rule (`cidrBlocks`)", "", _SG_RULE_FIELDS, props, sources, ports)
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
    want = max(min_retention_days, 1)
    if raw is None or days == 0:
        return [f"`retentionInDays` is not set (logs are kept forever): set it to at least {want} days"]
    if days is None:
        return [malformed("retentionInDays", raw, f"a number of days (at least {want})")]
    if days < want:
        return [f"`retentionInDays` is {show(raw)}: set it to at least {want} days"]
    return []


# --- iam-no-admin-policy

# Where IAM policy documents live: type token -> property holding one document.
IAM_POLICY_FIELDS = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": "inlinePolicy",
}
# Where managed policies are attached: type token -> (property, holds a list of ARNs?).
IAM_ATTACHMENT_FIELDS = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn", False),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("policyArn", False),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ("policyArn", False),
    "aws:iam/policyAttachment:PolicyAttachment": ("policyArn", False),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": ("policyArns", True),
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": ("policyArns", True),
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": ("policyArns", True),
    "aws:iam/role:Role": ("managedPolicyArns", True),
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": ("managedPolicyArn", False),
    "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive": ("managedPolicyArns", True),
}
IAM_TYPES = frozenset(IAM_POLICY_FIELDS) | frozenset(IAM_ATTACHMENT_FIELDS)
# AWS managed policies that grant admin: everything, or IAM itself (which can grant everything).
ADMIN_MANAGED_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(AdministratorAccess|IAMFullAccess)$", re.I)
_IAM_DOC_HINT = "grant only the actions and resources the workload needs"


def _parse_document(doc: Any) -> Mapping[str, Any] | None:
    """A policy document (a JSON string or an object); None when unset, unknown or not a document."""
    return _read_document(doc)[0]


def _read_document(doc: Any) -> tuple[Mapping[str, Any] | None, bool]:
    """(the policy document, well-formed?): a JSON string or an object; (None, True) when unset or unknown."""
    if doc is None or is_unknown(doc):
        return None, True
    if isinstance(doc, str):
        try:
            parsed = json.loads(doc)
        except (ValueError, RecursionError):
            return None, False
        doc = parsed
    return (doc, True) if isinstance(doc, Mapping) else (None, False)


def _glob(pattern: str, text: str) -> bool:
    """IAM's wildcard match: `*` any run of characters, `?` one character, case-insensitive."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.I | re.S) is not None


def _all_wildcard(text: str) -> bool:
    return text != "" and set(text) <= {"*"}


def _action_grant(action: str) -> str | None:
    """What an Allowed action pattern on every resource amounts to: "all" (every action of every service),
    a service name (every action of that service: `s3:*`), or None (specific actions)."""
    service, sep, name = action.partition(":")
    if not sep:
        return "all" if _all_wildcard(service) else None
    if not _all_wildcard(name):
        return None
    if _all_wildcard(service):
        return "all"
    return "iam" if _glob(service, "iam") else service.lower()


def _every_resource(resource: str) -> bool:
    """`*`, or an ARN pattern whose every part after the partition is a wildcard (`arn:aws:*`, `arn:*:*:*:*:*`)."""
    if _all_wildcard(resource):
        return True
    parts = resource.split(":")
    if parts[0].lower() != "arn" or len(parts) < 2:
        return False
    return all(_all_wildcard(p) for p in parts[2:]) and (_all_wildcard(parts[1]) or parts[1].startswith("aws"))


def _strings(value: Any) -> tuple[list[str], bool]:
    """(the strings of a string-or-list element, all well-formed?); unknown entries are left out."""
    if value is None:
        return [], True
    items = value if isinstance(value, list) else [value]
    out, ok = [], True
    for item in items:
        if is_unknown(item):
            continue
        if isinstance(item, str):
            out.append(item)
        else:
            ok = False
    return out, ok


def admin_statements(doc: Any, field: str = "policy") -> list[str]:
    """Problems of one policy document: every statement that grants admin, and malformed parts.

    A statement grants admin when it Allows, on every resource (`Resource` `*` or any `NotResource`), every action
    (`*`, `*:*`), all but some actions (any `NotAction`), or every action of a service (`iam:*`, which can grant
    itself the rest; `s3:*`...). Unknown parts at preview prove nothing and are skipped.
    """
    parsed, ok = _read_document(doc)
    if not ok:
        return [malformed(field, doc, "an IAM policy document (a JSON object with a Statement)")]
    if parsed is None:
        return []
    statements = parsed.get("Statement")
    if statements is None or is_unknown(statements):
        return []
    items = statements if isinstance(statements, list) else [statements]
    out: list[str] = []
    for i, st in enumerate(items):
        where = f"`{field}` Statement[{i}]"
        if is_unknown(st):
            continue
        if not isinstance(st, Mapping):
            out.append(malformed(f"{field}.Statement[{i}]", st, "a statement object"))
            continue
        if st.get("Effect") != "Allow":
            continue
        actions, actions_ok = _strings(st.get("Action"))
        not_actions = st.get("NotAction")
        resources, resources_ok = _strings(st.get("Resource"))
        not_resources = st.get("NotResource")
        if not (actions_ok and resources_ok):
            out.append(f"{where} has an Action or Resource entry that is not a string: {_IAM_DOC_HINT}")
            continue
        everywhere = not_resources is not None or any(_every_resource(r) for r in resources)
        if not everywhere:
            continue
        grants = {g for a in actions if (g := _action_grant(a))}
        if not_actions is not None and not is_unknown(not_actions):
            out.append(
                f'{where} allows every action except its NotAction on Resource "*" (Allow with NotAction grants '
                f"admin, and every new AWS action): use Action with the actions it needs"
            )
        elif "all" in grants:
            on = "every resource but its NotResource" if not_resources is not None else 'Resource "*"'
            out.append(f'{where} allows Action "*" on {on} (full admin): {_IAM_DOC_HINT}')
        elif "iam" in grants:
            out.append(
                f'{where} allows every IAM action ("iam:*") on every resource: it can grant itself admin; '
                f"{_IAM_DOC_HINT}"
            )
        elif grants:
            wildcards = ", ".join(f'"{g}:*"' for g in sorted(grants))
            out.append(f"{where} allows every action of a service ({wildcards}) on every resource: {_IAM_DOC_HINT}")
    return out


def _attachment_problems(props: Props, field: str, many: bool) -> list[str]:
    value = props.get(field)
    if value is None or is_unknown(value):
        return []
    if many and not isinstance(value, list):
        return [malformed(field, value, "a list of policy ARNs")]
    arns = value if many else [value]
    out = []
    for i, arn in enumerate(arns):
        where = f"{field}[{i}]" if many else field
        if is_unknown(arn):
            continue
        if not isinstance(arn, str):
            out.append(malformed(where, arn, "a policy ARN"))
        elif ADMIN_MANAGED_POLICY.match(arn.strip()):
            name = arn.strip().rsplit("/", 1)[-1]
            grants = "full admin" if name.lower() == "administratoraccess" else "IAM, and through it admin"
            out.append(
                f"`{where}` attaches the AWS managed policy {name} ({grants}): attach a policy with only the "
                "actions and resources the workload needs"
            )
    return out


def check_iam_admin(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    out: list[str] = []
    if type_token in IAM_POLICY_FIELDS:
        field = IAM_POLICY_FIELDS[type_token]
        out += admin_statements(props.get(field), field)
    if type_token == "aws:iam/role:Role":
        inline = props.get("inlinePolicies")
        if isinstance(inline, list):
            for i, item in enumerate(inline):
                if isinstance(item, Mapping):
                    out += admin_statements(item.get("policy"), f"inlinePolicies[{i}].policy")
                elif not is_unknown(item):
                    out.append(malformed(f"inlinePolicies[{i}]", item, "an object {name, policy}"))
        elif inline is not None and not is_unknown(inline):
            out.append(malformed("inlinePolicies", inline, "a list of {name, policy} objects"))
    if type_token in IAM_ATTACHMENT_FIELDS:
        out += _attachment_problems(props, *IAM_ATTACHMENT_FIELDS[type_token])
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
# Which resource types each policy looks at (the pack checks the type before decoding anything).
APPLIES = {
    "imdsv2-required": IMDS_TYPES.__contains__,
    "rds-hardening": frozenset({RDS_INSTANCE, RDS_CLUSTER, RDS_CLUSTER_INSTANCE}).__contains__,
    "eks-endpoint-access": frozenset({EKS_CLUSTER}).__contains__,
    "eks-control-plane-logging": frozenset({EKS_CLUSTER}).__contains__,
    "kms-key-rotation": frozenset({"aws:kms/key:Key"}).__contains__,
    "security-group-ingress": frozenset(
        {
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "aws:ec2/securityGroupRule:SecurityGroupRule",
        }
    ).__contains__,
    "log-group-retention": frozenset({"aws:cloudwatch/logGroup:LogGroup"}).__contains__,
    "iam-no-admin-policy": IAM_TYPES.__contains__,
}
