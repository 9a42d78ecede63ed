"""`encryption-at-rest`: data at rest is encrypted with a customer-managed KMS key wherever AWS allows one.

One checker per resource type, all declared in `CHECKS`. A key reference that is unknown at preview (the ARN of a
key created in the same stack) counts as a customer-managed key; an `alias/aws/...` key is AWS-managed and does not.
With `requireCustomerManagedKey: false` only "encryption is on" is required (AWS-managed keys are then accepted).

S3 buckets are checked per stack (`s3-bucket-encryption`): since pulumi-aws 7 a bucket's encryption lives in a
separate `BucketServerSideEncryptionConfiguration` resource, so whether a bucket is covered is a question about
the whole stack. That configuration resource itself is checked here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .config import resolve
from .values import Finding, StackResource, as_list, get, is_set, is_unknown, malformed, show, truthy

Props = Mapping[str, Any]
POLICY = "encryption-at-rest"
S3_POLICY = "s3-bucket-encryption"

S3_BUCKET = "aws:s3/bucket:Bucket"
S3_SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def is_aws_managed_key(key: Any) -> bool:
    """`alias/aws/<service>` (or its ARN form) names the AWS-managed key of a service, not a customer key."""
    return isinstance(key, str) and not is_unknown(key) and "alias/aws/" in key


@dataclass(frozen=True)
class _Ctx:
    require_cmk: bool

    def key(self, props: Props, field: str, where: str = "") -> list[str]:
        """A customer-managed key must be referenced in `field`."""
        if not self.require_cmk:
            return []
        value = get(props, field)
        label = f"{where}{field}"
        if value is not None and not is_unknown(value) and not isinstance(value, str):
            return [malformed(label, value, "the ARN or ID of a customer-managed KMS key (a string)")]
        if not is_set(value):
            return [f"`{label}` is not set: set it to the ARN of a customer-managed KMS key (aws.kms.Key)"]
        if is_aws_managed_key(value):
            return [
                f"`{label}` is the AWS-managed key {show(value)}: use a customer-managed KMS key (aws.kms.Key) instead"
            ]
        return []

    def flag(self, props: Props, field: str, what: str, where: str = "") -> list[str]:
        """A boolean such as `encrypted` must be true (unknown at preview passes)."""
        raw = get(props, field)
        if is_unknown(raw) or truthy(raw) is True:
            return []
        if raw is not None and truthy(raw) is None:
            return [malformed(where + field, raw, f"true, to encrypt {what}")]
        return [f"`{where}{field}` is not true: set `{field}: true` to encrypt {what}"]


def _ebs_volume(p: Props, c: _Ctx) -> list[str]:
    return c.flag(p, "encrypted", "the volume") + c.key(p, "kmsKeyId")


def _ebs_mappings(mappings: Any, field: str) -> tuple[list[tuple[int, Any]], list[str]]:
    """(index, mapping) of the block device mappings with an `ebs` block, and malformed entries."""
    if mappings is not None and not isinstance(mappings, list | Mapping):
        return [], [malformed(field, mappings, "a list of block device mappings")]
    found, problems = [], []
    for i, m in enumerate(as_list(mappings)):
        if is_unknown(m):
            found.append((i, {"ebs": m}))
        elif not isinstance(m, Mapping):
            problems.append(malformed(f"{field}[{i}]", m, "a block device mapping object"))
        elif m.get("ebs") is not None:
            ebs = m["ebs"]
            if not is_unknown(ebs) and not isinstance(ebs, Mapping):
                problems.append(malformed(f"{field}[{i}].ebs", ebs, "an object {encrypted, kmsKeyId, ...}"))
            else:
                found.append((i, m))
    return found, problems


def _launch_template(p: Props, c: _Ctx) -> list[str]:
    mappings = get(p, "blockDeviceMappings")
    if is_unknown(mappings):
        return []
    ebs_mappings, problems = _ebs_mappings(mappings, "blockDeviceMappings")
    if problems:
        return problems
    if not ebs_mappings:
        return [
            "no `blockDeviceMappings` with an `ebs` block: declare the root volume (e.g. deviceName `/dev/xvda`) "
            'with `ebs.encrypted: "true"` and `ebs.kmsKeyId` set to a customer-managed KMS key'
        ]
    out: list[str] = []
    for i, m in ebs_mappings:
        where = f"blockDeviceMappings[{i}].ebs."
        ebs = m["ebs"]
        if is_unknown(ebs):
            continue
        enc = truthy(ebs.get("encrypted"))
        if enc is not True and not is_unknown(ebs.get("encrypted")):
            got = "" if ebs.get("encrypted") is None else f" (got {show(ebs.get('encrypted'))})"
            out.append(f'`{where}encrypted` is not "true"{got}: set `encrypted: "true"` to encrypt the node volume')
        out += c.key(ebs, "kmsKeyId", where)
    return out


def _eks_node_group(p: Props, c: _Ctx) -> list[str]:
    ref = get(p, "launchTemplate")
    if is_unknown(ref) or (isinstance(ref, Mapping) and any(is_set(v) for v in ref.values())):
        return []  # the launch template is checked on its own
    if ref is not None and not isinstance(ref, Mapping):
        return [malformed("launchTemplate", ref, "an object naming a launch template ({id, version})")]
    return [
        "no `launchTemplate`: the EKS default launch template does not encrypt the node volume with your key; give "
        'the node group an aws.ec2.LaunchTemplate whose root volume sets `ebs.encrypted: "true"` and `ebs.kmsKeyId`'
    ]


def _ec2_node_class(p: Props, c: _Ctx) -> list[str]:
    """Karpenter's EC2NodeClass: its default root volume is encrypted with the AWS-managed aws/ebs key."""
    spec = p.get("spec")
    if spec is not None and not is_unknown(spec) and not isinstance(spec, Mapping):
        return [malformed("spec", spec, "an object")]
    mappings = get(p, "spec.blockDeviceMappings")
    if is_unknown(mappings):
        return []
    ebs_mappings, problems = _ebs_mappings(mappings, "spec.blockDeviceMappings")
    if problems:
        return problems
    if not ebs_mappings:
        if not c.require_cmk:
            return []
        return [
            "no `spec.blockDeviceMappings`: Karpenter's default root volume uses the AWS-managed aws/ebs key; declare "
            "the root volume (e.g. deviceName `/dev/xvda`) with `ebs.encrypted: true` and `ebs.kmsKeyID`"
        ]
    out: list[str] = []
    for i, m in ebs_mappings:
        where = f"spec.blockDeviceMappings[{i}].ebs."
        ebs = m["ebs"]
        if is_unknown(ebs):
            continue
        out += c.flag(ebs, "encrypted", "the node volume", where) + c.key(ebs, "kmsKeyID", where)
    return out


def _rds(p: Props, c: _Ctx) -> list[str]:
    return c.flag(p, "storageEncrypted", "the database storage") + c.key(p, "kmsKeyId")


def _eks_cluster(p: Props, c: _Ctx) -> list[str]:
    cfg = get(p, "encryptionConfig")
    if is_unknown(cfg):
        return []
    if cfg is not None and not isinstance(cfg, Mapping):
        return [malformed("encryptionConfig", cfg, '{provider: {keyArn: <KMS key ARN>}, resources: ["secrets"]}')]
    if cfg is None:
        return [
            "`encryptionConfig` is not set: set `encryptionConfig: {provider: {keyArn: <KMS key ARN>}, "
            'resources: ["secrets"]}` to envelope-encrypt Kubernetes secrets'
        ]
    out: list[str] = []
    resources = get(cfg, "resources")
    listed = as_list(resources)
    if not is_unknown(resources) and not any(is_unknown(r) for r in listed) and "secrets" not in listed:
        out.append('`encryptionConfig.resources` does not include "secrets": set it to `["secrets"]`')
    out += _Ctx(True).key(cfg, "provider.keyArn", "encryptionConfig.")
    return out


def _efs(p: Props, c: _Ctx) -> list[str]:
    return c.flag(p, "encrypted", "the file system") + c.key(p, "kmsKeyId")


def _ecr(p: Props, c: _Ctx) -> list[str]:
    configs = get(p, "encryptionConfigurations")
    if is_unknown(configs):
        return []
    listed = as_list(configs)
    if any(is_unknown(x) for x in listed):
        return []
    bad = [(i, x) for i, x in enumerate(listed) if not isinstance(x, Mapping)]
    if bad:
        return [malformed(f"encryptionConfigurations[{bad[0][0]}]", bad[0][1], '{encryptionType: "KMS", kmsKey}')]
    configs = listed
    if not configs:
        return [
            '`encryptionConfigurations` is not set: set `[{encryptionType: "KMS", kmsKey: <KMS key ARN>}]` '
            "(the default is AES256 with an AWS-owned key)"
        ]
    cfg = configs[0]
    out: list[str] = []
    etype = cfg.get("encryptionType")
    if not is_unknown(etype) and etype not in ("KMS", "KMS_DSSE"):
        out.append(f'`encryptionConfigurations[0].encryptionType` is {show(etype)}: set it to "KMS"')
    out += c.key(cfg, "kmsKey", "encryptionConfigurations[0].")
    return out


def _key_only(field: str, encrypted_by_default: bool) -> Callable[[Props, _Ctx], list[str]]:
    """Resources whose only encryption setting is a key reference. Without the CMK requirement, those AWS encrypts
    anyway (log groups, secrets) pass; those left unencrypted without a key (SNS topics) still need one."""

    def check(p: Props, c: _Ctx) -> list[str]:
        if c.require_cmk:
            return c.key(p, field)
        if encrypted_by_default or is_set(get(p, field)):
            return []
        return [f"`{field}` is not set: set it to a KMS key (e.g. a customer-managed aws.kms.Key) to encrypt at rest"]

    return check


def _sqs(p: Props, c: _Ctx) -> list[str]:
    if is_set(get(p, "kmsMasterKeyId")):
        return c.key(p, "kmsMasterKeyId")
    sse_sqs = p.get("sqsManagedSseEnabled")
    hint = " (SSE-SQS, `sqsManagedSseEnabled`, uses an AWS-owned key)" if truthy(sse_sqs) else ""
    if not c.require_cmk and (truthy(sse_sqs) or is_unknown(sse_sqs)):
        return []
    return [f"`kmsMasterKeyId` is not set{hint}: set it to the ARN of a customer-managed KMS key"]


def _s3_sse(p: Props, c: _Ctx) -> list[str]:
    rules = get(p, "rules")
    if is_unknown(rules):
        return []
    return s3_rules_problems(as_list(rules), c.require_cmk, "rules")


def s3_rules_problems(rules: Iterable[Any], require_cmk: bool, where: str) -> list[str]:
    """Problems with S3 server-side-encryption rules ([] when SSE-KMS with a customer key, as required)."""
    rules = list(rules)
    if any(is_unknown(r) for r in rules):
        return []
    bad = [(i, r) for i, r in enumerate(rules) if not isinstance(r, Mapping)]
    if bad:
        return [malformed(f"{where}[{bad[0][0]}]", bad[0][1], "an encryption rule object")]
    if not rules:
        return [f'`{where}` is empty: add a rule with `applyServerSideEncryptionByDefault.sseAlgorithm: "aws:kms"`']
    out: list[str] = []
    for i, rule in enumerate(rules):
        default = rule.get("applyServerSideEncryptionByDefault")
        if is_unknown(default):
            continue
        prefix = f"{where}[{i}].applyServerSideEncryptionByDefault."
        if default is not None and not isinstance(default, Mapping):
            out.append(malformed(prefix[:-1], default, '{sseAlgorithm: "aws:kms", kmsMasterKeyId}'))
            continue
        algorithm = get(default, "sseAlgorithm") if isinstance(default, Mapping) else None
        if require_cmk and not is_unknown(algorithm) and algorithm not in S3_KMS_ALGORITHMS:
            out.append(f'`{prefix}sseAlgorithm` is {show(algorithm)}: set it to "aws:kms" with `kmsMasterKeyId`')
        elif require_cmk and isinstance(default, Mapping):
            out += _Ctx(True).key(default, "kmsMasterKeyId", prefix)
    return out


CHECKS: dict[str, Callable[[Props, _Ctx], list[str]]] = {
    "aws:ebs/volume:Volume": _ebs_volume,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": _ec2_node_class,
    "aws:rds/instance:Instance": _rds,
    "aws:rds/cluster:Cluster": _rds,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:efs/fileSystem:FileSystem": _efs,
    "aws:ecr/repository:Repository": _ecr,
    "aws:cloudwatch/logGroup:LogGroup": _key_only("kmsKeyId", encrypted_by_default=True),
    "aws:sqs/queue:Queue": _sqs,
    "aws:sns/topic:Topic": _key_only("kmsMasterKeyId", encrypted_by_default=False),
    "aws:secretsmanager/secret:Secret": _key_only("kmsKeyId", encrypted_by_default=True),
    **dict.fromkeys(S3_SSE_TYPES, _s3_sse),
}


def check_encryption(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"requireCustomerManagedKey": bool} (default true)."""
    check = CHECKS.get(type_token)
    if check is None:
        return []
    return check(props, _Ctx(resolve(POLICY, config)["requireCustomerManagedKey"]))


def check_s3_buckets(resources: Iterable[StackResource], config: Mapping[str, Any] | None = None) -> list[Finding]:
    """`s3-bucket-encryption`: every bucket is covered by SSE-KMS, either by a BucketServerSideEncryptionConfiguration
    that targets it (through its `bucket` input: a property dependency on the bucket, or the same bucket name) or by
    the deprecated inline `serverSideEncryptionConfiguration`. A covering configuration that is not SSE-KMS is
    reported on the configuration itself by `encryption-at-rest`, not twice."""
    resources = list(resources)
    if not resolve(S3_POLICY, config)[
        "requireCustomerManagedKey"
    ]:  # S3 encrypts every new object with SSE-S3 by default since 2023
        return []
    covered_urns: set[str] = set()
    covered_names: set[str] = set()
    for r in resources:
        if r.type in S3_SSE_TYPES:
            covered_urns.update(r.property_dependencies.get("bucket", []))
            name = r.props.get("bucket")
            if isinstance(name, str) and not is_unknown(name):
                covered_names.add(name)
    findings: list[Finding] = []
    for r in resources:
        if r.type != S3_BUCKET or r.urn in covered_urns:
            continue
        name = r.props.get("bucket")
        if isinstance(name, str) and name in covered_names:
            continue
        inline = get(r.props, "serverSideEncryptionConfiguration.rule")
        if inline is not None:
            where = "serverSideEncryptionConfiguration.rule"
            problems = [] if is_unknown(inline) else s3_rules_problems([inline], True, where)
            findings += [Finding(r.urn, p) for p in problems]
            continue
        findings.append(
            Finding(
                r.urn,
                "no aws.s3.BucketServerSideEncryptionConfiguration targets this bucket: add one with "
                '`bucket: <bucket>.id` and a rule `applyServerSideEncryptionByDefault: {sseAlgorithm: "aws:kms", '
                "kmsMasterKeyId: <customer-managed KMS key ARN>}`",
            )
        )
    return findings


RULES = {POLICY: check_encryption}
APPLIES = {POLICY: CHECKS.__contains__}
STACK_RULES = {S3_POLICY: check_s3_buckets}
# The types whose properties each stack policy reads.
STACK_READS = {S3_POLICY: frozenset({S3_BUCKET, *S3_SSE_TYPES}).__contains__}
