"""Realistic fake outputs for the offline engine: IDs and ARNs in AWS's real formats.

The offline plan runs the real program under Pulumi's mocks; what a resource "returns" comes from
here. Values are deterministic (hashed from the resource's type and name) so plans are stable and
diffable. Add a type-specific builder to `EXTRA_OUTPUTS` when a component reads an output that is
not one of its inputs (the way the cloud would compute it).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ACCOUNT_ID = "123456789012"
FAKE_CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
PARTITION = "aws"


@dataclass(frozen=True)
class Ctx:
    region: str
    account: str = ACCOUNT_ID  # the stack's platform:environment.account
    # The identity the providers act as: an assumed role's ARN when the stack assumes one (aws:assumeRoles).
    role_arn: str | None = None
    session_name: str | None = None

    @property
    def caller_arn(self) -> str:
        """What STS GetCallerIdentity answers: an assumed-role session, or (no role) an IAM user."""
        if self.role_arn:
            role_name = self.role_arn.rsplit("/", 1)[-1]
            return f"arn:{PARTITION}:sts::{self.account}:assumed-role/{role_name}/{self.session_name or 'offline'}"
        return f"arn:{PARTITION}:iam::{self.account}:user/offline"


def _hex(seed: str, n: int = 17) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def _uuid(seed: str) -> str:
    return str(uuid.UUID(hashlib.md5(seed.encode()).hexdigest()))


# EC2-style IDs: prefix-<17 hex>
ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/route:Route": "r-rtb",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgrule",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/networkAcl:NetworkAcl": "acl",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
}

# ARN resource part per type; "{id}" and "{name}" are substituted. Default: "<resource>/{id}".
ARN_FORMAT = {
    "aws:iam/role:Role": "arn:{p}:iam::{a}:role/{name}",
    "aws:iam/policy:Policy": "arn:{p}:iam::{a}:policy/{name}",
    "aws:iam/instanceProfile:InstanceProfile": "arn:{p}:iam::{a}:instance-profile/{name}",
    # IAM names an OIDC provider after its URL without the scheme (what trust-policy condition keys start with).
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "arn:{p}:iam::{a}:oidc-provider/{url}",
    "aws:kms/key:Key": "arn:{p}:kms:{r}:{a}:key/{uuid}",
    "aws:kms/alias:Alias": "arn:{p}:kms:{r}:{a}:{name}",
    "aws:cloudwatch/logGroup:LogGroup": "arn:{p}:logs:{r}:{a}:log-group:{name}",
    "aws:sqs/queue:Queue": "arn:{p}:sqs:{r}:{a}:{name}",
    "aws:sns/topic:Topic": "arn:{p}:sns:{r}:{a}:{name}",
    "aws:s3/bucket:Bucket": "arn:{p}:s3:::{name}",
    "aws:s3/bucketV2:BucketV2": "arn:{p}:s3:::{name}",
    "aws:cloudwatch/eventRule:EventRule": "arn:{p}:events:{r}:{a}:rule/{name}",
    "aws:eks/cluster:Cluster": "arn:{p}:eks:{r}:{a}:cluster/{name}",
    "aws:eks/nodeGroup:NodeGroup": "arn:{p}:eks:{r}:{a}:nodegroup/{name}",
    "aws:eks/addon:Addon": "arn:{p}:eks:{r}:{a}:addon/{name}",
    "aws:ecr/repository:Repository": "arn:{p}:ecr:{r}:{a}:repository/{name}",
    "aws:rds/instance:Instance": "arn:{p}:rds:{r}:{a}:db:{name}",
    "aws:rds/cluster:Cluster": "arn:{p}:rds:{r}:{a}:cluster:{name}",
    "aws:rds/subnetGroup:SubnetGroup": "arn:{p}:rds:{r}:{a}:subgrp:{name}",
    "aws:rds/parameterGroup:ParameterGroup": "arn:{p}:rds:{r}:{a}:pg:{name}",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "arn:{p}:rds:{r}:{a}:cluster-pg:{name}",
    "aws:secretsmanager/secret:Secret": "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-{short}",
}

# Types whose physical name Pulumi derives from the logical name (auto-naming), when not given.
_AUTONAME_KEYS = ("name",)


def _service_and_resource(type_token: str) -> tuple[str, str]:
    # "aws:ec2/vpcEndpoint:VpcEndpoint" -> ("ec2", "vpc-endpoint")
    module = type_token.split(":")[1].split("/")[0]
    resource = type_token.rsplit(":", 1)[-1]
    kebab = "".join("-" + c.lower() if c.isupper() else c for c in resource).lstrip("-")
    return module, kebab


def _eks_cluster_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    issuer = f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{_hex(name, 32).upper()}"
    return {
        "endpoint": f"https://{_hex(name, 32).upper()}.gr7.{ctx.region}.eks.amazonaws.com",
        "certificateAuthority": {
            "data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
        },
        "identities": [{"oidcs": [{"issuer": issuer}]}],
        "vpcConfig": {**(inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": f"sg-{_hex(name + 'csg')}"},
        "platformVersion": "eks.1",
        "status": "ACTIVE",
    }


def _sqs_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    qname = inputs.get("name") or name
    return {"url": f"https://sqs.{ctx.region}.amazonaws.com/{ctx.account}/{qname}"}


def _kms_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    return {"keyId": _uuid(name)}


def _vpc_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    return {"defaultSecurityGroupId": f"sg-{_hex(name + 'default')}", "mainRouteTableId": f"rtb-{_hex(name + 'main')}"}


def _ecr_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    rname = inputs.get("name") or name
    return {"repositoryUrl": f"{ctx.account}.dkr.ecr.{ctx.region}.amazonaws.com/{rname}", "registryId": ctx.account}


def _rds_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    ident = inputs.get("identifier") or name
    return {
        "endpoint": f"{ident}.{_hex(name, 12)}.{ctx.region}.rds.amazonaws.com:5432",
        "address": f"{ident}.{_hex(name, 12)}.{ctx.region}.rds.amazonaws.com",
        "port": 5432,
        "masterUserSecrets": [
            {
                "secretArn": f"arn:aws:secretsmanager:{ctx.region}:{ctx.account}:secret:rds!db-"
                f"{_uuid(name)}-{_hex(name, 6)}",
                "kmsKeyId": inputs.get("masterUserSecretKmsKeyId"),
                "secretStatus": "active",
            }
        ],
    }


def _rds_cluster_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    ident = inputs.get("clusterIdentifier") or name
    host = f"{ident}.cluster-{_hex(name, 12)}.{ctx.region}.rds.amazonaws.com"
    return {
        "endpoint": host,
        "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
        "port": 5432,
        "masterUserSecrets": _rds_extras(name, inputs, ctx)["masterUserSecrets"],
    }


def _security_group_rule_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    # The AWS provider reads the rule's own ID back from EC2 (DescribeSecurityGroupRules): sgr-<17 hex>.
    return {"securityGroupRuleId": f"sgr-{_hex('sgr' + name)}"}


def _launch_template_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    return {"latestVersion": 1, "defaultVersion": 1}


def _node_group_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    # With node_group_name_prefix, AWS (the provider) appends a unique suffix.
    ng_name = inputs.get("nodeGroupName") or f"{inputs.get('nodeGroupNamePrefix') or name + '-'}{_hex(name, 26)}"
    return {"nodeGroupName": ng_name, "status": "ACTIVE"}


def _random_password_extras(name: str, inputs: dict, ctx: Ctx) -> dict:
    # Not a real secret: a stable stand-in so programs that hash or template it see a value (always masked).
    fake = f"offline-{_hex(name, 16)}"
    return {"result": fake, "bcryptHash": f"$2a$10${_hex(name + 'bcrypt', 53)}"}


EXTRA_OUTPUTS: dict[str, Callable[[str, dict, Ctx], dict]] = {
    "random:index/randomPassword:RandomPassword": _random_password_extras,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template_extras,
    "aws:eks/nodeGroup:NodeGroup": _node_group_extras,
    "aws:eks/cluster:Cluster": _eks_cluster_extras,
    "aws:ec2/securityGroupRule:SecurityGroupRule": _security_group_rule_extras,
    "aws:sqs/queue:Queue": _sqs_extras,
    "aws:kms/key:Key": _kms_extras,
    "aws:ec2/vpc:Vpc": _vpc_extras,
    "aws:ecr/repository:Repository": _ecr_extras,
    "aws:rds/instance:Instance": _rds_extras,
    "aws:rds/cluster:Cluster": _rds_cluster_extras,
}


def physical_id(type_token: str, name: str, inputs: dict) -> str:
    prefix = ID_PREFIX.get(type_token)
    if prefix:
        return f"{prefix}-{_hex(type_token + name)}"
    if type_token == "aws:kms/key:Key":
        return _uuid(name)
    given = inputs.get("name")
    if isinstance(given, str) and given:
        return given
    return f"{name}-{_hex(type_token + name, 7)}"


def new_resource(type_token: str, name: str, inputs: dict[str, Any], ctx: Ctx) -> tuple[str, dict[str, Any]]:
    """(id, outputs) the way the cloud would answer: inputs echoed, plus computed IDs/ARNs/attributes."""
    rid = physical_id(type_token, name, inputs)
    outputs: dict[str, Any] = dict(inputs)
    if type_token.startswith("aws:"):
        physical_name = inputs.get("name") if isinstance(inputs.get("name"), str) else rid
        fmt = ARN_FORMAT.get(type_token)
        if fmt:
            arn = fmt.format(
                p=PARTITION,
                a=ctx.account,
                r=ctx.region,
                name=physical_name,
                id=rid,
                uuid=_uuid(name),
                short=_hex(name, 6),
                url=str(inputs.get("url") or physical_name).removeprefix("https://"),
            )
        else:
            service, resource = _service_and_resource(type_token)
            arn = f"arn:{PARTITION}:{service}:{ctx.region}:{ctx.account}:{resource}/{rid}"
        outputs.setdefault("arn", arn)
        outputs.setdefault("name", physical_name)
        outputs.setdefault("ownerId", ctx.account)
    extra = EXTRA_OUTPUTS.get(type_token)
    if extra:
        for key, value in extra(name, inputs, ctx).items():
            outputs.setdefault(key, value)
    return rid, outputs


def invoke(token: str, args: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """Data-source answers. Unknown invokes return {} (the engine records them)."""
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": ctx.account,
            "arn": ctx.caller_arn,
            "userId": "AIDAOFFLINE",
            "id": ctx.account,
        }
    if token == "aws:index/getRegion:getRegion":
        return {
            "name": ctx.region,
            "region": ctx.region,
            "id": ctx.region,
            "description": ctx.region,
            "endpoint": f"ec2.{ctx.region}.amazonaws.com",
        }
    if token == "aws:index/getPartition:getPartition":
        return {"partition": PARTITION, "dnsSuffix": "amazonaws.com", "id": PARTITION}
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        letters = "abcdef"
        return {
            "names": [f"{ctx.region}{c}" for c in letters],
            "zoneIds": [f"euw1-az{i + 1}" for i in range(6)],
            "id": ctx.region,
            "groupNames": [ctx.region],
        }
    if token == "aws:iam/getSessionContext:getSessionContext":
        # An IAM user's session context is itself; an assumed-role session's issuer is its role.
        arn = args.get("arn") or ctx.caller_arn
        issuer, session = arn, ""
        if ":assumed-role/" in arn:
            prefix, _, rest = arn.partition(":assumed-role/")
            role_name, _, session = rest.partition("/")
            # The issuer keeps the role's path, which the assumed-role ARN drops.
            same = ctx.role_arn and ctx.role_arn.rsplit("/", 1)[-1] == role_name
            issuer = ctx.role_arn if same else f"{prefix.replace(':sts::', ':iam::')}:role/{role_name}"
        return {
            "arn": arn,
            "issuerArn": issuer,
            "issuerId": "AIDAOFFLINE",
            "issuerName": issuer.rsplit("/", 1)[-1],
            "sessionName": session,
            "id": arn,
        }
    return {}
